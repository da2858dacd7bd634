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
#   5. API      edgewardd (build/edgewardd) under a development config with TLS on, private
#               pin dir /sys/fs/bpf/edgeward-bench-PID, state in the temp dir; daemon pinned to
#               API_SRV_CPU, clients (build/bench/api_bench) to API_CLI_CPU. Figures:
#               req/s of an authenticated GET (/v1/users/bench: token, RBAC, user store) over
#               API_CONNS keep-alive TLS connections, against GET /v1/health on the same
#               server as the baseline (median of API_REPS interleaved rounds); info rows for
#               /v1/stats, /v1/allow, TLS 1.2 and one connection. Block add: p50/p99 of
#               POST /v1/blocks (the whole call: TLS, token, map write, journal fdatasync), of
#               the journal append alone, and of the map write alone, in-process on the same
#               pins (the daemon's ops block.add, bl_import and bl_add of one rule) against
#               one raw bpf_map_update_elem, with few rules and again with API_NBLOCKS
#               rules, imported through the daemon (edgewardctl block import, else curl).
#               Memory: the daemon's VmRSS, RssAnon/RssFile and the part that is the mmap of
#               BPF maps (the 64 MiB ew_bl4_m24 summary is kernel memory mapped into the
#               writer: it counts in RssFile but is not the daemon's heap), at start, after
#               the import, after GET /v1/stats + a metrics scrape, and after a restart.
#               Also written as JSON to build/bench/api.json.
#   6. pipeline the controller's database and response paths (build/bench/pipeline_bench,
#               build/bench/respond_bench), on a private PostgreSQL 15 cluster
#               (scripts/pgtest.sh, /tmp/ewb-pipe-pg.XXXXXX on a free port) migrated with
#               `edgewardctl db migrate`, the login role edgeward_controller:
#               - audit ingest: the real shipper (pgship) ships a journal of PIPE_N events
#                 from a cold start; baseline: COPY of the same rows (CSV made from the
#                 shipper's own rows) into the same table; info: the shipper's statement
#                 sent back to back by blocking libpq. Events/s, medians of PIPE_REPS
#                 interleaved rounds, the table emptied (TRUNCATE, CHECKPOINT) before each
#                 and its row count checked after each.
#               - event -> kernel block: respond_bench (the response engine's fifth failed
#                 login until bl_add has returned) on the pin dir
#                 /sys/fs/bpf/edgeward-bench-pipe-PID, against one raw bpf_map_update_elem
#                 into the same ew_bl4 (pipeline_bench mapwrite).
#               - fleet propagation: 1 + PIPE_RECEIVERS fleet nodes (processes, pin dirs
#                 /sys/fs/bpf/edgeward-bench-pipe-PID-fleet-1..), node 1 publishes
#                 PIPE_BLOCKS /32s at PIPE_RATE/s, time until each is in the others'
#                 kernel maps; baseline: a raw NOTIFY -> LISTEN delivery on the same cluster
#                 at the same rate; info: an INSERT into audit.ip_blocklist -> its trigger's
#                 NOTIFY delivered.
#
# Env: REPS (default 5) rounds, DUR (3) seconds a flood, WARM (1), MEAS (0.2) seconds per
# micro measurement, QUICK=1 (REPS=3 DUR=1 MEAS=0.05, 200k+50k rules: for development),
# TX_CPU/RX_CPU (default: both on the last CPU; split across vCPUs the figures swing by 40%).
# SECTIONS (default "dataplane api pipeline": 1-4, 5 and 6); API_CONNS (16), API_SECS (5), API_REPS (3),
# API_ADDS (2000), API_ADDS_1M (30), API_NBLOCKS (1000000), API_MW_SECS (5) time cap per slow
# map-write method, API_SRV_CPU (0), API_CLI_CPU (last). EWB_EWD / EWB_API_BIN: other binaries.
# Pipeline: PIPE_N (200000; QUICK 50000) events, PIPE_REPS (3; QUICK 1), PIPE_BLOCKS (500;
# QUICK 200), PIPE_RATE (100), PIPE_RECEIVERS (2), PIPE_RESPOND_N (100000; QUICK 20000),
# PIPE_MW_N (20000; QUICK 5000); EWB_PIPE_BIN / EWB_RESPOND_BIN: other binaries. Its cluster,
# temp dir and pin dirs are removed on exit.
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
SECTIONS=${SECTIONS:-dataplane api pipeline}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
if [ "$QUICK" = 1 ]; then
	API_SECS=${API_SECS:-2}; API_REPS=${API_REPS:-1}; API_ADDS=${API_ADDS:-500}
	API_ADDS_1M=${API_ADDS_1M:-10}; API_MW_SECS=${API_MW_SECS:-2}
else
	API_SECS=${API_SECS:-5}; API_REPS=${API_REPS:-3}; API_ADDS=${API_ADDS:-2000}
	API_ADDS_1M=${API_ADDS_1M:-30}; API_MW_SECS=${API_MW_SECS:-5}
fi
API_SECS_INFO=$(( API_SECS < 3 ? API_SECS : 3 )); API_CONNS=${API_CONNS:-16}
API_NBLOCKS=${API_NBLOCKS:-1000000}
API_SRV_CPU=${API_SRV_CPU:-0}; API_CLI_CPU=${API_CLI_CPU:-$(( $(nproc) - 1 ))}
API_PID=""; API_PIN=""

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
	declare -F api_cleanup >/dev/null && api_cleanup	# the daemon by pid, its pin dir by name
	declare -F pipe_cleanup >/dev/null && pipe_cleanup	# its cluster, temp dir, pin dirs by name
	[ -n "$W" ] && rm -rf "$W"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "run as root (BPF, namespaces)"
want dataplane && { [ -x "$BIN" ] || die "$BIN missing: run make bench"; }
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

if want dataplane; then
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
	# No daemon in this section: edgewardctl writes the maps itself, journal in $W.
	export EDGEWARD_DIRECT=1 EDGEWARD_JOURNAL=$W/journal EDGEWARD_SOCKET=$W/none.sock
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
fi

# ---------- API: edgewardd over keep-alive TLS, the block-add path, memory ----------
# The daemon runs under a development config with TLS on (MFA off, so an admin token needs no
# TOTP; fast argon2 for the one user) and the API rate limit raised out of the way; taskset
# puts it on API_SRV_CPU and every client on API_CLI_CPU: the issue's "2 cores".
api_ms() { date +%s%N | awk '{printf "%.0f\n", $1 / 1e6}'; }
api_log_tail() { tail -n 5 $AT/daemon.log 2>/dev/null | sed 's/^/#   /' >&2; }
api_start() {	# start edgewardd on $AT/ewd.yaml, wait until it answers on its socket: API_START_MS
	local t0 i
	t0=$(api_ms)
	API_START_MS=NA
	EDGEWARD_TEST_ARGON2_FAST=1 taskset -c $API_SRV_CPU $EWD -c $AT/ewd.yaml >>$AT/daemon.log 2>&1 &
	API_PID=$!	# taskset execs the daemon: this is its pid
	for i in $(seq 300); do
		kill -0 $API_PID 2>/dev/null || { API_PID=""; api_log_tail; return 1; }
		[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket $AT/run/api.sock \
			http://x/v1/health 2>/dev/null)" = 200 ] && { API_START_MS=$(( $(api_ms) - t0 )); return 0; }
		sleep 0.05
	done
	api_log_tail; return 1
}
api_stop() {	# SIGTERM to the one daemon we started, by pid; KILL after 20 s
	local i
	[ -n "${API_PID:-}" ] || return 0
	kill $API_PID 2>/dev/null
	for i in $(seq 200); do kill -0 $API_PID 2>/dev/null || break; sleep 0.1; done
	kill -0 $API_PID 2>/dev/null && { log "edgewardd $API_PID did not stop: KILL"; kill -9 $API_PID; }
	wait $API_PID 2>/dev/null
	API_PID=""
}
api_cleanup() {
	api_stop
	[ -n "${API_PIN:-}" ] && [ -d "$API_PIN" ] && rm -rf "$API_PIN"
	return 0
}
api_free_port() {	# the first port from $1 on that nothing listens on
	local p
	for p in $(seq $1 $(( $1 + 500 ))); do
		ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return 0; }
	done
	return 1
}
api_mem() {	# LABEL: VmRSS RssAnon RssFile RssShmem VmHWM, and the Rss of BPF map mmaps (kB)
	local s b
	s=$(awk '/^(VmRSS|RssAnon|RssFile|RssShmem|VmHWM):/{v[$1]=$2}
		END{print v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"], v["VmHWM:"]}' \
		/proc/$API_PID/status)
	b=$(awk '/^[0-9a-f]+-[0-9a-f]+ /{bpf = ($6 ~ /bpf-map/)} /^Rss:/{if (bpf) s += $2}
		END{print s + 0}' /proc/$API_PID/smaps)
	put api_mem_$1 $s $b
}
api_get() {	# PATH: HTTPS GET with the token -> "HTTP_CODE SECONDS", body in $AT/get.out
	curl -s --cacert $AT/cert.pem -H "Authorization: Bearer $(cat $AT/token)" \
		-o $AT/get.out -w '%{http_code} %{time_total}\n' https://127.0.0.1:$API_PORT$1
}
api_bl4() {	# IPv4 rules as /v1/stats counts them, through the root socket
	curl -s --unix-socket $AT/run/api.sock http://x/v1/stats |
		grep -o '"bl4":{"entries":[0-9]*' | grep -o '[0-9]*$'
}
api_import() {	# FILE N: edgewardctl block import through the daemon, else POST /v1/blocks/import
	local t0 t1 how=edgewardctl n
	t0=$(api_ms)
	if ! [ -x "$CTL" ] || ! EDGEWARD_SOCKET=$AT/run/api.sock EDGEWARD_PIN_DIR=$API_PIN \
		$CTL -q block import $1 >$AT/imp.out 2>$AT/imp.err; then
		[ -x "$CTL" ] && log "edgewardctl block import failed: $(head -c 300 $AT/imp.err); using curl"
		how=curl
		awk 'BEGIN{printf "{\"reason\":\"bench\",\"entries\":["} {printf "%s{\"cidr\":\"%s\"}",
			NR > 1 ? "," : "", $1} END{print "]}"}' $1 >$AT/imp.json
		t0=$(api_ms)
		curl -s --unix-socket $AT/run/api.sock -H 'Content-Type: application/json' \
			--data-binary @$AT/imp.json -o $AT/imp.out http://x/v1/blocks/import ||
			{ log "POST /v1/blocks/import failed"; return 1; }
	fi
	t1=$(api_ms)
	# edgewardctl writes the maps itself when it cannot reach the daemon: not this figure.
	grep -qi emergency $AT/imp.err 2>/dev/null && { log "import: edgewardctl did not go through edgewardd"; how=direct; }
	n=$(api_bl4)
	[ "${n:-0}" -ge "$2" ] || { log "import: only ${n:-0} IPv4 rules after it: $(head -c 300 $AT/imp.out)"; return 1; }
	put api_import $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.3f", (b - a) / 1000}') $how $n
}
api_kmem() {	# kernel memory of the maps pinned in API_PIN (bpftool's memlock), bytes
	local f s=0 b
	for f in $API_PIN/ew_*; do
		b=$(bpftool -j map show pinned $f 2>/dev/null | grep -o '"bytes_memlock":[0-9]*' | cut -d: -f2)
		s=$(( s + ${b:-0} ))
	done
	echo $s
}
api_load() {	# TAG ROUND [api_bench load options] PATH
	local tag=$1 r=$2 out
	shift 2
	out=$(taskset -c $API_CLI_CPU $ABIN load --port $API_PORT --cacert $AT/cert.pem \
		--token-file $AT/token --conns $API_CONNS --server-pid $API_PID "$@" 2>$AT/load.err) ||
		{ log "api load $tag: $(head -c 300 $AT/load.err)"; return 1; }
	put api_load $tag $r ${out#load }
}

api_section() {
	local r n c
	EWD=${EWB_EWD:-$ROOT/build/edgewardd}
	ABIN=${EWB_API_BIN:-$ROOT/build/bench/api_bench}
	[ -x "$EWD" ] || { log "API: $EWD missing (make build/edgewardd): API rows skipped"; return 1; }
	for c in curl openssl ss; do command -v $c >/dev/null || { log "API: missing $c"; return 1; }; done
	# make bench builds api_bench when its rule links -lssl; else (or when stale) build it here.
	if ! [ -x "$ABIN" ] || [ bench/api_bench.c -nt "$ABIN" ] || [ build/libedgeward.a -nt "$ABIN" ]; then
		[ -z "${EWB_API_BIN:-}" ] || { log "API: $ABIN missing"; return 1; }
		mkdir -p build/bench
		gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser/lib -Ibuild \
			-o "$ABIN" bench/api_bench.c build/libedgeward.a \
			$(pkg-config --libs libbpf jansson yaml-0.1 openssl 2>/dev/null ||
			  echo -lbpf -ljansson -lyaml -lssl -lcrypto) -lelf -lz -lm ||
			{ log "API: cannot build $ABIN (is build/libedgeward.a built?)"; return 1; }
	fi
	AT=$W/api
	API_PIN=/sys/fs/bpf/edgeward-bench-$$
	mkdir -p $AT/state $AT/run && chmod 700 $AT $AT/state
	API_PORT=$(api_free_port 18443) && API_MPORT=$(api_free_port $(( API_PORT + 1 ))) ||
		{ log "API: no free port"; return 1; }
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1" -days 2 -keyout $AT/key.pem -out $AT/cert.pem \
		2>/dev/null || { log "API: openssl req failed"; return 1; }
	openssl rand -hex 32 >$AT/jwt.key
	chmod 600 $AT/key.pem $AT/jwt.key
	cat >$AT/ewd.yaml <<EOC
profile: development
daemon:
  pin_dir: $API_PIN
  state_dir: $AT/state
  journal: $AT/state/journal
  users_file: $AT/state/users.json
  pid_file: $AT/run/edgewardd.pid
  interfaces: []
api:
  unix_socket: $AT/run/api.sock
  listen: ["127.0.0.1:$API_PORT"]
  tls: {enabled: true, cert: $AT/cert.pem, key: $AT/key.pem}
  limits: {body_bytes: 67108864, max_conns: 1024, max_conns_per_source: 256}
  rate_limits:
    api: {rate: 100000/s, burst: 10000}
metrics: {enabled: true, listen: "127.0.0.1:$API_MPORT"}
security:
  authentication:
    jwt: {secret_file: $AT/jwt.key}
    mfa: {enabled: false}
  authorization:
    rbac: {debugMode: false, auditAllAccess: false}
EOC
	chmod 600 $AT/ewd.yaml
	$EWD --check -c $AT/ewd.yaml >/dev/null 2>$AT/check.err ||
		{ log "API: config refused: $(head -c 300 $AT/check.err)"; return 1; }
	put api_loadavg_before $(cut -d' ' -f1-3 /proc/loadavg)	# other work on the machine skews req/s
	log "API: edgewardd on cpu $API_SRV_CPU, clients on cpu $API_CLI_CPU, https://127.0.0.1:$API_PORT"
	api_start || { log "API: edgewardd did not start"; return 1; }
	put api_start_ms $API_START_MS
	api_mem start

	# one operator: admin, the role that may add blocks; its token for every client
	curl -s --unix-socket $AT/run/api.sock -H 'Content-Type: application/json' -X POST \
		http://x/v1/users -o $AT/user.out -d '{"username":"bench","email":"b@example.com",
		"first_name":"Ben","last_name":"Ch","role":"admin","password":"Tr0ub4dor&3-horse"}'
	curl -s --cacert $AT/cert.pem -H 'Content-Type: application/json' -o $AT/login.out \
		-d '{"username":"bench","password":"Tr0ub4dor&3-horse"}' https://127.0.0.1:$API_PORT/v1/auth/login
	grep -o '"access_token":"[^"]*"' $AT/login.out | cut -d'"' -f4 >$AT/token
	[ -s $AT/token ] || { log "API: login failed: $(head -c 300 $AT/user.out $AT/login.out)"; return 1; }

	# 1. req/s: health (no token) and the lightest authenticated GET, interleaved rounds
	log "API: load, $API_REPS rounds of ${API_SECS}s, $API_CONNS connections"
	for r in $(seq $API_REPS); do
		api_load health $r --seconds $API_SECS /v1/health
		api_load auth $r --seconds $API_SECS /v1/users/bench
	done
	api_load stats 1 --seconds $API_SECS_INFO /v1/stats
	api_load allow 1 --seconds $API_SECS_INFO /v1/allow
	api_load health12 1 --seconds $API_SECS_INFO --tls-max 1.2 /v1/health
	api_load auth12 1 --seconds $API_SECS_INFO --tls-max 1.2 /v1/users/bench
	api_load auth1c 1 --seconds $API_SECS_INFO --conns 1 /v1/users/bench

	# 2. block add: the whole call, its journal record, the map write alone (few rules)
	log "API: $API_ADDS block adds through the API, then the map write alone"
	n=$(taskset -c $API_CLI_CPU $ABIN add --port $API_PORT --cacert $AT/cert.pem \
		--token-file $AT/token --server-pid $API_PID --count $API_ADDS --first 198.18.0.0) && put api_add_low ${n#add }
	n=$(taskset -c $API_CLI_CPU $ABIN journal $AT/state/bench-journal --count 2000) &&
		put api_journal ${n#journal }
	taskset -c $API_CLI_CPU $ABIN mapwrite $API_PIN --count 10000 --first 198.19.0.0 \
		--max-seconds $API_MW_SECS | while read -r _ m rest; do put api_mw_low_$m $rest; done

	# 3. memory with 1M rules (imported through the daemon), stats, metrics, restart
	log "API: importing $API_NBLOCKS /32s through edgewardd"
	$ABIN cidrs $API_NBLOCKS 10.0.0.0 $AT/blocks.txt || return 1
	api_import $AT/blocks.txt $API_NBLOCKS || return 1
	api_mem import
	put api_stats_1m $(api_get /v1/stats)
	put api_metrics_1m $(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
		http://127.0.0.1:$API_MPORT/metrics)
	api_mem stats
	log "API: block adds and map writes with $(api_bl4) rules"
	n=$(taskset -c $API_CLI_CPU $ABIN add --port $API_PORT --cacert $AT/cert.pem \
		--token-file $AT/token --server-pid $API_PID --count $API_ADDS_1M --first 198.18.200.0) && put api_add_1m ${n#add }
	taskset -c $API_CLI_CPU $ABIN mapwrite $API_PIN --count 10000 --first 198.20.0.0 \
		--max-seconds $API_MW_SECS | while read -r _ m rest; do put api_mw_1m_$m $rest; done
	put api_kmem $(api_kmem)
	api_stop
	api_start || { log "API: edgewardd did not restart"; return 1; }
	put api_restart_ms $API_START_MS
	api_mem restart
	api_get /v1/stats >/dev/null
	curl -s -o /dev/null http://127.0.0.1:$API_MPORT/metrics
	api_mem restart_stats
	api_stop
	rm -rf "$API_PIN"
	put api_loadavg_after $(cut -d' ' -f1-3 /proc/loadavg)
	put api_machine "$(nproc)" "$(uname -r)" \
		"$(awk -F': ' '/^model name/{gsub(/ /, "_", $2); print $2; exit}' /proc/cpuinfo)" \
		"$(openssl version | awk '{print $2}')" "$(df -T $AT | awk 'NR==2{print $2}')"
	return 0
}
# The API table (and build/bench/api.json) from the api_* figures of $RAW.
api_table() {
	local json=$ROOT/build/bench/api.json
	mkdir -p $ROOT/build/bench
	echo "== edgewardd API: keep-alive TLS, $API_CONNS connections, daemon on cpu $API_SRV_CPU," \
		"clients on cpu $API_CLI_CPU, medians of $API_REPS rounds of ${API_SECS}s =="
	awk -v json=$json -v conns=$API_CONNS -v reps=$API_REPS -v secs=$API_SECS -v nblk=$API_NBLOCKS \
		-v srv=$API_SRV_CPU -v cli=$API_CLI_CPU -v quick=$QUICK -v ts="$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
function v(k, f) { return ((k, f) in V) ? V[k, f] : "NA" }
function num(x) { return x != "NA" && x != "" && x + 0 == x }
function row(fig, val, base, ratio, tgt, met) {
	printf "%-56s %14s %24s %9s %13s %s\n", fig, val, base, ratio, tgt, met }
function r2(a, b) { return num(a) && num(b) && b > 0 ? sprintf("%.2fx", a / b) : "-" }
function rx(a, b) { return num(a) && num(b) && b > 0 ? sprintf(a / b < 10 ? "%.2fx" : "%.0fx", a / b) : "-" }
function yn(c) { return c ? "yes" : "NO" }
function med(tag, f,    n, i, j, t, a) {	# median over the rounds of one load tag
	n = 0
	for (i = 1; i <= R[tag]; i++) if ((tag, i, f) in L) a[++n] = L[tag, i, f]
	if (!n) return "NA"
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function bad(tag,    i, s) {	# non-2xx answers and errors over the rounds of a tag
	s = 0
	for (i = 1; i <= R[tag]; i++) s += L[tag, i, 14] + L[tag, i, 15]
	return s
}
function mib(kb) { return num(kb) ? sprintf("%.1f", kb / 1024) : "NA" }
function own(lab) { return num(v("api_mem_" lab, 2)) ? v("api_mem_" lab, 2) - v("api_mem_" lab, 7) : "NA" }
function ms(us) { return num(us) ? sprintf("%.2f", us / 1000) : "NA" }
function jn(x) { return num(x) ? x + 0 : "null" }
function js(x) { gsub(/["\\]/, "", x); return "\"" x "\"" }
$1 == "api_load" { R[$2] = $3 > R[$2] ? $3 : R[$2]; for (i = 4; i <= NF; i++) L[$2, $3, i] = $i; next }
/^api_/ { for (i = 2; i <= NF; i++) V[$1, i] = $i }
END {
	row("figure", "value", "baseline", "ratio", "target", "met")
	h = med("health", 9); a = med("auth", 9); proto = L["auth", 1, 17]; ciph = L["auth", 1, 18]
	row(sprintf("API req/s: GET /v1/users/bench (token), %s", proto), a, "GET /v1/health " h,
	    r2(a, h), ">= 5000", num(a) ? (bad("auth") ? "NO (" bad("auth") " errors)" : yn(a >= 5000)) : "NA")
	row("API req/s: GET /v1/health (no token)", h, "-", "-", "-", bad("health") ? bad("health") " errors" : "-")
	# CPU time of the daemon per answer: what its core can serve, whatever else runs on it
	hc = med("health", 20); ac = med("auth", 20)
	row("daemon CPU us/request: GET /v1/users/bench", ac, "GET /v1/health " hc, r2(ac, hc), "<= 200 us",
	    num(ac) ? yn(ac <= 200) : "NA")
	row("  = req/s one daemon core can serve (1e6 / us)", num(ac) && ac > 0 ? sprintf("%.0f", 1e6 / ac) : "NA",
	    "health " (num(hc) && hc > 0 ? sprintf("%.0f", 1e6 / hc) : "NA"), r2(hc, ac), ">= 5000",
	    num(ac) && ac > 0 ? yn(1e6 / ac >= 5000) : "NA")
	row("daemon / client CPU % during the auth rounds", med("auth", 19) " / " med("auth", 21), "-", "-", "-",
	    med("auth", 19) < 90 ? "daemon not saturated" : "-")
	row("API latency ms p50/p99: GET /v1/users/bench", ms(med("auth", 10)) "/" ms(med("auth", 12)),
	    "health " ms(med("health", 10)) "/" ms(med("health", 12)), r2(med("auth", 12), med("health", 12)), "-", "-")
	a1 = L["auth1c", 1, 9]
	row("API req/s, 1 connection: GET /v1/users/bench", a1, "-", "-", "-", "-")
	row("API latency ms p50/p99, 1 connection: same", ms(L["auth1c", 1, 10]) "/" ms(L["auth1c", 1, 12]),
	    "-", "-", "-", "-")
	s = L["stats", 1, 9]; sc = L["stats", 1, 20]
	row("API req/s: GET /v1/stats (token; map fill walk)", s, "GET /v1/health " h, r2(s, h), "(info)",
	    num(s) ? (s >= 5000 ? "-" : "below 5000") : "NA")
	row("  daemon CPU us/request", sc, "health " hc, r2(sc, hc), "(info)", "-")
	s = L["allow", 1, 9]; sc = L["allow", 1, 20]
	row("API req/s: GET /v1/allow (token; policy decompile)", s, "GET /v1/health " h, r2(s, h), "(info)",
	    num(s) ? (s >= 5000 ? "-" : "below 5000") : "NA")
	row("  daemon CPU us/request", sc, "health " hc, r2(sc, hc), "(info)", "-")
	h2 = L["health12", 1, 9]; a2 = L["auth12", 1, 9]
	row(sprintf("API req/s: GET /v1/users/bench, %s", L["auth12", 1, 17]), a2, "GET /v1/health " h2,
	    r2(a2, h2), ">= 5000", num(a2) ? yn(a2 >= 5000) : "NA")

	split("low 1m", F, " ")
	for (fi = 1; fi <= 2; fi++) {
		f = F[fi]; fill = v("api_mw_" f "_raw", 3)
		lab = num(fill) ? sprintf("%d rules", fill) : "?"
		ad = "api_add_" f
		row(sprintf("block add API, whole call p50 ms (%s)", lab), ms(v(ad, 5)), "-", "-", "(info)",
		    v(ad, 10) + v(ad, 11) ? (v(ad, 10) + v(ad, 11)) " errors" : "-")
		row(sprintf("block add API, whole call p99 ms (%d calls)", v(ad, 2)), ms(v(ad, 7)), "-", "-",
		    "(info)", "-")
		row("block add API, daemon CPU us/call", v(ad, 13), "-", "-", "(info)", "-")
		rp50 = v("api_mw_" f "_raw", 4); rp99 = v("api_mw_" f "_raw", 6)
		row(sprintf("map write p50 us: raw bpf_map_update_elem (floor)"), rp50, "-", "-", "-", "-")
		row(sprintf("map write p99 us: raw bpf_map_update_elem (floor)"), rp99, "-", "-", "-", "-")
		split("op bl_import bl_add", M, " ")
		split("block.add op (the daemon'"'"'s)|bl_import of 1 rule|bl_add of 1 rule", D, "|")
		for (mi = 1; mi <= 3; mi++) {
			k = "api_mw_" f "_" M[mi]
			p50 = v(k, 4); p99 = v(k, 6)
			row(sprintf("map write p50 us: %s, n=%s", D[mi], v(k, 2)), p50, "raw " rp50, rx(p50, rp50), "-", "-")
			row(sprintf("map write p99 us: %s", D[mi]), p99, "raw " rp99, rx(p99, rp99), "< 1000 us",
			    num(p99) ? yn(p99 < 1000) : "NA")
		}
	}
	row("journal append + fdatasync p50/p99 us", v("api_journal", 3) "/" v("api_journal", 5), "-", "-", "(info)", "-")

	split("start import stats restart restart_stats", ML, " ")
	split("at start (empty maps)|after importing " nblk " rules|after GET /v1/stats + metrics|after a restart, rules pinned|restart + stats + metrics", MD, "|")
	for (mi = 1; mi <= 5; mi++) {
		k = "api_mem_" ML[mi]
		row("RSS MiB " MD[mi], mib(v(k, 2)), sprintf("anon %s file %s", mib(v(k, 3)), mib(v(k, 4))), "-",
		    "< 64 MiB", num(v(k, 2)) ? yn(v(k, 2) < 65536) : "NA")
		row("  own (VmRSS - BPF map mmaps " mib(v(k, 7)) " MiB)", mib(own(ML[mi])), "-", "-", "< 64 MiB",
		    num(own(ML[mi])) ? yn(own(ML[mi]) < 65536) : "NA")
	}
	row("peak VmHWM MiB (through the import)", mib(v("api_mem_stats", 6)), "-", "-", "-", "-")
	row(sprintf("import %d rules through edgewardd (%s), wall s", v("api_import", 4), v("api_import", 3)),
	    v("api_import", 2), "-", "-", "(info)", "-")
	row("GET /v1/stats with the rules, ms", num(v("api_stats_1m", 3)) ? v("api_stats_1m", 3) * 1000 : "NA",
	    "-", "-", "(info)", v("api_stats_1m", 2) == 200 ? "-" : "HTTP " v("api_stats_1m", 2))
	row("metrics scrape with the rules, ms", num(v("api_metrics_1m", 3)) ? v("api_metrics_1m", 3) * 1000 : "NA",
	    "-", "-", "(info)", v("api_metrics_1m", 2) == 200 ? "-" : "HTTP " v("api_metrics_1m", 2))
	row("kernel memory of the pinned maps (memlock), MiB", num(v("api_kmem", 2)) ? sprintf("%.1f", v("api_kmem", 2) / 1048576) : "NA",
	    "-", "-", "(info)", "-")
	row("daemon start / restart with the rules, ms", v("api_start_ms", 2) " / " v("api_restart_ms", 2), "-", "-", "(info)", "-")
	printf "machine: %s cpus, %s, kernel %s, OpenSSL %s, state dir on %s; %s %s\n", v("api_machine", 2),
	    v("api_machine", 4), v("api_machine", 3), v("api_machine", 5), v("api_machine", 6), proto, ciph
	printf "load average before/after the API section: %s %s %s / %s %s %s (2 busy cpus = 2.0)\n",
	    v("api_loadavg_before", 2), v("api_loadavg_before", 3), v("api_loadavg_before", 4),
	    v("api_loadavg_after", 2), v("api_loadavg_after", 3), v("api_loadavg_after", 4)

	# the same figures, as JSON
	printf "{\n  \"time\": %s, \"quick\": %s, \"conns\": %s, \"rounds\": %s, \"seconds\": %s,\n", js(ts), jn(quick), jn(conns), jn(reps), jn(secs) > json
	printf "  \"machine\": {\"cpus\": %s, \"cpu\": %s, \"kernel\": %s, \"openssl\": %s, \"fs\": %s, \"daemon_cpu\": %s, \"client_cpu\": %s, \"loadavg_before\": %s, \"loadavg_after\": %s},\n", jn(v("api_machine", 2)), js(v("api_machine", 4)), js(v("api_machine", 3)), js(v("api_machine", 5)), js(v("api_machine", 6)), jn(srv), jn(cli), jn(v("api_loadavg_before", 2)), jn(v("api_loadavg_after", 2)) > json
	printf "  \"load\": {\n" > json
	split("health auth auth1c stats allow health12 auth12", T, " ")
	for (ti = 1; ti <= 7; ti++) {
		t = T[ti]
		printf "    %s: {\"path\": %s, \"proto\": %s, \"cipher\": %s, \"conns\": %s, \"rounds\": %s, \"req_s\": %s, \"p50_us\": %s, \"p90_us\": %s, \"p99_us\": %s, \"max_us\": %s, \"bad\": %s, \"daemon_cpu_pct\": %s, \"daemon_cpu_us_per_req\": %s, \"client_cpu_pct\": %s}%s\n",
		    js(t), js(L[t, 1, 4]), js(L[t, 1, 17]), js(L[t, 1, 18]), jn(L[t, 1, 5]), jn(R[t]), jn(med(t, 9)), jn(med(t, 10)),
		    jn(med(t, 11)), jn(med(t, 12)), jn(med(t, 13)), jn(bad(t)), jn(med(t, 19)), jn(med(t, 20)), jn(med(t, 21)),
		    ti < 7 ? "," : "" > json
	}
	printf "  },\n  \"ratios\": {\"auth_over_health\": %s, \"auth_cpu_over_health_cpu\": %s, \"auth_over_health_tls12\": %s, \"stats_over_health\": %s},\n",
	    num(a) && num(h) ? a / h : "null", (num(ac) && num(hc) && hc > 0) ? ac / hc : "null", num(a2) && num(h2) ? a2 / h2 : "null",
	    num(L["stats", 1, 9]) && num(h) ? L["stats", 1, 9] / h : "null" > json
	printf "  \"block_add\": {\n" > json
	for (fi = 1; fi <= 2; fi++) {
		f = F[fi]; ad = "api_add_" f
		printf "    %s: {\"rules\": %s, \"api\": {\"n\": %s, \"req_s\": %s, \"p50_us\": %s, \"p90_us\": %s, \"p99_us\": %s, \"max_us\": %s, \"mean_us\": %s, \"bad\": %s, \"daemon_cpu_us_per_call\": %s},\n",
		    js(f), jn(v("api_mw_" f "_raw", 3)), jn(v(ad, 2)), jn(v(ad, 4)), jn(v(ad, 5)), jn(v(ad, 6)), jn(v(ad, 7)),
		    jn(v(ad, 8)), jn(v(ad, 9)), jn(v(ad, 10) + v(ad, 11)), jn(v(ad, 13)) > json
		split("raw bl_add bl_import op", M2, " ")
		for (mi = 1; mi <= 4; mi++) {
			k = "api_mw_" f "_" M2[mi]
			printf "      %s: {\"n\": %s, \"p50_us\": %s, \"p90_us\": %s, \"p99_us\": %s, \"max_us\": %s, \"mean_us\": %s, \"p99_over_raw\": %s}%s\n",
			    js(M2[mi]), jn(v(k, 2)), jn(v(k, 4)), jn(v(k, 5)), jn(v(k, 6)), jn(v(k, 7)), jn(v(k, 8)),
			    num(v(k, 6)) && num(v("api_mw_" f "_raw", 6)) ? v(k, 6) / v("api_mw_" f "_raw", 6) : "null",
			    mi < 4 ? "," : "" > json
		}
		printf "    }%s\n", fi < 2 ? "," : "" > json
	}
	printf "  },\n  \"journal\": {\"n\": %s, \"p50_us\": %s, \"p90_us\": %s, \"p99_us\": %s, \"max_us\": %s},\n",
	    jn(v("api_journal", 2)), jn(v("api_journal", 3)), jn(v("api_journal", 4)), jn(v("api_journal", 5)), jn(v("api_journal", 6)) > json
	printf "  \"memory_kib\": {\n" > json
	for (mi = 1; mi <= 5; mi++) {
		k = "api_mem_" ML[mi]
		printf "    %s: {\"vmrss\": %s, \"rss_anon\": %s, \"rss_file\": %s, \"rss_shmem\": %s, \"vmhwm\": %s, \"bpf_map_mmaps\": %s, \"own\": %s}%s\n",
		    js(ML[mi]), jn(v(k, 2)), jn(v(k, 3)), jn(v(k, 4)), jn(v(k, 5)), jn(v(k, 6)), jn(v(k, 7)), jn(own(ML[mi])),
		    mi < 5 ? "," : "" > json
	}
	printf "  },\n  \"import\": {\"rules\": %s, \"via\": %s, \"seconds\": %s},\n", jn(v("api_import", 4)), js(v("api_import", 3)), jn(v("api_import", 2)) > json
	printf "  \"with_rules\": {\"stats_s\": %s, \"metrics_s\": %s, \"kernel_map_bytes\": %s, \"start_ms\": %s, \"restart_ms\": %s}\n}\n",
	    jn(v("api_stats_1m", 3)), jn(v("api_metrics_1m", 3)), jn(v("api_kmem", 2)), jn(v("api_start_ms", 2)), jn(v("api_restart_ms", 2)) > json
}' $RAW
	echo "(API figures also in $json)"
}

if want api; then
	api_section || log "API: section incomplete (rows show NA)"
	api_cleanup
fi

# ---------- pipeline: audit ingest into PostgreSQL, event -> kernel block, fleet propagation ----------
# A private cluster (scripts/pgtest.sh: fsync on, 127.0.0.1 only) with the project's migrations;
# pipeline_bench and respond_bench run unpinned (PostgreSQL's backends share the CPUs with them).
if [ "$QUICK" = 1 ]; then
	PIPE_N=${PIPE_N:-50000}; PIPE_REPS=${PIPE_REPS:-1}; PIPE_BLOCKS=${PIPE_BLOCKS:-200}
	PIPE_RESPOND_N=${PIPE_RESPOND_N:-20000}; PIPE_MW_N=${PIPE_MW_N:-5000}
else
	PIPE_N=${PIPE_N:-200000}; PIPE_REPS=${PIPE_REPS:-3}; PIPE_BLOCKS=${PIPE_BLOCKS:-500}
	PIPE_RESPOND_N=${PIPE_RESPOND_N:-100000}; PIPE_MW_N=${PIPE_MW_N:-20000}
fi
PIPE_RATE=${PIPE_RATE:-100}; PIPE_RECEIVERS=${PIPE_RECEIVERS:-2}
PIPE_PG=""; PIPE_PORT=""; PIPE_PIN=/sys/fs/bpf/edgeward-bench-pipe-$$
pipe_cleanup() {	# the cluster (pg_clean: only a dir pg_start made), the pin dirs, by exact name
	local i
	[ -n "${PIPE_PG:-}" ] && declare -F pg_clean >/dev/null && pg_clean "$PIPE_PG"
	PIPE_PG=""
	[ -d "$PIPE_PIN" ] && rm -rf "$PIPE_PIN"
	for i in $(seq $(( PIPE_RECEIVERS + 1 ))); do
		[ -d "$PIPE_PIN-fleet-$i" ] && rm -rf "$PIPE_PIN-fleet-$i"
	done
	return 0
}
pipe_sql() { pg_psql $PIPE_PORT edgeward -At "$@"; }
pipe_empty() { pipe_sql -c "TRUNCATE audit.security_events" -c "CHECKPOINT" >/dev/null; }
pipe_rows() { pipe_sql -c "SELECT count(*) || ' ' || count(DISTINCT id) FROM audit.security_events"; }

pipe_section() {
	local PB=${EWB_PIPE_BIN:-$ROOT/build/bench/pipeline_bench} RB=${EWB_RESPOND_BIN:-$ROOT/build/bench/respond_bench}
	local T=$W/pipe conn out r b why
	for b in $PB $RB $CTL; do
		[ -x "$b" ] || { log "pipeline: $b missing (make bench builds it)"; return 1; }
	done
	for b in psql ss runuser; do command -v $b >/dev/null || { log "pipeline: missing $b"; return 1; }; done
	mkdir -p $T && chmod 700 $T
	put pipe_loadavg_before $(cut -d' ' -f1-3 /proc/loadavg)

	# 1. event -> kernel block: no database; the raw write first, on the maps respond_bench reuses
	log "pipeline: event -> kernel block: $PIPE_MW_N raw map writes, respond_bench -n $PIPE_RESPOND_N"
	rm -rf "$PIPE_PIN"
	if $PB mapwrite $PIPE_PIN --count $PIPE_MW_N >$T/mw.out 2>$T/mw.err; then
		awk '$1=="mapwrite"{$1=""; $2="pipe_mw_" $2; print substr($0, 2)}' $T/mw.out >> $RAW
	else
		log "pipeline: mapwrite failed: $(head -c 300 $T/mw.err)"
	fi
	$RB -n $PIPE_RESPOND_N --pin-dir $PIPE_PIN >$T/respond.out || log "pipeline: respond_bench exited $?"
	grep -q 'respond kernel skipped' $T/respond.out && log "pipeline: $(grep 'kernel skipped' $T/respond.out)"
	# "respond NAME n=N p50=..us p99=..us p999=..us max=..us" -> "pipe_respond_NAME N P50 P99 P999 MAX"
	awk '$1=="respond" && $3 ~ /^n=/ { o = "pipe_respond_" $2
		for (i = 3; i <= NF; i++) { v = $i; sub(/^[a-z0-9]+=/, "", v); sub(/us$/, "", v); o = o " " v }
		print o }' $T/respond.out >> $RAW
	rm -rf "$PIPE_PIN"

	# 2. the cluster, migrated; the controller's role logs in (as edgewardd would)
	source "$ROOT/scripts/pgtest.sh"
	why=$(pg_available) || { log "pipeline: $why"; return 1; }
	PIPE_PG=$(mktemp -d /tmp/ewb-pipe-pg.XXXXXX) || return 1
	PIPE_PORT=$(pg_free_port) || { log "pipeline: no free port"; return 1; }
	pg_start $PIPE_PG $PIPE_PORT || { log "pipeline: the cluster did not start"; return 1; }
	pg_psql $PIPE_PORT postgres -c "CREATE DATABASE edgeward" >/dev/null || return 1
	$CTL db migrate --db "host=127.0.0.1 port=$PIPE_PORT dbname=edgeward user=postgres" \
		>$T/migrate.out 2>&1 || { log "pipeline: db migrate: $(tail -c 300 $T/migrate.out)"; return 1; }
	pipe_sql -c "ALTER ROLE edgeward_controller LOGIN" >/dev/null || return 1
	conn="host=127.0.0.1 port=$PIPE_PORT dbname=edgeward user=edgeward_controller"
	put pipe_pg "$(pipe_sql -c 'SHOW server_version' | awk '{print $1}')" \
		"$(df -T $PIPE_PG | awk 'NR==2{print $2}')" "$(pipe_sql -c 'SHOW fsync')" \
		"$(pipe_sql -c 'SHOW synchronous_commit')" \
		"$(pipe_sql -c 'SELECT count(*) FROM public.schema_migrations')" \
		"$(pipe_sql -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'audit' AND tablename = 'security_events'")"

	# 3. audit ingest: one journal, three ways into the same (emptied) table, interleaved rounds
	log "pipeline: ingest of $PIPE_N events, $PIPE_REPS round(s) of pgship / COPY / its statement"
	out=$($PB fill $T/journal $PIPE_N) || { log "pipeline: fill failed"; return 1; }
	put pipe_fill ${out#fill }
	out=$($PB csv $T/journal $T/rows.csv bench-node) || { log "pipeline: csv failed"; return 1; }
	for r in $(seq $PIPE_REPS); do
		pipe_empty
		if out=$($PB ship --journal $T/journal --state $T/state.$r --conninfo "$conn" \
			--node bench-node --count $PIPE_N --max-seconds 300 2>>$T/ship.err); then
			put pipe_ship $r ${out#ship } $(pipe_rows)
		else
			log "pipeline: ship round $r failed: $(tail -c 300 $T/ship.err)"
		fi
		pipe_empty
		if out=$($PB copy --conninfo "$conn" --csv $T/rows.csv 2>>$T/copy.err); then
			put pipe_copy $r ${out#copy } $(pipe_rows)
		else
			log "pipeline: COPY round $r failed: $(tail -c 300 $T/copy.err)"
		fi
		pipe_empty
		if out=$($PB sql --journal $T/journal --conninfo "$conn" --node bench-node \
			--state-probe $T/state.probe 2>>$T/sql.err); then
			put pipe_stmt $r ${out#sql } $(pipe_rows)
		else
			log "pipeline: statement round $r failed: $(tail -c 300 $T/sql.err)"
		fi
		log "pipeline: ingest round $r/$PIPE_REPS done"
	done
	pipe_empty
	rm -f $T/journal $T/rows.csv

	# 4. fleet: the floor (NOTIFY alone, then through the table's trigger), then the nodes
	log "pipeline: fleet: $PIPE_BLOCKS blocks at $PIPE_RATE/s: raw NOTIFY, table NOTIFY, 1+$PIPE_RECEIVERS nodes"
	if out=$($PB notify --conninfo "$conn" --count $PIPE_BLOCKS --rate $PIPE_RATE --mode notify 2>$T/notify.err); then
		put pipe_notify ${out#notify notify }
	else
		log "pipeline: raw NOTIFY failed: $(tail -c 300 $T/notify.err)"
	fi
	if out=$($PB notify --conninfo "$conn" --count $PIPE_BLOCKS --rate $PIPE_RATE --mode table 2>>$T/notify.err); then
		put pipe_notify_table ${out#notify table }
	else
		log "pipeline: ip_blocklist NOTIFY failed: $(tail -c 300 $T/notify.err)"
	fi
	pipe_sql -c "TRUNCATE audit.ip_blocklist" >/dev/null
	$PB fleet --conninfo "$conn" --pin-base $PIPE_PIN-fleet --count $PIPE_BLOCKS --rate $PIPE_RATE \
		--receivers $PIPE_RECEIVERS --max-seconds $(( PIPE_BLOCKS / PIPE_RATE + 60 )) \
		>$T/fleet.out 2>$T/fleet.err ||
		log "pipeline: fleet: $(grep -v 'connected to PostgreSQL' $T/fleet.err | tail -c 300)"
	awk '$1=="fleet"{$1="pipe_fleet"; print} $1=="fleet_node"{$1="pipe_fleet_node"; print}' $T/fleet.out >> $RAW
	put pipe_fleet_rows $(pipe_sql -c "SELECT count(*) FROM audit.ip_blocklist WHERE ip_address << '198.18.0.0/15'")
	put pipe_loadavg_after $(cut -d' ' -f1-3 /proc/loadavg)
	return 0
}
# The pipeline table, from the pipe_* figures of $RAW.
pipe_table() {
	echo "== pipeline: audit ingest into PostgreSQL, event -> kernel block, fleet propagation =="
	awk -v n=$PIPE_N -v reps=$PIPE_REPS -v blocks=$PIPE_BLOCKS -v rate=$PIPE_RATE -v recv=$PIPE_RECEIVERS \
		-v rn=$PIPE_RESPOND_N -v cpus=$(nproc) '
function v(k, f) { return ((k, f) in V) ? V[k, f] : "NA" }
function num(x) { return x != "NA" && x != "" && x + 0 == x }
function row(fig, val, base, ratio, tgt, met) {
	printf "%-60s %16s %26s %8s %11s %s\n", fig, val, base, ratio, tgt, met }
function r2(a, b) { return num(a) && num(b) && b > 0 ? sprintf(a / b < 10 ? "%.2fx" : "%.0fx", a / b) : "-" }
function yn(c) { return c ? "yes" : "NO" }
function ms(us) { return num(us) ? sprintf("%.2f", us / 1000) : "NA" }
function med(k, f,    m, i, j, t, a) {	# median of field f over the rounds of k
	m = 0
	for (i = 1; i <= R[k]; i++) if ((k, i, f) in L) a[++m] = L[k, i, f]
	if (!m) return "NA"
	for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function span(k, f,    i, lo, hi) {	# "lo..hi" over the rounds
	for (i = 1; i <= R[k]; i++) if ((k, i, f) in L) {
		if (lo == "" || L[k, i, f] < lo) lo = L[k, i, f]
		if (hi == "" || L[k, i, f] > hi) hi = L[k, i, f]
	}
	return lo == "" ? "NA" : lo ".." hi
}
function bad(k, fr,    i, b) {	# rounds whose table did not hold exactly N distinct rows
	b = 0
	for (i = 1; i <= R[k]; i++) if ((k, i, fr) in L && (L[k, i, fr] != n || L[k, i, fr + 1] != n)) b++
	return b
}
$1 == "pipe_ship" || $1 == "pipe_copy" || $1 == "pipe_stmt" {
	R[$1] = $2 > R[$1] ? $2 : R[$1]; for (i = 3; i <= NF; i++) L[$1, $2, i] = $i; next }
$1 == "pipe_fleet_node" { FN[$2] = $3 " " $4 " " $5 " " $6; next }
/^pipe_/ { for (i = 2; i <= NF; i++) V[$1, i] = $i }
END {
	row("figure", "value", "baseline", "ratio", "target", "met")
	# pipe_ship R N SECS EPS BATCHES INSERTED ERRORS RECONNECTS ROWS DISTINCT
	s = med("pipe_ship", 5); c = med("pipe_copy", 5); q = med("pipe_stmt", 5)
	sb = bad("pipe_ship", 10); cb = bad("pipe_copy", 6); qb = bad("pipe_stmt", 9)
	row(sprintf("audit ingest events/s: pgship, %dk events, cold", n / 1000), num(s) ? sprintf("%.0f", s) : "NA",
	    "COPY " (num(c) ? sprintf("%.0f", c) : "NA"), r2(s, c), ">= 50000",
	    !num(s) ? "NA" : sb ? "NO (" sb " rounds: rows missing)" : yn(s >= 50000))
	row("  rounds: pgship events/s min..max", span("pipe_ship", 5), "COPY " span("pipe_copy", 5), "-", "-", "-")
	row("  COPY ... FROM STDIN (CSV), same rows, 1 transaction", num(c) ? sprintf("%.0f", c) : "NA", "-", "-",
	    "(baseline)", cb ? "rows missing in " cb " rounds" : "-")
	row("  pgship statement alone, blocking, batches of 1000", num(q) ? sprintf("%.0f", q) : "NA",
	    "COPY " (num(c) ? sprintf("%.0f", c) : "NA"), r2(q, c), "(info)", qb ? "rows missing in " qb " rounds" : "-")
	row("  pgship / its statement alone", num(s) ? sprintf("%.0f", s) : "NA",
	    "statement " (num(q) ? sprintf("%.0f", q) : "NA"), r2(s, q), "(info)", "-")
	row("  pgship wall s / batches / errors (median round)", med("pipe_ship", 4) " / " med("pipe_ship", 6) " / " \
	    med("pipe_ship", 8), "COPY s " med("pipe_copy", 4), "-", "(info)", "-")
	rd = med("pipe_stmt", 7); sv = med("pipe_stmt", 8)
	row("  pgship client side: journal read + encode, events/s", num(rd) && rd > 0 ? sprintf("%.0f", n / rd) : "NA",
	    "-", "-", "(info)", "-")
	row("  pgship client side: position save per batch, ms", sv, "statement per batch " \
	    (num(med("pipe_stmt", 4)) && med("pipe_stmt", 6) > 0 ? sprintf("%.2f", 1000 * med("pipe_stmt", 4) / med("pipe_stmt", 6)) : "NA"),
	    "-", "(info)", "-")

	# pipe_respond_NAME N P50 P99 P999 MAX; pipe_mw_M N P50 P90 P99 P999 MAX MEAN
	k50 = v("pipe_respond_kernel", 3); k99 = v("pipe_respond_kernel", 4)
	w50 = v("pipe_mw_raw", 3); w99 = v("pipe_mw_raw", 5)
	row(sprintf("event -> kernel block p50 us (respond kernel, n=%s)", v("pipe_respond_kernel", 2)), k50,
	    "raw map write " w50, r2(k50, w50), "-", "-")
	row("event -> kernel block p99 us", k99, "raw map write " w99, r2(k99, w99), "< 1000 us",
	    num(k99) ? yn(k99 < 1000) : "NA")
	row("  p99.9 / max us", v("pipe_respond_kernel", 5) " / " v("pipe_respond_kernel", 6),
	    "raw " v("pipe_mw_raw", 6) " / " v("pipe_mw_raw", 7), "-", "(info)", "-")
	row(sprintf("  lock + bl_add + unlock p50/p99 us (n=%s)", v("pipe_mw_bl_add", 2)),
	    v("pipe_mw_bl_add", 3) " / " v("pipe_mw_bl_add", 5), "raw " w50 " / " w99,
	    r2(v("pipe_mw_bl_add", 5), w99), "(info)", "-")
	row("  response engine alone p50/p99 us (no map)", v("pipe_respond_engine", 3) " / " v("pipe_respond_engine", 4),
	    "-", "-", "(info)", "-")
	row("  sshd line -> block callback p50/p99 us (no map)", v("pipe_respond_line", 3) " / " v("pipe_respond_line", 4),
	    "-", "-", "(info)", "-")
	row("  a non-final event p50/p99 us", v("pipe_respond_event", 3) " / " v("pipe_respond_event", 4),
	    "-", "-", "(info)", "-")

	# pipe_fleet N EXPECTED P50 P90 P99 P999 MAX MEAN; pipe_notify[_table] N P50 P90 P99 P999 MAX MEAN
	f50 = v("pipe_fleet", 4); f99 = v("pipe_fleet", 6); got = v("pipe_fleet", 2); want = v("pipe_fleet", 3)
	n50 = v("pipe_notify", 3); n99 = v("pipe_notify", 5)
	miss = num(got) && num(want) && got < want
	row(sprintf("fleet propagation p50 ms (%d blocks, %d/s, %d receivers)", blocks, rate, recv), ms(f50),
	    "raw NOTIFY " ms(n50), r2(f50, n50), "-", "-")
	row("fleet propagation p99 ms", ms(f99), "raw NOTIFY " ms(n99), r2(f99, n99), "< 100 ms",
	    !num(f99) ? "NA" : miss ? "NO (" got " of " want " arrived)" : yn(f99 < 100000))
	row("  p99.9 / max ms; samples", ms(v("pipe_fleet", 7)) " / " ms(v("pipe_fleet", 8)) "; " got,
	    "raw " ms(v("pipe_notify", 6)) " / " ms(v("pipe_notify", 7)), "-", "(info)", "-")
	for (k = 2; k <= recv + 1; k++) if (k in FN) { split(FN[k], a, " ")
		row(sprintf("  node %d: n, p50 / p99 ms", k), a[1] ", " ms(a[2]) " / " ms(a[3]), "-", "-", "(info)", "-") }
	t50 = v("pipe_notify_table", 3); t99 = v("pipe_notify_table", 5)
	row("  ip_blocklist INSERT -> trigger NOTIFY p50/p99 ms", ms(t50) " / " ms(t99),
	    "raw " ms(n50) " / " ms(n99), r2(t99, n99), "(info)", "-")
	row("  rows node 1 wrote to audit.ip_blocklist", v("pipe_fleet_rows", 2), "-", "-", "(info)",
	    num(v("pipe_fleet_rows", 2)) && v("pipe_fleet_rows", 2) != blocks ? "NO (want " blocks ")" : "-")
	printf "PostgreSQL %s on %s, fsync %s, synchronous_commit %s, %s migrations, %s indexes on audit.security_events\n",
	    v("pipe_pg", 2), v("pipe_pg", 3), v("pipe_pg", 4), v("pipe_pg", 5), v("pipe_pg", 6), v("pipe_pg", 7)
	printf "load average before/after the pipeline section: %s %s %s / %s %s %s (%d cpus; nothing pinned)\n",
	    v("pipe_loadavg_before", 2), v("pipe_loadavg_before", 3), v("pipe_loadavg_before", 4),
	    v("pipe_loadavg_after", 2), v("pipe_loadavg_after", 3), v("pipe_loadavg_after", 4), cpus
}' $RAW
}

if want pipeline; then
	pipe_section || log "pipeline: section incomplete (rows show NA)"
	pipe_cleanup
fi

# ---------- the table ----------
T_END=$(date +%s)
{
if want dataplane; then
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
fi
want api && api_table
want pipeline && { echo; pipe_table; }
echo
echo "== raw =="
grep -v '^#' $RAW
if want dataplane; then
	echo "traffic samples (method rx_Mpps ns/pkt offered_Mpps leak%):"
	cat $TRAW
fi
} | tee $RES
log "results written to $RES"
exit 0
