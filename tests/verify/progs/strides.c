/* Counted loops that clang rewrites to leave on "!=": a counter stepping by
 * a constant from a known start to an exact end reaches the end when the
 * distance is a multiple of the step; when it is not, the counter jumps
 * over the end and the loop never ends. tests/verify/test_loops.c names
 * the verdict of each. */
#include "value_map.h"

#ifndef N
#define N 64 /* the tests also build it with other sizes */
#endif

VALUE_MAP(bytes, uint8_t[7 * N])

/* The sum of every seventh byte: i runs 0, 7, ..., 7 * (N - 1) and leaves at 7 * N. */
SEC("sample")
int every_seventh(struct sample_ctx *ctx)
{
    uint8_t *b = bytes_value();
    if (!b)
        return 0;
    uint32_t sum = 0;
    for (uint32_t i = 0; i != 7 * N; i += 7)
        sum += b[i];
    return sum;
}

/* Twin of every_seventh starting at 3: i is never 7 * N, so the loop never stops (it reads bytes it masks). */
SEC("sample")
int rejected_jumps_over_the_end(struct sample_ctx *ctx)
{
    uint8_t *b = bytes_value();
    if (!b)
        return 0;
    uint32_t sum = 0;
    for (uint32_t i = 3; i != 7 * N; i += 7)
        sum += b[i & 63];
    return sum;
}
