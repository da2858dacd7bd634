// SPDX-License-Identifier: GPL-2.0-only
/*
 * The map layer against the real kernel: load with a private pin dir, the
 * blocklist and its summaries (exact contents after every add and delete,
 * and the XDP program's verdict on packets from inside and outside each
 * rule), bulk import, flush, policy commit/read with generation cleanup,
 * counters, ABI and compatibility errors, attach/upgrade/detach on a veth
 * pair in a private network namespace. Root only; exit 0 pass, 1 fail,
 * 77 skip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"

static int fails, passes;
static char pin_dir[128], pin_dir2[128];
static struct ew_maps m = { .lock = -1 };
static bool maps_open;
static int prog_fd = -1;

static void cleanup(void)
{
	if (maps_open)
		ew_maps_close(&m);
	maps_open = false;
	if (prog_fd >= 0)
		close(prog_fd);
	prog_fd = -1;
	if (pin_dir[0])
		ew_unpin_all(pin_dir);
	if (pin_dir2[0])
		ew_unpin_all(pin_dir2);
}

static void on_signal(int sig)
{
	(void)sig;
	exit(1);	/* atexit removes the pins */
}

static void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	cond ? passes++ : fails++;
}

#define EQ(actual, expected, ...)                                                          \
	do {                                                                               \
		unsigned long long a_ = (actual), e_ = (expected);                         \
		char n_[256];                                                              \
		snprintf(n_, sizeof(n_), __VA_ARGS__);                                     \
		if (a_ == e_)                                                              \
			ok(true, "%s", n_);                                                \
		else                                                                       \
			ok(false, "%s (actual 0x%llx, expected 0x%llx)", n_, a_, e_);      \
	} while (0)

static struct ew_cidr C(const char *s)
{
	struct ew_cidr c;
	char err[EW_ERRLEN];

	if (ew_cidr_parse(s, 0, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "test: bad cidr %s: %s\n", s, err);
		exit(1);
	}
	return c;
}

/* ---- packets ---- */

static __u16 csum16(const void *p, size_t len)
{
	const __u8 *b = p;
	__u32 s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

/* 60 bytes: Ethernet, IPv4 (20), TCP SYN (20) to port dport, 6 bytes of padding. */
static int run_v4(const char *src, __u16 dport)
{
	__u8 f[60] = { 0 };
	__u8 *ip = f + 14, *tcp = f + 34;
	__u16 cs;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = sizeof(f), .repeat = 1);

	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	ip[0] = 0x45;
	ip[3] = 40;
	ip[4] = 0x12;
	ip[6] = 0x40;	/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, "192.0.2.1", ip + 16);
	cs = csum16(ip, 20);
	memcpy(ip + 10, &cs, 2);
	tcp[0] = 0x9c;
	tcp[1] = 0x40;
	tcp[2] = dport >> 8;
	tcp[3] = dport & 0xff;
	tcp[7] = 1;
	tcp[12] = 5 << 4;
	tcp[13] = 0x02;	/* SYN */
	tcp[14] = 0xff;
	if (bpf_prog_test_run_opts(prog_fd, &o) < 0)
		return -1;
	return o.retval;
}

/* 74 bytes: Ethernet, IPv6 (40), TCP SYN (20). */
static int run_v6(const char *src, __u16 dport)
{
	__u8 f[74] = { 0 };
	__u8 *ip = f + 14, *tcp = f + 54;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = sizeof(f), .repeat = 1);

	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x86\xdd", 14);
	ip[0] = 0x60;
	ip[5] = 20;
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, "2001:db8:ffff::1", ip + 24);
	tcp[0] = 0x9c;
	tcp[1] = 0x40;
	tcp[2] = dport >> 8;
	tcp[3] = dport & 0xff;
	tcp[12] = 5 << 4;
	tcp[13] = 0x02;
	if (bpf_prog_test_run_opts(prog_fd, &o) < 0)
		return -1;
	return o.retval;
}

static const char *vname(int v)
{
	return v == XDP_DROP ? "DROP" : v == XDP_PASS ? "PASS" : "?";
}

#define V4(src, want) EQ(run_v4(src, 80), want, "datapath: SYN from %s -> %s", src, vname(want))
#define V6(src, want) EQ(run_v6(src, 80), want, "datapath: SYN from %s -> %s", src, vname(want))

/* ---- summaries ---- */

static __u32 m16(__u32 i)
{
	__u32 v = 0;

	bpf_map_lookup_elem(m.bl4_m16, &i, &v);
	return v;
}

/* The 32-bit lane of the /24 k (host-order address >> 8) in its m24 word; 0xdead: unreadable. */
#define UNREADABLE 0xdeadULL
static unsigned long long m24(__u32 k)
{
	__u32 w = k >> 1;
	__u64 v;

	if (bpf_map_lookup_elem(m.bl4_m24, &w, &v))
		return UNREADABLE;
	return (v >> ((k & 1) * EW_M24_LANE_BITS)) & 0xffffffffULL;
}

/*
 * Non-zero m24 lanes (/24s under or holding rules of length >= 16) over the
 * whole array, read with syscalls, independently of blocklist.c and its
 * mmap; *stray counts lanes with bits beyond the 17 of lengths 16..32.
 */
static size_t m24_lanes(size_t *stray)
{
	const __u32 chunk = 65536;
	__u32 *k = calloc(chunk, sizeof(*k));
	__u64 *v = calloc(chunk, sizeof(*v));
	size_t n = 0, bad = 0;

	for (__u32 w = 0; k && v && w < EW_BL4_M24_WORDS; w += chunk) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 in = w - 1, out, cnt = chunk;
		int r = bpf_map_lookup_batch(m.bl4_m24, w ? &in : NULL, &out, k, v, &cnt, &o);

		if ((r && r != -ENOENT) || cnt != chunk) {
			n = (size_t)-1;
			break;
		}
		for (__u32 i = 0; i < cnt; i++) {
			for (int l = 0; l < 2; l++) {
				__u64 lane = (v[i] >> (l * EW_M24_LANE_BITS)) & 0xffffffffULL;

				n += !!lane;
				bad += !!(lane & ~EW_M24_LANE_MASK);
			}
		}
	}
	free(k);
	free(v);
	if (stray)
		*stray = bad;
	return n;
}

static struct ew_bl6_mask m32(__u32 k, bool *present)
{
	struct ew_bl6_mask v = { 0 };

	*present = bpf_map_lookup_elem(m.bl6_m32, &k, &v) == 0;
	return v;
}

static __u32 sh6(void)
{
	__u32 zero = 0, v = 0;

	bpf_map_lookup_elem(m.bl6_short, &zero, &v);
	return v;
}

static size_t count_keys(int fd, size_t ksz)
{
	char a[64], b[64];
	size_t n = 0;
	void *prev = NULL;

	(void)ksz;
	while (bpf_map_get_next_key(fd, prev, prev == a ? b : a) == 0) {
		n++;
		prev = prev == a ? b : a;
	}
	return n;
}

/* Number of m16 entries with any of bits set. */
static size_t m16_with(__u32 bits)
{
	size_t n = 0;

	for (__u32 i = 0; i < 65536; i++)
		n += !!(m16(i) & bits);
	return n;
}

/*
 * Recompute every summary from the rules and compare with the maps: the
 * layout of include/edgeward/blocklist.h, independently of blocklist.c.
 * Rules of length >= 16 become (/24 << 32 | bit) pairs, one for each /24
 * they cover or lie in, sorted and merged afterwards.
 */
struct expect {
	__u32 *m16;
	__u64 *p24;	/* (host address >> 8) << 32 | bit */
	size_t n24, cap24;
	__u64 *p32;	/* k32 << 32 | L */
	size_t n32, cap32;
	__u32 sh;
};

static void push(__u64 **v, size_t *n, size_t *cap, __u64 x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		*v = realloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = x;
}

static int expect_cb(const struct ew_cidr *c, const struct ew_block *b, const char *r, void *ctx)
{
	struct expect *x = ctx;
	__u32 a, L = c->plen;

	(void)b;
	(void)r;
	memcpy(&a, c->addr, 4);
	a = ntohl(a);
	if (c->family == 4) {
		if (L < 16) {
			for (__u32 s = a >> 16; s < (a >> 16) + (1U << (16 - L)); s++)
				x->m16[s] |= 1U << (15 - L);
		} else {
			__u32 n = L < 24 ? 1U << (24 - L) : 1;

			x->m16[a >> 16] |= EW_M16_HAS_LONG;
			for (__u32 k = a >> 8; k < (a >> 8) + n; k++)
				push(&x->p24, &x->n24, &x->cap24, (__u64)k << 32 | 1U << (32 - L));
		}
	} else if (L < 32) {
		x->sh |= 1U << (31 - L);
	} else {
		push(&x->p32, &x->n32, &x->cap32, (__u64)a << 32 | L);
	}
	return 0;
}

static int u64cmp(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static size_t map_size(int fd)
{
	__u32 k, nk, *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &nk) == 0) {
		n++;
		k = nk;
		prev = &k;
	}
	return n;
}

static void check_summaries(const char *what)
{
	struct expect x = { .m16 = calloc(65536, 4) };
	size_t bad16 = 0, bad24 = 0, bad32 = 0, keys24 = 0, keys32 = 0, stray24 = 0;
	int r;

	r = bl_foreach(&m, expect_cb, &x);
	EQ(r, 0, "%s: bl_foreach", what);
	for (__u32 i = 0; i < 65536; i++)
		bad16 += m16(i) != x.m16[i];
	qsort(x.p24, x.n24, sizeof(*x.p24), u64cmp);
	for (size_t i = 0; i < x.n24;) {
		__u32 k = x.p24[i] >> 32, bits = 0;

		for (; i < x.n24 && x.p24[i] >> 32 == k; i++)
			bits |= (__u32)x.p24[i];
		bad24 += m24(k) != bits;
		keys24++;
	}
	qsort(x.p32, x.n32, sizeof(*x.p32), u64cmp);
	for (size_t i = 0; i < x.n32;) {
		__u32 k = x.p32[i] >> 32;
		struct ew_bl6_mask want = { 0 }, v;
		bool p;

		for (; i < x.n32 && x.p32[i] >> 32 == k; i++) {
			__u32 L = (__u32)x.p32[i];

			if (L <= 64)
				want.mid |= 1ULL << (64 - L);
			else
				want.low |= 1ULL << (128 - L);
		}
		v = m32(k, &p);
		bad32 += !p || v.mid != want.mid || v.low != want.low;
		keys32++;
	}
	EQ(bad16, 0, "%s: m16 matches the rules (entries differing)", what);
	EQ(bad24, 0, "%s: m24 values match the rules (entries differing)", what);
	EQ(m24_lanes(&stray24), keys24,
	   "%s: m24 lanes set exactly for the /24s under or with rules >= /16", what);
	EQ(stray24, 0, "%s: no m24 lane has bits beyond lengths 16..32", what);
	EQ(bad32, 0, "%s: m32 values match the rules (entries differing)", what);
	EQ(map_size(m.bl6_m32), keys32, "%s: m32 holds exactly the /32s with rules", what);
	EQ(sh6(), x.sh, "%s: bl6_short matches the rules", what);
	free(x.m16);
	free(x.p24);
	free(x.p32);
}

static int add(const char *cidr, const char *reason, __u64 expires_ns, int origin)
{
	struct ew_bl_entry e = { .cidr = C(cidr), .expires_ns = expires_ns, .origin = origin };

	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	return bl_add(&m, &e);
}

static int del(const char *cidr)
{
	struct ew_cidr c = C(cidr);

	return bl_del(&m, &c);
}

#define ADD(c) EQ(add(c, "test " c, 0, EW_ORIGIN_MANUAL), 0, "bl_add %s", c)
#define DEL(c) EQ(del(c), 0, "bl_del %s", c)

/* ---- sections ---- */

static void test_v4(void)
{
	struct ew_block b;
	char reason[EW_REASON_TEXT_LEN];
	struct ew_cidr c;

	V4("10.1.2.3", XDP_PASS);
	ADD("10.0.0.0/8");
	c = C("10.0.0.0/8");
	EQ(bl_get(&m, &c, &b, reason, sizeof(reason)), 0, "bl_get 10.0.0.0/8");
	ok(!strcmp(reason, "test 10.0.0.0/8"), "bl_get reason text \"%s\"", reason);
	EQ(b.origin, EW_ORIGIN_MANUAL, "bl_get origin");
	EQ(b.expires_ns, 0, "bl_get expiry");
	ok(b.reason_id != 0, "reason id is non-zero");
	EQ(m16(0x0a00), 1U << 7, "/8: m16[0x0a00] has bit 7");
	EQ(m16(0x0aff), 1U << 7, "/8: m16[0x0aff] has bit 7");
	EQ(m16(0x09ff), 0, "/8: m16[0x09ff] untouched");
	EQ(m16(0x0b00), 0, "/8: m16[0x0b00] untouched");
	EQ(m16_with(~0U), 256, "/8: exactly 256 m16 entries set");
	V4("10.1.2.3", XDP_DROP);
	V4("11.0.0.1", XDP_PASS);

	ADD("0.0.0.0/0");
	EQ(m16_with(1U << 15), 65536, "/0: every m16 entry has bit 15");
	EQ(m16(0x0a00), 1U << 7 | 1U << 15, "/0 + /8: m16[0x0a00]");
	V4("11.0.0.1", XDP_DROP);
	V4("203.0.113.9", XDP_DROP);

	ADD("10.1.0.0/16");
	ADD("10.1.16.0/20");
	ADD("10.1.2.0/24");
	ADD("10.1.2.16/28");
	ADD("10.1.2.3/32");
	EQ(m16(0x0a01), 1U << 15 | 1U << 7 | EW_M16_HAS_LONG,
	   "nested: m16[0x0a01] = /0 /8 + HAS_LONG");
	EQ(m24(0x0a0102), 1U << 16 | 1U << 8 | 1U << 4 | 1U << 0,
	   "nested: m24[0x0a0102] = /16 /24 /28 /32");
	EQ(m24(0x0a0110), 1U << 16 | 1U << 12, "nested: m24[0x0a0110] = /16 /20");
	EQ(m24(0x0a011f), 1U << 16 | 1U << 12, "nested: m24[0x0a011f] = /16 /20");
	EQ(m24(0x0a0120), 1U << 16, "nested: m24[0x0a0120] = /16");
	EQ(m24(0x0a00ff), 0, "nested: m24[0x0a00ff] untouched");
	EQ(m24(0x0a0200), 0, "nested: m24[0x0a0200] untouched");
	EQ(m24_lanes(NULL), 256, "nested: the /16's 256 m24 lanes set");
	check_summaries("nested v4");

	DEL("0.0.0.0/0");
	EQ(m16_with(1U << 15), 0, "del /0: bit 15 cleared everywhere");
	EQ(m16(0x0a00), 1U << 7, "del /0: m16[0x0a00] keeps the /8");
	V4("11.0.0.1", XDP_PASS);
	V4("10.200.0.1", XDP_DROP);

	DEL("10.0.0.0/8");
	EQ(m16_with(1U << 7), 0, "del /8: bit 7 cleared everywhere");
	EQ(m16(0x0a00), 0, "del /8: m16[0x0a00] = 0");
	EQ(m16(0x0aff), 0, "del /8: m16[0x0aff] = 0");
	EQ(m16(0x0a01), EW_M16_HAS_LONG, "del /8: m16[0x0a01] = HAS_LONG");
	V4("10.200.0.1", XDP_PASS);
	V4("10.1.200.1", XDP_DROP);

	DEL("10.1.0.0/16");
	EQ(m24(0x0a0102), 1U << 8 | 1U << 4 | 1U, "del /16: m24[0x0a0102] keeps /24 /28 /32");
	EQ(m24(0x0a0110), 1U << 12, "del /16: m24[0x0a0110] keeps the /20");
	EQ(m24(0x0a0120), 0, "del /16: m24[0x0a0120] cleared");
	EQ(m24_lanes(NULL), 17, "del /16: 17 lanes left (the /24 and the /20's 16)");
	EQ(m16(0x0a01), EW_M16_HAS_LONG, "del /16: HAS_LONG stays");
	check_summaries("del /16");
	V4("10.1.200.1", XDP_PASS);
	V4("10.1.17.1", XDP_DROP);
	V4("10.1.32.1", XDP_PASS);
	V4("10.1.2.3", XDP_DROP);
	V4("10.1.2.17", XDP_DROP);
	V4("10.1.2.200", XDP_DROP);
	V4("10.1.3.1", XDP_PASS);

	/* The /20 does not cover 10.1.2.x (10.1.16.0 - 10.1.31.255). */
	DEL("10.1.2.0/24");
	EQ(m24(0x0a0102), 1U << 4 | 1U, "del /24: m24 keeps /28 /32");
	V4("10.1.2.200", XDP_PASS);
	V4("10.1.2.17", XDP_DROP);
	DEL("10.1.2.16/28");
	EQ(m24(0x0a0102), 1U, "del /28: m24 keeps /32");
	V4("10.1.2.17", XDP_PASS);
	V4("10.1.2.3", XDP_DROP);
	DEL("10.1.2.3/32");
	EQ(m24(0x0a0102), 0, "del /32: m24 lane cleared");
	EQ(m16(0x0a01), EW_M16_HAS_LONG, "del /32: HAS_LONG stays for the /20");
	V4("10.1.2.3", XDP_PASS);
	DEL("10.1.16.0/20");
	EQ(m16(0x0a01), 0, "del /20: m16[0x0a01] = 0");
	EQ(m24_lanes(NULL), 0, "del /20: m24 all zero");
	V4("10.1.17.1", XDP_PASS);

	/* Siblings keep shared bits. */
	ADD("10.9.9.1/32");
	ADD("10.9.9.2/32");
	ADD("10.9.10.0/24");
	ADD("10.9.32.0/20");
	ADD("10.9.48.0/20");
	ADD("172.16.0.0/12");
	EQ(m16(0x0a09), EW_M16_HAS_LONG, "siblings: m16[0x0a09]");
	EQ(m24(0x0a0920), 1U << 12, "siblings: m24[0x0a0920] = /20");
	EQ(m24(0x0a0930), 1U << 12, "siblings: m24[0x0a0930] = /20");
	EQ(m16(0xac10), 1U << 3, "/12: m16[0xac10] bit 3");
	EQ(m16(0xac1f), 1U << 3, "/12: m16[0xac1f] bit 3");
	EQ(m16(0xac20), 0, "/12: m16[0xac20] untouched");
	V4("172.31.255.254", XDP_DROP);
	V4("172.32.0.1", XDP_PASS);
	DEL("10.9.9.1/32");
	EQ(m24(0x0a0909), 1U, "sibling /32 keeps the /32 bit");
	V4("10.9.9.1", XDP_PASS);
	V4("10.9.9.2", XDP_DROP);
	DEL("10.9.9.2/32");
	EQ(m24(0x0a0909), 0, "last /32 of the /24: lane cleared");
	EQ(m16(0x0a09), EW_M16_HAS_LONG, "another /24 in the /16 keeps HAS_LONG");
	DEL("10.9.32.0/20");
	EQ(m24(0x0a0920), 0, "del /20: its lanes cleared");
	EQ(m24(0x0a0930), 1U << 12, "sibling /20 keeps its lanes");
	EQ(m16(0x0a09), EW_M16_HAS_LONG, "sibling /20 keeps HAS_LONG");
	V4("10.9.33.1", XDP_PASS);
	V4("10.9.49.1", XDP_DROP);
	DEL("10.9.48.0/20");
	DEL("10.9.10.0/24");
	EQ(m16(0x0a09), 0, "all of 10.9/16 gone: m16 = 0");
	DEL("172.16.0.0/12");
	EQ(m16_with(~0U), 0, "every m16 entry is 0 again");
	EQ(m24_lanes(NULL), 0, "m24 is all zero again");

	/* Two /24s share a word: one lane each, lane = (a >> 8) & 1 at bit lane * 32. */
	{
		__u32 w = 0x0a0b0c00 >> 9;
		__u64 v = 0, v2 = 0;

		ADD("10.11.12.0/24");
		ADD("10.11.13.128/25");
		ADD("10.11.14.7/32");
		ADD("10.11.15.16/28");
		ADD("10.11.16.0/23");
		EQ(bpf_map_lookup_elem(m.bl4_m24, &w, &v), 0, "lanes: read word 0x%x", w);
		EQ(v, 1ULL << 8 | 1ULL << (32 + 7), "lanes: word = /24 in lane 0, /25 in lane 1");
		w++;
		EQ(bpf_map_lookup_elem(m.bl4_m24, &w, &v2), 0, "lanes: read word 0x%x", w);
		EQ(v2, 1ULL << 0 | 1ULL << (32 + 4),
		   "lanes: next word = /32 in lane 0, /28 in lane 1");
		EQ(m24(0x0a0b10), 1U << 9, "lanes: /23 in its first /24");
		EQ(m24(0x0a0b11), 1U << 9, "lanes: /23 in its second /24");
		EQ(m24(0x0a0b12), 0, "lanes: /23 stops there");
		V4("10.11.12.99", XDP_DROP);
		V4("10.11.13.1", XDP_PASS);
		V4("10.11.13.200", XDP_DROP);
		V4("10.11.14.7", XDP_DROP);
		V4("10.11.14.8", XDP_PASS);
		V4("10.11.15.20", XDP_DROP);
		V4("10.11.15.40", XDP_PASS);
		V4("10.11.16.1", XDP_DROP);
		V4("10.11.17.255", XDP_DROP);
		V4("10.11.18.1", XDP_PASS);
		check_summaries("lanes");
		DEL("10.11.13.128/25");
		EQ(m24(0x0a0b0d), 0, "lanes: del /25 clears lane 1 only");
		EQ(m24(0x0a0b0c), 1U << 8, "lanes: lane 0 of the same word untouched");
		EQ(m24(0x0a0b0e), 1U, "lanes: the next word untouched");
		EQ(m16(0x0a0b), EW_M16_HAS_LONG, "lanes: other lanes keep HAS_LONG");
		V4("10.11.13.200", XDP_PASS);
		V4("10.11.14.7", XDP_DROP);
		DEL("10.11.16.0/23");
		EQ(m24(0x0a0b10), 0, "lanes: del /23 clears its first /24");
		EQ(m24(0x0a0b11), 0, "lanes: del /23 clears its second /24");
		V4("10.11.17.1", XDP_PASS);
		DEL("10.11.12.0/24");
		DEL("10.11.14.7/32");
		DEL("10.11.15.16/28");
		EQ(m16(0x0a0b), 0, "lanes: last lane of the /16 gone, HAS_LONG cleared");
		/* A /16 sets both lanes of all 128 words of its /16, and clears them again. */
		ADD("10.12.0.0/16");
		EQ(m24(0x0a0c00), 1U << 16, "lanes: /16 in 10.12.0.0/24");
		EQ(m24(0x0a0cff), 1U << 16, "lanes: /16 in 10.12.255.0/24");
		EQ(m24_lanes(NULL), 256, "lanes: /16 sets 256 lanes");
		EQ(m16(0x0a0c), EW_M16_HAS_LONG, "lanes: /16 sets HAS_LONG only");
		V4("10.12.128.1", XDP_DROP);
		DEL("10.12.0.0/16");
		EQ(m24_lanes(NULL), 0, "lanes: del /16 clears them");
		EQ(m16(0x0a0c), 0, "lanes: del /16 clears HAS_LONG");
		V4("10.12.128.1", XDP_PASS);
		/* The first and the last word of the array. */
		ADD("0.0.0.1/32");
		ADD("255.255.255.255/32");
		EQ(m24(0), 1U, "lanes: m24 of 0.0.0.0/24");
		EQ(m24(0xffffff), 1U, "lanes: m24 of 255.255.255.0/24");
		check_summaries("lanes at the ends");
		DEL("0.0.0.1/32");
		DEL("255.255.255.255/32");
		EQ(m16(0), 0, "lanes: m16[0] = 0 again");
		EQ(m16(0xffff), 0, "lanes: m16[0xffff] = 0 again");
		EQ(m24_lanes(NULL), 0, "lanes: m24 all zero again");
	}

	EQ(del("10.9.9.9/32"), (unsigned long long)-ENOENT, "bl_del of an absent rule: -ENOENT");
	c = C("10.9.9.9/32");
	c.plen = 24;
	{
		struct ew_bl_entry e = { .cidr = c };

		EQ(bl_add(&m, &e), (unsigned long long)-EINVAL, "bl_add with host bits: -EINVAL");
		e.cidr = C("10.9.9.0/24");
		strcpy(e.reason, "bad\nreason");
		EQ(bl_add(&m, &e), (unsigned long long)-EINVAL,
		   "bl_add with a control character in the reason: -EINVAL");
	}

	/* Expiry in CLOCK_BOOTTIME, checked by the program. */
	EQ(add("10.7.0.0/16", "expired", ew_boot_ns() - 1, EW_ORIGIN_AUTO), 0, "bl_add expired");
	V4("10.7.0.1", XDP_PASS);
	EQ(add("10.7.0.0/16", "live", ew_boot_ns() + 3600ULL * 1000000000, EW_ORIGIN_AUTO), 0,
	   "bl_add replaces with a live expiry");
	V4("10.7.0.1", XDP_DROP);
	V4("10.7.0.2", XDP_DROP);
	c = C("10.7.0.0/16");
	EQ(bl_get(&m, &c, &b, reason, sizeof(reason)), 0, "bl_get 10.7.0.0/16");
	EQ(b.hits, 2, "hits counted by the program");
	ok(!strcmp(reason, "live"), "replaced reason \"%s\"", reason);
	DEL("10.7.0.0/16");

	/* A full reason table: unused texts are dropped to make room. */
	{
		struct ew_reason_text rt = { 0 };
		size_t planted = 0;

		for (__u32 id = 0x70000000; id < 0x70000000 + EW_REASONS_MAX; id++) {
			snprintf(rt.text, sizeof(rt.text), "planted %u", id);
			planted += bpf_map_update_elem(m.reasons, &id, &rt, BPF_ANY) == 0;
		}
		ok(planted >= EW_REASONS_MAX - 64, "reason table filled (%zu planted)", planted);
		EQ(add("10.8.0.0/16", "fresh reason", 0, EW_ORIGIN_MANUAL), 0,
		   "bl_add with a full reason table");
		c = C("10.8.0.0/16");
		EQ(bl_get(&m, &c, &b, reason, sizeof(reason)), 0, "bl_get 10.8.0.0/16");
		ok(!strcmp(reason, "fresh reason"), "reason stored after clean-up (\"%s\")",
		   reason);
		EQ(count_keys(m.reasons, 4), 1, "unused reasons dropped");
		DEL("10.8.0.0/16");
	}
}

static void test_v6(void)
{
	struct ew_bl6_mask v;
	bool p;

	V6("2001:db8:1:1::5", XDP_PASS);
	ADD("2001::/16");
	ADD("2001:db8::/32");
	ADD("2001:db8:1::/48");
	ADD("2001:db8:1:1::/64");
	ADD("2001:db8:1:1::5/128");
	ADD("2001:db8:100::/40");
	EQ(sh6(), 1U << 15, "v6 /16: short bit 15");
	v = m32(0x20010db8, &p);
	ok(p, "v6: m32[0x20010db8] present");
	EQ(v.mid, 1ULL << 32 | 1ULL << 24 | 1ULL << 16 | 1ULL << 0, "v6: mid = /32 /40 /48 /64");
	EQ(v.low, 1ULL << 0, "v6: low = /128");
	check_summaries("nested v6");
	V6("2001:db8:1:1::5", XDP_DROP);
	V6("2001:ffff::1", XDP_DROP);
	V6("2002::1", XDP_PASS);

	DEL("2001::/16");
	EQ(sh6(), 0, "del v6 /16: short = 0");
	V6("2001:ffff::1", XDP_PASS);
	V6("2001:db8:ffff::1", XDP_DROP);
	DEL("2001:db8::/32");
	V6("2001:db8:ffff::1", XDP_PASS);
	V6("2001:db8:1:2::1", XDP_DROP);
	V6("2001:db8:100::1", XDP_DROP);
	v = m32(0x20010db8, &p);
	EQ(v.mid, 1ULL << 24 | 1ULL << 16 | 1ULL << 0, "del /32: mid = /40 /48 /64");
	DEL("2001:db8:100::/40");
	V6("2001:db8:100::1", XDP_PASS);
	DEL("2001:db8:1::/48");
	V6("2001:db8:1:2::1", XDP_PASS);
	V6("2001:db8:1:1::7", XDP_DROP);
	DEL("2001:db8:1:1::/64");
	V6("2001:db8:1:1::7", XDP_PASS);
	V6("2001:db8:1:1::5", XDP_DROP);
	v = m32(0x20010db8, &p);
	EQ(v.mid, 0, "del /64: mid = 0");
	EQ(v.low, 1, "del /64: low keeps /128");
	ADD("2001:db8:1:1::6/128");
	DEL("2001:db8:1:1::5/128");
	v = m32(0x20010db8, &p);
	EQ(v.low, 1, "sibling /128 keeps the bit");
	DEL("2001:db8:1:1::6/128");
	m32(0x20010db8, &p);
	ok(!p, "last rule under the /32: m32 key removed");
	V6("2001:db8:1:1::5", XDP_PASS);
	ADD("::/0");
	EQ(sh6(), 1U << 31, "v6 /0: short bit 31");
	V6("2a00::1", XDP_DROP);
	DEL("::/0");
	EQ(sh6(), 0, "del v6 /0");
	V6("2a00::1", XDP_PASS);
}

/* xorshift, so the test is the same every run. */
static __u64 rng = 0x9e3779b97f4a7c15ULL;
static __u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (__u32)(rng >> 11);
}

static size_t progress_calls;
static void progress(size_t done, size_t total, void *ctx)
{
	(void)done;
	(void)total;
	(void)ctx;
	progress_calls++;
}

static void test_import(void)
{
	const size_t N = 100000, N6 = 2000;
	struct ew_bl_entry *e = calloc(N + N6 + 1, sizeof(*e));
	struct timespec t0, t1;
	size_t n4, n6, distinct, n_new = 0;
	struct ew_block b;
	char reason[EW_REASON_TEXT_LEN], buf[64];
	int r;

	for (size_t i = 0; i < N; i++) {
		__u32 a = rnd(), pick = rnd() % 10, L;

		L = pick < 5 ? 32 : pick < 8 ? 24 : 16 + rnd() % 16;
		a &= L ? ~0U << (32 - L) : 0;
		/* Keep 10.1/16 and 10.2/16 free for the spot checks below. */
		if ((a >> 16) == 0x0a01 || (a >> 16) == 0x0a02)
			a ^= 0x01000000;
		e[i].cidr.family = 4;
		e[i].cidr.plen = L;
		a = htonl(a);
		memcpy(e[i].cidr.addr, &a, 4);
		snprintf(e[i].reason, sizeof(e[i].reason), "feed %zu", i % 7);
		e[i].origin = EW_ORIGIN_IMPORT;
	}
	for (size_t i = N; i < N + N6; i++) {
		e[i].cidr.family = 6;
		e[i].cidr.plen = i % 3 == 0 ? 48 : i % 3 == 1 ? 64 : 128;
		e[i].cidr.addr[0] = 0x2a;
		e[i].cidr.addr[1] = 0x05;
		e[i].cidr.addr[2] = rnd() & 0xff;
		e[i].cidr.addr[3] = rnd() & 0x03;
		for (int k = 4; k < 16; k++)
			e[i].cidr.addr[k] = rnd();
		ew_cidr_mask(&e[i].cidr);
		snprintf(e[i].reason, sizeof(e[i].reason), "feed6");
		e[i].origin = EW_ORIGIN_IMPORT;
	}
	/* Duplicates: a later entry wins. */
	e[N + N6] = e[0];
	snprintf(e[N + N6].reason, sizeof(e[N + N6].reason), "the later one");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = bl_import(&m, e, N + N6 + 1, progress, NULL, &n_new);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EQ(r, 0, "bl_import of %zu random IPv4 + %zu IPv6 prefixes", N, N6);
	printf("# bl_import: %.3f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ok(progress_calls >= 2, "progress called (%zu times)", progress_calls);

	/* Distinct count computed independently. */
	{
		__u64 *k = malloc(N * sizeof(*k));

		for (size_t i = 0; i < N; i++) {
			__u32 a;

			memcpy(&a, e[i].cidr.addr, 4);
			k[i] = (__u64)ntohl(a) << 8 | e[i].cidr.plen;
		}
		qsort(k, N, sizeof(*k), u64cmp);
		distinct = 0;
		for (size_t i = 0; i < N; i++)
			distinct += i == 0 || k[i] != k[i - 1];
		free(k);
	}
	EQ(bl_count(&m, &n4, &n6), 0, "bl_count");
	EQ(n4, distinct, "bl_count: IPv4 rules = distinct imported prefixes");
	EQ(n6, N6, "bl_count: IPv6 rules");
	EQ(n_new, distinct + N6, "bl_import: every distinct rule counted new");
	EQ(bl_get(&m, &e[0].cidr, &b, reason, sizeof(reason)), 0, "spot check: entry 0 present");
	ok(!strcmp(reason, "the later one"), "duplicate: the later entry won (\"%s\")", reason);
	EQ(b.origin, EW_ORIGIN_IMPORT, "spot check: origin import");
	for (size_t i = 1; i < N; i += N / 5) {
		ew_cidr_format(&e[i].cidr, buf, sizeof(buf));
		EQ(bl_get(&m, &e[i].cidr, &b, reason, sizeof(reason)), 0, "spot check: %s present",
		   buf);
		ew_addr_format(4, e[i].cidr.addr, buf, sizeof(buf));
		V4(buf, XDP_DROP);
	}
	ew_cidr_format(&e[N + 1].cidr, buf, sizeof(buf));
	EQ(bl_get(&m, &e[N + 1].cidr, &b, reason, sizeof(reason)), 0, "spot check: %s present",
	   buf);
	ok(!strcmp(reason, "feed6"), "spot check: IPv6 reason");
	ew_addr_format(6, e[N + 1].cidr.addr, buf, sizeof(buf));
	V6(buf, XDP_DROP);
	V4("10.1.2.3", XDP_PASS);
	check_summaries("after import");

	/*
	 * Random sources, every other one inside a random imported rule: the
	 * program's verdict must be what a scan of the imported list says.
	 */
	{
		size_t bad = 0, blocked = 0;

		for (int t = 0; t < 2000; t++) {
			__u32 a = rnd(), be;
			bool want = false;

			if (t & 1) {
				const struct ew_cidr *r = &e[rnd() % N].cidr;
				__u32 mk = r->plen ? ~0U << (32 - r->plen) : 0;

				memcpy(&be, r->addr, 4);
				a = ntohl(be) | (a & ~mk);
			}
			for (size_t i = 0; i < N && !want; i++) {
				__u32 L = e[i].cidr.plen, mk = L ? ~0U << (32 - L) : 0;

				memcpy(&be, e[i].cidr.addr, 4);
				want = (a & mk) == ntohl(be);
			}
			be = htonl(a);
			ew_addr_format(4, (const __u8 *)&be, buf, sizeof(buf));
			r = run_v4(buf, 80);
			bad += r != (want ? XDP_DROP : XDP_PASS);
			blocked += want;
		}
		EQ(bad, 0, "2000 random sources: verdicts match a scan of the rules (mismatches)");
		ok(blocked > 1000 && blocked < 2000, "random sources: %zu of 2000 blocked",
		   blocked);
	}

	/* Import on top of existing rules merges the summaries. */
	{
		struct ew_bl_entry two[2] = {
			{ .cidr = C("10.2.3.4/32"), .origin = EW_ORIGIN_AUTO },
			{ .cidr = C("10.2.3.0/24"), .origin = EW_ORIGIN_AUTO, .expires_ns = 1 },
		};

		EQ(bl_import(&m, two, 2, NULL, NULL, &n_new), 0, "second import");
		EQ(n_new, 2, "second import: two new rules");
		two[1].expires_ns = 2;
		EQ(bl_import(&m, two, 2, NULL, NULL, &n_new), 0, "second import again");
		EQ(n_new, 0, "second import again: nothing new");
		two[1].expires_ns = 1;
		EQ(bl_import(&m, two, 2, NULL, NULL, NULL), 0, "n_new may be NULL");
		EQ(m24(0x0a0203), 1U << 8 | 1U, "second import: m24 merged");
		V4("10.2.3.4", XDP_DROP);
		V4("10.2.3.5", XDP_PASS);	/* the /24 has expired */
	}
	free(e);

	/* Flush: the expired AUTO rule only, then every IMPORT rule, then all. */
	{
		size_t removed = 0;

		EQ(bl_flush(&m, EW_ORIGIN_AUTO, true, &removed), 0, "bl_flush auto, expired only");
		EQ(removed, 1, "bl_flush removed the one expired rule");
		EQ(m24(0x0a0203), 1U, "flush: m24 rebuilt");
		V4("10.2.3.4", XDP_DROP);
		EQ(bl_flush(&m, EW_ORIGIN_IMPORT, false, &removed), 0, "bl_flush import");
		EQ(removed, distinct + N6, "bl_flush import: every imported rule");
		check_summaries("after flush of imports");
		EQ(bl_count(&m, &n4, &n6), 0, "bl_count after flush");
		EQ(n4, 1, "one IPv4 rule left");
		EQ(n6, 0, "no IPv6 rule left");
		V4("10.2.3.4", XDP_DROP);
		EQ(bl_flush(&m, -1, false, &removed), 0, "bl_flush all");
		EQ(removed, 1, "bl_flush all removed the last rule");
		EQ(m16_with(~0U), 0, "flush all: m16 all zero");
		EQ(m24_lanes(NULL), 0, "flush all: m24 all zero");
		EQ(count_keys(m.bl6_m32, 4), 0, "flush all: m32 empty");
		EQ(count_keys(m.reasons, 4), 0, "flush all: unused reasons removed");
		V4("10.2.3.4", XDP_PASS);
	}
}

static void test_policy(void)
{
	struct ew_compiled c = { 0 }, rd = { 0 };
	struct ew_set_entry sets[4];
	struct ew_lpm4_key stale = { .prefixlen = 40, .gen_set = ew_gen_set(77, 0) };
	char err[EW_ERRLEN] = "";
	__u8 one = 1;
	int r;

	r = pol_read(&m, &rd);
	EQ(r, 0, "pol_read of the empty policy");
	if (r)
		return;
	EQ(rd.pol->gen, 1, "empty policy: gen 1");
	EQ(rd.pol->abi_version, EW_ABI_VERSION, "empty policy: abi_version");
	EQ(rd.pol->ev_sample, 1, "empty policy: ev_sample 1");
	EQ(rd.pol->ev_max_per_s, 100, "empty policy: ev_max_per_s 100");
	EQ(rd.pol->flags, EW_POL_V4MAPPED, "empty policy: flags");
	EQ(rd.n_sets, 0, "empty policy: no sets");
	free(rd.pol);
	free(rd.sets);

	c.pol = calloc(1, sizeof(*c.pol));
	c.pol->flags = EW_POL_V4MAPPED;
	c.pol->ev_sample = 1;
	c.pol->ev_max_per_s = 50;
	c.pol->acl[1] = (struct ew_acl){ .port_lo = 22, .port_hi = 22, .proto_idx = EW_PI_TCP,
					 .used = 1 };
	c.pol->tcp[22].acl_id = 1;
	sets[0] = (struct ew_set_entry){ .cidr = C("192.0.2.10/32"), .set_id = 0 };
	sets[1] = (struct ew_set_entry){ .cidr = C("10.0.0.0/8"), .set_id = 1 };
	sets[2] = (struct ew_set_entry){ .cidr = C("2001:db8::/32"), .set_id = 1 };
	sets[3] = (struct ew_set_entry){ .cidr = C("198.51.100.0/24"), .set_id = 1 };
	c.sets = sets;
	c.n_sets = 4;

	/* A leftover of some failed commit: must be gone after the next one. */
	EQ(bpf_map_update_elem(m.lpm4, &stale, &one, BPF_ANY), 0, "plant a stale-generation key");

	r = pol_commit(&m, &c, err, sizeof(err));
	EQ(r, 0, "pol_commit (%s)", err);
	EQ(c.pol->gen, 2, "commit: gen 2");
	EQ(count_keys(m.lpm4, sizeof(struct ew_lpm4_key)), 3, "commit: LPM4 holds only gen 2");
	EQ(count_keys(m.lpm6, sizeof(struct ew_lpm6_key)), 1, "commit: LPM6 holds only gen 2");

	r = pol_read(&m, &rd);
	EQ(r, 0, "pol_read");
	if (!r) {
		EQ(rd.pol->gen, 2, "read: gen");
		EQ(rd.pol->n_allow, 1, "read: n_allow");
		EQ(rd.pol->acl[1].n_cidrs, 3, "read: acl[1].n_cidrs");
		EQ(rd.pol->acl[1].flags, EW_ACL_V4_INLINE, "read: acl[1] IPv4 sources inline");
		EQ(rd.pol->acl[1].n_inline4, 2, "read: acl[1] 2 inline IPv4 sources");
		EQ(rd.pol->acl[1].net4[0], htonl(0x0a000000), "read: acl[1] inline 10.0.0.0");
		EQ(rd.pol->acl[1].mask4[0], htonl(0xff000000), "read: acl[1] inline /8 mask");
		EQ(rd.pol->acl[1].mask4[1], htonl(0xffffff00), "read: acl[1] inline /24 mask");
		EQ(rd.pol->ev_max_per_s, 50, "read: ev_max_per_s");
		EQ(rd.pol->tcp[22].acl_id, 1, "read: tcp[22].acl_id");
		ok(rd.pol->applied_unix > 0, "read: applied_unix set");
		EQ(rd.n_sets, 4, "read: 4 set entries");
		for (size_t i = 0; i < 4; i++) {
			const struct ew_set_entry *w = &sets[i];
			bool found = false;

			for (size_t j = 0; j < rd.n_sets; j++)
				found |= rd.sets[j].set_id == w->set_id &&
					 !memcmp(&rd.sets[j].cidr, &w->cidr, sizeof(w->cidr));
			ok(found, "read: set entry %zu round-trips", i);
		}
		free(rd.pol);
		free(rd.sets);
	}

	/* The datapath: ACL on 22/tcp, allowlist before blocklist. */
	EQ(run_v4("10.1.2.3", 22), XDP_PASS, "ACL: 22/tcp from 10.1.2.3 passes");
	EQ(run_v4("203.0.113.5", 22), XDP_DROP, "ACL: 22/tcp from 203.0.113.5 dropped");
	EQ(run_v4("203.0.113.5", 80), XDP_PASS, "ACL: 80/tcp from 203.0.113.5 passes");
	EQ(run_v6("2001:db8::9", 22), XDP_PASS, "ACL: 22/tcp from 2001:db8::9 passes");
	EQ(run_v6("2001:db9::9", 22), XDP_DROP, "ACL: 22/tcp from 2001:db9::9 dropped");
	ADD("192.0.2.0/24");
	V4("192.0.2.10", XDP_PASS);	/* allowlisted */
	V4("192.0.2.11", XDP_DROP);
	DEL("192.0.2.0/24");

	/* Second commit: fewer entries, old generation removed. */
	c.n_sets = 2;
	r = pol_commit(&m, &c, err, sizeof(err));
	EQ(r, 0, "second pol_commit (%s)", err);
	EQ(c.pol->gen, 3, "second commit: gen 3");
	EQ(count_keys(m.lpm4, sizeof(struct ew_lpm4_key)), 2, "second commit: LPM4 = new entries");
	EQ(count_keys(m.lpm6, sizeof(struct ew_lpm6_key)), 0, "second commit: LPM6 empty");
	EQ(run_v4("198.51.100.7", 22), XDP_DROP, "second commit: dropped source now outside");

	/* A rejected commit leaves the live policy alone. */
	sets[1].cidr.plen = 4;	/* 10.0.0.0/4 has host bits */
	r = pol_commit(&m, &c, err, sizeof(err));
	ok(r == -EINVAL, "bad set entry rejected (%d: %s)", r, err);
	r = pol_read(&m, &rd);
	if (!r) {
		EQ(rd.pol->gen, 3, "after a rejected commit: still gen 3");
		free(rd.pol);
		free(rd.sets);
	}
	EQ(count_keys(m.lpm4, sizeof(struct ew_lpm4_key)), 2, "after a rejected commit: LPM4");

	/* Back to an empty policy so the other sections see no ACL. */
	memset(c.pol, 0, sizeof(*c.pol));
	c.pol->flags = EW_POL_V4MAPPED;
	c.n_sets = 0;
	EQ(pol_commit(&m, &c, err, sizeof(err)), 0, "empty pol_commit");
	EQ(count_keys(m.lpm4, sizeof(struct ew_lpm4_key)), 0, "empty commit: LPM4 empty");
	free(c.pol);
}

static void test_stats(void)
{
	struct ew_counter s[EW_R_MAX];

	EQ(stats_read(&m, s), 0, "stats_read");
	ok(s[EW_R_BLOCKLIST].packets > 10, "blocklist drops counted (%llu)",
	   (unsigned long long)s[EW_R_BLOCKLIST].packets);
	ok(s[EW_R_BLOCKLIST].bytes >= 60 * s[EW_R_BLOCKLIST].packets, "bytes counted");
	ok(s[EW_R_PASS].packets > 10, "passes counted (%llu)",
	   (unsigned long long)s[EW_R_PASS].packets);
	EQ(stats_reset(&m), 0, "stats_reset");
	EQ(stats_read(&m, s), 0, "stats_read after reset");
	EQ(s[EW_R_BLOCKLIST].packets + s[EW_R_PASS].packets, 0, "counters zero after reset");
}

static void test_errors(void)
{
	struct ew_maps m2;
	struct ew_info info, bad;
	__u32 zero = 0;
	char err[EW_ERRLEN] = "";
	int r, fd;

	r = ew_maps_open(&m2, "/sys/fs/bpf/edgeward-test-nonexistent", false, err, sizeof(err));
	ok(r == -ENOENT && strstr(err, "edgeward is not loaded") && strstr(err, "attach"),
	   "missing pin dir: \"%s\"", err);

	bpf_map_lookup_elem(m.info, &zero, &info);
	bad = info;
	bad.abi_version = 99;
	bpf_map_update_elem(m.info, &zero, &bad, BPF_ANY);
	err[0] = '\0';
	r = ew_maps_open(&m2, pin_dir, false, err, sizeof(err));
	ok(r < 0 && strstr(err, "ABI version 99") && strstr(err, "rm -r"),
	   "tampered ew_info: \"%s\"", err);
	if (r == 0)
		ew_maps_close(&m2);
	err[0] = '\0';
	r = ew_load(pin_dir, err, sizeof(err));
	ok(r < 0 && strstr(err, "incompatible"), "ew_load over tampered maps: \"%s\"", err);
	if (r >= 0)
		close(r);
	bpf_map_update_elem(m.info, &zero, &info, BPF_ANY);
	r = ew_maps_open(&m2, pin_dir, false, err, sizeof(err));
	EQ(r, 0, "restored ew_info opens again");
	if (r == 0) {
		struct ew_bl_entry e = { .cidr = C("10.3.0.0/16") };
		struct ew_cidr c = C("10.3.0.0/16");

		/* Readers do not map the summaries, so they cannot write them either. */
		ok(!m2.bl4_m16_mm && !m2.bl4_m24_mm, "a read-only open maps no summaries");
		EQ(bl_add(&m2, &e), (unsigned long long)-EBADF,
		   "bl_add on a read-only open: -EBADF");
		EQ(bl_del(&m2, &c), (unsigned long long)-EBADF,
		   "bl_del on a read-only open: -EBADF");
		EQ(bl_get(&m2, &c, &(struct ew_block){ 0 }, NULL, 0), (unsigned long long)-ENOENT,
		   "nothing was added");
		ew_maps_close(&m2);
	}

	/* A pinned map of another shape under our name. */
	snprintf(pin_dir2, sizeof(pin_dir2), "/sys/fs/bpf/edgeward-test-maps2-%d", (int)getpid());
	mkdir(pin_dir2, 0700);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ew_bl4", 12, sizeof(struct ew_block), 16, NULL);
	if (fd >= 0) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", pin_dir2, EW_MAP_BL4);
		bpf_obj_pin(fd, path);
		close(fd);
	}
	err[0] = '\0';
	r = ew_load(pin_dir2, err, sizeof(err));
	ok(r < 0 && strstr(err, "incompatible") && strstr(err, "rm -r") && strstr(err, "ew_bl4"),
	   "incompatible pinned map: \"%s\"", err);
	if (r >= 0)
		close(r);
	ew_unpin_all(pin_dir2);
	pin_dir2[0] = '\0';
}

static __u32 pinned_prog_id(void)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, EW_PROG_NAME);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	return info.id;
}

static const struct ew_attachment *find_att(const struct ew_attachment *a, size_t n,
					    const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(a[i].ifname, ifname))
			return &a[i];
	return NULL;
}

static void test_attach(void)
{
	struct ew_attachment *a = NULL;
	const struct ew_attachment *x;
	char err[EW_ERRLEN] = "";
	bool fb = true;
	size_t n = 0;
	__u32 id1, id2;
	int r, swapped = -1;

	if (unshare(CLONE_NEWNET) < 0 ||
	    system("ip link add ewt0 type veth peer name ewt1 && ip link set ewt0 up && "
		   "ip link set ewt1 up && ip link set lo up") != 0) {
		printf("ok - attach tests # SKIP no private netns or veth\n");
		return;
	}
	r = ew_attach(pin_dir, "nope0", EW_MODE_AUTO, &fb, err, sizeof(err));
	ok(r == -ENODEV && !strcmp(err, "no such interface: nope0"), "unknown interface: \"%s\"",
	   err);
	r = ew_attach(pin_dir, "bad/name", EW_MODE_AUTO, &fb, err, sizeof(err));
	EQ(r, (unsigned long long)-EINVAL, "bad interface name rejected");

	r = ew_attach(pin_dir, "ewt0", EW_MODE_AUTO, &fb, err, sizeof(err));
	EQ(r, 0, "attach ewt0 auto (%s)", r ? err : "");
	ok(!fb, "veth: native, no fallback");
	r = ew_attach(pin_dir, "lo", EW_MODE_AUTO, &fb, err, sizeof(err));
	EQ(r, 0, "attach lo auto (%s)", r ? err : "");
	ok(fb, "lo: fell back to skb mode");
	r = ew_attach(pin_dir, "ewt0", EW_MODE_NATIVE, &fb, err, sizeof(err));
	EQ(r, 0, "re-attach ewt0 native: atomic replace (%s)", r ? err : "");
	r = ew_attach(pin_dir, "lo", EW_MODE_NATIVE, &fb, err, sizeof(err));
	ok(r < 0 && strstr(err, "skb mode"), "lo native while in skb mode refused: \"%s\"", err);

	id1 = pinned_prog_id();
	EQ(ew_attachments(pin_dir, &a, &n), 0, "ew_attachments");
	x = find_att(a, n, "ewt0");
	ok(x && x->ours && x->mode == EW_MODE_NATIVE && x->prog_id == id1, "ewt0: ours, native");
	x = find_att(a, n, "lo");
	ok(x && x->ours && x->mode == EW_MODE_SKB, "lo: ours, skb");
	free(a);

	r = ew_upgrade(pin_dir, &swapped, err, sizeof(err));
	EQ(r, 0, "ew_upgrade (%s)", r ? err : "");
	EQ(swapped, 2, "ew_upgrade swapped both interfaces");
	id2 = pinned_prog_id();
	ok(id2 && id2 != id1, "a new program is pinned (%u -> %u)", id1, id2);
	EQ(ew_attachments(pin_dir, &a, &n), 0, "ew_attachments after upgrade");
	x = find_att(a, n, "ewt0");
	ok(x && x->ours && x->prog_id == id2, "ewt0 runs the new program");
	x = find_att(a, n, "lo");
	ok(x && x->ours && x->prog_id == id2 && x->mode == EW_MODE_SKB,
	   "lo runs the new program, still skb");
	free(a);

	/* Someone else's XDP program is not replaced; detach removes whatever is there. */
	{
		struct bpf_insn insns[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = XDP_PASS },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		int ofd = bpf_prog_load(BPF_PROG_TYPE_XDP, "other", "GPL", insns, 2, NULL);
		int ifi = if_nametoindex("ewt1");

		ok(ofd >= 0 && bpf_xdp_attach(ifi, ofd, XDP_FLAGS_SKB_MODE, NULL) == 0,
		   "attach a foreign program to ewt1");
		r = ew_attach(pin_dir, "ewt1", EW_MODE_AUTO, &fb, err, sizeof(err));
		ok(r == -EBUSY && strstr(err, "not edgeward's"), "foreign program kept: \"%s\"",
		   err);
		EQ(ew_attachments(pin_dir, &a, &n), 0, "ew_attachments with a foreign program");
		x = find_att(a, n, "ewt1");
		ok(x && !x->ours && x->mode == EW_MODE_SKB, "ewt1: not ours");
		free(a);
		EQ(ew_detach("ewt1", err, sizeof(err)), 0, "detach the foreign program");
		if (ofd >= 0)
			close(ofd);
	}

	EQ(ew_detach("ewt0", err, sizeof(err)), 0, "detach ewt0");
	EQ(ew_detach("lo", err, sizeof(err)), 0, "detach lo");
	r = ew_detach("lo", err, sizeof(err));
	EQ(r, (unsigned long long)-ENOENT, "detach again: -ENOENT");
	EQ(ew_attachments(pin_dir, &a, &n), 0, "ew_attachments after detach");
	EQ(n, 0, "nothing attached");
	free(a);
}

int main(void)
{
	char err[EW_ERRLEN] = "";
	struct ew_cidr c = C("10.99.0.0/16");
	struct ew_block b;
	struct ew_info info;
	__u32 zero = 0;
	__u64 first_load;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: test_maps needs root (BPF, bpffs)\n");
		return 77;
	}
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/edgeward-test-maps-%d", (int)getpid());
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	prog_fd = ew_load(pin_dir, err, sizeof(err));
	ok(prog_fd >= 0, "ew_load into %s (%s)", pin_dir, prog_fd < 0 ? err : "");
	if (prog_fd < 0)
		return 1;
	{
		struct stat st;

		ok(stat(pin_dir, &st) == 0 && (st.st_mode & 0777) == 0700, "pin dir is mode 0700");
	}
	r = ew_maps_open(&m, pin_dir, true, err, sizeof(err));
	ok(r == 0, "ew_maps_open write (%s)", r ? err : "");
	if (r)
		return 1;
	maps_open = true;
	bpf_map_lookup_elem(m.info, &zero, &info);
	EQ(info.abi_version, EW_ABI_VERSION, "ew_info.abi_version");
	ok(info.loaded_unix > 1600000000, "ew_info.loaded_unix set");
	first_load = info.loaded_unix;

	/* A second load reuses the pinned maps: a rule survives, loaded_unix stays. */
	EQ(add("10.99.0.0/16", "survivor", 0, EW_ORIGIN_MANUAL), 0, "bl_add before reload");
	close(prog_fd);
	prog_fd = ew_load(pin_dir, err, sizeof(err));
	ok(prog_fd >= 0, "second ew_load (%s)", prog_fd < 0 ? err : "");
	if (prog_fd < 0)
		return 1;
	EQ(bl_get(&m, &c, &b, NULL, 0), 0, "the rule survived the reload");
	V4("10.99.1.1", XDP_DROP);
	bpf_map_lookup_elem(m.info, &zero, &info);
	EQ(info.loaded_unix, first_load, "loaded_unix kept from the first load");
	DEL("10.99.0.0/16");

	test_v4();
	test_v6();
	check_summaries("after v4/v6 sections");
	test_policy();
	test_stats();
	test_import();
	test_errors();
	test_attach();

	printf("# %d passed, %d failed\n", passes, fails);
	return fails ? 1 : 0;
}
