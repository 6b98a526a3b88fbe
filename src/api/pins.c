/* Pinning objects by fd in the process's pin namespace, and fds for pins. */
#include <errno.h>

#include "api/internal.h"

int bpf_obj_pin(int fd, const char *pathname)
{
    if (!pathname)
        return api_err(-EFAULT);
    struct core_obj *obj;
    int rc = api_fd_get(fd, 0, &obj);
    if (!rc)
        rc = core_pin(pathname, obj);
    core_obj_release(obj);
    return api_err(rc);
}

int bpf_obj_get(const char *pathname)
{
    if (!pathname)
        return api_err(-EFAULT);
    struct core_obj *obj;
    int rc = core_pin_get(pathname, &obj);
    if (rc)
        return api_err(rc);
    int fd = api_fd_new(obj);
    core_obj_release(obj);
    return api_err(fd);
}

int ebpf_object_unpin(const char *pathname)
{
    return api_err(pathname ? core_unpin(pathname) : -EFAULT);
}
