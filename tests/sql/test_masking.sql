-- SPDX-License-Identifier: GPL-2.0-only
--
-- pgTAP: data_classification: the guide's classifications, and mask_data for each of
-- them at each permission level, with values too short for their format, NULLs and
-- unknown rules. One transaction, rolled back.
BEGIN;
SELECT plan(46);

SELECT is((SELECT count(*) FROM data_classification.classifications), 8::bigint,
	'the guide''s eight classifications');
SELECT is((SELECT array_agg(table_name || '.' || column_name || ':' || sensitivity_level || ':' ||
			    masking_rule || ':' || encryption_required ORDER BY table_name, column_name)
	   FROM data_classification.classifications),
	ARRAY['shared.customers.address:confidential:address:true',
	      'shared.customers.email:confidential:email:true',
	      'shared.customers.phone:confidential:phone:true',
	      'shared.financial_records.account_number:restricted:account:true',
	      'shared.financial_records.routing_number:restricted:routing:true',
	      'shared.payment_methods.card_number:restricted:credit_card:true',
	      'shared.users.email:confidential:email:true',
	      'shared.users.phone:confidential:phone:true'],
	'each with its level, masking rule and encryption flag');
SELECT throws_ok($$INSERT INTO data_classification.classifications (table_name, column_name, sensitivity_level)
		   VALUES ('shared.users', 'email', 'public')$$, '23505', NULL,
	'one classification per column');
SELECT throws_ok($$INSERT INTO data_classification.classifications (table_name, column_name, sensitivity_level)
		   VALUES ('t', 'c', 'secret')$$, '22P02', NULL, 'only the four levels exist');

-- A sample value per classified column, and what each level sees.
CREATE TEMP TABLE samples (table_name text, column_name text, value text, employee text, manager text)
ON COMMIT DROP;
INSERT INTO samples VALUES
	('shared.users', 'email', 'john.doe@example.com', '***@example.com', 'joh****@example.com'),
	('shared.users', 'phone', '+1 555 123 4567', '***-***-4567', '+1 ****67'),
	('shared.customers', 'email', 'maria.rossi@example.it', '***@example.it', 'mar****@example.it'),
	('shared.customers', 'phone', '555-123-4567', '***-***-4567', '555****67'),
	('shared.customers', 'address', '1 Main Street, Springfield', '***MASKED***', '***MASKED***'),
	('shared.financial_records', 'account_number', 'DE89370400440532013000', '****3000', '****3000'),
	('shared.financial_records', 'routing_number', '021000021', '***MASKED***', '***MASKED***'),
	('shared.payment_methods', 'card_number', '4111 1111 1111 1111', '**** **** **** 1111',
	 '**** **** **** 1111');

SELECT is(data_classification.mask_data(s.value, s.masking_rule), s.employee,
	format('employee (default) sees %s.%s as %s', s.table_name, s.column_name, s.employee))
FROM (SELECT * FROM data_classification.classifications c
      JOIN samples s USING (table_name, column_name) ORDER BY table_name, column_name) s;
SELECT is(data_classification.mask_data(s.value, s.masking_rule, 'manager'), s.manager,
	format('manager sees %s.%s as %s', s.table_name, s.column_name, s.manager))
FROM (SELECT * FROM data_classification.classifications c
      JOIN samples s USING (table_name, column_name) ORDER BY table_name, column_name) s;
SELECT is(data_classification.mask_data(s.value, s.masking_rule, 'admin'), s.value,
	format('admin sees %s.%s unmasked', s.table_name, s.column_name))
FROM (SELECT * FROM data_classification.classifications c
      JOIN samples s USING (table_name, column_name) ORDER BY table_name, column_name) s;

SELECT is(data_classification.mask_data('john.doe@example.com', 'email', 'supervisor'),
	'joh****@example.com', 'supervisors see what managers see');
SELECT is(data_classification.mask_data('john.doe@example.com', 'email', 'Admin'),
	'***@example.com', 'levels are case-sensitive: "Admin" is not admin');
SELECT is(data_classification.mask_data('john.doe@example.com', 'email', NULL),
	'***@example.com', 'no level is the employee level');
SELECT is(data_classification.mask_data('bob@x.io', 'email', 'manager'), '***@x.io',
	'a short local part gets the employee format (the manager one would show all of it)');
SELECT is(data_classification.mask_data('not-an-email', 'email', 'manager'), '***MASKED***',
	'an "email" without @ is masked (the guide returned it unmasked)');
SELECT is(data_classification.mask_data('not-an-email', 'email'), '***MASKED***',
	'an "email" without @ is masked for employees too');
SELECT is(data_classification.mask_data('@example.com', 'email'), '***MASKED***',
	'an "email" without a local part is masked');
SELECT is(data_classification.mask_data('555-1234', 'phone', 'manager'), '***MASKED***',
	'an 8-character phone shows nothing (4 shown would be half)');
SELECT is(data_classification.mask_data('1234', 'phone', 'manager'), '***MASKED***',
	'a 4-character phone is masked (the guide showed it whole)');
SELECT is(data_classification.mask_data('555-12345', 'phone', 'manager'), '***-***-2345',
	'a 9-character phone gets the employee format for a manager');
SELECT is(data_classification.mask_data('1234', 'credit_card'), '***MASKED***',
	'a 4-digit "card" is masked (the guide showed it whole)');
SELECT is(data_classification.mask_data('12345678', 'account'), '***MASKED***',
	'an 8-character account is masked');
SELECT is(data_classification.mask_data('123456789', 'account'), '****6789',
	'a 9-character account shows its last 4');
SELECT is(data_classification.mask_data(NULL, 'email'), NULL, 'NULL stays NULL');
SELECT is(data_classification.mask_data('secret', NULL), '***MASKED***', 'no rule masks everything');
SELECT is(data_classification.mask_data('secret', 'no_such_rule', 'manager'), '***MASKED***',
	'an unknown rule masks everything');
SELECT is(data_classification.mask_data('', 'phone'), '***MASKED***', 'an empty value is masked');
SELECT is(data_classification.mask_data(E'a\nb@x.io', 'email', 'manager'), '***@x.io',
	'a newline in a value does not escape the pattern');

SELECT * FROM finish();
ROLLBACK;
