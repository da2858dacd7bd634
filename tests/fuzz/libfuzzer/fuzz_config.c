// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the daemon's configuration file (cfg_load_env), raw
 * bytes as the YAML file, so the YAML reader, every section's walker, the
 * embedded network policy, ${VAR} expansion and (production profile) the
 * production checks all see hostile input. Most inputs are refused; that
 * is the point.
 *
 * Nothing outside a private mkdtemp directory under /tmp is written or
 * opened on the config's behalf:
 *  - the input goes to DIR/input.yaml (0600, so a production file is not
 *    refused for its mode alone);
 *  - the checks' root is DIR/root, holding what examples/edgewardd.yaml
 *    names (TLS key and cert, encryption key) and the corpus's
 *    /etc/edgeward/jwt.key and policy.yaml, so the production example
 *    loads and the checks run past the missing-file errors;
 *  - the config's paths are opened as ROOT + path, and a path like
 *    "/../../dev/x" (spelled directly, through YAML escapes or ${VAR})
 *    would leave the root: open() below refuses any path under DIR whose
 *    ".." components climb out of it, before the kernel sees it.
 * The directory is removed at exit.
 *
 * On a loaded config: cfg_dump works, cfg_diff of a config with itself is
 * 0, and cfg_check_production_env runs (a development config is judged by
 * production's rules, which must not crash either).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define FUZZ_SECRET "fuzz-jwt-secret-7Hq2pX9vLm4Rt8Wz3Kc6Nb1Yd5Gf0Sj"

extern char **environ;

static char fuzz_dir[64];    /* /tmp/ew-fuzz-config.XXXXXX */
static char fuzz_root[128];  /* fuzz_dir/root: cfg_check_env.root */
static char fuzz_input[128]; /* fuzz_dir/input.yaml */
static struct cfg_check_env fuzz_env;

/* ---- keeping the config's opens inside fuzz_dir ---- */

/*
 * Does path, taken lexically, leave fuzz_dir? Only paths under fuzz_dir are
 * judged: the config's paths all are (root + path), while libFuzzer's
 * corpus, OpenSSL's /dev/urandom and the rest must pass untouched. Lexical
 * is exact here: nothing under fuzz_dir is a symbolic link.
 */
static int fuzz_escapes(const char *path)
{
	size_t dl = strlen(fuzz_dir);
	const char *p;
	int depth = 0;

	if (!dl || strncmp(path, fuzz_dir, dl) || (path[dl] && path[dl] != '/'))
		return 0;
	for (p = path + dl; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 2 && !strncmp(p, "..", 2))
			depth--;
		else if (n && !(n == 1 && *p == '.'))
			depth++;
		if (depth < 0)
			return 1;
		p += n;
	}
	return 0;
}

static int fuzz_open(const char *path, int flags, va_list ap)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	if (path && fuzz_escapes(path)) {
		errno = EACCES;
		return -1;
	}
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* These replace libc's for the whole process (the executable's definition wins). */
int open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = fuzz_open(path, flags, ap);
	va_end(ap);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = fuzz_open(path, flags, ap);
	va_end(ap);
	return fd;
}

/* ---- the private directory ---- */

static int fuzz_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void fuzz_cleanup(void)
{
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_mkdir(const char *rel, mode_t mode)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", fuzz_dir, rel);
	if (mkdir(p, mode)) {
		fprintf(stderr, "fuzz_config: mkdir %s: %s\n", p, strerror(errno));
		exit(1);
	}
}

static void fuzz_write(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode)) {
		fprintf(stderr, "fuzz_config: write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void fuzz_file(const char *rel, const char *text, mode_t mode)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", fuzz_dir, rel);
	fuzz_write(p, text, mode);
}

/*
 * No environment value may lead out of the root through ${VAR}: drop every
 * variable holding "..". Names are collected first, since unsetenv changes
 * environ under an iteration.
 */
static void fuzz_clean_environ(void)
{
	char *names[256];
	size_t n = 0, i;
	char **e;

	for (e = environ; *e && n < 256; e++) {
		const char *eq = strchr(*e, '=');

		if (eq && strstr(eq + 1, ".."))
			names[n++] = strndup(*e, (size_t)(eq - *e));
	}
	for (i = 0; i < n; i++) {
		if (names[i])
			unsetenv(names[i]);
		free(names[i]);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/ew-fuzz-config.XXXXXX");
	if (!mkdtemp(fuzz_dir)) {
		fprintf(stderr, "fuzz_config: mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	atexit(fuzz_cleanup);
	fuzz_mkdir("root", 0755);
	fuzz_mkdir("root/etc", 0755);
	fuzz_mkdir("root/etc/edgeward", 0755);
	fuzz_mkdir("root/etc/edgeward/tls", 0755);
	fuzz_mkdir("root/etc/edgeward/keys", 0700);
	fuzz_file("root/etc/edgeward/tls/key.pem", "-----BEGIN PRIVATE KEY-----\n", 0600);
	fuzz_file("root/etc/edgeward/tls/cert.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	fuzz_file("root/etc/edgeward/keys/data.key", "0123456789abcdef0123456789abcdef\n", 0600);
	fuzz_file("root/etc/edgeward/jwt.key", FUZZ_SECRET "\n", 0600);
	fuzz_file("root/etc/edgeward/policy.yaml",
		  "version: 1\ndefault: {tcp: deny}\nopen: [22/tcp, 443/tcp]\n"
		  "block:\n  - {cidr: 192.0.2.0/24, reason: test}\n",
		  0644);
	snprintf(fuzz_root, sizeof(fuzz_root), "%s/root", fuzz_dir);
	snprintf(fuzz_input, sizeof(fuzz_input), "%s/input.yaml", fuzz_dir);
	fuzz_env.owner = geteuid();
	fuzz_env.root = fuzz_root;

	fuzz_clean_environ();
	/* The production example takes its secret from ${JWT_SECRET}. */
	setenv("JWT_SECRET", FUZZ_SECRET, 1);
	log_init("fuzz_config", 0, 0);
	return 0;
}

/* The dump's jwt "secret:" lines hold the redaction, never the value. */
static int fuzz_redacted(const char *dump)
{
	const char *p = dump;
	int seen = 0;

	while (p && (p = strstr(p, "\n      secret: "))) {
		p += strlen("\n      secret: ");
		if (strncmp(p, "\"<redacted", 10))
			return 0;
		seen = 1;
	}
	return seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CFG_ERRLEN], perr[CFG_ERRLEN];
	struct ew_config *cfg = NULL;
	char *dump = NULL;
	size_t dlen = 0;
	FILE *f;
	int fd, r;

	fd = open(fuzz_input, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		fprintf(stderr, "fuzz_config: write %s: %s\n", fuzz_input, strerror(errno));
		abort();
	}
	close(fd);

	r = cfg_load_env(fuzz_input, &fuzz_env, &cfg, err, sizeof(err));
	if (r && cfg)
		abort(); /* failure must leave *out NULL */
	if (r && r != -EINVAL && r != -ENOMEM && r != -EFBIG)
		abort(); /* not a refusal documented for a file that could be read */
	if (r && !err[0])
		abort(); /* every refusal says why */
	if (r)
		return 0;

	if (cfg_diff(cfg, cfg))
		abort(); /* a config differs from itself */
	f = open_memstream(&dump, &dlen);
	if (f) {
		if (cfg_dump(cfg, f))
			abort();
		fclose(f);
		if (cfg->jwt.secret && !fuzz_redacted(dump))
			abort(); /* the secret shown in the dump */
	}
	free(dump);
	cfg_check_production_env(cfg, &fuzz_env, perr, sizeof(perr));
	cfg_free(cfg);
	return 0;
}
