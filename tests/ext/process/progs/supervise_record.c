/* Records every process event it sees in a ring buffer (and permits it). */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"
#include "supervise_event.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("process")
int record(process_md_t *ctx)
{
    struct supervise_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    bpf_memset(e, 0, sizeof(*e));
    e->operation = ctx->operation;
    e->exit_code = ctx->process_exit_code;
    e->process_id = ctx->process_id;
    e->parent_process_id = ctx->parent_process_id;
    e->creating_process_id = ctx->creating_process_id;
    e->creating_thread_id = ctx->creating_thread_id;
    e->creation_time = ctx->creation_time;
    e->exit_time = ctx->exit_time;
    e->uid = ctx->uid;
    e->gid = ctx->gid;
    uint64_t len = ctx->command_end - ctx->command_start;
    e->command_len = (uint32_t)len;
    if (len > SUPERVISE_TEXT_MAX - 1)
        len = SUPERVISE_TEXT_MAX - 1;
    bpf_memcpy_s(e->command, SUPERVISE_TEXT_MAX, ctx->command_start, len);
    e->image_len = bpf_process_get_image_path(ctx, (uint8_t *)e->image, SUPERVISE_TEXT_MAX - 1);
    e->image_kind = ctx->image_kind;
    e->image_device = ctx->image_device;
    e->image_inode = ctx->image_inode;
    e->cause_len = bpf_process_get_cause_path(ctx, (uint8_t *)e->cause, SUPERVISE_TEXT_MAX - 1);
    bpf_ringbuf_submit(e, 0);
    return STATUS_SUCCESS;
}

char LICENSE[] SEC("license") = "GPL";
