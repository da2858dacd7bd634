/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's configuration: one YAML file (edgewardd --config FILE),
 * validated as a whole, so that a reload (SIGHUP or the API) either swaps in
 * a complete new struct ew_config or leaves the running one alone and says
 * why, with FILE:LINE:COL. examples/edgewardd.yaml is the reference and
 * documents every key; the shape follows the guide's environment
 * configuration:
 *
 *   profile: production | development            (required)
 *   daemon:   pin_dir, state_dir, journal, users_file, pid_file,
 *             interfaces: [{name: eth0, mode: auto|native|skb}]
 *   api:      unix_socket, listen: ["0.0.0.0:8443", "[::]:8443"],
 *             tls: {enabled, cert, key},
 *             limits: {header_bytes, headers, body_bytes, header_timeout, idle_timeout,
 *                      max_conns, max_conns_per_source},
 *             rate_limits: {api: {rate: 10/s, burst: 20}, login: {rate: 3/min, burst: 5}}
 *   metrics:  {enabled, listen: "127.0.0.1:9447"}
 *   security:
 *     authentication:
 *       jwt:            secret | secret_file, expiresIn, refreshExpiresIn, issuer, audience,
 *                       algorithm (HS256)
 *       session:        secure, httpOnly, sameSite, maxAge, rolling
 *       mfa:            enabled, required: [roles], methods: [totp], backupCodes (false)
 *       passwordPolicy: minLength, requireUppercase, requireLowercase, requireNumbers,
 *                       requireSpecialChars, preventReuse, maxAge, commonPasswords
 *       lockout:        maxAttempts, lockoutDuration, progressiveDelay, hardLockAfter
 *     authorization: {rbac: {strictMode, debugMode, auditAllAccess, roles: {...}}}
 *     encryption:    {enabled, algorithm: aes-256-gcm, keyFile, keyRotationDays}
 *     monitoring:    {auditLevel, alerting, realTimeMonitoring, siemIntegration,
 *                     siemWebhook, riskAlertThreshold}
 *   network:  the policy document of policy_doc.h (version optional), or {file: PATH}
 *             to take it from a policy file; absent: the daemon leaves the kernel's
 *             policy as edgewardctl apply set it
 *   database: {conninfo: "...", tenant: NAME, rbac: true, response_rules: true, node: NAME,
 *              resync_interval: 5m | never}
 *             the PostgreSQL store: journal shipping, the fleet blocklist,
 *             application events, roles and rules from the database
 *   response: the automated response rules (respond.h), the guide's three by default:
 *             rules: [{name, enabled, when: {event: NAME | [NAMES], count, window,
 *                      per: source|user|all, role, users: [..], time_range: {start, end,
 *                      tz, days}, bytes_over: 1GB}, actions: [block_ip, ...], block_for}],
 *             escalation: [1h, 6h, 24h, 7d], escalation_reset: 30d,
 *             never_block: [CIDRs], max_sources, max_offenders, log_extended_for
 *   sources:  auth logs (authlog.h): authlog: [{path, service: NAME | [NAMES]}],
 *             journald: false | true | {units: [ssh.service]},
 *             patterns: [{name, service, regex, event, user: GROUP, source: GROUP}]
 *   alerts:   syslog: true, webhook: {url, bearer_file, timeout, retries} (the url
 *             defaults to security.monitoring.siemWebhook when siemIntegration is on)
 *   monitors: connections: {threshold, interval}, files: [paths], files_interval,
 *             failed_logins: {threshold, window}
 *
 * Values:
 * - Durations are written with units: "90s", "30m", "1h", "7d", "1h30m". Where
 *   the guide writes milliseconds (session.maxAge: 3600000, lockout.lockoutDuration:
 *   1800000) a bare number is read as milliseconds, in whole seconds.
 *   passwordPolicy.maxAge refuses a bare number: the guide's 7776000 means 90
 *   days in seconds, but would be two hours in milliseconds; write 90d (or never).
 * - Booleans are exactly true or false (not yes/no/on/off).
 * - "${VAR}" in a string value is replaced by the environment variable VAR
 *   (an unset VAR is an error naming it); "$$" is a literal "$". Keys and
 *   the network section are not expanded.
 * - Paths are absolute.
 * - Unknown keys, duplicate keys, wrong types, anchors, aliases and tags are
 *   errors. All errors found are reported, one "FILE:LINE:COL: message" per
 *   line (up to CFG_MAX_ERRORS), not just the first.
 *
 * The session block is validated and kept for completeness with the guide,
 * but the API is token based (Authorization: Bearer), it sets no cookies.
 *
 * Profiles set the defaults (development: the guide's development block,
 * production: its production block) and production refuses to start with
 * an unsafe setting; see cfg_check_production. Those checks run once the
 * file is otherwise valid. A development file without a JWT secret gets the
 * guide's development secret, with a warning.
 */
#ifndef EW_CONFIG_H
#define EW_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "alert.h"
#include "authlog.h"
#include "maps.h"
#include "monitor.h"
#include "policy_doc.h"
#include "rbac.h"
#include "respond.h"

#define CFG_ERRLEN	4096	/* a good size for the err buffers of this module */
#define CFG_MAX_ERRORS	32
#define CFG_LISTEN_LEN	64

enum cfg_profile { CFG_DEVELOPMENT, CFG_PRODUCTION };
enum cfg_same_site { CFG_SAMESITE_STRICT, CFG_SAMESITE_LAX, CFG_SAMESITE_NONE };
enum cfg_audit_level { CFG_AUDIT_MINIMAL, CFG_AUDIT_STANDARD, CFG_AUDIT_COMPREHENSIVE };

/* Where production messages point: the value, else its section, else the profile line. */
enum cfg_at {
	CFG_AT_PROFILE,
	CFG_AT_PIN_DIR,
	CFG_AT_USERS_FILE,
	CFG_AT_TLS_ENABLED,
	CFG_AT_TLS_KEY,
	CFG_AT_LISTEN,
	CFG_AT_JWT,
	CFG_AT_JWT_SECRET,
	CFG_AT_JWT_SECRET_FILE,
	CFG_AT_SESSION_SECURE,
	CFG_AT_MFA_ENABLED,
	CFG_AT_MFA_REQUIRED,
	CFG_AT_ENC_ENABLED,
	CFG_AT_ENC_KEY,
	CFG_AT_BEARER_FILE,
	CFG_AT_COUNT,
};

struct cfg_pos {
	int line, col;
};

struct cfg_iface {
	char name[IF_NAMESIZE];
	enum ew_xdp_mode mode;
};

/* An address to listen on: a literal IPv4 address or a bracketed IPv6 one, and a port. */
struct cfg_listen {
	char text[CFG_LISTEN_LEN];	/* as written: "0.0.0.0:8443", "[::]:8443" */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct cfg_rate {
	uint32_t rate, period_s, burst;
};

struct cfg_role_ref {
	char name[RBAC_NAME_LEN];
	struct cfg_pos pos;
};

#define CFG_MFA_TOTP 0x1u

struct ew_config {
	char *path;			/* the file it was loaded from */
	struct stat st;			/* of that file, as read */
	enum cfg_profile profile;
	char *warnings;			/* "FILE:LINE:COL: warning: ..." lines, or NULL */
	struct cfg_pos at[CFG_AT_COUNT];

	struct {
		char *pin_dir;		/* /sys/fs/bpf/edgeward */
		char *state_dir;	/* /var/lib/edgeward */
		char *journal;		/* /var/lib/edgeward/journal */
		char *users_file;	/* /var/lib/edgeward/users.json */
		char *pid_file;		/* /run/edgeward/edgewardd.pid */
		struct cfg_iface *ifaces;
		size_t n_ifaces;
	} daemon;

	struct {
		char *unix_socket;	/* /run/edgeward/api.sock */
		struct cfg_listen *listen;	/* TCP listeners; none by default */
		size_t n_listen;
		bool tls;		/* production: true, development: false */
		char *tls_cert, *tls_key;	/* required when tls */
		uint32_t header_bytes;	/* all request headers together: 8192 */
		uint32_t headers;	/* header count: 64 */
		uint32_t body_bytes;	/* 1 MiB */
		uint32_t header_timeout_s;	/* 10 */
		uint32_t idle_timeout_s;	/* 60 */
		uint32_t max_conns;	/* 1024 */
		uint32_t max_conns_per_source;	/* 32 */
		struct cfg_rate rl_api;		/* 10/s burst 20, per source */
		struct cfg_rate rl_login;	/* 3/min burst 5, per source */
	} api;

	struct {
		bool enabled;		/* true */
		struct cfg_listen listen;	/* 127.0.0.1:9447 */
	} metrics;

	struct {
		char *secret;		/* from secret or the contents of secret_file */
		size_t secret_len;
		char *secret_file;	/* NULL when given inline */
		struct stat secret_st;	/* of secret_file, as read */
		bool secret_default;	/* development's built-in secret */
		uint32_t expires_s;	/* production 1h, development 8h */
		uint32_t refresh_expires_s;	/* 7d */
		char *issuer;		/* "edgeward" */
		char *audience;		/* "edgeward-api" */
		char algorithm[8];	/* "HS256" */
	} jwt;

	struct {
		bool secure;		/* production true, development false */
		bool http_only;		/* true */
		enum cfg_same_site same_site;	/* production strict, development lax */
		uint32_t max_age_s;	/* 1h */
		bool rolling;		/* true */
	} session;

	struct {
		bool enabled;		/* production true, development false */
		struct cfg_role_ref *required;	/* production admin, financial, manager;
						 * development admin, financial */
		size_t n_required;
		unsigned int methods;	/* CFG_MFA_TOTP */
	} mfa;

	struct {
		uint32_t min_length;	/* 12 */
		bool upper, lower, numbers, special;	/* all true */
		uint32_t prevent_reuse;	/* 5 */
		uint64_t max_age_s;	/* 90d; 0 = never */
		bool common;		/* refuse common passwords: true */
	} password;

	struct {
		uint32_t max_attempts;	/* 5 */
		uint32_t duration_s;	/* 30m */
		bool progressive_delay;	/* true */
		uint32_t hard_lock_after;	/* lockouts in a row before an admin must unlock: 3;
					 * 0 = never */
	} lockout;

	struct {
		bool strict;		/* production true, development false */
		bool debug;		/* production false, development true */
		bool audit_all;		/* production true, development false */
		struct rbac_role_def *roles;	/* overrides and additions */
		size_t n_roles;
	} rbac;

	struct {
		bool enabled;		/* production true, development false */
		char algorithm[16];	/* "aes-256-gcm" */
		char *key_file;		/* required when enabled */
		uint32_t key_rotation_days;	/* 90 */
	} encryption;

	struct {
		enum cfg_audit_level audit_level;	/* production comprehensive, development
							 * minimal */
		bool alerting;		/* production true, development false */
		bool realtime;		/* production true, development false */
		bool siem;		/* false: needs siemWebhook */
		char *siem_webhook;	/* https:// URL (http:// in development) */
		uint32_t risk_alert_threshold;	/* 75, of 0..100 */
	} monitoring;

	struct {
		bool present;		/* false: leave the kernel's policy alone */
		char *file;		/* network: {file: PATH}, or NULL when inline */
		struct ew_policy_doc doc;
		struct ew_compiled compiled;
	} network;

	struct {
		char *conninfo;		/* NULL: no database */
		char *tenant;		/* shared.tenants.name whose user roles apply; NULL: none */
		bool rbac;		/* roles and permissions from the rbac schema (true) */
		bool response_rules;	/* rules from audit.response_rules too (true) */
		char *node;		/* this server's name in the fleet's rows; NULL: host name */
		uint64_t resync_interval_s;	/* full fleet resync besides reconnects: 300; 0 never */
	} database;

	/* response.*, and monitors.failed_logins as burst_threshold, burst_window_ms */
	struct respond_conf response;

	/* sources.*: files default to [{/var/log/auth.log, [sshd]}], journald off */
	struct authlog_conf sources;

	struct {
		bool syslog;		/* true */
		char *url;		/* alerts.webhook.url, else siemWebhook when siemIntegration;
					 * NULL: no webhook */
		char *bearer_file;	/* NULL: no Authorization header */
		char *bearer;		/* its contents, one line of RFC 6750 b64token characters */
		struct stat bearer_st;
		uint32_t timeout_s;	/* 10s */
		uint32_t retries;	/* 3 */
	} alerts;

	/* monitors.*: the guide's (threshold 100 every 10 s, its four files) */
	struct monitor_conf monitors;
};

/* Where the production checks look. */
struct cfg_check_env {
	uid_t owner;		/* who must own the secret files and the pin directory: 0 */
	/*
	 * NULL, or a directory under which the config's absolute paths are
	 * opened and checked (an image being built, a test's scratch area).
	 */
	const char *root;
};

/*
 * Load, validate and (production profile) check path. On success *out is a
 * new config (cfg_free it); on failure *out is NULL and err holds every
 * error found, one per line, without a trailing newline. Returns 0,
 * -EINVAL, -ENOMEM, or the -errno of reading the file.
 */
int cfg_load(const char *path, struct ew_config **out, char *err, size_t errlen);
/* The same with the checks' owner and root given (cfg_load: owner 0, root NULL). */
int cfg_load_env(const char *path, const struct cfg_check_env *env, struct ew_config **out,
		 char *err, size_t errlen);
void cfg_free(struct ew_config *cfg);

/*
 * The production profile's refusals, each its own line in err, all of them:
 * a JWT secret missing, shorter than 32 bytes or a known placeholder; MFA
 * off or not required for admin; TLS off (TCP listeners would carry tokens
 * in clear text); session.secure off; encryption off; the config file, the
 * TLS key, the JWT secret file, the encryption key file or (when it exists)
 * the users file not owned by root or open to group or other; the pin
 * directory, when it exists, not a directory owned by root with mode 0700.
 * Returns 0 or -EINVAL.
 */
int cfg_check_production(const struct ew_config *cfg, char *err, size_t errlen);
int cfg_check_production_env(const struct ew_config *cfg, const struct cfg_check_env *env,
			     char *err, size_t errlen);

/* What differs between two configs, for a reload: CFG_DIFF_* bits, 0 when nothing does. */
#define CFG_DIFF_PROFILE	0x001u
#define CFG_DIFF_DAEMON		0x002u	/* paths, interfaces */
#define CFG_DIFF_API		0x004u	/* sockets, TLS, limits, rate limits */
#define CFG_DIFF_METRICS	0x008u
#define CFG_DIFF_AUTH		0x010u	/* jwt, session, mfa, passwordPolicy, lockout */
#define CFG_DIFF_RBAC		0x020u
#define CFG_DIFF_ENCRYPTION	0x040u
#define CFG_DIFF_MONITORING	0x080u
#define CFG_DIFF_NETWORK	0x100u	/* the compiled policy or the static blocks */
#define CFG_DIFF_DATABASE	0x200u
#define CFG_DIFF_RESPONSE	0x400u
#define CFG_DIFF_SOURCES	0x800u
#define CFG_DIFF_ALERTS		0x1000u
#define CFG_DIFF_MONITORS	0x2000u	/* includes monitors.failed_logins (in response) */
unsigned int cfg_diff(const struct ew_config *a, const struct ew_config *b);

/*
 * The effective configuration as YAML, for edgewardd --check: every default
 * filled in, the JWT secret and the database conninfo replaced by
 * "<redacted>", the network policy summarised by its counts. Returns 0 or
 * -EIO.
 */
int cfg_dump(const struct ew_config *cfg, FILE *out);

const char *cfg_profile_name(enum cfg_profile p);

/*
 * Parts of a config from another store (PostgreSQL's rbac schema and
 * audit.response_rules, rendered as JSON in the config's shapes): checked
 * exactly as the config file's, with name standing for the file in the
 * messages, and without ${VAR} expansion. cfg_roles_parse takes a map like
 * security.authorization.rbac.roles (free *defs with rbac_role_defs_free);
 * cfg_rule_parse one rule like response.rules[i]. 0, -EINVAL (err has every
 * error) or -ENOMEM.
 */
int cfg_roles_parse(const char *name, const char *text, struct rbac_role_def **defs, size_t *n,
		    char *err, size_t errlen);
int cfg_rule_parse(const char *name, const char *text, struct respond_rule *out, char *err,
		   size_t errlen);

/* The alerts section as alert_new takes it; the strings stay cfg's. */
void cfg_alert_conf(const struct ew_config *cfg, struct alert_conf *out);

#endif
