// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl stats and events: what the filter did. stats shows the
 * answer of the stats operation (per-reason counters summed over CPUs, map
 * fill levels; ops_filter.c), and rates from two of them; events reads the
 * sampled drops from the pinned ring buffer and prints them like the
 * guide's iptables "DROPPED:" log line.
 *
 * events consumes from the ring buffer: two readers share one consumer
 * position and each sees only part of the stream. So it works only in
 * emergency mode: while edgewardd runs, the daemon is the reader.
 */
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"

const char help_stats[] =
	"Print packets and bytes per reason (why each packet passed or was dropped),\n"
	"summed over CPUs since the maps were created, and how full the maps are.\n"
	"With --rate, sample twice one second apart and add per-second rates; with\n"
	"--interval, print rates every SEC seconds until interrupted (or --count times).\n"
	"\n"
	"Options:\n"
	"  -r, --rate          add packets and bits per second, measured over 1 s\n"
	"  -i, --interval SEC  repeat every SEC seconds (1..3600) with rates\n"
	"  -c, --count N       with --interval: stop after N reports\n"
	"  -a, --all           list reasons with zero counts too (text; -j lists all)\n"
	"\n"
	"Example:\n"
	"  edgewardctl stats --interval 5\n";

const char help_events[] =
	"Stream the sampled drops from the filter's ring buffer, one line each in the\n"
	"format of an iptables LOG line with the drop reason added:\n"
	"  2025-01-02T03:04:05.123+00:00 DROPPED: IN=eth0 OUT= MAC=.. SRC=198.51.100.7\n"
	"  DST=192.0.2.1 LEN=60 TOS=0x00 TTL=64 ID=1 PROTO=TCP SPT=40000 DPT=22 SYN\n"
	"  REASON=acl\n"
	"When the in-kernel cap (policy events.max_per_sec) held some back, a line\n"
	"\"(N events suppressed by the rate cap)\" says so, counting the drops that the\n"
	"CPU which sent the event held back. With -j, one JSON object a line.\n"
	"Only one reader should consume the events at a time: while edgewardd runs it\n"
	"is the reader, and this command refuses (see 'edgewardctl audit --type\n"
	"drop_summary' and the metrics); it works in emergency mode (--direct).\n"
	"\n"
	"Options:\n"
	"  -c, --count N       stop after N events\n"
	"  -t, --timeout SEC   stop after SEC seconds\n"
	"\n"
	"Example:\n"
	"  edgewardctl events --count 10 --timeout 60\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep s seconds unless a signal says stop. */
static void nap(double s)
{
	double end = mono_s() + s;

	while (!stop) {
		double left = end - mono_s();
		struct timespec ts;

		if (left <= 0)
			break;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* ---- stats ---- */

static void human(double v, char *buf, size_t len)
{
	static const char *const unit[] = { "", "k", "M", "G", "T", "P" };
	int u = 0;

	while (v >= 1000.0 && u < 5) {
		v /= 1000.0;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f%s", v, unit[u]);
	else
		snprintf(buf, len, "%.0f", v);
}

/* {"entries": n, "max": max}: a map's fill level, as the stats operation gives it. */
static json_t *fill_json(size_t n, size_t max)
{
	json_t *o = json_object();

	json_object_set_new(o, "entries", json_integer((json_int_t)n));
	json_object_set_new(o, "max", json_integer((json_int_t)max));
	return o;
}

static void stats_report(const struct ew_counter *cur, const struct ew_counter *prev, double dt,
			 const struct ew_fill *f, bool all)
{
	uint64_t tp = 0, tb = 0, dp = 0, db = 0;
	double tpps = 0, tbps = 0;
	bool rates = prev && dt > 0;
	int i;

	if (ctl.json) {
		json_t *o = json_object(), *arr = json_array(), *tot = json_object(),
		       *maps = json_object();

		for (i = 0; i < EW_R_MAX; i++) {
			json_t *r;

			if (i >= EW_R_COUNT && !cur[i].packets)
				continue;
			r = json_object();
			json_object_set_new(r, "reason", json_string(ew_reason_name(i)));
			json_object_set_new(r, "id", json_integer(i));
			json_object_set_new(r, "drop", json_boolean(ew_reason_is_drop(i)));
			json_object_set_new(r, "packets", json_integer((json_int_t)cur[i].packets));
			json_object_set_new(r, "bytes", json_integer((json_int_t)cur[i].bytes));
			if (rates) {
				double pps = (double)(cur[i].packets - prev[i].packets) / dt;
				double bps = (double)(cur[i].bytes - prev[i].bytes) * 8 / dt;

				json_object_set_new(r, "pps", json_real(pps));
				json_object_set_new(r, "bps", json_real(bps));
			}
			json_array_append_new(arr, r);
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
		if (rates)
			json_object_set_new(o, "interval_s", json_real(dt));
		json_object_set_new(maps, "bl4", fill_json(f->bl4, EW_BL4_MAX));
		json_object_set_new(maps, "bl6", fill_json(f->bl6, EW_BL6_MAX));
		json_object_set_new(maps, "rl_state", fill_json(f->rl_state, EW_RL_STATE_MAX));
		json_object_set_new(maps, "lpm4", fill_json(f->lpm4, EW_LPM4_MAX));
		json_object_set_new(maps, "lpm6", fill_json(f->lpm6, EW_LPM6_MAX));
		json_object_set_new(o, "maps", maps);
		ctl_json_print(o);
		return;
	}

	{
		struct ctl_table t;
		char p[24], b[24], pps[24], bps[24];

		if (rates)
			tbl_init(&t, 6, 0x3c, "REASON", "VERDICT", "PACKETS", "BYTES", "PKT/S",
				 "BIT/S");
		else
			tbl_init(&t, 4, 0x0c, "REASON", "VERDICT", "PACKETS", "BYTES");
		for (i = 0; i < EW_R_MAX; i++) {
			tp += cur[i].packets;
			tb += cur[i].bytes;
			if (rates) {
				tpps += (double)(cur[i].packets - prev[i].packets) / dt;
				tbps += (double)(cur[i].bytes - prev[i].bytes) * 8 / dt;
			}
			if (!cur[i].packets && !(all && i < EW_R_COUNT))
				continue;
			snprintf(p, sizeof(p), "%llu", (unsigned long long)cur[i].packets);
			snprintf(b, sizeof(b), "%llu", (unsigned long long)cur[i].bytes);
			if (rates) {
				human((double)(cur[i].packets - prev[i].packets) / dt, pps, sizeof(pps));
				human((double)(cur[i].bytes - prev[i].bytes) * 8 / dt, bps, sizeof(bps));
				tbl_add(&t, ew_reason_name(i), ew_reason_is_drop(i) ? "drop" : "pass",
					p, b, pps, bps);
			} else {
				tbl_add(&t, ew_reason_name(i), ew_reason_is_drop(i) ? "drop" : "pass",
					p, b);
			}
		}
		snprintf(p, sizeof(p), "%llu", (unsigned long long)tp);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)tb);
		if (rates) {
			human(tpps, pps, sizeof(pps));
			human(tbps, bps, sizeof(bps));
			tbl_add(&t, "total", "", p, b, pps, bps);
		} else {
			tbl_add(&t, "total", "", p, b);
		}
		tbl_print(&t, stdout);
		tbl_free(&t);
		printf("\nmaps: bl4 %zu/%u, bl6 %zu/%u, rl_state %zu/%u, lpm4 %zu/%u, lpm6 %zu/%u\n",
		       f->bl4, EW_BL4_MAX, f->bl6, EW_BL6_MAX, f->rl_state, EW_RL_STATE_MAX,
		       f->lpm4, EW_LPM4_MAX, f->lpm6, EW_LPM6_MAX);
		fflush(stdout);
	}
}

/* The counters and fill levels of a stats answer (reasons it does not list: zero). */
static void stats_parse(json_t *o, struct ew_counter cur[EW_R_MAX], struct ew_fill *f)
{
	json_t *maps = json_object_get(o, "maps"), *r;
	size_t i;

	memset(cur, 0, sizeof(*cur) * EW_R_MAX);
	json_array_foreach(json_object_get(o, "reasons"), i, r) {
		long long id = ctl_ji(r, "id");

		if (id < 0 || id >= EW_R_MAX)
			continue;
		cur[id].packets = (uint64_t)ctl_ji(r, "packets");
		cur[id].bytes = (uint64_t)ctl_ji(r, "bytes");
	}
	f->bl4 = (size_t)ctl_ji(json_object_get(maps, "bl4"), "entries");
	f->bl6 = (size_t)ctl_ji(json_object_get(maps, "bl6"), "entries");
	f->rl_state = (size_t)ctl_ji(json_object_get(maps, "rl_state"), "entries");
	f->lpm4 = (size_t)ctl_ji(json_object_get(maps, "lpm4"), "entries");
	f->lpm6 = (size_t)ctl_ji(json_object_get(maps, "lpm6"), "entries");
}

/* One snapshot: the stats operation, parsed; *out keeps the answer (may be NULL). */
static int stats_snap(struct ew_counter cur[EW_R_MAX], struct ew_fill *f, json_t **out)
{
	json_t *req = json_object(), *o = NULL;
	int rc = ctl_op("stats", req, &o);

	json_decref(req);
	if (rc)
		return rc;
	stats_parse(o, cur, f);
	if (out)
		*out = o;
	else
		json_decref(o);
	return CTL_OK;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", no_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ 0 }
	};
	struct ew_counter prev[EW_R_MAX], cur[EW_R_MAX];
	uint64_t interval = 0, count = 0, done = 0;
	bool rate = false, all = false, have_count = false;
	struct ew_fill f;
	json_t *out = NULL;
	double t0, t1;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "ri:c:a", opts)) != -1) {
		switch (c) {
		case 'r':
			rate = true;
			break;
		case 'i':
			if (ctl_u64("--interval", optarg, 1, 3600, &interval))
				return CTL_ERR;
			break;
		case 'c':
			if (ctl_u64("--count", optarg, 1, UINT32_MAX, &count))
				return CTL_ERR;
			have_count = true;
			break;
		case 'a':
			all = true;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	if (have_count && !interval)
		return ctl_usage("--count needs --interval");
	catch_signals();
	rc = stats_snap(cur, &f, &out);
	t1 = mono_s();
	if (rc)
		return rc;
	if (!rate && !interval) {
		if (ctl.json)
			return ctl_json_print(out) ? CTL_ERR : CTL_OK;
		stats_report(cur, NULL, 0, &f, all);
		json_decref(out);
		return CTL_OK;
	}
	json_decref(out);
	/* Rates: the difference of two snapshots over the time between them. */
	for (;;) {
		memcpy(prev, cur, sizeof(cur));
		t0 = t1;
		nap(interval ? (double)interval : 1.0);
		if (stop)
			break;
		rc = stats_snap(cur, &f, NULL);
		t1 = mono_s();
		if (rc)
			return rc;
		if (interval && !ctl.json && done)
			putchar('\n');
		stats_report(cur, prev, t1 - t0, &f, all);
		done++;
		if (!interval || (have_count && done >= count))
			break;
	}
	return CTL_OK;
}

/* ---- events ---- */

struct ev_ctx {
	uint64_t seen, max;	/* max 0: no limit */
};

#define EV_DONE (-ECANCELED)

static void mac_text(const __u8 *dst, const __u8 *src, int family, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x",
			 dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], src[0], src[1], src[2],
			 src[3], src[4], src[5]);

	if (n > 0 && (size_t)n < len && family)
		snprintf(buf + n, len - (size_t)n, ":%s", family == 4 ? "08:00" : "86:dd");
}

static const char *proto_text(int family, int proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 1:
		return family == 4 ? "ICMP" : "1";
	case 58:
		return "ICMPv6";
	default:
		snprintf(buf, len, "%d", proto);
		return buf;
	}
}

/* TCP flags in iptables' order. */
static const struct {
	__u8 bit;
	const char *name;
} tcp_flags[] = {
	{ 0x80, "CWR" }, { 0x40, "ECE" }, { 0x20, "URG" }, { 0x10, "ACK" },
	{ 0x08, "PSH" }, { 0x04, "RST" }, { 0x02, "SYN" }, { 0x01, "FIN" },
};

static int on_event(void *vctx, void *data, size_t size)
{
	struct ev_ctx *ctx = vctx;
	const struct ew_event *e = data;
	char ifn[IF_NAMESIZE] = "", mac[64], src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	char when[48], pbuf[16], *line = NULL;
	size_t llen = 0, i;
	bool l4 = true;
	FILE *f;

	if (size < sizeof(*e))
		return 0;
	if (!if_indextoname(e->ifindex, ifn))
		snprintf(ifn, sizeof(ifn), "if%u", e->ifindex);
	ctl_iso_time_ns(ctl_clock_to_unix_ns(CLOCK_MONOTONIC, e->ts_mono_ns), when, sizeof(when));
	mac_text(e->dst_mac, e->src_mac, e->family, mac, sizeof(mac));
	if (e->family == 4 || e->family == 6) {
		ew_addr_format(e->family, e->saddr, src, sizeof(src));
		ew_addr_format(e->family, e->daddr, dst, sizeof(dst));
	}

	f = open_memstream(&line, &llen);
	if (!f)
		return -ENOMEM;
	fprintf(f, "DROPPED: IN=%s OUT= MAC=%s", ifn, mac);
	if (e->family == 4) {
		fprintf(f, " SRC=%s DST=%s LEN=%u TOS=0x%02X TTL=%u ID=%u", src, dst, e->pkt_len,
			e->tos, e->ttl, e->ip_id);
		if (e->frag & 0x4000)
			fputs(" DF", f);
		if (e->frag & 0x2000)
			fputs(" MF", f);
		if (e->frag & 0x1fff) {
			fprintf(f, " FRAG:%u", e->frag & 0x1fff);
			l4 = false;	/* a non-first fragment carries no L4 header */
		}
	} else if (e->family == 6) {
		fprintf(f, " SRC=%s DST=%s LEN=%u TC=%u HOPLIMIT=%u", src, dst, e->pkt_len, e->tos,
			e->ttl);
	} else {
		fprintf(f, " LEN=%u", e->pkt_len);
		l4 = false;
	}
	if (e->family) {
		fprintf(f, " PROTO=%s", proto_text(e->family, e->proto, pbuf, sizeof(pbuf)));
		if (l4 && (e->proto == 6 || e->proto == 17)) {
			fprintf(f, " SPT=%u DPT=%u", e->sport, e->dport);
			if (e->proto == 6)
				for (i = 0; i < sizeof(tcp_flags) / sizeof(tcp_flags[0]); i++)
					if (e->tcp_flags & tcp_flags[i].bit)
						fprintf(f, " %s", tcp_flags[i].name);
		} else if (l4 && (e->proto == 1 || e->proto == 58)) {
			fprintf(f, " TYPE=%u CODE=%u", e->sport, e->dport);
		}
	}
	fprintf(f, " REASON=%s", ew_reason_name(e->reason));
	fclose(f);

	if (ctl.json) {
		json_t *o = json_object(), *fl = json_array();

		json_object_set_new(o, "time", json_string(when));
		json_object_set_new(o, "ts_mono_ns", json_integer((json_int_t)e->ts_mono_ns));
		json_object_set_new(o, "in", ctl_jstr(ifn));
		json_object_set_new(o, "ifindex", json_integer(e->ifindex));
		json_object_set_new(o, "reason", json_string(ew_reason_name(e->reason)));
		json_object_set_new(o, "reason_id", json_integer(e->reason));
		json_object_set_new(o, "family", json_integer(e->family));
		json_object_set_new(o, "mac", json_string(mac));
		json_object_set_new(o, "len", json_integer(e->pkt_len));
		if (e->family) {
			json_object_set_new(o, "src", json_string(src));
			json_object_set_new(o, "dst", json_string(dst));
			json_object_set_new(o, "proto",
					    json_string(proto_text(e->family, e->proto, pbuf,
								   sizeof(pbuf))));
			json_object_set_new(o, "proto_num", json_integer(e->proto));
			json_object_set_new(o, "ttl", json_integer(e->ttl));
			json_object_set_new(o, "tos", json_integer(e->tos));
			if (e->family == 4) {
				json_object_set_new(o, "id", json_integer(e->ip_id));
				json_object_set_new(o, "frag", json_integer(e->frag));
			}
			if (l4 && (e->proto == 6 || e->proto == 17)) {
				json_object_set_new(o, "sport", json_integer(e->sport));
				json_object_set_new(o, "dport", json_integer(e->dport));
			} else if (l4 && (e->proto == 1 || e->proto == 58)) {
				json_object_set_new(o, "type", json_integer(e->sport));
				json_object_set_new(o, "code", json_integer(e->dport));
			}
			if (e->proto == 6)
				for (i = 0; i < sizeof(tcp_flags) / sizeof(tcp_flags[0]); i++)
					if (e->tcp_flags & tcp_flags[i].bit)
						json_array_append_new(fl,
								      json_string(tcp_flags[i].name));
		}
		json_object_set_new(o, "tcp_flags", fl);
		json_object_set_new(o, "suppressed", json_integer(e->sample_drops));
		json_object_set_new(o, "line", json_string(line ? line : ""));
		ctl_json_print(o);
	} else {
		if (e->sample_drops)
			printf("(%u events suppressed by the rate cap)\n", e->sample_drops);
		printf("%s %s\n", when, line ? line : "");
		fflush(stdout);
	}
	free(line);
	ctx->seen++;
	if (ctx->max && ctx->seen >= ctx->max)
		return EV_DONE;
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	struct ew_maps m = { .lock = -1 };
	struct ring_buffer *rb = NULL;
	struct ev_ctx ctx = { 0 };
	uint64_t timeout = 0;
	double end = 0;
	int c, r, rc = CTL_ERR;

	while ((c = ctl_getopt(argc, argv, "c:t:", opts)) != -1) {
		switch (c) {
		case 'c':
			if (ctl_u64("--count", optarg, 1, UINT32_MAX, &ctx.max))
				return CTL_ERR;
			break;
		case 't':
			if (ctl_u64("--timeout", optarg, 1, 31536000, &timeout))
				return CTL_ERR;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	/* The ring buffer has one consumer position: the daemon's, while it runs. */
	r = cli_mode();
	if (r < 0)
		return CTL_ERR;
	if (r == CLI_DAEMON)
		return ctl_err("the daemon consumes drop events; see 'edgewardctl audit --type "
			       "drop_summary' or the metrics");
	if (ctl_maps_open(&m, false))
		return CTL_ERR;
	rb = ring_buffer__new(m.events, on_event, &ctx, NULL);
	if (!rb) {
		ctl_err("cannot open the event ring buffer: %s", strerror(errno));
		goto out;
	}
	catch_signals();
	if (timeout)
		end = mono_s() + (double)timeout;
	while (!stop) {
		int ms = 200;

		if (timeout) {
			double left = end - mono_s();

			if (left <= 0)
				break;
			if (left * 1000 < ms)
				ms = (int)(left * 1000) + 1;
		}
		r = ring_buffer__poll(rb, ms);
		if (r == EV_DONE)
			break;
		if (r < 0 && r != -EINTR) {
			ctl_err("reading events failed: %s", strerror(-r));
			goto out;
		}
	}
	if (!ctl.json && !ctl.quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "%llu events\n", (unsigned long long)ctx.seen);
	rc = CTL_OK;
out:
	ring_buffer__free(rb);
	ew_maps_close(&m);
	return rc;
}
