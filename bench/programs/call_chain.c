/* bpf-to-bpf calls: each input byte goes through a chain of three small
 * non-inlined functions, so most of the work is call and return. */
#include "bench_program.h"

BENCH_FUNC uint64_t scale(uint64_t v);
BENCH_FUNC uint64_t mix(uint64_t v, uint64_t acc);

BENCH_ENTRY(call_chain)
{
    uint64_t acc = 1;
    for (uint64_t i = 0; i < len; i++)
        acc = mix(mem[i], acc);
    return acc;
}

BENCH_FUNC uint64_t square(uint64_t v)
{
    return v * v + 1;
}

BENCH_FUNC uint64_t scale(uint64_t v)
{
    return square(v) * 3;
}

BENCH_FUNC uint64_t mix(uint64_t v, uint64_t acc)
{
    return (acc ^ scale(v)) * 0x100000001b3ULL;
}
