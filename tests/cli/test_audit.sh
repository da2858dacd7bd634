#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# edgewardctl audit end to end on a private journal (no root, no BPF needed):
#   - append (the test hook) builds a journal through the daemon's own code;
#   - list: table, -j array, every filter alone and combined, --limit, the
#     journal from --journal, $EDGEWARD_JOURNAL;
#   - verify: OK; one byte changed with dd (named by seq and offset, exit 1,
#     and list stops there); a torn last record (warning, exit 0; the next
#     append cuts it and records the repair);
#   - bad arguments: usage errors exit 2, bad values exit 1, each with a
#     message (and {"error": ...} under -j); a symlinked journal is refused.
# Prints "ok - name" / "not ok - name: why" and "N passed, N failed".
# Exit 0 all passed, 1 a failure.
#
# Run from the repository root; EDGEWARDCTL overrides the binary under test.
set -u

CTL=${EDGEWARDCTL:-$PWD/build/edgewardctl}
TMP=$(mktemp -d /tmp/ewaudit.XXXXXX)
J=$TMP/journal
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
pass=0
fail=0
unset EDGEWARD_JOURNAL

trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

if [ ! -x "$CTL" ] || [ -d "$CTL" ]; then
	echo "not ok - setup: $CTL is not an executable (run make build/edgewardctl first)"
	echo "0 passed, 1 failed"
	exit 1
fi

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
	out=$("$CTL" "$@" 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
}

# pyj JSON EXPR: true when the Python expression (d = parsed JSON) holds.
pyj() {
	$PY -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

# expect NAME EXPR ARGS...: "-j ARGS" exits 0 and EXPR holds on its output.
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

# expect_rc NAME RC PATTERN ARGS...: text mode exits RC and stdout+stderr match PATTERN.
expect_rc() {
	local name=$1 want=$2 pat=$3
	shift 3
	run "$@"
	if [ "$rc" -ne "$want" ]; then
		nok "$name" "exit $rc, expected $want (out: $out; err: $err)"
	elif ! grep -Eq -- "$pat" <<<"$out
$err"; then
		nok "$name" "output does not match /$pat/: $out / $err"
	else
		ok "$name"
	fi
}

# reject NAME RC PATTERN ARGS...: exit RC with a message in text mode, and
# {"error": ...} matching PATTERN with the same exit under -j; the journal unchanged.
reject() {
	local name=$1 want=$2 pat=$3 before after
	shift 3
	before=$(cksum <"$J")
	expect_rc "$name" "$want" "$pat" "$@"
	run -j "$@"
	after=$(cksum <"$J")
	if [ "$rc" -ne "$want" ]; then
		nok "$name (-j)" "exit $rc, expected $want: $out"
	elif ! $PY -c 'import json, re, sys
d = json.loads(sys.argv[1])
sys.exit(0 if re.search(sys.argv[2], d["error"]) else 1)' "$out" "$pat" 2>/dev/null; then
		nok "$name (-j)" "no {\"error\": ...} matching /$pat/: $out"
	elif [ "$before" != "$after" ]; then
		nok "$name" "the journal changed"
	else
		ok "$name (-j)"
	fi
}

# The byte offset where frame N (1-based) starts: frames are 80 bytes + the
# u32 little-endian payload length at offset 4 of each.
frame_off() {
	local n=$1 off=0 i len
	for ((i = 1; i < n; i++)); do
		len=$(od -An -tu4 -j$((off + 4)) -N4 "$J" | tr -d ' ')
		off=$((off + 80 + len))
	done
	echo $off
}

# ---- a missing journal ----
expect_rc "verify: missing journal" 1 "does not exist" audit verify --journal "$J"
expect_rc "list: missing journal" 1 "does not exist" audit --journal "$J"
run -j audit --journal "$J"
if [ "$rc" -eq 1 ] && pyj "$out" "'does not exist' in d['error']"; then
	ok "list -j: missing journal is one error object"
else
	nok "list -j: missing journal is one error object" "exit $rc: $out"
fi

# ---- append ----
expect "append: first record" "d['seq'] == 1 and len(d['id']) == 36" \
	audit append --journal "$J" --type failed_login --actor alice --source 198.51.100.7 \
	--result failure --risk 45 --action login --resource api
mode=$(stat -c %a "$J")
[ "$mode" = 600 ] && ok "append: journal created 0600" || nok "append: journal created 0600" "$mode"
export EDGEWARD_JOURNAL=$J
expect_rc "append: text output" 0 "^appended seq 2 id [0-9a-f-]{36}$" \
	audit append --type failed_login --actor alice --source 198.51.100.7 --result failure \
	--risk 60
"$CTL" audit append --type login_success --actor bob --source 2001:db8::1 --risk 10 >/dev/null &&
	"$CTL" audit append --type admin_action --actor bob --source unix --action add \
		--resource 203.0.113.0/24 --risk 30 >/dev/null &&
	"$CTL" audit append --type block --actor edgeward --source 198.51.100.7 --result blocked \
		--risk 80 --action block --resource 198.51.100.7/32 >/dev/null &&
	"$CTL" audit append --type logout --source local >/dev/null
[ $? -eq 0 ] && ok "append: four more records" || nok "append: four more records" "exit $?"

# ---- list ----
run audit
rows=$(grep -c . <<<"$out")
if [ "$rc" -eq 0 ] && [ "$rows" -eq 7 ] && head -1 <<<"$out" | grep -Eq "^SEQ +TIME +TYPE +ACTOR +SOURCE +ACTION +RESULT +RISK$" &&
	grep -Eq "^ +4 .* admin_action +bob +unix +add 203\.0\.113\.0/24 +success +30$" <<<"$out" &&
	grep -Eq "^ +6 .* logout +(root|uid:[0-9]+) +local +- +success +0$" <<<"$out"; then
	ok "list: table of 6 records"
else
	nok "list: table of 6 records" "exit $rc: $out"
fi
expect "list -j: array of 6 in order" \
	"[r['seq'] for r in d] == [1,2,3,4,5,6] and d[0]['actor'] == 'alice' and d[0]['risk'] == 45 and all(r['ts'].endswith('Z') for r in d)" \
	audit list
expect "list --journal beats \$EDGEWARD_JOURNAL" "len(d) == 6" \
	audit --journal "$J"
EDGEWARD_JOURNAL=$TMP/other expect "list: \$EDGEWARD_JOURNAL is used" "d == []" audit --journal "$J" --type nothing
expect "filter --type" "[r['seq'] for r in d] == [1,2]" audit --type failed_login
expect "filter --actor" "[r['seq'] for r in d] == [3,4]" audit --actor bob
expect "filter --source (IPv4)" "[r['seq'] for r in d] == [1,2,5]" audit --source 198.51.100.7
expect "filter --source (IPv6 by value)" "[r['seq'] for r in d] == [3]" audit --source 2001:DB8:0::1
expect "filter --source unix" "[r['seq'] for r in d] == [4]" audit -s unix
expect "filter --result" "[r['seq'] for r in d] == [1,2]" audit --result failure
expect "filter --min-risk" "[r['seq'] for r in d] == [2,5]" audit --min-risk 50
expect "filter --min-risk 0" "len(d) == 6" audit --min-risk 0
expect "filter --since 1h" "len(d) == 6" audit --since 1h
expect "filter --since a time in the past" "len(d) == 6" audit --since 2000-01-01T00:00:00Z
expect "filter --since a time in the future" "d == []" audit --since 2999-01-01T00:00:00+02:00
expect "filter --limit: the latest N, oldest first" "[r['seq'] for r in d] == [5,6]" audit --limit 2
expect "filter --limit over the count" "len(d) == 6" audit --limit 1000000000
expect "filters combined" "[r['seq'] for r in d] == [2]" \
	audit --type failed_login --actor alice --min-risk 50 --source 198.51.100.7 --limit 5
expect_rc "list: nothing matches" 0 "no matching records \(6 in " audit --actor nobody

# ---- verify ----
expect_rc "verify: OK" 0 "^journal OK: 6 records, last seq 6$" audit verify
expect "verify -j: OK" \
	"d['ok'] is True and d['records'] == 6 and d['last_seq'] == 6 and d['status'] == 'ok' and d['bad_seq'] is None" \
	audit verify

# ---- one byte changed ----
cp "$J" "$TMP/good"
off3=$(frame_off 3)
off4=$(frame_off 4)
# A byte in the middle of frame 3's payload.
pos=$((off3 + 60))
orig=$(od -An -tx1 -j$pos -N1 "$J" | tr -d ' ')
printf '\x5a' | dd of="$J" bs=1 seek=$pos conv=notrunc status=none
[ "$orig" = 5a ] && printf '\x5b' | dd of="$J" bs=1 seek=$pos conv=notrunc status=none
expect_rc "verify: a changed byte is named by seq and offset" 1 \
	"^journal DAMAGED: bad_hash at seq 3 \(offset $off3\): .*the 2 records before it are sound, 3 sound frames follow" \
	audit verify
run -j audit verify
if [ "$rc" -eq 1 ] && pyj "$out" "d['ok'] is False and d['status'] == 'bad_hash' and d['bad_seq'] == 3 and d['offset'] == $off3 and d['records'] == 2"; then
	ok "verify -j: a changed byte"
else
	nok "verify -j: a changed byte" "exit $rc: $out"
fi
run -j audit
if [ "$rc" -eq 1 ] && pyj "$out" "[r['seq'] for r in d] == [1,2]" && grep -q "damaged: bad_hash at seq 3" <<<"$err"; then
	ok "list: stops at the damage with a warning, exit 1"
else
	nok "list: stops at the damage with a warning, exit 1" "exit $rc: $out / $err"
fi
# The same in a frame's header: the magic of frame 4.
cp "$TMP/good" "$J"
printf 'X' | dd of="$J" bs=1 seek=$off4 conv=notrunc status=none
expect_rc "verify: a changed magic" 1 "bad_frame at seq 4 \(offset $off4\): bad magic" audit verify
# Frame 3 removed: the sequence breaks.
head -c "$off3" "$TMP/good" >"$J"
tail -c +$((off4 + 1)) "$TMP/good" >>"$J"
expect_rc "verify: a removed record" 1 "bad_seq at seq 3 .*seq 4 where 3 was due" audit verify

# ---- a torn last record ----
cp "$TMP/good" "$J"
truncate -s -5 "$J"
off6=$(frame_off 6)
expect_rc "verify: torn tail warns, exit 0" 0 \
	"journal OK: 5 records, last seq 5" audit verify
grep -q "torn last record at offset $off6" <<<"$err" && ok "verify: torn tail warning names the offset" ||
	nok "verify: torn tail warning names the offset" "$err"
expect "verify -j: torn tail" \
	"d['ok'] is True and d['status'] == 'torn_tail' and d['bad_seq'] == 6 and d['offset'] == $off6 and d['records'] == 5" \
	audit verify
run audit append --type admin_action --action after-crash
if [ "$rc" -eq 0 ] && grep -q "dropped $(($(stat -c %s "$TMP/good") - 5 - off6)) bytes" <<<"$err"; then
	ok "append after a crash: the torn record is cut, with a warning"
else
	nok "append after a crash: the torn record is cut, with a warning" "exit $rc: $err"
fi
expect "after the repair: sound, the repair recorded" \
	"[r['type'] for r in d][-2:] == ['journal_repair', 'admin_action'] and [r['seq'] for r in d] == [1,2,3,4,5,6,7]" \
	audit
expect_rc "after the repair: verify OK" 0 "^journal OK: 7 records, last seq 7$" audit verify

# ---- bad arguments ----
reject "unknown option" 2 "unknown or ambiguous option '--bogus'" audit --bogus
reject "unknown subcommand" 2 "unknown command" audit frobnicate
reject "unexpected operand" 2 "unexpected argument 'extra'" audit list extra
reject "verify: unexpected operand" 2 "unexpected argument" audit verify extra
reject "option without its value" 2 "needs a value" audit --type
reject "empty --journal" 2 "needs a path" audit verify --journal ""
reject "--limit 0" 1 "--limit" audit --limit 0
reject "--limit not a number" 1 "--limit" audit --limit ten
reject "--min-risk over 100" 1 "--min-risk.*0\.\.100" audit --min-risk 101
reject "--min-risk negative" 1 "--min-risk" audit --min-risk -1
reject "--result unknown" 1 "expected success, failure, blocked or denied" audit --result maybe
reject "--since garbage" 1 "--since .*expected a duration" audit --since yesterday
reject "--since never" 1 "--since" audit --since never
reject "--since date without zone" 1 "--since" audit --since 2025-01-01T00:00:00
reject "--type with a space" 1 "event type" audit --type "failed login"
reject "--actor with a control character" 1 "control characters" audit --actor "$(printf 'a\033[31m')"
reject "append without --type" 2 "missing --type" audit append --actor x
reject "append: --risk over 100" 1 "--risk" audit append --type x --risk 101
reject "append: bad --result" 1 "expected success" audit append --type x --result ok
reject "append: bad type" 1 "event type" audit append --type 'x;y'
reject "append: long actor" 1 "too long" audit append --type x --actor "$(head -c 300 /dev/zero | tr '\0' a)"
ln -s "$J" "$TMP/link"
reject "append: a symlinked journal is refused" 1 "symlink" audit append --type x --journal "$TMP/link"
chmod 666 "$J"
reject "append: a world-writable journal is refused" 1 "writable by group or others" audit append --type x
chmod 600 "$J"
printf 'not a journal\n' >"$TMP/text"
chmod 600 "$TMP/text"
expect_rc "append: another file is not a journal" 1 "not an edgeward journal" \
	audit append --type x --journal "$TMP/text"
[ "$(cat "$TMP/text")" = "not a journal" ] && ok "append: the other file is untouched" ||
	nok "append: the other file is untouched" "$(cat "$TMP/text")"
expect_rc "verify: another file" 1 "DAMAGED: bad_frame at seq 1 \(offset 0\)" \
	audit verify --journal "$TMP/text"
expect_rc "verify: a directory" 1 "Is a directory" audit verify --journal "$TMP"

# ---- help ----
expect_rc "audit --help lists the subcommands" 0 "verify +check every record" audit --help
expect_rc "audit verify --help" 0 "Usage: edgewardctl \[OPTIONS\] audit verify" audit verify --help
expect_rc "audit list --help" 0 "--min-risk N" audit list --help

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
