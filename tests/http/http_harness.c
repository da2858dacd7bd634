// SPDX-License-Identifier: GPL-2.0-only
/*
 * http_harness: the API's HTTP server (user/edgewardd/http.c) with a few test routes, for
 * tests/http/test_tls.sh and manual checks with curl, openssl s_client and sslscan, and as
 * the server of the benchmark. Prints "port N" once listening; runs until SIGINT/SIGTERM.
 *
 *   http_harness [--tls CERT KEY] [--addr A] [--port P] [--unix PATH] [--unix-uid UID]
 *                [--header-timeout MS] [--body-timeout MS] [--idle-timeout MS]
 *                [--handshake-timeout MS] [--max-conns N] [--max-per-source N]
 *                [--api-rate N] [--api-burst N] [--login-rate N] [--login-burst N]
 *                [--body-max BYTES] [-v]
 *
 * Routes: GET /ping (zone api), POST /echo (api, returns the body), POST /login (zone
 * login), GET /health (no zone), GET /stats (no zone, the server's counters), GET /slow
 * (answered 200 ms later through http_req_defer), GET /whoami (transport and peer).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "http.h"
#include "log.h"
#include "tls.h"

struct harness {
	struct event_base *base;
	struct http_server *srv;
};

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

static void h_login(struct http_req *req, void *arg)
{
	(void)arg;
	http_respond_json(req, 200, json_pack("{s:s}", "token", "test-token"));
}

static void h_stats(struct http_req *req, void *arg)
{
	struct harness *h = arg;
	struct http_stats st;

	http_server_stats(h->srv, &st);
	http_respond_json(req, 200,
			  json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				    "requests", (json_int_t)st.requests, "conns_open",
				    (json_int_t)st.conns_open, "conns_refused",
				    (json_int_t)st.conns_refused, "rate_limited",
				    (json_int_t)st.rate_limited, "timeouts_header",
				    (json_int_t)st.timeouts_header, "timeouts_body",
				    (json_int_t)st.timeouts_body, "timeouts_handshake",
				    (json_int_t)st.timeouts_handshake, "tls_handshake_failures",
				    (json_int_t)st.tls_handshake_failures, "conns_accepted",
				    (json_int_t)st.conns_accepted, "status_400",
				    (json_int_t)st.by_status[400]));
}

static void slow_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_req *req = arg;

	(void)fd;
	(void)what;
	http_respond_json(req, 200, json_pack("{s:b}", "slow", 1));
	http_req_release(req);
}

static void h_slow(struct http_req *req, void *arg)
{
	struct harness *h = arg;
	struct timeval tv = { 0, 200000 };

	/* One-shot timer that frees itself: event_base_once. */
	if (event_base_once(h->base, -1, EV_TIMEOUT, slow_cb, http_req_defer(req), &tv)) {
		http_respond_error(req, 500, "cannot schedule");
		http_req_release(req);
	}
}

static void h_whoami(struct http_req *req, void *arg)
{
	static const char *const names[] = { "plain", "tls", "unix" };

	(void)arg;
	http_respond_json(req, 200,
			  json_pack("{s:s, s:s, s:i, s:i}", "transport",
				    names[http_req_transport(req)], "peer", http_req_peer_addr(req),
				    "uid", (int)http_req_peer_uid(req), "pid",
				    (int)http_req_peer_pid(req)));
}

static const struct http_route routes[] = {
	{ "GET", "/ping", HTTP_ZONE_API, h_ping },
	{ "POST", "/echo", HTTP_ZONE_API, h_echo },
	{ "POST", "/login", HTTP_ZONE_LOGIN, h_login },
	{ "GET", "/health", HTTP_ZONE_NONE, h_ping },
	{ "GET", "/stats", HTTP_ZONE_NONE, h_stats },
	{ "GET", "/slow", HTTP_ZONE_API, h_slow },
	{ "GET", "/whoami", HTTP_ZONE_NONE, h_whoami },
	{ NULL, NULL, HTTP_ZONE_NONE, NULL },
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static unsigned int num(const char *s, const char *opt)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 0xffffffffUL)
		fatalx("harness: %s wants a number, not '%s'", opt, s);
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tls", required_argument, NULL, 't' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "unix", required_argument, NULL, 'u' },
		{ "unix-uid", required_argument, NULL, 'U' },
		{ "header-timeout", required_argument, NULL, 1 },
		{ "body-timeout", required_argument, NULL, 2 },
		{ "idle-timeout", required_argument, NULL, 3 },
		{ "handshake-timeout", required_argument, NULL, 4 },
		{ "max-conns", required_argument, NULL, 5 },
		{ "max-per-source", required_argument, NULL, 6 },
		{ "api-rate", required_argument, NULL, 7 },
		{ "api-burst", required_argument, NULL, 8 },
		{ "login-rate", required_argument, NULL, 9 },
		{ "login-burst", required_argument, NULL, 10 },
		{ "body-max", required_argument, NULL, 11 },
		{ NULL, 0, NULL, 0 },
	};
	const char *cert = NULL, *key = NULL, *addr = "127.0.0.1", *unix_path = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	struct harness h = { 0 };
	uid_t unix_uid = (uid_t)-1;
	struct http_conf conf;
	SSL_CTX *ctx = NULL;
	unsigned int port = 0;
	int opt, verbose = 0, ret = 1;
	char err[512], info[1024];

	http_conf_defaults(&conf);
	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (optind >= argc)
				fatalx("harness: --tls CERT KEY");
			cert = optarg;
			key = argv[optind++];
			break;
		case 'a': addr = optarg; break;
		case 'p': port = num(optarg, "--port"); break;
		case 'u': unix_path = optarg; break;
		case 'U': unix_uid = num(optarg, "--unix-uid"); break;
		case 1: conf.header_timeout_ms = num(optarg, "--header-timeout"); break;
		case 2: conf.body_timeout_ms = num(optarg, "--body-timeout"); break;
		case 3: conf.idle_timeout_ms = num(optarg, "--idle-timeout"); break;
		case 4: conf.tls_handshake_timeout_ms = num(optarg, "--handshake-timeout"); break;
		case 5: conf.max_conns = num(optarg, "--max-conns"); break;
		case 6: conf.max_conns_per_source = num(optarg, "--max-per-source"); break;
		case 7: conf.api_rate_per_s = num(optarg, "--api-rate"); break;
		case 8: conf.api_burst = num(optarg, "--api-burst"); break;
		case 9: conf.login_rate_per_min = num(optarg, "--login-rate"); break;
		case 10: conf.login_burst = num(optarg, "--login-burst"); break;
		case 11: conf.body_max_bytes = num(optarg, "--body-max"); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of http_harness.c\n");
			return 2;
		}
	}
	log_init("http_harness", 0, verbose);

	h.base = event_base_new();
	if (!h.base)
		fatalx("harness: event_base_new failed");
	h.srv = http_server_new(h.base, &conf, routes, &h);
	if (!h.srv)
		fatal("harness: http_server_new");
	if (cert) {
		ctx = tls_server_ctx(cert, key, err, sizeof(err));
		if (!ctx)
			fatalx("harness: %s", err);
		if (tls_cert_info(ctx, info, sizeof(info)) >= 0)
			log_info("harness: certificate %s", info);
	}
	if (http_listen_tcp(h.srv, addr, (uint16_t)port, ctx) < 0)
		goto out;
	if (unix_path && http_listen_unix(h.srv, unix_path, unix_uid) < 0)
		goto out;
	sigint = evsignal_new(h.base, SIGINT, on_signal, h.base);
	sigterm = evsignal_new(h.base, SIGTERM, on_signal, h.base);
	if (!sigint || !sigterm || event_add(sigint, NULL) || event_add(sigterm, NULL))
		goto out;
	printf("port %u\n", http_server_port(h.srv));
	fflush(stdout);
	event_base_dispatch(h.base);
	ret = 0;
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	http_server_free(h.srv);
	SSL_CTX_free(ctx);
	event_base_free(h.base);
	return ret;
}
