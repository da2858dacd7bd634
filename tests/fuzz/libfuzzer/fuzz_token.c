// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: forging an API token. The input is the token text,
 * verified as an access and as a refresh token with a fixed 32-byte secret
 * the fuzzer never sees, an empty revocation list and a user check that
 * accepts everyone, so nothing but tok_verify itself stands between the
 * input and a session.
 *
 * Without the secret no input can carry a valid HMAC, so every input must
 * be refused: tok_verify returning anything but -EACCES (0 is a forged
 * token) abort()s, and so does a refusal without a reason or one that
 * leaves claims behind in *out.
 *
 * The corpus holds well-formed tokens signed with another secret, and
 * their alg=none, kid, duplicate-key and padding variants, so the fuzzer
 * starts past the segment and header checks. (A token signed with this
 * target's secret must never go into that corpus: it would be accepted.)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

#define FUZZ_NOW 1700000000LL

/* Known to this target only; the corpus is signed with another one. */
static const unsigned char fuzz_secret[] = "fuzz-secret-6f1d0c9a5b7e4f2a8c3d";

static const struct tok_cfg fuzz_cfg = {
	.secret = fuzz_secret,
	.secret_len = 32,
	.issuer = "edgeward",
	.audience = "edgeward-api",
	.access_ttl_s = 3600,
	.refresh_ttl_s = 604800,
	.leeway_s = 30,
};

static struct tok_revocations *fuzz_rev;

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
	if (sizeof(fuzz_secret) - 1 != 32 || tok_rev_new(&fuzz_rev)) {
		fprintf(stderr, "fuzz_token: setup failed\n");
		exit(1);
	}
	tok_rev_set_user_check(fuzz_rev, fuzz_user_ok, NULL);
	return 0;
}

static void fuzz_verify(const char *jwt, enum tok_type expect)
{
	static const struct tok_claims zero;
	struct tok_claims c;
	const char *why = NULL;
	int r;

	memset(&c, 0xa5, sizeof(c));
	r = tok_verify(&fuzz_cfg, jwt, expect, FUZZ_NOW, fuzz_rev, &c, &why);
	if (r == 0) {
		fprintf(stderr, "fuzz_token: FORGED %s token accepted: sub \"%s\" role \"%s\"\n",
			expect == TOK_ACCESS ? "access" : "refresh", c.sub, c.role);
		abort();
	}
	if (r != -EACCES) {
		fprintf(stderr, "fuzz_token: tok_verify returned %d, not -EACCES\n", r);
		abort();
	}
	if (!why || !*why) {
		fprintf(stderr, "fuzz_token: refusal without a reason\n");
		abort();
	}
	if (memcmp(&c, &zero, sizeof(c))) {
		fprintf(stderr, "fuzz_token: a refused token left claims in *out (%s)\n", why);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *jwt;

	if (size > TOK_MAX_LEN + 16)
		return 0;
	jwt = strndup((const char *)data, size);
	if (!jwt)
		return 0;
	fuzz_verify(jwt, TOK_ACCESS);
	fuzz_verify(jwt, TOK_REFRESH);
	free(jwt);
	return 0;
}
