/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The management API: JSON over HTTP, one route table served on two
 * transports (HTTPS for remote operators with a bearer token, the root-only
 * Unix socket for local root), plus the metrics listener.
 *
 * Every request is authenticated (token or peer credentials), authorised
 * by RBAC (resource, action, with the role's conditions on time and source
 * address), validated strictly, and every change is recorded in the audit
 * journal, fsynced, before the answer says it is done.
 *
 * Endpoints (all under /v1; bodies and answers are JSON objects):
 *   GET  /v1/health                      no authentication: {"status":"ok"}
 *   the data-plane operations of ops.h  (block, allow, acl, ratelimit, policy,
 *                                        apply, stats, attach, detach, status, reload)
 *   POST /v1/auth/login                  {username, password, totp?} -> tokens
 *   POST /v1/auth/refresh                {refresh_token} -> tokens (rotated)
 *   POST /v1/auth/logout                 revoke this login's token family
 *   GET  /v1/users, POST /v1/users, POST /v1/users/NAME/{password,role,disable,
 *        unlock,mfa/enrol,mfa/confirm}
 *   GET  /v1/audit?type=&actor=&source=&result=&min_risk=&limit=, GET /v1/audit/verify
 *   POST /v1/config/check, POST /v1/config/reload
 *   GET  /metrics                        (metrics listener only)
 */
#ifndef EWD_API_H
#define EWD_API_H

#include <stdbool.h>

#include <jansson.h>

#include "ewd.h"
#include "http.h"
#include "token.h"

/* Who is asking. */
struct principal {
	char name[TOK_SUB_MAX + 1];	/* user name, or "root" on the Unix socket */
	char role[TOK_ROLE_MAX + 1];
	bool local;			/* Unix socket, peer uid checked */
	bool token;			/* claims are valid */
	struct tok_claims claims;
	const char *source;		/* peer address text, "unix" */
};

int api_start(struct ewd *d);
void api_stop(struct ewd *d);
/* The database's roles and rules were (re)read: requests waiting for them go on. */
void api_state_settled(void);
/* Requests that waited for the database's new roles, since start. */
uint64_t api_parked_total(void);
/* The config was swapped (reload): token settings, users' policy follow it. */
void api_config_changed(struct ewd *d);

/* ---- shared by api.c and api_auth.c ---- */

extern struct ewd *api_d;

/* 0 with *p filled; otherwise the 401 was sent. */
int api_authn(struct http_req *req, struct principal *p);
/* true when allowed; otherwise the 403 was sent and the denial audited. */
bool api_authz(struct http_req *req, const struct principal *p, const char *resource,
	       const char *action);
/* The body as a JSON object ({} when empty); NULL after sending a 400. */
json_t *api_body(struct http_req *req);
/* Audit an action; on a journal failure the 503 is sent and -errno returned. */
int api_audit(struct http_req *req, json_t *ev, bool privileged, bool answer_on_error);
/*
 * Before a change: may it be recorded? Not when the journal's file system
 * has less than 16 MiB left (answers 507), nor when the journal failed
 * before and a "journal_check" record cannot be appended now (answers 503).
 * True: go on.
 */
bool api_journal_ready(struct http_req *req, const struct principal *p, const char *resource,
		       const char *action);
/* The token settings of the running config. */
const struct tok_cfg *api_tok_cfg(void);

void api_auth_routes(struct http_req *req, const char *path, struct principal *p, bool *handled);
void api_login(struct http_req *req, void *arg);
void api_refresh(struct http_req *req, void *arg);
int api_auth_start(struct ewd *d);
void api_auth_stop(struct ewd *d);

#endif
