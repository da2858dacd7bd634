/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test environment for the kernel tests: the real program loaded under a
 * private pin directory (/sys/fs/bpf/edgeward-test-<name>-<pid>), its maps
 * opened for writing, policies applied from C documents, YAML text or files,
 * and the pins removed at exit, on a fatal signal too.
 *
 * Names start with tenv_; nothing runs unless called.
 */
#ifndef EW_TEST_TENV_H
#define EW_TEST_TENV_H

#include <stdbool.h>
#include <stdint.h>

#include "maps.h"
#include "parse.h"
#include "policy_doc.h"

struct tenv {
	char name[32];
	char pin_dir[128];
	int prog_fd;
	struct ew_maps m;
	bool maps_open;
};

/* Not root: print "SKIP: <name>: ..." and exit 77. */
void tenv_require_root(const char *name);

/*
 * Load the program under a private pin dir, take its fd from the pin
 * (pin_dir/ew_xdp) and open its maps. Registers
 * cleanup at exit and on SIGINT/SIGTERM/SIGSEGV/SIGABRT. Returns 0 or a
 * negative errno with err set.
 */
int tenv_open(struct tenv *t, const char *name, char *err, size_t errlen);
/* Close the maps and program, remove the pins and the directory. Idempotent. */
void tenv_close(struct tenv *t);

/* Compile and commit a policy. */
int tenv_policy_doc(struct tenv *t, const struct ew_policy_doc *doc, char *err, size_t errlen);
int tenv_policy_file(struct tenv *t, const char *path, char *err, size_t errlen);
/* YAML text, written to a temporary file and loaded like a policy file. */
int tenv_policy_yaml(struct tenv *t, const char *yaml, char *err, size_t errlen);

/*
 * A file shipped in the repository (e.g. "examples/edgeward.yaml"), found from
 * the current directory or from the test binary's place in build/. Returns
 * a static buffer, or NULL.
 */
const char *tenv_repo_file(const char *rel);

/* Parse a CIDR or address (exits the test with a message on a typo in a table). */
struct ew_cidr tenv_cidr(const char *s);

/* Blocklist one CIDR (manual origin); expires_ns 0 = never. */
int tenv_block(struct tenv *t, const char *cidr, uint64_t expires_ns);
int tenv_unblock(struct tenv *t, const char *cidr);

/* Delete every rate-limit bucket. Returns how many were removed, or a negative errno. */
int tenv_rl_clear(struct tenv *t);
/*
 * "Advance the clock" for a source: set tat_ns of each of its buckets (every
 * class; the /64 for IPv6) to 0, a time in the past, which refills the bucket.
 * Returns the number of buckets changed.
 */
int tenv_rl_refill(struct tenv *t, const char *src);

#endif
