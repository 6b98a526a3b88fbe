/* Map types the loader knows (Linux's numbering) and checks common to every
 * way of defining a map. */
#include "elf/loader.h"

/* Indexed by Linux map type number. */
static const char *const type_names[BPF_ELF_MAP_TYPE_MAX + 1] = {
    [1] = "hash",
    [2] = "array",
    [3] = "prog_array",
    [4] = "perf_event_array",
    [5] = "percpu_hash",
    [6] = "percpu_array",
    [7] = "stack_trace",
    [8] = "cgroup_array",
    [9] = "lru_hash",
    [10] = "lru_percpu_hash",
    [11] = "lpm_trie",
    [12] = "array_of_maps",
    [13] = "hash_of_maps",
    [14] = "devmap",
    [15] = "sockmap",
    [16] = "cpumap",
    [17] = "xskmap",
    [18] = "sockhash",
    [19] = "cgroup_storage",
    [20] = "reuseport_sockarray",
    [21] = "percpu_cgroup_storage",
    [22] = "queue",
    [23] = "stack",
    [24] = "sk_storage",
    [25] = "devmap_hash",
    [26] = "struct_ops",
    [27] = "ringbuf",
    [28] = "inode_storage",
    [29] = "task_storage",
    [30] = "bloom_filter",
    [31] = "user_ringbuf",
    [32] = "cgrp_storage",
    [33] = "arena",
};

const char *bpf_elf_map_type_name(uint32_t type)
{
    return type <= BPF_ELF_MAP_TYPE_MAX ? type_names[type] : NULL;
}

int ld_check_map_def(struct loader *ld, const char *what, const struct bpf_elf_map_def *def)
{
    if (!bpf_elf_map_type_name(def->type))
        return ld_fail(ld, "map '%s': unknown map type %u", what, def->type);
    if (def->pinning != BPF_ELF_PIN_NONE && def->pinning != BPF_ELF_PIN_BY_NAME)
        return ld_fail(ld, "map '%s': unknown pinning %u", what, def->pinning);
    return 0;
}
