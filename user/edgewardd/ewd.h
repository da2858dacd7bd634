/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edgewardd's state: one instance, owned by main.c, handed to every module
 * that serves a request. Everything runs in the one libevent loop; nothing
 * here is shared between threads.
 */
#ifndef EWD_H
#define EWD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "maps.h"

struct event_base;
struct event;
struct ew_config;
struct jr;
struct risk_ctx;
struct users;
struct tok_revocations;
struct rbac;
struct sec_keyring;
struct http_server;
struct dropev;
struct fleet;
struct respond;
struct alert;
struct authlog;
struct authsum;
struct monitor;
struct pgship;
struct respond_conf;

enum ewd_login_result {
	EWD_LOGIN_OK,
	EWD_LOGIN_FAIL,		/* unknown user, wrong password, locked, disabled: one answer */
	EWD_LOGIN_MFA,		/* password right, TOTP missing or wrong */
	EWD_LOGIN_EXPIRED,	/* password right but older than the policy's maximum age */
	EWD_LOGIN_MAX
};

struct ewd {
	struct event_base *base;
	const char *config_path;
	struct ew_config *cfg;
	/*
	 * The config the daemon started with: the modules built from it at
	 * start-up (log sources, monitors, fleet) may keep pointers into it, and
	 * their sections change only with a restart, so it lives until exit.
	 */
	struct ew_config *cfg_boot;
	bool maps_open;
	struct ew_maps maps;		/* opened for writing; the flock only around changes */
	struct jr *journal;
	struct risk_ctx *risk;
	struct users *users;
	struct tok_revocations *rev;
	struct rbac *rbac;		/* what requests are checked against: the database's or ... */
	struct rbac *rbac_cfg;		/* ... the config's (also local root's, always) */
	/*
	 * The last shared.controller_state the database gave (dbstate.h), or
	 * NULL; db_problems: what of it was left out, as last reported.
	 */
	json_t *db_state, *db_problems;
	struct respond_conf *resp_cur;	/* the response rules running: config + database */
	struct sec_keyring *keys;
	SSL_CTX *tls;
	struct http_server *api;	/* HTTPS + the Unix socket */
	struct http_server *metrics;	/* plain HTTP on loopback */
	struct dropev *drops;
	struct fleet *fleet;		/* the fleet blocklist, with database.conninfo */
	struct alert *alert;		/* syslog, SIEM webhook */
	struct respond *respond;	/* the response rules over the event stream */
	struct authlog *authlog;	/* sshd and other auth logs */
	struct authsum *authsum;	/* their events, one audit record a minute */
	time_t authsum_since;		/* the summary window's start */
	struct monitor *monitor;	/* connection count, critical files */
	struct pgship *ship;		/* the journal to PostgreSQL, with database.conninfo */
	struct event *ev_respond_tick;
	struct event *ev_hup, *ev_term, *ev_int, *ev_tick;
	int pid_fd;
	time_t started;
	/* counters for the metrics */
	uint64_t logins[EWD_LOGIN_MAX];
	uint64_t reloads_ok, reloads_failed;
	uint64_t journal_errors;	/* appends failed since the last good one */
	uint64_t journal_refusals;	/* changes refused: too little room for their record */
	uint64_t policy_generation;
};

/* jr_event without a risk score (ewd_audit computes it). */
json_t *ewd_event(const char *type, const char *actor, const char *source, const char *resource,
		  const char *action, const char *result);

/*
 * Append one audit record (jr_event shape) to the journal, fsynced, with
 * the risk score computed here when rec has none. Records whose risk is
 * above the configured threshold also go to syslog as SECURITY_ALERT.
 * Returns 0 or a negative errno; on failure the caller must not report the
 * action as done (and undoes it where it can).
 */
int ewd_audit(struct ewd *d, json_t *rec, bool privileged);

/* The role a user acts with now: the database's (dbstate.h) or the token's. */
const char *ewd_user_role(const struct ewd *d, const char *user, const char *token_role);

/*
 * Before a change: can its record be written? -ENOSPC when the journal's
 * file system has less than 16 MiB left (a change's record, an import's
 * up to a few MiB, must fit), -EIO when the journal failed before and a
 * "journal_check" record cannot be appended now; err says which. 0: go on.
 */
int ewd_journal_ready(struct ewd *d, const char *actor, const char *source, const char *resource,
		      const char *action, char *err, size_t errlen);

/* Reload the config file all or nothing; err says why not, with FILE:LINE. */
int ewd_reload(struct ewd *d, const char *actor, const char *source, char *err, size_t errlen);

#endif
