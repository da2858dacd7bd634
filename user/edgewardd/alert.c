// SPDX-License-Identifier: GPL-2.0-only
/*
 * Security alerts: syslog, the SIEM webhook on libcurl's multi interface
 * inside the libevent loop (the socket/timer callback pattern of curl's
 * hiperfifo example), retries with backoff, and the notification hook;
 * see alert.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "alert.h"
#include "journal.h"
#include "log.h"
#include "ops.h"

struct delivery {
	struct delivery *prev, *next;	/* a->head: oldest first */
	struct alert *a;
	char *body;
	size_t len;
	char *message;			/* for the audit record of a give-up */
	enum alert_level level;
	unsigned int tries;		/* started so far */
	CURL *easy;			/* while in flight */
	struct event *retry;		/* while waiting for the next try */
	char why[CURL_ERROR_SIZE + 64];	/* the last failure */
	char errbuf[CURL_ERROR_SIZE];
};

/* One per socket curl watches. */
struct sock {
	struct event *ev;
};

struct alert {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	bool syslog;
	char *url, *url_shown, *auth_header;
	uint32_t timeout_s, retries;
	struct curl_slist *hdrs;
	struct alert_ops ops;
	void *arg;
	struct delivery *head, *tail;
	unsigned int pending;
	int running;
	char host[256];
	struct alert_stats st;
};

const char *alert_level_name(int level)
{
	static const char *const names[] = { "info", "warning", "high", "critical" };

	return level >= 0 && level <= ALERT_CRITICAL ? names[level] : "high";
}

/* ---- audit ---- */

static void audit_give_up(struct alert *a, const struct delivery *d, const char *why)
{
	json_t *rec;
	int r;

	a->st.webhook_failed++;
	/* Each one is audited; the log says the first ten, then every hundredth. */
	if (a->st.webhook_failed <= 10 || a->st.webhook_failed % 100 == 0)
		log_warnx("alert: webhook %s: giving up after %u %s: %s (%llu given up so far)",
			  a->url_shown, d->tries, d->tries == 1 ? "try" : "tries", why,
			  (unsigned long long)a->st.webhook_failed);
	if (!a->ops.audit)
		return;
	rec = jr_event("alert_undelivered", "edgewardd", NULL, a->url_shown, "webhook",
		       "failure", 0);
	if (!rec)
		return;
	json_object_del(rec, "risk");
	json_object_set_new(json_object_get(rec, "details"), "why", ops_jstr(why));
	json_object_set_new(json_object_get(rec, "details"), "tries", json_integer(d->tries));
	json_object_set_new(json_object_get(rec, "details"), "severity",
			    json_string(alert_level_name(d->level)));
	json_object_set_new(json_object_get(rec, "details"), "message", ops_jstr(d->message));
	r = a->ops.audit(a->arg, rec);
	if (r)
		log_warnx("alert: the failed delivery was not audited: %s", strerror(-r));
	json_decref(rec);
}

/* ---- deliveries ---- */

static void delivery_unlink(struct alert *a, struct delivery *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		a->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		a->tail = d->prev;
	a->pending--;
}

static void delivery_free(struct alert *a, struct delivery *d)
{
	delivery_unlink(a, d);
	if (d->easy) {
		curl_multi_remove_handle(a->multi, d->easy);
		curl_easy_cleanup(d->easy);
	}
	if (d->retry)
		event_free(d->retry);
	free(d->body);
	free(d->message);
	free(d);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int delivery_start(struct delivery *d)
{
	struct alert *a = d->a;
	CURL *e = curl_easy_init();
	CURLMcode mc;

	if (!e)
		return -ENOMEM;
	d->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, a->url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)d->len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->hdrs);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)a->timeout_s * 1000);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)a->timeout_s * 1000);
	/* No signals (the daemon's own handlers), no redirects, no other protocols. */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "edgewardd");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, d->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, d);
	mc = curl_multi_add_handle(a->multi, e);
	if (mc != CURLM_OK) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	d->easy = e;
	d->tries++;
	return 0;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;
	int r;

	(void)fd;
	(void)what;
	d->a->st.webhook_retries++;
	r = delivery_start(d);
	if (r) {
		audit_give_up(d->a, d, "cannot start a request: out of memory");
		delivery_free(d->a, d);
	}
}

/* A try ended: done, or wait and try again, or give up. */
static void delivery_done(struct alert *a, struct delivery *d, CURLcode res, long status)
{
	struct timeval tv = { 0 };
	unsigned int shift;

	curl_multi_remove_handle(a->multi, d->easy);
	curl_easy_cleanup(d->easy);
	d->easy = NULL;
	if (res == CURLE_OK && status >= 200 && status < 300) {
		a->st.webhook_ok++;
		delivery_free(a, d);
		return;
	}
	if (res != CURLE_OK)
		snprintf(d->why, sizeof(d->why), "%s", d->errbuf[0] ? d->errbuf :
							curl_easy_strerror(res));
	else
		snprintf(d->why, sizeof(d->why), "HTTP status %ld", status);
	if (d->tries > a->retries) {
		audit_give_up(a, d, d->why);
		delivery_free(a, d);
		return;
	}
	shift = d->tries - 1 < 6 ? d->tries - 1 : 6;
	tv.tv_sec = (1 << shift) < ALERT_BACKOFF_MAX_S ? 1 << shift : ALERT_BACKOFF_MAX_S;
	if (!d->retry)
		d->retry = evtimer_new(a->base, on_retry, d);
	if (!d->retry || evtimer_add(d->retry, &tv)) {
		audit_give_up(a, d, "cannot schedule a retry");
		delivery_free(a, d);
		return;
	}
	log_info("alert: webhook %s: %s; try %u of %u in %lds", a->url_shown, d->why,
		 d->tries + 1, a->retries + 1, (long)tv.tv_sec);
}

static void check_done(struct alert *a)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(a->multi, &left))) {
		struct delivery *d = NULL;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (d)
			delivery_done(a, d, msg->data.result, status);
	}
}

/* ---- curl in the loop ---- */

static void on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct alert *a = arg;
	int action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(a->multi, fd, action, &a->running);
	check_done(a);
	if (a->running <= 0)
		evtimer_del(a->timer);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct alert *a = arg;

	(void)fd;
	(void)what;
	curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &a->running);
	check_done(a);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct alert *a = userp;
	struct sock *sk = socketp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (sk) {
			event_free(sk->ev);
			free(sk);
			curl_multi_assign(a->multi, s, NULL);
		}
		return 0;
	}
	kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) |
		       EV_PERSIST);
	if (!sk) {
		sk = calloc(1, sizeof(*sk));
		if (!sk)
			return -1;
		curl_multi_assign(a->multi, s, sk);
	} else {
		event_free(sk->ev);
	}
	sk->ev = event_new(a->base, s, kind, on_sock, a);
	if (!sk->ev || event_add(sk->ev, NULL)) {
		log_warnx("alert: cannot watch a webhook socket");
		return -1;
	}
	return 0;
}

/* curl asks to be called back after timeout_ms (-1: no timer); never call it from here. */
static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct alert *a = userp;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0) {
		evtimer_del(a->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(a->timer, &tv) ? -1 : 0;
}

/* ---- set-up ---- */

/* The URL for logs and records: without user:password@. */
static char *url_for_show(const char *url)
{
	const char *p = strstr(url, "://"), *at, *slash;
	char *s;

	if (!p)
		return strdup(url);
	p += 3;
	slash = strchr(p, '/');
	at = strchr(p, '@');
	if (!at || (slash && at > slash))
		return strdup(url);
	if (asprintf(&s, "%.*s%s", (int)(p - url), url, at + 1) < 0)
		return NULL;
	return s;
}

/* A bearer key goes into a header: RFC 6750's b64token characters only. */
static bool bearer_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			     "-._~+/");

	return n && strspn(s + n, "=") == strlen(s + n);
}

struct alert *alert_new(struct event_base *base, const struct alert_conf *conf,
			const struct alert_ops *ops, void *arg)
{
	static bool curl_ready;
	struct alert *a = calloc(1, sizeof(*a));
	struct curl_slist *h;

	if (!a)
		return NULL;
	a->base = base;
	a->syslog = conf->syslog;
	a->timeout_s = conf->timeout_s ? conf->timeout_s : 10;
	a->retries = conf->retries;
	if (ops)
		a->ops = *ops;
	a->arg = arg;
	if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "unknown");
	if (!conf->url)
		return a;
	if (conf->bearer && !bearer_ok(conf->bearer)) {
		log_warnx("alert: the webhook's bearer key has characters a header cannot carry");
		goto fail;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			log_warnx("alert: curl_global_init failed");
			goto fail;
		}
		curl_ready = true;
	}
	a->url = strdup(conf->url);
	a->url_shown = url_for_show(conf->url);
	if (!a->url || !a->url_shown)
		goto fail;
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (!h)
		goto fail;
	a->hdrs = h;
	/* "Expect: 100-continue" would cost a round trip per alert. */
	h = curl_slist_append(a->hdrs, "Expect:");
	if (!h)
		goto fail;
	a->hdrs = h;
	if (conf->bearer) {
		if (asprintf(&a->auth_header, "Authorization: Bearer %s", conf->bearer) < 0) {
			a->auth_header = NULL;
			goto fail;
		}
		h = curl_slist_append(a->hdrs, a->auth_header);
		if (!h)
			goto fail;
		a->hdrs = h;
	}
	a->multi = curl_multi_init();
	a->timer = evtimer_new(base, on_timeout, a);
	if (!a->multi || !a->timer)
		goto fail;
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	/* A flood of alerts queues inside curl instead of opening a connection each. */
	curl_multi_setopt(a->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)ALERT_CONNS_MAX);
	return a;
fail:
	alert_free(a);
	return NULL;
}

/* At shutdown: one record for everything still waiting, not one fsync each. */
static void abandon_all(struct alert *a)
{
	json_t *rec, *msgs;
	unsigned int n = a->pending;
	int r;

	if (!n)
		return;
	a->st.webhook_failed += n;
	log_warnx("alert: webhook %s: %u alert%s not delivered before the stop", a->url_shown, n,
		  n == 1 ? "" : "s");
	rec = a->ops.audit ? jr_event("alert_undelivered", "edgewardd", NULL, a->url_shown,
				      "webhook", "failure", 0) :
			     NULL;
	msgs = json_array();
	for (struct delivery *d = a->head; d && json_array_size(msgs) < 10; d = d->next)
		json_array_append_new(msgs, ops_jstr(d->message));
	if (rec) {
		json_t *det = json_object_get(rec, "details");

		json_object_del(rec, "risk");
		json_object_set_new(det, "why", json_string("the daemon stopped"));
		json_object_set_new(det, "abandoned", json_integer(n));
		json_object_set_new(det, "messages", json_incref(msgs));
		r = a->ops.audit(a->arg, rec);
		if (r)
			log_warnx("alert: the abandoned deliveries were not audited: %s",
				  strerror(-r));
	}
	json_decref(msgs);
	json_decref(rec);
}

void alert_free(struct alert *a)
{
	if (!a)
		return;
	abandon_all(a);
	while (a->head)
		delivery_free(a, a->head);
	if (a->multi)
		curl_multi_cleanup(a->multi);
	if (a->timer)
		event_free(a->timer);
	curl_slist_free_all(a->hdrs);
	if (a->auth_header) {
		explicit_bzero(a->auth_header, strlen(a->auth_header));
		free(a->auth_header);
	}
	free(a->url);
	free(a->url_shown);
	free(a);
}

/* ---- sending ---- */

/* For syslog: control characters as \xNN, cut at ALERT_TEXT_MAX. */
static void clean_text(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static int queue_webhook(struct alert *a, enum alert_level level, const char *recipient,
			 const char *text, json_t *details)
{
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	struct delivery *d, *w;
	json_t *body;
	int r;

	if (a->pending >= ALERT_QUEUE_MAX) {
		/* Give up the oldest that waits for a retry; new alerts matter more. */
		for (w = a->head; w && w->easy; w = w->next)
			;
		if (!w) {
			struct delivery tmp = { .level = level, .message = (char *)text };

			audit_give_up(a, &tmp, "too many alerts waiting for the webhook");
			return 0;
		}
		audit_give_up(a, w, "too many alerts waiting for the webhook");
		delivery_free(a, w);
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	body = json_object();
	d = calloc(1, sizeof(*d));
	if (!body || !d) {
		json_decref(body);
		free(d);
		return -ENOMEM;
	}
	json_object_set_new(body, "timestamp", json_string(ts));
	json_object_set_new(body, "severity", json_string(alert_level_name(level)));
	json_object_set_new(body, "message", ops_jstr(text));
	json_object_set_new(body, "source", ops_jstr(a->host));
	json_object_set_new(body, "recipient", recipient ? ops_jstr(recipient) : json_null());
	json_object_set_new(body, "details", details ? json_incref(details) : json_object());
	d->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	d->message = strdup(text);
	d->a = a;
	d->level = level;
	if (!d->body || !d->message) {
		free(d->body);
		free(d->message);
		free(d);
		return -ENOMEM;
	}
	d->len = strlen(d->body);
	d->prev = a->tail;
	if (a->tail)
		a->tail->next = d;
	else
		a->head = d;
	a->tail = d;
	a->pending++;
	r = delivery_start(d);
	if (r) {
		audit_give_up(a, d, "cannot start a request: out of memory");
		delivery_free(a, d);
	}
	return r;
}

int alert_send(struct alert *a, enum alert_level level, const char *recipient, const char *text,
	       json_t *details)
{
	char clean[ALERT_TEXT_MAX + 8];
	int prio = level >= ALERT_HIGH ? LOG_CRIT : level == ALERT_WARNING ? LOG_WARNING : LOG_INFO;
	int r = 0;

	a->st.sent++;
	clean_text(text ? text : "", clean, sizeof(clean));
	if (a->syslog)
		syslog(LOG_AUTH | prio, "SECURITY_ALERT: %s", clean);
	if (a->url)
		r = queue_webhook(a, level, recipient, clean, details);
	if (recipient && a->ops.notify) {
		int n = a->ops.notify(a->arg, recipient, "Security Alert", clean, details);

		if (n) {
			a->st.notify_errors++;
			log_warnx("alert: notification for %s not queued: %s", recipient,
				  strerror(-n));
		}
	}
	return r;
}

int alert_audit_record(struct alert *a, const json_t *rec, unsigned int threshold)
{
	json_int_t risk = json_integer_value(json_object_get(rec, "risk"));
	char q[6][EW_QUOTE_LEN], text[sizeof(q) + 128];
	const char *f[6] = { "type", "actor", "source", "action", "resource", "result" };
	json_t *copy;

	if (!json_is_integer(json_object_get(rec, "risk")) || risk <= (json_int_t)threshold)
		return 0;
	for (int i = 0; i < 6; i++) {
		const char *s = json_string_value(json_object_get(rec, f[i]));

		/* Quoted: an attacker's user name must not look like the rest of the line. */
		if (s && i == 1)
			ew_quote(s, q[i], sizeof(q[i]));
		else
			snprintf(q[i], sizeof(q[i]), "%s", s ? s : "?");
	}
	snprintf(text, sizeof(text), "%s by %s from %s: %s %s (%s), risk %lld, event %s", q[0],
		 q[1], q[2], q[3], q[4], q[5], (long long)risk,
		 json_string_value(json_object_get(rec, "id")) ?: "?");
	copy = json_deep_copy(rec);
	alert_send(a, ALERT_HIGH, NULL, text, copy);
	json_decref(copy);
	return 1;
}

void alert_stats(const struct alert *a, struct alert_stats *out)
{
	*out = a->st;
	out->pending = a->pending;
}
