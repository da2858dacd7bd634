/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What edgewardd takes from PostgreSQL besides the blocklist: the operators'
 * roles and permissions (the rbac schema) and the response rules
 * (audit.response_rules), as shared.controller_state(tenant) renders them
 * (sql/migrations/0009_controller.sql) in the shapes of the config file, so
 * that they are checked by the config's own code (cfg_roles_parse,
 * cfg_rule_parse) and never ${VAR}-expanded.
 *
 * Roles. With database.rbac on, the role table is the database's alone: the
 * built-in defaults and the config's authorization.rbac.roles no longer
 * apply. Every role whose name edgewardd accepts is taken with its level
 * and the permissions on resources edgewardd has (blocklist, ..., health,
 * or *); permissions on other resources belong to the applications and are
 * passed over. A role whose level or permissions do not check (an unknown
 * action, a malformed condition, an unknown time zone) gets no permission
 * at all: it fails closed, and the reason is reported. A built-in role
 * (admin, manager, financial, employee, viewer) the database does not have
 * exists with level 0 and nothing granted. The config's strictMode,
 * debugMode and auditAllAccess still apply.
 *
 * Users. An operator whose e-mail (in the users file; ASCII case folded)
 * is that of a user of the configured tenant (database.tenant) with an
 * unexpired role in rbac.user_roles acts with that role (the highest level
 * when several) from the next request on, whatever the users file and the
 * token say; other operators keep the users file's role. A database role
 * that needs MFA (security.authentication.mfa.required) is not given to an
 * operator without TOTP enrolled (their login had no second factor).
 *
 * Rules. With database.response_rules on, every rule the database renders
 * is checked like a config rule; one with the name of a config rule
 * replaces it and keeps that rule's block_for and per (the database has no
 * column for them); others are added after the config's, up to
 * RESPOND_MAX_RULES. Rules that do not check are left out and reported.
 *
 * Until the first state is read (the database away at start) the config's
 * roles and rules apply; after that the last state stands while the
 * database is away, and is read again on every reconnect, after every
 * edgeward_config notification and every FLEET_STATE_INTERVAL_S.
 */
#ifndef EWD_DBSTATE_H
#define EWD_DBSTATE_H

#include <stdbool.h>

#include <jansson.h>

#include "respond.h"

struct ew_config;
struct rbac;

/*
 * The role table from state and cfg's flags. problems (a JSON array, may be
 * NULL) gets {"what": "role", "name", "error"} for each role left without
 * permissions or left out. 0, -EINVAL (state has no "roles" object) or
 * -ENOMEM.
 */
int dbstate_rbac(const json_t *state, const struct ew_config *cfg, struct rbac **out,
		 json_t *problems);

/*
 * base (the config's response section) with the database's rules merged in,
 * into *out. problems as above with "what": "rule". 0 or -EINVAL (state has
 * no "rules" array).
 */
int dbstate_rules(const json_t *state, const struct respond_conf *base, struct respond_conf *out,
		  json_t *problems);

/* The database's role for an e-mail (lower case), or NULL. Points into state. */
const char *dbstate_user_role(const json_t *state, const char *email);

/* Do two response confs have the same rules (a reload of the same rules keeps the windows)? */
bool dbstate_rules_equal(const struct respond_conf *a, const struct respond_conf *b);

#endif
