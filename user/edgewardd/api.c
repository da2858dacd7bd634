// SPDX-License-Identifier: GPL-2.0-only
/*
 * The management API's routes: authentication and authorisation of every
 * request, the data-plane operations of ops.h on the daemon's maps, the
 * audit journal, config check and reload, health, and the metrics
 * listener. Login, tokens and operators are in api_auth.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "api.h"
#include "config.h"
#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "rbac.h"
#include "tls.h"

struct ewd *api_d;

/* ---- authentication and authorisation ---- */

int api_authn(struct http_req *req, struct principal *p)
{
	struct ewd *d = api_d;
	const char *h, *why = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	p->source = http_req_peer_addr(req);
	if (http_req_transport(req) == HTTP_TRANSPORT_UNIX) {
		/* The listener let in only root (and the uid the tests name): local root. */
		uid_t uid = http_req_peer_uid(req);

		if (uid == 0)
			snprintf(p->name, sizeof(p->name), "root");
		else
			snprintf(p->name, sizeof(p->name), "uid:%u", (unsigned int)uid);
		snprintf(p->role, sizeof(p->role), "admin");
		p->local = true;
		return 0;
	}
	h = http_req_header(req, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7)) {
		why = "no bearer token";
		r = -EACCES;
	} else {
		r = tok_verify(api_tok_cfg(), h + 7, TOK_ACCESS, time(NULL), d->rev, &p->claims,
			       &why);
	}
	if (r) {
		log_debug("api: %s %s from %s: unauthenticated: %s", http_req_method(req),
			  http_req_path(req), p->source, why ? why : "?");
		http_req_add_header(req, "WWW-Authenticate", "Bearer realm=\"edgeward\"");
		http_respond_error(req, 401, "authentication required");
		return -EACCES;
	}
	p->token = true;
	snprintf(p->name, sizeof(p->name), "%s", p->claims.sub);
	/* A role changed in the database applies from this request on. */
	snprintf(p->role, sizeof(p->role), "%s", ewd_user_role(d, p->claims.sub, p->claims.role));
	return 0;
}

static int peer_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

bool api_authz(struct http_req *req, const struct principal *p, const char *resource,
	       const char *action)
{
	struct sockaddr_storage ss;
	struct rbac_ctx ctx = { .now = time(NULL) };
	/* Local root is checked against the config's table: the database cannot lock it out. */
	const struct rbac *rb = p->local ? api_d->rbac_cfg : api_d->rbac;
	const char *why = NULL;
	json_t *ev;

	if (!p->local && !peer_sockaddr(p->source, &ss))
		ctx.src = (struct sockaddr *)&ss;
	if (rbac_check(rb, p->role, resource, action, &ctx, &why)) {
		if (rbac_flags(rb) & RBAC_AUDIT_ALL && strcmp(action, "read")) {
			ev = ewd_event("access_granted", p->name, p->source, resource, action,
				       "success");
			if (ev)
				ewd_audit(api_d, ev, !strcmp(p->role, "admin"));
			json_decref(ev);
		}
		return true;
	}
	ev = ewd_event("access_denied", p->name, p->source, resource, action, "denied");
	if (ev) {
		json_object_set_new(json_object_get(ev, "details"), "why",
				    json_string(why ? why : "not permitted"));
		json_object_set_new(json_object_get(ev, "details"), "role", json_string(p->role));
		ewd_audit(api_d, ev, !strcmp(p->role, "admin"));
	}
	json_decref(ev);
	http_respond_error(req, 403, "permission denied");
	return false;
}

json_t *api_body(struct http_req *req)
{
	json_error_t je;
	size_t len;
	const char *b = http_req_body(req, &len);
	const char *ct = http_req_header(req, "Content-Type");
	json_t *j;
	char msg[200];

	if (!len)
		return json_object();
	if (ct && strncasecmp(ct, "application/json", 16)) {
		http_respond_error(req, 415, "the body must be application/json");
		return NULL;
	}
	/* Strict: one object, no duplicate keys, no NUL in strings. */
	j = json_loadb(b, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(msg, sizeof(msg), "invalid JSON at line %d column %d: %s", je.line,
			 je.column, je.text);
		http_respond_error(req, 400, msg);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_respond_error(req, 400, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

int api_audit(struct http_req *req, json_t *ev, bool privileged, bool answer_on_error)
{
	int r = ewd_audit(api_d, ev, privileged);

	if (r && answer_on_error)
		http_respond_error(req, 503,
				   "the audit journal cannot record this action; refused (is the "
				   "disk full?)");
	return r;
}

/* ---- the data-plane operations ---- */

bool api_journal_ready(struct http_req *req, const struct principal *p, const char *resource,
		       const char *action)
{
	char err[1024];
	int r = ewd_journal_ready(api_d, p->name, p->source, resource, action, err, sizeof(err));

	if (r)
		http_respond_error(req, r == -ENOSPC ? 507 : 503, err);
	return !r;
}

/*
 * With a database, an operator's block add and delete are the fleet's: the
 * rows of audit.ip_blocklist (origin manual) reach every server, and a
 * delete lifts the block everywhere. Imports and flushes stay local (a feed
 * of a million rules is not a fleet row each); so does emergency mode.
 */
#define SHARE_MAX 1024

static void share_op(struct ewd *d, const struct ops_entry *e, const json_t *in,
		     const json_t *out)
{
	bool add = !strcmp(e->name, "block.add");
	const json_t *list = json_object_get(out, add ? "blocked" : "deleted"), *it;
	json_int_t ttl = json_integer_value(json_object_get(in, "ttl_s"));
	const char *reason = json_string_value(json_object_get(in, "reason"));
	struct ew_cidr c;
	size_t i;

	if (!d->fleet || (!add && strcmp(e->name, "block.del")))
		return;
	if (json_array_size(list) > SHARE_MAX) {
		log_warnx("api: %s of %zu CIDRs: not shared with the fleet (more than %d; use the "
			  "database for big feeds)",
			  e->name, json_array_size(list), SHARE_MAX);
		return;
	}
	json_array_foreach(list, i, it) {
		const char *s = add ? json_string_value(json_object_get(it, "cidr")) :
				      json_string_value(it);

		if (!s || ew_cidr_parse(s, 0, &c, NULL, 0))
			continue;
		if (add)
			fleet_publish_as(d->fleet, &c, ttl > 0 ? (int64_t)time(NULL) + ttl : 0,
					 reason, "manual");
		else
			fleet_unpublish(d->fleet, &c);
	}
}

static void run_op(struct http_req *req, const struct ops_entry *e, struct principal *p)
{
	struct ewd *d = api_d;
	char err[1024] = "";
	const char *body;
	size_t len;
	json_t *in = NULL, *out = NULL, *ev = NULL;
	bool changes, locked = false;
	int r, status;

	if (!api_authz(req, p, e->resource, e->action))
		return;
	body = http_req_body(req, &len);
	if (len) {
		const char *ct = http_req_header(req, "Content-Type");

		if (ct && strncasecmp(ct, "application/json", 16)) {
			http_respond_error(req, 415, "the body must be application/json");
			return;
		}
	}
	r = ops_request(e, http_req_query(req), body, len, &in, err, sizeof(err));
	if (r) {
		http_respond_error(req, r == -ENOMEM ? 500 : 400, err);
		return;
	}
	changes = ops_changes(e, in);
	if (changes && !api_journal_ready(req, p, e->resource, e->name))
		goto out;
	if (e->needs_maps && !d->maps_open) {
		http_respond_error(req, 503, "the filter is not loaded");
		goto out;
	}
	if (e->write && d->maps_open) {
		r = ew_maps_lock(&d->maps);
		if (r) {
			snprintf(err, sizeof(err), "cannot lock the maps: %s", strerror(-r));
			http_respond_error(req, 500, err);
			goto out;
		}
		locked = true;
	}
	if (e->stream) {
		char *buf = NULL;
		size_t blen = 0;
		FILE *f = open_memstream(&buf, &blen);

		r = f ? e->stream(&d->maps, in, f, err, sizeof(err)) : -ENOMEM;
		if (f)
			fclose(f);
		if (locked)
			ew_maps_unlock(&d->maps);
		locked = false;
		if (r)
			http_respond_error(req, ops_http_status(r), err);
		else
			http_respond(req, 200, "application/json", buf, blen);
		free(buf);
		goto out;
	}
	r = e->fn(&d->maps, in, &out, err, sizeof(err));
	if (locked)
		ew_maps_unlock(&d->maps);
	locked = false;
	if (changes) {
		ev = ewd_event(e->write ? "admin_action" : "data_access", p->name, p->source,
			       e->resource, e->name, r ? "failure" : "success");
		if (ev) {
			json_object_set_new(ev, "details", ops_audit_details(e, in, out));
			if (r)
				json_object_set_new(json_object_get(ev, "details"), "error",
						    json_string(err));
		}
		if (api_audit(req, ev, !strcmp(p->role, "admin"), false) && !r) {
			/* Done in the kernel, not on record: say so rather than "ok". */
			http_respond_error(req, 500,
					   "the change was made but the audit journal could not "
					   "record it; further changes are refused until it can");
			goto out;
		}
	}
	if (r) {
		status = ops_http_status(r);
		http_respond_error(req, status, err);
		goto out;
	}
	share_op(d, e, in, out);
	http_respond_json(req, 200, out);
	out = NULL;
out:
	if (locked)
		ew_maps_unlock(&d->maps);
	json_decref(in);
	json_decref(out);
	json_decref(ev);
	/*
	 * An import of 1M rules parses ~20 MB of JSON into ~100 MB of heap; glibc
	 * keeps it unless asked. Give it back so the daemon's RSS returns to its
	 * resting size.
	 */
	if (len > (1u << 20))
		malloc_trim(0);
}

/* ---- audit journal ---- */

struct audit_q {
	const char *type, *actor, *source, *result;
	long min_risk;
	int64_t since_us;
	size_t limit;
	json_t *ring;		/* the last `limit` matches */
	size_t seen;
};

static int qstr(const char *query, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *q = query; q && *q;) {
		const char *amp = strchr(q, '&');
		size_t l = amp ? (size_t)(amp - q) : strlen(q);

		if (l > kl && !strncmp(q, key, kl) && q[kl] == '=') {
			size_t o = 0;

			for (size_t i = kl + 1; i < l && o + 1 < len; i++) {
				unsigned int c;

				if (q[i] == '%' && i + 2 < l && sscanf(q + i + 1, "%2x", &c) == 1) {
					out[o++] = (char)c;
					i += 2;
				} else {
					out[o++] = q[i] == '+' ? ' ' : q[i];
				}
			}
			out[o] = '\0';
			return 1;
		}
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

static bool str_is(json_t *rec, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(rec, key));

	return !want || (v && !strcmp(v, want));
}

static int audit_cb(uint64_t seq, json_t *rec, void *arg)
{
	struct audit_q *q = arg;
	int64_t ts = 0;

	(void)seq;
	if (!str_is(rec, "type", q->type) || !str_is(rec, "actor", q->actor) ||
	    !str_is(rec, "source", q->source) || !str_is(rec, "result", q->result))
		return 0;
	if (json_integer_value(json_object_get(rec, "risk")) < q->min_risk)
		return 0;
	if (q->since_us && (jr_ts_parse(json_string_value(json_object_get(rec, "ts")), &ts) ||
			    ts < q->since_us))
		return 0;
	if (json_array_size(q->ring) == q->limit)
		json_array_remove(q->ring, 0);
	json_array_append(q->ring, rec);
	q->seen++;
	return 0;
}

static void audit_list(struct http_req *req, struct principal *p)
{
	char type[64] = "", actor[128] = "", source[64] = "", result[16] = "", buf[64] = "";
	struct audit_q q = { .limit = 100 };
	struct jr_scan res;
	const char *query = http_req_query(req);
	json_t *o;
	char *end;
	int r;

	if (!api_authz(req, p, "audit", "read"))
		return;
	if (qstr(query, "type", type, sizeof(type)))
		q.type = type;
	if (qstr(query, "actor", actor, sizeof(actor)))
		q.actor = actor;
	if (qstr(query, "source", source, sizeof(source)))
		q.source = source;
	if (qstr(query, "result", result, sizeof(result)))
		q.result = result;
	if (qstr(query, "min_risk", buf, sizeof(buf))) {
		q.min_risk = strtol(buf, &end, 10);
		if (!buf[0] || *end || q.min_risk < 0 || q.min_risk > 100) {
			http_respond_error(req, 400, "min_risk must be 0..100");
			return;
		}
	}
	if (qstr(query, "limit", buf, sizeof(buf))) {
		unsigned long l = strtoul(buf, &end, 10);

		if (!buf[0] || *end || !l || l > 100000) {
			http_respond_error(req, 400, "limit must be 1..100000");
			return;
		}
		q.limit = l;
	}
	if (qstr(query, "since", buf, sizeof(buf)) && jr_ts_parse(buf, &q.since_us)) {
		http_respond_error(req, 400, "since must be an RFC 3339 time");
		return;
	}
	q.ring = json_array();
	/* A damaged journal still lists what comes before the damage; status says so. */
	r = jr_scan(api_d->cfg->daemon.journal, audit_cb, &q, &res);
	if (r < 0) {
		json_decref(q.ring);
		http_respond_error(req, 500, "cannot read the audit journal");
		return;
	}
	o = json_object();
	json_object_set_new(o, "events", q.ring);
	json_object_set_new(o, "matched", json_integer(q.seen));
	json_object_set_new(o, "status", json_string(jr_status_name(res.status)));
	http_respond_json(req, 200, o);
}

static void audit_verify(struct http_req *req, struct principal *p)
{
	struct jr_scan res;
	json_t *o;

	if (!api_authz(req, p, "audit", "read"))
		return;
	if (jr_scan(api_d->cfg->daemon.journal, NULL, NULL, &res) < 0) {
		http_respond_error(req, 500, "cannot read the audit journal");
		return;
	}
	o = json_object();
	json_object_set_new(o, "ok", json_boolean(res.status == JR_OK));
	json_object_set_new(o, "records", json_integer(res.records));
	json_object_set_new(o, "last_seq", json_integer(res.last_seq));
	json_object_set_new(o, "status", json_string(jr_status_name(res.status)));
	if (res.status != JR_OK) {
		json_object_set_new(o, "bad_seq", json_integer(res.bad_seq));
		json_object_set_new(o, "offset", json_integer(res.bad_offset));
		json_object_set_new(o, "why", json_string(res.why));
	}
	http_respond_json(req, 200, o);
}

/* ---- config ---- */

static void config_check(struct http_req *req, struct principal *p)
{
	char err[CFG_ERRLEN] = "";
	struct ew_config *cfg = NULL;
	json_t *body, *o, *errs;
	const char *path;
	int r;

	if (!api_authz(req, p, "config", "read"))
		return;
	body = api_body(req);
	if (!body)
		return;
	path = json_string_value(json_object_get(body, "path"));
	if (json_object_size(body) > (path ? 1u : 0u) || (json_object_get(body, "path") && !path)) {
		json_decref(body);
		http_respond_error(req, 400, "the only field is 'path' (a string)");
		return;
	}
	/* Remote operators check only the daemon's own file: no probing of paths. */
	if (path && !p->local && strcmp(path, api_d->config_path)) {
		json_decref(body);
		http_respond_error(req, 403, "only local root may check another file");
		return;
	}
	r = cfg_load(path ? path : api_d->config_path, &cfg, err, sizeof(err));
	o = json_object();
	json_object_set_new(o, "ok", json_boolean(!r));
	json_object_set_new(o, "path", json_string(path ? path : api_d->config_path));
	errs = json_array();
	if (r) {
		for (char *l = strtok(err, "\n"); l; l = strtok(NULL, "\n"))
			json_array_append_new(errs, json_string(l));
	}
	json_object_set_new(o, "errors", errs);
	if (cfg)
		json_object_set_new(o, "profile", json_string(cfg_profile_name(cfg->profile)));
	cfg_free(cfg);
	json_decref(body);
	http_respond_json(req, 200, o);
}

static void config_reload(struct http_req *req, struct principal *p)
{
	char err[CFG_ERRLEN] = "";
	json_t *o, *errs;

	if (!api_authz(req, p, "config", "execute"))
		return;
	/* Before anything changes: the reload's record must fit (ewd_reload checks again). */
	if (!api_journal_ready(req, p, "config", "reload"))
		return;
	if (ewd_reload(api_d, p->name, p->source, err, sizeof(err))) {
		o = json_object();
		errs = json_array();
		for (char *l = strtok(err, "\n"); l; l = strtok(NULL, "\n"))
			json_array_append_new(errs, json_string(l));
		json_object_set_new(o, "error", json_string("the configuration was not reloaded; "
							    "the running one is unchanged"));
		json_object_set_new(o, "errors", errs);
		http_respond_json(req, 400, o);
		return;
	}
	o = json_object();
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "path", json_string(api_d->config_path));
	json_object_set_new(o, "generation", json_integer(api_d->policy_generation));
	http_respond_json(req, 200, o);
}

/* ---- dispatch ---- */

static void on_health(struct http_req *req, void *arg)
{
	(void)arg;
	http_respond_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

/*
 * Requests that wait for the database's new roles: a change committed there
 * (NOTIFY edgeward_config) applies to the next request, so a request checked
 * between the notification and the new state waits for the state, at most
 * PARK_WAIT_NS (then the last state decides, as while the database is away).
 */
#define PARK_MAX	1024
#define PARK_WAIT_NS	(2000 * 1000000ULL)

static struct {
	struct http_req *req;	/* deferred */
	uint64_t since_ns;
} parked[PARK_MAX];
static size_t n_parked;
static struct event *ev_park;
static uint64_t parked_total;

uint64_t api_parked_total(void)
{
	return parked_total;
}

static void dispatch(struct http_req *req, bool may_wait);

/* Go on with every parked request (each is checked against the state there is now). */
void api_state_settled(void)
{
	size_t n = n_parked, i;
	struct http_req *reqs[PARK_MAX];

	for (i = 0; i < n; i++)
		reqs[i] = parked[i].req;
	n_parked = 0;
	if (ev_park)
		event_del(ev_park);
	for (i = 0; i < n; i++) {
		if (http_req_connected(reqs[i]))
			dispatch(reqs[i], false);
		http_req_release(reqs[i]);
	}
}

static void on_park_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (!n_parked)
		return;
	if (!fleet_state_pending(api_d->fleet) || ew_boot_ns() - parked[0].since_ns > PARK_WAIT_NS) {
		api_state_settled();
		return;
	}
	event_add(ev_park, &(struct timeval){ 0, 20000 });
}

static bool park(struct http_req *req)
{
	if (n_parked == PARK_MAX)
		return false;
	if (!ev_park && !(ev_park = evtimer_new(api_d->base, on_park_tick, NULL)))
		return false;
	parked[n_parked].req = http_req_defer(req);
	parked[n_parked].since_ns = ew_boot_ns();
	parked_total++;
	if (!n_parked++)
		event_add(ev_park, &(struct timeval){ 0, 20000 });
	return true;
}

static void on_api(struct http_req *req, void *arg)
{
	(void)arg;
	dispatch(req, true);
}

static void dispatch(struct http_req *req, bool may_wait)
{
	const char *method = http_req_method(req), *path = http_req_path(req);
	const struct ops_entry *e;
	struct principal p;
	bool handled = false, known = false;

	if (api_authn(req, &p))
		return;
	/* Local root uses the config's table; a token's role may have changed in the database. */
	if (may_wait && !p.local && fleet_state_pending(api_d->fleet) && park(req))
		return;
	api_auth_routes(req, path, &p, &handled);
	if (handled)
		return;
	if (!strcmp(path, "/v1/audit") && !strcmp(method, "GET"))
		return audit_list(req, &p);
	if (!strcmp(path, "/v1/audit/verify") && !strcmp(method, "GET"))
		return audit_verify(req, &p);
	if (!strcmp(path, "/v1/config/check") && !strcmp(method, "POST"))
		return config_check(req, &p);
	if (!strcmp(path, "/v1/config/reload") && !strcmp(method, "POST"))
		return config_reload(req, &p);
	e = ops_route(method, path, &known);
	if (e)
		return run_op(req, e, &p);
	http_respond_error(req, known ? 405 : 404, known ? "method not allowed" : "no such endpoint");
}

static const struct http_route api_routes[] = {
	{ "GET", "/v1/health", HTTP_ZONE_API, on_health },
	{ "POST", "/v1/auth/login", HTTP_ZONE_LOGIN, api_login },
	{ "POST", "/v1/auth/refresh", HTTP_ZONE_LOGIN, api_refresh },
	{ "GET", "/v1/*", HTTP_ZONE_API, on_api },
	{ "POST", "/v1/*", HTTP_ZONE_API, on_api },
	{ "PUT", "/v1/*", HTTP_ZONE_API, on_api },
	{ "DELETE", "/v1/*", HTTP_ZONE_API, on_api },
	{ 0 }
};

static void on_metrics(struct http_req *req, void *arg)
{
	size_t len;
	char *body = metrics_render(arg, &len);

	if (!body) {
		http_respond_error(req, 500, "out of memory");
		return;
	}
	http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
	free(body);
}

static const struct http_route metrics_routes[] = {
	{ "GET", "/metrics", HTTP_ZONE_NONE, on_metrics },
	{ 0 }
};

/* ---- start and stop ---- */

static void http_conf_from(const struct ew_config *cfg, struct http_conf *hc)
{
	http_conf_defaults(hc);
	hc->header_max_bytes = cfg->api.header_bytes;
	hc->header_max_count = cfg->api.headers;
	hc->body_max_bytes = cfg->api.body_bytes;
	hc->header_timeout_ms = cfg->api.header_timeout_s * 1000;
	/* One deadline for the whole request: the body gets as long as the headers. */
	hc->body_timeout_ms = cfg->api.header_timeout_s * 1000;
	hc->idle_timeout_ms = cfg->api.idle_timeout_s * 1000;
	hc->max_conns = cfg->api.max_conns;
	hc->max_conns_per_source = cfg->api.max_conns_per_source;
	/* The config's rates are "N per period": per second for api, per minute for login. */
	hc->api_rate_per_s = cfg->api.rl_api.rate / (cfg->api.rl_api.period_s ?: 1) ?: 1;
	hc->api_burst = cfg->api.rl_api.burst;
	hc->login_rate_per_min =
		(uint32_t)((uint64_t)cfg->api.rl_login.rate * 60 / (cfg->api.rl_login.period_s ?: 60))
			?: 1;
	hc->login_burst = cfg->api.rl_login.burst;
}

static int listen_addr(struct http_server *srv, const struct cfg_listen *l, SSL_CTX *tls)
{
	char host[INET6_ADDRSTRLEN];
	uint16_t port;

	if (l->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&l->addr;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const void *)&l->addr;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
	}
	return http_listen_tcp(srv, host, port, tls);
}

int api_start(struct ewd *d)
{
	const struct ew_config *cfg = d->cfg;
	struct http_conf hc;
	char err[512] = "", info[512];
	int r;

	api_d = d;
	/* status and stats: entry counts up to 10 s old rather than a walk per request. */
	ops_set_fill_max_age(10);
	r = api_auth_start(d);
	if (r)
		return r;
	if (cfg->api.tls) {
		d->tls = tls_server_ctx(cfg->api.tls_cert, cfg->api.tls_key, err, sizeof(err));
		if (!d->tls) {
			log_warnx("api: TLS: %s", err);
			return -EINVAL;
		}
		if (tls_cert_info(d->tls, info, sizeof(info)) >= 0)
			log_info("api: certificate %s", info);
	}
	http_conf_from(cfg, &hc);
	d->api = http_server_new(d->base, &hc, api_routes, d);
	if (!d->api) {
		r = -errno;
		log_warn("api: cannot create the server (a limit of 0 in api.limits?)");
		return r;
	}
	if (cfg->api.unix_socket) {
		/* Tests running unprivileged clients may name one more uid; never in production. */
		const char *e = cfg->profile == CFG_PRODUCTION ? NULL : getenv("EDGEWARD_API_EXTRA_UID");
		uid_t extra = e && *e ? (uid_t)strtoul(e, NULL, 10) : (uid_t)-1;

		r = http_listen_unix(d->api, cfg->api.unix_socket, extra);
		if (r) {
			log_warnx("api: cannot listen on %s: %s", cfg->api.unix_socket,
				  strerror(-r));
			return r;
		}
		log_info("api: listening on %s (root only)", cfg->api.unix_socket);
	}
	for (size_t i = 0; i < cfg->api.n_listen; i++) {
		r = listen_addr(d->api, &cfg->api.listen[i], d->tls);
		if (r) {
			log_warnx("api: cannot listen on %s: %s", cfg->api.listen[i].text,
				  strerror(-r));
			return r;
		}
		log_info("api: listening on %s (%s)", cfg->api.listen[i].text,
			 d->tls ? "HTTPS" : "plain HTTP: development only");
	}
	if (cfg->metrics.enabled) {
		http_conf_defaults(&hc);
		d->metrics = http_server_new(d->base, &hc, metrics_routes, d);
		if (!d->metrics)
			return -ENOMEM;
		r = listen_addr(d->metrics, &cfg->metrics.listen, NULL);
		if (r) {
			log_warnx("metrics: cannot listen on %s: %s", cfg->metrics.listen.text,
				  strerror(-r));
			return r;
		}
		log_info("metrics: http://%s/metrics", cfg->metrics.listen.text);
	}
	return 0;
}

void api_stop(struct ewd *d)
{
	/* Parked requests are answered (with the state there is) before the server goes. */
	api_state_settled();
	if (ev_park) {
		event_free(ev_park);
		ev_park = NULL;
	}
	api_auth_stop(d);
}
