#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# edgewardd end to end, with real clients: the daemon runs in the server
# namespace of a veth lab under the production profile (TLS, MFA, encryption,
# a 32+ byte JWT secret), attached to the server's veth. Checked: --check and
# the production refusals, the single instance, the config's policy on the
# wire, edgewardctl through the Unix socket, operators over HTTPS with curl
# (RBAC, lockout across spellings and sources with identical answers, TOTP
# from oathtool with replay and a race on one code), tokens forged with
# PyJWT, refresh rotation and reuse, logout and role change revocation, the
# login rate limit, SIGHUP and API reloads (invalid ones change nothing),
# a restart under traffic with no packet lost and no block lost, metrics,
# the audit journal's chain, and emergency mode when the daemon is down.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, XDP)"; exit 77; }
PY=/usr/bin/python3
for t in curl openssl oathtool sslscan; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/install-deps.sh)"; exit 77; }
done
$PY -c 'import jwt' 2>/dev/null || { echo "SKIP: python3-jwt missing"; exit 77; }

LAB=ewd$$
LAB=${LAB:0:8}
source scripts/lab.sh
T=$(mktemp -d /tmp/ewd-test.XXXXXX)
chmod 700 "$T"
PIN=/sys/fs/bpf/edgeward-test-daemon-$$
EWD=$PWD/build/edgewardd
CTL=$PWD/build/edgewardctl
PORT=8443
URL=https://127.0.0.1:$PORT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
neg() { ! "$@"; }
# is NAME ACTUAL EXPECTED
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', expected '$3')"; fi; }

daemon_pid() { cat "$T/run/edgewardd.pid" 2>/dev/null; }
stop_daemon() {
	local pid
	pid=$(daemon_pid)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
cleanup() {
	# A second TERM (timeout signals the whole process group) must not cut this short.
	trap '' TERM INT
	stop_daemon
	lab_down
	[ -d "$PIN" ] && rm -rf "$PIN"
	rm -rf "$T"
}
trap cleanup EXIT
# A timeout or ^C must clean up too: bash runs the EXIT trap only when it exits itself.
trap 'exit 143' TERM INT

# The environment of every edgewardctl call: the daemon's socket, our journal.
export EDGEWARD_SOCKET=$T/run/api.sock EDGEWARD_PIN_DIR=$PIN EDGEWARD_JOURNAL=$T/state/journal
ctl() { in_srv "$CTL" "$@"; }
# api METHOD PATH [BODY] [curl args...]: HTTPS from the server namespace; prints body, then the status
api() {
	local m=$1 p=$2 b=${3:-}
	shift 3 2>/dev/null || shift $#
	in_srv curl -s --cacert "$T/cert.pem" -X "$m" -H 'Content-Type: application/json' \
		${b:+--data-binary "$b"} -w '\n%{http_code}' "$@" "$URL$p"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
jget() { $PY -c 'import json,sys; d=json.loads(sys.stdin.read() or "null")
for k in sys.argv[1].split("."):
    d = d[int(k)] if isinstance(d, list) else (d or {}).get(k)
print("" if d is None else (json.dumps(d) if isinstance(d,(dict,list)) else d))' "$1"; }
sock() { in_srv curl -s --unix-socket "$T/run/api.sock" -H 'Content-Type: application/json' "$@"; }

lab_up || { echo "lab setup failed"; exit 1; }

# --- the production setup: certificate, keyring, JWT secret, config ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -days 2 \
	-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
chmod 600 "$T/key.pem"
echo "k1 $(openssl rand -hex 32)" >"$T/data.key" && chmod 600 "$T/data.key"
openssl rand -hex 32 >"$T/jwt.key" && chmod 600 "$T/jwt.key"
mkdir -p "$T/state" "$T/run" && chmod 700 "$T/state"
write_config() { # $1: extra open ports
	cat >"$T/edgeward.yaml" <<EOF
profile: production
daemon:
  pin_dir: $PIN
  state_dir: $T/state
  journal: $T/state/journal
  users_file: $T/state/users.json
  pid_file: $T/run/edgewardd.pid
  interfaces: [{name: $SRV_IF, mode: native}]
api:
  unix_socket: $T/run/api.sock
  listen: ["127.0.0.1:$PORT", "$SRV4_INET:$PORT"]
  tls: {enabled: true, cert: $T/cert.pem, key: $T/key.pem}
  rate_limits:
    api: {rate: 1000/s, burst: 1000}
    login: {rate: 3/min, burst: 5}
metrics: {enabled: true, listen: "127.0.0.1:9447"}
security:
  authentication:
    jwt: {secret_file: $T/jwt.key}
    mfa: {enabled: true, required: [admin, financial]}
  encryption: {enabled: true, keyFile: $T/data.key}
network:
  default: {tcp: deny}
  open: [80/tcp, 443/tcp, $PORT/tcp$1]
  acl:
    - port: 22/tcp
      from: [10.0.0.0/8]
  block:
    - cidr: 203.0.113.0/24
      reason: hostile net
EOF
	chmod 600 "$T/edgeward.yaml"
}
write_config ""

# --- --check and the production refusals ---
check "--check accepts the production config" $EWD --check -c "$T/edgeward.yaml"
cp "$T/edgeward.yaml" "$T/bad.yaml"
sed -i 's/^  rate_limits:/  rate_limit:/' "$T/bad.yaml"
out=$($EWD --check -c "$T/bad.yaml" 2>&1)
check "--check refuses an unknown key with FILE:LINE:COL" grep -q "bad.yaml:[0-9]*:[0-9]*: .*rate_limit" <<<"$out"
chmod 644 "$T/key.pem"
out=$($EWD --check -c "$T/edgeward.yaml" 2>&1)
check "production refuses a world-readable TLS key" grep -qi "key.pem" <<<"$out"
chmod 600 "$T/key.pem"
sed 's/mfa: {enabled: true/mfa: {enabled: false/' "$T/edgeward.yaml" >"$T/nomfa.yaml"
chmod 600 "$T/nomfa.yaml"
check "production refuses MFA off" neg $EWD --check -c "$T/nomfa.yaml"
echo short >"$T/short.key" && chmod 600 "$T/short.key"
sed "s|secret_file: $T/jwt.key|secret_file: $T/short.key|" "$T/edgeward.yaml" >"$T/short.yaml"
chmod 600 "$T/short.yaml"
check "production refuses a short JWT secret" neg $EWD --check -c "$T/short.yaml"

# --- start, single instance ---
in_srv $EWD -c "$T/edgeward.yaml" >"$T/daemon.log" 2>&1 &
for _ in $(seq 100); do [ -S "$T/run/api.sock" ] && break; sleep 0.1; done
check "daemon serves on its Unix socket" test -S "$T/run/api.sock"
out=$(in_srv $EWD -c "$T/edgeward.yaml" 2>&1)
rc=$?
check "a second instance refuses to start" test $rc -ne 0
check "  ... naming the running one" grep -q "another edgewardd is running (pid $(daemon_pid)" <<<"$out"

# --- the config's policy on the wire ---
check "office -> 80 passes" tcp_ok $OFFICE $SRV4 80
check "config block: hostile -> 80 dropped" neg tcp_ok $HOSTILE $SRV4_HOSTILE 80
check "config ACL: internet -> 22 dropped" neg tcp_ok $INET $SRV4_INET 22
check "default deny: office -> 8080 dropped" neg tcp_ok $OFFICE $SRV4 8080

# --- edgewardctl through the daemon ---
check "block add through the socket" ctl -q block add 198.51.100.10 --reason "test block"
check "  ... the source is dropped on the wire" neg tcp_ok $INET $SRV4_INET 80
out=$(ctl -j block list)
check "  ... listed by the daemon" grep -q '"198.51.100.10/32"' <<<"$out"
out=$(ctl -j audit --type admin_action)
check "  ... and audited with who and what" grep -q '"block.add"' <<<"$out"
check "health needs no token" test "$(status_of "$(api GET /v1/health)")" = 200

# --- operators ---
sock -X POST http://x/v1/users -d '{"username":"Alice","email":"alice@example.com","first_name":"Alice","last_name":"Smith","role":"viewer","password":"Tr0ub4dor&3-horse"}' >/dev/null
sock -X POST http://x/v1/users -d '{"username":"boss","email":"boss@example.com","first_name":"Big","last_name":"Boss","role":"admin","password":"Correct-Horse-42-Battery"}' >/dev/null
sock -X POST http://x/v1/users -d '{"username":"mgr","email":"mgr@example.com","first_name":"Mia","last_name":"Ng","role":"manager","password":"Blue-Lantern-77-Orbit"}' >/dev/null
out=$(sock -X POST http://x/v1/users -d '{"username":"weak","email":"w@example.com","first_name":"W","last_name":"K","role":"viewer","password":"P@ssw0rd1234"}' -w '\n%{http_code}')
is "a common password is refused" "$(status_of "$out")" 400
out=$(sock -X POST http://x/v1/users -d '{"username":"bad","email":"not-an-email","first_name":"B","last_name":"D","role":"viewer","password":"Tr0ub4dor&3-horse"}' -w '\n%{http_code}')
is "a bad email is refused" "$(status_of "$out")" 400
out=$(sock -X POST http://x/v1/users -d '{"username":"x","role":"root","email":"x@example.com","first_name":"X","last_name":"Y","password":"Tr0ub4dor&3-horse","extra":1}' -w '\n%{http_code}')
is "an unknown field is refused" "$(status_of "$out")" 400

login() { # SRC-ADDR USER PASSWORD [TOTP]
	api POST /v1/auth/login "{\"username\":\"$2\",\"password\":\"$3\"${4:+,\"totp\":\"$4\"}}" --interface "$1"
}
out=$(login 127.0.0.2 "ALICE " 'Tr0ub4dor&3-horse')
is "viewer logs in (name spelled ALICE with a space)" "$(status_of "$out")" 200
AT=$(body_of "$out" | jget access_token)
RT=$(body_of "$out" | jget refresh_token)
is "viewer reads the blocklist" "$(status_of "$(api GET /v1/blocks '' -H "Authorization: Bearer $AT")")" 200
is "viewer may not add a block (403)" \
	"$(status_of "$(api POST /v1/blocks '{"cidrs":["192.0.2.99"]}' -H "Authorization: Bearer $AT")")" 403
is "no token: 401" "$(status_of "$(api GET /v1/blocks)")" 401

# --- tokens forged with PyJWT ---
SECRET=$(cat "$T/jwt.key")
forge() { $PY - "$SECRET" "$1" <<'EOF'
import jwt, sys, time, uuid, base64, json
secret, case = sys.argv[1], sys.argv[2]
now = int(time.time())
c = {"iss": "edgeward", "aud": "edgeward-api", "sub": "alice", "role": "admin", "typ": "access",
     "jti": str(uuid.uuid4()), "fam": str(uuid.uuid4()), "iat": now, "nbf": now, "exp": now + 600, "ver": 0}
def b64(x): return base64.urlsafe_b64encode(x).rstrip(b"=").decode()
if case == "none":
    print(b64(b'{"alg":"none","typ":"JWT"}') + "." + b64(json.dumps(c).encode()) + ".")
elif case == "NoNe":
    print(b64(b'{"alg":"NoNe"}') + "." + b64(json.dumps(c).encode()) + ".")
elif case == "hs512":
    print(jwt.encode(c, secret, algorithm="HS512"))
elif case == "aud":
    c["aud"] = "someone-else"; print(jwt.encode(c, secret, algorithm="HS256"))
elif case == "iss":
    c["iss"] = "evil"; print(jwt.encode(c, secret, algorithm="HS256"))
elif case == "expired":
    c["iat"] = now - 7200; c["nbf"] = now - 7200; c["exp"] = now - 3600; print(jwt.encode(c, secret, algorithm="HS256"))
elif case == "future":
    c["nbf"] = now + 3600; print(jwt.encode(c, secret, algorithm="HS256"))
elif case == "refresh":
    c["typ"] = "refresh"; print(jwt.encode(c, secret, algorithm="HS256"))
elif case == "wrongkey":
    print(jwt.encode(c, "x" * 40, algorithm="HS256"))
elif case == "big":
    c["pad"] = "A" * 5000; print(jwt.encode(c, secret, algorithm="HS256"))
elif case == "good":
    print(jwt.encode(c, secret, algorithm="HS256"))
EOF
}
for c in none NoNe hs512 aud iss expired future refresh wrongkey big; do
	is "forged token ($c) refused" \
		"$(status_of "$(api GET /v1/blocks '' -H "Authorization: Bearer $(forge $c)")")" 401
done
# Signed right, but alice is a viewer with version 0: the role claim says admin, the store disagrees.
is "a token claiming a role the user does not have is refused" \
	"$(status_of "$(api GET /v1/blocks '' -H "Authorization: Bearer $(forge good)")")" 401

# --- refresh rotation, reuse, logout ---
out=$(api POST /v1/auth/refresh "{\"refresh_token\":\"$RT\"}" --interface 127.0.0.3)
is "refresh rotates" "$(status_of "$out")" 200
RT2=$(body_of "$out" | jget refresh_token)
AT2=$(body_of "$out" | jget access_token)
is "reusing the old refresh token is refused" \
	"$(status_of "$(api POST /v1/auth/refresh "{\"refresh_token\":\"$RT\"}" --interface 127.0.0.3)")" 401
is "  ... and revokes its family (the new one too)" \
	"$(status_of "$(api POST /v1/auth/refresh "{\"refresh_token\":\"$RT2\"}" --interface 127.0.0.3)")" 401
is "  ... and the family's access token" \
	"$(status_of "$(api GET /v1/blocks '' -H "Authorization: Bearer $AT2")")" 401
out=$(login 127.0.0.4 alice 'Tr0ub4dor&3-horse')
AT=$(body_of "$out" | jget access_token)
is "logout" "$(status_of "$(api POST /v1/auth/logout '{}' -H "Authorization: Bearer $AT")")" 200
is "  ... the token is dead at once" "$(status_of "$(api GET /v1/blocks '' -H "Authorization: Bearer $AT")")" 401
out=$(login 127.0.0.4 mgr 'Blue-Lantern-77-Orbit')
MT=$(body_of "$out" | jget access_token)
is "manager adds a block over HTTPS" \
	"$(status_of "$(api POST /v1/blocks '{"cidrs":["192.0.2.77"],"reason":"mgr"}' -H "Authorization: Bearer $MT")")" 200
sock -X POST http://x/v1/users/mgr/role -d '{"role":"viewer"}' >/dev/null
is "a role change revokes the user's tokens at once" \
	"$(status_of "$(api GET /v1/blocks '' -H "Authorization: Bearer $MT")")" 401

# --- lockout: 5 failures across spellings and sources, identical answers ---
ref=$(login 127.0.0.10 nobody-here 'Wrong-Password-123!')
i=0
for spelling in alice ALICE " Alice" "alice " AlIcE; do
	i=$((i + 1))
	out=$(login 127.0.0.$((10 + i)) "$spelling" 'Wrong-Password-123!')
	is "failure $i ($spelling, from 127.0.0.$((10 + i))): 401" "$(status_of "$out")" 401
done
out=$(login 127.0.0.20 alice 'Tr0ub4dor&3-horse')
is "locked: the right password gets the same 401" "$(status_of "$out")" 401
is "  ... with the body of an unknown user" "$(body_of "$out")" "$(body_of "$ref")"
out=$(login 127.0.0.21 "аlice" 'Tr0ub4dor&3-horse')
is "a Cyrillic look-alike name gets the same answer" "$(body_of "$out")" "$(body_of "$ref")"
check "unlock by local root" ctl -q user unlock alice
is "  ... then the right password works" "$(status_of "$(login 127.0.0.22 alice 'Tr0ub4dor&3-horse')")" 200

# --- the login rate limit (3/min, burst 5, per source: nginx's burst=5 nodelay lets 1 + 5 through) ---
codes=""
for _ in 1 2 3 4 5 6 7; do codes="$codes $(status_of "$(login 127.0.0.50 nobody 'x')")"; done
is "7 logins from one source: 6 answered, the 7th is 429" "$codes" " 401 401 401 401 401 401 429"
out=$(in_srv curl -s -D - -o /dev/null --cacert "$T/cert.pem" --interface 127.0.0.50 \
	-H 'Content-Type: application/json' -d '{"username":"a","password":"b"}' $URL/v1/auth/login)
check "  ... with Retry-After" grep -qi '^retry-after: [0-9]' <<<"$out"

# --- TOTP MFA for the admin ---
out=$(login 127.0.0.30 boss 'Correct-Horse-42-Battery')
is "admin without a code: 401" "$(status_of "$out")" 401
check "  ... saying MFA is required" grep -q "mfa required" <<<"$(body_of "$out")"
URI=$(sock -X POST http://x/v1/users/boss/mfa/enrol | jget otpauth_uri)
check "enrolment gives an otpauth:// URI" grep -q '^otpauth://totp/' <<<"$URI"
SEC=$(sed 's/.*secret=\([A-Z2-7]*\).*/\1/' <<<"$URI")
CODE=$(oathtool --totp -b "$SEC")
is "admin with the code from oathtool: 200" "$(status_of "$(login 127.0.0.31 boss 'Correct-Horse-42-Battery' "$CODE")")" 200
is "the same code again: 401" "$(status_of "$(login 127.0.0.32 boss 'Correct-Horse-42-Battery' "$CODE")")" 401
# A fresh code used by two clients at once: exactly one wins.
while [ "$(oathtool --totp -b "$SEC")" = "$CODE" ]; do sleep 1; done
CODE=$(oathtool --totp -b "$SEC")
login 127.0.0.33 boss 'Correct-Horse-42-Battery' "$CODE" >"$T/race1" &
r1=$!
login 127.0.0.34 boss 'Correct-Horse-42-Battery' "$CODE" >"$T/race2" &
r2=$!
wait $r1 $r2
wins=$( (tail -n 1 "$T/race1"; echo; tail -n 1 "$T/race2"; echo) | grep -c "^200$")
[ "$wins" = 1 ] || { echo "# race answers:"; cat "$T/race1" "$T/race2"; }
is "one code used twice at once: exactly one success" "$wins" 1

# --- reloads ---
cp "$T/edgeward.yaml" "$T/good.yaml"
echo "bogus_key: 1" >>"$T/edgeward.yaml"
kill -HUP "$(daemon_pid)"
sleep 0.5
check "SIGHUP with a bad config: still running" kill -0 "$(daemon_pid)"
check "  ... and the log says where" grep -q "edgeward.yaml:[0-9]*:[0-9]*:" "$T/daemon.log"
check "  ... the old policy is still enforced" neg tcp_ok $OFFICE $SRV4 8080
write_config ", 8080/tcp"
out=$(sock -X POST http://x/v1/config/reload -d '{}' -w '\n%{http_code}')
is "API reload with a valid config" "$(status_of "$out")" 200
check "  ... applies the new policy (8080 open)" tcp_ok $OFFICE $SRV4 8080
out=$(ctl -j audit --type config_reload)
check "  ... both reloads are in the journal" test "$(grep -o '"result":"failure"' <<<"$out" | wc -l)" -ge 1

# --- metrics ---
m=$(in_srv curl -s http://127.0.0.1:9447/metrics)
check "metrics: logins by result" grep -q '^edgeward_logins_total{result="failure"} [1-9]' <<<"$m"
check "metrics: packets by reason" grep -q '^edgeward_packets_total{reason="blocklist"} [1-9]' <<<"$m"
check "metrics: API requests by status" grep -q '^edgeward_api_requests_total{code="200"}' <<<"$m"
check "metrics: map fill" grep -q '^edgeward_blocklist_entries{family="ipv4"} [1-9]' <<<"$m"

# --- the response engine: 5 failed logins from one source in 5 minutes -> blocked at XDP ---
BRUTE=198.51.100.20
in_cli ip addr add $BRUTE/24 dev "$CLI_IF"
check "the brute-forcing host reaches port 80 first" tcp_ok $BRUTE $SRV4_INET 80
for i in 1 2 3 4 5; do
	in_cli curl -s -o /dev/null -m 3 --cacert "$T/cert.pem" --resolve "localhost:$PORT:$SRV4_INET" \
		--interface $BRUTE -H 'Content-Type: application/json' \
		-d '{"username":"mallory","password":"Guess-Number-'$i'"}' "https://$SRV4_INET:$PORT/v1/auth/login" -k
done
out=$(ctl -j block list --origin auto)
check "after 5 failures the source is in the blocklist (origin auto)" grep -q "\"$BRUTE/32\"" <<<"$out"
check "  ... and dropped at XDP" neg tcp_ok $BRUTE $SRV4_INET 80
out=$(ctl -j audit --type automated_response)
check "  ... the response is audited" grep -q "block_ip" <<<"$out"

# --- restart under traffic: nothing passes from blocked sources, nothing is lost ---
before=$(ctl -j block list | jget count)
in_cli ping -i 0.01 -c 400 -q $SRV4 >"$T/ping_ok" 2>&1 &
p1=$!
in_cli ping -I $HOSTILE -i 0.01 -c 400 -q $SRV4_HOSTILE >"$T/ping_bad" 2>&1 &
p2=$!
sleep 1
stop_daemon
check "daemon stopped; the filter stays attached" bash -c "nsenter --net=/run/netns/$SRV ip -d link show $SRV_IF | grep -q 'xdp '"
in_srv $EWD -c "$T/edgeward.yaml" >>"$T/daemon.log" 2>&1 &
for _ in $(seq 100); do [ -S "$T/run/api.sock" ] && ctl -q status >/dev/null 2>&1 && break; sleep 0.1; done
wait $p1 $p2
check "allowed pings across the restart: 0% loss" grep -q " 0% packet loss" "$T/ping_ok"
check "blocked source across the restart: 100% loss" grep -q " 100% packet loss" "$T/ping_bad"
is "blocks after the restart" "$(ctl -j block list | jget count)" "$before"

# --- TLS policy, as a scanner sees it ---
scan=$(in_srv sslscan --no-colour 127.0.0.1:$PORT 2>&1)
check "sslscan: TLSv1.0 disabled" grep -q "TLSv1.0 *disabled" <<<"$scan"
check "sslscan: TLSv1.1 disabled" grep -q "TLSv1.1 *disabled" <<<"$scan"
check "sslscan: no CBC cipher accepted" neg grep -E "^(Preferred|Accepted).*(CBC|SHA1? *$| AES[0-9]*-SHA)" <<<"$scan"
check "sslscan: fallback SCSV" grep -q "Server supports TLS Fallback SCSV" <<<"$scan"
check "sslscan: no renegotiation" grep -q "Session renegotiation not supported" <<<"$scan"
check "sslscan: no compression" neg grep -qi "Compression enabled" <<<"$scan"

# --- the journal ---
check "audit verify: chain intact" ctl -q audit verify
out=$(ctl -j audit --type failed_login)
check "failed logins are audited with their source" grep -q '"source":"127.0.0.1[0-9]"' <<<"$out"

# --- emergency mode: the daemon is down ---
stop_daemon
out=$(ctl block add 192.0.2.200 2>&1)
check "daemon down: root writes the maps directly" grep -q '"192.0.2.200/32"' <<<"$(ctl -j block list 2>/dev/null)"
check "  ... with a warning" grep -q "emergency mode" <<<"$out"
out=$(ctl -j audit --type emergency_direct)
check "  ... recorded in the journal" grep -q '"block.add"' <<<"$out"

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
