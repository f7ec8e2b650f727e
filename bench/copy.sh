#!/bin/sh
# bench/copy.sh BIN [N] - `dieuhanh copy` against PostgreSQL's own dump and restore.
#
# A database of the demo province with N generated dossiers (default 100,000: about 5.3
# events each, their dossier rows and aggregates) is copied, each step timed:
#   1. dieuhanh copy SQLite -> PostgreSQL (schema bench_a)
#   2. dieuhanh copy PostgreSQL -> PostgreSQL (bench_a -> bench_b)
#   3. the baseline: pg_dump --data-only of bench_a piped into psql, into bench_c (made with
#      the same tables, empty, from pg_dump --schema-only): the same rows, PostgreSQL's tools
#   4. dieuhanh copy PostgreSQL -> SQLite
# and prints rows/s and the ratio of step 2 to step 3 (same rows, same server, same run).
# The check at the end of each copy (row counts, reports from both) is included in its time.
# Needs a PostgreSQL server: DH_PG_URL (e.g. from scripts/pg-test.sh), else one is started:
#   scripts/pg-test.sh run -- bench/copy.sh build/dieuhanh 100000
set -eu
BIN=$(realpath "$1")
N=${2:-100000}
if [ -z "${DH_PG_URL:-}" ]; then
  exec "$(dirname "$0")/../scripts/pg-test.sh" run -- "$0" "$@"
fi
W=$(mktemp -d /tmp/dh-bench-copy.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
url() { echo "$DH_PG_URL?options=-csearch_path%3D$1"; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DH_PG_URL" \
  -c "DROP SCHEMA IF EXISTS bench_a, bench_b, bench_c CASCADE" \
  -c "CREATE SCHEMA bench_a" -c "CREATE SCHEMA bench_b" 2> /dev/null
"$BIN" demo --db sqlite:a.db --no-serve > /dev/null
"$BIN" gen events --dossiers "$N" --seed 1 --from 2024-01-01 --to 2026-10-31 -o e.ndjson \
  --db sqlite:a.db 2> /dev/null
"$BIN" import events e.ndjson --db sqlite:a.db > /dev/null 2>&1
count_rows() {
  sqlite3 a.db "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite%'" |
       while read -r t; do sqlite3 a.db "SELECT count(*) FROM \"$t\""; done |
       awk '{s += $1} END {print s}'
}
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.2f\", $2 - $1}"; }
t0=$(now); "$BIN" copy --from sqlite:a.db --to "$(url bench_a)" > c1.out 2> c1.err || true; t1=$(now)
"$BIN" copy --from "$(url bench_a)" --to "$(url bench_b)" > c2.out 2> c2.err || true; t2=$(now)
pg_dump -d "$DH_PG_URL" --schema-only -n bench_a | sed 's/bench_a/bench_c/g' |
  psql -X -q -v ON_ERROR_STOP=1 -d "$DH_PG_URL" > /dev/null 2>&1
t3=$(now)
pg_dump -d "$DH_PG_URL" --data-only -n bench_a 2> /dev/null | sed 's/bench_a\./bench_c./g' |
  psql -X -q -v ON_ERROR_STOP=1 -d "$DH_PG_URL" > /dev/null
t4=$(now)
"$BIN" copy --from "$(url bench_a)" --to sqlite:b.db > c3.out 2> c3.err || true; t5=$(now)
ROWS=$(count_rows) # after the first copy: it brought the source's target statuses up to date
for f in c1 c2 c3; do grep -q "verdict: the copy matches the source" $f.out || {
  echo "copy $f failed:"; cat $f.out $f.err; exit 1; }; done
B=$(psql -X -A -t -d "$DH_PG_URL" -c "SELECT sum((xpath('/row/c/text()', query_to_xml(
  format('SELECT count(*) AS c FROM bench_c.%I', relname), false, true, '')))[1]::text::bigint)
  FROM pg_class WHERE relnamespace = 'bench_c'::regnamespace AND relkind = 'r'
  AND relname <> 'dh_schema'")
echo "rows: $ROWS in the source, $B in the baseline's copy"
for f in c1 c2 c3; do sed -n 's/^copied/  &/p' $f.out; done
rate() { awk "BEGIN{printf \"%.0f\", $ROWS / ($2 - $1)}"; }
echo "dieuhanh copy sqlite -> postgres: $(secs "$t0" "$t1") s, $(rate "$t0" "$t1") rows/s"
echo "dieuhanh copy postgres -> postgres: $(secs "$t1" "$t2") s, $(rate "$t1" "$t2") rows/s"
echo "pg_dump --data-only | psql (baseline): $(secs "$t3" "$t4") s, $(rate "$t3" "$t4") rows/s"
echo "dieuhanh copy postgres -> sqlite: $(secs "$t4" "$t5") s, $(rate "$t4" "$t5") rows/s"
echo "postgres -> postgres / baseline: $(awk "BEGIN{printf \"%.2f\", ($t2 - $t1) / ($t4 - $t3)}")"
psql -X -q -d "$DH_PG_URL" -c "DROP SCHEMA bench_a, bench_b, bench_c CASCADE" 2> /dev/null
