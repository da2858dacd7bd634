// SPDX-License-Identifier: GPL-2.0-only
/*
 * The risk score against the shared case table tests/data/risk_cases.json
 * (the SQL function must give the same numbers), each case with its history
 * in the given order and reversed (the order of observation must not
 * matter); then the memory bounds: eviction, pruning, long names, many
 * addresses.
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

#include <jansson.h>

#include "risk.h"

#define NOW 1700000000LL

static const char *str_or_null(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));	/* null gives NULL */
}

static void observe(struct risk_ctx *rc, json_t *h, int64_t now)
{
	int64_t age = json_integer_value(json_object_get(h, "age_s"));

	risk_observe(rc, str_or_null(h, "type"), str_or_null(h, "user"), str_or_null(h, "ip"),
		     str_or_null(h, "result"), now - age);
}

static json_t *load_cases(int64_t *now)
{
	const char *dir = getenv("EW_TEST_DATA");
	char path[512];
	json_error_t err;
	json_t *doc;

	snprintf(path, sizeof(path), "%s/risk_cases.json", dir ? dir : "tests/data");
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!doc)
		fail_msg("%s:%d: %s (run from the repository root or set EW_TEST_DATA)", path,
			 err.line, err.text);
	*now = json_integer_value(json_object_get(doc, "now"));
	assert_true(*now > 0);
	return doc;
}

static void test_case_table(void **state)
{
	json_t *doc, *cases, *c;
	int64_t now;
	size_t i;

	(void)state;
	doc = load_cases(&now);
	cases = json_object_get(doc, "cases");
	assert_true(json_array_size(cases) >= 25);
	json_array_foreach(cases, i, c) {
		json_t *hist = json_object_get(c, "history"), *ev = json_object_get(c, "event");
		int want = (int)json_integer_value(json_object_get(c, "expected"));
		int order;

		assert_true(json_is_array(hist) && json_is_object(ev));
		for (order = 0; order < 2; order++) {
			struct risk_ctx *rc = risk_new();
			size_t k, n = json_array_size(hist);
			int got;

			assert_non_null(rc);
			for (k = 0; k < n; k++)
				observe(rc, json_array_get(hist, order ? n - 1 - k : k), now);
			got = risk_score(rc, str_or_null(ev, "type"), str_or_null(ev, "user"),
					 str_or_null(ev, "ip"),
					 json_is_true(json_object_get(ev, "privileged")), now);
			if (got != want)
				fail_msg("case %zu \"%s\"%s: score %d, expected %d", i + 1,
					 str_or_null(c, "name"), order ? " (history reversed)" : "",
					 got, want);
			risk_free(rc);
		}
	}
	json_decref(doc);
}

static void test_base(void **state)
{
	(void)state;
	assert_int_equal(risk_base("failed_login"), 20);
	assert_int_equal(risk_base("admin_action"), 30);
	assert_int_equal(risk_base("data_export"), 40);
	assert_int_equal(risk_base("permission_escalation"), 50);
	assert_int_equal(risk_base("suspicious_activity"), 60);
	assert_int_equal(risk_base("failed_login "), 10);
	assert_int_equal(risk_base(""), 10);
	assert_int_equal(risk_base(NULL), 10);
}

/* Scoring records nothing: the same question twice has the same answer. */
static void test_score_is_pure(void **state)
{
	struct risk_ctx *rc = risk_new();

	(void)state;
	assert_int_equal(risk_score(rc, "failed_login", "a", "192.0.2.1", false, NOW), 45);
	assert_int_equal(risk_score(rc, "failed_login", "a", "192.0.2.1", false, NOW), 45);
	assert_int_equal(risk_users(rc), 0);
	risk_free(rc);
	risk_free(NULL);
}

/* Windows move with now: a failure stops counting after an hour, a place after 30 days. */
static void test_windows_move(void **state)
{
	struct risk_ctx *rc = risk_new();

	(void)state;
	risk_observe(rc, "failed_login", "a", "192.0.2.1", "failure", NOW);
	risk_observe(rc, "login_success", "a", "192.0.2.1", "success", NOW);
	assert_int_equal(risk_score(rc, "x", "a", "192.0.2.1", false, NOW + 3599), 25);
	assert_int_equal(risk_score(rc, "x", "a", "192.0.2.1", false, NOW + 3600), 10);
	assert_int_equal(risk_score(rc, "x", "a", "192.0.2.1", false, NOW + 2591999), 10);
	assert_int_equal(risk_score(rc, "x", "a", "192.0.2.1", false, NOW + 2592000), 35);
	risk_free(rc);
}

/* Words that are not addresses are NULL: they never make a place known. */
static void test_non_addresses(void **state)
{
	static const char *const bad[] = { "unix", "local", "", "192.0.2.1 ", "fe80::1%eth0" };
	struct risk_ctx *rc = risk_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		risk_observe(rc, "login_success", "a", bad[i], "success", NOW);
		if (risk_score(rc, "x", "a", bad[i], false, NOW) != 35)
			fail_msg("address \"%s\" became a known place", bad[i]);
	}
	assert_int_equal(risk_users(rc), 0);	/* nothing worth keeping was seen */
	risk_free(rc);
}

static void test_eviction(void **state)
{
	struct risk_ctx *rc = risk_new();
	char name[32];
	int i;

	(void)state;
	risk_observe(rc, "failed_login", "first", "192.0.2.1", "failure", NOW);
	risk_observe(rc, "failed_login", "kept", "192.0.2.1", "failure", NOW);
	for (i = 0; i < RISK_MAX_USERS - 2; i++) {
		snprintf(name, sizeof(name), "spray%d", i);
		risk_observe(rc, "failed_login", name, "198.51.100.1", "failure", NOW);
		if (i == RISK_MAX_USERS / 2)	/* "kept" is seen again: no longer the oldest */
			risk_observe(rc, "failed_login", "kept", "192.0.2.1", "failure", NOW);
	}
	assert_int_equal(risk_users(rc), RISK_MAX_USERS);
	assert_int_equal(risk_score(rc, "failed_login", "first", "192.0.2.1", false, NOW), 60);
	/* One more user evicts the least recently observed one: "first". */
	risk_observe(rc, "failed_login", "newcomer", "198.51.100.1", "failure", NOW);
	assert_int_equal(risk_users(rc), RISK_MAX_USERS);
	assert_int_equal(risk_score(rc, "failed_login", "first", "192.0.2.1", false, NOW), 45);
	assert_int_equal(risk_score(rc, "failed_login", "kept", "192.0.2.1", false, NOW), 75);
	assert_int_equal(risk_score(rc, "failed_login", "newcomer", "192.0.2.1", false, NOW), 60);
	/* An hour later everything is prunable. */
	assert_int_equal(risk_prune(rc, NOW + 3599), 0);
	assert_int_equal(risk_prune(rc, NOW + 3600), RISK_MAX_USERS);
	assert_int_equal(risk_users(rc), 0);
	risk_free(rc);
}

static void test_prune(void **state)
{
	struct risk_ctx *rc = risk_new();

	(void)state;
	risk_observe(rc, "failed_login", "a", "192.0.2.1", "failure", NOW);
	risk_observe(rc, "login_success", "b", "192.0.2.2", "success", NOW);
	risk_observe(rc, "failed_login", "c", "192.0.2.3", "failure", NOW);
	risk_observe(rc, "login_success", "c", "192.0.2.3", "success", NOW);
	assert_int_equal(risk_users(rc), 3);
	assert_int_equal(risk_prune(rc, NOW + 3600), 1);	/* a: its failure expired */
	assert_int_equal(risk_users(rc), 2);
	/* c keeps its place but not its failure. */
	assert_int_equal(risk_score(rc, "x", "c", "192.0.2.3", false, NOW + 3600), 10);
	assert_int_equal(risk_prune(rc, NOW + RISK_LOC_WINDOW_S - 1), 0);
	assert_int_equal(risk_prune(rc, NOW + RISK_LOC_WINDOW_S), 2);
	assert_int_equal(risk_users(rc), 0);
	/* The context stays usable. */
	risk_observe(rc, "failed_login", "a", "192.0.2.1", "failure", NOW);
	assert_int_equal(risk_score(rc, "failed_login", "a", "192.0.2.1", false, NOW), 60);
	risk_free(rc);
}

/* Long names are kept by digest: distinct names stay distinct, the same name matches. */
static void test_long_names(void **state)
{
	struct risk_ctx *rc = risk_new();
	char *a = malloc(100001), *b = malloc(100001);

	(void)state;
	memset(a, 'x', 100000);
	a[100000] = '\0';
	memcpy(b, a, 100001);
	b[99999] = 'y';
	risk_observe(rc, "failed_login", a, "192.0.2.1", "failure", NOW);
	risk_observe(rc, "failed_login", a, "192.0.2.1", "failure", NOW);
	assert_int_equal(risk_score(rc, "failed_login", a, "192.0.2.1", false, NOW), 75);
	assert_int_equal(risk_score(rc, "failed_login", b, "192.0.2.1", false, NOW), 45);
	/* A name exactly at the limit is kept as it is, and differs from one byte more. */
	a[RISK_NAME_MAX] = '\0';
	risk_observe(rc, "failed_login", a, "192.0.2.1", "failure", NOW);
	assert_int_equal(risk_score(rc, "failed_login", a, "192.0.2.1", false, NOW), 60);
	assert_int_equal(risk_users(rc), 2);
	free(a);
	free(b);
	risk_free(rc);
}

/* More addresses than kept: the one with the oldest success goes, the rest stay known. */
static void test_many_addresses(void **state)
{
	struct risk_ctx *rc = risk_new();
	char ip[32];
	int i;

	(void)state;
	for (i = 0; i < RISK_IPS_PER_USER; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		risk_observe(rc, "login_success", "roamer", ip, "success", NOW - 100 + i);
	}
	risk_observe(rc, "login_success", "roamer", "198.51.100.1", "success", NOW);
	assert_int_equal(risk_score(rc, "x", "roamer", "198.51.100.1", false, NOW), 10);
	assert_int_equal(risk_score(rc, "x", "roamer", "192.0.2.1", false, NOW), 35);	/* oldest */
	for (i = 1; i < RISK_IPS_PER_USER; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		if (risk_score(rc, "x", "roamer", ip, false, NOW) != 10)
			fail_msg("%s forgotten, expected only 192.0.2.1 to go", ip);
	}
	/* An older success than all kept ones changes nothing. */
	risk_observe(rc, "login_success", "roamer", "203.0.113.1", "success", NOW - 1000);
	assert_int_equal(risk_score(rc, "x", "roamer", "203.0.113.1", false, NOW), 35);
	assert_int_equal(risk_score(rc, "x", "roamer", "192.0.2.2", false, NOW), 10);
	risk_free(rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_table),  cmocka_unit_test(test_base),
		cmocka_unit_test(test_score_is_pure), cmocka_unit_test(test_windows_move),
		cmocka_unit_test(test_non_addresses), cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_prune),	    cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_many_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
