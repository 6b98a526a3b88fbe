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

SEC("sample")
int ring_size(struct sample_ctx *ctx)
{
    return (int)bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
}

/* A map that is no ring buffer, for the consumer API's errors. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} not_a_ring SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
