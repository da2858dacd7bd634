// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operators over the API: login (argon2id, TOTP, lockout with progressive
 * delay), token refresh and logout, and the operator store (add, list,
 * password, role, disable, unlock, MFA enrolment). Every outcome is audited.
 *
 * Login answers: every failure that is not "right password, MFA code
 * missing or wrong" gets the same 401 body after the same progressive
 * delay, whether the name is unknown, the password wrong, the account
 * locked or disabled; users_authenticate spends one argon2id verification
 * on each of them. The delay is served by a timer (the answer is deferred),
 * so a delayed login never holds up other clients.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api.h"
#include "config.h"
#include "journal.h"
#include "log.h"
#include "password.h"
#include "rbac.h"
#include "secrets.h"
#include "users.h"

#define LOGIN_FAIL_MSG "invalid credentials"

static struct tok_cfg tokcfg;
static struct event *flush_ev;
static struct users_policy upol;
static const char *mfa_roles[16];

const struct tok_cfg *api_tok_cfg(void)
{
	return &tokcfg;
}

static bool role_ok(void *arg, const char *role)
{
	struct ewd *d = arg;

	return d->rbac && rbac_role_exists(d->rbac, role);
}

static void settings_from(struct ewd *d)
{
	const struct ew_config *cfg = d->cfg;
	size_t n = 0;

	tokcfg = (struct tok_cfg){
		.secret = (const unsigned char *)cfg->jwt.secret,
		.secret_len = cfg->jwt.secret_len,
		.issuer = cfg->jwt.issuer,
		.audience = cfg->jwt.audience,
		.access_ttl_s = cfg->jwt.expires_s,
		.refresh_ttl_s = cfg->jwt.refresh_expires_s,
		.leeway_s = 30,
	};
	users_policy_default(&upol);
	upol.password.min_chars = cfg->password.min_length;
	upol.password.require_upper = cfg->password.upper;
	upol.password.require_lower = cfg->password.lower;
	upol.password.require_digit = cfg->password.numbers;
	upol.password.require_special = cfg->password.special;
	upol.password.refuse_common = cfg->password.common;
	upol.password.prevent_reuse = cfg->password.prevent_reuse;
	upol.password.max_age_s = (int64_t)cfg->password.max_age_s;
	upol.max_failures = cfg->lockout.max_attempts;
	upol.lockout_s = cfg->lockout.duration_s;
	upol.hard_lock_after = cfg->lockout.hard_lock_after;
	upol.progressive_delay = cfg->lockout.progressive_delay;
	if (cfg->mfa.enabled)
		for (size_t i = 0; i < cfg->mfa.n_required && n < 16; i++)
			mfa_roles[n++] = cfg->mfa.required[i].name;
	upol.mfa_roles = mfa_roles;
	upol.n_mfa_roles = n;
	upol.role_ok = role_ok;
	upol.role_arg = d;
	/* Tests may lower the argon2id costs; never in production. */
	if (getenv("EDGEWARD_TEST_ARGON2_FAST") && cfg->profile != CFG_PRODUCTION)
		upol.pw = (struct pw_params){ .t_cost = 1, .m_cost_kib = 1024, .parallelism = 1 };
}

void api_config_changed(struct ewd *d)
{
	settings_from(d);
	if (users_set_policy(d->users, &upol))
		log_warnx("auth: cannot apply the new password and lockout policy");
}

/*
 * users_authenticate leaves failure counters unsaved so that a failure costs
 * the same for every name; they reach the disk here, once a second. Expired
 * revocations are pruned on the same beat.
 */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct ewd *d = arg;

	(void)fd;
	(void)what;
	if (users_flush(d->users))
		log_warnx("auth: cannot save the operator store %s", d->cfg->daemon.users_file);
	tok_rev_prune(d->rev, time(NULL));
}

int api_auth_start(struct ewd *d)
{
	const struct ew_config *cfg = d->cfg;
	char err[512] = "", path[4096];
	const char *why = NULL;
	int r;

	settings_from(d);
	if (tok_cfg_check(&tokcfg, &why)) {
		log_warnx("auth: JWT settings: %s", why ? why : "invalid");
		return -EINVAL;
	}
	if (cfg->encryption.enabled && cfg->encryption.key_file) {
		r = sec_keyring_load(cfg->encryption.key_file, &d->keys, err, sizeof(err));
		if (r) {
			log_warnx("auth: keyring: %s (create one with 'edgewardctl keys create %s')",
				  err[0] ? err : strerror(-r), cfg->encryption.key_file);
			return r;
		}
	}
	r = users_open(cfg->daemon.users_file, &upol, d->keys, &d->users);
	if (r) {
		log_warnx("auth: cannot open the operator store %s: %s", cfg->daemon.users_file,
			  strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/revocations.json", cfg->daemon.state_dir);
	r = tok_rev_open(path, time(NULL), &d->rev);
	if (r) {
		log_warnx("auth: cannot open the token revocation list %s: %s", path,
			  strerror(-r));
		return r;
	}
	tok_rev_set_user_check(d->rev, users_token_check, d->users);
	flush_ev = event_new(d->base, -1, EV_PERSIST, on_flush, d);
	if (!flush_ev || event_add(flush_ev, &(struct timeval){ .tv_sec = 1 })) {
		log_warnx("auth: cannot start the store timer");
		return -ENOMEM;
	}
	return 0;
}

void api_auth_stop(struct ewd *d)
{
	if (flush_ev)
		event_free(flush_ev);
	flush_ev = NULL;
	if (d->users)
		users_flush(d->users);
}

/* ---- helpers ---- */

static json_t *audit_ev(const char *type, const char *actor, const char *source,
			const char *resource, const char *action, const char *result)
{
	return ewd_event(type, actor, source, resource, action, result);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Only these keys, each a string (or absent when not required). */
static int fields_ok(struct http_req *req, json_t *body, const char *const *allowed)
{
	const char *k;
	json_t *v;
	char msg[128];

	json_object_foreach(body, k, v) {
		size_t i;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(k, allowed[i]))
				break;
		if (!allowed[i]) {
			snprintf(msg, sizeof(msg), "unknown field '%.60s'", k);
			http_respond_error(req, 400, msg);
			return -EINVAL;
		}
		if (!json_is_string(v)) {
			snprintf(msg, sizeof(msg), "field '%s' must be a string", k);
			http_respond_error(req, 400, msg);
			return -EINVAL;
		}
	}
	return 0;
}

static json_t *tokens_json(const char *access, const char *refresh, const char *role)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s}", "access_token", access, "refresh_token",
			 refresh, "token_type", "Bearer", "expires_in", (json_int_t)tokcfg.access_ttl_s,
			 "role", role);
}

/* Token answers must never be cached by anything in between. */
static void respond_tokens(struct http_req *req, json_t *o)
{
	http_req_add_header(req, "Cache-Control", "no-store");
	http_req_add_header(req, "Pragma", "no-cache");
	http_respond_json(req, 200, o);
}

/* ---- login ---- */

struct deferred {
	struct http_req *req;
	struct event *ev;
	int status;
	json_t *body;
};

static void deferred_fire(evutil_socket_t fd, short what, void *arg)
{
	struct deferred *df = arg;

	(void)fd;
	(void)what;
	if (df->status == 200)
		respond_tokens(df->req, df->body);
	else
		http_respond_json(df->req, df->status, df->body);
	http_req_release(df->req);
	event_free(df->ev);
	free(df);
}

/* Answer after delay_ms (0: now). body is stolen. */
static void answer_after(struct http_req *req, uint32_t delay_ms, int status, json_t *body)
{
	struct deferred *df;
	struct timeval tv = { .tv_sec = delay_ms / 1000, .tv_usec = (delay_ms % 1000) * 1000 };

	if (!delay_ms || !(df = calloc(1, sizeof(*df)))) {
		if (status == 200)
			respond_tokens(req, body);
		else
			http_respond_json(req, status, body);
		return;
	}
	df->req = http_req_defer(req);
	df->status = status;
	df->body = body;
	df->ev = evtimer_new(api_d->base, deferred_fire, df);
	if (!df->ev || evtimer_add(df->ev, &tv)) {
		if (df->ev)
			event_free(df->ev);
		http_respond_json(req, status, body);
		http_req_release(df->req);
		free(df);
	}
}

void api_login(struct http_req *req, void *arg)
{
	static const char *const allowed[] = { "username", "password", "totp", NULL };
	struct ewd *d = arg;
	struct users_auth res;
	struct tok_claims ac;
	const char *name, *pw, *code, *src = http_req_peer_addr(req);
	char *access = NULL, *refresh = NULL;
	json_t *body, *ev = NULL, *ans;
	int64_t now = time(NULL);
	int r;

	body = api_body(req);
	if (!body)
		return;
	if (fields_ok(req, body, allowed))
		goto out;
	name = jstr(body, "username");
	pw = jstr(body, "password");
	code = jstr(body, "totp");
	if (!name || !pw) {
		http_respond_error(req, 400, "username and password are required");
		goto out;
	}
	memset(&res, 0, sizeof(res));
	r = users_authenticate(d->users, name, pw, code, now, &res);
	if (r) {
		memset(&res, 0, sizeof(res));
		res.result = USERS_AUTH_FAIL;
		res.reason = USERS_FAIL_INTERNAL;
		res.delay_ms = users_login_delay_ms(d->users, name, now);
	}
	switch (res.result) {
	case USERS_AUTH_OK:
		r = tok_issue(&tokcfg, TOK_ACCESS, res.name, res.role, res.token_version, NULL, now,
			      &access, &ac);
		if (!r)
			r = tok_issue(&tokcfg, TOK_REFRESH, res.name, res.role, res.token_version,
				      ac.fam, now, &refresh, NULL);
		ev = audit_ev(r ? "failed_login" : "login_success", res.name, src, "session",
			      "login", r ? "failure" : "success");
		if (ev && code)
			json_object_set_new(json_object_get(ev, "details"), "mfa", json_true());
		/* The response rules look at who logged in (the guide's after-hours admin rule). */
		if (ev)
			json_object_set_new(json_object_get(ev, "details"), "role",
					    json_string(res.role));
		/* The login counts only once it is on record. */
		if (api_audit(req, ev, !strcmp(res.role, "admin"), true)) {
			d->logins[EWD_LOGIN_FAIL]++;
			goto out;
		}
		if (r) {
			http_respond_error(req, 500, "cannot issue a token");
			goto out;
		}
		d->logins[EWD_LOGIN_OK]++;
		respond_tokens(req, tokens_json(access, refresh, res.role));
		goto out;
	case USERS_AUTH_MFA_REQUIRED:
		ev = audit_ev("mfa_failure", res.name, src, "session", "login", "failure");
		if (ev)
			json_object_set_new(json_object_get(ev, "details"), "why",
					    json_string(users_fail_reason_name(res.reason)));
		api_audit(req, ev, false, false);
		d->logins[EWD_LOGIN_MFA]++;
		ans = json_pack("{s:s, s:b}", "error", "mfa required", "mfa_enrolment_pending",
				res.mfa_enrol);
		answer_after(req, res.delay_ms, 401, ans);
		goto out;
	case USERS_AUTH_PASSWORD_EXPIRED:
		ev = audit_ev("failed_login", res.name, src, "session", "login", "failure");
		if (ev)
			json_object_set_new(json_object_get(ev, "details"), "why",
					    json_string("password expired"));
		api_audit(req, ev, false, false);
		d->logins[EWD_LOGIN_EXPIRED]++;
		answer_after(req, 0, 403,
			     json_pack("{s:s}", "error",
				       "password expired: ask an administrator to set a new one"));
		goto out;
	case USERS_AUTH_FAIL:
	default:
		/* The attempted name is untrusted text: jr_event escapes what is not UTF-8. */
		ev = audit_ev("failed_login", res.name[0] ? res.name : name, src, "session",
			      "login", "failure");
		if (ev) {
			json_t *det = json_object_get(ev, "details");

			json_object_set_new(det, "why",
					    json_string(users_fail_reason_name(res.reason)));
			if (res.locked_now)
				json_object_set_new(det, "locked", json_true());
			if (res.hard_locked_now)
				json_object_set_new(det, "hard_locked", json_true());
		}
		api_audit(req, ev, false, false);
		d->logins[EWD_LOGIN_FAIL]++;
		answer_after(req, res.delay_ms, 401, json_pack("{s:s}", "error", LOGIN_FAIL_MSG));
		goto out;
	}
out:
	free(access);
	free(refresh);
	json_decref(ev);
	json_decref(body);
}

void api_refresh(struct http_req *req, void *arg)
{
	static const char *const allowed[] = { "refresh_token", NULL };
	struct ewd *d = arg;
	struct tok_claims ac;
	const char *rt, *why = NULL, *src = http_req_peer_addr(req);
	char *access = NULL, *refresh = NULL;
	json_t *body, *ev = NULL;
	int r;

	body = api_body(req);
	if (!body)
		return;
	if (fields_ok(req, body, allowed))
		goto out;
	rt = jstr(body, "refresh_token");
	if (!rt) {
		http_respond_error(req, 400, "refresh_token is required");
		goto out;
	}
	r = tok_refresh(&tokcfg, d->rev, rt, time(NULL), &access, &refresh, &ac, &why);
	ev = audit_ev(r ? "failed_refresh" : "token_refresh", r ? NULL : ac.sub, src, "session",
		      "refresh", r ? "failure" : "success");
	if (ev && r)
		json_object_set_new(json_object_get(ev, "details"), "why",
				    json_string(why ? why : strerror(-r)));
	if (r) {
		api_audit(req, ev, false, false);
		http_req_add_header(req, "WWW-Authenticate", "Bearer realm=\"edgeward\"");
		http_respond_error(req, 401, "invalid refresh token");
		goto out;
	}
	if (api_audit(req, ev, !strcmp(ac.role, "admin"), true))
		goto out;
	respond_tokens(req, tokens_json(access, refresh, ac.role));
out:
	free(access);
	free(refresh);
	json_decref(ev);
	json_decref(body);
}

static void logout(struct http_req *req, struct principal *p)
{
	json_t *ev;

	if (!p->token) {
		http_respond_error(req, 400, "local root has no session to end");
		return;
	}
	if (tok_logout(&tokcfg, api_d->rev, &p->claims, time(NULL))) {
		http_respond_error(req, 500, "cannot revoke the token");
		return;
	}
	ev = audit_ev("logout", p->name, p->source, "session", "logout", "success");
	if (!api_audit(req, ev, false, true))
		http_respond_json(req, 200, json_pack("{s:b}", "ok", 1));
	json_decref(ev);
}

/* ---- operators ---- */

static json_t *user_json(const struct users_info *u)
{
	char changed[32];
	struct tm tm;
	time_t t = (time_t)u->pw_changed_at;
	bool locked = u->hard_locked || u->locked_until > time(NULL);

	gmtime_r(&t, &tm);
	strftime(changed, sizeof(changed), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:I, "
			 "s:s, s:i}",
			 "username", u->name, "email", u->email, "first_name", u->first_name,
			 "last_name", u->last_name, "phone", u->phone[0] ? u->phone : NULL,
			 "role", u->role, "disabled", u->disabled, "mfa_enabled", u->mfa_enabled,
			 "mfa_required", u->mfa_required, "locked", locked, "hard_locked",
			 u->hard_locked, "locked_until", (json_int_t)u->locked_until, "created_at",
			 (json_int_t)u->created_at, "password_changed_at",
			 (json_int_t)u->pw_changed_at, "password_changed", changed, "failures",
			 (int)u->failures);
}

static void users_list_ep(struct http_req *req, struct principal *p)
{
	struct users_info *v = NULL;
	size_t n = 0;
	json_t *a;

	if (!api_authz(req, p, "users", "read"))
		return;
	if (users_list(api_d->users, &v, &n)) {
		http_respond_error(req, 500, "cannot list the operators");
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, user_json(&v[i]));
	free(v);
	http_respond_json(req, 200, json_pack("{s:o}", "users", a));
}

/* Audit a change to an operator, then answer with the record (or ok). */
static void user_changed(struct http_req *req, struct principal *p, const char *action,
			 const char *target, int r, const char *why)
{
	struct users_info u;
	json_t *ev = audit_ev(!strcmp(action, "role") ? "permission_change" : "admin_action",
			      p->name, p->source, "users", action, r ? "failure" : "success");

	if (ev) {
		json_t *det = json_object_get(ev, "details");

		json_object_set_new(det, "target", json_string(target));
		if (r && why)
			json_object_set_new(det, "why", json_string(why));
	}
	if (api_audit(req, ev, !strcmp(p->role, "admin"), false)) {
		json_decref(ev);
		/* Done (api_journal_ready let it through, then the disk filled): say so. */
		if (!r)
			http_respond_error(req, 500,
					   "the change was made but the audit journal could not "
					   "record it; further changes are refused until it can");
		else
			http_respond_error(req, 503,
					   "the audit journal cannot record this action; refused "
					   "(is the disk full?)");
		return;
	}
	json_decref(ev);
	if (r) {
		http_respond_error(req, r == -ENOENT ? 404 : r == -EEXIST ? 409 :
					r == -EACCES	  ? 403 :
					r == -EINVAL	  ? 400 : 500,
				   why && *why ? why : strerror(-r));
		return;
	}
	if (users_get(api_d->users, target, &u))
		http_respond_json(req, 200, json_pack("{s:b}", "ok", 1));
	else
		http_respond_json(req, 200, json_pack("{s:o}", "user", user_json(&u)));
}

static void users_add_ep(struct http_req *req, struct principal *p)
{
	static const char *const allowed[] = { "username", "email", "first_name", "last_name",
					       "phone", "role", "password", NULL };
	struct users_new in;
	char why[512] = "", name[USERS_NAME_MAX + 1] = "";
	json_t *body;
	int r;

	if (!api_authz(req, p, "users", "create") || !api_journal_ready(req, p, "users", "create"))
		return;
	body = api_body(req);
	if (!body)
		return;
	if (fields_ok(req, body, allowed))
		goto out;
	in = (struct users_new){ .name = jstr(body, "username"), .email = jstr(body, "email"),
				 .first_name = jstr(body, "first_name"),
				 .last_name = jstr(body, "last_name"), .phone = jstr(body, "phone"),
				 .role = jstr(body, "role") };
	if (!in.name || !jstr(body, "password")) {
		http_respond_error(req, 400, "username and password are required");
		goto out;
	}
	if (users_name_normalise(in.name, name)) {
		http_respond_error(req, 400,
				   "username: 1..64 of a-z 0-9 . _ -, starting with a letter or digit");
		goto out;
	}
	r = users_add(api_d->users, &in, jstr(body, "password"), time(NULL), why, sizeof(why));
	user_changed(req, p, "create", name, r, why);
out:
	json_decref(body);
}

static void user_op(struct http_req *req, struct principal *p, const char *name, const char *op)
{
	char why[512] = "", *uri = NULL;
	json_t *body = NULL;
	const char *v;
	bool self = p->token && !strcmp(p->name, name);
	int r;

	if (!strcmp(op, "password")) {
		static const char *const allowed[] = { "password", "current", NULL };

		/* Your own password: needs the current one; someone else's: users update. */
		if (!api_authz(req, p, self ? "self" : "users", "update") ||
		    !api_journal_ready(req, p, "users", op))
			return;
		if (!(body = api_body(req)) || fields_ok(req, body, allowed))
			goto out;
		v = jstr(body, "password");
		if (!v) {
			http_respond_error(req, 400, "password is required");
			goto out;
		}
		if (self && !jstr(body, "current")) {
			http_respond_error(req, 400, "current (your current password) is required");
			goto out;
		}
		r = users_set_password(api_d->users, name, self ? jstr(body, "current") : NULL, v,
				       time(NULL), why, sizeof(why));
		user_changed(req, p, "password", name, r, why);
	} else if (!strcmp(op, "role")) {
		static const char *const allowed[] = { "role", NULL };

		if (!api_authz(req, p, "users", "update") ||
		    !api_journal_ready(req, p, "users", op))
			return;
		if (!(body = api_body(req)) || fields_ok(req, body, allowed))
			goto out;
		v = jstr(body, "role");
		if (!v) {
			http_respond_error(req, 400, "role is required");
			goto out;
		}
		r = users_set_role(api_d->users, name, v, why, sizeof(why));
		user_changed(req, p, "role", name, r, why);
	} else if (!strcmp(op, "disable") || !strcmp(op, "enable") || !strcmp(op, "unlock") ||
		   !strcmp(op, "logout-all") || !strcmp(op, "mfa/reset")) {
		if (!api_authz(req, p, "users", "update") ||
		    !api_journal_ready(req, p, "users", op))
			return;
		if (!strcmp(op, "disable"))
			r = users_disable(api_d->users, name);
		else if (!strcmp(op, "enable"))
			r = users_enable(api_d->users, name);
		else if (!strcmp(op, "unlock"))
			r = users_unlock(api_d->users, name);
		else if (!strcmp(op, "mfa/reset"))
			r = users_mfa_reset(api_d->users, name);
		else
			r = users_revoke_tokens(api_d->users, name);
		user_changed(req, p, op, name, r, NULL);
	} else if (!strcmp(op, "mfa/enrol")) {
		json_t *ev;

		if (!api_authz(req, p, self ? "self" : "users", "update") ||
		    !api_journal_ready(req, p, "users", op))
			return;
		r = users_mfa_enrol(api_d->users, name, &uri);
		ev = audit_ev("mfa_enrol", p->name, p->source, "users", "mfa_enrol",
			      r ? "failure" : "success");
		if (ev)
			json_object_set_new(json_object_get(ev, "details"), "target",
					    json_string(name));
		if (api_audit(req, ev, !strcmp(p->role, "admin"), true)) {
			json_decref(ev);
			goto out;
		}
		json_decref(ev);
		if (r) {
			http_respond_error(req, r == -ENOENT ? 404 : r == -ENOKEY ? 409 : 500,
					   r == -ENOKEY ? "MFA needs encryption.keyFile (a keyring "
							  "for the TOTP secrets)" :
						       strerror(-r));
			goto out;
		}
		http_req_add_header(req, "Cache-Control", "no-store");
		http_respond_json(req, 200,
				  json_pack("{s:s, s:s}", "otpauth_uri", uri, "next",
					    "confirm with POST /v1/users/NAME/mfa/confirm {code}"));
	} else if (!strcmp(op, "mfa/confirm")) {
		static const char *const allowed[] = { "code", NULL };

		if (!api_authz(req, p, self ? "self" : "users", "update") ||
		    !api_journal_ready(req, p, "users", op))
			return;
		if (!(body = api_body(req)) || fields_ok(req, body, allowed))
			goto out;
		v = jstr(body, "code");
		if (!v) {
			http_respond_error(req, 400, "code is required");
			goto out;
		}
		r = users_mfa_confirm(api_d->users, name, v, time(NULL));
		user_changed(req, p, "mfa_confirm", name, r,
			     r == -EACCES ? "wrong or already used code" : NULL);
	} else {
		http_respond_error(req, 404, "no such endpoint");
	}
out:
	free(uri);
	json_decref(body);
}

void api_auth_routes(struct http_req *req, const char *path, struct principal *p, bool *handled)
{
	const char *method = http_req_method(req);
	char raw[USERS_NAME_MAX + 1], name[USERS_NAME_MAX + 1];
	const char *rest, *slash;
	size_t len;

	*handled = true;
	if (!strcmp(path, "/v1/auth/logout") && !strcmp(method, "POST"))
		return logout(req, p);
	if (!strcmp(path, "/v1/users")) {
		if (!strcmp(method, "GET"))
			return users_list_ep(req, p);
		if (!strcmp(method, "POST"))
			return users_add_ep(req, p);
		http_respond_error(req, 405, "method not allowed");
		return;
	}
	if (strncmp(path, "/v1/users/", 10)) {
		*handled = false;
		return;
	}
	rest = path + 10;
	slash = strchr(rest, '/');
	len = slash ? (size_t)(slash - rest) : strlen(rest);
	if (!len || len > USERS_NAME_MAX) {
		http_respond_error(req, 404, "no such endpoint");
		return;
	}
	memcpy(raw, rest, len);
	raw[len] = '\0';
	if (users_name_normalise(raw, name)) {
		http_respond_error(req, 400, "invalid username");
		return;
	}
	if (!slash) {
		struct users_info u;

		if (strcmp(method, "GET")) {
			http_respond_error(req, 405, "method not allowed");
			return;
		}
		if (!api_authz(req, p, strcmp(p->name, name) ? "users" : "self", "read"))
			return;
		if (users_get(api_d->users, name, &u))
			http_respond_error(req, 404, "no such operator");
		else
			http_respond_json(req, 200, json_pack("{s:o}", "user", user_json(&u)));
		return;
	}
	if (strcmp(method, "POST")) {
		http_respond_error(req, 405, "method not allowed");
		return;
	}
	user_op(req, p, name, slash + 1);
}
