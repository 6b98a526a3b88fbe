/*
 * The map object every type shares: creation (the checks are in limits.c
 * and the types' files), reference counting, freezing, and dispatch of
 * each operation to the type's table (internal.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps/internal.h"

const struct map_ops *map_ops_for(uint32_t type)
{
    switch (type) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
        return &htab_ops;
    case BPF_MAP_TYPE_HASH_OF_MAPS:
        return &hash_of_maps_ops;
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
        return &array_ops;
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
        return &fd_array_ops;
    case BPF_MAP_TYPE_LPM_TRIE:
        return &lpm_trie_ops;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
        return &queue_stack_ops;
    case BPF_MAP_TYPE_RINGBUF:
        return &ringbuf_ops;
    default:
        return NULL;
    }
}

int map_create(const struct map_params *p, struct map **out)
{
    if (!p || !out)
        return -EINVAL;
    const struct map_ops *ops = map_ops_for(p->type);
    if (!ops)
        return map_refuse(p, -EINVAL, "map type %u is not one bpfhost provides", p->type);
    int err = map_check_name(p);
    if (!err)
        err = ops->check(p);
    struct map *m = NULL;
    if (!err)
        err = ops->alloc(p, &m);
    if (err == -ENOMEM)
        map_refuse(p, err, "out of memory for its %u entries", p->max_entries);
    if (err)
        return err;
    m->ops = ops;
    m->type = p->type;
    m->key_size = p->key_size;
    m->value_size = p->value_size;
    m->max_entries = p->max_entries;
    m->map_flags = p->map_flags;
    if (p->name)
        strcpy(m->name, p->name);
    if (p->inner) {
        m->inner = *p->inner;
        m->inner.name = NULL;
        m->inner.inner = NULL;
        m->inner.obj_ops = NULL;
        m->inner.why = NULL;
    }
    if (p->obj_ops)
        m->obj_ops = *p->obj_ops;
    atomic_init(&m->refcnt, 1);
    atomic_init(&m->frozen, false);
    atomic_init(&m->id, 0);
    *out = m;
    return 0;
}

struct map *map_retain(struct map *m)
{
    atomic_fetch_add_explicit(&m->refcnt, 1, memory_order_relaxed);
    return m;
}

void map_release(struct map *m)
{
    if (!m)
        return;
    /* acq_rel: the freeing thread must see every other holder's writes. */
    if (atomic_fetch_sub_explicit(&m->refcnt, 1, memory_order_acq_rel) == 1)
        m->ops->free(m);
}

int map_freeze(struct map *m)
{
    bool was = false;
    if (!atomic_compare_exchange_strong(&m->frozen, &was, true))
        return -EBUSY;
    return 0;
}

bool map_is_frozen(const struct map *m)
{
    return atomic_load_explicit(&m->frozen, memory_order_acquire);
}

uint32_t map_type(const struct map *m) { return m->type; }
uint32_t map_key_size(const struct map *m) { return m->key_size; }
uint32_t map_value_size(const struct map *m) { return m->value_size; }
uint32_t map_max_entries(const struct map *m) { return m->max_entries; }
uint32_t map_flags(const struct map *m) { return m->map_flags; }
const char *map_name(const struct map *m) { return m->name; }

const struct map_params *map_inner_params(const struct map *m)
{
    return m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPF_MAP_TYPE_HASH_OF_MAPS ? &m->inner : NULL;
}

void map_set_id(struct map *m, uint32_t id)
{
    atomic_store_explicit(&m->id, id, memory_order_relaxed);
}

uint32_t map_id(const struct map *m)
{
    return atomic_load_explicit(&m->id, memory_order_relaxed);
}

size_t map_user_value_size(const struct map *m)
{
    switch (m->type) {
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
        return (size_t)map_nr_cpus() * round8(m->value_size);
    default:
        return m->value_size;
    }
}

bool map_value_region(const struct map *m, uintptr_t *start, size_t *len)
{
    if (!m->layout.len)
        return false;
    *start = m->layout.base;
    *len = m->layout.len;
    return true;
}

bool map_value_contains(const struct map *m, uintptr_t addr, size_t len, bool write)
{
    const struct map_layout *l = &m->layout;
    if (!l->len || !len || addr < l->base || addr - l->base >= l->len)
        return false;
    if (write && map_is_frozen(m))
        return false;
    size_t in_elem = (addr - l->base) % l->elem_stride;
    if (in_elem < l->value_off)
        return false;
    size_t in_values = in_elem - l->value_off;
    if (in_values / l->value_stride >= l->nvals)
        return false;
    size_t in_slot = in_values % l->value_stride;
    return len <= l->value_len && in_slot <= l->value_len - len;
}

/* Writes of any kind are refused once frozen, from programs and user space. */
static bool writable(const struct map *m)
{
    return !map_is_frozen(m);
}

void *map_lookup_elem(struct map *m, const void *key)
{
    return m->ops->lookup ? m->ops->lookup(m, key) : NULL;
}

static long update(struct map *m, const void *key, const void *value, uint64_t flags,
                   enum map_caller who)
{
    if (!m->ops->update)
        return -EOPNOTSUPP;
    if (!writable(m))
        return -EPERM;
    return m->ops->update(m, key, value, flags, who);
}

long map_update_elem(struct map *m, const void *key, const void *value, uint64_t flags)
{
    return update(m, key, value, flags, MAP_CALLER_PROG);
}

int map_update_user(struct map *m, const void *key, const void *value, uint64_t flags)
{
    return (int)update(m, key, value, flags, MAP_CALLER_USER);
}

long map_delete_elem(struct map *m, const void *key)
{
    if (!m->ops->remove)
        return -EOPNOTSUPP;
    if (!writable(m))
        return -EPERM;
    return m->ops->remove(m, key);
}

long map_push_elem(struct map *m, const void *value, uint64_t flags)
{
    if (!m->ops->push)
        return -EOPNOTSUPP;
    if (!writable(m))
        return -EPERM;
    return m->ops->push(m, value, flags);
}

long map_pop_elem(struct map *m, void *value_out)
{
    if (!m->ops->pop)
        return -EOPNOTSUPP;
    if (!writable(m))
        return -EPERM;
    return m->ops->pop(m, value_out, true);
}

long map_peek_elem(struct map *m, void *value_out)
{
    if (!m->ops->pop)
        return -EOPNOTSUPP;
    return m->ops->pop(m, value_out, false);
}

void *map_fd_array_get(struct map *m, uint32_t index)
{
    return m->ops->get_obj ? m->ops->get_obj(m, index) : NULL;
}

int map_lookup_copy(struct map *m, const void *key, void *value_out)
{
    if (!m->ops->lookup_copy)
        return -EOPNOTSUPP;
    return m->ops->lookup_copy(m, key, value_out);
}

int map_get_next_key(struct map *m, const void *key, void *next_key)
{
    if (!m->ops->get_next_key)
        return -EOPNOTSUPP;
    return m->ops->get_next_key(m, key, next_key);
}

int map_lookup_and_delete(struct map *m, const void *key, void *value_out)
{
    if (!m->ops->lookup_and_delete)
        return -EOPNOTSUPP;
    if (!writable(m))
        return -EPERM;
    return m->ops->lookup_and_delete(m, key, value_out);
}

int map_update_obj(struct map *m, const void *key, void *obj, uint64_t flags)
{
    if (!m->ops->update_obj)
        return -EOPNOTSUPP;
    if (!writable(m))
        return -EPERM;
    return m->ops->update_obj(m, key, obj, flags);
}

/* Linux answers -EINVAL, not "unsupported", for these on arrays and queues. */
long map_op_delete_einval(struct map *m, const void *key)
{
    (void)m;
    (void)key;
    return -EINVAL;
}

int map_op_next_key_einval(struct map *m, const void *key, void *next)
{
    (void)m;
    (void)key;
    (void)next;
    return -EINVAL;
}

void *map_obj_retain(const struct map *m, void *obj)
{
    return m->obj_ops.retain ? m->obj_ops.retain(obj) : obj;
}

void map_obj_release(const struct map *m, void *obj)
{
    if (obj && m->obj_ops.release)
        m->obj_ops.release(obj);
}

/* User space sees a slot's object as its 32-bit id, as Linux reports ids. */
int map_obj_id(const struct map *m, void *obj, void *out)
{
    if (!obj)
        return -ENOENT;
    if (!m->obj_ops.id)
        return -EOPNOTSUPP;
    uint32_t id = m->obj_ops.id(obj);
    memcpy(out, &id, sizeof(id));
    return 0;
}
