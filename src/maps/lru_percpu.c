/*
 * BPF_F_NO_COMMON_LRU: as on Linux, each CPU has its own LRU list and its
 * own share of the elements. An insert takes a free element of the calling
 * CPU's share or evicts from that CPU's list; a delete gives the element
 * back to the CPU it belongs to. CPUs share no lock, at the price Linux
 * documents: a CPU evicts its own elements even when another CPU's are
 * older, and each CPU holds only its share.
 *
 * Element i belongs to stripe i % nstripes, with nstripes the smaller of
 * the CPU count and max_entries, so every stripe owns at least one element
 * and shares differ by at most one. (Linux rounds max_entries to a
 * multiple of the CPU count instead; here it stays what was asked.) A
 * thread may share its CPU with others or move between CPUs, so each
 * stripe still has a lock, which is rarely contended.
 */
#include <errno.h>

#include "maps/lru.h"

static uint32_t percpu_alloc(struct htab *h)
{
    struct lru_htab *t = lru_of(h);
    for (;;) {
        uint32_t s = map_this_cpu() % t->nstripes;
        struct lru_stripe *st = &t->stripes[s];
        uint32_t free_tag = lru_where(LRU_STRIPE_FREE, s);
        bh_lock(&st->lock);
        uint32_t i = lru_list_pop(t, &st->free);
        if (i == MAP_INDEX_NONE && lru_evict(t, &st->used, &st->free, 1, free_tag))
            i = lru_list_pop(t, &st->free);
        if (i != MAP_INDEX_NONE) {
            atomic_store_explicit(&t->ref[i], 0, memory_order_relaxed);
            lru_list_push(t, &st->used, i, lru_where(LRU_STRIPE_USED, s));
        }
        bh_unlock(&st->lock);
        if (i != MAP_INDEX_NONE)
            return i;
        /* Every element of this share is being inserted or deleted right now. */
        sched_yield();
    }
}

static void percpu_release(struct htab *h, uint32_t i)
{
    struct lru_htab *t = lru_of(h);
    uint32_t s = i % t->nstripes;
    struct lru_stripe *st = &t->stripes[s];
    bh_lock(&st->lock);
    lru_list_remove(t, &st->used, i);
    lru_list_push(t, &st->free, i, lru_where(LRU_STRIPE_FREE, s));
    bh_unlock(&st->lock);
}

static const struct htab_policy percpu_policy = {
    .alloc = percpu_alloc,
    .release = percpu_release,
    .touched = lru_touched,
    .destroy = lru_destroy,
};

int lru_percpu_init(struct lru_htab *t)
{
    uint32_t n = t->h.n_elems;
    if (lru_stripes_init(t, map_nr_cpus() < n ? map_nr_cpus() : n))
        return -ENOMEM;
    /* In reverse, so each share hands out its low indices first. */
    for (uint32_t i = n; i-- > 0;)
        lru_list_push(t, &t->stripes[i % t->nstripes].free, i,
                      lru_where(LRU_STRIPE_FREE, i % t->nstripes));
    t->h.policy = &percpu_policy;
    return 0;
}
