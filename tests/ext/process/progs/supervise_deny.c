/* Denies the creates whose image path matches the rule in its map (see
 * supervise_event.h) and counts what it saw and denied. */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"
#include "supervise_event.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, struct supervise_rule);
    __uint(max_entries, 1);
} rule SEC(".maps");

/* [0]: events seen, [1]: creates denied. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 2);
} counts SEC(".maps");

static __always_inline void count(uint32_t which)
{
    uint64_t *n = bpf_map_lookup_elem(&counts, &which);
    if (n)
        __sync_fetch_and_add(n, 1);
}

SEC("process")
int deny(process_md_t *ctx)
{
    count(0);
    uint32_t zero = 0;
    struct supervise_rule *r = bpf_map_lookup_elem(&rule, &zero);
    if (!r || ctx->operation != PROCESS_OPERATION_CREATE)
        return STATUS_SUCCESS;
    uint32_t rule_len = r->len; /* read once: the map value may change between a check and a use */
    if (rule_len == 0 || rule_len >= SUPERVISE_TEXT_MAX)
        return STATUS_SUCCESS;
    char image[SUPERVISE_TEXT_MAX];
    int len = bpf_process_get_image_path(ctx, (uint8_t *)image, sizeof(image));
    if (len < 0 || (uint32_t)len < rule_len || (!r->prefix && (uint32_t)len != rule_len))
        return STATUS_SUCCESS;
    if (bpf_memcmp_s(image, rule_len, r->path, rule_len) != 0)
        return STATUS_SUCCESS;
    count(1);
    return STATUS_ACCESS_DENIED;
}

char LICENSE[] SEC("license") = "GPL";
