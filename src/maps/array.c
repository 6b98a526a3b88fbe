/*
 * Array maps (array, percpu_array): max_entries values indexed by a u32
 * (the key's first 4 bytes), allocated zeroed at creation and never deleted. Access is a direct
 * index with no lock; like Linux, an update is a plain copy, so a reader
 * racing with a writer may see a mix of old and new bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps/internal.h"

struct array {
    struct map map;
    bool percpu;
    uint32_t value_size;
    size_t elem_size; /* round_up(value_size, 8), times nr_cpus if per-CPU */
    unsigned char *values;
};

static struct array *array_of(struct map *m)
{
    return container_of(m, struct array, map);
}

static uint32_t key_index(const void *key)
{
    uint32_t i;
    memcpy(&i, key, sizeof(i));
    return i;
}

/* Element of key, or NULL if out of range. */
static unsigned char *elem_of(struct array *a, const void *key)
{
    uint32_t i = key_index(key);
    return i < a->map.max_entries ? a->values + (size_t)i * a->elem_size : NULL;
}

static void *array_lookup(struct map *m, const void *key)
{
    struct array *a = array_of(m);
    unsigned char *e = elem_of(a, key);
    if (e && a->percpu)
        e += (size_t)map_this_cpu() * round8(a->value_size);
    return e;
}

static long array_update(struct map *m, const void *key, const void *value, uint64_t flags,
                         enum map_caller who)
{
    struct array *a = array_of(m);
    if (flags > MAP_EXIST)
        return -EINVAL;
    unsigned char *e = elem_of(a, key);
    if (!e)
        return -E2BIG;
    /* Every index always exists. */
    if (flags == MAP_NOEXIST)
        return -EEXIST;
    if (a->percpu)
        percpu_store(e, value, a->value_size, who, false);
    else
        memcpy(e, value, a->value_size);
    return 0;
}

static int array_lookup_copy(struct map *m, const void *key, void *out)
{
    struct array *a = array_of(m);
    unsigned char *e = elem_of(a, key);
    if (!e)
        return -ENOENT;
    if (a->percpu)
        percpu_load(out, e, a->value_size);
    else
        memcpy(out, e, a->value_size);
    return 0;
}

/* Linux: NULL or out-of-range key gives 0; the last index gives -ENOENT. */
static int next_index(uint32_t max_entries, const void *key, void *next)
{
    uint32_t i = key ? key_index(key) : UINT32_MAX;
    uint32_t n;
    if (i >= max_entries)
        n = 0;
    else if (i == max_entries - 1)
        return -ENOENT;
    else
        n = i + 1;
    memcpy(next, &n, sizeof(n));
    return 0;
}

int array_get_next_key(struct map *m, const void *key, void *next)
{
    /* A key longer than the index reads back with the rest zeroed. */
    int err = next_index(m->max_entries, key, next);
    if (!err)
        memset((char *)next + sizeof(uint32_t), 0, m->key_size - sizeof(uint32_t));
    return err;
}

/*
 * eBPF for Windows' rules: the key may be longer than 4 bytes (its first 4
 * are the index, the rest is ignored), values have no size limit of their
 * own, only the whole array's storage does.
 */
int array_check_key(const struct map_params *p)
{
    if (p->key_size < MAP_ARRAY_KEY_MIN)
        return map_refuse(p, -EINVAL, "key size %u is below %d bytes: an array's index is its key's first %d bytes",
                          p->key_size, MAP_ARRAY_KEY_MIN, MAP_ARRAY_KEY_MIN);
    return 0;
}

static int array_check(const struct map_params *p)
{
    bool percpu = p->type == BPF_MAP_TYPE_PERCPU_ARRAY;
    int err = map_check_flags(p, MAP_F_NUMA_NODE | MAP_F_MMAPABLE | MAP_F_ACCESS_MASK | MAP_F_INNER_MAP);
    if (!err)
        err = map_check_counts(p, true);
    if (!err)
        err = array_check_key(p);
    if (err)
        return err;
    if (percpu && (p->map_flags & MAP_F_MMAPABLE))
        return map_refuse(p, -EINVAL, "a per-CPU array cannot be BPF_F_MMAPABLE");
    return map_check_storage(p, p->max_entries, (percpu ? map_nr_cpus() : 1) * (uint64_t)round8(p->value_size));
}

static int array_alloc(const struct map_params *p, struct map **out)
{
    bool percpu = p->type == BPF_MAP_TYPE_PERCPU_ARRAY;
    unsigned nvals = percpu ? map_nr_cpus() : 1;
    struct array *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->percpu = percpu;
    a->value_size = p->value_size;
    a->elem_size = nvals * round8(p->value_size);
    a->values = calloc(p->max_entries, a->elem_size);
    if (!a->values) {
        free(a);
        return -ENOMEM;
    }
    a->map.layout = (struct map_layout){
        .base = (uintptr_t)a->values,
        .len = (size_t)p->max_entries * a->elem_size,
        .elem_stride = a->elem_size,
        .value_off = 0,
        .value_stride = round8(p->value_size),
        .value_len = p->value_size,
        .nvals = nvals,
    };
    *out = &a->map;
    return 0;
}

static void array_free(struct map *m)
{
    struct array *a = array_of(m);
    free(a->values);
    free(a);
}

const struct map_ops array_ops = {
    .check = array_check,
    .alloc = array_alloc,
    .free = array_free,
    .lookup = array_lookup,
    .update = array_update,
    .remove = map_op_delete_einval,
    .lookup_copy = array_lookup_copy,
    .get_next_key = array_get_next_key,
};
