// SPDX-License-Identifier: GPL-2.0-only
/*
 * respond_bench: how long from the event that completes "5 failed logins in
 * 5 minutes" to the block, inside one server. The daemon's path is
 * measured piece by piece and whole:
 *
 *   engine      respond_event() of the fifth event until the block callback
 *               is entered (no map: the engine's own cost);
 *   line        the fifth sshd log line through authlog_match_line() and
 *               respond_event() until the block callback is entered;
 *   kernel      (with --pin-dir) as engine, the callback then doing what
 *               edgewardd's does: ew_maps_lock, bl_add of the /32, unlock;
 *               the time ends when bl_add has returned, i.e. the rule is in
 *               the kernel's map and the next packet from that source drops.
 *   event       respond_event() of a non-final event (no rule fires): the
 *               cost every log line pays.
 *
 * Each sample uses a new source (so every fifth event really blocks) and
 * the audit callback does nothing (in the daemon the journal's fsync runs
 * after the block, outside this latency). Clock: CLOCK_MONOTONIC.
 *
 * Usage: respond_bench [-n SAMPLES] [--pin-dir DIR]
 *   DIR: a private pin directory; respond_bench loads the XDP object there
 *   (ew_load, as root), measures, removes its blocks and unpins it again.
 * Output: one line per part: "respond NAME n=N p50=..us p99=..us p999=..us max=..us".
 *
 * Built with user/edgewardd's library:
 *   gcc -O2 -Iinclude -Iuser/lib -Iuser/edgewardd -Ibuild -o build/bench/respond_bench \
 *     bench/respond_bench.c build/libedgewardd.a build/libedgeward.a $(LIBS)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authlog.h"
#include "log.h"
#include "maps.h"
#include "respond.h"

struct ctx {
	uint64_t t0, t_block;
	bool kernel;
	struct ew_maps m;
	int errors;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int on_block(void *arg, const struct ew_cidr *t, uint64_t ttl_s, const char *reason)
{
	struct ctx *c = arg;
	struct ew_bl_entry e = { .cidr = *t, .origin = EW_ORIGIN_AUTO };
	int r = 0;

	if (c->kernel) {
		e.expires_ns = ew_boot_ns() + ttl_s * 1000000000ULL;
		snprintf(e.reason, sizeof(e.reason), "%s", reason);
		r = ew_maps_lock(&c->m);
		if (!r) {
			r = bl_add(&c->m, &e);
			ew_maps_unlock(&c->m);
		}
		if (r)
			c->errors++;
	}
	c->t_block = mono_ns();
	return r;
}

static int on_audit(void *arg, json_t *rec)
{
	(void)arg;
	(void)rec;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *v, size_t n)
{
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("respond %-7s n=%zu p50=%.2fus p99=%.2fus p999=%.2fus max=%.2fus\n", name, n,
	       v[n / 2] / 1e3, v[n * 99 / 100] / 1e3, v[n * 999 / 1000] / 1e3, v[n - 1] / 1e3);
}

/* The n-th distinct source: 10.x.y.z-like in 100.64.0.0/10 (never one of ours). */
static void source(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "100.%zu.%zu.%zu", 64 + (i >> 16) % 64, (i >> 8) & 0xff, i & 0xff);
}

static int run(const char *name, struct ctx *c, size_t n, bool lines, bool nonfinal)
{
	struct respond_conf conf;
	struct respond_ops ops = { .block = on_block, .audit = on_audit };
	struct authlog_matcher *m = NULL;
	struct authlog_hit hit;
	struct respond *r;
	char src[32], line[256], err[256];
	uint64_t *v = calloc(n, sizeof(*v)), t;
	size_t i, k, got = 0;

	/* The defaults (16384 windows, 65536 offenders: older sources are evicted). */
	respond_conf_defaults(&conf);
	conf.burst_threshold = 0;	/* its alert is not part of the block's path */
	r = respond_new(&conf, &ops, c);
	if (!v || !r || (lines && authlog_matcher_new(NULL, 0, &m, err, sizeof(err)))) {
		fprintf(stderr, "respond_bench: set-up failed\n");
		free(v);
		respond_free(r);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct respond_ev ev = { .type = RESPOND_EV_FAILED_LOGIN, .user = "root",
					 .origin = "bench" };

		source(i, src, sizeof(src));
		ev.source = src;
		for (k = 0; k < 4; k++) {
			if (nonfinal) {
				t = mono_ns();
				respond_event(r, &ev);
				if (k == 3)
					v[got++] = mono_ns() - t;
			} else {
				respond_event(r, &ev);
			}
		}
		if (nonfinal)
			continue;
		c->t_block = 0;
		if (lines) {
			snprintf(line, sizeof(line), "2025-01-02T03:04:05.123456+00:00 web1 "
				 "sshd[4242]: Failed password for invalid user admin from %s port "
				 "50022 ssh2", src);
			c->t0 = mono_ns();
			if (authlog_match_line(m, line, NULL, 0, &hit)) {
				authlog_hit_event(&hit, &ev);
				respond_event(r, &ev);
			}
		} else {
			c->t0 = mono_ns();
			respond_event(r, &ev);
		}
		if (c->t_block)
			v[got++] = c->t_block - c->t0;
	}
	if (!nonfinal && got != n)
		fprintf(stderr, "respond_bench: %s: %zu of %zu bursts blocked\n", name, got, n);
	report(name, v, got);
	free(v);
	authlog_matcher_free(m);
	respond_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "pin-dir", required_argument, NULL, 'p' },
					       { 0 } };
	const char *pin = NULL;
	struct ctx c = { .m = { .lock = -1 } };
	char err[EW_ERRLEN] = "";
	size_t n = 100000;
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "n:p:", opts, NULL)) != -1) {
		if (o == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (o == 'p')
			pin = optarg;
		else
			return 2;
	}
	if (!n)
		return 2;
	log_init("respond_bench", 0, 0);
	/* The engine's info lines (one per block) would be the bench's cost otherwise. */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	rc |= run("engine", &c, n, false, false);
	rc |= run("line", &c, n, true, false);
	rc |= run("event", &c, n, false, true);
	if (!pin)
		return rc;
	if (ew_load(pin, err, sizeof(err)) < 0 ||
	    ew_maps_open(&c.m, pin, true, err, sizeof(err))) {
		printf("respond kernel skipped: %s\n", err);
		return rc;
	}
	ew_maps_unlock(&c.m);
	c.kernel = true;
	rc |= run("kernel", &c, n < 50000 ? n : 50000, false, false);
	if (c.errors)
		printf("respond kernel: %d bl_add errors\n", c.errors);
	ew_maps_lock(&c.m);
	bl_flush(&c.m, EW_ORIGIN_AUTO, false, NULL);
	ew_maps_close(&c.m);
	ew_unpin_all(pin);
	return rc;
}
