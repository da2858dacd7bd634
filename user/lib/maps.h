/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The only code that touches bpf_map_* and attaches programs: loading the
 * XDP object with its maps pinned under EW_PIN_DIR, attaching it through
 * netlink, and the operations on the blocklist, the policy and the counters.
 * All functions return 0 or a negative errno and log nothing; the caller
 * reports (err, when given, holds a one-line reason).
 */
#ifndef EW_MAPS_H
#define EW_MAPS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeward/abi.h"
#include "edgeward/blocklist.h"
#include "edgeward/policy.h"
#include "parse.h"
#include "policy_doc.h"

struct ew_maps {
	int stats, events, ev_cap, info;
	int bl4, bl4_m16, bl4_m24, bl6, bl6_m32, bl6_short, reasons;
	int policy, lpm4, lpm6, rl_state;
	int lock;		/* flock'd pin directory, writers only; -1 otherwise */
	/*
	 * Writers only (NULL otherwise): ew_bl4_m16 and ew_bl4_m24 mmap'ed
	 * read-write (EW_BL4_M16_MMAP_SIZE, EW_BL4_M24_MMAP_SIZE bytes), the way
	 * blocklist.c writes the IPv4 summaries.
	 */
	void *bl4_m16_mm, *bl4_m24_mm;
	const char *pin_dir;	/* EW_PIN_DIR unless overridden (tests) */
};

/* ---- loader (user/lib/loader.c) ---- */

/*
 * Load the XDP object and pin its program and maps under pin_dir (NULL =
 * EW_PIN_DIR, created 0700). Maps already pinned there are reused, so every
 * block survives an upgrade; a pinned program is replaced by the new one.
 * On first load an empty policy is installed. Returns the program fd.
 */
int ew_load(const char *pin_dir, char *err, size_t errlen);

enum ew_xdp_mode { EW_MODE_AUTO = 0, EW_MODE_NATIVE, EW_MODE_SKB };

/*
 * Attach the pinned program to ifname through netlink. A program already
 * attached in the same mode is swapped atomically (XDP_FLAGS_REPLACE).
 * EW_MODE_AUTO tries native and falls back to skb, setting *fell_back.
 */
int ew_attach(const char *pin_dir, const char *ifname, enum ew_xdp_mode mode, bool *fell_back,
	      char *err, size_t errlen);
/*
 * Remove the XDP program attached to ifname (drv and skb mode), whoever's it
 * is: callers check ew_attachments' `ours` first. -ENOENT when none.
 * ew_attach, in contrast, refuses (-EBUSY) to replace a program that is not
 * edgeward's (name EW_PROG_NAME).
 */
int ew_detach(const char *ifname, char *err, size_t errlen);

/*
 * ew_load, then give every interface that ran the previously pinned program
 * the new one (XDP_FLAGS_REPLACE, same mode, no window without a filter).
 * ew_load does the same swap; this also says how many interfaces were swapped.
 * Returns 0 or a negative errno (the new program stays pinned even when an
 * interface could not be swapped; err names it).
 */
int ew_upgrade(const char *pin_dir, int *n_swapped, char *err, size_t errlen);

struct ew_attachment {
	char ifname[16];
	int ifindex;
	enum ew_xdp_mode mode;
	__u32 prog_id;
	bool ours;		/* the attached program is the pinned edgeward program */
};
/* Interfaces with an XDP program attached (ours or not); *out malloc'd. */
int ew_attachments(const char *pin_dir, struct ew_attachment **out, size_t *n);

/* Id of the program pinned in pin_dir (NULL = EW_PIN_DIR); -ENOENT when none is. */
int ew_prog_id(const char *pin_dir, __u32 *id);
/* Name of the loaded program with this id; -ENOENT when there is none. */
int ew_prog_name(__u32 id, char *buf, size_t len);

/* ---- pinned maps ---- */

/* Open every pinned map and check the ABI. write takes an exclusive flock. */
int ew_maps_open(struct ew_maps *m, const char *pin_dir, bool write, char *err, size_t errlen);
void ew_maps_close(struct ew_maps *m);
/*
 * A long-lived writer (edgewardd) opens for writing once, then holds the
 * pin directory's flock only around each change, so that edgewardctl's
 * emergency mode can still write when the daemon hangs between changes.
 */
int ew_maps_unlock(struct ew_maps *m);
int ew_maps_lock(struct ew_maps *m);
/* Remove the pins (maps die with their last reference). */
int ew_unpin_all(const char *pin_dir);

/* CLOCK_BOOTTIME now, in ns: the clock the XDP program compares expiries to. */
uint64_t ew_boot_ns(void);

/* Entries in the maps that fill up (their limits: EW_BL4_MAX, EW_RL_STATE_MAX, ...). */
struct ew_fill {
	size_t bl4, bl6, rl_state, lpm4, lpm6;
};
/* Count them: batched lookups where the map type has them, a key walk for the tries. */
int ew_map_fill(struct ew_maps *m, struct ew_fill *f);

/* ---- blocklist (user/lib/blocklist.c) ---- */

struct ew_bl_entry {
	struct ew_cidr cidr;
	uint64_t expires_ns;	/* CLOCK_BOOTTIME ns, 0 = never */
	char reason[EW_REASON_TEXT_LEN];
	uint8_t origin;
};

/*
 * Add or replace one rule (the summaries follow; the hit counter restarts).
 * When the reason table (EW_REASONS_MAX texts) is full even after dropping
 * unused texts, the rule is added without its reason. bl_import does the
 * same, without the clean-up.
 */
int bl_add(struct ew_maps *m, const struct ew_bl_entry *e);
/* -ENOENT when absent. */
int bl_del(struct ew_maps *m, const struct ew_cidr *c);
int bl_get(struct ew_maps *m, const struct ew_cidr *c, struct ew_block *out, char *reason,
	   size_t reason_len);
typedef int (*bl_cb)(const struct ew_cidr *c, const struct ew_block *b, const char *reason,
		     void *ctx);
/* Every rule, IPv4 then IPv6; a non-zero return from cb stops the walk. */
int bl_foreach(struct ew_maps *m, bl_cb cb, void *ctx);
/*
 * Add many rules with batched map updates. progress, if set, is called
 * now and then with (done, total). Fails before changing anything when the
 * maps cannot hold them all. *n_new (n_new may be NULL) is set to how many
 * distinct rules did not exist before, on success; 0 on failure.
 */
int bl_import(struct ew_maps *m, const struct ew_bl_entry *e, size_t n,
	      void (*progress)(size_t done, size_t total, void *ctx), void *ctx, size_t *n_new);
/* Delete every rule of an origin (origin < 0: all), and expired ones if expired_only. */
int bl_flush(struct ew_maps *m, int origin, bool expired_only, size_t *removed);
/* Fill levels. */
int bl_count(struct ew_maps *m, size_t *n4, size_t *n6);

/* A blocklist rule as bl_foreach gives it. */
struct ew_bl_row {
	struct ew_cidr cidr;
	struct ew_block b;
	char reason[EW_REASON_TEXT_LEN];
};
/*
 * The rules of one origin (< 0: any), only the expired ones (expiry <= now)
 * if expired, in bl_foreach's order; *rows malloc'd. 0 or a negative errno.
 */
int bl_collect(struct ew_maps *m, int origin, bool expired, uint64_t now, struct ew_bl_row **rows,
	       size_t *n);

/* ---- policy (user/lib/policy_maps.c) ---- */

/* Read the live policy: *out's buffers are malloc'd (ew_compiled_free). */
int pol_read(struct ew_maps *m, struct ew_compiled *out);
/*
 * Commit a compiled policy all-or-nothing: new generation's CIDR entries,
 * then one swap of the policy, then removal of the old generation's entries.
 * On failure before the swap, the new entries are removed and the live
 * policy is unchanged.
 */
int pol_commit(struct ew_maps *m, struct ew_compiled *c, char *err, size_t errlen);

/* ---- counters ---- */

/* Counters summed over CPUs, indexed by enum ew_reason. */
int stats_read(struct ew_maps *m, struct ew_counter out[EW_R_MAX]);
int stats_reset(struct ew_maps *m);

#endif
