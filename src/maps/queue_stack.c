/*
 * Queue (FIFO) and stack (LIFO) maps: values without keys in a circular
 * buffer of max_entries + 1 slots under one spinlock, as Linux keeps them.
 * Pushing onto a full map fails with -E2BIG, unless the flags say
 * MAP_EXIST: then the oldest value is dropped to make room (for a stack
 * too, the bottom one). Popping or peeking an empty map is -ENOENT.
 *
 * Values are only copied in and out, so programs never get a pointer into
 * the map and there is no value region. User space reaches the same
 * operations as on Linux: update pushes, lookup peeks, lookup-and-delete
 * pops; delete and get_next_key are -EINVAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps/internal.h"

struct queue_stack {
    struct map map;
    struct bh_lock lock;
    bool lifo;
    uint32_t head;  /* next slot to push into */
    uint32_t tail;  /* oldest value */
    uint32_t size;  /* max_entries + 1: one slot stays empty to tell full from empty */
    uint32_t value_size;
    unsigned char *slots;
};

static struct queue_stack *qs_of(struct map *m)
{
    return container_of(m, struct queue_stack, map);
}

static unsigned char *slot_at(struct queue_stack *q, uint32_t i)
{
    return q->slots + (size_t)i * q->value_size;
}

static uint32_t advance(const struct queue_stack *q, uint32_t i)
{
    return i + 1 == q->size ? 0 : i + 1;
}

static long qs_push(struct map *m, const void *value, uint64_t flags)
{
    struct queue_stack *q = qs_of(m);
    if (flags > MAP_EXIST)
        return -EINVAL;
    long ret = 0;
    bh_lock(&q->lock);
    if (advance(q, q->head) == q->tail) {
        if (flags != MAP_EXIST)
            ret = -E2BIG;
        else
            q->tail = advance(q, q->tail);
    }
    if (!ret) {
        memcpy(slot_at(q, q->head), value, q->value_size);
        q->head = advance(q, q->head);
    }
    bh_unlock(&q->lock);
    return ret;
}

static long qs_pop(struct map *m, void *out, bool remove)
{
    struct queue_stack *q = qs_of(m);
    long ret = 0;
    bh_lock(&q->lock);
    if (q->head == q->tail) {
        ret = -ENOENT;
    } else {
        uint32_t newest = q->head ? q->head - 1 : q->size - 1;
        uint32_t i = q->lifo ? newest : q->tail;
        memcpy(out, slot_at(q, i), q->value_size);
        if (remove && q->lifo)
            q->head = i;
        else if (remove)
            q->tail = advance(q, i);
    }
    bh_unlock(&q->lock);
    return ret;
}

/* Programs push with map_push_elem(); only user-space updates push. */
static long qs_update(struct map *m, const void *key, const void *value, uint64_t flags,
                      enum map_caller who)
{
    (void)key;
    return who == MAP_CALLER_USER ? qs_push(m, value, flags) : -EINVAL;
}

static int qs_peek_copy(struct map *m, const void *key, void *out)
{
    (void)key;
    return (int)qs_pop(m, out, false);
}

static int qs_pop_copy(struct map *m, const void *key, void *out)
{
    (void)key;
    return (int)qs_pop(m, out, true);
}

static int qs_check(const struct map_params *p)
{
    int err = map_check_flags(p, MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK);
    if (!err)
        err = map_check_counts(p, true);
    if (err)
        return err;
    if (p->key_size)
        return map_refuse(p, -EINVAL, "key size %u: queues and stacks have no key (0)", p->key_size);
    return map_check_storage(p, p->max_entries, p->value_size);
}

static int qs_alloc(const struct map_params *p, struct map **out)
{
    struct queue_stack *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->lifo = p->type == BPF_MAP_TYPE_STACK;
    q->size = p->max_entries + 1;
    q->value_size = p->value_size;
    /* max_entries UINT32_MAX wraps size to 0: far too big anyway. */
    q->slots = q->size ? calloc(q->size, p->value_size) : NULL;
    if (!q->slots) {
        free(q);
        return -ENOMEM;
    }
    *out = &q->map;
    return 0;
}

static void qs_free(struct map *m)
{
    struct queue_stack *q = qs_of(m);
    free(q->slots);
    free(q);
}

const struct map_ops queue_stack_ops = {
    .check = qs_check,
    .alloc = qs_alloc,
    .free = qs_free,
    .update = qs_update,
    .remove = map_op_delete_einval,
    .lookup_copy = qs_peek_copy,
    .lookup_and_delete = qs_pop_copy,
    .get_next_key = map_op_next_key_einval,
    .push = qs_push,
    .pop = qs_pop,
};
