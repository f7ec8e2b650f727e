#!/bin/sh
# bench/pg.sh BENCH [N] - a read benchmark, build/bench/kpis, overdue or lists,
# at N dossiers (default 10,000,000) on PostgreSQL, in one command: a
# throwaway cluster (scripts/pg-test.sh: fsync off, loopback, removed at the
# end) with the settings below, the bench's rows written into it, the
# figures printed, the cluster stopped and its folder removed.
#
#   DH_PG_CONF  postgresql.conf lines replacing the settings below
#   SQLITE=FILE then runs the same bench on the SQLite file FILE (written on
#               first use, reused after) for figures of both engines from one
#               invocation
#
# The settings: what a DBA would give a dedicated server with this machine's
# memory (23 GB) so that the 10M rows' table and indexes stay cached;
# checkpoints and WAL sized so that the bulk load does not checkpoint
# constantly. Make first: make && make bench.
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
BENCH=$1
N=${2:-10000000}
case "$BENCH" in kpis|overdue|lists) ;; *) echo "pg.sh: BENCH is kpis, overdue or lists" >&2; exit 2 ;; esac
[ -x "build/bench/$BENCH" ] || { echo "pg.sh: build/bench/$BENCH missing: make && make bench" >&2; exit 1; }
DH_PG_CONF=${DH_PG_CONF:-"shared_buffers = 2GB
effective_cache_size = 8GB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
wal_level = minimal
max_wal_senders = 0"}
export DH_PG_CONF
t0=$(date +%s)
scripts/pg-test.sh run -- sh -c '
  echo "pg.sh: PostgreSQL $(psql -XAtc "SHOW server_version"), shared_buffers $(psql -XAtc "SHOW shared_buffers")" >&2
  "build/bench/$1" "$2" "$DH_PG_URL" || exit $?
  echo "pg.sh: database size $(psql -XAtc "SELECT pg_size_pretty(pg_database_size(current_database()))")" >&2
' sh "$BENCH" "$N"
echo "pg.sh: $BENCH on PostgreSQL took $(( $(date +%s) - t0 )) s in all" >&2
if [ -n "${SQLITE:-}" ]; then
  t0=$(date +%s)
  "build/bench/$BENCH" "$N" "$SQLITE"
  echo "pg.sh: $BENCH on SQLite ($SQLITE) took $(( $(date +%s) - t0 )) s in all" >&2
fi
