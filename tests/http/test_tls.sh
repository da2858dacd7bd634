#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The API's TLS policy and headers, checked with real clients against the real server
# (tests/http/http_harness.c around user/edgewardd/http.c and tls.c): curl over TLS 1.2 and
# 1.3, openssl s_client for each refusal (old protocols, CBC and RSA key exchange, fallback
# SCSV, renegotiation), and sslscan's report. Runs once with an ECDSA P-256 certificate and
# once with an RSA-2048 one, so both ECDHE-ECDSA and ECDHE-RSA suites are exercised.
#
# Exit 0 when every check passes, 1 when one fails, 77 when a tool is missing (1 under CI).
# Needs no root. HARNESS=path overrides build/tests/http_harness (built here when missing).
set -u

cd "$(dirname "$0")/../.." || exit 1
HARNESS=${HARNESS:-build/tests/http_harness}
fails=0
tmp=
hpid=

say() { printf '%s\n' "$*"; }
pass() { say "ok   $*"; }
fail() { say "FAIL $*"; fails=$((fails + 1)); }
# shellcheck disable=SC2317 # called through ok_if
not() { ! "$@"; }
# ok_if PASS-MESSAGE FAIL-MESSAGE COMMAND...: pass when the command succeeds, else fail.
ok_if() {
	local p=$1 f=$2
	shift 2
	if "$@"; then pass "$p"; else fail "$f"; fi
}

# shellcheck disable=SC2317 # called through the trap
cleanup() {
	if [ -n "$hpid" ]; then
		kill "$hpid" 2>/dev/null
		wait "$hpid" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

for tool in curl openssl sslscan gcc; do
	if ! command -v "$tool" >/dev/null; then
		say "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
		[ -n "${CI:-}" ] && exit 1
		exit 77
	fi
done

srcs="tests/http/http_harness.c user/edgewardd/http.c user/edgewardd/tls.c user/lib/log.c"
stale=0
[ -x "$HARNESS" ] || stale=1
for s in $srcs user/edgewardd/http.h user/edgewardd/tls.h; do
	[ "$s" -nt "$HARNESS" ] && stale=1
done
if [ $stale = 1 ]; then
	mkdir -p "$(dirname "$HARNESS")"
	# shellcheck disable=SC2086
	gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser/lib \
		-Iuser/edgewardd -o "$HARNESS" $srcs -ljansson -lssl -lcrypto -levent \
		-levent_openssl -lhttp_parser || { say "FAIL cannot build $HARNESS"; exit 1; }
fi

tmp=$(mktemp -d /tmp/test_tls.XXXXXX) || exit 1
chmod 700 "$tmp"

# Self-signed certificates for localhost and 127.0.0.1, keys private to their owner.
mkcert() { # name keyalg-options...
	local name=$1
	shift
	openssl req -x509 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$tmp/$name.key" -out "$tmp/$name.crt" "$@" 2>"$tmp/req.err" ||
		{ cat "$tmp/req.err"; return 1; }
	chmod 600 "$tmp/$name.key"
}
mkcert ec -newkey ec -pkeyopt ec_paramgen_curve:P-256 || exit 1
mkcert rsa -newkey rsa:2048 || exit 1

start_harness() { # cert key
	: >"$tmp/port"
	"$HARNESS" --tls "$1" "$2" >"$tmp/port" 2>"$tmp/harness.log" &
	hpid=$!
	for _ in $(seq 50); do
		port=$(awk '/^port /{print $2}' "$tmp/port")
		[ -n "$port" ] && return 0
		kill -0 "$hpid" 2>/dev/null || break
		sleep 0.1
	done
	say "FAIL the harness did not start:"
	cat "$tmp/harness.log"
	exit 1
}

stop_harness() {
	kill "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
	hpid=
}

# s_client with stdin closed at once; output in $tmp/s.out, exit status returned.
sclient() {
	timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost "$@" \
		</dev/null >"$tmp/s.out" 2>&1
}

headers_ok() { # what file
	local h missing=""
	for h in 'Strict-Transport-Security: max-age=63072000' 'X-Frame-Options: DENY' \
		'X-Content-Type-Options: nosniff' 'Referrer-Policy: no-referrer' \
		"Content-Security-Policy: default-src 'none'; frame-ancestors 'none'" \
		'Permissions-Policy: ' 'Cache-Control: no-store'; do
		grep -qiF "$h" "$2" || missing="$missing [$h]"
	done
	if [ -n "$missing" ]; then
		fail "$1: missing headers:$missing"
	elif grep -qi '^server:' "$2"; then
		fail "$1: Server header present"
	else
		pass "$1: security headers present, no Server header"
	fi
}

check_curl() { # kind
	local v st
	for v in 1.2 1.3; do
		st=$(curl -sS --cacert "$tmp/$1.crt" --tlsv$v --tls-max $v -D "$tmp/h.txt" \
			-o "$tmp/b.txt" -w '%{http_code} %{ssl_verify_result}' \
			"https://127.0.0.1:$port/ping" 2>&1)
		if [ "$st" = "200 0" ] && grep -q '"pong":true' "$tmp/b.txt"; then
			pass "$1: curl TLS $v -> 200, certificate verified"
		else
			fail "$1: curl TLS $v -> '$st' body '$(head -c 80 "$tmp/b.txt")'," \
				"expected '200 0' and {\"pong\":true}"
		fi
		headers_ok "$1: curl TLS $v" "$tmp/h.txt"
	done
	# Errors carry the headers too.
	st=$(curl -sS --cacert "$tmp/$1.crt" -D "$tmp/h.txt" -o /dev/null -w '%{http_code}' \
		"https://127.0.0.1:$port/nope")
	ok_if "$1: 404 answered" "$1: /nope -> $st, expected 404" [ "$st" = 404 ]
	headers_ok "$1: the 404" "$tmp/h.txt"
	# curl offers h2 by ALPN; the server speaks HTTP/1.1 only and says so.
	st=$(curl -sS --http2 --cacert "$tmp/$1.crt" -o /dev/null \
		-w '%{http_code} %{http_version}' "https://127.0.0.1:$port/ping")
	ok_if "$1: ALPN h2,http/1.1 -> HTTP/1.1" "$1: curl --http2 -> '$st', expected '200 1.1'" \
		[ "$st" = "200 1.1" ]
	# Keep-alive: two requests, one connection.
	st=$(curl -sS --cacert "$tmp/$1.crt" -o /dev/null -o /dev/null \
		-w '%{num_connects}' "https://127.0.0.1:$port/ping" "https://127.0.0.1:$port/ping")
	ok_if "$1: keep-alive reuses the connection" \
		"$1: keep-alive: connects '$st', expected 1 then 0" [ "$st" = "10" ]
}

# The server must refuse: s_client fails and the server's alert says why.
refused() { # what alert s_client-args...
	local what=$1 alert=$2
	shift 2
	if sclient "$@"; then
		fail "$what: handshake succeeded"
	elif grep -qi "$alert" "$tmp/s.out"; then
		pass "$what: refused ($alert)"
	else
		fail "$what: failed without '$alert':"
		grep -i 'error\|alert' "$tmp/s.out" | head -3
	fi
}

check_sclient() { # kind
	local k=$1
	# Let the client offer the old protocols (OpenSSL 3 needs security level 0 for them),
	# so the refusal is the server's.
	refused "$k: TLS 1.1" 'alert protocol version' -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
	refused "$k: TLS 1.0" 'alert protocol version' -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
	if openssl s_client -help 2>&1 | grep -q -- '^ *-ssl3 '; then
		refused "$k: SSL 3" 'alert\|wrong version\|no protocols' -ssl3
	else
		say "note $k: this openssl has no -ssl3; sslscan's SSLv3 line covers it"
	fi
	refused "$k: AES128-SHA (CBC, RSA key exchange)" 'alert handshake failure' \
		-tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0'
	refused "$k: AES128-GCM-SHA256 (RSA key exchange)" 'alert handshake failure' \
		-tls1_2 -cipher 'AES128-GCM-SHA256'
	refused "$k: ECDHE-RSA-AES128-SHA (CBC)" 'alert handshake failure' \
		-tls1_2 -cipher 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0'
	refused "$k: ECDHE-ECDSA-AES256-SHA384 (CBC)" 'alert handshake failure' \
		-tls1_2 -cipher 'ECDHE-ECDSA-AES256-SHA384'
	refused "$k: DHE-RSA-AES128-GCM-SHA256 (finite-field DH)" 'alert handshake failure' \
		-tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256'
	refused "$k: TLS 1.3 ChaCha20" 'alert handshake failure' \
		-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
	refused "$k: fallback SCSV at TLS 1.2" 'inappropriate fallback' -tls1_2 -fallback_scsv

	# Compression off, and no tickets (session cache instead): resumption by session id.
	if sclient -tls1_2 -sess_out "$tmp/sess.pem"; then
		ok_if "$k: no compression" "$k: compression: $(grep Compression: "$tmp/s.out")" \
			grep -q 'Compression: NONE' "$tmp/s.out"
		ok_if "$k: no session ticket" "$k: a session ticket was issued" \
			not grep -q 'TLS session ticket' "$tmp/s.out"
		if sclient -tls1_2 -sess_in "$tmp/sess.pem" && grep -q '^Reused' "$tmp/s.out"; then
			pass "$k: session resumed from the server's cache"
		else
			fail "$k: session not resumed: $(grep -E '^(New|Reused)' "$tmp/s.out")"
		fi
	else
		fail "$k: TLS 1.2 handshake failed"
	fi
	# TLS 1.3 resumes through a stateful ticket (a cache reference); the client must wait
	# for it, as it comes after the handshake.
	sleep 0.5 | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_3 \
		-sess_out "$tmp/sess13.pem" >/dev/null 2>&1
	if sleep 0.5 | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_3 \
		-sess_in "$tmp/sess13.pem" 2>&1 | grep -q '^Reused, TLSv1.3'; then
		pass "$k: TLS 1.3 session resumed"
	else
		fail "$k: TLS 1.3 session not resumed"
	fi

	# Renegotiation: s_client's interactive R asks for it; the server refuses.
	(sleep 1; echo R; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
		-tls1_2 >"$tmp/s.out" 2>&1
	if grep -q 'RENEGOTIATING' "$tmp/s.out" && grep -qi 'no renegotiation' "$tmp/s.out"; then
		pass "$k: client renegotiation refused"
	else
		fail "$k: renegotiation not refused:"
		grep -iE 'reneg|error' "$tmp/s.out" | head -5
	fi
}

check_sslscan() { # kind
	local k=$1 out=$tmp/sslscan.txt bad
	sslscan --no-colour "127.0.0.1:$port" >"$out" 2>&1
	for p in 'SSLv2     disabled' 'SSLv3     disabled' 'TLSv1.0   disabled' \
		'TLSv1.1   disabled' 'TLSv1.2   enabled' 'TLSv1.3   enabled'; do
		ok_if "$k: sslscan: $p" "$k: sslscan: not '$p'" grep -q "^$p" "$out"
	done
	ok_if "$k: sslscan: fallback SCSV supported" "$k: sslscan: fallback SCSV" \
		grep -q '^Server supports TLS Fallback SCSV' "$out"
	ok_if "$k: sslscan: renegotiation not supported" \
		"$k: sslscan: $(grep -i renegotiation "$out" | tail -1)" \
		grep -q '^Session renegotiation not supported' "$out"
	ok_if "$k: sslscan: no secure or insecure renegotiation" "$k: sslscan: renegotiation" \
		not grep -q 'Secure session renegotiation\|Insecure session renegotiation' "$out"
	ok_if "$k: sslscan: no compression reported" "$k: sslscan: compression enabled" \
		not grep -qi 'Compression enabled' "$out"
	if grep -q 'not vulnerable to heartbleed' "$out" &&
		! grep -v 'not vulnerable' "$out" | grep -q 'vulnerable to heartbleed'; then
		pass "$k: sslscan: not vulnerable to heartbleed"
	else
		fail "$k: sslscan: heartbleed: $(grep -i heartbleed "$out" | tr '\n' ' ')"
	fi
	# Every accepted suite: TLS 1.3 AES-GCM, or TLS 1.2 ECDHE with AES-GCM.
	grep -E '^(Preferred|Accepted) ' "$out" >"$tmp/ciphers.txt"
	bad=$(awk '!(($2 == "TLSv1.3" && $5 ~ /^TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)$/) ||
		     ($2 == "TLSv1.2" && $5 ~ /^ECDHE-(ECDSA|RSA)-AES(128|256)-GCM-SHA(256|384)$/))' \
		"$tmp/ciphers.txt")
	if [ ! -s "$tmp/ciphers.txt" ]; then
		fail "$k: sslscan listed no cipher"
	elif [ -n "$bad" ]; then
		fail "$k: sslscan: suites outside the policy: $bad"
	else
		pass "$k: sslscan: $(wc -l <"$tmp/ciphers.txt") suites, all ECDHE/TLS 1.3 with AES-GCM"
	fi
	ok_if "$k: sslscan: ECDHE-$2 suites offered" "$k: sslscan: no ECDHE-$2 suite" \
		grep -qE "ECDHE-$2-AES" "$tmp/ciphers.txt"
}

for kind in ec rsa; do
	[ $kind = ec ] && sig=ECDSA || sig=RSA
	start_harness "$tmp/$kind.crt" "$tmp/$kind.key"
	say "== $kind certificate, port $port"
	check_curl $kind
	check_sclient $kind
	check_sslscan $kind "$sig"
	stop_harness
done

# A key file that group or others can read is refused at start-up, with a hint.
chmod 640 "$tmp/ec.key"
if "$HARNESS" --tls "$tmp/ec.crt" "$tmp/ec.key" >/dev/null 2>"$tmp/harness.log"; then
	fail "key mode 0640 accepted"
elif grep -q 'chmod 600' "$tmp/harness.log"; then
	pass "key mode 0640 refused: $(tail -1 "$tmp/harness.log")"
else
	fail "key mode 0640 refused without the hint: $(cat "$tmp/harness.log")"
fi
chmod 600 "$tmp/ec.key"
# A key that does not belong to the certificate is refused too.
if "$HARNESS" --tls "$tmp/ec.crt" "$tmp/rsa.key" >/dev/null 2>"$tmp/harness.log"; then
	fail "mismatched key accepted"
elif grep -q 'does not match' "$tmp/harness.log"; then
	pass "mismatched key refused"
else
	fail "mismatched key refused without saying so: $(cat "$tmp/harness.log")"
fi

if [ $fails -ne 0 ]; then
	say "test_tls: $fails check(s) failed"
	exit 1
fi
say "test_tls: all checks passed"
exit 0
