/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The response engine: the guide's automated response rules evaluated in
 * memory on the stream of security events (API logins, sshd and other auth
 * logs, XDP drop summaries, application events), so that "5 failed logins
 * in 5 minutes" becomes a kernel block within a millisecond of the fifth
 * failure, without a database round trip.
 *
 * A rule matches events by type (and optionally role, user, time of day,
 * exported bytes) and fires when `count` matching events fall inside a
 * sliding `window`, counted separately per source (the default), per user
 * or over all events. An event at time t is inside the window of now when
 * t > now - window, as SQL's `timestamp > NOW() - INTERVAL` counts. After a
 * rule fires its window for that key starts empty again. Rules with count 1
 * fire on every matching event.
 *
 * Actions, run in the rule's order except that block_ip always runs first
 * (the kernel block is what has to be fast):
 *   block_ip              ops->block on the source, for the rule's block_for
 *                         or the escalation ladder's step, whichever is longer
 *   notify_admin, notify_security_team, notify_data_protection_officer
 *                         ops->alert with that recipient
 *   log_extended          every later event of that user and that source is
 *                         audited in full ("extended_log") for log_extended_for
 *   require_mfa, require_additional_auth, require_approval, quarantine_export
 *                         act on application state the engine does not hold:
 *                         handed to ops->act (the operator store, PostgreSQL);
 *                         without one they are audited as "unavailable"
 * Every action is audited through ops->audit, one record each
 * (type "automated_response"; log_extended's later events "extended_log",
 * bursts "login_failure_burst"), after it ran: the block goes in first so that
 * the journal's fsync does not sit inside the block's latency; a block whose
 * record cannot be written stays.
 *
 * Blocking. An IPv4 source is blocked as its /32; an IPv4-mapped IPv6
 * source (::ffff:a.b.c.d) as the IPv4 /32; any other IPv6 source as its
 * /64 (one subscriber's allocation: rotating through it does not escape),
 * narrowed to the /128 when that /64 holds a protected address. Windows per
 * source are keyed the same way. Protected ("never blocked") are: the
 * config's never_block networks (management), the allowlist given with
 * respond_set_allow, the loopback networks, the unspecified addresses and
 * every address of this server's interfaces (getifaddrs, re-read by
 * respond_set_allow). A block that would cover any of them is refused and
 * audited as "refused". A source already blocked by the engine is not
 * blocked again until that block ends.
 *
 * Escalation. The n-th block of the same target (n = 0, 1, ...) lasts
 * escalation[min(n, steps - 1)], never less than the rule's block_for; the
 * count is forgotten escalation_reset after the target's last block ended.
 *
 * Failed-login bursts (the guide's monitor): more than burst_threshold
 * failed_login or invalid_user events in burst_window from all sources
 * together raise one alert to the security team and one audit record, then
 * stay quiet for a window.
 *
 * Memory is bounded, and everything is evicted least recently used first:
 *   - per rule at most max_keys windows (source, user, or one for "all"),
 *     each holding at most min(count, RESPOND_RING_MAX) time slots of 16
 *     bytes; with count above RESPOND_RING_MAX the two oldest slots merge
 *     into one carrying the newer time (the count errs towards firing, by
 *     at most the time between those two events); an evicted key's count
 *     starts again from zero;
 *   - at most max_offenders escalation records (an evicted one starts
 *     again at the first step);
 *   - at most max_keys extended-log marks;
 *   - user names are cut at RESPOND_USER_MAX bytes for keys.
 * So a flood of spoofed sources costs at most max_keys * rules windows and
 * evicts the oldest counts, never the engine's memory. Per counting rule:
 * max_keys * (~100 + 16 * slots) bytes, 16384 keys with the default rule
 * about 3 MiB at most. Hash buckets are allocated for the maximum at start
 * (8 bytes a key: 128 KiB for 16384), so that no event ever waits for a
 * rehash.
 *
 * Hash tables are keyed with SipHash and a random key, so that chosen
 * addresses or user names cannot force long chains.
 *
 * Clock: ops->now_ms (Unix time in ms; NULL: CLOCK_REALTIME); an event
 * without ts_ms happens now. Times that go backwards within a window are
 * taken as the latest time seen there.
 *
 * Not thread-safe: one engine per event loop. Re-entrant calls (an audit or
 * alert callback feeding respond_event again) are refused with -EDEADLK.
 */
#ifndef EWD_RESPOND_H
#define EWD_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alert.h"
#include "parse.h"
#include "rbac.h"

#define RESPOND_NAME_LEN	64	/* rule names: printable, 1..63 bytes */
#define RESPOND_MAX_RULES	32
#define RESPOND_MAX_ACTIONS	9	/* each action at most once */
#define RESPOND_MAX_USERS	8	/* when.users */
#define RESPOND_USER_MAX	64	/* bytes of a user name in a rule or a key */
#define RESPOND_MAX_STEPS	16	/* escalation steps */
#define RESPOND_MAX_NEVER	256	/* never_block networks in the config */
#define RESPOND_MAX_COUNT	10000
#define RESPOND_RING_MAX	32
#define RESPOND_MAX_WINDOW_S	(7 * 86400)
#define RESPOND_MAX_BLOCK_S	(365 * 86400)

enum respond_ev_type {
	RESPOND_EV_FAILED_LOGIN,	/* wrong password or key, PAM failure, API login failure */
	RESPOND_EV_INVALID_USER,	/* a login attempt for a user that does not exist */
	RESPOND_EV_PREAUTH,		/* disconnected before authenticating (scanners) */
	RESPOND_EV_LOGIN_SUCCESS,
	RESPOND_EV_DATA_EXPORT,		/* bytes = the export's size */
	RESPOND_EV_DROPS,		/* XDP drops of one source in a summary; count = drops */
	RESPOND_EV_COUNT
};

/* "failed_login", "invalid_user", "preauth_disconnect", "login_success", "data_export", "drops" */
const char *respond_ev_name(int type);
int respond_ev_parse(const char *s);	/* enum respond_ev_type or -EINVAL */

enum respond_action {
	RESPOND_ACT_BLOCK_IP,
	RESPOND_ACT_NOTIFY_ADMIN,
	RESPOND_ACT_NOTIFY_SECURITY_TEAM,
	RESPOND_ACT_NOTIFY_DPO,		/* notify_data_protection_officer */
	RESPOND_ACT_REQUIRE_MFA,
	RESPOND_ACT_REQUIRE_ADDITIONAL_AUTH,
	RESPOND_ACT_LOG_EXTENDED,
	RESPOND_ACT_REQUIRE_APPROVAL,
	RESPOND_ACT_QUARANTINE_EXPORT,
	RESPOND_ACT_COUNT
};

const char *respond_action_name(int a);
int respond_action_parse(const char *s);	/* enum respond_action or -EINVAL */

enum respond_per { RESPOND_PER_SOURCE, RESPOND_PER_USER, RESPOND_PER_ALL };
const char *respond_per_name(int per);	/* "source", "user", "all" */

struct respond_rule {
	char name[RESPOND_NAME_LEN];
	bool enabled;
	uint32_t events;		/* bit (1 << enum respond_ev_type) per type counted */
	uint32_t count;			/* 1..RESPOND_MAX_COUNT */
	uint64_t window_ms;		/* count > 1: 1 s .. 7 d; count 1: 0 */
	enum respond_per per;
	char role[RBAC_NAME_LEN];	/* "": any role */
	char users[RESPOND_MAX_USERS][RESPOND_USER_MAX];	/* n_users 0: any user */
	size_t n_users;
	bool has_time;			/* only events inside time (wraps past midnight) */
	struct rbac_time time;
	uint64_t bytes_over;		/* data_export: fires when bytes > this; 0: no limit */
	uint8_t actions[RESPOND_MAX_ACTIONS];	/* enum respond_action, the config's order */
	size_t n_actions;
	uint64_t block_s;		/* block_ip's shortest block; 1 h by default */
	int line;			/* in the config file, 0 for the built-in defaults */
};

struct respond_conf {
	struct respond_rule rules[RESPOND_MAX_RULES];
	size_t n_rules;
	uint64_t escalation_s[RESPOND_MAX_STEPS];	/* non-decreasing */
	size_t n_escalation;		/* 0: every block lasts the rule's block_for */
	uint64_t escalation_reset_s;	/* 30 d */
	struct ew_cidr never_block[RESPOND_MAX_NEVER];
	size_t n_never_block;
	uint32_t max_keys;		/* windows per rule, extended-log marks: 16384 */
	uint32_t max_offenders;		/* escalation records: 65536 */
	uint64_t log_extended_s;	/* how long log_extended lasts: 1 h */
	uint32_t burst_threshold;	/* failed-login burst: alert above this many; 0: off */
	uint64_t burst_window_ms;	/* 5 min */
};

/*
 * The guide's defaults: rules "Multiple Failed Logins" (failed_login and
 * invalid_user, 5 in 5 min per source: block_ip 1 h, notify_admin,
 * require_mfa), "Admin Access After Hours" (login_success of role admin
 * 22:00-06:00 UTC: notify_security_team, require_additional_auth,
 * log_extended), "Data Export Large Volume" (data_export over 1 GB:
 * require_approval, notify_data_protection_officer, quarantine_export);
 * escalation 1h, 6h, 24h, 7d, reset after 30 d; burst monitor 5 in 5 min.
 */
void respond_conf_defaults(struct respond_conf *c);

/*
 * A size as PostgreSQL's pg_size_bytes reads it, so that rules taken from
 * audit.response_rules mean the same: a whole number and a unit B, bytes,
 * kB, MB, GB, TB or PB (case-insensitive, powers of 1024: 1GB = 1073741824),
 * KiB.. PiB accepted as the same; an optional "> " in front (the guide's
 * "> 1GB"). Returns 0 or -EINVAL with err.
 */
int respond_size_parse(const char *s, uint64_t *out, char *err, size_t errlen);

/*
 * Check one rule for consistency (the config walker checks each value; this
 * checks them together): events given, count and window, bytes_over only
 * for data_export, block_for only with block_ip, block_ip needs per source
 * or user, at least one action, no action twice. 0 or -EINVAL with err.
 */
int respond_rule_check(const struct respond_rule *r, char *err, size_t errlen);

/* One event. Strings are borrowed for the call. */
struct respond_ev {
	enum respond_ev_type type;
	const char *user;	/* NULL: unknown */
	const char *role;	/* NULL: unknown */
	const char *source;	/* the client's address as text; NULL: none */
	uint64_t bytes;		/* data_export */
	uint32_t count;		/* how many events this one stands for; 0 counts as 1 */
	uint64_t ts_ms;		/* Unix ms; 0: now */
	const char *origin;	/* where it came from: "api", "sshd", "xdp", "app", ... */
	const char *id;		/* an application's event: its audit.security_events id */
};

struct respond_ops {
	/*
	 * Block target (a /32, /64 or /128) for ttl_s seconds; reason is at
	 * most 63 bytes. 0, -EEXIST when a block at least as long is already
	 * there (an operator's: it must not be shortened; audited as skipped),
	 * or -errno. Required when a rule has block_ip.
	 */
	int (*block)(void *arg, const struct ew_cidr *target, uint64_t ttl_s, const char *reason);
	/* Append an audit record (jr_event shape, no risk: the callee scores it). 0 or -errno. */
	int (*audit)(void *arg, json_t *rec);
	/* Raise an alert; recipient "admin", "security_team", "data_protection_officer". */
	void (*alert)(void *arg, enum alert_level level, const char *recipient, const char *text,
		      json_t *details);
	/* Optional: the application-side actions. 0 done, -ENOTSUP not handled, -errno failed. */
	int (*act)(void *arg, enum respond_action a, const struct respond_ev *ev,
		   const struct respond_rule *rule);
	/* Optional: Unix time in ms (tests mock it). */
	uint64_t (*now_ms)(void *arg);
};

struct respond;

/*
 * A new engine for conf (copied, checked with respond_rule_check) and ops
 * (copied). The protected set starts as the config's never_block, loopback
 * and this server's addresses. NULL on error (logged; errno set).
 */
struct respond *respond_new(const struct respond_conf *conf, const struct respond_ops *ops,
			    void *arg);
void respond_free(struct respond *r);

/*
 * New rules (a reload): every window starts empty; escalation records,
 * extended-log marks and the protected set stay. 0 or -EINVAL (err).
 */
int respond_reconf(struct respond *r, const struct respond_conf *conf, char *err, size_t errlen);

/*
 * Feed one event. Returns how many rules fired (0..), or -EINVAL (a source
 * that is not an IP address, an unknown type), -EDEADLK (called from inside
 * one of the engine's own callbacks).
 */
int respond_event(struct respond *r, const struct respond_ev *ev);

/*
 * Feed an audit record (jr_event shape): "failed_login", "login_success"
 * and "data_export" records become events (actor = user, source, details.
 * role, details.bytes); a "packet_drops" summary (dropev's) becomes one
 * drops event per source of its top_sources. Other types are ignored.
 * Returns what respond_event returned (the sum for a summary), 0 when the
 * record is not an event.
 */
int respond_audit_record(struct respond *r, const json_t *rec, const char *origin);

/*
 * Replace the allowlist part of the protected set and re-read this
 * server's own addresses. allow may hold IPv4-mapped ranges (taken as IPv4).
 * 0 or -ENOMEM (the previous set stays).
 */
int respond_set_allow(struct respond *r, const struct ew_cidr *allow, size_t n);

/*
 * Would a block of the source address text be refused? Fills *target with
 * what would be blocked (NULL allowed). -EINVAL for text that is not an
 * address; otherwise 1 protected (why, if given, says by what), 0 not.
 */
int respond_protected(struct respond *r, const char *source, struct ew_cidr *target, char *why,
		      size_t whylen);

/*
 * Normalise an address text to what is counted and blocked: IPv4 /32,
 * IPv4-mapped IPv6 as IPv4 /32, IPv6 /64. 0 or -EINVAL.
 */
int respond_target(const char *source, struct ew_cidr *out);

/* Drop windows, marks and records nothing can use any more (call every minute or so). */
void respond_tick(struct respond *r);

struct respond_stats {
	uint64_t events;		/* accepted by respond_event */
	uint64_t rejected;		/* bad source or type */
	uint64_t fired;			/* rule firings */
	uint64_t blocks;		/* block callbacks that succeeded */
	uint64_t block_errors;		/* block callbacks that failed */
	uint64_t refused;		/* blocks refused: protected target */
	uint64_t already_blocked;	/* blocks skipped: the engine's block still runs */
	uint64_t audit_errors;
	uint64_t evicted;		/* windows, marks and records evicted when full */
	uint64_t bursts;		/* failed-login burst alerts */
	size_t keys;			/* windows held now, all rules */
	size_t offenders;		/* escalation records held now */
	size_t protected;		/* networks in the protected set */
};
void respond_stats(const struct respond *r, struct respond_stats *out);

#endif
