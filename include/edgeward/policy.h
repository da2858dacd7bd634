/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Policy: default policy, open ports, service ACLs, rate-limit classes and
 * the allowlist, swapped all-or-nothing.
 *
 * The whole policy except its CIDR sets is one struct ew_policy, the single
 * value of an inner ARRAY map held by the ARRAY_OF_MAPS ew_policy. A change
 * builds a new inner map and swaps the outer slot in one update: packets see
 * the old policy or the new one, never a mix, and the kernel frees the old
 * inner map after an RCU grace period, so no reader sees it rewritten.
 *
 * The CIDR sets (allowlist and each ACL's sources) live in one LPM trie per
 * family, keyed by (generation, set id, address). The generation is part of
 * the policy: a change inserts the new generation's entries, swaps the policy,
 * then deletes the old generation's entries.
 */
#ifndef EDGEWARD_POLICY_H
#define EDGEWARD_POLICY_H

/* Index of a protocol's table in ew_policy.ports. */
enum ew_proto_idx {
	EW_PI_TCP = 0,
	EW_PI_UDP = 1,
	EW_PI_ICMP = 2,		/* "port" = ICMP type */
	EW_PI_ICMP6 = 3,	/* "port" = ICMPv6 type */
	EW_PI_COUNT
};

#define EW_PORTS_TCP_UDP 65536
#define EW_PORTS_ICMP	 256

/* Per-port rule, 4 bytes. */
#define EW_PORT_OPEN	0x01	/* reachable under default-deny */
struct ew_port {
	__u8 flags;		/* EW_PORT_* */
	__u8 rl_class;		/* 0 = none, else index into ew_policy.rl */
	__u16 acl_id;		/* 0 = none, else index into ew_policy.acl */
};
_Static_assert(sizeof(struct ew_port) == 4, "ew_port ABI");

/* Policy flags. */
#define EW_POL_TCP_DENY	 0x01	/* drop TCP SYN (no ACK) to ports not open */
#define EW_POL_UDP_DENY	 0x02	/* drop UDP to ports not open */
#define EW_POL_BOGONS	 0x04	/* drop martian sources */
#define EW_POL_V4MAPPED	 0x08	/* drop IPv4-mapped/compatible IPv6 sources */
#define EW_POL_NONIP_DROP 0x10	/* drop ethertypes other than IPv4, IPv6, ARP */
#define EW_POL_ICMP_DENY 0x20	/* drop ICMP/ICMPv6 types not open (ICMPv6 ND always passes) */
#define EW_POL_ALL_FLAGS 0x3f

#define EW_RL_MAX	64	/* classes 1..63; 0 means none */
#define EW_ACL_MAX	256	/* ACLs 1..255; 0 means none (and is the allowlist's set id) */
#define EW_NAME_LEN	24
#define EW_ALLOW_HINT_WORDS 1024	/* 65536 bits */

#define EW_RL_COUNT_CONN 0x01	/* charge only TCP SYN without ACK; other protocols every packet */

/*
 * Rate-limit class: a GCRA token bucket. A source may send when its
 * theoretical arrival time (TAT) minus now is at most burst_ns; each charged
 * packet moves TAT by interval_ns. burst_ns = (burst - 1) * interval_ns.
 */
struct ew_rl_class {
	__u64 interval_ns;	/* ns per token: 1e9 * period_s / rate */
	__u64 burst_ns;		/* (burst - 1) * interval_ns */
	__u32 rate;		/* tokens per period, as configured */
	__u32 period_s;		/* 1 (sec), 60 (min), 3600 (hour), 86400 (day) */
	__u32 burst;		/* bucket depth in packets */
	__u32 flags;		/* EW_RL_COUNT_* */
	char name[EW_NAME_LEN];	/* "" = slot unused */
};
_Static_assert(sizeof(struct ew_rl_class) == 56, "ew_rl_class ABI");

/*
 * Descriptor of an ACL; its source CIDRs are in the LPM tries under set id =
 * index. An ACL with at most EW_ACL_INLINE IPv4 sources (the guide's have
 * one to three) also carries them inline, and IPv4 packets are checked
 * against these with a few compares instead of an LPM lookup (~15 ns).
 */
#define EW_ACL_INLINE	8
#define EW_ACL_V4_INLINE 0x01	/* every IPv4 source is in net4/mask4 */
struct ew_acl {
	__u16 port_lo;
	__u16 port_hi;
	__u8 proto_idx;		/* enum ew_proto_idx */
	__u8 used;
	__u16 n_cidrs;		/* informational: entries in the tries */
	__u8 flags;		/* EW_ACL_*; derived from the sets at commit */
	__u8 n_inline4;		/* used entries of net4/mask4 */
	__u8 pad[6];
	__u32 net4[EW_ACL_INLINE];	/* network byte order */
	__u32 mask4[EW_ACL_INLINE];	/* network byte order */
};
_Static_assert(sizeof(struct ew_acl) == 16 + 8 * EW_ACL_INLINE, "ew_acl ABI");

struct ew_policy {
	__u32 abi_version;
	__u32 gen;		/* generation of this policy's LPM entries, 1..65535 */
	__u32 flags;		/* EW_POL_* */
	__u32 ev_sample;	/* send 1 in ev_sample drops as events; 0 = no events */
	__u32 ev_max_per_s;	/* cap on events per second, all CPUs */
	__u32 n_allow;		/* allowlist entries; 0 makes the datapath skip the lookup */
	__u64 applied_unix;	/* wall-clock seconds of the change */
	/*
	 * Allowlist hints, a superset test that spares the allowlist's LPM
	 * lookup for sources no entry can match: bit (a >> 16) of allow4_16 is
	 * set when an entry overlaps that IPv4 /16; bit ew_allow6_bucket() of
	 * allow6_32 when an entry lies in that IPv6 /32 (all bits for entries
	 * shorter than /32). Derived from the set entries at commit.
	 */
	__u64 allow4_16[EW_ALLOW_HINT_WORDS];
	__u64 allow6_32[EW_ALLOW_HINT_WORDS];
	struct ew_rl_class rl[EW_RL_MAX];
	struct ew_acl acl[EW_ACL_MAX];
	struct ew_port tcp[EW_PORTS_TCP_UDP];
	struct ew_port udp[EW_PORTS_TCP_UDP];
	struct ew_port icmp[EW_PORTS_ICMP];
	struct ew_port icmp6[EW_PORTS_ICMP];
};
_Static_assert(sizeof(struct ew_policy) ==
	       32 + 2 * 8 * EW_ALLOW_HINT_WORDS + 56 * EW_RL_MAX + 80 * EW_ACL_MAX +
		       4 * (2 * 65536 + 2 * 256), "ew_policy ABI");

/* The allow6_32 bit of an IPv6 address: its first 32 bits (host order) folded to 16. */
static inline __u32 ew_allow6_bucket(__u32 top32)
{
	return (top32 >> 16 ^ top32) & 0xffff;
}

/*
 * LPM keys of the CIDR sets. The first 32 bits (gen << 16 | set id) always
 * take part in the match: prefixlen = 32 + CIDR length. Set id 0 is the
 * allowlist, 1..255 the ACLs.
 */
struct ew_lpm4_key {
	__u32 prefixlen;
	__u32 gen_set;		/* gen << 16 | set id */
	__u32 addr;		/* network byte order */
};
_Static_assert(sizeof(struct ew_lpm4_key) == 12, "ew_lpm4_key ABI");

struct ew_lpm6_key {
	__u32 prefixlen;
	__u32 gen_set;
	__u8 addr[16];
};
_Static_assert(sizeof(struct ew_lpm6_key) == 24, "ew_lpm6_key ABI");

#define EW_LPM4_MAX 65536
#define EW_LPM6_MAX 65536

static inline __u32 ew_gen_set(__u32 gen, __u32 set)
{
	return gen << 16 | set;
}

/*
 * Rate-limit state, one per (class, source): IPv4 per /32, IPv6 per /64
 * (a host owns a whole /64, so per-/128 state would let it mint buckets).
 */
struct ew_rl_key {
	__u8 class_id;
	__u8 family;		/* 4 or 6 */
	__u16 pad;
	__u8 addr[8];		/* IPv4: first 4 bytes, rest zero; IPv6: the /64 */
};
_Static_assert(sizeof(struct ew_rl_key) == 12, "ew_rl_key ABI");

struct ew_rl_state {
	__u64 tat_ns;		/* theoretical arrival time, CLOCK_MONOTONIC ns */
	__u64 drops;		/* packets this source lost to the class */
};
_Static_assert(sizeof(struct ew_rl_state) == 16, "ew_rl_state ABI");

#define EW_RL_STATE_MAX (1U << 18)	/* 256k sources per box; LRU evicts the oldest */

#endif
