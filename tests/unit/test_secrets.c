// SPDX-License-Identifier: GPL-2.0-only
/*
 * Secrets at rest: values come back as sealed; every single-byte change
 * to a sealed value, a truncation, another record's aad, another key or an
 * unknown key id is refused; rotation keeps old values open and seals new
 * ones with the new key; hostile keyring files are refused with the line
 * that is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "secrets.h"

static char tmpdir[64];
static int seq;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ewsec.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void new_path(char *p, size_t len)
{
	snprintf(p, len, "%s/keys%d", tmpdir, seq++);
}

/* A fresh keyring at p, loaded. */
static struct sec_keyring *fresh(char *p, size_t len)
{
	struct sec_keyring *k;
	char err[256];
	int rc;

	new_path(p, len);
	rc = sec_keyring_create(p, err, sizeof(err));
	if (rc)
		fail_msg("create %s: %s", p, err);
	rc = sec_keyring_load(p, &k, err, sizeof(err));
	if (rc)
		fail_msg("load %s: %s", p, err);
	return k;
}

static void write_file(const char *p, const char *s, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static void test_create_and_round_trip(void **state)
{
	static const char totp[] = "JBSWY3DPEHPK3PXP";
	struct sec_keyring *k;
	char p[128], err[256];
	unsigned char bin[300];
	struct stat st;
	size_t len, i;
	void *pt;
	char *b;

	(void)state;
	k = fresh(p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	if ((st.st_mode & 0777) != 0600)
		fail_msg("new keyring mode %04o, expected 0600", st.st_mode & 0777);
	assert_string_equal(sec_active_kid(k), "k1");
	assert_int_equal(sec_keyring_create(p, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, p));

	b = sec_seal(k, "totp:alice", totp, strlen(totp));
	assert_non_null(b);
	assert_true(!strncmp(b, "ewsec1:k1:", 10));
	/* nonce 12 + 16 bytes + tag 16 = 44 bytes = 60 base64 characters. */
	assert_int_equal(strlen(b), 10 + 60);
	assert_int_equal(sec_open(k, "totp:alice", b, &pt, &len), 0);
	assert_int_equal(len, strlen(totp));
	assert_memory_equal(pt, totp, len);
	assert_int_equal(((char *)pt)[len], '\0');
	sec_free(pt, len);
	free(b);

	/* Empty and binary values, and a large one. */
	b = sec_seal(k, "", NULL, 0);
	assert_non_null(b);
	assert_int_equal(sec_open(k, "", b, &pt, &len), 0);
	assert_int_equal(len, 0);
	sec_free(pt, len);
	free(b);
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)i;
	b = sec_seal(k, "webhook:siem", bin, sizeof(bin));
	assert_int_equal(sec_open(k, "webhook:siem", b, &pt, &len), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(pt, bin, sizeof(bin));
	sec_free(pt, len);
	free(b);
	{
		char *big = malloc(SEC_MAX_PLAINTEXT + 1);

		memset(big, 'z', SEC_MAX_PLAINTEXT + 1);
		b = sec_seal(k, "x", big, SEC_MAX_PLAINTEXT);
		assert_non_null(b);
		assert_int_equal(sec_open(k, "x", b, &pt, &len), 0);
		assert_int_equal(len, SEC_MAX_PLAINTEXT);
		sec_free(pt, len);
		free(b);
		errno = 0;
		assert_null(sec_seal(k, "x", big, SEC_MAX_PLAINTEXT + 1));
		assert_int_equal(errno, EINVAL);
		free(big);
	}
	errno = 0;
	assert_null(sec_seal(k, NULL, "x", 1));
	assert_int_equal(errno, EINVAL);
	assert_null(sec_seal(NULL, "x", "x", 1));
	assert_null(sec_seal(k, "x", NULL, 1));
	sec_keyring_free(k);
	sec_keyring_free(NULL);
}

/* Every byte of a sealed value changed to every other value, and every truncation. */
static void test_every_tamper_fails(void **state)
{
	struct sec_keyring *k;
	char p[128], *b, *t;
	size_t n, i, len;
	int v;

	(void)state;
	k = fresh(p, sizeof(p));
	b = sec_seal(k, "totp:alice", "secret!", 7);
	n = strlen(b);
	t = malloc(n + 1);
	for (i = 0; i < n; i++) {
		for (v = 1; v < 256; v++) {
			void *pt = NULL;
			int rc;

			if (v == (unsigned char)b[i])
				continue;
			memcpy(t, b, n + 1);
			t[i] = (char)v;
			rc = sec_open(k, "totp:alice", t, &pt, &len);
			if (rc >= 0 || pt)
				fail_msg("byte %zu of \"%s\" changed to 0x%02x still opens", i, b,
					 v);
			if (rc != -EINVAL && rc != -EBADMSG && rc != -ENOKEY)
				fail_msg(
				    "byte %zu = 0x%02x: %d, expected -EINVAL, -EBADMSG or -ENOKEY",
				    i, v, rc);
		}
		/* Cut after i bytes. */
		memcpy(t, b, n + 1);
		t[i] = '\0';
		{
			void *pt = NULL;

			if (sec_open(k, "totp:alice", t, &pt, &len) >= 0)
				fail_msg("\"%s\" cut to %zu bytes still opens", b, i);
		}
	}
	/* One byte added. */
	{
		char *longer = malloc(n + 2);
		void *pt;

		memcpy(longer, b, n);
		longer[n] = 'A';
		longer[n + 1] = '\0';
		assert_true(sec_open(k, "totp:alice", longer, &pt, &len) < 0);
		free(longer);
	}
	free(t);
	free(b);
	sec_keyring_free(k);
}

static void test_wrong_aad_key_kid(void **state)
{
	struct sec_keyring *k, *other;
	char p[128], p2[128], *b, *swapped;
	size_t len;
	void *pt;

	(void)state;
	k = fresh(p, sizeof(p));
	other = fresh(p2, sizeof(p2));	/* also "k1", another key */
	b = sec_seal(k, "totp:alice", "seed", 4);
	/* alice's seed in bob's record. */
	assert_int_equal(sec_open(k, "totp:bob", b, &pt, &len), -EBADMSG);
	assert_null(pt);
	assert_int_equal(sec_open(k, "totp:alice ", b, &pt, &len), -EBADMSG);
	assert_int_equal(sec_open(k, "", b, &pt, &len), -EBADMSG);
	assert_int_equal(sec_open(other, "totp:alice", b, &pt, &len), -EBADMSG);
	/* The key id is authenticated: relabelled, it does not open either. */
	{
		struct sec_keyring *k2;
		char err[256];

		assert_int_equal(sec_keyring_rotate(p, err, sizeof(err)), 0);
		assert_int_equal(sec_keyring_load(p, &k2, err, sizeof(err)), 0);
		assert_string_equal(sec_active_kid(k2), "k2");
		swapped = strdup(b);
		swapped[8] = '2';	/* "ewsec1:k2:..." */
		assert_int_equal(sec_open(k2, "totp:alice", swapped, &pt, &len), -EBADMSG);
		free(swapped);
		/* Unknown key id: sealed with k2, opened with the keyring before rotation. */
		free(b);
		b = sec_seal(k2, "totp:alice", "seed", 4);
		assert_true(!strncmp(b, "ewsec1:k2:", 10));
		assert_int_equal(sec_open(k, "totp:alice", b, &pt, &len), -ENOKEY);
		sec_keyring_free(k2);
	}
	assert_int_equal(sec_open(k, NULL, b, &pt, &len), -EINVAL);
	assert_int_equal(sec_open(k, "x", NULL, &pt, &len), -EINVAL);
	free(b);
	sec_keyring_free(k);
	sec_keyring_free(other);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"ewsec1",
		"ewsec1:",
		"ewsec1:k1",
		"ewsec1:k1:",
		"ewsec2:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"EWSEC1:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"ewsec1::AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"ewsec1:k!:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"ewsec1:k1234567890abcdefg:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"ewsec1:k1:AAAA",	/* shorter than nonce + tag */
		/* not a multiple of 4 */
		"ewsec1:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* 28 bytes: well formed (only the tag can refuse it) */
		"ewsec1:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		/* non-canonical: padding bits set */
		"ewsec1:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",
		"ewsec1:k1:AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAA",
		"ewsec1:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"ewsec1:k1:AAAAAAAAAAAAAAAAAAAA=AAAAAAAAAAAAAAAAAAA",
		"ewsec1:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:",
		/* base64url is not base64 */
		"ewsec1:k1:-_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	struct sec_keyring *k;
	char p[128];
	size_t i, len;
	void *pt;

	(void)state;
	k = fresh(p, sizeof(p));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* One row is well formed (zeros): only the tag can refuse it. */
		bool tag_only = strstr(bad[i], "AA==") != NULL;
		int rc = sec_open(k, "x", bad[i], &pt, &len);

		if (tag_only ? rc != -EBADMSG : rc != -EINVAL)
			fail_msg("\"%s\": %d, expected %s", bad[i], rc,
				 tag_only ? "-EBADMSG" : "-EINVAL");
		assert_null(pt);
	}
	sec_keyring_free(k);
}

static void test_nonces_differ(void **state)
{
	struct sec_keyring *k;
	char p[128], *b[64];
	int i, j;

	(void)state;
	k = fresh(p, sizeof(p));
	for (i = 0; i < 64; i++) {
		b[i] = sec_seal(k, "totp:alice", "same", 4);
		assert_non_null(b[i]);
		/* The first 16 base64 characters after "ewsec1:k1:" are the 12-byte nonce. */
		for (j = 0; j < i; j++)
			if (!strncmp(b[i] + 10, b[j] + 10, 16))
				fail_msg("seals %d and %d share a nonce: %.16s", j, i, b[i] + 10);
	}
	for (i = 0; i < 64; i++)
		free(b[i]);
	sec_keyring_free(k);
}

static void test_rotation(void **state)
{
	struct sec_keyring *k1, *k;
	char p[128], err[256], *old, *new;
	size_t len;
	void *pt;
	int i;

	(void)state;
	k1 = fresh(p, sizeof(p));
	old = sec_seal(k1, "totp:alice", "v1", 2);
	assert_int_equal(sec_keyring_rotate(p, err, sizeof(err)), 0);
	assert_int_equal(sec_keyring_load(p, &k, err, sizeof(err)), 0);
	assert_string_equal(sec_active_kid(k), "k2");
	assert_int_equal(sec_open(k, "totp:alice", old, &pt, &len), 0);
	assert_memory_equal(pt, "v1", 2);
	sec_free(pt, len);
	new = sec_seal(k, "totp:alice", "v2", 2);
	assert_true(!strncmp(new, "ewsec1:k2:", 10));
	sec_keyring_free(k);
	/* More rotations; every old value keeps opening. */
	for (i = 3; i <= 5; i++) {
		char want[16];

		assert_int_equal(sec_keyring_rotate(p, err, sizeof(err)), 0);
		assert_int_equal(sec_keyring_load(p, &k, err, sizeof(err)), 0);
		snprintf(want, sizeof(want), "k%d", i);
		assert_string_equal(sec_active_kid(k), want);
		assert_int_equal(sec_open(k, "totp:alice", old, &pt, &len), 0);
		sec_free(pt, len);
		assert_int_equal(sec_open(k, "totp:alice", new, &pt, &len), 0);
		sec_free(pt, len);
		sec_keyring_free(k);
	}
	free(old);
	free(new);
	sec_keyring_free(k1);
	/* Operator-chosen ids; a file without a final newline. */
	new_path(p, sizeof(p));
	write_file(p, "# ops keys\nprod-2024 "
		      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 0600);
	assert_int_equal(sec_keyring_rotate(p, err, sizeof(err)), 0);
	assert_int_equal(sec_keyring_load(p, &k, err, sizeof(err)), 0);
	assert_string_equal(sec_active_kid(k), "k1");
	sec_keyring_free(k);
	/* A bad keyring is not rotated (nor changed). */
	new_path(p, sizeof(p));
	write_file(p, "k1 00\n", 0600);
	assert_int_equal(sec_keyring_rotate(p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1:"));
	{
		struct stat st;

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_size, 6);
	}
}

static void test_bad_keyrings(void **state)
{
	static const char key[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	static const struct {
		const char *name;
		const char *text;	/* %s: a good key */
		mode_t mode;
		int rc;
		const char *where;	/* after the path: ":2:" or ":" */
		const char *msg;
	} cases[] = {
		{ "group readable", "k1 %s\n", 0640, -EPERM, ": ", "chmod 600" },
		{ "world readable", "k1 %s\n", 0604, -EPERM, ": ", "mode 0604" },
		{ "group executable", "k1 %s\n", 0610, -EPERM, ": ", "group or others" },
		{ "bad hex",
		  "# c\nk1 zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		  0600, -EINVAL, ":2: ", "not hexadecimal" },
		{ "short key", "k1 %s\nk2 0011\n", 0600, -EINVAL, ":2: ", "4 hex digits" },
		{ "long key", "k1 %s00\n", 0600, -EINVAL, ":1: ", "66 hex digits" },
		{ "duplicate id", "k1 %s\n\n# again\nk1 %s\n", 0600, -EINVAL, ":4: ",
		  "duplicate key id \"k1\" (first on line 1)" },
		{ "empty", "", 0600, -EINVAL, ": ", "no key" },
		{ "only comments", "# nothing\n   \n\t# here\n", 0600, -EINVAL, ": ", "no key" },
		{ "id too long", "k1234567890abcdef %s\n", 0600, -EINVAL, ":1: ", "bad key id" },
		{ "bad id character", "k/1 %s\n", 0600, -EINVAL, ":1: ", "bad key id" },
		{ "no key on the line", "k1\n", 0600, -EINVAL, ":1: ", "expected 'KID HEX64'" },
		{ "extra word", "k1 %s extra\n", 0600, -EINVAL, ":1: ", "expected 'KID HEX64'" },
		{ "inline comment", "k1 %s # mine\n", 0600, -EINVAL, ":1: ", "expected" },
	};
	char p[128], err[256], text[512];
	struct sec_keyring *k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[192];
		int rc;

		new_path(p, sizeof(p));
		snprintf(text, sizeof(text), cases[i].text, key, key);
		write_file(p, text, cases[i].mode);
		k = (struct sec_keyring *)1;
		rc = sec_keyring_load(p, &k, err, sizeof(err));
		snprintf(want, sizeof(want), "%s%s", p, cases[i].where);
		if (rc != cases[i].rc || strncmp(err, want, strlen(want)) ||
		    !strstr(err, cases[i].msg))
			fail_msg("%s: %d \"%s\", expected %d \"%s...%s\"", cases[i].name, rc, err,
				 cases[i].rc, want, cases[i].msg);
		assert_null(k);
	}
	/* Accepted: CRLF lines, indentation, comments, tabs, upper-case hex. */
	new_path(p, sizeof(p));
	snprintf(text, sizeof(text), "# keys\r\n  a_1\t%s  \r\n\nB-2 %s\n", key,
		 "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
	write_file(p, text, 0400);
	{
		int rc = sec_keyring_load(p, &k, err, sizeof(err));

		if (rc)
			fail_msg("good keyring refused: %s", err);
		assert_string_equal(sec_active_kid(k), "B-2");
		sec_keyring_free(k);
	}
	/* Not a file, not there. */
	assert_int_equal(sec_keyring_load(tmpdir, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	snprintf(p, sizeof(p), "%s/missing", tmpdir);
	assert_int_equal(sec_keyring_load(p, &k, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, p));
	/* Too large. */
	new_path(p, sizeof(p));
	{
		char *huge = malloc(70000);

		memset(huge, '#', 69999);
		huge[69999] = '\0';
		write_file(p, huge, 0600);
		free(huge);
	}
	assert_int_equal(sec_keyring_load(p, &k, err, sizeof(err)), -EINVAL);
	/* Owned by someone else (only root can arrange that). */
	if (geteuid() == 0) {
		new_path(p, sizeof(p));
		snprintf(text, sizeof(text), "k1 %s\n", key);
		write_file(p, text, 0600);
		assert_int_equal(chown(p, 65534, 65534), 0);
		assert_int_equal(sec_keyring_load(p, &k, err, sizeof(err)), -EPERM);
		assert_non_null(strstr(err, "owned by uid 65534"));
	} else {
		print_message("owner check not exercised: needs root to chown\n");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_round_trip),
		cmocka_unit_test(test_every_tamper_fails),
		cmocka_unit_test(test_wrong_aad_key_kid),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nonces_differ),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_bad_keyrings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
