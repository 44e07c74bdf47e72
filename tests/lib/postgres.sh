#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests, on a loopback port, in a temporary directory.
# Installs Debian's server package if it is missing (idempotent, like the other toolchains).
# initdb refuses to run as root, so as root the cluster runs as `nobody`.
#
# Usage: tests/lib/postgres.sh start DIR   prints the URL of a database the tests may use
#        tests/lib/postgres.sh stop DIR
set -euo pipefail
. "$(dirname "$0")/common.sh"

command_=${1:?start or stop}
dir=${2:?a directory for the cluster}

bin_dir() {
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ]; then
    apt_install postgresql
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$initdb" ] || die "no PostgreSQL server after installing it"
  dirname "$initdb"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "$command_" in
  start)
    bin=$(bin_dir)
    rm -rf "$dir" && mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown nobody "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U modicum --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # Loopback only, the socket in the cluster's own directory, fsync off: test data need
    # not survive a power cut, and the tests run faster.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
    echo "$port" >"$dir/port"
    echo "postgres://modicum@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] || exit 0
    bin=$(bin_dir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) die "start or stop" ;;
esac
