// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl helpers: dispatch, options, output and errors, shared by every
 * cmd_*.c, and the one way a command runs a data-plane operation (ops.h):
 * through edgewardd, or on the pinned maps in emergency mode. Output goes
 * through here so that -j and -q mean the same thing in every command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"

struct ctl_state ctl = { .pin_dir = EW_PIN_DIR };

/* ---- errors and messages ---- */

static void verr(int rc, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "error", ctl_jstr(msg));
		if (ctl.path[0])
			json_object_set_new(o, "command", json_string(ctl.path));
		ctl_json_print(o);
	} else {
		fprintf(stderr, "edgewardctl: %s%s%s\n", ctl.path, ctl.path[0] ? ": " : "", msg);
		if (rc == CTL_USAGE)
			fprintf(stderr, "Try 'edgewardctl %s%s--help'.\n", ctl.path,
				ctl.path[0] ? " " : "");
	}
}

int ctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(CTL_ERR, fmt, ap);
	va_end(ap);
	return CTL_ERR;
}

int ctl_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(CTL_USAGE, fmt, ap);
	va_end(ap);
	return CTL_USAGE;
}

void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	if (ctl.quiet)
		return;
	fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ctl_info(const char *fmt, ...)
{
	va_list ap;

	if (ctl.quiet || ctl.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ---- JSON ---- */

int ctl_json_print(json_t *v)
{
	char *s;

	if (!v)
		return -ENOMEM;
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (!s)
		return -ENOMEM;
	puts(s);
	free(s);
	fflush(stdout);
	return 0;
}

int ctl_json_print_kv(const char *key, json_t *v)
{
	json_t *o = json_object();

	json_object_set_new(o, key, v);
	return ctl_json_print(o);
}

json_t *ctl_jstr(const char *s)
{
	return ops_jstr(s);
}

bool ctl_printable(const char *s)
{
	return ops_printable(s);
}

/* ---- time ---- */

void ctl_iso_time(time_t t, char *buf, size_t len)
{
	ops_iso_time(t, -1, buf, len);
}

void ctl_iso_time_ns(uint64_t unix_ns, char *buf, size_t len)
{
	ops_iso_time((time_t)(unix_ns / 1000000000ULL), (int)(unix_ns % 1000000000ULL / 1000000),
		     buf, len);
}

void ctl_rel_duration(uint64_t ns, char *buf, size_t len)
{
	ops_rel_duration(ns, buf, len);
}

uint64_t ctl_clock_to_unix_ns(clockid_t clock, uint64_t ns)
{
	struct timespec rt, ct;
	uint64_t now_rt, now_c;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(clock, &ct);
	now_rt = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec;
	now_c = (uint64_t)ct.tv_sec * 1000000000ULL + (uint64_t)ct.tv_nsec;
	if (ns > now_c)
		return now_rt + (ns - now_c);
	return now_rt - (now_c - ns);
}

/* ---- tables ---- */

void tbl_init(struct ctl_table *t, size_t ncols, unsigned int right_cols, ...)
{
	va_list ap;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->right = right_cols;
	t->cap = 16;
	t->cells = calloc(t->cap * ncols, sizeof(char *));
	if (!t->cells) {
		t->cap = 0;
		return;
	}
	va_start(ap, right_cols);
	for (i = 0; i < ncols; i++)
		t->cells[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	t->nrows = 1;
}

void tbl_add(struct ctl_table *t, ...)
{
	va_list ap;
	size_t i;

	if (!t->cap)
		return;
	if (t->nrows == t->cap) {
		char **n = realloc(t->cells, t->cap * 2 * t->ncols * sizeof(char *));

		if (!n)
			return;
		t->cells = n;
		t->cap *= 2;
	}
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

void tbl_print(const struct ctl_table *t, FILE *f)
{
	size_t w[16] = { 0 }, r, c;

	if (!t->cap || t->ncols > 16)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s ? strlen(s) : 0;

			if (n > w[c])
				w[c] = n;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			bool last = c + 1 == t->ncols;

			if (!s)
				s = "";
			if (t->right & (1U << c))
				fprintf(f, "%*s", (int)w[c], s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", (int)w[c], s);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

void tbl_print_rows(const struct ctl_table *t, FILE *f)
{
	struct ctl_table body = *t;

	if (!t->cap)
		return;
	body.cells += t->ncols;
	body.nrows--;
	tbl_print(&body, f);
}

void tbl_free(struct ctl_table *t)
{
	size_t i;

	for (i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* ---- dispatch and options ---- */

static void path_push(const char *name)
{
	size_t n = strlen(ctl.path);

	snprintf(ctl.path + n, sizeof(ctl.path) - n, "%s%s", n ? " " : "", name);
}

static bool is_help_word(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

/* "manage the blocklist" as a sentence, then a blank line. */
static void print_summary(FILE *f, const char *s)
{
	fprintf(f, "%c%s.\n\n", s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' + 'A' : s[0], s + 1);
}

int ctl_group_help(const struct ctl_cmd *tab, FILE *f)
{
	const struct ctl_cmd *c;
	size_t w = 0;

	fprintf(f, "Usage: edgewardctl [OPTIONS] %s\n\n", ctl.cur ? ctl.cur->usage : "COMMAND");
	if (ctl.cur && ctl.cur->summary)
		print_summary(f, ctl.cur->summary);
	if (ctl.cur && ctl.cur->help)
		fprintf(f, "%s", ctl.cur->help);
	for (c = tab; c->name; c++)
		if (strlen(c->name) > w)
			w = strlen(c->name);
	fprintf(f, "\nCommands:\n");
	for (c = tab; c->name; c++)
		fprintf(f, "  %-*s  %s\n", (int)w, c->name, c->summary);
	fprintf(f, "\nRun 'edgewardctl %s%sCOMMAND --help' for a command's options and an example.\n",
		ctl.path, ctl.path[0] ? " " : "");
	return CTL_OK;
}

int ctl_dispatch(const struct ctl_cmd *tab, int argc, char **argv)
{
	const struct ctl_cmd *c, *hit = NULL;
	char cands[256] = "";
	int n = 0;

	if (argc < 1) {
		char names[256] = "";

		for (c = tab; c->name; c++) {
			size_t l = strlen(names);

			snprintf(names + l, sizeof(names) - l, "%s%s", c == tab ? "" : ", ", c->name);
		}
		return ctl_usage("missing command: one of %s", names);
	}
	if (ctl.cur && is_help_word(argv[0]))
		return ctl_group_help(tab, stdout);
	for (c = tab; c->name; c++) {
		if (!strcmp(c->name, argv[0])) {
			hit = c;
			n = 1;
			break;
		}
		if (argv[0][0] && !strncmp(c->name, argv[0], strlen(argv[0]))) {
			size_t l = strlen(cands);

			snprintf(cands + l, sizeof(cands) - l, "%s%s", n ? ", " : "", c->name);
			hit = c;
			n++;
		}
	}
	if (n != 1) {
		char q[EW_QUOTE_LEN];

		ew_quote(argv[0], q, sizeof(q));
		if (n > 1)
			return ctl_usage("%s is ambiguous: %s", q, cands);
		return ctl_usage("unknown command %s", q);
	}
	ctl.group = tab;
	ctl.cur = hit;
	path_push(hit->name);
	optind = 0;	/* glibc: re-initialise getopt for the handler's argv */
	return hit->fn(argc, argv);
}

int ctl_help(void)
{
	const struct ctl_cmd *c = ctl.cur;

	if (!c)
		return CTL_OK;
	printf("Usage: edgewardctl [OPTIONS] %s\n\n", c->usage);
	if (c->summary)
		print_summary(stdout, c->summary);
	if (c->help)
		printf("%s", c->help);
	printf("\nGlobal options (before the command): -j/--json, -q/--quiet, -v/--verbose,\n"
	       "--server URL, --socket PATH, --cacert FILE, --direct, --pin-dir DIR\n"
	       "(see 'edgewardctl --help'). Exit status: 0 ok, 1 error, 2 usage error.\n");
	return CTL_OK;
}

int ctl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	static struct option lo[32];
	char so[64];
	size_t n = 0;
	int c;

	while (longopts && longopts[n].name && n < 30) {
		lo[n] = longopts[n];
		n++;
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ 0 };
	snprintf(so, sizeof(so), ":h%s", shortopts ? shortopts : "");
	opterr = 0;
	c = getopt_long(argc, argv, so, lo, NULL);
	switch (c) {
	case 'h':
		ctl.opt_rc = ctl_help();
		return CTL_OPT_DONE;
	case '?':
		if (optopt && optopt < 0x100)
			ctl.opt_rc = ctl_usage("unknown option '-%c'", optopt);
		else
			ctl.opt_rc = ctl_usage("unknown or ambiguous option '%s'",
					       argv[optind - 1]);
		return CTL_OPT_DONE;
	case ':':
		ctl.opt_rc = ctl_usage("option '%s' needs a value", argv[optind - 1]);
		return CTL_OPT_DONE;
	}
	return c;
}

/* ---- arguments ---- */

int ctl_no_args(int argc, char **argv)
{
	int c;

	while ((c = ctl_getopt(argc, argv, "", NULL)) != -1)
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	return CTL_RUN;
}

int ctl_opt_force(int argc, char **argv, bool *force)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	int c;

	while ((c = ctl_getopt(argc, argv, "f", opts)) != -1) {
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
		if (c == 'f')
			*force = true;
	}
	return CTL_RUN;
}

char *ctl_arg(int argc, char **argv, const char *what, bool one_at_a_time)
{
	if (optind >= argc) {
		ctl_usage("missing %s", what);
		return NULL;
	}
	if (optind + 1 < argc) {
		if (one_at_a_time)
			ctl_usage("unexpected argument '%s' (one %s at a time)", argv[optind + 1],
				  what);
		else
			ctl_usage("unexpected argument '%s'", argv[optind + 1]);
		return NULL;
	}
	return argv[optind];
}


int ctl_cidr(const char *s, bool force, struct ew_cidr *out)
{
	char err[EW_ERRLEN], warn[EW_ERRLEN + EW_CIDR_STRLEN];

	if (ops_cidr(s, force, out, warn, sizeof(warn), err, sizeof(err))) {
		if (warn[0])
			ctl_warn("%s", warn);
		return ctl_err("%s", err);
	}
	if (warn[0])
		ctl_warn("%s", warn);
	return CTL_OK;
}

int ctl_cidr_args(int argc, char **argv, int first, bool force, json_t **out)
{
	char buf[EW_CIDR_STRLEN];
	struct ew_cidr *v, c;
	size_t k = 0, j;
	json_t *a;
	int i;

	*out = NULL;
	v = calloc(argc > first ? (size_t)(argc - first) : 1, sizeof(*v));
	a = json_array();
	if (!v || !a) {
		free(v);
		json_decref(a);
		return ctl_err("out of memory");
	}
	for (i = first; i < argc; i++) {
		if (ctl_cidr(argv[i], force, &c)) {
			free(v);
			json_decref(a);
			return CTL_ERR;
		}
		for (j = 0; j < k && !(v[j].family == c.family && v[j].plen == c.plen &&
				       !memcmp(v[j].addr, c.addr, 16));
		     j++)
			;
		if (j < k)
			continue;
		v[k++] = c;
		ew_cidr_format(&c, buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	free(v);
	*out = a;
	return CTL_OK;
}

int ctl_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char err[EW_ERRLEN];

	if (ew_u64_parse(s, min, max, out, err, sizeof(err)))
		return ctl_err("%s: %s", opt, err);
	return CTL_OK;
}

int ctl_maps_open(struct ew_maps *m, bool write)
{
	char err[EW_ERRLEN * 2] = "";

	if (ops_maps_open(m, ctl.pin_dir, write, err, sizeof(err)))
		return ctl_err("%s", err);
	return CTL_OK;
}

/* ---- operations: through edgewardd or on the maps ---- */

void ctl_messages(json_t *out)
{
	json_t *msgs = json_object_get(out, "messages"), *x;
	size_t i;

	json_array_foreach(msgs, i, x)
		if (!ctl.quiet && json_is_string(x))
			fprintf(stderr, "%s\n", json_string_value(x));
	json_object_del(out, "messages");
}

/* In emergency mode: the maps as the operation wants them, then the operation. */
static int op_direct(const struct ops_entry *e, json_t *req, json_t **out, FILE *stream)
{
	char err[2048] = "";
	struct ew_maps m;
	json_t *details;
	int r;

	ops_maps_init(&m, ctl.pin_dir);
	if (e->needs_maps && ctl_maps_open(&m, e->write))
		return CTL_ERR;
	if (stream)
		r = e->stream(&m, req, stream, err, sizeof(err));
	else
		r = e->fn(&m, req, out, err, sizeof(err));
	ew_maps_close(&m);
	if (r)
		return ctl_err("%s", err[0] ? err : strerror(-r));
	/* Emergency changes are on record like the daemon's: what was asked, what was done. */
	if (ops_changes(e, req)) {
		details = ops_audit_details(e, req, out ? *out : NULL);
		cli_journal_direct(e->name, e->resource, details);
		json_decref(details);
	}
	return CTL_OK;
}

static int op_run(const char *name, json_t *req, json_t **out)
{
	const struct ops_entry *e = ops_find(name);
	char *path = NULL;
	int mode, r;

	*out = NULL;
	if (!e)
		return ctl_err("no operation %s in this build", name);
	mode = cli_mode();
	if (mode < 0)
		return CTL_ERR;
	if (mode == CLI_DIRECT)
		return op_direct(e, req, out, NULL);
	/* Reads take their parameters in the query string, as any HTTP client would. */
	if (!strcmp(e->method, "GET")) {
		path = ops_query_path(e, req);
		if (!path)
			return ctl_err("out of memory");
	}
	r = cli_do(e->method, path ? path : e->path, path ? NULL : req, out);
	free(path);
	if (r)
		return r;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ctl_err("edgewardd answered %s without a JSON object", e->path);
	}
	return CTL_OK;
}

int ctl_op_keep(const char *name, json_t *req, json_t **out)
{
	return op_run(name, req, out);
}

int ctl_op(const char *name, json_t *req, json_t **out)
{
	int r = op_run(name, req, out);

	if (!r)
		ctl_messages(*out);
	return r;
}

/*
 * In emergency mode, the answer of an operation that streams, written as
 * JSON text to f: CTL_OK or CTL_ERR (reported). CTL_RUN when it cannot
 * (through edgewardd, or no stream): then use ctl_op.
 */
static int op_stream(const char *name, json_t *req, FILE *f)
{
	const struct ops_entry *e = ops_find(name);
	int mode;

	if (!e || !e->stream)
		return CTL_RUN;
	mode = cli_mode();
	if (mode < 0)
		return CTL_ERR;
	return mode == CLI_DIRECT ? op_direct(e, req, NULL, f) : CTL_RUN;
}

int ctl_op_json(const char *name, json_t *req)
{
	json_t *out;
	int r;

	r = op_stream(name, req, stdout);
	fflush(stdout);
	if (r != CTL_RUN)
		return r;
	r = ctl_op(name, req, &out);
	if (r)
		return r;
	return ctl_json_print(out) ? CTL_ERR : CTL_OK;
}

int ctl_need_daemon(const char *what, const char *why)
{
	bool quiet = ctl.quiet;
	int mode;

	/* The emergency-mode warning is for commands that can do without the daemon. */
	ctl.quiet = true;
	mode = cli_mode();
	ctl.quiet = quiet;
	if (mode < 0)
		return CTL_ERR;
	if (mode != CLI_DAEMON)
		return ctl_err("'%s' needs edgewardd (%s); start it", what, why);
	return CTL_OK;
}

/* ---- text forms of answers ---- */

const char *ctl_js(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

long long ctl_ji(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

size_t ctl_join(char *buf, size_t len, size_t o, json_t *arr, const char *sep)
{
	json_t *x;
	size_t i;

	if (o < len)
		buf[o] = '\0';
	json_array_foreach(arr, i, x) {
		if (o >= len)
			break;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? sep : "",
				      json_is_string(x) ? json_string_value(x) : "");
	}
	return o;
}

void ctl_gen_text(json_t *o, char *buf, size_t len)
{
	const char *t = json_string_value(json_object_get(o, "applied"));

	snprintf(buf, len, "%lld, applied %s", ctl_ji(o, "generation"), t ? t : "never");
}
