/*
 * Object ids and references. One table per object type holds the live
 * objects sorted by id (ids only grow, so inserting is appending); lookups
 * by id take a reference only from an object whose count is not yet zero,
 * under the table's lock, so an object being freed is never handed out.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/internal.h"

struct obj_table {
    pthread_mutex_t lock;
    uint32_t last_id;
    struct core_obj **objs; /* ascending id */
    size_t count, cap;
};

static struct obj_table tables[] = {
    [CORE_OBJ_PROG] = {.lock = PTHREAD_MUTEX_INITIALIZER},
    [CORE_OBJ_MAP] = {.lock = PTHREAD_MUTEX_INITIALIZER},
    [CORE_OBJ_LINK] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

static struct obj_table *table_of(enum core_obj_type type)
{
    return type >= CORE_OBJ_PROG && type <= CORE_OBJ_LINK ? &tables[type] : NULL;
}

/* Index of the first object with an id >= id. */
static size_t lower_bound(const struct obj_table *t, uint32_t id)
{
    size_t lo = 0, hi = t->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->objs[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int core_obj_init(struct core_obj *obj, enum core_obj_type type, void (*free_fn)(struct core_obj *obj),
                  void (*last_user)(struct core_obj *obj))
{
    struct obj_table *t = table_of(type);
    obj->type = type;
    obj->free = free_fn;
    obj->last_user = last_user;
    atomic_init(&obj->refs, 1);
    atomic_init(&obj->users, 1);
    int err = 0;
    pthread_mutex_lock(&t->lock);
    if (t->last_id == UINT32_MAX)
        err = -ENOSPC;
    else
        err = core_grow((void **)&t->objs, &t->cap, t->count, sizeof(*t->objs));
    if (!err) {
        obj->id = ++t->last_id;
        t->objs[t->count++] = obj;
    }
    pthread_mutex_unlock(&t->lock);
    return err;
}

void core_obj_hold(struct core_obj *obj)
{
    atomic_fetch_add_explicit(&obj->refs, 1, memory_order_relaxed);
}

void core_obj_put(struct core_obj *obj)
{
    if (atomic_fetch_sub_explicit(&obj->refs, 1, memory_order_acq_rel) != 1)
        return;
    struct obj_table *t = table_of(obj->type);
    pthread_mutex_lock(&t->lock);
    size_t i = lower_bound(t, obj->id);
    memmove(&t->objs[i], &t->objs[i + 1], (t->count - i - 1) * sizeof(*t->objs));
    t->count--;
    pthread_mutex_unlock(&t->lock);
    obj->free(obj);
}

uint32_t core_obj_id(const struct core_obj *obj)
{
    return obj->id;
}

enum core_obj_type core_obj_type(const struct core_obj *obj)
{
    return obj->type;
}

struct core_obj *core_obj_retain(struct core_obj *obj)
{
    atomic_fetch_add_explicit(&obj->users, 1, memory_order_relaxed);
    core_obj_hold(obj);
    return obj;
}

void core_obj_release(struct core_obj *obj)
{
    if (!obj)
        return;
    if (atomic_fetch_sub_explicit(&obj->users, 1, memory_order_acq_rel) == 1 && obj->last_user)
        obj->last_user(obj);
    core_obj_put(obj);
}

int core_obj_next_id(enum core_obj_type type, uint32_t after, uint32_t *next)
{
    struct obj_table *t = table_of(type);
    if (!t || !next)
        return -EINVAL;
    int err = -ENOENT;
    pthread_mutex_lock(&t->lock);
    if (after < UINT32_MAX) {
        size_t i = lower_bound(t, after + 1);
        if (i < t->count) {
            *next = t->objs[i]->id;
            err = 0;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return err;
}

struct core_obj *core_obj_get_by_id(enum core_obj_type type, uint32_t id)
{
    struct obj_table *t = table_of(type);
    if (!t)
        return NULL;
    struct core_obj *found = NULL;
    pthread_mutex_lock(&t->lock);
    size_t i = lower_bound(t, id);
    if (i < t->count && t->objs[i]->id == id) {
        struct core_obj *obj = t->objs[i];
        long refs = atomic_load_explicit(&obj->refs, memory_order_relaxed);
        while (refs > 0 && !atomic_compare_exchange_weak(&obj->refs, &refs, refs + 1))
            ;
        if (refs > 0) {
            atomic_fetch_add_explicit(&obj->users, 1, memory_order_relaxed);
            found = obj;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

/* The typed views: the object head is the first member of each type. */
struct core_prog *core_obj_prog(struct core_obj *obj)
{
    return obj && obj->type == CORE_OBJ_PROG ? (struct core_prog *)obj : NULL;
}

struct core_map *core_obj_map(struct core_obj *obj)
{
    return obj && obj->type == CORE_OBJ_MAP ? (struct core_map *)obj : NULL;
}

struct core_link *core_obj_link(struct core_obj *obj)
{
    return obj && obj->type == CORE_OBJ_LINK ? (struct core_link *)obj : NULL;
}

struct core_obj *core_prog_obj(struct core_prog *prog)
{
    return &prog->obj;
}

struct core_obj *core_map_obj(struct core_map *map)
{
    return &map->obj;
}

struct core_obj *core_link_obj(struct core_link *link)
{
    return &link->obj;
}

void core_prog_release(struct core_prog *prog)
{
    core_obj_release(prog ? &prog->obj : NULL);
}

void core_map_release(struct core_map *map)
{
    core_obj_release(map ? &map->obj : NULL);
}

void core_link_release(struct core_link *link)
{
    core_obj_release(link ? &link->obj : NULL);
}
