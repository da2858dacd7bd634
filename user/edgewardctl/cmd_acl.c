// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl acl add|del|list: service ACLs ("22/tcp only from these
 * networks"). Read-modify-write of the whole policy, committed in one swap
 * (the acl.* operations, ops_policy.c).
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/*
 * Parse "PORT [from CIDR...]" at argv[optind...] into req; add needs the
 * from part. *pbuf gets the port's canonical text.
 */
static int parse_acl_args(int argc, char **argv, bool add, bool force, json_t *req, char *pbuf,
			  size_t plen)
{
	char err[EW_ERRLEN], q[EW_QUOTE_LEN];
	struct ew_portspec port;
	json_t *from;

	if (optind >= argc)
		return ctl_usage("missing PORT");
	if (ew_portspec_parse(argv[optind], EW_PI_TCP, &port, err, sizeof(err)))
		return ctl_err("%s", err);
	ew_portspec_format(&port, pbuf, plen);
	json_object_set_new(req, "port", json_string(pbuf));
	if (force)
		json_object_set_new(req, "force", json_true());
	if (optind + 1 >= argc)
		return add ? ctl_usage("missing 'from CIDR...'") : CTL_OK;
	if (strcmp(argv[optind + 1], "from"))
		return ctl_usage("expected 'from' after the port, not %s",
				 ew_quote(argv[optind + 1], q, sizeof(q)));
	if (optind + 2 >= argc)
		return ctl_usage("missing CIDR after 'from'");
	if (ctl_cidr_args(argc, argv, optind + 2, force, &from))
		return CTL_ERR;
	json_object_set_new(req, "from", from);
	return CTL_OK;
}

static void acl_report(json_t *out, bool add, const char *pbuf)
{
	json_t *x;
	size_t i;

	if (json_is_true(json_object_get(out, "acl_deleted"))) {
		ctl_info("deleted the ACL of %s", pbuf);
		return;
	}
	json_array_foreach(json_object_get(out, "already"), i, x)
		ctl_info("%s is already in the ACL of %s", json_string_value(x), pbuf);
	if (json_is_true(json_object_get(out, "created")))
		ctl_info("created an ACL for %s", pbuf);
	json_array_foreach(json_object_get(out, add ? "added" : "deleted"), i, x)
		ctl_info("%s %s %s", pbuf, add ? "now reachable from" : "no longer reachable from",
			 json_string_value(x));
}

static int acl_edit(int argc, char **argv, bool add)
{
	json_t *req = json_object(), *out = NULL;
	bool force = false;
	char pbuf[32];
	int rc;

	rc = ctl_opt_force(argc, argv, &force);
	if (rc != CTL_RUN)
		goto out;
	rc = parse_acl_args(argc, argv, add, force, req, pbuf, sizeof(pbuf));
	if (!rc)
		rc = ctl_op(add ? "acl.add" : "acl.del", req, &out);
	if (!rc && ctl.json) {
		rc = ctl_json_print(out) ? CTL_ERR : CTL_OK;
		out = NULL;
	} else if (!rc) {
		acl_report(out, add, pbuf);
	}
out:
	json_decref(req);
	json_decref(out);
	return rc;
}

static int cmd_acl_add(int argc, char **argv)
{
	return acl_edit(argc, argv, true);
}

static int cmd_acl_del(int argc, char **argv)
{
	return acl_edit(argc, argv, false);
}

static int cmd_acl_list(int argc, char **argv)
{
	json_t *req, *out = NULL, *acl, *a;
	struct ctl_table t;
	size_t i;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	req = json_object();
	rc = ctl_op("acl.list", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	if (ctl.json)
		return ctl_json_print(out) ? CTL_ERR : CTL_OK;
	acl = json_object_get(out, "acl");
	if (!json_array_size(acl)) {
		if (!ctl.quiet)
			printf("no service ACLs\n");
		json_decref(out);
		return CTL_OK;
	}
	tbl_init(&t, 2, 0, "PORT", "FROM");
	json_array_foreach(acl, i, a) {
		json_t *from = json_object_get(a, "from");
		size_t len = json_array_size(from) * (EW_CIDR_STRLEN + 2) + 1;
		char *s = malloc(len);

		if (s)
			ctl_join(s, len, 0, from, ", ");
		tbl_add(&t, ctl_js(a, "port"), s ? s : "");
		free(s);
	}
	tbl_print(&t, stdout);
	tbl_free(&t);
	json_decref(out);
	return CTL_OK;
}

static const struct ctl_cmd acl_cmds[] = {
	{ "add", cmd_acl_add, "let CIDRs reach a port (creating its ACL)",
	  "acl add PORT[-PORT][/PROTO] from CIDR... [--force]",
	  "Restrict PORT to the listed sources: once a port has an ACL, packets to it from\n"
	  "anywhere else are dropped (reason acl). Adds the sources to the port's ACL,\n"
	  "creating the ACL when there is none. PROTO is tcp (default), udp, icmp or\n"
	  "icmpv6 (for ICMP the port is the message type). ACL port ranges may not overlap.\n"
	  "\n"
	  "Options:\n"
	  "  -f, --force         accept 0.0.0.0/0 or ::/0\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl acl add 22/tcp from 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16\n" },
	{ "del", cmd_acl_del, "remove sources from an ACL, or the whole ACL",
	  "acl del PORT[-PORT][/PROTO] [from CIDR...] [--force]",
	  "Without 'from', delete the port's ACL (the port is then reachable from anywhere\n"
	  "the rest of the policy allows). With 'from', remove those sources; each must be\n"
	  "in the ACL, and the last one cannot be removed this way (delete the ACL).\n"
	  "\n"
	  "Options:\n"
	  "  -f, --force         accept 0.0.0.0/0 or ::/0\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl acl del 5432/tcp from 10.0.0.0/16\n" },
	{ "list", cmd_acl_list, "list the service ACLs", "acl list",
	  "Print each ACL's port and its allowed sources.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j acl list\n" },
	{ 0 }
};

int cmd_acl(int argc, char **argv)
{
	return ctl_dispatch(acl_cmds, argc - 1, argv + 1);
}
