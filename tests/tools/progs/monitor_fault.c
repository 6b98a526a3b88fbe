/* For process_monitor --object: a ProcessMonitor that runs out of its
 * instruction budget on every create, so the monitor must count and report
 * faults (a verified program cannot reach past its context). */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

#include "../../core/progs/exhaust_budget.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} process_ringbuf SEC(".maps");

SEC("process")
int ProcessMonitor(process_md_t *ctx)
{
    if (ctx->operation != PROCESS_OPERATION_CREATE)
        return STATUS_SUCCESS;
    exhaust_budget();
    return STATUS_SUCCESS;
}

char LICENSE[] SEC("license") = "GPL";
