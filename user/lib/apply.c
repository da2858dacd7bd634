// SPDX-License-Identifier: GPL-2.0-only
/* Applying a policy document to the live maps, all or nothing; see apply.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "log.h"

static int cidr_cmp(const struct ew_cidr *a, const struct ew_cidr *b)
{
	int r;

	/* The order of edgewardctl's lists: family, address, length. */
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, 16);
	if (r)
		return r;
	return (int)a->plen - (int)b->plen;
}

static int entry_cmp(const void *a, const void *b)
{
	return cidr_cmp(&((const struct ew_bl_entry *)a)->cidr,
			&((const struct ew_bl_entry *)b)->cidr);
}

static json_t *jcidr(const struct ew_cidr *c)
{
	char buf[EW_CIDR_STRLEN];

	if (ew_cidr_format(c, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

/* A rule as it is now, to put back on rollback. */
static void keep_old(struct ew_bl_entry *e, const struct ew_cidr *c, const struct ew_block *b,
		     const char *reason)
{
	e->cidr = *c;
	e->expires_ns = b->expires_ns;
	e->origin = b->origin;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

/* Undo block changes: delete what was new, put back what was replaced or removed. */
static void rollback(struct ew_maps *m, const struct ew_bl_entry *added, size_t n_added,
		     const bool *was_new, const struct ew_bl_entry *old, size_t n_old_done)
{
	char buf[EW_CIDR_STRLEN];
	size_t i, fails = 0;

	for (i = 0; i < n_added; i++) {
		int r = was_new[i] ? bl_del(m, &added[i].cidr) : 0;

		if (r && r != -ENOENT)
			fails++;
	}
	/* old: the replaced entries then the removed ones, as they were. */
	for (i = 0; i < n_old_done; i++) {
		if (bl_add(m, &old[i])) {
			ew_cidr_format(&old[i].cidr, buf, sizeof(buf));
			log_warnx("apply: rollback: cannot restore the block of %s", buf);
			fails++;
		}
	}
	if (fails)
		log_warnx("apply: rollback incomplete: %zu block changes could not be undone; "
			  "check 'edgewardctl block list --origin policy'",
			  fails);
}

void ew_apply_report_free(struct ew_apply_report *rep)
{
	if (!rep)
		return;
	json_decref(rep->added);
	json_decref(rep->updated);
	json_decref(rep->removed);
	json_decref(rep->kept);
	memset(rep, 0, sizeof(*rep));
}

int ew_policy_apply(struct ew_maps *m, const struct ew_policy_doc *doc, bool dry,
		    struct ew_apply_report *rep, char *err, size_t errlen)
{
	struct ew_compiled comp = { 0 };
	struct ew_bl_row *pb = NULL;
	struct ew_bl_entry *add = NULL, *old = NULL, *keep = NULL;
	bool *was_new = NULL;
	size_t n_add, n_old = 0, n_replaced = 0, n_remove = 0, i, k = 0, n4, n6;
	size_t new4 = 0, new6 = 0, old_done = 0, n_pb = 0;
	char buf[EW_CIDR_STRLEN];
	uint64_t now;
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->added = json_array();
	rep->updated = json_array();
	rep->removed = json_array();
	rep->kept = json_array();
	rep->loaded = m != NULL;
	if (!rep->added || !rep->updated || !rep->removed || !rep->kept) {
		r = -ENOMEM;
		goto oom;
	}
	if (!m && !dry) {
		snprintf(err, errlen, "apply: edgeward is not loaded");
		return -ENOENT;
	}
	r = ew_policy_compile(doc, &comp, err, errlen);
	if (r)
		goto out;

	/* The document's blocks, sorted and unique, as origin-policy entries. */
	add = calloc(doc->n_block + 1, sizeof(*add));
	was_new = calloc(doc->n_block + 1, sizeof(*was_new));
	keep = calloc(doc->n_block + 1, sizeof(*keep));
	if (!add || !was_new || !keep) {
		r = -ENOMEM;
		goto oom;
	}
	now = ew_boot_ns();
	for (i = 0; i < doc->n_block; i++) {
		add[i].cidr = doc->block[i].cidr;
		add[i].expires_ns = doc->block[i].ttl_ns ? now + doc->block[i].ttl_ns : 0;
		add[i].origin = EW_ORIGIN_POLICY;
		snprintf(add[i].reason, sizeof(add[i].reason), "%s", doc->block[i].reason);
	}
	n_add = doc->n_block;
	if (n_add > 1) {
		size_t o = 0;

		qsort(add, n_add, sizeof(*add), entry_cmp);
		for (i = 1; i < n_add; i++) {
			if (entry_cmp(&add[o], &add[i]))
				o++;
			add[o] = add[i];	/* a later duplicate wins */
		}
		n_add = o + 1;
	}

	if (!m) {
		for (i = 0; i < n_add; i++)
			json_array_append_new(rep->added, jcidr(&add[i].cidr));
		r = 0;
		goto out;
	}

	/* Plan the block changes. */
	r = bl_collect(m, EW_ORIGIN_POLICY, false, 0, &pb, &n_pb);
	if (!r)
		r = bl_count(m, &n4, &n6);
	if (r) {
		snprintf(err, errlen, "apply: cannot read the blocklist: %s", strerror(-r));
		goto out;
	}
	/* old[] holds, in order, the entries replaced, then those removed. */
	old = calloc(n_pb + n_add + 1, sizeof(*old));
	if (!old) {
		r = -ENOMEM;
		goto oom;
	}
	for (i = 0; i < n_add; i++) {
		struct ew_block b;
		char reason[EW_REASON_TEXT_LEN] = "";

		ew_cidr_format(&add[i].cidr, buf, sizeof(buf));
		r = bl_get(m, &add[i].cidr, &b, reason, sizeof(reason));
		if (r == -ENOENT) {
			was_new[k] = true;
			if (add[i].cidr.family == 4)
				new4++;
			else
				new6++;
			json_array_append_new(rep->added, json_string(buf));
		} else if (r) {
			snprintf(err, errlen, "apply: cannot read the rule for %s: %s", buf,
				 strerror(-r));
			goto out;
		} else if (b.origin != EW_ORIGIN_POLICY) {
			/* Someone else's block: leave it exactly as it is. */
			json_array_append_new(rep->kept, json_string(buf));
			continue;
		} else {
			keep_old(&old[n_replaced++], &add[i].cidr, &b, reason);
			json_array_append_new(rep->updated, json_string(buf));
		}
		keep[k++] = add[i];
	}
	memcpy(add, keep, k * sizeof(*add));
	n_add = k;
	/* Policy blocks the document no longer lists go. add[] is still sorted. */
	for (i = 0; i < n_pb; i++) {
		struct ew_bl_entry key = { .cidr = pb[i].cidr };

		if (bsearch(&key, add, n_add, sizeof(*add), entry_cmp))
			continue;
		keep_old(&old[n_replaced + n_remove++], &pb[i].cidr, &pb[i].b, pb[i].reason);
		json_array_append_new(rep->removed, jcidr(&pb[i].cidr));
	}
	n_old = n_replaced + n_remove;
	/* Capacity: the new entries go in before the old ones come out. */
	if (n4 + new4 > EW_BL4_MAX || n6 + new6 > EW_BL6_MAX) {
		snprintf(err, errlen,
			 "apply: the blocklist cannot hold %zu more IPv4 and %zu more IPv6 rules "
			 "(%zu/%u and %zu/%u used); nothing changed",
			 new4, new6, n4, EW_BL4_MAX, n6, EW_BL6_MAX);
		r = -ENOSPC;
		goto out;
	}
	if (dry) {
		r = 0;
		goto out;
	}

	/* Blocks in, stale policy blocks out, then the one policy swap. */
	r = n_add ? bl_import(m, add, n_add, NULL, NULL, NULL) : 0;
	if (r) {
		rollback(m, add, n_add, was_new, old, n_replaced);
		snprintf(err, errlen, "apply: writing the block entries failed: %s; nothing changed",
			 strerror(-r));
		goto out;
	}
	old_done = n_replaced;
	for (i = n_replaced; i < n_old; i++) {
		r = bl_del(m, &old[i].cidr);
		if (r && r != -ENOENT) {
			rollback(m, add, n_add, was_new, old, old_done);
			ew_cidr_format(&old[i].cidr, buf, sizeof(buf));
			snprintf(err, errlen,
				 "apply: removing the policy block %s failed: %s; nothing changed",
				 buf, strerror(-r));
			goto out;
		}
		old_done++;
	}
	r = pol_commit(m, &comp, err, errlen);
	if (r) {
		char why[EW_ERRLEN];

		snprintf(why, sizeof(why), "%s", err[0] ? err : strerror(-r));
		rollback(m, add, n_add, was_new, old, old_done);
		snprintf(err, errlen, "apply: policy commit failed: %s; the block changes were undone",
			 why);
		goto out;
	}
	rep->generation = comp.pol->gen;
	r = 0;
	goto out;
oom:
	snprintf(err, errlen, "apply: out of memory");
out:
	ew_compiled_free(&comp);
	free(pb);
	free(add);
	free(old);
	free(keep);
	free(was_new);
	return r;
}
