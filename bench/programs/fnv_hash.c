/* FNV-1a 64-bit hash over the input, byte by byte. */
#include "bench_program.h"

BENCH_ENTRY(fnv_hash)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (uint64_t i = 0; i < len; i++) {
        hash ^= mem[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}
