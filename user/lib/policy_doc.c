// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy documents: YAML in, validated struct ew_policy_doc, compiled
 * struct ew_policy plus CIDR sets out, and back again.
 *
 * The file is read with libyaml's event API into a small tree of our own
 * (not libyaml's document API, which resolves aliases silently): that way
 * anchors, aliases and tags are refused as they appear, nesting is bounded,
 * and every node keeps its line and column for the messages. The tree is then
 * walked against a fixed schema; each mapping has a known set of keys, so
 * unknown and duplicate keys are found in one pass.
 *
 * The checks that span items (overlaps, duplicates, limits) live in
 * check_doc(), shared by load (which has positions) and compile (which may
 * get a document built by the CLI and has at most a line number).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "edgeward/abi.h"
#include "policy_doc.h"

#define DOC_MAX_BYTES	(16U << 20)
/* Our schema nests four deep; anything deeper is not a policy. */
#define DOC_MAX_DEPTH	8
#define YAML_DEPTH_LIMIT 64
/*
 * A node costs ~100 bytes with its text, so a 16 MiB file of "[a,a,a,...]"
 * would cost the better part of a gigabyte. The cap still leaves room for
 * both full CIDR sets (2 x 65536) or ~300k block entries; bigger blocklists
 * go through "block import".
 */
#define DOC_MAX_NODES	1000000
#define BURST_MAX	1000000
#define EV_MAX		1000000

struct ctx {
	const char *file;	/* NULL when checking a document that came from no file */
	const char *what;	/* "policy file", "config file": for messages about the file */
	const struct ew_ynode *root;
	char *err;
	size_t errlen;
	FILE *warn;
	bool force;
	bool embedded;		/* a policy inside another document (ew_policy_doc_parse) */
	int max_depth;
	size_t nodes;
	const char *buf;	/* the file, for positions of reader errors */
	size_t len;
	yaml_parser_t parser;
};

/* ---- messages ---- */

static int verr(struct ctx *x, int line, int col, const char *fmt, va_list ap)
{
	char msg[EW_ERRLEN];

	if (!x->err || !x->errlen)
		return -EINVAL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (x->file && line > 0)
		snprintf(x->err, x->errlen, "%s:%d:%d: %s", x->file, line, col, msg);
	else if (x->file)
		snprintf(x->err, x->errlen, "%s: %s", x->file, msg);
	else if (line > 0)
		snprintf(x->err, x->errlen, "line %d: %s", line, msg);
	else
		snprintf(x->err, x->errlen, "%s", msg);
	return -EINVAL;
}

static int err_at(struct ctx *x, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int err_at(struct ctx *x, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(x, line, col, fmt, ap);
	va_end(ap);
	return r;
}

/* An error at node n; without a file (compile), at the document's line if there is one. */
static int nerr(struct ctx *x, const struct ew_ynode *n, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int nerr(struct ctx *x, const struct ew_ynode *n, int line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (n)
		r = verr(x, n->line, n->col, fmt, ap);
	else
		r = verr(x, line, 0, fmt, ap);
	va_end(ap);
	return r;
}

static void nwarn(struct ctx *x, const struct ew_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void nwarn(struct ctx *x, const struct ew_ynode *n, const char *fmt, ...)
{
	char msg[EW_ERRLEN];
	va_list ap;

	if (!x->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(x->warn, "%s:%d:%d: warning: %s\n", x->file, n->line, n->col, msg);
}

/* " (line N)" pointing at another item, or "" when its line is unknown. */
static const char *at_line(const struct ew_ynode *n, int line, char *buf, size_t len)
{
	if (n)
		line = n->line;
	if (line > 0)
		snprintf(buf, len, " (line %d)", line);
	else
		buf[0] = '\0';
	return buf;
}

/* ---- the tree ---- */

void ew_ynode_free(struct ew_ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		ew_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static int parser_error(struct ctx *x)
{
	yaml_parser_t *p = &x->parser;
	int line = 1, col = 1;
	size_t i;

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(x->err, x->errlen, "%s: out of memory while parsing", x->file);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset only; count lines for the editor. */
		for (i = 0; i < p->problem_offset && i < x->len; i++) {
			if (x->buf[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)x->buf[i] & 0xc0) != 0x80) {
				col++;
			}
		}
		return err_at(x, line, col, "%s (a %s is UTF-8 text)",
			      p->problem ? p->problem : "unreadable input", x->what);
	}
	if (p->context)
		return err_at(x, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
			      "YAML syntax: %s (%s that starts at line %d)",
			      p->problem ? p->problem : "error",
			      p->context, (int)p->context_mark.line + 1);
	return err_at(x, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
		      "YAML syntax: %s", p->problem ? p->problem : "error");
}

static int next_event(struct ctx *x, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&x->parser, ev))
		return parser_error(x);
	return 0;
}

static int add_kid(struct ew_ynode *n, struct ew_ynode *kid)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 4;
		struct ew_ynode **k = reallocarray(n->kids, cap, sizeof(*k));

		if (!k)
			return -ENOMEM;
		n->kids = k;
		n->cap = cap;
	}
	n->kids[n->n++] = kid;
	return 0;
}

/*
 * One node and everything under it, starting at its first event ev (which
 * this function deletes).
 */
static int build(struct ctx *x, yaml_event_t *ev, int depth, struct ew_ynode **out)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	yaml_event_type_t type = ev->type, end;
	struct ew_ynode *n = NULL;
	yaml_event_t kid_ev;
	int r = 0;

	*out = NULL;
	switch (type) {
	case YAML_ALIAS_EVENT:
		r = err_at(x, line, col, "YAML aliases are not accepted (a few lines of them "
			   "can expand into gigabytes); write the values out");
		goto out;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor)
			goto anchor;
		if (ev->data.scalar.tag)
			goto tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor)
			goto anchor;
		if (ev->data.sequence_start.tag)
			goto tag;
		break;
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor)
			goto anchor;
		if (ev->data.mapping_start.tag)
			goto tag;
		break;
	default:
		r = err_at(x, line, col, "unexpected YAML structure");
		goto out;
	}
	if (++x->nodes > DOC_MAX_NODES) {
		r = err_at(x, line, col, "more than %d YAML nodes; a %s is not that large",
			   DOC_MAX_NODES, x->what);
		goto out;
	}
	if (depth > x->max_depth) {
		r = err_at(x, line, col, "nested too deep (more than %d levels)", x->max_depth);
		goto out;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		r = -ENOMEM;
		goto out;
	}
	n->line = line;
	n->col = col;

	if (type == YAML_SCALAR_EVENT) {
		const char *v = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;

		n->type = EW_Y_SCALAR;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		/* "\0" in a double-quoted scalar would cut the C string short unnoticed. */
		if (memchr(v, '\0', len)) {
			r = err_at(x, line, col, "NUL character in a value");
			goto out;
		}
		n->str = strndup(v, len);
		if (!n->str)
			r = -ENOMEM;
		goto out;
	}

	n->type = type == YAML_SEQUENCE_START_EVENT ? EW_Y_SEQ : EW_Y_MAP;
	end = type == YAML_SEQUENCE_START_EVENT ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
	yaml_event_delete(ev);
	for (;;) {
		struct ew_ynode *kid;

		r = next_event(x, &kid_ev);
		if (r)
			goto out_nodelete;
		if (kid_ev.type == end) {
			yaml_event_delete(&kid_ev);
			break;
		}
		r = build(x, &kid_ev, depth + 1, &kid);
		if (!r)
			r = add_kid(n, kid);
		if (r) {
			ew_ynode_free(kid);
			goto out_nodelete;
		}
	}
	goto out_nodelete;

anchor:
	r = err_at(x, line, col, "YAML anchors are not accepted (aliases to them can expand "
		   "into gigabytes); write the values out");
	goto out;
tag:
	r = err_at(x, line, col, "YAML tags are not accepted");
out:
	yaml_event_delete(ev);
out_nodelete:
	if (r) {
		ew_ynode_free(n);
		return r;
	}
	*out = n;
	return 0;
}

/* Parse the whole buffer into one tree; NULL root for an empty stream. */
static int build_doc(struct ctx *x, struct ew_ynode **root)
{
	yaml_event_t ev;
	int r;

	*root = NULL;
	r = next_event(x, &ev);		/* STREAM_START */
	if (r)
		return r;
	yaml_event_delete(&ev);
	r = next_event(x, &ev);
	if (r)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev);		/* DOCUMENT_START */
	r = next_event(x, &ev);
	if (r)
		return r;
	r = build(x, &ev, 0, root);
	if (r)
		return r;
	r = next_event(x, &ev);		/* DOCUMENT_END */
	if (r)
		goto fail;
	yaml_event_delete(&ev);
	r = next_event(x, &ev);
	if (r)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		r = err_at(x, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
			   "a second YAML document; a %s holds exactly one", x->what);
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
	return 0;
fail:
	ew_ynode_free(*root);
	*root = NULL;
	return r;
}

/* Look-ups for check_doc, on a tree that has passed the schema walk (no duplicates). */
static const struct ew_ynode *ymap_get(const struct ew_ynode *m, const char *key)
{
	size_t i;

	if (!m || m->type != EW_Y_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->type == EW_Y_SCALAR && !strcmp(m->kids[i]->str, key))
			return m->kids[i + 1];
	return NULL;
}

static const struct ew_ynode *yseq_get(const struct ew_ynode *s, size_t i)
{
	if (!s || s->type != EW_Y_SEQ || i >= s->n)
		return NULL;
	return s->kids[i];
}

/* root[k1][i1][k2][i2], any part omitted with NULL / -1. */
static const struct ew_ynode *ypath(const struct ctx *x, const char *k1, long i1, const char *k2,
				    long i2)
{
	const struct ew_ynode *n = ymap_get(x->root, k1);

	if (i1 >= 0)
		n = yseq_get(n, (size_t)i1);
	if (k2)
		n = ymap_get(n, k2);
	if (i2 >= 0)
		n = yseq_get(n, (size_t)i2);
	return n;
}

/* ---- schema walk ---- */

bool ew_ynode_is_null(const struct ew_ynode *n)
{
	return n->type == EW_Y_SCALAR && n->plain &&
	       (!*n->str || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

static bool is_null(const struct ew_ynode *n)
{
	return ew_ynode_is_null(n);
}

static const char *got(const struct ew_ynode *n)
{
	if (is_null(n))
		return "nothing";
	if (n->type == EW_Y_SCALAR)
		return "a single value";
	return n->type == EW_Y_SEQ ? "a list" : "a mapping";
}

static int want(struct ctx *x, const struct ew_ynode *n, enum ew_ytype t, const char *path)
{
	static const char *const names[] = { "a value", "a list", "a mapping of keys" };

	if (n->type == t && !is_null(n))
		return 0;
	return nerr(x, n, 0, "%s: expected %s, got %s", path, names[t], got(n));
}

#define MAX_KEYS 8

/*
 * Check that m is a mapping whose keys are all in keys[], each at most once,
 * and hand out the values by key index (NULL when absent).
 */
static int get_fields(struct ctx *x, const struct ew_ynode *m, const char *path,
		      const char *const *keys, size_t nkeys, const struct ew_ynode **vals)
{
	const struct ew_ynode *keyn[MAX_KEYS] = { 0 };
	char q[EW_QUOTE_LEN], list[128];
	size_t i, j, o = 0;
	int r;

	r = want(x, m, EW_Y_MAP, path);
	if (r)
		return r;
	for (j = 0; j < nkeys; j++) {
		vals[j] = NULL;
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", j ? ", " : "", keys[j]);
	}
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ew_ynode *k = m->kids[i];

		if (k->type != EW_Y_SCALAR)
			return nerr(x, k, 0, "%s: keys must be plain words", path);
		for (j = 0; j < nkeys; j++)
			if (!strcmp(k->str, keys[j]))
				break;
		if (j == nkeys)
			return nerr(x, k, 0, "%s: unknown key %s (expected %s)", path,
				    ew_quote(k->str, q, sizeof(q)), list);
		if (keyn[j])
			return nerr(x, k, 0, "%s: duplicate key \"%s\" (first at line %d)", path,
				    keys[j], keyn[j]->line);
		keyn[j] = k;
		vals[j] = m->kids[i + 1];
	}
	return 0;
}

static int missing(struct ctx *x, const struct ew_ynode *m, const char *path, const char *key)
{
	return nerr(x, m, 0, "%s: missing key \"%s\"", path, key);
}

static int get_u64(struct ctx *x, const struct ew_ynode *n, const char *path, uint64_t min,
		   uint64_t max, uint64_t *out)
{
	char e[EW_ERRLEN];
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	if (!n->plain)
		return nerr(x, n, 0, "%s: expected a number, got a quoted string", path);
	if (ew_u64_parse(n->str, min, max, out, e, sizeof(e)))
		return nerr(x, n, 0, "%s: %s", path, e);
	return 0;
}

/* One of two words; *first says which. */
static int get_choice(struct ctx *x, const struct ew_ynode *n, const char *path, const char *a,
		      const char *b, bool *first)
{
	char q[EW_QUOTE_LEN];
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	if (!strcmp(n->str, a) || !strcmp(n->str, b)) {
		*first = !strcmp(n->str, a);
		return 0;
	}
	return nerr(x, n, 0, "%s: %s is neither %s nor %s", path, ew_quote(n->str, q, sizeof(q)),
		    a, b);
}

static int get_port(struct ctx *x, const struct ew_ynode *n, const char *path,
		    struct ew_portspec *p)
{
	char e[EW_ERRLEN];
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	/* No default protocol: "22" in a firewall policy is too easy to misread. */
	if (ew_portspec_parse(n->str, -1, p, e, sizeof(e)))
		return nerr(x, n, 0, "%s: %s", path, e);
	return 0;
}

static int get_cidr(struct ctx *x, const struct ew_ynode *n, const char *path, struct ew_cidr *c)
{
	char e[EW_ERRLEN], q[EW_QUOTE_LEN];
	int r;

	r = want(x, n, EW_Y_SCALAR, path);
	if (r)
		return r;
	r = ew_cidr_parse(n->str, EW_CIDR_CANON, c, e, sizeof(e));
	if (r < 0)
		return nerr(x, n, 0, "%s: %s", path, e);
	if (r == 1)
		nwarn(x, n, "%s: %s", path, e);
	if (ew_cidr_is_everything(c) && !x->force)
		return nerr(x, n, 0, "%s: %s covers every address; %s", path,
			    ew_quote(n->str, q, sizeof(q)),
			    x->embedded ? "list the networks meant" : "use --force");
	return 0;
}

/* A list, not empty when nonempty is set; the items are for the caller. */
static int get_list(struct ctx *x, const struct ew_ynode *n, const char *path, bool nonempty,
		    const char *why_nonempty)
{
	int r;

	r = want(x, n, EW_Y_SEQ, path);
	if (r)
		return r;
	if (nonempty && !n->n)
		return nerr(x, n, 0, "%s: empty list (%s)", path, why_nonempty);
	return 0;
}

static bool name_ok(const char *s)
{
	size_t i, n = strnlen(s, EW_NAME_LEN);

	if (n == 0 || n >= EW_NAME_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

/*
 * Offset of the first control character (C0, DEL or the UTF-8 encoding of a
 * C1), or -1: reason texts end up in terminals and syslog lines.
 */
static long control_at(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return (long)i;
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return (long)i;
	}
	return -1;
}

static int reason_check(struct ctx *x, const struct ew_ynode *n, int line, const char *path,
			const char *s)
{
	size_t len = strnlen(s, EW_REASON_TEXT_LEN);
	long c;

	if (len >= EW_REASON_TEXT_LEN)
		return nerr(x, n, line, "%s: longer than %d bytes", path, EW_REASON_TEXT_LEN - 1);
	c = control_at(s, len);
	if (c >= 0)
		return nerr(x, n, line, "%s: control character at byte %ld", path, c + 1);
	return 0;
}

static int walk_default(struct ctx *x, const struct ew_ynode *m, struct ew_policy_doc *doc)
{
	static const char *const keys[] = { "tcp", "udp", "icmp", "bogons", "v4mapped", "non_ip" };
	/* The flag each key's first word (deny or drop) sets and "allow" clears. */
	static const uint32_t flag[] = { EW_POL_TCP_DENY,  EW_POL_UDP_DENY, EW_POL_ICMP_DENY,
					 EW_POL_BOGONS,	   EW_POL_V4MAPPED, EW_POL_NONIP_DROP };
	const struct ew_ynode *v[MAX_KEYS];
	char path[32];
	size_t i;
	int r;

	r = get_fields(x, m, "default", keys, 6, v);
	for (i = 0; !r && i < 6; i++) {
		bool first;

		if (!v[i])
			continue;
		snprintf(path, sizeof(path), "default.%s", keys[i]);
		r = get_choice(x, v[i], path, i < 3 ? "deny" : "drop", "allow", &first);
		if (r)
			break;
		if (first)
			doc->flags |= flag[i];
		else
			doc->flags &= ~flag[i];
	}
	return r;
}

static int walk_open(struct ctx *x, const struct ew_ynode *s, struct ew_policy_doc *doc)
{
	char path[32];
	size_t i;
	int r;

	r = get_list(x, s, "open", false, NULL);
	if (r || !s->n)
		return r;
	doc->open = calloc(s->n, sizeof(*doc->open));
	if (!doc->open)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		snprintf(path, sizeof(path), "open[%zu]", i);
		r = get_port(x, s->kids[i], path, &doc->open[i]);
		if (r)
			return r;
		doc->n_open++;
	}
	return 0;
}

/* A list of CIDRs into a fresh array. */
static int walk_cidrs(struct ctx *x, const struct ew_ynode *s, const char *path, bool nonempty,
		      const char *why, struct ew_cidr **out, size_t *n_out)
{
	char p[128];
	size_t i;
	int r;

	r = get_list(x, s, path, nonempty, why);
	if (r || !s->n)
		return r;
	*out = calloc(s->n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		r = get_cidr(x, s->kids[i], p, &(*out)[i]);
		if (r)
			return r;
		(*n_out)++;
	}
	return 0;
}

static int walk_acl(struct ctx *x, const struct ew_ynode *s, struct ew_policy_doc *doc)
{
	static const char *const keys[] = { "port", "from" };
	const struct ew_ynode *v[MAX_KEYS];
	char path[48], p2[96];
	size_t i;
	int r;

	r = get_list(x, s, "acl", false, NULL);
	if (r || !s->n)
		return r;
	doc->acl = calloc(s->n, sizeof(*doc->acl));
	if (!doc->acl)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		struct ew_acl_doc *a = &doc->acl[i];
		const struct ew_ynode *m = s->kids[i];

		snprintf(path, sizeof(path), "acl[%zu]", i);
		r = get_fields(x, m, path, keys, 2, v);
		if (r)
			return r;
		doc->n_acl++;
		a->line = m->line;
		if (!v[0])
			return missing(x, m, path, "port");
		if (!v[1])
			return missing(x, m, path, "from");
		snprintf(p2, sizeof(p2), "%s.port", path);
		r = get_port(x, v[0], p2, &a->port);
		if (r)
			return r;
		snprintf(p2, sizeof(p2), "%s.from", path);
		r = walk_cidrs(x, v[1], p2, true,
			       "an ACL without sources shuts the port for everyone; to close a "
			       "port, leave it out of open and acl",
			       &a->from, &a->n_from);
		if (r)
			return r;
	}
	return 0;
}

static int walk_rl(struct ctx *x, const struct ew_ynode *s, struct ew_policy_doc *doc)
{
	static const char *const keys[] = { "name", "ports", "rate", "burst", "count" };
	const struct ew_ynode *v[MAX_KEYS];
	char path[48], p2[96], e[EW_ERRLEN], q[EW_QUOTE_LEN];
	size_t i, j;
	uint64_t burst;
	int r;

	r = get_list(x, s, "ratelimit", false, NULL);
	if (r || !s->n)
		return r;
	doc->rl = calloc(s->n, sizeof(*doc->rl));
	if (!doc->rl)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		struct ew_rl_doc *c = &doc->rl[i];
		const struct ew_ynode *m = s->kids[i];
		bool conn;

		snprintf(path, sizeof(path), "ratelimit[%zu]", i);
		r = get_fields(x, m, path, keys, 5, v);
		if (r)
			return r;
		doc->n_rl++;
		c->line = m->line;
		for (j = 0; j < 4; j++)
			if (!v[j])
				return missing(x, m, path, keys[j]);

		snprintf(p2, sizeof(p2), "%s.name", path);
		r = want(x, v[0], EW_Y_SCALAR, p2);
		if (r)
			return r;
		if (!name_ok(v[0]->str))
			return nerr(x, v[0], 0,
				    "%s: %s is not a name (1 to %d of a-z, 0-9, _, -)", p2,
				    ew_quote(v[0]->str, q, sizeof(q)), EW_NAME_LEN - 1);
		strcpy(c->name, v[0]->str);

		snprintf(p2, sizeof(p2), "%s.ports", path);
		r = get_list(x, v[1], p2, true, "a rate-limit class needs ports to apply to");
		if (r)
			return r;
		c->ports = calloc(v[1]->n, sizeof(*c->ports));
		if (!c->ports)
			return -ENOMEM;
		for (j = 0; j < v[1]->n; j++) {
			snprintf(p2, sizeof(p2), "%s.ports[%zu]", path, j);
			r = get_port(x, v[1]->kids[j], p2, &c->ports[j]);
			if (r)
				return r;
			c->n_ports++;
		}

		snprintf(p2, sizeof(p2), "%s.rate", path);
		r = want(x, v[2], EW_Y_SCALAR, p2);
		if (r)
			return r;
		if (ew_rate_parse(v[2]->str, &c->rate, &c->period_s, e, sizeof(e)))
			return nerr(x, v[2], 0, "%s: %s", p2, e);

		snprintf(p2, sizeof(p2), "%s.burst", path);
		r = get_u64(x, v[3], p2, 1, BURST_MAX, &burst);
		if (r)
			return r;
		c->burst = (uint32_t)burst;

		if (v[4]) {
			snprintf(p2, sizeof(p2), "%s.count", path);
			r = get_choice(x, v[4], p2, "conn", "pkt", &conn);
			if (r)
				return r;
			c->count_conn = conn;
		}
	}
	return 0;
}

static int walk_block(struct ctx *x, const struct ew_ynode *s, struct ew_policy_doc *doc)
{
	static const char *const keys[] = { "cidr", "reason", "ttl" };
	const struct ew_ynode *v[MAX_KEYS];
	char path[48], p2[96], e[EW_ERRLEN];
	size_t i;
	int r;

	r = get_list(x, s, "block", false, NULL);
	if (r || !s->n)
		return r;
	doc->block = calloc(s->n, sizeof(*doc->block));
	if (!doc->block)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		struct ew_block_doc *b = &doc->block[i];
		const struct ew_ynode *m = s->kids[i];

		snprintf(path, sizeof(path), "block[%zu]", i);
		r = get_fields(x, m, path, keys, 3, v);
		if (r)
			return r;
		doc->n_block++;
		b->line = m->line;
		if (!v[0])
			return missing(x, m, path, "cidr");
		snprintf(p2, sizeof(p2), "%s.cidr", path);
		r = get_cidr(x, v[0], p2, &b->cidr);
		if (r)
			return r;
		if (v[1]) {
			snprintf(p2, sizeof(p2), "%s.reason", path);
			r = want(x, v[1], EW_Y_SCALAR, p2);
			if (!r)
				r = reason_check(x, v[1], 0, p2, v[1]->str);
			if (r)
				return r;
			strcpy(b->reason, v[1]->str);
		}
		if (v[2]) {
			snprintf(p2, sizeof(p2), "%s.ttl", path);
			r = want(x, v[2], EW_Y_SCALAR, p2);
			if (r)
				return r;
			if (ew_duration_parse(v[2]->str, &b->ttl_ns, e, sizeof(e)))
				return nerr(x, v[2], 0, "%s: %s", p2, e);
		}
	}
	return 0;
}

static int walk_events(struct ctx *x, const struct ew_ynode *m, struct ew_policy_doc *doc)
{
	static const char *const keys[] = { "sample", "max_per_sec" };
	const struct ew_ynode *v[MAX_KEYS];
	uint64_t n;
	int r;

	r = get_fields(x, m, "events", keys, 2, v);
	if (!r && v[0]) {
		r = get_u64(x, v[0], "events.sample", 0, EV_MAX, &n);
		doc->ev_sample = (uint32_t)n;
	}
	if (!r && v[1]) {
		r = get_u64(x, v[1], "events.max_per_sec", 0, EV_MAX, &n);
		doc->ev_max_per_s = (uint32_t)n;
	}
	return r;
}

static int walk(struct ctx *x, const struct ew_ynode *root, struct ew_policy_doc *doc)
{
	static const char *const keys[] = { "version", "default",   "open",	 "allow",
					    "acl",     "ratelimit", "block", "events" };
	const struct ew_ynode *v[MAX_KEYS];
	char q[EW_QUOTE_LEN];
	uint64_t version;
	size_t i;
	int r;

	if (x->embedded) {
		/* Inside a config file the section's own key names it; version is optional. */
		r = get_fields(x, root, "network", keys, 8, v);
		if (r)
			return r;
		if (!v[0])
			goto body;
	} else {
		if (!root || is_null(root))
			return err_at(x, 1, 1, "missing version: the file is empty; start it "
				      "with \"version: 1\"");
		if (root->type != EW_Y_MAP)
			return nerr(x, root, 0, "the top level must be a mapping of keys, got %s",
				    got(root));
		r = get_fields(x, root, "top level", keys, 8, v);
		if (r)
			return r;
		if (!v[0])
			return nerr(x, root, 0,
				    "missing version: start the file with \"version: 1\"");
	}
	if (v[0]->type != EW_Y_SCALAR || is_null(v[0]))
		return nerr(x, v[0], 0, "version: expected the number 1, got %s", got(v[0]));
	if (!v[0]->plain)
		return nerr(x, v[0], 0, "version: expected the number 1, got the string %s",
			    ew_quote(v[0]->str, q, sizeof(q)));
	if (ew_u64_parse(v[0]->str, 1, 1, &version, NULL, 0))
		return nerr(x, v[0], 0, "version: unsupported version %s (this edgeward reads "
			    "version 1)", ew_quote(v[0]->str, q, sizeof(q)));
body:
	/* The rest in file order, so that the first problem in the file is the one reported. */
	for (i = 0; i + 1 < root->n; i += 2) {
		const struct ew_ynode *k = root->kids[i], *val = root->kids[i + 1];

		if (!strcmp(k->str, "default"))
			r = walk_default(x, val, doc);
		else if (!strcmp(k->str, "open"))
			r = walk_open(x, val, doc);
		else if (!strcmp(k->str, "allow"))
			r = walk_cidrs(x, val, "allow", false, NULL, &doc->allow, &doc->n_allow);
		else if (!strcmp(k->str, "acl"))
			r = walk_acl(x, val, doc);
		else if (!strcmp(k->str, "ratelimit"))
			r = walk_rl(x, val, doc);
		else if (!strcmp(k->str, "block"))
			r = walk_block(x, val, doc);
		else if (!strcmp(k->str, "events"))
			r = walk_events(x, val, doc);
		if (r)
			return r;
	}
	return 0;
}

/* ---- checks across items (load and compile) ---- */

static unsigned int port_count(int proto_idx)
{
	return proto_idx == EW_PI_TCP || proto_idx == EW_PI_UDP ? EW_PORTS_TCP_UDP :
								  EW_PORTS_ICMP;
}

/* Index of a (protocol, port) in one flat table over all four protocols. */
#define PORT_SLOTS (2 * EW_PORTS_TCP_UDP + 2 * EW_PORTS_ICMP)
static size_t port_slot(int proto_idx, unsigned int port)
{
	static const size_t base[EW_PI_COUNT] = { 0, EW_PORTS_TCP_UDP, 2 * EW_PORTS_TCP_UDP,
						  2 * EW_PORTS_TCP_UDP + EW_PORTS_ICMP };

	return base[proto_idx] + port;
}

static bool portspec_ok(const struct ew_portspec *p)
{
	return p->proto_idx < EW_PI_COUNT && p->lo <= p->hi && p->hi < port_count(p->proto_idx);
}

static bool cidr_ok(const struct ew_cidr *c)
{
	struct ew_cidr m = *c;

	if (!((c->family == 4 && c->plen <= 32) || (c->family == 6 && c->plen <= 128)))
		return false;
	ew_cidr_mask(&m);
	return !memcmp(&m, c, sizeof(m));
}

static int cidr_cmp(const void *a, const void *b, void *arg)
{
	const struct { const char *base; size_t stride; } *v = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int r = memcmp(v->base + i * v->stride, v->base + j * v->stride, sizeof(struct ew_cidr));

	if (r)
		return r;
	return i < j ? -1 : i > j;
}

/*
 * The first (in document order) CIDR equal to an earlier one, among n CIDRs
 * stride bytes apart: sorting keeps this n log n for 65536-entry sets.
 * Returns 1 with *first and *dup set, 0 when none, or -ENOMEM.
 */
static int find_dup(const void *base, size_t n, size_t stride, size_t *first, size_t *dup)
{
	struct { const char *base; size_t stride; } arg = { base, stride };
	size_t *idx, i, run = 0;
	int found = 0;

	if (n < 2)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cidr_cmp, &arg);
	for (i = 1; i < n; i++) {
		if (memcmp(arg.base + idx[i] * stride, arg.base + idx[run] * stride,
			   sizeof(struct ew_cidr))) {
			run = i;
			continue;
		}
		if (!found || idx[i] < *dup) {
			*first = idx[run];
			*dup = idx[i];
			found = 1;
		}
	}
	free(idx);
	return found;
}

/* Valid and distinct CIDRs; list is their YAML sequence when there is a file. */
static int check_cidrs(struct ctx *x, const struct ew_cidr *v, size_t n, const char *path,
		       const struct ew_ynode *list, int line)
{
	char buf[EW_CIDR_STRLEN], l[24];
	size_t i, first, dup;
	int r;

	for (i = 0; i < n; i++)
		if (!cidr_ok(&v[i]))
			return nerr(x, yseq_get(list, i), line,
				    "%s[%zu]: not a valid CIDR (bad family, length or host bits)",
				    path, i);
	r = find_dup(v, n, sizeof(*v), &first, &dup);
	if (r <= 0)
		return r;
	ew_cidr_format(&v[dup], buf, sizeof(buf));
	return nerr(x, yseq_get(list, dup), line, "%s[%zu]: %s is listed twice, first as %s[%zu]%s",
		    path, dup, buf, path, first,
		    at_line(yseq_get(list, first), 0, l, sizeof(l)));
}

/* Port j of class i is already held by class other. */
static int rl_port_taken(struct ctx *x, const struct ew_policy_doc *doc, size_t i, size_t j,
			 size_t other)
{
	const struct ew_ynode *n = ypath(x, "ratelimit", (long)i, "ports", (long)j);
	const struct ew_rl_doc *c = &doc->rl[i], *o = &doc->rl[other];
	char buf[32], l[24];

	ew_portspec_format(&c->ports[j], buf, sizeof(buf));
	if (other == i)
		return nerr(x, n, c->line,
			    "ratelimit[%zu].ports[%zu]: %s overlaps another port of the same class",
			    i, j, buf);
	at_line(ypath(x, "ratelimit", (long)other, NULL, -1), o->line, l, sizeof(l));
	return nerr(x, n, c->line,
		    "ratelimit[%zu].ports[%zu]: %s is already in class \"%s\" of ratelimit[%zu]%s; "
		    "a port takes one class",
		    i, j, buf, o->name, other, l);
}

static int check_doc(struct ctx *x, const struct ew_policy_doc *doc)
{
	/* Who holds each (protocol, port): open index + 1, then rate-limit class index + 1. */
	uint32_t *owner = NULL;
	char path[96], buf[32], buf2[32], l[24], q[EW_QUOTE_LEN];
	size_t i, j, k, n4 = 0, n6 = 0;
	unsigned int p;
	int r = 0;

	if (doc->flags & ~EW_POL_ALL_FLAGS)
		return nerr(x, NULL, 0, "unknown policy flags 0x%x",
			    doc->flags & ~EW_POL_ALL_FLAGS);
	owner = calloc(PORT_SLOTS, sizeof(*owner));
	if (!owner)
		return -ENOMEM;

	for (i = 0; i < doc->n_open; i++) {
		const struct ew_portspec *o = &doc->open[i];
		const struct ew_ynode *n = ypath(x, "open", (long)i, NULL, -1);

		if (!portspec_ok(o)) {
			r = nerr(x, n, 0, "open[%zu]: bad port range", i);
			goto out;
		}
		for (p = o->lo; p <= o->hi; p++) {
			uint32_t *w = &owner[port_slot(o->proto_idx, p)];

			if (*w) {
				ew_portspec_format(o, buf, sizeof(buf));
				r = nerr(x, n, 0, "open[%zu]: %s overlaps open[%u]%s", i, buf,
					 *w - 1, at_line(ypath(x, "open", *w - 1, NULL, -1), 0, l,
							 sizeof(l)));
				goto out;
			}
			*w = (uint32_t)i + 1;
		}
	}

	if (doc->n_acl > EW_ACL_MAX - 1) {
		r = nerr(x, ypath(x, "acl", EW_ACL_MAX - 1, NULL, -1),
			 doc->acl[EW_ACL_MAX - 1].line, "acl[%d]: too many ACLs (at most %d)",
			 EW_ACL_MAX - 1, EW_ACL_MAX - 1);
		goto out;
	}
	for (i = 0; i < doc->n_acl; i++) {
		const struct ew_acl_doc *a = &doc->acl[i];
		const struct ew_ynode *n = ypath(x, "acl", (long)i, "port", -1);

		if (!portspec_ok(&a->port)) {
			r = nerr(x, n, a->line, "acl[%zu].port: bad port range", i);
			goto out;
		}
		ew_portspec_format(&a->port, buf, sizeof(buf));
		for (j = 0; j < i; j++) {
			const struct ew_portspec *o = &doc->acl[j].port;

			if (o->proto_idx != a->port.proto_idx || o->hi < a->port.lo ||
			    a->port.hi < o->lo)
				continue;
			ew_portspec_format(o, buf2, sizeof(buf2));
			r = nerr(x, n, a->line, "acl[%zu].port: %s overlaps acl[%zu].port %s%s", i,
				 buf, j, buf2,
				 at_line(ypath(x, "acl", (long)j, "port", -1), doc->acl[j].line, l,
					 sizeof(l)));
			goto out;
		}
		for (p = a->port.lo; p <= a->port.hi; p++) {
			uint32_t w = owner[port_slot(a->port.proto_idx, p)];

			if (!w)
				continue;
			at_line(ypath(x, "open", w - 1, NULL, -1), 0, l, sizeof(l));
			r = nerr(x, n, a->line,
				 "acl[%zu].port: %s is also in open[%u]%s; an ACL opens its port "
				 "to its sources only, so remove it from open",
				 i, buf, w - 1, l);
			goto out;
		}
		snprintf(path, sizeof(path), "acl[%zu].from", i);
		if (!a->n_from) {
			r = nerr(x, ypath(x, "acl", (long)i, "from", -1), a->line,
				 "%s: empty list", path);
			goto out;
		}
		/* ew_acl.n_cidrs is 16 bits. */
		if (a->n_from > UINT16_MAX) {
			r = nerr(x, ypath(x, "acl", (long)i, "from", -1), a->line,
				 "%s: more than %u sources", path, UINT16_MAX);
			goto out;
		}
		r = check_cidrs(x, a->from, a->n_from, path, ypath(x, "acl", (long)i, "from", -1),
				a->line);
		if (r)
			goto out;
	}

	r = check_cidrs(x, doc->allow, doc->n_allow, "allow", ypath(x, "allow", -1, NULL, -1), 0);
	if (r)
		goto out;

	/* The LPM tries hold the allowlist and every ACL's sources, per family. */
	for (k = 0; k <= doc->n_acl; k++) {
		const struct ew_cidr *v = k ? doc->acl[k - 1].from : doc->allow;
		size_t n = k ? doc->acl[k - 1].n_from : doc->n_allow;

		for (i = 0; i < n; i++) {
			size_t *cnt = v[i].family == 4 ? &n4 : &n6;
			size_t max = v[i].family == 4 ? EW_LPM4_MAX : EW_LPM6_MAX;

			if (++*cnt <= max)
				continue;
			if (k)
				snprintf(path, sizeof(path), "acl[%zu].from[%zu]", k - 1, i);
			else
				snprintf(path, sizeof(path), "allow[%zu]", i);
			r = nerr(x, k ? ypath(x, "acl", (long)k - 1, "from", (long)i) :
					ypath(x, "allow", (long)i, NULL, -1),
				 k ? doc->acl[k - 1].line : 0,
				 "%s: more than %zu IPv%d entries in the allowlist and ACLs",
				 path, max, v[i].family);
			goto out;
		}
	}

	if (doc->n_rl > EW_RL_MAX - 1) {
		r = nerr(x, ypath(x, "ratelimit", EW_RL_MAX - 1, NULL, -1),
			 doc->rl[EW_RL_MAX - 1].line,
			 "ratelimit[%d]: too many classes (at most %d)", EW_RL_MAX - 1,
			 EW_RL_MAX - 1);
		goto out;
	}
	memset(owner, 0, PORT_SLOTS * sizeof(*owner));
	for (i = 0; i < doc->n_rl; i++) {
		const struct ew_rl_doc *c = &doc->rl[i];
		const struct ew_ynode *item = ypath(x, "ratelimit", (long)i, NULL, -1);

		if (!name_ok(c->name)) {
			r = nerr(x, ypath(x, "ratelimit", (long)i, "name", -1), c->line,
				 "ratelimit[%zu].name: %s is not a name (1 to %d of a-z, 0-9, "
				 "_, -)",
				 i, ew_quote(c->name, q, sizeof(q)), EW_NAME_LEN - 1);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(doc->rl[j].name, c->name))
				continue;
			r = nerr(x, ypath(x, "ratelimit", (long)i, "name", -1), c->line,
				 "ratelimit[%zu].name: class \"%s\" is defined twice, first as "
				 "ratelimit[%zu]%s",
				 i, c->name, j,
				 at_line(ypath(x, "ratelimit", (long)j, "name", -1),
					 doc->rl[j].line, l, sizeof(l)));
			goto out;
		}
		if (c->rate < 1 || c->rate > 1000000000 ||
		    (c->period_s != 1 && c->period_s != 60 && c->period_s != 3600 &&
		     c->period_s != 86400)) {
			r = nerr(x, ypath(x, "ratelimit", (long)i, "rate", -1), c->line,
				 "ratelimit[%zu].rate: bad rate %u per %u s", i, c->rate,
				 c->period_s);
			goto out;
		}
		if (c->burst < 1 || c->burst > BURST_MAX) {
			r = nerr(x, ypath(x, "ratelimit", (long)i, "burst", -1), c->line,
				 "ratelimit[%zu].burst: %u out of range 1..%d", i, c->burst,
				 BURST_MAX);
			goto out;
		}
		if (!c->n_ports) {
			r = nerr(x, item, c->line, "ratelimit[%zu].ports: a class needs ports", i);
			goto out;
		}
		for (j = 0; j < c->n_ports; j++) {
			const struct ew_portspec *o = &c->ports[j];
			const struct ew_ynode *n = ypath(x, "ratelimit", (long)i, "ports", (long)j);

			if (!portspec_ok(o)) {
				r = nerr(x, n, c->line, "ratelimit[%zu].ports[%zu]: bad port range",
					 i, j);
				goto out;
			}
			for (p = o->lo; p <= o->hi; p++) {
				uint32_t w = owner[port_slot(o->proto_idx, p)];

				if (!w) {
					owner[port_slot(o->proto_idx, p)] = (uint32_t)i + 1;
					continue;
				}
				r = rl_port_taken(x, doc, i, j, w - 1);
				goto out;
			}
		}
	}

	for (i = 0; i < doc->n_block; i++) {
		const struct ew_block_doc *b = &doc->block[i];

		snprintf(path, sizeof(path), "block[%zu].reason", i);
		if (!cidr_ok(&b->cidr)) {
			r = nerr(x, ypath(x, "block", (long)i, "cidr", -1), b->line,
				 "block[%zu].cidr: not a valid CIDR", i);
			goto out;
		}
		r = reason_check(x, ypath(x, "block", (long)i, "reason", -1), b->line, path,
				 b->reason);
		if (r)
			goto out;
	}
	if (doc->n_block) {
		size_t first, dup;

		r = find_dup(doc->block, doc->n_block, sizeof(*doc->block), &first, &dup);
		if (r > 0) {
			ew_cidr_format(&doc->block[dup].cidr, buf, sizeof(buf));
			r = nerr(x, ypath(x, "block", (long)dup, "cidr", -1), doc->block[dup].line,
				 "block[%zu].cidr: %s is blocked twice, first in block[%zu]%s", dup,
				 buf, first,
				 at_line(ypath(x, "block", (long)first, NULL, -1),
					 doc->block[first].line, l, sizeof(l)));
		}
		if (r)
			goto out;
	}
out:
	free(owner);
	return r;
}

/* ---- load ---- */

void ew_policy_doc_init(struct ew_policy_doc *doc)
{
	memset(doc, 0, sizeof(*doc));
	doc->flags = EW_POL_V4MAPPED;
	doc->ev_sample = 1;
	doc->ev_max_per_s = 100;
}

void ew_policy_doc_free(struct ew_policy_doc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; doc->acl && i < doc->n_acl; i++)
		free(doc->acl[i].from);
	for (i = 0; doc->rl && i < doc->n_rl; i++)
		free(doc->rl[i].ports);
	free(doc->open);
	free(doc->allow);
	free(doc->acl);
	free(doc->rl);
	free(doc->block);
	memset(doc, 0, sizeof(*doc));
}

/* The whole file, up to DOC_MAX_BYTES; pipes too, so "apply -" can work one day. */
static int read_file(const char *path, const char *what, char **out, size_t *len,
		     struct stat *st_out, char *err, size_t errlen)
{
	size_t cap, n = 0;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t got;
	int fd, r = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st)) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		snprintf(err, errlen, "%s: is a directory, not a %s", path, what);
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > DOC_MAX_BYTES)
		goto too_big;
	/* One byte more than the size, so that a file growing under us is seen. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			cap = cap * 2 > DOC_MAX_BYTES + 1 ? DOC_MAX_BYTES + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: read: %s", path, strerror(-r));
			goto out;
		}
		if (!got)
			break;
		n += (size_t)got;
		if (n > DOC_MAX_BYTES)
			goto too_big;
	}
	*out = buf;
	*len = n;
	if (st_out)
		*st_out = st;
	buf = NULL;
	goto out;
too_big:
	r = -EFBIG;
	snprintf(err, errlen, "%s: larger than %u MiB; a %s is not that large", path,
		 DOC_MAX_BYTES >> 20, what);
out:
	free(buf);
	close(fd);
	return r;
}

/* Parse buf[len] (owned by the caller) into a tree; path names it in messages. */
static int yaml_parse_buf(const char *path, const char *what, int max_depth, const char *buf,
			  size_t len, struct ew_ynode **root, char *err, size_t errlen)
{
	struct ctx x = { .file = path, .what = what, .err = err, .errlen = errlen };
	int r;

	*root = NULL;
	x.max_depth = max_depth < 1		   ? 1 :
		      max_depth > YAML_DEPTH_LIMIT ? YAML_DEPTH_LIMIT :
						     max_depth;
	x.buf = buf;
	x.len = len;
	if (!yaml_parser_initialize(&x.parser)) {
		r = -ENOMEM;
		goto out;
	}
	yaml_parser_set_input_string(&x.parser, (const unsigned char *)buf, x.len);
	/* Fixed, so that a UTF-16 byte-order mark is an error instead of a conversion. */
	yaml_parser_set_encoding(&x.parser, YAML_UTF8_ENCODING);
	r = build_doc(&x, root);
	yaml_parser_delete(&x.parser);
out:
	if (r == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", path);
	return r;
}

int ew_yaml_load(const char *path, const char *what, int max_depth, struct ew_ynode **root,
		 struct stat *st, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	*root = NULL;
	r = read_file(path, what, &buf, &len, st, err, errlen);
	if (r)
		return r;
	r = yaml_parse_buf(path, what, max_depth, buf, len, root, err, errlen);
	free(buf);
	return r;
}

int ew_yaml_load_mem(const char *name, const char *what, int max_depth, const char *buf,
		     size_t len, struct ew_ynode **root, char *err, size_t errlen)
{
	return yaml_parse_buf(name, what, max_depth, buf, len, root, err, errlen);
}

/* Walk and check a tree into a fresh document; *doc is set only on success. */
static int parse_tree(struct ctx *x, const struct ew_ynode *root, struct ew_policy_doc *doc)
{
	struct ew_policy_doc d;
	int r;

	ew_policy_doc_init(&d);
	x->root = root;
	r = walk(x, root, &d);
	if (!r)
		r = check_doc(x, &d);
	if (r == -ENOMEM && x->err && x->errlen)
		snprintf(x->err, x->errlen, "%s: out of memory", x->file ? x->file : "policy");
	if (!r) {
		*doc = d;
		ew_policy_doc_init(&d);
	}
	ew_policy_doc_free(&d);
	return r;
}

int ew_policy_doc_parse(const char *file, const struct ew_ynode *node, bool force,
			struct ew_policy_doc *doc, FILE *warn, char *err, size_t errlen)
{
	struct ctx x = { .file = file, .what = "config file", .err = err, .errlen = errlen,
			 .warn = warn, .force = force, .embedded = true };

	ew_policy_doc_init(doc);
	if (!file || !node) {
		snprintf(err, errlen, "policy: no document to parse");
		return -EINVAL;
	}
	return parse_tree(&x, node, doc);
}

int ew_policy_doc_load(const char *path, bool force, struct ew_policy_doc *doc, FILE *warn,
		       char *err, size_t errlen)
{
	struct ctx x = { .file = path, .what = "policy file", .err = err, .errlen = errlen,
			 .warn = warn, .force = force };
	struct ew_ynode *root = NULL;
	int r;

	ew_policy_doc_init(doc);
	r = ew_yaml_load(path, x.what, DOC_MAX_DEPTH, &root, NULL, err, errlen);
	if (!r)
		r = parse_tree(&x, root, doc);
	ew_ynode_free(root);
	return r;
}

/* ---- compile and decompile ---- */

static struct ew_port *port_table(struct ew_policy *p, int proto_idx)
{
	switch (proto_idx) {
	case EW_PI_TCP:
		return p->tcp;
	case EW_PI_UDP:
		return p->udp;
	case EW_PI_ICMP:
		return p->icmp;
	default:
		return p->icmp6;
	}
}

int ew_policy_compile(const struct ew_policy_doc *doc, struct ew_compiled *out, char *err,
		      size_t errlen)
{
	struct ctx x = { .err = err, .errlen = errlen };
	struct ew_set_entry *sets = NULL;
	struct ew_policy *pol = NULL;
	size_t i, j, n_sets;
	unsigned int p;
	int r;

	memset(out, 0, sizeof(*out));
	r = check_doc(&x, doc);
	if (r)
		return r;
	n_sets = doc->n_allow;
	for (i = 0; i < doc->n_acl; i++)
		n_sets += doc->acl[i].n_from;
	pol = calloc(1, sizeof(*pol));
	sets = calloc(n_sets ? n_sets : 1, sizeof(*sets));
	if (!pol || !sets) {
		r = -ENOMEM;
		snprintf(err, errlen, "policy compile: out of memory");
		goto out;
	}

	pol->abi_version = EW_ABI_VERSION;
	pol->flags = doc->flags;
	pol->ev_sample = doc->ev_sample;
	pol->ev_max_per_s = doc->ev_max_per_s;
	pol->n_allow = (uint32_t)doc->n_allow;

	for (i = 0; i < doc->n_open; i++) {
		const struct ew_portspec *o = &doc->open[i];

		for (p = o->lo; p <= o->hi; p++)
			port_table(pol, o->proto_idx)[p].flags |= EW_PORT_OPEN;
	}

	n_sets = 0;
	for (i = 0; i < doc->n_allow; i++) {
		sets[n_sets].cidr = doc->allow[i];
		sets[n_sets++].set_id = 0;
	}
	for (i = 0; i < doc->n_acl; i++) {
		const struct ew_acl_doc *a = &doc->acl[i];
		struct ew_acl *d = &pol->acl[i + 1];

		d->port_lo = a->port.lo;
		d->port_hi = a->port.hi;
		d->proto_idx = a->port.proto_idx;
		d->used = 1;
		d->n_cidrs = (uint16_t)a->n_from;
		/* The ACL's sources may open the port: OPEN lets them past default-deny. */
		for (p = a->port.lo; p <= a->port.hi; p++) {
			struct ew_port *e = &port_table(pol, a->port.proto_idx)[p];

			e->acl_id = (uint16_t)(i + 1);
			e->flags |= EW_PORT_OPEN;
		}
		for (j = 0; j < a->n_from; j++) {
			sets[n_sets].cidr = a->from[j];
			sets[n_sets++].set_id = (uint16_t)(i + 1);
		}
	}

	for (i = 0; i < doc->n_rl; i++) {
		const struct ew_rl_doc *c = &doc->rl[i];
		struct ew_rl_class *d = &pol->rl[i + 1];
		uint64_t interval = 1000000000ULL * c->period_s / c->rate;

		/* 1e9 * 86400 fits in 64 bits; (burst - 1) * interval may not: saturate. */
		d->interval_ns = interval ? interval : 1;
		if (c->burst - 1 > UINT64_MAX / d->interval_ns)
			d->burst_ns = UINT64_MAX;
		else
			d->burst_ns = (uint64_t)(c->burst - 1) * d->interval_ns;
		d->rate = c->rate;
		d->period_s = c->period_s;
		d->burst = c->burst;
		d->flags = c->count_conn ? EW_RL_COUNT_CONN : 0;
		memcpy(d->name, c->name, sizeof(d->name));
		for (j = 0; j < c->n_ports; j++)
			for (p = c->ports[j].lo; p <= c->ports[j].hi; p++)
				port_table(pol, c->ports[j].proto_idx)[p].rl_class =
				    (uint8_t)(i + 1);
	}

	out->pol = pol;
	out->sets = sets;
	out->n_sets = n_sets;
	pol = NULL;
	sets = NULL;
out:
	free(pol);
	free(sets);
	return r;
}

enum run_kind { RUN_OPEN, RUN_RL };

/*
 * Ports matching kind (open without an ACL, or of rate-limit class cls) as
 * ranges of consecutive ports; out NULL only counts them.
 */
static size_t port_runs(struct ew_policy *pol, enum run_kind kind, unsigned int cls,
			struct ew_portspec *out)
{
	size_t n = 0;
	int pi;

	for (pi = 0; pi < EW_PI_COUNT; pi++) {
		const struct ew_port *t = port_table(pol, pi);
		unsigned int p, max = port_count(pi);
		bool in = false;

		for (p = 0; p <= max; p++) {
			bool m = p < max && (kind == RUN_OPEN ?
					     (t[p].flags & EW_PORT_OPEN) && !t[p].acl_id :
					     t[p].rl_class == cls);

			if (m && !in) {
				if (out) {
					out[n].proto_idx = (uint8_t)pi;
					out[n].lo = (uint16_t)p;
				}
				in = true;
			} else if (!m && in) {
				if (out)
					out[n].hi = (uint16_t)(p - 1);
				n++;
				in = false;
			}
		}
	}
	return n;
}

int ew_policy_decompile(const struct ew_compiled *in, struct ew_policy_doc *doc, char *err,
			size_t errlen)
{
	struct ew_policy_doc d;
	struct ew_policy *pol = in->pol;
	/* Compact document index of each ACL id, + 1; 0 = unused id. */
	uint16_t acl_idx[EW_ACL_MAX] = { 0 };
	size_t i, n;
	int r = 0;

	ew_policy_doc_init(doc);
	ew_policy_doc_init(&d);
	if (!pol) {
		snprintf(err, errlen, "policy decompile: no policy");
		return -EINVAL;
	}
	if (pol->abi_version != EW_ABI_VERSION) {
		snprintf(err, errlen, "policy decompile: policy ABI %u, this edgeward reads %u",
			 pol->abi_version, EW_ABI_VERSION);
		return -EINVAL;
	}
	d.flags = pol->flags;
	d.ev_sample = pol->ev_sample;
	d.ev_max_per_s = pol->ev_max_per_s;

	n = port_runs(pol, RUN_OPEN, 0, NULL);
	if (n) {
		d.open = calloc(n, sizeof(*d.open));
		if (!d.open)
			goto nomem;
		d.n_open = port_runs(pol, RUN_OPEN, 0, d.open);
	}

	for (i = 1, n = 0; i < EW_ACL_MAX; i++)
		n += pol->acl[i].used != 0;
	if (n) {
		d.acl = calloc(n, sizeof(*d.acl));
		if (!d.acl)
			goto nomem;
	}
	for (i = 1; i < EW_ACL_MAX; i++) {
		const struct ew_acl *a = &pol->acl[i];
		struct ew_acl_doc *ad;

		if (!a->used)
			continue;
		ad = &d.acl[d.n_acl];
		acl_idx[i] = (uint16_t)++d.n_acl;
		ad->port.proto_idx = a->proto_idx;
		ad->port.lo = a->port_lo;
		ad->port.hi = a->port_hi;
	}
	/* Count each set's entries, then fill them in the order of in->sets. */
	for (i = 0; i < in->n_sets; i++) {
		uint16_t id = in->sets[i].set_id;

		if (!id) {
			d.n_allow++;
			continue;
		}
		if (id >= EW_ACL_MAX || !acl_idx[id]) {
			snprintf(err, errlen, "policy decompile: CIDR set %u has no ACL", id);
			r = -EINVAL;
			goto out;
		}
		d.acl[acl_idx[id] - 1].n_from++;
	}
	if (d.n_allow && !(d.allow = calloc(d.n_allow, sizeof(*d.allow))))
		goto nomem;
	for (i = 0; i < d.n_acl; i++) {
		if (d.acl[i].n_from && !(d.acl[i].from = calloc(d.acl[i].n_from,
								 sizeof(*d.acl[i].from))))
			goto nomem;
		d.acl[i].n_from = 0;
	}
	d.n_allow = 0;
	for (i = 0; i < in->n_sets; i++) {
		uint16_t id = in->sets[i].set_id;
		struct ew_acl_doc *ad = id ? &d.acl[acl_idx[id] - 1] : NULL;

		if (ad)
			ad->from[ad->n_from++] = in->sets[i].cidr;
		else
			d.allow[d.n_allow++] = in->sets[i].cidr;
	}

	for (i = 1, n = 0; i < EW_RL_MAX; i++)
		n += pol->rl[i].name[0] != '\0';
	if (n && !(d.rl = calloc(n, sizeof(*d.rl))))
		goto nomem;
	for (i = 1; i < EW_RL_MAX; i++) {
		const struct ew_rl_class *c = &pol->rl[i];
		struct ew_rl_doc *rd;

		if (!c->name[0])
			continue;
		rd = &d.rl[d.n_rl++];
		memcpy(rd->name, c->name, sizeof(rd->name));
		rd->name[EW_NAME_LEN - 1] = '\0';
		rd->rate = c->rate;
		rd->period_s = c->period_s;
		rd->burst = c->burst;
		rd->count_conn = c->flags & EW_RL_COUNT_CONN;
		n = port_runs(pol, RUN_RL, (unsigned int)i, NULL);
		if (n && !(rd->ports = calloc(n, sizeof(*rd->ports))))
			goto nomem;
		rd->n_ports = port_runs(pol, RUN_RL, (unsigned int)i, rd->ports);
	}
	*doc = d;
	ew_policy_doc_init(&d);
	goto out;
nomem:
	snprintf(err, errlen, "policy decompile: out of memory");
	r = -ENOMEM;
out:
	ew_policy_doc_free(&d);
	return r;
}

void ew_compiled_free(struct ew_compiled *c)
{
	if (!c)
		return;
	free(c->pol);
	free(c->sets);
	memset(c, 0, sizeof(*c));
}
