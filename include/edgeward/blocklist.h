/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Blocklist: CIDR rules with expiry, reason and hit counter, for IPv4 and IPv6.
 *
 * A single LPM trie costs ~1.5 us per lookup with 1M random prefixes (one
 * cache miss per trie level). Instead each rule lives in a hash keyed by
 * (prefix length, masked address), and small summaries say which prefix
 * lengths can match a given address, so a lookup is one or two summary
 * probes plus one hash probe per candidate length, longest first:
 *
 *   IPv4  ew_bl4_m16[addr >> 16]  ARRAY, bit (23 - L) set when a rule of length L (0..23)
 *                                 covers (L < 16) or lies inside (16..23) the /16;
 *                                 EW_M16_HAS_LONG when rules of length >= 24 lie inside.
 *         ew_bl4_m24[addr >> 10]  ARRAY of __u64, four /24s a word: the /24 with
 *                                 lane = (addr >> 8) & 3 owns bits lane*16 .. lane*16+15,
 *                                 of which it uses bit lane*16 + (32 - L) for rules of
 *                                 length L 24..32 (9 bits; the other 7 stay zero).
 *   IPv6  ew_bl6_short[0]         ARRAY, bit (31 - L) for rules of length L 0..31 (rare).
 *         ew_bl6_m32[addr >> 96]  HASH: in `mid` bit (64 - L) for L 32..64, in `low`
 *                                 bit (128 - L) for L 65..128.
 *
 * Bit 0 is always the longest length, so the datapath walks candidates
 * longest first by isolating the lowest set bit (x & -x), branch-free.
 *
 * Summary keys are host-byte-order integers: m16 index = ntohl(addr) >> 16,
 * m24 index = ntohl(addr) >> 10, m32 key = ntohl(first 32 bits of the IPv6 address).
 *
 * m24 is a fixed 32 MiB array (2^22 words) rather than a hash of the /24s
 * holding rules: the datapath lookup is inlined, a write is an array store
 * instead of an allocation, and 1M random rules touch ~780k /24s, for which a
 * hash took ~100 MB. An empty /24 is a zero lane, never a missing entry, so
 * writers never delete from it.
 *
 * Writers keep the order "rule first, then summary bit" on insert and
 * "summary bit first, then rule" on delete, so a reader never sees a bit
 * without its rule and at worst misses a rule being added or removed.
 * Summary bits stand each for itself, so this holds bit by bit even where
 * a reader catches a summary word half written.
 */
#ifndef EDGEWARD_BLOCKLIST_H
#define EDGEWARD_BLOCKLIST_H

#define EW_BL4_MAX	(1U << 21)	/* 2M IPv4 rules (the issue asks >= 1M) */
#define EW_BL6_MAX	(1U << 19)	/* 512k IPv6 rules (>= 256k) */
#define EW_BL4_M24_WORDS (1U << 22)	/* 2^24 /24s, four to a __u64 */
#define EW_M24_LANE_BITS 16		/* bits of a word per /24 */
#define EW_M24_LANE_MASK 0x1ffULL	/* the 9 bits a /24 uses: lengths 24..32 */
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
	__u64 hits;		/* packets dropped by this rule, atomic add */
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
