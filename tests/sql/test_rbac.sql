-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: rbac.check_time_range, check_ip_range, check_location, check_conditions,
-- check_permission, current_tenant_id, current_industry, and row-level security by tenant
-- and industry seen as edgeward_controller. One transaction, rolled back.
BEGIN;
-- Start from no roles and permissions (0009 seeds edgewardd's; this file makes its own).
DELETE FROM rbac.role_permissions;
DELETE FROM rbac.permissions;
DELETE FROM rbac.roles;
SELECT plan(99);

-- ---- check_time_range: [start, end), wrapping midnight, time zones, malformed input ----
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00"}', '2024-03-01 12:00Z'), true,
	'time_range: noon is inside 09:00-17:00');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00"}', '2024-03-01 09:00Z'), true,
	'time_range: the start is inside');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00"}', '2024-03-01 17:00Z'), false,
	'time_range: the end is outside');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00"}', '2024-03-01 08:59:59.999Z'),
	false, 'time_range: just before the start is outside');
SELECT is(rbac.check_time_range('{"start": "22:00", "end": "06:00"}', '2024-03-01 23:30Z'), true,
	'time_range wrapping midnight: 23:30 is inside 22:00-06:00');
SELECT is(rbac.check_time_range('{"start": "22:00", "end": "06:00"}', '2024-03-01 03:00Z'), true,
	'time_range wrapping midnight: 03:00 is inside');
SELECT is(rbac.check_time_range('{"start": "22:00", "end": "06:00"}', '2024-03-01 00:00Z'), true,
	'time_range wrapping midnight: midnight is inside');
SELECT is(rbac.check_time_range('{"start": "22:00", "end": "06:00"}', '2024-03-01 06:00Z'), false,
	'time_range wrapping midnight: 06:00 is outside');
SELECT is(rbac.check_time_range('{"start": "22:00", "end": "06:00"}', '2024-03-01 12:00Z'), false,
	'time_range wrapping midnight: noon is outside');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00", "timezone": "Europe/Berlin"}',
				'2024-03-01 07:30Z'), false,
	'time_range in Europe/Berlin: 07:30 UTC is 08:30 there, outside');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00", "timezone": "Europe/Berlin"}',
				'2024-03-01 08:30Z'), true,
	'time_range in Europe/Berlin: 08:30 UTC is 09:30 there, inside');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "09:00"}', '2024-03-01 03:00Z'), true,
	'time_range with start = end is the whole day');
SELECT is(rbac.check_time_range('{"start": "09:00"}', '2024-03-01 12:00Z'), false,
	'time_range without an end is false');
SELECT is(rbac.check_time_range('{"start": "25:00", "end": "06:00"}', '2024-03-01 23:00Z'), false,
	'time_range with 25:00 is false');
SELECT is(rbac.check_time_range('{"start": "noon", "end": "06:00"}', '2024-03-01 23:00Z'), false,
	'time_range with a word for a time is false');
SELECT is(rbac.check_time_range('{"start": 9, "end": 17}', '2024-03-01 12:00Z'), false,
	'time_range with numbers for times is false');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00", "timezone": "Mars/Olympus"}',
				'2024-03-01 12:00Z'), false,
	'time_range with an unknown time zone is false');
SELECT is(rbac.check_time_range('["09:00", "17:00"]', '2024-03-01 12:00Z'), false,
	'time_range that is not an object is false');
SELECT is(rbac.check_time_range(NULL, '2024-03-01 12:00Z'), false, 'time_range NULL is false');
SELECT is(rbac.check_time_range('{"start": "09:00", "end": "17:00"}', NULL), false,
	'time_range at a NULL time is false');

-- ---- check_ip_range: inet containment, v4 and v6, fail closed ----
SELECT is(rbac.check_ip_range('"10.0.0.0/8"', '"10.1.2.3"'), true, 'ip_range: 10.1.2.3 in 10.0.0.0/8');
SELECT is(rbac.check_ip_range('"10.0.0.0/8"', '"11.0.0.1"'), false, 'ip_range: 11.0.0.1 not in 10.0.0.0/8');
SELECT is(rbac.check_ip_range('["192.0.2.0/24", "2001:db8::/32"]', '"2001:db8:1::5"'), true,
	'ip_range: an IPv6 address in the IPv6 entry of a list');
SELECT is(rbac.check_ip_range('["192.0.2.0/24", "2001:db8::/32"]', '"2001:db9::1"'), false,
	'ip_range: an IPv6 address outside every entry');
SELECT is(rbac.check_ip_range('["192.0.2.0/24", "2001:db8::/32"]', '"192.0.2.255"'), true,
	'ip_range: the last IPv4 address of a /24');
SELECT is(rbac.check_ip_range('"2001:db8::/32"', '"2001:0DB8:0000::0001"'), true,
	'ip_range: an IPv6 address compares by value, not spelling');
SELECT is(rbac.check_ip_range('"192.0.2.0/24"', '"::ffff:192.0.2.1"'), false,
	'ip_range: an IPv4-mapped IPv6 address is not the IPv4 address');
SELECT is(rbac.check_ip_range('"::/0"', '"192.0.2.1"'), false,
	'ip_range: ::/0 does not hold IPv4 addresses');
SELECT is(rbac.check_ip_range('"0.0.0.0/0"', '"203.0.113.9"'), true, 'ip_range: 0.0.0.0/0 holds every IPv4 address');
SELECT is(rbac.check_ip_range('"192.0.2.7"', '"192.0.2.7"'), true, 'ip_range: a single host');
SELECT is(rbac.check_ip_range('"10.0.0.1/8"', '"10.1.2.3"'), false,
	'ip_range: an entry with host bits set matches nothing');
SELECT is(rbac.check_ip_range('"10"', '"10.1.2.3"'), false,
	'ip_range: an abbreviated entry ("10", which cidr reads as 10/8) matches nothing');
SELECT is(rbac.check_ip_range('[10, "junk", "10.0.0.0/8"]', '"10.9.9.9"'), true,
	'ip_range: malformed entries are skipped, a good one still matches');
SELECT is(rbac.check_ip_range('{"net": "10.0.0.0/8"}', '"10.9.9.9"'), false,
	'ip_range: an object is not a range');
SELECT is(rbac.check_ip_range('"10.0.0.0/8"', NULL), false, 'ip_range: no address provided is false');
SELECT is(rbac.check_ip_range('"10.0.0.0/8"', '167772161'), false, 'ip_range: a number is not an address');
SELECT is(rbac.check_ip_range('"10.0.0.0/8"', '"10.0.0.999"'), false, 'ip_range: a malformed address is false');
SELECT is(rbac.check_ip_range('"10.0.0.0/8"', '"10.0.0.0/16"'), false,
	'ip_range: a network where an address is expected is false');
SELECT is(rbac.check_ip_range('"10.0.0.0/8"', '"10.0.0.1; DROP TABLE rbac.roles"'), false,
	'ip_range: SQL in the address is just a malformed address');

-- ---- check_location ----
SELECT is(rbac.check_location('"DE"', '"de"'), true, 'location: case does not matter');
SELECT is(rbac.check_location('[" fr ", "DE"]', '"FR"'), true, 'location: one of a list, blanks trimmed');
SELECT is(rbac.check_location('["DE", "FR"]', '"US"'), false, 'location: not in the list');
SELECT is(rbac.check_location('["DE", 49]', '"49"'), false, 'location: non-string entries match nothing');
SELECT is(rbac.check_location('"DE"', NULL), false, 'location: none provided is false');
SELECT is(rbac.check_location('"DE"', '{"country": "DE"}'), false, 'location: an object is not a location');
SELECT is(rbac.check_location('{"country": "DE"}', '"DE"'), false, 'location: a required object matches nothing');

-- ---- check_conditions ----
SELECT is(rbac.check_conditions(NULL, '{}'), true, 'conditions: NULL requires nothing');
SELECT is(rbac.check_conditions('{}', NULL), true, 'conditions: {} requires nothing');
SELECT is(rbac.check_conditions('null', NULL), true, 'conditions: JSON null requires nothing');
SELECT is(rbac.check_conditions('[]', '{}'), false, 'conditions: an array is malformed: false');
SELECT is(rbac.check_conditions('"x"', '{}'), false, 'conditions: a string is malformed: false');
SELECT is(rbac.check_conditions('{"mfa": true}', '{"mfa": true}'), true, 'conditions: an equal value holds');
SELECT is(rbac.check_conditions('{"mfa": true}', '{"mfa": false}'), false, 'conditions: a different value fails');
SELECT is(rbac.check_conditions('{"mfa": true}', '{}'), false,
	'conditions: a value not provided fails (the guide''s != let it pass)');
SELECT is(rbac.check_conditions('{"mfa": true}', NULL), false, 'conditions: nothing provided fails');
SELECT is(rbac.check_conditions('{"mfa": true}', '[{"mfa": true}]'), false,
	'conditions: provided values that are not an object fail');
SELECT is(rbac.check_conditions('{"department": {"id": 7, "name": "ops"}}',
				'{"department": {"name": "ops", "id": 7}}'), true,
	'conditions: structured values compare as JSON');
SELECT is(rbac.check_conditions('{"ip_range": ["10.0.0.0/8"], "location": ["DE"]}',
				'{"ip_range": "10.2.3.4", "location": "de"}'), true,
	'conditions: ip_range and location both hold');
SELECT is(rbac.check_conditions('{"ip_range": ["10.0.0.0/8"], "location": ["DE"]}',
				'{"ip_range": "10.2.3.4", "location": "fr"}'), false,
	'conditions: one failing condition fails all');
SELECT is(rbac.check_conditions(
	format('{"time_range": {"start": "%s", "end": "%s"}}',
	       to_char((now() AT TIME ZONE 'UTC') - interval '1 hour', 'HH24:MI'),
	       to_char((now() AT TIME ZONE 'UTC') + interval '1 hour', 'HH24:MI'))::jsonb, '{}'),
	true, 'conditions: a time_range around the server''s now holds');
SELECT is(rbac.check_conditions(
	format('{"time_range": {"start": "%s", "end": "%s"}}',
	       to_char((now() AT TIME ZONE 'UTC') + interval '1 hour', 'HH24:MI'),
	       to_char((now() AT TIME ZONE 'UTC') + interval '2 hours', 'HH24:MI'))::jsonb,
	'{"time_range": "whatever the caller says"}'),
	false, 'conditions: a time_range excluding now fails, whatever time is provided');

-- ---- fixtures: two tenants of two industries, roles, permissions, grants ----
INSERT INTO shared.tenants (id, name, industry) VALUES
	('10000000-0000-0000-0000-000000000001', 'Trattoria', 'restaurants'),
	('10000000-0000-0000-0000-000000000002', 'Shop', 'retail');
INSERT INTO shared.users (id, tenant_id, email) VALUES
	('20000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-000000000001', 'ann@example.com'),
	('20000000-0000-0000-0000-000000000002', '10000000-0000-0000-0000-000000000002', 'bob@example.com'),
	('20000000-0000-0000-0000-000000000003', '10000000-0000-0000-0000-000000000001', 'cy@example.com');
INSERT INTO rbac.roles (id, name, level, industry) VALUES
	('30000000-0000-0000-0000-000000000001', 'operator', 50, NULL),
	('30000000-0000-0000-0000-000000000002', 'waiter', 10, 'restaurants'),
	('30000000-0000-0000-0000-000000000003', 'cashier', 10, 'retail'),
	('30000000-0000-0000-0000-000000000004', 'auditor', 20, NULL);
INSERT INTO rbac.permissions (id, name, resource, action, conditions) VALUES
	('40000000-0000-0000-0000-000000000001', 'blocklist:read', 'blocklist', 'read', '{}'),
	('40000000-0000-0000-0000-000000000002', 'blocklist:write', 'blocklist', 'write',
	 '{"ip_range": ["10.0.0.0/8", "2001:db8::/32"]}'),
	('40000000-0000-0000-0000-000000000003', 'reports:export', 'reports', 'export',
	 '{"location": ["DE", "FR"]}'),
	('40000000-0000-0000-0000-000000000004', 'orders:take', 'orders', 'take', '{}'),
	('40000000-0000-0000-0000-000000000005', 'shift:now', 'shift', 'now',
	 format('{"time_range": {"start": "%s", "end": "%s"}}',
		to_char((now() AT TIME ZONE 'UTC') - interval '1 hour', 'HH24:MI'),
		to_char((now() AT TIME ZONE 'UTC') + interval '1 hour', 'HH24:MI'))::jsonb),
	('40000000-0000-0000-0000-000000000006', 'shift:later', 'shift', 'later',
	 format('{"time_range": {"start": "%s", "end": "%s"}}',
		to_char((now() AT TIME ZONE 'UTC') + interval '1 hour', 'HH24:MI'),
		to_char((now() AT TIME ZONE 'UTC') + interval '2 hours', 'HH24:MI'))::jsonb),
	('40000000-0000-0000-0000-000000000007', 'config:reload', 'config', 'reload', '{}'),
	('40000000-0000-0000-0000-000000000008', 'audit:read', 'audit', 'read', '{}'),
	-- the same resource and action as blocklist:write, without its condition
	('40000000-0000-0000-0000-000000000009', 'blocklist:write:anywhere', 'blocklist', 'write', '{}');
INSERT INTO rbac.role_permissions (role_id, permission_id, granted, conditions) VALUES
	('30000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000001', true, '{}'),
	('30000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000002', true, '{}'),
	('30000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000003', true, '{}'),
	('30000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000005', true, '{}'),
	('30000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000006', true, '{}'),
	-- the grant carries its own condition
	('30000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000007', true,
	 '{"mfa": true}'),
	-- a grant row that does not grant
	('30000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000008', false, '{}'),
	('30000000-0000-0000-0000-000000000002', '40000000-0000-0000-0000-000000000004', true, '{}'),
	('30000000-0000-0000-0000-000000000003', '40000000-0000-0000-0000-000000000004', true, '{}'),
	-- a second role grants blocklist writes without the IP condition
	('30000000-0000-0000-0000-000000000004', '40000000-0000-0000-0000-000000000009', true, '{}');
INSERT INTO rbac.user_roles (user_id, role_id, tenant_id, expires_at) VALUES
	-- ann: operator in the trattoria, waiter there too
	('20000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000001',
	 '10000000-0000-0000-0000-000000000001', NULL),
	('20000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000002',
	 '10000000-0000-0000-0000-000000000001', now() + interval '1 day'),
	-- bob: cashier in the shop, and an operator role that expired
	('20000000-0000-0000-0000-000000000002', '30000000-0000-0000-0000-000000000003',
	 '10000000-0000-0000-0000-000000000002', NULL),
	('20000000-0000-0000-0000-000000000002', '30000000-0000-0000-0000-000000000001',
	 '10000000-0000-0000-0000-000000000002', now() - interval '1 second'),
	-- cy: operator and auditor in the trattoria
	('20000000-0000-0000-0000-000000000003', '30000000-0000-0000-0000-000000000001',
	 '10000000-0000-0000-0000-000000000001', NULL),
	('20000000-0000-0000-0000-000000000003', '30000000-0000-0000-0000-000000000004',
	 '10000000-0000-0000-0000-000000000001', NULL);

-- ---- check_permission ----
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'blocklist', 'read'), true,
	'permission: ann may read the blocklist in her tenant');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000002', 'blocklist', 'read'), false,
	'permission: not in a tenant where she holds no role');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'blocklist', 'delete'), false,
	'permission: not an action no role grants');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'blocklist', 'write', '{"ip_range": "10.20.30.40"}'),
	true, 'permission with ip_range: from inside the range');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'blocklist', 'write', '{"ip_range": "2001:db8:5::1"}'),
	true, 'permission with ip_range: from inside the IPv6 range');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'blocklist', 'write', '{"ip_range": "203.0.113.5"}'),
	false, 'permission with ip_range: from outside it');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'blocklist', 'write'), false,
	'permission with ip_range: with no address provided');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000003',
	'10000000-0000-0000-0000-000000000001', 'blocklist', 'write', '{"ip_range": "203.0.113.5"}'),
	true, 'permission: another role of the user grants it without the condition');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'reports', 'export', '{"location": "fr"}'), true,
	'permission with location: from an allowed country');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'reports', 'export', '{"location": "US"}'), false,
	'permission with location: from another country');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'shift', 'now'), true,
	'permission with time_range: inside the hours');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'shift', 'later'), false,
	'permission with time_range: outside the hours');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'config', 'reload', '{"mfa": true}'), true,
	'permission with a grant condition: met');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'config', 'reload'), false,
	'permission with a grant condition: not provided');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'audit', 'read'), false,
	'permission: a grant with granted = false grants nothing');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'orders', 'take'), true,
	'permission: from a role that expires tomorrow');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000002',
	'10000000-0000-0000-0000-000000000002', 'blocklist', 'read'), false,
	'permission: not from an expired role');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000002',
	'10000000-0000-0000-0000-000000000002', 'orders', 'take'), true,
	'permission: bob may take orders in his shop');
SELECT is(rbac.check_permission(NULL, '10000000-0000-0000-0000-000000000001', 'blocklist', 'read'),
	false, 'permission: no user, no permission');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000001',
	'10000000-0000-0000-0000-000000000001', 'blocklist'' OR ''1''=''1', 'read'), false,
	'permission: a resource with SQL in it is just an unknown resource');

-- ---- row-level security, as the controller ----
-- The tenant is set per transaction with set_config(..., true) or SET LOCAL, both used here.
SET ROLE edgeward_controller;
SELECT is(rbac.current_tenant_id(), NULL, 'RLS: no tenant set is no tenant');
SELECT is((SELECT count(*) FROM rbac.user_roles), 0::bigint,
	'RLS: with no tenant set, no user roles are visible');
SELECT is(set_config('edgeward.tenant_id', '10000000-0000-0000-0000-000000000001', true),
	'10000000-0000-0000-0000-000000000001', 'RLS: set_config names the tenant for this transaction');
SELECT is(rbac.current_tenant_id(), '10000000-0000-0000-0000-000000000001'::uuid,
	'RLS: current_tenant_id reads edgeward.tenant_id');
SELECT is((SELECT count(*) FROM rbac.user_roles), 4::bigint,
	'RLS: the trattoria''s four user roles are visible');
SELECT is((SELECT count(*) FROM rbac.user_roles WHERE tenant_id <> rbac.current_tenant_id()),
	0::bigint, 'RLS: no other tenant''s row is visible');
SET LOCAL edgeward.tenant_id = '10000000-0000-0000-0000-000000000002';
SELECT is((SELECT count(*) FROM rbac.user_roles), 2::bigint, 'RLS: the shop''s two user roles');
SET LOCAL edgeward.tenant_id = '';
SELECT is((SELECT count(*) FROM rbac.user_roles), 0::bigint, 'RLS: an empty tenant is none');
SET LOCAL edgeward.tenant_id = 'not-a-uuid'' OR true --';
SELECT throws_ok('SELECT count(*) FROM rbac.user_roles', '22P02', NULL,
	'RLS: a malformed tenant id is an error, not every row');
SET LOCAL edgeward.tenant_id = '';
SELECT is(rbac.current_industry(), NULL, 'RLS: no industry set is none');
SELECT is((SELECT array_agg(name ORDER BY name) FROM rbac.roles), ARRAY['auditor', 'operator'],
	'RLS: without an industry only the global roles are visible');
SET LOCAL edgeward.industry = 'restaurants';
SELECT is(rbac.current_industry(), 'restaurants', 'RLS: current_industry reads edgeward.industry');
SELECT is((SELECT array_agg(name ORDER BY name) FROM rbac.roles),
	ARRAY['auditor', 'operator', 'waiter'], 'RLS: restaurants see the global roles and theirs');
SELECT is((SELECT count(*) FROM rbac.role_permissions
	   WHERE role_id = '30000000-0000-0000-0000-000000000003'), 0::bigint,
	'RLS: the retail role''s grants are hidden from restaurants');
SELECT is((SELECT count(*) FROM rbac.role_permissions
	   WHERE role_id = '30000000-0000-0000-0000-000000000002'), 1::bigint,
	'RLS: the restaurant role''s grants are visible');
SELECT is((SELECT count(*) FROM rbac.permissions), 9::bigint,
	'RLS: the permission catalog is visible (the guide''s policy-less RLS hid it)');
SELECT is(rbac.check_permission('20000000-0000-0000-0000-000000000002',
	'10000000-0000-0000-0000-000000000002', 'orders', 'take'), true,
	'RLS: check_permission (SECURITY DEFINER) sees every tenant');
SELECT throws_ok($$INSERT INTO rbac.roles (name) VALUES ('intruder')$$, '42501', NULL,
	'RLS: the controller cannot add roles');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
