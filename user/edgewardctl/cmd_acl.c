// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl acl add|del|list: service ACLs ("22/tcp only from these
 * networks"). Read-modify-write of the whole policy, committed in one swap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int cmd_acl_add(int argc, char **argv);
static int cmd_acl_del(int argc, char **argv);
static int cmd_acl_list(int argc, char **argv);

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

static ssize_t find_acl(const struct ew_policy_doc *doc, const struct ew_portspec *p)
{
	size_t i;

	for (i = 0; i < doc->n_acl; i++)
		if (ctl_same_port(&doc->acl[i].port, p))
			return (ssize_t)i;
	return -1;
}

static ssize_t find_src(const struct ew_acl_doc *a, const struct ew_cidr *c)
{
	size_t i;

	for (i = 0; i < a->n_from; i++)
		if (ctl_same_cidr(&a->from[i], c))
			return (ssize_t)i;
	return -1;
}

/*
 * Parse "PORT [from CIDR...]" at argv[optind...]. need_from: the from part is
 * mandatory. The CIDRs are deduplicated; *cidrs malloc'd.
 */
static int parse_acl_args(int argc, char **argv, bool need_from, bool force,
			  struct ew_portspec *port, struct ew_cidr **cidrs, size_t *n)
{
	char err[EW_ERRLEN], q[EW_QUOTE_LEN];
	struct ew_cidr *v;
	int i, k = 0, j;

	*cidrs = NULL;
	*n = 0;
	if (optind >= argc)
		return ctl_usage("missing PORT");
	if (ew_portspec_parse(argv[optind], EW_PI_TCP, port, err, sizeof(err)))
		return ctl_err("%s", err);
	if (optind + 1 >= argc) {
		if (need_from)
			return ctl_usage("missing 'from CIDR...'");
		return CTL_OK;
	}
	if (strcmp(argv[optind + 1], "from"))
		return ctl_usage("expected 'from' after the port, not %s",
				 ew_quote(argv[optind + 1], q, sizeof(q)));
	if (optind + 2 >= argc)
		return ctl_usage("missing CIDR after 'from'");
	v = calloc((size_t)(argc - optind - 2), sizeof(*v));
	if (!v)
		return ctl_err("out of memory");
	for (i = optind + 2; i < argc; i++) {
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
	*cidrs = v;
	*n = (size_t)k;
	return CTL_OK;
}

static int acl_edit(int argc, char **argv, bool add)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	struct ew_policy_doc doc;
	struct ew_compiled live = { 0 }, next = { 0 };
	struct ew_maps m = { .lock = -1 };
	struct ew_portspec port;
	struct ew_cidr *v = NULL;
	struct ew_acl_doc *a;
	bool force = false, opened = false, have_doc = false, created = false, removed_acl = false;
	char pbuf[32], buf[EW_CIDR_STRLEN];
	json_t *done = json_array(), *skipped = json_array();
	size_t n = 0, i, changed = 0;
	ssize_t k;
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
	rc = parse_acl_args(argc, argv, add, force, &port, &v, &n);
	if (rc)
		goto out;
	rc = CTL_ERR;
	ew_portspec_format(&port, pbuf, sizeof(pbuf));
	if (ctl_maps_open(&m, true))
		goto out;
	opened = true;
	have_doc = true;	/* ctl_policy_get initialises doc first */
	if (ctl_policy_get(&m, &doc, &live))
		goto out_doc;

	k = find_acl(&doc, &port);
	if (add) {
		if (k < 0) {
			a = realloc(doc.acl, (doc.n_acl + 1) * sizeof(*a));
			if (!a) {
				ctl_err("out of memory");
				goto out_doc;
			}
			doc.acl = a;
			k = (ssize_t)doc.n_acl++;
			memset(&doc.acl[k], 0, sizeof(doc.acl[k]));
			doc.acl[k].port = port;
			created = true;
		}
		a = &doc.acl[k];
		{
			struct ew_cidr *grown = realloc(a->from, (a->n_from + n) * sizeof(*grown));

			if (!grown) {
				ctl_err("out of memory");
				goto out_doc;
			}
			a->from = grown;
		}
		for (i = 0; i < n; i++) {
			ew_cidr_format(&v[i], buf, sizeof(buf));
			if (find_src(a, &v[i]) >= 0) {
				json_array_append_new(skipped, json_string(buf));
				ctl_info("%s is already in the ACL of %s", buf, pbuf);
				continue;
			}
			a->from[a->n_from++] = v[i];
			json_array_append_new(done, json_string(buf));
			changed++;
		}
	} else {
		if (k < 0) {
			ctl_err("%s has no ACL (see 'edgewardctl acl list')", pbuf);
			goto out_doc;
		}
		a = &doc.acl[k];
		if (!n) {
			for (i = 0; i < a->n_from; i++) {
				ew_cidr_format(&a->from[i], buf, sizeof(buf));
				json_array_append_new(done, json_string(buf));
			}
			free(a->from);
			memmove(&doc.acl[k], &doc.acl[k + 1],
				(doc.n_acl - (size_t)k - 1) * sizeof(doc.acl[0]));
			doc.n_acl--;
			removed_acl = true;
			changed++;
		} else {
			for (i = 0; i < n; i++) {
				if (find_src(a, &v[i]) < 0) {
					ew_cidr_format(&v[i], buf, sizeof(buf));
					ctl_err("%s is not in the ACL of %s (nothing removed)", buf,
						pbuf);
					goto out_doc;
				}
			}
			if (n >= a->n_from) {
				ctl_err("that would leave the ACL of %s empty; to delete the ACL, run "
					"'edgewardctl acl del %s'",
					pbuf, pbuf);
				goto out_doc;
			}
			for (i = 0; i < n; i++) {
				ssize_t j = find_src(a, &v[i]);

				memmove(&a->from[j], &a->from[j + 1],
					(a->n_from - (size_t)j - 1) * sizeof(a->from[0]));
				a->n_from--;
				ew_cidr_format(&v[i], buf, sizeof(buf));
				json_array_append_new(done, json_string(buf));
				changed++;
			}
		}
	}
	if (changed && ctl_policy_put(&m, &doc, &next))
		goto out_doc;
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "port", json_string(pbuf));
		if (add) {
			json_object_set_new(o, "created", json_boolean(created));
			json_object_set_new(o, "added", done);
			json_object_set_new(o, "already", skipped);
		} else {
			json_object_set_new(o, "acl_deleted", json_boolean(removed_acl));
			json_object_set_new(o, "deleted", done);
			json_decref(skipped);
		}
		done = skipped = NULL;
		ctl_json_print(o);
	} else if (removed_acl) {
		ctl_info("deleted the ACL of %s", pbuf);
	} else {
		if (created)
			ctl_info("created an ACL for %s", pbuf);
		for (i = 0; i < json_array_size(done); i++)
			ctl_info("%s %s %s", pbuf, add ? "now reachable from" : "no longer reachable from",
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
	struct ew_policy_doc doc;
	struct ew_compiled live = { 0 };
	struct ew_maps m = { .lock = -1 };
	char pbuf[32], buf[EW_CIDR_STRLEN];
	int c, rc = CTL_ERR;
	size_t i, j;

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

		json_object_set_new(o, "acl", ctl_json_acl(&doc));
		ctl_json_print(o);
	} else if (!doc.n_acl) {
		if (!ctl.quiet)
			printf("no service ACLs\n");
	} else {
		struct ctl_table t;

		tbl_init(&t, 2, 0, "PORT", "FROM");
		for (i = 0; i < doc.n_acl; i++) {
			char *from = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&from, &len);

			for (j = 0; f && j < doc.acl[i].n_from; j++) {
				ew_cidr_format(&doc.acl[i].from[j], buf, sizeof(buf));
				fprintf(f, "%s%s", j ? ", " : "", buf);
			}
			if (f)
				fclose(f);
			ew_portspec_format(&doc.acl[i].port, pbuf, sizeof(pbuf));
			tbl_add(&t, pbuf, from ? from : "");
			free(from);
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
