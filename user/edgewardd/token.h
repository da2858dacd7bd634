/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * API tokens: HS256 JWTs made with libjwt, an access token (1 h) and a
 * refresh token (7 d) per login, and their verification, which is all ours:
 * libjwt 1.10 checks a signature with the algorithm the token names and no
 * claim at all.
 *
 * Verification, in order: at most TOK_MAX_LEN bytes; exactly three
 * unpadded base64url segments in canonical form; a header that is a JSON
 * object without duplicate keys holding "alg":"HS256" exactly and at most
 * "typ":"JWT" besides (kid, jku, jwk, crit, ... are refused: we are the only
 * issuer and use none of them); the HMAC-SHA256 computed here and compared
 * with CRYPTO_memcmp (not libjwt's jwt_decode, which would let the token
 * choose the algorithm); a payload that is a JSON object without duplicate
 * keys holding exactly our claims: iss, aud, sub, role, typ, jti, fam (strings)
 * and iat, nbf, exp, ver (integers). "aud" must be a string equal to ours: an
 * array is refused, since we never issue one. Then iss and aud match, exp >
 * now - leeway, nbf and iat <= now + leeway, iat no older than the type's
 * TTL, exp - iat no longer than it, typ as expected, jti and fam UUIDs v4,
 * neither revoked.
 *
 * Revocation has three parts, all in struct tok_revocations:
 *  - one token by jti until its exp (logout of that token);
 *  - a whole family by fam (logout, refresh-token reuse): every access and
 *    refresh token descending from one login carries the same fam;
 *  - everything a user holds (logout everywhere, password, role or account
 *    change): tokens carry the user's token_version in "ver", and a user
 *    check callback (users_token_check) refuses any token whose ver is not
 *    the user's current one, or whose user is gone or disabled. tok_verify
 *    refuses every token while no user check is set, so this cannot be
 *    forgotten.
 *
 * Refresh tokens rotate: tok_refresh accepts each one once. A second use
 * means a copy exists somewhere, so the whole family is revoked and the
 * newer refresh token stops working too (RFC 6819 5.2.2.3; two clients
 * racing with one token are treated the same way).
 *
 * Not thread-safe: the daemon's event loop owns the revocation list.
 */
#ifndef EW_TOKEN_H
#define EW_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOK_MAX_LEN 4096	/* longer tokens are refused before any parsing */
#define TOK_SECRET_MIN 32	/* bytes: HS256 keys shorter than the hash are refused */
#define TOK_SUB_MAX 64
#define TOK_ROLE_MAX 31
#define TOK_ID_LEN 36		/* a UUID in its canonical text form */
#define TOK_LEEWAY_MAX 300	/* seconds; revocations are kept this long past their expiry */

enum tok_type {
	TOK_ACCESS = 1,
	TOK_REFRESH = 2,
};

struct tok_cfg {
	const unsigned char *secret;
	size_t secret_len;	/* at least TOK_SECRET_MIN */
	const char *issuer;
	const char *audience;
	int64_t access_ttl_s;	/* 3600 */
	int64_t refresh_ttl_s;	/* 604800 */
	int64_t leeway_s;	/* clock skew tolerated, 0..TOK_LEEWAY_MAX */
};

struct tok_claims {
	enum tok_type typ;
	char sub[TOK_SUB_MAX + 1];
	char role[TOK_ROLE_MAX + 1];
	char jti[TOK_ID_LEN + 1];
	char fam[TOK_ID_LEN + 1];
	int64_t iat, nbf, exp;	/* seconds since the epoch */
	int64_t ver;		/* the user's token_version at issue */
};

struct tok_revocations;

/* 0 when sub may still use tokens issued with ver and role, else nonzero. */
typedef int (*tok_user_check_fn)(void *arg, const char *sub, const char *role, int64_t ver);

/* 0, or -EINVAL with a reason for the config's error message. */
int tok_cfg_check(const struct tok_cfg *cfg, const char **why);

/*
 * Sign a token of type typ for sub with role and the user's token version.
 * fam NULL starts a new family (a login); a refresh passes the old one.
 * *jwt is malloc'd; claims (may be NULL) receives what was signed.
 * 0, -EINVAL (bad cfg or argument), -ENOMEM or -EIO (no randomness).
 */
int tok_issue(const struct tok_cfg *cfg, enum tok_type typ, const char *sub, const char *role,
	      int64_t ver, const char *fam, int64_t now, char **jwt, struct tok_claims *claims);

/*
 * 0 and the claims in out (may be NULL) when jwt is a valid, unrevoked
 * token of type expect at now; otherwise -EACCES and a short reason in *why
 * for the log (never for the client: all refusals look the same to it).
 */
int tok_verify(const struct tok_cfg *cfg, const char *jwt, enum tok_type expect, int64_t now,
	       const struct tok_revocations *rev, struct tok_claims *out, const char **why);

/*
 * Rotate a refresh token: verify it as TOK_REFRESH; refuse it and revoke
 * its family if it was used before; else mark it used and issue a new
 * refresh token in the same family and a new access token (malloc'd;
 * access_claims may be NULL). 0, -EACCES with *why, or -errno.
 */
int tok_refresh(const struct tok_cfg *cfg, struct tok_revocations *rev, const char *refresh_jwt,
		int64_t now, char **access, char **refresh, struct tok_claims *access_claims,
		const char **why);

/* Logout: revoke this token and its whole family. */
int tok_logout(const struct tok_cfg *cfg, struct tok_revocations *rev, const struct tok_claims *c,
	       int64_t now);

/* An empty revocation list kept in memory only. */
int tok_rev_new(struct tok_revocations **out);

/*
 * Load the list saved at path (a missing file gives an empty list, a
 * malformed one -EINVAL) and remember path: every later change is saved
 * there before it returns, so a revocation survives a crash.
 */
int tok_rev_open(const char *path, int64_t now, struct tok_revocations **out);
void tok_rev_free(struct tok_revocations *rev);

void tok_rev_set_user_check(struct tok_revocations *rev, tok_user_check_fn fn, void *arg);

/* Revoke one token until exp, or a family until until (both seconds since the epoch). */
int tok_rev_token(struct tok_revocations *rev, const char *jti, int64_t exp, int64_t now);
int tok_rev_family(struct tok_revocations *rev, const char *fam, int64_t until, int64_t now);

/* Drop entries past their expiry (plus TOK_LEEWAY_MAX); returns how many went. */
size_t tok_rev_prune(struct tok_revocations *rev, int64_t now);
size_t tok_rev_count(const struct tok_revocations *rev);

/* Prune, then write the list to path atomically (temp file, fsync, rename, fsync dir), 0600. */
int tok_rev_save(struct tok_revocations *rev, const char *path, int64_t now);
int tok_rev_load(const char *path, int64_t now, struct tok_revocations **out);

#endif
