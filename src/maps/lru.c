/*
 * LRU hash maps (lru_hash, lru_percpu_hash): the hash table of hash.c
 * plus approximate least-recently-used eviction when it is full.
 *
 * Elements in use sit on one list, newest at the head. Lookups only set
 * the element's "referenced" flag (no lock, no list move), so the hot
 * path stays as cheap as a plain hash lookup. When an insert finds no
 * free element, the oldest element at the tail is examined: if it was
 * referenced since it last came by, it gets a second chance (flag
 * cleared, moved to the head), otherwise it is evicted and its storage
 * reused. That is the clock algorithm, close to Linux's active/inactive
 * lists with reference bits. Because eviction makes room, an insert never
 * fails for lack of space, with MAP_NOEXIST too.
 *
 * Every mutation takes the table's writer lock (one per map) before any
 * bucket lock, which serializes list changes and makes taking a victim's
 * bucket lock while holding the inserting bucket's lock deadlock-free.
 */
#include <errno.h>
#include <stdlib.h>

#include "maps/htab.h"

struct lru_htab {
    struct htab h;
    struct bh_lock lock;   /* the writer lock */
    uint32_t *prev, *next; /* list links by element index */
    atomic_uchar *ref;     /* set by lookups */
    uint32_t head, tail;
};

static struct lru_htab *lru_of(struct htab *h)
{
    return container_of(h, struct lru_htab, h);
}

static void list_remove(struct lru_htab *l, uint32_t i)
{
    if (l->prev[i] == MAP_INDEX_NONE)
        l->head = l->next[i];
    else
        l->next[l->prev[i]] = l->next[i];
    if (l->next[i] == MAP_INDEX_NONE)
        l->tail = l->prev[i];
    else
        l->prev[l->next[i]] = l->prev[i];
}

static void list_push_head(struct lru_htab *l, uint32_t i)
{
    l->prev[i] = MAP_INDEX_NONE;
    l->next[i] = l->head;
    if (l->head == MAP_INDEX_NONE)
        l->tail = i;
    else
        l->prev[l->head] = i;
    l->head = i;
}

static uint32_t lru_alloc_elem(struct htab *h, uint32_t locked_bucket)
{
    uint32_t i = freelist_pop(&h->free);
    if (i != MAP_INDEX_NONE)
        return i;
    /* Full, so the list holds every element. One pass clears every
     * flag, so a victim is found within max_entries + 1 steps. */
    struct lru_htab *l = lru_of(h);
    for (;;) {
        uint32_t v = l->tail;
        list_remove(l, v);
        if (atomic_exchange_explicit(&l->ref[v], 0, memory_order_relaxed)) {
            list_push_head(l, v);
            continue;
        }
        htab_evict(h, v, locked_bucket);
        return v;
    }
}

static void lru_linked(struct htab *h, uint32_t i)
{
    struct lru_htab *l = lru_of(h);
    atomic_store_explicit(&l->ref[i], 0, memory_order_relaxed);
    list_push_head(l, i);
}

static void lru_unlinked(struct htab *h, uint32_t i)
{
    list_remove(lru_of(h), i);
}

static void lru_touched(struct htab *h, uint32_t i)
{
    atomic_uchar *ref = &lru_of(h)->ref[i];
    /* Read first: hot elements would otherwise bounce their cache line. */
    if (!atomic_load_explicit(ref, memory_order_relaxed))
        atomic_store_explicit(ref, 1, memory_order_relaxed);
}

static void lru_destroy(struct htab *h)
{
    struct lru_htab *l = lru_of(h);
    free(l->prev);
    free(l->next);
    free(l->ref);
    free(l);
}

static const struct htab_policy lru_policy = {
    .alloc = lru_alloc_elem,
    .linked = lru_linked,
    .unlinked = lru_unlinked,
    .touched = lru_touched,
    .destroy = lru_destroy,
};

int lru_alloc(const struct map_params *p, struct map **out)
{
    struct lru_htab *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    int err = htab_init(&l->h, p);
    if (err) {
        free(l);
        return err;
    }
    l->h.policy = &lru_policy;
    l->h.writer_lock = &l->lock;
    l->head = l->tail = MAP_INDEX_NONE;
    l->prev = malloc(sizeof(*l->prev) * p->max_entries);
    l->next = malloc(sizeof(*l->next) * p->max_entries);
    l->ref = calloc(p->max_entries, sizeof(*l->ref));
    if (!l->prev || !l->next || !l->ref) {
        htab_free(&l->h.map);
        return -ENOMEM;
    }
    *out = &l->h.map;
    return 0;
}
