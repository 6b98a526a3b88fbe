/*
 * Declarations of the helpers every program type may call.
 *
 * Each helper is a typed function-pointer constant whose value is the
 * helper's ID: clang turns a call through it into `call <ID>`, whatever the
 * optimisation level. Included by bpf_helpers.h, which provides the integer
 * types and the EBPF_HELPER macro.
 */
#ifndef BPFHOST_BPF_HELPER_DEFS_H
#define BPFHOST_BPF_HELPER_DEFS_H

#include "bpf_helper_ids.h"

/* Declares the pointer type name##_t of a helper (the eBPF for Windows
 * spelling, which hook headers use to declare their own helpers). */
#ifndef EBPF_HELPER
#define EBPF_HELPER(return_type, name, args) typedef return_type(*const name##_t) args
#endif

/* Helpers Linux also has (same IDs, same prototypes). */

/* Returns a pointer to the value stored under key, or NULL. */
EBPF_HELPER(void *, bpf_map_lookup_elem, (void *map, const void *key));
#define bpf_map_lookup_elem ((bpf_map_lookup_elem_t)BPF_FUNC_map_lookup_elem)

/* Stores value under key; flags is BPF_ANY, BPF_NOEXIST or BPF_EXIST. */
EBPF_HELPER(long, bpf_map_update_elem, (void *map, const void *key, const void *value, uint64_t flags));
#define bpf_map_update_elem ((bpf_map_update_elem_t)BPF_FUNC_map_update_elem)

/* Removes the entry stored under key. */
EBPF_HELPER(long, bpf_map_delete_elem, (void *map, const void *key));
#define bpf_map_delete_elem ((bpf_map_delete_elem_t)BPF_FUNC_map_delete_elem)

/* Monotonic time in nanoseconds, not counting suspend. */
EBPF_HELPER(uint64_t, bpf_ktime_get_ns, (void));
#define bpf_ktime_get_ns ((bpf_ktime_get_ns_t)BPF_FUNC_ktime_get_ns)

/* Prints fmt (of fmt_size bytes, NUL included) with up to three arguments. */
EBPF_HELPER(long, bpf_trace_printk, (const char *fmt, uint32_t fmt_size, ...));
#define bpf_trace_printk ((bpf_trace_printk_t)BPF_FUNC_trace_printk)

/* A pseudo-random 32-bit number. */
EBPF_HELPER(uint32_t, bpf_get_prandom_u32, (void));
#define bpf_get_prandom_u32 ((bpf_get_prandom_u32_t)BPF_FUNC_get_prandom_u32)

/* Index of the processor running the program. */
EBPF_HELPER(uint32_t, bpf_get_smp_processor_id, (void));
#define bpf_get_smp_processor_id ((bpf_get_smp_processor_id_t)BPF_FUNC_get_smp_processor_id)

/* Jumps to the program in slot index of a prog array; returns only on failure. */
EBPF_HELPER(long, bpf_tail_call, (void *ctx, void *prog_array_map, uint32_t index));
#define bpf_tail_call ((bpf_tail_call_t)BPF_FUNC_tail_call)

/* (process id << 32) | thread id of the current thread. */
EBPF_HELPER(uint64_t, bpf_get_current_pid_tgid, (void));
#define bpf_get_current_pid_tgid ((bpf_get_current_pid_tgid_t)BPF_FUNC_get_current_pid_tgid)

/* (gid << 32) | uid of the current thread. */
EBPF_HELPER(uint64_t, bpf_get_current_uid_gid, (void));
#define bpf_get_current_uid_gid ((bpf_get_current_uid_gid_t)BPF_FUNC_get_current_uid_gid)

/* Copies the current thread's command name (NUL-terminated) into buf. */
EBPF_HELPER(long, bpf_get_current_comm, (void *buf, uint32_t size_of_buf));
#define bpf_get_current_comm ((bpf_get_current_comm_t)BPF_FUNC_get_current_comm)

/* Pushes value onto a queue or stack map (BPF_EXIST: drop the oldest when full). */
EBPF_HELPER(long, bpf_map_push_elem, (void *map, const void *value, uint64_t flags));
#define bpf_map_push_elem ((bpf_map_push_elem_t)BPF_FUNC_map_push_elem)

/* Removes the next element of a queue or stack map into value. */
EBPF_HELPER(long, bpf_map_pop_elem, (void *map, void *value));
#define bpf_map_pop_elem ((bpf_map_pop_elem_t)BPF_FUNC_map_pop_elem)

/* Copies the next element of a queue or stack map into value, leaving it there. */
EBPF_HELPER(long, bpf_map_peek_elem, (void *map, void *value));
#define bpf_map_peek_elem ((bpf_map_peek_elem_t)BPF_FUNC_map_peek_elem)

/* Time since boot in nanoseconds, counting suspend. */
EBPF_HELPER(uint64_t, bpf_ktime_get_boot_ns, (void));
#define bpf_ktime_get_boot_ns ((bpf_ktime_get_boot_ns_t)BPF_FUNC_ktime_get_boot_ns)

/* Copies size bytes of data into a ring buffer map as one record. */
EBPF_HELPER(long, bpf_ringbuf_output, (void *ringbuf, void *data, uint64_t size, uint64_t flags));
#define bpf_ringbuf_output ((bpf_ringbuf_output_t)BPF_FUNC_ringbuf_output)

/* Reserves a record of size bytes in a ring buffer map; NULL if full. */
EBPF_HELPER(void *, bpf_ringbuf_reserve, (void *ringbuf, uint64_t size, uint64_t flags));
#define bpf_ringbuf_reserve ((bpf_ringbuf_reserve_t)BPF_FUNC_ringbuf_reserve)

/* Publishes a record obtained from bpf_ringbuf_reserve. */
EBPF_HELPER(void, bpf_ringbuf_submit, (void *data, uint64_t flags));
#define bpf_ringbuf_submit ((bpf_ringbuf_submit_t)BPF_FUNC_ringbuf_submit)

/* Drops a record obtained from bpf_ringbuf_reserve. */
EBPF_HELPER(void, bpf_ringbuf_discard, (void *data, uint64_t flags));
#define bpf_ringbuf_discard ((bpf_ringbuf_discard_t)BPF_FUNC_ringbuf_discard)

/* Reads a ring buffer property (BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, ...). */
EBPF_HELPER(uint64_t, bpf_ringbuf_query, (void *ringbuf, uint64_t flags));
#define bpf_ringbuf_query ((bpf_ringbuf_query_t)BPF_FUNC_ringbuf_query)

/* Formats into str like snprintf; data holds data_len / 8 arguments. */
EBPF_HELPER(long, bpf_snprintf, (char *str, uint32_t str_size, const char *fmt, uint64_t *data, uint32_t data_len));
#define bpf_snprintf ((bpf_snprintf_t)BPF_FUNC_snprintf)

/* Calls callback_fn(index, callback_ctx) up to nr_loops times, stopping when it returns 1. */
EBPF_HELPER(long, bpf_loop, (uint32_t nr_loops, void *callback_fn, void *callback_ctx, uint64_t flags));
#define bpf_loop ((bpf_loop_t)BPF_FUNC_loop)

/* Compares the first s1_sz bytes of s1 with the string s2, like strncmp. */
EBPF_HELPER(long, bpf_strncmp, (const char *s1, uint32_t s1_sz, const char *s2));
#define bpf_strncmp ((bpf_strncmp_t)BPF_FUNC_strncmp)

/* Helpers of eBPF for Windows (IDs in the 0x8000 block). */

/* Copies source_size bytes into a destination of destination_size bytes. */
EBPF_HELPER(long, bpf_memcpy_s, (void *destination, size_t destination_size, const void *source, size_t source_size));
#define bpf_memcpy_s ((bpf_memcpy_s_t)BPF_FUNC_memcpy_s)

/* Compares two memory regions; <0, 0 or >0 like memcmp. */
EBPF_HELPER(int, bpf_memcmp_s, (const void *memory1, size_t memory1_size, const void *memory2, size_t memory2_size));
#define bpf_memcmp_s ((bpf_memcmp_s_t)BPF_FUNC_memcmp_s)

/* Fills size bytes of memory with value. */
EBPF_HELPER(long, bpf_memset, (void *memory, size_t size, int value));
#define bpf_memset ((bpf_memset_t)BPF_FUNC_memset)

/* Like bpf_memcpy_s, but the regions may overlap. */
EBPF_HELPER(long, bpf_memmove_s, (void *destination, size_t destination_size, const void *source, size_t source_size));
#define bpf_memmove_s ((bpf_memmove_s_t)BPF_FUNC_memmove_s)

/* Copies at most count characters of src into dest, always NUL-terminated. */
EBPF_HELPER(int, bpf_strncpy_s, (char *dest, size_t dest_size, const char *src, size_t count));
#define bpf_strncpy_s ((bpf_strncpy_s_t)BPF_FUNC_strncpy_s)

/* Appends at most count characters of src to the string in dest. */
EBPF_HELPER(int, bpf_strncat_s, (char *dest, size_t dest_size, const char *src, size_t count));
#define bpf_strncat_s ((bpf_strncat_s_t)BPF_FUNC_strncat_s)

/* Length of the string in str, at most str_size. */
EBPF_HELPER(size_t, bpf_strnlen_s, (const char *str, size_t str_size));
#define bpf_strnlen_s ((bpf_strnlen_s_t)BPF_FUNC_strnlen_s)

/* Time since boot in milliseconds, counting suspend (coarse, fast). */
EBPF_HELPER(uint64_t, bpf_ktime_get_boot_ms, (void));
#define bpf_ktime_get_boot_ms ((bpf_ktime_get_boot_ms_t)BPF_FUNC_ktime_get_boot_ms)

/* Monotonic time in milliseconds, not counting suspend (coarse, fast). */
EBPF_HELPER(uint64_t, bpf_ktime_get_ms, (void));
#define bpf_ktime_get_ms ((bpf_ktime_get_ms_t)BPF_FUNC_ktime_get_ms)

/* Fixed-arity forms of bpf_trace_printk (no, one, two or three arguments). */
EBPF_HELPER(long, bpf_trace_printk2, (const char *fmt, uint32_t fmt_size));
#define bpf_trace_printk2 ((bpf_trace_printk2_t)BPF_FUNC_trace_printk2)
EBPF_HELPER(long, bpf_trace_printk3, (const char *fmt, uint32_t fmt_size, uint64_t arg3));
#define bpf_trace_printk3 ((bpf_trace_printk3_t)BPF_FUNC_trace_printk3)
EBPF_HELPER(long, bpf_trace_printk4, (const char *fmt, uint32_t fmt_size, uint64_t arg3, uint64_t arg4));
#define bpf_trace_printk4 ((bpf_trace_printk4_t)BPF_FUNC_trace_printk4)
EBPF_HELPER(long, bpf_trace_printk5, (const char *fmt, uint32_t fmt_size, uint64_t arg3, uint64_t arg4, uint64_t arg5));
#define bpf_trace_printk5 ((bpf_trace_printk5_t)BPF_FUNC_trace_printk5)

#endif
