// SPDX-License-Identifier: GPL-2.0-only
/*
 * The datapath over the real program: a table of named fixtures, each a
 * setup (policy, blocklist), a packet, the expected verdict and the expected
 * reason. Every row also checks that exactly one reason counter moved, by
 * the row's packets and their bytes.
 *
 * Rows run in order. A row's policy is applied when it differs from the
 * live one; its blocklist entries are added before it runs and removed
 * after; rate-limit buckets are cleared before every row unless the row
 * says .keep (sequences such as "100 SYNs pass, then 5 are limited").
 *
 * After the table, sweeps cut a few frames at every length through their
 * headers (and shrink their linear part byte by byte) and check the reason
 * each region of the headers must give.
 *
 * Usage: test_datapath [NAME-SUBSTRING]   (root; exit 77 otherwise)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "pkt.h"
#include "tenv.h"

/* ---- policies ---- */

struct policy {
	const char *name;
	const char *file;	/* repository-relative YAML file */
	const char *yaml;	/* YAML text */
	int (*build)(struct ew_policy_doc *doc);	/* a document built in C */
};

/* The guide's firewall section, as shipped. */
static const struct policy P_GUIDE = { .name = "guide", .file = "examples/edgeward.yaml" };

/* Everything denied that can be: default-deny for TCP, UDP and ICMP, non-IP dropped. */
static const struct policy P_STRICT = {
	.name = "strict",
	.yaml = "version: 1\n"
		"default: { tcp: deny, udp: deny, icmp: deny, bogons: drop, v4mapped: drop,"
		" non_ip: drop }\n"
		"open: [80/tcp, 0/tcp, 53/udp, 65535/udp, 8/icmp, 128/icmpv6]\n",
};

static const struct policy P_ALLOW = {
	.name = "allowlist",
	.yaml = "version: 1\n"
		"default: { tcp: deny, udp: deny, bogons: drop }\n"
		"open: [80/tcp]\n"
		"allow: [198.51.100.7/32, 2001:db8:aa::/48, 127.0.0.0/8]\n"
		"acl:\n"
		"  - port: 22/tcp\n"
		"    from: [192.168.0.0/16]\n",
};

/* An ACL with more IPv4 sources than fit inline (EW_ACL_INLINE): the LPM trie decides. */
static const struct policy P_ACL_BIG = {
	.name = "acl-big",
	.yaml = "version: 1\n"
		"default: { tcp: deny }\n"
		"acl:\n"
		"  - port: 22/tcp\n"
		"    from: [10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24, 10.0.3.0/24, 10.0.4.0/24,\n"
		"           10.0.5.0/24, 10.0.6.0/24, 10.0.7.0/24, 10.0.8.0/24, 2001:db8::/32]\n"
		"  - port: 23/tcp\n"
		"    from: [2001:db8::/32]\n",
};

/* Allowlist entries shorter than the hint granularity (/16 for IPv4, /32 for IPv6). */
static const struct policy P_ALLOW_WIDE = {
	.name = "allowlist-wide",
	.yaml = "version: 1\n"
		"default: { tcp: deny }\n"
		"open: [80/tcp]\n"
		"allow: [10.0.0.0/8, 2001:db8::/16]\n",
};

static const struct policy P_V4MAP_OFF = {
	.name = "v4mapped-off",
	.yaml = "version: 1\n"
		"default: { tcp: allow, bogons: drop, v4mapped: allow }\n",
};

/* Rate-limit classes that count packets, and a connection class on UDP. */
static const struct policy P_RL = {
	.name = "ratelimit",
	.yaml = "version: 1\n"
		"default: { tcp: deny, udp: deny }\n"
		"open: [80/tcp, 8080/tcp, 53/udp]\n"
		"ratelimit:\n"
		"  - name: web\n"
		"    ports: [80/tcp]\n"
		"    rate: 25/min\n"
		"    burst: 100\n"
		"    count: conn\n"
		"  - name: pkts\n"
		"    ports: [8080/tcp]\n"
		"    rate: 25/min\n"
		"    burst: 3\n"
		"    count: pkt\n"
		"  - name: dns\n"
		"    ports: [53/udp]\n"
		"    rate: 1/min\n"
		"    burst: 2\n"
		"    count: conn\n",
};

static int doc_port(struct ew_portspec **v, size_t *n, int proto, int lo, int hi)
{
	struct ew_portspec *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[*n] = (struct ew_portspec){ .proto_idx = proto, .lo = lo, .hi = hi };
	*v = nv;
	++*n;
	return 0;
}

/*
 * Port 0 and 65535 the other way round from P_STRICT, ICMP denied, and ACLs
 * with IPv6 sources on TCP, a TCP port range, UDP, ICMP and ICMPv6.
 */
static int build_ports(struct ew_policy_doc *d)
{
	static const char *from[] = { "10.9.0.0/16", "2001:db8:ac1::/48" };
	static const struct ew_portspec acl[] = {
		{ .proto_idx = EW_PI_TCP, .lo = 2222, .hi = 2222 },
		{ .proto_idx = EW_PI_TCP, .lo = 6000, .hi = 6010 },
		{ .proto_idx = EW_PI_UDP, .lo = 161, .hi = 161 },
		{ .proto_idx = EW_PI_ICMP, .lo = 8, .hi = 8 },
		{ .proto_idx = EW_PI_ICMP6, .lo = 128, .hi = 128 },
	};
	size_t n = sizeof(acl) / sizeof(acl[0]);

	d->flags = EW_POL_TCP_DENY | EW_POL_UDP_DENY | EW_POL_ICMP_DENY | EW_POL_BOGONS |
		   EW_POL_V4MAPPED;
	if (doc_port(&d->open, &d->n_open, EW_PI_TCP, 65535, 65535) ||
	    doc_port(&d->open, &d->n_open, EW_PI_UDP, 0, 0) ||
	    doc_port(&d->open, &d->n_open, EW_PI_TCP, 80, 80))
		return -ENOMEM;
	d->acl = calloc(n, sizeof(*d->acl));
	if (!d->acl)
		return -ENOMEM;
	d->n_acl = n;
	for (size_t k = 0; k < n; k++) {
		d->acl[k].port = acl[k];
		d->acl[k].from = calloc(2, sizeof(struct ew_cidr));
		if (!d->acl[k].from)
			return -ENOMEM;
		d->acl[k].n_from = 2;
		for (int i = 0; i < 2; i++)
			d->acl[k].from[i] = tenv_cidr(from[i]);
	}
	return 0;
}
static const struct policy P_PORTS = { .name = "ports (C)", .build = build_ports };

/* Nothing but the defaults of ew_policy_doc_init: everything passes, bogons too. */
static int build_open(struct ew_policy_doc *d)
{
	(void)d;
	return 0;
}
static const struct policy P_OPEN = { .name = "open (C)", .build = build_open };

/* ---- rows ---- */

enum { EXP_NEVER = 0, EXP_FUTURE, EXP_PAST };

struct blk {
	const char *cidr;
	int exp;	/* EXP_NEVER, EXP_FUTURE (now + 10 s), EXP_PAST (now - 1 ns) */
};

struct row {
	const char *name;
	const struct policy *pol;	/* NULL: whatever is live */
	struct blk block[6];		/* added before the row */
	const char *unblock[3];		/* then deleted (tests the delete path) */
	const char *refill;		/* "advance the clock" for this source's buckets */
	int keep;			/* keep the rate-limit buckets of the rows before */
	int repeat;			/* packets to send; 0 = 1 */
	struct pkt_spec pkt;
	int verdict;
	int reason;
};

#define PASS(r) .verdict = XDP_PASS, .reason = (r)
#define DROP(r) .verdict = XDP_DROP, .reason = (r)

#define SYN	0x02
#define ACK	0x10
#define FIN	0x01
#define RST	0x04
#define PSH	0x08

#define CUT(at, n) .cut_at = (at), .cut = (n)
#define EXT(t, ...) { .type = (t), __VA_ARGS__ }

#define NOP40 { [0 ... 39] = 1 }

/* IPv4 source routing: LSRR/SSRR with one hop address, 7 bytes. */
#define LSRR 0x83, 7, 4, 10, 0, 0, 1
#define SSRR 0x89, 7, 4, 10, 0, 0, 1

static const struct row rows[] = {
	/* ---- before any policy: the empty policy the loader installs ---- */
	{ "fresh load: SYN to any port passes", .pkt = { .dport = 8080 }, PASS(EW_R_PASS) },
	{ "fresh load: ARP passes", .pkt = { .family = PKT_NOIP, .ethertype = 0x0806, .payload = 28 },
	  PASS(EW_R_PASS_ARP) },

	/* ---- L2: Ethernet, VLAN stacks, non-IP ---- */
	{ "eth: 14-byte frame, IPv4 ethertype", &P_GUIDE, .pkt = { CUT(PKT_AT_L3, 0) },
	  DROP(EW_R_TRUNC_IP4) },
	{ "eth: 14-byte frame, IPv6 ethertype", &P_GUIDE, .pkt = { .family = 6, CUT(PKT_AT_L3, 0) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "eth: 14-byte frame, 802.1Q ethertype", &P_GUIDE,
	  .pkt = { .vlans = 1, CUT(PKT_AT_VLAN, 0) }, DROP(EW_R_TRUNC_ETH) },
	{ "vlan: cut inside the tag (16 bytes)", &P_GUIDE,
	  .pkt = { .vlans = 1, CUT(PKT_AT_VLAN, 2) }, DROP(EW_R_TRUNC_ETH) },
	{ "vlan: cut inside the second tag", &P_GUIDE,
	  .pkt = { .vlans = 2, CUT(PKT_AT_VLAN, 6) }, DROP(EW_R_TRUNC_ETH) },
	{ "vlan: 2 tags then nothing", &P_GUIDE, .pkt = { .vlans = 2, CUT(PKT_AT_L3, 0) },
	  DROP(EW_R_TRUNC_IP4) },
	{ "vlan: 1 tag (802.1Q), SYN to 80", &P_GUIDE, .pkt = { .vlans = 1 }, PASS(EW_R_PASS) },
	{ "vlan: 1 tag (802.1ad), SYN to 80", &P_GUIDE, .pkt = { .vlans = 1, .tpid = { 0x88a8 } },
	  PASS(EW_R_PASS) },
	{ "vlan: 2 tags (802.1ad + 802.1Q), SYN to 80", &P_GUIDE,
	  .pkt = { .vlans = 2, .tpid = { 0x88a8, 0x8100 } }, PASS(EW_R_PASS) },
	{ "vlan: 2 tags, IPv6", &P_GUIDE, .pkt = { .family = 6, .vlans = 2 }, PASS(EW_R_PASS) },
	{ "vlan: 2 tags, SYN to closed port still judged", &P_GUIDE,
	  .pkt = { .vlans = 2, .dport = 8080 }, DROP(EW_R_DEFAULT_DENY) },
	{ "vlan: 2 tags, blocklisted source still judged", &P_GUIDE,
	  .block = { { .cidr = "198.18.0.0/24" } }, .pkt = { .vlans = 2 }, DROP(EW_R_BLOCKLIST) },
	{ "vlan: 3 tags (beyond EW_VLAN_MAX)", &P_GUIDE, .pkt = { .vlans = 3 },
	  DROP(EW_R_VLAN_DEPTH) },
	{ "vlan: 3 tags, cut after the third TPID", &P_GUIDE,
	  .pkt = { .vlans = 3, CUT(PKT_AT_VLAN, 8) }, DROP(EW_R_VLAN_DEPTH) },
	{ "vlan: 5 tags of 802.1ad", &P_GUIDE,
	  .pkt = { .vlans = 5, .tpid = { 0x88a8, 0x88a8, 0x88a8, 0x88a8, 0x88a8 } },
	  DROP(EW_R_VLAN_DEPTH) },
	{ "vlan: 3 tags, ARP", &P_GUIDE,
	  .pkt = { .vlans = 3, .family = PKT_NOIP, .ethertype = 0x0806, .payload = 28 },
	  DROP(EW_R_VLAN_DEPTH) },
	{ "arp: a 14-byte ARP frame passes (the stack drops it)", &P_GUIDE,
	  .pkt = { .family = PKT_NOIP, .ethertype = 0x0806 }, PASS(EW_R_PASS_ARP) },
	{ "arp passes", &P_GUIDE, .pkt = { .family = PKT_NOIP, .ethertype = 0x0806, .payload = 28 },
	  PASS(EW_R_PASS_ARP) },
	{ "arp in 2 vlan tags passes", &P_GUIDE,
	  .pkt = { .vlans = 2, .family = PKT_NOIP, .ethertype = 0x0806, .payload = 28 },
	  PASS(EW_R_PASS_ARP) },
	{ "arp passes under non_ip: drop", &P_STRICT,
	  .pkt = { .family = PKT_NOIP, .ethertype = 0x0806, .payload = 28 }, PASS(EW_R_PASS_ARP) },
	{ "non-ip: LLDP under non_ip: allow", &P_GUIDE,
	  .pkt = { .family = PKT_NOIP, .ethertype = 0x88cc, .payload = 46 }, PASS(EW_R_PASS_L2) },
	{ "non-ip: LLDP under non_ip: drop", &P_STRICT,
	  .pkt = { .family = PKT_NOIP, .ethertype = 0x88cc, .payload = 46 }, DROP(EW_R_DROP_L2) },
	{ "non-ip: IPX in a vlan under non_ip: drop", &P_STRICT,
	  .pkt = { .vlans = 1, .family = PKT_NOIP, .ethertype = 0x8137, .payload = 46 },
	  DROP(EW_R_DROP_L2) },
	{ "non-ip: 14-byte frame of an unknown ethertype", &P_GUIDE,
	  .pkt = { .family = PKT_NOIP, .ethertype = 0x88b5 }, PASS(EW_R_PASS_L2) },

	/* ---- IPv4 header ---- */
	{ "ipv4: cut inside the header (10 bytes)", &P_GUIDE, .pkt = { CUT(PKT_AT_L3, 10) },
	  DROP(EW_R_TRUNC_IP4) },
	{ "ipv4: cut inside the header (19 bytes)", &P_GUIDE, .pkt = { CUT(PKT_AT_L3, 19) },
	  DROP(EW_R_TRUNC_IP4) },
	{ "ipv4: cut inside options (ihl 15, 20 of 40 bytes)", &P_GUIDE,
	  .pkt = { .opt = NOP40, .opt_len = 40, CUT(PKT_AT_OPT, 20) }, DROP(EW_R_TRUNC_IP4) },
	{ "ipv4: cut in the last option byte", &P_GUIDE,
	  .pkt = { .opt = NOP40, .opt_len = 8, CUT(PKT_AT_OPT, 7) }, DROP(EW_R_TRUNC_IP4) },
	{ "ipv4: ihl 0", &P_GUIDE, .pkt = { .ihl = PKT_SET(0) }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: ihl 1", &P_GUIDE, .pkt = { .ihl = 1 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: ihl 2", &P_GUIDE, .pkt = { .ihl = 2 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: ihl 3", &P_GUIDE, .pkt = { .ihl = 3 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: ihl 4", &P_GUIDE, .pkt = { .ihl = 4 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: ihl 4 from an allowlisted source", &P_ALLOW,
	  .pkt = { .src = "198.51.100.7", .ihl = 4 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: ihl 15, 40 bytes of NOP options", &P_GUIDE, .pkt = { .opt = NOP40, .opt_len = 40 },
	  PASS(EW_R_PASS) },
	{ "ipv4: ihl 15 NOPs, SYN to closed port still judged", &P_GUIDE,
	  .pkt = { .opt = NOP40, .opt_len = 40, .dport = 8080 }, DROP(EW_R_DEFAULT_DENY) },
	{ "ipv4: ihl 6, one word of NOPs", &P_GUIDE, .pkt = { .opt = NOP40, .opt_len = 4 },
	  PASS(EW_R_PASS) },
	{ "ipv4: ihl 6 claims options the frame lacks (cut at 20)", &P_GUIDE,
	  .pkt = { .ihl = 6, CUT(PKT_AT_L3, 20) }, DROP(EW_R_TRUNC_IP4) },
	{ "ipv4: version 6 under the IPv4 ethertype", &P_GUIDE, .pkt = { .version = 6 },
	  DROP(EW_R_BAD_IP4) },
	{ "ipv4: version 0", &P_GUIDE, .pkt = { .version = PKT_SET(0) }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: total length 19 < header", &P_GUIDE, .pkt = { .tot_len = 19 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: total length 0", &P_GUIDE, .pkt = { .tot_len = PKT_SET(0) }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: total length 23 < ihl 6 header", &P_GUIDE,
	  .pkt = { .opt = NOP40, .opt_len = 4, .tot_len = 23 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: LSRR option", &P_GUIDE, .pkt = { .opt = { LSRR }, .opt_len = 7 },
	  DROP(EW_R_SRCROUTE) },
	{ "ipv4: SSRR option", &P_GUIDE, .pkt = { .opt = { SSRR }, .opt_len = 7 },
	  DROP(EW_R_SRCROUTE) },
	{ "ipv4: LSRR after two NOPs", &P_GUIDE, .pkt = { .opt = { 1, 1, LSRR }, .opt_len = 9 },
	  DROP(EW_R_SRCROUTE) },
	{ "ipv4: LSRR after record-route", &P_GUIDE,
	  .pkt = { .opt = { 0x07, 7, 4, 0, 0, 0, 0, LSRR }, .opt_len = 14 }, DROP(EW_R_SRCROUTE) },
	{ "ipv4: LSRR on a non-first fragment", &P_GUIDE,
	  .pkt = { .opt = { LSRR }, .opt_len = 7, .frag = 10 }, DROP(EW_R_SRCROUTE) },
	{ "ipv4: LSRR from an allowlisted source", &P_ALLOW,
	  .pkt = { .src = "198.51.100.7", .opt = { LSRR }, .opt_len = 7 }, DROP(EW_R_SRCROUTE) },
	{ "ipv4: record-route option passes", &P_GUIDE,
	  .pkt = { .opt = { 0x07, 7, 4, 0, 0, 0, 0 }, .opt_len = 7 }, PASS(EW_R_PASS) },
	{ "ipv4: timestamp option passes", &P_GUIDE,
	  .pkt = { .opt = { 0x44, 12, 5, 0 }, .opt_len = 12 }, PASS(EW_R_PASS) },
	{ "ipv4: router-alert option passes", &P_GUIDE,
	  .pkt = { .opt = { 0x94, 4, 0, 0 }, .opt_len = 4 }, PASS(EW_R_PASS) },
	{ "ipv4: bytes after end-of-options are ignored", &P_GUIDE,
	  .pkt = { .opt = { 0, LSRR }, .opt_len = 8 }, PASS(EW_R_PASS) },
	{ "ipv4: option length 0", &P_GUIDE, .pkt = { .opt = { 0x07, 0, 0, 0 }, .opt_len = 4 },
	  DROP(EW_R_BAD_IP4) },
	{ "ipv4: option length 1", &P_GUIDE, .pkt = { .opt = { 0x07, 1, 0, 0 }, .opt_len = 4 },
	  DROP(EW_R_BAD_IP4) },
	{ "ipv4: option length beyond the header", &P_GUIDE,
	  .pkt = { .opt = { 0x07, 9, 4, 0 }, .opt_len = 4 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: LSRR length beyond the header", &P_GUIDE,
	  .pkt = { .opt = { 0x83, 39, 4, 0 }, .opt_len = 8 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: option type in the last byte, no length", &P_GUIDE,
	  .pkt = { .opt = { 1, 1, 1, 0x07 }, .opt_len = 4 }, DROP(EW_R_BAD_IP4) },
	{ "ipv4: 40 bytes, one 40-byte option", &P_GUIDE,
	  .pkt = { .opt = { 0x07, 39, 4 }, .opt_len = 40 }, PASS(EW_R_PASS) },
	{ "ipv4: unknown protocol (GRE) passes L3 rules", &P_GUIDE,
	  .pkt = { .proto = 47, .payload = 24 }, PASS(EW_R_PASS) },
	{ "ipv4: unknown protocol from a blocklisted source", &P_GUIDE,
	  .block = { { .cidr = "198.18.0.0/15" } }, .pkt = { .proto = 47, .payload = 24 },
	  DROP(EW_R_BLOCKLIST) },

	/* ---- IPv4 fragments ---- */
	{ "frag4: first fragment (MF) with the whole TCP header", &P_GUIDE,
	  .pkt = { .mf = 1, .payload = 64 }, PASS(EW_R_PASS) },
	{ "frag4: first fragment (MF), SYN to closed port judged", &P_GUIDE,
	  .pkt = { .mf = 1, .payload = 64, .dport = 8080 }, DROP(EW_R_DEFAULT_DENY) },
	{ "frag4: first fragment (MF), TCP cut at 8 bytes", &P_GUIDE,
	  .pkt = { .mf = 1, CUT(PKT_AT_L4, 8) }, DROP(EW_R_FRAG_TINY) },
	{ "frag4: first fragment (MF), TCP cut at 19 bytes", &P_GUIDE,
	  .pkt = { .mf = 1, CUT(PKT_AT_L4, 19) }, DROP(EW_R_FRAG_TINY) },
	{ "frag4: first fragment (MF), no L4 byte at all", &P_GUIDE,
	  .pkt = { .mf = 1, CUT(PKT_AT_L4, 0) }, DROP(EW_R_FRAG_TINY) },
	{ "frag4: first fragment (MF), UDP cut at 4 bytes", &P_GUIDE,
	  .pkt = { .proto = IPPROTO_UDP, .mf = 1, CUT(PKT_AT_L4, 4) }, DROP(EW_R_FRAG_TINY) },
	{ "frag4: first fragment (MF), ICMP cut at 4 bytes", &P_GUIDE,
	  .pkt = { .proto = IPPROTO_ICMP, .mf = 1, CUT(PKT_AT_L4, 4) }, DROP(EW_R_FRAG_TINY) },
	{ "frag4: first fragment (MF), 8 bytes of TCP by total length, padded to 60", &P_GUIDE,
	  .pkt = { .mf = 1, .flags = ACK, .dport = 8080, .tot_len = 28, .pad_to = 60 },
	  DROP(EW_R_FRAG_TINY) },
	{ "frag4: non-first fragment looking like TCP/22 from outside the ACL", &P_GUIDE,
	  .pkt = { .src = "8.8.8.8", .frag = 3, .dport = 22 }, PASS(EW_R_PASS) },
	{ "frag4: non-first fragment looking like a SYN to a closed port", &P_GUIDE,
	  .pkt = { .src = "8.8.8.8", .frag = 3, .mf = 1, .dport = 8080 }, PASS(EW_R_PASS) },
	{ "frag4: non-first fragment from a blocklisted source", &P_GUIDE,
	  .block = { { .cidr = "8.8.8.0/24" } }, .pkt = { .src = "8.8.8.8", .frag = 3, .dport = 22 },
	  DROP(EW_R_BLOCKLIST) },
	{ "frag4: non-first fragment from a bogon source", &P_GUIDE,
	  .pkt = { .src = "127.0.0.1", .frag = 3 }, DROP(EW_R_BOGON) },
	{ "frag4: non-first fragment from an allowlisted source (nothing to override)", &P_ALLOW,
	  .pkt = { .src = "198.51.100.7", .frag = 3 }, PASS(EW_R_PASS) },
	{ "frag4: non-first fragment from an allowlisted, blocklisted source", &P_ALLOW,
	  .block = { { .cidr = "198.51.100.0/24" } }, .pkt = { .src = "198.51.100.7", .frag = 3 },
	  PASS(EW_R_PASS_ALLOW) },
	{ "frag4: TCP at offset 1 (RFC 1858)", &P_GUIDE, .pkt = { .frag = 1, .mf = 1 },
	  DROP(EW_R_FRAG_TINY) },
	{ "frag4: TCP at offset 1, last fragment", &P_GUIDE, .pkt = { .frag = 1 },
	  DROP(EW_R_FRAG_TINY) },
	{ "frag4: UDP at offset 1 is an ordinary later fragment", &P_GUIDE,
	  .pkt = { .proto = IPPROTO_UDP, .frag = 1 }, PASS(EW_R_PASS) },
	{ "frag4: TCP at offset 2", &P_GUIDE, .pkt = { .frag = 2, .mf = 1 }, PASS(EW_R_PASS) },
	{ "frag4: last fragment at the highest offset", &P_GUIDE, .pkt = { .frag = 0x1fff },
	  PASS(EW_R_PASS) },
	{ "frag4: DF set, SYN to 80", &P_GUIDE, .pkt = { .df = 1 }, PASS(EW_R_PASS) },

	/* ---- TCP, UDP, ICMP headers ---- */
	{ "tcp: cut at 1 byte", &P_GUIDE, .pkt = { CUT(PKT_AT_L4, 1) }, DROP(EW_R_TRUNC_L4) },
	{ "tcp: cut at 13 bytes (before the flags)", &P_GUIDE, .pkt = { CUT(PKT_AT_L4, 13) },
	  DROP(EW_R_TRUNC_L4) },
	{ "tcp: cut at 19 bytes", &P_GUIDE, .pkt = { CUT(PKT_AT_L4, 19) }, DROP(EW_R_TRUNC_L4) },
	{ "tcp: header complete, no payload", &P_GUIDE, .pkt = { CUT(PKT_AT_L4, 20) },
	  PASS(EW_R_PASS) },
	{ "tcp: doff 0", &P_GUIDE, .pkt = { .doff = PKT_SET(0) }, DROP(EW_R_BAD_L4) },
	{ "tcp: doff 1", &P_GUIDE, .pkt = { .doff = 1 }, DROP(EW_R_BAD_L4) },
	{ "tcp: doff 2", &P_GUIDE, .pkt = { .doff = 2 }, DROP(EW_R_BAD_L4) },
	{ "tcp: doff 3", &P_GUIDE, .pkt = { .doff = 3 }, DROP(EW_R_BAD_L4) },
	{ "tcp: doff 4", &P_GUIDE, .pkt = { .doff = 4 }, DROP(EW_R_BAD_L4) },
	{ "tcp: doff 4, ACK", &P_GUIDE, .pkt = { .doff = 4, .flags = ACK }, DROP(EW_R_BAD_L4) },
	{ "tcp: doff 5", &P_GUIDE, .pkt = { .doff = 5 }, PASS(EW_R_PASS) },
	{ "tcp: doff 15 (40 bytes of NOP options)", &P_GUIDE, .pkt = { .doff = 15 },
	  PASS(EW_R_PASS) },
	/* The filter reads only the fixed 20 bytes; options cut short are the stack's to drop. */
	{ "tcp: doff 15, frame cut after 20 bytes (options not read)", &P_GUIDE,
	  .pkt = { .doff = 15, CUT(PKT_AT_L4, 20) }, PASS(EW_R_PASS) },
	{ "udp: cut at 7 bytes", &P_GUIDE, .pkt = { .proto = IPPROTO_UDP, CUT(PKT_AT_L4, 7) },
	  DROP(EW_R_TRUNC_L4) },
	{ "udp: length 0", &P_GUIDE, .pkt = { .proto = IPPROTO_UDP, .udp_len = PKT_SET(0) },
	  DROP(EW_R_BAD_L4) },
	{ "udp: length 7", &P_GUIDE, .pkt = { .proto = IPPROTO_UDP, .udp_len = 7 },
	  DROP(EW_R_BAD_L4) },
	{ "udp: length 8, no payload", &P_GUIDE, .pkt = { .proto = IPPROTO_UDP, .dport = 5353 },
	  PASS(EW_R_PASS) },
	{ "udp: ipv6 length 0 (no jumbograms)", &P_GUIDE,
	  .pkt = { .family = 6, .proto = IPPROTO_UDP, .udp_len = PKT_SET(0) }, DROP(EW_R_BAD_L4) },
	{ "icmp: cut at 7 bytes", &P_GUIDE, .pkt = { .proto = IPPROTO_ICMP, CUT(PKT_AT_L4, 7) },
	  DROP(EW_R_TRUNC_L4) },
	{ "icmp: 8 bytes, echo request", &P_GUIDE, .pkt = { .proto = IPPROTO_ICMP },
	  PASS(EW_R_PASS) },
	{ "icmpv6: cut at 4 bytes", &P_GUIDE,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, CUT(PKT_AT_L4, 4) }, DROP(EW_R_TRUNC_L4) },

	/* ---- IPv6 header and extension chains ---- */
	{ "ipv6: cut inside the header (39 bytes)", &P_GUIDE,
	  .pkt = { .family = 6, CUT(PKT_AT_L3, 39) }, DROP(EW_R_TRUNC_IP6) },
	{ "ipv6: header only, TCP missing", &P_GUIDE, .pkt = { .family = 6, CUT(PKT_AT_L4, 0) },
	  DROP(EW_R_TRUNC_L4) },
	{ "ipv6: version 4 under the IPv6 ethertype", &P_GUIDE, .pkt = { .family = 6, .version = 4 },
	  DROP(EW_R_BAD_IP6) },
	{ "ipv6: SYN to 80, no extension headers", &P_GUIDE, .pkt = { .family = 6 },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: 1 (hop-by-hop)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP) } }, PASS(EW_R_PASS) },
	{ "ipv6 ext: 2 (hop, dstopts)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_DST) } }, PASS(EW_R_PASS) },
	{ "ipv6 ext: 3 (hop, dstopts, routing 4)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_DST), EXT(PKT_RT) } },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: 4 (+ atomic fragment)", &P_GUIDE,
	  .pkt = { .family = 6,
		   .ext = { EXT(PKT_HOP), EXT(PKT_DST), EXT(PKT_RT), EXT(PKT_FRAG) } },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: 5 (+ AH)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_DST), EXT(PKT_RT), EXT(PKT_FRAG),
					 EXT(PKT_AH) } },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: 6 = EW_IP6_EXT_MAX (+ dstopts)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_DST), EXT(PKT_RT), EXT(PKT_FRAG),
					 EXT(PKT_AH), EXT(PKT_DST) } },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: 6, SYN to closed port still judged", &P_GUIDE,
	  .pkt = { .family = 6, .dport = 8080,
		   .ext = { EXT(PKT_HOP), EXT(PKT_DST), EXT(PKT_RT), EXT(PKT_FRAG), EXT(PKT_AH),
			    EXT(PKT_DST) } },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "ipv6 ext: 6 dstopts then UDP", &P_GUIDE,
	  .pkt = { .family = 6, .proto = IPPROTO_UDP,
		   .ext = { EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST),
			    EXT(PKT_DST) } },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: 7 = EW_IP6_EXT_MAX + 1", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_DST), EXT(PKT_RT), EXT(PKT_FRAG),
					 EXT(PKT_AH), EXT(PKT_DST), EXT(PKT_DST) } },
	  DROP(EW_R_IP6_EXT_DEPTH) },
	{ "ipv6 ext: 7 dstopts", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST),
					 EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST) } },
	  DROP(EW_R_IP6_EXT_DEPTH) },
	{ "ipv6 ext: 7 from an allowlisted source", &P_ALLOW,
	  .pkt = { .family = 6, .src = "2001:db8:aa::1",
		   .ext = { EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST),
			    EXT(PKT_DST), EXT(PKT_DST) } },
	  DROP(EW_R_IP6_EXT_DEPTH) },
	{ "ipv6 ext: 16 dstopts", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { [0 ... 15] = EXT(PKT_DST) } }, DROP(EW_R_IP6_EXT_DEPTH) },
	{ "ipv6 ext: hop-by-hop second", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_DST), EXT(PKT_HOP) } }, DROP(EW_R_BAD_IP6) },
	{ "ipv6 ext: hop-by-hop twice", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_HOP) } }, DROP(EW_R_BAD_IP6) },
	{ "ipv6 ext: routing type 0", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_RT, .rt_type = PKT_SET(0), .rt_left = 1) } },
	  DROP(EW_R_SRCROUTE) },
	{ "ipv6 ext: routing type 0, segments left 0", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_RT, .rt_type = PKT_SET(0)) } },
	  DROP(EW_R_SRCROUTE) },
	{ "ipv6 ext: routing type 0 after hop-by-hop", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_RT, .rt_type = PKT_SET(0)) } },
	  DROP(EW_R_SRCROUTE) },
	{ "ipv6 ext: routing type 0 on a non-first fragment is not seen", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .frag_off = 10),
					 EXT(PKT_RT, .rt_type = PKT_SET(0)) } },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: routing type 2 (mobile)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_RT, .rt_type = 2) } }, PASS(EW_R_PASS) },
	{ "ipv6 ext: routing type 4 (segment routing)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_RT, .rt_type = 4, .rt_left = 1) } },
	  PASS(EW_R_PASS) },
	{ "ipv6 ext: large hop-by-hop (2048 bytes) then TCP", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP, .len = 255) } }, PASS(EW_R_PASS) },
	{ "ipv6 ext: AH of 8 bytes (length 0)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_AH, .len = PKT_SET(0)) } }, PASS(EW_R_PASS) },
	{ "ipv6 ext: ESP passes L3 rules", &P_GUIDE,
	  .pkt = { .family = 6, .proto = 50, .payload = 32 }, PASS(EW_R_PASS) },
	{ "ipv6 ext: no next header (59)", &P_GUIDE,
	  .pkt = { .family = 6, .proto = 59 }, PASS(EW_R_PASS) },
	{ "ipv6 ext: unknown header 253 is an upper layer", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_RAW, .num = 253) } }, PASS(EW_R_PASS) },
	{ "ipv6 ext: ESP from a blocklisted source", &P_GUIDE,
	  .block = { { .cidr = "2001:db8:1::/48" } }, .pkt = { .family = 6, .proto = 50, .payload = 32 },
	  DROP(EW_R_BLOCKLIST) },
	{ "ipv6 ext: cut inside hop-by-hop (7 bytes)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP) }, CUT(PKT_AT_EXT0, 7) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut inside routing (3 bytes)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_RT) }, CUT(PKT_AT_EXT0, 3) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut inside fragment (4 bytes)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG) }, CUT(PKT_AT_EXT0, 4) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut inside AH (6 bytes)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_AH) }, CUT(PKT_AT_EXT0, 6) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut inside dstopts (1 byte)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_DST) }, CUT(PKT_AT_EXT0, 1) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut inside the 2nd header (dstopts after hop)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP), EXT(PKT_DST) }, CUT(PKT_AT_EXT0 + 1, 2) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut inside the 6th header", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { [0 ... 5] = EXT(PKT_DST) }, CUT(PKT_AT_EXT0 + 5, 5) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut at byte 12 of a 16-byte hop-by-hop, then TCP", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP, .len = 1) }, CUT(PKT_AT_EXT0, 12) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut at byte 12 of a 16-byte hop-by-hop, then no-next-header", &P_GUIDE,
	  .pkt = { .family = 6, .proto = 59, .ext = { EXT(PKT_HOP, .len = 1) },
		   CUT(PKT_AT_EXT0, 12) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: cut inside the last header, then ESP, blocklisted source", &P_GUIDE,
	  .block = { { .cidr = "2001:db8:1::/48" } },
	  .pkt = { .family = 6, .proto = 50, .ext = { EXT(PKT_DST, .len = 1) },
		   CUT(PKT_AT_EXT0, 12) },
	  DROP(EW_R_TRUNC_IP6) },
	{ "ipv6 ext: 2048-byte dstopts cut after 1000 bytes, then ESP", &P_GUIDE,
	  .pkt = { .family = 6, .proto = 50, .ext = { EXT(PKT_DST, .len = 255) },
		   CUT(PKT_AT_EXT0, 1000) },
	  DROP(EW_R_TRUNC_IP6) },

	/* ---- IPv6 fragments ---- */
	{ "frag6: first fragment (M=1) with the whole TCP header", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .m = 1) }, .payload = 64 },
	  PASS(EW_R_PASS) },
	{ "frag6: first fragment (M=1), TCP cut at 10 bytes", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .m = 1) }, CUT(PKT_AT_L4, 10) },
	  DROP(EW_R_FRAG_TINY) },
	{ "frag6: first fragment (M=1), chain ends before L4", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .m = 1), EXT(PKT_DST) },
		   CUT(PKT_AT_L4, 0) },
	  DROP(EW_R_FRAG_TINY) },
	{ "frag6: first fragment (M=1), cut inside the next extension header", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .m = 1), EXT(PKT_DST) },
		   CUT(PKT_AT_EXT0 + 1, 4) },
	  DROP(EW_R_FRAG_TINY) },
	{ "frag6: first fragment (M=1), payload length covers 8 bytes of TCP", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .m = 1) }, .flags = ACK, .dport = 8080,
		   .tot_len = 16 },
	  DROP(EW_R_FRAG_TINY) },
	{ "frag6: atomic fragment (offset 0, M=0), SYN to closed port judged", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG) }, .dport = 8080 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "frag6: non-first fragment looking like TCP/22 from outside the ACL", &P_GUIDE,
	  .pkt = { .family = 6, .src = "2001:db8:bad::1", .dport = 22,
		   .ext = { EXT(PKT_FRAG, .frag_off = 10, .m = 1) } },
	  PASS(EW_R_PASS) },
	{ "frag6: last fragment", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .frag_off = 100) } }, PASS(EW_R_PASS) },
	{ "frag6: non-first fragment from a blocklisted source", &P_GUIDE,
	  .block = { { .cidr = "2001:db8:bad::/48" } },
	  .pkt = { .family = 6, .src = "2001:db8:bad::1", .dport = 22,
		   .ext = { EXT(PKT_FRAG, .frag_off = 10, .m = 1) } },
	  DROP(EW_R_BLOCKLIST) },
	{ "frag6: non-first fragment, header chain beyond it not walked", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_FRAG, .frag_off = 1), EXT(PKT_DST),
					 EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST), EXT(PKT_DST),
					 EXT(PKT_DST), EXT(PKT_DST) } },
	  PASS(EW_R_PASS) },

	/* ---- bogons ---- */
	{ "bogon: 0.1.2.3", &P_GUIDE, .pkt = { .src = "0.1.2.3" }, DROP(EW_R_BOGON) },
	{ "bogon: 0.0.0.0 to DHCP server port 67 is exempt", &P_GUIDE,
	  .pkt = { .src = "0.0.0.0", .proto = IPPROTO_UDP, .dport = 67 }, PASS(EW_R_PASS) },
	{ "bogon: 0.0.0.0 to UDP 68 is not exempt", &P_GUIDE,
	  .pkt = { .src = "0.0.0.0", .proto = IPPROTO_UDP, .dport = 68 }, DROP(EW_R_BOGON) },
	{ "bogon: 0.0.0.0 TCP SYN", &P_GUIDE, .pkt = { .src = "0.0.0.0" }, DROP(EW_R_BOGON) },
	{ "bogon: 127.0.0.1", &P_GUIDE, .pkt = { .src = "127.0.0.1" }, DROP(EW_R_BOGON) },
	{ "bogon: 127.255.255.255", &P_GUIDE, .pkt = { .src = "127.255.255.255" },
	  DROP(EW_R_BOGON) },
	{ "bogon: 224.0.0.1", &P_GUIDE, .pkt = { .src = "224.0.0.1" }, DROP(EW_R_BOGON) },
	{ "bogon: 239.255.255.255", &P_GUIDE, .pkt = { .src = "239.255.255.255" },
	  DROP(EW_R_BOGON) },
	{ "bogon: 240.0.0.1", &P_GUIDE, .pkt = { .src = "240.0.0.1" }, DROP(EW_R_BOGON) },
	{ "bogon: 255.255.255.255", &P_GUIDE, .pkt = { .src = "255.255.255.255" },
	  DROP(EW_R_BOGON) },
	{ "bogon: 1.0.0.0 is not", &P_GUIDE, .pkt = { .src = "1.0.0.0" }, PASS(EW_R_PASS) },
	{ "bogon: 126.255.255.255 is not", &P_GUIDE, .pkt = { .src = "126.255.255.255" },
	  PASS(EW_R_PASS) },
	{ "bogon: 128.0.0.0 is not", &P_GUIDE, .pkt = { .src = "128.0.0.0" }, PASS(EW_R_PASS) },
	{ "bogon: 223.255.255.255 is not", &P_GUIDE, .pkt = { .src = "223.255.255.255" },
	  PASS(EW_R_PASS) },
	{ "bogon: 10.0.0.1 (private) is not", &P_GUIDE, .pkt = { .src = "10.0.0.1" },
	  PASS(EW_R_PASS) },
	{ "bogon: ::1", &P_GUIDE, .pkt = { .family = 6, .src = "::1" }, DROP(EW_R_BOGON) },
	{ "bogon: ff02::1", &P_GUIDE, .pkt = { .family = 6, .src = "ff02::1" }, DROP(EW_R_BOGON) },
	{ "bogon: ff0e::1 (global multicast)", &P_GUIDE, .pkt = { .family = 6, .src = "ff0e::1" },
	  DROP(EW_R_BOGON) },
	{ "bogon: :: with TCP", &P_GUIDE, .pkt = { .family = 6, .src = "::" }, DROP(EW_R_BOGON) },
	{ "bogon: :: with UDP", &P_GUIDE, .pkt = { .family = 6, .src = "::", .proto = IPPROTO_UDP },
	  DROP(EW_R_BOGON) },
	{ "bogon: :: with ICMPv6 neighbour solicitation (DAD) passes", &P_GUIDE,
	  .pkt = { .family = 6, .src = "::", .dst = "ff02::1:ff00:1", .proto = IPPROTO_ICMPV6,
		   .icmp_type = 135, .payload = 16 },
	  PASS(EW_R_PASS) },
	{ "bogon: :: with ICMPv6 MLD report passes", &P_GUIDE,
	  .pkt = { .family = 6, .src = "::", .proto = IPPROTO_ICMPV6, .icmp_type = 143,
		   .ext = { EXT(PKT_HOP) } },
	  PASS(EW_R_PASS) },
	{ "bogon: fe80::1 (link-local) is not", &P_GUIDE, .pkt = { .family = 6, .src = "fe80::1" },
	  PASS(EW_R_PASS) },
	{ "bogon: 127.0.0.1 under bogons: allow", &P_OPEN, .pkt = { .src = "127.0.0.1" },
	  PASS(EW_R_PASS) },
	{ "bogon: ::1 under bogons: allow", &P_OPEN, .pkt = { .family = 6, .src = "::1" },
	  PASS(EW_R_PASS) },
	{ "bogon: 127.0.0.1 is dropped before the allowlist (127/8 listed)", &P_ALLOW,
	  .pkt = { .src = "127.0.0.1" }, DROP(EW_R_BOGON) },

	/* ---- IPv4-mapped and -compatible IPv6 sources ---- */
	{ "v4mapped: ::ffff:203.0.113.5", &P_GUIDE,
	  .pkt = { .family = 6, .src = "::ffff:203.0.113.5" }, DROP(EW_R_V4MAPPED) },
	{ "v4mapped: ::203.0.113.5 (compatible)", &P_GUIDE,
	  .pkt = { .family = 6, .src = "::203.0.113.5" }, DROP(EW_R_V4MAPPED) },
	{ "v4mapped: ::ffff:0.0.0.0", &P_GUIDE, .pkt = { .family = 6, .src = "::ffff:0.0.0.0" },
	  DROP(EW_R_V4MAPPED) },
	{ "v4mapped: ::2 counts as compatible", &P_GUIDE, .pkt = { .family = 6, .src = "::2" },
	  DROP(EW_R_V4MAPPED) },
	{ "v4mapped: ::ffff:203.0.113.5 on by default in a C document", &P_OPEN,
	  .pkt = { .family = 6, .src = "::ffff:203.0.113.5" }, DROP(EW_R_V4MAPPED) },
	{ "v4mapped: 64:ff9b::203.0.113.5 (NAT64) is not", &P_GUIDE,
	  .pkt = { .family = 6, .src = "64:ff9b::cb00:7105" }, PASS(EW_R_PASS) },
	{ "v4mapped off: ::ffff:203.0.113.5 passes", &P_V4MAP_OFF,
	  .pkt = { .family = 6, .src = "::ffff:203.0.113.5" }, PASS(EW_R_PASS) },
	{ "v4mapped off: ::203.0.113.5 passes", &P_V4MAP_OFF,
	  .pkt = { .family = 6, .src = "::203.0.113.5" }, PASS(EW_R_PASS) },
	{ "v4mapped off: the IPv4 blocklist does not see ::ffff:203.0.113.5", &P_V4MAP_OFF,
	  .block = { { .cidr = "203.0.113.0/24" } }, .pkt = { .family = 6, .src = "::ffff:203.0.113.5" },
	  PASS(EW_R_PASS) },
	{ "v4mapped off: ...while 203.0.113.5 itself is blocked", &P_V4MAP_OFF,
	  .block = { { .cidr = "203.0.113.0/24" } }, .pkt = { .src = "203.0.113.5" },
	  DROP(EW_R_BLOCKLIST) },
	{ "v4mapped off: an IPv6 rule ::ffff:203.0.113.0/120 blocks it", &P_V4MAP_OFF,
	  .block = { { .cidr = "::ffff:203.0.113.0/120" } },
	  .pkt = { .family = 6, .src = "::ffff:203.0.113.5" }, DROP(EW_R_BLOCKLIST) },
	{ "v4mapped off: ::ffff:127.0.0.1 is not a bogon", &P_V4MAP_OFF,
	  .pkt = { .family = 6, .src = "::ffff:127.0.0.1" }, PASS(EW_R_PASS) },

	/* ---- blocklist: expiry, nesting, allowlist ---- */
	{ "block: 198.51.100.0/24, first address .0", &P_GUIDE,
	  .block = { { .cidr = "198.51.100.0/24" } }, .pkt = { .src = "198.51.100.0" },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: 198.51.100.0/24, last address .255", &P_GUIDE,
	  .block = { { .cidr = "198.51.100.0/24" } }, .pkt = { .src = "198.51.100.255" },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: 198.51.100.0/24, neighbour below 198.51.99.255", &P_GUIDE,
	  .block = { { .cidr = "198.51.100.0/24" } }, .pkt = { .src = "198.51.99.255" }, PASS(EW_R_PASS) },
	{ "block: 198.51.100.0/24, neighbour above 198.51.101.0", &P_GUIDE,
	  .block = { { .cidr = "198.51.100.0/24" } }, .pkt = { .src = "198.51.101.0" }, PASS(EW_R_PASS) },
	{ "block: blocklist beats an open port and ACKs", &P_GUIDE,
	  .block = { { .cidr = "198.51.100.0/24" } }, .pkt = { .src = "198.51.100.9", .flags = ACK },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: blocklist comes before the ACL", &P_GUIDE,
	  .block = { { .cidr = "8.8.8.8/32" } }, .pkt = { .src = "8.8.8.8", .dport = 22 },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: nested /8 and /24, address in both", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.67.89.0/24" } }, .pkt = { .src = "45.67.89.10" },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: nested, /24 deleted, the /8 still blocks", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.67.89.0/24" } }, .unblock = { "45.67.89.0/24" },
	  .pkt = { .src = "45.67.89.10" }, DROP(EW_R_BLOCKLIST) },
	{ "block: nested, /8 deleted, the /24 still blocks", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.67.89.0/24" } }, .unblock = { "45.0.0.0/8" },
	  .pkt = { .src = "45.67.89.10" }, DROP(EW_R_BLOCKLIST) },
	{ "block: nested, /8 deleted, elsewhere in the /8 passes", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.67.89.0/24" } }, .unblock = { "45.0.0.0/8" },
	  .pkt = { .src = "45.1.1.1" }, PASS(EW_R_PASS) },
	{ "block: nested, both deleted", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.67.89.0/24" } },
	  .unblock = { "45.0.0.0/8", "45.67.89.0/24" }, .pkt = { .src = "45.67.89.10" },
	  PASS(EW_R_PASS) },
	{ "block: nested /16 and /32 in one /16, /32 deleted", &P_GUIDE,
	  .block = { { .cidr = "45.67.0.0/16" }, { .cidr = "45.67.89.10/32" } }, .unblock = { "45.67.89.10/32" },
	  .pkt = { .src = "45.67.89.10" }, DROP(EW_R_BLOCKLIST) },
	{ "block: /25 and /26 in one /24, /25 deleted, /26 holds", &P_GUIDE,
	  .block = { { .cidr = "45.67.89.0/25" }, { .cidr = "45.67.89.64/26" } }, .unblock = { "45.67.89.0/25" },
	  .pkt = { .src = "45.67.89.70" }, DROP(EW_R_BLOCKLIST) },
	{ "block: /25 and /26 in one /24, /25 deleted, rest passes", &P_GUIDE,
	  .block = { { .cidr = "45.67.89.0/25" }, { .cidr = "45.67.89.64/26" } }, .unblock = { "45.67.89.0/25" },
	  .pkt = { .src = "45.67.89.10" }, PASS(EW_R_PASS) },
	{ "block: two /24s in one /16, one deleted, the other holds", &P_GUIDE,
	  .block = { { .cidr = "45.67.1.0/24" }, { .cidr = "45.67.2.0/24" } }, .unblock = { "45.67.1.0/24" },
	  .pkt = { .src = "45.67.2.200" }, DROP(EW_R_BLOCKLIST) },
	{ "block: two /24s in one /16, the deleted one passes", &P_GUIDE,
	  .block = { { .cidr = "45.67.1.0/24" }, { .cidr = "45.67.2.0/24" } }, .unblock = { "45.67.1.0/24" },
	  .pkt = { .src = "45.67.1.200" }, PASS(EW_R_PASS) },
	{ "block: two /20s in one /16, one deleted, the other holds", &P_GUIDE,
	  .block = { { .cidr = "45.67.0.0/20" }, { .cidr = "45.67.16.0/20" } }, .unblock = { "45.67.0.0/20" },
	  .pkt = { .src = "45.67.31.255" }, DROP(EW_R_BLOCKLIST) },
	{ "block: two /32s in one /24, one deleted, the other holds", &P_GUIDE,
	  .block = { { .cidr = "45.67.89.1/32" }, { .cidr = "45.67.89.2/32" } }, .unblock = { "45.67.89.1/32" },
	  .pkt = { .src = "45.67.89.2" }, DROP(EW_R_BLOCKLIST) },
	{ "block: /15 and a /16 inside, /16 deleted, /15 still covers it", &P_GUIDE,
	  .block = { { .cidr = "46.0.0.0/15" }, { .cidr = "46.1.0.0/16" } }, .unblock = { "46.1.0.0/16" },
	  .pkt = { .src = "46.1.2.3" }, DROP(EW_R_BLOCKLIST) },
	{ "block: /8 and /9 from the same address, /9 deleted, /8 holds", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.0.0.0/9" } }, .unblock = { "45.0.0.0/9" },
	  .pkt = { .src = "45.1.2.3" }, DROP(EW_R_BLOCKLIST) },
	{ "block: /8 and /9 from the same address, /8 deleted, /9 holds", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.0.0.0/9" } }, .unblock = { "45.0.0.0/8" },
	  .pkt = { .src = "45.1.2.3" }, DROP(EW_R_BLOCKLIST) },
	{ "block: /8 and /9, /8 deleted, the upper half passes", &P_GUIDE,
	  .block = { { .cidr = "45.0.0.0/8" }, { .cidr = "45.0.0.0/9" } }, .unblock = { "45.0.0.0/8" },
	  .pkt = { .src = "45.128.0.1" }, PASS(EW_R_PASS) },
	{ "block: v6 two /64s in one /32, one deleted, the other holds", &P_GUIDE,
	  .block = { { .cidr = "2001:db8:1::/64" }, { .cidr = "2001:db8:2::/64" } },
	  .unblock = { "2001:db8:1::/64" }, .pkt = { .family = 6, .src = "2001:db8:2::1" },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: v6 two /120s in one /32, one deleted, the other holds", &P_GUIDE,
	  .block = { { .cidr = "2001:db8:1::/120" }, { .cidr = "2001:db8:2::/120" } },
	  .unblock = { "2001:db8:1::/120" }, .pkt = { .family = 6, .src = "2001:db8:2::1" },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: v6 two /16s, one deleted, the other holds", &P_GUIDE,
	  .block = { { .cidr = "2001::/16" }, { .cidr = "2002::/16" } }, .unblock = { "2001::/16" },
	  .pkt = { .family = 6, .src = "2002::1" }, DROP(EW_R_BLOCKLIST) },
	{ "block: v6 two /16s, the deleted one passes", &P_GUIDE,
	  .block = { { .cidr = "2001::/16" }, { .cidr = "2002::/16" } }, .unblock = { "2001::/16" },
	  .pkt = { .family = 6, .src = "2001:db8:1::10" }, PASS(EW_R_PASS) },
	{ "block: v6 nested /32 and /64, /64 deleted", &P_GUIDE,
	  .block = { { .cidr = "2001:db8::/32" }, { .cidr = "2001:db8:1::/64" } }, .unblock = { "2001:db8:1::/64" },
	  .pkt = { .family = 6, .src = "2001:db8:1::10" }, DROP(EW_R_BLOCKLIST) },
	{ "block: v6 nested /32 and /64, /32 deleted", &P_GUIDE,
	  .block = { { .cidr = "2001:db8::/32" }, { .cidr = "2001:db8:1::/64" } }, .unblock = { "2001:db8::/32" },
	  .pkt = { .family = 6, .src = "2001:db8:1::10" }, DROP(EW_R_BLOCKLIST) },
	{ "block: v6 nested /16 and /128, /128 deleted", &P_GUIDE,
	  .block = { { .cidr = "2001::/16" }, { .cidr = "2001:db8:1::10/128" } },
	  .unblock = { "2001:db8:1::10/128" }, .pkt = { .family = 6, .src = "2001:db8:1::10" },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: v6 nested /16 and /128, /16 deleted", &P_GUIDE,
	  .block = { { .cidr = "2001::/16" }, { .cidr = "2001:db8:1::10/128" } }, .unblock = { "2001::/16" },
	  .pkt = { .family = 6, .src = "2001:db8:1::10" }, DROP(EW_R_BLOCKLIST) },
	{ "block: 0.0.0.0/0 blocks 8.8.8.8", &P_GUIDE, .block = { { .cidr = "0.0.0.0/0" } },
	  .pkt = { .src = "8.8.8.8" }, DROP(EW_R_BLOCKLIST) },
	{ "block: 0.0.0.0/0 blocks 223.255.255.255", &P_GUIDE, .block = { { .cidr = "0.0.0.0/0" } },
	  .pkt = { .src = "223.255.255.255" }, DROP(EW_R_BLOCKLIST) },
	{ "block: 0.0.0.0/0 leaves IPv6 alone", &P_GUIDE, .block = { { .cidr = "0.0.0.0/0" } },
	  .pkt = { .family = 6 }, PASS(EW_R_PASS) },
	{ "block: 0.0.0.0/0 leaves ARP alone", &P_GUIDE, .block = { { .cidr = "0.0.0.0/0" } },
	  .pkt = { .family = PKT_NOIP, .ethertype = 0x0806, .payload = 28 }, PASS(EW_R_PASS_ARP) },
	{ "block: ::/0 blocks 2001:db8:1::10", &P_GUIDE, .block = { { .cidr = "::/0" } },
	  .pkt = { .family = 6 }, DROP(EW_R_BLOCKLIST) },
	{ "block: ::/0 leaves IPv4 alone", &P_GUIDE, .block = { { .cidr = "::/0" } }, .pkt = { 0 },
	  PASS(EW_R_PASS) },
	{ "block: 0.0.0.0/0 deleted, 8.8.8.8 passes", &P_GUIDE, .block = { { .cidr = "0.0.0.0/0" } },
	  .unblock = { "0.0.0.0/0" }, .pkt = { .src = "8.8.8.8" }, PASS(EW_R_PASS) },
	{ "block: /0 with a /32 inside, /0 deleted", &P_GUIDE,
	  .block = { { .cidr = "0.0.0.0/0" }, { .cidr = "8.8.8.8/32" } }, .unblock = { "0.0.0.0/0" },
	  .pkt = { .src = "8.8.8.8" }, DROP(EW_R_BLOCKLIST) },
	{ "block: expires in 10 s, drops", &P_GUIDE, .block = { { .cidr = "198.51.100.0/24", .exp = EXP_FUTURE } },
	  .pkt = { .src = "198.51.100.1" }, DROP(EW_R_BLOCKLIST) },
	{ "block: expired 1 ns ago, passes", &P_GUIDE, .block = { { .cidr = "198.51.100.0/24", .exp = EXP_PAST } },
	  .pkt = { .src = "198.51.100.1" }, PASS(EW_R_PASS) },
	{ "block: v6 expires in 10 s, drops", &P_GUIDE,
	  .block = { { .cidr = "2001:db8:1::/48", .exp = EXP_FUTURE } }, .pkt = { .family = 6 },
	  DROP(EW_R_BLOCKLIST) },
	{ "block: v6 expired, passes", &P_GUIDE, .block = { { .cidr = "2001:db8:1::/48", .exp = EXP_PAST } },
	  .pkt = { .family = 6 }, PASS(EW_R_PASS) },
	{ "block: expired /32 inside a live /24, drops by the /24", &P_GUIDE,
	  .block = { { .cidr = "198.51.100.0/24" }, { .cidr = "198.51.100.1/32", .exp = EXP_PAST } },
	  .pkt = { .src = "198.51.100.1" }, DROP(EW_R_BLOCKLIST) },
	{ "block: live /32 inside an expired /8", &P_GUIDE,
	  .block = { { .cidr = "198.0.0.0/8", .exp = EXP_PAST }, { .cidr = "198.51.100.1/32", .exp = EXP_FUTURE } },
	  .pkt = { .src = "198.51.100.1" }, DROP(EW_R_BLOCKLIST) },
	{ "block: expired /8, elsewhere passes", &P_GUIDE,
	  .block = { { .cidr = "198.0.0.0/8", .exp = EXP_PAST }, { .cidr = "198.51.100.1/32", .exp = EXP_FUTURE } },
	  .pkt = { .src = "198.51.100.2" }, PASS(EW_R_PASS) },
	{ "block: expired v6 /128 inside a live /1", &P_GUIDE,
	  .block = { { .cidr = "::/1" }, { .cidr = "2001:db8:1::10/128", .exp = EXP_PAST } }, .pkt = { .family = 6 },
	  DROP(EW_R_BLOCKLIST) },
	{ "allow: allowlisted source bypasses its /24 block", &P_ALLOW,
	  .block = { { .cidr = "198.51.100.0/24" } }, .pkt = { .src = "198.51.100.7" },
	  PASS(EW_R_PASS_ALLOW) },
	{ "allow: its neighbour is blocked", &P_ALLOW, .block = { { .cidr = "198.51.100.0/24" } },
	  .pkt = { .src = "198.51.100.8" }, DROP(EW_R_BLOCKLIST) },
	{ "allow: allowlisted source bypasses 0.0.0.0/0", &P_ALLOW, .block = { { .cidr = "0.0.0.0/0" } },
	  .pkt = { .src = "198.51.100.7" }, PASS(EW_R_PASS_ALLOW) },
	{ "allow: allowlisted source bypasses default-deny", &P_ALLOW,
	  .pkt = { .src = "198.51.100.7", .dport = 8080 }, PASS(EW_R_PASS_ALLOW) },
	{ "allow: a /8 entry covers every /16 inside it (last /16)", &P_ALLOW_WIDE,
	  .block = { { .cidr = "10.255.0.0/16" } }, .pkt = { .src = "10.255.255.254" },
	  PASS(EW_R_PASS_ALLOW) },
	{ "allow: a /8 entry covers every /16 inside it (first /16)", &P_ALLOW_WIDE,
	  .pkt = { .src = "10.0.0.1", .dport = 8080 }, PASS(EW_R_PASS_ALLOW) },
	{ "allow: the /16 after a /8 entry is not covered", &P_ALLOW_WIDE,
	  .block = { { .cidr = "11.0.0.0/16" } }, .pkt = { .src = "11.0.0.1" }, DROP(EW_R_BLOCKLIST) },
	{ "allow: a v6 /16 entry (shorter than the /32 hint) still matches", &P_ALLOW_WIDE,
	  .block = { { .cidr = "2001:db8:7::/48" } }, .pkt = { .family = 6, .src = "2001:db8:7::9" },
	  PASS(EW_R_PASS_ALLOW) },
	{ "allow: a v6 source outside the /16 entry is blocked", &P_ALLOW_WIDE,
	  .block = { { .cidr = "2002:db8::/32" } }, .pkt = { .family = 6, .src = "2002:db8::9" },
	  DROP(EW_R_BLOCKLIST) },
	{ "allow: an allowlisted source that nothing drops counts as pass", &P_ALLOW,
	  .pkt = { .src = "198.51.100.7", .dport = 80 }, PASS(EW_R_PASS) },
	{ "allow: allowlisted source bypasses the ACL", &P_ALLOW,
	  .pkt = { .src = "198.51.100.7", .dport = 22 }, PASS(EW_R_PASS_ALLOW) },
	{ "allow: others meet the ACL", &P_ALLOW, .pkt = { .src = "198.51.100.8", .dport = 22 },
	  DROP(EW_R_ACL) },
	{ "allow: v6 /48 bypasses a /32 block", &P_ALLOW, .block = { { .cidr = "2001:db8::/32" } },
	  .pkt = { .family = 6, .src = "2001:db8:aa:ffff::5" }, PASS(EW_R_PASS_ALLOW) },
	{ "allow: v6 next /48 is blocked", &P_ALLOW, .block = { { .cidr = "2001:db8::/32" } },
	  .pkt = { .family = 6, .src = "2001:db8:ab::5" }, DROP(EW_R_BLOCKLIST) },
	{ "allow: an allowlisted source that is ::ffff-mapped is still v4mapped", &P_ALLOW,
	  .pkt = { .family = 6, .src = "::ffff:198.51.100.7" }, DROP(EW_R_V4MAPPED) },
	{ "allow: allowlisted source, 3 vlan tags", &P_ALLOW,
	  .pkt = { .src = "198.51.100.7", .vlans = 3 }, DROP(EW_R_VLAN_DEPTH) },

	{ "acl: 9 IPv4 sources (trie), the 9th passes", &P_ACL_BIG,
	  .pkt = { .src = "10.0.8.200", .dport = 22 }, PASS(EW_R_PASS) },
	{ "acl: 9 IPv4 sources (trie), the 1st passes", &P_ACL_BIG,
	  .pkt = { .src = "10.0.0.1", .dport = 22 }, PASS(EW_R_PASS) },
	{ "acl: 9 IPv4 sources (trie), the next /24 is denied", &P_ACL_BIG,
	  .pkt = { .src = "10.0.9.1", .dport = 22 }, DROP(EW_R_ACL) },
	{ "acl: 9 IPv4 sources, an IPv6 source of the ACL passes", &P_ACL_BIG,
	  .pkt = { .family = 6, .src = "2001:db8::7", .dport = 22 }, PASS(EW_R_PASS) },
	{ "acl: an IPv6-only ACL denies every IPv4 source", &P_ACL_BIG,
	  .pkt = { .src = "10.0.0.1", .dport = 23 }, DROP(EW_R_ACL) },
	{ "acl: an IPv6-only ACL passes its IPv6 source", &P_ACL_BIG,
	  .pkt = { .family = 6, .src = "2001:db8::7", .dport = 23 }, PASS(EW_R_PASS) },

	/* ---- service ACLs (the guide: 22 from 10/8, 172.16/12, 192.168/16; 5432 from 10.0/16) ---- */
	{ "acl: 10.1.2.3 -> 22", &P_GUIDE, .pkt = { .src = "10.1.2.3", .dport = 22 },
	  PASS(EW_R_PASS) },
	{ "acl: 10.255.255.255 -> 22", &P_GUIDE, .pkt = { .src = "10.255.255.255", .dport = 22 },
	  PASS(EW_R_PASS) },
	{ "acl: 11.0.0.0 -> 22", &P_GUIDE, .pkt = { .src = "11.0.0.0", .dport = 22 },
	  DROP(EW_R_ACL) },
	{ "acl: 172.16.0.0 -> 22", &P_GUIDE, .pkt = { .src = "172.16.0.0", .dport = 22 },
	  PASS(EW_R_PASS) },
	{ "acl: 172.31.255.255 -> 22", &P_GUIDE, .pkt = { .src = "172.31.255.255", .dport = 22 },
	  PASS(EW_R_PASS) },
	{ "acl: 172.32.0.0 -> 22", &P_GUIDE, .pkt = { .src = "172.32.0.0", .dport = 22 },
	  DROP(EW_R_ACL) },
	{ "acl: 172.15.255.255 -> 22", &P_GUIDE, .pkt = { .src = "172.15.255.255", .dport = 22 },
	  DROP(EW_R_ACL) },
	{ "acl: 192.168.1.1 -> 22", &P_GUIDE, .pkt = { .src = "192.168.1.1", .dport = 22 },
	  PASS(EW_R_PASS) },
	{ "acl: 192.169.0.0 -> 22", &P_GUIDE, .pkt = { .src = "192.169.0.0", .dport = 22 },
	  DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 22", &P_GUIDE, .pkt = { .src = "8.8.8.8", .dport = 22 }, DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 22, ACK (the ACL is not only for SYNs)", &P_GUIDE,
	  .pkt = { .src = "8.8.8.8", .dport = 22, .flags = ACK }, DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 22/udp (not the ACL's protocol)", &P_GUIDE,
	  .pkt = { .src = "8.8.8.8", .dport = 22, .proto = IPPROTO_UDP }, PASS(EW_R_PASS) },
	{ "acl: 8.8.8.8 -> 22 in 2 vlan tags", &P_GUIDE,
	  .pkt = { .src = "8.8.8.8", .dport = 22, .vlans = 2 }, DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 22 with IPv4 options", &P_GUIDE,
	  .pkt = { .src = "8.8.8.8", .dport = 22, .opt = NOP40, .opt_len = 40 }, DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 22 as a first fragment", &P_GUIDE,
	  .pkt = { .src = "8.8.8.8", .dport = 22, .mf = 1, .payload = 32 }, DROP(EW_R_ACL) },
	{ "acl: IPv6 source -> 22 (the ACL lists IPv4 only)", &P_GUIDE,
	  .pkt = { .family = 6, .dport = 22 }, DROP(EW_R_ACL) },
	{ "acl: 10.1.2.3 -> 5432 (10.1.x is not in 10.0.0.0/16)", &P_GUIDE,
	  .pkt = { .src = "10.1.2.3", .dport = 5432 }, DROP(EW_R_ACL) },
	{ "acl: 10.0.5.5 -> 5432", &P_GUIDE, .pkt = { .src = "10.0.5.5", .dport = 5432 },
	  PASS(EW_R_PASS) },
	{ "acl: 10.0.255.255 -> 5432", &P_GUIDE, .pkt = { .src = "10.0.255.255", .dport = 5432 },
	  PASS(EW_R_PASS) },
	{ "acl: 9.255.255.255 -> 5432", &P_GUIDE, .pkt = { .src = "9.255.255.255", .dport = 5432 },
	  DROP(EW_R_ACL) },
	{ "acl: 192.168.1.1 -> 5432", &P_GUIDE, .pkt = { .src = "192.168.1.1", .dport = 5432 },
	  DROP(EW_R_ACL) },
	{ "acl: 10.9.1.1 -> 2222 (C document)", &P_PORTS, .pkt = { .src = "10.9.1.1", .dport = 2222 },
	  PASS(EW_R_PASS) },
	{ "acl: 10.10.0.0 -> 2222", &P_PORTS, .pkt = { .src = "10.10.0.0", .dport = 2222 },
	  DROP(EW_R_ACL) },
	{ "acl: 2001:db8:ac1:ffff::1 -> 2222", &P_PORTS,
	  .pkt = { .family = 6, .src = "2001:db8:ac1:ffff::1", .dport = 2222 }, PASS(EW_R_PASS) },
	{ "acl: 2001:db8:ac2::1 -> 2222", &P_PORTS,
	  .pkt = { .family = 6, .src = "2001:db8:ac2::1", .dport = 2222 }, DROP(EW_R_ACL) },

	{ "acl: 10.9.1.1 -> 6000 (range 6000-6010)", &P_PORTS,
	  .pkt = { .src = "10.9.1.1", .dport = 6000 }, PASS(EW_R_PASS) },
	{ "acl: 10.9.1.1 -> 6010", &P_PORTS, .pkt = { .src = "10.9.1.1", .dport = 6010 },
	  PASS(EW_R_PASS) },
	{ "acl: 8.8.8.8 -> 6000", &P_PORTS, .pkt = { .src = "8.8.8.8", .dport = 6000 },
	  DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 6010", &P_PORTS, .pkt = { .src = "8.8.8.8", .dport = 6010 },
	  DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 6010, ACK", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .dport = 6010, .flags = ACK }, DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 5999 (below the range: default-deny)", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .dport = 5999 }, DROP(EW_R_DEFAULT_DENY) },
	{ "acl: 8.8.8.8 -> 6011 (above the range: default-deny)", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .dport = 6011 }, DROP(EW_R_DEFAULT_DENY) },
	{ "acl: 8.8.8.8 -> 6011, ACK passes", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .dport = 6011, .flags = ACK }, PASS(EW_R_PASS) },
	{ "acl: 10.9.1.1 -> 161/udp", &P_PORTS,
	  .pkt = { .src = "10.9.1.1", .proto = IPPROTO_UDP, .dport = 161 }, PASS(EW_R_PASS) },
	{ "acl: 8.8.8.8 -> 161/udp", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .proto = IPPROTO_UDP, .dport = 161 }, DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 -> 161/udp, non-first fragment is not judged by ports", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .proto = IPPROTO_UDP, .dport = 161, .frag = 185 },
	  PASS(EW_R_PASS) },
	{ "acl: 10.9.1.1 echo request (8/icmp ACL)", &P_PORTS,
	  .pkt = { .src = "10.9.1.1", .proto = IPPROTO_ICMP }, PASS(EW_R_PASS) },
	{ "acl: 8.8.8.8 echo request", &P_PORTS, .pkt = { .src = "8.8.8.8", .proto = IPPROTO_ICMP },
	  DROP(EW_R_ACL) },
	{ "acl: 8.8.8.8 unreachable (3, no ACL, essential)", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .proto = IPPROTO_ICMP, .icmp_type = 3 }, PASS(EW_R_PASS) },
	{ "acl: 8.8.8.8 timestamp (13, no ACL, icmp deny)", &P_PORTS,
	  .pkt = { .src = "8.8.8.8", .proto = IPPROTO_ICMP, .icmp_type = 13 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "acl: 2001:db8:ac1::9 echo request (128/icmpv6 ACL)", &P_PORTS,
	  .pkt = { .family = 6, .src = "2001:db8:ac1::9", .proto = IPPROTO_ICMPV6 },
	  PASS(EW_R_PASS) },
	{ "acl: 2001:db8:ac2::9 echo request", &P_PORTS,
	  .pkt = { .family = 6, .src = "2001:db8:ac2::9", .proto = IPPROTO_ICMPV6 },
	  DROP(EW_R_ACL) },
	{ "acl: 2001:db8:ac2::9 neighbour solicitation (no ACL)", &P_PORTS,
	  .pkt = { .family = 6, .src = "2001:db8:ac2::9", .proto = IPPROTO_ICMPV6,
		   .icmp_type = 135 },
	  PASS(EW_R_PASS) },

	/* ---- default policy ---- */
	{ "deny: SYN to closed 8080", &P_GUIDE, .pkt = { .dport = 8080 }, DROP(EW_R_DEFAULT_DENY) },
	{ "deny: ACK to closed 8080 passes", &P_GUIDE, .pkt = { .dport = 8080, .flags = ACK },
	  PASS(EW_R_PASS) },
	{ "deny: SYN+ACK to closed 8080 passes", &P_GUIDE,
	  .pkt = { .dport = 8080, .flags = SYN | ACK }, PASS(EW_R_PASS) },
	{ "deny: RST to closed 8080 passes", &P_GUIDE, .pkt = { .dport = 8080, .flags = RST },
	  PASS(EW_R_PASS) },
	{ "deny: no flags to closed 8080 passes", &P_GUIDE,
	  .pkt = { .dport = 8080, .flags = PKT_SET(0) }, PASS(EW_R_PASS) },
	{ "deny: SYN+FIN to closed 8080 counts as a SYN", &P_GUIDE,
	  .pkt = { .dport = 8080, .flags = SYN | FIN }, DROP(EW_R_DEFAULT_DENY) },
	{ "deny: SYN to open 80", &P_GUIDE, .pkt = { .dport = 80 }, PASS(EW_R_PASS) },
	{ "deny: SYN to open 443", &P_GUIDE, .pkt = { .dport = 443 }, PASS(EW_R_PASS) },
	{ "deny: IPv6 SYN to closed 8080", &P_GUIDE, .pkt = { .family = 6, .dport = 8080 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "deny: IPv6 SYN to open 443", &P_GUIDE, .pkt = { .family = 6, .dport = 443 },
	  PASS(EW_R_PASS) },
	{ "deny: UDP to closed 5353 under udp: allow", &P_GUIDE,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 5353 }, PASS(EW_R_PASS) },
	{ "deny: UDP to closed 5353 under udp: deny", &P_STRICT,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 5353 }, DROP(EW_R_DEFAULT_DENY) },
	{ "deny: UDP to open 53 under udp: deny", &P_STRICT,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 53 }, PASS(EW_R_PASS) },
	{ "deny: IPv6 UDP to closed 5353 under udp: deny", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_UDP, .dport = 5353 }, DROP(EW_R_DEFAULT_DENY) },
	{ "port: SYN to open 0/tcp", &P_STRICT, .pkt = { .dport = PKT_SET(0) }, PASS(EW_R_PASS) },
	{ "port: SYN to closed 65535/tcp", &P_STRICT, .pkt = { .dport = 65535 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "port: ACK to closed 65535/tcp", &P_STRICT, .pkt = { .dport = 65535, .flags = ACK },
	  PASS(EW_R_PASS) },
	{ "port: UDP to open 65535/udp", &P_STRICT,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 65535 }, PASS(EW_R_PASS) },
	{ "port: UDP to closed 0/udp", &P_STRICT, .pkt = { .proto = IPPROTO_UDP, .dport = PKT_SET(0) },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "port: SYN to open 65535/tcp (C document)", &P_PORTS, .pkt = { .dport = 65535 },
	  PASS(EW_R_PASS) },
	{ "port: SYN to closed 0/tcp (C document)", &P_PORTS, .pkt = { .dport = PKT_SET(0) },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "port: UDP to open 0/udp (C document)", &P_PORTS,
	  .pkt = { .proto = IPPROTO_UDP, .dport = PKT_SET(0) }, PASS(EW_R_PASS) },
	{ "port: UDP to closed 65535/udp (C document)", &P_PORTS,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 65535 }, DROP(EW_R_DEFAULT_DENY) },
	{ "port: source port 0 and 65535 do not matter", &P_STRICT,
	  .pkt = { .sport = PKT_SET(0), .dport = 80 }, PASS(EW_R_PASS) },
	{ "icmp deny: echo request (8, open)", &P_STRICT, .pkt = { .proto = IPPROTO_ICMP },
	  PASS(EW_R_PASS) },
	{ "icmp deny: echo reply (0, not open)", &P_STRICT,
	  .pkt = { .proto = IPPROTO_ICMP, .icmp_type = PKT_SET(0) }, DROP(EW_R_DEFAULT_DENY) },
	{ "icmp deny: timestamp (13)", &P_STRICT, .pkt = { .proto = IPPROTO_ICMP, .icmp_type = 13 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "icmp deny: redirect (5)", &P_STRICT, .pkt = { .proto = IPPROTO_ICMP, .icmp_type = 5 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "icmp deny: unreachable (3) is essential", &P_STRICT,
	  .pkt = { .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4 }, PASS(EW_R_PASS) },
	{ "icmp deny: time exceeded (11) is essential", &P_STRICT,
	  .pkt = { .proto = IPPROTO_ICMP, .icmp_type = 11 }, PASS(EW_R_PASS) },
	{ "icmp deny: parameter problem (12) is essential", &P_STRICT,
	  .pkt = { .proto = IPPROTO_ICMP, .icmp_type = 12 }, PASS(EW_R_PASS) },
	{ "icmp allow: timestamp (13)", &P_GUIDE, .pkt = { .proto = IPPROTO_ICMP, .icmp_type = 13 },
	  PASS(EW_R_PASS) },
	{ "icmpv6 deny: echo request (128, open)", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: echo reply (129)", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 129 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "icmpv6 deny: 1 destination unreachable", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 1 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 2 packet too big", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 2 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 3 time exceeded", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 3 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 4 parameter problem", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 4 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 133 router solicitation", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 133 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 134 router advertisement", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 134, .src = "fe80::1" },
	  PASS(EW_R_PASS) },
	{ "icmpv6 deny: 135 neighbour solicitation", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 135 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 136 neighbour advertisement", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 136 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 137 redirect", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 137 }, PASS(EW_R_PASS) },
	{ "icmpv6 deny: 138 router renumbering", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 138 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "icmpv6 deny: 143 MLDv2 report", &P_STRICT,
	  .pkt = { .family = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 143 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "icmpv6 deny: NS from :: (DAD) passes bogons and deny", &P_STRICT,
	  .pkt = { .family = 6, .src = "::", .proto = IPPROTO_ICMPV6, .icmp_type = 135 },
	  PASS(EW_R_PASS) },

	/* ---- rate limits (the guide's http class: 25/min, burst 100, connections) ---- */
	{ "rl: 100 SYNs from one source pass (the burst)", &P_GUIDE, .repeat = 100,
	  .pkt = { .src = "203.0.113.50" }, PASS(EW_R_PASS) },
	{ "rl: the next 5 SYNs are limited (counter +5 exactly)", &P_GUIDE, .keep = 1, .repeat = 5,
	  .pkt = { .src = "203.0.113.50" }, DROP(EW_R_RATELIMIT) },
	{ "rl: ACKs are not charged", &P_GUIDE, .keep = 1, .repeat = 20,
	  .pkt = { .src = "203.0.113.50", .flags = ACK }, PASS(EW_R_PASS) },
	{ "rl: 443 is in the same class: same bucket", &P_GUIDE, .keep = 1,
	  .pkt = { .src = "203.0.113.50", .dport = 443 }, DROP(EW_R_RATELIMIT) },
	{ "rl: a second source has its own bucket", &P_GUIDE, .keep = 1, .repeat = 100,
	  .pkt = { .src = "203.0.113.51" }, PASS(EW_R_PASS) },
	{ "rl: ...and it runs out too", &P_GUIDE, .keep = 1,
	  .pkt = { .src = "203.0.113.51" }, DROP(EW_R_RATELIMIT) },
	{ "rl: the first source is still limited", &P_GUIDE, .keep = 1,
	  .pkt = { .src = "203.0.113.50" }, DROP(EW_R_RATELIMIT) },
	{ "rl: advance its clock (tat = now - 1): passes again", &P_GUIDE, .keep = 1,
	  .refill = "203.0.113.50", .pkt = { .src = "203.0.113.50" }, PASS(EW_R_PASS) },
	{ "rl: ...for a whole burst", &P_GUIDE, .keep = 1, .repeat = 99,
	  .pkt = { .src = "203.0.113.50" }, PASS(EW_R_PASS) },
	{ "rl: ...and no more", &P_GUIDE, .keep = 1, .pkt = { .src = "203.0.113.50" },
	  DROP(EW_R_RATELIMIT) },
	{ "rl: the second source was not refilled", &P_GUIDE, .keep = 1,
	  .pkt = { .src = "203.0.113.51" }, DROP(EW_R_RATELIMIT) },
	{ "rl: limited source, SYN to a closed port without a class: default-deny", &P_GUIDE,
	  .keep = 1, .pkt = { .src = "203.0.113.50", .dport = 8080 }, DROP(EW_R_DEFAULT_DENY) },
	{ "rl: blocklisted source is dropped before the rate limit", &P_GUIDE, .keep = 1,
	  .block = { { .cidr = "203.0.113.50/32" } }, .pkt = { .src = "203.0.113.50" },
	  DROP(EW_R_BLOCKLIST) },
	{ "rl6: 100 SYNs from 2001:db8:77:1::1 pass", &P_GUIDE, .repeat = 100,
	  .pkt = { .family = 6, .src = "2001:db8:77:1::1" }, PASS(EW_R_PASS) },
	{ "rl6: same /64 (::2) shares the bucket", &P_GUIDE, .keep = 1,
	  .pkt = { .family = 6, .src = "2001:db8:77:1::2" }, DROP(EW_R_RATELIMIT) },
	{ "rl6: same /64 (last address) shares the bucket", &P_GUIDE, .keep = 1,
	  .pkt = { .family = 6, .src = "2001:db8:77:1:ffff:ffff:ffff:ffff" }, DROP(EW_R_RATELIMIT) },
	{ "rl6: another /64 has its own bucket", &P_GUIDE, .keep = 1,
	  .pkt = { .family = 6, .src = "2001:db8:77:2::1" }, PASS(EW_R_PASS) },
	{ "rl6: refill the /64 through another address in it", &P_GUIDE, .keep = 1,
	  .refill = "2001:db8:77:1::99", .pkt = { .family = 6, .src = "2001:db8:77:1::3" },
	  PASS(EW_R_PASS) },
	{ "rl6: an IPv4 source is not an IPv6 /64", &P_GUIDE, .keep = 1,
	  .pkt = { .src = "32.1.13.184" }, PASS(EW_R_PASS) },
	{ "rl pkt: 3 ACKs to a pkt class pass (burst 3)", &P_RL, .repeat = 3,
	  .pkt = { .dport = 8080, .flags = ACK }, PASS(EW_R_PASS) },
	{ "rl pkt: the 4th packet, an ACK, is limited", &P_RL, .keep = 1,
	  .pkt = { .dport = 8080, .flags = ACK }, DROP(EW_R_RATELIMIT) },
	{ "rl pkt: a SYN too", &P_RL, .keep = 1, .pkt = { .dport = 8080 }, DROP(EW_R_RATELIMIT) },
	{ "rl pkt: the conn class on 80 is separate", &P_RL, .keep = 1, .pkt = { .dport = 80 },
	  PASS(EW_R_PASS) },
	{ "rl udp: a conn class charges every UDP packet (burst 2)", &P_RL, .repeat = 2,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 53 }, PASS(EW_R_PASS) },
	{ "rl udp: the 3rd is limited", &P_RL, .keep = 1,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 53 }, DROP(EW_R_RATELIMIT) },
	{ "rl udp: a fragment of it is not charged (no ports)", &P_RL, .keep = 1,
	  .pkt = { .proto = IPPROTO_UDP, .dport = 53, .frag = 20 }, PASS(EW_R_PASS) },

	/* ---- jumbo frames (9000 bytes: ~3520 linear, the rest in frags) ---- */
	{ "jumbo: SYN to 80", &P_GUIDE, .pkt = { .frame_len = 9000 }, PASS(EW_R_PASS) },
	{ "jumbo: ACK to closed 8080", &P_GUIDE, .pkt = { .frame_len = 9000, .dport = 8080,
							 .flags = ACK }, PASS(EW_R_PASS) },
	{ "jumbo: SYN to closed 8080", &P_GUIDE, .pkt = { .frame_len = 9000, .dport = 8080 },
	  DROP(EW_R_DEFAULT_DENY) },
	{ "jumbo: from a blocklisted source", &P_GUIDE, .block = { { .cidr = "198.18.0.10/32" } },
	  .pkt = { .frame_len = 9000 }, DROP(EW_R_BLOCKLIST) },
	{ "jumbo: 8.8.8.8 -> 22", &P_GUIDE, .pkt = { .frame_len = 9000, .src = "8.8.8.8",
						     .dport = 22 }, DROP(EW_R_ACL) },
	{ "jumbo: bogon source", &P_GUIDE, .pkt = { .frame_len = 9000, .src = "127.0.0.1" },
	  DROP(EW_R_BOGON) },
	{ "jumbo: ihl 4", &P_GUIDE, .pkt = { .frame_len = 9000, .ihl = 4 }, DROP(EW_R_BAD_IP4) },
	{ "jumbo: IPv6 UDP", &P_GUIDE, .pkt = { .frame_len = 9000, .family = 6,
						.proto = IPPROTO_UDP }, PASS(EW_R_PASS) },
	{ "jumbo: IPv6 in 2 vlan tags, 6 headers", &P_GUIDE,
	  .pkt = { .frame_len = 9000, .family = 6, .vlans = 2,
		   .ext = { EXT(PKT_HOP), EXT(PKT_DST), EXT(PKT_RT), EXT(PKT_FRAG), EXT(PKT_AH),
			    EXT(PKT_DST) } },
	  PASS(EW_R_PASS) },
	{ "jumbo: 100 jumbo SYNs from one source pass", &P_GUIDE, .repeat = 100,
	  .pkt = { .frame_len = 9000, .src = "203.0.113.60" }, PASS(EW_R_PASS) },
	{ "jumbo: the 101st is rate-limited like a small one", &P_GUIDE, .keep = 1,
	  .pkt = { .frame_len = 9000, .src = "203.0.113.60" }, DROP(EW_R_RATELIMIT) },
	{ "nonlinear: IPv6 hop 2048 + dstopts 2048, TCP in the frags", &P_GUIDE,
	  .pkt = { .family = 6, .frame_len = 9000,
		   .ext = { EXT(PKT_HOP, .len = 255), EXT(PKT_DST, .len = 255) } },
	  DROP(EW_R_NONLINEAR) },
	{ "nonlinear: IPv6 headers end at 3510, TCP straddles the linear end", &P_GUIDE,
	  .pkt = { .family = 6, .frame_len = 9000,
		   .ext = { EXT(PKT_HOP, .len = 255), EXT(PKT_DST, .len = 175) } },
	  DROP(EW_R_NONLINEAR) },
	{ "nonlinear: IPv6 headers end at 3494, TCP linear", &P_GUIDE,
	  .pkt = { .family = 6, .frame_len = 9000,
		   .ext = { EXT(PKT_HOP, .len = 255), EXT(PKT_DST, .len = 173) } },
	  PASS(EW_R_PASS) },
	{ "nonlinear: 2048-byte dstopts x3, the 3rd in the frags", &P_GUIDE,
	  .pkt = { .family = 6, .frame_len = 9000, .proto = 59,
		   .ext = { EXT(PKT_DST, .len = 255), EXT(PKT_DST, .len = 255),
			    EXT(PKT_DST, .len = 255) } },
	  DROP(EW_R_NONLINEAR) },
	{ "nonlinear: linear part 10 bytes (Ethernet in frags)", &P_GUIDE,
	  .pkt = { .linear = 10 }, DROP(EW_R_NONLINEAR) },
	{ "nonlinear: linear part 16 bytes (VLAN tag in frags)", &P_GUIDE,
	  .pkt = { .vlans = 1, .linear = 16 }, DROP(EW_R_NONLINEAR) },
	{ "nonlinear: linear part 14 bytes (IPv4 in frags)", &P_GUIDE, .pkt = { .linear = 14 },
	  DROP(EW_R_NONLINEAR) },
	{ "nonlinear: linear part 40 bytes (options in frags)", &P_GUIDE,
	  .pkt = { .opt = NOP40, .opt_len = 40, .linear = 40 }, DROP(EW_R_NONLINEAR) },
	{ "nonlinear: linear part 40 bytes (TCP in frags)", &P_GUIDE, .pkt = { .linear = 40 },
	  DROP(EW_R_NONLINEAR) },
	{ "nonlinear: IPv6 linear part 60 bytes (hop-by-hop in frags)", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP) }, .linear = 60 }, DROP(EW_R_NONLINEAR) },
	{ "nonlinear: first fragment with TCP in frags is nonlinear, not tiny", &P_GUIDE,
	  .pkt = { .mf = 1, .payload = 100, .linear = 40 }, DROP(EW_R_NONLINEAR) },
	{ "nonlinear: linear part holds exactly the headers", &P_GUIDE,
	  .pkt = { .payload = 200, .linear = 54 }, PASS(EW_R_PASS) },
	{ "nonlinear: headers linear, SYN to closed port judged", &P_GUIDE,
	  .pkt = { .payload = 200, .linear = 54, .dport = 8080 }, DROP(EW_R_DEFAULT_DENY) },
	{ "nonlinear: headers linear, blocklisted source", &P_GUIDE,
	  .block = { { .cidr = "198.18.0.0/16" } }, .pkt = { .payload = 200, .linear = 54 },
	  DROP(EW_R_BLOCKLIST) },
	{ "nonlinear: non-IP ethertype with payload in frags", &P_GUIDE,
	  .pkt = { .family = PKT_NOIP, .ethertype = 0x88cc, .payload = 200, .linear = 14 },
	  PASS(EW_R_PASS_L2) },
};

/* ---- generated rows: the edges of one blocked prefix per length ---- */

struct edge_case {
	const char *cidr;
};

static const struct edge_case edges[] = {
	{ "0.0.0.0/0" },	 { "128.0.0.0/1" },	  { "45.0.0.0/8" },
	{ "46.0.0.0/15" },	 { "47.1.0.0/16" },	  { "47.2.128.0/17" },
	{ "198.51.102.0/23" },	 { "198.51.100.0/24" },	  { "198.51.104.128/25" },
	{ "198.51.105.2/31" },	 { "203.0.113.77/32" },	  { "::/0" },
	{ "8000::/1" },		 { "2001:db8::/31" },	  { "2001:db8::/32" },
	{ "2400:cb00::/33" },	 { "2001:db8:9::/48" },	  { "2001:db8:6:6::/63" },
	{ "2001:db8:6:7::/64" }, { "2001:db8:6:8::/65" }, { "2001:db8:5::/127" },
	{ "2001:db8:5::1/128" },
};

/* addr (big-endian bytes) plus delta (+1 or -1); returns false on wrap-around. */
static bool addr_step(uint8_t *a, int len, int delta)
{
	for (int i = len - 1; i >= 0; i--) {
		int v = a[i] + delta;

		a[i] = (uint8_t)v;
		if (v >= 0 && v <= 255)
			return true;
	}
	return false;
}

static int gen_edge_rows(struct row **out, size_t *n)
{
	static const char *what[] = { "first address", "last address", "neighbour below",
				      "neighbour above" };
	size_t cap = 4 * sizeof(edges) / sizeof(edges[0]), k = 0;
	struct row *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		struct ew_cidr c = tenv_cidr(edges[i].cidr);
		int alen = c.family == 4 ? 4 : 16;
		uint8_t first[16], last[16], probe[16];

		memcpy(first, c.addr, 16);
		memcpy(last, c.addr, 16);
		for (int b = c.plen; b < alen * 8; b++)
			last[b / 8] |= 0x80 >> (b % 8);
		for (int w = 0; w < 4; w++) {
			char abuf[INET6_ADDRSTRLEN], name[160];
			struct row *r = &v[k];

			memcpy(probe, w == 0 || w == 2 ? first : last, 16);
			if (w == 2 && !addr_step(probe, alen, -1))
				continue;
			if (w == 3 && !addr_step(probe, alen, +1))
				continue;
			inet_ntop(c.family == 4 ? AF_INET : AF_INET6, probe, abuf, sizeof(abuf));
			snprintf(name, sizeof(name), "edge: block %s, %s %s", edges[i].cidr, what[w],
				 abuf);
			r->name = strdup(name);
			r->pol = &P_OPEN;	/* no bogons: 0.0.0.0, 127.x, ff.. are plain addresses here */
			r->block[0].cidr = edges[i].cidr;
			r->pkt.family = c.family;
			r->pkt.src = strdup(abuf);
			if (!r->name || !r->pkt.src)
				return -ENOMEM;
			if (w < 2) {
				r->verdict = XDP_DROP;
				r->reason = EW_R_BLOCKLIST;
			} else {
				r->verdict = XDP_PASS;
				r->reason = EW_R_PASS;
			}
			k++;
		}
	}
	*out = v;
	*n = k;
	return 0;
}

/* ---- the runner ---- */

struct runner {
	struct tenv t;
	const struct policy *live;
	int passed, failed;
};

static int apply_policy(struct runner *R, const struct policy *p, char *err, size_t errlen)
{
	struct ew_policy_doc doc;
	const char *path;
	int r;

	if (!p || p == R->live)
		return 0;
	if (p->file) {
		path = tenv_repo_file(p->file);
		if (!path) {
			snprintf(err, errlen, "%s not found (run from the repository root)", p->file);
			return -ENOENT;
		}
		r = tenv_policy_file(&R->t, path, err, errlen);
	} else if (p->yaml) {
		r = tenv_policy_yaml(&R->t, p->yaml, err, errlen);
	} else {
		ew_policy_doc_init(&doc);
		r = p->build(&doc);
		if (!r)
			r = tenv_policy_doc(&R->t, &doc, err, errlen);
		else
			snprintf(err, errlen, "building the document failed: %s", strerror(-r));
		ew_policy_doc_free(&doc);
	}
	if (!r)
		R->live = p;
	else
		R->live = NULL;
	return r;
}

/* Run one row: every packet of it must get the row's verdict, and only its reason may move. */
static int run_row(struct runner *R, const struct row *row, char *msg, size_t msglen)
{
	static uint8_t frame[PKT_MAX_LEN];
	struct ew_counter before[EW_R_MAX], after[EW_R_MAX];
	char err[EW_ERRLEN], why[512];
	int len, r, n = row->repeat ? row->repeat : 1, moved, fail = 0;
	uint32_t ret = 0;
	uint64_t now;

	msg[0] = '\0';
	r = apply_policy(R, row->pol, err, sizeof(err));
	if (r) {
		snprintf(msg, msglen, "setup: policy %s: %s", row->pol->name, err);
		return -1;
	}
	if (!row->keep) {
		r = tenv_rl_clear(&R->t);
		if (r < 0) {
			snprintf(msg, msglen, "setup: clearing rate-limit state: %s", strerror(-r));
			return -1;
		}
	}
	now = ew_boot_ns();
	for (int i = 0; i < 6 && row->block[i].cidr; i++) {
		uint64_t exp = row->block[i].exp == EXP_FUTURE ? now + 10000000000ULL :
			       row->block[i].exp == EXP_PAST   ? now - 1 :
								 0;

		r = tenv_block(&R->t, row->block[i].cidr, exp);
		if (r) {
			snprintf(msg, msglen, "setup: bl_add %s: %s", row->block[i].cidr,
				 strerror(-r));
			return -1;
		}
	}
	for (int i = 0; i < 3 && row->unblock[i]; i++) {
		r = tenv_unblock(&R->t, row->unblock[i]);
		if (r) {
			snprintf(msg, msglen, "setup: bl_del %s: %s", row->unblock[i], strerror(-r));
			return -1;
		}
	}
	if (row->refill) {
		r = tenv_rl_refill(&R->t, row->refill);
		if (r <= 0) {
			snprintf(msg, msglen, "setup: no rate-limit bucket of %s to refill (%d)",
				 row->refill, r);
			return -1;
		}
	}

	len = pkt_build(&row->pkt, frame, NULL);
	if (len < 0) {
		snprintf(msg, msglen, "setup: bad packet spec");
		return -1;
	}
	if (pkt_stats(&R->t.m, before)) {
		snprintf(msg, msglen, "stats_read failed");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int want = row->verdict;

		r = pkt_run(R->t.prog_fd, frame, len, row->pkt.linear, 1, &ret);
		if (r) {
			snprintf(msg, msglen, "BPF_PROG_TEST_RUN (%d bytes): %s", len, strerror(-r));
			fail = 1;
			break;
		}
		if ((int)ret != want) {
			snprintf(msg, msglen, "packet %d of %d: verdict %s (expected %s)", i + 1, n,
				 XDP_VERDICT_NAME(ret), XDP_VERDICT_NAME(want));
			fail = 1;
			break;
		}
	}
	if (pkt_stats(&R->t.m, after)) {
		snprintf(msg, msglen, "stats_read failed");
		return -1;
	}

	moved = pkt_stats_moved(before, after, n, (uint64_t)n * len, why, sizeof(why));
	if (moved != row->reason) {
		size_t used = strlen(msg);

		if (!fail) {
			snprintf(msg, msglen, "verdict %s (expected %s)", XDP_VERDICT_NAME(ret),
				 XDP_VERDICT_NAME(row->verdict));
			used = strlen(msg);
		}
		if (moved >= 0)
			snprintf(msg + used, msglen - used, ", reason counter %s moved (expected %s)",
				 pkt_reason_name(moved), pkt_reason_name(row->reason));
		else
			snprintf(msg + used, msglen - used,
				 ", reason counters: %s (expected only %s, +%d pkts +%llu bytes)", why,
				 pkt_reason_name(row->reason), n, (unsigned long long)n * len);
		fail = 1;
	}

	/* Leave the blocklist as we found it: empty. */
	for (int i = 0; i < 6 && row->block[i].cidr; i++) {
		r = tenv_unblock(&R->t, row->block[i].cidr);
		if (r && r != -ENOENT) {
			snprintf(msg + strlen(msg), msglen - strlen(msg), "; cleanup: bl_del %s: %s",
				 row->block[i].cidr, strerror(-r));
			fail = 1;
		}
	}
	return fail ? -1 : 0;
}

static void report(struct runner *R, const struct row *row, int r, const char *msg)
{
	if (r == 0) {
		R->passed++;
		printf("ok - %s\n", row->name);
	} else {
		R->failed++;
		printf("not ok - %s: %s\n", row->name, msg);
	}
	fflush(stdout);
}


/*
 * ---- sweeps: every cut (or linear size) through a frame's headers ----
 *
 * Each base frame is cut at every length from 14 bytes to the end of its
 * headers (or run whole with every linear size from 1 byte); the reason
 * expected at each length follows from where the cut falls. One output line
 * per header region, naming the first length that disagrees.
 */
struct sweep {
	const char *name;
	const struct policy *pol;
	struct pkt_spec pkt;
	int reason;		/* of the whole frame */
	int by_linear;		/* vary the linear part instead of cutting */
};

static const struct sweep sweeps[] = {
	{ "ipv4 tcp, 2 vlans, 12 bytes of options", &P_GUIDE,
	  .pkt = { .vlans = 2, .tpid = { 0x88a8 }, .opt = { 1, 1, 1, 1, 0x07, 7, 4 }, .opt_len = 12,
		   .payload = 10 },
	  EW_R_PASS },
	{ "ipv4 udp", &P_GUIDE, .pkt = { .proto = IPPROTO_UDP, .dport = 53, .payload = 4 },
	  EW_R_PASS },
	{ "ipv4 icmp, 1 vlan", &P_GUIDE, .pkt = { .vlans = 1, .proto = IPPROTO_ICMP }, EW_R_PASS },
	{ "ipv4 tcp first fragment", &P_GUIDE, .pkt = { .mf = 1, .opt = NOP40, .opt_len = 4,
							.payload = 16 }, EW_R_PASS },
	{ "ipv6 tcp, 1 vlan, 6 extension headers", &P_GUIDE,
	  .pkt = { .family = 6, .vlans = 1,
		   .ext = { EXT(PKT_HOP), EXT(PKT_DST, .len = 1), EXT(PKT_RT), EXT(PKT_FRAG),
			    EXT(PKT_AH), EXT(PKT_DST) } },
	  EW_R_PASS },
	{ "ipv6 udp first fragment (hop, frag M=1, dstopts, routing)", &P_GUIDE,
	  .pkt = { .family = 6, .proto = IPPROTO_UDP,
		   .ext = { EXT(PKT_HOP), EXT(PKT_FRAG, .m = 1), EXT(PKT_DST), EXT(PKT_RT) } },
	  EW_R_PASS },
	{ "ipv6 icmpv6", &P_GUIDE, .pkt = { .family = 6, .proto = IPPROTO_ICMPV6 }, EW_R_PASS },
	{ "ipv6 tcp, 16-byte hop-by-hop last", &P_GUIDE,
	  .pkt = { .family = 6, .ext = { EXT(PKT_HOP, .len = 1) } }, EW_R_PASS },
	{ "ipv6 esp, 16-byte dstopts last", &P_GUIDE,
	  .pkt = { .family = 6, .proto = 50, .payload = 16, .ext = { EXT(PKT_DST, .len = 1) } },
	  EW_R_PASS },
	{ "ipv4 tcp, 2 vlans, 12 bytes of options", &P_GUIDE,
	  .pkt = { .vlans = 2, .opt = { 1, 1, 1, 1, 0x07, 7, 4 }, .opt_len = 12, .payload = 100 },
	  EW_R_PASS, .by_linear = 1 },
	{ "ipv6 tcp, 1 vlan, 6 extension headers", &P_GUIDE,
	  .pkt = { .family = 6, .vlans = 1, .payload = 100,
		   .ext = { EXT(PKT_HOP), EXT(PKT_DST, .len = 1), EXT(PKT_RT), EXT(PKT_FRAG),
			    EXT(PKT_AH), EXT(PKT_DST) } },
	  EW_R_PASS, .by_linear = 1 },
	{ "ipv6 esp, 16-byte dstopts last", &P_GUIDE,
	  .pkt = { .family = 6, .proto = 50, .payload = 100, .ext = { EXT(PKT_DST, .len = 1) } },
	  EW_R_PASS, .by_linear = 1 },
};

struct region {
	char name[64];
	int lo, hi;		/* lengths lo..hi-1 */
	int reason;
};

static const char *ext_name(int type)
{
	static const char *n[] = { "end", "hop-by-hop", "routing", "fragment", "AH", "dstopts",
				   "raw" };

	return type >= 0 && type <= PKT_RAW ? n[type] : "?";
}


/* The header regions of a built frame and the reason a cut inside each must give. */
static int sweep_regions(const struct sweep *w, const struct pkt_layout *L, struct region *rg)
{
	const struct pkt_spec *s = &w->pkt;
	int n = 0, ff = 0, proto = s->proto ? s->proto & ~PKT_EXPLICIT : IPPROTO_TCP;
	int ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_ICMP ||
		    proto == IPPROTO_ICMPV6;
	int lin = w->by_linear, hdr_end = L->pay;

#define REGION(nm, a, b, r)                                                         \
	do {                                                                        \
		if ((a) < (b)) {                                                    \
			snprintf(rg[n].name, sizeof(rg[n].name), "%s", nm);         \
			rg[n].lo = (a) < 14 && !lin ? 14 : (a) < 1 ? 1 : (a);       \
			rg[n].hi = (b);                                             \
			rg[n].reason = lin ? EW_R_NONLINEAR : (r);                  \
			if (rg[n].lo < rg[n].hi)                                    \
				n++;                                                \
		}                                                                   \
	} while (0)

	REGION("ethernet", 0, 14, EW_R_TRUNC_ETH);
	REGION("vlan tags", 14, L->l3, EW_R_TRUNC_ETH);
	if (s->family != 6) {
		REGION("ipv4 header", L->l3, L->l3 + 20, EW_R_TRUNC_IP4);
		REGION("ipv4 options", L->l3 + 20, L->l4, EW_R_TRUNC_IP4);
		ff = s->mf && !s->frag;
	} else {
		REGION("ipv6 header", L->l3, L->l3 + 40, EW_R_TRUNC_IP6);
		for (int i = 0; i < L->n_ext; i++) {
			int a = L->ext[i], b = i + 1 < L->n_ext ? L->ext[i + 1] : L->l4;
			int r = ff ? EW_R_FRAG_TINY : EW_R_TRUNC_IP6;
			char nm[64];

			snprintf(nm, sizeof(nm), "ext %d (%s), first 8 bytes", i,
				 ext_name(s->ext[i].type));
			REGION(nm, a, a + 8, r);
			snprintf(nm, sizeof(nm), "ext %d (%s), bytes 8..%d", i,
				 ext_name(s->ext[i].type), b - a - 1);
			REGION(nm, a + 8, b, r);
			if (s->ext[i].type == PKT_FRAG && s->ext[i].m && !s->ext[i].frag_off)
				ff = 1;
		}
	}
	if (ports)
		REGION("l4 header", L->l4, L->pay, ff ? EW_R_FRAG_TINY : EW_R_TRUNC_L4);
	else
		hdr_end = L->l4;
	/* Complete headers: the whole frame's reason, at the first length that has them all. */
	if (!lin || hdr_end < L->len) {
		snprintf(rg[n].name, sizeof(rg[n].name), "headers complete");
		rg[n].lo = hdr_end > 14 || lin ? hdr_end : 14;
		rg[n].hi = lin ? L->len : hdr_end + 1;
		rg[n].reason = w->reason;
		n++;
	}
#undef REGION
	return n;
}

static void run_sweep(struct runner *R, const struct sweep *w)
{
	static uint8_t frame[PKT_MAX_LEN];
	struct ew_counter before[EW_R_MAX], after[EW_R_MAX];
	struct region rg[48];
	struct pkt_layout L;
	struct pkt_spec s;
	char err[EW_ERRLEN], why[512], msg[1024], name[512];
	int n, len, r;

	if (apply_policy(R, w->pol, err, sizeof(err))) {
		R->failed++;
		printf("not ok - sweep %s: setup: %s\n", w->name, err);
		return;
	}
	tenv_rl_clear(&R->t);
	if (pkt_build(&w->pkt, frame, &L) < 0) {
		R->failed++;
		printf("not ok - sweep %s: bad spec\n", w->name);
		return;
	}
	n = sweep_regions(w, &L, rg);
	for (int k = 0; k < n; k++) {
		struct row fake = { 0 };
		int fail = 0;

		snprintf(name, sizeof(name), "sweep %.100s: %s %.63s (%d..%d) -> %.40s", w->name,
			 w->by_linear ? "linear part ends in" : "cut in", rg[k].name, rg[k].lo,
			 rg[k].hi - 1, pkt_reason_name(rg[k].reason));
		fake.name = name;
		msg[0] = '\0';
		for (int at = rg[k].lo; at < rg[k].hi && !fail; at++) {
			uint32_t ret, linear = 0;
			int moved, want = ew_reason_is_drop(rg[k].reason) ? XDP_DROP : XDP_PASS;

			s = w->pkt;
			if (w->by_linear) {
				linear = at;
			} else {
				s.cut_at = PKT_AT_ABS;
				s.cut = at;
			}
			len = pkt_build(&s, frame, NULL);
			if (len < 14 || pkt_stats(&R->t.m, before)) {
				snprintf(msg, sizeof(msg), "setup failed at %d", at);
				fail = 1;
				break;
			}
			r = pkt_run(R->t.prog_fd, frame, len, linear, 1, &ret);
			if (r || pkt_stats(&R->t.m, after)) {
				snprintf(msg, sizeof(msg), "at %d: test run: %s", at, strerror(-r));
				fail = 1;
				break;
			}
			moved = pkt_stats_moved(before, after, 1, len, why, sizeof(why));
			if (moved != rg[k].reason || (int)ret != want) {
				if (moved >= 0)
					snprintf(msg, sizeof(msg),
						 "at %d: verdict %s (expected %s), reason counter "
						 "%s moved (expected %s)", at, XDP_VERDICT_NAME(ret),
						 XDP_VERDICT_NAME(want), pkt_reason_name(moved),
						 pkt_reason_name(rg[k].reason));
				else
					snprintf(msg, sizeof(msg), "at %d: verdict %s, counters: %s",
						 at, XDP_VERDICT_NAME(ret), why);
				fail = 1;
			}
		}
		report(R, &fake, fail ? -1 : 0, msg);
	}
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	struct runner R = { 0 };
	struct row *gen = NULL;
	size_t n_gen = 0;
	char err[EW_ERRLEN], msg[1024];
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tenv_require_root("test_datapath");
	if (gen_edge_rows(&gen, &n_gen)) {
		fprintf(stderr, "test_datapath: out of memory\n");
		return 1;
	}
	r = tenv_open(&R.t, "datapath", err, sizeof(err));
	if (r) {
		printf("not ok - setup: load the program under %s: %s\n", R.t.pin_dir, err);
		printf("0 passed, 1 failed\n");
		tenv_close(&R.t);
		return 1;
	}

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) + n_gen; i++) {
		const struct row *row = i < sizeof(rows) / sizeof(rows[0]) ?
						&rows[i] :
						&gen[i - sizeof(rows) / sizeof(rows[0])];

		if (filter && !strstr(row->name, filter))
			continue;
		/* Rows that continue a sequence need the rows before them. */
		if (filter && row->keep)
			continue;
		r = run_row(&R, row, msg, sizeof(msg));
		report(&R, row, r, msg);
	}

	for (size_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
		char name[256];

		snprintf(name, sizeof(name), "sweep %s", sweeps[i].name);
		if (!filter || strstr(name, filter))
			run_sweep(&R, &sweeps[i]);
	}

	tenv_close(&R.t);
	printf("%d passed, %d failed\n", R.passed, R.failed);
	for (size_t i = 0; i < n_gen; i++) {
		free((char *)gen[i].name);
		free((char *)gen[i].pkt.src);
	}
	free(gen);
	return R.failed ? 1 : 0;
}
