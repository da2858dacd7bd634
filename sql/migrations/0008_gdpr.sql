-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0008: the guide's GDPR schema: data subjects' requests, the record of processing
-- activities, consents, retention policies, and the right to be forgotten.
--
-- Fixed from the guide's process_erasure_request:
--   - its loop read table_rec.table_schema, a column it never selected (an error at the
--     first table), and selected column_name one row per column;
--   - it updated one column per statement, matching rows by email: once the email column
--     was pseudonymized, later columns of the same rows no longer matched (and which came
--     first was unspecified). Now one UPDATE per table sets every personal column at once;
--   - it ran "WHERE email = ..." and "AND tenant_id = ..." on every table with any of the
--     columns, failing on a table without email or tenant_id, and on views. Only base
--     tables with a text email column are touched; tenant_id filters where the table has
--     one and the request names a tenant (a request without a tenant covers every tenant:
--     the guide's "tenant_id = NULL" matched nothing, so nothing was erased);
--   - the pseudonym was md5(email || column): anyone with a list of addresses could tell
--     whose row it was. It is derived from the request id and the column instead;
--   - addresses are matched without regard to case (Alice@Example.com is
--     alice@example.com), so no copy of the subject's data is missed;
--   - a completed or rejected request is refused instead of being run again; the tables
--     and row counts touched are recorded in response_data.

CREATE SCHEMA gdpr;
REVOKE ALL ON SCHEMA gdpr FROM PUBLIC;

CREATE TABLE gdpr.rights_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	request_type text NOT NULL CHECK (request_type IN ('access', 'rectification', 'erasure',
							   'portability', 'restriction',
							   'objection')),
	subject_email text NOT NULL,
	subject_identifier uuid,		-- link to the customer or user
	tenant_id uuid REFERENCES shared.tenants (id),
	status text DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed',
							'rejected')),
	request_details jsonb DEFAULT '{}',
	response_data jsonb DEFAULT '{}',
	completed_at timestamptz,
	created_at timestamptz DEFAULT now()
);

CREATE TABLE gdpr.processing_activities (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	activity_name text NOT NULL,
	purpose text NOT NULL,
	legal_basis text NOT NULL,
	data_categories text[] NOT NULL,
	retention_period interval,
	data_subjects text[] NOT NULL,
	recipients text[],
	transfers_outside_eu boolean DEFAULT false,
	security_measures text[],
	created_at timestamptz DEFAULT now()
);

CREATE TABLE gdpr.consents (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	subject_id uuid NOT NULL,
	tenant_id uuid REFERENCES shared.tenants (id),
	purpose text NOT NULL,
	consent_given boolean NOT NULL,
	consent_method text NOT NULL,		-- website_form, email_confirmation, ...
	consent_evidence jsonb DEFAULT '{}',
	withdrawn_at timestamptz,
	created_at timestamptz DEFAULT now()
);
CREATE INDEX consents_subject ON gdpr.consents (subject_id, purpose);

CREATE TABLE gdpr.retention_policies (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	table_name text NOT NULL UNIQUE,
	retention_period interval NOT NULL CHECK (retention_period > interval '0'),
	retention_basis text NOT NULL,
	auto_delete boolean DEFAULT true,
	notification_period interval DEFAULT '30 days',
	created_at timestamptz DEFAULT now()
);

-- Pseudonymize the subject's email, phone, first_name and last_name in every base table
-- of the platform's schemas that has a text email column, in the request's tenant, and
-- mark the request completed. Rows are pseudonymized rather than deleted so references
-- to them stay valid. Table and column names are quoted (%I) and values passed as
-- parameters: neither the catalog's names nor the subject's address become SQL.
CREATE FUNCTION gdpr.process_erasure_request(p_request_id uuid) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_request gdpr.rights_requests;
	v_table record;
	v_sets text;
	v_sql text;
	v_rows bigint;
	v_done jsonb := '{}';
BEGIN
	SELECT * INTO v_request FROM gdpr.rights_requests r WHERE r.id = p_request_id FOR UPDATE;
	IF NOT FOUND OR v_request.request_type <> 'erasure' THEN
		RAISE EXCEPTION 'Invalid erasure request' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_request.status IN ('completed', 'rejected') THEN
		RAISE EXCEPTION 'erasure request % is already %', p_request_id, v_request.status
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	FOR v_table IN
		SELECT c.table_schema, c.table_name,
		       array_agg(c.column_name::text ORDER BY c.column_name)
			 FILTER (WHERE c.column_name <> 'tenant_id') AS personal,
		       bool_or(c.column_name = 'tenant_id') AS has_tenant
		FROM information_schema.columns c
		JOIN information_schema.tables t
		  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE t.table_type = 'BASE TABLE'
		  AND c.table_schema IN ('shared', 'home_services', 'restaurants', 'automotive',
					 'retail')
		  AND (c.column_name = 'tenant_id'
		       OR (c.column_name IN ('email', 'phone', 'first_name', 'last_name')
			   AND c.data_type IN ('text', 'character varying')))
		GROUP BY c.table_schema, c.table_name
		HAVING bool_or(c.column_name = 'email' AND c.data_type IN ('text', 'character varying'))
		ORDER BY c.table_schema, c.table_name
	LOOP
		-- An empty column stays empty: a pseudonym where there was no data would
		-- invent some.
		SELECT string_agg(format('%1$I = CASE WHEN %1$I IS NULL THEN NULL ELSE %2$L END', col,
			'REDACTED_' || left(encode(sha256(convert_to(p_request_id::text || ':' || col,
								      'UTF8')), 'hex'), 16)),
			', ')
		INTO v_sets
		FROM unnest(v_table.personal) AS col;
		v_sql := format('UPDATE %I.%I SET %s WHERE lower(email) = lower($1)',
				v_table.table_schema, v_table.table_name, v_sets);
		IF v_table.has_tenant AND v_request.tenant_id IS NOT NULL THEN
			v_sql := v_sql || ' AND tenant_id = $2';
		END IF;
		EXECUTE v_sql USING v_request.subject_email, v_request.tenant_id;
		GET DIAGNOSTICS v_rows = ROW_COUNT;
		IF v_rows > 0 THEN
			v_done := v_done || jsonb_build_object(
				format('%I.%I', v_table.table_schema, v_table.table_name), v_rows);
		END IF;
	END LOOP;

	UPDATE gdpr.rights_requests r
	SET status = 'completed', completed_at = now(),
	    response_data = COALESCE(r.response_data, '{}') || jsonb_build_object('pseudonymized', v_done)
	WHERE r.id = p_request_id;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA gdpr FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA gdpr FROM PUBLIC;
