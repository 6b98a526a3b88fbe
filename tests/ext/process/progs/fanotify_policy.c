/*
 * For the fanotify source's tests: records every create of a child of the
 * test process (how many per pid, its ids and image path) and denies the
 * exec of one path; the test sets both in "config". Loaded twice, it makes
 * two independent programs.
 */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

#define PATH_BYTES 256

struct config {
    uint64_t parent_pid;        /* record the creates of this process' children */
    uint8_t denied[PATH_BYTES]; /* deny the exec of this path (NUL-padded); empty: none */
};

struct create_record {
    uint64_t creates;   /* creates of programs (image_kind 0) seen for this pid */
    uint64_t followups; /* creates of their interpreters (image_kind not 0) */
    uint64_t process_id, parent_process_id, creating_process_id, creating_thread_id, creation_time;
    uint64_t command_len;
    uint32_t uid, gid, token_sid_size;
    int32_t image_len;
    uint8_t image[PATH_BYTES]; /* NUL-padded */
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, struct config);
    __uint(max_entries, 1);
} config SEC(".maps");

/* Records by process id. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, struct create_record);
    __uint(max_entries, 256);
} creates SEC(".maps");

/* The record being built (too large for the stack): per CPU, since runs of the program on concurrent
 * exec opens (this machine's other execs included) each build their own, as on Linux. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, uint32_t);
    __type(value, struct create_record);
    __uint(max_entries, 1);
} scratch SEC(".maps");

SEC("process")
int record_and_deny(process_md_t *ctx)
{
    uint32_t zero = 0;
    struct config *cfg = bpf_map_lookup_elem(&config, &zero);
    struct create_record *rec = bpf_map_lookup_elem(&scratch, &zero);
    if (!cfg || !rec || ctx->operation != PROCESS_OPERATION_CREATE)
        return STATUS_SUCCESS;
    bpf_memset(rec->image, sizeof(rec->image), 0);
    rec->image_len = bpf_process_get_image_path(ctx, rec->image, sizeof(rec->image));
    /* The program's own record is kept; its interpreters only count. */
    if (ctx->parent_process_id == cfg->parent_pid && ctx->image_kind != PROCESS_IMAGE_PROGRAM) {
        uint32_t pid = (uint32_t)ctx->process_id;
        struct create_record *old = bpf_map_lookup_elem(&creates, &pid);
        if (old)
            old->followups++;
    } else if (ctx->parent_process_id == cfg->parent_pid) {
        uint32_t pid = (uint32_t)ctx->process_id;
        struct create_record *old = bpf_map_lookup_elem(&creates, &pid);
        rec->creates = (old ? old->creates : 0) + 1;
        rec->followups = old ? old->followups : 0;
        rec->process_id = ctx->process_id;
        rec->parent_process_id = ctx->parent_process_id;
        rec->creating_process_id = ctx->creating_process_id;
        rec->creating_thread_id = ctx->creating_thread_id;
        rec->creation_time = ctx->creation_time;
        rec->command_len = ctx->command_end - ctx->command_start;
        rec->uid = ctx->uid;
        rec->gid = ctx->gid;
        rec->token_sid_size = ctx->token_sid_size;
        bpf_map_update_elem(&creates, &pid, rec, BPF_ANY);
    }
    if (cfg->denied[0] && bpf_memcmp_s(rec->image, sizeof(rec->image), cfg->denied, sizeof(cfg->denied)) == 0)
        return STATUS_ACCESS_DENIED;
    return STATUS_SUCCESS;
}
