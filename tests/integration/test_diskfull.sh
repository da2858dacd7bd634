#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The audit journal's disk fills up. edgewardd (development profile) runs in
# the server namespace of a veth lab (scripts/lab.sh), attached to the
# server's veth, with a policy (default deny TCP, 80/tcp and the API port
# open, 203.0.113.66 blocked) and its state directory and journal on a 24 MiB
# tmpfs of its own. The operators' file (daemon.users_file) stays outside it,
# on /tmp, so that an operator change can be saved while its audit record
# cannot (the answer must then not say "refused"). The daemon refuses a change
# up front when the journal's file system has under 16 MiB left (api.c,
# journal_space_low: HTTP 507), and an append that fails (ENOSPC) is cut back
# and makes every change wait until a record can be written again
# (journal_errors, then a journal_check record).
#
# Three states of the disk, each checked the same way:
#   low    a big file leaves ~8 MiB: under the 16 MiB floor, appends still fit;
#   full   filled to the last block: appends themselves fail with ENOSPC (the
#          unprivileged records a failed login writes, until one does not fit);
#   freed  the fillers removed.
# While low or full: `edgewardctl block add`, `allow add`, a POST to the API
# over the Unix socket, a config reload through the API and an operator's role
# change are refused (HTTP 507, a message naming the audit journal's file
# system; the CLI exits non-zero and prints it; 503 "cannot record" counts as
# refused too) and change nothing; a correct login that cannot be recorded is
# refused (503); status, stats and block list answer; filtering goes on, on
# real packets (the blocked source dropped, allowed traffic passing, default
# deny dropping, counters counting); the daemon never dies. Freed: changes work
# again (a journal_check record first), and `edgewardctl audit verify` finds
# the chain whole, every seq from 1 to the last, nothing torn.
#
# These were product gaps when the test was written (a reload through the API
# applied unrecorded, operator changes made before their record, no brute-force
# block while the journal was full); they are ordinary checks now.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, XDP, mount)"; exit 77; }
PY=/usr/bin/python3
for t in curl socat fallocate mountpoint ethtool; do
	if ! command -v $t >/dev/null; then
		echo "SKIP: $t missing (scripts/install-deps.sh)"
		[ "${CI:-}" = true ] && exit 1
		exit 77
	fi
done

LAB=fd$$
LAB=${LAB:0:8}
T=$(mktemp -d /tmp/ewfl3-disk.XXXXXX)
# shellcheck disable=SC2034 # read by scripts/lab.sh
LAB_DIR=$T/lab
source scripts/lab.sh
chmod 700 "$T"
PIN=/sys/fs/bpf/edgeward-test-fl3-disk-$$
EWD=$PWD/build/edgewardd
CTL=$PWD/build/edgewardctl
STATE=$T/state
APIPORT=8443
MPORT=9449
BRUTE_LOW=198.51.100.21 BRUTE_FULL=198.51.100.22 LATER=198.51.100.23
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
neg() { ! "$@"; }
quiet() { "$@" >/dev/null; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', expected '$3')"; fi; }
daemon_pid() { cat "$T/run/pid" 2>/dev/null; }
# running PID: alive and not a zombie (a daemon killed with the test's process group by
# timeout stays a zombie until this shell reaps it)
running() { [ -r /proc/"$1"/status ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$1"/status; }
stop_daemon() {
	local pid
	pid=$(daemon_pid)
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do running "$pid" || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	return 1
}
cleanup() {
	# timeout signals this shell and then its whole process group: a second TERM must not
	# cut the cleanup short (its trap would "exit 143" from inside this one).
	trap '' TERM INT
	stop_daemon
	lab_down
	[ -d "$PIN" ] && rm -rf "$PIN"
	mountpoint -q "$STATE" && { umount "$STATE" || umount -l "$STATE"; }
	rm -rf "$T"
}
trap cleanup EXIT
# A timeout or ^C must clean up too: bash runs the EXIT trap only when it exits itself.
trap 'exit 143' TERM INT

# --- the state directory on a 24 MiB tmpfs of its own ---
mkdir -p "$STATE" "$T/run"
if ! mount -t tmpfs -o size=24m,mode=0700 tmpfs "$STATE"; then
	echo "cannot mount a tmpfs on $STATE"
	exit 1
fi
avail() { df -B1 --output=avail "$STATE" | tail -n 1 | tr -d ' '; }
avail_kib() { echo $(($(avail) / 1024)); }

lab_up || { echo "lab setup failed"; exit 1; }
in_cli ip addr add $BRUTE_LOW/24 dev "$CLI_IF"
in_cli ip addr add $BRUTE_FULL/24 dev "$CLI_IF"
in_cli ip addr add $LATER/24 dev "$CLI_IF"

cat >"$T/edgeward.yaml" <<EOF
profile: development
daemon:
  pin_dir: $PIN
  state_dir: $STATE
  journal: $STATE/journal
  users_file: $T/users.json
  pid_file: $T/run/pid
  interfaces: [{name: $SRV_IF, mode: native}]
api:
  unix_socket: $T/run/api.sock
  listen: ["$SRV4_INET:$APIPORT"]
  tls: {enabled: false}
  rate_limits:
    api: {rate: 1000/s, burst: 1000}
    login: {rate: 100/min, burst: 100}
metrics: {enabled: true, listen: "127.0.0.1:$MPORT"}
network:
  default: {tcp: deny}
  open: [80/tcp, $APIPORT/tcp]
  block:
    - cidr: $HOSTILE/32
      reason: hostile host
EOF
cp "$T/edgeward.yaml" "$T/edgeward.yaml.orig"
export EDGEWARD_SOCKET=$T/run/api.sock EDGEWARD_PIN_DIR=$PIN EDGEWARD_JOURNAL=$STATE/journal
ctl() { "$CTL" "$@"; }
# sock METHOD PATH [BODY]: the API over the Unix socket; prints the body, then the status
sock() {
	curl -s --unix-socket "$T/run/api.sock" -X "$1" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} -w '\n%{http_code}' "http://x$2"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
metric() { in_srv curl -s -m 2 "http://127.0.0.1:$MPORT/metrics" | sed -n "s/^$1 //p"; }
alive() { kill -0 "$PID0" 2>/dev/null && [ "$(daemon_pid)" = "$PID0" ]; }
# counter REASON: packets counted for REASON (blocklist, pass, default_deny, ...)
counter() {
	ctl -j stats 2>/dev/null | $PY -c 'import json,sys
print(next((r["packets"] for r in json.load(sys.stdin)["reasons"] if r["reason"] == sys.argv[1]), ""))' "$1"
}
cidrs() { # block|allow: the sorted CIDR list
	ctl -j "$1" list 2>/dev/null | $PY -c 'import json,sys
d = json.load(sys.stdin)
rows = d.get("blocks", d.get("allow", d.get("entries", [])))
print(" ".join(sorted(r["cidr"] for r in rows)))'
}
# login_fail SRC N: a failed login on the API from SRC (a lab client address)
login_fail() {
	in_cli curl -s -o /dev/null -w '%{http_code}' -m 10 --interface "$1" \
		-H 'Content-Type: application/json' \
		-d "{\"username\":\"mallory$2\",\"password\":\"Guess-Number-$2\"}" \
		"http://$SRV4_INET:$APIPORT/v1/auth/login"
}
# traffic STATE: filtering goes on, on real packets, and the counters count
traffic() {
	local b0 p0 d0
	b0=$(counter blocklist) p0=$(counter pass) d0=$(counter default-deny)
	check "$1: the blocked source is still dropped" neg tcp_ok $HOSTILE $SRV4_HOSTILE 80
	check "$1: allowed traffic still passes (office -> 80)" tcp_ok $OFFICE $SRV4 80
	check "$1: allowed traffic still passes (internet -> 80)" tcp_ok $INET $SRV4_INET 80
	check "$1: default deny still drops (office -> 8080)" neg tcp_ok $OFFICE $SRV4 8080
	check "$1: the blocklist counter counts ($b0 -> $(counter blocklist))" \
		test "$(counter blocklist)" -gt "${b0:-0}"
	check "$1: the pass counter counts" test "$(counter pass)" -gt "${p0:-0}"
	check "$1: the default-deny counter counts" test "$(counter default-deny)" -gt "${d0:-0}"
}
# refused STATE CIDR: privileged actions refused with 507, nothing changed
refused() {
	local st=$1 c=$2 bl al out rc
	bl=$(cidrs block) al=$(cidrs allow)
	out=$(ctl block add "$c" --reason "$st" 2>&1)
	rc=$?
	check "$st: edgewardctl block add exits non-zero (rc $rc)" test $rc -ne 0
	check "$st:   ... and says why: HTTP 507, the audit journal's file system is short of room" \
		grep -q "audit journal's file system .* KiB left: changes are refused.*(HTTP 507)" <<<"$out"
	[ $rc -ne 0 ] || echo "# output: $out"
	check "$st:   ... without falling back to writing the maps itself" neg grep -qi "emergency" <<<"$out"
	out=$(ctl allow add 192.0.2.99 2>&1)
	rc=$?
	check "$st: edgewardctl allow add exits non-zero (rc $rc)" test $rc -ne 0
	check "$st:   ... HTTP 507 naming the audit journal" grep -q "audit journal.*(HTTP 507)" <<<"$out"
	out=$(sock POST /v1/blocks "{\"cidrs\":[\"$c\"],\"reason\":\"api\"}")
	is "$st: POST /v1/blocks over the Unix socket: 507" "$(status_of "$out")" 507
	check "$st:   ... with a JSON error naming the audit journal and room" \
		grep -q '"error":.*audit journal.*refused until there is room' <<<"$(body_of "$out")"
	out=$(sock POST /v1/blocks/delete "{\"cidrs\":[\"$HOSTILE/32\"]}")
	is "$st: POST /v1/blocks/delete: 507 too (the policy's block stays)" "$(status_of "$out")" 507
	# A reload that would open 8080/tcp, and an operator's role change: privileged changes too.
	sed -i 's|open: \[80/tcp, |open: [80/tcp, 8080/tcp, |' "$T/edgeward.yaml"
	out=$(sock POST /v1/config/reload '{}')
	cp "$T/edgeward.yaml.orig" "$T/edgeward.yaml"
	code=$(status_of "$out")
	check "$st: POST /v1/config/reload of a changed policy is refused too (got $code)" \
		test "$code" = 507
	applied=
	tcp_ok $OFFICE $SRV4 8080 && applied=1
	check "$st:   ... the policy is unchanged: office -> 8080 still dropped" test -z "$applied"
	# Back to the real policy (the same way in).
	[ -n "$applied" ] && sock POST /v1/config/reload '{}' >/dev/null
	out=$(sock POST /v1/users/olga/role '{"role":"manager"}')
	code=$(status_of "$out")
	# Refused is refused: 507 up front, or 503 when the record of the attempt cannot be written.
	[ "$code" = 200 ] || code="$code: $(body_of "$out")"
	check "$st: an operator's role change is refused too (got $code)" \
		test "${code:0:3}" = 507 -o "${code:0:3}" = 503
	role=$(body_of "$(sock GET /v1/users/olga)" | $PY -c 'import json,sys
print(json.load(sys.stdin)["user"]["role"])' 2>/dev/null)
	check "$st:   ... olga is still a viewer (got $role)" \
		test "$role" = viewer
	[ "$role" = viewer ] || sock POST /v1/users/olga/role '{"role":"viewer"}' >/dev/null
	is "$st: the blocklist is unchanged" "$(cidrs block)" "$bl"
	is "$st: the allowlist is unchanged" "$(cidrs allow)" "$al"
	check "$st: the refused change is not in the journal" neg grep -q "\"$c" <<<"$(ctl -j audit --limit 100000)"
	# Read-only requests answer.
	check "$st: status answers" quiet ctl status
	check "$st: stats answers" quiet ctl stats
	check "$st: block list answers (and lists the policy's block)" grep -q "\"$HOSTILE/32\"" <<<"$(ctl -j block list)"
	is "$st: GET /v1/status over the socket: 200" "$(status_of "$(sock GET /v1/status)")" 200
	check "$st: audit verify answers" quiet ctl -q audit verify
}

# --- start ---
in_srv "$EWD" -c "$T/edgeward.yaml" >"$T/daemon.log" 2>&1 &
for _ in $(seq 100); do [ -S "$T/run/api.sock" ] && ctl -q status >/dev/null 2>&1 && break; sleep 0.1; done
check "daemon up, attached to $SRV_IF" quiet ctl -q status
PID0=$(daemon_pid)
echo "# tmpfs $STATE: $(avail_kib) KiB free at the start"
check "the config's block is in the map" grep -q "\"$HOSTILE/32\"" <<<"$(ctl -j block list)"
traffic "disk fine"
check "disk fine: a change works (block add 192.0.2.1)" ctl -q block add 192.0.2.1 --reason "before"
out=$(sock POST /v1/users '{"username":"olga","email":"olga@example.com","first_name":"Olga","last_name":"Ops","role":"viewer","password":"Tr0ub4dor&3-horse"}')
is "disk fine: an operator is created" "$(status_of "$out")" 200
login_ok() { sock POST /v1/auth/login '{"username":"olga","password":"Tr0ub4dor&3-horse"}'; }
is "disk fine: she logs in" "$(status_of "$(login_ok)")" 200

# --- low: under the 16 MiB floor ---
fallocate -l $(($(avail) - 8 * 1024 * 1024)) "$STATE/filler.low" || nok "fallocate the low filler"
echo "# low: $(avail_kib) KiB free"
check "low: under 16 MiB free" test "$(avail)" -lt $((16 * 1024 * 1024))
refused "low" 192.0.2.20
traffic "low"
check "low: the daemon runs (same pid)" alive
# Appends still fit here: a brute force is still recorded, seen and blocked.
for i in 1 2 3 4 5; do login_fail $BRUTE_LOW $i >/dev/null; done
check "low: a brute force (5 failed logins) is still blocked by the response engine" \
	grep -q "\"$BRUTE_LOW/32\"" <<<"$(ctl -j block list --origin auto)"
check "low:   ... and dropped" neg tcp_ok $BRUTE_LOW $SRV4_INET 80

# --- full: not one block left, so appends fail ---
fallocate -l "$(avail)" "$STATE/filler.full" 2>/dev/null
dd if=/dev/zero of="$STATE/filler.rest" bs=4k 2>/dev/null
dd if=/dev/zero of="$STATE/filler.rest2" bs=512 2>/dev/null
echo "# full: $(avail_kib) KiB free"
is "full: 0 bytes free" "$(avail)" 0
seq0=$(metric edgeward_journal_last_seq) e0=$(metric edgeward_journal_errors)
echo "# edgeward_journal_errors before any append has failed: $e0 (the refusals count in it)"
# A failed login writes an unprivileged record: once the journal's last page is used up, the
# append itself fails with ENOSPC (the file is cut back; journal_errors counts it).
codes="" n=0
for i in $(seq 60); do
	out=$(sock POST /v1/auth/login "{\"username\":\"nobody$i\",\"password\":\"wrong-$i\"}")
	codes="$codes $(status_of "$out")"
	n=$i
	grep -q "cannot append to the journal" "$T/daemon.log" && break
done
check "full: an append itself fails: the daemon logs ENOSPC (after $n failed logins; last seq $seq0 -> $(metric edgeward_journal_last_seq))" \
	grep -q "cannot append to the journal .*No space left on device" "$T/daemon.log"
e1=$(metric edgeward_journal_errors)
check "full:   ... edgeward_journal_errors counts it ($e0 -> $e1)" test "${e1:-0}" -gt "${e0:-0}"
check "full:   ... the logins are still answered (401 each:$codes)" \
	test -z "$(tr ' ' '\n' <<<"$codes" | grep -v '^$' | grep -v '^401$')"
check "full: the daemon runs (same pid)" alive
out=$(ctl -j audit verify)
check "full: the failed append left no torn record (audit verify: $out)" grep -q '"ok":true' <<<"$out"
is "full: the file ends where the last record does (cut back)" \
	"$(stat -c %s "$STATE/journal")" "$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' <<<"$out")"
# A good password, but the login cannot be put on record: refused, and said so.
out=$(login_ok)
is "full: a correct login that cannot be recorded is refused (503)" "$(status_of "$out")" 503
check "full:   ... saying the journal cannot record it (is the disk full?)" \
	grep -q "audit journal cannot record.*disk full" <<<"$(body_of "$out")"
refused "full" 192.0.2.21
traffic "full"
kill -HUP "$PID0"
sleep 0.5
check "full: a SIGHUP reload (its record cannot be written) does not kill it" alive
for i in 1 2 3 4 5; do login_fail $BRUTE_FULL $i >/dev/null; done
check "full: a brute force (5 failed logins) is still blocked by the response engine" \
	grep -q "\"$BRUTE_FULL/32\"" <<<"$(ctl -j block list --origin auto)"
check "full: the daemon runs (same pid)" alive

# --- freed ---
rm -f "$STATE"/filler.*
echo "# freed: $(avail_kib) KiB free"
check "freed: 16 MiB or more free" test "$(avail)" -ge $((16 * 1024 * 1024))
check "freed: block add works again" ctl -q block add $LATER --reason "after the disk was freed"
check "freed:   ... a journal_check record came first" \
	grep -q '"journal_check"' <<<"$(ctl -j audit --type journal_check)"
is "freed:   ... journal_errors is back to 0" "$(metric edgeward_journal_errors)" 0
check "freed:   ... and the block works on the wire" neg tcp_ok $LATER $SRV4_INET 80
is "freed: the operator logs in again" "$(status_of "$(login_ok)")" 200
check "freed: allow add works" ctl -q allow add 192.0.2.98
out=$(sock POST /v1/blocks '{"cidrs":["192.0.2.23"],"reason":"api after"}')
is "freed: POST /v1/blocks over the socket: 200" "$(status_of "$out")" 200
check "freed: the change is listed" grep -q '"192.0.2.23/32"' <<<"$(ctl -j block list)"
check "freed: the allowlist has 192.0.2.98" grep -q '"192.0.2.98/32"' <<<"$(ctl -j allow list)"
check "freed: block del works" ctl -q block del 192.0.2.23
traffic "freed"
out=$(ctl -j audit verify)
check "freed: audit verify: the chain is whole ($out)" grep -q '"ok":true' <<<"$out"
recs=$(sed -n 's/.*"records":\([0-9]*\).*/\1/p' <<<"$out")
last=$(sed -n 's/.*"last_seq":\([0-9]*\).*/\1/p' <<<"$out")
is "freed: every seq from 1 to the last is there (records = last_seq)" "${recs:-?}" "${last:-!}"
n=$(ctl -j audit --type admin_action --limit 100000 | grep -o '"192.0.2.2[01]' | wc -l)
is "freed: none of the refused changes is on record" "$n" 0
check "freed: the daemon never restarted (pid $PID0)" alive
check "freed: the daemon log has no crash" neg grep -qi "segfault\|abort\|assert" "$T/daemon.log"

[ $fail -gt 0 ] && { echo "--- daemon log (tail)"; grep -v 'rbac: allow' "$T/daemon.log" | tail -n 20; }
echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
