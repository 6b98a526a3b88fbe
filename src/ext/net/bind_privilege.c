/*
 * Whether a thread's CAP_NET_BIND_SERVICE is a right to a privileged port
 * of its socket. CapEff is the thread's capabilities in its own user
 * namespace; a process that made a user namespace has every capability
 * there, and none in a network namespace that namespace does not own. The
 * kernel's rule (ns_capable on the network namespace's owner): the
 * capability counts if the thread's user namespace is the owner of the
 * socket's network namespace or an ancestor of that owner. Anything we
 * cannot establish (a namespace we may not see, an old kernel) counts as
 * no right.
 */
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/net/net.h"

bool ext_bind_userns_rules_netns(pid_t tid, int sock)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)tid);
    struct stat thread_ns;
    if (stat(path, &thread_ns) != 0)
        return false;
    int netns = ioctl(sock, SIOCGSKNS);
    if (netns < 0)
        return false;
    int ns = ioctl(netns, NS_GET_USERNS);
    close(netns);
    /* From the owner up: the parents we may see (EPERM above our own namespace ends the walk). */
    while (ns >= 0) {
        struct stat st;
        if (fstat(ns, &st) != 0)
            break;
        if (st.st_dev == thread_ns.st_dev && st.st_ino == thread_ns.st_ino) {
            close(ns);
            return true;
        }
        int parent = ioctl(ns, NS_GET_PARENT);
        close(ns);
        ns = parent;
    }
    if (ns >= 0)
        close(ns);
    return false;
}
