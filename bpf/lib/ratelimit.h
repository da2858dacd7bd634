/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-source token buckets (GCRA, see struct ew_rl_class) for each rate-limit class. */
#ifndef EW_BPF_RATELIMIT_H
#define EW_BPF_RATELIMIT_H

#include "common.h"

/*
 * Bucket state per (class, source). LRU, because a spoofed flood creates a
 * bucket per source: the oldest buckets are evicted instead of inserts
 * failing, and an evicted source merely starts again with a full burst.
 * CPUs update a bucket without a lock: two CPUs charging the same source
 * at the same instant may both pass on the last token, so a source gets at
 * most (ncpus - 1) packets beyond its burst per race, never a sustained
 * excess.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EW_RL_STATE_MAX);
	__type(key, struct ew_rl_key);
	__type(value, struct ew_rl_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_rl_state SEC(".maps");

/* Returns 1 when the packet may pass. */
static __always_inline int ew_rl_allow(struct ew_pkt *p, const struct ew_policy *pol,
				       const struct ew_port *port)
{
	const struct ew_rl_class *c;
	struct ew_rl_state *st, init;
	struct ew_rl_key key = {};
	__u64 now, tat;

	if (!port || !port->rl_class)
		return 1;
	c = &pol->rl[port->rl_class & (EW_RL_MAX - 1)];
	if (!c->interval_ns)
		return 1;
	/* Counting connections: only a TCP SYN opens one; UDP and ICMP count every packet. */
	if ((c->flags & EW_RL_COUNT_CONN) && p->proto == IPPROTO_TCP && !ew_is_syn(p))
		return 1;

	key.class_id = port->rl_class;
	key.family = p->family;
	/* IPv4: the /32 then saddr[1], which is zero; IPv6: the /64. */
	__builtin_memcpy(key.addr, p->saddr, 8);

	now = ew_now(p);	/* coarse: GCRA needs no better than a jiffy */
	st = bpf_map_lookup_elem(&ew_rl_state, &key);
	if (!st) {
		init.tat_ns = now + c->interval_ns;
		init.drops = 0;
		bpf_map_update_elem(&ew_rl_state, &key, &init, BPF_ANY);
		return 1;
	}
	tat = st->tat_ns > now ? st->tat_ns : now;
	if (tat - now > c->burst_ns) {
		__sync_fetch_and_add(&st->drops, 1);
		return 0;
	}
	st->tat_ns = tat + c->interval_ns;
	return 1;
}

#endif
