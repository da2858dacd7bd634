// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Bench-only programs (scripts/bench.sh, bench/ew_bench.c): the floor, a
 * single LPM trie as the reference for the blocklist, and the flood
 * generator. Nothing here is pinned: the bench loads it from its skeleton.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct bench_lpm4_key {
	__u32 prefixlen;
	__u32 addr;		/* network byte order */
};

/* The single-trie reference: up to 2M IPv4 prefixes, memory follows the count. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2000000);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bench_lpm4_key);
	__type(value, __u32);
} bench_blk4 SEC(".maps");

/* ifindex the generator redirects to. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_gen_cfg SEC(".maps");

/* xorshift state of bench_lpm_rand and its hit count; test runs are single-CPU. */
__u64 lpm_rng = 0x9e3779b97f4a7c15ULL;
__u64 lpm_hits;

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

/* Parse eth/ipv4, source in the trie -> DROP: the warm same-address cost. */
SEC("xdp")
int bench_lpm(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct bench_lpm4_key k = { .prefixlen = 32 };

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl < 5)
		return XDP_PASS;
	if ((ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) &&
	    (void *)ip + ip->ihl * 4 + 4 > end)
		return XDP_PASS;
	k.addr = ip->saddr;
	return bpf_map_lookup_elem(&bench_blk4, &k) ? XDP_DROP : XDP_PASS;
}

/* 64 lookups of xorshift addresses per run: the cache-cold-ish cost per lookup. */
SEC("xdp")
int bench_lpm_rand(struct xdp_md *ctx)
{
	__u64 x = lpm_rng | 1;

	(void)ctx;

	for (int i = 0; i < 64; i++) {
		struct bench_lpm4_key k = { .prefixlen = 32 };

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k.addr = (__u32)x;
		if (bpf_map_lookup_elem(&bench_blk4, &k))
			lpm_hits++;
	}
	lpm_rng = x;
	return XDP_PASS;
}

/* Flood generator: run with BPF_F_TEST_XDP_LIVE_FRAMES, every frame leaves by bench_gen_cfg[0]. */
SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	__u32 zero = 0, *ifindex = bpf_map_lookup_elem(&bench_gen_cfg, &zero);

	(void)ctx;

	return ifindex ? bpf_redirect(*ifindex, 0) : XDP_ABORTED;
}

char _license[] SEC("license") = "Dual BSD/GPL";
