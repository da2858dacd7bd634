/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bounds-checked header parsing: Ethernet, a bounded VLAN stack, IPv4 with
 * options and fragments, IPv6 with a bounded extension-header walk, and the
 * TCP/UDP/ICMP header. Anything that cannot be parsed within the bounds ends
 * the packet with its own reason; nothing is passed unparsed except ARP and,
 * by policy, other non-IP ethertypes.
 */
#ifndef EW_BPF_PARSE_H
#define EW_BPF_PARSE_H

#include "common.h"

/* Next-header values of the IPv6 extension headers we walk. */
#define EW_NH_HOPOPTS	0
#define EW_NH_ROUTING	43
#define EW_NH_FRAGMENT	44
#define EW_NH_AH	51
#define EW_NH_DSTOPTS	60

#define EW_IP_MF	0x2000
#define EW_IP_OFFMASK	0x1fff

/*
 * A header did not fit: if the frame has fragments beyond the linear part
 * the header may well be there, but we cannot see it, so the reason differs.
 */
static __always_inline int ew_short(const struct ew_pkt *p, int reason)
{
	if (p->len > p->linear)
		return EW_R_NONLINEAR;
	/* A first fragment that more fragments follow: its headers belong here (RFC 7112). */
	if (p->first_frag)
		return EW_R_FRAG_TINY;
	return reason;
}

/*
 * IPv4 options: drop loose/strict source routing (LSRR 0x83, SSRR 0x89) and
 * malformed option framing. The walk runs in bpf_loop over a copy of the
 * (at most 40) option bytes, so the verifier checks one step once instead of
 * every path through 40 iterations.
 */
struct ew_opt_walk {
	__u8 buf[40];
	__u32 off;
	__u32 len;
	int result;
};

static long ew_opt_step(__u64 i, void *vw)
{
	struct ew_opt_walk *w = vw;
	__u32 off = w->off, len;
	__u8 type;

	(void)i;
	if (off >= w->len || off >= sizeof(w->buf))
		return 1;
	type = w->buf[off];
	if (type == 0)		/* end of option list */
		return 1;
	if (type == 1) {	/* no-op */
		w->off = off + 1;
		return 0;
	}
	if (off + 1 >= w->len || off + 1 >= sizeof(w->buf)) {
		w->result = EW_R_BAD_IP4;
		return 1;
	}
	len = w->buf[off + 1];
	if (len < 2 || off + len > w->len) {
		w->result = EW_R_BAD_IP4;
		return 1;
	}
	if (type == 0x83 || type == 0x89) {
		w->result = EW_R_SRCROUTE;
		return 1;
	}
	w->off = off + len;
	return 0;
}

/* Returns EW_R_PASS, EW_R_SRCROUTE or EW_R_BAD_IP4. */
__noinline int ew_ip4_options(struct xdp_md *ctx, __u32 opt_off, __u32 opt_len)
{
	struct ew_opt_walk w = { .len = opt_len, .result = EW_R_PASS };

	if (opt_len == 0 || opt_len > sizeof(w.buf))
		return EW_R_BAD_IP4;
	if (bpf_xdp_load_bytes(ctx, opt_off, w.buf, opt_len))
		return EW_R_BAD_IP4;
	bpf_loop(sizeof(w.buf), ew_opt_step, &w, 0);
	return w.result;
}

/*
 * Offset of a packet pointer from the start of the frame. The subtraction
 * must stay 64-bit: the verifier refuses 32-bit arithmetic on pointers,
 * which the compiler would otherwise emit when the result is narrowed.
 */
static __always_inline __u32 ew_off(const struct ew_cur *c, const void *ptr)
{
	__u64 off = (long)ptr - (long)c->data;

	asm volatile("" : "+r"(off));
	return off;
}

/*
 * The L4 header must fit in the IP packet as its length field says (a short
 * first fragment is padded to 60 bytes on Ethernet, and the padding must not
 * be read as a TCP header) and in the linear part of the frame.
 */
static __always_inline int ew_l4_short(struct ew_cur *c, struct ew_pkt *p, void *l4, __u32 need)
{
	if (ew_off(c, l4) + need > p->ip_end)
		return p->first_frag ? EW_R_FRAG_TINY : EW_R_TRUNC_L4;
	if (l4 + need > c->end)
		return ew_short(p, EW_R_TRUNC_L4);
	return 0;
}

static __always_inline int ew_parse_l4(struct ew_cur *c, struct ew_pkt *p, void *l4)
{
	void *end = c->end;
	int r;

	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		r = ew_l4_short(c, p, l4, sizeof(*th));
		if (r)
			return r;
		if ((void *)(th + 1) > end)	/* for the verifier: ew_l4_short checked it */
			return EW_R_TRUNC_L4;
		if (th->doff < 5)
			return EW_R_BAD_L4;
		/* Options the IP packet does not hold. */
		if (ew_off(c, l4) + th->doff * 4 > p->ip_end)
			return EW_R_BAD_L4;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		r = ew_l4_short(c, p, l4, sizeof(*uh));
		if (r)
			return r;
		if ((void *)(uh + 1) > end)
			return EW_R_TRUNC_L4;
		/* 0 is legal only with an IPv6 jumbogram, which we do not accept. */
		if (bpf_ntohs(uh->len) < sizeof(*uh))
			return EW_R_BAD_L4;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *ih = l4;

		/* ICMP in IPv6 or ICMPv6 in IPv4 has no meaning: no ports, L3 rules only. */
		if ((p->proto == IPPROTO_ICMP) != (p->family == 4))
			return EW_R_PASS;
		/* type, code, checksum, 4 bytes of rest */
		r = ew_l4_short(c, p, l4, 8);
		if (r)
			return r;
		if ((void *)(ih + 8) > end)
			return EW_R_TRUNC_L4;
		p->sport = ih[0];	/* type */
		p->dport = ih[1];	/* code */
		break;
	}
	default:
		return EW_R_PASS;	/* no ports: L3 rules only */
	}
	p->has_l4 = 1;
	return EW_R_PASS;
}

static __always_inline int ew_parse_ip4(struct xdp_md *ctx, struct ew_cur *c, struct ew_pkt *p,
					struct iphdr *ip)
{
	__u32 hlen;
	__u16 frag;
	int r;

	if ((void *)(ip + 1) > c->end)
		return ew_short(p, EW_R_TRUNC_IP4);
	if (ip->version != 4 || ip->ihl < 5)
		return EW_R_BAD_IP4;
	hlen = ip->ihl * 4;
	if ((void *)ip + hlen > c->end)
		return ew_short(p, EW_R_TRUNC_IP4);
	if (bpf_ntohs(ip->tot_len) < hlen)
		return EW_R_BAD_IP4;
	/* A frame cut short of this is judged by the headers it holds. */
	p->ip_end = ew_off(c, ip) + bpf_ntohs(ip->tot_len);

	p->family = 4;
	p->proto = ip->protocol;
	p->ttl = ip->ttl;
	p->tos = ip->tos;
	p->ip_id = bpf_ntohs(ip->id);
	p->saddr[0] = ip->saddr;
	p->daddr[0] = ip->daddr;
	frag = bpf_ntohs(ip->frag_off);
	p->frag = frag;

	if (hlen > sizeof(*ip)) {
		r = ew_ip4_options(ctx, ew_off(c, ip + 1), hlen - sizeof(*ip));
		if (r != EW_R_PASS)
			return r;
	}
	if (frag & EW_IP_OFFMASK) {
		/* RFC 1858: offset 1 can only serve to overwrite the TCP flags of the first. */
		if ((frag & EW_IP_OFFMASK) == 1 && p->proto == IPPROTO_TCP)
			return EW_R_FRAG_TINY;
		p->later_frag = 1;	/* no L4 header here: L3 rules only */
		return EW_R_PASS;
	}
	p->first_frag = !!(frag & EW_IP_MF);
	return ew_parse_l4(c, p, (void *)ip + hlen);
}

/*
 * The IPv6 extension-header walk, bounded by EW_IP6_EXT_MAX. Hop-by-hop is
 * legal only first (RFC 8200 4.1); a type 0 routing header is source routing
 * (RFC 5095).
 */
static __always_inline int ew_parse_ip6(struct ew_cur *c, struct ew_pkt *p, struct ipv6hdr *ip6)
{
	void *end = c->end;
	void *cur;
	__u8 nh;

	if ((void *)(ip6 + 1) > end)
		return ew_short(p, EW_R_TRUNC_IP6);
	if (ip6->version != 6)
		return EW_R_BAD_IP6;

	/* Payload length 0 means a jumbogram; no limit then but the frame. */
	p->ip_end = ew_off(c, ip6 + 1) + bpf_ntohs(ip6->payload_len);
	if (!ip6->payload_len)
		p->ip_end = p->len;
	p->family = 6;
	p->ttl = ip6->hop_limit;
	p->tos = ip6->priority << 4 | ip6->flow_lbl[0] >> 4;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	nh = ip6->nexthdr;
	cur = ip6 + 1;

#pragma unroll
	for (int i = 0; i < EW_IP6_EXT_MAX; i++) {
		__u8 *h = cur;
		__u32 hlen;

		switch (nh) {
		case EW_NH_HOPOPTS:
			if (i != 0)
				return EW_R_BAD_IP6;
			/* fallthrough */
		case EW_NH_DSTOPTS:
		case EW_NH_ROUTING:
			if ((void *)(h + 8) > end)
				return ew_short(p, EW_R_TRUNC_IP6);
			if (nh == EW_NH_ROUTING && h[2] == 0)
				return EW_R_SRCROUTE;
			hlen = ((__u32)h[1] + 1) * 8;
			break;
		case EW_NH_AH:
			if ((void *)(h + 8) > end)
				return ew_short(p, EW_R_TRUNC_IP6);
			hlen = ((__u32)h[1] + 2) * 4;
			break;
		case EW_NH_FRAGMENT: {
			__u16 off;

			if ((void *)(h + 8) > end)
				return ew_short(p, EW_R_TRUNC_IP6);
			off = (__u16)h[2] << 8 | h[3];
			p->frag = off;
			if (off & 0xfff8) {
				p->proto = h[0];
				p->later_frag = 1;
				return EW_R_PASS;
			}
			p->first_frag = off & 1;
			hlen = 8;
			break;
		}
		default:
			p->proto = nh;
			return ew_parse_l4(c, p, cur);
		}
		/* The whole extension header, not only its first 8 bytes, must be there. */
		if (ew_off(c, h) + hlen > p->ip_end)
			return p->first_frag ? EW_R_FRAG_TINY : EW_R_TRUNC_IP6;
		if ((void *)h + hlen > end)
			return ew_short(p, EW_R_TRUNC_IP6);
		nh = h[0];
		cur += hlen;
	}
	/* Still an extension header after the bound. */
	switch (nh) {
	case EW_NH_HOPOPTS:
	case EW_NH_ROUTING:
	case EW_NH_FRAGMENT:
	case EW_NH_AH:
	case EW_NH_DSTOPTS:
		return EW_R_IP6_EXT_DEPTH;
	}
	p->proto = nh;
	return ew_parse_l4(c, p, cur);
}

/*
 * Ethernet and up to EW_VLAN_MAX 802.1Q/802.1ad tags, then IPv4/IPv6.
 * Returns EW_R_PASS to go on to the rules, or the reason that ends the packet.
 */
static __always_inline int ew_parse(struct xdp_md *ctx, struct ew_cur *c, struct ew_pkt *p)
{
	struct ethhdr *eth = c->data;
	void *cur = eth + 1;
	__u16 proto;

	if (cur > c->end)
		return ew_short(p, EW_R_TRUNC_ETH);
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < EW_VLAN_MAX; i++) {
		struct vlan_hdr *vh = cur;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > c->end)
			return ew_short(p, EW_R_TRUNC_ETH);
		proto = vh->h_vlan_encapsulated_proto;
		cur = vh + 1;
	}

	switch (proto) {
	case bpf_htons(ETH_P_IP):
		return ew_parse_ip4(ctx, c, p, cur);
	case bpf_htons(ETH_P_IPV6):
		return ew_parse_ip6(c, p, cur);
	case bpf_htons(ETH_P_ARP):
		return EW_R_PASS_ARP;
	case bpf_htons(ETH_P_8021Q):
	case bpf_htons(ETH_P_8021AD):
		return EW_R_VLAN_DEPTH;
	default:
		return EW_R_PASS_L2;	/* the policy stage may turn it into DROP_L2 */
	}
}

#endif
