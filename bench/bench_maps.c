/*
 * Map operations as programs call them (map_lookup_elem / map_update_elem):
 * ns per operation for hash, LRU hash and array, on one thread and on two
 * threads at once (each thread's ns per operation). Most rows use random
 * existing keys, so updates replace; the LRU rows marked "x4" draw keys
 * from four times the capacity, so three updates in four insert a new key
 * into the full map and evict one.
 */
#include "bench.h"
#include "maps/maps.h"

#include <pthread.h>
#include <stdio.h>

enum { ENTRIES = 65536, OPS = 2000000 };

struct map_worker {
    struct map *map;
    bool update;
    uint32_t key_space;
    uint32_t seed;
    uint64_t ns;
    uint64_t sink;
};

static void *map_worker_main(void *opaque)
{
    struct map_worker *w = opaque;
    uint32_t x = w->seed | 1;
    uint64_t value = 7, sink = 0;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < OPS; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift: random keys, no cache-friendly pattern */
        uint32_t key = x % w->key_space;
        if (w->update) {
            sink += (uint64_t)map_update_elem(w->map, &key, &value, MAP_ANY);
        } else {
            uint64_t *v = map_lookup_elem(w->map, &key);
            sink += v ? *v : 1;
        }
    }
    w->ns = bench_now_ns() - t0;
    w->sink = sink;
    return NULL;
}

/* Average ns per operation over threads running at once. */
static double time_ops(struct map *map, uint32_t key_space, bool update, int threads)
{
    struct map_worker workers[2];
    pthread_t ids[2];
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct map_worker){.map = map, .update = update, .key_space = key_space,
                                         .seed = 2463534242u + (uint32_t)t * 977};
        pthread_create(&ids[t], NULL, map_worker_main, &workers[t]);
    }
    uint64_t total = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        total += workers[t].ns;
    }
    return (double)total / threads / OPS;
}

int bench_maps(void)
{
    static const struct {
        const char *name;
        uint32_t type, flags, key_space;
    } kinds[] = {
        {"hash", BPF_MAP_TYPE_HASH, 0, ENTRIES},
        {"lru_hash", BPF_MAP_TYPE_LRU_HASH, 0, ENTRIES},
        {"lru_hash x4", BPF_MAP_TYPE_LRU_HASH, 0, 4 * ENTRIES},
        {"lru_hash no_common x4", BPF_MAP_TYPE_LRU_HASH, MAP_F_NO_COMMON_LRU, 4 * ENTRIES},
        {"array", BPF_MAP_TYPE_ARRAY, 0, ENTRIES},
    };
    printf("\nmap operations (%d entries, u32 key, u64 value, random keys: existing ones, or from 4x the "
           "entries in x4 rows; ns per operation per thread)\n",
           ENTRIES);
    printf("%-22s %14s %14s %14s %14s\n", "map", "lookup 1 thr", "lookup 2 thr", "update 1 thr",
           "update 2 thr");
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct map_params params = {.type = kinds[k].type, .key_size = 4, .value_size = 8,
                                    .max_entries = ENTRIES, .map_flags = kinds[k].flags};
        struct map *map;
        int rc = map_create(&params, &map);
        if (rc != 0) {
            fprintf(stderr, "%s: map_create failed: %d\n", kinds[k].name, rc);
            return 1;
        }
        for (uint32_t key = 0; key < ENTRIES; key++) {
            uint64_t value = key;
            if (map_update_elem(map, &key, &value, MAP_ANY) != 0) {
                fprintf(stderr, "%s: prefill failed at key %u\n", kinds[k].name, key);
                map_release(map);
                return 1;
            }
        }
        uint32_t keys = kinds[k].key_space;
        printf("%-22s %14.1f %14.1f %14.1f %14.1f\n", kinds[k].name, time_ops(map, keys, false, 1),
               time_ops(map, keys, false, 2), time_ops(map, keys, true, 1), time_ops(map, keys, true, 2));
        map_release(map);
    }
    return 0;
}
