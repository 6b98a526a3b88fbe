/* Must be refused by the verifier: one 8-byte store over ipv6_scope_id (writable) and thread_id (not). */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
bind_action_t writes_across(bind_md_t *ctx)
{
    *(volatile uint64_t *)&ctx->ipv6_scope_id = 0;
    return BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
