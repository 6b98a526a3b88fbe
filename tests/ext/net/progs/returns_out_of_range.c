/* Must be refused by the verifier: a bind program returns BIND_PERMIT..BIND_REDIRECT. */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
int returns_out_of_range(bind_md_t *ctx)
{
    return ctx->protocol == 6 ? 3 : BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
