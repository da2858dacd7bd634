// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl attach, detach, status, reload: the program's life cycle.
 * Attachments go through netlink (see loader.c), so the filter keeps
 * running after edgewardctl exits.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

const char help_attach[] =
	"Attach the edgeward XDP program to IFACE, loading it (and creating its pinned\n"
	"maps) first when it is not loaded. Native mode runs in the driver and is the\n"
	"default; when the driver has no native XDP, edgewardctl falls back to generic\n"
	"(skb) mode and says so. An attached edgeward program is replaced atomically.\n"
	"\n"
	"Options:\n"
	"  -m, --mode MODE     native (no fallback) or skb (generic); default: native,\n"
	"                      falling back to skb with a warning\n"
	"\n"
	"Example:\n"
	"  edgewardctl attach eth0\n";

const char help_detach[] =
	"Detach the XDP program from IFACE. The pinned maps and every other attachment\n"
	"stay. A program that is not edgeward's is left alone unless --force is given.\n"
	"\n"
	"Options:\n"
	"  -f, --force         detach even when the program is not edgeward's\n"
	"\n"
	"Example:\n"
	"  edgewardctl detach eth0\n";

const char help_status[] =
	"Show whether edgeward is loaded, its map ABI and program id, the interfaces it\n"
	"is attached to and in which mode, the policy generation and when it was\n"
	"applied, and how full the maps are.\n"
	"\n"
	"Example:\n"
	"  edgewardctl -j status\n";

const char help_reload[] =
	"Load the XDP program built into this edgewardctl, reuse every pinned map (no\n"
	"block, counter or policy is lost) and swap the program atomically on every\n"
	"interface that runs edgeward: there is no moment without a filter.\n"
	"\n"
	"Example:\n"
	"  edgewardctl reload\n";

/* The IFACE operand: its name and index. */
static int iface_arg(int argc, char **argv, const char **ifname, unsigned int *ifindex)
{
	const char *name = ctl_arg(argc, argv, "IFACE", true);
	char q[EW_QUOTE_LEN];

	if (!name)
		return CTL_USAGE;
	*ifname = name;
	if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' '))
		return ctl_err("%s: not an interface name", ew_quote(name, q, sizeof(q)));
	*ifindex = if_nametoindex(name);
	if (!*ifindex)
		return ctl_err("%s: no such interface (see 'ip link')", ew_quote(name, q, sizeof(q)));
	return CTL_OK;
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

static void prog_pin_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ctl.pin_dir, EW_PROG_NAME);
}

static bool is_loaded(void)
{
	char path[512];

	prog_pin_path(path, sizeof(path));
	return !access(path, F_OK);
}

/* Id and name of the pinned program; 0 if unknown. */
static __u32 pinned_prog_id(char *name, size_t len)
{
	__u32 id;

	if (name && len)
		name[0] = '\0';
	if (ew_prog_id(ctl.pin_dir, &id))
		return 0;
	if (name && len)
		ew_prog_name(id, name, len);
	return id;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ 0 }
	};
	enum ew_xdp_mode mode = EW_MODE_AUTO;
	char err[EW_ERRLEN] = "", q[EW_QUOTE_LEN];
	bool fell_back = false, loaded_now = false;
	unsigned int ifindex;
	const char *ifname;
	int c, r;

	while ((c = ctl_getopt(argc, argv, "m:", opts)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "native"))
				mode = EW_MODE_NATIVE;
			else if (!strcmp(optarg, "skb") || !strcmp(optarg, "generic"))
				mode = EW_MODE_SKB;
			else
				return ctl_err("--mode %s: expected native or skb",
					       ew_quote(optarg, q, sizeof(q)));
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	r = iface_arg(argc, argv, &ifname, &ifindex);
	if (r)
		return r;

	if (!is_loaded()) {
		r = ew_load(ctl.pin_dir, err, sizeof(err));
		if (r < 0)
			return ctl_err("cannot load the XDP program into %s: %s", ctl.pin_dir,
				       err[0] ? err : strerror(-r));
		close(r);
		loaded_now = true;
		if (!ctl.json && !ctl.quiet)
			fprintf(stderr, "loaded edgeward (maps pinned in %s)\n", ctl.pin_dir);
	}
	err[0] = '\0';
	r = ew_attach(ctl.pin_dir, ifname, mode, &fell_back, err, sizeof(err));
	if (r) {
		const char *hint = "";

		if (mode == EW_MODE_NATIVE && (r == -EOPNOTSUPP || r == -EINVAL))
			hint = " (does the driver support native XDP? try --mode skb)";
		else if (r == -EBUSY || r == -EEXIST)
			hint = " (another XDP program is attached; detach it first)";
		return ctl_err("cannot attach to %s: %s%s", ifname, err[0] ? err : strerror(-r),
			       hint);
	}
	if (fell_back)
		ctl_warn("%s: the driver has no native XDP support; attached in generic (skb) "
			 "mode, which filters later and slower. Use --mode skb to choose it "
			 "explicitly.",
			 ifname);
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "interface", json_string(ifname));
		json_object_set_new(o, "ifindex", json_integer(ifindex));
		json_object_set_new(o, "mode", json_string(fell_back ? "skb" :
						      mode == EW_MODE_SKB ? "skb" : "native"));
		json_object_set_new(o, "fell_back", json_boolean(fell_back));
		json_object_set_new(o, "loaded", json_boolean(loaded_now));
		json_object_set_new(o, "prog_id", json_integer(pinned_prog_id(NULL, 0)));
		ctl_json_print(o);
	} else {
		ctl_info("attached edgeward to %s (%s mode)", ifname,
			 fell_back || mode == EW_MODE_SKB ? "skb" : "native");
	}
	return CTL_OK;
}

int cmd_detach(int argc, char **argv)
{
	struct ew_attachment *att = NULL;
	char err[EW_ERRLEN] = "";
	unsigned int ifindex;
	const char *ifname;
	bool force = false, found = false, ours = false;
	size_t n = 0, i;
	__u32 prog_id = 0;
	int r;

	r = ctl_opt_force(argc, argv, &force);
	if (r != CTL_RUN)
		return r;
	r = iface_arg(argc, argv, &ifname, &ifindex);
	if (r)
		return r;
	r = ew_attachments(ctl.pin_dir, &att, &n);
	if (r)
		return ctl_err("cannot list XDP attachments: %s", strerror(-r));
	for (i = 0; i < n; i++) {
		if (att[i].ifindex == (int)ifindex) {
			found = true;
			ours = att[i].ours;
			prog_id = att[i].prog_id;
		}
	}
	free(att);
	if (!found)
		return ctl_err("%s has no XDP program attached", ifname);
	if (!ours && !force)
		return ctl_err("the XDP program on %s (id %u) is not edgeward's; use --force to "
			       "detach it anyway",
			       ifname, prog_id);
	r = ew_detach(ifname, err, sizeof(err));
	if (r)
		return ctl_err("cannot detach from %s: %s", ifname, err[0] ? err : strerror(-r));
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "interface", json_string(ifname));
		json_object_set_new(o, "detached", json_true());
		json_object_set_new(o, "prog_id", json_integer(prog_id));
		ctl_json_print(o);
	} else {
		ctl_info("detached from %s", ifname);
	}
	return CTL_OK;
}

int cmd_status(int argc, char **argv)
{
	struct ew_attachment *att = NULL;
	struct ew_compiled live = { 0 };
	struct ew_maps m = { .lock = -1 };
	char pname[32] = "", line[512], t[64];
	struct ew_fill fill = { 0 };
	size_t n_att = 0, i;
	bool loaded, opened = false;
	json_t *o = NULL, *ja;
	__u32 prog_id = 0;
	int r, rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	rc = CTL_ERR;

	loaded = is_loaded();
	if (loaded)
		prog_id = pinned_prog_id(pname, sizeof(pname));
	r = ew_attachments(ctl.pin_dir, &att, &n_att);
	if (r) {
		ctl_warn("cannot list XDP attachments: %s", strerror(-r));
		n_att = 0;
	}
	if (loaded) {
		if (ctl_maps_open(&m, false))
			goto out;
		opened = true;
		r = pol_read(&m, &live);
		if (r) {
			ctl_err("cannot read the live policy: %s", strerror(-r));
			goto out;
		}
		r = ew_map_fill(&m, &fill);
		if (r) {
			ctl_err("cannot count map entries: %s", strerror(-r));
			goto out;
		}
	}

	if (ctl.json) {
		o = json_object();
		json_object_set_new(o, "loaded", json_boolean(loaded));
		json_object_set_new(o, "pin_dir", ctl_jstr(ctl.pin_dir));
		if (loaded) {
			json_object_set_new(o, "abi", json_integer(EW_ABI_VERSION));
			json_object_set_new(o, "prog_id", json_integer(prog_id));
			json_object_set_new(o, "prog_name", json_string(pname));
		}
		ja = json_array();
		for (i = 0; i < n_att; i++) {
			json_t *a = json_object();

			json_object_set_new(a, "interface", json_string(att[i].ifname));
			json_object_set_new(a, "ifindex", json_integer(att[i].ifindex));
			json_object_set_new(a, "mode", json_string(mode_name(att[i].mode)));
			json_object_set_new(a, "prog_id", json_integer(att[i].prog_id));
			json_object_set_new(a, "edgeward", json_boolean(att[i].ours));
			json_array_append_new(ja, a);
		}
		json_object_set_new(o, "attachments", ja);
		if (loaded && live.pol) {
			json_t *p = json_object(), *f = json_object();

			ctl_json_gen(p, live.pol);
			json_object_set_new(o, "policy", p);
			json_object_set_new(f, "bl4", ctl_json_fill(fill.bl4, EW_BL4_MAX));
			json_object_set_new(f, "bl6", ctl_json_fill(fill.bl6, EW_BL6_MAX));
			json_object_set_new(f, "rl_state",
					    ctl_json_fill(fill.rl_state, EW_RL_STATE_MAX));
			json_object_set_new(o, "maps", f);
		}
		ctl_json_print(o);
		o = NULL;
	} else {
		struct ctl_table tb;

		tbl_init(&tb, 2, 0, "", "");
		if (loaded)
			snprintf(line, sizeof(line), "loaded (maps in %s, ABI %d)", ctl.pin_dir,
				 EW_ABI_VERSION);
		else
			snprintf(line, sizeof(line), "not loaded (nothing pinned in %s)",
				 ctl.pin_dir);
		tbl_add(&tb, "edgeward", line);
		if (loaded) {
			snprintf(line, sizeof(line), "id %u (%s)", prog_id, pname);
			tbl_add(&tb, "program", line);
		}
		if (!n_att)
			tbl_add(&tb, "attached", "nowhere");
		for (i = 0; i < n_att; i++) {
			snprintf(line, sizeof(line), "%s (%s mode, prog %u%s)", att[i].ifname,
				 mode_name(att[i].mode), att[i].prog_id,
				 att[i].ours ? "" : ", not edgeward");
			tbl_add(&tb, i ? "" : "attached", line);
		}
		if (loaded && live.pol) {
			ctl_gen_text(live.pol, t, sizeof(t));
			snprintf(line, sizeof(line), "generation %s", t);
			tbl_add(&tb, "policy", line);
			snprintf(line, sizeof(line), "%zu IPv4 of %u, %zu IPv6 of %u", fill.bl4,
				 EW_BL4_MAX, fill.bl6, EW_BL6_MAX);
			tbl_add(&tb, "blocklist", line);
			snprintf(line, sizeof(line), "%zu sources tracked of %u", fill.rl_state,
				 EW_RL_STATE_MAX);
			tbl_add(&tb, "rate limit", line);
		}
		tbl_print_rows(&tb, stdout);
		tbl_free(&tb);
	}
	rc = CTL_OK;
out:
	json_decref(o);
	if (opened)
		ew_maps_close(&m);
	ew_compiled_free(&live);
	free(att);
	return rc;
}

int cmd_reload(int argc, char **argv)
{
	char err[EW_ERRLEN] = "", pname[32];
	int n = 0, r = ctl_no_args(argc, argv);

	if (r != CTL_RUN)
		return r;
	if (!is_loaded())
		return ctl_err("edgeward is not loaded in %s; use 'edgewardctl attach IFACE' to "
			       "load and attach it",
			       ctl.pin_dir);
	r = ew_upgrade(ctl.pin_dir, &n, err, sizeof(err));
	if (r)
		return ctl_err("reload failed: %s", err[0] ? err : strerror(-r));
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "reloaded", json_true());
		json_object_set_new(o, "prog_id", json_integer(pinned_prog_id(pname, sizeof(pname))));
		json_object_set_new(o, "interfaces", json_integer(n));
		ctl_json_print(o);
	} else {
		ctl_info("reloaded edgeward: program id %u, swapped on %d interface%s",
			 pinned_prog_id(pname, sizeof(pname)), n, n == 1 ? "" : "s");
	}
	return CTL_OK;
}
