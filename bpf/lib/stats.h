/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-reason counters and sampled drop events: where every packet ends. */
#ifndef EW_BPF_STATS_H
#define EW_BPF_STATS_H

#include "common.h"
#include "policy.h"

/* Packets and bytes per reason, per CPU: no atomics on the fast path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EW_R_MAX);
	__type(key, __u32);
	__type(value, struct ew_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_stats SEC(".maps");

/* Sampled drops for edgewardctl events / the controller (the guide's "DROPPED:" log). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_events SEC(".maps");

/*
 * The per-second cap on events, shared by all CPUs so that the cap is global;
 * it is written only when an event is sent. The window reset races between
 * CPUs: at a second boundary two CPUs may both reset, letting at most
 * ncpus * cap events through in that second.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ew_ev_cap);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_ev_cap SEC(".maps");

/* Events suppressed by the cap since this CPU last sent one. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_ev_supp SEC(".maps");

/* ABI of the pinned maps, written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ew_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_info SEC(".maps");

static __always_inline void ew_event(struct xdp_md *ctx, struct ew_pkt *p,
				     const struct ew_policy *pol, int reason)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ew_ev_cap *cap;
	struct ew_event *e;
	__u32 zero = 0;
	__u64 sec, *supp;

	if (!pol || !pol->ev_sample)
		return;
	if (pol->ev_sample > 1 && bpf_get_prandom_u32() % pol->ev_sample)
		return;
	cap = bpf_map_lookup_elem(&ew_ev_cap, &zero);
	supp = bpf_map_lookup_elem(&ew_ev_supp, &zero);
	if (!cap || !supp)
		return;
	sec = ew_now(p) / 1000000000ULL;
	if (cap->window_s == sec && cap->sent >= pol->ev_max_per_s) {
		(*supp)++;
		return;
	}
	if (cap->window_s != sec) {
		cap->window_s = sec;
		cap->sent = 0;
	}
	__sync_fetch_and_add(&cap->sent, 1);

	e = bpf_ringbuf_reserve(&ew_events, sizeof(*e), 0);
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_mono_ns = p->now;
	e->ifindex = ctx->ingress_ifindex;
	e->pkt_len = p->len > 0xffff ? 0xffff : p->len;
	e->reason = reason;
	e->family = p->family;
	e->proto = p->proto;
	e->ttl = p->ttl;
	e->tos = p->tos;
	e->tcp_flags = p->tcp_flags;
	e->sport = p->sport;
	e->dport = p->dport;
	e->ip_id = p->ip_id;
	e->frag = p->frag;
	if (data + 12 <= end) {
		__builtin_memcpy(e->dst_mac, data, 6);
		__builtin_memcpy(e->src_mac, data + 6, 6);
	}
	__builtin_memcpy(e->saddr, p->saddr, 16);
	__builtin_memcpy(e->daddr, p->daddr, 16);
	/* This CPU's share only: it tells the reader that a gap precedes this event. */
	e->sample_drops = *supp > 0xffffffff ? 0xffffffff : *supp;
	*supp = 0;
	bpf_ringbuf_submit(e, 0);
}

/*
 * Count the packet under its reason and turn the reason into a verdict.
 * A global function: verified once rather than at the end of every path.
 */
__noinline int ew_verdict(struct xdp_md *ctx, struct ew_pkt *p, int reason)
{
	struct ew_counter *c;
	__u32 key;

	if (!p)
		return XDP_DROP;
	key = reason & (EW_R_MAX - 1);
	c = bpf_map_lookup_elem(&ew_stats, &key);
	if (c) {
		c->packets++;
		c->bytes += p->len;
	}
	if (!ew_reason_is_drop(reason))
		return XDP_PASS;
	ew_event(ctx, p, ew_policy_get(), reason);
	return XDP_DROP;
}

#endif
