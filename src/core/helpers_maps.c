/*
 * Map helpers and bpf_tail_call. The map argument must be one of the
 * running program's maps (or an inner map it looked up in this run); it is
 * compared, never dereferenced, before that. Keys and values are checked
 * with exec_env_mem() for the map's sizes. Like Linux's verifier, programs
 * may only look up inner maps in maps of maps and only tail-call through
 * a prog_array: changing those slots is for user space.
 */
#include <errno.h>

#include "core/internal.h"

#define ERR(e) ((uint64_t)(int64_t)-(e))

static bool holds_objects(const struct map *map)
{
    uint32_t t = map_type(map);
    return t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* The map a helper other than lookup may use (to change it if write), or NULL with the error in *err. */
static struct map *usable_map(struct exec_env *env, uint64_t ptr, bool write, uint64_t *err)
{
    struct map *map = core_run_map(core_run_of(env), ptr);
    if (!map || holds_objects(map)) {
        *err = ERR(EINVAL);
        return NULL;
    }
    if (write && (map_flags(map) & MAP_F_RDONLY_PROG)) {
        *err = ERR(EPERM);
        return NULL;
    }
    return map;
}

CORE_HELPER(core_helper_map_lookup_elem)
{
    (void)r3, (void)r4, (void)r5;
    struct core_run *run = core_run_of(env);
    struct map *map = core_run_map(run, r1);
    if (!map || map_type(map) == BPF_MAP_TYPE_PROG_ARRAY)
        return 0;
    const void *key = exec_env_mem(env, r2, map_key_size(map), EXEC_READ);
    void *value = key ? map_lookup_elem(map, key) : NULL;
    if (value && (map_type(map) == BPF_MAP_TYPE_ARRAY_OF_MAPS || map_type(map) == BPF_MAP_TYPE_HASH_OF_MAPS))
        core_run_add_inner(run, value);
    return (uintptr_t)value;
}

CORE_HELPER(core_helper_map_update_elem)
{
    (void)r5;
    uint64_t err;
    struct map *map = usable_map(env, r1, true, &err);
    if (!map)
        return err;
    const void *key = exec_env_mem(env, r2, map_key_size(map), EXEC_READ);
    const void *value = exec_env_mem(env, r3, map_value_size(map), EXEC_READ);
    if (!key || !value)
        return ERR(EFAULT);
    return (uint64_t)map_update_elem(map, key, value, r4);
}

CORE_HELPER(core_helper_map_delete_elem)
{
    (void)r3, (void)r4, (void)r5;
    uint64_t err;
    struct map *map = usable_map(env, r1, true, &err);
    if (!map)
        return err;
    const void *key = exec_env_mem(env, r2, map_key_size(map), EXEC_READ);
    return key ? (uint64_t)map_delete_elem(map, key) : ERR(EFAULT);
}

CORE_HELPER(core_helper_map_push_elem)
{
    (void)r4, (void)r5;
    uint64_t err;
    struct map *map = usable_map(env, r1, true, &err);
    if (!map)
        return err;
    const void *value = exec_env_mem(env, r2, map_value_size(map), EXEC_READ);
    return value ? (uint64_t)map_push_elem(map, value, r3) : ERR(EFAULT);
}

/* pop and peek: the next value of a queue or stack into program memory. */
static uint64_t take(struct exec_env *env, uint64_t map_arg, uint64_t out, bool remove)
{
    uint64_t err;
    struct map *map = usable_map(env, map_arg, remove, &err);
    if (!map)
        return err;
    void *value = exec_env_mem(env, out, map_value_size(map), EXEC_WRITE);
    if (!value)
        return ERR(EFAULT);
    return (uint64_t)(remove ? map_pop_elem(map, value) : map_peek_elem(map, value));
}

CORE_HELPER(core_helper_map_pop_elem)
{
    (void)r3, (void)r4, (void)r5;
    return take(env, r1, r2, true);
}

CORE_HELPER(core_helper_map_peek_elem)
{
    (void)r3, (void)r4, (void)r5;
    return take(env, r1, r2, false);
}

/*
 * The slot's program is borrowed: a replaced program is released only
 * after the grace period this run is part of. On success the run goes on
 * in that program (and its maps) once the helper returns, in place of the
 * function that made the call (exec_env_tail_call: Linux's semantics).
 */
CORE_HELPER(core_helper_tail_call)
{
    (void)r1, (void)r4, (void)r5;
    struct core_run *run = core_run_of(env);
    struct map *map = core_run_map(run, r2);
    if (!map || map_type(map) != BPF_MAP_TYPE_PROG_ARRAY)
        return ERR(EINVAL);
    const struct core_prog *next = map_fd_array_get(map, (uint32_t)r3);
    if (!next)
        return ERR(ENOENT);
    if (next->type != run->prog->type)
        return ERR(EINVAL);
    if (exec_env_tail_call(env, next->exec) != 0)
        return ERR(E2BIG);
    return 0;
}
