// SPDX-License-Identifier: GPL-2.0-only
/*
 * Passwords: argon2id hashes verify and never truncate, hostile encodings
 * are refused before libargon2 sees them, the policy refuses a table of bad
 * passwords each for its own reason and accepts long and non-ASCII ones,
 * the shipped common list is built in and holds what it must, reuse of the
 * last five is refused.
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

#include "password.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Small costs: the tests are about behaviour, not strength. */
static const struct pw_params fast = { .t_cost = 1, .m_cost_kib = 1024, .parallelism = 1 };

static void test_hash_verify(void **state)
{
	char h[PW_HASH_MAX], h2[PW_HASH_MAX], pw[PW_MAX_BYTES + 2];

	(void)state;
	assert_int_equal(pw_hash(&fast, "Correct-Horse-9", h, sizeof(h)), 0);
	assert_int_equal(strncmp(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30), 0);
	assert_int_equal(pw_verify("Correct-Horse-9", h), 0);
	assert_int_equal(pw_verify("Correct-Horse-8", h), -EACCES);
	assert_int_equal(pw_verify("", h), -EACCES);
	assert_int_equal(pw_verify("correct-horse-9", h), -EACCES);

	/* Same password, new salt, new hash. */
	assert_int_equal(pw_hash(&fast, "Correct-Horse-9", h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2);

	/* The default costs are OWASP's minimum. */
	assert_int_equal(pw_hash(NULL, "Correct-Horse-9", h2, sizeof(h2)), 0);
	assert_int_equal(strncmp(h2, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_int_equal(pw_verify("Correct-Horse-9", h2), 0);
	assert_int_equal(pw_needs_rehash(h2, NULL), 0);
	assert_int_equal(pw_needs_rehash(h, NULL), 1);
	assert_int_equal(pw_needs_rehash(h, &fast), 0);

	assert_int_equal(pw_hash(&fast, "x", h, 20), -ENOSPC);

	/* No truncation: bcrypt stops at 72 bytes, we do not stop at all. */
	memset(pw, 'a', PW_MAX_BYTES);
	pw[PW_MAX_BYTES] = '\0';
	assert_int_equal(pw_hash(&fast, pw, h, sizeof(h)), 0);
	assert_int_equal(pw_verify(pw, h), 0);
	pw[PW_MAX_BYTES - 1] = 'b';
	assert_int_equal(pw_verify(pw, h), -EACCES);
	pw[72] = '\0';
	assert_int_equal(pw_verify(pw, h), -EACCES);
	memset(pw, 'a', PW_MAX_BYTES + 1);
	pw[PW_MAX_BYTES + 1] = '\0';
	assert_int_equal(pw_hash(&fast, pw, h, sizeof(h)), -EINVAL);
	assert_int_equal(pw_verify(pw, h2), -EINVAL);
}

static void test_params_and_encodings(void **state)
{
	static const char *const bad[] = {
		"",
		"plain",
		"$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2d$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		/* 4 GiB: one verify would allocate it. */
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=1024,t=100000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=1024,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=1024,t=1,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=01024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=+1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m= 1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhh",
		"$argon2id$v=19$t=1,m=1024,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=1024,t=1,p=1$",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$",
		"$argon2id$v=19$m=1024,t=1,p=1$!!!!$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
	};
	struct pw_params p;
	const char *why;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (pw_verify("anything", bad[i]) != -EINVAL)
			fail_msg("encoding \"%s\" was not refused with -EINVAL", bad[i]);

	assert_int_equal(pw_params_check(&pw_params_default, &why), 0);
	p = fast;
	p.t_cost = 0;
	assert_int_equal(pw_params_check(&p, &why), -EINVAL);
	p = fast;
	p.m_cost_kib = 4;
	assert_int_equal(pw_params_check(&p, &why), -EINVAL);
	p = fast;
	p.m_cost_kib = 2 * 1024 * 1024;
	assert_int_equal(pw_params_check(&p, &why), -EINVAL);
	p = fast;
	p.parallelism = 17;
	assert_int_equal(pw_params_check(&p, &why), -EINVAL);
	assert_int_equal(pw_hash(&p, "x", (char[PW_HASH_MAX]){ 0 }, PW_HASH_MAX), -EINVAL);
}

static char *repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit), i;
	char *s = malloc(len * n + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

static void test_policy_table(void **state)
{
	static const struct {
		const char *pw;
		const char *why;	/* a part of the reason */
	} bad[] = {
		{ "", "at least 12" },
		{ "Aa1!", "at least 12" },
		{ "Abcdefg1!xy", "at least 12" },		/* 11 */
		{ "Zürich-1!ab", "at least 12" },		/* 11 characters, 12 bytes */
		{ "abcdefgh1!xyz", "uppercase" },
		{ "ABCDEFGH1!XYZ", "lowercase" },
		{ "Abcdefghij!xyz", "digit" },
		{ "Abcdefghij1xyz", "special" },
		{ "Abcdefg hij1xyz", "special" },		/* a space is not special */
		{ "abcdefghijklmnop", "uppercase" },
		{ "123456789012", "uppercase" },
		{ "!!!!!!!!!!!!", "uppercase" },
		{ "Password123!", "common" },
		{ "P@ssw0rd1234", "common" },
		{ "p@SSW0RD1234", "common" },
		{ "Welcome@2024", "common" },
		{ "Qwerty@12345", "common" },
		{ "Admin@123456", "common" },
		{ "Summer2024!!", "common" },
		{ "Iloveyou@123", "common" },
		{ "Changeme123!", "common" },
		{ "1qaz@WSX3edc", "common" },
		{ "Zaq12wsx!@#$", "common" },
		{ "Password1234!", "common" },
		{ "Secure!Alice2024", "username" },
		{ "xxALICExx-12a", "username" },
		{ "Tab\there-is-1A", "control" },
		{ "New\nline-is-1A", "control" },
		{ "Del\x7fhere-is-1A", "control" },
		{ "C1\xc2\x85here-is-1A", "control" },		/* U+0085 NEL */
		{ "Bad\xffutf8-is-1A", "UTF-8" },
		{ "Overlong\xc0\xafis-1A", "UTF-8" },
		{ "Surrogate\xed\xa0\x80-1A", "UTF-8" },
		{ "Beyond\xf4\x90\x80\x80-1Aa", "UTF-8" },
		{ "Truncated-1Aa\xe2\x82", "UTF-8" },
		{ "Zero\xe2\x80\x8bwidth-1A", "invisible" },	/* U+200B */
		{ "Bidi\xe2\x80\xaeoverride-1A", "invisible" },	/* U+202E */
		{ "Bom\xef\xbb\xbfinside-1Aa", "invisible" },	/* U+FEFF */
	};
	static const char *const good[] = {
		"Tr0ub4dor&3-Horse",
		"correct horse Battery staple 7!",
		"Zürich-Lake-2031!",		/* multibyte Latin */
		"Пароль-Надёжный-42",		/* Cyrillic upper and lower */
		"Ελληνικά-Κωδικός-9",		/* Greek */
		"密码很长很长的密码Aa1!",	/* CJK: letters without case, plus ASCII */
		"Emoji-\xf0\x9f\x94\x92-lock-9z",	/* U+1F512 as the special character */
		"   Spaces-Around-1   ",
		"Aa1!Aa1!Aa1!",
	};
	char why[160];
	char *s;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		if (pw_policy_check(&pw_policy_default, bad[i].pw, "alice", NULL, 0, why,
				    sizeof(why)) != -EINVAL)
			fail_msg("bad password #%u \"%s\" was accepted", i, bad[i].pw);
		if (!strstr(why, bad[i].why))
			fail_msg("bad password #%u \"%s\": reason \"%s\", want one with \"%s\"", i,
				 bad[i].pw, why, bad[i].why);
	}
	for (i = 0; i < ARRAY_SIZE(good); i++)
		if (pw_policy_check(&pw_policy_default, good[i], "alice", NULL, 0, why,
				    sizeof(why)))
			fail_msg("good password \"%s\" refused: %s", good[i], why);

	/* 128 and 1000 characters are fine; 1025 bytes are not; multibyte counts bytes there. */
	s = repeat("Ab3$", 32);
	assert_int_equal(strlen(s), 128);
	if (pw_policy_check(&pw_policy_default, s, "alice", NULL, 0, why, sizeof(why)))
		fail_msg("128-character password refused: %s", why);
	free(s);
	s = repeat("Ab3$Xy7%Qz", 100);
	if (pw_policy_check(&pw_policy_default, s, "alice", NULL, 0, why, sizeof(why)))
		fail_msg("1000-character password refused: %s", why);
	free(s);
	s = repeat("Ab3$", 257);
	assert_int_equal(pw_policy_check(&pw_policy_default, s, "alice", NULL, 0, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "longer than 1024"));
	free(s);
	s = repeat("Éé1€", 113);	/* 4 characters, 8 bytes: 904 bytes */
	if (pw_policy_check(&pw_policy_default, s, "alice", NULL, 0, why, sizeof(why)))
		fail_msg("multibyte 452-character password refused: %s", why);
	free(s);

	/* Each requirement can be switched off, the minimum moved. */
	{
		struct pw_policy p = pw_policy_default;

		p.require_special = false;
		assert_int_equal(pw_policy_check(&p, "Abcdefghij1xyz", NULL, NULL, 0, why,
						 sizeof(why)),
				 0);
		p.min_chars = 20;
		assert_int_equal(pw_policy_check(&p, "Abcdefghij1xyz", NULL, NULL, 0, why,
						 sizeof(why)),
				 -EINVAL);
		p = pw_policy_default;
		p.refuse_common = false;
		assert_int_equal(pw_policy_check(&p, "P@ssw0rd1234", NULL, NULL, 0, why,
						 sizeof(why)),
				 0);
	}
	/* Names of one or two characters are not searched for. */
	assert_int_equal(pw_policy_check(&pw_policy_default, "Alpine-Lake-12", "al", NULL, 0, why,
					 sizeof(why)),
			 0);
}

/* The built-in list is the shipped file, and it holds at least 30 entries the rules pass. */
static void test_common_list(void **state)
{
	struct pw_policy rules = pw_policy_default;
	char line[256], why[160], up[256];
	unsigned int n = 0, passing = 0, i;
	FILE *f;

	(void)state;
	rules.refuse_common = false;
	f = fopen("data/common-passwords.txt", "r");
	if (!f)
		fail_msg("cannot open data/common-passwords.txt (run from the repo root)");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || !strncmp(line, "#!comment", 9))
			continue;
		n++;
		if (!pw_is_common(line))
			fail_msg("\"%s\" is in the file but not in the built-in list", line);
		/* Case does not help: the rules need an uppercase letter anyway. */
		for (i = 0; line[i]; i++)
			up[i] = (char)(i == 0 && line[i] >= 'a' && line[i] <= 'z' ?
					       line[i] - 32 : line[i]);
		up[i] = '\0';
		if (!pw_policy_check(&rules, up, NULL, NULL, 0, why, sizeof(why))) {
			passing++;
			if (!pw_is_common(up))
				fail_msg("\"%s\" is common in lowercase only", up);
		}
	}
	fclose(f);
	if (n < 1000)
		fail_msg("common list has %u entries, want at least 1000", n);
	if (passing < 30)
		fail_msg("only %u common passwords pass the character rules, want at least 30",
			 passing);
	assert_true(pw_is_common("123456"));
	assert_true(pw_is_common("PASSWORD"));
	assert_true(pw_is_common("QWERTY@12345"));
	assert_false(pw_is_common("Qwerty@123456789-not-common"));
	assert_false(pw_is_common(""));
}

static void test_history(void **state)
{
	static const char *const pws[] = { "First-Pass-0001", "Second-Pass-002", "Third-Pass-0003",
					   "Fourth-Pass-004", "Fifth-Pass-0005", "Sixth-Pass-0006" };
	char hashes[6][PW_HASH_MAX], why[160];
	const char *hist[6];
	unsigned int i;

	(void)state;
	/* Newest first: hist[0] is the current password (the sixth). */
	for (i = 0; i < 6; i++) {
		assert_int_equal(pw_hash(&fast, pws[i], hashes[i], PW_HASH_MAX), 0);
		hist[5 - i] = hashes[i];
	}
	for (i = 1; i < 6; i++) {
		if (pw_policy_check(&pw_policy_default, pws[i], "alice", hist, 6, why,
				    sizeof(why)) != -EINVAL)
			fail_msg("reuse of \"%s\" (one of the last 5) was accepted", pws[i]);
		assert_non_null(strstr(why, "used before"));
	}
	if (pw_policy_check(&pw_policy_default, pws[0], "alice", hist, 6, why, sizeof(why)))
		fail_msg("the 6th-newest password was refused: %s", why);

	/* A broken history entry is skipped, not a reason to refuse. */
	hist[1] = "garbage";
	assert_int_equal(pw_policy_check(&pw_policy_default, "Seventh-Pass-07", "alice", hist, 6,
					 why, sizeof(why)),
			 0);
}

static void test_expiry_and_utf8(void **state)
{
	static const char *const bad[] = { "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
					   "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
					   "\xe2\x82", "\xff" };
	struct pw_policy p = pw_policy_default;
	size_t i, k;
	uint32_t cp;

	(void)state;
	assert_int_equal(pw_expired(&p, 1000, 1000 + 90 * 86400 - 1), 0);
	assert_int_equal(pw_expired(&p, 1000, 1000 + 90 * 86400), 1);
	p.max_age_s = 0;
	assert_int_equal(pw_expired(&p, 0, INT64_MAX / 2), 0);

	i = 0;
	assert_int_equal(pw_utf8_next("\xf0\x9f\x94\x92", 4, &i, &cp), 0);
	assert_int_equal(cp, 0x1f512);
	assert_int_equal(i, 4);
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		i = 0;
		if (pw_utf8_next(bad[k], strlen(bad[k]), &i, &cp) != -EILSEQ)
			fail_msg("UTF-8 case %zu decoded to U+%04X", k, cp);
	}
	assert_true(pw_is_upper(0xc9));		/* É */
	assert_true(pw_is_lower(0x3b1));	/* α */
	assert_true(pw_is_letter(0x5bc6));	/* 密 */
	assert_false(pw_is_letter(0x1f512));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_params_and_encodings),
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_common_list),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_expiry_and_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
