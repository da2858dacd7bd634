/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Operator passwords: argon2id hashing (libargon2) and the guide's password
 * policy (12+ characters with upper, lower, digit and special, no reuse of
 * the last 5, 90-day maximum age), plus what the guide leaves out: long
 * passphrases are accepted and never truncated, and the most common
 * passwords (data/common-passwords.txt, built into the binary) are refused.
 *
 * Passwords are compared byte for byte: no Unicode normalisation is applied,
 * so a client must send the same UTF-8 spelling each time.
 */
#ifndef EW_PASSWORD_H
#define EW_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest password accepted anywhere, in bytes; longer ones are refused, never cut. */
#define PW_MAX_BYTES 1024
/* Room for an encoded argon2id hash with our salt and hash lengths. */
#define PW_HASH_MAX 160

/* Argon2id cost. The default is OWASP's minimum: t=2, 19 MiB, one lane. */
struct pw_params {
	uint32_t t_cost;	/* passes over memory */
	uint32_t m_cost_kib;	/* memory, KiB */
	uint32_t parallelism;	/* lanes, and threads to compute them */
};

extern const struct pw_params pw_params_default;

struct pw_policy {
	unsigned int min_chars;		/* Unicode code points, not bytes (12) */
	unsigned int max_bytes;		/* at most PW_MAX_BYTES (1024) */
	bool require_upper;
	bool require_lower;
	bool require_digit;
	bool require_special;		/* anything not a letter, digit or space */
	bool refuse_common;		/* the shipped list of common passwords */
	unsigned int prevent_reuse;	/* how many of the newest hashes must not match (5) */
	int64_t max_age_s;		/* 90 days; 0 = passwords never expire */
};

extern const struct pw_policy pw_policy_default;

/* Refuse costs that are too weak to protect a password or so large that verify is a DoS. */
int pw_params_check(const struct pw_params *p, const char **why);

/*
 * Hash pw (at most PW_MAX_BYTES bytes) with a fresh 16-byte salt from
 * RAND_bytes into out as an "$argon2id$v=19$m=..,t=..,p=..$salt$hash"
 * string. p NULL means pw_params_default. Returns 0, -EINVAL (bad params or
 * password too long), -ENOSPC (out too small), -EIO (no randomness) or -ENOMEM.
 */
int pw_hash(const struct pw_params *p, const char *pw, char *out, size_t outlen);

/*
 * 0 when pw matches encoded, -EACCES when it does not, -EINVAL when encoded
 * is not an argon2id hash within pw_params_check's bounds (so a tampered
 * store cannot make one verify allocate gigabytes) or pw is too long.
 * The comparison is libargon2's constant-time one.
 */
int pw_verify(const char *pw, const char *encoded);

/* 1 when encoded was made with other costs than p (rehash it after a good login), else 0. */
int pw_needs_rehash(const char *encoded, const struct pw_params *p);

/*
 * 0 when pw may be set for username, else -EINVAL with a reason for the
 * operator in why. history holds encoded hashes, newest first, the current
 * password included; the first pol->prevent_reuse are verified against pw.
 */
int pw_policy_check(const struct pw_policy *pol, const char *pw, const char *username,
		    const char *const *history, size_t n_history, char *why, size_t whylen);

/* 1 when a password set at changed_at has outlived pol->max_age_s at now. */
int pw_expired(const struct pw_policy *pol, int64_t changed_at, int64_t now);

/* 1 when pw is on the common list (ASCII case-insensitive), else 0. */
int pw_is_common(const char *pw);

/*
 * Decode one UTF-8 code point of s[*i..len) strictly (no overlong forms,
 * surrogates or values past U+10FFFF) and advance *i. 0 or -EILSEQ.
 */
int pw_utf8_next(const char *s, size_t len, size_t *i, uint32_t *cp);

/* Unicode letter and case tests through the C.UTF-8 locale (ASCII only without it). */
bool pw_is_letter(uint32_t cp);
bool pw_is_upper(uint32_t cp);
bool pw_is_lower(uint32_t cp);

#endif
