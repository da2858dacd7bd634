// SPDX-License-Identifier: GPL-2.0-only
/*
 * Blocklist rules and their length summaries (layout and bit numbering in
 * include/edgeward/blocklist.h):
 *
 *   ew_bl4_m16[a >> 16]  bit (15 - L), L 0..15; EW_M16_HAS_LONG for L >= 16
 *   ew_bl4_m24[a >> 9]   bit lane * 32 + (32 - L), L 16..32, lane = (a >> 8) & 1
 *   ew_bl6_short[0]      bit (31 - L), L 0..31
 *   ew_bl6_m32[a >> 96]  mid bit (64 - L), L 32..64; low bit (128 - L), L 65..128
 *
 * with a the host-order address. Readers (the XDP program) never lock, so
 * writers keep the order: rule, then summary bit, on insert; summary bit,
 * then rule, on delete. Writers serialize on the pin dir's flock (callers
 * open the maps with write = true); summaries are read-modify-written
 * under it. m16 and m24 are written through their mmap (struct ew_maps
 * bl4_m16_mm, bl4_m24_mm), one aligned store a changed word.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "sort.h"

#define M16_N		EW_BL4_M16_N
#define M24_PER16	128	/* m24 words per /16: 256 /24s, two a word */
#define DUMP_CHUNK	8192
#define WRITE_CHUNK	65536

static inline __u32 mask4(unsigned int len)
{
	return len ? ~0U << (32 - len) : 0;
}

/* ---- IPv4 summaries, through the mmap ---- */

/* The bit of a rule of length L < 16 in m16. */
static inline __u32 m16_bit(__u32 L)
{
	return 1U << (15 - L);
}

static inline __u32 *m16_at(struct ew_maps *m, __u32 i)
{
	return (__u32 *)((char *)m->bl4_m16_mm + (size_t)i * EW_BL4_M16_STRIDE);
}

static inline __u64 *m24_at(struct ew_maps *m, __u32 w)
{
	return (__u64 *)m->bl4_m24_mm + w;
}

/*
 * One aligned store per changed word, release-ordered after the writes
 * before it (the rule, or the other summary), so the datapath's plain loads
 * see either the old word or the new one.
 */
static inline void m16_store(struct ew_maps *m, __u32 i, __u32 v)
{
	__u32 *p = m16_at(m, i);

	if (*p != v)
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void m24_store(struct ew_maps *m, __u32 w, __u64 v)
{
	__u64 *p = m24_at(m, w);

	if (*p != v)
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Writers need the mmaps, which only ew_maps_open(write = true) makes. */
static int bl4_writable(const struct ew_maps *m)
{
	return m->bl4_m16_mm && m->bl4_m24_mm ? 0 : -EBADF;
}

/*
 * OR the m24 bits of the rule (a, L), L 16..32, into w16: the M24_PER16
 * words of its /16. A rule of length <= 24 sets its bit in every /24 it
 * covers (both lanes of 2^(23 - L) words for L < 24), a longer one in its
 * own /24's lane.
 */
static void m24_rule_bits(__u64 *w16, __u32 a, __u32 L)
{
	__u64 bit = 1ULL << (32 - L);
	__u32 k = (a >> 8) & 0xff;	/* the /24 within the /16 */

	if (L >= 24) {
		w16[k >> 1] |= bit << ((k & 1) * EW_M24_LANE_BITS);
		return;
	}
	for (__u32 j = k >> 1; j < (k >> 1) + (1U << (23 - L)); j++)
		w16[j] |= bit | bit << EW_M24_LANE_BITS;
}

static int cidr_check(const struct ew_cidr *c)
{
	struct ew_cidr t = *c;

	if (c->family == 4) {
		if (c->plen > 32)
			return -EINVAL;
		for (int i = 4; i < 16; i++)
			if (c->addr[i])
				return -EINVAL;
	} else if (c->family == 6) {
		if (c->plen > 128)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	ew_cidr_mask(&t);
	return memcmp(t.addr, c->addr, sizeof(t.addr)) ? -EINVAL : 0;
}

/* A reason text: NUL-terminated within the field, no control characters. */
static int reason_check(const char *s)
{
	size_t len = strnlen(s, EW_REASON_TEXT_LEN);

	if (len == EW_REASON_TEXT_LEN)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -EINVAL;
	return 0;
}

static __u32 a4_of(const struct ew_cidr *c)
{
	__u32 be;

	memcpy(&be, c->addr, 4);
	return ntohl(be);
}

static __u32 a32_of6(const __u8 *addr)
{
	__u32 be;

	memcpy(&be, addr, 4);
	return ntohl(be);
}

static void key4_of(const struct ew_cidr *c, struct ew_bl4_key *k)
{
	k->prefixlen = c->plen;
	memcpy(&k->addr, c->addr, 4);
}

static void key6_of(const struct ew_cidr *c, struct ew_bl6_key *k)
{
	k->prefixlen = c->plen;
	memcpy(k->addr, c->addr, 16);
}

static void cidr_of4(const struct ew_bl4_key *k, struct ew_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = 4;
	c->plen = k->prefixlen;
	memcpy(c->addr, &k->addr, 4);
}

static void cidr_of6(const struct ew_bl6_key *k, struct ew_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = 6;
	c->plen = k->prefixlen;
	memcpy(c->addr, k->addr, 16);
}

/* A u32 summary value; absent counts as 0. */
static int get_u32(int fd, __u32 k, __u32 *v)
{
	if (bpf_map_lookup_elem(fd, &k, v) == 0)
		return 0;
	*v = 0;
	return errno == ENOENT ? 0 : -errno;
}

static int exists(int fd, const void *key)
{
	struct ew_block b;

	if (bpf_map_lookup_elem(fd, key, &b) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* ---- batch helpers ---- */

typedef int (*dump_cb)(const void *keys, const void *vals, size_t n, void *ctx);

/*
 * Walk a map with BPF_MAP_LOOKUP_BATCH, DUMP_CHUNK entries a call. Returns
 * 0 at the end, cb's non-zero return when it stops the walk, or -errno.
 */
static int map_dump(int fd, size_t ksz, size_t vsz, dump_cb cb, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 in_tok = 0, out_tok = 0;
	void *keys, *vals;
	bool first = true;
	int ret = 0;

	/* Zeroed: memcheck does not know the batch commands and would flag what they write. */
	keys = calloc(DUMP_CHUNK, ksz);
	vals = calloc(DUMP_CHUNK, vsz ? vsz : 1);
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 cnt = DUMP_CHUNK;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in_tok, &out_tok, keys, vals, &cnt,
					     &opts);

		if (r < 0 && r != -ENOENT) {
			ret = r;
			break;
		}
		if (cnt) {
			ret = cb(keys, vals, cnt, ctx);
			if (ret)
				break;
		}
		if (r < 0)	/* -ENOENT: that was the last batch */
			break;
		in_tok = out_tok;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

/* Write n entries with BPF_MAP_UPDATE_BATCH, in chunks. */
static int map_write(int fd, const void *keys, size_t ksz, const void *vals, size_t vsz, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);

	for (size_t i = 0; i < n; i += WRITE_CHUNK) {
		__u32 cnt = n - i < WRITE_CHUNK ? n - i : WRITE_CHUNK;
		int r = bpf_map_update_batch(fd, (const char *)keys + i * ksz,
					     (const char *)vals + i * vsz, &cnt, &opts);

		if (r < 0)
			return r;
	}
	return 0;
}

static int map_delete(int fd, const void *keys, size_t ksz, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	for (size_t i = 0; i < n; i += WRITE_CHUNK) {
		size_t want = n - i < WRITE_CHUNK ? n - i : WRITE_CHUNK;
		__u32 cnt = want;
		int r = bpf_map_delete_batch(fd, (const char *)keys + i * ksz, &cnt, &opts);

		if (r < 0 && r != -ENOENT)
			return r;
		/* -ENOENT: a key was gone already and stopped the batch; finish one by one. */
		for (size_t j = i + cnt; r < 0 && j < i + want; j++)
			if (bpf_map_delete_elem(fd, (const char *)keys + j * ksz) < 0 &&
			    errno != ENOENT)
				return -errno;
	}
	return 0;
}

/*
 * Make room for `need` elements of `elem` bytes in the array *v of capacity
 * *cap, doubling from 1024. The new capacity depends only on the old one and
 * need, so parallel arrays sharing a capacity grow alike.
 */
static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 1024;
	void *nv;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	nv = realloc(*v, c * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

/* A growable array of u64. */
struct vec64 {
	uint64_t *v;
	size_t n, cap;
};

static int vec64_push(struct vec64 *x, uint64_t val)
{
	if (grow((void **)&x->v, &x->cap, x->n + 1, sizeof(*x->v)))
		return -ENOMEM;
	x->v[x->n++] = val;
	return 0;
}

/* ---- reasons ---- */

static __u32 fnv1a(const char *s)
{
	__u32 h = 2166136261U;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619U;
	}
	return h;
}

/*
 * The id of a reason text, adding it when new: FNV-1a of the text, linear
 * probing on a collision with another text; 0 (no reason) is never an id.
 */
static int reason_intern(struct ew_maps *m, const char *text, __u32 *id)
{
	struct ew_reason_text rt = {}, cur;
	__u32 h;

	*id = 0;
	if (!text[0])
		return 0;
	strncpy(rt.text, text, sizeof(rt.text) - 1);
	h = fnv1a(rt.text);
	for (unsigned int probes = 0; probes <= EW_REASONS_MAX;) {
		if (!h)
			h = 1;
		if (bpf_map_lookup_elem(m->reasons, &h, &cur) == 0) {
			if (!strncmp(cur.text, rt.text, sizeof(rt.text))) {
				*id = h;
				return 0;
			}
			h++;
			probes++;
			continue;
		}
		if (errno != ENOENT)
			return -errno;
		if (bpf_map_update_elem(m->reasons, &h, &rt, BPF_NOEXIST) == 0) {
			*id = h;
			return 0;
		}
		if (errno != EEXIST)	/* E2BIG: EW_REASONS_MAX texts already */
			return errno == E2BIG ? -ENOSPC : -errno;
		/* Someone took the slot meanwhile: look at it again. */
	}
	return -ENOSPC;
}

/* Reason texts in memory, sorted by id, for walks over many rules. */
struct reason_row {
	__u32 id;
	char text[EW_REASON_TEXT_LEN];
};

struct reason_tab {
	struct reason_row *rows;
	size_t n, cap;
};

static int reason_fill(const void *keys, const void *vals, size_t n, void *ctx)
{
	const __u32 *k = keys;
	const struct ew_reason_text *v = vals;
	struct reason_tab *t = ctx;

	if (grow((void **)&t->rows, &t->cap, t->n + n, sizeof(*t->rows)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		t->rows[t->n].id = k[i];
		memcpy(t->rows[t->n].text, v[i].text, EW_REASON_TEXT_LEN);
		t->rows[t->n].text[EW_REASON_TEXT_LEN - 1] = '\0';
		t->n++;
	}
	return 0;
}

static int reason_row_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct reason_row *)a)->id, y = ((const struct reason_row *)b)->id;

	return x < y ? -1 : x > y;
}

static int reason_tab_load(struct ew_maps *m, struct reason_tab *t)
{
	int ret;

	memset(t, 0, sizeof(*t));
	ret = map_dump(m->reasons, 4, sizeof(struct ew_reason_text), reason_fill, t);
	if (ret < 0) {
		free(t->rows);
		memset(t, 0, sizeof(*t));
		return ret;
	}
	qsort(t->rows, t->n, sizeof(*t->rows), reason_row_cmp);
	return 0;
}

static const char *reason_tab_get(const struct reason_tab *t, __u32 id)
{
	struct reason_row key = { .id = id }, *r;

	if (!id)
		return "";
	r = bsearch(&key, t->rows, t->n, sizeof(*t->rows), reason_row_cmp);
	return r ? r->text : "";
}

/* ---- single rules ---- */

static void block_of(const struct ew_bl_entry *e, __u32 reason_id, __u32 now_unix,
		     struct ew_block *b)
{
	memset(b, 0, sizeof(*b));
	b->expires_ns = e->expires_ns;
	b->added_unix = now_unix;
	b->reason_id = reason_id;
	b->origin = e->origin;
}

static int bl4_add(struct ew_maps *m, const struct ew_bl4_key *k, const struct ew_block *b)
{
	__u32 a = ntohl(k->addr), L = k->prefixlen, s16 = a >> 16;
	__u64 set[M24_PER16] = { 0 };

	if (bpf_map_update_elem(m->bl4, k, b, BPF_ANY) < 0)
		return -errno;
	if (L < 16) {
		/* Every /16 the rule covers. */
		for (__u32 s = s16; s < s16 + (1U << (16 - L)); s++)
			m16_store(m, s, *m16_at(m, s) | m16_bit(L));
		return 0;
	}
	/* Rule, then m24, then m16: the other /24s' lanes stay as they are. */
	m24_rule_bits(set, a, L);
	for (__u32 j = 0; j < M24_PER16; j++)
		if (set[j])
			m24_store(m, s16 * M24_PER16 + j, *m24_at(m, s16 * M24_PER16 + j) | set[j]);
	m16_store(m, s16, *m16_at(m, s16) | EW_M16_HAS_LONG);
	return 0;
}

/*
 * Is there a rule of length L other than `a` inside the block `base` of
 * length plen (plen <= L, at most 2^(L - plen) probes)?
 */
static int bl4_others(struct ew_maps *m, __u32 L, __u32 base, __u32 plen, __u32 a)
{
	__u32 n = 1U << (L - plen);

	for (__u32 j = 0; j < n; j++) {
		__u32 cand = base | (L < 32 ? j << (32 - L) : j);
		struct ew_bl4_key k = { .prefixlen = L, .addr = htonl(cand) };
		int r;

		if (cand == a)
			continue;
		r = exists(m->bl4, &k);
		if (r)
			return r;
	}
	return 0;
}

static int bl4_del(struct ew_maps *m, const struct ew_bl4_key *k)
{
	__u32 a = ntohl(k->addr), L = k->prefixlen, s16 = a >> 16, base = s16 * M24_PER16;
	__u64 clear[M24_PER16] = { 0 }, now[M24_PER16], any = 0;
	int ret = exists(m->bl4, k);

	if (ret <= 0)
		return ret ? ret : -ENOENT;
	/* Summary bits first, while the rule still exists. */
	if (L < 16) {
		/* One rule of length L covers these /16s: its bit goes with it. */
		for (__u32 s = s16; s < s16 + (1U << (16 - L)); s++)
			m16_store(m, s, *m16_at(m, s) & ~m16_bit(L));
		goto rule;
	}
	if (L > 24) {
		/* The bit stands for every rule of length L in the /24. */
		ret = bl4_others(m, L, a & mask4(24), 24, a);
		if (ret < 0)
			return ret;
		if (ret > 0)
			goto rule;
	}
	/* Up to 24 the bit is this rule's alone, in every /24 it covers. */
	m24_rule_bits(clear, a, L);
	for (__u32 j = 0; j < M24_PER16; j++) {
		now[j] = *m24_at(m, base + j) & ~clear[j];
		any |= now[j];
	}
	/* No rule of length >= 16 left in the /16: m16 first, then m24. */
	if (!any)
		m16_store(m, s16, *m16_at(m, s16) & ~EW_M16_HAS_LONG);
	for (__u32 j = 0; j < M24_PER16; j++)
		if (clear[j])
			m24_store(m, base + j, now[j]);
rule:
	if (bpf_map_delete_elem(m->bl4, k) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

static int bl6_add(struct ew_maps *m, const struct ew_bl6_key *k, const struct ew_block *b)
{
	__u32 L = k->prefixlen, a32 = a32_of6(k->addr);
	struct ew_bl6_mask mm = {}, was;

	if (bpf_map_update_elem(m->bl6, k, b, BPF_ANY) < 0)
		return -errno;
	if (L < 32) {
		__u32 zero = 0, v;
		int ret = get_u32(m->bl6_short, zero, &v);

		if (ret)
			return ret;
		if (v & (1U << (31 - L)))
			return 0;
		v |= 1U << (31 - L);
		return bpf_map_update_elem(m->bl6_short, &zero, &v, BPF_ANY) < 0 ? -errno : 0;
	}
	if (bpf_map_lookup_elem(m->bl6_m32, &a32, &mm) < 0) {
		if (errno != ENOENT)
			return -errno;
		memset(&mm, 0, sizeof(mm));
	}
	was = mm;
	if (L <= 64)
		mm.mid |= 1ULL << (64 - L);
	else
		mm.low |= 1ULL << (128 - L);
	if (!memcmp(&was, &mm, sizeof(mm)))
		return 0;
	return bpf_map_update_elem(m->bl6_m32, &a32, &mm, BPF_ANY) < 0 ? -errno : 0;
}

struct bl6_other_ctx {
	const struct ew_bl6_key *self;
	bool any32;	/* any rule of that length, else only under the same /32 */
};

static int bl6_other_cb(const void *keys, const void *vals, size_t n, void *ctx)
{
	const struct ew_bl6_key *k = keys;
	struct bl6_other_ctx *c = ctx;

	(void)vals;
	for (size_t i = 0; i < n; i++) {
		if (k[i].prefixlen != c->self->prefixlen ||
		    !memcmp(k[i].addr, c->self->addr, 16))
			continue;
		if (c->any32 || !memcmp(k[i].addr, c->self->addr, 4))
			return 1;
	}
	return 0;
}

/*
 * Another IPv6 rule of the same length under the same /32 (or anywhere,
 * for lengths < 32)? Probes the candidates when there are few (L <= 40),
 * else walks the rules: deleting a long IPv6 rule costs one pass over
 * ew_bl6, fine for one rule; bl_flush rebuilds instead.
 */
static int bl6_others(struct ew_maps *m, const struct ew_bl6_key *k)
{
	__u32 L = k->prefixlen;
	struct bl6_other_ctx c = { .self = k, .any32 = L < 32 };

	if (L >= 32 && L <= 40) {
		for (__u32 j = 0; j < (1U << (L - 32)); j++) {
			struct ew_bl6_key cand = { .prefixlen = L };
			int r;

			memcpy(cand.addr, k->addr, 4);
			cand.addr[4] = L > 32 ? (__u8)(j << (40 - L)) : 0;
			if (!memcmp(cand.addr, k->addr, 16))
				continue;
			r = exists(m->bl6, &cand);
			if (r)
				return r;
		}
		return 0;
	}
	return map_dump(m->bl6, sizeof(struct ew_bl6_key), sizeof(struct ew_block), bl6_other_cb,
			&c);
}

static int bl6_del(struct ew_maps *m, const struct ew_bl6_key *k)
{
	__u32 L = k->prefixlen, a32 = a32_of6(k->addr);
	int ret = exists(m->bl6, k);

	if (ret <= 0)
		return ret ? ret : -ENOENT;
	ret = bl6_others(m, k);
	if (ret < 0)
		return ret;
	if (ret == 0 && L < 32) {
		__u32 zero = 0, v;

		ret = get_u32(m->bl6_short, zero, &v);
		if (ret)
			return ret;
		v &= ~(1U << (31 - L));
		if (bpf_map_update_elem(m->bl6_short, &zero, &v, BPF_ANY) < 0)
			return -errno;
	} else if (ret == 0) {
		struct ew_bl6_mask mm;

		if (bpf_map_lookup_elem(m->bl6_m32, &a32, &mm) < 0) {
			if (errno != ENOENT)
				return -errno;
			goto rule;
		}
		if (L <= 64)
			mm.mid &= ~(1ULL << (64 - L));
		else
			mm.low &= ~(1ULL << (128 - L));
		if (mm.mid || mm.low)
			ret = bpf_map_update_elem(m->bl6_m32, &a32, &mm, BPF_ANY);
		else
			ret = bpf_map_delete_elem(m->bl6_m32, &a32);
		if (ret < 0 && errno != ENOENT)
			return -errno;
	}
rule:
	if (bpf_map_delete_elem(m->bl6, k) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

static int reasons_gc_all(struct ew_maps *m);

int bl_add(struct ew_maps *m, const struct ew_bl_entry *e)
{
	struct ew_block b;
	__u32 rid;
	int ret;

	if (cidr_check(&e->cidr) || reason_check(e->reason) || e->origin >= EW_ORIGIN_COUNT)
		return -EINVAL;
	if (e->cidr.family == 4 && (ret = bl4_writable(m)))
		return ret;
	ret = reason_intern(m, e->reason, &rid);
	if (ret == -ENOSPC) {
		/* The reason table is full: drop texts no rule uses, and try again. */
		ret = reasons_gc_all(m);
		if (!ret)
			ret = reason_intern(m, e->reason, &rid);
	}
	/* Still full: the block matters more than its text. */
	if (ret == -ENOSPC)
		ret = rid = 0;
	if (ret)
		return ret;
	block_of(e, rid, time(NULL), &b);
	if (e->cidr.family == 4) {
		struct ew_bl4_key k;

		key4_of(&e->cidr, &k);
		return bl4_add(m, &k, &b);
	} else {
		struct ew_bl6_key k;

		key6_of(&e->cidr, &k);
		return bl6_add(m, &k, &b);
	}
}

int bl_del(struct ew_maps *m, const struct ew_cidr *c)
{
	if (cidr_check(c))
		return -EINVAL;
	if (c->family == 4) {
		struct ew_bl4_key k;

		if (bl4_writable(m))
			return -EBADF;
		key4_of(c, &k);
		return bl4_del(m, &k);
	} else {
		struct ew_bl6_key k;

		key6_of(c, &k);
		return bl6_del(m, &k);
	}
}

int bl_get(struct ew_maps *m, const struct ew_cidr *c, struct ew_block *out, char *reason,
	   size_t reason_len)
{
	struct ew_reason_text rt;
	int r;

	if (cidr_check(c))
		return -EINVAL;
	if (c->family == 4) {
		struct ew_bl4_key k;

		key4_of(c, &k);
		r = bpf_map_lookup_elem(m->bl4, &k, out);
	} else {
		struct ew_bl6_key k;

		key6_of(c, &k);
		r = bpf_map_lookup_elem(m->bl6, &k, out);
	}
	if (r < 0)
		return -errno;
	if (reason && reason_len) {
		reason[0] = '\0';
		if (out->reason_id && bpf_map_lookup_elem(m->reasons, &out->reason_id, &rt) == 0) {
			rt.text[sizeof(rt.text) - 1] = '\0';
			snprintf(reason, reason_len, "%s", rt.text);
		}
	}
	return 0;
}

/* ---- walks ---- */

struct foreach_ctx {
	const struct reason_tab *rt;
	bl_cb cb;
	void *ctx;
};

static int foreach4(const void *keys, const void *vals, size_t n, void *ctx)
{
	const struct ew_bl4_key *k = keys;
	const struct ew_block *b = vals;
	struct foreach_ctx *f = ctx;

	for (size_t i = 0; i < n; i++) {
		struct ew_cidr c;
		int r;

		cidr_of4(&k[i], &c);
		r = f->cb(&c, &b[i], reason_tab_get(f->rt, b[i].reason_id), f->ctx);
		if (r)
			return r;
	}
	return 0;
}

static int foreach6(const void *keys, const void *vals, size_t n, void *ctx)
{
	const struct ew_bl6_key *k = keys;
	const struct ew_block *b = vals;
	struct foreach_ctx *f = ctx;

	for (size_t i = 0; i < n; i++) {
		struct ew_cidr c;
		int r;

		cidr_of6(&k[i], &c);
		r = f->cb(&c, &b[i], reason_tab_get(f->rt, b[i].reason_id), f->ctx);
		if (r)
			return r;
	}
	return 0;
}

int bl_foreach(struct ew_maps *m, bl_cb cb, void *ctx)
{
	struct reason_tab rt;
	struct foreach_ctx f = { .rt = &rt, .cb = cb, .ctx = ctx };
	int ret;

	ret = reason_tab_load(m, &rt);
	if (ret)
		return ret;
	ret = map_dump(m->bl4, sizeof(struct ew_bl4_key), sizeof(struct ew_block), foreach4, &f);
	if (!ret)
		ret = map_dump(m->bl6, sizeof(struct ew_bl6_key), sizeof(struct ew_block), foreach6,
			       &f);
	free(rt.rows);
	return ret;
}

static int count_cb(const void *keys, const void *vals, size_t n, void *ctx)
{
	(void)keys;
	(void)vals;
	*(size_t *)ctx += n;
	return 0;
}

int bl_count(struct ew_maps *m, size_t *n4, size_t *n6)
{
	size_t a = 0, b = 0;
	int ret;

	ret = map_dump(m->bl4, sizeof(struct ew_bl4_key), sizeof(struct ew_block), count_cb, &a);
	if (!ret)
		ret = map_dump(m->bl6, sizeof(struct ew_bl6_key), sizeof(struct ew_block), count_cb,
			       &b);
	if (ret)
		return ret;
	if (n4)
		*n4 = a;
	if (n6)
		*n6 = b;
	return 0;
}

/* ---- import ---- */

/*
 * IPv4 rules sort as one u64: host address, length, input index. Sorted,
 * equal (address, length) are adjacent with the last input last (it wins),
 * and the /24s and /16s come in order, so summaries accumulate in one pass.
 */
#define I4_IDX_BITS 26
#define I4_IDX_MASK ((1ULL << I4_IDX_BITS) - 1)

static inline uint64_t i4_pack(__u32 a, __u32 L, size_t idx)
{
	return (uint64_t)a << 32 | (uint64_t)L << I4_IDX_BITS | idx;
}

static inline __u32 i4_addr(uint64_t x)
{
	return x >> 32;
}

static inline __u32 i4_len(uint64_t x)
{
	return (x >> I4_IDX_BITS) & 0x3f;
}

/*
 * The summaries are a function of the rules: both are rebuilt from sorted
 * packed rules r[0..n) (all the rules that exist once the write is done),
 * in memory, and only the words that differ are stored. Where a crashed
 * writer left summaries and rules apart, this writes what the rules say.
 */

/* m16 as the rules make it. */
static void m16_of_rules(const uint64_t *r, size_t n, __u32 *now16)
{
	memset(now16, 0, M16_N * sizeof(*now16));
	for (size_t i = 0; i < n; i++) {
		__u32 a = i4_addr(r[i]), L = i4_len(r[i]);

		if (L >= 16)
			now16[a >> 16] |= EW_M16_HAS_LONG;
		else
			for (__u32 s = a >> 16; s < (a >> 16) + (1U << (16 - L)); s++)
				now16[s] |= m16_bit(L);
	}
}

static void m16_sync(struct ew_maps *m, const __u32 *now16)
{
	for (__u32 s = 0; s < M16_N; s++)
		m16_store(m, s, now16[s]);
}

/* Mark the /16 of a rule of length >= 16 in a bitmap of M16_N bits. */
static inline void touch16(uint64_t *touched, __u32 a)
{
	touched[a >> 22] |= 1ULL << ((a >> 16) & 63);
}

/*
 * The m24 words of every /16 marked in touched, as the rules make them: a
 * /16's words depend only on the rules of length >= 16 inside it, which
 * sort together. /16../23 rules are expanded over their /24s here, in
 * memory; the map sees one store per changed word.
 */
static void m24_sync(struct ew_maps *m, const uint64_t *r, size_t n, const uint64_t *touched)
{
	__u64 w16[M24_PER16];
	size_t pos = 0;

	for (__u32 s = 0; s < M16_N; s++) {
		if (!(touched[s >> 6] >> (s & 63) & 1))
			continue;
		memset(w16, 0, sizeof(w16));
		while (pos < n && i4_addr(r[pos]) >> 16 < s)
			pos++;
		for (; pos < n && i4_addr(r[pos]) >> 16 == s; pos++)
			if (i4_len(r[pos]) >= 16)
				m24_rule_bits(w16, i4_addr(r[pos]), i4_len(r[pos]));
		for (__u32 j = 0; j < M24_PER16; j++)
			m24_store(m, s * M24_PER16 + j, w16[j]);
	}
}

static int exist4_cb(const void *keys, const void *vals, size_t n, void *ctx)
{
	const struct ew_bl4_key *k = keys;

	(void)vals;
	for (size_t i = 0; i < n; i++) {
		int r = vec64_push(ctx, i4_pack(ntohl(k[i].addr), k[i].prefixlen, 0));

		if (r)
			return r;
	}
	return 0;
}

/* The reason ids of an import: distinct texts interned once each. */
struct rcache_slot {
	const char *text;
	__u32 hash, id;
};

struct rcache {
	struct rcache_slot *s;
	size_t size;	/* power of two */
	const char *last;
	__u32 last_id;
};

#define RCACHE_SIZE 16384	/* > 2 * EW_REASONS_MAX: probing stays short */

static int rcache_id(struct ew_maps *m, struct rcache *rc, const char *text, __u32 *id)
{
	__u32 h;
	size_t i;
	int ret;

	if (!text[0]) {
		*id = 0;
		return 0;
	}
	if (rc->last && !strcmp(rc->last, text)) {
		*id = rc->last_id;
		return 0;
	}
	h = fnv1a(text);
	for (i = h & (rc->size - 1);; i = (i + 1) & (rc->size - 1)) {
		struct rcache_slot *s = &rc->s[i];

		if (!s->text)
			break;
		if (s->hash == h && !strcmp(s->text, text)) {
			*id = s->id;
			goto done;
		}
	}
	/*
	 * A full reason table gives rules without a text rather than a failed
	 * import (no clean-up here: it could drop the texts of this very import).
	 */
	ret = reason_intern(m, text, id);
	if (ret == -ENOSPC)
		ret = *id = 0;
	if (ret)
		return ret;
	rc->s[i].text = text;
	rc->s[i].hash = h;
	rc->s[i].id = *id;
done:
	rc->last = text;
	rc->last_id = *id;
	return 0;
}

struct import_job {
	struct ew_maps *m;
	const struct ew_bl_entry *e;
	struct rcache rc;
	__u32 now_unix;
	size_t done, total;
	void (*progress)(size_t done, size_t total, void *ctx);
	void *pctx;
};

/* Does sorted unique `have` contain x? Advances *pos (x arrive in order). */
static bool merge_has(const uint64_t *have, size_t n, size_t *pos, uint64_t x)
{
	while (*pos < n && have[*pos] < x)
		(*pos)++;
	return *pos < n && have[*pos] == x;
}

/*
 * Write rules[0..n) (sorted, deduplicated) in chunks. On a failure the
 * rules this call created are removed again (replaced ones keep their new
 * values), so that no rule is left without its summary bits.
 */
static int import4_rules(struct import_job *j, const uint64_t *rules, size_t n,
			 const uint8_t *isnew)
{
	struct ew_bl4_key *k = malloc(WRITE_CHUNK * sizeof(*k));
	struct ew_block *v = malloc(WRITE_CHUNK * sizeof(*v));
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	size_t i = 0;
	int ret = 0;

	if (!k || !v) {
		ret = -ENOMEM;
		goto out;
	}
	for (; i < n; i += WRITE_CHUNK) {
		__u32 cnt = n - i < WRITE_CHUNK ? n - i : WRITE_CHUNK;

		for (__u32 c = 0; c < cnt; c++) {
			uint64_t x = rules[i + c];
			const struct ew_bl_entry *e = &j->e[x & I4_IDX_MASK];
			__u32 rid;

			ret = rcache_id(j->m, &j->rc, e->reason, &rid);
			if (ret)
				goto undo;
			k[c].prefixlen = i4_len(x);
			k[c].addr = htonl(i4_addr(x));
			block_of(e, rid, j->now_unix, &v[c]);
		}
		ret = bpf_map_update_batch(j->m->bl4, k, v, &cnt, &opts);
		if (ret < 0)
			goto undo;
		j->done += cnt;
		if (j->progress)
			j->progress(j->done, j->total, j->pctx);
	}
	goto out;
undo:
	for (size_t u = 0; u < i + WRITE_CHUNK && u < n; u++) {
		struct ew_bl4_key kk = { .prefixlen = i4_len(rules[u]),
					 .addr = htonl(i4_addr(rules[u])) };

		if (isnew[u])
			bpf_map_delete_elem(j->m->bl4, &kk);
	}
out:
	free(k);
	free(v);
	return ret;
}

/* What an IPv4 import will write, computed before anything is. */
struct plan4 {
	uint64_t *rules;	/* sorted, deduplicated */
	size_t n;
	uint8_t *isnew;		/* rule i does not exist yet */
	size_t n_new;
	uint64_t *all;		/* existing and imported rules, sorted (may repeat) */
	size_t n_all;
	__u32 *now16;		/* the m16 array after */
	uint64_t touched[M16_N / 64];	/* /16s whose m24 words the import rewrites */
};

static void plan4_free(struct plan4 *p)
{
	free(p->isnew);
	free(p->all);
	free(p->now16);
}

/*
 * Existing rules (for the room check and the summaries), merged with the
 * imported ones; m16 computed whole, m24 left to the apply step, /16 by
 * /16. m24 is not read beforehand: the rules, which the room check has
 * dumped anyway, say what it must hold.
 */
static int plan4_build(struct ew_maps *m, struct plan4 *p)
{
	const uint64_t *rules = p->rules;
	struct vec64 have = {};
	size_t pos = 0, n_new = 0, n = p->n, h = 0, i = 0;
	int ret;

	ret = map_dump(m->bl4, sizeof(struct ew_bl4_key), sizeof(struct ew_block), exist4_cb,
		       &have);
	if (ret)
		goto out;
	ret = ew_sort_u64(have.v, have.n, 64);
	if (ret)
		goto out;
	p->isnew = malloc(n + 1);
	p->all = malloc((have.n + n + 1) * sizeof(*p->all));
	p->now16 = malloc(M16_N * sizeof(*p->now16));
	if (!p->isnew || !p->all || !p->now16) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		p->isnew[i] = !merge_has(have.v, have.n, &pos, rules[i] & ~I4_IDX_MASK);
		n_new += p->isnew[i];
	}
	if (have.n + n_new > EW_BL4_MAX) {
		ret = -E2BIG;
		goto out;
	}
	p->n_new = n_new;

	for (i = 0; i < n || h < have.n;) {
		if (h == have.n || (i < n && (rules[i] & ~I4_IDX_MASK) < have.v[h]))
			p->all[p->n_all++] = rules[i++] & ~I4_IDX_MASK;
		else
			p->all[p->n_all++] = have.v[h++];
	}
	m16_of_rules(p->all, p->n_all, p->now16);
	memset(p->touched, 0, sizeof(p->touched));
	for (i = 0; i < n; i++)
		if (i4_len(rules[i]) >= 16)
			touch16(p->touched, i4_addr(rules[i]));
out:
	free(have.v);
	return ret;
}

/* Readers stay consistent: rules, then m24, then m16. */
static int plan4_apply(struct import_job *j, struct plan4 *p)
{
	int ret;

	if (!p->n)
		return 0;
	ret = import4_rules(j, p->rules, p->n, p->isnew);
	if (ret)
		return ret;
	m24_sync(j->m, p->all, p->n_all, p->touched);
	m16_sync(j->m, p->now16);
	return 0;
}

/* IPv6 import rows: sorted by address, length, input index. */
struct i6 {
	__u8 addr[16];
	__u32 len;
	__u32 idx;
};

static int i6_cmp_key(const struct i6 *x, const struct i6 *y)
{
	int c = memcmp(x->addr, y->addr, 16);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int i6_cmp(const void *a, const void *b)
{
	const struct i6 *x = a, *y = b;
	int c = i6_cmp_key(x, y);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct vec_i6 {
	struct i6 *v;
	size_t n, cap;
};

static int exist6_cb(const void *keys, const void *vals, size_t n, void *ctx)
{
	const struct ew_bl6_key *k = keys;
	struct vec_i6 *x = ctx;

	(void)vals;
	if (grow((void **)&x->v, &x->cap, x->n + n, sizeof(*x->v)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(x->v[x->n].addr, k[i].addr, 16);
		x->v[x->n].len = k[i].prefixlen;
		x->v[x->n].idx = 0;
		x->n++;
	}
	return 0;
}

struct m32_row {
	__u32 key;
	struct ew_bl6_mask mask;
};

struct vec_m32 {
	struct m32_row *v;
	size_t n, cap;
};

static int m32_cb(const void *keys, const void *vals, size_t n, void *ctx)
{
	const __u32 *k = keys;
	const struct ew_bl6_mask *v = vals;
	struct vec_m32 *x = ctx;

	if (grow((void **)&x->v, &x->cap, x->n + n, sizeof(*x->v)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		x->v[x->n].key = k[i];
		x->v[x->n].mask = v[i];
		x->n++;
	}
	return 0;
}

static int m32_row_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct m32_row *)a)->key, y = ((const struct m32_row *)b)->key;

	return x < y ? -1 : x > y;
}

static int m32_read(struct ew_maps *m, struct vec_m32 *out)
{
	int ret = map_dump(m->bl6_m32, 4, sizeof(struct ew_bl6_mask), m32_cb, out);

	if (ret)
		return ret;
	qsort(out->v, out->n, sizeof(*out->v), m32_row_cmp);
	return 0;
}

static void mask6_set(struct ew_bl6_mask *mm, __u32 L)
{
	if (L <= 64)
		mm->mid |= 1ULL << (64 - L);
	else
		mm->low |= 1ULL << (128 - L);
}

static int import6_rules(struct import_job *j, const struct i6 *rules, size_t n,
			 const uint8_t *isnew)
{
	struct ew_bl6_key *k = malloc(WRITE_CHUNK * sizeof(*k));
	struct ew_block *v = malloc(WRITE_CHUNK * sizeof(*v));
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	size_t i = 0;
	int ret = 0;

	if (!k || !v) {
		ret = -ENOMEM;
		goto out;
	}
	for (; i < n; i += WRITE_CHUNK) {
		__u32 cnt = n - i < WRITE_CHUNK ? n - i : WRITE_CHUNK;

		for (__u32 c = 0; c < cnt; c++) {
			const struct ew_bl_entry *e = &j->e[rules[i + c].idx];
			__u32 rid;

			ret = rcache_id(j->m, &j->rc, e->reason, &rid);
			if (ret)
				goto undo;
			k[c].prefixlen = rules[i + c].len;
			memcpy(k[c].addr, rules[i + c].addr, 16);
			block_of(e, rid, j->now_unix, &v[c]);
		}
		ret = bpf_map_update_batch(j->m->bl6, k, v, &cnt, &opts);
		if (ret < 0)
			goto undo;
		j->done += cnt;
		if (j->progress)
			j->progress(j->done, j->total, j->pctx);
	}
	goto out;
undo:
	for (size_t u = 0; u < i + WRITE_CHUNK && u < n; u++) {
		struct ew_bl6_key kk = { .prefixlen = rules[u].len };

		memcpy(kk.addr, rules[u].addr, 16);
		if (isnew[u])
			bpf_map_delete_elem(j->m->bl6, &kk);
	}
out:
	free(k);
	free(v);
	return ret;
}

struct plan6 {
	struct i6 *rules;	/* sorted, deduplicated */
	size_t n;
	uint8_t *isnew;
	size_t n_new;
	__u32 sh_was, sh_now;	/* ew_bl6_short[0] before and after */
	__u32 *wk;		/* m32 entries to write */
	struct ew_bl6_mask *wv;
	size_t nw;
};

static void plan6_free(struct plan6 *p)
{
	free(p->isnew);
	free(p->wk);
	free(p->wv);
}

static int plan6_build(struct ew_maps *m, struct plan6 *p)
{
	const struct i6 *rules = p->rules;
	struct vec_i6 have = {};
	struct vec_m32 m32 = {};
	size_t pos = 0, n_new = 0, n = p->n;
	__u32 zero = 0;
	int ret;

	ret = map_dump(m->bl6, sizeof(struct ew_bl6_key), sizeof(struct ew_block), exist6_cb,
		       &have);
	if (ret)
		goto out;
	qsort(have.v, have.n, sizeof(*have.v), i6_cmp);
	p->isnew = malloc(n + 1);
	p->wk = malloc((n + 1) * sizeof(*p->wk));
	p->wv = malloc((n + 1) * sizeof(*p->wv));
	if (!p->isnew || !p->wk || !p->wv) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		while (pos < have.n && i6_cmp_key(&have.v[pos], &rules[i]) < 0)
			pos++;
		p->isnew[i] = !(pos < have.n && i6_cmp_key(&have.v[pos], &rules[i]) == 0);
		n_new += p->isnew[i];
	}
	if (have.n + n_new > EW_BL6_MAX) {
		ret = -E2BIG;
		goto out;
	}
	p->n_new = n_new;

	ret = get_u32(m->bl6_short, zero, &p->sh_was);
	if (ret)
		goto out;
	p->sh_now = p->sh_was;
	ret = m32_read(m, &m32);
	if (ret)
		goto out;
	pos = 0;
	for (size_t i = 0; i < n;) {
		__u32 L = rules[i].len, a32 = a32_of6(rules[i].addr);
		struct ew_bl6_mask bits = {}, old = {};

		if (L < 32) {
			p->sh_now |= 1U << (31 - L);
			i++;
			continue;
		}
		for (; i < n && a32_of6(rules[i].addr) == a32 && rules[i].len >= 32; i++)
			mask6_set(&bits, rules[i].len);
		while (pos < m32.n && m32.v[pos].key < a32)
			pos++;
		if (pos < m32.n && m32.v[pos].key == a32)
			old = m32.v[pos].mask;
		bits.mid |= old.mid;
		bits.low |= old.low;
		if (memcmp(&bits, &old, sizeof(old))) {
			p->wk[p->nw] = a32;
			p->wv[p->nw++] = bits;
		}
	}
out:
	free(have.v);
	free(m32.v);
	return ret;
}

static int plan6_apply(struct import_job *j, struct plan6 *p)
{
	__u32 zero = 0;
	int ret;

	if (!p->n)
		return 0;
	ret = import6_rules(j, p->rules, p->n, p->isnew);
	if (!ret)
		ret = map_write(j->m->bl6_m32, p->wk, 4, p->wv, sizeof(*p->wv), p->nw);
	if (!ret && p->sh_now != p->sh_was &&
	    bpf_map_update_elem(j->m->bl6_short, &zero, &p->sh_now, BPF_ANY) < 0)
		ret = -errno;
	return ret;
}

int bl_import(struct ew_maps *m, const struct ew_bl_entry *e, size_t n,
	      void (*progress)(size_t done, size_t total, void *ctx), void *ctx, size_t *n_new)
{
	struct import_job j = { .m = m, .e = e, .now_unix = time(NULL), .progress = progress,
				.pctx = ctx };
	struct plan4 p4 = {};
	struct plan6 p6 = {};
	uint64_t *r4 = NULL;
	struct i6 *r6 = NULL;
	size_t n4 = 0, n6 = 0, u4 = 0, u6 = 0;
	int ret;

	if (n_new)
		*n_new = 0;
	if (n >= I4_IDX_MASK)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (cidr_check(&e[i].cidr) || reason_check(e[i].reason) ||
		    e[i].origin >= EW_ORIGIN_COUNT)
			return -EINVAL;
		if (e[i].cidr.family == 4)
			n4++;
		else
			n6++;
	}
	if (n4 && (ret = bl4_writable(m)))
		return ret;
	r4 = malloc((n4 ? n4 : 1) * sizeof(*r4));
	r6 = malloc((n6 ? n6 : 1) * sizeof(*r6));
	j.rc.size = RCACHE_SIZE;
	j.rc.s = calloc(RCACHE_SIZE, sizeof(*j.rc.s));
	if (!r4 || !r6 || !j.rc.s) {
		ret = -ENOMEM;
		goto out;
	}
	n4 = n6 = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ew_cidr *c = &e[i].cidr;

		if (c->family == 4) {
			r4[n4++] = i4_pack(a4_of(c), c->plen, i);
		} else {
			memcpy(r6[n6].addr, c->addr, 16);
			r6[n6].len = c->plen;
			r6[n6++].idx = i;
		}
	}
	/* Sort, then keep the last of equal (address, length): a later entry wins. */
	ret = ew_sort_u64(r4, n4, 64);
	if (ret)
		goto out;
	for (size_t i = 0; i < n4; i++) {
		if (u4 && (r4[u4 - 1] & ~I4_IDX_MASK) == (r4[i] & ~I4_IDX_MASK))
			u4--;
		r4[u4++] = r4[i];
	}
	qsort(r6, n6, sizeof(*r6), i6_cmp);
	for (size_t i = 0; i < n6; i++) {
		if (u6 && !i6_cmp_key(&r6[u6 - 1], &r6[i]))
			u6--;
		r6[u6++] = r6[i];
	}
	j.total = u4 + u6;

	/* Both plans, with their room checks, before anything is written. */
	p4.rules = r4;
	p4.n = u4;
	p6.rules = r6;
	p6.n = u6;
	if (u4 && (ret = plan4_build(m, &p4)))
		goto out;
	if (u6 && (ret = plan6_build(m, &p6)))
		goto out;
	if (progress)
		progress(0, j.total, ctx);
	ret = plan4_apply(&j, &p4);
	if (!ret)
		ret = plan6_apply(&j, &p6);
	if (!ret && n_new)
		*n_new = p4.n_new + p6.n_new;
out:
	plan4_free(&p4);
	plan6_free(&p6);
	free(r4);
	free(r6);
	free(j.rc.s);
	return ret;
}

/* ---- flush ---- */

struct kv4 {
	struct ew_bl4_key *k;
	struct ew_block *v;
	size_t n, cap;
};

struct kv6 {
	struct ew_bl6_key *k;
	struct ew_block *v;
	size_t n, cap;
};

/* Grow parallel key and value arrays to hold `need` entries. */
static int kv_reserve(void **k, void **v, size_t *cap, size_t need, size_t ksz, size_t vsz)
{
	size_t kcap = *cap;

	if (grow(k, &kcap, need, ksz))
		return -ENOMEM;
	return grow(v, cap, need, vsz);
}

/* map_dump callbacks collecting every rule of one family. */
#define KV_COLLECT(name, type)                                                              \
	static int name(const void *keys, const void *vals, size_t n, void *ctx)            \
	{                                                                                    \
		type *x = ctx;                                                               \
                                                                                             \
		if (kv_reserve((void **)&x->k, (void **)&x->v, &x->cap, x->n + n,           \
			       sizeof(*x->k), sizeof(*x->v)))                                \
			return -ENOMEM;                                                      \
		memcpy(x->k + x->n, keys, n * sizeof(*x->k));                                \
		memcpy(x->v + x->n, vals, n * sizeof(*x->v));                                \
		x->n += n;                                                                   \
		return 0;                                                                    \
	}
KV_COLLECT(kv4_cb, struct kv4)
KV_COLLECT(kv6_cb, struct kv6)

static bool flush_match(const struct ew_block *b, int origin, bool expired_only, __u64 now)
{
	if (origin >= 0 && b->origin != origin)
		return false;
	if (expired_only && !(b->expires_ns && b->expires_ns <= now))
		return false;
	return true;
}

/*
 * Remove the marked IPv4 rules: summaries rebuilt from the rules that stay
 * and written first (m16, then m24), rules last. The m24 words rebuilt are
 * those of the /16s holding any rule of length >= 16, kept or removed: a
 * /24 that loses its last rule is written as 0.
 */
static int flush4(struct ew_maps *m, struct kv4 *all, const uint8_t *gone, size_t n_gone)
{
	uint64_t *keep = NULL, *touched = NULL;
	__u32 *now16 = NULL;
	struct ew_bl4_key *dead = NULL;
	size_t nk = 0;
	int ret;

	keep = malloc((all->n + 1) * sizeof(*keep));
	touched = calloc(M16_N / 64, sizeof(*touched));
	now16 = malloc(M16_N * sizeof(*now16));
	dead = malloc(n_gone * sizeof(*dead));
	if (!keep || !touched || !now16 || !dead) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, d = 0; i < all->n; i++) {
		__u32 a = ntohl(all->k[i].addr), L = all->k[i].prefixlen;

		if (L >= 16)
			touch16(touched, a);
		if (gone[i])
			dead[d++] = all->k[i];
		else
			keep[nk++] = i4_pack(a, L, 0);
	}
	ret = ew_sort_u64(keep, nk, 64);
	if (ret)
		goto out;
	m16_of_rules(keep, nk, now16);
	m16_sync(m, now16);
	m24_sync(m, keep, nk, touched);
	ret = map_delete(m->bl4, dead, sizeof(*dead), n_gone);
out:
	free(keep);
	free(touched);
	free(now16);
	free(dead);
	return ret;
}

static int flush6(struct ew_maps *m, struct kv6 *all, const uint8_t *gone, size_t n_gone)
{
	struct vec_m32 keep = {}, old = {};
	struct ew_bl6_key *dead = NULL;
	__u32 *uk = NULL, *dk = NULL, zero = 0, sh_was, sh_now = 0;
	struct ew_bl6_mask *uv = NULL;
	size_t nu = 0, nd = 0, p = 0;
	int ret;

	dead = malloc(n_gone * sizeof(*dead));
	if (!dead)
		return -ENOMEM;
	for (size_t i = 0, d = 0; i < all->n; i++) {
		__u32 L = all->k[i].prefixlen;

		if (gone[i]) {
			dead[d++] = all->k[i];
			continue;
		}
		if (L < 32) {
			sh_now |= 1U << (31 - L);
			continue;
		}
		struct ew_bl6_mask mm = {};

		mask6_set(&mm, L);
		ret = m32_cb(&(__u32){ a32_of6(all->k[i].addr) }, &mm, 1, &keep);
		if (ret)
			goto out;
	}
	qsort(keep.v, keep.n, sizeof(*keep.v), m32_row_cmp);
	ret = get_u32(m->bl6_short, zero, &sh_was);
	if (ret)
		goto out;
	ret = m32_read(m, &old);
	if (ret)
		goto out;
	uk = malloc((keep.n + 1) * sizeof(*uk));
	uv = malloc((keep.n + 1) * sizeof(*uv));
	dk = malloc((old.n + 1) * sizeof(*dk));
	if (!uk || !uv || !dk) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < keep.n;) {
		__u32 k = keep.v[i].key;
		struct ew_bl6_mask bits = {}, was = {};

		for (; i < keep.n && keep.v[i].key == k; i++) {
			bits.mid |= keep.v[i].mask.mid;
			bits.low |= keep.v[i].mask.low;
		}
		for (; p < old.n && old.v[p].key < k; p++)
			dk[nd++] = old.v[p].key;
		if (p < old.n && old.v[p].key == k)
			was = old.v[p++].mask;
		if (memcmp(&bits, &was, sizeof(was))) {
			uk[nu] = k;
			uv[nu++] = bits;
		}
	}
	for (; p < old.n; p++)
		dk[nd++] = old.v[p].key;

	ret = map_write(m->bl6_m32, uk, 4, uv, sizeof(*uv), nu);
	if (!ret && sh_now != sh_was &&
	    bpf_map_update_elem(m->bl6_short, &zero, &sh_now, BPF_ANY) < 0)
		ret = -errno;
	if (!ret)
		ret = map_delete(m->bl6_m32, dk, 4, nd);
	if (!ret)
		ret = map_delete(m->bl6, dead, sizeof(*dead), n_gone);
out:
	free(keep.v);
	free(old.v);
	free(uk);
	free(uv);
	free(dk);
	free(dead);
	return ret;
}

static int u32_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Drop reason texts no remaining rule refers to (the map holds only EW_REASONS_MAX). */
static int reasons_gc(struct ew_maps *m, const struct kv4 *r4, const uint8_t *g4,
		      const struct kv6 *r6, const uint8_t *g6)
{
	struct reason_tab rt;
	__u32 *used;
	size_t nu = 0;
	int ret;

	used = malloc((r4->n + r6->n + 1) * sizeof(*used));
	if (!used)
		return -ENOMEM;
	for (size_t i = 0; i < r4->n; i++)
		if (!g4[i] && r4->v[i].reason_id)
			used[nu++] = r4->v[i].reason_id;
	for (size_t i = 0; i < r6->n; i++)
		if (!g6[i] && r6->v[i].reason_id)
			used[nu++] = r6->v[i].reason_id;
	qsort(used, nu, sizeof(*used), u32_cmp);
	ret = reason_tab_load(m, &rt);
	if (ret)
		goto out;
	for (size_t i = 0; i < rt.n; i++)
		if (!bsearch(&rt.rows[i].id, used, nu, sizeof(*used), u32_cmp))
			bpf_map_delete_elem(m->reasons, &rt.rows[i].id);
	free(rt.rows);
out:
	free(used);
	return ret;
}

static int reasons_gc_all(struct ew_maps *m)
{
	struct kv4 r4 = {};
	struct kv6 r6 = {};
	uint8_t *g4 = NULL, *g6 = NULL;
	int ret;

	ret = map_dump(m->bl4, sizeof(struct ew_bl4_key), sizeof(struct ew_block), kv4_cb, &r4);
	if (!ret)
		ret = map_dump(m->bl6, sizeof(struct ew_bl6_key), sizeof(struct ew_block), kv6_cb,
			       &r6);
	if (!ret) {
		g4 = calloc(r4.n + 1, 1);
		g6 = calloc(r6.n + 1, 1);
		ret = g4 && g6 ? reasons_gc(m, &r4, g4, &r6, g6) : -ENOMEM;
	}
	free(r4.k);
	free(r4.v);
	free(r6.k);
	free(r6.v);
	free(g4);
	free(g6);
	return ret;
}

int bl_flush(struct ew_maps *m, int origin, bool expired_only, size_t *removed)
{
	struct kv4 r4 = {};
	struct kv6 r6 = {};
	uint8_t *g4 = NULL, *g6 = NULL;
	size_t n4 = 0, n6 = 0;
	__u64 now = ew_boot_ns();
	int ret;

	if (removed)
		*removed = 0;
	ret = map_dump(m->bl4, sizeof(struct ew_bl4_key), sizeof(struct ew_block), kv4_cb, &r4);
	if (!ret)
		ret = map_dump(m->bl6, sizeof(struct ew_bl6_key), sizeof(struct ew_block), kv6_cb,
			       &r6);
	if (ret)
		goto out;
	g4 = malloc(r4.n + 1);
	g6 = malloc(r6.n + 1);
	if (!g4 || !g6) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < r4.n; i++)
		n4 += g4[i] = flush_match(&r4.v[i], origin, expired_only, now);
	for (size_t i = 0; i < r6.n; i++)
		n6 += g6[i] = flush_match(&r6.v[i], origin, expired_only, now);
	if (n4 && (ret = bl4_writable(m)))
		goto out;
	if (n4)
		ret = flush4(m, &r4, g4, n4);
	if (!ret && n6)
		ret = flush6(m, &r6, g6, n6);
	if (!ret && (n4 || n6))
		ret = reasons_gc(m, &r4, g4, &r6, g6);
	if (!ret && removed)
		*removed = n4 + n6;
out:
	free(r4.k);
	free(r4.v);
	free(r6.k);
	free(r6.v);
	free(g4);
	free(g6);
	return ret;
}

/* ---- collecting rules (edgewardctl list/apply, edgewardd) ---- */

struct bl_col {
	struct ew_bl_row *v;
	size_t n, cap;
	int origin;
	bool expired;
	uint64_t now;
	int err;
};

static int bl_col_cb(const struct ew_cidr *c, const struct ew_block *b, const char *reason,
		     void *ctx)
{
	struct bl_col *col = ctx;
	struct ew_bl_row *r;

	if (col->origin >= 0 && b->origin != col->origin)
		return 0;
	if (col->expired && !(b->expires_ns && b->expires_ns <= col->now))
		return 0;
	if (grow((void **)&col->v, &col->cap, col->n + 1, sizeof(*col->v))) {
		col->err = -ENOMEM;
		return 1;
	}
	r = &col->v[col->n++];
	r->cidr = *c;
	r->b = *b;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	return 0;
}

int bl_collect(struct ew_maps *m, int origin, bool expired, uint64_t now, struct ew_bl_row **rows,
	       size_t *n)
{
	struct bl_col col = { .origin = origin, .expired = expired, .now = now };
	int r = bl_foreach(m, bl_col_cb, &col);

	if (!r)
		r = col.err;
	*rows = col.v;
	*n = col.n;
	return r;
}
