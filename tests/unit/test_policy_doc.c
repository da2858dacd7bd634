// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy documents: every rejection names its file, line and column; the
 * example policy loads, compiles to the expected ports table and survives a
 * compile/decompile round trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/types.h>

#include "edgeward/abi.h"
#include "policy_doc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ew-test-policy-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* A fresh file holding len bytes of text; its name goes to path. */
static void write_policy(const char *text, size_t len, char *path, size_t plen)
{
	size_t off = 0;
	int fd;

	snprintf(path, plen, "%s/policy-XXXXXX.yaml", tmpdir);
	fd = mkstemps(path, 5);
	if (fd < 0)
		fail_msg("mkstemps %s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n <= 0)
			fail_msg("write %s: %s", path, strerror(errno));
		off += (size_t)n;
	}
	close(fd);
}

/*
 * Load text as a policy file. The warnings written go to *warn (malloc'd,
 * never NULL); the file is gone again on return, its name stays in path.
 */
static int load_text(const char *text, size_t len, bool force, struct ew_policy_doc *doc,
		     char *path, size_t plen, char *err, char **warn)
{
	size_t wlen = 0;
	FILE *w;
	int r;

	write_policy(text, len ? len : strlen(text), path, plen);
	w = open_memstream(warn, &wlen);
	assert_non_null(w);
	err[0] = '\0';
	r = ew_policy_doc_load(path, force, doc, w, err, EW_ERRLEN);
	fclose(w);
	unlink(path);
	return r;
}

/* err must start with "path:line:" and contain want. */
static void expect_error(const char *name, int r, const char *path, const char *err, int line,
			 const char *want)
{
	char prefix[128];

	if (r != -EINVAL)
		fail_msg("%s: load returned %d (%s), expected -EINVAL", name, r, err);
	snprintf(prefix, sizeof(prefix), "%s:%d:", path, line);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("%s: message \"%s\" does not start with \"%s\"", name, err, prefix);
	if (!strstr(err, want))
		fail_msg("%s: message \"%s\" does not contain \"%s\"", name, err, want);
}

#define RL_HEAD "version: 1\nratelimit:\n"
#define BLOCK_HEAD "version: 1\nblock:\n  - cidr: 192.0.2.0/24\n"

static const struct bad_case {
	const char *name;
	const char *yaml;
	size_t len;		/* 0: strlen; set for text holding NUL bytes */
	int line;
	const char *want;
} bad_cases[] = {
	/* keys */
	{ "unknown top key", "version: 1\nfrobnicate: 1\n", 0, 2,
	  "top level: unknown key \"frobnicate\" (expected version, default," },
	{ "unknown acl key",
	  "version: 1\nacl:\n  - port: 22/tcp\n    prot: 22/tcp\n    from: [10.0.0.0/8]\n", 0, 4,
	  "acl[0]: unknown key \"prot\" (expected port, from)" },
	{ "unknown default key", "version: 1\ndefault:\n  tcp: deny\n  sctp: deny\n", 0, 4,
	  "default: unknown key \"sctp\"" },
	{ "unknown events key", "version: 1\nevents: {sample: 1, rate: 5}\n", 0, 2,
	  "events: unknown key \"rate\"" },
	{ "duplicate top key", "version: 1\nopen: [80/tcp]\nopen: [443/tcp]\n", 0, 3,
	  "duplicate key \"open\" (first at line 2)" },
	{ "duplicate nested key", "version: 1\ndefault:\n  tcp: deny\n  tcp: allow\n", 0, 4,
	  "default: duplicate key \"tcp\" (first at line 3)" },
	{ "duplicate version", "version: 1\nversion: 1\n", 0, 2, "duplicate key \"version\"" },
	{ "duplicate flow key", "version: 1\nevents: {sample: 1, sample: 2}\n", 0, 2,
	  "events: duplicate key \"sample\"" },
	{ "non-scalar key", "version: 1\n? [a, b]\n: 1\n", 0, 2, "keys must be plain words" },

	/* node types */
	{ "scalar for list", "version: 1\nopen: 80/tcp\n", 0, 2,
	  "open: expected a list, got a single value" },
	{ "list for mapping", "version: 1\ndefault: [tcp]\n", 0, 2,
	  "default: expected a mapping of keys, got a list" },
	{ "scalar acl item", "version: 1\nacl:\n  - 22/tcp\n", 0, 3,
	  "acl[0]: expected a mapping of keys, got a single value" },
	{ "list in list", "version: 1\nopen: [[80/tcp]]\n", 0, 2,
	  "open[0]: expected a value, got a list" },
	{ "mapping for scalar", "version: 1\nacl:\n  - port: {p: 22}\n    from: [10.0.0.0/8]\n", 0,
	  3, "acl[0].port: expected a value, got a mapping" },
	{ "null for list", "version: 1\nallow: ~\n", 0, 2, "allow: expected a list, got nothing" },
	{ "null for value", "version: 1\ndefault:\n  tcp:\n  udp: deny\n", 0, 3,
	  "default.tcp: expected a value, got nothing" },
	{ "top level list", "- version: 1\n", 0, 1, "top level must be a mapping of keys" },
	{ "top level scalar", "version 1\n", 0, 1, "top level must be a mapping of keys" },

	/* version */
	{ "missing version", "open: [80/tcp]\n", 0, 1, "missing version" },
	{ "empty file", "", 0, 1, "missing version" },
	{ "only comments", "# nothing\n# here\n", 0, 1, "missing version" },
	{ "empty document", "---\n...\n", 0, 1, "missing version" },
	{ "version 2", "version: 2\n", 0, 1,
	  "version: unsupported version \"2\" (this edgeward reads version 1)" },
	{ "version 1.0", "version: 1.0\n", 0, 1, "unsupported version \"1.0\"" },
	{ "version 01", "open: []\nversion: 01\n", 0, 2, "unsupported version" },
	{ "version quoted", "version: \"1\"\n", 0, 1, "expected the number 1, got the string" },
	{ "version list", "version: [1]\n", 0, 1, "expected the number 1, got a list" },

	/* YAML features refused, encoding, syntax */
	{ "anchor", "version: 1\nopen: &ports [80/tcp]\n", 0, 2, "anchors are not accepted" },
	{ "alias", "version: 1\nopen: [*ports]\n", 0, 2, "aliases are not accepted" },
	{ "billion laughs",
	  "version: 1\nlol:\n  a: &a [lol, lol, lol]\n  b: &b [*a, *a, *a]\n  c: [*b, *b, *b]\n", 0,
	  3, "anchors are not accepted" },
	{ "tag", "version: 1\nopen: !!seq [80/tcp]\n", 0, 2, "tags are not accepted" },
	{ "scalar tag", "version: 1\nopen: [!!str 80/tcp]\n", 0, 2, "tags are not accepted" },
	{ "invalid UTF-8", "version: 1\n# caf\xe9\n", 0, 2, "UTF-8" },
	{ "overlong UTF-8",
	  BLOCK_HEAD "    reason: \"\xc0\xaf\"\n", 0, 4, "UTF-8" },
	{ "UTF-16", "\xff\xfev\0e\0r\0", 8, 1, "UTF-8" },
	{ "NUL byte", "version: 1\n\0\n", 13, 2, "control characters" },
	{ "NUL escape", BLOCK_HEAD "    reason: \"a\\0b\"\n", 0, 4, "NUL character" },
	{ "unclosed flow list", "version: 1\nopen: [80/tcp\nallow: []\n", 0, 3, "YAML syntax" },
	{ "bad indentation", "version: 1\n  open: []\n", 0, 2, "YAML syntax" },
	{ "folded list item", "version: 1\nopen:\n- 80/tcp\n  - 443/tcp\n", 0, 3,
	  "open[0]: \"80/tcp - 443/tcp\": unknown protocol" },
	{ "tab indentation", "version: 1\ndefault:\n\ttcp: deny\n", 0, 3, "YAML syntax" },
	{ "second document", "version: 1\n---\nversion: 1\n", 0, 2, "second YAML document" },
	{ "deep nesting", "version: 1\nopen: [[[[[[[[[[80/tcp]]]]]]]]]]\n", 0, 2,
	  "nested too deep" },

	/* CIDRs */
	{ "allow everything", "version: 1\nallow: [0.0.0.0/0]\n", 0, 2,
	  "allow[0]: \"0.0.0.0/0\" covers every address; use --force" },
	{ "acl from everything",
	  "version: 1\nacl:\n  - port: 22/tcp\n    from: [10.0.0.0/8, \"::/0\"]\n", 0, 4,
	  "acl[0].from[1]: \"::/0\" covers every address; use --force" },
	{ "block everything", "version: 1\nblock:\n  - cidr: 0.0.0.0/0\n", 0, 3,
	  "block[0].cidr: \"0.0.0.0/0\" covers every address; use --force" },
	{ "shorthand CIDR", "version: 1\nallow:\n  - 10.1/16\n", 0, 3,
	  "allow[0]: \"10.1/16\": expected four decimal octets" },
	{ "leading zero CIDR",
	  "version: 1\nacl:\n  - port: 22/tcp\n    from:\n      - 10.0.0.0/8\n"
	  "      - 010.0.0.0/8\n",
	  0, 6, "acl[0].from[1]: \"010.0.0.0/8\": leading zero" },
	{ "prefix too long", "version: 1\nallow: [2001:db8::/129]\n", 0, 2,
	  "allow[0]: \"2001:db8::/129\": prefix length out of range" },
	{ "zone id", "version: 1\nallow: [\"fe80::1%eth0\"]\n", 0, 2, "zone ids" },
	{ "CIDR list item is a number", "version: 1\nallow: [10]\n", 0, 2, "allow[0]: \"10\"" },

	/* ports, rates, durations */
	{ "port out of range", "version: 1\nopen: [80/tcp, 70000/tcp]\n", 0, 2,
	  "open[1]: \"70000/tcp\": port out of range 0..65535" },
	{ "port without protocol", "version: 1\nopen:\n  - 80\n", 0, 3,
	  "open[0]: \"80\": missing protocol" },
	{ "ICMP type 256", "version: 1\nopen: [256/icmp]\n", 0, 2, "ICMP type out of range" },
	{ "backwards range", "version: 1\nopen: [90-80/tcp]\n", 0, 2, "runs backwards" },
	{ "acl port without protocol", "version: 1\nacl:\n  - port: 22\n    from: [10.0.0.0/8]\n",
	  0, 3, "acl[0].port: \"22\": missing protocol" },
	{ "bad rate unit",
	  RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 25/fortnight\n    burst: 100\n", 0,
	  5, "ratelimit[0].rate: \"25/fortnight\": unknown unit" },
	{ "zero rate",
	  RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 0/min\n    burst: 1\n", 0, 5,
	  "ratelimit[0].rate: \"0/min\": count out of range" },
	{ "bad ttl", BLOCK_HEAD "    ttl: 5x\n", 0, 4, "block[0].ttl: \"5x\": unknown unit" },
	{ "zero ttl", BLOCK_HEAD "    ttl: 0s\n", 0, 4, "block[0].ttl: \"0s\": zero duration" },
	{ "ttl without unit", BLOCK_HEAD "    ttl: 3600\n", 0, 4, "missing unit" },

	/* ACLs */
	{ "empty from", "version: 1\nacl:\n  - port: 22/tcp\n    from: []\n", 0, 4,
	  "acl[0].from: empty list" },
	{ "missing from", "version: 1\nacl:\n  - port: 22/tcp\n", 0, 3,
	  "acl[0]: missing key \"from\"" },
	{ "missing port", "version: 1\nacl:\n  - from: [10.0.0.0/8]\n", 0, 3,
	  "acl[0]: missing key \"port\"" },
	{ "overlapping ACL ports",
	  "version: 1\nacl:\n  - port: 22/tcp\n    from: [10.0.0.0/8]\n"
	  "  - port: 20-25/tcp\n    from: [192.168.0.0/16]\n",
	  0, 5, "acl[1].port: 20-25/tcp overlaps acl[0].port 22/tcp (line 3)" },
	{ "open port also in an ACL",
	  "version: 1\nopen: [80/tcp, 22/tcp]\nacl:\n  - port: 22/tcp\n    from: [10.0.0.0/8]\n", 0,
	  4, "acl[0].port: 22/tcp is also in open[1] (line 2)" },
	{ "duplicate ACL source",
	  "version: 1\nacl:\n  - port: 22/tcp\n    from:\n      - 10.0.0.0/8\n"
	  "      - 172.16.0.0/12\n      - 10.0.0.0/8\n",
	  0, 7, "acl[0].from[2]: 10.0.0.0/8 is listed twice, first as acl[0].from[0] (line 5)" },

	/* rate-limit classes */
	{ "class without ports", RL_HEAD "  - name: web\n    rate: 25/min\n    burst: 100\n", 0, 3,
	  "ratelimit[0]: missing key \"ports\"" },
	{ "class with empty ports",
	  RL_HEAD "  - name: web\n    ports: []\n    rate: 25/min\n    burst: 100\n", 0, 4,
	  "ratelimit[0].ports: empty list" },
	{ "class without rate", RL_HEAD "  - name: web\n    ports: [80/tcp]\n    burst: 100\n", 0,
	  3, "ratelimit[0]: missing key \"rate\"" },
	{ "class without burst", RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 1/s\n", 0,
	  3, "ratelimit[0]: missing key \"burst\"" },
	{ "burst 0", RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 25/min\n    burst: 0\n",
	  0, 6, "ratelimit[0].burst: \"0\": out of range 1..1000000" },
	{ "burst too big",
	  RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 25/min\n    burst: 1000001\n",
	  0, 6, "ratelimit[0].burst: \"1000001\": out of range 1..1000000" },
	{ "burst quoted",
	  RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 25/min\n    burst: \"100\"\n",
	  0, 6, "ratelimit[0].burst: expected a number, got a quoted string" },
	{ "burst negative",
	  RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 25/min\n    burst: -1\n", 0, 6,
	  "not a decimal number" },
	{ "name upper case",
	  RL_HEAD "  - name: HTTP\n    ports: [80/tcp]\n    rate: 25/min\n    burst: 1\n", 0, 3,
	  "ratelimit[0].name: \"HTTP\" is not a name" },
	{ "name too long",
	  RL_HEAD "  - name: abcdefghijklmnopqrstuvwx\n    ports: [80/tcp]\n    rate: 1/s\n"
		  "    burst: 1\n",
	  0, 3, "is not a name (1 to 23 of a-z, 0-9, _, -)" },
	{ "name with space",
	  RL_HEAD "  - name: web api\n    ports: [80/tcp]\n    rate: 1/s\n    burst: 1\n", 0, 3,
	  "\"web api\" is not a name" },
	{ "empty name",
	  RL_HEAD "  - name: \"\"\n    ports: [80/tcp]\n    rate: 1/s\n    burst: 1\n", 0, 3,
	  "\"\" is not a name" },
	{ "bad count",
	  RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 1/s\n    burst: 1\n"
		  "    count: both\n",
	  0, 7, "ratelimit[0].count: \"both\" is neither conn nor pkt" },
	{ "port in two classes",
	  RL_HEAD "  - name: web\n    ports: [80/tcp, 443/tcp]\n    rate: 1/s\n    burst: 1\n"
		  "  - name: tls\n    ports: [8443/tcp, 400-500/tcp]\n    rate: 1/s\n"
		  "    burst: 1\n",
	  0, 8, "ratelimit[1].ports[1]: 400-500/tcp is already in class \"web\" of ratelimit[0] "
		"(line 3)" },
	{ "port twice in one class",
	  RL_HEAD "  - name: web\n    ports:\n      - 80/tcp\n      - 80/tcp\n    rate: 1/s\n"
		  "    burst: 1\n",
	  0, 6, "ratelimit[0].ports[1]: 80/tcp overlaps another port of the same class" },
	{ "duplicate class names",
	  RL_HEAD "  - name: web\n    ports: [80/tcp]\n    rate: 1/s\n    burst: 1\n"
		  "  - name: web\n    ports: [443/tcp]\n    rate: 1/s\n    burst: 1\n",
	  0, 7,
	  "ratelimit[1].name: class \"web\" is defined twice, first as ratelimit[0] (line 3)" },

	/* allow, open, block, default, events */
	{ "duplicate allow",
	  "version: 1\nallow:\n  - 192.0.2.0/24\n  - 2001:db8::/32\n  - 192.0.2.0/24\n", 0, 5,
	  "allow[2]: 192.0.2.0/24 is listed twice, first as allow[0] (line 3)" },
	{ "duplicate allow, other spelling",
	  "version: 1\nallow:\n  - 2001:db8::/32\n  - 2001:DB8:0::/32\n", 0, 4,
	  "allow[1]: 2001:db8::/32 is listed twice" },
	{ "open twice", "version: 1\nopen:\n  - 80/tcp\n  - 79-81/tcp\n", 0, 4,
	  "open[1]: 79-81/tcp overlaps open[0] (line 3)" },
	{ "block without cidr", "version: 1\nblock:\n  - reason: x\n", 0, 3,
	  "block[0]: missing key \"cidr\"" },
	{ "duplicate block",
	  "version: 1\nblock:\n  - cidr: 192.0.2.0/24\n  - cidr: 198.51.100.0/24\n"
	  "  - cidr: 192.0.2.0/24\n",
	  0, 5, "block[2].cidr: 192.0.2.0/24 is blocked twice, first in block[0] (line 3)" },
	{ "reason too long",
	  BLOCK_HEAD "    reason: "
		     "\"0123456789012345678901234567890123456789012345678901234567890123\"\n",
	  0, 4, "block[0].reason: longer than 63 bytes" },
	{ "reason tab", BLOCK_HEAD "    reason: \"a\\tb\"\n", 0, 4,
	  "block[0].reason: control character at byte 2" },
	{ "reason escape", BLOCK_HEAD "    reason: \"\\e[31mred\"\n", 0, 4, "control character" },
	{ "reason C1", BLOCK_HEAD "    reason: \"ab\\x85\"\n", 0, 4,
	  "control character at byte 3" },
	{ "reason list", BLOCK_HEAD "    reason: [a]\n", 0, 4,
	  "block[0].reason: expected a value" },
	{ "bad default word", "version: 1\ndefault:\n  tcp: block\n", 0, 3,
	  "default.tcp: \"block\" is neither deny nor allow" },
	{ "bogons deny", "version: 1\ndefault: {bogons: deny}\n", 0, 2,
	  "default.bogons: \"deny\" is neither drop nor allow" },
	{ "YAML boolean", "version: 1\ndefault: {tcp: no}\n", 0, 2, "neither deny nor allow" },
	{ "events sample too big", "version: 1\nevents:\n  sample: 1000001\n", 0, 3,
	  "events.sample: \"1000001\": out of range 0..1000000" },
	{ "events quoted", "version: 1\nevents:\n  max_per_sec: '5'\n", 0, 3,
	  "events.max_per_sec: expected a number" },
};

static void test_bad_files(void **state)
{
	char path[128], err[EW_ERRLEN];
	size_t i;

	(void)state;
	assert_true(ARRAY_SIZE(bad_cases) >= 60);
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *t = &bad_cases[i];
		struct ew_policy_doc doc;
		char *warn = NULL;
		int r;

		r = load_text(t->yaml, t->len, false, &doc, path, sizeof(path), err, &warn);
		if (getenv("EW_TEST_VERBOSE"))
			print_message("%-32s %s\n", t->name, err + strlen(path) + 1);
		expect_error(t->name, r, path, err, t->line, t->want);
		/* A failed load leaves nothing to free and nothing half-filled. */
		if (doc.n_open || doc.n_allow || doc.n_acl || doc.n_rl || doc.n_block || doc.open ||
		    doc.acl || doc.rl || doc.block || doc.allow)
			fail_msg("%s: document not empty after a failed load", t->name);
		ew_policy_doc_free(&doc);
		free(warn);
	}
}

/* Duplicates are errors in their own right, with no warning on the side. */
static void test_duplicate_no_warning(void **state)
{
	static const char yaml[] = "version: 1\nallow: [192.0.2.1, 192.0.2.1/32]\n";
	char path[128], err[EW_ERRLEN], *warn;
	struct ew_policy_doc doc;
	int r;

	(void)state;
	r = load_text(yaml, 0, false, &doc, path, sizeof(path), err, &warn);
	expect_error("duplicate", r, path, err, 2, "allow[1]: 192.0.2.1/32 is listed twice");
	assert_string_equal(warn, "");
	free(warn);
}

static void test_host_bits_warning(void **state)
{
	static const char yaml[] = "version: 1\n"
				   "acl:\n"
				   "  - port: 22/tcp\n"
				   "    from: [10.0.0.0/16, 10.1.0.1/8]\n"
				   "allow:\n"
				   "  - 2001:db8::1/48\n";
	char path[128], err[EW_ERRLEN], want[512], buf[EW_CIDR_STRLEN], *warn;
	struct ew_policy_doc doc;
	int r;

	(void)state;
	r = load_text(yaml, 0, false, &doc, path, sizeof(path), err, &warn);
	if (r)
		fail_msg("load: %d %s", r, err);
	snprintf(want, sizeof(want),
		 "%s:4:25: warning: acl[0].from[1]: \"10.1.0.1/8\": host bits set; "
		 "using 10.0.0.0/8\n"
		 "%s:6:5: warning: allow[0]: \"2001:db8::1/48\": host bits set; "
		 "using 2001:db8::/48\n",
		 path, path);
	assert_string_equal(warn, want);
	ew_cidr_format(&doc.acl[0].from[1], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/8");
	ew_cidr_format(&doc.allow[0], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/48");
	ew_policy_doc_free(&doc);
	free(warn);

	/* A NULL warn stream is fine. */
	write_policy(yaml, strlen(yaml), path, sizeof(path));
	assert_int_equal(ew_policy_doc_load(path, false, &doc, NULL, err, sizeof(err)), 0);
	unlink(path);
	ew_policy_doc_free(&doc);
}

static void test_force(void **state)
{
	static const char yaml[] = "version: 1\nallow: [0.0.0.0/0, \"::/0\"]\n";
	char path[128], err[EW_ERRLEN], *warn;
	struct ew_policy_doc doc;
	int r;

	(void)state;
	r = load_text(yaml, 0, true, &doc, path, sizeof(path), err, &warn);
	if (r)
		fail_msg("load with force: %d %s", r, err);
	assert_int_equal(doc.n_allow, 2);
	assert_int_equal(doc.allow[1].family, 6);
	assert_int_equal(doc.allow[1].plen, 0);
	ew_policy_doc_free(&doc);
	free(warn);
}

/* A growing string, for generated files. */
struct sbuf {
	char *s;
	size_t len;
	FILE *f;
};

static void sbuf_open(struct sbuf *b)
{
	b->s = NULL;
	b->len = 0;
	b->f = open_memstream(&b->s, &b->len);
	assert_non_null(b->f);
}

static void sbuf_close(struct sbuf *b)
{
	fclose(b->f);
}

static void load_generated(struct sbuf *b, int *r, struct ew_policy_doc *doc, char *path,
			   char *err)
{
	char *warn;

	sbuf_close(b);
	*r = load_text(b->s, b->len, false, doc, path, 128, err, &warn);
	free(b->s);
	free(warn);
}

static void test_limits(void **state)
{
	char path[128], err[EW_ERRLEN];
	struct ew_policy_doc doc;
	struct ew_compiled c;
	struct sbuf b;
	int i, r;

	(void)state;
	/* 255 ACLs are fine, the 256th is at line 3 + 2 * 255. */
	for (int n = 255; n <= 256; n++) {
		sbuf_open(&b);
		fprintf(b.f, "version: 1\nacl:\n");
		for (i = 0; i < n; i++)
			fprintf(b.f, "  - port: %d/tcp\n    from: [10.0.0.0/8]\n", 1000 + i);
		load_generated(&b, &r, &doc, path, err);
		if (n == 255) {
			if (r)
				fail_msg("255 ACLs: %s", err);
			assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), 0);
			assert_int_equal(c.pol->acl[255].used, 1);
			assert_int_equal(c.pol->tcp[1254].acl_id, 255);
			ew_compiled_free(&c);
		} else {
			expect_error("256 ACLs", r, path, err, 513, "acl[255]: too many ACLs");
		}
		ew_policy_doc_free(&doc);
	}

	/* 63 classes are fine, the 64th is at line 3 + 4 * 63. */
	for (int n = 63; n <= 64; n++) {
		sbuf_open(&b);
		fprintf(b.f, "version: 1\nratelimit:\n");
		for (i = 0; i < n; i++) {
			fprintf(b.f, "  - name: c%d\n    ports: [%d/udp]\n", i, 2000 + i);
			fprintf(b.f, "    rate: 1/s\n    burst: 1\n");
		}
		load_generated(&b, &r, &doc, path, err);
		if (n == 63) {
			if (r)
				fail_msg("63 classes: %s", err);
			assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), 0);
			assert_string_equal(c.pol->rl[63].name, "c62");
			assert_int_equal(c.pol->udp[2062].rl_class, 63);
			ew_compiled_free(&c);
		} else {
			expect_error("64 classes", r, path, err, 255,
				     "ratelimit[63]: too many classes");
		}
		ew_policy_doc_free(&doc);
	}

	/* 65536 entries per family fit, across the allowlist and the ACLs together. */
	sbuf_open(&b);
	fprintf(b.f, "version: 1\nallow:\n");
	for (i = 0; i < EW_LPM4_MAX; i++)
		fprintf(b.f, "  - 10.%d.%d.%d\n", i >> 16, (i >> 8) & 255, i & 255);
	for (i = 0; i < EW_LPM6_MAX - 1; i++)
		fprintf(b.f, "  - 2001:db8::%x\n", i);
	fprintf(b.f, "acl:\n  - port: 22/tcp\n    from: [2001:db8:1::/48]\n");
	load_generated(&b, &r, &doc, path, err);
	if (r)
		fail_msg("65536 + 65536 entries: %s", err);
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_sets, EW_LPM4_MAX + EW_LPM6_MAX);
	ew_compiled_free(&c);
	ew_policy_doc_free(&doc);

	/* One more IPv4 entry: allow[65536] at line 3 + 65536. */
	sbuf_open(&b);
	fprintf(b.f, "version: 1\nallow:\n");
	for (i = 0; i <= EW_LPM4_MAX; i++)
		fprintf(b.f, "  - 10.%d.%d.%d\n", i >> 16, (i >> 8) & 255, i & 255);
	load_generated(&b, &r, &doc, path, err);
	expect_error("65537 IPv4 entries", r, path, err, 3 + EW_LPM4_MAX,
		     "allow[65536]: more than 65536 IPv4 entries");
	ew_policy_doc_free(&doc);

	/* One more IPv6 entry, this time in an ACL: reported there. */
	sbuf_open(&b);
	fprintf(b.f, "version: 1\nallow:\n");
	for (i = 0; i < EW_LPM6_MAX; i++)
		fprintf(b.f, "  - 2001:db8::%x\n", i);
	fprintf(b.f, "acl:\n  - port: 22/tcp\n    from:\n      - 10.0.0.0/8\n"
		     "      - 2001:db8:1::/48\n");
	load_generated(&b, &r, &doc, path, err);
	expect_error("65537 IPv6 entries", r, path, err, 3 + EW_LPM6_MAX + 4,
		     "acl[0].from[1]: more than 65536 IPv6 entries");
	ew_policy_doc_free(&doc);
}

static void test_file_errors(void **state)
{
	char path[192], err[EW_ERRLEN];
	struct ew_policy_doc doc;
	int fd, r;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
	r = ew_policy_doc_load(path, false, &doc, NULL, err, sizeof(err));
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(err, path));

	r = ew_policy_doc_load(tmpdir, false, &doc, NULL, err, sizeof(err));
	assert_int_equal(r, -EISDIR);

	/* 16 MiB + 1 byte, sparse: refused before it is read. */
	snprintf(path, sizeof(path), "%s/big-XXXXXX.yaml", tmpdir);
	fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	r = ew_policy_doc_load(path, false, &doc, NULL, err, sizeof(err));
	unlink(path);
	if (r != -EFBIG || !strstr(err, "larger than 16 MiB"))
		fail_msg("16 MiB + 1: %d \"%s\", expected -EFBIG", r, err);
	ew_policy_doc_free(&doc);
}

static const char *example_path(void)
{
	const char *p = getenv("EW_EXAMPLE");

	return p && *p ? p : "examples/edgeward.yaml";
}

static void load_example(struct ew_policy_doc *doc, struct ew_compiled *c)
{
	char err[EW_ERRLEN];
	int r;

	r = ew_policy_doc_load(example_path(), false, doc, stderr, err, sizeof(err));
	if (r)
		fail_msg("load %s: %d %s (run from the repository root or set EW_EXAMPLE)",
			 example_path(), r, err);
	r = ew_policy_compile(doc, c, err, sizeof(err));
	if (r)
		fail_msg("compile %s: %d %s", example_path(), r, err);
}

static void test_example(void **state)
{
	struct ew_policy_doc doc;
	struct ew_compiled c;
	struct ew_policy *p;
	char buf[EW_CIDR_STRLEN];
	static const char *const sources[] = { "10.0.0.0/8/1", "172.16.0.0/12/1",
					       "192.168.0.0/16/1", "10.0.0.0/16/2" };
	size_t i;

	(void)state;
	load_example(&doc, &c);
	p = c.pol;

	assert_int_equal(doc.n_open, 2);
	assert_int_equal(doc.n_acl, 2);
	assert_int_equal(doc.n_rl, 1);
	assert_int_equal(doc.n_allow, 0);
	assert_int_equal(doc.n_block, 1);
	assert_string_equal(doc.block[0].reason, "TEST-NET-1, never a legitimate source");
	assert_int_equal(doc.block[0].ttl_ns, 0);

	assert_int_equal(p->abi_version, EW_ABI_VERSION);
	assert_int_equal(p->flags, EW_POL_TCP_DENY | EW_POL_BOGONS | EW_POL_V4MAPPED);
	assert_int_equal(p->ev_sample, 1);
	assert_int_equal(p->ev_max_per_s, 100);
	assert_int_equal(p->n_allow, 0);

	/* 22/tcp: ACL 1, and open to its sources. */
	assert_int_equal(p->tcp[22].acl_id, 1);
	assert_int_equal(p->tcp[22].flags, EW_PORT_OPEN);
	assert_int_equal(p->tcp[22].rl_class, 0);
	assert_int_equal(p->tcp[5432].acl_id, 2);
	assert_int_equal(p->tcp[5432].flags, EW_PORT_OPEN);
	/* 80/tcp and 443/tcp: open to all, rate-limited by class 1. */
	assert_int_equal(p->tcp[80].flags, EW_PORT_OPEN);
	assert_int_equal(p->tcp[80].rl_class, 1);
	assert_int_equal(p->tcp[80].acl_id, 0);
	assert_int_equal(p->tcp[443].flags, EW_PORT_OPEN);
	assert_int_equal(p->tcp[443].rl_class, 1);
	/* 23/tcp and 80/udp: nothing. */
	assert_int_equal(p->tcp[23].flags, 0);
	assert_int_equal(p->tcp[23].acl_id, 0);
	assert_int_equal(p->tcp[23].rl_class, 0);
	assert_int_equal(p->udp[80].flags | p->udp[80].rl_class | p->udp[80].acl_id, 0);

	assert_int_equal(p->acl[0].used, 0);
	assert_int_equal(p->acl[1].used, 1);
	assert_int_equal(p->acl[1].port_lo, 22);
	assert_int_equal(p->acl[1].port_hi, 22);
	assert_int_equal(p->acl[1].proto_idx, EW_PI_TCP);
	assert_int_equal(p->acl[1].n_cidrs, 3);
	assert_int_equal(p->acl[2].n_cidrs, 1);
	assert_int_equal(p->acl[3].used, 0);

	assert_string_equal(p->rl[0].name, "");
	assert_string_equal(p->rl[1].name, "http");
	assert_int_equal(p->rl[1].rate, 25);
	assert_int_equal(p->rl[1].period_s, 60);
	assert_int_equal(p->rl[1].burst, 100);
	assert_int_equal(p->rl[1].flags, EW_RL_COUNT_CONN);
	assert_int_equal(p->rl[1].interval_ns, 2400000000ULL);
	assert_int_equal(p->rl[1].burst_ns, 99 * 2400000000ULL);
	assert_string_equal(p->rl[2].name, "");

	assert_int_equal(c.n_sets, ARRAY_SIZE(sources));
	for (i = 0; i < c.n_sets; i++) {
		char want[EW_CIDR_STRLEN + 8];

		ew_cidr_format(&c.sets[i].cidr, buf, sizeof(buf));
		snprintf(want, sizeof(want), "%s/%u", buf, c.sets[i].set_id);
		assert_string_equal(want, sources[i]);
	}
	ew_compiled_free(&c);
	ew_policy_doc_free(&doc);
}

/* compile(decompile(x)) == x for the policy and the sets. */
static void check_round_trip(const char *name, const struct ew_compiled *c1)
{
	struct ew_policy_doc doc;
	struct ew_compiled c2;
	char err[EW_ERRLEN];
	int r;

	r = ew_policy_decompile(c1, &doc, err, sizeof(err));
	if (r)
		fail_msg("%s: decompile: %d %s", name, r, err);
	r = ew_policy_compile(&doc, &c2, err, sizeof(err));
	if (r)
		fail_msg("%s: compile of the decompiled policy: %d %s", name, r, err);
	c2.pol->gen = c1->pol->gen;
	c2.pol->applied_unix = c1->pol->applied_unix;
	if (memcmp(c1->pol, c2.pol, sizeof(*c2.pol))) {
		for (size_t i = 0; i < sizeof(*c2.pol); i++)
			if (((uint8_t *)c1->pol)[i] != ((uint8_t *)c2.pol)[i])
				fail_msg("%s: policies differ at byte %zu of struct ew_policy",
					 name, i);
	}
	assert_int_equal(c1->n_sets, c2.n_sets);
	if (c1->n_sets && memcmp(c1->sets, c2.sets, c1->n_sets * sizeof(*c2.sets)))
		fail_msg("%s: CIDR sets differ", name);
	ew_compiled_free(&c2);
	ew_policy_doc_free(&doc);
}

static void test_example_round_trip(void **state)
{
	struct ew_policy_doc doc;
	struct ew_compiled c;

	(void)state;
	load_example(&doc, &c);
	c.pol->gen = 7;
	c.pol->applied_unix = 1700000000;
	check_round_trip("example", &c);
	ew_compiled_free(&c);
	ew_policy_doc_free(&doc);
}

static void test_rich_round_trip(void **state)
{
	static const char yaml[] =
		"version: 1\n"
		"default: {tcp: deny, udp: deny, icmp: deny, bogons: drop, v4mapped: allow, "
		"non_ip: drop}\n"
		"open: [80/tcp, 81/tcp, 443/tcp, 53/udp, 6000-6010/udp, 8/icmp, 128-129/icmpv6, "
		"65535/tcp, 0/udp]\n"
		"allow: [192.0.2.10/32, 2001:db8::/48]\n"
		"acl:\n"
		"  - port: 22/tcp\n"
		"    from: [10.0.0.0/8, 2001:db8:1::/48]\n"
		"  - port: 5000-5100/udp\n"
		"    from: [172.16.0.0/12]\n"
		"  - port: 13/icmp\n"
		"    from: [192.168.0.0/16]\n"
		"ratelimit:\n"
		"  - name: web\n"
		"    ports: [80-81/tcp, 443/tcp, 22/tcp]\n"
		"    rate: 25/min\n"
		"    burst: 100\n"
		"    count: conn\n"
		"  - name: dns_1\n"
		"    ports: [53/udp, 5050/udp]\n"
		"    rate: 1000000000/sec\n"
		"    burst: 1000000\n"
		"  - name: ping-slow\n"
		"    ports: [8/icmp, 128/icmpv6]\n"
		"    rate: 1/day\n"
		"    burst: 1000000\n"
		"    count: pkt\n"
		"events: {sample: 0, max_per_sec: 1000000}\n";
	char path[128], err[EW_ERRLEN], *warn;
	struct ew_policy_doc doc;
	struct ew_compiled c;
	int r;

	(void)state;
	r = load_text(yaml, 0, false, &doc, path, sizeof(path), err, &warn);
	if (r)
		fail_msg("load: %s", err);
	assert_string_equal(warn, "");
	free(warn);
	r = ew_policy_compile(&doc, &c, err, sizeof(err));
	if (r)
		fail_msg("compile: %s", err);
	assert_int_equal(c.pol->flags, EW_POL_TCP_DENY | EW_POL_UDP_DENY | EW_POL_ICMP_DENY |
					       EW_POL_BOGONS | EW_POL_NONIP_DROP);
	assert_int_equal(c.pol->ev_sample, 0);
	assert_int_equal(c.pol->ev_max_per_s, 1000000);
	assert_int_equal(c.pol->n_allow, 2);
	assert_int_equal(c.pol->udp[5050].acl_id, 2);
	assert_int_equal(c.pol->udp[5050].rl_class, 2);
	assert_int_equal(c.pol->udp[5050].flags, EW_PORT_OPEN);
	assert_int_equal(c.pol->tcp[22].rl_class, 1);
	assert_int_equal(c.pol->icmp[13].acl_id, 3);
	assert_int_equal(c.pol->icmp6[129].flags, EW_PORT_OPEN);
	assert_int_equal(c.pol->icmp6[130].flags, 0);
	/* 1e9/sec: interval at least 1 ns. 1/day with burst 1e6: burst_ns saturates. */
	assert_int_equal(c.pol->rl[2].interval_ns, 1);
	assert_int_equal(c.pol->rl[2].burst_ns, 999999);
	assert_int_equal(c.pol->rl[3].interval_ns, 86400ULL * 1000000000ULL);
	assert_true(c.pol->rl[3].burst_ns == UINT64_MAX);
	assert_int_equal(c.pol->rl[3].flags, 0);
	check_round_trip("rich", &c);
	ew_compiled_free(&c);
	ew_policy_doc_free(&doc);
}

static void test_defaults(void **state)
{
	char path[128], err[EW_ERRLEN], *warn;
	struct ew_policy_doc doc;
	struct ew_compiled c;
	size_t i;
	int r;

	(void)state;
	r = load_text("version: 1\n", 0, false, &doc, path, sizeof(path), err, &warn);
	if (r)
		fail_msg("load: %s", err);
	free(warn);
	assert_int_equal(doc.flags, EW_POL_V4MAPPED);
	assert_int_equal(doc.ev_sample, 1);
	assert_int_equal(doc.ev_max_per_s, 100);
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_sets, 0);
	for (i = 0; i < EW_PORTS_TCP_UDP; i++)
		if (c.pol->tcp[i].flags || c.pol->udp[i].flags)
			fail_msg("port %zu open in an empty policy", i);
	check_round_trip("empty", &c);
	ew_compiled_free(&c);
	ew_policy_doc_free(&doc);
}

/* A document built in code (the CLI's read-modify-write) gets the same checks. */
static void test_compile_errors(void **state)
{
	struct ew_portspec p80 = { EW_PI_TCP, 80, 80 }, p79 = { EW_PI_TCP, 70, 90 };
	struct ew_rl_doc rl[2] = {
		{ .name = "web", .ports = &p80, .n_ports = 1, .rate = 1, .period_s = 1, .burst = 1,
		  .line = 7 },
		{ .name = "web", .ports = &p79, .n_ports = 1, .rate = 1, .period_s = 1, .burst = 1,
		  .line = 12 },
	};
	struct ew_cidr dup[2] = { { .family = 4, .plen = 8, .addr = { 10 } },
				  { .family = 4, .plen = 8, .addr = { 10 } } };
	struct ew_acl_doc acl[2] = { { .port = { EW_PI_TCP, 22, 22 }, .from = dup, .n_from = 1 },
				     { .port = { EW_PI_TCP, 22, 30 }, .from = dup, .n_from = 1,
				       .line = 9 } };
	struct ew_policy_doc doc;
	struct ew_compiled c;
	char err[EW_ERRLEN];

	(void)state;
	ew_policy_doc_init(&doc);
	doc.rl = rl;
	doc.n_rl = 2;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 12: ratelimit[1].name: class \"web\" is defined twice, "
				 "first as ratelimit[0] (line 7)");
	assert_null(c.pol);

	strcpy(rl[1].name, "web2");
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 12: ratelimit[1].ports[0]: 70-90/tcp is already in "
				    "class"));

	p79.lo = 81;
	rl[1].burst = 0;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "burst"));
	rl[1].burst = 1;
	rl[1].period_s = 7;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	rl[1].period_s = 60;
	strcpy(rl[1].name, "Web");
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	strcpy(rl[1].name, "web2");
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), 0);
	ew_compiled_free(&c);

	doc.n_rl = 0;
	doc.acl = acl;
	doc.n_acl = 2;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 9: acl[1].port: 22-30/tcp overlaps acl[0].port 22/tcp");
	acl[1].port.lo = 23;
	acl[1].n_from = 2;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "acl[1].from[1]: 10.0.0.0/8 is listed twice"));
	acl[1].n_from = 0;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty list"));
	acl[1].n_from = 1;
	dup[0].addr[3] = 1;	/* host bits: only a parser may canonicalise */
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a valid CIDR"));
	dup[0].addr[3] = 0;
	acl[1].port.proto_idx = EW_PI_ICMP;
	acl[1].port.hi = 256;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
	acl[1].port.hi = 255;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), 0);
	assert_int_equal(c.pol->icmp[255].acl_id, 2);
	ew_compiled_free(&c);

	doc.n_acl = 0;
	doc.flags = 0x40;
	assert_int_equal(ew_policy_compile(&doc, &c, err, sizeof(err)), -EINVAL);
}

static void test_decompile_errors(void **state)
{
	struct ew_set_entry set = { .cidr = { .family = 4, .plen = 8, .addr = { 10 } },
				    .set_id = 3 };
	struct ew_compiled c = { 0 };
	struct ew_policy_doc doc;
	char err[EW_ERRLEN];

	(void)state;
	assert_int_equal(ew_policy_decompile(&c, &doc, err, sizeof(err)), -EINVAL);
	c.pol = calloc(1, sizeof(*c.pol));
	assert_non_null(c.pol);
	c.pol->abi_version = EW_ABI_VERSION + 1;
	assert_int_equal(ew_policy_decompile(&c, &doc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ABI"));
	c.pol->abi_version = EW_ABI_VERSION;
	c.sets = &set;
	c.n_sets = 1;
	assert_int_equal(ew_policy_decompile(&c, &doc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "set 3 has no ACL"));
	free(c.pol);
}

/* The mapping under key of a tree read by ew_yaml_load. */
static const struct ew_ynode *node_at(const struct ew_ynode *root, const char *key)
{
	size_t i;

	for (i = 0; root && i + 1 < root->n; i += 2)
		if (!strcmp(root->kids[i]->str, key))
			return root->kids[i + 1];
	fail_msg("no key %s", key);
	return NULL;
}

/* Read text as a larger YAML file and parse the policy under its "network" key. */
static int parse_embedded(const char *text, bool force, struct ew_policy_doc *doc, char *path,
			  size_t plen, char *err)
{
	struct ew_ynode *root = NULL;
	struct stat st;
	int r;

	write_policy(text, strlen(text), path, plen);
	r = ew_yaml_load(path, "config file", 16, &root, &st, err, EW_ERRLEN);
	if (r)
		fail_msg("ew_yaml_load: %d %s", r, err);
	assert_int_equal(st.st_size, (off_t)strlen(text));
	r = ew_policy_doc_parse(path, node_at(root, "network"), force, doc, NULL, err, EW_ERRLEN);
	ew_ynode_free(root);
	unlink(path);
	return r;
}

static void test_embedded(void **state)
{
	static const struct {
		const char *yaml;
		int line;
		const char *want;
	} bad[] = {
		{ "profile: x\nnetwork:\n  open: [80/tcp]\n  acl:\n    - port: 22/tcp\n"
		  "      from: []\n", 6, "acl[0].from: empty list" },
		{ "network:\n  open: [80/tcp]\n  frobnicate: 1\n", 3,
		  "network: unknown key \"frobnicate\" (expected version, default," },
		{ "network:\n  version: 2\n", 2, "unsupported version \"2\"" },
		{ "network:\n  allow: [\"::/0\"]\n", 2,
		  "allow[0]: \"::/0\" covers every address; list the networks meant" },
		{ "network: [80/tcp]\n", 1, "network: expected a mapping of keys, got a list" },
		{ "network:\nother: 1\n", 1, "network: expected a mapping of keys, got nothing" },
		{ "a: 1\nnetwork:\n  block:\n    - cidr: 192.0.2.0/24\n    - cidr: 192.0.2.0/24\n",
		  5, "block[1].cidr: 192.0.2.0/24 is blocked twice, first in block[0] (line 4)" },
	};
	char path[128], err[EW_ERRLEN];
	struct ew_policy_doc doc;
	struct ew_ynode *root;
	size_t i;
	int r;

	(void)state;
	/* Version is optional inside another file, and 1 when given. */
	r = parse_embedded("profile: x\nnetwork:\n  open: [80/tcp, 443/tcp]\n", false, &doc,
			   path, sizeof(path), err);
	if (r)
		fail_msg("embedded: %s", err);
	assert_int_equal(doc.n_open, 2);
	ew_policy_doc_free(&doc);
	r = parse_embedded("network:\n  version: 1\n  allow: [\"::/0\"]\n", true, &doc, path,
			   sizeof(path), err);
	if (r)
		fail_msg("embedded with version and force: %s", err);
	assert_int_equal(doc.n_allow, 1);
	ew_policy_doc_free(&doc);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r = parse_embedded(bad[i].yaml, false, &doc, path, sizeof(path), err);
		expect_error(bad[i].yaml, r, path, err, bad[i].line, bad[i].want);
		if (doc.n_open || doc.n_allow || doc.n_block || doc.block)
			fail_msg("case %zu: document not empty after a failed parse", i);
	}
	assert_int_equal(ew_policy_doc_parse(path, NULL, false, &doc, NULL, err, sizeof(err)),
			 -EINVAL);

	/* The reader names the kind of file and takes the caller's depth. */
	write_policy("a: [[[1]]]\n", 11, path, sizeof(path));
	r = ew_yaml_load(path, "config file", 2, &root, NULL, err, sizeof(err));
	expect_error("depth", r, path, err, 1, "nested too deep (more than 2 levels)");
	assert_null(root);
	r = ew_yaml_load(path, "config file", 4, &root, NULL, err, sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(root->type, EW_Y_MAP);
	assert_int_equal(root->kids[1]->type, EW_Y_SEQ);
	assert_int_equal(root->kids[1]->col, 4);
	ew_ynode_free(root);
	unlink(path);
	write_policy("a: 1\n---\nb: 2\n", 14, path, sizeof(path));
	r = ew_yaml_load(path, "config file", 8, &root, NULL, err, sizeof(err));
	expect_error("two documents", r, path, err, 2, "a second YAML document; a config file "
		     "holds exactly one");
	unlink(path);
	write_policy("", 0, path, sizeof(path));
	assert_int_equal(ew_yaml_load(path, "config file", 8, &root, NULL, err, sizeof(err)), 0);
	assert_null(root);
	unlink(path);
	ew_ynode_free(NULL);
}

static void test_free_zeroed(void **state)
{
	struct ew_policy_doc doc;
	struct ew_compiled c;

	(void)state;
	memset(&doc, 0, sizeof(doc));
	memset(&c, 0, sizeof(c));
	ew_policy_doc_free(&doc);
	ew_policy_doc_free(&doc);
	ew_policy_doc_free(NULL);
	ew_compiled_free(&c);
	ew_compiled_free(&c);
	ew_compiled_free(NULL);
	ew_policy_doc_init(&doc);
	ew_policy_doc_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_duplicate_no_warning),
		cmocka_unit_test(test_host_bits_warning),
		cmocka_unit_test(test_force),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_round_trip),
		cmocka_unit_test(test_rich_round_trip),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_decompile_errors),
		cmocka_unit_test(test_free_zeroed),
		cmocka_unit_test(test_embedded),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
