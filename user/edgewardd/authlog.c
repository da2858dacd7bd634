// SPDX-License-Identifier: GPL-2.0-only
/*
 * Auth log sources: OpenSSH patterns, syslog line parsing, files followed
 * through rotation with inotify, and journalctl as a child process; see
 * authlog.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "authlog.h"
#include "log.h"
#include "parse.h"

extern char **environ;

/* ---- patterns ---- */

/*
 * A: the address field. Anything without a space: host names (UseDNS yes)
 * match too and are dropped when the text is not an address, so that such
 * a line still counts for its user.
 */
#define A "([^ ]+)"
#define METHODS "(password|publickey|keyboard-interactive/pam|keyboard-interactive|hostbased|" \
		"gssapi-with-mic|gssapi-keyex)"

struct builtin {
	const char *name;
	const char *prefix;		/* literal start of the message: a cheap first test */
	const char *regex;
	enum respond_ev_type ev;
	unsigned int ug, sg;
};

static const struct builtin builtins[] = {
	{ "sshd-failed", "Failed ",
	  "^Failed " METHODS " for (invalid user )?(.*) from " A " port [0-9]+ ssh2"
	  "(: [A-Z0-9-]+ SHA256:[A-Za-z0-9+/]+)?$",
	  RESPOND_EV_FAILED_LOGIN, 3, 4 },
	{ "sshd-invalid-user", "Invalid user ", "^Invalid user (.*) from " A " port [0-9]+$",
	  RESPOND_EV_INVALID_USER, 1, 2 },
	{ "sshd-not-allowed", "User ",
	  "^User (.*) from " A " not allowed because (listed in DenyUsers|not listed in "
	  "AllowUsers|not in any group|a group is listed in DenyGroups|none of user's groups "
	  "are listed in AllowGroups|shell [^ ]+ does not exist|shell [^ ]+ is not executable)$",
	  RESPOND_EV_INVALID_USER, 1, 2 },
	{ "sshd-accepted", "Accepted ",
	  "^Accepted " METHODS " for (.*) from " A " port [0-9]+ ssh2(: .*)?$",
	  RESPOND_EV_LOGIN_SUCCESS, 2, 3 },
	{ "sshd-closed-user", "Connection closed by ",
	  "^Connection closed by (authenticating|invalid) user (.*) " A " port [0-9]+ "
	  "\\[preauth\\]$",
	  RESPOND_EV_PREAUTH, 2, 3 },
	{ "sshd-closed", "Connection closed by ",
	  "^Connection closed by " A " port [0-9]+ \\[preauth\\]$", RESPOND_EV_PREAUTH, 0, 1 },
	{ "sshd-reset-user", "Connection reset by ",
	  "^Connection reset by (authenticating|invalid) user (.*) " A " port [0-9]+ "
	  "\\[preauth\\]$",
	  RESPOND_EV_PREAUTH, 2, 3 },
	{ "sshd-reset", "Connection reset by ",
	  "^Connection reset by " A " port [0-9]+ \\[preauth\\]$", RESPOND_EV_PREAUTH, 0, 1 },
	{ "sshd-disconnected-user", "Disconnected from ",
	  "^Disconnected from (authenticating|invalid) user (.*) " A " port [0-9]+ "
	  "\\[preauth\\]$",
	  RESPOND_EV_PREAUTH, 2, 3 },
	{ "sshd-disconnected", "Disconnected from ",
	  "^Disconnected from " A " port [0-9]+ \\[preauth\\]$", RESPOND_EV_PREAUTH, 0, 1 },
	/* The peer's text follows the address here: the start anchors the address. */
	{ "sshd-received-disconnect", "Received disconnect from ",
	  "^Received disconnect from " A " port [0-9]+:[0-9]+: .* \\[preauth\\]$",
	  RESPOND_EV_PREAUTH, 0, 1 },
	{ "sshd-timeout", "Timeout before authentication for ",
	  "^Timeout before authentication for " A " port [0-9]+$", RESPOND_EV_PREAUTH, 0, 1 },
	{ "sshd-banner", "banner exchange: Connection from ",
	  "^banner exchange: Connection from " A " port [0-9]+: .*$", RESPOND_EV_PREAUTH, 0, 1 },
	{ "sshd-no-ident", "Did not receive identification string from ",
	  "^Did not receive identification string from " A " port [0-9]+$", RESPOND_EV_PREAUTH, 0,
	  1 },
	{ "sshd-negotiate", "Unable to negotiate with ",
	  "^Unable to negotiate with " A " port [0-9]+: .*$", RESPOND_EV_PREAUTH, 0, 1 },
	{ "sshd-max-auth", "error: maximum authentication attempts exceeded for ",
	  "^error: maximum authentication attempts exceeded for (invalid user )?(.*) from " A
	  " port [0-9]+ ssh2 \\[preauth\\]$",
	  RESPOND_EV_PREAUTH, 2, 3 },
	{ "sshd-too-many", "Disconnecting ",
	  "^Disconnecting (authenticating|invalid) user (.*) " A " port [0-9]+: Too many "
	  "authentication failures \\[preauth\\]$",
	  RESPOND_EV_PREAUTH, 2, 3 },
	{ "sshd-penalty", "drop connection #",
	  "^drop connection #[0-9]+ from \\[([^]]+)\\]:[0-9]+ on \\[[^]]+\\]:[0-9]+ "
	  "(penalty: .*|past MaxStartups)$",
	  RESPOND_EV_PREAUTH, 0, 1 },
};

#define N_BUILTIN (sizeof(builtins) / sizeof(builtins[0]))

struct pat {
	char name[AUTHLOG_NAME_LEN];
	char service[AUTHLOG_SERVICE_LEN];
	const char *prefix;		/* NULL: none */
	regex_t re;
	bool compiled;
	enum respond_ev_type ev;
	unsigned int ug, sg;
};

struct authlog_matcher {
	struct pat *p;
	size_t n;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool service_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < AUTHLOG_SERVICE_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-") == n;
}

/*
 * Interval expressions copy their atom (glibc's regcomp expands "a{100}"
 * into 100 nodes, nested ones multiply): a few small ones only, so that a
 * pattern cannot make the config's load take gigabytes. 0 or -EINVAL.
 */
static int intervals_ok(const char *re)
{
	unsigned int n = 0;
	const char *p;

	for (p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '[') {
			/* A bracket expression: "]" first is literal, "[:alpha:]" inside. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					const char *end = strstr(p + 2, p[1] == ':' ? ":]" :
									      p[1] == '.' ? ".]" : "=]");

					if (!end)
						return -EINVAL;
					p = end + 1;
				}
				p++;
			}
			if (!*p)
				return -EINVAL;
			continue;
		}
		if (*p != '{')
			continue;
		if (++n > AUTHLOG_MAX_INTERVALS)
			return -EINVAL;
		for (p++; *p && *p != '}'; p++) {
			unsigned long v;
			char *end;

			if (*p == ',')
				continue;
			v = strtoul(p, &end, 10);
			if (end == p || v > AUTHLOG_MAX_REPEAT)
				return -EINVAL;
			p = end - 1;
		}
		if (!*p)
			return -EINVAL;
	}
	return 0;
}

int authlog_pattern_check(const struct authlog_pattern *p, char *err, size_t errlen)
{
	char msg[256], q[EW_QUOTE_LEN];
	regex_t re;
	size_t n;
	int r;

	if (!p->name[0])
		return fail(err, errlen, "a pattern needs a name");
	if (!service_ok(p->service))
		return fail(err, errlen, "pattern %s: %s is not a service name", p->name,
			    ew_quote(p->service, q, sizeof(q)));
	if (!p->regex || !*p->regex)
		return fail(err, errlen, "pattern %s: empty regex", p->name);
	n = strlen(p->regex);
	if (n > AUTHLOG_REGEX_MAX)
		return fail(err, errlen, "pattern %s: regex longer than %d bytes", p->name,
			    AUTHLOG_REGEX_MAX);
	if (p->regex[0] != '^' || p->regex[n - 1] != '$' || (n > 1 && p->regex[n - 2] == '\\'))
		return fail(err, errlen, "pattern %s: the regex must start with ^ and end with $ "
			    "(anchored at the end, text inside a user name cannot pose as the "
			    "address)", p->name);
	if ((unsigned int)p->event >= RESPOND_EV_COUNT || p->event == RESPOND_EV_DROPS ||
	    p->event == RESPOND_EV_DATA_EXPORT)
		return fail(err, errlen, "pattern %s: event must be failed_login, invalid_user, "
			    "preauth_disconnect or login_success", p->name);
	if (intervals_ok(p->regex))
		return fail(err, errlen, "pattern %s: at most %d repetition counts {m,n}, each at "
			    "most %d (use + or *)", p->name, AUTHLOG_MAX_INTERVALS,
			    AUTHLOG_MAX_REPEAT);
	r = regcomp(&re, p->regex, REG_EXTENDED);
	if (r) {
		regerror(r, &re, msg, sizeof(msg));
		return fail(err, errlen, "pattern %s: regex: %s", p->name, msg);
	}
	n = re.re_nsub;
	regfree(&re);
	if (p->user_group > n || p->source_group > n)
		return fail(err, errlen, "pattern %s: the regex has %zu group%s, no group %u",
			    p->name, n, n == 1 ? "" : "s",
			    p->user_group > n ? p->user_group : p->source_group);
	if (p->user_group && p->user_group == p->source_group)
		return fail(err, errlen, "pattern %s: user and source are the same group", p->name);
	if (!p->user_group && !p->source_group)
		return fail(err, errlen, "pattern %s: name a user group, a source group or both",
			    p->name);
	return 0;
}

void authlog_matcher_free(struct authlog_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].compiled)
			regfree(&m->p[i].re);
	free(m->p);
	free(m);
}

int authlog_matcher_new(const struct authlog_pattern *extra, size_t n_extra,
			struct authlog_matcher **out, char *err, size_t errlen)
{
	struct authlog_matcher *m;
	size_t i;
	int r;

	*out = NULL;
	for (i = 0; i < n_extra; i++) {
		r = authlog_pattern_check(&extra[i], err, errlen);
		if (r)
			return r;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->p = calloc(N_BUILTIN + n_extra, sizeof(*m->p));
	if (!m->p) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < N_BUILTIN + n_extra; i++) {
		struct pat *p = &m->p[i];
		const char *re;

		if (i < N_BUILTIN) {
			snprintf(p->name, sizeof(p->name), "%s", builtins[i].name);
			snprintf(p->service, sizeof(p->service), "sshd");
			p->prefix = builtins[i].prefix;
			p->ev = builtins[i].ev;
			p->ug = builtins[i].ug;
			p->sg = builtins[i].sg;
			re = builtins[i].regex;
		} else {
			const struct authlog_pattern *x = &extra[i - N_BUILTIN];

			snprintf(p->name, sizeof(p->name), "%s", x->name);
			snprintf(p->service, sizeof(p->service), "%s", x->service);
			p->ev = x->event;
			p->ug = x->user_group;
			p->sg = x->source_group;
			re = x->regex;
		}
		r = regcomp(&p->re, re, REG_EXTENDED);
		if (r) {
			/* The built-in ones compile; a checked extra one does too. */
			authlog_matcher_free(m);
			return r == REG_ESPACE ? -ENOMEM : fail(err, errlen, "pattern %s does not "
								"compile", p->name);
		}
		p->compiled = true;
		m->n = i + 1;
	}
	*out = m;
	return 0;
}

/* tag is service, or service followed by "-" and more (sshd-session, sshd-auth). */
static bool tag_is(const char *tag, const char *service)
{
	size_t n = strlen(service);

	return !strncmp(tag, service, n) && (tag[n] == '\0' || tag[n] == '-');
}

static void copy_group(const char *msg, const regmatch_t *g, char *out, size_t len, bool clean)
{
	size_t n = (size_t)(g->rm_eo - g->rm_so);

	if (n >= len)
		n = len - 1;
	memcpy(out, msg + g->rm_so, n);
	out[n] = '\0';
	if (clean)
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				out[i] = '?';
}

/* Is text an IP address (a zone id allowed)? */
static bool is_addr(const char *text)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct ew_cidr c;
	const char *pct = strchr(text, '%');

	if (pct) {
		size_t zl = strlen(pct + 1);

		/* A zone id (fe80::1%eth0): an interface name after an IPv6 address. */
		if ((size_t)(pct - text) >= sizeof(buf) || !memchr(text, ':', pct - text) || !zl ||
		    zl >= 16 ||
		    strspn(pct + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_.-") != zl)
			return false;
		memcpy(buf, text, (size_t)(pct - text));
		buf[pct - text] = '\0';
		text = buf;
	}
	return !ew_cidr_parse(text, EW_CIDR_ADDR, &c, NULL, 0);
}

int authlog_match_msg(const struct authlog_matcher *m, const char *tag, const char *msg,
		      struct authlog_hit *hit)
{
	regmatch_t g[16];
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct pat *p = &m->p[i];

		if (!tag_is(tag, p->service))
			continue;
		if (p->prefix && strncmp(msg, p->prefix, strlen(p->prefix)))
			continue;
		if (regexec(&p->re, msg, 16, g, 0))
			continue;
		memset(hit, 0, sizeof(*hit));
		hit->type = p->ev;
		hit->pattern = p->name;
		snprintf(hit->service, sizeof(hit->service), "%s", tag);
		if (p->ug && p->ug < 16 && g[p->ug].rm_so >= 0) {
			copy_group(msg, &g[p->ug], hit->user, sizeof(hit->user), true);
			hit->has_user = true;
		}
		if (p->sg && p->sg < 16 && g[p->sg].rm_so >= 0 &&
		    (size_t)(g[p->sg].rm_eo - g[p->sg].rm_so) < sizeof(hit->source)) {
			copy_group(msg, &g[p->sg], hit->source, sizeof(hit->source), false);
			hit->has_source = is_addr(hit->source);
			if (!hit->has_source)
				hit->source[0] = '\0';
		}
		return 1;
	}
	return 0;
}

/*
 * "Mar  5 10:00:00 host sshd[123]: msg" or "2024-03-05T10:00:00.1+00:00
 * host sshd[123]: msg": the tag (into tag) and where the message starts.
 */
static const char *split_line(const char *line, char *tag, size_t taglen)
{
	const char *p = line;
	size_t n;
	int fields = isdigit((unsigned char)*p) ? 1 : 3;

	for (int f = 0; f < fields + 1; f++) {	/* the timestamp's fields, then the host */
		while (*p == ' ')
			p++;
		if (!*p)
			return NULL;
		p += strcspn(p, " ");
	}
	while (*p == ' ')
		p++;
	n = strcspn(p, "[: ");
	if (!n || n >= taglen)
		return NULL;
	memcpy(tag, p, n);
	tag[n] = '\0';
	p += n;
	if (*p == '[') {
		p++;
		p += strspn(p, "0123456789");
		if (*p++ != ']')
			return NULL;
	}
	if (p[0] != ':' || p[1] != ' ')
		return NULL;
	return p + 2;
}

int authlog_match_line(const struct authlog_matcher *m, const char *line,
		       const char (*services)[AUTHLOG_SERVICE_LEN], size_t n_services,
		       struct authlog_hit *hit)
{
	static const char sshd[1][AUTHLOG_SERVICE_LEN] = { "sshd" };
	char tag[AUTHLOG_SERVICE_LEN * 2];
	const char *msg = split_line(line, tag, sizeof(tag));
	size_t i;

	if (!msg)
		return 0;
	if (!services || !n_services) {
		services = sshd;
		n_services = 1;
	}
	for (i = 0; i < n_services; i++)
		if (tag_is(tag, services[i]))
			break;
	if (i == n_services)
		return 0;
	return authlog_match_msg(m, tag, msg, hit);
}

void authlog_hit_event(const struct authlog_hit *hit, struct respond_ev *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = hit->type;
	ev->user = hit->has_user ? hit->user : NULL;
	ev->source = hit->has_source ? hit->source : NULL;
	ev->origin = hit->service;
	ev->count = 1;
}

void authlog_conf_release(struct authlog_conf *c)
{
	size_t i;

	for (i = 0; c->files && i < c->n_files; i++)
		free(c->files[i].path);
	free(c->files);
	for (i = 0; c->patterns && i < c->n_patterns; i++)
		free(c->patterns[i].regex);
	free(c->patterns);
	memset(c, 0, sizeof(*c));
}

/* ---- following files ---- */

/* One open file and the line it is in the middle of. */
struct reader {
	int fd;				/* -1: none */
	int wd;				/* inotify watch on its inode, -1: none */
	dev_t dev;
	ino_t ino;
	off_t pos;
	size_t blen;
	bool skip;			/* inside a line too long to keep */
	char buf[AUTHLOG_LINE_MAX];
};

struct tail {
	struct authlog *al;
	char *path, *dir;
	const char *base;		/* into path */
	const struct authlog_file *conf;
	int dwd;			/* watch on the directory, -1: none */
	bool warned;
	struct reader cur, old;
	time_t old_until;		/* the old file closes then */
};

struct authlog {
	struct event_base *base;
	struct authlog_matcher *m;
	authlog_fn fn;
	void *arg;
	struct authlog_conf conf;	/* files shallow-copied: paths owned by tails */
	struct authlog_file *files;
	struct tail *tails;
	size_t n_tails;
	int ifd;
	struct event *iev, *timer, *kick;
	/* journalctl */
	pid_t jpid;
	int jfd;
	struct event *jev, *jtimer;
	char *jbuf;
	size_t jlen;
	bool jskip;
	unsigned int jbackoff_s;
	char *journalctl;
	struct authlog_stats st;
};

/* Bytes per file per check: a backlog must not stall the loop. */
#define READ_BUDGET (1 << 20)

static void reader_init(struct reader *rd)
{
	memset(rd, 0, offsetof(struct reader, buf));
	rd->fd = -1;
	rd->wd = -1;
}

static void reader_close(struct authlog *al, struct reader *rd)
{
	if (rd->wd >= 0 && al->ifd >= 0)
		inotify_rm_watch(al->ifd, rd->wd);
	if (rd->fd >= 0)
		close(rd->fd);
	reader_init(rd);
}

static void line_done(struct tail *t, char *line, size_t len)
{
	struct authlog *al = t->al;
	struct authlog_hit hit;

	al->st.lines++;
	if (len && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len)) {
		al->st.dropped++;
		return;
	}
	line[len] = '\0';
	if (authlog_match_line(al->m, line, (const char(*)[AUTHLOG_SERVICE_LEN])t->conf->services,
			       t->conf->n_services, &hit)) {
		al->st.matched++;
		al->fn(al->arg, &hit);
	}
}

/* Split what was read into lines; the rest waits in rd->buf. */
static void feed(struct tail *t, struct reader *rd, const char *data, size_t n)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;

		if (rd->skip) {
			if (nl)
				rd->skip = false;
		} else if (rd->blen + take >= sizeof(rd->buf)) {
			/* Too long: drop it whole, up to its newline. */
			t->al->st.dropped++;
			rd->blen = 0;
			rd->skip = !nl;
		} else {
			memcpy(rd->buf + rd->blen, data, take);
			rd->blen += take;
			if (nl) {
				line_done(t, rd->buf, rd->blen);
				rd->blen = 0;
			}
		}
		if (!nl)
			break;
		data = nl + 1;
		n -= take + 1;
	}
}

/* Read to the end (or the budget). Returns true when more is left. */
static bool drain(struct tail *t, struct reader *rd)
{
	char chunk[65536];
	size_t total = 0;
	ssize_t n;

	if (rd->fd < 0)
		return false;
	while (total < READ_BUDGET) {
		n = read(rd->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		rd->pos += n;
		total += (size_t)n;
		feed(t, rd, chunk, (size_t)n);
	}
	return true;
}

static int reader_open(struct tail *t, struct reader *rd, bool at_end)
{
	struct authlog *al = t->al;
	struct stat st;
	int fd;

	fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	reader_init(rd);
	rd->fd = fd;
	rd->dev = st.st_dev;
	rd->ino = st.st_ino;
	if (at_end)
		rd->pos = lseek(fd, 0, SEEK_END);
	if (rd->pos < 0)
		rd->pos = 0;
	if (al->ifd >= 0)
		rd->wd = inotify_add_watch(al->ifd, t->path,
					   IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB);
	return 0;
}

static void dir_watch(struct tail *t)
{
	struct authlog *al = t->al;

	if (t->dwd >= 0 || al->ifd < 0)
		return;
	t->dwd = inotify_add_watch(al->ifd, t->dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
							   IN_DELETE | IN_ONLYDIR);
}

/* Everything a file can have done since the last look; returns true when more is left. */
static bool tail_check(struct tail *t, bool first)
{
	struct authlog *al = t->al;
	struct stat st;
	bool more;
	int r;

	dir_watch(t);
	more = drain(t, &t->cur);
	if (t->old.fd >= 0) {
		more |= drain(t, &t->old);
		if (time(NULL) >= t->old_until)
			reader_close(al, &t->old);
	}
	/* copytruncate: the file is shorter than what was read of it. */
	if (t->cur.fd >= 0 && !fstat(t->cur.fd, &st) && st.st_size < t->cur.pos) {
		al->st.truncations++;
		log_info("authlog: %s was truncated; reading it from its start", t->path);
		lseek(t->cur.fd, 0, SEEK_SET);
		t->cur.pos = 0;
		t->cur.blen = 0;
		t->cur.skip = false;
		more |= drain(t, &t->cur);
	}
	if (stat(t->path, &st)) {
		if (!t->warned && t->cur.fd < 0) {
			log_warnx("authlog: %s: %s; waiting for it to appear", t->path,
				  strerror(errno));
			t->warned = true;
		}
		return more;
	}
	if (t->cur.fd >= 0 && st.st_dev == t->cur.dev && st.st_ino == t->cur.ino)
		return more;
	/* A new file at the path: the old one stays open a while, the logger may still write. */
	if (t->cur.fd >= 0) {
		if (t->old.fd >= 0) {
			drain(t, &t->old);
			reader_close(al, &t->old);
		}
		t->old = t->cur;
		reader_init(&t->cur);
		t->old_until = time(NULL) + AUTHLOG_GRACE_S;
		al->st.rotations++;
		log_info("authlog: %s was rotated; following the new file", t->path);
	}
	r = reader_open(t, &t->cur, first);
	if (r) {
		if (!t->warned)
			log_warnx("authlog: cannot open %s: %s", t->path, strerror(-r));
		t->warned = true;
		return more;
	}
	if (t->warned)
		log_info("authlog: following %s", t->path);
	t->warned = false;
	return drain(t, &t->cur) || more;
}

static void check_all(struct authlog *al, bool first)
{
	bool more = false;

	for (size_t i = 0; i < al->n_tails; i++)
		more |= tail_check(&al->tails[i], first);
	if (more && al->kick)
		event_active(al->kick, EV_TIMEOUT, 0);
}

void authlog_poll(struct authlog *al)
{
	check_all(al, false);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct authlog *al = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool more = false;
	ssize_t n;

	(void)what;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			for (size_t i = 0; i < al->n_tails; i++) {
				struct tail *t = &al->tails[i];

				/* A queue overflow (wd -1) means anything may have happened. */
				if (e->wd == -1 || e->wd == t->cur.wd || e->wd == t->old.wd ||
				    (e->wd == t->dwd && e->len && !strcmp(e->name, t->base)))
					more |= tail_check(t, false);
				if (e->wd == t->dwd && (e->mask & IN_IGNORED))
					t->dwd = -1;
			}
			p += sizeof(*e) + e->len;
		}
	}
	if (more)
		event_active(al->kick, EV_TIMEOUT, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	check_all(arg, false);
}

/* ---- journalctl ---- */

static void journal_line(struct authlog *al, char *line, size_t len)
{
	json_t *j, *msg;
	const char *tag;
	char *text = NULL;
	struct authlog_hit hit;

	al->st.journal_lines++;
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return;
	tag = json_string_value(json_object_get(j, "SYSLOG_IDENTIFIER"));
	msg = json_object_get(j, "MESSAGE");
	if (json_is_string(msg)) {
		text = strndup(json_string_value(msg), AUTHLOG_LINE_MAX);
	} else if (json_is_array(msg) && json_array_size(msg) < AUTHLOG_LINE_MAX) {
		/* Not UTF-8: journalctl gives the bytes as numbers. */
		size_t i, n = json_array_size(msg);

		text = malloc(n + 1);
		for (i = 0; text && i < n; i++) {
			json_int_t b = json_integer_value(json_array_get(msg, i));

			if (b <= 0 || b > 255)
				break;
			text[i] = (char)b;
		}
		if (text && i < n) {
			free(text);
			text = NULL;	/* a NUL or junk: dropped, as in files */
			al->st.dropped++;
		} else if (text) {
			text[n] = '\0';
		}
	}
	if (tag && text && strlen(text) < AUTHLOG_LINE_MAX &&
	    authlog_match_msg(al->m, tag, text, &hit)) {
		al->st.matched++;
		al->fn(al->arg, &hit);
	}
	free(text);
	json_decref(j);
}

static void journal_spawn(struct authlog *al);

static void on_jtimer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	journal_spawn(arg);
}

static void journal_stop(struct authlog *al, bool restart)
{
	struct timeval tv = { 0 };
	int status;

	if (al->jev) {
		event_free(al->jev);
		al->jev = NULL;
	}
	if (al->jfd >= 0)
		close(al->jfd);
	al->jfd = -1;
	al->jlen = 0;
	al->jskip = false;
	if (al->jpid > 0) {
		kill(al->jpid, SIGTERM);
		while (waitpid(al->jpid, &status, 0) < 0 && errno == EINTR)
			;
		al->jpid = 0;
	}
	if (!restart || !al->jtimer)
		return;
	al->jbackoff_s = al->jbackoff_s ? al->jbackoff_s * 2 : 1;
	if (al->jbackoff_s > 60)
		al->jbackoff_s = 60;
	tv.tv_sec = al->jbackoff_s;
	al->st.journal_restarts++;
	log_warnx("authlog: journalctl stopped; starting it again in %us", al->jbackoff_s);
	evtimer_add(al->jtimer, &tv);
}

static void on_journal(evutil_socket_t fd, short what, void *arg)
{
	struct authlog *al = arg;
	char chunk[65536];
	ssize_t n;

	(void)what;
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		journal_stop(al, true);
		return;
	}
	al->jbackoff_s = 0;
	for (char *p = chunk; p < chunk + n;) {
		char *nl = memchr(p, '\n', (size_t)(chunk + n - p));
		size_t take = nl ? (size_t)(nl - p) : (size_t)(chunk + n - p);

		if (al->jskip) {
			al->jskip = !nl;
		} else if (al->jlen + take >= AUTHLOG_JSON_MAX) {
			al->st.dropped++;
			al->jlen = 0;
			al->jskip = !nl;
		} else {
			memcpy(al->jbuf + al->jlen, p, take);
			al->jlen += take;
			if (nl) {
				journal_line(al, al->jbuf, al->jlen);
				al->jlen = 0;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void journal_spawn(struct authlog *al)
{
	char *argv[8 + 2 * AUTHLOG_MAX_UNITS];
	posix_spawn_file_actions_t fa;
	int p[2], argc = 0, r;

	argv[argc++] = al->journalctl;
	argv[argc++] = "--follow";
	argv[argc++] = "--output=json";
	argv[argc++] = "--lines=0";
	argv[argc++] = "--no-pager";
	argv[argc++] = "--quiet";
	for (size_t i = 0; i < al->conf.n_units; i++) {
		argv[argc++] = "--unit";
		argv[argc++] = al->conf.units[i];
	}
	argv[argc] = NULL;
	if (pipe2(p, O_CLOEXEC)) {
		log_warn("authlog: pipe for journalctl");
		journal_stop(al, true);
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&al->jpid, al->journalctl, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r) {
		log_warnx("authlog: cannot run %s: %s", al->journalctl, strerror(r));
		close(p[0]);
		al->jpid = 0;
		journal_stop(al, true);
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	al->jfd = p[0];
	al->jev = event_new(al->base, al->jfd, EV_READ | EV_PERSIST, on_journal, al);
	if (!al->jev || event_add(al->jev, NULL)) {
		log_warnx("authlog: cannot watch journalctl's output");
		journal_stop(al, true);
	}
}

/* ---- set-up ---- */

struct authlog *authlog_new(struct event_base *base, const struct authlog_conf *conf,
			    authlog_fn fn, void *arg)
{
	struct timeval tv = { .tv_sec = AUTHLOG_CHECK_MS / 1000,
			      .tv_usec = (AUTHLOG_CHECK_MS % 1000) * 1000 };
	struct authlog *al = calloc(1, sizeof(*al));
	char err[512];
	size_t i;

	if (!al)
		return NULL;
	al->base = base;
	al->fn = fn;
	al->arg = arg;
	al->ifd = -1;
	al->jfd = -1;
	al->conf = *conf;
	al->conf.files = NULL;
	al->conf.patterns = NULL;
	if (authlog_matcher_new(conf->patterns, conf->n_patterns, &al->m, err, sizeof(err))) {
		log_warnx("authlog: %s", err);
		goto fail;
	}
	al->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (al->ifd < 0)
		log_warn("authlog: inotify_init1: checking the files every %d ms only",
			 AUTHLOG_CHECK_MS);
	if (conf->n_files) {
		al->tails = calloc(conf->n_files, sizeof(*al->tails));
		al->files = calloc(conf->n_files, sizeof(*al->files));
		if (!al->tails || !al->files)
			goto fail;
	}
	for (i = 0; i < conf->n_files; i++) {
		struct tail *t = &al->tails[i];
		char *copy;

		al->files[i] = conf->files[i];
		al->files[i].path = NULL;
		t->al = al;
		t->conf = &al->files[i];
		t->dwd = -1;
		reader_init(&t->cur);
		reader_init(&t->old);
		al->n_tails = i + 1;
		t->path = strdup(conf->files[i].path);
		copy = strdup(conf->files[i].path);
		if (!t->path || !copy) {
			free(copy);
			goto fail;
		}
		t->dir = strdup(dirname(copy));
		free(copy);
		if (!t->dir)
			goto fail;
		t->base = strrchr(t->path, '/') ? strrchr(t->path, '/') + 1 : t->path;
	}
	if (al->ifd >= 0) {
		al->iev = event_new(base, al->ifd, EV_READ | EV_PERSIST, on_inotify, al);
		if (!al->iev || event_add(al->iev, NULL))
			goto fail;
	}
	al->timer = event_new(base, -1, EV_PERSIST, on_timer, al);
	al->kick = event_new(base, -1, 0, on_timer, al);
	if (!al->timer || !al->kick || event_add(al->timer, &tv))
		goto fail;
	check_all(al, true);
	if (conf->journald) {
		al->journalctl = strdup(conf->journalctl ? conf->journalctl :
							   "/usr/bin/journalctl");
		al->jbuf = malloc(AUTHLOG_JSON_MAX);
		al->jtimer = evtimer_new(base, on_jtimer, al);
		if (!al->journalctl || !al->jbuf || !al->jtimer)
			goto fail;
		journal_spawn(al);
	}
	return al;
fail:
	log_warnx("authlog: cannot start (out of memory or event loop failure)");
	authlog_free(al);
	return NULL;
}

void authlog_free(struct authlog *al)
{
	if (!al)
		return;
	journal_stop(al, false);
	if (al->jtimer)
		event_free(al->jtimer);
	for (size_t i = 0; i < al->n_tails; i++) {
		struct tail *t = &al->tails[i];

		reader_close(al, &t->cur);
		reader_close(al, &t->old);
		free(t->path);
		free(t->dir);
	}
	if (al->iev)
		event_free(al->iev);
	if (al->timer)
		event_free(al->timer);
	if (al->kick)
		event_free(al->kick);
	if (al->ifd >= 0)
		close(al->ifd);
	authlog_matcher_free(al->m);
	free(al->tails);
	free(al->files);
	free(al->jbuf);
	free(al->journalctl);
	free(al);
}

void authlog_stats(const struct authlog *al, struct authlog_stats *out)
{
	*out = al->st;
}
