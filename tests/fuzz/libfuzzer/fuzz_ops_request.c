// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: an API call's request, as edgewardd's run_op sees it.
 *
 * Input: byte 0 picks the operation (ops_table[byte % count]); the rest up
 * to the first '\n' is the query string (an HTTP request line cannot carry
 * a newline), what follows the body. No '\n': no query, all body.
 *
 * Every operation needs the pinned maps (or opens them itself) once its
 * request is checked, so the target stops where the maps would start:
 *  - ops_request (JSON body with JSON_REJECT_DUPLICATES, query values
 *    converted to the fields' types);
 *  - the body alone through json_loadb like api_body, and its dump parsed
 *    back equal;
 *  - ops_req_check against the entry's fields, the same first step every
 *    operation takes;
 *  - for a checked request, the value checks the operations run before
 *    touching a map, from the shared helpers: ttl_s and burst ranges, the
 *    reason, the CIDR lists (cidrs, from, import entries), the port, the
 *    rate, the class name, the origin;
 *  - ops_query_path of a checked request read back by ops_request gives the
 *    same request (for the requests a query can carry: no array or object
 *    fields, no empty string arrays), and ops_route finds the entry by the
 *    path it made;
 *  - ops_changes and ops_audit_details.
 * A broken property abort()s.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ops_int.h"

static size_t fuzz_n_ops;

static void fuzz_fail(const char *what, const struct ops_entry *e)
{
	fprintf(stderr, "fuzz_ops_request: %s: %s\n", e->name, what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	while (ops_table[fuzz_n_ops].name)
		fuzz_n_ops++;
	return 0;
}

/* The body alone, like api_body: one JSON value, no duplicate keys; it dumps and reads back. */
static void fuzz_body(const struct ops_entry *e, const char *body, size_t len)
{
	json_t *j, *back;
	char *text;

	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return;
	text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text)
		fuzz_fail("json_dumps failed on a parsed body", e);
	back = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (!back || !json_equal(j, back))
		fuzz_fail("a parsed body does not read back equal from its dump", e);
	json_decref(back);
	free(text);
	json_decref(j);
}

/* Can ops_query_path carry req? Strings, booleans, integers, non-empty string arrays. */
static int fuzz_query_expressible(const struct ops_entry *e, json_t *req)
{
	const struct ops_field *f;

	for (f = e->fields; f->name; f++) {
		json_t *v = json_object_get(req, f->name);

		if (!v)
			continue;
		if (f->type == OPS_T_ARRAY || f->type == OPS_T_OBJECT)
			return 0;
		if (f->type == OPS_T_STRS && !json_array_size(v))
			return 0;
	}
	return 1;
}

static void fuzz_query_roundtrip(const struct ops_entry *e, json_t *req)
{
	char err[512];
	const char *q;
	json_t *back = NULL;
	bool known;
	char *path;

	path = ops_query_path(e, req);
	if (!path)
		fuzz_fail("ops_query_path returned NULL", e);
	if (strncmp(path, e->path, strlen(e->path)))
		fuzz_fail("ops_query_path does not start with the entry's path", e);
	if (ops_route(e->method, path, &known) != e || !known)
		fuzz_fail("ops_route does not find the entry by its own query path", e);
	q = strchr(path, '?');
	if (!fuzz_query_expressible(e, req)) {
		free(path);
		return;
	}
	if (ops_request(e, q ? q + 1 : NULL, NULL, 0, &back, err, sizeof(err))) {
		fprintf(stderr, "fuzz_ops_request: %s: refused: %s\n", path, err);
		fuzz_fail("the query of ops_query_path is refused by ops_request", e);
	}
	if (!json_equal(back, req)) {
		fprintf(stderr, "fuzz_ops_request: query %s\n", path);
		fuzz_fail("request -> query -> request changed the request", e);
	}
	json_decref(back);
	free(path);
}

/* The CIDRs of a string array, as block.add/del, allow.*, acl.* check them. */
static void fuzz_cidrs(json_t *req, const char *key, bool force)
{
	char err[512];
	struct ew_cidr *v = NULL;
	json_t *a = json_object_get(req, key), *msgs = json_array();
	size_t n = 0, i;

	if (json_is_array(a) && !ops_cidr_list(a, force, true, msgs, &v, &n, err, sizeof(err))) {
		if (n > json_array_size(a))
			abort(); /* more CIDRs out than strings in */
		/* Sorted without duplicates: strictly increasing. */
		for (i = 1; i < n; i++)
			if (ops_cidr_cmp(&v[i - 1], &v[i]) >= 0)
				abort();
	}
	free(v);
	json_decref(msgs);
}

/* block.import's entries: strings or {"cidr", "ttl_s", "reason"}; each CIDR checked. */
static void fuzz_entries(json_t *req, bool force)
{
	char err[512], warn[EW_ERRLEN + EW_CIDR_STRLEN];
	struct ew_cidr c;
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(req, "entries"), i, x)
	{
		const char *s = json_is_object(x) ? ops_str(x, "cidr") : json_string_value(x);

		if (json_is_object(x) && ops_has(x, "reason") && ops_str(x, "reason"))
			ops_check_reason("reason", ops_str(x, "reason"), err, sizeof(err));
		if (s)
			ops_cidr(s, force, &c, warn, sizeof(warn), err, sizeof(err));
	}
}

/* What the operations check before they reach a map. */
static void fuzz_values(const struct ops_entry *e, json_t *req)
{
	struct ew_portspec ps, *pl = NULL;
	char err[512], txt[64];
	const char *s;
	bool force = ops_bool(req, "force");
	uint64_t u = 0;
	uint32_t rate, period;
	size_t n = 0, i;
	json_t *x;
	int r;

	if (ops_uint(req, "ttl_s", "--ttl", 0, OPS_TTL_MAX_S, &u, err, sizeof(err)) == 0 &&
	    u > OPS_TTL_MAX_S)
		fuzz_fail("ops_uint let a value above its maximum through", e);
	u = 1;
	if (ops_uint(req, "burst", "--burst", 1, 1000000, &u, err, sizeof(err)) == 0 &&
	    (u < 1 || u > 1000000))
		fuzz_fail("ops_uint let a value outside its range through", e);
	if ((s = ops_str(req, "reason")))
		ops_check_reason("--reason", s, err, sizeof(err));
	fuzz_cidrs(req, "cidrs", force);
	fuzz_cidrs(req, "from", force);
	fuzz_entries(req, force);
	if ((s = ops_str(req, "port")) && !ew_portspec_parse(s, EW_PI_TCP, &ps, err, sizeof(err))) {
		if (ps.lo > ps.hi || ew_portspec_format(&ps, txt, sizeof(txt)) < 0)
			fuzz_fail("an accepted port spec is malformed", e);
	}
	if (!strncmp(e->name, "ratelimit.", 10) && (s = ops_str(req, "name")))
		ops_check_class_name(s, err, sizeof(err));
	if ((s = ops_str(req, "rate")) && !ew_rate_parse(s, &rate, &period, err, sizeof(err))) {
		if (!rate || !period || ew_rate_format(rate, period, txt, sizeof(txt)) < 0)
			fuzz_fail("an accepted rate is malformed", e);
	}
	if ((s = ops_str(req, "origin")))
		ew_origin_parse(s);
	json_array_foreach(json_object_get(req, "ports"), i, x)
	{
		if (json_is_string(x) &&
		    !ew_portlist_parse(json_string_value(x), EW_PI_TCP, &pl, &n, err, sizeof(err)))
			free(pl);
		pl = NULL;
	}
	r = ops_changes(e, req);
	if (r && !e->write)
		fuzz_fail("a read-only operation is said to change something", e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ops_entry *e;
	const char *body = NULL, *nl;
	char err[1024], *query = NULL;
	size_t blen = 0;
	json_t *req = NULL, *audit;
	int r;

	if (size < 1 || !fuzz_n_ops)
		return 0;
	e = &ops_table[data[0] % fuzz_n_ops];
	data++;
	size--;
	nl = memchr(data, '\n', size);
	if (nl) {
		query = strndup((const char *)data, (size_t)(nl - (const char *)data));
		if (!query)
			return 0;
		body = nl + 1;
		blen = size - (size_t)(nl + 1 - (const char *)data);
	} else {
		body = (const char *)data;
		blen = size;
	}

	err[0] = '\0';
	r = ops_request(e, query, body, blen, &req, err, sizeof(err));
	if (r != 0 && r != -EINVAL && r != -ENOMEM)
		fuzz_fail("ops_request returned neither 0, -EINVAL nor -ENOMEM", e);
	if (r && (req || !err[0]))
		fuzz_fail("a refused request left a result or no reason", e);
	if (!r && !json_is_object(req))
		fuzz_fail("an accepted request is not a JSON object", e);
	if (blen)
		fuzz_body(e, body, blen);
	if (r)
		goto out;

	audit = ops_audit_details(e, req, req);
	if (!json_is_object(audit))
		fuzz_fail("ops_audit_details did not give an object", e);
	json_decref(audit);
	if (ops_req_check(req, e->fields, "", err, sizeof(err)))
		goto out;
	fuzz_values(e, req);
	fuzz_query_roundtrip(e, req);
out:
	json_decref(req);
	free(query);
	return 0;
}
