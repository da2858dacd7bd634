#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# edgewardd with a database: a private PostgreSQL 15 cluster migrated with
# edgewardctl db migrate, the daemon (development profile, no interface)
# configured with database.conninfo. A block an application writes into
# audit.ip_blocklist reaches the daemon's kernel map; its deletion lifts it;
# the fleet state shows in the metrics; the daemon keeps serving while the
# database is stopped and resynchronises when it is back. Operators' roles
# and permissions come from the rbac schema and a change there applies to
# the next request; audit.response_rules drive the response engine on
# application events logged with audit.log_security_event (LISTEN/NOTIFY),
# and the responses' notifications land in notifications.queue.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (BPF, PostgreSQL as user postgres)"; exit 77; }
source scripts/pgtest.sh
if ! why=$(pg_available); then
	echo "SKIP: $why"
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi

T=$(mktemp -d /tmp/ewdb-test.XXXXXX)
PIN=/sys/fs/bpf/edgeward-test-daemondb-$$
CTL=$PWD/build/edgewardctl
EWD=$PWD/build/edgewardd
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
neg() { ! "$@"; }

mkdir -p "$T/pg" "$T/run" "$T/state"
chmod 700 "$T/state"
chown postgres "$T" "$T/pg"
PORT=$(pg_free_port)
cleanup() {
	# A second TERM (timeout signals the whole process group) must not cut this short.
	trap '' TERM INT
	[ -f "$T/run/pid" ] && kill "$(cat "$T/run/pid")" 2>/dev/null && sleep 0.3
	pg_stop "$T/pg" >/dev/null 2>&1
	[ -d "$PIN" ] && rm -rf "$PIN"
	rm -rf "$T"
}
trap cleanup EXIT
# A timeout or ^C must clean up too: bash runs the EXIT trap only when it exits itself.
trap 'exit 143' TERM INT

pg_start "$T/pg" "$PORT" || { echo "cannot start PostgreSQL"; exit 1; }
sql() { runuser -u postgres -- psql -h 127.0.0.1 -p "$PORT" -d ew -XAtqc "$1"; }
runuser -u postgres -- psql -h 127.0.0.1 -p "$PORT" -d postgres -XAtqc "CREATE DATABASE ew"
# A host name: looked up with evdns, not by libpq inside the loop (pgaddr.h).
CONN="host=localhost port=$PORT dbname=ew user=postgres"
check "db migrate" $CTL -q db migrate --db "$CONN"

APORT=$((PORT + 2))
cat >"$T/edgeward.yaml" <<EOF
profile: development
daemon: {pin_dir: $PIN, state_dir: $T/state, journal: $T/state/journal, users_file: $T/state/users.json, pid_file: $T/run/pid}
api:
  unix_socket: $T/run/api.sock
  listen: ["127.0.0.1:$APORT"]
  rate_limits: {api: {rate: 1000/s, burst: 1000}, login: {rate: 100/s, burst: 100}}
metrics: {enabled: true, listen: "127.0.0.1:$((PORT + 1))"}
security:
  authentication:
    mfa: {enabled: true, required: [admin]}
database: {conninfo: "$CONN", tenant: acme}
EOF
export EDGEWARD_SOCKET=$T/run/api.sock EDGEWARD_PIN_DIR=$PIN EDGEWARD_JOURNAL=$T/state/journal
$EWD -c "$T/edgeward.yaml" >"$T/daemon.log" 2>&1 &
for _ in $(seq 100); do [ -S "$T/run/api.sock" ] && break; sleep 0.1; done
check "daemon up" test -S "$T/run/api.sock"
metrics() { curl -s "http://127.0.0.1:$((PORT + 1))/metrics"; }
wait_for() { # CMD...: up to 5 s
	for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done
	return 1
}
listed() { $CTL -j block list 2>/dev/null | grep -q "\"$1\""; }
connected() { metrics | grep -q '^edgeward_fleet_connected 1'; }
check "fleet connected (metrics)" wait_for connected

sql "INSERT INTO audit.ip_blocklist (ip_address, reason, blocked_until) VALUES ('198.51.100.0/24', 'application', now() + interval '1 hour')"
check "an application's block reaches the kernel map" wait_for listed 198.51.100.0/24
out=$($CTL -j block list)
check "  ... as origin fleet" grep -q '"cidr":"198.51.100.0/24","origin":"fleet"' <<<"$out"
sql "DELETE FROM audit.ip_blocklist WHERE ip_address = '198.51.100.0/24'"
check "its deletion lifts it" wait_for neg listed 198.51.100.0/24

# An operator's block through the daemon is the fleet's: a row (origin manual); its delete lifts it.
$CTL -q block add 192.0.2.66 --ttl 10m --reason "operator's block"
row() { sql "SELECT origin || ' ' || reason || ' ' || (blocked_until > now() + interval '9 minutes')
	FROM audit.ip_blocklist WHERE ip_address = '192.0.2.66'"; }
check "an operator's block add is shared (audit.ip_blocklist, origin manual, its expiry)" \
	wait_for test "$(row)" = "manual operator's block true"
$CTL -q block del 192.0.2.66
check "  ... and its delete removes the row (every server lifts it)" wait_for test -z "$(row)"

# The database goes away: the daemon keeps serving; rows written meanwhile arrive on reconnect.
pg_stop "$T/pg" >/dev/null
check "database down: the API still answers" $CTL -q status >/dev/null
pg_as_postgres "$(pg_bin)/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w -t 30 start >/dev/null ||
	nok "restart PostgreSQL"
sql "INSERT INTO audit.ip_blocklist (ip_address, reason) VALUES ('2001:db8:1:2::/64', 'while away')"
check "after the restart the daemon resynchronises (IPv6 /64)" wait_for listed 2001:db8:1:2::/64
check "fleet changes are audited" grep -q fleet <<<"$($CTL -j audit 2>/dev/null)"

# --- RBAC from PostgreSQL: a change applies to the next request ---
sock() { curl -s --unix-socket "$T/run/api.sock" -H 'Content-Type: application/json' "$@"; }
api() { # METHOD PATH [BODY]: prints the status
	curl -s -o /dev/null -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $TOKEN" ${3:+--data-binary "$3"} "http://127.0.0.1:$APORT$2"
}
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', expected '$3')"; fi; }
states() { metrics | sed -n 's/^edgeward_db_states_total //p'; }
check "the daemon read roles and rules from the database" wait_for test "$(states)" -ge 1 2>/dev/null
sock -X POST http://x/v1/users -d '{"username":"alice","email":"Alice@Example.com","first_name":"Alice","last_name":"Smith","role":"viewer","password":"Tr0ub4dor&3-horse"}' >/dev/null
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"username":"alice","password":"Tr0ub4dor&3-horse"}' \
	"http://127.0.0.1:$APORT/v1/auth/login" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
check "alice (viewer in the users file) logs in" test -n "$TOKEN"
is "  ... the database's viewer may list blocks" "$(api GET /v1/blocks)" 200
is "  ... but not add one" "$(api POST /v1/blocks '{"cidrs":["192.0.2.10"]}')" 403
sql "INSERT INTO shared.tenants (name) VALUES ('acme'), ('other')"
sql "INSERT INTO shared.users (tenant_id, email) SELECT id, 'alice@example.com' FROM shared.tenants"
sql "INSERT INTO rbac.user_roles (user_id, role_id, tenant_id) SELECT u.id, r.id, u.tenant_id
	FROM shared.users u JOIN shared.tenants t ON t.id = u.tenant_id, rbac.roles r
	WHERE t.name = 'acme' AND r.name = 'manager'"
is "manager in rbac.user_roles: the next request may add a block" \
	"$(api POST /v1/blocks '{"cidrs":["192.0.2.10"]}')" 200
sql "DELETE FROM rbac.role_permissions WHERE permission_id =
	(SELECT id FROM rbac.permissions WHERE name = 'edgeward.blocklist.create')
	AND role_id = (SELECT id FROM rbac.roles WHERE name = 'manager')"
is "the grant revoked from manager: the next request is refused" \
	"$(api POST /v1/blocks '{"cidrs":["192.0.2.11"]}')" 403
is "  ... and audited as denied" "$(sock 'http://x/v1/audit?type=access_denied' | grep -c '"role":"manager"')" 1
sql "UPDATE rbac.user_roles SET role_id = (SELECT id FROM rbac.roles WHERE name = 'admin')
	WHERE user_id IN (SELECT id FROM shared.users WHERE email = 'alice@example.com')"
is "admin needs MFA: not given to an operator without TOTP (stays viewer)" \
	"$(api POST /v1/blocks '{"cidrs":["192.0.2.12"]}')" 403
is "  ... who still reads as a viewer" "$(api GET /v1/blocks)" 200
sql "UPDATE rbac.user_roles SET tenant_id = (SELECT id FROM shared.tenants WHERE name = 'other')
	WHERE user_id IN (SELECT u.id FROM shared.users u JOIN shared.tenants t ON t.id = u.tenant_id
	WHERE t.name = 'acme')" 2>/dev/null ||
	sql "DELETE FROM rbac.user_roles WHERE tenant_id = (SELECT id FROM shared.tenants WHERE name = 'acme')"
sql "UPDATE rbac.role_permissions SET granted = false WHERE role_id = (SELECT id FROM rbac.roles WHERE name = 'viewer')
	AND permission_id = (SELECT id FROM rbac.permissions WHERE name = 'edgeward.blocklist.read')"
is "another tenant's role does not count; viewer's read revoked: refused" "$(api GET /v1/blocks)" 403
# Hostile rows: a role name edgewardd refuses, a permission with a bad condition.
sql "INSERT INTO rbac.roles (name, level) VALUES ('x''; DROP TABLE rbac.roles; --', 5)"
sql "INSERT INTO rbac.permissions (name, resource, action, conditions) VALUES
	('evil', 'stats', 'read', '{\"ip_range\": \"\${HOME}\"}')"
sql "INSERT INTO rbac.role_permissions (role_id, permission_id) SELECT r.id, p.id
	FROM rbac.roles r, rbac.permissions p WHERE r.name = 'viewer' AND p.name = 'evil'"
sql "UPDATE rbac.role_permissions SET granted = true WHERE role_id = (SELECT id FROM rbac.roles WHERE name = 'viewer')"
is "a viewer role with a malformed condition fails closed" "$(api GET /v1/blocks)" 403
check "  ... the daemon says why in the audit trail" grep -q 'ip_range' <<<"$(sock 'http://x/v1/audit?type=db_state')"
check "  ... and is still serving" $CTL -q status >/dev/null
check "local root keeps the config's table (not locked out by the database)" $CTL -q block add 192.0.2.13
sql "DELETE FROM rbac.role_permissions WHERE permission_id = (SELECT id FROM rbac.permissions WHERE name = 'evil')"
is "the bad grant removed: the viewer reads again" "$(api GET /v1/blocks)" 200
# A slow database: the daemon's read of the new roles waits behind a lock; a request made
# meanwhile waits for it (the change still applies to the next request).
waited() { metrics | sed -n 's/^edgeward_api_waited_for_db_total //p'; }
w0=$(waited)
vrole=$(sql "SELECT id FROM rbac.roles WHERE name = 'viewer'")
vperm=$(sql "SELECT id FROM rbac.permissions WHERE name = 'edgeward.blocklist.read'")
runuser -u postgres -- psql -h 127.0.0.1 -p "$PORT" -d ew -XAtq \
	-c "BEGIN; LOCK TABLE rbac.roles IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1); COMMIT;" >/dev/null &
lockpid=$!
locked() { test "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
	WHERE c.relname = 'roles' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1; }
wait_for locked
# Literal ids: a subquery on rbac.roles would wait for the lock itself.
sql "UPDATE rbac.role_permissions SET granted = false WHERE role_id = '$vrole' AND permission_id = '$vperm'"
is "a grant revoked while the database is slow: the next request waits and is refused" "$(api GET /v1/blocks)" 403
wait $lockpid
check "  ... it waited for the new roles (metrics)" test "$(waited)" -gt "$w0"
sql "UPDATE rbac.role_permissions SET granted = true WHERE role_id = (SELECT id FROM rbac.roles WHERE name = 'viewer')"

# --- response rules from the database, on application events ---
sql "UPDATE audit.response_rules SET trigger_conditions = trigger_conditions || '{\"count\": 3}'
	WHERE rule_name = 'Multiple Failed Logins'"
for i in 1 2 3; do
	sql "SELECT audit.log_security_event('failed_login', NULL, NULL, '203.0.113.77', 'app', '/login',
		'login', 'failure', '{\"attempt\": $i}')" >/dev/null
	[ $i = 2 ] && check "two application failures: not blocked yet" neg listed 203.0.113.77/32
done
check "the third (audit.response_rules count 3) blocks the source in the kernel map" \
	wait_for listed 203.0.113.77/32
out=$($CTL -j block list)
check "  ... as an automatic block" grep -q '"cidr":"203.0.113.77/32","origin":"auto"' <<<"$out"
check "  ... shared through audit.ip_blocklist" wait_for test "$(sql "SELECT count(*) FROM audit.ip_blocklist WHERE ip_address = '203.0.113.77'")" = 1
check "  ... its notify_admin in notifications.queue" \
	wait_for test "$(sql "SELECT count(*) FROM notifications.queue WHERE recipient_name = 'admin'")" -ge 1
out=$(sock 'http://x/v1/audit?type=automated_response')
check "  ... every action audited (block_ip, notify_admin, require_mfa)" \
	bash -c 'grep -q block_ip <<<"$1" && grep -q notify_admin <<<"$1" && grep -q require_mfa <<<"$1"' _ "$out"
# A large export an application logs: the database's rule quarantines it (shared.controller_act).
sql "INSERT INTO shared.users (id, tenant_id, email) SELECT 'e0000000-0000-0000-0000-000000000001', id,
	'exporter@example.com' FROM shared.tenants WHERE name = 'acme'"
sql "INSERT INTO shared.data_exports (tenant_id, created_by, size_bytes) SELECT tenant_id, id, 2147483648
	FROM shared.users WHERE email = 'exporter@example.com'"
sql "SELECT audit.log_security_event('data_export', 'e0000000-0000-0000-0000-000000000001', NULL,
	'198.51.100.44', 'app', '/export', 'export', 'success', '{\"data_volume_bytes\": 2147483648}')" >/dev/null
quarantined() { test "$(sql "SELECT status || ' ' || approval_required FROM shared.data_exports")" = "quarantined true"; }
check "a 2 GB export (rule 'Data Export Large Volume'): quarantined and needs approval" wait_for quarantined
check "  ... the data protection officer notified" \
	wait_for test "$(sql "SELECT count(*) FROM notifications.queue WHERE recipient_name = 'data_protection_officer'")" = 1
check "  ... and the export's source is not blocked (no block_ip in that rule)" neg listed 198.51.100.44/32
sql "SELECT audit.log_security_event('failed_login', NULL, NULL, '127.0.0.1', 'app', '/login', 'login', 'failure')
	FROM generate_series(1, 4)" >/dev/null
sleep 0.5
check "application events from loopback are never blocked" neg listed 127.0.0.1/32
sql "SELECT audit.log_security_event('failed_login'' OR 1=1 --', NULL, NULL, NULL, 'x', '\\\"; DROP', 'login', 'failure',
	'{\"data_volume\": \"9999999999999999999999 PB\"}')" >/dev/null
check "a hostile application event changes nothing and the daemon serves" $CTL -q status >/dev/null

# The journal reaches audit.security_events, each record once, also across the restart.
lag0() { metrics | grep -q '^edgeward_journal_lag_records 0$'; }
check "journal shipped (lag 0)" wait_for lag0
# The daemon may append a record meanwhile (a state re-read, a drop summary): compare until equal.
same() {
	n=$($CTL -j audit verify | sed -n 's/.*"records":\([0-9]*\).*/\1/p')
	rows=$(sql "SELECT count(*) || ' ' || count(DISTINCT id) FROM audit.security_events WHERE node IS NOT NULL")
	test "$rows" = "$n $n"
}
wait_for same
check "every journal record is in PostgreSQL exactly once ($n records; rows, ids: $rows)" \
	test "$rows" = "$n $n"

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
