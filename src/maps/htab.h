/*
 * Private to src/maps: the hash table shared by hash, percpu_hash, the
 * LRU variants (lru.c adds eviction through a policy) and hash_of_maps.
 */
#ifndef BPFHOST_MAPS_HTAB_H
#define BPFHOST_MAPS_HTAB_H

#include "maps/internal.h"

/* What an element's value area holds. */
enum htab_kind {
    HTAB_PLAIN,   /* value_size bytes */
    HTAB_PERCPU,  /* one padded value per CPU */
    HTAB_MAP_PTR, /* an inner map pointer (hash_of_maps) */
};

struct htab;

/*
 * Hooks through which lru.c allocates and evicts. alloc and release are
 * called with no lock of the table held (eviction takes bucket locks, so
 * the LRU's own locks always come before a bucket lock).
 */
struct htab_policy {
    uint32_t (*alloc)(struct htab *h);                /* an element for an insert; evicts if full */
    void (*release)(struct htab *h, uint32_t index);  /* an element out of the table (deleted, unused) */
    void (*touched)(struct htab *h, uint32_t index);  /* lock-free, from lookups and replaces */
    void (*destroy)(struct htab *h);                  /* frees the policy's object */
};

struct htab_bucket {
    _Atomic uint32_t head; /* element index, or a nulls marker naming this bucket */
    struct bh_lock lock;
};

struct htab {
    struct map map;
    enum htab_kind kind;
    const struct htab_policy *policy; /* NULL: plain free-list allocation */
    struct htab_bucket *buckets;
    uint32_t mask;                    /* buckets - 1 */
    uint32_t key_size;
    uint32_t value_size;
    uint32_t n_elems;
    size_t value_off;                 /* from element start */
    size_t elem_size;
    uint64_t seed;
    unsigned char *pool;
    struct freelist free;             /* tables without a policy */
};

/* Sets up an embedded table for params p; 0 or -ENOMEM. */
int htab_init(struct htab *h, const struct map_params *p);
/* Releases what htab_init allocated (and stored inner maps). */
void htab_fini(struct htab *h);
/* Unlinks element index from its bucket if it is in the table; false if it is not. */
bool htab_unlink_if_linked(struct htab *h, uint32_t index);

/* Operations shared with map_in_map.c's table; see struct map_ops. */
int htab_check(const struct map_params *p);
int htab_alloc(const struct map_params *p, struct map **out);
void htab_free(struct map *m);
/* Lock-free: the value (this CPU's slot; the inner map for hash_of_maps). */
void *htab_lookup(struct map *m, const void *key);
/* Insert or replace under the bucket lock. */
long htab_update(struct map *m, const void *key, const void *value, uint64_t flags,
                 enum map_caller who);
long htab_remove(struct map *m, const void *key);
/* Copies the value (all CPUs; the inner map's id) under the bucket lock. */
int htab_lookup_copy(struct map *m, const void *key, void *out);
int htab_get_next_key(struct map *m, const void *key, void *next);

/* lru.c: allocates an LRU table (type LRU_HASH or LRU_PERCPU_HASH). */
int lru_alloc(const struct map_params *p, struct map **out);

#endif /* BPFHOST_MAPS_HTAB_H */
