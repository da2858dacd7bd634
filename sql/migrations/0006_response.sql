-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0006: the guide's automated response rules, and the functions that match an event
-- against them and carry out their actions.
--
-- Fixed from the guide:
--   - audit.check_rule_conditions was called but never defined. It is below: event_type
--     (exact), count within time_window (events of the same type from the same source
--     address, or the same user when the event has no address, in the window ending at
--     the event, the event included), time_range (the event's time of day, as
--     rbac.check_time_range), data_volume ("> 1GB" against the event's
--     details.data_volume_bytes or details.data_volume). An unknown key never matches.
--   - execute_response_action's CASE had no ELSE and handled four of the nine actions
--     its own rules name: "Admin Access After Hours" raised case_not_found. All nine are
--     handled; an unknown action is an error, and a rule naming one cannot be stored
--     (audit.response_rule_valid is its CHECK).
--   - block_ip inserted a NULL address for events without one (a not-null violation
--     that aborted the response) and failed on an address already blocked: it skips
--     events without an address, blocks an IPv6 source's /64, and extends an existing
--     temporary block (a permanent one stays permanent).
--   - notify_admin queued nothing when no role was named admin: one message goes to the
--     role by name, with its id when it exists.
--   - "UPDATE data_exports" named a table that does not exist: shared.data_exports.
--   - execute_automated_response ran the rules on an empty record when the event did not
--     exist; it raises an error.
--   - The parameter named event_id is p_event_id.

CREATE TABLE audit.response_rules (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	rule_name text UNIQUE NOT NULL,
	trigger_conditions jsonb NOT NULL,
	response_actions jsonb NOT NULL,
	enabled boolean DEFAULT true,
	created_at timestamptz DEFAULT now()
);

-- The actions execute_response_action knows.
CREATE FUNCTION audit.response_action_names() RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
	SELECT ARRAY['block_ip', 'notify_admin', 'require_mfa', 'notify_security_team',
		     'require_additional_auth', 'log_extended', 'require_approval',
		     'notify_data_protection_officer', 'quarantine_export']
$$;

-- A rule the functions below can run: conditions an object of known keys with values of
-- the right type (count a positive integer with a time_window interval, a data_volume
-- "OP SIZE" that parses, a time_range object), actions {"actions": [known names...]}.
CREATE FUNCTION audit.response_rule_valid(p_conditions jsonb, p_actions jsonb)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_key text;
	v_value jsonb;
BEGIN
	IF jsonb_typeof(p_conditions) IS DISTINCT FROM 'object' OR p_conditions = '{}'
	   OR jsonb_typeof(p_actions) IS DISTINCT FROM 'object'
	   OR jsonb_typeof(p_actions -> 'actions') IS DISTINCT FROM 'array'
	   OR jsonb_array_length(p_actions -> 'actions') = 0
	   OR (p_conditions ? 'count') <> (p_conditions ? 'time_window') THEN
		RETURN false;
	END IF;
	FOR v_value IN SELECT value FROM jsonb_array_elements(p_actions -> 'actions') LOOP
		IF jsonb_typeof(v_value) <> 'string'
		   OR NOT (v_value #>> '{}') = ANY (audit.response_action_names()) THEN
			RETURN false;
		END IF;
	END LOOP;
	FOR v_key, v_value IN SELECT key, value FROM jsonb_each(p_conditions) LOOP
		CASE v_key
		WHEN 'event_type' THEN
			IF jsonb_typeof(v_value) <> 'string' THEN
				RETURN false;
			END IF;
		WHEN 'count' THEN
			IF jsonb_typeof(v_value) <> 'number' OR v_value::numeric < 1
			   OR v_value::numeric <> trunc(v_value::numeric) THEN
				RETURN false;
			END IF;
		WHEN 'time_window' THEN
			IF jsonb_typeof(v_value) <> 'string' THEN
				RETURN false;
			END IF;
			BEGIN
				IF (v_value #>> '{}')::interval <= interval '0' THEN
					RETURN false;
				END IF;
			EXCEPTION WHEN data_exception THEN
				RETURN false;
			END;
		WHEN 'time_range' THEN
			IF jsonb_typeof(v_value) <> 'object' THEN
				RETURN false;
			END IF;
		WHEN 'data_volume' THEN
			IF jsonb_typeof(v_value) <> 'string'
			   OR audit.data_volume_bound(v_value #>> '{}') IS NULL THEN
				RETURN false;
			END IF;
		ELSE
			RETURN false;
		END CASE;
	END LOOP;
	RETURN true;
END
$$;

-- "> 1GB", ">= 512 MB", "< 10kB", "= 0": the operator and the size in bytes
-- (pg_size_bytes: units bytes, kB, MB, GB, TB, PB, multiples of 1024), or NULL when the
-- text is not that.
CREATE FUNCTION audit.data_volume_bound(p_condition text, OUT op text, OUT bytes numeric)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	v_m text[];
BEGIN
	v_m := regexp_match(p_condition, '^\s*(>=|<=|>|<|=)\s*([0-9][0-9.]*\s*[A-Za-z]*)\s*$');
	IF v_m IS NULL THEN
		RETURN;
	END IF;
	BEGIN
		bytes := pg_size_bytes(v_m[2]);
	EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
		RETURN;
	END;
	op := v_m[1];
END
$$;

-- Does the event's exported volume satisfy the condition? The volume is
-- details.data_volume_bytes (a number of bytes) or details.data_volume (a number of
-- bytes, or a size text such as "2 GB"). No or unreadable volume: false.
CREATE FUNCTION audit.check_data_volume(p_condition text, p_details jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	v_bound record;
	v_volume jsonb := COALESCE(p_details -> 'data_volume_bytes', p_details -> 'data_volume');
	v_bytes numeric;
BEGIN
	v_bound := audit.data_volume_bound(p_condition);
	IF v_bound.op IS NULL OR v_volume IS NULL THEN
		RETURN false;
	END IF;
	IF jsonb_typeof(v_volume) = 'number' THEN
		v_bytes := v_volume::numeric;
	ELSIF jsonb_typeof(v_volume) = 'string' THEN
		BEGIN
			v_bytes := pg_size_bytes(v_volume #>> '{}');
		EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
			RETURN false;
		END;
	ELSE
		RETURN false;
	END IF;
	RETURN CASE v_bound.op
		WHEN '>' THEN v_bytes > v_bound.bytes
		WHEN '>=' THEN v_bytes >= v_bound.bytes
		WHEN '<' THEN v_bytes < v_bound.bytes
		WHEN '<=' THEN v_bytes <= v_bound.bytes
		ELSE v_bytes = v_bound.bytes
	END;
END
$$;

-- Does the event meet every one of a rule's trigger conditions (see the header)?
CREATE FUNCTION audit.check_rule_conditions(p_event audit.security_events, p_conditions jsonb)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_key text;
	v_needed numeric;
	v_window interval;
	v_count integer;
BEGIN
	IF p_event.id IS NULL OR jsonb_typeof(p_conditions) IS DISTINCT FROM 'object' THEN
		RETURN false;
	END IF;
	FOR v_key IN SELECT jsonb_object_keys(p_conditions) LOOP
		IF v_key NOT IN ('event_type', 'count', 'time_window', 'time_range', 'data_volume') THEN
			RETURN false;
		END IF;
	END LOOP;
	IF p_conditions ? 'event_type'
	   AND p_event.event_type IS DISTINCT FROM p_conditions ->> 'event_type' THEN
		RETURN false;
	END IF;
	IF p_conditions ? 'time_range'
	   AND NOT rbac.check_time_range(p_conditions -> 'time_range', p_event."timestamp") THEN
		RETURN false;
	END IF;
	IF p_conditions ? 'data_volume'
	   AND NOT audit.check_data_volume(p_conditions ->> 'data_volume', p_event.details) THEN
		RETURN false;
	END IF;
	IF p_conditions ? 'count' THEN
		BEGIN
			v_needed := (p_conditions ->> 'count')::numeric;
			v_window := (p_conditions ->> 'time_window')::interval;
		EXCEPTION WHEN data_exception THEN
			RETURN false;
		END;
		IF v_needed IS NULL OR v_window IS NULL
		   OR (p_event.ip_address IS NULL AND p_event.user_id IS NULL) THEN
			RETURN false;
		END IF;
		SELECT count(*) INTO v_count
		FROM (SELECT 1 FROM audit.security_events e
		      WHERE e.event_type = p_event.event_type
			AND e."timestamp" > p_event."timestamp" - v_window
			AND e."timestamp" <= p_event."timestamp"
			AND CASE WHEN p_event.ip_address IS NOT NULL
				 THEN e.ip_address = p_event.ip_address
				 ELSE e.user_id = p_event.user_id END
		      LIMIT LEAST(v_needed, 1000000)::integer) matched;
		IF v_count < v_needed THEN
			RETURN false;
		END IF;
	END IF;
	RETURN true;
END
$$;

ALTER TABLE audit.response_rules ADD CONSTRAINT response_rules_valid
	CHECK (audit.response_rule_valid(trigger_conditions, response_actions));

INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions) VALUES
('Multiple Failed Logins',
 '{"event_type": "failed_login", "count": 5, "time_window": "5 minutes"}',
 '{"actions": ["block_ip", "notify_admin", "require_mfa"]}'),

('Admin Access After Hours',
 '{"event_type": "admin_login", "time_range": {"start": "22:00", "end": "06:00"}}',
 '{"actions": ["notify_security_team", "require_additional_auth", "log_extended"]}'),

('Data Export Large Volume',
 '{"event_type": "data_export", "data_volume": "> 1GB"}',
 '{"actions": ["require_approval", "notify_data_protection_officer", "quarantine_export"]}');

-- One message to every holder of an RBAC role, by name (and id when the role exists).
CREATE FUNCTION audit.notify_role(p_role text, p_event audit.security_events)
RETURNS void
LANGUAGE sql
AS $$
	INSERT INTO notifications.queue (recipient_type, recipient_id, recipient_name, subject,
					 message, event_id)
	VALUES ('role', (SELECT r.id FROM rbac.roles r WHERE r.name = p_role), p_role,
		'Security Alert', 'Security event detected: ' || p_event.event_type, p_event.id)
$$;

-- Carry out one action for an event. The flags set on a user are read by the application
-- at the user's next login.
CREATE FUNCTION audit.execute_response_action(p_action text, p_event audit.security_events)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_net inet;
BEGIN
	CASE p_action
	WHEN 'block_ip' THEN
		IF p_event.ip_address IS NULL THEN
			RETURN;
		END IF;
		v_net := CASE family(p_event.ip_address)
			WHEN 4 THEN set_masklen(p_event.ip_address, 32)
			ELSE network(set_masklen(p_event.ip_address, 64))
		END;
		INSERT INTO audit.ip_blocklist AS b (ip_address, reason, blocked_until, created_by,
						    origin)
		VALUES (v_net, 'Automated security response', now() + interval '1 hour',
			'database', 'response_rule')
		ON CONFLICT (ip_address) DO UPDATE
		SET blocked_until = CASE WHEN b.blocked_until IS NULL THEN NULL
				    ELSE GREATEST(b.blocked_until, EXCLUDED.blocked_until) END;
	WHEN 'notify_admin' THEN
		PERFORM audit.notify_role('admin', p_event);
	WHEN 'notify_security_team' THEN
		PERFORM audit.notify_role('security_team', p_event);
	WHEN 'notify_data_protection_officer' THEN
		PERFORM audit.notify_role('data_protection_officer', p_event);
	WHEN 'require_mfa' THEN
		UPDATE shared.users
		SET settings = settings || '{"require_mfa_next_login": true}'
		WHERE id = p_event.user_id;
	WHEN 'require_additional_auth' THEN
		UPDATE shared.users
		SET settings = settings || '{"require_additional_auth_next_login": true}'
		WHERE id = p_event.user_id;
	WHEN 'log_extended' THEN
		UPDATE shared.users
		SET settings = settings || '{"log_extended": true}'
		WHERE id = p_event.user_id;
	WHEN 'require_approval' THEN
		UPDATE shared.data_exports
		SET approval_required = true
		WHERE created_by = p_event.user_id
		  AND created_at >= p_event."timestamp" - interval '5 minutes';
	WHEN 'quarantine_export' THEN
		UPDATE shared.data_exports
		SET status = 'quarantined', quarantine_reason = 'Automated security response'
		WHERE created_by = p_event.user_id
		  AND created_at >= p_event."timestamp" - interval '5 minutes';
	ELSE
		RAISE EXCEPTION 'unknown response action %', quote_literal(p_action)
			USING ERRCODE = 'invalid_parameter_value';
	END CASE;
END
$$;

-- Run every enabled rule the event meets, in the order the rules were made, each rule's
-- actions in their order.
CREATE FUNCTION audit.execute_automated_response(p_event_id uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_event audit.security_events;
	v_rule audit.response_rules;
	v_action text;
BEGIN
	SELECT * INTO v_event FROM audit.security_events e WHERE e.id = p_event_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no security event %', p_event_id USING ERRCODE = 'no_data_found';
	END IF;
	FOR v_rule IN
		SELECT * FROM audit.response_rules r WHERE r.enabled
		ORDER BY r.created_at, r.rule_name
	LOOP
		IF audit.check_rule_conditions(v_event, v_rule.trigger_conditions) THEN
			FOR v_action IN
				SELECT jsonb_array_elements_text(v_rule.response_actions -> 'actions')
			LOOP
				PERFORM audit.execute_response_action(v_action, v_event);
			END LOOP;
		END IF;
	END LOOP;
END
$$;

REVOKE ALL ON audit.response_rules FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA audit FROM PUBLIC;
GRANT SELECT ON audit.response_rules TO edgeward_controller;
GRANT EXECUTE ON FUNCTION audit.execute_automated_response(uuid) TO edgeward_controller;
