/* Reports every event of a watched process into a ring buffer (see netlink_record.h). */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"
#include "netlink_record.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, uint32_t);
    __type(value, uint32_t);
} watched SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 20);
} events SEC(".maps");

process_hook_t record_event;

SEC("process")
int record_event(process_md_t *ctx)
{
    uint32_t pid = (uint32_t)ctx->process_id, parent = (uint32_t)ctx->parent_process_id;
    if (!bpf_map_lookup_elem(&watched, &pid) && !bpf_map_lookup_elem(&watched, &parent))
        return 0;
    struct netlink_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0; /* the test sees the ring's drop count */
    e->process_id = pid;
    e->operation = ctx->operation;
    e->parent_process_id = ctx->parent_process_id;
    e->creating_process_id = ctx->creating_process_id;
    e->creating_thread_id = ctx->creating_thread_id;
    e->creation_time = ctx->creation_time;
    e->exit_time = ctx->exit_time;
    e->pid_tgid = bpf_get_current_pid_tgid();
    e->exit_code = ctx->process_exit_code;
    e->uid = ctx->uid;
    e->image_kind = ctx->image_kind;
    uint64_t len = ctx->command_end - ctx->command_start;
    e->command_len = (int32_t)len;
    if (len > NETLINK_RECORD_STR)
        len = NETLINK_RECORD_STR;
    if (len)
        bpf_memcpy_s(e->command_line, sizeof(e->command_line), ctx->command_start, len);
    e->image_len = bpf_process_get_image_path(ctx, (uint8_t *)e->image_path, sizeof(e->image_path));
    e->seen_ns = bpf_ktime_get_ns();
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char _license[] SEC("license") = "GPL";
