// SPDX-License-Identifier: GPL-2.0-only
/*
 * The journal shipper's pure parts, without a database: a journal record
 * becomes the row the table can hold (hostile values mapped or refused,
 * never passed through); batches cover the journal in order with no gap or
 * overlap and respect their caps; the incremental reader resumes from a
 * saved position alone, steps over damage, and tells a replaced or
 * rewritten journal (sent again from the start) from damage; the state
 * file round-trips and refuses anything else; the connection parameters
 * keep the operator's settings and add the shipper's. And the shipper
 * itself with no database reachable: it keeps retrying and counts the lag.
 * The database side is tests/integration/test_pgship.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#include <event2/event.h>
#include <openssl/evp.h>

#include "journal.h"
#include "pgship.h"

static char tmpdir[64];
static char pbuf[160];
static int path_n;

static const char *new_path(const char *what)
{
	snprintf(pbuf, sizeof(pbuf), "%s/%s%d", tmpdir, what, path_n++);
	return pbuf;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ewpgship.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers ---- */

/* Append records "i" = first .. first+n-1 to path p. */
static void append_n(const char *p, int first, int n)
{
	struct jr *j;
	char err[256];
	int i, rc;

	rc = jr_open(p, &j, err, sizeof(err));
	if (rc)
		fail_msg("jr_open %s: %s", p, err);
	for (i = 0; i < n; i++) {
		json_t *r = jr_event("admin_action", "alice", i % 2 ? "192.0.2.1" : "unix",
				     "blocklist", "add", "success", i % 101);

		assert_non_null(r);
		json_object_set_new(json_object_get(r, "details"), "i", json_integer(first + i));
		rc = jr_append(j, r, NULL);
		json_decref(r);
		if (rc)
			fail_msg("append %d: %s", i, strerror(-rc));
	}
	jr_close(j);
}

static void *slurp(const char *p, size_t *n)
{
	struct stat st;
	void *buf;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return buf;
}

/* Write buf over p in place (O_TRUNC keeps the inode, as an editor writing in place would). */
static void spit(const char *p, const void *buf, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static void spit_str(const char *p, const char *s)
{
	spit(p, s, strlen(s));
}

/* The "i" of each row in a batch's JSON, checked to be an array of rows. */
static size_t batch_is(const struct pgship_batch *b, int64_t *is, size_t max)
{
	json_error_t jerr;
	json_t *a, *row;
	size_t k, n;

	if (!b->rows)
		return 0;
	a = json_loads(b->json, 0, &jerr);
	if (!a)
		fail_msg("batch JSON does not parse: %s", jerr.text);
	assert_true(json_is_array(a));
	n = json_array_size(a);
	if (n != b->rows)
		fail_msg("batch JSON holds %zu rows, b->rows says %zu", n, b->rows);
	json_array_foreach(a, k, row) {
		json_t *d = json_object_get(row, "details");

		if (k < max)
			is[k] = json_integer_value(json_object_get(d, "i"));
	}
	json_decref(a);
	return n;
}

/* Drain a journal through a cursor: the "i"s in order; counts rescans through c. */
static size_t drain(struct pgship_cursor *c, size_t max, int64_t *is, size_t cap)
{
	struct pgship_batch b = { 0 };
	size_t n = 0, got;
	int rc, guard = 0;

	for (;;) {
		rc = pgship_cursor_next(c, max, PGSHIP_BATCH_MAX_BYTES, &b);
		if (rc)
			fail_msg("pgship_cursor_next: %s", strerror(-rc));
		if (!b.records)
			break;
		if (b.records > max)
			fail_msg("batch of %zu records over the cap %zu", b.records, max);
		got = batch_is(&b, is + n, cap - n);
		n += got;
		assert_true(++guard < 100000);
	}
	pgship_batch_free(&b);
	return n;
}

static const char *str(const json_t *row, const char *k)
{
	const json_t *v = json_object_get(row, k);

	if (!v)
		fail_msg("row has no key %s", k);
	return json_is_null(v) ? NULL : json_string_value(v);
}

/* ---- record -> row ---- */

/* Map one record given as JSON text; returns the row (caller decrefs) or NULL if refused. */
static json_t *map(const char *js, uint64_t seq, int *rc_out)
{
	json_error_t jerr;
	json_t *rec = json_loads(js, 0, &jerr), *row = NULL;
	char why[128] = "";
	int rc;

	if (!rec)
		fail_msg("test record does not parse: %s: %s", js, jerr.text);
	rc = pgship_row(rec, seq, &row, why, sizeof(why));
	json_decref(rec);
	if (rc_out)
		*rc_out = rc;
	if (rc && !why[0])
		fail_msg("refused without a reason: %s", js);
	return row;
}

#define ID "\"id\":\"0f8e2a1c-5b3d-4e6f-8a9b-0c1d2e3f4a5b\""

static void test_row_fields(void **state)
{
	json_t *row;
	int rc;

	(void)state;
	row = map("{" ID ",\"ts\":\"2025-01-02T03:04:05.123456Z\",\"seq\":7,\"type\":\"login\","
		  "\"actor\":\"bob\",\"source\":\"203.0.113.9\",\"resource\":\"api\","
		  "\"action\":\"login\",\"result\":\"failure\",\"risk\":55,"
		  "\"details\":{\"why\":\"bad password\",\"n\":[1,2]}}",
		  7, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(str(row, "id"), "0f8e2a1c-5b3d-4e6f-8a9b-0c1d2e3f4a5b");
	assert_string_equal(str(row, "event_type"), "login");
	assert_string_equal(str(row, "actor"), "bob");
	assert_string_equal(str(row, "source"), "203.0.113.9");
	assert_string_equal(str(row, "ip_address"), "203.0.113.9");
	assert_string_equal(str(row, "resource"), "api");
	assert_string_equal(str(row, "action"), "login");
	assert_string_equal(str(row, "result"), "failure");
	assert_string_equal(str(row, "timestamp"), "2025-01-02 03:04:05.123456+00");
	assert_int_equal(json_integer_value(json_object_get(row, "risk_score")), 55);
	assert_int_equal(json_integer_value(json_object_get(row, "seq")), 7);
	assert_string_equal(json_string_value(json_object_get(json_object_get(row, "details"),
							      "why")),
			    "bad password");
	/* Exactly the columns the statement reads: nothing else rides along. */
	assert_int_equal(json_object_size(row), 12);
	json_decref(row);
}

static void test_row_ip(void **state)
{
	static const struct {
		const char *source, *ip;	/* ip NULL: not an address */
	} cases[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "2001:DB8:0:0::1", "2001:db8::1" },	/* canonical form */
		{ "::ffff:198.51.100.9", "::ffff:198.51.100.9" },
		{ "::", "::" },
		{ "unix", NULL },
		{ "local", NULL },
		{ "", NULL },
		{ "192.0.2.1:8080", NULL },
		{ "192.0.2", NULL },
		{ "192.0.2.256", NULL },
		{ " 192.0.2.1", NULL },
		{ "192.0.2.1 ", NULL },
		{ "0x7f.1", NULL },
		{ "fe80::1%eth0", NULL },
		{ "192.0.2.0/24", NULL },
		{ "'; DROP TABLE audit.security_events; --", NULL },
	};
	char js[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *row, *src = json_string(cases[i].source);
		char *enc = json_dumps(src, JSON_ENCODE_ANY);
		const char *ip;

		snprintf(js, sizeof(js), "{" ID ",\"type\":\"t\",\"source\":%s}", enc);
		free(enc);
		json_decref(src);
		row = map(js, 1, NULL);
		assert_non_null(row);
		ip = str(row, "ip_address");
		if (cases[i].ip ? !ip || strcmp(ip, cases[i].ip) : ip != NULL)
			fail_msg("source \"%s\": ip_address %s, want %s", cases[i].source,
				 ip ? ip : "null", cases[i].ip ? cases[i].ip : "null");
		/* source itself is kept as written, address or not. */
		assert_string_equal(str(row, "source"), cases[i].source);
		json_decref(row);
	}
}

static void test_row_ts(void **state)
{
	static const struct {
		const char *ts, *want;	/* want NULL: null */
	} cases[] = {
		{ "2025-01-02T03:04:05Z", "2025-01-02 03:04:05.000000+00" },
		{ "2025-01-02T03:04:05.5+02:00", "2025-01-02 01:04:05.500000+00" },
		{ "2025-01-02t03:04:05.1234567z", "2025-01-02 03:04:05.123456+00" },
		{ "1970-01-01T00:00:00.25+01:00", "1969-12-31 23:00:00.250000+00" },
		{ "2016-12-31T23:59:60Z", "2017-01-01 00:00:00.000000+00" },	/* leap second */
		{ "9999-12-31T23:30:00-01:00", NULL },	/* a fifth digit of year */
		{ "2025-02-30T00:00:00Z", NULL },
		{ "2025-01-02 03:04:05", NULL },
		{ "yesterday", NULL },
		{ "", NULL },
	};
	char js[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *row;
		const char *got;

		snprintf(js, sizeof(js), "{" ID ",\"type\":\"t\",\"ts\":\"%s\"}", cases[i].ts);
		row = map(js, 1, NULL);
		assert_non_null(row);
		got = str(row, "timestamp");
		if (cases[i].want ? !got || strcmp(got, cases[i].want) : got != NULL)
			fail_msg("ts \"%s\": timestamp %s, want %s", cases[i].ts,
				 got ? got : "null", cases[i].want ? cases[i].want : "null");
		json_decref(row);
	}
	/* No ts, or not a string: null, not a refusal. */
	{
		json_t *row = map("{" ID ",\"type\":\"t\",\"ts\":1735787045}", 1, NULL);

		assert_null(str(row, "timestamp"));
		json_decref(row);
	}
}

static void test_row_hostile(void **state)
{
	json_t *row;
	int rc;

	(void)state;
	/* No id, a bad id, an id that is not a string: refused, with a reason. */
	static const char *const refused[] = {
		"{\"type\":\"t\"}",
		"{\"id\":\"0f8e2a1c-5b3d-4e6f-8a9b-0c1d2e3f4a5\",\"type\":\"t\"}",
		"{\"id\":\"0f8e2a1c-5b3d-4e6f-8a9b-0c1d2e3f4a5bb\",\"type\":\"t\"}",
		"{\"id\":\"0f8e2a1c_5b3d-4e6f-8a9b-0c1d2e3f4a5b\",\"type\":\"t\"}",
		"{\"id\":\"0f8e2a1c-5b3d-4e6f-8a9b-0c1d2e3f4g5b\",\"type\":\"t\"}",
		"{\"id\":42,\"type\":\"t\"}",
		"{\"id\":null}",
		"[1,2,3]",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		row = map(refused[i], 1, &rc);
		if (rc != -EINVAL || row)
			fail_msg("%s: rc %d, want -EINVAL and no row", refused[i], rc);
	}
	/* An uppercase id is the same id: lowercase, so the primary key sees one spelling. */
	row = map("{\"id\":\"0F8E2A1C-5B3D-4E6F-8A9B-0C1D2E3F4A5B\"}", 1, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(str(row, "id"), "0f8e2a1c-5b3d-4e6f-8a9b-0c1d2e3f4a5b");
	/* The NOT NULL columns get "unknown", never null; everything else missing is null. */
	assert_string_equal(str(row, "event_type"), "unknown");
	assert_string_equal(str(row, "result"), "unknown");
	assert_null(str(row, "actor"));
	assert_null(str(row, "source"));
	assert_null(str(row, "ip_address"));
	assert_true(json_is_null(json_object_get(row, "risk_score")));
	assert_true(json_is_null(json_object_get(row, "details")));
	json_decref(row);
	/* Wrong types: text fields that are not strings are null, not their JSON text. */
	row = map("{" ID ",\"type\":7,\"actor\":{\"a\":1},\"source\":[\"192.0.2.1\"],"
		  "\"resource\":true,\"action\":1.5,\"result\":null,\"details\":\"text\"}",
		  1, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(str(row, "event_type"), "unknown");
	assert_null(str(row, "actor"));
	assert_null(str(row, "source"));
	assert_null(str(row, "ip_address"));
	assert_null(str(row, "resource"));
	assert_null(str(row, "action"));
	assert_string_equal(str(row, "result"), "unknown");
	/* details is jsonb: any JSON value fits, so it is kept as it is. */
	assert_string_equal(json_string_value(json_object_get(row, "details")), "text");
	json_decref(row);
	/* risk outside the CHECK (0..100) or not an integer: null. */
	static const char *const risks[] = { "101", "-1", "\"5\"", "5.0", "1e2", "null",
					     "9223372036854775807" };
	for (size_t i = 0; i < sizeof(risks) / sizeof(risks[0]); i++) {
		char js[160];

		snprintf(js, sizeof(js), "{" ID ",\"risk\":%s}", risks[i]);
		row = map(js, 1, &rc);
		assert_int_equal(rc, 0);
		if (!json_is_null(json_object_get(row, "risk_score")))
			fail_msg("risk %s: risk_score %lld, want null", risks[i],
				 (long long)json_integer_value(json_object_get(row, "risk_score")));
		json_decref(row);
	}
	row = map("{" ID ",\"risk\":0}", 1, &rc);
	assert_int_equal(json_integer_value(json_object_get(row, "risk_score")), 0);
	json_decref(row);
	/* A seq bigint cannot hold (a forged frame): null, the event still ships. */
	row = map("{" ID "}", (uint64_t)INT64_MAX + 1, &rc);
	assert_int_equal(rc, 0);
	assert_true(json_is_null(json_object_get(row, "seq")));
	json_decref(row);
	/* SQL and quotes in values are data: JSON-encoded, never interpreted. */
	row = map("{" ID ",\"actor\":\"x'); DELETE FROM audit.security_events; --\"}", 1, &rc);
	assert_string_equal(str(row, "actor"), "x'); DELETE FROM audit.security_events; --");
	json_decref(row);
}

/* ---- the incremental reader and batches ---- */

static void test_read_from(void **state)
{
	const char *p = strdup(new_path("j"));
	struct jr_pos pos = { 0 }, bad;
	struct jr_scan res;
	int rc;

	(void)state;
	append_n(p, 0, 25);
	rc = jr_read_from(p, &pos, 10, NULL, NULL, &res);
	assert_int_equal(rc, 0);
	assert_int_equal(res.records, 10);
	assert_int_equal(pos.seq, 10);
	assert_int_equal(res.status, JR_OK);
	rc = jr_read_from(p, &pos, 0, NULL, NULL, &res);
	assert_int_equal(res.records, 15);
	assert_int_equal(pos.seq, 25);
	assert_int_equal(pos.offset, res.file_bytes);
	/* At the end: nothing, and nothing wrong. */
	rc = jr_read_from(p, &pos, 0, NULL, NULL, &res);
	assert_int_equal(rc, 0);
	assert_int_equal(res.records, 0);
	assert_int_equal(res.status, JR_OK);
	/* A position whose hash is not the chain's: refused at that very offset. */
	pos.offset = 0;
	pos.seq = 0;
	memset(pos.hash, 0, sizeof(pos.hash));
	jr_read_from(p, &pos, 3, NULL, NULL, &res);
	bad = pos;
	bad.hash[0] ^= 1;
	rc = jr_read_from(p, &bad, 0, NULL, NULL, &res);
	assert_int_equal(rc, 0);
	assert_int_equal(res.records, 0);
	assert_int_equal(res.status, JR_BAD_CHAIN);
	assert_int_equal(res.bad_offset, pos.offset);
	bad = pos;
	bad.seq = 7;
	jr_read_from(p, &bad, 0, NULL, NULL, &res);
	assert_int_equal(res.status, JR_BAD_SEQ);
	/* Not at a frame boundary. */
	bad = pos;
	bad.offset += 5;
	jr_read_from(p, &bad, 0, NULL, NULL, &res);
	assert_int_not_equal(res.status, JR_OK);
	assert_int_equal(res.records, 0);
	/* Past the end: a problem there, and the size says why. */
	bad = pos;
	bad.offset = res.file_bytes + 100;
	rc = jr_read_from(p, &bad, 0, NULL, NULL, &res);
	assert_int_equal(rc, 0);
	assert_int_equal(res.status, JR_BAD_FRAME);
	assert_true(res.file_bytes < bad.offset);
	bad.offset = -1;
	assert_int_equal(jr_read_from(p, &bad, 0, NULL, NULL, &res), -EINVAL);
	assert_int_equal(jr_read_from("/nonexistent/j", &pos, 0, NULL, NULL, &res), -ENOENT);
	/* Seeking: the frame at a frame's offset is itself; past it is the next one's start. */
	assert_int_equal(jr_seek_frame(p, pos.offset, false, &bad), 0);
	assert_int_equal(bad.offset, pos.offset);
	assert_int_equal(bad.seq, pos.seq);
	assert_memory_equal(bad.hash, pos.hash, JR_HASH_LEN);
	{
		struct jr_pos one = pos;

		jr_read_from(p, &one, 1, NULL, NULL, &res);
		assert_int_equal(jr_seek_frame(p, pos.offset - 1, true, &bad), 0);
		assert_int_equal(bad.offset, one.offset);
		assert_int_equal(bad.seq, one.seq);
		assert_memory_equal(bad.hash, one.hash, JR_HASH_LEN);
		assert_int_equal(jr_seek_frame(p, pos.offset + 1, false, &bad), 0);
		assert_int_equal(bad.offset, one.offset);
		assert_int_equal(bad.seq, pos.seq + 1);
		/* The frame before a position read to is in place; a wrong hash is not. */
		assert_int_equal(jr_pos_holds(p, &one), 1);
		bad = one;
		bad.hash[31] ^= 1;
		assert_int_equal(jr_pos_holds(p, &bad), 0);
		bad = one;
		bad.offset = res.file_bytes + 1000;
		assert_int_equal(jr_pos_holds(p, &bad), 0);
		memset(&bad, 0, sizeof(bad));
		assert_int_equal(jr_pos_holds(p, &bad), 1);
	}
	jr_read_from(p, &pos, 0, NULL, NULL, &res);
	assert_int_equal(jr_seek_frame(p, res.file_bytes, false, &bad), -ENOENT);
	assert_int_equal(jr_seek_frame(p, res.file_bytes - 10, false, &bad), -ENOENT);
	free((void *)p);
}

static void test_batches(void **state)
{
	const char *p = strdup(new_path("j"));
	const char *sp = strdup(new_path("state"));
	struct pgship_cursor c = { .path = p }, c2 = { .path = p };
	struct pgship_batch b = { 0 };
	struct jr_pos prev = { 0 }, loaded;
	int64_t is[1000];
	size_t want[] = { 1000, 1000, 500, 0 }, i, k;
	char err[256];
	int rc;

	(void)state;
	append_n(p, 0, 2500);
	for (i = 0; i < 4; i++) {
		rc = pgship_cursor_next(&c, 1000, PGSHIP_BATCH_MAX_BYTES, &b);
		assert_int_equal(rc, 0);
		if (b.records != want[i])
			fail_msg("batch %zu: %zu records, want %zu", i, b.records, want[i]);
		/* Batches tile the journal: each starts where the last ended. */
		assert_int_equal(b.start.offset, prev.offset);
		assert_int_equal(b.start.seq, prev.seq);
		assert_memory_equal(b.start.hash, prev.hash, JR_HASH_LEN);
		k = batch_is(&b, is, 1000);
		assert_int_equal(k, want[i]);
		for (size_t r = 0; r < k; r++)
			if (is[r] != (int64_t)(i * 1000 + r))
				fail_msg("batch %zu row %zu is record %lld", i, r,
					 (long long)is[r]);
		if (k) {
			assert_int_equal(b.first_seq, i * 1000 + 1);
			assert_int_equal(b.last_seq, i * 1000 + k);
			assert_true(b.first_ts_us > 0);
		}
		prev = b.end;
		/* Resume after the second batch from nothing but the state file. */
		if (i == 1) {
			assert_int_equal(pgship_state_save(sp, &b.end), 0);
			assert_int_equal(pgship_state_load(sp, &loaded, err, sizeof(err)), 0);
			c2.pos = loaded;
		}
	}
	assert_int_equal(c.rescans + c.damaged, 0);
	rc = pgship_cursor_next(&c2, 1000, PGSHIP_BATCH_MAX_BYTES, &b);
	assert_int_equal(rc, 0);
	assert_int_equal(b.records, 500);
	assert_int_equal(b.first_seq, 2001);
	assert_int_equal(c2.rescans, 0);
	/* The byte cap: a batch stops after the row that reaches it, never at zero rows. */
	memset(&c2, 0, sizeof(c2));
	c2.path = p;
	rc = pgship_cursor_next(&c2, 1000, 1, &b);
	assert_int_equal(rc, 0);
	assert_int_equal(b.records, 1);
	rc = pgship_cursor_next(&c2, 1000, 2000, &b);
	assert_true(b.records > 1 && b.records < 20);
	assert_true(b.len >= 2000 && b.len < 2000 + 1024);
	assert_int_equal(b.first_seq, 2);
	/* A missing journal is an error to report, not an empty batch. */
	c2.path = "/nonexistent/journal";
	assert_int_equal(pgship_cursor_next(&c2, 10, 1000, &b), -ENOENT);
	pgship_batch_free(&b);
	pgship_batch_free(NULL);
	free((void *)p);
	free((void *)sp);
}

static void test_cursor_replaced(void **state)
{
	char *a = strdup(new_path("j")), *bpath = strdup(new_path("j"));
	struct pgship_cursor c = { .path = a }, fresh;
	int64_t is[4000];
	size_t n, sz;
	void *img;

	(void)state;
	append_n(a, 0, 300);
	append_n(bpath, 1000, 500);
	/* Shipped 300 from a; then a is replaced (rename) by another journal. */
	n = drain(&c, 100, is, 4000);
	assert_int_equal(n, 300);
	fresh = c;
	/* A copy of the same journal (another inode) simply continues. */
	{
		char *cp = strdup(new_path("j"));
		void *im = slurp(a, &sz);

		append_n(a, 300, 10);
		free(im);
		im = slurp(a, &sz);
		spit(cp, im, sz);
		assert_int_equal(rename(cp, a), 0);
		n = drain(&c, 100, is, 4000);
		assert_int_equal(n, 10);
		assert_int_equal(is[0], 300);
		assert_int_equal(c.rescans, 0);
		free(im);
		free(cp);
	}
	fresh = c;
	assert_int_equal(rename(bpath, a), 0);
	n = drain(&c, 100, is, 4000);
	if (n != 500 || is[0] != 1000 || c.rescans != 1)
		fail_msg("replaced journal: %zu records from %lld, %llu rescans; want 500 from "
			 "1000, 1 rescan",
			 n, (long long)(n ? is[0] : -1), (unsigned long long)c.rescans);
	/* The same, found by a shipper that only has the saved position. */
	fresh.rescans = 0;
	n = drain(&fresh, 100, is, 4000);
	assert_int_equal(n, 500);
	assert_int_equal(fresh.rescans, 1);
	assert_int_equal(fresh.damaged, 0);
	/* Truncated below the position: from the start again. */
	img = slurp(a, &sz);
	spit(a, img, sz / 2);
	append_n(a, 5000, 1);	/* the torn tail is repaired, a repair record added */
	n = drain(&c, 100, is, 4000);
	assert_int_equal(c.rescans, 2);
	assert_true(n > 200 && is[0] == 1000);
	/* Rewritten in place (same inode, bigger): the frame before the position is gone. */
	append_n(bpath, 7000, 600);
	free(img);
	img = slurp(bpath, &sz);
	spit(a, img, sz);
	n = drain(&c, 100, is, 4000);
	if (n != 600 || is[0] != 7000 || c.rescans != 3)
		fail_msg("rewritten journal: %zu records from %lld, %llu rescans; want 600 from "
			 "7000, 3 rescans",
			 n, (long long)(n ? is[0] : -1), (unsigned long long)c.rescans);
	assert_int_equal(c.damaged, 0);
	free(img);
	free(a);
	free(bpath);
}

static void test_cursor_damage(void **state)
{
	char *p = strdup(new_path("j"));
	struct pgship_cursor c = { .path = p };
	int64_t is[100];
	unsigned char *img;
	size_t n, sz, off[64], o = 0, k = 0, i;

	(void)state;
	append_n(p, 0, 30);
	img = slurp(p, &sz);
	while (o < sz) {
		uint32_t len;

		memcpy(&len, img + o + 4, 4);
		off[k++] = o;
		o += len + JR_FRAME_EXTRA;
	}
	assert_int_equal(k, 30);
	/* Ship the first 5, then frame 10 (i = 9) gets a flipped payload byte. */
	n = drain(&c, 5, is, 100);
	assert_int_equal(n, 30);
	memset(&c, 0, sizeof(c));
	c.path = p;
	{
		struct pgship_batch b = { 0 };

		assert_int_equal(pgship_cursor_next(&c, 5, PGSHIP_BATCH_MAX_BYTES, &b), 0);
		assert_int_equal(batch_is(&b, is, 5), 5);
		pgship_batch_free(&b);
	}
	img[off[9] + JR_HDR_LEN + 3] ^= 0x20;
	spit(p, img, sz);
	n = drain(&c, 5, is + 5, 95) + 5;
	if (n != 29 || c.damaged != 1 || c.rescans != 0)
		fail_msg("damage: %zu records, %llu damaged, %llu rescans; want 29, 1, 0", n,
			 (unsigned long long)c.damaged, (unsigned long long)c.rescans);
	for (i = 0; i < n; i++)
		if (is[i] != (int64_t)(i < 9 ? i : i + 1))
			fail_msg("after damage, row %zu is record %lld", i, (long long)is[i]);
	/* A torn tail (a crash mid-append): waited on, neither damage nor a rescan. */
	img[off[9] + JR_HDR_LEN + 3] ^= 0x20;
	spit(p, img, sz);
	{
		int fd = open(p, O_WRONLY | O_APPEND);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, img, 60), 60);
		close(fd);
	}
	memset(&c, 0, sizeof(c));
	c.path = p;
	n = drain(&c, 7, is, 100);
	assert_int_equal(n, 30);
	assert_int_equal(c.damaged + c.rescans, 0);
	/* A journal that is not one at all: nothing shipped, nothing claimed. */
	spit_str(p, "this is not a journal\n");
	memset(&c, 0, sizeof(c));
	c.path = p;
	assert_int_equal(drain(&c, 7, is, 100), 0);
	assert_int_equal(c.pos.offset, 0);
	free(img);
	free(p);
}

/* Append a self-consistent frame (by the documented format) to p; its hash into hash. */
static void forge_append(const char *p, uint64_t seq, const unsigned char *prev, const char *js,
			 unsigned char *hash)
{
	unsigned char f[1024];
	uint32_t len = (uint32_t)strlen(js);
	unsigned int mdlen;
	int fd;

	assert_true(len + JR_FRAME_EXTRA <= sizeof(f));
	memcpy(f, JR_MAGIC, 4);
	memcpy(f + 4, &len, 4);	/* little endian host assumed, as in test_journal */
	memcpy(f + 8, &seq, 8);
	memcpy(f + 16, prev, JR_HASH_LEN);
	memcpy(f + JR_HDR_LEN, js, len);
	assert_true(EVP_Digest(f, JR_HDR_LEN + len, f + JR_HDR_LEN + len, &mdlen, EVP_sha256(),
			       NULL));
	memcpy(hash, f + JR_HDR_LEN + len, JR_HASH_LEN);
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f, len + JR_FRAME_EXTRA), (ssize_t)(len + JR_FRAME_EXTRA));
	close(fd);
}

/* Sound frames in the wrong place: one whose payload is no record, one whose seq jumps. */
static void test_cursor_odd_frames(void **state)
{
	char *p = strdup(new_path("j"));
	struct pgship_cursor c = { .path = p };
	struct jr_pos end = { 0 };
	struct jr_scan res;
	unsigned char h11[JR_HASH_LEN], h15[JR_HASH_LEN];
	int64_t is[100];
	size_t n;

	(void)state;
	append_n(p, 0, 10);
	jr_read_from(p, &end, 0, NULL, NULL, &res);
	forge_append(p, 11, end.hash, "[1]", h11);
	forge_append(p, 15, h11,
		     "{\"details\":{\"i\":15},\"id\":\"6c1f1e9a-1d7b-4a51-9d43-2b0c5d9e8f10\","
		     "\"result\":\"success\",\"seq\":15,\"type\":\"forged\"}",
		     h15);
	append_n(p, 100, 2);	/* jr_open logs the damage and appends after it */
	n = drain(&c, 4, is, 100);
	if (n != 13 || c.damaged != 2 || c.rescans != 0)
		fail_msg("odd frames: %zu records, %llu damaged, %llu rescans; want 13, 2, 0", n,
			 (unsigned long long)c.damaged, (unsigned long long)c.rescans);
	assert_int_equal(is[9], 9);
	assert_int_equal(is[10], 15);	/* the frame with the jump is sound: shipped */
	assert_int_equal(is[11], 100);
	assert_int_equal(is[12], 101);
	free(p);
}

/* ---- the state file ---- */

static void test_state_file(void **state)
{
	char *p = strdup(new_path("state")), err[256];
	struct jr_pos pos = { .offset = 123456, .seq = 789 }, got;
	char good[256];
	int rc;

	(void)state;
	for (int i = 0; i < JR_HASH_LEN; i++)
		pos.hash[i] = (unsigned char)(i * 7 + 1);
	assert_int_equal(pgship_state_save(p, &pos), 0);
	assert_int_equal(pgship_state_load(p, &got, err, sizeof(err)), 0);
	assert_int_equal(got.offset, pos.offset);
	assert_int_equal(got.seq, pos.seq);
	assert_memory_equal(got.hash, pos.hash, JR_HASH_LEN);
	{
		struct stat st;

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	memset(&got, 0, sizeof(got));
	assert_int_equal(pgship_state_save(p, &got), 0);
	assert_int_equal(pgship_state_load(p, &got, err, sizeof(err)), 0);
	assert_int_equal(pgship_state_load("/nonexistent/state", &got, err, sizeof(err)), -ENOENT);

	static const char *const bad[] = {
		"",
		"garbage",
		"{}",
		"[1]",
		"{\"version\":1,\"offset\":200,\"seq\":2}",
		"{\"version\":2,\"offset\":200,\"seq\":2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":-200,\"seq\":2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":200,\"seq\":-2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":\"200\",\"seq\":2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":200.5,\"seq\":2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":200,\"seq\":2,\"hash\":\"%s\",\"x\":1}",
		"{\"version\":1,\"offset\":200,\"offset\":300,\"seq\":2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":0,\"seq\":2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":10,\"seq\":2,\"hash\":\"%s\"}",
		"{\"version\":1,\"offset\":200,\"seq\":2,\"hash\":\"%.63s\"}",
		"{\"version\":1,\"offset\":200,\"seq\":2,\"hash\":\"%sA\"}",
		"{\"version\":1,\"offset\":200,\"seq\":2,\"hash\":\"%.62sZZ\"}",
		"{\"version\":1,\"offset\":200,\"seq\":2,\"hash\":\"%.62sAB\"}",
		"{\"version\":1,\"offset\":200,\"seq\":2,\"hash\":null}",
	};
	static const char hex[] = "0123456789abcdef0123456789abcdef"
				  "0123456789abcdef0123456789abcdef";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(good, sizeof(good), bad[i], hex);
		spit_str(p, good);
		got.offset = 99;
		rc = pgship_state_load(p, &got, err, sizeof(err));
		if (rc != -EINVAL || !err[0] || got.offset != 99)
			fail_msg("state %s: rc %d (%s), want -EINVAL and *pos untouched", good, rc,
				 err);
	}
	/* The good spelling of the same loads. */
	snprintf(good, sizeof(good), "{\"version\":1,\"offset\":200,\"seq\":2,\"hash\":\"%s\"}",
		 hex);
	spit_str(p, good);
	assert_int_equal(pgship_state_load(p, &got, err, sizeof(err)), 0);
	assert_int_equal(got.seq, 2);
	/* Too big, a directory, a symlink: refused. */
	{
		char *big = malloc(10000);

		memset(big, ' ', 9999);
		big[9999] = '\0';
		memcpy(big, good, strlen(good));
		spit_str(p, big);
		free(big);
		assert_int_equal(pgship_state_load(p, &got, err, sizeof(err)), -EINVAL);
	}
	assert_int_equal(pgship_state_load(tmpdir, &got, err, sizeof(err)), -EINVAL);
	{
		char link[200];

		snprintf(link, sizeof(link), "%s/statelink", tmpdir);
		spit_str(p, good);
		assert_int_equal(symlink(p, link), 0);
		assert_int_equal(pgship_state_load(link, &got, err, sizeof(err)), -ELOOP);
	}
	free(p);
}

/* ---- connection parameters ---- */

static const char *param(const struct pgship_params *p, const char *k)
{
	const char *v = NULL;

	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->kw[i], k)) {
			if (v)
				fail_msg("keyword %s given twice", k);
			v = p->val[i];
		}
	return v;
}

static void test_params(void **state)
{
	struct pgship_params p;
	char err[256];
	int rc;

	(void)state;
	rc = pgship_params_build("host=db.example port=5433 dbname=ew user=edgewardd "
				 "password=s3cret",
				 5000, &p, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_null(p.kw[p.n]);
	assert_null(p.val[p.n]);
	assert_string_equal(param(&p, "host"), "db.example");
	assert_string_equal(param(&p, "port"), "5433");
	assert_string_equal(param(&p, "password"), "s3cret");
	assert_string_equal(param(&p, "application_name"), "edgewardd");
	assert_string_equal(param(&p, "keepalives"), "1");
	assert_string_equal(param(&p, "client_encoding"), "UTF8");
	assert_string_equal(param(&p, "options"), "-c statement_timeout=5000");
	pgship_params_free(&p);
	/* The operator's own settings stay; the timeout is added to their options. */
	rc = pgship_params_build("postgresql://u@h:6000/d?application_name=ewd-eu1"
				 "&keepalives_idle=5&options=-c%20search_path%3Daudit"
				 "&client_encoding=LATIN1",
				 250, &p, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_string_equal(param(&p, "application_name"), "ewd-eu1");
	assert_string_equal(param(&p, "keepalives_idle"), "5");
	assert_string_equal(param(&p, "options"), "-c search_path=audit -c statement_timeout=250");
	assert_string_equal(param(&p, "client_encoding"), "UTF8");
	assert_string_equal(param(&p, "user"), "u");
	assert_string_equal(param(&p, "dbname"), "d");
	pgship_params_free(&p);
	pgship_params_free(NULL);
	/* What libpq would refuse is refused here, with libpq's reason, before any connect. */
	static const char *const bad[] = { "nosuchkey=1", "host='unterminated", "host",
					   "postgresql://h/d?nosuch=1", "=x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = pgship_params_build(bad[i], 5000, &p, err, sizeof(err));
		if (rc != -EINVAL || !err[0] || strchr(err, '\n'))
			fail_msg("conninfo \"%s\": rc %d err \"%s\", want -EINVAL, one line",
				 bad[i], rc, err);
		assert_null(p.kw);
	}
	{
		char longopt[700];

		memset(longopt, 'x', sizeof(longopt));
		memcpy(longopt, "options=", 8);
		longopt[sizeof(longopt) - 1] = '\0';
		assert_int_equal(pgship_params_build(longopt, 5000, &p, err, sizeof(err)), -EINVAL);
	}
	/* The statement is one, with parameters only. */
	assert_non_null(strstr(pgship_sql, "ON CONFLICT (id) DO NOTHING"));
	assert_non_null(strstr(pgship_sql, "$1::json"));
	assert_non_null(strstr(pgship_sql, "$2::text"));
	assert_null(strchr(pgship_sql, ';'));
}

/* ---- the shipper with no database ---- */

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void test_shipper_no_database(void **state)
{
	char *jp = strdup(new_path("j")), *sp = strdup(new_path("state"));
	struct pgship_conf conf = { 0 };
	struct pgship_stats st;
	struct event_base *base = event_base_new();
	struct timeval tv = { 0, 400000 };
	struct event *stop;
	struct pgship *ps;
	struct jr *j;
	char err[256];

	(void)state;
	assert_non_null(base);
	/* Incomplete or unparsable configuration: refused at once. */
	assert_null(pgship_new(base, &conf));
	conf.conninfo = "nosuchkey=1";
	conf.journal_path = jp;
	conf.state_path = sp;
	assert_null(pgship_new(base, &conf));
	/* Port 1 on loopback: refused at every try, while the journal grows. */
	append_n(jp, 0, 40);
	assert_int_equal(jr_open(jp, &j, err, sizeof(err)), 0);
	spit_str(sp, "not a state file");
	conf.conninfo = "host=127.0.0.1 port=1 dbname=x user=x";
	conf.journal = j;
	conf.backoff_min_ms = 10;
	conf.backoff_max_ms = 40;
	ps = pgship_new(base, &conf);
	assert_non_null(ps);
	stop = evtimer_new(base, stop_loop, base);
	evtimer_add(stop, &tv);
	event_base_dispatch(base);
	pgship_stats(ps, &st);
	assert_false(st.connected);
	assert_int_equal(st.shipped, 0);
	if (st.errors < 2 || st.reconnects < 1)
		fail_msg("errors %llu, reconnects %llu: want retries",
			 (unsigned long long)st.errors, (unsigned long long)st.reconnects);
	assert_int_equal(st.lag_records, 40);
	assert_true(st.lag_bytes > 40 * JR_FRAME_EXTRA);
	assert_true(st.lag_seconds >= 0);
	/* The corrupt state file was not "fixed": only a commit writes it. */
	{
		struct jr_pos pos;

		assert_int_equal(pgship_state_load(sp, &pos, err, sizeof(err)), -EINVAL);
	}
	pgship_kick(ps);
	pgship_free(ps);
	pgship_free(NULL);
	pgship_kick(NULL);
	event_free(stop);
	event_base_free(base);
	jr_close(j);
	free(jp);
	free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_fields),
		cmocka_unit_test(test_row_ip),
		cmocka_unit_test(test_row_ts),
		cmocka_unit_test(test_row_hostile),
		cmocka_unit_test(test_read_from),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_cursor_replaced),
		cmocka_unit_test(test_cursor_damage),
		cmocka_unit_test(test_cursor_odd_frames),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_shipper_no_database),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
