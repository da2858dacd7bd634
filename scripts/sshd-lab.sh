# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# A real OpenSSH server in the server namespace of a scripts/lab.sh lab, for
# the brute-force test (tests/integration/test_sshd.sh) and the demo. Source
# scripts/lab.sh first (and call lab_up), then this file:
#
#   sshd_lab_user_add NAME PASSWORD   a throwaway local account (home /, /bin/sh)
#   sshd_lab_start DIR LOGFILE NAME   sshd on port 22 of the server namespace, its own
#                                     config and host key in DIR, only NAME may log in;
#                                     its log goes to LOGFILE as syslog lines
#   ssh_try SRC USER PASSWORD         one password login from the client namespace,
#                                     bound to SRC; exit status 0 = logged in
#   ssh_banner SRC                    0 when a TCP connection from SRC to port 22 gets
#                                     the server's SSH banner
#   sshd_lab_stop                     stop sshd and its log writer (exact pids)
#   sshd_lab_user_del NAME            remove the account (only one sshd_lab_user_add made)
#
# Port 22: lab_up starts a socat listener on every port of LAB_TCP_PORTS,
# 22 included. sshd_lab_start stops that one listener (its pid must be one
# lab_up recorded in $LAB_DIR/pids, found with ss -p in the server namespace)
# so that sshd serves the real port 22 that the policies' ACLs name.
#
# The log: sshd -E writes bare messages ("Failed password for ..." with no
# timestamp, host or tag), and edgewardd's auth-log reader follows syslog
# files ("TIMESTAMP HOST sshd[PID]: MESSAGE"). So sshd runs with -D -e and
# its stderr goes through a FIFO to a small writer that stamps each line as
# a syslog daemon would (RFC 3339 time, host name, sshd[PID]) and appends it
# to LOGFILE. The messages themselves are sshd's own, byte for byte (sshd
# already escapes control characters in them with strnvis).

SSHD_LAB_PID='' SSHD_LAB_LOGGER_PID='' SSHD_LAB_DIR=''
SSHD_LAB_USERS=()

sshd_lab_user_add() { # NAME PASSWORD
	local name=$1 pass=$2

	if getent passwd "$name" >/dev/null; then
		echo "sshd-lab: user $name exists already" >&2
		return 1
	fi
	useradd -M -d / -s /bin/sh -c "edgeward sshd lab" "$name" || return 1
	SSHD_LAB_USERS+=("$name")
	printf '%s:%s\n' "$name" "$pass" | chpasswd
}

sshd_lab_user_del() { # NAME
	local i

	for i in "${!SSHD_LAB_USERS[@]}"; do
		[ "${SSHD_LAB_USERS[$i]}" = "$1" ] || continue
		# sshd_lab_stop ends its sessions first (they are that sshd's children).
		userdel "$1" || echo "sshd-lab: cannot remove user $1" >&2
		getent group "$1" >/dev/null && groupdel "$1" 2>/dev/null
		unset 'SSHD_LAB_USERS[$i]'
		return 0
	done
	return 0
}

# Stop the lab's own socat listener on PORT of the server namespace.
sshd_lab_free_port() { # PORT
	local pid

	pid=$(in_srv ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1)
	pid=${pid#pid=}
	[ -n "$pid" ] || return 0
	if ! grep -qx "$pid" "$LAB_DIR/pids" 2>/dev/null; then
		echo "sshd-lab: port $1 is held by pid $pid, which is not the lab's listener" >&2
		return 1
	fi
	kill "$pid" 2>/dev/null
	sed -i "/^$pid\$/d" "$LAB_DIR/pids"
	for _ in $(seq 50); do
		in_srv ss -Hltn "sport = :$1" | grep -q . || return 0
		sleep 0.1
	done
	echo "sshd-lab: port $1 is still taken" >&2
	return 1
}

# The log writer: sshd's stderr lines as syslog lines.
_sshd_lab_stamp() { # PID HOST
	local line

	while IFS= read -r line; do
		printf '%(%Y-%m-%dT%H:%M:%S%z)T %s sshd[%s]: %s\n' -1 "$2" "$1" "${line%$'\r'}"
	done
}

sshd_lab_start() { # DIR LOGFILE USER
	local d=$1 log=$2

	SSHD_LAB_DIR=$d
	[ -x /usr/sbin/sshd ] || { echo "sshd-lab: /usr/sbin/sshd missing (openssh-server)" >&2; return 1; }
	sshd_lab_free_port 22 || return 1
	# The privilege separation directory sshd chroots into (the package's runtime dir).
	[ -d /run/sshd ] || install -d -m 0755 /run/sshd || return 1
	ssh-keygen -q -t ed25519 -N '' -C edgeward-sshd-lab -f "$d/ssh_host_ed25519_key" || return 1
	cat >"$d/sshd_config" <<-EOF
		Port 22
		ListenAddress 0.0.0.0
		ListenAddress ::
		HostKey $d/ssh_host_ed25519_key
		PidFile none
		LogLevel INFO
		UseDNS no
		UsePAM no
		PasswordAuthentication yes
		KbdInteractiveAuthentication no
		PubkeyAuthentication no
		AuthorizedKeysFile none
		PermitRootLogin no
		AllowUsers $3
		MaxAuthTries 6
		MaxStartups 100:30:200
		LoginGraceTime 20
		PrintMotd no
		PrintLastLog no
		X11Forwarding no
		AllowTcpForwarding no
		StrictModes no
	EOF
	/usr/sbin/sshd -t -f "$d/sshd_config" || return 1
	: >>"$log"
	rm -f "$d/sshd.log.fifo"
	mkfifo -m 600 "$d/sshd.log.fifo" || return 1
	# nsenter execs sshd, so $! is sshd itself. Its open of the FIFO waits for the reader.
	nsenter --net=/run/netns/"$SRV" /usr/sbin/sshd -D -e -f "$d/sshd_config" \
		2>"$d/sshd.log.fifo" </dev/null &
	SSHD_LAB_PID=$!
	_sshd_lab_stamp "$SSHD_LAB_PID" "$SRV" <"$d/sshd.log.fifo" >>"$log" &
	SSHD_LAB_LOGGER_PID=$!
	for _ in $(seq 50); do
		grep -q 'Server listening on 0.0.0.0 port 22' "$log" && return 0
		kill -0 "$SSHD_LAB_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "sshd-lab: sshd did not start:" >&2
	tail -n 5 "$log" >&2
	return 1
}

sshd_lab_stop() {
	local pid c

	if [ -n "$SSHD_LAB_PID" ]; then
		# Its connections first, while they are still its children: a session
		# with a blocked client would otherwise outlive the listener.
		for c in $(pgrep -P "$SSHD_LAB_PID"); do
			pkill -KILL -P "$c" 2>/dev/null
			kill -KILL "$c" 2>/dev/null
		done
	fi
	for pid in "$SSHD_LAB_PID" "$SSHD_LAB_LOGGER_PID"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	SSHD_LAB_PID='' SSHD_LAB_LOGGER_PID=''
	[ -n "$SSHD_LAB_DIR" ] && rm -f "$SSHD_LAB_DIR/sshd.log.fifo"
	return 0
}

# ssh_try SRC USER PASSWORD: the user name goes through a config file, where ssh
# takes any text (its command line refuses shell metacharacters in names).
ssh_try() {
	local src=$1 user=$2 pass=$3 cfg

	cfg=$(mktemp "$SSHD_LAB_DIR/ssh_config.XXXXXX") || return 2
	user=${user//\\/\\\\}
	user=${user//\"/\\\"}
	cat >"$cfg" <<-EOF
		Host *
		  User "$user"
		  BindAddress $src
		  StrictHostKeyChecking no
		  UserKnownHostsFile /dev/null
		  GlobalKnownHostsFile /dev/null
		  LogLevel ERROR
		  PreferredAuthentications password
		  PubkeyAuthentication no
		  NumberOfPasswordPrompts 1
		  ConnectTimeout 3
		  ServerAliveInterval 2
		  ServerAliveCountMax 2
		  BatchMode no
	EOF
	# A client whose source gets blocked mid-session would otherwise wait on TCP retries.
	SSHPASS=$pass in_cli timeout 15 sshpass -e ssh -F "$cfg" "$SRV4" true </dev/null
	local rc=$?
	rm -f "$cfg"
	return $rc
}

# ssh_banner SRC: a TCP connection from SRC to port 22 reads "SSH-2.0-...".
ssh_banner() {
	local out

	out=$(in_cli timeout 3 socat -T1 - "TCP:$SRV4:22,bind=$1,connect-timeout=1" \
		</dev/null 2>/dev/null | head -c 8)
	[ "$out" = "SSH-2.0-" ]
}

# ew_json EXPR [ARG...]: a Python expression over the JSON document on stdin (d),
# with the arguments in A. A boolean is the exit status; a string or a number is
# printed; a list or an object is printed as compact JSON; None prints nothing.
# (/usr/bin/python3: the system's, not a pyenv shim; no jq needed.)
ew_json() {
	/usr/bin/python3 -c '
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
raw = sys.stdin.read()
d = json.loads(raw) if raw.strip() else None
A = sys.argv[2:]
try:
    r = eval(sys.argv[1])
except (KeyError, IndexError, TypeError, StopIteration):
    r = None
if isinstance(r, bool):
    sys.exit(0 if r else 1)
if isinstance(r, (dict, list)):
    print(json.dumps(r, separators=(",", ":"), ensure_ascii=False))
elif r is not None:
    print(r)
' "$@"
}
