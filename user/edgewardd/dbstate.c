// SPDX-License-Identifier: GPL-2.0-only
/* Roles, user roles and response rules from PostgreSQL: see dbstate.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dbstate.h"
#include "rbac.h"

#define ERRLEN 1024

static void problem(json_t *problems, const char *what, const char *name, const char *error)
{
	char line[ERRLEN];
	const char *nl;

	if (!problems)
		return;
	/* The first line of the config walker's message; they are one per error. */
	nl = strchr(error, '\n');
	snprintf(line, sizeof(line), "%.*s%s", (int)(nl ? nl - error : (long)strlen(error)), error,
		 nl ? " (and more)" : "");
	json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "what", what, "name", name,
						  "error", line));
}

/* A role's permissions on edgewardd's resources, as {"NAME": {...}} text for cfg_roles_parse. */
static char *role_text(const char *name, const json_t *role)
{
	json_t *perms = json_array(), *doc, *it;
	size_t i;
	char *text;

	if (!perms)
		return NULL;
	json_array_foreach(json_object_get(role, "permissions"), i, it) {
		const char *res = json_string_value(json_object_get(it, "resource"));

		/* Other resources are the applications' (orders, reports, ...). */
		if (!res || (strcmp(res, "*") && rbac_res_parse(res) < 0))
			continue;
		json_array_append(perms, it);
	}
	doc = json_pack("{s:{s:O, s:o}}", name, "level",
			json_object_get(role, "level") ?: json_null(), "permissions", perms);
	if (!doc)
		return NULL;
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return text;
}

int dbstate_rbac(const json_t *state, const struct ew_config *cfg, struct rbac **out,
		 json_t *problems)
{
	static const char *const builtin[] = { "admin", "manager", "financial", "employee",
					       "viewer" };
	const json_t *roles = json_object_get(state, "roles");
	struct rbac_role_def *defs = NULL, *one;
	size_t n = 0, cap, n_one, i;
	char err[ERRLEN];
	const char *name;
	json_t *role;
	int r = -ENOMEM;

	*out = NULL;
	if (!json_is_object(roles))
		return -EINVAL;
	cap = json_object_size(roles) + 5;
	defs = calloc(cap, sizeof(*defs));
	if (!defs)
		return -ENOMEM;
	json_object_foreach((json_t *)roles, name, role) {
		char *text;

		if (!rbac_role_name_ok(name)) {
			problem(problems, "role", name,
				"not a role name edgewardd accepts (a-z first, then a-z, 0-9, _, "
				"-; at most 31 bytes): left out");
			continue;
		}
		text = role_text(name, role);
		if (!text)
			goto out;
		r = cfg_roles_parse("PostgreSQL rbac.roles", text, &one, &n_one, err, sizeof(err));
		free(text);
		if (r == -ENOMEM)
			goto out;
		if (r || n_one != 1) {
			rbac_role_defs_free(one, n_one);
			problem(problems, "role", name, r ? err : "not one role");
			/* Fails closed: the role exists and holds nothing. */
			memset(&defs[n], 0, sizeof(defs[n]));
			snprintf(defs[n].name, sizeof(defs[n].name), "%s", name);
			defs[n].level_set = defs[n].perms_set = true;
			n++;
			continue;
		}
		defs[n++] = one[0];
		free(one);
	}
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		size_t j;

		for (j = 0; j < n && strcmp(defs[j].name, builtin[i]); j++)
			;
		if (j < n)
			continue;
		memset(&defs[n], 0, sizeof(defs[n]));
		snprintf(defs[n].name, sizeof(defs[n].name), "%s", builtin[i]);
		defs[n].level_set = defs[n].perms_set = true;
		n++;
	}
	r = rbac_new(defs, n, rbac_config_flags(cfg), out, err, sizeof(err));
	if (r && r != -ENOMEM)
		problem(problems, "role", "*", err);
out:
	rbac_role_defs_free(defs, n);
	return r;
}

int dbstate_rules(const json_t *state, const struct respond_conf *base, struct respond_conf *out,
		  json_t *problems)
{
	const json_t *rules = json_object_get(state, "rules");
	struct respond_rule ru;
	char err[ERRLEN];
	json_t *it;
	size_t i, j;

	*out = *base;
	if (!json_is_array(rules))
		return -EINVAL;
	json_array_foreach(rules, i, it) {
		const char *name = json_string_value(json_object_get(it, "name")) ?: "?";
		char *text = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS);
		int r;

		if (!text)
			return -ENOMEM;
		r = cfg_rule_parse("PostgreSQL audit.response_rules", text, &ru, err, sizeof(err));
		free(text);
		if (r == -ENOMEM)
			return r;
		if (r) {
			problem(problems, "rule", name, err);
			continue;
		}
		for (j = 0; j < out->n_rules && strcmp(out->rules[j].name, ru.name); j++)
			;
		if (j < out->n_rules) {
			/* The database has no column for these: the config's stand. */
			if (ru.block_s && out->rules[j].block_s)
				ru.block_s = out->rules[j].block_s;
			ru.per = out->rules[j].per;
			if (respond_rule_check(&ru, err, sizeof(err))) {
				problem(problems, "rule", name, err);
				continue;
			}
			out->rules[j] = ru;
		} else if (out->n_rules < RESPOND_MAX_RULES) {
			out->rules[out->n_rules++] = ru;
		} else {
			problem(problems, "rule", name, "more than 32 rules: left out");
		}
	}
	return 0;
}

const char *dbstate_user_role(const json_t *state, const char *email)
{
	if (!state || !email)
		return NULL;
	return json_string_value(json_object_get(json_object_get(state, "users"), email));
}

bool dbstate_rules_equal(const struct respond_conf *a, const struct respond_conf *b)
{
	return a->n_rules == b->n_rules &&
	       !memcmp(a->rules, b->rules, a->n_rules * sizeof(a->rules[0]));
}
