/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Security alerts, the guide's send_alert: one line to syslog
 * (auth.crit, "SECURITY_ALERT: ..."), a JSON POST to the SIEM's webhook
 * with a bearer key, and a row for notifications.queue through a hook.
 *
 * The webhook runs on libcurl's multi interface driven by the daemon's
 * libevent loop (curl_multi_socket_action from socket and timer events),
 * so a slow or dead SIEM never blocks the loop: alert_send queues and
 * returns. A delivery that fails (transport error, timeout, or a status
 * that is not 2xx) is retried after 1 s, 2 s, 4 s, ... (at most 60 s) up
 * to `retries` more times; when the last try fails, ops->audit gets an
 * "alert_undelivered" record (a type without "failed" in its name: the
 * risk score counts those as the actor's failures, and edgewardd's own
 * records must not raise its score into a feedback of risk alerts).
 * At most ALERT_QUEUE_MAX deliveries wait or run at once (over at most
 * ALERT_CONNS_MAX connections; curl queues the rest); beyond that the
 * oldest one waiting for a retry is given up, or else the new one
 * (audited either way), so a SIEM outage during a flood costs bounded
 * memory.
 *
 * Requests: POST url, Content-Type: application/json, Authorization:
 * Bearer KEY (when a key is configured), no redirects followed, http and
 * https only, TLS peers verified, the whole request within timeout. Body:
 *   {"timestamp": "2025-01-02T03:04:05Z", "severity": "high",
 *    "message": "...", "source": "<hostname>", "recipient": "admin" | null,
 *    "details": {...}}
 *
 * Text from attackers (user names in messages) reaches syslog with control
 * characters as \xNN, and JSON with bytes that are not UTF-8 as \xNN.
 *
 * Not thread-safe: one instance per event loop. alert_new calls
 * curl_global_init once per process (before any thread is started).
 */
#ifndef EWD_ALERT_H
#define EWD_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct event_base;
struct alert;

#define ALERT_QUEUE_MAX		256	/* deliveries waiting or in flight */
#define ALERT_CONNS_MAX		4	/* connections to the webhook at once; more queue */
#define ALERT_TEXT_MAX		1024	/* bytes of a message; longer ones are cut */
#define ALERT_BACKOFF_MAX_S	60

enum alert_level { ALERT_INFO, ALERT_WARNING, ALERT_HIGH, ALERT_CRITICAL };

/* "info", "warning", "high", "critical" */
const char *alert_level_name(int level);

struct alert_conf {
	bool syslog;		/* true */
	const char *url;	/* the webhook; NULL: none */
	const char *bearer;	/* the key; NULL: no Authorization header */
	uint32_t timeout_s;	/* per try: 10 */
	uint32_t retries;	/* tries after the first: 3 */
};

struct alert_ops {
	/* An audit record (jr_event shape, no risk): delivery failures. 0 or -errno. */
	int (*audit)(void *arg, json_t *rec);
	/*
	 * Optional: queue a notification (notifications.queue) for recipient
	 * (a role: "admin", "security_team", "data_protection_officer").
	 * Called for alerts that name a recipient. 0 or -errno.
	 */
	int (*notify)(void *arg, const char *recipient, const char *subject, const char *message,
		      json_t *details);
};

/* conf's strings are copied. NULL on error (logged). */
struct alert *alert_new(struct event_base *base, const struct alert_conf *conf,
			const struct alert_ops *ops, void *arg);
/* Deliveries still waiting are given up: one audit record counts them. */
void alert_free(struct alert *a);

/*
 * Raise one alert: syslog now (if on), the webhook queued (if any), the
 * notify hook called (if recipient). details is borrowed (may be NULL).
 * Returns 0, or -ENOMEM.
 */
int alert_send(struct alert *a, enum alert_level level, const char *recipient, const char *text,
	       json_t *details);

/*
 * The guide's rule for audit records: risk above threshold raises a
 * high alert naming type, actor, source, action, resource, result, risk
 * and id. Returns 1 when it alerted, 0 when the risk is not above.
 */
int alert_audit_record(struct alert *a, const json_t *rec, unsigned int threshold);

struct alert_stats {
	uint64_t sent;			/* alert_send calls */
	uint64_t webhook_ok;		/* deliveries that got a 2xx */
	uint64_t webhook_retries;	/* tries after a failure */
	uint64_t webhook_failed;	/* deliveries given up */
	uint64_t notify_errors;
	unsigned int pending;		/* waiting or in flight now */
};
void alert_stats(const struct alert *a, struct alert_stats *out);

#endif
