#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Integration on the wire: the filter attached natively to a veth in a network
# namespace, real traffic (TCP connects, ping, UDP, a SYN flood with hping3)
# checked at the receiver and in the counters, including traffic while the
# program is re-attached and upgraded, and enforcement after edgewardctl exits.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, XDP)"; exit 77; }

LAB=ewt$$
LAB=${LAB:0:8}
source scripts/lab.sh
export EDGEWARD_PIN_DIR=/sys/fs/bpf/edgeward-test-wire-$$
CTL=build/edgewardctl
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
ctl() { in_srv $CTL "$@"; }
cleanup() {
	# A second TERM (timeout signals the whole process group) must not cut this short.
	trap '' TERM INT
	lab_down
	[ -d "$EDGEWARD_PIN_DIR" ] && rm -rf "$EDGEWARD_PIN_DIR"
}
trap cleanup EXIT
# A timeout or ^C must clean up too: bash runs the EXIT trap only when it exits itself.
trap 'exit 143' TERM INT

# packets counted under a reason (edgewardctl -j stats)
ctr() {
	ctl -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for c in d["reasons"]:
    if c["reason"] == sys.argv[1]:
        print(c["packets"]); break
else:
    print(0)' "$1"
}
# ctr_delta REASON BEFORE MIN [MAX]: the counter grew by MIN..MAX
grew() {
	local now d
	now=$(ctr "$1"); d=$((now - $2))
	[ "$d" -ge "$3" ] && { [ -z "${4:-}" ] || [ "$d" -le "$4" ]; } ||
		{ echo "  # $1 grew by $d (expected ${3}..${4:-})"; return 1; }
}
neg() { ! "$@"; }

lab_up || { echo "lab setup failed"; exit 1; }

# --- attach natively and apply the guide's policy ---
check "attach native" ctl attach "$SRV_IF" --mode native
check "program attached in driver mode" bash -c "in_srv() { nsenter --net=/run/netns/$SRV \"\$@\"; }; in_srv ip -d link show $SRV_IF | grep -q 'xdp '"
check "apply examples/edgeward.yaml" ctl apply examples/edgeward.yaml

# --- allowed traffic ---
check "office -> 80 passes" tcp_ok $OFFICE $SRV4 80
check "internet -> 443 passes" tcp_ok $INET $SRV4_INET 443
check "IPv6 -> 80 passes" tcp_ok $CLI6 $SRV6 80
check "ping passes" in_cli ping -c 3 -i 0.2 -W 1 -q $SRV4
check "ping6 passes" in_cli ping -6 -c 3 -i 0.2 -W 1 -q $SRV6
udp_send $INET $SRV4_INET 5353 udp-allowed
sleep 0.3
check "UDP datagram received" grep -q udp-allowed "$LAB_DIR/udp.log"

# --- SSH and PostgreSQL restricted to allowed networks ---
b=$(ctr acl)
check "office -> 22 passes" tcp_ok $OFFICE $SRV4 22
check "office -> 5432 passes" tcp_ok $OFFICE $SRV4 5432
check "internet -> 22 dropped" neg tcp_ok $INET $SRV4_INET 22
check "internet -> 5432 dropped" neg tcp_ok $INET $SRV4_INET 5432
check "IPv6 (not in the ACL) -> 22 dropped" neg tcp_ok $CLI6 $SRV6 22
check "acl counter counted the SYNs" grew acl "$b" 3

# --- default deny for ports that are not open ---
b=$(ctr default-deny)
check "internet -> 8080 (listening, not open) dropped" neg tcp_ok $INET $SRV4_INET 8080
check "default-deny counter" grew default-deny "$b" 1

# --- blocklist ---
b=$(ctr blocklist)
check "hostile -> 80 passes before the block" tcp_ok $HOSTILE $SRV4_HOSTILE 80
check "block add" ctl block add $HOSTILE/32 --reason "integration test" --ttl 1h
check "hostile -> 80 dropped" neg tcp_ok $HOSTILE $SRV4_HOSTILE 80
check "hostile ping dropped" neg in_cli ping -c 2 -i 0.2 -W 1 -q -I $HOSTILE $SRV4_HOSTILE
check "office unaffected by the block" tcp_ok $OFFICE $SRV4 80
check "blocklist counter" grew blocklist "$b" 3
hits=$(ctl -j block list | python3 -c 'import json,sys; print(sum(b["hits"] for b in json.load(sys.stdin)["blocks"] if b["cidr"] == sys.argv[1]))' $HOSTILE/32)
check "rule hit counter > 0 ($hits)" test "${hits:-0}" -gt 0
check "IPv6 block add" ctl block add $CLI6/128
check "IPv6 blocked" neg tcp_ok $CLI6 $SRV6 80
check "IPv6 block del" ctl block del $CLI6/128
check "IPv6 passes again" tcp_ok $CLI6 $SRV6 80

# --- rate limit: a SYN flood on 80 from one source (25/min, burst 100) ---
# The source already opened one connection to 443 (same class), so 99 tokens are left.
b=$(ctr ratelimit)
in_cli hping3 -q -S -p 80 -a $INET -i u200 -c 1000 $SRV4_INET >/dev/null 2>&1
check "flood rate-limited: 1000 SYNs, burst 100, about 900 dropped (25/min refills a few)" grew ratelimit "$b" 880 905
check "the flooding source is still limited" neg tcp_ok $INET $SRV4_INET 80
check "office still reaches 80 during the flood's aftermath" tcp_ok $OFFICE $SRV4 80

# --- the filter outlives edgewardctl: no process of ours is running now ---
check "no edgewardctl process left" neg pgrep -x edgewardctl
check "still enforcing after edgewardctl exited" neg tcp_ok $HOSTILE $SRV4_HOSTILE 80

# --- re-attach and upgrade under traffic: no loss, every block kept ---
before=$(ctl -j block list)
in_cli ping -c 300 -i 0.01 -W 1 -q $SRV4 >"$LAB_DIR/ping.txt" 2>&1 &
pp=$!
sleep 0.5
for _ in 1 2 3; do
	ctl attach "$SRV_IF" --mode native >/dev/null || nok "re-attach"
	ctl reload >/dev/null || nok "reload"
	sleep 0.3
done
wait $pp
loss=$(grep -o '[0-9.]*% packet loss' "$LAB_DIR/ping.txt" | cut -d% -f1)
check "no ping lost across 3 re-attaches and upgrades (loss ${loss}%)" test "${loss:-100}" = 0
after=$(ctl -j block list)
check "blocks identical after upgrade" test "$(echo "$before" | python3 -c 'import json,sys; print(sorted(b["cidr"] for b in json.load(sys.stdin)["blocks"]))')" = \
	"$(echo "$after" | python3 -c 'import json,sys; print(sorted(b["cidr"] for b in json.load(sys.stdin)["blocks"]))')"
check "hostile still dropped after upgrade" neg tcp_ok $HOSTILE $SRV4_HOSTILE 80

# --- the counters add up: every packet in exactly one reason ---
total=$(ctl -j stats | python3 -c 'import json,sys; print(sum(c["packets"] for c in json.load(sys.stdin)["reasons"]))')
check "counters are non-zero and consistent ($total packets)" test "${total:-0}" -gt 1000

# --- jumbo frames: the multi-buffer program keeps native mode at a 9000-byte MTU ---
in_cli ip link set "$CLI_IF" mtu 9000 && in_srv ip link set "$SRV_IF" mtu 9000
check "MTU 9000 with the filter attached natively" bash -c "nsenter --net=/run/netns/$SRV ip -d link show $SRV_IF | grep -q 'mtu 9000.*xdp '"
b=$(ctr blocklist)
check "jumbo ping (8000-byte payload) passes" in_cli ping -c 2 -i 0.2 -s 8000 -W 1 -q $SRV4
check "jumbo ping from the blocked host dropped" neg in_cli ping -c 2 -i 0.2 -s 8000 -W 1 -q -I $HOSTILE $SRV4_HOSTILE
check "jumbo drops counted under blocklist" grew blocklist "$b" 2

# --- detach: traffic flows unfiltered again ---
check "detach" ctl detach "$SRV_IF"
check "hostile passes after detach" tcp_ok $HOSTILE $SRV4_HOSTILE 80

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
