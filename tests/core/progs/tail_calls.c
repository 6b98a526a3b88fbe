/* Tail calls through a statically initialised prog array. */
#include "sample_ctx.h"

int stage_one(struct sample_ctx *ctx);
int stage_two(struct sample_ctx *ctx);
int recurse(struct sample_ctx *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __type(key, uint32_t);
    __uint(max_entries, 4);
    __array(values, int(void *));
} jumps SEC(".maps") = {.values = {[0] = (void *)&stage_one, [1] = (void *)&stage_two, [2] = (void *)&recurse}};

/* Used by stage_two only: after the tail call its values must be accessible. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} hits SEC(".maps");

/* entry -> stage_one -> stage_two: uint64_data becomes 123 and 23 is returned. */
SEC("sample")
int entry(struct sample_ctx *ctx)
{
    ctx->uint64_data = 1;
    bpf_tail_call(ctx, &jumps, 0);
    return -1;
}

SEC("sample")
int stage_one(struct sample_ctx *ctx)
{
    ctx->uint64_data = ctx->uint64_data * 10 + 2;
    bpf_tail_call(ctx, &jumps, 1);
    return -2;
}

SEC("sample")
int stage_two(struct sample_ctx *ctx)
{
    uint32_t zero = 0;
    uint64_t *v = bpf_map_lookup_elem(&hits, &zero);
    if (v)
        *v += 1;
    ctx->uint64_data = ctx->uint64_data * 10 + 3;
    return 23;
}

/* Counts its runs: the first plus 33 tail calls, then the 34th fails. */
SEC("sample")
int recurse(struct sample_ctx *ctx)
{
    ctx->uint32_data++;
    bpf_tail_call(ctx, &jumps, 2);
    return (int)ctx->uint32_data;
}

/* An empty slot and an index out of range fail, and the program goes on. */
SEC("sample")
int missing(struct sample_ctx *ctx)
{
    long empty = bpf_tail_call(ctx, &jumps, 3);
    long beyond = bpf_tail_call(ctx, &jumps, 100);
    return empty == -ENOENT && beyond == -ENOENT ? 7 : 0;
}

/* Tail calls through slot 3 (a test fills it). */
SEC("sample")
int slot3(struct sample_ctx *ctx)
{
    return (int)bpf_tail_call(ctx, &jumps, 3);
}

char LICENSE[] SEC("license") = "GPL";
