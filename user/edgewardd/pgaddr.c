// SPDX-License-Identifier: GPL-2.0-only
/* PostgreSQL host names resolved with evdns: see pgaddr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <postgresql/libpq-fe.h>

#include "pgaddr.h"

/*
 * One lookup's link back to its owner. A cancelled lookup may still call
 * back later from the loop (libevent defers EVUTIL_EAI_CANCEL): its ticket
 * then has no owner, and the answer only frees it.
 */
struct ticket {
	struct pgaddr *a;
};

struct pgaddr {
	struct event_base *base;
	struct evdns_base *dns;		/* made on the first lookup */
	char *host;			/* the name to look up; NULL: none */
	struct evdns_getaddrinfo_request *req;
	struct ticket *t;		/* the lookup whose answer is wanted */
	pgaddr_cb cb;
	void *arg;
};

static bool is_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static const char *resolv_conf;

void pgaddr_resolv_conf(const char *path)
{
	resolv_conf = path;
}

struct pgaddr *pgaddr_new(struct event_base *base, const char *conninfo)
{
	PQconninfoOption *opts, *o;
	const char *host = NULL, *hostaddr = NULL;
	struct pgaddr *a;
	char *err = NULL;

	opts = PQconninfoParse(conninfo, &err);
	PQfreemem(err);
	if (!opts)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		PQconninfoFree(opts);
		return NULL;
	}
	a->base = base;
	for (o = opts; o->keyword; o++) {
		if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "hostaddr"))
			hostaddr = o->val;
	}
	/* Only one plain name: see pgaddr.h for what is left to libpq. */
	if (host && *host && host[0] != '/' && host[0] != '@' && !strchr(host, ',') &&
	    !(hostaddr && *hostaddr) && !is_address(host)) {
		a->host = strdup(host);
		if (!a->host) {
			free(a);
			a = NULL;
		}
	}
	PQconninfoFree(opts);
	return a;
}

bool pgaddr_needed(const struct pgaddr *a)
{
	return a && a->host;
}

static void on_answer(int code, struct evutil_addrinfo *res, void *arg)
{
	struct ticket *t = arg;
	struct pgaddr *a = t->a;
	char text[INET6_ADDRSTRLEN] = "", err[160];
	struct evutil_addrinfo *ai;
	pgaddr_cb cb;

	free(t);
	if (!a || code == EVUTIL_EAI_CANCEL) {
		if (res)
			evutil_freeaddrinfo(res);
		return;
	}
	a->t = NULL;
	a->req = NULL;
	cb = a->cb;
	for (ai = code ? NULL : res; ai && !text[0]; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, text,
				  sizeof(text));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, text,
				  sizeof(text));
	}
	if (res)
		evutil_freeaddrinfo(res);
	if (!text[0]) {
		snprintf(err, sizeof(err), "cannot resolve %s: %s", a->host,
			 code ? evutil_gai_strerror(code) : "no address");
		cb(a->arg, NULL, err);
		return;
	}
	cb(a->arg, text, NULL);
}

int pgaddr_resolve(struct pgaddr *a, pgaddr_cb cb, void *arg)
{
	struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
					 .ai_protocol = IPPROTO_TCP,
					 .ai_flags = EVUTIL_AI_ADDRCONFIG };
	struct evdns_getaddrinfo_request *req;
	struct ticket *t;

	pgaddr_cancel(a);
	if (!a->host) {
		cb(arg, NULL, NULL);
		return 0;
	}
	if (!a->dns) {
		/* resolv.conf and /etc/hosts, read now (files, no network). */
		a->dns = evdns_base_new(a->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (!a->dns)
			return -ENOMEM;
		if (evdns_base_resolv_conf_parse(a->dns, DNS_OPTIONS_ALL,
						 resolv_conf ? resolv_conf : "/etc/resolv.conf"))
			/* No resolv.conf: /etc/hosts alone still answers names like localhost. */
			evdns_base_load_hosts(a->dns, NULL);
	}
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->a = a;
	a->t = t;
	a->cb = cb;
	a->arg = arg;
	/* The answer may come before this returns (numbers, /etc/hosts): then req is NULL. */
	req = evdns_getaddrinfo(a->dns, a->host, NULL, &hints, on_answer, t);
	if (a->t == t)
		a->req = req;
	return 0;
}

void pgaddr_cancel(struct pgaddr *a)
{
	if (!a || !a->t)
		return;
	a->t->a = NULL;
	a->t = NULL;
	if (a->req) {
		evdns_getaddrinfo_cancel(a->req);
		a->req = NULL;
	}
}

void pgaddr_free(struct pgaddr *a)
{
	if (!a)
		return;
	pgaddr_cancel(a);
	/* Requests still inside are failed: their tickets (without owner) are freed. */
	if (a->dns)
		evdns_base_free(a->dns, 1);
	free(a->host);
	free(a);
}
