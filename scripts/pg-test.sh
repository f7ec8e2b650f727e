#!/bin/sh
# A throwaway PostgreSQL cluster for tests (Debian's postgresql package).
#
#   scripts/pg-test.sh run [--] CMD [ARG...]
#       Makes a temporary cluster, runs CMD with the variables below in its
#       environment, then stops the cluster and removes its folder whatever
#       CMD did (also on Ctrl-C), and exits with CMD's status. For instance:
#         scripts/pg-test.sh run -- sh -c 'DH_TEST_DB=$DH_PG_URL build/tests/store_conformance'
#   eval "$(scripts/pg-test.sh start)"
#       Makes and starts a cluster that stays up, and prints the variables as
#       shell `export` lines (for the end-to-end tests); stop it with
#   scripts/pg-test.sh stop "$DH_PG_DIR"
#       which stops the cluster in DIR and removes DIR.
#   scripts/pg-test.sh pause DIR / resume DIR
#       Stops the server of the cluster in DIR (a fast shutdown: its clients
#       are disconnected) and keeps the folder; starts it again on the same
#       port (tests of a database lost and back).
#
# Variables given to CMD (and printed by start):
#   DH_PG_URL   postgres://dieuhanh@127.0.0.1:PORT/dieuhanh  (the role owns the
#               database and is not a superuser; no password: trust on loopback)
#   PGHOST=127.0.0.1 PGPORT PGUSER=dieuhanh PGDATABASE=dieuhanh (for psql)
#   DH_PG_DIR   the cluster's folder (data/, sock/, log)
#
# The cluster listens on 127.0.0.1 only, on a free port, with its unix socket
# inside its folder; fsync, synchronous_commit and full_page_writes are off
# (speed; a test cluster need not survive a crash). initdb refuses to run as
# root: as root the cluster runs as the user `nobody` (DH_PG_TEST_USER to
# choose another) and its folder belongs to that user; otherwise it runs as
# the caller. Binaries: /usr/lib/postgresql/15/bin unless PG_BIN says where.
# DH_PG_CONF: more postgresql.conf lines (newline-separated), appended after
# these, so they win (bench/pg.sh sizes its cluster's memory with it).
# Nothing is left running and nothing is left on disk after `run`.
set -eu

PG_BIN=${PG_BIN:-}
if [ -z "$PG_BIN" ]; then
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { PG_BIN=$d; break; }
  done
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "pg-test: no PostgreSQL server binaries (install the postgresql package: scripts/deps.sh)" >&2
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  RUNAS=${DH_PG_TEST_USER:-nobody}
  as_user() { runuser -u "$RUNAS" -- "$@"; }
else
  RUNAS=
  as_user() { "$@"; }
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Makes a cluster in a new folder and starts it; sets DIR and PORT.
cluster_start() {
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/dh-pg.XXXXXX")
  chmod 700 "$DIR"
  [ -n "$RUNAS" ] && chown "$RUNAS" "$DIR"
  mkdir "$DIR/sock"
  [ -n "$RUNAS" ] && chown "$RUNAS" "$DIR/sock"
  if ! as_user "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1; then
    echo "pg-test: initdb failed:" >&2; cat "$DIR/initdb.log" >&2
    return 1
  fi
  cat >>"$DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 100
EOF
  if [ -n "${DH_PG_CONF:-}" ]; then
    printf '%s\n' "$DH_PG_CONF" >>"$DIR/data/postgresql.conf"
  fi
  tries=0
  while :; do
    PORT=$(free_port)
    if as_user "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -o "-p $PORT" -w -t 60 \
        start >/dev/null 2>&1; then
      echo "$PORT" >"$DIR/port"
      break
    fi
    tries=$((tries + 1))
    if [ $tries -ge 3 ]; then
      echo "pg-test: the server did not start:" >&2; tail -20 "$DIR/log" >&2
      return 1
    fi
  done
  as_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/sock" -p "$PORT" -U postgres \
    -d postgres -c "CREATE ROLE dieuhanh LOGIN" -c "CREATE DATABASE dieuhanh OWNER dieuhanh" \
    >/dev/null
}

cluster_stop() {
  d=$1
  if [ -f "$d/data/postmaster.pid" ]; then
    as_user "$PG_BIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$d"
}

set_env() {
  DH_PG_DIR=$DIR
  DH_PG_URL="postgres://dieuhanh@127.0.0.1:$PORT/dieuhanh"
  PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=dieuhanh PGDATABASE=dieuhanh
  export DH_PG_DIR DH_PG_URL PGHOST PGPORT PGUSER PGDATABASE
}

usage() {
  sed -n '2,17p' "$0" >&2
  exit 2
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  run)
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || usage
    DIR=
    trap '[ -n "$DIR" ] && cluster_stop "$DIR"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    cluster_start || exit 1
    set_env
    set +e
    "$@"
    rc=$?
    set -e
    exit $rc
    ;;
  start)
    DIR=
    trap '[ -n "$DIR" ] && cluster_stop "$DIR"' EXIT
    cluster_start || exit 1
    trap - EXIT
    set_env
    for v in DH_PG_DIR DH_PG_URL PGHOST PGPORT PGUSER PGDATABASE; do
      eval "printf 'export %s=%s\n' $v \"\$$v\""
    done
    ;;
  stop)
    [ $# -eq 1 ] && [ -d "$1/data" ] || { echo "pg-test: stop DIR: not a cluster folder" >&2; exit 2; }
    cluster_stop "$1"
    ;;
  pause)
    [ $# -eq 1 ] && [ -f "$1/port" ] || { echo "pg-test: pause DIR: not a cluster folder" >&2; exit 2; }
    as_user "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null
    ;;
  resume)
    [ $# -eq 1 ] && [ -f "$1/port" ] || { echo "pg-test: resume DIR: not a cluster folder" >&2; exit 2; }
    if ! as_user "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/log" -o "-p $(cat "$1/port")" -w -t 60 \
        start >/dev/null 2>&1; then
      echo "pg-test: the server did not start again:" >&2; tail -20 "$1/log" >&2
      exit 1
    fi
    ;;
  *) usage ;;
esac
