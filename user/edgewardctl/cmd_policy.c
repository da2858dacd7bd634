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

static int entry_cmp(const void *a, const void *b)
{
	return ctl_cidr_cmp(&((const struct ew_bl_entry *)a)->cidr,
			    &((const struct ew_bl_entry *)b)->cidr);
}

/* A rule as it is now, to put back on rollback. old[] is calloc'd. */
static void keep_old(struct ew_bl_entry *e, const struct ew_cidr *c, const struct ew_block *b,
		     const char *reason)
{
	e->cidr = *c;
	e->expires_ns = b->expires_ns;
	e->origin = b->origin;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

/* Undo block changes: delete what was new, put back what was replaced or removed. */
static void rollback(struct ew_maps *m, const struct ew_bl_entry *added, size_t n_added,
		     const bool *was_new, const struct ew_bl_entry *old, size_t n_old_done)
{
	char buf[EW_CIDR_STRLEN];
	size_t i, fails = 0;

	for (i = 0; i < n_added; i++) {
		int r = was_new[i] ? bl_del(m, &added[i].cidr) : 0;

		if (r && r != -ENOENT)
			fails++;
	}
	/* old: the replaced entries then the removed ones, as they were. */
	for (i = 0; i < n_old_done; i++) {
		if (bl_add(m, &old[i])) {
			ew_cidr_format(&old[i].cidr, buf, sizeof(buf));
			ctl_warn("rollback: cannot restore the block of %s", buf);
			fails++;
		}
	}
	if (fails)
		ctl_warn("rollback incomplete: %zu block changes could not be undone; check "
			 "'edgewardctl block list --origin policy'",
			 fails);
}

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ 0 }
	};
	struct ew_policy_doc doc;
	struct ew_compiled comp = { 0 };
	struct ew_maps m = { .lock = -1 };
	struct ctl_bl_row *pb = NULL;
	struct ew_bl_entry *add = NULL, *old = NULL;
	bool *was_new = NULL, force = false, dry = false, opened = false, loaded = true;
	size_t n_add = 0, n_old = 0, n_replaced = 0, n_remove = 0, n_kept = 0, i, n4, n6;
	size_t new4 = 0, new6 = 0, old_done = 0, n_pb = 0;
	json_t *j_add = json_array(), *j_upd = json_array(), *j_rm = json_array(),
	       *j_kept = json_array();
	char err[EW_ERRLEN] = "", buf[EW_CIDR_STRLEN];
	const char *path;
	uint64_t now;
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

	/* 1. Load, validate and compile everything before looking at the maps. */
	r = ew_policy_doc_load(path, force, &doc, ctl.quiet ? NULL : stderr, err, sizeof(err));
	if (r) {
		ctl_err("%s", err[0] ? err : strerror(-r));
		goto out;
	}
	err[0] = '\0';
	r = ew_policy_compile(&doc, &comp, err, sizeof(err));
	if (r) {
		ctl_err("%s", err[0] ? err : strerror(-r));
		goto out;
	}

	/* The file's blocks, sorted and unique, as origin-policy entries. */
	add = calloc(doc.n_block ? doc.n_block : 1, sizeof(*add));
	was_new = calloc(doc.n_block ? doc.n_block : 1, sizeof(*was_new));
	if (!add || !was_new) {
		ctl_err("out of memory");
		goto out;
	}
	now = ew_boot_ns();
	for (i = 0; i < doc.n_block; i++) {
		add[i].cidr = doc.block[i].cidr;
		add[i].expires_ns = doc.block[i].ttl_ns ? now + doc.block[i].ttl_ns : 0;
		add[i].origin = EW_ORIGIN_POLICY;
		snprintf(add[i].reason, sizeof(add[i].reason), "%s", doc.block[i].reason);
	}
	n_add = doc.n_block;
	if (n_add > 1) {
		size_t o = 0;

		qsort(add, n_add, sizeof(*add), entry_cmp);
		for (i = 1; i < n_add; i++) {
			if (entry_cmp(&add[o], &add[i]))
				o++;
			add[o] = add[i];	/* a later duplicate wins */
		}
		n_add = o + 1;
	}

	/* 2. Open the maps; a dry run without a loaded filter only validates. */
	if (dry) {
		if (access(ctl.pin_dir, F_OK)) {
			loaded = false;
		} else if (ctl_maps_open(&m, false)) {
			goto out;
		}
	} else if (ctl_maps_open(&m, true)) {
		goto out;
	}
	opened = loaded;

	/* 3. Plan the block changes. */
	if (loaded) {
		struct ew_bl_entry *keep;
		size_t k = 0;

		r = ctl_bl_collect(&m, EW_ORIGIN_POLICY, false, 0, &pb, &n_pb);
		if (!r)
			r = bl_count(&m, &n4, &n6);
		if (r) {
			ctl_err("cannot read the blocklist: %s", strerror(-r));
			goto out;
		}
		/* old[] holds, in order, the entries replaced, then those removed. */
		old = calloc(n_pb + n_add + 1, sizeof(*old));
		keep = calloc(n_add + 1, sizeof(*keep));
		if (!old || !keep) {
			free(keep);
			ctl_err("out of memory");
			goto out;
		}
		for (i = 0; i < n_add; i++) {
			struct ew_block b;
			char reason[EW_REASON_TEXT_LEN] = "";

			ew_cidr_format(&add[i].cidr, buf, sizeof(buf));
			r = bl_get(&m, &add[i].cidr, &b, reason, sizeof(reason));
			if (r == -ENOENT) {
				was_new[k] = true;
				if (add[i].cidr.family == 4)
					new4++;
				else
					new6++;
				json_array_append_new(j_add, json_string(buf));
			} else if (r) {
				free(keep);
				ctl_err("cannot read the rule for %s: %s", buf, strerror(-r));
				goto out;
			} else if (b.origin != EW_ORIGIN_POLICY) {
				/* Someone else's block: leave it exactly as it is. */
				json_array_append_new(j_kept, json_string(buf));
				n_kept++;
				continue;
			} else {
				keep_old(&old[n_replaced++], &add[i].cidr, &b, reason);
				json_array_append_new(j_upd, json_string(buf));
			}
			keep[k++] = add[i];
		}
		memcpy(add, keep, k * sizeof(*add));
		free(keep);
		n_add = k;
		/* Policy blocks the file no longer lists go. add[] is still sorted. */
		for (i = 0; i < n_pb; i++) {
			struct ew_bl_entry key = { .cidr = pb[i].cidr };

			if (bsearch(&key, add, n_add, sizeof(*add), entry_cmp))
				continue;
			keep_old(&old[n_replaced + n_remove++], &pb[i].cidr, &pb[i].b, pb[i].reason);
			json_array_append_new(j_rm, ctl_jcidr(&pb[i].cidr));
		}
		n_old = n_replaced + n_remove;
		/* 4. Capacity: the new entries go in before the old ones come out. */
		if (n4 + new4 > EW_BL4_MAX || n6 + new6 > EW_BL6_MAX) {
			ctl_err("%s: the blocklist cannot hold %zu more IPv4 and %zu more IPv6 rules "
				"(%zu/%u and %zu/%u used); nothing changed",
				path, new4, new6, n4, EW_BL4_MAX, n6, EW_BL6_MAX);
			goto out;
		}
	} else {
		for (i = 0; i < n_add; i++) {
			ew_cidr_format(&add[i].cidr, buf, sizeof(buf));
			json_array_append_new(j_add, json_string(buf));
		}
	}

	if (!dry) {
		/* 5. Blocks in, stale policy blocks out, then the one policy swap. */
		r = n_add ? bl_import(&m, add, n_add, NULL, NULL, NULL) : 0;
		if (r) {
			rollback(&m, add, n_add, was_new, old, n_replaced);
			ctl_err("%s: writing the block entries failed: %s; nothing changed", path,
				strerror(-r));
			goto out;
		}
		old_done = n_replaced;
		for (i = n_replaced; i < n_old; i++) {
			r = bl_del(&m, &old[i].cidr);
			if (r && r != -ENOENT) {
				rollback(&m, add, n_add, was_new, old, old_done);
				ew_cidr_format(&old[i].cidr, buf, sizeof(buf));
				ctl_err("%s: removing the policy block %s failed: %s; nothing changed",
					path, buf, strerror(-r));
				goto out;
			}
			old_done++;
		}
		err[0] = '\0';
		r = pol_commit(&m, &comp, err, sizeof(err));
		if (r) {
			rollback(&m, add, n_add, was_new, old, old_done);
			ctl_err("%s: policy commit failed: %s; the block changes were undone", path,
				err[0] ? err : strerror(-r));
			goto out;
		}
	}

	if (ctl.json) {
		json_t *o = json_object(), *b = json_object();

		json_object_set_new(o, "file", ctl_jstr(path));
		json_object_set_new(o, "dry_run", json_boolean(dry));
		if (!dry)
			json_object_set_new(o, "generation", json_integer(comp.pol->gen));
		if (dry)
			json_object_set_new(o, "loaded", json_boolean(loaded));
		json_object_set_new(b, "added", j_add);
		json_object_set_new(b, "updated", j_upd);
		json_object_set_new(b, "removed", j_rm);
		json_object_set_new(b, "kept", j_kept);
		j_add = j_upd = j_rm = j_kept = NULL;
		json_object_set_new(o, "blocks", b);
		json_object_set_new(o, "policy", policy_json(&doc, NULL));
		ctl_json_print(o);
	} else if (!ctl.quiet) {
		if (dry)
			printf("%s is valid%s\n", path,
			       loaded ? "; nothing was changed (dry run)" :
					"; edgeward is not loaded, so nothing to compare");
		else
			printf("applied %s (policy generation %u)\n", path, comp.pol->gen);
		printf("policy: %zu open ports, %zu allowlist entries, %zu ACLs, %zu rate-limit "
		       "classes\n",
		       doc.n_open, doc.n_allow, doc.n_acl, doc.n_rl);
		if (loaded)
			printf("blocks: %zu %s, %zu %s, %zu %s, %zu kept (not policy-owned)\n",
			       json_array_size(j_add), dry ? "to add" : "added",
			       json_array_size(j_upd), dry ? "to update" : "updated",
			       json_array_size(j_rm), dry ? "to remove" : "removed", n_kept);
		else
			printf("blocks: %zu in the file\n", n_add);
	}
	rc = CTL_OK;
out:
	if (opened)
		ew_maps_close(&m);
	json_decref(j_add);
	json_decref(j_upd);
	json_decref(j_rm);
	json_decref(j_kept);
	ew_policy_doc_free(&doc);
	ew_compiled_free(&comp);
	free(pb);
	free(add);
	free(old);
	free(was_new);
	return rc;
}
