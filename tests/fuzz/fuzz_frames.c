// SPDX-License-Identifier: GPL-2.0-only
/*
 * Randomized frames through the real program: mutations of valid frames
 * (truncation, byte flips in the headers, VLAN depth, IPv4 ihl/options/
 * fragment fields, IPv6 extension chains, TCP flags/doff, lengths up to
 * 9000 bytes, small linear parts) and pure random bytes, under the guide's
 * policy (examples/edgeward.yaml) and a few thousand blocklist rules.
 *
 * Asserts: every verdict is XDP_PASS or XDP_DROP; the reason counters add
 * up to exactly the frames run and their bytes; on a sample of frames,
 * exactly one reason moved, by one packet and the frame's bytes, and the
 * verdict agrees with it; the kernel logged nothing about BPF (/dev/kmsg).
 *
 * Environment: FUZZ_FRAMES (default 1000000), FUZZ_SEED (default: time),
 * FUZZ_SAMPLE (check counters around 1 frame in N, default 64, 0 = never).
 * The seed is printed; FUZZ_SEED=<seed> replays the same frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "pkt.h"
#include "tenv.h"

/* ---- a small deterministic PRNG (splitmix64) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* True with probability pct %. */
static int chance(int pct)
{
	return (int)rn(100) < pct;
}

/* ---- sources: random, blocked, allowed by the ACLs, bogons, mapped ---- */

#define N_BLOCK4 3000
#define N_BLOCK6 1000

struct src_pool {
	char v4[N_BLOCK4][INET_ADDRSTRLEN];	/* one address inside each IPv4 rule */
	char v6[N_BLOCK6][INET6_ADDRSTRLEN];
};
static struct src_pool pool;

static const char *fixed_v4[] = {
	"10.1.2.3", "10.0.5.5", "172.16.0.1", "192.168.1.1", "8.8.8.8", "203.0.113.50",
	"0.1.2.3", "127.0.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.55",
};
static const char *fixed_v6[] = {
	"2001:db8:1::10", "2001:db8:77:1::1", "::1", "::", "ff02::1", "fe80::1",
	"::ffff:203.0.113.5", "::203.0.113.5", "2001:db8:bad::1",
};

static const char *pick_src(int family, char *buf)
{
	uint8_t a[16];
	int k = rn(10);

	if (family == 4) {
		if (k < 3)
			return pool.v4[rn(N_BLOCK4)];
		if (k < 5)
			return fixed_v4[rn(sizeof(fixed_v4) / sizeof(fixed_v4[0]))];
		for (int i = 0; i < 4; i++)
			a[i] = rnd();
		return inet_ntop(AF_INET, a, buf, INET6_ADDRSTRLEN);
	}
	if (k < 3)
		return pool.v6[rn(N_BLOCK6)];
	if (k < 5)
		return fixed_v6[rn(sizeof(fixed_v6) / sizeof(fixed_v6[0]))];
	for (int i = 0; i < 16; i++)
		a[i] = rnd();
	if (chance(50)) {	/* mostly unicast-looking */
		a[0] = 0x20;
		a[1] = 0x01;
	}
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* A few thousand rules of every length, some expired, and one address inside each. */
static int load_blocklist(struct tenv *t, char *err, size_t errlen)
{
	uint64_t now = ew_boot_ns();
	int r;

	for (int i = 0; i < N_BLOCK4 + N_BLOCK6; i++) {
		int v6 = i >= N_BLOCK4, alen = v6 ? 16 : 4;
		struct ew_bl_entry e = { .origin = EW_ORIGIN_MANUAL };
		uint8_t a[16] = { 0 };
		int plen;

		for (int j = 0; j < alen; j++)
			a[j] = rnd();
		if (!v6)
			plen = chance(70) ? 24 + rn(9) : 12 + rn(12);	/* /12../23 touch <= 16 summaries */
		else
			plen = chance(70) ? 48 + rn(81) : 16 + rn(32);
		/* Keep 0/8, 127/8 and 224/3 (bogons) and the ACL networks out of the rules. */
		if (!v6 && (a[0] == 0 || a[0] == 127 || a[0] >= 224 || a[0] == 10 || a[0] == 172 ||
			    a[0] == 192))
			a[0] = 100 + rn(20);
		/* A address inside: random host bits kept, for the pool. */
		if (v6)
			inet_ntop(AF_INET6, a, pool.v6[i - N_BLOCK4], INET6_ADDRSTRLEN);
		else
			inet_ntop(AF_INET, a, pool.v4[i], INET_ADDRSTRLEN);
		e.cidr.family = v6 ? 6 : 4;
		e.cidr.plen = plen;
		memcpy(e.cidr.addr, a, alen);
		ew_cidr_mask(&e.cidr);
		e.expires_ns = chance(10) ? now - 1 : chance(10) ? now + 3600000000000ULL : 0;
		snprintf(e.reason, sizeof(e.reason), "fuzz %d", i % 50);
		r = bl_add(&t->m, &e);
		if (r) {
			char c[EW_CIDR_STRLEN];

			ew_cidr_format(&e.cidr, c, sizeof(c));
			snprintf(err, errlen, "bl_add %s: %s", c, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* ---- frames ---- */

static const int dports[] = { 22, 80, 443, 5432, 8080, 0, 65535, 53, 123 };

static void random_ext(struct pkt_ext *e)
{
	static const int types[] = { PKT_HOP, PKT_DST, PKT_DST, PKT_RT, PKT_FRAG, PKT_AH, PKT_RAW };

	memset(e, 0, sizeof(*e));
	e->type = types[rn(sizeof(types) / sizeof(types[0]))];
	if (e->type == PKT_RAW)
		e->num = chance(50) ? 253 : (int)rn(256);
	if (chance(15))
		e->len = PKT_SET(chance(80) ? rn(4) : rn(256));
	if (e->type == PKT_AH && e->len)
		e->len = PKT_SET(rn(8));	/* AH length is in 4-byte units */
	if (e->type == PKT_RT && chance(40))
		e->rt_type = PKT_SET(rn(5));
	e->rt_left = rn(3);
	if (e->type == PKT_FRAG) {
		e->frag_off = chance(60) ? 0 : (int)rn(8192);
		e->m = chance(50);
	}
	if (chance(5))
		e->nh = PKT_SET(rn(256));
}

static void random_spec(struct pkt_spec *s, char *srcbuf)
{
	int k;

	memset(s, 0, sizeof(*s));
	k = rn(100);
	s->vlans = k < 65 ? 0 : k < 80 ? 1 : k < 90 ? 2 : 3 + (int)rn(3);
	for (int i = 0; i < s->vlans; i++)
		s->tpid[i] = chance(70) ? 0x8100 : 0x88a8;

	k = rn(100);
	s->family = k < 46 ? 4 : k < 92 ? 6 : PKT_NOIP;
	if (s->family == PKT_NOIP) {
		static const int et[] = { 0x0806, 0x88cc, 0x8137, 0x88b5, 0x0800, 0x86dd, 0x8100 };

		s->ethertype = PKT_SET(chance(80) ? et[rn(7)] : (int)rn(65536));
		s->payload = rn(120);
		return;
	}
	s->src = pick_src(s->family, srcbuf);

	k = rn(100);
	s->proto = k < 50 ? IPPROTO_TCP : k < 75 ? IPPROTO_UDP :
		   k < 90 ? (s->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) : PKT_SET(rn(256));
	s->dport = chance(80) ? PKT_SET(dports[rn(sizeof(dports) / sizeof(dports[0]))]) :
				PKT_SET(rn(65536));
	s->sport = PKT_SET(rn(65536));
	s->flags = chance(60) ? 0x02 : chance(50) ? 0x10 : PKT_SET(rn(256));
	if (chance(10))
		s->doff = PKT_SET(rn(16));
	if (chance(5))
		s->udp_len = PKT_SET(rn(16));
	s->icmp_type = PKT_SET(chance(50) ? rn(256) : 128 + rn(10));
	s->icmp_code = rn(4);

	if (s->family == 4) {
		if (chance(20)) {
			s->opt_len = 1 + rn(40);
			k = rn(4);
			for (int i = 0; i < s->opt_len; i++)
				s->opt[i] = k == 0 ? 1 : (uint8_t)rnd();
			if (k == 1) {	/* a source route somewhere */
				int at = rn(s->opt_len);

				s->opt[at] = chance(50) ? 0x83 : 0x89;
				if (at + 1 < s->opt_len)
					s->opt[at + 1] = 3 + rn(8);
			}
		}
		if (chance(5))
			s->ihl = PKT_SET(rn(16));
		if (chance(15)) {
			s->frag = chance(30) ? 1 : (int)rn(8192);
			s->mf = chance(50);
		} else if (chance(10)) {
			s->mf = 1;
		}
		s->df = chance(30);
		if (chance(5))
			s->tot_len = PKT_SET(rn(65536));
		if (chance(2))
			s->version = PKT_SET(rn(16));
	} else {
		int n = chance(50) ? 0 : chance(80) ? 1 + rn(4) : 1 + rn(PKT_MAX_EXT);

		for (int i = 0; i < n; i++)
			random_ext(&s->ext[i]);
		if (chance(3))
			s->tot_len = PKT_SET(rn(65536));
		if (chance(2))
			s->version = PKT_SET(rn(16));
	}

	k = rn(100);
	s->payload = k < 80 ? (int)rn(200) : k < 95 ? (int)rn(1500) : 0;
	if (k >= 95)
		s->frame_len = 3000 + rn(6001);	/* jumbo, up to 9000 */
	if (chance(10))
		s->pad_to = 60;
	if (chance(15)) {
		s->cut_at = PKT_AT_ABS;
		s->cut = 14 + rn(120);
	}
}

/* Flip, set or clear random bytes, mostly in the first 128 (the headers). */
static void mutate(uint8_t *f, int len)
{
	int n = 1 + rn(8);

	for (int i = 0; i < n; i++) {
		int at = chance(85) ? (int)rn(len < 128 ? len : 128) : (int)rn(len);

		switch (rn(4)) {
		case 0:
			f[at] ^= 1 << rn(8);
			break;
		case 1:
			f[at] = rnd();
			break;
		case 2:
			f[at] = 0;
			break;
		default:
			f[at] = 0xff;
		}
	}
}

/* Fill f with a frame; returns its length and sets *linear (0 = default). */
static int next_frame(uint8_t *f, uint32_t *linear, int *kind)
{
	char srcbuf[INET6_ADDRSTRLEN];
	struct pkt_spec s;
	int len, k = rn(100);

	*linear = 0;
	if (k < 8) {	/* pure random bytes */
		*kind = 2;
		len = 14 + (chance(90) ? rn(200) : rn(9000 - 14 + 1));
		for (int i = 0; i < len; i++)
			f[i] = rnd();
		if (chance(50)) {	/* with a plausible ethertype */
			static const uint16_t et[] = { 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806 };
			uint16_t e = et[rn(5)];

			f[12] = e >> 8;
			f[13] = e;
		}
		return len;
	}
	do {
		random_spec(&s, srcbuf);
		if (k >= 97 && s.family != PKT_NOIP) {
			/* A hot source: SYNs to the rate-limited port, IPv6 from one /64. */
			s.dport = 80;
			s.flags = 0x02;
			s.proto = IPPROTO_TCP;
			s.src = s.family == 4 ? "203.0.113.50" : srcbuf;
			if (s.family == 6)
				snprintf(srcbuf, sizeof(srcbuf), "2001:db8:77:1::%x", rn(65536));
		}
		len = pkt_build(&s, f, NULL);
	} while (len < 14);
	*kind = 0;
	if (k < 50) {
		*kind = 1;
		mutate(f, len);
		if (chance(30))
			len = 14 + rn(len - 13);
	}
	if (chance(5))
		*linear = 1 + rn(len);
	return len;
}

/* ---- kernel log ---- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* New kernel log lines mentioning bpf, BUG, WARNING or a call trace: printed and counted. */
static int kmsg_check(int fd)
{
	char rec[8192];
	int bad = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records: keep reading */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strcasestr(rec, "bpf") || strstr(rec, "BUG") || strstr(rec, "WARNING") ||
		    strstr(rec, "Call Trace")) {
			printf("# kernel: %s", rec);
			bad++;
		}
	}
	return bad;
}

/* ---- main ---- */

int main(void)
{
	static uint8_t frame[PKT_MAX_LEN];
	struct ew_counter c0[EW_R_MAX], c1[EW_R_MAX], b[EW_R_MAX], a[EW_R_MAX];
	uint64_t frames = 0, bytes = 0, seed, nframes = 1000000, sample = 64, verdicts[3] = { 0 };
	uint64_t sampled = 0, kinds[3] = { 0 }, sum_p = 0, sum_b = 0;
	char err[EW_ERRLEN], why[512];
	const char *env, *path;
	struct timespec t0, t1;
	int fails = 0, kfd, r;
	struct tenv t;
	double secs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tenv_require_root("fuzz_frames");
	env = getenv("FUZZ_SEED");
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	env = getenv("FUZZ_FRAMES");
	if (env)
		nframes = strtoull(env, NULL, 0);
	env = getenv("FUZZ_SAMPLE");
	if (env)
		sample = strtoull(env, NULL, 0);
	rng_state = seed;
	printf("# seed %" PRIu64 " (FUZZ_SEED=%" PRIu64 " reproduces), %" PRIu64 " frames\n", seed,
	       seed, nframes);

	r = tenv_open(&t, "fuzz", err, sizeof(err));
	if (r) {
		printf("not ok - setup: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	path = tenv_repo_file("examples/edgeward.yaml");
	r = path ? tenv_policy_file(&t, path, err, sizeof(err)) : -ENOENT;
	if (r) {
		printf("not ok - setup: policy examples/edgeward.yaml: %s\n0 passed, 1 failed\n",
		       path ? err : "not found");
		tenv_close(&t);
		return 1;
	}
	r = load_blocklist(&t, err, sizeof(err));
	if (r) {
		printf("not ok - setup: blocklist: %s\n0 passed, 1 failed\n", err);
		tenv_close(&t);
		return 1;
	}

	kfd = kmsg_open();
	if (kfd < 0)
		printf("# /dev/kmsg: %s: the kernel log is not checked\n", strerror(errno));
	if (stats_read(&t.m, c0)) {
		printf("not ok - setup: stats_read\n0 passed, 1 failed\n");
		tenv_close(&t);
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < nframes; i++) {
		uint32_t linear, ret;
		int kind, len = next_frame(frame, &linear, &kind);
		bool check = sample && i % sample == 0;

		if (check && stats_read(&t.m, b)) {
			printf("not ok - stats_read failed at frame %" PRIu64 "\n", i);
			fails++;
			break;
		}
		r = pkt_run(t.prog_fd, frame, len, linear, 1, &ret);
		if (r) {
			printf("not ok - frame %" PRIu64 " (%d bytes, linear %u): "
			       "BPF_PROG_TEST_RUN: %s\n", i, len, linear, strerror(-r));
			fails++;
			break;
		}
		frames++;
		bytes += len;
		kinds[kind]++;
		if (ret != XDP_PASS && ret != XDP_DROP) {
			if (fails++ < 10)
				printf("not ok - frame %" PRIu64 " (%d bytes): return %u is neither "
				       "XDP_PASS nor XDP_DROP\n", i, len, ret);
		} else {
			verdicts[ret]++;
		}
		if (check) {
			int moved;

			if (stats_read(&t.m, a)) {
				printf("not ok - stats_read failed at frame %" PRIu64 "\n", i);
				fails++;
				break;
			}
			sampled++;
			moved = pkt_stats_moved(b, a, 1, len, why, sizeof(why));
			if (moved < 0 && fails++ < 10)
				printf("not ok - frame %" PRIu64 " (%d bytes): %s\n", i, len, why);
			else if (moved >= 0 &&
				 (ew_reason_is_drop(moved) ? XDP_DROP : XDP_PASS) != (int)ret &&
				 fails++ < 10)
				printf("not ok - frame %" PRIu64 " (%d bytes): verdict %s but reason "
				       "%s\n", i, len, XDP_VERDICT_NAME(ret), pkt_reason_name(moved));
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (stats_read(&t.m, c1)) {
		printf("not ok - stats_read after the run\n");
		fails++;
	} else {
		printf("# reasons:");
		for (int i = 0; i < EW_R_MAX; i++) {
			uint64_t dp = c1[i].packets - c0[i].packets;

			sum_p += dp;
			sum_b += c1[i].bytes - c0[i].bytes;
			if (dp)
				printf(" %s=%" PRIu64, pkt_reason_name(i), dp);
		}
		printf("\n");
		if (sum_p != frames || sum_b != bytes) {
			printf("not ok - counters: %" PRIu64 " packets, %" PRIu64 " bytes (expected "
			       "%" PRIu64 " frames, %" PRIu64 " bytes)\n", sum_p, sum_b, frames,
			       bytes);
			fails++;
		} else {
			printf("ok - counters add up: %" PRIu64 " packets, %" PRIu64 " bytes\n", sum_p,
			       sum_b);
		}
	}
	if (frames == nframes && !fails)
		printf("ok - %" PRIu64 " frames, every verdict XDP_PASS or XDP_DROP\n", frames);
	if (sample && !fails)
		printf("ok - %" PRIu64 " sampled frames moved exactly one reason, matching the "
		       "verdict\n", sampled);
	if (kfd >= 0) {
		int k = kmsg_check(kfd);

		if (k) {
			printf("not ok - the kernel logged %d line(s) about bpf/BUG/WARNING\n", k);
			fails++;
		} else {
			printf("ok - nothing in the kernel log\n");
		}
		close(kfd);
	}
	printf("# %" PRIu64 " valid, %" PRIu64 " mutated, %" PRIu64 " random frames; "
	       "%" PRIu64 " passed, %" PRIu64 " dropped; %.2f s, %.0f frames/s\n",
	       kinds[0], kinds[1], kinds[2], verdicts[XDP_PASS], verdicts[XDP_DROP], secs,
	       frames / (secs > 0 ? secs : 1));
	printf("# seed %" PRIu64 "\n", seed);
	tenv_close(&t);
	printf("%d passed, %d failed\n", fails ? 0 : 1, fails ? 1 : 0);
	return fails ? 1 : 0;
}
