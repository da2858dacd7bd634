// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy operations: allow.*, acl.*, ratelimit.*, policy.show, policy.set
 * and apply. The allowlist, the ACLs and the rate-limit classes are parts of
 * the one policy, so each change is a read-modify-write of the whole policy
 * (decompiled, edited, compiled) committed in one swap: a change that does
 * not compile, or a commit that fails, leaves the live policy as it was.
 *
 * apply is all or nothing too (see apply.h); its YAML comes in the request
 * and is read from a private temporary file, so that its errors keep
 * FILE:LINE:COL, with the client's file name in place of the temporary one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "ops_int.h"

const struct ops_field ops_f_acl_add[] = {
	{ "port", OPS_T_STR, true }, { "from", OPS_T_STRS, true }, { "force", OPS_T_BOOL, false },
	{ NULL }
};
const struct ops_field ops_f_acl_del[] = {
	{ "port", OPS_T_STR, true }, { "from", OPS_T_STRS, false }, { "force", OPS_T_BOOL, false },
	{ NULL }
};
const struct ops_field ops_f_rl_set[] = {
	{ "name", OPS_T_STR, true },  { "ports", OPS_T_STRS, false }, { "rate", OPS_T_STR, false },
	{ "burst", OPS_T_UINT, false }, { "count", OPS_T_STR, false }, { NULL }
};
const struct ops_field ops_f_rl_del[] = { { "name", OPS_T_STR, true }, { NULL } };
const struct ops_field ops_f_policy_set[] = {
	{ "default", OPS_T_OBJECT, false }, { "open", OPS_T_STRS, false },
	{ "close", OPS_T_STRS, false },	    { "events", OPS_T_OBJECT, false },
	{ NULL }
};
static const struct ops_field f_policy_default[] = {
	{ "tcp", OPS_T_STR, false },	  { "udp", OPS_T_STR, false },
	{ "icmp", OPS_T_STR, false },	  { "bogons", OPS_T_STR, false },
	{ "v4mapped", OPS_T_STR, false }, { "non_ip", OPS_T_STR, false },
	{ NULL }
};
static const struct ops_field f_policy_events[] = {
	{ "sample", OPS_T_UINT, false }, { "max_per_sec", OPS_T_UINT, false }, { NULL }
};
const struct ops_field ops_f_apply[] = {
	{ "yaml", OPS_T_STR, true },	   { "name", OPS_T_STR, false },
	{ "dry_run", OPS_T_BOOL, false }, { "force", OPS_T_BOOL, false },
	{ NULL }
};

/*
 * The default-policy flags: "deny" or "drop" (on) versus "allow". key is
 * the JSON key (under "default"), opt the edgewardctl option.
 */
static const struct pol_flag {
	const char *key, *opt, *on;
	uint32_t bit;
} pol_flags[] = {
	{ "tcp", "default-tcp", "deny", EW_POL_TCP_DENY },
	{ "udp", "default-udp", "deny", EW_POL_UDP_DENY },
	{ "icmp", "default-icmp", "deny", EW_POL_ICMP_DENY },
	{ "bogons", "bogons", "drop", EW_POL_BOGONS },
	{ "v4mapped", "v4mapped", "drop", EW_POL_V4MAPPED },
	{ "non_ip", "non-ip", "drop", EW_POL_NONIP_DROP },
};
#define N_FLAGS (sizeof(pol_flags) / sizeof(pol_flags[0]))

/* ---- JSON forms ---- */

void ops_rate_text(const struct ew_rl_doc *rl, char *buf, size_t len)
{
	if (ew_rate_format(rl->rate, rl->period_s, buf, len) < 0)
		snprintf(buf, len, "%u/%us", rl->rate, rl->period_s);
}

json_t *ops_json_cidrs(const struct ew_cidr *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, ops_jcidr(&v[i]));
	return a;
}

json_t *ops_json_portlist(const struct ew_portspec *p, size_t n)
{
	json_t *a = json_array();
	char buf[32];
	size_t i;

	for (i = 0; i < n; i++) {
		ew_portspec_format(&p[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

json_t *ops_json_acl(const struct ew_policy_doc *doc)
{
	json_t *a = json_array();
	char buf[32];
	size_t i;

	for (i = 0; i < doc->n_acl; i++) {
		const struct ew_acl_doc *acl = &doc->acl[i];
		json_t *o = json_object();

		ew_portspec_format(&acl->port, buf, sizeof(buf));
		json_object_set_new(o, "port", json_string(buf));
		json_object_set_new(o, "from", ops_json_cidrs(acl->from, acl->n_from));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *rl_json(const struct ew_rl_doc *rl)
{
	json_t *o = json_object();
	char buf[32];

	json_object_set_new(o, "name", ops_jstr(rl->name));
	json_object_set_new(o, "ports", ops_json_portlist(rl->ports, rl->n_ports));
	ops_rate_text(rl, buf, sizeof(buf));
	json_object_set_new(o, "rate", json_string(buf));
	json_object_set_new(o, "burst", json_integer(rl->burst));
	json_object_set_new(o, "count", json_string(rl->count_conn ? "conn" : "pkt"));
	return o;
}

json_t *ops_json_rl(const struct ew_policy_doc *doc)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < doc->n_rl; i++)
		json_array_append_new(a, rl_json(&doc->rl[i]));
	return a;
}

void ops_json_gen(json_t *o, const struct ew_policy *pol)
{
	char t[40];

	json_object_set_new(o, "generation", json_integer(pol->gen));
	ops_iso_time((time_t)pol->applied_unix, -1, t, sizeof(t));
	json_object_set_new(o, "applied", pol->applied_unix ? json_string(t) : json_null());
	json_object_set_new(o, "applied_unix", json_integer((json_int_t)pol->applied_unix));
}

json_t *ops_json_fill(size_t n, size_t max)
{
	json_t *o = json_object();

	json_object_set_new(o, "entries", json_integer((json_int_t)n));
	json_object_set_new(o, "max", json_integer((json_int_t)max));
	return o;
}

json_t *ops_policy_json(const struct ew_policy_doc *doc, const struct ew_policy *pol)
{
	json_t *o = json_object(), *d = json_object(), *ev = json_object();
	size_t i;

	if (!o || !d || !ev) {
		json_decref(o);
		json_decref(d);
		json_decref(ev);
		return NULL;
	}
	if (pol)
		ops_json_gen(o, pol);
	for (i = 0; i < N_FLAGS; i++)
		json_object_set_new(d, pol_flags[i].key,
				    json_string(doc->flags & pol_flags[i].bit ? pol_flags[i].on :
										"allow"));
	json_object_set_new(o, "default", d);
	json_object_set_new(o, "open", ops_json_portlist(doc->open, doc->n_open));
	json_object_set_new(o, "allow", ops_json_cidrs(doc->allow, doc->n_allow));
	json_object_set_new(o, "acl", ops_json_acl(doc));
	json_object_set_new(o, "ratelimit", ops_json_rl(doc));
	json_object_set_new(ev, "sample", json_integer(doc->ev_sample));
	json_object_set_new(ev, "max_per_sec", json_integer(doc->ev_max_per_s));
	json_object_set_new(o, "events", ev);
	return o;
}

/* ---- the live policy ---- */

int ops_pol_begin(struct ew_maps *m, struct ops_pol *p, char *err, size_t errlen)
{
	char e[EW_ERRLEN] = "";
	int r;

	memset(p, 0, sizeof(*p));
	ew_policy_doc_init(&p->doc);
	r = pol_read(m, &p->live);
	if (r)
		return ops_fail(r, err, errlen, "cannot read the live policy: %s", strerror(-r));
	r = ew_policy_decompile(&p->live, &p->doc, e, sizeof(e));
	if (r)
		return ops_fail(r, err, errlen, "cannot decode the live policy: %s",
				e[0] ? e : strerror(-r));
	p->pol = p->live.pol;
	return 0;
}

int ops_pol_commit(struct ew_maps *m, struct ops_pol *p, char *err, size_t errlen)
{
	char e[EW_ERRLEN] = "";
	int r;

	r = ew_policy_compile(&p->doc, &p->next, e, sizeof(e));
	if (r)
		return ops_fail(r, err, errlen, "%s", e[0] ? e : strerror(-r));
	e[0] = '\0';
	r = pol_commit(m, &p->next, e, sizeof(e));
	if (r)
		return ops_fail(r, err, errlen,
				"policy commit failed (the live policy is unchanged): %s",
				e[0] ? e : strerror(-r));
	p->pol = p->next.pol;
	return 0;
}

void ops_pol_end(struct ops_pol *p)
{
	ew_policy_doc_free(&p->doc);
	ew_compiled_free(&p->live);
	ew_compiled_free(&p->next);
}

static bool same_port(const struct ew_portspec *a, const struct ew_portspec *b)
{
	return a->proto_idx == b->proto_idx && a->lo == b->lo && a->hi == b->hi;
}

static ssize_t find_port(const struct ew_portspec *v, size_t n, const struct ew_portspec *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_port(&v[i], p))
			return (ssize_t)i;
	return -1;
}

#define ARRAY_DEL(v, n, k) \
	(memmove(&(v)[k], &(v)[(k) + 1], ((n) - (size_t)(k) - 1) * sizeof((v)[0])), (n)--)

/* A set's CIDR and where it is, sorted for lookups: a request may name many. */
struct at {
	struct ew_cidr c;
	size_t i;
};

static int at_cmp(const void *a, const void *b)
{
	return ops_cidr_cmp(&((const struct at *)a)->c, &((const struct at *)b)->c);
}

static struct at *sorted_index(const struct ew_cidr *set, size_t n)
{
	struct at *s = calloc(n ? n : 1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		s[i].c = set[i];
		s[i].i = i;
	}
	qsort(s, n, sizeof(*s), at_cmp);
	return s;
}

static const struct at *lookup(const struct at *s, size_t n, const struct ew_cidr *c)
{
	struct at key = { .c = *c };

	return bsearch(&key, s, n, sizeof(*s), at_cmp);
}

/*
 * Add the CIDRs (without duplicates) not in the set yet: their text to
 * done, the others' to known. Returns how many were added, or -ENOMEM.
 */
static ssize_t cidrs_add(struct ew_cidr **set, size_t *n, const struct ew_cidr *v, size_t nv,
			 json_t *done, json_t *known)
{
	struct ew_cidr *grown = realloc(*set, (*n + nv + 1) * sizeof(*grown));
	struct at *idx;
	size_t i, had = *n, changed = 0;

	if (!grown)
		return -ENOMEM;
	*set = grown;
	idx = sorted_index(grown, had);
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < nv; i++) {
		if (lookup(idx, had, &v[i])) {
			json_array_append_new(known, ops_jcidr(&v[i]));
			continue;
		}
		grown[(*n)++] = v[i];
		json_array_append_new(done, ops_jcidr(&v[i]));
		changed++;
	}
	free(idx);
	return (ssize_t)changed;
}

/*
 * Remove the CIDRs (without duplicates), each of which must be there ("X is
 * not WHERE (nothing removed)"); the others keep their order.
 */
static int cidrs_del(struct ew_cidr *set, size_t *n, const struct ew_cidr *v, size_t nv,
		     const char *where, json_t *done, char *err, size_t errlen)
{
	char buf[EW_CIDR_STRLEN];
	struct at *idx = sorted_index(set, *n);
	bool *gone = calloc(*n ? *n : 1, sizeof(*gone));
	const struct at *hit;
	size_t i, k = 0;
	int r = 0;

	if (!idx || !gone) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < nv; i++) {
		ew_cidr_format(&v[i], buf, sizeof(buf));
		hit = lookup(idx, *n, &v[i]);
		if (!hit) {
			r = ops_fail(-ENOENT, err, errlen, "%s is not %s (nothing removed)", buf,
				     where);
			goto out;
		}
		gone[hit->i] = true;
		json_array_append_new(done, json_string(buf));
	}
	for (i = 0; i < *n; i++)
		if (!gone[i])
			set[k++] = set[i];
	*n = k;
out:
	free(idx);
	free(gone);
	return r;
}

/* A list answer: {key: what(doc)} of the live policy (maps open read-only will do). */
static int policy_view(struct ew_maps *m, json_t *req, const char *key,
		       json_t *(*what)(const struct ew_policy_doc *doc), json_t **out, char *err,
		       size_t errlen)
{
	struct ops_pol p;
	int r;

	*out = NULL;
	r = ops_req_check(req, ops_f_none, "", err, errlen);
	if (r)
		return r;
	r = ops_pol_begin(m, &p, err, errlen);
	if (!r) {
		*out = json_object();
		if (!*out || json_object_set_new(*out, key, what(&p.doc)))
			r = ops_fail(-ENOMEM, err, errlen, "out of memory");
	}
	ops_pol_end(&p);
	return r;
}

/* ---- allow ---- */

static json_t *allow_of(const struct ew_policy_doc *doc)
{
	return ops_json_cidrs(doc->allow, doc->n_allow);
}

static int allow_edit(struct ew_maps *m, json_t *req, bool add, json_t **out, char *err,
		      size_t errlen)
{
	json_t *msgs = json_array(), *done = json_array(), *known = json_array(), *o = NULL;
	struct ew_cidr *v = NULL;
	struct ops_pol p;
	ssize_t added;
	size_t n = 0;
	int r;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	r = ops_req_check(req, ops_f_cidrs_force, "", err, errlen);
	if (!r && !json_array_size(json_object_get(req, "cidrs")))
		r = ops_fail(-EINVAL, err, errlen, "missing CIDR");
	if (!r)
		r = ops_cidr_list(json_object_get(req, "cidrs"), ops_bool(req, "force"), false,
				  msgs, &v, &n, err, errlen);
	if (r)
		goto out;
	r = ops_pol_begin(m, &p, err, errlen);
	if (r)
		goto out;
	if (add) {
		added = cidrs_add(&p.doc.allow, &p.doc.n_allow, v, n, done, known);
		if (added < 0) {
			r = ops_fail((int)added, err, errlen, "out of memory");
			goto out;
		}
	} else {
		added = 1;
		r = cidrs_del(p.doc.allow, &p.doc.n_allow, v, n, "on the allowlist", done, err,
			      errlen);
		if (r)
			goto out;
	}
	if (added) {
		r = ops_pol_commit(m, &p, err, errlen);
		if (r)
			goto out;
	}
	o = json_object();
	if (!o) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	json_object_set(o, add ? "added" : "deleted", done);
	if (add)
		json_object_set(o, "already", known);
	ops_msgs_attach(o, msgs);
	*out = o;
out:
	ops_pol_end(&p);
	free(v);
	json_decref(msgs);
	json_decref(done);
	json_decref(known);
	return r;
}

int ops_allow_add(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	return allow_edit(m, req, true, out, err, errlen);
}

int ops_allow_del(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	return allow_edit(m, req, false, out, err, errlen);
}

int ops_allow_list(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	return policy_view(m, req, "allow", allow_of, out, err, errlen);
}

/* ---- acl ---- */

static ssize_t find_acl(const struct ew_policy_doc *doc, const struct ew_portspec *p)
{
	size_t i;

	for (i = 0; i < doc->n_acl; i++)
		if (same_port(&doc->acl[i].port, p))
			return (ssize_t)i;
	return -1;
}

static int acl_edit(struct ew_maps *m, json_t *req, bool add, json_t **out, char *err,
		    size_t errlen)
{
	json_t *msgs = json_array(), *done = json_array(), *known = json_array(), *o = NULL;
	json_t *from;
	char e[EW_ERRLEN], pbuf[32], where[64];
	bool created = false, removed_acl = false;
	struct ew_portspec port;
	struct ew_cidr *v = NULL;
	struct ew_acl_doc *a;
	struct ops_pol p;
	ssize_t k, changed = 1;
	size_t n = 0;
	int r;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	r = ops_req_check(req, add ? ops_f_acl_add : ops_f_acl_del, "", err, errlen);
	if (r)
		goto out;
	if (ew_portspec_parse(ops_str(req, "port"), EW_PI_TCP, &port, e, sizeof(e))) {
		r = ops_fail(-EINVAL, err, errlen, "%s", e);
		goto out;
	}
	ew_portspec_format(&port, pbuf, sizeof(pbuf));
	snprintf(where, sizeof(where), "in the ACL of %s", pbuf);
	from = json_object_get(req, "from");
	if (from && !json_array_size(from)) {
		r = ops_fail(-EINVAL, err, errlen, "missing CIDR after 'from'");
		goto out;
	}
	if (from) {
		r = ops_cidr_list(from, ops_bool(req, "force"), false, msgs, &v, &n, err, errlen);
		if (r)
			goto out;
	}
	r = ops_pol_begin(m, &p, err, errlen);
	if (r)
		goto out;
	k = find_acl(&p.doc, &port);
	if (add) {
		if (k < 0) {
			a = realloc(p.doc.acl, (p.doc.n_acl + 1) * sizeof(*a));
			if (!a) {
				r = ops_fail(-ENOMEM, err, errlen, "out of memory");
				goto out;
			}
			p.doc.acl = a;
			k = (ssize_t)p.doc.n_acl++;
			memset(&a[k], 0, sizeof(a[k]));
			a[k].port = port;
			created = true;
		}
		a = &p.doc.acl[k];
		changed = cidrs_add(&a->from, &a->n_from, v, n, done, known);
		if (changed < 0) {
			r = ops_fail((int)changed, err, errlen, "out of memory");
			goto out;
		}
	} else if (k < 0) {
		r = ops_fail(-ENOENT, err, errlen, "%s has no ACL (see 'edgewardctl acl list')",
			     pbuf);
		goto out;
	} else if (!from) {
		a = &p.doc.acl[k];
		json_decref(done);
		done = ops_json_cidrs(a->from, a->n_from);
		free(a->from);
		ARRAY_DEL(p.doc.acl, p.doc.n_acl, k);
		removed_acl = true;
	} else {
		a = &p.doc.acl[k];
		r = cidrs_del(a->from, &a->n_from, v, n, where, done, err, errlen);
		if (r)
			goto out;
		if (!a->n_from) {
			r = ops_fail(-EINVAL, err, errlen,
				     "that would leave the ACL of %s empty; to delete the ACL, run "
				     "'edgewardctl acl del %s'",
				     pbuf, pbuf);
			goto out;
		}
	}
	if (changed) {
		r = ops_pol_commit(m, &p, err, errlen);
		if (r)
			goto out;
	}
	o = json_object();
	if (!o) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	json_object_set_new(o, "port", json_string(pbuf));
	if (add) {
		json_object_set_new(o, "created", json_boolean(created));
		json_object_set(o, "added", done);
		json_object_set(o, "already", known);
	} else {
		json_object_set_new(o, "acl_deleted", json_boolean(removed_acl));
		json_object_set(o, "deleted", done);
	}
	ops_msgs_attach(o, msgs);
	*out = o;
out:
	ops_pol_end(&p);
	free(v);
	json_decref(msgs);
	json_decref(done);
	json_decref(known);
	return r;
}

int ops_acl_add(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	return acl_edit(m, req, true, out, err, errlen);
}

int ops_acl_del(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	return acl_edit(m, req, false, out, err, errlen);
}

int ops_acl_list(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	return policy_view(m, req, "acl", ops_json_acl, out, err, errlen);
}

/* ---- ratelimit ---- */

/*
 * A port list given as an array: joined and parsed as the command line's
 * "80/tcp,443", so that the messages are the same (what: "--ports").
 */
static int portlist(json_t *arr, const char *what, struct ew_portspec **out, size_t *n, char *err,
		    size_t errlen)
{
	char e[EW_ERRLEN], *s = NULL;
	size_t len = 0, i;
	json_t *x;
	FILE *f;
	int r;

	*out = NULL;
	*n = 0;
	f = open_memstream(&s, &len);
	if (!f)
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	json_array_foreach(arr, i, x)
		fprintf(f, "%s%s", i ? "," : "", json_string_value(x));
	if (fclose(f)) {
		free(s);
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	}
	r = ew_portlist_parse(s, EW_PI_TCP, out, n, e, sizeof(e));
	free(s);
	if (r)
		return ops_fail(r, err, errlen, "%s: %s", what, e);
	return 0;
}

static ssize_t find_rl(const struct ew_policy_doc *doc, const char *name)
{
	size_t i;

	for (i = 0; i < doc->n_rl; i++)
		if (!strcmp(doc->rl[i].name, name))
			return (ssize_t)i;
	return -1;
}

int ops_rl_set(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	const char *name, *rate_s, *count_s;
	char e[EW_ERRLEN], q[EW_QUOTE_LEN];
	struct ew_portspec *ports = NULL;
	size_t n_ports = 0;
	uint32_t rate = 0, period = 0;
	uint64_t burst = 0;
	bool created = false, has_ports, has_burst;
	struct ew_rl_doc *rl;
	struct ops_pol p;
	json_t *o;
	ssize_t k;
	int r;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	r = ops_req_check(req, ops_f_rl_set, "", err, errlen);
	if (r)
		goto out;
	name = ops_str(req, "name");
	rate_s = ops_str(req, "rate");
	count_s = ops_str(req, "count");
	has_ports = ops_has(req, "ports");
	has_burst = ops_has(req, "burst");
	/* Everything is checked before the policy is read, in the command line's order. */
	r = ops_check_class_name(name, err, errlen);
	if (!r && has_ports)
		r = portlist(json_object_get(req, "ports"), "--ports", &ports, &n_ports, err,
			     errlen);
	if (!r && rate_s && ew_rate_parse(rate_s, &rate, &period, e, sizeof(e)))
		r = ops_fail(-EINVAL, err, errlen, "--rate: %s", e);
	if (!r)
		r = ops_uint(req, "burst", "--burst", 1, 1000000, &burst, err, errlen);
	if (!r && count_s && strcmp(count_s, "conn") && strcmp(count_s, "pkt"))
		r = ops_fail(-EINVAL, err, errlen, "--count %s: expected conn or pkt",
			     ew_quote(count_s, q, sizeof(q)));
	if (r)
		goto out;
	r = ops_pol_begin(m, &p, err, errlen);
	if (r)
		goto out;
	k = find_rl(&p.doc, name);
	if (k < 0) {
		if (!has_ports || !rate_s || !has_burst) {
			r = ops_fail(-EINVAL, err, errlen,
				     "a new class needs --ports, --rate and --burst");
			goto out;
		}
		rl = realloc(p.doc.rl, (p.doc.n_rl + 1) * sizeof(*rl));
		if (!rl) {
			r = ops_fail(-ENOMEM, err, errlen, "out of memory");
			goto out;
		}
		p.doc.rl = rl;
		k = (ssize_t)p.doc.n_rl++;
		memset(&rl[k], 0, sizeof(rl[k]));
		snprintf(rl[k].name, sizeof(rl[k].name), "%s", name);
		rl[k].count_conn = true;
		created = true;
	} else if (!has_ports && !rate_s && !has_burst && !count_s) {
		r = ops_fail(-EINVAL, err, errlen,
			     "nothing to change: give --ports, --rate, --burst or --count");
		goto out;
	}
	rl = &p.doc.rl[k];
	if (has_ports) {
		free(rl->ports);
		rl->ports = ports;
		rl->n_ports = n_ports;
		ports = NULL;
	}
	if (rate_s) {
		rl->rate = rate;
		rl->period_s = period;
	}
	if (has_burst)
		rl->burst = (uint32_t)burst;
	if (count_s)
		rl->count_conn = !strcmp(count_s, "conn");
	r = ops_pol_commit(m, &p, err, errlen);
	if (r)
		goto out;
	o = json_object();
	if (!o) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	json_object_set_new(o, "created", json_boolean(created));
	json_object_set_new(o, "class", rl_json(&p.doc.rl[k]));
	*out = o;
out:
	ops_pol_end(&p);
	free(ports);
	return r;
}

int ops_rl_del(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	const char *name;
	struct ops_pol p;
	json_t *o;
	ssize_t k;
	int r;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	r = ops_req_check(req, ops_f_rl_del, "", err, errlen);
	if (r)
		goto out;
	name = ops_str(req, "name");
	r = ops_pol_begin(m, &p, err, errlen);
	if (r)
		goto out;
	k = find_rl(&p.doc, name);
	if (k < 0) {
		r = ops_fail(-ENOENT, err, errlen,
			     "no rate-limit class %s (see 'edgewardctl ratelimit list')",
			     ew_quote(name, q, sizeof(q)));
		goto out;
	}
	free(p.doc.rl[k].ports);
	ARRAY_DEL(p.doc.rl, p.doc.n_rl, k);
	r = ops_pol_commit(m, &p, err, errlen);
	if (r)
		goto out;
	o = json_object();
	if (!o) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	json_object_set_new(o, "deleted", ops_jstr(name));
	*out = o;
out:
	ops_pol_end(&p);
	return r;
}

int ops_rl_list(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	return policy_view(m, req, "ratelimit", ops_json_rl, out, err, errlen);
}

/* ---- policy show, set ---- */

int ops_policy_show(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	struct ops_pol p;
	int r;

	*out = NULL;
	r = ops_req_check(req, ops_f_none, "", err, errlen);
	if (r)
		return r;
	r = ops_pol_begin(m, &p, err, errlen);
	if (!r) {
		*out = ops_policy_json(&p.doc, p.pol);
		if (!*out)
			r = ops_fail(-ENOMEM, err, errlen, "out of memory");
	}
	ops_pol_end(&p);
	return r;
}

int ops_policy_set(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	json_t *def = json_object_get(req, "default"), *ev = json_object_get(req, "events");
	struct ew_portspec *open = NULL, *close = NULL, *grown;
	size_t n_open = 0, n_close = 0, i;
	uint32_t set = 0, clear = 0;
	uint64_t sample = 0, max = 0;
	char q[EW_QUOTE_LEN], buf[32];
	struct ops_pol p;
	int r;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	r = ops_req_check(req, ops_f_policy_set, "", err, errlen);
	if (!r && !json_object_size(req))
		r = ops_fail(-EINVAL, err, errlen,
			     "nothing to change (see 'edgewardctl policy set --help')");
	if (!r)
		r = ops_req_check(def, f_policy_default, "default.", err, errlen);
	if (!r)
		r = ops_req_check(ev, f_policy_events, "events.", err, errlen);
	for (i = 0; !r && i < N_FLAGS; i++) {
		const char *v = ops_str(def, pol_flags[i].key);

		if (!v)
			continue;
		if (!strcmp(v, pol_flags[i].on))
			set |= pol_flags[i].bit;
		else if (!strcmp(v, "allow"))
			clear |= pol_flags[i].bit;
		else
			r = ops_fail(-EINVAL, err, errlen, "--%s %s: expected %s or allow",
				     pol_flags[i].opt, ew_quote(v, q, sizeof(q)), pol_flags[i].on);
	}
	if (!r && ops_has(req, "open"))
		r = portlist(json_object_get(req, "open"), "--open", &open, &n_open, err, errlen);
	if (!r && ops_has(req, "close"))
		r = portlist(json_object_get(req, "close"), "--close", &close, &n_close, err,
			     errlen);
	if (!r)
		r = ops_uint(ev, "sample", "--events-sample", 0, 1000000, &sample, err, errlen);
	if (!r)
		r = ops_uint(ev, "max_per_sec", "--events-max", 0, 10000000, &max, err, errlen);
	for (i = 0; !r && i < n_close; i++) {
		if (find_port(open, n_open, &close[i]) >= 0) {
			ew_portspec_format(&close[i], buf, sizeof(buf));
			r = ops_fail(-EINVAL, err, errlen, "%s is in both --open and --close", buf);
		}
	}
	if (r)
		goto out;
	r = ops_pol_begin(m, &p, err, errlen);
	if (r)
		goto out;
	p.doc.flags = (p.doc.flags | set) & ~clear;
	if (ops_has(ev, "sample"))
		p.doc.ev_sample = (uint32_t)sample;
	if (ops_has(ev, "max_per_sec"))
		p.doc.ev_max_per_s = (uint32_t)max;
	for (i = 0; i < n_close; i++) {
		ssize_t k = find_port(p.doc.open, p.doc.n_open, &close[i]);

		if (k < 0) {
			ew_portspec_format(&close[i], buf, sizeof(buf));
			r = ops_fail(-ENOENT, err, errlen,
				     "--close %s: not an open port (see 'edgewardctl policy show'; "
				     "ranges close as they were opened)",
				     buf);
			goto out;
		}
		ARRAY_DEL(p.doc.open, p.doc.n_open, k);
	}
	if (n_open) {
		grown = realloc(p.doc.open, (p.doc.n_open + n_open) * sizeof(*grown));
		if (!grown) {
			r = ops_fail(-ENOMEM, err, errlen, "out of memory");
			goto out;
		}
		p.doc.open = grown;
		for (i = 0; i < n_open; i++)
			if (find_port(p.doc.open, p.doc.n_open, &open[i]) < 0)
				p.doc.open[p.doc.n_open++] = open[i];
	}
	r = ops_pol_commit(m, &p, err, errlen);
	if (r)
		goto out;
	*out = ops_policy_json(&p.doc, p.pol);
	if (!*out)
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
out:
	ops_pol_end(&p);
	free(open);
	free(close);
	return r;
}

/* ---- apply ---- */

/* s with every from replaced by to; malloc'd, NULL on ENOMEM. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t flen = strlen(from), len = 0;
	char *buf = NULL;
	const char *hit;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	while (flen && (hit = strstr(s, from))) {
		fwrite(s, 1, (size_t)(hit - s), f);
		fputs(to, f);
		s = hit + flen;
	}
	fputs(s, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The YAML in a private temporary file; *path gets its name. */
static int yaml_tmp(const char *yaml, size_t len, char *path, size_t plen, char *err,
		    size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	size_t off = 0;
	int fd, r = 0;

	if (!dir || dir[0] != '/')
		dir = "/tmp";
	if ((size_t)snprintf(path, plen, "%s/edgeward-apply.XXXXXX", dir) >= plen)
		return ops_fail(-ENAMETOOLONG, err, errlen, "TMPDIR is too long");
	fd = mkostemp(path, O_CLOEXEC);	/* 0600, a new name */
	if (fd < 0) {
		r = -errno;
		return ops_fail(r, err, errlen, "cannot create a temporary file in %s: %s", dir,
				strerror(-r));
	}
	while (off < len) {
		ssize_t w = write(fd, yaml + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) && !r)
		r = -errno;
	if (r) {
		unlink(path);
		return ops_fail(r, err, errlen, "cannot write a temporary file in %s: %s", dir,
				strerror(-r));
	}
	return 0;
}

/* The doc-load warnings as messages, one a line, the temporary name replaced. */
static void warn_lines(const char *text, const char *tmp, const char *name, json_t *msgs)
{
	char *s = text ? replace_all(text, tmp, name) : NULL, *line, *save = NULL;

	for (line = s ? strtok_r(s, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		json_array_append_new(msgs, ops_jstr(line));
	free(s);
}

#define YAML_MAX (16U << 20)

int ops_apply(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	const char *pin_dir = m && m->pin_dir ? m->pin_dir : EW_PIN_DIR, *name, *msg;
	char tmp[512] = "", e[EW_ERRLEN] = "", *fixed, *wbuf = NULL;
	struct ew_apply_report rep = { 0 };
	struct ew_policy_doc doc;
	struct ew_maps own, *mm = m;
	bool dry, loaded = true;
	json_t *yaml, *msgs = json_array(), *o = NULL, *b;
	size_t wlen = 0;
	FILE *wf = NULL;
	int r;

	*out = NULL;
	ew_policy_doc_init(&doc);
	ops_maps_init(&own, pin_dir);
	r = ops_req_check(req, ops_f_apply, "", err, errlen);
	if (r)
		goto out;
	yaml = json_object_get(req, "yaml");
	name = ops_str(req, "name");
	if (!name || !*name)
		name = "request";
	dry = ops_bool(req, "dry_run");
	if (json_string_length(yaml) > YAML_MAX) {
		r = ops_fail(-EFBIG, err, errlen,
			     "%s: larger than %u MiB; a policy file is not that large", name,
			     YAML_MAX >> 20);
		goto out;
	}

	/* Load and validate everything before looking at the maps. */
	r = yaml_tmp(json_string_value(yaml), json_string_length(yaml), tmp, sizeof(tmp), err,
		     errlen);
	if (r) {
		tmp[0] = '\0';
		goto out;
	}
	wf = open_memstream(&wbuf, &wlen);
	if (!wf) {
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	r = ew_policy_doc_load(tmp, ops_bool(req, "force"), &doc, wf, e, sizeof(e));
	fclose(wf);
	wf = NULL;
	warn_lines(wbuf, tmp, name, msgs);
	if (r) {
		fixed = replace_all(e[0] ? e : strerror(-r), tmp, name);
		ops_fail(r, err, errlen, "%s", fixed ? fixed : e);
		free(fixed);
		goto out;
	}

	/* A dry run without a loaded filter only validates. */
	if (!ops_maps_ready(m)) {
		if (dry && access(pin_dir, F_OK))
			loaded = false;
		else if ((r = ops_maps_open(&own, pin_dir, !dry, err, errlen)))
			goto out;
		mm = &own;
	}
	e[0] = '\0';
	r = ew_policy_apply(loaded ? mm : NULL, &doc, dry, &rep, e, sizeof(e));
	if (r) {
		/* Messages of the library start with "apply: "; ours name the file. */
		msg = e[0] ? e : strerror(-r);
		ops_fail(r, err, errlen, "%s: %s", name,
			 strncmp(msg, "apply: ", 7) ? msg : msg + 7);
		goto out;
	}
	o = json_object();
	b = json_object();
	if (!o || !b) {
		json_decref(b);
		r = ops_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	json_object_set_new(o, "file", ops_jstr(name));
	json_object_set_new(o, "dry_run", json_boolean(dry));
	if (!dry)
		json_object_set_new(o, "generation", json_integer(rep.generation));
	if (dry)
		json_object_set_new(o, "loaded", json_boolean(loaded));
	json_object_set(b, "added", rep.added);
	json_object_set(b, "updated", rep.updated);
	json_object_set(b, "removed", rep.removed);
	json_object_set(b, "kept", rep.kept);
	json_object_set_new(o, "blocks", b);
	json_object_set_new(o, "policy", ops_policy_json(&doc, NULL));
	ops_msgs_attach(o, msgs);
	*out = o;
	o = NULL;
out:
	if (wf)
		fclose(wf);
	if (tmp[0])
		unlink(tmp);
	free(wbuf);
	json_decref(o);
	json_decref(msgs);
	ew_maps_close(&own);
	ew_apply_report_free(&rep);
	ew_policy_doc_free(&doc);
	return r;
}
