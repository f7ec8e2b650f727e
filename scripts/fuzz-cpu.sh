#!/bin/sh
# Runs one libFuzzer harness until it has used a given number of CPU-seconds
# (user + system time of the fuzzing process), not wall-clock seconds: on a
# shared machine a run of S wall seconds may get a fraction of a core.
#
#   scripts/fuzz-cpu.sh NAME CPU_SECONDS [LOGDIR]
#
# Builds build/fuzz/bin/NAME as `make fuzz` does, runs it on the same corpora
# (new inputs to build/fuzz/corpus/NAME, crashes to tests/fuzz/crashes/NAME),
# and stops it with SIGINT (libFuzzer then prints its final statistics) once
# /proc/PID/stat shows CPU_SECONDS. The log goes to LOGDIR/NAME.log (default
# build/fuzz/log) and one summary line to standard output:
#   NAME wall=S cpu=S execs=N cov=N ft=N end=clean|crash|...
# Do not pause the fuzzer with SIGSTOP: CPU time stops, but libFuzzer's
# per-input timeout (-timeout, 1200 s) is wall clock, and after a long pause it
# reports the input it was on as a timeout that is not one.
set -eu
name=${1:?usage: scripts/fuzz-cpu.sh NAME CPU_SECONDS [LOGDIR]}
cpu_target=${2:?usage: scripts/fuzz-cpu.sh NAME CPU_SECONDS [LOGDIR]}
logdir=${3:-build/fuzz/log}
case $cpu_target in *[!0-9]*|'') echo "fuzz-cpu: CPU_SECONDS must be a whole number, got '$cpu_target'" >&2; exit 2;; esac
[ -f "tests/fuzz/$name.c" ] || { echo "fuzz-cpu: no harness tests/fuzz/$name.c" >&2; exit 2; }

make --no-print-directory fuzz-bin T="$name" >/dev/null
mkdir -p "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" "tests/fuzz/crashes/$name" "$logdir"
log="$logdir/$name.log"
tck=$(getconf CLK_TCK)
start=$(date +%s)

UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "build/fuzz/bin/$name" -max_total_time=0 -print_final_stats=1 -rss_limit_mb=2048 \
  -artifact_prefix="tests/fuzz/crashes/$name/" \
  "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' INT TERM

cpu=0
while kill -0 "$pid" 2>/dev/null; do
  # fields 14 and 15 of /proc/PID/stat: utime and stime in clock ticks
  # (the command name, field 2, has no spaces here).
  t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "")
  [ -n "$t" ] && cpu=$((t / tck))
  if [ "$cpu" -ge "$cpu_target" ]; then kill -INT "$pid" 2>/dev/null || true; break; fi
  sleep 5
done
rc=0
wait "$pid" || rc=$?
wall=$(( $(date +%s) - start ))

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
if grep -q 'run interrupted' "$log"; then end=clean
elif grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log"; then end=crash
else end="exit$rc"; fi
echo "$name wall=$wall cpu=$cpu execs=${execs:-?} cov=${cov:-?} ft=${ft:-?} end=$end"
