/* A ring-buffer producer. */
#include "sample_ctx.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16384);
} events SEC(".maps");

struct event {
    uint32_t seq;
    uint32_t kind;
    uint64_t value;
};

/* One reserved record, one copied record, one discarded record per run. */
SEC("sample")
int produce(struct sample_ctx *ctx)
{
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return -1;
    e->seq = ctx->uint32_data;
    e->kind = 1;
    e->value = ctx->uint64_data;
    bpf_ringbuf_submit(e, 0);
    struct event copy = {ctx->uint32_data, 2, ctx->uint64_data * 2};
    if (bpf_ringbuf_output(&events, &copy, sizeof(copy), 0))
        return -2;
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (e)
        bpf_ringbuf_discard(e, 0);
    return 0;
}

/* Reserves and never submits: the run's end discards it. */
SEC("sample")
int leak(struct sample_ctx *ctx)
{
    return bpf_ringbuf_reserve(&events, 8, 0) ? 1 : 0;
}

SEC("sample")
int ring_size(struct sample_ctx *ctx)
{
    return (int)bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
}

/* A record is the program's only until submitted: this store stops it. */
SEC("sample")
int use_after_submit(struct sample_ctx *ctx)
{
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return -1;
    bpf_ringbuf_submit(e, 0);
    *(volatile uint32_t *)&e->seq = 1;
    return 0;
}

/* Submitting memory that was never reserved is ignored. */
SEC("sample")
int forged_submit(struct sample_ctx *ctx)
{
    uint64_t fake[4] = {0};
    bpf_ringbuf_submit(fake, 0);
    bpf_ringbuf_discard(fake, 0);
    return 1;
}

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} not_a_ring SEC(".maps");

/* Ring-buffer helpers on another map: -EINVAL, NULL and 0. */
SEC("sample")
int wrong_map(struct sample_ctx *ctx)
{
    uint64_t value = 1;
    return bpf_ringbuf_output(&not_a_ring, &value, sizeof(value), 0) == -EINVAL &&
           !bpf_ringbuf_reserve(&not_a_ring, 8, 0) && !bpf_ringbuf_query(&not_a_ring, BPF_RB_RING_SIZE);
}

/* Holds as many records open as a run may: returns how many it got. */
SEC("sample")
int hoard(struct sample_ctx *ctx)
{
    int got = 0;
    for (int i = 0; i < 20; i++)
        got += bpf_ringbuf_reserve(&events, 8, 0) != NULL;
    return got;
}

char LICENSE[] SEC("license") = "GPL";
