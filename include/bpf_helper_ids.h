/*
 * Numeric IDs of the helper functions every program type may call.
 *
 * Shared by eBPF programs (through bpf_helper_defs.h) and by the host's
 * helper table, so the two can never disagree. The numbers are ABI:
 *  - helpers that also exist on Linux keep Linux's IDs, so objects built
 *    against Linux's libbpf headers call the same functions here;
 *  - helpers only eBPF for Windows has live in a block from 0x8000, far above
 *    anything Linux assigns;
 *  - program-type specific helpers start at 0x10000 and are declared by the
 *    hook headers (e.g. bpf_process_get_image_path = 0x10000).
 * Never renumber an entry; only append.
 */
#ifndef BPFHOST_BPF_HELPER_IDS_H
#define BPFHOST_BPF_HELPER_IDS_H

enum bpf_func_id {
    /* Linux numbering. */
    BPF_FUNC_map_lookup_elem = 1,
    BPF_FUNC_map_update_elem = 2,
    BPF_FUNC_map_delete_elem = 3,
    BPF_FUNC_ktime_get_ns = 5,
    BPF_FUNC_trace_printk = 6,
    BPF_FUNC_get_prandom_u32 = 7,
    BPF_FUNC_get_smp_processor_id = 8,
    BPF_FUNC_tail_call = 12,
    BPF_FUNC_get_current_pid_tgid = 14,
    BPF_FUNC_get_current_uid_gid = 15,
    BPF_FUNC_get_current_comm = 16,
    BPF_FUNC_map_push_elem = 87,
    BPF_FUNC_map_pop_elem = 88,
    BPF_FUNC_map_peek_elem = 89,
    BPF_FUNC_ktime_get_boot_ns = 125,
    BPF_FUNC_ringbuf_output = 130,
    BPF_FUNC_ringbuf_reserve = 131,
    BPF_FUNC_ringbuf_submit = 132,
    BPF_FUNC_ringbuf_discard = 133,
    BPF_FUNC_ringbuf_query = 134,
    BPF_FUNC_snprintf = 165,
    BPF_FUNC_loop = 181,
    BPF_FUNC_strncmp = 182,

    /* Helpers of eBPF for Windows that Linux lacks. */
    BPF_FUNC_HOST_BASE = 0x8000,
    BPF_FUNC_memcpy_s = 0x8000,
    BPF_FUNC_memcmp_s = 0x8001,
    BPF_FUNC_memset = 0x8002,
    BPF_FUNC_memmove_s = 0x8003,
    BPF_FUNC_strncpy_s = 0x8004,
    BPF_FUNC_strncat_s = 0x8005,
    BPF_FUNC_strnlen_s = 0x8006,
    BPF_FUNC_ktime_get_boot_ms = 0x8007,
    BPF_FUNC_ktime_get_ms = 0x8008,
    BPF_FUNC_trace_printk2 = 0x8009,
    BPF_FUNC_trace_printk3 = 0x800a,
    BPF_FUNC_trace_printk4 = 0x800b,
    BPF_FUNC_trace_printk5 = 0x800c,

    /* First ID of the helpers a program type adds (declared by hook headers). */
    BPF_FUNC_PROGRAM_TYPE_BASE = 0x10000,
};

#endif
