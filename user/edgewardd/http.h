/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The management API's HTTP/1.1 server: JSON over HTTPS for remote operators, over a root-only
 * Unix socket for local use, and over plain TCP for the local metrics listener. One
 * single-threaded libevent loop (the daemon's) drives every connection.
 *
 * Requests are parsed strictly (see http.c for the exact rules): anything a proxy and this
 * server could frame differently (Content-Length with Transfer-Encoding, obs-fold, bare CR or
 * LF, NUL and other control bytes, duplicate framing headers) is refused with 400 and the
 * connection closed. Every request must arrive within fixed deadlines, so a slow client is
 * closed however it trickles its bytes; connections are capped in total and per source, and
 * requests are rate limited per source in two zones, like the guide's nginx limit_req zones.
 * Every response, errors included, carries the guide's security headers and no Server banner.
 * Served: GET, POST, PUT and DELETE (others 501) on origin-form targets, HTTP/1.0 and 1.1;
 * an HTTP/1.1 request must carry exactly one Host (RFC 9112), as curl and libcurl do.
 */
#ifndef EW_HTTP_H
#define EW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/ssl.h>

struct event_base;
struct http_server;
struct http_req;

/* Longest request-target accepted (414 beyond). */
#define HTTP_TARGET_MAX 2048

/*
 * Limits of one server. Sizes in bytes, times in milliseconds. http_conf_defaults() fills the
 * values below; http_server_new() refuses a zero in any field with EINVAL.
 */
struct http_conf {
	size_t header_max_bytes;	   /* request line + header fields, 431 beyond (8 KiB) */
	unsigned int header_max_count;	   /* header fields, 431 beyond (64) */
	size_t body_max_bytes;		   /* decoded body, 413 beyond (1 MiB) */
	unsigned int header_timeout_ms;	   /* first byte to end of headers, 408 beyond (10 s) */
	unsigned int body_timeout_ms;	   /* end of headers to end of body, 408 beyond (10 s) */
	unsigned int idle_timeout_ms;	   /* keep-alive wait; also for a client to read (30 s) */
	unsigned int tls_handshake_timeout_ms; /* accept to end of handshake (10 s) */
	unsigned int max_conns;		   /* open connections, all listeners (512) */
	unsigned int max_conns_per_source; /* per IPv4 address or IPv6 /64 (16) */
	/*
	 * Token buckets per source, as nginx "limit_req ... burst=B nodelay": the first request
	 * and B more pass at once, then one per 1/rate; beyond, 429 with Retry-After.
	 */
	unsigned int api_rate_per_s;	   /* zone "api": nginx rate=10r/s */
	unsigned int api_burst;		   /* nginx burst=20 nodelay */
	unsigned int login_rate_per_min;   /* zone "login": nginx rate=3r/m */
	unsigned int login_burst;	   /* nginx burst=5 nodelay */
	unsigned int rl_max_sources;	   /* sources tracked, least recent evicted (65536) */
};

enum http_zone { HTTP_ZONE_NONE, HTTP_ZONE_API, HTTP_ZONE_LOGIN };

enum http_transport { HTTP_TRANSPORT_PLAIN, HTTP_TRANSPORT_TLS, HTTP_TRANSPORT_UNIX };

typedef void (*http_handler_fn)(struct http_req *req, void *arg);

/*
 * One route. path is matched exactly or, when its last character is '*', as a prefix (all
 * that comes before the star).
 * The first matching entry wins; a path matched under another method only gets 405 with
 * Allow. A table ends with an entry whose path is NULL and must outlive the server.
 */
struct http_route {
	const char *method; /* "GET", "POST", "PUT" or "DELETE" */
	const char *path;
	enum http_zone zone;
	http_handler_fn fn;
};

#define HTTP_STATUS_MAX 600

/* Counters for the metrics module; all monotonic except conns_open. */
struct http_stats {
	uint64_t requests;			/* responses queued, all statuses */
	uint64_t by_class[6];			/* [2] = 2xx ... [5] = 5xx */
	uint64_t by_status[HTTP_STATUS_MAX];	/* by_status[404] ... */
	uint64_t conns_open;			/* gauge */
	uint64_t conns_accepted;
	uint64_t conns_closed;
	uint64_t conns_refused;			/* over max_conns or max_conns_per_source */
	uint64_t conns_refused_peercred;	/* Unix socket peer not allowed */
	uint64_t tls_handshake_failures;
	uint64_t rate_limited;			/* 429 answers */
	uint64_t timeouts_handshake;
	uint64_t timeouts_header;		/* includes a connection that never sent a byte */
	uint64_t timeouts_body;
	uint64_t timeouts_write;		/* client did not read its response */
	uint64_t idle_closed;			/* keep-alive connections closed when idle */
	uint64_t sources_tracked;		/* gauge */
	uint64_t sources_evicted;
};

void http_conf_defaults(struct http_conf *conf);

/*
 * A server on base. conf NULL means the defaults; routes and arg are given to every handler.
 * Ignores SIGPIPE for the process (a peer closing while we write must not kill the daemon).
 * Returns NULL with errno set (EINVAL for a bad conf).
 */
struct http_server *http_server_new(struct event_base *base, const struct http_conf *conf,
				    const struct http_route *routes, void *arg);

/*
 * Listen on addr ("127.0.0.1", "::", ...) and port (0 = any, see http_server_port). tls NULL
 * serves plain HTTP (the local metrics listener); otherwise the server takes its own
 * reference to tls. Returns 0 or -errno.
 */
int http_listen_tcp(struct http_server *srv, const char *addr, uint16_t port, SSL_CTX *tls);

/* Port of the most recent TCP listener (the one the kernel chose for port 0). */
uint16_t http_server_port(const struct http_server *srv);

/*
 * Listen on a Unix socket at path, mode 0600. A stale socket there is replaced only when
 * nothing answers on it; any other file is left alone (-EEXIST), a live server gives
 * -EADDRINUSE. Peers are checked with SO_PEERCRED: uid 0, or extra_uid unless it is
 * (uid_t)-1, else the connection is closed at once. Requests over it are not rate limited.
 * The socket file is removed by http_server_free. Returns 0 or -errno.
 */
int http_listen_unix(struct http_server *srv, const char *path, uid_t extra_uid);

/*
 * Closes listeners and connections. Deferred requests stay valid until released; answering
 * them is then a no-op. Not to be called from a handler. Accepts NULL.
 */
void http_server_free(struct http_server *srv);

void http_server_stats(const struct http_server *srv, struct http_stats *stats);

/*
 * Replace the rate limiter's monotonic clock (milliseconds), for tests that must not depend
 * on timing. NULL restores CLOCK_MONOTONIC.
 */
void http_server_set_clock(struct http_server *srv, uint64_t (*now_ms)(void *arg), void *arg);

/*
 * Request accessors. Strings are NUL-terminated and live as long as the request. path is the
 * raw origin-form path (not percent-decoded); query is the part after '?' or NULL. header()
 * matches names case-insensitively and returns the first value, trimmed. body() returns NULL
 * and *len 0 when there is none; a body is always followed by a NUL byte not counted in len.
 */
const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);
const char *http_req_query(const struct http_req *req);
const char *http_req_header(const struct http_req *req, const char *name);
const void *http_req_body(const struct http_req *req, size_t *len);
const char *http_req_peer_addr(const struct http_req *req); /* "192.0.2.1", "2001:db8::1", "unix" */
enum http_transport http_req_transport(const struct http_req *req);
uid_t http_req_peer_uid(const struct http_req *req); /* (uid_t)-1 unless HTTP_TRANSPORT_UNIX */
pid_t http_req_peer_pid(const struct http_req *req); /* 0 unless HTTP_TRANSPORT_UNIX */

/*
 * Answer. Adds Date, Content-Length, the security headers, Cache-Control: no-store, any
 * header given with http_req_add_header, and Connection: close when the connection will
 * close. content_type NULL means application/json. Returns 0, -EALREADY when already
 * answered, -ENOTCONN when the client is gone (the answer is dropped), -EINVAL for a bad
 * status, -ENOMEM.
 */
int http_respond(struct http_req *req, int status, const char *content_type, const void *body,
		 size_t len);
/* body is stolen (decref'd) in every case. */
int http_respond_json(struct http_req *req, int status, json_t *body);
/* {"error": msg} */
int http_respond_error(struct http_req *req, int status, const char *msg);

/*
 * Add a response header (e.g. Retry-After, WWW-Authenticate) before answering. Framing and
 * security headers cannot be added or replaced. Returns 0 or -EINVAL (bad name or value,
 * reserved name, too many headers).
 */
int http_req_add_header(struct http_req *req, const char *name, const char *value);

/*
 * Deferred answers: a handler that wants to answer later (a login after a progressive delay)
 * calls http_req_defer, keeps the returned handle, and returns without answering. The handle
 * stays valid until http_req_release, whatever happens to the connection or the server;
 * http_respond on it after the client left returns -ENOTCONN and does nothing. Release after
 * answering; releasing the last deferral unanswered answers 503. A handler that returns
 * neither answering nor deferring gets a 500 sent for it.
 */
struct http_req *http_req_defer(struct http_req *req);
void http_req_release(struct http_req *req);
bool http_req_connected(const struct http_req *req);

#endif
