// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine with a mocked clock and mocked callbacks: sliding
 * windows and their edges, per-source isolation, the guide's three rules
 * (failed logins, admin after hours with a window across midnight and a
 * zone offset, exports over 1 GB), the escalation ladder and its reset,
 * the protected set (never_block, allowlist, loopback, own addresses,
 * IPv4-mapped and /64 normalisation, narrowing to /128), bounded memory,
 * audit records from the journal's shape, the failed-login burst monitor,
 * re-entrancy, failed blocks, and rule configuration errors from both
 * respond_rule_check and the config file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "config.h"
#include "journal.h"
#include "respond.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1704067200000ULL	/* 2024-01-01T00:00:00Z, a Monday, in ms */
#define MIN 60000ULL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* ---- mocks ---- */

struct blk {
	char target[EW_CIDR_STRLEN];
	uint64_t ttl_s;
	char reason[EW_REASON_TEXT_LEN];
};

struct alrt {
	enum alert_level level;
	char recipient[32];
	char text[512];
};

struct mock {
	uint64_t now;
	struct blk blocks[256];
	size_t n_blocks;
	int block_rc;
	json_t *audits;		/* array */
	struct alrt alerts[256];
	size_t n_alerts;
	int acts[RESPOND_ACT_COUNT];
	int act_rc;
	struct respond *r;	/* for the re-entrancy test */
	int reentry_rc;
};

static struct mock M;

static int m_block(void *arg, const struct ew_cidr *t, uint64_t ttl_s, const char *reason)
{
	struct mock *m = arg;
	struct blk *b;

	if (m->block_rc)
		return m->block_rc;
	assert_true(m->n_blocks < ARRAY_SIZE(m->blocks));
	b = &m->blocks[m->n_blocks++];
	ew_cidr_format(t, b->target, sizeof(b->target));
	b->ttl_s = ttl_s;
	assert_true(strlen(reason) < EW_REASON_TEXT_LEN);
	snprintf(b->reason, sizeof(b->reason), "%s", reason);
	return 0;
}

static int m_audit(void *arg, json_t *rec)
{
	struct mock *m = arg;
	char *text;

	/* What the journal would store must be valid JSON text (UTF-8 included). */
	text = json_dumps(rec, JSON_COMPACT);
	assert_non_null(text);
	free(text);
	json_array_append(m->audits, rec);
	if (m->r) {
		struct respond_ev ev = { .type = RESPOND_EV_FAILED_LOGIN, .source = "192.0.2.1" };

		m->reentry_rc = respond_event(m->r, &ev);
	}
	return 0;
}

static void m_alert(void *arg, enum alert_level level, const char *recipient, const char *text,
		    json_t *details)
{
	struct mock *m = arg;
	struct alrt *a;

	assert_non_null(details);
	assert_true(m->n_alerts < ARRAY_SIZE(m->alerts));
	a = &m->alerts[m->n_alerts++];
	a->level = level;
	snprintf(a->recipient, sizeof(a->recipient), "%s", recipient ? recipient : "");
	snprintf(a->text, sizeof(a->text), "%s", text);
}

static int m_act(void *arg, enum respond_action a, const struct respond_ev *ev,
		 const struct respond_rule *rule)
{
	struct mock *m = arg;

	(void)ev;
	(void)rule;
	m->acts[a]++;
	return a == RESPOND_ACT_QUARANTINE_EXPORT ? -ENOTSUP : m->act_rc;
}

static uint64_t m_now(void *arg)
{
	return ((struct mock *)arg)->now;
}

static const struct respond_ops OPS = {
	.block = m_block, .audit = m_audit, .alert = m_alert, .act = m_act, .now_ms = m_now,
};

static void mock_reset(void)
{
	json_decref(M.audits);
	memset(&M, 0, sizeof(M));
	M.audits = json_array();
	M.now = T0;
}

static struct respond *engine(const struct respond_conf *c)
{
	struct respond_conf def;
	struct respond *r;

	mock_reset();
	if (!c) {
		respond_conf_defaults(&def);
		c = &def;
	}
	r = respond_new(c, &OPS, &M);
	assert_non_null(r);
	return r;
}

static int group_teardown(void **state)
{
	(void)state;
	json_decref(M.audits);
	M.audits = NULL;
	return 0;
}

static int ev(struct respond *r, enum respond_ev_type type, const char *source, const char *user)
{
	struct respond_ev e = { .type = type, .source = source, .user = user, .origin = "test" };

	return respond_event(r, &e);
}

/* The latest audit record of type and action, or NULL. */
static json_t *audit_find(const char *type, const char *action, const char *result)
{
	size_t i = json_array_size(M.audits);

	while (i--) {
		json_t *a = json_array_get(M.audits, i);
		const char *t = json_string_value(json_object_get(a, "type"));
		const char *ac = json_string_value(json_object_get(a, "action"));
		const char *rs = json_string_value(json_object_get(a, "result"));

		if (t && !strcmp(t, type) && (!action || (ac && !strcmp(ac, action))) &&
		    (!result || (rs && !strcmp(rs, result))))
			return a;
	}
	return NULL;
}

static void expect_block(size_t i, const char *target, uint64_t ttl_s)
{
	if (M.n_blocks <= i)
		fail_msg("block %zu: only %zu blocks, expected %s for %llus", i, M.n_blocks, target,
			 (unsigned long long)ttl_s);
	if (strcmp(M.blocks[i].target, target) || M.blocks[i].ttl_s != ttl_s)
		fail_msg("block %zu: %s for %llus, expected %s for %llus", i, M.blocks[i].target,
			 (unsigned long long)M.blocks[i].ttl_s, target, (unsigned long long)ttl_s);
}

/* ---- windows and the failed-login rule ---- */

static void test_failed_logins(void **state)
{
	struct respond *r = engine(NULL);
	json_t *a;
	int i, n;

	(void)state;
	/* Four in five minutes: nothing. The fifth, 299 s after the first: block. */
	for (i = 0; i < 4; i++) {
		M.now = T0 + (uint64_t)i * MIN;
		assert_int_equal(ev(r, RESPOND_EV_FAILED_LOGIN, "203.0.113.7", "root"), 0);
	}
	assert_int_equal(M.n_blocks, 0);
	M.now = T0 + 299000;
	n = ev(r, RESPOND_EV_INVALID_USER, "203.0.113.7", "admin");
	assert_int_equal(n, 1);
	expect_block(0, "203.0.113.7/32", 3600);
	assert_string_equal(M.blocks[0].reason, "auto: Multiple Failed Logins");
	/* notify_admin and require_mfa ran, each audited, after the block. */
	assert_int_equal(M.n_alerts, 1);
	assert_string_equal(M.alerts[0].recipient, "admin");
	assert_int_equal(M.alerts[0].level, ALERT_HIGH);
	if (!strstr(M.alerts[0].text, "203.0.113.7"))
		fail_msg("alert text \"%s\" does not name the source", M.alerts[0].text);
	assert_int_equal(M.acts[RESPOND_ACT_REQUIRE_MFA], 1);
	a = audit_find("automated_response", "block_ip", "success");
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "resource")), "203.0.113.7/32");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "details"),
							    "ttl_s")), 3600);
	assert_null(json_object_get(a, "risk"));	/* the daemon's audit scores it */
	assert_non_null(audit_find("automated_response", "notify_admin", "success"));
	assert_non_null(audit_find("automated_response", "require_mfa", "success"));
	assert_int_equal(json_array_size(M.audits), 3);

	/* The window starts empty after firing. */
	M.now += 1000;
	assert_int_equal(ev(r, RESPOND_EV_FAILED_LOGIN, "203.0.113.7", "root"), 0);

	/* The edge: events at 0, 1, 2, 3 s and at 300 s: the first left (t > now - window). */
	for (i = 0; i < 4; i++) {
		M.now = T0 + HOUR + (uint64_t)i * 1000;
		ev(r, RESPOND_EV_FAILED_LOGIN, "198.51.100.9", NULL);
	}
	M.now = T0 + HOUR + 300000;
	assert_int_equal(ev(r, RESPOND_EV_FAILED_LOGIN, "198.51.100.9", NULL), 0);
	M.now += 1;	/* 4 in the window (1, 2, 3, 300 s) + this one: fires */
	assert_int_equal(ev(r, RESPOND_EV_FAILED_LOGIN, "198.51.100.9", NULL), 1);
	expect_block(1, "198.51.100.9/32", 3600);

	/* Sources count apart; successes and pre-auth disconnects do not count. */
	for (i = 0; i < 4; i++) {
		ev(r, RESPOND_EV_FAILED_LOGIN, "192.0.2.10", NULL);
		ev(r, RESPOND_EV_FAILED_LOGIN, "192.0.2.11", NULL);
		ev(r, RESPOND_EV_LOGIN_SUCCESS, "192.0.2.12", "u");
		ev(r, RESPOND_EV_PREAUTH, "192.0.2.12", NULL);
		ev(r, RESPOND_EV_PREAUTH, "192.0.2.12", NULL);
	}
	assert_int_equal(M.n_blocks, 2);

	/* Hostile sources are refused, not counted, not blocked. */
	{
		static const char *const bad[] = { "", "abc", "1.2.3.4/24", " 1.2.3.4", "1.2.3.4 ",
						   "01.2.3.4", "1.2.3", "::ffff:1.2.3.4/96",
						   "2001:db8::1%", "1.2.3.4%eth0x/1" };

		for (i = 0; i < (int)ARRAY_SIZE(bad); i++)
			if (ev(r, RESPOND_EV_FAILED_LOGIN, bad[i], NULL) != -EINVAL)
				fail_msg("source \"%s\" was accepted", bad[i]);
	}
	{
		struct respond_ev e = { .type = RESPOND_EV_COUNT, .source = "192.0.2.1" };

		assert_int_equal(respond_event(r, &e), -EINVAL);
	}
	/* A user name that is not UTF-8, with control characters: audited as valid JSON. */
	for (i = 0; i < 5; i++)
		ev(r, RESPOND_EV_FAILED_LOGIN, "192.0.2.99", "r\xff\xfeo\no\x1b[31m");
	expect_block(2, "192.0.2.99/32", 3600);
	if (strchr(M.alerts[M.n_alerts - 1].text, '\n') ||
	    strchr(M.alerts[M.n_alerts - 1].text, '\x1b'))
		fail_msg("alert text carries control characters: %s",
			 M.alerts[M.n_alerts - 1].text);
	respond_free(r);
}

/* count above RESPOND_RING_MAX: slots merge, the count still fires at the count. */
static void test_large_counts_and_weights(void **state)
{
	struct respond_conf c;
	struct respond *r;
	struct respond_ev e = { .type = RESPOND_EV_DROPS, .source = "203.0.113.50" };
	int i;

	(void)state;
	respond_conf_defaults(&c);
	memset(&c.rules[0], 0, sizeof(c.rules[0]));
	snprintf(c.rules[0].name, sizeof(c.rules[0].name), "Scanner");
	c.rules[0].enabled = true;
	c.rules[0].events = 1u << RESPOND_EV_DROPS;
	c.rules[0].count = 1000;
	c.rules[0].window_ms = 10 * MIN;
	c.rules[0].actions[c.rules[0].n_actions++] = RESPOND_ACT_BLOCK_IP;
	c.rules[0].block_s = 600;
	c.n_rules = 1;
	r = engine(&c);
	/* 999 drops one at a time (slots merge past 32): nothing; the 1000th: block. */
	for (i = 0; i < 999; i++) {
		M.now = T0 + (uint64_t)i * 100;
		assert_int_equal(respond_event(r, &e), 0);
	}
	assert_int_equal(respond_event(r, &e), 1);
	expect_block(0, "203.0.113.50/32", 3600);	/* the escalation's first step is longer */
	/* Summaries carry counts: 600 + 400 in one window fire, 600 + 399 do not. */
	e.source = "203.0.113.51";
	e.count = 600;
	assert_int_equal(respond_event(r, &e), 0);
	e.count = 399;
	assert_int_equal(respond_event(r, &e), 0);
	e.count = 1;
	assert_int_equal(respond_event(r, &e), 1);
	respond_free(r);
}

/* ---- escalation ---- */

static void burst5(struct respond *r, const char *src)
{
	for (int i = 0; i < 5; i++)
		ev(r, RESPOND_EV_FAILED_LOGIN, src, NULL);
}

static void test_escalation(void **state)
{
	static const uint64_t ladder[] = { 3600, 6 * 3600, 86400, 7 * 86400, 7 * 86400 };
	struct respond_conf c;
	struct respond *r = engine(NULL);
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ladder); i++) {
		burst5(r, "203.0.113.7");
		expect_block(i, "203.0.113.7/32", ladder[i]);
		/* While the engine's block runs, more bursts are not blocked again. */
		M.now += 1000;
		burst5(r, "203.0.113.7");
		assert_int_equal(M.n_blocks, i + 1);
		assert_non_null(audit_find("automated_response", "block_ip", "skipped"));
		M.now += ladder[i] * 1000;
	}
	/* 30 days after the last block ended the ladder starts again. */
	M.now += 30 * DAY;
	burst5(r, "203.0.113.7");
	expect_block(ARRAY_SIZE(ladder), "203.0.113.7/32", 3600);
	respond_free(r);

	/* A rule's block_for longer than the step wins; no escalation: always block_for. */
	respond_conf_defaults(&c);
	c.rules[0].block_s = 12 * 3600;
	r = engine(&c);
	for (i = 0; i < 2; i++) {
		burst5(r, "203.0.113.8");
		expect_block(i, "203.0.113.8/32", 12 * 3600);	/* over 1h, then over 6h */
		M.now += 13 * HOUR;
	}
	burst5(r, "203.0.113.8");
	expect_block(2, "203.0.113.8/32", 24 * 3600);	/* the third step is longer */
	respond_free(r);
	c.n_escalation = 0;
	r = engine(&c);
	for (i = 0; i < 3; i++) {
		burst5(r, "203.0.113.9");
		expect_block(i, "203.0.113.9/32", 12 * 3600);
		M.now += 13 * HOUR;
	}
	respond_free(r);

	/* A longer block already in place: skipped, but the offence climbs the ladder. */
	r = engine(NULL);
	M.block_rc = -EEXIST;
	burst5(r, "203.0.113.11");
	assert_non_null(audit_find("automated_response", "block_ip", "skipped"));
	assert_null(audit_find("automated_response", "block_ip", "failure"));
	M.block_rc = 0;
	M.now += 2 * HOUR;
	burst5(r, "203.0.113.11");
	expect_block(0, "203.0.113.11/32", 6 * 3600);
	respond_free(r);

	/* A failed block records no strike: the next one is the first step again. */
	r = engine(NULL);
	M.block_rc = -ENOSPC;
	burst5(r, "203.0.113.10");
	assert_int_equal(M.n_blocks, 0);
	assert_non_null(audit_find("automated_response", "block_ip", "failure"));
	M.block_rc = 0;
	M.now += 1000;
	burst5(r, "203.0.113.10");
	expect_block(0, "203.0.113.10/32", 3600);
	{
		struct respond_stats st;

		respond_stats(r, &st);
		assert_int_equal(st.block_errors, 1);
		assert_int_equal(st.blocks, 1);
	}
	respond_free(r);
}

/* ---- the protected set and address normalisation ---- */

static void parse_cidr(const char *s, struct ew_cidr *c)
{
	char err[EW_ERRLEN];

	if (ew_cidr_parse(s, EW_CIDR_CANON, c, err, sizeof(err)) < 0)
		fail_msg("%s: %s", s, err);
}

/* One address of this host that is neither loopback nor link-local, or "". */
static void own_address(char *buf, size_t len)
{
	struct ifaddrs *ifa, *p;

	buf[0] = '\0';
	if (getifaddrs(&ifa))
		return;
	for (p = ifa; p; p = p->ifa_next) {
		if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, buf, len);
		if (strncmp(buf, "127.", 4))
			break;
		buf[0] = '\0';
	}
	freeifaddrs(ifa);
}

static void test_never_block(void **state)
{
	static const struct {
		const char *source;
		int protected;
		const char *target;	/* what is (or would be) blocked */
		const char *why;	/* a part of the reason */
	} cases[] = {
		{ "10.1.2.3", 1, "10.1.2.3/32", "never_block" },
		{ "::ffff:10.1.2.3", 1, "10.1.2.3/32", "never_block" },	/* v4-mapped */
		{ "::FFFF:10.255.255.255", 1, "10.255.255.255/32", "never_block" },
		{ "192.0.2.77", 1, "192.0.2.77/32", "never_block" },	/* given mapped */
		{ "192.0.3.1", 0, "192.0.3.1/32", "" },
		{ "198.51.100.200", 1, "198.51.100.200/32", "allowlist" },
		{ "127.0.0.1", 1, "127.0.0.1/32", "loopback" },
		{ "127.9.9.9", 1, "127.9.9.9/32", "loopback" },
		{ "::1", 1, "::1/128", "loopback" },
		{ "::ffff:127.0.0.1", 1, "127.0.0.1/32", "loopback" },
		{ "0.0.0.0", 1, "0.0.0.0/32", "unspecified" },
		{ "::", 1, "::/128", "unspecified" },
		{ "2001:db8:1:2::5", 1, "2001:db8:1:2::5/128", "never_block" },
		{ "2001:db8:2::5", 0, "2001:db8:2::/64", "" },
		{ "2001:DB8:2:0:ffff:ffff:ffff:ffff", 0, "2001:db8:2::/64", "" },
		/* The /64 holds an allowlisted host: only the /128 is blocked. */
		{ "2001:db8:3::5", 0, "2001:db8:3::5/128", "" },
		{ "2001:db8:3::1", 1, "2001:db8:3::1/128", "allowlist" },
		{ "2001:db8:2::9%eth0", 0, "2001:db8:2::/64", "" },	/* zone ids dropped */
		{ "203.0.113.1", 0, "203.0.113.1/32", "" },
	};
	struct respond_conf c;
	struct ew_cidr allow[2], t;
	char why[160], txt[EW_CIDR_STRLEN], own[INET6_ADDRSTRLEN];
	struct respond *r;
	struct respond_stats st;
	size_t i;
	int p;

	(void)state;
	respond_conf_defaults(&c);
	parse_cidr("10.0.0.0/8", &c.never_block[0]);
	parse_cidr("::ffff:192.0.2.0/120", &c.never_block[1]);
	parse_cidr("2001:db8:1::/48", &c.never_block[2]);
	c.n_never_block = 3;
	r = engine(&c);
	parse_cidr("198.51.100.0/24", &allow[0]);
	parse_cidr("2001:db8:3::1/128", &allow[1]);
	assert_int_equal(respond_set_allow(r, allow, 2), 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		p = respond_protected(r, cases[i].source, &t, why, sizeof(why));
		ew_cidr_format(&t, txt, sizeof(txt));
		if (p != cases[i].protected || strcmp(txt, cases[i].target) ||
		    !strstr(why, cases[i].why))
			fail_msg("%s: protected %d, target %s, why \"%s\"; expected %d, %s, \"%s\"",
				 cases[i].source, p, txt, why, cases[i].protected, cases[i].target,
				 cases[i].why);
	}
	assert_int_equal(respond_protected(r, "10.0.0.0/8", NULL, NULL, 0), -EINVAL);
	assert_int_equal(respond_protected(r, "not an address", NULL, NULL, 0), -EINVAL);

	/* This server's own address. */
	own_address(own, sizeof(own));
	if (own[0]) {
		struct respond *plain = respond_new(&(struct respond_conf){ 0 }, &OPS, &M);

		/* Without never_block (it may hold this address too), to see the reason. */
		assert_null(plain);
		respond_conf_defaults(&c);
		plain = respond_new(&c, &OPS, &M);
		assert_non_null(plain);
		assert_int_equal(respond_protected(plain, own, NULL, why, sizeof(why)), 1);
		if (!strstr(why, "own address"))
			fail_msg("%s: \"%s\", expected this server's own address", own, why);
		respond_free(plain);
	} else {
		print_message("no non-loopback IPv4 address here: own-address case not run\n");
	}

	/* A protected source trips the rule: refused and audited, never blocked. */
	burst5(r, "10.9.9.9");
	burst5(r, "::ffff:198.51.100.7");
	assert_int_equal(M.n_blocks, 0);
	assert_non_null(audit_find("automated_response", "block_ip", "refused"));
	respond_stats(r, &st);
	assert_int_equal(st.refused, 2);

	/* IPv6: five addresses of one /64 are one offender, blocked as the /64. */
	for (i = 0; i < 5; i++) {
		snprintf(own, sizeof(own), "2001:db8:77:1::%zx", i + 1);
		ev(r, RESPOND_EV_FAILED_LOGIN, own, NULL);
	}
	expect_block(0, "2001:db8:77:1::/64", 3600);
	/* ... and v4-mapped sources are the IPv4 host. */
	burst5(r, "::ffff:203.0.113.99");
	expect_block(1, "203.0.113.99/32", 3600);
	/* Next to an allowlisted host only the /128 goes. */
	burst5(r, "2001:db8:3::abcd");
	expect_block(2, "2001:db8:3::abcd/128", 3600);

	/* A new allowlist replaces the old one. */
	assert_int_equal(respond_set_allow(r, NULL, 0), 0);
	assert_int_equal(respond_protected(r, "198.51.100.200", NULL, NULL, 0), 0);
	assert_int_equal(respond_protected(r, "10.0.0.1", NULL, NULL, 0), 1);
	respond_free(r);

	/* The normalisation on its own. */
	assert_int_equal(respond_target("2001:db8::1", &t), 0);
	ew_cidr_format(&t, txt, sizeof(txt));
	assert_string_equal(txt, "2001:db8::/64");
	assert_int_equal(respond_target("::ffff:1.2.3.4", &t), 0);
	ew_cidr_format(&t, txt, sizeof(txt));
	assert_string_equal(txt, "1.2.3.4/32");
	assert_int_equal(respond_target("1.2.3.4/32", &t), -EINVAL);
}

/* ---- the guide's other two rules ---- */

static int login(struct respond *r, uint64_t at, const char *role, const char *user)
{
	struct respond_ev e = { .type = RESPOND_EV_LOGIN_SUCCESS, .source = "192.0.2.44",
				.user = user, .role = role, .origin = "api" };

	M.now = at;
	return respond_event(r, &e);
}

static void test_after_hours(void **state)
{
	static const struct {
		uint64_t at;
		const char *role;
		int fires;
	} cases[] = {
		{ T0 + 23 * HOUR, "admin", 1 },
		{ T0 + 22 * HOUR, "admin", 1 },			/* start: inclusive */
		{ T0 + 22 * HOUR - 1000, "admin", 0 },
		{ T0 + DAY + 5 * HOUR + 59 * MIN, "admin", 1 },	/* past midnight */
		{ T0 + DAY + 6 * HOUR, "admin", 0 },		/* end: exclusive */
		{ T0 + DAY + 12 * HOUR, "admin", 0 },
		{ T0 + 3 * HOUR, "admin", 1 },
		{ T0 + 23 * HOUR, "manager", 0 },
		{ T0 + 23 * HOUR, NULL, 0 },
		{ T0 + 23 * HOUR, "Admin", 0 },
	};
	struct respond_conf c;
	struct respond *r;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = engine(NULL);
		n = login(r, cases[i].at, cases[i].role, "alice");
		if (n != cases[i].fires)
			fail_msg("case %zu: login at +%llus as %s fired %d rules, expected %d", i,
				 (unsigned long long)((cases[i].at - T0) / 1000),
				 cases[i].role ? cases[i].role : "(none)", n, cases[i].fires);
		if (n) {
			assert_int_equal(M.n_alerts, 1);
			assert_string_equal(M.alerts[0].recipient, "security_team");
			assert_int_equal(M.acts[RESPOND_ACT_REQUIRE_ADDITIONAL_AUTH], 1);
			assert_non_null(audit_find("automated_response", "log_extended",
						   "success"));
		}
		respond_free(r);
	}

	/* log_extended: the user's later events are audited in full, for an hour. */
	r = engine(NULL);
	assert_int_equal(login(r, T0 + 23 * HOUR, "admin", "alice"), 1);
	M.now += 10 * MIN;
	ev(r, RESPOND_EV_DATA_EXPORT, NULL, "alice");
	assert_non_null(audit_find("extended_log", NULL, NULL));
	assert_int_equal(json_array_size(M.audits), 4);
	M.now += HOUR;
	respond_tick(r);
	ev(r, RESPOND_EV_DATA_EXPORT, NULL, "alice");
	assert_int_equal(json_array_size(M.audits), 4);
	respond_free(r);

	/* In a zone two hours east: 21:00 UTC is 23:00 there. */
	respond_conf_defaults(&c);
	c.rules[1].time.tz_off_s = 2 * 3600;
	r = engine(&c);
	assert_int_equal(login(r, T0 + 21 * HOUR, "admin", "bob"), 1);
	assert_int_equal(login(r, T0 + 4 * HOUR, "admin", "bob"), 0);	/* 06:00 there */
	respond_free(r);

	/* Days: Fridays only, and the window that starts on Friday runs into Saturday. */
	respond_conf_defaults(&c);
	c.rules[1].time.days = 1u << 5;	/* Friday; 2024-01-05 */
	r = engine(&c);
	assert_int_equal(login(r, T0 + 4 * DAY + 23 * HOUR, "admin", "bob"), 1);
	assert_int_equal(login(r, T0 + 5 * DAY + 3 * HOUR, "admin", "bob"), 1);
	assert_int_equal(login(r, T0 + 4 * DAY + 3 * HOUR, "admin", "bob"), 0);
	respond_free(r);
}

static void test_export(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t bytes;
	} sizes[] = {
		{ "1GB", 0, 1ULL << 30 },	 { "1gb", 0, 1ULL << 30 },
		{ "> 1GB", 0, 1ULL << 30 },	 { "1 GB", 0, 1ULL << 30 },
		{ "500MB", 0, 500ULL << 20 },	 { "1kB", 0, 1024 },
		{ "1073741824B", 0, 1ULL << 30 }, { "7 bytes", 0, 7 },
		{ "2TiB", 0, 2ULL << 40 },	 { "16383PB", 0, 16383ULL << 50 },
		{ "16384PB", -EINVAL, 0 },	 { "1.5GB", -EINVAL, 0 },
		{ "GB", -EINVAL, 0 },		 { "-1GB", -EINVAL, 0 },
		{ "01GB", -EINVAL, 0 },		 { "1XB", -EINVAL, 0 },
		{ "1GB ", -EINVAL, 0 },		 { "", -EINVAL, 0 },
		{ ">1GB", -EINVAL, 0 },		 { "99999999999999999999B", -EINVAL, 0 },
	};
	struct respond_ev e = { .type = RESPOND_EV_DATA_EXPORT, .user = "carol", .origin = "app" };
	struct respond *r;
	char err[EW_ERRLEN];
	uint64_t v;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		v = 0;
		rc = respond_size_parse(sizes[i].text, &v, err, sizeof(err));
		if (rc != sizes[i].rc || (!rc && v != sizes[i].bytes))
			fail_msg("\"%s\": %d %llu, expected %d %llu (%s)", sizes[i].text, rc,
				 (unsigned long long)v, sizes[i].rc,
				 (unsigned long long)sizes[i].bytes, rc ? err : "");
	}
	r = engine(NULL);
	e.bytes = 1ULL << 30;	/* exactly 1 GB: not over */
	assert_int_equal(respond_event(r, &e), 0);
	e.bytes++;
	assert_int_equal(respond_event(r, &e), 1);
	assert_int_equal(M.acts[RESPOND_ACT_REQUIRE_APPROVAL], 1);
	assert_int_equal(M.acts[RESPOND_ACT_QUARANTINE_EXPORT], 1);
	assert_int_equal(M.n_alerts, 1);
	assert_string_equal(M.alerts[0].recipient, "data_protection_officer");
	/* The mock has no quarantine: audited as unavailable, not as done. */
	assert_non_null(audit_find("automated_response", "quarantine_export", "unavailable"));
	assert_non_null(audit_find("automated_response", "require_approval", "success"));
	/* Other events never match, whatever their bytes. */
	e.type = RESPOND_EV_LOGIN_SUCCESS;
	assert_int_equal(respond_event(r, &e), 0);
	/* Each export counts alone (count 1), per user. */
	e.type = RESPOND_EV_DATA_EXPORT;
	e.bytes = UINT64_MAX;
	assert_int_equal(respond_event(r, &e), 1);
	respond_free(r);
}

/* ---- configuration errors ---- */

static struct respond_rule base_rule(void)
{
	struct respond_rule r = { .enabled = true, .count = 1 };

	snprintf(r.name, sizeof(r.name), "r");
	r.events = 1u << RESPOND_EV_FAILED_LOGIN;
	r.actions[r.n_actions++] = RESPOND_ACT_NOTIFY_ADMIN;
	return r;
}

static void test_rule_errors(void **state)
{
	struct respond_rule r;
	struct respond_conf c;
	char err[256];
	size_t i;
	struct {
		const char *want;
		struct respond_rule rule;
	} cases[12];
	size_t n = 0;

	(void)state;
	r = base_rule();
	assert_int_equal(respond_rule_check(&r, err, sizeof(err)), 0);
#define CASE(w, stmt)                                  \
	do {                                           \
		cases[n].want = (w);                   \
		cases[n].rule = base_rule();           \
		{                                      \
			struct respond_rule *x = &cases[n].rule; \
			stmt;                          \
		}                                      \
		n++;                                   \
	} while (0)
	CASE("no event type", x->events = 0);
	CASE("count 0 out of range", x->count = 0);
	CASE("count 5 needs a window", x->count = 5);
	CASE("a window needs a count above 1", x->window_ms = 60000);
	CASE("bytes_over applies to data_export events only", x->bytes_over = 10);
	CASE("no actions", x->n_actions = 0);
	CASE("action notify_admin listed twice",
	     x->actions[x->n_actions++] = RESPOND_ACT_NOTIFY_ADMIN);
	CASE("block_for without block_ip", x->block_s = 60);
	CASE("block_ip needs per: source", (x->actions[x->n_actions++] = RESPOND_ACT_BLOCK_IP,
					    x->block_s = 60, x->per = RESPOND_PER_ALL));
	CASE("block_for out of range", x->actions[x->n_actions++] = RESPOND_ACT_BLOCK_IP);
	CASE("bad time range", (x->has_time = true, x->time.start_min = x->time.end_min = 60,
				x->time.days = RBAC_DAYS_ALL));
	CASE("printable", x->name[0] = '\0');
#undef CASE
	for (i = 0; i < n; i++) {
		err[0] = '\0';
		if (respond_rule_check(&cases[i].rule, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\", expected -EINVAL with \"%s\"", i, err,
				 cases[i].want);
	}

	/* respond_new refuses a bad set, and says nothing is running. */
	respond_conf_defaults(&c);
	c.rules[1] = c.rules[0];
	errno = 0;
	assert_null(respond_new(&c, &OPS, &M));
	assert_int_equal(errno, EINVAL);
	respond_conf_defaults(&c);
	c.escalation_s[2] = 60;	/* shorter than the step before */
	assert_null(respond_new(&c, &OPS, &M));
	{
		struct respond *e = engine(NULL);

		assert_int_equal(respond_reconf(e, &c, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "escalation"));
		/* The running rules stay. */
		burst5(e, "203.0.113.5");
		assert_int_equal(M.n_blocks, 1);
		respond_free(e);
	}
}

/* The same through the config file: line numbers and messages. */
static void test_config_rules(void **state)
{
	static const struct {
		const char *yaml;
		int line;
		const char *want;
	} bad[] = {
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_logins}\n"
		  "      actions: [notify_admin]\n", 4, "\"failed_logins\" is not an event" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login}\n"
		  "      actions: [ban]\n", 5, "\"ban\" is not an action" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login}\n"
		  "      actions: [notify_admin]\n      block_for: 1h\n", 6,
		  "block_for without block_ip" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login, count: 5}\n"
		  "      actions: [block_ip]\n", 3, "count 5 needs a window" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login, count: 5, "
		  "window: 5m, per: all}\n      actions: [block_ip]\n", 3,
		  "block_ip needs per: source" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login, "
		  "bytes_over: 1GB}\n      actions: [notify_admin]\n", 3,
		  "bytes_over applies to data_export events only" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: data_export, "
		  "bytes_over: 1.5GB}\n      actions: [notify_admin]\n", 4, "unknown unit" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: login_success, "
		  "time_range: {start: \"22:00\", end: \"22:00\"}}\n      actions: [notify_admin]\n",
		  4, "start and end are both 22:00" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login}\n"
		  "      actions: [notify_admin]\n    - name: x\n      when: {event: failed_login}\n"
		  "      actions: [notify_admin]\n", 6, "rule name \"x\" is used twice (first at "
		  "line 4)" },
		{ "response:\n  rules:\n    - when: {event: failed_login}\n"
		  "      actions: [notify_admin]\n", 3, "missing key \"name\"" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login, count: 0}\n"
		  "      actions: [notify_admin]\n", 4, "out of range 1..10000" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: [failed_login, "
		  "failed_login]}\n      actions: [notify_admin]\n", 4, "failed_login is listed twice" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login}\n"
		  "      actions: []\n", 5, "actions: empty list" },
		{ "response:\n  rules:\n    - name: x\n      when: {event: failed_login, role: "
		  "\"Ad min\"}\n      actions: [notify_admin]\n", 4, "is not a role name" },
		{ "response:\n  escalation: [1h, 6h, 1h]\n", 2,
		  "response.escalation[2]: shorter than the step before" },
		{ "response:\n  never_block: [0.0.0.0/0]\n", 2, "would exempt every address" },
		{ "response:\n  never_block: [10.0.0.0/33]\n", 2, "prefix length out of range" },
		{ "response:\n  max_sources: 1\n", 2, "out of range 16..1048576" },
		{ "response:\n  rules: {name: x}\n", 2, "response.rules: expected a list" },
	};
	char dir[] = "/tmp/ew-test-respond-XXXXXX", path[128], err[CFG_ERRLEN], prefix[160];
	struct ew_config *cfg;
	struct cfg_check_env env = { .owner = geteuid() };
	FILE *f;
	size_t i;
	int r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "profile: development\n%s", bad[i].yaml);
		fclose(f);
		cfg = NULL;
		r = cfg_load_env(path, &env, &cfg, err, sizeof(err));
		snprintf(prefix, sizeof(prefix), "%s:%d:", path, bad[i].line + 1);
		if (r != -EINVAL || !strstr(err, bad[i].want) || !strstr(err, prefix))
			fail_msg("case %zu: %d \"%s\"; expected -EINVAL, \"%s\" at line %d", i, r,
				 err, bad[i].want, bad[i].line + 1);
		assert_null(cfg);
	}
	/* A good file: the guide's rules in its own words, and the values read back. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("profile: development\n"
	      "response:\n"
	      "  rules:\n"
	      "    - name: Multiple Failed Logins\n"
	      "      when: {event: failed_login, count: 5, window: 5 minutes, per: source}\n"
	      "      actions: [block_ip, notify_admin, require_mfa]\n"
	      "      block_for: 1h\n", f);
	fclose(f);
	r = cfg_load_env(path, &env, &cfg, err, sizeof(err));
	/* "5 minutes" is the guide's SQL text, not a duration. */
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, "window"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("profile: development\n"
	      "response:\n"
	      "  rules:\n"
	      "    - name: Multiple Failed Logins\n"
	      "      when: {event: failed_login, count: 5, window: 5m, per: source}\n"
	      "      actions: [block_ip, notify_admin, require_mfa]\n"
	      "    - name: Admin Access After Hours\n"
	      "      when:\n"
	      "        event: login_success\n"
	      "        role: admin\n"
	      "        time_range: {start: \"22:00\", end: \"06:00\", tz: UTC}\n"
	      "      actions: [notify_security_team, require_additional_auth, log_extended]\n"
	      "    - name: Data Export Large Volume\n"
	      "      when: {event: data_export, bytes_over: 1GB}\n"
	      "      actions: [require_approval, notify_data_protection_officer, "
	      "quarantine_export]\n"
	      "  escalation: [1h, 6h, 24h, 7d]\n"
	      "  never_block: [10.0.0.0/8, \"2001:db8::/32\"]\n"
	      "monitors:\n"
	      "  failed_logins: {threshold: 7, window: 10m}\n", f);
	fclose(f);
	r = cfg_load_env(path, &env, &cfg, err, sizeof(err));
	if (r)
		fail_msg("good file: %s", err);
	assert_int_equal(cfg->response.n_rules, 3);
	assert_int_equal(cfg->response.rules[0].block_s, 3600);	/* the default */
	assert_int_equal(cfg->response.rules[0].window_ms, 300000);
	assert_int_equal(cfg->response.rules[1].time.start_min, 22 * 60);
	assert_int_equal(cfg->response.rules[1].time.end_min, 6 * 60);
	assert_int_equal(cfg->response.rules[2].bytes_over, 1ULL << 30);
	assert_int_equal(cfg->response.n_escalation, 4);
	assert_int_equal(cfg->response.escalation_s[3], 7 * 86400);
	assert_int_equal(cfg->response.n_never_block, 2);
	assert_int_equal(cfg->response.burst_threshold, 7);
	{
		struct respond *e = respond_new(&cfg->response, &OPS, &M);

		assert_non_null(e);
		respond_free(e);
	}
	cfg_free(cfg);
	unlink(path);
	rmdir(dir);
}

/* ---- audit records in, bursts, bounds, re-entrancy ---- */

static void test_audit_records(void **state)
{
	struct respond *r = engine(NULL);
	json_t *rec, *sum;
	int i;

	(void)state;
	/* The API's failed logins, as api_auth.c writes them. */
	for (i = 0; i < 5; i++) {
		rec = jr_event("failed_login", "mallory", "203.0.113.66", "session", "login",
			       "failure", 0);
		assert_int_equal(respond_audit_record(r, rec, "api"), i == 4 ? 1 : 0);
		json_decref(rec);
	}
	expect_block(0, "203.0.113.66/32", 3600);
	/* Local callers have no address: nothing to block, nothing counted per source. */
	for (i = 0; i < 6; i++) {
		rec = jr_event("failed_login", "mallory", "unix", "session", "login", "failure", 0);
		assert_int_equal(respond_audit_record(r, rec, "api"), 0);
		json_decref(rec);
	}
	assert_int_equal(M.n_blocks, 1);
	/* An admin's login with its role, after hours. */
	M.now = T0 + 23 * HOUR;
	rec = jr_event("login_success", "root", "192.0.2.5", "session", "login", "success", 0);
	json_object_set_new(json_object_get(rec, "details"), "role", json_string("admin"));
	assert_int_equal(respond_audit_record(r, rec, "api"), 1);
	json_decref(rec);
	/* Other types are not events; nor is the engine's own record. */
	rec = jr_event("automated_response", "edgewardd", "192.0.2.5", NULL, "block_ip",
		       "success", 0);
	assert_int_equal(respond_audit_record(r, rec, "api"), 0);
	json_decref(rec);
	/* A drop summary: each top source is a drops event with its count. */
	sum = json_pack("{s:s, s:{s:[{s:s, s:i}, {s:s, s:i}, {s:i}, {s:s, s:i}]}}", "type",
			"packet_drops", "details", "top_sources", "source", "198.51.100.1",
			"events", 50, "source", "bad", "events", 5, "events", 5, "source",
			"198.51.100.2", "events", -1);
	assert_non_null(sum);
	assert_int_equal(respond_audit_record(r, sum, "xdp"), 0);	/* no drops rule */
	json_decref(sum);
	rec = json_object();
	assert_int_equal(respond_audit_record(r, rec, "x"), 0);
	json_decref(rec);
	respond_free(r);
}

static void test_burst(void **state)
{
	struct respond *r = engine(NULL);
	char src[32];
	struct respond_stats st;
	int i;

	(void)state;
	/* Five failures from five sources: not more than five, nothing. The sixth: alert. */
	for (i = 0; i < 5; i++) {
		snprintf(src, sizeof(src), "203.0.113.%d", i + 1);
		M.now = T0 + (uint64_t)i * MIN;
		ev(r, RESPOND_EV_FAILED_LOGIN, src, "root");
	}
	assert_int_equal(M.n_alerts, 0);
	ev(r, RESPOND_EV_INVALID_USER, "203.0.113.9", "x");
	assert_int_equal(M.n_alerts, 1);
	assert_string_equal(M.alerts[0].recipient, "security_team");
	assert_non_null(strstr(M.alerts[0].text, "more than 5 failed logins"));
	assert_non_null(audit_find("login_failure_burst", NULL, NULL));
	/* Quiet for a window, then it may alert again. */
	for (i = 0; i < 6; i++)
		ev(r, RESPOND_EV_FAILED_LOGIN, "198.51.100.3", NULL);
	assert_int_equal(M.n_alerts, 1 + 1);	/* only the per-source rule's notify_admin */
	M.now += 6 * MIN;
	for (i = 0; i < 6; i++)
		ev(r, RESPOND_EV_FAILED_LOGIN, "198.51.100.4", NULL);
	respond_stats(r, &st);
	assert_int_equal(st.bursts, 2);
	respond_free(r);
}

static void test_bounds(void **state)
{
	struct respond_conf c;
	struct respond_stats st;
	struct respond *r;
	char src[64];
	int i;

	(void)state;
	respond_conf_defaults(&c);
	c.max_keys = 16;
	c.max_offenders = 16;
	c.burst_threshold = 0;
	r = engine(&c);
	/* 10000 sources, 4 failures each, one at a time: at most 16 windows. */
	for (i = 0; i < 10000; i++) {
		snprintf(src, sizeof(src), "2001:db8:%x:%x::1", i >> 8, i & 0xff);
		for (int k = 0; k < 4; k++)
			ev(r, RESPOND_EV_FAILED_LOGIN, src, NULL);
	}
	respond_stats(r, &st);
	if (st.keys > 16)
		fail_msg("%zu windows held, expected at most 16", st.keys);
	assert_true(st.evicted >= 10000 - 16);
	assert_int_equal(M.n_blocks, 0);
	/* Eviction drops the oldest: the latest source still has its four. */
	ev(r, RESPOND_EV_FAILED_LOGIN, src, NULL);
	assert_int_equal(M.n_blocks, 1);
	/* Offenders are bounded too. */
	for (i = 0; i < 100; i++) {
		snprintf(src, sizeof(src), "198.51.%d.%d", i / 200, i % 200 + 1);
		burst5(r, src);
	}
	respond_stats(r, &st);
	assert_true(st.offenders <= 16);
	/* Stale windows go at the tick. */
	ev(r, RESPOND_EV_FAILED_LOGIN, "192.0.2.200", NULL);
	M.now += 6 * MIN;
	respond_tick(r);
	respond_stats(r, &st);
	assert_int_equal(st.keys, 0);
	respond_free(r);

	/* Long user names share a key past RESPOND_USER_MAX bytes, and never overflow. */
	respond_conf_defaults(&c);
	c.rules[0].per = RESPOND_PER_USER;
	r = engine(&c);
	{
		char u[4096];

		memset(u, 'a', sizeof(u) - 1);
		u[sizeof(u) - 1] = '\0';
		for (i = 0; i < 5; i++) {
			u[sizeof(u) - 2] = (char)('a' + i);
			ev(r, RESPOND_EV_FAILED_LOGIN, "192.0.2.201", u);
		}
		expect_block(0, "192.0.2.201/32", 3600);
	}
	respond_free(r);
}

static void test_reentry(void **state)
{
	struct respond *r = engine(NULL);

	(void)state;
	M.r = r;
	burst5(r, "203.0.113.70");
	assert_int_equal(M.reentry_rc, -EDEADLK);
	M.r = NULL;
	/* The engine is usable afterwards. */
	M.now += 2 * HOUR;
	burst5(r, "203.0.113.70");
	assert_int_equal(M.n_blocks, 2);
	respond_free(r);
	respond_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_logins),
		cmocka_unit_test(test_large_counts_and_weights),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_never_block),
		cmocka_unit_test(test_after_hours),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_config_rules),
		cmocka_unit_test(test_audit_records),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_reentry),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
