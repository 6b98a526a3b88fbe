/* bpf-to-bpf calls and bpf_loop. */
#include "sample_ctx.h"

static __noinline int square(int x)
{
    return x * x;
}

__noinline int add_square(int a, int b)
{
    return a + square(b);
}

/* Sums the indexes and stops after index 9. */
static long sum_cb(uint32_t index, void *ctx)
{
    *(long *)ctx += index;
    return index == 9;
}

SEC("sample")
int calls(struct sample_ctx *ctx)
{
    return add_square((int)ctx->uint32_data, 3);
}

/* 45 * 1000 + 10 calls. */
SEC("sample")
int loops(struct sample_ctx *ctx)
{
    long sum = 0;
    long n = bpf_loop(100, sum_cb, &sum, 0);
    return (int)(sum * 1000 + n);
}

/* Flags must be 0; too many loops are refused. */
SEC("sample")
int loop_errors(struct sample_ctx *ctx)
{
    long sum = 0;
    return bpf_loop(1, sum_cb, &sum, 1) == -EINVAL && bpf_loop(1 << 24, sum_cb, &sum, 0) == -E2BIG && sum == 0;
}

char LICENSE[] SEC("license") = "GPL";
