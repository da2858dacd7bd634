// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl ratelimit set|del|list: per-source token-bucket classes.
 * Read-modify-write of the whole policy, committed in one swap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int cmd_rl_set(int argc, char **argv);
static int cmd_rl_del(int argc, char **argv);
static int cmd_rl_list(int argc, char **argv);

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
	char p[32];
	size_t i, o = 0;

	ports[0] = '\0';
	for (i = 0; i < rl->n_ports && o < plen; i++) {
		ew_portspec_format(&rl->ports[i], p, sizeof(p));
		o += (size_t)snprintf(ports + o, plen - o, "%s%s", i ? "," : "", p);
	}
	if (ew_rate_format(rl->rate, rl->period_s, rate, rlen) < 0)
		snprintf(rate, rlen, "%u/%us", rl->rate, rl->period_s);
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
	const char *ports_s = NULL, *rate_s = NULL, *burst_s = NULL, *count_s = NULL, *name;
	char err[EW_ERRLEN], q[EW_QUOTE_LEN], ports_txt[512], rate_txt[32];
	struct ew_policy_doc doc;
	struct ew_compiled live = { 0 }, next = { 0 };
	struct ew_maps m = { .lock = -1 };
	struct ew_portspec *ports = NULL;
	size_t n_ports = 0;
	uint32_t rate = 0, period = 0;
	uint64_t burst = 0;
	bool count_conn = true, opened = false, created = false;
	struct ew_rl_doc *rl;
	ssize_t k;
	int c, rc = CTL_ERR;

	while ((c = ctl_getopt(argc, argv, "p:r:b:c:", opts)) != -1) {
		switch (c) {
		case 'p':
			ports_s = optarg;
			break;
		case 'r':
			rate_s = optarg;
			break;
		case 'b':
			burst_s = optarg;
			break;
		case 'c':
			count_s = optarg;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind >= argc)
		return ctl_usage("missing CLASS");
	if (optind + 1 < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind + 1]);
	name = argv[optind];
	if (check_name(name))
		return CTL_ERR;
	if (ports_s && ew_portlist_parse(ports_s, EW_PI_TCP, &ports, &n_ports, err, sizeof(err)))
		return ctl_err("--ports: %s", err);
	if (rate_s && ew_rate_parse(rate_s, &rate, &period, err, sizeof(err))) {
		rc = ctl_err("--rate: %s", err);
		goto out;
	}
	if (burst_s && ctl_u64("--burst", burst_s, 1, 1000000, &burst))
		goto out;
	if (count_s) {
		if (!strcmp(count_s, "conn")) {
			count_conn = true;
		} else if (!strcmp(count_s, "pkt")) {
			count_conn = false;
		} else {
			rc = ctl_err("--count %s: expected conn or pkt", ew_quote(count_s, q, sizeof(q)));
			goto out;
		}
	}
	if (ctl_maps_open(&m, true))
		goto out;
	opened = true;
	if (ctl_policy_get(&m, &doc, &live))
		goto out_doc;
	k = find_rl(&doc, name);
	if (k < 0) {
		if (!ports_s || !rate_s || !burst_s) {
			rc = ctl_usage("a new class needs --ports, --rate and --burst");
			goto out_doc;
		}
		rl = realloc(doc.rl, (doc.n_rl + 1) * sizeof(*rl));
		if (!rl) {
			ctl_err("out of memory");
			goto out_doc;
		}
		doc.rl = rl;
		k = (ssize_t)doc.n_rl++;
		memset(&doc.rl[k], 0, sizeof(doc.rl[k]));
		strcpy(doc.rl[k].name, name);
		doc.rl[k].count_conn = true;
		created = true;
	} else if (!ports_s && !rate_s && !burst_s && !count_s) {
		rc = ctl_usage("nothing to change: give --ports, --rate, --burst or --count");
		goto out_doc;
	}
	rl = &doc.rl[k];
	if (ports_s) {
		free(rl->ports);
		rl->ports = ports;
		rl->n_ports = n_ports;
		ports = NULL;
	}
	if (rate_s) {
		rl->rate = rate;
		rl->period_s = period;
	}
	if (burst_s)
		rl->burst = (uint32_t)burst;
	if (count_s)
		rl->count_conn = count_conn;
	if (ctl_policy_put(&m, &doc, &next))
		goto out_doc;
	rl = &doc.rl[k];
	rl_text(rl, ports_txt, sizeof(ports_txt), rate_txt, sizeof(rate_txt));
	if (ctl.json) {
		json_t *o = json_object(), *arr;

		json_object_set_new(o, "created", json_boolean(created));
		arr = ctl_json_rl(&doc);
		json_object_set(o, "class", json_array_get(arr, (size_t)k));
		json_decref(arr);
		ctl_json_print(o);
	} else {
		ctl_info("%s class %s: %s per source on %s, burst %u, counting %s",
			 created ? "created" : "changed", name, rate_txt, ports_txt, rl->burst,
			 rl->count_conn ? "new connections" : "packets");
	}
	rc = CTL_OK;
out_doc:
	ew_policy_doc_free(&doc);
	ew_compiled_free(&live);
	ew_compiled_free(&next);
out:
	if (opened)
		ew_maps_close(&m);
	free(ports);
	return rc;
}

static int cmd_rl_del(int argc, char **argv)
{
	struct ew_policy_doc doc;
	struct ew_compiled live = { 0 }, next = { 0 };
	struct ew_maps m = { .lock = -1 };
	const char *name;
	char q[EW_QUOTE_LEN];
	int c, rc = CTL_ERR;
	ssize_t k;

	while ((c = ctl_getopt(argc, argv, "", NULL)) != -1)
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	if (optind >= argc)
		return ctl_usage("missing CLASS");
	if (optind + 1 < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind + 1]);
	name = argv[optind];
	if (ctl_maps_open(&m, true))
		return CTL_ERR;
	if (ctl_policy_get(&m, &doc, &live))
		goto out;
	k = find_rl(&doc, name);
	if (k < 0) {
		ctl_err("no rate-limit class %s (see 'edgewardctl ratelimit list')",
			ew_quote(name, q, sizeof(q)));
		goto out;
	}
	free(doc.rl[k].ports);
	memmove(&doc.rl[k], &doc.rl[k + 1], (doc.n_rl - (size_t)k - 1) * sizeof(doc.rl[0]));
	doc.n_rl--;
	if (ctl_policy_put(&m, &doc, &next))
		goto out;
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "deleted", json_string(name));
		ctl_json_print(o);
	} else {
		ctl_info("deleted rate-limit class %s", name);
	}
	rc = CTL_OK;
out:
	ew_policy_doc_free(&doc);
	ew_compiled_free(&live);
	ew_compiled_free(&next);
	ew_maps_close(&m);
	return rc;
}

static int cmd_rl_list(int argc, char **argv)
{
	struct ew_policy_doc doc;
	struct ew_compiled live = { 0 };
	struct ew_maps m = { .lock = -1 };
	char ports[512], rate[32], burst[16];
	int c, rc = CTL_ERR;
	size_t i;

	while ((c = ctl_getopt(argc, argv, "", NULL)) != -1)
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	if (ctl_maps_open(&m, false))
		return CTL_ERR;
	if (ctl_policy_get(&m, &doc, &live))
		goto out;
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "ratelimit", ctl_json_rl(&doc));
		ctl_json_print(o);
	} else if (!doc.n_rl) {
		if (!ctl.quiet)
			printf("no rate-limit classes\n");
	} else {
		struct ctl_table t;

		tbl_init(&t, 5, 1U << 3, "CLASS", "PORTS", "RATE", "BURST", "COUNT");
		for (i = 0; i < doc.n_rl; i++) {
			rl_text(&doc.rl[i], ports, sizeof(ports), rate, sizeof(rate));
			snprintf(burst, sizeof(burst), "%u", doc.rl[i].burst);
			tbl_add(&t, doc.rl[i].name, ports, rate, burst,
				doc.rl[i].count_conn ? "conn" : "pkt");
		}
		tbl_print(&t, stdout);
		tbl_free(&t);
	}
	rc = CTL_OK;
out:
	ew_policy_doc_free(&doc);
	ew_compiled_free(&live);
	ew_maps_close(&m);
	return rc;
}
