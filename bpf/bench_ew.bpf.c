// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Bench-only probes of edgeward's blocklist (scripts/bench.sh): the same
 * ew_bl4_match the filter runs, against the SAME maps (bench/ew_bench.c
 * hands the pinned fds to bpf_map__reuse_fd before load, so nothing new is
 * created or pinned).
 */
#include "lib/common.h"
#include "lib/blocklist.h"

/* xorshift state (single-CPU test runs), hit count, and the fixed address of bench_bl4_one. */
__u64 bl_rng = 0x9e3779b97f4a7c15ULL;
__u64 bl_hits;
__u32 bl_addr;		/* network byte order */

/* 64 lookups of xorshift addresses per run, like the reference's xdp_lpm_rand. */
SEC("xdp")
int bench_bl4_rand(struct xdp_md *ctx)
{
	__u64 x = bl_rng | 1;

	(void)ctx;

	for (int i = 0; i < 64; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (ew_bl4_match((__u32)x))
			bl_hits++;
	}
	bl_rng = x;
	return XDP_PASS;
}

/* 64 lookups of one address per run: the blocklist stage's cost for that source, warm. */
SEC("xdp")
int bench_bl4_one(struct xdp_md *ctx)
{
	(void)ctx;
	for (int i = 0; i < 64; i++)
		if (ew_bl4_match(bl_addr))
			bl_hits++;
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
