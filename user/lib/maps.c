// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pinned maps: opening them with an ABI check, the writers' lock and
 * their mmap of the IPv4 summaries, removing the pins, and the per-reason
 * counters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"

/*
 * Every pinned map: where its fd goes in struct ew_maps and the sizes this
 * build expects. The sizes repeat what the ABI version already promises;
 * checking them as well costs one syscall per map and catches a pin dir
 * holding something else under our names.
 */
static const struct {
	const char *name;
	size_t off;
	__u32 type, key_size, value_size;
} ew_map_tab[] = {
	{ EW_MAP_INFO, offsetof(struct ew_maps, info), BPF_MAP_TYPE_ARRAY, 4,
	  sizeof(struct ew_info) },
	{ EW_MAP_STATS, offsetof(struct ew_maps, stats), BPF_MAP_TYPE_PERCPU_ARRAY, 4,
	  sizeof(struct ew_counter) },
	{ EW_MAP_EVENTS, offsetof(struct ew_maps, events), BPF_MAP_TYPE_RINGBUF, 0, 0 },
	{ EW_MAP_EVCAP, offsetof(struct ew_maps, ev_cap), BPF_MAP_TYPE_ARRAY, 4,
	  sizeof(struct ew_ev_cap) },
	{ EW_MAP_BL4, offsetof(struct ew_maps, bl4), BPF_MAP_TYPE_HASH,
	  sizeof(struct ew_bl4_key), sizeof(struct ew_block) },
	{ EW_MAP_BL4_M16, offsetof(struct ew_maps, bl4_m16), BPF_MAP_TYPE_ARRAY, 4, 4 },
	{ EW_MAP_BL4_M24, offsetof(struct ew_maps, bl4_m24), BPF_MAP_TYPE_ARRAY, 4, 8 },
	{ EW_MAP_BL6, offsetof(struct ew_maps, bl6), BPF_MAP_TYPE_HASH,
	  sizeof(struct ew_bl6_key), sizeof(struct ew_block) },
	{ EW_MAP_BL6_M32, offsetof(struct ew_maps, bl6_m32), BPF_MAP_TYPE_HASH, 4,
	  sizeof(struct ew_bl6_mask) },
	{ EW_MAP_BL6_SHORT, offsetof(struct ew_maps, bl6_short), BPF_MAP_TYPE_ARRAY, 4, 4 },
	{ EW_MAP_REASONS, offsetof(struct ew_maps, reasons), BPF_MAP_TYPE_HASH, 4,
	  sizeof(struct ew_reason_text) },
	{ EW_MAP_POLICY, offsetof(struct ew_maps, policy), BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4 },
	{ EW_MAP_LPM4, offsetof(struct ew_maps, lpm4), BPF_MAP_TYPE_LPM_TRIE,
	  sizeof(struct ew_lpm4_key), 1 },
	{ EW_MAP_LPM6, offsetof(struct ew_maps, lpm6), BPF_MAP_TYPE_LPM_TRIE,
	  sizeof(struct ew_lpm6_key), 1 },
	{ EW_MAP_RL_STATE, offsetof(struct ew_maps, rl_state), BPF_MAP_TYPE_LRU_HASH,
	  sizeof(struct ew_rl_key), sizeof(struct ew_rl_state) },
};

#define EW_NMAPS (sizeof(ew_map_tab) / sizeof(ew_map_tab[0]))

static int *map_fd(struct ew_maps *m, size_t i)
{
	return (int *)((char *)m + ew_map_tab[i].off);
}

static void maps_reset(struct ew_maps *m, const char *pin_dir)
{
	for (size_t i = 0; i < EW_NMAPS; i++)
		*map_fd(m, i) = -1;
	m->lock = -1;
	m->bl4_m16_mm = NULL;
	m->bl4_m24_mm = NULL;
	m->pin_dir = pin_dir ? pin_dir : EW_PIN_DIR;
}

void ew_maps_close(struct ew_maps *m)
{
	if (!m)
		return;
	if (m->bl4_m16_mm)
		munmap(m->bl4_m16_mm, EW_BL4_M16_MMAP_SIZE);
	if (m->bl4_m24_mm)
		munmap(m->bl4_m24_mm, EW_BL4_M24_MMAP_SIZE);
	m->bl4_m16_mm = m->bl4_m24_mm = NULL;
	for (size_t i = 0; i < EW_NMAPS; i++) {
		int *fd = map_fd(m, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	/* Closing the only fd of the open file description drops the flock. */
	if (m->lock >= 0)
		close(m->lock);
	m->lock = -1;
}

static void fix_hint(char *buf, size_t len, const char *dir)
{
	snprintf(buf, len,
		 "detach every interface (edgewardctl detach IFACE), rm -r %s, attach again "
		 "(drops all blocks)",
		 dir);
}

/*
 * The IPv4 summaries, mapped for writing: blocklist.c stores into them
 * directly (aligned stores, which the datapath reads whole). The kernel
 * maps the array's pages at mmap time, so nothing faults later.
 */
static int summaries_map(struct ew_maps *m, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t fd_off, mm_off, size;
		__u32 max_entries;
	} tab[] = {
		{ EW_MAP_BL4_M16, offsetof(struct ew_maps, bl4_m16),
		  offsetof(struct ew_maps, bl4_m16_mm), EW_BL4_M16_MMAP_SIZE, EW_BL4_M16_N },
		{ EW_MAP_BL4_M24, offsetof(struct ew_maps, bl4_m24),
		  offsetof(struct ew_maps, bl4_m24_mm), EW_BL4_M24_MMAP_SIZE, EW_BL4_M24_WORDS },
	};
	char hint[PATH_MAX + 128];

	fix_hint(hint, sizeof(hint), m->pin_dir);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		int fd = *(int *)((char *)m + tab[i].fd_off);
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		void *p;

		if (bpf_obj_get_info_by_fd(fd, &mi, &len) < 0) {
			int e = errno;

			snprintf(err, errlen, "ew_maps_open: %s/%s: %s", m->pin_dir, tab[i].name,
				 strerror(e));
			return -e;
		}
		/* The ABI version promises both; the mmap's size depends on them. */
		if (mi.max_entries != tab[i].max_entries || !(mi.map_flags & BPF_F_MMAPABLE)) {
			snprintf(err, errlen,
				 "ew_maps_open: %s/%s (max %u flags %#x) is from an incompatible "
				 "version: %s",
				 m->pin_dir, tab[i].name, mi.max_entries, mi.map_flags, hint);
			return -EPROTO;
		}
		p = mmap(NULL, tab[i].size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			int e = errno;

			snprintf(err, errlen, "ew_maps_open: mmap %s/%s: %s", m->pin_dir,
				 tab[i].name, strerror(e));
			return -e;
		}
		*(void **)((char *)m + tab[i].mm_off) = p;
	}
	return 0;
}

int ew_maps_unlock(struct ew_maps *m)
{
	if (m->lock < 0)
		return -EBADF;
	return flock(m->lock, LOCK_UN) ? -errno : 0;
}

int ew_maps_lock(struct ew_maps *m)
{
	if (m->lock < 0)
		return -EBADF;
	while (flock(m->lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int ew_maps_open(struct ew_maps *m, const char *pin_dir, bool write, char *err, size_t errlen)
{
	char path[PATH_MAX], hint[PATH_MAX + 128];
	struct ew_info info = {};
	__u32 zero = 0;
	int ret;

	maps_reset(m, pin_dir);
	fix_hint(hint, sizeof(hint), m->pin_dir);

	if (write) {
		m->lock = open(m->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (m->lock < 0) {
			ret = -errno;
			if (ret == -ENOENT)
				goto not_loaded;
			snprintf(err, errlen, "ew_maps_open: open %s: %s", m->pin_dir,
				 strerror(-ret));
			goto out;
		}
		/* Writers serialize here: read-modify-write of the summaries needs it. */
		while (flock(m->lock, LOCK_EX) < 0) {
			if (errno != EINTR) {
				ret = -errno;
				snprintf(err, errlen, "ew_maps_open: lock %s: %s", m->pin_dir,
					 strerror(-ret));
				goto out;
			}
		}
	}

	for (size_t i = 0; i < EW_NMAPS; i++) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		int fd;

		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, ew_map_tab[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			ret = -errno;
			if (ret == -ENOENT && i == 0)
				goto not_loaded;
			if (ret == -ENOENT)
				snprintf(err, errlen,
					 "ew_maps_open: %s missing from %s (incompatible "
					 "version or half removed): %s",
					 ew_map_tab[i].name, m->pin_dir, hint);
			else
				snprintf(err, errlen, "ew_maps_open: %s: %s", path, strerror(-ret));
			goto out;
		}
		*map_fd(m, i) = fd;
		if (bpf_obj_get_info_by_fd(fd, &mi, &len) < 0) {
			ret = -errno;
			snprintf(err, errlen, "ew_maps_open: %s: %s", path, strerror(-ret));
			goto out;
		}
		if (mi.type != ew_map_tab[i].type || mi.key_size != ew_map_tab[i].key_size ||
		    (ew_map_tab[i].value_size && mi.value_size != ew_map_tab[i].value_size)) {
			ret = -EPROTO;
			snprintf(err, errlen,
				 "ew_maps_open: %s (type %u key %u value %u) is from an "
				 "incompatible version: %s",
				 path, mi.type, mi.key_size, mi.value_size, hint);
			goto out;
		}
		if (i == 0) {
			if (bpf_map_lookup_elem(fd, &zero, &info) < 0) {
				ret = -errno;
				snprintf(err, errlen, "ew_maps_open: read %s: %s", path,
					 strerror(-ret));
				goto out;
			}
			/* 0: the loader has not finished its first load (or never will). */
			if (info.abi_version == 0)
				goto not_loaded;
			if (info.abi_version != EW_ABI_VERSION) {
				ret = -EPROTO;
				snprintf(err, errlen,
					 "ew_maps_open: pinned maps in %s have ABI version "
					 "%u, not %u (incompatible version): %s",
					 m->pin_dir, info.abi_version, EW_ABI_VERSION, hint);
				goto out;
			}
		}
	}
	if (write) {
		ret = summaries_map(m, err, errlen);
		if (ret)
			goto out;
	}
	return 0;

not_loaded:
	ret = -ENOENT;
	snprintf(err, errlen,
		 "edgeward is not loaded (no pinned maps in %s): run edgewardctl attach IFACE "
		 "first",
		 m->pin_dir);
out:
	ew_maps_close(m);
	return ret;
}

int ew_unpin_all(const char *pin_dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!pin_dir)
		pin_dir = EW_PIN_DIR;
	d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* Everything in the pin dir is ours: maps, the program, stale temporary pins. */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		if (unlink(path) < 0 && errno != ENOENT && !ret)
			ret = -errno;
	}
	closedir(d);
	if (rmdir(pin_dir) < 0 && errno != ENOENT && !ret)
		ret = -errno;
	return ret;
}

uint64_t ew_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- fill levels ---- */

#define COUNT_CHUNK 4096

/* Entries of a map by walking its keys: one syscall per entry. */
static int key_walk(int fd, __u32 key_size, size_t *n)
{
	unsigned char *k = calloc(2, key_size ? key_size : 1);
	void *prev = NULL, *next = k;
	size_t cnt = 0;
	int ret = 0;

	if (!k)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		cnt++;
		prev = next;
		next = next == k ? k + key_size : k;
	}
	if (errno != ENOENT)
		ret = -errno;
	free(k);
	*n = cnt;
	return ret;
}

/*
 * Entries of a map (not a per-CPU one): BPF_MAP_LOOKUP_BATCH, COUNT_CHUNK
 * entries a syscall, where the map type has it, else a key walk.
 */
static int map_count(int fd, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), tok_size;
	void *keys = NULL, *vals = NULL, *in = NULL, *out = NULL;
	size_t cnt = 0;
	bool first = true;
	int ret = 0;

	*n = 0;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len) < 0)
		return -errno;
	/* Hash maps take a bucket number as the batch token, the others a key. */
	tok_size = mi.key_size > 8 ? mi.key_size : 8;
	keys = calloc(COUNT_CHUNK, mi.key_size ? mi.key_size : 1);
	vals = calloc(COUNT_CHUNK, mi.value_size ? mi.value_size : 1);
	in = calloc(1, tok_size);
	out = calloc(1, tok_size);
	if (!keys || !vals || !in || !out) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 c = COUNT_CHUNK;
		int r = bpf_map_lookup_batch(fd, first ? NULL : in, out, keys, vals, &c, &opts);
		void *t;

		/* No batch ops for this type (the kernel's ENOTSUPP, 524), or none at all. */
		if (first && (r == -524 || r == -EOPNOTSUPP || r == -EINVAL)) {
			ret = key_walk(fd, mi.key_size, &cnt);
			break;
		}
		if (r < 0 && r != -ENOENT) {
			ret = r;
			break;
		}
		cnt += c;
		if (r < 0)	/* -ENOENT: that was the last batch */
			break;
		t = in;
		in = out;
		out = t;
		first = false;
	}
	if (!ret)
		*n = cnt;
out:
	free(keys);
	free(vals);
	free(in);
	free(out);
	return ret;
}

int ew_map_fill(struct ew_maps *m, struct ew_fill *f)
{
	int ret;

	memset(f, 0, sizeof(*f));
	ret = bl_count(m, &f->bl4, &f->bl6);
	if (!ret)
		ret = map_count(m->rl_state, &f->rl_state);
	if (!ret)
		ret = map_count(m->lpm4, &f->lpm4);
	if (!ret)
		ret = map_count(m->lpm6, &f->lpm6);
	return ret;
}

/* ---- counters ---- */

/*
 * A zeroed buffer for one per-CPU counter value: one 8-byte-aligned slot per
 * possible CPU. Returns NULL with *err set.
 */
static struct ew_counter *percpu_buf(int *ncpu, int *err)
{
	struct ew_counter *pc;

	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu <= 0) {
		*err = *ncpu < 0 ? *ncpu : -EINVAL;
		return NULL;
	}
	pc = calloc(*ncpu, sizeof(*pc));
	if (!pc)
		*err = -ENOMEM;
	return pc;
}

int stats_read(struct ew_maps *m, struct ew_counter out[EW_R_MAX])
{
	int ncpu, ret = 0;
	struct ew_counter *pc = percpu_buf(&ncpu, &ret);

	if (!pc)
		return ret;
	memset(out, 0, sizeof(*out) * EW_R_MAX);
	for (__u32 k = 0; k < EW_R_MAX; k++) {
		if (bpf_map_lookup_elem(m->stats, &k, pc) < 0) {
			ret = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++) {
			out[k].packets += pc[c].packets;
			out[k].bytes += pc[c].bytes;
		}
	}
	free(pc);
	return ret;
}

int stats_reset(struct ew_maps *m)
{
	int ncpu, ret = 0;
	struct ew_counter *pc = percpu_buf(&ncpu, &ret);

	if (!pc)
		return ret;
	/* Not atomic with the datapath: packets counted during the reset may be lost. */
	for (__u32 k = 0; k < EW_R_MAX; k++) {
		if (bpf_map_update_elem(m->stats, &k, pc, BPF_ANY) < 0) {
			ret = -errno;
			break;
		}
	}
	free(pc);
	return ret;
}
