/* Enumerating programs, maps and links by id, and fds for an id. */
#include <errno.h>

#include "api/internal.h"

/* The id after start_id of that type; closed fds are swept first so
 * that objects nothing holds any more are not listed. */
static int get_next_id(enum core_obj_type type, __u32 start_id, __u32 *next_id)
{
    if (!next_id)
        return api_err(-EFAULT);
    api_fd_sweep();
    return api_err(core_obj_next_id(type, start_id, next_id));
}

int bpf_prog_get_next_id(__u32 start_id, __u32 *next_id)
{
    return get_next_id(CORE_OBJ_PROG, start_id, next_id);
}

int bpf_map_get_next_id(__u32 start_id, __u32 *next_id)
{
    return get_next_id(CORE_OBJ_MAP, start_id, next_id);
}

int bpf_link_get_next_id(__u32 start_id, __u32 *next_id)
{
    return get_next_id(CORE_OBJ_LINK, start_id, next_id);
}

/* A new fd for the live object of that type and id. */
static int fd_by_id(enum core_obj_type type, __u32 id)
{
    struct core_obj *obj = core_obj_get_by_id(type, id);
    if (!obj)
        return api_err(-ENOENT);
    int fd = api_fd_new(obj);
    core_obj_release(obj);
    return api_err(fd);
}

int bpf_prog_get_fd_by_id(__u32 id)
{
    return fd_by_id(CORE_OBJ_PROG, id);
}

int bpf_map_get_fd_by_id(__u32 id)
{
    return fd_by_id(CORE_OBJ_MAP, id);
}

int bpf_link_get_fd_by_id(__u32 id)
{
    return fd_by_id(CORE_OBJ_LINK, id);
}
