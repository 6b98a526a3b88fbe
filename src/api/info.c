/*
 * bpf_obj_get_info_by_fd: Linux's info structs, filled as far as the
 * caller's struct reaches, so that callers built against a shorter or
 * longer struct keep working (a longer one must have its extra bytes zero).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"

union any_info {
    struct bpf_prog_info prog;
    struct bpf_map_info map;
    struct bpf_link_info link;
};

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Fills a program's info; the buffers it names are the caller's. */
static int prog_info(struct core_prog *prog, struct bpf_prog_info *info)
{
    if ((info->xlated_prog_len && !info->xlated_prog_insns) || (info->nr_map_ids && !info->map_ids))
        return -EFAULT;
    struct core_prog_info ci;
    core_prog_info(prog, &ci);
    info->type = ci.type->type_id;
    info->id = ci.id;
    snprintf(info->name, sizeof(info->name), "%s", ci.name);
    info->run_time_ns = ci.run_time_ns;
    info->run_cnt = ci.run_count;
    size_t count;
    const struct ebpf_insn *insns = core_prog_insns(prog, &count);
    size_t bytes = count * sizeof(*insns);
    if (info->xlated_prog_len)
        memcpy((void *)(uintptr_t)info->xlated_prog_insns, insns, min_size(bytes, info->xlated_prog_len));
    info->xlated_prog_len = (__u32)bytes;
    info->nr_map_ids = (__u32)core_prog_map_ids(prog, (uint32_t *)(uintptr_t)info->map_ids, info->nr_map_ids);
    return 0;
}

static void map_info(const struct core_map *map, struct bpf_map_info *info)
{
    struct core_map_info ci;
    core_map_info(map, &ci);
    info->type = ci.type;
    info->id = ci.id;
    info->key_size = ci.key_size;
    info->value_size = ci.value_size;
    info->max_entries = ci.max_entries;
    info->map_flags = ci.map_flags;
    memcpy(info->name, ci.name, sizeof(info->name));
}

static void link_info(const struct core_link *link, struct bpf_link_info *info)
{
    struct core_link_info ci;
    core_link_info(link, &ci);
    info->id = ci.id;
    info->prog_id = ci.prog_id;
}

int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len)
{
    if (!info || !info_len)
        return api_err(-EFAULT);
    struct core_obj *obj;
    int rc = api_fd_get(bpf_fd, 0, &obj);
    if (rc)
        return api_err(rc);
    enum core_obj_type type = core_obj_type(obj);
    size_t size = type == CORE_OBJ_PROG  ? sizeof(struct bpf_prog_info)
                  : type == CORE_OBJ_MAP ? sizeof(struct bpf_map_info)
                                         : sizeof(struct bpf_link_info);
    /* What the caller's struct has beyond ours must be zero (Linux's rule). */
    for (size_t i = size; i < *info_len && !rc; i++)
        if (((const uint8_t *)info)[i])
            rc = -E2BIG;
    union any_info ours;
    memset(&ours, 0, sizeof(ours));
    size_t len = min_size(size, *info_len);
    memcpy(&ours, info, len);
    if (!rc && type == CORE_OBJ_PROG)
        rc = prog_info(core_obj_prog(obj), &ours.prog);
    else if (!rc && type == CORE_OBJ_MAP)
        map_info(core_obj_map(obj), &ours.map);
    else if (!rc)
        link_info(core_obj_link(obj), &ours.link);
    if (!rc) {
        memcpy(info, &ours, len);
        *info_len = (__u32)len;
    }
    core_obj_release(obj);
    return api_err(rc);
}
