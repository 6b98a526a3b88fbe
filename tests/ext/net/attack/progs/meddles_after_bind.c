/* Rewrites the address and asks for a redirect and a denial after the bind (POST_BIND) and on UNBIND, which
 * must change nothing; records the port each UNBIND names. */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint32_t);
    __uint(max_entries, 1);
} unbound_port SEC(".maps");

SEC("bind")
bind_action_t meddle(bind_md_t *ctx)
{
    if (ctx->operation == BIND_OPERATION_BIND)
        return BIND_PERMIT;
    if (ctx->operation == BIND_OPERATION_UNBIND) {
        uint32_t zero = 0, port = (uint32_t)ctx->socket_address[2] << 8 | ctx->socket_address[3];
        bpf_map_update_elem(&unbound_port, &zero, &port, 0);
    }
    ctx->socket_address[2] = 0;
    ctx->socket_address[3] = 7;
    return ctx->operation == BIND_OPERATION_POST_BIND ? BIND_REDIRECT : BIND_DENY;
}

char LICENSE[] SEC("license") = "GPL";
