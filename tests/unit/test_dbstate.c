// SPDX-License-Identifier: GPL-2.0-only
/*
 * Roles, user roles and response rules from PostgreSQL (dbstate.c): the
 * documents shared.controller_state renders (the real function's output is
 * checked against these shapes by tests/sql and the daemon test), built into
 * RBAC tables and response rules by the config's own checks. Hostile rows
 * fail closed and are reported; ${VAR} in the database is never expanded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "dbstate.h"
#include "rbac.h"
#include "respond.h"

static json_t *doc(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (!j)
		fail_msg("bad test JSON: %s: %s", je.text, text);
	return j;
}

static struct ew_config *cfg_strict(void)
{
	static struct ew_config c;

	memset(&c, 0, sizeof(c));
	c.rbac.strict = true;
	return &c;
}

static bool may(const struct rbac *r, const char *role, const char *res, const char *act)
{
	struct rbac_ctx ctx = { .now = 1700000000 };

	return rbac_check(r, role, res, act, &ctx, NULL);
}

/* Problems reported for name, joined. */
static const char *problem_of(const json_t *problems, const char *name)
{
	static char buf[2048];
	json_t *it;
	size_t i;

	buf[0] = '\0';
	json_array_foreach(problems, i, it)
		if (!strcmp(json_string_value(json_object_get(it, "name")), name))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s|",
				 json_string_value(json_object_get(it, "error")));
	return buf;
}

static void test_roles(void **state)
{
	/* The migration's seed for two roles, one app permission, one conditioned grant. */
	json_t *s = doc(
		"{\"roles\": {"
		" \"admin\": {\"level\": 100, \"permissions\": ["
		"  {\"resource\": \"blocklist\", \"action\": \"create\", \"conditions\": {}},"
		"  {\"resource\": \"blocklist\", \"action\": \"read\", \"conditions\": {}},"
		"  {\"resource\": \"orders\", \"action\": \"read\", \"conditions\": {}}]},"
		" \"oncall\": {\"level\": 15, \"permissions\": ["
		"  {\"resource\": \"stats\", \"action\": \"read\","
		"   \"conditions\": {\"ip_range\": [\"10.0.0.0/8\"]}}]},"
		" \"Super Admin\": {\"level\": 1000, \"permissions\": ["
		"  {\"resource\": \"*\", \"action\": \"*\", \"conditions\": {}}]}"
		"}, \"users\": {\"ops@example.com\": \"oncall\"}, \"rules\": []}");
	json_t *problems = json_array();
	struct rbac *r = NULL;

	(void)state;
	assert_int_equal(dbstate_rbac(s, cfg_strict(), &r, problems), 0);
	assert_true(may(r, "admin", "blocklist", "create"));
	assert_true(may(r, "admin", "blocklist", "read"));
	/* Only what the database grants: the built-in admin's users permission is gone. */
	assert_false(may(r, "admin", "users", "create"));
	assert_false(may(r, "admin", "config", "execute"));
	/* Built-in roles the database lacks exist and hold nothing. */
	assert_true(rbac_role_exists(r, "viewer"));
	assert_false(may(r, "viewer", "stats", "read"));
	assert_false(may(r, "manager", "blocklist", "read"));
	/* admin (100) inherits oncall (15) with its condition: no address, no grant. */
	assert_false(may(r, "oncall", "stats", "read"));
	/* A name edgewardd does not accept is left out, and said so. */
	assert_false(rbac_role_exists(r, "Super Admin"));
	assert_non_null(strstr(problem_of(problems, "Super Admin"), "not a role name"));
	assert_string_equal(dbstate_user_role(s, "ops@example.com"), "oncall");
	assert_null(dbstate_user_role(s, "nobody@example.com"));
	assert_null(dbstate_user_role(NULL, "ops@example.com"));
	rbac_free(r);
	json_decref(problems);
	json_decref(s);
}

/* Each hostile role fails closed (exists, holds nothing) and names its fault. */
static void test_roles_hostile(void **state)
{
	static const struct {
		const char *perm;	/* one permission of role "bad" */
		const char *why;
	} cases[] = {
		{ "{\"resource\": \"blocklist\", \"action\": \"obliterate\", \"conditions\": {}}",
		  "obliterate" },
		{ "{\"resource\": \"blocklist\", \"action\": \"read\", \"conditions\": "
		  "\"conditions that are not an object\"}", "conditions" },
		{ "{\"resource\": \"blocklist\", \"action\": \"read\", \"conditions\": "
		  "{\"time_range\": {\"start\": \"22:00\", \"end\": \"06:00\", "
		  "\"tz\": \"unknown time zone Mars/Olympus\"}}}", "Mars/Olympus" },
		{ "{\"resource\": \"blocklist\", \"action\": \"read\", \"conditions\": "
		  "{\"ip_range\": [\"10.0.0.0/33\"]}}", "10.0.0.0/33" },
		{ "{\"resource\": \"blocklist\", \"action\": \"read\", \"conditions\": "
		  "{\"time_range\": {\"start\": \"25:00\", \"end\": \"06:00\", \"tz\": \"UTC\"}}}",
		  "25:00" },
		{ "{\"resource\": \"blocklist\", \"action\": \"read\", \"conditions\": "
		  "{\"x'; DROP TABLE rbac.roles; --\": \"1\"}}", "not a condition name" },
		{ "{\"resource\": \"blocklist\", \"action\": [\"read\", [\"nested\"]], "
		  "\"conditions\": {}}", "action" },
		{ "{\"resource\": \"blocklist\", \"action\": \"read\", \"conditions\": "
		  "{\"ip_range\": [\"${HOME}\"]}}", "${HOME}" },
	};
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *problems = json_array(), *s;
		struct rbac *r = NULL;

		snprintf(text, sizeof(text),
			 "{\"roles\": {\"bad\": {\"level\": 30, \"permissions\": [%s, "
			 "{\"resource\": \"stats\", \"action\": \"read\", \"conditions\": {}}]},"
			 " \"employee\": {\"level\": 10, \"permissions\": [{\"resource\": "
			 "\"health\", \"action\": \"read\", \"conditions\": {}}]}}, "
			 "\"users\": {}, \"rules\": []}",
			 cases[i].perm);
		s = doc(text);
		assert_int_equal(dbstate_rbac(s, cfg_strict(), &r, problems), 0);
		if (!rbac_role_exists(r, "bad"))
			fail_msg("case %zu: the role must exist", i);
		/* Nothing of its own, and nothing inherited either. */
		if (may(r, "bad", "stats", "read") || may(r, "bad", "blocklist", "read") ||
		    may(r, "bad", "health", "read"))
			fail_msg("case %zu: a bad role must hold nothing", i);
		if (!may(r, "employee", "health", "read"))
			fail_msg("case %zu: the good role must keep its permission", i);
		if (!strstr(problem_of(problems, "bad"), cases[i].why))
			fail_msg("case %zu: problem \"%s\" does not say %s", i,
				 problem_of(problems, "bad"), cases[i].why);
		rbac_free(r);
		json_decref(problems);
		json_decref(s);
	}
}

/* Levels out of range, and documents without roles. */
static void test_roles_shape(void **state)
{
	json_t *problems = json_array();
	json_t *s = doc("{\"roles\": {\"big\": {\"level\": 100000, \"permissions\": []},"
			" \"nolevel\": {\"level\": null, \"permissions\": []}}}");
	struct rbac *r = NULL;

	(void)state;
	assert_int_equal(dbstate_rbac(s, cfg_strict(), &r, problems), 0);
	assert_non_null(strstr(problem_of(problems, "big"), "level"));
	assert_non_null(strstr(problem_of(problems, "nolevel"), "level"));
	rbac_free(r);
	json_decref(s);
	s = doc("{\"roles\": []}");
	assert_int_equal(dbstate_rbac(s, cfg_strict(), &r, problems), -EINVAL);
	assert_null(r);
	json_decref(s);
	json_decref(problems);
}

static const struct respond_rule *rule_named(const struct respond_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_rules; i++)
		if (!strcmp(c->rules[i].name, name))
			return &c->rules[i];
	return NULL;
}

/* The guide's three rules as the migration renders them, merged over the config's. */
static void test_rules(void **state)
{
	json_t *s = doc(
		"{\"rules\": ["
		"{\"name\": \"Admin Access After Hours\", \"when\": {\"role\": \"admin\","
		" \"event\": \"login_success\", \"time_range\": {\"tz\": \"+01:00\", \"end\": "
		"\"06:00\", \"start\": \"22:00\"}}, \"actions\": [\"notify_security_team\","
		" \"require_additional_auth\", \"log_extended\"]},"
		"{\"name\": \"Data Export Large Volume\", \"when\": {\"event\": \"data_export\","
		" \"bytes_over\": \"1073741824B\"}, \"actions\": [\"require_approval\","
		" \"notify_data_protection_officer\", \"quarantine_export\"]},"
		"{\"name\": \"Multiple Failed Logins\", \"when\": {\"count\": 3, \"event\":"
		" [\"failed_login\", \"invalid_user\"], \"window\": \"120s\"},"
		" \"actions\": [\"block_ip\", \"notify_admin\", \"require_mfa\"]},"
		"{\"name\": \"Scanner\", \"when\": {\"event\": \"preauth_disconnect\", \"count\": 20,"
		" \"window\": \"60s\"}, \"actions\": [\"block_ip\"]},"
		"{\"name\": \"Bad window\", \"when\": {\"event\": \"failed_login\", \"count\": 2,"
		" \"window\": \"0s\"}, \"actions\": [\"notify_admin\"]},"
		"{\"name\": \"Bad bytes\", \"when\": {\"event\": \"data_export\","
		" \"bytes_over\": \"not a threshold: < 1GB\"}, \"actions\": [\"notify_admin\"]},"
		"{\"name\": \"Bad action\", \"when\": {\"event\": \"failed_login\"},"
		" \"actions\": [\"rm -rf /\"]}"
		"]}");
	struct respond_conf base, out, again;
	const struct respond_rule *ru;
	json_t *problems = json_array();
	size_t n_base;

	(void)state;
	respond_conf_defaults(&base);
	/* The config shortened the guide's block: the database has no column for it. */
	base.rules[0].block_s = 20;
	n_base = base.n_rules;
	assert_int_equal(dbstate_rules(s, &base, &out, problems), 0);
	/* Three replaced by name, Scanner added, three refused. */
	assert_int_equal(out.n_rules, n_base + 1);
	ru = rule_named(&out, "Multiple Failed Logins");
	assert_non_null(ru);
	assert_int_equal(ru->count, 3);
	assert_int_equal(ru->window_ms, 120000);
	assert_int_equal(ru->block_s, 20);
	assert_int_equal(ru->events, (1u << RESPOND_EV_FAILED_LOGIN) | (1u << RESPOND_EV_INVALID_USER));
	ru = rule_named(&out, "Admin Access After Hours");
	assert_non_null(ru);
	assert_true(ru->has_time);
	assert_int_equal(ru->time.tz_off_s, 3600);
	assert_string_equal(ru->role, "admin");
	ru = rule_named(&out, "Data Export Large Volume");
	assert_int_equal(ru->bytes_over, 1073741824ULL);
	ru = rule_named(&out, "Scanner");
	assert_non_null(ru);
	assert_int_equal(ru->block_s, 3600);
	assert_null(rule_named(&out, "Bad window"));
	assert_non_null(strstr(problem_of(problems, "Bad window"), "window"));
	assert_non_null(strstr(problem_of(problems, "Bad bytes"), "bytes_over"));
	assert_non_null(strstr(problem_of(problems, "Bad action"), "not an action"));
	/* The same document gives the same rules: the running windows are kept. */
	assert_int_equal(dbstate_rules(s, &base, &again, NULL), 0);
	assert_true(dbstate_rules_equal(&out, &again));
	assert_false(dbstate_rules_equal(&out, &base));
	json_decref(s);
	s = doc("{\"rules\": {}}");
	assert_int_equal(dbstate_rules(s, &base, &out, NULL), -EINVAL);
	json_decref(s);
	json_decref(problems);
}

/* Text from the database is never ${VAR}-expanded (the config file's is). */
static void test_no_env_expansion(void **state)
{
	struct rbac_role_def *defs = NULL;
	struct respond_rule ru;
	char err[1024];
	size_t n = 0;

	(void)state;
	setenv("EW_T_DBSTATE", "secret", 1);
	assert_int_equal(cfg_roles_parse("db", "{\"r\": {\"level\": 1, \"permissions\": "
					 "[{\"resource\": \"stats\", \"action\": \"read\", "
					 "\"conditions\": {\"team\": \"${EW_T_DBSTATE}\"}}]}}",
					 &defs, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(defs[0].perms[0].cond.n_attr, 1);
	assert_string_equal(defs[0].perms[0].cond.attr[0].value, "${EW_T_DBSTATE}");
	rbac_role_defs_free(defs, n);
	assert_int_equal(cfg_rule_parse("db", "{\"name\": \"${EW_T_DBSTATE}\", \"when\": "
					"{\"event\": \"failed_login\"}, \"actions\": "
					"[\"notify_admin\"]}", &ru, err, sizeof(err)),
			 0);
	assert_string_equal(ru.name, "${EW_T_DBSTATE}");
	/* Not YAML tricks either: anchors and tags are refused or inert. */
	assert_int_not_equal(cfg_rule_parse("db", "!!binary aGVsbG8=", &ru, err, sizeof(err)), 0);
	assert_int_not_equal(cfg_rule_parse("db", "", &ru, err, sizeof(err)), 0);
	assert_int_not_equal(cfg_roles_parse("db", "[1, 2", &defs, &n, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "db"));
	unsetenv("EW_T_DBSTATE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_roles_hostile),
		cmocka_unit_test(test_roles_shape),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_no_env_expansion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
