/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data-plane operations, once: what `edgewardctl block add` and every
 * other data-plane command does, as a function from a JSON request to a
 * JSON answer. edgewardd serves them as API endpoints; edgewardctl sends
 * them to edgewardd, or, in emergency mode (daemon down), runs the same
 * function on the pinned maps itself. So both paths validate the same way,
 * fail with the same messages and change the maps the same way.
 *
 * Every operation:
 *
 *   int fn(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen);
 *
 * req is a JSON object (NULL counts as {}), checked strictly against the
 * entry's fields: unknown keys, wrong types and missing required fields are
 * -EINVAL with "unknown field 'x'", "field 'x' must be a string", "missing
 * field 'x'". Values are checked with the parsers of parse.h and the
 * messages edgewardctl prints. Durations are whole seconds (ttl_s).
 *
 * On success *out is a new object: exactly what `edgewardctl -j COMMAND`
 * prints, plus, when there is something to warn about, "messages": lines
 * for the operator's stderr ("warning: 10.1.2.3/8 has host bits set; using
 * 10.0.0.0/8"), which edgewardctl prints and removes. On failure *out is
 * NULL, err holds one line, and the return value is -EINVAL (bad request),
 * -ENOENT (something named is not there; nothing changed), -ENODEV (no such
 * interface), -EBUSY (another XDP program is in the way), -ENOSPC or -E2BIG
 * (a map is full), -EFBIG (policy over 16 MiB), or another -errno
 * (ops_http_status maps them). Every operation is all or nothing, except
 * block.flush, whose message says how far it got.
 *
 * Requests that are not flags or strings: block.import's "entries" holds
 * CIDR strings or {"cidr", "ttl_s", "reason"} objects, whose defaults are
 * the request's own ttl_s and reason ("import FILE" after its "file");
 * policy.set takes {"default": {"tcp": "deny", ...}, "open": [...],
 * "close": [...], "events": {"sample": N, "max_per_sec": N}}, the shape of
 * policy.show's answer; apply takes {"yaml": TEXT, "name": FILE, "dry_run",
 * "force"} and reports errors as FILE:LINE:COL.
 *
 * Maps. When the entry's needs_maps is true, m must be open (ew_maps_open),
 * for writing when write is true, and the caller holds the writer lock
 * (ew_maps_lock) for the whole call. When needs_maps is false the operation
 * works whether the filter is loaded or not: m carries the pin directory
 * (ops_maps_init) and its maps may be open or not; the operation opens what
 * it needs itself when they are not (read-only, or for writing when it
 * changes the maps: apply on a daemon without maps). Maps that are not open
 * must be marked so (ops_maps_init, or a failed ew_maps_open): a zeroed
 * struct ew_maps has fd 0 everywhere and looks open. attach answers
 * "loaded": true when it loaded the filter just now: a caller that keeps
 * maps open (edgewardd) opens them then.
 *
 * Not thread-safe (the daemon runs them in its one event loop), except that
 * distinct struct ew_maps may be used by distinct threads.
 */
#ifndef EW_OPS_H
#define EW_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "maps.h"

typedef int ops_fn(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen);
/* The same answer written as JSON text to f, never held in memory as a whole (block.list). */
typedef int ops_stream_fn(struct ew_maps *m, json_t *req, FILE *f, char *err, size_t errlen);

/* The JSON type of a request field. */
enum ops_type {
	OPS_T_STR,	/* string */
	OPS_T_BOOL,	/* true or false */
	OPS_T_UINT,	/* integer >= 0 */
	OPS_T_STRS,	/* array of strings */
	OPS_T_ARRAY,	/* array; the operation checks the items */
	OPS_T_OBJECT,	/* object; the operation checks its keys */
};

struct ops_field {
	const char *name;
	enum ops_type type;
	bool required;
};

struct ops_entry {
	const char *name;	/* "block.add" */
	const char *method;	/* "POST", "GET" */
	const char *path;	/* "/v1/blocks" */
	const char *resource;	/* RBAC resource: "blocklist" */
	const char *action;	/* RBAC action: "read", "create", "update", "delete", "execute" */
	bool write;		/* changes state: maps opened for writing, lock held, audited */
	bool needs_maps;	/* false: works without a loaded filter (see above) */
	ops_fn *fn;
	ops_stream_fn *stream;	/* NULL, or the answer streamed (large answers) */
	const struct ops_field *fields;	/* the request's fields, { NULL } terminated */
};

/* Every operation, { NULL } terminated. */
extern const struct ops_entry ops_table[];

/* By name ("block.add"); NULL if none. */
const struct ops_entry *ops_find(const char *name);
/*
 * By method and path ("POST", "/v1/blocks"). path may carry a query
 * ("?origin=import"), which is ignored here. NULL if no operation has that
 * route; *path_known (may be NULL) then says whether the path exists with
 * another method (405 rather than 404).
 */
const struct ops_entry *ops_route(const char *method, const char *path, bool *path_known);

/*
 * The request of an API call: the JSON body (must be an object; empty:
 * {}) and the query string (NULL or "origin=import&expired=true", without
 * '?'), whose values are converted to the types of e's fields (booleans:
 * true/false/1/0 or no value; integers decimal; arrays: the key repeated).
 * A field in both is an error. The result is not yet checked against
 * fields beyond what the conversion needs: the operation does that.
 * Returns 0 or -EINVAL (err says why) or -ENOMEM.
 */
int ops_request(const struct ops_entry *e, const char *query, const char *body, size_t len,
		json_t **req, char *err, size_t errlen);
/*
 * The reverse, for clients: e's path with req as its query string
 * ("/v1/blocks?origin=import&expired=true"), percent-encoded. malloc'd;
 * NULL on ENOMEM. Only strings, booleans, integers and arrays of strings.
 */
char *ops_query_path(const struct ops_entry *e, json_t *req);

/* The HTTP status for an operation's return value: 200, 400, 403, 404, 409, 503, 507, 500. */
int ops_http_status(int rc);

/* Does this request change anything (write, and not a dry run)? The ones to audit. */
bool ops_changes(const struct ops_entry *e, json_t *req);
/*
 * What an audit record keeps of a call: {"request": ..., "result": ...},
 * with long arrays cut to their first 20 items and a count ("entries": 1M
 * CIDRs of an import), and the YAML of apply replaced by its size and
 * SHA-256. out may be NULL (failed call). A new object, NULL on ENOMEM.
 */
json_t *ops_audit_details(const struct ops_entry *e, json_t *req, json_t *out);

/*
 * block.list's rules one at a time, for who renders them other than as its
 * JSON (edgewardctl's table in emergency mode): the request checked as
 * block.list checks it, then start(n) and row() for each rule in the
 * answer's order, with the answer's texts (valid until row returns). reason
 * is the rule's raw bytes. A nonzero return of a callback stops the walk
 * and is returned.
 */
struct ops_block_row {
	const char *cidr, *origin, *expires, *added, *reason;
	int64_t expires_in_s;	/* -1: never */
	bool expired;
	uint64_t hits;
	uint32_t added_unix;
};
struct ops_block_walker {
	int (*start)(size_t n, void *ctx);	/* may be NULL */
	int (*row)(const struct ops_block_row *row, void *ctx);
	void *ctx;
};
int ops_block_walk(struct ew_maps *m, json_t *req, const struct ops_block_walker *w, char *err,
		   size_t errlen);

/* ---- maps ---- */

/* m as "not open", pinned in pin_dir (NULL: EW_PIN_DIR). */
void ops_maps_init(struct ew_maps *m, const char *pin_dir);
/* Are m's maps open? */
bool ops_maps_ready(const struct ew_maps *m);
/*
 * ew_maps_open with the operator's messages: "edgeward is not loaded (no
 * pinned maps in DIR); run 'edgewardctl attach IFACE' first" and the like.
 */
int ops_maps_open(struct ew_maps *m, const char *pin_dir, bool write, char *err, size_t errlen);

/*
 * Progress of block.import, for a terminal: edgewardctl's emergency mode sets
 * it; NULL (the default) for none. Process-wide.
 */
void ops_set_progress(void (*cb)(size_t done, size_t total, void *ctx), void *ctx);

/*
 * Counting the entries of the big maps walks them (5 ms empty, a quarter
 * second at 1M rules). A long-lived caller (edgewardd, whose one loop would
 * serve nobody meanwhile) sets a maximum age, and status and stats then
 * reuse a count up to that old; 0 (the default) counts every time.
 */
void ops_set_fill_max_age(unsigned int seconds);
int ops_map_fill(struct ew_maps *m, struct ew_fill *f);

/* ---- checks and forms shared with edgewardctl's own argument parsing ---- */

/*
 * A CIDR given by an operator: ew_cidr_parse with host bits cleared (warn,
 * if non-NULL, gets "S has host bits set; using C", else ""), and 0.0.0.0/0
 * and ::/0 refused unless force. 0 or -EINVAL.
 */
int ops_cidr(const char *s, bool force, struct ew_cidr *out, char *warn, size_t warnlen, char *err,
	     size_t errlen);
/* A block reason: < 64 bytes of UTF-8 without control characters. what names it ("--reason"). */
int ops_check_reason(const char *what, const char *s, char *err, size_t errlen);
/* A rate-limit class name: [A-Za-z0-9][A-Za-z0-9._-]*, < EW_NAME_LEN. */
int ops_check_class_name(const char *s, char *err, size_t errlen);
/* Valid UTF-8 without control characters: safe to print on a terminal as it is. */
bool ops_printable(const char *s);

/* A JSON string from untrusted bytes: invalid UTF-8 is written as \xNN text. Never NULL. */
json_t *ops_jstr(const char *s);
/* Local time, ISO 8601 with the offset: 2025-01-02T03:04:05+01:00 (ms >= 0: with .mmm). */
void ops_iso_time(time_t t, int ms, char *buf, size_t len);
/* "59m", "1h30m", "2d3h": two units at most, rounded down. */
void ops_rel_duration(uint64_t ns, char *buf, size_t len);

/* The longest ttl_s accepted: 100 years. */
#define OPS_TTL_MAX_S 3155760000ULL

#endif
