#!/bin/sh
# The demo database with a year of synthetic dossiers that ends today
# (issue 19, point 5), as `make demo` uses it:
#
#   scripts/demo-data.sh BIN DB_URL DIR [DOSSIERS]
#
# Loads the demo province into DB_URL (`dieuhanh demo --no-serve`, nothing
# when it is there), then, once a day, generates DOSSIERS (default 30000)
# dossiers received from a year ago to today into DIR/events.ndjson and
# imports them, with a year of citizen feedback up to yesterday (DOSSIERS / 15
# records). The day of the file is kept in DIR/events.day (the Vietnam
# calendar day, as the overview counts its months): on a later day an
# SQLite demo database is made again from scratch, so that the overview's
# current month has data, the directives the demo dates from today are
# dated from the new today, and no dossier of the old file stays beside
# the new one. The seed-dated plans, targets and values keep their dates.
# Another database URL is the caller's to give fresh.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 BIN DB_URL DIR [DOSSIERS]" >&2; exit 2; }
bin=$1 db=$2 dir=$3 n=${4:-30000}
today=$(TZ=Asia/Ho_Chi_Minh date +%F)
from=$(TZ=Asia/Ho_Chi_Minh date -d "$today 1 year ago" +%F)
mkdir -p "$dir"
if [ "$(cat "$dir/events.day" 2>/dev/null || true)" != "$today" ]; then
    case $db in
    sqlite:*) f=${db#sqlite:}; rm -f "$f" "$f-wal" "$f-shm" "$f-journal" ;;
    esac
    rm -f "$dir/events.ndjson" "$dir/events.day"
fi
"$bin" demo --db "$db" --no-serve >/dev/null
if [ ! -f "$dir/events.day" ]; then
    "$bin" gen events --dossiers "$n" --seed 2024 --from "$from" --to "$today" \
        -o "$dir/events.ndjson" --db "$db"
    "$bin" import events "$dir/events.ndjson" --db "$db"
    # a year of citizen feedback up to yesterday (gen feedback handles each record
    # through the real operations at made-up instants, none of them after --to)
    yesterday=$(TZ=Asia/Ho_Chi_Minh date -d "$today 1 day ago" +%F)
    "$bin" gen feedback --records $((n / 15 + 20)) --seed 2024 --from "$from" --to "$yesterday" \
        --db "$db" >/dev/null
    echo "$today" >"$dir/events.day"
fi
