#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sudo make demo: a lab of two network namespaces joined by a veth pair, the
# filter attached natively with examples/edgeward.yaml, and real traffic:
# allowed, blocklisted, SSH from outside the allowed networks, and a flood.
# Prints the counters per reason and cleans everything up.
set -u
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }

LAB=ewdemo
source scripts/lab.sh
export EDGEWARD_PIN_DIR=/sys/fs/bpf/edgeward-demo
# No edgewardd here: edgewardctl writes the pinned maps itself (emergency mode),
# recording each change in a journal of the lab's own.
export EDGEWARD_DIRECT=1 EDGEWARD_JOURNAL=$LAB_DIR/journal EDGEWARD_SOCKET=$LAB_DIR/none.sock
CTL=$PWD/build/edgewardctl
ctl() { in_srv "$CTL" "$@"; }
cleanup() {
	lab_down
	rm -rf "$EDGEWARD_PIN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
try_tcp() {	# LABEL SRC DST PORT
	if tcp_ok "$2" "$3" "$4"; then r="connected"; else r="no answer (dropped)"; fi
	printf '  %-44s %s\n' "$1" "$r"
}

say "Lab: namespaces $CLI (clients) and $SRV (server), veth $CLI_IF <-> $SRV_IF"
lab_up || { echo "demo: lab setup failed" >&2; exit 1; }
echo "  office $OFFICE, internet $INET, hostile $HOSTILE, IPv6 $CLI6 -> server $SRV4 / $SRV6"

say "Attach the XDP filter natively and apply the guide's firewall policy"
show "edgewardctl attach $SRV_IF && edgewardctl apply examples/edgeward.yaml"
ctl attach "$SRV_IF" || exit 1
ctl apply examples/edgeward.yaml || exit 1
ctl policy show

say "Blocklist: import a FireHOL-style list, then block one host for 10 minutes"
cat >"$LAB_DIR/blocklist.netset" <<'LIST'
# demo list in the FireHOL netset format
192.0.2.0/24
198.18.0.0/15      ; benchmarking range, never a source on the internet
2001:db8:bad::/48
LIST
show "edgewardctl block import blocklist.netset --reason demo-feed"
ctl block import "$LAB_DIR/blocklist.netset" --reason demo-feed
show "edgewardctl block add $HOSTILE/32 --ttl 10m --reason 'demo: port scanner'"
ctl block add $HOSTILE/32 --ttl 10m --reason "demo: port scanner"
ctl block list

say "Allowed traffic"
try_tcp "office   $OFFICE -> :80" $OFFICE $SRV4 80
try_tcp "internet $INET -> :443" $INET $SRV4_INET 443
try_tcp "IPv6     $CLI6 -> :80" $CLI6 $SRV6 80
in_cli ping -c 3 -i 0.2 -W 1 -q $SRV4 | sed -n 's/^/  ping: /; /packet loss/p'

say "Blocklisted source"
try_tcp "hostile  $HOSTILE -> :80" $HOSTILE $SRV4_HOSTILE 80

say "SSH and PostgreSQL only from the allowed networks"
try_tcp "office   $OFFICE -> :22 (ssh)" $OFFICE $SRV4 22
try_tcp "internet $INET -> :22 (ssh)" $INET $SRV4_INET 22
try_tcp "office   $OFFICE -> :5432 (postgres)" $OFFICE $SRV4 5432
try_tcp "internet $INET -> :5432 (postgres)" $INET $SRV4_INET 5432

say "Default deny: a listening port that the policy does not open"
try_tcp "internet $INET -> :8080" $INET $SRV4_INET 8080

say "Flood: 2000 SYNs to :80 from one source (limit 25/min, burst 100 per source)"
show "hping3 -S -p 80 -i u100 -c 2000 $SRV4_INET"
in_cli hping3 -q -S -p 80 -a $INET -i u100 -c 2000 $SRV4_INET 2>&1 | grep -E 'packets' | sed 's/^/  /'
try_tcp "the flooder afterwards -> :80" $INET $SRV4_INET 80
try_tcp "office afterwards -> :80" $OFFICE $SRV4 80

say "Sampled drops, as the guide's DROPPED: log lines (capped per second in the kernel)"
show "edgewardctl events --count 5 --timeout 1"
ctl events --count 5 --timeout 1 &
evp=$!
sleep 0.3
tcp_ok $INET $SRV4_INET 22 || true
tcp_ok $HOSTILE $SRV4_HOSTILE 443 || true
wait $evp

say "Counters per reason"
show "edgewardctl stats"
ctl stats

say "The audit journal: every change above, with its actor, hash-chained"
show "edgewardctl audit --limit 5 && edgewardctl audit verify"
ctl audit --limit 5
ctl audit verify

say "Done: detaching and removing the lab"
ctl detach "$SRV_IF"
