-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: the gdpr tables' constraints and gdpr.process_erasure_request across tenants,
-- schemas, tables with and without tenant_id or email, a view, and a table whose name is
-- SQL. One transaction, rolled back.
BEGIN;
SELECT plan(33);

SELECT has_table('gdpr', 'rights_requests', 'gdpr.rights_requests exists');
SELECT has_table('gdpr', 'processing_activities', 'gdpr.processing_activities exists');
SELECT has_table('gdpr', 'consents', 'gdpr.consents exists');
SELECT has_table('gdpr', 'retention_policies', 'gdpr.retention_policies exists');
SELECT throws_ok($$INSERT INTO gdpr.rights_requests (request_type, subject_email) VALUES ('forget-me', 'a@b.c')$$,
	'23514', NULL, 'an unknown request type is refused');
SELECT throws_ok($$INSERT INTO gdpr.rights_requests (request_type, subject_email, status)
		   VALUES ('access', 'a@b.c', 'lost')$$, '23514', NULL, 'an unknown status is refused');
SELECT throws_ok($$INSERT INTO gdpr.rights_requests (request_type) VALUES ('access')$$, '23502', NULL,
	'a request names its subject');
SELECT lives_ok($$INSERT INTO gdpr.processing_activities (activity_name, purpose, legal_basis,
		  data_categories, data_subjects, retention_period)
		  VALUES ('security logging', 'detect attacks', 'legitimate interest',
			  ARRAY['ip address', 'user agent'], ARRAY['users'], '1 year')$$,
	'a processing activity can be recorded');
SELECT lives_ok($$INSERT INTO gdpr.consents (subject_id, purpose, consent_given, consent_method)
		  VALUES (gen_random_uuid(), 'newsletter', true, 'website_form')$$, 'a consent can be recorded');
SELECT lives_ok($$INSERT INTO gdpr.retention_policies (table_name, retention_period, retention_basis)
		  VALUES ('audit.security_events', '400 days', 'legal obligation')$$,
	'a retention policy can be recorded');
SELECT throws_ok($$INSERT INTO gdpr.retention_policies (table_name, retention_period, retention_basis)
		   VALUES ('audit.security_events', '1 day', 'again')$$, '23505', NULL,
	'one retention policy per table');
SELECT throws_ok($$INSERT INTO gdpr.retention_policies (table_name, retention_period, retention_basis)
		   VALUES ('x', '-1 day', 'negative')$$, '23514', NULL, 'a negative retention is refused');

-- ---- fixtures: the subject in two tenants, another user, and tables of every shape ----
INSERT INTO shared.tenants (id, name) VALUES
	('10000000-0000-0000-0000-0000000000e1', 'first'),
	('10000000-0000-0000-0000-0000000000e2', 'second');
INSERT INTO shared.users (id, tenant_id, email, phone, first_name, last_name) VALUES
	('20000000-0000-0000-0000-0000000000e1', '10000000-0000-0000-0000-0000000000e1',
	 'Alice@Example.com', '+44 20 7946 0000', 'Alice', NULL),
	('20000000-0000-0000-0000-0000000000e2', '10000000-0000-0000-0000-0000000000e2',
	 'alice@example.com', '+44 20 7946 0001', 'Alice', 'Liddell'),
	('20000000-0000-0000-0000-0000000000e3', '10000000-0000-0000-0000-0000000000e1',
	 'bob@example.com', '+44 20 7946 0002', 'Bob', 'Builder');
CREATE SCHEMA retail;
CREATE TABLE retail.customers (id serial, tenant_id uuid, email text, phone varchar(40),
	first_name text, last_name text, notes text);
INSERT INTO retail.customers (tenant_id, email, phone, first_name, last_name, notes) VALUES
	('10000000-0000-0000-0000-0000000000e1', 'alice@example.com', '0700', 'Alice', 'L', 'vip'),
	('10000000-0000-0000-0000-0000000000e2', 'ALICE@EXAMPLE.COM', '0701', 'Alice', 'L', 'other tenant');
-- no tenant_id: the subject's rows in every tenant
CREATE TABLE retail.newsletter (email text, first_name text, subscribed boolean);
INSERT INTO retail.newsletter VALUES ('alice@example.com', 'Alice', true), ('carl@example.com', 'Carl', true);
-- no email: the guide's UPDATE ... WHERE email = failed here; it is skipped
CREATE TABLE retail.callers (tenant_id uuid, phone text);
INSERT INTO retail.callers VALUES ('10000000-0000-0000-0000-0000000000e1', '+44 20 7946 0000');
-- a view over it: not a base table, not updated
CREATE VIEW retail.customer_view AS SELECT email, phone FROM retail.customers;
-- a table whose name is SQL
CREATE TABLE retail."x; DROP TABLE shared.users; --" (email text, last_name text);
INSERT INTO retail."x; DROP TABLE shared.users; --" VALUES ('alice@example.com', 'Liddell');
INSERT INTO gdpr.rights_requests (id, request_type, subject_email, tenant_id) VALUES
	('70000000-0000-0000-0000-0000000000e1', 'erasure', 'alice@example.com', '10000000-0000-0000-0000-0000000000e1'),
	('70000000-0000-0000-0000-0000000000e2', 'access', 'alice@example.com', '10000000-0000-0000-0000-0000000000e1'),
	('70000000-0000-0000-0000-0000000000e3', 'erasure', 'alice@example.com', NULL);

SELECT throws_ok($$SELECT gdpr.process_erasure_request('70000000-0000-0000-0000-0000000000e2')$$,
	'22023', 'Invalid erasure request', 'an access request is not an erasure request');
SELECT throws_ok($$SELECT gdpr.process_erasure_request('70000000-0000-0000-0000-000000000000')$$,
	'22023', 'Invalid erasure request', 'an unknown request is refused');
SELECT lives_ok($$SELECT gdpr.process_erasure_request('70000000-0000-0000-0000-0000000000e1')$$,
	'the erasure in the first tenant runs');

SELECT matches((SELECT email FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000e1'),
	'^REDACTED_[0-9a-f]{16}$', 'the subject''s email (another case) is pseudonymized');
SELECT is((SELECT row(phone LIKE 'REDACTED_%', first_name LIKE 'REDACTED_%', last_name)::text
	   FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000e1'),
	row(true, true, NULL::text)::text,
	'phone and first name too, in the same rows; an empty last name stays empty');
SELECT isnt((SELECT email FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000e1'),
	'REDACTED_' || substr(md5('alice@example.com' || 'email'), 1, 8),
	'the pseudonym is not the guide''s md5 of the address (which anyone could recompute)');
SELECT is((SELECT email FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000e2'),
	'alice@example.com', 'the subject in the other tenant is untouched');
SELECT is((SELECT row(email, first_name)::text FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000e3'),
	row('bob@example.com', 'Bob')::text, 'another user is untouched');
SELECT is((SELECT array_agg(row(email LIKE 'REDACTED_%', phone LIKE 'REDACTED_%', notes)::text ORDER BY id)
	   FROM retail.customers),
	ARRAY[row(true, true, 'vip')::text, row(false, false, 'other tenant')::text],
	'another schema: the first tenant''s row (varchar phone too), not the second''s, other columns kept');
SELECT is((SELECT array_agg(row(email LIKE 'REDACTED_%', first_name LIKE 'REDACTED_%')::text ORDER BY subscribed, first_name)
	   FROM retail.newsletter),
	ARRAY[row(false, false)::text, row(true, true)::text],
	'a table without tenant_id: the subject''s row, not Carl''s');
SELECT is((SELECT phone FROM retail.callers), '+44 20 7946 0000',
	'a table without email is skipped, not an error');
SELECT is((SELECT row(email LIKE 'REDACTED_%', last_name LIKE 'REDACTED_%')::text
	   FROM retail."x; DROP TABLE shared.users; --"), row(true, true)::text,
	'the table named like SQL is pseudonymized like any other');
SELECT is((SELECT count(*) FROM shared.users), 3::bigint, 'and shared.users is still there');
SELECT is((SELECT email FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000e1'),
	(SELECT email FROM retail.customers WHERE notes = 'vip'),
	'one pseudonym per column within a request: rows still join by email');
SELECT is((SELECT row(status, completed_at)::text FROM gdpr.rights_requests
	   WHERE id = '70000000-0000-0000-0000-0000000000e1'), row('completed', now())::text,
	'the request is completed now');
SELECT is((SELECT response_data -> 'pseudonymized' FROM gdpr.rights_requests
	   WHERE id = '70000000-0000-0000-0000-0000000000e1'),
	'{"shared.users": 1, "retail.customers": 1, "retail.newsletter": 1, "retail.\"x; DROP TABLE shared.users; --\"": 1}'::jsonb,
	'response_data records the tables and rows touched');
SELECT throws_ok($$SELECT gdpr.process_erasure_request('70000000-0000-0000-0000-0000000000e1')$$,
	'22023', NULL, 'a completed request is not run again');

SELECT lives_ok($$SELECT gdpr.process_erasure_request('70000000-0000-0000-0000-0000000000e3')$$,
	'an erasure without a tenant runs');
SELECT is((SELECT count(*) FROM shared.users WHERE lower(email) = 'alice@example.com'), 0::bigint,
	'without a tenant, the subject is erased in every tenant');
SELECT is((SELECT count(*) FROM retail.customers WHERE email NOT LIKE 'REDACTED_%'), 0::bigint,
	'in every table');
SELECT is((SELECT email FROM shared.users WHERE id = '20000000-0000-0000-0000-0000000000e3'),
	'bob@example.com', 'Bob is still untouched');

SELECT * FROM finish();
ROLLBACK;
