/*
 * LRU hash maps (lru_hash, lru_percpu_hash): the hash table of hash.c
 * plus approximate least-recently-used eviction when it is full.
 *
 * Elements in use sit on LRU lists, newest at the head. Lookups and
 * replaces only set the element's reference bit (no lock, no list move),
 * so those paths cost what a plain hash's do. When an insert finds no free
 * element, the clock examines the oldest elements at a list's tail: one
 * referenced since it last came by gets a second chance (bit cleared,
 * moved to the head), the others are evicted and their storage reused.
 * That is close to Linux's active/inactive lists with reference bits.
 * Because eviction makes room, an insert never fails for lack of space,
 * with MAP_NOEXIST too.
 *
 * Which lists, and who locks them, is the mode's business: lru_common.c
 * (the default) or lru_percpu.c (BPF_F_NO_COMMON_LRU). This file holds the
 * lists, the clock and the map's setup.
 */
#include <errno.h>
#include <stdlib.h>

#include "maps/lru.h"

void lru_list_init(struct lru_list *l)
{
    l->head = l->tail = MAP_INDEX_NONE;
    l->len = 0;
}

void lru_list_push(struct lru_htab *t, struct lru_list *list, uint32_t i, uint32_t where)
{
    struct lru_node *n = &t->nodes[i];
    n->prev = MAP_INDEX_NONE;
    n->next = list->head;
    if (list->head == MAP_INDEX_NONE)
        list->tail = i;
    else
        t->nodes[list->head].prev = i;
    list->head = i;
    list->len++;
    atomic_store_explicit(&n->where, where, memory_order_relaxed);
}

void lru_list_remove(struct lru_htab *t, struct lru_list *list, uint32_t i)
{
    struct lru_node *n = &t->nodes[i];
    if (n->prev == MAP_INDEX_NONE)
        list->head = n->next;
    else
        t->nodes[n->prev].next = n->next;
    if (n->next == MAP_INDEX_NONE)
        list->tail = n->prev;
    else
        t->nodes[n->next].prev = n->prev;
    list->len--;
}

uint32_t lru_list_pop(struct lru_htab *t, struct lru_list *list)
{
    uint32_t i = list->head;
    if (i != MAP_INDEX_NONE)
        lru_list_remove(t, list, i);
    return i;
}

uint32_t lru_list_move(struct lru_htab *t, struct lru_list *dst, struct lru_list *src, uint32_t max,
                       uint32_t where)
{
    /* From src's tail, so src's newest ends up at dst's head. */
    uint32_t moved = 0;
    for (; moved < max && src->tail != MAP_INDEX_NONE; moved++) {
        uint32_t i = src->tail;
        lru_list_remove(t, src, i);
        lru_list_push(t, dst, i, where);
    }
    return moved;
}

uint32_t lru_evict(struct lru_htab *t, struct lru_list *used, struct lru_list *free, uint32_t want,
                   uint32_t where)
{
    uint32_t got = 0;
    /* A first pass clears every bit, a second finds victims; past that,
     * everything left is in flight and the caller retries later. */
    for (uint64_t steps = 2 * (uint64_t)used->len + want; got < want && steps && used->len; steps--) {
        uint32_t v = used->tail;
        lru_list_remove(t, used, v);
        uint32_t tag = atomic_load_explicit(&t->nodes[v].where, memory_order_relaxed);
        if (atomic_exchange_explicit(&t->ref[v], 0, memory_order_relaxed) ||
            !htab_unlink_if_linked(&t->h, v)) {
            lru_list_push(t, used, v, tag);
            continue;
        }
        lru_list_push(t, free, v, where);
        got++;
    }
    return got;
}

int lru_stripes_init(struct lru_htab *t, uint32_t n)
{
    t->nstripes = n;
    t->stripes = aligned_alloc(alignof(struct lru_stripe), sizeof(*t->stripes) * n);
    if (!t->stripes)
        return -ENOMEM;
    for (uint32_t s = 0; s < n; s++) {
        atomic_init(&t->stripes[s].lock.held, 0);
        lru_list_init(&t->stripes[s].used);
        lru_list_init(&t->stripes[s].free);
    }
    return 0;
}

void lru_touched(struct htab *h, uint32_t i)
{
    atomic_uchar *ref = &lru_of(h)->ref[i];
    /* Read first: hot elements would otherwise bounce their cache line. */
    if (!atomic_load_explicit(ref, memory_order_relaxed))
        atomic_store_explicit(ref, 1, memory_order_relaxed);
}

void lru_destroy(struct htab *h)
{
    struct lru_htab *t = lru_of(h);
    free(t->nodes);
    free(t->ref);
    free(t->stripes);
    free(t);
}

int lru_alloc(const struct map_params *p, struct map **out)
{
    struct lru_htab *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    int err = htab_init(&t->h, p);
    if (err) {
        free(t);
        return err;
    }
    t->nodes = calloc(p->max_entries, sizeof(*t->nodes));
    t->ref = calloc(p->max_entries, sizeof(*t->ref));
    for (uint32_t i = 0; t->ref && i < p->max_entries; i++)
        atomic_init(&t->ref[i], 0);
    err = !t->nodes || !t->ref                                ? -ENOMEM
          : p->map_flags & MAP_F_NO_COMMON_LRU ? lru_percpu_init(t)
                                               : lru_common_init(t);
    if (err) {
        htab_fini(&t->h);
        lru_destroy(&t->h);
        return err;
    }
    *out = &t->h.map;
    return 0;
}
