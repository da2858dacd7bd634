// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guide's risk score in memory; the rules and the bounds are in risk.h.
 *
 * Users live in a balanced tree (glibc tsearch, a red-black tree) keyed by
 * name: user names come from failed logins, so they are chosen by
 * attackers, and a tree has no worst case for them to aim at, unlike an
 * unkeyed hash table. A doubly linked list in observation order picks the
 * user to evict.
 */
#include <arpa/inet.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "risk.h"

struct risk_ip {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];
	int64_t last_ok;	/* latest event with result "success" from here, Unix s */
};

struct risk_user {
	char *name;
	struct risk_user *newer, *older;	/* observation order */
	int64_t fail[RISK_FAIL_KEEP];		/* the latest failure times, unordered */
	unsigned int nfail;
	struct risk_ip *ips;
	unsigned int nips, capips;
};

struct risk_ctx {
	void *root;			/* tsearch tree of struct risk_user */
	size_t n;
	struct risk_user *newest, *oldest;
};

/* A parsed address, or family 0: NULL or not an address (matches nothing, as SQL NULL). */
struct addr {
	uint8_t family;
	uint8_t a[16];
};

static void addr_parse(const char *s, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	if (inet_pton(AF_INET, s, out->a) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, s, out->a) == 1)
		out->family = 6;
}

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct risk_user *)a)->name, ((const struct risk_user *)b)->name);
}

/*
 * The key for a user name: itself, or "sha256:HEX" when longer than
 * RISK_NAME_MAX, so that a megabyte-long name from a failed login costs 72
 * bytes. buf holds at least RISK_NAME_MAX + 1 bytes.
 */
static const char *user_key(const char *user, char *buf)
{
	unsigned char md[32];
	unsigned int n = 0, i;

	if (strlen(user) <= RISK_NAME_MAX)
		return user;
	if (!EVP_Digest(user, strlen(user), md, &n, EVP_sha256(), NULL))
		n = 0;
	memcpy(buf, "sha256:", 8);
	for (i = 0; i < n; i++)
		snprintf(buf + 7 + 2 * i, 3, "%02x", md[i]);
	return buf;
}

static struct risk_user *user_find(const struct risk_ctx *rc, const char *user)
{
	char buf[RISK_NAME_MAX + 1];
	struct risk_user key = { .name = (char *)user_key(user, buf) };
	void *hit = tfind(&key, &rc->root, user_cmp);

	return hit ? *(struct risk_user **)hit : NULL;
}

static void lru_unlink(struct risk_ctx *rc, struct risk_user *u)
{
	if (u->newer)
		u->newer->older = u->older;
	else
		rc->newest = u->older;
	if (u->older)
		u->older->newer = u->newer;
	else
		rc->oldest = u->newer;
	u->newer = u->older = NULL;
}

static void lru_push(struct risk_ctx *rc, struct risk_user *u)
{
	u->older = rc->newest;
	u->newer = NULL;
	if (rc->newest)
		rc->newest->newer = u;
	rc->newest = u;
	if (!rc->oldest)
		rc->oldest = u;
}

static void user_drop(struct risk_ctx *rc, struct risk_user *u)
{
	lru_unlink(rc, u);
	tdelete(u, &rc->root, user_cmp);
	rc->n--;
	free(u->ips);
	free(u->name);
	free(u);
}

static struct risk_user *user_get(struct risk_ctx *rc, const char *user)
{
	char buf[RISK_NAME_MAX + 1];
	struct risk_user *u = user_find(rc, user);
	void *slot;

	if (u) {
		lru_unlink(rc, u);
		lru_push(rc, u);
		return u;
	}
	if (rc->n >= RISK_MAX_USERS && rc->oldest)
		user_drop(rc, rc->oldest);
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->name = strdup(user_key(user, buf));
	if (!u->name)
		goto fail;
	slot = tsearch(u, &rc->root, user_cmp);
	if (!slot)
		goto fail;
	rc->n++;
	lru_push(rc, u);
	return u;
fail:
	free(u->name);
	free(u);
	return NULL;
}

int risk_base(const char *event_type)
{
	static const struct {
		const char *type;
		int score;
	} base[] = {
		{ "failed_login", 20 },		 { "admin_action", 30 },
		{ "data_export", 40 },		 { "permission_escalation", 50 },
		{ "suspicious_activity", 60 },
	};
	size_t i;

	for (i = 0; event_type && i < sizeof(base) / sizeof(base[0]); i++)
		if (!strcmp(event_type, base[i].type))
			return base[i].score;
	return 10;
}

int risk_score(struct risk_ctx *rc, const char *event_type, const char *user, const char *ip,
	       bool privileged, int64_t now_s)
{
	struct risk_user *u = user ? user_find(rc, user) : NULL;
	bool new_location = true;
	int score = risk_base(event_type);
	unsigned int i, failures = 0;
	struct addr a;

	if (u) {
		for (i = 0; i < u->nfail; i++)
			if (u->fail[i] > now_s - RISK_FAIL_WINDOW_S)
				failures++;
		addr_parse(ip, &a);
		for (i = 0; a.family && i < u->nips; i++)
			if (u->ips[i].family == a.family &&
			    !memcmp(u->ips[i].addr, a.a, sizeof(a.a)) &&
			    u->ips[i].last_ok > now_s - RISK_LOC_WINDOW_S)
				new_location = false;
	}
	score += 15 * (int)failures;
	if (new_location)
		score += 25;
	if (privileged && user)
		score += 20;
	return score < RISK_CAP ? score : RISK_CAP;
}

static void fail_add(struct risk_user *u, int64_t t)
{
	unsigned int i, min = 0;

	if (u->nfail < RISK_FAIL_KEEP) {
		u->fail[u->nfail++] = t;
		return;
	}
	/* Keep the latest ones: they are the ones a window ending now can hold. */
	for (i = 1; i < u->nfail; i++)
		if (u->fail[i] < u->fail[min])
			min = i;
	if (t > u->fail[min])
		u->fail[min] = t;
}

static void ok_add(struct risk_user *u, const struct addr *a, int64_t t)
{
	unsigned int i, min = 0;

	for (i = 0; i < u->nips; i++)
		if (u->ips[i].family == a->family && !memcmp(u->ips[i].addr, a->a, sizeof(a->a))) {
			if (t > u->ips[i].last_ok)
				u->ips[i].last_ok = t;
			return;
		}
	if (u->nips == u->capips && u->capips < RISK_IPS_PER_USER) {
		unsigned int cap = u->capips ? u->capips * 2 : 2;
		struct risk_ip *n;

		if (cap > RISK_IPS_PER_USER)
			cap = RISK_IPS_PER_USER;
		n = realloc(u->ips, cap * sizeof(*n));
		if (n) {
			u->ips = n;
			u->capips = cap;
		}
	}
	if (u->nips < u->capips) {
		i = u->nips++;
	} else {
		if (!u->nips)
			return;	/* out of memory */
		for (i = 1; i < u->nips; i++)
			if (u->ips[i].last_ok < u->ips[min].last_ok)
				min = i;
		if (t <= u->ips[min].last_ok)
			return;
		i = min;
	}
	u->ips[i].family = a->family;
	memcpy(u->ips[i].addr, a->a, sizeof(a->a));
	u->ips[i].last_ok = t;
}

void risk_observe(struct risk_ctx *rc, const char *event_type, const char *user, const char *ip,
		  const char *result, int64_t now_s)
{
	bool failure = event_type && strstr(event_type, "failed");
	bool success = result && !strcmp(result, "success");
	struct risk_user *u;
	struct addr a;

	if (!user)
		return;
	addr_parse(ip, &a);
	if (!a.family)
		success = false;	/* a NULL address never makes a location known */
	if (!failure && !success)
		return;
	u = user_get(rc, user);
	if (!u)
		return;	/* out of memory: the next score over-estimates the location */
	if (failure)
		fail_add(u, now_s);
	if (success)
		ok_add(u, &a, now_s);
}

size_t risk_prune(struct risk_ctx *rc, int64_t now_s)
{
	struct risk_user *u, *next;
	size_t dropped = 0;
	unsigned int i, k;

	for (u = rc->oldest; u; u = next) {
		next = u->newer;
		for (i = k = 0; i < u->nfail; i++)
			if (u->fail[i] > now_s - RISK_FAIL_WINDOW_S)
				u->fail[k++] = u->fail[i];
		u->nfail = k;
		for (i = k = 0; i < u->nips; i++)
			if (u->ips[i].last_ok > now_s - RISK_LOC_WINDOW_S)
				u->ips[k++] = u->ips[i];
		u->nips = k;
		if (!u->nfail && !u->nips) {
			user_drop(rc, u);
			dropped++;
		}
	}
	return dropped;
}

size_t risk_users(const struct risk_ctx *rc)
{
	return rc ? rc->n : 0;
}

struct risk_ctx *risk_new(void)
{
	return calloc(1, sizeof(struct risk_ctx));
}

static void no_free(void *p)
{
	(void)p;
}

void risk_free(struct risk_ctx *rc)
{
	struct risk_user *u, *next;

	if (!rc)
		return;
	for (u = rc->oldest; u; u = next) {
		next = u->newer;
		free(u->ips);
		free(u->name);
		free(u);
	}
	tdestroy(rc->root, no_free);
	free(rc);
}
