// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl attach, detach, status, reload: the program's life cycle,
 * done by the operations of the same names (ops_filter.c) in edgewardd or,
 * in emergency mode, here. Attachments go through netlink (see loader.c),
 * so the filter keeps running after whoever attached it exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "ctl.h"

const char help_attach[] =
	"Attach the edgeward XDP program to IFACE, loading it (and creating its pinned\n"
	"maps) first when it is not loaded. Native mode runs in the driver and is the\n"
	"default; when the driver has no native XDP, edgewardctl falls back to generic\n"
	"(skb) mode and says so. An attached edgeward program is replaced atomically.\n"
	"\n"
	"Options:\n"
	"  -m, --mode MODE     native (no fallback) or skb (generic); default: native,\n"
	"                      falling back to skb with a warning\n"
	"\n"
	"Example:\n"
	"  edgewardctl attach eth0\n";

const char help_detach[] =
	"Detach the XDP program from IFACE. The pinned maps and every other attachment\n"
	"stay. A program that is not edgeward's is left alone unless --force is given.\n"
	"\n"
	"Options:\n"
	"  -f, --force         detach even when the program is not edgeward's\n"
	"\n"
	"Example:\n"
	"  edgewardctl detach eth0\n";

const char help_status[] =
	"Show whether edgeward is loaded, its map ABI and program id, the interfaces it\n"
	"is attached to and in which mode, the policy generation and when it was\n"
	"applied, and how full the maps are.\n"
	"\n"
	"Example:\n"
	"  edgewardctl -j status\n";

const char help_reload[] =
	"Load the XDP program built into this edgewardctl, reuse every pinned map (no\n"
	"block, counter or policy is lost) and swap the program atomically on every\n"
	"interface that runs edgeward: there is no moment without a filter.\n"
	"\n"
	"Example:\n"
	"  edgewardctl reload\n";

/* A request with one string field, or none (key NULL). */
static json_t *req1(const char *key, const char *val)
{
	json_t *o = json_object();

	if (o && key)
		json_object_set_new(o, key, json_string(val));
	return o;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ 0 }
	};
	const char *ifname, *mode = NULL;
	json_t *req = NULL, *out = NULL;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "m:", opts)) != -1) {
		if (c == 'm')
			mode = optarg;
		else if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	}
	ifname = ctl_arg(argc, argv, "IFACE", true);
	if (!ifname)
		return CTL_USAGE;
	/* The interface is the filter host's: edgewardd checks it there, not us here. */
	req = req1("interface", ifname);
	if (mode)
		json_object_set_new(req, "mode", json_string(mode));
	rc = ctl_op_keep("attach", req, &out);
	if (rc)
		goto out;
	if (json_is_true(json_object_get(out, "loaded")) && !ctl.json && !ctl.quiet) {
		if (cli_mode() == CLI_DIRECT)
			fprintf(stderr, "loaded edgeward (maps pinned in %s)\n", ctl.pin_dir);
		else
			fprintf(stderr, "loaded edgeward\n");
	}
	ctl_messages(out);
	if (ctl.json) {
		rc = ctl_json_print(out) ? CTL_ERR : CTL_OK;
		out = NULL;
	} else {
		ctl_info("attached edgeward to %s (%s mode)", ifname, ctl_js(out, "mode"));
	}
out:
	json_decref(req);
	json_decref(out);
	return rc;
}

int cmd_detach(int argc, char **argv)
{
	json_t *req, *out = NULL;
	const char *ifname;
	bool force = false;
	int rc;

	rc = ctl_opt_force(argc, argv, &force);
	if (rc != CTL_RUN)
		return rc;
	ifname = ctl_arg(argc, argv, "IFACE", true);
	if (!ifname)
		return CTL_USAGE;
	req = req1("interface", ifname);
	if (force)
		json_object_set_new(req, "force", json_true());
	rc = ctl_op("detach", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	ctl_info("detached from %s", ifname);
	json_decref(out);
	return CTL_OK;
}

static void status_text(json_t *o)
{
	json_t *att = json_object_get(o, "attachments"), *maps = json_object_get(o, "maps"), *a;
	json_t *pol = json_object_get(o, "policy");
	bool loaded = json_is_true(json_object_get(o, "loaded"));
	char line[512], t[64];
	struct ctl_table tb;
	size_t i;

	tbl_init(&tb, 2, 0, "", "");
	if (loaded)
		snprintf(line, sizeof(line), "loaded (maps in %s, ABI %lld)", ctl_js(o, "pin_dir"),
			 ctl_ji(o, "abi"));
	else
		snprintf(line, sizeof(line), "not loaded (nothing pinned in %s)",
			 ctl_js(o, "pin_dir"));
	tbl_add(&tb, "edgeward", line);
	if (loaded) {
		snprintf(line, sizeof(line), "id %lld (%s)", ctl_ji(o, "prog_id"),
			 ctl_js(o, "prog_name"));
		tbl_add(&tb, "program", line);
	}
	if (!json_array_size(att))
		tbl_add(&tb, "attached", "nowhere");
	json_array_foreach(att, i, a) {
		snprintf(line, sizeof(line), "%s (%s mode, prog %lld%s)", ctl_js(a, "interface"),
			 ctl_js(a, "mode"), ctl_ji(a, "prog_id"),
			 json_is_true(json_object_get(a, "edgeward")) ? "" : ", not edgeward");
		tbl_add(&tb, i ? "" : "attached", line);
	}
	if (loaded && pol) {
		json_t *b4 = json_object_get(maps, "bl4"), *b6 = json_object_get(maps, "bl6");
		json_t *rl = json_object_get(maps, "rl_state");

		ctl_gen_text(pol, t, sizeof(t));
		snprintf(line, sizeof(line), "generation %s", t);
		tbl_add(&tb, "policy", line);
		snprintf(line, sizeof(line), "%lld IPv4 of %lld, %lld IPv6 of %lld",
			 ctl_ji(b4, "entries"), ctl_ji(b4, "max"), ctl_ji(b6, "entries"),
			 ctl_ji(b6, "max"));
		tbl_add(&tb, "blocklist", line);
		snprintf(line, sizeof(line), "%lld sources tracked of %lld", ctl_ji(rl, "entries"),
			 ctl_ji(rl, "max"));
		tbl_add(&tb, "rate limit", line);
	}
	tbl_print_rows(&tb, stdout);
	tbl_free(&tb);
}

int cmd_status(int argc, char **argv)
{
	json_t *req, *out = NULL;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	req = req1(NULL, NULL);
	rc = ctl_op("status", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	status_text(out);
	json_decref(out);
	return CTL_OK;
}

int cmd_reload(int argc, char **argv)
{
	json_t *req, *out = NULL;
	long long n;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	req = req1(NULL, NULL);
	rc = ctl_op("reload", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	n = ctl_ji(out, "interfaces");
	ctl_info("reloaded edgeward: program id %lld, swapped on %lld interface%s",
		 ctl_ji(out, "prog_id"), n, n == 1 ? "" : "s");
	json_decref(out);
	return CTL_OK;
}
