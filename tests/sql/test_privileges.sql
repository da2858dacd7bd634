-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: the roles edgeward connects as and what each may do, checked both from the
-- catalog (privileges held) and by trying (SET ROLE, then each statement): the
-- controller inserts audit rows but cannot update, delete or truncate them; applications
-- can only call audit.log_security_event; PUBLIC can execute none of our functions; every
-- SECURITY DEFINER function has a fixed search_path. One transaction, rolled back.
BEGIN;
SELECT plan(59);

-- ---- the roles ----
SELECT has_role('edgeward_controller', 'role edgeward_controller exists');
SELECT has_role('edgeward_app', 'role edgeward_app exists');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'edgeward_controller'), false,
	'the migration gives the controller role no LOGIN');
SELECT is((SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles
	   WHERE rolname = 'edgeward_controller'), false,
	'the controller role has no superuser, CREATEROLE, CREATEDB or BYPASSRLS');
SELECT is((SELECT rolcanlogin OR rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'edgeward_app'), false,
	'the application role has no LOGIN, superuser or BYPASSRLS');

-- ---- what the catalog says ----
SELECT table_privs_are('audit', 'security_events', 'edgeward_controller', ARRAY['INSERT', 'SELECT'],
	'controller: INSERT and SELECT on security_events, nothing else');
SELECT table_privs_are('audit', 'ip_blocklist', 'edgeward_controller',
	ARRAY['DELETE', 'INSERT', 'SELECT', 'UPDATE'], 'controller: INSERT, SELECT, UPDATE, DELETE on ip_blocklist');
SELECT table_privs_are('audit', 'response_rules', 'edgeward_controller', ARRAY['SELECT'],
	'controller: SELECT on response_rules');
SELECT table_privs_are('notifications', 'queue', 'edgeward_controller', ARRAY['INSERT'],
	'controller: INSERT on notifications.queue');
SELECT table_privs_are('rbac', t, 'edgeward_controller', ARRAY['SELECT'], 'controller: SELECT on rbac.' || t)
FROM unnest(ARRAY['permissions', 'role_permissions', 'roles', 'user_roles']) t;
SELECT table_privs_are('audit', t, 'edgeward_app', ARRAY[]::text[], 'application: no privilege on audit.' || t)
FROM unnest(ARRAY['ip_blocklist', 'response_rules', 'security_events']) t;
SELECT table_privs_are('public', 'schema_migrations', 'edgeward_controller', ARRAY[]::text[],
	'controller: nothing on public.schema_migrations');
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	   WHERE n.nspname IN ('shared', 'gdpr', 'data_classification') AND c.relkind = 'r'
	     AND (has_table_privilege('edgeward_controller', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
		  OR has_table_privilege('edgeward_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'))),
	0::bigint, 'neither role may touch shared, gdpr or data_classification tables');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
	   JOIN pg_namespace n ON n.oid = p.pronamespace
	   WHERE n.nspname IN ('shared', 'rbac', 'audit', 'notifications', 'data_classification', 'gdpr')
	     AND has_function_privilege('edgeward_app', p.oid, 'EXECUTE')),
	ARRAY['audit.log_security_event(text,uuid,uuid,inet,text,text,text,text,jsonb)'],
	'application: audit.log_security_event is the one function it may execute');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
	   JOIN pg_namespace n ON n.oid = p.pronamespace
	   WHERE n.nspname IN ('audit', 'gdpr', 'data_classification')
	     AND has_function_privilege('edgeward_controller', p.oid, 'EXECUTE')),
	ARRAY['audit.blocklist_payload(text,inet,timestamp with time zone,text)',
	      'audit.calculate_risk_score(text,uuid,inet,jsonb)', 'audit.execute_automated_response(uuid)',
	      'audit.log_security_event(text,uuid,uuid,inet,text,text,text,text,jsonb)'],
	'controller: of audit, gdpr and data_classification it may execute these four (blocklist_payload: the NOTIFY trigger of its own blocklist writes)');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
	   JOIN pg_namespace n ON n.oid = p.pronamespace
	   WHERE n.nspname IN ('shared', 'rbac', 'audit', 'notifications', 'data_classification', 'gdpr')
	     AND (p.proacl IS NULL
		  OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a
			     WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))),
	NULL, 'PUBLIC may execute none of our functions');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
	   JOIN pg_namespace n ON n.oid = p.pronamespace
	   WHERE n.nspname IN ('shared', 'rbac', 'audit', 'notifications', 'data_classification', 'gdpr')
	     AND p.prosecdef
	     AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')),
	NULL, 'every SECURITY DEFINER function has its own search_path');
SELECT is((SELECT array_agg(n.nspname::text ORDER BY n.nspname) FROM pg_namespace n
	   WHERE n.nspname IN ('shared', 'rbac', 'audit', 'notifications', 'data_classification', 'gdpr')
	     AND has_schema_privilege('public', n.oid, 'USAGE')),
	NULL, 'PUBLIC has no usage on any of our schemas');

-- ---- the controller, trying ----
SET ROLE edgeward_controller;
SELECT lives_ok($$INSERT INTO audit.security_events (id, event_type, result, actor, source, node, seq)
		  VALUES ('80000000-0000-0000-0000-000000000001', 'login_success', 'success', 'alice', 'unix', 'edge1', 1)$$,
	'controller: INSERT an event');
SELECT lives_ok($$INSERT INTO audit.security_events (id, event_type, result, actor, source, node, seq)
		  VALUES ('80000000-0000-0000-0000-000000000001', 'login_success', 'success', 'alice', 'unix', 'edge1', 1)
		  ON CONFLICT (id) DO NOTHING$$,
	'controller: the shipper''s INSERT ... ON CONFLICT (id) DO NOTHING of the same event');
SELECT is((SELECT count(*) FROM audit.security_events WHERE id = '80000000-0000-0000-0000-000000000001'),
	1::bigint, 'controller: SELECT, and the event is stored once');
SELECT throws_ok($$UPDATE audit.security_events SET result = 'failure'$$, '42501', NULL,
	'controller: UPDATE of events refused');
SELECT throws_ok($$DELETE FROM audit.security_events$$, '42501', NULL, 'controller: DELETE of events refused');
SELECT throws_ok($$TRUNCATE audit.security_events$$, '42501', NULL, 'controller: TRUNCATE of events refused');
SELECT throws_ok($$INSERT INTO audit.security_events (id, event_type, result) VALUES
		   ('80000000-0000-0000-0000-000000000001', 'x', 'success')
		   ON CONFLICT (id) DO UPDATE SET result = 'forged'$$, '42501', NULL,
	'controller: an upsert that would rewrite an event refused');
SELECT lives_ok($$INSERT INTO audit.ip_blocklist (ip_address, reason, blocked_until, created_by, origin)
		  VALUES ('203.0.113.9', 'brute force', now() + interval '1 hour', 'edge1', 'auto')$$,
	'controller: INSERT a block');
SELECT lives_ok($$UPDATE audit.ip_blocklist SET blocked_until = now() + interval '2 hours'
		  WHERE ip_address = '203.0.113.9'$$, 'controller: UPDATE a block');
SELECT lives_ok($$DELETE FROM audit.ip_blocklist WHERE ip_address = '203.0.113.9'$$,
	'controller: DELETE a block');
SELECT throws_ok($$TRUNCATE audit.ip_blocklist$$, '42501', NULL, 'controller: TRUNCATE of the blocklist refused');
SELECT lives_ok($$SELECT * FROM audit.response_rules$$, 'controller: read the response rules');
SELECT throws_ok($$UPDATE audit.response_rules SET enabled = false$$, '42501', NULL,
	'controller: change the response rules refused');
SELECT lives_ok($$INSERT INTO notifications.queue (recipient_type, recipient_name, subject, message)
		  VALUES ('role', 'admin', 'Blocked', '203.0.113.9 blocked')$$, 'controller: queue a notification');
SELECT throws_ok($$SELECT * FROM notifications.queue$$, '42501', NULL, 'controller: read the queue refused');
SELECT lives_ok($$SELECT * FROM rbac.roles$$, 'controller: read the roles');
SELECT lives_ok($$SELECT audit.log_security_event('admin_action', p_result => 'success')$$,
	'controller: log_security_event');
SELECT lives_ok($$SELECT audit.calculate_risk_score('failed_login', NULL, '192.0.2.1', '{}')$$,
	'controller: calculate_risk_score');
SELECT lives_ok($$SELECT audit.execute_automated_response('80000000-0000-0000-0000-000000000001')$$,
	'controller: execute_automated_response');
SELECT lives_ok($$SELECT rbac.check_permission(gen_random_uuid(), gen_random_uuid(), 'x', 'y')$$,
	'controller: check_permission');
SELECT throws_ok($$SELECT audit.execute_response_action('block_ip',
	(SELECT e FROM audit.security_events e LIMIT 1))$$, '42501', NULL,
	'controller: execute_response_action directly refused');
SELECT throws_ok($$SELECT audit.trigger_security_alert(gen_random_uuid(), 99)$$, '42501', NULL,
	'controller: trigger_security_alert directly refused');
SELECT throws_ok($$SELECT * FROM shared.users$$, '42501', NULL, 'controller: read users refused');
SELECT throws_ok($$SELECT * FROM gdpr.rights_requests$$, '42501', NULL, 'controller: read GDPR requests refused');
SELECT throws_ok($$SELECT gdpr.process_erasure_request(gen_random_uuid())$$, '42501', NULL,
	'controller: process_erasure_request refused');
SELECT throws_ok($$SELECT data_classification.mask_data('x', 'email')$$, '42501', NULL,
	'controller: mask_data refused');
SELECT throws_ok($$CREATE TABLE audit.mine (x int)$$, '42501', NULL, 'controller: CREATE in audit refused');
SELECT throws_ok($$DELETE FROM public.schema_migrations$$, '42501', NULL,
	'controller: DELETE of the migration record refused');
RESET ROLE;

-- ---- the application role, trying ----
SET ROLE edgeward_app;
SELECT lives_ok($$SELECT audit.log_security_event('data_access', NULL, NULL, '192.0.2.44', 'app/1.0',
		  'invoices', 'read', 'success', '{"rows": 3}')$$, 'application: log_security_event');
SELECT throws_ok($$INSERT INTO audit.security_events (event_type, result) VALUES ('forged', 'success')$$,
	'42501', NULL, 'application: a direct INSERT refused');
SELECT throws_ok($$SELECT count(*) FROM audit.security_events$$, '42501', NULL,
	'application: reading events refused');
SELECT throws_ok($$SELECT audit.calculate_risk_score('x', NULL, NULL, NULL)$$, '42501', NULL,
	'application: calculate_risk_score refused');
SELECT throws_ok($$SELECT audit.execute_automated_response(gen_random_uuid())$$, '42501', NULL,
	'application: execute_automated_response refused');
SELECT throws_ok($$SELECT rbac.check_permission(NULL, NULL, 'x', 'y')$$, '42501', NULL,
	'application: check_permission refused');
SELECT throws_ok($$INSERT INTO audit.ip_blocklist (ip_address) VALUES ('192.0.2.1')$$, '42501', NULL,
	'application: blocking refused');
RESET ROLE;
SELECT is((SELECT row(event_type, ip_address, user_agent, resource, action, result, details)::text
	   FROM audit.security_events WHERE event_type = 'data_access'),
	row('data_access', '192.0.2.44'::inet, 'app/1.0', 'invoices', 'read', 'success', '{"rows": 3}'::jsonb)::text,
	'the application''s event was stored through the function');

SELECT * FROM finish();
ROLLBACK;
