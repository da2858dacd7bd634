/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The address of a PostgreSQL server, looked up without blocking the loop.
 *
 * libpq's non-blocking connect still resolves a host name with a blocking
 * getaddrinfo, so a slow or dead DNS server would stop the daemon's loop
 * (the API, the response engine) for as long as the resolver waits. So the
 * name in "host" is resolved here first with libevent's evdns (the system's
 * /etc/resolv.conf and /etc/hosts), and the connection is started with
 * that address as "hostaddr": libpq then connects to it without a lookup,
 * and still uses "host" for TLS certificate checks and the password file.
 *
 * Nothing is looked up (the callback gets NULL, libpq decides) when the
 * conninfo has no host (the default socket), a socket directory, an address
 * already, a hostaddr of its own, or several hosts (a list is left to libpq,
 * which tries each; use addresses or hostaddr there to keep the loop free).
 */
#ifndef EWD_PGADDR_H
#define EWD_PGADDR_H

#include <stdbool.h>

struct event_base;
struct pgaddr;

/* The answer: an address text (hostaddr), or NULL with err set (or NULL, NULL: no lookup). */
typedef void (*pgaddr_cb)(void *arg, const char *hostaddr, const char *err);

/* For conninfo (copied): NULL when it cannot be parsed or no memory. */
struct pgaddr *pgaddr_new(struct event_base *base, const char *conninfo);
/* Cancels a lookup in flight (its callback is not called). */
void pgaddr_free(struct pgaddr *a);

/* Does this conninfo name a host that needs a lookup? */
bool pgaddr_needed(const struct pgaddr *a);

/*
 * Look up (one at a time; a new call cancels the previous). cb may run
 * before this returns (cached or numeric answers) or later from the loop.
 * 0, or -ENOMEM / -EIO (cb not called).
 */
int pgaddr_resolve(struct pgaddr *a, pgaddr_cb cb, void *arg);
/* Tests: read this file instead of /etc/resolv.conf (NULL: the system's) for new lookups. */
void pgaddr_resolv_conf(const char *path);
/* Forget a lookup in flight: its callback will not run. */
void pgaddr_cancel(struct pgaddr *a);

#endif
