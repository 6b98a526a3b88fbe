/* Reports every event of a watched process, with all a program sees of it, into a ring buffer (see whole_record.h). */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"
#include "whole_record.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, uint32_t);
    __type(value, uint32_t);
} watched SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20);
} events SEC(".maps");

process_hook_t record_whole;

SEC("process")
int record_whole(process_md_t *ctx)
{
    uint32_t pid = (uint32_t)ctx->process_id, parent = (uint32_t)ctx->parent_process_id;
    if (!bpf_map_lookup_elem(&watched, &pid) && !bpf_map_lookup_elem(&watched, &parent))
        return 0;
    struct whole_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0; /* the test sees the ring's drop count */
    e->process_id = pid;
    e->operation = ctx->operation;
    e->parent_process_id = ctx->parent_process_id;
    e->creating_process_id = ctx->creating_process_id;
    e->creating_thread_id = ctx->creating_thread_id;
    e->creation_time = ctx->creation_time;
    e->exit_time = ctx->exit_time;
    e->image_device = ctx->image_device;
    e->image_inode = ctx->image_inode;
    e->exit_code = ctx->process_exit_code;
    e->image_kind = ctx->image_kind;
    e->uid = ctx->uid;
    e->gid = ctx->gid;
    uint64_t len = ctx->command_end - ctx->command_start;
    e->command_len = len;
    if (len > WHOLE_RECORD_COMMAND)
        len = WHOLE_RECORD_COMMAND;
    if (len)
        bpf_memcpy_s(e->command_line, sizeof(e->command_line), ctx->command_start, len);
    e->image_len = bpf_process_get_image_path(ctx, (uint8_t *)e->image_path, sizeof(e->image_path));
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char _license[] SEC("license") = "GPL";
