// SPDX-License-Identifier: GPL-2.0-only
/*
 * TOTP: RFC 4226 and RFC 6238 (SHA1) vectors, agreement with oathtool, the
 * skew window, replay refusal, malformed codes and secrets, otpauth URIs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "totp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "12345678901234567890", the RFC 4226 and RFC 6238 SHA1 test key. */
#define RFC_KEY "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void test_hotp_rfc4226(void **state)
{
	/* RFC 4226 appendix D: counters 0..9. */
	static const char *const want[] = { "755224", "287082", "359152", "969429", "338314",
					    "254676", "287922", "162583", "399871", "520489" };
	char code[TOTP_DIGITS + 1];
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(totp_code(RFC_KEY, i, code), 0);
		if (strcmp(code, want[i]))
			fail_msg("HOTP counter %u: got %s, want %s", i, code, want[i]);
	}
}

static void test_totp_rfc6238(void **state)
{
	/* RFC 6238 appendix B, SHA1 rows; the 8-digit codes' last 6 digits. */
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {
		{ 59, "287082" },	  { 1111111109, "081804" }, { 1111111111, "050471" },
		{ 1234567890, "005924" }, { 2000000000, "279037" }, { 20000000000, "353130" },
	};
	char code[TOTP_DIGITS + 1];
	int64_t last;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		assert_int_equal(totp_code(RFC_KEY, (uint64_t)(v[i].t / 30), code), 0);
		if (strcmp(code, v[i].code))
			fail_msg("T=%lld: got %s, want %s", (long long)v[i].t, code, v[i].code);
		last = -1;
		if (totp_check(RFC_KEY, v[i].code, v[i].t, &last))
			fail_msg("T=%lld: totp_check refused the RFC code %s", (long long)v[i].t,
				 v[i].code);
		assert_int_equal(last, v[i].t / 30);
	}
}

/* oathtool is an independent implementation: both must agree for fresh secrets and times. */
static void test_totp_oathtool(void **state)
{
	static const int64_t times[] = { 0, 29, 30, 1700000000, 1700000029, 4102444800 };
	char b32[TOTP_B32_MAX], code[TOTP_DIGITS + 1], cmd[256], line[64];
	unsigned int i, k;
	FILE *p;

	(void)state;
	for (k = 0; k < 4; k++) {
		assert_int_equal(totp_secret_new(b32, sizeof(b32)), 0);
		assert_int_equal(strlen(b32), 32);
		for (i = 0; i < ARRAY_SIZE(times); i++) {
			snprintf(cmd, sizeof(cmd), "oathtool --totp -b -N @%lld %s 2>&1",
				 (long long)times[i], b32);
			p = popen(cmd, "r");
			assert_non_null(p);
			if (!fgets(line, sizeof(line), p))
				line[0] = '\0';
			if (pclose(p) != 0)
				fail_msg("oathtool failed (is it installed?): %s", line);
			line[strcspn(line, "\n")] = '\0';
			assert_int_equal(totp_code(b32, (uint64_t)(times[i] / 30), code), 0);
			if (strcmp(code, line))
				fail_msg("secret %s T=%lld: ours %s, oathtool %s", b32,
					 (long long)times[i], code, line);
		}
	}
}

static void test_totp_window_and_replay(void **state)
{
	const int64_t now = 1700000015; /* step 56666667, 15 s into it */
	const int64_t step = now / 30;
	char prev[7], cur[7], next[7], far_prev[7], far_next[7];
	int64_t last = -1;

	(void)state;
	assert_int_equal(totp_code(RFC_KEY, (uint64_t)step - 1, prev), 0);
	assert_int_equal(totp_code(RFC_KEY, (uint64_t)step, cur), 0);
	assert_int_equal(totp_code(RFC_KEY, (uint64_t)step + 1, next), 0);
	assert_int_equal(totp_code(RFC_KEY, (uint64_t)step - 2, far_prev), 0);
	assert_int_equal(totp_code(RFC_KEY, (uint64_t)step + 2, far_next), 0);

	/* Two steps off is outside the ±1 window. */
	assert_int_equal(totp_check(RFC_KEY, far_prev, now, &last), -EACCES);
	assert_int_equal(totp_check(RFC_KEY, far_next, now, &last), -EACCES);
	assert_int_equal(last, -1);

	/* One step behind is accepted, then the same code again is a replay. */
	assert_int_equal(totp_check(RFC_KEY, prev, now, &last), 0);
	assert_int_equal(last, step - 1);
	assert_int_equal(totp_check(RFC_KEY, prev, now, &last), -EACCES);
	assert_int_equal(totp_check(RFC_KEY, prev, now + 10, &last), -EACCES);

	/* The current step is newer: accepted once. */
	assert_int_equal(totp_check(RFC_KEY, cur, now, &last), 0);
	assert_int_equal(last, step);
	assert_int_equal(totp_check(RFC_KEY, cur, now, &last), -EACCES);

	/* After a code of step+1 (a clock ahead), no older step's code is accepted. */
	assert_int_equal(totp_check(RFC_KEY, next, now, &last), 0);
	assert_int_equal(last, step + 1);
	last = step + 1;
	assert_int_equal(totp_check(RFC_KEY, cur, now + 30, &last), -EACCES);
	assert_int_equal(last, step + 1);

	/* A negative clock is refused, not wrapped. */
	last = -1;
	assert_int_equal(totp_check(RFC_KEY, cur, -30, &last), -EACCES);
}

static void test_totp_bad_codes(void **state)
{
	const int64_t now = 1111111109;
	static const char *const bad[] = {
		"",	    "8180",    "81804",	  "0081804", "081804 ", " 081804", "08180a",
		"081 804",  "+81804",  "-81804",  "081804\n", "0x1804",	 "08l804", "081804\t",
		"\xd9\xa0" "81804", /* ARABIC-INDIC DIGIT ZERO */
		"\xef\xbc\x90" "81804", /* FULLWIDTH DIGIT ZERO */
		"000000",   "999999",
	};
	int64_t last;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		last = -1;
		if (totp_check(RFC_KEY, bad[i], now, &last) != -EACCES)
			fail_msg("code \"%s\" (case %u) was not refused with -EACCES", bad[i], i);
		assert_int_equal(last, -1);
	}
}

static void test_totp_bad_secrets(void **state)
{
	static const char *const bad[] = {
		"",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ=",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ=",
		"GEZDGNBVGY3TQOJQ GEZDGNBVGY3TQOJQ",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", /* 1 is not base32 */
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ8",
		"GEZDGNBVGY3TQOJ",		      /* length 15: impossible */
		"GEZDGNBVGY3TQOJQ",		      /* 10 bytes: under 128 bits */
		"GEZDGNBVGY3TQOJQGEZDGNB",	      /* 14 bytes */
	};
	uint8_t key[64];
	char code[7];
	int64_t last = -1;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (totp_code(bad[i], 1, code) != -EINVAL)
			fail_msg("secret \"%s\" was not refused by totp_code", bad[i]);
		if (totp_check(bad[i], "123456", 1700000000, &last) != -EINVAL)
			fail_msg("secret \"%s\" was not refused by totp_check", bad[i]);
	}
	/* Lowercase is the same secret. */
	assert_int_equal(totp_b32_decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", key, sizeof(key)), 20);
	assert_memory_equal(key, "12345678901234567890", 20);
	assert_int_equal(totp_b32_decode(RFC_KEY, key, 8), -ENOSPC);
	assert_int_equal(totp_secret_new(code, sizeof(code)), -ENOSPC);
}

static void test_totp_uri(void **state)
{
	char *uri = NULL;

	(void)state;
	assert_int_equal(totp_uri("edgeward", "alice", RFC_KEY, &uri), 0);
	assert_string_equal(uri, "otpauth://totp/edgeward:alice?secret=" RFC_KEY
				 "&issuer=edgeward&algorithm=SHA1&digits=6&period=30");
	free(uri);

	assert_int_equal(totp_uri("Edge Ward & Co", "a.b-c_d@example.com", RFC_KEY, &uri), 0);
	assert_string_equal(uri, "otpauth://totp/Edge%20Ward%20%26%20Co:a.b-c_d%40example.com"
				 "?secret=" RFC_KEY "&issuer=Edge%20Ward%20%26%20Co"
				 "&algorithm=SHA1&digits=6&period=30");
	free(uri);

	/* Query and fragment characters cannot escape their field. */
	assert_int_equal(totp_uri("x?secret=AAAA&y#z", "bob", RFC_KEY, &uri), 0);
	assert_non_null(strstr(uri, "x%3Fsecret%3DAAAA%26y%23z"));
	free(uri);

	uri = (char *)1;
	assert_int_equal(totp_uri("edge:ward", "alice", RFC_KEY, &uri), -EINVAL);
	assert_null(uri);
	assert_int_equal(totp_uri("edgeward", "al:ice", RFC_KEY, &uri), -EINVAL);
	assert_int_equal(totp_uri("", "alice", RFC_KEY, &uri), -EINVAL);
	assert_int_equal(totp_uri("edgeward", "", RFC_KEY, &uri), -EINVAL);
	assert_int_equal(totp_uri("edgeward", "al\nice", RFC_KEY, &uri), -EINVAL);
	assert_int_equal(totp_uri("edgeward", "alice", "NOT*BASE32", &uri), -EINVAL);
	assert_null(uri);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_rfc4226),
		cmocka_unit_test(test_totp_rfc6238),
		cmocka_unit_test(test_totp_oathtool),
		cmocka_unit_test(test_totp_window_and_replay),
		cmocka_unit_test(test_totp_bad_codes),
		cmocka_unit_test(test_totp_bad_secrets),
		cmocka_unit_test(test_totp_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
