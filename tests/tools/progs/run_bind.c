/* Denies binds to port 39999 (host order), permits the rest (for bpfhost run --binds). */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
bind_action_t deny_39999(bind_md_t *ctx)
{
    uint16_t port = (uint16_t)((ctx->socket_address[2] << 8) | ctx->socket_address[3]);
    return ctx->operation == BIND_OPERATION_BIND && port == 39999 ? BIND_DENY : BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
