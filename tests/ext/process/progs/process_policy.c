/* Policies for the dispatch tests: two deny creates of "their" pid, one
 * denies everything, one counts every event it sees, one fails. */
#include "bpf_helpers.h"
#include "../../../core/progs/exhaust_budget.h"
#include "ebpf_ntos_hooks.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, uint32_t);
    __type(value, uint64_t);
} counts SEC(".maps"); /* [0] creates seen, [1] deletes seen */

SEC("process")
int deny_pid_100(process_md_t *ctx)
{
    return ctx->process_id == 100 ? STATUS_ACCESS_DENIED : STATUS_SUCCESS;
}

SEC("process")
int deny_pid_200(process_md_t *ctx)
{
    return ctx->process_id == 200 ? STATUS_ACCESS_DENIED : STATUS_SUCCESS;
}

SEC("process")
int count_events(process_md_t *ctx)
{
    uint32_t key = ctx->operation == PROCESS_OPERATION_DELETE;
    uint64_t *n = bpf_map_lookup_elem(&counts, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

SEC("process")
int deny_all(process_md_t *ctx)
{
    return ctx->operation == PROCESS_OPERATION_CREATE ? STATUS_ACCESS_DENIED : 1; /* 1 on deletes: ignored */
}

SEC("process")
int faulty(process_md_t *ctx)
{
    /* 2^40 bounded iterations: the run's instruction budget stops it with an error, which is no denial. */
    exhaust_budget();
    return 1;
}
