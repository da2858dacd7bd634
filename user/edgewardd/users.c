// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local operator store and its lockout; see users.h for the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fileio.h"
#include "log.h"
#include "password.h"
#include "secrets.h"
#include "totp.h"
#include "users.h"

#define USERS_FILE_VERSION 1
#define USERS_BAD_KEY_HEX 32	/* hex digits of SHA-256 naming a refused spelling */

struct users_lock {
	uint32_t failures;	/* wrong attempts towards the next lockout */
	uint32_t attempts;	/* failed attempts in a row, locked ones too: the delay */
	uint32_t lockouts;	/* lockouts in a row without a success */
	int64_t locked_until;
	bool hard;
};

struct users_rec {
	char name[USERS_NAME_MAX + 1];
	char email[USERS_EMAIL_MAX + 1];
	char first_name[USERS_PERSON_MAX + 1];
	char last_name[USERS_PERSON_MAX + 1];
	char phone[USERS_PHONE_MAX + 1];
	char role[USERS_ROLE_MAX + 1];
	char password[PW_HASH_MAX];
	/* Newest first, history[0] being the current password. */
	char history[USERS_HISTORY_MAX][PW_HASH_MAX];
	unsigned int n_history;
	int64_t pw_changed_at, created_at;
	bool disabled;
	int64_t token_version;
	bool mfa_enabled;
	char *mfa_secret;	/* sealed base32 secret, or NULL */
	char *mfa_pending;	/* sealed, awaiting users_mfa_confirm, or NULL */
	int64_t mfa_last_step;	/* the last accepted TOTP step, -1 for none */
	struct users_lock lock;
};

/* Lockout state of a name no account has; key is the normalised name or "!" + hash. */
struct users_unknown {
	char key[USERS_NAME_MAX + 1];
	struct users_lock lock;
	int64_t last_seen;
};

struct users {
	char *path;
	struct users_policy pol;	/* mfa_roles and totp_issuer point to our copies */
	char **mfa_roles;
	char *issuer;
	const struct sec_keyring *keys;
	struct users_rec **recs;	/* sorted by name */
	size_t n, cap;
	struct users_unknown *unknown;
	size_t n_unknown, cap_unknown;
	char dummy[PW_HASH_MAX];	/* verified instead when there is no usable hash */
	bool dirty;			/* lockout counters not yet written */
};

static const char *const users_default_roles[] = { "admin", "manager", "financial", "employee",
						   "viewer" };
static const char *const users_default_mfa_roles[] = { "admin", "financial" };

void users_policy_default(struct users_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->pw = pw_params_default;
	pol->password = pw_policy_default;
	pol->max_failures = 5;
	pol->lockout_s = 1800;
	pol->hard_lock_after = 3;
	pol->progressive_delay = true;
	pol->delay_step_ms = 250;
	pol->delay_max_ms = 5000;
	pol->mfa_roles = users_default_mfa_roles;
	pol->n_mfa_roles = 2;
	pol->totp_issuer = "edgeward";
	pol->unknown_slots = 4096;
}

const char *users_fail_reason_name(enum users_fail_reason r)
{
	static const char *const names[] = {
		[USERS_FAIL_NONE] = "none",
		[USERS_FAIL_BAD_NAME] = "bad_name",
		[USERS_FAIL_UNKNOWN] = "unknown_user",
		[USERS_FAIL_PASSWORD] = "wrong_password",
		[USERS_FAIL_LOCKED] = "locked",
		[USERS_FAIL_HARD_LOCKED] = "hard_locked",
		[USERS_FAIL_DISABLED] = "disabled",
		[USERS_FAIL_MFA_MISSING] = "mfa_missing",
		[USERS_FAIL_MFA_CODE] = "mfa_code",
		[USERS_FAIL_INTERNAL] = "internal",
	};

	if ((unsigned int)r < sizeof(names) / sizeof(names[0]))
		return names[r];
	return "?";
}

/* ---- names and fields ---- */

static bool users_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int users_name_normalise(const char *in, char out[USERS_NAME_MAX + 1])
{
	size_t len = strnlen(in, 4096), b = 0, e = len, i;
	unsigned char c;

	out[0] = '\0';
	while (b < e && users_ascii_space(in[b]))
		b++;
	while (e > b && users_ascii_space(in[e - 1]))
		e--;
	if (e == b || e - b > USERS_NAME_MAX)
		return -EINVAL;
	for (i = b; i < e; i++) {
		c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		/* Outside ASCII, controls and inner spaces are refused, never mapped. */
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
		out[i - b] = (char)c;
	}
	out[e - b] = '\0';
	if (out[0] == '.' || out[0] == '_' || out[0] == '-') {
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

static int users_refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

static bool users_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* zod's email syntax (the guide's z.string().email()), with RFC length limits. */
int users_check_email(const char *s, const char **why)
{
	const char *at, *p, *label;
	size_t len = strnlen(s, USERS_EMAIL_MAX + 1), n, labels = 0;
	bool alpha_tld;

	if (!len)
		return users_refuse(why, "is required");
	if (len > USERS_EMAIL_MAX)
		return users_refuse(why, "is longer than 255 bytes");
	at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return users_refuse(why, "must have exactly one @");
	n = (size_t)(at - s);
	if (!n || n > 64)
		return users_refuse(why, "needs 1..64 characters before the @");
	for (p = s; p < at; p++)
		if (!users_alnum(*p) && !strchr("_'+-.", *p))
			return users_refuse(why, "has a character not allowed before the @");
	if (s[0] == '.' || at[-1] == '.' || at[-1] == '\'' || strstr(s, ".."))
		return users_refuse(why, "has a misplaced dot or apostrophe");
	for (label = at + 1;; label = p + 1) {
		for (p = label; *p && *p != '.'; p++)
			if (!users_alnum(*p) && *p != '-')
				return users_refuse(why, "has a character not allowed in the domain");
		n = (size_t)(p - label);
		if (!n || n > 63 || label[0] == '-' || p[-1] == '-')
			return users_refuse(why, "has an empty or malformed domain label");
		labels++;
		if (!*p)
			break;
	}
	alpha_tld = n >= 2;
	for (p = label; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			alpha_tld = false;
	if (labels < 2 || !alpha_tld)
		return users_refuse(why, "needs a domain with a top-level name of 2+ letters");
	return 0;
}

/*
 * Letters of any script, with combining accents after them (decomposed
 * spellings), single spaces between words, hyphens and apostrophes (' and
 * U+2019) inside. The guide's regex is ASCII letters only, which would
 * refuse most of the world's names.
 */
int users_check_person_name(const char *s, const char **why)
{
	size_t len = strnlen(s, USERS_PERSON_MAX + 1), i = 0, chars = 0;
	uint32_t cp, prev = 0;

	if (!len)
		return users_refuse(why, "is required");
	if (len > USERS_PERSON_MAX)
		return users_refuse(why, "is longer than 50 characters");
	while (i < len) {
		if (pw_utf8_next(s, len, &i, &cp))
			return users_refuse(why, "is not valid UTF-8");
		if (pw_is_letter(cp)) {
			;
		} else if (cp >= 0x300 && cp <= 0x36f) {
			if (!chars || !(pw_is_letter(prev) || (prev >= 0x300 && prev <= 0x36f)))
				return users_refuse(why, "has an accent without a letter");
		} else if (cp == ' ' || cp == '-' || cp == '\'' || cp == 0x2019) {
			if (!chars || prev == ' ')
				return users_refuse(why, "must start with a letter and not repeat "
							 "spaces");
		} else {
			return users_refuse(why, "may hold only letters, spaces, hyphens and "
						 "apostrophes");
		}
		prev = cp;
		chars++;
	}
	if (chars > USERS_PERSON_CHARS)
		return users_refuse(why, "is longer than 50 characters");
	if (prev == ' ')
		return users_refuse(why, "must not end with a space");
	return 0;
}

/* E.164: "+", a country code not starting with 0, 2..15 digits in all. */
int users_check_phone(const char *s, const char **why)
{
	size_t n = strnlen(s, USERS_PHONE_MAX + 2), i;

	if (n < 3 || n > USERS_PHONE_MAX || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return users_refuse(why, "must be E.164: + and 2..15 digits, e.g. +14155550123");
	for (i = 2; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return users_refuse(why, "must be E.164: + and 2..15 digits, "
						 "e.g. +14155550123");
	return 0;
}

/* rbac.h's spelling of a role name: [a-z][a-z0-9_-]*, at most 31 bytes. */
static bool users_role_syntax(const char *s)
{
	size_t n = strnlen(s, USERS_ROLE_MAX + 1), i;

	if (!n || n > USERS_ROLE_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

int users_check_role(const struct users *u, const char *role, const char **why)
{
	size_t i;

	if (!users_role_syntax(role))
		return users_refuse(why, "is not a role name");
	for (i = 0; i < sizeof(users_default_roles) / sizeof(users_default_roles[0]); i++)
		if (!strcmp(role, users_default_roles[i]))
			return 0;
	if (u && u->pol.role_ok && u->pol.role_ok(u->pol.role_arg, role))
		return 0;
	return users_refuse(why, "is not one of admin, manager, financial, employee, viewer "
				 "or a configured role");
}

static void users_why_add(char *why, size_t whylen, const char *field, const char *reason)
{
	size_t used;

	if (!why || !whylen)
		return;
	used = strlen(why);
	snprintf(why + used, whylen - used, "%s%s: %s", used ? "; " : "", field, reason);
}

int users_validate(const struct users *u, const struct users_new *in, char *why, size_t whylen)
{
	char norm[USERS_NAME_MAX + 1];
	const char *r = NULL;
	int bad = 0;

	if (why && whylen)
		why[0] = '\0';
	if (!in->name || users_name_normalise(in->name, norm)) {
		users_why_add(why, whylen, "name",
			      "must be 1..64 of a-z 0-9 . _ - (ASCII), starting with a letter or "
			      "digit");
		bad = 1;
	}
	if (!in->email || users_check_email(in->email, &r)) {
		users_why_add(why, whylen, "email", in->email ? r : "is required");
		bad = 1;
	}
	if (!in->first_name || users_check_person_name(in->first_name, &r)) {
		users_why_add(why, whylen, "first_name", in->first_name ? r : "is required");
		bad = 1;
	}
	if (!in->last_name || users_check_person_name(in->last_name, &r)) {
		users_why_add(why, whylen, "last_name", in->last_name ? r : "is required");
		bad = 1;
	}
	if (in->phone && *in->phone && users_check_phone(in->phone, &r)) {
		users_why_add(why, whylen, "phone", r);
		bad = 1;
	}
	if (!in->role || users_check_role(u, in->role, &r)) {
		users_why_add(why, whylen, "role", in->role ? r : "is required");
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

/* ---- the record table ---- */

static int users_cmp_key(const void *key, const void *elem)
{
	return strcmp(key, (*(struct users_rec *const *)elem)->name);
}

static struct users_rec *users_find(const struct users *u, const char *name)
{
	struct users_rec **r;

	if (!u->n)
		return NULL;
	r = bsearch(name, u->recs, u->n, sizeof(*u->recs), users_cmp_key);
	return r ? *r : NULL;
}

static struct users_rec *users_lookup(const struct users *u, const char *name)
{
	char norm[USERS_NAME_MAX + 1];

	if (!name || users_name_normalise(name, norm))
		return NULL;
	return users_find(u, norm);
}

static int users_insert(struct users *u, struct users_rec *r)
{
	struct users_rec **n;
	size_t i;

	if (u->n == u->cap) {
		n = realloc(u->recs, (u->cap ? u->cap * 2 : 16) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		u->recs = n;
		u->cap = u->cap ? u->cap * 2 : 16;
	}
	for (i = u->n; i > 0 && strcmp(u->recs[i - 1]->name, r->name) > 0; i--)
		u->recs[i] = u->recs[i - 1];
	u->recs[i] = r;
	u->n++;
	return 0;
}

static void users_remove(struct users *u, struct users_rec *r)
{
	size_t i;

	for (i = 0; i < u->n && u->recs[i] != r; i++)
		;
	if (i == u->n)
		return;
	memmove(&u->recs[i], &u->recs[i + 1], (u->n - i - 1) * sizeof(*u->recs));
	u->n--;
}

static void users_rec_free(struct users_rec *r)
{
	if (!r)
		return;
	free(r->mfa_secret);
	free(r->mfa_pending);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

static bool users_role_needs_mfa(const struct users *u, const char *role)
{
	size_t i;

	for (i = 0; i < u->pol.n_mfa_roles; i++)
		if (!strcmp(role, u->pol.mfa_roles[i]))
			return true;
	return false;
}

static bool users_mfa_needed(const struct users *u, const struct users_rec *r)
{
	return r->mfa_enabled || users_role_needs_mfa(u, r->role);
}

/* ---- lockout ---- */

static bool users_locked(const struct users_lock *l, int64_t now)
{
	return l->hard || now < l->locked_until;
}

static uint32_t users_delay(const struct users_policy *p, uint32_t attempts)
{
	uint64_t d;

	if (!p->progressive_delay || attempts < 3)
		return 0;
	if (attempts - 3 >= 32)
		return p->delay_max_ms;
	d = (uint64_t)p->delay_step_ms << (attempts - 3);
	return d > p->delay_max_ms ? p->delay_max_ms : (uint32_t)d;
}

static void users_lock_fail(const struct users_policy *p, struct users_lock *l, int64_t now,
			    struct users_auth *res)
{
	if (l->attempts < UINT32_MAX)
		l->attempts++;
	/* Attempts while locked change nothing else: they cannot lengthen the lock. */
	if (users_locked(l, now))
		return;
	if (l->locked_until) {
		/* The lock ran out: a fresh count of failures. */
		l->locked_until = 0;
		l->failures = 0;
	}
	l->failures++;
	if (l->failures < p->max_failures)
		return;
	l->failures = 0;
	l->locked_until = now + p->lockout_s;
	if (l->lockouts < UINT32_MAX)
		l->lockouts++;
	res->locked_now = true;
	if (p->hard_lock_after && l->lockouts >= p->hard_lock_after) {
		l->hard = true;
		res->hard_locked_now = true;
	}
}

/* A refused spelling still gets a lockout entry of its own, named by its hash. */
static void users_bad_key(const char *name, char key[USERS_NAME_MAX + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0, i;

	EVP_Digest(name, strnlen(name, 4096), md, &mdlen, EVP_sha256(), NULL);
	key[0] = '!';
	for (i = 0; i < USERS_BAD_KEY_HEX / 2; i++)
		snprintf(key + 1 + 2 * i, 3, "%02x", md[i]);
}

static struct users_unknown *users_unknown_find(const struct users *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->n_unknown; i++)
		if (!strcmp(u->unknown[i].key, key))
			return &u->unknown[i];
	return NULL;
}

static struct users_unknown *users_unknown_get(struct users *u, const char *key, int64_t now)
{
	struct users_unknown *e = users_unknown_find(u, key);
	size_t i, old = 0;

	if (!e) {
		if (u->n_unknown < u->cap_unknown) {
			e = &u->unknown[u->n_unknown++];
		} else {
			/* Full: forget the name seen longest ago. */
			for (i = 1; i < u->n_unknown; i++)
				if (u->unknown[i].last_seen < u->unknown[old].last_seen)
					old = i;
			e = &u->unknown[old];
		}
		memset(e, 0, sizeof(*e));
		snprintf(e->key, sizeof(e->key), "%s", key);
	}
	e->last_seen = now;
	return e;
}

static void users_unknown_drop(struct users *u, const char *key)
{
	struct users_unknown *e = users_unknown_find(u, key);

	if (!e)
		return;
	*e = u->unknown[--u->n_unknown];
}

/* ---- persistence ---- */

static json_t *users_rec_json(const struct users_rec *r)
{
	json_t *hist = json_array(), *o = NULL;
	unsigned int i;

	if (!hist)
		return NULL;
	for (i = 0; i < r->n_history; i++)
		if (json_array_append_new(hist, json_string(r->history[i])))
			goto out;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:I, s:I, s:b, s:I,"
		      " s:{s:b, s:s?, s:s?, s:I}, s:{s:I, s:I, s:I, s:I, s:b}}",
		      "name", r->name, "email", r->email, "first_name", r->first_name,
		      "last_name", r->last_name, "phone", r->phone, "role", r->role, "password",
		      r->password, "history", hist, "pw_changed_at", (json_int_t)r->pw_changed_at,
		      "created_at", (json_int_t)r->created_at, "disabled", (int)r->disabled,
		      "token_version", (json_int_t)r->token_version, "mfa", "enabled",
		      (int)r->mfa_enabled, "secret", r->mfa_secret, "pending", r->mfa_pending,
		      "last_step", (json_int_t)r->mfa_last_step, "lock", "failures",
		      (json_int_t)r->lock.failures, "attempts", (json_int_t)r->lock.attempts,
		      "lockouts", (json_int_t)r->lock.lockouts, "locked_until",
		      (json_int_t)r->lock.locked_until, "hard", (int)r->lock.hard);
out:
	json_decref(hist);
	return o;
}

int users_save(struct users *u)
{
	json_t *root = NULL, *arr;
	char *s = NULL;
	size_t i;
	int rc = -ENOMEM;

	if (!u->path) {
		u->dirty = false;
		return 0;
	}
	arr = json_array();
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < u->n; i++)
		if (json_array_append_new(arr, users_rec_json(u->recs[i])))
			goto out;
	root = json_pack("{s:i, s:O}", "version", USERS_FILE_VERSION, "users", arr);
	if (!root)
		goto out;
	s = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!s)
		goto out;
	rc = ew_write_atomic("users_save", u->path, s, strlen(s), 0600);
	if (!rc)
		u->dirty = false;
out:
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
	json_decref(root);
	json_decref(arr);
	return rc;
}

int users_flush(struct users *u)
{
	return u->dirty ? users_save(u) : 0;
}

static int users_copy(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return -EINVAL;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static bool users_hash_syntax(const char *s)
{
	return !strncmp(s, "$argon2id$", 10) && strlen(s) < PW_HASH_MAX;
}

static bool users_u32(json_int_t v)
{
	return v >= 0 && v <= UINT32_MAX;
}

/* One record of the file, checked as strictly as users_add checks input. */
static int users_rec_parse(json_t *o, struct users_rec **out, const char **why)
{
	const char *name, *email, *first, *last, *phone, *role, *pw, *secret, *pending;
	const char *r = NULL;
	json_t *jsecret, *jpending;
	json_int_t pwc, cat, tv, step, fail, att, lout, until;
	int dis, mfa_on, hard;
	json_t *hist, *h;
	struct users_rec *rec;
	char norm[USERS_NAME_MAX + 1];
	json_error_t err;
	size_t i;

	*out = NULL;
	if (json_unpack_ex(o, &err, JSON_STRICT,
			   "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:b, s:I,"
			   " s:{s:b, s:o, s:o, s:I}, s:{s:I, s:I, s:I, s:I, s:b}}",
			   "name", &name, "email", &email, "first_name", &first, "last_name",
			   &last, "phone", &phone, "role", &role, "password", &pw, "history",
			   &hist, "pw_changed_at", &pwc, "created_at", &cat, "disabled", &dis,
			   "token_version", &tv, "mfa", "enabled", &mfa_on, "secret", &jsecret,
			   "pending", &jpending, "last_step", &step, "lock", "failures", &fail,
			   "attempts", &att, "lockouts", &lout, "locked_until", &until, "hard",
			   &hard)) {
		log_debug("users_open: %s", err.text);
		*why = "fields missing, extra or of the wrong type";
		return -EINVAL;
	}
	/* Sealed secrets are strings, or null when there is none. */
	if ((!json_is_null(jsecret) && !json_is_string(jsecret)) ||
	    (!json_is_null(jpending) && !json_is_string(jpending)))
		return users_refuse(why, "mfa secrets must be sealed strings or null");
	secret = json_string_value(jsecret);
	pending = json_string_value(jpending);
	if (users_name_normalise(name, norm) || strcmp(norm, name))
		return users_refuse(why, "name is not a normalised username");
	if (users_check_email(email, &r) || users_check_person_name(first, &r) ||
	    users_check_person_name(last, &r) || (*phone && users_check_phone(phone, &r)))
		return users_refuse(why, "email, name or phone invalid");
	/* A role the config no longer defines still loads: rbac decides what it may do. */
	if (!users_role_syntax(role))
		return users_refuse(why, "role is not a role name");
	if (!users_hash_syntax(pw))
		return users_refuse(why, "password is not an argon2id hash");
	if (!json_is_array(hist) || !json_array_size(hist) ||
	    json_array_size(hist) > USERS_HISTORY_MAX ||
	    strcmp(json_string_value(json_array_get(hist, 0)) ?: "", pw))
		return users_refuse(why, "history must start with the current password");
	if (pwc < 0 || cat < 0 || tv < 0 || step < -1 || !users_u32(fail) || !users_u32(att) ||
	    !users_u32(lout) || until < 0)
		return users_refuse(why, "a number is out of range");
	if (mfa_on && !secret)
		return users_refuse(why, "mfa enabled without a secret");

	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	users_copy(rec->name, sizeof(rec->name), name);
	users_copy(rec->email, sizeof(rec->email), email);
	users_copy(rec->first_name, sizeof(rec->first_name), first);
	users_copy(rec->last_name, sizeof(rec->last_name), last);
	users_copy(rec->phone, sizeof(rec->phone), phone);
	users_copy(rec->role, sizeof(rec->role), role);
	users_copy(rec->password, sizeof(rec->password), pw);
	json_array_foreach(hist, i, h) {
		if (!json_is_string(h) || !users_hash_syntax(json_string_value(h))) {
			users_rec_free(rec);
			return users_refuse(why, "history holds something not an argon2id hash");
		}
		users_copy(rec->history[i], PW_HASH_MAX, json_string_value(h));
	}
	rec->n_history = (unsigned int)json_array_size(hist);
	rec->pw_changed_at = pwc;
	rec->created_at = cat;
	rec->disabled = dis;
	rec->token_version = tv;
	rec->mfa_enabled = mfa_on;
	rec->mfa_last_step = step;
	rec->mfa_secret = secret ? strdup(secret) : NULL;
	rec->mfa_pending = pending ? strdup(pending) : NULL;
	rec->lock.failures = (uint32_t)fail;
	rec->lock.attempts = (uint32_t)att;
	rec->lock.lockouts = (uint32_t)lout;
	rec->lock.locked_until = until;
	rec->lock.hard = hard;
	if ((secret && !rec->mfa_secret) || (pending && !rec->mfa_pending)) {
		users_rec_free(rec);
		return -ENOMEM;
	}
	*out = rec;
	return 0;
}

static int users_load(struct users *u)
{
	struct users_rec *rec;
	json_error_t err;
	json_t *root, *arr, *o;
	const char *why = NULL;
	struct stat st;
	size_t i;
	int fd, rc, version = 0;

	fd = open(u->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		rc = -errno;
		log_warn("users_open: open %s", u->path);
		return rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		close(fd);
		log_warnx("users_open: %s must be a regular file of mode 0600 (chmod 600 %s)",
			  u->path, u->path);
		return -EPERM;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &err);
	close(fd);
	if (!root) {
		log_warnx("users_open: %s:%d: %s", u->path, err.line, err.text);
		return -EINVAL;
	}
	rc = -EINVAL;
	if (json_unpack_ex(root, &err, JSON_STRICT, "{s:i, s:o}", "version", &version, "users",
			   &arr) ||
	    version != USERS_FILE_VERSION || !json_is_array(arr)) {
		log_warnx("users_open: %s: not a users file (want {\"version\":1,\"users\":[...]})",
			  u->path);
		goto out;
	}
	json_array_foreach(arr, i, o) {
		rc = users_rec_parse(o, &rec, &why);
		if (rc) {
			log_warnx("users_open: %s: user #%zu: %s", u->path, i + 1,
				  rc == -ENOMEM ? "out of memory" : why);
			goto out;
		}
		if (users_find(u, rec->name)) {
			log_warnx("users_open: %s: user %s appears twice", u->path, rec->name);
			users_rec_free(rec);
			rc = -EINVAL;
			goto out;
		}
		rc = users_insert(u, rec);
		if (rc) {
			users_rec_free(rec);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- opening and policy ---- */

static int users_policy_check(const struct users_policy *p, const char **why)
{
	size_t i;

	if (pw_params_check(&p->pw, why))
		return -EINVAL;
	if (p->password.prevent_reuse > USERS_HISTORY_MAX)
		return users_refuse(why, "preventReuse is at most 24");
	if (p->password.max_bytes > PW_MAX_BYTES || p->password.min_chars < 1 ||
	    p->password.min_chars > PW_MAX_BYTES)
		return users_refuse(why, "password lengths out of range");
	if (p->max_failures < 1 || p->max_failures > 1000)
		return users_refuse(why, "lockout maxAttempts must be 1..1000");
	if (p->lockout_s < 1 || p->lockout_s > 30 * 86400)
		return users_refuse(why, "lockout duration must be 1 s..30 days");
	if (p->delay_step_ms > 60000 || p->delay_max_ms > 60000)
		return users_refuse(why, "login delays are at most 60 s");
	if (p->unknown_slots < 16 || p->unknown_slots > (1u << 20))
		return users_refuse(why, "unknown_slots must be 16..1048576");
	if (!p->totp_issuer || !*p->totp_issuer || strlen(p->totp_issuer) > 64 ||
	    strchr(p->totp_issuer, ':'))
		return users_refuse(why, "TOTP issuer must be 1..64 bytes without ':'");
	for (i = 0; i < p->n_mfa_roles; i++)
		if (!p->mfa_roles || !p->mfa_roles[i] || !users_role_syntax(p->mfa_roles[i]))
			return users_refuse(why, "mfa.required holds something not a role name");
	return 0;
}

static void users_policy_strings_free(char **roles, size_t n, char *issuer)
{
	size_t i;

	for (i = 0; roles && i < n; i++)
		free(roles[i]);
	free(roles);
	free(issuer);
}

/* A dummy hash of a random password with the current costs, for the no-account path. */
static int users_make_dummy(struct users *u)
{
	unsigned char rnd[24];
	char pw[64];
	unsigned int i;
	int rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
	rc = pw_hash(&u->pol.pw, pw, u->dummy, sizeof(u->dummy));
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

int users_set_policy(struct users *u, const struct users_policy *pol)
{
	struct users_unknown *tbl = NULL;
	char **roles = NULL, *issuer = NULL;
	const char *why = NULL;
	bool new_costs;
	size_t i;
	int rc;

	if (users_policy_check(pol, &why)) {
		log_warnx("users_set_policy: %s", why);
		return -EINVAL;
	}
	roles = calloc(pol->n_mfa_roles + 1, sizeof(*roles));
	issuer = strdup(pol->totp_issuer);
	if (!roles || !issuer)
		goto nomem;
	for (i = 0; i < pol->n_mfa_roles; i++) {
		roles[i] = strdup(pol->mfa_roles[i]);
		if (!roles[i])
			goto nomem;
	}
	if (pol->unknown_slots != u->cap_unknown) {
		tbl = calloc(pol->unknown_slots, sizeof(*tbl));
		if (!tbl)
			goto nomem;
	}
	new_costs = !u->dummy[0] || memcmp(&pol->pw, &u->pol.pw, sizeof(pol->pw));
	users_policy_strings_free(u->mfa_roles, u->pol.n_mfa_roles, u->issuer);
	u->pol = *pol;
	u->mfa_roles = roles;
	u->issuer = issuer;
	u->pol.mfa_roles = (const char *const *)roles;
	u->pol.totp_issuer = issuer;
	if (tbl) {
		/* Keep what fits of the unknown names' counters. */
		u->n_unknown = u->n_unknown < pol->unknown_slots ? u->n_unknown : pol->unknown_slots;
		if (u->unknown)
			memcpy(tbl, u->unknown, u->n_unknown * sizeof(*tbl));
		free(u->unknown);
		u->unknown = tbl;
		u->cap_unknown = pol->unknown_slots;
	}
	if (new_costs) {
		rc = users_make_dummy(u);
		if (rc) {
			log_warnx("users_set_policy: cannot make the dummy hash: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
nomem:
	users_policy_strings_free(roles, pol->n_mfa_roles, issuer);
	free(tbl);
	return -ENOMEM;
}

int users_open(const char *path, const struct users_policy *pol, const struct sec_keyring *keys,
	       struct users **out)
{
	struct users *u;
	int rc;

	*out = NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->keys = keys;
	rc = users_set_policy(u, pol);
	if (rc)
		goto fail;
	if (path) {
		u->path = strdup(path);
		if (!u->path) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = users_load(u);
		if (rc)
			goto fail;
	}
	*out = u;
	return 0;
fail:
	users_close(u);
	return rc;
}

void users_close(struct users *u)
{
	size_t i;

	if (!u)
		return;
	if (u->dirty && users_save(u))
		log_warnx("users_close: lockout counters of %s were not saved", u->path);
	for (i = 0; i < u->n; i++)
		users_rec_free(u->recs[i]);
	free(u->recs);
	free(u->unknown);
	users_policy_strings_free(u->mfa_roles, u->pol.n_mfa_roles, u->issuer);
	free(u->path);
	free(u);
}

/* ---- accounts ---- */

static void users_info_fill(const struct users *u, const struct users_rec *r,
			    struct users_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->name, r->name, sizeof(out->name));
	memcpy(out->email, r->email, sizeof(out->email));
	memcpy(out->first_name, r->first_name, sizeof(out->first_name));
	memcpy(out->last_name, r->last_name, sizeof(out->last_name));
	memcpy(out->phone, r->phone, sizeof(out->phone));
	memcpy(out->role, r->role, sizeof(out->role));
	out->disabled = r->disabled;
	out->mfa_enabled = r->mfa_enabled;
	out->mfa_required = users_mfa_needed(u, r);
	out->created_at = r->created_at;
	out->pw_changed_at = r->pw_changed_at;
	out->token_version = r->token_version;
	out->failures = r->lock.failures;
	out->lockouts = r->lock.lockouts;
	out->locked_until = r->lock.locked_until;
	out->hard_locked = r->lock.hard;
}

int users_get(const struct users *u, const char *name, struct users_info *out)
{
	const struct users_rec *r = users_lookup(u, name);

	if (!r)
		return -ENOENT;
	users_info_fill(u, r, out);
	return 0;
}

int users_list(const struct users *u, struct users_info **out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (!u->n)
		return 0;
	*out = calloc(u->n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < u->n; i++)
		users_info_fill(u, u->recs[i], &(*out)[i]);
	*n = u->n;
	return 0;
}

/* Save; when that fails put r back as it was (before) so memory and disk agree. */
static int users_commit(struct users *u, struct users_rec *r, const struct users_rec *before)
{
	int rc = users_save(u);

	if (rc && r && before)
		*r = *before;
	return rc;
}

static void users_why(char *why, size_t whylen, const char *reason)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", reason);
}

int users_add(struct users *u, const struct users_new *in, const char *password, int64_t now,
	      char *why, size_t whylen)
{
	struct users_rec *r = NULL;
	char pwhy[160];
	int rc;

	if (users_validate(u, in, why, whylen))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	users_name_normalise(in->name, r->name);
	if (users_find(u, r->name)) {
		users_why(why, whylen, "name: exists");
		rc = -EEXIST;
		goto fail;
	}
	if (!password || pw_policy_check(&u->pol.password, password, r->name, NULL, 0, pwhy,
					 sizeof(pwhy))) {
		users_why(why, whylen, password ? pwhy : "password is required");
		rc = -EINVAL;
		goto fail;
	}
	rc = pw_hash(&u->pol.pw, password, r->password, sizeof(r->password));
	if (rc)
		goto fail;
	memcpy(r->history[0], r->password, sizeof(r->password));
	r->n_history = 1;
	users_copy(r->email, sizeof(r->email), in->email);
	users_copy(r->first_name, sizeof(r->first_name), in->first_name);
	users_copy(r->last_name, sizeof(r->last_name), in->last_name);
	users_copy(r->phone, sizeof(r->phone), in->phone ? in->phone : "");
	users_copy(r->role, sizeof(r->role), in->role);
	r->created_at = r->pw_changed_at = now;
	r->mfa_last_step = -1;
	rc = users_insert(u, r);
	if (rc)
		goto fail;
	rc = users_save(u);
	if (rc) {
		users_remove(u, r);
		goto fail;
	}
	/* The name's failures as an unknown name do not follow it into the account. */
	users_unknown_drop(u, r->name);
	return 0;
fail:
	users_rec_free(r);
	return rc;
}

int users_set_profile(struct users *u, const char *name, const struct users_new *in, char *why,
		      size_t whylen)
{
	struct users_rec *r = users_lookup(u, name), before;
	const char *reason = NULL;
	bool bad = false;

	if (why && whylen)
		why[0] = '\0';
	if (!r)
		return -ENOENT;
	if (in->email && users_check_email(in->email, &reason)) {
		users_why_add(why, whylen, "email", reason);
		bad = true;
	}
	if (in->first_name && users_check_person_name(in->first_name, &reason)) {
		users_why_add(why, whylen, "first_name", reason);
		bad = true;
	}
	if (in->last_name && users_check_person_name(in->last_name, &reason)) {
		users_why_add(why, whylen, "last_name", reason);
		bad = true;
	}
	if (in->phone && *in->phone && users_check_phone(in->phone, &reason)) {
		users_why_add(why, whylen, "phone", reason);
		bad = true;
	}
	if (bad)
		return -EINVAL;
	before = *r;
	if (in->email)
		users_copy(r->email, sizeof(r->email), in->email);
	if (in->first_name)
		users_copy(r->first_name, sizeof(r->first_name), in->first_name);
	if (in->last_name)
		users_copy(r->last_name, sizeof(r->last_name), in->last_name);
	if (in->phone)
		users_copy(r->phone, sizeof(r->phone), in->phone);
	return users_commit(u, r, &before);
}

int users_delete(struct users *u, const char *name)
{
	struct users_rec *r = users_lookup(u, name);
	int rc;

	if (!r)
		return -ENOENT;
	users_remove(u, r);
	rc = users_save(u);
	if (rc) {
		users_insert(u, r);
		return rc;
	}
	users_rec_free(r);
	return 0;
}

int users_set_password(struct users *u, const char *name, const char *old, const char *password,
		       int64_t now, char *why, size_t whylen)
{
	struct users_rec *r = users_lookup(u, name), before;
	const char *hist[USERS_HISTORY_MAX];
	char hash[PW_HASH_MAX], pwhy[160];
	unsigned int i, keep;
	int rc;

	if (!r)
		return -ENOENT;
	if (old && pw_verify(old, r->password)) {
		users_why(why, whylen, "current password is wrong");
		return -EACCES;
	}
	for (i = 0; i < r->n_history; i++)
		hist[i] = r->history[i];
	if (pw_policy_check(&u->pol.password, password, r->name, hist, r->n_history, pwhy,
			    sizeof(pwhy))) {
		users_why(why, whylen, pwhy);
		return -EINVAL;
	}
	rc = pw_hash(&u->pol.pw, password, hash, sizeof(hash));
	if (rc)
		return rc;
	before = *r;
	keep = u->pol.password.prevent_reuse ? u->pol.password.prevent_reuse : 1;
	if (keep > USERS_HISTORY_MAX)
		keep = USERS_HISTORY_MAX;
	r->n_history = r->n_history + 1 < keep ? r->n_history + 1 : keep;
	for (i = r->n_history - 1; i > 0; i--)
		memcpy(r->history[i], r->history[i - 1], PW_HASH_MAX);
	memcpy(r->history[0], hash, PW_HASH_MAX);
	for (i = r->n_history; i < USERS_HISTORY_MAX; i++)
		memset(r->history[i], 0, PW_HASH_MAX);
	memcpy(r->password, hash, PW_HASH_MAX);
	r->pw_changed_at = now;
	r->token_version++;
	rc = users_commit(u, r, &before);
	OPENSSL_cleanse(&before, sizeof(before));
	return rc;
}

int users_set_role(struct users *u, const char *name, const char *role, char *why, size_t whylen)
{
	struct users_rec *r = users_lookup(u, name), before;
	const char *reason = NULL;

	if (!r)
		return -ENOENT;
	if (users_check_role(u, role, &reason)) {
		if (why && whylen)
			snprintf(why, whylen, "role: %s", reason);
		return -EINVAL;
	}
	if (!strcmp(r->role, role))
		return 0;
	before = *r;
	users_copy(r->role, sizeof(r->role), role);
	r->token_version++;
	return users_commit(u, r, &before);
}

static int users_set_disabled(struct users *u, const char *name, bool disabled, bool bump)
{
	struct users_rec *r = users_lookup(u, name), before;

	if (!r)
		return -ENOENT;
	before = *r;
	r->disabled = disabled;
	if (bump)
		r->token_version++;
	return users_commit(u, r, &before);
}

int users_disable(struct users *u, const char *name)
{
	return users_set_disabled(u, name, true, true);
}

int users_enable(struct users *u, const char *name)
{
	return users_set_disabled(u, name, false, false);
}

int users_revoke_tokens(struct users *u, const char *name)
{
	struct users_rec *r = users_lookup(u, name);

	if (!r)
		return -ENOENT;
	return users_set_disabled(u, name, r->disabled, true);
}

int users_unlock(struct users *u, const char *name)
{
	char key[USERS_NAME_MAX + 1];
	struct users_rec *r, before;

	if (!name)
		return -EINVAL;
	if (users_name_normalise(name, key))
		users_bad_key(name, key);
	r = users_find(u, key);
	if (!r) {
		users_unknown_drop(u, key);
		return 0;
	}
	before = *r;
	memset(&r->lock, 0, sizeof(r->lock));
	return users_commit(u, r, &before);
}

/* ---- MFA ---- */

/* Open a sealed secret of r into b32; the AAD binds it to r's name. */
static int users_totp_open(const struct users *u, const struct users_rec *r, const char *blob,
			   char b32[TOTP_B32_MAX])
{
	char aad[8 + USERS_NAME_MAX];
	void *pt = NULL;
	size_t len = 0;
	int rc;

	if (!u->keys || !blob)
		return -ENOKEY;
	snprintf(aad, sizeof(aad), "totp:%s", r->name);
	rc = sec_open(u->keys, aad, blob, &pt, &len);
	if (rc || !pt || !len || len >= TOTP_B32_MAX) {
		log_warnx("users: the TOTP secret of %s does not open: tampered with, copied from "
			  "another account, or another keyring",
			  r->name);
		rc = -EBADMSG;
		goto out;
	}
	memcpy(b32, pt, len);
	b32[len] = '\0';
	rc = 0;
out:
	sec_free(pt, len);
	return rc;
}

/* 0 when code is a fresh code of the sealed secret blob; *last_step advances. */
static int users_totp_check(const struct users *u, const struct users_rec *r, const char *blob,
			    const char *code, int64_t now, int64_t *last_step)
{
	char b32[TOTP_B32_MAX];
	int rc;

	rc = users_totp_open(u, r, blob, b32);
	if (!rc)
		rc = totp_check(b32, code, now, last_step);
	OPENSSL_cleanse(b32, sizeof(b32));
	return rc;
}

int users_mfa_enrol(struct users *u, const char *name, char **uri)
{
	struct users_rec *r = users_lookup(u, name);
	char b32[TOTP_B32_MAX], aad[8 + USERS_NAME_MAX], *blob = NULL, *old;
	int rc;

	*uri = NULL;
	if (!r)
		return -ENOENT;
	if (!u->keys)
		return -ENOKEY;
	rc = totp_secret_new(b32, sizeof(b32));
	if (rc)
		goto out;
	snprintf(aad, sizeof(aad), "totp:%s", r->name);
	blob = sec_seal(u->keys, aad, b32, strlen(b32));
	if (!blob) {
		rc = -EIO;
		goto out;
	}
	rc = totp_uri(u->pol.totp_issuer, r->name, b32, uri);
	if (rc)
		goto out;
	old = r->mfa_pending;
	r->mfa_pending = blob;
	rc = users_save(u);
	if (rc) {
		r->mfa_pending = old;
		free(*uri);
		*uri = NULL;
		goto out;
	}
	free(old);
	blob = NULL;
out:
	free(blob);
	OPENSSL_cleanse(b32, sizeof(b32));
	return rc;
}

/* Make the pending secret the confirmed one, the code's step the last one used. */
static void users_mfa_promote(struct users_rec *r, int64_t step, char **old)
{
	*old = r->mfa_secret;
	r->mfa_secret = r->mfa_pending;
	r->mfa_pending = NULL;
	r->mfa_enabled = true;
	r->mfa_last_step = step;
}

int users_mfa_confirm(struct users *u, const char *name, const char *code, int64_t now)
{
	struct users_rec *r = users_lookup(u, name), before;
	int64_t step = -1;
	char *old;
	int rc;

	if (!r)
		return -ENOENT;
	if (!r->mfa_pending || !code)
		return -EACCES;
	/* A replaced secret's last step does not carry over: steps count per secret. */
	if (users_totp_check(u, r, r->mfa_pending, code, now, &step))
		return -EACCES;
	before = *r;
	users_mfa_promote(r, step, &old);
	rc = users_save(u);
	if (rc) {
		*r = before;
		return rc;
	}
	free(old);
	return 0;
}

int users_mfa_verify(struct users *u, const char *name, const char *code, int64_t now)
{
	struct users_rec *r = users_lookup(u, name);
	int64_t step;
	int rc;

	if (!r)
		return -ENOENT;
	if (!r->mfa_enabled || !code)
		return -EACCES;
	step = r->mfa_last_step;
	if (users_totp_check(u, r, r->mfa_secret, code, now, &step))
		return -EACCES;
	r->mfa_last_step = step;
	/* The used step must be on disk before the code counts, or a restart could replay it. */
	rc = users_save(u);
	return rc;
}

int users_mfa_reset(struct users *u, const char *name)
{
	struct users_rec *r = users_lookup(u, name), before;
	int rc;

	if (!r)
		return -ENOENT;
	before = *r;
	r->mfa_secret = NULL;
	r->mfa_pending = NULL;
	r->mfa_enabled = false;
	r->mfa_last_step = -1;
	r->token_version++;
	rc = users_save(u);
	if (rc) {
		*r = before;
		return rc;
	}
	free(before.mfa_secret);
	free(before.mfa_pending);
	return 0;
}

/* ---- login ---- */

int users_token_check(void *arg, const char *sub, const char *role, int64_t ver)
{
	const struct users *u = arg;
	const struct users_rec *r = users_find(u, sub);

	if (!r || r->disabled || strcmp(r->role, role) || r->token_version != ver)
		return -EACCES;
	return 0;
}

uint32_t users_login_delay_ms(const struct users *u, const char *name, int64_t now)
{
	char key[USERS_NAME_MAX + 1];
	const struct users_rec *r;
	const struct users_unknown *e;

	(void)now;
	if (!name)
		return 0;
	if (users_name_normalise(name, key))
		users_bad_key(name, key);
	r = users_find(u, key);
	if (r)
		return users_delay(&u->pol, r->lock.attempts);
	e = users_unknown_find(u, key);
	return e ? users_delay(&u->pol, e->lock.attempts) : 0;
}

/* The password was right: check or collect the second factor. 0 when satisfied. */
static int users_auth_mfa(struct users *u, struct users_rec *r, const char *code, int64_t now,
			  struct users_auth *res)
{
	int64_t step;
	char *old = NULL;
	int rc;

	res->mfa_enrol = !r->mfa_enabled;
	if (!code || !*code || (!r->mfa_enabled && !r->mfa_pending)) {
		res->reason = USERS_FAIL_MFA_MISSING;
		return -EAGAIN;
	}
	if (r->mfa_enabled) {
		step = r->mfa_last_step;
		rc = users_totp_check(u, r, r->mfa_secret, code, now, &step);
		if (!rc)
			r->mfa_last_step = step;
	} else {
		/* Enrolment started after an earlier login: this code confirms it. */
		step = -1;
		rc = users_totp_check(u, r, r->mfa_pending, code, now, &step);
		if (!rc)
			users_mfa_promote(r, step, &old);
	}
	free(old);
	if (rc == -EBADMSG || rc == -ENOKEY) {
		res->reason = USERS_FAIL_INTERNAL;
		return -EAGAIN;
	}
	if (rc) {
		res->reason = USERS_FAIL_MFA_CODE;
		return -EACCES;
	}
	res->mfa_enrol = false;
	return 0;
}

int users_authenticate(struct users *u, const char *name, const char *password, const char *code,
		       int64_t now, struct users_auth *res)
{
	char key[USERS_NAME_MAX + 1], hash[PW_HASH_MAX];
	struct users_rec *r = NULL;
	struct users_lock *lk;
	const char *pw = password;
	bool usable, locked;
	int vr, rc;

	memset(res, 0, sizeof(*res));
	res->result = USERS_AUTH_FAIL;
	res->reason = USERS_FAIL_INTERNAL;
	if (!name || !password)
		return -EINVAL;
	if (users_name_normalise(name, key)) {
		users_bad_key(name, key);
	} else {
		memcpy(res->name, key, sizeof(res->name));
		r = users_find(u, key);
	}
	lk = r ? &r->lock : &users_unknown_get(u, key, now)->lock;
	/* Too long to be anyone's password: still one verify of the same cost. */
	if (strlen(password) > PW_MAX_BYTES)
		pw = "";
	locked = users_locked(lk, now);
	usable = r && !r->disabled && !locked;
	vr = pw_verify(pw, usable ? r->password : u->dummy);

	if (!usable) {
		if (!r)
			res->reason = res->name[0] ? USERS_FAIL_UNKNOWN : USERS_FAIL_BAD_NAME;
		else if (r->disabled)
			res->reason = USERS_FAIL_DISABLED;
		else
			res->reason = lk->hard ? USERS_FAIL_HARD_LOCKED : USERS_FAIL_LOCKED;
		goto fail;
	}
	if (vr || pw != password) {
		res->reason = vr == -EACCES || !vr ? USERS_FAIL_PASSWORD : USERS_FAIL_INTERNAL;
		if (res->reason == USERS_FAIL_INTERNAL)
			log_warnx("users_authenticate: the password hash of %s is unusable: %s",
				  r->name, strerror(-vr));
		goto fail;
	}

	if (users_mfa_needed(u, r)) {
		rc = users_auth_mfa(u, r, code, now, res);
		if (rc) {
			res->result = USERS_AUTH_MFA_REQUIRED;
			/* Wrong codes count like wrong passwords: no guessing 10^6 codes. */
			if (rc == -EACCES) {
				users_lock_fail(&u->pol, lk, now, res);
				u->dirty = true;
			}
			res->delay_ms = users_delay(&u->pol, lk->attempts);
			return 0;
		}
	}

	memset(lk, 0, sizeof(*lk));
	/* Costs changed since this hash was made: redo it now that we hold the password. */
	if (pw_needs_rehash(r->password, &u->pol.pw) &&
	    !pw_hash(&u->pol.pw, password, hash, sizeof(hash))) {
		memcpy(r->password, hash, sizeof(hash));
		memcpy(r->history[0], hash, sizeof(hash));
	}
	memcpy(res->role, r->role, sizeof(res->role));
	res->token_version = r->token_version;
	res->reason = USERS_FAIL_NONE;
	res->result = pw_expired(&u->pol.password, r->pw_changed_at, now) ?
			      USERS_AUTH_PASSWORD_EXPIRED :
			      USERS_AUTH_OK;
	/* The used TOTP step and the cleared counters must survive a restart. */
	rc = users_save(u);
	if (rc)
		log_warnx("users_authenticate: cannot save %s after the login of %s: %s",
			  u->path, r->name, strerror(-rc));
	return 0;

fail:
	users_lock_fail(&u->pol, lk, now, res);
	if (r)
		u->dirty = true;
	res->result = USERS_AUTH_FAIL;
	res->delay_ms = users_delay(&u->pol, lk->attempts);
	return 0;
}
