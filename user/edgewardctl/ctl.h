/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edgewardctl's shared helpers: the command tables and their dispatcher,
 * option parsing with built-in --help, output in text or JSON, error
 * reporting, and the read-modify-write cycle of the live policy.
 *
 * Exit status: 0 success, 1 error (bad value, map operation failed),
 * 2 usage error (unknown command or option, missing argument).
 */
#ifndef EW_CTL_H
#define EW_CTL_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "maps.h"
#include "parse.h"
#include "policy_doc.h"

#ifndef EW_VERSION
#define EW_VERSION "0.1.0"
#endif

#define CTL_OK	  0
#define CTL_ERR	  1
#define CTL_USAGE 2

/*
 * One entry of a command table. Group commands (block, allow, ...) have a
 * handler that dispatches into their own table; help of a group lists it.
 */
struct ctl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;	/* one line for the command list */
	const char *usage;	/* after "edgewardctl ": "block add CIDR... [--ttl DURATION]" */
	const char *help;	/* what it does, Options:, Example: (may be NULL) */
};

struct ctl_state {
	bool json;
	bool quiet;
	int verbose;
	const char *pin_dir;		/* --pin-dir, $EDGEWARD_PIN_DIR or EW_PIN_DIR */
	char path[64];			/* "block add": the command being run, for messages */
	const struct ctl_cmd *cur;	/* its table entry, for --help */
	const struct ctl_cmd *group;	/* the table it came from (for group help) */
	int opt_rc;			/* exit status after CTL_OPT_DONE */
};
extern struct ctl_state ctl;

/* Run argv[0] from tab (NULL-terminated); prefixes accepted when unambiguous. */
int ctl_dispatch(const struct ctl_cmd *tab, int argc, char **argv);
/* Print the help of a command table (the group whose entry is ctl.cur). */
int ctl_group_help(const struct ctl_cmd *tab, FILE *f);

/*
 * getopt_long for a command: "-h/--help" is added to every option set, and
 * unknown options or missing values are reported here. Returns the option,
 * -1 at the end, or CTL_OPT_DONE when the handler must return ctl.opt_rc
 * (help printed: 0; usage error reported: 2).
 */
#define CTL_OPT_DONE 0x10000
int ctl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
int ctl_help(void);

/* Errors: text to stderr, or {"error": ...} on stdout under -j. Return CTL_ERR / CTL_USAGE. */
int ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warnings go to stderr in both modes (not under -q). */
void ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational text on stdout in text mode, nothing under -j or -q. */
void ctl_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print one JSON value on a line (compact) and release it. */
int ctl_json_print(json_t *v);
/* The same for {"key": v}. */
int ctl_json_print_kv(const char *key, json_t *v);
/* A JSON string from untrusted bytes: invalid UTF-8 and control bytes are escaped. */
json_t *ctl_jstr(const char *s);
json_t *ctl_jcidr(const struct ew_cidr *c);
/* Valid UTF-8 without control characters: safe to print on a terminal as it is. */
bool ctl_printable(const char *s);

/* Times and durations for humans. */
void ctl_iso_time(time_t t, char *buf, size_t len);		/* 2025-01-02T03:04:05+00:00 */
void ctl_iso_time_ns(uint64_t unix_ns, char *buf, size_t len);	/* with milliseconds */
void ctl_rel_duration(uint64_t ns, char *buf, size_t len);	/* "59m", "1h30m", "2d3h" */
/* A time on another clock (CLOCK_BOOTTIME, CLOCK_MONOTONIC) as wall-clock ns. */
uint64_t ctl_clock_to_unix_ns(clockid_t clock, uint64_t ns);

/* Aligned text tables: columns padded to the widest cell, the last one not. */
struct ctl_table {
	size_t ncols, nrows, cap;
	char **cells;		/* nrows * ncols, malloc'd */
	unsigned int right;	/* bit i: column i aligned right */
};
void tbl_init(struct ctl_table *t, size_t ncols, unsigned int right_cols, ...);
/* ncols strings; copied. */
void tbl_add(struct ctl_table *t, ...);
void tbl_print(const struct ctl_table *t, FILE *f);
/* Without the header row: a list of settings, not a table. */
void tbl_print_rows(const struct ctl_table *t, FILE *f);
void tbl_free(struct ctl_table *t);

/*
 * Not exit statuses. CTL_RUN: the arguments are in order, run the command.
 * CTL_UNCHANGED: an edit found nothing to change, so nothing is committed.
 */
#define CTL_RUN	      (-1)
#define CTL_UNCHANGED (-2)

/* A command without options or arguments: CTL_RUN, or the status to return. */
int ctl_no_args(int argc, char **argv);
/* A command whose one option is -f/--force: CTL_RUN, or the status to return. */
int ctl_opt_force(int argc, char **argv, bool *force);
/*
 * The one operand after the options, "missing WHAT" or "unexpected argument"
 * (" (one WHAT at a time)" when one_at_a_time) reported: NULL means CTL_USAGE.
 */
char *ctl_arg(int argc, char **argv, const char *what, bool one_at_a_time);

/* Parse a CIDR given on the command line, warning when host bits were cleared. */
int ctl_cidr(const char *s, bool force, struct ew_cidr *out);
/* argv[first..argc-1] as CIDRs, duplicates dropped, order kept; *out malloc'd. */
int ctl_cidr_args(int argc, char **argv, int first, bool force, struct ew_cidr **out, size_t *n);
/* Parse a number option, naming it in the error. */
int ctl_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Open the pinned maps, with a hint when nothing is loaded. */
int ctl_maps_open(struct ew_maps *m, bool write);

/*
 * The live policy as a document, for the commands that show or change it.
 * Both open the maps, read and decompile the policy, and release everything
 * before they return; errors are reported where they happen (text or -j).
 *
 * ctl_policy_view parses a command without arguments, then calls show.
 * ctl_policy_edit (maps opened for writing) calls edit, which changes doc;
 * when it returns CTL_OK the document is compiled and committed, when
 * CTL_UNCHANGED it is not, and anything else is the status to return (the
 * error already reported). Then show reports. Both return the status of
 * show or of the step that failed.
 */
struct ctl_policy {
	struct ew_policy_doc doc;
	const struct ew_policy *pol;	/* in force: as read, or as committed */
	void *arg;			/* the caller's */
};
typedef int ctl_policy_fn(struct ctl_policy *p);
int ctl_policy_view(int argc, char **argv, ctl_policy_fn *show);
int ctl_policy_edit(ctl_policy_fn *edit, ctl_policy_fn *show, void *arg);

/* Grow a malloc'd array of n elements to n + more, zeroing the new ones; NULL: reported. */
void *ctl_grow(void *v, size_t n, size_t more, size_t size);
/* Remove element k of the array v of n elements. */
#define CTL_ARRAY_DEL(v, n, k) \
	(memmove(&(v)[k], &(v)[(k) + 1], ((n) - (size_t)(k) - 1) * sizeof((v)[0])), (n)--)

/*
 * Edit a CIDR set of a policy document (the allowlist, an ACL's sources).
 * where completes "X is already WHERE" / "X is not WHERE": "allowed", "on the
 * allowlist", "in the ACL of 22/tcp". ctl_cidrs_add adds the CIDRs not there
 * yet (names to done, the others to known with an info line) and returns
 * CTL_OK, CTL_UNCHANGED or CTL_ERR; ctl_cidrs_del removes them, each of which
 * must be there (names to done), and returns CTL_OK or CTL_ERR.
 */
int ctl_cidrs_add(struct ew_cidr **set, size_t *n, const struct ew_cidr *v, size_t nv,
		  const char *where, json_t *done, json_t *known);
int ctl_cidrs_del(struct ew_cidr *set, size_t *n, const struct ew_cidr *v, size_t nv,
		  const char *where, json_t *done);
ssize_t ctl_find_cidr(const struct ew_cidr *v, size_t n, const struct ew_cidr *c);
ssize_t ctl_find_port(const struct ew_portspec *v, size_t n, const struct ew_portspec *p);
bool ctl_same_port(const struct ew_portspec *a, const struct ew_portspec *b);
/* qsort order of struct ew_cidr: IPv4 first, then by address, then by length. */
int ctl_cidr_cmp(const void *a, const void *b);

/* A rate-limit class's rate ("25/min"). */
void ctl_rate_text(const struct ew_rl_doc *rl, char *buf, size_t len);
/*
 * Append a list, items separated by sep, to buf at offset o; an item that
 * does not fit is cut and the rest left out. Returns the new offset.
 */
size_t ctl_join_cidrs(char *buf, size_t len, size_t o, const struct ew_cidr *v, size_t n,
		      const char *sep);
size_t ctl_join_ports(char *buf, size_t len, size_t o, const struct ew_portspec *v, size_t n,
		      const char *sep);
/* "7, applied 2025-01-02T03:04:05+00:00" (or "applied never"). */
void ctl_gen_text(const struct ew_policy *pol, char *buf, size_t len);

/* JSON forms of a policy document's parts (policy show, allow/acl/ratelimit list). */
json_t *ctl_json_cidrs(const struct ew_cidr *v, size_t n);
json_t *ctl_json_acl(const struct ew_policy_doc *doc);
json_t *ctl_json_rl(const struct ew_policy_doc *doc);
json_t *ctl_json_portlist(const struct ew_portspec *p, size_t n);
/* Set "generation", "applied" and "applied_unix" of o. */
void ctl_json_gen(json_t *o, const struct ew_policy *pol);
/* {"entries": n, "max": max}: a map's fill level. */
json_t *ctl_json_fill(size_t n, size_t max);

/* Help texts of the top-level commands, next to their handlers. */
extern const char help_attach[], help_detach[], help_status[], help_reload[];
extern const char help_apply[], help_stats[], help_events[];

/* Handlers of the top-level table (main.c). */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_acl(int argc, char **argv);
int cmd_ratelimit(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_events(int argc, char **argv);

#endif
