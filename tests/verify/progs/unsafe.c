/* Programs of the "sample" type that break one rule each: the verifier
 * must refuse every one at load (before, the interpreter stopped them at
 * run time). tests/verify/test_unsafe.c names the rule each must fail. */
#include "../../core/progs/sample_ctx.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 8);
} arr SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 4);
} hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_RDONLY_PROG);
} readonly SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16384);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __type(key, uint32_t);
    __type(value, uint32_t);
    __uint(max_entries, 4);
} jumps SEC(".maps");

const volatile uint32_t limit = 10;

/* Issue 10's attack: points the context's data pair at a map. */
SEC("sample")
int repoint(struct sample_ctx *c)
{
    c->data = (uint8_t *)&arr;
    c->data_end = (uint8_t *)&arr + 64;
    return 0;
}

/* Writes a read-only field through a helper. */
SEC("sample")
int helper_writes_pid(struct sample_ctx *c)
{
    uint32_t evil = 1;
    return bpf_memcpy_s(&c->pid, sizeof(evil), &evil, sizeof(evil));
}

/* Copies the context, host pointers included, where the program can read them. */
SEC("sample")
int copy_whole(struct sample_ctx *c)
{
    struct sample_ctx copy;
    if (bpf_memcpy_s(&copy, sizeof(copy), c, sizeof(copy)))
        return -1;
    return copy.pid;
}

/* A number passed as a map. */
SEC("sample")
int forged_map(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    return bpf_map_lookup_elem((void *)ctx->uint64_data, &key) ? 1 : 0;
}

/* A number passed as the key. */
SEC("sample")
int forged_key(struct sample_ctx *ctx)
{
    return bpf_map_lookup_elem(&hash, (void *)ctx->uint64_data) ? 1 : 0;
}

/* A number passed as a buffer to write. */
SEC("sample")
int forged_buffer(struct sample_ctx *ctx)
{
    return bpf_get_current_comm((void *)ctx->uint64_data, 16);
}

/* A buffer that runs off the end of the stack. */
SEC("sample")
int oversized_buffer(struct sample_ctx *ctx)
{
    char buf[8];
    return bpf_get_current_comm(buf, 4096);
}

/* Reads at the end of the data. */
SEC("sample")
int beyond_data(struct sample_ctx *ctx)
{
    return *(volatile uint8_t *)(ctx->data_end);
}

/* The type's helper on something that is not the context. */
SEC("sample")
int ctx_helper_forged(struct sample_ctx *ctx)
{
    uint64_t fake[8] = {0};
    return (int)bpf_sample_set_helper_data(fake, 1);
}

/* A store through a value of a map programs may only read. */
SEC("sample")
int readonly_store(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    uint64_t *v = bpf_map_lookup_elem(&readonly, &key);
    if (!v)
        return -2;
    *(volatile uint64_t *)v = 1;
    return 0;
}

/* A store into .rodata. */
SEC("sample")
int write_rodata(struct sample_ctx *ctx)
{
    *(volatile uint32_t *)&limit = 5;
    return 0;
}

/* Reserves and never submits. */
SEC("sample")
int leak(struct sample_ctx *ctx)
{
    return bpf_ringbuf_reserve(&events, 8, 0) ? 1 : 0;
}

/* Writes a record after submitting it. */
SEC("sample")
int use_after_submit(struct sample_ctx *ctx)
{
    uint32_t *e = bpf_ringbuf_reserve(&events, 8, 0);
    if (!e)
        return -1;
    bpf_ringbuf_submit(e, 0);
    *(volatile uint32_t *)e = 1;
    return 0;
}

/* Submits memory that was never reserved. */
SEC("sample")
int forged_submit(struct sample_ctx *ctx)
{
    uint64_t fake[4] = {0};
    bpf_ringbuf_submit(fake, 0);
    return 1;
}

/* Ring-buffer helpers on a hash map. */
SEC("sample")
int wrong_map(struct sample_ctx *ctx)
{
    uint64_t value = 1;
    return (int)bpf_ringbuf_output(&hash, &value, sizeof(value), 0);
}

/* Holds records open and never releases them. */
SEC("sample")
int hoard(struct sample_ctx *ctx)
{
    int got = 0;
    for (int i = 0; i < 20; i++)
        got += bpf_ringbuf_reserve(&events, 8, 0) != NULL;
    return got;
}

/* A tail call through a map that is no prog array. */
SEC("sample")
int tail_call_wrong_map(struct sample_ctx *ctx)
{
    return (int)bpf_tail_call(ctx, &arr, 0);
}

/* Changes a prog array slot. */
SEC("sample")
int delete_slot(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    return (int)bpf_map_delete_elem(&jumps, &key);
}

/* Returns a map's address. */
SEC("sample")
long return_map(struct sample_ctx *ctx)
{
    return (long)&arr;
}

/* Stores the context's address into a map value. */
SEC("sample")
int store_pointer(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    uint64_t *v = bpf_map_lookup_elem(&arr, &key);
    if (!v)
        return 0;
    *v = (uint64_t)ctx;
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
