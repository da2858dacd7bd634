// SPDX-License-Identifier: GPL-2.0-only
/*
 * PostgreSQL host names looked up without blocking the loop (pgaddr.c):
 * which conninfos need a lookup, a real lookup of localhost through evdns
 * (/etc/hosts) answered from the loop, a name that does not exist, and
 * cancels and frees with lookups in flight (no callback after a cancel;
 * ASan and leak checks in the sanitize suite).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "pgaddr.h"

struct answer {
	int calls;
	char addr[64];
	char err[200];
	struct event_base *base;
};

static void on_addr(void *arg, const char *hostaddr, const char *err)
{
	struct answer *a = arg;

	a->calls++;
	snprintf(a->addr, sizeof(a->addr), "%s", hostaddr ? hostaddr : "");
	snprintf(a->err, sizeof(a->err), "%s", err ? err : "");
	event_base_loopbreak(a->base);
}

static void run(struct event_base *base, int max_s)
{
	struct timeval tv = { max_s, 0 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void test_needed(void **state)
{
	static const struct {
		const char *conninfo;
		int needed;	/* -1: cannot be parsed */
	} cases[] = {
		{ "host=db.example.com dbname=x", 1 },
		{ "postgresql://user@db.internal:5432/edgeward", 1 },
		{ "host=localhost", 1 },
		{ "host=127.0.0.1 port=5432", 0 },
		{ "host=::1", 0 },
		{ "postgresql://[2001:db8::1]/x", 0 },
		{ "host=/var/run/postgresql", 0 },
		{ "host=@abstract", 0 },
		{ "host=db1,db2 target_session_attrs=read-write", 0 },
		{ "host=db hostaddr=192.0.2.1", 0 },
		{ "dbname=x", 0 },
		{ "", 0 },
		{ "host=db nonsense", -1 },
		{ "hots=db", -1 },
	};
	struct event_base *base = event_base_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pgaddr *a = pgaddr_new(base, cases[i].conninfo);

		if (cases[i].needed < 0) {
			if (a)
				fail_msg("%s: must not parse", cases[i].conninfo);
			continue;
		}
		if (!a)
			fail_msg("%s: must parse", cases[i].conninfo);
		if (pgaddr_needed(a) != (cases[i].needed == 1))
			fail_msg("%s: needed %d", cases[i].conninfo, cases[i].needed);
		pgaddr_free(a);
	}
	event_base_free(base);
}

static void test_resolve(void **state)
{
	struct event_base *base = event_base_new();
	struct answer ans = { .base = base };
	struct pgaddr *a;

	(void)state;
	/* No lookup needed: answered at once with NULL, NULL. */
	a = pgaddr_new(base, "host=127.0.0.1");
	assert_int_equal(pgaddr_resolve(a, on_addr, &ans), 0);
	assert_int_equal(ans.calls, 1);
	assert_string_equal(ans.addr, "");
	assert_string_equal(ans.err, "");
	pgaddr_free(a);

	/* localhost from /etc/hosts. */
	memset(&ans, 0, sizeof(ans));
	ans.base = base;
	a = pgaddr_new(base, "host=localhost dbname=x");
	assert_int_equal(pgaddr_resolve(a, on_addr, &ans), 0);
	if (!ans.calls)
		run(base, 10);
	assert_int_equal(ans.calls, 1);
	if (strcmp(ans.addr, "127.0.0.1") && strcmp(ans.addr, "::1"))
		fail_msg("localhost resolved to \"%s\" (%s)", ans.addr, ans.err);
	/* Twice on one pgaddr: the second replaces the first. */
	memset(&ans, 0, sizeof(ans));
	ans.base = base;
	assert_int_equal(pgaddr_resolve(a, on_addr, &ans), 0);
	assert_int_equal(pgaddr_resolve(a, on_addr, &ans), 0);
	if (ans.calls < 1)
		run(base, 10);
	run(base, 1);
	/* The first was cancelled (or had already answered): at most two calls, one wanted. */
	assert_true(ans.calls >= 1 && ans.calls <= 2);
	pgaddr_free(a);
	event_base_free(base);
}

/* .invalid never resolves (RFC 6761); here the name server does not even answer. */
static void test_unknown_and_cancel(void **state)
{
	struct event_base *base = event_base_new();
	struct answer ans = { .base = base };
	struct pgaddr *a, *b;

	(void)state;
	a = pgaddr_new(base, "host=edgeward-test.invalid");
	assert_true(pgaddr_needed(a));
	assert_int_equal(pgaddr_resolve(a, on_addr, &ans), 0);
	if (!ans.calls)
		run(base, 60);
	assert_int_equal(ans.calls, 1);
	assert_string_equal(ans.addr, "");
	assert_non_null(strstr(ans.err, "cannot resolve edgeward-test.invalid"));

	/* Cancelled: its callback never runs, even when libevent answers later. */
	memset(&ans, 0, sizeof(ans));
	ans.base = base;
	assert_int_equal(pgaddr_resolve(a, on_addr, &ans), 0);
	pgaddr_cancel(a);
	run(base, 1);
	assert_int_equal(ans.calls, 0);
	/* Freed with a lookup in flight. */
	b = pgaddr_new(base, "host=edgeward-test-2.invalid");
	assert_int_equal(pgaddr_resolve(b, on_addr, &ans), 0);
	pgaddr_free(b);
	run(base, 1);
	assert_int_equal(ans.calls, 0);
	pgaddr_free(a);
	event_base_free(base);
}

/*
 * Every lookup goes to a name server on loopback where nothing listens (a
 * resolv.conf of the test's own): no traffic leaves the machine, localhost
 * comes from /etc/hosts, and other names fail within a second.
 */
static char conf[] = "/tmp/ew-test-pgaddr-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(conf);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	(void)state;
	if (!f)
		return -1;
	fprintf(f, "nameserver 127.0.0.1:5399\noptions timeout:1 attempts:1\n");
	fclose(f);
	pgaddr_resolv_conf(conf);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pgaddr_resolv_conf(NULL);
	unlink(conf);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needed),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_unknown_and_cancel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
