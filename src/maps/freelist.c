/*
 * Free element indices of a preallocated pool. Indices are spread over
 * stripes, each a locked stack; a thread pops from and pushes to the
 * stripe of its CPU and steals from the others only when its own is empty,
 * the user-space analogue of Linux's per-CPU free lists. The list is
 * empty exactly when every element is in use, which is how a full
 * preallocated hash map is detected.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>

#include "maps/internal.h"

struct freelist_stripe {
    alignas(64) struct bh_lock lock; /* one cache line per stripe */
    uint32_t head;
};

int freelist_init(struct freelist *fl, uint32_t n, uint32_t nstripes)
{
    fl->nstripes = nstripes;
    fl->stripes = aligned_alloc(alignof(struct freelist_stripe),
                                sizeof(struct freelist_stripe) * nstripes);
    fl->next = calloc(n ? n : 1, sizeof(*fl->next));
    if (!fl->stripes || !fl->next) {
        freelist_fini(fl);
        return -ENOMEM;
    }
    for (uint32_t s = 0; s < nstripes; s++) {
        atomic_init(&fl->stripes[s].lock.held, 0);
        fl->stripes[s].head = MAP_INDEX_NONE;
    }
    /* Push in reverse so each stripe hands out low indices first. */
    for (uint32_t i = n; i-- > 0;) {
        struct freelist_stripe *s = &fl->stripes[i % nstripes];
        fl->next[i] = s->head;
        s->head = i;
    }
    return 0;
}

void freelist_fini(struct freelist *fl)
{
    free(fl->stripes);
    free(fl->next);
    fl->stripes = NULL;
    fl->next = NULL;
}

static uint32_t pop_stripe(struct freelist *fl, struct freelist_stripe *s)
{
    bh_lock(&s->lock);
    uint32_t i = s->head;
    if (i != MAP_INDEX_NONE)
        s->head = fl->next[i];
    bh_unlock(&s->lock);
    return i;
}

uint32_t freelist_pop(struct freelist *fl)
{
    uint32_t first = map_this_cpu() % fl->nstripes;
    for (uint32_t k = 0; k < fl->nstripes; k++) {
        uint32_t i = pop_stripe(fl, &fl->stripes[(first + k) % fl->nstripes]);
        if (i != MAP_INDEX_NONE)
            return i;
    }
    return MAP_INDEX_NONE;
}

void freelist_push(struct freelist *fl, uint32_t i)
{
    struct freelist_stripe *s = &fl->stripes[map_this_cpu() % fl->nstripes];
    bh_lock(&s->lock);
    fl->next[i] = s->head;
    s->head = i;
    bh_unlock(&s->lock);
}
