-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0009: what edgewardd reads from the database besides the blocklist: its operators'
-- roles and permissions (the rbac schema), the response rules (audit.response_rules), and
-- a notification on channel edgeward_config whenever either changes, so that a change
-- applies to the controller's next request.
--
--   - The controller's own permissions are seeded: the resources of its API (blocklist,
--     allowlist, acl, ratelimit, policy, filter, stats, events, users, audit, config,
--     self, health) granted to the guide's five roles as edgewardd's built-in table has
--     them (user/edgewardd/rbac.h). Roles and grants that exist already are kept.
--   - shared.controller_state(tenant) gives the controller one JSON document in the
--     shapes of its own config file (security.authorization.rbac.roles and
--     response.rules), so the database's roles and rules are checked by the same code as
--     the file's. It is SECURITY DEFINER: the controller reads the tenant's user roles
--     without being able to set the tenant of its session to another one.
--   - shared.controller_act(action, event) carries out require_mfa, require_additional_auth,
--     require_approval and quarantine_export for an application's event when the
--     controller's in-memory rules decide them (the guide's execute_response_action, run as
--     the owner for these four actions only).
--   - edgeward_events (0004) now announces applications' events only, not the rows servers
--     ship from their journals.
--   - Time ranges: the guide's rows name a time zone ("Europe/Berlin"); the controller's
--     conditions take a fixed offset, so the zone's offset at the time of the call is
--     given, and the controller re-reads the state every minute (a daylight saving change
--     applies within a minute). An unknown zone gives an offset the controller refuses:
--     that permission or rule is left out (fail closed), and the controller logs why.

CREATE FUNCTION shared.tz_offset(p_zone text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_off interval;
BEGIN
	IF p_zone IS NULL OR upper(p_zone) IN ('UTC', 'Z') THEN
		RETURN 'UTC';
	END IF;
	BEGIN
		v_off := (now() AT TIME ZONE p_zone) - (now() AT TIME ZONE 'UTC');
	EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
		RETURN 'unknown time zone ' || p_zone;
	END;
	RETURN CASE WHEN v_off < interval '0' THEN '-' ELSE '+' END
		|| to_char(abs(extract(epoch FROM v_off))::int / 3600, 'FM00') || ':'
		|| to_char(abs(extract(epoch FROM v_off))::int % 3600 / 60, 'FM00');
END
$$;

-- The guide's {"start", "end", "timezone"} as the controller's {start, end, tz}.
CREATE FUNCTION shared.controller_time_range(p_range jsonb) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN jsonb_typeof(p_range) = 'object'
		THEN (p_range - 'timezone')
			|| jsonb_build_object('tz', shared.tz_offset(p_range ->> 'timezone'))
		ELSE p_range END
$$;

-- A permission's conditions in the controller's shape. The permission's and the grant's
-- conditions must both hold; a key both name takes the grant's value (the narrower one,
-- as grants are meant). Anything that is not an object is passed on as is, and the
-- controller refuses it (the permission is left out).
CREATE FUNCTION shared.controller_conditions(p_perm jsonb, p_grant jsonb) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH c AS (
		SELECT CASE
			WHEN COALESCE(p_grant, '{}') = '{}' OR p_grant = 'null' THEN COALESCE(p_perm, '{}')
			WHEN COALESCE(p_perm, '{}') = '{}' OR p_perm = 'null' THEN p_grant
			WHEN jsonb_typeof(p_perm) = 'object' AND jsonb_typeof(p_grant) = 'object'
				THEN p_perm || p_grant
			ELSE '"conditions that are not an object"'::jsonb
		END AS v
	)
	SELECT CASE WHEN jsonb_typeof(v) = 'object' AND v ? 'time_range'
		THEN jsonb_set(v, '{time_range}', shared.controller_time_range(v -> 'time_range'))
		ELSE v END
	FROM c
$$;

-- One guide rule as the controller's response.rules entry, or NULL when the rule's
-- event is not one the controller sees (the rule still runs in
-- audit.execute_automated_response for applications that call it).
--   failed_login   -> event [failed_login, invalid_user] (a login for a name that does
--                     not exist failed too), per source
--   admin_login    -> event login_success with role admin
--   data_export    -> event data_export; data_volume "> SIZE" -> bytes_over (">=" one
--                     byte less); "<", "<=", "=" are not a threshold and are refused
--   login_success, invalid_user, preauth_disconnect, drops: as named
CREATE FUNCTION shared.controller_rule(p_rule audit.response_rules) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c jsonb := p_rule.trigger_conditions;
	v_when jsonb;
	v_bound record;
BEGIN
	CASE c ->> 'event_type'
	WHEN 'failed_login' THEN
		v_when := jsonb_build_object('event', jsonb_build_array('failed_login', 'invalid_user'));
	WHEN 'admin_login' THEN
		v_when := jsonb_build_object('event', 'login_success', 'role', 'admin');
	WHEN 'data_export', 'login_success', 'invalid_user', 'preauth_disconnect', 'drops' THEN
		v_when := jsonb_build_object('event', c ->> 'event_type');
	ELSE
		RETURN NULL;
	END CASE;
	IF c ? 'count' THEN
		v_when := v_when || jsonb_build_object('count', c -> 'count', 'window',
			floor(extract(epoch FROM (c ->> 'time_window')::interval))::bigint || 's');
	END IF;
	IF c ? 'time_range' THEN
		v_when := v_when || jsonb_build_object('time_range',
			shared.controller_time_range(c -> 'time_range'));
	END IF;
	IF c ? 'data_volume' THEN
		SELECT * INTO v_bound FROM audit.data_volume_bound(c ->> 'data_volume');
		v_when := v_when || jsonb_build_object('bytes_over', CASE v_bound.op
			WHEN '>' THEN v_bound.bytes::bigint || 'B'
			WHEN '>=' THEN (v_bound.bytes::bigint - 1) || 'B'
			ELSE 'not a threshold: ' || (c ->> 'data_volume') END);
	END IF;
	RETURN jsonb_build_object('name', p_rule.rule_name, 'when', v_when,
				  'actions', p_rule.response_actions -> 'actions');
END
$$;

-- Everything the controller takes from the database, for the tenant named p_tenant (its
-- users' roles; NULL or an unknown name: none):
--   {"roles": {NAME: {"level": N, "permissions": [{"resource", "action", "conditions"}]}},
--    "users": {EMAIL (lower case): ROLE},
--    "rules": [RULE...], "skipped_rules": [NAME...]}
-- Roles are the global ones and those of the tenant's industry; a user holding several
-- unexpired roles gets the one of the highest level (then the first by name).
CREATE FUNCTION shared.controller_state(p_tenant text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH t AS (
		SELECT id, industry FROM shared.tenants WHERE name = p_tenant
	), r AS (
		SELECT ro.id, ro.name, ro.level FROM rbac.roles ro
		WHERE ro.industry IS NULL OR ro.industry = (SELECT industry FROM t)
	), u AS (
		SELECT DISTINCT ON (lower(us.email)) lower(us.email) AS email, r.name AS role
		FROM shared.users us
		JOIN rbac.user_roles ur ON ur.user_id = us.id AND ur.tenant_id = us.tenant_id
		JOIN r ON r.id = ur.role_id
		WHERE us.tenant_id = (SELECT id FROM t) AND us.email IS NOT NULL
		  AND (ur.expires_at IS NULL OR ur.expires_at > now())
		ORDER BY lower(us.email), r.level DESC, r.name
	), rules AS (
		SELECT rr.rule_name, shared.controller_rule(rr) AS rule
		FROM audit.response_rules rr WHERE rr.enabled
	)
	SELECT jsonb_build_object(
		'roles', COALESCE((SELECT jsonb_object_agg(r.name, jsonb_build_object(
			'level', r.level,
			'permissions', COALESCE((
				SELECT jsonb_agg(jsonb_build_object(
					'resource', p.resource, 'action', p.action,
					'conditions', shared.controller_conditions(p.conditions,
										   rp.conditions))
					ORDER BY p.resource, p.action, p.name)
				FROM rbac.role_permissions rp
				JOIN rbac.permissions p ON p.id = rp.permission_id
				WHERE rp.role_id = r.id AND rp.granted), '[]')))
			FROM r), '{}'),
		'users', COALESCE((SELECT jsonb_object_agg(u.email, u.role) FROM u), '{}'),
		'rules', COALESCE((SELECT jsonb_agg(rule ORDER BY rule_name) FROM rules
				   WHERE rule IS NOT NULL), '[]'),
		'skipped_rules', COALESCE((SELECT jsonb_agg(rule_name ORDER BY rule_name) FROM rules
					   WHERE rule IS NULL), '[]'))
$$;

-- The response actions on application state the controller's rules decide for an
-- application's event (one logged with audit.log_security_event: node IS NULL): the
-- guide's execute_response_action, as the owner, for these four actions only. The
-- controller may not write shared.users or shared.data_exports itself. False when there is
-- no such application event.
CREATE FUNCTION shared.controller_act(p_action text, p_event_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_event audit.security_events;
BEGIN
	IF p_action IS NULL OR p_action NOT IN ('require_mfa', 'require_additional_auth',
						'require_approval', 'quarantine_export') THEN
		RAISE EXCEPTION 'not an action on application state: %', quote_literal(p_action)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT * INTO v_event FROM audit.security_events e
	WHERE e.id = p_event_id AND e.node IS NULL;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM audit.execute_response_action(p_action, v_event);
	RETURN true;
END
$$;

-- Any change to what controller_state reads is announced (at commit; a rolled-back change
-- announces nothing). The payload is the table's name; listeners re-read everything.
CREATE FUNCTION shared.notify_controller_config() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_notify('edgeward_config', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
	RETURN NULL;
END
$$;

DO $$
DECLARE
	v_table text;
BEGIN
	FOREACH v_table IN ARRAY ARRAY['rbac.roles', 'rbac.permissions', 'rbac.role_permissions',
				       'rbac.user_roles', 'audit.response_rules', 'shared.users',
				       'shared.tenants'] LOOP
		EXECUTE format('CREATE TRIGGER controller_config_notify AFTER INSERT OR UPDATE OR '
			       'DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION '
			       'shared.notify_controller_config()', v_table);
	END LOOP;
END
$$;

-- edgeward_events announces the applications' events only (node IS NULL): a controller
-- listens for them to run its rules. The rows servers ship from their journals (node set)
-- were seen by their own rules already; announcing each would make every listener of the
-- fleet fetch every server's records (and cost the shipper a pg_notify per row).
DROP TRIGGER security_events_notify ON audit.security_events;
CREATE TRIGGER security_events_notify
	AFTER INSERT ON audit.security_events
	FOR EACH ROW WHEN (NEW.node IS NULL) EXECUTE FUNCTION audit.notify_security_event();

-- The controller's permissions, seeded for the guide's five roles.
INSERT INTO rbac.roles (name, description, level) VALUES
	('admin', 'Full access', 100),
	('manager', 'Operations: blocklists and allowlists, reads everything', 50),
	('financial', 'Reads statistics and the audit trail', 20),
	('employee', 'Reads statistics', 10),
	('viewer', 'Reads the filter''s state', 20)
ON CONFLICT (name) DO NOTHING;

INSERT INTO rbac.permissions (name, description, resource, action)
SELECT 'edgeward.' || res || '.' || act, 'edgewardd API: ' || act || ' ' || res, res, act
FROM (VALUES ('blocklist', 'read'), ('blocklist', 'create'), ('blocklist', 'delete'),
	     ('allowlist', 'read'), ('allowlist', 'create'), ('allowlist', 'delete'),
	     ('acl', 'read'), ('acl', 'update'), ('ratelimit', 'read'), ('ratelimit', 'update'),
	     ('policy', 'read'), ('policy', 'update'), ('filter', 'read'), ('filter', 'execute'),
	     ('stats', 'read'), ('events', 'read'),
	     ('users', 'read'), ('users', 'create'), ('users', 'update'), ('users', 'delete'),
	     ('audit', 'read'), ('config', 'read'), ('config', 'execute'),
	     ('self', 'read'), ('self', 'update'), ('health', 'read')) AS v (res, act)
ON CONFLICT (name) DO NOTHING;

INSERT INTO rbac.role_permissions (role_id, permission_id)
SELECT ro.id, p.id
FROM (VALUES
	('admin', 'blocklist', 'read,create,delete'), ('admin', 'allowlist', 'read,create,delete'),
	('admin', 'acl', 'read,update'), ('admin', 'ratelimit', 'read,update'),
	('admin', 'policy', 'read,update'), ('admin', 'filter', 'read,execute'),
	('admin', 'stats', 'read'), ('admin', 'events', 'read'),
	('admin', 'users', 'read,create,update,delete'), ('admin', 'audit', 'read'),
	('admin', 'config', 'read,execute'), ('admin', 'self', 'read,update'),
	('admin', 'health', 'read'),
	('manager', 'blocklist', 'read,create,delete'),
	('manager', 'allowlist', 'read,create,delete'), ('manager', 'acl', 'read'),
	('manager', 'ratelimit', 'read'), ('manager', 'policy', 'read'),
	('manager', 'filter', 'read'), ('manager', 'stats', 'read'),
	('manager', 'events', 'read'), ('manager', 'users', 'read'),
	('manager', 'audit', 'read'), ('manager', 'config', 'read'),
	('manager', 'self', 'read,update'), ('manager', 'health', 'read'),
	('financial', 'stats', 'read'), ('financial', 'audit', 'read'),
	('financial', 'self', 'read,update'), ('financial', 'health', 'read'),
	('employee', 'stats', 'read'), ('employee', 'self', 'read,update'),
	('employee', 'health', 'read'),
	('viewer', 'blocklist', 'read'), ('viewer', 'allowlist', 'read'), ('viewer', 'acl', 'read'),
	('viewer', 'ratelimit', 'read'), ('viewer', 'policy', 'read'), ('viewer', 'filter', 'read'),
	('viewer', 'stats', 'read'), ('viewer', 'self', 'read,update'), ('viewer', 'health', 'read')
) AS g (role, res, acts)
CROSS JOIN LATERAL unnest(string_to_array(g.acts, ',')) AS a (act)
JOIN rbac.roles ro ON ro.name = g.role
JOIN rbac.permissions p ON p.name = 'edgeward.' || g.res || '.' || a.act
ON CONFLICT (role_id, permission_id) DO NOTHING;

REVOKE EXECUTE ON FUNCTION shared.tz_offset(text), shared.controller_time_range(jsonb),
	shared.controller_conditions(jsonb, jsonb), shared.controller_rule(audit.response_rules),
	shared.controller_state(text), shared.controller_act(text, uuid),
	shared.notify_controller_config() FROM PUBLIC;
GRANT USAGE ON SCHEMA shared TO edgeward_controller;
GRANT EXECUTE ON FUNCTION shared.controller_state(text), shared.controller_act(text, uuid)
	TO edgeward_controller;
