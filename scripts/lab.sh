#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A lab of two network namespaces joined by a veth pair, for the demo and the
# integration tests. Source it, set LAB (a short name prefix) and call lab_up.
#
#   ${LAB}cli  client side, many source addresses:      ${LAB}c0 ===== ${LAB}s0   ${LAB}srv  server
#              10.0.1.2       office (SSH/DB allowed)                             10.0.1.1
#              198.51.100.10  internet                                            198.51.100.1
#              203.0.113.66   a hostile host                                      203.0.113.1
#              fd00:e0::2     IPv6                                                fd00:e0::1
#
# The server runs listeners on TCP 22, 80, 443, 5432, 8080 and UDP 5353.
# Enter namespaces with nsenter --net (not ip netns exec, which remounts
# /sys and hides the bpffs pins).

LAB=${LAB:-ewlab}
SRV=${LAB}srv
CLI=${LAB}cli
SRV_IF=${LAB}s0
CLI_IF=${LAB}c0
SRV4=10.0.1.1 OFFICE=10.0.1.2 INET=198.51.100.10 HOSTILE=203.0.113.66
SRV4_INET=198.51.100.1 SRV4_HOSTILE=203.0.113.1
SRV6=fd00:e0::1 CLI6=fd00:e0::2
LAB_TCP_PORTS="22 80 443 5432 8080"
LAB_DIR=${LAB_DIR:-/tmp/$LAB}

in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$CLI" "$@"; }

lab_down() {
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r pid; do kill "$pid" 2>/dev/null; done <"$LAB_DIR/pids"
		rm -f "$LAB_DIR/pids"
	fi
	if [ -e /run/netns/"$SRV" ]; then
		in_srv ip link set dev "$SRV_IF" xdp off 2>/dev/null
		in_srv ip link set dev "$SRV_IF" xdpgeneric off 2>/dev/null
		ip netns del "$SRV" 2>/dev/null
	fi
	[ -e /run/netns/"$CLI" ] && ip netns del "$CLI" 2>/dev/null
	rm -rf "$LAB_DIR"
	return 0
}

lab_up() {
	local mtu=${1:-1500} p
	lab_down
	mkdir -p "$LAB_DIR" || return 1
	ip netns add "$SRV" && ip netns add "$CLI" || return 1
	ip -n "$CLI" link add "$CLI_IF" mtu "$mtu" type veth peer name "$SRV_IF" mtu "$mtu" netns "$SRV" || return 1
	ip -n "$CLI" link set lo up && ip -n "$SRV" link set lo up
	ip -n "$CLI" addr add $OFFICE/24 dev "$CLI_IF"
	ip -n "$CLI" addr add $INET/24 dev "$CLI_IF"
	ip -n "$CLI" addr add $HOSTILE/24 dev "$CLI_IF"
	ip -n "$CLI" addr add $CLI6/64 dev "$CLI_IF" nodad
	ip -n "$SRV" addr add $SRV4/24 dev "$SRV_IF"
	ip -n "$SRV" addr add $SRV4_INET/24 dev "$SRV_IF"
	ip -n "$SRV" addr add $SRV4_HOSTILE/24 dev "$SRV_IF"
	ip -n "$SRV" addr add $SRV6/64 dev "$SRV_IF" nodad
	ip -n "$CLI" link set "$CLI_IF" up && ip -n "$SRV" link set "$SRV_IF" up || return 1
	# Native XDP on veth receives what the peer sends when the peer has GRO on or its own XDP.
	in_cli ethtool -K "$CLI_IF" gro on >/dev/null 2>&1
	in_srv ethtool -K "$SRV_IF" gro on >/dev/null 2>&1
	# nsenter execs socat, so $! is the listener itself (a backgrounded shell
	# function would record a subshell, and killing it would orphan socat).
	for p in $LAB_TCP_PORTS; do
		nsenter --net=/run/netns/"$SRV" socat TCP6-LISTEN:"$p",ipv6only=0,reuseaddr,fork \
			SYSTEM:'echo edgeward-lab' >/dev/null 2>&1 &
		echo $! >>"$LAB_DIR/pids"
	done
	nsenter --net=/run/netns/"$SRV" socat -u UDP6-RECV:5353,ipv6only=0 \
		OPEN:"$LAB_DIR/udp.log",creat,append >/dev/null 2>&1 &
	echo $! >>"$LAB_DIR/pids"
	# Wait for the listeners and the first neighbour resolution.
	for _ in $(seq 50); do
		[ "$(in_srv ss -Hltn | wc -l)" -ge 5 ] && break
		sleep 0.1
	done
	in_cli ping -c1 -W1 $SRV4 >/dev/null 2>&1
	in_cli ping -6 -c1 -W1 $SRV6 >/dev/null 2>&1
	return 0
}

# socat wants IPv6 addresses in brackets and IPv4 ones without.
br() { case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }

# tcp_ok SRC DST PORT: a TCP connection from SRC gets the server's banner.
tcp_ok() {
	local out
	out=$(in_cli timeout 3 socat -T1 - "TCP:$(br "$2"):$3,bind=$(br "$1"),connect-timeout=1" \
		</dev/null 2>/dev/null)
	[ "$out" = edgeward-lab ]
}

# udp_send SRC DST PORT TEXT: one datagram.
udp_send() {
	echo "$4" | in_cli socat -u - "UDP:$(br "$2"):$3,bind=$(br "$1")" 2>/dev/null
}
