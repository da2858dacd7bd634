/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Blocklist: CIDR rules with expiry, reason and hit counter, for IPv4 and IPv6.
 *
 * A single LPM trie costs ~1.5 us per lookup with 1M random prefixes (one
 * cache miss per trie level). Instead each rule lives in a hash keyed by
 * (prefix length, masked address), and summaries say which prefix lengths
 * can match a given address, so a lookup is one or two summary reads plus
 * one hash probe per candidate length, longest first:
 *
 *   IPv4  ew_bl4_m16[a >> 16]  ARRAY of __u32: bit (15 - L) for L 0..15 when the rule
 *                              (L, a/L) exists (set in each of the 2^(16 - L) /16s it
 *                              covers); EW_M16_HAS_LONG when any rule of length >= 16
 *                              lies inside the /16.
 *         ew_bl4_m24[a >> 9]   ARRAY of __u64, two /24s a word: the /24 with
 *                              lane = (a >> 8) & 1 owns bits lane*32 .. lane*32+31, of
 *                              which it uses bit lane*32 + (32 - L) for L 16..32 (17 bits;
 *                              the other 15 stay zero):
 *                                L 16..24  the rule (L, a/L) exists (set in each of the
 *                                          2^(24 - L) /24s it covers: exact, as a /24 lies
 *                                          under one prefix of each length <= 24);
 *                                L 25..32  some rule of length L lies inside the /24.
 *   IPv6  ew_bl6_short[0]         ARRAY, bit (31 - L) for rules of length L 0..31 (rare).
 *         ew_bl6_m32[addr >> 96]  HASH: in `mid` bit (64 - L) for L 32..64, in `low`
 *                                 bit (128 - L) for L 65..128.
 *
 * The datapath joins m16 (shifted to bit 32 - L) and the m24 lane into one
 * 33-bit mask. Bit 0 is always the longest length, so it walks candidates
 * longest first by isolating the lowest set bit (x & -x), branch-free. A
 * random address whose /24 lies under no rule of length >= 16 costs the two
 * summary reads and no hash probe; under the 1M-rule bench mix (50% /32, 30%
 * /24, 20% /16../31) nearly every /16 has HAS_LONG, so m24 is where misses end.
 *
 * Summary keys are host-byte-order integers: m16 index = ntohl(addr) >> 16,
 * m24 index = ntohl(addr) >> 9, m32 key = ntohl(first 32 bits of the IPv6 address).
 *
 * m24 is a fixed 64 MiB array (2^23 words) rather than a hash of the /24s
 * holding rules: the datapath lookup is inlined, a write is a store instead
 * of an allocation, and with /16../23 rules expanded over their /24s 1M
 * random rules touch millions of /24s. An empty /24 is a zero lane, never a
 * missing entry, so writers never delete from it.
 *
 * m16 and m24 are BPF_F_MMAPABLE: writers store into an mmap(2) of the map
 * (EW_BL4_M16_MMAP_SIZE, EW_BL4_M24_MMAP_SIZE bytes) instead of batch
 * syscalls. An mmap'ed ARRAY keeps its elements round_up(value_size, 8)
 * apart, so m16 entry i is the __u32 at byte i * EW_BL4_M16_STRIDE.
 *
 * Writers keep the order "rule first, then m24, then m16" on insert and
 * "m16, then m24, then rule" on delete, so a reader never sees a bit without
 * its rule and at worst misses a rule being added or removed. Each word is
 * one aligned store (release order), and summary bits stand each for itself,
 * so this holds bit by bit even where one writer's update spans many words.
 */
#ifndef EDGEWARD_BLOCKLIST_H
#define EDGEWARD_BLOCKLIST_H

#define EW_BL4_MAX	(1U << 21)	/* 2M IPv4 rules (the issue asks >= 1M) */
#define EW_BL6_MAX	(1U << 19)	/* 512k IPv6 rules (>= 256k) */
#define EW_BL4_M16_N	65536		/* one entry per /16 */
#define EW_BL4_M16_STRIDE 8		/* bytes between m16 entries in its mmap */
#define EW_BL4_M16_MMAP_SIZE (EW_BL4_M16_N * EW_BL4_M16_STRIDE)	/* 512 KiB */
#define EW_M16_SHORT_MASK 0xffffU	/* bits (15 - L), lengths 0..15 */
#define EW_BL4_M24_WORDS (1U << 23)	/* 2^24 /24s, two to a __u64 */
#define EW_BL4_M24_MMAP_SIZE (EW_BL4_M24_WORDS * 8ULL)		/* 64 MiB */
#define EW_M24_LANE_BITS 32		/* bits of a word per /24 */
#define EW_M24_LANE_MASK 0x1ffffULL	/* the 17 bits a /24 uses: lengths 16..32 */
#define EW_BL6_M32_MAX	(1U << 19)
#define EW_REASONS_MAX	4096

#define EW_M16_HAS_LONG (1U << 31)

struct ew_bl4_key {
	__u32 prefixlen;	/* 0..32 */
	__u32 addr;		/* network byte order, host bits zero */
};
_Static_assert(sizeof(struct ew_bl4_key) == 8, "ew_bl4_key ABI");

struct ew_bl6_key {
	__u32 prefixlen;	/* 0..128 */
	__u8 addr[16];		/* network byte order, host bits zero */
};
_Static_assert(sizeof(struct ew_bl6_key) == 20, "ew_bl6_key ABI");

/* Who put the rule there: kept so that a policy apply replaces only its own. */
enum ew_origin {
	EW_ORIGIN_MANUAL = 0,	/* edgewardctl block add */
	EW_ORIGIN_IMPORT = 1,	/* edgewardctl block import */
	EW_ORIGIN_POLICY = 2,	/* the block: section of a policy file */
	EW_ORIGIN_AUTO = 3,	/* response engine */
	EW_ORIGIN_FLEET = 4,	/* another server, through PostgreSQL */
	EW_ORIGIN_COUNT
};

struct ew_block {
	__u64 expires_ns;	/* CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns); 0 = never */
	__u64 hits;		/* packets dropped by this rule (see ew_bl_hit) */
	__u32 added_unix;	/* wall-clock seconds when added */
	__u32 reason_id;	/* key into ew_bl_reasons; 0 = none */
	__u8 origin;		/* enum ew_origin */
	__u8 pad[7];
};
_Static_assert(sizeof(struct ew_block) == 32, "ew_block ABI");

struct ew_bl6_mask {
	__u64 low;		/* bit (128 - L): prefix lengths 65..128 */
	__u64 mid;		/* bit (64 - L): prefix lengths 32..64 */
};
_Static_assert(sizeof(struct ew_bl6_mask) == 16, "ew_bl6_mask ABI");

/* ew_bl_reasons: reason_id -> text, deduplicated (many rules share one reason). */
#define EW_REASON_TEXT_LEN 64
struct ew_reason_text {
	char text[EW_REASON_TEXT_LEN];	/* NUL-terminated */
};
_Static_assert(sizeof(struct ew_reason_text) == 64, "ew_reason_text ABI");

#endif
