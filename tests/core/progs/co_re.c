/*
 * CO-RE against the sample context: the program declares it its own way
 * (another order, and a field this host lacks), so only offsets the loader
 * moved to the host's reach the right bytes. A Linux type is only asked
 * about, which is fine.
 */
#include <bpf_helpers.h>

#define CORE __attribute__((preserve_access_index))
#define FIELD_EXISTS(ptr, field) __builtin_preserve_field_info((ptr)->field, 2)
#define TYPE_EXISTS(type) __builtin_preserve_type_info(*(type *)0, 0)
#define TYPE_SIZE(type) __builtin_preserve_type_info(*(type *)0, 1)

struct sample_ctx {
    uint16_t uint16_data;
    uint32_t uint32_data;
    uint64_t uint64_data;
    uint32_t session; /* not on this host */
} CORE;

struct task_struct {
    int pid;
} CORE;

/* A function of .text: its relocations travel with it into the program. */
static __noinline uint64_t doubled(struct sample_ctx *ctx)
{
    return (uint64_t)ctx->uint32_data * 2;
}

/* uint64_data = uint32_data * 102 + uint16_data, uint16_data = 7; returns the host's context size. */
SEC("sample")
int moved(struct sample_ctx *ctx)
{
    if (FIELD_EXISTS(ctx, session) || TYPE_EXISTS(struct task_struct))
        return -1;
    ctx->uint64_data = (uint64_t)ctx->uint32_data * 100 + ctx->uint16_data + doubled(ctx);
    ctx->uint16_data = 7;
    return TYPE_SIZE(struct sample_ctx);
}

char LICENSE[] SEC("license") = "GPL";
