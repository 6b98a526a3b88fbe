/*
 * A supervised bind of a socket of another family than IP (AF_UNIX,
 * netlink, packet, ...): no bind event, but the kernel may not simply be
 * told to run it (SECCOMP_USER_NOTIF_FLAG_CONTINUE). The kernel looks the
 * descriptor up again then, and a task sharing the caller's file table
 * can have put an IP socket at that number meanwhile: that socket would be
 * bound unseen, to any port. So:
 *   - AF_UNIX unnamed (autobind) and abstract addresses, and an address of
 *     another family than the socket's (refused): the supervisor binds its
 *     own copy of the socket, the very one checked (no right of the
 *     supervisor's is involved: these check none);
 *   - anything else (a path, which depends on the caller's cwd, root,
 *     umask and ids; other families, which may check the caller's
 *     capabilities) goes to the kernel only if no other thread of the
 *     process shares the caller's file table (kcmp), else it is denied.
 * Not seen: a process sharing the file table without being a thread of
 * the caller (clone(CLONE_FILES) without CLONE_THREAD).
 */
#include <dirent.h>
#include <errno.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ext/net/net.h"

/* Whether another thread of tgid shares tid's file table; true when unknown. */
static bool table_shared(pid_t tgid, pid_t tid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)tgid);
    DIR *d = opendir(path);
    if (!d)
        return true;
    bool shared = false;
    struct dirent *e;
    while (!shared && (e = readdir(d))) {
        pid_t other = (pid_t)atoi(e->d_name);
        if (other > 0 && other != tid) {
            long order = syscall(SYS_kcmp, tid, other, KCMP_FILES, 0, 0);
            shared = order <= 0; /* 0: the same table; -1: unknown */
        }
    }
    closedir(d);
    return shared;
}

int ext_bind_other_family(pid_t tgid, pid_t tid, int sock, int family, const void *addr, socklen_t len)
{
    sa_family_t given = AF_UNSPEC;
    if (len >= sizeof(given))
        memcpy(&given, addr, sizeof(given));
    bool unix_unnamed = family == AF_UNIX && len == sizeof(given) && given == AF_UNIX;
    bool unix_abstract = family == AF_UNIX && len > sizeof(given) && given == AF_UNIX &&
                         ((const struct sockaddr_un *)addr)->sun_path[0] == '\0';
    if (unix_unnamed || unix_abstract || (len >= sizeof(given) && given != family))
        return bind(sock, addr, len) == 0 ? 0 : -errno;
    if (table_shared(tgid, tid)) {
        core_trace_printf("bpfhost: supervised bind of a family %d socket by thread %d denied: its file table is "
                          "shared (the kernel would look the descriptor up again)",
                          family, (int)tid);
        return -EACCES;
    }
    return EXT_BIND_LET_KERNEL;
}
