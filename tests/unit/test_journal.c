// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit journal: records come back in order with their ids; the chain
 * continues across opens and across processes; a crash at any byte of the
 * last frame loses that frame only; damage anywhere else is found, named
 * by seq, status and offset, and never "repaired" away; hostile files and
 * records are refused; a failed write leaves the file as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "journal.h"

static char tmpdir[64];
static char path[128];
static int path_n;

/* A fresh journal path for each test. */
static const char *new_path(void)
{
	snprintf(path, sizeof(path), "%s/j%d", tmpdir, path_n++);
	return path;
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
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ewjr.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers ---- */

static json_t *mk_rec(const char *actor, int i)
{
	json_t *r = jr_event("admin_action", actor, "192.0.2.1", "blocklist", "add", "success",
			     i % 101);

	assert_non_null(r);
	json_object_set_new(json_object_get(r, "details"), "i", json_integer(i));
	return r;
}

/* Append n records "i" = first.. to p; ids into ids (may be NULL). */
static void append_n(const char *p, int first, int n, char (*ids)[JR_UUID_LEN + 1])
{
	struct jr *j;
	char err[256];
	int i, rc;

	rc = jr_open(p, &j, err, sizeof(err));
	assert_int_equal(rc, 0);
	for (i = 0; i < n; i++) {
		json_t *r = mk_rec("alice", first + i);

		rc = jr_append(j, r, ids ? ids[i] : NULL);
		if (rc)
			fail_msg("append %d: %s", i, strerror(-rc));
		json_decref(r);
	}
	jr_close(j);
}

struct got {
	size_t n;
	uint64_t seq[2048];
	char id[2048][JR_UUID_LEN + 1];
	char type[2048][32];
	char actor[2048][8];
	int64_t i[2048];
	json_t *last;
};

static int collect(uint64_t seq, json_t *rec, void *arg)
{
	struct got *g = arg;
	json_t *d = json_object_get(rec, "details");
	const char *a = json_string_value(json_object_get(rec, "actor"));

	if (g->n >= 2048)
		return -1;
	g->seq[g->n] = seq;
	snprintf(g->id[g->n], sizeof(g->id[0]), "%s",
		 json_string_value(json_object_get(rec, "id")));
	snprintf(g->type[g->n], sizeof(g->type[0]), "%s",
		 json_string_value(json_object_get(rec, "type")));
	snprintf(g->actor[g->n], sizeof(g->actor[0]), "%s", a ? a : "");
	g->i[g->n] = json_integer_value(json_object_get(d, "i"));
	json_decref(g->last);
	g->last = json_incref(rec);
	g->n++;
	return 0;
}

static struct got *scan(const char *p, struct jr_scan *res)
{
	struct got *g = calloc(1, sizeof(*g));
	int rc;

	assert_non_null(g);
	rc = jr_scan(p, collect, g, res);
	if (rc)
		fail_msg("jr_scan %s: %d (%s)", p, rc, rc < 0 ? strerror(-rc) : "callback");
	return g;
}

static void got_free(struct got *g)
{
	json_decref(g->last);
	free(g);
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

static void spit(const char *p, const void *buf, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static off_t file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

/* Frame offsets of a sound journal image, from the documented layout; returns the count. */
static size_t frames(const unsigned char *buf, size_t n, size_t *off, size_t max)
{
	size_t o = 0, k = 0;

	while (o + JR_FRAME_EXTRA <= n && k < max) {
		uint32_t len;

		assert_memory_equal(buf + o, JR_MAGIC, 4);
		memcpy(&len, buf + o + 4, 4);
		off[k++] = o;
		o += len + JR_FRAME_EXTRA;
	}
	off[k] = o;
	assert_int_equal(o, n);
	return k;
}

/* Build a self-consistent frame by the documented format (independently of journal.c). */
static size_t forge(unsigned char *out, uint64_t seq, const unsigned char *prev, const char *js)
{
	uint32_t len = (uint32_t)strlen(js);
	unsigned int mdlen;

	memcpy(out, JR_MAGIC, 4);
	memcpy(out + 4, &len, 4);	/* little endian host assumed by these tests */
	memcpy(out + 8, &seq, 8);
	memcpy(out + 16, prev, JR_HASH_LEN);
	memcpy(out + JR_HDR_LEN, js, len);
	assert_true(EVP_Digest(out, JR_HDR_LEN + len, out + JR_HDR_LEN + len, &mdlen, EVP_sha256(),
			       NULL));
	return len + JR_FRAME_EXTRA;
}

/* A journal of n records at a new path; its bytes and frame offsets. */
static unsigned char *mk_journal(int n, size_t *size, size_t *off)
{
	const char *p = new_path();

	append_n(p, 0, n, NULL);
	{
		unsigned char *buf = slurp(p, size);

		assert_int_equal(frames(buf, *size, off, (size_t)n + 1), n);
		return buf;
	}
}

/* Send stderr (the journal's warnings) to a file while a loop runs; returns the saved fd. */
static int stderr_to(const char *file)
{
	int saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static void stderr_back(int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

/* ---- tests ---- */

static void test_append_scan(void **state)
{
	char ids[50][JR_UUID_LEN + 1];
	struct jr_scan res;
	struct stat st;
	struct got *g;
	int64_t us, now_us;
	int i;

	(void)state;
	new_path();
	append_n(path, 0, 50, ids);
	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 0777) != 0600)
		fail_msg("journal mode %04o, expected 0600", st.st_mode & 0777);
	g = scan(path, &res);
	if (res.status != JR_OK)
		fail_msg("status %s (%s), expected ok", jr_status_name(res.status), res.why);
	assert_int_equal(g->n, 50);
	assert_int_equal(res.records, 50);
	assert_int_equal(res.last_seq, 50);
	assert_int_equal(res.valid_bytes, st.st_size);
	assert_int_equal(res.file_bytes, st.st_size);
	assert_string_equal(res.why, "");
	for (i = 0; i < 50; i++) {
		assert_int_equal(g->seq[i], (uint64_t)i + 1);
		assert_string_equal(g->id[i], ids[i]);
		assert_true(jr_uuid_valid(g->id[i]));
		if (g->id[i][14] != '4' || !strchr("89ab", g->id[i][19]))
			fail_msg("id %s is not a UUID v4", g->id[i]);
		assert_int_equal(g->i[i], i);
		if (i)
			assert_string_not_equal(g->id[i], g->id[i - 1]);
	}
	/* The last record as stored: every common field, ts now in UTC with microseconds. */
	assert_string_equal(json_string_value(json_object_get(g->last, "type")), "admin_action");
	assert_string_equal(json_string_value(json_object_get(g->last, "actor")), "alice");
	assert_string_equal(json_string_value(json_object_get(g->last, "source")), "192.0.2.1");
	assert_int_equal(json_integer_value(json_object_get(g->last, "risk")), 49);
	assert_int_equal(json_integer_value(json_object_get(g->last, "seq")), 50);
	{
		const char *ts = json_string_value(json_object_get(g->last, "ts"));

		assert_non_null(ts);
		assert_int_equal(strlen(ts), 27);	/* 2025-01-02T03:04:05.123456Z */
		assert_int_equal(ts[26], 'Z');
		assert_int_equal(jr_ts_parse(ts, &us), 0);
		now_us = (int64_t)time(NULL) * 1000000;
		if (us > now_us + 2000000 || us < now_us - 600000000LL)
			fail_msg("ts %s is not now", ts);
	}
	got_free(g);
}

/* The payload is compact JSON with sorted keys: the same record always hashes the same. */
static void test_payload_form(void **state)
{
	unsigned char *buf;
	size_t size, off[2];
	uint32_t len;
	char *js;
	json_t *r;

	(void)state;
	buf = mk_journal(1, &size, off);
	memcpy(&len, buf + 4, 4);
	js = strndup((char *)buf + JR_HDR_LEN, len);
	r = json_loads(js, 0, NULL);
	assert_non_null(r);
	{
		char *again = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

		assert_string_equal(js, again);
		free(again);
	}
	assert_non_null(strstr(js, "\"action\":\"add\",\"actor\":\"alice\""));
	json_decref(r);
	free(js);
	free(buf);
}

static void test_reopen_continues(void **state)
{
	struct jr_scan res;
	struct got *g;
	struct jr *j;
	char err[256];
	int i;

	(void)state;
	new_path();
	append_n(path, 0, 10, NULL);
	assert_int_equal(jr_open(path, &j, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(jr_last_seq(j), 10);
	assert_int_equal(jr_size(j), file_size(path));
	jr_close(j);
	append_n(path, 10, 10, NULL);
	g = scan(path, &res);
	assert_int_equal(res.status, JR_OK);
	assert_int_equal(g->n, 20);
	for (i = 0; i < 20; i++) {
		assert_int_equal(g->seq[i], (uint64_t)i + 1);
		assert_int_equal(g->i[i], i);
	}
	got_free(g);
}

/*
 * A crash at every byte of the last frame: the scan sees a torn tail after
 * the sound frames; the next open cuts exactly that frame, says how many
 * bytes went, records the repair, and appends continue on a sound chain.
 */
static void test_torn_tail_every_offset(void **state)
{
	unsigned char *orig;
	size_t size, off[6], cut, first_fail = 0;
	char ids[5][JR_UUID_LEN + 1], log[128], msg[512] = "";
	struct jr_scan res;
	int saved;

	(void)state;
	new_path();
	append_n(path, 0, 5, ids);
	orig = slurp(path, &size);
	assert_int_equal(frames(orig, size, off, 6), 5);
	snprintf(log, sizeof(log), "%s/torn.log", tmpdir);
	saved = stderr_to(log);
	for (cut = off[4] + 1; cut < size && !msg[0]; cut++) {
		const char *p = new_path();
		struct got *g = NULL;
		struct jr *j = NULL;
		char err[256], want[64], *logtxt;
		size_t loglen;
		json_t *r;
		int rc;

		spit(p, orig, cut);
		fflush(stderr);
		assert_int_equal(truncate(log, 0), 0);
		rc = jr_scan(p, NULL, NULL, &res);
		if (rc || res.status != JR_TORN_TAIL || res.records != 4 ||
		    res.valid_bytes != (off_t)off[4] || res.bad_seq != 5 ||
		    res.bad_offset != (off_t)off[4]) {
			snprintf(msg, sizeof(msg),
				 "cut at %zu: scan rc %d status %s records %llu valid %lld bad_seq "
				 "%llu, expected torn_tail 4 %zu 5",
				 cut, rc, jr_status_name(res.status),
				 (unsigned long long)res.records, (long long)res.valid_bytes,
				 (unsigned long long)res.bad_seq, off[4]);
			break;
		}
		rc = jr_open(p, &j, err, sizeof(err));
		if (rc || err[0] || jr_last_seq(j) != 5) {
			snprintf(msg, sizeof(msg), "cut at %zu: open rc %d err '%s' last seq %llu",
				 cut, rc, err, j ? (unsigned long long)jr_last_seq(j) : 0ULL);
			jr_close(j);
			break;
		}
		r = mk_rec("bob", 100);
		rc = jr_append(j, r, NULL);
		json_decref(r);
		jr_close(j);
		fflush(stderr);
		logtxt = slurp(log, &loglen);
		logtxt[loglen] = '\0';
		snprintf(want, sizeof(want), "dropped %zu bytes", cut - off[4]);
		if (!strstr(logtxt, want))
			snprintf(msg, sizeof(msg), "cut at %zu: log '%s' lacks '%s'", cut, logtxt,
				 want);
		free(logtxt);
		if (msg[0])
			break;
		g = calloc(1, sizeof(*g));
		rc = jr_scan(p, collect, g, &res);
		if (rc || res.status != JR_OK || g->n != 6 || res.valid_bytes != file_size(p)) {
			snprintf(msg, sizeof(msg),
				 "cut at %zu: after repair rc %d status %s (%s), %zu "
				 "records, expected ok and 6",
				 cut, rc, jr_status_name(res.status), res.why, g->n);
		} else {
			int k;

			for (k = 0; k < 4 && !msg[0]; k++)
				if (strcmp(g->id[k], ids[k]) || g->seq[k] != (uint64_t)k + 1)
					snprintf(msg, sizeof(msg), "cut at %zu: record %d changed",
						 cut, k + 1);
			if (!msg[0] && (strcmp(g->type[4], "journal_repair") || g->seq[4] != 5 ||
					g->i[5] != 100 || g->seq[5] != 6))
				snprintf(msg, sizeof(msg),
					 "cut at %zu: records 5, 6 are %s/%llu, "
					 "%lld/%llu; expected journal_repair/5, 100/6",
					 cut, g->type[4], (unsigned long long)g->seq[4],
					 (long long)g->i[5], (unsigned long long)g->seq[5]);
		}
		got_free(g);
		first_fail = cut;
		unlink(p);
	}
	stderr_back(saved);
	if (msg[0])
		fail_msg("%s", msg);
	assert_int_equal(first_fail, size - 1);	/* every offset was tried */
	free(orig);
}

/* The repair record says what went. */
static void test_repair_record(void **state)
{
	unsigned char *orig;
	size_t size, off[4];
	struct jr_scan res;
	struct got *g;
	struct jr *j;
	char err[256];
	json_t *d;
	int saved;

	(void)state;
	orig = mk_journal(3, &size, off);
	spit(path, orig, size - 7);
	saved = stderr_to("/dev/null");
	assert_int_equal(jr_open(path, &j, err, sizeof(err)), 0);
	stderr_back(saved);
	jr_close(j);
	g = scan(path, &res);
	assert_int_equal(res.status, JR_OK);
	assert_int_equal(g->n, 3);
	assert_string_equal(g->type[2], "journal_repair");
	d = json_object_get(g->last, "details");
	assert_int_equal(json_integer_value(json_object_get(d, "dropped_bytes")),
			 (json_int_t)(size - 7 - off[2]));
	assert_int_equal(json_integer_value(json_object_get(d, "offset")), (json_int_t)off[2]);
	assert_string_equal(json_string_value(json_object_get(g->last, "result")), "success");
	got_free(g);
	free(orig);
}

/* What a flipped byte at offset k of frame 3 (of 5) must be reported as. */
static int flip_status(const unsigned char *buf, size_t size, size_t f3, size_t k)
{
	uint32_t len;

	if (k < 4)
		return JR_BAD_FRAME;	/* magic */
	if (k < 8) {
		memcpy(&len, buf + f3 + 4, 4);	/* buf already flipped */
		if (!len || len > JR_MAX_PAYLOAD || f3 + len + JR_FRAME_EXTRA > size)
			return JR_BAD_FRAME;
		return JR_BAD_HASH;
	}
	return JR_BAD_HASH;	/* seq, prev, payload, hash: all under the hash */
}

static const char *region(size_t k, size_t flen)
{
	if (k < 4)
		return "magic";
	if (k < 8)
		return "len";
	if (k < 16)
		return "seq";
	if (k < 48)
		return "prev";
	if (k < flen - JR_HASH_LEN)
		return "payload";
	return "hash";
}

static void test_flip_every_byte_middle(void **state)
{
	unsigned char *orig, *buf;
	size_t size, off[6], k, flen;
	const char *p;

	(void)state;
	orig = mk_journal(5, &size, off);
	p = path;
	flen = off[3] - off[2];
	buf = malloc(size);
	for (k = 0; k < flen; k++) {
		struct jr_scan res;
		int want, rc;

		memcpy(buf, orig, size);
		buf[off[2] + k] ^= 0xff;
		want = flip_status(buf, size, off[2], k);
		spit(p, buf, size);
		rc = jr_scan(p, NULL, NULL, &res);
		assert_int_equal(rc, 0);
		if (res.status != want || res.bad_seq != 3 || res.bad_offset != (off_t)off[2] ||
		    res.records != 2 || res.last_seq != 2 || res.valid_bytes != (off_t)off[2] ||
		    res.later_frames < 2)
			fail_msg(
			    "byte %zu (%s) of frame 3: %s at seq %llu offset %lld, %llu records, "
			    "%llu later (%s); expected %s at seq 3 offset %zu, 2 records, >= 2 "
			    "later",
			    k, region(k, flen), jr_status_name(res.status),
			    (unsigned long long)res.bad_seq, (long long)res.bad_offset,
			    (unsigned long long)res.records, (unsigned long long)res.later_frames,
			    res.why, jr_status_name(want), off[2]);
	}
	free(buf);
	free(orig);
}

/* Damage in the middle is kept: open reports it, appends go after the last frame. */
static void test_middle_damage_kept(void **state)
{
	static const size_t at[] = { 0, 5, 9, 20, 60, 0 /* hash: set below */ };
	unsigned char *orig, *buf;
	size_t size, off[6], i;

	(void)state;
	orig = mk_journal(5, &size, off);
	buf = malloc(size + 1);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		size_t k = i == 5 ? off[3] - off[2] - 1 : at[i];
		const char *p = new_path();
		struct jr_scan res;
		struct jr *j;
		char err[256];
		json_t *r;
		int saved, rc;

		memcpy(buf, orig, size);
		buf[off[2] + k] ^= 0x01;
		spit(p, buf, size);
		saved = stderr_to("/dev/null");
		rc = jr_open(p, &j, err, sizeof(err));
		stderr_back(saved);
		assert_int_equal(rc, 0);
		if (!strstr(err, "at seq 3") || !strstr(err, "verify"))
			fail_msg("byte %zu: open's err '%s' should name seq 3 and verify", k, err);
		assert_int_equal(jr_last_seq(j), 5);
		assert_int_equal(file_size(p), (off_t)size);	/* nothing cut */
		r = mk_rec("carol", 6);
		assert_int_equal(jr_append(j, r, NULL), 0);
		json_decref(r);
		assert_int_equal(jr_last_seq(j), 6);
		jr_close(j);
		assert_int_equal(jr_scan(p, NULL, NULL, &res), 0);
		assert_int_not_equal(res.status, JR_OK);
		assert_int_equal(res.bad_seq, 3);
		assert_int_equal(res.later_frames, 3);	/* 4, 5 and the new 6 */
		/* The bytes before the damage and the damaged frame are untouched. */
		{
			size_t n;
			unsigned char *now = slurp(p, &n);

			assert_memory_equal(now, buf, size);
			free(now);
		}
	}
	free(buf);
	free(orig);
}

/* A sound frame replayed at the end: reported, kept, and its low seq is not reused. */
static void test_damage_never_reuses_seq(void **state)
{
	unsigned char *orig, *buf;
	size_t size, off[4];
	struct jr_scan res;
	struct jr *j;
	char err[256];
	json_t *r;
	int saved;

	(void)state;
	orig = mk_journal(3, &size, off);
	buf = malloc(size + off[1]);
	memcpy(buf, orig, size);
	memcpy(buf + size, orig, off[1]);	/* frame 1 again */
	spit(path, buf, size + off[1]);
	saved = stderr_to("/dev/null");
	assert_int_equal(jr_open(path, &j, err, sizeof(err)), 0);
	stderr_back(saved);
	if (!strstr(err, "bad_seq at seq 4"))
		fail_msg("open's err '%s', expected bad_seq at seq 4", err);
	assert_int_equal(jr_last_seq(j), 3);
	r = mk_rec("x", 1);
	assert_int_equal(jr_append(j, r, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "seq")), 4);
	json_decref(r);
	jr_close(j);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_BAD_SEQ);
	assert_int_equal(res.bad_seq, 4);
	assert_int_equal(res.later_frames, 2);
	free(buf);
	free(orig);
}

/* A flip in the last frame is a torn tail (nothing sound after it); in the first, seq 1. */
static void test_flip_first_and_last(void **state)
{
	unsigned char *orig;
	size_t size, off[4];
	struct jr_scan res;

	(void)state;
	orig = mk_journal(3, &size, off);
	orig[off[2] + 60] ^= 0x20;
	spit(path, orig, size);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_TORN_TAIL);
	assert_int_equal(res.bad_seq, 3);
	assert_int_equal(res.records, 2);
	assert_non_null(strstr(res.why, "hash"));
	orig[off[2] + 60] ^= 0x20;
	orig[10] ^= 0x01;
	spit(path, orig, size);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_BAD_HASH);
	assert_int_equal(res.bad_seq, 1);
	assert_int_equal(res.bad_offset, 0);
	assert_int_equal(res.records, 0);
	assert_int_equal(res.last_seq, 0);
	free(orig);
}

static void test_delete_middle(void **state)
{
	unsigned char *orig, *buf;
	size_t size, off[6], n;
	struct jr_scan res;

	(void)state;
	orig = mk_journal(5, &size, off);
	buf = malloc(size);
	memcpy(buf, orig, off[2]);
	memcpy(buf + off[2], orig + off[3], size - off[3]);
	n = size - (off[3] - off[2]);
	spit(path, buf, n);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	if (res.status != JR_BAD_SEQ || res.bad_seq != 3 || res.bad_offset != (off_t)off[2])
		fail_msg("frame 3 deleted: %s at seq %llu offset %lld (%s), expected bad_seq at 3",
			 jr_status_name(res.status), (unsigned long long)res.bad_seq,
			 (long long)res.bad_offset, res.why);
	assert_non_null(strstr(res.why, "seq 4 where 3 was due"));
	assert_int_equal(res.records, 2);
	/* The last frame cut off cleanly looks like a sound journal: the documented limit. */
	spit(path, orig, off[4]);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_OK);
	free(buf);
	free(orig);
}

static void test_swap_frames(void **state)
{
	unsigned char *orig, *buf;
	size_t size, off[6], l2, l3;
	struct jr_scan res;

	(void)state;
	orig = mk_journal(5, &size, off);
	buf = malloc(size);
	l2 = off[2] - off[1];
	l3 = off[3] - off[2];
	memcpy(buf, orig, size);
	memcpy(buf + off[1], orig + off[2], l3);
	memcpy(buf + off[1] + l3, orig + off[1], l2);
	spit(path, buf, size);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	if (res.status != JR_BAD_SEQ || res.bad_seq != 2 || res.bad_offset != (off_t)off[1])
		fail_msg("frames 2, 3 swapped: %s at seq %llu (%s), expected bad_seq at 2",
			 jr_status_name(res.status), (unsigned long long)res.bad_seq, res.why);
	free(buf);
	free(orig);
}

/*
 * A record rewritten as a sound frame (right seq, right prev, new hash):
 * the frame after it no longer chains. A first frame with a nonzero prev
 * does not chain either.
 */
static void test_forged_frame_breaks_chain(void **state)
{
	unsigned char *orig, *buf, zero[JR_HASH_LEN] = { 0 }, one[JR_HASH_LEN];
	size_t size, off[6], n;
	struct jr_scan res;
	char js[128];

	(void)state;
	orig = mk_journal(5, &size, off);
	buf = malloc(size + 4096);
	memcpy(buf, orig, off[2]);
	snprintf(js, sizeof(js), "{\"id\":\"00000000-0000-4000-8000-000000000000\",\"seq\":3,"
		 "\"ts\":\"2025-01-01T00:00:00Z\",\"type\":\"nothing_happened\"}");
	/* prev of frame 3 = hash of frame 2 = the last 32 bytes before off[2]. */
	n = off[2] + forge(buf + off[2], 3, orig + off[2] - JR_HASH_LEN, js);
	memcpy(buf + n, orig + off[3], size - off[3]);
	n += size - off[3];
	spit(path, buf, n);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	if (res.status != JR_BAD_CHAIN || res.bad_seq != 4 || res.records != 3)
		fail_msg("forged frame 3: %s at seq %llu, %llu records (%s); expected bad_chain at "
			 "4 after 3 records",
			 jr_status_name(res.status), (unsigned long long)res.bad_seq,
			 (unsigned long long)res.records, res.why);
	/* A journal that starts with a prev other than zeros. */
	memset(one, 0x11, sizeof(one));
	n = forge(buf, 1, one, "{\"seq\":1,\"type\":\"x\"}");
	n += forge(buf + n, 2, buf + n - JR_HASH_LEN, "{\"seq\":2,\"type\":\"x\"}");
	spit(path, buf, n);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_BAD_CHAIN);
	assert_int_equal(res.bad_seq, 1);
	/* Sound frames whose payload is not a record of their seq. */
	n = forge(buf, 1, zero, "{\"seq\":2,\"type\":\"x\"}");
	n += forge(buf + n, 2, buf + n - JR_HASH_LEN, "{\"seq\":2,\"type\":\"x\"}");
	spit(path, buf, n);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_BAD_FRAME);
	assert_int_equal(res.bad_seq, 1);
	n = forge(buf, 1, zero, "[1,2]");
	n += forge(buf + n, 2, buf + n - JR_HASH_LEN, "{\"seq\":2,\"type\":\"x\"}");
	spit(path, buf, n);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_BAD_FRAME);
	n = forge(buf, 1, zero, "{\"seq\":1,\"seq\":1}");
	spit(path, buf, n);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_BAD_FRAME);	/* duplicate keys */
	free(buf);
	free(orig);
}

/* Lengths over the cap or past the end cost no allocation of that size. */
static void test_huge_length(void **state)
{
	static const uint32_t lens[] = { 0xffffffffU, JR_MAX_PAYLOAD + 1, JR_MAX_PAYLOAD, 0 };
	unsigned char *orig;
	size_t size, off[6], i;

	(void)state;
	orig = mk_journal(5, &size, off);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned char *buf = malloc(size);
		struct jr_scan res;
		pid_t pid;
		int st;

		memcpy(buf, orig, size);
		memcpy(buf + off[2] + 4, &lens[i], 4);
		spit(path, buf, size);
		/* In a child with a small address space: a 4 GiB buffer would fail there. */
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
#ifndef __SANITIZE_ADDRESS__	/* ASan reserves terabytes of shadow up front */
			struct rlimit rl = { 256UL << 20, 256UL << 20 };

			setrlimit(RLIMIT_AS, &rl);
#endif
			_exit(jr_scan(path, NULL, NULL, &res) ? 10 : res.status);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != JR_BAD_FRAME)
			fail_msg("len %u in frame 3: child exit %d, expected status %d (bad_frame)",
				 lens[i], WEXITSTATUS(st), JR_BAD_FRAME);
		assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
		assert_int_equal(res.bad_seq, 3);
		assert_non_null(strstr(
		    res.why, lens[i] > JR_MAX_PAYLOAD || !lens[i] ? "length" : "left in the file"));
		/* The same in the last frame: a torn tail. */
		memcpy(buf, orig, size);
		memcpy(buf + off[4] + 4, &lens[i], 4);
		spit(path, buf, size);
		assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
		assert_int_equal(res.status, JR_TORN_TAIL);
		assert_int_equal(res.records, 4);
		free(buf);
	}
	free(orig);
}

/* Two processes appending at once: one chain, seq 1..1000, each one's records in order. */
static void test_two_processes(void **state)
{
	struct jr_scan res;
	struct got *g;
	pid_t pid[2];
	int k, i, next[2] = { 0, 0 };

	(void)state;
	new_path();
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			struct jr *j;
			char err[256];

			if (jr_open(path, &j, err, sizeof(err)))
				_exit(2);
			for (i = 0; i < 500; i++) {
				json_t *r = mk_rec(k ? "p1" : "p0", i);

				if (jr_append(j, r, NULL))
					_exit(3);
				json_decref(r);
			}
			jr_close(j);
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		int st;

		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fail_msg("appender %d exited with %d", k, WEXITSTATUS(st));
	}
	g = scan(path, &res);
	if (res.status != JR_OK)
		fail_msg("after concurrent appends: %s at seq %llu (%s)",
			 jr_status_name(res.status), (unsigned long long)res.bad_seq, res.why);
	assert_int_equal(g->n, 1000);
	for (i = 0; i < 1000; i++) {
		int who = g->actor[i][1] - '0';

		assert_int_equal(g->seq[i], (uint64_t)i + 1);
		assert_true(who == 0 || who == 1);
		if (g->i[i] != next[who])
			fail_msg("record %d of p%d is %lld, expected %d", i + 1, who,
				 (long long)g->i[i], next[who]);
		next[who]++;
	}
	assert_int_equal(next[0], 500);
	assert_int_equal(next[1], 500);
	got_free(g);
}

/* Two handles in one process take turns: each catches up with the other's frames. */
static void test_two_handles(void **state)
{
	struct jr *a, *b;
	struct jr_scan res;
	char err[256];
	int i, saved;

	(void)state;
	new_path();
	assert_int_equal(jr_open(path, &a, err, sizeof(err)), 0);
	assert_int_equal(jr_open(path, &b, err, sizeof(err)), 0);
	for (i = 0; i < 20; i++) {
		json_t *r = mk_rec("x", i);

		assert_int_equal(jr_append(i % 3 ? a : b, r, NULL), 0);
		json_decref(r);
	}
	assert_int_equal(jr_last_seq(a) > jr_last_seq(b) ? jr_last_seq(a) : jr_last_seq(b), 20);
	/* A writer died mid-frame: the other one's next append repairs, then appends. */
	{
		int fd = open(path, O_WRONLY | O_APPEND);

		assert_int_equal(write(fd, "EWJ1\x10\x00", 6), 6);
		close(fd);
	}
	{
		json_t *r = mk_rec("x", 20);

		saved = stderr_to("/dev/null");
		assert_int_equal(jr_append(a, r, NULL), 0);
		stderr_back(saved);
		json_decref(r);
	}
	assert_int_equal(jr_last_seq(a), 22);	/* 21 = journal_repair */
	jr_close(a);
	jr_close(b);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_OK);
	assert_int_equal(res.records, 22);
}

static void test_batch(void **state)
{
	json_t *recs[100];
	struct jr_scan res;
	struct got *g;
	struct jr *j;
	char err[256];
	off_t before;
	int i;

	(void)state;
	new_path();
	assert_int_equal(jr_open(path, &j, err, sizeof(err)), 0);
	for (i = 0; i < 100; i++)
		recs[i] = mk_rec("batch", i);
	assert_int_equal(jr_append_many(j, recs, 100), 0);
	assert_int_equal(jr_last_seq(j), 100);
	for (i = 0; i < 100; i++) {
		assert_int_equal(json_integer_value(json_object_get(recs[i], "seq")), i + 1);
		json_decref(recs[i]);
	}
	/* One bad record: none of the batch is written. */
	before = file_size(path);
	for (i = 0; i < 3; i++)
		recs[i] = mk_rec("batch", 100 + i);
	json_object_del(recs[2], "type");
	assert_int_equal(jr_append_many(j, recs, 3), -EINVAL);
	assert_int_equal(file_size(path), before);
	assert_int_equal(jr_append_many(j, recs, 0), 0);
	for (i = 0; i < 3; i++)
		json_decref(recs[i]);
	jr_close(j);
	g = scan(path, &res);
	assert_int_equal(res.status, JR_OK);
	assert_int_equal(g->n, 100);
	assert_int_equal(g->i[99], 99);
	got_free(g);
}

static void test_bad_records(void **state)
{
	static const char *const bad[] = {
		"\"just a string\"",
		"[1,2,3]",
		"{}",
		"{\"type\":null}",
		"{\"type\":\"\"}",
		"{\"type\":7}",
		"{\"type\":\"has space\"}",
		"{\"type\":\"nl\\n\"}",
		"{\"type\":\"x\",\"id\":\"not-a-uuid\"}",
		"{\"type\":\"x\",\"id\":\"00000000-0000-4000-8000-00000000000\"}",
		"{\"type\":\"x\",\"id\":\"00000000-0000-4000-8000-0000000000000\"}",
		"{\"type\":\"x\",\"id\":\"0000000g-0000-4000-8000-000000000000\"}",
		"{\"type\":\"x\",\"id\":7}",
		"{\"type\":\"x\",\"ts\":\"yesterday\"}",
		"{\"type\":\"x\",\"ts\":\"2025-02-30T00:00:00Z\"}",
		"{\"type\":\"x\",\"ts\":\"2025-01-01T00:00:00\"}",
		"{\"type\":\"x\",\"ts\":5}",
		"{\"type\":\"x\",\"risk\":101}",
		"{\"type\":\"x\",\"risk\":-1}",
		"{\"type\":\"x\",\"risk\":\"high\"}",
		"{\"type\":\"x\",\"risk\":1.5}",
		"{\"type\":\"x\",\"actor\":1}",
		"{\"type\":\"x\",\"source\":{}}",
		"{\"type\":\"x\",\"result\":true}",
		"{\"type\":\"x\",\"details\":[]}",
	};
	struct jr *j;
	char err[256], id[JR_UUID_LEN + 1];
	off_t before;
	json_t *r;
	size_t i;

	(void)state;
	new_path();
	assert_int_equal(jr_open(path, &j, err, sizeof(err)), 0);
	before = file_size(path);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		r = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(r);
		rc = jr_append(j, r, NULL);
		if (rc != -EINVAL)
			fail_msg("record %s: %d, expected -EINVAL", bad[i], rc);
		json_decref(r);
	}
	assert_int_equal(jr_append(j, NULL, NULL), -EINVAL);
	assert_int_equal(file_size(path), before);
	/* A given id (normalised to lowercase) and ts are kept. */
	r = json_loads("{\"type\":\"x\",\"id\":\"ABCDEF01-2345-4678-89AB-CDEF01234567\","
		       "\"ts\":\"2024-02-29T23:59:59.5+01:00\"}", 0, NULL);
	assert_int_equal(jr_append(j, r, id), 0);
	assert_string_equal(id, "abcdef01-2345-4678-89ab-cdef01234567");
	assert_string_equal(json_string_value(json_object_get(r, "ts")),
			    "2024-02-29T23:59:59.5+01:00");
	json_decref(r);
	/* Over the size cap. */
	{
		char *big = malloc(JR_MAX_PAYLOAD + 2);

		memset(big, 'a', JR_MAX_PAYLOAD + 1);
		big[JR_MAX_PAYLOAD + 1] = '\0';
		r = jr_event("x", big, NULL, NULL, NULL, NULL, 0);
		before = file_size(path);
		assert_int_equal(jr_append(j, r, NULL), -EMSGSIZE);
		assert_int_equal(file_size(path), before);
		json_decref(r);
		free(big);
	}
	jr_close(j);
}

static void test_jr_event(void **state)
{
	json_t *r;
	char *s;

	(void)state;
	assert_null(jr_event(NULL, "a", "b", "c", "d", "e", 0));
	assert_null(jr_event("x", "a", "b", "c", "d", "e", -1));
	assert_null(jr_event("x", "a", "b", "c", "d", "e", 101));
	r = jr_event("failed_login", "mal\xff\xfeory\x01", NULL, NULL, "login", "failure", 100);
	assert_non_null(r);
	s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"action\":\"login\",\"actor\":\"mal\\\\xff\\\\xfeory\\u0001\","
			       "\"details\":{},\"resource\":null,\"result\":\"failure\","
			       "\"risk\":100,\"source\":null,\"type\":\"failed_login\"}");
	free(s);
	json_decref(r);
}

static void test_ts_parse(void **state)
{
	static const struct {
		const char *s;
		int64_t us;
	} ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:01.5Z", 1500000 },
		{ "2025-01-02T03:04:05.123456Z", 1735787045123456LL },
		{ "2025-01-02T03:04:05.1234569Z", 1735787045123456LL },
		{ "2025-01-02t04:04:05+01:00", 1735787045000000LL },
		{ "2025-01-01T23:04:05-04:00", 1735787045000000LL },
		{ "2024-02-29T00:00:00z", 1709164800000000LL },
	};
	static const char *const bad[] = {
		"", "2025-01-02", "2025-01-02T03:04:05", "2025-01-02 03:04:05Z",
		"2025-1-02T03:04:05Z",
		"2025-13-02T03:04:05Z", "2025-00-02T03:04:05Z", "2025-02-29T03:04:05Z",
		"2025-04-31T03:04:05Z", "2025-01-02T24:00:00Z", "2025-01-02T03:60:05Z",
		"2025-01-02T03:04:61Z", "2025-01-02T03:04:05.Z", "2025-01-02T03:04:05Zjunk",
		"2025-01-02T03:04:05+0100", "2025-01-02T03:04:05+24:00", "1969-12-31T23:59:59Z",
		"+025-01-02T03:04:05Z",
	};
	int64_t us;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (jr_ts_parse(ok[i].s, &us))
			fail_msg("%s refused", ok[i].s);
		if (us != ok[i].us)
			fail_msg("%s: %lld, expected %lld", ok[i].s, (long long)us,
				 (long long)ok[i].us);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (jr_ts_parse(bad[i], &us) != -EINVAL)
			fail_msg("%s accepted", bad[i]);
	assert_int_equal(jr_ts_parse(NULL, &us), -EINVAL);
}

static void test_hostile_paths(void **state)
{
	char p[160], target[160], err[256];
	struct jr *j = NULL;
	struct stat st;
	int saved;

	(void)state;
	/* A symlink, even to a sound journal. */
	snprintf(target, sizeof(target), "%s/real", tmpdir);
	append_n(target, 0, 1, NULL);
	snprintf(p, sizeof(p), "%s/link", tmpdir);
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), -ELOOP);
	assert_null(j);
	assert_non_null(strstr(err, "symlink"));
	/* A dangling one is not followed to create its target either. */
	snprintf(p, sizeof(p), "%s/dangling", tmpdir);
	snprintf(target, sizeof(target), "%s/not-there", tmpdir);
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), -ELOOP);
	assert_int_not_equal(stat(target, &st), 0);
	/* A directory, a FIFO. */
	assert_true(jr_open(tmpdir, &j, err, sizeof(err)) < 0);
	snprintf(p, sizeof(p), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_not_equal(jr_scan(p, NULL, NULL, &(struct jr_scan){ 0 }), 0);
	/* Group or world writable. */
	snprintf(p, sizeof(p), "%s/gw", tmpdir);
	append_n(p, 0, 1, NULL);
	chmod(p, 0620);
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(p, 0602);
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), -EPERM);
	chmod(p, 0640);	/* readable by a group is fine */
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), 0);
	jr_close(j);
	/* Some other file given by mistake is refused, not "repaired" to nothing. */
	snprintf(p, sizeof(p), "%s/passwd", tmpdir);
	spit(p, "root:x:0:0:root:/root:/bin/bash\n", 32);
	saved = stderr_to("/dev/null");
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), -EINVAL);
	stderr_back(saved);
	assert_non_null(strstr(err, "not an edgeward journal"));
	assert_int_equal(file_size(p), 32);
	{
		struct jr_scan res;

		assert_int_equal(jr_scan(p, NULL, NULL, &res), 0);
		assert_int_equal(res.status, JR_BAD_FRAME);
		assert_non_null(strstr(res.why, "not an edgeward journal"));
		spit(p, "EWJ", 3);	/* the start of a first frame: a crash, not another file */
		assert_int_equal(jr_scan(p, NULL, NULL, &res), 0);
		assert_int_equal(res.status, JR_TORN_TAIL);
	}
	/* A missing directory. */
	snprintf(p, sizeof(p), "%s/no/such/dir/j", tmpdir);
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "directory"));
	assert_int_equal(jr_scan(p, NULL, NULL, &(struct jr_scan){ 0 }), -ENOENT);
	/* A crash in the very first frame leaves a journal that starts like one: it is cut. */
	snprintf(p, sizeof(p), "%s/first", tmpdir);
	spit(p, "EW", 2);
	saved = stderr_to("/dev/null");
	assert_int_equal(jr_open(p, &j, err, sizeof(err)), 0);
	stderr_back(saved);
	assert_int_equal(jr_last_seq(j), 1);	/* the repair record */
	jr_close(j);
}

/* A write that fails (file size limit: EFBIG) leaves the file as it was. */
static void test_write_failure(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	new_path();
	append_n(path, 0, 3, NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		off_t before = file_size(path);
		struct rlimit rl;
		json_t *recs[2];
		struct jr *j;
		char err[256];
		int rc, saved;

		signal(SIGXFSZ, SIG_IGN);
		if (jr_open(path, &j, err, sizeof(err)))
			_exit(10);
		/* Room for part of a frame; the hard limit stays, so it can be raised again. */
		if (getrlimit(RLIMIT_FSIZE, &rl))
			_exit(11);
		rl.rlim_cur = (rlim_t)before + 100;
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(11);
		recs[0] = mk_rec("big", 1);
		json_object_set_new(
		    json_object_get(recs[0], "details"), "pad",
		    json_string("................................................"
				"................................................"));
		saved = stderr_to("/dev/null");
		rc = jr_append(j, recs[0], NULL);
		stderr_back(saved);
		if (rc != -EFBIG)
			_exit(12);
		if (file_size(path) != before || jr_size(j) != before || jr_last_seq(j) != 3)
			_exit(13);
		recs[1] = mk_rec("big", 2);
		saved = stderr_to("/dev/null");
		rc = jr_append_many(j, recs, 2);
		stderr_back(saved);
		if (rc != -EFBIG || file_size(path) != before)
			_exit(14);
		/* Room again: the chain continues where it was. */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(16);
		if (jr_append_many(j, recs, 2) || jr_last_seq(j) != 5)
			_exit(15);
		jr_close(j);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("child failed at step %d (status %#x)", WEXITSTATUS(st), st);
	{
		struct jr_scan res;

		assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
		assert_int_equal(res.status, JR_OK);
		assert_int_equal(res.records, 5);
	}
}

static int stop_at_3(uint64_t seq, json_t *rec, void *arg)
{
	(void)rec;
	(*(int *)arg)++;
	return seq == 3 ? 7 : 0;
}

static void test_scan_stop_and_empty(void **state)
{
	struct jr_scan res;
	int calls = 0;

	(void)state;
	new_path();
	append_n(path, 0, 5, NULL);
	assert_int_equal(jr_scan(path, stop_at_3, &calls, &res), 7);
	assert_int_equal(calls, 3);
	assert_int_equal(res.records, 3);
	assert_int_equal(res.last_seq, 3);
	/* An empty journal is a sound one. */
	new_path();
	spit(path, "", 0);
	assert_int_equal(jr_scan(path, NULL, NULL, &res), 0);
	assert_int_equal(res.status, JR_OK);
	assert_int_equal(res.records, 0);
	assert_string_equal(jr_status_name(JR_TORN_TAIL), "torn_tail");
	assert_string_equal(jr_status_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_scan),
		cmocka_unit_test(test_payload_form),
		cmocka_unit_test(test_reopen_continues),
		cmocka_unit_test(test_torn_tail_every_offset),
		cmocka_unit_test(test_repair_record),
		cmocka_unit_test(test_flip_every_byte_middle),
		cmocka_unit_test(test_middle_damage_kept),
		cmocka_unit_test(test_damage_never_reuses_seq),
		cmocka_unit_test(test_flip_first_and_last),
		cmocka_unit_test(test_delete_middle),
		cmocka_unit_test(test_swap_frames),
		cmocka_unit_test(test_forged_frame_breaks_chain),
		cmocka_unit_test(test_huge_length),
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_two_handles),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_jr_event),
		cmocka_unit_test(test_ts_parse),
		cmocka_unit_test(test_hostile_paths),
		cmocka_unit_test(test_write_failure),
		cmocka_unit_test(test_scan_stop_and_empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
