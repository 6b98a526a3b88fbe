/* For `bpfhost attach`: denies every exec of a process of group TEST_GID
 * (given with -DTEST_GID=N), which no process of the machine but a test's
 * children has, writing the command line on the trace pipe and counting
 * in counts: [0] creates of that group seen, [1] denied. */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

#ifndef TEST_GID /* the test gives it; built alone (as a fuzz seed), a group no one has */
#define TEST_GID 54322
#endif

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 2);
} counts SEC(".maps");

static void count(uint32_t which)
{
    uint64_t *n = bpf_map_lookup_elem(&counts, &which);
    if (n)
        __sync_fetch_and_add(n, 1);
}

SEC("process")
int deny_test_group(process_md_t *ctx)
{
    if (ctx->operation != PROCESS_OPERATION_CREATE || ctx->gid != TEST_GID)
        return STATUS_SUCCESS;
    count(0);
    char line[128] = {0};
    const uint8_t *p = ctx->command_start;
    for (int i = 0; i < (int)sizeof(line) - 1 && p + i < ctx->command_end; i++)
        line[i] = (char)p[i];
    bpf_printk("deny gid %u: %s", ctx->gid, line);
    count(1);
    return STATUS_ACCESS_DENIED;
}

char LICENSE[] SEC("license") = "GPL";
