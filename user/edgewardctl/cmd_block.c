// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl block add|del|list|import|flush: the blocklist, through the
 * block.* operations (ops_block.c). Every word, and every line of an import
 * file, is checked here before anything is sent, so a bad one changes
 * nothing and is reported as it always was (FILE:LINE for files).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"

/* The options of add and import: --ttl, --reason, --force. */
struct add_opts {
	const char *ttl_s, *reason_s;
	bool force;
	uint64_t ttl;	/* ns */
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
	if (o->reason_s && ops_check_reason("--reason", o->reason_s, err, sizeof(err)))
		return ctl_err("%s", err);
	return CTL_OK;
}

/* The request fields of the options: ttl_s (whole seconds), reason, force. */
static void add_opts_req(const struct add_opts *o, json_t *req)
{
	if (o->ttl)
		json_object_set_new(req, "ttl_s",
				    json_integer((json_int_t)(o->ttl / 1000000000ULL)));
	if (o->reason_s)
		json_object_set_new(req, "reason", json_string(o->reason_s));
	if (o->force)
		json_object_set_new(req, "force", json_true());
}

/* The options of list and flush: --origin ORIGIN and --expired, as request fields. */
static int filter_opts_parse(int argc, char **argv, json_t *req)
{
	static const struct option opts[] = {
		{ "origin", required_argument, NULL, 'o' },
		{ "expired", no_argument, NULL, 'e' },
		{ 0 }
	};
	int c;

	while ((c = ctl_getopt(argc, argv, "o:e", opts)) != -1) {
		switch (c) {
		case 'o':
			json_object_set_new(req, "origin", json_string(optarg));
			break;
		case 'e':
			json_object_set_new(req, "expired", json_true());
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	return CTL_RUN;
}

/* "never", "in 59m", "expired": an expiry in seconds from now (JSON null: never). */
static void expiry_text(json_t *in_s, char *buf, size_t len)
{
	char d[24];

	if (!json_is_integer(in_s)) {
		snprintf(buf, len, "never");
	} else if (json_integer_value(in_s) <= 0) {
		snprintf(buf, len, "expired");
	} else {
		ctl_rel_duration((uint64_t)json_integer_value(in_s) * 1000000000ULL, d, sizeof(d));
		snprintf(buf, len, "in %s", d);
	}
}

/* Print the answer under -j, or return it for the text form. */
static int answer(int rc, json_t **out)
{
	if (rc || !ctl.json)
		return rc;
	rc = ctl_json_print(*out) ? CTL_ERR : CTL_OK;
	*out = NULL;
	return rc;
}

/* ---- add ---- */

static int cmd_block_add(int argc, char **argv)
{
	struct add_opts o = { 0 };
	json_t *req = NULL, *out = NULL, *cidrs = NULL, *b;
	char exp[40];
	size_t i;
	int rc;

	rc = add_opts_parse(argc, argv, &o);
	if (rc != CTL_RUN)
		return rc;
	if (optind >= argc)
		return ctl_usage("missing CIDR");
	if (add_opts_check(&o) || ctl_cidr_args(argc, argv, optind, o.force, &cidrs))
		return CTL_ERR;
	req = json_object();
	json_object_set_new(req, "cidrs", cidrs);
	add_opts_req(&o, req);
	rc = answer(ctl_op("block.add", req, &out), &out);
	json_array_foreach(json_object_get(out, "blocked"), i, b) {
		expiry_text(json_object_get(b, "expires_in_s"), exp, sizeof(exp));
		ctl_info("blocked %s (%s, expires %s)", ctl_js(b, "cidr"),
			 json_is_true(json_object_get(b, "new")) ? "new" : "replaced", exp);
	}
	json_decref(req);
	json_decref(out);
	return rc;
}

/* ---- del ---- */

static int cmd_block_del(int argc, char **argv)
{
	json_t *req = NULL, *out = NULL, *cidrs = NULL, *x;
	bool force = false;
	size_t i;
	int rc;

	rc = ctl_opt_force(argc, argv, &force);
	if (rc != CTL_RUN)
		return rc;
	if (optind >= argc)
		return ctl_usage("missing CIDR");
	if (ctl_cidr_args(argc, argv, optind, force, &cidrs))
		return CTL_ERR;
	req = json_object();
	json_object_set_new(req, "cidrs", cidrs);
	if (force)
		json_object_set_new(req, "force", json_true());
	rc = answer(ctl_op("block.del", req, &out), &out);
	json_array_foreach(json_object_get(out, "deleted"), i, x)
		ctl_info("unblocked %s", json_string_value(x));
	json_decref(req);
	json_decref(out);
	return rc;
}

/* ---- list ---- */

/* A rule as a table row. Reasons come from other writers too: never print raw control bytes. */
static void block_row(struct ctl_table *t, const char *cidr, const char *origin,
		      const char *expires, unsigned long long hits, const char *added,
		      const char *reason)
{
	char h[24], q[EW_QUOTE_LEN];

	snprintf(h, sizeof(h), "%llu", hits);
	tbl_add(t, cidr, origin, expires, h, added,
		!reason[0]		? "-" :
		ctl_printable(reason) ? reason :
					  ew_quote(reason, q, sizeof(q)));
}

static int walk_row(const struct ops_block_row *w, void *ctx)
{
	block_row(ctx, w->cidr, w->origin, w->expires, (unsigned long long)w->hits, w->added,
		  w->reason);
	return 0;
}

/*
 * The rules into t. In emergency mode straight from the maps, one at a
 * time (a million rules never become a million json_t); through
 * edgewardd, from its answer.
 */
static int block_rows(json_t *req, struct ctl_table *t)
{
	const struct ops_block_walker walker = { NULL, walk_row, t };
	char err[EW_ERRLEN * 2] = "";
	json_t *out = NULL, *w;
	struct ew_maps m;
	int mode = cli_mode(), r;
	size_t i;

	if (mode < 0)
		return CTL_ERR;
	if (mode == CLI_DIRECT) {
		if (ctl_maps_open(&m, false))
			return CTL_ERR;
		r = ops_block_walk(&m, req, &walker, err, sizeof(err));
		ew_maps_close(&m);
		return r ? ctl_err("%s", err[0] ? err : strerror(-r)) : CTL_OK;
	}
	r = ctl_op("block.list", req, &out);
	json_array_foreach(json_object_get(out, "blocks"), i, w)
		block_row(t, ctl_js(w, "cidr"), ctl_js(w, "origin"), ctl_js(w, "expires"),
			  (unsigned long long)ctl_ji(w, "hits"), ctl_js(w, "added"),
			  ctl_js(w, "reason"));
	json_decref(out);
	return r;
}

static int cmd_block_list(int argc, char **argv)
{
	json_t *req = json_object();
	struct ctl_table t;
	int rc;

	tbl_init(&t, 6, 1U << 3, "CIDR", "ORIGIN", "EXPIRES", "HITS", "ADDED", "REASON");
	rc = filter_opts_parse(argc, argv, req);
	if (rc != CTL_RUN)
		goto out;
	if (ctl.json) {
		/* Streamed in emergency mode, like the table. */
		rc = ctl_op_json("block.list", req);
		goto out;
	}
	rc = block_rows(req, &t);
	if (rc)
		goto out;
	if (t.nrows > 1)
		tbl_print(&t, stdout);
	else if (!ctl.quiet)
		printf("no blocks%s\n", json_object_size(req) ? " match" : "");
out:
	tbl_free(&t);
	json_decref(req);
	return rc;
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

/*
 * Read FILE (or stdin) into a JSON array of canonical CIDRs. The whole file
 * is checked before anything is sent: one bad line is FILE:LINE and nothing
 * is imported.
 */
static int import_read(const char *path, bool force, json_t *entries, size_t *lines,
		       size_t *warnings)
{
	char err[EW_ERRLEN], q[EW_QUOTE_LEN], canon[EW_CIDR_STRLEN];
	char *line = NULL;
	size_t linecap = 0, lineno = 0;
	ssize_t len;
	FILE *f;
	int r, rc = CTL_ERR;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return ctl_err("cannot open %s: %s", ew_quote(path, q, sizeof(q)), strerror(errno));
	while ((len = getline(&line, &linecap, f)) >= 0) {
		struct ew_cidr cidr;
		char *w;

		lineno++;
		if (strlen(line) != (size_t)len) {
			ctl_err("%s:%zu: NUL byte in line (nothing imported)", path, lineno);
			goto out;
		}
		w = line_word(line);
		if (!*w)
			continue;
		if (w[strcspn(w, " \t")]) {
			ctl_err("%s:%zu: %s: expected one address or CIDR per line (nothing "
				"imported)",
				path, lineno, ew_quote(w, q, sizeof(q)));
			goto out;
		}
		r = ew_cidr_parse(w, EW_CIDR_CANON, &cidr, err, sizeof(err));
		if (r < 0) {
			ctl_err("%s:%zu: %s (nothing imported)", path, lineno, err);
			goto out;
		}
		ew_cidr_format(&cidr, canon, sizeof(canon));
		if (r == 1 && ++*warnings <= 10)
			ctl_warn("%s:%zu: %s has host bits set; using %s", path, lineno, w, canon);
		if (ew_cidr_is_everything(&cidr) && !force) {
			ctl_err("%s:%zu: %s covers every address; add --force if that is what you "
				"mean (nothing imported)",
				path, lineno, w);
			goto out;
		}
		if (json_array_append_new(entries, json_string(canon))) {
			ctl_err("out of memory");
			goto out;
		}
	}
	if (ferror(f)) {
		ctl_err("cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (*warnings > 10)
		ctl_warn("%s: %zu more lines had host bits set", path, *warnings - 10);
	*lines = lineno;
	rc = CTL_OK;
out:
	if (f != stdin)
		fclose(f);
	free(line);
	return rc;
}

static int cmd_block_import(int argc, char **argv)
{
	struct add_opts o = { 0 };
	struct progress prog = { 0 };
	json_t *req = NULL, *out = NULL, *entries = NULL, *j;
	size_t lines = 0, warnings = 0;
	const char *path;
	int rc;

	rc = add_opts_parse(argc, argv, &o);
	if (rc != CTL_RUN)
		return rc;
	path = ctl_arg(argc, argv, "FILE", true);
	if (!path)
		return CTL_USAGE;
	if (add_opts_check(&o))
		return CTL_ERR;
	entries = json_array();
	rc = import_read(path, o.force, entries, &lines, &warnings);
	if (rc) {
		json_decref(entries);
		return rc;
	}
	/* The reason defaults to "import FILE" there; the file's name goes along for it. */
	req = json_object();
	json_object_set_new(req, "entries", entries);
	json_object_set_new(req, "file", json_string(path));
	add_opts_req(&o, req);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	prog.last = prog.start;
	if (isatty(STDERR_FILENO) && !ctl.quiet)
		ops_set_progress(import_progress, &prog);
	rc = ctl_op("block.import", req, &out);
	ops_set_progress(NULL, NULL);
	if (prog.shown)
		fputc('\n', stderr);
	if (rc)
		goto out;
	if (ctl.json) {
		j = json_object();
		json_object_set(j, "file", json_object_get(out, "file"));
		json_object_set(j, "imported", json_object_get(out, "imported"));
		json_object_set(j, "new", json_object_get(out, "new"));
		json_object_set_new(j, "lines", json_integer((json_int_t)lines));
		json_object_set_new(j, "warnings", json_integer((json_int_t)warnings));
		json_object_set(j, "seconds", json_object_get(out, "seconds"));
		rc = ctl_json_print(j) ? CTL_ERR : CTL_OK;
	} else {
		ctl_info("imported %lld prefixes (%lld new) in %.2f s", ctl_ji(out, "imported"),
			 ctl_ji(out, "new"), json_number_value(json_object_get(out, "seconds")));
	}
out:
	json_decref(req);
	json_decref(out);
	return rc;
}

/* ---- flush ---- */

static int cmd_block_flush(int argc, char **argv)
{
	json_t *req = json_object(), *out = NULL;
	int rc;

	rc = filter_opts_parse(argc, argv, req);
	if (rc == CTL_RUN)
		rc = answer(ctl_op("block.flush", req, &out), &out);
	if (out)
		ctl_info("removed %lld rules", ctl_ji(out, "removed"));
	json_decref(req);
	json_decref(out);
	return rc;
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
