# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# A private PostgreSQL cluster for tests: source this file, then
#
#   dir=$(mktemp -d /tmp/ewpg.XXXXXX)
#   pg_start "$dir" 55432 || exit 1      # initdb + start, listening on 127.0.0.1:55432 only
#   pg_psql 55432 postgres -c 'select 1'  # psql as the superuser "postgres" over loopback
#   pg_clean "$dir"                        # stop (fast, then immediate) and remove exactly $dir
#
# Functions:
#   pg_bin                 the directory of PostgreSQL's server programs (PG_BIN overrides;
#                          default the newest /usr/lib/postgresql/*/bin)
#   pg_available           0 when initdb, pg_ctl and psql are present (prints why not)
#   pg_start DIR PORT      initdb DIR/data as the OS user postgres (PostgreSQL refuses to run
#                          as root), trust authentication for 127.0.0.1 only (the local socket,
#                          in DIR, is peer authentication for the OS user postgres), fsync on,
#                          start with pg_ctl -w. DIR must exist and is chowned to postgres.
#                          The server log is DIR/server.log. Returns non-zero (log tail on
#                          stderr) when the port is taken or the server does not come up.
#   pg_stop DIR            pg_ctl stop -m fast, falling back to -m immediate
#   pg_clean DIR           pg_stop, then rm -rf DIR, only if DIR holds a cluster made here
#   pg_free_port [FIRST]   print a TCP port on 127.0.0.1 with nothing listening (from FIRST,
#                          default 54320 + PID % 1000)
#   pg_psql PORT DB ARGS   psql -X -q -v ON_ERROR_STOP=1 as postgres on 127.0.0.1:PORT
#
# Clusters are made and removed by exact path and port: nothing here touches the system's
# own clusters (pg_ctlcluster) or another test's.

pg_bin() {
	local d

	if [ -n "${PG_BIN:-}" ]; then
		printf '%s\n' "$PG_BIN"
		return 0
	fi
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[ -d "$d" ] || return 1
	printf '%s\n' "$d"
}

pg_available() {
	local bin

	bin=$(pg_bin) || { echo "PostgreSQL server programs not found (install postgresql-15)"; return 1; }
	for p in initdb pg_ctl postgres; do
		[ -x "$bin/$p" ] || { echo "$bin/$p is missing (install postgresql-15)"; return 1; }
	done
	command -v psql >/dev/null || { echo "psql is missing (install postgresql-client-15)"; return 1; }
	getent passwd postgres >/dev/null || { echo "no OS user postgres (install postgresql-15)"; return 1; }
	return 0
}

# As the OS user postgres, from a directory it can read (root's cwd may not be).
pg_as_postgres() {
	(cd / && runuser -u postgres -- "$@")
}

pg_free_port() {
	local port=${1:-$((54320 + $$ % 1000))} i

	for ((i = 0; i < 200; i++, port++)); do
		if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	return 1
}

pg_start() {
	local dir=$1 port=$2 bin

	bin=$(pg_bin) || { echo "pg_start: no PostgreSQL server programs" >&2; return 1; }
	if [ -z "$dir" ] || [ ! -d "$dir" ] || [ -z "$port" ]; then
		echo "pg_start: usage: pg_start EXISTING-DIR PORT" >&2
		return 1
	fi
	if [ -e "$dir/data" ]; then
		echo "pg_start: $dir/data exists already" >&2
		return 1
	fi
	# The marker lets pg_clean remove the directory, even after a failed initdb.
	touch "$dir/.edgeward-pgtest" && chown postgres: "$dir" && chmod 700 "$dir" || return 1
	if ! pg_as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
		echo "pg_start: initdb failed:" >&2
		tail -n 20 "$dir/initdb.log" >&2
		return 1
	fi
	# Loopback only: trust for TCP from 127.0.0.1, peer for postgres on the private socket.
	cat >"$dir/data/pg_hba.conf" <<-EOF
		local all postgres peer
		host all all 127.0.0.1/32 trust
	EOF
	cat >>"$dir/data/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = $port
		unix_socket_directories = '$dir'
		fsync = on
		max_connections = 30
		shared_buffers = 32MB
		log_min_messages = warning
		log_line_prefix = '%m [%p] %q%u@%d '
	EOF
	chown postgres: "$dir/data/pg_hba.conf"
	if ! pg_as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		start >/dev/null; then
		echo "pg_start: the server did not start on 127.0.0.1:$port:" >&2
		tail -n 20 "$dir/server.log" >&2
		return 1
	fi
	return 0
}

pg_stop() {
	local dir=$1 bin

	bin=$(pg_bin) || return 1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pg_as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 && return 0
	pg_as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1
}

pg_clean() {
	local dir=$1

	[ -n "$dir" ] && [ -f "$dir/.edgeward-pgtest" ] || return 0
	pg_stop "$dir"
	rm -rf -- "$dir"
}

pg_psql() {
	local port=$1 db=$2

	shift 2
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}
