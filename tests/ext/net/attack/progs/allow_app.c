/* A path rule: only /usr/bin/true may bind; every other image is denied. */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

static const char allowed[] = "/usr/bin/true";
#define ALLOWED_LEN (sizeof(allowed) - 1)

SEC("bind")
bind_action_t allow_app(bind_md_t *ctx)
{
    if (ctx->operation != BIND_OPERATION_BIND)
        return BIND_PERMIT;
    uint8_t *p = ctx->app_id_start, *end = ctx->app_id_end;
    if (p + ALLOWED_LEN > end || end - p != ALLOWED_LEN)
        return BIND_DENY;
    return bpf_memcmp_s(p, ALLOWED_LEN, allowed, ALLOWED_LEN) == 0 ? BIND_PERMIT : BIND_DENY;
}

char LICENSE[] SEC("license") = "GPL";
