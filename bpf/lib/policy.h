/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Policy stages: bogons, allowlist, service ACLs, default policy. The policy
 * is swapped whole (see include/edgeward/policy.h); every lookup here reads
 * the one struct ew_policy the packet started with.
 */
#ifndef EW_BPF_POLICY_H
#define EW_BPF_POLICY_H

#include "common.h"

/* value_size, not __type: clang emits only a forward declaration of struct ew_policy. */
struct ew_policy_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct ew_policy));
};

/* One slot holding the live policy map; userspace swaps the slot to change policy. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct ew_policy_inner);
} ew_policy SEC(".maps");

/* Allowlist (set 0) and ACL sources (set = ACL id), per policy generation. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EW_LPM4_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ew_lpm4_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_pol_lpm4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EW_LPM6_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ew_lpm6_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_pol_lpm6 SEC(".maps");

static __always_inline const struct ew_policy *ew_policy_get(void)
{
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(&ew_policy, &zero);

	if (!inner)
		return 0;
	return bpf_map_lookup_elem(inner, &zero);
}

/* Is the source in CIDR set `set` of the policy's generation? */
static __always_inline int ew_in_set(const struct ew_pkt *p, const struct ew_policy *pol, __u32 set)
{
	if (p->family == 4) {
		struct ew_lpm4_key k = {
			.prefixlen = 64,
			.gen_set = ew_gen_set(pol->gen, set),
			.addr = p->saddr[0],
		};
		return bpf_map_lookup_elem(&ew_pol_lpm4, &k) != 0;
	} else {
		struct ew_lpm6_key k = {
			.prefixlen = 160,
			.gen_set = ew_gen_set(pol->gen, set),
		};
		__builtin_memcpy(k.addr, p->saddr, 16);
		return bpf_map_lookup_elem(&ew_pol_lpm6, &k) != 0;
	}
}

/* Can an allowlist entry match this source? (A superset test: see struct ew_policy.) */
static __always_inline int ew_allow_maybe(const struct ew_pkt *p, const struct ew_policy *pol)
{
	__u32 b;

	if (p->family == 4)
		b = bpf_ntohl(p->saddr[0]) >> 16;
	else
		b = ew_allow6_bucket(bpf_ntohl(p->saddr[0]));
	b &= 0xffff;
	return (p->family == 4 ? pol->allow4_16[b >> 6] : pol->allow6_32[b >> 6]) >> (b & 63) & 1;
}

/*
 * Martian sources: never legitimate on any wire. IPv4 0/8 (except a DHCP
 * client's 0.0.0.0 to port 67), 127/8 and 224/3 (multicast, reserved,
 * broadcast); IPv6 ::1, multicast, and :: except for the ICMPv6 messages a
 * host sends before it has an address (router solicitation 133, duplicate
 * address detection 135, MLD reports 131/143). Private ranges are not bogons
 * here: the guide's own ACLs allow them.
 */
static __always_inline int ew_is_bogon(const struct ew_pkt *p)
{
	if (p->family == 4) {
		__u32 a = bpf_ntohl(p->saddr[0]);

		if (a == 0 && p->proto == IPPROTO_UDP && p->has_l4 && p->dport == 67)
			return 0;
		return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 29) == 7;
	}
	if ((bpf_ntohl(p->saddr[0]) >> 24) == 0xff)
		return 1;
	if (p->saddr[0] | p->saddr[1] | p->saddr[2])
		return 0;
	if (p->saddr[3] == bpf_htonl(1))
		return 1;
	if (p->saddr[3])
		return 0;
	if (p->proto == IPPROTO_ICMPV6 && p->has_l4)
		return !(p->sport == 133 || p->sport == 135 || p->sport == 131 || p->sport == 143);
	return 1;
}

/* ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated), except :: and ::1. */
static __always_inline int ew_is_v4mapped(const struct ew_pkt *p)
{
	if (p->family != 6 || p->saddr[0] | p->saddr[1])
		return 0;
	if (p->saddr[2] == bpf_htonl(0xffff))
		return 1;
	return p->saddr[2] == 0 && bpf_ntohl(p->saddr[3]) > 1;
}

/* The per-port rule of the packet's destination, or 0 when it has no ports. */
static __always_inline const struct ew_port *ew_port_of(const struct ew_pkt *p,
							 const struct ew_policy *pol)
{
	if (!p->has_l4)
		return 0;
	switch (p->proto) {
	case IPPROTO_TCP:
		return &pol->tcp[p->dport];
	case IPPROTO_UDP:
		return &pol->udp[p->dport];
	case IPPROTO_ICMP:	/* has_l4 only in IPv4 (ew_parse_l4) */
		return &pol->icmp[p->sport & 0xff];
	case IPPROTO_ICMPV6:	/* has_l4 only in IPv6 */
		return &pol->icmp6[p->sport & 0xff];
	}
	return 0;
}

/* A packet to an ACL'd port from a source outside the ACL. */
static __always_inline int ew_acl_denies(const struct ew_pkt *p, const struct ew_policy *pol,
					 const struct ew_port *port)
{
	const struct ew_acl *a;

	if (!port || !port->acl_id)
		return 0;
	a = &pol->acl[port->acl_id & (EW_ACL_MAX - 1)];
	if (p->family == 4 && (a->flags & EW_ACL_V4_INLINE)) {
		for (int i = 0; i < EW_ACL_INLINE && i < a->n_inline4; i++)
			if ((p->saddr[0] & a->mask4[i]) == a->net4[i])
				return 0;
		return 1;
	}
	return !ew_in_set(p, pol, port->acl_id);
}

/*
 * ICMP that must pass whatever the policy: errors that path MTU discovery
 * and TCP need, and IPv6 neighbour discovery.
 */
static __always_inline int ew_icmp_essential(const struct ew_pkt *p)
{
	__u8 t = p->sport;

	if (p->proto == IPPROTO_ICMP)
		return t == 3 || t == 11 || t == 12;
	return t <= 4 || (t >= 133 && t <= 137);
}

/* Default policy: new connections to ports that are not open. */
static __always_inline int ew_default_denies(const struct ew_pkt *p, const struct ew_policy *pol,
					     const struct ew_port *port)
{
	if (!port || (port->flags & EW_PORT_OPEN))
		return 0;
	switch (p->proto) {
	case IPPROTO_TCP:
		return (pol->flags & EW_POL_TCP_DENY) && ew_is_syn(p);
	case IPPROTO_UDP:
		return pol->flags & EW_POL_UDP_DENY;
	default:
		return (pol->flags & EW_POL_ICMP_DENY) && !ew_icmp_essential(p);
	}
}

#endif
