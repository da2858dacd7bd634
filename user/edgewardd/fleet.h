/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fleet blocklist: several edgewardd servers share one PostgreSQL table,
 * audit.ip_blocklist, and every server keeps its kernel's origin=fleet rules
 * equal to the table's live rows.
 *
 * One non-blocking libpq connection runs inside the daemon's event loop. It
 * LISTENs on edgeward_blocklist and edgeward_events. A blocklist notification
 * is only a hint: its payload names the address, and the row is read back
 * from the table (which only privileged roles may write) before the kernel
 * changes, because any role that can connect may NOTIFY any channel. Every
 * (re)connect, and every resync_interval_s, does a full resync. Rules of
 * other origins (manual, import, policy, auto) are never touched, except
 * that a live fleet block may replace one whose own expiry has passed.
 *
 * Expiry: blocked_until is converted against the database's now(), not this
 * server's wall clock: expires_ns = boot_ns_at_query + (blocked_until - now()).
 * So every server expires a block at the same instant (within its network
 * latency to PostgreSQL) whatever its own clock says.
 */
#ifndef EWD_FLEET_H
#define EWD_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "maps.h"

struct event_base;
struct fleet;

#define FLEET_CHANNEL_BLOCKLIST "edgeward_blocklist"
#define FLEET_CHANNEL_EVENTS	"edgeward_events"
#define FLEET_CHANNEL_CONFIG	"edgeward_config"	/* rbac or response rules changed */

struct fleet_conf {
	const char *conninfo;		/* libpq connection string or URI */
	const char *node;		/* this server's name: created_by of its publishes */
	struct ew_maps *maps;		/* opened for writing (the daemon's), or NULL ... */
	const char *pin_dir;		/* ... and fleet opens these itself (NULL = EW_PIN_DIR) */
	unsigned int resync_interval_s;	/* full resync period; 0 = on (re)connect only */
	unsigned int statement_timeout_ms; /* 0 = FLEET_STMT_TIMEOUT_MS */
	const char *tenant;		/* shared.tenants.name for ops->state; NULL: none */
};

#define FLEET_STMT_TIMEOUT_MS	10000
#define FLEET_BACKOFF_MIN_MS	100
#define FLEET_BACKOFF_MAX_MS	30000
#define FLEET_CONNECT_TIMEOUT_MS 10000

/* Queue bounds: what does not fit is counted as dropped (publishes, events) or resynced. */
#define FLEET_PUBLISH_MAX	16384	/* publishes waiting for the database */
#define FLEET_PENDING_MAX	4096	/* addresses notified, not yet read back */
#define FLEET_BATCH_MAX		512	/* addresses read back in one query */
#define FLEET_EVENTS_MAX	1024	/* security event ids waiting to be fetched */
#define FLEET_EVENT_BATCH	128	/* event ids fetched in one query */
#define FLEET_CATCHUP_MAX	1000	/* events fetched after a reconnect, at most */
#define FLEET_NOTIFY_MAX	1024	/* notifications.queue rows waiting for the database */
#define FLEET_STATE_INTERVAL_S	60	/* ops->state is re-read at least this often */

struct fleet_ops {
	/*
	 * One audit record (jr_event shape without "risk") per batch of kernel
	 * changes the fleet made; borrowed. NULL: not audited.
	 */
	void (*audit)(void *arg, json_t *rec);
	/* The maps' writer lock around each batch; NULL: ew_maps_lock/ew_maps_unlock. */
	int (*lock)(void *arg);
	void (*unlock)(void *arg);
	/*
	 * An application's row of audit.security_events (node NULL: logged
	 * through audit.log_security_event, not shipped from a server's journal)
	 * as {id, event_type, user_id, actor, ip_address, resource, action,
	 * result, risk_score, details, timestamp}; borrowed. NULL: events are not
	 * listened to.
	 */
	void (*event)(void *arg, json_t *ev);
	/*
	 * After each kernel change: blocked (expires_ns 0 = never) or lifted.
	 * Called with the maps' lock held. May be NULL.
	 */
	void (*changed)(void *arg, const struct ew_cidr *c, uint64_t expires_ns, bool blocked);
	/*
	 * shared.controller_state(tenant) (sql/migrations/0009_controller.sql):
	 * the roles, user roles and response rules of the database, borrowed.
	 * Read on every (re)connect, after each edgeward_config notification (a
	 * commit that changed them) and every FLEET_STATE_INTERVAL_S. NULL: not
	 * read, not listened to. While the database is away nothing is called:
	 * the last state stands.
	 */
	void (*state)(void *arg, json_t *state);
};

struct fleet_stats {
	bool connected;			/* LISTENing on a live connection */
	uint64_t connects;		/* connections that reached LISTEN */
	uint64_t disconnects;
	uint64_t notifications;		/* blocklist notifications received */
	uint64_t ignored;		/* notifications or rows rejected (logged) */
	uint64_t resyncs;		/* full resyncs completed */
	uint64_t applied;		/* kernel rules added, updated or removed */
	uint64_t published;		/* rows written by fleet_publish */
	uint64_t publish_dropped;	/* publishes refused: queue full, or expired in it */
	uint64_t events;		/* security events handed to ops->event */
	uint64_t events_dropped;	/* event ids over FLEET_EVENTS_MAX */
	uint64_t errors;		/* failed queries, kernel writes, lost connections */
	uint64_t states;		/* controller states handed to ops->state */
	uint64_t state_errors;		/* state reads that failed (the last state stands) */
	uint64_t config_notifications;	/* edgeward_config notifications received */
	uint64_t notified;		/* rows written to notifications.queue */
	uint64_t acted;			/* response actions carried out by shared.controller_act */
	uint64_t notify_dropped;	/* notifications or actions refused: queue full, or failed */
	time_t last_resync;		/* wall clock of the last completed resync; 0 = never */
	size_t fleet_rules;		/* origin=fleet rules after the last resync */
};

/*
 * Start: opens the maps (conf->maps NULL), then connects in the background,
 * retrying with backoff FLEET_BACKOFF_MIN_MS..FLEET_BACKOFF_MAX_MS while the
 * database is away; the loop never blocks on it. Strings of conf are copied.
 * NULL on a bad conf, maps that cannot be opened or no memory (logged).
 */
struct fleet *fleet_new(struct event_base *base, const struct fleet_conf *conf,
			const struct fleet_ops *ops, void *arg);
void fleet_free(struct fleet *f);

/*
 * Share a block the caller has already written to its own kernel: INSERT,
 * or on a conflict extend the row's blocked_until, never shorten it (another
 * server's longer or permanent block wins). until_epoch: wall-clock seconds,
 * 0 = permanent; it is sent to the database as a time left, so this server's
 * clock skew does not move the fleet's expiry. Queued while disconnected.
 * -EINVAL (bad CIDR, /0, expiry passed), -ENOBUFS (queue full).
 */
int fleet_publish(struct fleet *f, const struct ew_cidr *c, int64_t until_epoch,
		  const char *reason);
/* The same with the row's origin (fleet_publish: "response_rule"; an operator's: "manual"). */
int fleet_publish_as(struct fleet *f, const struct ew_cidr *c, int64_t until_epoch,
		     const char *reason, const char *origin);
/*
 * An operator's unblock: DELETE the row (if any), so that every server lifts
 * its fleet rule for c. Queued in order with the publishes. 0, -EINVAL,
 * -ENOBUFS.
 */
int fleet_unpublish(struct fleet *f, const struct ew_cidr *c);
/*
 * Queue a row of notifications.queue (recipient_type 'role', recipient_name
 * recipient: "admin", "security_team", ...). Sent in order once connected;
 * FLEET_NOTIFY_MAX wait at most. 0, -EINVAL, -ENOBUFS, -ENOMEM.
 */
int fleet_notify(struct fleet *f, const char *recipient, const char *subject,
		 const char *message);
/*
 * Queue shared.controller_act(action, event_id): require_mfa,
 * require_additional_auth, require_approval or quarantine_export on the
 * application state of an application's event. Shares the queue of
 * fleet_notify. 0, -EINVAL (bad id), -ENOBUFS, -ENOMEM.
 */
int fleet_act(struct fleet *f, const char *action, const char *event_id);
/*
 * Has the database announced a change of roles or rules (edgeward_config)
 * whose new state has not been handed to ops->state yet? Reads what the
 * server has sent first (non-blocking), so a notification that arrived
 * before a request is seen before the request is checked. False while the
 * database is away (the last state stands).
 */
bool fleet_state_pending(struct fleet *f);
/* Read the controller state again as soon as the connection is free. */
void fleet_state_refresh(struct fleet *f);
/* A full resync as soon as the connection is free. */
void fleet_resync(struct fleet *f);
void fleet_stats(const struct fleet *f, struct fleet_stats *out);

/* ---- the pure parts, exposed for tests ---- */

/*
 * A blocklist notification payload (sql/migrations/0005_blocklist.sql):
 * {"op", "ip", "blocked_until", "reason"}, or {"op": "truncate"} alone.
 */
enum fleet_op { FLEET_OP_INSERT = 1, FLEET_OP_UPDATE, FLEET_OP_DELETE, FLEET_OP_TRUNCATE };

#define FLEET_FOREVER	INT64_MAX	/* until_ms of a permanent block */
#define FLEET_PAYLOAD_MAX 8000		/* PostgreSQL's own NOTIFY payload limit */

struct fleet_note {
	enum fleet_op op;
	struct ew_cidr cidr;		/* not for FLEET_OP_TRUNCATE */
	int64_t until_ms;		/* epoch ms, FLEET_FOREVER = permanent */
	char reason[EW_REASON_TEXT_LEN];
};

/*
 * Parse a payload strictly: a JSON object of at most FLEET_PAYLOAD_MAX
 * bytes, "op" insert/update/delete (any case) with "ip" a canonical address
 * or CIDR other than /0, "blocked_until" null or epoch seconds, "reason"
 * null or a string (cleaned by fleet_reason_copy); or "op" truncate and
 * nothing else needed. Other keys are ignored. 0 or -EINVAL with the reason
 * in err.
 */
int fleet_note_parse(const char *payload, struct fleet_note *out, char *err, size_t errlen);

#define FLEET_UUID_LEN 36
/*
 * An edgeward_events payload: the event's uuid, 8-4-4-4-12 hex digits,
 * copied to id in lower case. 0 or -EINVAL.
 */
int fleet_event_id_parse(const char *payload, char id[FLEET_UUID_LEN + 1]);
/*
 * Copy a reason into dst[EW_REASON_TEXT_LEN]: control bytes become '?', the
 * text is cut at EW_REASON_TEXT_LEN - 1 bytes without splitting a UTF-8
 * sequence. src NULL gives "".
 */
void fleet_reason_copy(char *dst, const char *src);

/*
 * CLOCK_BOOTTIME expiry of a block until until_ms (epoch ms, FLEET_FOREVER
 * = permanent), given a reference clock's now_ms read at boot_ns. 0 with
 * *expires_ns (0 for permanent; lives past 100 years are cut to 100 years),
 * or -ETIME when until_ms <= now_ms (already expired).
 */
int fleet_expiry(int64_t until_ms, int64_t now_ms, uint64_t boot_ns, uint64_t *expires_ns);

/* A live row read back from audit.ip_blocklist, converted for the kernel. */
struct fleet_want {
	struct ew_cidr cidr;
	uint64_t expires_ns;		/* CLOCK_BOOTTIME, 0 = never */
	char reason[EW_REASON_TEXT_LEN];
};

/*
 * A row as text (ip_address::text; until_ms, now_ms as int8 text, until_ms
 * NULL = permanent; reason may be NULL) into w. 0, -ETIME (expired: skip)
 * or -EINVAL (err says why).
 */
int fleet_row_parse(const char *ip, const char *until_ms, const char *now_ms, const char *reason,
		    uint64_t boot_ns, struct fleet_want *w, char *err, size_t errlen);

/* Expiries closer than this count as equal: a resync leaves such a rule (and its hits) alone. */
#define FLEET_EXPIRY_SLACK_NS	1000000000ULL

struct fleet_plan {
	struct ew_bl_entry *add;	/* origin EW_ORIGIN_FLEET: new or changed rules */
	size_t n_add;
	size_t n_new;			/* of n_add: CIDRs without a fleet rule before */
	struct ew_cidr *del;		/* fleet rules no longer wanted */
	size_t n_del;
	size_t n_same;			/* fleet rules already right */
	size_t n_shadowed;		/* wanted, but held by a live rule of another origin */
};

/*
 * What makes the kernel's fleet rules (among have: rules of any origin, as
 * bl_collect gives them) equal to want (duplicates: the longest expiry
 * wins). A live rule of another origin is left alone (shadowed); an expired
 * one is replaced. now_ns: CLOCK_BOOTTIME. 0 or -ENOMEM; free the plan with
 * fleet_plan_free.
 */
int fleet_diff(const struct ew_bl_row *have, size_t n_have, const struct fleet_want *want,
	       size_t n_want, uint64_t now_ns, struct fleet_plan *plan);
void fleet_plan_free(struct fleet_plan *plan);

#endif
