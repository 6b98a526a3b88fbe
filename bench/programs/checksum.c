/* Internet checksum (RFC 1071) over the input: 16-bit loads, carries folded. */
#include "bench_program.h"

BENCH_ENTRY(checksum)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i + 1 < len; i += 2)
        sum += (uint64_t)mem[i] << 8 | mem[i + 1];
    /* Five folds bring any 64-bit sum under 0x10000 (a fold of a smaller one
     * changes nothing); a counted loop, as a verifier can bound it. */
    for (int fold = 0; fold < 5; fold++)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}
