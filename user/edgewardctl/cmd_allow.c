// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl allow add|del|list: the allowlist, part of the policy, so each
 * change is a read-modify-write of the whole policy, committed in one swap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int cmd_allow_add(int argc, char **argv);
static int cmd_allow_del(int argc, char **argv);
static int cmd_allow_list(int argc, char **argv);

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

/* Parse the CIDR arguments (all of them first); *out malloc'd. */
static int parse_cidrs(int argc, char **argv, bool force, struct ew_cidr **out, size_t *n)
{
	struct ew_cidr *v;
	size_t i, k = 0, j;

	*out = NULL;
	*n = 0;
	if (optind >= argc)
		return ctl_usage("missing CIDR");
	v = calloc((size_t)(argc - optind), sizeof(*v));
	if (!v)
		return ctl_err("out of memory");
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		struct ew_cidr c;

		if (ctl_cidr(argv[i], force, &c)) {
			free(v);
			return CTL_ERR;
		}
		for (j = 0; j < k && !ctl_same_cidr(&v[j], &c); j++)
			;
		if (j == k)
			v[k++] = c;
	}
	*out = v;
	*n = k;
	return CTL_OK;
}

static ssize_t find_allow(const struct ew_policy_doc *doc, const struct ew_cidr *c)
{
	size_t i;

	for (i = 0; i < doc->n_allow; i++)
		if (ctl_same_cidr(&doc->allow[i], c))
			return (ssize_t)i;
	return -1;
}

static int allow_edit(int argc, char **argv, bool add)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	struct ew_policy_doc doc;
	struct ew_compiled live = { 0 }, next = { 0 };
	struct ew_maps m = { .lock = -1 };
	struct ew_cidr *v = NULL;
	bool force = false, opened = false, have_doc = false;
	char buf[EW_CIDR_STRLEN];
	json_t *done = json_array(), *skipped = json_array();
	size_t n = 0, i, changed = 0;
	int c, rc = CTL_ERR;

	while ((c = ctl_getopt(argc, argv, "f", opts)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case CTL_OPT_DONE:
			rc = ctl.opt_rc;
			goto out;
		}
	}
	rc = parse_cidrs(argc, argv, force, &v, &n);
	if (rc)
		goto out;
	rc = CTL_ERR;
	if (ctl_maps_open(&m, true))
		goto out;
	opened = true;
	have_doc = true;	/* ctl_policy_get initialises doc first */
	if (ctl_policy_get(&m, &doc, &live))
		goto out_doc;

	if (add) {
		struct ew_cidr *grown = realloc(doc.allow, (doc.n_allow + n) * sizeof(*grown));

		if (!grown) {
			ctl_err("out of memory");
			goto out_doc;
		}
		doc.allow = grown;
		for (i = 0; i < n; i++) {
			ew_cidr_format(&v[i], buf, sizeof(buf));
			if (find_allow(&doc, &v[i]) >= 0) {
				json_array_append_new(skipped, json_string(buf));
				ctl_info("%s is already allowed", buf);
				continue;
			}
			doc.allow[doc.n_allow++] = v[i];
			json_array_append_new(done, json_string(buf));
			changed++;
		}
	} else {
		/* Every CIDR must be there before any is removed. */
		for (i = 0; i < n; i++) {
			if (find_allow(&doc, &v[i]) < 0) {
				ew_cidr_format(&v[i], buf, sizeof(buf));
				ctl_err("%s is not on the allowlist (nothing removed)", buf);
				goto out_doc;
			}
		}
		for (i = 0; i < n; i++) {
			ssize_t k = find_allow(&doc, &v[i]);

			memmove(&doc.allow[k], &doc.allow[k + 1],
				(doc.n_allow - (size_t)k - 1) * sizeof(doc.allow[0]));
			doc.n_allow--;
			ew_cidr_format(&v[i], buf, sizeof(buf));
			json_array_append_new(done, json_string(buf));
			changed++;
		}
	}
	if (changed && ctl_policy_put(&m, &doc, &next))
		goto out_doc;
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, add ? "added" : "deleted", done);
		if (add)
			json_object_set_new(o, "already", skipped);
		else
			json_decref(skipped);
		done = skipped = NULL;
		ctl_json_print(o);
	} else {
		for (i = 0; i < json_array_size(done); i++)
			ctl_info("%s %s", add ? "allowed" : "removed from the allowlist:",
				 json_string_value(json_array_get(done, i)));
	}
	rc = CTL_OK;
out_doc:
	if (have_doc)
		ew_policy_doc_free(&doc);
	ew_compiled_free(&live);
	ew_compiled_free(&next);
out:
	if (opened)
		ew_maps_close(&m);
	json_decref(done);
	json_decref(skipped);
	free(v);
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

static int cmd_allow_list(int argc, char **argv)
{
	struct ew_policy_doc doc;
	struct ew_compiled live = { 0 };
	struct ew_maps m = { .lock = -1 };
	char buf[EW_CIDR_STRLEN];
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

		json_object_set_new(o, "allow", ctl_json_allow(&doc));
		ctl_json_print(o);
	} else if (!doc.n_allow) {
		if (!ctl.quiet)
			printf("the allowlist is empty\n");
	} else {
		for (i = 0; i < doc.n_allow; i++) {
			ew_cidr_format(&doc.allow[i], buf, sizeof(buf));
			printf("%s\n", buf);
		}
	}
	rc = CTL_OK;
out:
	ew_policy_doc_free(&doc);
	ew_compiled_free(&live);
	ew_maps_close(&m);
	return rc;
}
