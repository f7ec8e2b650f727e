#!/bin/sh
# bench/ingest_agg.sh [N] - what the incremental service aggregates (issue 5) cost the bulk
# import: `dieuhanh import events` of the same N synthetic dossiers (default 200,000) by the
# binary of commit ca23f51 (the last one without aggregates, built in a temporary git worktree)
# and by this tree's build/dieuhanh, each into a fresh demo database made by the same binary
# (the old binary's schema is older). Runs alternate old/new/old/new (RUNS pairs, default 2)
# on the same events file; prints every time and the median ratio new/old.
# Requirement: the aggregates slow ingestion by at most 20% (ratio <= 1.20).
set -eu
N=${1:-200000}
RUNS=${RUNS:-2}
OLD_COMMIT=${OLD_COMMIT:-ca23f51}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NEW=$ROOT/build/dieuhanh
W=$(mktemp -d /tmp/dh-bench-ingagg.XXXXXX)
OLDTREE=$W/old
cleanup() {
  git -C "$ROOT" worktree remove --force "$OLDTREE" 2> /dev/null || true
  git -C "$ROOT" worktree prune 2> /dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT INT TERM
[ -x "$NEW" ] || { echo "ingest_agg: build $NEW first (make)" >&2; exit 1; }
echo "ingest_agg: building $OLD_COMMIT in a temporary worktree..." >&2
git -C "$ROOT" worktree add --detach "$OLDTREE" "$OLD_COMMIT" > /dev/null 2>&1
make -C "$OLDTREE" -j2 build/dieuhanh > "$W/old-build.log" 2>&1 ||
  { tail -20 "$W/old-build.log" >&2; exit 1; }
OLD=$OLDTREE/build/dieuhanh
# a copy, so that a rebuild of build/ during the run changes nothing
cp "$NEW" "$W/new-dieuhanh"
NEW=$W/new-dieuhanh
cd "$W"
"$NEW" demo --db sqlite:gen.db --no-serve > /dev/null
"$NEW" gen events --dossiers "$N" --seed 1 --from 2024-01-01 --to 2026-10-31 -o e.ndjson \
  --db sqlite:gen.db 2> /dev/null
EVENTS=$(wc -l < e.ndjson)
echo "ingest_agg: $N dossiers, $EVENTS events" >&2

# one timed import by binary $1 into a fresh database made by the same binary;
# prints "wall cpu" seconds (cpu = user + sys: less moved by other tenants of the machine)
run() {
  rm -f r.db r.db-wal r.db-shm
  "$1" demo --db sqlite:r.db --no-serve > /dev/null
  sync
  /usr/bin/time -f "%e %U %S" -o r.time "$1" import events e.ndjson --db sqlite:r.db > r.out
  awk '{printf "%s %.2f\n", $1, $2 + $3}' r.time
}
: > ratios; : > cratios; : > olds; : > news
i=1
while [ "$i" -le "$RUNS" ]; do
  set -- $(run "$OLD"); OW=$1; OC=$2
  set -- $(run "$NEW"); NW=$1; NC=$2
  echo "ingest_agg: run $i: old ${OW}s (cpu ${OC}s), new ${NW}s (cpu ${NC}s)" >&2
  awk "BEGIN{printf \"%.4f\\n\", $NW / $OW}" >> ratios
  awk "BEGIN{printf \"%.4f\\n\", $NC / $OC}" >> cratios
  echo "$OW" >> olds
  echo "$NW" >> news
  i=$((i + 1))
done
med() { sort -n "$1" | awk '{v[NR]=$1} END{if (NR % 2) print v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2}'; }
echo "ingest_agg: $N dossiers, $EVENTS events: import old ($OLD_COMMIT) median $(med olds)s," \
  "new (aggregates) median $(med news)s; median ratio new/old $(awk "BEGIN{printf \"%.3f\", $(med ratios)}")x" \
  "wall, $(awk "BEGIN{printf \"%.3f\", $(med cratios)}")x cpu, over $RUNS alternating pairs" \
  "(requirement <= 1.20x)"
