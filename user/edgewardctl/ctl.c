// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl helpers: dispatch, options, output and errors, shared by every
 * cmd_*.c. Output goes through here so that -j and -q mean the same thing in
 * every command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

json_t *ctl_jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *buf, *o;
	size_t i;

	if (j)
		return j;
	/* Not UTF-8: keep printable ASCII, write every other byte as \xNN. */
	buf = malloc(strlen(s) * 4 + 1);
	if (!buf)
		return json_null();
	for (o = buf, i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f)
			*o++ = (char)ch;
		else
			o += sprintf(o, "\\x%02x", ch);
	}
	*o = '\0';
	j = json_string(buf);
	free(buf);
	return j ? j : json_null();
}

bool ctl_printable(const char *s)
{
	json_t *j;
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	j = json_string(s);	/* jansson checks UTF-8 */
	json_decref(j);
	return j != NULL;
}

json_t *ctl_jcidr(const struct ew_cidr *c)
{
	char buf[EW_CIDR_STRLEN];

	if (ew_cidr_format(c, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

/* ---- time ---- */

void ctl_iso_time(time_t t, char *buf, size_t len)
{
	char tz[8];
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm) || !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, len, "@%lld", (long long)t);
		return;
	}
	/* %z gives +0100; ISO 8601's extended format wants +01:00. */
	if (strftime(tz, sizeof(tz), "%z", &tm) == 5)
		snprintf(buf + n, len - n, "%.3s:%.2s", tz, tz + 3);
}

void ctl_iso_time_ns(uint64_t unix_ns, char *buf, size_t len)
{
	char tz[8];
	time_t t = (time_t)(unix_ns / 1000000000ULL);
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm) || !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, len, "@%lld", (long long)t);
		return;
	}
	n += (size_t)snprintf(buf + n, len - n, ".%03u",
			      (unsigned int)(unix_ns % 1000000000ULL / 1000000));
	if (n < len && strftime(tz, sizeof(tz), "%z", &tm) == 5)
		snprintf(buf + n, len - n, "%.3s:%.2s", tz, tz + 3);
}

void ctl_rel_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ULL;

	/* Two units at most, rounded down: "in 59m" reads better than "in 59m58s". */
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum", (unsigned long long)(s / 60));
	else if (s < 86400 && s % 3600 / 60)
		snprintf(buf, len, "%lluh%llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh", (unsigned long long)(s / 3600));
	else if (s % 86400 / 3600)
		snprintf(buf, len, "%llud%lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	else
		snprintf(buf, len, "%llud", (unsigned long long)(s / 86400));
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
	       "--pin-dir DIR. Exit status: 0 ok, 1 error, 2 usage error.\n");
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

int ctl_cidr(const char *s, bool force, struct ew_cidr *out)
{
	char err[EW_ERRLEN], canon[EW_CIDR_STRLEN];
	int r;

	r = ew_cidr_parse(s, EW_CIDR_CANON, out, err, sizeof(err));
	if (r < 0)
		return ctl_err("%s", err);
	ew_cidr_format(out, canon, sizeof(canon));
	if (r == 1)
		ctl_warn("%s has host bits set; using %s", s, canon);
	if (ew_cidr_is_everything(out) && !force)
		return ctl_err("%s covers every %s address; add --force if that is what you mean",
			       canon, out->family == 4 ? "IPv4" : "IPv6");
	return CTL_OK;
}

int ctl_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char err[EW_ERRLEN];

	if (ew_u64_parse(s, min, max, out, err, sizeof(err)))
		return ctl_err("%s: %s", opt, err);
	return CTL_OK;
}

bool ctl_same_cidr(const struct ew_cidr *a, const struct ew_cidr *b)
{
	return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, 16);
}

bool ctl_same_port(const struct ew_portspec *a, const struct ew_portspec *b)
{
	return a->proto_idx == b->proto_idx && a->lo == b->lo && a->hi == b->hi;
}

/* ---- maps ---- */

int ctl_maps_open(struct ew_maps *m, bool write)
{
	char err[EW_ERRLEN] = "";
	struct stat st;
	int r;

	memset(m, 0, sizeof(*m));
	if (stat(ctl.pin_dir, &st) || !S_ISDIR(st.st_mode))
		return ctl_err("edgeward is not loaded (no pinned maps in %s); run 'edgewardctl "
			       "attach IFACE' first",
			       ctl.pin_dir);
	r = ew_maps_open(m, ctl.pin_dir, write, err, sizeof(err));
	if (r) {
		if (r == -ENOENT)
			return ctl_err("cannot open the pinned maps in %s: %s (is edgeward loaded? "
				       "try 'edgewardctl attach IFACE')",
				       ctl.pin_dir, err[0] ? err : strerror(-r));
		if (r == -EWOULDBLOCK || r == -EAGAIN)
			return ctl_err("%s is locked by another writer: %s", ctl.pin_dir,
				       err[0] ? err : strerror(-r));
		return ctl_err("cannot open the pinned maps in %s: %s", ctl.pin_dir,
			       err[0] ? err : strerror(-r));
	}
	return CTL_OK;
}

/* ---- policy read-modify-write ---- */

int ctl_policy_get(struct ew_maps *m, struct ew_policy_doc *doc, struct ew_compiled *live)
{
	char err[EW_ERRLEN] = "";
	int r;

	memset(live, 0, sizeof(*live));
	ew_policy_doc_init(doc);
	r = pol_read(m, live);
	if (r)
		return ctl_err("cannot read the live policy: %s", strerror(-r));
	r = ew_policy_decompile(live, doc, err, sizeof(err));
	if (r)
		return ctl_err("cannot decode the live policy: %s", err[0] ? err : strerror(-r));
	return CTL_OK;
}

int ctl_policy_put(struct ew_maps *m, const struct ew_policy_doc *doc, struct ew_compiled *out)
{
	char err[EW_ERRLEN] = "";
	int r;

	memset(out, 0, sizeof(*out));
	r = ew_policy_compile(doc, out, err, sizeof(err));
	if (r)
		return ctl_err("%s", err[0] ? err : strerror(-r));
	err[0] = '\0';
	r = pol_commit(m, out, err, sizeof(err));
	if (r)
		return ctl_err("policy commit failed (the live policy is unchanged): %s",
			       err[0] ? err : strerror(-r));
	return CTL_OK;
}

json_t *ctl_json_portlist(const struct ew_portspec *p, size_t n)
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

json_t *ctl_json_allow(const struct ew_policy_doc *doc)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < doc->n_allow; i++)
		json_array_append_new(a, ctl_jcidr(&doc->allow[i]));
	return a;
}

json_t *ctl_json_acl(const struct ew_policy_doc *doc)
{
	json_t *a = json_array();
	char buf[32];
	size_t i, j;

	for (i = 0; i < doc->n_acl; i++) {
		const struct ew_acl_doc *acl = &doc->acl[i];
		json_t *o = json_object(), *from = json_array();

		ew_portspec_format(&acl->port, buf, sizeof(buf));
		json_object_set_new(o, "port", json_string(buf));
		for (j = 0; j < acl->n_from; j++)
			json_array_append_new(from, ctl_jcidr(&acl->from[j]));
		json_object_set_new(o, "from", from);
		json_array_append_new(a, o);
	}
	return a;
}

json_t *ctl_json_rl(const struct ew_policy_doc *doc)
{
	json_t *a = json_array();
	char buf[32];
	size_t i;

	for (i = 0; i < doc->n_rl; i++) {
		const struct ew_rl_doc *rl = &doc->rl[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", ctl_jstr(rl->name));
		json_object_set_new(o, "ports", ctl_json_portlist(rl->ports, rl->n_ports));
		if (ew_rate_format(rl->rate, rl->period_s, buf, sizeof(buf)) < 0)
			snprintf(buf, sizeof(buf), "%u/%us", rl->rate, rl->period_s);
		json_object_set_new(o, "rate", json_string(buf));
		json_object_set_new(o, "burst", json_integer(rl->burst));
		json_object_set_new(o, "count", json_string(rl->count_conn ? "conn" : "pkt"));
		json_array_append_new(a, o);
	}
	return a;
}
