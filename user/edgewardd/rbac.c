// SPDX-License-Identifier: GPL-2.0-only
/*
 * Role-based access control: the default role table, the config's
 * overrides on top of it, and the permission check every API endpoint
 * makes, with the guide's conditions (check_permission and
 * check_conditions, without their bugs: a role's level decides
 * inheritance, and a condition the request cannot answer fails).
 *
 * The table is small (a handful of roles, a few dozen permissions), so
 * rbac_check walks it on every call instead of precomputing effective sets:
 * a reload that swaps the table, or a user whose role changed, is seen by
 * the very next request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "rbac.h"

struct rbac_role {
	char name[RBAC_NAME_LEN];
	int level;
	struct rbac_perm *perms;
	size_t n_perms;
};

struct rbac {
	unsigned int flags;
	struct rbac_role *roles;
	size_t n_roles;
};

static const char *const res_names[RBAC_RES_COUNT] = {
	[RBAC_RES_BLOCKLIST] = "blocklist", [RBAC_RES_ALLOWLIST] = "allowlist",
	[RBAC_RES_ACL] = "acl",		    [RBAC_RES_RATELIMIT] = "ratelimit",
	[RBAC_RES_POLICY] = "policy",	    [RBAC_RES_FILTER] = "filter",
	[RBAC_RES_STATS] = "stats",	    [RBAC_RES_EVENTS] = "events",
	[RBAC_RES_USERS] = "users",	    [RBAC_RES_AUDIT] = "audit",
	[RBAC_RES_CONFIG] = "config",	    [RBAC_RES_SELF] = "self",
	[RBAC_RES_HEALTH] = "health",
};

#define R RBAC_READ
#define C RBAC_CREATE
#define U RBAC_UPDATE
#define D RBAC_DELETE
#define X RBAC_EXECUTE

/* What each resource can be asked for; anything else is denied before roles are looked at. */
static const unsigned int res_acts[RBAC_RES_COUNT] = {
	[RBAC_RES_BLOCKLIST] = R | C | D, [RBAC_RES_ALLOWLIST] = R | C | D,
	[RBAC_RES_ACL] = R | U,		  [RBAC_RES_RATELIMIT] = R | U,
	[RBAC_RES_POLICY] = R | U,	  [RBAC_RES_FILTER] = R | X,
	[RBAC_RES_STATS] = R,		  [RBAC_RES_EVENTS] = R,
	[RBAC_RES_USERS] = R | C | U | D, [RBAC_RES_AUDIT] = R,
	[RBAC_RES_CONFIG] = R | X,	  [RBAC_RES_SELF] = R | U,
	[RBAC_RES_HEALTH] = R,
};

static const char *const act_names[] = { "read", "create", "update", "delete", "execute" };

/* The default matrix of rbac.h, one row of actions per resource for each role. */
struct default_role {
	const char *name;
	int level;
	unsigned int acts[RBAC_RES_COUNT];
};

static const struct default_role default_roles[] = {
	{ "admin", 100, {
		[RBAC_RES_BLOCKLIST] = R | C | D, [RBAC_RES_ALLOWLIST] = R | C | D,
		[RBAC_RES_ACL] = R | U, [RBAC_RES_RATELIMIT] = R | U, [RBAC_RES_POLICY] = R | U,
		[RBAC_RES_FILTER] = R | X, [RBAC_RES_STATS] = R, [RBAC_RES_EVENTS] = R,
		[RBAC_RES_USERS] = R | C | U | D, [RBAC_RES_AUDIT] = R, [RBAC_RES_CONFIG] = R | X,
		[RBAC_RES_SELF] = R | U, [RBAC_RES_HEALTH] = R } },
	{ "manager", 50, {
		[RBAC_RES_BLOCKLIST] = R | C | D, [RBAC_RES_ALLOWLIST] = R | C | D,
		[RBAC_RES_ACL] = R, [RBAC_RES_RATELIMIT] = R, [RBAC_RES_POLICY] = R,
		[RBAC_RES_STATS] = R, [RBAC_RES_EVENTS] = R, [RBAC_RES_USERS] = R,
		[RBAC_RES_AUDIT] = R, [RBAC_RES_CONFIG] = R, [RBAC_RES_SELF] = R | U,
		[RBAC_RES_HEALTH] = R } },
	{ "financial", 20, {
		[RBAC_RES_STATS] = R, [RBAC_RES_AUDIT] = R, [RBAC_RES_SELF] = R | U,
		[RBAC_RES_HEALTH] = R } },
	{ "employee", 10, {
		[RBAC_RES_STATS] = R, [RBAC_RES_SELF] = R | U, [RBAC_RES_HEALTH] = R } },
	{ "viewer", 20, {
		[RBAC_RES_BLOCKLIST] = R, [RBAC_RES_ALLOWLIST] = R, [RBAC_RES_ACL] = R,
		[RBAC_RES_RATELIMIT] = R, [RBAC_RES_POLICY] = R, [RBAC_RES_FILTER] = R,
		[RBAC_RES_STATS] = R, [RBAC_RES_SELF] = R | U, [RBAC_RES_HEALTH] = R } },
};

#undef R
#undef C
#undef U
#undef D
#undef X

#define N_DEFAULT (sizeof(default_roles) / sizeof(default_roles[0]))

/* ---- names ---- */

int rbac_res_parse(const char *s)
{
	int i;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "*"))
		return RBAC_RES_ALL;
	for (i = 0; i < RBAC_RES_COUNT; i++)
		if (!strcmp(s, res_names[i]))
			return i;
	return -EINVAL;
}

const char *rbac_res_name(int res)
{
	if (res == RBAC_RES_ALL)
		return "*";
	return res >= 0 && res < RBAC_RES_COUNT ? res_names[res] : "?";
}

unsigned int rbac_res_actions(int res)
{
	if (res == RBAC_RES_ALL)
		return RBAC_ACT_ALL;
	return res >= 0 && res < RBAC_RES_COUNT ? res_acts[res] : 0;
}

int rbac_act_parse(const char *s)
{
	unsigned int i;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "*"))
		return RBAC_ACT_ALL;
	for (i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++)
		if (!strcmp(s, act_names[i]))
			return 1 << i;
	return -EINVAL;
}

const char *rbac_act_name(unsigned int act)
{
	unsigned int i;

	if (act == RBAC_ACT_ALL)
		return "*";
	for (i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++)
		if (act == 1u << i)
			return act_names[i];
	return "?";
}

bool rbac_is_default_role(const char *name)
{
	size_t i;

	for (i = 0; name && i < N_DEFAULT; i++)
		if (!strcmp(name, default_roles[i].name))
			return true;
	return false;
}

bool rbac_role_name_ok(const char *s)
{
	size_t i, n;

	if (!s)
		return false;
	n = strnlen(s, RBAC_NAME_LEN);
	if (n == 0 || n >= RBAC_NAME_LEN || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

/* ---- condition parts ---- */

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

static bool two_digits(const char *s, unsigned int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*v = (unsigned int)(s[0] - '0') * 10 + (unsigned int)(s[1] - '0');
	return true;
}

int rbac_hhmm_parse(const char *s, bool is_end, uint16_t *min, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	unsigned int h, m;

	if (!s || strlen(s) != 5 || s[2] != ':' || !two_digits(s, &h) || !two_digits(s + 3, &m))
		return fail(err, errlen, "%s: expected a time as HH:MM, e.g. 08:00",
			    ew_quote(s ? s : "", q, sizeof(q)));
	/* 24:00 ends a window at midnight; as a start it would be 00:00 of the next day. */
	if (h == 24 && m == 0 && is_end) {
		*min = 1440;
		return 0;
	}
	if (h > 23 || m > 59)
		return fail(err, errlen, "%s: not a time of day (00:00 to 23:59%s)",
			    ew_quote(s, q, sizeof(q)), is_end ? ", or 24:00" : "");
	*min = (uint16_t)(h * 60 + m);
	return 0;
}

int rbac_day_parse(const char *s)
{
	static const char *const days[] = { "sunday",   "monday", "tuesday", "wednesday",
					    "thursday", "friday", "saturday" };
	int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < 7; i++)
		if (!strcmp(s, days[i]) || (strlen(s) == 3 && !strncmp(s, days[i], 3)))
			return i;
	return -EINVAL;
}

int rbac_tz_parse(const char *s, int32_t *off_s, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	unsigned int h, m;

	if (s && (!strcmp(s, "UTC") || !strcmp(s, "Z"))) {
		*off_s = 0;
		return 0;
	}
	if (!s || strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
	    !two_digits(s + 1, &h) || !two_digits(s + 4, &m))
		return fail(err, errlen,
			    "%s: expected UTC or a fixed offset like +02:00 (zone names are not "
			    "accepted: their offsets change with daylight saving time)",
			    ew_quote(s ? s : "", q, sizeof(q)));
	if (m > 59 || h * 60 + m > 14 * 60)
		return fail(err, errlen, "%s: offset out of range -14:00..+14:00",
			    ew_quote(s, q, sizeof(q)));
	*off_s = (int32_t)((h * 60 + m) * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

bool rbac_time_match(const struct rbac_time *t, time_t now)
{
	int64_t local = (int64_t)now + t->tz_off_s;
	/* Floor division: times before 1970 in a zone west of UTC stay on the right day. */
	int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	unsigned int min = (unsigned int)((local - day * 86400) / 60);
	/* 1970-01-01 was a Thursday (4). */
	unsigned int wday = (unsigned int)(((day % 7) + 7 + 4) % 7);

	if (t->start_min < t->end_min)
		return min >= t->start_min && min < t->end_min && (t->days & (1u << wday));
	if (min >= t->start_min)
		return t->days & (1u << wday);
	if (min < t->end_min)
		return t->days & (1u << ((wday + 6) % 7));
	return false;
}

/* ---- copies ---- */

void rbac_cond_free(struct rbac_cond *c)
{
	size_t i;

	if (!c)
		return;
	free(c->ip);
	for (i = 0; c->loc && i < c->n_loc; i++)
		free(c->loc[i]);
	free(c->loc);
	for (i = 0; c->attr && i < c->n_attr; i++) {
		free(c->attr[i].key);
		free(c->attr[i].value);
	}
	free(c->attr);
	memset(c, 0, sizeof(*c));
}

static void perms_free(struct rbac_perm *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		rbac_cond_free(&p[i].cond);
	free(p);
}

void rbac_role_defs_free(struct rbac_role_def *defs, size_t n)
{
	size_t i;

	for (i = 0; defs && i < n; i++)
		perms_free(defs[i].perms, defs[i].n_perms);
	free(defs);
}

static int cond_copy(struct rbac_cond *dst, const struct rbac_cond *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->has_time = src->has_time;
	dst->time = src->time;
	if (src->n_ip) {
		dst->ip = malloc(src->n_ip * sizeof(*dst->ip));
		if (!dst->ip)
			goto nomem;
		memcpy(dst->ip, src->ip, src->n_ip * sizeof(*dst->ip));
		dst->n_ip = src->n_ip;
	}
	if (src->n_loc) {
		dst->loc = calloc(src->n_loc, sizeof(*dst->loc));
		if (!dst->loc)
			goto nomem;
		for (i = 0; i < src->n_loc; i++, dst->n_loc++)
			if (!(dst->loc[i] = strdup(src->loc[i])))
				goto nomem;
	}
	if (src->n_attr) {
		dst->attr = calloc(src->n_attr, sizeof(*dst->attr));
		if (!dst->attr)
			goto nomem;
		for (i = 0; i < src->n_attr; i++) {
			dst->attr[i].key = strdup(src->attr[i].key);
			dst->attr[i].value = strdup(src->attr[i].value);
			dst->n_attr++;
			if (!dst->attr[i].key || !dst->attr[i].value)
				goto nomem;
		}
	}
	return 0;
nomem:
	rbac_cond_free(dst);
	return -ENOMEM;
}

static int perms_copy(struct rbac_role *role, const struct rbac_perm *src, size_t n)
{
	size_t i;
	int r;

	if (!n)
		return 0;
	role->perms = calloc(n, sizeof(*role->perms));
	if (!role->perms)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		role->perms[i].res = src[i].res;
		role->perms[i].acts = src[i].acts;
		role->perms[i].line = src[i].line;
		r = cond_copy(&role->perms[i].cond, &src[i].cond);
		if (r)
			return r;
		role->n_perms++;
	}
	return 0;
}

/* The built-in permissions of default role d: one unconditional grant per resource. */
static int perms_default(struct rbac_role *role, const struct default_role *d)
{
	size_t n = 0;
	int i;

	for (i = 0; i < RBAC_RES_COUNT; i++)
		n += d->acts[i] != 0;
	role->perms = calloc(n, sizeof(*role->perms));
	if (!role->perms)
		return -ENOMEM;
	for (i = 0; i < RBAC_RES_COUNT; i++) {
		if (!d->acts[i])
			continue;
		role->perms[role->n_perms].res = i;
		role->perms[role->n_perms++].acts = d->acts[i];
	}
	return 0;
}

/* ---- the table ---- */

void rbac_free(struct rbac *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; r->roles && i < r->n_roles; i++)
		perms_free(r->roles[i].perms, r->roles[i].n_perms);
	free(r->roles);
	free(r);
}

static struct rbac_role *role_find(const struct rbac *r, const char *name)
{
	size_t i;

	for (i = 0; name && i < r->n_roles; i++)
		if (!strcmp(r->roles[i].name, name))
			return &r->roles[i];
	return NULL;
}

/* A def from code rather than a config file gets the same checks the config parser made. */
static int def_check(const struct rbac_role_def *d, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	size_t i;

	if (!rbac_role_name_ok(d->name))
		return fail(err, errlen, "rbac: %s is not a role name (a-z first, then a-z, 0-9, "
			    "_, -; at most %d)", ew_quote(d->name, q, sizeof(q)),
			    RBAC_NAME_LEN - 1);
	if (d->level_set && (d->level < 0 || d->level > RBAC_LEVEL_MAX))
		return fail(err, errlen, "rbac: role %s: level %d out of range 0..%d", d->name,
			    d->level, RBAC_LEVEL_MAX);
	for (i = 0; i < d->n_perms; i++) {
		const struct rbac_perm *p = &d->perms[i];

		if (p->res != RBAC_RES_ALL && (p->res < 0 || p->res >= RBAC_RES_COUNT))
			return fail(err, errlen, "rbac: role %s: permission %zu: bad resource",
				    d->name, i);
		if (!p->acts || (p->acts & ~rbac_res_actions(p->res)))
			return fail(err, errlen, "rbac: role %s: permission %zu: %s has no such "
				    "action", d->name, i, rbac_res_name(p->res));
		if (p->cond.has_time &&
		    (p->cond.time.start_min > 1439 || p->cond.time.end_min > 1440 ||
		     p->cond.time.end_min == p->cond.time.start_min || !p->cond.time.days ||
		     p->cond.time.days & ~RBAC_DAYS_ALL))
			return fail(err, errlen, "rbac: role %s: permission %zu: bad time range",
				    d->name, i);
	}
	return 0;
}

int rbac_new(const struct rbac_role_def *defs, size_t n_defs, unsigned int flags,
	     struct rbac **out, char *err, size_t errlen)
{
	struct rbac *r;
	size_t i, j;
	int ret = 0;

	*out = NULL;
	for (i = 0; i < n_defs; i++) {
		ret = def_check(&defs[i], err, errlen);
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!strcmp(defs[i].name, defs[j].name))
				return fail(err, errlen, "rbac: role %s is defined twice",
					    defs[i].name);
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->flags = flags;
	r->roles = calloc(N_DEFAULT + n_defs, sizeof(*r->roles));
	if (!r->roles)
		goto nomem;
	for (i = 0; i < N_DEFAULT; i++) {
		const struct default_role *d = &default_roles[i];
		struct rbac_role *role = &r->roles[r->n_roles++];
		const struct rbac_role_def *o = NULL;

		for (j = 0; j < n_defs; j++)
			if (!strcmp(defs[j].name, d->name))
				o = &defs[j];
		strcpy(role->name, d->name);
		role->level = o && o->level_set ? o->level : d->level;
		ret = o && o->perms_set ? perms_copy(role, o->perms, o->n_perms) :
					  perms_default(role, d);
		if (ret)
			goto nomem;
	}
	for (i = 0; i < n_defs; i++) {
		struct rbac_role *role;

		if (rbac_is_default_role(defs[i].name))
			continue;
		role = &r->roles[r->n_roles++];
		strcpy(role->name, defs[i].name);
		role->level = defs[i].level_set ? defs[i].level : 0;
		ret = perms_copy(role, defs[i].perms, defs[i].n_perms);
		if (ret)
			goto nomem;
	}
	*out = r;
	return 0;
nomem:
	rbac_free(r);
	fail(err, errlen, "rbac: out of memory");
	return -ENOMEM;
}

unsigned int rbac_config_flags(const struct ew_config *cfg)
{
	unsigned int flags = 0;

	if (cfg->rbac.strict)
		flags |= RBAC_STRICT;
	if (cfg->rbac.debug)
		flags |= RBAC_DEBUG;
	if (cfg->rbac.audit_all)
		flags |= RBAC_AUDIT_ALL;
	return flags;
}

int rbac_from_config(const struct ew_config *cfg, struct rbac **out, char *err, size_t errlen)
{
	return rbac_new(cfg->rbac.roles, cfg->rbac.n_roles, rbac_config_flags(cfg), out, err,
			errlen);
}

bool rbac_role_exists(const struct rbac *r, const char *role)
{
	return r && role_find(r, role);
}

int rbac_role_level(const struct rbac *r, const char *role)
{
	const struct rbac_role *x = r ? role_find(r, role) : NULL;

	return x ? x->level : -ENOENT;
}

unsigned int rbac_flags(const struct rbac *r)
{
	return r ? r->flags : 0;
}

/* ---- the check ---- */

static __thread char why_buf[256];

static const char *why_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *why_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	return why_buf;
}

/* The request's source as a host CIDR; an IPv4 client of a dual-stack socket counts as IPv4. */
static bool src_host(const struct sockaddr *sa, struct ew_cidr *h)
{
	memset(h, 0, sizeof(*h));
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		h->family = 4;
		h->plen = 32;
		memcpy(h->addr, &s4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			h->family = 4;
			h->plen = 32;
			memcpy(h->addr, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			h->family = 6;
			h->plen = 128;
			memcpy(h->addr, &s6->sin6_addr, 16);
		}
		return true;
	}
	return false;
}

static void time_text(const struct rbac_time *t, char *buf, size_t len)
{
	static const char *const d3[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	int32_t off = t->tz_off_s < 0 ? -t->tz_off_s : t->tz_off_s;
	const char *sep = " ";
	FILE *f;
	int i;

	f = fmemopen(buf, len, "w");
	if (!f) {
		snprintf(buf, len, "(time range)");
		return;
	}
	fprintf(f, "%02u:%02u-%02u:%02u", t->start_min / 60, t->start_min % 60, t->end_min / 60,
		t->end_min % 60);
	for (i = 0; t->days != RBAC_DAYS_ALL && i < 7; i++) {
		if (!(t->days & (1u << i)))
			continue;
		fprintf(f, "%s%s", sep, d3[i]);
		sep = ",";
	}
	if (t->tz_off_s)
		fprintf(f, " UTC%c%02d:%02d", t->tz_off_s < 0 ? '-' : '+', off / 3600,
			off / 60 % 60);
	else
		fprintf(f, " UTC");
	fclose(f);
}

/* The guide's check_conditions: all present conditions hold, or why the first one fails. */
static bool cond_ok(const struct rbac_cond *c, const struct rbac_ctx *ctx, const char **why)
{
	char q[EW_QUOTE_LEN], t[96];
	struct ew_cidr host;
	size_t i, j;

	if (c->has_time && !rbac_time_match(&c->time, ctx->now)) {
		time_text(&c->time, t, sizeof(t));
		*why = why_set("outside the permitted time range %s", t);
		return false;
	}
	if (c->n_ip) {
		if (!src_host(ctx->src, &host)) {
			*why = why_set("the request has no source address for the ip_range "
				       "condition");
			return false;
		}
		for (i = 0; i < c->n_ip; i++)
			if (ew_cidr_contains(&c->ip[i], &host))
				break;
		if (i == c->n_ip) {
			ew_addr_format(host.family, host.addr, t, sizeof(t));
			*why = why_set("source %s is outside the permitted ip_range", t);
			return false;
		}
	}
	if (c->n_loc) {
		if (!ctx->location) {
			*why = why_set("the request has no location for the location condition");
			return false;
		}
		for (i = 0; i < c->n_loc; i++)
			if (!strcmp(c->loc[i], ctx->location))
				break;
		if (i == c->n_loc) {
			*why = why_set("location %s is not permitted",
				       ew_quote(ctx->location, q, sizeof(q)));
			return false;
		}
	}
	for (i = 0; i < c->n_attr; i++) {
		for (j = 0; j < ctx->n_attrs; j++)
			if (ctx->attrs[j].key && !strcmp(ctx->attrs[j].key, c->attr[i].key))
				break;
		if (j == ctx->n_attrs || !ctx->attrs[j].value ||
		    strcmp(ctx->attrs[j].value, c->attr[i].value)) {
			*why = why_set("condition %s is not met", ew_quote(c->attr[i].key, q,
									    sizeof(q)));
			return false;
		}
	}
	return true;
}

static bool decide(const struct rbac *r, const char *role, const char *resource,
		   const char *action, const struct rbac_ctx *ctx, const char **why)
{
	struct rbac_ctx now_only = { .now = time(NULL) };
	const struct rbac_role *me;
	char q[EW_QUOTE_LEN], cond_why[sizeof(why_buf)] = "";
	int res, act;
	size_t i, j;

	if (!ctx)
		ctx = &now_only;
	res = rbac_res_parse(resource);
	act = rbac_act_parse(action);
	if (res < 0) {
		*why = why_set("unknown resource %s", ew_quote(resource ? resource : "", q,
								sizeof(q)));
		return false;
	}
	if (act < 0 || act == RBAC_ACT_ALL) {
		*why = why_set("unknown action %s", ew_quote(action ? action : "", q, sizeof(q)));
		return false;
	}
	if (!(res_acts[res] & (unsigned int)act)) {
		*why = why_set("resource %s has no action %s", res_names[res], action);
		return false;
	}
	if (!r) {
		*why = why_set("no role table");
		return false;
	}
	me = role_find(r, role);
	if (!me) {
		ew_quote(role ? role : "", q, sizeof(q));
		if (r->flags & RBAC_STRICT) {
			*why = why_set("unknown role %s (strict mode)", q);
			return false;
		}
		if ((res == RBAC_RES_SELF && (act & (RBAC_READ | RBAC_UPDATE))) ||
		    (res == RBAC_RES_HEALTH && act == RBAC_READ)) {
			*why = why_set("unknown role %s keeps %s:%s outside strict mode", q,
				       res_names[res], action);
			return true;
		}
		*why = why_set("unknown role %s has only self and health", q);
		return false;
	}
	/* The role's own grants first, so that the reason names the nearest source. */
	for (i = 0; i <= r->n_roles; i++) {
		const struct rbac_role *from = i ? &r->roles[i - 1] : me;

		if (i && (from == me || from->level >= me->level))
			continue;
		for (j = 0; j < from->n_perms; j++) {
			const struct rbac_perm *p = &from->perms[j];
			const char *w = NULL;

			if ((p->res != RBAC_RES_ALL && p->res != res) ||
			    !(p->acts & (unsigned int)act))
				continue;
			if (!cond_ok(&p->cond, ctx, &w)) {
				/* Copied: the next why_set reuses the buffer. */
				if (!cond_why[0])
					snprintf(cond_why, sizeof(cond_why), "%s", w);
				continue;
			}
			if (from == me)
				*why = why_set("granted to role %s", me->name);
			else
				*why = why_set("granted to role %s, inherited from %s (level %d)",
					       me->name, from->name, from->level);
			return true;
		}
	}
	if (cond_why[0])
		*why = why_set("role %s: %s", me->name, cond_why);
	else
		*why = why_set("role %s has no permission %s:%s", me->name, res_names[res],
			       action);
	return false;
}

bool rbac_check(const struct rbac *r, const char *role, const char *resource, const char *action,
		const struct rbac_ctx *ctx, const char **why)
{
	char q[EW_QUOTE_LEN], q2[EW_QUOTE_LEN], q3[EW_QUOTE_LEN];
	const char *w = NULL;
	bool ok;

	ok = decide(r, role, resource, action, ctx, &w);
	if (r && (r->flags & RBAC_DEBUG))
		log_info("rbac: %s role %s %s:%s: %s", ok ? "allow" : "deny",
			 ew_quote(role ? role : "", q, sizeof(q)),
			 ew_quote(resource ? resource : "", q2, sizeof(q2)),
			 ew_quote(action ? action : "", q3, sizeof(q3)), w);
	if (why)
		*why = w;
	return ok;
}
