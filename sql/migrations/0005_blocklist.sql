-- SPDX-License-Identifier: GPL-2.0-only
--
-- 0005: the fleet's blocklist. Every edgewardd of the fleet writes its blocks here and
-- LISTENs on channel edgeward_blocklist to apply the others' to its kernel maps.
--
-- Fixed from the guide: the guide inserts into audit.ip_blocklist without creating it.
-- Here a row is one network (a host is a /32 or /128; an automated block of an IPv6
-- source covers its /64, since one host holds a whole /64), stored without host bits and
-- unique, so a second block of the same network updates the first instead of failing.

CREATE TABLE audit.ip_blocklist (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	ip_address inet NOT NULL,
	reason text,
	blocked_at timestamptz NOT NULL DEFAULT now(),
	blocked_until timestamptz		-- NULL: permanent
		CHECK (isfinite(blocked_until)),
	created_by text,			-- the node or operator that blocked it
	origin text,				-- what made the block (manual, response_rule, ...)
	-- "10.0.0.5/24" is refused rather than silently widened to 10.0.0.0/24.
	CONSTRAINT ip_blocklist_network CHECK (ip_address = network(ip_address)),
	CONSTRAINT ip_blocklist_ip_address_key UNIQUE (ip_address)
);
-- Expiry sweeps and "is this address blocked" lookups (inet_ops answers <<= and >>=).
CREATE INDEX ip_blocklist_until ON audit.ip_blocklist (blocked_until)
	WHERE blocked_until IS NOT NULL;
CREATE INDEX ip_blocklist_contains ON audit.ip_blocklist USING gist (ip_address inet_ops);

-- The payload of one change: {"op": "insert"|"update"|"delete", "ip": "192.0.2.7/32",
-- "blocked_until": 1700003600 (Unix seconds, floored; null: permanent), "reason": first
-- 256 characters or null}. The ip always has its prefix length. At most about 1.6 kB
-- (256 characters escaped as \uXXXX), far below NOTIFY's 8000 bytes.
CREATE FUNCTION audit.blocklist_payload(p_op text, p_ip inet, p_until timestamptz,
					p_reason text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT jsonb_build_object(
		'op', p_op,
		'ip', p_ip::text,
		'blocked_until', CASE WHEN isfinite(p_until)
				 THEN floor(extract(epoch FROM p_until))::bigint END,
		'reason', left(p_reason, 256))::text
$$;

-- One NOTIFY per changed row, sent at commit (a rolled-back change sends nothing). An
-- update that moves a row to another network is a delete of the old one and an insert
-- of the new; an update that changes nothing is not announced; TRUNCATE sends
-- {"op": "truncate"}: a listener then reloads the whole table. SECURITY DEFINER: it runs
-- as whichever role changed the table, which need not be allowed to call the payload
-- function itself.
CREATE FUNCTION audit.notify_blocklist() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		PERFORM pg_notify('edgeward_blocklist', '{"op": "truncate"}');
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('edgeward_blocklist',
			audit.blocklist_payload('delete', OLD.ip_address, OLD.blocked_until,
						OLD.reason));
	ELSIF TG_OP = 'INSERT' THEN
		PERFORM pg_notify('edgeward_blocklist',
			audit.blocklist_payload('insert', NEW.ip_address, NEW.blocked_until,
						NEW.reason));
	ELSIF OLD.ip_address IS DISTINCT FROM NEW.ip_address THEN
		PERFORM pg_notify('edgeward_blocklist',
			audit.blocklist_payload('delete', OLD.ip_address, OLD.blocked_until,
						OLD.reason));
		PERFORM pg_notify('edgeward_blocklist',
			audit.blocklist_payload('insert', NEW.ip_address, NEW.blocked_until,
						NEW.reason));
	ELSIF OLD IS DISTINCT FROM NEW THEN
		PERFORM pg_notify('edgeward_blocklist',
			audit.blocklist_payload('update', NEW.ip_address, NEW.blocked_until,
						NEW.reason));
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER ip_blocklist_notify
	AFTER INSERT OR UPDATE OR DELETE ON audit.ip_blocklist
	FOR EACH ROW EXECUTE FUNCTION audit.notify_blocklist();
CREATE TRIGGER ip_blocklist_notify_truncate
	AFTER TRUNCATE ON audit.ip_blocklist
	FOR EACH STATEMENT EXECUTE FUNCTION audit.notify_blocklist();

REVOKE ALL ON audit.ip_blocklist FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA audit FROM PUBLIC;
GRANT INSERT, SELECT, UPDATE, DELETE ON audit.ip_blocklist TO edgeward_controller;
-- The NOTIFY trigger runs as the writer and builds its payload with this function.
GRANT EXECUTE ON FUNCTION audit.blocklist_payload(text, inet, timestamptz, text) TO edgeward_controller;
