#!/bin/sh
# Compiles one benchmark program for eBPF and extracts its "bench" section
# as raw instructions. Fails unless the entry function starts the section
# and the section needs no relocation (so the raw bytes run as they are).
# usage: build-program.sh SOURCE.c ENTRY OUTPUT.bin
set -eu
src=$1 entry=$2 out=$3
obj=$out.o
clang -O2 -target bpf -mcpu=v3 -ffreestanding -c "$src" -o "$obj"
addr=$(llvm-nm --defined-only "$obj" | awk -v e="$entry" '$3 == e { print $1 }')
if [ "$addr" != "0000000000000000" ]; then
    echo "$src: entry $entry is not at the start of section bench (at '$addr')" >&2; exit 1
fi
if llvm-readelf -S "$obj" | grep -q '\.rel'; then
    echo "$src: needs relocations (globals or calls outside section bench)" >&2; exit 1
fi
llvm-objcopy -O binary --only-section=bench "$obj" "$out"
