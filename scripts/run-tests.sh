#!/bin/bash
# Runs every test suite and ends with one line "N passed, N failed".
#   unit tests (cmocka), built normally and with ASan+UBSan
#   the storage conformance suite (tests/store, cmocka) against SQLite and against
#   PostgreSQL (a throwaway cluster from scripts/pg-test.sh), both builds
#   the fuzz corpora and crashing inputs (tests/fuzz), replayed once through
#   each harness's sanitizer build (one result per harness)
#   end-to-end tests (tests/e2e, Python stdlib) against both binaries, once
#   more against the normal one with every transaction run twice, and against
#   the normal one on PostgreSQL (the same throwaway cluster; DH_TEST_ASAN_PG=1
#   adds the sanitizer build there), two passes at a time
#   the Debian package (tests/deb/test_deb.py: make deb, dpkg -i, init and serve
#   as the package's user, dpkg --purge), once; skipped when not root
# Exit status 0 only when nothing failed and every suite ran to its end.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
skipped=0
broken=""
log=$(mktemp -d)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

count_cmocka() {
  # cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."
  p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$1" | tail -1 | sed -E 's/.*\] ([0-9]+) .*/\1/')
  f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$1" | tail -1 | sed -E 's/.*\] ([0-9]+) .*/\1/')
  echo "${p:-0} ${f:-0}"
}

# Runs one cmocka program ($1, named $2 in the output) and counts its results.
run_cmocka() {
  out="$log/$(echo "$2" | tr '/ :' '___').log"
  "$1" > "$out" 2>&1
  rc=$?
  set -- "$2" $(count_cmocka "$out")
  passed=$((passed + $2)); failed=$((failed + $3))
  if [ $rc -ne 0 ] || [ "$3" != 0 ]; then
    echo "FAIL $1 (exit $rc)"; sed 's/^/    /' "$out" | tail -40
    [ "$3" = 0 ] && { failed=$((failed + 1)); broken="$broken $1"; }
  else
    echo "ok   $1 ($2 tests)"
  fi
}

# Counts a Python runner's "N passed, N failed[, N skipped]" line in $2 (the
# runner exited with $3 after $4 seconds; $1 names it in the output).
tally() {
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
  p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  k=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
  if [ "$3" -ne 0 ] || [ -z "$line" ]; then
    echo "FAIL $1 (exit $3, $4 s)"; grep -vE '^ok ' "$2" | sed 's/^/    /' | tail -80
    [ -z "$line" ] && { failed=$((failed + 1)); broken="$broken $1"; }
  else
    echo "ok   $1 ($line, $4 s)"
    grep -E '^skip ' "$2" | sed 's/^/    /'
  fi
}

# A throwaway PostgreSQL cluster for the conformance suite and the
# end-to-end pass on PostgreSQL; stopped and removed once that pass is done
# (or when this script ends early).
pg_url=""
if pg_env=$(scripts/pg-test.sh start 2>"$log/pg-start.log"); then
  eval "$pg_env"
  pg_url=$DH_PG_URL
  trap 'scripts/pg-test.sh stop "$DH_PG_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
else
  echo "FAIL scripts/pg-test.sh start: no PostgreSQL for the conformance and e2e suites"
  sed 's/^/    /' "$log/pg-start.log" | tail -20
  failed=$((failed + 1)); broken="$broken postgres"
fi

for variant in build build/asan; do
  for t in "$variant"/tests/test_*; do
    [ -x "$t" ] || continue
    run_cmocka "$t" "$t"
  done
  # The storage conformance suite (tests/store) against each backend, on
  # databases in this run's temporary folder.
  for t in "$variant"/tests/store_*; do
    [ -x "$t" ] || continue
    for db in "sqlite:$log/$(echo "$t" | tr / _).db" ${pg_url:+"$pg_url"}; do
      DH_TEST_DB="$db"; export DH_TEST_DB
      run_cmocka "$t" "$t on ${db%%:*}"
    done
  done
done
# The mega-province generator (bench/mega.c, issue 20) at a tiny size: the
# aggregate cells it writes straight into the tables must be exactly those
# `rebuild` computes from the events it stores (--check compares every cell).
t0=$(date +%s)
out="$log/bench_mega.log"
if [ -x build/bench/mega ] &&
   build/bench/mega --dossiers 2000 --seed 7 --db "$log/mega.db" --check > "$out" 2>&1; then
  passed=$((passed + 1)); echo "ok   build/bench/mega --check ($(( $(date +%s) - t0 )) s)"
else
  failed=$((failed + 1)); echo "FAIL build/bench/mega --check (built by make test)"
  sed 's/^/    /' "$out" 2>/dev/null | tail -20
fi
# The rebuild from the events alone: `mega --events-only` stores no rows and
# no cells, and `dieuhanh rebuild` must derive exactly those mega writes.
t0=$(date +%s)
out="$log/bench_mega_rebuild.log"
if [ -x build/bench/mega ] &&
   tests/mega_rebuild_check.py build/bench/mega build/dieuhanh "$log" > "$out" 2>&1; then
  passed=$((passed + 1)); echo "ok   tests/mega_rebuild_check.py ($(( $(date +%s) - t0 )) s)"
else
  failed=$((failed + 1)); echo "FAIL tests/mega_rebuild_check.py (the rebuild from the events alone)"
  sed 's/^/    /' "$out" 2>/dev/null | tail -20
fi
# Every fuzz harness (tests/fuzz/NAME.c, docs/FUZZING.md) replays its seed
# corpus and the crashing inputs kept in tests/fuzz/crashes/NAME, built with
# ASan+UBSan (the normal build when there is no sanitizer build): one result
# per harness, a failure shows the sanitizer's report.
fz_variant=build/asan; ls build/asan/tests/fuzz_* > /dev/null 2>&1 || fz_variant=build
for t in "$fz_variant"/tests/fuzz_*; do
  [ -x "$t" ] || continue
  name=${t##*/fuzz_}
  out="$log/fuzz_$name.log"
  "$t" "tests/fuzz/corpus/$name" "tests/fuzz/crashes/$name" > "$out" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $t ($(tail -1 "$out" | sed 's/.*: //'))"
  else
    failed=$((failed + 1)); echo "FAIL $t (exit $rc)"; sed 's/^/    /' "$out" | tail -40
  fi
done
# The end-to-end passes. The third runs the normal build with
# DIEUHANH_TX_FAULT=1: the first attempt of every transaction is rolled back
# after its work, so every write of the application runs twice and must still
# give the same answers. The fourth runs the normal build on PostgreSQL (each
# test on a fresh schema of the cluster above, named by the runner's pid; see
# tests/e2e/harness.py). DH_TEST_ASAN_PG=1 adds a fifth, the sanitizer build
# on PostgreSQL (18 minutes alone in CI; the PostgreSQL backend already runs
# under the sanitizers in the conformance suite above).
# A pass keeps one core about a third busy (it mostly waits on servers,
# Chromium and sleeps), so the passes run two at a time, longest first, each
# in its own temporary folder and on its own ports; their results are counted
# once all have ended. DH_TEST_E2E_JOBS sets how many run at
# once (1: one after another).
asan_pg=; [ "${DH_TEST_ASAN_PG:-0}" = 1 ] && asan_pg=build/asan/dieuhanh:pg
passes="${pg_url:+$asan_pg} ${pg_url:+build/dieuhanh:pg} build/asan/dieuhanh build/dieuhanh:twice build/dieuhanh"
jobs_max=${DH_TEST_E2E_JOBS:-2}
e2e_log() { echo "$log/e2e_$(echo "$1" | tr /: __)"; }
started=""
for pass in $passes; do
  bin=${pass%:*}
  [ -x "$bin" ] || continue
  fault=0; [ "$pass" = "$bin:twice" ] && fault=1
  e2e_pg=""; [ "$pass" = "$bin:pg" ] && e2e_pg=$pg_url
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  out=$(e2e_log "$pass")
  (
    t0=$(date +%s)
    DH_E2E_PG_URL=$e2e_pg DIEUHANH_TX_FAULT=$fault python3 tests/e2e/run.py --bin "$bin" \
      > "$out.log" 2>&1
    echo "$? $(( $(date +%s) - t0 ))" > "$out.rc"
  ) &
  started="$started $pass"
done
wait
# A pass that left no exit status (killed) counts as failed, never as skipped.
for pass in $started; do
  out=$(e2e_log "$pass")
  bin=${pass%:*}
  label=$pass; [ "$pass" = "$bin:pg" ] && label="$bin on postgres"
  rc=1 secs=0; [ -f "$out.rc" ] && read -r rc secs < "$out.rc"
  tally "e2e with $label" "$out.log" "$rc" "$secs"
done
if [ -n "$pg_url" ]; then
  scripts/pg-test.sh stop "$DH_PG_DIR"
  trap - EXIT
fi
# The Debian package, once: it installs and purges a package on this machine.
out="$log/deb.log"
t0=$(date +%s)
python3 tests/deb/test_deb.py > "$out" 2>&1
tally "deb package" "$out" $? $(( $(date +%s) - t0 ))
rm -rf "$log"
[ -n "$broken" ] && echo "suites that did not finish:$broken"
[ "$skipped" != 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
