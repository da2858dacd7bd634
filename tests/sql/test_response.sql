-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: the guide's three response rules as stored, their validation
-- (audit.response_rule_valid, response_action_names, data_volume_bound), matching
-- (check_rule_conditions, check_data_volume), audit.execute_response_action for each of
-- the nine actions and audit.execute_automated_response end to end for each rule, with
-- the events just inside and just outside each rule. One transaction, rolled back.
BEGIN;
-- Start from no roles and permissions (0009 seeds edgewardd's; this file makes its own).
DELETE FROM rbac.role_permissions;
DELETE FROM rbac.permissions;
DELETE FROM rbac.roles;
SELECT plan(70);

-- ---- the rules, as the guide has them ----
SELECT is((SELECT array_agg(rule_name ORDER BY rule_name) FROM audit.response_rules),
	ARRAY['Admin Access After Hours', 'Data Export Large Volume', 'Multiple Failed Logins'],
	'the guide''s three rules are there');
SELECT is((SELECT trigger_conditions FROM audit.response_rules WHERE rule_name = 'Multiple Failed Logins'),
	'{"event_type": "failed_login", "count": 5, "time_window": "5 minutes"}'::jsonb,
	'Multiple Failed Logins: 5 failed_login in 5 minutes');
SELECT is((SELECT response_actions FROM audit.response_rules WHERE rule_name = 'Multiple Failed Logins'),
	'{"actions": ["block_ip", "notify_admin", "require_mfa"]}'::jsonb,
	'Multiple Failed Logins: block_ip, notify_admin, require_mfa');
SELECT is((SELECT trigger_conditions FROM audit.response_rules WHERE rule_name = 'Admin Access After Hours'),
	'{"event_type": "admin_login", "time_range": {"start": "22:00", "end": "06:00"}}'::jsonb,
	'Admin Access After Hours: admin_login 22:00-06:00');
SELECT is((SELECT response_actions FROM audit.response_rules WHERE rule_name = 'Admin Access After Hours'),
	'{"actions": ["notify_security_team", "require_additional_auth", "log_extended"]}'::jsonb,
	'Admin Access After Hours: notify_security_team, require_additional_auth, log_extended');
SELECT is((SELECT trigger_conditions FROM audit.response_rules WHERE rule_name = 'Data Export Large Volume'),
	'{"event_type": "data_export", "data_volume": "> 1GB"}'::jsonb,
	'Data Export Large Volume: data_export over 1GB');
SELECT is((SELECT response_actions FROM audit.response_rules WHERE rule_name = 'Data Export Large Volume'),
	'{"actions": ["require_approval", "notify_data_protection_officer", "quarantine_export"]}'::jsonb,
	'Data Export Large Volume: require_approval, notify_data_protection_officer, quarantine_export');
SELECT is((SELECT bool_and(enabled) FROM audit.response_rules), true, 'all three are enabled');

-- ---- validation ----
SELECT is(cardinality(audit.response_action_names()), 9, 'nine actions are known');
SELECT is((SELECT bool_and(a = ANY (audit.response_action_names()))
	   FROM audit.response_rules, jsonb_array_elements_text(response_actions -> 'actions') a),
	true, 'every action the rules name is known');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{"event_type": "a"}', '{"actions": ["format_disk"]}')$$,
	'23514', NULL, 'a rule with an unknown action is refused');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{"event_type": "a", "moon_phase": "full"}', '{"actions": ["notify_admin"]}')$$,
	'23514', NULL, 'a rule with an unknown condition is refused');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{"event_type": "a", "count": 3}', '{"actions": ["notify_admin"]}')$$,
	'23514', NULL, 'a count without a time_window is refused');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{"event_type": "a", "count": 0, "time_window": "1 minute"}', '{"actions": ["notify_admin"]}')$$,
	'23514', NULL, 'a count of 0 is refused');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{"event_type": "a", "count": 2, "time_window": "soon"}', '{"actions": ["notify_admin"]}')$$,
	'23514', NULL, 'a time_window that is not an interval is refused');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{"event_type": "a", "data_volume": "lots"}', '{"actions": ["notify_admin"]}')$$,
	'23514', NULL, 'a data_volume that does not parse is refused');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{"event_type": "a"}', '{"actions": []}')$$,
	'23514', NULL, 'a rule without actions is refused');
SELECT throws_ok($$INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions)
		   VALUES ('x', '{}', '{"actions": ["notify_admin"]}')$$,
	'23514', NULL, 'a rule without conditions (matching everything) is refused');
SELECT is(audit.response_rule_valid('{"event_type": "a", "count": 2, "time_window": "10 minutes",
	"time_range": {"start": "01:00", "end": "02:00"}, "data_volume": ">= 10 MB"}',
	'{"actions": ["notify_admin", "log_extended"]}'), true, 'a rule using every condition is valid');

SELECT is((SELECT row(op, bytes)::text FROM audit.data_volume_bound('> 1GB')),
	row('>', 1073741824::numeric)::text, 'data_volume "> 1GB" is > 2^30 bytes');
SELECT is((SELECT row(op, bytes)::text FROM audit.data_volume_bound(' >=  512 MB ')),
	row('>=', 536870912::numeric)::text, 'data_volume ">= 512 MB", blanks anywhere');
SELECT is((SELECT row(op, bytes)::text FROM audit.data_volume_bound('< 10kB')),
	row('<', 10240::numeric)::text, 'data_volume "< 10kB"');
SELECT is((SELECT op FROM audit.data_volume_bound('> 1 XB')), NULL, 'an unknown unit is not a bound');
SELECT is((SELECT op FROM audit.data_volume_bound('1GB')), NULL, 'no operator is not a bound');
SELECT is((SELECT op FROM audit.data_volume_bound('> 1GB; DROP TABLE x')), NULL,
	'trailing text is not a bound');

SELECT is(audit.check_data_volume('> 1GB', '{"data_volume_bytes": 1073741825}'), true,
	'check_data_volume: one byte over 1GB');
SELECT is(audit.check_data_volume('> 1GB', '{"data_volume_bytes": 1073741824}'), false,
	'check_data_volume: exactly 1GB is not over');
SELECT is(audit.check_data_volume('> 1GB', '{"data_volume": "1.5 GB"}'), true,
	'check_data_volume: a size text');
SELECT is(audit.check_data_volume('> 1GB', '{"data_volume": 2000000000}'), true,
	'check_data_volume: data_volume as a number of bytes');
SELECT is(audit.check_data_volume('> 1GB', '{"data_volume": "huge"}'), false,
	'check_data_volume: an unreadable volume is false');
SELECT is(audit.check_data_volume('> 1GB', '{}'), false, 'check_data_volume: no volume is false');
SELECT is(audit.check_data_volume('<= 1kB', '{"data_volume_bytes": 1024}'), true,
	'check_data_volume: <= at the edge');

-- ---- fixtures ----
INSERT INTO shared.tenants (id, name) VALUES ('10000000-0000-0000-0000-0000000000dd', 'response');
INSERT INTO shared.users (id, tenant_id, email) VALUES
	('20000000-0000-0000-0000-0000000000d1', '10000000-0000-0000-0000-0000000000dd', 'dana@example.com'),
	('20000000-0000-0000-0000-0000000000d2', '10000000-0000-0000-0000-0000000000dd', 'eli@example.com');
INSERT INTO rbac.roles (id, name) VALUES
	('30000000-0000-0000-0000-0000000000d1', 'admin'),
	('30000000-0000-0000-0000-0000000000d2', 'security_team');
-- (no data_protection_officer role: the message is still queued, by name)

-- ---- rule 1: five failed logins from one source in five minutes ----
INSERT INTO audit.security_events (event_type, user_id, ip_address, result, "timestamp") VALUES
	('failed_login', '20000000-0000-0000-0000-0000000000d1', '198.51.100.20', 'failure', now() - interval '5 minutes'),
	('failed_login', '20000000-0000-0000-0000-0000000000d1', '198.51.100.20', 'failure', now() - interval '4 minutes'),
	('failed_login', '20000000-0000-0000-0000-0000000000d1', '198.51.100.20', 'failure', now() - interval '3 minutes'),
	('failed_login', '20000000-0000-0000-0000-0000000000d1', '198.51.100.21', 'failure', now() - interval '2 minutes'),
	('failed_login', '20000000-0000-0000-0000-0000000000d1', '198.51.100.20', 'failure', now() - interval '1 minute'),
	('login_success', '20000000-0000-0000-0000-0000000000d1', '198.51.100.20', 'success', now() - interval '30 seconds');
INSERT INTO audit.security_events (id, event_type, user_id, ip_address, result, "timestamp") VALUES
	('50000000-0000-0000-0000-0000000000d1', 'failed_login', '20000000-0000-0000-0000-0000000000d1',
	 '198.51.100.20', 'failure', now());
SELECT is(audit.check_rule_conditions((SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d1'),
	'{"event_type": "failed_login", "count": 5, "time_window": "5 minutes"}'), false,
	'four in the window from this source (one is exactly 5 minutes old, one from another address): no match');
SELECT lives_ok($$SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000d1')$$,
	'execute_automated_response on a non-matching event');
SELECT is((SELECT count(*) FROM audit.ip_blocklist), 0::bigint, 'nothing was blocked');
SELECT is((SELECT count(*) FROM notifications.queue), 0::bigint, 'nobody was notified');
INSERT INTO audit.security_events (event_type, user_id, ip_address, result, "timestamp") VALUES
	('failed_login', '20000000-0000-0000-0000-0000000000d1', '198.51.100.20', 'failure', now() - interval '4 minutes 59 seconds');
SELECT is(audit.check_rule_conditions((SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d1'),
	'{"event_type": "failed_login", "count": 5, "time_window": "5 minutes"}'), true,
	'a fifth failure 4:59 ago: match');
SELECT lives_ok($$SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000d1')$$,
	'execute_automated_response on the fifth failure');
SELECT is((SELECT row(ip_address, reason, blocked_until, created_by, origin)::text FROM audit.ip_blocklist),
	row('198.51.100.20/32'::inet, 'Automated security response', now() + interval '1 hour',
	    'database', 'response_rule')::text,
	'block_ip: the source is blocked for an hour');
SELECT is((SELECT row(recipient_type, recipient_id, recipient_name, subject, message, event_id)::text
	   FROM notifications.queue),
	row('role', '30000000-0000-0000-0000-0000000000d1'::uuid, 'admin', 'Security Alert',
	    'Security event detected: failed_login', '50000000-0000-0000-0000-0000000000d1'::uuid)::text,
	'notify_admin: one message to the admin role');
SELECT is((SELECT settings FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000d1'),
	'{"require_mfa_next_login": true}'::jsonb, 'require_mfa: the user must use MFA next time');
SELECT is((SELECT settings FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000d2'),
	'{}'::jsonb, 'require_mfa: no other user is touched');

-- IPv6: the source's /64.
INSERT INTO audit.security_events (id, event_type, ip_address, result, "timestamp")
SELECT CASE WHEN i = 5 THEN '50000000-0000-0000-0000-0000000000d2'::uuid ELSE gen_random_uuid() END,
       'failed_login', ('2001:db8:aa:bb:' || i || '::1')::inet, 'failure', now() - (5 - i) * interval '10 seconds'
FROM generate_series(1, 5) i;
SELECT is(audit.check_rule_conditions((SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d2'),
	'{"event_type": "failed_login", "count": 5, "time_window": "5 minutes"}'), false,
	'five failures from five addresses are not five from one source');
UPDATE audit.security_events SET ip_address = '2001:db8:aa:bb::1'
WHERE ip_address << '2001:db8:aa:bb::/64';
SELECT lives_ok($$SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000d2')$$,
	'execute_automated_response on five failures of an IPv6 source without a user');
SELECT is((SELECT count(*) FROM audit.ip_blocklist WHERE ip_address = '2001:db8:aa:bb::/64'), 1::bigint,
	'block_ip: an IPv6 source is blocked by its /64');

-- ---- rule 2: admin login after hours ----
INSERT INTO audit.security_events (id, event_type, user_id, ip_address, result, "timestamp") VALUES
	('50000000-0000-0000-0000-0000000000e1', 'admin_login', '20000000-0000-0000-0000-0000000000d2',
	 '192.0.2.50', 'success', '2024-03-01 23:00Z'),
	('50000000-0000-0000-0000-0000000000e2', 'admin_login', '20000000-0000-0000-0000-0000000000d2',
	 '192.0.2.50', 'success', '2024-03-01 12:00Z'),
	('50000000-0000-0000-0000-0000000000e3', 'admin_login', '20000000-0000-0000-0000-0000000000d2',
	 '192.0.2.50', 'success', '2024-03-01 06:00Z');
SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000e2');
SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000e3');
SELECT is((SELECT settings FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000d2'),
	'{}'::jsonb, 'admin logins at 12:00 and 06:00 UTC trigger nothing');
SELECT lives_ok($$SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000e1')$$,
	'execute_automated_response on an admin login at 23:00 UTC (the guide''s CASE raised case_not_found here)');
SELECT is((SELECT row(recipient_id, recipient_name)::text FROM notifications.queue
	   WHERE event_id = '50000000-0000-0000-0000-0000000000e1'),
	row('30000000-0000-0000-0000-0000000000d2'::uuid, 'security_team')::text,
	'notify_security_team: one message to the security team');
SELECT is((SELECT settings FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000d2'),
	'{"log_extended": true, "require_additional_auth_next_login": true}'::jsonb,
	'require_additional_auth and log_extended are set on the user');
SELECT is((SELECT count(*) FROM audit.ip_blocklist WHERE ip_address = '192.0.2.50'), 0::bigint,
	'rule 2 blocks nothing');

-- ---- rule 3: a large export ----
INSERT INTO shared.data_exports (id, created_by, size_bytes, status, created_at) VALUES
	('60000000-0000-0000-0000-0000000000f1', '20000000-0000-0000-0000-0000000000d2', 3000000000, 'ready', now() - interval '1 minute'),
	('60000000-0000-0000-0000-0000000000f2', '20000000-0000-0000-0000-0000000000d2', 10, 'ready', now() - interval '1 hour'),
	('60000000-0000-0000-0000-0000000000f3', '20000000-0000-0000-0000-0000000000d1', 10, 'ready', now());
INSERT INTO audit.security_events (id, event_type, user_id, result, details) VALUES
	('50000000-0000-0000-0000-0000000000f1', 'data_export', '20000000-0000-0000-0000-0000000000d2', 'success',
	 '{"data_volume_bytes": 1073741824}'),
	('50000000-0000-0000-0000-0000000000f2', 'data_export', '20000000-0000-0000-0000-0000000000d2', 'success',
	 '{"data_volume": "2.8 GB"}');
SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000f1');
SELECT is((SELECT count(*) FROM shared.data_exports WHERE status = 'quarantined' OR approval_required),
	0::bigint, 'an export of exactly 1GB triggers nothing');
SELECT lives_ok($$SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000f2')$$,
	'execute_automated_response on a 2.8 GB export');
SELECT is((SELECT row(status, approval_required, quarantine_reason)::text FROM shared.data_exports
	   WHERE id = '60000000-0000-0000-0000-0000000000f1'),
	row('quarantined', true, 'Automated security response')::text,
	'require_approval and quarantine_export: the user''s recent export');
SELECT is((SELECT array_agg(status ORDER BY id) FROM shared.data_exports
	   WHERE id IN ('60000000-0000-0000-0000-0000000000f2', '60000000-0000-0000-0000-0000000000f3')),
	ARRAY['ready', 'ready'], 'an older export and another user''s are not touched');
SELECT is((SELECT row(recipient_id, recipient_name)::text FROM notifications.queue
	   WHERE event_id = '50000000-0000-0000-0000-0000000000f2'),
	row(NULL::uuid, 'data_protection_officer')::text,
	'notify_data_protection_officer: queued by name though no such role exists');

-- ---- execute_response_action, alone ----
SELECT lives_ok($$SELECT audit.execute_response_action('block_ip',
	(SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000f2'))$$,
	'block_ip on an event without an address does nothing (the guide inserted NULL)');
UPDATE audit.ip_blocklist SET blocked_until = now() + interval '3 hours' WHERE ip_address = '198.51.100.20';
SELECT audit.execute_response_action('block_ip',
	(SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d1'));
SELECT is((SELECT blocked_until FROM audit.ip_blocklist WHERE ip_address = '198.51.100.20'),
	now() + interval '3 hours', 'block_ip never shortens a longer block');
UPDATE audit.ip_blocklist SET blocked_until = now() - interval '1 minute' WHERE ip_address = '198.51.100.20';
SELECT audit.execute_response_action('block_ip',
	(SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d1'));
SELECT is((SELECT blocked_until FROM audit.ip_blocklist WHERE ip_address = '198.51.100.20'),
	now() + interval '1 hour', 'block_ip renews an expired block');
UPDATE audit.ip_blocklist SET blocked_until = NULL WHERE ip_address = '198.51.100.20';
SELECT audit.execute_response_action('block_ip',
	(SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d1'));
SELECT is((SELECT blocked_until FROM audit.ip_blocklist WHERE ip_address = '198.51.100.20'), NULL,
	'block_ip keeps a permanent block permanent');
SELECT is((SELECT count(*) FROM audit.ip_blocklist WHERE ip_address = '198.51.100.20'), 1::bigint,
	'block_ip of a blocked source updates its row');
SELECT throws_ok($$SELECT audit.execute_response_action('format_disk',
	(SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d1'))$$,
	'22023', NULL, 'an unknown action is an error');
SELECT throws_ok($$SELECT audit.execute_response_action(NULL,
	(SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000d1'))$$,
	'22023', NULL, 'a NULL action is an error');
SELECT lives_ok($$SELECT audit.notify_role('auditors', (SELECT e FROM audit.security_events e
	WHERE id = '50000000-0000-0000-0000-0000000000d1'))$$, 'notify_role to any role by name');
SELECT is((SELECT count(*) FROM notifications.queue WHERE recipient_name = 'auditors'), 1::bigint,
	'notify_role queued one message');

-- ---- execute_automated_response: edges ----
SELECT throws_ok($$SELECT audit.execute_automated_response('50000000-0000-0000-0000-000000000000')$$,
	'P0002', NULL, 'an event that does not exist is an error');
UPDATE audit.response_rules SET enabled = false WHERE rule_name = 'Admin Access After Hours';
UPDATE shared.users SET settings = '{}' WHERE id = '20000000-0000-0000-0000-0000000000d2';
SELECT audit.execute_automated_response('50000000-0000-0000-0000-0000000000e1');
SELECT is((SELECT settings FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000d2'),
	'{}'::jsonb, 'a disabled rule does not run');
SELECT is(audit.check_rule_conditions((SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000e1'),
	'{"event_type": "admin_login", "phase_of_moon": "full"}'), false,
	'check_rule_conditions: an unknown condition never matches');
SELECT is(audit.check_rule_conditions(NULL, '{"event_type": "admin_login"}'), false,
	'check_rule_conditions: no event never matches');
SELECT is(audit.check_rule_conditions((SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000e1'),
	'{"event_type": "admin_login"}'), true, 'check_rule_conditions: event_type alone');
SELECT is(audit.check_rule_conditions((SELECT e FROM audit.security_events e WHERE id = '50000000-0000-0000-0000-0000000000e1'),
	'{"event_type": "Admin_Login"}'), false, 'check_rule_conditions: event types are case-sensitive');

SELECT * FROM finish();
ROLLBACK;
