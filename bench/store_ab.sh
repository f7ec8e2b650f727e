#!/bin/sh
# bench/store_ab.sh OLD_BIN NEW_BIN [N] [RUNS] - the storage reshaping (issue 14) must not slow
# the write paths: the same file of N synthetic dossiers (about 5.3 events each) imported with
# `dieuhanh import events` by the two binaries into fresh databases, alternately, RUNS times each
# (the machine is shared: alternating keeps both under the same load), then HTTP ingestion
# (bench/http_ingest.py) with each binary, alternately. Prints each run and the ratio of the
# medians NEW/OLD (below 1.05 means "no slower than 5%").
set -eu
OLD=$(realpath "$1")
NEW=$(realpath "$2")
N=${3:-100000}
RUNS=${4:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/dh-bench-ab.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$NEW" demo --db sqlite:gen.db --no-serve > /dev/null
"$NEW" gen events --dossiers "$N" --seed 1 --from 2024-01-01 --to 2026-10-31 -o e.ndjson \
  --db sqlite:gen.db 2> /dev/null
"$NEW" demo --db sqlite:base.db --no-serve > /dev/null
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: > old.t; : > new.t
i=0
while [ "$i" -lt "$RUNS" ]; do
  for which in old new; do
    bin=$OLD; [ "$which" = new ] && bin=$NEW
    cp base.db run.db; rm -f run.db-wal run.db-shm
    /usr/bin/time -f "%e" -o one.t "$bin" import events e.ndjson --db sqlite:run.db > /dev/null
    cat one.t >> "$which.t"
    echo "import $which run $((i + 1)): $(cat one.t) s"
  done
  i=$((i + 1))
done
MO=$(median < old.t); MN=$(median < new.t)
echo "import of $(wc -l < e.ndjson) events: old median ${MO} s, new median ${MN} s," \
  "new/old $(awk "BEGIN{printf \"%.3f\", $MN / $MO}")"
: > old.h; : > new.h
i=0
while [ "$i" -lt "$RUNS" ]; do
  for which in old new; do
    bin=$OLD; [ "$which" = new ] && bin=$NEW
    rate=$(python3 "$HERE/http_ingest.py" --bin "$bin" --events 50000 --threads 4 |
           sed -n 's/.* = \([0-9]*\) events\/s.*/\1/p' | head -1)
    echo "$rate" >> "$which.h"
    echo "http $which run $((i + 1)): $rate events/s"
  done
  i=$((i + 1))
done
MO=$(median < old.h); MN=$(median < new.h)
echo "HTTP ingestion: old median ${MO} events/s, new median ${MN} events/s," \
  "new/old $(awk "BEGIN{printf \"%.3f\", $MN / $MO}")"
