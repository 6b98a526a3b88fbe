/* Copies every process_md_t field the program sees into a map, so the test
 * checks the layout end to end; and tries the helpers' contracts. */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

/* What the program saw; read by tests/ext/process/test_process_type.c. */
struct seen {
    uint64_t process_id, parent_process_id, creating_process_id, creating_thread_id;
    uint64_t creation_time, exit_time;
    uint64_t pid_tgid, uid_gid;
    uint32_t process_exit_code, operation, token_sid_size, uid, gid;
    uint32_t command_len;
    int32_t image_len, short_image, name_len, domain_len;
    uint8_t token_sid[16];
    char command[64];
    char image[64];
    char name[32];
    char domain[64];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, uint32_t);
    __type(value, struct seen);
} seen SEC(".maps");

process_hook_t record_fields;

SEC("process")
int record_fields(process_md_t *ctx)
{
    uint32_t zero = 0;
    struct seen *s = bpf_map_lookup_elem(&seen, &zero);
    if (!s)
        return 0;
    s->process_id = ctx->process_id;
    s->parent_process_id = ctx->parent_process_id;
    s->creating_process_id = ctx->creating_process_id;
    s->creating_thread_id = ctx->creating_thread_id;
    s->creation_time = ctx->creation_time;
    s->exit_time = ctx->exit_time;
    s->process_exit_code = ctx->process_exit_code;
    s->operation = ctx->operation;
    s->token_sid_size = ctx->token_sid_size;
    memcpy(s->token_sid, ctx->token_sid, sizeof(s->token_sid));
    s->uid = ctx->uid;
    s->gid = ctx->gid;
    s->pid_tgid = bpf_get_current_pid_tgid();
    s->uid_gid = bpf_get_current_uid_gid();
    uint64_t len = ctx->command_end - ctx->command_start;
    s->command_len = (uint32_t)len;
    if (len > sizeof(s->command))
        len = sizeof(s->command);
    memcpy(s->command, ctx->command_start, len);
    s->image_len = bpf_process_get_image_path(ctx, (uint8_t *)s->image, sizeof(s->image));
    s->short_image = bpf_process_get_image_path(ctx, (uint8_t *)s->image, 2);
    s->name_len = bpf_process_get_account_name(ctx, (uint8_t *)s->name, sizeof(s->name));
    s->domain_len = bpf_process_get_account_domain(ctx, (uint8_t *)s->domain, sizeof(s->domain));
    return 0;
}
