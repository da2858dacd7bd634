-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: audit.calculate_risk_score against every case of tests/data/risk_cases.json, the
-- table the C implementation (user/lib/risk.c, tests/unit/test_risk.c) is held to, so the
-- two agree exactly. Run with -v risk_file=PATH (test_sql.sh passes it).
--
-- How the cases are read (as test_risk.c does): each case starts from an empty history;
-- each history event is stored at now - age_s seconds with its type, user, address and
-- result (null user or address: SQL NULL); the event is scored at now, before it is
-- recorded; "privileged" gives the user the role admin. now() is fixed for the whole
-- transaction, so the windows' edges (an event exactly 3600 s old) are exact. Users are
-- names in the file: each (case, name) becomes one UUID, so the cases cannot see each
-- other's history.
BEGIN;
-- Start from no roles and permissions (0009 seeds edgewardd's; this file makes its own).
DELETE FROM rbac.role_permissions;
DELETE FROM rbac.permissions;
DELETE FROM rbac.roles;

\set risk_json `cat :'risk_file'`
CREATE TEMP TABLE risk_cases ON COMMIT DROP AS
SELECT ord::integer AS n, c AS doc
FROM jsonb_array_elements((:'risk_json')::jsonb -> 'cases') WITH ORDINALITY AS t(c, ord);

SELECT plan((SELECT count(*)::integer FROM risk_cases) + 4);

SELECT ok((SELECT count(*) FROM risk_cases) >= 30, 'the case table was read: '
	|| (SELECT count(*) FROM risk_cases) || ' cases');

CREATE FUNCTION pg_temp.risk_user(p_case integer, p_name text) RETURNS uuid
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN p_name IS NULL THEN NULL ELSE md5(p_case || ':' || p_name)::uuid END $$;

INSERT INTO shared.tenants (id, name) VALUES ('10000000-0000-0000-0000-0000000000aa', 'risk');
INSERT INTO rbac.roles (id, name) VALUES ('30000000-0000-0000-0000-0000000000aa', 'admin');

INSERT INTO audit.security_events (event_type, user_id, ip_address, result, "timestamp")
SELECT h ->> 'type', pg_temp.risk_user(n, h ->> 'user'), (h ->> 'ip')::inet,
       h ->> 'result', now() - (h ->> 'age_s')::integer * interval '1 second'
FROM risk_cases, jsonb_array_elements(doc -> 'history') AS h;

INSERT INTO shared.users (id, tenant_id)
SELECT DISTINCT pg_temp.risk_user(n, doc #>> '{event,user}'), '10000000-0000-0000-0000-0000000000aa'::uuid
FROM risk_cases
WHERE (doc #> '{event,privileged}') = 'true' AND doc #>> '{event,user}' IS NOT NULL;
INSERT INTO rbac.user_roles (user_id, role_id, tenant_id)
SELECT id, '30000000-0000-0000-0000-0000000000aa', tenant_id FROM shared.users
WHERE tenant_id = '10000000-0000-0000-0000-0000000000aa';

SELECT is(audit.calculate_risk_score(doc #>> '{event,type}',
				     pg_temp.risk_user(n, doc #>> '{event,user}'),
				     (doc #>> '{event,ip}')::inet, '{}'),
	  (doc ->> 'expected')::integer,
	  format('case %s: %s', n, doc ->> 'name'))
FROM (SELECT * FROM risk_cases ORDER BY n) c;

-- Beyond the table: super_admin is privileged too, and the details argument is ignored.
INSERT INTO shared.users (id, tenant_id)
VALUES ('20000000-0000-0000-0000-0000000000bb', '10000000-0000-0000-0000-0000000000aa');
INSERT INTO rbac.roles (id, name) VALUES ('30000000-0000-0000-0000-0000000000bb', 'super_admin');
INSERT INTO rbac.user_roles (user_id, role_id, tenant_id)
VALUES ('20000000-0000-0000-0000-0000000000bb', '30000000-0000-0000-0000-0000000000bb',
	'10000000-0000-0000-0000-0000000000aa');
SELECT is(audit.calculate_risk_score('login_success', '20000000-0000-0000-0000-0000000000bb',
				     '192.0.2.1', '{}'), 55,
	'super_admin is privileged: 10 + 25 + 20');
SELECT is(audit.calculate_risk_score('login_success', '20000000-0000-0000-0000-0000000000bb',
				     '192.0.2.1', '{"risk": 100, "failed": 99}'), 55,
	'the details do not change the score');
SELECT is(audit.calculate_risk_score(NULL, NULL, NULL, NULL), 35,
	'a NULL type scores as any other type, from a new place');

SELECT * FROM finish();
ROLLBACK;
