// SPDX-License-Identifier: GPL-2.0-only
/*
 * RFC 6238 TOTP with HMAC-SHA1 for operator MFA; see totp.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "log.h"
#include "totp.h"

#define TOTP_KEY_MIN 16
#define TOTP_KEY_MAX 40

static const char totp_b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void totp_b32_encode(const uint8_t *in, size_t len, char *out)
{
	uint32_t buf = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		buf = buf << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = totp_b32_alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)
		out[o++] = totp_b32_alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

int totp_b32_decode(const char *b32, uint8_t *key, size_t keysize)
{
	size_t len = strlen(b32), i, o = 0;
	uint32_t buf = 0;
	int bits = 0, v;
	char c;

	/* Lengths whose last character would carry only padding bits are not base32. */
	switch (len % 8) {
	case 1:
	case 3:
	case 6:
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		c = b32[i];
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -EINVAL;
		buf = buf << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= keysize)
				return -ENOSPC;
			key[o++] = (uint8_t)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	if (o < TOTP_KEY_MIN)
		return -EINVAL;
	return (int)o;
}

int totp_secret_new(char *b32, size_t size)
{
	uint8_t key[TOTP_SECRET_BYTES];

	if (size < (TOTP_SECRET_BYTES * 8 + 4) / 5 + 1)
		return -ENOSPC;
	if (RAND_bytes(key, sizeof(key)) != 1) {
		log_warnx("totp_secret_new: RAND_bytes failed");
		return -EIO;
	}
	totp_b32_encode(key, sizeof(key), b32);
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/* RFC 3986 unreserved characters pass; everything else becomes %XX. */
static void totp_pct(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

static int totp_label_ok(const char *s)
{
	if (!*s || strlen(s) > 255)
		return 0;
	for (; *s; s++)
		if (*s == ':' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int totp_uri(const char *issuer, const char *account, const char *b32, char **out)
{
	uint8_t key[TOTP_KEY_MAX];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	*out = NULL;
	if (!totp_label_ok(issuer) || !totp_label_ok(account))
		return -EINVAL;
	rc = totp_b32_decode(b32, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0)
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs("otpauth://totp/", f);
	totp_pct(f, issuer);
	fputc(':', f);
	totp_pct(f, account);
	fputs("?secret=", f);
	fputs(b32, f);
	fputs("&issuer=", f);
	totp_pct(f, issuer);
	fprintf(f, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_PERIOD_S);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

/* RFC 4226 section 5.3: HMAC-SHA1 of the big-endian counter, dynamic truncation. */
static int totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, char code[7])
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, off;
	uint32_t bin;
	int i;

	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)counter;
		counter >>= 8;
	}
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen) || maclen != 20)
		return -EIO;
	off = mac[19] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	snprintf(code, 7, "%06u", bin % 1000000);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int totp_code(const char *b32, uint64_t counter, char code[TOTP_DIGITS + 1])
{
	uint8_t key[TOTP_KEY_MAX];
	int n, rc;

	n = totp_b32_decode(b32, key, sizeof(key));
	if (n < 0)
		return -EINVAL;
	rc = totp_hotp(key, (size_t)n, counter, code);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int totp_check(const char *b32, const char *code, int64_t now_s, int64_t *last_step)
{
	uint8_t key[TOTP_KEY_MAX];
	char want[TOTP_DIGITS + 1];
	int64_t step, s, best = -1;
	int n, i, rc = -EACCES;

	n = totp_b32_decode(b32, key, sizeof(key));
	if (n < 0)
		return -EINVAL;
	if (now_s < 0)
		goto out;
	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			goto out;
	if (code[TOTP_DIGITS] != '\0')
		goto out;
	step = now_s / TOTP_PERIOD_S;
	for (s = step - TOTP_SKEW_STEPS; s <= step + TOTP_SKEW_STEPS; s++) {
		if (s < 0)
			continue;
		if (totp_hotp(key, (size_t)n, (uint64_t)s, want)) {
			rc = -EIO;
			goto out;
		}
		/* Every candidate is compared whatever the earlier ones gave. */
		if (!CRYPTO_memcmp(want, code, TOTP_DIGITS) && s > *last_step && s > best)
			best = s;
	}
	if (best >= 0) {
		*last_step = best;
		rc = 0;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}
