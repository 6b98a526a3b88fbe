/*
 * A process program written the way eBPF for Windows' samples write one
 * (ntosebpfext's process monitor does the same): scratch space in a
 * per-CPU array keyed by a u64, of which eBPF for Windows reads the first
 * 4 bytes as the index, with a value of 65,520 bytes, over Linux's 32 KiB
 * per-CPU limit; the command line is assembled there and kept in an LRU
 * hash keyed by the process id.
 *
 * Returns 0, or which step failed: 1 the index in the key's first 4
 * bytes did not find the scratch space, 2 a key whose first 4 bytes are
 * past the end found something, 3 the LRU update failed.
 */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

/* What a UNICODE_STRING can hold, less a little: the samples' size. */
#define SCRATCH_SIZE (64 * 1024 - 16)

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, uint64_t);
    __uint(value_size, SCRATCH_SIZE);
    __uint(max_entries, 1);
} scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __type(key, uint64_t);
    __uint(value_size, SCRATCH_SIZE);
    __uint(max_entries, 16);
} command_lines SEC(".maps");

SEC("process")
int keep_command_line(process_md_t *ctx)
{
    /* Index 0 in the first 4 bytes; the upper half is not part of the index. */
    uint64_t index_zero = 0xabcdef0000000000ull;
    uint64_t index_one = 1;
    if (bpf_map_lookup_elem(&scratch, &index_one))
        return 2;
    uint8_t *buffer = bpf_map_lookup_elem(&scratch, &index_zero);
    if (!buffer)
        return 1;
    memset(buffer, 0, SCRATCH_SIZE);
    uint64_t length = ctx->command_end - ctx->command_start;
    if (length > SCRATCH_SIZE - 1)
        length = SCRATCH_SIZE - 1; /* better cut than nothing; the last byte stays 0 */
    memcpy_s(buffer, SCRATCH_SIZE - 1, ctx->command_start, length);
    uint64_t pid = ctx->process_id;
    return bpf_map_update_elem(&command_lines, &pid, buffer, BPF_ANY) ? 3 : 0;
}

char LICENSE[] SEC("license") = "MIT";
