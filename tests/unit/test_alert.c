// SPDX-License-Identifier: GPL-2.0-only
/*
 * Alerts against a local HTTP listener in a thread: the webhook's JSON body
 * and headers (bearer key, content type), a retry after a 500, a give-up
 * after the last retry audited with its reason, a refused connection, a
 * server that never answers (the loop keeps running meanwhile), the queue
 * bound under a stalled server, hostile text (not UTF-8, control
 * characters), the notification hook, the risk threshold rule, and the
 * refusal of a bearer key that would break the header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>
#include <jansson.h>

#include "alert.h"
#include "journal.h"

#define BEARER "c2llbS1rZXk.abc-_~+/=="

/* ---- the listener ---- */

struct req {
	char head[4096];
	char *body;
};

struct server {
	int fd;
	uint16_t port;
	pthread_t th;
	pthread_mutex_t mu;
	volatile int stop;
	int statuses[8];		/* answers in order, the last repeats; 0: no answer */
	int n_statuses;
	struct req reqs[32];
	int n_reqs;
	int held[16];			/* connections left unanswered */
	int n_held;
};

static ssize_t read_request(int c, char *buf, size_t len, char **body)
{
	size_t got = 0, clen = 0, need;
	char *end = NULL, *cl;
	ssize_t n;

	while (got + 1 < len) {
		n = read(c, buf + got, len - 1 - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		clen = cl ? strtoul(cl + 17, NULL, 10) : 0;
		need = (size_t)(end + 4 - buf) + clen;
		if (need >= len)
			return -1;
		while (got < need) {
			n = read(c, buf + got, need - got);
			if (n <= 0)
				return -1;
			got += (size_t)n;
		}
		buf[got] = '\0';
		*end = '\0';
		*body = end + 4;
		return (ssize_t)got;
	}
	return -1;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	char buf[65536], ans[128];
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	while (!s->stop) {
		char *body = NULL;
		int c, status;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		if (read_request(c, buf, sizeof(buf), &body) < 0) {
			close(c);
			continue;
		}
		pthread_mutex_lock(&s->mu);
		if (s->n_reqs < 32) {
			snprintf(s->reqs[s->n_reqs].head, sizeof(s->reqs[0].head), "%.4000s", buf);
			s->reqs[s->n_reqs].body = strdup(body);
		}
		status = s->statuses[s->n_reqs < s->n_statuses ? s->n_reqs : s->n_statuses - 1];
		s->n_reqs++;
		pthread_mutex_unlock(&s->mu);
		if (!status) {
			if (s->n_held < 16)
				s->held[s->n_held++] = c;
			else
				close(c);
			continue;
		}
		snprintf(ans, sizeof(ans), "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: "
			 "close\r\n\r\n", status);
		if (write(c, ans, strlen(ans)) < 0)
			(void)0;
		close(c);
	}
	return NULL;
}

static void server_start(struct server *s, const int *statuses, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	memcpy(s->statuses, statuses, (size_t)n * sizeof(int));
	s->n_statuses = n;
	pthread_mutex_init(&s->mu, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 512), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->fd);
	for (int i = 0; i < s->n_held; i++)
		close(s->held[i]);
	for (int i = 0; i < s->n_reqs && i < 32; i++)
		free(s->reqs[i].body);
	pthread_mutex_destroy(&s->mu);
}

static int server_reqs(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->n_reqs;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* ---- the daemon side ---- */

struct sink {
	json_t *audits;
	int notified;
	char notify_to[64];
	int notify_rc;
	int ticks;		/* loop timer ticks seen */
	int ticks_at_audit;
};

static int m_audit(void *arg, json_t *rec)
{
	struct sink *k = arg;

	json_array_append(k->audits, rec);
	k->ticks_at_audit = k->ticks;
	return 0;
}

static int m_notify(void *arg, const char *recipient, const char *subject, const char *message,
		    json_t *details)
{
	struct sink *k = arg;

	(void)details;
	assert_string_equal(subject, "Security Alert");
	assert_non_null(message);
	k->notified++;
	snprintf(k->notify_to, sizeof(k->notify_to), "%s", recipient);
	return k->notify_rc;
}

static const struct alert_ops OPS = { .audit = m_audit, .notify = m_notify };

struct waiter {
	struct event_base *base;
	struct alert *a;
	struct sink *k;
	int (*done)(struct waiter *w);
	int want;
	struct server *srv;
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;

	(void)fd;
	(void)what;
	w->k->ticks++;
	if (w->done(w))
		event_base_loopbreak(w->base);
}

/* Run the loop until done() holds, at most 20 s. */
static void run_until(struct waiter *w)
{
	struct timeval tick = { .tv_usec = 20000 }, max = { .tv_sec = 20 };
	struct event *t = event_new(w->base, -1, EV_PERSIST, on_tick, w);

	assert_non_null(t);
	event_add(t, &tick);
	event_base_loopexit(w->base, &max);
	event_base_dispatch(w->base);
	event_free(t);
}

static int ok_count(struct waiter *w)
{
	struct alert_stats st;

	alert_stats(w->a, &st);
	return st.webhook_ok >= (uint64_t)w->want;
}

static int audit_count(struct waiter *w)
{
	return (int)json_array_size(w->k->audits) >= w->want;
}

/* userinfo: the URL carries user:pw@ (curl then sends Basic credentials). */
static struct alert *make(struct event_base *base, struct server *srv, const char *path,
			  uint32_t timeout_s, uint32_t retries, struct sink *k, bool bearer,
			  bool userinfo)
{
	char url[128];
	struct alert_conf c = { .syslog = false, .timeout_s = timeout_s, .retries = retries };

	snprintf(url, sizeof(url), "http://%s127.0.0.1:%u%s", userinfo ? "user:pw@" : "",
		 srv ? srv->port : 1, path);
	c.url = url;
	c.bearer = bearer ? BEARER : NULL;
	memset(k, 0, sizeof(*k));
	k->audits = json_array();
	return alert_new(base, &c, &OPS, k);
}

static void test_retry_then_ok(void **state)
{
	static const int st[] = { 500, 200 };
	struct event_base *base = event_base_new();
	struct server srv;
	struct sink k;
	struct alert_stats as;
	struct waiter w;
	json_t *body, *det;
	struct alert *a;

	(void)state;
	server_start(&srv, st, 2);
	a = make(base, &srv, "/api/alerts", 5, 3, &k, true, false);
	assert_non_null(a);
	det = json_pack("{s:s, s:i}", "rule", "Multiple Failed Logins", "count", 5);
	assert_int_equal(alert_send(a, ALERT_HIGH, "admin", "brute force from 203.0.113.7", det),
			 0);
	json_decref(det);
	/* The hook ran at once; the webhook waits for the loop. */
	assert_int_equal(k.notified, 1);
	assert_string_equal(k.notify_to, "admin");
	w = (struct waiter){ .base = base, .a = a, .k = &k, .done = ok_count, .want = 1 };
	run_until(&w);
	alert_stats(a, &as);
	assert_int_equal(as.webhook_ok, 1);
	assert_int_equal(as.webhook_retries, 1);
	assert_int_equal(as.pending, 0);
	assert_int_equal(server_reqs(&srv), 2);
	assert_int_equal(json_array_size(k.audits), 0);
	/* Both tries: the same POST with the key, JSON, the guide's fields. */
	for (int i = 0; i < 2; i++) {
		const char *h = srv.reqs[i].head;
		json_error_t e;

		if (strncmp(h, "POST /api/alerts HTTP/1.1\r\n", 27))
			fail_msg("request line: %.60s", h);
		if (!strstr(h, "\r\nAuthorization: Bearer " BEARER "\r\n") &&
		    !strstr(h, "\r\nAuthorization: Bearer " BEARER))
			fail_msg("no bearer header in:\n%s", h);
		assert_non_null(strcasestr(h, "\r\nContent-Type: application/json"));
		assert_null(strcasestr(h, "Expect:"));
		body = json_loads(srv.reqs[i].body, 0, &e);
		if (!body)
			fail_msg("body is not JSON (%s): %s", e.text, srv.reqs[i].body);
		assert_string_equal(json_string_value(json_object_get(body, "severity")), "high");
		assert_string_equal(json_string_value(json_object_get(body, "message")),
				    "brute force from 203.0.113.7");
		assert_string_equal(json_string_value(json_object_get(body, "recipient")), "admin");
		assert_non_null(json_string_value(json_object_get(body, "source")));
		assert_int_equal(strlen(json_string_value(json_object_get(body, "timestamp"))), 20);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(body, "details"),
								    "count")), 5);
		json_decref(body);
	}
	alert_free(a);
	json_decref(k.audits);
	server_stop(&srv);
	event_base_free(base);
}

static void test_give_up(void **state)
{
	static const int st[] = { 503 };
	struct event_base *base = event_base_new();
	struct server srv;
	struct sink k;
	struct alert_stats as;
	struct waiter w;
	json_t *rec;
	struct alert *a;
	const char *why;

	(void)state;
	server_start(&srv, st, 1);
	a = make(base, &srv, "/x", 5, 1, &k, false, true);
	assert_non_null(a);
	assert_int_equal(alert_send(a, ALERT_CRITICAL, NULL, "file changed", NULL), 0);
	assert_int_equal(k.notified, 0);	/* no recipient: no notification */
	w = (struct waiter){ .base = base, .a = a, .k = &k, .done = audit_count, .want = 1 };
	run_until(&w);
	assert_int_equal(server_reqs(&srv), 2);	/* the try and one retry */
	assert_null(strcasestr(srv.reqs[0].head, "Bearer"));
	assert_int_equal(json_array_size(k.audits), 1);
	rec = json_array_get(k.audits, 0);
	assert_string_equal(json_string_value(json_object_get(rec, "type")),
			    "alert_undelivered");
	assert_string_equal(json_string_value(json_object_get(rec, "result")), "failure");
	/* The URL's password is not recorded. */
	if (strstr(json_string_value(json_object_get(rec, "resource")), "pw"))
		fail_msg("resource shows the URL's password: %s",
			 json_string_value(json_object_get(rec, "resource")));
	why = json_string_value(json_object_get(json_object_get(rec, "details"), "why"));
	assert_string_equal(why, "HTTP status 503");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "details"),
							    "tries")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "details"),
							      "severity")), "critical");
	alert_stats(a, &as);
	assert_int_equal(as.webhook_failed, 1);
	assert_int_equal(as.pending, 0);
	alert_free(a);
	json_decref(k.audits);
	server_stop(&srv);

	/* Nobody listening: refused, no retries asked, audited with curl's reason. */
	a = make(base, NULL, "/x", 5, 0, &k, false, false);
	assert_non_null(a);
	alert_send(a, ALERT_HIGH, NULL, "x", NULL);
	w = (struct waiter){ .base = base, .a = a, .k = &k, .done = audit_count, .want = 1 };
	run_until(&w);
	assert_int_equal(json_array_size(k.audits), 1);
	why = json_string_value(json_object_get(json_object_get(json_array_get(k.audits, 0),
								"details"), "why"));
	if (!why || !strcasestr(why, "connect"))
		fail_msg("why: %s", why ? why : "(none)");
	alert_free(a);
	json_decref(k.audits);
	event_base_free(base);
}

static void test_stalled_server(void **state)
{
	static const int st[] = { 0 };	/* never answers */
	struct event_base *base = event_base_new();
	struct server srv;
	struct sink k;
	struct alert_stats as;
	struct waiter w;
	struct alert *a;
	size_t i, n;

	(void)state;
	server_start(&srv, st, 1);
	a = make(base, &srv, "/slow", 1, 0, &k, true, false);
	assert_non_null(a);
	alert_send(a, ALERT_HIGH, NULL, "slow", NULL);
	w = (struct waiter){ .base = base, .a = a, .k = &k, .done = audit_count, .want = 1 };
	run_until(&w);
	/* The request hung until its timeout while the loop's own timer kept running. */
	assert_int_equal(json_array_size(k.audits), 1);
	if (k.ticks_at_audit < 2)
		fail_msg("the loop ran %d ticks while the webhook hung", k.ticks_at_audit);
	assert_non_null(strcasestr(json_string_value(json_object_get(
		json_object_get(json_array_get(k.audits, 0), "details"), "why")), "time"));
	json_decref(k.audits);
	k.audits = json_array();

	/* More alerts than the queue holds: the excess is given up and audited, never kept. */
	for (i = 0; i < ALERT_QUEUE_MAX + 20; i++)
		assert_int_equal(alert_send(a, ALERT_HIGH, NULL, "flood", NULL), 0);
	alert_stats(a, &as);
	assert_int_equal(as.pending, ALERT_QUEUE_MAX);
	assert_int_equal(json_array_size(k.audits), 20);
	/* Stopping gives up the rest, in one record that counts them. */
	alert_free(a);
	n = json_array_size(k.audits);
	assert_int_equal(n, 20 + 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_array_get(k.audits, 20), "details"), "abandoned")), ALERT_QUEUE_MAX);
	json_decref(k.audits);
	server_stop(&srv);
	event_base_free(base);
}

static void test_text_and_risk(void **state)
{
	static const int st[] = { 204 };
	struct event_base *base = event_base_new();
	struct server srv;
	struct sink k;
	struct waiter w;
	json_t *rec, *body;
	struct alert *a;

	(void)state;
	server_start(&srv, st, 1);
	a = make(base, &srv, "/", 5, 0, &k, true, false);
	assert_non_null(a);
	/* Not UTF-8, control characters: the body is still JSON, the text escaped. */
	alert_send(a, ALERT_WARNING, "security_team", "user \xff\xfe\nFAKE: ok\x1b[0m", NULL);
	/* The risk rule: above the threshold only. */
	rec = jr_event("failed_login", "ev\nil", "203.0.113.7", "session", "login", "failure", 80);
	json_object_set_new(rec, "id", json_string("5b0c4a3e-0000-4000-8000-000000000001"));
	assert_int_equal(alert_audit_record(a, rec, 75), 1);
	assert_int_equal(alert_audit_record(a, rec, 80), 0);
	json_object_del(rec, "risk");
	assert_int_equal(alert_audit_record(a, rec, 0), 0);
	json_decref(rec);
	w = (struct waiter){ .base = base, .a = a, .k = &k, .done = ok_count, .want = 2 };
	run_until(&w);
	assert_int_equal(server_reqs(&srv), 2);
	/* Two connections at once: either may arrive first. */
	{
		int warn = strstr(srv.reqs[0].body, "\"warning\"") ? 0 : 1;

		body = json_loads(srv.reqs[warn].body, 0, NULL);
		assert_non_null(body);
		assert_string_equal(json_string_value(json_object_get(body, "severity")),
				    "warning");
		if (strchr(json_string_value(json_object_get(body, "message")), '\n'))
			fail_msg("newline reached the message: %s", srv.reqs[warn].body);
		json_decref(body);
		body = json_loads(srv.reqs[!warn].body, 0, NULL);
	}
	assert_non_null(body);
	{
		const char *msg = json_string_value(json_object_get(body, "message"));

		if (!strstr(msg, "failed_login by \"ev\\x0ail\" from 203.0.113.7") ||
		    !strstr(msg, "risk 80") ||
		    !strstr(msg, "5b0c4a3e-0000-4000-8000-000000000001"))
			fail_msg("risk alert: %s", msg);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(body,
							"details"), "risk")), 80);
	}
	json_decref(body);
	/* A failing notification hook is counted, the alert still goes out. */
	k.notify_rc = -EIO;
	alert_send(a, ALERT_HIGH, "admin", "x", NULL);
	{
		struct alert_stats as;

		alert_stats(a, &as);
		assert_int_equal(as.notify_errors, 1);
		assert_int_equal(as.sent, 3);
	}
	alert_free(a);
	json_decref(k.audits);
	server_stop(&srv);
	event_base_free(base);
}

static void test_setup_refusals(void **state)
{
	struct event_base *base = event_base_new();
	struct alert_conf c = { .syslog = true, .url = "http://127.0.0.1:1/" };
	struct sink k = { 0 };
	struct alert *a;

	(void)state;
	/* A key that would end the header and start another is refused. */
	c.bearer = "abc\r\nX-Evil: 1";
	assert_null(alert_new(base, &c, &OPS, &k));
	c.bearer = "abc def";
	assert_null(alert_new(base, &c, &OPS, &k));
	c.bearer = "==abc";
	assert_null(alert_new(base, &c, &OPS, &k));
	/* Without a URL: syslog and the hook only. */
	c.url = NULL;
	c.bearer = NULL;
	k.audits = json_array();
	a = alert_new(base, &c, &OPS, &k);
	assert_non_null(a);
	assert_int_equal(alert_send(a, ALERT_INFO, "admin", "edgeward unit test: ignore", NULL), 0);
	assert_int_equal(k.notified, 1);
	alert_free(a);
	alert_free(NULL);
	json_decref(k.audits);
	assert_string_equal(alert_level_name(ALERT_CRITICAL), "critical");
	assert_string_equal(alert_level_name(99), "high");
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_then_ok),
		cmocka_unit_test(test_give_up),
		cmocka_unit_test(test_stalled_server),
		cmocka_unit_test(test_text_and_risk),
		cmocka_unit_test(test_setup_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
