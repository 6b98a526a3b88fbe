/*
 * process_monitor — the eBPF side of the process monitor, after the one the
 * ntosebpfext seed describes: every process event goes into a ring buffer
 * for user space; LRU hash maps keep each live process' image path and
 * command line by pid, so a delete event carries them too; the event is
 * assembled in per-CPU scratch space (a record is larger than the 512-byte
 * stack). It observes only: it always permits.
 *
 *   clang -O2 -g -target bpf -I include -I examples -c examples/process_monitor.c
 */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"
#include "process_monitor.h"

struct command_line {
    uint16_t len;
    uint8_t truncated;
    char bytes[PROCESS_MONITOR_COMMAND_MAX];
};

struct image_path {
    uint16_t len;
    char bytes[PROCESS_MONITOR_IMAGE_MAX];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 * 1024 * 1024);
} process_ringbuf SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, uint64_t);
    __type(value, struct command_line);
} command_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, uint64_t);
    __type(value, struct image_path);
} process_image_map SEC(".maps");

/* Scratch: the event being assembled, and the strings on their way to the maps. */
struct scratch {
    struct process_monitor_event event;
    struct command_line command;
    struct image_path image;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, uint32_t);
    __type(value, struct scratch);
} scratch_map SEC(".maps");

/* Events the ring buffer had no room for (per CPU), so user space can say so. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, uint32_t);
    __type(value, uint64_t);
} dropped_map SEC(".maps");

/* Copies the event's own command line and image path into the scratch record. */
static void read_strings(process_md_t *ctx, struct scratch *s)
{
    uint64_t len = ctx->command_end - ctx->command_start;
    s->command.truncated = len > PROCESS_MONITOR_COMMAND_MAX;
    if (len > PROCESS_MONITOR_COMMAND_MAX)
        len = PROCESS_MONITOR_COMMAND_MAX;
    s->command.len = (uint16_t)len;
    memcpy(s->command.bytes, ctx->command_start, len);
    int image = bpf_process_get_image_path(ctx, (uint8_t *)s->image.bytes, PROCESS_MONITOR_IMAGE_MAX);
    s->image.len = image > 0 ? (uint16_t)image : 0;
}

/* Saves the create's strings under its pid. */
static void remember(process_md_t *ctx, struct scratch *s, uint64_t pid)
{
    read_strings(ctx, s);
    bpf_map_update_elem(&command_map, &pid, &s->command, BPF_ANY);
    bpf_map_update_elem(&process_image_map, &pid, &s->image, BPF_ANY);
}

/* Recalls the strings of an exiting process (empty if it was never seen starting) and forgets them. */
static void recall(struct scratch *s, uint64_t pid)
{
    struct command_line *command = bpf_map_lookup_elem(&command_map, &pid);
    struct image_path *image = bpf_map_lookup_elem(&process_image_map, &pid);
    s->command.len = 0;
    s->command.truncated = 0;
    s->image.len = 0;
    /* Each length is read once: the map value may change between a check and a second read. */
    uint32_t command_len = command ? command->len : 0;
    if (command && command_len <= PROCESS_MONITOR_COMMAND_MAX) {
        s->command.len = command_len;
        s->command.truncated = command->truncated;
        memcpy(s->command.bytes, command->bytes, command_len);
    }
    uint32_t image_len = image ? image->len : 0;
    if (image && image_len <= PROCESS_MONITOR_IMAGE_MAX) {
        s->image.len = image_len;
        memcpy(s->image.bytes, image->bytes, image_len);
    }
    bpf_map_delete_elem(&command_map, &pid);
    bpf_map_delete_elem(&process_image_map, &pid);
}

process_hook_t ProcessMonitor;

SEC("process")
int ProcessMonitor(process_md_t *ctx)
{
    /* A process' interpreters (its "#!" interpreter, its ld.so) are creates of their own for policies;
     * the monitor shows the process once, with the program its exec named. */
    if (ctx->operation == PROCESS_OPERATION_CREATE && ctx->image_kind != PROCESS_IMAGE_PROGRAM)
        return STATUS_SUCCESS;
    uint32_t zero = 0;
    struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
    if (!s)
        return STATUS_SUCCESS;
    struct process_monitor_event *e = &s->event;
    uint64_t pid = ctx->process_id;
    if (ctx->operation == PROCESS_OPERATION_CREATE) {
        remember(ctx, s, pid);
    } else {
        recall(s, pid);
        /* Never seen starting (it ran before the monitor, or forked without an exec): this host's
         * deletes carry the process' own strings (eBPF for Windows' carry none, and this stays empty). */
        if (s->command.len == 0 && s->image.len == 0)
            read_strings(ctx, s);
    }

    e->process_id = pid;
    e->parent_process_id = ctx->parent_process_id;
    e->creating_process_id = ctx->creating_process_id;
    e->creating_thread_id = ctx->creating_thread_id;
    e->creation_time = ctx->creation_time;
    e->exit_time = ctx->exit_time;
    e->exit_code = ctx->process_exit_code;
    e->uid = ctx->uid;
    e->gid = ctx->gid;
    e->operation = ctx->operation;
    e->command_line_truncated = s->command.truncated;
    uint64_t command_len = s->command.len, image_len = s->image.len;
    if (command_len > PROCESS_MONITOR_COMMAND_MAX || image_len > PROCESS_MONITOR_IMAGE_MAX)
        return STATUS_SUCCESS;
    e->command_line_len = (uint16_t)command_len;
    e->image_path_len = (uint16_t)image_len;
    memcpy(e->strings, s->command.bytes, command_len);
    memcpy(e->strings + command_len, s->image.bytes, image_len);

    uint64_t size = PROCESS_MONITOR_EVENT_HEADER_SIZE + command_len + image_len;
    if (bpf_ringbuf_output(&process_ringbuf, e, size, 0) != 0) {
        uint64_t *dropped = bpf_map_lookup_elem(&dropped_map, &zero);
        if (dropped)
            *dropped += 1;
    }
    return STATUS_SUCCESS;
}
