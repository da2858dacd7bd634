// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operations on the filter itself: status, attach, detach, reload (the
 * program's life cycle through the loader of maps.h) and stats (the
 * per-reason counters and map fill levels).
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops_int.h"

static const char *pin_of(const struct ew_maps *m)
{
	return m && m->pin_dir ? m->pin_dir : EW_PIN_DIR;
}

/* Is the program pinned (loaded)? */
static bool is_loaded(const char *pin_dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, EW_PROG_NAME);
	return !access(path, F_OK);
}

/* Id and name of the pinned program; 0 if unknown. */
static __u32 pinned_prog_id(const char *pin_dir, char *name, size_t len)
{
	__u32 id;

	if (name && len)
		name[0] = '\0';
	if (ew_prog_id(pin_dir, &id))
		return 0;
	if (name && len)
		ew_prog_name(id, name, len);
	return id;
}

static const char *mode_name(enum ew_xdp_mode m)
{
	switch (m) {
	case EW_MODE_NATIVE:
		return "native";
	case EW_MODE_SKB:
		return "skb";
	default:
		return "auto";
	}
}

/* The interface of a request: a plausible name that exists here. */
static int iface_check(const char *name, unsigned int *ifindex, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];

	if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' '))
		return ops_fail(-EINVAL, err, errlen, "%s: not an interface name",
				ew_quote(name, q, sizeof(q)));
	*ifindex = if_nametoindex(name);
	if (!*ifindex)
		return ops_fail(-ENODEV, err, errlen, "%s: no such interface (see 'ip link')",
				ew_quote(name, q, sizeof(q)));
	return 0;
}

/* ---- status ---- */

int ops_status(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	const char *pin_dir = pin_of(m);
	struct ew_attachment *att = NULL;
	struct ew_compiled live = { 0 };
	struct ew_maps own;
	struct ew_maps *mm = m;
	struct ew_fill fill = { 0 };
	char pname[32] = "";
	size_t n_att = 0, i;
	json_t *o = NULL, *ja, *msgs = json_array();
	bool loaded;
	__u32 prog_id = 0;
	int r;

	*out = NULL;
	ops_maps_init(&own, pin_dir);
	r = ops_req_check(req, ops_f_none, "", err, errlen);
	if (r)
		goto out;
	loaded = is_loaded(pin_dir);
	if (loaded)
		prog_id = pinned_prog_id(pin_dir, pname, sizeof(pname));
	r = ew_attachments(pin_dir, &att, &n_att);
	if (r) {
		ops_msg(msgs, "warning: cannot list XDP attachments: %s", strerror(-r));
		n_att = 0;
	}
	if (loaded) {
		if (!ops_maps_ready(m)) {
			r = ops_maps_open(&own, pin_dir, false, err, errlen);
			if (r)
				goto out;
			mm = &own;
		}
		r = pol_read(mm, &live);
		if (r) {
			ops_fail(r, err, errlen, "cannot read the live policy: %s", strerror(-r));
			goto out;
		}
		r = ops_map_fill(mm, &fill);
		if (r) {
			ops_fail(r, err, errlen, "cannot count map entries: %s", strerror(-r));
			goto out;
		}
	}
	r = -ENOMEM;
	o = json_object();
	ja = json_array();
	if (!o || !ja) {
		json_decref(ja);
		ops_fail(r, err, errlen, "out of memory");
		goto out;
	}
	json_object_set_new(o, "loaded", json_boolean(loaded));
	json_object_set_new(o, "pin_dir", ops_jstr(pin_dir));
	if (loaded) {
		json_object_set_new(o, "abi", json_integer(EW_ABI_VERSION));
		json_object_set_new(o, "prog_id", json_integer(prog_id));
		json_object_set_new(o, "prog_name", ops_jstr(pname));
	}
	for (i = 0; i < n_att; i++) {
		json_t *a = json_object();

		json_object_set_new(a, "interface", ops_jstr(att[i].ifname));
		json_object_set_new(a, "ifindex", json_integer(att[i].ifindex));
		json_object_set_new(a, "mode", json_string(mode_name(att[i].mode)));
		json_object_set_new(a, "prog_id", json_integer(att[i].prog_id));
		json_object_set_new(a, "edgeward", json_boolean(att[i].ours));
		json_array_append_new(ja, a);
	}
	json_object_set_new(o, "attachments", ja);
	if (loaded && live.pol) {
		json_t *p = json_object(), *f = json_object();

		ops_json_gen(p, live.pol);
		json_object_set_new(o, "policy", p);
		json_object_set_new(f, "bl4", ops_json_fill(fill.bl4, EW_BL4_MAX));
		json_object_set_new(f, "bl6", ops_json_fill(fill.bl6, EW_BL6_MAX));
		json_object_set_new(f, "rl_state", ops_json_fill(fill.rl_state, EW_RL_STATE_MAX));
		json_object_set_new(o, "maps", f);
	}
	ops_msgs_attach(o, msgs);
	*out = o;
	r = 0;
out:
	json_decref(msgs);
	ew_compiled_free(&live);
	ew_maps_close(&own);
	free(att);
	return r;
}

/* ---- attach ---- */

const struct ops_field ops_f_attach[] = {
	{ "interface", OPS_T_STR, true }, { "mode", OPS_T_STR, false }, { NULL }
};

int ops_attach(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	const char *pin_dir = pin_of(m), *ifname, *ms;
	enum ew_xdp_mode mode = EW_MODE_AUTO;
	char e[EW_ERRLEN] = "", q[EW_QUOTE_LEN];
	bool fell_back = false, loaded_now = false;
	unsigned int ifindex;
	json_t *o, *msgs;
	int r;

	*out = NULL;
	r = ops_req_check(req, ops_f_attach, "", err, errlen);
	if (r)
		return r;
	ms = ops_str(req, "mode");
	if (ms && !strcmp(ms, "native"))
		mode = EW_MODE_NATIVE;
	else if (ms && (!strcmp(ms, "skb") || !strcmp(ms, "generic")))
		mode = EW_MODE_SKB;
	else if (ms && strcmp(ms, "auto"))
		return ops_fail(-EINVAL, err, errlen, "--mode %s: expected native or skb",
				ew_quote(ms, q, sizeof(q)));
	ifname = ops_str(req, "interface");
	r = iface_check(ifname, &ifindex, err, errlen);
	if (r)
		return r;
	if (!is_loaded(pin_dir)) {
		r = ew_load(pin_dir, e, sizeof(e));
		if (r < 0)
			return ops_fail(r, err, errlen, "cannot load the XDP program into %s: %s",
					pin_dir, e[0] ? e : strerror(-r));
		close(r);
		loaded_now = true;
	}
	e[0] = '\0';
	r = ew_attach(pin_dir, ifname, mode, &fell_back, e, sizeof(e));
	if (r) {
		const char *hint = "";

		if (mode == EW_MODE_NATIVE && (r == -EOPNOTSUPP || r == -EINVAL))
			hint = " (does the driver support native XDP? try --mode skb)";
		else if (r == -EBUSY || r == -EEXIST)
			hint = " (another XDP program is attached; detach it first)";
		return ops_fail(r, err, errlen, "cannot attach to %s: %s%s", ifname,
				e[0] ? e : strerror(-r), hint);
	}
	o = json_object();
	msgs = json_array();
	if (!o || !msgs) {
		json_decref(o);
		json_decref(msgs);
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	}
	if (fell_back)
		ops_msg(msgs,
			"warning: %s: the driver has no native XDP support; attached in generic "
			"(skb) mode, which filters later and slower. Use --mode skb to choose it "
			"explicitly.",
			ifname);
	json_object_set_new(o, "interface", json_string(ifname));
	json_object_set_new(o, "ifindex", json_integer(ifindex));
	json_object_set_new(o, "mode",
			    json_string(fell_back || mode == EW_MODE_SKB ? "skb" : "native"));
	json_object_set_new(o, "fell_back", json_boolean(fell_back));
	json_object_set_new(o, "loaded", json_boolean(loaded_now));
	json_object_set_new(o, "prog_id", json_integer(pinned_prog_id(pin_dir, NULL, 0)));
	ops_msgs_attach(o, msgs);
	json_decref(msgs);
	*out = o;
	return 0;
}

/* ---- detach ---- */

const struct ops_field ops_f_detach[] = {
	{ "interface", OPS_T_STR, true }, { "force", OPS_T_BOOL, false }, { NULL }
};

int ops_detach(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	struct ew_attachment *att = NULL;
	char e[EW_ERRLEN] = "";
	unsigned int ifindex;
	const char *ifname;
	bool found = false, ours = false;
	size_t n = 0, i;
	__u32 prog_id = 0;
	json_t *o;
	int r;

	*out = NULL;
	r = ops_req_check(req, ops_f_detach, "", err, errlen);
	if (r)
		return r;
	ifname = ops_str(req, "interface");
	r = iface_check(ifname, &ifindex, err, errlen);
	if (r)
		return r;
	r = ew_attachments(pin_of(m), &att, &n);
	if (r)
		return ops_fail(r, err, errlen, "cannot list XDP attachments: %s", strerror(-r));
	for (i = 0; i < n; i++) {
		if (att[i].ifindex == (int)ifindex) {
			found = true;
			ours = att[i].ours;
			prog_id = att[i].prog_id;
		}
	}
	free(att);
	if (!found)
		return ops_fail(-ENOENT, err, errlen, "%s has no XDP program attached", ifname);
	if (!ours && !ops_bool(req, "force"))
		return ops_fail(-EBUSY, err, errlen,
				"the XDP program on %s (id %u) is not edgeward's; use --force to "
				"detach it anyway",
				ifname, prog_id);
	r = ew_detach(ifname, e, sizeof(e));
	if (r)
		return ops_fail(r, err, errlen, "cannot detach from %s: %s", ifname,
				e[0] ? e : strerror(-r));
	o = json_object();
	if (!o)
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	json_object_set_new(o, "interface", json_string(ifname));
	json_object_set_new(o, "detached", json_true());
	json_object_set_new(o, "prog_id", json_integer(prog_id));
	*out = o;
	return 0;
}

/* ---- reload ---- */

int ops_reload(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	const char *pin_dir = pin_of(m);
	char e[EW_ERRLEN] = "";
	json_t *o;
	int n = 0, r;

	*out = NULL;
	r = ops_req_check(req, ops_f_none, "", err, errlen);
	if (r)
		return r;
	if (!is_loaded(pin_dir))
		return ops_fail(-ENOENT, err, errlen,
				"edgeward is not loaded in %s; use 'edgewardctl attach IFACE' to "
				"load and attach it",
				pin_dir);
	r = ew_upgrade(pin_dir, &n, e, sizeof(e));
	if (r)
		return ops_fail(r, err, errlen, "reload failed: %s", e[0] ? e : strerror(-r));
	o = json_object();
	if (!o)
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	json_object_set_new(o, "reloaded", json_true());
	json_object_set_new(o, "prog_id", json_integer(pinned_prog_id(pin_dir, NULL, 0)));
	json_object_set_new(o, "interfaces", json_integer(n));
	*out = o;
	return 0;
}

/* ---- stats ---- */

int ops_stats(struct ew_maps *m, json_t *req, json_t **out, char *err, size_t errlen)
{
	struct ew_counter cur[EW_R_MAX];
	uint64_t tp = 0, tb = 0, dp = 0, db = 0;
	json_t *o, *arr, *tot, *maps;
	struct ew_fill f;
	int i, r;

	*out = NULL;
	r = ops_req_check(req, ops_f_none, "", err, errlen);
	if (r)
		return r;
	r = stats_read(m, cur);
	if (r)
		return ops_fail(r, err, errlen, "cannot read the counters: %s", strerror(-r));
	r = ops_map_fill(m, &f);
	if (r)
		return ops_fail(r, err, errlen, "cannot count map entries: %s", strerror(-r));
	o = json_object();
	arr = json_array();
	tot = json_object();
	maps = json_object();
	if (!o || !arr || !tot || !maps) {
		json_decref(o);
		json_decref(arr);
		json_decref(tot);
		json_decref(maps);
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	}
	/* Every known reason; reasons of a newer program only when they counted something. */
	for (i = 0; i < EW_R_MAX; i++) {
		json_t *x;

		if (i >= EW_R_COUNT && !cur[i].packets)
			continue;
		x = json_object();
		json_object_set_new(x, "reason", json_string(ew_reason_name(i)));
		json_object_set_new(x, "id", json_integer(i));
		json_object_set_new(x, "drop", json_boolean(ew_reason_is_drop(i)));
		json_object_set_new(x, "packets", json_integer((json_int_t)cur[i].packets));
		json_object_set_new(x, "bytes", json_integer((json_int_t)cur[i].bytes));
		json_array_append_new(arr, x);
		tp += cur[i].packets;
		tb += cur[i].bytes;
		if (ew_reason_is_drop(i)) {
			dp += cur[i].packets;
			db += cur[i].bytes;
		}
	}
	json_object_set_new(o, "reasons", arr);
	json_object_set_new(tot, "packets", json_integer((json_int_t)tp));
	json_object_set_new(tot, "bytes", json_integer((json_int_t)tb));
	json_object_set_new(tot, "dropped_packets", json_integer((json_int_t)dp));
	json_object_set_new(tot, "dropped_bytes", json_integer((json_int_t)db));
	json_object_set_new(o, "total", tot);
	json_object_set_new(maps, "bl4", ops_json_fill(f.bl4, EW_BL4_MAX));
	json_object_set_new(maps, "bl6", ops_json_fill(f.bl6, EW_BL6_MAX));
	json_object_set_new(maps, "rl_state", ops_json_fill(f.rl_state, EW_RL_STATE_MAX));
	json_object_set_new(maps, "lpm4", ops_json_fill(f.lpm4, EW_LPM4_MAX));
	json_object_set_new(maps, "lpm6", ops_json_fill(f.lpm6, EW_LPM6_MAX));
	json_object_set_new(o, "maps", maps);
	*out = o;
	return 0;
}
