/*
 * bpf_map: what the object file says of a map, its fd once loaded, and
 * the map operations with the caller's key and value sizes checked.
 */
#include <errno.h>

#include "api/internal.h"

int bpf_map__fd(const struct bpf_map *map)
{
    if (!map)
        return api_err(-EINVAL);
    return map->fd >= 0 ? map->fd : api_err(-ENOENT);
}

const char *bpf_map__name(const struct bpf_map *map)
{
    return map ? map->elf->name : api_err_ptr(-EINVAL);
}

/* The definition of map, or NULL with errno set. */
static const struct bpf_elf_map_def *def_of(const struct bpf_map *map)
{
    return map ? &map->elf->def : api_err_ptr(-EINVAL);
}

enum bpf_map_type bpf_map__type(const struct bpf_map *map)
{
    const struct bpf_elf_map_def *def = def_of(map);
    return def ? (enum bpf_map_type)def->type : BPF_MAP_TYPE_UNSPEC;
}

__u32 bpf_map__key_size(const struct bpf_map *map)
{
    const struct bpf_elf_map_def *def = def_of(map);
    return def ? def->key_size : 0;
}

__u32 bpf_map__value_size(const struct bpf_map *map)
{
    const struct bpf_elf_map_def *def = def_of(map);
    return def ? def->value_size : 0;
}

__u32 bpf_map__max_entries(const struct bpf_map *map)
{
    const struct bpf_elf_map_def *def = def_of(map);
    return def ? def->max_entries : 0;
}

/* 0 if map is loaded and the sizes are the ones its operations take
 * (value_sz is not checked when check_value is false); else -errno. */
static int check_sizes(const struct bpf_map *map, size_t key_sz, size_t value_sz, bool check_value)
{
    if (!map)
        return -EINVAL;
    if (map->fd < 0)
        return -ENOENT;
    const struct map *loaded = core_map_map(map->obj->loaded->maps[map->index]);
    if (key_sz != map_key_size(loaded)) {
        api_print(LIBBPF_WARN, "map '%s': key size %zu, expected %u", map->elf->name, key_sz, map_key_size(loaded));
        return -EINVAL;
    }
    if (check_value && value_sz != map_user_value_size(loaded)) {
        api_print(LIBBPF_WARN, "map '%s': value size %zu, expected %zu", map->elf->name, value_sz,
                  map_user_value_size(loaded));
        return -EINVAL;
    }
    return 0;
}

int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz, void *value, size_t value_sz,
                         __u64 flags)
{
    int rc = check_sizes(map, key_sz, value_sz, true);
    if (!rc && flags)
        rc = -EINVAL;
    return rc ? api_err(rc) : bpf_map_lookup_elem(map->fd, key, value);
}

int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz, const void *value,
                         size_t value_sz, __u64 flags)
{
    int rc = check_sizes(map, key_sz, value_sz, true);
    return rc ? api_err(rc) : bpf_map_update_elem(map->fd, key, value, flags);
}

int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz, __u64 flags)
{
    int rc = check_sizes(map, key_sz, 0, false);
    if (!rc && flags)
        rc = -EINVAL;
    return rc ? api_err(rc) : bpf_map_delete_elem(map->fd, key);
}

int bpf_map__lookup_and_delete_elem(const struct bpf_map *map, const void *key, size_t key_sz, void *value,
                                    size_t value_sz, __u64 flags)
{
    int rc = check_sizes(map, key_sz, value_sz, true);
    if (!rc && flags)
        rc = -EINVAL;
    return rc ? api_err(rc) : bpf_map_lookup_and_delete_elem(map->fd, key, value);
}

int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key, void *next_key, size_t key_sz)
{
    int rc = check_sizes(map, key_sz, 0, false);
    return rc ? api_err(rc) : bpf_map_get_next_key(map->fd, cur_key, next_key);
}
