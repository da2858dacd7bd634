// SPDX-License-Identifier: GPL-2.0-only
/*
 * JWT access and refresh tokens: issue with libjwt, verify every byte and
 * claim here, revoke and rotate; see token.h for the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "fileio.h"
#include "log.h"
#include "token.h"

#define TOK_MAC_LEN 32
/* 9999-12-31T23:59:59Z: any later time claim is garbage, and the bound keeps sums in range. */
#define TOK_TIME_MAX 253402300799LL
#define TOK_REV_VERSION 1

struct tok_revocations {
	json_t *tokens;		/* jti -> {"until": exp, "revoked": true, "used": true} */
	json_t *families;	/* fam -> until */
	char *path;		/* NULL: memory only */
	tok_user_check_fn user_check;
	void *user_arg;
};

static const char *const tok_type_name[] = {
	[TOK_ACCESS] = "access",
	[TOK_REFRESH] = "refresh",
};

int tok_cfg_check(const struct tok_cfg *cfg, const char **why)
{
	const char *r = NULL;

	if (!cfg->secret || cfg->secret_len < TOK_SECRET_MIN || cfg->secret_len > INT_MAX)
		r = "jwt secret must be at least 32 bytes";
	else if (!cfg->issuer || !*cfg->issuer || strlen(cfg->issuer) > 255)
		r = "jwt issuer must be 1..255 bytes";
	else if (!cfg->audience || !*cfg->audience || strlen(cfg->audience) > 255)
		r = "jwt audience must be 1..255 bytes";
	else if (cfg->access_ttl_s < 60 || cfg->access_ttl_s > 86400)
		r = "access token lifetime must be 60..86400 s";
	else if (cfg->refresh_ttl_s < cfg->access_ttl_s || cfg->refresh_ttl_s > 90 * 86400)
		r = "refresh token lifetime must be between the access lifetime and 90 days";
	else if (cfg->leeway_s < 0 || cfg->leeway_s > TOK_LEEWAY_MAX)
		r = "jwt leeway must be 0..300 s";
	if (why)
		*why = r;
	return r ? -EINVAL : 0;
}

static int tok_is_uuid4(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (strlen(s) != TOK_ID_LEN)
		return 0;
	for (i = 0; i < TOK_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!s[i] || !strchr(hex, s[i])) {
			return 0;
		}
	}
	/* Version 4, RFC 4122 variant: what tok_uuid4 makes and Python's uuid4 too. */
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static int tok_uuid4(char out[TOK_ID_LEN + 1])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, TOK_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	return 0;
}

/* Subjects are usernames: printable ASCII without spaces keeps them safe in every log. */
static int tok_sub_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > TOK_SUB_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Role names as rbac.h spells them: [a-z][a-z0-9_-]*, at most 31 bytes. */
static int tok_role_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > TOK_ROLE_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] < 'a' || s[i] > 'z') && (s[i] < '0' || s[i] > '9') && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	return 1;
}

static int64_t tok_ttl(const struct tok_cfg *cfg, enum tok_type typ)
{
	return typ == TOK_ACCESS ? cfg->access_ttl_s : cfg->refresh_ttl_s;
}

int tok_issue(const struct tok_cfg *cfg, enum tok_type typ, const char *sub, const char *role,
	      int64_t ver, const char *fam, int64_t now, char **jwt, struct tok_claims *claims)
{
	struct tok_claims c = { 0 };
	jwt_t *j = NULL;
	char *s;
	int rc;

	*jwt = NULL;
	if (tok_cfg_check(cfg, NULL) || (typ != TOK_ACCESS && typ != TOK_REFRESH) ||
	    !tok_sub_ok(sub) || !tok_role_ok(role) || ver < 0 || now < 0 ||
	    now > TOK_TIME_MAX - tok_ttl(cfg, typ) || (fam && !tok_is_uuid4(fam)))
		return -EINVAL;
	c.typ = typ;
	snprintf(c.sub, sizeof(c.sub), "%s", sub);
	snprintf(c.role, sizeof(c.role), "%s", role);
	rc = tok_uuid4(c.jti);
	if (!rc && fam)
		snprintf(c.fam, sizeof(c.fam), "%s", fam);
	else if (!rc)
		rc = tok_uuid4(c.fam);
	if (rc) {
		log_warnx("tok_issue: RAND_bytes failed");
		return rc;
	}
	c.iat = c.nbf = now;
	c.exp = now + tok_ttl(cfg, typ);
	c.ver = ver;

	rc = -ENOMEM;
	if (jwt_new(&j))
		goto out;
	if (jwt_set_alg(j, JWT_ALG_HS256, cfg->secret, (int)cfg->secret_len) ||
	    jwt_add_grant(j, "iss", cfg->issuer) || jwt_add_grant(j, "aud", cfg->audience) ||
	    jwt_add_grant(j, "sub", c.sub) || jwt_add_grant(j, "role", c.role) ||
	    jwt_add_grant(j, "typ", tok_type_name[typ]) || jwt_add_grant(j, "jti", c.jti) ||
	    jwt_add_grant(j, "fam", c.fam) || jwt_add_grant_int(j, "iat", (long)c.iat) ||
	    jwt_add_grant_int(j, "nbf", (long)c.nbf) || jwt_add_grant_int(j, "exp", (long)c.exp) ||
	    jwt_add_grant_int(j, "ver", (long)c.ver))
		goto out;
	s = jwt_encode_str(j);
	if (!s)
		goto out;
	*jwt = s;
	if (claims)
		*claims = c;
	rc = 0;
out:
	jwt_free(j);
	return rc;
}

static int tok_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Strict base64url without padding (RFC 7515 section 2): only the URL-safe
 * alphabet, no '=', no whitespace, and the unused low bits of the last
 * character zero, so each byte string has exactly one accepted spelling.
 */
static int tok_b64url_decode(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
	uint32_t buf = 0;
	size_t i, o = 0;
	int bits = 0, v = 0;

	if (!len || len % 4 == 1)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		v = tok_b64_val((unsigned char)s[i]);
		if (v < 0)
			return -EINVAL;
		buf = buf << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			out[o++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	if (bits && (buf & ((1u << bits) - 1)))
		return -EINVAL;
	*outlen = o;
	return 0;
}

static json_t *tok_json_segment(const char *s, size_t len)
{
	unsigned char *buf;
	size_t n;
	json_t *j = NULL;

	buf = malloc(len);
	if (!buf)
		return NULL;
	/* Duplicate keys would let a reader that keeps the first one disagree with us. */
	if (!tok_b64url_decode(s, len, buf, &n))
		j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static int tok_check_header(json_t *h, const char **why)
{
	const char *key;
	json_t *v;

	json_object_foreach(h, key, v) {
		if (!strcmp(key, "alg")) {
			/* Exactly HS256: none, None, HS384, RS256 ... never reach the key. */
			if (!json_is_string(v) || strcmp(json_string_value(v), "HS256")) {
				*why = "alg is not HS256";
				return -EACCES;
			}
		} else if (!strcmp(key, "typ")) {
			if (!json_is_string(v) || strcmp(json_string_value(v), "JWT")) {
				*why = "header typ is not JWT";
				return -EACCES;
			}
		} else {
			*why = "unexpected header parameter";
			return -EACCES;
		}
	}
	if (!json_object_get(h, "alg")) {
		*why = "no alg in header";
		return -EACCES;
	}
	return 0;
}

static int tok_check_mac(const struct tok_cfg *cfg, const char *jwt, size_t signed_len,
			 const char *sig, size_t siglen)
{
	unsigned char mac[EVP_MAX_MD_SIZE], got[48];
	unsigned int maclen = 0;
	size_t n;
	int rc = -EACCES;

	/* 43 characters are 32 bytes: anything else cannot be an HS256 MAC. */
	if (siglen != 43 || tok_b64url_decode(sig, siglen, got, &n) || n != TOK_MAC_LEN)
		return -EACCES;
	if (!HMAC(EVP_sha256(), cfg->secret, (int)cfg->secret_len, (const unsigned char *)jwt,
		  signed_len, mac, &maclen) ||
	    maclen != TOK_MAC_LEN)
		return -EIO;
	if (!CRYPTO_memcmp(mac, got, TOK_MAC_LEN))
		rc = 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

enum {
	TC_ISS, TC_AUD, TC_SUB, TC_ROLE, TC_TYP, TC_JTI, TC_FAM,	/* strings */
	TC_IAT, TC_NBF, TC_EXP, TC_VER,				/* integers */
	TC_N,
};

static const char *const tok_claim_name[TC_N] = {
	"iss", "aud", "sub", "role", "typ", "jti", "fam", "iat", "nbf", "exp", "ver",
};

/* Collect exactly our claims, each with its JSON type, none missing, nothing else. */
static int tok_claims_get(json_t *p, json_t *v[TC_N], const char **why)
{
	const char *key;
	json_t *val;
	int i;

	memset(v, 0, sizeof(json_t *) * TC_N);
	json_object_foreach(p, key, val) {
		for (i = 0; i < TC_N; i++)
			if (!strcmp(key, tok_claim_name[i]))
				break;
		if (i == TC_N) {
			*why = "unexpected claim";
			return -EACCES;
		}
		if (i < TC_IAT && !json_is_string(val)) {
			*why = "string claim is not a string";
			return -EACCES;
		}
		if (i >= TC_IAT && (!json_is_integer(val) || json_integer_value(val) < 0 ||
				    json_integer_value(val) > TOK_TIME_MAX)) {
			*why = "numeric claim is not an integer in range";
			return -EACCES;
		}
		v[i] = val;
	}
	for (i = 0; i < TC_N; i++) {
		if (!v[i]) {
			*why = "missing claim";
			return -EACCES;
		}
	}
	return 0;
}

static int tok_check_claims(const struct tok_cfg *cfg, json_t *p, enum tok_type expect,
			    int64_t now, struct tok_claims *c, const char **why)
{
	const char *typ;
	json_t *v[TC_N];
	int64_t ttl = tok_ttl(cfg, expect);

	if (tok_claims_get(p, v, why))
		return -EACCES;
	if (strcmp(json_string_value(v[TC_ISS]), cfg->issuer)) {
		*why = "wrong issuer";
		return -EACCES;
	}
	if (strcmp(json_string_value(v[TC_AUD]), cfg->audience)) {
		*why = "wrong audience";
		return -EACCES;
	}
	typ = json_string_value(v[TC_TYP]);
	if (strcmp(typ, tok_type_name[expect])) {
		*why = "wrong token type";
		return -EACCES;
	}
	if (!tok_sub_ok(json_string_value(v[TC_SUB])) ||
	    !tok_role_ok(json_string_value(v[TC_ROLE]))) {
		*why = "malformed sub or role";
		return -EACCES;
	}
	if (!tok_is_uuid4(json_string_value(v[TC_JTI])) ||
	    !tok_is_uuid4(json_string_value(v[TC_FAM]))) {
		*why = "malformed jti or fam";
		return -EACCES;
	}
	c->typ = expect;
	snprintf(c->sub, sizeof(c->sub), "%s", json_string_value(v[TC_SUB]));
	snprintf(c->role, sizeof(c->role), "%s", json_string_value(v[TC_ROLE]));
	snprintf(c->jti, sizeof(c->jti), "%s", json_string_value(v[TC_JTI]));
	snprintf(c->fam, sizeof(c->fam), "%s", json_string_value(v[TC_FAM]));
	c->iat = json_integer_value(v[TC_IAT]);
	c->nbf = json_integer_value(v[TC_NBF]);
	c->exp = json_integer_value(v[TC_EXP]);
	c->ver = json_integer_value(v[TC_VER]);

	if (c->exp <= now - cfg->leeway_s) {
		*why = "expired";
		return -EACCES;
	}
	if (c->nbf > now + cfg->leeway_s) {
		*why = "not valid yet (nbf)";
		return -EACCES;
	}
	if (c->iat > now + cfg->leeway_s) {
		*why = "issued in the future (iat)";
		return -EACCES;
	}
	if (c->iat < now - ttl - cfg->leeway_s) {
		*why = "issued longer ago than the token type lives";
		return -EACCES;
	}
	if (c->exp <= c->iat || c->exp - c->iat > ttl) {
		*why = "lifetime longer than the token type's";
		return -EACCES;
	}
	return 0;
}

static json_t *tok_rev_entry(const struct tok_revocations *rev, const char *jti)
{
	return json_object_get(rev->tokens, jti);
}

int tok_verify(const struct tok_cfg *cfg, const char *jwt, enum tok_type expect, int64_t now,
	       const struct tok_revocations *rev, struct tok_claims *out, const char **why)
{
	const char *d1, *d2, *dummy;
	struct tok_claims c = { 0 };
	json_t *h = NULL, *p = NULL, *e;
	size_t len;
	int rc = -EACCES;

	if (!why)
		why = &dummy;
	*why = "internal error";
	if (out)
		memset(out, 0, sizeof(*out));
	if (!cfg || !jwt || !rev || tok_cfg_check(cfg, NULL) || now < 0 || now > TOK_TIME_MAX ||
	    (expect != TOK_ACCESS && expect != TOK_REFRESH)) {
		*why = "bad verifier arguments or config";
		return -EINVAL;
	}
	if (!rev->user_check) {
		*why = "no user check set: every token is refused";
		return -EACCES;
	}
	len = strnlen(jwt, TOK_MAX_LEN + 1);
	if (len > TOK_MAX_LEN) {
		*why = "token too long";
		return -EACCES;
	}
	d1 = memchr(jwt, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt))) {
		*why = "not three segments";
		return -EACCES;
	}
	h = tok_json_segment(jwt, (size_t)(d1 - jwt));
	if (!h) {
		*why = "header is not base64url of a JSON object without duplicate keys";
		goto out;
	}
	if (tok_check_header(h, why))
		goto out;
	rc = tok_check_mac(cfg, jwt, (size_t)(d2 - jwt), d2 + 1, len - (size_t)(d2 + 1 - jwt));
	if (rc) {
		*why = rc == -EIO ? "HMAC failed" : "bad signature";
		rc = -EACCES;
		goto out;
	}
	rc = -EACCES;
	p = tok_json_segment(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!p) {
		*why = "payload is not base64url of a JSON object without duplicate keys";
		goto out;
	}
	if (tok_check_claims(cfg, p, expect, now, &c, why))
		goto out;
	e = tok_rev_entry(rev, c.jti);
	if (e && json_is_true(json_object_get(e, "revoked"))) {
		*why = "revoked token";
		goto out;
	}
	if (json_object_get(rev->families, c.fam)) {
		*why = "revoked token family";
		goto out;
	}
	if (rev->user_check(rev->user_arg, c.sub, c.role, c.ver)) {
		*why = "user unknown, disabled, or token version outdated";
		goto out;
	}
	if (out)
		*out = c;
	*why = NULL;
	rc = 0;
out:
	json_decref(h);
	json_decref(p);
	return rc;
}

int tok_rev_new(struct tok_revocations **out)
{
	struct tok_revocations *rev;

	*out = NULL;
	rev = calloc(1, sizeof(*rev));
	if (!rev)
		return -ENOMEM;
	rev->tokens = json_object();
	rev->families = json_object();
	if (!rev->tokens || !rev->families) {
		tok_rev_free(rev);
		return -ENOMEM;
	}
	*out = rev;
	return 0;
}

void tok_rev_free(struct tok_revocations *rev)
{
	if (!rev)
		return;
	json_decref(rev->tokens);
	json_decref(rev->families);
	free(rev->path);
	free(rev);
}

void tok_rev_set_user_check(struct tok_revocations *rev, tok_user_check_fn fn, void *arg)
{
	rev->user_check = fn;
	rev->user_arg = arg;
}

size_t tok_rev_count(const struct tok_revocations *rev)
{
	return json_object_size(rev->tokens) + json_object_size(rev->families);
}

/* An entry may go once no token it names can pass tok_verify's exp check any more. */
static int tok_rev_expired(json_t *until, int64_t now)
{
	return json_integer_value(until) + TOK_LEEWAY_MAX < now;
}

size_t tok_rev_prune(struct tok_revocations *rev, int64_t now)
{
	const char *key;
	json_t *v;
	void *tmp;
	size_t n = 0;

	json_object_foreach_safe(rev->tokens, tmp, key, v) {
		if (tok_rev_expired(json_object_get(v, "until"), now)) {
			json_object_del(rev->tokens, key);
			n++;
		}
	}
	json_object_foreach_safe(rev->families, tmp, key, v) {
		if (tok_rev_expired(v, now)) {
			json_object_del(rev->families, key);
			n++;
		}
	}
	return n;
}

int tok_rev_save(struct tok_revocations *rev, const char *path, int64_t now)
{
	json_t *root;
	char *s = NULL;
	int rc = -ENOMEM;

	tok_rev_prune(rev, now);
	root = json_pack("{s:i, s:O, s:O}", "version", TOK_REV_VERSION, "tokens", rev->tokens,
			 "families", rev->families);
	if (!root)
		return -ENOMEM;
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (s)
		rc = ew_write_atomic("tok_rev_save", path, s, strlen(s), 0600);
	free(s);
	json_decref(root);
	return rc;
}

static int tok_rev_commit(struct tok_revocations *rev, int64_t now)
{
	return rev->path ? tok_rev_save(rev, rev->path, now) : 0;
}

/* Set flag ("revoked" or "used") on jti's entry, keeping the later expiry. */
static int tok_rev_mark(struct tok_revocations *rev, const char *jti, const char *flag,
			int64_t until)
{
	json_t *e = json_object_get(rev->tokens, jti);

	if (!e) {
		e = json_object();
		if (!e || json_object_set_new(rev->tokens, jti, e))
			return -ENOMEM;
	}
	if (json_integer_value(json_object_get(e, "until")) < until &&
	    json_object_set_new(e, "until", json_integer(until)))
		return -ENOMEM;
	if (json_object_set_new(e, flag, json_true()))
		return -ENOMEM;
	return 0;
}

int tok_rev_token(struct tok_revocations *rev, const char *jti, int64_t exp, int64_t now)
{
	int rc;

	if (!tok_is_uuid4(jti) || exp < 0 || exp > TOK_TIME_MAX)
		return -EINVAL;
	rc = tok_rev_mark(rev, jti, "revoked", exp);
	return rc ? rc : tok_rev_commit(rev, now);
}

int tok_rev_family(struct tok_revocations *rev, const char *fam, int64_t until, int64_t now)
{
	json_t *old;

	if (!tok_is_uuid4(fam) || until < 0 || until > TOK_TIME_MAX)
		return -EINVAL;
	old = json_object_get(rev->families, fam);
	if ((!old || json_integer_value(old) < until) &&
	    json_object_set_new(rev->families, fam, json_integer(until)))
		return -ENOMEM;
	return tok_rev_commit(rev, now);
}

int tok_logout(const struct tok_cfg *cfg, struct tok_revocations *rev, const struct tok_claims *c,
	       int64_t now)
{
	int rc;

	/* Every token of the family expires by then: no new one can be made once it is revoked. */
	rc = tok_rev_family(rev, c->fam, now + cfg->refresh_ttl_s + cfg->leeway_s, now);
	if (!rc)
		rc = tok_rev_token(rev, c->jti, c->exp, now);
	return rc;
}

int tok_refresh(const struct tok_cfg *cfg, struct tok_revocations *rev, const char *refresh_jwt,
		int64_t now, char **access, char **refresh, struct tok_claims *access_claims,
		const char **why)
{
	struct tok_claims c, ac;
	const char *dummy;
	char *a = NULL, *r = NULL;
	json_t *e;
	int rc;

	if (!why)
		why = &dummy;
	*access = *refresh = NULL;
	rc = tok_verify(cfg, refresh_jwt, TOK_REFRESH, now, rev, &c, why);
	if (rc)
		return rc;
	e = tok_rev_entry(rev, c.jti);
	if (e && json_is_true(json_object_get(e, "used"))) {
		rc = tok_rev_family(rev, c.fam, now + cfg->refresh_ttl_s + cfg->leeway_s, now);
		if (rc)
			log_warnx("tok_refresh: cannot save the revocation of a reused family: %s",
				  strerror(-rc));
		*why = "refresh token reused: family revoked";
		return -EACCES;
	}
	rc = tok_issue(cfg, TOK_ACCESS, c.sub, c.role, c.ver, c.fam, now, &a, &ac);
	if (!rc)
		rc = tok_issue(cfg, TOK_REFRESH, c.sub, c.role, c.ver, c.fam, now, &r, NULL);
	if (!rc)
		rc = tok_rev_mark(rev, c.jti, "used", c.exp);
	/* The new pair is handed out only once the old token's use is on disk. */
	if (!rc)
		rc = tok_rev_commit(rev, now);
	if (rc) {
		*why = "cannot issue or record the rotation";
		free(a);
		free(r);
		return rc;
	}
	*access = a;
	*refresh = r;
	if (access_claims)
		*access_claims = ac;
	*why = NULL;
	return 0;
}

static int tok_rev_parse(json_t *root, struct tok_revocations *rev)
{
	json_t *tokens, *families, *v, *f;
	const char *key, *fk;
	int flags;

	if (!json_is_object(root) || json_object_size(root) != 3 ||
	    json_integer_value(json_object_get(root, "version")) != TOK_REV_VERSION)
		return -EINVAL;
	tokens = json_object_get(root, "tokens");
	families = json_object_get(root, "families");
	if (!json_is_object(tokens) || !json_is_object(families))
		return -EINVAL;
	json_object_foreach(tokens, key, v) {
		if (!tok_is_uuid4(key) || !json_is_object(v) ||
		    !json_is_integer(json_object_get(v, "until")))
			return -EINVAL;
		flags = 0;
		json_object_foreach(v, fk, f) {
			if (!strcmp(fk, "until"))
				continue;
			if ((strcmp(fk, "revoked") && strcmp(fk, "used")) || !json_is_true(f))
				return -EINVAL;
			flags++;
		}
		if (!flags)
			return -EINVAL;
	}
	json_object_foreach(families, key, v)
		if (!tok_is_uuid4(key) || !json_is_integer(v))
			return -EINVAL;
	json_decref(rev->tokens);
	json_decref(rev->families);
	rev->tokens = json_incref(tokens);
	rev->families = json_incref(families);
	return 0;
}

int tok_rev_load(const char *path, int64_t now, struct tok_revocations **out)
{
	struct tok_revocations *rev = NULL;
	json_error_t err;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	rc = tok_rev_new(&rev);
	if (rc)
		return rc;
	if (access(path, F_OK) && errno == ENOENT) {
		*out = rev;
		return 0;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		log_warnx("tok_rev_load: %s:%d: %s", path, err.line, err.text);
		rc = -EINVAL;
		goto out;
	}
	rc = tok_rev_parse(root, rev);
	if (rc) {
		log_warnx("tok_rev_load: %s is not a revocation list; move it away to start empty",
			  path);
		goto out;
	}
	tok_rev_prune(rev, now);
	*out = rev;
	rev = NULL;
out:
	json_decref(root);
	tok_rev_free(rev);
	return rc;
}

int tok_rev_open(const char *path, int64_t now, struct tok_revocations **out)
{
	int rc;

	rc = tok_rev_load(path, now, out);
	if (rc)
		return rc;
	(*out)->path = strdup(path);
	if (!(*out)->path) {
		tok_rev_free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
