// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit journal: framed, hash-chained, fdatasync'ed records in one
 * append-only file; the format and the record fields are in journal.h.
 *
 * Writers serialise on flock(LOCK_EX) of the file. Each keeps the chain's
 * head (last seq, last hash, end offset) from its previous append; when the
 * file has grown since, another process appended, and the new frames are
 * read to move the head before writing. Readers take LOCK_SH only long
 * enough to read the size: a writer releases its lock only at a frame
 * boundary, so the size seen under the lock never splits a frame that is
 * being written.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fileio.h"
#include "journal.h"
#include "log.h"

struct jr {
	int fd;
	char *path;
	uint64_t seq;			/* seq of the last frame, 0 when empty */
	unsigned char head[JR_HASH_LEN];	/* its hash: the next frame's prev */
	off_t end;			/* where it ends: where the next frame goes */
};

/* The position of the chain after some frames. */
struct chain {
	uint64_t seq;
	unsigned char head[JR_HASH_LEN];
	off_t end;
	uint64_t records;
	uint64_t max_seq;	/* resync only: the highest seq seen */
	uint64_t limit;		/* scan_chain stops after this many records (0: none) */
};

/* ---- reading ---- */

/*
 * A window over the file, so scans read in large blocks. It holds at least
 * one whole frame of the largest size, so a frame is always contiguous in
 * memory. size is the file's size when the scan started: later appends are
 * not read.
 */
#define RD_CAP (2 * (JR_MAX_PAYLOAD + JR_FRAME_EXTRA))

struct rd {
	int fd;
	off_t size;
	unsigned char *buf;
	off_t boff;
	size_t blen;
	int err;	/* -errno of a failed read */
};

static int rd_init(struct rd *r, int fd, off_t size)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->size = size;
	r->buf = malloc(RD_CAP);
	return r->buf ? 0 : -ENOMEM;
}

static void rd_free(struct rd *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* n bytes at off, or NULL: past the end of the scan (or the file shrank), or r->err set. */
static const unsigned char *rd_get(struct rd *r, off_t off, size_t n)
{
	size_t want, got = 0;

	if (off < 0 || off > r->size || n > (uint64_t)(r->size - off) || n > RD_CAP)
		return NULL;
	if (off >= r->boff && (uint64_t)(off - r->boff) + n <= r->blen)
		return r->buf + (off - r->boff);
	want = (uint64_t)(r->size - off) < RD_CAP ? (size_t)(r->size - off) : RD_CAP;
	while (got < want) {
		ssize_t k = pread(r->fd, r->buf + got, want - got, off + (off_t)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r->err = -errno;
			r->blen = 0;
			return NULL;
		}
		if (k == 0)
			break;	/* truncated under us: what is gone reads as torn */
		got += (size_t)k;
	}
	r->boff = off;
	r->blen = got;
	return got >= n ? r->buf : NULL;
}

static uint32_t get_le32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static int frame_hash(const unsigned char *frame, size_t hashed, unsigned char *out)
{
	unsigned int n = 0;

	if (!EVP_Digest(frame, hashed, out, &n, EVP_sha256(), NULL) || n != JR_HASH_LEN)
		return -EIO;
	return 0;
}

/* A frame as found in the file; the pointers are into the reader's window. */
struct frame {
	uint32_t len;
	uint64_t seq;
	const unsigned char *prev, *payload, *hash;
	size_t size;
};

/*
 * Whether a self-consistent frame (magic, length, hash) starts at off:
 * 0 with *f filled, JR_TORN_TAIL when it does not fit in the file,
 * JR_BAD_FRAME, JR_BAD_HASH, or -errno when reading failed.
 */
static int frame_at(struct rd *r, off_t off, struct frame *f, char *why, size_t whylen)
{
	unsigned char md[JR_HASH_LEN];
	const unsigned char *p;
	int rc;

	p = rd_get(r, off, JR_HDR_LEN);
	if (!p) {
		if (r->err)
			return r->err;
		snprintf(why, whylen, "%lld bytes, less than a frame header",
			 (long long)(r->size - off));
		return JR_TORN_TAIL;
	}
	if (memcmp(p, JR_MAGIC, 4)) {
		snprintf(why, whylen, "bad magic %02x%02x%02x%02x", p[0], p[1], p[2], p[3]);
		return JR_BAD_FRAME;
	}
	f->len = get_le32(p + 4);
	if (f->len == 0 || f->len > JR_MAX_PAYLOAD) {
		snprintf(why, whylen, "payload length %u outside 1..%u", f->len, JR_MAX_PAYLOAD);
		return JR_BAD_FRAME;
	}
	f->size = (size_t)f->len + JR_FRAME_EXTRA;
	p = rd_get(r, off, f->size);
	if (!p) {
		if (r->err)
			return r->err;
		snprintf(why, whylen, "frame of %zu bytes, %lld left in the file", f->size,
			 (long long)(r->size - off));
		return JR_TORN_TAIL;
	}
	f->seq = get_le64(p + 8);
	f->prev = p + 16;
	f->payload = p + JR_HDR_LEN;
	f->hash = p + JR_HDR_LEN + f->len;
	rc = frame_hash(p, JR_HDR_LEN + f->len, md);
	if (rc)
		return rc;
	if (memcmp(md, f->hash, JR_HASH_LEN)) {
		snprintf(why, whylen, "hash does not match the frame's bytes");
		return JR_BAD_HASH;
	}
	return 0;
}

/* The next offset >= from where the magic starts, or -1. */
static off_t find_magic(struct rd *r, off_t from)
{
	while (from + 4 <= r->size) {
		size_t n = (uint64_t)(r->size - from) < RD_CAP ? (size_t)(r->size - from) : RD_CAP;
		const unsigned char *p = rd_get(r, from, n), *m;

		if (!p)
			return -1;
		m = memmem(p, n, JR_MAGIC, 4);
		if (m)
			return from + (m - p);
		from += (off_t)n - 3;	/* a magic may straddle two windows */
	}
	return -1;
}

/*
 * Every self-consistent frame from off on, whatever its seq and prev: how
 * many, and the last one in *last. Used after damage, to tell a torn tail
 * (none) from damage in the middle, and to find where appends continue.
 */
static int resync(struct rd *r, off_t off, struct chain *last, uint64_t *count)
{
	char why[128];
	struct frame f;
	int rc;

	*count = 0;
	while (off >= 0 && off + JR_FRAME_EXTRA <= r->size) {
		rc = frame_at(r, off, &f, why, sizeof(why));
		if (rc < 0)
			return rc;
		if (rc == 0) {
			(*count)++;
			last->seq = f.seq;
			if (f.seq > last->max_seq)
				last->max_seq = f.seq;
			memcpy(last->head, f.hash, JR_HASH_LEN);
			last->end = off + (off_t)f.size;
			last->records++;
			off += (off_t)f.size;
			continue;
		}
		off = find_magic(r, off + 1);
	}
	return 0;
}

/* The payload as a record: a JSON object whose "seq" is the frame's. */
static json_t *payload_parse(const struct frame *f, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *rec, *s;

	rec = json_loadb((const char *)f->payload, f->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec) {
		snprintf(why, whylen, "payload is not JSON: %.90s", jerr.text);
		return NULL;
	}
	s = json_object_get(rec, "seq");
	if (!json_is_object(rec) || !json_is_integer(s) ||
	    (uint64_t)json_integer_value(s) != f->seq) {
		snprintf(why, whylen, "payload is not a record of seq %llu",
			 (unsigned long long)f->seq);
		json_decref(rec);
		return NULL;
	}
	return rec;
}

/* Whether the file starts with the magic, or with the part of it that a crash left. */
static bool magic_prefix(struct rd *r)
{
	size_t n = r->size < 4 ? (size_t)r->size : 4;
	const unsigned char *p = rd_get(r, 0, n);

	return p && !memcmp(p, JR_MAGIC, n);
}

/*
 * Check the frames from c's position on, strictly (each one's seq and prev
 * following the one before), calling cb for each; stop at the first problem
 * and describe it in res. c is where the chain stands after the last valid
 * frame. Without parse the payloads are not decoded (writers only need the
 * chain's head, and a start-up over a long journal is then bound by SHA-256,
 * not by JSON); cb is then not called. Returns 0, cb's nonzero value, or
 * -errno.
 */
static int scan_chain(struct rd *r, struct chain *c, bool parse, jr_cb cb, void *arg,
		      struct jr_scan *res)
{
	struct frame f;
	struct chain later;
	uint64_t n;
	off_t from;
	int rc;

	res->status = JR_OK;
	res->why[0] = '\0';
	for (;;) {
		off_t off = c->end;
		json_t *rec;

		res->records = c->records;
		res->last_seq = c->seq;
		res->valid_bytes = c->end;
		if (off == r->size || (c->limit && c->records >= c->limit))
			return 0;
		rc = frame_at(r, off, &f, res->why, sizeof(res->why));
		if (rc < 0)
			return rc;
		from = off + 1;
		if (rc == 0) {
			from = off;	/* the frame itself is sound; its place is not */
			if (f.seq != c->seq + 1) {
				rc = JR_BAD_SEQ;
				snprintf(res->why, sizeof(res->why), "seq %llu where %llu was due",
					 (unsigned long long)f.seq,
					 (unsigned long long)(c->seq + 1));
			} else if (memcmp(f.prev, c->head, JR_HASH_LEN)) {
				rc = JR_BAD_CHAIN;
				snprintf(res->why, sizeof(res->why),
					 "prev is not the hash of the frame before");
			}
		}
		rec = NULL;
		if (rc == 0 && parse) {
			rec = payload_parse(&f, res->why, sizeof(res->why));
			if (!rec)
				rc = JR_BAD_FRAME;
		}
		if (rc) {
			res->status = rc;
			res->bad_seq = c->seq + 1;
			res->bad_offset = off;
			memset(&later, 0, sizeof(later));
			rc = resync(r, from, &later, &n);
			if (rc < 0)
				return rc;
			res->later_frames = n;
			if (!n && off == 0 && !magic_prefix(r)) {
				/* Not even the start of a frame: some other file, not a crash. */
				res->status = JR_BAD_FRAME;
				snprintf(res->why, sizeof(res->why),
					 "not an edgeward journal (no %s frame at the start)",
					 JR_MAGIC);
			} else if (!n) {
				/* Nothing sound after it: what a crash mid-append leaves. */
				if (res->status != JR_TORN_TAIL) {
					char why[sizeof(res->why)];

					snprintf(why, sizeof(why), "%s", res->why);
					snprintf(res->why, sizeof(res->why), "last frame: %.100s",
						 why);
				}
				res->status = JR_TORN_TAIL;
			} else if (res->status == JR_TORN_TAIL) {
				/* A length that runs past sound frames is damage, not a crash. */
				res->status = JR_BAD_FRAME;
			}
			return 0;
		}
		c->seq = f.seq;
		memcpy(c->head, f.hash, JR_HASH_LEN);
		c->end = off + (off_t)f.size;
		c->records++;
		if (cb && rec) {
			rc = cb(f.seq, rec, arg);
			if (rc) {
				json_decref(rec);
				res->records = c->records;
				res->last_seq = c->seq;
				res->valid_bytes = c->end;
				return rc;
			}
		}
		json_decref(rec);
	}
}

/* Open for reading: a regular file, its size read under LOCK_SH (see the top). */
static int open_read(const char *path, int *fdp, off_t *size)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	while (flock(fd, LOCK_SH) && errno == EINTR)
		;
	rc = fstat(fd, &st) ? -errno : 0;
	flock(fd, LOCK_UN);
	if (rc)
		goto out;
	*fdp = fd;
	*size = st.st_size;
	return 0;
out:
	close(fd);
	return rc;
}

int jr_scan(const char *path, jr_cb cb, void *arg, struct jr_scan *res)
{
	struct chain c = { 0 };
	struct rd r = { .buf = NULL };
	off_t size = 0;
	int fd = -1, rc;

	memset(res, 0, sizeof(*res));
	rc = open_read(path, &fd, &size);
	if (rc)
		return rc;
	res->file_bytes = size;
	rc = rd_init(&r, fd, size);
	if (rc)
		goto out;
	rc = scan_chain(&r, &c, true, cb, arg, res);
out:
	rd_free(&r);
	close(fd);
	return rc;
}

int jr_read_from(const char *path, struct jr_pos *pos, size_t max_records, jr_cb cb, void *arg,
		 struct jr_scan *res)
{
	struct chain c = { .seq = pos->seq, .end = pos->offset, .limit = max_records };
	struct rd r = { .buf = NULL };
	off_t size = 0;
	int fd = -1, rc;

	memset(res, 0, sizeof(*res));
	if (pos->offset < 0)
		return -EINVAL;
	memcpy(c.head, pos->hash, JR_HASH_LEN);
	rc = open_read(path, &fd, &size);
	if (rc)
		return rc;
	res->file_bytes = size;
	res->last_seq = pos->seq;
	res->valid_bytes = pos->offset;
	if (pos->offset > size) {
		/* Shorter than what was read before: truncated or replaced. */
		res->status = JR_BAD_FRAME;
		res->bad_seq = pos->seq + 1;
		res->bad_offset = pos->offset;
		snprintf(res->why, sizeof(res->why),
			 "offset %lld is past the end of the file (%lld)", (long long)pos->offset,
			 (long long)size);
		goto out;
	}
	rc = rd_init(&r, fd, size);
	if (rc)
		goto out;
	rc = scan_chain(&r, &c, true, cb, arg, res);
	/* c moved over every frame handed to cb, whatever stopped the scan. */
	pos->offset = c.end;
	pos->seq = c.seq;
	memcpy(pos->hash, c.head, JR_HASH_LEN);
out:
	rd_free(&r);
	close(fd);
	return rc;
}

int jr_seek_frame(const char *path, off_t from, bool past, struct jr_pos *pos)
{
	struct rd r = { .buf = NULL };
	struct frame f;
	char why[128];
	off_t size = 0, off = from < 0 ? 0 : from;
	int fd = -1, rc;

	rc = open_read(path, &fd, &size);
	if (rc)
		return rc;
	rc = rd_init(&r, fd, size);
	if (rc)
		goto out;
	rc = -ENOENT;
	while (off >= 0 && off + JR_FRAME_EXTRA <= size) {
		int k = frame_at(&r, off, &f, why, sizeof(why));

		if (k < 0) {
			rc = k;
			break;
		}
		if (k == 0) {
			pos->offset = past ? off + (off_t)f.size : off;
			pos->seq = past ? f.seq : f.seq - 1;
			memcpy(pos->hash, past ? f.hash : f.prev, JR_HASH_LEN);
			rc = 0;
			break;
		}
		off = find_magic(&r, off + 1);
	}
out:
	rd_free(&r);
	close(fd);
	return rc;
}

int jr_pos_holds(const char *path, const struct jr_pos *pos)
{
	unsigned char h[JR_HASH_LEN];
	off_t size = 0;
	ssize_t n;
	int fd, rc;

	if (pos->offset == 0)
		return 1;
	if (pos->offset < JR_FRAME_EXTRA)
		return 0;
	rc = open_read(path, &fd, &size);
	if (rc)
		return rc;
	rc = 0;
	if (pos->offset <= size) {
		n = pread(fd, h, JR_HASH_LEN, pos->offset - JR_HASH_LEN);
		if (n < 0)
			rc = -errno;
		else
			rc = n == JR_HASH_LEN && !memcmp(h, pos->hash, JR_HASH_LEN);
	}
	close(fd);
	return rc;
}

const char *jr_status_name(int status)
{
	switch (status) {
	case JR_OK:
		return "ok";
	case JR_TORN_TAIL:
		return "torn_tail";
	case JR_BAD_HASH:
		return "bad_hash";
	case JR_BAD_CHAIN:
		return "bad_chain";
	case JR_BAD_SEQ:
		return "bad_seq";
	case JR_BAD_FRAME:
		return "bad_frame";
	}
	return "unknown";
}

/* ---- records ---- */

bool jr_uuid_valid(const char *s)
{
	int i;

	for (i = 0; i < JR_UUID_LEN; i++) {
		char ch = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-')
				return false;
		} else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			     (ch >= 'A' && ch <= 'F'))) {
			return false;
		}
	}
	return s[JR_UUID_LEN] == '\0';
}

static int uuid_v4(char out[JR_UUID_LEN + 1])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, JR_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return 0;
}

static int digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -EINVAL;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int expect(const char **p, char a, char b)
{
	if (**p != a && **p != b)
		return -EINVAL;
	(*p)++;
	return 0;
}

int jr_ts_parse(const char *s, int64_t *us)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, frac = 0, n, oh = 0, om = 0, sign = 0;
	const char *p = s;
	struct tm tm;
	time_t t;

	if (!s || digits(&p, 4, &y) || expect(&p, '-', '-') || digits(&p, 2, &mo) ||
	    expect(&p, '-', '-') || digits(&p, 2, &d) || expect(&p, 'T', 't') ||
	    digits(&p, 2, &h) || expect(&p, ':', ':') || digits(&p, 2, &mi) ||
	    expect(&p, ':', ':') || digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		p++;
		for (n = 0; *p >= '0' && *p <= '9'; n++, p++)
			if (n < 6)
				frac = frac * 10 + (*p - '0');
		if (!n)
			return -EINVAL;
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || expect(&p, ':', ':') || digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	t -= (time_t)sign * (oh * 3600 + om * 60);
	*us = (int64_t)t * 1000000 + frac;
	return 0;
}

static void ts_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

/* Untrusted text as a JSON string: bytes that are not UTF-8 or are DEL kept as \xNN. */
static json_t *jstr(const char *s)
{
	json_t *j;
	char *buf, *o;
	size_t i;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	buf = malloc(strlen(s) * 4 + 1);
	if (!buf)
		return NULL;
	for (o = buf, i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x80)
			*o++ = (char)ch;
		else
			o += sprintf(o, "\\x%02x", ch);
	}
	*o = '\0';
	j = json_string(buf);
	free(buf);
	return j;
}

json_t *jr_event(const char *type, const char *actor, const char *source, const char *resource,
		 const char *action, const char *result, int risk)
{
	json_t *o;
	int bad = 0;

	if (!type || risk < 0 || risk > 100)
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	bad |= json_object_set_new(o, "type", jstr(type));
	bad |= json_object_set_new(o, "actor", jstr(actor));
	bad |= json_object_set_new(o, "source", jstr(source));
	bad |= json_object_set_new(o, "resource", jstr(resource));
	bad |= json_object_set_new(o, "action", jstr(action));
	bad |= json_object_set_new(o, "result", jstr(result));
	bad |= json_object_set_new(o, "risk", json_integer(risk));
	bad |= json_object_set_new(o, "details", json_object());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool type_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return i > 0 && i <= 64;
}

/* Check rec's fields and give it an id and a time (not a seq: that waits for the lock). */
static int rec_prepare(json_t *rec)
{
	static const char *const text[] = { "actor", "source", "resource", "action", "result" };
	char buf[64];
	json_t *v;
	int64_t us;
	size_t i;

	if (!json_is_object(rec))
		return -EINVAL;
	v = json_object_get(rec, "type");
	if (!json_is_string(v) || !type_valid(json_string_value(v)))
		return -EINVAL;
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		v = json_object_get(rec, text[i]);
		if (v && !json_is_string(v) && !json_is_null(v))
			return -EINVAL;
	}
	v = json_object_get(rec, "risk");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100))
		return -EINVAL;
	v = json_object_get(rec, "details");
	if (v && !json_is_object(v))
		return -EINVAL;
	v = json_object_get(rec, "id");
	if (v) {
		if (!json_is_string(v) || !jr_uuid_valid(json_string_value(v)))
			return -EINVAL;
		/* One spelling per id, so the database's unique key sees duplicates. */
		memcpy(buf, json_string_value(v), JR_UUID_LEN + 1);
		for (i = 0; i < JR_UUID_LEN; i++)
			if (buf[i] >= 'A' && buf[i] <= 'F')
				buf[i] = (char)(buf[i] - 'A' + 'a');
	} else if (uuid_v4(buf)) {
		return -EIO;
	}
	if (json_object_set_new(rec, "id", json_string(buf)))
		return -ENOMEM;
	v = json_object_get(rec, "ts");
	if (v) {
		if (!json_is_string(v) || jr_ts_parse(json_string_value(v), &us))
			return -EINVAL;
	} else {
		ts_now(buf, sizeof(buf));
		if (json_object_set_new(rec, "ts", json_string(buf)))
			return -ENOMEM;
	}
	return 0;
}

/* ---- writing ---- */

/* A growing byte buffer for a batch of frames. */
struct wbuf {
	unsigned char *p;
	size_t len, cap;
};

static int wbuf_reserve(struct wbuf *b, size_t more)
{
	unsigned char *n;
	size_t cap;

	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	n = realloc(b->p, cap);
	if (!n)
		return -ENOMEM;
	b->p = n;
	b->cap = cap;
	return 0;
}

/* Frame rec as the frame after c's head, into b; c moves to it. */
static int frame_build(struct wbuf *b, struct chain *c, json_t *rec)
{
	unsigned char *f;
	uint32_t len32;
	uint64_t seq64;
	size_t len;
	char *js;
	int rc;

	if (c->seq == UINT64_MAX)
		return -EOVERFLOW;
	if (json_object_set_new(rec, "seq", json_integer((json_int_t)(c->seq + 1))))
		return -ENOMEM;
	js = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!js)
		return -ENOMEM;
	len = strlen(js);
	if (len > JR_MAX_PAYLOAD) {
		rc = -EMSGSIZE;
		goto out;
	}
	rc = wbuf_reserve(b, len + JR_FRAME_EXTRA);
	if (rc)
		goto out;
	f = b->p + b->len;
	len32 = htole32((uint32_t)len);
	seq64 = htole64(c->seq + 1);
	memcpy(f, JR_MAGIC, 4);
	memcpy(f + 4, &len32, 4);
	memcpy(f + 8, &seq64, 8);
	memcpy(f + 16, c->head, JR_HASH_LEN);
	memcpy(f + JR_HDR_LEN, js, len);
	rc = frame_hash(f, JR_HDR_LEN + len, f + JR_HDR_LEN + len);
	if (rc)
		goto out;
	memcpy(c->head, f + JR_HDR_LEN + len, JR_HASH_LEN);
	c->seq++;
	c->records++;
	b->len += len + JR_FRAME_EXTRA;
	c->end += (off_t)(len + JR_FRAME_EXTRA);
out:
	free(js);
	return rc;
}

/*
 * Write b at the head and sync it; on failure cut the file back to where
 * it was, so that a failed append leaves no partial frame behind.
 */
static int write_sync(struct jr *j, const struct wbuf *b)
{
	size_t done = 0;
	int rc = 0;

	while (done < b->len) {
		ssize_t k = pwrite(j->fd, b->p + done, b->len - done, j->end + (off_t)done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			break;
		}
		done += (size_t)k;
	}
	if (!rc && fdatasync(j->fd))
		rc = -errno;
	if (rc) {
		log_warnx("jr_append: %s: writing %zu bytes at offset %lld: %s", j->path, b->len,
			  (long long)j->end, strerror(-rc));
		if (ftruncate(j->fd, j->end) || fdatasync(j->fd))
			log_warn("jr_append: %s: cutting back to %lld bytes", j->path,
				 (long long)j->end);
	}
	return rc;
}

/* Frame and write records after the head; the caller holds the lock. */
static int append_locked(struct jr *j, json_t **recs, size_t n)
{
	struct chain c = { .seq = j->seq, .end = j->end };
	struct wbuf b = { 0 };
	size_t i;
	int rc = 0;

	memcpy(c.head, j->head, JR_HASH_LEN);
	for (i = 0; i < n && !rc; i++)
		rc = frame_build(&b, &c, recs[i]);
	if (!rc)
		rc = write_sync(j, &b);
	if (!rc) {
		j->seq = c.seq;
		memcpy(j->head, c.head, JR_HASH_LEN);
		j->end = c.end;
	}
	free(b.p);
	return rc;
}

static void lock_ex(int fd)
{
	/* flock fails only with EINTR here (EBADF, EINVAL, ENOLCK are bugs or exhaustion). */
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
}

/*
 * Read the whole file, find the chain's head and cut off a torn tail (the
 * lock is held). Damage in the middle is reported in err and kept; appends
 * go after the last sound frame.
 */
static int jr_recover(struct jr *j, char *err, size_t errlen)
{
	struct jr_scan res;
	struct chain c = { 0 }, later = { 0 };
	struct stat st;
	struct rd r = { .buf = NULL };
	uint64_t n;
	off_t dropped;
	int rc;

	if (fstat(j->fd, &st))
		return -errno;
	memset(&res, 0, sizeof(res));
	rc = rd_init(&r, j->fd, st.st_size);
	if (rc)
		goto out;
	rc = scan_chain(&r, &c, false, NULL, NULL, &res);
	if (rc)
		goto out;
	if (!c.records && !res.later_frames && st.st_size > 0 && !magic_prefix(&r)) {
		/* Some other file given by mistake: not ours to cut. */
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not an edgeward journal (no %s frame at the start)",
			 j->path, JR_MAGIC);
		goto out;
	}
	if (res.status != JR_OK && res.status != JR_TORN_TAIL) {
		snprintf(err, errlen,
			 "%s: %s at seq %llu (offset %lld): %s; %llu sound frames follow; "
			 "run 'edgewardctl audit verify'",
			 j->path, jr_status_name(res.status), (unsigned long long)res.bad_seq,
			 (long long)res.bad_offset, res.why, (unsigned long long)res.later_frames);
		log_warnx("jr_open: %s", err);
		later = c;
		later.max_seq = c.seq;
		rc = resync(&r, res.bad_offset, &later, &n);
		if (rc)
			goto out;
		/*
		 * Append after the last sound frame, chained to it, with a seq
		 * above every seq in the file, so damage never leads to a seq
		 * being used twice.
		 */
		c = later;
		c.seq = later.max_seq;
	}
	dropped = st.st_size - c.end;
	j->seq = c.seq;
	memcpy(j->head, c.head, JR_HASH_LEN);
	j->end = c.end;
	if (dropped > 0) {
		json_t *rec;

		if (res.status != JR_TORN_TAIL)
			snprintf(res.why, sizeof(res.why), "no sound frame after the last one");
		log_warnx("jr_open: %s: dropped %lld bytes of a torn last record at offset %lld "
			  "(seq %llu): %s",
			  j->path, (long long)dropped, (long long)c.end,
			  (unsigned long long)(c.seq + 1), res.why);
		if (ftruncate(j->fd, c.end) || fdatasync(j->fd)) {
			rc = -errno;
			snprintf(err, errlen, "%s: truncating a torn tail: %s", j->path,
				 strerror(-rc));
			goto out;
		}
		/* The repair is itself an event: verify and the database see it. */
		rec = jr_event("journal_repair", "edgeward", "local", j->path, "truncate",
			       "success", 0);
		if (rec) {
			json_t *d = json_object_get(rec, "details");

			json_object_set_new(d, "dropped_bytes", json_integer(dropped));
			json_object_set_new(d, "offset", json_integer(c.end));
			json_object_set_new(d, "why", json_string(res.why));
		}
		if (!rec || rec_prepare(rec) || append_locked(j, &rec, 1))
			log_warnx("jr_open: %s: could not record the repair", j->path);
		json_decref(rec);
	}
out:
	rd_free(&r);
	return rc;
}

/*
 * Move the head over frames other processes appended since our last
 * append; anything unexpected (a shrunk file, a frame that does not follow)
 * means a full recovery. The lock is held.
 */
static int jr_catch_up(struct jr *j)
{
	struct chain c = { .seq = j->seq, .end = j->end };
	struct jr_scan res;
	struct stat st;
	struct rd r;
	char err[256];
	int rc;

	if (fstat(j->fd, &st))
		return -errno;
	if (st.st_size == j->end)
		return 0;
	if (st.st_size > j->end) {
		memcpy(c.head, j->head, JR_HASH_LEN);
		memset(&res, 0, sizeof(res));
		rc = rd_init(&r, j->fd, st.st_size);
		if (rc)
			return rc;
		rc = scan_chain(&r, &c, false, NULL, NULL, &res);
		rd_free(&r);
		if (rc)
			return rc;
		if (res.status == JR_OK) {
			j->seq = c.seq;
			memcpy(j->head, c.head, JR_HASH_LEN);
			j->end = c.end;
			return 0;
		}
	}
	return jr_recover(j, err, sizeof(err));
}

int jr_open(const char *path, struct jr **out, char *err, size_t errlen)
{
	struct jr *j = NULL;
	bool created = false;
	struct stat st;
	int rc, fl;

	*out = NULL;
	err[0] = '\0';
	j = calloc(1, sizeof(*j));
	if (j)
		j->fd = -1;
	if (!j || !(j->path = strdup(path))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/*
	 * O_NOFOLLOW: a symlink planted at the journal's path must not redirect
	 * it. O_NONBLOCK: opening an existing FIFO must not hang (it is refused
	 * below).
	 */
	j->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (j->fd >= 0)
		created = true;
	else if (errno == EEXIST)
		j->fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (j->fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			snprintf(err, errlen, "%s: is a symlink; give the journal's real path",
				 path);
		else
			snprintf(err, errlen, "%s: %s%s", path, strerror(-rc),
				 rc == -ENOENT ? " (does its directory exist?)" : "");
		goto fail;
	}
	fl = fcntl(j->fd, F_GETFL);
	if (fl >= 0)
		fcntl(j->fd, F_SETFL, fl & ~O_NONBLOCK);
	if (fstat(j->fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = -EPERM;
		snprintf(err, errlen, "%s: writable by group or others (mode %04o); chmod 600 it",
			 path, (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	if (created)
		ew_sync_dir("jr_open", path);
	lock_ex(j->fd);
	rc = jr_recover(j, err, errlen);
	flock(j->fd, LOCK_UN);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s: reading: %s", path, strerror(-rc));
		goto fail;
	}
	*out = j;
	return 0;
fail:
	jr_close(j);
	return rc;
}

int jr_append_many(struct jr *j, json_t **recs, size_t n)
{
	size_t i;
	int rc;

	if (!j || (!recs && n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		rc = rec_prepare(recs[i]);
		if (rc)
			return rc;
	}
	if (!n)
		return 0;
	lock_ex(j->fd);
	rc = jr_catch_up(j);
	if (!rc)
		rc = append_locked(j, recs, n);
	flock(j->fd, LOCK_UN);
	return rc;
}

int jr_append(struct jr *j, json_t *rec, char id_out[JR_UUID_LEN + 1])
{
	int rc = jr_append_many(j, &rec, 1);

	if (!rc && id_out)
		snprintf(id_out, JR_UUID_LEN + 1, "%s",
			 json_string_value(json_object_get(rec, "id")));
	return rc;
}

void jr_close(struct jr *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j);
}

uint64_t jr_last_seq(const struct jr *j)
{
	return j->seq;
}

off_t jr_size(const struct jr *j)
{
	return j->end;
}
