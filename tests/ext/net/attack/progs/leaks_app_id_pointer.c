/* Must be refused by the verifier, or else store no host address: half of the app_id_start pointer, read as
 * a number, put in a map user space reads. */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint32_t);
    __uint(max_entries, 1);
} leak SEC(".maps");

SEC("bind")
bind_action_t leaks_app_id_pointer(bind_md_t *ctx)
{
    uint32_t zero = 0, low = *(volatile uint32_t *)&ctx->app_id_start;
    bpf_map_update_elem(&leak, &zero, &low, 0);
    return BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
