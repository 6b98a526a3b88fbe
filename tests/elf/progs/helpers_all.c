/* Calls every helper bpf_helper_defs.h declares and defines a map of every
 * type bpf_helpers.h names: proves the headers compile, and the test checks
 * each call carries the helper's ID. With -DWITH_STDINT (and -ffreestanding)
 * it also checks <stdint.h> and bpf_helpers.h can be included together. */
#ifdef WITH_STDINT
#include <stdint.h>
#endif
#include <bpf_helpers.h>

#define MAP(name, map_type)              \
    struct {                             \
        __uint(type, map_type);          \
        __uint(key_size, 4);             \
        __uint(value_size, 8);           \
        __uint(max_entries, 16);         \
    } name SEC(".maps")

MAP(m_hash, BPF_MAP_TYPE_HASH);
MAP(m_array, BPF_MAP_TYPE_ARRAY);
MAP(m_prog_array, BPF_MAP_TYPE_PROG_ARRAY);
MAP(m_perf_event_array, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
MAP(m_percpu_hash, BPF_MAP_TYPE_PERCPU_HASH);
MAP(m_percpu_array, BPF_MAP_TYPE_PERCPU_ARRAY);
MAP(m_stack_trace, BPF_MAP_TYPE_STACK_TRACE);
MAP(m_cgroup_array, BPF_MAP_TYPE_CGROUP_ARRAY);
MAP(m_lru_hash, BPF_MAP_TYPE_LRU_HASH);
MAP(m_lru_percpu_hash, BPF_MAP_TYPE_LRU_PERCPU_HASH);
MAP(m_lpm_trie, BPF_MAP_TYPE_LPM_TRIE);
MAP(m_devmap, BPF_MAP_TYPE_DEVMAP);
MAP(m_sockmap, BPF_MAP_TYPE_SOCKMAP);
MAP(m_cpumap, BPF_MAP_TYPE_CPUMAP);
MAP(m_xskmap, BPF_MAP_TYPE_XSKMAP);
MAP(m_sockhash, BPF_MAP_TYPE_SOCKHASH);
MAP(m_cgroup_storage, BPF_MAP_TYPE_CGROUP_STORAGE);
MAP(m_reuseport_sockarray, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
MAP(m_percpu_cgroup_storage, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
MAP(m_queue, BPF_MAP_TYPE_QUEUE);
MAP(m_stack, BPF_MAP_TYPE_STACK);
MAP(m_sk_storage, BPF_MAP_TYPE_SK_STORAGE);
MAP(m_devmap_hash, BPF_MAP_TYPE_DEVMAP_HASH);
MAP(m_struct_ops, BPF_MAP_TYPE_STRUCT_OPS);
MAP(m_ringbuf, BPF_MAP_TYPE_RINGBUF);
MAP(m_inode_storage, BPF_MAP_TYPE_INODE_STORAGE);
MAP(m_task_storage, BPF_MAP_TYPE_TASK_STORAGE);
MAP(m_bloom_filter, BPF_MAP_TYPE_BLOOM_FILTER);
MAP(m_user_ringbuf, BPF_MAP_TYPE_USER_RINGBUF);
MAP(m_cgrp_storage, BPF_MAP_TYPE_CGRP_STORAGE);
MAP(m_arena, BPF_MAP_TYPE_ARENA);

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(key_size, 4);
    __uint(value_size, 8);
    __uint(max_entries, 1);
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(key_size, 4);
    __uint(max_entries, 1);
    __array(values, struct inner);
} m_array_of_maps SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(key_size, 4);
    __uint(max_entries, 1);
    __array(values, struct inner);
} m_hash_of_maps SEC(".maps");

static long loop_cb(uint32_t index, void *ctx)
{
    return index > 1;
}

SEC("sample")
int every_helper(void *ctx)
{
    uint32_t key = 0;
    uint64_t value = 0, args[2] = {1, 2};
    char buf[16] = "", other[16] = "";
    long r = 0;

    void *v = bpf_map_lookup_elem(&m_hash, &key);
    r += bpf_map_update_elem(&m_hash, &key, &value, BPF_NOEXIST);
    r += bpf_map_delete_elem(&m_hash, &key);
    r += (long)bpf_ktime_get_ns();
    r += bpf_printk("r=%ld", r);
    r += bpf_get_prandom_u32();
    r += bpf_get_smp_processor_id();
    r += bpf_tail_call(ctx, &m_prog_array, 0);
    r += (long)bpf_get_current_pid_tgid();
    r += (long)bpf_get_current_uid_gid();
    r += bpf_get_current_comm(buf, sizeof buf);
    r += bpf_map_push_elem(&m_queue, &value, BPF_EXIST);
    r += bpf_map_pop_elem(&m_queue, &value);
    r += bpf_map_peek_elem(&m_stack, &value);
    r += (long)bpf_ktime_get_boot_ns();
    r += bpf_ringbuf_output(&m_ringbuf, &value, sizeof value, BPF_RB_NO_WAKEUP);
    void *record = bpf_ringbuf_reserve(&m_ringbuf, 8, 0);
    if (record)
        bpf_ringbuf_submit(record, BPF_RB_FORCE_WAKEUP);
    record = bpf_ringbuf_reserve(&m_ringbuf, 8, 0);
    if (record)
        bpf_ringbuf_discard(record, 0);
    r += (long)bpf_ringbuf_query(&m_ringbuf, BPF_RB_AVAIL_DATA);
    r += bpf_snprintf(buf, sizeof buf, "%d %d", args, sizeof args);
    r += bpf_loop(4, loop_cb, NULL, 0);
    r += bpf_strncmp(buf, sizeof buf, "abc");

    r += bpf_memcpy_s(buf, sizeof buf, other, sizeof other);
    r += bpf_memcmp_s(buf, sizeof buf, other, sizeof other);
    r += bpf_memset(buf, sizeof buf, 0);
    r += bpf_memmove_s(buf, sizeof buf, other, sizeof other);
    r += bpf_strncpy_s(buf, sizeof buf, other, 4);
    r += bpf_strncat_s(buf, sizeof buf, other, 4);
    r += (long)bpf_strnlen_s(buf, sizeof buf);
    r += (long)bpf_ktime_get_boot_ms();
    r += (long)bpf_ktime_get_ms();
    r += bpf_trace_printk2("x", 2);
    r += bpf_trace_printk3("x %d", 5, 1);
    r += bpf_trace_printk4("x %d %d", 8, 1, 2);
    r += bpf_trace_printk5("x %d %d %d", 11, 1, 2, 3);

    /* The C library names eBPF for Windows maps onto helpers. */
    if (v) {
        memcpy(buf, v, 8);
        memmove(other, v, 8);
        r += memcmp(buf, other, 8);
        memset(v, 0, 8);
        r += memcpy_s(buf, sizeof buf, v, 8);
        r += memmove_s(other, sizeof other, v, 8);
    }
    return (int)r;
}

char LICENSE[] SEC("license") = "GPL";
