// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading the XDP object with every map pinned by name under the pin dir,
 * pinning the program, and attaching it through netlink (never a bpf_link:
 * a netlink attachment outlives the process that made it, so a crashed or
 * restarted controller leaves the filter in place).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "edgeward.skel.h"

#define BPFFS_ROOT "/sys/fs/bpf"

/* libbpf's chatter only with EDGEWARD_DEBUG set: our callers report errors themselves. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!getenv("EDGEWARD_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void libbpf_quiet(void)
{
	libbpf_set_print(libbpf_print);
}

static const char *pin_dir_of(const char *pin_dir)
{
	return pin_dir ? pin_dir : EW_PIN_DIR;
}

static void fix_hint(char *buf, size_t len, const char *dir)
{
	snprintf(buf, len,
		 "detach every interface (edgewardctl detach IFACE), rm -r %s, attach again "
		 "(drops all blocks)",
		 dir);
}

/* The bpf filesystem at /sys/fs/bpf (mounted if missing) and pin_dir on it, 0700. */
static int pin_dir_prepare(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	size_t len;

	if (statfs(BPFFS_ROOT, &sfs) < 0 || sfs.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700") < 0) {
			int e = errno;

			snprintf(err, errlen, "ew_load: mount bpffs on %s: %s", BPFFS_ROOT,
				 strerror(e));
			return -e;
		}
	}
	len = strlen(dir);
	if (len == 0 || len >= sizeof(path) - 1) {
		snprintf(err, errlen, "ew_load: bad pin directory");
		return -EINVAL;
	}
	memcpy(path, dir, len + 1);
	/* mkdir -p, each missing component 0700. */
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			int e = errno;

			snprintf(err, errlen, "ew_load: mkdir %s: %s", path, strerror(e));
			return -e;
		}
		*p = c;
		if (!c)
			break;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "ew_load: %s is not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "ew_load: %s is owned by uid %u, not by us: refusing it", dir,
			 (unsigned)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & 077) && chmod(dir, 0700) < 0) {
		int e = errno;

		snprintf(err, errlen, "ew_load: chmod %s: %s", dir, strerror(e));
		return -e;
	}
	if (statfs(dir, &sfs) < 0 || sfs.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen, "ew_load: %s is not on a bpf filesystem", dir);
		return -EINVAL;
	}
	return 0;
}

/* The id of a program fd, 0 on error. */
static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return 0;
	return info.id;
}

/* Name of a program by id ("" when unknown). */
static void prog_name_of(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	buf[0] = '\0';
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) == 0)
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

int ew_prog_id(const char *pin_dir, __u32 *id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, ret = 0;

	*id = 0;
	snprintf(path, sizeof(path), "%s/%s", pin_dir_of(pin_dir), EW_PROG_NAME);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		ret = -errno;
	else
		*id = info.id;
	close(fd);
	return ret;
}

int ew_prog_name(__u32 id, char *buf, size_t len)
{
	if (!len)
		return -EINVAL;
	prog_name_of(id, buf, len);
	return buf[0] ? 0 : -ENOENT;
}

static bool prog_is_edgeward(__u32 id)
{
	char name[BPF_OBJ_NAME_LEN];

	prog_name_of(id, name, sizeof(name));
	return !strcmp(name, EW_PROG_NAME);
}

/*
 * libbpf refuses a pinned map whose type, sizes or flags differ, with a bare
 * EINVAL. Check first, so that the operator learns which map and what to do.
 * The ABI version in ew_info catches layout changes that keep the sizes.
 */
static int check_pinned_compat(struct edgeward *skel, const char *dir, char *err, size_t errlen)
{
	char hint[PATH_MAX + 128];
	struct bpf_map *map;

	fix_hint(hint, sizeof(hint), dir);
	bpf_object__for_each_map(map, skel->obj) {
		const char *path = bpf_map__pin_path(map);
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		int fd;

		if (!path)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			int e = errno;

			snprintf(err, errlen, "ew_load: %s: %s", path, strerror(e));
			return -e;
		}
		if (bpf_obj_get_info_by_fd(fd, &mi, &len) < 0) {
			int e = errno;

			close(fd);
			snprintf(err, errlen, "ew_load: %s: %s", path, strerror(e));
			return -e;
		}
		if (mi.type != bpf_map__type(map) || mi.key_size != bpf_map__key_size(map) ||
		    mi.value_size != bpf_map__value_size(map) ||
		    mi.max_entries != bpf_map__max_entries(map) ||
		    mi.map_flags != bpf_map__map_flags(map)) {
			close(fd);
			snprintf(err, errlen,
				 "ew_load: pinned map %s is from an incompatible version "
				 "(type/key/value/max/flags %u/%u/%u/%u/%#x, "
				 "want %u/%u/%u/%u/%#x): %s",
				 bpf_map__name(map), mi.type, mi.key_size, mi.value_size,
				 mi.max_entries, mi.map_flags, bpf_map__type(map),
				 bpf_map__key_size(map), bpf_map__value_size(map),
				 bpf_map__max_entries(map), bpf_map__map_flags(map), hint);
			return -EPROTO;
		}
		if (!strcmp(bpf_map__name(map), EW_MAP_INFO)) {
			struct ew_info info = {};
			__u32 zero = 0;

			if (bpf_map_lookup_elem(fd, &zero, &info) == 0 && info.abi_version &&
			    info.abi_version != EW_ABI_VERSION) {
				close(fd);
				snprintf(err, errlen,
					 "ew_load: pinned maps in %s have ABI version %u, not %u "
					 "(incompatible version): %s",
					 dir, info.abi_version, EW_ABI_VERSION, hint);
				return -EPROTO;
			}
		}
		close(fd);
	}
	return 0;
}

/* First load: an empty policy in slot 0 (gen 1, events 1 in 1, at most 100/s). */
static int policy_init(int outer, char *err, size_t errlen)
{
	struct ew_policy *pol = NULL;
	__u32 zero = 0, id;
	int inner = -1, ret = 0;

	if (bpf_map_lookup_elem(outer, &zero, &id) == 0)
		return 0;
	if (errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "ew_load: read %s: %s", EW_MAP_POLICY, strerror(-ret));
		return ret;
	}
	pol = calloc(1, sizeof(*pol));
	if (!pol)
		return -ENOMEM;
	pol->abi_version = EW_ABI_VERSION;
	pol->gen = 1;
	pol->ev_sample = 1;
	pol->ev_max_per_s = 100;
	pol->flags = EW_POL_V4MAPPED;
	pol->applied_unix = time(NULL);
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ew_policy_in", 4, sizeof(*pol), 1, NULL);
	if (inner < 0) {
		ret = -errno;
		snprintf(err, errlen, "ew_load: create the policy map: %s", strerror(-ret));
		goto out;
	}
	if (bpf_map_update_elem(inner, &zero, pol, BPF_ANY) < 0 ||
	    bpf_map_update_elem(outer, &zero, &inner, BPF_ANY) < 0) {
		ret = -errno;
		snprintf(err, errlen, "ew_load: install the empty policy: %s", strerror(-ret));
		goto out;
	}
out:
	if (inner >= 0)
		close(inner);
	free(pol);
	return ret;
}

/*
 * Written after the policy: ew_maps_open refuses maps whose ew_info is
 * still zero, so no policy commit can race the first load's empty policy.
 */
static int info_write(int fd, char *err, size_t errlen)
{
	struct ew_info info = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &info) < 0)
		memset(&info, 0, sizeof(info));
	info.abi_version = EW_ABI_VERSION;
	if (!info.loaded_unix)
		info.loaded_unix = time(NULL);
	if (bpf_map_update_elem(fd, &zero, &info, BPF_ANY) < 0) {
		int e = errno;

		snprintf(err, errlen, "ew_load: write %s: %s", EW_MAP_INFO, strerror(e));
		return -e;
	}
	return 0;
}

/* Pin under a temporary name, then rename(2) over the old pin: never a moment without one. */
static int prog_pin(int fd, const char *dir, char *err, size_t errlen)
{
	char tmp[PATH_MAX], path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, EW_PROG_NAME);
	/* bpffs refuses names with a dot. */
	snprintf(tmp, sizeof(tmp), "%s/%s_tmp_%d", dir, EW_PROG_NAME, (int)getpid());
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) < 0) {
		int e = errno;

		snprintf(err, errlen, "ew_load: pin %s: %s", tmp, strerror(e));
		return -e;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		snprintf(err, errlen, "ew_load: rename %s to %s: %s", tmp, path, strerror(e));
		return -e;
	}
	return 0;
}

/*
 * Every interface running old_id (drv or skb mode) gets new_fd instead, in
 * the same mode, with XDP_FLAGS_REPLACE: the kernel swaps only if old_id is
 * still the one attached, and there is no moment without a filter.
 */
static int swap_attached(__u32 old_id, int old_fd, int new_fd, int *n_swapped, char *err,
			 size_t errlen)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int ret = 0;

	*n_swapped = 0;
	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		LIBBPF_OPTS(bpf_xdp_attach_opts, a, .old_prog_fd = old_fd);
		__u32 mode;

		if (bpf_xdp_query(i->if_index, 0, &q) < 0)
			continue;
		if (q.drv_prog_id == old_id)
			mode = XDP_FLAGS_DRV_MODE;
		else if (q.skb_prog_id == old_id)
			mode = XDP_FLAGS_SKB_MODE;
		else
			continue;
		int r = bpf_xdp_attach(i->if_index, new_fd, mode | XDP_FLAGS_REPLACE, &a);

		if (r < 0) {
			if (!ret) {
				ret = r;
				snprintf(err, errlen,
					 "ew_load: the new program is pinned but %s still runs the "
					 "old one (%s): run edgewardctl attach %s",
					 i->if_name, strerror(-r), i->if_name);
			}
			continue;
		}
		(*n_swapped)++;
	}
	if_freenameindex(ifs);
	return ret;
}

static int load(const char *pin_dir, int *n_swapped, char *err, size_t errlen)
{
	const char *dir = pin_dir_of(pin_dir);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	struct edgeward *skel = NULL;
	char path[PATH_MAX];
	int old_fd = -1, prog_fd = -1, ret, swapped = 0;
	__u32 old_id = 0;

	libbpf_quiet();
	ret = pin_dir_prepare(dir, err, errlen);
	if (ret)
		return ret;

	snprintf(path, sizeof(path), "%s/%s", dir, EW_PROG_NAME);
	old_fd = bpf_obj_get(path);
	if (old_fd >= 0)
		old_id = prog_id_of(old_fd);

	skel = edgeward__open_opts(&opts);
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "ew_load: open the BPF object: %s", strerror(-ret));
		goto out;
	}
	ret = check_pinned_compat(skel, dir, err, errlen);
	if (ret)
		goto out;
	ret = edgeward__load(skel);
	if (ret) {
		ret = ret < 0 ? ret : -errno;
		snprintf(err, errlen,
			 "ew_load: load the XDP program: %s (set EDGEWARD_DEBUG=1 for the "
			 "verifier log)",
			 strerror(-ret));
		goto out;
	}
	ret = policy_init(bpf_map__fd(skel->maps.ew_policy), err, errlen);
	if (ret)
		goto out;
	ret = info_write(bpf_map__fd(skel->maps.ew_info), err, errlen);
	if (ret)
		goto out;

	prog_fd = fcntl(bpf_program__fd(skel->progs.ew_xdp), F_DUPFD_CLOEXEC, 3);
	if (prog_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "ew_load: dup: %s", strerror(-ret));
		goto out;
	}
	ret = prog_pin(prog_fd, dir, err, errlen);
	if (ret)
		goto out;
	if (old_id)
		ret = swap_attached(old_id, old_fd, prog_fd, &swapped, err, errlen);
out:
	if (n_swapped)
		*n_swapped = swapped;
	edgeward__destroy(skel);
	if (old_fd >= 0)
		close(old_fd);
	if (ret) {
		if (prog_fd >= 0)
			close(prog_fd);
		return ret;
	}
	return prog_fd;
}

int ew_load(const char *pin_dir, char *err, size_t errlen)
{
	return load(pin_dir, NULL, err, errlen);
}

int ew_upgrade(const char *pin_dir, int *n_swapped, char *err, size_t errlen)
{
	int fd = load(pin_dir, n_swapped, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Interface names are untrusted words: IFNAMSIZ, printable, no '/' or spaces. */
static int ifindex_of(const char *fn, const char *ifname, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	size_t len = ifname ? strnlen(ifname, IFNAMSIZ) : 0;
	unsigned int idx;

	if (!len || len >= IFNAMSIZ)
		goto bad;
	for (size_t i = 0; i < len; i++)
		if (ifname[i] <= ' ' || ifname[i] >= 0x7f || ifname[i] == '/' ||
		    ifname[i] == ':')
			goto bad;
	idx = if_nametoindex(ifname);
	if (!idx) {
		snprintf(err, errlen, "no such interface: %s", ifname);
		return -ENODEV;
	}
	return idx;
bad:
	snprintf(err, errlen, "%s: invalid interface name %s", fn,
		 ew_quote(ifname ? ifname : "", q, sizeof(q)));
	return -EINVAL;
}

static int xdp_set(int ifindex, int prog_fd, __u32 mode, __u32 old_id)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, a);
	int old_fd = -1, ret;

	if (old_id) {
		old_fd = bpf_prog_get_fd_by_id(old_id);
		if (old_fd < 0)
			return -errno;
		a.old_prog_fd = old_fd;
		ret = bpf_xdp_attach(ifindex, prog_fd, mode | XDP_FLAGS_REPLACE, &a);
		close(old_fd);
		return ret;
	}
	/* Nothing there: do not overwrite a program someone attaches meanwhile. */
	return bpf_xdp_attach(ifindex, prog_fd, mode | XDP_FLAGS_UPDATE_IF_NOEXIST, &a);
}

static int refuse_foreign(const char *ifname, __u32 id, char *err, size_t errlen)
{
	char name[BPF_OBJ_NAME_LEN];

	if (prog_is_edgeward(id))
		return 0;
	prog_name_of(id, name, sizeof(name));
	snprintf(err, errlen,
		 "ew_attach: %s already runs XDP program %u (%s), which is not edgeward's: "
		 "detach it first (ip link set dev %s xdp off)",
		 ifname, id, name[0] ? name : "?", ifname);
	return -EBUSY;
}

int ew_attach(const char *pin_dir, const char *ifname, enum ew_xdp_mode mode, bool *fell_back,
	      char *err, size_t errlen)
{
	const char *dir = pin_dir_of(pin_dir);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[PATH_MAX];
	int ifindex, prog_fd = -1, ret;

	libbpf_quiet();
	if (fell_back)
		*fell_back = false;
	ifindex = ifindex_of("ew_attach", ifname, err, errlen);
	if (ifindex < 0)
		return ifindex;
	if (mode != EW_MODE_AUTO && mode != EW_MODE_NATIVE && mode != EW_MODE_SKB) {
		snprintf(err, errlen, "ew_attach: bad mode %d", (int)mode);
		return -EINVAL;
	}

	snprintf(path, sizeof(path), "%s/%s", dir, EW_PROG_NAME);
	prog_fd = bpf_obj_get(path);
	if (prog_fd < 0) {
		if (errno != ENOENT) {
			ret = -errno;
			snprintf(err, errlen, "ew_attach: %s: %s", path, strerror(-ret));
			return ret;
		}
		prog_fd = ew_load(pin_dir, err, errlen);
		if (prog_fd < 0)
			return prog_fd;
	}

	ret = bpf_xdp_query(ifindex, 0, &q);
	if (ret < 0) {
		snprintf(err, errlen, "ew_attach: query XDP on %s: %s", ifname, strerror(-ret));
		goto out;
	}
	if (q.drv_prog_id && (ret = refuse_foreign(ifname, q.drv_prog_id, err, errlen)))
		goto out;
	if (q.skb_prog_id && (ret = refuse_foreign(ifname, q.skb_prog_id, err, errlen)))
		goto out;

	switch (mode) {
	case EW_MODE_SKB:
		if (q.drv_prog_id) {
			ret = -EBUSY;
			snprintf(err, errlen,
				 "ew_attach: %s runs edgeward in native mode: run edgewardctl "
				 "detach %s first to change the mode",
				 ifname, ifname);
			goto out;
		}
		ret = xdp_set(ifindex, prog_fd, XDP_FLAGS_SKB_MODE, q.skb_prog_id);
		if (ret < 0)
			snprintf(err, errlen, "ew_attach: skb-mode XDP on %s: %s", ifname,
				 strerror(-ret));
		break;
	case EW_MODE_NATIVE:
		if (q.skb_prog_id) {
			ret = -EBUSY;
			snprintf(err, errlen,
				 "ew_attach: %s runs edgeward in skb mode: run edgewardctl detach "
				 "%s first to change the mode",
				 ifname, ifname);
			goto out;
		}
		ret = xdp_set(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, q.drv_prog_id);
		if (ret < 0)
			snprintf(err, errlen,
				 "ew_attach: native XDP on %s: %s (does the driver support XDP? "
				 "try --mode skb)",
				 ifname, strerror(-ret));
		break;
	default:
		/* Already in skb mode (an earlier fallback): swap there, atomically. */
		if (q.skb_prog_id && !q.drv_prog_id) {
			ret = xdp_set(ifindex, prog_fd, XDP_FLAGS_SKB_MODE, q.skb_prog_id);
			if (ret < 0)
				snprintf(err, errlen, "ew_attach: skb-mode XDP on %s: %s", ifname,
					 strerror(-ret));
			else if (fell_back)
				*fell_back = true;
			break;
		}
		ret = xdp_set(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, q.drv_prog_id);
		if (ret < 0 && !q.drv_prog_id &&
		    (ret == -EOPNOTSUPP || ret == -EINVAL || ret == -524 /* ENOTSUPP */)) {
			ret = xdp_set(ifindex, prog_fd, XDP_FLAGS_SKB_MODE, 0);
			if (ret == 0 && fell_back)
				*fell_back = true;
			if (ret < 0)
				snprintf(err, errlen, "ew_attach: skb-mode XDP on %s: %s", ifname,
					 strerror(-ret));
		} else if (ret < 0) {
			snprintf(err, errlen, "ew_attach: native XDP on %s: %s (try --mode skb)",
				 ifname, strerror(-ret));
		}
		break;
	}
out:
	close(prog_fd);
	return ret < 0 ? ret : 0;
}

int ew_detach(const char *ifname, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex, ret, n = 0;
	struct {
		__u32 id, flag;
	} modes[2];

	libbpf_quiet();
	ifindex = ifindex_of("ew_detach", ifname, err, errlen);
	if (ifindex < 0)
		return ifindex;
	ret = bpf_xdp_query(ifindex, 0, &q);
	if (ret < 0) {
		snprintf(err, errlen, "ew_detach: query XDP on %s: %s", ifname, strerror(-ret));
		return ret;
	}
	modes[0].id = q.drv_prog_id;
	modes[0].flag = XDP_FLAGS_DRV_MODE;
	modes[1].id = q.skb_prog_id;
	modes[1].flag = XDP_FLAGS_SKB_MODE;
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, a);

		/* Whatever is attached: the caller checked whose it is (ew_attachments). */
		if (!modes[i].id)
			continue;
		a.old_prog_fd = bpf_prog_get_fd_by_id(modes[i].id);
		if (a.old_prog_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "ew_detach: %s: program %u: %s", ifname,
				 modes[i].id, strerror(-ret));
			return ret;
		}
		/* With the expected fd: a program swapped in meanwhile is left alone. */
		ret = bpf_xdp_detach(ifindex, modes[i].flag | XDP_FLAGS_REPLACE, &a);
		close(a.old_prog_fd);
		if (ret < 0) {
			snprintf(err, errlen, "ew_detach: %s: %s", ifname, strerror(-ret));
			return ret;
		}
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "ew_detach: no XDP program is attached to %s", ifname);
		return -ENOENT;
	}
	return 0;
}

int ew_attachments(const char *pin_dir, struct ew_attachment **out, size_t *n)
{
	struct if_nameindex *ifs, *i;
	struct ew_attachment *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	char path[PATH_MAX];
	__u32 ours = 0;
	int fd;

	libbpf_quiet();
	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", pin_dir_of(pin_dir), EW_PROG_NAME);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		ours = prog_id_of(fd);
		close(fd);
	}
	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		__u32 ids[2];
		enum ew_xdp_mode modes[2] = { EW_MODE_NATIVE, EW_MODE_SKB };

		if (bpf_xdp_query(i->if_index, 0, &q) < 0)
			continue;
		ids[0] = q.drv_prog_id;
		ids[1] = q.skb_prog_id;
		for (int k = 0; k < 2; k++) {
			if (!ids[k])
				continue;
			if (cnt == cap) {
				cap = cap ? cap * 2 : 8;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					if_freenameindex(ifs);
					return -ENOMEM;
				}
				v = nv;
			}
			memset(&v[cnt], 0, sizeof(v[cnt]));
			snprintf(v[cnt].ifname, sizeof(v[cnt].ifname), "%s", i->if_name);
			v[cnt].ifindex = i->if_index;
			v[cnt].mode = modes[k];
			v[cnt].prog_id = ids[k];
			v[cnt].ours = ours && ids[k] == ours;
			cnt++;
		}
	}
	if_freenameindex(ifs);
	*out = v;
	*n = cnt;
	return 0;
}
