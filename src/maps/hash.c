/*
 * Hash maps: hash, percpu_hash, and the table under lru.c and
 * map_in_map.c.
 *
 * All max_entries elements (header, key, value) are preallocated in one
 * pool and recycled through a free list, so value pointers handed to
 * programs stay valid for the map's life (see maps.h).
 *
 * Buckets are singly linked chains of element indices, each ending in a
 * "nulls" marker that names its bucket (Linux's hlist_nulls idea).
 * Writers lock the bucket; lookups take no lock. A lookup walking an
 * element that is deleted and reused meanwhile may be carried into
 * another bucket's chain: it notices because the chain ends in a foreign
 * marker, and starts over. An insert publishes the element at the head
 * with a release store after filling it, so a lookup that reaches it sees
 * its key and value. As with Linux's preallocated maps, a lookup racing
 * with reuse of the very element it compares may read a key being
 * rewritten; the result is a miss or the new element, never invalid
 * memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "maps/htab.h"

enum {
    NULLS_BIT = 0x80000000u,
    WALK_RESTART = MAP_INDEX_NONE - 1,
    HTAB_MAX_BUCKETS = 1u << 28, /* Linux: U32_MAX / sizeof(struct bucket) */
    HTAB_HDR = 8,
};

struct htab_elem {
    _Atomic uint32_t next; /* next element index or the bucket's nulls marker */
    _Atomic uint32_t hash;
    unsigned char key[];
};

static struct htab_elem *elem_at(const struct htab *h, uint32_t i)
{
    return (struct htab_elem *)(h->pool + (size_t)i * h->elem_size);
}

static unsigned char *value_at(const struct htab *h, uint32_t i)
{
    return h->pool + (size_t)i * h->elem_size + h->value_off;
}

static _Atomic(void *) *obj_slot(const struct htab *h, uint32_t i)
{
    return (_Atomic(void *) *)value_at(h, i);
}

/* A 64-bit finalizer-style mix: every input bit affects every output bit. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint32_t hash_key(const struct htab *h, const void *key)
{
    const unsigned char *p = key;
    size_t n = h->key_size;
    uint64_t acc = h->seed ^ n;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        acc = mix64(acc ^ w);
    }
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    return (uint32_t)mix64(acc ^ tail);
}

/*
 * One pass over bucket b: the index of key's element, MAP_INDEX_NONE, or
 * WALK_RESTART if the walk strayed into another chain (or, in theory,
 * kept following recycled elements for longer than the pool is long).
 * Under the bucket lock it never strays.
 */
static uint32_t walk(const struct htab *h, uint32_t b, const void *key, uint32_t hash)
{
    uint32_t i = atomic_load_explicit(&h->buckets[b].head, memory_order_acquire);
    for (uint32_t hops = 0; !(i & NULLS_BIT); hops++) {
        if (hops > h->n_elems)
            return WALK_RESTART;
        struct htab_elem *e = elem_at(h, i);
        if (atomic_load_explicit(&e->hash, memory_order_relaxed) == hash &&
            memcmp(e->key, key, h->key_size) == 0)
            return i;
        i = atomic_load_explicit(&e->next, memory_order_acquire);
    }
    return i == (NULLS_BIT | b) ? MAP_INDEX_NONE : WALK_RESTART;
}

static uint32_t find(const struct htab *h, const void *key, uint32_t hash)
{
    uint32_t i;
    do
        i = walk(h, hash & h->mask, key, hash);
    while (i == WALK_RESTART);
    return i;
}

/* Removes element i from chain b, whose lock the caller holds. */
static void unlink_locked(struct htab *h, uint32_t b, uint32_t i)
{
    _Atomic uint32_t *link = &h->buckets[b].head;
    uint32_t j;
    while ((j = atomic_load_explicit(link, memory_order_relaxed)) != i)
        link = &elem_at(h, j)->next;
    /* i keeps its own next, so a lookup standing on it walks on. */
    uint32_t after = atomic_load_explicit(&elem_at(h, i)->next, memory_order_relaxed);
    atomic_store_explicit(link, after, memory_order_release);
}

bool htab_unlink_if_linked(struct htab *h, uint32_t i)
{
    /* An element being refilled may show its old hash: then it is not in
     * that bucket, which is the right answer for an element in flight. */
    uint32_t b = atomic_load_explicit(&elem_at(h, i)->hash, memory_order_relaxed) & h->mask;
    bh_lock(&h->buckets[b].lock);
    uint32_t j = atomic_load_explicit(&h->buckets[b].head, memory_order_relaxed);
    while (!(j & NULLS_BIT) && j != i)
        j = atomic_load_explicit(&elem_at(h, j)->next, memory_order_relaxed);
    if (j == i)
        unlink_locked(h, b, i);
    bh_unlock(&h->buckets[b].lock);
    return j == i;
}

/* Writes a value into element i; returns an inner map it displaced, if any. */
static void *store_value(struct htab *h, uint32_t i, const void *src, enum map_caller who,
                         bool fresh)
{
    switch (h->kind) {
    case HTAB_PERCPU:
        percpu_store(value_at(h, i), src, h->value_size, who, fresh);
        return NULL;
    case HTAB_MAP_PTR: {
        void *obj;
        memcpy(&obj, src, sizeof(obj));
        return atomic_exchange(obj_slot(h, i), obj);
    }
    default:
        memcpy(value_at(h, i), src, h->value_size);
        return NULL;
    }
}

static int copy_out(struct htab *h, uint32_t i, void *out)
{
    switch (h->kind) {
    case HTAB_PERCPU:
        percpu_load(out, value_at(h, i), h->value_size);
        return 0;
    case HTAB_MAP_PTR:
        return map_obj_id(&h->map, atomic_load(obj_slot(h, i)), out);
    default:
        memcpy(out, value_at(h, i), h->value_size);
        return 0;
    }
}

/* Fills element i, which no other thread can reach yet. */
static void fill(struct htab *h, uint32_t i, const void *key, uint32_t hash, const void *value,
                 enum map_caller who)
{
    struct htab_elem *e = elem_at(h, i);
    atomic_store_explicit(&e->hash, hash, memory_order_relaxed);
    memcpy(e->key, key, h->key_size);
    store_value(h, i, value, who, true);
}

/* Publishes filled element i at the head of bucket b, whose lock the caller holds. */
static void publish(struct htab *h, uint32_t b, uint32_t i)
{
    struct htab_bucket *bk = &h->buckets[b];
    atomic_store_explicit(&elem_at(h, i)->next,
                          atomic_load_explicit(&bk->head, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&bk->head, i, memory_order_release);
}

void *htab_lookup(struct map *m, const void *key)
{
    struct htab *h = container_of(m, struct htab, map);
    uint32_t i = find(h, key, hash_key(h, key));
    if (i == MAP_INDEX_NONE)
        return NULL;
    if (h->policy)
        h->policy->touched(h, i);
    switch (h->kind) {
    case HTAB_PERCPU:
        return value_at(h, i) + (size_t)map_this_cpu() * round8(h->value_size);
    case HTAB_MAP_PTR:
        return atomic_load_explicit(obj_slot(h, i), memory_order_acquire);
    default:
        return value_at(h, i);
    }
}

/*
 * An insert into a table with a policy (LRU): the element is allocated
 * with no bucket lock held, since making room may lock other buckets.
 * Another thread may insert the key meanwhile; then, like Linux, the new
 * element replaces its (MAP_ANY) or the insert fails (MAP_NOEXIST).
 */
static long insert_with_policy(struct htab *h, uint32_t b, const void *key, uint32_t hash,
                               const void *value, uint64_t flags, enum map_caller who)
{
    uint32_t i = h->policy->alloc(h);
    fill(h, i, key, hash, value, who);
    long ret = 0;
    bh_lock(&h->buckets[b].lock);
    uint32_t old = find(h, key, hash);
    if (old != MAP_INDEX_NONE && flags == MAP_NOEXIST) {
        ret = -EEXIST;
    } else {
        publish(h, b, i);
        if (old != MAP_INDEX_NONE)
            unlink_locked(h, b, old);
        i = old;
    }
    bh_unlock(&h->buckets[b].lock);
    if (i != MAP_INDEX_NONE)
        h->policy->release(h, i);
    return ret;
}

long htab_update(struct map *m, const void *key, const void *value, uint64_t flags,
                 enum map_caller who)
{
    struct htab *h = container_of(m, struct htab, map);
    if (flags > MAP_EXIST)
        return -EINVAL;
    uint32_t hash = hash_key(h, key);
    uint32_t b = hash & h->mask;
    void *displaced = NULL;
    long ret = 0;
    bool needs_policy = false;

    bh_lock(&h->buckets[b].lock);
    uint32_t i = find(h, key, hash);
    if (i != MAP_INDEX_NONE) {
        /* Replace in place: like an array update, a concurrent reader may
         * see a mix of old and new bytes; user-space copies take the lock. */
        if (flags == MAP_NOEXIST) {
            ret = -EEXIST;
        } else {
            displaced = store_value(h, i, value, who, false);
            if (h->policy)
                h->policy->touched(h, i);
        }
    } else if (flags == MAP_EXIST) {
        ret = -ENOENT;
    } else if (h->policy) {
        needs_policy = true;
    } else if ((i = freelist_pop(&h->free)) == MAP_INDEX_NONE) {
        ret = -E2BIG;
    } else {
        fill(h, i, key, hash, value, who);
        publish(h, b, i);
    }
    bh_unlock(&h->buckets[b].lock);
    if (needs_policy)
        return insert_with_policy(h, b, key, hash, value, flags, who);
    /* Outside the bucket lock: releasing an inner map may free it. */
    map_obj_release(m, displaced);
    return ret;
}

/* Deletes key, first copying its value to out unless out is NULL. */
static int take(struct map *m, const void *key, void *out)
{
    struct htab *h = container_of(m, struct htab, map);
    uint32_t hash = hash_key(h, key);
    uint32_t b = hash & h->mask;
    int ret = 0;

    bh_lock(&h->buckets[b].lock);
    uint32_t i = find(h, key, hash);
    if (i != MAP_INDEX_NONE) {
        if (out)
            ret = copy_out(h, i, out);
        unlink_locked(h, b, i);
    }
    bh_unlock(&h->buckets[b].lock);
    if (i == MAP_INDEX_NONE)
        return -ENOENT;
    if (h->kind == HTAB_MAP_PTR)
        map_obj_release(m, atomic_exchange(obj_slot(h, i), NULL));
    if (h->policy)
        h->policy->release(h, i);
    else
        freelist_push(&h->free, i);
    return ret;
}

long htab_remove(struct map *m, const void *key)
{
    return take(m, key, NULL);
}

static int htab_lookup_and_delete(struct map *m, const void *key, void *out)
{
    return take(m, key, out);
}

int htab_lookup_copy(struct map *m, const void *key, void *out)
{
    struct htab *h = container_of(m, struct htab, map);
    uint32_t hash = hash_key(h, key);
    uint32_t b = hash & h->mask;
    bh_lock(&h->buckets[b].lock);
    uint32_t i = find(h, key, hash);
    int ret = i == MAP_INDEX_NONE ? -ENOENT : copy_out(h, i, out);
    bh_unlock(&h->buckets[b].lock);
    return ret;
}

/* Copies the key of chain b's element after `after` (or its head); false at the end. */
static bool copy_key_after(struct htab *h, uint32_t b, uint32_t after, void *next)
{
    _Atomic uint32_t *link = after == MAP_INDEX_NONE ? &h->buckets[b].head : &elem_at(h, after)->next;
    uint32_t i = atomic_load_explicit(link, memory_order_relaxed);
    if (i & NULLS_BIT)
        return false;
    memcpy(next, elem_at(h, i)->key, h->key_size);
    return true;
}

/*
 * Linux's order: the rest of key's chain, then the following buckets in
 * index order. A NULL or missing key starts from the first bucket.
 */
int htab_get_next_key(struct map *m, const void *key, void *next)
{
    struct htab *h = container_of(m, struct htab, map);
    uint64_t b = 0;
    if (key) {
        uint32_t hash = hash_key(h, key);
        uint32_t kb = hash & h->mask;
        bh_lock(&h->buckets[kb].lock);
        uint32_t i = find(h, key, hash);
        bool found = i != MAP_INDEX_NONE && copy_key_after(h, kb, i, next);
        bh_unlock(&h->buckets[kb].lock);
        if (found)
            return 0;
        if (i != MAP_INDEX_NONE)
            b = (uint64_t)kb + 1;
    }
    for (; b <= h->mask; b++) {
        bh_lock(&h->buckets[b].lock);
        bool found = copy_key_after(h, (uint32_t)b, MAP_INDEX_NONE, next);
        bh_unlock(&h->buckets[b].lock);
        if (found)
            return 0;
    }
    return -ENOENT;
}

/* Linux's flags; eBPF for Windows' sizes (no key or value limit but the storage's). */
int htab_check(const struct map_params *p)
{
    bool lru = p->type == BPF_MAP_TYPE_LRU_HASH || p->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
    bool percpu = p->type == BPF_MAP_TYPE_PERCPU_HASH || p->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
    int err = map_check_flags(p, MAP_F_NO_PREALLOC | MAP_F_NO_COMMON_LRU | MAP_F_NUMA_NODE |
                                     MAP_F_ACCESS_MASK | MAP_F_ZERO_SEED);
    if (err)
        return err;
    if (!lru && (p->map_flags & MAP_F_NO_COMMON_LRU))
        return map_refuse(p, -EINVAL, "BPF_F_NO_COMMON_LRU is a flag of LRU maps only");
    /* Linux refuses an LRU without preallocation with its ENOTSUPP. */
    if (lru && (p->map_flags & MAP_F_NO_PREALLOC))
        return map_refuse(p, -EOPNOTSUPP, "an LRU map is always preallocated: BPF_F_NO_PREALLOC is refused");
    if ((err = map_check_counts(p, true)) != 0)
        return err;
    if (!p->key_size)
        return map_refuse(p, -EINVAL, "key size is 0; a hash map's key has at least 1 byte");
    if (p->max_entries > HTAB_MAX_BUCKETS)
        return map_refuse(p, -E2BIG, "max_entries %u exceeds %u, the most a hash map holds", p->max_entries,
                          (unsigned)HTAB_MAX_BUCKETS);
    uint64_t value_area = percpu ? map_nr_cpus() * (uint64_t)round8(p->value_size) : round8(p->value_size);
    return map_check_storage(p, p->max_entries, HTAB_HDR + round8(p->key_size) + value_area);
}

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

int htab_init(struct htab *h, const struct map_params *p)
{
    bool lru = p->type == BPF_MAP_TYPE_LRU_HASH || p->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
    bool percpu = p->type == BPF_MAP_TYPE_PERCPU_HASH || p->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
    unsigned ncpu = map_nr_cpus();
    h->kind = p->type == BPF_MAP_TYPE_HASH_OF_MAPS ? HTAB_MAP_PTR : percpu ? HTAB_PERCPU : HTAB_PLAIN;
    h->key_size = p->key_size;
    h->value_size = p->value_size;
    h->n_elems = p->max_entries;
    h->value_off = HTAB_HDR + round8(p->key_size);
    size_t value_area = h->kind == HTAB_MAP_PTR ? sizeof(void *)
                        : percpu               ? ncpu * round8(p->value_size)
                                               : round8(p->value_size);
    h->elem_size = h->value_off + value_area;
    if (!(p->map_flags & MAP_F_ZERO_SEED) &&
        getrandom(&h->seed, sizeof(h->seed), GRND_NONBLOCK) != (ssize_t)sizeof(h->seed))
        h->seed = (uint64_t)(uintptr_t)h; /* still varies between maps */

    uint32_t n_buckets = pow2_at_least(p->max_entries);
    h->mask = n_buckets - 1;
    h->buckets = malloc(sizeof(*h->buckets) * n_buckets);
    h->pool = calloc(h->n_elems, h->elem_size);
    int err = !h->buckets || !h->pool ? -ENOMEM
              : lru                   ? 0 /* lru.c keeps its own lists */
                                      : freelist_init(&h->free, h->n_elems, ncpu);
    if (err) {
        free(h->buckets);
        free(h->pool);
        return err;
    }
    for (uint32_t b = 0; b < n_buckets; b++) {
        atomic_init(&h->buckets[b].head, NULLS_BIT | b);
        atomic_init(&h->buckets[b].lock.held, 0);
    }
    if (h->kind != HTAB_MAP_PTR)
        h->map.layout = (struct map_layout){
            .base = (uintptr_t)h->pool,
            .len = (size_t)h->n_elems * h->elem_size,
            .elem_stride = h->elem_size,
            .value_off = h->value_off,
            .value_stride = round8(p->value_size),
            .value_len = p->value_size,
            .nvals = percpu ? ncpu : 1,
        };
    return 0;
}

void htab_fini(struct htab *h)
{
    for (uint32_t b = 0; h->kind == HTAB_MAP_PTR && b <= h->mask; b++) {
        uint32_t i = atomic_load(&h->buckets[b].head);
        for (; !(i & NULLS_BIT); i = atomic_load(&elem_at(h, i)->next))
            map_obj_release(&h->map, atomic_load(obj_slot(h, i)));
    }
    freelist_fini(&h->free);
    free(h->buckets);
    free(h->pool);
}

int htab_alloc(const struct map_params *p, struct map **out)
{
    if (p->type == BPF_MAP_TYPE_LRU_HASH || p->type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
        return lru_alloc(p, out);
    struct htab *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    int err = htab_init(h, p);
    if (err) {
        free(h);
        return err;
    }
    *out = &h->map;
    return 0;
}

void htab_free(struct map *m)
{
    struct htab *h = container_of(m, struct htab, map);
    htab_fini(h);
    if (h->policy)
        h->policy->destroy(h);
    else
        free(h);
}

const struct map_ops htab_ops = {
    .check = htab_check,
    .alloc = htab_alloc,
    .free = htab_free,
    .lookup = htab_lookup,
    .update = htab_update,
    .remove = htab_remove,
    .lookup_copy = htab_lookup_copy,
    .lookup_and_delete = htab_lookup_and_delete,
    .get_next_key = htab_get_next_key,
};
