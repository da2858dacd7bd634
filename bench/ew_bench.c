// SPDX-License-Identifier: GPL-2.0-only
/*
 * ew_bench: the C half of scripts/bench.sh. One binary, one subcommand per
 * step, so that the script only orchestrates namespaces, peers and the table:
 *
 *   lists DIR N4 N6            rule files: bl4.txt (N4 IPv4 CIDRs, 10.99.0.0/24 last),
 *                              bl6.txt (N6 IPv6 prefixes, 2001:db8:bad::/48 last),
 *                              xf10k32.txt (10k /32s, 10.99.0.1 last), net10k.txt
 *                              (10k CIDRs /16../32, 10.99.0.0/24 last) for the peers
 *   load PIN                   ew_load into a private pin dir, prints the program id
 *   policy PIN YAML [VARIANT]  the bench policy (YAML + bench extras, see bench_doc), committed
 *   import PIN FILE            parse FILE and bl_import it, prints "import N SECONDS"
 *   count PIN                  prints "count N4 N6"
 *   micro PIN YAML LIST4 XF_PROG_ID REPS MEAS_S
 *                              BPF_PROG_TEST_RUN ns/packet, interleaved rounds, then the
 *                              per-stage breakdown (policy variants); "micro KEY MED MIN MAX RV"
 *   verifier PIN               ew_xdp's processed insns: "verifier LOG_INSNS PROG_INFO_INSNS"
 *   attach PIN IFNAME / detach IFNAME   (run inside the receiver's netns)
 *   xffill MAP_ID FILE         xdp-filter's filter_ipv4: every /32 of FILE, source mode
 *   xdpdrop IFNAME             attach the plain XDP_DROP program natively (the floor row)
 *   gen IFNAME DMAC SRC DST DPORT SECONDS PIN_IF
 *                              the flood generator (run inside the sender's netns)
 *
 * Addresses used throughout (the rule generators never cover them):
 *   10.99.0.1     flood / dropped source, inside the blocked 10.99.0.0/24
 *   198.51.100.1  allowed source: in no blocklist or allowlist rule (in the 8443 ACL)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "parse.h"
#include "policy_doc.h"

#include "bench_ew.skel.h"
#include "bench_lpm.skel.h"
#include "edgeward.skel.h"

#define SRC_DROP  0x0a630001u	/* 10.99.0.1 */
#define SRC_ALLOW 0xc6336401u	/* 198.51.100.1 */
#define DST_ADDR  0x0ac80002u	/* 10.200.0.2 */
#define BENCH_PORT 8443	/* open, ACL'd and rate-limited per packet by the bench policy */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: ew_bench lists|load|policy|import|count|micro|verifier|attach|detach|"
			"xffill|xdpdrop|gen ... (see bench/ew_bench.c)\n");
	return 2;
}

/* libbpf's warnings always; its debug chatter only with EWB_VERBOSE set. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("EWB_VERBOSE"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- rule lists ---- */

static unsigned long long rng_s;

static unsigned long long rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}

/* A set of 64-bit keys (open addressing) to keep lists free of duplicates. */
struct kset {
	unsigned long long *k;
	size_t cap;
};

static int kset_init(struct kset *s, size_t n)
{
	s->cap = 1;
	while (s->cap < 2 * n + 16)
		s->cap <<= 1;
	s->k = calloc(s->cap, sizeof(*s->k));
	return s->k ? 0 : -ENOMEM;
}

/* Returns 1 when added, 0 when present. Key 0 is never used (lengths are >= 1). */
static int kset_add(struct kset *s, unsigned long long key)
{
	size_t i = (key * 0x9e3779b97f4a7c15ULL) >> 20 & (s->cap - 1);

	while (s->k[i]) {
		if (s->k[i] == key)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->k[i] = key;
	return 1;
}

static int covers4(unsigned int a, unsigned int m, unsigned int x)
{
	return (x & m) == a;
}

/*
 * n IPv4 CIDRs, 50% /32, 30% /24, 20% /minlen../32 (as the reference harness's
 * "helper list"), none covering the flood, allowed or allowlisted sources, then
 * `last` (may be NULL).
 */
static int list4(FILE *f, long n, unsigned long long seed, int minlen, const char *last)
{
	struct kset s;
	long i = 0;

	if (kset_init(&s, n))
		return -ENOMEM;
	rng_s = seed | 1;
	for (int j = 0; j < 16; j++)
		rnd();
	while (i < n - (last ? 1 : 0)) {
		unsigned long long r = rnd();
		unsigned int a = r >> 32, q = (r >> 8) % 10, m;
		int l = q < 5 || minlen == 32 ? 32 :
			q < 8 && minlen <= 24 ? 24 : minlen + (int)((r >> 16) % (33 - minlen));

		m = l < 32 ? ~(~0u >> l) : ~0u;
		a &= m;
		if (covers4(a, m, SRC_DROP) || covers4(a, m, SRC_ALLOW) ||
		    covers4(a, m, 0xcb00710au) /* 203.0.113.10, allowlisted */)
			continue;
		if (!kset_add(&s, (unsigned long long)a << 8 | l))
			continue;
		fprintf(f, "%u.%u.%u.%u/%d\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, l);
		i++;
	}
	if (last)
		fprintf(f, "%s\n", last);
	free(s.k);
	return 0;
}

/*
 * n IPv6 prefixes in 2000::/3: 10% /32, 30% /48, 30% /64, 30% /128, never
 * inside 2001:db8::/32 (the bench's own IPv6 sources), then 2001:db8:bad::/48.
 */
static int list6(FILE *f, long n, unsigned long long seed)
{
	static const int lens[10] = { 32, 48, 48, 48, 64, 64, 64, 128, 128, 128 };
	struct kset s;
	long i = 0;

	if (kset_init(&s, n))
		return -ENOMEM;
	rng_s = seed | 1;
	for (int j = 0; j < 16; j++)
		rnd();
	while (i < n - 1) {
		unsigned long long hi = rnd(), lo = rnd(), h;
		int l = lens[rnd() % 10];
		struct ew_cidr c = { .family = 6, .plen = l };
		char buf[EW_CIDR_STRLEN];

		hi = (hi & ~(7ULL << 61)) | (1ULL << 61);	/* 2000::/3 */
		if (hi >> 32 == 0x20010db8)
			continue;
		for (int b = 0; b < 8; b++) {
			c.addr[b] = hi >> (56 - 8 * b);
			c.addr[8 + b] = lo >> (56 - 8 * b);
		}
		ew_cidr_mask(&c);
		/* Dedup on a hash of the masked address and length. */
		h = 0xcbf29ce484222325ULL;
		for (int b = 0; b < 16; b++)
			h = (h ^ c.addr[b]) * 0x100000001b3ULL;
		h = (h ^ l) * 0x100000001b3ULL;
		if (!kset_add(&s, h | 1))
			continue;
		if (ew_cidr_format(&c, buf, sizeof(buf)) < 0)
			return -EINVAL;
		fprintf(f, "%s\n", buf);
		i++;
	}
	fprintf(f, "2001:db8:bad::/48\n");
	free(s.k);
	return 0;
}

static int write_list(const char *dir, const char *name, int (*fn)(FILE *, void *), void *arg)
{
	char path[4096];
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "lists: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	r = fn(f, arg);
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

struct l4arg {
	long n;
	unsigned long long seed;
	int minlen;
	const char *last;
};

static int l4cb(FILE *f, void *p)
{
	struct l4arg *a = p;

	return list4(f, a->n, a->seed, a->minlen, a->last);
}

static int l6cb(FILE *f, void *p)
{
	struct l4arg *a = p;

	return list6(f, a->n, a->seed);
}

static int cmd_lists(int argc, char **argv)
{
	struct l4arg bl4 = { atol(argv[3]), 42, 16, "10.99.0.0/24" };
	struct l4arg bl6 = { atol(argv[4]), 6, 0, NULL };
	struct l4arg xf = { 10000, 7, 32, "10.99.0.1/32" };
	struct l4arg net = { 10000, 1001, 16, "10.99.0.0/24" };

	if (argc != 5 || bl4.n < 2 || bl6.n < 2)
		return usage();
	if (write_list(argv[2], "bl4.txt", l4cb, &bl4) || write_list(argv[2], "bl6.txt", l6cb, &bl6) ||
	    write_list(argv[2], "xf10k32.txt", l4cb, &xf) ||
	    write_list(argv[2], "net10k.txt", l4cb, &net))
		return 1;
	return 0;
}

/* ---- packets ---- */

/* 60-byte Ethernet/IPv4/TCP with a valid IP checksum (the stack drops bad ones early). */
static void mkpkt4(unsigned char *b, const unsigned char *dmac, __u32 src, __u32 dst, int dport,
		   int flags)
{
	unsigned long sum = 0;
	__u32 s = htonl(src), d = htonl(dst);

	memset(b, 0, 60);
	memcpy(b, dmac, 6);
	b[6] = 2;
	b[11] = 1;
	b[12] = 8;			/* ETH_P_IP */
	b[14] = 0x45;
	b[17] = 40;			/* total length */
	b[19] = 1;			/* id */
	b[22] = 64;			/* ttl */
	b[23] = 6;			/* TCP */
	memcpy(b + 26, &s, 4);
	memcpy(b + 30, &d, 4);
	for (int i = 14; i < 34; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[24] = (~sum >> 8) & 0xff;
	b[25] = ~sum & 0xff;
	b[34] = 0x30;			/* source port 12345 */
	b[35] = 0x39;
	b[36] = dport >> 8;
	b[37] = dport & 0xff;
	b[41] = 1;			/* seq */
	b[46] = 0x50;			/* doff 5 */
	b[47] = flags;
	b[48] = b[49] = 0xff;		/* window */
}

/* 74-byte Ethernet/IPv6/TCP. */
static void mkpkt6(unsigned char *b, const char *src, const char *dst, int dport, int flags)
{
	memset(b, 0, 74);
	b[0] = 2;
	b[6] = 2;
	b[11] = 1;
	b[12] = 0x86;
	b[13] = 0xdd;
	b[14] = 0x60;
	b[19] = 20;			/* payload length */
	b[20] = 6;			/* next header TCP */
	b[21] = 64;
	inet_pton(AF_INET6, src, b + 22);
	inet_pton(AF_INET6, dst, b + 38);
	b[54] = 0x30;
	b[55] = 0x39;
	b[56] = dport >> 8;
	b[57] = dport & 0xff;
	b[61] = 1;
	b[66] = 0x50;
	b[67] = flags;
	b[68] = b[69] = 0xff;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int m[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = m[i];
	return 0;
}

/* ---- edgeward: load, policy, import ---- */

static int cmd_load(int argc, char **argv)
{
	char err[EW_ERRLEN] = "";
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	if (argc != 3)
		return usage();
	fd = ew_load(argv[2], err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "load: %s (%s)\n", err, strerror(-fd));
		return 1;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		printf("load %u\n", info.id);
	close(fd);
	return 0;
}

static int cidr(const char *s, struct ew_cidr *c)
{
	char err[EW_ERRLEN];

	if (ew_cidr_parse(s, 0, c, err, sizeof(err)) < 0) {
		fprintf(stderr, "policy: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static int portspec(const char *s, struct ew_portspec *p)
{
	char err[EW_ERRLEN];

	if (ew_portspec_parse(s, -1, p, err, sizeof(err))) {
		fprintf(stderr, "policy: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/*
 * The bench policy: the YAML file (examples/edgeward.yaml: bogons and
 * v4mapped drop, default-deny TCP, 80/443 open, ACLs on 22 and 5432, rate
 * class http on 80/443 counting connections) plus a few allowlist entries
 * and port BENCH_PORT/tcp: ACL'd to 198.51.100.0/24 and 10/8 (which opens it to them), and
 * in a class "bench" that charges every packet at 1e9/s (a bucket that
 * never runs out over millions of test runs). Variants switch stages off to
 * price them:
 *   full      all of the above
 *   noallow   allowlist emptied (the allowlist stage is skipped when n_allow = 0)
 *   noflags   bogons and v4mapped off
 *   noevents  drop events off (ev_sample = 0)
 *   noaclrl   no ACLs and no rate-limit classes (ports stay open)
 *   empty     the library's default document (everything allowed, no tables)
 */
static int bench_doc(const char *yaml, const char *variant, struct ew_policy_doc *doc)
{
	static const char *allow[] = { "203.0.113.10/32", "100.64.0.0/10", "2001:db8:100::/48",
				       "2001:db8:200::1/128" };
	char err[EW_ERRLEN] = "";
	struct ew_cidr *al;
	struct ew_acl_doc *acl;
	struct ew_rl_doc *rl;
	size_t i;
	int r;

	if (!strcmp(variant, "empty")) {
		ew_policy_doc_init(doc);
		return 0;
	}
	r = ew_policy_doc_load(yaml, false, doc, NULL, err, sizeof(err));
	if (r) {
		fprintf(stderr, "policy: %s\n", err);
		return r;
	}
	al = realloc(doc->allow, (doc->n_allow + 4) * sizeof(*al));
	if (al)
		doc->allow = al;
	acl = realloc(doc->acl, (doc->n_acl + 1) * sizeof(*acl));
	if (acl)
		doc->acl = acl;
	rl = realloc(doc->rl, (doc->n_rl + 1) * sizeof(*rl));
	if (rl)
		doc->rl = rl;
	if (!al || !acl || !rl)
		return -ENOMEM;
	for (i = 0; i < 4; i++)
		if (cidr(allow[i], &doc->allow[doc->n_allow++]))
			return -EINVAL;

	acl = &doc->acl[doc->n_acl++];
	memset(acl, 0, sizeof(*acl));
	acl->from = calloc(2, sizeof(*acl->from));
	if (!acl->from)
		return -ENOMEM;
	acl->n_from = 2;
	if (portspec("8443/tcp", &acl->port) || cidr("198.51.100.0/24", &acl->from[0]) ||
	    cidr("10.0.0.0/8", &acl->from[1]))
		return -EINVAL;

	rl = &doc->rl[doc->n_rl++];
	memset(rl, 0, sizeof(*rl));
	snprintf(rl->name, sizeof(rl->name), "bench");
	rl->ports = calloc(1, sizeof(*rl->ports));
	if (!rl->ports)
		return -ENOMEM;
	rl->n_ports = 1;
	rl->rate = 1000000000;
	rl->period_s = 1;
	rl->burst = 1000000;
	rl->count_conn = false;
	if (portspec("8443/tcp", &rl->ports[0]))
		return -EINVAL;

	if (!strcmp(variant, "noallow")) {
		doc->n_allow = 0;
	} else if (!strcmp(variant, "noflags")) {
		doc->flags &= ~(EW_POL_BOGONS | EW_POL_V4MAPPED);
	} else if (!strcmp(variant, "noevents")) {
		doc->ev_sample = 0;
	} else if (!strcmp(variant, "noaclrl")) {
		for (i = 0; i < doc->n_acl; i++)
			free(doc->acl[i].from);
		for (i = 0; i < doc->n_rl; i++)
			free(doc->rl[i].ports);
		doc->n_acl = 0;
		doc->n_rl = 0;
	} else if (strcmp(variant, "full")) {
		fprintf(stderr, "policy: unknown variant %s\n", variant);
		return -EINVAL;
	}
	return 0;
}

static int commit_variant(struct ew_maps *m, const char *yaml, const char *variant, bool blocks)
{
	struct ew_policy_doc doc;
	struct ew_compiled c = {};
	char err[EW_ERRLEN] = "";
	int r;

	ew_policy_doc_init(&doc);
	r = bench_doc(yaml, variant, &doc);
	if (!r)
		r = ew_policy_compile(&doc, &c, err, sizeof(err));
	if (!r)
		r = pol_commit(m, &c, err, sizeof(err));
	if (r)
		fprintf(stderr, "policy %s: %s (%s)\n", variant, err, strerror(-r));
	/* The policy file's static blocks, as "edgewardctl apply" adds them. */
	for (size_t i = 0; !r && blocks && i < doc.n_block; i++) {
		struct ew_bl_entry e = { .cidr = doc.block[i].cidr, .origin = EW_ORIGIN_POLICY };

		snprintf(e.reason, sizeof(e.reason), "%s", doc.block[i].reason);
		if (doc.block[i].ttl_ns)
			e.expires_ns = ew_boot_ns() + doc.block[i].ttl_ns;
		r = bl_add(m, &e);
		if (r)
			fprintf(stderr, "policy: bl_add: %s\n", strerror(-r));
	}
	ew_compiled_free(&c);
	ew_policy_doc_free(&doc);
	return r;
}

static int maps_open(struct ew_maps *m, const char *pin, bool write)
{
	char err[EW_ERRLEN] = "";
	int r = ew_maps_open(m, pin, write, err, sizeof(err));

	if (r)
		fprintf(stderr, "maps: %s (%s)\n", err, strerror(-r));
	return r;
}

static int cmd_policy(int argc, char **argv)
{
	struct ew_maps m;
	int r;

	if (argc != 4 && argc != 5)
		return usage();
	if (maps_open(&m, argv[2], true))
		return 1;
	r = commit_variant(&m, argv[3], argc == 5 ? argv[4] : "full", true);
	ew_maps_close(&m);
	return r ? 1 : 0;
}

/* Parse a rule file (one CIDR a line) as "edgewardctl block import" would, then bl_import. */
static int cmd_import(int argc, char **argv)
{
	struct ew_bl_entry *e = NULL;
	size_t n = 0, cap = 0;
	char line[256], err[EW_ERRLEN];
	struct ew_maps m;
	double t0 = now_s(), t1;
	FILE *f;
	int r = 1;

	if (argc != 4)
		return usage();
	f = fopen(argv[3], "r");
	if (!f) {
		fprintf(stderr, "import: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	if (maps_open(&m, argv[2], true)) {
		fclose(f);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (n == cap) {
			struct ew_bl_entry *ne;

			cap = cap ? 2 * cap : 65536;
			ne = realloc(e, cap * sizeof(*e));
			if (!ne)
				goto out;
			e = ne;
		}
		memset(&e[n], 0, sizeof(e[n]));
		if (ew_cidr_parse(line, 0, &e[n].cidr, err, sizeof(err)) < 0) {
			fprintf(stderr, "import: %s\n", err);
			goto out;
		}
		e[n].origin = EW_ORIGIN_IMPORT;
		snprintf(e[n].reason, sizeof(e[n].reason), "bench");
		n++;
	}
	r = bl_import(&m, e, n, NULL, NULL, NULL);
	t1 = now_s();
	if (r) {
		fprintf(stderr, "import: bl_import: %s\n", strerror(-r));
		r = 1;
		goto out;
	}
	printf("import %zu %.3f\n", n, t1 - t0);
out:
	free(e);
	fclose(f);
	ew_maps_close(&m);
	return r;
}

static int cmd_count(int argc, char **argv)
{
	struct ew_maps m;
	size_t n4 = 0, n6 = 0;
	int r;

	if (argc != 3)
		return usage();
	if (maps_open(&m, argv[2], false))
		return 1;
	r = bl_count(&m, &n4, &n6);
	ew_maps_close(&m);
	if (r) {
		fprintf(stderr, "count: %s\n", strerror(-r));
		return 1;
	}
	printf("count %zu %zu\n", n4, n6);
	return 0;
}

/* Map name -> pinned fd, so that bench and verifier objects share edgeward's maps. */
static int ew_map_fd(const struct ew_maps *m, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} tab[] = {
		{ EW_MAP_STATS, offsetof(struct ew_maps, stats) },
		{ EW_MAP_EVENTS, offsetof(struct ew_maps, events) },
		{ EW_MAP_EVCAP, offsetof(struct ew_maps, ev_cap) },
		{ EW_MAP_INFO, offsetof(struct ew_maps, info) },
		{ EW_MAP_BL4, offsetof(struct ew_maps, bl4) },
		{ EW_MAP_BL4_M16, offsetof(struct ew_maps, bl4_m16) },
		{ EW_MAP_BL4_M24, offsetof(struct ew_maps, bl4_m24) },
		{ EW_MAP_BL6, offsetof(struct ew_maps, bl6) },
		{ EW_MAP_BL6_M32, offsetof(struct ew_maps, bl6_m32) },
		{ EW_MAP_BL6_SHORT, offsetof(struct ew_maps, bl6_short) },
		{ EW_MAP_REASONS, offsetof(struct ew_maps, reasons) },
		{ EW_MAP_POLICY, offsetof(struct ew_maps, policy) },
		{ EW_MAP_LPM4, offsetof(struct ew_maps, lpm4) },
		{ EW_MAP_LPM6, offsetof(struct ew_maps, lpm6) },
		{ EW_MAP_RL_STATE, offsetof(struct ew_maps, rl_state) },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, name))
			return *(const int *)((const char *)m + tab[i].off);
	return -1;
}

/*
 * Every edgeward map of obj reuses the pinned one; nothing is pinned anew
 * (the BPF side asks for LIBBPF_PIN_BY_NAME, which without this would pin
 * under /sys/fs/bpf itself).
 */
static int share_maps(struct bpf_object *obj, const struct ew_maps *m)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		int fd = ew_map_fd(m, bpf_map__name(map));

		if (bpf_map__pin_path(map) && bpf_map__set_pin_path(map, NULL))
			return -EINVAL;
		if (fd < 0)
			continue;
		if (bpf_map__reuse_fd(map, fd)) {
			fprintf(stderr, "share_maps: %s: %s\n", bpf_map__name(map), strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* ---- verifier ---- */

static int cmd_verifier(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	static char log[1 << 20];
	struct edgeward *skel = NULL;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	long insns = -1;
	char path[4096], *p;
	struct ew_maps m;
	int fd, r = 1;

	if (argc != 3)
		return usage();
	if (maps_open(&m, argv[2], false))
		return 1;
	skel = edgeward__open_opts(&oo);
	if (!skel || share_maps(skel->obj, &m))
		goto out;
	/* Level 4 = BPF_LOG_STATS: just the totals, "processed N insns (limit 1000000) ...". */
	bpf_program__set_log_level(skel->progs.ew_xdp, 4);
	bpf_program__set_log_buf(skel->progs.ew_xdp, log, sizeof(log));
	if (edgeward__load(skel)) {
		fprintf(stderr, "verifier: load failed:\n%s\n", log);
		goto out;
	}
	p = strstr(log, "processed ");
	if (p)
		insns = strtol(p + 10, NULL, 10);
	/* Cross-check: the kernel's count for the program ew_load loaded and pinned. */
	snprintf(path, sizeof(path), "%s/%s", argv[2], EW_PROG_NAME);
	fd = bpf_obj_get(path);
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		printf("verifier %ld %u\n", insns, info.verified_insns);
	else
		printf("verifier %ld -1\n", insns);
	if (fd >= 0)
		close(fd);
	r = insns < 0;
out:
	edgeward__destroy(skel);
	ew_maps_close(&m);
	return r;
}

/* ---- micro ---- */

#define MAX_REPS 32

struct mcase {
	const char *key;
	int fd;
	const void *pkt;
	__u32 len;
	int div;		/* lookups per run, for per-lookup figures */
	__u32 repeat;		/* calibrated on first use */
	unsigned long long runs;	/* program runs, calibration included */
	double v[MAX_REPS];
	int n;
	__u32 rv;
	bool fail;
};

#define MC(k, f, p, l, d) { .key = (k), .fd = (f), .pkt = (p), .len = (l), .div = (d) }

static double meas_s = 0.2;

static int test_run(int fd, const void *pkt, __u32 len, __u32 repeat, __u32 *dur, __u32 *rv)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*dur = o.duration;
	*rv = o.retval;
	return 0;
}

static void mrun(struct mcase *c)
{
	__u32 d = 0, rv = 0;

	if (c->fd < 0 || c->fail || c->n >= MAX_REPS) {
		c->fail = true;
		return;
	}
	if (!c->repeat) {
		double e;

		if (test_run(c->fd, c->pkt, c->len, 1000, &d, &rv)) {
			c->fail = true;
			return;
		}
		c->runs += 1000;
		e = d + 1;
		c->repeat = meas_s * 1e9 / e > 1e7 ? 10000000 : meas_s * 1e9 / e < 100 ? 100 :
			    (__u32)(meas_s * 1e9 / e);
	}
	if (test_run(c->fd, c->pkt, c->len, c->repeat, &d, &rv)) {
		c->fail = true;
		return;
	}
	c->runs += c->repeat;
	c->v[c->n++] = (double)d / c->div;
	c->rv = rv;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void mprint(const char *prefix, struct mcase *c)
{
	double s[MAX_REPS], med;

	if (c->fail || !c->n) {
		printf("%s %s FAIL\n", prefix, c->key);
		return;
	}
	memcpy(s, c->v, c->n * sizeof(double));
	qsort(s, c->n, sizeof(double), dcmp);
	med = c->n % 2 ? s[c->n / 2] : (s[c->n / 2 - 1] + s[c->n / 2]) / 2;
	printf("%s %s %.2f %.2f %.2f %u\n", prefix, c->key, med, s[0], s[c->n - 1], c->rv);
	fflush(stdout);
}

/* Fill the single-trie reference with the same rules as the blocklist (IPv4 only). */
static long fill_lpm(int fd, const char *path)
{
	char line[128], err[EW_ERRLEN];
	struct ew_cidr c;
	long n = 0;
	__u32 one = 1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct {
			__u32 plen, addr;
		} k;

		line[strcspn(line, "\r\n")] = 0;
		if (ew_cidr_parse(line, 0, &c, err, sizeof(err)) < 0 || c.family != 4)
			continue;
		k.plen = c.plen;
		memcpy(&k.addr, c.addr, 4);
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY)) {
			n = -errno;
			break;
		}
		n++;
	}
	fclose(f);
	return n;
}

static int prog_fd_by_id(const char *s)
{
	long id = atol(s);

	return id > 0 ? bpf_prog_get_fd_by_id(id) : -1;
}

static int cmd_micro(int argc, char **argv)
{
	static unsigned char ack443[60], syn8443[60], drop[60], miss[60], a6[74], d6[74];
	static const unsigned char mac[6] = { 2, 0, 0, 0, 0, 1 };
	static const char *variants[] = { "full", "noallow", "noflags", "noevents", "noaclrl", "empty" };
	enum { NV = sizeof(variants) / sizeof(variants[0]) };
	struct bench_lpm *lpm = NULL;
	struct bench_ew *bew = NULL;
	char path[4096];
	struct ew_maps m;
	int ewfd = -1, xffd, reps, r = 1;
	long nf;
	double t0;

	if (argc != 8)
		return usage();
	reps = atoi(argv[6]);
	meas_s = atof(argv[7]);
	if (reps < 1 || reps > MAX_REPS || meas_s <= 0)
		return usage();
	if (maps_open(&m, argv[2], true))
		return 1;

	mkpkt4(ack443, mac, SRC_ALLOW, DST_ADDR, 443, 0x10);
	mkpkt4(syn8443, mac, SRC_ALLOW, DST_ADDR, BENCH_PORT, 0x02);
	mkpkt4(drop, mac, SRC_DROP, DST_ADDR, 443, 0x02);
	mkpkt4(miss, mac, SRC_ALLOW, DST_ADDR, 22, 0x02);
	mkpkt6(a6, "2001:db8:1::1", "2001:db8:ffff::2", 443, 0x10);
	mkpkt6(d6, "2001:db8:bad::1", "2001:db8:ffff::2", 443, 0x02);

	snprintf(path, sizeof(path), "%s/%s", argv[2], EW_PROG_NAME);
	ewfd = bpf_obj_get(path);
	if (ewfd < 0)
		fprintf(stderr, "micro: %s: %s\n", path, strerror(errno));
	xffd = prog_fd_by_id(argv[5]);

	lpm = bench_lpm__open_and_load();
	if (!lpm) {
		fprintf(stderr, "micro: bench_lpm: %s\n", strerror(errno));
		goto out;
	}
	t0 = now_s();
	nf = fill_lpm(bpf_map__fd(lpm->maps.bench_blk4), argv[4]);
	if (nf < 0) {
		fprintf(stderr, "micro: LPM fill: %s\n", strerror(-nf));
		goto out;
	}
	printf("info lpm_fill %ld %.2f\n", nf, now_s() - t0);
	bew = bench_ew__open();
	if (!bew || share_maps(bew->obj, &m) || bench_ew__load(bew)) {
		fprintf(stderr, "micro: bench_ew: %s\n", strerror(errno));
		goto out;
	}

	int pass = bpf_program__fd(lpm->progs.bench_pass);
	int lpmh = bpf_program__fd(lpm->progs.bench_lpm);
	int lpmr = bpf_program__fd(lpm->progs.bench_lpm_rand);
	int blr = bpf_program__fd(bew->progs.bench_bl4_rand);
	int blo = bpf_program__fd(bew->progs.bench_bl4_one);
	struct mcase mc[] = {
		MC("xdp_pass", pass, ack443, 60, 1),
		MC("xdpfilter_hit", xffd, drop, 60, 1),
		MC("xdpfilter_miss", xffd, miss, 60, 1),
		MC("lpm_hit", lpmh, drop, 60, 1),
		MC("lpm_miss", lpmh, ack443, 60, 1),
		MC("lpm_rand", lpmr, ack443, 60, 64),
		MC("ew_allow_ack443", ewfd, ack443, 60, 1),
		MC("ew_allow_syn8443", ewfd, syn8443, 60, 1),
		MC("ew_drop", ewfd, drop, 60, 1),
		MC("ew_allow6_ack443", ewfd, a6, 74, 1),
		MC("ew_drop6", ewfd, d6, 74, 1),
		MC("ew_bl_rand", blr, ack443, 60, 64),
	};
	enum { NM = sizeof(mc) / sizeof(mc[0]) };

	if (commit_variant(&m, argv[3], "full", false))
		goto out;
	for (int i = 0; i < reps; i++) {
		for (int j = 0; j < NM; j++)
			mrun(&mc[j]);
		fprintf(stderr, "# micro round %d/%d done\n", i + 1, reps);
	}
	for (int j = 0; j < NM; j++)
		mprint("micro", &mc[j]);
	/* Random addresses over the same rules: the two shares must agree, else a lookup is wrong. */
	printf("info rand_hit_share blocklist %.4f lpm %.4f\n",
	       bew->bss->bl_hits / (64.0 * mc[NM - 1].runs + 1e-9),
	       lpm->bss->lpm_hits / (64.0 * mc[5].runs + 1e-9));

	/*
	 * Stage costs: the same packets under policy variants that switch one
	 * stage off, interleaved by round; plus the blocklist stage alone.
	 */
	struct mcase st[NV][3];
	struct mcase blone[2] = {
		MC("bl4_one_allowsrc", blo, ack443, 60, 64),
		MC("bl4_one_dropsrc", blo, ack443, 60, 64),
	};
	static char keys[NV][3][48];

	for (int v = 0; v < NV; v++) {
		const void *pk[3] = { ack443, syn8443, drop };
		const char *pn[3] = { "ack443", "syn8443", "drop" };

		for (int k = 0; k < 3; k++) {
			snprintf(keys[v][k], sizeof(keys[v][k]), "%s_%s", variants[v], pn[k]);
			st[v][k] = (struct mcase)MC(keys[v][k], ewfd, pk[k], 60, 1);
		}
	}
	for (int i = 0; i < reps; i++) {
		for (int v = 0; v < NV; v++) {
			if (commit_variant(&m, argv[3], variants[v], false))
				goto out;
			for (int k = 0; k < 3; k++)
				mrun(&st[v][k]);
		}
		bew->bss->bl_addr = htonl(SRC_ALLOW);
		mrun(&blone[0]);
		bew->bss->bl_addr = htonl(SRC_DROP);
		mrun(&blone[1]);
	}
	for (int v = 0; v < NV; v++)
		for (int k = 0; k < 3; k++)
			mprint("stage", &st[v][k]);
	mprint("stage", &blone[0]);
	mprint("stage", &blone[1]);
	r = commit_variant(&m, argv[3], "full", false) ? 1 : 0;
out:
	bench_ew__destroy(bew);
	bench_lpm__destroy(lpm);
	if (ewfd >= 0)
		close(ewfd);
	ew_maps_close(&m);
	return r;
}

/* ---- attach, peers, generator ---- */

static int cmd_attach(int argc, char **argv)
{
	char err[EW_ERRLEN] = "";
	bool fb = false;
	int r;

	if (argc != 4)
		return usage();
	r = ew_attach(argv[2], argv[3], EW_MODE_NATIVE, &fb, err, sizeof(err));
	if (r) {
		fprintf(stderr, "attach: %s (%s)\n", err, strerror(-r));
		return 1;
	}
	return 0;
}

static int cmd_detach(int argc, char **argv)
{
	char err[EW_ERRLEN] = "";
	int r;

	if (argc != 3)
		return usage();
	r = ew_detach(argv[2], err, sizeof(err));
	if (r) {
		fprintf(stderr, "detach: %s (%s)\n", err, strerror(-r));
		return 1;
	}
	return 0;
}

/* The floor of the traffic table; stays attached after exit (netlink, no link). */
static int cmd_xdpdrop(int argc, char **argv)
{
	struct bench_lpm *g;
	__u32 ifi;
	int r = 1;

	if (argc != 3)
		return usage();
	ifi = if_nametoindex(argv[2]);
	g = bench_lpm__open_and_load();
	if (!ifi || !g)
		fprintf(stderr, "xdpdrop: %s: %s\n", argv[2], strerror(errno));
	else if (bpf_xdp_attach(ifi, bpf_program__fd(g->progs.bench_drop), XDP_FLAGS_DRV_MODE, NULL))
		fprintf(stderr, "xdpdrop: attach: %s\n", strerror(errno));
	else
		r = 0;
	bench_lpm__destroy(g);
	return r;
}

/* xdp-filter's filter_ipv4: IPv4 address -> per-CPU u64 mode bits (1 = match source). */
static int cmd_xffill(int argc, char **argv)
{
	int fd, ncpu = libbpf_num_possible_cpus(), n = 0;
	char line[128];
	__u64 *v;
	FILE *f;

	if (argc != 4 || ncpu <= 0)
		return usage();
	fd = bpf_map_get_fd_by_id(atoi(argv[2]));
	f = fopen(argv[3], "r");
	v = calloc(ncpu, sizeof(*v));
	if (fd < 0 || !f || !v) {
		fprintf(stderr, "xffill: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < ncpu; i++)
		v[i] = 1;
	while (fgets(line, sizeof(line), f)) {
		struct in_addr a;

		line[strcspn(line, "/\r\n")] = 0;
		if (inet_pton(AF_INET, line, &a) != 1 || bpf_map_update_elem(fd, &a, v, BPF_ANY)) {
			fprintf(stderr, "xffill: %s: %s\n", line, strerror(errno));
			return 1;
		}
		n++;
	}
	printf("xffill %d\n", n);
	fclose(f);
	free(v);
	close(fd);
	return 0;
}

/*
 * The flood: BPF_PROG_TEST_RUN with live frames runs bench_gen, which
 * redirects every frame out of IFNAME. The program stays attached to the
 * spare veth PIN_IF meanwhile: test_run otherwise swaps it in and out of the
 * XDP dispatcher on every call (two synchronize_rcu), which costs ~4x pps.
 */
static int cmd_gen(int argc, char **argv)
{
	unsigned char pkt[60], mac[6];
	unsigned long long sent = 0;
	struct bench_lpm *g = NULL;
	struct in_addr src, dst;
	__u32 ifi, pin, zero = 0;
	double t0, dur;
	int pfd, r = 1;

	if (argc != 9)
		return usage();
	ifi = if_nametoindex(argv[2]);
	pin = if_nametoindex(argv[8]);
	dur = atof(argv[7]);
	if (!ifi || !pin || parse_mac(argv[3], mac) || inet_pton(AF_INET, argv[4], &src) != 1 ||
	    inet_pton(AF_INET, argv[5], &dst) != 1) {
		fprintf(stderr, "gen: bad arguments\n");
		return 2;
	}
	mkpkt4(pkt, mac, ntohl(src.s_addr), ntohl(dst.s_addr), atoi(argv[6]), 0x02);
	g = bench_lpm__open();
	if (!g)
		return 1;
	bpf_program__set_autoload(g->progs.bench_pass, false);
	bpf_program__set_autoload(g->progs.bench_drop, false);
	bpf_program__set_autoload(g->progs.bench_lpm, false);
	bpf_program__set_autoload(g->progs.bench_lpm_rand, false);
	if (bench_lpm__load(g))
		goto out;
	pfd = bpf_program__fd(g->progs.bench_gen);
	bpf_map_update_elem(bpf_map__fd(g->maps.bench_gen_cfg), &zero, &ifi, BPF_ANY);
	if (bpf_xdp_attach(pin, pfd, XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "gen: attach to %s failed: %s\n", argv[8], strerror(errno));
		goto out;
	}
	t0 = now_s();
	while (now_s() - t0 < dur) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .repeat = 1 << 16, .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 256);

		if (bpf_prog_test_run_opts(pfd, &o)) {
			fprintf(stderr, "gen: live test_run: %s\n", strerror(errno));
			break;
		}
		sent += 1 << 16;
	}
	printf("%llu %.4f\n", sent, now_s() - t0);
	bpf_xdp_detach(pin, XDP_FLAGS_DRV_MODE, NULL);
	r = sent ? 0 : 1;
out:
	bench_lpm__destroy(g);
	return r;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "lists", cmd_lists }, { "load", cmd_load }, { "policy", cmd_policy },
		{ "import", cmd_import }, { "count", cmd_count }, { "micro", cmd_micro },
		{ "verifier", cmd_verifier }, { "attach", cmd_attach }, { "detach", cmd_detach },
		{ "xffill", cmd_xffill }, { "xdpdrop", cmd_xdpdrop }, { "gen", cmd_gen },
	};

	libbpf_set_print(libbpf_print);
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc, argv);
	return usage();
}
