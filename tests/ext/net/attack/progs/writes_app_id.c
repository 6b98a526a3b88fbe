/* Must be refused by the verifier: app_id_start is read-only (a program pointing it elsewhere would make the
 * host read what it points at). */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

SEC("bind")
bind_action_t writes_app_id(bind_md_t *ctx)
{
    *(volatile uint64_t *)&ctx->app_id_end = 4096;
    return BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
