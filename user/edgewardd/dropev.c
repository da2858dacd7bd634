// SPDX-License-Identifier: GPL-2.0-only
/* Drop events from the XDP ring buffer: counters and per-window summaries; see dropev.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <event2/event.h>

#include "dropev.h"
#include "log.h"
#include "parse.h"

/*
 * Sources seen in the current window: an open-addressed table of a fixed
 * size, so a flood of spoofed sources costs bounded memory. When it is full,
 * further new sources are only counted in `others`.
 */
#define SRC_SLOTS 4096

struct src_slot {
	uint8_t addr[16];
	uint8_t family;		/* 0 = empty */
	uint32_t count;
	uint32_t reasons;	/* bit per reason (reasons < 32) */
};

struct dropev {
	struct ring_buffer *rb;
	struct event *rd, *tick;
	dropev_summary_fn fn;
	void *arg;
	unsigned int window_s;
	struct dropev_stats st;
	/* the current window */
	uint64_t w_events, w_suppressed, w_others;
	uint64_t w_reason[EW_R_MAX];
	size_t w_used;
	struct src_slot slot[SRC_SLOTS];
};

static uint32_t src_hash(const uint8_t *a, uint8_t family)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < (family == 4 ? 4 : 16); i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

static void src_count(struct dropev *d, const struct ew_event *e)
{
	uint32_t h = src_hash(e->saddr, e->family);
	size_t i, n = e->family == 4 ? 4 : 16;

	for (i = 0; i < SRC_SLOTS; i++) {
		struct src_slot *s = &d->slot[(h + i) & (SRC_SLOTS - 1)];

		if (!s->family) {
			/* Keep a quarter free so that probes stay short. */
			if (d->w_used >= SRC_SLOTS * 3 / 4)
				break;
			memcpy(s->addr, e->saddr, n);
			s->family = e->family;
			d->w_used++;
		} else if (s->family != e->family || memcmp(s->addr, e->saddr, n)) {
			continue;
		}
		s->count++;
		if (e->reason < 32)
			s->reasons |= 1u << e->reason;
		return;
	}
	d->w_others++;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct dropev *d = ctx;
	const struct ew_event *e = data;

	if (size < sizeof(*e))
		return 0;
	d->st.events++;
	d->w_events++;
	d->st.suppressed += e->sample_drops;
	d->w_suppressed += e->sample_drops;
	if (e->reason < EW_R_MAX) {
		d->st.by_reason[e->reason]++;
		d->w_reason[e->reason]++;
	}
	if (e->family == 4 || e->family == 6)
		src_count(d, e);
	return 0;
}

static int slot_cmp(const void *a, const void *b)
{
	const struct src_slot *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return 0;
}

static void flush_window(struct dropev *d)
{
	json_t *o, *by, *top;
	char buf[INET6_ADDRSTRLEN];
	size_t i, n = 0;

	if (!d->w_events)
		return;
	o = json_object();
	by = json_object();
	top = json_array();
	for (i = 0; i < EW_R_MAX; i++)
		if (d->w_reason[i])
			json_object_set_new(by, ew_reason_name(i), json_integer(d->w_reason[i]));
	/* Compact the used slots to the front and sort them by count. */
	for (i = 0; i < SRC_SLOTS; i++)
		if (d->slot[i].family)
			d->slot[n++] = d->slot[i];
	qsort(d->slot, n, sizeof(d->slot[0]), slot_cmp);
	for (i = 0; i < n && i < DROPEV_TOP; i++) {
		const struct src_slot *s = &d->slot[i];
		json_t *t = json_object(), *rs = json_array();

		inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->addr, buf, sizeof(buf));
		for (int r = 0; r < 32; r++)
			if (s->reasons & (1u << r))
				json_array_append_new(rs, json_string(ew_reason_name(r)));
		json_object_set_new(t, "source", json_string(buf));
		json_object_set_new(t, "events", json_integer(s->count));
		json_object_set_new(t, "reasons", rs);
		json_array_append_new(top, t);
	}
	json_object_set_new(o, "window_s", json_integer(d->window_s));
	json_object_set_new(o, "events", json_integer(d->w_events));
	json_object_set_new(o, "suppressed", json_integer(d->w_suppressed));
	json_object_set_new(o, "sources", json_integer(n + d->w_others));
	json_object_set_new(o, "by_reason", by);
	json_object_set_new(o, "top_sources", top);
	if (d->fn)
		d->fn(o, d->arg);
	json_decref(o);
	memset(d->slot, 0, sizeof(d->slot));
	memset(d->w_reason, 0, sizeof(d->w_reason));
	d->w_used = 0;
	d->w_events = d->w_suppressed = d->w_others = 0;
}

int dropev_poll(struct dropev *d)
{
	int r = ring_buffer__consume(d->rb);

	return r < 0 ? r : 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct dropev *d = arg;
	int r;

	(void)fd;
	(void)what;
	r = dropev_poll(d);
	if (r)
		log_warnx("dropev: reading the ring buffer: %s", strerror(-r));
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_window(arg);
}

struct dropev *dropev_new(struct event_base *base, int ring_fd, unsigned int window_s,
			  dropev_summary_fn fn, void *arg)
{
	struct dropev *d = calloc(1, sizeof(*d));
	struct timeval tv = { .tv_sec = window_s ? window_s : 60 };

	if (!d)
		return NULL;
	d->fn = fn;
	d->arg = arg;
	d->window_s = (unsigned int)tv.tv_sec;
	d->rb = ring_buffer__new(ring_fd, on_event, d, NULL);
	if (!d->rb) {
		log_warn("dropev: ring_buffer__new");
		goto fail;
	}
	/* The ring buffer's epoll fd becomes readable when records arrive. */
	d->rd = event_new(base, ring_buffer__epoll_fd(d->rb), EV_READ | EV_PERSIST, on_readable, d);
	d->tick = event_new(base, -1, EV_PERSIST, on_tick, d);
	if (!d->rd || !d->tick || event_add(d->rd, NULL) || event_add(d->tick, &tv)) {
		log_warnx("dropev: cannot register with the event loop");
		goto fail;
	}
	return d;
fail:
	dropev_free(d);
	return NULL;
}

void dropev_free(struct dropev *d)
{
	if (!d)
		return;
	if (d->rb)
		ring_buffer__consume(d->rb);
	flush_window(d);
	if (d->rd)
		event_free(d->rd);
	if (d->tick)
		event_free(d->tick);
	ring_buffer__free(d->rb);
	free(d);
}

void dropev_stats(const struct dropev *d, struct dropev_stats *out)
{
	*out = d->st;
}
