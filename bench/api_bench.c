// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_bench: the API half of scripts/bench.sh. It measures edgewardd from the
 * outside (a TLS load generator) and the blocklist write from the inside (the
 * same library calls the daemon makes, on the daemon's pinned maps), so that
 * the script only starts the daemon, orchestrates and prints the table.
 *
 *   load [OPTS] PATH     N keep-alive TLS connections driven by one epoll loop,
 *                        DEPTH requests in flight on each (1 = back to back),
 *                        GET PATH for WARMUP + SECONDS; counts the answers of the
 *                        measured window. Prints
 *                        "load PATH CONNS DEPTH N SECS REQ_S P50_US P90_US P99_US MAX_US
 *                         NON2XX ERRORS RECONNECTS PROTO CIPHER SRV_CPU_PCT SRV_US_PER_REQ
 *                         CLI_CPU_PCT": with --server-pid, the daemon's CPU time over the
 *                        window (/proc/PID/stat), in all and per answer, a figure that holds
 *                        when other work shares the machine; "-" without)
 *   add [OPTS]           COUNT POST /v1/blocks {"cidrs":["A"],"reason":"bench"}, A a
 *                        distinct /32 counted up from --first, on CONNS connections
 *                        (1: one request at a time, so each latency is the whole
 *                        call: TLS, parse, token, RBAC, map write, journal fsync).
 *                        Prints "add N SECS REQ_S P50_US P90_US P99_US MAX_US MEAN_US
 *                        NON2XX ERRORS SRV_CPU_PCT SRV_US_PER_REQ CLI_CPU_PCT"
 *   mapwrite PIN [OPTS]  the map write alone, COUNT distinct /32s per method, on the
 *                        maps pinned in PIN (the daemon's: it is idle meanwhile, and
 *                        the pin directory's flock is taken as the daemon takes it):
 *                          raw        one bpf_map_update_elem on ew_bl4 (the floor)
 *                          bl_add     bl_add of one rule (rule, then its summaries)
 *                          bl_import  bl_import of one rule (what block.add calls)
 *                          op         ops block.add with the flock around it: what the
 *                                     daemon runs between parsing and the journal
 *                        Prints "mapwrite METHOD N FILL4 P50_US P90_US P99_US MAX_US
 *                        MEAN_US" per method; --max-seconds caps a slow method's time.
 *                        Every rule it added is deleted again (untimed).
 *   journal FILE [--count N]
 *                        the audit record of a block.add, appended N times (2000) to a new
 *                        journal FILE with jr_append (write + fdatasync, as the daemon
 *                        does after the map write). Prints "journal N P50_US P90_US
 *                        P99_US MAX_US MEAN_US"
 *   cidrs N FIRST FILE   N distinct /32s counted up from FIRST, one a line (the
 *                        1M-rule file for the memory figure)
 *
 * load and add options: --host ADDR (127.0.0.1) --port PORT --conns N (16; add: 1)
 * --depth D (1) --seconds S (5) --warmup S (1) --count N (add: 2000)
 * --token-file FILE (Authorization: Bearer <its first line>) --cacert FILE (verify the
 * server against it; without, no verification) --tls-max 1.2|1.3 --first A.B.C.D
 * --server-pid PID.
 * Latencies run from handing the request to OpenSSL to the last byte of its answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "journal.h"
#include "maps.h"
#include "ops.h"
#include "parse.h"

#define MAX_CONNS	1024
#define MAX_DEPTH	64
#define OUT_CAP		65536	/* MAX_DEPTH requests with a ~400-byte token fit */
#define IN_CAP		65536	/* a response header block; bodies beyond are skipped */
#define TOKEN_MAX	4096

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* ---- latency samples ---- */

struct samples {
	uint64_t *v;		/* ns */
	size_t n, cap;
};

static int samples_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns;
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank on sorted samples, in microseconds; 0 when there are none. */
static double samples_pct(const struct samples *s, double p)
{
	size_t k;

	if (!s->n)
		return 0;
	k = (size_t)(p * (double)s->n + 0.999999);
	k = k ? k - 1 : 0;
	return (double)s->v[k < s->n ? k : s->n - 1] / 1000.0;
}

static double samples_mean(const struct samples *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	return s->n ? sum / (double)s->n / 1000.0 : 0;
}

static void samples_sort(struct samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), u64_cmp);
}

/* ---- the TLS load generator ---- */

enum conn_state { C_CLOSED, C_CONNECTING, C_HANDSHAKE, C_RUN };

struct conn {
	int fd;
	SSL *ssl;
	enum conn_state state;
	bool want_out;			/* EPOLLOUT armed */
	char out[OUT_CAP];
	size_t out_len, out_off;
	char in[IN_CAP];
	size_t in_len;
	size_t body_left;		/* of the response being read, still to discard */
	int cur_status;
	uint64_t sent[MAX_DEPTH];	/* FIFO of send times of the requests in flight */
	unsigned int q_head, q_n;
};

struct run {
	/* what to do */
	const char *host;
	uint16_t port;
	int conns, depth;
	double seconds, warmup;
	long count;			/* add: requests in all; 0: run for a time */
	const char *path;
	char auth[TOKEN_MAX + 32];	/* "Authorization: Bearer ...\r\n" or "" */
	uint32_t next_addr;		/* add: host byte order */
	const char *cacert;
	int tls_max;			/* 0 or TLS1_2_VERSION, TLS1_3_VERSION */
	/* state */
	SSL_CTX *ctx;
	int ep;
	struct conn *c;
	struct sockaddr_in sa;
	bool measuring, sending;
	uint64_t t_start, t_meas, t_stop;
	int server_pid;			/* 0, or whose CPU time to read over the window */
	double srv_cpu0, srv_cpu, cli_cpu0, cli_cpu;	/* seconds */
	long sent, answered;
	/* results */
	struct samples lat;
	unsigned long ok, non2xx, errors, reconnects;
	char proto[32], cipher[64];
};

/* CPU seconds (user + system) pid has used so far; -1 when it cannot be read. */
static double proc_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: the fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			 &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The measured window starts: CPU clocks of both sides. */
static void run_measure(struct run *r)
{
	r->measuring = true;
	r->cli_cpu0 = self_cpu_s();
	r->srv_cpu0 = r->server_pid ? proc_cpu_s(r->server_pid) : -1;
}

static int conn_events(struct run *r, struct conn *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };

	if (c->want_out == out)
		return 0;
	c->want_out = out;
	return epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev) ? -errno : 0;
}

static void conn_close(struct run *r, struct conn *c)
{
	if (c->state == C_CLOSED)
		return;
	/* Requests still in flight on a dropped connection never get an answer. */
	r->errors += c->q_n;
	r->answered += c->q_n;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->ssl = NULL;
	c->fd = -1;
	c->state = C_CLOSED;
	c->q_n = c->q_head = 0;
	c->in_len = c->out_len = c->out_off = c->body_left = 0;
}

static int conn_open(struct run *r, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&r->sa, sizeof(r->sa)) && errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	c->fd = fd;
	c->ssl = SSL_new(r->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
		close(fd);
		c->fd = -1;
		return -ENOMEM;
	}
	if (r->cacert)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), r->host);
	SSL_set_connect_state(c->ssl);
	c->state = C_CONNECTING;
	c->want_out = true;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev)) {
		int e = -errno;

		SSL_free(c->ssl);
		close(fd);
		c->ssl = NULL;
		c->fd = -1;
		c->state = C_CLOSED;
		return e;
	}
	return 0;
}

static bool may_send(struct run *r)
{
	if (!r->sending)
		return false;
	if (r->count)
		return r->sent < r->count;
	return true;
}

/* Append one request to c's output. */
static int req_build(struct run *r, struct conn *c)
{
	char *p = c->out + c->out_len;
	size_t room = OUT_CAP - c->out_len;
	int n;

	if (r->path) {
		n = snprintf(p, room, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", r->path, r->host,
			     r->auth);
	} else {
		char body[128];
		uint32_t a = r->next_addr++;
		int bl = snprintf(body, sizeof(body),
				  "{\"cidrs\":[\"%u.%u.%u.%u\"],\"reason\":\"bench\"}", a >> 24,
				  (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);

		n = snprintf(p, room,
			     "POST /v1/blocks HTTP/1.1\r\nHost: %s\r\n%sContent-Type: "
			     "application/json\r\nContent-Length: %d\r\n\r\n%s",
			     r->host, r->auth, bl, body);
	}
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	c->out_len += (size_t)n;
	return 0;
}

/* Hand buffered output to OpenSSL; EPOLLOUT only while it cannot take it all. */
static int conn_flush(struct run *r, struct conn *c)
{
	while (c->out_off < c->out_len) {
		int n = SSL_write(c->ssl, c->out + c->out_off, (int)(c->out_len - c->out_off));

		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_WRITE:
			return conn_events(r, c, true);
		case SSL_ERROR_WANT_READ:
			return 0;
		default:
			return -EIO;
		}
	}
	c->out_off = c->out_len = 0;
	return conn_events(r, c, false);
}

/* Keep `depth` requests in flight while sending is allowed. */
static int conn_fill(struct run *r, struct conn *c)
{
	bool queued = false;

	while (c->q_n < (unsigned int)r->depth && may_send(r)) {
		int e = req_build(r, c);

		if (e)
			return e;
		c->sent[(c->q_head + c->q_n) % MAX_DEPTH] = now_ns();
		c->q_n++;
		r->sent++;
		queued = true;
	}
	return queued ? conn_flush(r, c) : 0;
}

/* Case-insensitive "name:" at the start of one of the header block's lines; its value. */
static const char *hdr_find(const char *blk, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (const char *l = blk; l && l < blk + len;) {
		const char *eol = memmem(l, (size_t)(blk + len - l), "\r\n", 2);

		if ((size_t)(blk + len - l) > nl && !strncasecmp(l, name, nl) && l[nl] == ':')
			return l + nl + 1;
		l = eol ? eol + 2 : NULL;
	}
	return NULL;
}

static void conn_answered(struct run *r, struct conn *c, int status, uint64_t t)
{
	uint64_t sent = c->sent[c->q_head];

	c->q_head = (c->q_head + 1) % MAX_DEPTH;
	c->q_n--;
	r->answered++;
	if (!r->measuring || sent < r->t_meas)
		return;
	if (status >= 200 && status < 300)
		r->ok++;
	else
		r->non2xx++;
	if (samples_add(&r->lat, t - sent))
		r->errors++;
}

/* Split whole responses off c's input; -EPROTO when the stream makes no sense. */
static int conn_parse(struct run *r, struct conn *c)
{
	uint64_t t = now_ns();

	for (;;) {
		const char *end, *cl;
		size_t hlen;

		if (c->body_left) {
			size_t take = c->body_left < c->in_len ? c->body_left : c->in_len;

			memmove(c->in, c->in + take, c->in_len - take);
			c->in_len -= take;
			c->body_left -= take;
			if (c->body_left)
				return 0;
			if (!c->q_n)
				return -EPROTO;
			conn_answered(r, c, c->cur_status, t);
			continue;
		}
		end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
		if (!end)
			return c->in_len == IN_CAP ? -EPROTO : 0;
		hlen = (size_t)(end - c->in) + 4;
		if (c->in_len < 12 || strncmp(c->in, "HTTP/1.", 7) || !c->q_n)
			return -EPROTO;
		c->cur_status = atoi(c->in + 9);
		cl = hdr_find(c->in, hlen, "content-length");
		/* edgewardd frames every answer with Content-Length (no chunked encoding). */
		if (!cl)
			return -EPROTO;
		c->body_left = strtoul(cl, NULL, 10);
		memmove(c->in, c->in + hlen, c->in_len - hlen);
		c->in_len -= hlen;
		if (!c->body_left)
			conn_answered(r, c, c->cur_status, t);
	}
}

static int conn_read(struct run *r, struct conn *c)
{
	for (;;) {
		int n = SSL_read(c->ssl, c->in + c->in_len, (int)(IN_CAP - c->in_len));
		int e;

		if (n > 0) {
			c->in_len += (size_t)n;
			e = conn_parse(r, c);
			if (e)
				return e;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			return 0;
		case SSL_ERROR_WANT_WRITE:
			return conn_events(r, c, true);
		default:
			return -ECONNRESET;
		}
	}
}

static int conn_handshake(struct run *r, struct conn *c)
{
	int n = SSL_do_handshake(c->ssl);

	if (n == 1) {
		c->state = C_RUN;
		if (!r->proto[0]) {
			snprintf(r->proto, sizeof(r->proto), "%s", SSL_get_version(c->ssl));
			snprintf(r->cipher, sizeof(r->cipher), "%s", SSL_get_cipher_name(c->ssl));
		}
		conn_events(r, c, false);
		return conn_fill(r, c);
	}
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return conn_events(r, c, false);
	case SSL_ERROR_WANT_WRITE:
		return conn_events(r, c, true);
	default:
		ERR_print_errors_fp(stderr);
		return -EPROTO;
	}
}

static int conn_event(struct run *r, struct conn *c, uint32_t ev)
{
	int e;

	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) || err)
			return -(err ? err : errno);
		c->state = C_HANDSHAKE;
	}
	if (c->state == C_HANDSHAKE)
		return conn_handshake(r, c);
	if (ev & EPOLLOUT) {
		e = conn_flush(r, c);
		if (e)
			return e;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		e = conn_read(r, c);
		if (e)
			return e;
	}
	return conn_fill(r, c);
}

static SSL_CTX *client_ctx(const struct run *r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (r->tls_max)
		SSL_CTX_set_max_proto_version(ctx, r->tls_max);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (r->cacert) {
		if (SSL_CTX_load_verify_locations(ctx, r->cacert, NULL) != 1) {
			fprintf(stderr, "api_bench: cannot load %s\n", r->cacert);
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

/* Drive every connection until the window (or the count) is done. */
static int run_loop(struct run *r)
{
	struct epoll_event evs[64];
	int e = 0;

	r->ctx = client_ctx(r);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	r->c = calloc((size_t)r->conns, sizeof(*r->c));
	if (!r->ctx || r->ep < 0 || !r->c) {
		fprintf(stderr, "api_bench: cannot set up the client\n");
		return -ENOMEM;
	}
	r->sa.sin_family = AF_INET;
	r->sa.sin_port = htons(r->port);
	if (inet_pton(AF_INET, r->host, &r->sa.sin_addr) != 1) {
		fprintf(stderr, "api_bench: --host %s: not an IPv4 address\n", r->host);
		return -EINVAL;
	}
	r->sending = true;
	r->t_start = now_ns();
	/* Count mode measures from the first request: nothing to warm. */
	if (r->count)
		run_measure(r);
	r->t_meas = r->measuring ? r->t_start : r->t_start + (uint64_t)(r->warmup * 1e9);
	r->t_stop = r->t_meas + (uint64_t)(r->seconds * 1e9);
	for (int i = 0; i < r->conns; i++) {
		r->c[i].fd = -1;
		e = conn_open(r, &r->c[i]);
		if (e) {
			fprintf(stderr, "api_bench: connect %s:%u: %s\n", r->host, r->port,
				strerror(-e));
			return e;
		}
	}
	for (;;) {
		uint64_t t = now_ns();
		int n;

		if (!r->count && !r->measuring && t >= r->t_meas)
			run_measure(r);
		if (!r->count && t >= r->t_stop)
			break;
		if (r->count && r->sent >= r->count && r->answered >= r->sent) {
			r->t_stop = t;
			break;
		}
		n = epoll_wait(r->ep, evs, 64, 50);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			e = conn_event(r, c, evs[i].events);
			if (!e)
				continue;
			conn_close(r, c);
			if (!may_send(r))
				continue;
			/* The server closed on us (an error answer, a limit): carry on. */
			r->reconnects++;
			if (r->reconnects > 1000) {
				fprintf(stderr,
					"api_bench: more than 1000 reconnects: giving up\n");
				return -ECONNRESET;
			}
			e = conn_open(r, c);
			if (e)
				return e;
		}
	}
	r->sending = false;
	r->cli_cpu = self_cpu_s() - r->cli_cpu0;
	r->srv_cpu = r->srv_cpu0 >= 0 && r->server_pid ? proc_cpu_s(r->server_pid) - r->srv_cpu0
						       : -1;
	return 0;
}

static void run_free(struct run *r)
{
	for (int i = 0; r->c && i < r->conns; i++) {
		/* Whatever is still in flight at the end of a timed window is not an error. */
		r->c[i].q_n = 0;
		conn_close(r, &r->c[i]);
	}
	free(r->c);
	if (r->ep >= 0)
		close(r->ep);
	SSL_CTX_free(r->ctx);
	free(r->lat.v);
}

static int read_token(const char *path, struct run *r)
{
	char tok[TOKEN_MAX];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "api_bench: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!fgets(tok, sizeof(tok), f)) {
		fclose(f);
		fprintf(stderr, "api_bench: %s: empty\n", path);
		return -EINVAL;
	}
	fclose(f);
	tok[strcspn(tok, "\r\n")] = '\0';
	snprintf(r->auth, sizeof(r->auth), "Authorization: Bearer %s\r\n", tok);
	return 0;
}

static int parse_addr(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "api_bench: %s: not an IPv4 address\n", s);
		return -EINVAL;
	}
	*out = ntohl(a.s_addr);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: api_bench load [--port P] [--host A] [--conns N] [--depth D]\n"
		"                      [--seconds S] [--warmup S] [--token-file F] [--cacert F]\n"
		"                      [--tls-max 1.2|1.3] [--server-pid PID] PATH\n"
		"       api_bench add [--port P] [--count N] [--first A.B.C.D] [--conns N]\n"
		"                     --token-file F\n"
		"       api_bench mapwrite PIN [--count N] [--first A.B.C.D] [--max-seconds S]\n"
		"                      [--methods raw,bl_add,bl_import,op]\n"
		"       api_bench journal FILE [--count N]\n"
		"       api_bench cidrs N FIRST FILE\n");
	return 2;
}

/* Options shared by load and add; the remaining words are left in argv from optind. */
static int run_opts(int argc, char **argv, struct run *r)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'c' },
		{ "depth", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "tls-max", required_argument, NULL, 'M' },
		{ "first", required_argument, NULL, 'f' },
		{ "server-pid", required_argument, NULL, 'P' },
		{ 0 }
	};
	int o;

	optind = 2;
	while ((o = getopt_long(argc, argv, "H:p:c:d:s:w:n:T:C:M:f:P:", opts, NULL)) != -1) {
		switch (o) {
		case 'H':
			r->host = optarg;
			break;
		case 'p':
			r->port = (uint16_t)atoi(optarg);
			break;
		case 'c':
			r->conns = atoi(optarg);
			break;
		case 'd':
			r->depth = atoi(optarg);
			break;
		case 's':
			r->seconds = atof(optarg);
			break;
		case 'w':
			r->warmup = atof(optarg);
			break;
		case 'n':
			r->count = atol(optarg);
			break;
		case 'T':
			if (read_token(optarg, r))
				return -EINVAL;
			break;
		case 'C':
			r->cacert = optarg;
			break;
		case 'M':
			if (!strcmp(optarg, "1.2"))
				r->tls_max = TLS1_2_VERSION;
			else if (!strcmp(optarg, "1.3"))
				r->tls_max = TLS1_3_VERSION;
			else
				return -EINVAL;
			break;
		case 'f':
			if (parse_addr(optarg, &r->next_addr))
				return -EINVAL;
			break;
		case 'P':
			r->server_pid = atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (!r->port || r->conns < 1 || r->conns > MAX_CONNS || r->depth < 1 ||
	    r->depth > MAX_DEPTH || r->seconds <= 0 || r->warmup < 0 || r->count < 0) {
		fprintf(stderr, "api_bench: need --port; 1 <= conns <= %d, 1 <= depth <= %d\n",
			MAX_CONNS, MAX_DEPTH);
		return -EINVAL;
	}
	return 0;
}

/* " SRV_CPU_PCT SRV_US_PER_REQ CLI_CPU_PCT" ("-" where the server was not given). */
static void print_cpu(const struct run *r, double secs)
{
	if (r->srv_cpu >= 0 && r->lat.n)
		printf(" %.1f %.1f", 100 * r->srv_cpu / secs, r->srv_cpu * 1e6 / (double)r->lat.n);
	else
		printf(" - -");
	printf(" %.1f\n", 100 * r->cli_cpu / secs);
}

static int cmd_load(int argc, char **argv)
{
	struct run r = { .host = "127.0.0.1", .conns = 16, .depth = 1, .seconds = 5,
			 .warmup = 1, .ep = -1 };
	double secs;
	int e;

	if (run_opts(argc, argv, &r) || optind != argc - 1)
		return usage();
	r.path = argv[optind];
	e = run_loop(&r);
	if (!e) {
		secs = (double)(r.t_stop - r.t_meas) / 1e9;
		samples_sort(&r.lat);
		printf("load %s %d %d %zu %.3f %.1f %.1f %.1f %.1f %.1f %lu %lu %lu %s %s",
		       r.path, r.conns, r.depth, r.lat.n, secs, (double)r.lat.n / secs,
		       samples_pct(&r.lat, 0.50), samples_pct(&r.lat, 0.90),
		       samples_pct(&r.lat, 0.99), samples_pct(&r.lat, 1.0), r.non2xx, r.errors,
		       r.reconnects, r.proto[0] ? r.proto : "-", r.cipher[0] ? r.cipher : "-");
		print_cpu(&r, secs);
	}
	run_free(&r);
	return e ? 1 : 0;
}

static int cmd_add(int argc, char **argv)
{
	struct run r = { .host = "127.0.0.1", .conns = 1, .depth = 1, .seconds = 1, .count = 2000,
			 .next_addr = 0xc6120000u /* 198.18.0.0 */, .ep = -1 };
	double secs;
	int e;

	if (run_opts(argc, argv, &r) || optind != argc || !r.count || !r.auth[0])
		return usage();
	e = run_loop(&r);
	if (!e) {
		secs = (double)(r.t_stop - r.t_meas) / 1e9;
		samples_sort(&r.lat);
		printf("add %zu %.3f %.1f %.1f %.1f %.1f %.1f %.1f %lu %lu", r.lat.n, secs,
		       (double)r.lat.n / secs, samples_pct(&r.lat, 0.50), samples_pct(&r.lat, 0.90),
		       samples_pct(&r.lat, 0.99), samples_pct(&r.lat, 1.0), samples_mean(&r.lat),
		       r.non2xx, r.errors);
		print_cpu(&r, secs);
	}
	run_free(&r);
	return e ? 1 : 0;
}

/* ---- the map write alone ---- */

enum mw_method { MW_RAW, MW_BL_ADD, MW_BL_IMPORT, MW_OP, MW_COUNT };
static const char *const mw_names[MW_COUNT] = { "raw", "bl_add", "bl_import", "op" };

static void cidr4(uint32_t a, struct ew_cidr *c)
{
	uint32_t be = htonl(a);

	memset(c, 0, sizeof(*c));
	c->family = 4;
	c->plen = 32;
	memcpy(c->addr, &be, 4);
}

/* One timed write of the /32 a by method k; 0 or -errno. */
static int mw_one(struct ew_maps *m, enum mw_method k, uint32_t a, uint64_t *ns)
{
	struct ew_bl_entry e = { .origin = EW_ORIGIN_MANUAL };
	char err[512] = "", txt[20];
	const struct ops_entry *op;
	json_t *req = NULL, *out = NULL;
	uint64_t t0;
	int r;

	cidr4(a, &e.cidr);
	snprintf(e.reason, sizeof(e.reason), "bench");
	switch (k) {
	case MW_RAW: {
		struct ew_bl4_key key = { .prefixlen = 32, .addr = htonl(a) };
		struct ew_block b = { .added_unix = (__u32)time(NULL), .origin = EW_ORIGIN_MANUAL };

		t0 = now_ns();
		r = bpf_map_update_elem(m->bl4, &key, &b, BPF_ANY) ? -errno : 0;
		*ns = now_ns() - t0;
		return r;
	}
	case MW_BL_ADD:
		t0 = now_ns();
		r = bl_add(m, &e);
		*ns = now_ns() - t0;
		return r;
	case MW_BL_IMPORT:
		t0 = now_ns();
		r = bl_import(m, &e, 1, NULL, NULL, NULL);
		*ns = now_ns() - t0;
		return r;
	case MW_OP:
		op = ops_find("block.add");
		snprintf(txt, sizeof(txt), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
			 (a >> 8) & 0xff, a & 0xff);
		req = json_pack("{s:[s], s:s}", "cidrs", txt, "reason", "bench");
		if (!op || !req) {
			json_decref(req);
			return -ENOMEM;
		}
		/* As the daemon's run_op: the flock only around the change. */
		t0 = now_ns();
		r = ew_maps_lock(m);
		if (!r) {
			r = op->fn(m, req, &out, err, sizeof(err));
			ew_maps_unlock(m);
		}
		*ns = now_ns() - t0;
		if (r)
			fprintf(stderr, "api_bench: block.add %s: %s\n", txt, err);
		json_decref(req);
		json_decref(out);
		return r;
	default:
		return -EINVAL;
	}
}

/* Remove what mw_one added (untimed): the raw rows have no summary bits to clear. */
static void mw_undo(struct ew_maps *m, enum mw_method k, uint32_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ew_bl4_key key = { .prefixlen = 32, .addr = htonl(first + (uint32_t)i) };
		struct ew_cidr c;

		if (k == MW_RAW) {
			bpf_map_delete_elem(m->bl4, &key);
		} else {
			cidr4(first + (uint32_t)i, &c);
			bl_del(m, &c);
		}
	}
}

/* Is name one of the comma-separated words of list? */
static bool mw_wanted(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static int cmd_mapwrite(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "first", required_argument, NULL, 'f' },
		{ "max-seconds", required_argument, NULL, 't' },
		{ "methods", required_argument, NULL, 'm' },
		{ 0 }
	};
	struct ew_maps m = { .lock = -1 };
	struct samples s = {};
	char err[EW_ERRLEN] = "", methods[128] = "raw,bl_add,bl_import,op";
	uint32_t first = 0xc6130000u;	/* 198.19.0.0 */
	double max_s = 30;
	long count = 10000;
	size_t n4 = 0;
	int o, rc = 1;

	if (argc < 3)
		return usage();
	optind = 3;
	while ((o = getopt_long(argc, argv, "n:f:t:m:", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			count = atol(optarg);
			break;
		case 'f':
			if (parse_addr(optarg, &first))
				return 2;
			break;
		case 't':
			max_s = atof(optarg);
			break;
		case 'm':
			snprintf(methods, sizeof(methods), "%s", optarg);
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || count < 1 || max_s <= 0)
		return usage();
	if (ew_maps_open(&m, argv[2], true, err, sizeof(err))) {
		fprintf(stderr, "api_bench: %s: %s\n", argv[2], err);
		return 1;
	}
	ew_maps_unlock(&m);
	if (bl_count(&m, &n4, NULL))
		n4 = 0;
	for (int k = 0; k < MW_COUNT; k++) {
		uint32_t base = first + (uint32_t)k * (uint32_t)count;
		uint64_t t_end, ns;
		size_t done = 0;
		bool failed = false;

		if (!mw_wanted(methods, mw_names[k]))
			continue;
		/* The library calls expect the writer's flock held; op takes it per call. */
		if (k != MW_OP && ew_maps_lock(&m))
			goto out;
		s.n = 0;
		t_end = now_ns() + (uint64_t)(max_s * 1e9);
		for (long i = 0; i < count && now_ns() < t_end; i++) {
			int r = mw_one(&m, (enum mw_method)k, base + (uint32_t)i, &ns);

			if (r) {
				fprintf(stderr, "api_bench: mapwrite %s: %s\n", mw_names[k],
					strerror(-r));
				failed = true;
				break;
			}
			done++;
			if (samples_add(&s, ns)) {
				failed = true;
				break;
			}
		}
		if (k == MW_OP && ew_maps_lock(&m))
			goto out;
		mw_undo(&m, (enum mw_method)k, base, done);
		ew_maps_unlock(&m);
		samples_sort(&s);
		printf("mapwrite %s %zu %zu %.2f %.2f %.2f %.2f %.2f\n", mw_names[k], s.n, n4,
		       samples_pct(&s, 0.50), samples_pct(&s, 0.90), samples_pct(&s, 0.99),
		       samples_pct(&s, 1.0), samples_mean(&s));
		fflush(stdout);
		if (failed)
			goto out;
	}
	rc = 0;
out:
	free(s.v);
	ew_maps_close(&m);
	return rc;
}

/* ---- the audit record alone ---- */

static int cmd_journal(int argc, char **argv)
{
	struct samples s = {};
	struct jr *j = NULL;
	char err[512] = "";
	long count = 2000;
	int rc = 1;

	if (argc == 5 && !strcmp(argv[3], "--count"))
		count = atol(argv[4]);
	else if (argc != 3)
		return usage();
	if (count < 1)
		return usage();
	if (jr_open(argv[2], &j, err, sizeof(err))) {
		fprintf(stderr, "api_bench: %s: %s\n", argv[2], err);
		return 1;
	}
	for (long i = 0; i < count; i++) {
		char cidr[20];
		json_t *ev = jr_event("admin_action", "bench", "127.0.0.1", "blocklist",
				      "block.add", "success", 10);
		json_t *det;
		uint64_t t0;
		int r;

		snprintf(cidr, sizeof(cidr), "198.18.%ld.%ld", (i >> 8) & 0xff, i & 0xff);
		/* The shape of ops_audit_details for one CIDR: request and result. */
		det = json_pack("{s:{s:[s],s:s}, s:{s:[{s:s,s:b,s:s,s:n,s:s}]}}", "request",
				"cidrs", cidr, "reason", "bench", "result", "blocked", "cidr", cidr,
				"new", 1, "origin", "manual", "expires_in_s", "reason", "bench");
		if (!ev || !det) {
			json_decref(ev);
			json_decref(det);
			goto out;
		}
		/* set_new takes det even when it fails. */
		if (json_object_set_new(ev, "details", det)) {
			json_decref(ev);
			goto out;
		}
		t0 = now_ns();
		r = jr_append(j, ev, NULL);
		t0 = now_ns() - t0;
		json_decref(ev);
		if (r) {
			fprintf(stderr, "api_bench: jr_append: %s\n", strerror(-r));
			goto out;
		}
		if (samples_add(&s, t0))
			goto out;
	}
	samples_sort(&s);
	printf("journal %zu %.2f %.2f %.2f %.2f %.2f\n", s.n, samples_pct(&s, 0.50),
	       samples_pct(&s, 0.90), samples_pct(&s, 0.99), samples_pct(&s, 1.0),
	       samples_mean(&s));
	rc = 0;
out:
	jr_close(j);
	free(s.v);
	return rc;
}

static int cmd_cidrs(int argc, char **argv)
{
	uint32_t a;
	long n;
	FILE *f;

	if (argc != 5 || (n = atol(argv[2])) < 1 || parse_addr(argv[3], &a))
		return usage();
	f = fopen(argv[4], "w");
	if (!f) {
		fprintf(stderr, "api_bench: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	for (long i = 0; i < n; i++, a++)
		fprintf(f, "%u.%u.%u.%u\n", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	if (fclose(f)) {
		fprintf(stderr, "api_bench: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	return 0;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "load"))
		return cmd_load(argc, argv);
	if (!strcmp(argv[1], "add"))
		return cmd_add(argc, argv);
	if (!strcmp(argv[1], "mapwrite"))
		return cmd_mapwrite(argc, argv);
	if (!strcmp(argv[1], "journal"))
		return cmd_journal(argc, argv);
	if (!strcmp(argv[1], "cidrs"))
		return cmd_cidrs(argc, argv);
	return usage();
}
