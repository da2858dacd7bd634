#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sudo make demo: the whole story through edgewardd. A lab of two network
# namespaces joined by a veth pair; a private PostgreSQL cluster with the
# project's schema (skipped, with a note, when PostgreSQL is not installed);
# a real OpenSSH server and edgewardd in the server namespace, the daemon
# attached to the server's veth with the guide's policy (examples/edgeward.yaml),
# tailing sshd's log, with a response rule for brute force. Then real traffic:
# allowed, blocklisted, SSH from outside the allowed networks, a SYN flood,
# and a password brute force that ends with the attacker dropped at XDP.
# Finally the counters, the blocklist, the audit trail and the database rows.
# Everything is removed at the end, and on ^C.
set -u
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }
for b in build/edgewardd build/edgewardctl; do
	[ -x "$b" ] || { echo "demo: $b is missing (make all)" >&2; exit 1; }
done

LAB=ewdemo
source scripts/lab.sh
source scripts/sshd-lab.sh
source scripts/pgtest.sh
T=$(mktemp -d /tmp/ewdemo.XXXXXX)
chmod 700 "$T"
PGDIR=
PIN=/sys/fs/bpf/edgeward-demo
SSH_USER=ewdemo$$
SSH_PASS="Demo-$(openssl rand -hex 8)"
EWD=$PWD/build/edgewardd
CTL=$PWD/build/edgewardctl
export EDGEWARD_SOCKET=$T/run/api.sock EDGEWARD_PIN_DIR=$PIN EDGEWARD_JOURNAL=$T/state/journal
ctl() { in_srv "$CTL" "$@"; }

daemon_pid() { cat "$T/run/edgewardd.pid" 2>/dev/null; }
cleanup() {
	local pid

	# Once is enough, and a second ^C or TERM must not cut the cleaning short.
	trap - EXIT
	trap '' INT TERM
	pid=$(daemon_pid)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	sshd_lab_stop
	sshd_lab_user_del "$SSH_USER"
	lab_down
	rm -rf "$PIN"
	[ -n "$PGDIR" ] && pg_clean "$PGDIR"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM

B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' D=$'\033[2m' N=$'\033[0m'
[ -t 1 ] || B='' G='' R='' D='' N=''
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
note() { printf '  %s%s%s\n' "$D" "$*" "$N"; }
show() { printf '%s$ %s%s\n' "$D" "$*" "$N"; }
indent() { sed 's/^/  /'; }
try_tcp() { # LABEL SRC DST PORT: the lab's listeners answer with a banner
	local out
	out=$(in_cli timeout 3 socat -T1 - "TCP:$(br "$3"):$4,bind=$(br "$2"),connect-timeout=1" \
		</dev/null 2>/dev/null)
	if [ -n "$out" ]; then
		printf '  %-50s %sconnected%s, banner: %s\n' "$1" "$G" "$N" "$out"
	else
		printf '  %-50s %sno answer (dropped)%s\n' "$1" "$R" "$N"
	fi
}
try_ssh_port() { # LABEL SRC
	if ssh_banner "$2"; then
		printf '  %-50s %sconnected%s, banner: SSH-2.0-OpenSSH...\n' "$1" "$G" "$N"
	else
		printf '  %-50s %sno answer (dropped)%s\n' "$1" "$R" "$N"
	fi
}
wait_for() { # SECONDS CMD...
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
start=$SECONDS

# ---------------------------------------------------------------------------
say "Lab: namespaces $CLI (clients) and $SRV (server), veth $CLI_IF <-> $SRV_IF"
lab_up || { echo "demo: lab setup failed" >&2; exit 1; }
echo "  office $OFFICE, internet $INET, hostile $HOSTILE, IPv6 $CLI6"
echo "  -> server $SRV4 / $SRV4_INET / $SRV6, listeners on TCP $LAB_TCP_PORTS"

say "PostgreSQL: a private cluster with edgeward's schema"
DB=
if why=$(pg_available); then
	PGDIR=$(mktemp -d /tmp/ewdemo-pg.XXXXXX)
	PGPORT=$(pg_free_port)
	if pg_start "$PGDIR" "$PGPORT"; then
		# edgewardd runs in the server namespace, where 127.0.0.1 is not the host's:
		# it reaches this private cluster through its Unix socket (in a 0700 directory).
		printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$PGDIR/data/pg_hba.conf"
		pg_psql "$PGPORT" postgres -c "SELECT pg_reload_conf()" >/dev/null
		pg_psql "$PGPORT" postgres -c "CREATE DATABASE edgeward"
		show "edgewardctl db migrate --db 'host=127.0.0.1 port=$PGPORT dbname=edgeward'"
		if $CTL db migrate --db "host=127.0.0.1 port=$PGPORT dbname=edgeward user=postgres" |
			tail -n 3 | indent; then
			DB="host=$PGDIR port=$PGPORT dbname=edgeward user=postgres"
		fi
	fi
	[ -n "$DB" ] || note "PostgreSQL did not come up: going on without the database parts"
else
	note "PostgreSQL is not available ($why): going on without the database parts"
fi
psql_demo() { pg_psql "$PGPORT" edgeward -P pager=off -P footer=off "$@" | sed '/^$/d'; }

say "A real OpenSSH server on port 22 of the server namespace"
SSHD=
if [ -x /usr/sbin/sshd ] && command -v sshpass >/dev/null; then
	if sshd_lab_user_add "$SSH_USER" "$SSH_PASS" &&
		sshd_lab_start "$T" "$T/sshd.log" "$SSH_USER"; then
		SSHD=1
		echo "  sshd -D -e -f $T/sshd_config (own host key; only user $SSH_USER may log in)"
		note "its log, as syslog lines: $T/sshd.log"
	fi
fi
[ -n "$SSHD" ] || note "openssh-server or sshpass missing: the brute-force part is skipped"

# ---------------------------------------------------------------------------
say "edgewardd: attached to $SRV_IF, the guide's policy, sshd's log, a brute-force rule"
mkdir -p "$T/state" "$T/run" && chmod 700 "$T/state"
{
	cat <<-EOF
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
		network: {file: $PWD/examples/edgeward.yaml}
		sources:
		  authlog:
		    - {path: $T/sshd.log, service: sshd}
		response:
		  rules:
		    - name: SSH brute force
		      when: {event: [failed_login, invalid_user], count: 5, window: 5m, per: source}
		      actions: [block_ip, notify_admin]
		      block_for: 10m
		  escalation: [10m, 1h, 24h]
	EOF
	[ -n "$DB" ] && echo "database: {conninfo: \"$DB\", response_rules: false}"
} >"$T/edgeward.yaml"
chmod 600 "$T/edgeward.yaml"
sed -n '/^network:/,$p' "$T/edgeward.yaml" | sed "s|$T|\$T|g" | indent
in_srv "$EWD" -c "$T/edgeward.yaml" >"$T/daemon.log" 2>&1 &
if ! wait_for 10 test -S "$T/run/api.sock" || ! ctl -q status >/dev/null 2>&1; then
	echo "demo: edgewardd did not start:" >&2
	tail -n 20 "$T/daemon.log" >&2
	exit 1
fi
show "edgewardctl status"
ctl status | indent
if [ -n "$DB" ]; then
	connected() { in_srv curl -s http://127.0.0.1:9447/metrics | grep -q '^edgeward_fleet_connected 1'; }
	wait_for 10 connected && note "connected to PostgreSQL (fleet blocklist and journal shipping)"
fi

# ---------------------------------------------------------------------------
say "1. Legitimate traffic passes"
try_tcp "internet $INET -> :80 (http)" $INET $SRV4_INET 80
try_tcp "internet $INET -> :443 (https)" $INET $SRV4_INET 443
try_tcp "office   $OFFICE -> :80" $OFFICE $SRV4 80
try_tcp "IPv6     $CLI6 -> :80" $CLI6 $SRV6 80
in_cli ping -c 3 -i 0.2 -W 1 -q $SRV4 | sed -n 's/^/  ping: /; /packet loss/p'

say "2. A blocklisted source is dropped (the block goes through the daemon)"
try_tcp "hostile  $HOSTILE -> :80, before" $HOSTILE $SRV4_HOSTILE 80
show "edgewardctl block add $HOSTILE/32 --ttl 10m --reason 'demo: port scanner'"
ctl block add $HOSTILE/32 --ttl 10m --reason "demo: port scanner" | indent
try_tcp "hostile  $HOSTILE -> :80, after" $HOSTILE $SRV4_HOSTILE 80

say "3. SSH only from the allowed networks (10/8, 172.16/12, 192.168/16)"
if [ -n "$SSHD" ]; then
	try_ssh_port "office   $OFFICE -> :22 (ssh)" $OFFICE
	try_ssh_port "internet $INET -> :22 (ssh)" $INET
else
	try_tcp "office   $OFFICE -> :22 (ssh)" $OFFICE $SRV4 22
	try_tcp "internet $INET -> :22 (ssh)" $INET $SRV4_INET 22
fi
try_tcp "office   $OFFICE -> :5432 (postgres, 10.0/16)" $OFFICE $SRV4 5432
try_tcp "internet $INET -> :5432 (postgres)" $INET $SRV4_INET 5432
try_tcp "internet $INET -> :8080 (not open: default deny)" $INET $SRV4_INET 8080

say "4. A SYN flood is rate-limited (http: 25/min, burst 100 per source)"
rl() { ctl -j stats | ew_json 'sum(r["packets"] for r in d["reasons"] if r["reason"] == "ratelimit")'; }
rl0=$(rl)
show "hping3 -S -p 80 -i u100 -c 2000 $SRV4_INET   (from $INET)"
in_cli hping3 -q -S -p 80 -a $INET -i u100 -c 2000 $SRV4_INET 2>&1 | grep -oE '^[0-9]+ packets transmitted' | indent
rl1=$(rl)
echo "  ratelimit drops: $rl0 -> $rl1: $((2000 - (rl1 - rl0))) SYNs passed (the burst), the rest were dropped at XDP"
try_tcp "the flooder $INET -> :80 afterwards" $INET $SRV4_INET 80
try_tcp "office $OFFICE -> :80 meanwhile" $OFFICE $SRV4 80

# ---------------------------------------------------------------------------
say "5. A password brute force against the real sshd, from the office"
if [ -n "$SSHD" ]; then
	note "the office ($OFFICE) is inside the SSH ACL: only the response rule can stop it"
	if ssh_try $OFFICE "$SSH_USER" "$SSH_PASS" >/dev/null 2>&1; then
		echo "  correct password from $OFFICE:  ${G}logged in${N}"
	else
		echo "  correct password from $OFFICE:  ${R}refused?${N}"
	fi
	for i in 1 2 3 4 5; do
		if ssh_try $OFFICE "$SSH_USER" "guess-$i" >/dev/null 2>&1; then r="logged in?!"; else r="Permission denied"; fi
		printf '  attempt %d, password guess-%d:  %s\n' "$i" "$i" "$r"
	done
	echo "  sshd's log said:"
	grep -a "Failed password" "$T/sshd.log" | tail -n 2 | sed 's/^/    /'
	bl() { ctl -j block list | ew_json 'any(b["cidr"] == A[0] for b in d["blocks"])' "$OFFICE/32"; }
	if wait_for 5 bl; then
		show "edgewardctl block list --origin auto"
		ctl block list --origin auto | indent
	fi
	try_ssh_port "office   $OFFICE -> :22 now" $OFFICE
	try_tcp "office   $OFFICE -> :80 now" $OFFICE $SRV4 80
	if ssh_try $OFFICE "$SSH_USER" "$SSH_PASS" >/dev/null 2>&1; then r="${G}logged in${N}"; else r="${R}no answer (dropped)${N}"; fi
	echo "  correct password from $OFFICE now:  $r"
	try_tcp "internet $INET -> :443 (unaffected)" $INET $SRV4_INET 443
else
	note "skipped: no sshd"
fi

# ---------------------------------------------------------------------------
say "6. What the daemon saw"
show "edgewardctl stats"
ctl stats | indent
show "edgewardctl block list"
ctl block list | indent
show "edgewardctl audit --limit 8"
ctl audit --limit 8 | indent
show "edgewardctl -j audit --type automated_response   (the block_ip record, abridged)"
ctl -j audit --type automated_response | ew_json '[{k: r[k] for k in ("type", "source", "action", "result")} | {"details": {k: r["details"].get(k) for k in ("rule", "event", "origin", "user", "target", "ttl_s")}} for r in d if r["action"] == "block_ip"][-1]' | indent
note "(each sshd failure reaches the rules at once; the journal gets one auth_log_summary record a minute, and one at stop)"
show "edgewardctl audit verify"
ctl audit verify | indent

if [ -n "$DB" ]; then
	say "7. The same in PostgreSQL"
	lag0() { in_srv curl -s http://127.0.0.1:9447/metrics | grep -q '^edgeward_journal_lag_records 0$'; }
	wait_for 10 lag0 || note "(the journal is still being shipped)"
	show "SELECT ... FROM audit.security_events ORDER BY seq DESC LIMIT 6"
	psql_demo -c "SELECT seq, to_char(\"timestamp\", 'HH24:MI:SS') AS time, event_type, source,
		action, result, risk_score AS risk FROM audit.security_events ORDER BY seq DESC LIMIT 6" | indent
	show "SELECT ... FROM audit.ip_blocklist"
	psql_demo -c "SELECT ip_address, reason, created_by, origin,
		date_trunc('second', blocked_until - now()) AS remaining FROM audit.ip_blocklist
		ORDER BY blocked_at" | indent
fi

say "Done in $((SECONDS - start)) s: stopping edgewardd and sshd, removing the lab and the database"
note "(the daemon leaves the filter attached when it stops; the lab's veth goes with its namespace)"
