#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# edgewardctl end to end, as root, on a private pin directory and a private
# veth pair in a private network namespace:
#   - every command and subcommand, each output checked in -j (python3 parses it);
#   - --help of every command;
#   - a corpus of hostile input (addresses, durations, rates, ports, names,
#     policy files), each rejected with exit 1, a message naming the item
#     (FILE:LINE for files) and the maps exactly as before (dumps compared);
#   - traffic through the filter: counters, DROPPED: events, the rate cap;
#   - emergency mode (no daemon, the default here): each change recorded in a
#     private journal, reads and refused changes not; the fallback warning;
#   - the daemon path, against a fake edgewardd on a private Unix socket: the
#     request each command sends and how it shows the answer.
# Prints "ok - name" / "not ok - name: why" and "N passed, N failed".
# Exit 0 all passed, 1 a failure, 77 skip (not root, no bpffs).
#
# Run from the repository root; EDGEWARDCTL overrides the binary under test.
set -u

CTL_BIN=${EDGEWARDCTL:-$PWD/build/edgewardctl}
EXAMPLE=$PWD/examples/edgeward.yaml
NS=ewcli$$
PIN=/sys/fs/bpf/edgeward-test-cli-$$
export EDGEWARD_PIN_DIR=$PIN
TMP=$(mktemp -d /tmp/ewcli.XXXXXX)
# Emergency mode (no daemon) on private paths: never the system's socket or journal.
export EDGEWARD_DIRECT=1 EDGEWARD_SOCKET=$TMP/none.sock EDGEWARD_JOURNAL=$TMP/journal
# The system interpreter: a version-manager shim costs 100 ms a call.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
pass=0
fail=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (BPF, network namespaces)" >&2
	exit 77
fi
if [ ! -x "$CTL_BIN" ] || [ -d "$CTL_BIN" ]; then
	echo "not ok - setup: $CTL_BIN is not an executable (run make first)"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! mountpoint -q /sys/fs/bpf; then
	echo "SKIP: /sys/fs/bpf is not mounted" >&2
	exit 77
fi

FAKE_PID=
cleanup() {
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$PIN" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" || { echo "not ok - setup: ip netns add $NS"; echo "0 passed, 1 failed"; exit 1; }
ip -n "$NS" link add ewa type veth peer name ewb &&
	ip -n "$NS" link set ewa address 02:00:00:00:00:0a &&
	ip -n "$NS" link set ewb address 02:00:00:00:00:0b &&
	ip -n "$NS" link set ewa up && ip -n "$NS" link set ewb up &&
	ip -n "$NS" link set lo up ||
	{ echo "not ok - setup: veth pair in $NS"; echo "0 passed, 1 failed"; exit 1; }

# Every command runs inside the namespace (attachments and interface names
# are per namespace; pinned maps are not).
CTL=(nsenter "--net=/run/netns/$NS" "$CTL_BIN")

ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}
nok() {
	fail=$((fail + 1))
	echo "not ok - $1: $2"
}

# run ARGS...: sets out, err, rc.
run() {
	out=$("${CTL[@]}" "$@" 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
}

# pyj JSON EXPR: true when the Python expression (d = parsed JSON) holds.
pyj() {
	$PY -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

# expect NAME EXPR ARGS...: run "-j ARGS", want exit 0 and EXPR true on the output.
expect() {
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

# expect_text NAME PATTERN ARGS...: text mode, exit 0, stdout matches the grep -E pattern.
expect_text() {
	local name=$1 pat=$2
	shift 2
	run "$@"
	if [ "$rc" -ne 0 ]; then
		nok "$name" "exit $rc (err: $err)"
	elif ! grep -Eq -- "$pat" <<<"$out"; then
		nok "$name" "output does not match /$pat/: $out"
	else
		ok "$name"
	fi
}

# Everything a rejected command must leave unchanged. Expiry countdowns are
# dropped from the block list (they move with the clock); the rest must match.
dump() {
	"${CTL[@]}" -j block list 2>&1 |
		sed -E 's/"expires":"[^"]*","expires_in_s":(null|[0-9]+),//g'
	"${CTL[@]}" -j policy show 2>&1
	"${CTL[@]}" -j allow list 2>&1
	"${CTL[@]}" -j acl list 2>&1
	"${CTL[@]}" -j ratelimit list 2>&1
}

# reject NAME WANT ARGS...: "-j ARGS" must exit 1 with {"error": ...} naming
# WANT, and change no map. The same command in text mode must say it on stderr.
reject() {
	local name=$1 want=$2 before after msg
	shift 2
	before=$(dump)
	run -j "$@"
	after=$(dump)
	if [ "$rc" -ne 1 ]; then
		nok "$name" "exit $rc, expected 1 (out: $out; err: $err)"
		return
	fi
	msg=$($PY -c 'import json, sys; print(json.loads(sys.argv[1])["error"])' "$out" 2>/dev/null)
	if [ -z "$msg" ]; then
		nok "$name" "no {\"error\": ...} on stdout: $out"
		return
	fi
	if [[ $msg != *"$want"* ]]; then
		nok "$name" "message does not name '$want': $msg"
		return
	fi
	if [ "$before" != "$after" ]; then
		nok "$name" "maps changed: $(diff <(echo "$before") <(echo "$after") | head -5)"
		return
	fi
	run "$@"
	if [ "$rc" -ne 1 ] || [[ $err != *"$want"* ]]; then
		nok "$name" "text mode: exit $rc, stderr: $err"
		return
	fi
	ok "$name"
}

# reject_file NAME FILE LINE [ARGS...]: apply must fail naming FILE:LINE, maps unchanged.
reject_file() {
	local name=$1 file=$2 line=$3
	shift 3
	reject "$name" "$file:$line" apply "$file" "$@"
}

# usage NAME ARGS...: a usage error exits 2 and changes nothing.
usage_err() {
	local name=$1 before after
	shift
	before=$(dump)
	run -j "$@"
	after=$(dump)
	if [ "$rc" -ne 2 ]; then
		nok "$name" "exit $rc, expected 2 (out: $out)"
	elif ! pyj "$out" '"error" in d'; then
		nok "$name" "no JSON error: $out"
	elif [ "$before" != "$after" ]; then
		nok "$name" "maps changed"
	else
		ok "$name"
	fi
}

# send SRC DST DPORT N: N TCP SYNs through ewb into ewa (and its XDP program).
# Pinned to one CPU: the receiving veth runs XDP on the sender's CPU, and the
# suppressed-event counts that the events line reports are kept per CPU.
send() {
	taskset -c 0 nsenter "--net=/run/netns/$NS" $PY - "$@" <<'EOF'
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s >> 16) + (s & 0xffff)
    return (~s) & 0xffff
src, dst, dport, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tcp = struct.pack('!HHIIBBHHH', 40000, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack('!H', csum(ph + tcp)) + tcp[18:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('ewb', 0))
frame = bytes.fromhex('02000000000a') + bytes.fromhex('02000000000b') + b'\x08\x00' + ip + tcp
for _ in range(n):
    s.send(frame)
EOF
}

# ---------------------------------------------------------------- help

for c in "attach" "detach" "status" "reload" "block" "block add" "block del" "block list" \
	"block import" "block flush" "allow" "allow add" "allow del" "allow list" "acl" \
	"acl add" "acl del" "acl list" "ratelimit" "ratelimit set" "ratelimit del" \
	"ratelimit list" "policy" "policy show" "policy set" "apply" "stats" "events" \
	"version" "help"; do
	# shellcheck disable=SC2086
	run $c --help
	if [ "$rc" -eq 0 ] && grep -q '^Usage:' <<<"$out" && grep -q 'Example' <<<"$out"; then
		ok "help: $c --help"
	else
		nok "help: $c --help" "exit $rc, output: $(head -3 <<<"$out")"
	fi
done
run --help
[ "$rc" -eq 0 ] && grep -q '^Usage:' <<<"$out" && ok "help: --help" || nok "help: --help" "exit $rc"
run help block add
[ "$rc" -eq 0 ] && grep -q '^Usage: .*block add' <<<"$out" && ok "help: help block add" ||
	nok "help: help block add" "exit $rc: $out"
run block add -h
[ "$rc" -eq 0 ] && grep -q '^Usage:' <<<"$out" && ok "help: block add -h" || nok "help: block add -h" "exit $rc"

# ---------------------------------------------------------------- dispatch

expect "version -j" 'd["abi"] >= 1 and d["version"]' version
expect "prefix: vers = version" '"version" in d' vers
usage_err "ambiguous prefix 'a'" a
run -j a
pyj "$out" '"attach" in d["error"] and "allow" in d["error"] and "acl" in d["error"]' &&
	ok "ambiguous prefix lists the candidates" || nok "ambiguous prefix lists the candidates" "$out"
usage_err "unknown command" frobnicate
usage_err "unknown option" block list --bogus
usage_err "missing option value" block add 192.0.2.1 --ttl
usage_err "no command" ""
usage_err "block without subcommand"  block

# ---------------------------------------------------------------- not loaded

expect "status before load" 'd["loaded"] is False and d["attachments"] == []' status
run -j block list
[ "$rc" -eq 1 ] && pyj "$out" '"attach" in d["error"]' && ok "block list before load: error with a hint" ||
	nok "block list before load: error with a hint" "exit $rc: $out"
expect "apply --dry-run without a loaded filter validates" \
	'd["dry_run"] and d["loaded"] is False and d["policy"]["default"]["tcp"] == "deny"' \
	apply --dry-run "$EXAMPLE"

# ---------------------------------------------------------------- attach / detach / status

reject "attach: no such interface" "nosuchif0" attach nosuchif0
reject "attach: bad --mode" "turbo" attach ewa --mode turbo
expect "attach ewa (loads, native)" 'd["interface"] == "ewa" and d["loaded"] and d["mode"] in ("native", "skb") and d["prog_id"] > 0' attach ewa
expect "status: loaded, attached to ewa" \
	'd["loaded"] and d["abi"] >= 1 and d["prog_id"] > 0 and [a["interface"] for a in d["attachments"] if a["edgeward"]] == ["ewa"] and d["policy"]["generation"] >= 1 and d["maps"]["bl4"]["entries"] == 0' status
expect_text "status text" 'attached +ewa' status
expect "attach again swaps in place" 'd["interface"] == "ewa"' attach ewa
expect "detach ewa" 'd["detached"] and d["interface"] == "ewa"' detach ewa
expect "status after detach" 'd["loaded"] and not [a for a in d["attachments"] if a["interface"] == "ewa"]' status
reject "detach: nothing attached" "ewa" detach ewa
expect "attach --mode skb" 'd["mode"] == "skb" and not d["loaded"]' attach ewa --mode skb
expect "status shows skb mode" '[a["mode"] for a in d["attachments"] if a["interface"] == "ewa"] == ["skb"]' status
expect "detach skb" 'd["detached"]' detach ewa
expect "attach --mode native" 'd["mode"] == "native" and not d["fell_back"]' attach ewa --mode native
expect "status shows native mode" '[a["mode"] for a in d["attachments"] if a["interface"] == "ewa"] == ["native"]' status

# ---------------------------------------------------------------- block

expect "block list: empty" 'd["count"] == 0 and d["blocks"] == []' block list
run -j block add 10.1.2.3/8 --ttl 1h --reason "scanner"
if [ "$rc" -eq 0 ] && pyj "$out" 'd["blocked"][0]["cidr"] == "10.0.0.0/8" and d["blocked"][0]["new"] and 3590 <= d["blocked"][0]["expires_in_s"] <= 3600' &&
	grep -q 'warning: 10.1.2.3/8 has host bits set; using 10.0.0.0/8' <<<"$err"; then
	ok "block add canonicalises host bits with a warning"
else
	nok "block add canonicalises host bits with a warning" "exit $rc out: $out err: $err"
fi
expect "block add v4 and v6, no ttl" \
	'[b["cidr"] for b in d["blocked"]] == ["203.0.113.0/24", "2001:db8:bad::/48"] and all(b["expires_in_s"] is None for b in d["blocked"])' \
	block add 203.0.113.0/24 2001:db8:bad::/48 --reason "test net"
expect "block add replaces an existing rule" 'd["blocked"][0]["new"] is False' block add 203.0.113.0/24 --reason "test net"
expect "block list: three rules, sorted, with fields" \
	'd["count"] == 3 and [b["cidr"] for b in d["blocks"]] == ["10.0.0.0/8", "203.0.113.0/24", "2001:db8:bad::/48"] and d["blocks"][0]["origin"] == "manual" and d["blocks"][0]["reason"] == "scanner" and d["blocks"][0]["expires"].startswith("in ") and d["blocks"][1]["expires"] == "never" and d["blocks"][1]["hits"] == 0 and d["blocks"][1]["added"][:2] == "20"' block list
expect_text "block list text: aligned table" '^10\.0\.0\.0/8 +manual +in (59m|1h) +0 +20[0-9-]+T[0-9:]+[+-][0-9:]+ +scanner$' block list
expect_text "block list text: never" '^203\.0\.113\.0/24 +manual +never ' block list
expect "block list --origin manual" 'd["count"] == 3' block list --origin manual
expect "block list --origin import" 'd["count"] == 0' block list --origin import
expect "block del" 'd["deleted"] == ["10.0.0.0/8"]' block del 10.0.0.0/8
reject "block del: absent rule" "10.0.0.0/8" block del 10.0.0.0/8
reject "block del: one absent of two, nothing removed" "198.51.100.0/24" block del 203.0.113.0/24 198.51.100.0/24
reject "block add 0.0.0.0/0 without --force" "0.0.0.0/0" block add 0.0.0.0/0
reject "block add ::/0 without --force" "::/0" block add ::/0
expect "block add 0.0.0.0/0 --force" 'd["blocked"][0]["cidr"] == "0.0.0.0/0"' block add 0.0.0.0/0 --force
reject "block del 0.0.0.0/0 without --force" "0.0.0.0/0" block del 0.0.0.0/0
expect "block del 0.0.0.0/0 --force" 'd["deleted"] == ["0.0.0.0/0"]' block del 0.0.0.0/0 --force
expect "block add --ttl 1s" 'd["blocked"][0]["expires_in_s"] <= 1' block add 198.51.100.99 --ttl 1s
sleep 1.2
expect "block list --expired" '[b["cidr"] for b in d["blocks"]] == ["198.51.100.99/32"] and d["blocks"][0]["expired"] and d["blocks"][0]["expires"] == "expired"' block list --expired
expect "block flush --expired" 'd["removed"] == 1' block flush --expired
expect "block list after flush --expired" 'd["count"] == 2' block list

# ---------------------------------------------------------------- block import

cat >"$TMP/firehol.netset" <<'EOF'
#
# firehol_level1 (excerpt), FireHOL netset format
#
# Maintainer: example
#

1.10.16.0/20
2.56.192.0/22
5.5.5.5
   45.9.148.0/24   
2001:db8:100::/48
# Spamhaus DROP lines carry their SBL reference after ';'
; Spamhaus DROP List 2024/01/01
1.19.0.0/16 ; SBL434604
103.2.7.9/24 ; host bits set, canonicalised with a warning
2.56.192.0/22
EOF
printf '2.57.122.0/24\r\n' >>"$TMP/firehol.netset"
run -j block import "$TMP/firehol.netset" --reason firehol --ttl 1d
if [ "$rc" -eq 0 ] && pyj "$out" 'd["imported"] == 8 and d["new"] == 8 and d["warnings"] == 1' &&
	grep -q 'firehol.netset:15: 103.2.7.9/24 has host bits set; using 103.2.7.0/24' <<<"$err"; then
	ok "block import: FireHOL/Spamhaus file with comments"
else
	nok "block import: FireHOL/Spamhaus file with comments" "exit $rc out: $out err: $err"
fi
expect "imported rules listed with origin import" \
	'sorted(b["cidr"] for b in d["blocks"]) == sorted(["1.10.16.0/20", "2.56.192.0/22", "5.5.5.5/32", "45.9.148.0/24", "2001:db8:100::/48", "1.19.0.0/16", "103.2.7.0/24", "2.57.122.0/24"]) and all(b["reason"] == "firehol" and b["expires"].startswith("in ") for b in d["blocks"])' \
	block list --origin import
run block import "$TMP/firehol.netset"
if [ "$rc" -eq 0 ] && grep -Eq '^imported 8 prefixes \(0 new\) in [0-9]+\.[0-9]{2} s$' <<<"$out"; then
	ok "block import again: text summary, 0 new"
else
	nok "block import again: text summary, 0 new" "exit $rc out: $out"
fi
expect "block import reason defaults to the file name" 'all(b["reason"] == "import firehol.netset" for b in d["blocks"])' block list --origin import
printf '192.0.2.200\n# fine so far\n198.51.100.0/24\n\n1.2.3.256\n203.0.113.77\n' >"$TMP/bad.netset"
reject "block import: bad line 5 imports nothing" "$TMP/bad.netset:5" block import "$TMP/bad.netset"
run -j block list
pyj "$out" 'not [b for b in d["blocks"] if b["cidr"] in ("192.0.2.200/32", "198.51.100.0/24")]' &&
	ok "block import: the good lines before the bad one were not imported" ||
	nok "block import: the good lines before the bad one were not imported" "$out"
printf '192.0.2.1\n0.0.0.0/0\n' >"$TMP/all.netset"
reject "block import: 0.0.0.0/0 needs --force" "$TMP/all.netset:2" block import "$TMP/all.netset"
printf '192.0.2.1 192.0.2.2\n' >"$TMP/two.netset"
reject "block import: two words on a line" "$TMP/two.netset:1" block import "$TMP/two.netset"
printf '192.0.2.1\n010.0.0.1\n' >"$TMP/octal.netset"
reject "block import: leading zero" "$TMP/octal.netset:2" block import "$TMP/octal.netset"
printf '192.0.2.1\n\0\n' >"$TMP/nul.netset"
reject "block import: NUL byte" "$TMP/nul.netset:2" block import "$TMP/nul.netset"
reject "block import: missing file" "$TMP/nope.netset" block import "$TMP/nope.netset"
reject "block import: bad --ttl" "forever" block import "$TMP/firehol.netset" --ttl forever
expect "block flush --origin import" 'd["removed"] == 8' block flush --origin import
expect "manual rules survive flush --origin import" 'd["count"] == 2' block list

# ---------------------------------------------------------------- allow

expect "allow list: empty" 'd["allow"] == []' allow list
expect "allow add" 'd["added"] == ["198.51.100.7/32", "2001:db8:1::/48"]' allow add 198.51.100.7 2001:db8:1::/48
expect "allow add: already there" 'd["added"] == [] and d["already"] == ["198.51.100.7/32"]' allow add 198.51.100.7
expect "allow list" 'sorted(d["allow"]) == ["198.51.100.7/32", "2001:db8:1::/48"]' allow list
expect_text "allow list text" '^198\.51\.100\.7/32$' allow list
reject "allow del: absent" "192.0.2.44/32" allow del 198.51.100.7 192.0.2.44
reject "allow add 0.0.0.0/0 without --force" "0.0.0.0/0" allow add 0.0.0.0/0
expect "allow del" 'd["deleted"] == ["2001:db8:1::/48"]' allow del 2001:db8:1::/48
expect "allow list after del" 'd["allow"] == ["198.51.100.7/32"]' allow list

# ---------------------------------------------------------------- acl

expect "acl list: empty" 'd["acl"] == []' acl list
expect "acl add creates" 'd["created"] and d["port"] == "22/tcp" and d["added"] == ["10.0.0.0/8", "192.168.0.0/16"]' acl add 22 from 10.0.0.0/8 192.168.0.0/16
expect "acl add extends" 'not d["created"] and d["added"] == ["172.16.0.0/12"]' acl add 22/tcp from 172.16.0.0/12
expect "acl add udp range" 'd["created"] and d["port"] == "6000-6010/udp"' acl add 6000-6010/udp from 2001:db8::/32
expect "acl list" 'd["acl"][0]["port"] == "22/tcp" and sorted(d["acl"][0]["from"]) == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] and d["acl"][1] == {"port": "6000-6010/udp", "from": ["2001:db8::/32"]}' acl list
expect_text "acl list text" '^22/tcp +10\.0\.0\.0/8, ' acl list
reject "acl add: overlapping range" "6005" acl add 6005/udp from 10.0.0.0/8
reject "acl del: source not in the ACL" "1.1.1.1/32" acl del 22/tcp from 1.1.1.1
reject "acl del: no such ACL" "9999/tcp" acl del 9999/tcp
reject "acl del: last source" "empty" acl del 6000-6010/udp from 2001:db8::/32
usage_err "acl add without from" acl add 22/tcp
usage_err "acl add with 'form'" acl add 22/tcp form 10.0.0.0/8
expect "acl del source" 'd["deleted"] == ["172.16.0.0/12"] and not d["acl_deleted"]' acl del 22/tcp from 172.16.0.0/12
expect "acl del whole ACL" 'd["acl_deleted"]' acl del 6000-6010/udp
expect "acl list after del" 'len(d["acl"]) == 1 and sorted(d["acl"][0]["from"]) == ["10.0.0.0/8", "192.168.0.0/16"]' acl list

# ---------------------------------------------------------------- ratelimit

expect "ratelimit list: empty" 'd["ratelimit"] == []' ratelimit list
expect "ratelimit set creates" 'd["created"] and d["class"] == {"name": "http", "ports": ["80/tcp", "443/tcp"], "rate": "25/min", "burst": 100, "count": "conn"}' \
	ratelimit set http --ports 80/tcp,443 --rate 25/min --burst 100
expect "ratelimit set changes one field" 'not d["created"] and d["class"]["burst"] == 50 and d["class"]["rate"] == "25/min"' ratelimit set http --burst 50
expect "ratelimit set --count pkt" 'd["class"]["count"] == "pkt" and d["class"]["rate"] == "10/sec"' ratelimit set dns --ports 53/udp --rate 10/sec --burst 20 --count pkt
expect "ratelimit list" '[c["name"] for c in d["ratelimit"]] == ["http", "dns"] and d["ratelimit"][0]["burst"] == 50' ratelimit list
expect_text "ratelimit list text" '^http +80/tcp,443/tcp +25/min +50 +conn$' ratelimit list
reject "ratelimit set: port in two classes" "80" ratelimit set web2 --ports 80/tcp --rate 1/sec --burst 1
reject "ratelimit del: no such class" "nosuch" ratelimit del nosuch
usage_err "ratelimit set: new class without --rate" ratelimit set newc --ports 81 --burst 1
expect "ratelimit del" 'd["deleted"] == "dns"' ratelimit del dns
expect "ratelimit list after del" '[c["name"] for c in d["ratelimit"]] == ["http"]' ratelimit list

# ---------------------------------------------------------------- policy show / set

expect "policy show" 'd["generation"] >= 1 and d["default"]["tcp"] == "allow" and d["allow"] == ["198.51.100.7/32"] and d["acl"][0]["port"] == "22/tcp" and d["ratelimit"][0]["name"] == "http" and "sample" in d["events"]' policy show
expect "policy set" 'd["default"] == {"tcp": "deny", "udp": "deny", "icmp": "allow", "bogons": "drop", "v4mapped": "allow", "non_ip": "drop"} and d["open"] == ["8080/tcp", "53/udp", "8/icmp"] and d["events"] == {"sample": 2, "max_per_sec": 50}' \
	policy set --default-tcp deny --default-udp deny --bogons drop --v4mapped allow --non-ip drop --open 8080,53/udp,8/icmp --events-sample 2 --events-max 50
expect "policy set --close" 'd["open"] == ["8080/tcp", "8/icmp"]' policy set --close 53/udp
reject "policy set --close: not open" "9090/tcp" policy set --close 9090
expect_text "policy show text" '^default +tcp deny, udp deny, icmp allow$' policy show
usage_err "policy set with nothing to change" policy set
expect "policy set back" 'd["default"]["udp"] == "allow" and d["default"]["non_ip"] == "allow"' policy set --default-udp allow --non-ip allow --v4mapped drop

# ---------------------------------------------------------------- hostile input

# Addresses: every one must be refused by every command that takes a CIDR.
bad_addrs=(
	"010.0.0.1" "10.1" "1.2.3.4/33" "1.2.3.4/" "::/129" "1.2.3.4 " " 1.2.3.4" "0x0a.0.0.1"
	"1.2.3.4/8x" "1.2.3" "256.1.1.1" "::ffff:1.2.3.4/-1" "fe80::1%lo" "1.2.3.4.5"
	"1..2.3" "1.2.3.4/032" "1.2.3.4/+8" "a.b.c.d" "1.2.3.4/ 8" "1.2.3.-4" "::g"
	"1:2:3:4:5:6:7:8:9" "1::2::3" "2001:db8::/12a" "::ffff:1.2.3" "::ffff:01.2.3.4"
	"12345::" ":::" "1.2.3.4//8" "1.2.3.4/8/8" "localhost" "1,2,3,4" "01.2.3.4"
	"1.2.3.4/4294967304" "0.0.0.0/0" "::/0" "1.2.3.4:80" "[::1]" "2001:db8::1/64/"
)
for a in "${bad_addrs[@]}"; do
	reject "bad address '$a': block add" "$a" block add "$a"
	reject "bad address '$a': allow add" "$a" allow add "$a"
	reject "bad address '$a': acl add" "$a" acl add 22/tcp from 10.0.0.0/8 "$a"
done
reject "bad address '': block add" "empty" block add ""
reject "bad address '': allow add" "empty" allow add ""
reject "bad address '': acl add" "empty" acl add 22/tcp from ""
for a in "010.0.0.1" "1.2.3.4/33" "::/129" "fe80::1%lo" "10.1"; do
	reject "bad address '$a': block del" "$a" block del "$a"
	reject "bad address '$a': allow del" "$a" allow del "$a"
	reject "bad address '$a': acl del" "$a" acl del 22/tcp from "$a"
done
reject "one bad address among good ones: block add" "1.2.3.4/33" block add 192.0.2.9 198.51.100.0/24 1.2.3.4/33
reject "one bad address among good ones: allow add" "256.1.1.1" allow add 192.0.2.9 256.1.1.1

# Durations.
for d in "0" "0s" "10" "1x" "5m1h" "1.5h" "1h 30m" "01h" "99999999999999999999999s" "1h1h" \
	"h" "never2" "-5m" "1H" " 1h" "1h " "30m0" "9999999999999w"; do
	reject "bad duration '$d'" "$d" block add 192.0.2.9 --ttl "$d"
done
reject "bad duration ''" "--ttl" block add 192.0.2.9 --ttl ""

# Rates, bursts, counts, class names.
for r in "0/sec" "10" "10/fortnight" "1.5/sec" "/sec" "10/" "010/sec" "9999999999/sec" \
	"10/SEC" "ten/min" "10 /min" "-1/sec" "10/min/" "1e3/sec"; do
	reject "bad rate '$r'" "$r" ratelimit set web --ports 8081 --rate "$r" --burst 10
done
reject "bad rate ''" "--rate" ratelimit set web --ports 8081 --rate "" --burst 10
for b in "0" "abc" "1000001" "-1" "01" "1.5" "10 "; do
	reject "bad burst '$b'" "$b" ratelimit set web --ports 8081 --rate 1/sec --burst "$b"
done
reject "bad --count" "bytes" ratelimit set web --ports 8081 --rate 1/sec --burst 1 --count bytes
for n in "a b" "-web" "web/1" "abcdefghijklmnopqrstuvwxyz" "w\$b" "\$(id)"; do
	reject "bad class name '$n'" "$n" ratelimit set --ports 8081 --rate 1/sec --burst 1 -- "$n"
done

# Ports.
for p in "70000" "22/xyz" "10-5" "0x16" "022" "22/" "/tcp" "22-" "22,23" "300/icmp" \
	"65536/udp" "1-65536" "22/tcp/udp" "2 2" "+22" "22-23-24"; do
	reject "bad port '$p': acl add" "$p" acl add "$p" from 10.0.0.0/8
done
reject "bad port '': acl add" "empty" acl add "" from 10.0.0.0/8
for p in "70000" "22/xyz" "10-5" "80,,443" "443/quic"; do
	reject "bad port '$p': ratelimit --ports" "$p" ratelimit set web --ports "$p" --rate 1/sec --burst 1
	reject "bad port '$p': policy set --open" "$p" policy set --open "$p"
done
reject "bad port in a list names the item: ratelimit --ports" '"70000"' ratelimit set web --ports 80,70000 --rate 1/sec --burst 1
reject "bad port in a list names the item: policy set --open" '"70000"' policy set --open 80,70000
reject "bad port in a list names the item: policy set --close" '"22/xyz"' policy set --close 80,22/xyz

# Other values.
reject "policy set: bad --default-tcp" "maybe" policy set --default-tcp maybe
reject "policy set: bad --bogons" "deny" policy set --bogons deny
reject "policy set: bad --events-sample" "abc" policy set --events-sample abc
reject "policy set: --events-sample out of range" "1000001" policy set --events-sample 1000001
reject "policy set: one bad of many, nothing changes" "sometimes" policy set --default-udp deny --non-ip sometimes
reject "block list: bad --origin" "nobody" block list --origin nobody
long=$(printf 'r%.0s' {1..64})
reject "block add: --reason too long" "too long" block add 192.0.2.9 --reason "$long"
reject "block add: --reason with a control character" "control" block add 192.0.2.9 --reason "$(printf 'a\033[2Jb')"
reject "stats: bad --interval" "0" stats --interval 0
reject "events: bad --count" "abc" events --count abc

# ---------------------------------------------------------------- policy files

f=$TMP/unknown_key.yaml
printf 'version: 1\ndefault:\n  tcp: deny\n  colour: blue\n' >"$f"
reject_file "policy file: unknown key" "$f" 4
f=$TMP/bad_cidr.yaml
printf 'version: 1\nallow:\n  - 192.0.2.10/32\n  - 2001:db8::/48\nblock:\n  - cidr: 198.51.100.0/33\n    reason: bad\n' >"$f"
reject_file "policy file: bad CIDR on line 6" "$f" 6
f=$TMP/bad_cidr2.yaml
printf 'version: 1\nacl:\n  - port: 22/tcp\n    from:\n      - 10.0.0.0/8\n      - 010.0.0.0/8\n' >"$f"
reject_file "policy file: leading zero on line 6" "$f" 6
f=$TMP/dup_key.yaml
printf 'version: 1\nopen: [80/tcp]\nopen: [443/tcp]\n' >"$f"
reject_file "policy file: duplicate key" "$f" 3
f=$TMP/alias.yaml
printf 'version: 1\nallow: &nets\n  - 10.0.0.0/8\nacl:\n  - port: 22/tcp\n    from: *nets\n' >"$f"
reject "policy file: alias" "$f:" apply "$f"
f=$TMP/overlap.yaml
printf 'version: 1\nacl:\n  - port: 20-30/tcp\n    from: [10.0.0.0/8]\n  - port: 22/tcp\n    from: [192.168.0.0/16]\n' >"$f"
reject "policy file: overlapping ACLs" "$f:" apply "$f"
f=$TMP/everything.yaml
printf 'version: 1\nallow:\n  - 0.0.0.0/0\n' >"$f"
reject_file "policy file: 0.0.0.0/0 without --force" "$f" 3
f=$TMP/everything6.yaml
printf 'version: 1\nblock:\n  - cidr: ::/0\n' >"$f"
reject_file "policy file: ::/0 block without --force" "$f" 3
f=$TMP/type_open.yaml
printf 'version: 1\nopen: 80\n' >"$f"
reject_file "policy file: scalar where a list belongs" "$f" 2
f=$TMP/type_default.yaml
printf 'version: 1\ndefault: [deny]\n' >"$f"
reject_file "policy file: list where a mapping belongs" "$f" 2
f=$TMP/type_burst.yaml
printf 'version: 1\nratelimit:\n  - name: http\n    ports: [80/tcp]\n    rate: 25/min\n    burst: lots\n' >"$f"
reject_file "policy file: burst not a number" "$f" 6
f=$TMP/bad_rate.yaml
printf 'version: 1\nratelimit:\n  - name: http\n    ports: [80/tcp]\n    rate: 25/fortnight\n    burst: 10\n' >"$f"
reject_file "policy file: bad rate" "$f" 5
f=$TMP/bad_port.yaml
printf 'version: 1\nopen:\n  - 80/tcp\n  - 70000/tcp\n' >"$f"
reject_file "policy file: bad port" "$f" 4
f=$TMP/bad_default.yaml
printf 'version: 1\ndefault:\n  tcp: maybe\n' >"$f"
reject_file "policy file: bad default value" "$f" 3
f=$TMP/bad_ttl.yaml
printf 'version: 1\nblock:\n  - cidr: 192.0.2.0/24\n    ttl: 5 minutes\n' >"$f"
reject_file "policy file: bad ttl" "$f" 4
f=$TMP/no_version.yaml
printf 'open: [80/tcp]\n' >"$f"
reject "policy file: no version" "$f" apply "$f"
f=$TMP/version2.yaml
printf 'version: 2\n' >"$f"
reject_file "policy file: unknown version" "$f" 1
f=$TMP/syntax.yaml
printf 'version: 1\nopen: [80/tcp, 443/tcp\nallow: []\n' >"$f"
reject "policy file: YAML syntax error" "$f:" apply "$f"
f=$TMP/acl_open.yaml
printf 'version: 1\nopen: [22/tcp]\nacl:\n  - port: 22/tcp\n    from: [10.0.0.0/8]\n' >"$f"
reject "policy file: ACL port also open" "$f:" apply "$f"
f=$TMP/dup_class.yaml
printf 'version: 1\nratelimit:\n  - {name: a, ports: [80/tcp], rate: 1/sec, burst: 1}\n  - {name: a, ports: [81/tcp], rate: 1/sec, burst: 1}\n' >"$f"
reject "policy file: duplicate class name" "$f:" apply "$f"
reject "policy file: missing file" "$TMP/nope.yaml" apply "$TMP/nope.yaml"
printf '\0\1\2' >"$TMP/binary.yaml"
reject "policy file: binary garbage" "$TMP/binary.yaml" apply "$TMP/binary.yaml"
expect "apply --dry-run changes nothing" 'd["dry_run"] and d["loaded"] and d["blocks"]["added"] == ["192.0.2.0/24"]' apply --dry-run "$EXAMPLE"
run -j block list
pyj "$out" 'not [b for b in d["blocks"] if b["cidr"] == "192.0.2.0/24"]' && ok "dry run added no block" || nok "dry run added no block" "$out"

# ---------------------------------------------------------------- apply

expect "apply examples/edgeward.yaml" 'd["blocks"]["added"] == ["192.0.2.0/24"] and d["generation"] >= 1' apply "$EXAMPLE"
expect "policy show reflects the file" \
	'd["default"] == {"tcp": "deny", "udp": "allow", "icmp": "allow", "bogons": "drop", "v4mapped": "drop", "non_ip": "allow"} and d["open"] == ["80/tcp", "443/tcp"] and d["allow"] == [] and [(a["port"], sorted(a["from"])) for a in d["acl"]] == [("22/tcp", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]), ("5432/tcp", ["10.0.0.0/16"])] and d["ratelimit"] == [{"name": "http", "ports": ["80/tcp", "443/tcp"], "rate": "25/min", "burst": 100, "count": "conn"}] and d["events"] == {"sample": 1, "max_per_sec": 100}' \
	policy show
expect "acl list reflects the file" 'len(d["acl"]) == 2' acl list
expect "ratelimit list reflects the file" '[c["name"] for c in d["ratelimit"]] == ["http"]' ratelimit list
expect "allow list reflects the file" 'd["allow"] == []' allow list
expect "policy block added with origin policy, manual blocks kept" \
	'{b["cidr"]: b["origin"] for b in d["blocks"]} == {"192.0.2.0/24": "policy", "203.0.113.0/24": "manual", "2001:db8:bad::/48": "manual"} and [b["reason"] for b in d["blocks"] if b["origin"] == "policy"] == ["TEST-NET-1, never a legitimate source"]' block list
expect_text "apply text summary" '^applied .*edgeward\.yaml \(policy generation [0-9]+\)$' apply "$EXAMPLE"
expect "apply again: policy block updated, not duplicated" 'd["blocks"]["updated"] == ["192.0.2.0/24"] and d["blocks"]["added"] == []' apply "$EXAMPLE"
f=$TMP/policy2.yaml
printf 'version: 1\ndefault: {tcp: deny}\nopen: [443/tcp]\nblock:\n  - cidr: 203.0.113.0/24\n    reason: also manual\n  - cidr: 198.18.0.0/15\n    ttl: 1h\n' >"$f"
expect "apply a second file: stale policy block removed, manual block kept" \
	'd["blocks"]["removed"] == ["192.0.2.0/24"] and d["blocks"]["kept"] == ["203.0.113.0/24"] and d["blocks"]["added"] == ["198.18.0.0/15"]' apply "$f"
expect "block list after the second file" \
	'{b["cidr"]: b["origin"] for b in d["blocks"]} == {"198.18.0.0/15": "policy", "203.0.113.0/24": "manual", "2001:db8:bad::/48": "manual"} and [b["reason"] for b in d["blocks"] if b["cidr"] == "203.0.113.0/24"] == ["test net"]' block list
expect "policy show after the second file" 'd["open"] == ["443/tcp"] and d["acl"] == [] and d["ratelimit"] == []' policy show
expect "apply the example again" 'd["blocks"]["removed"] == ["198.18.0.0/15"] and d["blocks"]["added"] == ["192.0.2.0/24"]' apply "$EXAMPLE"

# ---------------------------------------------------------------- traffic, stats, events

run -j stats
base=$($PY -c 'import json, sys
d = json.loads(sys.argv[1]); print({r["reason"]: r["packets"] for r in d["reasons"]}.get("blocklist", -1))' "$out" 2>/dev/null)
send 192.0.2.1 10.9.9.9 22 3
send 198.51.100.20 10.9.9.9 22 1
send 198.51.100.20 10.9.9.9 8080 1
send 198.51.100.20 10.9.9.9 443 1
expect "stats: blocklist counter moved by 3" \
	"{r['reason']: r['packets'] for r in d['reasons']}['blocklist'] == $base + 3 and {r['reason']: r['packets'] for r in d['reasons']}['acl'] >= 1 and {r['reason']: r['packets'] for r in d['reasons']}['default-deny'] >= 1 and {r['reason']: r['packets'] for r in d['reasons']}['pass'] >= 1 and d['total']['dropped_packets'] >= 5 and d['maps']['bl4']['entries'] == 2 and d['maps']['bl6']['entries'] == 1 and d['maps']['rl_state']['entries'] >= 1" stats
expect_text "stats text" '^blocklist +drop +[0-9]+ +[0-9]+$' stats
expect_text "stats text: fill levels" '^maps: bl4 2/[0-9]+, bl6 1/[0-9]+, rl_state [0-9]+/' stats
expect "stats --rate" '"interval_s" in d and all("pps" in r for r in d["reasons"])' stats --rate
run -j stats --interval 1 --count 2
[ "$rc" -eq 0 ] && [ "$(wc -l <<<"$out")" -eq 2 ] && pyj "$(tail -1 <<<"$out")" '"pps" in d["reasons"][0]' &&
	ok "stats --interval 1 --count 2: two reports" || nok "stats --interval 1 --count 2: two reports" "exit $rc: $out"
run -j events --count 5 --timeout 5
reasons=$($PY -c 'import json, sys
print(" ".join(json.loads(l)["reason"] for l in sys.argv[1].splitlines()))' "$out" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$reasons" = "blocklist blocklist blocklist acl default-deny" ]; then
	ok "events -j: five drops, one JSON object a line"
else
	nok "events -j: five drops, one JSON object a line" "exit $rc reasons '$reasons' out: $out"
fi
pyj "$(head -1 <<<"$out")" 'd["in"] == "ewa" and d["src"] == "192.0.2.1" and d["dst"] == "10.9.9.9" and d["proto"] == "TCP" and d["sport"] == 40000 and d["dport"] == 22 and d["tcp_flags"] == ["SYN"] and d["ttl"] == 64 and d["suppressed"] == 0 and d["time"][:2] == "20"' &&
	ok "events -j: fields of a drop" || nok "events -j: fields of a drop" "$(head -1 <<<"$out")"
send 198.51.100.20 10.9.9.9 22 1
run events --count 1 --timeout 5
if [ "$rc" -eq 0 ] && grep -Eq '^20[0-9-]+T[0-9:.]+[+-][0-9:]+ DROPPED: IN=ewa OUT= MAC=02:00:00:00:00:0a:02:00:00:00:00:0b:08:00 SRC=198\.51\.100\.20 DST=10\.9\.9\.9 LEN=54 TOS=0x00 TTL=64 ID=1 PROTO=TCP SPT=40000 DPT=22 SYN REASON=acl$' <<<"$out"; then
	ok "events: DROPPED: line like the guide's iptables LOG"
else
	nok "events: DROPPED: line like the guide's iptables LOG" "exit $rc: $out"
fi
expect "policy set --events-max 1" 'd["events"]["max_per_sec"] == 1' policy set --events-max 1
send 192.0.2.1 10.9.9.9 22 5
sleep 1.1
send 192.0.2.1 10.9.9.9 22 1
run events --count 3 --timeout 3
if grep -Eq '^\([0-9]+ events suppressed by the rate cap\)$' <<<"$out"; then
	ok "events: suppressed count line"
else
	nok "events: suppressed count line" "exit $rc: $out"
fi
run -j events --timeout 1
[ "$rc" -eq 0 ] && ok "events --timeout ends quietly" || nok "events --timeout ends quietly" "exit $rc: $out"
expect "policy set --events-max 100" 'd["events"]["max_per_sec"] == 100' policy set --events-max 100

# ---------------------------------------------------------------- reload

before=$(dump)
run -j status
old_id=$($PY -c 'import json, sys; print(json.loads(sys.argv[1])["prog_id"])' "$out" 2>/dev/null)
expect "reload swaps the program on ewa" 'd["reloaded"] and d["interfaces"] == 1 and d["prog_id"] > 0' reload
after=$(dump)
[ "$before" = "$after" ] && ok "reload keeps every block and the policy" || nok "reload keeps every block and the policy" "$(diff <(echo "$before") <(echo "$after") | head -5)"
expect "status after reload: new program attached" \
	"d['prog_id'] != $old_id and [a['prog_id'] for a in d['attachments'] if a['interface'] == 'ewa'] == [d['prog_id']]" status
run -j stats
pyj "$out" "{r['reason']: r['packets'] for r in d['reasons']}['blocklist'] >= $base + 3" &&
	ok "reload keeps the counters" || nok "reload keeps the counters" "$out"
send 192.0.2.1 10.9.9.9 22 1
run -j stats
pyj "$out" "{r['reason']: r['packets'] for r in d['reasons']}['blocklist'] >= $base + 4" &&
	ok "the reloaded program still drops blocked sources" || nok "the reloaded program still drops blocked sources" "$out"

# ---------------------------------------------------------------- quiet, flush, detach

run -q block add 192.0.2.77
[ "$rc" -eq 0 ] && [ -z "$out" ] && ok "-q: no output on success" || nok "-q: no output on success" "exit $rc: $out"
expect "block flush --origin policy" 'd["removed"] == 1' block flush --origin policy
expect "block flush (all)" 'd["removed"] == 3' block flush
expect "block list: empty after flush" 'd["count"] == 0' block list
expect "detach at the end" 'd["detached"]' detach ewa
expect "status: nothing attached" 'd["loaded"] and d["attachments"] == []' status

# ---------------------------------------------------------------- journal (emergency mode)

# jrecords: the journal's records as a JSON array ([] before the first).
jrecords() {
	"${CTL[@]}" -j audit 2>/dev/null || echo '[]'
}
jcount() {
	jrecords | $PY -c 'import json, sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0
}

# journaled NAME ACTION EXPR ARGS...: "-j ARGS" succeeds and appends exactly one
# emergency_direct record for ACTION, on which EXPR holds (d = the record).
journaled() {
	local name=$1 action=$2 expr=$3 before after last
	shift 3
	before=$(jcount)
	run -j "$@"
	after=$(jcount)
	if [ "$rc" -ne 0 ]; then
		nok "$name" "exit $rc (out: $out; err: $err)"
		return
	fi
	if [ "$after" -ne $((before + 1)) ]; then
		nok "$name" "the journal had $before records, now $after"
		return
	fi
	last=$(jrecords | $PY -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[-1]))')
	if pyj "$last" "d['type'] == 'emergency_direct' and d['action'] == '$action' and d['actor'] == 'root' and d['result'] == 'success' and 'request' in d['details'] and ($expr)"; then
		ok "$name"
	else
		nok "$name" "record: $last"
	fi
}

# not_journaled NAME WANT_RC ARGS...: "-j ARGS" exits WANT_RC and the journal does not grow.
not_journaled() {
	local name=$1 want=$2 before after
	shift 2
	before=$(jcount)
	run -j "$@"
	after=$(jcount)
	if [ "$rc" -ne "$want" ]; then
		nok "$name" "exit $rc, expected $want (out: $out)"
	elif [ "$after" -ne "$before" ]; then
		nok "$name" "the journal went from $before to $after records"
	else
		ok "$name"
	fi
}

[ "$(jcount)" -gt 0 ] && ok "journal: the changes above were recorded" ||
	nok "journal: the changes above were recorded" "$(jcount) records in $EDGEWARD_JOURNAL"
journaled "journal: attach" attach 'd["resource"] == "filter" and d["details"]["request"] == {"interface": "ewa"} and d["details"]["result"]["interface"] == "ewa"' attach ewa
journaled "journal: block add" block.add 'd["resource"] == "blocklist" and d["details"]["request"]["cidrs"] == ["192.0.2.50/32"] and d["details"]["request"]["ttl_s"] == 600 and d["details"]["result"]["blocked"][0]["cidr"] == "192.0.2.50/32"' block add 192.0.2.50 --ttl 10m --reason journal
journaled "journal: block del" block.del 'd["details"]["result"]["deleted"] == ["192.0.2.50/32"]' block del 192.0.2.50
journaled "journal: block import" block.import 'd["details"]["request"]["file"].endswith("firehol.netset") and d["details"]["result"]["imported"] == 8' block import "$TMP/firehol.netset"
journaled "journal: block flush" block.flush 'd["details"]["request"] == {"origin": "import"} and d["details"]["result"]["removed"] == 8' block flush --origin import
journaled "journal: allow add" allow.add 'd["resource"] == "allowlist" and d["details"]["result"]["added"] == ["192.0.2.60/32"]' allow add 192.0.2.60
journaled "journal: allow del" allow.del 'd["details"]["result"]["deleted"] == ["192.0.2.60/32"]' allow del 192.0.2.60
journaled "journal: acl add" acl.add 'd["resource"] == "acl" and d["details"]["request"]["port"] == "2222/tcp"' acl add 2222 from 10.0.0.0/8
journaled "journal: acl del" acl.del 'd["details"]["result"]["acl_deleted"]' acl del 2222/tcp
journaled "journal: ratelimit set" ratelimit.set 'd["resource"] == "ratelimit" and d["details"]["result"]["class"]["name"] == "jtest"' ratelimit set jtest --ports 8443 --rate 5/sec --burst 5
journaled "journal: ratelimit del" ratelimit.del 'd["details"]["result"]["deleted"] == "jtest"' ratelimit del jtest
journaled "journal: policy set" policy.set 'd["resource"] == "policy" and d["details"]["request"] == {"events": {"max_per_sec": 100}}' policy set --events-max 100
journaled "journal: apply keeps the file's size and hash, not its text" apply 'd["details"]["request"]["name"] == "'"$EXAMPLE"'" and "yaml" not in d["details"]["request"] and len(d["details"]["request"]["yaml_sha256"]) == 64 and d["details"]["request"]["yaml_bytes"] > 0' apply "$EXAMPLE"
journaled "journal: reload" reload 'd["details"]["result"]["reloaded"]' reload
journaled "journal: detach" detach 'd["details"]["result"]["detached"]' detach ewa
not_journaled "journal: reads leave no record (block list)" 0 block list
not_journaled "journal: reads leave no record (policy show)" 0 policy show
not_journaled "journal: reads leave no record (status)" 0 status
not_journaled "journal: a dry run leaves no record" 0 apply --dry-run "$EXAMPLE"
not_journaled "journal: a refused change leaves no record" 1 block del 192.0.2.50
not_journaled "journal: a bad request leaves no record" 1 allow add 10.1
run -j audit verify
[ "$rc" -eq 0 ] && ok "journal: audit verify passes" || nok "journal: audit verify passes" "exit $rc: $out"

# ---------------------------------------------------------------- no daemon, no --direct

# run_env ENV... CMD...: run under env(1); sets out, err, rc.
run_env() {
	out=$(env "$@" 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
}

# Root without a running daemon falls back to the maps, and says so every time.
run_env -u EDGEWARD_DIRECT EDGEWARD_SOCKET="$TMP/none.sock" "${CTL[@]}" -j block list
if [ "$rc" -eq 0 ] && grep -q "edgewardd is not running.*emergency mode" <<<"$err" && pyj "$out" '"blocks" in d'; then
	ok "no socket, no --direct: emergency mode with a warning"
else
	nok "no socket, no --direct: emergency mode with a warning" "exit $rc err: $err"
fi
run_env -u EDGEWARD_DIRECT EDGEWARD_SOCKET="$TMP/none.sock" "${CTL[@]}" -q -j block list
[ "$rc" -eq 0 ] && [ -z "$err" ] && ok "-q: no emergency-mode warning" || nok "-q: no emergency-mode warning" "exit $rc err: $err"
run_env -u EDGEWARD_DIRECT "${CTL[@]}" --direct --socket "$TMP/none.sock" -j block list
[ "$rc" -eq 0 ] && [ -z "$err" ] && ok "--direct: no warning" || nok "--direct: no warning" "exit $rc err: $err"
run_env "${CTL[@]}" --direct --server https://127.0.0.1:9 block list
[ "$rc" -eq 2 ] && grep -q "exclude" <<<"$err" && ok "--direct and --server exclude each other" ||
	nok "--direct and --server exclude each other" "exit $rc err: $err"
run_env "${CTL[@]}" --server http://127.0.0.1:9 block list
[ "$rc" -eq 2 ] && grep -q "https://" <<<"$err" && ok "--server wants https://" || nok "--server wants https://" "exit $rc err: $err"
for c in "user list" "user role alice viewer" "user disable alice" "config reload" "logout"; do
	# shellcheck disable=SC2086
	run $c
	if [ "$rc" -eq 1 ] && grep -q "needs edgewardd" <<<"$err"; then
		ok "emergency mode: '$c' needs the daemon"
	else
		nok "emergency mode: '$c' needs the daemon" "exit $rc err: $err"
	fi
done
run login --user alice
[ "$rc" -eq 2 ] && grep -q -- "--server" <<<"$err" && ok "login without --server: usage error" ||
	nok "login without --server: usage error" "exit $rc err: $err"
for c in "login" "logout" "user" "user add" "user list" "user passwd" "user role" "user disable" \
	"user unlock" "user mfa-enrol" "config" "config check" "config reload" "audit"; do
	# shellcheck disable=SC2086
	run $c --help
	if [ "$rc" -eq 0 ] && grep -q '^Usage:' <<<"$out" && grep -q 'Example' <<<"$out"; then
		ok "help: $c --help"
	else
		nok "help: $c --help" "exit $rc, output: $(head -3 <<<"$out")"
	fi
done
usage_err "user add without --email" user add bob --role viewer
usage_err "user: unknown option" user list --bogus

# ---------------------------------------------------------------- the daemon path (a fake edgewardd)

# A stand-in for edgewardd on a private Unix socket: it logs every request
# (method, path, JSON body) and answers from a table, so the requests the
# commands send and the way they show answers can be checked without a daemon.
FAKE=$TMP/fake.sock
FAKELOG=$TMP/fake.log
$PY - "$FAKE" "$FAKELOG" <<'PYEOF' &
import http.server, json, os, socketserver, sys
sock, log = sys.argv[1], sys.argv[2]
blk = {"cidr": "192.0.2.1/32", "new": True, "origin": "manual", "expires_in_s": 3600, "reason": "x"}
row = {"cidr": "192.0.2.1/32", "origin": "manual", "expires": "in 1h", "expires_in_s": 3600,
       "expired": False, "hits": 7, "added": "2025-01-02T03:04:05+00:00",
       "added_unix": 1735787045, "reason": "x"}
fill = {"entries": 0, "max": 1}
answers = {
    ("POST", "/v1/blocks"): (200, {"blocked": [blk], "messages": ["warning: said by the daemon"]}),
    ("GET", "/v1/blocks"): (200, {"count": 1, "blocks": [row]}),
    ("POST", "/v1/blocks/delete"): (404, {"error": "192.0.2.9/32 is not in the blocklist (nothing removed)"}),
    ("GET", "/v1/stats"): (200, {"reasons": [{"reason": "pass", "id": 0, "drop": False, "packets": 9, "bytes": 900}],
                                 "total": {"packets": 9, "bytes": 900, "dropped_packets": 0, "dropped_bytes": 0},
                                 "maps": {k: fill for k in ("bl4", "bl6", "rl_state", "lpm4", "lpm6")}}),
    ("POST", "/v1/users/al%2Fice/role"): (200, {"username": "al/ice", "role": "viewer"}),
    ("POST", "/v1/config/check"): (200, {"ok": False, "errors": ["edgewardd.yaml:3: unknown key"]}),
}
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with open(log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "body": json.loads(body) if body else None}) + "\n")
        status, ans = answers.get((self.command, self.path.split("?")[0]),
                                  (404, {"error": "no such endpoint"}))
        data = json.dumps(ans).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = answer
    def log_message(self, *a):
        pass
    def address_string(self):
        return "unix"
if os.path.exists(sock):
    os.unlink(sock)
socketserver.UnixStreamServer(sock, H).serve_forever()
PYEOF
FAKE_PID=$!
for _ in $(seq 50); do [ -S "$FAKE" ] && break; sleep 0.1; done

# via ARGS...: run with the fake daemon as edgewardd (no emergency mode).
via() {
	run_env -u EDGEWARD_DIRECT EDGEWARD_SOCKET="$FAKE" "${CTL[@]}" "$@"
}
# sent EXPR: the last request the fake daemon received satisfies EXPR (d).
sent() {
	pyj "$(tail -1 "$FAKELOG" 2>/dev/null)" "$1"
}

jbefore=$(jcount)
via block add 192.0.2.1 --ttl 1h --reason x
if [ "$rc" -eq 0 ] && [ "$out" = "blocked 192.0.2.1/32 (new, expires in 1h)" ] &&
	grep -q "^warning: said by the daemon$" <<<"$err" &&
	sent 'd["method"] == "POST" and d["path"] == "/v1/blocks" and d["body"] == {"cidrs": ["192.0.2.1/32"], "ttl_s": 3600, "reason": "x"}'; then
	ok "daemon: block add sends POST /v1/blocks, shows the answer and its messages"
else
	nok "daemon: block add sends POST /v1/blocks, shows the answer and its messages" \
		"exit $rc out: $out err: $err sent: $(tail -1 "$FAKELOG" 2>/dev/null)"
fi
via -j block add 192.0.2.1
pyj "$out" '"messages" not in d and d["blocked"][0]["cidr"] == "192.0.2.1/32"' &&
	ok "daemon: -j prints the answer without its messages" || nok "daemon: -j prints the answer without its messages" "$out"
via block list --origin manual --expired
if [ "$rc" -eq 0 ] && grep -Eq '^192\.0\.2\.1/32 +manual +in 1h +7 +2025-01-02T03:04:05\+00:00 +x$' <<<"$out" &&
	sent 'd["method"] == "GET" and d["path"] == "/v1/blocks?origin=manual&expired=true" and d["body"] is None'; then
	ok "daemon: block list sends its filters in the query and prints the table"
else
	nok "daemon: block list sends its filters in the query and prints the table" \
		"exit $rc out: $out sent: $(tail -1 "$FAKELOG" 2>/dev/null)"
fi
via -j block del 192.0.2.9
[ "$rc" -eq 1 ] && pyj "$out" '"not in the blocklist" in d["error"] and "404" in d["error"]' &&
	ok "daemon: an error answer is the command's error (exit 1)" ||
	nok "daemon: an error answer is the command's error (exit 1)" "exit $rc: $out"
via stats
[ "$rc" -eq 0 ] && grep -Eq '^pass +pass +9 +900$' <<<"$out" && ok "daemon: stats from GET /v1/stats" ||
	nok "daemon: stats from GET /v1/stats" "exit $rc: $out"
via -j events --count 1
[ "$rc" -eq 1 ] && pyj "$out" '"daemon consumes drop events" in d["error"]' &&
	ok "daemon: events refuses (the daemon is the reader)" ||
	nok "daemon: events refuses (the daemon is the reader)" "exit $rc: $out"
via user role al/ice viewer
[ "$rc" -eq 0 ] && sent 'd["path"] == "/v1/users/al%2Fice/role" and d["body"] == {"role": "viewer"}' &&
	ok "daemon: user role percent-encodes the name" ||
	nok "daemon: user role percent-encodes the name" "exit $rc err: $err sent: $(tail -1 "$FAKELOG" 2>/dev/null)"
via config check
[ "$rc" -eq 1 ] && grep -q "edgewardd.yaml:3: unknown key" <<<"$err" &&
	ok "daemon: config check prints the daemon's errors, exit 1" ||
	nok "daemon: config check prints the daemon's errors, exit 1" "exit $rc err: $err"
[ "$(jcount)" -eq "$jbefore" ] && ok "daemon: edgewardctl journals nothing itself" ||
	nok "daemon: edgewardctl journals nothing itself" "$jbefore -> $(jcount) records"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=

# ---------------------------------------------------------------- login over HTTPS (a fake edgewardd)

# The same stand-in on loopback HTTPS (a throw-away certificate, a port the
# kernel picks): login saves the token, later calls send it, logout drops it.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
$PY - "$TMP/cert.pem" "$TMP/key.pem" "$TMP/tls.port" "$FAKELOG" <<'PYEOF' &
import base64, http.server, json, ssl, sys
cert, key, portfile, log = sys.argv[1:5]
def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
token = b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({"sub": "alice", "role": "admin"}) + ".sig"
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n)) if n else None
        with open(log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body,
                                "auth": self.headers.get("Authorization")}) + "\n")
        status, ans = 404, {"error": "no such endpoint"}
        if self.path == "/v1/auth/login":
            if body.get("username") == "bob" and "totp" not in body:
                status, ans = 401, {"error": "mfa required"}
            elif body.get("password") != "s3cret":
                status, ans = 401, {"error": "invalid credentials"}
            else:
                status, ans = 200, {"access_token": token, "refresh_token": "r", "expires_in": 3600,
                                    "token_type": "Bearer", "role": "admin"}
        elif self.path in ("/v1/auth/logout", "/v1/users/alice/password"):
            status, ans = 200, {}
        data = json.dumps(ans).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = answer
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(portfile, "w").write(str(srv.server_address[1]))
srv.serve_forever()
PYEOF
FAKE_PID=$!
for _ in $(seq 50); do [ -s "$TMP/tls.port" ] && break; sleep 0.1; done
SRV=(--server "https://127.0.0.1:$(cat "$TMP/tls.port" 2>/dev/null)" --cacert "$TMP/cert.pem")
TOK=$TMP/tok/token

# tls INPUT ARGS...: run against the HTTPS stand-in with INPUT on stdin (in
# this network namespace, where it listens).
tls() {
	local input=$1
	shift
	out=$(env -u EDGEWARD_DIRECT EDGEWARD_TOKEN_FILE="$TOK" "$CTL_BIN" "${SRV[@]}" "$@" \
		<<<"$input" 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
}

tls s3cret login --user alice --password-stdin
if [ "$rc" -eq 0 ] && [ "$out" = "logged in as alice (role admin), token valid for 1h" ] &&
	[ "$(stat -c %a "$TOK" 2>/dev/null)" = 600 ] &&
	sent 'd["path"] == "/v1/auth/login" and d["body"] == {"username": "alice", "password": "s3cret"}'; then
	ok "login: POST /v1/auth/login, token saved 0600"
else
	nok "login: POST /v1/auth/login, token saved 0600" "exit $rc out: $out err: $err"
fi
tls wrong login --user alice --password-stdin
[ "$rc" -eq 1 ] && grep -q "invalid credentials (HTTP 401)" <<<"$err" && ok "login: a wrong password is refused" ||
	nok "login: a wrong password is refused" "exit $rc err: $err"
tls s3cret login --user bob --password-stdin
[ "$rc" -eq 1 ] && grep -q -- "--totp" <<<"$err" && ok "login: MFA required says to pass --totp" ||
	nok "login: MFA required says to pass --totp" "exit $rc err: $err"
tls s3cret -j login --user alice --password-stdin
[ "$rc" -eq 0 ] && pyj "$out" 'd == {"logged_in": True, "user": "alice", "role": "admin", "expires_in": 3600}' &&
	ok "login -j: no token on stdout" || nok "login -j: no token on stdout" "exit $rc: $out"
tls newpass user passwd --password-stdin
[ "$rc" -eq 0 ] && sent 'd["path"] == "/v1/users/alice/password" and d["body"] == {"password": "newpass"} and d["auth"].startswith("Bearer ey")' &&
	ok "user passwd: oneself from the token, sent with it" ||
	nok "user passwd: oneself from the token, sent with it" "exit $rc err: $err sent: $(tail -1 "$FAKELOG")"
tls "" logout
[ "$rc" -eq 0 ] && [ ! -e "$TOK" ] && sent 'd["path"] == "/v1/auth/logout"' && ok "logout: revoked there, removed here" ||
	nok "logout: revoked there, removed here" "exit $rc err: $err"
tls "" user passwd --password-stdin
[ "$rc" -eq 2 ] && ok "user passwd without a login needs NAME" || nok "user passwd without a login needs NAME" "exit $rc err: $err"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=

echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
