#!/bin/sh
# Runs every libFuzzer target of tests/fuzz for SECONDS each, all at once,
# under ASan + UBSan, at the lowest CPU priority. Usage:
#   scripts/run-fuzz.sh BUILD_DIR SECONDS [LIBFUZZER_FLAGS...]
# Seeds: tests/fuzz/corpus/<target>/ (committed) and BUILD_DIR/fuzz-seeds/
# <target>/ (built); what a run finds new goes to BUILD_DIR/fuzz-corpus/
# <target>/, kept for the next run; a crash to BUILD_DIR/fuzz-artifacts/
# <target>/. Each target's log is BUILD_DIR/fuzz-logs/<target>.log. Fails
# if any target found a crash, a leak, a timeout or undefined behaviour.
set -eu
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
targets=""
for bin in "$build"/bin/fuzz_*; do targets="$targets ${bin##*/fuzz_}"; done
[ -n "$targets" ] || { echo "run-fuzz: no fuzz targets in $build/bin" >&2; exit 1; }
mkdir -p "$build/fuzz-logs"
pids=""
for t in $targets; do
    corpus="$build/fuzz-corpus/$t" artifacts="$build/fuzz-artifacts/$t"
    mkdir -p "$corpus" "$artifacts" "$build/fuzz-seeds/$t"
    nice -n 19 "$build/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" \
        "$corpus" "$root/tests/fuzz/corpus/$t" "$build/fuzz-seeds/$t" >"$build/fuzz-logs/$t.log" 2>&1 &
    pids="$pids $!"
done
status=0
set -- $targets
for pid in $pids; do
    t=$1
    shift
    if wait "$pid"; then
        # The last status line: executions, coverage (cov: edges, ft: features), corpus.
        line=$(grep -E '^#[0-9]+' "$build/fuzz-logs/$t.log" | tail -n 1)
        echo "fuzz $t: ok, $line"
    else
        status=1
        echo "fuzz $t: FAILED (log $build/fuzz-logs/$t.log; reproduce with $build/bin/fuzz_$t ARTIFACT):" >&2
        grep -E 'ERROR|runtime error|fuzz: |SUMMARY|Test unit written|artifact' "$build/fuzz-logs/$t.log" | head -n 20 >&2
    fi
done
exit $status
