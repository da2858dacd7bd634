-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: audit.security_events (the columns other programs rely on, constraints, the
-- guide's indexes), audit.log_security_event (the risk > 75 alert path and its edge),
-- audit.trigger_security_alert, audit.ip_blocklist (network form, uniqueness) and
-- audit.blocklist_payload. The NOTIFYs themselves are sent at commit; test_sql.sh LISTENs
-- for them. One transaction, rolled back.
BEGIN;
-- Start from no roles and permissions (0009 seeds edgewardd's; this file makes its own).
DELETE FROM rbac.role_permissions;
DELETE FROM rbac.permissions;
DELETE FROM rbac.roles;
SELECT plan(50);

-- ---- the table's shape: the contract with the journal shipper ----
SELECT columns_are('audit', 'security_events', ARRAY['id', 'event_type', 'user_id', 'tenant_id',
	'ip_address', 'user_agent', 'resource', 'action', 'result', 'risk_score', 'details',
	'timestamp', 'actor', 'source', 'node', 'seq'], 'security_events has the guide''s columns and actor, source, node, seq');
SELECT col_type_is('audit', 'security_events', 'id', 'uuid', 'id is a uuid');
SELECT col_is_pk('audit', 'security_events', 'id', 'id is the primary key (ON CONFLICT (id))');
SELECT col_type_is('audit', 'security_events', 'ip_address', 'inet', 'ip_address is inet');
SELECT col_type_is('audit', 'security_events', 'seq', 'bigint', 'seq is bigint');
SELECT col_type_is('audit', 'security_events', 'timestamp', 'timestamp with time zone', 'timestamp is timestamptz');
SELECT col_not_null('audit', 'security_events', 'event_type', 'event_type is NOT NULL');
SELECT col_not_null('audit', 'security_events', 'result', 'result is NOT NULL');
SELECT has_index('audit', 'security_events', 'idx_security_events_user_time', 'the guide''s user/time index');
SELECT has_index('audit', 'security_events', 'idx_security_events_tenant_time', 'the guide''s tenant/time index');
SELECT has_index('audit', 'security_events', 'idx_security_events_type_time', 'the guide''s type/time index');
SELECT has_index('audit', 'security_events', 'idx_security_events_risk', 'the guide''s partial risk index');
SELECT has_index('audit', 'security_events', 'idx_security_events_node_seq', 'the shipper''s node/seq index');
SELECT has_index('audit', 'security_events', 'idx_security_events_time', 'the catch-up time index');
SELECT has_index('audit', 'security_events', 'idx_security_events_ip_time', 'the responses'' address/time index');
SELECT trigger_is('audit', 'security_events', 'security_events_notify', 'audit', 'notify_security_event',
	'new events are announced by audit.notify_security_event');
SELECT throws_ok($$INSERT INTO audit.security_events (event_type, result, risk_score) VALUES ('x', 'success', 101)$$,
	'23514', NULL, 'a risk score above 100 is refused');
SELECT throws_ok($$INSERT INTO audit.security_events (event_type, result, risk_score) VALUES ('x', 'success', -1)$$,
	'23514', NULL, 'a negative risk score is refused');

-- ---- log_security_event ----
INSERT INTO rbac.roles (id, name) VALUES ('30000000-0000-0000-0000-0000000000cc', 'admin');
CREATE TEMP TABLE ev ON COMMIT DROP AS
SELECT audit.log_security_event('failed_login', '20000000-0000-0000-0000-0000000000c1',
	'10000000-0000-0000-0000-0000000000c1', '198.51.100.7', 'curl/8.0', 'api', 'login',
	'failure', '{"why": "bad password"}') AS id;
SELECT is((SELECT row(event_type, user_id, tenant_id, ip_address, user_agent, resource, action,
		      result, risk_score, details)::text
	   FROM audit.security_events WHERE id = (SELECT id FROM ev)),
	row('failed_login', '20000000-0000-0000-0000-0000000000c1'::uuid,
	    '10000000-0000-0000-0000-0000000000c1'::uuid, '198.51.100.7'::inet, 'curl/8.0', 'api',
	    'login', 'failure', 45, '{"why": "bad password"}'::jsonb)::text,
	'log_security_event stores every field and the score (20 + new place 25)');
SELECT is((SELECT "timestamp" FROM audit.security_events WHERE id = (SELECT id FROM ev)), now(),
	'the event is stamped now');
SELECT is((SELECT count(*) FROM notifications.queue), 0::bigint, 'a score of 45 raises no alert');

-- Two failures in the hour: 20 + 25 + 30 = 75, the edge: no alert.
INSERT INTO audit.security_events (event_type, user_id, result) VALUES
	('failed_login', '20000000-0000-0000-0000-0000000000c2', 'failure'),
	('failed_login', '20000000-0000-0000-0000-0000000000c2', 'failure');
-- (\gset: a function called in the WHERE of the query reading its row would run per row,
-- and its insert would not be visible to that query's snapshot.)
SELECT audit.log_security_event('failed_login', '20000000-0000-0000-0000-0000000000c2',
				p_ip_address => '203.0.113.1', p_result => 'failure') AS ev75 \gset
SELECT is((SELECT risk_score FROM audit.security_events WHERE id = :'ev75'), 75,
	'two recent failures: 75');
SELECT is((SELECT count(*) FROM notifications.queue), 0::bigint, 'a score of exactly 75 raises no alert');
-- Three failures now: 20 + 25 + 45 = 90.
SELECT audit.log_security_event('failed_login', '20000000-0000-0000-0000-0000000000c2',
				p_ip_address => '203.0.113.1', p_result => 'failure') AS ev90 \gset
SELECT is((SELECT risk_score FROM audit.security_events WHERE id = :'ev90'), 90,
	'three recent failures: 90');
SELECT is((SELECT count(*) FROM notifications.queue WHERE event_id = :'ev90'), 1::bigint,
	'a score above 75 queues one alert about the event');
SELECT is((SELECT row(recipient_type, recipient_id, recipient_name, status)::text
	   FROM notifications.queue WHERE event_id = :'ev90'),
	row('role', '30000000-0000-0000-0000-0000000000cc'::uuid, 'admin', 'pending')::text,
	'the alert goes to the admin role, pending');
SELECT matches((SELECT message FROM notifications.queue WHERE event_id = :'ev90'),
	'failed_login.*90', 'the alert names the event type and the score');
SELECT audit.log_security_event('suspicious_activity') AS ev85 \gset
SELECT is((SELECT risk_score FROM audit.security_events WHERE id = :'ev85'), 85,
	'defaults: no user, no address: 60 + 25');
SELECT audit.log_security_event('logout', p_details => NULL) AS evdef \gset
SELECT is((SELECT row(result, details, user_id, ip_address)::text FROM audit.security_events
	   WHERE id = :'evdef'),
	row('success', '{}'::jsonb, NULL::uuid, NULL::inet)::text,
	'defaults: result success, details {} (also for NULL details)');
SELECT throws_ok($$SELECT audit.log_security_event('x', p_result => NULL)$$, '23502', NULL,
	'a NULL result is refused');
SELECT is((SELECT count(*) FROM notifications.queue), 2::bigint,
	'the 85 alerted too; nothing else did');

-- ---- trigger_security_alert, also when no admin role exists ----
DELETE FROM rbac.roles WHERE name = 'admin';
SELECT lives_ok($$SELECT audit.trigger_security_alert((SELECT id FROM ev), 99)$$,
	'trigger_security_alert runs without an admin role');
SELECT is((SELECT row(recipient_id, recipient_name, subject)::text FROM notifications.queue
	   WHERE event_id = (SELECT id FROM ev)),
	row(NULL::uuid, 'admin', 'High-risk security event')::text,
	'the alert is still queued, to the role by name');

-- ---- ip_blocklist: one row per network, without host bits ----
SELECT columns_are('audit', 'ip_blocklist', ARRAY['id', 'ip_address', 'reason', 'blocked_at',
	'blocked_until', 'created_by', 'origin'], 'ip_blocklist has the agreed columns');
SELECT trigger_is('audit', 'ip_blocklist', 'ip_blocklist_notify', 'audit', 'notify_blocklist',
	'blocklist changes are announced by audit.notify_blocklist');
SELECT lives_ok($$INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
		  VALUES ('192.0.2.7', 'scanner', 'edge1', 'manual')$$, 'a host can be blocked');
SELECT throws_ok($$INSERT INTO audit.ip_blocklist (ip_address) VALUES ('192.0.2.7/32')$$, '23505', NULL,
	'the same host twice is refused (192.0.2.7 = 192.0.2.7/32)');
SELECT lives_ok($$INSERT INTO audit.ip_blocklist (ip_address, blocked_until)
		  VALUES ('2001:db8:1:2::/64', now() + interval '1 hour')$$, 'an IPv6 /64 can be blocked');
SELECT lives_ok($$INSERT INTO audit.ip_blocklist (ip_address) VALUES ('2001:db8::/32')$$,
	'an overlapping wider network is another row');
SELECT throws_ok($$INSERT INTO audit.ip_blocklist (ip_address) VALUES ('10.0.0.5/24')$$, '23514', NULL,
	'a network with host bits set is refused, not widened');
SELECT throws_ok($$INSERT INTO audit.ip_blocklist (reason) VALUES ('no address')$$, '23502', NULL,
	'an address is required');
SELECT throws_ok($$INSERT INTO audit.ip_blocklist (ip_address, blocked_until) VALUES ('192.0.2.99', 'infinity')$$,
	'23514', NULL, 'an infinite blocked_until is refused (NULL is permanent)');
SELECT is((SELECT blocked_until FROM audit.ip_blocklist WHERE ip_address = '192.0.2.7'), NULL,
	'no blocked_until is a permanent block');
SELECT is((SELECT count(*) FROM audit.ip_blocklist WHERE '2001:db8:1:2::99'::inet <<= ip_address),
	2::bigint, 'containment lookups find both networks holding an address');

-- ---- blocklist_payload: what the fleet's listeners parse ----
SELECT is(audit.blocklist_payload('insert', '192.0.2.7', '2023-11-14 23:13:20+00', 'scanner')::jsonb,
	'{"op": "insert", "ip": "192.0.2.7/32", "blocked_until": 1700003600, "reason": "scanner"}'::jsonb,
	'payload: op, the address with its prefix, Unix seconds, reason');
SELECT is(audit.blocklist_payload('delete', '2001:db8:1:2::/64', NULL, NULL)::jsonb,
	'{"op": "delete", "ip": "2001:db8:1:2::/64", "blocked_until": null, "reason": null}'::jsonb,
	'payload: a permanent block and no reason are nulls');
SELECT is(audit.blocklist_payload('update', '192.0.2.7', '2023-11-14 23:13:20.999+00', NULL)::jsonb
	  -> 'blocked_until', '1700003600'::jsonb, 'payload: fractions of a second are floored');
SELECT is(char_length(audit.blocklist_payload('insert', '192.0.2.7', NULL, repeat('é', 300))::jsonb
		      ->> 'reason'), 256, 'payload: the reason is cut to 256 characters');
SELECT cmp_ok(octet_length(audit.blocklist_payload('insert', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
	'294276-12-31 23:59:59+00', repeat(E'\x01', 100000))), '<', 8000,
	'payload: the worst case stays under NOTIFY''s 8000 bytes');
SELECT is(audit.blocklist_payload('insert', '192.0.2.7', NULL, E'"}, {"op": "delete\n')::jsonb
	  ->> 'reason', E'"}, {"op": "delete\n', 'payload: quotes and newlines in a reason stay inside it');

SELECT * FROM finish();
ROLLBACK;
