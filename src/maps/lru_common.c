/*
 * The common LRU (the default): one LRU list for the whole map, so the
 * map evicts its least recently used elements whichever CPU inserted
 * them, with per-CPU lists in front of it so that most inserts and
 * deletes never take the common lock. This is Linux's design:
 *
 * - each CPU (stripe) keeps a few free elements and a "pending" list of
 *   the elements it inserted since it last took the common lock; an
 *   insert moves a local free element to the local pending list under the
 *   stripe's lock only;
 * - when its free list is empty, the CPU takes the common lock, moves its
 *   pending elements to the head of the common list, and takes a batch of
 *   free elements: from the common free list, else from another CPU's
 *   free list, else by evicting from the common list's tail (the clock);
 * - a delete gives a pending element back to its CPU's free list, and an
 *   element of the common list to the common free list (common lock).
 *
 * Replacing an existing key and lookups take none of these locks.
 *
 * What a user sees: the map evicts only when no free element is left on
 * the common list and no CPU holds evict_batch or more (fewer are the rest
 * of that CPU's own last eviction). Before evicting, every CPU's pending
 * elements join the common list, so the clock weighs every element in use. It then evicts
 * evict_batch = entries / (64 * CPUs) elements at once (at least 1, at
 * most 16), so at most 1/64 of the entries go before they must (Linux
 * evicts up to 128 per CPU at once, whatever the map's size).
 */
#include <errno.h>

#include "maps/lru.h"

enum { REFILL_MAX = 64, EVICT_MAX = 16 };

/* Moves a free element of stripe s to its pending list; the caller holds s's lock. */
static uint32_t take_local(struct lru_htab *t, uint32_t s)
{
    struct lru_stripe *st = &t->stripes[s];
    uint32_t i = lru_list_pop(t, &st->free);
    if (i != MAP_INDEX_NONE) {
        atomic_store_explicit(&t->ref[i], 0, memory_order_relaxed);
        lru_list_push(t, &st->used, i, lru_where(LRU_STRIPE_USED, s));
    }
    return i;
}

/*
 * Free elements of another stripe for stripe s; the caller holds the
 * common lock and s's. A stripe left with fewer than evict_batch is not
 * robbed: those are the rest of its own last eviction, and taking them
 * would only make it evict again at once, each stripe then taking the
 * other's batch in turn.
 */
static uint32_t steal(struct lru_htab *t, uint32_t s)
{
    for (uint32_t k = 1; k < t->nstripes; k++) {
        struct lru_stripe *other = &t->stripes[(s + k) % t->nstripes];
        bh_lock(&other->lock);
        uint32_t got = other->free.len < t->evict_batch
                           ? 0
                           : lru_list_move(t, &t->stripes[s].free, &other->free, t->refill_batch,
                                           lru_where(LRU_STRIPE_FREE, s));
        bh_unlock(&other->lock);
        if (got)
            return got;
    }
    return 0;
}

/* Every other stripe's pending elements onto the common list; the caller holds the common lock. */
static void flush_others(struct lru_htab *t, uint32_t s)
{
    for (uint32_t k = 1; k < t->nstripes; k++) {
        struct lru_stripe *other = &t->stripes[(s + k) % t->nstripes];
        bh_lock(&other->lock);
        lru_list_move(t, &t->used, &other->used, UINT32_MAX, lru_where(LRU_COMMON_USED, 0));
        bh_unlock(&other->lock);
    }
}

/* Refills stripe s's free list under the common lock and takes one element (or none). */
static uint32_t refill(struct lru_htab *t, uint32_t s)
{
    struct lru_stripe *st = &t->stripes[s];
    uint32_t free_tag = lru_where(LRU_STRIPE_FREE, s);
    bh_lock(&t->lock);
    bh_lock(&st->lock);
    lru_list_move(t, &t->used, &st->used, UINT32_MAX, lru_where(LRU_COMMON_USED, 0));
    if (!lru_list_move(t, &st->free, &t->free, t->refill_batch, free_tag) && !steal(t, s)) {
        flush_others(t, s);
        lru_evict(t, &t->used, &st->free, t->evict_batch, free_tag);
    }
    uint32_t i = take_local(t, s);
    bh_unlock(&st->lock);
    bh_unlock(&t->lock);
    return i;
}

static uint32_t common_alloc(struct htab *h)
{
    struct lru_htab *t = lru_of(h);
    for (;;) {
        uint32_t s = map_this_cpu() % t->nstripes;
        struct lru_stripe *st = &t->stripes[s];
        bh_lock(&st->lock);
        uint32_t i = take_local(t, s);
        bh_unlock(&st->lock);
        if (i == MAP_INDEX_NONE)
            i = refill(t, s);
        if (i != MAP_INDEX_NONE)
            return i;
        /* Every element is being inserted or deleted right now. */
        sched_yield();
    }
}

static void common_release(struct htab *h, uint32_t i)
{
    struct lru_htab *t = lru_of(h);
    _Atomic uint32_t *where = &t->nodes[i].where;
    for (;;) {
        /* The element may move from a pending list to the common list until
         * we hold the lock of the list it is on: look again under it. */
        uint32_t w = atomic_load_explicit(where, memory_order_relaxed);
        uint32_t s = w >> 2;
        bool pending = (w & 3) == LRU_STRIPE_USED;
        struct bh_lock *lock = pending ? &t->stripes[s].lock : &t->lock;
        bh_lock(lock);
        if (atomic_load_explicit(where, memory_order_relaxed) == w) {
            if (pending) {
                lru_list_remove(t, &t->stripes[s].used, i);
                lru_list_push(t, &t->stripes[s].free, i, lru_where(LRU_STRIPE_FREE, s));
            } else {
                lru_list_remove(t, &t->used, i);
                lru_list_push(t, &t->free, i, lru_where(LRU_COMMON_FREE, 0));
            }
            bh_unlock(lock);
            return;
        }
        bh_unlock(lock);
    }
}

static const struct htab_policy common_policy = {
    .alloc = common_alloc,
    .release = common_release,
    .touched = lru_touched,
    .destroy = lru_destroy,
};

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int lru_common_init(struct lru_htab *t)
{
    uint32_t n = t->h.n_elems;
    if (lru_stripes_init(t, map_nr_cpus()))
        return -ENOMEM;
    atomic_init(&t->lock.held, 0);
    lru_list_init(&t->used);
    lru_list_init(&t->free);
    for (uint32_t i = n; i-- > 0;)
        lru_list_push(t, &t->free, i, lru_where(LRU_COMMON_FREE, 0));
    t->refill_batch = clamp(n / (8 * t->nstripes), 1, REFILL_MAX);
    t->evict_batch = clamp(n / (64 * t->nstripes), 1, EVICT_MAX);
    t->h.policy = &common_policy;
    return 0;
}
