/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guide's risk score (audit.calculate_risk_score) computed in memory,
 * so the daemon scores an event without a database. It must agree with the
 * SQL function on every case of tests/data/risk_cases.json:
 *
 *   base by event type: failed_login 20, admin_action 30, data_export 40,
 *     permission_escalation 50, suspicious_activity 60, anything else 10;
 *   + 15 x the user's events of the last hour whose type contains "failed"
 *     (case-sensitive, as LIKE '%failed%'; any result, any address);
 *   + 25 if the (user, address) pair has no event with result "success" in
 *     the last 30 days (any type: a "failed_login" with result "success"
 *     counts, as it does in SQL);
 *   + 20 if the user is privileged (role admin or super_admin);
 *   at most 100.
 *
 * SQL's NULL semantics are kept: a NULL user matches nothing, so it has no
 * failures, is always at a new location and is never privileged; a NULL
 * address matches nothing, so it is always a new location (its user's
 * failures still count). A source that is not a plain IPv4 or IPv6
 * address ("unix", "local") cannot be stored in an INET column, so the
 * daemon stores NULL there and it is treated as NULL here; so is text with
 * a prefix length (the daemon only passes plain addresses). Addresses
 * compare as INET does: by value ("2001:db8::1" = "2001:0db8:0:0::1"), and
 * an IPv4-mapped IPv6 address is not the IPv4 address.
 *
 * Windows: an event at time t is in the last hour of now when
 * t > now - 3600, in the last 30 days when t > now - 2592000: strictly
 * greater, as SQL's `timestamp > NOW() - INTERVAL '1 hour'`. Times are in
 * whole seconds.
 *
 * The score is computed BEFORE the event is recorded: call risk_score,
 * then risk_observe with the same event.
 *
 * Memory is bounded:
 *   - at most RISK_MAX_USERS users; a new user beyond that evicts the one
 *     observed least recently (its history is forgotten: its next score
 *     counts no failures and a new location);
 *   - per user, the RISK_FAIL_KEEP latest failure times (more cannot change
 *     a score: 6 failures already reach the cap of 100 from the lowest base);
 *   - per user, RISK_IPS_PER_USER addresses with their latest success; a new
 *     one beyond that replaces the one with the oldest success (that address
 *     then scores as new: an over-estimate, never an under-estimate);
 *   - user names over RISK_NAME_MAX bytes are kept as their SHA-256;
 *   - risk_prune drops failures older than an hour, successes older than 30
 *     days and users left with neither (call it periodically).
 * A NULL user, or an event that is neither a failure nor a success with an
 * address, stores nothing.
 *
 * Not thread-safe: one context per event loop.
 */
#ifndef EW_RISK_H
#define EW_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RISK_MAX_USERS	    100000
#define RISK_FAIL_KEEP	    8
#define RISK_IPS_PER_USER   16
#define RISK_NAME_MAX	    255
#define RISK_FAIL_WINDOW_S  3600
#define RISK_LOC_WINDOW_S   (30 * 86400)
#define RISK_CAP	    100

struct risk_ctx;

struct risk_ctx *risk_new(void);
void risk_free(struct risk_ctx *rc);
/* The score of an event about to be recorded at now_s (Unix seconds): 0..100. */
int risk_score(struct risk_ctx *rc, const char *event_type, const char *user, const char *ip,
	       bool privileged, int64_t now_s);
/* Record an event that happened at now_s. */
void risk_observe(struct risk_ctx *rc, const char *event_type, const char *user, const char *ip,
		  const char *result, int64_t now_s);
/* Forget what no score at now_s or later can use; returns the users dropped. */
size_t risk_prune(struct risk_ctx *rc, int64_t now_s);
/* Users held (for metrics and tests). */
size_t risk_users(const struct risk_ctx *rc);
/* The base score of an event type (10 for NULL or unknown types). */
int risk_base(const char *event_type);

#endif
