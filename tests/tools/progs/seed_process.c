/* The process program of the ntosebpfext seed (000_0d50a45f5f1f7fce.txt),
 * as the seed writes it: it must compile against our headers unchanged. */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h" // For the process_md_t and process_hook_t definitions.

// Define any eBPF maps that you need here
struct
{
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

// The following line is optional, but is used to verify
// that the ProcessHandler prototype is correct or the compiler
// would complain when the function is actually defined below.
process_hook_t ProcessHandler;

// Define the eBPF program that will be attached to the process events.
SEC("process")
int
ProcessHandler(process_md_t* ctx)
{
    // Your eBPF program logic here
    // Access process information from ctx
    // For example, log to a ring buffer
    bpf_ringbuf_output(&events, ctx, sizeof(*ctx), 0);

    // Return STATUS_SUCCESS (0) to permit the operation
    // Return a failure NTSTATUS value to deny the operation
    // Note: For PROCESS_OPERATION_DELETE, the return value is ignored
    return 0;
}

/* Ours: denies creates whose command line starts with "rm ". */
SEC("process")
int deny_rm(process_md_t* ctx)
{
    uint8_t *start = ctx->command_start;
    if (ctx->operation != PROCESS_OPERATION_CREATE || ctx->command_end - start < 3)
        return STATUS_SUCCESS;
    return start[0] == 'r' && start[1] == 'm' && start[2] == ' ' ? STATUS_ACCESS_DENIED : STATUS_SUCCESS;
}
