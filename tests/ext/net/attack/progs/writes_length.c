/* Must be refused by the verifier: socket_address_length is read-only. */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
bind_action_t writes_length(bind_md_t *ctx)
{
    ctx->socket_address_length = 28;
    return BIND_REDIRECT;
}

char LICENSE[] SEC("license") = "GPL";
