/*
 * Arrays of object references: prog_array (tail-call targets, opaque
 * objects of the core) and array_of_maps (inner maps). Linux calls them
 * fd arrays because user space names the objects by file descriptor;
 * here the caller passes the object itself to map_update_obj().
 *
 * Each slot is an atomic pointer: readers (tail calls, inner-map lookups)
 * load it without a lock, writers exchange it and then release the old
 * object through the map's obj_ops. See map_fd_array_get() in maps.h for
 * the lifetime rule this imposes on the core.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps/internal.h"

struct fd_array {
    struct map map;
    _Atomic(void *) *slots;
};

static struct fd_array *fd_array_of(struct map *m)
{
    return container_of(m, struct fd_array, map);
}

/* The slot of key, or NULL if out of range. */
static _Atomic(void *) *slot_of(struct map *m, const void *key)
{
    uint32_t i;
    memcpy(&i, key, sizeof(i));
    return i < m->max_entries ? &fd_array_of(m)->slots[i] : NULL;
}

static void *fd_array_get(struct map *m, uint32_t index)
{
    if (index >= m->max_entries)
        return NULL;
    return atomic_load_explicit(&fd_array_of(m)->slots[index], memory_order_acquire);
}

/* Programs may look up inner maps, never programs. */
static void *fd_array_lookup(struct map *m, const void *key)
{
    _Atomic(void *) *slot = slot_of(m, key);
    if (!slot || m->type != BPF_MAP_TYPE_ARRAY_OF_MAPS)
        return NULL;
    return atomic_load_explicit(slot, memory_order_acquire);
}

static int fd_array_update_obj(struct map *m, const void *key, void *obj, uint64_t flags)
{
    /* Linux takes only BPF_ANY here. */
    if (flags != MAP_ANY)
        return -EINVAL;
    _Atomic(void *) *slot = slot_of(m, key);
    if (!slot)
        return -E2BIG;
    if (!obj)
        return -EINVAL;
    if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
        int err = map_inner_accept(m, obj);
        if (err)
            return err;
    }
    map_obj_release(m, atomic_exchange(slot, map_obj_retain(m, obj)));
    return 0;
}

static long fd_array_remove(struct map *m, const void *key)
{
    _Atomic(void *) *slot = slot_of(m, key);
    if (!slot)
        return -E2BIG;
    void *old = atomic_exchange(slot, NULL);
    if (!old)
        return -ENOENT;
    map_obj_release(m, old);
    return 0;
}

static int fd_array_lookup_copy(struct map *m, const void *key, void *out)
{
    _Atomic(void *) *slot = slot_of(m, key);
    return slot ? map_obj_id(m, atomic_load(slot), out) : -ENOENT;
}

static int fd_array_check(const struct map_params *p)
{
    int err = map_check_flags(p, MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK | MAP_F_INNER_MAP);
    if (!err)
        err = map_check_counts(p, false);
    if (!err)
        err = array_check_key(p);
    if (err)
        return err;
    /* User space names the objects by a u32 (fd in, id out). */
    if (p->value_size != 4)
        return map_refuse(p, -EINVAL, "value size %u: the slots of this type hold a 4-byte fd or id",
                          p->value_size);
    return p->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ? map_inner_template_check(p) : 0;
}

static int fd_array_alloc(const struct map_params *p, struct map **out)
{
    struct fd_array *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->slots = calloc(p->max_entries, sizeof(*a->slots));
    if (!a->slots) {
        free(a);
        return -ENOMEM;
    }
    if (p->type == BPF_MAP_TYPE_ARRAY_OF_MAPS)
        a->map.obj_ops = map_inner_obj_ops;
    *out = &a->map;
    return 0;
}

static void fd_array_free(struct map *m)
{
    struct fd_array *a = fd_array_of(m);
    for (uint32_t i = 0; i < m->max_entries; i++)
        map_obj_release(m, atomic_load(&a->slots[i]));
    free(a->slots);
    free(a);
}

const struct map_ops fd_array_ops = {
    .check = fd_array_check,
    .alloc = fd_array_alloc,
    .free = fd_array_free,
    .lookup = fd_array_lookup,
    .remove = fd_array_remove,
    .lookup_copy = fd_array_lookup_copy,
    .get_next_key = array_get_next_key,
    .update_obj = fd_array_update_obj,
    .get_obj = fd_array_get,
};
