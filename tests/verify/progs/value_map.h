/* The data of the loop tests' programs: an array map of one value of
 * type T, and NAME_value(), its value or NULL. */
#ifndef BPFHOST_TESTS_VERIFY_VALUE_MAP_H
#define BPFHOST_TESTS_VERIFY_VALUE_MAP_H

#include "../../core/progs/sample_ctx.h"

#define VALUE_MAP(NAME, T)                                                                                         \
    struct {                                                                                                       \
        __uint(type, BPF_MAP_TYPE_ARRAY);                                                                          \
        __type(key, uint32_t);                                                                                     \
        __type(value, T);                                                                                          \
        __uint(max_entries, 1);                                                                                    \
    } NAME SEC(".maps");                                                                                           \
    static __attribute__((always_inline)) void *NAME##_value(void)                                                 \
    {                                                                                                              \
        uint32_t key = 0;                                                                                          \
        return bpf_map_lookup_elem(&NAME, &key);                                                                   \
    }

#endif
