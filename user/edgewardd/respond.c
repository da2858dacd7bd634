// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine: rules over sliding windows, the actions they fire,
 * the escalation ladder and the set of addresses never blocked; see
 * respond.h for the semantics and the memory bounds.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "journal.h"
#include "log.h"
#include "ops.h"
#include "respond.h"

/* ---- names ---- */

static const char *const ev_names[RESPOND_EV_COUNT] = {
	[RESPOND_EV_FAILED_LOGIN] = "failed_login",
	[RESPOND_EV_INVALID_USER] = "invalid_user",
	[RESPOND_EV_PREAUTH] = "preauth_disconnect",
	[RESPOND_EV_LOGIN_SUCCESS] = "login_success",
	[RESPOND_EV_DATA_EXPORT] = "data_export",
	[RESPOND_EV_DROPS] = "drops",
};

static const char *const act_names[RESPOND_ACT_COUNT] = {
	[RESPOND_ACT_BLOCK_IP] = "block_ip",
	[RESPOND_ACT_NOTIFY_ADMIN] = "notify_admin",
	[RESPOND_ACT_NOTIFY_SECURITY_TEAM] = "notify_security_team",
	[RESPOND_ACT_NOTIFY_DPO] = "notify_data_protection_officer",
	[RESPOND_ACT_REQUIRE_MFA] = "require_mfa",
	[RESPOND_ACT_REQUIRE_ADDITIONAL_AUTH] = "require_additional_auth",
	[RESPOND_ACT_LOG_EXTENDED] = "log_extended",
	[RESPOND_ACT_REQUIRE_APPROVAL] = "require_approval",
	[RESPOND_ACT_QUARANTINE_EXPORT] = "quarantine_export",
};

const char *respond_ev_name(int type)
{
	return type >= 0 && type < RESPOND_EV_COUNT ? ev_names[type] : "unknown";
}

int respond_ev_parse(const char *s)
{
	for (int i = 0; s && i < RESPOND_EV_COUNT; i++)
		if (!strcmp(s, ev_names[i]))
			return i;
	return -EINVAL;
}

const char *respond_action_name(int a)
{
	return a >= 0 && a < RESPOND_ACT_COUNT ? act_names[a] : "unknown";
}

int respond_action_parse(const char *s)
{
	for (int i = 0; s && i < RESPOND_ACT_COUNT; i++)
		if (!strcmp(s, act_names[i]))
			return i;
	return -EINVAL;
}

const char *respond_per_name(int per)
{
	static const char *const names[] = { "source", "user", "all" };

	return per >= 0 && per <= RESPOND_PER_ALL ? names[per] : "unknown";
}

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

/* ---- configuration ---- */

void respond_conf_defaults(struct respond_conf *c)
{
	static const uint64_t steps[] = { 3600, 6 * 3600, 86400, 7 * 86400 };
	struct respond_rule *r;

	memset(c, 0, sizeof(*c));
	r = &c->rules[c->n_rules++];
	snprintf(r->name, sizeof(r->name), "Multiple Failed Logins");
	r->enabled = true;
	/* On a server without password logins an unknown user never gets a "Failed" line. */
	r->events = 1u << RESPOND_EV_FAILED_LOGIN | 1u << RESPOND_EV_INVALID_USER;
	r->count = 5;
	r->window_ms = 5 * 60 * 1000;
	r->per = RESPOND_PER_SOURCE;
	r->actions[r->n_actions++] = RESPOND_ACT_BLOCK_IP;
	r->actions[r->n_actions++] = RESPOND_ACT_NOTIFY_ADMIN;
	r->actions[r->n_actions++] = RESPOND_ACT_REQUIRE_MFA;
	r->block_s = 3600;

	r = &c->rules[c->n_rules++];
	snprintf(r->name, sizeof(r->name), "Admin Access After Hours");
	r->enabled = true;
	r->events = 1u << RESPOND_EV_LOGIN_SUCCESS;
	r->count = 1;
	r->per = RESPOND_PER_SOURCE;
	snprintf(r->role, sizeof(r->role), "admin");
	r->has_time = true;
	r->time = (struct rbac_time){ .start_min = 22 * 60, .end_min = 6 * 60,
				      .days = RBAC_DAYS_ALL, .tz_off_s = 0 };
	r->actions[r->n_actions++] = RESPOND_ACT_NOTIFY_SECURITY_TEAM;
	r->actions[r->n_actions++] = RESPOND_ACT_REQUIRE_ADDITIONAL_AUTH;
	r->actions[r->n_actions++] = RESPOND_ACT_LOG_EXTENDED;

	r = &c->rules[c->n_rules++];
	snprintf(r->name, sizeof(r->name), "Data Export Large Volume");
	r->enabled = true;
	r->events = 1u << RESPOND_EV_DATA_EXPORT;
	r->count = 1;
	r->per = RESPOND_PER_USER;
	r->bytes_over = 1ULL << 30;
	r->actions[r->n_actions++] = RESPOND_ACT_REQUIRE_APPROVAL;
	r->actions[r->n_actions++] = RESPOND_ACT_NOTIFY_DPO;
	r->actions[r->n_actions++] = RESPOND_ACT_QUARANTINE_EXPORT;

	memcpy(c->escalation_s, steps, sizeof(steps));
	c->n_escalation = sizeof(steps) / sizeof(steps[0]);
	c->escalation_reset_s = 30 * 86400;
	c->max_keys = 16384;
	c->max_offenders = 65536;
	c->log_extended_s = 3600;
	c->burst_threshold = 5;
	c->burst_window_ms = 5 * 60 * 1000;
}

int respond_size_parse(const char *s, uint64_t *out, char *err, size_t errlen)
{
	static const struct {
		const char *unit;
		unsigned int shift;
	} units[] = {
		{ "b", 0 },   { "bytes", 0 }, { "kb", 10 },	{ "mb", 20 },  { "gb", 30 },
		{ "tb", 40 }, { "pb", 50 },   { "kib", 10 }, { "mib", 20 }, { "gib", 30 },
		{ "tib", 40 }, { "pib", 50 },
	};
	char q[EW_QUOTE_LEN];
	const char *p = s;
	uint64_t v = 0;
	size_t i, nd = 0;

	if (!s)
		return fail(err, errlen, "empty size");
	if (p[0] == '>' && p[1] == ' ')
		p += 2;
	for (; p[nd] >= '0' && p[nd] <= '9'; nd++) {
		if (v > (UINT64_MAX - 9) / 10)
			return fail(err, errlen, "%s: too large", ew_quote(s, q, sizeof(q)));
		v = v * 10 + (uint64_t)(p[nd] - '0');
	}
	if (!nd || (nd > 1 && p[0] == '0'))
		return fail(err, errlen, "%s: expected a size like 1GB, 500MB or 1073741824B",
			    ew_quote(s, q, sizeof(q)));
	p += nd;
	if (*p == ' ')
		p++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(p, units[i].unit))
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return fail(err, errlen, "%s: too large", ew_quote(s, q, sizeof(q)));
		*out = v << units[i].shift;
		return 0;
	}
	return fail(err, errlen, "%s: unknown unit (B, kB, MB, GB, TB, PB: powers of 1024 as "
		    "PostgreSQL's pg_size_bytes)", ew_quote(s, q, sizeof(q)));
}

static bool has_action(const struct respond_rule *r, int a)
{
	for (size_t i = 0; i < r->n_actions; i++)
		if (r->actions[i] == a)
			return true;
	return false;
}

int respond_rule_check(const struct respond_rule *r, char *err, size_t errlen)
{
	size_t i, j;

	if (!r->name[0] || !ops_printable(r->name))
		return fail(err, errlen, "a rule needs a name of printable UTF-8");
	if (!r->events || r->events >> RESPOND_EV_COUNT)
		return fail(err, errlen, "rule \"%s\": no event type to count", r->name);
	if (r->count < 1 || r->count > RESPOND_MAX_COUNT)
		return fail(err, errlen, "rule \"%s\": count %u out of range 1..%u", r->name,
			    r->count, RESPOND_MAX_COUNT);
	if (r->count > 1 && (r->window_ms < 1000 || r->window_ms > RESPOND_MAX_WINDOW_S * 1000ULL))
		return fail(err, errlen, "rule \"%s\": count %u needs a window of 1s..7d", r->name,
			    r->count);
	if (r->count == 1 && r->window_ms)
		return fail(err, errlen, "rule \"%s\": a window needs a count above 1 (count 1 "
			    "fires on every event)", r->name);
	if (r->per > RESPOND_PER_ALL)
		return fail(err, errlen, "rule \"%s\": bad per", r->name);
	if (r->role[0] && !rbac_role_name_ok(r->role))
		return fail(err, errlen, "rule \"%s\": bad role name", r->name);
	if (r->n_users > RESPOND_MAX_USERS)
		return fail(err, errlen, "rule \"%s\": more than %d users", r->name,
			    RESPOND_MAX_USERS);
	if (r->has_time && (r->time.start_min >= 1440 || r->time.end_min > 1440 ||
			    r->time.start_min == r->time.end_min || !r->time.days))
		return fail(err, errlen, "rule \"%s\": bad time range", r->name);
	if (r->bytes_over && r->events != 1u << RESPOND_EV_DATA_EXPORT)
		return fail(err, errlen, "rule \"%s\": bytes_over applies to data_export events "
			    "only", r->name);
	if (!r->n_actions || r->n_actions > RESPOND_MAX_ACTIONS)
		return fail(err, errlen, "rule \"%s\": no actions", r->name);
	for (i = 0; i < r->n_actions; i++) {
		if (r->actions[i] >= RESPOND_ACT_COUNT)
			return fail(err, errlen, "rule \"%s\": unknown action", r->name);
		for (j = 0; j < i; j++)
			if (r->actions[j] == r->actions[i])
				return fail(err, errlen, "rule \"%s\": action %s listed twice",
					    r->name, act_names[r->actions[i]]);
	}
	if (has_action(r, RESPOND_ACT_BLOCK_IP)) {
		if (r->per == RESPOND_PER_ALL)
			return fail(err, errlen, "rule \"%s\": block_ip needs per: source or per: "
				    "user (with per: all one source would pay for everyone's "
				    "events)", r->name);
		if (r->block_s < 1 || r->block_s > RESPOND_MAX_BLOCK_S)
			return fail(err, errlen, "rule \"%s\": block_for out of range 1s..365d",
				    r->name);
	} else if (r->block_s) {
		return fail(err, errlen, "rule \"%s\": block_for without block_ip", r->name);
	}
	return 0;
}

static int conf_check(const struct respond_conf *c, char *err, size_t errlen)
{
	size_t i, j;
	int r;

	if (c->n_rules > RESPOND_MAX_RULES || c->n_escalation > RESPOND_MAX_STEPS ||
	    c->n_never_block > RESPOND_MAX_NEVER)
		return fail(err, errlen,
			    "too many rules, escalation steps or never_block networks");
	for (i = 0; i < c->n_rules; i++) {
		r = respond_rule_check(&c->rules[i], err, errlen);
		if (r)
			return r;
		for (j = 0; j < i; j++)
			if (!strcmp(c->rules[i].name, c->rules[j].name))
				return fail(err, errlen, "rule name \"%s\" used twice",
					    c->rules[i].name);
	}
	for (i = 0; i < c->n_escalation; i++)
		if (!c->escalation_s[i] || c->escalation_s[i] > RESPOND_MAX_BLOCK_S ||
		    (i && c->escalation_s[i] < c->escalation_s[i - 1]))
			return fail(err, errlen, "escalation steps must be 1s..365d and never "
				    "shorter than the step before");
	if (c->max_keys < 1 || c->max_offenders < 1)
		return fail(err, errlen, "max_keys and max_offenders must be at least 1");
	if (c->burst_threshold && (c->burst_threshold >= RESPOND_MAX_COUNT ||
				   c->burst_window_ms < 1000 ||
				   c->burst_window_ms > RESPOND_MAX_WINDOW_S * 1000ULL))
		return fail(err, errlen, "failed-login burst: threshold below %u and a window of "
			    "1s..7d", RESPOND_MAX_COUNT);
	return 0;
}

/* ---- SipHash-2-4 ---- */

/*
 * Keys are attacker-chosen (addresses, user names): a keyed hash keeps the
 * chains short. Written out because a per-call EVP_MAC context would cost
 * more than the rest of an event's work.
 */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                            \
	do {                                                                \
		v0 += v1;                                                   \
		v1 = ROTL(v1, 13);                                          \
		v1 ^= v0;                                                   \
		v0 = ROTL(v0, 32);                                          \
		v2 += v3;                                                   \
		v3 = ROTL(v3, 16);                                          \
		v3 ^= v2;                                                   \
		v0 += v3;                                                   \
		v3 = ROTL(v3, 21);                                          \
		v3 ^= v0;                                                   \
		v2 += v1;                                                   \
		v1 = ROTL(v1, 17);                                          \
		v1 ^= v2;                                                   \
		v2 = ROTL(v2, 32);                                          \
	} while (0)

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint64_t siphash(const uint8_t key[16], const void *data, size_t len)
{
	uint64_t k0 = le64_at(key), k1 = le64_at(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	const uint8_t *p = data;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, full = len & ~(size_t)7;

	for (i = 0; i < full; i += 8) {
		m = le64_at(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- a bounded hash table with least-recently-used eviction ---- */

struct ent {
	struct ent *hnext;		/* bucket chain */
	struct ent *older, *newer;	/* use order */
	uint64_t hash;
	uint16_t klen;
	uint64_t val[];			/* vsize bytes, then the key's klen bytes */
};

struct tab {
	struct ent **b;
	size_t nb;			/* buckets, a power of two */
	size_t n, max;
	size_t vsize;			/* a multiple of 8 */
	struct ent *oldest, *newest;
	const uint8_t *sipkey;
	uint64_t *evicted;
};

static unsigned char *ent_key(const struct tab *t, struct ent *e)
{
	return (unsigned char *)e->val + t->vsize;
}

/*
 * The buckets are allocated for max entries at once (8 bytes each): growing
 * would rehash everything inside some unlucky event's block latency.
 */
static int tab_init(struct tab *t, size_t max, size_t vsize, const uint8_t *sipkey,
		    uint64_t *evicted)
{
	memset(t, 0, sizeof(*t));
	t->nb = 16;
	while (t->nb < max)
		t->nb *= 2;
	t->b = calloc(t->nb, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->max = max;
	t->vsize = (vsize + 7) & ~(size_t)7;
	t->sipkey = sipkey;
	t->evicted = evicted;
	return 0;
}

static void lru_unlink(struct tab *t, struct ent *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	e->older = e->newer = NULL;
}

static void lru_push(struct tab *t, struct ent *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

static void tab_del(struct tab *t, struct ent *e)
{
	struct ent **pp = &t->b[e->hash & (t->nb - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(t, e);
	t->n--;
	free(e);
}

static void tab_clear(struct tab *t)
{
	struct ent *e, *next;

	for (e = t->oldest; e; e = next) {
		next = e->newer;
		free(e);
	}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/*
 * The entry for key, made the most recently used; with create, a new
 * zeroed one when absent (evicting the least recently used when full).
 * NULL when absent (or out of memory).
 */
static struct ent *tab_get(struct tab *t, const void *key, size_t klen, bool create,
			   bool *created)
{
	uint64_t h = siphash(t->sipkey, key, klen);
	struct ent *e;

	if (created)
		*created = false;
	for (e = t->b[h & (t->nb - 1)]; e; e = e->hnext)
		if (e->hash == h && e->klen == klen && !memcmp(ent_key(t, e), key, klen))
			break;
	if (e) {
		lru_unlink(t, e);
		lru_push(t, e);
		return e;
	}
	if (!create)
		return NULL;
	if (t->n >= t->max && t->oldest) {
		tab_del(t, t->oldest);
		if (t->evicted)
			(*t->evicted)++;
	}
	e = calloc(1, sizeof(*e) + t->vsize + klen);
	if (!e)
		return NULL;
	e->hash = h;
	e->klen = (uint16_t)klen;
	memcpy(ent_key(t, e), key, klen);
	e->hnext = t->b[h & (t->nb - 1)];
	t->b[h & (t->nb - 1)] = e;
	lru_push(t, e);
	t->n++;
	if (created)
		*created = true;
	return e;
}

/* ---- sliding windows ---- */

struct slot {
	uint64_t ts;			/* ms */
	uint64_t w;			/* events at that time */
};

struct win {
	uint64_t sum;			/* of the slots' w */
	uint32_t n;
	uint32_t pad;
	struct slot s[];
};

static void win_shift(struct win *w, uint32_t k)
{
	if (!k)
		return;
	memmove(w->s, w->s + k, (w->n - k) * sizeof(w->s[0]));
	w->n -= k;
}

/*
 * Add weight events at ts; true when the window now holds count or more
 * (and it is emptied). Slots hold the shortest run of latest events that
 * reaches the count, so that the test is exact as long as no slots merge.
 */
static bool win_add(struct win *w, uint32_t cap, uint64_t ts, uint64_t weight, uint32_t count,
		    uint64_t window_ms)
{
	uint32_t k = 0;

	if (w->n && ts < w->s[w->n - 1].ts)
		ts = w->s[w->n - 1].ts;
	while (k < w->n && w->s[k].ts + window_ms <= ts)
		w->sum -= w->s[k++].w;
	win_shift(w, k);
	if (w->n == cap) {
		/* Full: the two oldest become one, at the newer time (errs towards firing). */
		w->s[1].w += w->s[0].w;
		win_shift(w, 1);
	}
	w->s[w->n++] = (struct slot){ .ts = ts, .w = weight };
	w->sum += weight;
	k = 0;
	while (k + 1 < w->n && w->sum - w->s[k].w >= count)
		w->sum -= w->s[k++].w;
	win_shift(w, k);
	if (w->sum < count)
		return false;
	w->n = 0;
	w->sum = 0;
	return true;
}

/* ---- the engine ---- */

enum prot_kind { PROT_CONFIG, PROT_ALLOW, PROT_LOOPBACK, PROT_UNSPEC, PROT_OWN };

static const char *const prot_names[] = {
	[PROT_CONFIG] = "never_block", [PROT_ALLOW] = "the allowlist",
	[PROT_LOOPBACK] = "loopback",   [PROT_UNSPEC] = "the unspecified address",
	[PROT_OWN] = "this server's own address",
};

struct prot {
	struct ew_cidr c;
	uint8_t kind;
};

struct rstate {
	const struct respond_rule *rule;	/* into r->conf */
	uint32_t cap;				/* slots per window */
	struct tab keys;			/* count > 1 only */
};

struct offender {
	uint64_t until_ms;		/* the engine's latest block of this target ends */
	uint32_t strikes;		/* blocks so far */
};

struct mark {
	uint64_t until_ms;
};

struct respond {
	struct respond_conf conf;
	struct respond_ops ops;
	void *arg;
	uint8_t sipkey[16];
	struct rstate rs[RESPOND_MAX_RULES];
	size_t n_rs;
	struct tab offenders;
	struct tab marks;		/* log_extended: 'u' + user or 's' + target */
	struct prot *prot;
	size_t n_prot;
	struct ew_cidr *allow;		/* the last respond_set_allow */
	size_t n_allow;
	struct win *burst;
	uint32_t burst_cap;
	uint64_t burst_quiet_until;
	bool busy;
	struct respond_stats st;
};

static uint64_t now_ms(const struct respond *r)
{
	struct timespec ts;

	if (r->ops.now_ms)
		return r->ops.now_ms(r->arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ::ffff:a.b.c.d/96+N is a.b.c.d/N. */
static void unmap(struct ew_cidr *c)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (c->family != 6 || c->plen < 96 || memcmp(c->addr, pfx, 12))
		return;
	c->family = 4;
	c->plen = (uint8_t)(c->plen - 96);
	memmove(c->addr, c->addr + 12, 4);
	memset(c->addr + 4, 0, 12);
}

/* The host address of source: zone ids dropped, IPv4-mapped as IPv4. */
static int host_parse(const char *source, struct ew_cidr *host)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *pct;

	if (!source)
		return -EINVAL;
	pct = strchr(source, '%');
	if (pct) {
		/* fe80::1%eth0: the zone names a link, the filter sees the address alone. */
		size_t zl = strlen(pct + 1);

		if ((size_t)(pct - source) >= sizeof(buf) || !memchr(source, ':', pct - source) ||
		    !zl || zl >= 16 ||
		    strspn(pct + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_.-") != zl)
			return -EINVAL;
		memcpy(buf, source, (size_t)(pct - source));
		buf[pct - source] = '\0';
		source = buf;
	}
	if (ew_cidr_parse(source, EW_CIDR_ADDR, host, NULL, 0))
		return -EINVAL;
	unmap(host);
	return 0;
}

int respond_target(const char *source, struct ew_cidr *out)
{
	int r = host_parse(source, out);

	if (r)
		return r;
	if (out->family == 6) {
		out->plen = 64;
		ew_cidr_mask(out);
	}
	return 0;
}

static bool overlaps(const struct ew_cidr *a, const struct ew_cidr *b)
{
	return ew_cidr_contains(a, b) || ew_cidr_contains(b, a);
}

static const struct prot *prot_find(const struct respond *r, const struct ew_cidr *c)
{
	for (size_t i = 0; i < r->n_prot; i++)
		if (overlaps(&r->prot[i].c, c))
			return &r->prot[i];
	return NULL;
}

static int prot_add(struct prot **v, size_t *n, size_t *cap, const struct ew_cidr *c, int kind)
{
	struct ew_cidr x = *c;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct prot *p = realloc(*v, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = nc;
	}
	unmap(&x);
	ew_cidr_mask(&x);
	(*v)[*n].c = x;
	(*v)[(*n)++].kind = (uint8_t)kind;
	return 0;
}

/* The protected set: config, allowlist, loopback, unspecified, and every own address. */
static int prot_build(struct respond *r, const struct respond_conf *conf,
		      const struct ew_cidr *allow, size_t n_allow)
{
	static const char *const fixed[][2] = {
		{ "127.0.0.0/8", "l" }, { "::1/128", "l" },
		{ "0.0.0.0/32", "u" },	{ "::/128", "u" },
	};
	struct prot *v = NULL;
	size_t n = 0, cap = 0, i;
	struct ifaddrs *ifa = NULL, *p;
	struct ew_cidr c;
	int rc = 0;

	for (i = 0; !rc && i < conf->n_never_block; i++)
		rc = prot_add(&v, &n, &cap, &conf->never_block[i], PROT_CONFIG);
	for (i = 0; !rc && i < n_allow; i++)
		rc = prot_add(&v, &n, &cap, &allow[i], PROT_ALLOW);
	for (i = 0; !rc && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		ew_cidr_parse(fixed[i][0], 0, &c, NULL, 0);
		rc = prot_add(&v, &n, &cap, &c, fixed[i][1][0] == 'l' ? PROT_LOOPBACK :
								      PROT_UNSPEC);
	}
	if (!rc && getifaddrs(&ifa) == 0) {
		for (p = ifa; !rc && p; p = p->ifa_next) {
			if (!p->ifa_addr)
				continue;
			memset(&c, 0, sizeof(c));
			if (p->ifa_addr->sa_family == AF_INET) {
				c.family = 4;
				c.plen = 32;
				memcpy(c.addr, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, 4);
			} else if (p->ifa_addr->sa_family == AF_INET6) {
				c.family = 6;
				c.plen = 128;
				memcpy(c.addr,
				       &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, 16);
			} else {
				continue;
			}
			rc = prot_add(&v, &n, &cap, &c, PROT_OWN);
		}
		freeifaddrs(ifa);
	} else if (!rc) {
		/* Without them, the other sets still hold; say so, once per rebuild. */
		log_warn("respond: getifaddrs: this server's own addresses are not protected");
	}
	if (rc) {
		free(v);
		return rc;
	}
	free(r->prot);
	r->prot = v;
	r->n_prot = n;
	return 0;
}

static void rules_free(struct respond *r)
{
	for (size_t i = 0; i < r->n_rs; i++)
		if (r->rs[i].keys.b)
			tab_clear(&r->rs[i].keys);
	r->n_rs = 0;
}

static int rules_build(struct respond *r)
{
	for (size_t i = 0; i < r->conf.n_rules; i++) {
		struct rstate *s = &r->rs[i];
		const struct respond_rule *ru = &r->conf.rules[i];

		memset(s, 0, sizeof(*s));
		s->rule = ru;
		r->n_rs = i + 1;
		if (ru->count <= 1)
			continue;
		s->cap = ru->count < RESPOND_RING_MAX ? ru->count : RESPOND_RING_MAX;
		if (tab_init(&s->keys, ru->per == RESPOND_PER_ALL ? 1 : r->conf.max_keys,
			     sizeof(struct win) + s->cap * sizeof(struct slot), r->sipkey,
			     &r->st.evicted))
			return -ENOMEM;
	}
	return 0;
}

static int burst_build(struct respond *r)
{
	free(r->burst);
	r->burst = NULL;
	r->burst_cap = 0;
	if (!r->conf.burst_threshold)
		return 0;
	/* One window for everything: exact, threshold + 1 slots. */
	r->burst_cap = r->conf.burst_threshold + 1;
	r->burst = calloc(1, sizeof(*r->burst) + r->burst_cap * sizeof(struct slot));
	return r->burst ? 0 : -ENOMEM;
}

struct respond *respond_new(const struct respond_conf *conf, const struct respond_ops *ops,
			    void *arg)
{
	char err[256];
	struct respond *r;
	int rc;

	rc = conf_check(conf, err, sizeof(err));
	if (rc) {
		log_warnx("respond: %s", err);
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->conf = *conf;
	r->ops = *ops;
	r->arg = arg;
	if (getrandom(r->sipkey, sizeof(r->sipkey), 0) != (ssize_t)sizeof(r->sipkey)) {
		/* Only the hash's resistance to chosen keys depends on this. */
		log_warn("respond: getrandom");
		for (size_t i = 0; i < sizeof(r->sipkey); i++)
			r->sipkey[i] = (uint8_t)(rand() ^ (int)i);
	}
	rc = tab_init(&r->offenders, conf->max_offenders, sizeof(struct offender), r->sipkey,
		      &r->st.evicted);
	if (!rc)
		rc = tab_init(&r->marks, conf->max_keys, sizeof(struct mark), r->sipkey,
			      &r->st.evicted);
	if (!rc)
		rc = rules_build(r);
	if (!rc)
		rc = burst_build(r);
	if (!rc)
		rc = prot_build(r, &r->conf, NULL, 0);
	if (rc) {
		log_warnx("respond: out of memory");
		respond_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void respond_free(struct respond *r)
{
	if (!r)
		return;
	rules_free(r);
	if (r->offenders.b)
		tab_clear(&r->offenders);
	if (r->marks.b)
		tab_clear(&r->marks);
	free(r->prot);
	free(r->allow);
	free(r->burst);
	free(r);
}

int respond_reconf(struct respond *r, const struct respond_conf *conf, char *err, size_t errlen)
{
	int rc = conf_check(conf, err, errlen);

	if (rc)
		return rc;
	rules_free(r);
	r->conf = *conf;
	rc = rules_build(r);
	if (!rc)
		rc = burst_build(r);
	if (!rc)
		rc = prot_build(r, &r->conf, r->allow, r->n_allow);
	if (rc)
		fail(err, errlen, "out of memory");
	return rc;
}

int respond_set_allow(struct respond *r, const struct ew_cidr *allow, size_t n)
{
	struct ew_cidr *copy = NULL;
	int rc;

	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, allow, n * sizeof(*copy));
	}
	rc = prot_build(r, &r->conf, copy, n);
	if (rc) {
		free(copy);
		return rc;
	}
	free(r->allow);
	r->allow = copy;
	r->n_allow = n;
	return 0;
}

static void prot_why(const struct prot *p, char *why, size_t whylen)
{
	char b[EW_CIDR_STRLEN];

	if (!why || !whylen)
		return;
	ew_cidr_format(&p->c, b, sizeof(b));
	snprintf(why, whylen, "%s is protected (%s)", b, prot_names[p->kind]);
}

/*
 * What to block for host: its /32, or its /64 when that holds nothing
 * protected, else the /128 alone. NULL when even that is protected.
 */
static const struct prot *block_target(const struct respond *r, const struct ew_cidr *host,
				       struct ew_cidr *target)
{
	const struct prot *p;

	*target = *host;
	if (host->family == 6) {
		target->plen = 64;
		ew_cidr_mask(target);
		if (!prot_find(r, target))
			return NULL;
		*target = *host;
	}
	p = prot_find(r, target);
	return p;
}

int respond_protected(struct respond *r, const char *source, struct ew_cidr *target, char *why,
		      size_t whylen)
{
	struct ew_cidr host, t;
	const struct prot *p;

	if (host_parse(source, &host))
		return -EINVAL;
	p = block_target(r, &host, &t);
	if (target)
		*target = t;
	if (!p) {
		if (why && whylen)
			why[0] = '\0';
		return 0;
	}
	prot_why(p, why, whylen);
	return 1;
}

/* ---- audit records ---- */

static json_t *record(const char *type, const char *source, const char *resource,
		      const char *action, const char *result)
{
	json_t *rec = jr_event(type, "edgewardd", source, resource, action, result, 0);

	/* The daemon's audit scores it. */
	if (rec)
		json_object_del(rec, "risk");
	return rec;
}

static void audit(struct respond *r, json_t *rec)
{
	int rc;

	if (!rec) {
		r->st.audit_errors++;
		log_warnx("respond: out of memory for an audit record");
		return;
	}
	rc = r->ops.audit ? r->ops.audit(r->arg, rec) : 0;
	if (rc) {
		r->st.audit_errors++;
		log_warnx("respond: an audit record was not written: %s", strerror(-rc));
	}
	json_decref(rec);
}

static void dur_text(uint64_t s, char *buf, size_t len)
{
	ew_duration_format(s * 1000000000ULL, buf, len);
}

/* What fired, shared by every action's record and alert. */
struct firing {
	const struct respond_rule *rule;
	const struct respond_ev *ev;
	bool has_host;
	struct ew_cidr host;		/* the event's address (/32 or /128) */
	char host_text[INET6_ADDRSTRLEN];
	uint64_t now;
};

static json_t *details(const struct firing *f)
{
	const struct respond_rule *ru = f->rule;
	json_t *d = json_object(), *acts = json_array();
	char w[32];

	for (size_t i = 0; i < ru->n_actions; i++)
		json_array_append_new(acts, json_string(act_names[ru->actions[i]]));
	json_object_set_new(d, "rule", ops_jstr(ru->name));
	json_object_set_new(d, "event", json_string(respond_ev_name(f->ev->type)));
	json_object_set_new(d, "origin", ops_jstr(f->ev->origin ? f->ev->origin : "unknown"));
	json_object_set_new(d, "count", json_integer(ru->count));
	dur_text(ru->window_ms / 1000, w, sizeof(w));
	if (ru->count > 1)
		json_object_set_new(d, "window", json_string(w));
	json_object_set_new(d, "per", json_string(respond_per_name(ru->per)));
	if (f->ev->user)
		json_object_set_new(d, "user", ops_jstr(f->ev->user));
	if (f->ev->type == RESPOND_EV_DATA_EXPORT)
		json_object_set_new(d, "bytes", json_integer((json_int_t)f->ev->bytes));
	json_object_set_new(d, "actions", acts);
	return d;
}

static json_t *action_record(const struct firing *f, int act, const char *resource,
			     const char *result, const char *why)
{
	json_t *rec = record("automated_response", f->has_host ? f->host_text : NULL, resource,
			     act_names[act], result);

	if (rec) {
		json_t *d = details(f);

		if (why)
			json_object_set_new(d, "why", ops_jstr(why));
		json_object_set_new(rec, "details", d);
	}
	return rec;
}

/* ---- actions ---- */

/* "auto: NAME", cut at a character boundary to fit the kernel's reason table. */
static void reason_text(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name), room = len - sizeof("auto: ");

	if (n > room) {
		n = room;
		while (n && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(buf, len, "auto: %.*s", (int)n, name);
}

static void do_block(struct respond *r, const struct firing *f)
{
	const struct respond_rule *ru = f->rule;
	char tt[EW_CIDR_STRLEN], why[160], reason[EW_REASON_TEXT_LEN], d[32];
	struct ew_cidr target;
	const struct prot *p;
	struct offender *o;
	struct ent *e;
	uint64_t ttl_s;
	uint32_t strikes = 0;
	json_t *rec;
	int rc;

	if (!f->has_host) {
		audit(r, action_record(f, RESPOND_ACT_BLOCK_IP, NULL, "skipped",
				       "the event has no source address"));
		return;
	}
	p = block_target(r, &f->host, &target);
	ew_cidr_format(&target, tt, sizeof(tt));
	if (p) {
		r->st.refused++;
		prot_why(p, why, sizeof(why));
		log_info("respond: rule \"%s\" would block %s, but %s", ru->name, tt, why);
		audit(r, action_record(f, RESPOND_ACT_BLOCK_IP, tt, "refused", why));
		return;
	}
	e = tab_get(&r->offenders, &target, sizeof(target), true, NULL);
	o = e ? (struct offender *)e->val : NULL;
	if (o && o->until_ms > f->now) {
		r->st.already_blocked++;
		dur_text((o->until_ms - f->now + 999) / 1000, d, sizeof(d));
		snprintf(why, sizeof(why), "already blocked by the engine for %s more", d);
		audit(r, action_record(f, RESPOND_ACT_BLOCK_IP, tt, "skipped", why));
		return;
	}
	if (o && o->until_ms + r->conf.escalation_reset_s * 1000 > f->now)
		strikes = o->strikes;
	ttl_s = ru->block_s;
	if (r->conf.n_escalation) {
		size_t step = strikes < r->conf.n_escalation ? strikes : r->conf.n_escalation - 1;

		if (r->conf.escalation_s[step] > ttl_s)
			ttl_s = r->conf.escalation_s[step];
	}
	/* Reasons are shared texts in the kernel's table: the rule's name, not the source. */
	reason_text(ru->name, reason, sizeof(reason));
	rc = r->ops.block ? r->ops.block(r->arg, &target, ttl_s, reason) : -ENOTSUP;
	dur_text(ttl_s, d, sizeof(d));
	if (rc == -EEXIST) {
		/* An operator's longer block stays; the offence still counts for the ladder. */
		r->st.already_blocked++;
		if (o) {
			o->strikes = strikes + 1;
			o->until_ms = f->now + ttl_s * 1000;
		}
		audit(r, action_record(f, RESPOND_ACT_BLOCK_IP, tt, "skipped",
				       "a block at least as long is already in place"));
		return;
	}
	if (rc) {
		r->st.block_errors++;
		snprintf(why, sizeof(why), "the block failed: %s", strerror(-rc));
		log_warnx("respond: rule \"%s\": cannot block %s: %s", ru->name, tt, strerror(-rc));
		audit(r, action_record(f, RESPOND_ACT_BLOCK_IP, tt, "failure", why));
		return;
	}
	r->st.blocks++;
	if (o) {
		o->strikes = strikes + 1;
		o->until_ms = f->now + ttl_s * 1000;
	}
	log_info("respond: rule \"%s\" blocked %s for %s (block %u of this source)", ru->name, tt,
		 d, strikes + 1);
	rec = action_record(f, RESPOND_ACT_BLOCK_IP, tt, "success", NULL);
	if (rec) {
		json_t *det = json_object_get(rec, "details");

		json_object_set_new(det, "target", json_string(tt));
		json_object_set_new(det, "ttl_s", json_integer((json_int_t)ttl_s));
		json_object_set_new(det, "strike", json_integer(strikes + 1));
	}
	audit(r, rec);
}

static void do_notify(struct respond *r, const struct firing *f, int act)
{
	const struct respond_rule *ru = f->rule;
	const char *to = act == RESPOND_ACT_NOTIFY_ADMIN	  ? "admin" :
			 act == RESPOND_ACT_NOTIFY_SECURITY_TEAM ? "security_team" :
							   "data_protection_officer";
	char text[512], w[32], uq[EW_QUOTE_LEN];
	int n;

	dur_text(ru->window_ms / 1000, w, sizeof(w));
	n = snprintf(text, sizeof(text), "%s: %s", ru->name, respond_ev_name(f->ev->type));
	if (ru->count > 1)
		n += snprintf(text + n, sizeof(text) - (size_t)n, " x%u in %s", ru->count, w);
	if (f->has_host)
		n += snprintf(text + n, sizeof(text) - (size_t)n, " from %s", f->host_text);
	if (f->ev->user)
		n += snprintf(text + n, sizeof(text) - (size_t)n, " (user %s)",
			      ew_quote(f->ev->user, uq, sizeof(uq)));
	if (f->ev->type == RESPOND_EV_DATA_EXPORT)
		snprintf(text + n, sizeof(text) - (size_t)n, ", %" PRIu64 " bytes", f->ev->bytes);
	if (r->ops.alert) {
		json_t *d = details(f);

		if (f->has_host)
			json_object_set_new(d, "source", json_string(f->host_text));
		r->ops.alert(r->arg, ALERT_HIGH, to, text, d);
		json_decref(d);
	}
	audit(r, action_record(f, act, to, r->ops.alert ? "success" : "unavailable",
			       r->ops.alert ? NULL : "no alert channel"));
}

static void mark_set(struct respond *r, const void *key, size_t klen, uint64_t until)
{
	struct ent *e = tab_get(&r->marks, key, klen, true, NULL);

	if (e)
		((struct mark *)e->val)->until_ms = until;
}

static size_t user_key(const char *user, unsigned char *buf)
{
	size_t n = strnlen(user, RESPOND_USER_MAX);

	buf[0] = 'u';
	memcpy(buf + 1, user, n);
	return n + 1;
}

static size_t src_key(const struct ew_cidr *c, unsigned char *buf)
{
	buf[0] = 's';
	memcpy(buf + 1, c, sizeof(*c));
	return sizeof(*c) + 1;
}

static void do_log_extended(struct respond *r, const struct firing *f)
{
	unsigned char k[RESPOND_USER_MAX + sizeof(struct ew_cidr) + 1];
	uint64_t until = f->now + r->conf.log_extended_s * 1000;
	struct ew_cidr t;
	char why[96], d[32];

	if (f->ev->user)
		mark_set(r, k, user_key(f->ev->user, k), until);
	if (f->has_host) {
		respond_target(f->host_text, &t);
		mark_set(r, k, src_key(&t, k), until);
	}
	dur_text(r->conf.log_extended_s, d, sizeof(d));
	snprintf(why, sizeof(why), "every event of this %s audited for %s",
		 f->ev->user && f->has_host ? "user and source" : f->ev->user ? "user" : "source",
		 d);
	audit(r, action_record(f, RESPOND_ACT_LOG_EXTENDED, f->ev->user, "success", why));
}

static void do_delegated(struct respond *r, const struct firing *f, int act)
{
	int rc = r->ops.act ? r->ops.act(r->arg, (enum respond_action)act, f->ev, f->rule) :
			      -ENOTSUP;
	char why[128];

	if (rc == -ENOTSUP) {
		audit(r, action_record(f, act, f->ev->user, "unavailable",
				       "no handler for this action on this server"));
		return;
	}
	if (rc) {
		snprintf(why, sizeof(why), "%s", strerror(-rc));
		audit(r, action_record(f, act, f->ev->user, "failure", why));
		return;
	}
	audit(r, action_record(f, act, f->ev->user, "success", NULL));
}

static void fire(struct respond *r, const struct firing *f)
{
	const struct respond_rule *ru = f->rule;
	size_t i;

	r->st.fired++;
	/* The kernel block first: the 1 ms budget is for it, not for the journal. */
	if (has_action(ru, RESPOND_ACT_BLOCK_IP))
		do_block(r, f);
	for (i = 0; i < ru->n_actions; i++) {
		int a = ru->actions[i];

		switch (a) {
		case RESPOND_ACT_BLOCK_IP:
			break;
		case RESPOND_ACT_NOTIFY_ADMIN:
		case RESPOND_ACT_NOTIFY_SECURITY_TEAM:
		case RESPOND_ACT_NOTIFY_DPO:
			do_notify(r, f, a);
			break;
		case RESPOND_ACT_LOG_EXTENDED:
			do_log_extended(r, f);
			break;
		default:
			do_delegated(r, f, a);
			break;
		}
	}
}

/* ---- events ---- */

static bool rule_matches(const struct respond_rule *ru, const struct respond_ev *ev, uint64_t ts)
{
	size_t i;

	if (!ru->enabled || !(ru->events & (1u << ev->type)))
		return false;
	if (ru->role[0] && (!ev->role || strcmp(ev->role, ru->role)))
		return false;
	if (ru->n_users) {
		if (!ev->user)
			return false;
		for (i = 0; i < ru->n_users; i++)
			if (!strcmp(ev->user, ru->users[i]))
				break;
		if (i == ru->n_users)
			return false;
	}
	if (ru->has_time && !rbac_time_match(&ru->time, (time_t)(ts / 1000)))
		return false;
	if (ru->bytes_over && !(ev->type == RESPOND_EV_DATA_EXPORT && ev->bytes > ru->bytes_over))
		return false;
	return true;
}

/* The event of a marked user or source, in full. */
static void extended_log(struct respond *r, const struct respond_ev *ev, const char *host_text,
			 const struct ew_cidr *target, uint64_t now)
{
	unsigned char k[RESPOND_USER_MAX + sizeof(struct ew_cidr) + 1];
	struct ent *e = NULL;
	json_t *rec, *d;

	if (ev->user)
		e = tab_get(&r->marks, k, user_key(ev->user, k), false, NULL);
	if ((!e || ((struct mark *)e->val)->until_ms <= now) && target)
		e = tab_get(&r->marks, k, src_key(target, k), false, NULL);
	if (!e || ((struct mark *)e->val)->until_ms <= now)
		return;
	rec = record("extended_log", host_text, ev->user, respond_ev_name(ev->type), "success");
	if (rec) {
		d = json_object_get(rec, "details");
		json_object_set_new(d, "event", json_string(respond_ev_name(ev->type)));
		json_object_set_new(d, "origin", ops_jstr(ev->origin ? ev->origin : "unknown"));
		if (ev->user)
			json_object_set_new(d, "user", ops_jstr(ev->user));
		if (ev->role)
			json_object_set_new(d, "role", ops_jstr(ev->role));
		if (ev->bytes)
			json_object_set_new(d, "bytes", json_integer((json_int_t)ev->bytes));
		if (ev->count > 1)
			json_object_set_new(d, "count", json_integer(ev->count));
	}
	audit(r, rec);
}

static void burst_feed(struct respond *r, const struct respond_ev *ev, const char *host_text,
		       uint64_t ts, uint64_t now, uint64_t weight)
{
	char text[256], w[32];
	json_t *rec, *d;
	uint32_t over = r->conf.burst_threshold;

	if (!r->burst || (ev->type != RESPOND_EV_FAILED_LOGIN &&
			  ev->type != RESPOND_EV_INVALID_USER))
		return;
	if (!win_add(r->burst, r->burst_cap, ts, weight, over + 1, r->conf.burst_window_ms))
		return;
	if (now < r->burst_quiet_until)
		return;
	r->burst_quiet_until = now + r->conf.burst_window_ms;
	r->st.bursts++;
	dur_text(r->conf.burst_window_ms / 1000, w, sizeof(w));
	snprintf(text, sizeof(text), "more than %u failed logins in %s (all sources; the last "
		 "from %s)", over, w, host_text ? host_text : "no address");
	d = json_pack("{s:i, s:s, s:s}", "threshold", (json_int_t)over, "window", w, "last_source",
		      host_text ? host_text : "");
	if (r->ops.alert)
		r->ops.alert(r->arg, ALERT_HIGH, "security_team", text, d);
	rec = record("login_failure_burst", host_text, "authentication", "monitor", "detected");
	if (rec && d)
		json_object_set(rec, "details", d);
	json_decref(d);
	log_info("respond: %s", text);
	audit(r, rec);
}

int respond_event(struct respond *r, const struct respond_ev *ev)
{
	unsigned char k[RESPOND_USER_MAX + sizeof(struct ew_cidr) + 1];
	struct firing f = { .ev = ev };
	struct ew_cidr target;
	uint64_t now, ts, weight;
	size_t klen, i;
	int fired = 0;

	if (r->busy)
		return -EDEADLK;
	if ((unsigned int)ev->type >= RESPOND_EV_COUNT) {
		r->st.rejected++;
		return -EINVAL;
	}
	if (ev->source) {
		if (host_parse(ev->source, &f.host)) {
			r->st.rejected++;
			return -EINVAL;
		}
		f.has_host = true;
		ew_addr_format(f.host.family, f.host.addr, f.host_text, sizeof(f.host_text));
		target = f.host;
		if (target.family == 6) {
			target.plen = 64;
			ew_cidr_mask(&target);
		}
	}
	r->busy = true;
	r->st.events++;
	now = now_ms(r);
	f.now = now;
	ts = ev->ts_ms ? ev->ts_ms : now;
	weight = ev->count ? ev->count : 1;
	if (r->marks.n)
		extended_log(r, ev, f.has_host ? f.host_text : NULL, f.has_host ? &target : NULL,
			     now);
	for (i = 0; i < r->n_rs; i++) {
		struct rstate *s = &r->rs[i];
		const struct respond_rule *ru = s->rule;
		struct ent *e;

		if (!rule_matches(ru, ev, ts))
			continue;
		f.rule = ru;
		if (ru->count > 1) {
			if (ru->per == RESPOND_PER_SOURCE) {
				if (!f.has_host)
					continue;
				klen = src_key(&target, k);
			} else if (ru->per == RESPOND_PER_USER) {
				if (!ev->user)
					continue;
				klen = user_key(ev->user, k);
			} else {
				k[0] = '*';
				klen = 1;
			}
			e = tab_get(&s->keys, k, klen, true, NULL);
			if (!e) {
				log_warnx("respond: out of memory for a window");
				continue;
			}
			if (!win_add((struct win *)e->val, s->cap, ts, weight, ru->count,
				     ru->window_ms))
				continue;
		}
		fired++;
		fire(r, &f);
	}
	burst_feed(r, ev, f.has_host ? f.host_text : NULL, ts, now, weight);
	r->busy = false;
	return fired;
}

/* ---- audit records in, housekeeping, figures ---- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Sources the journal writes that are not addresses ("unix", "local"): no address. */
static const char *addr_or_null(const char *s)
{
	struct ew_cidr c;

	return s && !host_parse(s, &c) ? s : NULL;
}

int respond_audit_record(struct respond *r, const json_t *rec, const char *origin)
{
	const char *type = jstr(rec, "type");
	const json_t *det = json_object_get(rec, "details");
	struct respond_ev ev = { .origin = origin };
	json_t *top, *it;
	size_t i;
	int rc, sum = 0;

	if (!type)
		return 0;
	if (!strcmp(type, "packet_drops")) {
		top = json_object_get(det, "top_sources");
		ev.type = RESPOND_EV_DROPS;
		json_array_foreach(top, i, it) {
			json_int_t n = json_integer_value(json_object_get(it, "events"));

			ev.source = addr_or_null(jstr(it, "source"));
			if (!ev.source || n <= 0)
				continue;
			ev.count = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
			rc = respond_event(r, &ev);
			if (rc < 0)
				return rc;
			sum += rc;
		}
		return sum;
	}
	rc = respond_ev_parse(type);
	if (rc < 0 || rc == RESPOND_EV_DROPS)
		return 0;
	ev.type = (enum respond_ev_type)rc;
	ev.user = jstr(rec, "actor");
	ev.source = addr_or_null(jstr(rec, "source"));
	ev.role = jstr(det, "role");
	if (json_integer_value(json_object_get(det, "bytes")) > 0)
		ev.bytes = (uint64_t)json_integer_value(json_object_get(det, "bytes"));
	return respond_event(r, &ev);
}

void respond_tick(struct respond *r)
{
	uint64_t now = now_ms(r);
	struct ent *e, *next;
	size_t i;

	for (i = 0; i < r->n_rs; i++) {
		struct rstate *s = &r->rs[i];

		if (!s->keys.b)
			continue;
		for (e = s->keys.oldest; e; e = next) {
			struct win *w = (struct win *)e->val;

			next = e->newer;
			if (!w->n || w->s[w->n - 1].ts + s->rule->window_ms <= now)
				tab_del(&s->keys, e);
		}
	}
	for (e = r->offenders.oldest; e; e = next) {
		struct offender *o = (struct offender *)e->val;

		next = e->newer;
		if (o->until_ms + r->conf.escalation_reset_s * 1000 <= now)
			tab_del(&r->offenders, e);
	}
	for (e = r->marks.oldest; e; e = next) {
		next = e->newer;
		if (((struct mark *)e->val)->until_ms <= now)
			tab_del(&r->marks, e);
	}
}

void respond_stats(const struct respond *r, struct respond_stats *out)
{
	*out = r->st;
	out->keys = 0;
	for (size_t i = 0; i < r->n_rs; i++)
		out->keys += r->rs[i].keys.n;
	out->offenders = r->offenders.n;
	out->protected = r->n_prot;
}
