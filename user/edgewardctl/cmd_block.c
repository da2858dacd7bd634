// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl block add|del|list|import|flush: the blocklist. Every word is
 * validated before the maps are opened for writing, so a bad argument or a
 * bad line in an import file changes nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "sort.h"

/* Reason text: at most 63 bytes of UTF-8 without control characters. */
static int check_reason(const char *s, char *out)
{
	char q[EW_QUOTE_LEN];
	size_t i;

	if (strlen(s) >= EW_REASON_TEXT_LEN)
		return ctl_err("--reason %s: too long (at most %d bytes)", ew_quote(s, q, sizeof(q)),
			       EW_REASON_TEXT_LEN - 1);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return ctl_err("--reason %s: control characters are not allowed",
				       ew_quote(s, q, sizeof(q)));
	if (!ctl_printable(s))	/* no control characters: only UTF-8 can be wrong */
		return ctl_err("--reason %s: not valid UTF-8", ew_quote(s, q, sizeof(q)));
	strcpy(out, s);
	return CTL_OK;
}

/* The options of add and import: --ttl, --reason, --force. */
struct add_opts {
	const char *ttl_s, *reason_s;
	bool force;
	uint64_t ttl;
	char reason[EW_REASON_TEXT_LEN];
};

static int add_opts_parse(int argc, char **argv, struct add_opts *o)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	int c;

	while ((c = ctl_getopt(argc, argv, "t:r:f", opts)) != -1) {
		switch (c) {
		case 't':
			o->ttl_s = optarg;
			break;
		case 'r':
			o->reason_s = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	return CTL_RUN;
}

/* The values of --ttl and --reason, checked once the operands are known to be there. */
static int add_opts_check(struct add_opts *o)
{
	char err[EW_ERRLEN];

	if (o->ttl_s && ew_duration_parse(o->ttl_s, &o->ttl, err, sizeof(err)))
		return ctl_err("--ttl: %s", err);
	if (o->reason_s && check_reason(o->reason_s, o->reason))
		return CTL_ERR;
	return CTL_OK;
}

/* The options of list and flush: --origin ORIGIN (origin < 0: any) and --expired. */
static int filter_opts_parse(int argc, char **argv, int *origin, bool *expired)
{
	static const struct option opts[] = {
		{ "origin", required_argument, NULL, 'o' },
		{ "expired", no_argument, NULL, 'e' },
		{ 0 }
	};
	char q[EW_QUOTE_LEN];
	int c;

	while ((c = ctl_getopt(argc, argv, "o:e", opts)) != -1) {
		switch (c) {
		case 'o':
			*origin = ew_origin_parse(optarg);
			if (*origin < 0)
				return ctl_err("--origin %s: unknown origin (manual, import, policy, "
					       "auto or fleet)",
					       ew_quote(optarg, q, sizeof(q)));
			break;
		case 'e':
			*expired = true;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	return CTL_RUN;
}

/* Sort and drop duplicates; returns the new count. */
static size_t cidr_uniq(struct ew_cidr *v, size_t n)
{
	size_t i, o = 0;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), ctl_cidr_cmp);
	for (i = 1; i < n; i++)
		if (ctl_cidr_cmp(&v[o], &v[i]))
			v[++o] = v[i];
	return o + 1;
}

static json_t *expiry_json(uint64_t expires_ns, uint64_t now)
{
	if (!expires_ns)
		return json_null();
	return json_integer(expires_ns > now ? (json_int_t)((expires_ns - now) / 1000000000ULL) : 0);
}

static void expiry_text(uint64_t expires_ns, uint64_t now, char *buf, size_t len)
{
	char d[24];

	if (!expires_ns) {
		snprintf(buf, len, "never");
	} else if (expires_ns <= now) {
		snprintf(buf, len, "expired");
	} else {
		ctl_rel_duration(expires_ns - now, d, sizeof(d));
		snprintf(buf, len, "in %s", d);
	}
}

/* ---- add ---- */

static int cmd_block_add(int argc, char **argv)
{
	struct add_opts o = { 0 };
	char buf[EW_CIDR_STRLEN], exp[40];
	struct ew_bl_entry *e = NULL;
	struct ew_cidr *cidrs = NULL;
	struct ew_maps m;
	bool opened = false, *isnew = NULL;
	uint64_t now;
	size_t n, i;
	json_t *arr = NULL;
	int r, rc;

	rc = add_opts_parse(argc, argv, &o);
	if (rc != CTL_RUN)
		return rc;
	if (optind >= argc)
		return ctl_usage("missing CIDR");
	if (add_opts_check(&o) || ctl_cidr_args(argc, argv, optind, o.force, &cidrs, &n))
		return CTL_ERR;
	rc = CTL_ERR;
	n = cidr_uniq(cidrs, n);
	e = calloc(n, sizeof(*e));
	isnew = calloc(n, sizeof(*isnew));
	if (!e || !isnew) {
		ctl_err("out of memory");
		goto out;
	}
	if (ctl_maps_open(&m, true))
		goto out;
	opened = true;
	now = ew_boot_ns();
	for (i = 0; i < n; i++) {
		struct ew_block b;

		e[i].cidr = cidrs[i];
		e[i].expires_ns = o.ttl ? now + o.ttl : 0;
		e[i].origin = EW_ORIGIN_MANUAL;
		strcpy(e[i].reason, o.reason);
		isnew[i] = bl_get(&m, &cidrs[i], &b, NULL, 0) == -ENOENT;
	}
	r = bl_import(&m, e, n, NULL, NULL, NULL);
	if (r) {
		ctl_err("cannot add to the blocklist: %s%s", strerror(-r),
			r == -ENOSPC || r == -E2BIG ? " (the blocklist is full)" : "");
		goto out;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		ew_cidr_format(&cidrs[i], buf, sizeof(buf));
		expiry_text(e[i].expires_ns, now, exp, sizeof(exp));
		if (ctl.json) {
			json_t *j = json_object();

			json_object_set_new(j, "cidr", json_string(buf));
			json_object_set_new(j, "new", json_boolean(isnew[i]));
			json_object_set_new(j, "origin", json_string("manual"));
			json_object_set_new(j, "expires_in_s", expiry_json(e[i].expires_ns, now));
			json_object_set_new(j, "reason", ctl_jstr(o.reason));
			json_array_append_new(arr, j);
		} else {
			ctl_info("blocked %s (%s, expires %s)", buf, isnew[i] ? "new" : "replaced",
				 exp);
		}
	}
	if (ctl.json) {
		ctl_json_print_kv("blocked", arr);
		arr = NULL;
	}
	rc = CTL_OK;
out:
	json_decref(arr);
	if (opened)
		ew_maps_close(&m);
	free(cidrs);
	free(e);
	free(isnew);
	return rc;
}

/* ---- del ---- */

static int cmd_block_del(int argc, char **argv)
{
	char buf[EW_CIDR_STRLEN];
	struct ew_cidr *cidrs = NULL;
	struct ew_maps m;
	bool force = false;
	size_t n, i;
	json_t *arr = NULL;
	int r, rc;

	rc = ctl_opt_force(argc, argv, &force);
	if (rc != CTL_RUN)
		return rc;
	if (optind >= argc)
		return ctl_usage("missing CIDR");
	if (ctl_cidr_args(argc, argv, optind, force, &cidrs, &n))
		return CTL_ERR;
	n = cidr_uniq(cidrs, n);
	if (ctl_maps_open(&m, true)) {
		free(cidrs);
		return CTL_ERR;
	}
	rc = CTL_ERR;
	/* All or nothing: every CIDR must be there before the first is removed. */
	for (i = 0; i < n; i++) {
		struct ew_block b;

		r = bl_get(&m, &cidrs[i], &b, NULL, 0);
		ew_cidr_format(&cidrs[i], buf, sizeof(buf));
		if (r == -ENOENT) {
			ctl_err("%s is not in the blocklist (nothing removed)", buf);
			goto out;
		}
		if (r) {
			ctl_err("cannot read the rule for %s: %s", buf, strerror(-r));
			goto out;
		}
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		ew_cidr_format(&cidrs[i], buf, sizeof(buf));
		r = bl_del(&m, &cidrs[i]);
		if (r && r != -ENOENT) {
			ctl_err("cannot remove %s: %s", buf, strerror(-r));
			goto out;
		}
		json_array_append_new(arr, json_string(buf));
		ctl_info("unblocked %s", buf);
	}
	if (ctl.json) {
		ctl_json_print_kv("deleted", arr);
		arr = NULL;
	}
	rc = CTL_OK;
out:
	json_decref(arr);
	ew_maps_close(&m);
	free(cidrs);
	return rc;
}

/* ---- list ---- */

static int row_cmp(const void *a, const void *b)
{
	return ctl_cidr_cmp(&((const struct ew_bl_row *)a)->cidr,
			    &((const struct ew_bl_row *)b)->cidr);
}

static int cmd_block_list(int argc, char **argv)
{
	char buf[EW_CIDR_STRLEN], exp[40], added[48], hits[24];
	struct ew_bl_row *rows = NULL;
	struct ew_maps m;
	bool expired_only = false;
	int r, origin = -1;
	uint64_t now;
	size_t i, n = 0;

	r = filter_opts_parse(argc, argv, &origin, &expired_only);
	if (r != CTL_RUN)
		return r;
	if (ctl_maps_open(&m, false))
		return CTL_ERR;
	now = ew_boot_ns();
	r = bl_collect(&m, origin, expired_only, now, &rows, &n);
	ew_maps_close(&m);
	if (r) {
		free(rows);
		return ctl_err("cannot read the blocklist: %s", strerror(-r));
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), row_cmp);

	if (ctl.json) {
		/*
		 * Written by hand, entry by entry: a million rules must not become a
		 * million json_t. Every field but the reason is plain ASCII we made;
		 * the reason goes through jansson, once per distinct text in a row.
		 */
		char last_reason[EW_REASON_TEXT_LEN + 1] = "\x01", *rjson = NULL;
		uint32_t last_added = 0;

		added[0] = '\0';
		printf("{\"count\":%zu,\"blocks\":[", n);
		for (i = 0; i < n; i++) {
			struct ew_bl_row *w = &rows[i];
			bool expired = w->b.expires_ns && w->b.expires_ns <= now;
			char in_s[24];

			ew_cidr_format(&w->cidr, buf, sizeof(buf));
			expiry_text(w->b.expires_ns, now, exp, sizeof(exp));
			if (!added[0] || w->b.added_unix != last_added) {
				ctl_iso_time((time_t)w->b.added_unix, added, sizeof(added));
				last_added = w->b.added_unix;
			}
			if (strcmp(last_reason, w->reason)) {
				json_t *j = ctl_jstr(w->reason);

				free(rjson);
				rjson = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
				json_decref(j);
				memcpy(last_reason, w->reason, sizeof(w->reason));
			}
			if (w->b.expires_ns)
				snprintf(in_s, sizeof(in_s), "%llu",
					 expired ? 0ULL :
						   (unsigned long long)((w->b.expires_ns - now) /
									1000000000ULL));
			else
				snprintf(in_s, sizeof(in_s), "null");
			printf("%s{\"cidr\":\"%s\",\"origin\":\"%s\",\"expires\":\"%s\","
			       "\"expires_in_s\":%s,\"expired\":%s,\"hits\":%llu,\"added\":\"%s\","
			       "\"added_unix\":%u,\"reason\":%s}",
			       i ? "," : "", buf, ew_origin_name(w->b.origin), exp, in_s,
			       expired ? "true" : "false", (unsigned long long)w->b.hits, added,
			       w->b.added_unix, rjson ? rjson : "\"\"");
		}
		free(rjson);
		printf("]}\n");
	} else {
		struct ctl_table t;

		tbl_init(&t, 6, 1U << 3, "CIDR", "ORIGIN", "EXPIRES", "HITS", "ADDED", "REASON");
		for (i = 0; i < n; i++) {
			struct ew_bl_row *w = &rows[i];
			char q[EW_QUOTE_LEN];

			ew_cidr_format(&w->cidr, buf, sizeof(buf));
			expiry_text(w->b.expires_ns, now, exp, sizeof(exp));
			ctl_iso_time((time_t)w->b.added_unix, added, sizeof(added));
			snprintf(hits, sizeof(hits), "%llu", (unsigned long long)w->b.hits);
			/* Reasons come from other writers too: never print raw control bytes. */
			tbl_add(&t, buf, ew_origin_name(w->b.origin), exp, hits, added,
				!w->reason[0]		     ? "-" :
				ctl_printable(w->reason) ? w->reason :
							   ew_quote(w->reason, q, sizeof(q)));
		}
		if (n)
			tbl_print(&t, stdout);
		else if (!ctl.quiet)
			printf("no blocks%s\n", origin >= 0 || expired_only ? " match" : "");
		tbl_free(&t);
	}
	free(rows);
	return CTL_OK;
}

/* ---- import ---- */

struct progress {
	struct timespec start, last;
	bool shown;
};

static double since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

static void import_progress(size_t done, size_t total, void *ctx)
{
	struct progress *p = ctx;
	double el;

	if (since(&p->last) < 0.1 && done < total)
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	el = since(&p->start);
	fprintf(stderr, "\rimporting: %zu/%zu prefixes (%.0f/s)  ", done, total,
		el > 0 ? (double)done / el : 0.0);
	p->shown = true;
}

/*
 * An IPv4 import row as one u64, host-order address << 8 | length: sorted,
 * these are in cidr_cmp order, so a million rows sort in three radix passes
 * instead of a qsort calling memcmp ~20 million times.
 */
static uint64_t key4_of(const struct ew_cidr *c)
{
	uint32_t be;

	memcpy(&be, c->addr, 4);
	return (uint64_t)ntohl(be) << 8 | c->plen;
}

static void cidr_of_key4(uint64_t k, struct ew_cidr *c)
{
	uint32_t be = htonl((uint32_t)(k >> 8));

	memset(c, 0, sizeof(*c));
	c->family = 4;
	c->plen = k & 0xff;
	memcpy(c->addr, &be, 4);
}

/* Sort the 40-bit keys (LSD radix, 16 bits a pass) and drop duplicates from *n. */
/* Sort the packed IPv4 keys (40 bits: length and address) and drop duplicates. */
static int key4_uniq(uint64_t *a, size_t *n)
{
	int ret = ew_sort_u64(a, *n, 40);

	if (!ret)
		*n = ew_uniq_u64(a, *n);
	return ret;
}

/* Trim a line to its one word: comments after '#' or ';', surrounding white space. */
static char *line_word(char *line)
{
	char *p, *end;

	p = line + strcspn(line, "#;");
	*p = '\0';
	p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return p;
}

static int cmd_block_import(int argc, char **argv)
{
	struct add_opts o = { 0 };
	const char *path, *base;
	char err[EW_ERRLEN], q[EW_QUOTE_LEN];
	struct ew_cidr *v6 = NULL;
	uint64_t *v4 = NULL;
	struct ew_bl_entry *e = NULL;
	struct ew_maps m;
	struct progress prog = { 0 };
	size_t n = 0, n4 = 0, cap4 = 0, n6 = 0, cap6 = 0, i, lineno = 0, warnings = 0, n_new = 0;
	bool opened = false;
	char *line = NULL;
	size_t linecap = 0;
	uint64_t now;
	ssize_t len;
	FILE *f = NULL;
	double secs;
	int r, rc;

	rc = add_opts_parse(argc, argv, &o);
	if (rc != CTL_RUN)
		return rc;
	path = ctl_arg(argc, argv, "FILE", true);
	if (!path)
		return CTL_USAGE;
	if (add_opts_check(&o))
		return CTL_ERR;
	rc = CTL_ERR;
	if (!o.reason_s) {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		snprintf(o.reason, sizeof(o.reason), "import %.55s",
			 !strcmp(path, "-") ? "stdin" : base);
		/* A file name is untrusted too: keep the reason printable. */
		for (i = 0; o.reason[i]; i++)
			if ((unsigned char)o.reason[i] < 0x20 || (unsigned char)o.reason[i] >= 0x7f)
				o.reason[i] = '?';
	}

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return ctl_err("cannot open %s: %s", ew_quote(path, q, sizeof(q)), strerror(errno));

	/* Check the whole file before the maps are touched. */
	while ((len = getline(&line, &linecap, f)) >= 0) {
		struct ew_cidr cidr;
		char *w;

		lineno++;
		if (strlen(line) != (size_t)len) {
			rc = ctl_err("%s:%zu: NUL byte in line (nothing imported)", path, lineno);
			goto out;
		}
		w = line_word(line);
		if (!*w)
			continue;
		if (w[strcspn(w, " \t")]) {
			rc = ctl_err("%s:%zu: %s: expected one address or CIDR per line (nothing "
				     "imported)",
				     path, lineno, ew_quote(w, q, sizeof(q)));
			goto out;
		}
		r = ew_cidr_parse(w, EW_CIDR_CANON, &cidr, err, sizeof(err));
		if (r < 0) {
			rc = ctl_err("%s:%zu: %s (nothing imported)", path, lineno, err);
			goto out;
		}
		if (r == 1 && ++warnings <= 10) {
			char canon[EW_CIDR_STRLEN];

			ew_cidr_format(&cidr, canon, sizeof(canon));
			ctl_warn("%s:%zu: %s has host bits set; using %s", path, lineno, w, canon);
		}
		if (ew_cidr_is_everything(&cidr) && !o.force) {
			rc = ctl_err("%s:%zu: %s covers every address; add --force if that is what "
				     "you mean (nothing imported)",
				     path, lineno, w);
			goto out;
		}
		if (cidr.family == 6) {
			if (n6 == cap6) {
				size_t ncap = cap6 ? cap6 * 2 : 64;
				struct ew_cidr *nv = realloc(v6, ncap * sizeof(*v6));

				if (!nv) {
					rc = ctl_err("out of memory");
					goto out;
				}
				v6 = nv;
				cap6 = ncap;
			}
			v6[n6++] = cidr;
			continue;
		}
		if (n4 == cap4) {
			size_t ncap = cap4 ? cap4 * 2 : 1024;
			uint64_t *nv = realloc(v4, ncap * sizeof(*v4));

			if (!nv) {
				rc = ctl_err("out of memory");
				goto out;
			}
			v4 = nv;
			cap4 = ncap;
		}
		v4[n4++] = key4_of(&cidr);
	}
	if (ferror(f)) {
		rc = ctl_err("cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (warnings > 10)
		ctl_warn("%s: %zu more lines had host bits set", path, warnings - 10);
	if (key4_uniq(v4, &n4)) {
		rc = ctl_err("out of memory");
		goto out;
	}
	n6 = cidr_uniq(v6, n6);
	n = n4 + n6;

	if (ctl_maps_open(&m, true))
		goto out;
	opened = true;
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e) {
		rc = ctl_err("out of memory");
		goto out;
	}
	now = ew_boot_ns();
	for (i = 0; i < n; i++) {
		if (i < n4)
			cidr_of_key4(v4[i], &e[i].cidr);
		else
			e[i].cidr = v6[i - n4];
		e[i].expires_ns = o.ttl ? now + o.ttl : 0;
		e[i].origin = EW_ORIGIN_IMPORT;
		memcpy(e[i].reason, o.reason, sizeof(o.reason));
	}
	free(v4);
	free(v6);
	v4 = NULL;
	v6 = NULL;
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	prog.last = prog.start;
	r = bl_import(&m, e, n, isatty(STDERR_FILENO) && !ctl.quiet ? import_progress : NULL,
		      &prog, &n_new);
	secs = since(&prog.start);
	if (prog.shown)
		fputc('\n', stderr);
	if (r) {
		rc = ctl_err("import of %s failed: %s%s", path, strerror(-r),
			     r == -ENOSPC || r == -E2BIG ?
				     " (the blocklist cannot hold them all; nothing imported)" :
				     "");
		goto out;
	}
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "file", ctl_jstr(path));
		json_object_set_new(o, "imported", json_integer((json_int_t)n));
		json_object_set_new(o, "new", json_integer((json_int_t)n_new));
		json_object_set_new(o, "lines", json_integer((json_int_t)lineno));
		json_object_set_new(o, "warnings", json_integer((json_int_t)warnings));
		json_object_set_new(o, "seconds", json_real(secs));
		ctl_json_print(o);
	} else {
		ctl_info("imported %zu prefixes (%zu new) in %.2f s", n, n_new, secs);
	}
	rc = CTL_OK;
out:
	if (f && f != stdin)
		fclose(f);
	if (opened)
		ew_maps_close(&m);
	free(line);
	free(v4);
	free(v6);
	free(e);
	return rc;
}

/* ---- flush ---- */

static int cmd_block_flush(int argc, char **argv)
{
	struct ew_maps m;
	bool expired = false;
	int r, origin = -1;
	size_t removed = 0;

	r = filter_opts_parse(argc, argv, &origin, &expired);
	if (r != CTL_RUN)
		return r;
	if (ctl_maps_open(&m, true))
		return CTL_ERR;
	r = bl_flush(&m, origin, expired, &removed);
	ew_maps_close(&m);
	if (r)
		return ctl_err("flush failed after removing %zu rules: %s", removed, strerror(-r));
	if (ctl.json)
		ctl_json_print_kv("removed", json_integer((json_int_t)removed));
	else
		ctl_info("removed %zu rules", removed);
	return CTL_OK;
}

static const struct ctl_cmd block_cmds[] = {
	{ "add", cmd_block_add, "block one or more CIDRs",
	  "block add CIDR... [--ttl DURATION] [--reason TEXT] [--force]",
	  "Drop every packet whose source lies in CIDR, until the TTL runs out (checked\n"
	  "in the kernel, so blocks expire even when nothing else runs). Adding a CIDR\n"
	  "that is already blocked replaces its expiry and reason. Host bits are\n"
	  "cleared with a warning. All arguments are checked before anything changes.\n"
	  "\n"
	  "Options:\n"
	  "  -t, --ttl DURATION  expire after DURATION (90s, 15m, 1h30m, 7d; default never)\n"
	  "  -r, --reason TEXT   why (at most 63 bytes), shown by block list\n"
	  "  -f, --force         allow 0.0.0.0/0 or ::/0 (blocks everyone)\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl block add 203.0.113.0/24 2001:db8:bad::/48 --ttl 1h --reason scanner\n" },
	{ "del", cmd_block_del, "remove CIDRs from the blocklist", "block del CIDR... [--force]",
	  "Remove the rules for exactly these CIDRs (not the rules inside them). Every\n"
	  "CIDR must be blocked, or nothing is removed.\n"
	  "\n"
	  "Options:\n"
	  "  -f, --force         accept 0.0.0.0/0 or ::/0\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl block del 203.0.113.0/24\n" },
	{ "list", cmd_block_list, "list blocked CIDRs",
	  "block list [--origin ORIGIN] [--expired]",
	  "List the rules with their origin, expiry, hit count, time added and reason.\n"
	  "\n"
	  "Options:\n"
	  "  -o, --origin ORIGIN  only rules from manual, import, policy, auto or fleet\n"
	  "  -e, --expired        only rules whose expiry has passed\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j block list --origin import\n" },
	{ "import", cmd_block_import, "block every CIDR listed in a file",
	  "block import FILE [--ttl DURATION] [--reason TEXT] [--force]",
	  "Read one address or CIDR per line (FILE '-' is standard input). Text after\n"
	  "'#' or ';' is a comment, blank lines are skipped: FireHOL netsets and the\n"
	  "Spamhaus DROP list (\"1.10.16.0/20 ; SBL256894\") load as they are. The whole\n"
	  "file is checked first: one bad line is reported as FILE:LINE and nothing is\n"
	  "imported. Rules are written in batches; progress is shown on a terminal.\n"
	  "\n"
	  "Options:\n"
	  "  -t, --ttl DURATION  expire after DURATION (default never)\n"
	  "  -r, --reason TEXT   reason for every rule (default: import FILENAME)\n"
	  "  -f, --force         allow 0.0.0.0/0 or ::/0 lines\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl block import firehol_level1.netset --ttl 1d --reason firehol\n" },
	{ "flush", cmd_block_flush, "remove many rules at once",
	  "block flush [--origin ORIGIN] [--expired]",
	  "Remove every rule, or only those of one origin and/or those already expired.\n"
	  "\n"
	  "Options:\n"
	  "  -o, --origin ORIGIN  only rules from manual, import, policy, auto or fleet\n"
	  "  -e, --expired        only rules whose expiry has passed\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl block flush --origin import --expired\n" },
	{ 0 }
};

int cmd_block(int argc, char **argv)
{
	return ctl_dispatch(block_cmds, argc - 1, argv + 1);
}
