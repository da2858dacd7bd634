/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Strict parsers for every word a user gives edgeward: addresses and CIDRs,
 * durations, rates, port specifications. Each returns 0 on success or
 * -EINVAL with a one-line reason in err (no trailing newline) that names
 * the offending text; none of them accepts trailing junk.
 */
#ifndef EW_PARSE_H
#define EW_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EW_ERRLEN	256
#define EW_CIDR_STRLEN	64

struct ew_cidr {
	uint8_t family;		/* 4 or 6 */
	uint8_t plen;		/* 0..32 or 0..128 */
	uint8_t addr[16];	/* network byte order, IPv4 in addr[0..3], rest zero; host bits zero */
};

/* Flags of ew_cidr_parse. */
#define EW_CIDR_CANON	0x1	/* clear host bits and return 1 instead of rejecting */
#define EW_CIDR_ADDR	0x2	/* a bare address only: no "/N" allowed */

/*
 * "192.0.2.0/24", "2001:db8::/32", or a bare address (= /32, /128).
 * inet_pton-strict: four decimal octets without leading zeros, no shorthand
 * ("10.1"), no hex or octal, no spaces, no zone ids, prefix "/N" decimal
 * without sign or leading zeros and within the family's range.
 * Returns 0, 1 (host bits were set and cleared: EW_CIDR_CANON only, the
 * caller warns; err then holds the warning text) or -EINVAL.
 */
int ew_cidr_parse(const char *s, unsigned int flags, struct ew_cidr *out, char *err, size_t errlen);
/* Canonical text, always with "/N". Returns the length or -ENOSPC. */
int ew_cidr_format(const struct ew_cidr *c, char *buf, size_t len);
/* Bare address text (no "/N"). */
int ew_addr_format(int family, const uint8_t *addr, char *buf, size_t len);
bool ew_cidr_contains(const struct ew_cidr *outer, const struct ew_cidr *inner);
static inline bool ew_cidr_is_everything(const struct ew_cidr *c)
{
	return c->plen == 0;
}
/* Clear the host bits of addr beyond plen (family 4: 4 bytes, 6: 16 bytes). */
void ew_cidr_mask(struct ew_cidr *c);

/*
 * Durations: one or more <number><unit> groups, units s, m, h, d, w, largest
 * first ("90s", "15m", "1h30m", "7d"); "never" gives 0. Zero, negative,
 * overflow, bare numbers and unknown units are rejected.
 */
int ew_duration_parse(const char *s, uint64_t *out_ns, char *err, size_t errlen);
/* "1h30m", "45s", "never" for 0. */
int ew_duration_format(uint64_t ns, char *buf, size_t len);

/*
 * Rates: "<N>/<unit>" with unit sec|s|second, min|m|minute, hour|h, day|d;
 * N in 1..1000000000. Gives the count and the period in seconds.
 */
int ew_rate_parse(const char *s, uint32_t *rate, uint32_t *period_s, char *err, size_t errlen);
int ew_rate_format(uint32_t rate, uint32_t period_s, char *buf, size_t len);

/*
 * Port specifications: "PORT[-PORT][/PROTO]", PROTO tcp|udp|icmp|icmpv6
 * (case-insensitive); for icmp/icmpv6 the "port" is the message type 0..255.
 * Ports 0..65535, lo <= hi. Without "/PROTO", default_proto (enum
 * ew_proto_idx) is used, or the spec is rejected when default_proto < 0.
 */
struct ew_portspec {
	uint8_t proto_idx;	/* enum ew_proto_idx */
	uint16_t lo;
	uint16_t hi;
};
int ew_portspec_parse(const char *s, int default_proto, struct ew_portspec *out, char *err,
		      size_t errlen);
/* "22/tcp", "6000-6010/udp", "8/icmp". */
int ew_portspec_format(const struct ew_portspec *p, char *buf, size_t len);
/* Comma-separated list of specs; *out is malloc'd. */
int ew_portlist_parse(const char *s, int default_proto, struct ew_portspec **out, size_t *n,
		      char *err, size_t errlen);
const char *ew_proto_name(int proto_idx);
/* "tcp", "udp", "icmp", "icmpv6" (case-insensitive) to enum ew_proto_idx, or -EINVAL. */
int ew_proto_parse(const char *s);

/* A decimal number in min..max: digits only, no sign, spaces or leading zeros. */
int ew_u64_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
		 size_t errlen);

/*
 * Untrusted text for a message: in double quotes, non-printable bytes, quotes
 * and backslashes as \xNN, cut after 48 bytes. Returns buf.
 */
#define EW_QUOTE_LEN 208
const char *ew_quote(const char *s, char *buf, size_t len);

/* Names of drop reasons and origins, for output and for parsing filters. */
const char *ew_reason_name(int reason);	/* "blocklist", "acl", ...; "reason-N" if unknown */
const char *ew_origin_name(int origin);	/* "manual", "import", "policy", "auto", "fleet" */
int ew_origin_parse(const char *s);		/* -EINVAL if unknown */
int ew_reason_parse(const char *s);		/* enum ew_reason, -EINVAL if unknown */

#endif
