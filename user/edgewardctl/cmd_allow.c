// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl allow add|del|list: the allowlist, part of the policy, so each
 * change is a read-modify-write of the whole policy, committed in one swap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* add or del: the CIDRs given, then what was done to which. */
struct allow_change {
	bool add;
	struct ew_cidr *v;
	size_t n;
	json_t *done, *known;
};

static int allow_apply(struct ctl_policy *p)
{
	struct allow_change *e = p->arg;

	if (e->add)
		return ctl_cidrs_add(&p->doc.allow, &p->doc.n_allow, e->v, e->n, "allowed", e->done,
				     e->known);
	return ctl_cidrs_del(p->doc.allow, &p->doc.n_allow, e->v, e->n, "on the allowlist",
			     e->done);
}

static int allow_report(struct ctl_policy *p)
{
	struct allow_change *e = p->arg;
	size_t i;

	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, e->add ? "added" : "deleted", e->done);
		if (e->add)
			json_object_set_new(o, "already", e->known);
		else
			json_decref(e->known);
		e->done = e->known = NULL;
		ctl_json_print(o);
	} else {
		for (i = 0; i < json_array_size(e->done); i++)
			ctl_info("%s %s", e->add ? "allowed" : "removed from the allowlist:",
				 json_string_value(json_array_get(e->done, i)));
	}
	return CTL_OK;
}

static int allow_edit(int argc, char **argv, bool add)
{
	struct allow_change e = { .add = add, .done = json_array(), .known = json_array() };
	bool force = false;
	int rc;

	rc = ctl_opt_force(argc, argv, &force);
	if (rc == CTL_RUN) {
		rc = optind < argc ? ctl_cidr_args(argc, argv, optind, force, &e.v, &e.n) :
				     ctl_usage("missing CIDR");
		if (!rc)
			rc = ctl_policy_edit(allow_apply, allow_report, &e);
	}
	json_decref(e.done);
	json_decref(e.known);
	free(e.v);
	return rc;
}

static int cmd_allow_add(int argc, char **argv)
{
	return allow_edit(argc, argv, true);
}

static int cmd_allow_del(int argc, char **argv)
{
	return allow_edit(argc, argv, false);
}

static int allow_show(struct ctl_policy *p)
{
	const struct ew_policy_doc *doc = &p->doc;
	char buf[EW_CIDR_STRLEN];
	size_t i;

	if (ctl.json)
		ctl_json_print_kv("allow", ctl_json_cidrs(doc->allow, doc->n_allow));
	else if (!doc->n_allow) {
		if (!ctl.quiet)
			printf("the allowlist is empty\n");
	} else {
		for (i = 0; i < doc->n_allow; i++) {
			ew_cidr_format(&doc->allow[i], buf, sizeof(buf));
			printf("%s\n", buf);
		}
	}
	return CTL_OK;
}

static int cmd_allow_list(int argc, char **argv)
{
	return ctl_policy_view(argc, argv, allow_show);
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
