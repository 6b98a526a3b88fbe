/* Must be refused by the verifier: process_id is read-only. */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
bind_action_t writes_process_id(bind_md_t *ctx)
{
    ctx->process_id = 1;
    return BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
