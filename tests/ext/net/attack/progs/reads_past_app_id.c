/* Must be refused by the verifier: reads the byte at app_id_end (one past the image path). */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
bind_action_t reads_past_app_id(bind_md_t *ctx)
{
    uint8_t *p = ctx->app_id_start, *end = ctx->app_id_end;
    if (p + 8 > end)
        return BIND_PERMIT;
    return p[8] == 'x' ? BIND_DENY : BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
