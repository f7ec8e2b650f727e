#!/bin/sh
# bench/values_pg.sh - indicator value uploads (issue 15): `dieuhanh indicator import-values`
# of one CSV (bench/values_gen.py: every monthly indicator of the demo x unit x 12 months,
# about 29,000 values, one all-or-nothing batch) into a fresh PostgreSQL database and, in
# the same run, into a fresh SQLite one; prints values/s for each and PostgreSQL's time over
# SQLite's. With OLD_BIN=path/to/an/older/dieuhanh the older binary does the same on a
# database of its own, for a before/after figure in the same run.
#
# Runs on DH_PG_URL when set (an empty database), else on a throwaway cluster of
# scripts/pg-test.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${DH_PG_URL:-}" ]; then
  exec "$ROOT/scripts/pg-test.sh" run -- "$0" "$@"
fi
BIN=$ROOT/build/dieuhanh
W=$(mktemp -d /tmp/dh-bench-values-pg.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$BIN" demo --db sqlite:gen.db --no-serve > /dev/null
NV=$(python3 "$ROOT/bench/values_gen.py" gen.db v.csv)

# run NAME BIN URL: demo database, then the timed import; prints "NAME seconds values/s"
run() {
  "$2" demo --db "$3" --no-serve > /dev/null
  /usr/bin/time -f "%e" -o t.time "$2" indicator import-values v.csv --db "$3" > /dev/null
  S=$(cat t.time)
  echo "$1 $S $(awk "BEGIN{printf \"%.0f\", $NV / $S}")"
}
sep() { case "$DH_PG_URL" in *\?*) echo "&";; *) echo "?";; esac; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DH_PG_URL" -c "CREATE SCHEMA bench_new" -c "CREATE SCHEMA bench_old"
R_SQ=$(run sqlite "$BIN" sqlite:new.db)
R_PG=$(run postgres "$BIN" "$DH_PG_URL$(sep)options=-csearch_path%3Dbench_new")
echo "values: $NV values in one batch"
for r in "$R_SQ" "$R_PG"; do
  set -- $r
  echo "  new $1: $2 s, $3 values/s"
done
set -- $R_SQ; SQ_S=$2
set -- $R_PG; PG_S=$2
echo "  new: PostgreSQL / SQLite time $(awk "BEGIN{printf \"%.2f\", $PG_S / $SQ_S}")x"
if [ -n "${OLD_BIN:-}" ]; then
  O_SQ=$(run sqlite "$OLD_BIN" sqlite:old.db)
  O_PG=$(run postgres "$OLD_BIN" "$DH_PG_URL$(sep)options=-csearch_path%3Dbench_old")
  for r in "$O_SQ" "$O_PG"; do
    set -- $r
    echo "  old $1: $2 s, $3 values/s"
  done
  set -- $O_SQ; OSQ_S=$2
  set -- $O_PG; OPG_S=$2
  echo "  old: PostgreSQL / SQLite time $(awk "BEGIN{printf \"%.2f\", $OPG_S / $OSQ_S}")x;" \
    "PostgreSQL old / new $(awk "BEGIN{printf \"%.2f\", $OPG_S / $PG_S}")x"
fi
