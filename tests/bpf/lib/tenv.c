// SPDX-License-Identifier: GPL-2.0-only
/* Test environment: private pin dir, policy helpers, cleanup on any exit (see tenv.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "tenv.h"

/* The environments to clean up at exit or on a fatal signal. */
#define TENV_MAX 4
static struct tenv *tenv_live[TENV_MAX];

void tenv_require_root(const char *name)
{
	if (geteuid() == 0)
		return;
	printf("SKIP: %s: needs root (BPF_PROG_TEST_RUN and pinning under /sys/fs/bpf)\n", name);
	fprintf(stderr, "SKIP: %s: needs root\n", name);
	exit(77);
}

static void tenv_cleanup_all(void)
{
	for (int i = 0; i < TENV_MAX; i++)
		if (tenv_live[i])
			tenv_close(tenv_live[i]);
}

static void tenv_on_signal(int sig)
{
	/* Not async-signal-safe, but the process is dying and the pins would outlive it. */
	tenv_cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tenv_register(struct tenv *t)
{
	static bool hooked;

	if (!hooked) {
		atexit(tenv_cleanup_all);
		signal(SIGINT, tenv_on_signal);
		signal(SIGTERM, tenv_on_signal);
		signal(SIGSEGV, tenv_on_signal);
		signal(SIGABRT, tenv_on_signal);
		signal(SIGBUS, tenv_on_signal);
		hooked = true;
	}
	for (int i = 0; i < TENV_MAX; i++)
		if (!tenv_live[i]) {
			tenv_live[i] = t;
			return;
		}
}

static void tenv_unregister(struct tenv *t)
{
	for (int i = 0; i < TENV_MAX; i++)
		if (tenv_live[i] == t)
			tenv_live[i] = NULL;
}

int tenv_open(struct tenv *t, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int r;

	memset(t, 0, sizeof(*t));
	t->prog_fd = -1;
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->pin_dir, sizeof(t->pin_dir), "/sys/fs/bpf/edgeward-test-%s-%d", name,
		 (int)getpid());
	tenv_register(t);

	r = ew_load(t->pin_dir, err, errlen);
	if (r < 0)
		return r;
	close(r);
	/* Run the pinned program, the one an attach would use, not a private fd of it. */
	snprintf(path, sizeof(path), "%s/%s", t->pin_dir, EW_PROG_NAME);
	t->prog_fd = bpf_obj_get(path);
	if (t->prog_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "bpf_obj_get %s after ew_load: %s", path, strerror(-r));
		return r;
	}
	r = ew_maps_open(&t->m, t->pin_dir, true, err, errlen);
	if (r)
		return r;
	t->maps_open = true;
	return 0;
}

void tenv_close(struct tenv *t)
{
	if (!t->pin_dir[0])
		return;
	if (t->maps_open)
		ew_maps_close(&t->m);
	t->maps_open = false;
	if (t->prog_fd >= 0)
		close(t->prog_fd);
	t->prog_fd = -1;
	ew_unpin_all(t->pin_dir);
	rmdir(t->pin_dir);
	t->pin_dir[0] = '\0';
	tenv_unregister(t);
}

int tenv_policy_doc(struct tenv *t, const struct ew_policy_doc *doc, char *err, size_t errlen)
{
	struct ew_compiled c;
	int r;

	r = ew_policy_compile(doc, &c, err, errlen);
	if (r)
		return r;
	r = pol_commit(&t->m, &c, err, errlen);
	ew_compiled_free(&c);
	return r;
}

int tenv_policy_file(struct tenv *t, const char *path, char *err, size_t errlen)
{
	struct ew_policy_doc doc;
	int r;

	r = ew_policy_doc_load(path, false, &doc, NULL, err, errlen);
	if (r)
		return r;
	r = tenv_policy_doc(t, &doc, err, errlen);
	ew_policy_doc_free(&doc);
	return r;
}

int tenv_policy_yaml(struct tenv *t, const char *yaml, char *err, size_t errlen)
{
	char path[] = "/tmp/edgeward-test-policy-XXXXXX";
	size_t len = strlen(yaml);
	int fd, r;

	(void)t;
	fd = mkstemp(path);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "mkstemp: %s", strerror(-r));
		return r;
	}
	if (write(fd, yaml, len) != (ssize_t)len) {
		r = -EIO;
		snprintf(err, errlen, "write %s failed", path);
		close(fd);
		unlink(path);
		return r;
	}
	close(fd);
	r = tenv_policy_file(t, path, err, errlen);
	unlink(path);
	return r;
}

const char *tenv_repo_file(const char *rel)
{
	static char buf[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (!access(rel, R_OK)) {
		snprintf(buf, sizeof(buf), "%s", rel);
		return buf;
	}
	/* build/tests/<suite>/<binary>: the repository is three levels up. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	snprintf(buf, sizeof(buf), "%s/../../../%s", dirname(exe), rel);
	return access(buf, R_OK) ? NULL : buf;
}

struct ew_cidr tenv_cidr(const char *s)
{
	char err[EW_ERRLEN];
	struct ew_cidr c;

	if (ew_cidr_parse(s, 0, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "tenv_cidr: bad CIDR in a test table: %s\n", err);
		exit(2);
	}
	return c;
}

int tenv_block(struct tenv *t, const char *cidr, uint64_t expires_ns)
{
	struct ew_bl_entry e = {
		.cidr = tenv_cidr(cidr),
		.expires_ns = expires_ns,
		.origin = EW_ORIGIN_MANUAL,
	};

	snprintf(e.reason, sizeof(e.reason), "test");
	return bl_add(&t->m, &e);
}

int tenv_unblock(struct tenv *t, const char *cidr)
{
	struct ew_cidr c = tenv_cidr(cidr);

	return bl_del(&t->m, &c);
}

int tenv_rl_clear(struct tenv *t)
{
	struct ew_rl_key key, next;
	int n = 0;

	/* Deleting while walking restarts the walk; the map holds a handful of keys here. */
	while (!bpf_map_get_next_key(t->m.rl_state, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(t->m.rl_state, &key))
			return -errno;
		n++;
	}
	return n;
}

int tenv_rl_refill(struct tenv *t, const char *src)
{
	struct ew_cidr c = tenv_cidr(src);
	struct ew_rl_key key, cur;
	struct ew_rl_state st;
	bool first = true;
	int n = 0;

	while (!bpf_map_get_next_key(t->m.rl_state, first ? NULL : &cur, &key)) {
		first = false;
		cur = key;
		if (key.family != c.family || memcmp(key.addr, c.addr, c.family == 4 ? 4 : 8))
			continue;
		if (bpf_map_lookup_elem(t->m.rl_state, &key, &st))
			continue;
		st.tat_ns = 0;	/* any time in the past: a full bucket */
		if (bpf_map_update_elem(t->m.rl_state, &key, &st, BPF_EXIST))
			return -errno;
		n++;
	}
	return n;
}
