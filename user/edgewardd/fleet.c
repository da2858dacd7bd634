// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fleet blocklist over PostgreSQL (see fleet.h for the model).
 *
 * One libpq connection, non-blocking, driven by the event loop: connecting
 * (PQconnectPoll on the socket), then at most one query in flight at a time,
 * chosen by fl_kick: LISTEN set-up, full resync, read-back of notified
 * addresses (batched), publishes, security event fetches. Notifications are
 * read with PQconsumeInput + PQnotifies whenever the socket is readable.
 *
 * Why the order is safe: the LISTENs commit before the resync's snapshot is
 * taken, and PostgreSQL delivers notifications in commit order, only between
 * queries. A notification delivered before the resync's answer is for a
 * commit the snapshot already holds; one after it is read back after the
 * snapshot is applied. A read-back always returns the row's current state, so
 * applying it twice, or late, converges on the table.
 *
 * What is lost while disconnected (notifications) is repaired by the resync
 * on reconnect; what is decided locally meanwhile waits in the publish queue.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <postgresql/libpq-fe.h>

#include "fleet.h"
#include "pgaddr.h"
#include "journal.h"
#include "log.h"
#include "parse.h"

#define NS_PER_MS	1000000ULL
#define NS_PER_S	1000000000ULL
/* Lives longer than this are cut to it: far-future rows stay far-future, without overflow. */
#define MAX_LIFE_MS	(100LL * 366 * 86400 * 1000)
/* 10000-01-01T00:00:00Z: later "times" are garbage. */
#define MAX_EPOCH_S	253402300800LL
/* A resync that failed, or a notification flood that overflowed, waits this long. */
#define RESYNC_RETRY_NS (5 * NS_PER_S)
/* Rows logged one by one per resync; the rest are only counted. */
#define ROW_WARN_MAX	10
/* CIDRs named in one audit record; the rest are counted. */
#define AUDIT_LIST_MAX	64
#define EW_STR_(x)	#x
#define EW_STR(x)	EW_STR_(x)

/* ---- pure parts ---- */

void fleet_reason_copy(char *dst, const char *src)
{
	size_t n = 0;

	if (src) {
		for (; src[n] && n < EW_REASON_TEXT_LEN - 1; n++) {
			unsigned char ch = (unsigned char)src[n];

			dst[n] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		/* Cut inside a UTF-8 sequence: drop the sequence's leading bytes too. */
		if (src[n] && ((unsigned char)src[n] & 0xc0) == 0x80) {
			while (n > 0 && ((unsigned char)dst[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 0 && ((unsigned char)dst[n - 1] & 0xc0) == 0xc0)
				n--;
		}
	}
	dst[n] = '\0';
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A canonical address or CIDR, never /0 (a fleet row cannot black-hole everything). */
static int cidr_of(const char *s, struct ew_cidr *c, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	int r = ew_cidr_parse(s, 0, c, err, errlen);

	if (r)
		return -EINVAL;
	if (ew_cidr_is_everything(c))
		return fail(err, errlen, "%s covers every address: refused from the fleet",
			    ew_quote(s, q, sizeof(q)));
	return 0;
}

int fleet_note_parse(const char *payload, struct fleet_note *out, char *err, size_t errlen)
{
	json_t *root = NULL, *v;
	json_error_t je;
	const char *op;
	double d;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!payload)
		return fail(err, errlen, "no payload");
	if (strnlen(payload, FLEET_PAYLOAD_MAX + 1) > FLEET_PAYLOAD_MAX)
		return fail(err, errlen, "payload longer than %d bytes", FLEET_PAYLOAD_MAX);
	root = json_loads(payload, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		fail(err, errlen, "not JSON: %s", je.text);
		goto out;
	}
	if (!json_is_object(root)) {
		fail(err, errlen, "not a JSON object");
		goto out;
	}
	op = json_string_value(json_object_get(root, "op"));
	if (!op) {
		fail(err, errlen, "\"op\" missing or not a string");
		goto out;
	}
	if (!strcasecmp(op, "truncate")) {
		/* The whole table went: a listener reloads it, nothing else to read. */
		out->op = FLEET_OP_TRUNCATE;
		r = 0;
		goto out;
	} else if (!strcasecmp(op, "insert")) {
		out->op = FLEET_OP_INSERT;
	} else if (!strcasecmp(op, "update")) {
		out->op = FLEET_OP_UPDATE;
	} else if (!strcasecmp(op, "delete")) {
		out->op = FLEET_OP_DELETE;
	} else {
		char q[EW_QUOTE_LEN];

		fail(err, errlen, "\"op\" %s: expected insert, update, delete or truncate",
		     ew_quote(op, q, sizeof(q)));
		goto out;
	}
	v = json_object_get(root, "ip");
	if (!json_is_string(v)) {
		fail(err, errlen, "\"ip\" missing or not a string");
		goto out;
	}
	if (cidr_of(json_string_value(v), &out->cidr, err, errlen))
		goto out;
	v = json_object_get(root, "blocked_until");
	if (!v || json_is_null(v)) {
		out->until_ms = FLEET_FOREVER;
	} else if (json_is_number(v)) {
		d = json_number_value(v);
		/* Seconds since 1970 up to the year 9999: anything else is not a time. */
		if (!(d >= 0 && d < (double)MAX_EPOCH_S)) {
			fail(err, errlen, "\"blocked_until\" %g: not epoch seconds", d);
			goto out;
		}
		out->until_ms = (int64_t)(d * 1000.0);
	} else {
		fail(err, errlen, "\"blocked_until\" is neither null nor a number");
		goto out;
	}
	v = json_object_get(root, "reason");
	if (v && !json_is_null(v) && !json_is_string(v)) {
		fail(err, errlen, "\"reason\" is neither null nor a string");
		goto out;
	}
	fleet_reason_copy(out->reason, json_string_value(v));
	r = 0;
out:
	json_decref(root);
	return r;
}

int fleet_event_id_parse(const char *payload, char id[FLEET_UUID_LEN + 1])
{
	id[0] = '\0';
	if (!payload || strnlen(payload, FLEET_UUID_LEN + 1) != FLEET_UUID_LEN)
		return -EINVAL;
	for (int i = 0; i < FLEET_UUID_LEN; i++) {
		char ch = payload[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-')
				return -EINVAL;
		} else if (ch >= '0' && ch <= '9') {
		} else if ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')) {
			ch |= 0x20;
		} else {
			return -EINVAL;
		}
		id[i] = ch;
	}
	id[FLEET_UUID_LEN] = '\0';
	return 0;
}

int fleet_expiry(int64_t until_ms, int64_t now_ms, uint64_t boot_ns, uint64_t *expires_ns)
{
	int64_t left_ms;

	*expires_ns = 0;
	if (until_ms == FLEET_FOREVER)
		return 0;
	if (until_ms <= now_ms)
		return -ETIME;
	/* until_ms > now_ms: the difference fits unless it is huge, which is cut anyway. */
	if (now_ms < 0 && until_ms > INT64_MAX + now_ms)
		left_ms = MAX_LIFE_MS;
	else
		left_ms = until_ms - now_ms;
	if (left_ms > MAX_LIFE_MS)
		left_ms = MAX_LIFE_MS;
	*expires_ns = boot_ns + (uint64_t)left_ms * NS_PER_MS;
	/* 0 means never: a block ending at boot time 0 cannot be asked for. */
	if (!*expires_ns)
		*expires_ns = 1;
	return 0;
}

static int ms_parse(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || s[0] == ' ' || s[0] == '+')
		return -EINVAL;
	*out = v;
	return 0;
}

int fleet_row_parse(const char *ip, const char *until_ms, const char *now_ms, const char *reason,
		    uint64_t boot_ns, struct fleet_want *w, char *err, size_t errlen)
{
	int64_t until = FLEET_FOREVER, now;

	memset(w, 0, sizeof(*w));
	if (!ip)
		return fail(err, errlen, "NULL address");
	if (cidr_of(ip, &w->cidr, err, errlen))
		return -EINVAL;
	if (until_ms && ms_parse(until_ms, &until))
		return fail(err, errlen, "blocked_until is not a number of milliseconds");
	if (ms_parse(now_ms, &now))
		return fail(err, errlen, "now() is not a number of milliseconds");
	if (until == FLEET_FOREVER && until_ms)
		until--;	/* a finite row that happens to spell the sentinel */
	if (fleet_expiry(until, now, boot_ns, &w->expires_ns))
		return -ETIME;
	fleet_reason_copy(w->reason, reason);
	return 0;
}

static int cidr_cmp(const struct ew_cidr *a, const struct ew_cidr *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r;
	return a->plen < b->plen ? -1 : a->plen > b->plen;
}

static int have_ptr_cmp(const void *a, const void *b)
{
	return cidr_cmp(&(*(const struct ew_bl_row *const *)a)->cidr,
			&(*(const struct ew_bl_row *const *)b)->cidr);
}

static int want_ptr_cmp(const void *a, const void *b)
{
	return cidr_cmp(&(*(const struct fleet_want *const *)a)->cidr,
			&(*(const struct fleet_want *const *)b)->cidr);
}

/* Does expiry a outlive b (0 = never)? */
static bool outlives(uint64_t a, uint64_t b)
{
	if (!a)
		return b != 0;
	return b && a > b;
}

static bool same_rule(const struct ew_bl_row *h, const struct fleet_want *w)
{
	uint64_t a = h->b.expires_ns, b = w->expires_ns;

	if (strcmp(h->reason, w->reason))
		return false;
	if (!a || !b)
		return a == b;
	return (a > b ? a - b : b - a) <= FLEET_EXPIRY_SLACK_NS;
}

static void plan_add(struct fleet_plan *p, const struct fleet_want *w)
{
	struct ew_bl_entry *e = &p->add[p->n_add++];

	memset(e, 0, sizeof(*e));
	e->cidr = w->cidr;
	e->expires_ns = w->expires_ns;
	e->origin = EW_ORIGIN_FLEET;
	memcpy(e->reason, w->reason, sizeof(e->reason));
}

int fleet_diff(const struct ew_bl_row *have, size_t n_have, const struct fleet_want *want,
	       size_t n_want, uint64_t now_ns, struct fleet_plan *plan)
{
	const struct ew_bl_row **H = NULL;
	const struct fleet_want **W = NULL;
	size_t i = 0, j = 0;
	int ret = -ENOMEM;

	memset(plan, 0, sizeof(*plan));
	H = malloc((n_have ? n_have : 1) * sizeof(*H));
	W = malloc((n_want ? n_want : 1) * sizeof(*W));
	plan->add = malloc((n_want ? n_want : 1) * sizeof(*plan->add));
	plan->del = malloc((n_have ? n_have : 1) * sizeof(*plan->del));
	if (!H || !W || !plan->add || !plan->del)
		goto out;
	for (size_t k = 0; k < n_have; k++)
		H[k] = &have[k];
	for (size_t k = 0; k < n_want; k++)
		W[k] = &want[k];
	qsort(H, n_have, sizeof(*H), have_ptr_cmp);
	qsort(W, n_want, sizeof(*W), want_ptr_cmp);
	while (i < n_have || j < n_want) {
		const struct fleet_want *w;
		const struct ew_bl_row *h;
		int c = i >= n_have ? 1 : j >= n_want ? -1 : cidr_cmp(&H[i]->cidr, &W[j]->cidr);

		if (c < 0) {
			/* Only our own rules go; every other origin's stays. */
			if (H[i]->b.origin == EW_ORIGIN_FLEET)
				plan->del[plan->n_del++] = H[i]->cidr;
			i++;
			continue;
		}
		/* Duplicate rows for one CIDR: the longest block wins. */
		w = W[j++];
		for (; j < n_want && !cidr_cmp(&W[j]->cidr, &w->cidr); j++)
			if (outlives(W[j]->expires_ns, w->expires_ns))
				w = W[j];
		if (c > 0) {
			plan_add(plan, w);
			plan->n_new++;
			continue;
		}
		h = H[i++];
		if (h->b.origin == EW_ORIGIN_FLEET) {
			if (same_rule(h, w)) {
				plan->n_same++;
			} else {
				plan_add(plan, w);
			}
		} else if (h->b.expires_ns && h->b.expires_ns <= now_ns) {
			/* Another origin's rule that no longer blocks: the fleet's takes over. */
			plan_add(plan, w);
			plan->n_new++;
		} else {
			plan->n_shadowed++;
		}
	}
	ret = 0;
out:
	free(H);
	free(W);
	if (ret)
		fleet_plan_free(plan);
	return ret;
}

void fleet_plan_free(struct fleet_plan *plan)
{
	if (!plan)
		return;
	free(plan->add);
	free(plan->del);
	memset(plan, 0, sizeof(*plan));
}

/* ---- the connection ---- */

enum fl_state { FL_DOWN, FL_CONNECTING, FL_UP };
enum fl_query { Q_NONE, Q_SETUP, Q_RESYNC, Q_LOOKUP, Q_PUBLISH, Q_EVENT, Q_CATCHUP, Q_STATE,
		Q_NOTIFY, Q_ACT };

static const char *const q_name[] = {
	[Q_NONE] = "none",     [Q_SETUP] = "LISTEN", [Q_RESYNC] = "resync",
	[Q_LOOKUP] = "lookup", [Q_PUBLISH] = "publish", [Q_EVENT] = "event fetch",
	[Q_CATCHUP] = "event catch-up", [Q_STATE] = "state read",
	[Q_NOTIFY] = "notification insert", [Q_ACT] = "response action",
};

/*
 * A row for notifications.queue (recipient, subject, message), or with act
 * a response action (recipient = the action, subject = the event id).
 */
struct fl_msg {
	bool act;
	char *recipient, *subject, *message;
};

struct fl_pub {
	struct ew_cidr cidr;
	bool lift;		/* fleet_unpublish: the row is deleted */
	uint64_t deadline_ns;	/* CLOCK_BOOTTIME end of the block, 0 = permanent */
	char reason[EW_REASON_TEXT_LEN];
	char origin[16];	/* "response_rule", "manual" */
};

struct fleet {
	struct event_base *base;
	char *conninfo, *node, *tenant;
	struct pgaddr *addr;		/* the host's lookup */
	unsigned int resync_interval_s, stmt_timeout_ms;
	struct fleet_ops ops;
	void *arg;
	struct ew_maps own;
	struct ew_maps *maps;
	bool own_open;

	PGconn *conn;
	enum fl_state state;
	struct event *ev_sock;		/* connecting: one-shot; up: EV_READ|EV_PERSIST */
	struct event *ev_write;		/* up: output libpq could not flush yet */
	struct event *ev_retry, *ev_tick;
	uint64_t backoff_ms;
	uint64_t since_ns;		/* CLOCK_BOOTTIME: connecting since */

	enum fl_query q;		/* in flight */
	uint64_t q_sent_ns;		/* CLOCK_BOOTTIME when sent: now()'s counterpart */
	bool q_failed;
	char q_err[256];
	bool need_setup, need_resync, need_catchup, need_state;
	bool state_owed;		/* a config change was notified; its state is not handed over */
	bool in_read;			/* inside fl_on_read: fleet_state_pending does not read */
	uint64_t state_due_ns;		/* next periodic state read (0 = none) */
	uint64_t resync_due_ns;		/* next periodic resync (0 = none) */
	uint64_t resync_not_before_ns;
	uint64_t last_resync_ns;	/* CLOCK_BOOTTIME of the last; floods wait for it */
	unsigned int rr;		/* round robin between lookups, publishes, events */

	struct ew_cidr *pend;		/* notified addresses, to read back */
	size_t n_pend;
	struct ew_cidr *batch;		/* the addresses being read back */
	size_t n_batch;
	struct fl_pub *pubq;		/* ring of FLEET_PUBLISH_MAX */
	size_t pub_head, n_pub;
	char (*evq)[FLEET_UUID_LEN + 1]; /* ring of FLEET_EVENTS_MAX event ids */
	size_t ev_head, n_ev;
	char (*ev_batch)[FLEET_UUID_LEN + 1]; /* in flight: FLEET_EVENT_BATCH at most */
	size_t n_ev_batch;
	struct fl_msg *msgq;		/* ring of FLEET_NOTIFY_MAX messages */
	size_t msg_head, n_msg;
	/*
	 * The newest "timestamp" (epoch us) of the events fetched: after a
	 * reconnect, the events logged since are fetched (0: none fetched yet,
	 * no catch-up; history is not replayed on start).
	 */
	int64_t ev_last_us;

	/* Refusals logged per window: anyone may NOTIFY, so their log lines are limited. */
	uint64_t warn_window_ns;
	unsigned int warn_n;
	uint64_t warn_quiet;		/* refusals not logged in the window */

	struct fleet_stats st;
};

static uint64_t now_ns(void)
{
	return ew_boot_ns();
}

#define WARN_WINDOW_NS	(10 * NS_PER_S)
#define WARN_PER_WINDOW	10

/* May a refused notification be logged now? Otherwise it is only counted. */
static bool fl_may_warn(struct fleet *f)
{
	uint64_t now = now_ns();

	if (now - f->warn_window_ns >= WARN_WINDOW_NS) {
		if (f->warn_quiet)
			log_warnx("fleet: %" PRIu64 " more refused notifications were not logged",
				  f->warn_quiet);
		f->warn_window_ns = now;
		f->warn_n = 0;
		f->warn_quiet = 0;
	}
	if (f->warn_n < WARN_PER_WINDOW) {
		f->warn_n++;
		return true;
	}
	f->warn_quiet++;
	return false;
}

static void fl_connect(struct fleet *f);
static void fl_kick(struct fleet *f);
static void fl_read(struct fleet *f);

/* libpq's messages end in newlines and may span lines: one line for the log. */
static const char *one_line(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; s && *s && o + 1 < len; s++) {
		char ch = *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s;

		if (ch != ' ' || (o && buf[o - 1] != ' '))
			buf[o++] = ch;
	}
	while (o && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
	return o ? buf : "unknown error";
}

static void fl_close(struct fleet *f)
{
	if (f->ev_sock) {
		event_free(f->ev_sock);
		f->ev_sock = NULL;
	}
	if (f->ev_write) {
		event_free(f->ev_write);
		f->ev_write = NULL;
	}
	pgaddr_cancel(f->addr);
	PQfinish(f->conn);
	f->conn = NULL;
}

/*
 * The connection is gone or unusable: everything in flight is repaired by
 * the next connection's resync, except a publish, which is sent again (it is
 * idempotent) and an event id, which is fetched again.
 */
static void fl_lost(struct fleet *f, const char *why)
{
	char line[512];
	struct timeval tv;

	one_line(why, line, sizeof(line));
	if (f->st.connected)
		log_warnx("fleet: lost the connection to PostgreSQL: %s; reconnecting in %" PRIu64
			  " ms",
			  line, f->backoff_ms);
	else
		log_warnx("fleet: cannot reach PostgreSQL: %s; retrying in %" PRIu64 " ms", line,
			  f->backoff_ms);
	if (f->st.connected)
		f->st.disconnects++;
	f->st.errors++;
	f->st.connected = false;
	f->state_owed = false;
	fl_close(f);
	f->state = FL_DOWN;
	/* Back to the front of the queue, in their order, as far as there is room. */
	for (size_t i = f->q == Q_EVENT ? f->n_ev_batch : 0; i > 0 && f->n_ev < FLEET_EVENTS_MAX;
	     i--) {
		f->ev_head = (f->ev_head + FLEET_EVENTS_MAX - 1) % FLEET_EVENTS_MAX;
		memcpy(f->evq[f->ev_head], f->ev_batch[i - 1], FLEET_UUID_LEN + 1);
		f->n_ev++;
	}
	f->n_ev_batch = 0;
	f->q = Q_NONE;
	f->n_pend = f->n_batch = 0;
	tv.tv_sec = (time_t)(f->backoff_ms / 1000);
	tv.tv_usec = (suseconds_t)(f->backoff_ms % 1000) * 1000;
	evtimer_add(f->ev_retry, &tv);
	f->backoff_ms = f->backoff_ms * 2 > FLEET_BACKOFF_MAX_MS ? FLEET_BACKOFF_MAX_MS :
								   f->backoff_ms * 2;
}

static int fl_flush(struct fleet *f)
{
	int r = PQflush(f->conn);

	if (r < 0) {
		fl_lost(f, PQerrorMessage(f->conn));
		return -EIO;
	}
	if (r > 0)
		event_add(f->ev_write, NULL);
	return 0;
}

/* Send one statement; n < 0: a simple query (several statements, no parameters). */
static int fl_send(struct fleet *f, enum fl_query q, const char *sql, int n,
		   const char *const *vals)
{
	int ok = n < 0 ? PQsendQuery(f->conn, sql) :
			 PQsendQueryParams(f->conn, sql, n, NULL, vals, NULL, NULL, 0);

	if (!ok) {
		fl_lost(f, PQerrorMessage(f->conn));
		return -EIO;
	}
	f->q = q;
	f->q_sent_ns = now_ns();
	f->q_failed = false;
	f->q_err[0] = '\0';
	return fl_flush(f);
}

/* ---- applying rows to the kernel ---- */

static int fl_lock(struct fleet *f)
{
	return f->ops.lock ? f->ops.lock(f->arg) : ew_maps_lock(f->maps);
}

static void fl_unlock(struct fleet *f)
{
	if (f->ops.unlock)
		f->ops.unlock(f->arg);
	else
		ew_maps_unlock(f->maps);
}

static void fl_audit(struct fleet *f, const char *type, const char *result, json_t *details)
{
	json_t *rec;

	if (!f->ops.audit) {
		json_decref(details);
		return;
	}
	rec = jr_event(type, "fleet", "local", "blocklist", "sync", result, 0);
	if (!rec) {
		json_decref(details);
		return;
	}
	/* No score here: the daemon's audit path computes it. */
	json_object_del(rec, "risk");
	json_object_set_new(rec, "details", details ? details : json_object());
	f->ops.audit(f->arg, rec);
	json_decref(rec);
}

static void cidr_list_add(json_t *a, const struct ew_cidr *c)
{
	char s[EW_CIDR_STRLEN];

	if (json_array_size(a) < AUDIT_LIST_MAX && ew_cidr_format(c, s, sizeof(s)) > 0)
		json_array_append_new(a, json_string(s));
}

/* The rows of a resync or read-back, parsed; bad ones are logged and counted. */
static int fl_rows(struct fleet *f, const PGresult *res, struct fleet_want **out, size_t *n_out)
{
	int rows = PQntuples(res), warned = 0;
	struct fleet_want *w;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	if (PQnfields(res) != 4)
		return -EPROTO;
	w = calloc(rows ? (size_t)rows : 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (int i = 0; i < rows; i++) {
		char err[EW_ERRLEN] = "", q[EW_QUOTE_LEN];
		int r = fleet_row_parse(PQgetisnull(res, i, 0) ? NULL : PQgetvalue(res, i, 0),
					PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
					PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
					PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
					f->q_sent_ns, &w[n], err, sizeof(err));

		if (!r) {
			n++;
		} else if (r != -ETIME) {
			f->st.ignored++;
			if (warned++ < ROW_WARN_MAX)
				log_warnx("fleet: ignoring the row for %s: %s",
					  ew_quote(PQgetvalue(res, i, 0), q, sizeof(q)), err);
		}
	}
	if (warned > ROW_WARN_MAX)
		log_warnx("fleet: %d more rows ignored", warned - ROW_WARN_MAX);
	*out = w;
	*n_out = n;
	return 0;
}

/*
 * Carry out a plan: adds with bl_import when many (one batched write), else
 * bl_add; removals with bl_del. The caller holds the lock. Returns how many
 * changes failed.
 */
static size_t fl_apply(struct fleet *f, const struct fleet_plan *p, json_t *added,
		       json_t *lifted)
{
	bool batched = p->n_add > 64;
	char s[EW_CIDR_STRLEN];
	size_t failed = 0;
	int r;

	/* Many at once (a resync): one batched write, all or nothing. */
	if (batched) {
		r = bl_import(f->maps, p->add, p->n_add, NULL, NULL, NULL);
		if (r) {
			log_warnx("fleet: cannot write %zu blocks: %s", p->n_add, strerror(-r));
			failed += p->n_add;
		}
	}
	for (size_t i = 0; i < p->n_add && !(batched && failed); i++) {
		if (!batched && (r = bl_add(f->maps, &p->add[i]))) {
			ew_cidr_format(&p->add[i].cidr, s, sizeof(s));
			log_warnx("fleet: cannot block %s: %s", s, strerror(-r));
			failed++;
			continue;
		}
		cidr_list_add(added, &p->add[i].cidr);
		f->st.applied++;
		if (f->ops.changed)
			f->ops.changed(f->arg, &p->add[i].cidr, p->add[i].expires_ns, true);
	}
	for (size_t i = 0; i < p->n_del; i++) {
		r = bl_del(f->maps, &p->del[i]);
		if (r && r != -ENOENT) {
			ew_cidr_format(&p->del[i], s, sizeof(s));
			log_warnx("fleet: cannot lift %s: %s", s, strerror(-r));
			failed++;
			continue;
		}
		cidr_list_add(lifted, &p->del[i]);
		f->st.applied++;
		if (f->ops.changed)
			f->ops.changed(f->arg, &p->del[i], 0, false);
	}
	f->st.errors += failed;
	return failed;
}

static void fl_resync_apply(struct fleet *f, const PGresult *res)
{
	struct fleet_want *want = NULL;
	struct ew_bl_row *have = NULL;
	struct fleet_plan plan = {};
	size_t n_want = 0, n_have = 0, failed = 0;
	json_t *added = json_array(), *lifted = json_array();
	int r;

	r = fl_rows(f, res, &want, &n_want);
	if (r) {
		snprintf(f->q_err, sizeof(f->q_err), "unexpected answer: %s", strerror(-r));
		f->q_failed = true;
		goto out;
	}
	r = fl_lock(f);
	if (r) {
		snprintf(f->q_err, sizeof(f->q_err), "cannot lock the maps: %s", strerror(-r));
		f->q_failed = true;
		goto out;
	}
	r = bl_collect(f->maps, -1, false, 0, &have, &n_have);
	if (!r)
		r = fleet_diff(have, n_have, want, n_want, now_ns(), &plan);
	if (!r)
		failed = fl_apply(f, &plan, added, lifted);
	fl_unlock(f);
	if (r) {
		snprintf(f->q_err, sizeof(f->q_err), "cannot read the blocklist: %s",
			 strerror(-r));
		f->q_failed = true;
		goto out;
	}
	if (failed) {
		snprintf(f->q_err, sizeof(f->q_err), "%zu kernel writes failed", failed);
		f->q_failed = true;
	}
	f->st.fleet_rules = plan.n_same + plan.n_add;
	if (plan.n_add || plan.n_del || failed) {
		log_info("fleet: resync: %zu rows, %zu blocks added, %zu updated, %zu lifted, "
			 "%zu unchanged, %zu held by other origins",
			 n_want, plan.n_new, plan.n_add - plan.n_new, plan.n_del, plan.n_same,
			 plan.n_shadowed);
		fl_audit(f, "fleet_resync", failed ? "failure" : "success",
			 json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "rows",
				   (json_int_t)n_want, "added", (json_int_t)plan.n_new,
				   "updated", (json_int_t)(plan.n_add - plan.n_new), "lifted",
				   (json_int_t)plan.n_del, "unchanged", (json_int_t)plan.n_same,
				   "shadowed", (json_int_t)plan.n_shadowed, "blocked_cidrs",
				   json_incref(added), "lifted_cidrs", json_incref(lifted)));
	} else {
		log_debug("fleet: resync: %zu rows, kernel already equal", n_want);
	}
out:
	json_decref(added);
	json_decref(lifted);
	fleet_plan_free(&plan);
	free(have);
	free(want);
}

/* The rows read back for the notified addresses: apply them to those addresses only. */
static void fl_lookup_apply(struct fleet *f, const PGresult *res)
{
	struct fleet_want *want = NULL;
	struct ew_bl_row *have = NULL;
	struct fleet_plan plan = {};
	size_t n_want = 0, n_have = 0, failed = 0;
	json_t *added = NULL, *lifted = NULL;
	int r;

	r = fl_rows(f, res, &want, &n_want);
	if (r) {
		snprintf(f->q_err, sizeof(f->q_err), "unexpected answer: %s", strerror(-r));
		f->q_failed = true;
		goto out;
	}
	have = calloc(f->n_batch ? f->n_batch : 1, sizeof(*have));
	added = json_array();
	lifted = json_array();
	if (!have || !added || !lifted) {
		r = -ENOMEM;
		goto fail;
	}
	r = fl_lock(f);
	if (r)
		goto fail;
	for (size_t i = 0; i < f->n_batch && !r; i++) {
		struct ew_bl_row *h = &have[n_have];

		r = bl_get(f->maps, &f->batch[i], &h->b, h->reason, sizeof(h->reason));
		if (!r) {
			h->cidr = f->batch[i];
			n_have++;
		} else if (r == -ENOENT) {
			r = 0;
		}
	}
	if (!r)
		r = fleet_diff(have, n_have, want, n_want, now_ns(), &plan);
	if (!r)
		failed = fl_apply(f, &plan, added, lifted);
	fl_unlock(f);
	if (r)
		goto fail;
	if (plan.n_add || plan.n_del)
		fl_audit(f, "fleet_apply", failed ? "failure" : "success",
			 json_pack("{s:I, s:I, s:o, s:o}", "n_blocked", (json_int_t)plan.n_add,
				   "n_lifted", (json_int_t)plan.n_del, "blocked",
				   json_incref(added), "lifted", json_incref(lifted)));
	if (failed) {
		/* A full resync tries again, a little later. */
		f->need_resync = true;
		f->resync_not_before_ns = now_ns() + RESYNC_RETRY_NS;
	}
	goto out;
fail:
	log_warnx("fleet: cannot apply %zu notified changes: %s; resyncing", f->n_batch,
		  strerror(-r));
	f->st.errors++;
	f->need_resync = true;
	f->resync_not_before_ns = now_ns() + RESYNC_RETRY_NS;
out:
	json_decref(added);
	json_decref(lifted);
	fleet_plan_free(&plan);
	free(have);
	free(want);
}

/* ---- security events ---- */

/* The columns of sql_event, in order: the keys of the event handed to ops->event. */
static const char *const ev_cols[] = {
	"id",	  "event_type", "user_id", "actor",	"ip_address", "resource",
	"action", "result",	"risk_score", "details", "timestamp",  "timestamp_us",
};
#define EV_NCOLS	(sizeof(ev_cols) / sizeof(ev_cols[0]))
#define EV_COL_IP	4
#define EV_COL_RISK	8
#define EV_COL_DETAILS	9
#define EV_COL_US	11	/* not handed on: where a catch-up starts */

static json_t *ev_value(const PGresult *res, int row, unsigned int c)
{
	const char *v = PQgetvalue(res, row, (int)c);
	char ip[EW_CIDR_STRLEN];
	struct ew_cidr cidr;
	json_t *j;

	if (PQgetisnull(res, row, (int)c))
		return json_null();
	if (c == EV_COL_RISK) {
		int64_t n;

		return ms_parse(v, &n) ? json_null() : json_integer((json_int_t)n);
	}
	if (c == EV_COL_DETAILS) {
		j = json_loads(v, JSON_DECODE_ANY, NULL);
		return j ? j : json_string(v) ?: json_null();
	}
	/* inet::text says /32 or /128 for one address: give the address alone. */
	if (c == EV_COL_IP && !ew_cidr_parse(v, 0, &cidr, NULL, 0) &&
	    cidr.plen == (cidr.family == 4 ? 32 : 128) &&
	    ew_addr_format(cidr.family, cidr.addr, ip, sizeof(ip)) > 0)
		v = ip;
	/* Text from the database is untrusted: json_string refuses what is not UTF-8. */
	return json_string(v) ?: json_string("?");
}

/*
 * The application events among the ids asked for, oldest first. Ids without
 * a row here are servers' own journal records (node set: their engine saw
 * them where they happened) or ids nobody logged (a forged NOTIFY).
 */
static void fl_event_apply(struct fleet *f, const PGresult *res)
{
	int rows = PQntuples(res);

	if (PQnfields(res) != (int)EV_NCOLS) {
		snprintf(f->q_err, sizeof(f->q_err), "unexpected answer");
		f->q_failed = true;
		return;
	}
	for (int i = 0; i < rows; i++) {
		json_t *ev = json_object();
		int64_t us;

		if (!ms_parse(PQgetvalue(res, i, EV_COL_US), &us) && us > f->ev_last_us)
			f->ev_last_us = us;
		if (!ev)
			continue;
		for (unsigned int c = 0; c < EV_COL_US; c++)
			json_object_set_new(ev, ev_cols[c], ev_value(res, i, c));
		f->st.events++;
		f->ops.event(f->arg, ev);
		json_decref(ev);
	}
}

static void fl_event_queue(struct fleet *f, const char *id)
{
	if (f->n_ev == FLEET_EVENTS_MAX) {
		if (!f->st.events_dropped++)
			log_warnx("fleet: more than %d security events waiting; dropping the "
				  "newest (counted in the metrics)",
				  FLEET_EVENTS_MAX);
		return;
	}
	memcpy(f->evq[(f->ev_head + f->n_ev++) % FLEET_EVENTS_MAX], id, FLEET_UUID_LEN + 1);
}

static void fl_catchup_apply(struct fleet *f, const PGresult *res)
{
	int rows = PQntuples(res);
	char id[FLEET_UUID_LEN + 1];

	for (int i = 0; i < rows; i++)
		if (!fleet_event_id_parse(PQgetvalue(res, i, 0), id))
			fl_event_queue(f, id);
	if (rows)
		log_info("fleet: %d security events were logged while we were disconnected%s",
			 rows,
			 rows == FLEET_CATCHUP_MAX ? " (at least; the oldest are fetched)" : "");
}

/* ---- notifications ---- */

/* shared.controller_state's document, handed over whole; a bad one keeps the last. */
static void fl_state_apply(struct fleet *f, const PGresult *res)
{
	json_error_t je;
	json_t *j;

	if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0)) {
		f->st.state_errors++;
		log_warnx("fleet: the controller state came back as %d rows", PQntuples(res));
		return;
	}
	j = json_loads(PQgetvalue(res, 0, 0), JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(j)) {
		f->st.state_errors++;
		log_warnx("fleet: the controller state is not a JSON object: %s", je.text);
		json_decref(j);
		return;
	}
	f->st.states++;
	/* Handed over from here: whoever waits for it may go on (unless a newer change came). */
	f->state_owed = f->need_state;
	f->ops.state(f->arg, j);
	json_decref(j);
}

static void fl_note_block(struct fleet *f, const char *payload)
{
	char err[EW_ERRLEN] = "", q[EW_QUOTE_LEN];
	struct fleet_note note;
	size_t i;

	f->st.notifications++;
	if (fleet_note_parse(payload, &note, err, sizeof(err))) {
		f->st.ignored++;
		if (fl_may_warn(f))
			log_warnx("fleet: ignoring a notification on %s: %s (payload %s)",
				  FLEET_CHANNEL_BLOCKLIST, err, ew_quote(payload, q, sizeof(q)));
		return;
	}
	if (note.op == FLEET_OP_TRUNCATE) {
		log_info("fleet: the blocklist table was truncated; resyncing");
		f->need_resync = true;
		return;
	}
	if (f->n_pend < FLEET_PENDING_MAX) {
		for (i = 0; i < f->n_pend; i++)
			if (!cidr_cmp(&f->pend[i], &note.cidr))
				return;
		f->pend[f->n_pend++] = note.cidr;
	} else {
		/*
		 * A flood (a bulk insert, or someone's NOTIFY loop): a full resync
		 * reads everything anyway, at most one per RESYNC_RETRY_NS.
		 */
		if (!f->need_resync) {
			log_warnx("fleet: more than %d notified changes waiting; resyncing instead",
				  FLEET_PENDING_MAX);
			f->need_resync = true;
			if (f->resync_not_before_ns < f->last_resync_ns + RESYNC_RETRY_NS)
				f->resync_not_before_ns = f->last_resync_ns + RESYNC_RETRY_NS;
		}
	}
}

static void fl_notifies(struct fleet *f)
{
	PGnotify *n;

	while (f->conn && (n = PQnotifies(f->conn))) {
		if (!strcmp(n->relname, FLEET_CHANNEL_BLOCKLIST)) {
			fl_note_block(f, n->extra);
		} else if (!strcmp(n->relname, FLEET_CHANNEL_CONFIG)) {
			/* The payload is a table's name: whatever it says, read it all again. */
			f->st.config_notifications++;
			f->need_state = f->ops.state != NULL;
			f->state_owed = f->need_state;
		} else if (!strcmp(n->relname, FLEET_CHANNEL_EVENTS) && f->ops.event) {
			char q[EW_QUOTE_LEN], id[FLEET_UUID_LEN + 1];

			if (fleet_event_id_parse(n->extra, id)) {
				f->st.ignored++;
				if (fl_may_warn(f))
					log_warnx("fleet: ignoring a notification on %s: not an "
						  "event id: %s",
						  FLEET_CHANNEL_EVENTS,
						  ew_quote(n->extra, q, sizeof(q)));
			} else {
				fl_event_queue(f, id);
			}
		}
		PQfreemem(n);
	}
}

/* ---- queries ---- */

/*
 * The live rows: the time left is computed against the database's now(), in
 * one clock; 'infinity' is permanent, like NULL.
 */
#define SELECT_ROWS                                                                       \
	"SELECT ip_address::text, "                                                       \
	"CASE WHEN isfinite(blocked_until) "                                              \
	"THEN floor(extract(epoch FROM blocked_until) * 1000)::int8 END, "                \
	"floor(extract(epoch FROM now()) * 1000)::int8, reason "                          \
	"FROM audit.ip_blocklist WHERE (blocked_until IS NULL OR blocked_until > now())"

static const char sql_resync[] = SELECT_ROWS;
static const char sql_lookup[] = SELECT_ROWS " AND ip_address = ANY($1::inet[])";

/*
 * Never shorten: the row changes only when ours outlives it (an expired row
 * always does); otherwise nothing is written and nobody is notified.
 */
static const char sql_publish[] =
	"INSERT INTO audit.ip_blocklist AS b "
	"(ip_address, reason, blocked_until, created_by, origin) "
	"VALUES ($1::inet, $2, now() + $3::int8 * interval '1 millisecond', $4, $5) "
	"ON CONFLICT (ip_address) DO UPDATE SET blocked_until = EXCLUDED.blocked_until, "
	"reason = EXCLUDED.reason, created_by = EXCLUDED.created_by, "
	"origin = EXCLUDED.origin, blocked_at = now() "
	"WHERE b.blocked_until IS NOT NULL AND "
	"(EXCLUDED.blocked_until IS NULL OR EXCLUDED.blocked_until > b.blocked_until)";

/* An operator's unblock: the row goes, and every server lifts its fleet rule. */
static const char sql_unpublish[] = "DELETE FROM audit.ip_blocklist WHERE ip_address = $1::inet";

/* The columns of ev_cols; applications' events only (node NULL), oldest first. */
static const char sql_event[] =
	"SELECT id::text, event_type, user_id::text, actor, ip_address::text, resource, action, "
	"result, risk_score, details::text, "
	"to_char(\"timestamp\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
	"floor(extract(epoch FROM \"timestamp\") * 1000000)::int8 "
	"FROM audit.security_events WHERE id = ANY($1::uuid[]) AND node IS NULL "
	"ORDER BY \"timestamp\", id";
/* The oldest first; an id that is already queued is fetched twice at worst. */
static const char sql_catchup[] =
	"SELECT id::text FROM audit.security_events "
	"WHERE \"timestamp\" > timestamptz 'epoch' + $1::int8 * interval '1 microsecond' "
	"AND node IS NULL "
	"ORDER BY \"timestamp\" LIMIT " EW_STR(FLEET_CATCHUP_MAX);

/* sql/migrations/0009_controller.sql */
static const char sql_state[] = "SELECT shared.controller_state($1)::text";
static const char sql_act[] = "SELECT shared.controller_act($1, $2::uuid)";
static const char sql_notify[] =
	"INSERT INTO notifications.queue (recipient_type, recipient_name, subject, message) "
	"VALUES ('role', $1, $2, $3)";

static void fl_send_setup(struct fleet *f)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SET statement_timeout = %u; LISTEN %s%s%s%s%s",
		 f->stmt_timeout_ms, FLEET_CHANNEL_BLOCKLIST, f->ops.event ? "; LISTEN " : "",
		 f->ops.event ? FLEET_CHANNEL_EVENTS : "", f->ops.state ? "; LISTEN " : "",
		 f->ops.state ? FLEET_CHANNEL_CONFIG : "");
	fl_send(f, Q_SETUP, sql, -1, NULL);
}

static void fl_msg_free(struct fl_msg *m)
{
	free(m->recipient);
	free(m->subject);
	free(m->message);
	memset(m, 0, sizeof(*m));
}

static void fl_send_notify(struct fleet *f)
{
	struct fl_msg *m = &f->msgq[f->msg_head];
	const char *vals[3] = { m->recipient, m->subject, m->message };

	if (m->act)
		fl_send(f, Q_ACT, sql_act, 2, vals);
	else
		fl_send(f, Q_NOTIFY, sql_notify, 3, vals);
}

static int fl_send_lookup(struct fleet *f)
{
	size_t n = f->n_pend < FLEET_BATCH_MAX ? f->n_pend : FLEET_BATCH_MAX, o = 1;
	/* Each CIDR takes < EW_CIDR_STRLEN bytes and a comma; braces and NUL. */
	char *arr = malloc(n * (EW_CIDR_STRLEN + 1) + 3);
	const char *vals[1];
	int r;

	if (!arr)
		return -ENOMEM;
	/* A text array literal: CIDR text has no quotes, commas or braces to escape. */
	arr[0] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			arr[o++] = ',';
		r = ew_cidr_format(&f->pend[i], arr + o, EW_CIDR_STRLEN);
		o += r > 0 ? (size_t)r : 0;
	}
	arr[o++] = '}';
	arr[o] = '\0';
	memcpy(f->batch, f->pend, n * sizeof(*f->batch));
	f->n_batch = n;
	memmove(f->pend, f->pend + n, (f->n_pend - n) * sizeof(*f->pend));
	f->n_pend -= n;
	vals[0] = arr;
	r = fl_send(f, Q_LOOKUP, sql_lookup, 1, vals);
	free(arr);
	return r;
}

/* The next publish still worth sending; expired ones are dropped. */
static int fl_send_publish(struct fleet *f)
{
	uint64_t now = now_ns();

	while (f->n_pub) {
		struct fl_pub *p = &f->pubq[f->pub_head];
		char cidr[EW_CIDR_STRLEN], left[24];
		const char *vals[5] = { cidr, p->reason, NULL, f->node, p->origin };

		if (p->lift) {
			ew_cidr_format(&p->cidr, cidr, sizeof(cidr));
			return fl_send(f, Q_PUBLISH, sql_unpublish, 1, vals);
		}
		if (p->deadline_ns && p->deadline_ns <= now + NS_PER_MS) {
			f->st.publish_dropped++;
			f->pub_head = (f->pub_head + 1) % FLEET_PUBLISH_MAX;
			f->n_pub--;
			continue;
		}
		ew_cidr_format(&p->cidr, cidr, sizeof(cidr));
		/* NULL: now() + NULL is NULL, permanent. */
		if (p->deadline_ns) {
			snprintf(left, sizeof(left), "%" PRIu64,
				 (uint64_t)((p->deadline_ns - now) / NS_PER_MS));
			vals[2] = left;
		}
		return fl_send(f, Q_PUBLISH, sql_publish, 5, vals);
	}
	return -ENOENT;
}

/* The next FLEET_EVENT_BATCH ids at most, in one query. */
static void fl_send_event(struct fleet *f)
{
	/* A uuid array literal: the ids were checked to be hex and dashes. */
	char arr[FLEET_EVENT_BATCH * (FLEET_UUID_LEN + 1) + 2];
	const char *vals[1] = { arr };
	size_t o = 0;

	arr[o++] = '{';
	for (f->n_ev_batch = 0; f->n_ev && f->n_ev_batch < FLEET_EVENT_BATCH; f->n_ev_batch++) {
		memcpy(f->ev_batch[f->n_ev_batch], f->evq[f->ev_head], FLEET_UUID_LEN + 1);
		f->ev_head = (f->ev_head + 1) % FLEET_EVENTS_MAX;
		f->n_ev--;
		if (f->n_ev_batch)
			arr[o++] = ',';
		memcpy(arr + o, f->ev_batch[f->n_ev_batch], FLEET_UUID_LEN);
		o += FLEET_UUID_LEN;
	}
	arr[o++] = '}';
	arr[o] = '\0';
	fl_send(f, Q_EVENT, sql_event, 1, vals);
}

static void fl_kick(struct fleet *f)
{
	uint64_t now = now_ns();

	if (f->state != FL_UP || f->q != Q_NONE)
		return;
	if (f->need_setup) {
		fl_send_setup(f);
		return;
	}
	if (f->need_resync && now >= f->resync_not_before_ns) {
		/* The snapshot covers every address notified so far. */
		f->n_pend = 0;
		fl_send(f, Q_RESYNC, sql_resync, 0, NULL);
		return;
	}
	if (f->need_state) {
		const char *vals[1] = { f->tenant };

		f->need_state = false;
		fl_send(f, Q_STATE, sql_state, 1, vals);
		return;
	}
	if (f->need_catchup) {
		char id[24];
		const char *vals[1] = { id };

		f->need_catchup = false;
		snprintf(id, sizeof(id), "%" PRId64, f->ev_last_us);
		fl_send(f, Q_CATCHUP, sql_catchup, 1, vals);
		return;
	}
	for (unsigned int i = 0; i < 4; i++) {
		unsigned int k = (f->rr + i) % 4;

		if (k == 0 && f->n_pend) {
			if (fl_send_lookup(f) == -ENOMEM)
				continue;
		} else if (k == 1 && f->n_pub) {
			if (fl_send_publish(f) == -ENOENT)
				continue;
		} else if (k == 2 && f->n_ev) {
			fl_send_event(f);
		} else if (k == 3 && f->n_msg) {
			fl_send_notify(f);
		} else {
			continue;
		}
		f->rr = k + 1;
		return;
	}
}

/* One result of the query in flight. */
static void fl_result(struct fleet *f, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	bool rows = f->q != Q_SETUP && f->q != Q_PUBLISH && f->q != Q_NOTIFY;

	if (st != (rows ? PGRES_TUPLES_OK : PGRES_COMMAND_OK)) {
		if (!f->q_failed)
			one_line(PQresultErrorMessage(res), f->q_err, sizeof(f->q_err));
		f->q_failed = true;
		return;
	}
	switch (f->q) {
	case Q_RESYNC:
		fl_resync_apply(f, res);
		break;
	case Q_LOOKUP:
		fl_lookup_apply(f, res);
		break;
	case Q_EVENT:
		fl_event_apply(f, res);
		break;
	case Q_CATCHUP:
		fl_catchup_apply(f, res);
		break;
	case Q_STATE:
		fl_state_apply(f, res);
		break;
	default:
		break;
	}
}

/* The query in flight has given all its results. */
static void fl_done(struct fleet *f)
{
	enum fl_query q = f->q;
	uint64_t now = now_ns();

	f->q = Q_NONE;
	if (f->q_failed) {
		f->st.errors++;
		log_warnx("fleet: %s failed: %s", q_name[q], f->q_err[0] ? f->q_err : "?");
	}
	switch (q) {
	case Q_SETUP:
		if (f->q_failed) {
			fl_lost(f, "cannot LISTEN");
			return;
		}
		f->need_setup = false;
		f->need_resync = true;
		f->resync_not_before_ns = 0;
		f->need_catchup = f->ops.event && f->ev_last_us > 0;
		f->need_state = f->ops.state != NULL;
		f->st.connected = true;
		f->st.connects++;
		log_info("fleet: connected to PostgreSQL (%s:%s), listening on %s", PQhost(f->conn),
			 PQport(f->conn), FLEET_CHANNEL_BLOCKLIST);
		break;
	case Q_RESYNC:
		if (f->q_failed) {
			f->resync_not_before_ns = now + RESYNC_RETRY_NS;
			break;
		}
		f->need_resync = false;
		f->last_resync_ns = now;
		f->st.resyncs++;
		f->st.last_resync = time(NULL);
		f->resync_due_ns = f->resync_interval_s ?
					   now + f->resync_interval_s * NS_PER_S : 0;
		/* A connection that got this far is healthy. */
		f->backoff_ms = FLEET_BACKOFF_MIN_MS;
		break;
	case Q_LOOKUP:
		if (f->q_failed) {
			f->need_resync = true;
			f->resync_not_before_ns = now + RESYNC_RETRY_NS;
		}
		f->n_batch = 0;
		break;
	case Q_STATE:
		/* Handed over (fl_result) or failed: either way nobody should wait for it now. */
		f->state_owed = f->need_state;
		if (f->q_failed)
			f->st.state_errors++;
		f->state_due_ns = f->ops.state ? now + FLEET_STATE_INTERVAL_S * NS_PER_S : 0;
		break;
	case Q_NOTIFY:
	case Q_ACT:
		/* As a publish: a refused row will not pass later either. */
		if (f->q_failed)
			f->st.notify_dropped++;
		else if (q == Q_ACT)
			f->st.acted++;
		else
			f->st.notified++;
		fl_msg_free(&f->msgq[f->msg_head]);
		f->msg_head = (f->msg_head + 1) % FLEET_NOTIFY_MAX;
		f->n_msg--;
		break;
	case Q_PUBLISH:
		/* A refused row (constraint, permission) will not pass later either. */
		if (!f->q_failed)
			f->st.published++;
		f->pub_head = (f->pub_head + 1) % FLEET_PUBLISH_MAX;
		f->n_pub--;
		break;
	default:
		break;
	}
}

/* Results first (they precede later notifications on the wire), then notifications. */
static void fl_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;

	(void)fd;
	(void)what;
	if (f->in_read)
		return;
	f->in_read = true;
	fl_read(f);
	f->in_read = false;
}

static void fl_read(struct fleet *f)
{
	if (!PQconsumeInput(f->conn) || PQstatus(f->conn) == CONNECTION_BAD) {
		fl_lost(f, PQerrorMessage(f->conn));
		return;
	}
	while (f->state == FL_UP && f->q != Q_NONE && !PQisBusy(f->conn)) {
		PGresult *res = PQgetResult(f->conn);

		if (!res) {
			fl_done(f);
			break;
		}
		fl_result(f, res);
		PQclear(res);
	}
	if (f->state != FL_UP)
		return;
	fl_notifies(f);
	fl_kick(f);
}

bool fleet_state_pending(struct fleet *f)
{
	if (!f || !f->ops.state)
		return false;
	/* What the server has sent already counts: a notification may be waiting in the socket. */
	if (f->state == FL_UP && !f->in_read)
		fl_on_read(-1, 0, f);
	return f->state_owed && f->state == FL_UP;
}

static void fl_on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fl_flush(arg);
}

static void fl_up(struct fleet *f)
{
	int s = PQsocket(f->conn);

	if (PQsetnonblocking(f->conn, 1)) {
		fl_lost(f, PQerrorMessage(f->conn));
		return;
	}
	if (f->ev_sock)
		event_free(f->ev_sock);
	f->ev_sock = event_new(f->base, s, EV_READ | EV_PERSIST, fl_on_read, f);
	f->ev_write = event_new(f->base, s, EV_WRITE, fl_on_write, f);
	if (!f->ev_sock || !f->ev_write || event_add(f->ev_sock, NULL)) {
		fl_lost(f, "cannot watch the socket");
		return;
	}
	f->state = FL_UP;
	f->need_setup = true;
	f->q = Q_NONE;
	fl_kick(f);
}

static void fl_on_connect(evutil_socket_t fd, short what, void *arg);

static void fl_wait(struct fleet *f, PostgresPollingStatusType st)
{
	int s = PQsocket(f->conn);

	if (f->ev_sock) {
		event_free(f->ev_sock);
		f->ev_sock = NULL;
	}
	if (s < 0) {
		fl_lost(f, PQerrorMessage(f->conn));
		return;
	}
	/* The socket may change between polls (several hosts in the conninfo). */
	f->ev_sock = event_new(f->base, s, st == PGRES_POLLING_READING ? EV_READ : EV_WRITE,
			       fl_on_connect, f);
	if (!f->ev_sock || event_add(f->ev_sock, NULL))
		fl_lost(f, "cannot watch the socket");
}

static void fl_on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	PostgresPollingStatusType st = PQconnectPoll(f->conn);

	(void)fd;
	(void)what;
	if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING)
		fl_wait(f, st);
	else if (st == PGRES_POLLING_OK)
		fl_up(f);
	else
		fl_lost(f, PQerrorMessage(f->conn));
}

/* Server notices (and libpq's own, such as a shutdown message while idle) go to the log. */
static void fl_notice(void *arg, const char *msg)
{
	char line[512];

	(void)arg;
	log_info("fleet: PostgreSQL: %s", one_line(msg, line, sizeof(line)));
}

/*
 * Defaults first, the configured conninfo last: its settings win (libpq keeps
 * the last value of a repeated keyword). Keepalives and tcp_user_timeout find
 * a peer that vanished without a word (a failed-over primary); read-write
 * finds the primary among several hosts.
 */
/* hostaddr: the host's address looked up by pgaddr, or NULL. */
static void fl_connect_to(struct fleet *f, const char *hostaddr)
{
	/* After dbname, which expands the conninfo: hostaddr overrides (none is there). */
	static const char *const keys[] = { "application_name", "keepalives", "keepalives_idle",
					     "keepalives_interval", "keepalives_count",
					     "tcp_user_timeout", "target_session_attrs", "dbname",
					     "hostaddr", NULL };
	const char *vals[] = { "edgewardd-fleet", "1", "10", "5", "3", "20000", "read-write",
			       f->conninfo, hostaddr, NULL };

	if (!hostaddr)
		vals[8] = NULL;
	f->conn = PQconnectStartParams(keys, vals, 1);
	if (!f->conn) {
		fl_lost(f, "out of memory");
		return;
	}
	if (PQstatus(f->conn) == CONNECTION_BAD) {
		fl_lost(f, PQerrorMessage(f->conn));
		return;
	}
	PQsetNoticeProcessor(f->conn, fl_notice, f);
	f->state = FL_CONNECTING;
	f->since_ns = now_ns();
	fl_wait(f, PGRES_POLLING_WRITING);
}

static void fl_on_addr(void *arg, const char *hostaddr, const char *err)
{
	struct fleet *f = arg;

	if (err)
		fl_lost(f, err);
	else
		fl_connect_to(f, hostaddr);
}

/* A host name is looked up first, without blocking the loop (pgaddr.h). */
static void fl_connect(struct fleet *f)
{
	if (!pgaddr_needed(f->addr)) {
		fl_connect_to(f, NULL);
		return;
	}
	f->state = FL_CONNECTING;
	f->since_ns = now_ns();
	if (pgaddr_resolve(f->addr, fl_on_addr, f))
		fl_lost(f, "cannot look up the host: out of memory");
}

static void fl_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fl_connect(arg);
}

/* Once a second: time-outs the server cannot enforce, and the periodic resync. */
static void fl_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	uint64_t now = now_ns();
	char why[96];

	(void)fd;
	(void)what;
	if (f->state == FL_CONNECTING && now - f->since_ns > FLEET_CONNECT_TIMEOUT_MS * NS_PER_MS) {
		fl_lost(f, "connection timed out");
		return;
	}
	if (f->state != FL_UP)
		return;
	if (f->q != Q_NONE &&
	    now - f->q_sent_ns > (f->stmt_timeout_ms + 5000ULL) * NS_PER_MS) {
		snprintf(why, sizeof(why), "no answer to the %s for %u ms", q_name[f->q],
			 f->stmt_timeout_ms + 5000);
		fl_lost(f, why);
		return;
	}
	if (f->resync_due_ns && now >= f->resync_due_ns && !f->need_resync) {
		f->need_resync = true;
		f->resync_due_ns = 0;
	}
	if (f->state_due_ns && now >= f->state_due_ns) {
		f->need_state = true;
		f->state_due_ns = 0;
	}
	fl_kick(f);
}

/* ---- public ---- */

struct fleet *fleet_new(struct event_base *base, const struct fleet_conf *conf,
			const struct fleet_ops *ops, void *arg)
{
	static const struct timeval sec = { 1, 0 }, now = { 0, 0 };
	char err[EW_ERRLEN] = "", host[256];
	struct fleet *f;
	int r;

	if (!base || !conf || !conf->conninfo || !conf->conninfo[0]) {
		log_warnx("fleet: no PostgreSQL conninfo");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	f->base = base;
	if (ops)
		f->ops = *ops;
	f->arg = arg;
	f->resync_interval_s = conf->resync_interval_s;
	f->stmt_timeout_ms = conf->statement_timeout_ms ?: FLEET_STMT_TIMEOUT_MS;
	f->backoff_ms = FLEET_BACKOFF_MIN_MS;
	if (!conf->node || !conf->node[0]) {
		if (gethostname(host, sizeof(host)))
			snprintf(host, sizeof(host), "edgewardd");
		host[sizeof(host) - 1] = '\0';
	}
	f->conninfo = strdup(conf->conninfo);
	f->node = strdup(conf->node && conf->node[0] ? conf->node : host);
	if (conf->tenant && !(f->tenant = strdup(conf->tenant)))
		goto nomem;
	f->msgq = calloc(FLEET_NOTIFY_MAX, sizeof(*f->msgq));
	f->addr = f->conninfo ? pgaddr_new(base, f->conninfo) : NULL;
	if (f->conninfo && !f->addr) {
		log_warnx("fleet: database.conninfo cannot be parsed");
		fleet_free(f);
		return NULL;
	}
	f->pend = calloc(FLEET_PENDING_MAX, sizeof(*f->pend));
	f->batch = calloc(FLEET_BATCH_MAX, sizeof(*f->batch));
	f->pubq = calloc(FLEET_PUBLISH_MAX, sizeof(*f->pubq));
	f->evq = calloc(FLEET_EVENTS_MAX, sizeof(*f->evq));
	f->ev_batch = calloc(FLEET_EVENT_BATCH, sizeof(*f->ev_batch));
	f->ev_retry = evtimer_new(base, fl_on_retry, f);
	f->ev_tick = event_new(base, -1, EV_PERSIST, fl_on_tick, f);
	if (!f->conninfo || !f->node || !f->pend || !f->batch || !f->pubq || !f->evq ||
	    !f->ev_batch || !f->msgq || !f->ev_retry || !f->ev_tick)
		goto nomem;
	if (conf->maps) {
		f->maps = conf->maps;
	} else {
		r = ew_maps_open(&f->own, conf->pin_dir, true, err, sizeof(err));
		if (r) {
			log_warnx("fleet: cannot open the pinned maps: %s",
				  err[0] ? err : strerror(-r));
			fleet_free(f);
			return NULL;
		}
		f->own_open = true;
		f->maps = &f->own;
		ew_maps_unlock(f->maps);
	}
	/* The first attempt from the loop, so that fleet_new never waits on the network. */
	if (event_add(f->ev_tick, &sec) || evtimer_add(f->ev_retry, &now))
		goto nomem;
	return f;
nomem:
	log_warnx("fleet: out of memory");
	fleet_free(f);
	return NULL;
}

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	fl_close(f);
	pgaddr_free(f->addr);
	if (f->ev_retry)
		event_free(f->ev_retry);
	if (f->ev_tick)
		event_free(f->ev_tick);
	if (f->own_open)
		ew_maps_close(&f->own);
	free(f->pend);
	free(f->batch);
	free(f->pubq);
	free(f->evq);
	free(f->ev_batch);
	if (f->msgq)
		for (size_t i = 0; i < f->n_msg; i++)
			fl_msg_free(&f->msgq[(f->msg_head + i) % FLEET_NOTIFY_MAX]);
	free(f->msgq);
	free(f->tenant);
	free(f->conninfo);
	free(f->node);
	free(f);
}

/* A slot at the end of the publish queue, or NULL (full: counted, logged once). */
static struct fl_pub *pub_slot(struct fleet *f)
{
	struct fl_pub *p;

	if (f->n_pub == FLEET_PUBLISH_MAX) {
		if (!f->st.publish_dropped++)
			log_warnx("fleet: %d blocks waiting for PostgreSQL; not sharing more "
				  "(the local blocks stand)",
				  FLEET_PUBLISH_MAX);
		return NULL;
	}
	p = &f->pubq[(f->pub_head + f->n_pub++) % FLEET_PUBLISH_MAX];
	memset(p, 0, sizeof(*p));
	return p;
}

/* Formatted and parsed back to itself: canonical, host bits clear, not /0. */
static bool cidr_shareable(const struct ew_cidr *c)
{
	struct ew_cidr back;
	char s[EW_CIDR_STRLEN];

	return c && ew_cidr_format(c, s, sizeof(s)) >= 0 && !cidr_of(s, &back, NULL, 0) &&
	       !memcmp(&back, c, sizeof(back));
}

int fleet_publish(struct fleet *f, const struct ew_cidr *c, int64_t until_epoch,
		  const char *reason)
{
	return fleet_publish_as(f, c, until_epoch, reason, "response_rule");
}

int fleet_unpublish(struct fleet *f, const struct ew_cidr *c)
{
	struct fl_pub *p;

	if (!f || !cidr_shareable(c))
		return -EINVAL;
	p = pub_slot(f);
	if (!p)
		return -ENOBUFS;
	p->cidr = *c;
	p->lift = true;
	fl_kick(f);
	return 0;
}

int fleet_publish_as(struct fleet *f, const struct ew_cidr *c, int64_t until_epoch,
		     const char *reason, const char *origin)
{
	struct timespec ts;
	struct fl_pub *p;
	int64_t left_ms;

	if (!f || !cidr_shareable(c) || !origin || strlen(origin) >= sizeof(p->origin))
		return -EINVAL;
	if (until_epoch < 0 || until_epoch > MAX_EPOCH_S)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	left_ms = until_epoch * 1000 - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (until_epoch && left_ms <= 0)
		return -EINVAL;
	p = pub_slot(f);
	if (!p)
		return -ENOBUFS;
	p->cidr = *c;
	/* The block's end on this server's boot clock: the wall clock's jumps do not move it. */
	if (until_epoch)
		fleet_expiry(until_epoch * 1000, until_epoch * 1000 - left_ms, now_ns(),
			     &p->deadline_ns);
	else
		p->deadline_ns = 0;
	fleet_reason_copy(p->reason, reason);
	snprintf(p->origin, sizeof(p->origin), "%s", origin);
	fl_kick(f);
	return 0;
}

static int fl_msg_queue(struct fleet *f, bool act, const char *a, const char *b, const char *c)
{
	struct fl_msg *m;

	if (f->n_msg == FLEET_NOTIFY_MAX) {
		if (!f->st.notify_dropped++)
			log_warnx("fleet: %d notifications and actions waiting for PostgreSQL; "
				  "dropping more (syslog and the webhook still carry alerts)",
				  FLEET_NOTIFY_MAX);
		return -ENOBUFS;
	}
	m = &f->msgq[(f->msg_head + f->n_msg) % FLEET_NOTIFY_MAX];
	m->act = act;
	m->recipient = strdup(a);
	m->subject = strdup(b);
	m->message = c ? strdup(c) : NULL;
	if (!m->recipient || !m->subject || (c && !m->message)) {
		fl_msg_free(m);
		return -ENOMEM;
	}
	f->n_msg++;
	fl_kick(f);
	return 0;
}

int fleet_notify(struct fleet *f, const char *recipient, const char *subject,
		 const char *message)
{
	if (!f || !recipient || !*recipient || !subject || !message)
		return -EINVAL;
	return fl_msg_queue(f, false, recipient, subject, message);
}

int fleet_act(struct fleet *f, const char *action, const char *event_id)
{
	char id[FLEET_UUID_LEN + 1];

	if (!f || !action || !*action || !event_id || fleet_event_id_parse(event_id, id))
		return -EINVAL;
	return fl_msg_queue(f, true, action, id, NULL);
}

void fleet_state_refresh(struct fleet *f)
{
	if (!f || !f->ops.state)
		return;
	f->need_state = true;
	fl_kick(f);
}

void fleet_resync(struct fleet *f)
{
	if (!f)
		return;
	f->need_resync = true;
	f->resync_not_before_ns = 0;
	fl_kick(f);
}

void fleet_stats(const struct fleet *f, struct fleet_stats *out)
{
	if (!f) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = f->st;
}
