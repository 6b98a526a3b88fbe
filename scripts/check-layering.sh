#!/bin/sh
# Fails if a layer under src/ includes a header of a higher layer
# (layer order from ../shared/DESIGN.md).
set -eu
root=${1:-.}
layers="isa elf verify exec maps core ext api tools"
rank() { i=0; for l in $layers; do [ "$l" = "$1" ] && { echo $i; return; }; i=$((i+1)); done; echo 99; }
status=0
for dir in "$root"/src/*/; do
    layer=$(basename "$dir"); own=$(rank "$layer")
    # A layer's files, also those in its subfolders (ext/process/, ...).
    files=$(find "$dir" -name '*.[ch]')
    [ -n "$files" ] || continue
    for inc in $(grep -ho '#include "[a-z_]*/' $files | sed 's/#include "//; s#/##' | sort -u); do
        if [ "$(rank "$inc")" -gt "$own" ]; then
            echo "layering: src/$layer includes a header of higher layer '$inc':" >&2
            grep -n "#include \"$inc/" $files >&2
            status=1
        fi
    done
done
[ $status -eq 0 ] && echo "layering: ok"
exit $status
