/*
 * TraceConnections, as in the introduction article to eBPF for Windows:
 * counts the binds of each process in a hash map keyed by process id,
 * with the name of its program. Here it also counts the binds that failed
 * and the releases, and keeps the last port asked for. Permits every bind.
 *
 *   bpfhost run --attach build/examples/trace_connections.o --maps -- CMD
 */
#include <bpf_helpers.h>
#include <ebpf_nethooks.h>

#include "bind_counts.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, bind_counts_t);
    __uint(max_entries, 1024);
} proc_map SEC(".maps");

SEC("bind")
bind_action_t TraceConnections(bind_md_t *ctx)
{
    uint32_t pid = (uint32_t)ctx->process_id;
    bind_counts_t fresh = {.id = pid};
    bind_counts_t *c = bpf_map_lookup_elem(&proc_map, &pid);
    if (!c) {
        uint64_t len = ctx->app_id_end - ctx->app_id_start;
        memcpy(fresh.name, ctx->app_id_start, len < sizeof(fresh.name) ? len : sizeof(fresh.name));
        c = &fresh;
    }
    if (ctx->operation == BIND_OPERATION_BIND) {
        c->binds++;
        c->last_port = (uint16_t)((ctx->socket_address[2] << 8) | ctx->socket_address[3]);
    } else if (ctx->operation == BIND_OPERATION_POST_BIND && ctx->bind_error != 0) {
        c->failed++;
    } else if (ctx->operation == BIND_OPERATION_UNBIND) {
        c->unbinds++;
    }
    bpf_map_update_elem(&proc_map, &pid, c, 0);
    return BIND_PERMIT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
