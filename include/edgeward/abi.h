/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * edgeward ABI shared by the XDP program and userspace: pin directory, map
 * names, drop reasons, counters and drop events.
 *
 * This header includes nothing and uses only __u8..__u64: the includer brings
 * the types (vmlinux.h/linux/types.h in BPF, linux/types.h in userspace).
 * Every shared struct has a size assert so an ABI change breaks the build,
 * never a running filter. Bump EW_ABI_VERSION whenever a layout changes.
 */
#ifndef EDGEWARD_ABI_H
#define EDGEWARD_ABI_H

/*
 * 2: ew_bl4_m24 became a packed ARRAY of __u64. 3: allowlist hints in the
 * policy. 4: ew_bl4_m16 holds lengths 0..15 only, ew_bl4_m24 lengths 16..32
 * in two 32-bit lanes a word (64 MiB), both BPF_F_MMAPABLE.
 */
#define EW_ABI_VERSION 5

#define EW_PIN_DIR	"/sys/fs/bpf/edgeward"
#define EW_PROG_PIN	EW_PIN_DIR "/ew_xdp"
#define EW_PROG_NAME	"ew_xdp"

/* One spelling per map; the BPF side declares maps with exactly these names. */
#define EW_MAP_STATS	 "ew_stats"
#define EW_MAP_EVENTS	 "ew_events"
#define EW_MAP_EVCAP	 "ew_ev_cap"
#define EW_MAP_EVSUPP	 "ew_ev_supp"
#define EW_MAP_INFO	 "ew_info"
#define EW_MAP_BL4	 "ew_bl4"
#define EW_MAP_BL4_M16	 "ew_bl4_m16"
#define EW_MAP_BL4_M24	 "ew_bl4_m24"
#define EW_MAP_BL6	 "ew_bl6"
#define EW_MAP_BL6_M32	 "ew_bl6_m32"
#define EW_MAP_BL6_SHORT "ew_bl6_short"
#define EW_MAP_REASONS	 "ew_bl_reasons"
#define EW_MAP_POLICY	 "ew_policy"
#define EW_MAP_LPM4	 "ew_pol_lpm4"
#define EW_MAP_LPM6	 "ew_pol_lpm6"
#define EW_MAP_RL_STATE	 "ew_rl_state"

/*
 * Why a packet ended where it did. Every packet increments exactly one of
 * these. Numbers are assigned once and never reused; names live in
 * user/lib/parse.c (ew_reason_name).
 */
enum ew_reason {
	EW_R_PASS = 0,		/* passed every stage */
	EW_R_PASS_ALLOW = 1,	/* source on the allowlist: later stages skipped */
	EW_R_PASS_ARP = 2,
	EW_R_PASS_L2 = 3,	/* other non-IP ethertype, policy non_ip: allow */
	EW_R_DROP_L2 = 4,	/* other non-IP ethertype, policy non_ip: drop */
	EW_R_TRUNC_ETH = 5,	/* frame shorter than its Ethernet/VLAN headers */
	EW_R_VLAN_DEPTH = 6,	/* more than EW_VLAN_MAX stacked tags */
	EW_R_TRUNC_IP4 = 7,
	EW_R_BAD_IP4 = 8,	/* version, ihl < 5, total length, option framing */
	EW_R_TRUNC_IP6 = 9,
	EW_R_BAD_IP6 = 10,	/* version, malformed extension header */
	EW_R_IP6_EXT_DEPTH = 11,/* more than EW_IP6_EXT_MAX extension headers */
	EW_R_SRCROUTE = 12,	/* IPv4 LSRR/SSRR option, IPv6 type 0 routing header */
	EW_R_TRUNC_L4 = 13,	/* TCP/UDP/ICMP header cut short */
	EW_R_BAD_L4 = 14,	/* TCP doff < 5, UDP length < 8 */
	EW_R_FRAG_TINY = 15,	/* first fragment without the whole L4 header (RFC 7112) */
	EW_R_NONLINEAR = 16,	/* headers beyond the linear part of a multi-buffer frame */
	EW_R_BOGON = 17,	/* martian source address */
	EW_R_V4MAPPED = 18,	/* IPv4-mapped/compatible IPv6 source */
	EW_R_BLOCKLIST = 19,
	EW_R_ACL = 20,		/* service port reached from a source outside its ACL */
	EW_R_RATELIMIT = 21,
	EW_R_DEFAULT_DENY = 22,	/* new connection to a port that is not open */
	EW_R_COUNT,		/* number of reasons in use */
	EW_R_MAX = 32		/* size of the counter array: room to grow */
};

static inline int ew_reason_is_drop(int r)
{
	return r >= EW_R_DROP_L2;	/* 0..3 pass, everything from 4 on drops */
}

/* Per-CPU counter, one per reason. */
struct ew_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct ew_counter) == 16, "ew_counter ABI");

/* Parser bounds: beyond them a packet is dropped (VLAN_DEPTH/IP6_EXT_DEPTH). */
#define EW_VLAN_MAX	2
#define EW_IP6_EXT_MAX	6

/*
 * ew_info: one ARRAY entry written by the loader so that userspace can check
 * the ABI of the pinned maps before touching them.
 */
struct ew_info {
	__u32 abi_version;
	__u32 reserved;
	__u64 loaded_unix;	/* wall-clock seconds of the first load */
};
_Static_assert(sizeof(struct ew_info) == 16, "ew_info ABI");

/* A sampled drop, sent through the ew_events ring buffer. */
struct ew_event {
	__u64 ts_mono_ns;	/* bpf_ktime_get_coarse_ns(): CLOCK_MONOTONIC_COARSE */
	__u32 ifindex;
	__u16 pkt_len;		/* whole frame, all buffers */
	__u8 reason;		/* enum ew_reason */
	__u8 family;		/* 4, 6, or 0 when no IP header was parsed */
	__u8 proto;		/* L4 protocol number */
	__u8 ttl;		/* TTL / hop limit */
	__u8 tcp_flags;		/* byte 13 of the TCP header */
	__u8 tos;		/* TOS / traffic class */
	__u16 sport;		/* host byte order; ICMP: type */
	__u16 dport;		/* host byte order; ICMP: code */
	__u16 ip_id;		/* host byte order, IPv4 only */
	__u16 frag;		/* IPv4 frag_off field, host byte order */
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u16 pad;
	__u8 saddr[16];		/* network byte order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u32 sample_drops;	/* events suppressed by the cap since the last sent */
	__u32 pad2;
};
_Static_assert(sizeof(struct ew_event) == 88, "ew_event ABI");

/*
 * ew_ev_cap: the global count of drop events sent in the current second
 * (see bpf/lib/stats.h). Past the cap only the per-CPU ew_ev_supp counters
 * are written, so a flood does not bounce this cache line between CPUs.
 */
struct ew_ev_cap {
	__u64 window_s;		/* CLOCK_MONOTONIC second of the current window */
	__u64 sent;		/* events sent in that window */
};
_Static_assert(sizeof(struct ew_ev_cap) == 16, "ew_ev_cap ABI");

#endif
