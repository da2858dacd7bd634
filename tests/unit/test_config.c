// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's config file: the reference example loads, every bad file is
 * refused with its FILE:LINE:COL, all errors are reported at once, the
 * production profile refuses each unsafe setting on its own, development
 * accepts the guide's development block, "${VAR}" expansion, and the reload
 * diff. Files live in a mkdtemp directory; the production checks are pointed
 * at it (owner: our euid, root: that directory) so the test runs as any user.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DEV "profile: development\n"
#define GOOD_SECRET "kQ7vN2xP9mW4rT8yB3cF6hJ1sL5dG0aZ+e/uIw=="	/* 40 bytes */

static char tmpdir[64];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ew-test-config-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("EW_TEST_SECRET", GOOD_SECRET, 1);
	unsetenv("EW_TEST_UNSET");
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_teardown(void **state)
{
	(void)state;
	/* Fixtures include directories, symbolic links and chown'd files. */
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/name holding text, with mode; the path goes to path. */
static void write_file(const char *name, const char *text, mode_t mode, char *path, size_t plen)
{
	size_t off = 0, len = strlen(text);
	int fd;

	snprintf(path, plen, "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n <= 0)
			fail_msg("write %s: %s", path, strerror(errno));
		off += (size_t)n;
	}
	if (fchmod(fd, mode))
		fail_msg("chmod %s: %s", path, strerror(errno));
	close(fd);
}

static struct cfg_check_env test_env(void)
{
	struct cfg_check_env env = { .owner = geteuid(), .root = NULL };

	return env;
}

/* Load text as a config file (mode 0600); the file stays until the next load. */
static int load_text(const char *text, struct ew_config **cfg, char *path, size_t plen, char *err)
{
	struct cfg_check_env env = test_env();

	write_file("config.yaml", text, 0600, path, plen);
	err[0] = '\0';
	return cfg_load_env(path, &env, cfg, err, CFG_ERRLEN);
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Some line of err must start with "path:line:" (or "path: " for line 0) and contain want. */
static void expect_error(const char *name, int r, const char *path, const char *err, int line,
			 const char *want)
{
	char prefix[256];
	const char *l = err;

	if (r != -EINVAL)
		fail_msg("%s: load returned %d, expected -EINVAL (%s)", name, r, err);
	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%d:", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char one[1024];

		snprintf(one, sizeof(one), "%.*s", (int)len, l);
		if (!strncmp(one, prefix, strlen(prefix)) && strstr(one, want))
			return;
		l = nl ? nl + 1 : NULL;
	}
	fail_msg("%s: no line of \"%s\" starts with \"%s\" and contains \"%s\"", name, err, prefix,
		 want);
}

static const struct bad_case {
	const char *name;
	const char *yaml;
	int line;		/* 0: the message is about the file, without a line */
	const char *want;
} bad_cases[] = {
	/* the file as a whole */
	{ "empty file", "", 0, "the file is empty; start it with \"profile: production\"" },
	{ "only comments", "# nothing\n", 0, "the file is empty" },
	{ "top level list", "- profile: development\n", 1, "top level must be a mapping" },
	{ "missing profile", "daemon: {}\n", 1, "missing key \"profile\"" },
	{ "bad profile", "profile: staging\n", 1,
	  "profile: \"staging\" is not one of development or production" },
	{ "unknown top key", DEV "secutiry: {}\n", 2,
	  "top level: unknown key \"secutiry\" (expected profile, daemon, api, metrics, "
	  "security, network, database, response, sources, alerts, monitors)" },
	{ "duplicate top key", DEV "api: {}\napi: {}\n", 3,
	  "top level: duplicate key \"api\" (first at line 2)" },
	{ "anchor", DEV "daemon: &d {pin_dir: /x}\n", 2, "anchors are not accepted" },
	{ "alias", DEV "daemon: *d\n", 2, "aliases are not accepted" },
	{ "tag", DEV "daemon: !!map {pin_dir: /x}\n", 2, "tags are not accepted" },
	{ "YAML syntax", DEV "api: {listen: [\"127.0.0.1:1\"}\n", 2, "YAML syntax" },
	{ "second document", DEV "---\nprofile: production\n", 2,
	  "a second YAML document; a config file holds exactly one" },
	{ "nested too deep", DEV "x: [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]\n", 2,
	  "nested too deep" },
	{ "NUL escape", DEV "security:\n  authentication:\n    jwt: {issuer: \"a\\0b\"}\n", 4,
	  "NUL character" },
	{ "null for value", DEV "metrics: {enabled: }\n", 2,
	  "metrics.enabled: expected a value, got nothing" },

	/* daemon */
	{ "relative pin_dir", DEV "daemon:\n  pin_dir: sys/fs/bpf\n", 3,
	  "daemon.pin_dir: \"sys/fs/bpf\" is not an absolute path" },
	{ "unknown daemon key", DEV "daemon:\n  pidfile: /run/x.pid\n", 3,
	  "daemon: unknown key \"pidfile\"" },
	{ "path with control char", DEV "daemon:\n  state_dir: \"/var/\\tlib\"\n", 3,
	  "daemon.state_dir: control character at byte 6" },
	{ "interface without name", DEV "daemon:\n  interfaces:\n    - mode: skb\n", 4,
	  "daemon.interfaces[0]: missing key \"name\"" },
	{ "interface name too long", DEV "daemon:\n  interfaces: [{name: abcdefghijklmnopq}]\n", 3,
	  "daemon.interfaces[0].name: \"abcdefghijklmnopq\" is not an interface name" },
	{ "interface name slash", DEV "daemon:\n  interfaces: [{name: \"eth/0\"}]\n", 3,
	  "is not an interface name" },
	{ "interface mode", DEV "daemon:\n  interfaces:\n    - {name: eth0, mode: turbo}\n", 4,
	  "daemon.interfaces[0].mode: \"turbo\" is not one of auto, native or skb" },
	{ "interface twice", DEV "daemon:\n  interfaces:\n    - {name: eth0}\n    - {name: eth0}\n",
	  5, "daemon.interfaces[1].name: interface eth0 is listed twice" },

	/* api */
	{ "listen host name", DEV "api:\n  listen: [\"localhost:8443\"]\n", 3,
	  "api.listen[0]: \"localhost:8443\": expected ADDRESS:PORT with a literal address" },
	{ "listen port 0", DEV "api:\n  listen: [\"127.0.0.1:0\"]\n", 3,
	  "port must be 1..65535" },
	{ "listen v6 without brackets", DEV "api:\n  listen: [\"::1:8443\"]\n", 3,
	  "expected ADDRESS:PORT" },
	{ "listen twice", DEV "api:\n  listen: [\"[::1]:8443\", \"[0::1]:8443\"]\n", 3,
	  "api.listen[1]: [0::1]:8443 is listed twice" },
	{ "listen not a list", DEV "api:\n  listen: \"127.0.0.1:8443\"\n", 3,
	  "api.listen: expected a list, got a single value" },
	{ "tls yes", DEV "api:\n  tls: {enabled: yes}\n", 3,
	  "api.tls.enabled: expected true or false, got \"yes\"" },
	{ "tls without key", DEV "api:\n  tls:\n    enabled: true\n    cert: /etc/c.pem\n", 4,
	  "api.tls: enabled but key is not set" },
	{ "too many headers", DEV "api:\n  limits: {headers: 1000}\n", 3,
	  "api.limits.headers: \"1000\": out of range 8..256" },
	{ "timeout without unit", DEV "api:\n  limits:\n    header_timeout: 10\n", 4,
	  "api.limits.header_timeout: \"10\" has no unit" },
	{ "timeout too long", DEV "api:\n  limits:\n    idle_timeout: 2h\n", 4,
	  "api.limits.idle_timeout: \"2h\" out of range 1s..1h" },
	{ "per source above total",
	  DEV "api:\n  limits: {max_conns: 10, max_conns_per_source: 11}\n", 3,
	  "max_conns_per_source: 11 is more than max_conns (10)" },
	{ "rate unit", DEV "api:\n  rate_limits:\n    login: {rate: 3/fortnight, burst: 5}\n", 4,
	  "api.rate_limits.login.rate: \"3/fortnight\": unknown unit" },
	{ "burst 0", DEV "api:\n  rate_limits:\n    api: {rate: 10/s, burst: 0}\n", 4,
	  "api.rate_limits.api.burst: \"0\": out of range 1..10000" },
	{ "unix socket list", DEV "api: {unix_socket: [a]}\n", 2,
	  "api.unix_socket: expected a value, got a list" },
	{ "metrics listen without port", DEV "metrics:\n  listen: \"[::1]\"\n", 3,
	  "metrics.listen: \"[::1]\": expected ADDRESS:PORT" },

	/* jwt */
	{ "secret and secret_file", DEV "security:\n  authentication:\n    jwt:\n"
	  "      secret: abc\n      secret_file: /etc/jwt\n", 6,
	  "give secret or secret_file, not both (secret at line 5)" },
	{ "unset variable", DEV "security:\n  authentication:\n    jwt:\n"
	  "      secret: \"${EW_TEST_UNSET}\"\n", 5,
	  "security.authentication.jwt.secret: environment variable EW_TEST_UNSET is not set" },
	{ "bad variable name", DEV "database: {conninfo: \"password=${1PASS}\"}\n", 2,
	  "database.conninfo: \"${1PASS}\" is not a variable reference" },
	{ "unclosed variable", DEV "database: {conninfo: \"password=${PASS\"}\n", 2,
	  "\"${\" without a closing \"}\"" },
	{ "expiresIn too long", DEV "security:\n  authentication:\n    jwt: {expiresIn: 2d}\n", 4,
	  "security.authentication.jwt.expiresIn: \"2d\" out of range 1m..1d" },
	{ "expiresIn zero", DEV "security:\n  authentication:\n    jwt: {expiresIn: 0s}\n", 4,
	  "zero duration" },
	{ "refresh not longer", DEV "security:\n  authentication:\n    jwt:\n"
	  "      expiresIn: 2h\n      refreshExpiresIn: 2h\n", 6,
	  "refreshExpiresIn (7200s) must be longer than expiresIn (7200s)" },
	{ "algorithm RS256", DEV "security:\n  authentication:\n    jwt: {algorithm: RS256}\n", 4,
	  "jwt.algorithm: \"RS256\" is not supported (edgeward signs its tokens with HS256)" },
	{ "algorithm none", DEV "security:\n  authentication:\n    jwt: {algorithm: none}\n", 4,
	  "\"none\" would accept unsigned tokens" },
	{ "secret file missing", DEV "security:\n  authentication:\n    jwt:\n"
	  "      secret_file: /nonexistent/edgeward-jwt\n", 5,
	  "jwt.secret_file: /nonexistent/edgeward-jwt: No such file or directory" },
	{ "secret file relative", DEV "security:\n  authentication:\n    jwt:\n"
	  "      secret_file: jwt.key\n", 5, "is not an absolute path" },
	{ "empty secret", DEV "security:\n  authentication:\n    jwt: {secret: \"\"}\n", 4,
	  "jwt.secret: empty value" },

	/* session, mfa, passwords, lockout */
	{ "sameSite", DEV "security:\n  authentication:\n    session: {sameSite: loose}\n", 4,
	  "session.sameSite: \"loose\" is not one of strict, lax or none" },
	{ "sameSite none insecure", DEV "security:\n  authentication:\n"
	  "    session: {secure: false, sameSite: none}\n", 4,
	  "session.sameSite: none needs secure: true" },
	{ "maxAge not whole seconds", DEV "security:\n  authentication:\n"
	  "    session: {maxAge: 1500}\n", 4,
	  "1500 milliseconds is not a whole number of seconds" },
	{ "maxAge junk", DEV "security:\n  authentication:\n    session: {maxAge: 1hour}\n", 4,
	  "session.maxAge: \"1hour\"" },
	{ "mfa sms", DEV "security:\n  authentication:\n    mfa:\n      methods: [totp, sms]\n", 5,
	  "mfa.methods[1]: \"sms\" is not supported: edgeward implements TOTP (RFC 6238) only" },
	{ "mfa no methods", DEV "security:\n  authentication:\n    mfa: {methods: []}\n", 4,
	  "mfa.methods: empty list" },
	{ "mfa role twice", DEV "security:\n  authentication:\n    mfa:\n"
	  "      required: [admin, admin]\n", 5, "mfa.required[1]: role admin is listed twice" },
	{ "mfa unknown role", DEV "security:\n  authentication:\n    mfa:\n"
	  "      required: [admin, ghost]\n", 5, "mfa.required: no role \"ghost\"" },
	{ "mfa role upper case", DEV "security:\n  authentication:\n    mfa: {required: [Admin]}\n",
	  4, "mfa.required[0]: \"Admin\" is not a role name" },
	{ "mfa backup codes", DEV "security:\n  authentication:\n    mfa: {backupCodes: true}\n", 4,
	  "backup codes are not supported" },
	{ "password maxAge seconds", DEV "security:\n  authentication:\n"
	  "    passwordPolicy: {maxAge: 7776000}\n", 4,
	  "the guide's 7776000 is 90 days in seconds: 90d" },
	{ "password minLength", DEV "security:\n  authentication:\n"
	  "    passwordPolicy:\n      minLength: 4\n", 5,
	  "passwordPolicy.minLength: \"4\": out of range 8..128" },
	{ "password quoted bool", DEV "security:\n  authentication:\n"
	  "    passwordPolicy: {requireNumbers: \"true\"}\n", 4,
	  "requireNumbers: expected true or false, got the string \"true\"" },
	{ "password unknown key", DEV "security:\n  authentication:\n"
	  "    passwordPolicy: {requireEmoji: true}\n", 4,
	  "passwordPolicy: unknown key \"requireEmoji\"" },
	{ "lockout attempts 0", DEV "security:\n  authentication:\n    lockout: {maxAttempts: 0}\n",
	  4, "lockout.maxAttempts: \"0\": out of range 1..100" },
	{ "lockout negative", DEV "security:\n  authentication:\n"
	  "    lockout: {lockoutDuration: -5}\n", 4,
	  "lockout.lockoutDuration: \"-5\": not a duration" },
	{ "lockout quoted number", DEV "security:\n  authentication:\n"
	  "    lockout: {hardLockAfter: \"3\"}\n", 4, "expected a number, got a quoted string" },

	/* rbac */
	{ "role name", DEV "security:\n  authorization:\n    rbac:\n      roles:\n"
	  "        \"Bad Name\": {level: 1}\n", 6, "\"Bad Name\" is not a role name" },
	{ "role level", DEV "security:\n  authorization:\n    rbac:\n      roles:\n"
	  "        ops: {level: 5000}\n", 6, "roles.ops.level: \"5000\": out of range 0..1000" },
	{ "unknown resource", DEV "security:\n  authorization:\n    rbac:\n      roles:\n"
	  "        ops:\n          permissions:\n"
	  "            - {resource: firewall, action: read}\n",
	  8, "permissions[0].resource: unknown resource \"firewall\"" },
	{ "action not of resource", DEV "security:\n  authorization:\n    rbac:\n      roles:\n"
	  "        ops:\n          permissions:\n            - {resource: stats, action: create}\n",
	  8, "permissions[0].action: stats has no action \"create\" (it has read)" },
	{ "action list item", DEV "security:\n  authorization:\n    rbac:\n      roles:\n"
	  "        ops:\n          permissions:\n"
	  "            - {resource: users, action: [read, approve]}\n",
	  8, "permissions[0].action[1]: users has no action \"approve\"" },
	{ "missing action", DEV "security:\n  authorization:\n    rbac:\n      roles:\n"
	  "        ops:\n          permissions:\n            - {resource: stats}\n",
	  8, "permissions[0]: missing key \"action\"" },
	{ "rbac yes", DEV "security:\n  authorization:\n    rbac: {strictMode: on}\n", 4,
	  "rbac.strictMode: expected true or false, got \"on\"" },

	/* conditions */
#define PERM DEV "security:\n  authorization:\n    rbac:\n      roles:\n        ops:\n" \
	"          permissions:\n            - resource: stats\n              action: read\n" \
	"              conditions:\n"
	{ "time without colon",
	  PERM "                time_range: {start: \"8:00\", end: \"18:00\"}\n", 11,
	  "time_range.start: \"8:00\": expected a time as HH:MM" },
	{ "time 24:00 start",
	  PERM "                time_range: {start: \"24:00\", end: \"06:00\"}\n", 11,
	  "time_range.start: \"24:00\": not a time of day (00:00 to 23:59)" },
	{ "time 08:60", PERM "                time_range: {start: \"08:00\", end: \"08:60\"}\n", 11,
	  "time_range.end: \"08:60\": not a time of day (00:00 to 23:59, or 24:00)" },
	{ "time start equals end",
	  PERM "                time_range: {start: \"08:00\", end: \"08:00\"}\n", 11,
	  "start and end are both 08:00" },
	{ "time without end", PERM "                time_range: {start: \"08:00\"}\n", 11,
	  "time_range: missing key \"end\"" },
	{ "bad day", PERM "                time_range:\n                  start: \"08:00\"\n"
	  "                  end: \"18:00\"\n                  days: [mon, funday]\n", 14,
	  "time_range.days[1]: \"funday\" is not a day" },
	{ "day twice", PERM "                time_range: {start: \"08:00\", end: \"18:00\", "
	  "days: [mon, monday]}\n", 11, "time_range.days[1]: monday is listed twice" },
	{ "zone name", PERM "                time_range: {start: \"08:00\", end: \"18:00\", "
	  "tz: Europe/Berlin}\n", 11, "zone names are not accepted" },
	{ "offset too big", PERM "                time_range: {start: \"08:00\", end: \"18:00\", "
	  "tz: \"+15:00\"}\n", 11, "offset out of range -14:00..+14:00" },
	{ "empty ip_range", PERM "                ip_range: []\n", 11, "ip_range: empty list" },
	{ "bad CIDR", PERM "                ip_range: [10.0.0.0/8, 10.0.0.0/33]\n", 11,
	  "ip_range[1]: \"10.0.0.0/33\": prefix length out of range" },
	{ "mapped range", PERM "                ip_range: [\"::ffff:10.0.0.0/104\"]\n", 11,
	  "is an IPv4-mapped range; IPv4 clients are matched as IPv4" },
	{ "empty location", PERM "                location: []\n", 11, "location: empty list" },
	{ "condition name", PERM "                Team: ops\n", 11,
	  "\"Team\" is not a condition name" },
	{ "condition value list", PERM "                team: [ops]\n", 11,
	  "conditions.team: expected a value, got a list" },
	{ "condition twice", PERM "                team: ops\n                team: dev\n", 12,
	  "conditions: duplicate key \"team\" (first at line 11)" },

	/* encryption, monitoring */
	{ "cipher", DEV "security:\n  encryption: {algorithm: aes-128-cbc}\n", 3,
	  "encryption.algorithm: \"aes-128-cbc\" is not aes-256-gcm" },
	{ "encryption without key", DEV "security:\n  encryption:\n    enabled: true\n", 4,
	  "security.encryption: enabled needs keyFile" },
	{ "rotation days", DEV "security:\n  encryption: {keyRotationDays: 0}\n", 3,
	  "keyRotationDays: \"0\": out of range 1..3650" },
	{ "audit level", DEV "security:\n  monitoring: {auditLevel: verbose}\n", 3,
	  "monitoring.auditLevel: \"verbose\" is not one of minimal, standard or comprehensive" },
	{ "risk threshold", DEV "security:\n  monitoring: {riskAlertThreshold: 101}\n", 3,
	  "riskAlertThreshold: \"101\": out of range 0..100" },
	{ "siem without webhook", DEV "security:\n  monitoring:\n    siemIntegration: true\n", 4,
	  "siemIntegration: true needs siemWebhook" },
	{ "siem ftp", DEV "security:\n  monitoring: {siemWebhook: \"ftp://siem/x\"}\n", 3,
	  "\"ftp://siem/x\" is not an http(s) URL" },
	{ "siem http in production", "profile: production\nsecurity:\n"
	  "  monitoring: {siemWebhook: \"http://siem/x\"}\n", 3,
	  "production sends security events over https:// only" },

	/* network, database */
	{ "network unknown key", DEV "network:\n  frobnicate: 1\n", 3,
	  "network: unknown key \"frobnicate\" (expected version, default," },
	{ "network ACL", DEV "network:\n  acl:\n    - port: 22/tcp\n      from: []\n", 5,
	  "acl[0].from: empty list" },
	{ "network version", DEV "network:\n  version: 2\n", 3, "unsupported version \"2\"" },
	{ "network everything", DEV "network:\n  allow: [0.0.0.0/0]\n", 3,
	  "allow[0]: \"0.0.0.0/0\" covers every address; list the networks meant" },
	{ "network list", DEV "network: [open]\n", 2, "network: expected a mapping of keys" },
	{ "network file and keys", DEV "network:\n  file: /etc/p.yaml\n  open: [80/tcp]\n", 3,
	  "network: give either file or the policy's keys, not both" },
	{ "network file missing", DEV "network: {file: /nonexistent/policy.yaml}\n", 2,
	  "network.file: /nonexistent/policy.yaml: cannot open" },
	{ "network port overlap", DEV "network:\n  open: [80/tcp, 79-81/tcp]\n", 3,
	  "open[1]: 79-81/tcp overlaps open[0]" },
	{ "database unset variable", DEV "database:\n  conninfo: \"password=${EW_TEST_UNSET}\"\n",
	  3, "environment variable EW_TEST_UNSET is not set" },
	{ "database unknown key", DEV "database: {dsn: x}\n", 2,
	  "database: unknown key \"dsn\" (expected conninfo, tenant, rbac, response_rules, node, resync_interval)" },
	{ "database conninfo malformed", DEV "database: {conninfo: \"host=db nonsense\"}\n", 2,
	  "database.conninfo: missing \"=\" after \"nonsense\"" },
	{ "database conninfo unknown key", DEV "database: {conninfo: \"hots=db\"}\n", 2,
	  "database.conninfo: invalid connection option \"hots\"" },
	{ "database tenant without conninfo", DEV "database: {tenant: acme}\n", 2,
	  "database: missing key \"conninfo\" (the other keys need a database)" },
	{ "database resync interval too short", DEV "database: {conninfo: \"host=db\", resync_interval: 1s}\n", 2,
	  "database.resync_interval:" },
	{ "database node with a space", DEV "database: {conninfo: \"host=db\", node: \"edge 1\"}\n", 2,
	  "database.node: \"edge 1\": 1..64 of A-Z a-z 0-9 . - _" },
	{ "database rbac not a bool", DEV "database: {conninfo: \"host=db\", rbac: maybe}\n", 2,
	  "database.rbac:" },

	/* response (more in test_respond), sources, alerts, monitors */
	{ "response unknown key", DEV "response:\n  rulez: []\n", 3,
	  "response: unknown key \"rulez\"" },
	{ "rule unknown action", DEV "response:\n  rules:\n    - name: r\n"
	  "      when: {event: failed_login}\n      actions: [shutdown]\n", 6,
	  "response.rules[0].actions[0]: \"shutdown\" is not an action" },
	{ "rule block_for alone", DEV "response:\n  rules:\n    - name: r\n"
	  "      when: {event: failed_login}\n      actions: [notify_admin]\n"
	  "      block_for: 1h\n", 7, "block_for without block_ip" },
	{ "pattern not anchored", DEV "sources:\n  patterns:\n    - {name: p, regex: \"Failed "
	  "(.*) from ([^ ]+)\", event: failed_login, user: 1, source: 2}\n", 4,
	  "the regex must start with ^ and end with $" },
	{ "pattern group", DEV "sources:\n  patterns:\n    - {name: p, regex: \"^Failed (.*)$\", "
	  "event: failed_login, user: 1, source: 2}\n", 4, "no group 2" },
	{ "pattern event", DEV "sources:\n  patterns:\n    - {name: p, regex: \"^x (.*)$\", "
	  "event: data_export, user: 1}\n", 4, "expected failed_login, invalid_user" },
	{ "pattern without regex", DEV "sources:\n  patterns:\n    - {name: p, event: "
	  "failed_login}\n", 4, "missing key \"regex\"" },
	{ "pattern bad regex", DEV "sources:\n  patterns:\n    - {name: p, regex: \"^x ((.*)$\", "
	  "event: failed_login, user: 1}\n", 4, "regex:" },
	{ "authlog relative", DEV "sources:\n  authlog:\n    - {path: auth.log}\n", 4,
	  "sources.authlog[0].path: \"auth.log\" is not an absolute path" },
	{ "authlog service", DEV "sources:\n  authlog:\n    - {path: /var/log/auth.log, "
	  "service: \"ssh d\"}\n", 4, "\"ssh d\" is not a service name" },
	{ "authlog twice", DEV "sources:\n  authlog:\n    - {path: /var/log/auth.log}\n"
	  "    - {path: /var/log/auth.log, service: dovecot}\n", 5,
	  "/var/log/auth.log is listed twice" },
	{ "journald option as unit", DEV "sources:\n  journald: {units: [\"--since=x\"]}\n", 3,
	  "\"--since=x\" is not a unit name" },
	{ "journald yes", DEV "sources:\n  journald: yes\n", 3,
	  "sources.journald: expected true or false" },
	{ "webhook ftp", DEV "alerts:\n  webhook: {url: \"ftp://siem/x\"}\n", 3,
	  "\"ftp://siem/x\" is not an http(s) URL" },
	{ "webhook http in production", "profile: production\nalerts:\n"
	  "  webhook: {url: \"http://siem/x\"}\n", 3,
	  "production sends security events over https:// only" },
	{ "webhook retries", DEV "alerts:\n  webhook: {retries: 11}\n", 3,
	  "alerts.webhook.retries: \"11\": out of range 0..10" },
	{ "bearer file missing", DEV "alerts:\n  webhook: {bearer_file: /nonexistent/siem.key}\n",
	  3, "/nonexistent/siem.key: No such file or directory" },
	{ "webhook and siem differ", DEV "security:\n  monitoring: {siemIntegration: true, "
	  "siemWebhook: \"https://a/x\"}\nalerts:\n  webhook: {url: \"https://b/y\"}\n", 1,
	  "differ; give the SIEM's URL once" },
	{ "monitor file relative", DEV "monitors:\n  files: [etc/passwd]\n", 3,
	  "monitors.files[0]: \"etc/passwd\" is not an absolute path" },
	{ "monitor file twice", DEV "monitors:\n  files: [/etc/passwd, /etc/passwd]\n", 3,
	  "monitors.files[1]: /etc/passwd is listed twice" },
	{ "monitor threshold", DEV "monitors:\n  connections: {threshold: -1}\n", 3,
	  "monitors.connections.threshold" },
	{ "burst window unit", DEV "monitors:\n  failed_logins: {threshold: 5, window: 300}\n", 3,
	  "monitors.failed_logins.window: \"300\" has no unit" },
};

static void test_bad_configs(void **state)
{
	char path[128], err[CFG_ERRLEN];
	size_t i;

	(void)state;
	assert_true(ARRAY_SIZE(bad_cases) >= 60);
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *t = &bad_cases[i];
		struct ew_config *cfg = (void *)1;
		int r;

		r = load_text(t->yaml, &cfg, path, sizeof(path), err);
		if (getenv("EW_TEST_VERBOSE"))
			print_message("%-28s %s\n", t->name, err);
		expect_error(t->name, r, path, err, t->line, t->want);
		if (cfg)
			fail_msg("%s: *out is %p after a failed load, expected NULL", t->name,
				 (void *)cfg);
		if (err[strlen(err) - 1] == '\n')
			fail_msg("%s: message ends with a newline", t->name);
	}
}

/* One --check run lists every problem, in file order, and stops listing at the cap. */
static void test_all_errors(void **state)
{
	static const char yaml[] = DEV
		"daemon:\n  pin_dir: relative\n"				/* 3 */
		"api:\n  listen: [\"nowhere\"]\n"				/* 5 */
		"security:\n  authentication:\n    lockout: {maxAttempts: 0}\n"	/* 8 */
		"  monitoring: {auditLevel: loud}\n";				/* 9 */
	char path[128], err[CFG_ERRLEN], *big;
	struct ew_config *cfg;
	size_t o = 0;
	int i, r;

	(void)state;
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	expect_error("pin_dir", r, path, err, 3, "daemon.pin_dir");
	expect_error("listen", r, path, err, 5, "api.listen[0]");
	expect_error("lockout", r, path, err, 8, "lockout.maxAttempts");
	expect_error("monitoring", r, path, err, 9, "auditLevel");
	if (count_lines(err) != 4)
		fail_msg("expected 4 error lines, got %u: %s", count_lines(err), err);
	assert_true(strstr(err, ":3:") < strstr(err, ":5:"));
	assert_true(strstr(err, ":8:") < strstr(err, ":9:"));

	/* 40 bad interfaces: CFG_MAX_ERRORS lines, then one that counts the rest. */
	big = malloc(8192);
	assert_non_null(big);
	o += (size_t)snprintf(big + o, 8192 - o, DEV "daemon:\n  interfaces:\n");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(big + o, 8192 - o, "    - {name: \"bad/%d\"}\n", i);
	r = load_text(big, &cfg, path, sizeof(path), err);
	free(big);
	expect_error("many", r, path, err, 0, "... and 8 more errors");
	if (count_lines(err) != CFG_MAX_ERRORS + 1)
		fail_msg("expected %d lines, got %u", CFG_MAX_ERRORS + 1, count_lines(err));

	/* A small buffer gets whole leading text and no overflow. */
	write_file("small.yaml", yaml, 0600, path, sizeof(path));
	{
		struct cfg_check_env env = test_env();
		char small[40];

		memset(small, 'x', sizeof(small));
		r = cfg_load_env(path, &env, &cfg, small, sizeof(small));
		assert_int_equal(r, -EINVAL);
		assert_true(memchr(small, '\0', sizeof(small)) != NULL);
	}
}

/* ---- the reference example ---- */

static const char *example_dir(void)
{
	const char *p = getenv("EW_EXAMPLES");

	return p && *p ? p : "examples";
}

/* Copy an example into tmpdir with mode 0600 (the repository's copy is 0644). */
static void copy_example(const char *name, char *path, size_t plen)
{
	char src[256], *buf;
	size_t len;
	FILE *f;

	snprintf(src, sizeof(src), "%s/%s", example_dir(), name);
	f = fopen(src, "r");
	if (!f)
		fail_msg("open %s: %s (run from the repository root or set EW_EXAMPLES)", src,
			 strerror(errno));
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[len] = '\0';
	write_file(name, buf, 0600, path, plen);
	free(buf);
}

static void make_dir(const char *sub, mode_t mode)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, sub);
	if (mkdir(p, mode) && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
	chmod(p, mode);
}

/* tmpdir/root/etc/edgeward with the example's TLS key and encryption key, 0600. */
static void example_root(char *root, size_t len)
{
	char p[256];

	make_dir("root", 0755);
	make_dir("root/etc", 0755);
	make_dir("root/etc/edgeward", 0755);
	make_dir("root/etc/edgeward/tls", 0755);
	make_dir("root/etc/edgeward/keys", 0700);
	write_file("root/etc/edgeward/tls/key.pem", "-----BEGIN PRIVATE KEY-----\n", 0600, p,
		   sizeof(p));
	write_file("root/etc/edgeward/tls/cert.pem", "-----BEGIN CERTIFICATE-----\n", 0644, p,
		   sizeof(p));
	write_file("root/etc/edgeward/keys/data.key", "0123456789abcdef0123456789abcdef\n", 0600,
		   p, sizeof(p));
	write_file("root/etc/edgeward/keys/siem.token", "c2llbS1iZWFyZXIta2V5\n", 0600, p,
		   sizeof(p));
	snprintf(root, len, "%s/root", tmpdir);
}

static void test_example(void **state)
{
	char path[256], root[256], err[CFG_ERRLEN];
	struct cfg_check_env env = test_env();
	struct ew_config *cfg;
	struct rbac *rb = NULL;
	int r;

	(void)state;
	copy_example("edgewardd.yaml", path, sizeof(path));
	example_root(root, sizeof(root));
	env.root = root;

	/* Without JWT_SECRET the error names the variable and its line. */
	unsetenv("JWT_SECRET");
	r = cfg_load_env(path, &env, &cfg, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	if (!strstr(err, "environment variable JWT_SECRET is not set"))
		fail_msg("unset JWT_SECRET: \"%s\"", err);

	setenv("JWT_SECRET", GOOD_SECRET, 1);
	r = cfg_load_env(path, &env, &cfg, err, sizeof(err));
	if (r)
		fail_msg("load %s (root %s): %d\n%s", path, root, r, err);
	if (cfg->warnings)
		fail_msg("unexpected warnings: %s", cfg->warnings);
	assert_int_equal(cfg->profile, CFG_PRODUCTION);
	assert_string_equal(cfg->daemon.pin_dir, "/sys/fs/bpf/edgeward");
	assert_string_equal(cfg->daemon.journal, "/var/lib/edgeward/journal");
	assert_int_equal(cfg->daemon.n_ifaces, 1);
	assert_string_equal(cfg->daemon.ifaces[0].name, "eth0");
	assert_int_equal(cfg->daemon.ifaces[0].mode, EW_MODE_NATIVE);
	assert_int_equal(cfg->api.n_listen, 2);
	assert_int_equal(cfg->api.listen[0].addr.ss_family, AF_INET);
	assert_int_equal(cfg->api.listen[1].addr.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&cfg->api.listen[1].addr)->sin6_port), 8443);
	assert_true(cfg->api.tls);
	assert_string_equal(cfg->api.tls_key, "/etc/edgeward/tls/key.pem");
	assert_int_equal(cfg->api.rl_login.rate, 3);
	assert_int_equal(cfg->api.rl_login.period_s, 60);
	assert_int_equal(cfg->api.rl_login.burst, 5);
	assert_int_equal(cfg->api.header_timeout_s, 10);
	assert_string_equal(cfg->jwt.secret, GOOD_SECRET);
	assert_int_equal(cfg->jwt.secret_len, strlen(GOOD_SECRET));
	assert_int_equal(cfg->jwt.expires_s, 3600);
	assert_int_equal(cfg->jwt.refresh_expires_s, 7 * 86400);
	assert_int_equal(cfg->session.max_age_s, 3600);
	assert_int_equal(cfg->session.same_site, CFG_SAMESITE_STRICT);
	assert_true(cfg->mfa.enabled);
	assert_int_equal(cfg->mfa.n_required, 3);
	assert_string_equal(cfg->mfa.required[2].name, "manager");
	assert_int_equal(cfg->password.max_age_s, 90 * 86400);
	assert_int_equal(cfg->lockout.duration_s, 1800);
	assert_int_equal(cfg->lockout.hard_lock_after, 3);
	assert_true(cfg->rbac.strict && !cfg->rbac.debug && cfg->rbac.audit_all);
	assert_int_equal(cfg->rbac.n_roles, 1);
	assert_string_equal(cfg->rbac.roles[0].name, "oncall");
	assert_int_equal(cfg->rbac.roles[0].n_perms, 2);
	assert_true(cfg->rbac.roles[0].perms[0].cond.has_time);
	assert_int_equal(cfg->rbac.roles[0].perms[0].cond.time.start_min, 18 * 60);
	assert_int_equal(cfg->rbac.roles[0].perms[0].cond.n_ip, 2);
	assert_true(cfg->encryption.enabled);
	assert_int_equal(cfg->monitoring.audit_level, CFG_AUDIT_COMPREHENSIVE);
	assert_true(cfg->monitoring.siem);
	assert_true(cfg->network.present);
	assert_int_equal(cfg->network.doc.n_acl, 2);
	assert_int_equal(cfg->network.doc.n_rl, 1);
	assert_int_equal(cfg->network.doc.n_block, 1);
	assert_non_null(cfg->network.compiled.pol);
	assert_int_equal(cfg->network.compiled.pol->tcp[22].acl_id, 1);
	assert_int_equal(cfg->network.compiled.pol->tcp[443].rl_class, 1);
	assert_null(cfg->database.conninfo);

	/* The roles build, with the example's own. */
	assert_int_equal(rbac_from_config(cfg, &rb, err, sizeof(err)), 0);
	assert_true(rbac_role_exists(rb, "oncall"));
	assert_int_equal(rbac_flags(rb), RBAC_STRICT | RBAC_AUDIT_ALL);
	rbac_free(rb);

	/* Loading the same file again changes nothing. */
	{
		struct ew_config *again;

		assert_int_equal(cfg_load_env(path, &env, &again, err, sizeof(err)), 0);
		assert_int_equal(cfg_diff(cfg, again), 0);
		cfg_free(again);
	}
	cfg_free(cfg);

	/* Without the check environment, cfg_load judges the real /etc: refused, not crashed. */
	r = cfg_load(path, &cfg, err, sizeof(err));
	if (r == 0)
		cfg_free(cfg);
	else
		assert_int_equal(r, -EINVAL);
}

static void test_example_development(void **state)
{
	char path[256], err[CFG_ERRLEN];
	struct cfg_check_env env = test_env();
	struct ew_config *cfg;
	int r;

	(void)state;
	copy_example("edgewardd-development.yaml", path, sizeof(path));
	r = cfg_load_env(path, &env, &cfg, err, sizeof(err));
	if (r)
		fail_msg("load %s: %d\n%s", path, r, err);
	assert_int_equal(cfg->profile, CFG_DEVELOPMENT);
	assert_string_equal(cfg->daemon.journal, "/tmp/edgeward-dev/journal");
	assert_string_equal(cfg->daemon.users_file, "/tmp/edgeward-dev/users.json");
	assert_false(cfg->api.tls);
	assert_int_equal(cfg->jwt.expires_s, 8 * 3600);
	cfg_free(cfg);
}

/* ---- development accepts the guide ---- */

/* The guide's development block, verbatim, under the development profile. */
static const char guide_dev[] =
	"profile: development\n"
	"# Development security configuration\n"
	"security:\n"
	"  authentication:\n"
	"    jwt:\n"
	"      secret: \"dev-jwt-secret-key-change-in-production\"\n"
	"      expiresIn: \"8h\"  # Longer for development convenience\n"
	"    \n"
	"    session:\n"
	"      secure: false    # Allow HTTP in development\n"
	"      sameSite: \"lax\"  # More permissive for development\n"
	"    \n"
	"    mfa:\n"
	"      enabled: false   # Disabled for development ease\n"
	"  \n"
	"  authorization:\n"
	"    rbac:\n"
	"      strictMode: false\n"
	"      debugMode: true\n"
	"  \n"
	"  encryption:\n"
	"    enabled: false     # Disabled for development data\n"
	"  \n"
	"  monitoring:\n"
	"    auditLevel: \"minimal\"\n"
	"    alerting: false\n";

static void test_development_guide(void **state)
{
	char path[128], err[CFG_ERRLEN];
	struct ew_config *cfg;
	int r;

	(void)state;
	r = load_text(guide_dev, &cfg, path, sizeof(path), err);
	if (r)
		fail_msg("guide's development block: %d\n%s", r, err);
	assert_int_equal(cfg->profile, CFG_DEVELOPMENT);
	assert_string_equal(cfg->jwt.secret, "dev-jwt-secret-key-change-in-production");
	assert_false(cfg->jwt.secret_default);
	assert_int_equal(cfg->jwt.expires_s, 8 * 3600);
	assert_false(cfg->session.secure);
	assert_int_equal(cfg->session.same_site, CFG_SAMESITE_LAX);
	assert_false(cfg->mfa.enabled);
	assert_false(cfg->rbac.strict);
	assert_true(cfg->rbac.debug);
	assert_false(cfg->encryption.enabled);
	assert_int_equal(cfg->monitoring.audit_level, CFG_AUDIT_MINIMAL);
	assert_false(cfg->monitoring.alerting);
	assert_false(cfg->api.tls);
	cfg_free(cfg);

	/* A bare development profile: the guide's defaults, the dev secret with a warning. */
	r = load_text(DEV, &cfg, path, sizeof(path), err);
	if (r)
		fail_msg("bare development: %d %s", r, err);
	assert_true(cfg->jwt.secret_default);
	assert_string_equal(cfg->jwt.secret, "dev-jwt-secret-key-change-in-production");
	assert_non_null(cfg->warnings);
	assert_non_null(strstr(cfg->warnings, "using the development default"));
	assert_int_equal(cfg->mfa.n_required, 2);
	assert_false(cfg->network.present);
	cfg_free(cfg);

	/* Without a profile line the block is refused: the profile is never guessed. */
	r = load_text(guide_dev + strlen(DEV), &cfg, path, sizeof(path), err);
	expect_error("no profile", r, path, err, 2, "missing key \"profile\"");
	assert_int_equal(count_lines(err), 1);

	/*
	 * The same block as production: each development value is refused on
	 * its own line (paths point into tmpdir, where nothing exists yet).
	 */
	{
		char prod[sizeof(guide_dev) + 512];

		snprintf(prod, sizeof(prod), "profile: production\n"
			 "daemon: {pin_dir: %s/none, users_file: %s/none.json}\n"
			 "api: {tls: {enabled: false}}\n%s",
			 tmpdir, tmpdir, guide_dev + strlen(DEV));
		r = load_text(prod, &cfg, path, sizeof(path), err);
		expect_error("tls", r, path, err, 3, "api.tls.enabled is false");
		expect_error("dev secret", r, path, err, 8, "published placeholder");
		expect_error("session", r, path, err, 12, "session.secure is false");
		expect_error("mfa", r, path, err, 16, "mfa.enabled is false");
		expect_error("encryption", r, path, err, 24, "encryption.enabled is false");
		if (count_lines(err) != 5)
			fail_msg("expected 5 errors, got %u:\n%s", count_lines(err), err);
	}
}

/* The guide's AuthConfig values: milliseconds where it uses them, its methods list refused. */
static void test_guide_auth_config(void **state)
{
	static const char ok[] = DEV
		"security:\n  authentication:\n"
		"    jwt: {expiresIn: 1h, refreshExpiresIn: 7d, issuer: thorbis-business-os, "
		"audience: thorbis-users, algorithm: HS256}\n"
		"    session: {secure: true, httpOnly: true, sameSite: strict, maxAge: 3600000, "
		"rolling: true}\n"
		"    mfa: {enabled: true, required: [admin, financial], methods: [totp]}\n"
		"    passwordPolicy: {minLength: 12, requireUppercase: true, "
		"requireLowercase: true, requireNumbers: true, requireSpecialChars: true, "
		"preventReuse: 5, maxAge: 90d}\n"
		"    lockout: {maxAttempts: 5, lockoutDuration: 1800000, progressiveDelay: true}\n";
	static const char methods[] = DEV
		"security:\n  authentication:\n    mfa:\n      methods: ['totp', 'sms', 'email']\n";
	char path[128], err[CFG_ERRLEN];
	struct ew_config *cfg;
	int r;

	(void)state;
	r = load_text(ok, &cfg, path, sizeof(path), err);
	if (r)
		fail_msg("guide's AuthConfig: %d\n%s", r, err);
	assert_int_equal(cfg->session.max_age_s, 3600);
	assert_int_equal(cfg->lockout.duration_s, 1800);
	assert_string_equal(cfg->jwt.issuer, "thorbis-business-os");
	assert_int_equal(cfg->password.max_age_s, 90 * 86400);
	cfg_free(cfg);

	r = load_text(methods, &cfg, path, sizeof(path), err);
	expect_error("sms", r, path, err, 5, "methods[1]: \"sms\" is not supported");
	expect_error("email", r, path, err, 5, "methods[2]: \"email\" is not supported");
	assert_int_equal(count_lines(err), 2);
}

/* ---- environment ---- */

static void test_env_expansion(void **state)
{
	static const char yaml[] = DEV
		"security:\n  authentication:\n    jwt:\n"
		"      secret: \"${EW_TEST_SECRET}\"\n"
		"      issuer: \"${EW_T_A}-${EW_T_B}:$$EW_T_A:$5:${EW_T_A}\"\n"
		"database:\n  conninfo: \"host=db password=${EW_T_PASS} sslmode=verify-full\"\n";
	char path[128], err[CFG_ERRLEN], *dump = NULL;
	struct ew_config *cfg;
	size_t dlen = 0;
	FILE *f;
	int r;

	(void)state;
	setenv("EW_T_A", "alpha", 1);
	setenv("EW_T_B", "", 1);
	setenv("EW_T_PASS", "s3cr3t-db-pass", 1);
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	if (r)
		fail_msg("expansion: %d %s", r, err);
	assert_string_equal(cfg->jwt.secret, GOOD_SECRET);
	assert_string_equal(cfg->jwt.issuer, "alpha-:$EW_T_A:$5:alpha");
	assert_string_equal(cfg->database.conninfo,
			    "host=db password=s3cr3t-db-pass sslmode=verify-full");

	/* The dump never shows the secrets. */
	f = open_memstream(&dump, &dlen);
	assert_non_null(f);
	assert_int_equal(cfg_dump(cfg, f), 0);
	fclose(f);
	if (strstr(dump, GOOD_SECRET) || strstr(dump, "s3cr3t"))
		fail_msg("dump shows a secret:\n%s", dump);
	assert_non_null(strstr(dump, "secret: \"<redacted: 40 bytes>\""));
	/* "$" is written as "$$", so that the dump reads back as the same value. */
	assert_non_null(strstr(dump, "issuer: \"alpha-:$$EW_T_A:$$5:alpha\""));
	free(dump);
	cfg_free(cfg);

	/* Keys are not expanded: a "${X}" key is just an unknown key. */
	r = load_text(DEV "${EW_T_A}: 1\n", &cfg, path, sizeof(path), err);
	expect_error("key", r, path, err, 2, "unknown key \"${EW_T_A}\"");

	/* An empty variable leaves an empty value, which is refused where values are needed. */
	r = load_text(DEV "database: {conninfo: \"${EW_T_B}\"}\n", &cfg, path, sizeof(path), err);
	expect_error("empty", r, path, err, 2, "database.conninfo: empty value");
	unsetenv("EW_T_A");
	unsetenv("EW_T_B");
	unsetenv("EW_T_PASS");
}

/* ---- production ---- */

struct prod {
	const char *jwt;	/* the inside of jwt: {...} */
	const char *tls;	/* true / false */
	const char *listen;
	const char *secure;
	const char *mfa_enabled;
	const char *mfa_required;
	const char *encryption;
	mode_t conf_mode, key_mode, secret_mode, enc_mode, users_mode;
	bool users_file;
};

static const struct prod prod_ok = {
	.jwt = "secret: \"${EW_TEST_SECRET}\"", .tls = "true", .listen = "[\"0.0.0.0:8443\"]",
	.secure = "true", .mfa_enabled = "true", .mfa_required = "[admin, financial]",
	.encryption = "true", .conf_mode = 0600, .key_mode = 0600, .secret_mode = 0600,
	.enc_mode = 0600, .users_mode = 0600, .users_file = true,
};

/*
 * A production config over fixtures in tmpdir/prod (files owned by us, modes
 * from p). Line numbers: jwt 11, session 12, mfa 13, tls 6, encryption 14.
 */
static int load_prod(const struct prod *p, char *path, size_t plen, char *err,
		     struct ew_config **cfg)
{
	struct cfg_check_env env = test_env();
	char yaml[2048], f[256];

	make_dir("prod", 0755);
	write_file("prod/key.pem", "key\n", p->key_mode, f, sizeof(f));
	write_file("prod/cert.pem", "cert\n", 0644, f, sizeof(f));
	write_file("prod/jwt.key", GOOD_SECRET "\n", p->secret_mode, f, sizeof(f));
	write_file("prod/data.key", "0123456789abcdef0123456789abcdef\n", p->enc_mode, f,
		   sizeof(f));
	snprintf(f, sizeof(f), "%s/prod/users.json", tmpdir);
	unlink(f);
	if (p->users_file)
		write_file("prod/users.json", "{}\n", p->users_mode, f, sizeof(f));
	snprintf(yaml, sizeof(yaml),
		 "profile: production\n"					/* 1 */
		 "daemon:\n"							/* 2 */
		 "  pin_dir: %s/prod/pin\n"					/* 3 */
		 "  users_file: %s/prod/users.json\n"				/* 4 */
		 "api:\n"							/* 5 */
		 "  tls: {enabled: %s, cert: %s/prod/cert.pem, key: %s/prod/key.pem}\n"	/* 6 */
		 "  listen: %s\n"						/* 7 */
		 "security:\n"							/* 8 */
		 "  authentication:\n"						/* 9 */
		 "    # the JWT settings\n"					/* 10 */
		 "    jwt: {%s}\n"						/* 11 */
		 "    session: {secure: %s}\n"					/* 12 */
		 "    mfa: {enabled: %s, required: %s}\n"			/* 13 */
		 "  encryption: {enabled: %s, keyFile: %s/prod/data.key}\n",	/* 14 */
		 tmpdir, tmpdir, p->tls, tmpdir, tmpdir, p->listen, p->jwt, p->secure,
		 p->mfa_enabled, p->mfa_required, p->encryption, tmpdir);
	write_file("prod/config.yaml", yaml, p->conf_mode, path, plen);
	err[0] = '\0';
	return cfg_load_env(path, &env, cfg, err, CFG_ERRLEN);
}

static const struct prod_case {
	const char *name;
	struct prod p;		/* differences from prod_ok; zero = as prod_ok */
	int line;
	const char *want;
} prod_cases[] = {
	{ "no secret", { .jwt = "expiresIn: 1h" }, 11, "jwt has no secret" },
	{ "guide's dev secret", { .jwt = "secret: dev-jwt-secret-key-change-in-production" }, 11,
	  "the JWT secret is a published placeholder" },
	{ "placeholder inside", { .jwt = "secret: my-placeholder-secret-for-the-jwt-0123" }, 11,
	  "published placeholder" },
	{ "changeme, long", { .jwt = "secret: CHANGEME-changeme-changeme-changeme-42" }, 11,
	  "published placeholder" },
	{ "short secret", { .jwt = "secret: Zq3vK9pX2mW7rT4yHb6" }, 11,
	  "the JWT secret is 19 bytes; HS256 needs at least 32" },
	{ "31 bytes", { .jwt = "secret: Zq3vK9pX2mW7rT4yHb6Lc8Nd1Fg5Jk0" }, 11,
	  "is 31 bytes" },
	{ "repeated", { .jwt = "secret: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, 11,
	  "one character repeated" },
	{ "mfa off", { .mfa_enabled = "false" }, 13, "mfa.enabled is false" },
	{ "admin without mfa", { .mfa_required = "[financial, manager]" }, 13,
	  "mfa.required does not list admin" },
	{ "tls off", { .tls = "false" }, 6,
	  "api.tls.enabled is false; production serves the API over TLS only (TCP listeners "
	  "without TLS: 0.0.0.0:8443)" },
	{ "tls off, no listener", { .tls = "false", .listen = "[]" }, 6,
	  "api.tls.enabled is false" },
	{ "session insecure", { .secure = "false" }, 12, "session.secure is false" },
	{ "encryption off", { .encryption = "false" }, 14, "encryption.enabled is false" },
	{ "config readable", { .conf_mode = 0644 }, 0,
	  "config file %s/prod/config.yaml has mode 0644: group and other may read it" },
	{ "config group writable", { .conf_mode = 0620 }, 0, "has mode 0620: group may write it" },
	{ "tls key readable", { .key_mode = 0640 }, 6,
	  "TLS key %s/prod/key.pem has mode 0640: group may read it" },
	{ "secret file readable", { .jwt = "secret_file: %s/prod/jwt.key", .secret_mode = 0604 },
	  11, "JWT secret file %s/prod/jwt.key has mode 0604: other may read it" },
	{ "encryption key readable", { .enc_mode = 0660 }, 14,
	  "encryption key file %s/prod/data.key has mode 0660" },
	{ "users file readable", { .users_mode = 0644 }, 4, "users file" },
};

/* prod_ok with the case's non-zero fields; %s in jwt and want becomes tmpdir. */
static struct prod prod_merge(const struct prod *d, char *jwt, size_t jlen)
{
	struct prod p = prod_ok;

	if (d->jwt) {
		snprintf(jwt, jlen, d->jwt, tmpdir);
		p.jwt = jwt;
	}
#define M(f) if (d->f) p.f = d->f
	M(tls);
	M(listen);
	M(secure);
	M(mfa_enabled);
	M(mfa_required);
	M(encryption);
	M(conf_mode);
	M(key_mode);
	M(secret_mode);
	M(enc_mode);
	M(users_mode);
#undef M
	return p;
}

static void test_production_each(void **state)
{
	char path[256], err[CFG_ERRLEN], jwt[256], want[512];
	struct ew_config *cfg;
	size_t i;
	int r;

	(void)state;
	r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
	if (r)
		fail_msg("the good production config: %d\n%s", r, err);
	assert_int_equal(cfg->profile, CFG_PRODUCTION);
	assert_int_equal(cfg_check_production_env(cfg, &(struct cfg_check_env){ geteuid(), NULL },
						  err, sizeof(err)),
			 0);
	cfg_free(cfg);

	for (i = 0; i < ARRAY_SIZE(prod_cases); i++) {
		const struct prod_case *t = &prod_cases[i];
		struct prod p = prod_merge(&t->p, jwt, sizeof(jwt));

		snprintf(want, sizeof(want), t->want, tmpdir);
		r = load_prod(&p, path, sizeof(path), err, &cfg);
		if (getenv("EW_TEST_VERBOSE"))
			print_message("%-24s %s\n", t->name, err);
		expect_error(t->name, r, path, err, t->line, want);
		if (count_lines(err) != 1)
			fail_msg("%s: expected exactly one error, got:\n%s", t->name, err);
	}
}

static void test_production_all(void **state)
{
	struct prod p = prod_ok;
	char path[256], err[CFG_ERRLEN];
	struct ew_config *cfg;
	int r;

	(void)state;
	p.jwt = "secret: changeme";
	p.tls = "false";
	p.secure = "false";
	p.mfa_enabled = "false";
	p.mfa_required = "[]";
	p.encryption = "false";
	p.conf_mode = 0644;
	p.key_mode = 0644;
	r = load_prod(&p, path, sizeof(path), err, &cfg);
	/* placeholder, short, mfa, admin, session, tls, encryption, config file. */
	expect_error("placeholder", r, path, err, 11, "placeholder");
	expect_error("short", r, path, err, 11, "is 8 bytes");
	expect_error("mfa", r, path, err, 13, "mfa.enabled is false");
	expect_error("admin", r, path, err, 13, "does not list admin");
	expect_error("session", r, path, err, 12, "session.secure");
	expect_error("tls", r, path, err, 6, "api.tls.enabled is false");
	expect_error("encryption", r, path, err, 14, "encryption.enabled");
	expect_error("config", r, path, err, 0, "config file");
	if (count_lines(err) != 8)
		fail_msg("expected 8 errors, got %u:\n%s", count_lines(err), err);

	/* The TLS key is judged only when TLS is on; it was 0644 but TLS is off. */
	assert_null(strstr(err, "TLS key"));
}

static void test_production_owner_and_pin_dir(void **state)
{
	char path[256], err[CFG_ERRLEN], pin[256], want[512];
	struct ew_config *cfg;
	int r;

	(void)state;
	snprintf(pin, sizeof(pin), "%s/prod/pin", tmpdir);

	/* Missing pin directory: fine. 0700 and ours: fine. */
	rmdir(pin);
	r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
	if (r)
		fail_msg("no pin dir: %s", err);
	cfg_free(cfg);
	assert_int_equal(mkdir(pin, 0700), 0);
	r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
	if (r)
		fail_msg("pin dir 0700: %s", err);
	cfg_free(cfg);

	assert_int_equal(chmod(pin, 0755), 0);
	r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
	snprintf(want, sizeof(want), "pin directory %s has mode 0755; it must be 0700", pin);
	expect_error("pin 0755", r, path, err, 3, want);
	assert_int_equal(count_lines(err), 1);
	assert_int_equal(rmdir(pin), 0);

	/* A file or a symbolic link where the directory should be. */
	write_file("prod/pin", "", 0600, want, sizeof(want));
	r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
	expect_error("pin file", r, path, err, 3, "is a file, not a directory");
	unlink(pin);
	assert_int_equal(symlink("/tmp", pin), 0);
	r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
	expect_error("pin symlink", r, path, err, 3, "is a symbolic link, not a directory");
	unlink(pin);

	/* Owners: only root can hand files away; as anyone else that part is skipped. */
	if (geteuid() != 0) {
		print_message("SKIP wrong-owner fixtures: chown needs root\n");
		return;
	}
	assert_int_equal(mkdir(pin, 0700), 0);
	assert_int_equal(chown(pin, 65534, 65534), 0);
	r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
	expect_error("pin owner", r, path, err, 3, "is owned by uid 65534; it must belong to root");
	assert_int_equal(count_lines(err), 1);
	assert_int_equal(rmdir(pin), 0);

	{
		struct cfg_check_env env = test_env();
		char f[256];

		r = load_prod(&prod_ok, path, sizeof(path), err, &cfg);
		assert_int_equal(r, 0);
		snprintf(f, sizeof(f), "%s/prod/key.pem", tmpdir);
		assert_int_equal(chown(f, 65534, 0), 0);
		r = cfg_check_production_env(cfg, &env, err, sizeof(err));
		snprintf(want, sizeof(want), "TLS key %s is owned by uid 65534; it must belong to "
			 "root", f);
		expect_error("key owner", r, path, err, 6, want);
		assert_int_equal(count_lines(err), 1);

		/* As someone else's owner rule: every file is now wrongly owned. */
		env.owner = 12345;
		r = cfg_check_production_env(cfg, &env, err, sizeof(err));
		expect_error("owner 12345", r, path, err, 0, "must belong to uid 12345");
		cfg_free(cfg);
	}

	/* A config file handed to another user is refused at load. */
	{
		struct prod p = prod_ok;
		struct cfg_check_env env = test_env();

		r = load_prod(&p, path, sizeof(path), err, &cfg);
		assert_int_equal(r, 0);
		cfg_free(cfg);
		assert_int_equal(chown(path, 65534, 0), 0);
		r = cfg_load_env(path, &env, &cfg, err, sizeof(err));
		expect_error("config owner", r, path, err, 0, "config file");
		assert_non_null(strstr(err, "owned by uid 65534"));
	}
}

/* The secret from a file: one line, newline stripped, size and content checked. */
static void test_secret_file(void **state)
{
	char path[256], err[CFG_ERRLEN], f[256], yaml[512];
	struct ew_config *cfg;
	char *big;
	int r;

	(void)state;
	write_file("jwt.key", GOOD_SECRET "\r\n", 0600, f, sizeof(f));
	snprintf(yaml, sizeof(yaml), DEV "security:\n  authentication:\n    jwt:\n"
		 "      secret_file: %s\n", f);
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	if (r)
		fail_msg("secret_file: %s", err);
	assert_string_equal(cfg->jwt.secret, GOOD_SECRET);
	assert_string_equal(cfg->jwt.secret_file, f);
	cfg_free(cfg);

	write_file("jwt.key", "", 0600, f, sizeof(f));
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	expect_error("empty", r, path, err, 5, "it is empty");

	write_file("jwt.key", "line one\nline two\n", 0600, f, sizeof(f));
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	expect_error("two lines", r, path, err, 5, "must hold the secret on one line");

	big = malloc(5000);
	assert_non_null(big);
	memset(big, 'k', 4999);
	big[4999] = '\0';
	write_file("jwt.key", big, 0600, f, sizeof(f));
	free(big);
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	expect_error("big", r, path, err, 5, "holds more than 4096 bytes");

	snprintf(yaml, sizeof(yaml), DEV "security:\n  authentication:\n    jwt:\n"
		 "      secret_file: %s\n", tmpdir);
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	expect_error("directory", r, path, err, 5, "is not a regular file");
}

/* The response engine's sections: the defaults, a bearer file, the SIEM URL reused. */
static void test_response_sections(void **state)
{
	char path[256], err[CFG_ERRLEN], f[256], yaml[1024];
	struct ew_config *cfg, *again;
	struct cfg_check_env env = test_env();
	struct alert_conf ac;
	int r;

	(void)state;
	r = load_text(DEV, &cfg, path, sizeof(path), err);
	if (r)
		fail_msg("defaults: %s", err);
	/* The guide's three rules and monitors, sshd's auth.log. */
	assert_int_equal(cfg->response.n_rules, 3);
	assert_string_equal(cfg->response.rules[0].name, "Multiple Failed Logins");
	assert_int_equal(cfg->response.rules[0].count, 5);
	assert_int_equal(cfg->response.n_escalation, 4);
	assert_int_equal(cfg->response.burst_threshold, 5);
	assert_int_equal(cfg->sources.n_files, 1);
	assert_string_equal(cfg->sources.files[0].path, "/var/log/auth.log");
	assert_false(cfg->sources.journald);
	assert_true(cfg->alerts.syslog);
	assert_null(cfg->alerts.url);
	assert_int_equal(cfg->monitors.conn_threshold, 100);
	assert_int_equal(cfg->monitors.n_files, 4);
	cfg_free(cfg);

	/* A key file, the SIEM's URL from security.monitoring, everything given. */
	write_file("siem.key", "c2llbS1rZXk.abc-_~+/==\n", 0600, f, sizeof(f));
	snprintf(yaml, sizeof(yaml), DEV
		 "security:\n  monitoring: {siemIntegration: true, siemWebhook: "
		 "\"https://siem.example/api/alerts\"}\n"
		 "alerts:\n  syslog: false\n  webhook: {bearer_file: %s, timeout: 30s, retries: 5}\n"
		 "sources:\n  authlog:\n    - {path: /var/log/secure, service: [sshd, dovecot]}\n"
		 "  journald: {units: [ssh.service]}\n"
		 "  patterns:\n    - {name: dovecot, service: dovecot, event: failed_login, "
		 "regex: \"^auth failed: user=<(.*)>, rip=([^ ,]+)$\", user: 1, source: 2}\n"
		 "monitors:\n  connections: {threshold: 0}\n  files: [/etc/shadow]\n"
		 "  files_interval: 1h\n", f);
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	if (r)
		fail_msg("full: %s", err);
	assert_string_equal(cfg->alerts.url, "https://siem.example/api/alerts");
	assert_string_equal(cfg->alerts.bearer, "c2llbS1rZXk.abc-_~+/==");
	assert_int_equal(cfg->alerts.timeout_s, 30);
	assert_int_equal(cfg->alerts.retries, 5);
	cfg_alert_conf(cfg, &ac);
	assert_false(ac.syslog);
	assert_string_equal(ac.url, cfg->alerts.url);
	assert_string_equal(ac.bearer, cfg->alerts.bearer);
	assert_int_equal(cfg->sources.files[0].n_services, 2);
	assert_string_equal(cfg->sources.files[0].services[1], "dovecot");
	assert_true(cfg->sources.journald);
	assert_int_equal(cfg->sources.n_units, 1);
	assert_int_equal(cfg->sources.n_patterns, 1);
	assert_int_equal(cfg->sources.patterns[0].source_group, 2);
	assert_int_equal(cfg->monitors.conn_threshold, 0);
	assert_int_equal(cfg->monitors.n_files, 1);
	assert_int_equal(cfg->monitors.files_interval_s, 3600);
	{
		char *dump = NULL;
		size_t dlen = 0;
		FILE *o = open_memstream(&dump, &dlen);

		assert_non_null(o);
		assert_int_equal(cfg_dump(cfg, o), 0);
		fclose(o);
		if (strstr(dump, "c2llbS1rZXk"))
			fail_msg("the dump shows the bearer key:\n%s", dump);
		assert_non_null(strstr(dump, "\nresponse:\n"));
		assert_non_null(strstr(dump, "\nmonitors:\n"));
		free(dump);
	}
	/* A new key is a change to reload, though no dump shows it. */
	r = cfg_load_env(path, &env, &again, err, sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(cfg_diff(cfg, again), 0);
	cfg_free(again);
	write_file("siem.key", "b3RoZXIta2V5\n", 0600, f, sizeof(f));
	r = cfg_load_env(path, &env, &again, err, sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(cfg_diff(cfg, again), CFG_DIFF_ALERTS);
	cfg_free(again);
	cfg_free(cfg);

	/* A key that would break the header, and an empty one. */
	write_file("siem.key", "abc\r\nX-Evil: 1\n", 0600, f, sizeof(f));
	snprintf(yaml, sizeof(yaml), DEV "alerts:\n  webhook: {url: \"http://127.0.0.1:1/\", "
		 "bearer_file: %s}\n", f);
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	expect_error("bearer newline", r, path, err, 3, "must hold the key on one line");
	write_file("siem.key", "", 0600, f, sizeof(f));
	r = load_text(yaml, &cfg, path, sizeof(path), err);
	expect_error("bearer empty", r, path, err, 3, "it is empty");
}

/* ---- network and the reload diff ---- */

static void test_network_file(void **state)
{
	char path[256], err[CFG_ERRLEN], f[256], yaml[512];
	struct ew_config *a, *b;
	int r;

	(void)state;
	write_file("policy.yaml", "version: 1\nopen: [80/tcp]\nacl:\n  - port: 22/tcp\n"
		   "    from: [10.0.0.0/8]\n", 0600, f, sizeof(f));
	snprintf(yaml, sizeof(yaml), DEV "network: {file: %s}\n", f);
	r = load_text(yaml, &a, path, sizeof(path), err);
	if (r)
		fail_msg("network file: %s", err);
	assert_true(a->network.present);
	assert_string_equal(a->network.file, f);
	assert_int_equal(a->network.compiled.pol->tcp[22].acl_id, 1);

	/* The same policy inline: no network change, only where it came from. */
	r = load_text(DEV "network:\n  open: [80/tcp]\n  acl:\n    - {port: 22/tcp, "
		      "from: [10.0.0.0/8]}\n", &b, path, sizeof(path), err);
	if (r)
		fail_msg("inline: %s", err);
	assert_int_equal(cfg_diff(a, b), 0);
	cfg_free(b);

	/* An error inside the policy file names that file and its line. */
	write_file("policy.yaml", "version: 1\nopen: [80/tcp]\nallow: [10.0.0.0/33]\n", 0600, f,
		   sizeof(f));
	r = load_text(yaml, &b, path, sizeof(path), err);
	expect_error("policy file", r, path, err, 2, "network.file: ");
	snprintf(yaml, sizeof(yaml), "%s:3:", f);
	assert_non_null(strstr(err, yaml));

	/* A policy file must have its version; inline it is optional. */
	write_file("policy.yaml", "open: [80/tcp]\n", 0600, f, sizeof(f));
	snprintf(yaml, sizeof(yaml), DEV "network: {file: %s}\n", f);
	r = load_text(yaml, &b, path, sizeof(path), err);
	expect_error("version", r, path, err, 2, "missing version");
	cfg_free(a);
}

static void test_diff(void **state)
{
	static const char base[] = DEV
		"api: {listen: [\"127.0.0.1:8443\"]}\n"
		"security:\n  authentication:\n    mfa: {enabled: false}\n"
		"  authorization:\n    rbac:\n      roles:\n        ops: {level: 30}\n"
		"network:\n  open: [80/tcp, 443/tcp]\n  block:\n    - {cidr: 192.0.2.0/24}\n";
	static const struct {
		const char *name;
		const char *from, *to;
		unsigned int diff;
	} cases[] = {
		{ "nothing", "", "", 0 },
		{ "open port", "443/tcp]", "443/tcp, 8443/tcp]", CFG_DIFF_NETWORK },
		{ "open order", "[80/tcp, 443/tcp]", "[443/tcp, 80/tcp]", 0 },
		{ "block", "192.0.2.0/24", "198.51.100.0/24", CFG_DIFF_NETWORK },
		{ "mfa", "enabled: false", "enabled: true", CFG_DIFF_AUTH },
		{ "role level", "level: 30", "level: 31", CFG_DIFF_RBAC },
		{ "listener", "127.0.0.1:8443", "127.0.0.1:9443", CFG_DIFF_API },
		{ "metrics", "profile: development",
		  "profile: development\nmetrics: {enabled: false}", CFG_DIFF_METRICS },
		{ "response", "profile: development",
		  "profile: development\nresponse: {escalation: [2h]}", CFG_DIFF_RESPONSE },
		{ "never_block", "profile: development",
		  "profile: development\nresponse: {never_block: [10.0.0.0/8]}",
		  CFG_DIFF_RESPONSE },
		{ "sources", "profile: development",
		  "profile: development\nsources: {journald: true}", CFG_DIFF_SOURCES },
		{ "alerts", "profile: development",
		  "profile: development\nalerts: {syslog: false}", CFG_DIFF_ALERTS },
		{ "monitors", "profile: development",
		  "profile: development\nmonitors: {files: [/etc/passwd]}", CFG_DIFF_MONITORS },
		{ "burst", "profile: development",
		  "profile: development\nmonitors: {failed_logins: {threshold: 9, window: 5m}}",
		  CFG_DIFF_MONITORS },
	};
	char path[128], err[CFG_ERRLEN], text[1024];
	struct ew_config *a, *b;
	size_t i;

	(void)state;
	if (load_text(base, &a, path, sizeof(path), err))
		fail_msg("base: %s", err);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *at = *cases[i].from ? strstr(base, cases[i].from) : base;
		unsigned int d;

		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base), base, cases[i].to,
			 at + strlen(cases[i].from));
		if (load_text(text, &b, path, sizeof(path), err))
			fail_msg("%s: %s", cases[i].name, err);
		d = cfg_diff(a, b);
		if (d != cases[i].diff)
			fail_msg("%s: diff 0x%x, expected 0x%x", cases[i].name, d, cases[i].diff);
		assert_int_equal(cfg_diff(b, a), d);
		cfg_free(b);
	}
	/* A new secret is an auth change, even though the dump never shows it. */
	setenv("EW_T_S1", GOOD_SECRET, 1);
	snprintf(text, sizeof(text), "%ssecurity:\n  authentication:\n    jwt: {secret: "
		 "\"${EW_T_S1}\"}\n", DEV);
	cfg_free(a);
	if (load_text(text, &a, path, sizeof(path), err))
		fail_msg("s1: %s", err);
	setenv("EW_T_S1", GOOD_SECRET "x", 1);
	if (load_text(text, &b, path, sizeof(path), err))
		fail_msg("s2: %s", err);
	assert_int_equal(cfg_diff(a, b), CFG_DIFF_AUTH);
	cfg_free(a);
	cfg_free(b);
	unsetenv("EW_T_S1");
	assert_int_equal(cfg_diff(NULL, NULL), 0);
	cfg_free(NULL);
}

/* Hostile bytes: the loader must refuse, never crash or read outside the buffer. */
static void test_hostile(void **state)
{
	static const char *const texts[] = {
		DEV "\xff\xfe",
		DEV "security:\n  authentication:\n    jwt: {secret: \"\\x01\\x02\"}\n",
		DEV "daemon:\n  interfaces: [{name: \"\xc3\x28\"}]\n",
		DEV "api:\n  listen: [\"[\", \"]:1\", \"[]:1\", \":1\", \"1.2.3.4:\", "
		"\"1.2.3.4:65536\", \"[::1]:08443\"]\n",
		DEV "security:\n  authorization:\n    rbac:\n      roles:\n"
		"        ? [a]\n        : 1\n",
		DEV "security:\n  authorization:\n    rbac:\n      roles: [admin]\n",
		DEV "network:\n",
		DEV "security: ~\n",
		"profile: [development]\n",
		DEV "database:\n  conninfo: \"$${NOPE}${\"\n",
	};
	char path[128], err[CFG_ERRLEN];
	struct ew_config *cfg;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		r = load_text(texts[i], &cfg, path, sizeof(path), err);
		if (r == 0) {
			/* The control characters in a secret are the secret's business. */
			assert_int_equal(i, 1);
			cfg_free(cfg);
			continue;
		}
		if (r != -EINVAL)
			fail_msg("text %zu: %d %s", i, r, err);
		if (strncmp(err, path, strlen(path)))
			fail_msg("text %zu: message does not name the file: %s", i, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_development),
		cmocka_unit_test(test_development_guide),
		cmocka_unit_test(test_guide_auth_config),
		cmocka_unit_test(test_env_expansion),
		cmocka_unit_test(test_production_each),
		cmocka_unit_test(test_production_all),
		cmocka_unit_test(test_production_owner_and_pin_dir),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_response_sections),
		cmocka_unit_test(test_network_file),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
