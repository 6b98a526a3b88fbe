/* The attack of issue 10: a program points its context's data pair at a
 * map of its own, so that a later run would read and write the host's
 * struct map through "data". */
#include "sample_ctx.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 8);
} arr SEC(".maps");

SEC("sample")
int repoint(struct sample_ctx *c)
{
    if (!c->uint32_data) {
        c->uint32_data = 1;
        c->data = (uint8_t *)&arr;
        c->data_end = (uint8_t *)&arr + 64;
        return 0;
    }
    *(volatile uint64_t *)c->data = 0x4141414141414141ULL; /* would overwrite map->ops */
    return 0;
}

/* Writes read-only fields through a helper: memcpy into the context. */
SEC("sample")
int helper_writes_pid(struct sample_ctx *c)
{
    uint32_t evil = 1;
    return bpf_memcpy_s(&c->pid, sizeof(evil), &evil, sizeof(evil));
}

/* Reads the whole context, padding included, as eBPF for Windows programs do. */
SEC("sample")
int copy_whole(struct sample_ctx *c)
{
    struct sample_ctx copy;
    if (bpf_memcpy_s(&copy, sizeof(copy), c, sizeof(copy)))
        return -1;
    return copy.reserved;
}
