// SPDX-License-Identifier: GPL-2.0-only
/*
 * The auth logs' summary record (authsum.c): counts by type, service and
 * source, distinct users per source (bounded), the top sources, a bounded
 * number of sources under a spoofed flood, and an empty window giving no
 * record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "authsum.h"

static void hit(struct authsum *s, enum respond_ev_type t, const char *svc, const char *src,
		const char *user)
{
	struct authlog_hit h;

	memset(&h, 0, sizeof(h));
	h.type = t;
	snprintf(h.service, sizeof(h.service), "%s", svc);
	if (src) {
		h.has_source = true;
		snprintf(h.source, sizeof(h.source), "%s", src);
	}
	if (user) {
		h.has_user = true;
		snprintf(h.user, sizeof(h.user), "%s", user);
	}
	authsum_add(s, &h);
}

static json_int_t geti(const json_t *o, const char *path)
{
	char buf[128], *k, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_is_array(o) ? json_array_get(o, (size_t)atoi(k)) : json_object_get(o, k);
	return json_integer_value(o);
}

static void test_window(void **state)
{
	struct authsum *s = authsum_new(0);
	json_t *d, *top;
	char u[32];
	int i;

	(void)state;
	assert_null(authsum_take(s, 60));
	for (i = 0; i < 7; i++) {
		snprintf(u, sizeof(u), "user%d", i % 7);
		hit(s, RESPOND_EV_FAILED_LOGIN, "sshd", "203.0.113.7", u);
	}
	hit(s, RESPOND_EV_INVALID_USER, "sshd", "198.51.100.1", "o'hara\"; DROP TABLE x; --");
	hit(s, RESPOND_EV_INVALID_USER, "sshd", "198.51.100.1", "o'hara\"; DROP TABLE x; --");
	hit(s, RESPOND_EV_PREAUTH, "sshd", "2001:db8::1", NULL);
	hit(s, RESPOND_EV_FAILED_LOGIN, "dovecot", NULL, "bob");
	d = authsum_take(s, 60);
	assert_non_null(d);
	assert_int_equal(geti(d, "window_s"), 60);
	assert_int_equal(geti(d, "events"), 11);
	assert_int_equal(geti(d, "by_type.failed_login"), 8);
	assert_int_equal(geti(d, "by_type.invalid_user"), 2);
	assert_int_equal(geti(d, "by_type.preauth_disconnect"), 1);
	assert_int_equal(geti(d, "by_service.sshd"), 10);
	assert_int_equal(geti(d, "by_service.dovecot"), 1);
	assert_int_equal(geti(d, "sources"), 3);
	top = json_object_get(d, "top_sources");
	assert_int_equal(json_array_size(top), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(top, 0), "source")),
			    "203.0.113.7");
	assert_int_equal(geti(d, "top_sources.0.events"), 7);
	/* Up to AUTHSUM_USERS distinct names per source. */
	assert_int_equal(json_array_size(json_object_get(json_array_get(top, 0), "users")),
			 AUTHSUM_USERS);
	/* A hostile name is only data, kept once. */
	assert_int_equal(json_array_size(json_object_get(json_array_get(top, 1), "users")), 1);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_array_get(top, 1), "users"), 0)),
			    "o'hara\"; DROP TABLE x; --");
	json_decref(d);
	/* A new window: empty again. */
	assert_null(authsum_take(s, 60));
	authsum_free(s);
}

/* A spoofed flood: sources are bounded, the rest counted, the top still right. */
static void test_flood(void **state)
{
	struct authsum *s = authsum_new(100);
	char src[64];
	json_t *d;
	int i;

	(void)state;
	for (i = 0; i < 50; i++)
		hit(s, RESPOND_EV_FAILED_LOGIN, "sshd", "192.0.2.250", "root");
	for (i = 0; i < 100000; i++) {
		snprintf(src, sizeof(src), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		hit(s, RESPOND_EV_PREAUTH, "sshd", src, NULL);
	}
	d = authsum_take(s, 60);
	assert_int_equal(geti(d, "events"), 100050);
	assert_int_equal(geti(d, "sources"), 100);
	assert_int_equal(geti(d, "other_sources_events"), 100050 - 50 - 99);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(d, "top_sources"), 0), "source")),
			    "192.0.2.250");
	assert_int_equal(json_array_size(json_object_get(d, "top_sources")), AUTHSUM_TOP);
	json_decref(d);
	authsum_free(s);
	authsum_free(NULL);
	assert_null(authsum_take(NULL, 60));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
