/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test packet builder and runner for the XDP program.
 *
 * A frame is described by a struct pkt_spec (one table row's worth of
 * fields, all optional) and built honestly: lengths, checksums and
 * next-header chains are computed, then the fields a row overrides lie.
 * Every field whose zero value means "choose for me" takes an explicit
 * zero as PKT_SET(0) (e.g. .ihl = PKT_SET(0), .dport = PKT_SET(0)); any
 * non-zero value may be written plainly.
 *
 * The runner feeds a frame to the program with BPF_PROG_TEST_RUN and checks
 * the per-reason counters around it: exactly one reason must move, by the
 * number of packets run and by their bytes (the program counts the whole
 * frame, every buffer).
 *
 * Everything here is linked into every BPF test, fuzz and bench binary:
 * names start with pkt_, nothing runs unless called.
 */
#ifndef EW_TEST_PKT_H
#define EW_TEST_PKT_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeward/abi.h"

#define PKT_EXPLICIT	0x40000000
#define PKT_SET(x)	((int)((unsigned int)(x) | PKT_EXPLICIT))

#define PKT_MAX_LEN	16384	/* largest frame the builder makes */
#define PKT_MAX_VLAN	8
#define PKT_MAX_EXT	16

/* IPv6 extension headers, by role; the next-header number is derived. */
enum pkt_ext_type {
	PKT_EXT_END = 0,	/* end of the list */
	PKT_HOP,		/* hop-by-hop options (0) */
	PKT_RT,			/* routing (43) */
	PKT_FRAG,		/* fragment (44) */
	PKT_AH,			/* authentication header (51) */
	PKT_DST,		/* destination options (60) */
	PKT_RAW,		/* any number in .num, laid out like destination options */
};

struct pkt_ext {
	int type;		/* enum pkt_ext_type */
	int num;		/* PKT_RAW: its next-header number */
	int len;		/* Hdr Ext Len field: 8-byte units beyond the first 8 (AH: 4-byte
				 * units minus 2). 0 = the smallest (AH: 4, 24 bytes; RT: 2) */
	int rt_type;		/* routing type; 0 = 4 (segment routing) */
	int rt_left;		/* segments left */
	int frag_off;		/* fragment offset, 8-byte units */
	int m;			/* fragment: more fragments follow */
	int nh;			/* override this header's Next Header field */
};

/* No IP header: the ethertype (default 0x88b5, local experimental) and the payload. */
#define PKT_NOIP	1

/* Anchors for truncation: cut the frame at anchor + .cut bytes. */
enum pkt_at {
	PKT_AT_NONE = 0,
	PKT_AT_ABS,		/* from the frame's first byte */
	PKT_AT_VLAN,		/* the first VLAN tag after the 14-byte Ethernet header (+4 per tag) */
	PKT_AT_L3,		/* the IPv4/IPv6 header */
	PKT_AT_OPT,		/* the IPv4 options */
	PKT_AT_EXT0,		/* IPv6 extension header 0 (PKT_AT_EXT0 + i for header i) */
	PKT_AT_L4 = PKT_AT_EXT0 + PKT_MAX_EXT,	/* TCP/UDP/ICMP header */
	PKT_AT_PAY,		/* payload after the L4 header */
};

struct pkt_spec {
	/* L2 */
	int vlans;		/* tags, outermost first */
	int tpid[PKT_MAX_VLAN];	/* 0 = 0x8100 (802.1Q); 0x88a8 for 802.1ad */
	int ethertype;		/* 0 = from the family */

	/* L3 */
	int family;		/* 0 or 4 = IPv4, 6 = IPv6, PKT_NOIP = none */
	const char *src;	/* NULL = 198.18.0.10 / 2001:db8:1::10 */
	const char *dst;	/* NULL = 192.0.2.1 / 2001:db8::1 */
	int version;		/* IP version field; 0 = 4 or 6 */
	int ihl;		/* 0 = 5 + options / 4 */
	unsigned char opt[40];	/* IPv4 options, padded with EOL to a multiple of 4 */
	int opt_len;
	int frag;		/* IPv4 fragment offset, 8-byte units */
	int mf;			/* IPv4 more fragments */
	int df;
	int tot_len;		/* IPv4 total length / IPv6 payload length; 0 = computed */
	int ttl;		/* 0 = 64 */
	int proto;		/* IPv4 protocol / IPv6 upper-layer header; 0 = TCP */
	struct pkt_ext ext[PKT_MAX_EXT];	/* IPv6 extension headers, ended by PKT_EXT_END */

	/* L4 */
	int sport;		/* 0 = 40000 */
	int dport;		/* 0 = 80 */
	int flags;		/* TCP flags byte; 0 = SYN */
	int doff;		/* 0 = 5 (more: NOP options are written) */
	int udp_len;		/* 0 = computed */
	int icmp_type;		/* 0 = echo request (8 / 128) */
	int icmp_code;

	/* Size */
	int payload;		/* bytes after the L4 header */
	int frame_len;		/* grow the payload until the frame is this long */
	int pad_to;		/* Ethernet padding (outside the IP datagram) up to this length */
	int cut_at;		/* enum pkt_at: truncate the frame at anchor + cut */
	int cut;

	/* Test run */
	int linear;		/* bytes in the linear part; 0 = the kernel's choice (~3520) */
};

/*
 * Where the builder put each header, -1 when absent. l4 is where the
 * upper-layer header starts (= pay when the protocol has none we build).
 */
struct pkt_layout {
	int len;
	int vlan[PKT_MAX_VLAN];
	int l3, opt, l4, pay;
	int ext[PKT_MAX_EXT];
	int n_ext;
};

/* Build into buf (PKT_MAX_LEN bytes). Returns the frame length or -EINVAL (bad spec). */
int pkt_build(const struct pkt_spec *s, uint8_t *buf, struct pkt_layout *lay);

/* One line describing the spec, for failure messages. */
const char *pkt_describe(const struct pkt_spec *s, char *buf, size_t len);

/* Internet checksum helpers (exposed for the fuzzer's mutations). */
uint16_t pkt_csum(const void *data, size_t len, uint32_t sum);
void pkt_ip4_fix_csum(uint8_t *ip);

/* ---- running frames ---- */

#define XDP_VERDICT_NAME(v) ((v) == 1 ? "XDP_DROP" : (v) == 2 ? "XDP_PASS" : "XDP_?")

/*
 * One BPF_PROG_TEST_RUN of frame (len bytes), linear bytes in the linear
 * part (0 = default). Returns 0 and the program's return in *retval, or a
 * negative errno.
 */
int pkt_run(int prog_fd, const void *frame, uint32_t len, uint32_t linear, uint32_t repeat,
	    uint32_t *retval);

struct ew_maps;

/* Counters summed over CPUs (stats_read). */
int pkt_stats(struct ew_maps *m, struct ew_counter c[EW_R_MAX]);

/*
 * Did exactly one reason move between before and after, by packets and
 * bytes? Returns that reason, or -1 with why filled in.
 */
int pkt_stats_moved(const struct ew_counter before[EW_R_MAX], const struct ew_counter after[EW_R_MAX],
		    uint64_t packets, uint64_t bytes, char *why, size_t whylen);

/* Name of a reason for messages ("blocklist"), from ew_reason_name. */
const char *pkt_reason_name(int reason);

#endif
