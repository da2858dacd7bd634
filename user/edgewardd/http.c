// SPDX-License-Identifier: GPL-2.0-only
/*
 * The management API's HTTP/1.1 server; the interface is in http.h.
 *
 * A connection goes HANDSHAKE (TLS only) -> IDLE -> HEAD -> BODY -> HANDLER -> WRITE -> IDLE
 * again (keep-alive), or LINGER and closed. One request is handled at a time, and the next is
 * read only once the answer to this one has left: pipelined bytes wait in the input buffer,
 * which a read watermark bounds, so a client that sends without reading cannot make us buffer.
 *
 * Framing. The Debian build of http-parser 2.9.4 is the non-strict one (HTTP_PARSER_STRICT=0:
 * it takes bare-LF line ends, spaces in header names and loose chunk framing; the unit test
 * shows each), so nothing reaches it unchecked:
 *  - the header block is collected up to its CRLF CRLF (header_max_bytes, else 431) and
 *    scanned byte by byte as it arrives: NUL and every control byte but HT, a CR not followed
 *    by LF and a LF not preceded by CR are refused at once (400), without waiting for a
 *    deadline;
 *  - each complete line is checked: the request line is exactly method SP target SP
 *    HTTP/d.d (target in RFC 3986 characters, at most HTTP_TARGET_MAX, else 414; version
 *    1.0 or 1.1, else 505); a header line is token ':' value, with no whitespace before the
 *    colon and none at the start of the line (obs-fold), at most header_max_count (431);
 *  - http-parser then parses the checked block (method, target, fields, keep-alive), and the
 *    framing headers are judged here: Transfer-Encoding with Content-Length, duplicate
 *    Content-Length, Transfer-Encoding, Host, Authorization, Content-Type or Expect, a
 *    transfer coding other than "chunked", Transfer-Encoding in HTTP/1.0, a missing Host in
 *    HTTP/1.1: 400 and close;
 *  - bodies are read here, not by http-parser: Content-Length bytes exactly, or chunked data
 *    through the strict decoder below (hex sizes, CRLF everywhere, no chunk extensions, no
 *    trailer fields), both capped by body_max_bytes (413 and close, for Content-Length before
 *    a byte of the body is read).
 * Any error that leaves the framing in doubt closes the connection after the answer; the
 * close lingers (shutdown for writing, input discarded for up to HTTP_LINGER_MS) so the
 * client reads the answer instead of a reset.
 *
 * Slow clients. One timer per connection holds its deadline: the request's headers within
 * header_timeout_ms of its first byte (of the accept, for the first request), its body within
 * body_timeout_ms of the headers. Bytes arriving do not move it, so trickling does not help.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <http_parser.h>
#include <openssl/err.h>

#include "http.h"
#include "log.h"

#define HTTP_BACKLOG 511
/* How long a closing connection may take to read its last answer and send its EOF. */
#define HTTP_LINGER_MS 2000
/* Safety bound on buffered input; the states below drain it long before. */
#define HTTP_READ_HIGH (64 * 1024)
/* Method, two spaces and "HTTP/1.1" around the longest target. */
#define HTTP_REQLINE_MAX (HTTP_TARGET_MAX + 32)
#define HTTP_EXTRA_MAX 2048
#define HTTP_CTYPE_MAX 128
/* Chunk-size digits, leading zeros included: bounds the framing a chunk may carry. */
#define HTTP_CHUNK_DIGITS 16
/* Pause before accepting again after EMFILE and the like. */
#define HTTP_ACCEPT_RETRY_MS 1000

enum conn_state {
	CONN_HANDSHAKE, /* TLS handshake running */
	CONN_IDLE,	/* waiting for the first byte of a request */
	CONN_HEAD,	/* request line and header fields */
	CONN_BODY,	/* the body */
	CONN_HANDLER,	/* the request is with its handler, maybe deferred */
	CONN_WRITE,	/* the answer is being written */
	CONN_LINGER,	/* closing: answer written, input discarded until EOF */
};

enum chunk_state {
	CH_SIZE,     /* hex digits of a chunk size */
	CH_SIZE_LF,  /* LF after the size line's CR */
	CH_DATA,     /* chunk data */
	CH_DATA_CR,  /* CR after the data */
	CH_DATA_LF,  /* LF after that CR */
	CH_TRAIL_CR, /* CR of the empty line after the last chunk (no trailer fields) */
	CH_TRAIL_LF,
	CH_DONE,
};

/* Token-bucket state of one source in one zone. */
struct rl_bucket {
	uint64_t level; /* in units: one request costs zone.unit */
	uint64_t last_ms;
	bool init;
};

/*
 * One source: an IPv4 address, or an IPv6 /64 (one subscriber's allocation, as in the XDP
 * rate limiter), stored as an IPv6 address (IPv4 mapped). Holds the connection count for
 * max_conns_per_source and the rate-limit buckets. Kept in a balanced tree (tsearch) rather
 * than a hash, so chosen addresses cannot degrade lookups, and in an LRU list; at
 * rl_max_sources the least recently seen source without connections is evicted (it then
 * starts again with a full bucket, as in an nginx zone that is full).
 */
struct http_source {
	unsigned char key[16];
	unsigned int conns;
	struct rl_bucket bucket[3]; /* by enum http_zone */
	TAILQ_ENTRY(http_source) lru;
};
TAILQ_HEAD(source_list, http_source);

/*
 * Zone parameters in integers: a request costs unit (the period in ms) and the bucket gains
 * rate units per ms, so "rate requests per period" holds exactly; capacity is burst + 1
 * requests, as nginx's limit_req with nodelay passes the first request plus burst more.
 */
struct rl_zone {
	uint64_t unit;
	uint64_t rate;
	uint64_t cap;
};

struct http_listener {
	struct http_server *srv;
	struct evconnlistener *evl;
	struct event *retry;
	enum http_transport transport;
	SSL_CTX *tls;
	char *unix_path;
	uid_t extra_uid;
	struct http_listener *next;
};

struct http_conn {
	struct http_server *srv;
	struct bufferevent *bev;
	struct event *deadline;
	enum conn_state state;
	enum http_transport transport;
	struct http_source *src; /* NULL for the Unix socket */
	char peer[INET6_ADDRSTRLEN];
	uid_t uid;
	pid_t pid;
	unsigned int nreq;  /* requests begun */
	bool close_after;   /* close once the current answer is out */
	bool peer_eof;
	bool failed;        /* I/O or TLS error: no close_notify */

	/* Header block being received and scanned. */
	char *head;
	size_t head_len;
	size_t line_start;
	unsigned int nlines; /* complete lines, request line included */
	bool cr;

	/* Body being received. */
	struct http_req *req;
	enum chunk_state cst;
	uint64_t chunk_left;
	unsigned int chunk_digits;

	TAILQ_ENTRY(http_conn) link;
};
TAILQ_HEAD(conn_list, http_conn);

/* Offsets into the header block while parsing, pointers once NUL-terminated. */
struct http_hdr {
	size_t name_off, name_len, val_off, val_len;
	bool has_val;
	const char *name;
	const char *value;
};

struct http_req {
	int refs;
	unsigned int ndefer;
	bool in_handler;
	bool responded;
	bool keep_alive;
	bool chunked;
	bool expect_continue;
	bool parsed;
	struct http_conn *conn; /* NULL once answered or the client is gone */
	const struct http_route *route;

	char *head; /* own copy of the header block; names and values NUL-terminated in place */
	size_t head_len;
	struct http_hdr *hdrs;
	unsigned int nhdrs, hdr_cap;
	size_t url_off, url_len;
	char *target; /* path '\0' query '\0' */
	const char *path, *query;
	unsigned int method;
	unsigned short minor;
	bool has_cl;
	uint64_t content_length;

	char *body;
	size_t body_len, body_cap;

	char extra[HTTP_EXTRA_MAX]; /* "Name: value\r\n" lines from http_req_add_header */
	size_t extra_len;

	char peer[INET6_ADDRSTRLEN];
	enum http_transport transport;
	uid_t uid;
	pid_t pid;
};

struct http_server {
	struct event_base *base;
	struct http_conf conf;
	const struct http_route *routes;
	void *arg;
	struct http_listener *listeners;
	struct conn_list conns;
	unsigned int nconns;
	uint16_t port;

	void *src_root;
	struct source_list lru;
	unsigned int nsources;
	struct rl_zone zone[3];
	uint64_t (*now_ms)(void *arg);
	void *clock_arg;

	time_t date_sec;
	char date[64];
	struct http_stats stats;
};

static void conn_free(struct http_conn *c);
static void conn_process(struct http_conn *c);

void http_conf_defaults(struct http_conf *conf)
{
	*conf = (struct http_conf){
		.header_max_bytes = 8192,
		.header_max_count = 64,
		.body_max_bytes = 1024 * 1024,
		.header_timeout_ms = 10000,
		.body_timeout_ms = 10000,
		.idle_timeout_ms = 30000,
		.tls_handshake_timeout_ms = 10000,
		.max_conns = 512,
		.max_conns_per_source = 16,
		.api_rate_per_s = 10,
		.api_burst = 20,
		.login_rate_per_min = 3,
		.login_burst = 5,
		.rl_max_sources = 65536,
	};
}

/* ---- small helpers ---- */

static uint64_t clock_mono_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* RFC 9110 tchar */
static bool http_is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	return ch && strchr("!#$%&'*+-.^_`|~", ch);
}

static bool http_is_hex(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static unsigned int http_hexval(unsigned char ch)
{
	if (ch <= '9')
		return ch - '0';
	return (ch | 0x20) - 'a' + 10;
}

/* RFC 3986 characters of an origin-form target; '%' is checked for its two hex digits apart. */
static bool http_is_uri_char(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	return ch && strchr("-._~!$&'()*+,;=:@/?%", ch);
}

static const char *http_reason(int status)
{
	static const struct {
		int status;
		const char *text;
	} reasons[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 201, "Created" },
		{ 202, "Accepted" },
		{ 204, "No Content" },
		{ 304, "Not Modified" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 410, "Gone" },
		{ 411, "Length Required" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" },
		{ 422, "Unprocessable Content" },
		{ 423, "Locked" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return "Unknown";
}

/* Source key: IPv4 as ::ffff:a.b.c.d, IPv6 masked to /64. */
static void source_key(const struct sockaddr *sa, unsigned char key[16], char *text, size_t len)
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		key[10] = key[11] = 0xff;
		memcpy(key + 12, &sin->sin_addr, 4);
		inet_ntop(AF_INET, &sin->sin_addr, text, len);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(key, &sin6->sin6_addr, 16);
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], text, len);
		} else {
			memcpy(key, &sin6->sin6_addr, 8);
			inet_ntop(AF_INET6, &sin6->sin6_addr, text, len);
		}
	} else {
		snprintf(text, len, "unknown");
	}
}

static int source_cmp(const void *a, const void *b)
{
	return memcmp(((const struct http_source *)a)->key, ((const struct http_source *)b)->key,
		      16);
}

static bool source_evict(struct http_server *srv)
{
	struct http_source *s;

	/* Sources with open connections are at most max_conns, so this walk is bounded. */
	TAILQ_FOREACH_REVERSE(s, &srv->lru, source_list, lru) {
		if (s->conns)
			continue;
		tdelete(s, &srv->src_root, source_cmp);
		TAILQ_REMOVE(&srv->lru, s, lru);
		free(s);
		srv->nsources--;
		srv->stats.sources_evicted++;
		return true;
	}
	return false;
}

/* The source for key, created (evicting if full) when new; NULL when none can be made. */
static struct http_source *source_get(struct http_server *srv, const unsigned char key[16])
{
	struct http_source probe, *s;
	void **node;

	memcpy(probe.key, key, 16);
	node = tfind(&probe, &srv->src_root, source_cmp);
	if (node) {
		s = *node;
		TAILQ_REMOVE(&srv->lru, s, lru);
		TAILQ_INSERT_HEAD(&srv->lru, s, lru);
		return s;
	}
	if (srv->nsources >= srv->conf.rl_max_sources && !source_evict(srv))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	memcpy(s->key, key, 16);
	node = tsearch(s, &srv->src_root, source_cmp);
	if (!node) {
		free(s);
		return NULL;
	}
	TAILQ_INSERT_HEAD(&srv->lru, s, lru);
	srv->nsources++;
	return s;
}

static void source_touch(struct http_server *srv, struct http_source *s)
{
	TAILQ_REMOVE(&srv->lru, s, lru);
	TAILQ_INSERT_HEAD(&srv->lru, s, lru);
}

/* Take one request from s's bucket in zone z; on refusal *retry_s is when one is available. */
static bool rl_allow(struct http_server *srv, struct http_source *s, enum http_zone z,
		     unsigned int *retry_s)
{
	const struct rl_zone *zc = &srv->zone[z];
	struct rl_bucket *b = &s->bucket[z];
	uint64_t now = srv->now_ms(srv->clock_arg), ms;

	if (!b->init) {
		b->level = zc->cap;
		b->init = true;
	} else if (now > b->last_ms) {
		uint64_t dt = now - b->last_ms;

		/* Compare before multiplying: a long idle source refills completely. */
		if (dt >= zc->cap / zc->rate + 1)
			b->level = zc->cap;
		else
			b->level = b->level + dt * zc->rate > zc->cap ? zc->cap
								      : b->level + dt * zc->rate;
	}
	b->last_ms = now > b->last_ms ? now : b->last_ms;
	if (b->level >= zc->unit) {
		b->level -= zc->unit;
		return true;
	}
	ms = (zc->unit - b->level + zc->rate - 1) / zc->rate;
	*retry_s = (unsigned int)((ms + 999) / 1000);
	if (!*retry_s)
		*retry_s = 1;
	return false;
}

/* ---- requests ---- */

static void req_free(struct http_req *req)
{
	if (!req)
		return;
	free(req->head);
	free(req->hdrs);
	free(req->target);
	free(req->body);
	free(req);
}

static void req_unref(struct http_req *req)
{
	if (req && --req->refs == 0)
		req_free(req);
}

static struct http_req *req_new(struct http_conn *c)
{
	struct http_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->refs = 1; /* the connection's */
	req->conn = c;
	req->head = malloc(c->head_len + 1);
	req->hdr_cap = c->nlines; /* header lines + 1 */
	req->hdrs = calloc(req->hdr_cap, sizeof(*req->hdrs));
	if (!req->head || !req->hdrs) {
		req_free(req);
		return NULL;
	}
	memcpy(req->head, c->head, c->head_len);
	req->head[c->head_len] = '\0';
	req->head_len = c->head_len;
	memcpy(req->peer, c->peer, sizeof(req->peer));
	req->transport = c->transport;
	req->uid = c->uid;
	req->pid = c->pid;
	return req;
}

/* http-parser callbacks: record where things are in req->head; NUL-terminated afterwards. */
static int hp_on_url(http_parser *p, const char *at, size_t len)
{
	struct http_req *req = p->data;

	if (!req->url_len)
		req->url_off = (size_t)(at - req->head);
	req->url_len += len;
	return 0;
}

static int hp_on_field(http_parser *p, const char *at, size_t len)
{
	struct http_req *req = p->data;
	struct http_hdr *h;

	if (!req->nhdrs || req->hdrs[req->nhdrs - 1].has_val) {
		if (req->nhdrs >= req->hdr_cap)
			return -1;
		h = &req->hdrs[req->nhdrs++];
		h->name_off = (size_t)(at - req->head);
	} else {
		h = &req->hdrs[req->nhdrs - 1];
	}
	h->name_len += len;
	return 0;
}

static int hp_on_value(http_parser *p, const char *at, size_t len)
{
	struct http_req *req = p->data;
	struct http_hdr *h;

	if (!req->nhdrs)
		return -1;
	h = &req->hdrs[req->nhdrs - 1];
	if (!h->has_val) {
		h->val_off = (size_t)(at - req->head);
		h->has_val = true;
	}
	h->val_len += len;
	return 0;
}

static int hp_on_headers_complete(http_parser *p)
{
	struct http_req *req = p->data;

	req->method = p->method;
	req->minor = p->http_minor;
	req->keep_alive = http_should_keep_alive(p);
	req->parsed = true;
	/* Bodies are read by the connection, not by http-parser. */
	return 1;
}

static const http_parser_settings hp_settings = {
	.on_url = hp_on_url,
	.on_header_field = hp_on_field,
	.on_header_value = hp_on_value,
	.on_headers_complete = hp_on_headers_complete,
};

const char *http_req_header(const struct http_req *req, const char *name)
{
	unsigned int i;

	for (i = 0; i < req->nhdrs; i++)
		if (!strcasecmp(req->hdrs[i].name, name))
			return req->hdrs[i].value;
	return NULL;
}

static unsigned int req_header_count(const struct http_req *req, const char *name)
{
	unsigned int i, n = 0;

	for (i = 0; i < req->nhdrs; i++)
		if (!strcasecmp(req->hdrs[i].name, name))
			n++;
	return n;
}

/*
 * Parse the scanned header block and judge it; returns 0, or the status to refuse it with
 * (the connection then closes) and *why.
 */
static int req_parse(struct http_req *req, size_t body_max, const char **why)
{
	static const char *const singletons[] = { "host", "content-length", "transfer-encoding",
						  "authorization", "content-type", "expect" };
	const char *te, *cl, *expect;
	struct http_parser_url u;
	http_parser p;
	unsigned int i;
	char *t;

	http_parser_init(&p, HTTP_REQUEST);
	p.data = req;
	http_parser_execute(&p, &hp_settings, req->head, req->head_len);
	if (HTTP_PARSER_ERRNO(&p) != HPE_OK || !req->parsed) {
		*why = http_errno_description(HTTP_PARSER_ERRNO(&p));
		return HTTP_PARSER_ERRNO(&p) == HPE_INVALID_METHOD ? 501 : 400;
	}
	/*
	 * NUL-terminate in place: a name ends at its colon (the scanner allows no whitespace
	 * before it), a value at its CR; trailing SP and HT are trimmed.
	 */
	for (i = 0; i < req->nhdrs; i++) {
		struct http_hdr *h = &req->hdrs[i];
		char *v;
		size_t n;

		req->head[h->name_off + h->name_len] = '\0';
		h->name = req->head + h->name_off;
		if (!h->has_val) {
			h->value = "";
			continue;
		}
		v = req->head + h->val_off;
		n = h->val_len;
		v[n] = '\0';
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			v[--n] = '\0';
		h->value = v;
	}
	if (req->method != HTTP_GET && req->method != HTTP_POST && req->method != HTTP_PUT &&
	    req->method != HTTP_DELETE) {
		*why = "method not implemented";
		return 501;
	}
	if (!req->url_len || req->head[req->url_off] != '/') {
		*why = "only origin-form request targets are accepted";
		return 400;
	}
	if (http_parser_parse_url(req->head + req->url_off, req->url_len, 0, &u) ||
	    (u.field_set & ((1 << UF_SCHEMA) | (1 << UF_HOST) | (1 << UF_FRAGMENT))) ||
	    !(u.field_set & (1 << UF_PATH))) {
		*why = "malformed request target";
		return 400;
	}
	t = malloc(req->url_len + 2);
	if (!t) {
		*why = "out of memory";
		return 500;
	}
	req->target = t;
	memcpy(t, req->head + req->url_off + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
	t[u.field_data[UF_PATH].len] = '\0';
	req->path = t;
	/* No route has "." or ".." segments; refusing them keeps prefix routes unambiguous. */
	if (strstr(req->path, "/./") || strstr(req->path, "/../") ||
	    (strlen(req->path) >= 2 && !strcmp(req->path + strlen(req->path) - 2, "/.")) ||
	    (strlen(req->path) >= 3 && !strcmp(req->path + strlen(req->path) - 3, "/.."))) {
		*why = "dot segment in path";
		return 400;
	}
	if (u.field_set & (1 << UF_QUERY)) {
		t += u.field_data[UF_PATH].len + 1;
		memcpy(t, req->head + req->url_off + u.field_data[UF_QUERY].off,
		       u.field_data[UF_QUERY].len);
		t[u.field_data[UF_QUERY].len] = '\0';
		req->query = t;
	}

	for (i = 0; i < sizeof(singletons) / sizeof(singletons[0]); i++) {
		if (req_header_count(req, singletons[i]) > 1) {
			*why = "duplicate header field";
			return 400;
		}
	}
	if (req->minor == 1 && !http_req_header(req, "host")) {
		*why = "missing Host";
		return 400;
	}
	te = http_req_header(req, "transfer-encoding");
	cl = http_req_header(req, "content-length");
	if (te) {
		if (req->minor == 0) {
			*why = "Transfer-Encoding in HTTP/1.0";
			return 400;
		}
		if (cl) {
			*why = "both Content-Length and Transfer-Encoding";
			return 400;
		}
		if (strcasecmp(te, "chunked")) {
			*why = "unsupported transfer coding";
			return 400;
		}
		req->chunked = true;
	}
	if (cl) {
		uint64_t v = 0;
		size_t n = strlen(cl);

		if (!n || n > 19 || strspn(cl, "0123456789") != n) {
			*why = "malformed Content-Length";
			return 400;
		}
		for (i = 0; i < n; i++)
			v = v * 10 + (uint64_t)(cl[i] - '0');
		req->has_cl = true;
		req->content_length = v;
		if (v > body_max) {
			*why = "body too large";
			return 413;
		}
	}
	expect = http_req_header(req, "expect");
	if (expect) {
		if (strcasecmp(expect, "100-continue")) {
			*why = "unsupported expectation";
			return 417;
		}
		req->expect_continue = true;
	}
	return 0;
}

/* ---- connections: deadlines and answers ---- */

static void conn_arm(struct http_conn *c, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	event_add(c->deadline, &tv);
}

/* Close from anywhere: the deadline timer frees c once the current callback is over. */
static void conn_kill(struct http_conn *c)
{
	c->state = CONN_LINGER;
	c->close_after = true;
	c->peer_eof = true;
	bufferevent_disable(c->bev, EV_READ);
	conn_arm(c, 0);
}

static const char *server_date(struct http_server *srv)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != srv->date_sec && gmtime_r(&now, &tm)) {
		evutil_date_rfc1123(srv->date, sizeof(srv->date), &tm);
		srv->date_sec = now;
	}
	return srv->date;
}

/*
 * The security headers of the guide, on every answer. X-XSS-Protection is left out on
 * purpose: browsers dropped the filter and "1; mode=block" can itself leak information; the
 * CSP below is what stops script. no-store on every answer: tokens and policy must never sit
 * in a cache.
 */
static const char http_sec_headers[] =
	"Strict-Transport-Security: max-age=63072000\r\n"
	"X-Frame-Options: DENY\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Referrer-Policy: no-referrer\r\n"
	"Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
	"Permissions-Policy: geolocation=(), microphone=(), camera=()\r\n"
	"Cache-Control: no-store\r\n";

/*
 * Queue one answer on c and move it to WRITE. keep10 asks for "Connection: keep-alive" (an
 * HTTP/1.0 client keeps the connection only when told).
 */
static int conn_write_response(struct http_conn *c, int status, const char *ctype,
			       const void *body, size_t len, const char *extra, size_t extra_len,
			       bool close, bool keep10)
{
	struct http_server *srv = c->srv;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	/* Room for the fixed headers, the longest content type and every extra header. */
	char head[1024 + HTTP_CTYPE_MAX + HTTP_EXTRA_MAX];
	bool nobody = status == 204 || status == 304;
	int n;

	if (close)
		c->close_after = true;
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nDate: %s\r\n%s", status,
		     http_reason(status), server_date(srv), http_sec_headers);
	if (!nobody)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "Content-Type: %.*s\r\nContent-Length: %zu\r\n", HTTP_CTYPE_MAX,
			      ctype ? ctype : "application/json", len);
	if (extra_len) {
		memcpy(head + n, extra, extra_len);
		n += (int)extra_len;
	}
	n += snprintf(head + n, sizeof(head) - (size_t)n, "%s\r\n",
		      c->close_after ? "Connection: close\r\n"
				     : keep10 ? "Connection: keep-alive\r\n" : "");
	if (evbuffer_add(out, head, (size_t)n) ||
	    (!nobody && len && evbuffer_add(out, body, len))) {
		log_warnx("http: %s: cannot queue the answer, closing", c->peer);
		conn_kill(c);
		return -ENOMEM;
	}
	srv->stats.requests++;
	srv->stats.by_class[status / 100]++;
	srv->stats.by_status[status]++;
	if (status == 429)
		srv->stats.rate_limited++;

	c->state = CONN_WRITE;
	bufferevent_enable(c->bev, EV_WRITE);
	conn_arm(c, c->close_after ? HTTP_LINGER_MS : srv->conf.idle_timeout_ms);
	return 0;
}

static char *http_error_body(const char *msg, size_t *len)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	*len = s ? strlen(s) : 0;
	return s;
}

/* Refuse and close: through the request when there is one, so it counts as answered. */
static void conn_error(struct http_conn *c, int status, const char *msg)
{
	char *body;
	size_t len;

	log_debug("http: %s: %d %s", c->peer, status, msg);
	if (c->req) {
		c->req->keep_alive = false;
		http_respond_error(c->req, status, msg);
		return;
	}
	body = http_error_body(msg, &len);
	if (!body) {
		conn_kill(c);
		return;
	}
	conn_write_response(c, status, NULL, body, len, NULL, 0, true, false);
	free(body);
}

/* ---- connections: receiving ---- */

/* Check one complete request line (without CRLF); 0 or the status to refuse it with. */
static int check_request_line(const char *l, size_t len, const char **why)
{
	size_t i = 0, t;

	while (i < len && http_is_tchar((unsigned char)l[i]))
		i++;
	if (!i || i == len || l[i] != ' ') {
		*why = "malformed request line";
		return 400;
	}
	t = ++i;
	while (i < len && l[i] != ' ') {
		if (!http_is_uri_char((unsigned char)l[i]) ||
		    (l[i] == '%' && (i + 2 >= len || !http_is_hex((unsigned char)l[i + 1]) ||
				     !http_is_hex((unsigned char)l[i + 2])))) {
			*why = "invalid character in request target";
			return 400;
		}
		i++;
	}
	if (i - t > HTTP_TARGET_MAX) {
		*why = "request target too long";
		return 414;
	}
	if (i == t || i == len) {
		*why = "malformed request line";
		return 400;
	}
	l += i + 1;
	len -= i + 1;
	if (len != 8 || memcmp(l, "HTTP/", 5) || l[5] < '0' || l[5] > '9' || l[6] != '.' ||
	    l[7] < '0' || l[7] > '9') {
		*why = "malformed HTTP version";
		return 400;
	}
	if (l[5] != '1' || (l[7] != '0' && l[7] != '1')) {
		*why = "only HTTP/1.0 and HTTP/1.1 are served";
		return 505;
	}
	return 0;
}

/* Check one complete header line (without CRLF). */
static int check_header_line(const char *l, size_t len, const char **why)
{
	size_t i = 0;

	if (l[0] == ' ' || l[0] == '\t') {
		*why = "obsolete line folding";
		return 400;
	}
	while (i < len && http_is_tchar((unsigned char)l[i]))
		i++;
	if (!i || i == len || l[i] != ':') {
		*why = "malformed header field";
		return 400;
	}
	return 0;
}

/*
 * Scan the bytes [from, to) of c->head. Returns 0 (need more), 1 (end of headers at *end), or
 * a status to refuse the request with.
 */
static int head_scan(struct http_conn *c, size_t from, size_t to, size_t *end, const char **why)
{
	const struct http_conf *conf = &c->srv->conf;
	size_t i;
	int st;

	for (i = from; i < to; i++) {
		unsigned char ch = (unsigned char)c->head[i];
		const char *line = c->head + c->line_start;
		size_t len;

		if (c->cr) {
			if (ch != '\n') {
				*why = "bare CR";
				return 400;
			}
			c->cr = false;
			len = i - 1 - c->line_start;
			if (!len) {
				if (!c->nlines) {
					*why = "empty request line";
					return 400;
				}
				*end = i + 1;
				return 1;
			}
			if (!c->nlines) {
				st = check_request_line(line, len, why);
			} else if (c->nlines > conf->header_max_count) {
				*why = "too many header fields";
				st = 431;
			} else {
				st = check_header_line(line, len, why);
			}
			if (st)
				return st;
			c->nlines++;
			c->line_start = i + 1;
			continue;
		}
		if (ch == '\r') {
			c->cr = true;
		} else if (ch == '\n') {
			*why = "bare LF";
			return 400;
		} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			*why = "control character in header block";
			return 400;
		} else if (!c->nlines && i - c->line_start >= HTTP_REQLINE_MAX) {
			*why = "request target too long";
			return 414;
		}
	}
	return 0;
}

/* Returns 1 with a complete header block in c->head, 0 when more is needed, -1 when refused. */
static int conn_read_head(struct http_conn *c, struct evbuffer *in)
{
	size_t cap = c->srv->conf.header_max_bytes, avail = evbuffer_get_length(in), n, end = 0;
	const char *why = NULL;
	int r;

	if (!c->head) {
		c->head = malloc(cap + 1);
		if (!c->head) {
			conn_kill(c);
			return -1;
		}
	}
	/* One byte beyond the cap tells an oversized block from one that just fits. */
	n = cap + 1 - c->head_len;
	if (n > avail)
		n = avail;
	if (evbuffer_copyout(in, c->head + c->head_len, n) != (ev_ssize_t)n) {
		conn_kill(c);
		return -1;
	}
	r = head_scan(c, c->head_len, c->head_len + n, &end, &why);
	if (r == 1) {
		evbuffer_drain(in, end - c->head_len);
		c->head_len = end;
		if (end > cap) {
			conn_error(c, 431, "header block too large");
			return -1;
		}
		return 1;
	}
	evbuffer_drain(in, n);
	c->head_len += n;
	if (r) {
		conn_error(c, r, why);
		return -1;
	}
	if (c->head_len > cap) {
		if (!c->nlines)
			conn_error(c, 414, "request target too long");
		else
			conn_error(c, 431, "header block too large");
		return -1;
	}
	return 0;
}

static int req_body_grow(struct http_req *req, size_t need, size_t max)
{
	size_t cap = req->body_cap ? req->body_cap : 4096;
	char *b;

	if (need + 1 <= req->body_cap)
		return 0;
	while (cap < need + 1)
		cap *= 2;
	if (cap > max + 1)
		cap = max + 1;
	b = realloc(req->body, cap);
	if (!b)
		return -ENOMEM;
	req->body = b;
	req->body_cap = cap;
	return 0;
}

/* Strict chunked decoding; returns 1 when the body is complete, 0 for more, -1 when refused. */
static int conn_read_chunked(struct http_conn *c, struct evbuffer *in)
{
	size_t max = c->srv->conf.body_max_bytes;
	struct http_req *req = c->req;
	unsigned char ch;

	for (;;) {
		if (c->cst == CH_DONE)
			return 1;
		if (c->cst == CH_DATA) {
			size_t n = evbuffer_get_length(in);

			if (!n)
				return 0;
			if (n > c->chunk_left)
				n = (size_t)c->chunk_left;
			evbuffer_remove(in, req->body + req->body_len, n);
			req->body_len += n;
			c->chunk_left -= n;
			if (!c->chunk_left)
				c->cst = CH_DATA_CR;
			continue;
		}
		if (evbuffer_remove(in, &ch, 1) != 1)
			return 0;
		switch (c->cst) {
		case CH_SIZE:
			if (http_is_hex(ch)) {
				if (++c->chunk_digits > HTTP_CHUNK_DIGITS)
					goto bad;
				c->chunk_left = c->chunk_left * 16 + http_hexval(ch);
				/* Checked before a next digit could overflow (body_max < 2^40). */
				if (c->chunk_left > max - req->body_len) {
					conn_error(c, 413, "body too large");
					return -1;
				}
			} else if (ch == '\r' && c->chunk_digits) {
				c->cst = CH_SIZE_LF;
			} else {
				goto bad; /* chunk extensions, whitespace, bare LF */
			}
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				goto bad;
			if (!c->chunk_left) {
				c->cst = CH_TRAIL_CR;
			} else {
				if (req_body_grow(req, req->body_len + c->chunk_left, max)) {
					conn_error(c, 500, "out of memory");
					return -1;
				}
				c->cst = CH_DATA;
			}
			break;
		case CH_DATA_CR:
		case CH_TRAIL_CR:
			if (ch != '\r')
				goto bad; /* data longer than its size, or trailer fields */
			c->cst = c->cst == CH_DATA_CR ? CH_DATA_LF : CH_TRAIL_LF;
			break;
		case CH_DATA_LF:
		case CH_TRAIL_LF:
			if (ch != '\n')
				goto bad;
			if (c->cst == CH_TRAIL_LF) {
				c->cst = CH_DONE;
			} else {
				c->cst = CH_SIZE;
				c->chunk_digits = 0;
				c->chunk_left = 0;
			}
			break;
		default:
			goto bad;
		}
	}
bad:
	conn_error(c, 400, "malformed chunked body");
	return -1;
}

static int conn_read_body(struct http_conn *c, struct evbuffer *in)
{
	struct http_req *req = c->req;
	size_t n;
	int r;

	if (req->chunked) {
		r = conn_read_chunked(c, in);
		if (r == 1 && req->body)
			req->body[req->body_len] = '\0';
		return r;
	}
	n = evbuffer_get_length(in);
	if (n > req->content_length - req->body_len)
		n = (size_t)(req->content_length - req->body_len);
	if (n)
		evbuffer_remove(in, req->body + req->body_len, n);
	req->body_len += n;
	if (req->body_len < req->content_length)
		return 0;
	req->body[req->body_len] = '\0';
	return 1;
}

/* The route for req, or NULL with allow[] listing the methods the path has (405). */
static const struct http_route *route_find(const struct http_server *srv,
					   const struct http_req *req, char *allow, size_t len,
					   enum http_zone *zone)
{
	const char *method = http_method_str(req->method);
	const struct http_route *r;
	size_t n = 0;

	allow[0] = '\0';
	*zone = HTTP_ZONE_API;
	for (r = srv->routes; r && r->path; r++) {
		size_t plen = strlen(r->path);
		bool match;

		if (plen && r->path[plen - 1] == '*')
			match = !strncmp(req->path, r->path, plen - 1);
		else
			match = !strcmp(req->path, r->path);
		if (!match)
			continue;
		if (!strcmp(r->method, method))
			return r;
		if (n == 0)
			*zone = r->zone;
		if (!strstr(allow, r->method) && n + strlen(r->method) + 3 < len)
			n += (size_t)snprintf(allow + n, len - n, "%s%s", n ? ", " : "", r->method);
	}
	return NULL;
}

static void conn_dispatch(struct http_conn *c)
{
	struct http_req *req = c->req;

	/*
	 * Reading stays on, bounded by the read watermark, so that a client resetting the
	 * connection while its answer is deferred frees the connection at once.
	 */
	c->state = CONN_HANDLER;
	event_del(c->deadline);
	req->refs++;
	req->in_handler = true;
	req->route->fn(req, c->srv->arg);
	req->in_handler = false;
	if (!req->responded && !req->ndefer) {
		log_warnx("http: handler of %s %s returned without answering",
			  http_method_str(req->method), req->path);
		http_respond_error(req, 500, "internal error");
	}
	req_unref(req);
}

/* A complete header block is in c->head: judge it, route it, rate limit it. */
static void conn_start_request(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct http_route *route;
	enum http_zone zone;
	const char *why = NULL;
	struct http_req *req;
	unsigned int retry;
	char allow[64];
	bool body;
	int st;

	c->nreq++;
	req = req_new(c);
	if (!req) {
		conn_error(c, 500, "out of memory");
		return;
	}
	c->req = req;
	c->head_len = 0;
	c->line_start = 0;
	c->nlines = 0;
	c->cr = false;

	st = req_parse(req, srv->conf.body_max_bytes, &why);
	if (st) {
		conn_error(c, st, why);
		return;
	}
	/* A refused request's body is never read, so the connection cannot go on after it. */
	body = req->chunked || req->content_length;

	route = route_find(srv, req, allow, sizeof(allow), &zone);
	if (route)
		zone = route->zone;
	if (c->src && zone != HTTP_ZONE_NONE && !rl_allow(srv, c->src, zone, &retry)) {
		char v[16];

		snprintf(v, sizeof(v), "%u", retry);
		http_req_add_header(req, "Retry-After", v);
		if (body)
			req->keep_alive = false;
		http_respond_error(req, 429, "too many requests");
		return;
	}
	if (c->src)
		source_touch(srv, c->src);
	if (!route) {
		if (body)
			req->keep_alive = false;
		if (allow[0]) {
			http_req_add_header(req, "Allow", allow);
			http_respond_error(req, 405, "method not allowed");
		} else {
			http_respond_error(req, 404, "not found");
		}
		return;
	}
	req->route = route;
	if (!body) {
		conn_dispatch(c);
		return;
	}
	if (req->has_cl) {
		req->body = malloc((size_t)req->content_length + 1);
		if (!req->body) {
			conn_error(c, 500, "out of memory");
			return;
		}
		req->body_cap = (size_t)req->content_length + 1;
	} else {
		c->cst = CH_SIZE;
		c->chunk_left = 0;
		c->chunk_digits = 0;
	}
	if (req->expect_continue && req->minor == 1 && !evbuffer_get_length(in))
		evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
	c->state = CONN_BODY;
	conn_arm(c, srv->conf.body_timeout_ms);
}

static void conn_process(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	for (;;) {
		switch (c->state) {
		case CONN_IDLE:
			if (!evbuffer_get_length(in))
				return;
			c->state = CONN_HEAD;
			/* The first request keeps the deadline set at accept (or handshake). */
			if (c->nreq)
				conn_arm(c, c->srv->conf.header_timeout_ms);
			break;
		case CONN_HEAD:
			if (conn_read_head(c, in) <= 0)
				return;
			conn_start_request(c);
			break;
		case CONN_BODY:
			if (conn_read_body(c, in) <= 0)
				return;
			conn_dispatch(c);
			break;
		case CONN_LINGER:
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		default:
			return;
		}
	}
}

/*
 * End a TLS connection with close_notify: the client sees a clean end, and OpenSSL keeps the
 * session in its cache (it drops the session of a connection freed without one, and
 * libevent's bufferevent does not send it). Returns true once sent. Called only with the
 * output drained, so no record is half written.
 */
static bool conn_close_notify(struct http_conn *c)
{
	SSL *ssl;
	int r;

	if (c->transport != HTTP_TRANSPORT_TLS || c->state == CONN_HANDSHAKE || c->failed)
		return false;
	ssl = bufferevent_openssl_get_ssl(c->bev);
	if (!ssl || (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		return false;
	r = SSL_shutdown(ssl);
	ERR_clear_error();
	return r >= 0;
}

static void conn_linger(struct http_conn *c)
{
	if (c->peer_eof) {
		conn_free(c);
		return;
	}
	/*
	 * Half-close so the client sees the end of our answer, and read what it still sends:
	 * closing with unread input would reset the connection and could destroy the answer
	 * in flight.
	 */
	if (c->transport != HTTP_TRANSPORT_TLS || conn_close_notify(c))
		shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	c->state = CONN_LINGER;
	evbuffer_drain(bufferevent_get_input(c->bev),
		       evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_enable(c->bev, EV_READ);
	conn_arm(c, HTTP_LINGER_MS);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (c->state != CONN_WRITE || evbuffer_get_length(bufferevent_get_output(bev)))
		return;
	if (c->close_after) {
		conn_linger(c);
		return;
	}
	c->state = CONN_IDLE;
	conn_arm(c, c->srv->conf.idle_timeout_ms);
	bufferevent_enable(bev, EV_READ);
	/* Pipelined requests already read. */
	conn_process(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;
	struct http_server *srv = c->srv;

	if (what & BEV_EVENT_CONNECTED) {
		/* TLS handshake done: the first request's headers are due from now. */
		c->state = CONN_IDLE;
		conn_arm(c, srv->conf.header_timeout_ms);
		/* A request that came with the end of the handshake is already buffered. */
		conn_process(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		c->failed = true;
		if (c->state == CONN_HANDSHAKE) {
			unsigned long e = bufferevent_get_openssl_error(bev);
			char buf[256] = "";

			if (e)
				ERR_error_string_n(e, buf, sizeof(buf));
			srv->stats.tls_handshake_failures++;
			log_debug("http: %s: TLS handshake failed: %s", c->peer,
				  buf[0] ? buf : "connection closed");
		}
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->peer_eof = true;
		if (c->state == CONN_HANDLER || c->state == CONN_WRITE) {
			/* Answer the request at hand, then close. */
			c->close_after = true;
			return;
		}
		conn_free(c);
	}
}

static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	struct http_stats *st = &c->srv->stats;

	(void)fd;
	(void)what;
	switch (c->state) {
	case CONN_HANDSHAKE:
		st->timeouts_handshake++;
		log_debug("http: %s: TLS handshake timeout", c->peer);
		conn_free(c);
		break;
	case CONN_IDLE:
		if (c->nreq)
			st->idle_closed++;
		else
			st->timeouts_header++;
		conn_free(c);
		break;
	case CONN_HEAD:
		st->timeouts_header++;
		conn_error(c, 408, "request headers not received in time");
		break;
	case CONN_BODY:
		st->timeouts_body++;
		conn_error(c, 408, "request body not received in time");
		break;
	case CONN_WRITE:
		if (!c->close_after)
			st->timeouts_write++;
		c->failed = true; /* the answer is stuck: no close_notify behind it */
		conn_free(c);
		break;
	case CONN_LINGER:
	case CONN_HANDLER:
		conn_free(c);
		break;
	}
}

static void conn_free(struct http_conn *c)
{
	struct http_server *srv;

	if (!c)
		return;
	srv = c->srv;
	TAILQ_REMOVE(&srv->conns, c, link);
	srv->nconns--;
	srv->stats.conns_open--;
	srv->stats.conns_closed++;
	if (c->src)
		c->src->conns--;
	if (c->req) {
		c->req->conn = NULL;
		req_unref(c->req);
	}
	if (c->deadline)
		event_free(c->deadline);
	if (c->bev) {
		conn_close_notify(c);
		bufferevent_free(c->bev);
	}
	free(c->head);
	free(c);
}

/* ---- listeners ---- */

static bool lis_peer_allowed(struct http_listener *l, evutil_socket_t fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) || len != sizeof(*cred)) {
		log_warn("http: unix socket %s: SO_PEERCRED", l->unix_path);
		return false;
	}
	return cred->uid == 0 || (l->extra_uid != (uid_t)-1 && cred->uid == l->extra_uid);
}

static void lis_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
		       int salen, void *arg)
{
	struct http_listener *l = arg;
	struct http_server *srv = l->srv;
	struct http_source *src = NULL;
	struct http_conn *c = NULL;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	unsigned char key[16];
	char peer[INET6_ADDRSTRLEN] = "unix";
	int one = 1;

	(void)evl;
	(void)salen;
	if (srv->nconns >= srv->conf.max_conns) {
		srv->stats.conns_refused++;
		log_debug("http: %u connections open, refusing another", srv->nconns);
		goto refuse;
	}
	if (l->transport == HTTP_TRANSPORT_UNIX) {
		if (!lis_peer_allowed(l, fd, &cred)) {
			srv->stats.conns_refused_peercred++;
			log_warnx("http: unix socket %s: refused peer uid %d pid %d", l->unix_path,
				  (int)cred.uid, (int)cred.pid);
			goto refuse;
		}
	} else {
		source_key(sa, key, peer, sizeof(peer));
		src = source_get(srv, key);
		if (!src || src->conns >= srv->conf.max_conns_per_source) {
			srv->stats.conns_refused++;
			log_debug("http: %s: connection limit per source reached", peer);
			goto refuse;
		}
		/* Answers are one write each; do not let Nagle hold the last segment. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		goto refuse;
	c->srv = srv;
	c->transport = l->transport;
	c->uid = cred.uid;
	c->pid = cred.pid;
	memcpy(c->peer, peer, sizeof(c->peer));
	c->deadline = evtimer_new(srv->base, conn_deadline_cb, c);
	if (!c->deadline)
		goto refuse;
	if (l->transport == HTTP_TRANSPORT_TLS) {
		SSL *ssl = SSL_new(l->tls);

		if (!ssl)
			goto refuse;
		c->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl,
							BUFFEREVENT_SSL_ACCEPTING,
							BEV_OPT_CLOSE_ON_FREE);
		if (!c->bev) {
			SSL_free(ssl);
			goto refuse;
		}
		/* A client closing without close_notify is an EOF, not an error. */
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
		c->state = CONN_HANDSHAKE;
	} else {
		c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (!c->bev)
			goto refuse;
		c->state = CONN_IDLE;
	}
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_READ_HIGH);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_arm(c, c->state == CONN_HANDSHAKE ? srv->conf.tls_handshake_timeout_ms
					       : srv->conf.header_timeout_ms);

	c->src = src;
	if (src)
		src->conns++;
	TAILQ_INSERT_TAIL(&srv->conns, c, link);
	srv->nconns++;
	srv->stats.conns_open++;
	srv->stats.conns_accepted++;
	return;

refuse:
	if (c) {
		if (c->deadline)
			event_free(c->deadline);
		if (c->bev) {
			bufferevent_free(c->bev); /* closes fd */
			fd = -1;
		}
		free(c);
	}
	if (fd >= 0)
		close(fd);
}

static void lis_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->evl);
}

/* accept() failed (EMFILE, ENFILE, ENOBUFS...): pause instead of spinning on it. */
static void lis_error_cb(struct evconnlistener *evl, void *arg)
{
	struct http_listener *l = arg;
	struct timeval tv = { .tv_sec = HTTP_ACCEPT_RETRY_MS / 1000,
			      .tv_usec = (HTTP_ACCEPT_RETRY_MS % 1000) * 1000 };

	log_warn("http: accept failed, pausing the listener for %d ms", HTTP_ACCEPT_RETRY_MS);
	evconnlistener_disable(evl);
	evtimer_add(l->retry, &tv);
}

static void lis_free(struct http_listener *l)
{
	if (!l)
		return;
	if (l->evl)
		evconnlistener_free(l->evl);
	if (l->retry)
		event_free(l->retry);
	if (l->unix_path) {
		unlink(l->unix_path);
		free(l->unix_path);
	}
	SSL_CTX_free(l->tls);
	free(l);
}

/* Wrap a listening socket fd (taken in every case) into a listener of srv. */
static int lis_add(struct http_server *srv, int fd, enum http_transport transport, SSL_CTX *tls,
		   const char *unix_path, uid_t extra_uid)
{
	struct http_listener *l = calloc(1, sizeof(*l));
	int err = -ENOMEM;

	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	l->srv = srv;
	l->transport = transport;
	l->extra_uid = extra_uid;
	l->evl = evconnlistener_new(srv->base, lis_accept, l,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!l->evl) {
		close(fd);
		goto out;
	}
	l->retry = evtimer_new(srv->base, lis_retry_cb, l);
	if (!l->retry)
		goto out;
	if (unix_path) {
		l->unix_path = strdup(unix_path);
		if (!l->unix_path)
			goto out;
	}
	if (tls) {
		if (!SSL_CTX_up_ref(tls))
			goto out;
		l->tls = tls;
	}
	evconnlistener_set_error_cb(l->evl, lis_error_cb);
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
out:
	lis_free(l);
	return err;
}

int http_listen_tcp(struct http_server *srv, const char *addr, uint16_t port, SSL_CTX *tls)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd = -1, one = 1, err;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		log_warnx("http: listen address '%s' is not an IPv4 or IPv6 address", addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_warn("http: socket");
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, HTTP_BACKLOG)) {
		err = -errno;
		log_warn("http: listen on %s port %u (in use? try another address or port)", addr,
			 port);
		close(fd);
		return err;
	}
	len = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &len))
		srv->port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	err = lis_add(srv, fd, tls ? HTTP_TRANSPORT_TLS : HTTP_TRANSPORT_PLAIN, tls, NULL,
		      (uid_t)-1);
	if (!err)
		log_info("http: listening on %s port %u (%s)", addr, srv->port,
			 tls ? "HTTPS" : "plain HTTP");
	return err;
}

uint16_t http_server_port(const struct http_server *srv)
{
	return srv->port;
}

/* Remove a socket file left by a dead server; never anything else, never a live one. */
static int unix_clear_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, err;

	if (lstat(sun->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("http: %s exists and is not a socket; not replacing it", sun->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sun, sizeof(*sun))) {
		close(fd);
		log_warnx("http: %s: another server is listening there", sun->sun_path);
		return -EADDRINUSE;
	}
	err = errno;
	close(fd);
	if (err != ECONNREFUSED) {
		log_warnx("http: %s: cannot tell whether it is stale: %s", sun->sun_path,
			  strerror(err));
		return -err;
	}
	if (unlink(sun->sun_path) && errno != ENOENT)
		return -errno;
	return 0;
}

int http_listen_unix(struct http_server *srv, const char *path, uid_t extra_uid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("http: unix socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	err = unix_clear_stale(&sun);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Created 0600 from the start: no window in which another user could connect. */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old);
	if (!err && chmod(path, 0600))
		err = -errno;
	if (!err && listen(fd, HTTP_BACKLOG))
		err = -errno;
	if (err) {
		log_warnx("http: unix socket %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	err = lis_add(srv, fd, HTTP_TRANSPORT_UNIX, NULL, path, extra_uid);
	if (err)
		unlink(path);
	else
		log_info("http: listening on unix socket %s", path);
	return err;
}

/* ---- server ---- */

static bool conf_valid(const struct http_conf *c)
{
	return c->header_max_bytes >= 64 && c->header_max_count && c->body_max_bytes &&
	       c->body_max_bytes < ((size_t)1 << 40) && c->header_timeout_ms &&
	       c->body_timeout_ms && c->idle_timeout_ms && c->tls_handshake_timeout_ms &&
	       c->max_conns && c->max_conns_per_source && c->api_rate_per_s && c->api_burst &&
	       c->login_rate_per_min && c->login_burst && c->rl_max_sources;
}

struct http_server *http_server_new(struct event_base *base, const struct http_conf *conf,
				    const struct http_route *routes, void *arg)
{
	struct http_server *srv;
	struct sigaction sa;

	if (!base) {
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	if (conf)
		srv->conf = *conf;
	else
		http_conf_defaults(&srv->conf);
	if (!conf_valid(&srv->conf)) {
		log_warnx("http: invalid limits (every limit must be positive)");
		free(srv);
		errno = EINVAL;
		return NULL;
	}
	srv->base = base;
	srv->routes = routes;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->lru);
	srv->now_ms = clock_mono_ms;
	srv->zone[HTTP_ZONE_API] = (struct rl_zone){
		.unit = 1000,
		.rate = srv->conf.api_rate_per_s,
		.cap = 1000ULL * (srv->conf.api_burst + 1ULL),
	};
	srv->zone[HTTP_ZONE_LOGIN] = (struct rl_zone){
		.unit = 60000,
		.rate = srv->conf.login_rate_per_min,
		.cap = 60000ULL * (srv->conf.login_burst + 1ULL),
	};
	/* A peer that closes while we write must cost an EPIPE, not the daemon. */
	if (!sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	return srv;
}

void http_server_free(struct http_server *srv)
{
	struct http_listener *l, *next;
	struct http_source *s;

	if (!srv)
		return;
	for (l = srv->listeners; l; l = next) {
		next = l->next;
		lis_free(l);
	}
	while (!TAILQ_EMPTY(&srv->conns))
		conn_free(TAILQ_FIRST(&srv->conns));
	while ((s = TAILQ_FIRST(&srv->lru))) {
		tdelete(s, &srv->src_root, source_cmp);
		TAILQ_REMOVE(&srv->lru, s, lru);
		free(s);
	}
	free(srv);
}

void http_server_stats(const struct http_server *srv, struct http_stats *stats)
{
	*stats = srv->stats;
	stats->sources_tracked = srv->nsources;
}

void http_server_set_clock(struct http_server *srv, uint64_t (*now_ms)(void *arg), void *arg)
{
	srv->now_ms = now_ms ? now_ms : clock_mono_ms;
	srv->clock_arg = now_ms ? arg : NULL;
}

/* ---- request API ---- */

const char *http_req_method(const struct http_req *req)
{
	return http_method_str(req->method);
}

const char *http_req_path(const struct http_req *req)
{
	return req->path;
}

const char *http_req_query(const struct http_req *req)
{
	return req->query;
}

const void *http_req_body(const struct http_req *req, size_t *len)
{
	*len = req->body_len;
	return req->body_len ? req->body : NULL;
}

const char *http_req_peer_addr(const struct http_req *req)
{
	return req->peer;
}

enum http_transport http_req_transport(const struct http_req *req)
{
	return req->transport;
}

uid_t http_req_peer_uid(const struct http_req *req)
{
	return req->uid;
}

pid_t http_req_peer_pid(const struct http_req *req)
{
	return req->pid;
}

bool http_req_connected(const struct http_req *req)
{
	return req->conn != NULL;
}

int http_req_add_header(struct http_req *req, const char *name, const char *value)
{
	static const char *const reserved[] = {
		"content-length", "transfer-encoding", "connection", "keep-alive", "date",
		"server", "upgrade", "trailer", "content-type", "cache-control",
		"strict-transport-security", "x-frame-options", "x-content-type-options",
		"referrer-policy", "content-security-policy", "permissions-policy",
	};
	size_t i, nlen = strlen(name), vlen = strlen(value);

	if (!nlen || req->responded)
		return -EINVAL;
	for (i = 0; i < nlen; i++)
		if (!http_is_tchar((unsigned char)name[i]))
			return -EINVAL;
	for (i = 0; i < vlen; i++) {
		unsigned char ch = (unsigned char)value[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return -EINVAL;
	}
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcasecmp(name, reserved[i]))
			return -EINVAL;
	if (req->extra_len + nlen + vlen + 4 > sizeof(req->extra))
		return -EINVAL;
	req->extra_len += (size_t)snprintf(req->extra + req->extra_len,
					   sizeof(req->extra) - req->extra_len, "%s: %s\r\n", name,
					   value);
	return 0;
}

int http_respond(struct http_req *req, int status, const char *content_type, const void *body,
		 size_t len)
{
	struct http_conn *c = req->conn;
	bool close;
	int err;

	if (status < 200 || status >= HTTP_STATUS_MAX)
		return -EINVAL;
	if (content_type) {
		size_t i;

		for (i = 0; content_type[i]; i++)
			if ((unsigned char)content_type[i] < 0x20 || content_type[i] == 0x7f ||
			    i >= HTTP_CTYPE_MAX)
				return -EINVAL;
	}
	if (req->responded)
		return -EALREADY;
	req->responded = true;
	if (!c)
		return -ENOTCONN;
	close = !req->keep_alive || c->close_after;
	log_debug("http: %s %s %s -> %d", c->peer, http_method_str(req->method),
		  req->path ? req->path : "-", status);
	err = conn_write_response(c, status, content_type, body, len, req->extra, req->extra_len,
				  close, req->minor == 0 && !close);
	/* The connection is done with this request; a deferred holder keeps its own ref. */
	c->req = NULL;
	req->conn = NULL;
	req_unref(req);
	return err;
}

int http_respond_json(struct http_req *req, int status, json_t *body)
{
	char *s;
	int err;

	if (!body)
		return http_respond_error(req, 500, "internal error");
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!s)
		return http_respond_error(req, 500, "internal error");
	err = http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	return err;
}

int http_respond_error(struct http_req *req, int status, const char *msg)
{
	size_t len;
	char *s = http_error_body(msg, &len);
	int err;

	if (!s)
		return http_respond(req, status, "application/json", "{}", 2);
	err = http_respond(req, status, "application/json", s, len);
	free(s);
	return err;
}

struct http_req *http_req_defer(struct http_req *req)
{
	req->refs++;
	req->ndefer++;
	return req;
}

void http_req_release(struct http_req *req)
{
	if (!req)
		return;
	if (req->ndefer && --req->ndefer == 0 && !req->responded && !req->in_handler &&
	    req->conn) {
		log_warnx("http: deferred %s %s released unanswered", http_method_str(req->method),
			  req->path);
		http_respond_error(req, 503, "request abandoned");
	}
	req_unref(req);
}
