/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prometheus text exposition (format 0.0.4) of edgewardd: packets and bytes
 * per drop reason, map fill levels, drop events read, API requests by
 * status, logins by result, journal position and lag, config reloads.
 * Served on the local metrics listener (metrics.listen in the config).
 */
#ifndef EWD_METRICS_H
#define EWD_METRICS_H

#include <stddef.h>

struct ewd;

/* A malloc'd text body (*len bytes), or NULL when out of memory. */
char *metrics_render(struct ewd *d, size_t *len);

#endif
