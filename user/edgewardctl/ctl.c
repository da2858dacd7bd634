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

int ctl_json_print_kv(const char *key, json_t *v)
{
	json_t *o = json_object();

	json_object_set_new(o, key, v);
	return ctl_json_print(o);
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

/* ms < 0: whole seconds. */
static void iso_time(time_t t, int ms, char *buf, size_t len)
{
	char tz[8];
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm) || !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, len, "@%lld", (long long)t);
		return;
	}
	if (ms >= 0)
		n += (size_t)snprintf(buf + n, len - n, ".%03d", ms);
	/* %z gives +0100; ISO 8601's extended format wants +01:00. */
	if (n < len && strftime(tz, sizeof(tz), "%z", &tm) == 5)
		snprintf(buf + n, len - n, "%.3s:%.2s", tz, tz + 3);
}

void ctl_iso_time(time_t t, char *buf, size_t len)
{
	iso_time(t, -1, buf, len);
}

void ctl_iso_time_ns(uint64_t unix_ns, char *buf, size_t len)
{
	iso_time((time_t)(unix_ns / 1000000000ULL), (int)(unix_ns % 1000000000ULL / 1000000), buf,
		 len);
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

int ctl_cidr_args(int argc, char **argv, int first, bool force, struct ew_cidr **out, size_t *n)
{
	struct ew_cidr *v, c;
	size_t k = 0;
	int i;

	*out = NULL;
	*n = 0;
	v = calloc(argc > first ? (size_t)(argc - first) : 1, sizeof(*v));
	if (!v)
		return ctl_err("out of memory");
	for (i = first; i < argc; i++) {
		if (ctl_cidr(argv[i], force, &c)) {
			free(v);
			return CTL_ERR;
		}
		if (ctl_find_cidr(v, k, &c) < 0)
			v[k++] = c;
	}
	*out = v;
	*n = k;
	return CTL_OK;
}

int ctl_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char err[EW_ERRLEN];

	if (ew_u64_parse(s, min, max, out, err, sizeof(err)))
		return ctl_err("%s: %s", opt, err);
	return CTL_OK;
}

/* ---- arrays and sets ---- */

void *ctl_grow(void *v, size_t n, size_t more, size_t size)
{
	char *g = realloc(v, (n + more) * size);

	if (!g) {
		ctl_err("out of memory");
		return NULL;
	}
	memset(g + n * size, 0, more * size);
	return g;
}

static bool same_cidr(const struct ew_cidr *a, const struct ew_cidr *b)
{
	return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, 16);
}

bool ctl_same_port(const struct ew_portspec *a, const struct ew_portspec *b)
{
	return a->proto_idx == b->proto_idx && a->lo == b->lo && a->hi == b->hi;
}

ssize_t ctl_find_cidr(const struct ew_cidr *v, size_t n, const struct ew_cidr *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_cidr(&v[i], c))
			return (ssize_t)i;
	return -1;
}

ssize_t ctl_find_port(const struct ew_portspec *v, size_t n, const struct ew_portspec *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ctl_same_port(&v[i], p))
			return (ssize_t)i;
	return -1;
}

int ctl_cidr_cmp(const void *a, const void *b)
{
	const struct ew_cidr *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, 16);
	if (r)
		return r;
	return (int)x->plen - (int)y->plen;
}

int ctl_cidrs_add(struct ew_cidr **set, size_t *n, const struct ew_cidr *v, size_t nv,
		  const char *where, json_t *done, json_t *known)
{
	struct ew_cidr *grown = ctl_grow(*set, *n, nv, sizeof(*grown));
	char buf[EW_CIDR_STRLEN];
	size_t i, changed = 0;

	if (!grown)
		return CTL_ERR;
	*set = grown;
	for (i = 0; i < nv; i++) {
		ew_cidr_format(&v[i], buf, sizeof(buf));
		if (ctl_find_cidr(grown, *n, &v[i]) >= 0) {
			json_array_append_new(known, json_string(buf));
			ctl_info("%s is already %s", buf, where);
			continue;
		}
		grown[(*n)++] = v[i];
		json_array_append_new(done, json_string(buf));
		changed++;
	}
	return changed ? CTL_OK : CTL_UNCHANGED;
}

int ctl_cidrs_del(struct ew_cidr *set, size_t *n, const struct ew_cidr *v, size_t nv,
		  const char *where, json_t *done)
{
	char buf[EW_CIDR_STRLEN];
	size_t i;

	/* A CIDR that is not there fails the edit: nothing is committed. */
	for (i = 0; i < nv; i++) {
		ssize_t k = ctl_find_cidr(set, *n, &v[i]);

		ew_cidr_format(&v[i], buf, sizeof(buf));
		if (k < 0)
			return ctl_err("%s is not %s (nothing removed)", buf, where);
		CTL_ARRAY_DEL(set, *n, k);
		json_array_append_new(done, json_string(buf));
	}
	return CTL_OK;
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

/* ---- the live policy ---- */

static int policy_txn(bool write, ctl_policy_fn *edit, ctl_policy_fn *show, void *arg)
{
	struct ew_compiled live = { 0 }, next = { 0 };
	struct ctl_policy p = { .arg = arg };
	char err[EW_ERRLEN] = "";
	struct ew_maps m;
	int r, rc = CTL_ERR;

	if (ctl_maps_open(&m, write))
		return CTL_ERR;
	ew_policy_doc_init(&p.doc);
	r = pol_read(&m, &live);
	if (r) {
		ctl_err("cannot read the live policy: %s", strerror(-r));
		goto out;
	}
	r = ew_policy_decompile(&live, &p.doc, err, sizeof(err));
	if (r) {
		ctl_err("cannot decode the live policy: %s", err[0] ? err : strerror(-r));
		goto out;
	}
	p.pol = live.pol;
	rc = edit ? edit(&p) : CTL_UNCHANGED;
	if (rc == CTL_OK) {
		err[0] = '\0';
		r = ew_policy_compile(&p.doc, &next, err, sizeof(err));
		if (r) {
			rc = ctl_err("%s", err[0] ? err : strerror(-r));
			goto out;
		}
		err[0] = '\0';
		r = pol_commit(&m, &next, err, sizeof(err));
		if (r) {
			rc = ctl_err("policy commit failed (the live policy is unchanged): %s",
				     err[0] ? err : strerror(-r));
			goto out;
		}
		p.pol = next.pol;
	} else if (rc != CTL_UNCHANGED) {
		goto out;
	}
	rc = show(&p);
out:
	ew_policy_doc_free(&p.doc);
	ew_compiled_free(&live);
	ew_compiled_free(&next);
	ew_maps_close(&m);
	return rc;
}

int ctl_policy_view(int argc, char **argv, ctl_policy_fn *show)
{
	int rc = ctl_no_args(argc, argv);

	return rc == CTL_RUN ? policy_txn(false, NULL, show, NULL) : rc;
}

int ctl_policy_edit(ctl_policy_fn *edit, ctl_policy_fn *show, void *arg)
{
	return policy_txn(true, edit, show, arg);
}

/* ---- text and JSON forms of the policy ---- */

void ctl_rate_text(const struct ew_rl_doc *rl, char *buf, size_t len)
{
	if (ew_rate_format(rl->rate, rl->period_s, buf, len) < 0)
		snprintf(buf, len, "%u/%us", rl->rate, rl->period_s);
}

size_t ctl_join_cidrs(char *buf, size_t len, size_t o, const struct ew_cidr *v, size_t n,
		      const char *sep)
{
	char item[EW_CIDR_STRLEN];
	size_t i;

	if (o < len)
		buf[o] = '\0';
	for (i = 0; i < n && o < len; i++) {
		ew_cidr_format(&v[i], item, sizeof(item));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? sep : "", item);
	}
	return o;
}

size_t ctl_join_ports(char *buf, size_t len, size_t o, const struct ew_portspec *v, size_t n,
		      const char *sep)
{
	char item[32];
	size_t i;

	if (o < len)
		buf[o] = '\0';
	for (i = 0; i < n && o < len; i++) {
		ew_portspec_format(&v[i], item, sizeof(item));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? sep : "", item);
	}
	return o;
}

void ctl_gen_text(const struct ew_policy *pol, char *buf, size_t len)
{
	char t[40];

	ctl_iso_time((time_t)pol->applied_unix, t, sizeof(t));
	snprintf(buf, len, "%u, applied %s", pol->gen, pol->applied_unix ? t : "never");
}

void ctl_json_gen(json_t *o, const struct ew_policy *pol)
{
	char t[40];

	json_object_set_new(o, "generation", json_integer(pol->gen));
	ctl_iso_time((time_t)pol->applied_unix, t, sizeof(t));
	json_object_set_new(o, "applied", pol->applied_unix ? json_string(t) : json_null());
	json_object_set_new(o, "applied_unix", json_integer((json_int_t)pol->applied_unix));
}

json_t *ctl_json_fill(size_t n, size_t max)
{
	json_t *o = json_object();

	json_object_set_new(o, "entries", json_integer((json_int_t)n));
	json_object_set_new(o, "max", json_integer((json_int_t)max));
	return o;
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

json_t *ctl_json_cidrs(const struct ew_cidr *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, ctl_jcidr(&v[i]));
	return a;
}

json_t *ctl_json_acl(const struct ew_policy_doc *doc)
{
	json_t *a = json_array();
	char buf[32];
	size_t i;

	for (i = 0; i < doc->n_acl; i++) {
		const struct ew_acl_doc *acl = &doc->acl[i];
		json_t *o = json_object();

		ew_portspec_format(&acl->port, buf, sizeof(buf));
		json_object_set_new(o, "port", json_string(buf));
		json_object_set_new(o, "from", ctl_json_cidrs(acl->from, acl->n_from));
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
		ctl_rate_text(rl, buf, sizeof(buf));
		json_object_set_new(o, "rate", json_string(buf));
		json_object_set_new(o, "burst", json_integer(rl->burst));
		json_object_set_new(o, "count", json_string(rl->count_conn ? "conn" : "pkt"));
		json_array_append_new(a, o);
	}
	return a;
}
