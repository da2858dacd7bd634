// SPDX-License-Identifier: GPL-2.0-only
/* Prometheus text exposition of edgewardd; see metrics.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dropev.h"
#include "ewd.h"
#include "api.h"
#include "fleet.h"
#include "http.h"
#include "journal.h"
#include "metrics.h"
#include "parse.h"
#include "pgship.h"

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Counting the rules walks both rules maps (a quarter second at 1M rules),
 * and the loop serves nobody meanwhile: scrapes reuse a count up to
 * FILL_MAX_AGE_S old.
 */
#define FILL_MAX_AGE_S 10

static int fill_cached(struct ewd *d, size_t *n4, size_t *n6)
{
	static size_t c4, c6;
	static time_t at;
	time_t now = time(NULL);
	int r;

	if (at && now - at < FILL_MAX_AGE_S && now >= at) {
		*n4 = c4;
		*n6 = c6;
		return 0;
	}
	r = bl_count(&d->maps, &c4, &c6);
	if (r)
		return r;
	at = now;
	*n4 = c4;
	*n6 = c6;
	return 0;
}

char *metrics_render(struct ewd *d, size_t *len)
{
	static const char *const login_names[EWD_LOGIN_MAX] = { "success", "failure", "mfa_required",
								 "password_expired" };
	struct ew_counter c[EW_R_MAX];
	struct http_stats hs;
	struct dropev_stats ds;
	char *buf = NULL;
	size_t n4 = 0, n6 = 0;
	FILE *f = open_memstream(&buf, len);
	int i;

	if (!f)
		return NULL;
	if (d->maps_open && !stats_read(&d->maps, c)) {
		head(f, "edgeward_packets_total", "counter",
		     "Packets seen by the XDP filter, by verdict reason.");
		for (i = 0; i < EW_R_MAX; i++)
			if (strncmp(ew_reason_name(i), "reason-", 7))
				fprintf(f, "edgeward_packets_total{reason=\"%s\"} %llu\n",
					ew_reason_name(i), (unsigned long long)c[i].packets);
		head(f, "edgeward_bytes_total", "counter",
		     "Bytes seen by the XDP filter, by verdict reason.");
		for (i = 0; i < EW_R_MAX; i++)
			if (strncmp(ew_reason_name(i), "reason-", 7))
				fprintf(f, "edgeward_bytes_total{reason=\"%s\"} %llu\n",
					ew_reason_name(i), (unsigned long long)c[i].bytes);
	}
	if (d->maps_open && !fill_cached(d, &n4, &n6)) {
		head(f, "edgeward_blocklist_entries", "gauge",
		     "Blocklist rules in the kernel map (counted at most every 10 s).");
		fprintf(f, "edgeward_blocklist_entries{family=\"ipv4\"} %zu\n", n4);
		fprintf(f, "edgeward_blocklist_entries{family=\"ipv6\"} %zu\n", n6);
		head(f, "edgeward_blocklist_capacity", "gauge", "Blocklist rules the map can hold.");
		fprintf(f, "edgeward_blocklist_capacity{family=\"ipv4\"} %u\n", EW_BL4_MAX);
		fprintf(f, "edgeward_blocklist_capacity{family=\"ipv6\"} %u\n", EW_BL6_MAX);
	}
	if (d->drops) {
		dropev_stats(d->drops, &ds);
		head(f, "edgeward_drop_events_total", "counter",
		     "Sampled drop events read from the ring buffer.");
		fprintf(f, "edgeward_drop_events_total %llu\n", (unsigned long long)ds.events);
		head(f, "edgeward_drop_events_suppressed_total", "counter",
		     "Drop events the kernel's per-second cap suppressed.");
		fprintf(f, "edgeward_drop_events_suppressed_total %llu\n",
			(unsigned long long)ds.suppressed);
	}
	if (d->api) {
		http_server_stats(d->api, &hs);
		head(f, "edgeward_api_requests_total", "counter", "API answers by HTTP status.");
		for (i = 100; i < HTTP_STATUS_MAX; i++)
			if (hs.by_status[i])
				fprintf(f, "edgeward_api_requests_total{code=\"%d\"} %llu\n", i,
					(unsigned long long)hs.by_status[i]);
		head(f, "edgeward_api_connections", "gauge", "Open API connections.");
		fprintf(f, "edgeward_api_connections %llu\n", (unsigned long long)hs.conns_open);
		head(f, "edgeward_api_connections_refused_total", "counter",
		     "API connections refused (over the caps, or a Unix peer not allowed).");
		fprintf(f, "edgeward_api_connections_refused_total %llu\n",
			(unsigned long long)(hs.conns_refused + hs.conns_refused_peercred));
		head(f, "edgeward_api_rate_limited_total", "counter", "API answers 429.");
		fprintf(f, "edgeward_api_rate_limited_total %llu\n",
			(unsigned long long)hs.rate_limited);
		head(f, "edgeward_api_timeouts_total", "counter",
		     "API connections closed for being too slow.");
		fprintf(f, "edgeward_api_timeouts_total %llu\n",
			(unsigned long long)(hs.timeouts_handshake + hs.timeouts_header +
					     hs.timeouts_body + hs.timeouts_write));
	}
	if (d->fleet) {
		struct fleet_stats fs;

		fleet_stats(d->fleet, &fs);
		head(f, "edgeward_fleet_connected", "gauge", "1 while LISTENing for fleet blocks.");
		fprintf(f, "edgeward_fleet_connected %d\n", fs.connected ? 1 : 0);
		head(f, "edgeward_fleet_applied_total", "counter",
		     "Kernel rules added, updated or removed from the fleet blocklist.");
		fprintf(f, "edgeward_fleet_applied_total %llu\n", (unsigned long long)fs.applied);
		head(f, "edgeward_fleet_resyncs_total", "counter", "Full resynchronisations.");
		fprintf(f, "edgeward_fleet_resyncs_total %llu\n", (unsigned long long)fs.resyncs);
		head(f, "edgeward_fleet_errors_total", "counter",
		     "Failed queries, kernel writes and lost connections.");
		fprintf(f, "edgeward_fleet_errors_total %llu\n", (unsigned long long)fs.errors);
		head(f, "edgeward_fleet_events_total", "counter",
		     "Application security events handed to the response rules.");
		fprintf(f, "edgeward_fleet_events_total %llu\n", (unsigned long long)fs.events);
		head(f, "edgeward_db_states_total", "counter",
		     "Roles and response rules read from the database.");
		fprintf(f, "edgeward_db_states_total %llu\n", (unsigned long long)fs.states);
		head(f, "edgeward_api_waited_for_db_total", "counter",
		     "Requests that waited for roles the database had just changed.");
		fprintf(f, "edgeward_api_waited_for_db_total %llu\n",
			(unsigned long long)api_parked_total());
		head(f, "edgeward_db_state_errors_total", "counter",
		     "Reads of roles and rules that failed (the previous ones stand).");
		fprintf(f, "edgeward_db_state_errors_total %llu\n",
			(unsigned long long)fs.state_errors);
		head(f, "edgeward_notifications_queued_total", "counter",
		     "Rows written to notifications.queue.");
		fprintf(f, "edgeward_notifications_queued_total %llu\n",
			(unsigned long long)fs.notified);
		head(f, "edgeward_response_actions_db_total", "counter",
		     "Response actions carried out on application state in the database.");
		fprintf(f, "edgeward_response_actions_db_total %llu\n", (unsigned long long)fs.acted);
		head(f, "edgeward_notifications_dropped_total", "counter",
		     "Notifications or actions not written: queue full or refused by the database.");
		fprintf(f, "edgeward_notifications_dropped_total %llu\n",
			(unsigned long long)fs.notify_dropped);
	}
	head(f, "edgeward_logins_total", "counter", "Login attempts by result.");
	for (i = 0; i < EWD_LOGIN_MAX; i++)
		fprintf(f, "edgeward_logins_total{result=\"%s\"} %llu\n", login_names[i],
			(unsigned long long)d->logins[i]);
	if (d->journal) {
		head(f, "edgeward_journal_last_seq", "gauge", "Sequence number of the last record.");
		fprintf(f, "edgeward_journal_last_seq %llu\n",
			(unsigned long long)jr_last_seq(d->journal));
		head(f, "edgeward_journal_bytes", "gauge", "Size of the audit journal.");
		fprintf(f, "edgeward_journal_bytes %lld\n", (long long)jr_size(d->journal));
		/* Records not yet shipped to a database; without one there is nowhere to ship. */
		struct pgship_stats ps = { 0 };

		if (d->ship)
			pgship_stats(d->ship, &ps);
		head(f, "edgeward_journal_lag_records", "gauge",
		     "Journal records not yet in PostgreSQL (0 without a database).");
		fprintf(f, "edgeward_journal_lag_records %llu\n", (unsigned long long)ps.lag_records);
		head(f, "edgeward_journal_lag_seconds", "gauge",
		     "Age of the oldest record not yet in PostgreSQL.");
		fprintf(f, "edgeward_journal_lag_seconds %.3f\n", ps.lag_seconds);
		head(f, "edgeward_audit_shipped_total", "counter", "Records shipped to PostgreSQL.");
		fprintf(f, "edgeward_audit_shipped_total %llu\n", (unsigned long long)ps.shipped);
		head(f, "edgeward_audit_ship_connected", "gauge", "1 while connected to PostgreSQL.");
		fprintf(f, "edgeward_audit_ship_connected %d\n", ps.connected ? 1 : 0);
		head(f, "edgeward_journal_errors", "gauge",
		     "Appends that failed since the last good one (non-zero: changes refused).");
		fprintf(f, "edgeward_journal_errors %llu\n",
			(unsigned long long)d->journal_errors);
		head(f, "edgeward_journal_refusals_total", "counter",
		     "Changes refused because the journal's file system had too little room.");
		fprintf(f, "edgeward_journal_refusals_total %llu\n",
			(unsigned long long)d->journal_refusals);
	}
	head(f, "edgeward_config_reloads_total", "counter", "Config reloads by result.");
	fprintf(f, "edgeward_config_reloads_total{result=\"success\"} %llu\n",
		(unsigned long long)d->reloads_ok);
	fprintf(f, "edgeward_config_reloads_total{result=\"failure\"} %llu\n",
		(unsigned long long)d->reloads_failed);
	head(f, "edgeward_start_time_seconds", "gauge", "When the daemon started (Unix time).");
	fprintf(f, "edgeward_start_time_seconds %lld\n", (long long)d->started);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
