/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What every stage of the datapath sees: the parsed packet and shared includes. */
#ifndef EW_BPF_COMMON_H
#define EW_BPF_COMMON_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "edgeward/abi.h"
#include "edgeward/blocklist.h"
#include "edgeward/policy.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

#define EW_TCP_SYN 0x02
#define EW_TCP_ACK 0x10

/* The parser's view of the frame: the linear part only. */
struct ew_cur {
	void *data;
	void *end;
};

/*
 * The packet as the parser left it, without pointers, so that the rule
 * stages can run in a global function verified once (not once per parser
 * path). Addresses stay in network byte order.
 */
struct ew_pkt {
	__u64 len;		/* whole frame, every buffer */
	__u64 now;		/* CLOCK_MONOTONIC_COARSE ns, read once, lazily (0 = not yet) */
	__u32 saddr[4];		/* IPv4 in saddr[0] */
	__u32 daddr[4];
	__u16 sport;		/* host byte order; ICMP type */
	__u16 dport;		/* host byte order; ICMP code */
	__u16 ip_id;
	__u16 frag;		/* IPv4 frag_off / IPv6 fragment offset field, host order */
	__u32 linear;		/* bytes in the linear part */
	__u32 ip_end;		/* offset where the IP packet ends (total/payload length) */
	__u8 family;		/* 4, 6, 0 before the IP header */
	__u8 proto;
	__u8 ttl;
	__u8 tos;
	__u8 tcp_flags;
	__u8 has_l4;		/* sport/dport valid */
	__u8 later_frag;	/* a non-first fragment: L3 rules only */
	__u8 first_frag;	/* offset 0 with more fragments to come */
	__u8 pad[2];
};

/*
 * The clock of rate limits and drop events: the coarse monotonic clock
 * (jiffy resolution) costs ~5 ns where bpf_ktime_get_boot_ns costs ~34 ns on
 * a VM. Block expiry alone needs CLOCK_BOOTTIME, and reads it only when a
 * rule with an expiry matches.
 */
static __always_inline __u64 ew_now(struct ew_pkt *p)
{
	if (!p->now)
		p->now = bpf_ktime_get_coarse_ns();
	return p->now;
}

static __always_inline int ew_is_syn(const struct ew_pkt *p)
{
	return p->proto == IPPROTO_TCP && (p->tcp_flags & (EW_TCP_SYN | EW_TCP_ACK)) == EW_TCP_SYN;
}

#endif
