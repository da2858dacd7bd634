// SPDX-License-Identifier: GPL-2.0-only
/*
 * The journal shipper: the audit journal into PostgreSQL, from inside the
 * event loop, exactly once per event id; see pgship.h for the contract.
 *
 * The connection goes DOWN -> CONNECTING -> IDLE <-> BUSY and back to DOWN
 * on any failure of the connection itself. At most one batch is in flight
 * (a transaction of its own); while the server works on it the next batch
 * is read and encoded, so the loop's share of the work overlaps the
 * server's. Batches are re-read from the journal after any failure instead
 * of being kept for a resend: the journal is the queue, and re-reading
 * costs less than the code that would keep two copies in step.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
/* Debian keeps libpq's headers in /usr/include/postgresql, off the default path. */
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif

#include "fileio.h"
#include "journal.h"
#include "log.h"
#include "pgaddr.h"
#include "pgship.h"

/*
 * json_to_recordset, not jsonb: the array is parsed once, row by row,
 * without building a jsonb of the whole batch first. Only INSERT is needed:
 * DO NOTHING (unlike DO UPDATE) takes no other privilege.
 */
const char pgship_sql[] =
	"INSERT INTO audit.security_events (id, event_type, ip_address, resource, action, "
	"result, risk_score, details, \"timestamp\", actor, source, node, seq) "
	"SELECT r.id, r.event_type, r.ip_address, r.resource, r.action, r.result, "
	"r.risk_score, r.details, r.\"timestamp\", r.actor, r.source, $2::text, r.seq "
	"FROM json_to_recordset($1::json) AS r(id uuid, event_type text, ip_address inet, "
	"resource text, action text, result text, risk_score integer, details jsonb, "
	"\"timestamp\" timestamptz, actor text, source text, seq bigint) "
	"ON CONFLICT (id) DO NOTHING";

/* Past statement_timeout, how long the server gets to say so before the client gives up. */
#define DEADLINE_MARGIN_MS 2000
#define STATE_MAX	   4096
/* Rows refused one by one in a row before the fault is taken to be the database's. */
#define REJECT_RUN_MAX	   10

/* ---- one record, one row ---- */

static json_t *text_or_null(const json_t *v)
{
	return json_is_string(v) ? json_incref((json_t *)v) : json_null();
}

/* source as an inet value: canonical text when it is an IPv4 or IPv6 address, else null. */
static json_t *ip_or_null(const json_t *v)
{
	unsigned char a[sizeof(struct in6_addr)];
	char buf[INET6_ADDRSTRLEN];
	const char *s = json_string_value(v);
	int af;

	if (!s)
		return json_null();
	if (inet_pton(AF_INET, s, a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, s, a) == 1)
		af = AF_INET6;
	else
		return json_null();
	if (!inet_ntop(af, a, buf, sizeof(buf)))
		return json_null();
	return json_string(buf);
}

/* ts as timestamptz input that any DateStyle reads the same: UTC, ISO, microseconds. */
static json_t *ts_or_null(const json_t *v, int64_t *us_out)
{
	char buf[48];
	int64_t us;
	time_t t;
	long frac;
	struct tm tm;

	if (!json_is_string(v) || jr_ts_parse(json_string_value(v), &us))
		return json_null();
	t = (time_t)(us / 1000000);
	frac = (long)(us % 1000000);
	if (frac < 0) {
		frac += 1000000;
		t--;
	}
	/* An offset can carry 9999-12-31 into a fifth digit of year: not ISO any more. */
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999)
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	*us_out = us;
	return json_string(buf);
}

int pgship_row(const json_t *rec, uint64_t seq, json_t **row, char *why, size_t whylen)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const json_t *v;
	char lid[JR_UUID_LEN + 1];
	int64_t us = 0;
	json_t *r;
	int bad = 0;
	size_t i;

	*row = NULL;
	if (!json_is_object(rec)) {
		snprintf(why, whylen, "not a JSON object");
		return -EINVAL;
	}
	if (!id || !jr_uuid_valid(id)) {
		snprintf(why, whylen, "no valid id (a UUID is the key that deduplicates)");
		return -EINVAL;
	}
	for (i = 0; i <= JR_UUID_LEN; i++)
		lid[i] = (id[i] >= 'A' && id[i] <= 'F') ? (char)(id[i] - 'A' + 'a') : id[i];
	r = json_object();
	if (!r)
		return -ENOMEM;
	bad |= json_object_set_new(r, "id", json_string(lid));
	v = json_object_get(rec, "type");
	bad |= json_object_set_new(r, "event_type",
				   json_is_string(v) ? text_or_null(v) : json_string("unknown"));
	bad |= json_object_set_new(r, "actor", text_or_null(json_object_get(rec, "actor")));
	v = json_object_get(rec, "source");
	bad |= json_object_set_new(r, "source", text_or_null(v));
	bad |= json_object_set_new(r, "ip_address", ip_or_null(v));
	bad |= json_object_set_new(r, "resource", text_or_null(json_object_get(rec, "resource")));
	bad |= json_object_set_new(r, "action", text_or_null(json_object_get(rec, "action")));
	v = json_object_get(rec, "result");
	bad |= json_object_set_new(r, "result",
				   json_is_string(v) ? text_or_null(v) : json_string("unknown"));
	v = json_object_get(rec, "risk");
	bad |= json_object_set_new(r, "risk_score",
				   json_is_integer(v) && json_integer_value(v) >= 0 &&
						   json_integer_value(v) <= 100 ?
					   json_integer(json_integer_value(v)) :
					   json_null());
	v = json_object_get(rec, "details");
	bad |= json_object_set_new(r, "details", v ? json_incref((json_t *)v) : json_null());
	bad |= json_object_set_new(r, "timestamp", ts_or_null(json_object_get(rec, "ts"), &us));
	/* bigint: a seq past INT64_MAX (forged) cannot be stored; the id still can. */
	bad |= json_object_set_new(r, "seq", seq <= INT64_MAX ? json_integer((json_int_t)seq) :
								json_null());
	if (bad) {
		json_decref(r);
		return -ENOMEM;
	}
	*row = r;
	return 0;
}

/* ---- batches ---- */

static void batch_reset(struct pgship_batch *b)
{
	char *json = b->json;
	size_t cap = b->cap;

	memset(b, 0, sizeof(*b));
	b->json = json;
	b->cap = cap;
	if (json)
		json[0] = '\0';
}

void pgship_batch_free(struct pgship_batch *b)
{
	if (!b)
		return;
	free(b->json);
	memset(b, 0, sizeof(*b));
}

/* Append one encoded row; json stays a complete array after each call. */
static int batch_add(struct pgship_batch *b, const char *row, size_t n)
{
	size_t need = b->len + n + 3;

	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(b->json, cap);
		if (!p)
			return -ENOMEM;
		b->json = p;
		b->cap = cap;
	}
	if (!b->rows)
		b->json[b->len++] = '[';
	else
		b->json[b->len - 1] = ',';	/* the closing bracket of the last call */
	memcpy(b->json + b->len, row, n);
	b->len += n;
	b->json[b->len++] = ']';
	b->json[b->len] = '\0';
	b->rows++;
	return 0;
}

static int batch_cb(uint64_t seq, json_t *rec, void *arg)
{
	struct pgship_batch *b = arg;
	char why[128];
	json_t *row;
	char *s;
	int rc;

	if (!b->records)
		b->first_seq = seq;
	b->last_seq = seq;
	b->records++;
	rc = pgship_row(rec, seq, &row, why, sizeof(why));
	if (rc == -EINVAL) {
		b->skipped++;
		log_warnx("pgship: journal record seq %llu cannot be shipped: %s; it stays in the "
			  "journal only",
			  (unsigned long long)seq, why);
		return 0;
	}
	if (rc)
		return rc;
	if (!b->first_ts_us) {
		int64_t us;

		if (!jr_ts_parse(json_string_value(json_object_get(rec, "ts")), &us))
			b->first_ts_us = us;
	}
	s = json_dumps(row, JSON_COMPACT);
	json_decref(row);
	if (!s)
		return -ENOMEM;
	rc = batch_add(b, s, strlen(s));
	free(s);
	if (rc)
		return rc;
	return b->len >= b->max_bytes ? 1 : 0;
}

/* One read from pos into b (reset first); pos moves past what was read. */
static int batch_read(struct pgship_batch *b, const char *path, struct jr_pos *pos,
		      size_t max_records, size_t max_bytes)
{
	int rc;

	batch_reset(b);
	b->max_bytes = max_bytes;
	b->start = *pos;
	rc = jr_read_from(path, pos, max_records, batch_cb, b, &b->res);
	b->end = *pos;
	if (rc < 0) {
		/* Out of memory or unreadable: nothing of this read counts. */
		*pos = b->start;
		batch_reset(b);
		return rc;
	}
	return 0;
}

static void hash_hex(const unsigned char *h, char *out)
{
	for (int i = 0; i < JR_HASH_LEN; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

int pgship_cursor_next(struct pgship_cursor *c, size_t max_records, size_t max_bytes,
		       struct pgship_batch *b)
{
	struct jr_scan *res = &b->res;
	struct jr_pos at, np;
	bool past;
	int tries, rc;

	/* Each turn returns or moves the position (to the start, or past damage): bounded. */
	for (tries = 0; tries < 4; tries++) {
		at = c->pos;
		rc = batch_read(b, c->path, &c->pos, max_records, max_bytes);
		if (rc)
			return rc;
		if (b->records)
			c->sought = false;
		if (b->records || res->status == JR_OK)
			return 0;
		/*
		 * Nothing read: the frame at the position does not follow it.
		 * A position found past damage has no frame of its own before it
		 * to check: what is wrong there is more damage.
		 */
		rc = c->sought ? 1 : jr_pos_holds(c->path, &at);
		if (rc < 0)
			return rc;
		if (!rc) {
			log_warnx("pgship: %s does not continue where shipping stopped "
				  "(offset %lld, seq %llu): %s; shipping it again from the start "
				  "(the database drops the duplicates)",
				  c->path, (long long)at.offset, (unsigned long long)at.seq,
				  res->why);
			memset(&c->pos, 0, sizeof(c->pos));
			c->sought = false;
			c->rescans++;
			continue;
		}
		if (res->status == JR_TORN_TAIL || !res->later_frames)
			return 0;	/* a crash's leftovers: the next jr_open repairs them */
		/*
		 * Damage after the position: say so, and go on with the next
		 * sound frame. One in the wrong place (seq, chain) is shipped;
		 * bytes that are not a sound frame are not, nor is a sound frame
		 * whose payload is not a record.
		 */
		past = false;
		rc = jr_seek_frame(c->path, at.offset, false, &np);
		if (!rc && np.offset == at.offset && res->status == JR_BAD_FRAME) {
			past = true;
			rc = jr_seek_frame(c->path, at.offset, true, &np);
		}
		if (rc == -ENOENT)
			return 0;
		if (rc)
			return rc;
		c->pos = np;
		c->sought = !past;
		c->damaged++;
		log_warnx("pgship: %s: %s at seq %llu (offset %lld): %s; shipping goes on at "
			  "offset %lld (seq %llu); run 'edgewardctl audit verify'",
			  c->path, jr_status_name(res->status), (unsigned long long)res->bad_seq,
			  (long long)res->bad_offset, res->why, (long long)np.offset,
			  (unsigned long long)(np.seq + 1));
	}
	batch_reset(b);
	b->start = b->end = c->pos;
	return 0;
}

/* ---- the state file ---- */

int pgship_state_save(const char *path, const struct jr_pos *pos)
{
	char hex[2 * JR_HASH_LEN + 1], buf[256];
	int n;

	hash_hex(pos->hash, hex);
	n = snprintf(buf, sizeof(buf),
		     "{\"version\":1,\"offset\":%lld,\"seq\":%llu,\"hash\":\"%s\"}\n",
		     (long long)pos->offset, (unsigned long long)pos->seq, hex);
	return ew_write_atomic("pgship", path, buf, (size_t)n, 0600);
}

static int unhex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int pgship_state_load(const char *path, struct jr_pos *pos, char *err, size_t errlen)
{
	static const unsigned char zeros[JR_HASH_LEN];
	json_t *o = NULL, *ver, *off, *seq, *hash;
	char buf[STATE_MAX + 1];
	json_error_t jerr;
	struct jr_pos p = { 0 };
	const char *h;
	struct stat st;
	ssize_t n;
	int fd, rc, i;

	err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > STATE_MAX) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
			 STATE_MAX);
		goto out;
	}
	n = read(fd, buf, STATE_MAX);
	if (n < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	rc = -EINVAL;
	o = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		snprintf(err, errlen, "%s: not JSON: %s", path, jerr.text);
		goto out;
	}
	ver = json_object_get(o, "version");
	off = json_object_get(o, "offset");
	seq = json_object_get(o, "seq");
	hash = json_object_get(o, "hash");
	h = json_string_value(hash);
	if (!json_is_object(o) || json_object_size(o) != 4 || !json_is_integer(ver) ||
	    json_integer_value(ver) != 1 || !json_is_integer(off) || json_integer_value(off) < 0 ||
	    !json_is_integer(seq) || json_integer_value(seq) < 0 || !h ||
	    strlen(h) != 2 * JR_HASH_LEN) {
		snprintf(err, errlen, "%s: not a version 1 state (version, offset, seq, hash)",
			 path);
		goto out;
	}
	for (i = 0; i < JR_HASH_LEN; i++) {
		int hi = unhex(h[2 * i]), lo = unhex(h[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "%s: hash is not 64 lowercase hex digits", path);
			goto out;
		}
		p.hash[i] = (unsigned char)(hi << 4 | lo);
	}
	p.offset = (off_t)json_integer_value(off);
	p.seq = (uint64_t)json_integer_value(seq);
	/* The start is all zeros; anywhere else lies after at least one frame. */
	if (p.offset == 0 ? (p.seq || memcmp(p.hash, zeros, JR_HASH_LEN)) :
			    p.offset < JR_FRAME_EXTRA + 1) {
		snprintf(err, errlen, "%s: offset %lld does not go with seq %llu", path,
			 (long long)p.offset, (unsigned long long)p.seq);
		goto out;
	}
	*pos = p;
	rc = 0;
out:
	json_decref(o);
	close(fd);
	return rc;
}

/* ---- connection parameters ---- */

void pgship_params_free(struct pgship_params *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->kw[i]);
		free(p->val[i]);
	}
	free(p->kw);
	free(p->val);
	memset(p, 0, sizeof(*p));
}

static int params_add(struct pgship_params *p, const char *k, const char *v)
{
	p->kw[p->n] = strdup(k);
	p->val[p->n] = strdup(v);
	if (!p->kw[p->n] || !p->val[p->n]) {
		free(p->kw[p->n]);
		free(p->val[p->n]);
		p->kw[p->n] = p->val[p->n] = NULL;
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

int pgship_params_build(const char *conninfo, unsigned int statement_timeout_ms,
			struct pgship_params *p, char *err, size_t errlen)
{
	/* What a shipper needs unless the operator says otherwise. */
	static const char *const defaults[][2] = {
		{ "application_name", PGSHIP_APP_NAME },
		{ "keepalives", "1" },
		{ "keepalives_idle", "30" },
		{ "keepalives_interval", "10" },
		{ "keepalives_count", "3" },
	};
	PQconninfoOption *opts, *o;
	const char *user_options = NULL;
	char *perr = NULL, opt[512];
	size_t n = 0, i;
	int rc = -ENOMEM;

	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	opts = PQconninfoParse(conninfo ? conninfo : "", &perr);
	if (!opts) {
		if (perr) {
			snprintf(err, errlen, "%s", perr);
			err[strcspn(err, "\n")] = '\0';
			PQfreemem(perr);
			return -EINVAL;
		}
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (o = opts; o->keyword; o++)
		n++;
	/* client_encoding, options, a hostaddr given at connect time, the NULL. */
	n += sizeof(defaults) / sizeof(defaults[0]) + 4;
	p->kw = calloc(n, sizeof(char *));
	p->val = calloc(n, sizeof(char *));
	if (!p->kw || !p->val)
		goto fail;
	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "options")) {
			user_options = o->val;
			continue;
		}
		/* Rows are encoded as UTF-8 JSON: the server must read them as such. */
		if (!strcmp(o->keyword, "client_encoding"))
			continue;
		if (params_add(p, o->keyword, o->val))
			goto fail;
	}
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		for (o = opts; o->keyword; o++)
			if (!strcmp(o->keyword, defaults[i][0]))
				break;
		if ((!o->keyword || !o->val) && params_add(p, defaults[i][0], defaults[i][1]))
			goto fail;
	}
	if (params_add(p, "client_encoding", "UTF8"))
		goto fail;
	if ((size_t)snprintf(opt, sizeof(opt), "%s%s-c statement_timeout=%u",
			     user_options ? user_options : "", user_options ? " " : "",
			     statement_timeout_ms) >= sizeof(opt)) {
		rc = -EINVAL;
		snprintf(err, errlen, "options is longer than %zu bytes", sizeof(opt) - 40);
		goto fail;
	}
	if (params_add(p, "options", opt))
		goto fail;
	PQconninfoFree(opts);
	return 0;
fail:
	if (rc == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	PQconninfoFree(opts);
	pgship_params_free(p);
	return rc;
}

/* ---- the shipper ---- */

enum ps_state { PS_DOWN, PS_CONNECTING, PS_IDLE, PS_BUSY };

struct pgship {
	struct event_base *base;
	struct pgship_params params;
	char *node, *journal_path, *state_path;
	const struct jr *journal;
	size_t batch_max, batch_max_bytes;
	unsigned int timeout_ms, backoff_min_ms, backoff_max_ms, poll_ms;

	struct pgaddr *addr;		/* the host's lookup */
	PGconn *conn;
	enum ps_state state;
	struct event *ev_sock, *ev_retry, *ev_deadline, *ev_poll, *ev_kick;
	bool ever_connected, tried;

	struct jr_pos shipped;		/* committed and saved */
	struct pgship_cursor cur;	/* where the next batch is read from */
	struct pgship_batch batches[2];
	struct pgship_batch *flight;	/* sent (or about to be), not yet committed */
	struct pgship_batch *next;	/* read ahead while flight is out */

	unsigned int backoff_ms;
	uint32_t rnd;			/* xorshift state for the jitter */
	unsigned int rejected_run;	/* single rows refused in a row */
	size_t limit;			/* records per batch now: halved to isolate a bad row */
	uint64_t limit_until;		/* back to batch_max once this seq is committed */

	/* The answer to the batch in flight. */
	bool ok_seen, err_seen;
	uint64_t inserted_now;
	char sqlstate[6];
	char errmsg[256];

	char last_log[256];		/* the last error logged: repeats go to debug */
	uint64_t repeats;
	bool read_failing;
	struct pgship_stats st;
};

static void ps_pump(struct pgship *ps);

static void ps_err(struct pgship *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Errors repeat every backoff while the database is away: log each new one once. */
static void ps_err(struct pgship *ps, const char *fmt, ...)
{
	char msg[sizeof(ps->last_log)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->st.errors++;
	if (!strcmp(msg, ps->last_log)) {
		ps->repeats++;
		log_debug("pgship: %s (again)", msg);
		return;
	}
	snprintf(ps->last_log, sizeof(ps->last_log), "%s", msg);
	ps->repeats = 0;
	log_warnx("pgship: %s", msg);
}

/* libpq's messages end in a newline and may span lines: one line for the log. */
static void one_line(char *dst, size_t len, const char *src)
{
	size_t i, o = 0;

	for (i = 0; src && src[i] && o + 1 < len; i++) {
		char ch = (src[i] == '\n' || src[i] == '\r' || src[i] == '\t') ? ' ' : src[i];

		if (ch != ' ' || (o && dst[o - 1] != ' '))
			dst[o++] = ch;
	}
	while (o && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

static void ps_notice(void *arg, const char *message)
{
	char line[256];

	(void)arg;
	one_line(line, sizeof(line), message);
	log_debug("pgship: server notice: %s", line);
}

static void ps_timer(struct event *ev, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

static bool batch_present(const struct pgship_batch *b)
{
	return b && b->records;
}

/* Forget what was read but not committed: it is read again from its start. */
static void ps_requeue(struct pgship *ps)
{
	if (batch_present(ps->flight))
		ps->cur.pos = ps->flight->start;
	else if (batch_present(ps->next))
		ps->cur.pos = ps->next->start;
	batch_reset(ps->flight);
	batch_reset(ps->next);
}

static void ps_watch(struct pgship *ps, short what);

/* Retry later: the delay doubles up to the maximum, with +-25% so restarts do not align. */
static void ps_retry_later(struct pgship *ps)
{
	unsigned int d = ps->backoff_ms, j = d / 2;

	ps->rnd ^= ps->rnd << 13;
	ps->rnd ^= ps->rnd >> 17;
	ps->rnd ^= ps->rnd << 5;
	if (j)
		d = d - d / 4 + ps->rnd % (j + 1);
	ps_timer(ps->ev_retry, d);
	ps->backoff_ms = ps->backoff_ms >= ps->backoff_max_ms / 2 ? ps->backoff_max_ms :
								    ps->backoff_ms * 2;
}

static void ps_drop(struct pgship *ps)
{
	if (ps->state == PS_BUSY)
		ps->st.lost++;
	event_del(ps->ev_sock);
	event_del(ps->ev_deadline);
	pgaddr_cancel(ps->addr);
	if (ps->conn)
		PQfinish(ps->conn);
	ps->conn = NULL;
	ps->state = PS_DOWN;
	ps->st.connected = false;
	ps_requeue(ps);
	ps_retry_later(ps);
}

/* hostaddr: the host's address looked up by pgaddr, or NULL. */
static void ps_connect_to(struct pgship *ps, const char *hostaddr)
{
	char msg[200];

	/* A spare slot after the parameters (pgship_params_build keeps one). */
	if (hostaddr) {
		ps->params.kw[ps->params.n] = (char *)"hostaddr";
		ps->params.val[ps->params.n] = (char *)hostaddr;
	}
	ps->conn = PQconnectStartParams((const char *const *)ps->params.kw,
					(const char *const *)ps->params.val, 0);
	ps->params.kw[ps->params.n] = ps->params.val[ps->params.n] = NULL;
	if (!ps->conn) {
		ps_err(ps, "cannot start connecting to PostgreSQL: out of memory");
		ps_retry_later(ps);
		return;
	}
	if (PQstatus(ps->conn) == CONNECTION_BAD) {
		one_line(msg, sizeof(msg), PQerrorMessage(ps->conn));
		ps_err(ps, "cannot connect to PostgreSQL: %s", msg);
		ps_drop(ps);
		return;
	}
	PQsetNoticeProcessor(ps->conn, ps_notice, ps);
	ps->state = PS_CONNECTING;
	ps_timer(ps->ev_deadline, ps->timeout_ms + DEADLINE_MARGIN_MS);
	/* libpq: after PQconnectStart, poll as if PGRES_POLLING_WRITING had been returned. */
	ps_watch(ps, EV_WRITE);
}

static void ps_on_addr(void *arg, const char *hostaddr, const char *err)
{
	struct pgship *ps = arg;

	if (err) {
		ps_err(ps, "cannot connect to PostgreSQL: %s", err);
		ps_drop(ps);
		return;
	}
	ps_connect_to(ps, hostaddr);
}

/* A host name is looked up first, without blocking the loop (pgaddr.h). */
static void ps_connect(struct pgship *ps)
{
	if (ps->tried)
		ps->st.reconnects++;
	ps->tried = true;
	if (!pgaddr_needed(ps->addr)) {
		ps_connect_to(ps, NULL);
		return;
	}
	ps->state = PS_CONNECTING;
	ps_timer(ps->ev_deadline, ps->timeout_ms + DEADLINE_MARGIN_MS);
	if (pgaddr_resolve(ps->addr, ps_on_addr, ps)) {
		ps_err(ps, "cannot look up the PostgreSQL host: out of memory");
		ps_drop(ps);
	}
}

static void ps_connect_poll(struct pgship *ps)
{
	char msg[200];

	switch (PQconnectPoll(ps->conn)) {
	case PGRES_POLLING_READING:
		ps_watch(ps, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		ps_watch(ps, EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		one_line(msg, sizeof(msg), PQerrorMessage(ps->conn));
		ps_err(ps, "cannot connect to PostgreSQL: %s", msg);
		ps_drop(ps);
		return;
	}
	event_del(ps->ev_deadline);
	if (PQsetnonblocking(ps->conn, 1)) {
		ps_err(ps, "cannot make the PostgreSQL connection non-blocking");
		ps_drop(ps);
		return;
	}
	ps->state = PS_IDLE;
	ps->st.connected = true;
	if (!ps->ever_connected || ps->last_log[0])
		log_info("pgship: connected to PostgreSQL %d (node %s), shipping %s from seq %llu",
			 PQserverVersion(ps->conn), ps->node, ps->journal_path,
			 (unsigned long long)(ps->shipped.seq + 1));
	ps->ever_connected = true;
	ps_watch(ps, EV_READ);
	ps_pump(ps);
}

static void ps_on_sock(evutil_socket_t fd, short what, void *arg);

/* Wait for the connection's socket; it may change while connecting (another host, SSL retry). */
static void ps_watch(struct pgship *ps, short what)
{
	int fd = PQsocket(ps->conn);

	event_del(ps->ev_sock);
	if (fd < 0) {
		ps_err(ps, "the PostgreSQL connection has no socket");
		ps_drop(ps);
		return;
	}
	event_assign(ps->ev_sock, ps->base, fd, what, ps_on_sock, ps);
	event_add(ps->ev_sock, NULL);
}

static bool sqlstate_is(const struct pgship *ps, const char *prefix)
{
	return !strncmp(ps->sqlstate, prefix, strlen(prefix));
}

/*
 * The batch is in: move the saved position past it. With send_next, the
 * read-ahead batch goes out first, so the server works on it while the
 * state file is synced; otherwise it goes through the loop (a batch of only
 * unshippable records commits from ps_pump, which must not recurse).
 */
static void ps_commit(struct pgship *ps, uint64_t inserted, bool send_next)
{
	struct pgship_batch *b = ps->flight;
	int rc;

	ps->shipped = b->end;
	ps->st.shipped += b->records;
	ps->st.inserted += inserted;
	ps->st.batches++;
	ps->st.shipped_seq = ps->shipped.seq;
	if (ps->limit < ps->batch_max && b->last_seq >= ps->limit_until)
		ps->limit = ps->batch_max;
	ps->backoff_ms = ps->backoff_min_ms;
	batch_reset(b);
	if (send_next)
		ps_pump(ps);
	else
		event_active(ps->ev_kick, EV_TIMEOUT, 0);
	/* Whatever is committed by now: a commit inside ps_pump moved it further. */
	rc = pgship_state_save(ps->state_path, &ps->shipped);
	if (rc)
		/* Not fatal: after a restart the batches since the last save go again. */
		ps_err(ps, "cannot save the shipped position to %s: %s", ps->state_path,
		       strerror(-rc));
	if (ps->last_log[0] && !rc) {
		if (ps->repeats)
			log_info("pgship: shipping again (the last error came %llu more times)",
				 (unsigned long long)ps->repeats);
		else
			log_info("pgship: shipping again");
		ps->last_log[0] = '\0';
		ps->repeats = 0;
	}
}

static void ps_send(struct pgship *ps)
{
	const char *values[2];
	char msg[200];
	int r;

	values[0] = ps->flight->json;
	values[1] = ps->node;
	if (!PQsendQueryParams(ps->conn, pgship_sql, 2, NULL, values, NULL, NULL, 0)) {
		one_line(msg, sizeof(msg), PQerrorMessage(ps->conn));
		ps_err(ps, "cannot send a batch: %s", msg);
		ps_drop(ps);
		return;
	}
	ps->state = PS_BUSY;
	ps->ok_seen = ps->err_seen = false;
	ps->inserted_now = 0;
	ps->sqlstate[0] = ps->errmsg[0] = '\0';
	ps_timer(ps->ev_deadline, ps->timeout_ms + DEADLINE_MARGIN_MS);
	r = PQflush(ps->conn);
	if (r < 0) {
		one_line(msg, sizeof(msg), PQerrorMessage(ps->conn));
		ps_err(ps, "cannot send a batch: %s", msg);
		ps_drop(ps);
		return;
	}
	ps_watch(ps, r ? EV_READ | EV_WRITE : EV_READ);
	/* The server is busy with the batch: read and encode the next one meanwhile. */
	ps_pump(ps);
}

static void ps_result(struct pgship *ps, PGresult *res)
{
	const char *st;

	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
		ps->ok_seen = true;
		ps->inserted_now = strtoull(PQcmdTuples(res), NULL, 10);
		return;
	default:
		ps->err_seen = true;
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(ps->sqlstate, sizeof(ps->sqlstate), "%s", st ? st : "");
		one_line(ps->errmsg, sizeof(ps->errmsg), PQresultErrorMessage(res));
		if (!ps->errmsg[0])
			snprintf(ps->errmsg, sizeof(ps->errmsg), "unexpected result %s",
				 PQresStatus(PQresultStatus(res)));
	}
}

/* The server refused the batch on a sound connection. */
static void ps_refused(struct pgship *ps)
{
	struct pgship_batch *b = ps->flight;
	bool data = sqlstate_is(ps, "22") || sqlstate_is(ps, "23");

	if (data && b->rows == 1 && ps->rejected_run >= REJECT_RUN_MAX) {
		/* Every row fails: the table or the node name is wrong, not the rows. */
		ps_err(ps, "PostgreSQL refuses record after record (%s, SQLSTATE %s); holding "
			   "shipping until that is fixed",
		       ps->errmsg, ps->sqlstate);
		ps_requeue(ps);
		ps_retry_later(ps);
		return;
	}
	if (data && b->rows == 1) {
		/* The one bad row, found: it cannot go, and must not hold up the rest. */
		ps->rejected_run++;
		log_warnx("pgship: PostgreSQL refused journal record seq %llu: %s (SQLSTATE %s); "
			  "it stays in the journal only",
			  (unsigned long long)b->last_seq, ps->errmsg, ps->sqlstate);
		ps->st.rejected++;
		ps->st.errors++;
		ps_commit(ps, 0, true);
		return;
	}
	ps_err(ps, "PostgreSQL refused a batch of %zu records (seq %llu..%llu): %s (SQLSTATE %s)",
	       b->records, (unsigned long long)b->first_seq, (unsigned long long)b->last_seq,
	       ps->errmsg, ps->sqlstate);
	/*
	 * A bad row (data error) or a batch too slow for statement_timeout
	 * (57014): halve the batch until it goes through or the row is alone.
	 */
	if ((data || sqlstate_is(ps, "57014")) && b->records > 1) {
		ps->limit = b->records / 2;
		if (b->last_seq > ps->limit_until)
			ps->limit_until = b->last_seq;
	}
	ps_requeue(ps);
	if (data) {
		event_active(ps->ev_kick, EV_TIMEOUT, 0);
		return;
	}
	ps_retry_later(ps);
}

/* The answer is complete (ReadyForQuery): committed, refused, or the connection is gone. */
static void ps_done(struct pgship *ps)
{
	bool conn_ok = PQstatus(ps->conn) == CONNECTION_OK;

	event_del(ps->ev_deadline);
	if (conn_ok && ps->ok_seen && !ps->err_seen &&
	    PQtransactionStatus(ps->conn) == PQTRANS_IDLE) {
		ps->state = PS_IDLE;
		ps->rejected_run = 0;
		ps_watch(ps, EV_READ);
		ps_commit(ps, ps->inserted_now, true);
		return;
	}
	/* No SQLSTATE: libpq's own error (the connection broke); 08 connection, 57P shutdown. */
	if (!conn_ok || !ps->sqlstate[0] || sqlstate_is(ps, "08") || sqlstate_is(ps, "57P")) {
		ps_err(ps, "lost PostgreSQL with a batch in flight (it goes again): %s",
		       ps->errmsg[0] ? ps->errmsg : "connection closed");
		ps_drop(ps);
		return;
	}
	ps->state = PS_IDLE;
	ps_watch(ps, EV_READ);
	ps_refused(ps);
}

static void ps_io(struct pgship *ps, short what)
{
	PGresult *res;
	char msg[200];
	int r;

	if ((what & EV_READ) && !PQconsumeInput(ps->conn)) {
		one_line(msg, sizeof(msg), PQerrorMessage(ps->conn));
		ps_err(ps, "lost PostgreSQL with a batch in flight (it goes again): %s", msg);
		ps_drop(ps);
		return;
	}
	r = PQflush(ps->conn);
	if (r < 0) {
		one_line(msg, sizeof(msg), PQerrorMessage(ps->conn));
		ps_err(ps, "lost PostgreSQL while sending a batch (it goes again): %s", msg);
		ps_drop(ps);
		return;
	}
	while (!PQisBusy(ps->conn)) {
		res = PQgetResult(ps->conn);
		if (!res) {
			ps_done(ps);
			return;
		}
		ps_result(ps, res);
		PQclear(res);
	}
	ps_watch(ps, r ? EV_READ | EV_WRITE : EV_READ);
	/* The server is busy with the batch: read and encode the next one meanwhile. */
	ps_pump(ps);
}

static void ps_on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct pgship *ps = arg;
	PGnotify *nt;
	char msg[200];

	(void)fd;
	switch (ps->state) {
	case PS_CONNECTING:
		ps_connect_poll(ps);
		return;
	case PS_BUSY:
		ps_io(ps, what);
		return;
	case PS_IDLE:
		/* Nothing is expected: an error before a close (a terminated backend), or EOF. */
		if (!PQconsumeInput(ps->conn) || PQstatus(ps->conn) != CONNECTION_OK) {
			one_line(msg, sizeof(msg), PQerrorMessage(ps->conn));
			ps_err(ps, "lost PostgreSQL while idle: %s",
			       msg[0] ? msg : "connection closed");
			ps_drop(ps);
			return;
		}
		while ((nt = PQnotifies(ps->conn)))
			PQfreemem(nt);
		ps_watch(ps, EV_READ);
		return;
	case PS_DOWN:
		return;
	}
}

static void ps_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct pgship *ps = arg;

	(void)fd;
	(void)what;
	if (ps->state == PS_CONNECTING)
		ps_err(ps, "no answer from PostgreSQL within %u ms while connecting",
		       ps->timeout_ms + DEADLINE_MARGIN_MS);
	else if (ps->state == PS_BUSY)
		ps_err(ps, "no answer from PostgreSQL to a batch within %u ms; dropping the "
			   "connection (the batch goes again)",
		       ps->timeout_ms + DEADLINE_MARGIN_MS);
	else
		return;
	ps_drop(ps);
}

/* Read a batch into b unless it holds one; bounded by the batch limits. */
static void ps_read(struct pgship *ps, struct pgship_batch *b)
{
	int rc;

	if (batch_present(b))
		return;
	rc = pgship_cursor_next(&ps->cur, ps->limit, ps->batch_max_bytes, b);
	ps->st.rescans = ps->cur.rescans;
	ps->st.damaged = ps->cur.damaged;
	if (rc) {
		if (!ps->read_failing)
			log_warnx("pgship: cannot read the journal %s: %s", ps->journal_path,
				  strerror(-rc));
		ps->read_failing = true;
		return;
	}
	if (ps->read_failing)
		log_info("pgship: the journal %s is readable again", ps->journal_path);
	ps->read_failing = false;
	ps->st.skipped += b->skipped;
}

/* Do whatever can be done now: send the next batch, or read ahead. */
static void ps_pump(struct pgship *ps)
{
	struct pgship_batch *t;

	if (ps->state == PS_IDLE && !batch_present(ps->flight)) {
		if (!batch_present(ps->next))
			ps_read(ps, ps->next);
		/* After a refusal the retry timer says when: kicks must not skip the backoff. */
		if (!batch_present(ps->next) || evtimer_pending(ps->ev_retry, NULL))
			return;
		t = ps->flight;
		ps->flight = ps->next;
		ps->next = t;
		if (!ps->flight->rows) {
			/* Only records that cannot be shipped: nothing to send, the position moves. */
			ps_commit(ps, 0, false);
			return;
		}
		ps_send(ps);
		return;
	}
	if (ps->state == PS_BUSY && !batch_present(ps->next))
		ps_read(ps, ps->next);
	else if (ps->state == PS_DOWN && !batch_present(ps->next))
		ps_read(ps, ps->next);	/* only so lag_seconds knows the oldest record */
}

static void ps_on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ps_pump(arg);
}

static void ps_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct pgship *ps = arg;

	(void)fd;
	(void)what;
	if (ps->state == PS_DOWN)
		ps_connect(ps);
	else
		ps_pump(ps);
}

static void ps_on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ps_pump(arg);
}

void pgship_kick(struct pgship *ps)
{
	if (ps)
		event_active(ps->ev_kick, EV_TIMEOUT, 0);
}

void pgship_stats(struct pgship *ps, struct pgship_stats *st)
{
	const struct pgship_batch *oldest = NULL;
	uint64_t last = ps->cur.pos.seq;
	struct stat sb;
	struct timespec now;

	*st = ps->st;
	st->shipped_seq = ps->shipped.seq;
	if (ps->journal && jr_last_seq(ps->journal) > last)
		last = jr_last_seq(ps->journal);
	st->lag_records = last > ps->shipped.seq ? last - ps->shipped.seq : 0;
	st->lag_bytes = 0;
	if (!stat(ps->journal_path, &sb) && sb.st_size > ps->shipped.offset)
		st->lag_bytes = (uint64_t)(sb.st_size - ps->shipped.offset);
	if (batch_present(ps->flight))
		oldest = ps->flight;
	else if (batch_present(ps->next))
		oldest = ps->next;
	st->lag_seconds = 0;
	if (oldest && oldest->first_ts_us) {
		clock_gettime(CLOCK_REALTIME, &now);
		st->lag_seconds = ((double)now.tv_sec * 1e6 + now.tv_nsec / 1000 -
				   (double)oldest->first_ts_us) / 1e6;
		if (st->lag_seconds < 0)
			st->lag_seconds = 0;
	}
}

void pgship_free(struct pgship *ps)
{
	if (!ps)
		return;
	if (ps->ev_sock)
		event_free(ps->ev_sock);
	if (ps->ev_retry)
		event_free(ps->ev_retry);
	if (ps->ev_deadline)
		event_free(ps->ev_deadline);
	if (ps->ev_poll)
		event_free(ps->ev_poll);
	if (ps->ev_kick)
		event_free(ps->ev_kick);
	pgaddr_free(ps->addr);
	if (ps->conn)
		PQfinish(ps->conn);
	pgship_batch_free(&ps->batches[0]);
	pgship_batch_free(&ps->batches[1]);
	pgship_params_free(&ps->params);
	free(ps->node);
	free(ps->journal_path);
	free(ps->state_path);
	free(ps);
}

struct pgship *pgship_new(struct event_base *base, const struct pgship_conf *conf)
{
	char err[256], host[256];
	struct timeval poll;
	struct pgship *ps;
	int rc;

	if (!base || !conf || !conf->conninfo || !conf->journal_path || !conf->state_path) {
		log_warnx("pgship: conninfo, journal and state paths are required");
		return NULL;
	}
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		goto nomem;
	ps->base = base;
	ps->journal = conf->journal;
	ps->batch_max = conf->batch_max ? conf->batch_max : PGSHIP_BATCH_MAX;
	ps->batch_max_bytes = conf->batch_max_bytes ? conf->batch_max_bytes :
						      PGSHIP_BATCH_MAX_BYTES;
	ps->timeout_ms = conf->statement_timeout_ms ? conf->statement_timeout_ms :
						      PGSHIP_TIMEOUT_MS;
	ps->backoff_min_ms = conf->backoff_min_ms ? conf->backoff_min_ms : PGSHIP_BACKOFF_MIN_MS;
	ps->backoff_max_ms = conf->backoff_max_ms ? conf->backoff_max_ms : PGSHIP_BACKOFF_MAX_MS;
	if (ps->backoff_max_ms < ps->backoff_min_ms)
		ps->backoff_max_ms = ps->backoff_min_ms;
	ps->poll_ms = conf->poll_ms ? conf->poll_ms : PGSHIP_POLL_MS;
	ps->backoff_ms = ps->backoff_min_ms;
	ps->limit = ps->batch_max;
	if (!conf->node) {
		if (gethostname(host, sizeof(host)))
			snprintf(host, sizeof(host), "unknown");
		host[sizeof(host) - 1] = '\0';
	}
	ps->node = strdup(conf->node ? conf->node : host);
	ps->journal_path = strdup(conf->journal_path);
	ps->state_path = strdup(conf->state_path);
	if (!ps->node || !ps->journal_path || !ps->state_path)
		goto nomem;
	rc = pgship_params_build(conf->conninfo, ps->timeout_ms, &ps->params, err, sizeof(err));
	if (rc) {
		log_warnx("pgship: database conninfo: %s", err);
		goto fail;
	}
	ps->addr = pgaddr_new(base, conf->conninfo);
	if (!ps->addr)
		goto nomem;
	rc = pgship_state_load(ps->state_path, &ps->shipped, err, sizeof(err));
	if (rc && rc != -ENOENT)
		log_warnx("pgship: %s; shipping the journal from the start (the database drops "
			  "the duplicates)",
			  err);
	ps->st.shipped_seq = ps->shipped.seq;
	ps->cur.path = ps->journal_path;
	ps->cur.pos = ps->shipped;
	ps->flight = &ps->batches[0];
	ps->next = &ps->batches[1];
	ps->ev_sock = event_new(base, -1, 0, ps_on_sock, ps);
	ps->ev_retry = evtimer_new(base, ps_on_retry, ps);
	ps->ev_deadline = evtimer_new(base, ps_on_deadline, ps);
	ps->ev_poll = event_new(base, -1, EV_PERSIST, ps_on_poll, ps);
	ps->ev_kick = event_new(base, -1, 0, ps_on_kick, ps);
	if (!ps->ev_sock || !ps->ev_retry || !ps->ev_deadline || !ps->ev_poll || !ps->ev_kick)
		goto nomem;
	poll.tv_sec = ps->poll_ms / 1000;
	poll.tv_usec = (ps->poll_ms % 1000) * 1000;
	event_add(ps->ev_poll, &poll);
	ps->rnd = (uint32_t)getpid() * 2654435761U ^ (uint32_t)time(NULL) ^ 1;
	ps_connect(ps);
	return ps;
nomem:
	log_warnx("pgship: out of memory");
fail:
	pgship_free(ps);
	return NULL;
}
