// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl policy show|set and apply FILE, through the policy.* and apply
 * operations (ops_policy.c).
 *
 * apply is all or nothing: the file is loaded, validated and compiled, the
 * blocklist's capacity is checked, then its block: entries are written with
 * origin policy, the policy-owned blocks the file no longer lists are
 * removed, and the policy is committed in one swap. When any step fails, the
 * block changes already made are undone. Blocks of other origins (manual,
 * import, auto, fleet) are never touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "policy_doc.h"

/*
 * The default-policy flags: "deny" or "drop" (on) versus "allow". opt is the
 * policy set option and the text's label, key the JSON key under "default".
 */
static const struct pol_flag {
	const char *opt, *key, *on;
} pol_flags[] = {
	{ "default-tcp", "tcp", "deny" },  { "default-udp", "udp", "deny" },
	{ "default-icmp", "icmp", "deny" }, { "bogons", "bogons", "drop" },
	{ "v4mapped", "v4mapped", "drop" }, { "non-ip", "non_ip", "drop" },
};
#define N_FLAGS	  (sizeof(pol_flags) / sizeof(pol_flags[0]))
#define N_DEFAULT 3	/* the first three make the text's "default" line */

/* ---- show ---- */

/* Text form: one aligned "key  value" line each. */
static void policy_text(json_t *o)
{
	json_t *d = json_object_get(o, "default"), *ev = json_object_get(o, "events");
	json_t *open = json_object_get(o, "open"), *allow = json_object_get(o, "allow");
	json_t *acl = json_object_get(o, "acl"), *rls = json_object_get(o, "ratelimit"), *x;
	struct ctl_table t;
	char line[512];
	size_t i, n;

	tbl_init(&t, 2, 0, "POLICY", "");
	if (json_object_get(o, "generation")) {
		ctl_gen_text(o, line, sizeof(line));
		tbl_add(&t, "generation", line);
	}
	for (n = 0, i = 0; i < N_DEFAULT; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s", i ? ", " : "",
				      pol_flags[i].key, ctl_js(d, pol_flags[i].key));
	tbl_add(&t, "default", line);
	for (i = N_DEFAULT; i < N_FLAGS; i++)
		tbl_add(&t, pol_flags[i].opt, ctl_js(d, pol_flags[i].key));
	ctl_join(line, sizeof(line), 0, open, ", ");
	tbl_add(&t, "open", json_array_size(open) ? line : "-");
	ctl_join(line, sizeof(line), 0, allow, ", ");
	tbl_add(&t, "allow", json_array_size(allow) ? line : "-");
	if (!json_array_size(acl))
		tbl_add(&t, "acl", "-");
	json_array_foreach(acl, i, x) {
		n = (size_t)snprintf(line, sizeof(line), "%s from ", ctl_js(x, "port"));
		ctl_join(line, sizeof(line), n, json_object_get(x, "from"), ", ");
		tbl_add(&t, i ? "" : "acl", line);
	}
	if (!json_array_size(rls))
		tbl_add(&t, "ratelimit", "-");
	json_array_foreach(rls, i, x) {
		n = (size_t)snprintf(line, sizeof(line),
				     "%s: %s burst %lld per source, counting %s, on ",
				     ctl_js(x, "name"), ctl_js(x, "rate"), ctl_ji(x, "burst"),
				     strcmp(ctl_js(x, "count"), "conn") ? "packets" :
									  "connections");
		ctl_join(line, sizeof(line), n, json_object_get(x, "ports"), ", ");
		tbl_add(&t, i ? "" : "ratelimit", line);
	}
	if (ctl_ji(ev, "sample"))
		snprintf(line, sizeof(line), "1 in %lld drops, at most %lld a second",
			 ctl_ji(ev, "sample"), ctl_ji(ev, "max_per_sec"));
	else
		snprintf(line, sizeof(line), "off");
	tbl_add(&t, "events", line);
	tbl_print_rows(&t, stdout);
	tbl_free(&t);
}

static int cmd_policy_show(int argc, char **argv)
{
	json_t *req, *out = NULL;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	req = json_object();
	rc = ctl_op("policy.show", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	policy_text(out);
	json_decref(out);
	return CTL_OK;
}

/* ---- set ---- */

/* The object key of req, created when missing. */
static json_t *sub(json_t *req, const char *key)
{
	json_t *o = json_object_get(req, key);

	if (!o) {
		o = json_object();
		json_object_set_new(req, key, o);
	}
	return o;
}

static int flag_opt(const struct pol_flag *f, const char *v, json_t *req)
{
	char q[EW_QUOTE_LEN];

	if (strcmp(v, f->on) && strcmp(v, "allow"))
		return ctl_err("--%s %s: expected %s or allow", f->opt, ew_quote(v, q, sizeof(q)),
			       f->on);
	json_object_set_new(sub(req, "default"), f->key, json_string(v));
	return CTL_OK;
}

/* A port list option as an array of canonical specs; *ports (malloc'd) for the checks. */
static int port_opt(const char *opt, const char *v, json_t *req, const char *key,
		    struct ew_portspec **ports, size_t *n)
{
	char err[EW_ERRLEN], buf[32];
	json_t *a;
	size_t i;

	free(*ports);
	*ports = NULL;
	*n = 0;
	if (ew_portlist_parse(v, EW_PI_TCP, ports, n, err, sizeof(err)))
		return ctl_err("--%s: %s", opt, err);
	a = json_array();
	for (i = 0; i < *n; i++) {
		ew_portspec_format(&(*ports)[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	json_object_set_new(req, key, a);
	return CTL_OK;
}

static bool same_port(const struct ew_portspec *a, const struct ew_portspec *b)
{
	return a->proto_idx == b->proto_idx && a->lo == b->lo && a->hi == b->hi;
}

enum {
	OPT_FLAG = 0x100,	/* OPT_FLAG + i: pol_flags[i] */
	OPT_OPEN = OPT_FLAG + N_FLAGS, OPT_CLOSE, OPT_EVSAMPLE, OPT_EVMAX,
};

static int cmd_policy_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "default-tcp", required_argument, NULL, OPT_FLAG + 0 },
		{ "default-udp", required_argument, NULL, OPT_FLAG + 1 },
		{ "default-icmp", required_argument, NULL, OPT_FLAG + 2 },
		{ "bogons", required_argument, NULL, OPT_FLAG + 3 },
		{ "v4mapped", required_argument, NULL, OPT_FLAG + 4 },
		{ "non-ip", required_argument, NULL, OPT_FLAG + 5 },
		{ "open", required_argument, NULL, OPT_OPEN },
		{ "close", required_argument, NULL, OPT_CLOSE },
		{ "events-sample", required_argument, NULL, OPT_EVSAMPLE },
		{ "events-max", required_argument, NULL, OPT_EVMAX },
		{ 0 }
	};
	struct ew_portspec *open = NULL, *close = NULL;
	size_t n_open = 0, n_close = 0, i, j;
	json_t *req = json_object(), *out = NULL;
	uint64_t v;
	bool any = false;
	char buf[32];
	int c, r = 0;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		any = true;
		switch (c) {
		case OPT_OPEN:
			r = port_opt("open", optarg, req, "open", &open, &n_open);
			break;
		case OPT_CLOSE:
			r = port_opt("close", optarg, req, "close", &close, &n_close);
			break;
		case OPT_EVSAMPLE:
			r = ctl_u64("--events-sample", optarg, 0, 1000000, &v);
			json_object_set_new(sub(req, "events"), "sample",
					    json_integer((json_int_t)v));
			break;
		case OPT_EVMAX:
			r = ctl_u64("--events-max", optarg, 0, 10000000, &v);
			json_object_set_new(sub(req, "events"), "max_per_sec",
					    json_integer((json_int_t)v));
			break;
		case CTL_OPT_DONE:
			r = ctl.opt_rc;
			goto out;
		default:
			r = flag_opt(&pol_flags[c - OPT_FLAG], optarg, req);
		}
		if (r)
			goto out;
	}
	if (optind < argc)
		r = ctl_usage("unexpected argument '%s'", argv[optind]);
	else if (!any)
		r = ctl_usage("nothing to change (see 'edgewardctl policy set --help')");
	for (i = 0; !r && i < n_close; i++) {
		for (j = 0; j < n_open && !same_port(&open[j], &close[i]); j++)
			;
		if (j < n_open) {
			ew_portspec_format(&close[i], buf, sizeof(buf));
			r = ctl_err("%s is in both --open and --close", buf);
		}
	}
	if (!r)
		r = ctl_op("policy.set", req, &out);
	if (r)
		goto out;
	if (ctl.json) {
		r = ctl_json_print(out) ? CTL_ERR : CTL_OK;
		out = NULL;
	} else {
		ctl_info("policy updated (generation %lld)", ctl_ji(out, "generation"));
	}
out:
	json_decref(req);
	json_decref(out);
	free(open);
	free(close);
	return r;
}

static const struct ctl_cmd policy_cmds[] = {
	{ "show", cmd_policy_show, "show the live policy", "policy show",
	  "Print the live policy: generation and time of the last change, the default\n"
	  "policy, open ports, allowlist, service ACLs, rate-limit classes and the drop\n"
	  "event settings. With -j the output has the shape of a policy file.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j policy show\n" },
	{ "set", cmd_policy_set, "change the default policy",
	  "policy set [--default-tcp deny|allow] [--default-udp deny|allow] "
	  "[--default-icmp deny|allow]\n"
	  "            [--bogons drop|allow] [--v4mapped drop|allow] [--non-ip drop|allow]\n"
	  "            [--open P,P...] [--close P,P...] [--events-sample N] [--events-max N]",
	  "Change the default policy; everything not named keeps its value. Under\n"
	  "default-deny, new connections (TCP SYN; any UDP datagram; ICMP messages) to\n"
	  "ports that are not open are dropped (reason default-deny).\n"
	  "\n"
	  "Options:\n"
	  "      --default-tcp deny|allow   new TCP connections to ports not open\n"
	  "      --default-udp deny|allow   UDP to ports not open\n"
	  "      --default-icmp deny|allow  ICMP types not open (ICMPv6 ND always passes)\n"
	  "      --bogons drop|allow        martian source addresses\n"
	  "      --v4mapped drop|allow      IPv4-mapped/compatible IPv6 sources\n"
	  "      --non-ip drop|allow        ethertypes other than IPv4, IPv6 and ARP\n"
	  "      --open P,P...              open ports, e.g. 80/tcp,443/tcp,8/icmp\n"
	  "      --close P,P...             close ports that were opened exactly so\n"
	  "      --events-sample N          send 1 in N drops as events (0: none)\n"
	  "      --events-max N             at most N events a second\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl policy set --default-tcp deny --open 80/tcp,443/tcp --bogons drop\n" },
	{ 0 }
};

int cmd_policy(int argc, char **argv)
{
	return ctl_dispatch(policy_cmds, argc - 1, argv + 1);
}

/* ---- apply ---- */

const char help_apply[] =
	"Load FILE (see examples/edgeward.yaml), check every key and value, compile it,\n"
	"check that the blocklist can hold its block: entries, then write them (origin\n"
	"policy), remove the policy blocks the file no longer lists, and switch to the\n"
	"new policy in one step. Any error, reported as FILE:LINE:COL, leaves\n"
	"everything as it was. Blocks added by hand, by import or automatically are\n"
	"never touched.\n"
	"\n"
	"Options:\n"
	"  -f, --force         allow 0.0.0.0/0 or ::/0 in allow, acl and block\n"
	"  -n, --dry-run       check and show what would change, change nothing\n"
	"\n"
	"Example:\n"
	"  edgewardctl apply --dry-run examples/edgeward.yaml && edgewardctl apply "
	"examples/edgeward.yaml\n";

/*
 * The policy file as it is, for the request. Refused like the library
 * refuses it (missing, a directory, over 16 MiB), with its messages.
 */
#define APPLY_MAX (16U << 20)

static int read_policy(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t cap = 65536;
	ssize_t got;
	char *b = NULL, *nb;
	int fd, rc = CTL_ERR;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ctl_err("%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ctl_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ctl_err("%s: is a directory, not a policy file", path);
		goto out;
	}
	/* Room for one byte past the limit, so that a larger file is seen. */
	if (S_ISREG(st.st_mode))
		cap = (size_t)(st.st_size < APPLY_MAX ? st.st_size : APPLY_MAX) + 2;
	b = malloc(cap);
	if (!b) {
		ctl_err("out of memory");
		goto out;
	}
	for (;;) {
		if (*len + 1 >= cap) {
			cap = cap * 2 > APPLY_MAX + 2 ? APPLY_MAX + 2 : cap * 2;
			nb = realloc(b, cap);
			if (!nb) {
				ctl_err("out of memory");
				goto out;
			}
			b = nb;
		}
		got = read(fd, b + *len, cap - 1 - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ctl_err("%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (!got)
			break;
		*len += (size_t)got;
		if (*len > APPLY_MAX) {
			ctl_err("%s: larger than %u MiB; a policy file is not that large", path,
				APPLY_MAX >> 20);
			goto out;
		}
	}
	b[*len] = '\0';
	*buf = b;
	b = NULL;
	rc = CTL_OK;
out:
	free(b);
	close(fd);
	return rc;
}

/*
 * A file that is not UTF-8 or holds NUL bytes cannot travel as a JSON
 * string (the daemon refuses NULs in requests): the library says here what
 * is wrong with it, as it always did.
 */
static int not_text(const char *path, bool force)
{
	char err[EW_ERRLEN] = "";
	struct ew_policy_doc doc;
	int r;

	r = ew_policy_doc_load(path, force, &doc, NULL, err, sizeof(err));
	ew_policy_doc_free(&doc);
	if (r)
		return ctl_err("%s", err[0] ? err : strerror(-r));
	return ctl_err("%s: not UTF-8 text", path);
}

static void apply_text(json_t *o, const char *path)
{
	bool dry = json_is_true(json_object_get(o, "dry_run"));
	bool loaded = !dry || json_is_true(json_object_get(o, "loaded"));
	json_t *p = json_object_get(o, "policy"), *b = json_object_get(o, "blocks");

	if (ctl.quiet)
		return;
	if (dry)
		printf("%s is valid%s\n", path,
		       loaded ? "; nothing was changed (dry run)" :
				"; edgeward is not loaded, so nothing to compare");
	else
		printf("applied %s (policy generation %lld)\n", path, ctl_ji(o, "generation"));
	printf("policy: %zu open ports, %zu allowlist entries, %zu ACLs, %zu rate-limit classes\n",
	       json_array_size(json_object_get(p, "open")),
	       json_array_size(json_object_get(p, "allow")),
	       json_array_size(json_object_get(p, "acl")),
	       json_array_size(json_object_get(p, "ratelimit")));
	if (loaded)
		printf("blocks: %zu %s, %zu %s, %zu %s, %zu kept (not policy-owned)\n",
		       json_array_size(json_object_get(b, "added")), dry ? "to add" : "added",
		       json_array_size(json_object_get(b, "updated")),
		       dry ? "to update" : "updated",
		       json_array_size(json_object_get(b, "removed")),
		       dry ? "to remove" : "removed", json_array_size(json_object_get(b, "kept")));
	else
		printf("blocks: %zu in the file\n", json_array_size(json_object_get(b, "added")));
}

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ 0 }
	};
	json_t *req = NULL, *out = NULL, *yaml;
	bool force = false, dry = false;
	const char *path;
	char *text = NULL;
	size_t len;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "fn", opts)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'n':
			dry = true;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind >= argc)
		return ctl_usage("missing FILE");
	if (optind + 1 < argc)
		return ctl_usage("unexpected argument '%s' (one FILE at a time)", argv[optind + 1]);
	path = argv[optind];
	rc = read_policy(path, &text, &len);
	if (rc)
		return rc;
	yaml = memchr(text, '\0', len) ? NULL : json_stringn(text, len);
	free(text);
	if (!yaml)
		return not_text(path, force);
	/* The file travels as text; the operation names it by what we were given. */
	req = json_object();
	json_object_set_new(req, "yaml", yaml);
	json_object_set_new(req, "name", ctl_jstr(path));
	if (dry)
		json_object_set_new(req, "dry_run", json_true());
	if (force)
		json_object_set_new(req, "force", json_true());
	rc = ctl_op("apply", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	apply_text(out, path);
	json_decref(out);
	return CTL_OK;
}
