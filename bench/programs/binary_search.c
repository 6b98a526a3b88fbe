/* 1024 binary searches in a sorted table of 1024 32-bit keys (the input). */
#include "bench_program.h"

#define TABLE 1024

BENCH_ENTRY(binary_search)
{
    if (len < TABLE * 4)
        return 0;
    const uint32_t *table = (const uint32_t *)mem;
    uint64_t found = 0;
    for (uint32_t probe = 0; probe < TABLE; probe++) {
        uint32_t want = probe * 7, lo = 0, hi = TABLE;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (table[mid] < want)
                lo = mid + 1;
            else
                hi = mid;
        }
        found += lo < TABLE && table[lo] == want;
    }
    return found;
}
