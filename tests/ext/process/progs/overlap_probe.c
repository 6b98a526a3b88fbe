/*
 * Counts runs of the hook's programs that overlap another run (one in
 * another thread while this one runs), on the events of the test's
 * children: a run holds "inside" for a few thousand instructions, and
 * sees another run when "inside" is more than its own.
 */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

struct probe {
    uint64_t parent_pid; /* set by the test: only events of its children count */
    uint64_t inside;     /* runs in progress */
    uint64_t runs;
    uint64_t overlaps;   /* runs that began while another was in progress */
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, struct probe);
    __uint(max_entries, 1);
} probe SEC(".maps");

static long spin(uint64_t index, void *unused)
{
    return 0;
}

process_hook_t count_overlaps;

SEC("process")
int count_overlaps(process_md_t *ctx)
{
    uint32_t zero = 0;
    struct probe *p = bpf_map_lookup_elem(&probe, &zero);
    if (!p || ctx->parent_process_id != p->parent_pid)
        return 0;
    volatile uint64_t *inside = &p->inside;
    __sync_fetch_and_add(&p->inside, 1);
    bool alone = *inside == 1;
    bpf_loop(2000, spin, NULL, 0); /* a window as wide as a monitor's run */
    alone = alone && *inside == 1;
    __sync_fetch_and_add(&p->inside, -1);
    if (!alone)
        __sync_fetch_and_add(&p->overlaps, 1);
    __sync_fetch_and_add(&p->runs, 1);
    return 0;
}

char _license[] SEC("license") = "GPL";
