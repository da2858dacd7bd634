#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The PostgreSQL schema (sql/migrations) on a private PostgreSQL cluster on 127.0.0.1
# (scripts/pgtest.sh), as root:
#   - `edgewardctl db migrate` on an empty database, then again (nothing to do), --dry-run,
#     `db status` in text and -j; two migrators racing on one database; refusals: a file
#     changed after it was applied, a new file numbered below an applied one, two files
#     with one number, a misnamed file, a failing file (rolled back whole, its line
#     named), a file that COMMITs, no database given, a connection that fails (and never
#     shows the password);
#   - every tests/sql/test_*.sql pgTAP file, run with psql (so pg_prove, a separate Perl
#     package, is not needed), its TAP checked: the plan, as many "ok", no "not ok";
#   - NOTIFY: a second session LISTENing on edgeward_blocklist and edgeward_events gets
#     the agreed payloads for the controller's insert, update and delete, nothing for a
#     rolled-back change or a duplicate event, and "truncate";
#   - every function of our schemas is named by some pgTAP file.
# Prints "ok - name" / "not ok - name: why", then "N passed, N failed" and the pgTAP
# total. Exit 0 all passed, 1 a failure, 77 skip (not root, PostgreSQL 15 or pgTAP
# missing); under CI=true a skip is a failure.
#
# Run from anywhere; EDGEWARDCTL overrides build/edgewardctl.
# shellcheck disable=SC2015 # "A && ok ... || nok ...": ok and nok always succeed
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
CTL=${EDGEWARDCTL:-$ROOT/build/edgewardctl}
MIGS=$ROOT/sql/migrations
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# shellcheck source=scripts/pgtest.sh
. "$ROOT/scripts/pgtest.sh"

pass=0
fail=0
taps=0
TMP=
PGDIR=

skip() {
	echo "SKIP: $*" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
}
ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}
nok() {
	fail=$((fail + 1))
	echo "not ok - $1: $2"
}
finish() {
	echo "$pass passed, $fail failed ($taps pgTAP assertions)"
	[ "$fail" -eq 0 ]
	exit $?
}

[ "$(id -u)" = 0 ] || skip "needs root (the cluster runs as the OS user postgres)"
why=$(pg_available) || skip "$why"
[ -f "$("$(pg_bin)/pg_config" --sharedir 2>/dev/null)/extension/pgtap.control" ] ||
	skip "pgTAP is not installed (postgresql-15-pgtap)"
if [ ! -x "$CTL" ] || [ -d "$CTL" ]; then
	nok setup "$CTL is not an executable (make build/edgewardctl)"
	finish
fi

# shellcheck disable=SC2317 # called through the trap
cleanup() {
	[ -n "$PGDIR" ] && pg_clean "$PGDIR"
	[ -n "$TMP" ] && rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

TMP=$(mktemp -d /tmp/ewsql.XXXXXX) || exit 1
PGDIR=$(mktemp -d /tmp/ewpg.XXXXXX) || exit 1
PORT=$(pg_free_port) || { nok setup "no free port"; finish; }
if ! pg_start "$PGDIR" "$PORT"; then
	nok setup "pg_start $PGDIR $PORT"
	finish
fi
ok "private cluster on 127.0.0.1:$PORT"

psql_q() { pg_psql "$PORT" "$@"; }
db_url() { echo "host=127.0.0.1 port=$PORT dbname=$1 user=postgres"; }
for d in ewtest ewrace ewgap ewbad; do
	psql_q postgres -c "CREATE DATABASE $d" || { nok setup "CREATE DATABASE $d"; finish; }
done
nmig=$(find "$MIGS" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]_*.sql' | wc -l)

# run ARGS...: edgewardctl, sets out, err, rc.
run() {
	out=$("$CTL" "$@" 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
}
# pyj JSON EXPR: the Python expression holds for d = the parsed JSON.
pyj() {
	$PY -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}
# check NAME EXPR ARGS...: "-j ARGS" exits 0 and EXPR holds on its output.
check() {
	local name=$1 expr=$2
	shift 2
	run -j "$@"
	if [ "$rc" -ne 0 ]; then
		nok "$name" "exit $rc (out: $out; err: $err)"
	elif ! pyj "$out" "$expr"; then
		nok "$name" "output fails $expr: $out"
	else
		ok "$name"
	fi
}
# refuse NAME WANT-RC PATTERN ARGS...: text mode exits WANT-RC, stderr matches PATTERN.
refuse() {
	local name=$1 want=$2 pat=$3
	shift 3
	run "$@"
	if [ "$rc" -ne "$want" ]; then
		nok "$name" "exit $rc, wanted $want (out: $out; err: $err)"
	elif ! grep -Eq -- "$pat" <<<"$err"; then
		nok "$name" "stderr does not match /$pat/: $err"
	else
		ok "$name"
	fi
}
# sqlv DB SQL: one value.
sqlv() { psql_q "$1" -Atc "$2"; }

# ---- migrate and status ----
export EDGEWARD_DB
EDGEWARD_DB=$(db_url ewtest)
cd "$ROOT" || exit 1
check "status of an empty database: every file pending" \
	"d['pending'] == $nmig and d['applied'] == 0 and all(m['state'] == 'pending' for m in d['migrations'])" \
	db status
check "migrate --dry-run lists every file and applies none" \
	"len(d['pending']) == $nmig and d['applied'] == [] and d['dry_run'] and not d['up_to_date']" \
	db migrate --dry-run
[ "$(sqlv ewtest "SELECT to_regclass('public.schema_migrations') IS NULL")" = t ] &&
	ok "--dry-run created nothing" || nok "--dry-run created nothing" "schema_migrations exists"
start=$(date +%s%N)
check "migrate applies every file in order" \
	"d['applied'] == sorted(d['applied']) and len(d['applied']) == $nmig and d['up_to_date']" \
	db migrate
echo "# first migrate: $((($(date +%s%N) - start) / 1000000)) ms"
check "a second migrate has nothing to do" "d['applied'] == [] and d['up_to_date']" db migrate
run db migrate
[ "$rc" = 0 ] && grep -q "database is up to date ($nmig migrations applied)" <<<"$out" &&
	ok "text: \"database is up to date\"" || nok "text: up to date" "rc $rc out $out"
check "status: all applied, each with its time and checksum" \
	"d['applied'] == $nmig and d['pending'] == 0 and d['changed'] == 0 and all(m['state'] == 'applied' and m['applied_at'] and m['sha256'] == m['applied_sha256'] for m in d['migrations'])" \
	db status
run db status
if [ "$rc" = 0 ] && grep -Eq '^VERSION +NAME +STATE +APPLIED' <<<"$out" &&
	[ "$(grep -Ec '^[0-9]{4} +[0-9]{4}_[a-z0-9_]+\.sql +applied +[0-9]{4}-' <<<"$out")" = "$nmig" ]; then
	ok "status: a text table, one applied row per file"
else
	nok "status: text table" "$out"
fi
[ "$(sqlv ewtest "SELECT count(*) FROM public.schema_migrations WHERE sha256 ~ '^[0-9a-f]{64}$'")" = "$nmig" ] &&
	ok "schema_migrations holds one row per file with its SHA-256" ||
	nok "schema_migrations rows" "$(sqlv ewtest 'SELECT * FROM public.schema_migrations')"
want=$(sha256sum "$MIGS/0001_shared.sql" | cut -d' ' -f1)
[ "$(sqlv ewtest "SELECT sha256 FROM public.schema_migrations WHERE version = 1")" = "$want" ] &&
	ok "the recorded SHA-256 is the file's" || nok "recorded SHA-256" "not $want"

# Two migrators at once on one database: each file applied once, both succeed.
EDGEWARD_DB=$(db_url ewrace) "$CTL" -q db migrate >"$TMP/race1" 2>&1 &
p1=$!
EDGEWARD_DB=$(db_url ewrace) "$CTL" -q db migrate >"$TMP/race2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
if [ $r1 = 0 ] && [ $r2 = 0 ] &&
	[ "$(sqlv ewrace 'SELECT count(*) FROM public.schema_migrations')" = "$nmig" ]; then
	ok "two migrators racing: both succeed, each file applied once"
else
	nok "two migrators racing" "rc $r1/$r2: $(cat "$TMP/race1" "$TMP/race2")"
fi

# A changed file is refused, by migrate and by status.
cp -r "$MIGS" "$TMP/changed"
echo "-- an edit" >>"$TMP/changed/0003_notifications.sql"
refuse "migrate refuses a file changed after it was applied" 1 \
	"0003_notifications.sql was changed after it was applied" db migrate --dir "$TMP/changed"
run -j db status --dir "$TMP/changed"
[ "$rc" = 1 ] && pyj "$out" "d['changed'] == 1 and [m['name'] for m in d['migrations'] if m['state'] == 'changed'] == ['0003_notifications.sql']" &&
	ok "status names the changed file and exits 1" || nok "status of a changed file" "rc $rc: $out"

# Gaps, duplicates, misnamed files, failures, COMMIT: on small private directories.
mkdir "$TMP/gap"
echo "CREATE TABLE public.one (x int);" >"$TMP/gap/0001_one.sql"
echo "CREATE TABLE public.three (x int);" >"$TMP/gap/0003_three.sql"
check "a directory with a gap in its numbers applies" "len(d['applied']) == 2" \
	db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
echo "CREATE TABLE public.two (x int);" >"$TMP/gap/0002_two.sql"
refuse "a new file numbered below an applied one is refused" 1 \
	"0002_two.sql is not applied but 0003 is" db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
[ "$(sqlv ewgap "SELECT to_regclass('public.two') IS NULL")" = t ] &&
	ok "... and nothing of it ran" || nok "out-of-order file ran" "public.two exists"
rm "$TMP/gap/0002_two.sql"
echo "CREATE TABLE public.four (x int);" >"$TMP/gap/0004_four.sql"
echo "CREATE TABLE public.four_b (x int);" >"$TMP/gap/0004_four_b.sql"
refuse "two files with one number are refused" 1 "have the same number" \
	db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
rm "$TMP/gap/0004_four_b.sql"
echo "SELECT 1;" >"$TMP/gap/5_five.sql"
refuse "a misnamed .sql file is refused" 1 "not a migration's name" \
	db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
rm "$TMP/gap/5_five.sql"
printf 'CREATE TABLE public.four (x int);\n\n-- the next line is wrong\nCREAT TABLE public.five (x int);\n' >"$TMP/gap/0004_four.sql"
refuse "a file that does not parse is refused with its line" 1 \
	"^edgewardctl: db migrate: 0004_four.sql failed at line 4: syntax error at or near \"CREAT\" \(nothing of it was applied\)$" \
	db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
printf 'CREATE TABLE public.four (x int);\nSELECT 1 / 0;\n' >"$TMP/gap/0004_four.sql"
refuse "a file that fails while running is refused" 1 \
	"0004_four.sql failed: division by zero \(nothing of it was applied\)" \
	db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
[ "$(sqlv ewgap "SELECT to_regclass('public.four') IS NULL AND NOT EXISTS (SELECT 1 FROM public.schema_migrations WHERE version = 4)")" = t ] &&
	ok "... rolled back whole, not recorded" || nok "failed file rolled back" "public.four or its record exists"
printf 'CREATE TABLE public.four (x int);\nCOMMIT;\n' >"$TMP/gap/0004_four.sql"
refuse "a file that COMMITs is reported" 1 "ended the transaction it runs in" \
	db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
[ "$(sqlv ewgap "SELECT count(*) FROM public.schema_migrations WHERE version = 4")" = 0 ] &&
	ok "... and not recorded" || nok "COMMIT file recorded" "version 4 recorded"
printf '\n' >"$TMP/gap/0005_empty.sql"
rm "$TMP/gap/0004_four.sql"
check "an empty migration is applied and recorded" "d['applied'] == ['0005_empty.sql']" \
	db migrate --db "$(db_url ewgap)" --dir "$TMP/gap"
refuse "a missing directory is refused" 1 "cannot open the migrations directory" \
	db migrate --dir "$TMP/nowhere"
mkdir "$TMP/emptydir"
refuse "a directory without migrations is refused" 1 "no migrations" db migrate --dir "$TMP/emptydir"
out=$(env -u EDGEWARD_DB "$CTL" db status 2>&1)
rc=$?
[ "$rc" = 2 ] && grep -q -- "give --db CONNINFO or set \$EDGEWARD_DB" <<<"$out" &&
	ok "no database given: usage error" || nok "no database given" "rc $rc: $out"
closed=$(pg_free_port $((PORT + 1)))
refuse "a refused connection is reported" 1 "cannot connect to the database" \
	db status --db "host=127.0.0.1 port=$closed dbname=x user=postgres password=s3cr3t-canary connect_timeout=2"
grep -q s3cr3t-canary <<<"$out$err" && nok "the password is never shown" "$err" ||
	ok "the password is never shown"
run -j db migrate --db "host=127.0.0.1 port=$closed password=s3cr3t-canary connect_timeout=2"
[ "$rc" = 1 ] && pyj "$out" "'cannot connect' in d['error']" && ! grep -q s3cr3t-canary <<<"$out$err" &&
	ok "-j: {\"error\": ...} without the password" || nok "-j connection error" "rc $rc: $out $err"
EDGEWARD_DB=$(db_url ewbad)
refuse "an unknown option is a usage error" 2 "unknown or ambiguous option" db migrate --force
refuse "an unknown subcommand is a usage error" 2 "unknown command" db upgrade

# ---- pgTAP ----
psql_q ewtest -c 'CREATE EXTENSION pgtap' >/dev/null || { nok setup "CREATE EXTENSION pgtap"; finish; }
for f in tests/sql/test_*.sql; do
	name=${f##*/}
	psql_q ewtest -At -v risk_file="$ROOT/tests/data/risk_cases.json" -f "$f" >"$TMP/tap" 2>&1
	prc=$?
	plan=$(grep -Em1 '^1\.\.[0-9]+$' "$TMP/tap" | cut -c4-)
	oks=$(grep -Ec '^ok [0-9]+' "$TMP/tap")
	noks=$(grep -Ec '^not ok [0-9]+' "$TMP/tap")
	taps=$((taps + oks + noks))
	if [ "$prc" = 0 ] && [ -n "$plan" ] && [ "$oks" = "$plan" ] && [ "$noks" = 0 ] &&
		! grep -q '^# Looks like' "$TMP/tap"; then
		ok "pgTAP $name: $oks/$plan"
	else
		nok "pgTAP $name" "psql exit $prc, plan ${plan:-none}, $oks ok, $noks not ok"
		grep -E '^not ok|^#|ERROR|psql:' "$TMP/tap" | head -n 30 | sed 's/^/    /'
	fi
done

# ---- NOTIFY, across sessions ----
# notifications FILE CHANNEL: the JSON payloads (or ids) psql printed, one a line.
notifications() {
	sed -nE "s/^Asynchronous notification \"$2\" with payload \"(.*)\" received from server process with PID [0-9]+\.$/\1/p" "$1"
}
# The listener waits in pg_sleep; psql prints what arrived when each statement ends.
psql_q ewtest -At >"$TMP/listen" 2>&1 <<'EOF' &
LISTEN edgeward_blocklist;
LISTEN edgeward_events;
SELECT 'listening';
SELECT pg_sleep(3);
SELECT 'done';
EOF
lpid=$!
for _ in $(seq 1 50); do
	[ "$(sqlv ewtest "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%' AND datname = 'ewtest'")" = 1 ] && break
	sleep 0.1
done
psql_q ewtest >"$TMP/writer" 2>&1 <<'EOF'
SET ROLE edgeward_controller;
INSERT INTO audit.ip_blocklist (ip_address, reason, blocked_until, created_by, origin)
VALUES ('203.0.113.7', 'brute force "ssh"', '2023-11-14 22:13:20+00', 'edge1', 'auto');
UPDATE audit.ip_blocklist SET blocked_until = NULL WHERE ip_address = '203.0.113.7';
UPDATE audit.ip_blocklist SET reason = reason WHERE ip_address = '203.0.113.7';
INSERT INTO audit.ip_blocklist (ip_address, reason) VALUES ('2001:db8:1:2::/64', NULL);
DELETE FROM audit.ip_blocklist WHERE ip_address = '2001:db8:1:2::/64';
BEGIN;
INSERT INTO audit.ip_blocklist (ip_address, reason) VALUES ('198.51.100.99', 'rolled back');
ROLLBACK;
INSERT INTO audit.security_events (id, event_type, result, actor, source, node, seq)
VALUES ('90000000-0000-0000-0000-000000000001', 'login_success', 'success', 'alice', 'unix', 'edge1', 7);
INSERT INTO audit.security_events (id, event_type, result)
VALUES ('90000000-0000-0000-0000-000000000001', 'login_success', 'success') ON CONFLICT (id) DO NOTHING;
RESET ROLE;
SET ROLE edgeward_app;
SELECT audit.log_security_event('app_event', p_ip_address => '192.0.2.1') AS app_id \gset
RESET ROLE;
TRUNCATE audit.ip_blocklist;
\echo app_id=:app_id
EOF
wait $lpid
app_id=$(sed -n 's/^app_id=//p' "$TMP/writer")
got=$(notifications "$TMP/listen" edgeward_blocklist)
if $PY - "$got" <<'EOF'; then
import json, sys
got = [json.loads(l) for l in sys.argv[1].splitlines()]
want = [
    {"op": "insert", "ip": "203.0.113.7/32", "blocked_until": 1700000000, "reason": 'brute force "ssh"'},
    {"op": "update", "ip": "203.0.113.7/32", "blocked_until": None, "reason": 'brute force "ssh"'},
    {"op": "insert", "ip": "2001:db8:1:2::/64", "blocked_until": None, "reason": None},
    {"op": "delete", "ip": "2001:db8:1:2::/64", "blocked_until": None, "reason": None},
    {"op": "truncate"},
]
if got != want:
    print("got", got, file=sys.stderr)
    sys.exit(1)
EOF
	ok "edgeward_blocklist: insert, update, insert, delete, truncate; nothing for a no-op update or a rollback"
else
	nok "edgeward_blocklist payloads" "$got (writer: $(cat "$TMP/writer"))"
fi
got=$(notifications "$TMP/listen" edgeward_events | tr '\n' ' ')
if [ -n "$app_id" ] && [ "$got" = "$app_id " ]; then
	ok "edgeward_events: the application's event's id, once; nothing for a server's shipped record (node set)"
else
	nok "edgeward_events payloads" "got '$got', app id '$app_id'"
fi

# ---- every function is tested ----
missing=
while read -r fn; do
	grep -qw -- "${fn#*.}" tests/sql/test_*.sql || missing="$missing $fn"
done < <(sqlv ewtest "SELECT DISTINCT n.nspname || '.' || p.proname FROM pg_proc p
	JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname IN ('shared', 'rbac', 'audit', 'notifications', 'data_classification', 'gdpr')
	ORDER BY 1")
[ -z "$missing" ] && ok "every function of the schema is named by a pgTAP file" ||
	nok "functions without a test" "$missing"

finish
