-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: SQL injection attempts through every text parameter of every function, and
-- through the text columns other programs write, are stored or compared verbatim and run
-- nothing; the tables are intact afterwards. One transaction, rolled back.
BEGIN;
-- Start from no roles and permissions (0009 seeds edgewardd's; this file makes its own).
DELETE FROM rbac.role_permissions;
DELETE FROM rbac.permissions;
DELETE FROM rbac.roles;
SELECT plan(48);

-- The attempts: closing a literal, a dollar quote, an identifier, a comment, a
-- backslash escape, a NUL-free control sequence, and the classic.
CREATE TEMP TABLE attempts (n serial, s text) ON COMMIT DROP;
INSERT INTO attempts (s) VALUES
	($q$'); DROP TABLE audit.security_events; --$q$),
	($q$$$; DROP TABLE rbac.roles; $$$q$),
	($q$"; DROP TABLE shared.users; --$q$),
	($q$\'; TRUNCATE audit.ip_blocklist; --$q$),
	($q$x' OR '1'='1$q$),
	($q$*/ DELETE FROM gdpr.rights_requests; /*$q$),
	(E'line1\nline2\r\t\u00e9 %s %I %L $1');
SELECT is((SELECT count(*) FROM attempts), 7::bigint, 'seven attempts');

CREATE FUNCTION pg_temp.tables_intact() RETURNS boolean LANGUAGE sql AS $$
	SELECT to_regclass('audit.security_events') IS NOT NULL AND to_regclass('rbac.roles') IS NOT NULL
	   AND to_regclass('shared.users') IS NOT NULL AND to_regclass('audit.ip_blocklist') IS NOT NULL
	   AND to_regclass('gdpr.rights_requests') IS NOT NULL
	   AND (SELECT count(*) FROM audit.response_rules) = 3
$$;

INSERT INTO shared.tenants (id, name) VALUES ('10000000-0000-0000-0000-0000000000f1', 'inj');
INSERT INTO rbac.roles (id, name) VALUES ('30000000-0000-0000-0000-0000000000f1', 'admin');

-- ---- log_security_event: every text parameter, and the details ----
CREATE TEMP TABLE logged ON COMMIT DROP AS
SELECT a.n, a.s, audit.log_security_event(a.s, NULL, '10000000-0000-0000-0000-0000000000f1', NULL,
	a.s, a.s, a.s, a.s, jsonb_build_object(a.s, a.s)) AS id
FROM attempts a;
SELECT is((SELECT row(e.event_type, e.user_agent, e.resource, e.action, e.result, e.details)::text
	   FROM audit.security_events e WHERE e.id = l.id),
	row(l.s, l.s, l.s, l.s, l.s, jsonb_build_object(l.s, l.s))::text,
	'log_security_event stores attempt ' || l.n || ' verbatim in every text field')
FROM (SELECT * FROM logged ORDER BY n) l;
SELECT is(audit.calculate_risk_score(s, NULL, NULL, jsonb_build_object(s, s)), 35,
	'calculate_risk_score of attempt ' || n || ' is an unknown type''s score')
FROM (SELECT * FROM attempts ORDER BY n) a;

-- ---- the columns the shipper writes (actor, source, node) and the blocklist's ----
INSERT INTO audit.security_events (event_type, result, actor, source, node, seq)
SELECT s, s, s, s, s, n FROM attempts;
SELECT is((SELECT count(*) FROM audit.security_events e JOIN attempts a
	   ON e.actor = a.s AND e.source = a.s AND e.node = a.s AND e.seq = a.n), 7::bigint,
	'actor, source and node store every attempt verbatim');
INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
SELECT ('192.0.2.' || n)::inet, s, s, s FROM attempts;
SELECT is((SELECT count(*) FROM audit.ip_blocklist b JOIN attempts a
	   ON b.reason = a.s AND b.created_by = a.s AND b.origin = a.s
	   AND b.ip_address = ('192.0.2.' || a.n)::inet), 7::bigint,
	'reason, created_by and origin store every attempt verbatim');
SELECT is((SELECT bool_and(audit.blocklist_payload('insert', b.ip_address, NULL, b.reason)::jsonb ->> 'reason' = b.reason)
	   FROM audit.ip_blocklist b), true, 'the NOTIFY payload carries every reason verbatim, as JSON');

-- ---- rbac: every text parameter and JSON key ----
SELECT is(rbac.check_permission(gen_random_uuid(), '10000000-0000-0000-0000-0000000000f1', s, s,
				jsonb_build_object(s, s)), false,
	'check_permission with attempt ' || n || ' as resource, action and condition')
FROM (SELECT * FROM attempts ORDER BY n) a;
SELECT is((SELECT bool_and(rbac.check_conditions(jsonb_build_object(s, s), jsonb_build_object(s, s)))
	   FROM attempts), true, 'check_conditions compares attempts as values (equal: true)');
SELECT is((SELECT bool_or(rbac.check_ip_range(to_jsonb(s), to_jsonb(s))) FROM attempts), false,
	'check_ip_range: attempts are malformed ranges and addresses');
SELECT is((SELECT bool_and(rbac.check_location(to_jsonb(s), to_jsonb(s))) FROM attempts), true,
	'check_location compares attempts as values');
SELECT is((SELECT bool_or(rbac.check_time_range(jsonb_build_object('start', s, 'end', s, 'timezone', s), now()))
	   FROM attempts), false, 'check_time_range: attempts are malformed times');

-- ---- masking, responses, GDPR ----
SELECT is((SELECT bool_and(data_classification.mask_data(s, s, s) = '***MASKED***') FROM attempts), true,
	'mask_data with an attempt as value, rule and level masks it all');
SELECT is((SELECT bool_and(data_classification.mask_data(s, 'email', 'admin') = s) FROM attempts), true,
	'mask_data returns an attempt verbatim to admins');
SELECT is((SELECT bool_and(audit.data_volume_bound(s) IS NULL AND NOT audit.check_data_volume(s, jsonb_build_object('data_volume', s)))
	   FROM attempts), true, 'data_volume: attempts are no bound and no volume');
SELECT throws_ok(format('SELECT audit.execute_response_action(%L, (SELECT e FROM audit.security_events e LIMIT 1))', s),
	'22023', NULL, 'execute_response_action refuses attempt ' || n || ' as an unknown action')
FROM (SELECT * FROM attempts ORDER BY n) a;
INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
SELECT s, jsonb_build_object('event_type', s), '{"actions": ["notify_admin"]}' FROM attempts;
SELECT lives_ok($$SELECT audit.execute_automated_response(id) FROM logged$$,
	'rules named and matching by the attempts run');
SELECT is((SELECT count(*) FROM notifications.queue q JOIN logged l ON q.event_id = l.id
	   WHERE q.message = 'Security event detected: ' || l.s), 7::bigint,
	'each attempt''s event matched its rule; the messages hold the attempts verbatim');
DELETE FROM audit.response_rules WHERE rule_name IN (SELECT s FROM attempts);
SELECT lives_ok($$SELECT audit.notify_role(s, (SELECT e FROM audit.security_events e LIMIT 1)) FROM attempts$$,
	'notify_role with the attempts as role names');
SELECT is((SELECT count(*) FROM notifications.queue q JOIN attempts a ON q.recipient_name = a.s),
	7::bigint, 'the role names are stored verbatim');

INSERT INTO shared.users (tenant_id, email, first_name)
SELECT '10000000-0000-0000-0000-0000000000f1', s || '@example.com', s FROM attempts;
INSERT INTO gdpr.rights_requests (id, request_type, subject_email, tenant_id)
SELECT md5('req' || n)::uuid, 'erasure', s || '@example.com', '10000000-0000-0000-0000-0000000000f1'
FROM attempts;
SELECT lives_ok($$SELECT gdpr.process_erasure_request(md5('req' || n)::uuid) FROM attempts$$,
	'process_erasure_request with the attempts as subject addresses');
SELECT is((SELECT count(*) FROM shared.users WHERE email LIKE 'REDACTED_%' AND first_name LIKE 'REDACTED_%'),
	7::bigint, 'every attempt''s user was pseudonymized, and only by its value');
SELECT is((SELECT count(*) FROM gdpr.rights_requests WHERE status = 'completed'), 7::bigint,
	'every request completed');

SELECT ok(pg_temp.tables_intact(), 'every table is intact, the rules too');
SELECT is((SELECT count(*) FROM audit.security_events), 14::bigint, 'no event was lost or added');

SELECT * FROM finish();
ROLLBACK;
