/* Must be refused by the verifier: reads 4 bytes after the end of bind_md_t (88 bytes). */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
bind_action_t reads_past_context(bind_md_t *ctx)
{
    return *(volatile uint32_t *)((char *)ctx + sizeof(bind_md_t)) == 1 ? BIND_DENY : BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
