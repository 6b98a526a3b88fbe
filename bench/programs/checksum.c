/* Internet checksum (RFC 1071) over the input: 16-bit loads, carries folded. */
#include "bench_program.h"

BENCH_ENTRY(checksum)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i + 1 < len; i += 2)
        sum += (uint64_t)mem[i] << 8 | mem[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}
