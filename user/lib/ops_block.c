// SPDX-License-Identifier: GPL-2.0-only
/*
 * Blocklist operations: block.add, block.del, block.list, block.import,
 * block.flush. Every CIDR of a request is checked before the first map
 * write, so a bad one changes nothing; del checks that every CIDR is there
 * before it removes the first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops_int.h"
#include "sort.h"

const struct ops_field ops_f_block_add[] = {
	{ "cidrs", OPS_T_STRS, true },	{ "ttl_s", OPS_T_UINT, false },
	{ "reason", OPS_T_STR, false }, { "force", OPS_T_BOOL, false },
	{ NULL }
};
const struct ops_field ops_f_cidrs_force[] = {
	{ "cidrs", OPS_T_STRS, true }, { "force", OPS_T_BOOL, false }, { NULL }
};
const struct ops_field ops_f_block_filter[] = {
	{ "origin", OPS_T_STR, false }, { "expired", OPS_T_BOOL, false }, { NULL }
};
const struct ops_field ops_f_block_import[] = {
	{ "entries", OPS_T_ARRAY, true }, { "ttl_s", OPS_T_UINT, false },
	{ "reason", OPS_T_STR, false },	  { "origin", OPS_T_STR, false },
	{ "force", OPS_T_BOOL, false },	  { "file", OPS_T_STR, false },
	{ NULL }
};
static const struct ops_field f_import_entry[] = {
	{ "cidr", OPS_T_STR, true }, { "ttl_s", OPS_T_UINT, false }, { "reason", OPS_T_STR, false },
	{ NULL }
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *expiry_json(uint64_t expires_ns, uint64_t now)
{
	if (!expires_ns)
		return json_null();
	if (expires_ns <= now)
		return json_integer(0);
	return json_integer((json_int_t)((expires_ns - now) / 1000000000ULL));
}

static void expiry_text(uint64_t expires_ns, uint64_t now, char *buf, size_t len)
{
	char d[24];

	if (!expires_ns) {
		snprintf(buf, len, "never");
	} else if (expires_ns <= now) {
		snprintf(buf, len, "expired");
	} else {
		ops_rel_duration(expires_ns - now, d, sizeof(d));
		snprintf(buf, len, "in %s", d);
	}
}

/* The "cidrs" of a request, checked, sorted, without duplicates; at least one. */
static int req_cidrs(json_t *req, json_t *msgs, struct ew_cidr **v, size_t *n, char *err,
		     size_t errlen)
{
	json_t *a = json_object_get(req, "cidrs");

	if (!json_array_size(a))
		return ops_fail(-EINVAL, err, errlen, "missing CIDR");
	return ops_cidr_list(a, ops_bool(req, "force"), true, msgs, v, n, err, errlen);
}

static int req_ttl(json_t *req, const char *key, uint64_t *ttl_s, char *err, size_t errlen)
{
	*ttl_s = 0;
	return ops_uint(req, key, "--ttl", 0, OPS_TTL_MAX_S, ttl_s, err, errlen);
}

/* ---- add ---- */

/*
 * Up to this many rules go in one bl_add each: bl_import plans against a
 * dump of the whole rules map (milliseconds at any fill, 0.3 s at 1M rules),
 * bl_add touches one rule and its summary bits (microseconds). An API call
 * or a response rule adds one or a few.
 */
#define ADD_ONE_BY_ONE 64

/* bl_add each entry; on a failure put back what was there before. */
static int add_few(struct ew_maps *m, const struct ew_bl_entry *e, const bool *isnew, size_t n)
{
	struct ew_bl_entry *old = calloc(n, sizeof(*old));
	size_t i, done;
	int r = 0;

	if (!old)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ew_block b;

		old[i].cidr = e[i].cidr;
		if (isnew[i] || bl_get(m, &e[i].cidr, &b, old[i].reason, sizeof(old[i].reason)))
			continue;
		old[i].expires_ns = b.expires_ns;
		old[i].origin = b.origin;
	}
	for (done = 0; done < n; done++) {
		r = bl_add(m, &e[done]);
		if (r)
			break;
	}
	if (r) {
		for (i = 0; i < done; i++) {
			if (isnew[i])
				bl_del(m, &e[i].cidr);
			else
				bl_add(m, &old[i]);
		}
	}
	free(old);
	return r;
}

int ops_block_add(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	struct ew_bl_entry *e = NULL;
	struct ew_cidr *cidrs = NULL;
	const char *reason;
	char buf[EW_CIDR_STRLEN];
	json_t *msgs = json_array(), *arr = NULL, *o = NULL;
	bool *isnew = NULL;
	uint64_t now, ttl_s;
	size_t n = 0, i;
	int r;

	*out = NULL;
	r = ops_req_check(req, ops_f_block_add, "", err, errlen);
	if (!r)
		r = req_ttl(req, "ttl_s", &ttl_s, err, errlen);
	reason = ops_str(req, "reason");
	if (!reason)
		reason = "";
	if (!r)
		r = ops_check_reason("--reason", reason, err, errlen);
	if (!r)
		r = req_cidrs(req, msgs, &cidrs, &n, err, errlen);
	if (r)
		goto out;
	e = calloc(n, sizeof(*e));
	isnew = calloc(n, sizeof(*isnew));
	if (!e || !isnew) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	now = ew_boot_ns();
	for (i = 0; i < n; i++) {
		struct ew_block b;

		e[i].cidr = cidrs[i];
		e[i].expires_ns = ttl_s ? now + ttl_s * 1000000000ULL : 0;
		e[i].origin = EW_ORIGIN_MANUAL;
		snprintf(e[i].reason, sizeof(e[i].reason), "%s", reason);
		isnew[i] = bl_get(m, &cidrs[i], &b, NULL, 0) == -ENOENT;
	}
	r = n <= ADD_ONE_BY_ONE ? add_few(m, e, isnew, n) : bl_import(m, e, n, NULL, NULL, NULL);
	if (r) {
		ops_fail(r, err, errlen, "cannot add to the blocklist: %s%s", strerror(-r),
			 r == -ENOSPC || r == -E2BIG ? " (the blocklist is full)" : "");
		goto out;
	}
	o = json_object();
	arr = json_array();
	if (!o || !arr) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_t *j = json_object();

		ew_cidr_format(&cidrs[i], buf, sizeof(buf));
		json_object_set_new(j, "cidr", json_string(buf));
		json_object_set_new(j, "new", json_boolean(isnew[i]));
		json_object_set_new(j, "origin", json_string("manual"));
		json_object_set_new(j, "expires_in_s", expiry_json(e[i].expires_ns, now));
		json_object_set_new(j, "reason", ops_jstr(reason));
		json_array_append_new(arr, j);
	}
	json_object_set_new(o, "blocked", arr);
	arr = NULL;
	ops_msgs_attach(o, msgs);
	*out = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(arr);
	json_decref(msgs);
	free(cidrs);
	free(e);
	free(isnew);
	return r;
}

/* ---- del ---- */

int ops_block_del(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	char buf[EW_CIDR_STRLEN];
	struct ew_cidr *cidrs = NULL;
	json_t *msgs = json_array(), *arr = NULL, *o = NULL;
	size_t n = 0, i;
	int r;

	*out = NULL;
	r = ops_req_check(req, ops_f_cidrs_force, "", err, errlen);
	if (!r)
		r = req_cidrs(req, msgs, &cidrs, &n, err, errlen);
	if (r)
		goto out;
	/* All or nothing: every CIDR must be there before the first is removed. */
	for (i = 0; i < n; i++) {
		struct ew_block b;

		r = bl_get(m, &cidrs[i], &b, NULL, 0);
		ew_cidr_format(&cidrs[i], buf, sizeof(buf));
		if (r == -ENOENT) {
			ops_fail(r, err, errlen, "%s is not in the blocklist (nothing removed)",
				 buf);
			goto out;
		}
		if (r) {
			ops_fail(r, err, errlen, "cannot read the rule for %s: %s", buf,
				 strerror(-r));
			goto out;
		}
	}
	o = json_object();
	arr = json_array();
	if (!o || !arr) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		ew_cidr_format(&cidrs[i], buf, sizeof(buf));
		r = bl_del(m, &cidrs[i]);
		if (r && r != -ENOENT) {
			ops_fail(r, err, errlen, "cannot remove %s: %s", buf, strerror(-r));
			goto out;
		}
		r = 0;
		json_array_append_new(arr, json_string(buf));
	}
	json_object_set_new(o, "deleted", arr);
	arr = NULL;
	ops_msgs_attach(o, msgs);
	*out = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(arr);
	json_decref(msgs);
	free(cidrs);
	return r;
}

/* ---- list ---- */

/* --origin and --expired of list and flush; origin -1: any. */
static int req_filter(json_t *req, int *origin, bool *expired, char *err, size_t errlen)
{
	const char *os;
	char q[EW_QUOTE_LEN];
	int r;

	r = ops_req_check(req, ops_f_block_filter, "", err, errlen);
	if (r)
		return r;
	*origin = -1;
	*expired = ops_bool(req, "expired");
	os = ops_str(req, "origin");
	if (os) {
		*origin = ew_origin_parse(os);
		if (*origin < 0)
			return ops_fail(-EINVAL, err, errlen,
					"--origin %s: unknown origin (manual, import, policy, auto "
					"or fleet)",
					ew_quote(os, q, sizeof(q)));
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return ops_cidr_cmp(&((const struct ew_bl_row *)a)->cidr,
			    &((const struct ew_bl_row *)b)->cidr);
}

int ops_block_walk(struct ew_maps *m, json_t *req, const struct ops_block_walker *w, char *err,
		   size_t errlen)
{
	char cidr[EW_CIDR_STRLEN], exp[40], added[48] = "";
	struct ew_bl_row *rows = NULL;
	struct ops_block_row row;
	uint32_t last_added = 0;
	bool expired_only;
	int r, origin;
	uint64_t now;
	size_t i, n = 0;

	r = req_filter(req, &origin, &expired_only, err, errlen);
	if (r)
		return r;
	now = ew_boot_ns();
	r = bl_collect(m, origin, expired_only, now, &rows, &n);
	if (r) {
		free(rows);
		return ops_fail(r, err, errlen, "cannot read the blocklist: %s", strerror(-r));
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), row_cmp);
	r = w->start ? w->start(n, w->ctx) : 0;
	for (i = 0; !r && i < n; i++) {
		struct ew_bl_row *x = &rows[i];

		ew_cidr_format(&x->cidr, cidr, sizeof(cidr));
		expiry_text(x->b.expires_ns, now, exp, sizeof(exp));
		/* Rules added together share their second: format it once. */
		if (!added[0] || x->b.added_unix != last_added) {
			ops_iso_time((time_t)x->b.added_unix, -1, added, sizeof(added));
			last_added = x->b.added_unix;
		}
		row = (struct ops_block_row){
			.cidr = cidr,
			.origin = ew_origin_name(x->b.origin),
			.expires = exp,
			.added = added,
			.reason = x->reason,
			.expired = x->b.expires_ns && x->b.expires_ns <= now,
			.expires_in_s = -1,
			.hits = x->b.hits,
			.added_unix = x->b.added_unix,
		};
		if (x->b.expires_ns)
			row.expires_in_s = row.expired ? 0 :
				(int64_t)((x->b.expires_ns - now) / 1000000000ULL);
		r = w->row(&row, w->ctx);
	}
	free(rows);
	if (r)
		ops_fail(r, err, errlen, "cannot write the blocklist: %s", strerror(-r));
	return r;
}

/*
 * The JSON text of block.list, written by hand, entry by entry: a million
 * rules must not become a million json_t. Every field but the reason is
 * plain ASCII we made; the reason goes through jansson, once per distinct
 * text in a row.
 */
struct list_json {
	FILE *f;
	size_t i;
	char last_reason[EW_REASON_TEXT_LEN + 1];
	char *rjson;
};

static int list_json_start(size_t n, void *ctx)
{
	struct list_json *lj = ctx;

	fprintf(lj->f, "{\"count\":%zu,\"blocks\":[", n);
	return 0;
}

static int list_json_row(const struct ops_block_row *w, void *ctx)
{
	struct list_json *lj = ctx;
	char in_s[24] = "null";

	if (!lj->i || strcmp(lj->last_reason, w->reason)) {
		json_t *j = ops_jstr(w->reason);

		free(lj->rjson);
		lj->rjson = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(j);
		snprintf(lj->last_reason, sizeof(lj->last_reason), "%s", w->reason);
	}
	if (w->expires_in_s >= 0)
		snprintf(in_s, sizeof(in_s), "%lld", (long long)w->expires_in_s);
	fprintf(lj->f,
		"%s{\"cidr\":\"%s\",\"origin\":\"%s\",\"expires\":\"%s\","
		"\"expires_in_s\":%s,\"expired\":%s,\"hits\":%llu,\"added\":\"%s\","
		"\"added_unix\":%u,\"reason\":%s}",
		lj->i++ ? "," : "", w->cidr, w->origin, w->expires, in_s,
		w->expired ? "true" : "false", (unsigned long long)w->hits, w->added,
		w->added_unix, lj->rjson ? lj->rjson : "\"\"");
	return ferror(lj->f) ? -EIO : 0;
}

int ops_block_list_stream(struct ew_maps *m, json_t *req, FILE *f, char *err, size_t errlen)
{
	struct list_json lj = { .f = f };
	const struct ops_block_walker w = { list_json_start, list_json_row, &lj };
	int r;

	r = ops_block_walk(m, req, &w, err, errlen);
	free(lj.rjson);
	if (r)
		return r;
	fputs("]}\n", f);
	if (ferror(f))
		return ops_fail(-EIO, err, errlen, "cannot write the blocklist: %s",
				strerror(EIO));
	return 0;
}

int ops_block_list(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	json_error_t je;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	*out = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	r = ops_block_list_stream(m, req, f, err, errlen);
	if (fclose(f) && !r)
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
	if (!r) {
		*out = json_loadb(buf, len, 0, &je);
		if (!*out)
			r = ops_fail(-EPROTO, err, errlen, "cannot encode the blocklist: %s",
				     je.text);
	}
	free(buf);
	return r;
}

/* ---- import ---- */

/* One request entry: its CIDR, TTL and reason (borrowed from the request). */
struct imp {
	struct ew_cidr c;
	uint64_t ttl_s;
	const char *reason;
};

/*
 * An IPv4 rule as a sort key: host-order address << 8 | length in bits
 * 62..22, the entry's index below. Sorted, these are in ops_cidr_cmp order,
 * and within one CIDR in request order, so a million rows sort in four
 * radix passes instead of a qsort calling memcmp ~20 million times.
 */
#define IMP_IDX_BITS 22
#define IMP_MAX	     (1UL << IMP_IDX_BITS)

static uint64_t key4_of(const struct ew_cidr *c, size_t idx)
{
	uint32_t be;

	memcpy(&be, c->addr, 4);
	return ((uint64_t)ntohl(be) << 8 | c->plen) << IMP_IDX_BITS | idx;
}

struct idx6 {
	struct ew_cidr c;
	size_t idx;
};

static int idx6_cmp(const void *a, const void *b)
{
	const struct idx6 *x = a, *y = b;
	int r = ops_cidr_cmp(&x->c, &y->c);

	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The default reason: "import FILE" (its base name), printable. */
static void import_reason(const char *file, char *out, size_t len)
{
	const char *base;
	size_t i;

	if (!file) {
		snprintf(out, len, "import");
		return;
	}
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	snprintf(out, len, "import %.55s", !strcmp(file, "-") ? "stdin" : base);
	/* A file name is untrusted too: keep the reason printable. */
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

/* Check every entry into v[0..n). */
static int import_entries(json_t *arr, uint64_t ttl_s, const char *reason, bool force,
			  json_t *msgs, struct imp *v, char *err, size_t errlen)
{
	char warn[EW_ERRLEN + EW_CIDR_STRLEN], pfx[40], e[EW_ERRLEN];
	size_t i, warnings = 0;
	json_t *x;
	int r;

	json_array_foreach(arr, i, x) {
		const char *s;

		v[i].ttl_s = ttl_s;
		v[i].reason = reason;
		if (json_is_object(x)) {
			snprintf(pfx, sizeof(pfx), "entries[%zu].", i);
			r = ops_req_check(x, f_import_entry, pfx, err, errlen);
			if (!r)
				r = req_ttl(x, "ttl_s", &v[i].ttl_s, err, errlen);
			if (!r && ops_has(x, "reason")) {
				v[i].reason = ops_str(x, "reason");
				r = ops_check_reason("reason", v[i].reason, e, sizeof(e));
				if (r)
					ops_fail(r, err, errlen, "entry %zu: %s", i + 1, e);
			}
			if (r)
				return r;
			s = ops_str(x, "cidr");
		} else if (json_is_string(x) &&
			   strlen(json_string_value(x)) == json_string_length(x)) {
			s = json_string_value(x);
		} else {
			return ops_fail(-EINVAL, err, errlen,
					"field 'entries' must hold CIDR strings or objects");
		}
		r = ops_cidr(s, force, &v[i].c, warn, sizeof(warn), e, sizeof(e));
		if (r)
			return ops_fail(r, err, errlen, "entry %zu: %s (nothing imported)", i + 1,
					e);
		if (warn[0] && ++warnings <= 10)
			ops_msg(msgs, "warning: entry %zu: %s", i + 1, warn);
	}
	if (warnings > 10)
		ops_msg(msgs, "warning: %zu more entries had host bits set", warnings - 10);
	return 0;
}

/*
 * The rules to write: sorted (IPv4 then IPv6, as block list shows them),
 * one per CIDR, the last entry of a CIDR winning, as if added in turn.
 */
static int import_rules(const struct imp *v, size_t n, int origin, uint64_t now,
			struct ew_bl_entry **out, size_t *n_out)
{
	struct idx6 *v6 = NULL;
	uint64_t *k4 = NULL;
	struct ew_bl_entry *e = NULL;
	size_t n4 = 0, n6 = 0, i, k = 0;
	int r = -ENOMEM;

	k4 = calloc(n ? n : 1, sizeof(*k4));
	v6 = calloc(n ? n : 1, sizeof(*v6));
	e = calloc(n ? n : 1, sizeof(*e));
	if (!k4 || !v6 || !e)
		goto out;
	for (i = 0; i < n; i++) {
		if (v[i].c.family == 4) {
			k4[n4++] = key4_of(&v[i].c, i);
		} else {
			v6[n6].c = v[i].c;
			v6[n6++].idx = i;
		}
	}
	r = ew_sort_u64(k4, n4, 40 + IMP_IDX_BITS);
	if (r)
		goto out;
	qsort(v6, n6, sizeof(*v6), idx6_cmp);
	for (i = 0; i < n4 + n6; i++) {
		size_t idx;
		bool last;

		if (i < n4) {
			idx = k4[i] & (IMP_MAX - 1);
			last = i + 1 == n4 || k4[i + 1] >> IMP_IDX_BITS != k4[i] >> IMP_IDX_BITS;
		} else {
			idx = v6[i - n4].idx;
			last = i + 1 == n4 + n6 || ops_cidr_cmp(&v6[i - n4].c, &v6[i - n4 + 1].c);
		}
		if (!last)
			continue;
		e[k].cidr = v[idx].c;
		e[k].expires_ns = v[idx].ttl_s ? now + v[idx].ttl_s * 1000000000ULL : 0;
		e[k].origin = (uint8_t)origin;
		/* Checked shorter than the field (ops_check_reason); e is zeroed. */
		memcpy(e[k].reason, v[idx].reason, strlen(v[idx].reason));
		k++;
	}
	*out = e;
	*n_out = k;
	e = NULL;
	r = 0;
out:
	free(k4);
	free(v6);
	free(e);
	return r;
}

int ops_block_import(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	char reason_buf[EW_REASON_TEXT_LEN], q[EW_QUOTE_LEN];
	const char *file, *reason, *os;
	struct ew_bl_entry *e = NULL;
	struct imp *v = NULL;
	json_t *arr, *msgs = json_array(), *o;
	size_t n, n_rules = 0, n_new = 0;
	uint64_t ttl_s;
	int r, origin = EW_ORIGIN_IMPORT;
	double t0, secs;

	*out = NULL;
	r = ops_req_check(req, ops_f_block_import, "", err, errlen);
	if (!r)
		r = req_ttl(req, "ttl_s", &ttl_s, err, errlen);
	if (r)
		goto out;
	file = ops_str(req, "file");
	reason = ops_str(req, "reason");
	if (!reason) {
		import_reason(file, reason_buf, sizeof(reason_buf));
		reason = reason_buf;
	} else if ((r = ops_check_reason("--reason", reason, err, errlen))) {
		goto out;
	}
	os = ops_str(req, "origin");
	if (os) {
		origin = ew_origin_parse(os);
		if (origin < 0 || origin == EW_ORIGIN_POLICY) {
			r = ops_fail(-EINVAL, err, errlen,
				     "origin %s: expected import, manual, auto or fleet (policy "
				     "blocks belong to apply)",
				     ew_quote(os, q, sizeof(q)));
			goto out;
		}
	}
	arr = json_object_get(req, "entries");
	n = json_array_size(arr);
	if (n > IMP_MAX) {
		r = ops_fail(-E2BIG, err, errlen,
			     "%zu entries: at most %lu in one import (the blocklist holds %u IPv4 "
			     "and %u IPv6 rules)",
			     n, IMP_MAX, EW_BL4_MAX, EW_BL6_MAX);
		goto out;
	}
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	r = import_entries(arr, ttl_s, reason, ops_bool(req, "force"), msgs, v, err, errlen);
	if (r)
		goto out;
	r = import_rules(v, n, origin, ew_boot_ns(), &e, &n_rules);
	if (r) {
		ops_fail(r, err, errlen, "out of memory");
		goto out;
	}
	free(v);
	v = NULL;
	t0 = mono_s();
	r = bl_import(m, e, n_rules, ops_progress_cb, ops_progress_ctx, &n_new);
	secs = mono_s() - t0;
	if (r) {
		ops_fail(r, err, errlen, "import of %s failed: %s%s", file ? file : "the entries",
			 strerror(-r),
			 r == -ENOSPC || r == -E2BIG ?
				 " (the blocklist cannot hold them all; nothing imported)" :
				 "");
		goto out;
	}
	o = json_object();
	if (!o) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	if (file)
		json_object_set_new(o, "file", ops_jstr(file));
	json_object_set_new(o, "imported", json_integer((json_int_t)n_rules));
	json_object_set_new(o, "new", json_integer((json_int_t)n_new));
	json_object_set_new(o, "seconds", json_real(secs));
	ops_msgs_attach(o, msgs);
	*out = o;
out:
	json_decref(msgs);
	free(v);
	free(e);
	return r;
}

/* ---- flush ---- */

int ops_block_flush(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	bool expired;
	size_t removed = 0;
	int r, origin;
	json_t *o;

	*out = NULL;
	r = req_filter(req, &origin, &expired, err, errlen);
	if (r)
		return r;
	r = bl_flush(m, origin, expired, &removed);
	if (r)
		return ops_fail(r, err, errlen, "flush failed after removing %zu rules: %s",
				removed, strerror(-r));
	o = json_object();
	if (!o)
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	json_object_set_new(o, "removed", json_integer((json_int_t)removed));
	*out = o;
	return 0;
}
