/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The audit journal: an append-only local file of security events, written
 * by edgewardd (and by edgewardctl in emergency mode), read by
 * `edgewardctl audit`. A record is on disk (fdatasync'ed) before the action
 * it records is reported done, so a crash loses no reported event.
 *
 * File format. A sequence of frames, nothing else, no file header:
 *
 *   offset  size  field
 *        0     4  magic "EWJ1" (the bytes 'E' 'W' 'J' '1')
 *        4     4  len: payload length in bytes, little endian, 1..JR_MAX_PAYLOAD
 *        8     8  seq: 1 for the first frame, +1 for each next one, little endian
 *       16    32  prev: the hash of the previous frame; zeros in frame 1
 *       48   len  payload: one JSON object, compact, keys sorted, UTF-8
 *   48+len    32  hash: SHA-256 of bytes 0 .. 48+len-1 (magic, len, seq, prev, payload)
 *
 * Each frame's prev is the previous frame's hash, so the frames form a hash
 * chain: a changed byte breaks that frame's hash, a removed, inserted or
 * reordered frame breaks the sequence or the chain. The chain has no key:
 * it detects accidents and edits made without rewriting everything after
 * them, not a writer who recomputes the whole chain, and it cannot tell a
 * journal from one whose last frames were cut off cleanly (ship the records
 * elsewhere, e.g. PostgreSQL, for that).
 *
 * A frame is "torn" when the bytes from it to the end of the file hold no
 * self-consistent frame (magic, length and hash right): a crash during an
 * append. jr_open truncates a torn tail, logs how many bytes went and
 * appends a "journal_repair" record saying so. Damage followed by valid
 * frames is never truncated: it stays for `edgewardctl audit verify` to show,
 * and appends continue after the last valid frame.
 *
 * Record fields (payload keys), shared by every writer and reader:
 *   id        UUID (lowercase text), unique per event; the key that makes the
 *             copy into PostgreSQL idempotent
 *   ts        RFC 3339 UTC time with microseconds, "2025-01-02T03:04:05.123456Z"
 *   seq       the frame's seq (set by the journal)
 *   type      event type: "login_success", "failed_login", "mfa_failure",
 *             "mfa_success", "admin_action", "map_change", "config_reload",
 *             "block", "logout", "token_revoked", "emergency_direct",
 *             "journal_repair", ...
 *   actor     user name, "root" or "uid:N" for local commands, or null
 *   source    the client's IP address as text, "unix" (local socket),
 *             "local" (same host), or null
 *   resource  what was acted on ("blocklist", "203.0.113.7/32", ...), or null
 *   action    what was done ("add", "login", ...), or null
 *   result    "success", "failure", "blocked" or "denied"
 *   risk      the guide's risk score, 0..100 (see risk.h)
 *   details   an object: why, before, after, and anything else
 *
 * A struct jr is not thread-safe, and must not be shared across fork():
 * open the journal in each process (flock locks belong to the open file).
 * Several processes appending to one file is safe.
 */
#ifndef EW_JOURNAL_H
#define EW_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JR_MAGIC	 "EWJ1"
#define JR_HDR_LEN	 48
#define JR_HASH_LEN	 32
#define JR_FRAME_EXTRA	 (JR_HDR_LEN + JR_HASH_LEN)	/* a frame's size is len + 80 */
#define JR_MAX_PAYLOAD	 (1U << 20)			/* 1 MiB */
#define JR_UUID_LEN	 36
#define JR_DEFAULT_PATH	 "/var/lib/edgeward/journal"

struct jr;

/*
 * Open path for appending: created with mode 0600 if missing. A symlink, a
 * file that is not regular and a file writable by group or others are
 * refused, and so is a non-empty file that does not start like a journal
 * (a wrong path must not be "repaired" to nothing). The file is read to its
 * end to find the chain's head, checking frames and chain but not decoding
 * payloads (jr_scan does); a torn tail is truncated (see above). Damage in
 * the middle does not fail the open: *out is set, 0 is returned, and err
 * holds the problem (it is also logged); appends then continue after the
 * last sound frame with a seq above any in the file. Otherwise err is "" on
 * success. Returns 0 or -errno (err says why).
 */
int jr_open(const char *path, struct jr **out, char *err, size_t errlen);
/*
 * Append one record and fdatasync it. rec must be an object with a string
 * "type". The journal sets "seq", sets "id" (a random UUID v4) unless rec
 * has one, and "ts" (now) unless rec has one; a given id must be a UUID
 * (normalised to lowercase), a given ts an RFC 3339 time; "actor",
 * "source", "resource", "action", "result" must be strings or null and
 * "risk" an integer in 0..100 when present. rec keeps the fields set.
 * id_out (may be NULL) receives the id. Returns 0, -EINVAL (bad record),
 * -EMSGSIZE (payload over JR_MAX_PAYLOAD), -EOVERFLOW (seq exhausted) or the
 * -errno of the write or the sync (ENOSPC, EIO, EFBIG, ...), in which case
 * the file is cut back to what it was.
 */
int jr_append(struct jr *j, json_t *rec, char id_out[JR_UUID_LEN + 1]);
/* n records in one write and one fdatasync: all or none. */
int jr_append_many(struct jr *j, json_t **recs, size_t n);
void jr_close(struct jr *j);
uint64_t jr_last_seq(const struct jr *j);
off_t jr_size(const struct jr *j);

/*
 * A new event object with every common field: NULL strings become null,
 * bytes that are not UTF-8 are kept as \xNN text (user names from failed
 * logins are untrusted); details = {}. NULL if type is NULL, risk is out of
 * 0..100 or memory runs out.
 */
json_t *jr_event(const char *type, const char *actor, const char *source, const char *resource,
		 const char *action, const char *result, int risk);

enum jr_status {
	JR_OK = 0,
	JR_TORN_TAIL,	/* the end holds a partial or damaged frame and nothing valid after it */
	JR_BAD_HASH,	/* a complete frame whose hash does not match its bytes */
	JR_BAD_CHAIN,	/* a frame whose prev is not the previous frame's hash */
	JR_BAD_SEQ,	/* a frame whose seq is not the previous one + 1 */
	JR_BAD_FRAME,	/* bad magic, length over the cap or past the end, payload not a record */
};

struct jr_scan {
	uint64_t records;	/* valid frames before the problem (or in all) */
	uint64_t last_seq;	/* seq of the last valid frame, 0 if none */
	off_t valid_bytes;	/* where the valid frames end */
	off_t file_bytes;	/* the file's size when the scan started */
	int status;		/* enum jr_status */
	uint64_t bad_seq;	/* the seq expected where the problem is (last_seq + 1) */
	off_t bad_offset;	/* the offset of the frame with the problem */
	uint64_t later_frames;	/* self-consistent frames after the problem (not torn) */
	char why[128];		/* the problem in words, "" if none */
};

/* Return nonzero to stop the scan. rec is borrowed: incref it to keep it. */
typedef int (*jr_cb)(uint64_t seq, json_t *rec, void *arg);

/*
 * Read path's frames in order, checking each, and call cb (may be NULL)
 * for every valid one. Stops at the first invalid frame and describes it in
 * *res. Reads what was in the file when it started: frames appended later
 * are not seen. Returns 0 (the whole file was examined; res->status says
 * what was found), the callback's nonzero value (res covers the frames seen
 * so far), or -errno if the file cannot be read.
 */
int jr_scan(const char *path, jr_cb cb, void *arg, struct jr_scan *res);
/*
 * Where an incremental reader stands: just after one frame, known by its
 * seq and hash, so that the next frame can be checked against the chain
 * without reading anything before it. All zeros is the start of the file.
 * A reader that saves this (e.g. the PostgreSQL shipper's state file)
 * resumes with nothing else.
 */
struct jr_pos {
	off_t offset;				/* where the next frame starts */
	uint64_t seq;				/* seq of the frame ending there, 0 at the start */
	unsigned char hash[JR_HASH_LEN];	/* its hash (the next prev), 0 at the start */
};

/*
 * Read on from *pos: check up to max_records frames (0: no limit) that
 * follow it, the first with seq pos->seq + 1 and prev pos->hash, decode
 * them and call cb (may be NULL) for each, as jr_scan does. *pos moves past
 * every frame read, including one whose callback stopped the read. res
 * describes this call only: records counts its frames, file_bytes is the
 * file's size, and a problem is at res->bad_offset; when that equals the
 * offset passed in, the file does not continue the chain at *pos (the
 * journal was replaced or rewritten, or damaged right there: jr_pos_holds
 * tells which). A *pos past the end of the file is JR_BAD_FRAME at *pos
 * with file_bytes below it.
 * Returns 0, cb's nonzero value, -EINVAL (a negative offset), or -errno if
 * the file cannot be read (*pos is then past the frames read before).
 */
int jr_read_from(const char *path, struct jr_pos *pos, size_t max_records, jr_cb cb, void *arg,
		 struct jr_scan *res);
/*
 * The first self-consistent frame (magic, length, hash right; its seq and
 * prev unchecked) at or after offset from, as a position for jr_read_from:
 * just before it (pos->offset the frame's, pos->seq one below its seq,
 * pos->hash its prev), or with past, just after it (its end, seq and hash:
 * to step over a sound frame whose payload is not a record). For reading
 * on past damage. Returns 0, -ENOENT (no such frame), or -errno.
 */
int jr_seek_frame(const char *path, off_t from, bool past, struct jr_pos *pos);
/*
 * Whether the frame that ended at pos is still in the file: the 32 bytes
 * before pos->offset are pos->hash (always true at offset 0). False means
 * the journal was replaced, truncated or rewritten since pos was taken;
 * true means a problem at pos is damage after it. 1, 0, or -errno.
 */
int jr_pos_holds(const char *path, const struct jr_pos *pos);

/* "ok", "torn_tail", "bad_hash", "bad_chain", "bad_seq", "bad_frame". */
const char *jr_status_name(int status);

/*
 * RFC 3339 time ("2025-01-02T03:04:05Z", "...05.123456+02:00") to
 * microseconds since the epoch. 0 or -EINVAL.
 */
int jr_ts_parse(const char *s, int64_t *us);
/* A lowercase or uppercase UUID in the 8-4-4-4-12 form. */
bool jr_uuid_valid(const char *s);

#endif
