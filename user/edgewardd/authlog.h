/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Authentication events from other services' logs: sshd's failed and
 * accepted logins, unknown users and pre-authentication disconnects, read
 * from syslog files (followed through rotation) and, optionally, from the
 * systemd journal through `journalctl -f -o json` as a child process
 * (libsystemd is not linked), all inside the daemon's event loop.
 *
 * Files. Each configured file is opened at its end (history was judged by
 * whoever ran before) and followed with inotify on the file and on its
 * directory, plus a check every AUTHLOG_CHECK_MS in case an event was
 * missed. Rotation is followed in every form logrotate has:
 *   - rename (create): the old file is read to its end and kept open for
 *     AUTHLOG_GRACE_S more (the logger writes there until it reopens), the
 *     new file is read from its start as soon as it appears;
 *   - copytruncate: a size below the read offset starts again at 0;
 *   - delete and recreate: as rename.
 * A partial last line waits for its newline. Lines longer than
 * AUTHLOG_LINE_MAX and lines holding a NUL byte are dropped whole: cut
 * short, their end (where the real address is) would be lost.
 *
 * Lines are syslog lines, "TIMESTAMP HOST TAG[PID]: MESSAGE", with a
 * traditional ("Mar  5 10:00:00") or an RFC 3339 timestamp. A line counts
 * when its TAG is one of the file's services, or that name followed by
 * "-" ("sshd-session" for sshd: OpenSSH 9.8 and later), and its MESSAGE
 * matches a pattern of that service.
 *
 * Patterns are POSIX extended regular expressions over the MESSAGE, each
 * anchored at both ends. The address is always taken from the END of the
 * message: user names are attacker text and come first ("Invalid user x
 * from 1.2.3.4 port 1 from 10.0.0.1 port 22" is from 10.0.0.1), and
 * POSIX's leftmost-longest rule gives the user group everything up to the
 * last " from ADDR port N". Certificate key IDs are the exception (they
 * follow the address), so "Failed publickey" lines with a certificate are
 * not counted; the connection's "[preauth]" disconnect line, which ends
 * with the address, still is. Built in, for OpenSSH 9.x:
 *   failed_login        Failed <method> for [invalid user] U from A port P ssh2[: KEY]
 *                       ("none", the method every client probes first, is not a failure)
 *   invalid_user        Invalid user U from A port P;
 *                       User U from A not allowed because <AllowUsers/DenyUsers...>
 *   login_success       Accepted <method> for U from A port P ssh2[: ...]
 *   preauth_disconnect  Connection closed / Disconnected / Connection reset by
 *                       [authenticating|invalid user U] A port P [preauth];
 *                       Received disconnect from A port P:N: ... [preauth];
 *                       Timeout before authentication for A port P;
 *                       banner exchange: Connection from A port P: ...;
 *                       Unable to negotiate with A port P: ...;
 *                       error: maximum authentication attempts exceeded for ...;
 *                       Disconnecting ... Too many authentication failures [preauth];
 *                       drop connection #N from [A]:P on [...]:P penalty: ... (9.8)
 * The PAM lines sshd also writes ("error: PAM: Authentication failure",
 * "pam_unix(sshd:auth): authentication failure") repeat a "Failed" line of
 * the same attempt and are not counted. The config adds patterns (name,
 * service, regex, event, user group, source group), tried after these;
 * the first match wins.
 *
 * A source that is not an IP address (UseDNS yes gives host names) is
 * reported without a source. User names are cut at AUTHLOG_USER_MAX bytes
 * and their control characters become '?'.
 *
 * Not thread-safe: one instance per event loop.
 */
#ifndef EWD_AUTHLOG_H
#define EWD_AUTHLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "respond.h"

struct event_base;

#define AUTHLOG_LINE_MAX	8192
#define AUTHLOG_JSON_MAX	65536	/* one journalctl JSON line */
#define AUTHLOG_USER_MAX	128
#define AUTHLOG_SERVICE_LEN	32	/* [A-Za-z0-9_.@-], 1..31 bytes */
#define AUTHLOG_MAX_SERVICES	8
#define AUTHLOG_MAX_FILES	16
#define AUTHLOG_MAX_PATTERNS	64
#define AUTHLOG_MAX_UNITS	8
#define AUTHLOG_NAME_LEN	64
#define AUTHLOG_REGEX_MAX	1024
#define AUTHLOG_MAX_INTERVALS	3	/* {m,n} in one pattern */
#define AUTHLOG_MAX_REPEAT	32	/* m and n */
#define AUTHLOG_GRACE_S		60
#define AUTHLOG_CHECK_MS	2000

struct authlog_file {
	char *path;
	char services[AUTHLOG_MAX_SERVICES][AUTHLOG_SERVICE_LEN];
	size_t n_services;
};

struct authlog_pattern {
	char name[AUTHLOG_NAME_LEN];
	char service[AUTHLOG_SERVICE_LEN];
	char *regex;			/* "^...$", POSIX extended */
	enum respond_ev_type event;
	unsigned int user_group;	/* 0: none */
	unsigned int source_group;	/* 0: none */
};

struct authlog_conf {
	struct authlog_file *files;
	size_t n_files;
	bool journald;
	char units[AUTHLOG_MAX_UNITS][AUTHLOG_SERVICE_LEN * 2];	/* "ssh.service" */
	size_t n_units;
	const char *journalctl;		/* NULL: /usr/bin/journalctl */
	struct authlog_pattern *patterns;	/* the config's, after the built-in ones */
	size_t n_patterns;
};

/* Free what a config walker allocated in c (files, patterns) and zero it. */
void authlog_conf_release(struct authlog_conf *c);
/*
 * Check one pattern: regex compiles, is anchored (^...$), its groups
 * exist, its service is a valid name, and it has at most
 * AUTHLOG_MAX_INTERVALS repetition counts {m,n} of at most
 * AUTHLOG_MAX_REPEAT (regcomp copies the repeated part: nested counts would
 * multiply into gigabytes). 0 or -EINVAL with err.
 */
int authlog_pattern_check(const struct authlog_pattern *p, char *err, size_t errlen);

/* What one line said. */
struct authlog_hit {
	enum respond_ev_type type;
	bool has_user, has_source;
	char user[AUTHLOG_USER_MAX + 1];
	char source[64];		/* an IP address */
	char service[AUTHLOG_SERVICE_LEN];	/* the line's tag */
	const char *pattern;		/* the pattern's name */
};

/* The event for respond_event; strings point into hit. */
void authlog_hit_event(const struct authlog_hit *hit, struct respond_ev *ev);

/* ---- matching, without files (the journal reader and the tests use it) ---- */

struct authlog_matcher;

/* The built-in patterns plus extra (checked). 0, -EINVAL (err) or -ENOMEM. */
int authlog_matcher_new(const struct authlog_pattern *extra, size_t n_extra,
			struct authlog_matcher **out, char *err, size_t errlen);
void authlog_matcher_free(struct authlog_matcher *m);
/*
 * A syslog line (without its newline). services: the tags to consider
 * (NULL, 0: "sshd"). 1 and *hit filled when a pattern matched, else 0.
 */
int authlog_match_line(const struct authlog_matcher *m, const char *line,
		       const char (*services)[AUTHLOG_SERVICE_LEN], size_t n_services,
		       struct authlog_hit *hit);
/* A message whose tag is known (the journal's SYSLOG_IDENTIFIER). 1 or 0. */
int authlog_match_msg(const struct authlog_matcher *m, const char *tag, const char *msg,
		      struct authlog_hit *hit);

/* ---- following files and the journal ---- */

typedef void (*authlog_fn)(void *arg, const struct authlog_hit *hit);

struct authlog;

/*
 * Follow conf's files (and the journal when conf->journald) in base's
 * loop, calling fn for every line that matches. A file or directory that
 * does not exist yet is waited for (logged once). NULL on error (logged).
 */
struct authlog *authlog_new(struct event_base *base, const struct authlog_conf *conf,
			    authlog_fn fn, void *arg);
void authlog_free(struct authlog *al);
/* Check every file now, as the timer does (tests call it). */
void authlog_poll(struct authlog *al);

struct authlog_stats {
	uint64_t lines;			/* complete lines read */
	uint64_t matched;
	uint64_t dropped;		/* too long, or holding NUL */
	uint64_t rotations;		/* a new file at a path */
	uint64_t truncations;
	uint64_t journal_lines;
	uint64_t journal_restarts;
};
void authlog_stats(const struct authlog *al, struct authlog_stats *out);

#endif
