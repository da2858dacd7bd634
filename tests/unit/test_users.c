// SPDX-License-Identifier: GPL-2.0-only
/*
 * The operator store: username spellings, record validation, lockout that
 * follows the account through every spelling and treats unknown names the
 * same way, hard lock, password policy and history through the store,
 * expiry, token versions, TOTP enrolment and replay, the file's round trip,
 * and a sealed TOTP secret moved into another record.
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

#include "password.h"
#include "secrets.h"
#include "totp.h"
#include "users.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1700000000LL	/* a multiple of 30 plus 20: mid-step */
#define ALICE_PW "Blue-Kettle-Sings-7"
#define BOB_PW "Green-Anchor-Drifts-3"

struct fx {
	char dir[64];
	char path[128];
	struct sec_keyring *keys;
	struct users_policy pol;
	struct users *u;
};

static const struct users_new alice = {
	.name = "alice",
	.email = "alice@example.com",
	.first_name = "Alice",
	.last_name = "O'Neil",
	.phone = "+14155550123",
	.role = "employee",
};

static const struct users_new bob = {
	.name = "Bob",
	.email = "bob.smith+ops@mail.example.org",
	.first_name = "Bob",
	.last_name = "Smith-Jones",
	.phone = "",
	.role = "admin",
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char kpath[192], err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_users.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/users.json", f->dir);
	snprintf(kpath, sizeof(kpath), "%s/keyring", f->dir);
	if (sec_keyring_create(kpath, err, sizeof(err)) ||
	    sec_keyring_load(kpath, &f->keys, err, sizeof(err)))
		fail_msg("keyring: %s", err);
	users_policy_default(&f->pol);
	/* Small argon2 costs keep the suite fast; the code path is the same. */
	f->pol.pw = (struct pw_params){ .t_cost = 1, .m_cost_kib = 1024, .parallelism = 1 };
	assert_int_equal(users_open(f->path, &f->pol, f->keys, &f->u), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	users_close(f->u);
	sec_keyring_free(f->keys);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void add(struct fx *f, const struct users_new *in, const char *pw)
{
	char why[256];

	if (users_add(f->u, in, pw, NOW - 86400, why, sizeof(why)))
		fail_msg("users_add %s: %s", in->name, why);
}

static struct users_auth auth(struct fx *f, const char *name, const char *pw, const char *code,
			      int64_t now)
{
	struct users_auth r;

	assert_int_equal(users_authenticate(f->u, name, pw, code, now, &r), 0);
	return r;
}

static void test_normalise(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "alice", "alice" },	    { "Alice", "alice" },	{ "ALICE", "alice" },
		{ " alice ", "alice" },	    { "\talice\n", "alice" },	{ "\r\n\v\falice", "alice" },
		{ "a.b_c-d", "a.b_c-d" },   { "0day", "0day" },	{ "J.Smith", "j.smith" },
		{ "a", "a" },
		{ "a123456789012345678901234567890123456789012345678901234567890123",
		  "a123456789012345678901234567890123456789012345678901234567890123" },
	};
	static const char *const bad[] = {
		"",
		"   ",
		"\xd0\xb0lice",			/* Cyrillic а */
		"alic\xd0\xb5",			/* Cyrillic е */
		"\xef\xbc\xa1lice",		/* fullwidth Ａ */
		"al\xe2\x80\x8bice",		/* zero-width space */
		"alice\xc2\xa0",		/* trailing no-break space: not ASCII whitespace */
		"\xc2\xa0" "alice",
		"ali ce",
		"ali\tce",
		"alice\x01",
		"al\x7fice",
		"alice@example.com",
		"alice/..",
		"alice;drop",
		".alice",
		"-alice",
		"_alice",
		"al\xc3\xaf" "ce",			/* ï */
		"a1234567890123456789012345678901234567890123456789012345678901234",	/* 65 */
		"\xff\xfe",
	};
	char out[USERS_NAME_MAX + 1];
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		if (users_name_normalise(ok[i].in, out))
			fail_msg("\"%s\" refused, want \"%s\"", ok[i].in, ok[i].out);
		if (strcmp(out, ok[i].out))
			fail_msg("\"%s\" became \"%s\", want \"%s\"", ok[i].in, out, ok[i].out);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (users_name_normalise(bad[i], out) != -EINVAL)
			fail_msg("spelling #%u \"%s\" normalised to \"%s\", want refused", i, bad[i],
				 out);
}

static void test_fields(void **state)
{
	static const char *const email_ok[] = { "a@b.co", "first.last@example.com",
						"o'neil@example.ie", "x+tag@sub.example.org",
						"A_B-C@EXAMPLE.COM", "1@2-3.example" };
	static const char *const email_bad[] = {
		"", "plain", "@example.com", "a@", "a@b", "a@b.c", "a@@b.com", "a@b@c.com",
		".a@b.com", "a.@b.com", "a..b@c.com", "a@b..com", "a@-b.com", "a@b-.com",
		"a b@c.com", "a@b c.com", "<script>@x.com", "a@b.c0m", "a@b.com.", "a'@b.com",
		"\xd0\xb0@b.com", "a@\xd0\xb1.com", "a\n@b.com",
	};
	static const char *const name_ok[] = { "Alice", "O'Neil", "Smith-Jones", "Mary Ann",
					       "Zoë", "José", "Łukasz", "Ørsted", "Дмитрий",
					       "佐藤", "D’Angelo", "Jose\xcc\x81" /* decomposed é */ };
	static const char *const name_bad[] = {
		"", " Alice", "Alice ", "Mary  Ann", "-Alice", "'Alice", "Alice1", "Alice!",
		"<script>", "Al\tice", "Al\nice", "\xcc\x81" "Alice", "Robert'); DROP TABLE",
		"\xff", "Alice\xe2\x80\x8b",
		"Abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijk",	/* 51 */
	};
	static const char *const phone_ok[] = { "+14155550123", "+442071838750", "+12",
						"+123456789012345" };
	static const char *const phone_bad[] = { "14155550123", "+04155550123", "+1",
						 "+1234567890123456", "+1 415 555 0123",
						 "+1-415-555-0123", "+1415555012a", "++14155550123",
						 "+\xd9\xa1\xd9\xa2" };
	const char *why;
	char buf[512];
	unsigned int i;
	struct fx *f = *state;
	struct users_new in = alice;

	for (i = 0; i < ARRAY_SIZE(email_ok); i++)
		if (users_check_email(email_ok[i], &why))
			fail_msg("email \"%s\" refused: %s", email_ok[i], why);
	for (i = 0; i < ARRAY_SIZE(email_bad); i++)
		if (users_check_email(email_bad[i], &why) != -EINVAL)
			fail_msg("email #%u \"%s\" accepted", i, email_bad[i]);
	{
		char long_email[300];

		memset(long_email, 'a', 250);
		strcpy(long_email + 250, "@b.com");
		assert_int_equal(users_check_email(long_email, &why), -EINVAL);
		assert_non_null(strstr(why, "255"));
	}
	for (i = 0; i < ARRAY_SIZE(name_ok); i++)
		if (users_check_person_name(name_ok[i], &why))
			fail_msg("name \"%s\" refused: %s", name_ok[i], why);
	for (i = 0; i < ARRAY_SIZE(name_bad); i++)
		if (users_check_person_name(name_bad[i], &why) != -EINVAL)
			fail_msg("name #%u \"%s\" accepted", i, name_bad[i]);
	for (i = 0; i < ARRAY_SIZE(phone_ok); i++)
		if (users_check_phone(phone_ok[i], &why))
			fail_msg("phone \"%s\" refused: %s", phone_ok[i], why);
	for (i = 0; i < ARRAY_SIZE(phone_bad); i++)
		if (users_check_phone(phone_bad[i], &why) != -EINVAL)
			fail_msg("phone #%u \"%s\" accepted", i, phone_bad[i]);
	for (i = 0; i < 5; i++) {
		static const char *const roles[] = { "admin", "manager", "financial", "employee",
						     "viewer" };

		assert_int_equal(users_check_role(f->u, roles[i], &why), 0);
	}
	assert_int_equal(users_check_role(f->u, "customer", &why), -EINVAL);
	assert_int_equal(users_check_role(f->u, "Admin", &why), -EINVAL);
	assert_int_equal(users_check_role(f->u, "admin ", &why), -EINVAL);
	assert_int_equal(users_check_role(f->u, "", &why), -EINVAL);

	/* Every bad field is named, each with its reason. */
	in.name = "al ice";
	in.email = "nope";
	in.first_name = "Al1ce";
	in.phone = "12345";
	in.role = "root";
	assert_int_equal(users_validate(f->u, &in, buf, sizeof(buf)), -EINVAL);
	if (!strstr(buf, "name:") || !strstr(buf, "email:") || !strstr(buf, "first_name:") ||
	    !strstr(buf, "phone:") || !strstr(buf, "role:") || strstr(buf, "last_name:"))
		fail_msg("users_validate reasons: \"%s\"", buf);
	assert_int_equal(users_add(f->u, &in, ALICE_PW, NOW, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(users_get(f->u, "al ice", &(struct users_info){ 0 }), -ENOENT);

	/* One account per normalised name. */
	add(f, &alice, ALICE_PW);
	in = alice;
	in.name = " ALICE ";
	assert_int_equal(users_add(f->u, &in, BOB_PW, NOW, buf, sizeof(buf)), -EEXIST);
	in.name = "carol";
	assert_int_equal(users_add(f->u, &in, "short", NOW, buf, sizeof(buf)), -EINVAL);
	assert_non_null(strstr(buf, "at least 12"));
	in.phone = NULL;
	assert_int_equal(users_add(f->u, &in, "Wandering-Fox-42", NOW, buf, sizeof(buf)), 0);
}

/* Five failures through five spellings lock the one account; the lock ends after 30 min. */
static void test_lockout_spellings(void **state)
{
	static const char *const spell[] = { "alice", "ALICE", " Alice ", "aLiCe\t", "\nalice" };
	struct fx *f = *state;
	struct users_auth r;
	struct users_info info;
	unsigned int i;

	add(f, &alice, ALICE_PW);
	/* The store takes no source address: every address counts against the same name. */
	for (i = 0; i < 5; i++) {
		r = auth(f, spell[i], "wrong-password", NULL, NOW + i);
		assert_int_equal(r.result, USERS_AUTH_FAIL);
		assert_int_equal(r.reason, USERS_FAIL_PASSWORD);
		assert_string_equal(r.name, "alice");
		if (r.locked_now != (i == 4))
			fail_msg("attempt %u: locked_now %d", i + 1, r.locked_now);
	}
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_int_equal(info.locked_until, NOW + 4 + 1800);
	assert_int_equal(info.lockouts, 1);

	/* The right password does not open a locked account, in any spelling. */
	r = auth(f, "Alice", ALICE_PW, NULL, NOW + 10);
	assert_int_equal(r.result, USERS_AUTH_FAIL);
	assert_int_equal(r.reason, USERS_FAIL_LOCKED);
	r = auth(f, "alice", ALICE_PW, NULL, NOW + 4 + 1799);
	assert_int_equal(r.result, USERS_AUTH_FAIL);

	/* Thirty minutes after the fifth failure it does, and the counters reset. */
	r = auth(f, " ALICE", ALICE_PW, NULL, NOW + 4 + 1800);
	assert_int_equal(r.result, USERS_AUTH_OK);
	assert_string_equal(r.role, "employee");
	assert_int_equal(r.delay_ms, 0);
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_int_equal(info.failures, 0);
	assert_int_equal(info.lockouts, 0);
	assert_int_equal(users_login_delay_ms(f->u, "alice", NOW), 0);
}

/* The same attempts against a known and an unknown name: same codes, same delays, same lock. */
static void test_unknown_like_known(void **state)
{
	static const uint32_t want_delay[] = { 0, 0, 250, 500, 1000, 2000, 4000, 5000, 5000 };
	static const char *const names[] = { "alice", "nobody", "\xd0\xb0lice" /* Cyrillic */ };
	struct users_auth r[3];
	struct fx *f = *state;
	unsigned int i, k;

	add(f, &alice, ALICE_PW);
	for (i = 0; i < ARRAY_SIZE(want_delay); i++) {
		for (k = 0; k < 3; k++) {
			r[k] = auth(f, names[k], "Wrong-Password-1", NULL, NOW + i);
			if (r[k].result != USERS_AUTH_FAIL)
				fail_msg("%s attempt %u: result %d, want FAIL", names[k], i + 1,
					 r[k].result);
			if (r[k].delay_ms != want_delay[i])
				fail_msg("%s attempt %u: delay %u ms, want %u", names[k], i + 1,
					 r[k].delay_ms, want_delay[i]);
			if (r[k].locked_now != r[0].locked_now)
				fail_msg("%s attempt %u: locked_now differs from a known name",
					 names[k], i + 1);
			assert_int_equal(users_login_delay_ms(f->u, names[k], NOW + i),
					 want_delay[i]);
		}
	}
	/* What the audit journal learns differs; what the client sees does not. */
	assert_int_equal(r[1].reason, USERS_FAIL_UNKNOWN);
	assert_int_equal(r[2].reason, USERS_FAIL_BAD_NAME);
	assert_string_equal(r[2].name, "");
	/* Locked: the right password gets the same answer as any unknown name. */
	r[0] = auth(f, "alice", ALICE_PW, NULL, NOW + 100);
	r[1] = auth(f, "nobody", ALICE_PW, NULL, NOW + 100);
	assert_int_equal(r[0].result, r[1].result);
	assert_int_equal(r[0].delay_ms, r[1].delay_ms);

	/* A 2000-byte password is no one's: FAIL, not an error, and no truncation to a match. */
	{
		char big[2001];

		memset(big, 'x', 2000);
		big[2000] = '\0';
		r[0] = auth(f, "nobody2", big, NULL, NOW);
		assert_int_equal(r[0].result, USERS_AUTH_FAIL);
	}
	assert_int_equal(users_authenticate(f->u, NULL, "x", NULL, NOW, &r[0]), -EINVAL);
	assert_int_equal(r[0].result, USERS_AUTH_FAIL);
}

static void lock_once(struct fx *f, const char *name, int64_t t)
{
	struct users_auth r;
	unsigned int i;

	for (i = 0; i < 5; i++)
		r = auth(f, name, "Wrong-Password-1", NULL, t);
	assert_true(r.locked_now);
}

static void test_hard_lock(void **state)
{
	struct fx *f = *state;
	struct users_auth r;
	struct users_info info;
	int64_t t = NOW;

	add(f, &alice, ALICE_PW);
	lock_once(f, "alice", t);
	t += 1800;
	lock_once(f, "alice", t);
	t += 1800;
	for (int i = 0; i < 5; i++)
		r = auth(f, "Alice", "Wrong-Password-1", NULL, t);
	assert_true(r.locked_now);
	assert_true(r.hard_locked_now);

	/* A day later the right password still fails: only an unlock helps. */
	r = auth(f, "alice", ALICE_PW, NULL, t + 86400);
	assert_int_equal(r.result, USERS_AUTH_FAIL);
	assert_int_equal(r.reason, USERS_FAIL_HARD_LOCKED);
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_true(info.hard_locked);
	assert_int_equal(info.lockouts, 3);

	assert_int_equal(users_unlock(f->u, "ALICE"), 0);
	r = auth(f, "alice", ALICE_PW, NULL, t + 86400);
	assert_int_equal(r.result, USERS_AUTH_OK);

	/* A success between lockouts starts the count again. */
	lock_once(f, "alice", t + 90000);
	lock_once(f, "alice", t + 92000);
	r = auth(f, "alice", ALICE_PW, NULL, t + 94000);
	assert_int_equal(r.result, USERS_AUTH_OK);
	lock_once(f, "alice", t + 96000);
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_false(info.hard_locked);

	/* Unknown names reach the hard lock too, and unlock clears them. */
	lock_once(f, "ghost", t);
	lock_once(f, "ghost", t + 1800);
	lock_once(f, "ghost", t + 3600);
	assert_int_equal(users_login_delay_ms(f->u, "ghost", t), 5000);
	assert_int_equal(users_unlock(f->u, "Ghost"), 0);
	assert_int_equal(users_login_delay_ms(f->u, "ghost", t), 0);
	assert_int_equal(users_unlock(f->u, "nobody-at-all"), 0);
}

static void test_password_policy(void **state)
{
	static const struct {
		const char *pw, *why;
	} bad[] = {
		{ "", "at least 12" },			{ "Sh0rt!", "at least 12" },
		{ "Short-Pass1", "at least 12" },	{ "alllowercase1!", "uppercase" },
		{ "ALLUPPERCASE1!", "lowercase" },	{ "NoDigitsHere!!", "digit" },
		{ "NoSpecials1234", "special" },	{ "Spaces Are 1 Not", "special" },
		{ "Password123!", "common" },		{ "P@ssw0rd1234", "common" },
		{ "pASSWORD123!", "common" },		{ "Welcome@2024", "common" },
		{ "Welcome@2025", "common" },		{ "Qwerty@12345", "common" },
		{ "Qwerty123456!", "common" },		{ "Admin@123456", "common" },
		{ "Administrator1!", "common" },	{ "Summer2024!!", "common" },
		{ "Winter2024!!", "common" },		{ "Changeme123!", "common" },
		{ "Letmein@1234", "common" },		{ "Football@123", "common" },
		{ "Abc@12345678", "common" },		{ "Aa123456789!", "common" },
		{ "1qaz@WSX3edc", "common" },		{ "Trustno1!234", "common" },
		{ "My-alice-Pass-1", "username" },	{ "ALICE-rules-99!", "username" },
		{ "Tab\there-Pass1!", "control" },	{ "Esc\x1b-Pass-1234", "control" },
		{ "Bad\xc3(utf8-Pass1!", "UTF-8" },	{ "Hidden\xe2\x80\x8d-Pass-1", "invisible" },
		{ "Flip\xe2\x80\xae-Pass-12", "invisible" },
	};
	char why[256], *long_pw;
	struct fx *f = *state;
	unsigned int i;

	add(f, &alice, ALICE_PW);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		if (users_set_password(f->u, "alice", NULL, bad[i].pw, NOW, why, sizeof(why)) !=
		    -EINVAL)
			fail_msg("bad password #%u \"%s\" was set", i, bad[i].pw);
		if (!strstr(why, bad[i].why))
			fail_msg("bad password #%u \"%s\": reason \"%s\", want \"%s\"", i,
				 bad[i].pw, why, bad[i].why);
	}
	assert_true(ARRAY_SIZE(bad) >= 30);

	/* Good ones: 128 and 1000 characters, multibyte, and each one logs in whole. */
	long_pw = malloc(1001);
	assert_non_null(long_pw);
	for (i = 0; i < 1000; i++)
		long_pw[i] = "Kp7#mQ2$vX"[i % 10];
	long_pw[1000] = '\0';
	{
		const char *good[] = { NULL, long_pw, "Ünïcödé-Pässwörd-2031", "Пароль-Стойкий-77",
				       "Sea shell 7 sea shore!" };
		char p128[129];

		memcpy(p128, long_pw, 128);
		p128[128] = '\0';
		good[0] = p128;
		for (i = 0; i < ARRAY_SIZE(good); i++) {
			struct users_auth r;

			if (users_set_password(f->u, "alice", NULL, good[i], NOW, why, sizeof(why)))
				fail_msg("good password #%u refused: %s", i, why);
			r = auth(f, "alice", good[i], NULL, NOW);
			if (r.result != USERS_AUTH_OK)
				fail_msg("good password #%u does not log in (reason %s)", i,
					 users_fail_reason_name(r.reason));
			if (good[i] == long_pw) {
				/* 1000 characters: the first 999 are not the password. */
				long_pw[999] = '\0';
				r = auth(f, "alice", long_pw, NULL, NOW);
				assert_int_equal(r.result, USERS_AUTH_FAIL);
				long_pw[999] = "Kp7#mQ2$vX"[9];
			}
		}
	}
	free(long_pw);

	/* Changing one's own password needs the current one. */
	assert_int_equal(users_set_password(f->u, "alice", "not-it", "Another-Good-Pw-5", NOW, why,
					    sizeof(why)),
			 -EACCES);
	assert_int_equal(users_set_password(f->u, "nobody", NULL, "Another-Good-Pw-5", NOW, why,
					    sizeof(why)),
			 -ENOENT);
}

static void test_history_and_expiry(void **state)
{
	static const char *const pws[] = { ALICE_PW, "Second-Pass-002", "Third-Pass-0003",
					   "Fourth-Pass-004", "Fifth-Pass-0005", "Sixth-Pass-0006" };
	struct fx *f = *state;
	struct users_auth r;
	char why[256];
	unsigned int i;

	add(f, &alice, pws[0]);	/* created at NOW - 1 day */
	for (i = 1; i < 6; i++)
		if (users_set_password(f->u, "alice", NULL, pws[i], NOW, why, sizeof(why)))
			fail_msg("setting \"%s\": %s", pws[i], why);
	/* The last five (the current one included) are refused, the sixth-newest is fine. */
	for (i = 1; i < 6; i++) {
		if (users_set_password(f->u, "alice", NULL, pws[i], NOW, why, sizeof(why)) !=
		    -EINVAL)
			fail_msg("reuse of \"%s\" accepted", pws[i]);
		assert_non_null(strstr(why, "used before"));
	}
	if (users_set_password(f->u, "alice", NULL, pws[0], NOW, why, sizeof(why)))
		fail_msg("the 6th-newest password was refused: %s", why);

	/* 90 days later: the right password gives PASSWORD_EXPIRED, a wrong one FAIL. */
	r = auth(f, "alice", pws[0], NULL, NOW + 90 * 86400 - 1);
	assert_int_equal(r.result, USERS_AUTH_OK);
	r = auth(f, "alice", pws[0], NULL, NOW + 90 * 86400);
	assert_int_equal(r.result, USERS_AUTH_PASSWORD_EXPIRED);
	r = auth(f, "alice", "Wrong-Password-9", NULL, NOW + 90 * 86400);
	assert_int_equal(r.result, USERS_AUTH_FAIL);
	assert_int_equal(users_set_password(f->u, "alice", pws[0], "Seventh-Pass-07",
					    NOW + 90 * 86400, why, sizeof(why)),
			 0);
	r = auth(f, "alice", "Seventh-Pass-07", NULL, NOW + 90 * 86400);
	assert_int_equal(r.result, USERS_AUTH_OK);
}

static void test_token_versions(void **state)
{
	struct fx *f = *state;
	struct users_info info;
	struct users_auth r;
	char why[256];
	int64_t v;

	add(f, &alice, ALICE_PW);
	r = auth(f, "alice", ALICE_PW, NULL, NOW);
	v = r.token_version;
	assert_int_equal(users_token_check(f->u, "alice", "employee", v), 0);
	assert_int_not_equal(users_token_check(f->u, "alice", "admin", v), 0);
	assert_int_not_equal(users_token_check(f->u, "nobody", "employee", 0), 0);

	assert_int_equal(users_set_role(f->u, "alice", "manager", why, sizeof(why)), 0);
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_int_equal(info.token_version, v + 1);
	assert_string_equal(info.role, "manager");
	assert_int_not_equal(users_token_check(f->u, "alice", "employee", v), 0);
	assert_int_not_equal(users_token_check(f->u, "alice", "manager", v), 0);
	assert_int_equal(users_token_check(f->u, "alice", "manager", v + 1), 0);
	assert_int_equal(users_set_role(f->u, "alice", "customer", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "role"));
	/* The same role again changes nothing. */
	assert_int_equal(users_set_role(f->u, "alice", "manager", why, sizeof(why)), 0);
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_int_equal(info.token_version, v + 1);

	assert_int_equal(users_set_password(f->u, "alice", NULL, "Fresh-Password-8", NOW, why,
					    sizeof(why)),
			 0);
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_int_equal(info.token_version, v + 2);
	assert_int_equal(users_revoke_tokens(f->u, "alice"), 0);
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_int_equal(info.token_version, v + 3);

	assert_int_equal(users_disable(f->u, "alice"), 0);
	assert_int_not_equal(users_token_check(f->u, "alice", "manager", v + 4), 0);
	r = auth(f, "alice", "Fresh-Password-8", NULL, NOW);
	assert_int_equal(r.result, USERS_AUTH_FAIL);
	assert_int_equal(r.reason, USERS_FAIL_DISABLED);
	assert_int_equal(users_enable(f->u, "alice"), 0);
	assert_int_equal(users_token_check(f->u, "alice", "manager", v + 4), 0);
	r = auth(f, "alice", "Fresh-Password-8", NULL, NOW);
	assert_int_equal(r.result, USERS_AUTH_OK);
	assert_int_equal(r.token_version, v + 4);

	assert_int_equal(users_delete(f->u, "ALICE"), 0);
	assert_int_not_equal(users_token_check(f->u, "alice", "manager", v + 4), 0);
	assert_int_equal(users_delete(f->u, "alice"), -ENOENT);
}

static void secret_of(const char *uri, char *b32, size_t size)
{
	const char *s = strstr(uri, "secret=");
	size_t n;

	assert_non_null(s);
	s += 7;
	n = strcspn(s, "&");
	assert_true(n < size);
	memcpy(b32, s, n);
	b32[n] = '\0';
}

static void code_at(const char *b32, int64_t t, char code[7])
{
	assert_int_equal(totp_code(b32, (uint64_t)(t / 30), code), 0);
}

static void test_mfa(void **state)
{
	struct fx *f = *state;
	struct users_info info;
	struct users_auth r;
	char *uri = NULL, b32[TOTP_B32_MAX], code[7], wrong[7];
	unsigned int i;

	add(f, &bob, BOB_PW);	/* admin: MFA required */
	add(f, &alice, ALICE_PW);	/* employee: optional */

	/* Right password, no code, nothing enrolled: MFA_REQUIRED and enrolment is due. */
	r = auth(f, "bob", BOB_PW, NULL, NOW);
	assert_int_equal(r.result, USERS_AUTH_MFA_REQUIRED);
	assert_true(r.mfa_enrol);
	/* Wrong password: FAIL, nothing about MFA. */
	r = auth(f, "bob", "Wrong-Password-1", NULL, NOW);
	assert_int_equal(r.result, USERS_AUTH_FAIL);
	assert_false(r.mfa_enrol);

	assert_int_equal(users_mfa_enrol(f->u, "bob", &uri), 0);
	assert_int_equal(strncmp(uri, "otpauth://totp/edgeward:bob?secret=", 35), 0);
	assert_non_null(strstr(uri, "&issuer=edgeward&algorithm=SHA1&digits=6&period=30"));
	secret_of(uri, b32, sizeof(b32));
	free(uri);
	/* The store keeps it sealed: the secret is nowhere in the file. */
	{
		FILE *fp = fopen(f->path, "r");
		char buf[65536];
		size_t n = fread(buf, 1, sizeof(buf) - 1, fp);

		fclose(fp);
		buf[n] = '\0';
		assert_null(strstr(buf, b32));
	}

	/* The login with password and code confirms the enrolment. */
	code_at(b32, NOW, code);
	r = auth(f, "bob", BOB_PW, code, NOW);
	assert_int_equal(r.result, USERS_AUTH_OK);
	assert_int_equal(users_get(f->u, "bob", &info), 0);
	assert_true(info.mfa_enabled);

	/* The same code again is a replay, even with the right password. */
	r = auth(f, "bob", BOB_PW, code, NOW + 5);
	assert_int_equal(r.result, USERS_AUTH_MFA_REQUIRED);
	assert_int_equal(r.reason, USERS_FAIL_MFA_CODE);
	assert_false(r.mfa_enrol);
	/* The next step's code works once. */
	code_at(b32, NOW + 30, code);
	r = auth(f, "bob", BOB_PW, code, NOW + 30);
	assert_int_equal(r.result, USERS_AUTH_OK);
	assert_int_equal(users_mfa_verify(f->u, "bob", code, NOW + 30), -EACCES);

	/* Five wrong codes lock the account like five wrong passwords. */
	code_at(b32, NOW + 60, code);
	snprintf(wrong, sizeof(wrong), "%06u", (unsigned int)(atoi(code) + 1) % 1000000u);
	for (i = 0; i < 5; i++)
		r = auth(f, "bob", BOB_PW, wrong, NOW + 60);
	assert_int_equal(r.result, USERS_AUTH_MFA_REQUIRED);
	assert_true(r.locked_now);
	r = auth(f, "bob", BOB_PW, code, NOW + 60);
	assert_int_equal(r.result, USERS_AUTH_FAIL);
	assert_int_equal(r.reason, USERS_FAIL_LOCKED);
	assert_int_equal(users_unlock(f->u, "bob"), 0);

	/* Explicit enrol and confirm for an employee; from then on MFA is required for her. */
	r = auth(f, "alice", ALICE_PW, NULL, NOW);
	assert_int_equal(r.result, USERS_AUTH_OK);
	assert_int_equal(users_mfa_enrol(f->u, "alice", &uri), 0);
	secret_of(uri, b32, sizeof(b32));
	free(uri);
	/* Until confirmed, a pending secret changes nothing for an optional-MFA user. */
	assert_int_equal(auth(f, "alice", ALICE_PW, NULL, NOW).result, USERS_AUTH_OK);
	assert_int_equal(users_mfa_confirm(f->u, "alice", "000000", NOW), -EACCES);
	assert_int_equal(users_mfa_confirm(f->u, "alice", "12345", NOW), -EACCES);
	code_at(b32, NOW - 30, code);
	assert_int_equal(users_mfa_confirm(f->u, "alice", code, NOW), 0);
	/* Confirming used that step: the code does not log in again. */
	assert_int_equal(users_mfa_verify(f->u, "alice", code, NOW), -EACCES);
	code_at(b32, NOW, code);
	assert_int_equal(users_mfa_verify(f->u, "alice", code, NOW), 0);
	assert_int_equal(users_mfa_verify(f->u, "alice", code, NOW), -EACCES);
	r = auth(f, "alice", ALICE_PW, NULL, NOW + 30);
	assert_int_equal(r.result, USERS_AUTH_MFA_REQUIRED);
	code_at(b32, NOW + 30, code);
	r = auth(f, "alice", ALICE_PW, code, NOW + 30);
	assert_int_equal(r.result, USERS_AUTH_OK);

	/* Reset (lost device) drops MFA and every token. */
	assert_int_equal(users_get(f->u, "alice", &info), 0);
	assert_int_equal(users_mfa_reset(f->u, "alice"), 0);
	assert_int_equal(users_token_check(f->u, "alice", "employee", info.token_version),
			 -EACCES);
	assert_int_equal(auth(f, "alice", ALICE_PW, NULL, NOW + 60).result, USERS_AUTH_OK);
	assert_int_equal(users_mfa_verify(f->u, "alice", code, NOW + 60), -EACCES);
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct users_info a, b, *list = NULL;
	struct users_auth r;
	struct users *u2 = NULL;
	char *uri, b32[TOTP_B32_MAX], code[7];
	struct stat st;
	size_t n;

	add(f, &alice, ALICE_PW);
	add(f, &bob, BOB_PW);
	assert_int_equal(users_mfa_enrol(f->u, "bob", &uri), 0);
	secret_of(uri, b32, sizeof(b32));
	free(uri);
	code_at(b32, NOW, code);
	assert_int_equal(auth(f, "bob", BOB_PW, code, NOW).result, USERS_AUTH_OK);
	/* Two failures: written by users_flush, not by the failing attempt itself. */
	auth(f, "alice", "Wrong-Password-1", NULL, NOW);
	auth(f, "alice", "Wrong-Password-1", NULL, NOW);
	assert_int_equal(users_flush(f->u), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(users_open(f->path, &f->pol, f->keys, &u2), 0);
	assert_int_equal(users_list(u2, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "alice");
	assert_string_equal(list[1].name, "bob");
	free(list);
	assert_int_equal(users_get(f->u, "alice", &a), 0);
	assert_int_equal(users_get(u2, "alice", &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(b.failures, 2);
	assert_string_equal(b.last_name, "O'Neil");
	assert_string_equal(b.phone, "+14155550123");
	assert_int_equal(users_get(f->u, "bob", &a), 0);
	assert_int_equal(users_get(u2, "bob", &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(b.mfa_enabled);

	/* The used TOTP step survived: no replay after a restart. */
	assert_int_equal(users_authenticate(u2, "bob", BOB_PW, code, NOW, &r), 0);
	assert_int_equal(r.result, USERS_AUTH_MFA_REQUIRED);
	code_at(b32, NOW + 30, code);
	assert_int_equal(users_authenticate(u2, "bob", BOB_PW, code, NOW + 30, &r), 0);
	assert_int_equal(r.result, USERS_AUTH_OK);
	assert_int_equal(users_authenticate(u2, "alice", ALICE_PW, NULL, NOW, &r), 0);
	assert_int_equal(r.result, USERS_AUTH_OK);
	users_close(u2);
	u2 = NULL;

	/* Hash costs changed in the config: the next good login rehashes. */
	{
		struct users_policy p = f->pol;

		p.pw.t_cost = 2;
		assert_int_equal(users_set_policy(f->u, &p), 0);
		assert_int_equal(auth(f, "alice", ALICE_PW, NULL, NOW).result, USERS_AUTH_OK);
		assert_int_equal(users_open(f->path, &p, f->keys, &u2), 0);
		assert_int_equal(users_authenticate(u2, "alice", ALICE_PW, NULL, NOW, &r), 0);
		assert_int_equal(r.result, USERS_AUTH_OK);
		users_close(u2);
		u2 = NULL;
		FILE *fp = fopen(f->path, "r");
		char buf[65536];
		size_t len = fread(buf, 1, sizeof(buf) - 1, fp);

		fclose(fp);
		buf[len] = '\0';
		assert_non_null(strstr(buf, "m=1024,t=2,p=1"));
	}

	/* A file others can read is refused. */
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(users_open(f->path, &f->pol, f->keys, &u2), -EPERM);
	assert_null(u2);
	assert_int_equal(chmod(f->path, 0600), 0);
}

/* Rewrite the store file through jansson, as an attacker with write access would. */
static void edit_file(const char *path, void (*fn)(json_t *users))
{
	json_t *root = json_load_file(path, 0, NULL);
	FILE *fp;

	assert_non_null(root);
	fn(json_object_get(root, "users"));
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(json_dumpf(root, fp, 0), 0);
	fclose(fp);
	json_decref(root);
}

static json_t *user_obj(json_t *users, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(users, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "name")), name))
			return o;
	fail_msg("no user %s in the file", name);
	return NULL;
}

static void move_secret(json_t *users)
{
	json_t *a = json_object_get(user_obj(users, "alice"), "mfa");
	json_t *b = json_object_get(user_obj(users, "bob"), "mfa");

	json_object_set(b, "secret", json_object_get(a, "secret"));
	json_object_set_new(b, "last_step", json_integer(-1));
}

static void add_field(json_t *users)
{
	json_object_set_new(user_obj(users, "alice"), "is_admin", json_true());
}

static void bad_role(json_t *users)
{
	json_object_set_new(user_obj(users, "alice"), "role", json_string("Admin"));
}

static void dup_user(json_t *users)
{
	json_array_append(users, user_obj(users, "alice"));
}

static void spelled_name(json_t *users)
{
	json_object_set_new(user_obj(users, "alice"), "name", json_string("Alice"));
}

static void test_tampered_file(void **state)
{
	struct fx *f = *state;
	struct users *u2 = NULL;
	struct users_auth r;
	char *uri, a32[TOTP_B32_MAX], b32[TOTP_B32_MAX], code[7];
	unsigned int i;
	static void (*const breaks[])(json_t *) = { add_field, bad_role, dup_user, spelled_name };

	add(f, &alice, ALICE_PW);
	add(f, &bob, BOB_PW);
	assert_int_equal(users_mfa_enrol(f->u, "alice", &uri), 0);
	secret_of(uri, a32, sizeof(a32));
	free(uri);
	code_at(a32, NOW, code);
	assert_int_equal(users_mfa_confirm(f->u, "alice", code, NOW), 0);
	assert_int_equal(users_mfa_enrol(f->u, "bob", &uri), 0);
	secret_of(uri, b32, sizeof(b32));
	free(uri);
	code_at(b32, NOW, code);
	assert_int_equal(users_mfa_confirm(f->u, "bob", code, NOW), 0);

	/* Alice's sealed secret copied into bob's record: its AAD names alice, so it won't open. */
	edit_file(f->path, move_secret);
	assert_int_equal(users_open(f->path, &f->pol, f->keys, &u2), 0);
	code_at(a32, NOW + 30, code);
	assert_int_equal(users_mfa_verify(u2, "bob", code, NOW + 30), -EACCES);
	assert_int_equal(users_authenticate(u2, "bob", BOB_PW, code, NOW + 30, &r), 0);
	assert_int_not_equal(r.result, USERS_AUTH_OK);
	code_at(b32, NOW + 30, code);
	assert_int_equal(users_mfa_verify(u2, "bob", code, NOW + 30), -EACCES);
	assert_int_equal(users_authenticate(u2, "bob", BOB_PW, code, NOW + 30, &r), 0);
	assert_int_not_equal(r.result, USERS_AUTH_OK);
	/* Alice's own secret still works for her. */
	code_at(a32, NOW + 30, code);
	assert_int_equal(users_mfa_verify(u2, "alice", code, NOW + 30), 0);
	users_close(u2);
	u2 = NULL;

	/* Malformed records refuse the whole file rather than dropping a user silently. */
	for (i = 0; i < ARRAY_SIZE(breaks); i++) {
		char cmd[320];

		snprintf(cmd, sizeof(cmd), "cp -p %s %s.orig", f->path, f->path);
		assert_int_equal(system(cmd), 0);
		edit_file(f->path, breaks[i]);
		if (users_open(f->path, &f->pol, f->keys, &u2) != -EINVAL)
			fail_msg("tampered file #%u was loaded", i);
		assert_null(u2);
		snprintf(cmd, sizeof(cmd), "mv %s.orig %s", f->path, f->path);
		assert_int_equal(system(cmd), 0);
	}
	{
		FILE *fp = fopen(f->path, "w");

		fputs("{\"version\":1,\"users\":[],\"users\":[]}", fp);
		fclose(fp);
		assert_int_equal(users_open(f->path, &f->pol, f->keys, &u2), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_normalise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_spellings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_like_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mfa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
