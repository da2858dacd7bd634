-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: what edgewardd reads from the database (0009): shared.tz_offset,
-- controller_time_range, controller_conditions, controller_rule, controller_state (roles
-- with the seeded permissions, user roles by tenant with expiry and the highest level,
-- rules in the config's shapes), and notify_controller_config's edgeward_config
-- notifications (their delivery is checked by tests/integration/test_daemon_db.sh). One
-- transaction, rolled back.
BEGIN;
SELECT plan(50);

-- ---- tz_offset: UTC, fixed offsets of named zones at now(), unknown zones ----
SELECT is(shared.tz_offset(NULL), 'UTC', 'tz_offset: no zone is UTC');
SELECT is(shared.tz_offset('utc'), 'UTC', 'tz_offset: utc in any case');
SELECT is(shared.tz_offset('Asia/Kolkata'), '+05:30', 'tz_offset: half-hour zone east');
SELECT is(shared.tz_offset('America/St_Johns') IN ('-03:30', '-02:30'), true,
	'tz_offset: half-hour zone west, with or without daylight saving');
SELECT is(shared.tz_offset('Europe/Berlin') IN ('+01:00', '+02:00'), true,
	'tz_offset: Europe/Berlin is +01:00 or +02:00 by the season');
SELECT is(shared.tz_offset('Mars/Olympus'), 'unknown time zone Mars/Olympus',
	'tz_offset: an unknown zone gives text the controller refuses');
SELECT is(shared.tz_offset('''; DROP TABLE rbac.roles; --'),
	'unknown time zone ''; DROP TABLE rbac.roles; --', 'tz_offset: injection text is only text');

-- ---- controller_time_range, controller_conditions ----
SELECT is(shared.controller_time_range('{"start": "22:00", "end": "06:00"}'),
	'{"start": "22:00", "end": "06:00", "tz": "UTC"}', 'time_range: UTC by default');
SELECT is(shared.controller_time_range('{"start": "22:00", "end": "06:00", "timezone": "Asia/Kolkata"}'),
	'{"start": "22:00", "end": "06:00", "tz": "+05:30"}', 'time_range: a zone becomes its offset');
SELECT is(shared.controller_time_range('"22:00-06:00"'), '"22:00-06:00"',
	'time_range: not an object is passed on (the controller refuses it)');
SELECT is(shared.controller_conditions('{}', '{}'), '{}', 'conditions: none');
SELECT is(shared.controller_conditions(NULL, NULL), '{}', 'conditions: NULL is none');
SELECT is(shared.controller_conditions('{"ip_range": ["10.0.0.0/8"]}', '{}'),
	'{"ip_range": ["10.0.0.0/8"]}', 'conditions: the permission''s');
SELECT is(shared.controller_conditions('{}', '{"location": "DE"}'), '{"location": "DE"}',
	'conditions: the grant''s');
SELECT is(shared.controller_conditions('{"ip_range": ["10.0.0.0/8"], "location": "DE"}',
				       '{"ip_range": ["10.1.0.0/16"]}'),
	'{"ip_range": ["10.1.0.0/16"], "location": "DE"}',
	'conditions: both, the grant''s value for a key both name');
SELECT is(shared.controller_conditions('[1]', '{"location": "DE"}'),
	'"conditions that are not an object"', 'conditions: an array fails closed');
SELECT is(shared.controller_conditions('{"time_range": {"start": "09:00", "end": "17:00"}}', NULL),
	'{"time_range": {"start": "09:00", "end": "17:00", "tz": "UTC"}}',
	'conditions: a time range gets its offset');

-- ---- controller_rule: the guide's three, and what the controller cannot see ----
SELECT is(shared.controller_rule(r), '{"name": "Multiple Failed Logins", "when": {"event":
	["failed_login", "invalid_user"], "count": 5, "window": "300s"}, "actions": ["block_ip",
	"notify_admin", "require_mfa"]}', 'rule: failed logins, 5 in 5 minutes')
FROM audit.response_rules r WHERE rule_name = 'Multiple Failed Logins';
SELECT is(shared.controller_rule(r), '{"name": "Admin Access After Hours", "when": {"event":
	"login_success", "role": "admin", "time_range": {"start": "22:00", "end": "06:00", "tz":
	"UTC"}}, "actions": ["notify_security_team", "require_additional_auth", "log_extended"]}',
	'rule: admin_login is login_success of role admin')
FROM audit.response_rules r WHERE rule_name = 'Admin Access After Hours';
SELECT is(shared.controller_rule(r), '{"name": "Data Export Large Volume", "when": {"event":
	"data_export", "bytes_over": "1073741824B"}, "actions": ["require_approval",
	"notify_data_protection_officer", "quarantine_export"]}', 'rule: export over 1 GB')
FROM audit.response_rules r WHERE rule_name = 'Data Export Large Volume';
INSERT INTO audit.response_rules (rule_name, trigger_conditions, response_actions) VALUES
	('ge', '{"event_type": "data_export", "data_volume": ">= 1kB"}', '{"actions": ["notify_admin"]}'),
	('lt', '{"event_type": "data_export", "data_volume": "< 1kB"}', '{"actions": ["notify_admin"]}'),
	('custom', '{"event_type": "suspicious_query"}', '{"actions": ["notify_admin"]}'),
	('hours', '{"event_type": "failed_login", "count": 2, "time_window": "1 hour 30 minutes"}',
	 '{"actions": ["block_ip"]}');
SELECT is(shared.controller_rule(r) -> 'when' ->> 'bytes_over', '1023B', 'rule: >= 1kB is over 1023 bytes')
FROM audit.response_rules r WHERE rule_name = 'ge';
SELECT is(shared.controller_rule(r) -> 'when' ->> 'bytes_over', 'not a threshold: < 1kB',
	'rule: < is not a threshold (the controller refuses it)')
FROM audit.response_rules r WHERE rule_name = 'lt';
SELECT is(shared.controller_rule(r), NULL, 'rule: an event the controller does not see is NULL')
FROM audit.response_rules r WHERE rule_name = 'custom';
SELECT is(shared.controller_rule(r) -> 'when' ->> 'window', '5400s', 'rule: an interval in seconds')
FROM audit.response_rules r WHERE rule_name = 'hours';

-- ---- controller_state ----
SELECT is((SELECT count(*) FROM jsonb_object_keys(shared.controller_state(NULL) -> 'roles')), 5::bigint,
	'state: the five seeded roles');
SELECT is(jsonb_array_length(shared.controller_state(NULL) #> '{roles,admin,permissions}'), 26,
	'state: admin holds the 26 seeded permissions');
SELECT is(shared.controller_state(NULL) #>> '{roles,viewer,level}', '20', 'state: levels');
SELECT is(jsonb_array_length(shared.controller_state(NULL) #> '{roles,employee,permissions}'), 4,
	'state: employee: stats read, self read and update, health read');
SELECT is(shared.controller_state(NULL) -> 'users', '{}', 'state: no tenant, no users');
SELECT is(shared.controller_state(NULL) -> 'skipped_rules', '["custom"]',
	'state: the rule the controller cannot see is named');
SELECT is(jsonb_array_length(shared.controller_state(NULL) -> 'rules'), 6,
	'state: the other six rules (lt included: the controller reports it)');
UPDATE audit.response_rules SET enabled = false WHERE rule_name = 'hours';
SELECT is(jsonb_array_length(shared.controller_state(NULL) -> 'rules'), 5, 'state: disabled rules are left out');

INSERT INTO shared.tenants (id, name, industry) VALUES
	('11111111-1111-1111-1111-111111111111', 'acme', 'restaurants'),
	('22222222-2222-2222-2222-222222222222', 'other', NULL);
INSERT INTO rbac.roles (name, level, industry) VALUES ('waiter', 5, 'restaurants'), ('broker', 5, 'finance');
INSERT INTO shared.users (id, tenant_id, email) VALUES
	('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', 'Ann@Example.com'),
	('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111', 'bob@example.com'),
	('a0000000-0000-0000-0000-000000000003', '22222222-2222-2222-2222-222222222222', 'ann@example.com'),
	('a0000000-0000-0000-0000-000000000004', '11111111-1111-1111-1111-111111111111', 'eve@example.com');
INSERT INTO rbac.user_roles (user_id, role_id, tenant_id, expires_at)
SELECT u, r.id, t, e FROM (VALUES
	('a0000000-0000-0000-0000-000000000001'::uuid, 'viewer', '11111111-1111-1111-1111-111111111111'::uuid, NULL::timestamptz),
	('a0000000-0000-0000-0000-000000000001', 'manager', '11111111-1111-1111-1111-111111111111', NULL),
	('a0000000-0000-0000-0000-000000000002', 'admin', '11111111-1111-1111-1111-111111111111', now() - interval '1 second'),
	('a0000000-0000-0000-0000-000000000002', 'waiter', '11111111-1111-1111-1111-111111111111', now() + interval '1 day'),
	('a0000000-0000-0000-0000-000000000003', 'admin', '22222222-2222-2222-2222-222222222222', NULL),
	('a0000000-0000-0000-0000-000000000004', 'broker', '11111111-1111-1111-1111-111111111111', NULL)
) AS v (u, role, t, e) JOIN rbac.roles r ON r.name = v.role;
SELECT is(shared.controller_state('acme') -> 'users',
	'{"ann@example.com": "manager", "bob@example.com": "waiter"}',
	'state: the tenant''s users, lower case, highest level, expired roles and other industries left out');
SELECT is(shared.controller_state('other') -> 'users', '{"ann@example.com": "admin"}',
	'state: another tenant sees its own');
SELECT ok(shared.controller_state('acme') -> 'roles' ? 'waiter', 'state: the tenant''s industry roles');
SELECT ok(NOT (shared.controller_state('acme') -> 'roles' ? 'broker'), 'state: not another industry''s');
SELECT ok(NOT (shared.controller_state(NULL) -> 'roles' ? 'waiter'), 'state: no tenant, no industry roles');
SELECT is(shared.controller_state('nope'' OR ''1''=''1') -> 'users', '{}',
	'state: an injected tenant name is only a name');

-- ---- controller_act: the four application actions, for application events only ----
INSERT INTO shared.data_exports (id, tenant_id, created_by, size_bytes) VALUES
	('d0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111',
	 'a0000000-0000-0000-0000-000000000002', 5);
INSERT INTO audit.security_events (id, event_type, user_id, ip_address, result, node) VALUES
	('c0000000-0000-0000-0000-000000000001', 'data_export', 'a0000000-0000-0000-0000-000000000002', '192.0.2.1', 'success', NULL),
	('c0000000-0000-0000-0000-000000000002', 'data_export', 'a0000000-0000-0000-0000-000000000001', '192.0.2.1', 'success', 'edge1');
SELECT is(shared.controller_act('quarantine_export', 'c0000000-0000-0000-0000-000000000001'), true,
	'controller_act: quarantine_export of an application event');
SELECT is((SELECT status FROM shared.data_exports WHERE id = 'd0000000-0000-0000-0000-000000000001'),
	'quarantined', 'controller_act: the export is quarantined');
SELECT is(shared.controller_act('require_mfa', 'c0000000-0000-0000-0000-000000000001'), true,
	'controller_act: require_mfa');
SELECT is((SELECT settings ->> 'require_mfa_next_login' FROM shared.users
	   WHERE id = 'a0000000-0000-0000-0000-000000000002'), 'true', 'controller_act: the user''s flag is set');
SELECT is(shared.controller_act('require_mfa', 'c0000000-0000-0000-0000-000000000002'), false,
	'controller_act: not for a server''s own journal event');
SELECT is(shared.controller_act('require_mfa', 'c0000000-0000-0000-0000-0000000000ff'), false,
	'controller_act: not for an event that does not exist');
SELECT throws_ok($$SELECT shared.controller_act('block_ip', 'c0000000-0000-0000-0000-000000000001')$$,
	'22023', NULL, 'controller_act: block_ip is the controller''s own, refused');
SELECT throws_ok($$SELECT shared.controller_act('x''); DELETE FROM shared.users; --', NULL)$$,
	'22023', NULL, 'controller_act: injection text is refused as an action');

-- ---- the controller may read its state and nothing it should not ----
SET LOCAL ROLE edgeward_controller;
SELECT is(shared.controller_state('acme') #>> '{users,bob@example.com}', 'waiter',
	'edgeward_controller reads the state (SECURITY DEFINER past RLS)');
SELECT throws_ok('SELECT shared.tz_offset(''UTC'')', '42501', NULL,
	'edgeward_controller cannot call the helpers directly');
SELECT lives_ok($$SELECT shared.controller_act('require_additional_auth', 'c0000000-0000-0000-0000-000000000001')$$,
	'edgeward_controller may run the application actions');
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgname = 'controller_config_notify'), 7::bigint,
	'notify_controller_config: a trigger on each of the seven tables');

SELECT * FROM finish();
ROLLBACK;
