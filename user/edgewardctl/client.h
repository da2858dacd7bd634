/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edgewardctl's way to edgewardd: JSON over HTTP, through the daemon's
 * root-only Unix socket by default or over HTTPS with --server and the
 * token saved by `edgewardctl login`. When the daemon is not running,
 * local root may write the pinned maps directly (emergency mode): with
 * --direct, or automatically when the socket is absent, each change then
 * recorded in the local audit journal by edgewardctl itself.
 */
#ifndef EW_CLIENT_H
#define EW_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#define EW_SOCKET_PATH	 "/run/edgeward/api.sock"
#define EW_JOURNAL_PATH	 "/var/lib/edgeward/journal"

enum cli_mode { CLI_UNDECIDED, CLI_DAEMON, CLI_DIRECT };

struct cli_opts {
	const char *server;	/* --server https://HOST:PORT, $EDGEWARD_SERVER */
	const char *socket;	/* --socket PATH, $EDGEWARD_SOCKET, EW_SOCKET_PATH */
	const char *cacert;	/* --cacert FILE, $EDGEWARD_CACERT: CA of the daemon's certificate */
	const char *token_file;	/* $EDGEWARD_TOKEN_FILE or ~/.config/edgeward/token */
	const char *journal;	/* $EDGEWARD_JOURNAL or EW_JOURNAL_PATH (emergency mode) */
	bool direct;		/* --direct, $EDGEWARD_DIRECT=1 */
	enum cli_mode mode;
};
extern struct cli_opts cli;

/*
 * Decide once whether this run talks to the daemon or writes the maps:
 * --server or a live socket → daemon; --direct → direct (root only); socket
 * missing or refusing and we are root → direct, with a warning. Returns the
 * mode, or -1 with the error reported.
 */
int cli_mode(void);

/*
 * One request. body (may be NULL) is not stolen. On a reply, *status is the
 * HTTP status and *resp the parsed JSON body (NULL when empty); returns 0.
 * Transport failures are reported and return -1.
 */
int cli_call(const char *method, const char *path, json_t *body, long *status, json_t **resp);
/* The same with a raw body (e.g. a YAML policy), content_type given. */
int cli_call_raw(const char *method, const char *path, const char *ctype, const char *data,
		 size_t len, long *status, json_t **resp);

/*
 * For handlers: make the call and turn a non-2xx answer into ctl_err with
 * the daemon's "error" text. Returns CTL_OK with *resp set (caller frees),
 * or CTL_ERR.
 */
int cli_do(const char *method, const char *path, json_t *body, json_t **resp);

/* Record a change made in emergency mode in the local journal; 0 or -errno (reported). */
int cli_journal_direct(const char *action, const char *resource, json_t *details);

/* The saved token (login), NULL when none; malloc'd. */
char *cli_token_load(void);
int cli_token_save(const char *access, const char *refresh);
int cli_token_remove(void);

#endif
