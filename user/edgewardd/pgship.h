/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The journal shipper: copies the audit journal, record by record and in
 * order, into PostgreSQL's audit.security_events, from inside edgewardd's
 * event loop. The journal on local disk stays the record of truth; the
 * database is a copy for queries and for keeping the events off the box.
 *
 * Everything is non-blocking libpq driven by libevent: connecting, sending
 * and reading answers never stop the loop, so the controller keeps
 * filtering and serving while PostgreSQL is down, restarting, slow or
 * paused; the journal just grows and the lag with it.
 *
 * Exactly once: a batch is one INSERT ... ON CONFLICT (id) DO NOTHING, sent
 * as a single parameter (a JSON array of rows), committed on its own. The
 * position after the batch (offset, seq and hash of the last frame) is
 * written to the state file only once the commit is confirmed
 * (ReadyForQuery after the command's result). A batch whose fate is unknown
 * (connection cut mid-commit, daemon killed) is sent again; its rows are
 * then already there and the conflict clause drops them. The database ends
 * up with each event id once.
 *
 * A deadline per connect and per batch (statement_timeout plus a margin)
 * drops a connection that stops answering, e.g. a server stopped with
 * SIGSTOP, which neither errors nor closes the socket. Reconnects back off
 * exponentially from backoff_min_ms to backoff_max_ms (with jitter), reset
 * by the next committed batch.
 */
#ifndef EWD_PGSHIP_H
#define EWD_PGSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "journal.h"

struct event_base;
struct pgship;

#define PGSHIP_BATCH_MAX	 1000
#define PGSHIP_BATCH_MAX_BYTES	 (8U << 20)	/* JSON text per statement */
#define PGSHIP_TIMEOUT_MS	 5000
#define PGSHIP_BACKOFF_MIN_MS	 100
#define PGSHIP_BACKOFF_MAX_MS	 30000
#define PGSHIP_POLL_MS		 1000
#define PGSHIP_APP_NAME		 "edgewardd"

/* Zero fields take the defaults above; the strings are copied. */
struct pgship_conf {
	const char *conninfo;		/* libpq "key=value ..." or URI: required */
	const char *node;		/* the node column; NULL: this host's name */
	const char *journal_path;	/* required */
	const char *state_path;		/* required: the shipped position, rewritten per batch */
	const struct jr *journal;	/* optional: the daemon's handle, for lag_records */
	size_t batch_max;		/* records per statement */
	size_t batch_max_bytes;		/* JSON per statement (one record may go over) */
	unsigned int statement_timeout_ms;	/* server side, and the client deadline's base */
	unsigned int backoff_min_ms;
	unsigned int backoff_max_ms;
	unsigned int poll_ms;		/* look for records appended by other processes */
};

struct pgship_stats {
	uint64_t shipped;	/* records in committed batches (new or already there) */
	uint64_t inserted;	/* rows the database inserted; shipped - inserted were re-sent */
	uint64_t batches;	/* committed statements */
	uint64_t lost;		/* batches whose connection failed before the commit was
				 * confirmed: sent again (their rows may be in already) */
	uint64_t reconnects;	/* connection attempts after the first */
	uint64_t errors;	/* failed connects, failed statements, missed deadlines */
	uint64_t skipped;	/* records without a valid id: never shippable (logged) */
	uint64_t rejected;	/* records the database refused on their own (logged) */
	uint64_t damaged;	/* stretches of damaged journal stepped over (logged) */
	uint64_t rescans;	/* the journal did not continue the saved position: sent again */
	uint64_t shipped_seq;	/* seq of the last record committed */
	uint64_t lag_records;	/* journal records after it (needs conf.journal to be exact) */
	uint64_t lag_bytes;	/* journal bytes after it */
	double lag_seconds;	/* age of the oldest record not committed yet, 0 when none */
	bool connected;
};

/*
 * Start shipping: loads the state file (missing: from the start; corrupt:
 * logged, from the start) and starts connecting. NULL with a message logged
 * when conf is incomplete or the conninfo does not parse (nothing else is
 * fatal: an unreachable database is retried forever).
 */
struct pgship *pgship_new(struct event_base *base, const struct pgship_conf *conf);
/* Stop at once; a batch in flight is sent again by the next start. NULL is fine. */
void pgship_free(struct pgship *ps);
/* Records were appended: ship them soon (coalesced to one look per loop turn). */
void pgship_kick(struct pgship *ps);
void pgship_stats(struct pgship *ps, struct pgship_stats *st);

/* ---- the parts below are the pure steps, exposed for the unit tests ---- */

/*
 * One journal record as one row of audit.security_events, as a JSON object
 * whose keys are the column names: id (lowercase), event_type, actor,
 * source, ip_address (source when it is an IP address, canonical, else
 * null), resource, action, result, risk_score, details, timestamp (UTC,
 * "YYYY-MM-DD HH:MM:SS.ffffff+00"), seq (the frame's). Values the table
 * cannot hold are mapped, not refused: a non-string text field is null, a
 * missing type or result is "unknown" (both are NOT NULL), a risk outside
 * 0..100 and an unparsable ts are null. Only a record without a valid UUID
 * id is refused (-EINVAL, why says so): nothing could deduplicate it.
 */
int pgship_row(const json_t *rec, uint64_t seq, json_t **row, char *why, size_t whylen);

/* Rows read from the journal, ready to send: json is "[row,row,...]". */
struct pgship_batch {
	char *json;
	size_t len, cap;
	size_t rows;		/* rows in json */
	size_t records;		/* journal records covered (rows + skipped) */
	size_t skipped;
	size_t max_bytes;
	uint64_t first_seq, last_seq;
	int64_t first_ts_us;	/* ts of the first record, 0 if none parsed */
	struct jr_pos start, end;	/* the journal stretch covered */
	struct jr_scan res;	/* what the read found */
};

void pgship_batch_free(struct pgship_batch *b);

/*
 * The reading side of the shipper: where the next batch starts. When the
 * frame there does not follow, the frame before it tells why: still in
 * place, the journal is damaged after it (logged, stepped over to the next
 * sound frame); gone, the journal was replaced, truncated or rewritten
 * (logged, everything is sent again from the start: the database drops the
 * duplicates).
 */
struct pgship_cursor {
	const char *path;
	struct jr_pos pos;
	bool sought;		/* pos was found past damage, not reached by reading */
	uint64_t rescans, damaged;
};

/*
 * The next batch after c->pos: at most max_records records, and JSON up to
 * about max_bytes. b is reset first. Moves c->pos to b->end. 0 (b->records
 * may be 0: nothing new, or a torn tail to wait on), or -errno when the
 * journal cannot be read (logged by the caller).
 */
int pgship_cursor_next(struct pgship_cursor *c, size_t max_records, size_t max_bytes,
		       struct pgship_batch *b);

/*
 * The state file: a JSON object {"version":1,"offset":N,"seq":N,"hash":"hex"}.
 * load: 0, -ENOENT (no file: start from the beginning), -EINVAL (not a
 * state file, err says why), or -errno. save: atomic (temp, fsync, rename).
 */
int pgship_state_load(const char *path, struct jr_pos *pos, char *err, size_t errlen);
int pgship_state_save(const char *path, const struct jr_pos *pos);

/*
 * The connection parameters for PQconnectStartParams: the user's conninfo
 * (key=value or URI), plus defaults it does not set (application_name
 * edgewardd, TCP keepalives, client_encoding UTF8), plus
 * "-c statement_timeout=N" appended to its options. NULL-terminated arrays.
 * 0 or -EINVAL (err holds libpq's reason) or -ENOMEM.
 */
struct pgship_params {
	char **kw, **val;
	size_t n;
};
int pgship_params_build(const char *conninfo, unsigned int statement_timeout_ms,
			struct pgship_params *p, char *err, size_t errlen);
void pgship_params_free(struct pgship_params *p);

/* The one statement: $1 the batch's JSON, $2 the node name. */
extern const char pgship_sql[];

#endif
