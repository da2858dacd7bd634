// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl acl add|del|list: service ACLs ("22/tcp only from these
 * networks"). Read-modify-write of the whole policy, committed in one swap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static ssize_t find_acl(const struct ew_policy_doc *doc, const struct ew_portspec *p)
{
	size_t i;

	for (i = 0; i < doc->n_acl; i++)
		if (ctl_same_port(&doc->acl[i].port, p))
			return (ssize_t)i;
	return -1;
}

/* add or del: the port and the CIDRs given, then what was done to which. */
struct acl_change {
	bool add, created, removed_acl;
	struct ew_portspec port;
	char pbuf[32], where[64];	/* "22/tcp", "in the ACL of 22/tcp" */
	struct ew_cidr *v;
	size_t n;
	json_t *done, *known;
};

/* Parse "PORT [from CIDR...]" at argv[optind...]; add needs the from part. */
static int parse_acl_args(int argc, char **argv, bool force, struct acl_change *e)
{
	char err[EW_ERRLEN], q[EW_QUOTE_LEN];

	if (optind >= argc)
		return ctl_usage("missing PORT");
	if (ew_portspec_parse(argv[optind], EW_PI_TCP, &e->port, err, sizeof(err)))
		return ctl_err("%s", err);
	ew_portspec_format(&e->port, e->pbuf, sizeof(e->pbuf));
	snprintf(e->where, sizeof(e->where), "in the ACL of %s", e->pbuf);
	if (optind + 1 >= argc)
		return e->add ? ctl_usage("missing 'from CIDR...'") : CTL_OK;
	if (strcmp(argv[optind + 1], "from"))
		return ctl_usage("expected 'from' after the port, not %s",
				 ew_quote(argv[optind + 1], q, sizeof(q)));
	if (optind + 2 >= argc)
		return ctl_usage("missing CIDR after 'from'");
	return ctl_cidr_args(argc, argv, optind + 2, force, &e->v, &e->n);
}

static int acl_apply(struct ctl_policy *p)
{
	struct ew_policy_doc *doc = &p->doc;
	struct acl_change *e = p->arg;
	ssize_t k = find_acl(doc, &e->port);
	struct ew_acl_doc *a;

	if (e->add) {
		if (k < 0) {
			a = ctl_grow(doc->acl, doc->n_acl, 1, sizeof(*a));
			if (!a)
				return CTL_ERR;
			doc->acl = a;
			k = (ssize_t)doc->n_acl++;
			a[k].port = e->port;
			e->created = true;
		}
		a = &doc->acl[k];
		return ctl_cidrs_add(&a->from, &a->n_from, e->v, e->n, e->where, e->done, e->known);
	}
	if (k < 0)
		return ctl_err("%s has no ACL (see 'edgewardctl acl list')", e->pbuf);
	a = &doc->acl[k];
	if (!e->n) {
		json_decref(e->done);
		e->done = ctl_json_cidrs(a->from, a->n_from);
		free(a->from);
		CTL_ARRAY_DEL(doc->acl, doc->n_acl, k);
		e->removed_acl = true;
		return CTL_OK;
	}
	if (ctl_cidrs_del(a->from, &a->n_from, e->v, e->n, e->where, e->done))
		return CTL_ERR;
	if (!a->n_from)
		return ctl_err("that would leave the ACL of %s empty; to delete the ACL, run "
			       "'edgewardctl acl del %s'",
			       e->pbuf, e->pbuf);
	return CTL_OK;
}

static int acl_report(struct ctl_policy *p)
{
	struct acl_change *e = p->arg;
	size_t i;

	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "port", json_string(e->pbuf));
		if (e->add) {
			json_object_set_new(o, "created", json_boolean(e->created));
			json_object_set_new(o, "added", e->done);
			json_object_set_new(o, "already", e->known);
		} else {
			json_object_set_new(o, "acl_deleted", json_boolean(e->removed_acl));
			json_object_set_new(o, "deleted", e->done);
			json_decref(e->known);
		}
		e->done = e->known = NULL;
		ctl_json_print(o);
	} else if (e->removed_acl) {
		ctl_info("deleted the ACL of %s", e->pbuf);
	} else {
		if (e->created)
			ctl_info("created an ACL for %s", e->pbuf);
		for (i = 0; i < json_array_size(e->done); i++)
			ctl_info("%s %s %s", e->pbuf,
				 e->add ? "now reachable from" : "no longer reachable from",
				 json_string_value(json_array_get(e->done, i)));
	}
	return CTL_OK;
}

static int acl_edit(int argc, char **argv, bool add)
{
	struct acl_change e = { .add = add, .done = json_array(), .known = json_array() };
	bool force = false;
	int rc;

	rc = ctl_opt_force(argc, argv, &force);
	if (rc == CTL_RUN) {
		rc = parse_acl_args(argc, argv, force, &e);
		if (!rc)
			rc = ctl_policy_edit(acl_apply, acl_report, &e);
	}
	json_decref(e.done);
	json_decref(e.known);
	free(e.v);
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

static int acl_show(struct ctl_policy *p)
{
	const struct ew_policy_doc *doc = &p->doc;
	struct ctl_table t;
	char pbuf[32];
	size_t i;

	if (ctl.json) {
		ctl_json_print_kv("acl", ctl_json_acl(doc));
		return CTL_OK;
	}
	if (!doc->n_acl) {
		if (!ctl.quiet)
			printf("no service ACLs\n");
		return CTL_OK;
	}
	tbl_init(&t, 2, 0, "PORT", "FROM");
	for (i = 0; i < doc->n_acl; i++) {
		const struct ew_acl_doc *a = &doc->acl[i];
		size_t len = a->n_from * (EW_CIDR_STRLEN + 2) + 1;
		char *from = malloc(len);

		if (from)
			ctl_join_cidrs(from, len, 0, a->from, a->n_from, ", ");
		ew_portspec_format(&a->port, pbuf, sizeof(pbuf));
		tbl_add(&t, pbuf, from ? from : "");
		free(from);
	}
	tbl_print(&t, stdout);
	tbl_free(&t);
	return CTL_OK;
}

static int cmd_acl_list(int argc, char **argv)
{
	return ctl_policy_view(argc, argv, acl_show);
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
