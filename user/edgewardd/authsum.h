/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The auth logs' events on the audit trail: one "auth_log_summary" record
 * per window (a minute) instead of one fsynced record per line, so that a
 * brute force of thousands of attempts a second costs the journal one
 * record a minute while the response rules still see every line.
 *
 * A window counts events by type and by service, and per source address
 * the events and up to AUTHSUM_USERS distinct user names tried. At most
 * max_sources sources are kept (a spoofed flood cannot grow it); events of
 * sources beyond that are counted as "other_sources_events". The summary
 * lists the AUTHSUM_TOP sources with the most events.
 */
#ifndef EWD_AUTHSUM_H
#define EWD_AUTHSUM_H

#include <stddef.h>

#include <jansson.h>

#include "authlog.h"

#define AUTHSUM_USERS	5
#define AUTHSUM_TOP	10

struct authsum;

/* NULL on no memory. max_sources 0: 4096. */
struct authsum *authsum_new(size_t max_sources);
void authsum_free(struct authsum *s);

void authsum_add(struct authsum *s, const struct authlog_hit *hit);

/*
 * The window's summary, for the record's details, and a new window:
 * {"window_s", "events", "by_type": {NAME: n}, "by_service": {NAME: n},
 *  "sources", "other_sources_events", "top_sources": [{"source", "events",
 *  "users": [...]}]}. NULL when the window had no event (or no memory).
 */
json_t *authsum_take(struct authsum *s, unsigned int window_s);

#endif
