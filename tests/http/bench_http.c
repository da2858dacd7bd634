// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_http: requests per second through the API's HTTP server (run http_harness first).
 * Opens N keep-alive connections, plain or TLS, keeps one request in flight on each, and
 * counts answers for a number of seconds. A benchmark, not a test: it asserts nothing.
 *
 *   bench_http [--tls] [--conns N] [--seconds S] [--path /health] PORT
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS 256

struct bconn {
	int fd;
	SSL *ssl;
	char buf[16384];
	size_t len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bc_write(struct bconn *c, const char *s, size_t len)
{
	if (c->ssl)
		return SSL_write(c->ssl, s, (int)len) == (int)len ? 0 : -1;
	return send(c->fd, s, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Read until one whole response is in buf; returns its status or -1. */
static int bc_response(struct bconn *c)
{
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		ssize_t n;

		if (end) {
			size_t hlen = (size_t)(end - c->buf) + 4, blen = 0;
			char *cl = strcasestr(c->buf, "\r\ncontent-length:");
			int status = atoi(c->buf + 9);

			if (cl && cl < end)
				blen = strtoul(cl + 17, NULL, 10);
			if (c->len >= hlen + blen) {
				memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
				c->len -= hlen + blen;
				return status;
			}
		}
		if (c->ssl)
			n = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len));
		else
			n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tls", no_argument, NULL, 't' },
		{ "conns", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bconn conns[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS];
	const char *path = "/health";
	int tls = 0, n = 8, secs = 5, opt, i, one = 1;
	unsigned long done = 0, errors = 0;
	SSL_CTX *ctx = NULL;
	char req[256];
	double t0, t;
	int port;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't': tls = 1; break;
		case 'c': n = atoi(optarg); break;
		case 's': secs = atoi(optarg); break;
		case 'p': path = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc || n < 1 || n > MAX_CONNS || secs < 1) {
		fprintf(stderr,
			"usage: bench_http [--tls] [--conns N] [--seconds S] [--path P] PORT\n");
		return 2;
	}
	port = atoi(argv[optind]);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
	if (tls) {
		ctx = SSL_CTX_new(TLS_client_method());
		if (!ctx)
			return 1;
	}
	for (i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		conns[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (conns[i].fd < 0 || connect(conns[i].fd, (struct sockaddr *)&sin, sizeof(sin))) {
			perror("bench_http: connect");
			return 1;
		}
		setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (tls) {
			conns[i].ssl = SSL_new(ctx);
			SSL_set_fd(conns[i].ssl, conns[i].fd);
			if (SSL_connect(conns[i].ssl) != 1) {
				ERR_print_errors_fp(stderr);
				return 1;
			}
		}
		pfd[i].fd = conns[i].fd;
		pfd[i].events = POLLIN;
		if (bc_write(&conns[i], req, strlen(req)))
			return 1;
	}
	t0 = now_s();
	while ((t = now_s()) - t0 < secs) {
		if (poll(pfd, (nfds_t)n, 1000) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			/* Records already decrypted count as readable too. */
			if (!(pfd[i].revents & POLLIN) &&
			    !(conns[i].ssl && SSL_pending(conns[i].ssl)))
				continue;
			if (bc_response(&conns[i]) == 200)
				done++;
			else
				errors++;
			if (bc_write(&conns[i], req, strlen(req)))
				errors++;
		}
	}
	printf("%s %d conns %s: %lu answers in %.2f s = %.0f req/s, %lu errors\n",
	       tls ? "TLS" : "plain", n, path, done, t - t0, (double)done / (t - t0), errors);
	for (i = 0; i < n; i++) {
		if (conns[i].ssl)
			SSL_free(conns[i].ssl);
		close(conns[i].fd);
	}
	SSL_CTX_free(ctx);
	return 0;
}
