// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data-plane operations without a filter (no root, no maps): every
 * operation refuses bad requests before it touches a map, with the message
 * edgewardctl prints; the table and its routes are consistent; query
 * strings convert both ways; apply validates a policy under the client's
 * file name and dry-runs without a loaded filter; audit details stay small.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ops.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64], pin_dir[128];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ew-test-ops-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* Never created: the operations must find no filter there. */
	snprintf(pin_dir, sizeof(pin_dir), "%s/no-pins", tmpdir);
	/* apply's temporary files go here, and must be gone again at the end. */
	return setenv("TMPDIR", tmpdir, 1);
}

static int group_teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (!v)
		fail_msg("test bug: %s is not JSON: %s", text, je.text);
	return v;
}

/*
 * Run op on req (JSON text; NULL: no request) against maps that are not
 * open; *out and err get the results. Returns the operation's return value.
 */
static int run_op(const char *op, const char *req_text, json_t **out, char *err, size_t errlen)
{
	const struct ops_entry *e = ops_find(op);
	json_t *req = req_text ? parse(req_text) : NULL;
	struct ew_maps m;
	int r;

	if (!e)
		fail_msg("no operation %s", op);
	ops_maps_init(&m, pin_dir);
	err[0] = '\0';
	*out = NULL;
	r = e->fn(&m, req, out, err, errlen);
	json_decref(req);
	return r;
}

/* op must refuse req with rc and a message containing want, and answer nothing. */
static void refuses(const char *op, const char *req, int rc, const char *want)
{
	char err[1024];
	json_t *out;
	int r = run_op(op, req, &out, err, sizeof(err));

	if (r != rc || !strstr(err, want) || out)
		fail_msg("%s %s: got %d \"%s\" (answer %s), expected %d with \"%s\"", op,
			 req ? req : "NULL", r, err, out ? "set" : "NULL", rc, want);
}

/* ---- the table ---- */

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static void test_table(void **state)
{
	static const char *const resources[] = { "blocklist", "allowlist", "acl", "ratelimit",
						  "policy",    "filter",    "stats", "events",
						  NULL };
	static const char *const actions[] = { "read", "create", "update", "delete", "execute",
					       NULL };
	static const char *const cli_ops[] = { "status",	 "attach",	   "detach",
					       "reload",	 "block.add",	   "block.del",
					       "block.list",	 "block.import",   "block.flush",
					       "allow.add",	 "allow.del",	   "allow.list",
					       "acl.add",	 "acl.del",	   "acl.list",
					       "ratelimit.set", "ratelimit.del", "ratelimit.list",
					       "policy.show",	 "policy.set",	   "apply",
					       "stats" };
	const struct ops_entry *e, *f;
	size_t i, n = 0;

	(void)state;
	for (e = ops_table; e->name; e++, n++) {
		if (!in_list(e->resource, resources) || !in_list(e->action, actions))
			fail_msg("%s: RBAC %s/%s is not one of rbac.h's", e->name, e->resource,
				 e->action);
		if (strncmp(e->path, "/v1/", 4) || strchr(e->path, '?'))
			fail_msg("%s: path %s", e->name, e->path);
		if (strcmp(e->method, "GET") && strcmp(e->method, "POST"))
			fail_msg("%s: method %s", e->name, e->method);
		/* Reads are GETs without side effects; changes are POSTs and not "read". */
		if (!strcmp(e->method, "GET") != !e->write ||
		    (e->write && !strcmp(e->action, "read")))
			fail_msg("%s: %s, write %d, action %s", e->name, e->method, e->write,
				 e->action);
		if (!e->fn || !e->fields)
			fail_msg("%s: no function or no fields", e->name);
		if (ops_find(e->name) != e)
			fail_msg("ops_find(%s) is not its entry", e->name);
		if (ops_route(e->method, e->path, NULL) != e)
			fail_msg("ops_route(%s %s) is not %s", e->method, e->path, e->name);
		for (f = e + 1; f->name; f++)
			if (!strcmp(e->name, f->name) ||
			    (!strcmp(e->method, f->method) && !strcmp(e->path, f->path)))
				fail_msg("%s and %s share a name or a route", e->name, f->name);
	}
	/* Every data-plane command of edgewardctl has its operation (events does not). */
	for (i = 0; i < ARRAY_SIZE(cli_ops); i++)
		if (!ops_find(cli_ops[i]))
			fail_msg("no operation for edgewardctl's %s", cli_ops[i]);
	assert_int_equal(n, ARRAY_SIZE(cli_ops));
	assert_null(ops_find("events"));
	assert_null(ops_find(NULL));
	assert_null(ops_find(""));
	assert_null(ops_find("block"));
}

static void test_route(void **state)
{
	const struct ops_entry *e;
	bool known;

	(void)state;
	e = ops_route("GET", "/v1/blocks?origin=import&expired", &known);
	assert_non_null(e);
	assert_string_equal(e->name, "block.list");
	assert_true(known);
	e = ops_route("POST", "/v1/blocks", &known);
	assert_non_null(e);
	assert_string_equal(e->name, "block.add");
	/* The path exists with other methods: 405, not 404. */
	assert_null(ops_route("DELETE", "/v1/blocks", &known));
	assert_true(known);
	assert_null(ops_route("PUT", "/v1/policy", &known));
	assert_true(known);
	/* Near misses are no route at all. */
	static const char *const nope[] = { "/v1/blocks/", "/v1/blocksx", "/v1/block",
					    "/V1/blocks", "/v1//blocks", "v1/blocks",
					    "/v1/blocks/../allow", "", "/", "/v1/blocks%3F" };
	for (size_t i = 0; i < ARRAY_SIZE(nope); i++) {
		known = true;
		if (ops_route("GET", nope[i], &known) || known)
			fail_msg("ops_route(GET %s) found a route", nope[i]);
	}
	assert_null(ops_route("get", "/v1/blocks", NULL));
	assert_null(ops_route(NULL, "/v1/blocks", NULL));
	assert_null(ops_route("GET", NULL, &known));
	assert_false(known);
}

/* ---- request checks common to every operation ---- */

/* A value of the wrong JSON type for each field type. */
static const char *const wrong_values[][4] = {
	[OPS_T_STR] = { "1", "true", "[\"a\"]", "null" },
	[OPS_T_BOOL] = { "\"true\"", "1", "null", "{}" },
	[OPS_T_UINT] = { "-1", "1.5", "\"1\"", "true" },
	[OPS_T_STRS] = { "\"a\"", "[\"a\", 1]", "[null]", "{}" },
	[OPS_T_ARRAY] = { "{}", "\"x\"", "1", "null" },
	[OPS_T_OBJECT] = { "[]", "\"x\"", "1", "null" },
};

#define X16 "xxxxxxxxxxxxxxxx"
#define X48 X16 X16 X16
#define X64 X48 X16

static void test_request_shape(void **state)
{
	const struct ops_entry *e;
	const struct ops_field *f;
	char req[256], want[128];
	size_t i;

	(void)state;
	for (e = ops_table; e->name; e++) {
		refuses(e->name, "[]", -EINVAL, "the request must be a JSON object");
		refuses(e->name, "\"block\"", -EINVAL, "the request must be a JSON object");
		refuses(e->name, "{\"bogus\": 1}", -EINVAL, "unknown field 'bogus'");
		/* Hostile keys come back printable, short, and without quotes of their own. */
		refuses(e->name, "{\"a'\\u0001\\\\b\": 1}", -EINVAL, "unknown field 'a???b'");
		refuses(e->name, "{\"" X64 "\": 1}", -EINVAL,
			"unknown field '" X48 "...'");
		for (f = e->fields; f->name; f++) {
			for (i = 0; i < 4; i++) {
				snprintf(req, sizeof(req), "{\"%s\": %s}", f->name,
					 wrong_values[f->type][i]);
				snprintf(want, sizeof(want), "field '%s' must be", f->name);
				refuses(e->name, req, -EINVAL, want);
			}
			if (f->required) {
				snprintf(want, sizeof(want), "missing field '%s'", f->name);
				/* Required fields are checked in order: only the first is named. */
				if (f == e->fields)
					refuses(e->name, "{}", -EINVAL, want);
			}
		}
	}
}

/* op must refuse a request whose field key is the string s[0..n), NUL bytes and all. */
static void nul_refused(const char *op, const char *key, const char *s, size_t n)
{
	const struct ops_entry *e = ops_find(op);
	json_t *req = json_object(), *out = NULL;
	char err[256] = "", want[128];
	struct ew_maps m;
	int r;

	json_object_set_new(req, key, json_stringn(s, n));
	ops_maps_init(&m, pin_dir);
	r = e->fn(&m, req, &out, err, sizeof(err));
	json_decref(req);
	snprintf(want, sizeof(want), "field '%s' must be", key);
	if (r != -EINVAL || !strstr(err, want) || out)
		fail_msg("%s with a NUL in %s: %d \"%s\"", op, key, r, err);
}

/* ---- per operation: values ---- */

struct bad_req {
	const char *op, *req;
	int rc;
	const char *want;
};

static const struct bad_req bad_reqs[] = {
	/* block.add: the options' messages are the command line's. */
	{ "block.add", "{\"cidrs\": []}", -EINVAL, "missing CIDR" },
	{ "block.add", "{\"cidrs\": [\"10.1\"]}", -EINVAL, "\"10.1\"" },
	{ "block.add", "{\"cidrs\": [\"1.2.3.4/33\"]}", -EINVAL, "1.2.3.4/33" },
	{ "block.add", "{\"cidrs\": [\"192.0.2.1\", \"256.1.1.1\"]}", -EINVAL, "256.1.1.1" },
	{ "block.add", "{\"cidrs\": [\"\"]}", -EINVAL, "empty" },
	{ "block.add", "{\"cidrs\": [\"0.0.0.0/0\"]}", -EINVAL,
	  "0.0.0.0/0 covers every IPv4 address; add --force" },
	{ "block.add", "{\"cidrs\": [\"::/0\"], \"force\": false}", -EINVAL,
	  "::/0 covers every IPv6 address" },
	{ "block.add", "{\"cidrs\": [\"fe80::1%lo\"]}", -EINVAL, "fe80::1%lo" },
	{ "block.add", "{\"cidrs\": [\"1.2.3.4\"], \"ttl_s\": 3155760001}", -EINVAL,
	  "--ttl: \"3155760001\": out of range 0..3155760000" },
	{ "block.add",
	  "{\"cidrs\": [\"1.2.3.4\"], \"reason\": "
	  "\"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\"}",
	  -EINVAL, "--reason \"rrrr" },
	{ "block.add", "{\"cidrs\": [\"1.2.3.4\"], \"reason\": \"a\\u001b[2Jb\"}", -EINVAL,
	  "control characters are not allowed" },
	{ "block.add", "{\"cidrs\": [\"1.2.3.4\"], \"reason\": \"a\\u007fb\"}", -EINVAL,
	  "control characters" },
	{ "block.del", "{\"cidrs\": [\"::/129\"]}", -EINVAL, "::/129" },
	{ "block.del", "{\"cidrs\": []}", -EINVAL, "missing CIDR" },
	{ "block.del", "{\"cidrs\": [\"0.0.0.0/0\"]}", -EINVAL, "covers every" },
	{ "block.list", "{\"origin\": \"nobody\"}", -EINVAL,
	  "--origin \"nobody\": unknown origin (manual, import, policy, auto or fleet)" },
	{ "block.list", "{\"origin\": \"\"}", -EINVAL, "unknown origin" },
	{ "block.flush", "{\"origin\": \"Manual\"}", -EINVAL, "unknown origin" },
	{ "block.import", "{\"entries\": [\"1.2.3.4\", \"1.2.3.256\"]}", -EINVAL,
	  "entry 2: \"1.2.3.256\"" },
	{ "block.import", "{\"entries\": [\"0.0.0.0/0\"]}", -EINVAL,
	  "entry 1: 0.0.0.0/0 covers every IPv4 address" },
	{ "block.import", "{\"entries\": [5]}", -EINVAL, "CIDR strings or objects" },
	{ "block.import", "{\"entries\": [[\"1.2.3.4\"]]}", -EINVAL, "CIDR strings or objects" },
	{ "block.import", "{\"entries\": [{\"cidr\": \"1.2.3.4\", \"bogus\": 1}]}", -EINVAL,
	  "unknown field 'entries[0].bogus'" },
	{ "block.import", "{\"entries\": [\"1.2.3.4\", {\"ttl_s\": 5}]}", -EINVAL,
	  "missing field 'entries[1].cidr'" },
	{ "block.import", "{\"entries\": [{\"cidr\": \"1.2.3.4\", \"ttl_s\": -5}]}", -EINVAL,
	  "field 'entries[0].ttl_s' must be" },
	{ "block.import", "{\"entries\": [{\"cidr\": \"1.2.3.4\", \"reason\": \"\\u0007\"}]}",
	  -EINVAL, "entry 1: reason" },
	{ "block.import", "{\"entries\": [], \"origin\": \"policy\"}", -EINVAL,
	  "policy blocks belong to apply" },
	{ "block.import", "{\"entries\": [], \"origin\": \"bogus\"}", -EINVAL,
	  "origin \"bogus\"" },
	{ "block.import", "{\"entries\": [], \"reason\": \"\\u0001\"}", -EINVAL,
	  "--reason \"\\x01\": control characters" },
	{ "allow.add", "{\"cidrs\": []}", -EINVAL, "missing CIDR" },
	{ "allow.add", "{\"cidrs\": [\"192.0.2.9\", \"256.1.1.1\"]}", -EINVAL, "256.1.1.1" },
	{ "allow.add", "{\"cidrs\": [\"0.0.0.0/0\"]}", -EINVAL, "covers every" },
	{ "allow.del", "{\"cidrs\": [\"010.0.0.1\"]}", -EINVAL, "010.0.0.1" },
	{ "acl.add", "{\"port\": \"70000\", \"from\": [\"10.0.0.0/8\"]}", -EINVAL, "70000" },
	{ "acl.add", "{\"port\": \"\", \"from\": [\"10.0.0.0/8\"]}", -EINVAL, "empty" },
	{ "acl.add", "{\"port\": \"22\", \"from\": []}", -EINVAL, "missing CIDR after 'from'" },
	{ "acl.add", "{\"port\": \"22\"}", -EINVAL, "missing field 'from'" },
	{ "acl.add", "{\"port\": \"22\", \"from\": [\"10.0.0.0/8\", \"1.2.3\"]}", -EINVAL,
	  "1.2.3" },
	{ "acl.del", "{\"port\": \"22/xyz\"}", -EINVAL, "22/xyz" },
	{ "acl.del", "{\"port\": \"22\", \"from\": []}", -EINVAL, "missing CIDR after 'from'" },
	{ "ratelimit.set", "{\"name\": \"-web\"}", -EINVAL, "class name \"-web\"" },
	{ "ratelimit.set", "{\"name\": \"\"}", -EINVAL, "empty class name" },
	{ "ratelimit.set", "{\"name\": \"abcdefghijklmnopqrstuvwxyz\"}", -EINVAL, "too long" },
	{ "ratelimit.set", "{\"name\": \"$(id)\"}", -EINVAL, "class name \"$(id)\"" },
	{ "ratelimit.set", "{\"name\": \"web\", \"ports\": [\"80\", \"70000\"]}", -EINVAL,
	  "--ports: \"70000\"" },
	{ "ratelimit.set", "{\"name\": \"web\", \"ports\": []}", -EINVAL, "--ports: " },
	{ "ratelimit.set", "{\"name\": \"web\", \"rate\": \"10/fortnight\"}", -EINVAL,
	  "--rate: " },
	{ "ratelimit.set", "{\"name\": \"web\", \"burst\": 0}", -EINVAL,
	  "--burst: \"0\": out of range 1..1000000" },
	{ "ratelimit.set", "{\"name\": \"web\", \"burst\": 1000001}", -EINVAL, "1000001" },
	{ "ratelimit.set", "{\"name\": \"web\", \"count\": \"bytes\"}", -EINVAL,
	  "--count \"bytes\": expected conn or pkt" },
	{ "policy.set", "{}", -EINVAL, "nothing to change" },
	{ "policy.set", "{\"default\": {\"tcp\": \"maybe\"}}", -EINVAL,
	  "--default-tcp \"maybe\": expected deny or allow" },
	{ "policy.set", "{\"default\": {\"bogons\": \"deny\"}}", -EINVAL,
	  "--bogons \"deny\": expected drop or allow" },
	{ "policy.set", "{\"default\": {\"colour\": \"blue\"}}", -EINVAL,
	  "unknown field 'default.colour'" },
	{ "policy.set", "{\"default\": {\"tcp\": 1}}", -EINVAL,
	  "field 'default.tcp' must be a string" },
	{ "policy.set", "{\"events\": {\"sample\": 1000001}}", -EINVAL,
	  "--events-sample: \"1000001\": out of range" },
	{ "policy.set", "{\"events\": {\"max_per_sec\": -1}}", -EINVAL,
	  "field 'events.max_per_sec' must be" },
	{ "policy.set", "{\"open\": [\"80,,443\"]}", -EINVAL, "--open: " },
	{ "policy.set", "{\"close\": [\"443/quic\"]}", -EINVAL, "--close: " },
	{ "policy.set", "{\"open\": [\"80\"], \"close\": [\"80/tcp\"]}", -EINVAL,
	  "80/tcp is in both --open and --close" },
	{ "attach", "{\"interface\": \"lo\", \"mode\": \"turbo\"}", -EINVAL,
	  "--mode \"turbo\": expected native or skb" },
	{ "attach", "{\"interface\": \"a/b\"}", -EINVAL, "\"a/b\": not an interface name" },
	{ "attach", "{\"interface\": \"\"}", -EINVAL, "not an interface name" },
	{ "attach", "{\"interface\": \"abcdefghijklmnopq\"}", -EINVAL, "not an interface name" },
	{ "attach", "{\"interface\": \"nosuchif0\"}", -ENODEV, "\"nosuchif0\": no such interface" },
	{ "detach", "{\"interface\": \"x y\"}", -EINVAL, "not an interface name" },
	{ "detach", "{\"interface\": \"nosuchif0\"}", -ENODEV, "no such interface" },
	{ "reload", "{}", -ENOENT, "edgeward is not loaded in" },
	{ "reload", NULL, -ENOENT, "edgeward is not loaded in" },
	{ "apply", "{\"yaml\": \"version: 1\\n\", \"dry_run\": true, \"force\": 1}", -EINVAL,
	  "field 'force' must be true or false" },
};

static void test_bad_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_reqs); i++)
		refuses(bad_reqs[i].op, bad_reqs[i].req, bad_reqs[i].rc, bad_reqs[i].want);
}

/* ---- apply without a filter ---- */

static size_t entries_in(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		fail_msg("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void test_apply(void **state)
{
	char err[1024];
	json_t *out, *msgs, *big;
	int r;

	(void)state;
	/* Errors name the client's file, line and column, never the temporary file. */
	r = run_op("apply", "{\"yaml\": \"version: 1\\nopen: 80\\n\", \"name\": \"site.yaml\"}",
		   &out, err, sizeof(err));
	if (r != -EINVAL || strncmp(err, "site.yaml:2:", 12) || strstr(err, "edgeward-apply"))
		fail_msg("apply of a bad file: %d \"%s\", expected site.yaml:2:...", r, err);
	r = run_op("apply",
		   "{\"yaml\": \"version: 1\\ndefault:\\n  tcp: deny\\n  colour: blue\\n\", "
		   "\"name\": \"a/b c.yaml\", \"dry_run\": true}",
		   &out, err, sizeof(err));
	if (r != -EINVAL || strncmp(err, "a/b c.yaml:4:", 13))
		fail_msg("unknown key: %d \"%s\", expected a/b c.yaml:4:...", r, err);
	/* Without a name the request is the file. */
	refuses("apply", "{\"yaml\": \"open: [80/tcp]\\n\"}", -EINVAL, "request");
	/* Bytes no YAML parser takes (they are valid JSON text). */
	refuses("apply", "{\"yaml\": \"\\u0001\\u0002\", \"name\": \"bin.yaml\"}", -EINVAL,
		"bin.yaml");
	/* NUL bytes never get that far: no string of a request may hold one. */
	nul_refused("apply", "yaml", "version: 1\n\0", 12);
	nul_refused("block.add", "reason", "ok\0\x01", 4);
	nul_refused("block.list", "origin", "import\0x", 8);
	nul_refused("attach", "interface", "lo\0", 3);
	refuses("apply", "{\"yaml\": \"version: 1\\nallow: &a [10.0.0.0/8]\\n\", \"name\": \"x\"}",
		-EINVAL, "x:2:");
	refuses("apply", "{\"yaml\": \"version: 1\\nallow: [0.0.0.0/0]\\n\", \"name\": \"x\"}",
		-EINVAL, "x:2:");
	/* Valid, but not dry: there is no filter to apply it to. */
	refuses("apply", "{\"yaml\": \"version: 1\\n\", \"name\": \"x\"}", -ENOENT,
		"edgeward is not loaded");

	/* A dry run without a filter validates, and warns under the client's name. */
	r = run_op("apply",
		   "{\"yaml\": \"version: 1\\ndefault: {tcp: deny}\\nallow:\\n  - 10.1.2.3/8\\n"
		   "block:\\n  - cidr: 192.0.2.0/24\\n\", \"name\": \"site.yaml\", "
		   "\"dry_run\": true}",
		   &out, err, sizeof(err));
	if (r)
		fail_msg("dry run: %d \"%s\"", r, err);
	assert_string_equal(json_string_value(json_object_get(out, "file")), "site.yaml");
	assert_true(json_is_true(json_object_get(out, "dry_run")));
	assert_true(json_is_false(json_object_get(out, "loaded")));
	assert_null(json_object_get(out, "generation"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
							      out, "policy"),
						      "default"),
						      "tcp")),
			    "deny");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(out, "blocks"), "added"), 0)),
			    "192.0.2.0/24");
	msgs = json_object_get(out, "messages");
	if (json_array_size(msgs) != 1 ||
	    strncmp(json_string_value(json_array_get(msgs, 0)), "site.yaml:4:", 12) ||
	    !strstr(json_string_value(json_array_get(msgs, 0)), "warning"))
		fail_msg("dry run messages: %s", json_dumps(msgs, JSON_COMPACT));
	json_decref(out);

	/* Over 16 MiB: refused before it is written anywhere. */
	big = json_object();
	{
		size_t n = (16U << 20) + 1;
		char *s = malloc(n);

		assert_non_null(s);
		memset(s, '#', n);
		json_object_set_new(big, "yaml", json_stringn(s, n));
		free(s);
	}
	{
		struct ew_maps m;

		ops_maps_init(&m, pin_dir);
		r = ops_find("apply")->fn(&m, big, &out, err, sizeof(err));
		json_decref(big);
		if (r != -EFBIG || !strstr(err, "larger than 16 MiB"))
			fail_msg("16 MiB + 1: %d \"%s\"", r, err);
	}
	/* Every temporary file is gone again. */
	if (entries_in(tmpdir))
		fail_msg("%zu files left in %s", entries_in(tmpdir), tmpdir);
}

/* ---- shared checks ---- */

static void test_checks(void **state)
{
	char err[EW_ERRLEN], warn[EW_ERRLEN];
	struct ew_cidr c;

	(void)state;
	assert_int_equal(ops_cidr("10.1.2.3/8", false, &c, warn, sizeof(warn), err, sizeof(err)),
			 0);
	assert_string_equal(warn, "10.1.2.3/8 has host bits set; using 10.0.0.0/8");
	assert_int_equal(ops_cidr("10.0.0.0/8", false, &c, warn, sizeof(warn), err, sizeof(err)),
			 0);
	assert_string_equal(warn, "");
	assert_int_equal(ops_cidr("0.0.0.0/0", true, &c, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(ops_cidr("1.2.3.4/0", false, &c, warn, sizeof(warn), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "0.0.0.0/0 covers every IPv4 address"));
	assert_non_null(strstr(warn, "host bits"));
	assert_int_equal(ops_check_reason("r", "", err, sizeof(err)), 0);
	assert_int_equal(ops_check_reason("r", "caf\xc3\xa9", err, sizeof(err)), 0);
	assert_int_equal(ops_check_reason("r", "caf\xe9", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not valid UTF-8"));
	assert_int_equal(ops_check_class_name("web-1.a_b", err, sizeof(err)), 0);
	assert_int_equal(ops_check_class_name("_web", err, sizeof(err)), -EINVAL);
	assert_int_equal(ops_check_class_name("w b", err, sizeof(err)), -EINVAL);
	assert_false(ops_printable("a\tb"));
	assert_true(ops_printable("grüße"));
}

/* ---- query strings, statuses, audit details ---- */

static void test_request_query(void **state)
{
	static const struct {
		const char *op;
		const char *query, *body, *want;	/* want: JSON, or "!message" */
	} cases[] = {
		{ "block.list", "origin=import&expired=true", NULL,
		  "{\"origin\": \"import\", \"expired\": true}" },
		{ "block.list", "expired", NULL, "{\"expired\": true}" },
		{ "block.list", "expired=0", NULL, "{\"expired\": false}" },
		{ "block.list", "", NULL, "{}" },
		{ "block.list", NULL, NULL, "{}" },
		{ "block.list", "&&origin=a+b%2Fc&", NULL, "{\"origin\": \"a b/c\"}" },
		{ "block.list", "expired=maybe", NULL, "!field 'expired' must be true or false" },
		{ "block.list", "origin=a&origin=b", NULL, "!field 'origin' given twice" },
		{ "block.list", "bogus=1", NULL, "!unknown field 'bogus'" },
		{ "block.list", "origin=%zz", NULL, "!malformed query string" },
		{ "block.list", "origin=%4", NULL, "!malformed query string" },
		{ "block.list", "origin=%00x", NULL, "!malformed query string" },
		{ "block.list", "origin=%ff", NULL, "!must be UTF-8" },
		{ "block.list", "origin=x", "{\"origin\": \"y\"}", "!field 'origin' given twice" },
		{ "block.list", NULL, "[1]", "!the request must be a JSON object" },
		{ "block.list", NULL, "{", "!the request is not JSON" },
		{ "block.list", NULL, "{\"a\": 1, \"a\": 2}", "!the request is not JSON" },
		{ "block.add", "cidrs=1.2.3.4&cidrs=5.6.7.8&ttl_s=60", NULL,
		  "{\"cidrs\": [\"1.2.3.4\", \"5.6.7.8\"], \"ttl_s\": 60}" },
		{ "block.add", "ttl_s=01", NULL, "!leading zero" },
		{ "block.add", "ttl_s=-1", NULL, "!field 'ttl_s'" },
		{ "block.add", NULL, "{\"cidrs\": [\"1.2.3.4\"]}", "{\"cidrs\": [\"1.2.3.4\"]}" },
		{ "block.import", "entries=1.2.3.4", NULL, "!cannot be given in the query" },
	};
	char err[256];
	json_t *req, *want;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *body = cases[i].body;

		r = ops_request(ops_find(cases[i].op), cases[i].query, body,
				body ? strlen(body) : 0, &req, err, sizeof(err));
		if (cases[i].want[0] == '!') {
			if (r != -EINVAL || !strstr(err, cases[i].want + 1) || req)
				fail_msg("query \"%s\" body %s: %d \"%s\", expected \"%s\"",
					 cases[i].query, body, r, err, cases[i].want + 1);
			continue;
		}
		want = parse(cases[i].want);
		if (r || !json_equal(req, want))
			fail_msg("query \"%s\" body %s: %d \"%s\" %s, expected %s", cases[i].query,
				 body, r, err, req ? json_dumps(req, JSON_COMPACT) : "NULL",
				 cases[i].want);
		json_decref(req);
		json_decref(want);
	}
}

static void test_query_path(void **state)
{
	const struct ops_entry *list = ops_find("block.list");
	json_t *req = parse("{\"origin\": \"im port&x=1?#%\", \"expired\": true}"), *back;
	char *path, err[256];

	(void)state;
	path = ops_query_path(list, req);
	assert_non_null(path);
	assert_string_equal(path, "/v1/blocks?origin=im%20port%26x%3D1%3F%23%25&expired=true");
	/* What the daemon makes of it is what the client meant. */
	assert_int_equal(ops_request(list, strchr(path, '?') + 1, NULL, 0, &back, err, sizeof(err)),
			 0);
	assert_true(json_equal(req, back));
	free(path);
	json_decref(back);
	json_decref(req);
	req = json_object();
	path = ops_query_path(list, req);
	assert_string_equal(path, "/v1/blocks");
	free(path);
	json_decref(req);
}

static void test_http_status(void **state)
{
	(void)state;
	assert_int_equal(ops_http_status(0), 200);
	assert_int_equal(ops_http_status(-EINVAL), 400);
	assert_int_equal(ops_http_status(-EFBIG), 400);
	assert_int_equal(ops_http_status(-ENOENT), 404);
	assert_int_equal(ops_http_status(-ENODEV), 404);
	assert_int_equal(ops_http_status(-EEXIST), 409);
	assert_int_equal(ops_http_status(-EBUSY), 409);
	assert_int_equal(ops_http_status(-ENOSPC), 507);
	assert_int_equal(ops_http_status(-E2BIG), 507);
	assert_int_equal(ops_http_status(-EACCES), 403);
	assert_int_equal(ops_http_status(-EIO), 500);
	assert_int_equal(ops_http_status(-ENOMEM), 500);
}

static void test_audit_details(void **state)
{
	const struct ops_entry *imp = ops_find("block.import"), *apply = ops_find("apply");
	json_t *req = json_object(), *entries = json_array(), *d, *out, *dreq, *dent;
	char cidr[32];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(cidr, sizeof(cidr), "10.0.%d.%d", i / 256, i % 256);
		json_array_append_new(entries, json_string(cidr));
	}
	json_object_set_new(req, "entries", entries);
	json_object_set_new(req, "file", json_string("big.netset"));
	out = parse("{\"imported\": 1000, \"messages\": [\"warning: x\"]}");
	d = ops_audit_details(imp, req, out);
	assert_non_null(d);
	/* A long list becomes its count and its first items; messages are the operator's. */
	dreq = json_object_get(d, "request");
	dent = json_object_get(dreq, "entries");
	assert_int_equal(json_integer_value(json_object_get(dent, "count")), 1000);
	assert_int_equal(json_array_size(json_object_get(dent, "first")), 20);
	assert_string_equal(json_string_value(json_object_get(dreq, "file")), "big.netset");
	assert_null(json_object_get(json_object_get(d, "result"), "messages"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "result"),
							    "imported")),
			 1000);
	/* The caller's objects are not changed. */
	assert_int_equal(json_array_size(json_object_get(req, "entries")), 1000);
	assert_non_null(json_object_get(out, "messages"));
	json_decref(d);
	json_decref(req);
	json_decref(out);

	req = parse("{\"yaml\": \"abc\", \"name\": \"p.yaml\", \"dry_run\": false}");
	d = ops_audit_details(apply, req, NULL);
	dreq = json_object_get(d, "request");
	assert_null(json_object_get(dreq, "yaml"));
	assert_int_equal(json_integer_value(json_object_get(dreq, "yaml_bytes")), 3);
	/* SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
	assert_string_equal(json_string_value(json_object_get(dreq, "yaml_sha256")),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_null(json_object_get(d, "result"));
	assert_true(ops_changes(apply, req));
	json_decref(d);
	json_decref(req);
	req = parse("{\"yaml\": \"abc\", \"dry_run\": true}");
	assert_false(ops_changes(apply, req));
	json_decref(req);
	assert_false(ops_changes(ops_find("block.list"), NULL));
	assert_true(ops_changes(ops_find("block.add"), NULL));
	assert_false(ops_changes(NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_request_shape),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_request_query),
		cmocka_unit_test(test_query_path),
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_audit_details),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
