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
void tbl_free(struct ctl_table *t);

/* Parse a CIDR given on the command line, warning when host bits were cleared. */
int ctl_cidr(const char *s, bool force, struct ew_cidr *out);
/* Parse a number option, naming it in the error. */
int ctl_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Open the pinned maps, with a hint when nothing is loaded. */
int ctl_maps_open(struct ew_maps *m, bool write);

/*
 * The live policy for a read-modify-write edit: ctl_policy_get reads and
 * decompiles it, ctl_policy_put compiles doc and commits it. Both report
 * their errors and return CTL_OK or CTL_ERR.
 */
int ctl_policy_get(struct ew_maps *m, struct ew_policy_doc *doc, struct ew_compiled *live);
int ctl_policy_put(struct ew_maps *m, const struct ew_policy_doc *doc, struct ew_compiled *out);

/* JSON forms of a policy document's parts (policy show, allow/acl/ratelimit list). */
json_t *ctl_json_allow(const struct ew_policy_doc *doc);
json_t *ctl_json_acl(const struct ew_policy_doc *doc);
json_t *ctl_json_rl(const struct ew_policy_doc *doc);
json_t *ctl_json_portlist(const struct ew_portspec *p, size_t n);

bool ctl_same_cidr(const struct ew_cidr *a, const struct ew_cidr *b);
bool ctl_same_port(const struct ew_portspec *a, const struct ew_portspec *b);

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
