// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's config file: YAML in (read into policy_doc's position-keeping
 * tree, so anchors, aliases and tags are refused the same way), a complete
 * struct ew_config out, or every error found with its FILE:LINE:COL.
 *
 * Each section is walked against a fixed schema. Unlike a policy file,
 * where the first error ends the load, a config error does not stop the
 * walk: the bad value keeps its default and the next key is read, so one
 * --check run lists everything that needs fixing. The production checks run
 * once the file is otherwise valid, because they judge values, not syntax.
 *
 * The effective configuration can be written back as YAML (cfg_dump); the
 * reload diff compares that text section by section, so a field added to a
 * section is diffed as soon as it is dumped.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <postgresql/libpq-fe.h>

#include "config.h"
#include "log.h"

/* security.authorization.rbac.roles.NAME.permissions[i].conditions.time_range.days[j]: 11. */
#define CFG_MAX_DEPTH		16
#define MAX_KEYS		16
#define MSG_LEN			512
#define SECRET_FILE_MAX		4096
#define SECRET_MIN_LEN		32
#define MAX_LISTEN		16
#define MAX_IFACES		64
#define MAX_ROLES		64
#define MAX_PERMS		256
#define MAX_COND_ITEMS		1024
#define ATTR_VALUE_MAX		256
#define LOCATION_MAX		64

/* The guide's development secret, accepted only in development. */
static const char dev_secret[] = "dev-jwt-secret-key-change-in-production";

struct ctx {
	const char *file;
	char *err;
	size_t errlen, off;
	unsigned int nerr;
	int fatal;			/* -ENOMEM: stop walking */
	const struct cfg_check_env *env;
	struct ew_config *cfg;
	FILE *warn;
	/* Which defaults were overridden, for values derived from others. */
	bool journal_set, users_set;
	/* Text from another store (PostgreSQL): no ${VAR} expansion, ever. */
	bool literal;
};

/* ---- messages ---- */

static void append_line(struct ctx *x, const char *line)
{
	int n;

	if (!x->err || !x->errlen || x->off >= x->errlen - 1)
		return;
	n = snprintf(x->err + x->off, x->errlen - x->off, "%s%s", x->off ? "\n" : "", line);
	if (n > 0)
		x->off += (size_t)n;
	if (x->off >= x->errlen)
		x->off = x->errlen - 1;
}

/* One more error; past CFG_MAX_ERRORS they are only counted. */
static void add_line(struct ctx *x, const char *line)
{
	if (++x->nerr <= CFG_MAX_ERRORS)
		append_line(x, line);
}

static void vadd(struct ctx *x, int line, int col, const char *fmt, va_list ap)
{
	char msg[MSG_LEN], full[MSG_LEN + PATH_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d:%d: %s", x->file, line, col, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", x->file, msg);
	add_line(x, full);
}

/* An error at node n (NULL: the file as a whole). Returns -EINVAL for the caller to pass on. */
static int cerr(struct ctx *x, const struct ew_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int cerr(struct ctx *x, const struct ew_ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(x, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int perr(struct ctx *x, struct cfg_pos p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int perr(struct ctx *x, struct cfg_pos p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(x, p.line, p.col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void cwarn(struct ctx *x, const struct ew_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cwarn(struct ctx *x, const struct ew_ynode *n, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	if (!x->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		fprintf(x->warn, "%s:%d:%d: warning: %s\n", x->file, n->line, n->col, msg);
	else
		fprintf(x->warn, "%s: warning: %s\n", x->file, msg);
}

static int nomem(struct ctx *x)
{
	x->fatal = -ENOMEM;
	return -ENOMEM;
}

/* Close the list: the count of errors left out, no trailing newline. */
static void finish_errors(struct ctx *x)
{
	char line[128];

	if (x->nerr > CFG_MAX_ERRORS) {
		unsigned int more = x->nerr - CFG_MAX_ERRORS;

		snprintf(line, sizeof(line), "%s: ... and %u more error%s", x->file, more,
			 more == 1 ? "" : "s");
		append_line(x, line);
	}
}

static struct cfg_pos pos_of(const struct ew_ynode *n)
{
	struct cfg_pos p = { 0, 0 };

	if (n) {
		p.line = n->line;
		p.col = n->col;
	}
	return p;
}

/* ---- schema helpers ---- */

static const char *got(const struct ew_ynode *n)
{
	if (ew_ynode_is_null(n))
		return "nothing";
	if (n->type == EW_Y_SCALAR)
		return "a single value";
	return n->type == EW_Y_SEQ ? "a list" : "a mapping";
}

static int want(struct ctx *x, const struct ew_ynode *n, enum ew_ytype t, const char *path)
{
	static const char *const names[] = { "a value", "a list", "a mapping of keys" };

	if (n->type == t && !ew_ynode_is_null(n))
		return 0;
	return cerr(x, n, "%s: expected %s, got %s", path, names[t], got(n));
}

/*
 * m must be a mapping (else -EINVAL); its keys must be in keys[], each at
 * most once. Bad keys are reported and skipped, so the good ones are still
 * read. vals[i] is the value of keys[i] or NULL.
 */
static int fields(struct ctx *x, const struct ew_ynode *m, const char *path,
		  const char *const *keys, size_t nkeys, const struct ew_ynode **vals)
{
	const struct ew_ynode *keyn[MAX_KEYS] = { 0 };
	char q[EW_QUOTE_LEN], list[MSG_LEN / 2];
	size_t i, j, o = 0;
	int r;

	for (j = 0; j < nkeys; j++) {
		vals[j] = NULL;
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", j ? ", " : "",
					      keys[j]);
	}
	r = want(x, m, EW_Y_MAP, path);
	if (r)
		return r;
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ew_ynode *k = m->kids[i];

		if (k->type != EW_Y_SCALAR) {
			cerr(x, k, "%s: keys must be plain words", path);
			continue;
		}
		for (j = 0; j < nkeys; j++)
			if (!strcmp(k->str, keys[j]))
				break;
		if (j == nkeys) {
			cerr(x, k, "%s: unknown key %s (expected %s)", path,
			     ew_quote(k->str, q, sizeof(q)), list);
			continue;
		}
		if (keyn[j]) {
			cerr(x, k, "%s: duplicate key \"%s\" (first at line %d)", path, keys[j],
			     keyn[j]->line);
			continue;
		}
		keyn[j] = k;
		vals[j] = m->kids[i + 1];
	}
	return 0;
}

/* A path for messages; long ones are cut, which only shortens a message. */
static const char *pfmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *pfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

static const char *join(char *buf, size_t len, const char *path, const char *key)
{
	return pfmt(buf, len, "%s%s%s", path, *path ? "." : "", key);
}

static int g_bool(struct ctx *x, const struct ew_ynode *n, const char *path, bool *out)
{
	char q[EW_QUOTE_LEN];
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	if (n->plain && (!strcmp(n->str, "true") || !strcmp(n->str, "false"))) {
		*out = n->str[0] == 't';
		return 0;
	}
	return cerr(x, n, "%s: expected true or false, got %s%s", path,
		    n->plain ? "" : "the string ", ew_quote(n->str, q, sizeof(q)));
}

static int g_u64(struct ctx *x, const struct ew_ynode *n, const char *path, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	char e[EW_ERRLEN];
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	if (!n->plain)
		return cerr(x, n, "%s: expected a number, got a quoted string", path);
	if (ew_u64_parse(n->str, min, max, out, e, sizeof(e)))
		return cerr(x, n, "%s: %s", path, e);
	return 0;
}

static int g_u32(struct ctx *x, const struct ew_ynode *n, const char *path, uint32_t min,
		 uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r;

	r = g_u64(x, n, path, min, max, &v);
	if (!r)
		*out = (uint32_t)v;
	return r;
}

/* "90d", "1h30m", "never": days at most, as the guide writes them (not weeks). */
static const char *dur(uint64_t s, char *buf, size_t len)
{
	static const struct { uint64_t s; char u; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i, o = 0;

	if (!s) {
		snprintf(buf, len, "never");
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < 4 && o < len; i++) {
		if (s < units[i].s)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%llu%c",
				      (unsigned long long)(s / units[i].s), units[i].u);
		s %= units[i].s;
	}
	return buf;
}

#define DUR_MS		0x1u	/* a bare number is milliseconds (the guide's unit there) */
#define DUR_NEVER	0x2u	/* "never" is allowed and gives 0 */

static int g_dur(struct ctx *x, const struct ew_ynode *n, const char *path, unsigned int flags,
		 uint64_t min_s, uint64_t max_s, uint64_t *out_s)
{
	char e[EW_ERRLEN], a[32], b[32], q[EW_QUOTE_LEN];
	uint64_t v, s;
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	if (n->plain && n->str[0] >= '0' && n->str[0] <= '9' &&
	    strspn(n->str, "0123456789") == strlen(n->str)) {
		if (!(flags & DUR_MS))
			return cerr(x, n, "%s: %s has no unit; write e.g. 30s, 30m, 1h or 90d%s",
				    path, ew_quote(n->str, q, sizeof(q)),
				    !strcmp(n->str, "7776000") ?
					    " (the guide's 7776000 is 90 days in seconds: 90d)" :
					    "");
		if (ew_u64_parse(n->str, 1, UINT64_MAX / 1000, &v, e, sizeof(e)))
			return cerr(x, n, "%s: %s (milliseconds)", path, e);
		if (v % 1000)
			return cerr(x, n, "%s: %s milliseconds is not a whole number of seconds",
				    path, n->str);
		s = v / 1000;
	} else {
		if (!strcmp(n->str, "never")) {
			if (!(flags & DUR_NEVER))
				return cerr(x, n, "%s: \"never\" is not allowed here", path);
			*out_s = 0;
			return 0;
		}
		if (ew_duration_parse(n->str, &v, e, sizeof(e))) {
			/* parse.h suggests "never" for zero, which only some keys take. */
			if (!(flags & DUR_NEVER) && strstr(e, "zero duration"))
				return cerr(x, n, "%s: %s: zero duration", path,
					    ew_quote(n->str, q, sizeof(q)));
			return cerr(x, n, "%s: %s", path, e);
		}
		s = v / 1000000000ULL;
	}
	if (s < min_s || s > max_s) {
		dur(min_s, a, sizeof(a));
		dur(max_s, b, sizeof(b));
		return cerr(x, n, "%s: %s out of range %s..%s", path,
			    ew_quote(n->str, q, sizeof(q)), a, b);
	}
	*out_s = s;
	return 0;
}

static int g_dur32(struct ctx *x, const struct ew_ynode *n, const char *path, unsigned int flags,
		   uint32_t min_s, uint32_t max_s, uint32_t *out_s)
{
	uint64_t v;
	int r;

	r = g_dur(x, n, path, flags, min_s, max_s, &v);
	if (!r)
		*out_s = (uint32_t)v;
	return r;
}

/* Offset of the first C0 control character or DEL, or -1. */
static long ctl_at(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (long)i;
	return -1;
}

/*
 * "${VAR}" from the environment, "$$" a literal "$"; any other "$" stays.
 * *out is malloc'd.
 */
static int expand(struct ctx *x, const struct ew_ynode *n, const char *path, const char *in,
		  char **out)
{
	char *buf = NULL, q[EW_QUOTE_LEN];
	size_t len = 0;
	FILE *f;
	int r = 0;

	*out = NULL;
	if (x->literal) {
		*out = strdup(in);
		return *out ? 0 : nomem(x);
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return nomem(x);
	while (*in) {
		const char *end, *val;
		char name[128];
		size_t nl;

		if (in[0] != '$' || (in[1] != '{' && in[1] != '$')) {
			fputc(*in++, f);
			continue;
		}
		if (in[1] == '$') {
			fputc('$', f);
			in += 2;
			continue;
		}
		end = strchr(in + 2, '}');
		if (!end) {
			r = cerr(x, n, "%s: \"${\" without a closing \"}\" (write $$ for a "
				 "literal $)", path);
			break;
		}
		nl = (size_t)(end - (in + 2));
		if (!nl || nl >= sizeof(name) || !(isalpha((unsigned char)in[2]) || in[2] == '_') ||
		    strspn(in + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_") != nl) {
			snprintf(name, sizeof(name), "%.*s", (int)(end - in + 1), in);
			r = cerr(x, n, "%s: %s is not a variable reference (${NAME}, NAME of "
				 "letters, digits and _)", path, ew_quote(name, q, sizeof(q)));
			break;
		}
		memcpy(name, in + 2, nl);
		name[nl] = '\0';
		val = getenv(name);
		if (!val) {
			r = cerr(x, n, "%s: environment variable %s is not set", path, name);
			break;
		}
		fputs(val, f);
		in = end + 1;
	}
	if (fclose(f) || !buf) {
		free(buf);
		return r ? r : nomem(x);
	}
	if (r) {
		explicit_bzero(buf, len);
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

#define STR_EMPTY	0x1u	/* "" is a value */
#define STR_CTL		0x2u	/* control characters are fine (secrets, conninfo) */

/* A string value, environment-expanded; replaces *out (which is freed). */
static int g_str(struct ctx *x, const struct ew_ynode *n, const char *path, unsigned int flags,
		 char **out)
{
	char *s;
	long c;
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	r = expand(x, n, path, n->str, &s);
	if (r)
		return r;
	if (!*s && !(flags & STR_EMPTY)) {
		free(s);
		return cerr(x, n, "%s: empty value%s", path,
			    strstr(n->str, "${") ? " (the environment variable is empty)" : "");
	}
	if (!(flags & STR_CTL) && (c = ctl_at(s)) >= 0) {
		free(s);
		return cerr(x, n, "%s: control character at byte %ld", path, c + 1);
	}
	if (*out)
		explicit_bzero(*out, strlen(*out));
	free(*out);
	*out = s;
	return 0;
}

static int g_path(struct ctx *x, const struct ew_ynode *n, const char *path, char **out)
{
	char *s = NULL, q[EW_QUOTE_LEN];
	int r;

	r = g_str(x, n, path, 0, &s);
	if (r)
		return r;
	if (s[0] != '/') {
		r = cerr(x, n, "%s: %s is not an absolute path", path, ew_quote(s, q, sizeof(q)));
		free(s);
		return r;
	}
	if (strlen(s) >= PATH_MAX / 2) {
		free(s);
		return cerr(x, n, "%s: path too long", path);
	}
	free(*out);
	*out = s;
	return 0;
}

/* One of words[]; *idx gets its index. */
static int g_word(struct ctx *x, const struct ew_ynode *n, const char *path,
		  const char *const *words, size_t nwords, int *idx)
{
	char q[EW_QUOTE_LEN], list[128];
	size_t i, o = 0;
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	for (i = 0; i < nwords; i++) {
		if (!strcmp(n->str, words[i])) {
			*idx = (int)i;
			return 0;
		}
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
					      i == 0 ? "" : i + 1 == nwords ? " or " : ", ",
					      words[i]);
	}
	return cerr(x, n, "%s: %s is not %s%s", path, ew_quote(n->str, q, sizeof(q)),
		    nwords > 1 ? "one of " : "", list);
}

static int g_list(struct ctx *x, const struct ew_ynode *n, const char *path, size_t max)
{
	int r;

	r = want(x, n, EW_Y_SEQ, path);
	if (r)
		return r;
	if (n->n > max)
		return cerr(x, n, "%s: more than %zu items", path, max);
	return 0;
}

/* "192.0.2.1:8443" or "[2001:db8::1]:8443": literal addresses only, no names to resolve. */
static int listen_parse(const char *s, struct cfg_listen *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1], q[EW_QUOTE_LEN];
	const char *colon;
	uint64_t port;
	size_t hl;
	bool v6;

	memset(out, 0, sizeof(*out));
	v6 = s[0] == '[';
	if (v6) {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			goto bad;
		colon = rb + 1;
		hl = (size_t)(rb - (s + 1));
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			goto bad;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (ew_u64_parse(colon + 1, 1, 65535, &port, NULL, 0)) {
		snprintf(err, errlen, "%s: port must be 1..65535", ew_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->addr;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		out->addrlen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&out->addr;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		out->addrlen = sizeof(*a);
	}
	if (strlen(s) >= sizeof(out->text))
		goto bad;
	strcpy(out->text, s);
	return 0;
bad:
	snprintf(err, errlen, "%s: expected ADDRESS:PORT with a literal address, e.g. "
		 "0.0.0.0:8443 or [::]:8443", ew_quote(s, q, sizeof(q)));
	return -EINVAL;
}

static int g_listen(struct ctx *x, const struct ew_ynode *n, const char *path,
		    struct cfg_listen *out)
{
	char e[EW_ERRLEN], *s = NULL;
	int r;

	r = g_str(x, n, path, 0, &s);
	if (r)
		return r;
	r = listen_parse(s, out, e, sizeof(e));
	free(s);
	if (r)
		return cerr(x, n, "%s: %s", path, e);
	return 0;
}

static bool listen_is_loopback(const struct cfg_listen *l)
{
	if (l->addr.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&l->addr)->sin_addr.s_addr) >> 24) ==
		       127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&l->addr)->sin6_addr);
}

/* path under the check environment's root. */
static const char *rooted(const struct cfg_check_env *env, const char *path, char *buf,
			  size_t len)
{
	if (!env || !env->root || !*env->root)
		return path;
	snprintf(buf, len, "%s%s", env->root, path);
	return buf;
}

/* ---- defaults ---- */

static int sdup(char **dst, const char *src)
{
	free(*dst);
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int role_ref_set(struct ew_config *c, const char *const *names, size_t n)
{
	size_t i;

	free(c->mfa.required);
	c->mfa.n_required = 0;
	c->mfa.required = calloc(n, sizeof(*c->mfa.required));
	if (!c->mfa.required)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		strcpy(c->mfa.required[i].name, names[i]);
	c->mfa.n_required = n;
	return 0;
}

/* sources: sshd in the Debian syslog file; journald units for when it is turned on. */
static int sources_defaults(struct ew_config *c)
{
	struct authlog_conf *s = &c->sources;

	authlog_conf_release(s);
	s->files = calloc(1, sizeof(*s->files));
	if (!s->files || !(s->files[0].path = strdup("/var/log/auth.log")))
		return -ENOMEM;
	snprintf(s->files[0].services[0], AUTHLOG_SERVICE_LEN, "sshd");
	s->files[0].n_services = 1;
	s->n_files = 1;
	snprintf(s->units[0], sizeof(s->units[0]), "ssh.service");
	snprintf(s->units[1], sizeof(s->units[1]), "sshd.service");
	s->n_units = 2;
	return 0;
}

/* The guide's blocks: development for convenience, production for safety. */
static int set_defaults(struct ew_config *c, enum cfg_profile p)
{
	static const char *const req_prod[] = { "admin", "financial", "manager" };
	static const char *const req_dev[] = { "admin", "financial" };
	bool prod = p == CFG_PRODUCTION;
	int r = 0;

	c->profile = p;
	r |= sdup(&c->daemon.pin_dir, "/sys/fs/bpf/edgeward");
	r |= sdup(&c->daemon.state_dir, "/var/lib/edgeward");
	r |= sdup(&c->daemon.journal, "/var/lib/edgeward/journal");
	r |= sdup(&c->daemon.users_file, "/var/lib/edgeward/users.json");
	r |= sdup(&c->daemon.pid_file, "/run/edgeward/edgewardd.pid");
	r |= sdup(&c->api.unix_socket, "/run/edgeward/api.sock");
	c->api.tls = prod;
	c->api.header_bytes = 8192;
	c->api.headers = 64;
	c->api.body_bytes = 1 << 20;
	c->api.header_timeout_s = 10;
	c->api.idle_timeout_s = 60;
	c->api.max_conns = 1024;
	c->api.max_conns_per_source = 32;
	c->api.rl_api = (struct cfg_rate){ .rate = 10, .period_s = 1, .burst = 20 };
	c->api.rl_login = (struct cfg_rate){ .rate = 3, .period_s = 60, .burst = 5 };
	c->metrics.enabled = true;
	listen_parse("127.0.0.1:9447", &c->metrics.listen, NULL, 0);

	c->jwt.expires_s = prod ? 3600 : 8 * 3600;
	c->jwt.refresh_expires_s = 7 * 86400;
	r |= sdup(&c->jwt.issuer, "edgeward");
	r |= sdup(&c->jwt.audience, "edgeward-api");
	strcpy(c->jwt.algorithm, "HS256");
	c->session.secure = prod;
	c->session.http_only = true;
	c->session.same_site = prod ? CFG_SAMESITE_STRICT : CFG_SAMESITE_LAX;
	c->session.max_age_s = 3600;
	c->session.rolling = true;
	c->mfa.enabled = prod;
	c->mfa.methods = CFG_MFA_TOTP;
	if (!r)
		r = prod ? role_ref_set(c, req_prod, 3) : role_ref_set(c, req_dev, 2);
	c->password.min_length = 12;
	c->password.upper = c->password.lower = c->password.numbers = true;
	c->password.special = true;
	c->password.prevent_reuse = 5;
	c->password.max_age_s = 90 * 86400;
	c->password.common = true;
	c->lockout.max_attempts = 5;
	c->lockout.duration_s = 1800;
	c->lockout.progressive_delay = true;
	c->lockout.hard_lock_after = 3;
	c->rbac.strict = prod;
	c->rbac.debug = !prod;
	c->rbac.audit_all = prod;
	c->encryption.enabled = prod;
	strcpy(c->encryption.algorithm, "aes-256-gcm");
	c->encryption.key_rotation_days = 90;
	c->monitoring.audit_level = prod ? CFG_AUDIT_COMPREHENSIVE : CFG_AUDIT_MINIMAL;
	c->monitoring.alerting = prod;
	c->monitoring.realtime = prod;
	c->monitoring.siem = false;
	c->monitoring.risk_alert_threshold = 75;
	respond_conf_defaults(&c->response);
	c->database.rbac = true;
	c->database.resync_interval_s = 300;
	c->database.response_rules = true;
	r |= sources_defaults(c);
	c->alerts.syslog = true;
	c->alerts.timeout_s = 10;
	c->alerts.retries = 3;
	monitor_conf_release(&c->monitors);
	r |= monitor_conf_defaults(&c->monitors);
	return r ? -ENOMEM : 0;
}

/* ---- daemon ---- */

/* The kernel's dev_valid_name: 1..15 bytes, not "." or "..", no '/', ':' or white space. */
static bool ifname_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) ||
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void walk_ifaces(struct ctx *x, const struct ew_ynode *s)
{
	static const char *const keys[] = { "name", "mode" };
	static const char *const modes[] = { "auto", "native", "skb" };
	static const enum ew_xdp_mode mode_val[] = { EW_MODE_AUTO, EW_MODE_NATIVE, EW_MODE_SKB };
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char path[64], p2[96], q[EW_QUOTE_LEN];
	size_t i, j;

	if (g_list(x, s, "daemon.interfaces", MAX_IFACES) || !s->n)
		return;
	c->daemon.ifaces = calloc(s->n, sizeof(*c->daemon.ifaces));
	if (!c->daemon.ifaces) {
		nomem(x);
		return;
	}
	for (i = 0; i < s->n; i++) {
		struct cfg_iface *f = &c->daemon.ifaces[c->daemon.n_ifaces];
		int mode = 0;

		pfmt(path, sizeof(path), "daemon.interfaces[%zu]", i);
		if (fields(x, s->kids[i], path, keys, 2, v))
			continue;
		if (!v[0]) {
			cerr(x, s->kids[i], "%s: missing key \"name\"", path);
			continue;
		}
		if (want(x, v[0], EW_Y_SCALAR, join(p2, sizeof(p2), path, "name")))
			continue;
		if (!ifname_ok(v[0]->str)) {
			cerr(x, v[0], "%s: %s is not an interface name", p2,
			     ew_quote(v[0]->str, q, sizeof(q)));
			continue;
		}
		for (j = 0; j < c->daemon.n_ifaces; j++)
			if (!strcmp(c->daemon.ifaces[j].name, v[0]->str))
				break;
		if (j < c->daemon.n_ifaces) {
			cerr(x, v[0], "%s: interface %s is listed twice", p2, v[0]->str);
			continue;
		}
		if (v[1] && g_word(x, v[1], join(p2, sizeof(p2), path, "mode"), modes, 3, &mode))
			continue;
		strcpy(f->name, v[0]->str);
		f->mode = mode_val[mode];
		c->daemon.n_ifaces++;
	}
}

static void walk_daemon(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "pin_dir",	"state_dir", "journal",
					    "users_file", "pid_file",  "interfaces" };
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];

	c->at[CFG_AT_PIN_DIR] = c->at[CFG_AT_USERS_FILE] = pos_of(m);
	if (fields(x, m, "daemon", keys, 6, v))
		return;
	if (v[0] && !g_path(x, v[0], "daemon.pin_dir", &c->daemon.pin_dir))
		c->at[CFG_AT_PIN_DIR] = pos_of(v[0]);
	if (v[1])
		g_path(x, v[1], "daemon.state_dir", &c->daemon.state_dir);
	if (v[2] && !g_path(x, v[2], "daemon.journal", &c->daemon.journal))
		x->journal_set = true;
	if (v[3] && !g_path(x, v[3], "daemon.users_file", &c->daemon.users_file)) {
		x->users_set = true;
		c->at[CFG_AT_USERS_FILE] = pos_of(v[3]);
	}
	if (v[4])
		g_path(x, v[4], "daemon.pid_file", &c->daemon.pid_file);
	if (v[5])
		walk_ifaces(x, v[5]);
}

/* ---- api, metrics ---- */

static void walk_listen(struct ctx *x, const struct ew_ynode *s)
{
	struct ew_config *c = x->cfg;
	char path[64];
	size_t i, j;

	c->at[CFG_AT_LISTEN] = pos_of(s);
	if (g_list(x, s, "api.listen", MAX_LISTEN) || !s->n)
		return;
	c->api.listen = calloc(s->n, sizeof(*c->api.listen));
	if (!c->api.listen) {
		nomem(x);
		return;
	}
	for (i = 0; i < s->n; i++) {
		struct cfg_listen *l = &c->api.listen[c->api.n_listen];

		pfmt(path, sizeof(path), "api.listen[%zu]", i);
		if (g_listen(x, s->kids[i], path, l))
			continue;
		for (j = 0; j < c->api.n_listen; j++)
			if (c->api.listen[j].addrlen == l->addrlen &&
			    !memcmp(&c->api.listen[j].addr, &l->addr, l->addrlen))
				break;
		if (j < c->api.n_listen) {
			cerr(x, s->kids[i], "%s: %s is listed twice", path, l->text);
			continue;
		}
		c->api.n_listen++;
	}
}

static void walk_tls(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "enabled", "cert", "key" };
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];

	c->at[CFG_AT_TLS_ENABLED] = c->at[CFG_AT_TLS_KEY] = pos_of(m);
	if (fields(x, m, "api.tls", keys, 3, v))
		return;
	if (v[0] && !g_bool(x, v[0], "api.tls.enabled", &c->api.tls))
		c->at[CFG_AT_TLS_ENABLED] = pos_of(v[0]);
	if (v[1])
		g_path(x, v[1], "api.tls.cert", &c->api.tls_cert);
	if (v[2] && !g_path(x, v[2], "api.tls.key", &c->api.tls_key))
		c->at[CFG_AT_TLS_KEY] = pos_of(v[2]);
}

static void walk_limits(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "header_bytes", "headers",	     "body_bytes",
					    "header_timeout", "idle_timeout", "max_conns",
					    "max_conns_per_source" };
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];

	if (fields(x, m, "api.limits", keys, 7, v))
		return;
	if (v[0])
		g_u32(x, v[0], "api.limits.header_bytes", 1024, 65536, &c->api.header_bytes);
	if (v[1])
		g_u32(x, v[1], "api.limits.headers", 8, 256, &c->api.headers);
	if (v[2])
		g_u32(x, v[2], "api.limits.body_bytes", 1024, 64 << 20, &c->api.body_bytes);
	if (v[3])
		g_dur32(x, v[3], "api.limits.header_timeout", 0, 1, 300, &c->api.header_timeout_s);
	if (v[4])
		g_dur32(x, v[4], "api.limits.idle_timeout", 0, 1, 3600, &c->api.idle_timeout_s);
	if (v[5])
		g_u32(x, v[5], "api.limits.max_conns", 1, 65536, &c->api.max_conns);
	if (v[6] && !g_u32(x, v[6], "api.limits.max_conns_per_source", 1, 65536,
			   &c->api.max_conns_per_source) &&
	    c->api.max_conns_per_source > c->api.max_conns)
		cerr(x, v[6], "api.limits.max_conns_per_source: %u is more than max_conns (%u)",
		     c->api.max_conns_per_source, c->api.max_conns);
}

static void walk_rate(struct ctx *x, const struct ew_ynode *m, const char *path,
		      struct cfg_rate *out)
{
	static const char *const keys[] = { "rate", "burst" };
	const struct ew_ynode *v[MAX_KEYS];
	struct cfg_rate rt = *out;
	char p2[96], e[EW_ERRLEN];
	int bad = 0;

	if (fields(x, m, path, keys, 2, v))
		return;
	if (v[0]) {
		join(p2, sizeof(p2), path, "rate");
		bad |= want(x, v[0], EW_Y_SCALAR, p2);
		if (!bad && ew_rate_parse(v[0]->str, &rt.rate, &rt.period_s, e, sizeof(e)))
			bad = cerr(x, v[0], "%s: %s", p2, e);
	}
	if (v[1])
		bad |= g_u32(x, v[1], join(p2, sizeof(p2), path, "burst"), 1, 10000, &rt.burst);
	if (!bad)
		*out = rt;
}

static void walk_rate_limits(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "api", "login" };
	const struct ew_ynode *v[MAX_KEYS];

	if (fields(x, m, "api.rate_limits", keys, 2, v))
		return;
	if (v[0])
		walk_rate(x, v[0], "api.rate_limits.api", &x->cfg->api.rl_api);
	if (v[1])
		walk_rate(x, v[1], "api.rate_limits.login", &x->cfg->api.rl_login);
}

static void walk_api(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "unix_socket", "listen", "tls", "limits",
					    "rate_limits" };
	const struct ew_ynode *v[MAX_KEYS];

	x->cfg->at[CFG_AT_TLS_ENABLED] = x->cfg->at[CFG_AT_TLS_KEY] = pos_of(m);
	if (fields(x, m, "api", keys, 5, v))
		return;
	if (v[0])
		g_path(x, v[0], "api.unix_socket", &x->cfg->api.unix_socket);
	if (v[1])
		walk_listen(x, v[1]);
	if (v[2])
		walk_tls(x, v[2]);
	if (v[3])
		walk_limits(x, v[3]);
	if (v[4])
		walk_rate_limits(x, v[4]);
}

static void walk_metrics(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "enabled", "listen" };
	const struct ew_ynode *v[MAX_KEYS];
	struct cfg_listen l;

	if (fields(x, m, "metrics", keys, 2, v))
		return;
	if (v[0])
		g_bool(x, v[0], "metrics.enabled", &x->cfg->metrics.enabled);
	if (v[1] && !g_listen(x, v[1], "metrics.listen", &l))
		x->cfg->metrics.listen = l;
}

/* ---- security.authentication ---- */

/*
 * A one-line secret file (the JWT secret, the webhook's bearer key) into buf
 * (SECRET_FILE_MAX + 2 bytes), its final newline (and CR) stripped; *st is
 * the file as read. 0, or -1 with the error reported against node n.
 */
static int read_line_file(struct ctx *x, const struct ew_ynode *n, const char *path,
			  const char *name, char *buf, size_t *lenp, struct stat *st)
{
	char rb[PATH_MAX];
	const char *file = rooted(x->env, name, rb, sizeof(rb));
	size_t len = 0;
	ssize_t got;
	int fd, rc = -1;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cerr(x, n, "%s: %s: %s", path, name, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		cerr(x, n, "%s: %s is not a regular file", path, name);
		goto out;
	}
	while (len < SECRET_FILE_MAX + 2) {
		got = read(fd, buf + len, SECRET_FILE_MAX + 2 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			cerr(x, n, "%s: %s: read: %s", path, name, strerror(errno));
			goto out;
		}
		if (!got)
			break;
		len += (size_t)got;
	}
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	*lenp = len;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* The JWT secret from a file: one line, its newline stripped. */
static void read_secret(struct ctx *x, const struct ew_ynode *n, const char *path)
{
	struct ew_config *c = x->cfg;
	char buf[SECRET_FILE_MAX + 2];
	struct stat st;
	size_t len;

	if (read_line_file(x, n, path, c->jwt.secret_file, buf, &len, &st))
		goto out;
	if (len > SECRET_FILE_MAX) {
		cerr(x, n, "%s: %s holds more than %d bytes; a secret is one line", path,
		     c->jwt.secret_file, SECRET_FILE_MAX);
		goto out;
	}
	if (!len || memchr(buf, '\0', len) || memchr(buf, '\n', len)) {
		cerr(x, n, "%s: %s must hold the secret on one line (no NUL bytes)%s", path,
		     c->jwt.secret_file, len ? "" : "; it is empty");
		goto out;
	}
	c->jwt.secret = malloc(len + 1);
	if (!c->jwt.secret) {
		nomem(x);
		goto out;
	}
	memcpy(c->jwt.secret, buf, len);
	c->jwt.secret[len] = '\0';
	c->jwt.secret_len = len;
	c->jwt.secret_st = st;
out:
	explicit_bzero(buf, sizeof(buf));
}

static void walk_jwt(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "secret", "secret_file", "expiresIn",
					    "refreshExpiresIn", "issuer", "audience",
					    "algorithm" };
	static const char *const P = "security.authentication.jwt";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96], q[EW_QUOTE_LEN];

	c->at[CFG_AT_JWT] = pos_of(m);
	if (fields(x, m, P, keys, 7, v))
		return;
	if (v[0] && v[1]) {
		cerr(x, v[1], "%s: give secret or secret_file, not both (secret at line %d)", P,
		     v[0]->line);
	} else if (v[0]) {
		c->at[CFG_AT_JWT_SECRET] = pos_of(v[0]);
		if (!g_str(x, v[0], join(p2, sizeof(p2), P, "secret"), STR_CTL, &c->jwt.secret))
			c->jwt.secret_len = strlen(c->jwt.secret);
	} else if (v[1]) {
		c->at[CFG_AT_JWT_SECRET] = c->at[CFG_AT_JWT_SECRET_FILE] = pos_of(v[1]);
		if (!g_path(x, v[1], join(p2, sizeof(p2), P, "secret_file"), &c->jwt.secret_file))
			read_secret(x, v[1], p2);
	}
	if (v[2])
		g_dur32(x, v[2], join(p2, sizeof(p2), P, "expiresIn"), 0, 60, 86400,
			&c->jwt.expires_s);
	if (v[3])
		g_dur32(x, v[3], join(p2, sizeof(p2), P, "refreshExpiresIn"), 0, 3600,
			90 * 86400, &c->jwt.refresh_expires_s);
	if (v[4] && !g_str(x, v[4], join(p2, sizeof(p2), P, "issuer"), 0, &c->jwt.issuer) &&
	    strlen(c->jwt.issuer) > 255)
		cerr(x, v[4], "%s: longer than 255 bytes", p2);
	if (v[5] && !g_str(x, v[5], join(p2, sizeof(p2), P, "audience"), 0, &c->jwt.audience) &&
	    strlen(c->jwt.audience) > 255)
		cerr(x, v[5], "%s: longer than 255 bytes", p2);
	if (v[6] && !want(x, v[6], EW_Y_SCALAR, join(p2, sizeof(p2), P, "algorithm")) &&
	    strcmp(v[6]->str, "HS256"))
		cerr(x, v[6], "%s: %s is not supported (edgeward signs its tokens with HS256%s)",
		     p2, ew_quote(v[6]->str, q, sizeof(q)),
		     strcasecmp(v[6]->str, "none") ? "" :
						     "; \"none\" would accept unsigned tokens");
	if ((v[2] || v[3]) && c->jwt.refresh_expires_s <= c->jwt.expires_s)
		cerr(x, v[3] ? v[3] : v[2],
		     "%s: refreshExpiresIn (%us) must be longer than expiresIn (%us)", P,
		     c->jwt.refresh_expires_s, c->jwt.expires_s);
}

static void walk_session(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "secure", "httpOnly", "sameSite", "maxAge",
					    "rolling" };
	static const char *const same[] = { "strict", "lax", "none" };
	static const char *const P = "security.authentication.session";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96];
	int ss;

	c->at[CFG_AT_SESSION_SECURE] = pos_of(m);
	if (fields(x, m, P, keys, 5, v))
		return;
	if (v[0] && !g_bool(x, v[0], join(p2, sizeof(p2), P, "secure"), &c->session.secure))
		c->at[CFG_AT_SESSION_SECURE] = pos_of(v[0]);
	if (v[1])
		g_bool(x, v[1], join(p2, sizeof(p2), P, "httpOnly"), &c->session.http_only);
	if (v[2] && !g_word(x, v[2], join(p2, sizeof(p2), P, "sameSite"), same, 3, &ss))
		c->session.same_site = (enum cfg_same_site)ss;
	if (v[3])
		g_dur32(x, v[3], join(p2, sizeof(p2), P, "maxAge"), DUR_MS, 60, 30 * 86400,
			&c->session.max_age_s);
	if (v[4])
		g_bool(x, v[4], join(p2, sizeof(p2), P, "rolling"), &c->session.rolling);
	/* Browsers drop SameSite=None cookies that are not Secure. */
	if (c->session.same_site == CFG_SAMESITE_NONE && !c->session.secure)
		cerr(x, v[2], "%s.sameSite: none needs secure: true", P);
}

static void walk_mfa(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "enabled", "required", "methods", "backupCodes" };
	static const char *const P = "security.authentication.mfa";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96], q[EW_QUOTE_LEN];
	bool b;
	size_t i, j;

	c->at[CFG_AT_MFA_ENABLED] = c->at[CFG_AT_MFA_REQUIRED] = pos_of(m);
	if (fields(x, m, P, keys, 4, v))
		return;
	if (v[0] && !g_bool(x, v[0], join(p2, sizeof(p2), P, "enabled"), &c->mfa.enabled))
		c->at[CFG_AT_MFA_ENABLED] = pos_of(v[0]);
	if (v[1] && !g_list(x, v[1], join(p2, sizeof(p2), P, "required"), MAX_ROLES)) {
		c->at[CFG_AT_MFA_REQUIRED] = pos_of(v[1]);
		free(c->mfa.required);
		c->mfa.n_required = 0;
		c->mfa.required = calloc(v[1]->n ? v[1]->n : 1, sizeof(*c->mfa.required));
		if (!c->mfa.required) {
			nomem(x);
			return;
		}
		for (i = 0; i < v[1]->n; i++) {
			const struct ew_ynode *k = v[1]->kids[i];

			pfmt(p2, sizeof(p2), "%s.required[%zu]", P, i);
			if (want(x, k, EW_Y_SCALAR, p2))
				continue;
			if (!rbac_role_name_ok(k->str)) {
				cerr(x, k, "%s: %s is not a role name", p2,
				     ew_quote(k->str, q, sizeof(q)));
				continue;
			}
			for (j = 0; j < c->mfa.n_required; j++)
				if (!strcmp(c->mfa.required[j].name, k->str))
					break;
			if (j < c->mfa.n_required) {
				cerr(x, k, "%s: role %s is listed twice", p2, k->str);
				continue;
			}
			strcpy(c->mfa.required[c->mfa.n_required].name, k->str);
			c->mfa.required[c->mfa.n_required++].pos = pos_of(k);
		}
	}
	if (v[2] && !g_list(x, v[2], join(p2, sizeof(p2), P, "methods"), 16)) {
		unsigned int methods = 0;

		if (!v[2]->n)
			cerr(x, v[2], "%s: empty list (totp is the method edgeward implements)",
			     p2);
		for (i = 0; i < v[2]->n; i++) {
			const struct ew_ynode *k = v[2]->kids[i];

			pfmt(p2, sizeof(p2), "%s.methods[%zu]", P, i);
			if (want(x, k, EW_Y_SCALAR, p2))
				continue;
			if (!strcmp(k->str, "totp"))
				methods |= CFG_MFA_TOTP;
			else
				cerr(x, k, "%s: %s is not supported: edgeward implements TOTP "
				     "(RFC 6238) only%s", p2, ew_quote(k->str, q, sizeof(q)),
				     !strcmp(k->str, "sms") ? " (SMS codes can be intercepted "
							      "by SIM swapping)" : "");
		}
		if (methods)
			c->mfa.methods = methods;
	}
	if (v[3] && !g_bool(x, v[3], join(p2, sizeof(p2), P, "backupCodes"), &b) && b)
		cerr(x, v[3], "%s: backup codes are not supported; an administrator resets a "
		     "lost authenticator", p2);
}

static void walk_password(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "minLength",	   "requireUppercase",
					    "requireLowercase",	   "requireNumbers",
					    "requireSpecialChars", "preventReuse",
					    "maxAge",		   "commonPasswords" };
	static const char *const P = "security.authentication.passwordPolicy";
	struct ew_config *c = x->cfg;
	bool *flags[] = { &c->password.upper, &c->password.lower, &c->password.numbers,
			  &c->password.special };
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96];
	size_t i;

	if (fields(x, m, P, keys, 8, v))
		return;
	if (v[0])
		g_u32(x, v[0], join(p2, sizeof(p2), P, "minLength"), 8, 128,
		      &c->password.min_length);
	for (i = 0; i < 4; i++)
		if (v[1 + i])
			g_bool(x, v[1 + i], join(p2, sizeof(p2), P, keys[1 + i]), flags[i]);
	if (v[5])
		g_u32(x, v[5], join(p2, sizeof(p2), P, "preventReuse"), 0, 24,
		      &c->password.prevent_reuse);
	if (v[6])
		g_dur(x, v[6], join(p2, sizeof(p2), P, "maxAge"), DUR_NEVER, 86400, 3650 * 86400ULL,
		      &c->password.max_age_s);
	if (v[7])
		g_bool(x, v[7], join(p2, sizeof(p2), P, "commonPasswords"), &c->password.common);
}

static void walk_lockout(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "maxAttempts", "lockoutDuration", "progressiveDelay",
					    "hardLockAfter" };
	static const char *const P = "security.authentication.lockout";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96];

	if (fields(x, m, P, keys, 4, v))
		return;
	if (v[0])
		g_u32(x, v[0], join(p2, sizeof(p2), P, "maxAttempts"), 1, 100,
		      &c->lockout.max_attempts);
	if (v[1])
		g_dur32(x, v[1], join(p2, sizeof(p2), P, "lockoutDuration"), DUR_MS, 60, 7 * 86400,
			&c->lockout.duration_s);
	if (v[2])
		g_bool(x, v[2], join(p2, sizeof(p2), P, "progressiveDelay"),
		       &c->lockout.progressive_delay);
	if (v[3])
		g_u32(x, v[3], join(p2, sizeof(p2), P, "hardLockAfter"), 0, 100,
		      &c->lockout.hard_lock_after);
}

static void walk_authentication(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "jwt", "session", "mfa", "passwordPolicy",
					    "lockout" };
	const struct ew_ynode *v[MAX_KEYS];

	x->cfg->at[CFG_AT_JWT] = x->cfg->at[CFG_AT_MFA_ENABLED] = pos_of(m);
	x->cfg->at[CFG_AT_MFA_REQUIRED] = x->cfg->at[CFG_AT_SESSION_SECURE] = pos_of(m);
	if (fields(x, m, "security.authentication", keys, 5, v))
		return;
	if (v[0])
		walk_jwt(x, v[0]);
	if (v[1])
		walk_session(x, v[1]);
	if (v[2])
		walk_mfa(x, v[2]);
	if (v[3])
		walk_password(x, v[3]);
	if (v[4])
		walk_lockout(x, v[4]);
}

/* ---- security.authorization ---- */

static bool attr_key_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < RBAC_NAME_LEN && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static void walk_time_range(struct ctx *x, const struct ew_ynode *m, const char *path,
			    struct rbac_cond *c)
{
	static const char *const keys[] = { "start", "end", "days", "tz" };
	const struct ew_ynode *v[MAX_KEYS];
	struct rbac_time t = { .days = RBAC_DAYS_ALL };
	char p2[192], e[EW_ERRLEN], q[EW_QUOTE_LEN];
	unsigned int before = x->nerr;
	size_t i;

	if (fields(x, m, path, keys, 4, v))
		return;
	if (!v[0] || !v[1]) {
		cerr(x, m, "%s: missing key \"%s\" (a time range has a start and an end)", path,
		     v[0] ? "end" : "start");
		return;
	}
	if (!want(x, v[0], EW_Y_SCALAR, join(p2, sizeof(p2), path, "start")) &&
	    rbac_hhmm_parse(v[0]->str, false, &t.start_min, e, sizeof(e)))
		cerr(x, v[0], "%s: %s", p2, e);
	if (!want(x, v[1], EW_Y_SCALAR, join(p2, sizeof(p2), path, "end")) &&
	    rbac_hhmm_parse(v[1]->str, true, &t.end_min, e, sizeof(e)))
		cerr(x, v[1], "%s: %s", p2, e);
	if (x->nerr == before && t.start_min == t.end_min)
		cerr(x, v[1], "%s: start and end are both %s: an empty window or a whole day? "
		     "For a whole day leave time_range out, or write 00:00 to 24:00", path,
		     v[0]->str);
	if (v[2] && !g_list(x, v[2], join(p2, sizeof(p2), path, "days"), 7)) {
		if (!v[2]->n)
			cerr(x, v[2], "%s: empty list (the permission could never be used)", p2);
		t.days = 0;
		for (i = 0; i < v[2]->n; i++) {
			const struct ew_ynode *d = v[2]->kids[i];
			int day;

			pfmt(p2, sizeof(p2), "%s.days[%zu]", path, i);
			if (want(x, d, EW_Y_SCALAR, p2))
				continue;
			day = rbac_day_parse(d->str);
			if (day < 0)
				cerr(x, d, "%s: %s is not a day (mon, tue, wed, thu, fri, sat, "
				     "sun)", p2, ew_quote(d->str, q, sizeof(q)));
			else if (t.days & (1u << day))
				cerr(x, d, "%s: %s is listed twice", p2, d->str);
			else
				t.days |= (uint8_t)(1u << day);
		}
	}
	if (v[3] && !want(x, v[3], EW_Y_SCALAR, join(p2, sizeof(p2), path, "tz")) &&
	    rbac_tz_parse(v[3]->str, &t.tz_off_s, e, sizeof(e)))
		cerr(x, v[3], "%s: %s", p2, e);
	if (x->nerr == before) {
		c->has_time = true;
		c->time = t;
	}
}

static void walk_ip_range(struct ctx *x, const struct ew_ynode *s, const char *path,
			  struct rbac_cond *c)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char p2[192], e[EW_ERRLEN], q[EW_QUOTE_LEN];
	size_t i;
	int r;

	if (g_list(x, s, path, MAX_COND_ITEMS))
		return;
	if (!s->n) {
		cerr(x, s, "%s: empty list (no address could match; list networks or leave "
		     "ip_range out)", path);
		return;
	}
	c->ip = calloc(s->n, sizeof(*c->ip));
	if (!c->ip) {
		nomem(x);
		return;
	}
	for (i = 0; i < s->n; i++) {
		const struct ew_ynode *k = s->kids[i];
		struct ew_cidr *cidr = &c->ip[c->n_ip];

		pfmt(p2, sizeof(p2), "%s[%zu]", path, i);
		if (want(x, k, EW_Y_SCALAR, p2))
			continue;
		r = ew_cidr_parse(k->str, EW_CIDR_CANON, cidr, e, sizeof(e));
		if (r < 0) {
			cerr(x, k, "%s: %s", p2, e);
			continue;
		}
		if (r == 1)
			cwarn(x, k, "%s: %s", p2, e);
		/* v4-mapped sources are matched as IPv4, so a mapped range would never match. */
		if (cidr->family == 6 && cidr->plen >= 96 && !memcmp(cidr->addr, v4mapped, 12)) {
			cerr(x, k, "%s: %s is an IPv4-mapped range; IPv4 clients are matched as "
			     "IPv4, so write the IPv4 network", p2, ew_quote(k->str, q, sizeof(q)));
			continue;
		}
		c->n_ip++;
	}
}

static void walk_location(struct ctx *x, const struct ew_ynode *s, const char *path,
			  struct rbac_cond *c)
{
	char p2[192];
	size_t i;

	if (g_list(x, s, path, MAX_COND_ITEMS))
		return;
	if (!s->n) {
		cerr(x, s, "%s: empty list (no request could match; leave location out)", path);
		return;
	}
	c->loc = calloc(s->n, sizeof(*c->loc));
	if (!c->loc) {
		nomem(x);
		return;
	}
	for (i = 0; i < s->n; i++) {
		pfmt(p2, sizeof(p2), "%s[%zu]", path, i);
		if (g_str(x, s->kids[i], p2, 0, &c->loc[c->n_loc]))
			continue;
		if (strlen(c->loc[c->n_loc]) > LOCATION_MAX) {
			cerr(x, s->kids[i], "%s: longer than %d bytes", p2, LOCATION_MAX);
			free(c->loc[c->n_loc]);
			c->loc[c->n_loc] = NULL;
			continue;
		}
		c->n_loc++;
	}
}

/* The guide's conditions: time_range, ip_range, location, anything else compared as is. */
static void walk_cond(struct ctx *x, const struct ew_ynode *m, const char *path,
		      struct rbac_cond *c)
{
	char p2[192], q[EW_QUOTE_LEN];
	size_t i, j;

	if (want(x, m, EW_Y_MAP, path))
		return;
	c->attr = calloc(m->n / 2 + 1, sizeof(*c->attr));
	if (!c->attr) {
		nomem(x);
		return;
	}
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ew_ynode *k = m->kids[i], *val = m->kids[i + 1];

		if (k->type != EW_Y_SCALAR) {
			cerr(x, k, "%s: keys must be plain words", path);
			continue;
		}
		for (j = 0; j < i; j += 2)
			if (m->kids[j]->type == EW_Y_SCALAR && !strcmp(m->kids[j]->str, k->str))
				break;
		if (j < i) {
			cerr(x, k, "%s: duplicate key \"%s\" (first at line %d)", path, k->str,
			     m->kids[j]->line);
			continue;
		}
		join(p2, sizeof(p2), path, k->str);
		if (!strcmp(k->str, "time_range"))
			walk_time_range(x, val, p2, c);
		else if (!strcmp(k->str, "ip_range"))
			walk_ip_range(x, val, p2, c);
		else if (!strcmp(k->str, "location"))
			walk_location(x, val, p2, c);
		else if (!attr_key_ok(k->str)) {
			cerr(x, k, "%s: %s is not a condition name (time_range, ip_range, "
			     "location, or a word of a-z, 0-9, _ compared with the request's "
			     "attribute)", path, ew_quote(k->str, q, sizeof(q)));
		} else {
			struct rbac_attr *a = &c->attr[c->n_attr];

			if (g_str(x, val, p2, STR_EMPTY, &a->value))
				continue;
			if (strlen(a->value) > ATTR_VALUE_MAX) {
				cerr(x, val, "%s: longer than %d bytes", p2, ATTR_VALUE_MAX);
				free(a->value);
				a->value = NULL;
				continue;
			}
			a->key = strdup(k->str);
			if (!a->key) {
				free(a->value);
				a->value = NULL;
				nomem(x);
				return;
			}
			c->n_attr++;
		}
	}
}

static void walk_perm(struct ctx *x, const struct ew_ynode *m, const char *path,
		      struct rbac_perm *p, bool *ok)
{
	static const char *const keys[] = { "resource", "action", "conditions" };
	const struct ew_ynode *v[MAX_KEYS];
	char p2[192], q[EW_QUOTE_LEN], have[96];
	unsigned int before = x->nerr, valid, a;
	size_t i, o;
	int act;

	*ok = false;
	memset(p, 0, sizeof(*p));
	if (fields(x, m, path, keys, 3, v))
		return;
	p->line = m->line;
	if (!v[0] || !v[1]) {
		cerr(x, m, "%s: missing key \"%s\"", path, v[0] ? "action" : "resource");
		return;
	}
	join(p2, sizeof(p2), path, "resource");
	if (want(x, v[0], EW_Y_SCALAR, p2))
		return;
	p->res = rbac_res_parse(v[0]->str);
	if (p->res == -EINVAL) {
		cerr(x, v[0], "%s: unknown resource %s (blocklist, allowlist, acl, ratelimit, "
		     "policy, filter, stats, events, users, audit, config, self, health or *)",
		     p2, ew_quote(v[0]->str, q, sizeof(q)));
		return;
	}
	valid = rbac_res_actions(p->res);
	for (a = 1, o = 0, have[0] = '\0'; a <= RBAC_EXECUTE; a <<= 1)
		if ((valid & a) && o < sizeof(have))
			o += (size_t)snprintf(have + o, sizeof(have) - o, "%s%s", o ? ", " : "",
					      rbac_act_name(a));
	join(p2, sizeof(p2), path, "action");
	if (v[1]->type == EW_Y_SEQ && !ew_ynode_is_null(v[1])) {
		if (!v[1]->n)
			cerr(x, v[1], "%s: empty list", p2);
		for (i = 0; i < v[1]->n; i++) {
			const struct ew_ynode *k = v[1]->kids[i];
			char p3[200];

			pfmt(p3, sizeof(p3), "%s[%zu]", p2, i);
			if (want(x, k, EW_Y_SCALAR, p3))
				continue;
			act = rbac_act_parse(k->str);
			if (act < 0 || !((unsigned int)act & valid))
				cerr(x, k, "%s: %s has no action %s (it has %s)", p3,
				     rbac_res_name(p->res), ew_quote(k->str, q, sizeof(q)), have);
			else
				p->acts |= (unsigned int)act & valid;
		}
	} else if (!want(x, v[1], EW_Y_SCALAR, p2)) {
		act = rbac_act_parse(v[1]->str);
		if (act < 0 || !((unsigned int)act & valid))
			cerr(x, v[1], "%s: %s has no action %s (it has %s)", p2,
			     rbac_res_name(p->res), ew_quote(v[1]->str, q, sizeof(q)), have);
		else
			p->acts = (unsigned int)act & valid;
	}
	if (v[2])
		walk_cond(x, v[2], join(p2, sizeof(p2), path, "conditions"), &p->cond);
	*ok = x->nerr == before && !x->fatal;
}

static void walk_role(struct ctx *x, const struct ew_ynode *m, const char *path,
		      struct rbac_role_def *d)
{
	static const char *const keys[] = { "level", "permissions" };
	const struct ew_ynode *v[MAX_KEYS];
	char p2[160];
	uint32_t level;
	size_t i;
	bool ok;

	if (fields(x, m, path, keys, 2, v))
		return;
	if (!v[0] && !v[1])
		cwarn(x, m, "%s: neither level nor permissions: the role is as it was", path);
	if (v[0] && !g_u32(x, v[0], join(p2, sizeof(p2), path, "level"), 0, RBAC_LEVEL_MAX,
			   &level)) {
		d->level = (int)level;
		d->level_set = true;
	}
	if (!v[1] || g_list(x, v[1], join(p2, sizeof(p2), path, "permissions"), MAX_PERMS))
		return;
	d->perms_set = true;
	if (!v[1]->n)
		return;
	d->perms = calloc(v[1]->n, sizeof(*d->perms));
	if (!d->perms) {
		nomem(x);
		return;
	}
	for (i = 0; i < v[1]->n && !x->fatal; i++) {
		struct rbac_perm *p = &d->perms[d->n_perms];

		pfmt(p2, sizeof(p2), "%s.permissions[%zu]", path, i);
		walk_perm(x, v[1]->kids[i], p2, p, &ok);
		if (ok)
			d->n_perms++;
		else
			rbac_cond_free(&p->cond);
	}
}

static void walk_roles(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const P = "security.authorization.rbac.roles";
	struct ew_config *c = x->cfg;
	char p2[128], q[EW_QUOTE_LEN];
	size_t i, j;

	if (want(x, m, EW_Y_MAP, P))
		return;
	if (m->n / 2 > MAX_ROLES) {
		cerr(x, m, "%s: more than %d roles", P, MAX_ROLES);
		return;
	}
	c->rbac.roles = calloc(m->n / 2 + 1, sizeof(*c->rbac.roles));
	if (!c->rbac.roles) {
		nomem(x);
		return;
	}
	for (i = 0; i + 1 < m->n && !x->fatal; i += 2) {
		const struct ew_ynode *k = m->kids[i];
		struct rbac_role_def *d = &c->rbac.roles[c->rbac.n_roles];

		if (k->type != EW_Y_SCALAR || !rbac_role_name_ok(k->str)) {
			cerr(x, k, "%s: %s is not a role name (a-z first, then a-z, 0-9, _, -; at "
			     "most %d)", P,
			     k->type == EW_Y_SCALAR ? ew_quote(k->str, q, sizeof(q)) :
						      "a non-scalar key",
			     RBAC_NAME_LEN - 1);
			continue;
		}
		for (j = 0; j < c->rbac.n_roles; j++)
			if (!strcmp(c->rbac.roles[j].name, k->str))
				break;
		if (j < c->rbac.n_roles) {
			cerr(x, k, "%s: duplicate role \"%s\" (first at line %d)", P, k->str,
			     c->rbac.roles[j].line);
			continue;
		}
		memset(d, 0, sizeof(*d));
		strcpy(d->name, k->str);
		d->line = k->line;
		pfmt(p2, sizeof(p2), "%s.%s", P, k->str);
		walk_role(x, m->kids[i + 1], p2, d);
		c->rbac.n_roles++;
	}
}

static void walk_authorization(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "rbac" };
	static const char *const rkeys[] = { "strictMode", "debugMode", "auditAllAccess",
					     "roles" };
	static const char *const P = "security.authorization.rbac";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS], *r[MAX_KEYS];
	char p2[96];

	if (fields(x, m, "security.authorization", keys, 1, v) || !v[0])
		return;
	if (fields(x, v[0], P, rkeys, 4, r))
		return;
	if (r[0])
		g_bool(x, r[0], join(p2, sizeof(p2), P, "strictMode"), &c->rbac.strict);
	if (r[1])
		g_bool(x, r[1], join(p2, sizeof(p2), P, "debugMode"), &c->rbac.debug);
	if (r[2])
		g_bool(x, r[2], join(p2, sizeof(p2), P, "auditAllAccess"), &c->rbac.audit_all);
	if (r[3])
		walk_roles(x, r[3]);
}

/* ---- security.encryption, security.monitoring ---- */

static void walk_encryption(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "enabled", "algorithm", "keyFile",
					    "keyRotationDays" };
	static const char *const algs[] = { "aes-256-gcm" };
	static const char *const P = "security.encryption";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96];
	int alg;

	c->at[CFG_AT_ENC_ENABLED] = c->at[CFG_AT_ENC_KEY] = pos_of(m);
	if (fields(x, m, P, keys, 4, v))
		return;
	if (v[0] && !g_bool(x, v[0], join(p2, sizeof(p2), P, "enabled"), &c->encryption.enabled))
		c->at[CFG_AT_ENC_ENABLED] = pos_of(v[0]);
	if (v[1])
		g_word(x, v[1], join(p2, sizeof(p2), P, "algorithm"), algs, 1, &alg);
	if (v[2] && !g_path(x, v[2], join(p2, sizeof(p2), P, "keyFile"), &c->encryption.key_file))
		c->at[CFG_AT_ENC_KEY] = pos_of(v[2]);
	if (v[3])
		g_u32(x, v[3], join(p2, sizeof(p2), P, "keyRotationDays"), 1, 3650,
		      &c->encryption.key_rotation_days);
}

static void walk_monitoring(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "auditLevel", "alerting", "realTimeMonitoring",
					    "siemIntegration", "siemWebhook",
					    "riskAlertThreshold" };
	static const char *const levels[] = { "minimal", "standard", "comprehensive" };
	static const char *const P = "security.monitoring";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96], q[EW_QUOTE_LEN];
	int lvl;

	if (fields(x, m, P, keys, 6, v))
		return;
	if (v[0] && !g_word(x, v[0], join(p2, sizeof(p2), P, "auditLevel"), levels, 3, &lvl))
		c->monitoring.audit_level = (enum cfg_audit_level)lvl;
	if (v[1])
		g_bool(x, v[1], join(p2, sizeof(p2), P, "alerting"), &c->monitoring.alerting);
	if (v[2])
		g_bool(x, v[2], join(p2, sizeof(p2), P, "realTimeMonitoring"),
		       &c->monitoring.realtime);
	if (v[3])
		g_bool(x, v[3], join(p2, sizeof(p2), P, "siemIntegration"), &c->monitoring.siem);
	if (v[4] && !g_str(x, v[4], join(p2, sizeof(p2), P, "siemWebhook"), 0,
			   &c->monitoring.siem_webhook)) {
		const char *u = c->monitoring.siem_webhook;
		bool https = !strncmp(u, "https://", 8), http = !strncmp(u, "http://", 7);

		if ((!https && !http) || strlen(u) <= (https ? 8u : 7u) || strchr(u, ' '))
			cerr(x, v[4], "%s: %s is not an http(s) URL", p2,
			     ew_quote(u, q, sizeof(q)));
		else if (http && c->profile == CFG_PRODUCTION)
			cerr(x, v[4], "%s: production sends security events over https:// only",
			     p2);
	}
	if (v[5])
		g_u32(x, v[5], join(p2, sizeof(p2), P, "riskAlertThreshold"), 0, 100,
		      &c->monitoring.risk_alert_threshold);
	if (c->monitoring.siem && !c->monitoring.siem_webhook)
		cerr(x, v[3], "%s.siemIntegration: true needs siemWebhook, the URL events are "
		     "sent to", P);
}

static void walk_security(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "authentication", "authorization", "encryption",
					    "monitoring" };
	const struct ew_ynode *v[MAX_KEYS];

	x->cfg->at[CFG_AT_JWT] = x->cfg->at[CFG_AT_MFA_ENABLED] = pos_of(m);
	x->cfg->at[CFG_AT_MFA_REQUIRED] = x->cfg->at[CFG_AT_SESSION_SECURE] = pos_of(m);
	x->cfg->at[CFG_AT_ENC_ENABLED] = x->cfg->at[CFG_AT_ENC_KEY] = pos_of(m);
	if (fields(x, m, "security", keys, 4, v))
		return;
	if (v[0])
		walk_authentication(x, v[0]);
	if (v[1])
		walk_authorization(x, v[1]);
	if (v[2])
		walk_encryption(x, v[2]);
	if (v[3])
		walk_monitoring(x, v[3]);
}

/* ---- network, database ---- */

static void walk_network(struct ctx *x, const struct ew_ynode *m)
{
	struct ew_config *c = x->cfg;
	char e[EW_ERRLEN + PATH_MAX], rb[PATH_MAX];
	const struct ew_ynode *filev = NULL;
	size_t i;
	int r;

	if (want(x, m, EW_Y_MAP, "network"))
		return;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->type == EW_Y_SCALAR && !strcmp(m->kids[i]->str, "file"))
			filev = m->kids[i + 1];
	if (filev) {
		if (m->n != 2) {
			cerr(x, m, "network: give either file or the policy's keys, not both");
			return;
		}
		if (g_path(x, filev, "network.file", &c->network.file))
			return;
		r = ew_policy_doc_load(rooted(x->env, c->network.file, rb, sizeof(rb)), false,
				       &c->network.doc, x->warn, e, sizeof(e));
		if (r == -ENOMEM) {
			nomem(x);
			return;
		}
		if (r) {
			cerr(x, filev, "network.file: %s", e);
			return;
		}
	} else {
		r = ew_policy_doc_parse(x->file, m, false, &c->network.doc, x->warn, e, sizeof(e));
		if (r == -ENOMEM) {
			nomem(x);
			return;
		}
		if (r) {
			add_line(x, e);
			return;
		}
	}
	r = ew_policy_compile(&c->network.doc, &c->network.compiled, e, sizeof(e));
	if (r == -ENOMEM) {
		nomem(x);
		return;
	}
	if (r) {
		cerr(x, m, "network: %s", e);
		return;
	}
	c->network.present = true;
}

static void walk_database(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "conninfo", "tenant", "rbac", "response_rules",
					    "node", "resync_interval" };
	const struct ew_ynode *v[MAX_KEYS];
	struct ew_config *c = x->cfg;
	char q[EW_QUOTE_LEN];

	if (fields(x, m, "database", keys, 6, v))
		return;
	if (!v[0]) {
		if (v[1] || v[2] || v[3] || v[4] || v[5])
			cerr(x, m, "database: missing key \"conninfo\" (the other keys need a "
			     "database)");
		return;
	}
	if (!g_str(x, v[0], "database.conninfo", 0, &c->database.conninfo)) {
		char *perr = NULL;
		PQconninfoOption *o = PQconninfoParse(c->database.conninfo, &perr);

		/* libpq's message names the problem, never the password. */
		if (!o)
			cerr(x, v[0], "database.conninfo: %.*s", perr ? (int)strcspn(perr, "\n") : 13,
			     perr ? perr : "out of memory");
		PQconninfoFree(o);
		PQfreemem(perr);
	}
	if (v[1] && !g_str(x, v[1], "database.tenant", 0, &c->database.tenant) &&
	    strlen(c->database.tenant) > 200)
		cerr(x, v[1], "database.tenant: %s is longer than 200 bytes",
		     ew_quote(c->database.tenant, q, sizeof(q)));
	if (v[2])
		g_bool(x, v[2], "database.rbac", &c->database.rbac);
	if (v[3])
		g_bool(x, v[3], "database.response_rules", &c->database.response_rules);
	if (v[4] && !g_str(x, v[4], "database.node", 0, &c->database.node) &&
	    (strlen(c->database.node) > 64 ||
	     strspn(c->database.node, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789.-_") != strlen(c->database.node)))
		cerr(x, v[4], "database.node: %s: 1..64 of A-Z a-z 0-9 . - _",
		     ew_quote(c->database.node, q, sizeof(q)));
	if (v[5])
		g_dur(x, v[5], "database.resync_interval", DUR_NEVER, 10, 7 * 86400,
		      &c->database.resync_interval_s);
}

/* ---- response ---- */

/* A URL events are sent to: http(s), and https only in production. */
static int url_check(struct ctx *x, const struct ew_ynode *n, const char *path, const char *u)
{
	bool https = !strncmp(u, "https://", 8), http = !strncmp(u, "http://", 7);
	char q[EW_QUOTE_LEN];

	if ((!https && !http) || strlen(u) <= (https ? 8u : 7u) || strchr(u, ' '))
		return cerr(x, n, "%s: %s is not an http(s) URL", path, ew_quote(u, q, sizeof(q)));
	if (http && x->cfg->profile == CFG_PRODUCTION)
		return cerr(x, n, "%s: production sends security events over https:// only", path);
	return 0;
}

/* event: NAME or [NAMES]. */
static void walk_events(struct ctx *x, const struct ew_ynode *n, const char *path, uint32_t *out)
{
	char p2[192], q[EW_QUOTE_LEN];
	const struct ew_ynode *one = n;
	size_t i, cnt = 1;
	int ev;

	*out = 0;
	if (n->type == EW_Y_SEQ) {
		if (g_list(x, n, path, RESPOND_EV_COUNT))
			return;
		if (!n->n) {
			cerr(x, n, "%s: empty list", path);
			return;
		}
		cnt = n->n;
	}
	for (i = 0; i < cnt; i++) {
		if (n->type == EW_Y_SEQ) {
			one = n->kids[i];
			pfmt(p2, sizeof(p2), "%s[%zu]", path, i);
		} else {
			pfmt(p2, sizeof(p2), "%s", path);
		}
		if (want(x, one, EW_Y_SCALAR, p2))
			continue;
		ev = respond_ev_parse(one->str);
		if (ev < 0)
			cerr(x, one, "%s: %s is not an event (failed_login, invalid_user, "
			     "preauth_disconnect, login_success, data_export, drops)", p2,
			     ew_quote(one->str, q, sizeof(q)));
		else if (*out & (1u << ev))
			cerr(x, one, "%s: %s is listed twice", p2, one->str);
		else
			*out |= 1u << ev;
	}
}

static void walk_when(struct ctx *x, const struct ew_ynode *m, const char *path,
		      struct respond_rule *ru)
{
	static const char *const keys[] = { "event", "count",	   "window",	 "per",
					    "role",  "users",	   "time_range", "bytes_over" };
	static const char *const pers[] = { "source", "user", "all" };
	const struct ew_ynode *v[MAX_KEYS];
	char p2[192], e[EW_ERRLEN], q[EW_QUOTE_LEN];
	struct rbac_cond cond = { 0 };
	uint64_t w;
	size_t i;
	int per;

	if (fields(x, m, path, keys, 8, v))
		return;
	if (!v[0])
		cerr(x, m, "%s: missing key \"event\"", path);
	else
		walk_events(x, v[0], join(p2, sizeof(p2), path, "event"), &ru->events);
	if (v[1])
		g_u32(x, v[1], join(p2, sizeof(p2), path, "count"), 1, RESPOND_MAX_COUNT,
		      &ru->count);
	if (v[2] && !g_dur(x, v[2], join(p2, sizeof(p2), path, "window"), 0, 1,
			   RESPOND_MAX_WINDOW_S, &w))
		ru->window_ms = w * 1000;
	if (v[3] && !g_word(x, v[3], join(p2, sizeof(p2), path, "per"), pers, 3, &per))
		ru->per = (enum respond_per)per;
	if (v[4] && !want(x, v[4], EW_Y_SCALAR, join(p2, sizeof(p2), path, "role"))) {
		if (!rbac_role_name_ok(v[4]->str))
			cerr(x, v[4], "%s: %s is not a role name", p2,
			     ew_quote(v[4]->str, q, sizeof(q)));
		else
			snprintf(ru->role, sizeof(ru->role), "%s", v[4]->str);
	}
	if (v[5] && !g_list(x, v[5], join(p2, sizeof(p2), path, "users"), RESPOND_MAX_USERS)) {
		if (!v[5]->n)
			cerr(x, v[5], "%s: empty list (leave users out to match anyone)", p2);
		for (i = 0; i < v[5]->n; i++) {
			const struct ew_ynode *u = v[5]->kids[i];

			pfmt(p2, sizeof(p2), "%s.users[%zu]", path, i);
			if (want(x, u, EW_Y_SCALAR, p2))
				continue;
			if (!*u->str || strlen(u->str) >= RESPOND_USER_MAX || ctl_at(u->str) >= 0)
				cerr(x, u, "%s: %s is not a user name (1..%d bytes, no control "
				     "characters)", p2, ew_quote(u->str, q, sizeof(q)),
				     RESPOND_USER_MAX - 1);
			else
				snprintf(ru->users[ru->n_users++], RESPOND_USER_MAX, "%s", u->str);
		}
	}
	if (v[6]) {
		walk_time_range(x, v[6], join(p2, sizeof(p2), path, "time_range"), &cond);
		ru->has_time = cond.has_time;
		ru->time = cond.time;
	}
	if (v[7] && !want(x, v[7], EW_Y_SCALAR, join(p2, sizeof(p2), path, "bytes_over"))) {
		if (respond_size_parse(v[7]->str, &ru->bytes_over, e, sizeof(e)))
			cerr(x, v[7], "%s: %s", p2, e);
		else if (!ru->bytes_over)
			cerr(x, v[7], "%s: must be above 0 (leave it out for every export)", p2);
	}
}

/* response.rules[i]; true when it is good. */
static bool walk_rule(struct ctx *x, const struct ew_ynode *m, const char *path,
		      struct respond_rule *ru)
{
	static const char *const keys[] = { "name", "enabled", "when", "actions", "block_for" };
	const struct ew_ynode *v[MAX_KEYS];
	char p2[192], e[EW_ERRLEN], q[EW_QUOTE_LEN];
	unsigned int before = x->nerr;
	bool block = false;
	size_t i;
	int a;

	memset(ru, 0, sizeof(*ru));
	ru->enabled = true;
	ru->count = 1;
	ru->line = m->line;
	if (fields(x, m, path, keys, 5, v))
		return false;
	if (!v[0])
		cerr(x, m, "%s: missing key \"name\"", path);
	else if (!want(x, v[0], EW_Y_SCALAR, join(p2, sizeof(p2), path, "name"))) {
		if (!*v[0]->str || strlen(v[0]->str) >= RESPOND_NAME_LEN || ctl_at(v[0]->str) >= 0)
			cerr(x, v[0], "%s: %s: a name is 1..%d bytes without control characters",
			     p2, ew_quote(v[0]->str, q, sizeof(q)), RESPOND_NAME_LEN - 1);
		else
			snprintf(ru->name, sizeof(ru->name), "%s", v[0]->str);
	}
	if (v[1])
		g_bool(x, v[1], join(p2, sizeof(p2), path, "enabled"), &ru->enabled);
	if (!v[2])
		cerr(x, m, "%s: missing key \"when\"", path);
	else
		walk_when(x, v[2], join(p2, sizeof(p2), path, "when"), ru);
	if (!v[3]) {
		cerr(x, m, "%s: missing key \"actions\"", path);
	} else if (!g_list(x, v[3], join(p2, sizeof(p2), path, "actions"), RESPOND_MAX_ACTIONS)) {
		if (!v[3]->n)
			cerr(x, v[3], "%s: empty list", p2);
		for (i = 0; i < v[3]->n; i++) {
			const struct ew_ynode *an = v[3]->kids[i];

			pfmt(p2, sizeof(p2), "%s.actions[%zu]", path, i);
			if (want(x, an, EW_Y_SCALAR, p2))
				continue;
			a = respond_action_parse(an->str);
			if (a < 0) {
				cerr(x, an, "%s: %s is not an action (block_ip, notify_admin, "
				     "notify_security_team, notify_data_protection_officer, "
				     "require_mfa, require_additional_auth, log_extended, "
				     "require_approval, quarantine_export)", p2,
				     ew_quote(an->str, q, sizeof(q)));
				continue;
			}
			block |= a == RESPOND_ACT_BLOCK_IP;
			ru->actions[ru->n_actions++] = (uint8_t)a;
		}
	}
	if (v[4] && !g_dur(x, v[4], join(p2, sizeof(p2), path, "block_for"), 0, 1,
			   RESPOND_MAX_BLOCK_S, &ru->block_s) && !block)
	{
		cerr(x, v[4], "%s: block_for without block_ip in actions", p2);
		return false;
	}
	if (x->nerr != before)
		return false;
	if (block && !ru->block_s)
		ru->block_s = 3600;
	if (respond_rule_check(ru, e, sizeof(e))) {
		cerr(x, m, "%s: %s", path, e);
		return false;
	}
	return true;
}

static void walk_response(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "rules",	   "escalation",    "escalation_reset",
					    "never_block", "max_sources",   "max_offenders",
					    "log_extended_for" };
	static const char *const P = "response";
	struct respond_conf *rc = &x->cfg->response;
	const struct ew_ynode *v[MAX_KEYS];
	char path[96], e[EW_ERRLEN];
	size_t i, j;
	uint64_t s;
	int r;

	if (fields(x, m, P, keys, 7, v))
		return;
	if (v[0] && !g_list(x, v[0], "response.rules", RESPOND_MAX_RULES)) {
		rc->n_rules = 0;
		for (i = 0; i < v[0]->n; i++) {
			struct respond_rule *ru = &rc->rules[rc->n_rules];

			pfmt(path, sizeof(path), "response.rules[%zu]", i);
			if (!walk_rule(x, v[0]->kids[i], path, ru))
				continue;
			for (j = 0; j < rc->n_rules; j++)
				if (!strcmp(rc->rules[j].name, ru->name))
					break;
			if (j < rc->n_rules) {
				cerr(x, v[0]->kids[i], "%s: rule name \"%s\" is used twice (first at "
				     "line %d)", path, ru->name, rc->rules[j].line);
				continue;
			}
			rc->n_rules++;
		}
	}
	if (v[1] && !g_list(x, v[1], "response.escalation", RESPOND_MAX_STEPS)) {
		rc->n_escalation = 0;
		for (i = 0; i < v[1]->n; i++) {
			pfmt(path, sizeof(path), "response.escalation[%zu]", i);
			if (g_dur(x, v[1]->kids[i], path, 0, 1, RESPOND_MAX_BLOCK_S, &s))
				continue;
			if (rc->n_escalation && s < rc->escalation_s[rc->n_escalation - 1]) {
				cerr(x, v[1]->kids[i], "%s: shorter than the step before; a repeat "
				     "offender's blocks only grow", path);
				continue;
			}
			rc->escalation_s[rc->n_escalation++] = s;
		}
	}
	if (v[2])
		g_dur(x, v[2], "response.escalation_reset", 0, 3600, RESPOND_MAX_BLOCK_S,
		      &rc->escalation_reset_s);
	if (v[3] && !g_list(x, v[3], "response.never_block", RESPOND_MAX_NEVER)) {
		rc->n_never_block = 0;
		for (i = 0; i < v[3]->n; i++) {
			struct ew_cidr *c = &rc->never_block[rc->n_never_block];
			const struct ew_ynode *n = v[3]->kids[i];

			pfmt(path, sizeof(path), "response.never_block[%zu]", i);
			if (want(x, n, EW_Y_SCALAR, path))
				continue;
			r = ew_cidr_parse(n->str, EW_CIDR_CANON, c, e, sizeof(e));
			if (r < 0) {
				cerr(x, n, "%s: %s", path, e);
				continue;
			}
			if (r == 1)
				cwarn(x, n, "%s: %s", path, e);
			if (ew_cidr_is_everything(c)) {
				cerr(x, n, "%s: %s would exempt every address; take block_ip out "
				     "of the rules instead", path, n->str);
				continue;
			}
			rc->n_never_block++;
		}
	}
	if (v[4])
		g_u32(x, v[4], "response.max_sources", 16, 1 << 20, &rc->max_keys);
	if (v[5])
		g_u32(x, v[5], "response.max_offenders", 16, 1 << 22, &rc->max_offenders);
	if (v[6])
		g_dur(x, v[6], "response.log_extended_for", 0, 60, 7 * 86400, &rc->log_extended_s);
}

/* ---- sources ---- */

static bool service_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < AUTHLOG_SERVICE_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-") == n;
}

/* service: NAME or [NAMES] into names[]; returns the count (0 on error). */
static size_t walk_services(struct ctx *x, const struct ew_ynode *n, const char *path,
			    char (*names)[AUTHLOG_SERVICE_LEN], size_t max)
{
	const struct ew_ynode *one = n;
	char p2[192], q[EW_QUOTE_LEN];
	size_t i, cnt = 1, got = 0;

	if (n->type == EW_Y_SEQ) {
		if (g_list(x, n, path, max))
			return 0;
		if (!n->n) {
			cerr(x, n, "%s: empty list", path);
			return 0;
		}
		cnt = n->n;
	}
	for (i = 0; i < cnt; i++) {
		if (n->type == EW_Y_SEQ) {
			one = n->kids[i];
			pfmt(p2, sizeof(p2), "%s[%zu]", path, i);
		} else {
			pfmt(p2, sizeof(p2), "%s", path);
		}
		if (want(x, one, EW_Y_SCALAR, p2))
			return 0;
		if (!service_name_ok(one->str)) {
			cerr(x, one, "%s: %s is not a service name (the syslog tag: letters, digits, "
			     "_ . @ -, at most %d bytes)", p2, ew_quote(one->str, q, sizeof(q)),
			     AUTHLOG_SERVICE_LEN - 1);
			return 0;
		}
		snprintf(names[got++], AUTHLOG_SERVICE_LEN, "%s", one->str);
	}
	return got;
}

static void walk_authlog(struct ctx *x, const struct ew_ynode *s)
{
	static const char *const keys[] = { "path", "service" };
	struct authlog_conf *sc = &x->cfg->sources;
	const struct ew_ynode *v[MAX_KEYS];
	char path[64], p2[96];
	size_t i, j;

	if (g_list(x, s, "sources.authlog", AUTHLOG_MAX_FILES))
		return;
	for (i = 0; i < sc->n_files; i++)
		free(sc->files[i].path);
	free(sc->files);
	sc->n_files = 0;
	sc->files = s->n ? calloc(s->n, sizeof(*sc->files)) : NULL;
	if (s->n && !sc->files) {
		nomem(x);
		return;
	}
	for (i = 0; i < s->n; i++) {
		struct authlog_file *f = &sc->files[sc->n_files];

		pfmt(path, sizeof(path), "sources.authlog[%zu]", i);
		if (fields(x, s->kids[i], path, keys, 2, v))
			continue;
		if (!v[0]) {
			cerr(x, s->kids[i], "%s: missing key \"path\"", path);
			continue;
		}
		if (g_path(x, v[0], join(p2, sizeof(p2), path, "path"), &f->path))
			continue;
		for (j = 0; j < sc->n_files; j++)
			if (!strcmp(sc->files[j].path, f->path))
				break;
		if (j < sc->n_files) {
			cerr(x, v[0], "%s: %s is listed twice (list its services together)", p2,
			     f->path);
			free(f->path);
			f->path = NULL;
			continue;
		}
		if (v[1]) {
			f->n_services = walk_services(x, v[1], join(p2, sizeof(p2), path, "service"),
						      f->services, AUTHLOG_MAX_SERVICES);
			if (!f->n_services) {
				free(f->path);
				f->path = NULL;
				continue;
			}
		} else {
			snprintf(f->services[0], AUTHLOG_SERVICE_LEN, "sshd");
			f->n_services = 1;
		}
		sc->n_files++;
	}
}

static void walk_journald(struct ctx *x, const struct ew_ynode *n)
{
	static const char *const keys[] = { "units" };
	struct authlog_conf *sc = &x->cfg->sources;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96], q[EW_QUOTE_LEN];
	size_t i;

	if (n->type == EW_Y_SCALAR) {
		g_bool(x, n, "sources.journald", &sc->journald);
		return;
	}
	if (fields(x, n, "sources.journald", keys, 1, v))
		return;
	sc->journald = true;
	if (!v[0] || g_list(x, v[0], "sources.journald.units", AUTHLOG_MAX_UNITS))
		return;
	if (!v[0]->n) {
		cerr(x, v[0], "sources.journald.units: empty list (write journald: false)");
		return;
	}
	sc->n_units = 0;
	for (i = 0; i < v[0]->n; i++) {
		const struct ew_ynode *u = v[0]->kids[i];
		size_t len;

		pfmt(p2, sizeof(p2), "sources.journald.units[%zu]", i);
		if (want(x, u, EW_Y_SCALAR, p2))
			continue;
		len = strlen(u->str);
		/* A unit name reaches journalctl's argv: no option, no separators. */
		if (!len || len >= sizeof(sc->units[0]) || u->str[0] == '-' ||
		    strspn(u->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_.@:-\\") != len) {
			cerr(x, u, "%s: %s is not a unit name", p2, ew_quote(u->str, q, sizeof(q)));
			continue;
		}
		snprintf(sc->units[sc->n_units++], sizeof(sc->units[0]), "%s", u->str);
	}
}

static void walk_patterns(struct ctx *x, const struct ew_ynode *s)
{
	static const char *const keys[] = { "name", "service", "regex", "event", "user",
					    "source" };
	struct authlog_conf *sc = &x->cfg->sources;
	const struct ew_ynode *v[MAX_KEYS];
	char path[64], p2[96], e[EW_ERRLEN], q[EW_QUOTE_LEN];
	size_t i, j;
	int ev;

	if (g_list(x, s, "sources.patterns", AUTHLOG_MAX_PATTERNS) || !s->n)
		return;
	sc->patterns = calloc(s->n, sizeof(*sc->patterns));
	if (!sc->patterns) {
		nomem(x);
		return;
	}
	for (i = 0; i < s->n; i++) {
		struct authlog_pattern *p = &sc->patterns[sc->n_patterns];
		unsigned int before = x->nerr;

		pfmt(path, sizeof(path), "sources.patterns[%zu]", i);
		if (fields(x, s->kids[i], path, keys, 6, v))
			continue;
		memset(p, 0, sizeof(*p));
		snprintf(p->service, sizeof(p->service), "sshd");
		if (!v[0] || !v[2] || !v[3]) {
			cerr(x, s->kids[i], "%s: missing key \"%s\"", path,
			     !v[0] ? "name" : !v[2] ? "regex" : "event");
			continue;
		}
		if (!want(x, v[0], EW_Y_SCALAR, join(p2, sizeof(p2), path, "name"))) {
			if (!*v[0]->str || strlen(v[0]->str) >= AUTHLOG_NAME_LEN ||
			    ctl_at(v[0]->str) >= 0)
				cerr(x, v[0], "%s: %s: 1..%d bytes without control characters", p2,
				     ew_quote(v[0]->str, q, sizeof(q)), AUTHLOG_NAME_LEN - 1);
			else
				snprintf(p->name, sizeof(p->name), "%s", v[0]->str);
		}
		if (v[1]) {
			char one[1][AUTHLOG_SERVICE_LEN];

			if (want(x, v[1], EW_Y_SCALAR, join(p2, sizeof(p2), path, "service")) ||
			    !walk_services(x, v[1], p2, one, 1))
				continue;
			snprintf(p->service, sizeof(p->service), "%s", one[0]);
		}
		if (!want(x, v[3], EW_Y_SCALAR, join(p2, sizeof(p2), path, "event"))) {
			ev = respond_ev_parse(v[3]->str);
			if (ev < 0 || ev == RESPOND_EV_DATA_EXPORT || ev == RESPOND_EV_DROPS)
				cerr(x, v[3], "%s: %s: expected failed_login, invalid_user, "
				     "preauth_disconnect or login_success", p2,
				     ew_quote(v[3]->str, q, sizeof(q)));
			else
				p->event = (enum respond_ev_type)ev;
		}
		if (v[4])
			g_u32(x, v[4], join(p2, sizeof(p2), path, "user"), 0, 9, &p->user_group);
		if (v[5])
			g_u32(x, v[5], join(p2, sizeof(p2), path, "source"), 0, 9,
			      &p->source_group);
		if (g_str(x, v[2], join(p2, sizeof(p2), path, "regex"), 0, &p->regex) ||
		    x->nerr != before) {
			free(p->regex);
			p->regex = NULL;
			continue;
		}
		if (authlog_pattern_check(p, e, sizeof(e))) {
			cerr(x, v[2], "%s: %s", path, e);
			free(p->regex);
			p->regex = NULL;
			continue;
		}
		for (j = 0; j < sc->n_patterns; j++)
			if (!strcmp(sc->patterns[j].name, p->name))
				break;
		if (j < sc->n_patterns) {
			cerr(x, v[0], "%s: pattern name \"%s\" is used twice", path, p->name);
			free(p->regex);
			p->regex = NULL;
			continue;
		}
		sc->n_patterns++;
	}
}

static void walk_sources(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "authlog", "journald", "patterns" };
	const struct ew_ynode *v[MAX_KEYS];

	if (fields(x, m, "sources", keys, 3, v))
		return;
	if (v[0])
		walk_authlog(x, v[0]);
	if (v[1])
		walk_journald(x, v[1]);
	if (v[2])
		walk_patterns(x, v[2]);
}

/* ---- alerts ---- */

/* The webhook's bearer key from a file: one line of RFC 6750 b64token characters. */
static void read_bearer(struct ctx *x, const struct ew_ynode *n, const char *path)
{
	struct ew_config *c = x->cfg;
	char buf[SECRET_FILE_MAX + 2];
	struct stat st;
	size_t len, ok;

	if (read_line_file(x, n, path, c->alerts.bearer_file, buf, &len, &st))
		goto out;
	ok = 0;
	while (ok < len && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				  "-._~+/", buf[ok]) && buf[ok])
		ok++;
	while (ok && ok < len && buf[ok] == '=')
		ok++;
	if (!len || len > SECRET_FILE_MAX || ok != len) {
		/* It goes into an HTTP header: a newline there would add headers of its own. */
		cerr(x, n, "%s: %s must hold the key on one line of letters, digits and "
		     "-._~+/ (then = padding)%s", path, c->alerts.bearer_file,
		     len ? "" : "; it is empty");
		goto out;
	}
	c->alerts.bearer = malloc(len + 1);
	if (!c->alerts.bearer) {
		nomem(x);
		goto out;
	}
	memcpy(c->alerts.bearer, buf, len);
	c->alerts.bearer[len] = '\0';
	c->alerts.bearer_st = st;
out:
	explicit_bzero(buf, sizeof(buf));
}

static void walk_webhook(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "url", "bearer_file", "timeout", "retries" };
	static const char *const P = "alerts.webhook";
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	char p2[96];

	if (fields(x, m, P, keys, 4, v))
		return;
	if (v[0] && !g_str(x, v[0], join(p2, sizeof(p2), P, "url"), 0, &c->alerts.url) &&
	    url_check(x, v[0], p2, c->alerts.url)) {
		free(c->alerts.url);
		c->alerts.url = NULL;
	}
	if (v[1] && !g_path(x, v[1], join(p2, sizeof(p2), P, "bearer_file"),
			    &c->alerts.bearer_file)) {
		c->at[CFG_AT_BEARER_FILE] = pos_of(v[1]);
		read_bearer(x, v[1], p2);
	}
	if (v[2])
		g_dur32(x, v[2], join(p2, sizeof(p2), P, "timeout"), 0, 1, 300,
			&c->alerts.timeout_s);
	if (v[3])
		g_u32(x, v[3], join(p2, sizeof(p2), P, "retries"), 0, 10, &c->alerts.retries);
}

static void walk_alerts(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "syslog", "webhook" };
	const struct ew_ynode *v[MAX_KEYS];

	if (fields(x, m, "alerts", keys, 2, v))
		return;
	if (v[0])
		g_bool(x, v[0], "alerts.syslog", &x->cfg->alerts.syslog);
	if (v[1])
		walk_webhook(x, v[1]);
}

/* ---- monitors ---- */

static void walk_monitors(struct ctx *x, const struct ew_ynode *m)
{
	static const char *const keys[] = { "connections", "files", "files_interval",
					    "failed_logins" };
	static const char *const ckeys[] = { "threshold", "interval" };
	static const char *const fkeys[] = { "threshold", "window" };
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS], *w[MAX_KEYS];
	char p2[96];
	uint64_t s;
	size_t i, j;

	if (fields(x, m, "monitors", keys, 4, v))
		return;
	if (v[0] && !fields(x, v[0], "monitors.connections", ckeys, 2, w)) {
		if (w[0])
			g_u32(x, w[0], "monitors.connections.threshold", 0, 1000000,
			      &c->monitors.conn_threshold);
		if (w[1])
			g_dur32(x, w[1], "monitors.connections.interval", 0, 1, 3600,
				&c->monitors.conn_interval_s);
	}
	if (v[1] && !g_list(x, v[1], "monitors.files", MONITOR_MAX_FILES)) {
		monitor_conf_release(&c->monitors);
		c->monitors.files = v[1]->n ? calloc(v[1]->n, sizeof(char *)) : NULL;
		if (v[1]->n && !c->monitors.files) {
			nomem(x);
			return;
		}
		for (i = 0; i < v[1]->n; i++) {
			char *f = NULL;

			pfmt(p2, sizeof(p2), "monitors.files[%zu]", i);
			if (g_path(x, v[1]->kids[i], p2, &f))
				continue;
			for (j = 0; j < c->monitors.n_files; j++)
				if (!strcmp(c->monitors.files[j], f))
					break;
			if (j < c->monitors.n_files) {
				cerr(x, v[1]->kids[i], "%s: %s is listed twice", p2, f);
				free(f);
				continue;
			}
			c->monitors.files[c->monitors.n_files++] = f;
		}
	}
	if (v[2])
		g_dur32(x, v[2], "monitors.files_interval", 0, 10, 86400,
			&c->monitors.files_interval_s);
	if (v[3] && !fields(x, v[3], "monitors.failed_logins", fkeys, 2, w)) {
		if (w[0])
			g_u32(x, w[0], "monitors.failed_logins.threshold", 0, RESPOND_MAX_COUNT - 1,
			      &c->response.burst_threshold);
		if (w[1] && !g_dur(x, w[1], "monitors.failed_logins.window", 0, 1,
				   RESPOND_MAX_WINDOW_S, &s))
			c->response.burst_window_ms = s * 1000;
	}
}

void cfg_alert_conf(const struct ew_config *cfg, struct alert_conf *out)
{
	memset(out, 0, sizeof(*out));
	out->syslog = cfg->alerts.syslog;
	out->url = cfg->alerts.url;
	out->bearer = cfg->alerts.bearer;
	out->timeout_s = cfg->alerts.timeout_s;
	out->retries = cfg->alerts.retries;
}

/* ---- the whole file ---- */

static bool role_known(const struct ew_config *c, const char *name)
{
	size_t i;

	if (rbac_is_default_role(name))
		return true;
	for (i = 0; i < c->rbac.n_roles; i++)
		if (!strcmp(c->rbac.roles[i].name, name))
			return true;
	return false;
}

/* Checks across sections, once every section has been read. */
static void cross_checks(struct ctx *x)
{
	struct ew_config *c = x->cfg;
	char buf[PATH_MAX];
	size_t i;

	if (!x->journal_set &&
	    (size_t)snprintf(buf, sizeof(buf), "%s/journal", c->daemon.state_dir) < sizeof(buf) &&
	    sdup(&c->daemon.journal, buf))
		nomem(x);
	if (!x->users_set &&
	    (size_t)snprintf(buf, sizeof(buf), "%s/users.json", c->daemon.state_dir) <
		    sizeof(buf) &&
	    sdup(&c->daemon.users_file, buf))
		nomem(x);

	if (c->api.tls && (!c->api.tls_cert || !c->api.tls_key))
		perr(x, c->at[CFG_AT_TLS_ENABLED].line ? c->at[CFG_AT_TLS_ENABLED] :
							c->at[CFG_AT_PROFILE],
		     "api.tls: enabled but %s not set",
		     !c->api.tls_cert && !c->api.tls_key ? "cert and key are" :
		     !c->api.tls_cert			 ? "cert is" :
							   "key is");
	if (!c->api.tls)
		for (i = 0; i < c->api.n_listen; i++)
			if (!listen_is_loopback(&c->api.listen[i]))
				cwarn(x, NULL, "api.listen: %s without TLS sends passwords and "
				      "tokens in clear text", c->api.listen[i].text);

	if (c->encryption.enabled && !c->encryption.key_file)
		perr(x, c->at[CFG_AT_ENC_ENABLED].line ? c->at[CFG_AT_ENC_ENABLED] :
							c->at[CFG_AT_PROFILE],
		     "security.encryption: enabled needs keyFile");

	for (i = 0; i < c->mfa.n_required; i++)
		if (!role_known(c, c->mfa.required[i].name))
			perr(x, c->mfa.required[i].pos.line ? c->mfa.required[i].pos :
							      c->at[CFG_AT_MFA_REQUIRED],
			     "security.authentication.mfa.required: no role \"%s\" (roles: admin, "
			     "manager, financial, employee, viewer and those under "
			     "authorization.rbac.roles)",
			     c->mfa.required[i].name);

	/* The guide's siemWebhook is the webhook unless alerts.webhook names one. */
	if (c->monitoring.siem && c->monitoring.siem_webhook) {
		if (!c->alerts.url) {
			if (sdup(&c->alerts.url, c->monitoring.siem_webhook)) {
				nomem(x);
				return;
			}
		} else if (strcmp(c->alerts.url, c->monitoring.siem_webhook)) {
			perr(x, c->at[CFG_AT_PROFILE], "alerts.webhook.url and "
			     "security.monitoring.siemWebhook differ; give the SIEM's URL once");
		}
	}

	if (!c->jwt.secret && c->profile == CFG_DEVELOPMENT) {
		if (sdup(&c->jwt.secret, dev_secret)) {
			nomem(x);
			return;
		}
		c->jwt.secret_len = strlen(dev_secret);
		c->jwt.secret_default = true;
		cwarn(x, NULL, "security.authentication.jwt: no secret; using the development "
		      "default, which anyone can read in the guide");
	}
}

static void walk_root(struct ctx *x, const struct ew_ynode *root)
{
	static const char *const keys[] = { "profile",	"daemon",  "api",     "metrics",
					    "security", "network", "database", "response",
					    "sources",	"alerts",  "monitors" };
	static const char *const profiles[] = { "development", "production" };
	struct ew_config *c = x->cfg;
	const struct ew_ynode *v[MAX_KEYS];
	int p = CFG_PRODUCTION, bad_profile = 0;
	size_t i, j;

	if (!root || ew_ynode_is_null(root)) {
		cerr(x, NULL, "the file is empty; start it with \"profile: production\" (or "
		     "development)");
		return;
	}
	if (root->type != EW_Y_MAP) {
		cerr(x, root, "the top level must be a mapping of keys, got %s", got(root));
		return;
	}
	fields(x, root, "top level", keys, 11, v);
	/*
	 * The profile first: it decides the defaults everything else overrides.
	 * Without a valid one the defaults are a guess, so the sections are read
	 * but not cross-checked.
	 */
	if (!v[0])
		bad_profile = cerr(x, root, "missing key \"profile\": say production or "
				   "development");
	else if ((bad_profile = g_word(x, v[0], "profile", profiles, 2, &p)))
		p = CFG_PRODUCTION;
	if (set_defaults(c, (enum cfg_profile)p)) {
		nomem(x);
		return;
	}
	c->at[CFG_AT_PROFILE] = pos_of(v[0] ? v[0] : root);
	for (i = 0; i < CFG_AT_COUNT; i++)
		c->at[i] = c->at[CFG_AT_PROFILE];

	/* The rest in file order, so that messages come in the order of the lines. */
	for (i = 0; i + 1 < root->n && !x->fatal; i += 2) {
		const struct ew_ynode *val = root->kids[i + 1];

		for (j = 1; j < 11; j++)
			if (v[j] == val)
				break;
		switch (j) {
		case 1:
			walk_daemon(x, val);
			break;
		case 2:
			walk_api(x, val);
			break;
		case 3:
			walk_metrics(x, val);
			break;
		case 4:
			walk_security(x, val);
			break;
		case 5:
			walk_network(x, val);
			break;
		case 6:
			walk_database(x, val);
			break;
		case 7:
			walk_response(x, val);
			break;
		case 8:
			walk_sources(x, val);
			break;
		case 9:
			walk_alerts(x, val);
			break;
		case 10:
			walk_monitors(x, val);
			break;
		default:
			break;
		}
	}
	if (!x->fatal && !bad_profile)
		cross_checks(x);
}

/* ---- production ---- */

/* Secrets that are published somewhere: the guide, tutorials, jwt.io, framework templates. */
static bool secret_is_placeholder(const char *s)
{
	static const char *const exact[] = {
		"secret",	"changeme",	"changeit",	 "password",   "default",
		"example",	"test",		"testing",	 "development", "placeholder",
		"jwt-secret",	"jwt_secret",	"jwtsecret",	 "mysecret",	"supersecret",
		"your-secret",	"your_secret",	"your-256-bit-secret", "secretkey", "secret-key",
		"secret_key",	"my-secret-key", "your-secret-key", "your_secret_key",
	};
	static const char *const parts[] = {
		"change-in-production", "change_in_production", "changeme", "change-me",
		"change_me", "changethis", "change-this", "replace-me", "replace_me", "replaceme",
		"your-secret", "your_secret", "placeholder", "dev-jwt-secret", "example",
	};
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcasecmp(s, exact[i]))
			return true;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strcasestr(s, parts[i]))
			return true;
	return false;
}

static struct cfg_pos at_or_profile(const struct ew_config *c, enum cfg_at a)
{
	return c->at[a].line ? c->at[a] : c->at[CFG_AT_PROFILE];
}

static const char *owner_name(const struct cfg_check_env *env, char *buf, size_t len)
{
	if (!env->owner)
		return "root";
	snprintf(buf, len, "uid %u", (unsigned int)env->owner);
	return buf;
}

/* A secret file: a regular file of the right owner, no access for group or other. */
static void file_check(struct ctx *x, struct cfg_pos at, const char *what, const char *path,
		       const struct stat *known, bool may_be_missing)
{
	char rb[PATH_MAX], on[32];
	struct stat st;
	mode_t m;

	if (known) {
		st = *known;
	} else if (stat(rooted(x->env, path, rb, sizeof(rb)), &st)) {
		if (errno == ENOENT && may_be_missing)
			return;
		perr(x, at, "production: %s %s: %s", what, path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		perr(x, at, "production: %s %s is not a regular file", what, path);
		return;
	}
	if (st.st_uid != x->env->owner)
		perr(x, at, "production: %s %s is owned by uid %u; it must belong to %s (chown)",
		     what, path, (unsigned int)st.st_uid, owner_name(x->env, on, sizeof(on)));
	m = st.st_mode & 07777;
	if (m & 077)
		perr(x, at, "production: %s %s has mode %04o: %s may %s it; chmod 600 it", what,
		     path, (unsigned int)m,
		     (m & 070) && (m & 07) ? "group and other" : (m & 070) ? "group" : "other",
		     m & 022 ? "write" : "read");
}

static void pin_dir_check(struct ctx *x, const struct ew_config *c)
{
	struct cfg_pos at = at_or_profile(c, CFG_AT_PIN_DIR);
	const char *dir = c->daemon.pin_dir;
	char rb[PATH_MAX], on[32];
	struct stat st;

	/* Missing is fine: the daemon creates it with mode 0700. */
	if (lstat(rooted(x->env, dir, rb, sizeof(rb)), &st)) {
		if (errno != ENOENT)
			perr(x, at, "production: pin directory %s: %s", dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		perr(x, at, "production: pin directory %s is %s, not a directory", dir,
		     S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
		return;
	}
	if (st.st_uid != x->env->owner)
		perr(x, at, "production: pin directory %s is owned by uid %u; it must belong to %s",
		     dir, (unsigned int)st.st_uid, owner_name(x->env, on, sizeof(on)));
	if ((st.st_mode & 07777) != 0700)
		perr(x, at, "production: pin directory %s has mode %04o; it must be 0700 (whoever "
		     "can open the pinned maps can rewrite the filter)", dir,
		     (unsigned int)(st.st_mode & 07777));
}

static void prod_checks(struct ctx *x, const struct ew_config *c)
{
	static const char *const P = "security.authentication";
	char list[256];
	size_t i, o = 0;
	bool admin = false;

	if (!c->jwt.secret) {
		perr(x, at_or_profile(c, CFG_AT_JWT), "production: %s.jwt has no secret; set "
		     "secret: \"${JWT_SECRET}\" or secret_file (make one with: openssl rand "
		     "-base64 48)", P);
	} else {
		struct cfg_pos at = at_or_profile(c, CFG_AT_JWT_SECRET);
		size_t n;

		if (secret_is_placeholder(c->jwt.secret))
			perr(x, at, "production: the JWT secret is a published placeholder (the "
			     "guide's development secret or the like); anyone could sign tokens");
		for (n = 1; n < c->jwt.secret_len && c->jwt.secret[n] == c->jwt.secret[0]; n++)
			;
		if (c->jwt.secret_len > 1 && n == c->jwt.secret_len)
			perr(x, at, "production: the JWT secret is one character repeated");
		if (c->jwt.secret_len < SECRET_MIN_LEN)
			perr(x, at, "production: the JWT secret is %zu bytes; HS256 needs at least "
			     "%d (make one with: openssl rand -base64 48)", c->jwt.secret_len,
			     SECRET_MIN_LEN);
	}
	if (!c->mfa.enabled)
		perr(x, at_or_profile(c, CFG_AT_MFA_ENABLED),
		     "production: %s.mfa.enabled is false; production requires MFA", P);
	for (i = 0; i < c->mfa.n_required; i++)
		admin |= !strcmp(c->mfa.required[i].name, "admin");
	if (!admin)
		perr(x, at_or_profile(c, CFG_AT_MFA_REQUIRED),
		     "production: %s.mfa.required does not list admin; production requires MFA "
		     "for administrators", P);
	if (!c->session.secure)
		perr(x, at_or_profile(c, CFG_AT_SESSION_SECURE),
		     "production: %s.session.secure is false; production sends credentials over "
		     "TLS only", P);
	if (!c->api.tls) {
		list[0] = '\0';
		for (i = 0; i < c->api.n_listen && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
					      c->api.listen[i].text);
		perr(x, at_or_profile(c, CFG_AT_TLS_ENABLED),
		     "production: api.tls.enabled is false; production serves the API over TLS "
		     "only%s%s%s", c->api.n_listen ? " (TCP listeners without TLS: " : "", list,
		     c->api.n_listen ? ")" : "");
	}
	if (!c->encryption.enabled)
		perr(x, at_or_profile(c, CFG_AT_ENC_ENABLED),
		     "production: security.encryption.enabled is false; production encrypts the "
		     "data it stores");

	file_check(x, (struct cfg_pos){ 0, 0 }, "config file", c->path, &c->st, false);
	if (c->api.tls && c->api.tls_key)
		file_check(x, at_or_profile(c, CFG_AT_TLS_KEY), "TLS key", c->api.tls_key, NULL,
			   false);
	if (c->jwt.secret_file)
		file_check(x, at_or_profile(c, CFG_AT_JWT_SECRET_FILE), "JWT secret file",
			   c->jwt.secret_file, &c->jwt.secret_st, false);
	if (c->encryption.enabled && c->encryption.key_file)
		file_check(x, at_or_profile(c, CFG_AT_ENC_KEY), "encryption key file",
			   c->encryption.key_file, NULL, false);
	if (c->alerts.bearer_file)
		file_check(x, at_or_profile(c, CFG_AT_BEARER_FILE), "webhook bearer file",
			   c->alerts.bearer_file, &c->alerts.bearer_st, false);
	/* Password hashes and TOTP secrets; absent before the first user is created. */
	file_check(x, at_or_profile(c, CFG_AT_USERS_FILE), "users file", c->daemon.users_file,
		   NULL, true);
	pin_dir_check(x, c);
}

int cfg_check_production_env(const struct ew_config *cfg, const struct cfg_check_env *env,
			     char *err, size_t errlen)
{
	static const struct cfg_check_env root_env;
	struct ctx x = { .file = cfg->path ? cfg->path : "config", .err = err, .errlen = errlen,
			 .env = env ? env : &root_env };

	if (err && errlen)
		err[0] = '\0';
	prod_checks(&x, cfg);
	finish_errors(&x);
	return x.nerr ? -EINVAL : 0;
}

int cfg_check_production(const struct ew_config *cfg, char *err, size_t errlen)
{
	return cfg_check_production_env(cfg, NULL, err, errlen);
}

/* ---- load, free ---- */

void cfg_free(struct ew_config *c)
{
	if (!c)
		return;
	if (c->jwt.secret) {
		explicit_bzero(c->jwt.secret, c->jwt.secret_len);
		free(c->jwt.secret);
	}
	if (c->database.conninfo) {
		explicit_bzero(c->database.conninfo, strlen(c->database.conninfo));
		free(c->database.conninfo);
	}
	free(c->database.tenant);
	free(c->database.node);
	free(c->path);
	free(c->warnings);
	free(c->daemon.pin_dir);
	free(c->daemon.state_dir);
	free(c->daemon.journal);
	free(c->daemon.users_file);
	free(c->daemon.pid_file);
	free(c->daemon.ifaces);
	free(c->api.unix_socket);
	free(c->api.listen);
	free(c->api.tls_cert);
	free(c->api.tls_key);
	free(c->jwt.secret_file);
	free(c->jwt.issuer);
	free(c->jwt.audience);
	free(c->mfa.required);
	rbac_role_defs_free(c->rbac.roles, c->rbac.n_roles);
	free(c->encryption.key_file);
	free(c->monitoring.siem_webhook);
	free(c->network.file);
	authlog_conf_release(&c->sources);
	monitor_conf_release(&c->monitors);
	free(c->alerts.url);
	free(c->alerts.bearer_file);
	if (c->alerts.bearer) {
		explicit_bzero(c->alerts.bearer, strlen(c->alerts.bearer));
		free(c->alerts.bearer);
	}
	ew_policy_doc_free(&c->network.doc);
	ew_compiled_free(&c->network.compiled);
	free(c);
}

int cfg_load_env(const char *path, const struct cfg_check_env *env, struct ew_config **out,
		 char *err, size_t errlen)
{
	static const struct cfg_check_env root_env;
	struct ctx x = { .file = path, .err = err, .errlen = errlen,
			 .env = env ? env : &root_env };
	struct ew_ynode *root = NULL;
	struct ew_config *c;
	char *wbuf = NULL;
	size_t wlen = 0;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		r = -ENOMEM;
		goto out;
	}
	ew_policy_doc_init(&c->network.doc);
	x.cfg = c;
	r = ew_yaml_load(path, "config file", CFG_MAX_DEPTH, &root, &c->st, err, errlen);
	if (r)
		goto out;
	x.warn = open_memstream(&wbuf, &wlen);
	if (!x.warn) {
		r = -ENOMEM;
		goto out;
	}
	walk_root(&x, root);
	/* Values are judged once the file says what it means. */
	if (!x.fatal && !x.nerr && c->profile == CFG_PRODUCTION)
		prod_checks(&x, c);
	if (fclose(x.warn))
		x.fatal = -ENOMEM;
	if (wlen)
		c->warnings = wbuf;
	else
		free(wbuf);
	r = x.fatal;
	if (!r && x.nerr) {
		finish_errors(&x);
		r = -EINVAL;
	}
out:
	if (r == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", path);
	ew_ynode_free(root);
	if (r)
		cfg_free(c);
	else
		*out = c;
	return r;
}

int cfg_load(const char *path, struct ew_config **out, char *err, size_t errlen)
{
	return cfg_load_env(path, NULL, out, err, errlen);
}

/* ---- parts from another store ---- */

/*
 * A tree from text that is not the config file: no ${VAR} expansion, the
 * config's own checks. x->cfg is a scratch config with the defaults.
 */
static int part_begin(struct ctx *x, struct ew_config *scratch, const char *name,
		      const char *text, struct ew_ynode **root, char *err, size_t errlen)
{
	static const struct cfg_check_env root_env;
	int r;

	memset(x, 0, sizeof(*x));
	memset(scratch, 0, sizeof(*scratch));
	x->file = name;
	x->err = err;
	x->errlen = errlen;
	x->env = &root_env;
	x->cfg = scratch;
	x->literal = true;
	if (err && errlen)
		err[0] = '\0';
	r = ew_yaml_load_mem(name, "database state", CFG_MAX_DEPTH, text, strlen(text), root, err,
			     errlen);
	if (r)
		return r;
	if (!*root) {
		snprintf(err, errlen, "%s: empty document", name);
		return -EINVAL;
	}
	return 0;
}

static int part_end(struct ctx *x, struct ew_ynode *root)
{
	ew_ynode_free(root);
	if (x->fatal)
		return x->fatal;
	if (x->nerr) {
		finish_errors(x);
		return -EINVAL;
	}
	return 0;
}

int cfg_roles_parse(const char *name, const char *text, struct rbac_role_def **defs, size_t *n,
		    char *err, size_t errlen)
{
	struct ew_config scratch;
	struct ew_ynode *root = NULL;
	struct ctx x;
	int r;

	*defs = NULL;
	*n = 0;
	r = part_begin(&x, &scratch, name, text, &root, err, errlen);
	if (r)
		return r;
	walk_roles(&x, root);
	r = part_end(&x, root);
	if (r) {
		rbac_role_defs_free(scratch.rbac.roles, scratch.rbac.n_roles);
		return r;
	}
	*defs = scratch.rbac.roles;
	*n = scratch.rbac.n_roles;
	return 0;
}

int cfg_rule_parse(const char *name, const char *text, struct respond_rule *out, char *err,
		   size_t errlen)
{
	struct ew_config scratch;
	struct ew_ynode *root = NULL;
	struct ctx x;
	bool ok;
	int r;

	r = part_begin(&x, &scratch, name, text, &root, err, errlen);
	if (r)
		return r;
	ok = walk_rule(&x, root, "rule", out);
	r = part_end(&x, root);
	return r ? r : ok ? 0 : -EINVAL;
}

/* ---- dump and diff ---- */

enum section {
	SEC_PROFILE,
	SEC_DAEMON,
	SEC_API,
	SEC_METRICS,
	SEC_AUTH,
	SEC_RBAC,
	SEC_ENCRYPTION,
	SEC_MONITORING,
	SEC_NETWORK,
	SEC_DATABASE,
	SEC_RESPONSE,
	SEC_SOURCES,
	SEC_ALERTS,
	SEC_MONITORS,
	SEC_COUNT,
};

/* cfg_diff reports section s as bit 1 << s. */
_Static_assert(CFG_DIFF_PROFILE == 1u << SEC_PROFILE && CFG_DIFF_DAEMON == 1u << SEC_DAEMON &&
		       CFG_DIFF_API == 1u << SEC_API && CFG_DIFF_METRICS == 1u << SEC_METRICS &&
		       CFG_DIFF_AUTH == 1u << SEC_AUTH && CFG_DIFF_RBAC == 1u << SEC_RBAC &&
		       CFG_DIFF_ENCRYPTION == 1u << SEC_ENCRYPTION &&
		       CFG_DIFF_MONITORING == 1u << SEC_MONITORING &&
		       CFG_DIFF_NETWORK == 1u << SEC_NETWORK &&
		       CFG_DIFF_DATABASE == 1u << SEC_DATABASE &&
		       CFG_DIFF_RESPONSE == 1u << SEC_RESPONSE &&
		       CFG_DIFF_SOURCES == 1u << SEC_SOURCES && CFG_DIFF_ALERTS == 1u << SEC_ALERTS &&
		       CFG_DIFF_MONITORS == 1u << SEC_MONITORS,
	       "CFG_DIFF_* bits follow enum section");

const char *cfg_profile_name(enum cfg_profile p)
{
	return p == CFG_PRODUCTION ? "production" : "development";
}

/* A YAML double-quoted string as the loader reads it back ("$" doubled), or ~ for none. */
static void yq(FILE *f, const char *s)
{
	if (!s) {
		fputs("~", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '$')
			fputs("$$", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}


static const char *rate(const struct cfg_rate *r, char *buf, size_t len)
{
	if (ew_rate_format(r->rate, r->period_s, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

static void dump_cond(FILE *f, const struct rbac_cond *c, const char *ind)
{
	static const char *const d3[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	char buf[EW_CIDR_STRLEN];
	size_t i;
	int d;

	if (c->has_time) {
		const struct rbac_time *t = &c->time;
		int32_t off = t->tz_off_s < 0 ? -t->tz_off_s : t->tz_off_s;
		const char *sep = "";

		fprintf(f, "%stime_range: {start: \"%02u:%02u\", end: \"%02u:%02u\", days: [", ind,
			t->start_min / 60, t->start_min % 60, t->end_min / 60, t->end_min % 60);
		for (d = 0; d < 7; d++) {
			/* Monday first, as people write weeks. */
			int day = (d + 1) % 7;

			if (t->days & (1u << day)) {
				fprintf(f, "%s%s", sep, d3[day]);
				sep = ", ";
			}
		}
		if (t->tz_off_s)
			fprintf(f, "], tz: \"%c%02d:%02d\"}\n", t->tz_off_s < 0 ? '-' : '+',
				off / 3600, off / 60 % 60);
		else
			fprintf(f, "], tz: UTC}\n");
	}
	if (c->n_ip) {
		fprintf(f, "%sip_range: [", ind);
		for (i = 0; i < c->n_ip; i++) {
			ew_cidr_format(&c->ip[i], buf, sizeof(buf));
			fprintf(f, "%s\"%s\"", i ? ", " : "", buf);
		}
		fprintf(f, "]\n");
	}
	if (c->n_loc) {
		fprintf(f, "%slocation: [", ind);
		for (i = 0; i < c->n_loc; i++) {
			fputs(i ? ", " : "", f);
			yq(f, c->loc[i]);
		}
		fprintf(f, "]\n");
	}
	for (i = 0; i < c->n_attr; i++) {
		fprintf(f, "%s%s: ", ind, c->attr[i].key);
		yq(f, c->attr[i].value);
		fputc('\n', f);
	}
}

static void dump_roles(FILE *f, const struct ew_config *c)
{
	size_t i, j;
	unsigned int a;

	if (!c->rbac.n_roles) {
		fprintf(f, "      roles: {}\n");
		return;
	}
	fprintf(f, "      roles:\n");
	for (i = 0; i < c->rbac.n_roles; i++) {
		const struct rbac_role_def *d = &c->rbac.roles[i];

		if (!d->level_set && !d->perms_set) {
			fprintf(f, "        %s: {}\n", d->name);
			continue;
		}
		fprintf(f, "        %s:\n", d->name);
		if (d->level_set)
			fprintf(f, "          level: %d\n", d->level);
		if (!d->perms_set)
			continue;
		fprintf(f, "          permissions:%s\n", d->n_perms ? "" : " []");
		for (j = 0; j < d->n_perms; j++) {
			const struct rbac_perm *p = &d->perms[j];
			const char *sep = "";

			fprintf(f, "            - resource: \"%s\"\n              action: [",
				rbac_res_name(p->res));
			for (a = 1; a <= RBAC_EXECUTE; a <<= 1) {
				if (!(p->acts & a))
					continue;
				fprintf(f, "%s%s", sep, rbac_act_name(a));
				sep = ", ";
			}
			fprintf(f, "]\n");
			if (p->cond.has_time || p->cond.n_ip || p->cond.n_loc || p->cond.n_attr) {
				fprintf(f, "              conditions:\n");
				dump_cond(f, &p->cond, "                ");
			}
		}
	}
}

static void dump_time(FILE *f, const struct rbac_time *t)
{
	int off = t->tz_off_s < 0 ? -t->tz_off_s : t->tz_off_s;

	fprintf(f, ", time_range: {start: \"%02u:%02u\", end: \"%02u:%02u\", tz: \"%c%02d:%02d\"",
		t->start_min / 60, t->start_min % 60, t->end_min / 60, t->end_min % 60,
		t->tz_off_s < 0 ? '-' : '+', off / 3600, off / 60 % 60);
	if (t->days != RBAC_DAYS_ALL) {
		static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri",
						    "sat" };
		const char *sep = "";

		fprintf(f, ", days: [");
		for (int d = 0; d < 7; d++)
			if (t->days & (1u << d)) {
				fprintf(f, "%s%s", sep, days[d]);
				sep = ", ";
			}
		fprintf(f, "]");
	}
	fprintf(f, "}");
}

static void dump_rule(FILE *f, const struct respond_rule *r)
{
	char a[32];
	const char *sep = "";
	size_t i;

	fprintf(f, "    - name: ");
	yq(f, r->name);
	fprintf(f, "\n      enabled: %s\n      when: {event: [", tf(r->enabled));
	for (i = 0; i < RESPOND_EV_COUNT; i++)
		if (r->events & (1u << i)) {
			fprintf(f, "%s%s", sep, respond_ev_name((int)i));
			sep = ", ";
		}
	fprintf(f, "], count: %u", r->count);
	if (r->count > 1)
		fprintf(f, ", window: %s", dur(r->window_ms / 1000, a, sizeof(a)));
	fprintf(f, ", per: %s", respond_per_name(r->per));
	if (r->role[0])
		fprintf(f, ", role: %s", r->role);
	if (r->n_users) {
		fprintf(f, ", users: [");
		for (i = 0; i < r->n_users; i++) {
			fprintf(f, "%s", i ? ", " : "");
			yq(f, r->users[i]);
		}
		fprintf(f, "]");
	}
	if (r->has_time)
		dump_time(f, &r->time);
	if (r->bytes_over)
		fprintf(f, ", bytes_over: %lluB", (unsigned long long)r->bytes_over);
	fprintf(f, "}\n      actions: [");
	for (i = 0; i < r->n_actions; i++)
		fprintf(f, "%s%s", i ? ", " : "", respond_action_name(r->actions[i]));
	fprintf(f, "]\n");
	if (r->block_s)
		fprintf(f, "      block_for: %s\n", dur(r->block_s, a, sizeof(a)));
}

static void dump_response(FILE *f, const struct ew_config *c)
{
	const struct respond_conf *rc = &c->response;
	char a[32], b[EW_CIDR_STRLEN];
	size_t i;

	fprintf(f, "response:\n  rules:%s\n", rc->n_rules ? "" : " []");
	for (i = 0; i < rc->n_rules; i++)
		dump_rule(f, &rc->rules[i]);
	fprintf(f, "  escalation: [");
	for (i = 0; i < rc->n_escalation; i++)
		fprintf(f, "%s%s", i ? ", " : "", dur(rc->escalation_s[i], a, sizeof(a)));
	fprintf(f, "]\n  escalation_reset: %s\n  never_block: [",
		dur(rc->escalation_reset_s, a, sizeof(a)));
	for (i = 0; i < rc->n_never_block; i++) {
		ew_cidr_format(&rc->never_block[i], b, sizeof(b));
		fprintf(f, "%s\"%s\"", i ? ", " : "", b);
	}
	fprintf(f, "]\n  max_sources: %u\n  max_offenders: %u\n  log_extended_for: %s\n",
		rc->max_keys, rc->max_offenders, dur(rc->log_extended_s, a, sizeof(a)));
}

static void dump_sources(FILE *f, const struct ew_config *c)
{
	const struct authlog_conf *sc = &c->sources;
	size_t i, j;

	fprintf(f, "sources:\n  authlog:%s\n", sc->n_files ? "" : " []");
	for (i = 0; i < sc->n_files; i++) {
		fprintf(f, "    - {path: ");
		yq(f, sc->files[i].path);
		fprintf(f, ", service: [");
		for (j = 0; j < sc->files[i].n_services; j++)
			fprintf(f, "%s%s", j ? ", " : "", sc->files[i].services[j]);
		fprintf(f, "]}\n");
	}
	if (sc->journald) {
		fprintf(f, "  journald: {units: [");
		for (i = 0; i < sc->n_units; i++) {
			fprintf(f, "%s", i ? ", " : "");
			yq(f, sc->units[i]);
		}
		fprintf(f, "]}\n");
	} else {
		fprintf(f, "  journald: false\n");
	}
	fprintf(f, "  patterns:%s\n", sc->n_patterns ? "" : " []");
	for (i = 0; i < sc->n_patterns; i++) {
		const struct authlog_pattern *p = &sc->patterns[i];

		fprintf(f, "    - {name: ");
		yq(f, p->name);
		fprintf(f, ", service: %s, event: %s, user: %u, source: %u, regex: ", p->service,
			respond_ev_name(p->event), p->user_group, p->source_group);
		yq(f, p->regex);
		fprintf(f, "}\n");
	}
}

static void dump_alerts(FILE *f, const struct ew_config *c, bool redact)
{
	char a[32];

	fprintf(f, "alerts:\n  syslog: %s\n  webhook: {url: ", tf(c->alerts.syslog));
	yq(f, c->alerts.url);
	if (c->alerts.bearer_file) {
		fprintf(f, ", bearer_file: ");
		yq(f, c->alerts.bearer_file);
	}
	fprintf(f, ", timeout: %s, retries: %u}\n", dur(c->alerts.timeout_s, a, sizeof(a)),
		c->alerts.retries);
	/* A comment, only in the reload diff's text: a new key is a change. */
	if (c->alerts.bearer && !redact) {
		fprintf(f, "  # bearer: ");
		yq(f, c->alerts.bearer);
		fputc('\n', f);
	}
}

static void dump_monitors(FILE *f, const struct ew_config *c)
{
	const struct monitor_conf *m = &c->monitors;
	char a[32];
	size_t i;

	fprintf(f, "monitors:\n  connections: {threshold: %u, interval: %s}\n  files: [",
		m->conn_threshold, dur(m->conn_interval_s, a, sizeof(a)));
	for (i = 0; i < m->n_files; i++) {
		fprintf(f, "%s", i ? ", " : "");
		yq(f, m->files[i]);
	}
	fprintf(f, "]\n  files_interval: %s\n", dur(m->files_interval_s, a, sizeof(a)));
	fprintf(f, "  failed_logins: {threshold: %u, window: %s}\n", c->response.burst_threshold,
		dur(c->response.burst_window_ms / 1000, a, sizeof(a)));
}

static void dump_section(const struct ew_config *c, enum section sec, bool redact, FILE *f)
{
	static const char *const modes[] = { "auto", "native", "skb" };
	static const char *const same[] = { "strict", "lax", "none" };
	static const char *const levels[] = { "minimal", "standard", "comprehensive" };
	char a[32], b[32];
	size_t i;

	switch (sec) {
	case SEC_PROFILE:
		fprintf(f, "profile: %s\n", cfg_profile_name(c->profile));
		break;
	case SEC_DAEMON:
		fprintf(f, "daemon:\n  pin_dir: ");
		yq(f, c->daemon.pin_dir);
		fprintf(f, "\n  state_dir: ");
		yq(f, c->daemon.state_dir);
		fprintf(f, "\n  journal: ");
		yq(f, c->daemon.journal);
		fprintf(f, "\n  users_file: ");
		yq(f, c->daemon.users_file);
		fprintf(f, "\n  pid_file: ");
		yq(f, c->daemon.pid_file);
		fprintf(f, "\n  interfaces:%s\n", c->daemon.n_ifaces ? "" : " []");
		for (i = 0; i < c->daemon.n_ifaces; i++) {
			fprintf(f, "    - {name: ");
			yq(f, c->daemon.ifaces[i].name);
			fprintf(f, ", mode: %s}\n", modes[c->daemon.ifaces[i].mode]);
		}
		break;
	case SEC_API:
		fprintf(f, "api:\n  unix_socket: ");
		yq(f, c->api.unix_socket);
		fprintf(f, "\n  listen: [");
		for (i = 0; i < c->api.n_listen; i++)
			fprintf(f, "%s\"%s\"", i ? ", " : "", c->api.listen[i].text);
		fprintf(f, "]\n  tls: {enabled: %s, cert: ", tf(c->api.tls));
		yq(f, c->api.tls_cert);
		fprintf(f, ", key: ");
		yq(f, c->api.tls_key);
		fprintf(f, "}\n  limits: {header_bytes: %u, headers: %u, body_bytes: %u, "
			"header_timeout: %s, idle_timeout: %s, max_conns: %u, "
			"max_conns_per_source: %u}\n",
			c->api.header_bytes, c->api.headers, c->api.body_bytes,
			dur(c->api.header_timeout_s, a, sizeof(a)),
			dur(c->api.idle_timeout_s, b, sizeof(b)), c->api.max_conns,
			c->api.max_conns_per_source);
		fprintf(f, "  rate_limits:\n    api: {rate: %s, burst: %u}\n",
			rate(&c->api.rl_api, a, sizeof(a)), c->api.rl_api.burst);
		fprintf(f, "    login: {rate: %s, burst: %u}\n",
			rate(&c->api.rl_login, a, sizeof(a)), c->api.rl_login.burst);
		break;
	case SEC_METRICS:
		fprintf(f, "metrics: {enabled: %s, listen: \"%s\"}\n", tf(c->metrics.enabled),
			c->metrics.listen.text);
		break;
	case SEC_AUTH:
		fprintf(f, "  authentication:\n    jwt:\n");
		if (c->jwt.secret_file) {
			fprintf(f, "      secret_file: ");
			yq(f, c->jwt.secret_file);
			fputc('\n', f);
		}
		if (redact) {
			fprintf(f, "      secret: \"<redacted: %zu bytes%s>\"\n", c->jwt.secret_len,
				c->jwt.secret_default ? ", the development default" : "");
		} else {
			fprintf(f, "      secret: ");
			yq(f, c->jwt.secret);
			fputc('\n', f);
		}
		fprintf(f, "      expiresIn: %s\n      refreshExpiresIn: %s\n      issuer: ",
			dur(c->jwt.expires_s, a, sizeof(a)),
			dur(c->jwt.refresh_expires_s, b, sizeof(b)));
		yq(f, c->jwt.issuer);
		fprintf(f, "\n      audience: ");
		yq(f, c->jwt.audience);
		fprintf(f, "\n      algorithm: %s\n", c->jwt.algorithm);
		fprintf(f, "    session: {secure: %s, httpOnly: %s, sameSite: %s, maxAge: %s, "
			"rolling: %s}\n",
			tf(c->session.secure), tf(c->session.http_only),
			same[c->session.same_site], dur(c->session.max_age_s, a, sizeof(a)),
			tf(c->session.rolling));
		fprintf(f, "    mfa: {enabled: %s, required: [", tf(c->mfa.enabled));
		for (i = 0; i < c->mfa.n_required; i++)
			fprintf(f, "%s%s", i ? ", " : "", c->mfa.required[i].name);
		fprintf(f, "], methods: [%s]}\n", c->mfa.methods & CFG_MFA_TOTP ? "totp" : "");
		fprintf(f, "    passwordPolicy: {minLength: %u, requireUppercase: %s, "
			"requireLowercase: %s, requireNumbers: %s, requireSpecialChars: %s, "
			"preventReuse: %u, maxAge: %s, commonPasswords: %s}\n",
			c->password.min_length, tf(c->password.upper), tf(c->password.lower),
			tf(c->password.numbers), tf(c->password.special),
			c->password.prevent_reuse, dur(c->password.max_age_s, a, sizeof(a)),
			tf(c->password.common));
		fprintf(f, "    lockout: {maxAttempts: %u, lockoutDuration: %s, "
			"progressiveDelay: %s, hardLockAfter: %u}\n",
			c->lockout.max_attempts, dur(c->lockout.duration_s, a, sizeof(a)),
			tf(c->lockout.progressive_delay), c->lockout.hard_lock_after);
		break;
	case SEC_RBAC:
		fprintf(f, "  authorization:\n    rbac:\n      strictMode: %s\n"
			"      debugMode: %s\n      auditAllAccess: %s\n",
			tf(c->rbac.strict), tf(c->rbac.debug), tf(c->rbac.audit_all));
		dump_roles(f, c);
		break;
	case SEC_ENCRYPTION:
		fprintf(f, "  encryption: {enabled: %s, algorithm: %s, keyFile: ",
			tf(c->encryption.enabled), c->encryption.algorithm);
		yq(f, c->encryption.key_file);
		fprintf(f, ", keyRotationDays: %u}\n", c->encryption.key_rotation_days);
		break;
	case SEC_MONITORING:
		fprintf(f, "  monitoring: {auditLevel: %s, alerting: %s, realTimeMonitoring: %s, "
			"siemIntegration: %s, siemWebhook: ",
			levels[c->monitoring.audit_level], tf(c->monitoring.alerting),
			tf(c->monitoring.realtime), tf(c->monitoring.siem));
		yq(f, c->monitoring.siem_webhook);
		fprintf(f, ", riskAlertThreshold: %u}\n", c->monitoring.risk_alert_threshold);
		break;
	case SEC_NETWORK:
		if (!c->network.present) {
			fprintf(f, "network: ~  # not managed here: edgewardctl apply sets the "
				"policy\n");
			break;
		}
		fprintf(f, "network:  # %s: %zu open, %zu allow, %zu acl, %zu ratelimit, "
			"%zu block\n", c->network.file ? "from a file" : "inline",
			c->network.doc.n_open, c->network.doc.n_allow, c->network.doc.n_acl,
			c->network.doc.n_rl, c->network.doc.n_block);
		if (c->network.file) {
			fprintf(f, "  file: ");
			yq(f, c->network.file);
			fputc('\n', f);
		} else {
			fprintf(f, "  version: 1\n");
		}
		break;
	case SEC_DATABASE:
		if (!c->database.conninfo) {
			fprintf(f, "database: {}\n");
			break;
		}
		if (redact) {
			fprintf(f, "database: {conninfo: \"<redacted>\"");
		} else {
			fprintf(f, "database: {conninfo: ");
			yq(f, c->database.conninfo);
		}
		if (c->database.tenant) {
			fprintf(f, ", tenant: ");
			yq(f, c->database.tenant);
		}
		if (c->database.node) {
			fprintf(f, ", node: ");
			yq(f, c->database.node);
		}
		if (c->database.resync_interval_s)
			fprintf(f, ", resync_interval: %llus",
				(unsigned long long)c->database.resync_interval_s);
		else
			fprintf(f, ", resync_interval: never");
		fprintf(f, ", rbac: %s, response_rules: %s}\n", c->database.rbac ? "true" : "false",
			c->database.response_rules ? "true" : "false");
		break;
	case SEC_RESPONSE:
		dump_response(f, c);
		break;
	case SEC_SOURCES:
		dump_sources(f, c);
		break;
	case SEC_ALERTS:
		dump_alerts(f, c, redact);
		break;
	case SEC_MONITORS:
		dump_monitors(f, c);
		break;
	default:
		break;
	}
}

int cfg_dump(const struct ew_config *cfg, FILE *out)
{
	int s;

	for (s = 0; s < SEC_COUNT; s++) {
		if (s == SEC_AUTH)
			fputs("security:\n", out);
		dump_section(cfg, (enum section)s, true, out);
	}
	return fflush(out) || ferror(out) ? -EIO : 0;
}

/* The compiled policy and the static blocks; where they came from does not matter. */
static bool network_equal(const struct ew_config *a, const struct ew_config *b)
{
	const struct ew_compiled *x = &a->network.compiled, *y = &b->network.compiled;
	size_t i;

	if (a->network.present != b->network.present)
		return false;
	if (!a->network.present)
		return true;
	if (x->n_sets != y->n_sets || a->network.doc.n_block != b->network.doc.n_block)
		return false;
	if (memcmp(x->pol, y->pol, sizeof(*x->pol)) ||
	    (x->n_sets && memcmp(x->sets, y->sets, x->n_sets * sizeof(*x->sets))))
		return false;
	for (i = 0; i < a->network.doc.n_block; i++) {
		const struct ew_block_doc *p = &a->network.doc.block[i];
		const struct ew_block_doc *q = &b->network.doc.block[i];

		if (memcmp(&p->cidr, &q->cidr, sizeof(p->cidr)) || p->ttl_ns != q->ttl_ns ||
		    strcmp(p->reason, q->reason))
			return false;
	}
	return true;
}

/* Dumped text of one section; wiped before it is freed, since it may hold the secret. */
static char *section_text(const struct ew_config *c, enum section s, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	*len = 0;
	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	dump_section(c, s, false, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

unsigned int cfg_diff(const struct ew_config *a, const struct ew_config *b)
{
	unsigned int diff = 0;
	int s;

	if (!a || !b)
		return a == b ? 0 : ~0u;
	for (s = 0; s < SEC_COUNT; s++) {
		char *ta, *tb;
		size_t la, lb;

		if (s == SEC_NETWORK) {
			if (!network_equal(a, b))
				diff |= CFG_DIFF_NETWORK;
			continue;
		}
		ta = section_text(a, (enum section)s, &la);
		tb = section_text(b, (enum section)s, &lb);
		/* Out of memory: call it changed, the caller then reapplies the section. */
		if (!ta || !tb || la != lb || memcmp(ta, tb, la))
			diff |= 1u << s;
		if (ta)
			explicit_bzero(ta, la);
		if (tb)
			explicit_bzero(tb, lb);
		free(ta);
		free(tb);
	}
	return diff;
}
