#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# edgewardd with a database: a private PostgreSQL 15 cluster migrated with
# edgewardctl db migrate, the daemon (development profile, no interface)
# configured with database.conninfo. A block an application writes into
# audit.ip_blocklist reaches the daemon's kernel map; its deletion lifts it;
# the fleet state shows in the metrics; the daemon keeps serving while the
# database is stopped and resynchronises when it is back.
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
CONN="host=127.0.0.1 port=$PORT dbname=ew user=postgres"
check "db migrate" $CTL -q db migrate --db "$CONN"

cat >"$T/edgeward.yaml" <<EOF
profile: development
daemon: {pin_dir: $PIN, state_dir: $T/state, journal: $T/state/journal, users_file: $T/state/users.json, pid_file: $T/run/pid}
api: {unix_socket: $T/run/api.sock}
metrics: {enabled: true, listen: "127.0.0.1:$((PORT + 1))"}
database: {conninfo: "$CONN"}
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

# The database goes away: the daemon keeps serving; rows written meanwhile arrive on reconnect.
pg_stop "$T/pg" >/dev/null
check "database down: the API still answers" $CTL -q status >/dev/null
pg_as_postgres "$(pg_bin)/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w -t 30 start >/dev/null ||
	nok "restart PostgreSQL"
sql "INSERT INTO audit.ip_blocklist (ip_address, reason) VALUES ('2001:db8:1:2::/64', 'while away')"
check "after the restart the daemon resynchronises (IPv6 /64)" wait_for listed 2001:db8:1:2::/64
check "fleet changes are audited" grep -q fleet <<<"$($CTL -j audit 2>/dev/null)"

# The journal reaches audit.security_events, each record once, also across the restart.
lag0() { metrics | grep -q '^edgeward_journal_lag_records 0$'; }
check "journal shipped (lag 0)" wait_for lag0
n=$($CTL -j audit verify | sed -n 's/.*"records":\([0-9]*\).*/\1/p')
rows=$(sql "SELECT count(*) || ' ' || count(DISTINCT id) FROM audit.security_events WHERE node IS NOT NULL")
check "every journal record is in PostgreSQL exactly once ($n records; rows, ids: $rows)" \
	test "$rows" = "$n $n"

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
