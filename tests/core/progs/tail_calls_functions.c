/*
 * Tail calls made inside a bpf-to-bpf function (Linux's semantics, x86-64
 * since 5.10): the target replaces that function only; its return value is
 * the function's, and the caller goes on.
 */
#include "sample_ctx.h"

int target(struct sample_ctx *ctx);
int dispatcher(struct sample_ctx *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __type(key, uint32_t);
    __uint(max_entries, 4);
    __array(values, int(void *));
} jumps SEC(".maps") = {.values = {[0] = (void *)&target, [1] = (void *)&dispatcher}};

/* Only entry uses it: after the return it must still reach its own maps. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} caller_only SEC(".maps");

/* Tail-calls slot; only a failed tail call comes back here. */
static __noinline long via_function(struct sample_ctx *ctx, uint32_t slot)
{
    volatile uint64_t mine = 5; /* in this function's frame, which the target replaces */
    bpf_tail_call(ctx, &jumps, slot);
    ctx->uint16_data = 0xbad;
    return -1000 - (long)mine;
}

SEC("sample")
int target(struct sample_ctx *ctx)
{
    ctx->uint64_data = ctx->uint64_data * 10 + 2;
    return 40;
}

/* entry -> via_function -> target, then back in entry: returns 40 + 700, uint64_data 123. */
SEC("sample")
int entry(struct sample_ctx *ctx)
{
    volatile uint64_t kept = 7; /* entry's frame survives the tail call */
    ctx->uint64_data = 1;
    long r = via_function(ctx, 0);
    uint32_t zero = 0;
    uint64_t *v = bpf_map_lookup_elem(&caller_only, &zero);
    if (!v)
        return -1;
    *v += 1;
    ctx->uint64_data = ctx->uint64_data * 10 + 3;
    return (int)(r + (long)kept * 100);
}

/* Slot 3 is empty: the tail call fails and via_function goes on. */
SEC("sample")
int empty_slot(struct sample_ctx *ctx)
{
    return (int)via_function(ctx, 3);
}

/* Tail-calls itself from a function twice per run: the limit of 33 counts
 * across functions, so it runs 34 times and every later tail call fails. */
SEC("sample")
int dispatcher(struct sample_ctx *ctx)
{
    ctx->uint32_data++;
    via_function(ctx, 1);
    via_function(ctx, 1);
    return (int)ctx->uint32_data;
}

char LICENSE[] SEC("license") = "GPL";
