/* A loop that ends because the distance between two values shrinks on
 * every iteration (a binary search: lo only grows, hi only shrinks, one of
 * them on each pass), which no single counter shows. Each rejected_* twin
 * breaks it (lo may stop moving, an index one past the table) and must be
 * refused for that. tests/verify/test_loops.c names the verdict of each. */
#include "value_map.h"

#ifndef N
#define N 1024 /* the tests also build it with other sizes */
#endif

VALUE_MAP(table, uint32_t[N])

/* The first index whose key is at least the context's pid, and whether the key is there. */
SEC("sample")
int binary_search(struct sample_ctx *ctx)
{
    uint32_t *t = table_value();
    if (!t)
        return 0;
    uint32_t want = ctx->pid, lo = 0, hi = N;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t[mid] < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < N && t[lo] == want;
}

/* N searches, one per probe (bench/programs/binary_search.c's shape): the search loop inside a counted one. */
SEC("sample")
int binary_searches(struct sample_ctx *ctx)
{
    uint32_t *t = table_value();
    if (!t)
        return 0;
    uint32_t found = 0;
    for (uint32_t probe = 0; probe < N; probe++) {
        uint32_t want = probe * 7, lo = 0, hi = N;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (t[mid] < want)
                lo = mid + 1;
            else
                hi = mid;
        }
        found += lo < N && t[lo] == want;
    }
    return found;
}

/* Twin of binary_search that keeps lo at mid: once hi = lo + 1, nothing moves. */
SEC("sample")
int rejected_stuck(struct sample_ctx *ctx)
{
    uint32_t *t = table_value();
    if (!t)
        return 0;
    uint32_t want = ctx->pid, lo = 0, hi = N;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t[mid] < want)
            lo = mid;
        else
            hi = mid;
    }
    return lo < N && t[lo] == want;
}

/* Twin of binary_search searching one entry too many: t[N] is read. */
SEC("sample")
int rejected_past_end(struct sample_ctx *ctx)
{
    uint32_t *t = table_value();
    if (!t)
        return 0;
    uint32_t want = ctx->pid, lo = 0, hi = N + 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t[mid] < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < N && t[lo] == want;
}
