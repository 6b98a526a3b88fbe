/*
 * For the deadline tests of the deny sources: on every create of a child
 * of the test process, either loops forever (mode 1) or hashes the image
 * (mode 2: a helper that takes as long as the file is large), then allows.
 */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

#include "../../../core/progs/exhaust_budget.h"

struct config {
    uint64_t parent_pid; /* slow on the creates of this process' children */
    uint64_t mode;       /* 1: loop forever; 2: hash the image */
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, struct config);
    __uint(max_entries, 1);
} config SEC(".maps");

SEC("process")
int slow_on_children(process_md_t *ctx)
{
    uint32_t zero = 0;
    struct config *cfg = bpf_map_lookup_elem(&config, &zero);
    if (!cfg || ctx->operation != PROCESS_OPERATION_CREATE || ctx->parent_process_id != cfg->parent_pid)
        return STATUS_SUCCESS;
    if (cfg->mode == 2) {
        uint8_t digest[32];
        bpf_process_get_image_sha256(ctx, digest, sizeof(digest));
        return STATUS_SUCCESS;
    }
    if (cfg->mode == 1)
        exhaust_budget(); /* 2^40 bounded iterations: far past any deadline */
    return STATUS_SUCCESS;
}
