/*
 * Shared by the benchmark programs, which are compiled twice: by clang for
 * eBPF (every function in the "bench" section, entry first, so calls need no
 * relocation) and by the host compiler as native C for comparison.
 */
#ifndef BPFHOST_BENCH_PROGRAM_H
#define BPFHOST_BENCH_PROGRAM_H

#include <stdint.h>

#ifdef __bpf__
#define BENCH_ENTRY(name) __attribute__((section("bench"))) uint64_t name(uint8_t *mem, uint64_t len)
#define BENCH_FUNC static __attribute__((noinline, section("bench")))
#else
#define BENCH_ENTRY(name) uint64_t bench_native_##name(uint8_t *mem, uint64_t len)
#define BENCH_FUNC static __attribute__((noinline))
#endif

#endif
