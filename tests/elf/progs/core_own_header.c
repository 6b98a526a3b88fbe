/*
 * A process program compiled against this host's own header with CO-RE on
 * every access (the whole header under preserve_access_index, as programs
 * built with vmlinux.h are): every field, the array and the bit-field too,
 * must relocate to where they already are.
 */
#include <bpf_helpers.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include <ebpf_ntos_hooks.h>
#pragma clang attribute pop

/* The sum of the fields (the command line by its length), plus 1000000 on a delete. */
SEC("process")
int every_field(process_md_t *ctx)
{
    uint64_t s = ctx->process_id + ctx->parent_process_id + ctx->creating_process_id + ctx->creating_thread_id +
                 ctx->creation_time + ctx->exit_time + ctx->process_exit_code + ctx->token_sid_size +
                 ctx->token_sid[5] + ctx->uid + ctx->gid + (uint64_t)(ctx->command_end - ctx->command_start);
    if (ctx->operation == PROCESS_OPERATION_DELETE)
        s += 1000000;
    return (int)s;
}

char LICENSE[] SEC("license") = "GPL";
