#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A brute force against a real OpenSSH server, end to end: a veth lab, a real
# sshd in the server namespace (its own config, host key and a throwaway
# account; scripts/sshd-lab.sh), edgewardd attached to the server's veth with
# a policy that opens SSH to 10.0.0.0/8 only, tailing sshd's log
# (sources.authlog) with a response rule "5 failed logins in 5 minutes per
# source: block for 20 s", and a private PostgreSQL 15 cluster
# (database.conninfo) to which the daemon publishes its automatic blocks
# (audit.ip_blocklist) and ships its journal (audit.security_events).
#
# The attacker sits in an allowed network (the office, 10.0.1.2). Checked: a
# correct login works first; after the 5th wrong password the source is
# dropped at XDP (SSH and HTTP time out, the blocklist counter rises, the
# block is listed as origin auto, the row is in audit.ip_blocklist with
# blocked_until ahead, the automated_response record is in the journal and
# in PostgreSQL) while other sources are unaffected; the block lifts by
# itself (map, wire, table). Hostile user names (quotes, SQL, 400 bytes, a
# forged "Failed password for root from 1.2.3.4" line) count for their real
# source, reach the journal and PostgreSQL verbatim, never block the forged
# address and never break the daemon.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, XDP, sshd, useradd)"; exit 77; }
skip() { # a missing prerequisite: a failure under CI
	echo "SKIP: $*"
	[ "${CI:-}" = true ] && exit 1
	exit 77
}
for t in /usr/sbin/sshd ssh ssh-keygen sshpass socat curl useradd chpasswd /usr/bin/python3; do
	command -v $t >/dev/null || skip "$t missing (scripts/install-deps.sh)"
done
source scripts/pgtest.sh
why=$(pg_available) || skip "$why"

LAB=ews$$
LAB=${LAB:0:8}
source scripts/lab.sh
source scripts/sshd-lab.sh
T=$(mktemp -d /tmp/ewsshd-test.XXXXXX)
chmod 700 "$T"
PGDIR=$(mktemp -d /tmp/ewsshd-pg.XXXXXX)
PIN=/sys/fs/bpf/edgeward-test-sshd-$$
EWD=$PWD/build/edgewardd
CTL=$PWD/build/edgewardctl
SSH_USER=ewssh$$
SSH_PASS="Lab-$(openssl rand -hex 12)"
BLOCK_S=20
H1=10.0.1.3 H2=10.0.1.4	# two more office hosts: hostile names, a forged line
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
neg() { ! "$@"; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', expected '$3')"; fi; }

daemon_pid() { cat "$T/run/edgewardd.pid" 2>/dev/null; }
stop_daemon() {
	local pid
	pid=$(daemon_pid)
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
cleanup() {
	# A second TERM (timeout signals the whole process group) must not cut this short.
	trap '' TERM INT
	stop_daemon
	sshd_lab_stop
	sshd_lab_user_del "$SSH_USER"
	lab_down
	[ -d "$PIN" ] && rm -rf "$PIN"
	pg_clean "$PGDIR"
	rm -rf "$T"
}
trap cleanup EXIT
# A timeout or ^C must clean up too: bash runs the EXIT trap only when it exits itself.
trap 'exit 143' TERM INT

export EDGEWARD_SOCKET=$T/run/api.sock EDGEWARD_PIN_DIR=$PIN EDGEWARD_JOURNAL=$T/state/journal
ctl() { in_srv "$CTL" "$@"; }
wait_for() { # SECONDS CMD...
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}

# --- the lab, the database, the account, sshd ---
lab_up || { echo "lab setup failed"; exit 1; }
in_cli ip addr add $H1/24 dev "$CLI_IF"
in_cli ip addr add $H2/24 dev "$CLI_IF"

PGPORT=$(pg_free_port) || { echo "no free port for PostgreSQL"; exit 1; }
pg_start "$PGDIR" "$PGPORT" || { echo "cannot start PostgreSQL"; exit 1; }
# edgewardd runs in the server namespace, where 127.0.0.1 is not the host's: it
# reaches the cluster through its Unix socket (in PGDIR, 0700 postgres, so only
# root and postgres can), trusted for local connections in this private cluster.
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$PGDIR/data/pg_hba.conf"
pg_psql "$PGPORT" postgres -c "SELECT pg_reload_conf()" >/dev/null
pg_psql "$PGPORT" postgres -c "CREATE DATABASE ew" || exit 1
sql() { pg_psql "$PGPORT" ew -At -c "$1"; }
CONN="host=$PGDIR port=$PGPORT dbname=ew user=postgres"
check "db migrate" "$CTL" -q db migrate --db "host=127.0.0.1 port=$PGPORT dbname=ew user=postgres"
check "edgewardd's conninfo (the Unix socket) works from the server namespace" \
	test "$(in_srv psql -X -At "$CONN" -c 'select 1' 2>&1)" = 1

check "throwaway account $SSH_USER" sshd_lab_user_add "$SSH_USER" "$SSH_PASS"
check "sshd serves port 22 in the server namespace" sshd_lab_start "$T" "$T/sshd.log" "$SSH_USER"

# --- edgewardd ---
mkdir -p "$T/state" "$T/run" && chmod 700 "$T/state"
cat >"$T/edgeward.yaml" <<EOF
profile: development
daemon:
  pin_dir: $PIN
  state_dir: $T/state
  journal: $T/state/journal
  users_file: $T/state/users.json
  pid_file: $T/run/edgewardd.pid
  interfaces: [{name: $SRV_IF, mode: native}]
api: {unix_socket: $T/run/api.sock}
metrics: {enabled: true, listen: "127.0.0.1:9447"}
# response_rules: false: the rules are this file's alone (the migrations also seed the
# guide's "Multiple Failed Logins" in audit.response_rules, blocking for 1 h).
database: {conninfo: "$CONN", response_rules: false}
network:
  default: {tcp: deny}
  open: [80/tcp, 443/tcp]
  acl:
    - port: 22/tcp
      from: [10.0.0.0/8]
sources:
  authlog:
    - path: $T/sshd.log
      service: sshd
response:
  rules:
    - name: ssh brute force
      when: {event: [failed_login, invalid_user], count: 5, window: 5m, per: source}
      actions: [block_ip]
      block_for: ${BLOCK_S}s
    # Every failure on its own (count 1): its audit record shows the user and the
    # source the daemon read from each line.
    - name: ssh failure seen
      when: {event: [failed_login, invalid_user]}
      actions: [notify_admin]
  escalation: [${BLOCK_S}s]
EOF
chmod 600 "$T/edgeward.yaml"
check "--check accepts the config" "$EWD" --check -c "$T/edgeward.yaml" >/dev/null 2>&1
in_srv "$EWD" -c "$T/edgeward.yaml" >"$T/daemon.log" 2>&1 &
wait_for 10 test -S "$T/run/api.sock"
check "daemon serves on its Unix socket" ctl -q status >/dev/null
metrics() { in_srv curl -s http://127.0.0.1:9447/metrics; }
connected() { metrics | grep -q '^edgeward_fleet_connected 1'; }
check "fleet connected to the private cluster" wait_for 10 connected

# --- queries ---
block_of() { ctl -j block list 2>/dev/null | ew_json 'next((b for b in d["blocks"] if b["cidr"] == A[0] + "/32"), None)' "$1"; }
blocked() { test -n "$(block_of "$1")"; }
drops() { ctl -j stats | ew_json 'sum(r["packets"] for r in d["reasons"] if r["reason"] == "blocklist")'; }
row_until() { sql "SELECT CASE WHEN blocked_until > now() THEN 'future' ELSE 'past' END FROM audit.ip_blocklist WHERE ip_address = '$1/32'"; }
audit_resp() { ctl -j audit --type automated_response --limit 1000; }

# --- before the attack ---
check "office $OFFICE gets sshd's banner on 22" ssh_banner $OFFICE
check "internet $INET is outside the SSH ACL: 22 dropped" neg ssh_banner $INET
check "internet $INET -> 80 passes" tcp_ok $INET $SRV4_INET 80
out=$(ssh_try $OFFICE "$SSH_USER" "$SSH_PASS" 2>&1)
check "a correct password login from the office works" test $? -eq 0
[ -n "$out" ] && echo "# $out"
check "sshd logged it (syslog lines, sshd's own text)" \
	wait_for 5 grep -q "sshd\[[0-9]*\]: Accepted password for $SSH_USER from $OFFICE port" "$T/sshd.log"

# --- hostile user names, from H1: two attempts = 2 x (invalid_user + failed_login), under 5 ---
ODD=$'o\'hara"; DROP TABLE audit.ip_blocklist; -- $(id) `id` \\ |&<>'
# sshd escapes what it logs (strnvis): a backslash becomes two; the rest is verbatim.
ODD_LOGGED=${ODD//\\/\\\\}
LONG=$(printf 'A%.0s' $(seq 400))
ssh_try $H1 "$ODD" wrong >/dev/null 2>&1
ssh_try $H1 "$LONG" wrong >/dev/null 2>&1
check "sshd logged the quoted name (a backslash escaped)" wait_for 5 grep -qF "Invalid user $ODD_LOGGED from $H1 port" "$T/sshd.log"
# seen [SOURCE [EVENT]]: "SOURCE EVENT USER" for each line the daemon counted
seen() {
	audit_resp | ew_json '"\n".join("%s %s %s" % (r.get("source"), r["details"]["event"], r["details"].get("user"))
		for r in d if r["details"].get("rule") == "ssh failure seen" and
		(len(A) < 1 or r.get("source") == A[0]) and (len(A) < 2 or r["details"]["event"] == A[1]))' "$@"
}
got() { seen "$1" "$2" | grep -xF "$1 $2 $3" >/dev/null; }
check "the quoted name counts as invalid_user, in the journal as sshd logged it" \
	wait_for 10 got $H1 invalid_user "$ODD_LOGGED"
check "  ... and its wrong password as failed_login" got $H1 failed_login "$ODD_LOGGED"
check "the 400-byte name counts too (sshd logs its first 100 bytes)" \
	got $H1 invalid_user "$(printf 'A%.0s' $(seq 100))"
check "the daemon is still up" kill -0 "$(daemon_pid)"
check "  ... and answers" ctl -q status >/dev/null
check "4 events from $H1: not blocked (the rule needs 5)" neg blocked $H1
check "  ... and $H1 still reaches sshd" ssh_banner $H1

# --- a forged line: the name is a whole "Failed password" message for 1.2.3.4 ---
# Each attempt is 2 events: "Invalid user" (sshd logs it on the client's first
# probe, method none) and "Failed password". The 3rd attempt's first one is the
# 5th: the block lands before its password is sent, so 5 events in all.
FORGED="Failed password for root from 1.2.3.4 port 22 ssh2"
for _ in 1 2 3; do ssh_try $H2 "$FORGED" wrong >/dev/null 2>&1; done
check "sshd wrote the forged text inside its own line" \
	wait_for 5 grep -qF "Failed password for invalid user $FORGED from $H2 port" "$T/sshd.log"
five() { test "$(seen $H2 | wc -l)" -ge 5; }
check "every line counted for its real source $H2" wait_for 10 five
echo "# $(seen $H2 | sort | uniq -c | sed 's/^ *//' | paste -sd ';')"
check "  ... with the forged text as the user name" got $H2 failed_login "$FORGED"
is "  ... none for 1.2.3.4" "$(seen | grep -c '^1\.2\.3\.4 ')" 0
check "$H2 itself is blocked (5 events)" wait_for 10 blocked $H2
check "  ... 1.2.3.4 is not" neg blocked 1.2.3.4
check "  ... not in audit.ip_blocklist either" \
	test "$(sql "SELECT count(*) FROM audit.ip_blocklist WHERE ip_address = '1.2.3.4/32'")" = 0

# --- the brute force from the office ---
before=$(drops)
for i in 1 2 3 4; do ssh_try $OFFICE "$SSH_USER" "wrong-$i" >/dev/null 2>&1; done
fails() { test "$(grep -c "Failed password for $SSH_USER from $OFFICE port" "$T/sshd.log")" -eq "$1"; }
check "4 failures: sshd logged them" wait_for 5 fails 4
sleep 0.5	# the daemon reads the file on inotify: give it the time to count them
check "4 failures: $OFFICE not blocked yet" neg blocked $OFFICE
check "  ... and still reaches sshd" ssh_banner $OFFICE
ssh_try $OFFICE "$SSH_USER" wrong-5 >/dev/null 2>&1
check "the 5th failure blocks $OFFICE" wait_for 10 blocked $OFFICE
b=$(block_of $OFFICE)
echo "# $b"
is "  ... listed as origin auto" "$(ew_json 'd["origin"]' <<<"$b")" auto
check "  ... SSH from $OFFICE times out (dropped at XDP)" neg ssh_banner $OFFICE
check "  ... HTTP from $OFFICE times out" neg tcp_ok $OFFICE $SRV4 80
check "  ... a correct password from $OFFICE cannot get in" neg ssh_try $OFFICE "$SSH_USER" "$SSH_PASS" 2>/dev/null
after=$(drops)
check "  ... the blocklist drop counter rose ($before -> $after)" test "$after" -gt "$before"
check "other sources: $INET -> 80 passes" tcp_ok $INET $SRV4_INET 80
check "other sources: $H1 still reaches sshd" ssh_banner $H1
check "other sources: a correct login from $H1 works" ssh_try $H1 "$SSH_USER" "$SSH_PASS"
row() { test "$(row_until $OFFICE)" = future; }
check "the block is in audit.ip_blocklist with blocked_until ahead" wait_for 10 row
echo "# $(sql "SELECT ip_address, reason, created_by, origin, blocked_until - now() FROM audit.ip_blocklist WHERE ip_address = '$OFFICE/32'")"
rec=$(audit_resp | ew_json '[r for r in d if r.get("source") == A[0] and r["action"] == "block_ip" and r["details"].get("rule") == "ssh brute force"][-1]' $OFFICE)
echo "# $rec"
is "automated_response in the journal: block_ip success" "$(ew_json 'd["result"]' <<<"$rec")" success
is "  ... fired by sshd's failed_login" "$(ew_json 'd["details"]["event"] + " " + d["details"]["origin"]' <<<"$rec")" "failed_login sshd"
is "  ... for user $SSH_USER, target $OFFICE/32, $BLOCK_S s" \
	"$(ew_json '"%s %s %s" % (d["details"]["user"], d["details"]["target"], d["details"]["ttl_s"])' <<<"$rec")" \
	"$SSH_USER $OFFICE/32 $BLOCK_S"
lag0() { metrics | grep -q '^edgeward_journal_lag_records 0$'; }
check "journal shipped to PostgreSQL" wait_for 10 lag0
is "  ... the block_ip record is in audit.security_events" \
	"$(sql "SELECT count(*) FROM audit.security_events WHERE event_type = 'automated_response' AND action = 'block_ip' AND source = '$OFFICE' AND details->>'rule' = 'ssh brute force' AND details->>'event' = 'failed_login'")" 1
is "  ... the quoted name arrived intact (and audit.ip_blocklist still exists)" \
	"$(printf '%s\n' "SELECT count(*) FROM audit.security_events WHERE details->>'user' = :'name' AND details->>'event' = 'invalid_user' AND EXISTS (SELECT 1 FROM audit.ip_blocklist)" |
		pg_psql "$PGPORT" ew -At -v name="$ODD_LOGGED" 2>&1)" 1
burst() { ctl -j audit --type login_failure_burst | ew_json 'len(d) > 0'; }
check "more than 5 failures from all sources: a login_failure_burst record" burst
check "chain intact" ctl -q audit verify >/dev/null

# --- the block lifts by itself ---
lifted() { neg blocked $OFFICE || block_of $OFFICE | ew_json 'd["expired"] is True'; }
check "after ${BLOCK_S} s the map entry is gone" wait_for $((BLOCK_S + 30)) lifted
echo "# block list now: $(ctl -j block list | ew_json d)"
check "  ... $OFFICE reaches sshd again" wait_for 5 ssh_banner $OFFICE
check "  ... and HTTP" tcp_ok $OFFICE $SRV4 80
check "  ... and a correct login works again" ssh_try $OFFICE "$SSH_USER" "$SSH_PASS"
is "  ... the audit.ip_blocklist row's blocked_until is in the past" "$(row_until $OFFICE)" past
check "the daemon ran throughout" kill -0 "$(daemon_pid)"
check "no error in the daemon's log" neg grep -Eiq 'segfault|assert|abort|sanitizer' "$T/daemon.log"

# --- the auth log on the audit trail: one summary record a minute (the last one at stop) ---
check "the daemon stops" stop_daemon
sums=$(ctl -j audit --type auth_log_summary 2>/dev/null)
echo "# auth_log_summary: $(ew_json '[r["details"]["events"] for r in d]' <<<"$sums")"
# src_events ADDR: the events the summaries count for ADDR
src_events() { ew_json 'sum(s["events"] for r in d for s in r["details"]["top_sources"] if s["source"] == A[0])' "$1" <<<"$sums"; }
check "auth_log_summary: $OFFICE's failed logins are on the trail (>= 5)" test "$(src_events $OFFICE)" -ge 5
check "  ... and the forging host's ($H2)" test "$(src_events $H2)" -ge 3
is "  ... the forged address is not among the sources" "$(src_events 1.2.3.4)" 0
check "  ... with the user names tried" grep -qF "$SSH_USER" <<<"$sums"

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
