// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tokens: what tok_issue makes verifies here and in PyJWT; every forged,
 * confused, stale or revoked token is refused with the reason we expect;
 * refresh rotation detects reuse and kills the family; the revocation list
 * survives a save and load. The PyJWT cases come from
 * tests/jwt/test_jwt_interop.py: without /usr/bin/python3 and its jwt
 * module this test fails rather than skips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "token.h"

#define NOW 1700000000LL
#define ISS "edgeward"
#define AUD "edgeward-api"
#define UUID_A "0b5d1d8e-4f6a-4c3e-9d1f-2a3b4c5d6e7f"
#define UUID_B "7c9e6679-7425-40de-944b-e07fc1f90ae7"

static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";

static const struct tok_cfg cfg = {
	.secret = secret,
	.secret_len = 32,
	.issuer = ISS,
	.audience = AUD,
	.access_ttl_s = 3600,
	.refresh_ttl_s = 604800,
	.leeway_s = 30,
};

/* The user store's stand-in: alice is an admin at token version 3. */
static int64_t alice_ver = 3;

static int user_check(void *arg, const char *sub, const char *role, int64_t ver)
{
	(void)arg;
	return strcmp(sub, "alice") || strcmp(role, "admin") || ver != alice_ver;
}

static struct tok_revocations *rev_new(void)
{
	struct tok_revocations *rev = NULL;

	assert_int_equal(tok_rev_new(&rev), 0);
	tok_rev_set_user_check(rev, user_check, NULL);
	return rev;
}

static char *b64url(const unsigned char *in, size_t len)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len * 4 / 3 + 4), *o = out;
	size_t i;

	assert_non_null(out);
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = a[in[i] >> 2];
		*o++ = a[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*o++ = a[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		*o++ = a[in[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = a[in[i] >> 2];
		*o++ = a[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		*o++ = a[in[i] >> 2];
		*o++ = a[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*o++ = a[(in[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* A token from literal JSON texts (so duplicates and odd types survive), HMAC'd with md. */
static char *mint(const char *hdr, const char *payload, const EVP_MD *md)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *h, *p, *s, *signing, *tok;

	h = b64url((const unsigned char *)hdr, strlen(hdr));
	p = b64url((const unsigned char *)payload, strlen(payload));
	assert_true(asprintf(&signing, "%s.%s", h, p) > 0);
	assert_non_null(HMAC(md, secret, 32, (unsigned char *)signing, strlen(signing), mac,
			     &maclen));
	s = b64url(mac, maclen);
	assert_true(asprintf(&tok, "%s.%s", signing, s) > 0);
	free(h);
	free(p);
	free(s);
	free(signing);
	return tok;
}

/* Valid claims of typ at NOW as a jansson object, to be bent by each case. */
static json_t *claims(const char *typ)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "iss",
			      ISS, "aud", AUD, "sub", "alice", "role", "admin", "typ", typ, "jti",
			      UUID_A, "fam", UUID_B, "iat", (json_int_t)NOW, "nbf", (json_int_t)NOW,
			      "exp",
			      (json_int_t)(NOW + (strcmp(typ, "refresh") ? 3600 : 604800)), "ver",
			      (json_int_t)3);

	assert_non_null(c);
	return c;
}

static char *mint_obj(json_t *c)
{
	char *p = json_dumps(c, JSON_COMPACT), *tok;

	assert_non_null(p);
	tok = mint("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, EVP_sha256());
	free(p);
	json_decref(c);
	return tok;
}

static void expect_verdict(const char *name, const char *tok, enum tok_type typ,
			   struct tok_revocations *rev, int ok, const char *why_part)
{
	struct tok_claims c;
	const char *why = NULL;
	int rc;

	rc = tok_verify(&cfg, tok, typ, NOW, rev, &c, &why);
	if (ok && rc)
		fail_msg("%s: refused (%s), want accepted", name, why);
	if (!ok && rc != -EACCES)
		fail_msg("%s: tok_verify gave %d, want -EACCES", name, rc);
	if (!ok && why_part && (!why || !strstr(why, why_part)))
		fail_msg("%s: refused for \"%s\", want a reason containing \"%s\"", name,
			 why ? why : "(null)", why_part);
	if (!ok && (c.sub[0] || c.jti[0]))
		fail_msg("%s: claims were filled in for a refused token", name);
}

static void refused(const char *name, char *tok, enum tok_type typ, const char *why_part)
{
	struct tok_revocations *rev = rev_new();

	expect_verdict(name, tok, typ, rev, 0, why_part);
	tok_rev_free(rev);
	free(tok);
}

static void test_cfg_check(void **state)
{
	struct tok_cfg c = cfg;
	const char *why = NULL;
	char *tok = NULL;

	(void)state;
	assert_int_equal(tok_cfg_check(&cfg, &why), 0);
	c.secret_len = 31;
	assert_int_equal(tok_cfg_check(&c, &why), -EINVAL);
	assert_non_null(strstr(why, "32 bytes"));
	assert_int_equal(tok_issue(&c, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &tok, NULL),
			 -EINVAL);
	assert_null(tok);
	c = cfg;
	c.issuer = "";
	assert_int_equal(tok_cfg_check(&c, &why), -EINVAL);
	c = cfg;
	c.leeway_s = 301;
	assert_int_equal(tok_cfg_check(&c, &why), -EINVAL);
	c = cfg;
	c.refresh_ttl_s = 60;
	assert_int_equal(tok_cfg_check(&c, &why), -EINVAL);

	/* Arguments tok_issue must not sign. */
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "", "admin", 3, NULL, NOW, &tok, NULL),
			 -EINVAL);
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "al ice", "admin", 3, NULL, NOW, &tok, NULL),
			 -EINVAL);
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "Admin", 3, NULL, NOW, &tok, NULL),
			 -EINVAL);
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", -1, NULL, NOW, &tok, NULL),
			 -EINVAL);
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, "fam", NOW, &tok, NULL),
			 -EINVAL);
	assert_int_equal(tok_issue(&cfg, 3, "alice", "admin", 3, NULL, NOW, &tok, NULL), -EINVAL);
	assert_null(tok);
}

/* Decode a token's middle segment with OpenSSL's (padded, standard) base64. */
static json_t *payload_of(const char *tok)
{
	const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
	char b64[2048];
	unsigned char raw[2048];
	size_t n = (size_t)(d2 - d1 - 1), i;
	int len;

	memcpy(b64, d1 + 1, n);
	for (i = 0; i < n; i++)
		b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
	while (n % 4)
		b64[n++] = '=';
	b64[n] = '\0';
	len = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)n);
	assert_true(len > 0);
	while (len > 0 && raw[len - 1] == '\0')
		len--;
	return json_loadb((char *)raw, (size_t)len, 0, NULL);
}

static void test_issue_verify(void **state)
{
	struct tok_revocations *rev = rev_new();
	struct tok_claims ic, vc, rc;
	char *a = NULL, *r = NULL;
	const char *why = NULL;
	json_t *p;

	(void)state;
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &a, &ic), 0);
	assert_int_equal(tok_issue(&cfg, TOK_REFRESH, "alice", "admin", 3, ic.fam, NOW, &r, &rc),
			 0);
	assert_int_equal(ic.exp, NOW + 3600);
	assert_int_equal(rc.exp, NOW + 604800);
	assert_string_equal(ic.fam, rc.fam);
	assert_string_not_equal(ic.jti, rc.jti);

	if (tok_verify(&cfg, a, TOK_ACCESS, NOW, rev, &vc, &why))
		fail_msg("our own access token was refused: %s", why);
	assert_string_equal(vc.sub, "alice");
	assert_string_equal(vc.role, "admin");
	assert_string_equal(vc.jti, ic.jti);
	assert_string_equal(vc.fam, ic.fam);
	assert_int_equal(vc.typ, TOK_ACCESS);
	assert_int_equal(vc.ver, 3);
	assert_int_equal(vc.iat, NOW);
	assert_int_equal(vc.nbf, NOW);
	if (tok_verify(&cfg, r, TOK_REFRESH, NOW + 600000, rev, &vc, &why))
		fail_msg("our own refresh token was refused near its end: %s", why);

	/* libjwt wrote exactly our claims: nothing added, nothing lost. */
	p = payload_of(a);
	assert_non_null(p);
	assert_int_equal(json_object_size(p), 11);
	assert_string_equal(json_string_value(json_object_get(p, "typ")), "access");
	json_decref(p);

	/* An hour later the access token is dead, within the leeway it still lives. */
	assert_int_equal(tok_verify(&cfg, a, TOK_ACCESS, NOW + 3600 + 29, rev, NULL, &why), 0);
	assert_int_equal(tok_verify(&cfg, a, TOK_ACCESS, NOW + 3600 + 30, rev, NULL, &why),
			 -EACCES);
	assert_string_equal(why, "expired");

	/* Without a user check nothing passes, and a token version bump kills old tokens. */
	tok_rev_set_user_check(rev, NULL, NULL);
	assert_int_equal(tok_verify(&cfg, a, TOK_ACCESS, NOW, rev, NULL, &why), -EACCES);
	tok_rev_set_user_check(rev, user_check, NULL);
	alice_ver = 4;
	assert_int_equal(tok_verify(&cfg, a, TOK_ACCESS, NOW, rev, NULL, &why), -EACCES);
	assert_non_null(strstr(why, "token version"));
	alice_ver = 3;
	assert_int_equal(tok_verify(&cfg, a, TOK_ACCESS, NOW, NULL, NULL, &why), -EINVAL);

	free(a);
	free(r);
	tok_rev_free(rev);
}

/* PyJWT verifies what libjwt made for us. */
static void test_pyjwt_verifies_ours(void **state)
{
	char *a = NULL, cmd[1024], out[2048];
	size_t n;
	json_t *j;
	FILE *f;

	(void)state;
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &a, NULL), 0);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 tests/jwt/test_jwt_interop.py --verify %s %s %s %lld %s",
		 "3031323334353637383961626364656630313233343536373839616263646566", ISS, AUD,
		 (long long)NOW, a);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	if (pclose(f) != 0)
		fail_msg("PyJWT did not verify our token (run from the repo root; needs "
			 "/usr/bin/python3 and python3-jwt): %s",
			 out);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "header"), "alg")),
			    "HS256");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "claims"), "sub")),
			    "alice");
	json_decref(j);
	free(a);
}

static void test_alg_confusion(void **state)
{
	static const char *const algs[] = { "none", "None", "NONE", "nOnE", "HS384", "HS512",
					    "RS256", "ES256", "PS256", "hs256", "HS256 ", "" };
	char hdr[128], *p;
	json_t *c;
	unsigned int i;

	(void)state;
	c = claims("access");
	p = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", algs[i]);
		refused(algs[i], mint(hdr, p, EVP_sha256()), TOK_ACCESS, "alg");
	}
	/* The right secret with the algorithm the header names: still refused. */
	refused("HS384 signed with HS384", mint("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", p,
						EVP_sha384()),
		TOK_ACCESS, "alg");
	refused("HS512 signed with HS512", mint("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", p,
						EVP_sha512()),
		TOK_ACCESS, "alg");
	/* alg none with an empty signature, libjwt 1.10's blind spot. */
	{
		char *t = mint("{\"alg\":\"none\"}", p, EVP_sha256());

		*(strrchr(t, '.') + 1) = '\0';
		refused("none with an empty signature", t, TOK_ACCESS, "alg");
	}
	refused("header without alg", mint("{\"typ\":\"JWT\"}", p, EVP_sha256()), TOK_ACCESS,
		"alg");
	refused("alg not a string", mint("{\"alg\":1}", p, EVP_sha256()), TOK_ACCESS, "alg");
	refused("duplicate alg in header",
		mint("{\"alg\":\"none\",\"alg\":\"HS256\"}", p, EVP_sha256()), TOK_ACCESS,
		"header");
	refused("duplicate typ in header",
		mint("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"typ\":\"JWT\"}", p, EVP_sha256()),
		TOK_ACCESS, "header");
	refused("header kid", mint("{\"alg\":\"HS256\",\"kid\":\"1\"}", p, EVP_sha256()),
		TOK_ACCESS, "header");
	refused("header typ JWS", mint("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", p, EVP_sha256()),
		TOK_ACCESS, "typ");
	refused("header an array", mint("[\"HS256\"]", p, EVP_sha256()), TOK_ACCESS, "header");
	/* With only {"alg":"HS256"} the token is fine: typ is optional. */
	{
		struct tok_revocations *rev = rev_new();
		char *t = mint("{\"alg\":\"HS256\"}", p, EVP_sha256());

		expect_verdict("header without typ", t, TOK_ACCESS, rev, 1, NULL);
		free(t);
		tok_rev_free(rev);
	}
	free(p);
}

static void test_tampering(void **state)
{
	char *good = NULL, *t, *dot;
	json_t *c;

	(void)state;
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &good, NULL),
			 0);

	/* Another payload under the old signature. */
	c = claims("access");
	json_object_set_new(c, "role", json_string("viewer"));
	{
		char *other = mint_obj(c);
		char *d1 = strchr(other, '.'), *d2 = strrchr(other, '.');
		char *g2 = strrchr(good, '.');

		assert_true(asprintf(&t, "%.*s%.*s%s", (int)(strchr(good, '.') - good), good,
				     (int)(d2 - d1), d1, g2) > 0);
		free(other);
	}
	refused("tampered payload", t, TOK_ACCESS, "signature");

	/* One signature character changed, the MAC truncated, extended, emptied. */
	t = strdup(good);
	dot = strrchr(t, '.');
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	refused("tampered signature", t, TOK_ACCESS, "signature");
	t = strdup(good);
	t[strlen(t) - 1] = '\0';
	refused("truncated signature", t, TOK_ACCESS, NULL);
	assert_true(asprintf(&t, "%sA", good) > 0);
	refused("signature one character longer", t, TOK_ACCESS, NULL);
	t = strdup(good);
	*(strrchr(t, '.') + 1) = '\0';
	refused("empty signature", t, TOK_ACCESS, "signature");
	/* The last character of a 32-byte MAC has 2 unused bits: a second spelling is refused. */
	t = strdup(good);
	{
		static const char a[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		char *last = t + strlen(t) - 1;
		int v = (int)(strchr(a, *last) - a);

		*last = a[v ^ 1];
	}
	refused("non-canonical last signature character", t, TOK_ACCESS, "signature");
	free(good);
}

static void test_framing(void **state)
{
	char *good = NULL, *t, big[TOK_MAX_LEN + 2];
	json_t *c;

	(void)state;
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &good, NULL),
			 0);
	t = strdup(good);
	*strrchr(t, '.') = '\0';
	refused("two segments", t, TOK_ACCESS, "segments");
	assert_true(asprintf(&t, "%s.%s", good, strrchr(good, '.') + 1) > 0);
	refused("four segments", t, TOK_ACCESS, "segments");
	refused("no dots", strdup("abc"), TOK_ACCESS, "segments");
	refused("empty", strdup(""), TOK_ACCESS, "segments");
	refused("dots only", strdup(".."), TOK_ACCESS, NULL);
	assert_true(asprintf(&t, "%s=", good) > 0);
	refused("padding after the signature", t, TOK_ACCESS, NULL);
	{
		const char *d1 = strchr(good, '.');

		assert_true(asprintf(&t, "%.*s=%s", (int)(d1 - good), good, d1) > 0);
		refused("padding in the header", t, TOK_ACCESS, "header");
		assert_true(asprintf(&t, "%.*s==%s", (int)(strrchr(good, '.') - good), good,
				     strrchr(good, '.')) > 0);
		refused("padding in the payload", t, TOK_ACCESS, NULL);
	}
	assert_true(asprintf(&t, " %s", good) > 0);
	refused("leading space", t, TOK_ACCESS, NULL);
	assert_true(asprintf(&t, "%s\n", good) > 0);
	refused("trailing newline", t, TOK_ACCESS, NULL);
	t = strdup(good);
	*strchr(t, '.') = '\0';
	{
		char *u;

		assert_true(asprintf(&u, "%s.\t%s", t, strchr(good, '.') + 1) > 0);
		free(t);
		refused("tab in payload", u, TOK_ACCESS, NULL);
	}

	/* Oversized: refused by length before anything is decoded. */
	c = claims("access");
	memset(big, 'a', 3500);
	big[3500] = '\0';
	json_object_set_new(c, "sub", json_string(big));
	refused("oversized token", mint_obj(c), TOK_ACCESS, "too long");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused("4097 bytes of base64", strdup(big), TOK_ACCESS, "too long");
	free(good);
}

static void test_claims(void **state)
{
	static const char *const required[] = { "iss", "aud", "sub", "role", "typ", "jti",
						"fam", "iat", "nbf", "exp", "ver" };
	char name[64], *p, *dup;
	json_t *c;
	unsigned int i;

	(void)state;
	c = claims("access");
	json_object_set_new(c, "iss", json_string("someone-else"));
	refused("wrong iss", mint_obj(c), TOK_ACCESS, "issuer");
	c = claims("access");
	json_object_set_new(c, "aud", json_string("edgeward-ap"));
	refused("wrong aud", mint_obj(c), TOK_ACCESS, "audience");
	c = claims("access");
	json_object_set_new(c, "aud", json_pack("[s]", AUD));
	refused("aud as an array", mint_obj(c), TOK_ACCESS, "string");
	c = claims("access");
	json_object_set_new(c, "iat", json_integer(NOW - 4000));
	json_object_set_new(c, "nbf", json_integer(NOW - 4000));
	json_object_set_new(c, "exp", json_integer(NOW - 400));
	refused("expired", mint_obj(c), TOK_ACCESS, "expired");
	c = claims("access");
	json_object_set_new(c, "nbf", json_integer(NOW + 31));
	refused("nbf in the future", mint_obj(c), TOK_ACCESS, "nbf");
	c = claims("access");
	json_object_set_new(c, "iat", json_integer(NOW + 31));
	json_object_set_new(c, "exp", json_integer(NOW + 3600));
	refused("iat in the future", mint_obj(c), TOK_ACCESS, "future");
	c = claims("access");
	json_object_set_new(c, "iat", json_integer(NOW - 3700));
	json_object_set_new(c, "exp", json_integer(NOW + 100));
	refused("iat older than the access ttl", mint_obj(c), TOK_ACCESS, "longer");
	c = claims("access");
	json_object_set_new(c, "exp", json_integer(NOW + 7200));
	refused("lifetime of two hours", mint_obj(c), TOK_ACCESS, "lifetime");
	refused("refresh used as access", mint_obj(claims("refresh")), TOK_ACCESS, "type");
	refused("access used as refresh", mint_obj(claims("access")), TOK_REFRESH, "type");

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		c = claims("access");
		json_object_del(c, required[i]);
		snprintf(name, sizeof(name), "missing %s", required[i]);
		refused(name, mint_obj(c), TOK_ACCESS, "missing");
	}
	c = claims("access");
	json_object_set_new(c, "admin", json_true());
	refused("extra claim", mint_obj(c), TOK_ACCESS, "unexpected claim");

	c = claims("access");
	json_object_set_new(c, "exp", json_real((double)(NOW + 3600)));
	refused("exp as a real", mint_obj(c), TOK_ACCESS, "integer");
	c = claims("access");
	json_object_set_new(c, "exp", json_string("1700003600"));
	refused("exp as a string", mint_obj(c), TOK_ACCESS, "integer");
	c = claims("access");
	json_object_set_new(c, "ver", json_true());
	refused("ver as a bool", mint_obj(c), TOK_ACCESS, "integer");
	c = claims("access");
	json_object_set_new(c, "ver", json_integer(-1));
	refused("negative ver", mint_obj(c), TOK_ACCESS, "range");
	c = claims("access");
	json_object_set_new(c, "exp", json_integer(INT64_MAX));
	refused("exp past year 9999", mint_obj(c), TOK_ACCESS, "range");
	c = claims("access");
	json_object_set_new(c, "sub", json_integer(1));
	refused("sub not a string", mint_obj(c), TOK_ACCESS, "string");
	c = claims("access");
	json_object_set_new(c, "sub", json_string(""));
	refused("empty sub", mint_obj(c), TOK_ACCESS, "sub");
	c = claims("access");
	json_object_set_new(c, "role", json_string("root"));
	refused("role unknown to the user store", mint_obj(c), TOK_ACCESS, "user");
	c = claims("access");
	json_object_set_new(c, "jti", json_string("0B5D1D8E-4F6A-4C3E-9D1F-2A3B4C5D6E7F"));
	refused("uppercase jti", mint_obj(c), TOK_ACCESS, "jti");
	c = claims("access");
	json_object_set_new(c, "jti", json_string("0b5d1d8e-4f6a-1c3e-9d1f-2a3b4c5d6e7f"));
	refused("jti of UUID version 1", mint_obj(c), TOK_ACCESS, "jti");
	c = claims("access");
	json_object_set_new(c, "fam", json_string("x"));
	refused("malformed fam", mint_obj(c), TOK_ACCESS, "fam");

	/* Duplicate claims: the last "role" would win in many parsers. */
	c = claims("access");
	p = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	p[strlen(p) - 1] = '\0';
	assert_true(asprintf(&dup, "%s,\"role\":\"viewer\"}", p) > 0);
	refused("duplicate role claim", mint("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", dup,
					     EVP_sha256()),
		TOK_ACCESS, "payload");
	free(dup);
	assert_true(asprintf(&dup, "%s,\"exp\":%lld}", p, (long long)NOW + 3600) > 0);
	refused("duplicate exp claim", mint("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", dup,
					    EVP_sha256()),
		TOK_ACCESS, "payload");
	free(dup);
	free(p);
	refused("payload not JSON", mint("{\"alg\":\"HS256\"}", "not json", EVP_sha256()),
		TOK_ACCESS, "payload");
	refused("payload an array", mint("{\"alg\":\"HS256\"}", "[]", EVP_sha256()), TOK_ACCESS,
		"payload");
}

static void test_revocation(void **state)
{
	struct tok_revocations *rev = rev_new();
	struct tok_claims a1, a2, r1;
	char *ta1, *ta2, *tr1, *tr2;

	(void)state;
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &ta1, &a1),
			 0);
	assert_int_equal(tok_issue(&cfg, TOK_REFRESH, "alice", "admin", 3, a1.fam, NOW, &tr1,
				   &r1),
			 0);
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &ta2, &a2),
			 0);

	/* One token by jti: its siblings live on. */
	assert_int_equal(tok_rev_token(rev, a1.jti, a1.exp, NOW), 0);
	expect_verdict("revoked jti", ta1, TOK_ACCESS, rev, 0, "revoked token");
	expect_verdict("refresh of the same family", tr1, TOK_REFRESH, rev, 1, NULL);
	expect_verdict("other login", ta2, TOK_ACCESS, rev, 1, NULL);

	/* Logout of the refresh token: the whole family goes, the other login stays. */
	assert_int_equal(tok_logout(&cfg, rev, &r1, NOW), 0);
	expect_verdict("logged-out refresh", tr1, TOK_REFRESH, rev, 0, "revoked");
	assert_int_equal(tok_issue(&cfg, TOK_REFRESH, "alice", "admin", 3, r1.fam, NOW, &tr2, NULL),
			 0);
	expect_verdict("revoked family", tr2, TOK_REFRESH, rev, 0, "family");
	expect_verdict("other login after logout", ta2, TOK_ACCESS, rev, 1, NULL);

	assert_int_equal(tok_rev_token(rev, "not-a-uuid", NOW, NOW), -EINVAL);
	assert_int_equal(tok_rev_family(rev, "", NOW, NOW), -EINVAL);

	/* Entries leave once their tokens are dead anyway, not before. */
	assert_int_equal(tok_rev_count(rev), 3);
	assert_int_equal(tok_rev_prune(rev, NOW + 3600), 0);
	assert_int_equal(tok_rev_prune(rev, NOW + 3600 + TOK_LEEWAY_MAX + 1), 1);
	assert_int_equal(tok_rev_count(rev), 2);
	expect_verdict("family still revoked after pruning", tr2, TOK_REFRESH, rev, 0, "family");
	assert_int_equal(tok_rev_prune(rev, NOW + 604800 + 30 + TOK_LEEWAY_MAX + 1), 2);
	assert_int_equal(tok_rev_count(rev), 0);
	free(ta1);
	free(ta2);
	free(tr1);
	free(tr2);
	tok_rev_free(rev);
}

static void test_refresh_rotation(void **state)
{
	struct tok_revocations *rev = rev_new();
	struct tok_claims r0, ac;
	char *a0, *rt0, *a1 = NULL, *rt1 = NULL, *a2 = NULL, *rt2 = NULL;
	const char *why = NULL;

	(void)state;
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &a0, &r0),
			 0);
	assert_int_equal(tok_issue(&cfg, TOK_REFRESH, "alice", "admin", 3, r0.fam, NOW, &rt0,
				   NULL),
			 0);

	/* An access token cannot refresh. */
	assert_int_equal(tok_refresh(&cfg, rev, a0, NOW, &a1, &rt1, NULL, &why), -EACCES);
	assert_null(a1);

	if (tok_refresh(&cfg, rev, rt0, NOW + 100, &a1, &rt1, &ac, &why))
		fail_msg("first refresh refused: %s", why);
	assert_string_equal(ac.fam, r0.fam);
	assert_int_equal(ac.exp, NOW + 100 + 3600);
	if (tok_verify(&cfg, a1, TOK_ACCESS, NOW + 100, rev, NULL, &why))
		fail_msg("rotated access token refused: %s", why);

	/* The old refresh token again: reuse. The family dies, the newer pair with it. */
	assert_int_equal(tok_refresh(&cfg, rev, rt0, NOW + 200, &a2, &rt2, NULL, &why), -EACCES);
	assert_non_null(strstr(why, "reuse"));
	assert_null(a2);
	assert_null(rt2);
	assert_int_equal(tok_refresh(&cfg, rev, rt1, NOW + 300, &a2, &rt2, NULL, &why), -EACCES);
	assert_non_null(strstr(why, "family"));
	assert_int_equal(tok_verify(&cfg, a1, TOK_ACCESS, NOW + 300, rev, NULL, &why), -EACCES);
	assert_int_equal(tok_verify(&cfg, a0, TOK_ACCESS, NOW + 300, rev, NULL, &why), -EACCES);

	free(a0);
	free(rt0);
	free(a1);
	free(rt1);
	tok_rev_free(rev);
}

static void test_persistence(void **state)
{
	char dir[] = "/tmp/test_token.XXXXXX", path[256], tmp[300];
	struct tok_revocations *rev = NULL, *rev2 = NULL;
	struct tok_claims c;
	char *a = NULL, *r = NULL, *a1 = NULL, *r1 = NULL, *a2 = NULL, *r2 = NULL;
	const char *why;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/revoked.json", dir);

	assert_int_equal(tok_rev_open(path, NOW, &rev), 0);
	tok_rev_set_user_check(rev, user_check, NULL);
	assert_int_equal(tok_issue(&cfg, TOK_ACCESS, "alice", "admin", 3, NULL, NOW, &a, &c), 0);
	assert_int_equal(tok_issue(&cfg, TOK_REFRESH, "alice", "admin", 3, c.fam, NOW, &r, NULL),
			 0);
	/* A rotation and a logout are on disk when the calls return. */
	assert_int_equal(tok_refresh(&cfg, rev, r, NOW, &a1, &r1, NULL, &why), 0);
	assert_int_equal(tok_rev_token(rev, c.jti, c.exp, NOW), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	tok_rev_free(rev);

	assert_int_equal(tok_rev_open(path, NOW, &rev2), 0);
	tok_rev_set_user_check(rev2, user_check, NULL);
	expect_verdict("revoked jti after reload", a, TOK_ACCESS, rev2, 0, "revoked token");
	/* Reuse is still detected after the restart. */
	assert_int_equal(tok_refresh(&cfg, rev2, r, NOW, &a2, &r2, NULL, &why), -EACCES);
	assert_null(a2);
	assert_non_null(strstr(why, "reuse"));
	expect_verdict("newer refresh after reuse", r1, TOK_REFRESH, rev2, 0, "family");
	tok_rev_free(rev2);

	/* A corrupt list is refused, not silently emptied; a missing one is empty. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\":1,\"tokens\":{\"x\":{\"until\":1,\"used\":true}},\"families\":{}}", f);
	fclose(f);
	assert_int_equal(tok_rev_load(path, NOW, &rev2), -EINVAL);
	assert_null(rev2);
	f = fopen(path, "w");
	fputs("{\"version\":1,\"version\":1,\"tokens\":{},\"families\":{}}", f);
	fclose(f);
	assert_int_equal(tok_rev_load(path, NOW, &rev2), -EINVAL);
	unlink(path);
	assert_int_equal(tok_rev_load(path, NOW, &rev2), 0);
	assert_int_equal(tok_rev_count(rev2), 0);
	tok_rev_free(rev2);

	/* No temp file is left behind. */
	snprintf(tmp, sizeof(tmp), "rmdir %s", dir);
	assert_int_equal(system(tmp), 0);
	free(a);
	free(r);
	free(a1);
	free(r1);
}

/* Every case PyJWT mints is judged as the script says. */
static void test_pyjwt_cases(void **state)
{
	struct tok_revocations *rev = rev_new();
	char cmd[512], name[128];
	json_error_t err;
	json_t *cases, *k;
	size_t i, n_ok = 0;
	FILE *f;

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 tests/jwt/test_jwt_interop.py %s %s %s %lld %lld %lld",
		 "3031323334353637383961626364656630313233343536373839616263646566", ISS, AUD,
		 (long long)NOW, (long long)cfg.access_ttl_s, (long long)cfg.refresh_ttl_s);
	f = popen(cmd, "r");
	assert_non_null(f);
	cases = json_loadf(f, 0, &err);
	if (pclose(f) != 0 || !cases)
		fail_msg("tests/jwt/test_jwt_interop.py failed (run from the repo root; needs "
			 "/usr/bin/python3 with python3-jwt): %s",
			 err.text);
	if (json_array_size(cases) < 50)
		fail_msg("only %zu PyJWT cases, want at least 50", json_array_size(cases));
	json_array_foreach(cases, i, k) {
		const char *typ = json_string_value(json_object_get(k, "typ"));
		int ok = json_is_true(json_object_get(k, "expect_ok"));

		snprintf(name, sizeof(name), "pyjwt: %s",
			 json_string_value(json_object_get(k, "name")));
		expect_verdict(name, json_string_value(json_object_get(k, "token")),
			       strcmp(typ, "refresh") ? TOK_ACCESS : TOK_REFRESH, rev, ok,
			       json_string_value(json_object_get(k, "why")));
		n_ok += ok;
	}
	assert_true(n_ok >= 2);
	json_decref(cases);
	tok_rev_free(rev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_check),
		cmocka_unit_test(test_issue_verify),
		cmocka_unit_test(test_pyjwt_verifies_ours),
		cmocka_unit_test(test_alg_confusion),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_refresh_rotation),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_pyjwt_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
