/* The TraceConnections program of the bind-hook article (seeds/001), with
 * its context declared here instead of coming from ebpf_nethooks.h: it
 * must compile unchanged against bpf_helpers.h alone (uint32_t, memcpy,
 * BPF_MAP_TYPE_HASH, the map macros), with -Werror. */
#include <bpf_helpers.h>

#define MIN(x, y) ((x) < (y)) ? (x) : (y)

typedef struct _test_bind_md {
    uint8_t *app_id_start;
    uint8_t *app_id_end;
    uint64_t process_id;
    uint8_t socket_address[16];
    uint8_t socket_address_length;
    uint32_t operation;
    uint8_t protocol;
} test_bind_md_t;

typedef struct _process_info {
    uint32_t id;
    char name[32];
    uint32_t count;
} process_info;

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, process_info);
    __uint(max_entries, 1024);
} proc_map SEC(".maps");

SEC("bind")
int TraceConnections(test_bind_md_t *ctx)
{
    if (ctx->operation == 0) {
        uint32_t pid = (uint32_t)ctx->process_id;
        process_info pi = {0};
        process_info *p = bpf_map_lookup_elem(&proc_map, &pid);
        if (p) {
            p->count++;
        } else {
            pi.id = pid;
            memcpy(pi.name, ctx->app_id_start, MIN(sizeof(pi.name), ctx->app_id_end - ctx->app_id_start));
            pi.count = 1;
            p = &pi;
        }
        bpf_map_update_elem(&proc_map, &pid, p, 0);
    }
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
