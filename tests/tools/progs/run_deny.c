/* For `bpfhost run`: denies executables named "bpfhost-denied" and counts
 * the events it sees; a second process program permits everything; a
 * sample program that run must not attach. */
#include "image_name.h"

#define DENIED_NAME "/bpfhost-denied"
#define NAME_LEN (sizeof(DENIED_NAME) - 1)

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} seen SEC(".maps");

SEC("process")
int deny_marked(process_md_t *ctx)
{
    if (!image_ends_with(ctx, DENIED_NAME, NAME_LEN))
        return STATUS_SUCCESS;
    bpf_printk("denied %d", (int)ctx->process_id);
    return STATUS_ACCESS_DENIED;
}

SEC("process/count")
int count_all(process_md_t *ctx)
{
    (void)ctx;
    uint32_t zero = 0;
    uint64_t *n = bpf_map_lookup_elem(&seen, &zero);
    if (n)
        __sync_fetch_and_add(n, 1);
    return STATUS_SUCCESS;
}

SEC("sample")
int not_a_process_program(void *ctx)
{
    (void)ctx;
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
