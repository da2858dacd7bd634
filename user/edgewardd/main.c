// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardd: the controller. One libevent loop that owns the pinned XDP
 * program and maps, attaches the configured interfaces, applies the
 * config's network policy, reads the drop events, and serves the
 * management API (HTTPS and a root-only Unix socket) and the metrics.
 *
 * Restarting it changes nothing in the kernel: the program stays attached
 * (netlink, not a bpf_link) and every block stays in its pinned map, so
 * packets keep being filtered while the daemon is down. A new binary swaps
 * the program in one XDP_FLAGS_REPLACE per interface.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <event2/event.h>

#include "api.h"
#include "apply.h"
#include "config.h"
#include "dbstate.h"
#include "dropev.h"
#include "ewd.h"
#include "alert.h"
#include "authlog.h"
#include "authsum.h"
#include "fleet.h"
#include "monitor.h"
#include "pgship.h"
#include "respond.h"
#include "http.h"
#include "journal.h"
#include "log.h"
#include "ops.h"
#include "rbac.h"
#include "risk.h"
#include "secrets.h"
#include "tls.h"
#include "token.h"
#include "users.h"

#ifndef EW_VERSION
#define EW_VERSION "0.1.0"
#endif
#define DEFAULT_CONFIG "/etc/edgeward/edgeward.yaml"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: edgewardd [--config FILE] [--check] [--syslog] [-v]\n"
		"\n"
		"The edgeward controller: owns the XDP filter's pinned maps, attaches the\n"
		"configured interfaces, applies the config's network policy, and serves the\n"
		"management API (HTTPS and a root-only Unix socket) and Prometheus metrics.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -n, --check         validate the configuration (and the production profile's\n"
		"                      checks), print the effective settings, and exit:\n"
		"                      0 valid, 1 not\n"
		"  -s, --syslog        log to syslog instead of stderr\n"
		"  -v, --verbose       debug logging\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this help\n"
		"\n"
		"Signals: SIGHUP reloads the configuration, all or nothing (an invalid file\n"
		"leaves everything as it was and the log says why, with FILE:LINE);\n"
		"SIGTERM stops the daemon and leaves the filter attached and every block\n"
		"in place.\n"
		"\n"
		"Example:\n"
		"  edgewardd --check --config /etc/edgeward/edgeward.yaml && "
		"systemctl restart edgewardd\n",
		DEFAULT_CONFIG);
}

/* libbpf's chatter is debug output: our own messages say what went wrong. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (log_verbose)
		vlog(LOG_DEBUG, fmt, ap);
	return 0;
}

/* ---- single instance ---- */

static int mkdir_parents(const char *path, mode_t mode)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * The pid file is also the instance lock: a second edgewardd finds it
 * flock'd and refuses to start, naming the running one.
 */
static int pid_lock(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd, r;

	r = mkdir_parents(path, 0755);
	if (r) {
		log_warnx("pid file %s: cannot create its directory: %s", path, strerror(-r));
		return r;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		log_warn("pid file %s", path);
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		r = -errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (r == -EWOULDBLOCK)
			log_warnx("another edgewardd is running (pid %s, lock %s); stop it first",
				  buf[0] ? buf : "?", path);
		else
			log_warnx("pid file %s: flock: %s", path, strerror(-r));
		close(fd);
		return -EBUSY;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n) {
		r = -errno;
		log_warn("pid file %s: write", path);
		close(fd);
		return r;
	}
	return fd;
}

/* ---- audit ---- */

int ewd_audit(struct ewd *d, json_t *rec, bool privileged)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *actor = json_string_value(json_object_get(rec, "actor"));
	const char *source = json_string_value(json_object_get(rec, "source"));
	const char *result = json_string_value(json_object_get(rec, "result"));
	char id[JR_UUID_LEN + 1];
	time_t now = time(NULL);
	json_int_t risk;
	int r;

	/* Local callers have no address: for the score they have none (SQL NULL). */
	if (source && (!strcmp(source, "unix") || !strcmp(source, "local")))
		source = NULL;
	if (!json_is_integer(json_object_get(rec, "risk"))) {
		risk = risk_score(d->risk, type, actor, source, privileged, now);
		json_object_set_new(rec, "risk", json_integer(risk));
	}
	risk = json_integer_value(json_object_get(rec, "risk"));
	r = jr_append(d->journal, rec, id);
	if (r) {
		d->journal_errors++;
		log_warnx("audit: cannot append to the journal %s: %s", d->cfg->daemon.journal,
			  strerror(-r));
		/*
		 * The event happened all the same: a brute force while the disk is
		 * full must still be blocked (the engine's own records fail too;
		 * its blocks stand, and the log says so).
		 */
		if (d->respond)
			respond_audit_record(d->respond, rec, "api");
		return r;
	}
	d->journal_errors = 0;
	risk_observe(d->risk, type, actor, source, result, now);
	/* On its way to PostgreSQL (batched; the journal is the source of truth). */
	pgship_kick(d->ship);
	if (d->alert) {
		/* The guide's alert for high-risk events: auth.crit, the webhook. */
		alert_audit_record(d->alert, rec, d->cfg->monitoring.risk_alert_threshold);
	} else if (risk > (json_int_t)d->cfg->monitoring.risk_alert_threshold) {
		syslog(LOG_AUTH | LOG_CRIT,
		       "SECURITY_ALERT: %s by %s from %s: %s %s (%s), risk %lld, event %s",
		       type ? type : "?", actor ? actor : "?",
		       json_string_value(json_object_get(rec, "source")) ?: "?",
		       json_string_value(json_object_get(rec, "action")) ?: "",
		       json_string_value(json_object_get(rec, "resource")) ?: "",
		       result ? result : "?", (long long)risk, id);
	}
	/* Failed logins, logins, exports and drop summaries feed the response rules. */
	if (d->respond)
		respond_audit_record(d->respond, rec, "api");
	return 0;
}

/*
 * A change is refused up front when the journal's file system has less
 * than this left: the change's record (a few KiB, an import's up to a few
 * MiB of details cut to size) must fit, or the change is not made.
 */
#define JOURNAL_MIN_FREE (16u << 20)

static bool journal_space_low(const struct ewd *d, char *why, size_t len)
{
	struct statvfs sv;
	char dir[4096];
	char *slash;
	unsigned long long avail;

	snprintf(dir, sizeof(dir), "%s", d->cfg->daemon.journal);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	if (statvfs(dir, &sv))
		return false;	/* the append will tell */
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (avail >= JOURNAL_MIN_FREE)
		return false;
	snprintf(why, len,
		 "the audit journal's file system (%.600s) has %llu KiB left: changes are refused until "
		 "there is room (filtering goes on)",
		 dir, avail >> 10);
	return true;
}

int ewd_journal_ready(struct ewd *d, const char *actor, const char *source, const char *resource,
		      const char *action, char *err, size_t errlen)
{
	json_t *ev;
	int r;

	if (journal_space_low(d, err, errlen)) {
		d->journal_refusals++;
		return -ENOSPC;
	}
	/* A journal that failed before must accept a record before anything changes. */
	if (!d->journal_errors)
		return 0;
	ev = ewd_event("journal_check", actor, source, resource, action, "success");
	r = ev ? ewd_audit(d, ev, true) : -ENOMEM;
	json_decref(ev);
	if (r) {
		snprintf(err, errlen, "the audit journal cannot record this action; refused (is "
				      "the disk full?)");
		return -EIO;
	}
	return 0;
}

json_t *ewd_event(const char *type, const char *actor, const char *source, const char *resource,
		  const char *action, const char *result)
{
	json_t *ev = jr_event(type, actor, source, resource, action, result, 0);

	/* No risk yet: ewd_audit scores it. */
	json_object_del(ev, "risk");
	return ev;
}

static void audit_simple(struct ewd *d, const char *type, const char *action, const char *result,
			 json_t *details)
{
	json_t *ev = ewd_event(type, "edgewardd", "local", "daemon", action, result);

	if (!ev) {
		json_decref(details);
		return;
	}
	if (details)
		json_object_set_new(ev, "details", details);
	ewd_audit(d, ev, false);
	json_decref(ev);
}

/* ---- the response engine's hands ---- */

static int on_audit_rec(void *arg, json_t *rec)
{
	json_t *ev = json_deep_copy(rec);
	int r;

	if (!ev)
		return -ENOMEM;
	json_object_del(ev, "risk");
	r = ewd_audit(arg, ev, false);
	json_decref(ev);
	return r;
}

static void on_alert(void *arg, enum alert_level level, const char *recipient, const char *text,
		     json_t *details)
{
	struct ewd *d = arg;

	if (d->alert)
		alert_send(d->alert, level, recipient, text, details);
}

/*
 * block_ip: an automatic rule in the kernel map, at once. A block already
 * there that lasts at least as long (an operator's, or permanent) is kept:
 * the engine audits that as skipped.
 */
static int on_block(void *arg, const struct ew_cidr *target, uint64_t ttl_s, const char *reason)
{
	struct ewd *d = arg;
	struct ew_bl_entry e = { .cidr = *target, .origin = EW_ORIGIN_AUTO };
	struct ew_block old;
	uint64_t now = ew_boot_ns();
	int r;

	if (!d->maps_open)
		return -ENOENT;
	e.expires_ns = now + ttl_s * 1000000000ULL;
	snprintf(e.reason, sizeof(e.reason), "%s", reason ? reason : "");
	r = ew_maps_lock(&d->maps);
	if (r)
		return r;
	if (!bl_get(&d->maps, target, &old, NULL, 0) &&
	    (!old.expires_ns || old.expires_ns >= e.expires_ns)) {
		ew_maps_unlock(&d->maps);
		return -EEXIST;
	}
	r = bl_add(&d->maps, &e);
	ew_maps_unlock(&d->maps);
	if (!r && d->fleet)
		fleet_publish(d->fleet, target, (int64_t)time(NULL) + (int64_t)ttl_s, reason);
	return r;
}

static void on_authlog(void *arg, const struct authlog_hit *hit)
{
	struct ewd *d = arg;
	struct respond_ev ev;

	/* Journaled as a summary a minute: line by line, a brute force would be an fsync each. */
	authsum_add(d->authsum, hit);
	authlog_hit_event(hit, &ev);
	if (d->respond)
		respond_event(d->respond, &ev);
}

/* The auth logs' window so far as one "auth_log_summary" record (none when it was quiet). */
static void authsum_flush(struct ewd *d)
{
	time_t now = time(NULL);
	json_t *det = authsum_take(d->authsum, (unsigned int)(now - d->authsum_since));
	json_t *ev;

	d->authsum_since = now;
	if (!det)
		return;
	ev = ewd_event("auth_log_summary", "edgewardd", "local", "auth_log", "summarise",
		       "success");
	if (ev) {
		json_object_set_new(ev, "details", det);
		ewd_audit(d, ev, false);
	} else {
		json_decref(det);
	}
	json_decref(ev);
}

static void on_respond_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ewd *d = arg;

	(void)fd;
	(void)what;
	authsum_flush(d);
	/* Also re-reads the server's own addresses, which are never blocked. */
	respond_set_allow(d->respond, d->cfg->network.doc.allow, d->cfg->network.doc.n_allow);
	respond_tick(d->respond);
}

/* An alert for a role also becomes a row of notifications.queue (with a database). */
static int on_notify(void *arg, const char *recipient, const char *subject, const char *message,
		     json_t *details)
{
	struct ewd *d = arg;

	(void)details;
	return d->fleet ? fleet_notify(d->fleet, recipient, subject, message) : 0;
}

/*
 * The actions on state the engine does not hold. An application's event:
 * shared.controller_act in its database (the guide's execute_response_action
 * on shared.users and shared.data_exports; queued, the result counted in the
 * metrics). An operator of this server: require_additional_auth ends their
 * sessions (every token revoked: they log in again), require_mfa holds when
 * they have TOTP (their next login needs a code). Anything else is not
 * handled here (audited as unavailable).
 */
static int on_act(void *arg, enum respond_action a, const struct respond_ev *ev,
		  const struct respond_rule *rule)
{
	struct ewd *d = arg;
	struct users_info ui;

	(void)rule;
	if (ev->origin && !strcmp(ev->origin, "app") && ev->id && d->fleet &&
	    (a == RESPOND_ACT_REQUIRE_MFA || a == RESPOND_ACT_REQUIRE_ADDITIONAL_AUTH ||
	     a == RESPOND_ACT_REQUIRE_APPROVAL || a == RESPOND_ACT_QUARANTINE_EXPORT))
		return fleet_act(d->fleet, respond_action_name(a), ev->id);
	if (!ev->origin || strcmp(ev->origin, "api") || !ev->user || !d->users ||
	    users_get(d->users, ev->user, &ui))
		return -ENOTSUP;
	if (a == RESPOND_ACT_REQUIRE_ADDITIONAL_AUTH)
		return users_revoke_tokens(d->users, ui.name);
	if (a == RESPOND_ACT_REQUIRE_MFA && ui.mfa_enabled)
		return 0;
	return -ENOTSUP;
}

static int response_start(struct ewd *d)
{
	const struct respond_ops rops = { .block = on_block, .audit = on_audit_rec,
					  .alert = on_alert, .act = on_act };
	const struct alert_ops aops = { .audit = on_audit_rec, .notify = on_notify };
	const struct monitor_ops mops = { .audit = on_audit_rec, .alert = on_alert };
	struct alert_conf ac;

	cfg_alert_conf(d->cfg, &ac);
	d->alert = alert_new(d->base, &ac, &aops, d);
	if (!d->alert)
		return -EINVAL;
	d->resp_cur = malloc(sizeof(*d->resp_cur));
	if (!d->resp_cur)
		return -ENOMEM;
	*d->resp_cur = d->cfg->response;
	d->respond = respond_new(d->resp_cur, &rops, d);
	if (!d->respond)
		return -EINVAL;
	respond_set_allow(d->respond, d->cfg->network.doc.allow, d->cfg->network.doc.n_allow);
	d->ev_respond_tick = event_new(d->base, -1, EV_PERSIST, on_respond_tick, d);
	if (!d->ev_respond_tick || event_add(d->ev_respond_tick, &(struct timeval){ .tv_sec = 60 }))
		return -ENOMEM;
	d->authsum = authsum_new(0);
	d->authsum_since = time(NULL);
	if (!d->authsum)
		return -ENOMEM;
	d->authlog = authlog_new(d->base, &d->cfg->sources, on_authlog, d);
	if (!d->authlog)
		return -EINVAL;
	d->monitor = monitor_new(d->base, &d->cfg->monitors, &mops, d);
	if (!d->monitor)
		return -EINVAL;
	return 0;
}

/* The fleet's batches of kernel changes, as one audit record each. */
static void on_fleet_audit(void *arg, json_t *rec)
{
	json_t *ev = json_deep_copy(rec);

	if (ev) {
		json_object_del(ev, "risk");
		ewd_audit(arg, ev, false);
	}
	json_decref(ev);
}

static void on_drop_summary(json_t *summary, void *arg)
{
	audit_simple(arg, "packet_drops", "drop", "blocked", json_deep_copy(summary));
}

/* ---- the kernel side ---- */

static int network_apply(struct ewd *d, const struct ew_config *cfg, char *err, size_t errlen)
{
	struct ew_apply_report rep = { 0 };
	int r;

	if (!cfg->network.present)
		return 0;
	r = ew_maps_lock(&d->maps);
	if (r) {
		snprintf(err, errlen, "cannot lock %s: %s", cfg->daemon.pin_dir, strerror(-r));
		return r;
	}
	r = ew_policy_apply(&d->maps, &cfg->network.doc, false, &rep, err, errlen);
	ew_maps_unlock(&d->maps);
	if (!r) {
		d->policy_generation = rep.generation;
		log_info("network policy applied (generation %u: %zu blocks added, %zu updated, "
			 "%zu removed)",
			 rep.generation, json_array_size(rep.added), json_array_size(rep.updated),
			 json_array_size(rep.removed));
	}
	ew_apply_report_free(&rep);
	return r;
}

static int kernel_setup(struct ewd *d)
{
	const struct ew_config *cfg = d->cfg;
	char err[EW_ERRLEN] = "";
	int n_swapped = 0, r;

	/* Load (or upgrade to) this build's program, re-using every pinned map. */
	r = ew_upgrade(cfg->daemon.pin_dir, &n_swapped, err, sizeof(err));
	if (r) {
		log_warnx("cannot load the XDP program: %s", err[0] ? err : strerror(-r));
		return r;
	}
	r = ew_maps_open(&d->maps, cfg->daemon.pin_dir, true, err, sizeof(err));
	if (r) {
		log_warnx("cannot open the pinned maps: %s", err[0] ? err : strerror(-r));
		return r;
	}
	d->maps_open = true;
	ew_maps_unlock(&d->maps);
	log_info("XDP program loaded, maps pinned in %s (%d interface%s swapped to it)",
		 cfg->daemon.pin_dir, n_swapped, n_swapped == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->daemon.n_ifaces; i++) {
		bool fell_back = false;

		err[0] = '\0';
		r = ew_attach(cfg->daemon.pin_dir, cfg->daemon.ifaces[i].name,
			      cfg->daemon.ifaces[i].mode, &fell_back, err, sizeof(err));
		if (r) {
			log_warnx("cannot attach to %s: %s", cfg->daemon.ifaces[i].name,
				  err[0] ? err : strerror(-r));
			return r;
		}
		log_info("attached to %s%s", cfg->daemon.ifaces[i].name,
			 fell_back ? " in skb mode (the driver has no native XDP)" : "");
	}
	err[0] = '\0';
	r = network_apply(d, cfg, err, sizeof(err));
	if (r)
		log_warnx("cannot apply the network policy of %s: %s", cfg->path, err);
	return r;
}

/* ---- what the database decides (dbstate.h) ---- */

/* Install two tables (effective may be cfg_table); the old ones not kept are freed. */
static void rbac_swap(struct ewd *d, struct rbac *cfg_table, struct rbac *effective)
{
	if (d->rbac != d->rbac_cfg && d->rbac != cfg_table && d->rbac != effective)
		rbac_free(d->rbac);
	if (d->rbac_cfg != cfg_table && d->rbac_cfg != effective)
		rbac_free(d->rbac_cfg);
	d->rbac_cfg = cfg_table;
	d->rbac = effective;
}

static bool db_rbac(const struct ewd *d, const struct ew_config *cfg)
{
	return d->db_state && cfg->database.conninfo && cfg->database.rbac;
}

/* The table requests are checked against under cfg: the database's, or cfg_table. */
static int effective_rbac(struct ewd *d, const struct ew_config *cfg, struct rbac *cfg_table,
			  struct rbac **out, char *err, size_t errlen)
{
	int r;

	*out = cfg_table;
	if (!db_rbac(d, cfg))
		return 0;
	r = dbstate_rbac(d->db_state, cfg, out, NULL);
	if (r)
		snprintf(err, errlen, "cannot build the roles of the database: %s", strerror(-r));
	return r;
}

/* cfg's response rules, with the database's merged in when it gives them. */
static void effective_rules(struct ewd *d, const struct ew_config *cfg, struct respond_conf *out)
{
	if (!d->db_state || !cfg->database.conninfo || !cfg->database.response_rules ||
	    dbstate_rules(d->db_state, &cfg->response, out, NULL))
		*out = cfg->response;
}

/*
 * The operator's role in the database: the users file's e-mail (ASCII case
 * folded, as the database's lower() does for ASCII) of user.
 */
const char *ewd_user_role(const struct ewd *d, const char *user, const char *token_role)
{
	struct users_info ui;
	const char *r;

	if (!db_rbac(d, d->cfg) || !d->users || users_get(d->users, user, &ui) || !ui.email[0])
		return token_role;
	for (char *c = ui.email; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	r = dbstate_user_role(d->db_state, ui.email);
	if (!r)
		return token_role;
	/*
	 * A role that needs MFA, for an operator who logged in without it (not
	 * enrolled): not until they enrol and log in again with a code.
	 */
	if (d->cfg->mfa.enabled && !ui.mfa_enabled)
		for (size_t i = 0; i < d->cfg->mfa.n_required; i++)
			if (!strcmp(d->cfg->mfa.required[i].name, r))
				return token_role;
	return r;
}

/*
 * A new shared.controller_state: roles and rules are rebuilt from it, and
 * applied when they differ from what runs (the response windows are kept
 * when the rules are the same). What changed is audited once.
 */
static void on_fleet_state(void *arg, json_t *state)
{
	struct ewd *d = arg;
	json_t *problems = json_array(), *old = NULL, *it, *ev;
	struct respond_conf *resp = malloc(sizeof(*resp));
	struct rbac *rbac = NULL;
	char err[256];
	bool same_state, rules_changed = false;
	size_t i;
	int r = 0;

	if (!problems || !resp)
		goto out;
	/* The previous state goes once this one is in place. */
	old = d->db_state;
	same_state = old && json_equal(old, state);
	d->db_state = json_incref(state);
	if (d->cfg->database.rbac) {
		r = dbstate_rbac(state, d->cfg, &rbac, problems);
		if (r) {
			log_warnx("database roles: %s; keeping the previous table", strerror(-r));
		} else {
			rbac_swap(d, d->rbac_cfg, rbac);
			rbac = NULL;
		}
	}
	if (d->cfg->database.response_rules &&
	    !dbstate_rules(state, &d->cfg->response, resp, problems) &&
	    !dbstate_rules_equal(resp, d->resp_cur)) {
		if (respond_reconf(d->respond, resp, err, sizeof(err))) {
			log_warnx("database response rules: %s; keeping the running rules", err);
		} else {
			free(d->resp_cur);
			d->resp_cur = resp;
			resp = NULL;
			rules_changed = true;
		}
	}
	if (!d->db_problems || !json_equal(problems, d->db_problems)) {
		json_array_foreach(problems, i, it)
			log_warnx("database %s %s: %s",
				  json_string_value(json_object_get(it, "what")),
				  json_string_value(json_object_get(it, "name")),
				  json_string_value(json_object_get(it, "error")));
	}
	if (!same_state || rules_changed) {
		ev = ewd_event("db_state", "edgewardd", "local", "database", "load", "success");
		if (ev) {
			json_object_set_new(ev, "details", json_pack(
				"{s:i, s:i, s:i, s:b, s:b, s:O}",
				"roles", (int)json_object_size(json_object_get(state, "roles")),
				"users", (int)json_object_size(json_object_get(state, "users")),
				"rules", (int)json_array_size(json_object_get(state, "rules")),
				"rbac_from_database", d->cfg->database.rbac,
				"rules_changed", rules_changed, "problems", problems));
			ewd_audit(d, ev, false);
			json_decref(ev);
		}
	}
	json_decref(d->db_problems);
	d->db_problems = json_incref(problems);
	/* Requests that waited for this state go on now. */
	api_state_settled();
out:
	json_decref(old);
	json_decref(problems);
	free(resp);
}

/* "> 1GB" style or a number of bytes; 0 when neither. */
static uint64_t app_bytes(const json_t *v)
{
	char err[64];
	uint64_t b = 0;

	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > 0 && json_real_value(v) < 1.8e19)
		return (uint64_t)json_real_value(v);
	if (json_is_string(v) && !respond_size_parse(json_string_value(v), &b, err, sizeof(err)))
		return b;
	return 0;
}

/*
 * An application's event (logged with audit.log_security_event): to the
 * response rules, and an alert when its risk is above the threshold. The
 * guide's event types map to the engine's: failed_login, login_failure ->
 * failed_login; invalid_user; login_success, login -> login_success;
 * admin_login -> login_success of role admin; data_export (bytes from
 * details.data_volume_bytes or details.data_volume).
 */
static void on_app_event(void *arg, json_t *e)
{
	struct ewd *d = arg;
	const char *type = json_string_value(json_object_get(e, "event_type"));
	const json_t *det = json_object_get(e, "details");
	struct respond_ev ev = { .origin = "app" };
	json_t *rec;

	if (!type)
		return;
	if (!strcmp(type, "failed_login") || !strcmp(type, "login_failure")) {
		ev.type = RESPOND_EV_FAILED_LOGIN;
	} else if (!strcmp(type, "invalid_user")) {
		ev.type = RESPOND_EV_INVALID_USER;
	} else if (!strcmp(type, "login_success") || !strcmp(type, "login")) {
		ev.type = RESPOND_EV_LOGIN_SUCCESS;
		ev.role = json_string_value(json_object_get(det, "role"));
	} else if (!strcmp(type, "admin_login")) {
		ev.type = RESPOND_EV_LOGIN_SUCCESS;
		ev.role = "admin";
	} else if (!strcmp(type, "data_export")) {
		ev.type = RESPOND_EV_DATA_EXPORT;
		ev.bytes = app_bytes(json_object_get(det, "data_volume_bytes"));
		if (!ev.bytes)
			ev.bytes = app_bytes(json_object_get(det, "data_volume"));
	} else {
		ev.type = RESPOND_EV_COUNT;
	}
	ev.user = json_string_value(json_object_get(e, "actor"));
	if (!ev.user)
		ev.user = json_string_value(json_object_get(e, "user_id"));
	ev.source = json_string_value(json_object_get(e, "ip_address"));
	ev.id = json_string_value(json_object_get(e, "id"));
	if (ev.type != RESPOND_EV_COUNT && d->respond)
		respond_event(d->respond, &ev);
	if (d->alert && json_is_integer(json_object_get(e, "risk_score"))) {
		rec = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:O, s:s?}", "type", type,
				"actor", ev.user, "source", ev.source, "resource",
				json_string_value(json_object_get(e, "resource")), "action",
				json_string_value(json_object_get(e, "action")), "result",
				json_string_value(json_object_get(e, "result")), "risk",
				json_object_get(e, "risk_score"), "id",
				json_string_value(json_object_get(e, "id")));
		if (rec)
			alert_audit_record(d->alert, rec, d->cfg->monitoring.risk_alert_threshold);
		json_decref(rec);
	}
}

/* ---- reload ---- */

int ewd_reload(struct ewd *d, const char *actor, const char *source, char *err, size_t errlen)
{
	struct ew_config *next = NULL;
	struct rbac *rbac = NULL, *rbac_cfg = NULL;
	struct respond_conf *resp = NULL;
	unsigned int diff = 0;
	json_t *ev, *det;
	int r;

	/* Nothing changes that cannot be recorded (a full disk: SIGHUP is refused too). */
	r = ewd_journal_ready(d, actor, source, d->config_path, "reload", err, errlen);
	if (r) {
		d->reloads_failed++;
		log_warnx("config reload refused: %s", err);
		return r;
	}
	r = cfg_load(d->config_path, &next, err, errlen);
	if (!r) {
		diff = cfg_diff(d->cfg, next);
		/* What cannot change under a running daemon: it needs a restart. */
		if (diff & (CFG_DIFF_DAEMON | CFG_DIFF_API | CFG_DIFF_METRICS | CFG_DIFF_PROFILE |
			    CFG_DIFF_ENCRYPTION | CFG_DIFF_SOURCES | CFG_DIFF_ALERTS |
			    CFG_DIFF_MONITORS | CFG_DIFF_DATABASE)) {
			snprintf(err, errlen,
				 "%s: changes to profile, daemon, api, metrics, encryption, sources, "
				 "alerts, monitors or database need a restart (systemctl restart edgewardd); "
				 "nothing was changed",
				 d->config_path);
			r = -EINVAL;
		}
	}
	if (!r)
		r = rbac_from_config(next, &rbac_cfg, err, errlen);
	if (!r)
		r = effective_rbac(d, next, rbac_cfg, &rbac, err, errlen);
	if (!r) {
		resp = malloc(sizeof(*resp));
		if (!resp) {
			snprintf(err, errlen, "out of memory");
			r = -ENOMEM;
		} else {
			effective_rules(d, next, resp);
		}
	}
	if (!r && (diff & CFG_DIFF_NETWORK))
		r = network_apply(d, next, err, errlen);
	/* Last: the rules were checked with the config, so this does not fail in practice. */
	if (!r && ((diff & CFG_DIFF_RESPONSE) || !dbstate_rules_equal(resp, d->resp_cur)))
		r = respond_reconf(d->respond, resp, err, errlen);
	ev = ewd_event("config_reload", actor, source, d->config_path, "reload",
		       r ? "failure" : "success");
	det = json_object();
	if (r)
		json_object_set_new(det, "why", json_string(err));
	else
		json_object_set_new(det, "changed", json_integer(diff));
	json_object_set_new(ev, "details", det);
	ewd_audit(d, ev, true);
	json_decref(ev);
	if (r) {
		d->reloads_failed++;
		cfg_free(next);
		if (rbac != rbac_cfg)
			rbac_free(rbac);
		rbac_free(rbac_cfg);
		free(resp);
		return r;
	}
	/* Swap: the parts that read the config follow it from here on. */
	rbac_swap(d, rbac_cfg, rbac);
	free(d->resp_cur);
	d->resp_cur = resp;
	if (d->cfg != d->cfg_boot)
		cfg_free(d->cfg);
	d->cfg = next;
	api_config_changed(d);
	d->reloads_ok++;
	log_info("configuration reloaded from %s", d->config_path);
	return 0;
}

/* ---- signals ---- */

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	char err[CFG_ERRLEN] = "";

	(void)sig;
	(void)what;
	if (ewd_reload(arg, "root", "local", err, sizeof(err)))
		log_warnx("reload refused, running configuration kept:\n%s", err);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	struct ewd *d = arg;

	(void)what;
	log_info("signal %d: stopping (the filter stays attached, every block stays)", (int)sig);
	event_base_loopexit(d->base, NULL);
}

/* ---- start and stop ---- */

static int check_only(const char *path, bool verbose)
{
	char err[CFG_ERRLEN] = "";
	struct ew_config *cfg = NULL;
	int r;

	r = cfg_load(path, &cfg, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s\n", err[0] ? err : strerror(-r));
		fprintf(stderr, "edgewardd: %s is not valid\n", path);
		return 1;
	}
	if (cfg->warnings)
		fputs(cfg->warnings, stderr);
	if (verbose)
		cfg_dump(cfg, stdout);
	printf("%s: valid (profile %s)\n", path, cfg_profile_name(cfg->profile));
	cfg_free(cfg);
	return 0;
}

static int state_dirs(const struct ew_config *cfg)
{
	const char *dirs[] = { cfg->daemon.state_dir };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i])
			continue;
		if (mkdir_parents(dirs[i], 0755) || (mkdir(dirs[i], 0700) && errno != EEXIST)) {
			log_warn("cannot create %s", dirs[i]);
			return -errno;
		}
	}
	if (cfg->api.unix_socket && mkdir_parents(cfg->api.unix_socket, 0755)) {
		log_warn("cannot create the directory of %s", cfg->api.unix_socket);
		return -errno;
	}
	return 0;
}

static void ewd_free(struct ewd *d)
{
	/* Requests waiting for the database's roles are answered while everything is here. */
	api_state_settled();
	monitor_free(d->monitor);
	authlog_free(d->authlog);
	d->authlog = NULL;
	/* The last window's summary goes to the journal too. */
	if (d->authsum && d->journal)
		authsum_flush(d);
	authsum_free(d->authsum);
	d->authsum = NULL;
	/* The drop summary of the last window goes to the journal (and the rules) first. */
	dropev_free(d->drops);
	d->drops = NULL;
	if (d->ev_respond_tick)
		event_free(d->ev_respond_tick);
	respond_free(d->respond);
	d->respond = NULL;
	/* The alert module writes one record for undelivered alerts. */
	alert_free(d->alert);
	d->alert = NULL;
	fleet_free(d->fleet);
	d->fleet = NULL;
	pgship_free(d->ship);
	d->ship = NULL;
	api_stop(d);
	http_server_free(d->api);
	http_server_free(d->metrics);
	SSL_CTX_free(d->tls);
	if (d->ev_hup)
		event_free(d->ev_hup);
	if (d->ev_term)
		event_free(d->ev_term);
	if (d->ev_int)
		event_free(d->ev_int);
	users_close(d->users);
	tok_rev_free(d->rev);
	rbac_swap(d, NULL, NULL);
	json_decref(d->db_state);
	json_decref(d->db_problems);
	free(d->resp_cur);
	sec_keyring_free(d->keys);
	risk_free(d->risk);
	jr_close(d->journal);
	if (d->maps_open)
		ew_maps_close(&d->maps);
	if (d->cfg && d->pid_fd >= 0)
		unlink(d->cfg->daemon.pid_file);
	if (d->pid_fd >= 0)
		close(d->pid_fd);
	if (d->cfg != d->cfg_boot)
		cfg_free(d->cfg);
	cfg_free(d->cfg_boot);
	if (d->base)
		event_base_free(d->base);
}

static int start(struct ewd *d)
{
	char err[CFG_ERRLEN] = "";
	int r;

	r = cfg_load(d->config_path, &d->cfg, err, sizeof(err));
	if (r) {
		log_warnx("%s", err[0] ? err : strerror(-r));
		log_warnx("%s is not valid; not starting", d->config_path);
		return r;
	}
	d->cfg_boot = d->cfg;
	if (d->cfg->warnings)
		log_warnx("%s", d->cfg->warnings);
	d->pid_fd = pid_lock(d->cfg->daemon.pid_file);
	if (d->pid_fd < 0)
		return d->pid_fd;
	r = state_dirs(d->cfg);
	if (r)
		return r;
	r = jr_open(d->cfg->daemon.journal, &d->journal, err, sizeof(err));
	if (r) {
		log_warnx("cannot open the audit journal: %s", err[0] ? err : strerror(-r));
		return r;
	}
	if (err[0])
		log_warnx("audit journal: %s (run 'edgewardctl audit verify')", err);
	d->risk = risk_new();
	if (!d->risk)
		return -ENOMEM;
	r = rbac_from_config(d->cfg, &d->rbac_cfg, err, sizeof(err));
	d->rbac = d->rbac_cfg;
	if (r) {
		log_warnx("%s", err);
		return r;
	}
	/* Until kernel_setup opens them, the maps are "not open" in the config's pin dir. */
	ops_maps_init(&d->maps, d->cfg->daemon.pin_dir);
	d->base = event_base_new();
	if (!d->base) {
		log_warnx("cannot create the event loop");
		return -ENOMEM;
	}
	r = kernel_setup(d);
	if (r)
		return r;
	r = response_start(d);
	if (r) {
		log_warnx("cannot start the response engine, log sources, alerts or monitors");
		return r;
	}
	d->drops = dropev_new(d->base, d->maps.events, 60, on_drop_summary, d);
	if (!d->drops)
		return -ENOMEM;
	if (d->cfg->database.conninfo) {
		/* An unreachable database is retried in the background; only bad settings fail here. */
		const struct fleet_ops fops = {
			.audit = on_fleet_audit,
			.event = on_app_event,
			.state = d->cfg->database.rbac || d->cfg->database.response_rules ?
					 on_fleet_state :
					 NULL,
		};
		char state[4096];

		snprintf(state, sizeof(state), "%s/pgship.state", d->cfg->daemon.state_dir);
		d->ship = pgship_new(d->base, &(struct pgship_conf){
						      .conninfo = d->cfg->database.conninfo,
						      .node = d->cfg->database.node,
						      .journal_path = d->cfg->daemon.journal,
						      .state_path = state,
						      .journal = d->journal,
					      });
		if (!d->ship) {
			log_warnx("pgship: cannot start (database.conninfo)");
			return -EINVAL;
		}
		d->fleet = fleet_new(d->base,
				     &(struct fleet_conf){ .conninfo = d->cfg->database.conninfo,
							   .maps = &d->maps,
							   .tenant = d->cfg->database.tenant,
							   .node = d->cfg->database.node,
							   .resync_interval_s = (unsigned int)
								   d->cfg->database.resync_interval_s },
				     &fops, d);
		if (!d->fleet) {
			log_warnx("fleet: cannot start (database.conninfo)");
			return -EINVAL;
		}
	}
	r = api_start(d);
	if (r)
		return r;
	d->ev_hup = evsignal_new(d->base, SIGHUP, on_hup, d);
	d->ev_term = evsignal_new(d->base, SIGTERM, on_term, d);
	d->ev_int = evsignal_new(d->base, SIGINT, on_term, d);
	if (!d->ev_hup || !d->ev_term || !d->ev_int || evsignal_add(d->ev_hup, NULL) ||
	    evsignal_add(d->ev_term, NULL) || evsignal_add(d->ev_int, NULL)) {
		log_warnx("cannot install the signal handlers");
		return -ENOMEM;
	}
	d->started = time(NULL);
	audit_simple(d, "daemon_start", "start", "success", json_pack("{s:s, s:s, s:i}",
			"version", EW_VERSION, "profile", cfg_profile_name(d->cfg->profile),
			"pid", (int)getpid()));
	log_info("edgewardd %s running (profile %s, pid %ld)", EW_VERSION,
		 cfg_profile_name(d->cfg->profile), (long)getpid());
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "syslog", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ewd d = { .config_path = DEFAULT_CONFIG, .pid_fd = -1 };
	bool check = false, to_syslog = false;
	int c, verbose = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "c:nsvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 's':
			to_syslog = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("edgewardd %s (map ABI %d, libbpf %s)\n", EW_VERSION, EW_ABI_VERSION,
			       libbpf_version_string());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "edgewardd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init("edgewardd", to_syslog, verbose);
	if (check)
		return check_only(d.config_path, verbose > 0);
	libbpf_set_print(libbpf_print);
	/* A client that disconnects mid-answer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	openlog("edgewardd", LOG_PID | LOG_NDELAY, LOG_DAEMON);

	if (geteuid() != 0)
		log_warnx("not running as root: loading the XDP program will most likely fail");
	if (start(&d) == 0) {
		if (event_base_dispatch(d.base) < 0)
			log_warnx("the event loop failed");
		else
			rc = 0;
		audit_simple(&d, "daemon_stop", "stop", "success", NULL);
	}
	ewd_free(&d);
	return rc;
}
