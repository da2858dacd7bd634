/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TOTP second factor (RFC 6238 over RFC 4226): HMAC-SHA1, 6 digits, 30 s
 * steps, one step of clock skew either way, as every authenticator app does
 * by default. Secrets travel as RFC 4648 base32 without padding, the form
 * otpauth:// URIs and oathtool take. A code is accepted once: the caller
 * keeps the last accepted step and passes it back in.
 */
#ifndef EW_TOTP_H
#define EW_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20	/* 160 bits, RFC 4226's recommendation for SHA1 */
#define TOTP_B32_MAX 64		/* base32 of up to 40 bytes, plus NUL */
#define TOTP_DIGITS 6
#define TOTP_PERIOD_S 30
#define TOTP_SKEW_STEPS 1

/* A fresh secret from RAND_bytes, base32 (32 characters). 0, -ENOSPC (size < 33) or -EIO. */
int totp_secret_new(char *b32, size_t size);

/*
 * Decode base32 (A-Z 2-7, lowercase accepted, no padding or spaces) into
 * key. Returns the key length, or -EINVAL (bad text, or a key under RFC 4226's 128 bits)
 * or -ENOSPC.
 */
int totp_b32_decode(const char *b32, uint8_t *key, size_t keysize);

/*
 * "otpauth://totp/ISSUER:ACCOUNT?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30"
 * with issuer and account percent-encoded, in a malloc'd *out. Neither may
 * contain ':' (the label's separator) or control characters: -EINVAL.
 */
int totp_uri(const char *issuer, const char *account, const char *b32, char **out);

/* The code for counter (a time step) as 6 digits and a NUL in code. 0 or -EINVAL. */
int totp_code(const char *b32, uint64_t counter, char code[TOTP_DIGITS + 1]);

/*
 * 0 when code (exactly 6 ASCII digits) is the code of a step within one
 * step of now_s and that step is after *last_step (pass -1 for none); the
 * step is then stored in *last_step. Otherwise -EACCES, or -EINVAL for a
 * malformed secret. Every candidate step is compared in constant time.
 */
int totp_check(const char *b32, const char *code, int64_t now_s, int64_t *last_step);

#endif
