// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the claim checks of tok_verify, behind the signature.
 * fuzz_token cannot get past the HMAC; here the target signs what the
 * fuzzer writes with the verifier's own secret, so every byte of the
 * header and the payload reaches the JSON and claim checks, the way a
 * token from a leaked secret or a buggy issuer would.
 *
 * Byte 0 chooses: bit 0 the expected type (refresh, else access); bits 1-2
 * the mode, the rest of the input its material:
 *   0  the payload's JSON; the header is {"alg":"HS256","typ":"JWT"}
 *   1  header JSON, a 0xff byte, payload JSON
 *   2  tok_issue round trip: byte 1 the user's version, byte 2 the token's
 *      age in minutes, then sub, a NUL, role; bit 3 of byte 0 passes a family,
 *      bit 4 makes it the revoked one
 *   3  the signing input as text ("HEADER.PAYLOAD" in base64url), signed
 *      as it is: the segment decoder meets hostile text with a valid MAC
 *
 * Asserted: a token tok_verify accepts holds exactly the claims token.h
 * lists, each with its type, iss and aud equal to ours, typ the expected
 * one, sub and role well formed, jti and fam UUIDv4s and not revoked, the
 * times within the rules, and *out equal to the payload; its header is
 * alg HS256 and at most typ JWT; its base64url segments are in canonical
 * form. tok_issue takes exactly the subs and roles token.h allows, and what
 * it makes verifies, with the same claims, until it has expired, and never
 * as the other type or in a revoked family.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "token.h"

#define FUZZ_NOW 1700000000LL
#define FUZZ_ISS "edgeward"
#define FUZZ_AUD "edgeward-api"
#define FUZZ_REVOKED_JTI "1c8e4a52-9b3f-4d6e-8a7c-0f2b5d9e3c41"
#define FUZZ_REVOKED_FAM "6a0f3e7d-2c5b-4f18-9e4a-7b1d8c3f5a20"
#define FUZZ_OTHER_FAM "d2b7c6a1-5e4f-4a3b-b8c9-1f0e2d3c4b5a"

static const unsigned char fuzz_secret[] = "claims-secret-0c4b7e9f2a6d1835fe";

static const struct tok_cfg fuzz_cfg = {
	.secret = fuzz_secret,
	.secret_len = 32,
	.issuer = FUZZ_ISS,
	.audience = FUZZ_AUD,
	.access_ttl_s = 3600,
	.refresh_ttl_s = 604800,
	.leeway_s = 30,
};

static struct tok_revocations *fuzz_rev;

static const char *const fuzz_type[] = { [TOK_ACCESS] = "access", [TOK_REFRESH] = "refresh" };

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_token_claims: %s\n", what);
	abort();
}

static int fuzz_user_ok(void *arg, const char *sub, const char *role, int64_t ver)
{
	(void)arg;
	(void)sub;
	(void)role;
	(void)ver;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sizeof(fuzz_secret) - 1 != 32 || tok_rev_new(&fuzz_rev) ||
	    tok_rev_token(fuzz_rev, FUZZ_REVOKED_JTI, FUZZ_NOW + 864000, FUZZ_NOW) ||
	    tok_rev_family(fuzz_rev, FUZZ_REVOKED_FAM, FUZZ_NOW + 864000, FUZZ_NOW)) {
		fprintf(stderr, "fuzz_token_claims: setup failed\n");
		exit(1);
	}
	tok_rev_set_user_check(fuzz_rev, fuzz_user_ok, NULL);
	return 0;
}

/* ---- base64url, written independently of token.c's ---- */

static const char fuzz_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Unpadded; out has room for len * 4 / 3 + 4. Returns the text's length. */
static size_t fuzz_b64_enc(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = fuzz_b64[in[i] >> 2];
		out[o++] = fuzz_b64[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = fuzz_b64[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		out[o++] = fuzz_b64[in[i + 2] & 63];
	}
	if (len - i == 1) {
		out[o++] = fuzz_b64[in[i] >> 2];
		out[o++] = fuzz_b64[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		out[o++] = fuzz_b64[in[i] >> 2];
		out[o++] = fuzz_b64[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = fuzz_b64[(in[i + 1] & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

/* Lenient: any alphabet text, low bits ignored. -1 on a character outside it. */
static long fuzz_b64_dec(const char *s, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		const char *p = memchr(fuzz_b64, s[i], 64);

		if (!p || !s[i])
			return -1;
		acc = acc << 6 | (uint32_t)(p - fuzz_b64);
		bits += 6;
		if (bits >= 8) {
			out[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (long)o;
}

/* text + "." + base64url(HMAC-SHA256(secret, text)), malloc'd. */
static char *fuzz_sign(const char *text, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *jwt = malloc(len + 64);

	if (!jwt)
		return NULL;
	if (!HMAC(EVP_sha256(), fuzz_secret, 32, (const unsigned char *)text, len, mac, &maclen) ||
	    maclen != 32)
		fuzz_fail("HMAC failed");
	memcpy(jwt, text, len);
	jwt[len] = '.';
	fuzz_b64_enc(mac, maclen, jwt + len + 1);
	return jwt;
}

/* base64url(header) "." base64url(payload), signed. */
static char *fuzz_token(const unsigned char *h, size_t hlen, const unsigned char *p, size_t plen)
{
	char *text = malloc(hlen * 4 / 3 + plen * 4 / 3 + 16), *jwt;
	size_t n;

	if (!text)
		return NULL;
	n = fuzz_b64_enc(h, hlen, text);
	text[n++] = '.';
	n += fuzz_b64_enc(p, plen, text + n);
	jwt = fuzz_sign(text, n);
	free(text);
	return jwt;
}

/* ---- what an accepted token must be ---- */

static int fuzz_uuid4(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

static int fuzz_sub_ok(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return n >= 1 && n <= TOK_SUB_MAX;
}

static int fuzz_role_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > TOK_ROLE_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static const char *fuzz_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fuzz_fail("accepted: a string claim is missing or not a string");
	return json_string_value(v);
}

static int64_t fuzz_jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fuzz_fail("accepted: a numeric claim is missing or not an integer");
	return json_integer_value(v);
}

static void fuzz_check_accepted(const unsigned char *h, size_t hlen, const unsigned char *p,
				size_t plen, enum tok_type expect, const struct tok_claims *c)
{
	static const char *const keys[] = { "iss", "aud", "sub", "role", "typ", "jti",
					    "fam", "iat", "nbf", "exp", "ver" };
	int64_t ttl = expect == TOK_ACCESS ? fuzz_cfg.access_ttl_s : fuzz_cfg.refresh_ttl_s;
	int64_t lw = fuzz_cfg.leeway_s;
	json_t *hj, *pj, *v;
	const char *key;
	size_t i;

	hj = json_loadb((const char *)h, hlen, JSON_REJECT_DUPLICATES, NULL);
	pj = json_loadb((const char *)p, plen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(hj) || !json_is_object(pj))
		fuzz_fail("accepted: header or payload is not a JSON object without duplicates");
	json_object_foreach(hj, key, v)
	{
		if (strcmp(key, "alg") && strcmp(key, "typ"))
			fuzz_fail("accepted: a header parameter besides alg and typ");
	}
	if (strcmp(fuzz_jstr(hj, "alg"), "HS256") ||
	    (json_object_get(hj, "typ") && strcmp(fuzz_jstr(hj, "typ"), "JWT")))
		fuzz_fail("accepted: alg is not HS256 or typ is not JWT");
	if (json_object_size(pj) != sizeof(keys) / sizeof(keys[0]))
		fuzz_fail("accepted: the payload has other claims than ours");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_get(pj, keys[i]))
			fuzz_fail("accepted: a claim is missing");
	if (strcmp(fuzz_jstr(pj, "iss"), FUZZ_ISS) || strcmp(fuzz_jstr(pj, "aud"), FUZZ_AUD))
		fuzz_fail("accepted: wrong issuer or audience");
	if (strcmp(fuzz_jstr(pj, "typ"), fuzz_type[expect]) || c->typ != expect)
		fuzz_fail("accepted: wrong token type");
	if (!fuzz_sub_ok(c->sub) || !fuzz_role_ok(c->role) || !fuzz_uuid4(c->jti) ||
	    !fuzz_uuid4(c->fam))
		fuzz_fail("accepted: malformed sub, role, jti or fam");
	if (strcmp(fuzz_jstr(pj, "sub"), c->sub) || strcmp(fuzz_jstr(pj, "role"), c->role) ||
	    strcmp(fuzz_jstr(pj, "jti"), c->jti) || strcmp(fuzz_jstr(pj, "fam"), c->fam))
		fuzz_fail("accepted: *out differs from the payload's strings");
	if (fuzz_jint(pj, "iat") != c->iat || fuzz_jint(pj, "nbf") != c->nbf ||
	    fuzz_jint(pj, "exp") != c->exp || fuzz_jint(pj, "ver") != c->ver)
		fuzz_fail("accepted: *out differs from the payload's numbers");
	if (!strcmp(c->jti, FUZZ_REVOKED_JTI) || !strcmp(c->fam, FUZZ_REVOKED_FAM))
		fuzz_fail("accepted: a revoked token or family");
	if (c->ver < 0 || c->exp <= FUZZ_NOW - lw || c->nbf > FUZZ_NOW + lw ||
	    c->iat > FUZZ_NOW + lw || c->iat < FUZZ_NOW - ttl - lw || c->exp <= c->iat ||
	    c->exp - c->iat > ttl)
		fuzz_fail("accepted: times outside the rules");
	json_decref(hj);
	json_decref(pj);
}

/* Verify jwt; on acceptance check it against the header and payload it was made of. */
static int fuzz_verify(const char *jwt, const unsigned char *h, size_t hlen, const unsigned char *p,
		       size_t plen, enum tok_type expect)
{
	struct tok_claims c;
	const char *why = NULL;
	int r;

	r = tok_verify(&fuzz_cfg, jwt, expect, FUZZ_NOW, fuzz_rev, &c, &why);
	if (r != 0 && r != -EACCES)
		fuzz_fail("tok_verify returned neither 0 nor -EACCES");
	if (r && (!why || !*why))
		fuzz_fail("refusal without a reason");
	if (!r)
		fuzz_check_accepted(h, hlen, p, plen, expect, &c);
	return r;
}

/* Mode 3: the signing input as given; accepted segments must be canonical. */
static void fuzz_text(const char *text, size_t len, enum tok_type expect)
{
	unsigned char *h = NULL, *p = NULL;
	const char *dot = memchr(text, '.', len);
	char *jwt, *again = NULL;
	long hn, pn;
	size_t n;

	if (memchr(text, '\0', len))
		return;
	jwt = fuzz_sign(text, len);
	if (!jwt)
		return;
	if (!dot) {
		if (!tok_verify(&fuzz_cfg, jwt, expect, FUZZ_NOW, fuzz_rev, NULL, NULL))
			fuzz_fail("accepted a token of two segments");
		goto out;
	}
	h = malloc(len + 1);
	p = malloc(len + 1);
	again = malloc(len * 2 + 8);
	if (!h || !p || !again)
		goto out;
	hn = fuzz_b64_dec(text, (size_t)(dot - text), h);
	pn = fuzz_b64_dec(dot + 1, len - (size_t)(dot + 1 - text), p);
	if (hn < 0 || pn < 0) {
		if (!tok_verify(&fuzz_cfg, jwt, expect, FUZZ_NOW, fuzz_rev, NULL, NULL))
			fuzz_fail("accepted a segment outside the base64url alphabet");
		goto out;
	}
	if (fuzz_verify(jwt, h, (size_t)hn, p, (size_t)pn, expect))
		goto out;
	n = fuzz_b64_enc(h, (size_t)hn, again);
	again[n++] = '.';
	n += fuzz_b64_enc(p, (size_t)pn, again + n);
	if (n != len || memcmp(again, text, len))
		fuzz_fail("accepted a token whose segments are not canonical base64url");
out:
	free(again);
	free(h);
	free(p);
	free(jwt);
}

/* Mode 2: what tok_issue makes verifies until it expires, as its own type only. */
static void fuzz_issue(const uint8_t *d, size_t n, enum tok_type typ, int with_fam, int revoked)
{
	int64_t ttl = typ == TOK_ACCESS ? fuzz_cfg.access_ttl_s : fuzz_cfg.refresh_ttl_s;
	enum tok_type other = typ == TOK_ACCESS ? TOK_REFRESH : TOK_ACCESS;
	const char *fam = with_fam ? (revoked ? FUZZ_REVOKED_FAM : FUZZ_OTHER_FAM) : NULL;
	struct tok_claims issued, got;
	char *sub = NULL, *role = NULL, *jwt = NULL;
	const char *rest, *nul;
	int64_t ver, age;
	size_t rn;
	int r, ok;

	if (n < 2)
		return;
	revoked = with_fam && revoked;
	ver = d[0];
	age = (int64_t)d[1] * 60;
	rest = (const char *)d + 2;
	rn = n - 2;
	nul = memchr(rest, '\0', rn);
	sub = strndup(rest, nul ? (size_t)(nul - rest) : rn);
	role = nul ? strndup(nul + 1, rn - (size_t)(nul + 1 - rest)) : strdup("");
	if (!sub || !role)
		goto out;
	r = tok_issue(&fuzz_cfg, typ, sub, role, ver, fam, FUZZ_NOW - age, &jwt, &issued);
	ok = fuzz_sub_ok(sub) && fuzz_role_ok(role);
	if (r != (ok ? 0 : -EINVAL))
		fuzz_fail("tok_issue's verdict on sub and role differs from token.h's rules");
	if (r)
		goto out;
	r = tok_verify(&fuzz_cfg, jwt, typ, FUZZ_NOW, fuzz_rev, &got, NULL);
	if ((r == 0) != (age < ttl + fuzz_cfg.leeway_s && !revoked)) {
		fprintf(stderr, "fuzz_token_claims: issued %llds ago, revoked %d: verify %d\n",
			(long long)age, revoked, r);
		fuzz_fail("an issued token's verdict is not what its age and family say");
	}
	if (!r && (got.typ != issued.typ || strcmp(got.sub, issued.sub) ||
		   strcmp(got.role, issued.role) || strcmp(got.jti, issued.jti) ||
		   strcmp(got.fam, issued.fam) || got.iat != issued.iat || got.nbf != issued.nbf ||
		   got.exp != issued.exp || got.ver != issued.ver))
		fuzz_fail("verified claims differ from the issued ones");
	if (!tok_verify(&fuzz_cfg, jwt, other, FUZZ_NOW, fuzz_rev, NULL, NULL))
		fuzz_fail("a token verified as the other type");
out:
	free(jwt);
	free(sub);
	free(role);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const uint8_t *sep, *h, *p;
	enum tok_type expect;
	size_t hlen, plen;
	char *jwt = NULL;

	if (size < 1 || size > TOK_MAX_LEN)
		return 0;
	expect = data[0] & 1 ? TOK_REFRESH : TOK_ACCESS;
	switch ((data[0] >> 1) & 3) {
	case 0:
		jwt = fuzz_token(hdr, sizeof(hdr) - 1, data + 1, size - 1);
		if (jwt)
			fuzz_verify(jwt, hdr, sizeof(hdr) - 1, data + 1, size - 1, expect);
		break;
	case 1:
		h = data + 1;
		sep = memchr(h, 0xff, size - 1);
		hlen = sep ? (size_t)(sep - h) : size - 1;
		p = sep ? sep + 1 : data + size;
		plen = (size_t)(data + size - p);
		jwt = fuzz_token(h, hlen, p, plen);
		if (jwt)
			fuzz_verify(jwt, h, hlen, p, plen, expect);
		break;
	case 2:
		fuzz_issue(data + 1, size - 1, expect, data[0] & 8, data[0] & 16);
		break;
	case 3:
		fuzz_text((const char *)data + 1, size - 1, expect);
		break;
	}
	free(jwt);
	return 0;
}
