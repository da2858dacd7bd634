/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Blocklist lookups (layout in include/edgeward/blocklist.h). Rules never
 * live in an LRU map: an LRU would silently evict manual and automatic
 * blocks. The hashes are not preallocated, so memory follows the rule count.
 */
#ifndef EW_BPF_BLOCKLIST_H
#define EW_BPF_BLOCKLIST_H

#include "common.h"

/* The IPv4 rules: (prefix length, masked address) -> expiry, reason, hits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EW_BL4_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ew_bl4_key);
	__type(value, struct ew_block);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_bl4 SEC(".maps");

/*
 * Which lengths 0..15 cover each /16, and whether longer rules lie inside it
 * (EW_M16_HAS_LONG): an array so the lookup is inlined, mmapable so that
 * userspace writes it with plain stores.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EW_BL4_M16_N);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_bl4_m16 SEC(".maps");

/*
 * Which lengths 16..32 can match in each /24, two /24s packed in a word
 * (lane (a >> 8) & 1, bit lane * 32 + 32 - L): an array so the lookup is
 * inlined, a fixed 64 MiB whatever the rule count, mmapable like m16.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EW_BL4_M24_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_bl4_m24 SEC(".maps");

/* The IPv6 rules. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EW_BL6_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ew_bl6_key);
	__type(value, struct ew_block);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_bl6 SEC(".maps");

/* Which lengths 32..128 exist under each /32. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EW_BL6_M32_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct ew_bl6_mask);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_bl6_m32 SEC(".maps");

/* Which lengths 0..31 exist at all (rare: probed for every IPv6 packet when set). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_bl6_short SEC(".maps");

/* Reason texts, shared by many rules; read by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EW_REASONS_MAX);
	__type(key, __u32);
	__type(value, struct ew_reason_text);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ew_bl_reasons SEC(".maps");

/*
 * Index of the lowest set bit of x != 0 by de Bruijn multiplication:
 * branch-free, so the verifier does not fork on every bit of the mask.
 */
static const __u8 ew_debruijn[64] = {
	0,  1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6,
};

static __always_inline __u32 ew_low_bit(__u64 *x)
{
	__u64 low = *x & -*x;

	*x ^= low;
	return ew_debruijn[(low * 0x03f79d71b4cb0a89ULL) >> 58];
}

/*
 * A live rule: count the hit. Expired rules are ignored until userspace
 * removes them. The hit count is a plain increment, not an atomic one (which
 * costs ~5 ns a drop and more under contention): CPUs hitting the same rule
 * at the same instant may lose a count. The exact totals per reason are in
 * ew_stats.
 */
static __always_inline int ew_bl_hit(struct ew_block *b)
{
	if (!b || (b->expires_ns && b->expires_ns <= bpf_ktime_get_boot_ns()))
		return 0;
	b->hits++;
	return 1;
}

/*
 * Global functions are verified once on their own, so the probe loops do
 * not multiply with every path of the caller. Return 1 when blocked.
 */
__noinline int ew_bl4_match(__u32 addr_be)
{
	__u32 a = bpf_ntohl(addr_be), k = a >> 16;
	struct ew_bl4_key key;
	__u64 all, *w;
	__u32 *m, v;

	m = bpf_map_lookup_elem(&ew_bl4_m16, &k);
	if (!m)
		return 0;
	v = *m;
	all = (__u64)(v & EW_M16_SHORT_MASK) << 17;	/* bit 32 - L for L 0..15 */
	if (v & EW_M16_HAS_LONG) {
		k = a >> 9;
		w = bpf_map_lookup_elem(&ew_bl4_m24, &k);
		/* This /24's lane: bit 32 - L for L 16..32. */
		if (w)
			all |= (*w >> (((a >> 8) & 1) * EW_M24_LANE_BITS)) & EW_M24_LANE_MASK;
	}
	/* Longest first; bounded by the 33 possible lengths. */
	for (int i = 0; i < 33 && all; i++) {
		__u32 shift = ew_low_bit(&all);	/* = 32 - L */

		key.prefixlen = 32 - shift;
		/* The 64-bit shift gives 0 for L = 0 where a 32-bit one would be undefined. */
		key.addr = bpf_htonl(a & (__u32)(~0ULL << (shift & 63)));
		if (ew_bl_hit(bpf_map_lookup_elem(&ew_bl4, &key)))
			return 1;
	}
	return 0;
}

/* 32-bit word j of the mask of length len (0..128), host order, branch-free. */
static __always_inline __u32 ew_word_mask(__u32 len, int j)
{
	__s64 b = (__s64)len - 32 * j;	/* bits of this word covered: clamp to 0..32 */

	b = b < 0 ? 0 : b > 32 ? 32 : b;
	return (__u32)(~0ULL << ((32 - b) & 63));
}

static __always_inline int ew_bl6_probe(struct ew_bl6_key *key, const __u32 *a, __u32 len)
{
	key->prefixlen = len;
#pragma unroll
	for (int j = 0; j < 4; j++) {
		__u32 v = bpf_htonl(bpf_ntohl(a[j]) & ew_word_mask(len, j));

		__builtin_memcpy(&key->addr[4 * j], &v, 4);
	}
	return ew_bl_hit(bpf_map_lookup_elem(&ew_bl6, key));
}

/* Arguments are the four address words in network byte order. */
__noinline int ew_bl6_match(__u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	__u32 a[4] = { a0, a1, a2, a3 }, k = bpf_ntohl(a0), zero = 0, *sm;
	struct ew_bl6_key key;
	struct ew_bl6_mask *mm;
	__u64 low = 0, mid = 0, sh = 0;

	mm = bpf_map_lookup_elem(&ew_bl6_m32, &k);
	if (mm) {
		low = mm->low;
		mid = mm->mid & 0x1ffffffffULL;
	}
	sm = bpf_map_lookup_elem(&ew_bl6_short, &zero);
	if (sm)
		sh = *sm;
	for (int i = 0; i < 64 && low; i++)
		if (ew_bl6_probe(&key, a, 128 - ew_low_bit(&low)))
			return 1;
	for (int i = 0; i < 33 && mid; i++)
		if (ew_bl6_probe(&key, a, 64 - ew_low_bit(&mid)))
			return 1;
	for (int i = 0; i < 32 && sh; i++)
		if (ew_bl6_probe(&key, a, 31 - ew_low_bit(&sh)))
			return 1;
	return 0;
}

#endif
