-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0001: the roles edgeward's programs connect as, and the minimal shared schema the guide's
-- other schemas refer to (tenants, users, data exports).
--
-- Like every migration, this file runs inside the one transaction that `edgewardctl db
-- migrate` opens for it (with the migrator's advisory lock held), so it holds no BEGIN or
-- COMMIT of its own and is applied whole or not at all.

-- Roles are cluster-wide and may exist already (another database of the cluster, or an
-- administrator who created them with LOGIN and a password first): create only what is
-- missing, never alter. Neither gets LOGIN here; see sql/README.md.
DO $$
DECLARE
	v_role text;
BEGIN
	FOREACH v_role IN ARRAY ARRAY['edgeward_controller', 'edgeward_app'] LOOP
		CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role);
		BEGIN
			EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
		EXCEPTION WHEN duplicate_object OR unique_violation THEN
			-- The migrator of another database of the cluster created it
			-- meanwhile (unique_violation when it committed while we waited).
			NULL;
		END;
	END LOOP;
END
$$;

CREATE SCHEMA shared;
REVOKE ALL ON SCHEMA shared FROM PUBLIC;

CREATE TABLE shared.tenants (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL UNIQUE,
	industry text,			-- matched by rbac.roles.industry
	created_at timestamptz NOT NULL DEFAULT now()
);

-- The platform's users: the subjects of RBAC, of the automated responses (settings) and of
-- GDPR erasure (email, phone, first_name, last_name are the columns it pseudonymizes).
CREATE TABLE shared.users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid REFERENCES shared.tenants (id) ON DELETE CASCADE,
	email text,
	phone text,
	first_name text,
	last_name text,
	-- Flags the application reads at the next login (require_mfa_next_login, ...).
	settings jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, email)
);

-- Data exports, the object of the guide's "quarantine_export" response (the guide names a
-- table data_exports it never creates).
CREATE TABLE shared.data_exports (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid REFERENCES shared.tenants (id) ON DELETE CASCADE,
	created_by uuid REFERENCES shared.users (id) ON DELETE SET NULL,
	size_bytes bigint CHECK (size_bytes >= 0),
	status text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'ready', 'quarantined', 'approved', 'rejected')),
	approval_required boolean NOT NULL DEFAULT false,
	quarantine_reason text,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_exports_created_by_time ON shared.data_exports (created_by, created_at);
