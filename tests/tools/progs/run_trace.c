/* For `bpfhost run --trace` and `attach`: a program that writes each exec's
 * command line on the trace pipe (whatever bytes it holds), and one that
 * faults on the exec of files named "bpfhost-faulty" by running out of its
 * instruction budget. */
#include "image_name.h"

#include "../../core/progs/exhaust_budget.h"

#define FAULTY_NAME "/bpfhost-faulty"
#define NAME_LEN (sizeof(FAULTY_NAME) - 1)

SEC("process")
int trace_command(process_md_t *ctx)
{
    if (ctx->operation != PROCESS_OPERATION_CREATE || ctx->image_kind != PROCESS_IMAGE_PROGRAM)
        return STATUS_SUCCESS;
    char line[128] = {0};
    const uint8_t *p = ctx->command_start;
    for (int i = 0; i < (int)sizeof(line) - 1 && p + i < ctx->command_end; i++)
        line[i] = (char)p[i];
    bpf_printk("exec %s", line);
    return STATUS_SUCCESS;
}

SEC("process")
int fault_on_marked(process_md_t *ctx)
{
    if (!image_ends_with(ctx, FAULTY_NAME, NAME_LEN))
        return STATUS_SUCCESS;
    exhaust_budget(); /* a verified program's run-time fault: the instruction budget */
    return STATUS_SUCCESS;
}

char LICENSE[] SEC("license") = "GPL";
