-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0007: the guide's data classification: a sensitivity level, retention, encryption and
-- masking rule per column, and the masking function.
--
-- Fixed from the guide's mask_data:
--   - a value its pattern did not match came back unmasked (an "email" without "@", a
--     "phone" under 5 characters for managers); and the formats that show the end of a
--     value showed all of a short one (RIGHT(v, 4) of a 4-digit value). Now a format is
--     used only when it hides more than it shows; otherwise the next stricter one
--     applies (manager format, then employee format, then '***MASKED***').
--   - the rules named by its own classifications 'address' and 'routing' had no case;
--     they fell to '***MASKED***' and still do, now on purpose.
-- Admins still see values unmasked, managers and supervisors the partial formats,
-- everyone else (any other level, or none) the employee formats.

CREATE SCHEMA data_classification;
REVOKE ALL ON SCHEMA data_classification FROM PUBLIC;

CREATE TYPE data_classification.sensitivity_level AS ENUM (
	'public',
	'internal',
	'confidential',
	'restricted'
);

CREATE TABLE data_classification.classifications (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	table_name text NOT NULL,
	column_name text NOT NULL,
	sensitivity_level data_classification.sensitivity_level NOT NULL,
	retention_period interval,
	encryption_required boolean DEFAULT false,
	masking_rule text,
	access_log_required boolean DEFAULT false,
	created_at timestamptz DEFAULT now(),
	UNIQUE (table_name, column_name)
);

INSERT INTO data_classification.classifications
	(table_name, column_name, sensitivity_level, encryption_required, masking_rule) VALUES
('shared.users', 'email', 'confidential', true, 'email'),
('shared.users', 'phone', 'confidential', true, 'phone'),
('shared.customers', 'email', 'confidential', true, 'email'),
('shared.customers', 'phone', 'confidential', true, 'phone'),
('shared.customers', 'address', 'confidential', true, 'address'),
('shared.financial_records', 'account_number', 'restricted', true, 'account'),
('shared.financial_records', 'routing_number', 'restricted', true, 'routing'),
('shared.payment_methods', 'card_number', 'restricted', true, 'credit_card');

CREATE FUNCTION data_classification.mask_data(
	p_value text,
	p_masking_rule text,
	p_user_permission_level text DEFAULT 'employee'
) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
	v_len integer := char_length(p_value);
	v_senior boolean := COALESCE(p_user_permission_level IN ('manager', 'supervisor'), false);
	v_local integer;
BEGIN
	IF p_user_permission_level = 'admin' OR p_value IS NULL THEN
		RETURN p_value;
	END IF;

	CASE p_masking_rule
	WHEN 'email' THEN
		-- Local part: what comes before the first "@".
		v_local := strpos(p_value, '@') - 1;
		IF v_local < 1 THEN
			RETURN '***MASKED***';
		END IF;
		-- The manager format shows up to 3 characters of the local part.
		IF v_senior AND v_local > 6 THEN
			RETURN regexp_replace(p_value, '^(.{1,3})[^@]*(@.*)$', '\1****\2');
		END IF;
		RETURN '***@' || split_part(p_value, '@', 2);
	WHEN 'phone' THEN
		IF v_senior AND v_len > 10 THEN
			RETURN regexp_replace(p_value, '^(.{3}).*(.{2})$', '\1****\2');
		END IF;
		IF v_len > 8 THEN
			RETURN '***-***-' || right(p_value, 4);
		END IF;
	WHEN 'credit_card' THEN
		IF v_len > 8 THEN
			RETURN '**** **** **** ' || right(p_value, 4);
		END IF;
	WHEN 'account' THEN
		IF v_len > 8 THEN
			RETURN '****' || right(p_value, 4);
		END IF;
	ELSE
		NULL;
	END CASE;
	RETURN '***MASKED***';
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA data_classification FROM PUBLIC;
