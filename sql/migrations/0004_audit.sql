-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0004: the audit trail. audit.security_events with the guide's columns and indexes, plus
-- where an event came from in the fleet (actor, source, node, seq); the guide's
-- log_security_event and calculate_risk_score; the alert for high-risk events; and a
-- NOTIFY per new event, so edgewardd hears of events applications log here.
--
-- Fixed from the guide:
--   - calculate_risk_score's parameters were named like the columns it queries
--     (event_type, user_id, ip_address): "event_type LIKE '%failed%'" is ambiguous and
--     fails at the first call. Parameters are p_*, columns qualified.
--   - log_security_event declared a variable named like the column risk_score; it is
--     v_risk_score.
--   - audit.trigger_security_alert was called but never defined: it queues a
--     notification for the admin role.
--   - the risk score had no range check; 0..100 is a constraint now.
--   - SECURITY DEFINER functions get a fixed search_path.
-- The score is the guide's formula, unchanged, and must agree with user/lib/risk.c on
-- every case of tests/data/risk_cases.json (tests/sql/test_risk.sql checks that).

CREATE SCHEMA audit;
REVOKE ALL ON SCHEMA audit FROM PUBLIC;

CREATE TABLE audit.security_events (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	event_type text NOT NULL,		-- login, logout, failed_login, admin_action, ...
	user_id uuid,
	tenant_id uuid,
	ip_address inet,
	user_agent text,
	resource text,				-- what was accessed
	action text,				-- what was done
	result text NOT NULL,			-- success, failure, blocked, denied
	risk_score integer DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
	details jsonb DEFAULT '{}',
	"timestamp" timestamptz DEFAULT now(),
	-- edgeward's own events, copied from a node's journal (NULL for events logged here
	-- by applications): the operator's name as the controller knows it, the source as
	-- text ("unix", "local", an address), the edge server, the journal's sequence there.
	actor text,
	source text,
	node text,
	seq bigint
);

CREATE INDEX idx_security_events_user_time ON audit.security_events (user_id, "timestamp");
CREATE INDEX idx_security_events_tenant_time ON audit.security_events (tenant_id, "timestamp");
CREATE INDEX idx_security_events_type_time ON audit.security_events (event_type, "timestamp");
CREATE INDEX idx_security_events_risk ON audit.security_events (risk_score) WHERE risk_score > 50;
-- A shipper resumes from its node's highest seq. Not unique: a node whose journal was
-- recreated starts again at 1.
CREATE INDEX idx_security_events_node_seq ON audit.security_events (node, seq)
	WHERE node IS NOT NULL;
-- Listeners catching up after a disconnect read the events newer than the last they saw.
CREATE INDEX idx_security_events_time ON audit.security_events ("timestamp");
-- The automated responses count recent events per source address.
CREATE INDEX idx_security_events_ip_time ON audit.security_events (ip_address, "timestamp")
	WHERE ip_address IS NOT NULL;

-- The guide's formula: a base by type; +15 for each of the user's events of the last
-- hour whose type contains "failed"; +25 when the user has no successful event from this
-- address in the last 30 days; +20 when the user holds admin or super_admin; at most
-- 100. NULL user or address match nothing (SQL's "="), as in the guide. p_details is
-- part of the guide's signature; its formula reads nothing from it.
CREATE FUNCTION audit.calculate_risk_score(
	p_event_type text,
	p_user_id uuid,
	p_ip_address inet,
	p_details jsonb DEFAULT '{}'
) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_score integer;
	v_recent_failures integer;
	v_new_location boolean;
	v_privileged boolean;
BEGIN
	v_score := CASE p_event_type
		WHEN 'failed_login' THEN 20
		WHEN 'admin_action' THEN 30
		WHEN 'data_export' THEN 40
		WHEN 'permission_escalation' THEN 50
		WHEN 'suspicious_activity' THEN 60
		ELSE 10
	END;

	-- Six failures reach the cap from the lowest base: counting further changes nothing,
	-- and a user with a million failures costs no more than one with seven.
	SELECT count(*) INTO v_recent_failures
	FROM (SELECT 1 FROM audit.security_events e
	      WHERE e.user_id = p_user_id
		AND e.event_type LIKE '%failed%'
		AND e."timestamp" > now() - interval '1 hour'
	      LIMIT 7) f;
	v_score := v_score + v_recent_failures * 15;

	SELECT NOT EXISTS (
		SELECT 1 FROM audit.security_events e
		WHERE e.user_id = p_user_id
		  AND e.ip_address = p_ip_address
		  AND e."timestamp" > now() - interval '30 days'
		  AND e.result = 'success'
	) INTO v_new_location;
	IF v_new_location THEN
		v_score := v_score + 25;
	END IF;

	SELECT EXISTS (
		SELECT 1 FROM rbac.user_roles ur
		JOIN rbac.roles r ON r.id = ur.role_id
		WHERE ur.user_id = p_user_id
		  AND r.name IN ('admin', 'super_admin')
	) INTO v_privileged;
	IF v_privileged THEN
		v_score := v_score + 20;
	END IF;

	RETURN LEAST(v_score, 100);
END
$$;

-- A high-risk event: one message to the admin role (whether or not such a role exists
-- yet, so the alert is never dropped).
CREATE FUNCTION audit.trigger_security_alert(p_event_id uuid, p_risk_score integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_type text;
BEGIN
	SELECT e.event_type INTO v_type FROM audit.security_events e WHERE e.id = p_event_id;
	INSERT INTO notifications.queue (recipient_type, recipient_id, recipient_name, subject,
					 message, event_id)
	VALUES ('role', (SELECT r.id FROM rbac.roles r WHERE r.name = 'admin'), 'admin',
		'High-risk security event',
		format('Security event %s (%s) scored %s', p_event_id, v_type, p_risk_score),
		p_event_id);
END
$$;

-- What applications call (as edgeward_app, which may call nothing else): the event is
-- scored, stored, alerted on above 75, and its id returned.
CREATE FUNCTION audit.log_security_event(
	p_event_type text,
	p_user_id uuid DEFAULT NULL,
	p_tenant_id uuid DEFAULT NULL,
	p_ip_address inet DEFAULT NULL,
	p_user_agent text DEFAULT NULL,
	p_resource text DEFAULT NULL,
	p_action text DEFAULT NULL,
	p_result text DEFAULT 'success',
	p_details jsonb DEFAULT '{}'
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_event_id uuid;
	v_risk_score integer;
BEGIN
	v_risk_score := audit.calculate_risk_score(p_event_type, p_user_id, p_ip_address,
						   p_details);

	INSERT INTO audit.security_events (event_type, user_id, tenant_id, ip_address,
					   user_agent, resource, action, result, risk_score,
					   details)
	VALUES (p_event_type, p_user_id, p_tenant_id, p_ip_address, p_user_agent, p_resource,
		p_action, p_result, v_risk_score, COALESCE(p_details, '{}'))
	RETURNING id INTO v_event_id;

	IF v_risk_score > 75 THEN
		PERFORM audit.trigger_security_alert(v_event_id, v_risk_score);
	END IF;

	RETURN v_event_id;
END
$$;

-- Every stored event is announced on channel edgeward_events with its id as the payload
-- (36 bytes; listeners read the row). Sent at commit; a row skipped by ON CONFLICT DO
-- NOTHING is not announced.
CREATE FUNCTION audit.notify_security_event() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_notify('edgeward_events', NEW.id::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER security_events_notify
	AFTER INSERT ON audit.security_events
	FOR EACH ROW EXECUTE FUNCTION audit.notify_security_event();

-- Append-only for everyone edgeward connects as: the controller and applications add
-- events; nobody but the owner changes or removes them.
REVOKE ALL ON audit.security_events FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA audit FROM PUBLIC;
GRANT USAGE ON SCHEMA audit TO edgeward_controller, edgeward_app;
GRANT INSERT, SELECT ON audit.security_events TO edgeward_controller;
GRANT EXECUTE ON FUNCTION
	audit.log_security_event(text, uuid, uuid, inet, text, text, text, text, jsonb)
	TO edgeward_controller, edgeward_app;
GRANT EXECUTE ON FUNCTION audit.calculate_risk_score(text, uuid, inet, jsonb)
	TO edgeward_controller;
