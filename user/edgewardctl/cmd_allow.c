// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl allow add|del|list: the allowlist, part of the policy, so each
 * change is a read-modify-write of the whole policy, committed in one swap
 * (the allow.* operations, ops_policy.c).
 */
#include <stdio.h>

#include "ctl.h"

static int allow_edit(int argc, char **argv, bool add)
{
	json_t *req, *out = NULL, *cidrs = NULL, *x;
	bool force = false;
	size_t i;
	int rc;

	rc = ctl_opt_force(argc, argv, &force);
	if (rc != CTL_RUN)
		return rc;
	if (optind >= argc)
		return ctl_usage("missing CIDR");
	if (ctl_cidr_args(argc, argv, optind, force, &cidrs))
		return CTL_ERR;
	req = json_object();
	json_object_set_new(req, "cidrs", cidrs);
	if (force)
		json_object_set_new(req, "force", json_true());
	rc = ctl_op(add ? "allow.add" : "allow.del", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	json_array_foreach(json_object_get(out, "already"), i, x)
		ctl_info("%s is already allowed", json_string_value(x));
	json_array_foreach(json_object_get(out, add ? "added" : "deleted"), i, x)
		ctl_info("%s %s", add ? "allowed" : "removed from the allowlist:",
			 json_string_value(x));
	json_decref(out);
	return CTL_OK;
}

static int cmd_allow_add(int argc, char **argv)
{
	return allow_edit(argc, argv, true);
}

static int cmd_allow_del(int argc, char **argv)
{
	return allow_edit(argc, argv, false);
}

static int cmd_allow_list(int argc, char **argv)
{
	json_t *req, *out = NULL, *allow, *x;
	size_t i;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	req = json_object();
	rc = ctl_op("allow.list", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	allow = json_object_get(out, "allow");
	if (!json_array_size(allow) && !ctl.quiet)
		printf("the allowlist is empty\n");
	json_array_foreach(allow, i, x)
		printf("%s\n", json_string_value(x));
	json_decref(out);
	return CTL_OK;
}

static const struct ctl_cmd allow_cmds[] = {
	{ "add", cmd_allow_add, "allow one or more CIDRs", "allow add CIDR... [--force]",
	  "Let every packet from CIDR through: the allowlist comes before the blocklist,\n"
	  "the service ACLs, the rate limits and the default policy. Meant for management\n"
	  "hosts. CIDRs already on the list are left as they are.\n"
	  "\n"
	  "Options:\n"
	  "  -f, --force         allow 0.0.0.0/0 or ::/0 (turns the filter off)\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl allow add 192.0.2.10 2001:db8:1::/48\n" },
	{ "del", cmd_allow_del, "remove CIDRs from the allowlist", "allow del CIDR... [--force]",
	  "Remove exactly these CIDRs; every one must be on the list, or nothing changes.\n"
	  "\n"
	  "Options:\n"
	  "  -f, --force         accept 0.0.0.0/0 or ::/0\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl allow del 192.0.2.10\n" },
	{ "list", cmd_allow_list, "list the allowlist", "allow list",
	  "Print the allowlisted CIDRs, one a line.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j allow list\n" },
	{ 0 }
};

int cmd_allow(int argc, char **argv)
{
	return ctl_dispatch(allow_cmds, argc - 1, argv + 1);
}
