// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl policy show|set and apply FILE.
 *
 * apply is all or nothing: the file is loaded, validated and compiled, the
 * blocklist's capacity is checked, then its block: entries are written with
 * origin policy, the policy-owned blocks the file no longer lists are
 * removed, and the policy is committed in one swap. When any step fails, the
 * block changes already made are undone. Blocks of other origins (manual,
 * import, auto, fleet) are never touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "ctl.h"

/*
 * The default-policy flags: "deny" or "drop" (on) versus "allow". opt is the
 * policy set option and the text key, key the JSON key ("tcp" under default).
 */
static const struct pol_flag {
	const char *opt, *key, *on;
	uint32_t bit;
} pol_flags[] = {
	{ "default-tcp", "tcp", "deny", EW_POL_TCP_DENY },
	{ "default-udp", "udp", "deny", EW_POL_UDP_DENY },
	{ "default-icmp", "icmp", "deny", EW_POL_ICMP_DENY },
	{ "bogons", "bogons", "drop", EW_POL_BOGONS },
	{ "v4mapped", "v4mapped", "drop", EW_POL_V4MAPPED },
	{ "non-ip", "non_ip", "drop", EW_POL_NONIP_DROP },
};
#define N_FLAGS	  (sizeof(pol_flags) / sizeof(pol_flags[0]))
#define N_DEFAULT 3	/* the first three make the text's "default" line */

static const char *flag_word(const struct ew_policy_doc *doc, const struct pol_flag *f)
{
	return doc->flags & f->bit ? f->on : "allow";
}

/* ---- show ---- */

static json_t *policy_json(const struct ew_policy_doc *doc, const struct ew_policy *pol)
{
	json_t *o = json_object(), *d = json_object(), *ev = json_object();
	size_t i;

	if (pol)
		ctl_json_gen(o, pol);
	for (i = 0; i < N_FLAGS; i++)
		json_object_set_new(d, pol_flags[i].key,
				    json_string(flag_word(doc, &pol_flags[i])));
	json_object_set_new(o, "default", d);
	json_object_set_new(o, "open", ctl_json_portlist(doc->open, doc->n_open));
	json_object_set_new(o, "allow", ctl_json_cidrs(doc->allow, doc->n_allow));
	json_object_set_new(o, "acl", ctl_json_acl(doc));
	json_object_set_new(o, "ratelimit", ctl_json_rl(doc));
	json_object_set_new(ev, "sample", json_integer(doc->ev_sample));
	json_object_set_new(ev, "max_per_sec", json_integer(doc->ev_max_per_s));
	json_object_set_new(o, "events", ev);
	return o;
}

/* Text form: one aligned "key  value" line each. */
static void policy_text(const struct ew_policy_doc *doc, const struct ew_policy *pol)
{
	struct ctl_table t;
	char buf[64], line[512];
	size_t i, o;

	tbl_init(&t, 2, 0, "POLICY", "");
	if (pol) {
		ctl_gen_text(pol, line, sizeof(line));
		tbl_add(&t, "generation", line);
	}
	for (o = 0, i = 0; i < N_DEFAULT; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %s", i ? ", " : "",
				      pol_flags[i].key, flag_word(doc, &pol_flags[i]));
	tbl_add(&t, "default", line);
	for (i = N_DEFAULT; i < N_FLAGS; i++)
		tbl_add(&t, pol_flags[i].opt, flag_word(doc, &pol_flags[i]));
	ctl_join_ports(line, sizeof(line), 0, doc->open, doc->n_open, ", ");
	tbl_add(&t, "open", doc->n_open ? line : "-");
	ctl_join_cidrs(line, sizeof(line), 0, doc->allow, doc->n_allow, ", ");
	tbl_add(&t, "allow", doc->n_allow ? line : "-");
	if (!doc->n_acl)
		tbl_add(&t, "acl", "-");
	for (i = 0; i < doc->n_acl; i++) {
		ew_portspec_format(&doc->acl[i].port, buf, sizeof(buf));
		o = (size_t)snprintf(line, sizeof(line), "%s from ", buf);
		ctl_join_cidrs(line, sizeof(line), o, doc->acl[i].from, doc->acl[i].n_from, ", ");
		tbl_add(&t, i ? "" : "acl", line);
	}
	if (!doc->n_rl)
		tbl_add(&t, "ratelimit", "-");
	for (i = 0; i < doc->n_rl; i++) {
		const struct ew_rl_doc *rl = &doc->rl[i];
		char rate[32];

		ctl_rate_text(rl, rate, sizeof(rate));
		o = (size_t)snprintf(line, sizeof(line),
				     "%s: %s burst %u per source, counting %s, on ", rl->name, rate,
				     rl->burst, rl->count_conn ? "connections" : "packets");
		ctl_join_ports(line, sizeof(line), o, rl->ports, rl->n_ports, ", ");
		tbl_add(&t, i ? "" : "ratelimit", line);
	}
	if (doc->ev_sample)
		snprintf(line, sizeof(line), "1 in %u drops, at most %u a second", doc->ev_sample,
			 doc->ev_max_per_s);
	else
		snprintf(line, sizeof(line), "off");
	tbl_add(&t, "events", line);
	tbl_print_rows(&t, stdout);
	tbl_free(&t);
}

static int policy_show(struct ctl_policy *p)
{
	if (ctl.json)
		ctl_json_print(policy_json(&p->doc, p->pol));
	else
		policy_text(&p->doc, p->pol);
	return CTL_OK;
}

static int cmd_policy_show(int argc, char **argv)
{
	return ctl_policy_view(argc, argv, policy_show);
}

/* ---- set ---- */

/* What set changes: flags to set and to clear, ports to open and to close. */
struct pol_set {
	uint32_t set, clear;
	struct ew_portspec *open, *close;
	size_t n_open, n_close;
	uint64_t ev_sample, ev_max;
	bool have_sample, have_max;
};

static int flag_opt(const struct pol_flag *f, const char *v, struct pol_set *s)
{
	char q[EW_QUOTE_LEN];

	if (!strcmp(v, f->on)) {
		s->set |= f->bit;
		s->clear &= ~f->bit;
	} else if (!strcmp(v, "allow")) {
		s->clear |= f->bit;
		s->set &= ~f->bit;
	} else {
		return ctl_err("--%s %s: expected %s or allow", f->opt, ew_quote(v, q, sizeof(q)),
			       f->on);
	}
	return CTL_OK;
}

static int pol_set_apply(struct ctl_policy *p)
{
	struct ew_policy_doc *doc = &p->doc;
	struct pol_set *s = p->arg;
	struct ew_portspec *grown;
	char buf[32];
	size_t i;

	doc->flags = (doc->flags | s->set) & ~s->clear;
	if (s->have_sample)
		doc->ev_sample = (uint32_t)s->ev_sample;
	if (s->have_max)
		doc->ev_max_per_s = (uint32_t)s->ev_max;
	for (i = 0; i < s->n_close; i++) {
		ssize_t k = ctl_find_port(doc->open, doc->n_open, &s->close[i]);

		if (k < 0) {
			ew_portspec_format(&s->close[i], buf, sizeof(buf));
			return ctl_err("--close %s: not an open port (see 'edgewardctl policy show'; "
				       "ranges close as they were opened)",
				       buf);
		}
		CTL_ARRAY_DEL(doc->open, doc->n_open, k);
	}
	if (s->n_open) {
		grown = ctl_grow(doc->open, doc->n_open, s->n_open, sizeof(*grown));
		if (!grown)
			return CTL_ERR;
		doc->open = grown;
		for (i = 0; i < s->n_open; i++)
			if (ctl_find_port(doc->open, doc->n_open, &s->open[i]) < 0)
				doc->open[doc->n_open++] = s->open[i];
	}
	return CTL_OK;
}

static int pol_set_report(struct ctl_policy *p)
{
	if (ctl.json)
		ctl_json_print(policy_json(&p->doc, p->pol));
	else
		ctl_info("policy updated (generation %u)", p->pol ? p->pol->gen : 0);
	return CTL_OK;
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
	struct pol_set s = { 0 };
	char err[EW_ERRLEN], buf[32];
	bool any = false;
	int c, r = 0;
	size_t i;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		any = true;
		switch (c) {
		case OPT_OPEN:
			free(s.open);
			if (ew_portlist_parse(optarg, EW_PI_TCP, &s.open, &s.n_open, err,
					      sizeof(err)))
				r = ctl_err("--open: %s", err);
			break;
		case OPT_CLOSE:
			free(s.close);
			if (ew_portlist_parse(optarg, EW_PI_TCP, &s.close, &s.n_close, err,
					      sizeof(err)))
				r = ctl_err("--close: %s", err);
			break;
		case OPT_EVSAMPLE:
			r = ctl_u64("--events-sample", optarg, 0, 1000000, &s.ev_sample);
			s.have_sample = true;
			break;
		case OPT_EVMAX:
			r = ctl_u64("--events-max", optarg, 0, 10000000, &s.ev_max);
			s.have_max = true;
			break;
		case CTL_OPT_DONE:
			r = ctl.opt_rc;
			goto out;
		default:
			r = flag_opt(&pol_flags[c - OPT_FLAG], optarg, &s);
		}
		if (r)
			goto out;
	}
	if (optind < argc)
		r = ctl_usage("unexpected argument '%s'", argv[optind]);
	else if (!any)
		r = ctl_usage("nothing to change (see 'edgewardctl policy set --help')");
	for (i = 0; !r && i < s.n_close; i++) {
		if (ctl_find_port(s.open, s.n_open, &s.close[i]) >= 0) {
			ew_portspec_format(&s.close[i], buf, sizeof(buf));
			r = ctl_err("%s is in both --open and --close", buf);
		}
	}
	if (!r)
		r = ctl_policy_edit(pol_set_apply, pol_set_report, &s);
out:
	free(s.open);
	free(s.close);
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

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ 0 }
	};
	struct ew_policy_doc doc;
	struct ew_apply_report rep = { 0 };
	struct ew_maps m = { .lock = -1 };
	bool force = false, dry = false, loaded = true;
	char err[EW_ERRLEN] = "";
	const char *path;
	int c, r, rc = CTL_ERR;

	ew_policy_doc_init(&doc);
	while ((c = ctl_getopt(argc, argv, "fn", opts)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'n':
			dry = true;
			break;
		case CTL_OPT_DONE:
			rc = ctl.opt_rc;
			goto out;
		}
	}
	if (optind >= argc) {
		rc = ctl_usage("missing FILE");
		goto out;
	}
	if (optind + 1 < argc) {
		rc = ctl_usage("unexpected argument '%s' (one FILE at a time)", argv[optind + 1]);
		goto out;
	}
	path = argv[optind];

	/* Load and validate everything before looking at the maps. */
	r = ew_policy_doc_load(path, force, &doc, ctl.quiet ? NULL : stderr, err, sizeof(err));
	if (r) {
		ctl_err("%s", err[0] ? err : strerror(-r));
		goto out;
	}
	/* A dry run without a loaded filter only validates. */
	if (dry) {
		if (access(ctl.pin_dir, F_OK))
			loaded = false;
		else if (ctl_maps_open(&m, false))
			goto out;
	} else if (ctl_maps_open(&m, true)) {
		goto out;
	}
	err[0] = '\0';
	r = ew_policy_apply(loaded ? &m : NULL, &doc, dry, &rep, err, sizeof(err));
	if (loaded)
		ew_maps_close(&m);
	if (r) {
		/* Messages of the library start with "apply: "; ours name the file. */
		ctl_err("%s: %s", path, strncmp(err, "apply: ", 7) ? err : err + 7);
		goto out;
	}

	if (ctl.json) {
		json_t *o = json_object(), *b = json_object();

		json_object_set_new(o, "file", ctl_jstr(path));
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
		json_object_set_new(o, "policy", policy_json(&doc, NULL));
		ctl_json_print(o);
	} else if (!ctl.quiet) {
		if (dry)
			printf("%s is valid%s\n", path,
			       loaded ? "; nothing was changed (dry run)" :
					"; edgeward is not loaded, so nothing to compare");
		else
			printf("applied %s (policy generation %u)\n", path, rep.generation);
		printf("policy: %zu open ports, %zu allowlist entries, %zu ACLs, %zu rate-limit "
		       "classes\n",
		       doc.n_open, doc.n_allow, doc.n_acl, doc.n_rl);
		if (loaded)
			printf("blocks: %zu %s, %zu %s, %zu %s, %zu kept (not policy-owned)\n",
			       json_array_size(rep.added), dry ? "to add" : "added",
			       json_array_size(rep.updated), dry ? "to update" : "updated",
			       json_array_size(rep.removed), dry ? "to remove" : "removed",
			       json_array_size(rep.kept));
		else
			printf("blocks: %zu in the file\n", json_array_size(rep.added));
	}
	rc = CTL_OK;
out:
	ew_apply_report_free(&rep);
	ew_policy_doc_free(&doc);
	return rc;
}
