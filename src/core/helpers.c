/*
 * The general helpers with their prototypes: Linux's IDs where Linux has
 * the helper, eBPF for Windows' own in the block from 0x8000. Every program
 * type gets all of them; a type adds its own from 0x10000.
 */
#include "core/internal.h"

#define ARGS(...) {__VA_ARGS__}

static const struct core_helper general[] = {
    {BPF_FUNC_map_lookup_elem, "bpf_map_lookup_elem", core_helper_map_lookup_elem, CORE_RET_MAP_VALUE_OR_NULL,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_MAP_KEY)},
    {BPF_FUNC_map_update_elem, "bpf_map_update_elem", core_helper_map_update_elem, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_MAP_KEY, CORE_ARG_MAP_VALUE, CORE_ARG_SCALAR)},
    {BPF_FUNC_map_delete_elem, "bpf_map_delete_elem", core_helper_map_delete_elem, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_MAP_KEY)},
    {BPF_FUNC_ktime_get_ns, "bpf_ktime_get_ns", core_helper_ktime_get_ns, CORE_RET_INTEGER, ARGS(0)},
    {BPF_FUNC_trace_printk, "bpf_trace_printk", core_helper_trace_printk, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE, CORE_ARG_SCALAR, CORE_ARG_SCALAR, CORE_ARG_SCALAR)},
    {BPF_FUNC_get_prandom_u32, "bpf_get_prandom_u32", core_helper_get_prandom_u32, CORE_RET_INTEGER, ARGS(0)},
    {BPF_FUNC_get_smp_processor_id, "bpf_get_smp_processor_id", core_helper_get_smp_processor_id,
     CORE_RET_INTEGER, ARGS(0)},
    {BPF_FUNC_tail_call, "bpf_tail_call", core_helper_tail_call, CORE_RET_INTEGER,
     ARGS(CORE_ARG_CTX, CORE_ARG_MAP_PTR, CORE_ARG_SCALAR)},
    {BPF_FUNC_get_current_pid_tgid, "bpf_get_current_pid_tgid", core_helper_get_current_pid_tgid,
     CORE_RET_INTEGER, ARGS(0)},
    {BPF_FUNC_get_current_uid_gid, "bpf_get_current_uid_gid", core_helper_get_current_uid_gid,
     CORE_RET_INTEGER, ARGS(0)},
    {BPF_FUNC_get_current_comm, "bpf_get_current_comm", core_helper_get_current_comm, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE)},
    {BPF_FUNC_map_push_elem, "bpf_map_push_elem", core_helper_map_push_elem, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_MAP_VALUE, CORE_ARG_SCALAR)},
    {BPF_FUNC_map_pop_elem, "bpf_map_pop_elem", core_helper_map_pop_elem, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_MAP_VALUE_OUT)},
    {BPF_FUNC_map_peek_elem, "bpf_map_peek_elem", core_helper_map_peek_elem, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_MAP_VALUE_OUT)},
    {BPF_FUNC_ktime_get_boot_ns, "bpf_ktime_get_boot_ns", core_helper_ktime_get_boot_ns, CORE_RET_INTEGER,
     ARGS(0)},
    {BPF_FUNC_ringbuf_output, "bpf_ringbuf_output", core_helper_ringbuf_output, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_MEM_READ, CORE_ARG_SIZE_OR_ZERO, CORE_ARG_SCALAR)},
    {BPF_FUNC_ringbuf_reserve, "bpf_ringbuf_reserve", core_helper_ringbuf_reserve, CORE_RET_RINGBUF_MEM_OR_NULL,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_ALLOC_SIZE, CORE_ARG_SCALAR)},
    {BPF_FUNC_ringbuf_submit, "bpf_ringbuf_submit", core_helper_ringbuf_submit, CORE_RET_VOID,
     ARGS(CORE_ARG_RINGBUF_MEM, CORE_ARG_SCALAR)},
    {BPF_FUNC_ringbuf_discard, "bpf_ringbuf_discard", core_helper_ringbuf_discard, CORE_RET_VOID,
     ARGS(CORE_ARG_RINGBUF_MEM, CORE_ARG_SCALAR)},
    {BPF_FUNC_ringbuf_query, "bpf_ringbuf_query", core_helper_ringbuf_query, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MAP_PTR, CORE_ARG_SCALAR)},
    {BPF_FUNC_snprintf, "bpf_snprintf", core_helper_snprintf, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_WRITE_OR_NULL, CORE_ARG_SIZE_OR_ZERO, CORE_ARG_CONST_STR, CORE_ARG_MEM_READ_OR_NULL,
          CORE_ARG_SIZE_OR_ZERO)},
    {BPF_FUNC_loop, "bpf_loop", core_helper_loop, CORE_RET_INTEGER,
     ARGS(CORE_ARG_SCALAR, CORE_ARG_CALLBACK, CORE_ARG_SCALAR, CORE_ARG_SCALAR)},
    {BPF_FUNC_strncmp, "bpf_strncmp", core_helper_strncmp, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE, CORE_ARG_CONST_STR)},
    /* memcpy_s moves: overlap is the program's mistake, never the host's. */
    {BPF_FUNC_memcpy_s, "bpf_memcpy_s", core_helper_memmove_s, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE, CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE)},
    {BPF_FUNC_memcmp_s, "bpf_memcmp_s", core_helper_memcmp_s, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE, CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE)},
    {BPF_FUNC_memset, "bpf_memset", core_helper_memset, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE, CORE_ARG_SCALAR)},
    {BPF_FUNC_memmove_s, "bpf_memmove_s", core_helper_memmove_s, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE, CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE)},
    {BPF_FUNC_strncpy_s, "bpf_strncpy_s", core_helper_strncpy_s, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE, CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE)},
    {BPF_FUNC_strncat_s, "bpf_strncat_s", core_helper_strncat_s, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE, CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE)},
    {BPF_FUNC_strnlen_s, "bpf_strnlen_s", core_helper_strnlen_s, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ_OR_NULL, CORE_ARG_SIZE_OR_ZERO)},
    {BPF_FUNC_ktime_get_boot_ms, "bpf_ktime_get_boot_ms", core_helper_ktime_get_boot_ms, CORE_RET_INTEGER,
     ARGS(0)},
    {BPF_FUNC_ktime_get_ms, "bpf_ktime_get_ms", core_helper_ktime_get_ms, CORE_RET_INTEGER, ARGS(0)},
    {BPF_FUNC_trace_printk2, "bpf_trace_printk2", core_helper_trace_printk2, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE)},
    {BPF_FUNC_trace_printk3, "bpf_trace_printk3", core_helper_trace_printk3, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE, CORE_ARG_SCALAR)},
    {BPF_FUNC_trace_printk4, "bpf_trace_printk4", core_helper_trace_printk4, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE, CORE_ARG_SCALAR, CORE_ARG_SCALAR)},
    {BPF_FUNC_trace_printk5, "bpf_trace_printk5", core_helper_trace_printk, CORE_RET_INTEGER,
     ARGS(CORE_ARG_MEM_READ, CORE_ARG_CONST_SIZE, CORE_ARG_SCALAR, CORE_ARG_SCALAR, CORE_ARG_SCALAR)},
};

const struct core_helper *core_general_helpers(size_t *count)
{
    *count = sizeof(general) / sizeof(general[0]);
    return general;
}

const struct core_helper *core_helper_find(const struct core_prog_type *type, uint32_t id)
{
    for (size_t i = 0; type && i < type->helper_count; i++)
        if (type->helpers[i].id == id)
            return &type->helpers[i];
    for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++)
        if (general[i].id == id)
            return &general[i];
    return NULL;
}
