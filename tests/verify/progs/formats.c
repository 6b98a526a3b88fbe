/* Format strings checked at load (tests/verify/test_formats.c names the
 * verdict of each): accepted_* match every conversion with its value;
 * each other program breaks one rule and must be refused for it. */
#include "../../core/progs/sample_ctx.h"

static const char world[] = "world";

SEC("sample")
int accepted_snprintf(struct sample_ctx *ctx)
{
    char out[32];
    uint64_t args[] = {(uint64_t)world, ctx->uint64_data, 'z'};
    return bpf_snprintf(out, sizeof(out), "%s %llx %c %%", args, sizeof(args)) > 0;
}

SEC("sample")
int accepted_printk(struct sample_ctx *ctx)
{
    return bpf_printk("pid %u tid %u", ctx->pid, ctx->tid) >= 0;
}

/* %llx of a pointer would print an address of the host. */
SEC("sample")
int pointer_as_number(struct sample_ctx *ctx)
{
    char out[32];
    uint64_t args[] = {(uint64_t)world};
    return bpf_snprintf(out, sizeof(out), "%llx", args, sizeof(args));
}

/* %p prints its value as an address: a real one would leak. */
SEC("sample")
int pointer_as_address(struct sample_ctx *ctx)
{
    char out[32];
    uint64_t args[] = {(uint64_t)out};
    return bpf_snprintf(out, sizeof(out), "%p", args, sizeof(args));
}

/* %s of a number: the helper would read memory at an arbitrary address. */
SEC("sample")
int number_as_string(struct sample_ctx *ctx)
{
    char out[32];
    uint64_t args[] = {ctx->uint64_data};
    return bpf_snprintf(out, sizeof(out), "%s", args, sizeof(args));
}

/* Two conversions, one value. */
SEC("sample")
int missing_value(struct sample_ctx *ctx)
{
    char out[32];
    uint64_t args[] = {1};
    return bpf_snprintf(out, sizeof(out), "%d %d", args, sizeof(args));
}

/* A conversion no helper knows. */
SEC("sample")
int unknown_conversion(struct sample_ctx *ctx)
{
    char out[32];
    uint64_t args[] = {1};
    return bpf_snprintf(out, sizeof(out), "%q", args, sizeof(args));
}

/* The data size is not a whole number of 8-byte values. */
SEC("sample")
int odd_data_size(struct sample_ctx *ctx)
{
    char out[32];
    uint64_t args[] = {1};
    return bpf_snprintf(out, sizeof(out), "%d", args, 4);
}

/* A trace format with a pointer for %x. */
SEC("sample")
int printk_pointer(struct sample_ctx *ctx)
{
    return bpf_printk("at %lx", ctx);
}

/* A trace format with one conversion and no value. */
SEC("sample")
int printk_missing_value(struct sample_ctx *ctx)
{
    static const char three[] = "printk3 %d";
    return bpf_trace_printk2(three, sizeof(three));
}
