/*
 * bpf_map_types.h — map types, update flags and map flags with Linux's
 * numbers. Shared by eBPF programs (through bpf_helpers.h) and by host
 * code using the libbpf-style API (src/api/api.h), so both spell them the
 * same way, and by the host's maps layer and ELF loader, so the numbers
 * are written here only. Enumerators and one list macro: safe in any
 * translation unit.
 */
#ifndef BPFHOST_BPF_MAP_TYPES_H
#define BPFHOST_BPF_MAP_TYPES_H

/*
 * Every map type, once: X(NAME, Linux's number, libbpf's name). The enum
 * below, the host's maps layer (src/maps/maps.h) and the ELF loader's
 * type names (src/elf/map_def.c) all come from this list.
 */
#define BPF_MAP_TYPE_LIST(X)                              \
    X(UNSPEC, 0, "unspec")                                \
    X(HASH, 1, "hash")                                    \
    X(ARRAY, 2, "array")                                  \
    X(PROG_ARRAY, 3, "prog_array")                        \
    X(PERF_EVENT_ARRAY, 4, "perf_event_array")            \
    X(PERCPU_HASH, 5, "percpu_hash")                      \
    X(PERCPU_ARRAY, 6, "percpu_array")                    \
    X(STACK_TRACE, 7, "stack_trace")                      \
    X(CGROUP_ARRAY, 8, "cgroup_array")                    \
    X(LRU_HASH, 9, "lru_hash")                            \
    X(LRU_PERCPU_HASH, 10, "lru_percpu_hash")             \
    X(LPM_TRIE, 11, "lpm_trie")                           \
    X(ARRAY_OF_MAPS, 12, "array_of_maps")                 \
    X(HASH_OF_MAPS, 13, "hash_of_maps")                   \
    X(DEVMAP, 14, "devmap")                               \
    X(SOCKMAP, 15, "sockmap")                             \
    X(CPUMAP, 16, "cpumap")                               \
    X(XSKMAP, 17, "xskmap")                               \
    X(SOCKHASH, 18, "sockhash")                           \
    X(CGROUP_STORAGE, 19, "cgroup_storage")               \
    X(REUSEPORT_SOCKARRAY, 20, "reuseport_sockarray")     \
    X(PERCPU_CGROUP_STORAGE, 21, "percpu_cgroup_storage") \
    X(QUEUE, 22, "queue")                                 \
    X(STACK, 23, "stack")                                 \
    X(SK_STORAGE, 24, "sk_storage")                       \
    X(DEVMAP_HASH, 25, "devmap_hash")                     \
    X(STRUCT_OPS, 26, "struct_ops")                       \
    X(RINGBUF, 27, "ringbuf")                             \
    X(INODE_STORAGE, 28, "inode_storage")                 \
    X(TASK_STORAGE, 29, "task_storage")                   \
    X(BLOOM_FILTER, 30, "bloom_filter")                   \
    X(USER_RINGBUF, 31, "user_ringbuf")                   \
    X(CGRP_STORAGE, 32, "cgrp_storage")                   \
    X(ARENA, 33, "arena")

enum bpf_map_type {
#define BPF_MAP_TYPE_ENUMERATOR_(name, number, text) BPF_MAP_TYPE_##name = number,
    BPF_MAP_TYPE_LIST(BPF_MAP_TYPE_ENUMERATOR_)
#undef BPF_MAP_TYPE_ENUMERATOR_
    __MAX_BPF_MAP_TYPE /* one past the last type, as Linux names it */
};

/* Flags of bpf_map_update_elem. */
enum {
    BPF_ANY = 0,     /* create or update */
    BPF_NOEXIST = 1, /* create only */
    BPF_EXIST = 2,   /* update only */
};

/* Map flags (map_flags), Linux's values. */
enum {
    BPF_F_NO_PREALLOC = 1U << 0,
    BPF_F_NO_COMMON_LRU = 1U << 1,
    BPF_F_RDONLY_PROG = 1U << 7,
    BPF_F_WRONLY_PROG = 1U << 8,
};

#endif
