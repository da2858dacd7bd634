-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0002: the guide's RBAC schema (roles, permissions, their grants, users' roles per
-- tenant), row-level security by tenant and industry, and the permission check with its
-- conditions (time range, IP range, location, exact values).
--
-- Fixed from the guide:
--   - The policies read Supabase's auth.jwt(); here the session says who it serves with
--     two settings, set per transaction by whoever connects:
--       SELECT set_config('edgeward.tenant_id', '<uuid>', true);
--       SELECT set_config('edgeward.industry', 'restaurants', true);
--     read by rbac.current_tenant_id() and rbac.current_industry(). Unset means none: a
--     session that set nothing sees no user roles and only global roles.
--   - RLS was enabled on rbac.permissions and rbac.role_permissions without a policy,
--     which hides every row from every role but the owner: permissions are a catalog
--     (readable), a role's grants are visible when the role is.
--   - rbac.check_time_range, check_ip_range and check_location were called but never
--     defined; they are below, and fail closed on malformed input.
--   - check_conditions compared with "!=", so a condition the caller did not provide
--     (NULL) passed; it uses IS DISTINCT FROM now, and a non-object condition fails.
--   - check_permission selected columns it never read (r.level, rp.granted) in two nested
--     loops; it is one EXISTS query now, with the same result. It is SECURITY DEFINER
--     as in the guide, with a fixed search_path so callers cannot substitute objects.

CREATE SCHEMA rbac;
REVOKE ALL ON SCHEMA rbac FROM PUBLIC;

CREATE TABLE rbac.roles (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text UNIQUE NOT NULL,
	description text,
	level integer NOT NULL DEFAULT 0,	-- kept from the guide; no check reads it
	industry text,				-- NULL for global roles
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now()
);

CREATE TABLE rbac.permissions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text UNIQUE NOT NULL,
	description text,
	resource text NOT NULL,			-- API endpoint, table, feature
	action text NOT NULL,			-- create, read, update, delete, execute
	conditions jsonb DEFAULT '{}',		-- see rbac.check_conditions
	created_at timestamptz DEFAULT now()
);
CREATE INDEX permissions_resource_action ON rbac.permissions (resource, action);

CREATE TABLE rbac.role_permissions (
	role_id uuid REFERENCES rbac.roles (id) ON DELETE CASCADE,
	permission_id uuid REFERENCES rbac.permissions (id) ON DELETE CASCADE,
	granted boolean DEFAULT true,
	conditions jsonb DEFAULT '{}',
	granted_at timestamptz DEFAULT now(),
	granted_by uuid REFERENCES shared.users (id),
	PRIMARY KEY (role_id, permission_id)
);

CREATE TABLE rbac.user_roles (
	user_id uuid REFERENCES shared.users (id) ON DELETE CASCADE,
	role_id uuid REFERENCES rbac.roles (id) ON DELETE CASCADE,
	tenant_id uuid REFERENCES shared.tenants (id) ON DELETE CASCADE,
	granted_at timestamptz DEFAULT now(),
	granted_by uuid REFERENCES shared.users (id),
	expires_at timestamptz,
	PRIMARY KEY (user_id, role_id, tenant_id)
);
CREATE INDEX user_roles_tenant ON rbac.user_roles (tenant_id);

-- The tenant and industry the session acts for (what the guide read from the JWT). An
-- empty setting is none; a malformed tenant id is an error, not "no tenant".
CREATE FUNCTION rbac.current_tenant_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT NULLIF(pg_catalog.current_setting('edgeward.tenant_id', true), '')::uuid
$$;

CREATE FUNCTION rbac.current_industry() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT NULLIF(pg_catalog.current_setting('edgeward.industry', true), '')
$$;

ALTER TABLE rbac.roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE rbac.permissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rbac.role_permissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rbac.user_roles ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_role_isolation ON rbac.roles
	USING (industry IS NULL OR industry = rbac.current_industry());
CREATE POLICY permission_catalog ON rbac.permissions
	USING (true);
-- The subquery is itself filtered by the roles policy.
CREATE POLICY role_permission_visibility ON rbac.role_permissions
	USING (EXISTS (SELECT 1 FROM rbac.roles r WHERE r.id = role_id));
CREATE POLICY user_role_access ON rbac.user_roles
	USING (tenant_id = rbac.current_tenant_id());

-- {"start": "22:00", "end": "06:00", "timezone": "Europe/Berlin"}: is p_at's time of day
-- in [start, end)? A range with start after end wraps midnight; start = end is the whole
-- day. The time zone defaults to UTC (not the session's, which the caller controls).
-- Anything malformed (missing bound, bad time, unknown zone, not an object) is false.
CREATE FUNCTION rbac.check_time_range(p_range jsonb, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_start time;
	v_end time;
	v_at time;
BEGIN
	IF p_at IS NULL OR jsonb_typeof(p_range) IS DISTINCT FROM 'object'
	   OR jsonb_typeof(p_range -> 'start') IS DISTINCT FROM 'string'
	   OR jsonb_typeof(p_range -> 'end') IS DISTINCT FROM 'string'
	   OR jsonb_typeof(COALESCE(p_range -> 'timezone', '"UTC"')) <> 'string' THEN
		RETURN false;
	END IF;
	BEGIN
		v_start := (p_range ->> 'start')::time;
		v_end := (p_range ->> 'end')::time;
		v_at := (p_at AT TIME ZONE COALESCE(p_range ->> 'timezone', 'UTC'))::time;
	EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
		RETURN false;
	END;
	IF v_start < v_end THEN
		RETURN v_at >= v_start AND v_at < v_end;
	ELSIF v_start > v_end THEN
		RETURN v_at >= v_start OR v_at < v_end;
	END IF;
	RETURN true;
END
$$;

-- Is the provided address (a JSON string holding one host address, IPv4 or IPv6) inside
-- the required range (a JSON string, or an array of them, each a network without host
-- bits: "10.0.0.0/8", "2001:db8::/32", "192.0.2.7")? Families never match each other
-- (an IPv4-mapped IPv6 address is not the IPv4 address). A malformed range entry matches
-- nothing; a missing or malformed address is false.
CREATE FUNCTION rbac.check_ip_range(p_required jsonb, p_provided jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	v_ip inet;
	v_net inet;
	v_item jsonb;
BEGIN
	IF jsonb_typeof(p_provided) IS DISTINCT FROM 'string' THEN
		RETURN false;
	END IF;
	BEGIN
		v_ip := (p_provided #>> '{}')::inet;
	EXCEPTION WHEN data_exception THEN
		RETURN false;
	END;
	IF masklen(v_ip) <> (CASE family(v_ip) WHEN 4 THEN 32 ELSE 128 END) THEN
		RETURN false;
	END IF;
	IF jsonb_typeof(p_required) = 'string' THEN
		p_required := jsonb_build_array(p_required);
	ELSIF jsonb_typeof(p_required) IS DISTINCT FROM 'array' THEN
		RETURN false;
	END IF;
	FOR v_item IN SELECT value FROM jsonb_array_elements(p_required) LOOP
		CONTINUE WHEN jsonb_typeof(v_item) <> 'string';
		BEGIN
			-- inet, not cidr: cidr would read "10" as 10.0.0.0/8.
			v_net := (v_item #>> '{}')::inet;
		EXCEPTION WHEN data_exception THEN
			CONTINUE;
		END;
		CONTINUE WHEN v_net <> network(v_net);
		IF v_ip <<= v_net THEN
			RETURN true;
		END IF;
	END LOOP;
	RETURN false;
END
$$;

-- Is the provided location (a JSON string, e.g. a country code) one of the required ones
-- (a string or an array of strings)? Compared without regard to case and surrounding
-- blanks ("de" is "DE"). Missing or non-string is false.
CREATE FUNCTION rbac.check_location(p_required jsonb, p_provided jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
	SELECT CASE
		WHEN jsonb_typeof(p_provided) IS DISTINCT FROM 'string' THEN false
		WHEN jsonb_typeof(p_required) = 'string' THEN
			upper(btrim(p_required #>> '{}')) = upper(btrim(p_provided #>> '{}'))
		WHEN jsonb_typeof(p_required) = 'array' THEN
			EXISTS (SELECT 1 FROM jsonb_array_elements(p_required) r
				WHERE jsonb_typeof(r.value) = 'string'
				  AND upper(btrim(r.value #>> '{}')) = upper(btrim(p_provided #>> '{}')))
		ELSE false
	END
$$;

-- Every required condition must hold: time_range against the server's clock (never a
-- time the caller provides), ip_range and location against the provided values, any other
-- key by exact JSON equality with the provided value (a missing one fails). No
-- conditions (SQL NULL, {} or JSON null) is true; conditions that are not an object are
-- false.
CREATE FUNCTION rbac.check_conditions(p_required jsonb, p_provided jsonb) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_key text;
	v_required jsonb;
	v_provided jsonb;
BEGIN
	IF p_required IS NULL OR p_required = '{}'::jsonb OR p_required = 'null'::jsonb THEN
		RETURN true;
	END IF;
	IF jsonb_typeof(p_required) <> 'object' THEN
		RETURN false;
	END IF;
	FOR v_key, v_required IN SELECT key, value FROM jsonb_each(p_required) LOOP
		-- "->" on anything but an object (or on NULL) is NULL: provided nothing.
		v_provided := p_provided -> v_key;
		CASE v_key
		WHEN 'time_range' THEN
			IF NOT rbac.check_time_range(v_required, now()) THEN
				RETURN false;
			END IF;
		WHEN 'ip_range' THEN
			IF NOT rbac.check_ip_range(v_required, v_provided) THEN
				RETURN false;
			END IF;
		WHEN 'location' THEN
			IF NOT rbac.check_location(v_required, v_provided) THEN
				RETURN false;
			END IF;
		ELSE
			IF v_provided IS NULL OR v_required IS DISTINCT FROM v_provided THEN
				RETURN false;
			END IF;
		END CASE;
	END LOOP;
	RETURN true;
END
$$;

-- Does the user hold, in this tenant, an unexpired role with a granted permission for
-- (resource, action) whose conditions, and whose grant's conditions, all hold?
CREATE FUNCTION rbac.check_permission(
	p_user_id uuid,
	p_tenant_id uuid,
	p_resource text,
	p_action text,
	p_conditions jsonb DEFAULT '{}'
) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (
		SELECT 1
		FROM rbac.user_roles ur
		JOIN rbac.role_permissions rp ON rp.role_id = ur.role_id
		JOIN rbac.permissions p ON p.id = rp.permission_id
		WHERE ur.user_id = p_user_id
		  AND ur.tenant_id = p_tenant_id
		  AND (ur.expires_at IS NULL OR ur.expires_at > now())
		  AND rp.granted
		  AND p.resource = p_resource
		  AND p.action = p_action
		  AND rbac.check_conditions(p.conditions, p_conditions)
		  AND rbac.check_conditions(rp.conditions, p_conditions))
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA rbac FROM PUBLIC;
GRANT USAGE ON SCHEMA rbac TO edgeward_controller;
GRANT SELECT ON ALL TABLES IN SCHEMA rbac TO edgeward_controller;
-- The policies call these as the querying role.
GRANT EXECUTE ON FUNCTION rbac.current_tenant_id(), rbac.current_industry(),
	rbac.check_permission(uuid, uuid, text, text, jsonb),
	rbac.check_conditions(jsonb, jsonb), rbac.check_time_range(jsonb, timestamptz),
	rbac.check_ip_range(jsonb, jsonb), rbac.check_location(jsonb, jsonb)
	TO edgeward_controller;
