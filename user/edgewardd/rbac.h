/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Role-based access control for the management API: every endpoint asks
 * rbac_check whether a role may do an action on a resource, under the
 * guide's conditions (time range, source address range, location, and
 * direct comparison of any other request attribute).
 *
 * Resources and their actions (R read, C create, U update, D delete,
 * X execute):
 *   blocklist RCD   allowlist RCD   acl RU      ratelimit RU   policy RU
 *   filter RX (R = status; X = attach, detach, reload the XDP program)
 *   stats R   events R
 *   users RCUD      audit R         config RX (X = reload)
 *   self RU (one's own password and MFA)   health R
 *
 * Default roles, with their levels:
 *
 *                  admin  manager  financial  employee  viewer
 *   level           100     50        20         10       20
 *   blocklist       RCD     RCD       -          -        R
 *   allowlist       RCD     RCD       -          -        R
 *   acl             RU      R         -          -        R
 *   ratelimit       RU      R         -          -        R
 *   policy          RU      R         -          -        R
 *   filter          RX      R         -          -        R
 *   stats           R       R         R          R        R
 *   events          R       R         -          -        -
 *   users           RCUD    R         -          -        -
 *   audit           R       R         R          -        -
 *   config          RX      R         -          -        -
 *   self            RU      RU        RU         RU       RU
 *   health          R       R         R          R        R
 *
 * Inheritance (the guide's "higher levels inherit lower level permissions"):
 * a role holds its own permissions plus those of every role with a strictly
 * lower level, each with that role's conditions. Roles of equal level are
 * peers and share nothing: viewer and financial (both 20) keep apart, both
 * inherit employee (10), and manager (50) inherits all three. The default
 * levels are chosen so that the table above is exactly what inheritance
 * gives. A permission is granted when any grant for it (own or inherited)
 * has all its conditions met.
 *
 * The config (authorization.rbac.roles) may replace a default role's level
 * or permissions, or add roles; see examples/edgewardd.yaml.
 *
 * Unknown resources and actions, and actions a resource does not have, are
 * always denied. In strict mode a role that is not in the table (a user
 * record naming a role the config no longer has) is denied everything;
 * without strict mode such a role keeps self (read, update) and health
 * (read), so its users can still log in and change their password.
 */
#ifndef EW_RBAC_H
#define EW_RBAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "parse.h"

struct ew_config;

enum rbac_res {
	RBAC_RES_BLOCKLIST,
	RBAC_RES_ALLOWLIST,
	RBAC_RES_ACL,
	RBAC_RES_RATELIMIT,
	RBAC_RES_POLICY,
	RBAC_RES_FILTER,
	RBAC_RES_STATS,
	RBAC_RES_EVENTS,
	RBAC_RES_USERS,
	RBAC_RES_AUDIT,
	RBAC_RES_CONFIG,
	RBAC_RES_SELF,
	RBAC_RES_HEALTH,
	RBAC_RES_COUNT,
	RBAC_RES_ALL = -1,	/* "*" in a permission: every resource */
};

/* Actions are bits, so that one permission can grant several. */
#define RBAC_READ	0x01u
#define RBAC_CREATE	0x02u
#define RBAC_UPDATE	0x04u
#define RBAC_DELETE	0x08u
#define RBAC_EXECUTE	0x10u
#define RBAC_ACT_ALL	0x1fu

#define RBAC_NAME_LEN	32	/* role names: [a-z][a-z0-9_-]*, at most 31 bytes */
#define RBAC_LEVEL_MAX	1000

/* Every day of the week, bit d = day d (0 = Sunday, as struct tm's tm_wday). */
#define RBAC_DAYS_ALL	0x7fu

/*
 * A daily window. start is inclusive, end exclusive, both in minutes after
 * midnight in the zone tz_off_s; end < start wraps past midnight (22:00 to
 * 06:00), and a wrapped window belongs to the day it starts on: with days
 * "fri" only, Saturday 03:00 is inside, Friday 03:00 is not.
 */
struct rbac_time {
	uint16_t start_min;	/* 0..1439 */
	uint16_t end_min;	/* 1..1440 (24:00), never equal to start_min */
	uint8_t days;		/* RBAC_DAYS_ALL or a subset */
	int32_t tz_off_s;	/* local = UTC + tz_off_s; fixed offsets only, +-14:00 */
};

/* Any other condition key: the request must carry the same value for it. */
struct rbac_attr {
	char *key;
	char *value;
};

/* All present conditions must hold (AND); absent ones do not apply. */
struct rbac_cond {
	bool has_time;
	struct rbac_time time;
	struct ew_cidr *ip;		/* source in any of these (v4-mapped sources as IPv4) */
	size_t n_ip;			/* 0: no ip_range condition */
	char **loc;			/* request location equal to one of these */
	size_t n_loc;			/* 0: no location condition */
	struct rbac_attr *attr;
	size_t n_attr;
};

struct rbac_perm {
	int res;			/* enum rbac_res or RBAC_RES_ALL */
	unsigned int acts;		/* RBAC_* bits */
	struct rbac_cond cond;
	int line;			/* in the config, 0 for built-in permissions */
};

/* A role as the config defines or overrides it. */
struct rbac_role_def {
	char name[RBAC_NAME_LEN];
	int level;
	bool level_set;			/* false: keep the default role's level (new roles: 0) */
	struct rbac_perm *perms;
	size_t n_perms;
	bool perms_set;			/* false: keep the default role's permissions */
	int line;
};

/* Flags of rbac_new. */
#define RBAC_STRICT	0x1u	/* deny roles not in the table */
#define RBAC_DEBUG	0x2u	/* log every decision with its reason (log_info) */
#define RBAC_AUDIT_ALL	0x4u	/* callers audit granted requests too, not only denials */

/* What a request brings to the conditions. */
struct rbac_ctx {
	time_t now;
	const struct sockaddr *src;	/* AF_INET or AF_INET6; NULL or AF_UNIX: no address */
	const char *location;		/* NULL: unknown, fails a location condition */
	const struct rbac_attr *attrs;	/* values for direct comparisons */
	size_t n_attrs;
};

struct rbac;

/*
 * The default roles with defs applied on top (a def naming a default role
 * replaces what it sets, other defs add roles). defs are copied. Returns 0,
 * -EINVAL (err says why: bad name, level, resource or action) or -ENOMEM.
 */
int rbac_new(const struct rbac_role_def *defs, size_t n_defs, unsigned int flags,
	     struct rbac **out, char *err, size_t errlen);
/* The RBAC_* flags authorization.rbac of a loaded config asks for. */
unsigned int rbac_config_flags(const struct ew_config *cfg);
/* rbac_new from authorization.rbac of a loaded config. */
int rbac_from_config(const struct ew_config *cfg, struct rbac **out, char *err, size_t errlen);
void rbac_free(struct rbac *r);

/*
 * May role do action on resource in ctx? why (if non-NULL) gets a reason
 * either way: the granting role, or why not (unknown role, no such
 * permission, the condition that failed). It points into a thread-local
 * buffer valid until the next rbac_check of the thread.
 */
bool rbac_check(const struct rbac *r, const char *role, const char *resource, const char *action,
		const struct rbac_ctx *ctx, const char **why);

bool rbac_role_exists(const struct rbac *r, const char *role);
/* The role's level, or -ENOENT. */
int rbac_role_level(const struct rbac *r, const char *role);
unsigned int rbac_flags(const struct rbac *r);
/* admin, manager, financial, employee, viewer. */
bool rbac_is_default_role(const char *name);
bool rbac_role_name_ok(const char *name);

/*
 * Names, for parsing permissions and for messages. rbac_res_parse gives an
 * enum rbac_res, RBAC_RES_ALL for "*" or -EINVAL; rbac_act_parse one RBAC_*
 * bit, RBAC_ACT_ALL for "*" or -EINVAL; rbac_res_actions the actions a
 * resource has (all of them for RBAC_RES_ALL).
 */
int rbac_res_parse(const char *s);
const char *rbac_res_name(int res);
unsigned int rbac_res_actions(int res);
int rbac_act_parse(const char *s);
const char *rbac_act_name(unsigned int act);	/* one bit */

/* Condition parts, each 0 or -EINVAL with a reason in err. */
int rbac_hhmm_parse(const char *s, bool is_end, uint16_t *min, char *err, size_t errlen);
int rbac_day_parse(const char *s);		/* "mon".."sun" or "monday".., 0 (Sunday)..6 */
int rbac_tz_parse(const char *s, int32_t *off_s, char *err, size_t errlen);
/* Is the time now inside t? */
bool rbac_time_match(const struct rbac_time *t, time_t now);

void rbac_cond_free(struct rbac_cond *c);
void rbac_role_defs_free(struct rbac_role_def *defs, size_t n);

#endif
