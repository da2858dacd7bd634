// SPDX-License-Identifier: GPL-2.0-only
/*
 * RBAC: the default matrix (every role, resource and action), unknown
 * names, level inheritance, the config's overrides, and the guide's
 * conditions: time ranges (boundaries, past midnight, days, offsets), source
 * ranges (IPv4, IPv6, IPv4-mapped sources), location and direct attributes,
 * including bad conditions in a config file with their line numbers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "rbac.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 2024-01-01 00:00:00 UTC, a Monday. */
#define MON 1704067200LL
#define DAY 86400LL
#define HM(h, m) ((h) * 3600LL + (m) * 60LL)

static char tmpdir[64];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ew-test-rbac-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/config.yaml", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static struct rbac *rbac_default(unsigned int flags)
{
	char err[EW_ERRLEN];
	struct rbac *r;

	if (rbac_new(NULL, 0, flags, &r, err, sizeof(err)))
		fail_msg("rbac_new: %s", err);
	return r;
}

/* ---- the default matrix ---- */

static const char *const roles[] = { "admin", "manager", "financial", "employee", "viewer" };
static const char *const actions[] = { "read", "create", "update", "delete", "execute" };
static const char letters[] = "RCUDX";

/* rbac.h's table, written out again so that a change to either is caught. */
static const struct {
	const char *res;
	const char *acts[5];	/* by role, in the order of roles[] */
} matrix[] = {
	{ "blocklist", { "RCD", "RCD", "", "", "R" } },
	{ "allowlist", { "RCD", "RCD", "", "", "R" } },
	{ "acl", { "RU", "R", "", "", "R" } },
	{ "ratelimit", { "RU", "R", "", "", "R" } },
	{ "policy", { "RU", "R", "", "", "R" } },
	{ "filter", { "RX", "R", "", "", "R" } },
	{ "stats", { "R", "R", "R", "R", "R" } },
	{ "events", { "R", "R", "", "", "" } },
	{ "users", { "RCUD", "R", "", "", "" } },
	{ "audit", { "R", "R", "R", "", "" } },
	{ "config", { "RX", "R", "", "", "" } },
	{ "self", { "RU", "RU", "RU", "RU", "RU" } },
	{ "health", { "R", "R", "R", "R", "R" } },
};

static void test_default_matrix(void **state)
{
	struct rbac_ctx ctx = { .now = MON };
	struct rbac *r = rbac_default(RBAC_STRICT);
	size_t i, j, k, n = 0;

	(void)state;
	assert_int_equal(ARRAY_SIZE(matrix), RBAC_RES_COUNT);
	for (i = 0; i < ARRAY_SIZE(matrix); i++) {
		for (j = 0; j < ARRAY_SIZE(roles); j++) {
			for (k = 0; k < ARRAY_SIZE(actions); k++) {
				bool want = strchr(matrix[i].acts[j], letters[k]) != NULL;
				const char *why = NULL;
				bool got = rbac_check(r, roles[j], matrix[i].res, actions[k], &ctx,
						      &why);

				if (got != want)
					fail_msg("%s %s:%s: %s (%s), expected %s", roles[j],
						 matrix[i].res, actions[k],
						 got ? "allowed" : "denied", why,
						 want ? "allowed" : "denied");
				assert_non_null(why);
				n++;
			}
		}
	}
	assert_int_equal(n, 13 * 5 * 5);

	/* Every default role is a role, with the documented levels. */
	assert_int_equal(rbac_role_level(r, "admin"), 100);
	assert_int_equal(rbac_role_level(r, "manager"), 50);
	assert_int_equal(rbac_role_level(r, "financial"), 20);
	assert_int_equal(rbac_role_level(r, "viewer"), 20);
	assert_int_equal(rbac_role_level(r, "employee"), 10);
	assert_int_equal(rbac_role_level(r, "root"), -ENOENT);
	for (j = 0; j < ARRAY_SIZE(roles); j++)
		assert_true(rbac_is_default_role(roles[j]));
	assert_false(rbac_is_default_role("Admin"));
	rbac_free(r);
}

/* The reasons say where a grant came from. */
static void test_reasons(void **state)
{
	struct rbac_ctx ctx = { .now = MON };
	struct rbac *r = rbac_default(0);
	const char *why;

	(void)state;
	assert_true(rbac_check(r, "viewer", "blocklist", "read", &ctx, &why));
	assert_string_equal(why, "granted to role viewer");
	assert_false(rbac_check(r, "viewer", "blocklist", "create", &ctx, &why));
	assert_string_equal(why, "role viewer has no permission blocklist:create");
	assert_false(rbac_check(r, "admin", "stats", "create", &ctx, &why));
	assert_string_equal(why, "resource stats has no action create");
	/* NULL why and NULL ctx are fine. */
	assert_true(rbac_check(r, "admin", "filter", "execute", NULL, NULL));
	rbac_free(r);

	/* Debug mode logs the decision (to stderr here) and decides the same. */
	r = rbac_default(RBAC_DEBUG);
	assert_false(rbac_check(r, "viewer\x1b[2J", "blocklist", "read", &ctx, &why));
	assert_string_equal(why, "unknown role \"viewer\\x1b[2J\" has only self and health");
	assert_int_equal(rbac_flags(r), RBAC_DEBUG);
	rbac_free(r);
}

/* ---- unknown names ---- */

static void test_unknowns(void **state)
{
	static const struct {
		const char *role, *res, *act, *why;
	} deny[] = {
		{ "admin", "firewall", "read", "unknown resource \"firewall\"" },
		{ "admin", "Blocklist", "read", "unknown resource" },
		{ "admin", "*", "read", "unknown resource \"*\"" },
		{ "admin", "blocklist", "*", "unknown action \"*\"" },
		{ "admin", "blocklist", "approve", "unknown action \"approve\"" },
		{ "admin", "blocklist", "", "unknown action \"\"" },
		{ "admin", "", "read", "unknown resource \"\"" },
		{ "admin", NULL, "read", "unknown resource" },
		{ "admin", "blocklist", NULL, "unknown action" },
		{ "admin", "blocklist\n", "read", "unknown resource \"blocklist\\x0a\"" },
		{ "admin", "stats", "update", "resource stats has no action update" },
		{ "Admin", "stats", "read", "unknown role \"Admin\" (strict mode)" },
		{ NULL, "stats", "read", "unknown role \"\" (strict mode)" },
		{ "admin ", "stats", "read", "unknown role" },
	};
	struct rbac_ctx ctx = { .now = MON };
	struct rbac *strict = rbac_default(RBAC_STRICT), *lax = rbac_default(0);
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(deny); i++) {
		if (rbac_check(strict, deny[i].role, deny[i].res, deny[i].act, &ctx, &why))
			fail_msg("case %zu: allowed (%s)", i, why);
		if (!strstr(why, deny[i].why))
			fail_msg("case %zu: reason \"%s\", expected \"%s\"", i, why, deny[i].why);
	}

	/* Outside strict mode a role not in the table keeps self and health, nothing else. */
	assert_true(rbac_check(lax, "ghost", "self", "update", &ctx, &why));
	assert_true(rbac_check(lax, "ghost", "self", "read", &ctx, &why));
	assert_true(rbac_check(lax, "ghost", "health", "read", &ctx, &why));
	assert_false(rbac_check(lax, "ghost", "stats", "read", &ctx, &why));
	assert_non_null(strstr(why, "unknown role \"ghost\" has only self and health"));
	assert_false(rbac_check(strict, "ghost", "self", "update", &ctx, &why));
	assert_false(rbac_check(strict, "ghost", "health", "read", &ctx, &why));
	/* Unknown resources stay denied whatever the mode or role. */
	assert_false(rbac_check(lax, "ghost", "firewall", "read", &ctx, &why));
	assert_false(rbac_check(NULL, "admin", "stats", "read", &ctx, &why));
	assert_string_equal(why, "no role table");
	rbac_free(strict);
	rbac_free(lax);
}

/* ---- time ---- */

static void test_time_match(void **state)
{
	static const struct {
		const char *name;
		uint16_t start, end;
		uint8_t days;
		int32_t tz;
		long long t;
		bool want;
	} cases[] = {
#define WD 0x3e	/* mon..fri */
		{ "before start", 8 * 60, 18 * 60, WD, 0, MON + HM(7, 59) + 59, false },
		{ "at start", 8 * 60, 18 * 60, WD, 0, MON + HM(8, 0), true },
		{ "before end", 8 * 60, 18 * 60, WD, 0, MON + HM(17, 59) + 59, true },
		{ "at end", 8 * 60, 18 * 60, WD, 0, MON + HM(18, 0), false },
		{ "saturday", 8 * 60, 18 * 60, WD, 0, MON + 5 * DAY + HM(10, 0), false },
		{ "sunday", 8 * 60, 18 * 60, WD, 0, MON + 6 * DAY + HM(10, 0), false },
		{ "friday", 8 * 60, 18 * 60, WD, 0, MON + 4 * DAY + HM(10, 0), true },
		{ "every day, sunday", 8 * 60, 18 * 60, RBAC_DAYS_ALL, 0, MON - DAY + HM(9, 0),
		  true },
		/* 22:00 to 06:00, Fridays: Friday night into Saturday morning. */
		{ "wrap, fri 21:59", 22 * 60, 6 * 60, 1 << 5, 0, MON + 4 * DAY + HM(21, 59),
		  false },
		{ "wrap, fri 22:00", 22 * 60, 6 * 60, 1 << 5, 0, MON + 4 * DAY + HM(22, 0), true },
		{ "wrap, fri 23:59", 22 * 60, 6 * 60, 1 << 5, 0, MON + 4 * DAY + HM(23, 59), true },
		{ "wrap, sat 00:00", 22 * 60, 6 * 60, 1 << 5, 0, MON + 5 * DAY, true },
		{ "wrap, sat 05:59", 22 * 60, 6 * 60, 1 << 5, 0, MON + 5 * DAY + HM(5, 59), true },
		{ "wrap, sat 06:00", 22 * 60, 6 * 60, 1 << 5, 0, MON + 5 * DAY + HM(6, 0), false },
		{ "wrap, fri 03:00", 22 * 60, 6 * 60, 1 << 5, 0, MON + 4 * DAY + HM(3, 0), false },
		{ "wrap, sat 22:00", 22 * 60, 6 * 60, 1 << 5, 0, MON + 5 * DAY + HM(22, 0), false },
		{ "wrap, every day, noon", 22 * 60, 6 * 60, RBAC_DAYS_ALL, 0, MON + HM(12, 0),
		  false },
		{ "wrap, monday 01:00 from sunday", 22 * 60, 6 * 60, 1 << 0, 0, MON + HM(1, 0),
		  true },
		{ "end 24:00", 20 * 60, 1440, RBAC_DAYS_ALL, 0, MON + HM(23, 59) + 59, true },
		{ "end 24:00, midnight", 20 * 60, 1440, RBAC_DAYS_ALL, 0, MON + DAY, false },
		{ "whole day", 0, 1440, 1 << 1, 0, MON, true },
		/* +02:00: 08:00 local is 06:00 UTC. */
		{ "+02:00 at start", 8 * 60, 18 * 60, WD, 7200, MON + HM(6, 0), true },
		{ "+02:00 before", 8 * 60, 18 * 60, WD, 7200, MON + HM(5, 59), false },
		{ "+02:00 at end", 8 * 60, 18 * 60, WD, 7200, MON + HM(16, 0), false },
		/* -05:00: Monday 02:00 UTC is Sunday 21:00 local. */
		{ "-05:00 sunday evening", 8 * 60, 22 * 60, WD, -18000, MON + HM(2, 0), false },
		{ "-05:00 monday 08:00", 8 * 60, 22 * 60, WD, -18000, MON + HM(13, 0), true },
		{ "-05:00 saturday 01:00 UTC", 8 * 60, 22 * 60, WD, -18000,
		  MON + 5 * DAY + HM(1, 0), true },
		{ "+05:30", 9 * 60, 10 * 60, RBAC_DAYS_ALL, 19800, MON + HM(3, 30), true },
		{ "+14:00 day change", 0, 60, 1 << 2, 14 * 3600, MON + HM(10, 30), true },
		/* 1969-12-31 23:00 UTC, a Wednesday, before the epoch. */
		{ "before 1970", 22 * 60, 1440, 1 << 3, 0, -3600, true },
		{ "before 1970, -01:00", 21 * 60, 23 * 60, 1 << 3, -3600, -3600, true },
#undef WD
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rbac_time t = { cases[i].start, cases[i].end, cases[i].days, cases[i].tz };
		bool got = rbac_time_match(&t, (time_t)cases[i].t);

		if (got != cases[i].want)
			fail_msg("%s: %s, expected %s", cases[i].name, got ? "inside" : "outside",
				 cases[i].want ? "inside" : "outside");
	}
}

/* One role "ops" with one permission under conditions c. */
static struct rbac *ops_with(const struct rbac_cond *c, unsigned int flags)
{
	struct rbac_perm p = { .res = RBAC_RES_BLOCKLIST, .acts = RBAC_CREATE, .cond = *c };
	struct rbac_role_def d = { .name = "ops", .level = 5, .level_set = true, .perms = &p,
				   .n_perms = 1, .perms_set = true };
	char err[EW_ERRLEN];
	struct rbac *r;

	if (rbac_new(&d, 1, flags, &r, err, sizeof(err)))
		fail_msg("rbac_new: %s", err);
	return r;
}

static void test_time_condition(void **state)
{
	struct rbac_cond c = { .has_time = true,
			       .time = { 8 * 60, 18 * 60, 0x3e, 0 } };
	struct rbac_ctx ctx = { .now = MON + HM(9, 0) };
	struct rbac *r = ops_with(&c, RBAC_STRICT);
	const char *why;

	(void)state;
	assert_true(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	ctx.now = MON + 5 * DAY + HM(9, 0);
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	assert_string_equal(why, "role ops: outside the permitted time range "
				 "08:00-18:00 mon,tue,wed,thu,fri UTC");
	rbac_free(r);

	c.time = (struct rbac_time){ 22 * 60, 6 * 60, RBAC_DAYS_ALL, -18000 };
	r = ops_with(&c, 0);
	ctx.now = MON + HM(12, 0);
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	assert_string_equal(why, "role ops: outside the permitted time range 22:00-06:00 "
				 "UTC-05:00");
	ctx.now = MON + HM(4, 0);	/* 23:00 the evening before, local */
	assert_true(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	rbac_free(r);
}

/* ---- addresses ---- */

static struct sockaddr_storage sa(const char *addr)
{
	struct sockaddr_storage s;

	memset(&s, 0, sizeof(s));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s;

		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&s;

		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
	}
	return s;
}

static void test_ip_range(void **state)
{
	static const struct {
		const char *src;
		bool want;
	} cases[] = {
		{ "10.1.2.3", true },
		{ "10.255.255.255", true },
		{ "11.0.0.0", false },
		{ "9.255.255.255", false },
		{ "192.0.2.7", true },
		{ "192.0.2.8", false },
		{ "2001:db8::1", true },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true },
		{ "2001:db9::", false },
		{ "::1", false },
		/* An IPv4 client of a dual-stack socket is matched as IPv4. */
		{ "::ffff:10.1.2.3", true },
		{ "::ffff:11.1.2.3", false },
		/* Not v4-mapped: IPv4-compatible and NAT64 forms stay IPv6. */
		{ "::10.1.2.3", false },
		{ "64:ff9b::10.1.2.3", false },
	};
	struct ew_cidr ip[3];
	struct rbac_cond c = { .ip = ip, .n_ip = 3 };
	struct rbac_ctx ctx = { .now = MON };
	struct sockaddr_storage s;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct rbac *r;
	const char *why;
	size_t i;

	(void)state;
	assert_int_equal(ew_cidr_parse("10.0.0.0/8", 0, &ip[0], NULL, 0), 0);
	assert_int_equal(ew_cidr_parse("2001:db8::/32", 0, &ip[1], NULL, 0), 0);
	assert_int_equal(ew_cidr_parse("192.0.2.7", 0, &ip[2], NULL, 0), 0);
	r = ops_with(&c, RBAC_STRICT);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool got;

		s = sa(cases[i].src);
		ctx.src = (struct sockaddr *)&s;
		got = rbac_check(r, "ops", "blocklist", "create", &ctx, &why);
		if (got != cases[i].want)
			fail_msg("%s: %s (%s)", cases[i].src, got ? "allowed" : "denied", why);
	}
	s = sa("11.0.0.1");
	ctx.src = (struct sockaddr *)&s;
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	assert_string_equal(why, "role ops: source 11.0.0.1 is outside the permitted ip_range");

	/* No address (the Unix socket, or none given): the condition cannot hold. */
	ctx.src = NULL;
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	assert_non_null(strstr(why, "no source address"));
	ctx.src = (struct sockaddr *)&un;
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	rbac_free(r);
}

static void test_location_and_attrs(void **state)
{
	char *locs[] = { "berlin", "paris" };
	struct rbac_attr need[] = { { "team", "netops" }, { "mfa", "true" } };
	struct rbac_cond c = { .loc = locs, .n_loc = 2, .attr = need, .n_attr = 2 };
	struct rbac_attr have[] = { { "mfa", "true" }, { "team", "netops" }, { "x", NULL } };
	struct rbac_ctx ctx = { .now = MON, .location = "paris", .attrs = have, .n_attrs = 3 };
	struct rbac *r = ops_with(&c, 0);
	const char *why;

	(void)state;
	assert_true(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	ctx.location = "Paris";
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	assert_string_equal(why, "role ops: location \"Paris\" is not permitted");
	ctx.location = NULL;
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	assert_non_null(strstr(why, "no location"));
	ctx.location = "berlin";
	have[1].value = "dbops";
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	assert_string_equal(why, "role ops: condition \"team\" is not met");
	ctx.n_attrs = 1;	/* no team at all */
	assert_false(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	have[1].value = "netops";
	ctx.n_attrs = 3;
	assert_true(rbac_check(r, "ops", "blocklist", "create", &ctx, &why));
	rbac_free(r);
}

/* ---- inheritance and overrides ---- */

static void test_inheritance(void **state)
{
	struct rbac_role_def defs[2] = {
		{ .name = "auditor", .level = 30, .level_set = true, .perms_set = true },
		{ .name = "peer", .level = 20, .level_set = true, .perms_set = true },
	};
	struct rbac_ctx ctx = { .now = MON };
	char err[EW_ERRLEN];
	struct rbac *r;
	const char *why;

	(void)state;
	assert_int_equal(rbac_new(defs, 2, RBAC_STRICT, &r, err, sizeof(err)), 0);
	/* Level 30 inherits viewer and financial (20) and employee (10). */
	assert_true(rbac_check(r, "auditor", "blocklist", "read", &ctx, &why));
	assert_string_equal(why, "granted to role auditor, inherited from viewer (level 20)");
	assert_true(rbac_check(r, "auditor", "audit", "read", &ctx, &why));
	assert_non_null(strstr(why, "inherited from financial"));
	assert_true(rbac_check(r, "auditor", "self", "update", &ctx, &why));
	assert_false(rbac_check(r, "auditor", "events", "read", &ctx, &why));
	assert_false(rbac_check(r, "auditor", "blocklist", "create", &ctx, &why));
	/* Level 20 is a peer of viewer and financial: only employee's permissions. */
	assert_true(rbac_check(r, "peer", "stats", "read", &ctx, &why));
	assert_non_null(strstr(why, "inherited from employee (level 10)"));
	assert_false(rbac_check(r, "peer", "blocklist", "read", &ctx, &why));
	assert_false(rbac_check(r, "peer", "audit", "read", &ctx, &why));
	/* Higher levels do not flow down: employee gains nothing from admin. */
	assert_false(rbac_check(r, "employee", "blocklist", "read", &ctx, &why));
	/* A user whose role changes is judged by the new role on the next check. */
	assert_false(rbac_check(r, "viewer", "events", "read", &ctx, &why));
	assert_true(rbac_check(r, "manager", "events", "read", &ctx, &why));
	rbac_free(r);
}

static void test_overrides(void **state)
{
	struct rbac_perm stats = { .res = RBAC_RES_STATS, .acts = RBAC_READ };
	struct rbac_perm night = { .res = RBAC_RES_EVENTS, .acts = RBAC_READ,
				   .cond = { .has_time = true,
					     .time = { 22 * 60, 6 * 60, RBAC_DAYS_ALL, 0 } } };
	struct rbac_perm all_reads = { .res = RBAC_RES_ALL, .acts = RBAC_READ };
	struct rbac_role_def defs[] = {
		/* admin keeps its level but loses everything but stats. */
		{ .name = "admin", .perms = &stats, .n_perms = 1, .perms_set = true },
		/* viewer drops below financial, which then inherits it. */
		{ .name = "viewer", .level = 5, .level_set = true },
		/* employee reads events at night only; viewer (5) is below it now. */
		{ .name = "employee", .perms = &night, .n_perms = 1, .perms_set = true },
		/* every read of every resource, above financial. */
		{ .name = "reader", .level = 30, .level_set = true, .perms = &all_reads,
		  .n_perms = 1, .perms_set = true },
	};
	struct rbac_ctx day = { .now = MON + HM(12, 0) }, night_ctx = { .now = MON + HM(23, 0) };
	char err[EW_ERRLEN];
	struct rbac *r;
	const char *why;

	(void)state;
	assert_int_equal(rbac_new(defs, ARRAY_SIZE(defs), RBAC_STRICT, &r, err, sizeof(err)), 0);
	assert_int_equal(rbac_role_level(r, "admin"), 100);
	assert_int_equal(rbac_role_level(r, "reader"), 30);
	assert_false(rbac_check(r, "admin", "filter", "execute", &day, &why));
	assert_false(rbac_check(r, "admin", "users", "create", &day, &why));
	/* admin still inherits every lower role: manager's creates, reader's reads. */
	assert_true(rbac_check(r, "admin", "blocklist", "create", &day, &why));
	assert_non_null(strstr(why, "inherited from manager"));
	assert_true(rbac_check(r, "admin", "config", "read", &day, &why));
	/* financial (20) now inherits viewer (5). */
	assert_true(rbac_check(r, "financial", "blocklist", "read", &day, &why));
	assert_non_null(strstr(why, "inherited from viewer (level 5)"));
	/* Inherited conditions stay with the permission. */
	assert_false(rbac_check(r, "financial", "events", "read", &day, &why));
	assert_non_null(strstr(why, "outside the permitted time range 22:00-06:00"));
	assert_true(rbac_check(r, "financial", "events", "read", &night_ctx, &why));
	assert_non_null(strstr(why, "inherited from employee"));
	/* "*" covers every resource's read, and nothing else. */
	assert_true(rbac_check(r, "reader", "audit", "read", &day, &why));
	assert_true(rbac_check(r, "reader", "users", "read", &day, &why));
	assert_false(rbac_check(r, "reader", "users", "update", &day, &why));
	assert_false(rbac_check(r, "reader", "filter", "execute", &day, &why));
	assert_true(rbac_check(r, "reader", "users", "read", &day, &why));
	assert_string_equal(why, "granted to role reader");
	/* employee lost its own stats grant; viewer, now below it, gives it back. */
	assert_true(rbac_check(r, "employee", "stats", "read", &day, &why));
	assert_non_null(strstr(why, "inherited from viewer"));
	rbac_free(r);
}

static void test_rbac_new_errors(void **state)
{
	struct rbac_perm bad_act = { .res = RBAC_RES_STATS, .acts = RBAC_CREATE };
	struct rbac_perm bad_res = { .res = 99, .acts = RBAC_READ };
	struct rbac_perm bad_time = { .res = RBAC_RES_STATS, .acts = RBAC_READ,
				      .cond = { .has_time = true,
						.time = { 60, 60, RBAC_DAYS_ALL, 0 } } };
	static const struct {
		const char *name;
		int level;
		int perm;	/* 0 none, 1 bad action, 2 bad resource, 3 bad time */
		const char *want;
	} cases[] = {
		{ "Ops", 1, 0, "\"Ops\" is not a role name" },
		{ "", 1, 0, "is not a role name" },
		{ "1ops", 1, 0, "is not a role name" },
		{ "ops", -1, 0, "level -1 out of range 0..1000" },
		{ "ops", 1001, 0, "level 1001 out of range" },
		{ "ops", 1, 1, "stats has no such action" },
		{ "ops", 1, 2, "bad resource" },
		{ "ops", 1, 3, "bad time range" },
	};
	struct rbac_perm *perms[] = { NULL, &bad_act, &bad_res, &bad_time };
	char err[EW_ERRLEN];
	struct rbac *r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rbac_role_def d = { .level = cases[i].level, .level_set = true,
					   .perms = perms[cases[i].perm],
					   .n_perms = cases[i].perm ? 1 : 0,
					   .perms_set = true };

		snprintf(d.name, sizeof(d.name), "%s", cases[i].name);
		r = (void *)1;
		assert_int_equal(rbac_new(&d, 1, 0, &r, err, sizeof(err)), -EINVAL);
		assert_null(r);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\", expected \"%s\"", i, err, cases[i].want);
	}
	{
		struct rbac_role_def two[2] = { { .name = "ops" }, { .name = "ops" } };

		assert_int_equal(rbac_new(two, 2, 0, &r, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "role ops is defined twice"));
	}
	rbac_free(NULL);
}

static void test_parsers(void **state)
{
	char err[EW_ERRLEN];
	uint16_t m;
	int32_t off;
	int i;

	(void)state;
	assert_int_equal(rbac_hhmm_parse("00:00", false, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0);
	assert_int_equal(rbac_hhmm_parse("23:59", false, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 1439);
	assert_int_equal(rbac_hhmm_parse("24:00", true, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 1440);
	assert_int_equal(rbac_hhmm_parse("24:00", false, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_hhmm_parse("24:01", true, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_hhmm_parse("8:00", false, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_hhmm_parse("08:00 ", false, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_hhmm_parse("08.00", false, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_hhmm_parse("-1:00", false, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_hhmm_parse(NULL, false, &m, err, sizeof(err)), -EINVAL);

	assert_int_equal(rbac_day_parse("sun"), 0);
	assert_int_equal(rbac_day_parse("monday"), 1);
	assert_int_equal(rbac_day_parse("sat"), 6);
	assert_int_equal(rbac_day_parse("Mon"), -EINVAL);
	assert_int_equal(rbac_day_parse("mo"), -EINVAL);
	assert_int_equal(rbac_day_parse("mond"), -EINVAL);
	assert_int_equal(rbac_day_parse(""), -EINVAL);

	assert_int_equal(rbac_tz_parse("UTC", &off, err, sizeof(err)), 0);
	assert_int_equal(off, 0);
	assert_int_equal(rbac_tz_parse("+05:30", &off, err, sizeof(err)), 0);
	assert_int_equal(off, 19800);
	assert_int_equal(rbac_tz_parse("-14:00", &off, err, sizeof(err)), 0);
	assert_int_equal(off, -50400);
	assert_int_equal(rbac_tz_parse("+14:01", &off, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_tz_parse("+0200", &off, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_tz_parse("utc", &off, err, sizeof(err)), -EINVAL);
	assert_int_equal(rbac_tz_parse("CET", &off, err, sizeof(err)), -EINVAL);

	for (i = 0; i < RBAC_RES_COUNT; i++)
		assert_int_equal(rbac_res_parse(rbac_res_name(i)), i);
	assert_int_equal(rbac_res_parse("*"), RBAC_RES_ALL);
	for (i = 0; i < 5; i++)
		assert_int_equal(rbac_act_parse(rbac_act_name(1u << i)), 1 << i);
	assert_true(rbac_role_name_ok("on-call_2"));
	assert_false(rbac_role_name_ok("on call"));
	assert_false(rbac_role_name_ok("abcdefghijklmnopqrstuvwxyz012345"));	/* 32 */
	assert_true(rbac_role_name_ok("abcdefghijklmnopqrstuvwxyz01234"));	/* 31 */
}

/* ---- from a config file ---- */

static int load_text(const char *text, struct ew_config **cfg, char *path, size_t plen,
		     char *err)
{
	struct cfg_check_env env = { .owner = geteuid() };
	size_t len = strlen(text);
	int fd;

	snprintf(path, plen, "%s/config.yaml", tmpdir);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return cfg_load_env(path, &env, cfg, err, CFG_ERRLEN);
}

#define ROLES "profile: development\nsecurity:\n  authorization:\n    rbac:\n" \
	"      strictMode: true\n      debugMode: false\n      roles:\n"

static void test_config_roles(void **state)
{
	static const char yaml[] = ROLES
		"        oncall:\n"
		"          level: 15\n"
		"          permissions:\n"
		"            - resource: blocklist\n"
		"              action: [create, delete]\n"
		"              conditions:\n"
		"                time_range: {start: \"22:00\", end: \"06:00\", days: [fri, sat], "
		"tz: \"+01:00\"}\n"
		"                ip_range: [10.0.0.0/8, \"2001:db8::/32\"]\n"
		"                location: [berlin]\n"
		"                shift: night\n"
		"            - {resource: \"*\", action: read,\n"
		"               conditions: {ip_range: [10.0.0.0/8]}}\n"
		"        viewer: {level: 1}\n";
	struct rbac_attr night[] = { { "shift", "night" } };
	struct sockaddr_storage in = sa("10.9.8.7"), out = sa("192.0.2.1"), v6 = sa("2001:db8::5");
	/* Friday 2024-01-05 23:30 +01:00 = 22:30 UTC. */
	struct rbac_ctx ctx = { .now = MON + 4 * DAY + HM(22, 30), .src = (struct sockaddr *)&in,
				.location = "berlin", .attrs = night, .n_attrs = 1 };
	char path[128], err[CFG_ERRLEN];
	struct ew_config *cfg;
	struct rbac *r;
	const char *why;

	(void)state;
	if (load_text(yaml, &cfg, path, sizeof(path), err))
		fail_msg("load: %s", err);
	assert_int_equal(rbac_from_config(cfg, &r, err, sizeof(err)), 0);
	assert_int_equal(rbac_flags(r), RBAC_STRICT);
	assert_int_equal(rbac_role_level(r, "viewer"), 1);
	assert_int_equal(rbac_role_level(r, "oncall"), 15);
	assert_true(rbac_check(r, "oncall", "blocklist", "delete", &ctx, &why));
	ctx.src = (struct sockaddr *)&v6;
	assert_true(rbac_check(r, "oncall", "blocklist", "create", &ctx, &why));
	/* Saturday 05:59 local still belongs to Friday's window; 06:00 does not. */
	ctx.now = MON + 5 * DAY + HM(4, 59);
	assert_true(rbac_check(r, "oncall", "blocklist", "create", &ctx, &why));
	ctx.now = MON + 5 * DAY + HM(5, 0);
	assert_false(rbac_check(r, "oncall", "blocklist", "create", &ctx, &why));
	ctx.now = MON + 4 * DAY + HM(22, 30);
	ctx.attrs = NULL;
	ctx.n_attrs = 0;
	assert_false(rbac_check(r, "oncall", "blocklist", "create", &ctx, &why));
	assert_non_null(strstr(why, "condition \"shift\" is not met"));
	/* The "*" read needs 10/8; viewer (now level 1) is inherited without conditions. */
	ctx.src = (struct sockaddr *)&out;
	assert_true(rbac_check(r, "oncall", "policy", "read", &ctx, &why));
	assert_non_null(strstr(why, "inherited from viewer"));
	assert_false(rbac_check(r, "oncall", "audit", "read", &ctx, &why));
	assert_non_null(strstr(why, "outside the permitted ip_range"));
	ctx.src = (struct sockaddr *)&in;
	assert_true(rbac_check(r, "oncall", "audit", "read", &ctx, &why));
	rbac_free(r);
	cfg_free(cfg);
}

static void test_config_bad_conditions(void **state)
{
	static const struct {
		const char *yaml;
		int line;
		const char *want;
	} cases[] = {
		{ ROLES "        ops:\n          permissions:\n            - resource: stats\n"
		  "              action: read\n              conditions:\n"
		  "                time_range: {start: \"18:00\", end: \"25:00\"}\n",
		  13, "time_range.end: \"25:00\": not a time of day" },
		{ ROLES "        ops:\n          permissions:\n            - resource: stats\n"
		  "              action: read\n              conditions:\n"
		  "                ip_range:\n                  - 10.0.0.0/8\n"
		  "                  - \"::ffff:192.0.2.0/120\"\n",
		  15, "IPv4-mapped range" },
		{ ROLES "        ops:\n          permissions:\n            - resource: stats\n"
		  "              action: read\n              conditions:\n"
		  "                location: berlin\n",
		  13, "conditions.location: expected a list, got a single value" },
		{ ROLES "        ops:\n          permissions:\n            - resource: stats\n"
		  "              action: read\n              conditions: [time_range]\n",
		  12, "conditions: expected a mapping of keys, got a list" },
		{ ROLES "        ops:\n          permissions:\n            - resource: stats\n"
		  "              action: read\n              conditions:\n"
		  "                time_range: {start: \"08:00\", end: \"17:00\", days: []}\n",
		  13, "time_range.days: empty list" },
		{ ROLES "        ops:\n          level: -1\n", 9, "not a decimal number" },
		{ ROLES "        ops:\n          permissions: {resource: stats}\n", 9,
		  "permissions: expected a list, got a mapping" },
		{ ROLES "        ops:\n          inherits: viewer\n", 9,
		  "roles.ops: unknown key \"inherits\" (expected level, permissions)" },
		{ ROLES "        ops: {}\n        ops: {}\n", 9, "duplicate" },
	};
	char path[128], err[CFG_ERRLEN], prefix[160];
	struct ew_config *cfg;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = load_text(cases[i].yaml, &cfg, path, sizeof(path), err);
		snprintf(prefix, sizeof(prefix), "%s:%d:", path, cases[i].line);
		if (r != -EINVAL || strncmp(err, prefix, strlen(prefix)) ||
		    !strstr(err, cases[i].want))
			fail_msg("case %zu: %d \"%s\", expected \"%s ... %s\"", i, r, err, prefix,
				 cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_matrix),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_unknowns),
		cmocka_unit_test(test_time_match),
		cmocka_unit_test(test_time_condition),
		cmocka_unit_test(test_ip_range),
		cmocka_unit_test(test_location_and_attrs),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_rbac_new_errors),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_config_roles),
		cmocka_unit_test(test_config_bad_conditions),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
