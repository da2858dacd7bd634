/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the ops_*.c files share and nobody else uses: request checking, the
 * operator messages of an answer, the JSON forms of the policy, the live
 * policy's read-modify-write, and the operations themselves (for the table
 * in ops.c).
 */
#ifndef EW_OPS_INT_H
#define EW_OPS_INT_H

#include <stdarg.h>

#include "ops.h"

/* err = the message; returns rc. */
int ops_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Check req against fields: an object (NULL is {}), no other keys, the
 * types right, the required ones there. prefix names an enclosing field in
 * messages ("default." for policy.set's "default"), "" at the top.
 */
int ops_req_check(json_t *req, const struct ops_field *fields, const char *prefix, char *err,
		  size_t errlen);
/* Fields of a checked request; absent: NULL, false, the default. */
const char *ops_str(json_t *req, const char *key);
bool ops_bool(json_t *req, const char *key);
bool ops_has(json_t *req, const char *key);
/*
 * An integer field within min..max; the message is ew_u64_parse's, after
 * what ("--burst: \"0\": out of range 1..1000000"). Absent: *v untouched.
 */
int ops_uint(json_t *req, const char *key, const char *what, uint64_t min, uint64_t max,
	     uint64_t *v, char *err, size_t errlen);

/*
 * The CIDRs of a string array (checked by ops_req_check): each through
 * ops_cidr (a host-bits warning goes to msgs), duplicates dropped, order kept,
 * or sorted (IPv4 first, then address, then length) when sort. *out malloc'd.
 */
int ops_cidr_list(json_t *arr, bool force, bool sort, json_t *msgs, struct ew_cidr **out,
		  size_t *n, char *err, size_t errlen);
int ops_cidr_cmp(const void *a, const void *b);
bool ops_same_cidr(const struct ew_cidr *a, const struct ew_cidr *b);

/* Operator messages: add one line; put the array into out as "messages" (if any). */
void ops_msg(json_t *msgs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ops_msgs_attach(json_t *out, json_t *msgs);

/* ---- JSON forms ---- */

json_t *ops_jcidr(const struct ew_cidr *c);
json_t *ops_json_cidrs(const struct ew_cidr *v, size_t n);
json_t *ops_json_portlist(const struct ew_portspec *p, size_t n);
json_t *ops_json_acl(const struct ew_policy_doc *doc);
json_t *ops_json_rl(const struct ew_policy_doc *doc);
/* "generation", "applied" (ISO time or null) and "applied_unix" of o. */
void ops_json_gen(json_t *o, const struct ew_policy *pol);
/* {"entries": n, "max": max}. */
json_t *ops_json_fill(size_t n, size_t max);
/* policy show's answer; pol NULL: without the generation (apply's "policy"). */
json_t *ops_policy_json(const struct ew_policy_doc *doc, const struct ew_policy *pol);
/* A rate-limit class's rate ("25/min"). */
void ops_rate_text(const struct ew_rl_doc *rl, char *buf, size_t len);

/* ---- the live policy, read-modify-write ---- */

struct ops_pol {
	struct ew_policy_doc doc;	/* decompiled; the caller edits it */
	struct ew_compiled live, next;
	const struct ew_policy *pol;	/* in force: as read, or as committed */
};

/* Read and decompile the live policy (ops_pol_end in every case). */
int ops_pol_begin(struct ew_maps *m, struct ops_pol *p, char *err, size_t errlen);
/* Compile p->doc and commit it in one swap; p->pol is then the new policy. */
int ops_pol_commit(struct ew_maps *m, struct ops_pol *p, char *err, size_t errlen);
void ops_pol_end(struct ops_pol *p);

/* ---- the operations (ops_filter.c, ops_block.c, ops_policy.c) ---- */

ops_fn ops_status, ops_attach, ops_detach, ops_reload, ops_stats;
ops_fn ops_block_add, ops_block_del, ops_block_list, ops_block_import, ops_block_flush;
ops_stream_fn ops_block_list_stream;
ops_fn ops_allow_add, ops_allow_del, ops_allow_list;
ops_fn ops_acl_add, ops_acl_del, ops_acl_list;
ops_fn ops_rl_set, ops_rl_del, ops_rl_list;
ops_fn ops_policy_show, ops_policy_set, ops_apply;

/* The request fields of each operation (the table's, and the operations' own checks). */
extern const struct ops_field ops_f_none[], ops_f_attach[], ops_f_detach[];
extern const struct ops_field ops_f_block_add[], ops_f_cidrs_force[], ops_f_block_filter[];
extern const struct ops_field ops_f_block_import[], ops_f_acl_add[], ops_f_acl_del[];
extern const struct ops_field ops_f_rl_set[], ops_f_rl_del[], ops_f_policy_set[], ops_f_apply[];

/* Set by ops_set_progress. */
extern void (*ops_progress_cb)(size_t done, size_t total, void *ctx);
extern void *ops_progress_ctx;

#endif
