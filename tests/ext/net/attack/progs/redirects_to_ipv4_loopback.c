/* Confines a bind to the loopback: the port of the rule's redirect_from goes to 127.0.0.1:redirect_to, written
 * as an IPv4 address (socket_address as a sockaddr_in), whatever the socket's family. */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"
#include "../../progs/bind_event.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, struct bind_rule);
    __uint(max_entries, 1);
} rule SEC(".maps");

SEC("bind")
bind_action_t to_loopback(bind_md_t *ctx)
{
    uint32_t zero = 0;
    struct bind_rule *r = bpf_map_lookup_elem(&rule, &zero);
    uint16_t port = (uint16_t)(ctx->socket_address[2] << 8 | ctx->socket_address[3]);
    if (!r || ctx->operation != BIND_OPERATION_BIND || port != r->redirect_from)
        return BIND_PERMIT;
    uint8_t v4[8] = {2, 0, (uint8_t)(r->redirect_to >> 8), (uint8_t)r->redirect_to, 127, 0, 0, 1};
    for (int i = 0; i < 8; i++)
        ctx->socket_address[i] = v4[i];
    return BIND_REDIRECT;
}

char LICENSE[] SEC("license") = "GPL";
