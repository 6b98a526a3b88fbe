/* For process_monitor --object: a ProcessMonitor that reads past its
 * context on every create, so the monitor must count and report faults. */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} process_ringbuf SEC(".maps");

SEC("process")
int ProcessMonitor(process_md_t *ctx)
{
    if (ctx->operation != PROCESS_OPERATION_CREATE)
        return STATUS_SUCCESS;
    volatile uint32_t offset = 300; /* past the end of the context */
    return *((const volatile uint8_t *)ctx + offset);
}

char LICENSE[] SEC("license") = "GPL";
