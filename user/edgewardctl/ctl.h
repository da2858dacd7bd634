/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edgewardctl's shared helpers: the command tables and their dispatcher,
 * option parsing with built-in --help, output in text or JSON, error
 * reporting, and running the data-plane operations of ops.h, through
 * edgewardd or, in emergency mode, on the pinned maps.
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
#include "ops.h"
#include "parse.h"

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
/* A JSON string from untrusted bytes: invalid UTF-8 is written as \xNN text. */
json_t *ctl_jstr(const char *s);
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

/* Not an exit status: the arguments are in order, run the command. */
#define CTL_RUN (-1)

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
/*
 * argv[first..argc-1] as CIDRs, duplicates dropped, order kept: a JSON array
 * of their canonical texts in *out. CTL_OK or CTL_ERR (reported).
 */
int ctl_cidr_args(int argc, char **argv, int first, bool force, json_t **out);
/* Parse a number option, naming it in the error. */
int ctl_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Open the pinned maps, with a hint when nothing is loaded. */
int ctl_maps_open(struct ew_maps *m, bool write);

/*
 * Run one data-plane operation (ops.h) with request req (not stolen): through
 * edgewardd, or in emergency mode on the pinned maps, recording each change
 * in the journal there (see client.h). Errors are reported here (text or
 * -j) and give CTL_ERR; on CTL_OK *out is the answer (caller frees) and its
 * "messages" were printed to stderr (not under -q) and removed. ctl_op_keep
 * leaves them for the caller to print with ctl_messages when it wants.
 */
int ctl_op(const char *name, json_t *req, json_t **out);
int ctl_op_keep(const char *name, json_t *req, json_t **out);
void ctl_messages(json_t *out);
/*
 * Under -j: run the operation and print its answer. The answer of an
 * operation that can stream (block.list) goes straight to stdout in
 * emergency mode, never whole in memory.
 */
int ctl_op_json(const char *name, json_t *req);
/*
 * For the commands only edgewardd can serve (login, user, config): CTL_OK
 * when this run talks to the daemon, else CTL_ERR with "'what' needs
 * edgewardd (why); start it".
 */
int ctl_need_daemon(const char *what, const char *why);

/* Fields of an answer, for the text forms: "" / 0 when absent. */
const char *ctl_js(json_t *o, const char *key);
long long ctl_ji(json_t *o, const char *key);
/*
 * Append the strings of a JSON array, separated by sep, to buf at offset o;
 * an item that does not fit is cut and the rest left out. Returns the new
 * offset (the text forms of lists, as wide as they always were).
 */
size_t ctl_join(char *buf, size_t len, size_t o, json_t *arr, const char *sep);
/* "7, applied 2025-01-02T03:04:05+00:00" (or "applied never") from generation and applied. */
void ctl_gen_text(json_t *o, char *buf, size_t len);

/* Help texts of the top-level commands, next to their handlers. */
extern const char help_attach[], help_detach[], help_status[], help_reload[];
extern const char help_apply[], help_stats[], help_events[];
extern const char help_login[], help_logout[];

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
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_config(int argc, char **argv);

#endif
