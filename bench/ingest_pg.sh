#!/bin/sh
# bench/ingest_pg.sh N - bulk import of N synthetic dossiers (about 5.3 events each) with
# `dieuhanh import events` into a fresh PostgreSQL database (issue 15), against PostgreSQL's
# own `\copy` (psql) of the very rows the import wrote (dossier_events and dossiers, exported
# as CSV) into empty tables with the same indexes (CREATE TABLE ... LIKE ... INCLUDING ALL),
# in the same run on the same server. Prints both times, the ratio and the import's peak RSS.
#
# EVENTS=FILE takes that events file (made beforehand by the same `gen events` command, e.g.
# while the machine is busy with something else) instead of generating it.
#
# Runs on DH_PG_URL when set (an empty database), else on a throwaway cluster of
# scripts/pg-test.sh (fsync and synchronous_commit off there, for both sides alike).
set -eu
N=${1:-200000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${DH_PG_URL:-}" ]; then
  exec "$ROOT/scripts/pg-test.sh" run -- "$0" "$@"
fi
BIN=$ROOT/build/dieuhanh
W=$(mktemp -d /tmp/dh-bench-ingest-pg.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
cd "$W"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -d $DH_PG_URL"
"$BIN" demo --db "$DH_PG_URL" --no-serve > /dev/null
if [ -n "${EVENTS:-}" ]; then
  ln -s "$EVENTS" e.ndjson
else
  "$BIN" gen events --dossiers "$N" --seed 1 --from 2024-01-01 --to 2026-10-31 -o e.ndjson \
    --db "$DH_PG_URL" 2> /dev/null
fi
EVENTS=$(wc -l < e.ndjson)
/usr/bin/time -f "%e %M" -o import.time "$BIN" import events e.ndjson --db "$DH_PG_URL" > import.out
IMPORT_S=$(cut -d' ' -f1 import.time)
RSS_KB=$(cut -d' ' -f2 import.time)
# The baseline: the same rows, exported as CSV, loaded by psql's \copy into copies of the
# two tables (same columns, constraints and indexes) in a schema of their own.
$PSQL -c "\\copy (SELECT source, id, dossier, type, at, body, stored_at FROM dossier_events) TO 'ev.csv' CSV"
$PSQL -c "\\copy dossiers TO 'd.csv' CSV"
$PSQL -c "CREATE SCHEMA base" \
  -c "CREATE TABLE base.dossier_events (LIKE public.dossier_events INCLUDING ALL)" \
  -c "CREATE TABLE base.dossiers (LIKE public.dossiers INCLUDING ALL)"
/usr/bin/time -f "%e" -o base.time $PSQL \
  -c "\\copy base.dossier_events(source, id, dossier, type, at, body, stored_at) FROM 'ev.csv' CSV" \
  -c "\\copy base.dossiers FROM 'd.csv' CSV"
BASE_S=$(cat base.time)
ROWS=$($PSQL -At -c "SELECT (SELECT count(*) FROM base.dossier_events) || ' events, ' || (SELECT count(*) FROM base.dossiers) || ' dossiers'")
printf '%s\n' "ingest (PostgreSQL): $N dossiers, $EVENTS events: dieuhanh import ${IMPORT_S}s\
 (peak RSS $((RSS_KB / 1024)) MB), psql copy of the same rows ($ROWS) ${BASE_S}s,\
 ratio $(awk "BEGIN{printf \"%.2f\", $IMPORT_S / $BASE_S}")x"
