/* Copies what a process program knows of its image's identity into a map:
 * the kind, device, inode, cause path and SHA-256 (tests/ext/process/test_image_identity.c). */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

#include "image_identity.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, uint32_t);
    __type(value, struct image_identity);
} identity SEC(".maps");

SEC("process")
int record_identity(process_md_t *ctx)
{
    uint32_t zero = 0;
    struct image_identity *id = bpf_map_lookup_elem(&identity, &zero);
    if (!id)
        return 0;
    id->kind = ctx->image_kind;
    id->device = ctx->image_device;
    id->inode = ctx->image_inode;
    id->cause_len = bpf_process_get_cause_path(ctx, id->cause, sizeof(id->cause));
    id->sha256_result = bpf_process_get_image_sha256(ctx, id->sha256, sizeof(id->sha256));
    id->short_digest = bpf_process_get_image_sha256(ctx, id->sha256, 31);
    return 0;
}
