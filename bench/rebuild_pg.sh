#!/bin/sh
# bench/rebuild_pg.sh N - `dieuhanh rebuild` of N synthetic dossiers (about 5.3 events each)
# on PostgreSQL (issue 15), this build against OLD_BIN (an older build of dieuhanh, e.g. the
# commit before the rebuild went by chunks), in turn on the same database in the same run.
# After every rebuild it checks that the dossier rows (but updated_at) and the aggregate
# cells summed per key and day are those of the import (a digest of each), so both binaries
# are shown to write the same thing. Prints each time and the ratio old/new.
#
# Runs on DH_PG_URL when set (an empty database), else on a throwaway cluster of
# scripts/pg-test.sh.
set -eu
N=${1:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${DH_PG_URL:-}" ]; then
  exec "$ROOT/scripts/pg-test.sh" run -- "$0" "$@"
fi
BIN=$ROOT/build/dieuhanh
OLD_BIN=${OLD_BIN:?OLD_BIN: an older build of dieuhanh to compare with}
W=$(mktemp -d /tmp/dh-bench-rebuild-pg.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
cd "$W"
PSQL="psql -X -q -At -v ON_ERROR_STOP=1 -d $DH_PG_URL"
"$BIN" demo --db "$DH_PG_URL" --no-serve > /dev/null
"$BIN" gen events --dossiers "$N" --seed 1 --from 2024-01-01 --to 2026-10-31 -o e.ndjson \
  --db "$DH_PG_URL" 2> /dev/null
"$BIN" import events e.ndjson --db "$DH_PG_URL" > /dev/null
$PSQL -c "VACUUM ANALYZE" 2> /dev/null
digest() {
  $PSQL -c "SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM (SELECT (d.code, unit,
    receiving_unit, procedure, channel, by_applicant, received_at, counting_from, due_at,
    due_effective, at_risk_from, extended_to, finished_at, state, outcome, used_minutes,
    budget_minutes, late_minutes, nsupplements, paid, paid_online, rating, digitised_input,
    digitised_result, fact)::text AS t FROM dossiers d) x" \
    -c "SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM (SELECT (k.unit, k.procedure,
    k.field, a.day, a.cell)::text AS t FROM agg_days a JOIN agg_keys k ON k.id = a.key) x" |
    tr '\n' ' '
}
WANT=$(digest)
for run in 1 2; do
  for b in old new; do
    [ $b = old ] && B=$OLD_BIN || B=$BIN
    "$B" rebuild --quiet --db "$DH_PG_URL" > $b.out
    GOT=$(digest)
    [ "$GOT" = "$WANT" ] || { echo "rebuild ($b) wrote other rows: $GOT, want $WANT" >&2; exit 1; }
    T=$(sed -n 's/^rebuilt [0-9]* dossiers in \([0-9.]*\) s$/\1/p' $b.out)
    eval "T_$b=$T"
  done
  echo "rebuild (PostgreSQL), run $run: $N dossiers: old ${T_old}s, new ${T_new}s,\
 old/new $(awk "BEGIN{printf \"%.1f\", $T_old / $T_new}")x (rows and cells identical)"
done
