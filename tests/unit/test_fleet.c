// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fleet module's pure parts: notification payloads (the trigger's own
 * and hostile ones: not JSON, wrong types, bad or too wide CIDRs, huge),
 * event ids, reasons cleaned for the kernel, the wall clock to
 * CLOCK_BOOTTIME expiry conversion at its edges, database rows, and the
 * resync plan: only origin=fleet rules are added, updated or removed; other
 * origins' live rules stay, expired ones are taken over; duplicates keep the
 * longest block; expiries within the slack leave a rule (and its hits) alone.
 * The connection itself is tested against PostgreSQL by
 * tests/integration/test_fleet.sh.
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

#include "fleet.h"

#define S	1000000000ULL

static struct ew_cidr cidr(const char *s)
{
	struct ew_cidr c;
	char err[EW_ERRLEN];

	if (ew_cidr_parse(s, 0, &c, err, sizeof(err)))
		fail_msg("test bug: %s: %s", s, err);
	return c;
}

static const char *fmt(const struct ew_cidr *c)
{
	static char buf[4][EW_CIDR_STRLEN];
	static int i;

	i = (i + 1) % 4;
	ew_cidr_format(c, buf[i], sizeof(buf[i]));
	return buf[i];
}

/* ---- payloads ---- */

static void test_payload_good(void **state)
{
	static const struct {
		const char *payload;
		enum fleet_op op;
		const char *cidr;
		int64_t until_ms;
		const char *reason;
	} cases[] = {
		/* What audit.blocklist_payload writes (0005_blocklist.sql). */
		{ "{\"op\": \"insert\", \"ip\": \"192.0.2.7/32\", \"reason\": \"brute force\", "
		  "\"blocked_until\": 1700003600}",
		  FLEET_OP_INSERT, "192.0.2.7/32", 1700003600000LL, "brute force" },
		{ "{\"op\": \"update\", \"ip\": \"2001:db8:1:2::/64\", \"reason\": null, "
		  "\"blocked_until\": null}",
		  FLEET_OP_UPDATE, "2001:db8:1:2::/64", FLEET_FOREVER, "" },
		{ "{\"op\": \"delete\", \"ip\": \"10.0.0.0/8\", \"blocked_until\": 1.5}",
		  FLEET_OP_DELETE, "10.0.0.0/8", 1500, "" },
		/* TG_OP spelling, a bare address, extra keys ignored, no blocked_until. */
		{ "{\"op\": \"INSERT\", \"ip\": \"198.51.100.1\", \"id\": 7, \"x\": [1, {}]}",
		  FLEET_OP_INSERT, "198.51.100.1/32", FLEET_FOREVER, "" },
		{ "{\"op\":\"insert\",\"ip\":\"2001:db8::1\",\"reason\":\"a\\u0001b\\nc\\u007f\"}",
		  FLEET_OP_INSERT, "2001:db8::1/128", FLEET_FOREVER, "a?b?c?" },
		{ "{\"op\": \"insert\", \"ip\": \"192.0.2.1/32\", \"reason\": \"x\\ty\\u001bz\"}",
		  FLEET_OP_INSERT, "192.0.2.1/32", FLEET_FOREVER, "x?y?z" },
		{ "{\"op\": \"truncate\"}", FLEET_OP_TRUNCATE, NULL, 0, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet_note n;
		char err[EW_ERRLEN] = "";
		int r = fleet_note_parse(cases[i].payload, &n, err, sizeof(err));

		if (r)
			fail_msg("%s: got %d (%s), expected 0", cases[i].payload, r, err);
		if (n.op != cases[i].op)
			fail_msg("%s: op %d, expected %d", cases[i].payload, n.op, cases[i].op);
		if (!cases[i].cidr)
			continue;
		if (strcmp(fmt(&n.cidr), cases[i].cidr))
			fail_msg("%s: ip %s, expected %s", cases[i].payload, fmt(&n.cidr),
				 cases[i].cidr);
		if (n.until_ms != cases[i].until_ms)
			fail_msg("%s: until %lld, expected %lld", cases[i].payload,
				 (long long)n.until_ms, (long long)cases[i].until_ms);
		if (strcmp(n.reason, cases[i].reason))
			fail_msg("%s: reason \"%s\", expected \"%s\"", cases[i].payload, n.reason,
				 cases[i].reason);
	}
}

static void test_payload_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\"} trailing",
		"[\"insert\", \"192.0.2.1\"]",
		"\"insert\"",
		"42",
		"null",
		"{}",
		"{\"ip\": \"192.0.2.1\"}",
		"{\"op\": 1, \"ip\": \"192.0.2.1\"}",
		"{\"op\": \"upsert\", \"ip\": \"192.0.2.1\"}",
		"{\"op\": \"insert\"}",
		"{\"op\": \"insert\", \"ip\": null}",
		"{\"op\": \"insert\", \"ip\": 3221225985}",
		"{\"op\": \"insert\", \"ip\": [\"192.0.2.1\"]}",
		"{\"op\": \"insert\", \"ip\": \"300.0.0.1\"}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1/33\"}",
		"{\"op\": \"insert\", \"ip\": \"10.1.2.3/8\"}",	/* host bits: never widened */
		"{\"op\": \"insert\", \"ip\": \"0.0.0.0/0\"}",	/* everything */
		"{\"op\": \"insert\", \"ip\": \"::/0\"}",
		"{\"op\": \"insert\", \"ip\": \" 192.0.2.1\"}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1%eth0\"}",
		"{\"op\": \"insert\", \"ip\": \"fe80::1%eth0\"}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.01\"}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\", \"blocked_until\": \"1700000000\"}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\", \"blocked_until\": -1}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\", \"blocked_until\": 1e300}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\", \"blocked_until\": true}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\", \"reason\": 5}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\", \"reason\": {}}",
		"{\"op\": \"insert\", \"op\": \"delete\", \"ip\": \"192.0.2.1\"}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\"",
		"{\"op\": \"ins\\u0000ert\", \"ip\": \"192.0.2.1\"}",
		"{\"op\": \"insert\", \"ip\": \"192.0.2.1\", \"reason\": \"a\\u0000b\"}",
		"\xff\xfe{}",
	};
	char big[FLEET_PAYLOAD_MAX + 64], err[EW_ERRLEN];
	struct fleet_note n;
	size_t o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (fleet_note_parse(bad[i], &n, err, sizeof(err)) != -EINVAL)
			fail_msg("%s: accepted, expected -EINVAL", bad[i]);
		if (!err[0])
			fail_msg("%s: refused without a reason", bad[i]);
	}
	assert_int_equal(fleet_note_parse(NULL, &n, err, sizeof(err)), -EINVAL);
	/* Over PostgreSQL's limit, even when otherwise valid. */
	o = (size_t)snprintf(big, sizeof(big), "{\"op\": \"insert\", \"ip\": \"192.0.2.1\", "
					       "\"reason\": \"");
	memset(big + o, 'a', sizeof(big) - o - 3);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	if (fleet_note_parse(big, &n, err, sizeof(err)) != -EINVAL)
		fail_msg("a %zu-byte payload was accepted", strlen(big));
	/* Deep nesting within the limit: refused, not a stack overflow. */
	memset(big, '[', 7000);
	big[7000] = '\0';
	assert_int_equal(fleet_note_parse(big, &n, err, sizeof(err)), -EINVAL);
	/* A long reason is cut to the kernel's field. */
	o = (size_t)snprintf(big, sizeof(big), "{\"op\": \"insert\", \"ip\": \"192.0.2.1\", "
					       "\"reason\": \"");
	memset(big + o, 'r', 1000);
	memcpy(big + o + 1000, "\"}", 3);
	assert_int_equal(fleet_note_parse(big, &n, err, sizeof(err)), 0);
	assert_int_equal(strlen(n.reason), EW_REASON_TEXT_LEN - 1);
}

static void test_event_id(void **state)
{
	static const char *const bad[] = {
		"", "1", "42", "abc", "c0ffee00-0000-4000-8000-00000000000",
		"c0ffee00-0000-4000-8000-0000000000000", "c0ffee00+0000-4000-8000-000000000000",
		"c0ffee000000-4000-8000-0000000000000", "g0ffee00-0000-4000-8000-000000000000",
		" c0ffee00-0000-4000-8000-00000000000", "c0ffee00-0000-4000-8000-00000000000\n",
		"'; DROP TABLE audit.security_events; --",
	};
	char id[FLEET_UUID_LEN + 1];

	(void)state;
	assert_int_equal(fleet_event_id_parse("c0ffee00-0000-4000-8000-00000000002a", id), 0);
	assert_string_equal(id, "c0ffee00-0000-4000-8000-00000000002a");
	assert_int_equal(fleet_event_id_parse("C0FFEE00-0000-4000-8000-00000000002A", id), 0);
	assert_string_equal(id, "c0ffee00-0000-4000-8000-00000000002a");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fleet_event_id_parse(bad[i], id) != -EINVAL)
			fail_msg("event id \"%s\" accepted, expected -EINVAL", bad[i]);
	assert_int_equal(fleet_event_id_parse(NULL, id), -EINVAL);
}

static void test_reason_copy(void **state)
{
	char dst[EW_REASON_TEXT_LEN], src[200];

	(void)state;
	fleet_reason_copy(dst, NULL);
	assert_string_equal(dst, "");
	fleet_reason_copy(dst, "ssh\r\nbrute\x7f");
	assert_string_equal(dst, "ssh??brute?");
	/* 62 ASCII bytes and a 2-byte character: the character does not fit, whole. */
	memset(src, 'a', 62);
	strcpy(src + 62, "\xc3\xa9tail");
	fleet_reason_copy(dst, src);
	if (strlen(dst) != 62)
		fail_msg("cut at %zu bytes, expected 62 (before the split character)",
			 strlen(dst));
	/* 61 + the 2-byte character fits exactly in 63. */
	memset(src, 'a', 61);
	strcpy(src + 61, "\xc3\xa9tail");
	fleet_reason_copy(dst, src);
	assert_int_equal(strlen(dst), 63);
	assert_memory_equal(dst + 61, "\xc3\xa9", 2);
	/* A 4-byte character split after its second byte. */
	memset(src, 'a', 61);
	strcpy(src + 61, "\xf0\x9f\x94\x92x");
	fleet_reason_copy(dst, src);
	assert_int_equal(strlen(dst), 61);
}

/* ---- expiry ---- */

static void test_expiry(void **state)
{
	static const struct {
		int64_t until_ms, now_ms;
		uint64_t boot_ns;
		int ret;
		uint64_t want;
	} cases[] = {
		{ FLEET_FOREVER, 1700000000000LL, 5 * S, 0, 0 },
		{ 1700000003000LL, 1700000000000LL, 5 * S, 0, 8 * S },		/* 3 s ahead */
		{ 1700000000001LL, 1700000000000LL, 5 * S, 0, 5 * S + 1000000 },
		{ 1700000000000LL, 1700000000000LL, 5 * S, -ETIME, 0 },		/* just expired */
		{ 1699999990000LL, 1700000000000LL, 5 * S, -ETIME, 0 },
		{ 0, 1700000000000LL, 5 * S, -ETIME, 0 },
		{ INT64_MIN, 0, 5 * S, -ETIME, 0 },
		/* 200 years ahead: cut to 100 (366-day) years, no overflow. */
		{ 1700000000000LL + 200LL * 366 * 86400000, 1700000000000LL, 5 * S, 0,
		  5 * S + 100ULL * 366 * 86400 * S },
		{ INT64_MAX - 1, INT64_MIN, 0, 0, 100ULL * 366 * 86400 * S },
		/* A boot clock of 0 still gives a finite expiry, never "never". */
		{ 1, 0, 0, 0, 1000000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = 42;
		int r = fleet_expiry(cases[i].until_ms, cases[i].now_ms, cases[i].boot_ns, &got);

		if (r != cases[i].ret || got != cases[i].want)
			fail_msg("case %zu: got %d/%llu, expected %d/%llu", i, r,
				 (unsigned long long)got, cases[i].ret,
				 (unsigned long long)cases[i].want);
	}
}

static void test_row_parse(void **state)
{
	struct fleet_want w;
	char err[EW_ERRLEN];

	(void)state;
	assert_int_equal(fleet_row_parse("192.0.2.0/24", "1700000060000", "1700000000000",
					 "scan", 100 * S, &w, err, sizeof(err)),
			 0);
	assert_string_equal(fmt(&w.cidr), "192.0.2.0/24");
	assert_int_equal(w.expires_ns, 160 * S);
	assert_string_equal(w.reason, "scan");
	assert_int_equal(fleet_row_parse("2001:db8::/64", NULL, "1700000000000", NULL, 100 * S,
					 &w, err, sizeof(err)),
			 0);
	assert_int_equal(w.expires_ns, 0);
	assert_string_equal(w.reason, "");
	/* Expired between the query and now: skipped, not an error. */
	assert_int_equal(fleet_row_parse("192.0.2.1/32", "1699999999999", "1700000000000", "x",
					 S, &w, err, sizeof(err)),
			 -ETIME);
	/* Hostile or broken rows. */
	assert_int_equal(fleet_row_parse(NULL, NULL, "1", NULL, S, &w, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(fleet_row_parse("10.1.2.3/8", NULL, "1", NULL, S, &w, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(fleet_row_parse("0.0.0.0/0", NULL, "1", NULL, S, &w, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(fleet_row_parse("192.0.2.1/32", "soon", "1", NULL, S, &w, err,
					 sizeof(err)),
			 -EINVAL);
	assert_int_equal(fleet_row_parse("192.0.2.1/32", "12 ", "1", NULL, S, &w, err,
					 sizeof(err)),
			 -EINVAL);
	assert_int_equal(fleet_row_parse("192.0.2.1/32", "99999999999999999999", "1", NULL, S,
					 &w, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(fleet_row_parse("192.0.2.1/32", NULL, NULL, NULL, S, &w, err,
					 sizeof(err)),
			 -EINVAL);
	assert_int_equal(fleet_row_parse("192.0.2.1/32", NULL, "", NULL, S, &w, err,
					 sizeof(err)),
			 -EINVAL);
}

/* ---- resync plan ---- */

static struct ew_bl_row have_row(const char *c, int origin, uint64_t expires_ns,
				 const char *reason)
{
	struct ew_bl_row r;

	memset(&r, 0, sizeof(r));
	r.cidr = cidr(c);
	r.b.origin = (uint8_t)origin;
	r.b.expires_ns = expires_ns;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	return r;
}

static struct fleet_want want_row(const char *c, uint64_t expires_ns, const char *reason)
{
	struct fleet_want w;

	memset(&w, 0, sizeof(w));
	w.cidr = cidr(c);
	w.expires_ns = expires_ns;
	snprintf(w.reason, sizeof(w.reason), "%s", reason);
	return w;
}

static const struct ew_bl_entry *find_add(const struct fleet_plan *p, const char *c)
{
	struct ew_cidr x = cidr(c);

	for (size_t i = 0; i < p->n_add; i++)
		if (!memcmp(&p->add[i].cidr, &x, sizeof(x)))
			return &p->add[i];
	return NULL;
}

static bool find_del(const struct fleet_plan *p, const char *c)
{
	struct ew_cidr x = cidr(c);

	for (size_t i = 0; i < p->n_del; i++)
		if (!memcmp(&p->del[i], &x, sizeof(x)))
			return true;
	return false;
}

static void test_diff(void **state)
{
	const uint64_t now = 1000 * S;
	struct ew_bl_row have[] = {
		have_row("192.0.2.1/32", EW_ORIGIN_FLEET, 2000 * S, "same"),
		have_row("192.0.2.2/32", EW_ORIGIN_FLEET, 2000 * S, "moved"),
		have_row("192.0.2.3/32", EW_ORIGIN_FLEET, 0, "gone"),
		have_row("192.0.2.4/32", EW_ORIGIN_MANUAL, 0, "operator"),
		have_row("192.0.2.5/32", EW_ORIGIN_AUTO, 900 * S, "expired auto"),
		have_row("192.0.2.6/32", EW_ORIGIN_POLICY, 0, "policy, not in the table"),
		have_row("192.0.2.7/32", EW_ORIGIN_FLEET, 2000 * S, "slack"),
		have_row("192.0.2.8/32", EW_ORIGIN_FLEET, 2000 * S, "old reason"),
		have_row("2001:db8::/64", EW_ORIGIN_FLEET, 0, "v6"),
		have_row("192.0.2.9/32", EW_ORIGIN_AUTO, 5000 * S, "live auto"),
		have_row("198.51.100.0/24", EW_ORIGIN_IMPORT, 0, "import"),
	};
	struct fleet_want want[] = {
		want_row("192.0.2.1/32", 2000 * S, "same"),
		want_row("192.0.2.2/32", 3000 * S, "moved"),
		want_row("192.0.2.4/32", 0, "fleet wants the operator's"),
		want_row("192.0.2.5/32", 1500 * S, "fleet takes over"),
		want_row("192.0.2.7/32", 2000 * S + S / 2, "slack"),
		want_row("192.0.2.8/32", 2000 * S, "new reason"),
		/* IPv4 bytes inside an IPv6 rule are another rule. */
		want_row("2001:db8::/64", 0, "v6"),
		want_row("192.0.2.9/32", 0, "live auto stays"),
		/* New, with a duplicate: the longest block wins. */
		want_row("203.0.113.0/24", 1200 * S, "short"),
		want_row("203.0.113.0/24", 0, "permanent"),
		want_row("203.0.113.0/24", 1300 * S, "longer"),
	};
	struct fleet_plan p;
	const struct ew_bl_entry *e;

	(void)state;
	assert_int_equal(fleet_diff(have, sizeof(have) / sizeof(have[0]), want,
				    sizeof(want) / sizeof(want[0]), now, &p),
			 0);
	if (p.n_add != 4 || p.n_new != 2 || p.n_del != 1 || p.n_same != 3 || p.n_shadowed != 2)
		fail_msg("add %zu new %zu del %zu same %zu shadowed %zu, expected 4 2 1 3 2",
			 p.n_add, p.n_new, p.n_del, p.n_same, p.n_shadowed);
	e = find_add(&p, "192.0.2.2/32");
	assert_non_null(e);
	assert_int_equal(e->expires_ns, 3000 * S);
	assert_int_equal(e->origin, EW_ORIGIN_FLEET);
	e = find_add(&p, "192.0.2.5/32");
	assert_non_null(e);
	assert_string_equal(e->reason, "fleet takes over");
	e = find_add(&p, "192.0.2.8/32");
	assert_non_null(e);
	assert_string_equal(e->reason, "new reason");
	e = find_add(&p, "203.0.113.0/24");
	if (!e || e->expires_ns != 0 || strcmp(e->reason, "permanent"))
		fail_msg("duplicate rows: expected the permanent one to win");
	for (size_t i = 0; i < p.n_add; i++)
		if (p.add[i].origin != EW_ORIGIN_FLEET)
			fail_msg("%s added with origin %d", fmt(&p.add[i].cidr), p.add[i].origin);
	if (!find_del(&p, "192.0.2.3/32"))
		fail_msg("192.0.2.3/32 (fleet, no longer in the table) not lifted");
	/* Never another origin's: the operator's, the policy's, a live auto, an import. */
	assert_false(find_del(&p, "192.0.2.4/32"));
	assert_false(find_del(&p, "192.0.2.6/32"));
	assert_false(find_del(&p, "192.0.2.9/32"));
	assert_false(find_del(&p, "198.51.100.0/24"));
	assert_null(find_add(&p, "192.0.2.4/32"));
	assert_null(find_add(&p, "192.0.2.9/32"));
	fleet_plan_free(&p);
}

static void test_diff_edges(void **state)
{
	struct ew_bl_row have[] = { have_row("192.0.2.1/32", EW_ORIGIN_FLEET, 0, ""),
				    have_row("192.0.2.2/32", EW_ORIGIN_MANUAL, 0, "") };
	struct fleet_want want[] = { want_row("192.0.2.1/32", 10 * S, ""),
				     want_row("192.0.2.0/31", 0, "") };
	struct fleet_plan p;

	(void)state;
	/* Nothing at all. */
	assert_int_equal(fleet_diff(NULL, 0, NULL, 0, S, &p), 0);
	assert_int_equal(p.n_add + p.n_del + p.n_same + p.n_shadowed, 0);
	fleet_plan_free(&p);
	/* An empty table lifts every fleet rule and nothing else. */
	assert_int_equal(fleet_diff(have, 2, NULL, 0, S, &p), 0);
	assert_int_equal(p.n_del, 1);
	assert_true(find_del(&p, "192.0.2.1/32"));
	fleet_plan_free(&p);
	/* Permanent to timed is a change; a /31 is not its /32s. */
	assert_int_equal(fleet_diff(have, 2, want, 2, S, &p), 0);
	assert_int_equal(p.n_add, 2);
	assert_int_equal(p.n_new, 1);
	assert_int_equal(p.n_del, 0);
	assert_int_equal(find_add(&p, "192.0.2.1/32")->expires_ns, 10 * S);
	fleet_plan_free(&p);
	/* Timed to permanent too, and the reverse slack is symmetric. */
	have[0].b.expires_ns = 10 * S + S / 2;
	assert_int_equal(fleet_diff(have, 1, want, 1, S, &p), 0);
	assert_int_equal(p.n_same, 1);
	fleet_plan_free(&p);
	have[0].b.expires_ns = 12 * S;
	assert_int_equal(fleet_diff(have, 1, want, 1, S, &p), 0);
	assert_int_equal(p.n_add, 1);
	fleet_plan_free(&p);
	fleet_plan_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_good), cmocka_unit_test(test_payload_hostile),
		cmocka_unit_test(test_event_id),     cmocka_unit_test(test_reason_copy),
		cmocka_unit_test(test_expiry),	     cmocka_unit_test(test_row_parse),
		cmocka_unit_test(test_diff),	     cmocka_unit_test(test_diff_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
