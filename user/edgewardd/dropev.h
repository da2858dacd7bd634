/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The XDP program's drop events, read from its ring buffer inside the event
 * loop: counted per reason for the metrics, and aggregated per source over
 * a window so that the audit journal gets one bounded summary per window
 * ("drops aggregated") however hard the filter is flooded.
 */
#ifndef EWD_DROPEV_H
#define EWD_DROPEV_H

#include <stdint.h>
#include <jansson.h>

#include "edgeward/abi.h"

struct event_base;
struct dropev;

#define DROPEV_TOP 10		/* sources listed per summary */

/* Called once per window with a summary (borrowed), only when there were events. */
typedef void (*dropev_summary_fn)(json_t *summary, void *arg);

/* ring_fd: the pinned ew_events map. window_s: summary period. */
struct dropev *dropev_new(struct event_base *base, int ring_fd, unsigned int window_s,
			  dropev_summary_fn fn, void *arg);
void dropev_free(struct dropev *d);

struct dropev_stats {
	uint64_t events;			/* events read */
	uint64_t suppressed;			/* events the kernel's cap suppressed, as reported */
	uint64_t by_reason[EW_R_MAX];
};
void dropev_stats(const struct dropev *d, struct dropev_stats *out);

/* Read what is there now (the loop does this on its own; tests and shutdown call it). */
int dropev_poll(struct dropev *d);

#endif
