#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# edgeward bench (make bench): edgeward against its peers, measured side by side in ONE run,
# with ratios taken only between figures of that run.
#
#   1. micro    BPF_PROG_TEST_RUN ns/packet on a 60-byte TCP packet, median of REPS interleaved
#               rounds: XDP_PASS floor, xdp-filter with 10k /32s (hit, miss), one LPM trie with
#               the same N4 prefixes as the blocklist (warm hit/miss, 64 random lookups a run),
#               edgeward's full pipeline (allowed, dropped) and its random-address blocklist
#               lookup; then the cost of each stage, by switching policy features off.
#   2. traffic  a TCP SYN flood 10.99.0.1 -> 10.200.0.2:22 across veth ewb_a (netns ewb_A) ->
#               ewb_b (netns ewb_B); generator = BPF_PROG_TEST_RUN live frames redirected out
#               of ewb_a; receiver = ewb_b's threaded NAPI kthread, timed through schedstat.
#               Rows: XDP_DROP, edgeward (full blocklist, flood source blocked), xdp-filter 10k,
#               ipset hash:net 10k, nftables set 10k, iptables raw 1 rule.
#   3. import   `edgewardctl block import` of the N4-prefix file, wall time (falls back to
#               bl_import through build/bench/ew_bench when the CLI cannot do it; the table says).
#   4. verifier processed instructions of ew_xdp, and their share of the 1M limit.
#
# Env: REPS (default 5) rounds, DUR (3) seconds a flood, WARM (1), MEAS (0.2) seconds per
# micro measurement, QUICK=1 (REPS=3 DUR=1 MEAS=0.05, 200k+50k rules: for development),
# TX_CPU/RX_CPU (default: both on the last CPU; split across vCPUs the figures swing by 40%).
# Everything it creates is named ewb_* and removed on exit: netns ewb_A/ewb_B (with their
# veths, iptables, ipset and nftables state), the pin dir /sys/fs/bpf/ewb_pins, xdp-filter's
# state only if this run loaded it (a pre-existing /sys/fs/bpf/xdp-filter is never touched:
# the xdp-filter rows are skipped instead). EWB_BIN / EWB_CTL: other ew_bench / edgewardctl (dev).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	REPS=${REPS:-3}; DUR=${DUR:-1}; MEAS=${MEAS:-0.05}; N4=${N4:-200000}; N6=${N6:-50000}
else
	REPS=${REPS:-5}; DUR=${DUR:-3}; MEAS=${MEAS:-0.2}; N4=${N4:-1000000}; N6=${N6:-262144}
fi
WARM=${WARM:-1}
TX_CPU=${TX_CPU:-$(( $(nproc) - 1 ))}; RX_CPU=${RX_CPU:-$TX_CPU}
BIN=${EWB_BIN:-$ROOT/build/bench/ew_bench}; CTL=${EWB_CTL:-$ROOT/build/edgewardctl}
YAML=$ROOT/examples/edgeward.yaml
RES=$ROOT/build/bench-results.txt
PIN=/sys/fs/bpf/ewb_pins
A=ewb_A; B=ewb_B; SRC=10.99.0.1; DST=10.200.0.2
W=""; XF_OURS=0; T_START=$(date +%s)

log() { echo "# $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
inA() { nsenter --net=/run/netns/$A "$@"; }	# net ns only: /sys/fs/bpf stays visible
inB() { nsenter --net=/run/netns/$B "$@"; }
xf() {	# a SIGPIPE'd xdp-filter leaves a stale lock behind
	[ -f /run/xdp-filter.lck ] && ! kill -0 "$(cat /run/xdp-filter.lck)" 2>/dev/null &&
		rm -f /run/xdp-filter.lck
	inB xdp-filter "$@"
}

cleanup() {
	if [ -e /run/netns/$B ]; then
		# xdp-filter first: its dispatcher's pins go with its unload, not with "xdp off"
		[ $XF_OURS = 1 ] && xf unload ewb_b >/dev/null 2>&1
		inB ip link set dev ewb_b xdp off 2>/dev/null
	fi
	[ $XF_OURS = 1 ] && rm -rf /sys/fs/bpf/xdp-filter
	XF_OURS=0
	[ "${XDPDIR_NEW:-0}" = 1 ] && rmdir /sys/fs/bpf/xdp 2>/dev/null	# only if empty
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null	# veths, iptables, ipset, nft go too
	rm -rf $PIN
	[ -n "$W" ] && rm -rf "$W"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "run as root (BPF, namespaces)"
[ -x "$BIN" ] || die "$BIN missing: run make bench"
for t in bpftool ethtool nsenter ip taskset; do command -v $t >/dev/null || die "missing $t"; done
XF_BUSY=0; [ -e /sys/fs/bpf/xdp-filter ] && XF_BUSY=1
XDPDIR_NEW=1; [ -e /sys/fs/bpf/xdp ] && XDPDIR_NEW=0	# libxdp's pin base: rmdir'd at exit if we made it
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || die "cannot mount /sys/fs/bpf"
# A previous run killed hard may have left its own ewb_* objects: they are ours by name.
ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; rm -rf $PIN
W=$(mktemp -d /tmp/ewb.XXXXXX) || die "mktemp"
RAW=$W/raw.txt; : > $RAW
put() { echo "$*" >> $RAW; }	# KEY VALUE...: every figure, for the table
get() { awk -v k="$1" -v f="${2:-2}" '$1==k{print $f; exit}' $RAW; }

log "edgeward bench: REPS=$REPS DUR=${DUR}s MEAS=${MEAS}s N4=$N4 N6=$N6 cpu tx=$TX_CPU rx=$RX_CPU"

# ---------- rules, namespaces ----------
$BIN lists $W $N4 $N6 || die "lists"
{ echo 'create ewb_bl hash:net family inet hashsize 16384 maxelem 65536'
  awk '{print "add ewb_bl "$1}' $W/net10k.txt; } > $W/ipset10k.rules
{ echo 'table ip ewb_bench { set bl { type ipv4_addr; flags interval; auto-merge; elements = {'
  paste -sd, $W/net10k.txt
  echo '} }'
  echo 'chain pre { type filter hook prerouting priority raw; policy accept; ip saddr @bl counter drop; }'
  echo '}'; } > $W/nft10k.rules

ip netns add $A && ip netns add $B || die "netns"
ip -n $A link add ewb_a type veth peer name ewb_b netns $B || die "veth"
ip -n $A link add ewb_g0 type veth peer name ewb_g1 || die "veth"
for l in lo ewb_a ewb_g0 ewb_g1; do ip -n $A link set $l up; done
for l in lo ewb_b; do ip -n $B link set $l up; done
ip -n $A addr add 10.200.0.1/24 dev ewb_a; ip -n $B addr add $DST/24 dev ewb_b
inB ethtool -K ewb_b gro on >/dev/null		# veth NAPI without XDP too: one rx path for all rows
# rx in a kthread we can pin and time (ip netns exec: there /sys is the netns's own)
ip netns exec $B sh -c 'echo 1 > /sys/class/net/ewb_b/threaded' || die "threaded NAPI on ewb_b"
MACB=$(ip -n $B -br link show ewb_b | awk '{print $3}')

# ---------- edgeward: load, policy, import ----------
export EDGEWARD_PIN_DIR=$PIN
$BIN load $PIN >/dev/null || die "ew_load failed"
$BIN policy $PIN $YAML full || die "policy commit failed"
tsec() { local t0 t1; t0=$(date +%s.%N); "$@" >$W/imp.out 2>$W/imp.err; local rc=$?
	t1=$(date +%s.%N); awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.3f\n", b-a}'; return $rc; }
import() {	# FILE N KEY COLUMN: edgewardctl block import, else bl_import through ew_bench
	local t n
	if [ -f "$CTL" ] && [ -x "$CTL" ] && t=$(tsec $CTL block import $1); then
		n=$($BIN count $PIN | awk -v c=$4 '{print $c}')
		if [ "${n:-0}" -ge "$2" ]; then put $3 $t edgewardctl; return 0; fi
		log "edgewardctl block import $1: only ${n:-0} rules after import: falling back"
	elif [ -f "$CTL" ] && [ -x "$CTL" ]; then
		log "edgewardctl block import $1 failed: $(head -c 300 $W/imp.err) ; falling back to bl_import"
	fi
	t=$(tsec $BIN import $PIN $1) || die "bl_import $1: $(cat $W/imp.err)"
	put $3 $t bl_import
}
import $W/bl4.txt $N4 import4 2
import $W/bl6.txt $N6 import6 3
read -r N4L N6L < <($BIN count $PIN | awk '{print $2, $3}')
log "blocklist: $N4L IPv4 + $N6L IPv6 rules"; put count $N4L $N6L

# ---------- verifier ----------
read -r VI VP < <($BIN verifier $PIN | awk '/^verifier/{print $2, $3}')
put verifier ${VI:-NA} ${VP:-NA}

# ---------- micro ----------
XF_ID=0
xf_up() {
	[ $XF_BUSY = 1 ] && { log "xdp-filter skipped: /sys/fs/bpf/xdp-filter pre-exists"; return 1; }
	command -v xdp-filter >/dev/null || { log "xdp-filter not installed"; return 1; }
	xf load ewb_b >/dev/null || return 1
	XF_OURS=1
	xf ip -m src $SRC >/dev/null || return 1
	local mid; mid=$(bpftool map show pinned /sys/fs/bpf/xdp-filter/filter_ipv4 | awk -F: 'NR==1{print $1}')
	$BIN xffill $mid $W/xf10k32.txt >/dev/null || return 1
	XF_ID=$(inB bpftool -j net show dev ewb_b | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
}
xf_down() { xf unload ewb_b >/dev/null 2>&1; rm -rf /sys/fs/bpf/xdp-filter; XF_OURS=0; XF_ID=0; }
xf_up || { log "xdp-filter load failed"; xf_down; }
log "micro: $REPS rounds"
taskset -c $TX_CPU $BIN micro $PIN $YAML $W/bl4.txt ${XF_ID:-0} $REPS $MEAS > $W/micro.out ||
	log "micro: ew_bench micro failed (rows missing)"
[ $XF_OURS = 1 ] && xf_down
awk '$1=="micro"||$1=="stage"{print $2, $3, $4, $5, $6} $1=="info"{$1=""; print "info" $0}' \
	$W/micro.out >> $RAW

# ---------- traffic ----------
gen() { inA taskset -c $TX_CPU $BIN gen ewb_a $MACB $SRC $DST 22 $1 ewb_g0; }
rxc() { inB ethtool -S ewb_b | awk '/rx_queue_0_xdp_packets/{print $2}'; }
tcpin() { inB awk '/^Tcp:/{if(!h){for(i=1;i<=NF;i++)if($i=="InSegs")c=i;h=1}else print $c}' /proc/net/snmp; }
flood() {	# -> "rx_Mpps ns_per_pkt offered_Mpps leak%"
	local np r0 r1 n0 n1 t0 t1 out
	np=$(ps -eo pid,comm | awk '$2 ~ /^napi\/ewb_b-/{print $1; exit}')
	[ -z "$np" ] && { echo "NA NA NA NA"; return; }
	taskset -p $((1 << RX_CPU)) $np >/dev/null
	gen $WARM >/dev/null
	r0=$(rxc); t0=$(tcpin); n0=$(awk '{print $1}' /proc/$np/schedstat)
	out=$(gen $DUR); r1=$(rxc); t1=$(tcpin); n1=$(awk '{print $1}' /proc/$np/schedstat)
	[ -z "$out" ] && { echo "NA NA NA NA"; return; }
	awk -v s="${out% *}" -v el="${out#* }" -v r=$((r1 - r0)) -v n=$((n1 - n0)) -v lk=$((t1 - t0)) \
		'BEGIN{printf "%.4f %.1f %.3f %.2f\n", r/el/1e6, (r>0?n/r:0), s/el/1e6, (r>0?100*lk/r:0)}'
}
m_up() {
	case $1 in
	xdp_drop) inB $BIN xdpdrop ewb_b ;;
	edgeward) inB $BIN attach $PIN ewb_b ;;
	xdp-filter_10k) xf_up ;;
	ipset_hashnet_10k) inB ipset restore < $W/ipset10k.rules &&
		inB iptables-legacy -t raw -A PREROUTING -m set --match-set ewb_bl src -j DROP ;;
	nft_set_10k) inB nft -f $W/nft10k.rules ;;
	ipt_raw_1rule) inB iptables-legacy -t raw -A PREROUTING -s 10.99.0.0/24 -j DROP ;;
	esac
}
m_down() {
	case $1 in
	xdp_drop) inB ip link set dev ewb_b xdp off ;;
	edgeward) inB $BIN detach ewb_b ;;
	xdp-filter_10k) xf_down ;;
	ipset_hashnet_10k) inB iptables-legacy -t raw -F PREROUTING; inB ipset destroy ewb_bl ;;
	nft_set_10k) inB nft delete table ip ewb_bench ;;
	ipt_raw_1rule) inB iptables-legacy -t raw -F PREROUTING ;;
	esac
}
METHODS="xdp_drop edgeward xdp-filter_10k ipset_hashnet_10k nft_set_10k ipt_raw_1rule"
TRAW=$W/traffic.txt; : > $TRAW
for i in $(seq $REPS); do
	for m in $METHODS; do
		if m_up $m >/dev/null 2>$W/err.txt; then echo "$m $(flood)" >> $TRAW
		else log "traffic $m: set-up failed: $(head -c 300 $W/err.txt)"; fi
		m_down $m >/dev/null 2>&1
	done
	log "traffic round $i/$REPS done"
done
med() { sort -n | awk '{a[NR]=$1} END{if(!NR){print "NA";exit} print (NR%2?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2)}'; }
for m in $METHODS; do
	grep -q "^$m [0-9]" $TRAW || continue
	put "traffic_$m" "$(awk -v m=$m '$1==m && $2!="NA"{print $2}' $TRAW | med)" \
		"$(awk -v m=$m '$1==m && $2!="NA"{print $3}' $TRAW | med)" \
		"$(awk -v m=$m '$1==m && $2!="NA"{print $4}' $TRAW | med)" \
		"$(awk -v m=$m '$1==m && $2!="NA"{print $5}' $TRAW | sort -n | tail -1)" \
		"$(awk -v m=$m '$1==m && $2!="NA"{print $2}' $TRAW | sort -n | head -1)" \
		"$(awk -v m=$m '$1==m && $2!="NA"{print $2}' $TRAW | sort -n | tail -1)"
done

# ---------- the table ----------
T_END=$(date +%s)
{
echo "== edgeward bench =="
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) kernel $(uname -r) cpus $(nproc) REPS=$REPS DUR=${DUR}s MEAS=${MEAS}s" \
	"QUICK=$QUICK rules: $N4L IPv4 + $N6L IPv6 (requested $N4 + $N6) run $((T_END - T_START))s"
awk -v imp4="$(get import4 3)" -v imp6="$(get import6 3)" -v n4=$N4 -v n6=$N6 -v quick=$QUICK '
function v(k, f) { return ((k, f) in V) ? V[k, f] : "NA" }
function num(x) { return x != "NA" && x != "FAIL" && x != "" }
function row(fig, val, base, ratio, tgt, met) {
	printf "%-52s %14s %22s %9s %11s %s\n", fig, val, base, ratio, tgt, met }
function r2(a, b) { return num(a) && num(b) && b > 0 ? sprintf("%.2fx", a / b) : "-" }
function yn(c) { return c ? "yes" : "NO" }
# A micro row whose program returned the wrong verdict (1 = DROP, 2 = PASS) measured the wrong path.
function rv(k, want) { return v(k, 5) == want ? "" : " (verdict " v(k, 5) ", want " want ")" }
function ok(k, want, c) { return rv(k, want) != "" ? "NO" rv(k, want) : yn(c) }
{ for (i = 2; i <= NF; i++) V[$1, i] = $i }
END {
	row("figure", "value", "baseline", "ratio", "target", "met")
	fl = v("xdp_pass", 2)
	row("micro ns/pkt: XDP_PASS floor", fl, "-", "-", "-", "-")
	xh = v("xdpfilter_hit", 2); xm = v("xdpfilter_miss", 2)
	row("micro ns/pkt: xdp-filter 10k /32, hit (DROP)", xh, "floor " fl, r2(xh, fl), "-", "-")
	row("micro ns/pkt: xdp-filter 10k /32, miss (PASS)", xm, "floor " fl, r2(xm, fl), "-", "-")
	lh = v("lpm_hit", 2); lm = v("lpm_miss", 2); lr = v("lpm_rand", 2)
	row(sprintf("micro ns/pkt: one LPM trie %dk, warm hit", n4 / 1000), lh, "floor " fl, r2(lh, fl), "-", "-")
	row(sprintf("micro ns/pkt: one LPM trie %dk, warm miss", n4 / 1000), lm, "floor " fl, r2(lm, fl), "-", "-")
	row(sprintf("micro ns/lookup: one LPM trie %dk, random", n4 / 1000), lr, "-", "-", "-", "-")
	a = v("ew_allow_ack443", 2)
	row("micro ns/pkt: edgeward full, allowed ACK->443", a, "xdp-filter miss " xm, r2(a, xm), "<= 1.00x",
	    num(a) && num(xm) ? ok("ew_allow_ack443", 2, a <= xm) : "NA")
	a = v("ew_allow_syn8443", 2)
	row("micro ns/pkt: edgeward full, allowed SYN->8443 ACL+RL", a, "xdp-filter miss " xm, r2(a, xm), "<= 1.00x",
	    num(a) && num(xm) ? ok("ew_allow_syn8443", 2, a <= xm) : "NA")
	d = v("ew_drop", 2)
	row("micro ns/pkt: edgeward full, dropped (blocked /24)", d, "xdp-filter hit " xh, r2(d, xh), "<= 1.00x",
	    num(d) && num(xh) ? ok("ew_drop", 1, d <= xh) : "NA")
	a = v("ew_allow6_ack443", 2); d = v("ew_drop6", 2)
	row("micro ns/pkt: edgeward full, IPv6 allowed ACK->443", a, "floor " fl, r2(a, fl), "(info)", rv("ew_allow6_ack443", 2) == "" ? "-" : "NO" rv("ew_allow6_ack443", 2))
	row("micro ns/pkt: edgeward full, IPv6 dropped (/48)", d, "floor " fl, r2(d, fl), "(info)", rv("ew_drop6", 1) == "" ? "-" : "NO" rv("ew_drop6", 1))
	br = v("ew_bl_rand", 2)
	row(sprintf("micro ns/lookup: edgeward blocklist %dk, random", n4 / 1000), br, "one LPM trie " lr, r2(br, lr),
	    "< 300 ns", num(br) ? yn(br < 300) : "NA")

	xd = v("traffic_xdp_drop", 2); xdn = v("traffic_xdp_drop", 3)
	e = v("traffic_edgeward", 2); en = v("traffic_edgeward", 3)
	xf = v("traffic_xdp-filter_10k", 2); ip = v("traffic_ipset_hashnet_10k", 2)
	split("xdp_drop edgeward xdp-filter_10k ipset_hashnet_10k nft_set_10k ipt_raw_1rule", M, " ")
	for (i = 1; i <= 6; i++) {
		k = "traffic_" M[i]
		p = v(k, 2); n = v(k, 3); lk = v(k, 5)
		lab = M[i]
		if (num(lk) && lk > 1) { leak[M[i]] = 1; lab = lab sprintf(" LEAK %.0f%% to TCP", lk) }
		row("traffic Mpps dropped: " lab, p, i == 1 ? "-" : "XDP_DROP " xd, i == 1 ? "-" : r2(p, xd), "-", "-")
		row("traffic ns/pkt (NAPI CPU): " M[i], n, i == 1 ? "-" : "XDP_DROP " xdn, i == 1 ? "-" : r2(n, xdn), "-", "-")
	}
	xfn = v("traffic_xdp-filter_10k", 3); ipn = v("traffic_ipset_hashnet_10k", 3)
	row("traffic Mpps: edgeward vs xdp-filter 10k", e, "xdp-filter " xf, r2(e, xf), ">= 1.00x",
	    leak["edgeward"] ? "NO (flood leaked)" : num(e) && num(xf) ? yn(e >= xf) : "NA")
	row("traffic Mpps: edgeward vs ipset hash:net 10k", e, "ipset " ip, r2(e, ip), ">= 3.00x",
	    leak["edgeward"] ? "NO (flood leaked)" : num(e) && num(ip) ? yn(e >= 3 * ip) : "NA")
	# Capacity = 1000 / receiver ns per packet: what one core could drop, independent of how the
	# scheduler shared the CPU between generator and receiver in this run (Mpps swings more).
	row("traffic capacity Mpps/core: edgeward vs xdp-filter", num(en) ? sprintf("%.2f", 1000 / en) : "NA",
	    "xdp-filter " (num(xfn) ? sprintf("%.2f", 1000 / xfn) : "NA"), r2(xfn, en), ">= 1.00x",
	    leak["edgeward"] ? "NO (flood leaked)" : num(en) && num(xfn) ? yn(en <= xfn) : "NA")
	row("traffic capacity Mpps/core: edgeward vs ipset", num(en) ? sprintf("%.2f", 1000 / en) : "NA",
	    "ipset " (num(ipn) ? sprintf("%.2f", 1000 / ipn) : "NA"), r2(ipn, en), ">= 3.00x",
	    leak["edgeward"] ? "NO (flood leaked)" : num(en) && num(ipn) ? yn(3 * en <= ipn) : "NA")
	i4 = v("import4", 2)
	row(sprintf("import %dk IPv4 prefixes, wall s (%s)", n4 / 1000, imp4), i4, "-", "-", "< 2 s",
	    num(i4) ? (quick ? "(QUICK)" : yn(i4 < 2)) : "NA")
	i6 = v("import6", 2)
	row(sprintf("import %dk IPv6 prefixes, wall s (%s)", n6 / 1000, imp6), i6, "-", "-", "(info)", "-")
	vi = v("verifier", 2)
	row("verifier: ew_xdp processed insns", vi, "limit 1000000", num(vi) ? sprintf("%.2f%%", vi / 1e4) : "-",
	    "< 25%", num(vi) ? yn(vi < 250000) : "NA")
}' $RAW
echo
echo "== stage costs: edgeward ns/pkt (micro median) under policy variants =="
echo "   full = the bench policy (examples/edgeward.yaml + 4 allowlist entries + 8443/tcp ACL'd to"
echo "   198.51.100.0/24 and 10/8 and in a per-packet rate class); each variant switches one thing off;"
echo "   Δ = full - variant"
awk '
function v(k) { return (k in V) ? V[k] : "NA" }
{ V[$1] = $2 }
END {
	printf "%-10s %12s %12s %12s   %s\n", "variant", "ACK->443", "SYN->8443", "dropped", "what is off"
	split("full noallow noflags noevents noaclrl empty", N, " ")
	d["full"] = "nothing"; d["noallow"] = "allowlist (4 entries; stage skipped when empty)"
	d["noflags"] = "bogon and v4mapped checks"; d["noevents"] = "drop events (ringbuf sampling)"
	d["noaclrl"] = "ACLs and rate-limit classes"; d["empty"] = "whole policy (defaults)"
	for (i = 1; i <= 6; i++)
		printf "%-10s %12s %12s %12s   %s\n", N[i], v(N[i] "_ack443"), v(N[i] "_syn8443"), v(N[i] "_drop"), d[N[i]]
	for (i = 2; i <= 6; i++)
		printf "Δ %-8s %12.1f %12.1f %12.1f\n", N[i], v("full_ack443") - v(N[i] "_ack443"),
			v("full_syn8443") - v(N[i] "_syn8443"), v("full_drop") - v(N[i] "_drop")
	printf "blocklist stage alone (ew_bl4_match, warm, ns/call): allowed source %s, dropped source %s\n",
		v("bl4_one_allowsrc"), v("bl4_one_dropsrc")
	printf "XDP_PASS floor %s\n", v("xdp_pass")
}' $RAW
awk '$1=="info" && $2=="rand_hit_share"{printf "check: share of random addresses blocked: blocklist %s, LPM trie %s (must agree)\n", $4, $6}' $RAW
echo
echo "== raw =="
grep -v '^#' $RAW
echo "traffic samples (method rx_Mpps ns/pkt offered_Mpps leak%):"
cat $TRAW
} | tee $RES
log "results written to $RES"
exit 0
