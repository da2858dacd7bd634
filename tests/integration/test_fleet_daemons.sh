#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The fleet blocklist with real daemons and real packets: three edge servers,
# each a network namespace running its own edgewardd (development profile, its
# own pin directory, state, journal, Unix socket and metrics port) with its own
# XDP program attached to its own veth, all sharing one private PostgreSQL 15
# cluster (scripts/pgtest.sh, migrated with edgewardctl db migrate).
#
#                      f3x$$ (client / attacker)
#        10.33.1.2 ----------- 10.33.2.2 ----------- 10.33.3.2
#            |                     |                     |         + 203.0.113.66, .77, .88,
#        10.33.1.1             10.33.2.1             10.33.3.1       198.51.100.10 on its lo
#   f3a$$: edgewardd 1     f3b$$: edgewardd 2     f3c$$: edgewardd 3
#   XDP on f3a$$e          XDP on f3b$$e          XDP on f3c$$e       socat on 80/tcp, 5353/udp
#
# How the daemons reach PostgreSQL: XDP attaches only to an interface of the
# daemon's own network namespace, so each edgewardd runs inside its edge
# namespace, where 127.0.0.1 is not the host's. Rather than more veths and a
# second listen address, the daemons use the cluster's Unix socket: a socket
# directory is a path, not a network address, so it is the same from every
# namespace (conninfo host=<the cluster's directory>). pgtest.sh trusts only
# 127.0.0.1 and peer-authenticates postgres on the socket, and the daemons run
# as root, so this test adds "local all all trust" at the top of the cluster's
# own pg_hba.conf (in its private directory) and reloads. The CLI and psql use
# TCP on 127.0.0.1 from the host, as in test_daemon_db.sh.
#
# Checked, always on real packets (a TCP connect and a UDP datagram from the
# attacker namespace to each edge's listeners, and each edge's blocklist drop
# counter), each edge's `edgewardctl -j block list` and audit.ip_blocklist:
#   - an operator's `edgewardctl block add --ttl 10m` on edge 1 (through its
#     socket) reaches edges 2 and 3 (origin fleet, the same expiry) and the
#     table; its `block del` on edge 1 deletes the row and lifts it everywhere;
#   - a block decided by edge 1's response engine (5 failed logins on its API)
#     is published: edges 2 and 3 drop the source, the row is in the table; an
#     operator's `block del` on edge 1 lifts it on all three;
#   - an application's row reaches all three, its DELETE lifts it everywhere;
#   - an application's row with blocked_until now()+8s reaches all three and
#     expires on all three at the same instant (within 2 s), packets pass after;
#   - edge 3 stopped while a row is inserted and another deleted: on restart it
#     resynchronises;
#   - forged and junk NOTIFY payloads block or lift nothing; the daemons run on.
# Propagation times are measured (from the daemons' fleet_apply journal records,
# and by polling block list) and printed, never asserted.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, XDP, PostgreSQL)"; exit 77; }
PY=/usr/bin/python3
source scripts/pgtest.sh
if ! why=$(pg_available); then
	echo "SKIP: $why"
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi
for t in socat curl ethtool; do
	if ! command -v $t >/dev/null; then
		echo "SKIP: $t missing (scripts/install-deps.sh)"
		[ "${CI:-}" = true ] && exit 1
		exit 77
	fi
done

T=$(mktemp -d /tmp/ewfl3-test.XXXXXX)
chmod 755 "$T"
PGDIR=$T/pg
CTL=$PWD/build/edgewardctl
EWD=$PWD/build/edgewardd
XNS=f3x$$
EDGES="1 2 3"
declare -A NS IFE IFX ADDR PEER PIN MPORT LPIDS
for n in $EDGES; do
	l=$(printf '%s' abc | cut -c"$n")
	NS[$n]=f3$l$$
	IFE[$n]=f3$l$$e
	IFX[$n]=f3$l$$x
	ADDR[$n]=10.33.$n.1
	PEER[$n]=10.33.$n.2
	PIN[$n]=/sys/fs/bpf/edgeward-test-fl3-$n-$$
done
HOSTILE=203.0.113.66 LATE=203.0.113.77 SHORT=203.0.113.88 FORGED=198.51.100.10
APIPORT=8080
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
neg() { ! "$@"; }
quiet() { "$@" >/dev/null; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', expected '$3')"; fi; }
now_ms() { date +%s%3N; }

in_ns() { local n=$1; shift; nsenter --net=/run/netns/"${NS[$n]}" "$@"; }
in_x() { nsenter --net=/run/netns/"$XNS" "$@"; }
dpid() { cat "$T/e$1/run/pid" 2>/dev/null; }
# running PID: alive and not a zombie (a daemon killed with the test's process group by
# timeout stays a zombie until this shell reaps it)
running() { [ -r /proc/"$1"/status ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$1"/status; }
stop_daemon() {
	local pid
	pid=$(dpid "$1")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 100); do running "$pid" || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	return 1
}
cleanup() {
	local n pid
	# timeout signals this shell and then its whole process group: a second TERM must not
	# cut the cleanup short (its trap would "exit 143" from inside this one).
	trap '' TERM INT
	for n in $EDGES; do
		stop_daemon "$n"
		for pid in ${LPIDS[$n]:-}; do kill "$pid" 2>/dev/null; done
	done
	for n in $EDGES; do
		if [ -e /run/netns/"${NS[$n]}" ]; then
			in_ns "$n" ip link set dev "${IFE[$n]}" xdp off 2>/dev/null
			ip netns del "${NS[$n]}" 2>/dev/null
		fi
		[ -d "${PIN[$n]}" ] && rm -rf "${PIN[$n]}"
	done
	[ -e /run/netns/"$XNS" ] && ip netns del "$XNS" 2>/dev/null
	pg_clean "$PGDIR"
	rm -rf "$T"
}
trap cleanup EXIT
# A timeout or ^C must clean up too: bash runs the EXIT trap only when it exits itself.
trap 'exit 143' TERM INT

# --- PostgreSQL: TCP on 127.0.0.1 for psql and the CLI, its Unix socket for the daemons ---
mkdir -p "$PGDIR"
PORT=$(pg_free_port) || { echo "no free port"; exit 1; }
pg_start "$PGDIR" "$PORT" || { echo "cannot start PostgreSQL"; exit 1; }
sed -i '1i local all all trust' "$PGDIR/data/pg_hba.conf"
pg_psql "$PORT" postgres -Atc "SELECT pg_reload_conf()" >/dev/null || exit 1
pg_psql "$PORT" postgres -c "CREATE DATABASE ew" || exit 1
sql() { pg_psql "$PORT" ew -Atc "$1"; }
check "db migrate" $CTL -q db migrate --db "host=127.0.0.1 port=$PORT dbname=ew user=postgres"
DAEMON_CONN="host=$PGDIR port=$PORT dbname=ew user=postgres"
check "the cluster's Unix socket takes root as postgres (what the daemons use)" \
	psql -X -q -d "$DAEMON_CONN" -Atc "select 1" -o /dev/null

# --- the network: one attacker namespace, three edges, each on its own veth pair ---
ip netns add "$XNS" || exit 1
ip -n "$XNS" link set lo up
for a in $HOSTILE $LATE $SHORT $FORGED; do ip -n "$XNS" addr add $a/32 dev lo; done
for n in $EDGES; do
	ip netns add "${NS[$n]}" || exit 1
	ip -n "$XNS" link add "${IFX[$n]}" type veth peer name "${IFE[$n]}" netns "${NS[$n]}" || exit 1
	ip -n "${NS[$n]}" link set lo up
	ip -n "$XNS" addr add "${PEER[$n]}/24" dev "${IFX[$n]}"
	ip -n "${NS[$n]}" addr add "${ADDR[$n]}/24" dev "${IFE[$n]}"
	ip -n "$XNS" link set "${IFX[$n]}" up && ip -n "${NS[$n]}" link set "${IFE[$n]}" up || exit 1
	ip -n "${NS[$n]}" route add default via "${PEER[$n]}"
	# Native XDP on veth receives what the peer sends when the peer has GRO on.
	in_x ethtool -K "${IFX[$n]}" gro on >/dev/null 2>&1
	in_ns "$n" ethtool -K "${IFE[$n]}" gro on >/dev/null 2>&1
	# nsenter execs socat: $! is the listener itself.
	nsenter --net=/run/netns/"${NS[$n]}" socat TCP-LISTEN:80,reuseaddr,fork \
		SYSTEM:"echo edge-$n" >/dev/null 2>&1 &
	LPIDS[$n]=$!
	nsenter --net=/run/netns/"${NS[$n]}" socat -u UDP-RECV:5353 \
		OPEN:"$T/udp$n.log",creat,append >/dev/null 2>&1 &
	LPIDS[$n]="${LPIDS[$n]} $!"
	MPORT[$n]=$((9460 + n))
done
for n in $EDGES; do
	for _ in $(seq 50); do in_ns "$n" ss -Hltn "sport = :80" | grep -q . && break; sleep 0.1; done
	in_x ping -c1 -W1 "${ADDR[$n]}" >/dev/null 2>&1
done

# tcp_ok SRC N: a TCP connection from SRC gets edge N's banner (0.7 s to connect)
tcp_ok() {
	local out
	out=$(in_x timeout 3 socat -T1 - "TCP:${ADDR[$2]}:80,bind=$1,connect-timeout=0.7" \
		</dev/null 2>/dev/null)
	[ "$out" = "edge-$2" ]
}
# udp_ok SRC N: a datagram from SRC reaches edge N's listener (waits up to 1 s)
udp_ok() {
	local tok="u$RANDOM$RANDOM-$1"
	echo "$tok" | in_x socat -u - "UDP:${ADDR[$2]}:5353,bind=$1" 2>/dev/null
	for _ in $(seq 20); do grep -q "^$tok$" "$T/udp$2.log" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# --- the daemons ---
for n in $EDGES; do
	mkdir -p "$T/e$n/state" "$T/e$n/run"
	chmod 700 "$T/e$n/state"
	cat >"$T/e$n/edgeward.yaml" <<EOF
profile: development
daemon:
  pin_dir: ${PIN[$n]}
  state_dir: $T/e$n/state
  journal: $T/e$n/state/journal
  users_file: $T/e$n/state/users.json
  pid_file: $T/e$n/run/pid
  interfaces: [{name: ${IFE[$n]}, mode: native}]
api:
  unix_socket: $T/e$n/run/api.sock
  listen: ["${ADDR[$n]}:$APIPORT"]
  tls: {enabled: false}
  rate_limits:
    api: {rate: 1000/s, burst: 1000}
    login: {rate: 100/min, burst: 100}
metrics: {enabled: true, listen: "127.0.0.1:${MPORT[$n]}"}
database: {conninfo: "$DAEMON_CONN"}
EOF
done
# ctl N ARGS: edgewardctl against edge N's daemon (its socket; its pins if it is down)
ctl() {
	local n=$1; shift
	EDGEWARD_SOCKET=$T/e$n/run/api.sock EDGEWARD_PIN_DIR=${PIN[$n]} \
		EDGEWARD_JOURNAL=$T/e$n/state/journal "$CTL" "$@"
}
metrics() { in_ns "$1" curl -s -m 2 "http://127.0.0.1:${MPORT[$1]}/metrics"; }
connected() { metrics "$1" | grep -q '^edgeward_fleet_connected 1$'; }
start_daemon() {
	local n=$1
	rm -f "$T/e$n/run/api.sock"
	in_ns "$n" "$EWD" -c "$T/e$n/edgeward.yaml" >>"$T/e$n/daemon.log" 2>&1 &
	for _ in $(seq 100); do
		[ -S "$T/e$n/run/api.sock" ] && ctl "$n" -q status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local t=$1; shift
	for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	"$@"
}
# rule N CIDR: "origin" of CIDR's live rule on edge N, or "none"
rule() {
	ctl "$1" -j block list 2>/dev/null | $PY -c 'import json,sys
for b in json.load(sys.stdin)["blocks"]:
    if b["cidr"] == sys.argv[1] and not b["expired"]:
        print(b["origin"]); break
else:
    print("none")' "$2"
}
hits_gt0() {
	ctl "$1" -j block list 2>/dev/null | $PY -c 'import json,sys
sys.exit(0 if any(b["cidr"] == sys.argv[1] and b["hits"] > 0 for b in json.load(sys.stdin)["blocks"]) else 1)' "$2"
}
# ttl N CIDR: expires_in_s of CIDR's rule on edge N
ttl() {
	ctl "$1" -j block list 2>/dev/null | $PY -c 'import json,sys
print(next((b["expires_in_s"] for b in json.load(sys.stdin)["blocks"] if b["cidr"] == sys.argv[1]), -1))' "$2"
}
# blocked_at IP: the row's blocked_at, epoch ms
blocked_at() {
	sql "SELECT to_char(extract(epoch FROM blocked_at) * 1000, 'FM9999999999999.000')
	     FROM audit.ip_blocklist WHERE ip_address = '$1'"
}
origin_is() { [ "$(rule "$1" "$2")" = "$3" ]; }
listed() { [ "$(rule "$1" "$2")" != none ]; }
# blk N: edge N's blocklist drop counter (packets)
blk() {
	ctl "$1" -j stats 2>/dev/null | $PY -c 'import json,sys
print(next(r["packets"] for r in json.load(sys.stdin)["reasons"] if r["reason"] == "blocklist"))'
}
# dropped SRC N: a TCP connect and a datagram from SRC to edge N fail, and its counter counts them
dropped() {
	local b0 b1
	b0=$(blk "$2")
	tcp_ok "$1" "$2" && return 1
	udp_ok "$1" "$2" && return 1
	b1=$(blk "$2")
	[ -n "$b0" ] && [ -n "$b1" ] && [ "$b1" -gt "$b0" ]
}
passes() { tcp_ok "$1" "$2" && udp_ok "$1" "$2"; }
row() { sql "SELECT count(*) FROM audit.ip_blocklist WHERE ip_address = '$1'"; }
row_is() { [ "$(row "$1")" = "$2" ]; }
# poll_start CIDR STATE EDGES...: one poller per edge, in the background, about every 10 ms,
# until CIDR is (STATE=1) or is not (0) listed there, for up to 10 s; each writes the epoch ms
# it saw it (or "never"). poll_end T0 EDGES...: waits for them, sets LAT to "N=ms" per edge
# (ms since T0, epoch ms) or "N=never" (not in $(...): the pollers are this shell's children). The resolution is one block list and the sleep: ~15 ms.
POLL_PIDS=""
poll_start() {
	local c=$1 want=$2 n
	shift 2
	POLL_PIDS=""
	for n in "$@"; do
		rm -f "$T/poll$n"
		(
			end=$(($(now_ms) + 10000))
			while [ "$(now_ms)" -lt $end ]; do
				# A failed call (say, the daemon busy restarting) is no answer: ask again.
				if out=$(ctl "$n" -j block list 2>>"$T/poll$n.err"); then
					if grep -Eq "\"cidr\":\"$c\"[^}]*\"expired\":false" <<<"$out"; then
						l=1
					else
						l=0
					fi
					[ $l = "$want" ] && { now_ms >"$T/poll$n"; exit 0; }
				fi
				sleep 0.01
			done
			echo never >"$T/poll$n"
		) &
		POLL_PIDS="$POLL_PIDS $!"
	done
}
poll_end() {
	local t0=$1 n v out=""
	shift
	wait $POLL_PIDS
	for n in "$@"; do
		[ -s "$T/poll$n.err" ] && sort "$T/poll$n.err" | uniq -c | sed "s/^/# edge $n, block list failed: /"
		rm -f "$T/poll$n.err"
		v=$(cat "$T/poll$n" 2>/dev/null)
		[ "$v" = never ] || v=$((v - t0))
		out="$out $n=$v"
	done
	LAT=${out# }
}
# jts N TYPE TEXT: epoch ms (with µs) of edge N's last journal record of TYPE mentioning TEXT:
# the fleet audits each batch of kernel changes (fleet_apply) just after making it
jts() {
	ctl "$1" -j audit --type "$2" --limit 1000 2>/dev/null | $PY -c 'import json,sys,datetime
ts = [e["ts"] for e in json.load(sys.stdin) if sys.argv[1] in json.dumps(e)]
if ts:
    t = datetime.datetime.strptime(ts[-1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    print("%.3f" % (t.timestamp() * 1000))' "$3"
}
# since T0 T1...: "T1-T0" in ms, two decimals, each, or "?"
since() {
	local t0=$1 t out=""
	shift
	for t in "$@"; do out="$out $($PY -c 'import sys
try: print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))
except ValueError: print("?")' "$t0" "$t")"; done
	echo "${out# }"
}
# sql_at SQL: run it and print the epoch ms just before its commit
sql_at() { sql "$1; SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint" | tail -n 1; }

for n in $EDGES; do
	check "edge $n: edgewardd starts in ${NS[$n]}" start_daemon "$n"
done
for n in $EDGES; do
	check "edge $n: its XDP program is attached to ${IFE[$n]}" \
		bash -c "nsenter --net=/run/netns/${NS[$n]} ip -d link show ${IFE[$n]} | grep -q 'xdp'"
	check "edge $n: LISTENing on the fleet's table" wait_for 10 connected "$n"
done

# --- before: the attacker reaches all three ---
for n in $EDGES; do
	check "before: $HOSTILE reaches edge $n (TCP 80 and UDP 5353)" passes $HOSTILE "$n"
done

# --- an operator's block on edge 1, through its daemon: shared with the fleet ---
poll_start $HOSTILE/32 1 2 3
t0=$(now_ms)
check "edge 1: block add $HOSTILE --ttl 10m through its socket" \
	ctl 1 -q block add $HOSTILE --ttl 10m --reason "fl3 manual"
check "edge 1: the block is listed there (origin manual)" origin_is 1 $HOSTILE/32 manual
check "edge 1: $HOSTILE is dropped (real packets, counter counts)" dropped $HOSTILE 1
poll_end "$t0" 2 3
t1=$(blocked_at $HOSTILE)
echo "# operator's block on edge 1 -> listed on edges 2, 3 (polled, ms after block add): $LAT;" \
	"the row's blocked_at -> fleet_apply records on edges 2, 3:" \
	"$(since "$t1" "$(jts 2 fleet_apply $HOSTILE/32)" "$(jts 3 fleet_apply $HOSTILE/32)") ms"
check "edge 2: it arrives (origin fleet)" wait_for 10 origin_is 2 $HOSTILE/32 fleet
check "edge 3: it arrives (origin fleet)" wait_for 10 origin_is 3 $HOSTILE/32 fleet
r=$(sql "SELECT origin || ' by ' || created_by || ', ' ||
	 round(extract(epoch FROM blocked_until - blocked_at)) || ' s'
	 FROM audit.ip_blocklist WHERE ip_address = '$HOSTILE'")
check "audit.ip_blocklist has the row, 10 minutes ($r)" grep -Eq ' (59[0-9]|600) s$' <<<"$r"
check "edge 3's copy expires with it (in 590..600 s: $(ttl 3 $HOSTILE/32))" \
	test "$(ttl 3 $HOSTILE/32)" -ge 590 -a "$(ttl 3 $HOSTILE/32)" -le 600
for n in 2 3; do
	check "edge $n: $HOSTILE is dropped (real packets, counter counts)" dropped $HOSTILE "$n"
done
poll_start $HOSTILE/32 0 2 3
t0=$(now_ms)
check "edge 1: block del $HOSTILE" ctl 1 -q block del $HOSTILE
poll_end "$t0" 2 3
echo "# block del on edge 1 -> lifted on edges 2, 3, ms after block del was run: polled $LAT;" \
	"fleet_apply records: $(since "$t0" "$(jts 2 fleet_apply '"lifted": ["'$HOSTILE)" \
	"$(jts 3 fleet_apply '"lifted": ["'$HOSTILE)")"
check "the row is deleted" wait_for 10 row_is $HOSTILE 0
for n in $EDGES; do
	check "after the del on edge 1: $HOSTILE reaches edge $n again" wait_for 10 passes $HOSTILE "$n"
done

# --- a block decided by edge 1's response engine (a brute force on its API), published ---
login_fail() { # attempt number
	in_x curl -s -o /dev/null -w '%{http_code}' -m 10 --interface $HOSTILE \
		-H 'Content-Type: application/json' \
		-d "{\"username\":\"mallory\",\"password\":\"Guess-Number-$1\"}" \
		"http://${ADDR[1]}:$APIPORT/v1/auth/login"
}
codes=""
for i in 1 2 3 4; do codes="$codes $(login_fail $i)"; done
is "four failed logins from $HOSTILE on edge 1's API: 401 each" "$codes" " 401 401 401 401"
poll_start $HOSTILE/32 1 1 2 3
t0=$(now_ms)
login_fail 5 >/dev/null
poll_end "$t0" 1 2 3
echo "# response-engine block: seen in the kernel maps, ms after the 5th failed login was sent: $LAT"
t1=$(blocked_at $HOSTILE)
# (edge 1 writes its automated_response record after the block and the publish were sent:
# the row's blocked_at may come first)
echo "# published block: the row's blocked_at minus edge 1's automated_response record:" \
	"$(since "$(jts 1 automated_response $HOSTILE)" "$t1") ms; blocked_at -> fleet_apply records on" \
	"edges 2, 3: $(since "$t1" "$(jts 2 fleet_apply $HOSTILE/32)" "$(jts 3 fleet_apply $HOSTILE/32)") ms"
check "edge 1: the fifth failure blocks $HOSTILE (origin auto)" origin_is 1 $HOSTILE/32 auto
check "edge 2: the published block arrives (origin fleet)" wait_for 10 origin_is 2 $HOSTILE/32 fleet
check "edge 3: the published block arrives (origin fleet)" wait_for 10 origin_is 3 $HOSTILE/32 fleet
r=$(sql "SELECT origin, created_by, blocked_until > now() + interval '30 minutes'
	 FROM audit.ip_blocklist WHERE ip_address = '$HOSTILE'")
# created_by is the node name: the host name (no config key sets it; all three share this host's).
check "audit.ip_blocklist has the row, by $(hostname), a timed block ($r)" \
	grep -q "^[a-z_]*|$(hostname)|t$" <<<"$r"
for n in $EDGES; do
	check "edge $n: $HOSTILE is dropped (real packets, counter counts)" dropped $HOSTILE "$n"
done
check "edge 2: the fleet rule's hit counter counts" hits_gt0 2 $HOSTILE/32

# An operator on edge 1 lifts the block its engine published.
poll_start $HOSTILE/32 0 2 3
t0=$(now_ms)
check "edge 1: block del $HOSTILE (its own, published block)" ctl 1 -q block del $HOSTILE
check "edge 1: $HOSTILE passes again" wait_for 5 passes $HOSTILE 1
poll_end "$t0" 2 3
echo "# block del on edge 1 -> lifted on edges 2, 3, ms after block del was run: polled $LAT;" \
	"fleet_apply records: $(since "$t0" "$(jts 2 fleet_apply '"lifted": ["'$HOSTILE)" \
	"$(jts 3 fleet_apply '"lifted": ["'$HOSTILE)")"
check "edge 1's block del deletes the row" wait_for 10 row_is $HOSTILE 0
check "edge 1's block del lifts the block on edge 2" wait_for 10 neg listed 2 $HOSTILE/32
check "edge 1's block del lifts the block on edge 3" wait_for 10 neg listed 3 $HOSTILE/32
for n in 2 3; do
	check "edge $n: $HOSTILE passes again" wait_for 10 passes $HOSTILE "$n"
done

# --- an application's row and its DELETE ---
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('$HOSTILE', 'app: permanent', 'shop', 'application')" >/dev/null
for n in $EDGES; do
	check "edge $n: an application's permanent block arrives (origin fleet)" \
		wait_for 10 origin_is "$n" $HOSTILE/32 fleet
done
poll_start $HOSTILE/32 0 1 2 3
t0=$(sql_at "DELETE FROM audit.ip_blocklist WHERE ip_address = '$HOSTILE'")
poll_end "$t0" 1 2 3
echo "# DELETE of the row -> lifted (ms after the commit): polled $LAT;" \
	"fleet_apply records on edges 1, 2, 3: $(since "$t0" "$(jts 1 fleet_apply '"lifted": ["'$HOSTILE)" \
	"$(jts 2 fleet_apply '"lifted": ["'$HOSTILE)" "$(jts 3 fleet_apply '"lifted": ["'$HOSTILE)")"
for n in $EDGES; do
	check "after the row's DELETE: $HOSTILE reaches edge $n again" wait_for 10 passes $HOSTILE "$n"
done

# --- an application's row, 8 s long: everywhere, then gone everywhere at once ---
poll_start $SHORT/32 1 1 2 3
t0=$(sql_at "INSERT INTO audit.ip_blocklist (ip_address, reason, blocked_until, created_by, origin)
     VALUES ('$SHORT', 'app: 8 s', now() + interval '8 seconds', 'shop', 'application')")
poll_end "$t0" 1 2 3
echo "# application INSERT -> kernel maps (ms after the commit): polled $LAT;" \
	"fleet_apply records on edges 1, 2, 3: $(since "$t0" "$(jts 1 fleet_apply $SHORT/32)" \
	"$(jts 2 fleet_apply $SHORT/32)" "$(jts 3 fleet_apply $SHORT/32)")"
for n in $EDGES; do
	check "edge $n: the application's 8 s block arrives (origin fleet)" origin_is "$n" $SHORT/32 fleet
done
for n in $EDGES; do
	dropped $SHORT "$n" >"$T/drop$n" 2>&1 &
	eval "dp$n=\$!"
done
for n in $EDGES; do
	eval "wait \$dp$n"
	is "edge $n: $SHORT is dropped while the block lasts" $? 0
done
exp=$(for n in $EDGES; do
	ctl "$n" -j block list | $PY -c 'import json,sys,time
for b in json.load(sys.stdin)["blocks"]:
    if b["cidr"] == sys.argv[1]:
        print(int(time.time()) + b["expires_in_s"])' $SHORT/32
done | sort -n | tr '\n' ' ')
spread=$(awk '{print $NF - $1}' <<<"$exp")
check "the three kernels expire it within 2 s of each other (expiries $exp)" \
	test "$(wc -w <<<"$exp")" = 3 -a "${spread:-9}" -le 2
t0=$(sql "SELECT (extract(epoch FROM blocked_until) * 1000)::bigint FROM audit.ip_blocklist
	  WHERE ip_address = '$SHORT'")
poll_start $SHORT/32 0 1 2 3
poll_end "$t0" 1 2 3
echo "# lifted on each edge, ms after the row's blocked_until: $LAT"
for n in $EDGES; do
	check "edge $n: after the expiry $SHORT passes again" wait_for 10 passes $SHORT "$n"
done

# --- edge 3 down while the table changes: it resynchronises on restart ---
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('192.0.2.50/32', 'before the restart', 'shop', 'application')" >/dev/null
check "edge 3 has a row before it stops" wait_for 10 origin_is 3 192.0.2.50/32 fleet
check "edge 3's daemon stops" stop_daemon 3
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('$LATE', 'while edge 3 was down', 'shop', 'application');
     DELETE FROM audit.ip_blocklist WHERE ip_address = '192.0.2.50/32'" >/dev/null
check "edges 1 and 2 get the new row at once" wait_for 10 origin_is 2 $LATE/32 fleet
check "edge 3, daemon down: its kernel does not have it yet" neg listed 3 $LATE/32
check "edge 3, daemon down: $LATE still passes there (nobody wrote its map)" passes $LATE 3
t0=$(now_ms)
check "edge 3's daemon starts again" start_daemon 3
poll_start $LATE/32 1 3
poll_end "$t0" 3
echo "# edge 3 restarted -> resynchronised (ms after the start): $LAT"
check "edge 3 resynchronises: the row inserted while it was down is there" origin_is 3 $LATE/32 fleet
check "edge 3 resynchronises: the row deleted while it was down is lifted" \
	wait_for 10 neg listed 3 192.0.2.50/32
for n in $EDGES; do
	check "edge $n: $LATE is dropped" dropped $LATE "$n"
done

# --- hostile notifications: the table decides, the daemons run on ---
for p in '{"op":"insert","ip":"198.51.100.10"}' '{"op":"insert","ip":"198.51.100.10/32","blocked_until":null}' \
	"{\"op\":\"delete\",\"ip\":\"$LATE/32\"}" '{"op":"truncate"}' 'not json at all' '{"op":' \
	'{"op":"insert","ip":"0.0.0.0/0"}' "$(head -c 3000 /dev/zero | tr '\0' '[')"; do
	printf "SELECT pg_notify('edgeward_blocklist', :'p');\n" |
		pg_psql "$PORT" ew -v p="$p" >/dev/null || nok "pg_notify refused a payload"
done
# Notifications arrive in commit order: once a later real row is everywhere, the forged ones were seen.
sql "INSERT INTO audit.ip_blocklist (ip_address, reason, created_by, origin)
     VALUES ('192.0.2.51/32', 'after the forgeries', 'shop', 'application')" >/dev/null
for n in $EDGES; do
	check "edge $n: a real row after the forged ones arrives" wait_for 10 origin_is "$n" 192.0.2.51/32 fleet
done
for n in $EDGES; do
	check "edge $n: the daemon still runs" running "$(dpid "$n")"
	check "edge $n: a forged insert blocks nothing" neg listed "$n" $FORGED/32
	check "edge $n: $FORGED passes (real packets)" passes $FORGED "$n"
	check "edge $n: a forged delete and truncate lift nothing" origin_is "$n" $LATE/32 fleet
	check "edge $n: junk is logged and ignored" grep -q 'ignoring a notification' "$T/e$n/daemon.log"
done
check "edge 1: $LATE still dropped after the forged delete" dropped $LATE 1
check "no forged address reached the table" row_is $FORGED 0

for n in $EDGES; do
	m=$(metrics "$n")
	echo "# edge $n: fleet connected $(sed -n 's/^edgeward_fleet_connected //p' <<<"$m"), applied $(sed -n 's/^edgeward_fleet_applied_total //p' <<<"$m"), resyncs $(sed -n 's/^edgeward_fleet_resyncs_total //p' <<<"$m"), errors $(sed -n 's/^edgeward_fleet_errors_total //p' <<<"$m")"
	check "edge $n: the journal verifies" quiet ctl "$n" -q audit verify
done

if [ $fail -gt 0 ]; then
	for n in $EDGES; do echo "--- edge $n daemon log (tail)"; grep -v 'rbac: allow' "$T/e$n/daemon.log" | tail -n 15; done
fi
echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
