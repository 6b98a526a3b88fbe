/*
 * The image path of a binding process (app_id). /proc/PID/exe names the
 * file as the process's own mount namespace sees it: a process with its
 * own user and mount namespaces can mount any file over an allowed path
 * and exec it there, and a file renamed or replaced since the exec keeps
 * its old name. So the name is passed as it is only when that path, seen
 * from here, is the very file the process runs (same device and inode);
 * otherwise it is passed prefixed with "unverified:", which no absolute
 * path rule matches. Only a digest of the image identifies it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/net/net.h"

static const char unverified[] = "unverified:";

size_t ext_bind_image_path(pid_t pid, char *out, size_t cap)
{
    enum { PREFIX = sizeof(unverified) - 1 };
    char exe[64];
    snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
    if (cap <= PREFIX + 1)
        return 0;
    /* Read after the prefix's room, so that prefixing is a copy in place. */
    ssize_t len = readlink(exe, out + PREFIX, cap - PREFIX - 1);
    if (len <= 0)
        return 0;
    out[PREFIX + len] = '\0';
    struct stat running, named;
    if (stat(exe, &running) == 0 && stat(out + PREFIX, &named) == 0 && running.st_dev == named.st_dev &&
        running.st_ino == named.st_ino) {
        memmove(out, out + PREFIX, (size_t)len + 1);
        return (size_t)len;
    }
    memcpy(out, unverified, PREFIX);
    return PREFIX + (size_t)len;
}
