/*
 * Private to src/maps: the element lists of the LRU hash maps, shared by
 * lru.c (the map, its lists and the clock that picks victims),
 * lru_common.c (one LRU list for the map, with per-CPU free and pending
 * lists) and lru_percpu.c (BPF_F_NO_COMMON_LRU: one LRU list per CPU).
 *
 * Lock order: the common list's lock, then a stripe's lock (a second
 * stripe's only under the common lock), then bucket locks (evicting
 * unlinks the victim from its bucket). hash.c calls alloc and release
 * with no bucket lock held, so the order is never reversed.
 */
#ifndef BPFHOST_MAPS_LRU_H
#define BPFHOST_MAPS_LRU_H

#include <stdalign.h>

#include "maps/htab.h"

/* Per element: its links on the one list that holds it. */
struct lru_node {
    uint32_t prev, next;
    _Atomic uint32_t where; /* common LRU: which list holds it (LRU_WHERE_*) */
};

/* A doubly linked list of element indices, newest at the head. */
struct lru_list {
    uint32_t head, tail, len;
};

/* Lists of one CPU, each stripe on its own cache line. */
struct lru_stripe {
    alignas(64) struct bh_lock lock;
    struct lru_list used; /* common: inserted here, not yet on the common list; per-CPU: the LRU list */
    struct lru_list free;
};

struct lru_htab {
    struct htab h;
    struct lru_node *nodes;
    atomic_uchar *ref;      /* per element, set by lookups: dense, so the hot path stays in cache */
    struct lru_stripe *stripes;
    uint32_t nstripes;
    /* Common LRU only (lru_common.c). */
    struct bh_lock lock;
    struct lru_list used, free;
    uint32_t refill_batch, evict_batch;
};

/* Where an element of a common LRU is: a stripe's list or a common one. */
enum { LRU_STRIPE_USED, LRU_STRIPE_FREE, LRU_COMMON_USED, LRU_COMMON_FREE };
static inline uint32_t lru_where(uint32_t kind, uint32_t stripe)
{
    return stripe << 2 | kind;
}

static inline struct lru_htab *lru_of(struct htab *h)
{
    return container_of(h, struct lru_htab, h);
}

/* lru.c */
/* An empty list. */
void lru_list_init(struct lru_list *l);
/* Puts element i at the head of list and tags it with where. */
void lru_list_push(struct lru_htab *t, struct lru_list *list, uint32_t i, uint32_t where);
/* Takes element i off list. */
void lru_list_remove(struct lru_htab *t, struct lru_list *list, uint32_t i);
/* Takes the head of list off it, or returns MAP_INDEX_NONE if empty. */
uint32_t lru_list_pop(struct lru_htab *t, struct lru_list *list);
/* Moves up to max elements from src's head to dst's head, tagged where; returns the number moved. */
uint32_t lru_list_move(struct lru_htab *t, struct lru_list *dst, struct lru_list *src, uint32_t max,
                       uint32_t where);
/*
 * The clock: evicts up to want elements from the tail of used onto free
 * (tagged where), giving referenced ones a second chance at the head.
 * Elements not in the table (an insert or delete in flight) are skipped.
 * The caller holds the locks of both lists. Returns the number evicted.
 */
uint32_t lru_evict(struct lru_htab *t, struct lru_list *used, struct lru_list *free, uint32_t want,
                   uint32_t where);
/* Allocates n stripes with empty lists; 0 or -ENOMEM. */
int lru_stripes_init(struct lru_htab *t, uint32_t n);
/* Sets element i's reference bit (the policy's touched hook). */
void lru_touched(struct htab *h, uint32_t i);
/* Frees the LRU's own memory and the table object (the policy's destroy hook). */
void lru_destroy(struct htab *h);

/* lru_common.c: sets up the common LRU on t's nodes (all free); 0 or -ENOMEM. */
int lru_common_init(struct lru_htab *t);
/* lru_percpu.c: sets up one LRU per CPU (BPF_F_NO_COMMON_LRU); 0 or -ENOMEM. */
int lru_percpu_init(struct lru_htab *t);

#endif /* BPFHOST_MAPS_LRU_H */
