// SPDX-License-Identifier: GPL-2.0-only
/*
 * The API's HTTP server (user/edgewardd/http.c) driven in-process: each test starts a server
 * on 127.0.0.1 with its own event loop thread and talks to it through raw sockets, so every
 * byte on the wire is the test's choice. Malformed and smuggling requests are a table of named
 * fixtures (raw bytes -> expected status and whether the connection must close). Rate limits
 * run on a mocked clock, so no test depends on timing; the slowloris tests only bound how
 * long the server may take, generously.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <event2/event.h>
#include <http_parser.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http.h"
#include "log.h"
#include "tls.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define R(s) s, sizeof(s) - 1
#define TEST_BODY_MAX 4096
#define NOBODY_UID 65534

#define expect_eq(name, what, actual, expected)                                                 \
	do {                                                                                    \
		long long a_ = (long long)(actual), e_ = (long long)(expected);                 \
		if (a_ != e_)                                                                   \
			fail_msg("%s: %s is %lld, expected %lld", name, what, a_, e_);          \
	} while (0)

static char tmpdir[] = "/tmp/test_http.XXXXXX";

/* ---- the server under test, in a thread ---- */

static uint64_t mock_ms = 1000000;

static uint64_t mock_clock(void *arg)
{
	(void)arg;
	return __atomic_load_n(&mock_ms, __ATOMIC_SEQ_CST);
}

static void mock_advance(uint64_t ms)
{
	__atomic_add_fetch(&mock_ms, ms, __ATOMIC_SEQ_CST);
}

struct tsrv {
	struct event_base *base;
	struct http_server *srv;
	struct event *stop_ev;
	int stop_pipe[2];
	pthread_t thr;
	uint16_t port;
	uint16_t tls_port;
};

static int defer_gone_rc = 1;	/* http_respond's result for /defer-gone, 1 until known */
static int defer_gone_started; /* the handler of /defer-gone has run */

static void h_ping(struct http_req *req, void *arg)
{
	(void)arg;
	http_respond_json(req, 200, json_pack("{s:b}", "pong", 1));
}

static void h_echo(struct http_req *req, void *arg)
{
	const void *body;
	size_t len;

	(void)arg;
	body = http_req_body(req, &len);
	http_respond(req, 200, "application/octet-stream", body, len);
}

/* Everything the accessors see, for the accessor test. */
static void h_info(struct http_req *req, void *arg)
{
	const char *q = http_req_query(req), *x = http_req_header(req, "x-test");
	static const char *const tr[] = { "plain", "tls", "unix" };
	size_t len;

	(void)arg;
	http_req_body(req, &len);
	http_respond_json(req, 200,
			  json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s, s:i, s:i, s:I}", "method",
				    http_req_method(req), "path", http_req_path(req), "query", q,
				    "x-test", x, "peer", http_req_peer_addr(req), "transport",
				    tr[http_req_transport(req)], "uid", (int)http_req_peer_uid(req),
				    "pid", (int)http_req_peer_pid(req), "body_len",
				    (json_int_t)len));
}

static void h_stats(struct http_req *req, void *arg)
{
	struct tsrv *t = arg;
	struct http_stats st;

	http_server_stats(t->srv, &st);
	http_respond_json(
		req, 200,
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			  "conns_open", (json_int_t)st.conns_open, "conns_refused",
			  (json_int_t)st.conns_refused, "conns_refused_peercred",
			  (json_int_t)st.conns_refused_peercred, "rate_limited",
			  (json_int_t)st.rate_limited, "timeouts_header",
			  (json_int_t)st.timeouts_header, "timeouts_body",
			  (json_int_t)st.timeouts_body, "timeouts_handshake",
			  (json_int_t)st.timeouts_handshake, "tls_handshake_failures",
			  (json_int_t)st.tls_handshake_failures, "s400",
			  (json_int_t)st.by_status[400], "c4xx", (json_int_t)st.by_class[4],
			  "sources", (json_int_t)st.sources_tracked, "evicted",
			  (json_int_t)st.sources_evicted));
}

static void defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_req *req = arg;

	(void)fd;
	(void)what;
	http_respond_json(req, 200, json_pack("{s:b}", "deferred", 1));
	http_req_release(req);
}

static void defer_gone_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_req *req = arg;
	int rc;

	(void)fd;
	(void)what;
	rc = http_respond_error(req, 200, "too late");
	/* The request itself must still be readable after its connection went away. */
	if (strcmp(http_req_path(req), "/defer-gone"))
		rc = -1000;
	__atomic_store_n(&defer_gone_rc, rc, __ATOMIC_SEQ_CST);
	http_req_release(req);
}

static void defer_drop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_req_release(arg); /* unanswered: the server must answer 503 */
}

static void defer_after(struct tsrv *t, struct http_req *req, event_callback_fn cb, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (event_base_once(t->base, -1, EV_TIMEOUT, cb, http_req_defer(req), &tv)) {
		http_respond_error(req, 500, "cannot schedule");
		http_req_release(req);
	}
}

static void h_defer(struct http_req *req, void *arg)
{
	defer_after(arg, req, defer_cb, 50);
}

static void h_defer_gone(struct http_req *req, void *arg)
{
	defer_after(arg, req, defer_gone_cb, 300);
	__atomic_store_n(&defer_gone_started, 1, __ATOMIC_SEQ_CST);
}

static void h_defer_drop(struct http_req *req, void *arg)
{
	defer_after(arg, req, defer_drop_cb, 20);
}

static void h_noanswer(struct http_req *req, void *arg)
{
	(void)req;
	(void)arg;
}

static void h_headers(struct http_req *req, void *arg)
{
	(void)arg;
	/* Framing and security headers are not the handler's to set. */
	if (http_req_add_header(req, "Content-Length", "1") != -EINVAL ||
	    http_req_add_header(req, "Strict-Transport-Security", "max-age=0") != -EINVAL ||
	    http_req_add_header(req, "X-Bad", "a\r\nInjected: 1") != -EINVAL ||
	    http_req_add_header(req, "Bad Name", "x") != -EINVAL ||
	    http_req_add_header(req, "X-Good", "yes") != 0 ||
	    http_respond(req, 100, NULL, NULL, 0) != -EINVAL ||
	    http_respond(req, 200, "text/plain\r\nX-Injected: 1", "x", 1) != -EINVAL) {
		http_respond_error(req, 500, "add_header accepted a bad header");
		return;
	}
	http_respond(req, 204, NULL, NULL, 0);
	if (http_respond(req, 200, NULL, "x", 1) != -EALREADY)
		log_warnx("test: second answer not refused");
}

static const struct http_route test_routes[] = {
	{ "GET", "/ping", HTTP_ZONE_API, h_ping },
	{ "POST", "/echo", HTTP_ZONE_API, h_echo },
	{ "PUT", "/echo", HTTP_ZONE_API, h_echo },
	{ "DELETE", "/item/*", HTTP_ZONE_API, h_info },
	{ "GET", "/info", HTTP_ZONE_NONE, h_info },
	{ "POST", "/info", HTTP_ZONE_NONE, h_info },
	{ "POST", "/login", HTTP_ZONE_LOGIN, h_ping },
	{ "GET", "/health", HTTP_ZONE_NONE, h_ping },
	{ "GET", "/stats", HTTP_ZONE_NONE, h_stats },
	{ "GET", "/defer", HTTP_ZONE_NONE, h_defer },
	{ "GET", "/defer-gone", HTTP_ZONE_NONE, h_defer_gone },
	{ "GET", "/defer-drop", HTTP_ZONE_NONE, h_defer_drop },
	{ "GET", "/noanswer", HTTP_ZONE_NONE, h_noanswer },
	{ "GET", "/headers", HTTP_ZONE_NONE, h_headers },
	{ NULL, NULL, HTTP_ZONE_NONE, NULL },
};

/* Limits for most tests: small body cap, rate limits out of the way. */
static void test_conf(struct http_conf *conf)
{
	http_conf_defaults(conf);
	conf->body_max_bytes = TEST_BODY_MAX;
	conf->api_burst = 1000000;
	conf->login_burst = 1000000;
	conf->max_conns_per_source = 64;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *tsrv_loop(void *arg)
{
	struct tsrv *t = arg;

	event_base_dispatch(t->base);
	return NULL;
}

static struct tsrv *tsrv_start(const struct http_conf *conf, SSL_CTX *tls, const char *unix_path,
			       uid_t extra_uid)
{
	struct tsrv *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->base = event_base_new();
	assert_non_null(t->base);
	t->srv = http_server_new(t->base, conf, test_routes, t);
	assert_non_null(t->srv);
	http_server_set_clock(t->srv, mock_clock, NULL);
	assert_int_equal(http_listen_tcp(t->srv, "127.0.0.1", 0, NULL), 0);
	t->port = http_server_port(t->srv);
	if (tls) {
		assert_int_equal(http_listen_tcp(t->srv, "127.0.0.1", 0, tls), 0);
		t->tls_port = http_server_port(t->srv);
	}
	if (unix_path)
		assert_int_equal(http_listen_unix(t->srv, unix_path, extra_uid), 0);
	assert_int_equal(pipe2(t->stop_pipe, O_CLOEXEC), 0);
	t->stop_ev = event_new(t->base, t->stop_pipe[0], EV_READ, stop_cb, t->base);
	assert_non_null(t->stop_ev);
	event_add(t->stop_ev, NULL);
	assert_int_equal(pthread_create(&t->thr, NULL, tsrv_loop, t), 0);
	return t;
}

static void tsrv_stop(struct tsrv *t)
{
	if (!t)
		return;
	assert_int_equal(write(t->stop_pipe[1], "x", 1), 1);
	pthread_join(t->thr, NULL);
	event_free(t->stop_ev);
	http_server_free(t->srv);
	event_base_free(t->base);
	close(t->stop_pipe[0]);
	close(t->stop_pipe[1]);
	free(t);
}

/* ---- a raw client ---- */

struct tconn {
	int fd;
	SSL *ssl;
	char buf[256 * 1024];
	size_t len;
};

struct tresp {
	int status;
	char head[16384];
	char body[64 * 1024];
	size_t body_len;
};

static int sock_to(const struct sockaddr *sa, socklen_t salen, const char *src)
{
	struct timeval tv = { 5, 0 };
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (src) {
		struct sockaddr_in b = { .sin_family = AF_INET };

		inet_pton(AF_INET, src, &b.sin_addr);
		if (bind(fd, (struct sockaddr *)&b, sizeof(b)))
			fail_msg("bind to %s: %s", src, strerror(errno));
	}
	if (connect(fd, sa, salen))
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

/* A connection to 127.0.0.1:port, from src (another loopback address) when given. */
static struct tconn *tc_open(uint16_t port, const char *src)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct tconn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	c->fd = sock_to((struct sockaddr *)&sin, sizeof(sin), src);
	return c;
}

static struct tconn *tc_open_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct tconn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	c->fd = sock_to((struct sockaddr *)&sun, sizeof(sun), NULL);
	return c;
}

static void tc_close(struct tconn *c)
{
	if (!c)
		return;
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->fd);
	free(c);
}

static void tc_send(struct tconn *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		n = SSL_write(c->ssl, buf, (int)len);
	} else {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	}
	/* A server that already closed may refuse the rest; the answer tells. */
	(void)n;
}

static void tc_sends(struct tconn *c, const char *s)
{
	tc_send(c, s, strlen(s));
}

/* Read more into c->buf: > 0 bytes, 0 on EOF or reset, -1 on timeout. */
static ssize_t tc_fill(struct tconn *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf))
		return -1;
	if (c->ssl) {
		n = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, (int)n);

			ERR_clear_error();
			return e == SSL_ERROR_WANT_READ ? -1 : 0;
		}
	} else {
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0)
			return errno == ECONNRESET || errno == EPIPE ? 0 : -1;
	}
	c->len += (size_t)n;
	return n;
}

static const char *resp_header(const struct tresp *r, const char *name)
{
	static char val[1024];
	size_t nl = strlen(name);
	const char *p = strstr(r->head, "\r\n");

	while (p && p[2]) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(e - v), v);
			return val;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/*
 * Take one response off c: returns its status (100 for an interim one), 0 when the server
 * closed before a complete response, -1 on timeout.
 */
static int tc_response(struct tconn *c, struct tresp *r)
{
	const char *cl;
	char *end;
	size_t hlen, blen;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		n = tc_fill(c);
		if (n <= 0)
			return (int)n;
	}
	hlen = (size_t)(end - c->buf) + 4;
	assert_true(hlen < sizeof(r->head));
	memcpy(r->head, c->buf, hlen);
	if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
		fail_msg("malformed status line: %.40s", r->head);
	cl = resp_header(r, "content-length");
	blen = cl ? strtoul(cl, NULL, 10) : 0;
	assert_true(blen < sizeof(r->body));
	while (c->len < hlen + blen) {
		n = tc_fill(c);
		if (n <= 0)
			return (int)n;
	}
	memcpy(r->body, c->buf + hlen, blen);
	r->body_len = blen;
	memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
	c->len -= hlen + blen;
	return r->status;
}

/* True when the server closes c (EOF or reset) within ms; data arriving meanwhile is dropped. */
static bool tc_closed_within(struct tconn *c, int ms)
{
	struct timespec t0, t1;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char b[4096];
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(c->fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
			return true;
	}
}

/* One request on a fresh connection; returns the status. */
static int one_request(uint16_t port, const char *src, const char *req, struct tresp *r)
{
	struct tconn *c = tc_open(port, src);
	int st;

	tc_sends(c, req);
	st = tc_response(c, r);
	tc_close(c);
	return st;
}

static long long stat_of(struct tsrv *t, const char *name);

/* Wait (up to 5 s) until the only connection open is the one asking. */
static void wait_idle(struct tsrv *t)
{
	int i;

	for (i = 0; i < 100 && stat_of(t, "conns_open") > 1; i++)
		usleep(50000);
	expect_eq("wait_idle", "connections open", stat_of(t, "conns_open"), 1);
}

static json_t *get_stats(struct tsrv *t)
{
	struct tresp r;
	json_t *j;

	expect_eq("stats", "status", one_request(t->port, "127.0.0.9",
						 "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n", &r),
		  200);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	assert_non_null(j);
	return j;
}

static long long stat_of(struct tsrv *t, const char *name)
{
	json_t *j = get_stats(t);
	long long v = json_integer_value(json_object_get(j, name));

	json_decref(j);
	return v;
}

/* ---- fixtures: raw request -> status, closed ---- */

#define GETP "GET /ping HTTP/1.1\r\nHost: t\r\n"
#define POSTE "POST /echo HTTP/1.1\r\nHost: t\r\n"

struct fixture {
	const char *name;
	const char *req;
	size_t len;
	int status;  /* 0: closed without an answer */
	bool closed; /* the server must close after answering */
};

static const struct fixture fixtures[] = {
	/* well-formed */
	{ "plain GET", R(GETP "\r\n"), 200, false },
	{ "HTTP/1.0 closes by default", R("GET /ping HTTP/1.0\r\n\r\n"), 200, true },
	{ "HTTP/1.0 keep-alive", R("GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 200,
	  false },
	{ "Connection: close", R(GETP "Connection: close\r\n\r\n"), 200, true },
	{ "Content-Length body", R(POSTE "Content-Length: 5\r\n\r\nhello"), 200, false },
	{ "chunked body", R(POSTE "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
	  200, false },
	{ "chunked, coding name in capitals",
	  R(POSTE "Transfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"), 200, false },
	{ "chunk sizes in hex with leading zeros",
	  R(POSTE "Transfer-Encoding: chunked\r\n\r\n000A\r\n0123456789\r\n0\r\n\r\n"), 200,
	  false },
	{ "obs-text in a value", R(GETP "X-A: caf\xc3\xa9\r\n\r\n"), 200, false },
	{ "HT inside and around a value", R(GETP "X-A:\ta\tb \r\n\r\n"), 200, false },
	{ "empty value", R(GETP "X-Empty:\r\n\r\n"), 200, false },
	{ "query string", R("GET /ping?a=1&b=%20 HTTP/1.1\r\nHost: t\r\n\r\n"), 200, false },
	{ "Content-Length: 0 on GET", R(GETP "Content-Length: 0\r\n\r\n"), 200, false },
	{ "Expect: 100-continue with the body already sent",
	  R(POSTE "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"), 200, false },

	/* answered, connection kept */
	{ "unknown path", R("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"), 404, false },
	{ "percent-encoded path is not decoded", R("GET /pin%67 HTTP/1.1\r\nHost: t\r\n\r\n"),
	  404, false },
	{ "method not allowed on a path", R("DELETE /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 405,
	  false },
	{ "handler that never answers", R("GET /noanswer HTTP/1.1\r\nHost: t\r\n\r\n"), 500,
	  false },
	{ "deferred answer released unanswered", R("GET /defer-drop HTTP/1.1\r\nHost: t\r\n\r\n"),
	  503, false },
	{ "404 with an unread body closes", R("POST /nope HTTP/1.1\r\nHost: t\r\n"
					      "Content-Length: 5\r\n\r\nhello"),
	  404, true },

	/* request smuggling: ambiguous framing */
	{ "CL.TE", R(POSTE "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"),
	  400, true },
	{ "TE.CL", R(POSTE "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\nG\r\n"
			   "0\r\n\r\n"),
	  400, true },
	{ "two equal Content-Length", R(POSTE "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"
					      "hello"),
	  400, true },
	{ "two different Content-Length", R(POSTE "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"
						  "hello!"),
	  400, true },
	{ "Content-Length list", R(POSTE "Content-Length: 5, 5\r\n\r\nhello"), 400, true },
	{ "Content-Length with sign", R(POSTE "Content-Length: +5\r\n\r\nhello"), 400, true },
	{ "negative Content-Length", R(POSTE "Content-Length: -1\r\n\r\n"), 400, true },
	{ "hex Content-Length", R(POSTE "Content-Length: 0x5\r\n\r\nhello"), 400, true },
	{ "Content-Length with inner space", R(POSTE "Content-Length: 1 2\r\n\r\nhello"), 400,
	  true },
	{ "Content-Length overflow", R(POSTE "Content-Length: 99999999999999999999\r\n\r\n"), 400,
	  true },
	{ "Transfer-Encoding gzip, chunked",
	  R(POSTE "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 400, true },
	{ "Transfer-Encoding chunked, chunked",
	  R(POSTE "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"), 400, true },
	{ "Transfer-Encoding identity", R(POSTE "Transfer-Encoding: identity\r\n\r\n"), 400,
	  true },
	{ "Transfer-Encoding twice",
	  R(POSTE "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
	  400, true },
	{ "Transfer-Encoding in HTTP/1.0",
	  R("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400, true },
	{ "space before the colon", R(POSTE "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"), 400,
	  true },
	{ "tab before the colon", R(POSTE "Content-Length\t: 5\r\n\r\nhello"), 400, true },
	{ "vertical tab before the value",
	  R(POSTE "Transfer-Encoding: \x0b"
		  "chunked\r\n\r\n0\r\n\r\n"),
	  400, true },
	{ "header line starting with a space", R("GET /ping HTTP/1.1\r\n Host: t\r\n\r\n"), 400,
	  true },
	{ "obs-fold with SP", R(GETP "X-A: a\r\n b\r\n\r\n"), 400, true },
	{ "obs-fold with HT", R(GETP "X-A: a\r\n\tb\r\n\r\n"), 400, true },
	{ "folded Transfer-Encoding", R(POSTE "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
	  400, true },
	{ "duplicate Host", R(GETP "Host: u\r\n\r\n"), 400, true },
	{ "duplicate Authorization", R(GETP "Authorization: a\r\nAuthorization: b\r\n\r\n"), 400,
	  true },
	{ "missing Host in HTTP/1.1", R("GET /ping HTTP/1.1\r\n\r\n"), 400, true },

	/* line endings and bytes */
	{ "bare LF line endings", R("GET /ping HTTP/1.1\nHost: t\n\n"), 400, true },
	{ "one bare LF", R("GET /ping HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n"), 400, true },
	{ "bare CR inside a value", R(GETP "X-A: a\rb\r\n\r\n"), 400, true },
	{ "CR CR LF", R(GETP "X-A: a\r\r\n\r\n"), 400, true },
	{ "bare CR ending the block", R(GETP "\r\r"), 400, true },
	{ "NUL in a value", R(GETP "X-A: a\0b\r\n\r\n"), 400, true },
	{ "NUL in the target", R("GET /pi\0ng HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "NUL in the method", R("G\0T /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "DEL in a value", R(GETP "X-A: a\x7f\r\n\r\n"), 400, true },
	{ "ESC in a name", R(GETP "X\x1b"
				  "A: b\r\n\r\n"),
	  400, true },
	{ "space in a name", R(GETP "X A: b\r\n\r\n"), 400, true },
	{ "quote in a name", R(GETP "X\"A: b\r\n\r\n"), 400, true },
	{ "8-bit byte in a name", R(GETP "X\xe9: b\r\n\r\n"), 400, true },
	{ "empty name", R(GETP ": b\r\n\r\n"), 400, true },
	{ "line without a colon", R(GETP "X-A b\r\n\r\n"), 400, true },
	{ "empty line before the request", R("\r\n" GETP "\r\n"), 400, true },
	{ "nothing but an empty line", R("\r\n\r\n"), 400, true },

	/* request line */
	{ "two spaces after the method", R("GET  /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "two spaces before the version", R("GET /ping  HTTP/1.1\r\nHost: t\r\n\r\n"), 400,
	  true },
	{ "tab as separator", R("GET\t/ping HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "trailing space", R("GET /ping HTTP/1.1 \r\nHost: t\r\n\r\n"), 400, true },
	{ "HTTP/0.9 request line", R("GET /ping\r\n\r\n"), 400, true },
	{ "lower-case version", R("GET /ping http/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "version with two minor digits", R("GET /ping HTTP/1.10\r\nHost: t\r\n\r\n"), 400, true },
	{ "HTTP/2.0", R("GET /ping HTTP/2.0\r\nHost: t\r\n\r\n"), 505, true },
	{ "HTTP/1.2", R("GET /ping HTTP/1.2\r\nHost: t\r\n\r\n"), 505, true },
	{ "HTTP/0.9 version", R("GET /ping HTTP/0.9\r\nHost: t\r\n\r\n"), 505, true },
	{ "absolute-form target", R("GET http://t/ping HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "asterisk-form target", R("GET * HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "authority-form target", R("GET t:443 HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "dot segment", R("GET /item/../ping HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "dot segment at the end", R("GET /item/.. HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "single-dot segment", R("GET /./ping HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "dots inside a segment are fine", R("GET /a..b/.c HTTP/1.1\r\nHost: t\r\n\r\n"), 404,
	  false },
	{ "fragment in the target", R("GET /ping#x HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "bad percent-encoding", R("GET /ping%zz HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "'<' in the target", R("GET /a<b HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "8-bit byte in the target", R("GET /\xc3\xa9 HTTP/1.1\r\nHost: t\r\n\r\n"), 400, true },
	{ "OPTIONS *", R("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n"), 501, true },
	{ "CONNECT", R("CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n"), 501, true },
	{ "PATCH", R("PATCH /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 501, true },
	{ "HEAD", R("HEAD /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 501, true },
	{ "TRACE", R("TRACE /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 501, true },
	{ "unknown method", R("FOO /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 501, true },
	{ "lower-case method", R("get /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 501, true },
	{ "Expect other than 100-continue", R(GETP "Expect: 200-ok\r\n\r\n"), 417, true },

	/* chunked framing */
	{ "chunked with bare LF", R(POSTE "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n"), 400,
	  true },
	{ "chunk extension", R(POSTE "Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n"
				     "0\r\n\r\n"),
	  400, true },
	{ "chunk data longer than its size",
	  R(POSTE "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"), 400, true },
	{ "chunk size with a space", R(POSTE "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n"
					     "0\r\n\r\n"),
	  400, true },
	{ "chunk size 0x5", R(POSTE "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
	  400, true },
	{ "negative chunk size", R(POSTE "Transfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n"), 400,
	  true },
	{ "empty chunk size", R(POSTE "Transfer-Encoding: chunked\r\n\r\n\r\nx\r\n"), 400, true },
	{ "trailer fields", R(POSTE "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX: y\r\n"
				    "\r\n"),
	  400, true },
	{ "17 digits of chunk size",
	  R(POSTE "Transfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n0\r\n\r\n"), 400,
	  true },
	{ "huge chunk size", R(POSTE "Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx"),
	  413, true },
	{ "chunk over the body cap",
	  R(POSTE "Transfer-Encoding: chunked\r\n\r\n1001\r\n"), 413, true },
	{ "Content-Length over the body cap", R(POSTE "Content-Length: 4097\r\n\r\n"), 413, true },
};

static void test_fixtures(void **state)
{
	struct http_conf conf;
	struct tsrv *t;
	struct tresp r;
	size_t i;

	(void)state;
	test_conf(&conf);
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);
	for (i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *f = &fixtures[i];
		struct tconn *c = tc_open(t->port, NULL);
		int st;

		tc_send(c, f->req, f->len);
		st = tc_response(c, &r);
		if (st == 100) /* the body may be seen after the headers: interim answer */
			st = tc_response(c, &r);
		expect_eq(f->name, "status", st, f->status);
		if (st) {
			/* Every answer, errors included, carries the security headers. */
			if (!resp_header(&r, "strict-transport-security") ||
			    !resp_header(&r, "content-security-policy") ||
			    !resp_header(&r, "x-content-type-options") || resp_header(&r, "server"))
				fail_msg("%s: security headers missing or Server present:\n%s",
					 f->name, r.head);
			if (f->status >= 400 && !strstr(r.body, "\"error\""))
				fail_msg("%s: error body without \"error\": %.*s", f->name,
					 (int)r.body_len, r.body);
		}
		if (f->closed) {
			if (st && (!resp_header(&r, "connection") ||
				   strcasecmp(resp_header(&r, "connection"), "close")))
				fail_msg("%s: closing answer without Connection: close", f->name);
			if (!tc_closed_within(c, 5000))
				fail_msg("%s: connection still open, expected closed", f->name);
		} else {
			/* Still in sync: the next request on the connection is answered. */
			tc_sends(c, GETP "\r\n");
			expect_eq(f->name, "status of the next request", tc_response(c, &r), 200);
		}
		tc_close(c);
	}
	tsrv_stop(t);
}

/* Accessors, bodies, headers the handler adds, Allow on 405, 204 without a body. */
static void test_request_api(void **state)
{
	struct http_conf conf;
	struct tsrv *t;
	struct tresp r;
	json_t *j;

	(void)state;
	test_conf(&conf);
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);

	expect_eq("info", "status",
		  one_request(t->port, NULL,
			      "POST /info?x=1&y HTTP/1.1\r\nHost: t\r\nx-TEST:  v a l  \r\n"
			      "Content-Length: 3\r\n\r\nabc",
			      &r),
		  200);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "method")), "POST");
	assert_string_equal(json_string_value(json_object_get(j, "path")), "/info");
	assert_string_equal(json_string_value(json_object_get(j, "query")), "x=1&y");
	assert_string_equal(json_string_value(json_object_get(j, "x-test")), "v a l");
	assert_string_equal(json_string_value(json_object_get(j, "peer")), "127.0.0.1");
	assert_string_equal(json_string_value(json_object_get(j, "transport")), "plain");
	expect_eq("info", "uid", json_integer_value(json_object_get(j, "uid")), -1);
	expect_eq("info", "body_len", json_integer_value(json_object_get(j, "body_len")), 3);
	json_decref(j);

	expect_eq("prefix route", "status",
		  one_request(t->port, NULL, "DELETE /item/42 HTTP/1.1\r\nHost: t\r\n\r\n", &r),
		  200);
	assert_non_null(strstr(r.body, "\"path\":\"/item/42\""));
	assert_non_null(strstr(r.body, "\"query\":null"));

	expect_eq("405", "status",
		  one_request(t->port, NULL, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n", &r), 405);
	assert_non_null(resp_header(&r, "allow"));
	assert_string_equal(resp_header(&r, "allow"), "POST, PUT");

	expect_eq("headers", "status",
		  one_request(t->port, NULL, "GET /headers HTTP/1.1\r\nHost: t\r\n\r\n", &r), 204);
	assert_string_equal(resp_header(&r, "x-good"), "yes");
	assert_null(resp_header(&r, "content-length"));
	assert_string_equal(resp_header(&r, "strict-transport-security"), "max-age=63072000");
	assert_string_equal(resp_header(&r, "x-frame-options"), "DENY");
	assert_string_equal(resp_header(&r, "x-content-type-options"), "nosniff");
	assert_string_equal(resp_header(&r, "referrer-policy"), "no-referrer");
	assert_string_equal(resp_header(&r, "content-security-policy"),
			    "default-src 'none'; frame-ancestors 'none'");
	assert_non_null(resp_header(&r, "permissions-policy"));
	assert_string_equal(resp_header(&r, "cache-control"), "no-store");
	assert_non_null(resp_header(&r, "date"));
	assert_null(resp_header(&r, "server"));
	tsrv_stop(t);
}

static void test_keepalive_pipelining(void **state)
{
	struct http_conf conf;
	struct tconn *c;
	struct tsrv *t;
	struct tresp r;
	int i;

	(void)state;
	test_conf(&conf);
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);

	c = tc_open(t->port, NULL);
	for (i = 0; i < 20; i++) {
		tc_sends(c, GETP "\r\n");
		expect_eq("keep-alive", "status", tc_response(c, &r), 200);
	}
	tc_close(c);

	/* Three requests in one write, a deferred one among them: answers in order. */
	c = tc_open(t->port, NULL);
	tc_sends(c, POSTE "Content-Length: 3\r\n\r\none"
		    "GET /defer HTTP/1.1\r\nHost: t\r\n\r\n" POSTE
		    "Transfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n" GETP
		    "Connection: close\r\n\r\n");
	expect_eq("pipelined 1", "status", tc_response(c, &r), 200);
	expect_eq("pipelined 1", "body", r.body_len == 3 && !memcmp(r.body, "one", 3), 1);
	expect_eq("pipelined 2 (deferred)", "status", tc_response(c, &r), 200);
	assert_non_null(strstr(r.body, "deferred"));
	expect_eq("pipelined 3", "status", tc_response(c, &r), 200);
	expect_eq("pipelined 3", "body", r.body_len == 3 && !memcmp(r.body, "two", 3), 1);
	expect_eq("pipelined 4", "status", tc_response(c, &r), 200);
	expect_eq("pipelined close", "closed", tc_closed_within(c, 5000), 1);
	tc_close(c);

	/* A bad request after a good one: the good one is answered, then 400 and close. */
	c = tc_open(t->port, NULL);
	tc_sends(c, GETP "\r\nGET /ping HTTP/1.1\nHost: t\n\n" GETP "\r\n");
	expect_eq("good before bad", "status", tc_response(c, &r), 200);
	expect_eq("bad after good", "status", tc_response(c, &r), 400);
	expect_eq("after bad", "status", tc_response(c, &r), 0);
	tc_close(c);

	/* Byte by byte: framing does not depend on how the bytes arrive. */
	c = tc_open(t->port, NULL);
	{
		static const char req[] = POSTE "Transfer-Encoding: chunked\r\n\r\n"
						"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
		size_t k;

		for (k = 0; k < sizeof(req) - 1; k++)
			tc_send(c, req + k, 1);
	}
	expect_eq("byte by byte", "status", tc_response(c, &r), 200);
	expect_eq("byte by byte", "body", r.body_len == 5 && !memcmp(r.body, "abcde", 5), 1);
	tc_close(c);

	/* Expect: 100-continue: the interim answer comes before the body is sent. */
	c = tc_open(t->port, NULL);
	tc_sends(c, POSTE "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
	expect_eq("100-continue", "interim status", tc_response(c, &r), 100);
	tc_sends(c, "body");
	expect_eq("100-continue", "status", tc_response(c, &r), 200);
	expect_eq("100-continue", "body", r.body_len == 4 && !memcmp(r.body, "body", 4), 1);
	tc_close(c);
	tsrv_stop(t);
}

static void test_limits(void **state)
{
	static char big[32768], body[TEST_BODY_MAX + 1];
	struct http_conf conf;
	struct tconn *c;
	struct tsrv *t;
	struct tresp r;
	size_t n;
	int i;

	(void)state;
	test_conf(&conf);
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);

	/* header_max_count fields exactly, then one more. */
	n = (size_t)snprintf(big, sizeof(big), "GET /ping HTTP/1.1\r\nHost: t\r\n");
	for (i = 1; i < 64; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%d: v\r\n", i);
	snprintf(big + n, sizeof(big) - n, "\r\n");
	expect_eq("64 header fields", "status", one_request(t->port, NULL, big, &r), 200);
	snprintf(big + n, sizeof(big) - n, "X-64: v\r\n\r\n");
	expect_eq("65 header fields", "status", one_request(t->port, NULL, big, &r), 431);

	/* A header block of exactly header_max_bytes, then one byte more. */
	for (i = 0; i < 2; i++) {
		size_t fixed = strlen("GET /ping HTTP/1.1\r\nHost: t\r\nX-Pad: \r\n\r\n");
		size_t pad = conf.header_max_bytes - fixed + (size_t)i;

		n = (size_t)snprintf(big, sizeof(big), "GET /ping HTTP/1.1\r\nHost: t\r\nX-Pad: ");
		memset(big + n, 'a', pad);
		n += pad;
		snprintf(big + n, sizeof(big) - n, "\r\n\r\n");
		expect_eq(i ? "header block 8193 bytes" : "header block 8192 bytes", "status",
			  one_request(t->port, NULL, big, &r), i ? 431 : 200);
	}
	/* An endless header block is cut at the cap, not at a deadline. */
	c = tc_open(t->port, NULL);
	tc_sends(c, GETP "X-Pad: ");
	memset(big, 'a', 20000);
	tc_send(c, big, 20000);
	expect_eq("endless header", "status", tc_response(c, &r), 431);
	expect_eq("endless header", "closed", tc_closed_within(c, 5000), 1);
	tc_close(c);

	/* Target of HTTP_TARGET_MAX (404: no such route), then one more, then no end at all. */
	for (i = 0; i < 2; i++) {
		n = (size_t)snprintf(big, sizeof(big), "GET /");
		memset(big + n, 'a', HTTP_TARGET_MAX - 1 + (size_t)i);
		n += HTTP_TARGET_MAX - 1 + (size_t)i;
		snprintf(big + n, sizeof(big) - n, " HTTP/1.1\r\nHost: t\r\n\r\n");
		expect_eq(i ? "target 2049" : "target 2048", "status",
			  one_request(t->port, NULL, big, &r), i ? 414 : 404);
	}
	c = tc_open(t->port, NULL);
	tc_sends(c, "GET /");
	memset(big, 'a', 4000);
	tc_send(c, big, 4000);
	expect_eq("endless target", "status", tc_response(c, &r), 414);
	tc_close(c);

	/* Bodies of body_max_bytes pass, by Content-Length and chunked. */
	memset(body, 'b', sizeof(body));
	c = tc_open(t->port, NULL);
	snprintf(big, sizeof(big), POSTE "Content-Length: %d\r\n\r\n", TEST_BODY_MAX);
	tc_sends(c, big);
	tc_send(c, body, TEST_BODY_MAX);
	expect_eq("body at the cap", "status", tc_response(c, &r), 200);
	expect_eq("body at the cap", "length", r.body_len, TEST_BODY_MAX);
	snprintf(big, sizeof(big), POSTE "Transfer-Encoding: chunked\r\n\r\n%x\r\n",
		 TEST_BODY_MAX / 2);
	tc_sends(c, big);
	tc_send(c, body, TEST_BODY_MAX / 2);
	snprintf(big, sizeof(big), "\r\n%x\r\n", TEST_BODY_MAX / 2);
	tc_sends(c, big);
	tc_send(c, body, TEST_BODY_MAX / 2);
	tc_sends(c, "\r\n0\r\n\r\n");
	expect_eq("chunked body at the cap", "status", tc_response(c, &r), 200);
	expect_eq("chunked body at the cap", "length", r.body_len, TEST_BODY_MAX);
	/* One byte more, spread over chunks: 413 when the chunk that crosses is announced. */
	snprintf(big, sizeof(big), POSTE "Transfer-Encoding: chunked\r\n\r\n%x\r\n",
		 TEST_BODY_MAX);
	tc_sends(c, big);
	tc_send(c, body, TEST_BODY_MAX);
	tc_sends(c, "\r\n1\r\n");
	expect_eq("chunked body over the cap", "status", tc_response(c, &r), 413);
	expect_eq("chunked body over the cap", "closed", tc_closed_within(c, 5000), 1);
	tc_close(c);
	tsrv_stop(t);
}

/* The zones on a frozen clock: exact burst, exact Retry-After, refill, per source. */
static void test_rate_limits(void **state)
{
	struct http_conf conf;
	struct tconn *c;
	struct tsrv *t;
	struct tresp r;
	int i;

	(void)state;
	http_conf_defaults(&conf);
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);

	/* api: 10 r/s burst 20 = the first request and 20 more, like nginx with nodelay. */
	c = tc_open(t->port, "127.0.0.3");
	for (i = 0; i < 21; i++) {
		tc_sends(c, GETP "\r\n");
		expect_eq("api burst", "status", tc_response(c, &r), 200);
	}
	tc_sends(c, GETP "\r\n");
	expect_eq("api over burst", "status", tc_response(c, &r), 429);
	assert_string_equal(resp_header(&r, "retry-after"), "1");
	assert_non_null(strstr(r.body, "\"error\""));
	/* Unknown paths spend the api zone too, so scanning is limited as well. */
	tc_sends(c, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_eq("api over burst, unknown path", "status", tc_response(c, &r), 429);
	/* Zone "none" is never limited. */
	tc_sends(c, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_eq("zone none", "status", tc_response(c, &r), 200);
	/* 100 ms buys exactly one request. */
	mock_advance(100);
	tc_sends(c, GETP "\r\n");
	expect_eq("api after 100 ms", "status", tc_response(c, &r), 200);
	tc_sends(c, GETP "\r\n");
	expect_eq("api after 100 ms, second", "status", tc_response(c, &r), 429);
	/* Another source has its own bucket. */
	expect_eq("api other source", "status", one_request(t->port, "127.0.0.4", GETP "\r\n", &r),
		  200);

	/* login: 3 r/min burst 5: six attempts, then 429 for 20 s. */
	for (i = 0; i < 6; i++) {
		tc_sends(c, "POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
		expect_eq("login burst", "status", tc_response(c, &r), 200);
	}
	tc_sends(c, "POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
	expect_eq("login over burst", "status", tc_response(c, &r), 429);
	assert_string_equal(resp_header(&r, "retry-after"), "20");
	mock_advance(19999);
	tc_sends(c, "POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
	expect_eq("login after 19.999 s", "status", tc_response(c, &r), 429);
	assert_string_equal(resp_header(&r, "retry-after"), "1");
	mock_advance(1);
	tc_sends(c, "POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
	expect_eq("login after 20 s", "status", tc_response(c, &r), 200);
	/* A 429 for a request with a body closes: the body was never read. */
	tc_sends(c, "POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
	expect_eq("login 429 with body", "status", tc_response(c, &r), 429);
	expect_eq("login 429 with body", "closed", tc_closed_within(c, 5000), 1);
	tc_close(c);
	expect_eq("stats", "rate_limited", stat_of(t, "rate_limited"), 6);
	tsrv_stop(t);
}

/* The source table stays bounded: the least recently seen idle source goes first. */
static void test_source_eviction(void **state)
{
	struct http_conf conf;
	struct tsrv *t;
	struct tresp r;
	char src[32];
	int i;

	(void)state;
	http_conf_defaults(&conf);
	conf.rl_max_sources = 4;
	conf.api_burst = 1;
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);
	/* 127.0.0.20 spends its bucket (2 requests), then four others push it out. */
	for (i = 0; i < 2; i++)
		expect_eq("spend", "status", one_request(t->port, "127.0.0.20", GETP "\r\n", &r),
			  200);
	expect_eq("spent", "status", one_request(t->port, "127.0.0.20", GETP "\r\n", &r), 429);
	/* A source with an open connection is never evicted: wait until the server closed it. */
	wait_idle(t);
	for (i = 21; i < 25; i++) {
		snprintf(src, sizeof(src), "127.0.0.%d", i);
		expect_eq("other sources", "status", one_request(t->port, src, GETP "\r\n", &r),
			  200);
	}
	/* Evicted, it starts again with a full bucket. */
	expect_eq("after eviction", "status", one_request(t->port, "127.0.0.20", GETP "\r\n", &r),
		  200);
	expect_eq("stats", "sources", stat_of(t, "sources"), 4);
	tsrv_stop(t);
}

static void test_deferred(void **state)
{
	struct http_conf conf;
	struct linger lg = { 1, 0 };
	struct tconn *c;
	struct tsrv *t;
	struct tresp r;
	int i, rc = 1;

	(void)state;
	test_conf(&conf);
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);
	expect_eq("deferred", "status",
		  one_request(t->port, NULL, "GET /defer HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);

	/* The client resets the connection while its answer is deferred. */
	__atomic_store_n(&defer_gone_rc, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&defer_gone_started, 0, __ATOMIC_SEQ_CST);
	c = tc_open(t->port, NULL);
	tc_sends(c, "GET /defer-gone HTTP/1.1\r\nHost: t\r\n\r\n");
	for (i = 0; i < 100 && !__atomic_load_n(&defer_gone_started, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	tc_close(c);
	for (i = 0; i < 100 && rc == 1; i++) {
		usleep(50000);
		rc = __atomic_load_n(&defer_gone_rc, __ATOMIC_SEQ_CST);
	}
	expect_eq("answer after the client left", "http_respond", rc, -ENOTCONN);
	/* And the server is fine. */
	expect_eq("after", "status", one_request(t->port, NULL, GETP "\r\n", &r), 200);
	tsrv_stop(t);
}

/* Connection caps: per source, and in total. */
static void test_conn_caps(void **state)
{
	struct tconn *c[8], *extra;
	struct http_conf conf;
	struct tsrv *t;
	struct tresp r;
	int i;

	(void)state;
	test_conf(&conf);
	conf.max_conns_per_source = 4;
	conf.max_conns = 6;
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);
	for (i = 0; i < 4; i++)
		c[i] = tc_open(t->port, "127.0.0.5");
	/* The fifth from the same source is closed at once, unanswered. */
	extra = tc_open(t->port, "127.0.0.5");
	tc_sends(extra, GETP "\r\n");
	expect_eq("fifth from one source", "status", tc_response(extra, &r), 0);
	tc_close(extra);
	/* Another source still gets in, up to max_conns. */
	c[4] = tc_open(t->port, "127.0.0.6");
	tc_sends(c[4], GETP "\r\n");
	expect_eq("other source", "status", tc_response(c[4], &r), 200);
	c[5] = tc_open(t->port, "127.0.0.7");
	extra = tc_open(t->port, "127.0.0.8");
	tc_sends(extra, GETP "\r\n");
	expect_eq("over max_conns", "status", tc_response(extra, &r), 0);
	tc_close(extra);
	/* The earlier ones still work. */
	tc_sends(c[0], GETP "\r\n");
	expect_eq("first", "status", tc_response(c[0], &r), 200);
	for (i = 0; i < 6; i++)
		tc_close(c[i]);
	/* Closed connections give their slots back (poll: the server sees the close later). */
	for (i = 0; i < 50; i++) {
		extra = tc_open(t->port, "127.0.0.5");
		tc_sends(extra, GETP "\r\n");
		if (tc_response(extra, &r) == 200) {
			tc_close(extra);
			break;
		}
		tc_close(extra);
		usleep(50000);
	}
	expect_eq("slots given back", "answered", i < 50, 1);
	tsrv_stop(t);
}

/* ---- slowloris ---- */

#define SLOW_CONNS 200

struct trickler {
	int fd[SLOW_CONNS];
	bool closed[SLOW_CONNS];
	int nclosed;
	volatile int stop;
};

/* Keep every slow connection sending one header byte every 50 ms, and notice closes. */
static void *trickle(void *arg)
{
	struct trickler *tr = arg;
	int i;

	while (!tr->stop) {
		for (i = 0; i < SLOW_CONNS; i++) {
			char b[1024];
			ssize_t n;

			if (tr->closed[i])
				continue;
			n = recv(tr->fd[i], b, sizeof(b), MSG_DONTWAIT);
			if (n > 0)
				continue; /* the 408; the close follows */
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ||
			    (send(tr->fd[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
			     errno != EAGAIN && errno != EWOULDBLOCK)) {
				tr->closed[i] = true;
				__atomic_add_fetch(&tr->nclosed, 1, __ATOMIC_SEQ_CST);
			}
		}
		usleep(50000);
	}
	return NULL;
}

static void slow_open(struct trickler *tr, uint16_t port)
{
	int i;

	memset(tr, 0, sizeof(*tr));
	for (i = 0; i < SLOW_CONNS; i++) {
		struct tconn *c = tc_open(port, NULL);

		tc_sends(c, "GET /ping HTTP/1.1\r\nHost: t\r\nX-Slow: ");
		tr->fd[i] = c->fd;
		free(c);
	}
}

static void slow_close(struct trickler *tr)
{
	int i;

	for (i = 0; i < SLOW_CONNS; i++)
		close(tr->fd[i]);
}

/* The legitimate client, from another address: 10 on one connection, 10 on new ones. */
static void legit_client(uint16_t port, const char *what)
{
	struct tconn *c = tc_open(port, "127.0.0.2");
	struct tresp r;
	int i, ok = 0;

	for (i = 0; i < 10; i++) {
		tc_sends(c, GETP "\r\n");
		ok += tc_response(c, &r) == 200;
	}
	tc_close(c);
	for (i = 0; i < 10; i++)
		ok += one_request(port, "127.0.0.2", GETP "\r\n", &r) == 200;
	expect_eq(what, "answers to the legitimate client", ok, 20);
}

static void test_slowloris_capped(void **state)
{
	struct trickler *tr = calloc(1, sizeof(*tr));
	struct http_conf conf;
	pthread_t thr;
	struct tsrv *t;
	int i;

	(void)state;
	assert_non_null(tr);
	test_conf(&conf);
	conf.max_conns_per_source = 16;
	conf.header_timeout_ms = 30000; /* the cap alone protects here */
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);
	slow_open(tr, t->port);
	assert_int_equal(pthread_create(&thr, NULL, trickle, tr), 0);
	legit_client(t->port, "slowloris capped per source");
	/* The listen queue is FIFO: every slow connection was accepted or refused before. */
	expect_eq("slowloris capped", "refused", stat_of(t, "conns_refused"), SLOW_CONNS - 16);
	for (i = 0; i < 100 && __atomic_load_n(&tr->nclosed, __ATOMIC_SEQ_CST) < SLOW_CONNS - 16;
	     i++)
		usleep(100000);
	usleep(300000); /* a few more trickles: the 16 admitted stay open (deadline 30 s) */
	tr->stop = 1;
	pthread_join(thr, NULL);
	expect_eq("slowloris capped", "slow connections still open",
		  SLOW_CONNS - tr->nclosed, 16);
	slow_close(tr);
	free(tr);
	tsrv_stop(t);
}

static void test_slowloris_deadline(void **state)
{
	struct trickler *tr = calloc(1, sizeof(*tr));
	struct http_conf conf;
	pthread_t thr;
	struct tsrv *t;
	int i;

	(void)state;
	assert_non_null(tr);
	test_conf(&conf);
	conf.max_conns_per_source = 256;
	conf.max_conns = 512;
	conf.header_timeout_ms = 1500;
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);
	slow_open(tr, t->port);
	assert_int_equal(pthread_create(&thr, NULL, trickle, tr), 0);
	legit_client(t->port, "slowloris under the deadline");
	/* Trickling does not move the deadline: all are closed within seconds (bound: 20 s). */
	for (i = 0; i < 200 && __atomic_load_n(&tr->nclosed, __ATOMIC_SEQ_CST) < SLOW_CONNS; i++)
		usleep(100000);
	tr->stop = 1;
	pthread_join(thr, NULL);
	expect_eq("slowloris deadline", "slow connections closed", tr->nclosed, SLOW_CONNS);
	expect_eq("slowloris deadline", "header timeouts", stat_of(t, "timeouts_header"),
		  SLOW_CONNS);
	slow_close(tr);
	free(tr);
	tsrv_stop(t);
}

/* A slow body meets its own deadline, and an idle connection that never speaks too. */
static void test_body_and_idle_deadlines(void **state)
{
	struct http_conf conf;
	struct tconn *c, *idle;
	struct tsrv *t;
	struct tresp r;

	(void)state;
	test_conf(&conf);
	conf.body_timeout_ms = 300;
	conf.header_timeout_ms = 1000;
	t = tsrv_start(&conf, NULL, NULL, (uid_t)-1);
	idle = tc_open(t->port, NULL);
	c = tc_open(t->port, NULL);
	tc_sends(c, POSTE "Content-Length: 10\r\n\r\nabc");
	expect_eq("slow body", "status", tc_response(c, &r), 408);
	expect_eq("slow body", "closed", tc_closed_within(c, 5000), 1);
	expect_eq("silent connection", "closed", tc_closed_within(idle, 5000), 1);
	tc_close(c);
	tc_close(idle);
	expect_eq("stats", "timeouts_body", stat_of(t, "timeouts_body"), 1);
	tsrv_stop(t);
}

/* ---- Unix socket ---- */

/* In a child as uid: one request over path; exit 0 when answered 200, 1 when closed unanswered. */
static int unix_child(const char *path, uid_t uid)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		char buf[4096];
		ssize_t n;
		int fd;

		if (setgid(uid) || setuid(uid) || strlen(path) >= sizeof(sun.sun_path))
			_exit(3);
		memcpy(sun.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			_exit(4);
		if (send(fd, R("GET /info HTTP/1.1\r\nHost: t\r\n\r\n"), MSG_NOSIGNAL) < 0 &&
		    errno != EPIPE && errno != ECONNRESET)
			_exit(5);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			_exit(1);
		buf[n] = '\0';
		_exit(strncmp(buf, "HTTP/1.1 200 ", 13) ? 2 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_unix_socket(void **state)
{
	char path[256], path2[256], other[256];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct http_conf conf;
	struct event_base *base;
	struct http_server *srv;
	struct tconn *c;
	struct tsrv *t;
	struct tresp r;
	struct stat st;
	json_t *j;
	int fd, i;

	(void)state;
	snprintf(path, sizeof(path), "%s/api.sock", tmpdir);
	snprintf(path2, sizeof(path2), "%s/api2.sock", tmpdir);
	snprintf(other, sizeof(other), "%s/not-a-socket", tmpdir);

	/* A stale socket file (nobody listening) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);

	test_conf(&conf);
	conf.api_burst = 1;
	t = tsrv_start(&conf, NULL, path, getuid() ? getuid() : (uid_t)-1);
	assert_int_equal(stat(path, &st), 0);
	expect_eq("unix socket", "mode", st.st_mode & 07777, 0600);

	/* A live socket is not taken over, and a file that is not a socket is left alone. */
	base = event_base_new();
	srv = http_server_new(base, &conf, test_routes, NULL);
	assert_non_null(srv);
	expect_eq("live socket", "http_listen_unix", http_listen_unix(srv, path, (uid_t)-1),
		  -EADDRINUSE);
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	close(fd);
	expect_eq("regular file", "http_listen_unix", http_listen_unix(srv, other, (uid_t)-1),
		  -EEXIST);
	assert_int_equal(access(other, F_OK), 0);
	http_server_free(srv);
	event_base_free(base);

	/* The allowed peer: transport and credentials reach the handler; no rate limit. */
	c = tc_open_unix(path);
	for (i = 0; i < 30; i++) {
		tc_sends(c, "GET /info HTTP/1.1\r\nHost: t\r\n\r\n");
		expect_eq("unix", "status", tc_response(c, &r), 200);
	}
	tc_sends(c, GETP "\r\n");
	expect_eq("unix, api zone, burst 1", "status", tc_response(c, &r), 200);
	tc_sends(c, GETP "\r\n");
	expect_eq("unix, api zone, over burst", "status", tc_response(c, &r), 200);
	tc_sends(c, "GET /info HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_eq("unix", "status", tc_response(c, &r), 200);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "transport")), "unix");
	assert_string_equal(json_string_value(json_object_get(j, "peer")), "unix");
	expect_eq("unix", "uid", json_integer_value(json_object_get(j, "uid")), getuid());
	expect_eq("unix", "pid", json_integer_value(json_object_get(j, "pid")), getpid());
	json_decref(j);
	tc_close(c);

	if (getuid() != 0) {
		print_message("SKIP unix peer-credential refusal: needs root to run a client "
			      "as another uid; only the allowed path was tested\n");
	} else {
		/* Open the file mode so that only SO_PEERCRED stands in the way. */
		assert_int_equal(chmod(tmpdir, 0711), 0);
		assert_int_equal(chmod(path, 0666), 0);
		expect_eq("uid 65534 on a root-only socket", "child result",
			  unix_child(path, NOBODY_UID), 1);
		expect_eq("stats", "conns_refused_peercred",
			  stat_of(t, "conns_refused_peercred"), 1);
		tsrv_stop(t);
		/* With 65534 as the extra uid it is let in. */
		t = tsrv_start(&conf, NULL, path2, NOBODY_UID);
		assert_int_equal(chmod(path2, 0666), 0);
		expect_eq("uid 65534 as the extra uid", "child result",
			  unix_child(path2, NOBODY_UID), 0);
		assert_int_equal(chmod(tmpdir, 0700), 0);
	}
	tsrv_stop(t);
	/* The server removes its socket file. */
	expect_eq("socket removed", "exists", access(path, F_OK) == 0 || access(path2, F_OK) == 0,
		  0);
}

/* ---- TLS ---- */

static EVP_PKEY *gen_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* A self-signed certificate for key, CN=localhost, written to dir/name.crt. */
static void write_cert(EVP_PKEY *key, const char *path)
{
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
				   -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
}

static void write_key(EVP_PKEY *key, const char *path, mode_t mode, bool encrypted)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	if (encrypted)
		PEM_write_PrivateKey(f, key, EVP_aes_128_cbc(), (unsigned char *)"pass", 4, NULL,
				     NULL);
	else
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A TLS client connection with the given protocol range and ALPN (NULL: none). */
static struct tconn *tls_open(uint16_t port, int minv, int maxv, const unsigned char *alpn,
			      unsigned int alpn_len, bool *ok)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	struct tconn *c = tc_open(port, NULL);

	assert_non_null(cctx);
	SSL_CTX_set_min_proto_version(cctx, minv);
	SSL_CTX_set_max_proto_version(cctx, maxv);
	/* Let the client offer old protocols, so that refusing them is the server's doing. */
	SSL_CTX_set_security_level(cctx, 0);
	SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0");
	if (alpn)
		SSL_CTX_set_alpn_protos(cctx, alpn, alpn_len);
	c->ssl = SSL_new(cctx);
	SSL_CTX_free(cctx);
	SSL_set_fd(c->ssl, c->fd);
	*ok = SSL_connect(c->ssl) == 1;
	ERR_clear_error();
	return c;
}

static void test_tls(void **state)
{
	char crt[256], key[256], key2[256], err[512], info[1024];
	static const unsigned char h2[] = "\x02h2";
	static const unsigned char both[] = "\x02h2\x08http/1.1";
	EVP_PKEY *k1 = gen_key(), *k2 = gen_key();
	struct http_conf conf;
	struct tconn *c;
	struct tsrv *t;
	struct tresp r;
	SSL_CTX *ctx;
	bool ok;

	(void)state;
	snprintf(crt, sizeof(crt), "%s/ec.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/ec.key", tmpdir);
	snprintf(key2, sizeof(key2), "%s/other.key", tmpdir);
	write_cert(k1, crt);

	/* Key files group or world may read are refused, and so are mismatches. */
	write_key(k1, key, 0644, false);
	assert_null(tls_server_ctx(crt, key, err, sizeof(err)));
	if (!strstr(err, "chmod 600"))
		fail_msg("key mode 0644: error '%s', expected a chmod hint", err);
	write_key(k1, key, 0640, false);
	assert_null(tls_server_ctx(crt, key, err, sizeof(err)));
	write_key(k2, key2, 0600, false);
	assert_null(tls_server_ctx(crt, key2, err, sizeof(err)));
	if (!strstr(err, "does not match"))
		fail_msg("mismatched key: error '%s', expected 'does not match'", err);
	write_key(k1, key2, 0600, true);
	assert_null(tls_server_ctx(crt, key2, err, sizeof(err)));
	assert_null(tls_server_ctx(crt, tmpdir, err, sizeof(err)));
	assert_null(tls_server_ctx(key2, key, err, sizeof(err)));
	write_key(k1, key, 0600, false);
	ctx = tls_server_ctx(crt, key, err, sizeof(err));
	if (!ctx)
		fail_msg("valid certificate and key refused: %s", err);
	assert_int_equal(tls_cert_info(ctx, info, sizeof(info)), 0);
	if (!strstr(info, "subject=CN=localhost") || !strstr(info, "key=EC") ||
	    !strstr(info, "sha256="))
		fail_msg("tls_cert_info: '%s'", info);

	test_conf(&conf);
	conf.tls_handshake_timeout_ms = 1000;
	t = tsrv_start(&conf, ctx, NULL, (uid_t)-1);
	SSL_CTX_free(ctx); /* the listener holds its own reference */

	c = tls_open(t->tls_port, TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0, &ok);
	expect_eq("TLS 1.2", "handshake", ok, 1);
	if (!strstr(SSL_get_cipher_name(c->ssl), "GCM") ||
	    !strstr(SSL_get_cipher_name(c->ssl), "ECDHE"))
		fail_msg("TLS 1.2 cipher %s, expected ECDHE with GCM", SSL_get_cipher_name(c->ssl));
	tc_sends(c, GETP "\r\n");
	expect_eq("TLS 1.2", "status", tc_response(c, &r), 200);
	tc_sends(c, POSTE "Content-Length: 2\r\n\r\nok");
	expect_eq("TLS 1.2 keep-alive", "status", tc_response(c, &r), 200);
	tc_close(c);

	c = tls_open(t->tls_port, TLS1_3_VERSION, TLS1_3_VERSION, both, sizeof(both) - 1, &ok);
	expect_eq("TLS 1.3 with ALPN h2,http/1.1", "handshake", ok, 1);
	tc_sends(c, GETP "\r\n");
	expect_eq("TLS 1.3", "status", tc_response(c, &r), 200);
	tc_close(c);

	c = tls_open(t->tls_port, TLS1_VERSION, TLS1_1_VERSION, NULL, 0, &ok);
	expect_eq("TLS 1.0-1.1", "handshake", ok, 0);
	tc_close(c);
	c = tls_open(t->tls_port, TLS1_2_VERSION, TLS1_3_VERSION, h2, sizeof(h2) - 1, &ok);
	expect_eq("ALPN h2 only", "handshake", ok, 0);
	tc_close(c);

	/* Plain HTTP on the TLS port fails the handshake; silence meets its deadline. */
	c = tc_open(t->tls_port, NULL);
	tc_sends(c, GETP "\r\n");
	expect_eq("plain HTTP to TLS", "closed", tc_closed_within(c, 5000), 1);
	tc_close(c);
	c = tc_open(t->tls_port, NULL);
	expect_eq("silent TLS client", "closed", tc_closed_within(c, 5000), 1);
	tc_close(c);
	expect_eq("stats", "timeouts_handshake", stat_of(t, "timeouts_handshake"), 1);
	if (stat_of(t, "tls_handshake_failures") < 3)
		fail_msg("tls_handshake_failures %lld, expected at least 3",
			 stat_of(t, "tls_handshake_failures"));
	tsrv_stop(t);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void test_conf_refused(void **state)
{
	struct event_base *base = event_base_new();
	struct http_conf conf;
	struct http_server *srv;

	(void)state;
	http_conf_defaults(&conf);
	conf.api_rate_per_s = 0;
	errno = 0;
	assert_null(http_server_new(base, &conf, test_routes, NULL));
	expect_eq("zero rate", "errno", errno, EINVAL);
	http_conf_defaults(&conf);
	srv = http_server_new(base, &conf, test_routes, NULL);
	assert_non_null(srv);
	expect_eq("bad address", "http_listen_tcp", http_listen_tcp(srv, "localhost", 0, NULL),
		  -EINVAL);
	expect_eq("bad address", "http_listen_tcp", http_listen_tcp(srv, "1.2.3.4.5", 0, NULL),
		  -EINVAL);
	http_server_free(srv);
	http_server_free(NULL);
	event_base_free(base);
}

/*
 * Why the framing is checked before http-parser sees it: the Debian build is not strict.
 * If this ever fails, the library became strict, which is fine; the checks stay.
 */
static void test_parser_is_lax(void **state)
{
	static const char lf[] = "GET / HTTP/1.1\nHost: a\n\n";
	http_parser_settings s = { 0 };
	http_parser p;

	(void)state;
	http_parser_init(&p, HTTP_REQUEST);
	http_parser_execute(&p, &s, lf, sizeof(lf) - 1);
	if (HTTP_PARSER_ERRNO(&p) != HPE_OK)
		print_message("note: http-parser refuses bare LF: it is a strict build\n");
}

static int group_setup(void **state)
{
	(void)state;
	log_init("test_http", 0, getenv("V") != NULL);
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_refused),
		cmocka_unit_test(test_parser_is_lax),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_request_api),
		cmocka_unit_test(test_keepalive_pipelining),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_rate_limits),
		cmocka_unit_test(test_source_eviction),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_conn_caps),
		cmocka_unit_test(test_body_and_idle_deadlines),
		cmocka_unit_test(test_slowloris_capped),
		cmocka_unit_test(test_slowloris_deadline),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_tls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
