// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl audit list|verify|append: the audit journal that edgewardd
 * (and edgewardctl in emergency mode) writes, read straight from its file,
 * so it works when the daemon is down. list filters and prints records,
 * verify checks every frame's hash and the chain, append writes a record
 * for tests and scripts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_audit.h"
#include "ctl.h"
#include "journal.h"

const char help_audit[] =
	"Every security event (logins, admin actions, map changes, blocks) is a\n"
	"record in a hash-chained journal, synced to disk before the action is\n"
	"reported done. 'audit' alone lists it; 'audit verify' checks it.\n"
	"The journal is --journal PATH, else $EDGEWARD_JOURNAL, else\n"
	JR_DEFAULT_PATH ".\n"
	"\n"
	"Example:\n"
	"  edgewardctl audit --type failed_login --since 1h\n"
	"  edgewardctl audit verify\n";

/* Long options without a short form. */
enum { OPT_MIN_RISK = 0x100, OPT_SINCE, OPT_JOURNAL, OPT_RISK, OPT_RESOURCE, OPT_ACTION };

static const char *journal_path(const char *opt)
{
	const char *env = getenv("EDGEWARD_JOURNAL");

	if (opt)
		return opt;
	return env && *env ? env : JR_DEFAULT_PATH;
}

static int journal_err(const char *path, int rc)
{
	if (rc == -ENOENT)
		return ctl_err("journal %s does not exist (edgewardd creates it; or give --journal "
			       "PATH or $EDGEWARD_JOURNAL)",
			       path);
	if (rc == -EACCES || rc == -EPERM)
		return ctl_err("cannot read journal %s: %s (run as root)", path, strerror(-rc));
	return ctl_err("cannot read journal %s: %s", path, strerror(-rc));
}

/* Untrusted text (from the journal) made safe for a terminal: quoted when it is not. */
static const char *cell(json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);

	if (!s || !*s)
		return "-";
	return ctl_printable(s) ? s : ew_quote(s, buf, len);
}

static bool result_valid(const char *s)
{
	return !strcmp(s, "success") || !strcmp(s, "failure") || !strcmp(s, "blocked") ||
	       !strcmp(s, "denied");
}

/* A filter or field value from the command line: printable UTF-8, at most 256 bytes. */
static int check_text(const char *opt, const char *s)
{
	char q[EW_QUOTE_LEN];

	if (!*s)
		return ctl_err("%s: empty value", opt);
	if (strlen(s) > 256)
		return ctl_err("%s %s: too long (at most 256 bytes)", opt,
			       ew_quote(s, q, sizeof(q)));
	if (!ctl_printable(s))
		return ctl_err("%s %s: control characters or invalid UTF-8", opt,
			       ew_quote(s, q, sizeof(q)));
	return CTL_OK;
}

static int check_type(const char *opt, const char *s)
{
	char q[EW_QUOTE_LEN];
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			break;
	if (!i || s[i] || i > 64)
		return ctl_err("%s %s: an event type is 1 to 64 of a-z A-Z 0-9 _ - . "
			       "(e.g. failed_login)",
			       opt, ew_quote(s, q, sizeof(q)));
	return CTL_OK;
}

static int check_result(const char *opt, const char *s)
{
	char q[EW_QUOTE_LEN];

	if (!result_valid(s))
		return ctl_err("%s %s: expected success, failure, blocked or denied", opt,
			       ew_quote(s, q, sizeof(q)));
	return CTL_OK;
}

/* ---- list ---- */

struct list {
	const char *type, *actor, *source, *result;
	bool src_is_addr;
	struct ew_cidr src;
	int64_t min_risk;	/* -1: any */
	bool has_since;
	int64_t since_us;
	uint64_t limit;		/* 0: all */
	/* output */
	uint64_t shown;
	json_t **ring;		/* with a limit: the latest matches, grown up to limit */
	uint64_t seen, cap;
	struct ctl_table tbl;
	int err;
};

static bool same_source(const struct list *l, const char *s)
{
	struct ew_cidr c;
	char err[EW_ERRLEN];

	if (!s)
		return false;
	if (!l->src_is_addr)
		return !strcmp(s, l->source);
	/* Addresses by value: 2001:db8::1 matches 2001:DB8:0::1. */
	if (ew_cidr_parse(s, EW_CIDR_ADDR, &c, err, sizeof(err)))
		return false;
	return c.family == l->src.family && !memcmp(c.addr, l->src.addr, sizeof(c.addr));
}

static bool str_is(json_t *rec, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s && !strcmp(s, want);
}

static bool matches(const struct list *l, json_t *rec)
{
	json_t *risk = json_object_get(rec, "risk");
	int64_t us;

	if (l->type && !str_is(rec, "type", l->type))
		return false;
	if (l->actor && !str_is(rec, "actor", l->actor))
		return false;
	if (l->result && !str_is(rec, "result", l->result))
		return false;
	if (l->source && !same_source(l, json_string_value(json_object_get(rec, "source"))))
		return false;
	if (l->min_risk >= 0 && (!json_is_integer(risk) || json_integer_value(risk) < l->min_risk))
		return false;
	if (l->has_since &&
	    (jr_ts_parse(json_string_value(json_object_get(rec, "ts")), &us) || us < l->since_us))
		return false;
	return true;
}

static void emit(struct list *l, json_t *rec)
{
	char seq[24], risk[24], act[600], q[7][EW_QUOTE_LEN];
	const char *action, *resource;
	json_t *r;

	if (ctl.json) {
		char *s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);

		if (!s) {
			l->err = -ENOMEM;
			return;
		}
		/* "[" with the first record, so an error before it prints only the error. */
		printf("%s%s", l->shown ? "," : "[", s);
		free(s);
		l->shown++;
		return;
	}
	snprintf(seq, sizeof(seq), "%lld",
		 (long long)json_integer_value(json_object_get(rec, "seq")));
	r = json_object_get(rec, "risk");
	if (json_is_integer(r))
		snprintf(risk, sizeof(risk), "%lld", (long long)json_integer_value(r));
	else
		snprintf(risk, sizeof(risk), "-");
	action = cell(json_object_get(rec, "action"), q[5], sizeof(q[5]));
	resource = cell(json_object_get(rec, "resource"), q[6], sizeof(q[6]));
	if (strcmp(resource, "-") && strcmp(action, "-"))
		snprintf(act, sizeof(act), "%s %s", action, resource);
	else
		snprintf(act, sizeof(act), "%s", strcmp(action, "-") ? action : resource);
	tbl_add(&l->tbl, seq, cell(json_object_get(rec, "ts"), q[0], sizeof(q[0])),
		cell(json_object_get(rec, "type"), q[1], sizeof(q[1])),
		cell(json_object_get(rec, "actor"), q[2], sizeof(q[2])),
		cell(json_object_get(rec, "source"), q[3], sizeof(q[3])), act,
		cell(json_object_get(rec, "result"), q[4], sizeof(q[4])), risk);
	l->shown++;
}

static int list_cb(uint64_t seq, json_t *rec, void *arg)
{
	struct list *l = arg;

	(void)seq;
	if (!matches(l, rec))
		return 0;
	if (!l->limit) {
		emit(l, rec);
		return l->err;
	}
	/*
	 * Keep the latest limit matches in a ring, printed oldest first. It grows
	 * with what the journal holds, not with the number asked for.
	 */
	if (l->seen < l->limit && l->seen == l->cap) {
		uint64_t cap = l->cap ? l->cap * 2 : 64;
		json_t **g;

		if (cap > l->limit)
			cap = l->limit;
		g = realloc(l->ring, cap * sizeof(*g));
		if (!g)
			return l->err = -ENOMEM;
		l->ring = g;
		l->cap = cap;
	}
	if (l->seen >= l->limit)
		json_decref(l->ring[l->seen % l->limit]);
	l->ring[l->seen % l->limit] = json_incref(rec);
	l->seen++;
	return 0;
}

static int parse_since(const char *s, struct list *l)
{
	char err[EW_ERRLEN], q[EW_QUOTE_LEN];
	struct timespec now;
	uint64_t ns;

	if (!jr_ts_parse(s, &l->since_us)) {
		l->has_since = true;
		return CTL_OK;
	}
	if (ew_duration_parse(s, &ns, err, sizeof(err)) || !ns)
		return ctl_err("--since %s: expected a duration (15m, 2h, 7d) or an RFC 3339 time "
			       "(2025-01-02T03:04:05Z)",
			       ew_quote(s, q, sizeof(q)));
	clock_gettime(CLOCK_REALTIME, &now);
	l->since_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - (int64_t)(ns / 1000);
	l->has_since = true;
	return CTL_OK;
}

static void report_scan(const char *path, const struct jr_scan *res)
{
	if (res->status == JR_TORN_TAIL)
		ctl_warn("journal %s: torn last record at offset %lld (%lld bytes; %s); edgewardd "
			 "drops it when it next opens the journal",
			 path, (long long)res->bad_offset,
			 (long long)(res->file_bytes - res->bad_offset), res->why);
	else if (res->status != JR_OK)
		ctl_warn("journal %s damaged: %s at seq %llu (offset %lld): %s; records from "
			 "there on are not listed; run 'edgewardctl audit verify'",
			 path, jr_status_name(res->status), (unsigned long long)res->bad_seq,
			 (long long)res->bad_offset, res->why);
}

static int cmd_audit_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "actor", required_argument, NULL, 'a' },
		{ "source", required_argument, NULL, 's' },
		{ "result", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' },
		{ "min-risk", required_argument, NULL, OPT_MIN_RISK },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "journal", required_argument, NULL, OPT_JOURNAL },
		{ 0 }
	};
	struct list l = { .min_risk = -1 };
	const char *path = NULL;
	struct jr_scan res;
	uint64_t v;
	int c, r, rc = CTL_ERR;
	char err[EW_ERRLEN];

	while ((c = ctl_getopt(argc, argv, "t:a:s:r:n:", opts)) != -1) {
		switch (c) {
		case 't':
			if (check_type("--type", optarg))
				return CTL_ERR;
			l.type = optarg;
			break;
		case 'a':
			if (check_text("--actor", optarg))
				return CTL_ERR;
			l.actor = optarg;
			break;
		case 's':
			if (check_text("--source", optarg))
				return CTL_ERR;
			l.source = optarg;
			l.src_is_addr = !ew_cidr_parse(optarg, EW_CIDR_ADDR, &l.src, err,
						       sizeof(err));
			break;
		case 'r':
			if (check_result("--result", optarg))
				return CTL_ERR;
			l.result = optarg;
			break;
		case 'n':
			if (ctl_u64("--limit", optarg, 1, 1000000000, &v))
				return CTL_ERR;
			l.limit = v;
			break;
		case OPT_MIN_RISK:
			if (ctl_u64("--min-risk", optarg, 0, 100, &v))
				return CTL_ERR;
			l.min_risk = (int64_t)v;
			break;
		case OPT_SINCE:
			if (parse_since(optarg, &l))
				return CTL_ERR;
			break;
		case OPT_JOURNAL:
			if (!*optarg)
				return ctl_usage("--journal needs a path");
			path = optarg;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	path = journal_path(path);
	if (!ctl.json)
		tbl_init(&l.tbl, 8, 0x81, "SEQ", "TIME", "TYPE", "ACTOR", "SOURCE", "ACTION",
			 "RESULT", "RISK");
	r = jr_scan(path, list_cb, &l, &res);
	if (r) {
		if (ctl.json && l.shown)
			fputs("]\n", stdout);
		if (l.err)
			ctl_err("out of memory");
		else
			journal_err(path, r);
		goto out;
	}
	if (l.limit) {
		uint64_t n = l.seen < l.limit ? l.seen : l.limit, i;

		for (i = l.seen - n; i < l.seen; i++)
			emit(&l, l.ring[i % l.limit]);
	}
	if (ctl.json) {
		fputs(l.shown ? "]\n" : "[]\n", stdout);
	} else if (l.shown) {
		tbl_print(&l.tbl, stdout);
	} else {
		ctl_info("no matching records (%llu in %s)", (unsigned long long)res.records, path);
	}
	fflush(stdout);
	report_scan(path, &res);
	rc = res.status == JR_OK || res.status == JR_TORN_TAIL ? CTL_OK : CTL_ERR;
out:
	if (!ctl.json)
		tbl_free(&l.tbl);
	if (l.ring) {
		uint64_t i;

		for (i = 0; i < l.limit && i < l.seen; i++)
			json_decref(l.ring[i]);
		free(l.ring);
	}
	return rc;
}

/* ---- verify ---- */

static int cmd_audit_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal", required_argument, NULL, OPT_JOURNAL },
		{ 0 }
	};
	const char *path = NULL;
	struct jr_scan res;
	bool ok;
	int c, r;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_JOURNAL:
			if (!*optarg)
				return ctl_usage("--journal needs a path");
			path = optarg;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	path = journal_path(path);
	r = jr_scan(path, NULL, NULL, &res);
	if (r)
		return journal_err(path, r);
	/* A torn tail is what a crash mid-append leaves; everything before it is sound. */
	ok = res.status == JR_OK || res.status == JR_TORN_TAIL;
	if (ctl.json) {
		json_t *o = json_object();
		bool bad = res.status != JR_OK;

		json_object_set_new(o, "ok", json_boolean(ok));
		json_object_set_new(o, "journal", ctl_jstr(path));
		json_object_set_new(o, "records", json_integer((json_int_t)res.records));
		json_object_set_new(o, "last_seq", json_integer((json_int_t)res.last_seq));
		json_object_set_new(o, "bytes", json_integer((json_int_t)res.file_bytes));
		json_object_set_new(o, "status", json_string(jr_status_name(res.status)));
		json_object_set_new(o, "bad_seq",
				    bad ? json_integer((json_int_t)res.bad_seq) : json_null());
		json_object_set_new(o, "offset",
				    bad ? json_integer((json_int_t)res.bad_offset) : json_null());
		json_object_set_new(o, "why", bad ? json_string(res.why) : json_null());
		json_object_set_new(o, "later_frames",
				    json_integer((json_int_t)res.later_frames));
		ctl_json_print(o);
		return ok ? CTL_OK : CTL_ERR;
	}
	if (ok) {
		printf("journal OK: %llu records, last seq %llu\n", (unsigned long long)res.records,
		       (unsigned long long)res.last_seq);
		if (res.status == JR_TORN_TAIL)
			report_scan(path, &res);
		return CTL_OK;
	}
	printf("journal DAMAGED: %s at seq %llu (offset %lld): %s; the %llu records before it "
	       "are sound, %llu sound frames follow it\n",
	       jr_status_name(res.status), (unsigned long long)res.bad_seq,
	       (long long)res.bad_offset, res.why, (unsigned long long)res.records,
	       (unsigned long long)res.later_frames);
	return CTL_ERR;
}

/* ---- append (tests and scripts) ---- */

static int cmd_audit_append(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "actor", required_argument, NULL, 'a' },
		{ "source", required_argument, NULL, 's' },
		{ "result", required_argument, NULL, 'r' },
		{ "risk", required_argument, NULL, OPT_RISK },
		{ "resource", required_argument, NULL, OPT_RESOURCE },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "journal", required_argument, NULL, OPT_JOURNAL },
		{ 0 }
	};
	const char *path = NULL, *type = NULL, *actor = NULL, *source = "local";
	const char *result = "success", *resource = NULL, *action = NULL;
	char uid[32], err[512], id[JR_UUID_LEN + 1];
	uint64_t risk = 0;
	struct jr *j = NULL;
	json_t *rec = NULL;
	int c, r, rc = CTL_ERR;

	while ((c = ctl_getopt(argc, argv, "t:a:s:r:", opts)) != -1) {
		switch (c) {
		case 't':
			if (check_type("--type", optarg))
				return CTL_ERR;
			type = optarg;
			break;
		case 'a':
			if (check_text("--actor", optarg))
				return CTL_ERR;
			actor = optarg;
			break;
		case 's':
			if (check_text("--source", optarg))
				return CTL_ERR;
			source = optarg;
			break;
		case 'r':
			if (check_result("--result", optarg))
				return CTL_ERR;
			result = optarg;
			break;
		case OPT_RISK:
			if (ctl_u64("--risk", optarg, 0, 100, &risk))
				return CTL_ERR;
			break;
		case OPT_RESOURCE:
			if (check_text("--resource", optarg))
				return CTL_ERR;
			resource = optarg;
			break;
		case OPT_ACTION:
			if (check_text("--action", optarg))
				return CTL_ERR;
			action = optarg;
			break;
		case OPT_JOURNAL:
			if (!*optarg)
				return ctl_usage("--journal needs a path");
			path = optarg;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	if (!type)
		return ctl_usage("missing --type (e.g. --type admin_action)");
	if (!actor) {
		/* Local commands are recorded as the user who ran them. */
		if (getuid() == 0)
			snprintf(uid, sizeof(uid), "root");
		else
			snprintf(uid, sizeof(uid), "uid:%u", (unsigned int)getuid());
		actor = uid;
	}
	path = journal_path(path);
	rec = jr_event(type, actor, source, resource, action, result, (int)risk);
	if (!rec)
		return ctl_err("out of memory");
	r = jr_open(path, &j, err, sizeof(err));
	if (r) {
		ctl_err("%s", err);
		goto out;
	}
	/* Damage found by jr_open (err set) is already logged; the append goes after it. */
	r = jr_append(j, rec, id);
	if (r) {
		ctl_err("appending to %s: %s", path, strerror(-r));
		goto out;
	}
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "seq", json_integer((json_int_t)jr_last_seq(j)));
		json_object_set_new(o, "id", json_string(id));
		ctl_json_print(o);
	} else if (!ctl.quiet) {
		printf("appended seq %llu id %s\n", (unsigned long long)jr_last_seq(j), id);
	}
	rc = CTL_OK;
out:
	jr_close(j);
	json_decref(rec);
	return rc;
}

static const struct ctl_cmd audit_cmds[] = {
	{ "list", cmd_audit_list, "list records, oldest first, with filters",
	  "audit [list] [--type T] [--actor A] [--source S] [--result R] [--min-risk N] "
	  "[--since DURATION|TIME] [--limit N] [--journal PATH]",
	  "List the journal's records as a table (SEQ, TIME, TYPE, ACTOR, SOURCE,\n"
	  "ACTION, RESULT, RISK) or, with -j, as one JSON array of the records as\n"
	  "stored. Filters combine (all must hold). Listing stops at damage, with a\n"
	  "warning and exit status 1 (the records before it are printed); a torn last\n"
	  "record only warns.\n"
	  "\n"
	  "Options:\n"
	  "  -t, --type T          event type, exactly (failed_login, admin_action, ...)\n"
	  "  -a, --actor A         user name, root or uid:N, exactly\n"
	  "  -s, --source S        client address (compared by value) or unix/local\n"
	  "  -r, --result R        success, failure, blocked or denied\n"
	  "      --min-risk N      risk score N (0..100) or more\n"
	  "      --since X         newer than a duration ago (15m, 2h, 7d) or an RFC 3339\n"
	  "                        time (2025-01-02T03:04:05Z)\n"
	  "  -n, --limit N         only the latest N matching records\n"
	  "      --journal PATH    the journal (default $EDGEWARD_JOURNAL or " JR_DEFAULT_PATH
	  ")\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl audit list --result failure --min-risk 50 --since 24h\n" },
	{ "verify", cmd_audit_verify, "check every record's hash and the chain",
	  "audit verify [--journal PATH]",
	  "Read the whole journal and check each frame (magic, length, SHA-256 hash),\n"
	  "the sequence (1, 2, 3, ...) and the chain (each frame names the hash of the\n"
	  "one before). Prints \"journal OK: N records, last seq S\" and exits 0, or\n"
	  "names the first damaged record by seq and byte offset and exits 1. A torn\n"
	  "last record (a crash during an append) is a warning with exit 0: edgewardd\n"
	  "drops it when it next opens the journal. The chain has no key: it shows\n"
	  "accidents and edits in place, not a rewrite of the whole file or a cut of\n"
	  "the newest records.\n"
	  "\n"
	  "Options:\n"
	  "      --journal PATH    the journal (default $EDGEWARD_JOURNAL or " JR_DEFAULT_PATH
	  ")\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j audit verify\n" },
	{ "append", cmd_audit_append, "append a record (for tests and scripts)",
	  "audit append --type T [--actor A] [--source S] [--result R] [--risk N] "
	  "[--resource X] [--action Y] [--journal PATH]",
	  "Append one record through the same code as edgewardd, synced to disk\n"
	  "before this returns. For tests and scripts: events of the platform are\n"
	  "recorded by edgewardd itself. The actor defaults to root or uid:N, the\n"
	  "source to local, the result to success, the risk to 0.\n"
	  "\n"
	  "Options:\n"
	  "  -t, --type T          event type (required)\n"
	  "  -a, --actor A         who\n"
	  "  -s, --source S        from where (an address, unix or local)\n"
	  "  -r, --result R        success, failure, blocked or denied\n"
	  "      --risk N          risk score 0..100\n"
	  "      --resource X      what was acted on\n"
	  "      --action Y        what was done\n"
	  "      --journal PATH    the journal (created 0600 if missing)\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl audit append --type admin_action --action restart --resource nginx\n" },
	{ 0 }
};

int cmd_audit(int argc, char **argv)
{
	/* "audit" alone, or followed by options, is "audit list". */
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return ctl_group_help(audit_cmds, stdout);
	if (argc < 2 || argv[1][0] == '-')
		return cmd_audit_list(argc, argv);
	return ctl_dispatch(audit_cmds, argc - 1, argv + 1);
}
