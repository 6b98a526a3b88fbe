/* Nested loops whose inner bound depends on the outer counter or on data:
 * a bubble sort (inner bound N - 1 - i), triangular loops (j < i, and j
 * from i to N), and an inner loop bounded by a number read from the
 * context and clamped. Each rejected_* twin reads one element too many or
 * forgets the clamp, and must be refused for that. tests/verify/test_loops.c
 * names the verdict of each. */
#include "value_map.h"

#ifndef N
#define N 64 /* the tests also build it with other sizes */
#endif

VALUE_MAP(numbers, uint32_t[N])

/* Bubble sort of the map's numbers, in place. */
SEC("sample")
int bubble_sort(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    for (int i = 0; i < N - 1; i++)
        for (int j = 0; j < N - 1 - i; j++)
            if (a[j] > a[j + 1]) {
                uint32_t t = a[j];
                a[j] = a[j + 1];
                a[j + 1] = t;
            }
    return 0;
}

/* Twin of bubble_sort whose inner loop goes one further: a[N] is read. */
SEC("sample")
int rejected_bubble_past_end(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    for (int i = 0; i < N - 1; i++)
        for (int j = 0; j < N - i; j++)
            if (a[j] > a[j + 1]) {
                uint32_t t = a[j];
                a[j] = a[j + 1];
                a[j + 1] = t;
            }
    return 0;
}

/* The number of pairs j < i with a[j] > a[i] (inversions): j runs below i. */
SEC("sample")
int triangle_below(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    int count = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            count += a[j] > a[i];
    return count;
}

/* Prefix sums from the right: j runs from i to N. */
SEC("sample")
int triangle_above(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    uint32_t total = 0;
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++)
            total += a[j];
    return total;
}

/* Twin of triangle_above whose inner loop ends one too late: a[N] is read. */
SEC("sample")
int rejected_triangle_past_end(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    uint32_t total = 0;
    for (int i = 0; i < N; i++)
        for (int j = i; j <= N; j++)
            total += a[j];
    return total;
}

/* The first ctx->pid numbers (at most N), summed once per outer pass. */
SEC("sample")
int clamped_bound(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    uint32_t n = ctx->pid < N ? ctx->pid : N, total = 0;
    for (int pass = 0; pass < 4; pass++)
        for (uint32_t j = 0; j < n; j++)
            total += a[j];
    return total;
}

/* Twin of clamped_bound without the clamp: j may pass the end. */
SEC("sample")
int rejected_unclamped(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    uint32_t n = ctx->pid, total = 0;
    for (int pass = 0; pass < 4; pass++)
        for (uint32_t j = 0; j < n; j++)
            total += a[j];
    return total;
}
