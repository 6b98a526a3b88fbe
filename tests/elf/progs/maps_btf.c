/* BTF-defined maps of several kinds, a map of maps and a prog array with
 * static initial values. Loaded by tests/elf/test_elf_load.c. */
#include <bpf_helpers.h>

struct counters {
    uint64_t packets;
    uint64_t bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, struct counters);
    __uint(max_entries, 128);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} by_pid SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(key_size, sizeof(uint32_t));
    __uint(value_size, 24);
    __uint(max_entries, 4);
} per_cpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __type(key, uint64_t);
    __type(value, char[16]);
    __uint(max_entries, 1000);
    __uint(map_flags, BPF_F_NO_COMMON_LRU);
} recent SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __type(value, uint32_t);
    __uint(max_entries, 8);
} pending SEC(".maps");

struct inner_map {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 2);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __type(key, uint32_t);
    __uint(max_entries, 3);
    __array(values, struct inner_map);
} outer SEC(".maps") = {.values = {[0] = &inner_a, [2] = &inner_b}};

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __type(key, uint32_t);
    __uint(max_entries, 5);
    __array(values, struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __type(key, uint16_t);
        __type(value, uint16_t);
        __uint(max_entries, 9);
    });
} outer_hash SEC(".maps");

int stage_one(void *ctx);
int stage_two(void *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __type(key, uint32_t);
    __uint(max_entries, 4);
    __array(values, int(void *));
} stages SEC(".maps") = {.values = {[1] = (void *)&stage_one, [3] = (void *)&stage_two}};

SEC("sample")
int stage_one(void *ctx)
{
    uint32_t key = (uint32_t)bpf_get_current_pid_tgid();
    struct counters *c = bpf_map_lookup_elem(&by_pid, &key);
    if (c)
        c->packets++;
    uint64_t *slot = bpf_map_lookup_elem(&per_cpu, &key);
    uint64_t when = bpf_ktime_get_ns();
    bpf_map_update_elem(&recent, &when, "recent", BPF_ANY);
    return slot ? 1 : 0;
}

SEC("sample")
int stage_two(void *ctx)
{
    uint32_t value = 7;
    bpf_map_push_elem(&pending, &value, BPF_EXIST);
    return bpf_ringbuf_output(&events, &value, sizeof value, 0);
}

SEC("sample/entry")
int entry(void *ctx)
{
    uint32_t key = 0;
    if (bpf_map_lookup_elem(&outer, &key) || bpf_map_lookup_elem(&outer_hash, &key))
        bpf_tail_call(ctx, &stages, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
uint32_t VERSION SEC("version") = 0x050a00;
