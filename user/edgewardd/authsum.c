// SPDX-License-Identifier: GPL-2.0-only
/* Auth-log events summed per window for the audit trail: see authsum.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authsum.h"
#include "respond.h"

#define SERVICES_MAX 32

struct src {
	char addr[64];
	unsigned long events;
	char users[AUTHSUM_USERS][AUTHLOG_USER_MAX + 1];
	size_t n_users;
};

/* Sources are found by a linear scan: at most max_sources, microseconds at worst. */
struct authsum {
	size_t max;
	struct src *srcs;		/* the window's sources, in order of first event */
	size_t n;
	unsigned long events, other, by_type[RESPOND_EV_COUNT];
	char services[SERVICES_MAX][AUTHLOG_SERVICE_LEN];
	unsigned long by_service[SERVICES_MAX];
	size_t n_services;
	unsigned long other_services;
};

struct authsum *authsum_new(size_t max_sources)
{
	struct authsum *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max = max_sources ? max_sources : 4096;
	s->srcs = calloc(s->max, sizeof(*s->srcs));
	if (!s->srcs) {
		free(s);
		return NULL;
	}
	return s;
}

void authsum_free(struct authsum *s)
{
	if (!s)
		return;
	free(s->srcs);
	free(s);
}

static void add_service(struct authsum *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_services && strcmp(s->services[i], name); i++)
		;
	if (i == s->n_services) {
		if (i == SERVICES_MAX) {
			s->other_services++;
			return;
		}
		snprintf(s->services[i], sizeof(s->services[i]), "%s", name);
		s->n_services++;
	}
	s->by_service[i]++;
}

void authsum_add(struct authsum *s, const struct authlog_hit *hit)
{
	struct src *x = NULL;
	size_t i;

	if (!s || !hit)
		return;
	s->events++;
	if ((unsigned int)hit->type < RESPOND_EV_COUNT)
		s->by_type[hit->type]++;
	add_service(s, hit->service[0] ? hit->service : "?");
	if (!hit->has_source)
		return;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->srcs[i].addr, hit->source)) {
			x = &s->srcs[i];
			break;
		}
	if (!x) {
		if (s->n == s->max) {
			s->other++;
			return;
		}
		x = &s->srcs[s->n++];
		memset(x, 0, sizeof(*x));
		snprintf(x->addr, sizeof(x->addr), "%s", hit->source);
	}
	x->events++;
	if (!hit->has_user || x->n_users == AUTHSUM_USERS)
		return;
	for (i = 0; i < x->n_users; i++)
		if (!strcmp(x->users[i], hit->user))
			return;
	snprintf(x->users[x->n_users++], sizeof(x->users[0]), "%s", hit->user);
}

/* Most events first; ties in order of first appearance. */
static int by_events(const void *a, const void *b)
{
	const struct src *x = *(const struct src *const *)a, *y = *(const struct src *const *)b;

	if (x->events != y->events)
		return x->events < y->events ? 1 : -1;
	return x < y ? -1 : x > y;
}

json_t *authsum_take(struct authsum *s, unsigned int window_s)
{
	json_t *o = NULL, *types, *svcs, *top, *users;
	struct src **order = NULL;
	size_t i, j;

	if (!s || !s->events)
		goto reset;
	order = calloc(s->n ? s->n : 1, sizeof(*order));
	o = json_object();
	types = json_object();
	svcs = json_object();
	top = json_array();
	if (!order || !o || !types || !svcs || !top) {
		json_decref(types);
		json_decref(svcs);
		json_decref(top);
		json_decref(o);
		o = NULL;
		goto reset;
	}
	for (i = 0; i < RESPOND_EV_COUNT; i++)
		if (s->by_type[i])
			json_object_set_new(types, respond_ev_name((int)i),
					    json_integer((json_int_t)s->by_type[i]));
	for (i = 0; i < s->n_services; i++)
		json_object_set_new(svcs, s->services[i], json_integer((json_int_t)s->by_service[i]));
	if (s->other_services)
		json_object_set_new(svcs, "(other)", json_integer((json_int_t)s->other_services));
	for (i = 0; i < s->n; i++)
		order[i] = &s->srcs[i];
	qsort(order, s->n, sizeof(*order), by_events);
	for (i = 0; i < s->n && i < AUTHSUM_TOP; i++) {
		users = json_array();
		for (j = 0; j < order[i]->n_users; j++)
			json_array_append_new(users, json_string(order[i]->users[j]));
		json_array_append_new(top, json_pack("{s:s, s:I, s:o}", "source", order[i]->addr,
						     "events", (json_int_t)order[i]->events,
						     "users", users));
	}
	json_object_set_new(o, "window_s", json_integer(window_s));
	json_object_set_new(o, "events", json_integer((json_int_t)s->events));
	json_object_set_new(o, "by_type", types);
	json_object_set_new(o, "by_service", svcs);
	json_object_set_new(o, "sources", json_integer((json_int_t)s->n));
	json_object_set_new(o, "other_sources_events", json_integer((json_int_t)s->other));
	json_object_set_new(o, "top_sources", top);
reset:
	free(order);
	if (s) {
		s->n = 0;
		s->events = s->other = s->other_services = 0;
		memset(s->by_type, 0, sizeof(s->by_type));
		memset(s->by_service, 0, sizeof(s->by_service));
		s->n_services = 0;
	}
	return o;
}
