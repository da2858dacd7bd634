// SPDX-License-Identifier: GPL-2.0-only
/*
 * fleet_driver: the fleet module alone in an event loop, as one edgewardd
 * of a test fleet (tests/integration/test_fleet.sh runs three). It loads the
 * XDP object into its own pin directory (no interface is needed: the maps
 * are what the fleet writes), opens the maps for writing and runs
 * fleet_new on them. Commands arrive one per line on a FIFO:
 *
 *   publish CIDR TTL_S REASON...   as the response engine would: the local
 *                                  kernel first (origin auto; TTL_S 0 =
 *                                  permanent), then fleet_publish
 *   burst N RATE FIRST_IPV4        publish N /32s from FIRST_IPV4 on, RATE a
 *                                  second, 1 h each
 *   resync                         fleet_resync
 *   stats PATH                     write fleet_stats as JSON to PATH (atomically)
 *   quit
 *
 * The log file gets one line per happening, with CLOCK_REALTIME stamps (ns)
 * so that drivers on one host can be compared:
 *   pub CIDR NS | add CIDR NS EXPIRES_NS | del CIDR NS | event JSON | audit JSON
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <event2/event.h>

#include "fleet.h"
#include "log.h"
#include "maps.h"
#include "parse.h"

struct driver {
	struct event_base *base;
	struct ew_maps maps;
	struct fleet *fleet;
	FILE *log;
	int ctl_fd;
	struct event *ev_ctl, *ev_burst, *ev_term, *ev_int;
	char buf[8192];
	size_t len;
	/* burst */
	uint32_t next_ip;	/* host order */
	unsigned int left;
	uint64_t published;
};

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_audit(void *arg, json_t *rec)
{
	struct driver *d = arg;
	char *s = json_dumps(rec, JSON_COMPACT);

	fprintf(d->log, "audit %s\n", s ? s : "?");
	free(s);
}

static void on_event(void *arg, json_t *ev)
{
	struct driver *d = arg;
	char *s = json_dumps(ev, JSON_COMPACT);

	fprintf(d->log, "event %s\n", s ? s : "?");
	free(s);
}

static void on_changed(void *arg, const struct ew_cidr *c, uint64_t expires_ns, bool blocked)
{
	struct driver *d = arg;
	char s[EW_CIDR_STRLEN];

	ew_cidr_format(c, s, sizeof(s));
	if (blocked)
		fprintf(d->log, "add %s %" PRIu64 " %" PRIu64 "\n", s, real_ns(), expires_ns);
	else
		fprintf(d->log, "del %s %" PRIu64 "\n", s, real_ns());
}

/* What the response engine does: its own kernel first, then the fleet. */
static int publish(struct driver *d, const struct ew_cidr *c, uint64_t ttl_s, const char *reason)
{
	struct ew_bl_entry e = { .cidr = *c, .origin = EW_ORIGIN_AUTO };
	char s[EW_CIDR_STRLEN];
	int r;

	e.expires_ns = ttl_s ? ew_boot_ns() + ttl_s * 1000000000ULL : 0;
	fleet_reason_copy(e.reason, reason);
	r = ew_maps_lock(&d->maps);
	if (!r) {
		r = bl_add(&d->maps, &e);
		ew_maps_unlock(&d->maps);
	}
	if (r) {
		log_warnx("driver: local block failed: %s", strerror(-r));
		return r;
	}
	ew_cidr_format(c, s, sizeof(s));
	fprintf(d->log, "pub %s %" PRIu64 "\n", s, real_ns());
	r = fleet_publish(d->fleet, c, ttl_s ? (int64_t)time(NULL) + (int64_t)ttl_s : 0, reason);
	if (r)
		log_warnx("driver: fleet_publish %s: %s", s, strerror(-r));
	else
		d->published++;
	return r;
}

static void on_burst(evutil_socket_t fd, short what, void *arg)
{
	struct driver *d = arg;
	struct ew_cidr c = { .family = 4, .plen = 32 };
	uint32_t be = htonl(d->next_ip++);

	(void)fd;
	(void)what;
	memcpy(c.addr, &be, 4);
	publish(d, &c, 3600, "fleet latency test");
	if (--d->left == 0)
		event_del(d->ev_burst);
}

static int write_stats(struct driver *d, const char *path)
{
	struct fleet_stats st;
	char tmp[4096];
	json_t *j;
	int r;

	fleet_stats(d->fleet, &st);
	j = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "connected", st.connected, "connects", (json_int_t)st.connects,
		      "disconnects", (json_int_t)st.disconnects, "notifications",
		      (json_int_t)st.notifications, "ignored", (json_int_t)st.ignored, "resyncs",
		      (json_int_t)st.resyncs, "applied", (json_int_t)st.applied, "published",
		      (json_int_t)st.published, "publish_dropped", (json_int_t)st.publish_dropped,
		      "events", (json_int_t)st.events, "events_dropped",
		      (json_int_t)st.events_dropped, "errors", (json_int_t)st.errors,
		      "last_resync", (json_int_t)st.last_resync, "fleet_rules",
		      (json_int_t)st.fleet_rules, "driver_published", (json_int_t)d->published);
	if (!j)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	r = json_dump_file(j, tmp, JSON_COMPACT);
	json_decref(j);
	if (r || rename(tmp, path))
		return -EIO;
	return 0;
}

/* The next space-separated word of *p, NUL-terminated in place; NULL at the end. */
static char *word(char **p)
{
	char *w;

	while (**p == ' ')
		(*p)++;
	if (!**p)
		return NULL;
	w = *p;
	while (**p && **p != ' ')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return w;
}

static void command(struct driver *d, char *line)
{
	char *argv[4], *rest = line;
	struct ew_cidr c;
	char err[EW_ERRLEN];
	uint64_t n, rate, ttl;
	int argc = 0;

	/* Three words at most; what follows is the reason of a publish. */
	while (argc < 3 && (argv[argc] = word(&rest)))
		argc++;
	while (*rest == ' ')
		rest++;
	argv[argc < 4 ? argc : 3] = rest;
	if (*rest)
		argc++;
	if (!argc)
		return;
	if (!strcmp(argv[0], "publish") && argc >= 3) {
		if (ew_cidr_parse(argv[1], 0, &c, err, sizeof(err)) ||
		    ew_u64_parse(argv[2], 0, 100000000, &ttl, err, sizeof(err))) {
			log_warnx("driver: publish: %s", err);
			return;
		}
		publish(d, &c, ttl, argc >= 4 ? argv[3] : "");
	} else if (!strcmp(argv[0], "burst") && argc == 4) {
		struct timeval tv;
		uint32_t be;

		if (ew_u64_parse(argv[1], 1, 1000000, &n, err, sizeof(err)) ||
		    ew_u64_parse(argv[2], 1, 10000, &rate, err, sizeof(err)) ||
		    inet_pton(AF_INET, argv[3], &be) != 1) {
			log_warnx("driver: burst N RATE FIRST_IPV4");
			return;
		}
		d->next_ip = ntohl(be);
		d->left = (unsigned int)n;
		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)(1000000 / rate);
		event_add(d->ev_burst, &tv);
	} else if (!strcmp(argv[0], "resync")) {
		fleet_resync(d->fleet);
	} else if (!strcmp(argv[0], "stats") && argc == 2) {
		if (write_stats(d, argv[1]))
			log_warnx("driver: cannot write %s", argv[1]);
	} else if (!strcmp(argv[0], "quit")) {
		event_base_loopexit(d->base, NULL);
	} else {
		log_warnx("driver: unknown command %s", argv[0]);
	}
}

static void on_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct driver *d = arg;
	ssize_t n;
	char *nl;

	(void)what;
	n = read(fd, d->buf + d->len, sizeof(d->buf) - 1 - d->len);
	if (n <= 0)
		return;
	d->len += (size_t)n;
	d->buf[d->len] = '\0';
	while ((nl = memchr(d->buf, '\n', d->len))) {
		*nl = '\0';
		command(d, d->buf);
		d->len -= (size_t)(nl + 1 - d->buf);
		memmove(d->buf, nl + 1, d->len);
	}
	if (d->len == sizeof(d->buf) - 1)
		d->len = 0;	/* a line longer than the buffer: dropped */
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(((struct driver *)arg)->base, NULL);
}

static void usage(void)
{
	fprintf(stderr, "usage: fleet_driver --pin DIR --conninfo STR --node NAME --log FILE "
			"--ctl FIFO [--resync S] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin", required_argument, NULL, 'p' },
		{ "conninfo", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "log", required_argument, NULL, 'l' },
		{ "ctl", required_argument, NULL, 'f' },
		{ "resync", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 }
	};
	const char *pin = NULL, *conninfo = NULL, *node = NULL, *logp = NULL, *ctl = NULL;
	struct driver d = { .ctl_fd = -1 };
	struct fleet_conf conf = { 0 };
	struct fleet_ops ops = { .audit = on_audit, .event = on_event, .changed = on_changed };
	char err[EW_ERRLEN] = "";
	int c, verbose = 0, fd, rc = 1;
	unsigned int resync = 0;
	bool maps_open = false;

	while ((c = getopt_long(argc, argv, "p:c:n:l:f:r:v", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pin = optarg; break;
		case 'c': conninfo = optarg; break;
		case 'n': node = optarg; break;
		case 'l': logp = optarg; break;
		case 'f': ctl = optarg; break;
		case 'r': resync = (unsigned int)atoi(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (!pin || !conninfo || !node || !logp || !ctl)
		usage();
	log_init(node, 0, verbose);
	signal(SIGPIPE, SIG_IGN);
	libbpf_set_print(NULL);
	d.log = fopen(logp, "a");
	if (!d.log) {
		log_warn("driver: %s", logp);
		return 1;
	}
	setvbuf(d.log, NULL, _IOLBF, 0);
	fd = ew_load(pin, err, sizeof(err));
	if (fd < 0) {
		log_warnx("driver: cannot load the XDP object into %s: %s", pin, err);
		goto out;
	}
	close(fd);
	if (ew_maps_open(&d.maps, pin, true, err, sizeof(err))) {
		log_warnx("driver: cannot open the maps: %s", err);
		goto out;
	}
	maps_open = true;
	ew_maps_unlock(&d.maps);
	/* O_RDWR: the FIFO never reports end-of-file when a writer goes away. */
	d.ctl_fd = open(ctl, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d.ctl_fd < 0) {
		log_warn("driver: %s", ctl);
		goto out;
	}
	d.base = event_base_new();
	if (!d.base)
		goto out;
	conf.conninfo = conninfo;
	conf.node = node;
	conf.maps = &d.maps;
	conf.resync_interval_s = resync;
	d.fleet = fleet_new(d.base, &conf, &ops, &d);
	if (!d.fleet)
		goto out;
	d.ev_ctl = event_new(d.base, d.ctl_fd, EV_READ | EV_PERSIST, on_ctl, &d);
	d.ev_burst = event_new(d.base, -1, EV_PERSIST, on_burst, &d);
	d.ev_term = evsignal_new(d.base, SIGTERM, on_term, &d);
	d.ev_int = evsignal_new(d.base, SIGINT, on_term, &d);
	if (!d.ev_ctl || !d.ev_burst || !d.ev_term || !d.ev_int || event_add(d.ev_ctl, NULL) ||
	    evsignal_add(d.ev_term, NULL) || evsignal_add(d.ev_int, NULL))
		goto out;
	log_info("driver: running on %s", pin);
	rc = event_base_dispatch(d.base) < 0;
out:
	fleet_free(d.fleet);
	if (d.ev_ctl)
		event_free(d.ev_ctl);
	if (d.ev_burst)
		event_free(d.ev_burst);
	if (d.ev_term)
		event_free(d.ev_term);
	if (d.ev_int)
		event_free(d.ev_int);
	if (d.base)
		event_base_free(d.base);
	if (d.ctl_fd >= 0)
		close(d.ctl_fd);
	if (maps_open)
		ew_maps_close(&d.maps);
	fclose(d.log);
	return rc;
}
