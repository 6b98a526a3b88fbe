/*
 * Maps by fd, as libbpf's bpf.h: values are copied in and out in the
 * layout Linux uses (per-CPU maps one value per CPU, each rounded up to 8
 * bytes; prog_array and maps of maps take an fd and give back an id).
 */
#include <errno.h>
#include <string.h>

#include "api/internal.h"

/* The map of fd, with a reference in *obj (NULL on failure); 0 or -errno. */
static int map_of(int fd, struct core_obj **obj, struct map **map)
{
    int rc = api_fd_get(fd, CORE_OBJ_MAP, obj);
    *map = rc ? NULL : core_map_map(core_obj_map(*obj));
    return rc;
}

/* A key is given exactly when the map has keys (queue and stack have none). */
static int check_key(const struct map *map, const void *key)
{
    if (!map_key_size(map))
        return key ? -EINVAL : 0;
    return key ? 0 : -EFAULT;
}

static bool holds_objects(const struct map *map)
{
    uint32_t type = map_type(map);
    return type == BPF_MAP_TYPE_PROG_ARRAY || type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* Stores the program or map whose fd is the value in a slot. */
static int update_slot(struct map *map, const void *key, const void *value, __u64 flags)
{
    uint32_t fd;
    memcpy(&fd, value, sizeof(fd));
    bool progs = map_type(map) == BPF_MAP_TYPE_PROG_ARRAY;
    struct core_obj *obj;
    int rc = api_fd_get((int)fd, progs ? CORE_OBJ_PROG : CORE_OBJ_MAP, &obj);
    if (rc)
        return rc;
    void *target = progs ? (void *)core_obj_prog(obj) : (void *)core_map_map(core_obj_map(obj));
    rc = map_update_obj(map, key, target, flags);
    core_obj_release(obj);
    return rc;
}

int bpf_map_create(enum bpf_map_type type, const char *map_name, __u32 key_size, __u32 value_size,
                   __u32 max_entries, const struct bpf_map_create_opts *opts)
{
    if (!api_opts_valid(opts, sizeof(*opts), "bpf_map_create_opts"))
        return api_err(-EINVAL);
    struct map_params params = {.type = type,
                                .key_size = key_size,
                                .value_size = value_size,
                                .max_entries = max_entries,
                                .map_flags = API_OPTS_GET(bpf_map_create_opts, opts, map_flags, 0),
                                .name = map_name};
    struct map_params inner;
    struct core_obj *inner_obj = NULL;
    int rc = 0;
    if (type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS) {
        /* Inner maps must be like the one given. */
        rc = api_fd_get((int)API_OPTS_GET(bpf_map_create_opts, opts, inner_map_fd, 0), CORE_OBJ_MAP, &inner_obj);
        if (!rc) {
            const struct map *m = core_map_map(core_obj_map(inner_obj));
            inner = (struct map_params){.type = map_type(m),
                                        .key_size = map_key_size(m),
                                        .value_size = map_value_size(m),
                                        .max_entries = map_max_entries(m),
                                        .map_flags = map_flags(m)};
            params.inner = &inner;
        }
    }
    char why[MAP_WHY_LEN] = "";
    params.why = why;
    params.why_len = sizeof(why);
    struct core_map *created;
    if (!rc && (rc = core_map_create(&params, &created)) != 0)
        api_print(LIBBPF_WARN, "bpf_map_create: map '%s': %s", map_name ? map_name : "",
                  why[0] ? why : strerror(-rc));
    core_obj_release(inner_obj);
    if (!rc) {
        rc = api_fd_new(core_map_obj(created));
        core_map_release(created);
    }
    return api_err(rc);
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
    struct core_obj *obj;
    struct map *map;
    int rc = map_of(fd, &obj, &map);
    if (!rc)
        rc = check_key(map, key);
    if (!rc)
        rc = value ? map_lookup_copy(map, key, value) : -EFAULT;
    core_obj_release(obj);
    return api_err(rc);
}

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
    struct core_obj *obj;
    struct map *map;
    int rc = map_of(fd, &obj, &map);
    if (!rc)
        rc = check_key(map, key);
    if (!rc && !value)
        rc = -EFAULT;
    if (!rc)
        rc = holds_objects(map) ? update_slot(map, key, value, flags) : map_update_user(map, key, value, flags);
    core_obj_release(obj);
    return api_err(rc);
}

int bpf_map_delete_elem(int fd, const void *key)
{
    struct core_obj *obj;
    struct map *map;
    int rc = map_of(fd, &obj, &map);
    if (!rc)
        rc = check_key(map, key);
    if (!rc)
        rc = (int)map_delete_elem(map, key);
    core_obj_release(obj);
    return api_err(rc);
}

int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
    struct core_obj *obj;
    struct map *map;
    int rc = map_of(fd, &obj, &map);
    if (!rc)
        rc = next_key ? map_get_next_key(map, key, next_key) : -EFAULT;
    core_obj_release(obj);
    return api_err(rc);
}

int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)
{
    struct core_obj *obj;
    struct map *map;
    int rc = map_of(fd, &obj, &map);
    if (!rc)
        rc = check_key(map, key);
    if (!rc)
        rc = value ? map_lookup_and_delete(map, key, value) : -EFAULT;
    core_obj_release(obj);
    return api_err(rc);
}

int libbpf_num_possible_cpus(void)
{
    return (int)map_nr_cpus();
}
