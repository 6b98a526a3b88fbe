/* Register-only arithmetic: a xorshift generator mixed with multiplies,
 * rotates, division and 32-bit operations; no memory traffic. */
#include "bench_program.h"

BENCH_ENTRY(alu_mix)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL ^ len ^ mem[0], acc = 0;
    for (int i = 0; i < 4096; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t lo = (uint32_t)x, hi = (uint32_t)(x >> 32);
        acc += (uint64_t)(lo * 2654435761u) ^ ((acc << 5) | (acc >> 59));
        acc += x / (hi | 1);
    }
    return acc;
}
