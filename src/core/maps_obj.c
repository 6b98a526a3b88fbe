/*
 * Maps as core objects, and the callbacks of the slots that hold objects
 * (prog_array: programs; maps of maps: inner maps). A slot's old object
 * is released only after the grace period, since a running program may
 * have just read it from the slot without taking a reference.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static void *prog_slot_retain(void *obj)
{
    core_obj_hold(obj);
    return obj;
}

static void prog_slot_release(void *obj)
{
    core_grace_wait();
    core_obj_put(obj);
}

static uint32_t prog_slot_id(void *obj)
{
    return core_obj_id(obj);
}

const struct map_obj_ops core_prog_slot_ops = {prog_slot_retain, prog_slot_release, prog_slot_id};

static void *map_slot_retain(void *obj)
{
    return map_retain(obj);
}

static void map_slot_release(void *obj)
{
    core_grace_wait();
    map_release(obj);
}

static uint32_t map_slot_id(void *obj)
{
    return map_id(obj);
}

const struct map_obj_ops core_map_slot_ops = {map_slot_retain, map_slot_release, map_slot_id};

/* With no user left, a prog_array lets go of its programs (which may hold it). */
static void map_last_user(struct core_obj *obj)
{
    struct map *map = ((struct core_map *)obj)->map;
    if (map_type(map) != BPF_MAP_TYPE_PROG_ARRAY)
        return;
    for (uint32_t i = 0; i < map_max_entries(map); i++)
        map_delete_elem(map, &i);
}

static void map_free(struct core_obj *obj)
{
    struct core_map *cm = (struct core_map *)obj;
    map_release(cm->map);
    free(cm);
}

int core_map_create(const struct map_params *params, struct core_map **out)
{
    if (!params || !out)
        return -EINVAL;
    struct map_params p = *params;
    if (p.type == BPF_MAP_TYPE_PROG_ARRAY)
        p.obj_ops = &core_prog_slot_ops;
    else if (p.type == BPF_MAP_TYPE_ARRAY_OF_MAPS || p.type == BPF_MAP_TYPE_HASH_OF_MAPS)
        p.obj_ops = &core_map_slot_ops;
    struct core_map *cm = calloc(1, sizeof(*cm));
    if (!cm)
        return -ENOMEM;
    int err = map_create(&p, &cm->map);
    if (!err) {
        err = core_obj_init(&cm->obj, CORE_OBJ_MAP, map_free, map_last_user);
        if (err)
            map_release(cm->map);
    }
    if (err) {
        free(cm);
        return err;
    }
    map_set_id(cm->map, cm->obj.id);
    *out = cm;
    return 0;
}

struct map *core_map_map(const struct core_map *map)
{
    return map->map;
}

void core_map_info(const struct core_map *cm, struct core_map_info *info)
{
    const struct map *m = cm->map;
    *info = (struct core_map_info){
        .id = cm->obj.id,
        .type = map_type(m),
        .key_size = map_key_size(m),
        .value_size = map_value_size(m),
        .max_entries = map_max_entries(m),
        .map_flags = map_flags(m),
        .frozen = map_is_frozen(m),
    };
    strcpy(info->name, map_name(m));
}
