/* Works on the data of its context: for test runs. */
#include "sample_ctx.h"

/* Upper-cases the data (at most 64 bytes), counts its runs in the context,
 * and returns the data's length. */
SEC("sample")
int upcase(struct sample_ctx *ctx)
{
    uint8_t *p = ctx->data;
    for (int i = 0; i < 64 && p + i + 1 <= ctx->data_end; i++)
        if (p[i] >= 'a' && p[i] <= 'z')
            p[i] -= 'a' - 'A';
    ctx->uint32_data += 1;
    return (int)(ctx->data_end - ctx->data);
}

char LICENSE[] SEC("license") = "GPL";
