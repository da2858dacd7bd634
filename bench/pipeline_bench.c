// SPDX-License-Identifier: GPL-2.0-only
/*
 * pipeline_bench: the controller's paths into and out of PostgreSQL, and the
 * kernel write at the end of a response, each against the plainest way to do
 * the same thing (bench.sh's "pipeline" section drives it; clock:
 * CLOCK_MONOTONIC, latencies in us).
 *
 *   fill JOURNAL N
 *       N audit events (the shapes pgship_driver writes: admin_action from
 *       six kinds of source, details with UTF-8, quotes and a backslash)
 *       appended to a new journal, 1000 per fdatasync.
 *       Prints "fill N SECS".
 *   ship --journal J --state S --conninfo C --count N [--node NODE]
 *        [--batch B] [--max-seconds T]
 *       The real shipper (user/edgewardd/pgship.c) in a libevent loop of its
 *       own, from a cold start (no state file) until the record of seq N is
 *       committed; the time runs from pgship_new (so it includes connecting)
 *       to the first 1 ms check that sees it drained.
 *       Prints "ship N SECS EVENTS_S BATCHES INSERTED ERRORS RECONNECTS"; exit 1
 *       when not drained within T (120) seconds.
 *   csv JOURNAL OUT NODE
 *       The journal's records as the shipper's rows (pgship_row), written as
 *       CSV in the column order of copy's COPY. Prints "csv ROWS".
 *   copy --conninfo C --csv FILE
 *       The baseline: the same rows by COPY audit.security_events FROM STDIN
 *       (CSV) on one connection, one transaction; the file is read into memory
 *       first, the time runs from connecting to the commit's answer.
 *       Prints "copy ROWS SECS ROWS_S".
 *   sql --journal J --conninfo C [--node NODE] [--batch B] [--state-probe FILE]
 *       The shipper's own statement (pgship_sql) without the shipper: its
 *       batches (pgship_cursor_next, read before the clock starts) sent one
 *       after the other with blocking PQexecParams, each committed on its
 *       own. Also, untimed by SECS: how long reading and encoding those
 *       batches took (the shipper's client side, READ_SECS), and with
 *       --state-probe the mean of BATCHES pgship_state_save calls to FILE (the
 *       per-batch position save: temp file, fsync, rename), SAVE_MS.
 *       Prints "sql ROWS SECS ROWS_S BATCHES READ_SECS SAVE_MS".
 *   mapwrite PIN [--count N]
 *       Loads the XDP object into PIN (kept pinned: respond_bench --pin-dir
 *       PIN reuses its maps), then times N (20000) distinct /32s each way:
 *         raw     one bpf_map_update_elem on ew_bl4 (the floor)
 *         bl_add  what respond's block callback does in edgewardd:
 *                 ew_maps_lock, bl_add, ew_maps_unlock
 *       and removes them again (untimed).
 *       Prints "mapwrite METHOD N P50 P90 P99 P999 MAX MEAN" per method.
 *   notify --conninfo C --count N --rate R [--mode notify|table] [--first A.B.C.D]
 *       The floor of fleet propagation, on one PostgreSQL: a listening
 *       connection and a sending one in this process; N times, R a second,
 *       the time from sending to the listener's socket delivering the
 *       notification. notify: SELECT pg_notify('ewb_bench', i). table: INSERT
 *       of a /32 (from A.B.C.D on, 1 h) into audit.ip_blocklist, whose trigger
 *       notifies edgeward_blocklist (the fleet's own path up to the listener).
 *       Prints "notify MODE N P50 P90 P99 P999 MAX MEAN".
 *   fleet --conninfo C --pin-base BASE --count N --rate R [--receivers K]
 *         [--first A.B.C.D] [--max-seconds T]
 *       1 + K (2) fleet nodes, each a process of its own with the fleet module
 *       (user/edgewardd/fleet.c) in a libevent loop and the XDP object loaded
 *       into its own pin directory BASE-1 .. BASE-(K+1). Once all are
 *       LISTENing and resynced, node 1 publishes N /32s (from 198.18.0.1 on,
 *       1 h each) at R a second, as edgewardd's response does: its own
 *       kernel first (bl_add, origin auto), then fleet_publish. A sample is
 *       the time from fleet_publish on node 1 to the fleet's changed callback
 *       on another node, which runs once the rule is in that node's kernel
 *       map. Every node unpins its directory on exit.
 *       Prints "fleet N EXPECTED P50 P90 P99 P999 MAX MEAN", then
 *       "fleet_node K N P50 P99 MAX" per receiver; exit 1 if any is missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <event2/event.h>
#include <jansson.h>
#include <postgresql/libpq-fe.h>

#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "maps.h"
#include "pgship.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: pipeline_bench fill|ship|csv|copy|sql|mapwrite|notify|fleet ... "
			"(see the top of bench/pipeline_bench.c)\n");
	return 2;
}

/* ---- latency samples (ns) ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n);

	if (!n)
		return 0;
	return (double)v[i < n ? i : n - 1] / 1e3;
}

/* "P50 P90 P99 P999 MAX MEAN" in us of the sorted v. */
static void print_lat(const uint64_t *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	printf("%.2f %.2f %.2f %.2f %.2f %.2f", pct_us(v, n, 0.50), pct_us(v, n, 0.90),
	       pct_us(v, n, 0.99), pct_us(v, n, 0.999), pct_us(v, n, 1.0),
	       n ? sum / (double)n / 1e3 : 0);
}

static int parse_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "pipeline_bench: not an IPv4 address: %s\n", s);
		return -1;
	}
	*out = ntohl(a.s_addr);
	return 0;
}

static void ip4_str(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static void cidr4(uint32_t a, struct ew_cidr *c)
{
	uint32_t be = htonl(a);

	memset(c, 0, sizeof(*c));
	c->family = 4;
	c->plen = 32;
	memcpy(c->addr, &be, 4);
}

/* ---- fill ---- */

static const char *const sources[] = { "192.0.2.7", "2001:db8::1", "unix", "local",
				       "203.0.113.200", "::ffff:198.51.100.9" };

static json_t *mk_event(uint64_t i)
{
	json_t *r = jr_event("admin_action", "alice", sources[i % 6], "blocklist", "add",
			     "success", (int)(i % 101));

	if (r) {
		json_t *d = json_object_get(r, "details");

		json_object_set_new(d, "i", json_integer((json_int_t)i));
		json_object_set_new(d, "note",
				    json_string("d\xc3\xa9j\xc3\xa0 \"vu\" \\ \xe2\x9c\x93"));
	}
	return r;
}

static int cmd_fill(int argc, char **argv)
{
	json_t *recs[1000];
	struct jr *j;
	char err[256];
	uint64_t n, t0;
	int rc;

	if (argc != 4)
		return usage();
	n = strtoull(argv[3], NULL, 10);
	if (jr_open(argv[2], &j, err, sizeof(err))) {
		fprintf(stderr, "pipeline_bench: %s\n", err);
		return 1;
	}
	t0 = mono_ns();
	while (jr_last_seq(j) < n) {
		uint64_t have = jr_last_seq(j);
		size_t k = n - have > 1000 ? 1000 : (size_t)(n - have), i;

		for (i = 0; i < k; i++)
			if (!(recs[i] = mk_event(have + 1 + i)))
				break;
		rc = i == k ? jr_append_many(j, recs, k) : -ENOMEM;
		while (i)
			json_decref(recs[--i]);
		if (rc) {
			fprintf(stderr, "pipeline_bench: fill: %s\n", strerror(-rc));
			jr_close(j);
			return 1;
		}
	}
	printf("fill %llu %.3f\n", (unsigned long long)jr_last_seq(j), (mono_ns() - t0) / 1e9);
	jr_close(j);
	return 0;
}

/* ---- ship: the real shipper ---- */

struct ship {
	struct event_base *base;
	struct pgship *ps;
	uint64_t count, t0, t_end;
	double max_s;
	bool drained;
};

static void ship_check(evutil_socket_t fd, short what, void *arg)
{
	struct ship *s = arg;
	struct pgship_stats st;
	uint64_t t = mono_ns();

	(void)fd;
	(void)what;
	pgship_stats(s->ps, &st);
	if (st.shipped_seq >= s->count && !st.lag_records) {
		s->t_end = t;
		s->drained = true;
		event_base_loopexit(s->base, NULL);
	} else if ((double)(t - s->t0) / 1e9 > s->max_s) {
		fprintf(stderr, "pipeline_bench: ship: not drained after %.0f s (shipped seq %llu "
			"of %llu, %llu errors)\n", s->max_s, (unsigned long long)st.shipped_seq,
			(unsigned long long)s->count, (unsigned long long)st.errors);
		event_base_loopexit(s->base, NULL);
	}
}

static int cmd_ship(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "conninfo", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'N' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ 0 }
	};
	struct pgship_conf conf = { .node = "bench-node" };
	struct ship s = { .max_s = 120 };
	struct timeval tick = { 0, 1000 };
	struct pgship_stats st;
	struct event *ev;
	struct jr *jr;
	char err[256];
	double secs;
	int o;

	optind = 2;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'j': conf.journal_path = optarg; break;
		case 's': conf.state_path = optarg; break;
		case 'c': conf.conninfo = optarg; break;
		case 'n': conf.node = optarg; break;
		case 'N': s.count = strtoull(optarg, NULL, 10); break;
		case 'b': conf.batch_max = strtoull(optarg, NULL, 10); break;
		case 'm': s.max_s = atof(optarg); break;
		default: return usage();
		}
	}
	if (!conf.journal_path || !conf.state_path || !conf.conninfo || !s.count)
		return usage();
	if (jr_open(conf.journal_path, &jr, err, sizeof(err))) {
		fprintf(stderr, "pipeline_bench: %s\n", err);
		return 1;
	}
	conf.journal = jr;
	s.base = event_base_new();
	if (!s.base)
		return 1;
	s.t0 = mono_ns();
	s.ps = pgship_new(s.base, &conf);
	if (!s.ps) {
		fprintf(stderr, "pipeline_bench: pgship_new failed\n");
		return 1;
	}
	pgship_kick(s.ps);	/* the journal is there already: no append will kick it */
	ev = event_new(s.base, -1, EV_PERSIST, ship_check, &s);
	event_add(ev, &tick);
	event_base_dispatch(s.base);
	pgship_stats(s.ps, &st);
	if (s.drained) {
		secs = (double)(s.t_end - s.t0) / 1e9;
		printf("ship %llu %.3f %.0f %llu %llu %llu %llu\n", (unsigned long long)st.shipped,
		       secs, (double)st.shipped / secs, (unsigned long long)st.batches,
		       (unsigned long long)st.inserted, (unsigned long long)st.errors,
		       (unsigned long long)st.reconnects);
	}
	event_free(ev);
	pgship_free(s.ps);
	event_base_free(s.base);
	jr_close(jr);
	return s.drained ? 0 : 1;
}

/* ---- csv: the same rows for COPY ---- */

/* The columns of the shipper's INSERT, in its order; node comes from the command line. */
static const char *const csv_cols[] = { "id", "event_type", "ip_address", "resource", "action",
					"result", "risk_score", "details", "timestamp", "actor",
					"source", NULL, "seq" };
#define CSV_COPY_SQL                                                                             \
	"COPY audit.security_events (id, event_type, ip_address, resource, action, result, "    \
	"risk_score, details, \"timestamp\", actor, source, node, seq) FROM STDIN (FORMAT csv)"

static void csv_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

struct csv {
	FILE *f;
	const char *node;
	uint64_t rows;
	int err;
};

static int csv_rec(uint64_t seq, json_t *rec, void *arg)
{
	struct csv *c = arg;
	char why[256];
	json_t *row;

	if (pgship_row(rec, seq, &row, why, sizeof(why))) {
		fprintf(stderr, "pipeline_bench: csv: seq %llu: %s\n", (unsigned long long)seq, why);
		return 0;
	}
	for (size_t i = 0; i < sizeof(csv_cols) / sizeof(csv_cols[0]); i++) {
		json_t *v = csv_cols[i] ? json_object_get(row, csv_cols[i]) : NULL;

		if (i)
			fputc(',', c->f);
		if (!csv_cols[i]) {
			csv_quoted(c->f, c->node);
		} else if (json_is_string(v)) {
			csv_quoted(c->f, json_string_value(v));
		} else if (json_is_integer(v)) {
			fprintf(c->f, "%lld", (long long)json_integer_value(v));
		} else if (v && !json_is_null(v)) {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			if (!s) {
				c->err = -ENOMEM;
				json_decref(row);
				return 1;
			}
			csv_quoted(c->f, s);
			free(s);
		}
		/* null: nothing (unquoted empty is NULL in CSV) */
	}
	fputc('\n', c->f);
	c->rows++;
	json_decref(row);
	return 0;
}

static int cmd_csv(int argc, char **argv)
{
	struct csv c = { .node = argc == 5 ? argv[4] : NULL };
	struct jr_scan res;
	int rc;

	if (argc != 5)
		return usage();
	c.f = fopen(argv[3], "w");
	if (!c.f) {
		perror(argv[3]);
		return 1;
	}
	rc = jr_scan(argv[2], csv_rec, &c, &res);
	if (fclose(c.f) || rc || c.err || res.status != JR_OK) {
		fprintf(stderr, "pipeline_bench: csv: %s: failed\n", argv[2]);
		return 1;
	}
	printf("csv %llu\n", (unsigned long long)c.rows);
	return 0;
}

/* ---- copy: the baseline ---- */

static char *slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	FILE *f = fopen(path, "r");

	if (!f || fstat(fileno(f), &sb)) {
		perror(path);
		if (f)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf || fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		fprintf(stderr, "pipeline_bench: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)sb.st_size;
	return buf;
}

static int cmd_copy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conninfo", required_argument, NULL, 'c' },
		{ "csv", required_argument, NULL, 'f' },
		{ 0 }
	};
	const char *conninfo = NULL, *path = NULL;
	size_t len = 0, off, rows = 0;
	PGresult *res;
	PGconn *conn;
	uint64_t t0, t1;
	char *buf;
	int o, rc = 1;

	optind = 2;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c')
			conninfo = optarg;
		else if (o == 'f')
			path = optarg;
		else
			return usage();
	}
	if (!conninfo || !path || !(buf = slurp(path, &len)))
		return usage();
	for (off = 0; off < len; off++)
		rows += buf[off] == '\n';
	t0 = mono_ns();
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "pipeline_bench: copy: %s", PQerrorMessage(conn));
		goto out;
	}
	res = PQexec(conn, CSV_COPY_SQL);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		fprintf(stderr, "pipeline_bench: copy: %s", PQerrorMessage(conn));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	for (off = 0; off < len; off += 65536) {
		size_t k = len - off < 65536 ? len - off : 65536;

		if (PQputCopyData(conn, buf + off, (int)k) != 1) {
			fprintf(stderr, "pipeline_bench: copy: %s", PQerrorMessage(conn));
			goto out;
		}
	}
	if (PQputCopyEnd(conn, NULL) != 1) {
		fprintf(stderr, "pipeline_bench: copy: %s", PQerrorMessage(conn));
		goto out;
	}
	rc = 0;
	while ((res = PQgetResult(conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "pipeline_bench: copy: %s", PQresultErrorMessage(res));
			rc = 1;
		}
		PQclear(res);
	}
	t1 = mono_ns();
	if (!rc)
		printf("copy %zu %.3f %.0f\n", rows, (t1 - t0) / 1e9, (double)rows / ((t1 - t0) / 1e9));
out:
	PQfinish(conn);
	free(buf);
	return rc;
}

/* ---- sql: the shipper's statement, blocking ---- */

static int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "conninfo", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "state-probe", required_argument, NULL, 'p' },
		{ 0 }
	};
	const char *conninfo = NULL, *node = "bench-node", *probe = NULL;
	double read_s, save_ms = 0;
	struct pgship_cursor cur = { 0 };
	struct pgship_batch b = { 0 };
	char **batches = NULL;
	size_t nb = 0, cap = 0, rows = 0, batch = PGSHIP_BATCH_MAX;
	uint64_t t0, t1;
	PGconn *conn = NULL;
	int o, rc = 1;

	optind = 2;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'j': cur.path = optarg; break;
		case 'c': conninfo = optarg; break;
		case 'n': node = optarg; break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'p': probe = optarg; break;
		default: return usage();
		}
	}
	if (!cur.path || !conninfo || !batch)
		return usage();
	t0 = mono_ns();
	for (;;) {
		if (pgship_cursor_next(&cur, batch, PGSHIP_BATCH_MAX_BYTES, &b)) {
			fprintf(stderr, "pipeline_bench: sql: cannot read %s\n", cur.path);
			goto out;
		}
		if (!b.records)
			break;
		if (nb == cap) {
			char **nv = realloc(batches, (cap = cap ? 2 * cap : 256) * sizeof(*nv));

			if (!nv)
				goto out;
			batches = nv;
		}
		if (!(batches[nb] = strndup(b.json, b.len)))
			goto out;
		nb++;
		rows += b.rows;
	}
	read_s = (mono_ns() - t0) / 1e9;
	t0 = mono_ns();
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "pipeline_bench: sql: %s", PQerrorMessage(conn));
		goto out;
	}
	for (size_t i = 0; i < nb; i++) {
		const char *vals[2] = { batches[i], node };
		PGresult *res = PQexecParams(conn, pgship_sql, 2, NULL, vals, NULL, NULL, 0);

		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "pipeline_bench: sql: %s", PQresultErrorMessage(res));
			PQclear(res);
			goto out;
		}
		PQclear(res);
	}
	t1 = mono_ns();
	if (probe && nb) {
		uint64_t ts = mono_ns();

		for (size_t i = 0; i < nb; i++)
			if (pgship_state_save(probe, &cur.pos)) {
				fprintf(stderr, "pipeline_bench: sql: cannot save %s\n", probe);
				goto out;
			}
		save_ms = (mono_ns() - ts) / 1e6 / (double)nb;
		unlink(probe);
	}
	printf("sql %zu %.3f %.0f %zu %.3f %.3f\n", rows, (t1 - t0) / 1e9,
	       (double)rows / ((t1 - t0) / 1e9), nb, read_s, save_ms);
	rc = 0;
out:
	PQfinish(conn);
	for (size_t i = 0; i < nb; i++)
		free(batches[i]);
	free(batches);
	pgship_batch_free(&b);
	return rc;
}

/* ---- mapwrite: the kernel write, raw and as respond's callback does it ---- */

static int cmd_mapwrite(int argc, char **argv)
{
	static const struct option opts[] = { { "count", required_argument, NULL, 'n' }, { 0 } };
	struct ew_maps m = { .lock = -1 };
	char err[EW_ERRLEN] = "";
	const uint32_t first = 0xc6130000u;	/* 198.19.0.0 */
	size_t n = 20000, i;
	uint64_t *v, t0;
	int o, fd, rc = 1;

	if (argc < 3)
		return usage();
	optind = 3;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'n')
			n = strtoul(optarg, NULL, 10);
		else
			return usage();
	}
	if (!n || n > 65536)
		return usage();
	libbpf_set_print(NULL);
	fd = ew_load(argv[2], err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "pipeline_bench: mapwrite: %s\n", err);
		return 1;
	}
	close(fd);
	if (ew_maps_open(&m, argv[2], true, err, sizeof(err))) {
		fprintf(stderr, "pipeline_bench: mapwrite: %s\n", err);
		return 1;
	}
	/* ew_maps_open holds the writer's flock: raw runs under it, bl_add takes it per call. */
	v = calloc(n, sizeof(*v));
	if (!v)
		goto out;
	for (i = 0; i < n; i++) {
		struct ew_bl4_key key = { .prefixlen = 32, .addr = htonl(first + (uint32_t)i) };
		struct ew_block b = { .added_unix = (__u32)time(NULL), .origin = EW_ORIGIN_AUTO };

		t0 = mono_ns();
		if (bpf_map_update_elem(m.bl4, &key, &b, BPF_ANY)) {
			fprintf(stderr, "pipeline_bench: mapwrite raw: %s\n", strerror(errno));
			goto out;
		}
		v[i] = mono_ns() - t0;
	}
	for (i = 0; i < n; i++) {
		struct ew_bl4_key key = { .prefixlen = 32, .addr = htonl(first + (uint32_t)i) };

		bpf_map_delete_elem(m.bl4, &key);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("mapwrite raw %zu ", n);
	print_lat(v, n);
	printf("\n");
	ew_maps_unlock(&m);
	for (i = 0; i < n; i++) {
		struct ew_bl_entry e = { .origin = EW_ORIGIN_AUTO };
		int r;

		cidr4(first + (uint32_t)i, &e.cidr);
		e.expires_ns = ew_boot_ns() + 3600ULL * 1000000000ULL;
		snprintf(e.reason, sizeof(e.reason), "bench");
		t0 = mono_ns();
		r = ew_maps_lock(&m);
		if (!r) {
			r = bl_add(&m, &e);
			ew_maps_unlock(&m);
		}
		v[i] = mono_ns() - t0;
		if (r) {
			fprintf(stderr, "pipeline_bench: mapwrite bl_add: %s\n", strerror(-r));
			goto out;
		}
	}
	if (ew_maps_lock(&m))
		goto out;
	for (i = 0; i < n; i++) {
		struct ew_cidr c;

		cidr4(first + (uint32_t)i, &c);
		bl_del(&m, &c);
	}
	ew_maps_unlock(&m);
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("mapwrite bl_add %zu ", n);
	print_lat(v, n);
	printf("\n");
	rc = 0;
out:
	free(v);
	ew_maps_close(&m);
	return rc;
}

/* ---- notify: LISTEN/NOTIFY alone ---- */

/* Wait (poll) until l delivers a notification whose payload is want (exact, or containing
 * it), and s's command is answered; *t_notify = when the notification was read. 0, or -1 on
 * an error or after 10 s. */
static int notify_wait(PGconn *l, PGconn *s, const char *want, bool exact, uint64_t *t_notify)
{
	bool got_n = false, got_r = false;
	uint64_t deadline = mono_ns() + 10000000000ULL;

	while (!got_n || !got_r) {
		struct pollfd p[2] = { { PQsocket(l), POLLIN, 0 }, { PQsocket(s), POLLIN, 0 } };
		PGnotify *nt;

		if (!got_r) {
			if (!PQconsumeInput(s))
				return -1;
			while (!PQisBusy(s)) {
				PGresult *r = PQgetResult(s);

				if (!r) {
					got_r = true;
					break;
				}
				if (PQresultStatus(r) != PGRES_TUPLES_OK &&
				    PQresultStatus(r) != PGRES_COMMAND_OK) {
					fprintf(stderr, "pipeline_bench: notify: %s",
						PQresultErrorMessage(r));
					PQclear(r);
					return -1;
				}
				PQclear(r);
			}
		}
		if (!PQconsumeInput(l))
			return -1;
		while ((nt = PQnotifies(l))) {
			if (!got_n && (exact ? !strcmp(nt->extra, want) : !!strstr(nt->extra, want))) {
				*t_notify = mono_ns();
				got_n = true;
			}
			PQfreemem(nt);
		}
		if (got_n && got_r)
			break;
		if (mono_ns() > deadline) {
			fprintf(stderr, "pipeline_bench: notify: no notification for %s\n", want);
			return -1;
		}
		if (poll(p, got_r ? 1 : 2, 1000) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

static int cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conninfo", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'N' },
		{ "rate", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "first", required_argument, NULL, 'f' },
		{ 0 }
	};
	const char *conninfo = NULL, *mode = "notify";
	uint32_t first = 0x64400001u;	/* 100.64.0.1 */
	size_t n = 200, rate = 100, got = 0;
	PGconn *l = NULL, *s = NULL;
	PGresult *res;
	uint64_t *v = NULL, t_start;
	bool table;
	int o, rc = 1;

	optind = 2;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': conninfo = optarg; break;
		case 'N': n = strtoul(optarg, NULL, 10); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 'm': mode = optarg; break;
		case 'f':
			if (parse_ip4(optarg, &first))
				return 2;
			break;
		default: return usage();
		}
	}
	table = !strcmp(mode, "table");
	if (!conninfo || !n || !rate || (!table && strcmp(mode, "notify")))
		return usage();
	v = calloc(n, sizeof(*v));
	l = PQconnectdb(conninfo);
	s = PQconnectdb(conninfo);
	if (!v || PQstatus(l) != CONNECTION_OK || PQstatus(s) != CONNECTION_OK) {
		fprintf(stderr, "pipeline_bench: notify: %s", PQerrorMessage(l));
		goto out;
	}
	res = PQexec(l, table ? "LISTEN " FLEET_CHANNEL_BLOCKLIST : "LISTEN ewb_bench");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "pipeline_bench: notify: LISTEN: %s", PQerrorMessage(l));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	t_start = mono_ns();
	for (size_t i = 0; i < n; i++) {
		uint64_t due = t_start + i * 1000000000ULL / rate, t0, t1 = 0;
		char arg[32], want[48];
		const char *vals[1] = { arg };
		int ok;

		while (mono_ns() < due) {
			uint64_t left = due - mono_ns();
			struct timespec ts = { 0, (long)(left < 999999999 ? left : 999999999) };

			nanosleep(&ts, NULL);
		}
		if (table) {
			ip4_str(first + (uint32_t)i, arg, sizeof(arg));
			snprintf(want, sizeof(want), "%s/32\"", arg);
		} else {
			snprintf(arg, sizeof(arg), "n%zu", i);
			snprintf(want, sizeof(want), "%s", arg);
		}
		t0 = mono_ns();
		ok = table ? PQsendQueryParams(s, "INSERT INTO audit.ip_blocklist (ip_address, reason, "
						  "blocked_until, created_by, origin) VALUES ($1::inet, "
						  "'bench', now() + interval '1 hour', 'bench-raw', "
						  "'bench')", 1, NULL, vals, NULL, NULL, 0)
			   : PQsendQueryParams(s, "SELECT pg_notify('ewb_bench', $1)", 1, NULL, vals,
					       NULL, NULL, 0);
		if (!ok || notify_wait(l, s, want, !table, &t1)) {
			fprintf(stderr, "pipeline_bench: notify: %s", PQerrorMessage(s));
			goto out;
		}
		v[got++] = t1 - t0;
	}
	qsort(v, got, sizeof(*v), cmp_u64);
	printf("notify %s %zu ", mode, got);
	print_lat(v, got);
	printf("\n");
	rc = 0;
out:
	PQfinish(l);
	PQfinish(s);
	free(v);
	return rc;
}

/* ---- fleet: nodes in processes of their own ---- */

struct frec {		/* one message from a receiver to node 1, written atomically */
	uint32_t ip;	/* host order; 0: "ready" */
	uint32_t node;
	uint64_t ns;	/* CLOCK_MONOTONIC of the changed callback */
};

struct fnode {
	struct event_base *base;
	struct ew_maps maps;
	struct fleet *fleet;
	const char *pin;
	int idx, out_fd;	/* receivers: the pipe to node 1 */
	uint32_t first, count;
	bool ready;
	struct event *ev_ready, *ev_term;
};

static void fn_changed(void *arg, const struct ew_cidr *c, uint64_t expires_ns, bool blocked)
{
	struct fnode *f = arg;
	struct frec r = { .node = (uint32_t)f->idx };
	uint32_t be, a;

	(void)expires_ns;
	if (!blocked || f->out_fd < 0 || c->family != 4 || c->plen != 32)
		return;
	r.ns = mono_ns();
	memcpy(&be, c->addr, 4);
	a = ntohl(be);
	if (a - f->first >= f->count)
		return;
	r.ip = a;
	if (write(f->out_fd, &r, sizeof(r)) != sizeof(r))
		log_warnx("fleet node %d: pipe write failed", f->idx);
}

static bool fn_ready(struct fnode *f)
{
	struct fleet_stats st;

	fleet_stats(f->fleet, &st);
	return st.connected && st.resyncs >= 1;
}

static void fn_on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct fnode *f = arg;
	struct frec r = { .ip = 0, .node = (uint32_t)f->idx };

	(void)fd;
	(void)what;
	if (f->ready || !fn_ready(f))
		return;
	f->ready = true;
	if (write(f->out_fd, &r, sizeof(r)) != sizeof(r))
		log_warnx("fleet node %d: pipe write failed", f->idx);
}

static void fn_on_term(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(((struct fnode *)arg)->base, NULL);
}

/* Load the object into the node's pin dir, open its maps, start its fleet. */
static int fn_start(struct fnode *f, const char *conninfo, char *node, size_t nodelen)
{
	struct fleet_conf conf = { 0 };
	struct fleet_ops ops = { .changed = fn_changed };
	char err[EW_ERRLEN] = "";
	int fd;

	f->maps.lock = -1;
	fd = ew_load(f->pin, err, sizeof(err));
	if (fd < 0) {
		log_warnx("fleet node %d: %s", f->idx, err);
		return -1;
	}
	close(fd);
	if (ew_maps_open(&f->maps, f->pin, true, err, sizeof(err))) {
		log_warnx("fleet node %d: %s", f->idx, err);
		return -1;
	}
	ew_maps_unlock(&f->maps);
	f->base = event_base_new();
	if (!f->base)
		return -1;
	snprintf(node, nodelen, "bench-node%d", f->idx);
	conf.conninfo = conninfo;
	conf.node = node;
	conf.maps = &f->maps;
	f->fleet = fleet_new(f->base, &conf, &ops, f);
	if (!f->fleet)
		return -1;
	f->ev_term = evsignal_new(f->base, SIGTERM, fn_on_term, f);
	return f->ev_term && !evsignal_add(f->ev_term, NULL) ? 0 : -1;
}

static void fn_stop(struct fnode *f)
{
	fleet_free(f->fleet);
	if (f->ev_ready)
		event_free(f->ev_ready);
	if (f->ev_term)
		event_free(f->ev_term);
	if (f->base)
		event_base_free(f->base);
	if (f->maps.pin_dir)
		ew_maps_close(&f->maps);
	if (f->pin)	/* never NULL here: NULL would be the system's EW_PIN_DIR */
		ew_unpin_all(f->pin);
}

static int fleet_receiver(struct fnode *f, const char *conninfo)
{
	struct timeval tv = { 0, 10000 };
	char node[64];
	int rc = 1;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(1);
	if (!fn_start(f, conninfo, node, sizeof(node))) {
		f->ev_ready = event_new(f->base, -1, EV_PERSIST, fn_on_ready, f);
		if (f->ev_ready && !event_add(f->ev_ready, &tv))
			rc = event_base_dispatch(f->base) < 0;
	}
	fn_stop(f);
	return rc;
}

struct pub {
	struct fnode self;
	int k;				/* receivers */
	int *fds;
	pid_t *pids;
	bool *ready;
	struct event **ev_pipe;
	struct event *ev_burst, *ev_start, *ev_deadline;
	uint64_t *t_pub;		/* per block */
	uint64_t *lat;			/* k * count, receiver-major */
	size_t *nlat;
	uint8_t *seen;			/* k * count */
	uint32_t next, count, rate;
	size_t received;
	bool started;
};

static void pub_burst(evutil_socket_t fd, short what, void *arg)
{
	struct pub *p = arg;
	struct ew_bl_entry e = { .origin = EW_ORIGIN_AUTO };
	uint32_t i = p->next++;
	int r;

	(void)fd;
	(void)what;
	cidr4(p->self.first + i, &e.cidr);
	e.expires_ns = ew_boot_ns() + 3600ULL * 1000000000ULL;
	fleet_reason_copy(e.reason, "pipeline bench");
	r = ew_maps_lock(&p->self.maps);
	if (!r) {
		r = bl_add(&p->self.maps, &e);
		ew_maps_unlock(&p->self.maps);
	}
	if (r)
		log_warnx("fleet node 1: local block failed: %s", strerror(-r));
	p->t_pub[i] = mono_ns();
	r = fleet_publish(p->self.fleet, &e.cidr, (int64_t)time(NULL) + 3600, "pipeline bench");
	if (r)
		log_warnx("fleet node 1: fleet_publish: %s", strerror(-r));
	if (p->next >= p->count)
		event_del(p->ev_burst);
}

static void pub_start(evutil_socket_t fd, short what, void *arg)
{
	struct pub *p = arg;
	struct timeval tv = { 0, (suseconds_t)(1000000 / p->rate) };

	(void)fd;
	(void)what;
	if (p->started || !fn_ready(&p->self))
		return;
	for (int i = 0; i < p->k; i++)
		if (!p->ready[i])
			return;
	p->started = true;
	event_del(p->ev_start);
	event_add(p->ev_burst, &tv);
}

static void pub_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct pub *p = arg;
	struct frec r[256];
	ssize_t n;

	(void)what;
	n = read(fd, r, sizeof(r));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			log_warnx("fleet: a receiver went away");
			event_base_loopexit(p->self.base, NULL);
		}
		return;
	}
	for (size_t j = 0; j < (size_t)n / sizeof(r[0]); j++) {
		int k = (int)r[j].node - 2;
		uint32_t i = r[j].ip - p->self.first;

		if (k < 0 || k >= p->k)
			continue;
		if (!r[j].ip) {
			p->ready[k] = true;
			continue;
		}
		if (i >= p->count || !p->t_pub[i] || p->seen[(size_t)k * p->count + i])
			continue;
		p->seen[(size_t)k * p->count + i] = 1;
		p->lat[(size_t)k * p->count + p->nlat[k]++] = r[j].ns - p->t_pub[i];
		if (++p->received == (size_t)p->k * p->count)
			event_base_loopexit(p->self.base, NULL);
	}
}

static void pub_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_warnx("fleet: deadline reached");
	event_base_loopexit(((struct pub *)arg)->self.base, NULL);
}

static int cmd_fleet(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conninfo", required_argument, NULL, 'c' },
		{ "pin-base", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'N' },
		{ "rate", required_argument, NULL, 'r' },
		{ "receivers", required_argument, NULL, 'k' },
		{ "first", required_argument, NULL, 'f' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ 0 }
	};
	const char *conninfo = NULL, *base = NULL;
	struct pub p = { .k = 2, .count = 200, .rate = 100 };
	uint32_t first = 0xc6120001u;	/* 198.18.0.1 */
	struct timeval tv10 = { 0, 10000 }, tvmax = { 120, 0 };
	char node[64], (*pins)[512] = NULL;
	uint64_t *all = NULL;
	size_t nall = 0;
	int o, i, rc = 1;

	optind = 2;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': conninfo = optarg; break;
		case 'p': base = optarg; break;
		case 'N': p.count = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': p.rate = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'k': p.k = atoi(optarg); break;
		case 'f':
			if (parse_ip4(optarg, &first))
				return 2;
			break;
		case 'm': tvmax.tv_sec = atol(optarg); break;
		default: return usage();
		}
	}
	if (!conninfo || !base || !p.count || p.count > 100000 || !p.rate || p.rate > 100000 ||
	    p.k < 1 || p.k > 8)
		return usage();
	libbpf_set_print(NULL);
	pins = calloc((size_t)p.k + 1, sizeof(*pins));
	p.fds = calloc((size_t)p.k, sizeof(int));
	p.pids = calloc((size_t)p.k, sizeof(pid_t));
	p.ready = calloc((size_t)p.k, sizeof(bool));
	p.ev_pipe = calloc((size_t)p.k, sizeof(*p.ev_pipe));
	p.t_pub = calloc(p.count, sizeof(uint64_t));
	p.lat = calloc((size_t)p.k * p.count, sizeof(uint64_t));
	p.nlat = calloc((size_t)p.k, sizeof(size_t));
	p.seen = calloc((size_t)p.k * p.count, 1);
	all = calloc((size_t)p.k * p.count, sizeof(uint64_t));
	if (!pins || !p.fds || !p.pids || !p.ready || !p.ev_pipe || !p.t_pub || !p.lat ||
	    !p.nlat || !p.seen || !all)
		return 1;
	for (i = 0; i <= p.k; i++)
		snprintf(pins[i], sizeof(pins[i]), "%s-%d", base, i + 1);
	fflush(stdout);
	/* The receivers first, before this process holds any loop, connection or map. */
	for (i = 0; i < p.k; i++) {
		int pfd[2];

		p.fds[i] = -1;
		if (pipe2(pfd, O_CLOEXEC))
			goto out;
		p.pids[i] = fork();
		if (p.pids[i] < 0) {
			close(pfd[0]);
			close(pfd[1]);
			goto out;
		}
		if (!p.pids[i]) {
			struct fnode f = { .pin = pins[i + 1], .idx = i + 2, .out_fd = pfd[1],
					   .first = first, .count = p.count };

			close(pfd[0]);
			for (int j = 0; j < i; j++)
				close(p.fds[j]);
			_exit(fleet_receiver(&f, conninfo));
		}
		close(pfd[1]);
		p.fds[i] = pfd[0];
		fcntl(p.fds[i], F_SETFL, O_NONBLOCK);
	}
	p.self.pin = pins[0];
	p.self.idx = 1;
	p.self.out_fd = -1;
	p.self.first = first;
	p.self.count = p.count;
	if (fn_start(&p.self, conninfo, node, sizeof(node)))
		goto stop;
	for (i = 0; i < p.k; i++) {
		p.ev_pipe[i] = event_new(p.self.base, p.fds[i], EV_READ | EV_PERSIST, pub_pipe, &p);
		if (!p.ev_pipe[i] || event_add(p.ev_pipe[i], NULL))
			goto stop;
	}
	p.ev_burst = event_new(p.self.base, -1, EV_PERSIST, pub_burst, &p);
	p.ev_start = event_new(p.self.base, -1, EV_PERSIST, pub_start, &p);
	p.ev_deadline = evtimer_new(p.self.base, pub_deadline, &p);
	if (!p.ev_burst || !p.ev_start || !p.ev_deadline || event_add(p.ev_start, &tv10) ||
	    event_add(p.ev_deadline, &tvmax))
		goto stop;
	event_base_dispatch(p.self.base);
	for (i = 0; i < p.k; i++)
		for (size_t j = 0; j < p.nlat[i]; j++)
			all[nall++] = p.lat[(size_t)i * p.count + j];
	qsort(all, nall, sizeof(*all), cmp_u64);
	if (!p.started)
		fprintf(stderr, "pipeline_bench: fleet: the nodes never were all connected\n");
	printf("fleet %zu %zu ", nall, (size_t)p.k * p.count);
	print_lat(all, nall);
	printf("\n");
	for (i = 0; i < p.k; i++) {
		uint64_t *v = p.lat + (size_t)i * p.count;

		qsort(v, p.nlat[i], sizeof(*v), cmp_u64);
		printf("fleet_node %d %zu %.2f %.2f %.2f\n", i + 2, p.nlat[i],
		       pct_us(v, p.nlat[i], 0.5), pct_us(v, p.nlat[i], 0.99),
		       pct_us(v, p.nlat[i], 1.0));
	}
	rc = nall == (size_t)p.k * p.count ? 0 : 1;
stop:
	for (i = 0; i < p.k; i++) {
		if (p.ev_pipe[i])
			event_free(p.ev_pipe[i]);
	}
	if (p.ev_burst)
		event_free(p.ev_burst);
	if (p.ev_start)
		event_free(p.ev_start);
	if (p.ev_deadline)
		event_free(p.ev_deadline);
	fn_stop(&p.self);
out:
	for (i = 0; i < p.k; i++) {
		if (p.pids[i] > 0) {
			int st, w;

			kill(p.pids[i], SIGTERM);
			for (w = 0; w < 100 && waitpid(p.pids[i], &st, WNOHANG) == 0; w++)
				usleep(50000);
			if (w == 100) {
				kill(p.pids[i], SIGKILL);
				waitpid(p.pids[i], &st, 0);
			}
		}
		if (p.fds[i] >= 0)
			close(p.fds[i]);
	}
	free(pins);
	free(p.fds);
	free(p.pids);
	free(p.ready);
	free(p.ev_pipe);
	free(p.t_pub);
	free(p.lat);
	free(p.nlat);
	free(p.seen);
	free(all);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	log_init("pipeline_bench", 0, getenv("PIPELINE_VERBOSE") ? 1 : 0);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "fill"))
		return cmd_fill(argc, argv);
	if (!strcmp(argv[1], "ship"))
		return cmd_ship(argc, argv);
	if (!strcmp(argv[1], "csv"))
		return cmd_csv(argc, argv);
	if (!strcmp(argv[1], "copy"))
		return cmd_copy(argc, argv);
	if (!strcmp(argv[1], "sql"))
		return cmd_sql(argc, argv);
	if (!strcmp(argv[1], "mapwrite"))
		return cmd_mapwrite(argc, argv);
	if (!strcmp(argv[1], "notify"))
		return cmd_notify(argc, argv);
	if (!strcmp(argv[1], "fleet"))
		return cmd_fleet(argc, argv);
	return usage();
}
