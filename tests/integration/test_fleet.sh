#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The fleet blocklist against a real PostgreSQL: one private cluster with the
# project's migrations (sql/migrations/), three fleet drivers
# (tests/fleet/fleet_driver.c: the fleet module alone in an event loop, each
# with its own XDP object pinned in its own directory), checked through
# `edgewardctl --direct -j block list` on each pin directory. Checked: a block
# published by one server reaches the others, never shortening a longer one;
# rows written by an application reach all three, deletes lift everywhere and
# rules of other origins are never touched; an expiry 3 s ahead ends on all
# three at the same instant; a server killed and restarted, or cut off from
# the database while rows change, resynchronises to the table; a PostgreSQL
# restart is survived; hostile NOTIFY payloads are logged and ignored; security
# events logged by an application arrive, also after a disconnection; TRUNCATE
# lifts everything. Then the propagation latency of 1,000 blocks published at
# ~100/s, as p50/p99 (reported, not asserted: timing belongs in benchmarks).
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (BPF maps)"; exit 77; }
PY=/usr/bin/python3
source scripts/pgtest.sh
why=$(pg_available) || { echo "SKIP: $why"; exit 77; }

T=$(mktemp -d /tmp/ewfleet-test.XXXXXX)
chmod 700 "$T"
PGDIR=$(mktemp -d /tmp/ewfleet-pg.XXXXXX)
PORT=$(pg_free_port) || { echo "no free port"; exit 1; }
CTL=$PWD/build/edgewardctl
DRV=$PWD/build/tests/fleet_driver
CONN="host=127.0.0.1 port=$PORT dbname=edgeward user=edgeward_controller"
declare -A PID PIN
for n in 1 2 3; do PIN[$n]=/sys/fs/bpf/edgeward-test-fleet-$n-$$; done
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
neg() { ! "$@"; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', expected '$3')"; fi; }

stop_driver() {
	local n=$1 pid=${PID[$1]:-}

	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	PID[$n]=
}
cleanup() {
	# A second TERM (timeout signals the whole process group) must not cut this short.
	trap '' TERM INT
	for n in 1 2 3; do
		stop_driver $n
		[ -d "${PIN[$n]}" ] && rm -rf "${PIN[$n]}"
	done
	pg_clean "$PGDIR"
	rm -rf "$T"
}
trap cleanup EXIT

# --- build: the driver links the fleet module and libedgeward directly ---
make -s build/libedgeward.a build/edgewardctl >/dev/null || { echo "build failed"; exit 1; }
mkdir -p build/tests
# FLEET_SANITIZE=1: the driver (and the fleet module) under ASan and UBSan.
SAN=
[ "${FLEET_SANITIZE:-0}" = 1 ] && SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
gcc -O2 -g $SAN -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser/lib -Iuser/edgewardd \
	-Ibuild -o "$DRV" tests/fleet/fleet_driver.c user/edgewardd/fleet.c user/edgewardd/pgaddr.c build/libedgeward.a \
	$(pkg-config --libs libbpf jansson libevent libpq yaml-0.1 libcrypto) -lelf -lz -lm ||
	{ echo "cannot build the fleet driver"; exit 1; }

# --- the database ---
pg_start "$PGDIR" "$PORT" || exit 1
psql_su() { pg_psql "$PORT" edgeward -At "$@"; }
sql() { psql_su -c "$1"; }
pg_psql "$PORT" postgres -c "CREATE DATABASE edgeward" || exit 1
for f in sql/migrations/*.sql; do
	psql_su -1 -f "$f" >"$T/migrate.log" 2>&1 ||
		{ echo "migration $f failed:"; cat "$T/migrate.log"; exit 1; }
done
sql "ALTER ROLE edgeward_controller LOGIN; ALTER ROLE edgeward_app LOGIN" || exit 1
# The blocklist trigger calls audit.blocklist_payload as the writing role: without EXECUTE
# on it, the controller's INSERT fails ("permission denied for function blocklist_payload").
if [ "$(sql "SELECT has_function_privilege('edgeward_controller',
	'audit.blocklist_payload(text, inet, timestamptz, text)', 'EXECUTE')")" != t ]; then
	echo "# WARNING: the migrations do not let edgeward_controller run audit.blocklist_payload" \
		"(the ip_blocklist trigger's helper); granting it here so the fleet can be tested"
	sql "GRANT EXECUTE ON FUNCTION audit.blocklist_payload(text, inet, timestamptz, text)
	     TO edgeward_controller" >/dev/null || exit 1
fi
ok "migrations applied ($(ls sql/migrations/*.sql | wc -l) files), controller may log in"

# --- the drivers ---
start_driver() {
	local n=$1

	[ -p "$T/ctl$n" ] || mkfifo "$T/ctl$n"
	"$DRV" --pin "${PIN[$n]}" --conninfo "$CONN" --node "node$n" --log "$T/d$n.log" \
		--ctl "$T/ctl$n" --resync 300 >>"$T/d$n.err" 2>&1 &
	PID[$n]=$!
}
# cmd N LINE: one command to driver N (its FIFO; never blocks on a dead driver)
cmd() { local n=$1; shift; timeout 2 bash -c 'printf "%s\n" "$1" >"$2"' _ "$*" "$T/ctl$n"; }
# stat N KEY: a field of driver N's fleet_stats
stat() {
	local f=$T/stats$1.$RANDOM
	cmd "$1" "stats $f" || return 1
	for _ in $(seq 50); do [ -s "$f" ] && break; sleep 0.02; done
	$PY -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]
print(str(v).lower() if isinstance(v,bool) else v)' "$f" "$2" 2>/dev/null
	rm -f "$f"
}
# list N [ARGS]: driver N's kernel blocklist, JSON
list() {
	local n=$1; shift
	EDGEWARD_PIN_DIR=${PIN[$n]} EDGEWARD_JOURNAL=$T/journal$n EDGEWARD_SOCKET=$T/no-such.sock \
		"$CTL" --direct -j block list "$@" 2>/dev/null
}
ctl_direct() {
	local n=$1; shift
	EDGEWARD_PIN_DIR=${PIN[$n]} EDGEWARD_JOURNAL=$T/journal$n EDGEWARD_SOCKET=$T/no-such.sock \
		"$CTL" --direct -q "$@" >/dev/null 2>&1
}
# rule N CIDR: "origin expires_in_s" of CIDR in driver N, or "none"
rule() {
	list "$1" | $PY -c 'import json,sys
for b in json.load(sys.stdin)["blocks"]:
    if b["cidr"] == sys.argv[1]:
        print(b["origin"], "never" if b["expires_in_s"] is None else b["expires_in_s"]); break
else:
    print("none")' "$2"
}
origin_of() { rule "$1" "$2" | cut -d' ' -f1; }
# fleet_set N: driver N's live origin=fleet CIDRs, sorted
fleet_set() {
	list "$1" --origin fleet | $PY -c 'import json,sys
print(" ".join(sorted(b["cidr"] for b in json.load(sys.stdin)["blocks"] if not b["expired"])))'
}
# db_set: the table's live rows, sorted like fleet_set
db_set() {
	sql "SELECT ip_address::text FROM audit.ip_blocklist
	     WHERE blocked_until IS NULL OR blocked_until > now()" | sort | tr '\n' ' ' | sed 's/ $//'
}
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	local t=$1; shift
	for _ in $(seq $((t * 20))); do "$@" && return 0; sleep 0.05; done
	"$@"
}
origin_is() { [ "$(origin_of "$1" "$2")" = "$3" ]; }
all_origin() { local c=$1 o=$2; origin_is 1 "$c" "$o" && origin_is 2 "$c" "$o" && origin_is 3 "$c" "$o"; }
# synced N: every live row of the table blocks on node N (as a fleet rule, or as
# another origin's rule holding the address), and every live fleet rule is a row
synced() {
	list "$1" | $PY -c 'import json,sys
rules = {b["cidr"]: b for b in json.load(sys.stdin)["blocks"] if not b["expired"]}
db = set(sys.argv[1].split())
fleet = {c for c, b in rules.items() if b["origin"] == "fleet"}
sys.exit(0 if db <= set(rules) and fleet <= db else 1)' "$(db_set)"
}
rule_is() { [ "$(rule "$1" "$2")" = "$3" ]; }
sql_is() { [ "$(sql "$1")" = "$2" ]; }
ttl_le() { local t; t=$(rule "$1" "$2" | cut -d' ' -f2); [ "$t" != never ] && [ "$t" -le "$3" ]; }
fleet_empty() { [ -z "$(fleet_set "$1")" ]; }
connected() { [ "$(stat "$1" connected)" = true ]; }
stat_ge() { local v; v=$(stat "$1" "$2"); [ -n "$v" ] && [ "$v" -ge "$3" ]; }

for n in 1 2 3; do start_driver $n; done
for n in 1 2 3; do
	check "driver $n connects, LISTENs and resyncs" wait_for 10 stat_ge $n resyncs 1
done

# --- a block decided on one server reaches the others ---
cmd 1 "publish 192.0.2.10/32 600 ssh brute force"
check "published by node1: fleet rule on node2" wait_for 5 origin_is 2 192.0.2.10/32 fleet
check "published by node1: fleet rule on node3" wait_for 5 origin_is 3 192.0.2.10/32 fleet
is "node1 keeps its own rule (origin auto, not replaced by its echo)" \
	"$(origin_of 1 192.0.2.10/32)" auto
row=$(sql "SELECT created_by, origin, reason,
	   round(extract(epoch FROM blocked_until - now()))::int BETWEEN 590 AND 600
	   FROM audit.ip_blocklist WHERE ip_address = '192.0.2.10'")
is "the row: created by node1, 10 minutes" "$row" "node1|response_rule|ssh brute force|t"
ttl3=$(rule 3 192.0.2.10/32 | cut -d' ' -f2)
check "node3's expiry is the row's (590..600 s, got $ttl3)" test "$ttl3" -ge 590 -a "$ttl3" -le 600

# Never shorten another server's longer block; permanent wins over everything.
cmd 2 "publish 192.0.2.10/32 60 shorter"
sleep 0.5
is "a shorter block from node2 leaves the row alone" \
	"$(sql "SELECT created_by, reason FROM audit.ip_blocklist WHERE ip_address = '192.0.2.10'")" \
	"node1|ssh brute force"
cmd 2 "publish 192.0.2.10/32 0 permanent now"
check "a permanent block from node2 extends the row" wait_for 5 sql_is \
	"SELECT blocked_until IS NULL FROM audit.ip_blocklist WHERE ip_address = '192.0.2.10'" t
check "node3 follows: permanent" wait_for 5 rule_is 3 192.0.2.10/32 "fleet never"
cmd 1 "publish 192.0.2.10/32 30 short again"
sleep 0.5
is "a timed block never shortens a permanent one" \
	"$(sql "SELECT blocked_until IS NULL FROM audit.ip_blocklist WHERE ip_address = '192.0.2.10'")" t

# --- rows written by an application ---
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, blocked_until, created_by, origin)
     VALUES ('198.51.100.0/24', 'app: scanner', now() + interval '1 hour', 'shop', 'application'),
	    ('2001:db8:beef:1::/64', 'app: v6 offender', NULL, 'shop', 'application')" >/dev/null
check "an application's IPv4 /24 reaches all three" wait_for 5 all_origin 198.51.100.0/24 fleet
check "an application's IPv6 /64 reaches all three" wait_for 5 all_origin 2001:db8:beef:1::/64 fleet
sql "DELETE FROM audit.ip_blocklist WHERE ip_address = '198.51.100.0/24'" >/dev/null
check "a delete lifts it everywhere" wait_for 5 all_origin 198.51.100.0/24 none
sql "UPDATE audit.ip_blocklist SET blocked_until = now() + interval '2 hours'
     WHERE ip_address = '2001:db8:beef:1::/64'" >/dev/null
check "an update reaches node2 (permanent to 2 h)" wait_for 5 ttl_le 2 2001:db8:beef:1::/64 7200
check "an update reaches node3 (permanent to 2 h)" wait_for 5 ttl_le 3 2001:db8:beef:1::/64 7200

# --- other origins are never touched ---
ctl_direct 2 block add 192.0.2.77 --reason "operator on node2"
ctl_direct 2 block add 192.0.2.78 --reason "operator, not in the table"
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('192.0.2.77/32', 'app', 'shop', 'application')" >/dev/null
check "the row reaches node1 and node3" wait_for 5 origin_is 3 192.0.2.77/32 fleet
is "node2's manual rule for the same address stays manual" "$(origin_of 2 192.0.2.77/32)" manual
sql "DELETE FROM audit.ip_blocklist WHERE ip_address = '192.0.2.77/32'" >/dev/null
check "the delete lifts it on node1 and node3" wait_for 5 origin_is 1 192.0.2.77/32 none
sleep 0.3
is "node2's manual rule survives the delete" "$(origin_of 2 192.0.2.77/32)" manual
cmd 2 resync
check "node2 resyncs" wait_for 5 stat_ge 2 resyncs 2
is "a manual rule absent from the table survives a resync" "$(origin_of 2 192.0.2.78/32)" manual

# --- expiry: 3 s ahead, the same instant everywhere ---
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, blocked_until, created_by, origin)
     VALUES ('203.0.113.5/32', 'three seconds', now() + interval '3 seconds', 'shop', 'app')" >/dev/null
check "a 3 s block reaches all three" wait_for 2 all_origin 203.0.113.5/32 fleet
spread=$(grep -h '^add 203.0.113.5/32 ' "$T"/d[123].log | awk '{print $4}' | sort -n |
	 awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%d", (hi - lo) / 1000000}')
check "the three kernels expire it within 50 ms of each other (spread ${spread} ms)" \
	test "${spread:-999}" -lt 50
sleep 3.5
for n in 1 2 3; do
	exp=$(list $n --expired --origin fleet | $PY -c 'import json,sys
print(any(b["cidr"] == "203.0.113.5/32" for b in json.load(sys.stdin)["blocks"]))')
	is "node$n: expired by the kernel's clock (block list --expired)" "$exp" True
done

# --- a server down while the table changes resyncs on restart ---
kill -9 "${PID[3]}"; wait "${PID[3]}" 2>/dev/null; PID[3]=
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('192.0.2.101/32', 'while down', 'shop', 'app'), ('192.0.2.102/32', 'while down', 'shop', 'app');
     DELETE FROM audit.ip_blocklist WHERE ip_address = '2001:db8:beef:1::/64'" >/dev/null
is "node3's kernel kept every block while it was down" "$(origin_of 3 192.0.2.10/32)" fleet
start_driver 3
check "node3 restarted: its fleet rules equal the table" wait_for 10 synced 3
is "node3: the row deleted while it was down is lifted" "$(origin_of 3 2001:db8:beef:1::/64)" none

# --- security events from an application ---
pg_psql "$PORT" edgeward -U edgeward_app -At -c "SELECT audit.log_security_event('failed_login',
	NULL, NULL, '192.0.2.60', 'curl/8', '/login', 'login', 'failure', '{\"attempt\": 3}')" \
	>/dev/null 2>"$T/app.err" || cat "$T/app.err"
ev_ok() {
	grep '^event ' "$T/d$1.log" | cut -d' ' -f2- | $PY -c 'import json,sys
want = sys.argv[1]
for l in sys.stdin:
    e = json.loads(l)
    if e["ip_address"] == want and e["event_type"] == "failed_login" and \
       e["details"] == {"attempt": 3} and e["result"] == "failure" and len(e["id"]) == 36:
        sys.exit(0)
sys.exit(1)' "$2"
}
for n in 1 2 3; do
	check "node$n receives the application's security event" wait_for 5 ev_ok $n 192.0.2.60
done
# A server's own journal record shipped to the table (node set) is not handed back.
sql "INSERT INTO audit.security_events (event_type, result, ip_address, details, node, seq)
     VALUES ('failed_login', 'failure', '192.0.2.62', '{\"attempt\": 3}', 'node9', 1)" >/dev/null
pg_psql "$PORT" edgeward -U edgeward_app -At -c "SELECT audit.log_security_event('failed_login',
	NULL, NULL, '192.0.2.63', NULL, NULL, 'login', 'failure', '{\"attempt\": 3}')" >/dev/null
check "a later application event arrives" wait_for 5 ev_ok 1 192.0.2.63
check "a shipped journal record (node set) is not delivered" neg ev_ok 1 192.0.2.62

# --- cut off from the database while rows change: backoff, reconnect, resync ---
conn1=$(stat 1 connects)
sql "ALTER ROLE edgeward_controller NOLOGIN;
     SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
     WHERE usename = 'edgeward_controller'" >/dev/null
check "the drivers notice the lost connection" wait_for 5 neg connected 1
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('192.0.2.103/32', 'while cut off', 'shop', 'app');
     DELETE FROM audit.ip_blocklist WHERE ip_address = '192.0.2.101/32'" >/dev/null
pg_psql "$PORT" edgeward -U edgeward_app -At -c "SELECT audit.log_security_event('failed_login',
	NULL, NULL, '192.0.2.61', NULL, NULL, 'login', 'failure', '{\"attempt\": 3}')" >/dev/null
sleep 1
sql "ALTER ROLE edgeward_controller LOGIN" >/dev/null
for n in 1 2 3; do
	check "node$n reconnects and resyncs to the table" wait_for 40 synced $n
	check "node$n catches up the event logged while it was cut off" wait_for 5 ev_ok $n 192.0.2.61
done
check "node1 counted the reconnection" stat_ge 1 connects $((conn1 + 1))

# --- PostgreSQL restarts ---
r1=$(stat 1 resyncs)
pg_as_postgres "$(pg_bin)/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -m fast -w -t 30 \
	restart >/dev/null ||
	nok "pg_ctl restart"
for n in 1 2 3; do
	check "node$n reconnects after the restart" wait_for 20 connected $n
done
check "node1 resynced after the restart" wait_for 5 stat_ge 1 resyncs $((r1 + 1))
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('192.0.2.104/32', 'after restart', 'shop', 'app')" >/dev/null
check "LISTEN works again: a new row reaches all three" wait_for 5 all_origin 192.0.2.104/32 fleet

# --- hostile notifications ---
ign=$(stat 2 ignored)
# Up to PostgreSQL's own limit (7999 bytes): a huge address.
big=$(head -c 7950 /dev/zero | tr '\0' '1')
deep=$(head -c 5000 /dev/zero | tr '\0' '[')
for p in 'not json' '{"op": "insert", "ip": "300.1.1.1"}' '{"op": "insert", "ip": "0.0.0.0/0"}' \
	'{"op": "insert", "ip": "10.1.2.3/8"}' "{\"op\": \"insert\", \"ip\": \"$big\"}" "$deep" \
	'{"op": "insert", "ip": "192.0.2.1", "blocked_until": "tomorrow"}'; do
	printf "SELECT pg_notify('edgeward_blocklist', :'p');\n" | psql_su -v p="$p" >/dev/null ||
		nok "pg_notify refused a payload of ${#p} bytes"
done
# Well-formed lies: a block nobody wrote, a delete of a live row. The table decides.
sql "SELECT pg_notify('edgeward_blocklist', '{\"op\": \"insert\", \"ip\": \"192.0.2.200/32\"}');
     SELECT pg_notify('edgeward_blocklist', '{\"op\": \"delete\", \"ip\": \"192.0.2.104/32\", \"blocked_until\": null}');
     SELECT pg_notify('edgeward_events', 'not-a-uuid');
     SELECT pg_notify('edgeward_events', '00000000-0000-4000-8000-000000000000')" >/dev/null
check "eight malformed payloads counted as ignored on node2" wait_for 5 stat_ge 2 ignored $((ign + 8))
sleep 0.5
for n in 1 2 3; do
	check "node$n still runs" kill -0 "${PID[$n]}"
done
is "a forged insert blocks nothing" "$(origin_of 1 192.0.2.200/32)" none
is "a forged delete lifts nothing" "$(origin_of 3 192.0.2.104/32)" fleet
check "the refusals are logged with the payload" grep -q 'ignoring a notification on edgeward_blocklist: .*0.0.0.0/0' "$T/d1.err"
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('192.0.2.105/32', 'after hostile', 'shop', 'app')" >/dev/null
check "after them, a new row still reaches all three" wait_for 5 all_origin 192.0.2.105/32 fleet

# A NOTIFY loop by anyone: counted, but the log gets at most 10 lines per 10 s.
ign=$(stat 2 ignored)
lines=$(grep -c 'ignoring a notification' "$T/d2.err")
sql "SELECT count(pg_notify('edgeward_blocklist', 'junk ' || i)) FROM generate_series(1, 500) i" >/dev/null
check "500 junk notifications counted on node2" wait_for 5 stat_ge 2 ignored $((ign + 500))
added=$(( $(grep -c 'ignoring a notification' "$T/d2.err") - lines ))
check "... and at most 10 of them logged ($added)" test "$added" -le 10

# A bulk insert beyond the read-back queue (4096): one resync instead, then equal again.
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, blocked_until, created_by, origin)
     SELECT '100.64.0.0'::inet + i, 'bulk', now() + interval '1 hour', 'shop', 'app'
     FROM generate_series(1, 6000) i" >/dev/null
for n in 1 2 3; do
	check "node$n: a 6000-row insert arrives (fleet equals the table)" wait_for 20 synced $n
done
check "the flood was resynced rather than read back row by row" \
	grep -q 'notified changes waiting; resyncing instead' "$T/d2.err"
sql "DELETE FROM audit.ip_blocklist WHERE ip_address << '100.64.0.0/10'" >/dev/null
for n in 1 2 3; do
	check "node$n: a 6000-row delete lifts them all" wait_for 20 synced $n
done

# --- propagation latency: 1,000 blocks from node1 at ~100/s ---
cmd 1 "burst 1000 100 198.18.0.1"
arrived() { [ "$(grep -c '^add 198\.18\.' "$T/d$1.log")" -ge 1000 ]; }
check "node2 received all 1000 blocks" wait_for 40 arrived 2
check "node3 received all 1000 blocks" wait_for 10 arrived 3
lat=$($PY - "$T/d1.log" "$T/d2.log" "$T/d3.log" <<-'EOF'
	import sys
	pub = {}
	for l in open(sys.argv[1]):
	    f = l.split()
	    if f[0] == "pub" and f[1].startswith("198.18."):
	        pub[f[1]] = int(f[2])
	out = []
	allv = []
	for p in sys.argv[2:]:
	    v = sorted((int(l.split()[2]) - pub[l.split()[1]]) / 1e6 for l in open(p)
	               if l.startswith("add 198.18.") and l.split()[1] in pub)
	    allv += v
	    out.append(v)
	def pct(v, q):
	    return v[min(len(v) - 1, int(q * len(v)))]
	allv.sort()
	print("n=%d p50=%.2f p99=%.2f max=%.2f (node2 p99=%.2f, node3 p99=%.2f) ms" % (
	    len(allv), pct(allv, .5), pct(allv, .99), allv[-1], pct(out[0], .99), pct(out[1], .99)))
	EOF
)
echo "# fleet propagation, publish on node1 -> kernel map of node2/node3: $lat"
p99=$(sed -n 's/.* p99=\([0-9.]*\) max.*/\1/p' <<<"$lat")
if [ -n "$p99" ] && $PY -c "import sys; sys.exit(0 if float('$p99') < 100 else 1)"; then
	echo "# p99 under the 100 ms aim"
else
	echo "# WARNING: p99 ${p99:-?} ms is over the 100 ms aim"
fi
pubd=$(sql "SELECT count(*) FROM audit.ip_blocklist WHERE ip_address << '198.18.0.0/15'")
is "all 1000 rows written by node1" "$pubd" 1000

# --- TRUNCATE lifts every fleet rule, nothing else ---
sql "TRUNCATE audit.ip_blocklist" >/dev/null
for n in 1 2 3; do
	check "node$n: TRUNCATE lifts every fleet rule" wait_for 10 fleet_empty $n
done
is "node2's manual rules stay" "$(origin_of 2 192.0.2.78/32)" manual
is "node1's own auto rules stay" "$(origin_of 1 198.18.0.1/32)" auto

for n in 1 2 3; do
	errs=$(stat $n errors)
	echo "# node$n: $(stat $n notifications) notifications, $(stat $n applied) changes applied," \
		"$(stat $n resyncs) resyncs, $(stat $n connects) connects, $(stat $n ignored) ignored," \
		"$errs errors (lost connections and refused logins count)"
done
kill "${PID[1]}"
wait "${PID[1]}"
is "driver 1 exits 0 on SIGTERM" $? 0
PID[1]=

echo "# $pass passed, $fail failed"
if [ "$fail" -gt 0 ]; then
	for n in 1 2 3; do echo "--- node$n stderr (tail)"; tail -n 15 "$T/d$n.err"; done
	exit 1
fi
exit 0
