// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strict parsers for addresses, CIDRs, durations, rates and port specs, and
 * the names of reasons, origins and protocols. Everything here sees
 * untrusted words (CLI, API, policy files), so the rule is: accept exactly
 * one spelling, reject the rest with a reason that quotes the input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edgeward/abi.h"
#include "edgeward/blocklist.h"
#include "edgeward/policy.h"
#include "parse.h"

#define NS_PER_S 1000000000ULL
#define RATE_MAX 1000000000ULL

/* Long enough for any valid input and a hint of an invalid one. */
#define QUOTE_MAX 48
#define QUOTE_LEN EW_QUOTE_LEN
_Static_assert(EW_QUOTE_LEN >= QUOTE_MAX * 4 + 8, "EW_QUOTE_LEN holds a quoted word");

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Untrusted text echoed back in a message, in double quotes: printable ASCII
 * is kept, anything else (control characters, UTF-8 bytes, quotes) becomes
 * \xNN so that a message never carries terminal escapes or fake log lines.
 */
const char *ew_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;

	if (len < 16) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; s[i] && o + 8 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == QUOTE_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The n characters at p as a decimal number of at most max: digits only, so
 * no sign, space or "0x"; no leading zero, so "010" is never read as octal
 * by one tool and as ten by another. -EINVAL not a number, -EDOM leading
 * zero, -ERANGE above max.
 */
static int dec_parse(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	char buf[24], *end;
	unsigned long long v;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return -EINVAL;
	if (n > 1 && p[0] == '0')
		return -EDOM;
	if (n >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, p, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno == ERANGE || *end || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ew_u64_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
		 size_t errlen)
{
	char q[QUOTE_LEN];
	uint64_t v;
	int r;

	if (!s || !*s)
		return fail(err, errlen, "empty number");
	r = dec_parse(s, strlen(s), max, &v);
	if (r == -EDOM)
		return fail(err, errlen, "%s: leading zero in a number", ew_quote(s, q, sizeof(q)));
	if (r == -EINVAL)
		return fail(err, errlen, "%s: not a decimal number", ew_quote(s, q, sizeof(q)));
	if (r || v < min)
		return fail(err, errlen, "%s: out of range %llu..%llu", ew_quote(s, q, sizeof(q)),
			    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* ---- addresses and CIDRs ---- */

/* Four decimal octets 0..255 without leading zeros: what inet_pton takes, said plainly. */
static int check_v4(const char *a, const char *in, char *err, size_t errlen)
{
	char q[QUOTE_LEN];
	const char *p = a;
	int groups = 0;

	for (;;) {
		size_t n = 0;
		uint64_t v;
		int r;

		while (is_digit(p[n]))
			n++;
		if (p[n] && p[n] != '.')
			return fail(err, errlen, "%s: invalid character in IPv4 address",
				    ew_quote(in, q, sizeof(q)));
		r = dec_parse(p, n, 255, &v);
		if (r == -EDOM)
			return fail(err, errlen,
				    "%s: leading zero in an octet (octal is not accepted)",
				    ew_quote(in, q, sizeof(q)));
		if (r == -ERANGE)
			return fail(err, errlen, "%s: octet out of range 0..255",
				    ew_quote(in, q, sizeof(q)));
		if (r)
			return fail(err, errlen, "%s: empty octet", ew_quote(in, q, sizeof(q)));
		groups++;
		p += n;
		if (!*p)
			break;
		p++;
	}
	if (groups < 4)
		return fail(err, errlen, "%s: expected four decimal octets (not shorthand)",
			    ew_quote(in, q, sizeof(q)));
	if (groups > 4)
		return fail(err, errlen, "%s: more than four octets", ew_quote(in, q, sizeof(q)));
	return 0;
}

static int check_v6(const char *a, const char *in, char *err, size_t errlen)
{
	const char *p, *dot = strchr(a, '.');
	char q[QUOTE_LEN];

	for (p = a; *p; p++) {
		char c = *p;

		if (c == '%')
			return fail(err, errlen, "%s: zone ids are not accepted",
				    ew_quote(in, q, sizeof(q)));
		if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') &&
		    c != ':' && c != '.')
			return fail(err, errlen, "%s: invalid character in IPv6 address",
				    ew_quote(in, q, sizeof(q)));
	}
	/* An embedded IPv4 tail ("::ffff:192.0.2.1") follows the IPv4 rules. */
	if (dot) {
		const char *tail = strrchr(a, ':') + 1;

		if (dot < tail)
			return fail(err, errlen, "%s: not a valid IPv6 address",
				    ew_quote(in, q, sizeof(q)));
		return check_v4(tail, in, err, errlen);
	}
	return 0;
}

void ew_cidr_mask(struct ew_cidr *c)
{
	unsigned int bytes = c->family == 4 ? 4 : 16;
	unsigned int plen = c->plen < bytes * 8 ? c->plen : bytes * 8;
	unsigned int i;

	for (i = 0; i < sizeof(c->addr); i++) {
		if (i >= bytes || i * 8 >= plen)
			c->addr[i] = 0;
		else if (plen - i * 8 < 8)
			c->addr[i] &= (uint8_t)(0xff << (8 - (plen - i * 8)));
	}
}

int ew_cidr_parse(const char *s, unsigned int flags, struct ew_cidr *out, char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN + 1], q[QUOTE_LEN], canon[EW_CIDR_STRLEN];
	struct ew_cidr c = { 0 }, m;
	const char *slash;
	unsigned int maxlen;
	size_t alen;
	uint64_t plen;
	int r;

	if (!s || !*s)
		return fail(err, errlen, "empty address");
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (slash && (flags & EW_CIDR_ADDR))
		return fail(err, errlen, "%s: expected a bare address, without /N",
			    ew_quote(s, q, sizeof(q)));
	if (alen == 0)
		return fail(err, errlen, "%s: missing address", ew_quote(s, q, sizeof(q)));
	if (alen >= sizeof(a))
		return fail(err, errlen, "%s: address too long", ew_quote(s, q, sizeof(q)));
	memcpy(a, s, alen);
	a[alen] = '\0';

	if (strchr(a, ':')) {
		c.family = 6;
		maxlen = 128;
		r = check_v6(a, s, err, errlen);
		if (!r && inet_pton(AF_INET6, a, c.addr) != 1)
			r = fail(err, errlen, "%s: not a valid IPv6 address",
				 ew_quote(s, q, sizeof(q)));
	} else {
		c.family = 4;
		maxlen = 32;
		r = check_v4(a, s, err, errlen);
		if (!r && inet_pton(AF_INET, a, c.addr) != 1)
			r = fail(err, errlen, "%s: not a valid IPv4 address",
				 ew_quote(s, q, sizeof(q)));
	}
	if (r)
		return r;

	plen = maxlen;
	if (slash) {
		const char *p = slash + 1;

		r = dec_parse(p, strlen(p), maxlen, &plen);
		if (r == -EDOM)
			return fail(err, errlen, "%s: leading zero in prefix length",
				    ew_quote(s, q, sizeof(q)));
		if (r == -ERANGE)
			return fail(err, errlen, "%s: prefix length out of range 0..%u",
				    ew_quote(s, q, sizeof(q)), maxlen);
		if (r)
			return fail(err, errlen, "%s: prefix length must be a decimal number 0..%u",
				    ew_quote(s, q, sizeof(q)), maxlen);
	}
	c.plen = (uint8_t)plen;

	m = c;
	ew_cidr_mask(&m);
	if (memcmp(&m, &c, sizeof(c))) {
		ew_cidr_format(&m, canon, sizeof(canon));
		if (!(flags & EW_CIDR_CANON))
			return fail(err, errlen, "%s: host bits set (did you mean %s?)",
				    ew_quote(s, q, sizeof(q)), canon);
		fail(err, errlen, "%s: host bits set; using %s", ew_quote(s, q, sizeof(q)), canon);
		*out = m;
		return 1;
	}
	*out = c;
	return 0;
}

int ew_addr_format(int family, const uint8_t *addr, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	size_t n;

	if (family != 4 && family != 6)
		return -EINVAL;
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, tmp, sizeof(tmp)))
		return -errno;
	n = strlen(tmp);
	if (n >= len)
		return -ENOSPC;
	memcpy(buf, tmp, n + 1);
	return (int)n;
}

int ew_cidr_format(const struct ew_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int r;

	r = ew_addr_format(c->family, c->addr, a, sizeof(a));
	if (r < 0)
		return r;
	r = snprintf(buf, len, "%s/%u", a, c->plen);
	if (r < 0 || (size_t)r >= len)
		return -ENOSPC;
	return r;
}

bool ew_cidr_contains(const struct ew_cidr *outer, const struct ew_cidr *inner)
{
	unsigned int full, rest;

	if (outer->family != inner->family || outer->plen > inner->plen)
		return false;
	full = outer->plen / 8;
	rest = outer->plen % 8;
	if (memcmp(outer->addr, inner->addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (outer->addr[full] & mask) == (inner->addr[full] & mask);
	}
	return true;
}

/* ---- durations ---- */

static const struct {
	char unit;
	uint64_t s;
} dur_units[] = {
	{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};
#define N_DUR_UNITS (sizeof(dur_units) / sizeof(dur_units[0]))

int ew_duration_parse(const char *s, uint64_t *out_ns, char *err, size_t errlen)
{
	static const char hint[] = "expected e.g. 90s, 15m, 1h30m, 7d or never";
	char q[QUOTE_LEN];
	uint64_t total = 0;
	const char *p;
	int last = -1;

	if (!s || !*s)
		return fail(err, errlen, "empty duration (%s)", hint);
	if (!strcmp(s, "never")) {
		*out_ns = 0;
		return 0;
	}
	for (p = s; *p;) {
		size_t n = 0;
		uint64_t v, ns;
		int u, r;

		while (is_digit(p[n]))
			n++;
		r = dec_parse(p, n, UINT64_MAX, &v);
		if (r == -EDOM)
			return fail(err, errlen, "%s: leading zero in a number",
				    ew_quote(s, q, sizeof(q)));
		if (r == -ERANGE)
			return fail(err, errlen, "%s: duration too long",
				    ew_quote(s, q, sizeof(q)));
		if (r)
			return fail(err, errlen, "%s: not a duration (%s)",
				    ew_quote(s, q, sizeof(q)), hint);
		if (!p[n])
			return fail(err, errlen, "%s: missing unit after %.*s (s, m, h, d or w)",
				    ew_quote(s, q, sizeof(q)), (int)n, p);
		for (u = 0; u < (int)N_DUR_UNITS; u++)
			if (dur_units[u].unit == p[n])
				break;
		if (u == (int)N_DUR_UNITS)
			return fail(err, errlen, "%s: unknown unit (s, m, h, d or w; %s)",
				    ew_quote(s, q, sizeof(q)), hint);
		if (u <= last)
			return fail(err, errlen,
				    "%s: units must go from largest to smallest, each once",
				    ew_quote(s, q, sizeof(q)));
		ns = dur_units[u].s * NS_PER_S;
		if (v > UINT64_MAX / ns || v * ns > UINT64_MAX - total)
			return fail(err, errlen, "%s: duration too long",
				    ew_quote(s, q, sizeof(q)));
		total += v * ns;
		last = u;
		p += n + 1;
	}
	if (!total)
		return fail(err, errlen, "%s: zero duration (use never for no expiry)",
			    ew_quote(s, q, sizeof(q)));
	*out_ns = total;
	return 0;
}

int ew_duration_format(uint64_t ns, char *buf, size_t len)
{
	/* Round up: a block with 0.4 s left has not expired and must not print as "never". */
	uint64_t s = ns / NS_PER_S + (ns % NS_PER_S != 0);
	size_t o = 0, u;
	int r;

	if (!ns) {
		r = snprintf(buf, len, "never");
		return r < 0 || (size_t)r >= len ? -ENOSPC : r;
	}
	if (len)
		buf[0] = '\0';
	for (u = 0; u < N_DUR_UNITS; u++) {
		if (s < dur_units[u].s)
			continue;
		r = snprintf(buf + o, len - o, "%llu%c",
			     (unsigned long long)(s / dur_units[u].s), dur_units[u].unit);
		if (r < 0 || (size_t)r >= len - o)
			return -ENOSPC;
		o += (size_t)r;
		s %= dur_units[u].s;
	}
	return (int)o;
}

/* ---- rates ---- */

static const struct {
	const char *name;
	uint32_t period_s;
} rate_units[] = {
	{ "sec", 1 },	   { "s", 1 },	  { "second", 1 }, { "min", 60 }, { "m", 60 },
	{ "minute", 60 }, { "hour", 3600 }, { "h", 3600 }, { "day", 86400 }, { "d", 86400 },
};

int ew_rate_parse(const char *s, uint32_t *rate, uint32_t *period_s, char *err, size_t errlen)
{
	static const char hint[] = "expected N/sec, N/min, N/hour or N/day, e.g. 25/min";
	const char *slash;
	char q[QUOTE_LEN];
	uint64_t v;
	size_t i;
	int r;

	if (!s || !*s)
		return fail(err, errlen, "empty rate (%s)", hint);
	slash = strchr(s, '/');
	if (!slash)
		return fail(err, errlen, "%s: missing /unit (%s)", ew_quote(s, q, sizeof(q)), hint);
	r = dec_parse(s, (size_t)(slash - s), RATE_MAX, &v);
	if (r == -EDOM)
		return fail(err, errlen, "%s: leading zero in the count",
			    ew_quote(s, q, sizeof(q)));
	if (r == -ERANGE)
		return fail(err, errlen, "%s: count out of range 1..%llu",
			    ew_quote(s, q, sizeof(q)), RATE_MAX);
	if (r)
		return fail(err, errlen, "%s: not a rate (%s)", ew_quote(s, q, sizeof(q)), hint);
	if (v == 0)
		return fail(err, errlen, "%s: count out of range 1..%llu",
			    ew_quote(s, q, sizeof(q)), RATE_MAX);
	for (i = 0; i < sizeof(rate_units) / sizeof(rate_units[0]); i++) {
		if (!strcmp(slash + 1, rate_units[i].name)) {
			*rate = (uint32_t)v;
			*period_s = rate_units[i].period_s;
			return 0;
		}
	}
	return fail(err, errlen, "%s: unknown unit (%s)", ew_quote(s, q, sizeof(q)), hint);
}

int ew_rate_format(uint32_t rate, uint32_t period_s, char *buf, size_t len)
{
	const char *unit;
	int r;

	switch (period_s) {
	case 1:
		unit = "sec";
		break;
	case 60:
		unit = "min";
		break;
	case 3600:
		unit = "hour";
		break;
	case 86400:
		unit = "day";
		break;
	default:
		return -EINVAL;
	}
	r = snprintf(buf, len, "%u/%s", rate, unit);
	return r < 0 || (size_t)r >= len ? -ENOSPC : r;
}

/* ---- ports ---- */

static const char *const proto_names[EW_PI_COUNT] = {
	[EW_PI_TCP] = "tcp",
	[EW_PI_UDP] = "udp",
	[EW_PI_ICMP] = "icmp",
	[EW_PI_ICMP6] = "icmpv6",
};

/* Names of unknown values, one buffer per thread so callers may keep two at once. */
static __thread char unknown_name[2][32];
static __thread int unknown_idx;

static const char *unknown(const char *what, int v)
{
	char *b = unknown_name[unknown_idx++ & 1];

	snprintf(b, sizeof(unknown_name[0]), "%s-%d", what, v);
	return b;
}

const char *ew_proto_name(int proto_idx)
{
	if (proto_idx < 0 || proto_idx >= EW_PI_COUNT)
		return unknown("proto", proto_idx);
	return proto_names[proto_idx];
}

int ew_proto_parse(const char *s)
{
	int i;

	for (i = 0; s && i < EW_PI_COUNT; i++)
		if (!strcasecmp(s, proto_names[i]))
			return i;
	return -EINVAL;
}

static uint64_t port_max(int proto_idx)
{
	return proto_idx == EW_PI_ICMP || proto_idx == EW_PI_ICMP6 ? 255 : 65535;
}

int ew_portspec_parse(const char *s, int default_proto, struct ew_portspec *out, char *err,
		      size_t errlen)
{
	static const char hint[] = "expected PORT[-PORT]/PROTO, e.g. 22/tcp or 6000-6010/udp";
	const char *slash, *dash;
	char q[QUOTE_LEN];
	uint64_t lo, hi, max;
	size_t plen;
	int proto, r;

	if (!s || !*s)
		return fail(err, errlen, "empty port (%s)", hint);
	slash = strchr(s, '/');
	if (slash) {
		proto = ew_proto_parse(slash + 1);
		if (proto < 0)
			return fail(err, errlen, "%s: unknown protocol (tcp, udp, icmp or icmpv6)",
				    ew_quote(s, q, sizeof(q)));
		plen = (size_t)(slash - s);
	} else {
		if (default_proto < 0)
			return fail(err, errlen, "%s: missing protocol (%s)",
				    ew_quote(s, q, sizeof(q)), hint);
		if (default_proto >= EW_PI_COUNT)
			return fail(err, errlen, "%s: bad default protocol %d",
				    ew_quote(s, q, sizeof(q)), default_proto);
		proto = default_proto;
		plen = strlen(s);
	}
	max = port_max(proto);
	dash = memchr(s, '-', plen);
	r = dec_parse(s, dash ? (size_t)(dash - s) : plen, max, &lo);
	hi = lo;
	if (!r && dash)
		r = dec_parse(dash + 1, plen - (size_t)(dash + 1 - s), max, &hi);
	if (r == -EDOM)
		return fail(err, errlen, "%s: leading zero in a port", ew_quote(s, q, sizeof(q)));
	if (r == -ERANGE)
		return fail(err, errlen, "%s: %s out of range 0..%llu", ew_quote(s, q, sizeof(q)),
			    max == 255 ? "ICMP type" : "port", (unsigned long long)max);
	if (r)
		return fail(err, errlen, "%s: not a port (%s)", ew_quote(s, q, sizeof(q)), hint);
	if (lo > hi)
		return fail(err, errlen, "%s: range runs backwards (%llu > %llu)",
			    ew_quote(s, q, sizeof(q)), (unsigned long long)lo,
			    (unsigned long long)hi);
	out->proto_idx = (uint8_t)proto;
	out->lo = (uint16_t)lo;
	out->hi = (uint16_t)hi;
	return 0;
}

int ew_portspec_format(const struct ew_portspec *p, char *buf, size_t len)
{
	int r;

	if (p->proto_idx >= EW_PI_COUNT)
		return -EINVAL;
	if (p->lo == p->hi)
		r = snprintf(buf, len, "%u/%s", p->lo, proto_names[p->proto_idx]);
	else
		r = snprintf(buf, len, "%u-%u/%s", p->lo, p->hi, proto_names[p->proto_idx]);
	return r < 0 || (size_t)r >= len ? -ENOSPC : r;
}

int ew_portlist_parse(const char *s, int default_proto, struct ew_portspec **out, size_t *n,
		      char *err, size_t errlen)
{
	struct ew_portspec *v = NULL;
	char item[32], q[QUOTE_LEN];
	const char *p, *comma;
	size_t cap = 1, i = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!s || !*s)
		return fail(err, errlen, "empty port list");
	for (p = s; *p; p++)
		cap += *p == ',';
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (p = s;; p = comma + 1) {
		size_t len;

		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len) {
			r = fail(err, errlen, "%s: empty item %zu in port list",
				 ew_quote(s, q, sizeof(q)), i + 1);
			goto out;
		}
		if (len >= sizeof(item)) {
			r = fail(err, errlen, "%s: item %zu is not a port",
				 ew_quote(s, q, sizeof(q)), i + 1);
			goto out;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		r = ew_portspec_parse(item, default_proto, &v[i], err, errlen);
		if (r)
			goto out;
		i++;
		if (!comma)
			break;
	}
	*out = v;
	*n = i;
	v = NULL;
out:
	free(v);
	return r;
}

/* ---- names ---- */

static const char *const reason_names[EW_R_COUNT] = {
	[EW_R_PASS] = "pass",
	[EW_R_PASS_ALLOW] = "pass-allowlist",
	[EW_R_PASS_ARP] = "pass-arp",
	[EW_R_PASS_L2] = "pass-l2",
	[EW_R_DROP_L2] = "drop-l2",
	[EW_R_TRUNC_ETH] = "trunc-eth",
	[EW_R_VLAN_DEPTH] = "vlan-depth",
	[EW_R_TRUNC_IP4] = "trunc-ip4",
	[EW_R_BAD_IP4] = "bad-ip4",
	[EW_R_TRUNC_IP6] = "trunc-ip6",
	[EW_R_BAD_IP6] = "bad-ip6",
	[EW_R_IP6_EXT_DEPTH] = "ip6-ext-depth",
	[EW_R_SRCROUTE] = "srcroute",
	[EW_R_TRUNC_L4] = "trunc-l4",
	[EW_R_BAD_L4] = "bad-l4",
	[EW_R_FRAG_TINY] = "frag-tiny",
	[EW_R_NONLINEAR] = "nonlinear",
	[EW_R_BOGON] = "bogon",
	[EW_R_V4MAPPED] = "v4mapped",
	[EW_R_BLOCKLIST] = "blocklist",
	[EW_R_ACL] = "acl",
	[EW_R_RATELIMIT] = "ratelimit",
	[EW_R_DEFAULT_DENY] = "default-deny",
};
/* A reason added to abi.h without a name here breaks the build. */
_Static_assert(EW_R_COUNT == 23, "name every enum ew_reason in reason_names");

const char *ew_reason_name(int reason)
{
	if (reason < 0 || reason >= EW_R_COUNT || !reason_names[reason])
		return unknown("reason", reason);
	return reason_names[reason];
}

int ew_reason_parse(const char *s)
{
	int i;

	for (i = 0; s && i < EW_R_COUNT; i++)
		if (reason_names[i] && !strcmp(s, reason_names[i]))
			return i;
	return -EINVAL;
}

static const char *const origin_names[EW_ORIGIN_COUNT] = {
	[EW_ORIGIN_MANUAL] = "manual", [EW_ORIGIN_IMPORT] = "import", [EW_ORIGIN_POLICY] = "policy",
	[EW_ORIGIN_AUTO] = "auto",     [EW_ORIGIN_FLEET] = "fleet",
};
_Static_assert(EW_ORIGIN_COUNT == 5, "name every enum ew_origin in origin_names");

const char *ew_origin_name(int origin)
{
	if (origin < 0 || origin >= EW_ORIGIN_COUNT)
		return unknown("origin", origin);
	return origin_names[origin];
}

int ew_origin_parse(const char *s)
{
	int i;

	for (i = 0; s && i < EW_ORIGIN_COUNT; i++)
		if (!strcmp(s, origin_names[i]))
			return i;
	return -EINVAL;
}
