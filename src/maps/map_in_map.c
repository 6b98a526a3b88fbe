/*
 * Maps of maps: the inner-map template every stored map must match, the
 * default reference callbacks for stored maps, and hash_of_maps (the hash
 * table of hash.c holding inner map pointers). array_of_maps lives with
 * prog_array in fd_array.c.
 */
#include <errno.h>

#include "maps/htab.h"

static void *inner_retain(void *obj)
{
    return map_retain(obj);
}

static void inner_release(void *obj)
{
    map_release(obj);
}

static uint32_t inner_id(void *obj)
{
    return map_id(obj);
}

const struct map_obj_ops map_inner_obj_ops = {
    .retain = inner_retain,
    .release = inner_release,
    .id = inner_id,
};

/*
 * The template must describe a map one could create. Like Linux, maps of
 * maps nest one level only; prog_array is refused too, as its slots need
 * the core's callbacks that a template cannot carry.
 */
int map_inner_template_check(const struct map_params *outer)
{
    if (!outer->inner)
        return map_refuse(outer, -EINVAL, "a map of maps needs an inner map template");
    struct map_params t = *outer->inner;
    t.why = outer->why;
    t.why_len = outer->why_len;
    const struct map_ops *ops = map_ops_for(t.type);
    int err;
    switch (t.type) {
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
    case BPF_MAP_TYPE_PROG_ARRAY:
        return map_refuse(outer, -EINVAL, "inner map type %u cannot be held in a map (maps of maps and "
                                          "program arrays nest no further)", t.type);
    default:
        err = ops ? ops->check(&t) : map_refuse(&t, -EINVAL, "map type %u is not one bpfhost provides", t.type);
        if (err)
            map_refuse_prefix(outer, "inner map template: ");
        return err;
    }
}

/*
 * Linux's bpf_map_meta_equal: same type, key and value sizes and flags.
 * Arrays must also match in max_entries, since the verifier inlines their
 * bounds check, unless the template carries MAP_F_INNER_MAP.
 */
int map_inner_accept(const struct map *outer, void *obj)
{
    const struct map_params *t = &outer->inner;
    const struct map *in = obj;
    if (in->type != t->type || in->key_size != t->key_size ||
        in->value_size != t->value_size || in->map_flags != t->map_flags)
        return -EINVAL;
    bool array = t->type == BPF_MAP_TYPE_ARRAY || t->type == BPF_MAP_TYPE_PERCPU_ARRAY;
    if (array && !(t->map_flags & MAP_F_INNER_MAP) && in->max_entries != t->max_entries)
        return -EINVAL;
    return 0;
}

static int hash_of_maps_check(const struct map_params *p)
{
    if (p->value_size != 4)
        return map_refuse(p, -EINVAL, "value size %u: the values of this type hold a 4-byte fd or id",
                          p->value_size);
    int err = htab_check(p);
    return err ? err : map_inner_template_check(p);
}

static int hash_of_maps_alloc(const struct map_params *p, struct map **out)
{
    int err = htab_alloc(p, out);
    if (!err)
        (*out)->obj_ops = map_inner_obj_ops;
    return err;
}

static int hash_of_maps_update_obj(struct map *m, const void *key, void *obj, uint64_t flags)
{
    if (!obj)
        return -EINVAL;
    int err = map_inner_accept(m, obj);
    if (err)
        return err;
    obj = map_obj_retain(m, obj);
    err = (int)htab_update(m, key, &obj, flags, MAP_CALLER_USER);
    if (err)
        map_obj_release(m, obj);
    return err;
}

/* Programs and user space read slots; only map_update_obj() fills them. */
const struct map_ops hash_of_maps_ops = {
    .check = hash_of_maps_check,
    .alloc = hash_of_maps_alloc,
    .free = htab_free,
    .lookup = htab_lookup,
    .remove = htab_remove,
    .lookup_copy = htab_lookup_copy,
    .get_next_key = htab_get_next_key,
    .update_obj = hash_of_maps_update_obj,
};
