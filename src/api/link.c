/* bpf_link: an attachment made by bpf_program__attach(), with its fd. */
#include <errno.h>
#include <stdlib.h>

#include "api/internal.h"

int bpf_link__fd(const struct bpf_link *link)
{
    return link ? link->fd : api_err(-EINVAL);
}

int bpf_link__detach(struct bpf_link *link)
{
    return api_err(link ? core_link_detach(link->link) : -EINVAL);
}

int bpf_link__destroy(struct bpf_link *link)
{
    if (!link)
        return 0;
    api_fd_close(link->fd, core_link_obj(link->link));
    core_link_release(link->link);
    free(link);
    /* Fds of this link the application closed would keep it attached. */
    api_fd_sweep();
    return 0;
}
