// SPDX-License-Identifier: GPL-2.0-only
/*
 * Auth log sources: a table of real OpenSSH 9.x lines (both syslog
 * timestamp formats, sshd-session, IPv6, host names) and hostile ones
 * (addresses injected into user names, a certificate key ID after the
 * address, very long lines, bytes that are not UTF-8, control characters,
 * look-alike tags), each mapped to (event, user, source) or to no match;
 * config patterns and their refusals; then files followed through appends,
 * partial lines, copytruncate, rename rotation with the old file still
 * written, delete and recreate, a file that appears later, overlong and
 * NUL lines; and the journal through a stand-in journalctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "authlog.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NO -1			/* no match */

static char tmpdir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ew-test-authlog-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the line table ---- */

#define TRAD "Mar  5 10:00:01 web1 sshd[1234]: "
#define RFC "2024-03-05T10:00:01.123456+00:00 web1 sshd[1234]: "

static const struct line_case {
	const char *name;
	const char *line;
	int event;		/* enum respond_ev_type or NO */
	const char *user;	/* NULL: none */
	const char *source;	/* NULL: none */
} lines[] = {
	{ "failed password", TRAD "Failed password for root from 203.0.113.7 port 51234 ssh2",
	  RESPOND_EV_FAILED_LOGIN, "root", "203.0.113.7" },
	{ "failed password, invalid user, RFC 3339",
	  RFC "Failed password for invalid user admin from 203.0.113.8 port 40022 ssh2",
	  RESPOND_EV_FAILED_LOGIN, "admin", "203.0.113.8" },
	{ "invalid user", TRAD "Invalid user oracle from 198.51.100.23 port 33012",
	  RESPOND_EV_INVALID_USER, "oracle", "198.51.100.23" },
	{ "failed publickey, IPv6", TRAD "Failed publickey for git from 2001:db8::5 port 50000 "
	  "ssh2: ED25519 SHA256:AbCdEf0123456789+/xyz", RESPOND_EV_FAILED_LOGIN, "git",
	  "2001:db8::5" },
	{ "accepted publickey", TRAD "Accepted publickey for deploy from 192.0.2.10 port 55555 "
	  "ssh2: RSA SHA256:8sQx3mGz4xYbVnUo7Q+O5y2j0gU4U1yYq1j2k3l4m5n",
	  RESPOND_EV_LOGIN_SUCCESS, "deploy", "192.0.2.10" },
	{ "accepted password", TRAD "Accepted password for alice from 192.0.2.11 port 41000 ssh2",
	  RESPOND_EV_LOGIN_SUCCESS, "alice", "192.0.2.11" },
	{ "closed, authenticating user", TRAD "Connection closed by authenticating user root "
	  "203.0.113.9 port 60000 [preauth]", RESPOND_EV_PREAUTH, "root", "203.0.113.9" },
	{ "closed, invalid user", TRAD "Connection closed by invalid user test 203.0.113.10 port "
	  "60001 [preauth]", RESPOND_EV_PREAUTH, "test", "203.0.113.10" },
	{ "closed", TRAD "Connection closed by 203.0.113.11 port 60002 [preauth]",
	  RESPOND_EV_PREAUTH, NULL, "203.0.113.11" },
	{ "disconnected", TRAD "Disconnected from authenticating user root 203.0.113.12 port "
	  "60003 [preauth]", RESPOND_EV_PREAUTH, "root", "203.0.113.12" },
	{ "received disconnect", TRAD "Received disconnect from 203.0.113.13 port 60004:11: Bye "
	  "Bye [preauth]", RESPOND_EV_PREAUTH, NULL, "203.0.113.13" },
	{ "timeout", TRAD "Timeout before authentication for 203.0.113.14 port 60005",
	  RESPOND_EV_PREAUTH, NULL, "203.0.113.14" },
	{ "banner exchange", TRAD "banner exchange: Connection from 203.0.113.15 port 60006: "
	  "invalid format", RESPOND_EV_PREAUTH, NULL, "203.0.113.15" },
	{ "unable to negotiate", TRAD "Unable to negotiate with 203.0.113.16 port 60007: no "
	  "matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
	  RESPOND_EV_PREAUTH, NULL, "203.0.113.16" },
	{ "max auth tries", TRAD "error: maximum authentication attempts exceeded for root from "
	  "203.0.113.17 port 60008 ssh2 [preauth]", RESPOND_EV_PREAUTH, "root", "203.0.113.17" },
	{ "too many failures", TRAD "Disconnecting authenticating user root 203.0.113.18 port "
	  "60009: Too many authentication failures [preauth]", RESPOND_EV_PREAUTH, "root",
	  "203.0.113.18" },
	{ "not allowed", TRAD "User bob from 203.0.113.19 not allowed because not listed in "
	  "AllowUsers", RESPOND_EV_INVALID_USER, "bob", "203.0.113.19" },
	{ "sshd-session (9.8)", "2024-07-01T12:00:00.000000+02:00 web1 sshd-session[5000]: Failed "
	  "password for root from 203.0.113.20 port 22222 ssh2", RESPOND_EV_FAILED_LOGIN, "root",
	  "203.0.113.20" },
	{ "penalty (9.8)", "Jul  1 12:00:01 web1 sshd[4000]: drop connection #3 from "
	  "[203.0.113.21]:40404 on [192.0.2.1]:22 penalty: failed authentication",
	  RESPOND_EV_PREAUTH, NULL, "203.0.113.21" },
	{ "penalty, IPv6", "Jul  1 12:00:01 web1 sshd[4000]: drop connection #4 from "
	  "[2001:db8::21]:40404 on [2001:db8::1]:22 past MaxStartups", RESPOND_EV_PREAUTH, NULL,
	  "2001:db8::21" },
	{ "keyboard-interactive", TRAD "Failed keyboard-interactive/pam for invalid user pi from "
	  "203.0.113.22 port 1 ssh2", RESPOND_EV_FAILED_LOGIN, "pi", "203.0.113.22" },
	{ "v4-mapped", TRAD "Failed password for root from ::ffff:203.0.113.31 port 9 ssh2",
	  RESPOND_EV_FAILED_LOGIN, "root", "::ffff:203.0.113.31" },
	{ "link-local with zone", TRAD "Failed password for root from fe80::1%eth0 port 8 ssh2",
	  RESPOND_EV_FAILED_LOGIN, "root", "fe80::1%eth0" },
	{ "host name (UseDNS)", TRAD "Failed password for root from attacker.example.com port 10 "
	  "ssh2", RESPOND_EV_FAILED_LOGIN, "root", NULL },
	{ "no pid, Z time", "2024-03-05T10:00:00Z web1 sshd: Invalid user y from 203.0.113.36 "
	  "port 15", RESPOND_EV_INVALID_USER, "y", "203.0.113.36" },

	/* Not failures: probes, repeats of a counted line, other services, other messages. */
	{ "failed none", TRAD "Failed none for invalid user x from 203.0.113.23 port 2 ssh2", NO,
	  NULL, NULL },
	{ "PAM repeat", TRAD "error: PAM: Authentication failure for root from 203.0.113.24", NO,
	  NULL, NULL },
	{ "pam_unix repeat", TRAD "pam_unix(sshd:auth): authentication failure; logname= uid=0 "
	  "euid=0 tty=ssh ruser= rhost=203.0.113.25  user=root", NO, NULL, NULL },
	{ "listening", TRAD "Server listening on 0.0.0.0 port 22.", NO, NULL, NULL },
	{ "other tag", "Mar  5 10:00:22 web1 CRON[1255]: Failed password for root from "
	  "203.0.113.26 port 3 ssh2", NO, NULL, NULL },
	{ "look-alike tag", "Mar  5 10:00:22 web1 sshdx[1]: Invalid user z from 203.0.113.26 port "
	  "3", NO, NULL, NULL },
	{ "tag inside the message", "Mar  5 10:00:22 web1 evil[1]: x sshd[2]: Failed password for "
	  "root from 1.2.3.4 port 1 ssh2", NO, NULL, NULL },
	{ "no header", "Failed password for root from 203.0.113.26 port 3 ssh2", NO, NULL, NULL },
	{ "garbage", "garbage", NO, NULL, NULL },
	{ "empty", "", NO, NULL, NULL },
	{ "pid not a number", "Mar  5 10:00:22 web1 sshd[12a]: Invalid user z from 203.0.113.26 "
	  "port 3", NO, NULL, NULL },

	/* Hostile: the address is the real one, at the end. */
	{ "address in the user name", TRAD "Invalid user x from 1.2.3.4 port 1 from 10.0.0.1 port "
	  "22", RESPOND_EV_INVALID_USER, "x from 1.2.3.4 port 1", "10.0.0.1" },
	{ "address and ssh2 in the user name", TRAD "Failed password for invalid user a from "
	  "6.6.6.6 port 1 ssh2 from 203.0.113.27 port 4 ssh2", RESPOND_EV_FAILED_LOGIN,
	  "a from 6.6.6.6 port 1 ssh2", "203.0.113.27" },
	{ "invalid user twice", TRAD "Failed password for invalid user invalid user x from "
	  "203.0.113.41 port 4 ssh2", RESPOND_EV_FAILED_LOGIN, "invalid user x", "203.0.113.41" },
	{ "[preauth] in the user name", TRAD "Connection closed by invalid user x 6.6.6.6 port 1 "
	  "[preauth] 203.0.113.28 port 5 [preauth]", RESPOND_EV_PREAUTH,
	  "x 6.6.6.6 port 1 [preauth]", "203.0.113.28" },
	{ "key text in the user name", TRAD "Failed publickey for a from 6.6.6.6 port 1 ssh2: RSA "
	  "SHA256:x from 203.0.113.29 port 6 ssh2", RESPOND_EV_FAILED_LOGIN,
	  "a from 6.6.6.6 port 1 ssh2: RSA SHA256:x", "203.0.113.29" },
	{ "certificate key ID after the address", TRAD "Failed publickey for root from "
	  "203.0.113.30 port 7 ssh2: RSA-CERT SHA256:abc ID x from 6.6.6.6 port 1 ssh2 (serial 1) "
	  "CA RSA SHA256:def", NO, NULL, NULL },
	{ "not allowed, reason in the name", TRAD "User a from 6.6.6.6 not allowed because listed "
	  "in DenyUsers from 203.0.113.42 not allowed because not listed in AllowUsers",
	  RESPOND_EV_INVALID_USER, "a from 6.6.6.6 not allowed because listed in DenyUsers",
	  "203.0.113.42" },
	{ "empty user", TRAD "Invalid user  from 203.0.113.32 port 11", RESPOND_EV_INVALID_USER,
	  "", "203.0.113.32" },
	{ "not UTF-8", TRAD "Invalid user \xff\xfe\x80 from 203.0.113.33 port 12",
	  RESPOND_EV_INVALID_USER, "\xff\xfe\x80", "203.0.113.33" },
	{ "control character", TRAD "Invalid user a\x01" "b\x1b[0m from 203.0.113.34 port 13",
	  RESPOND_EV_INVALID_USER, "a?b?[0m", "203.0.113.34" },
	{ "bad address", TRAD "Invalid user x from 999.1.1.1 port 1", RESPOND_EV_INVALID_USER, "x",
	  NULL },
	{ "address with a prefix", TRAD "Invalid user x from 10.0.0.0/8 port 1",
	  RESPOND_EV_INVALID_USER, "x", NULL },
	{ "empty zone", TRAD "Invalid user x from fe80::1% port 1", RESPOND_EV_INVALID_USER, "x",
	  NULL },
	{ "port not a number", TRAD "Invalid user x from 203.0.113.43 port 1a", NO, NULL, NULL },
	{ "trailing text", TRAD "Invalid user x from 203.0.113.43 port 1 extra", NO, NULL, NULL },
};

static void check_hit(const char *name, int r, const struct authlog_hit *h, int event,
		      const char *user, const char *source)
{
	if (event == NO) {
		if (r)
			fail_msg("%s: matched %s (pattern %s), expected no match", name,
				 respond_ev_name(h->type), h->pattern);
		return;
	}
	if (!r)
		fail_msg("%s: no match, expected %s", name, respond_ev_name(event));
	if ((int)h->type != event)
		fail_msg("%s: %s, expected %s", name, respond_ev_name(h->type),
			 respond_ev_name(event));
	if (!user != !h->has_user || (user && strcmp(user, h->user)))
		fail_msg("%s: user \"%s\" (%d), expected \"%s\"", name, h->user, h->has_user,
			 user ? user : "(none)");
	if (!source != !h->has_source || (source && strcmp(source, h->source)))
		fail_msg("%s: source \"%s\" (%d), expected \"%s\"", name, h->source, h->has_source,
			 source ? source : "(none)");
}

static void test_lines(void **state)
{
	struct authlog_matcher *m;
	struct authlog_hit h;
	char err[256], big[6000];
	size_t i;
	int r, matched = 0;

	(void)state;
	assert_int_equal(authlog_matcher_new(NULL, 0, &m, err, sizeof(err)), 0);
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		memset(&h, 0x55, sizeof(h));
		r = authlog_match_line(m, lines[i].line, NULL, 0, &h);
		check_hit(lines[i].name, r, &h, lines[i].event, lines[i].user, lines[i].source);
		matched += lines[i].event != NO;
	}
	assert_true(matched >= 25);

	/* A user name far longer than sshd writes: cut, and the address still found. */
	snprintf(big, sizeof(big), TRAD "Invalid user %0*d from 203.0.113.35 port 14", 5000, 7);
	r = authlog_match_line(m, big, NULL, 0, &h);
	check_hit("long user", r, &h, RESPOND_EV_INVALID_USER, h.user, "203.0.113.35");
	assert_int_equal(strlen(h.user), AUTHLOG_USER_MAX);
	assert_int_equal(strspn(h.user, "0"), AUTHLOG_USER_MAX);

	/* Services: only the listed tags count; sshd covers sshd-session. */
	{
		static const char svc[2][AUTHLOG_SERVICE_LEN] = { "dovecot", "sshd" };

		r = authlog_match_line(m, lines[0].line, svc, 1, &h);
		assert_int_equal(r, 0);
		r = authlog_match_line(m, lines[0].line, svc, 2, &h);
		assert_int_equal(r, 1);
		assert_string_equal(h.service, "sshd");
	}
	/* The journal's form: tag and message apart. */
	r = authlog_match_msg(m, "sshd-session", "Invalid user j from 2001:db8::7 port 1", &h);
	check_hit("journal message", r, &h, RESPOND_EV_INVALID_USER, "j", "2001:db8::7");
	assert_int_equal(authlog_match_msg(m, "sudo", "Invalid user j from 1.2.3.4 port 1", &h),
			 0);
	/* The event for the engine. */
	{
		struct respond_ev ev;

		authlog_hit_event(&h, &ev);
		assert_int_equal(ev.type, RESPOND_EV_INVALID_USER);
		assert_string_equal(ev.user, "j");
		assert_string_equal(ev.source, "2001:db8::7");
		assert_string_equal(ev.origin, "sshd-session");
	}
	authlog_matcher_free(m);
	authlog_matcher_free(NULL);
}

/* ---- patterns from the config ---- */

static void test_patterns(void **state)
{
	static const struct {
		const char *name, *service, *regex;
		int event;
		unsigned int ug, sg;
		const char *want;	/* NULL: valid */
	} pats[] = {
		{ "vsftpd", "vsftpd", "^\\[pid [0-9]+\\] \\[(.*)\\] FAIL LOGIN: Client \"([^\"]+)\"$",
		  RESPOND_EV_FAILED_LOGIN, 1, 2, NULL },
		{ "a", "sshd", "Failed (.*) from ([^ ]+)$", RESPOND_EV_FAILED_LOGIN, 1, 2,
		  "must start with ^ and end with $" },
		{ "b", "sshd", "^Failed (.*) from ([^ ]+)", RESPOND_EV_FAILED_LOGIN, 1, 2,
		  "must start with ^ and end with $" },
		{ "c", "sshd", "^Failed (.*) from ([^ ]+)\\$", RESPOND_EV_FAILED_LOGIN, 1, 2,
		  "must start with ^ and end with $" },
		{ "d", "sshd", "^Failed (.*) from ([^ ]+$", RESPOND_EV_FAILED_LOGIN, 1, 2,
		  "regex:" },
		{ "e", "sshd", "^Failed (.*)$", RESPOND_EV_FAILED_LOGIN, 1, 2, "no group 2" },
		{ "f", "sshd", "^Failed (.*) from ([^ ]+)$", RESPOND_EV_DATA_EXPORT, 1, 2,
		  "event must be" },
		{ "g", "ssh d", "^Failed (.*) from ([^ ]+)$", RESPOND_EV_FAILED_LOGIN, 1, 2,
		  "is not a service name" },
		{ "h", "sshd", "^Failed (.*) from ([^ ]+)$", RESPOND_EV_FAILED_LOGIN, 0, 0,
		  "name a user group" },
		{ "i", "sshd", "^Failed (.*) from ([^ ]+)$", RESPOND_EV_FAILED_LOGIN, 2, 2,
		  "the same group" },
		{ "", "sshd", "^x(.*)$", RESPOND_EV_FAILED_LOGIN, 1, 0, "needs a name" },
		{ "j", "sshd", "^(((a{30}){30}){30}){30}(.*)$", RESPOND_EV_FAILED_LOGIN, 5, 0,
		  "repetition counts" },
		{ "k", "sshd", "^a{33}(.*)$", RESPOND_EV_FAILED_LOGIN, 1, 0, "repetition counts" },
		{ "l", "sshd", "^[{]{2}[[:digit:]{]{3,32}\\{(.*)$", RESPOND_EV_FAILED_LOGIN, 1, 0,
		  NULL },
		{ "m", "sshd", "^a{99999999999999999999}(.*)$", RESPOND_EV_FAILED_LOGIN, 1, 0,
		  "repetition counts" },
	};
	struct authlog_pattern p;
	struct authlog_matcher *m;
	struct authlog_hit h;
	char err[256], re[1100];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(pats); i++) {
		memset(&p, 0, sizeof(p));
		snprintf(p.name, sizeof(p.name), "%s", pats[i].name);
		snprintf(p.service, sizeof(p.service), "%s", pats[i].service);
		p.regex = (char *)pats[i].regex;
		p.event = (enum respond_ev_type)pats[i].event;
		p.user_group = pats[i].ug;
		p.source_group = pats[i].sg;
		err[0] = '\0';
		r = authlog_pattern_check(&p, err, sizeof(err));
		if (pats[i].want ? (r != -EINVAL || !strstr(err, pats[i].want)) : r != 0)
			fail_msg("pattern %zu: %d \"%s\", expected %s", i, r, err,
				 pats[i].want ? pats[i].want : "valid");
	}
	memset(re, 'a', sizeof(re));
	re[0] = '^';
	re[sizeof(re) - 2] = '$';
	re[sizeof(re) - 1] = '\0';
	p.regex = re;
	assert_int_equal(authlog_pattern_check(&p, err, sizeof(err)), -EINVAL);

	/* An extra pattern matches after the built-in ones, for its own service only. */
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "vsftpd");
	snprintf(p.service, sizeof(p.service), "vsftpd");
	p.regex = (char *)pats[0].regex;
	p.event = RESPOND_EV_FAILED_LOGIN;
	p.user_group = 1;
	p.source_group = 2;
	assert_int_equal(authlog_matcher_new(&p, 1, &m, err, sizeof(err)), 0);
	{
		static const char svc[2][AUTHLOG_SERVICE_LEN] = { "sshd", "vsftpd" };

		r = authlog_match_line(m, "Mar  5 10:00:01 web1 vsftpd[9]: [pid 9] [ftp] FAIL LOGIN: "
				       "Client \"203.0.113.44\"", svc, 2, &h);
		check_hit("vsftpd", r, &h, RESPOND_EV_FAILED_LOGIN, "ftp", "203.0.113.44");
		assert_string_equal(h.pattern, "vsftpd");
		/* The sshd patterns do not apply to it, nor it to sshd. */
		r = authlog_match_line(m, "Mar  5 10:00:01 web1 vsftpd[9]: Invalid user x from "
				       "1.2.3.4 port 1", svc, 2, &h);
		assert_int_equal(r, 0);
	}
	authlog_matcher_free(m);
	p.regex = "^bad(";
	assert_int_equal(authlog_matcher_new(&p, 1, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
}

/* ---- following files ---- */

struct got {
	int n;
	char user[16][AUTHLOG_USER_MAX + 1];
	char source[16][64];
	struct event_base *base;
	int want;
};

static void on_hit(void *arg, const struct authlog_hit *h)
{
	struct got *g = arg;

	if (g->n < 16) {
		snprintf(g->user[g->n], sizeof(g->user[0]), "%s", h->has_user ? h->user : "");
		snprintf(g->source[g->n], sizeof(g->source[0]), "%s",
			 h->has_source ? h->source : "");
	}
	g->n++;
	if (g->base && g->n >= g->want)
		event_base_loopbreak(g->base);
}

static void append(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static void appends(const char *path, const char *text)
{
	append(path, text, strlen(text));
}

#define L(user, src) TRAD "Invalid user " user " from " src " port 1\n"

static void expect_users(const struct got *g, int n, const char *const *users)
{
	if (g->n != n)
		fail_msg("%d lines matched, expected %d (first: %s)", g->n, n,
			 g->n ? g->user[0] : "-");
	for (int i = 0; i < n && i < 16; i++)
		if (strcmp(g->user[i], users[i]))
			fail_msg("line %d: user %s, expected %s", i, g->user[i], users[i]);
}

static void test_tail(void **state)
{
	struct event_base *base = event_base_new();
	struct authlog_conf c = { 0 };
	struct authlog_file f = { .n_services = 1 };
	struct authlog_stats st;
	struct got g = { 0 };
	struct authlog *al;
	char path[128], old[128], longline[AUTHLOG_LINE_MAX + 100];

	(void)state;
	assert_non_null(base);
	snprintf(path, sizeof(path), "%s/auth.log", tmpdir);
	snprintf(old, sizeof(old), "%s/auth.log.1", tmpdir);
	snprintf(f.services[0], sizeof(f.services[0]), "sshd");
	f.path = path;
	c.files = &f;
	c.n_files = 1;
	/* History before the start is not read. */
	appends(path, L("history", "203.0.113.1"));
	al = authlog_new(base, &c, on_hit, &g);
	assert_non_null(al);
	authlog_poll(al);
	assert_int_equal(g.n, 0);

	/* Appends. */
	appends(path, L("a1", "203.0.113.2") L("a2", "203.0.113.3"));
	authlog_poll(al);
	expect_users(&g, 2, (const char *const[]){ "a1", "a2" });

	/* A partial line waits for its newline. */
	appends(path, TRAD "Invalid user par");
	authlog_poll(al);
	assert_int_equal(g.n, 2);
	appends(path, "tial from 203.0.113.4 port 1\n");
	authlog_poll(al);
	expect_users(&g, 3, (const char *const[]){ "a1", "a2", "partial" });

	/* copytruncate: shorter than what was read, read again from the start. */
	assert_int_equal(truncate(path, 0), 0);
	appends(path, L("t1", "203.0.113.5"));
	authlog_poll(al);
	expect_users(&g, 4, (const char *const[]){ "a1", "a2", "partial", "t1" });

	/*
	 * Rename rotation: the logger writes once more to the old file, the new
	 * file appears with a line; both are read, and the old one a while longer.
	 */
	appends(path, L("r1", "203.0.113.6"));
	assert_int_equal(rename(path, old), 0);
	appends(old, L("r2", "203.0.113.7"));
	appends(path, L("r3", "203.0.113.8"));
	authlog_poll(al);
	expect_users(&g, 7, (const char *const[]){ "a1", "a2", "partial", "t1", "r1", "r2", "r3" });
	appends(old, L("r4", "203.0.113.9"));
	authlog_poll(al);
	assert_int_equal(g.n, 8);
	assert_string_equal(g.user[7], "r4");

	/* Delete and recreate. */
	assert_int_equal(unlink(path), 0);
	authlog_poll(al);
	appends(path, L("d1", "203.0.113.10"));
	authlog_poll(al);
	assert_int_equal(g.n, 9);
	assert_string_equal(g.user[8], "d1");

	/* A line too long and a line with a NUL are dropped whole; the next one counts. */
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, TRAD "Invalid user ", strlen(TRAD "Invalid user "));
	snprintf(longline + sizeof(longline) - 40, 40, " from 6.6.6.6 port 1\n");
	appends(path, longline);
	append(path, TRAD "Invalid user n\0ul from 6.6.6.7 port 1\n",
	       strlen(TRAD "Invalid user n") + 1 + strlen("ul from 6.6.6.7 port 1\n"));
	appends(path, L("after", "203.0.113.11"));
	authlog_poll(al);
	assert_int_equal(g.n, 10);
	assert_string_equal(g.user[9], "after");
	assert_string_equal(g.source[9], "203.0.113.11");
	authlog_stats(al, &st);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.rotations, 2);
	assert_int_equal(st.truncations, 1);

	/* The loop delivers on its own (inotify, or the timer as a fallback). */
	g.base = base;
	g.want = 11;
	appends(path, L("loop", "203.0.113.12"));
	{
		struct timeval tv = { .tv_sec = 10 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	assert_int_equal(g.n, 11);
	assert_string_equal(g.user[10], "loop");
	authlog_free(al);
	authlog_free(NULL);
	event_base_free(base);
	unlink(path);
	unlink(old);
}

/* A file in a directory that does not exist yet is read from its start once it appears. */
static void test_late_file(void **state)
{
	struct event_base *base = event_base_new();
	struct authlog_conf c = { 0 };
	struct authlog_file f = { .n_services = 1 };
	struct got g = { 0 };
	struct authlog *al;
	char dir[128], path[160];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/later", tmpdir);
	snprintf(path, sizeof(path), "%s/auth.log", dir);
	snprintf(f.services[0], sizeof(f.services[0]), "sshd");
	f.path = path;
	c.files = &f;
	c.n_files = 1;
	al = authlog_new(base, &c, on_hit, &g);
	assert_non_null(al);
	authlog_poll(al);
	assert_int_equal(mkdir(dir, 0700), 0);
	appends(path, L("late1", "203.0.113.20") L("late2", "203.0.113.21"));
	authlog_poll(al);
	expect_users(&g, 2, (const char *const[]){ "late1", "late2" });
	authlog_free(al);
	event_base_free(base);
}

/* ---- the journal through a stand-in journalctl ---- */

static void test_journald(void **state)
{
	struct event_base *base = event_base_new();
	struct authlog_conf c = { .journald = true, .n_units = 1 };
	struct got g = { 0 };
	struct authlog_stats st;
	struct authlog *al;
	char script[128], args[128], buf[512], text[2048];
	struct timeval tv = { .tv_sec = 10 };
	FILE *f;

	(void)state;
	snprintf(script, sizeof(script), "%s/journalctl", tmpdir);
	snprintf(args, sizeof(args), "%s/args", tmpdir);
	snprintf(c.units[0], sizeof(c.units[0]), "ssh.service");
	/* Lines as journalctl -o json writes them; MESSAGE as bytes when it is not UTF-8. */
	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "echo \"$@\" > %s\n"
		 "echo '{\"SYSLOG_IDENTIFIER\":\"sshd\",\"MESSAGE\":\"Invalid user j1 from "
		 "203.0.113.50 port 1\"}'\n"
		 "echo '{\"SYSLOG_IDENTIFIER\":\"cron\",\"MESSAGE\":\"Invalid user no from "
		 "203.0.113.51 port 1\"}'\n"
		 "echo 'not json'\n"
		 "echo '{\"SYSLOG_IDENTIFIER\":\"sshd\",\"MESSAGE\":\"Invalid user nul\\u0000x from "
		 "6.6.6.6 port 1 from 203.0.113.52 port 1\"}'\n"
		 "echo '{\"SYSLOG_IDENTIFIER\":\"sshd-session\",\"MESSAGE\":[70,97,105,108,101,100,"
		 "32,112,97,115,115,119,111,114,100,32,102,111,114,32,255,32,102,114,111,109,32,50,48,"
		 "51,46,48,46,49,49,51,46,53,51,32,112,111,114,116,32,49,32,115,115,104,50]}'\n"
		 "exec sleep 30\n",
		 args);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(script, 0700), 0);
	c.journalctl = script;
	g.base = base;
	g.want = 2;
	al = authlog_new(base, &c, on_hit, &g);
	assert_non_null(al);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	if (g.n != 2)
		fail_msg("%d journal lines matched, expected 2", g.n);
	assert_string_equal(g.user[0], "j1");
	assert_string_equal(g.source[0], "203.0.113.50");
	assert_string_equal(g.user[1], "\xff");
	assert_string_equal(g.source[1], "203.0.113.53");
	authlog_stats(al, &st);
	assert_true(st.journal_lines >= 4);
	/* Stopping kills the child (its sleep) and reaps it. */
	authlog_free(al);
	f = fopen(args, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	if (!strstr(buf, "--follow") || !strstr(buf, "--output=json") ||
	    !strstr(buf, "--unit ssh.service") || !strstr(buf, "--lines=0"))
		fail_msg("journalctl arguments: %s", buf);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_tail),
		cmocka_unit_test(test_late_file),
		cmocka_unit_test(test_journald),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
