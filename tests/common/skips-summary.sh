#!/bin/sh
# After a ctest run in build directory $1: how many checks the tests skipped
# on this machine, and each one with its reason (the "SKIPPED: " lines of
# tests/common/skips.h in ctest's log of every test's output).
log="$1/Testing/Temporary/LastTest.log"
[ -f "$log" ] || { echo "skips: no ctest log at $log" >&2; exit 1; }
build=$(basename "$(cd "$1" && pwd)")
skipped=$(grep '^SKIPPED: ' "$log" | sed 's/^SKIPPED: /  /')
if [ -z "$skipped" ]; then
    echo "$build: 0 preconditions skipped: every machine-dependent check ran"
else
    echo "$build: $(printf '%s\n' "$skipped" | wc -l) preconditions skipped (those checks did not run on this machine):"
    printf '%s\n' "$skipped"
fi
