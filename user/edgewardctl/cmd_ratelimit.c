// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl ratelimit set|del|list: per-source token-bucket classes.
 * Read-modify-write of the whole policy, committed in one swap (the
 * ratelimit.* operations, ops_policy.c).
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The options given to set (NULL when not), checked in this order before anything runs. */
struct rl_set {
	const char *name, *ports_s, *rate_s, *burst_s, *count_s;
};

static int rl_set_req(const struct rl_set *o, json_t *req)
{
	char err[EW_ERRLEN], q[EW_QUOTE_LEN], buf[32];
	struct ew_portspec *ports = NULL;
	uint32_t rate, period;
	uint64_t burst;
	size_t n = 0, i;
	json_t *a;

	if (ops_check_class_name(o->name, err, sizeof(err)))
		return ctl_err("%s", err);
	json_object_set_new(req, "name", json_string(o->name));
	if (o->ports_s) {
		if (ew_portlist_parse(o->ports_s, EW_PI_TCP, &ports, &n, err, sizeof(err)))
			return ctl_err("--ports: %s", err);
		a = json_array();
		for (i = 0; i < n; i++) {
			ew_portspec_format(&ports[i], buf, sizeof(buf));
			json_array_append_new(a, json_string(buf));
		}
		free(ports);
		json_object_set_new(req, "ports", a);
	}
	if (o->rate_s) {
		if (ew_rate_parse(o->rate_s, &rate, &period, err, sizeof(err)))
			return ctl_err("--rate: %s", err);
		json_object_set_new(req, "rate", json_string(o->rate_s));
	}
	if (o->burst_s) {
		if (ctl_u64("--burst", o->burst_s, 1, 1000000, &burst))
			return CTL_ERR;
		json_object_set_new(req, "burst", json_integer((json_int_t)burst));
	}
	if (o->count_s) {
		if (strcmp(o->count_s, "conn") && strcmp(o->count_s, "pkt"))
			return ctl_err("--count %s: expected conn or pkt",
				       ew_quote(o->count_s, q, sizeof(q)));
		json_object_set_new(req, "count", json_string(o->count_s));
	}
	return CTL_OK;
}

/*
 * A set that misses --ports, --rate or --burst is a usage error when the
 * class is new, and so is one with nothing at all: ask for the classes.
 */
static int rl_set_usage(const struct rl_set *o)
{
	json_t *req, *out = NULL, *c;
	bool known = false;
	size_t i;
	int rc;

	if (o->ports_s && o->rate_s && o->burst_s)
		return CTL_OK;
	req = json_object();
	rc = ctl_op("ratelimit.list", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(out, "ratelimit"), i, c)
		known |= !strcmp(ctl_js(c, "name"), o->name);
	json_decref(out);
	if (!known)
		return ctl_usage("a new class needs --ports, --rate and --burst");
	if (!o->ports_s && !o->rate_s && !o->burst_s && !o->count_s)
		return ctl_usage("nothing to change: give --ports, --rate, --burst or --count");
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
	json_t *req, *out = NULL, *cl;
	char ports[512];
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
	req = json_object();
	rc = rl_set_req(&o, req);
	if (!rc)
		rc = rl_set_usage(&o);
	if (!rc)
		rc = ctl_op("ratelimit.set", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	cl = json_object_get(out, "class");
	ctl_join(ports, sizeof(ports), 0, json_object_get(cl, "ports"), ",");
	ctl_info("%s class %s: %s per source on %s, burst %lld, counting %s",
		 json_is_true(json_object_get(out, "created")) ? "created" : "changed", o.name,
		 ctl_js(cl, "rate"), ports, ctl_ji(cl, "burst"),
		 strcmp(ctl_js(cl, "count"), "conn") ? "packets" : "new connections");
	json_decref(out);
	return CTL_OK;
}

/* ---- del ---- */

static int cmd_rl_del(int argc, char **argv)
{
	json_t *req, *out = NULL;
	char *name;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "", NULL)) != -1)
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	name = ctl_arg(argc, argv, "CLASS", false);
	if (!name)
		return CTL_USAGE;
	req = json_object();
	json_object_set_new(req, "name", ctl_jstr(name));
	rc = ctl_op("ratelimit.del", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	ctl_info("deleted rate-limit class %s", name);
	json_decref(out);
	return CTL_OK;
}

/* ---- list ---- */

static int cmd_rl_list(int argc, char **argv)
{
	json_t *req, *out = NULL, *classes, *cl;
	char ports[512], burst[24];
	struct ctl_table t;
	size_t i;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	req = json_object();
	rc = ctl_op("ratelimit.list", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	classes = json_object_get(out, "ratelimit");
	if (!json_array_size(classes)) {
		if (!ctl.quiet)
			printf("no rate-limit classes\n");
		json_decref(out);
		return CTL_OK;
	}
	tbl_init(&t, 5, 1U << 3, "CLASS", "PORTS", "RATE", "BURST", "COUNT");
	json_array_foreach(classes, i, cl) {
		ctl_join(ports, sizeof(ports), 0, json_object_get(cl, "ports"), ",");
		snprintf(burst, sizeof(burst), "%lld", ctl_ji(cl, "burst"));
		tbl_add(&t, ctl_js(cl, "name"), ports, ctl_js(cl, "rate"), burst,
			ctl_js(cl, "count"));
	}
	tbl_print(&t, stdout);
	tbl_free(&t);
	json_decref(out);
	return CTL_OK;
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
