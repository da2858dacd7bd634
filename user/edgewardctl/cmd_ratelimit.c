// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl ratelimit set|del|list: per-source token-bucket classes.
 * Read-modify-write of the whole policy, committed in one swap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int check_name(const char *s)
{
	char q[EW_QUOTE_LEN];
	size_t i;

	if (!*s)
		return ctl_err("empty class name");
	if (strlen(s) >= EW_NAME_LEN)
		return ctl_err("class name %s: too long (at most %d characters)",
			       ew_quote(s, q, sizeof(q)), EW_NAME_LEN - 1);
	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || (i && (ch == '-' || ch == '_' || ch == '.'))))
			return ctl_err("class name %s: use letters, digits, '-', '_' and '.' "
				       "(starting with a letter or digit)",
				       ew_quote(s, q, sizeof(q)));
	}
	return CTL_OK;
}

static ssize_t find_rl(const struct ew_policy_doc *doc, const char *name)
{
	size_t i;

	for (i = 0; i < doc->n_rl; i++)
		if (!strcmp(doc->rl[i].name, name))
			return (ssize_t)i;
	return -1;
}

static void rl_text(const struct ew_rl_doc *rl, char *ports, size_t plen, char *rate, size_t rlen)
{
	ctl_join_ports(ports, plen, 0, rl->ports, rl->n_ports, ",");
	ctl_rate_text(rl, rate, rlen);
}

/* ---- set ---- */

/* The class and the options given (NULL when not), then their values. */
struct rl_set {
	const char *name, *ports_s, *rate_s, *burst_s, *count_s;
	struct ew_portspec *ports;
	size_t n_ports;
	uint32_t rate, period;
	uint64_t burst;
	bool created;
	ssize_t k;
};

/* Everything is checked before the maps are opened. */
static int rl_set_check(struct rl_set *o)
{
	char err[EW_ERRLEN], q[EW_QUOTE_LEN];

	if (check_name(o->name))
		return CTL_ERR;
	if (o->ports_s &&
	    ew_portlist_parse(o->ports_s, EW_PI_TCP, &o->ports, &o->n_ports, err, sizeof(err)))
		return ctl_err("--ports: %s", err);
	if (o->rate_s && ew_rate_parse(o->rate_s, &o->rate, &o->period, err, sizeof(err)))
		return ctl_err("--rate: %s", err);
	if (o->burst_s && ctl_u64("--burst", o->burst_s, 1, 1000000, &o->burst))
		return CTL_ERR;
	if (o->count_s && strcmp(o->count_s, "conn") && strcmp(o->count_s, "pkt"))
		return ctl_err("--count %s: expected conn or pkt",
			       ew_quote(o->count_s, q, sizeof(q)));
	return CTL_OK;
}

static int rl_set_apply(struct ctl_policy *p)
{
	struct ew_policy_doc *doc = &p->doc;
	struct rl_set *o = p->arg;
	struct ew_rl_doc *rl;

	o->k = find_rl(doc, o->name);
	if (o->k < 0) {
		if (!o->ports_s || !o->rate_s || !o->burst_s)
			return ctl_usage("a new class needs --ports, --rate and --burst");
		rl = ctl_grow(doc->rl, doc->n_rl, 1, sizeof(*rl));
		if (!rl)
			return CTL_ERR;
		doc->rl = rl;
		o->k = (ssize_t)doc->n_rl++;
		strcpy(rl[o->k].name, o->name);
		rl[o->k].count_conn = true;
		o->created = true;
	} else if (!o->ports_s && !o->rate_s && !o->burst_s && !o->count_s) {
		return ctl_usage("nothing to change: give --ports, --rate, --burst or --count");
	}
	rl = &doc->rl[o->k];
	if (o->ports_s) {
		free(rl->ports);
		rl->ports = o->ports;
		rl->n_ports = o->n_ports;
		o->ports = NULL;
	}
	if (o->rate_s) {
		rl->rate = o->rate;
		rl->period_s = o->period;
	}
	if (o->burst_s)
		rl->burst = (uint32_t)o->burst;
	if (o->count_s)
		rl->count_conn = !strcmp(o->count_s, "conn");
	return CTL_OK;
}

static int rl_set_report(struct ctl_policy *p)
{
	const struct ew_policy_doc *doc = &p->doc;
	struct rl_set *o = p->arg;
	const struct ew_rl_doc *rl = &doc->rl[o->k];
	char ports_txt[512], rate_txt[32];

	rl_text(rl, ports_txt, sizeof(ports_txt), rate_txt, sizeof(rate_txt));
	if (ctl.json) {
		json_t *j = json_object(), *arr = ctl_json_rl(doc);

		json_object_set_new(j, "created", json_boolean(o->created));
		json_object_set(j, "class", json_array_get(arr, (size_t)o->k));
		json_decref(arr);
		ctl_json_print(j);
	} else {
		ctl_info("%s class %s: %s per source on %s, burst %u, counting %s",
			 o->created ? "created" : "changed", o->name, rate_txt, ports_txt, rl->burst,
			 rl->count_conn ? "new connections" : "packets");
	}
	return CTL_OK;
}

static int cmd_rl_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'c' },
		{ 0 }
	};
	struct rl_set o = { 0 };
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "p:r:b:c:", opts)) != -1) {
		switch (c) {
		case 'p':
			o.ports_s = optarg;
			break;
		case 'r':
			o.rate_s = optarg;
			break;
		case 'b':
			o.burst_s = optarg;
			break;
		case 'c':
			o.count_s = optarg;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	o.name = ctl_arg(argc, argv, "CLASS", false);
	if (!o.name)
		return CTL_USAGE;
	rc = rl_set_check(&o);
	if (!rc)
		rc = ctl_policy_edit(rl_set_apply, rl_set_report, &o);
	free(o.ports);
	return rc;
}

/* ---- del ---- */

static int rl_del_apply(struct ctl_policy *p)
{
	struct ew_policy_doc *doc = &p->doc;
	const char *name = p->arg;
	char q[EW_QUOTE_LEN];
	ssize_t k = find_rl(doc, name);

	if (k < 0)
		return ctl_err("no rate-limit class %s (see 'edgewardctl ratelimit list')",
			       ew_quote(name, q, sizeof(q)));
	free(doc->rl[k].ports);
	CTL_ARRAY_DEL(doc->rl, doc->n_rl, k);
	return CTL_OK;
}

static int rl_del_report(struct ctl_policy *p)
{
	const char *name = p->arg;

	if (ctl.json)
		ctl_json_print_kv("deleted", json_string(name));
	else
		ctl_info("deleted rate-limit class %s", name);
	return CTL_OK;
}

static int cmd_rl_del(int argc, char **argv)
{
	char *name;
	int c;

	while ((c = ctl_getopt(argc, argv, "", NULL)) != -1)
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	name = ctl_arg(argc, argv, "CLASS", false);
	if (!name)
		return CTL_USAGE;
	return ctl_policy_edit(rl_del_apply, rl_del_report, name);
}

/* ---- list ---- */

static int rl_show(struct ctl_policy *p)
{
	const struct ew_policy_doc *doc = &p->doc;
	char ports[512], rate[32], burst[16];
	struct ctl_table t;
	size_t i;

	if (ctl.json) {
		ctl_json_print_kv("ratelimit", ctl_json_rl(doc));
		return CTL_OK;
	}
	if (!doc->n_rl) {
		if (!ctl.quiet)
			printf("no rate-limit classes\n");
		return CTL_OK;
	}
	tbl_init(&t, 5, 1U << 3, "CLASS", "PORTS", "RATE", "BURST", "COUNT");
	for (i = 0; i < doc->n_rl; i++) {
		rl_text(&doc->rl[i], ports, sizeof(ports), rate, sizeof(rate));
		snprintf(burst, sizeof(burst), "%u", doc->rl[i].burst);
		tbl_add(&t, doc->rl[i].name, ports, rate, burst,
			doc->rl[i].count_conn ? "conn" : "pkt");
	}
	tbl_print(&t, stdout);
	tbl_free(&t);
	return CTL_OK;
}

static int cmd_rl_list(int argc, char **argv)
{
	return ctl_policy_view(argc, argv, rl_show);
}

static const struct ctl_cmd rl_cmds[] = {
	{ "set", cmd_rl_set, "create or change a rate-limit class",
	  "ratelimit set CLASS --ports P[,P...] --rate N/UNIT --burst N [--count conn|pkt]",
	  "Limit each source (an IPv4 address, an IPv6 /64) to N per second, minute, hour\n"
	  "or day on the class's ports, with bursts of up to --burst; beyond that packets\n"
	  "are dropped (reason ratelimit). A new class needs --ports, --rate and --burst;\n"
	  "changing a class needs only what changes. A port belongs to one class at most.\n"
	  "\n"
	  "Options:\n"
	  "  -p, --ports LIST     ports, e.g. 80/tcp,443/tcp (protocol defaults to tcp)\n"
	  "  -r, --rate N/UNIT    N per sec, min, hour or day, e.g. 25/min\n"
	  "  -b, --burst N        bucket depth, 1..1000000\n"
	  "  -c, --count WHAT     conn: charge new TCP connections (SYN) only (default);\n"
	  "                       pkt: charge every packet\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl ratelimit set http --ports 80/tcp,443/tcp --rate 25/min --burst 100\n" },
	{ "del", cmd_rl_del, "delete a rate-limit class", "ratelimit del CLASS",
	  "Delete the class; its ports are no longer rate-limited.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl ratelimit del http\n" },
	{ "list", cmd_rl_list, "list the rate-limit classes", "ratelimit list",
	  "Print each class: name, ports, rate, burst and what it counts.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j ratelimit list\n" },
	{ 0 }
};

int cmd_ratelimit(int argc, char **argv)
{
	return ctl_dispatch(rl_cmds, argc - 1, argv + 1);
}
