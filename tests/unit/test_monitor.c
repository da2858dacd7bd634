// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host monitors: /proc/net/tcp parsing on fixtures (IPv4, IPv6, v4-mapped,
 * states other than ESTABLISHED, junk and overlong lines), the live count
 * (sock_diag) with a loopback connection of our own, the threshold alert in
 * the loop, and critical-file integrity on temporary files: modified in
 * place, replaced by rename as editors do (and modified again through the
 * new inode), permissions changed, created, removed, touched without a
 * change, a directory in the list; both by inotify in the loop and by a
 * direct check.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "monitor.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ew-test-monitor-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fail_msg("fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* ---- /proc parsing ---- */

static const char tcp4[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode\n"
	"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
	"0 1000 1 0000000000000000 100 0 0 10 0\n"
	"   1: 0200000A:0016 0700710C:D431 01 00000000:00000000 02:00000A1B 00000000     0        "
	"0 1001 4 0000000000000000 20 4 30 10 -1\n"
	"   2: 0200000A:0016 0700710C:D432 01 00000000:00000000 02:00000A1B 00000000     0        "
	"0 1002 4 0000000000000000 20 4 30 10 -1\n"
	"   3: 0200000A:0016 0700710C:D433 01 00000000:00000000 02:00000A1B 00000000     0        "
	"0 1003 4 0000000000000000 20 4 30 10 -1\n"
	"   4: 0200000A:0016 0800710C:D434 01 00000000:00000000 02:00000A1B 00000000     0        "
	"0 1004 4 0000000000000000 20 4 30 10 -1\n"
	"   5: 0200000A:0016 0900710C:D435 06 00000000:00000000 03:00000A1B 00000000     0        "
	"0 0 3 0000000000000000\n"				/* TIME_WAIT */
	"   6: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        "
	"0 1006 1 0000000000000000 20 4 30 10 -1\n"
	"   7: garbage\n"
	"   8: 0200000A:0016 07Z0710C:D436 01 00000000\n"		/* not hex */
	"   9: 0200000A:0016 0700710C:D437 010 00000000\n"		/* state 010 */
	"  10: 0200000A:0016 0700710:D438 01 00000000\n"		/* 7 digits */
	"\n";

static const char tcp6[] =
	"  sl  local_address                         remote_address                        st\n"
	"   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
	"00000000:00000000 00:00000000 00000000     0        0 2000 1\n"
	/* 2001:db8::21 as the kernel prints it: four words, each in host order. */
	"   1: B80D0120000000000000000001000000:0016 B80D0120000000000000000021000000:E001 01 "
	"00000000:00000000 00:00000000 00000000     0        0 2001 1\n"
	/* ::ffff:12.113.0.7, a v4-mapped peer on a v6 socket */
	"   2: 0000000000000000FFFF00000200000A:0016 0000000000000000FFFF00000700710C:E002 01 "
	"00000000:00000000 00:00000000 00000000     0        0 2002 1\n";

static void test_proc(void **state)
{
	char p4[128], p6[128], big[128], missing[128];
	const char *paths[2];
	struct monitor_conns c;
	char line[4096];
	FILE *f;

	(void)state;
	snprintf(p4, sizeof(p4), "%s/tcp", tmpdir);
	snprintf(p6, sizeof(p6), "%s/tcp6", tmpdir);
	write_file(p4, tcp4);
	write_file(p6, tcp6);
	paths[0] = p4;
	paths[1] = p6;
	assert_int_equal(monitor_proc_count(paths, 1, &c), 0);
	assert_int_equal(c.total, 5);	/* lines 1-4 and 6 */
	assert_int_equal(c.n_top, 3);
	assert_string_equal(c.top[0].addr, "12.113.0.7");
	assert_int_equal(c.top[0].count, 3);
	assert_int_equal(c.top[1].count, 1);
	assert_int_equal(c.top[2].count, 1);

	assert_int_equal(monitor_proc_count(paths, 2, &c), 0);
	assert_int_equal(c.total, 7);
	assert_string_equal(c.top[0].addr, "12.113.0.7");
	/* The mapped peer is its own entry (as the kernel has it), not merged. */
	assert_int_equal(c.top[0].count, 3);
	{
		bool v6 = false, mapped = false;

		for (size_t i = 0; i < c.n_top; i++) {
			v6 |= !strcmp(c.top[i].addr, "2001:db8::21");
			mapped |= !strcmp(c.top[i].addr, "::ffff:12.113.0.7");
		}
		if (!v6 || !mapped)
			fail_msg("top list misses 2001:db8::21 or ::ffff:12.113.0.7 (%s, %s, %s)",
				 c.top[0].addr, c.top[1].addr, c.top[2].addr);
	}

	/* An overlong line is skipped whole; the line after it counts. */
	snprintf(big, sizeof(big), "%s/tcp-big", tmpdir);
	f = fopen(big, "w");
	assert_non_null(f);
	memset(line, ' ', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line + 1000, "01 ", 3);
	fprintf(f, "header\n%s\n", line);
	fputs("   1: 0200000A:0016 0700710C:D431 01 00000000:00000000\n", f);
	fclose(f);
	paths[0] = big;
	assert_int_equal(monitor_proc_count(paths, 1, &c), 0);
	assert_int_equal(c.total, 1);

	snprintf(missing, sizeof(missing), "%s/none", tmpdir);
	paths[0] = missing;
	assert_int_equal(monitor_proc_count(paths, 1, &c), -ENOENT);
}

/* ---- live counts ---- */

struct sink {
	int alerts;
	enum alert_level level[32];
	char text[32][512];
	int audits;
	struct event_base *base;
	int want;
};

static void m_alert(void *arg, enum alert_level level, const char *recipient, const char *text,
		    json_t *details)
{
	struct sink *s = arg;

	assert_string_equal(recipient, "security_team");
	assert_non_null(details);
	if (s->alerts < 32) {
		s->level[s->alerts] = level;
		snprintf(s->text[s->alerts], sizeof(s->text[0]), "%s", text);
	}
	s->alerts++;
	if (s->base && s->alerts >= s->want)
		event_base_loopbreak(s->base);
}

static int m_audit(void *arg, json_t *rec)
{
	struct sink *s = arg;
	const char *type = json_string_value(json_object_get(rec, "type"));

	assert_non_null(type);
	assert_true(!strcmp(type, "file_integrity") || !strcmp(type, "connection_count"));
	s->audits++;
	return 0;
}

static const struct monitor_ops OPS = { .audit = m_audit, .alert = m_alert };

/* A connected pair over loopback; fds in fd[0..2] (listener, client, server side). */
static void loopback_pair(int fd[3])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd[0] >= 0);
	assert_int_equal(bind(fd[0], (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd[0], 4), 0);
	assert_int_equal(getsockname(fd[0], (struct sockaddr *)&a, &len), 0);
	fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd[1], (struct sockaddr *)&a, sizeof(a)), 0);
	fd[2] = accept(fd[0], NULL, NULL);
	assert_true(fd[2] >= 0);
}

static void test_connections(void **state)
{
	struct monitor_conf conf = { .conn_threshold = 1, .conn_interval_s = 1 };
	struct event_base *base = event_base_new();
	struct sink s = { .base = base, .want = 1 };
	struct monitor_conns c;
	struct monitor_stats st;
	struct monitor *m;
	struct timeval tv = { .tv_sec = 10 };
	int fd[3];

	(void)state;
	loopback_pair(fd);
	/* Both ends of our connection are established sockets of this host. */
	assert_int_equal(monitor_conn_count(&c), 0);
	if (c.total < 2)
		fail_msg("%llu established connections counted, expected at least our 2",
			 (unsigned long long)c.total);
	m = monitor_new(base, &conf, &OPS, &s);
	assert_non_null(m);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	assert_int_equal(s.alerts, 1);
	assert_int_equal(s.level[0], ALERT_HIGH);
	assert_non_null(strstr(s.text[0], "High number of established connections"));
	assert_int_equal(s.audits, 1);
	monitor_stats(m, &st);
	assert_true(st.conn_over);
	assert_true(st.conn_last >= 2);
	monitor_free(m);
	monitor_free(NULL);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	event_base_free(base);
}

/* ---- critical files ---- */

static void expect_alert(struct sink *s, int n, const char *want)
{
	if (s->alerts != n)
		fail_msg("%d alerts, expected %d (\"%s\"; last: \"%s\")", s->alerts, n,
			 want ? want : "", s->alerts ? s->text[(s->alerts - 1) % 32] : "");
	if (want && !strstr(s->text[(n - 1) % 32], want))
		fail_msg("alert \"%s\", expected \"%s\"", s->text[(n - 1) % 32], want);
}

/* Run the loop until the n-th alert (inotify and the settle timer), at most 10 s. */
static void loop_until(struct event_base *base, struct sink *s, int n)
{
	struct timeval tv = { .tv_sec = 10 };

	s->want = n;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void test_files(void **state)
{
	struct event_base *base = event_base_new();
	struct monitor_conf conf = { .files_interval_s = 3600 };
	struct sink s = { .base = base };
	char a[128], b[128], c[128], btmp[128], d[128];
	char *files[4] = { a, b, c, d };
	struct timespec ts[2] = { { .tv_nsec = UTIME_NOW }, { .tv_nsec = UTIME_NOW } };
	struct monitor *m;

	(void)state;
	snprintf(a, sizeof(a), "%s/passwd", tmpdir);
	snprintf(b, sizeof(b), "%s/sshd_config", tmpdir);
	snprintf(btmp, sizeof(btmp), "%s/.sshd_config.swp", tmpdir);
	snprintf(c, sizeof(c), "%s/sudoers", tmpdir);
	snprintf(d, sizeof(d), "%s/adir", tmpdir);
	write_file(a, "root:x:0:0:root:/root:/bin/bash\n");
	write_file(b, "PermitRootLogin no\n");
	assert_int_equal(chmod(a, 0644), 0);
	assert_int_equal(mkdir(d, 0755), 0);
	conf.files = files;
	conf.n_files = 4;
	m = monitor_new(base, &conf, &OPS, &s);
	assert_non_null(m);

	/* Nothing changed: nothing said. Touched, or rewritten with the same bytes: nothing. */
	monitor_files_check(m);
	assert_int_equal(s.alerts, 0);
	assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);
	write_file(b, "PermitRootLogin no\n");
	monitor_files_check(m);
	assert_int_equal(s.alerts, 0);

	/* Modified in place, seen by inotify. */
	{
		FILE *f = fopen(a, "a");

		assert_non_null(f);
		fputs("toor:x:0:0::/root:/bin/bash\n", f);
		fclose(f);
	}
	loop_until(base, &s, 1);
	expect_alert(&s, 1, "Critical file modified: ");
	assert_non_null(strstr(s.text[0], "passwd"));
	assert_int_equal(s.audits, 1);

	/* Replaced by rename, as editors do: the directory sees it. */
	write_file(btmp, "PermitRootLogin yes\n");
	assert_int_equal(rename(btmp, b), 0);
	loop_until(base, &s, 2);
	expect_alert(&s, 2, "modified");
	assert_non_null(strstr(s.text[1], "sshd_config"));
	/* ... and the new inode is watched. */
	write_file(b, "PermitRootLogin prohibit-password\n");
	loop_until(base, &s, 3);
	expect_alert(&s, 3, "sshd_config");

	/* Permissions, creation, removal. */
	assert_int_equal(chmod(a, 0666), 0);
	loop_until(base, &s, 4);
	expect_alert(&s, 4, "permissions changed");
	write_file(c, "root ALL=(ALL) ALL\n");
	loop_until(base, &s, 5);
	expect_alert(&s, 5, "Critical file created: ");
	assert_int_equal(unlink(a), 0);
	loop_until(base, &s, 6);
	expect_alert(&s, 6, "Critical file removed: ");
	/* Each change once: a direct check now finds nothing new. */
	monitor_files_check(m);
	expect_alert(&s, 6, NULL);
	assert_int_equal(s.audits, 6);

	/* The direct check alone (as the periodic timer does). */
	write_file(a, "back\n");
	monitor_files_check(m);
	expect_alert(&s, 7, "created");
	monitor_free(m);

	/* With no inotify events to go by, a monitor started now takes today's state. */
	s.alerts = 0;
	m = monitor_new(base, &conf, &OPS, &s);
	assert_non_null(m);
	monitor_files_check(m);
	assert_int_equal(s.alerts, 0);
	monitor_free(m);
	event_base_free(base);
}

static void test_defaults(void **state)
{
	struct monitor_conf c;

	(void)state;
	assert_int_equal(monitor_conf_defaults(&c), 0);
	assert_int_equal(c.conn_threshold, 100);
	assert_int_equal(c.n_files, 4);
	assert_string_equal(c.files[0], "/etc/passwd");
	assert_string_equal(c.files[3], "/etc/ssh/sshd_config");
	monitor_conf_release(&c);
	monitor_conf_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
