// SPDX-License-Identifier: GPL-2.0-only
/*
 * A test driver for the journal shipper without the rest of edgewardd: one
 * libevent loop with a journal and a pgship, nothing else, so that
 * tests/integration/test_pgship.sh can break PostgreSQL under it and count
 * what arrives.
 *
 *   pgship_driver run --journal J --state S --conninfo C [--node N]
 *       [--count N] [--rate R] [--batch B] [--timeout-ms T] [--backoff-max-ms M]
 *       [--stats FILE] [--drain] [--max-seconds S]
 *     Appends events at R per second (in 10 ms ticks, one fsync per tick)
 *     until the journal holds N records, while shipping; rewrites FILE
 *     with its counters every 200 ms; with --drain, exits 0 once all is
 *     appended and shipped (and prints the ship rate), or 1 after S seconds.
 *   pgship_driver fill --journal J --count N [--poison-every K]
 *     Appends N events as fast as it can (1000 per fsync); with K, every
 *     K-th has resource "poison" (for a table that refuses those).
 *   pgship_driver ids --journal J
 *     Prints every record's id, one per line.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal.h"
#include "log.h"
#include "pgship.h"

#define TICK_MS 10

static const char *const sources[] = { "192.0.2.7", "2001:db8::1", "unix", "local",
				       "203.0.113.200", "::ffff:198.51.100.9" };

struct drv {
	struct event_base *base;
	struct jr *jr;
	struct pgship *ps;
	struct event *ev_tick, *ev_stats, *ev_term;
	const char *stats_path;
	uint64_t count, rate, appended, append_errors, ticks;
	uint64_t poison_every;
	double t0, last_tick, max_stall_ms, drained_at, first_ship;
	bool drain;
	double max_seconds;
	int rc;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *mk_event(uint64_t i, uint64_t poison_every)
{
	json_t *r = jr_event("admin_action", "alice", sources[i % 6],
			     poison_every && i % poison_every == 0 ? "poison" : "blocklist", "add",
			     "success", (int)(i % 101));

	if (r) {
		json_t *d = json_object_get(r, "details");

		json_object_set_new(d, "i", json_integer((json_int_t)i));
		/* UTF-8, quotes and a backslash: all must arrive as written. */
		json_object_set_new(d, "note",
				    json_string("d\xc3\xa9j\xc3\xa0 \"vu\" \\ \xe2\x9c\x93"));
	}
	return r;
}

/* Append n events in one write and one fsync. */
static int append_n(struct jr *j, uint64_t first, size_t n, uint64_t poison_every)
{
	json_t *recs[1000];
	size_t i, k = 0;
	int rc = -ENOMEM;

	if (n > 1000)
		n = 1000;
	for (i = 0; i < n; i++) {
		recs[i] = mk_event(first + i, poison_every);
		if (!recs[i])
			goto out;
		k++;
	}
	rc = jr_append_many(j, recs, n);
out:
	for (i = 0; i < k; i++)
		json_decref(recs[i]);
	return rc;
}

static void write_stats(struct drv *d)
{
	struct pgship_stats st;
	char tmp[4096];
	FILE *f;

	if (!d->stats_path)
		return;
	pgship_stats(d->ps, &st);
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->stats_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f,
		"appended %llu\nappend_errors %llu\nlast_seq %llu\nticks %llu\nmax_stall_ms %.0f\n"
		"shipped %llu\ninserted %llu\nbatches %llu\nlost %llu\nreconnects %llu\nerrors %llu\n"
		"skipped %llu\nrejected %llu\ndamaged %llu\nrescans %llu\nshipped_seq %llu\n"
		"lag_records %llu\nlag_bytes %llu\nlag_seconds %.3f\nconnected %d\n",
		(unsigned long long)d->appended, (unsigned long long)d->append_errors,
		(unsigned long long)jr_last_seq(d->jr), (unsigned long long)d->ticks,
		d->max_stall_ms, (unsigned long long)st.shipped, (unsigned long long)st.inserted,
		(unsigned long long)st.batches, (unsigned long long)st.lost,
		(unsigned long long)st.reconnects,
		(unsigned long long)st.errors, (unsigned long long)st.skipped,
		(unsigned long long)st.rejected, (unsigned long long)st.damaged,
		(unsigned long long)st.rescans, (unsigned long long)st.shipped_seq,
		(unsigned long long)st.lag_records, (unsigned long long)st.lag_bytes,
		st.lag_seconds, st.connected ? 1 : 0);
	if (fclose(f) == 0)
		rename(tmp, d->stats_path);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct drv *d = arg;
	double t = now_s(), stall = (t - d->last_tick) * 1000 - TICK_MS;
	uint64_t want, have = jr_last_seq(d->jr);
	int rc;

	(void)fd;
	(void)what;
	d->ticks++;
	if (d->ticks > 1 && stall > d->max_stall_ms)
		d->max_stall_ms = stall;
	d->last_tick = t;
	want = d->rate ? (uint64_t)((t - d->t0) * (double)d->rate) : d->count;
	if (want > d->count)
		want = d->count;
	if (have < want) {
		rc = append_n(d->jr, have + 1, (size_t)(want - have), d->poison_every);
		if (rc) {
			d->append_errors++;
			log_warnx("driver: append: %s", strerror(-rc));
		} else {
			d->appended += (want - have) > 1000 ? 1000 : want - have;
			pgship_kick(d->ps);
		}
	}
	if (d->drain && jr_last_seq(d->jr) >= d->count) {
		struct pgship_stats st;

		pgship_stats(d->ps, &st);
		if (!d->first_ship && st.shipped)
			d->first_ship = t;
		if (!st.lag_records && !st.lag_bytes) {
			d->drained_at = t;
			d->rc = 0;
			event_base_loopexit(d->base, NULL);
		}
	}
	if (d->max_seconds && t - d->t0 > d->max_seconds) {
		log_warnx("driver: not drained after %.0f s", d->max_seconds);
		event_base_loopexit(d->base, NULL);
	}
}

static void on_stats(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	write_stats(arg);
}

static void on_term(evutil_socket_t fd, short what, void *arg)
{
	struct drv *d = arg;

	(void)fd;
	(void)what;
	event_base_loopexit(d->base, NULL);
}

static int print_id(uint64_t seq, json_t *rec, void *arg)
{
	(void)seq;
	(void)arg;
	printf("%s\n", json_string_value(json_object_get(rec, "id")));
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: pgship_driver run|fill|ids --journal J [options] (see its top)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "conninfo", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'N' },
		{ "rate", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "stats", required_argument, NULL, 'S' },
		{ "drain", no_argument, NULL, 'd' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "poison-every", required_argument, NULL, 'p' },
		{ "backoff-max-ms", required_argument, NULL, 'B' },
		{ 0 }
	};
	struct pgship_conf conf = { 0 };
	struct drv d = { .rc = 1 };
	struct jr_scan res;
	struct timeval tick = { 0, TICK_MS * 1000 }, st = { 0, 200000 };
	char err[256];
	const char *mode;
	int c, rc;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			conf.journal_path = optarg;
			break;
		case 's':
			conf.state_path = optarg;
			break;
		case 'c':
			conf.conninfo = optarg;
			break;
		case 'n':
			conf.node = optarg;
			break;
		case 'N':
			d.count = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			d.rate = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			conf.batch_max = strtoull(optarg, NULL, 10);
			break;
		case 't':
			conf.statement_timeout_ms = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			d.stats_path = optarg;
			break;
		case 'd':
			d.drain = true;
			break;
		case 'm':
			d.max_seconds = strtod(optarg, NULL);
			break;
		case 'p':
			d.poison_every = strtoull(optarg, NULL, 10);
			break;
		case 'B':
			conf.backoff_max_ms = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	log_init("pgship_driver", 0, getenv("DRIVER_VERBOSE") ? 1 : 0);
	signal(SIGPIPE, SIG_IGN);
	if (!conf.journal_path)
		usage();
	if (!strcmp(mode, "ids")) {
		rc = jr_scan(conf.journal_path, print_id, NULL, &res);
		if (rc || res.status != JR_OK) {
			fprintf(stderr, "ids: %s: %s %s\n", conf.journal_path,
				rc ? strerror(-rc) : jr_status_name(res.status), res.why);
			return 1;
		}
		return 0;
	}
	rc = jr_open(conf.journal_path, &d.jr, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!strcmp(mode, "fill")) {
		double t = now_s();

		while (jr_last_seq(d.jr) < d.count) {
			uint64_t have = jr_last_seq(d.jr);

			rc = append_n(d.jr, have + 1, (size_t)(d.count - have), d.poison_every);
			if (rc) {
				fprintf(stderr, "fill: %s\n", strerror(-rc));
				jr_close(d.jr);
				return 1;
			}
		}
		printf("filled %llu records in %.2f s\n", (unsigned long long)jr_last_seq(d.jr),
		       now_s() - t);
		jr_close(d.jr);
		return 0;
	}
	if (strcmp(mode, "run") || !conf.state_path || !conf.conninfo)
		usage();
	conf.journal = d.jr;
	d.base = event_base_new();
	if (!d.base)
		return 1;
	d.ps = pgship_new(d.base, &conf);
	if (!d.ps)
		return 1;
	d.ev_tick = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
	d.ev_stats = event_new(d.base, -1, EV_PERSIST, on_stats, &d);
	d.ev_term = evsignal_new(d.base, SIGTERM, on_term, &d);
	event_add(d.ev_tick, &tick);
	event_add(d.ev_stats, &st);
	evsignal_add(d.ev_term, NULL);
	d.t0 = d.last_tick = now_s();
	event_base_dispatch(d.base);
	write_stats(&d);
	if (d.drain && !d.rc) {
		struct pgship_stats s;

		pgship_stats(d.ps, &s);
		printf("drained: shipped %llu records in %.2f s since start: %.0f events/s "
		       "(%llu batches)\n",
		       (unsigned long long)s.shipped, d.drained_at - d.t0,
		       (double)s.shipped / (d.drained_at - d.t0), (unsigned long long)s.batches);
	}
	pgship_free(d.ps);
	event_free(d.ev_tick);
	event_free(d.ev_stats);
	event_free(d.ev_term);
	event_base_free(d.base);
	jr_close(d.jr);
	return d.drain ? d.rc : 0;
}
