#!/bin/sh
# bench/ingest.sh N - bulk import of N synthetic dossiers (about 5.3 events each) with
# `dieuhanh import events`, against loading the same rows (the events and the derived
# dossier rows, same tables and indexes) with the sqlite3 shell's .import, in the same run.
# Prints both times, the ratio and the import's peak RSS.
# BIN=path/to/dieuhanh runs another binary (another commit) on the same script.
set -eu
N=${1:-1000000}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/dieuhanh}
W=$(mktemp -d /tmp/dh-bench-ingest.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$BIN" demo --db sqlite:a.db --no-serve > /dev/null
"$BIN" gen events --dossiers "$N" --seed 1 --from 2024-01-01 --to 2026-10-31 -o e.ndjson \
  --db sqlite:a.db 2> /dev/null
EVENTS=$(wc -l < e.ndjson)
/usr/bin/time -f "%e %M" -o import.time "$BIN" import events e.ndjson --db sqlite:a.db > import.out
IMPORT_S=$(cut -d' ' -f1 import.time)
RSS_KB=$(cut -d' ' -f2 import.time)
# The baseline: the same rows, exported as CSV, loaded by the sqlite3 shell.
sqlite3 -csv a.db "SELECT source, id, dossier, type, at, body, stored_at FROM dossier_events" > ev.csv
sqlite3 -csv a.db "SELECT * FROM dossiers" > d.csv
# Twice: in WAL, as the server keeps its file, and under the rollback journal, as the
# import now runs when it has the file to itself (store.h begin_bulk); the ratio is
# against the faster of the two.
base() { # base FILE MODE: the schema, then the timed .import; prints the seconds
  sqlite3 "$1" "PRAGMA journal_mode=$2" > /dev/null
  sqlite3 "$1" "CREATE TABLE ev (source TEXT NOT NULL, id TEXT NOT NULL, dossier TEXT NOT NULL,
    type TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL, stored_at INTEGER NOT NULL,
    UNIQUE (source, id)); CREATE INDEX ev_d ON ev(dossier);"
  sqlite3 a.db ".schema dossiers" | sed 's/ dossiers/ d/; s/ON dossiers/ON d/; s/dossiers_unit_state/d1/; s/dossiers_state_due/d2/' | sqlite3 "$1"
  /usr/bin/time -f "%e" -o "$1.time" sqlite3 "$1" -cmd "PRAGMA synchronous=NORMAL" ".mode csv" \
    ".import ev.csv ev" ".import d.csv d"
  cat "$1.time"
  rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
}
BASE_WAL=$(base b.db WAL)
BASE_DEL=$(base c.db DELETE)
BASE_S=$(awk "BEGIN{print ($BASE_WAL < $BASE_DEL) ? $BASE_WAL : $BASE_DEL}")
echo "ingest: $N dossiers, $EVENTS events: dieuhanh import ${IMPORT_S}s (peak RSS $((RSS_KB / 1024)) MB)," \
  "sqlite3 .import of the same rows ${BASE_WAL}s in WAL, ${BASE_DEL}s under the rollback journal, ratio to the faster $(awk "BEGIN{printf \"%.2f\", $IMPORT_S / $BASE_S}")x"
