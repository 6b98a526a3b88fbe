/*
 * Resolving an exec's path as the target thread would: from its root
 * (/proc/TID/root, so a chroot is followed) or its cwd or directory fd,
 * one component at a time. openat() alone would resolve in our own
 * context wherever the path says "self": /proc/self/fd/3, /dev/fd/3 (a
 * link to /proc/self/fd) or /proc/self/exe would name our files, not the
 * target's — a way around a rule by path. So symbolic links are followed
 * here, and /proc's "self" and "thread-self" are replaced by the target's
 * ids (in a procfs of another pid namespace, where those ids name someone
 * else, the lookup fails: EXDEV); the magic links under /proc/PID (fd/N, exe, cwd, root) are left to
 * the kernel, which follows them to the file itself (a memfd, a deleted
 * file). Mount namespaces are crossed through /proc/TID/root as the kernel
 * does. A path that stays on the filesystem it starts on, with no magic
 * link, is the same lookup done by the kernel in one openat2() (the walk
 * decides whenever that fails).
 *
 * One exec's lookups (its program, then its interpreters) may share the
 * root: between ext_target_root_hold() and ext_target_root_release() the
 * calling thread opens /proc/TID/root once for them (an open of /proc is
 * dear: a fifth of what the supervised tree spent reading an exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ext/process/exec_target.h"

enum { MAX_LINKS = 40 }; /* the kernel's limit on symbolic links in one lookup */

struct walk {
    pid_t tgid, tid;
    int root;           /* the target's root directory (O_PATH) */
    struct stat root_st;
    int links;
};

static bool on_proc(int fd)
{
    struct statfs sfs;
    return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Whether fd is the root directory of a procfs mount (its inode is 1). */
static bool is_proc_root(int fd)
{
    struct stat st;
    return on_proc(fd) && fstat(fd, &st) == 0 && st.st_ino == 1;
}

/* Whether the procfs whose root is fd shows our pid namespace (its "self" is our pid). */
static bool procfs_of_our_namespace(int fd)
{
    char self[32];
    ssize_t n = readlinkat(fd, "self", self, sizeof(self) - 1);
    if (n <= 0)
        return false; /* we are not in its namespace at all */
    self[n] = '\0';
    char ours[32];
    snprintf(ours, sizeof(ours), "%d", (int)getpid());
    return strcmp(self, ours) == 0;
}

/* Whether fd is the target's root (where ".." stays). */
static bool is_root(const struct walk *w, int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == w->root_st.st_dev && st.st_ino == w->root_st.st_ino;
}

/* Replaces *fd by next (closing the old one); next < 0 is an -errno returned as is. */
static int step(int *fd, int next)
{
    if (next < 0)
        return -errno;
    close(*fd);
    *fd = next;
    return 0;
}

/*
 * Looks up one component name in *fd (replaced by the result). A symbolic
 * link to follow is not looked up: its target goes into link (length
 * returned, > 0). Returns 0, that length, or -errno.
 */
static int lookup(struct walk *w, int *fd, const char *name, bool last, int flags, char *link, size_t cap)
{
    if (!strcmp(name, "."))
        return 0;
    if (!strcmp(name, ".."))
        return is_root(w, *fd) ? 0 : step(fd, openat(*fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    char ids[64];
    if ((!strcmp(name, "self") || !strcmp(name, "thread-self")) && is_proc_root(*fd)) {
        /* The ids we put in are those of our pid namespace: only right in a procfs of it, where our
         * own "self" is our pid. Another (a container's) would name whoever has that number there. */
        if (!procfs_of_our_namespace(*fd))
            return -EXDEV;
        if (name[0] == 's')
            snprintf(ids, sizeof(ids), "%d", (int)w->tgid);
        else
            snprintf(ids, sizeof(ids), "%d/task/%d", (int)w->tgid, (int)w->tid);
        return step(fd, openat(*fd, ids, O_PATH | O_CLOEXEC));
    }
    int next = openat(*fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (next < 0 || fstat(next, &st) != 0 || !S_ISLNK(st.st_mode))
        return step(fd, next);
    if (last && (flags & AT_SYMLINK_NOFOLLOW)) {
        close(next);
        return -ELOOP;
    }
    /* A magic link of /proc/PID: the kernel follows it (procfs has an anonymous device, major 0). */
    if (major(st.st_dev) == 0 && on_proc(next) && !is_proc_root(*fd)) {
        close(next);
        return step(fd, openat(*fd, name, O_PATH | O_CLOEXEC));
    }
    ssize_t n = readlinkat(next, "", link, cap);
    close(next);
    if (n <= 0 || (size_t)n >= cap)
        return n < 0 ? -errno : -ENAMETOOLONG;
    if (++w->links > MAX_LINKS)
        return -ELOOP;
    link[n] = '\0';
    return (int)n;
}

/* Walks path from *fd (replaced by the file it names). */
static int walk_path(struct walk *w, int *fd, const char *path, int flags)
{
    char rest[2][2 * 4096];
    int cur = 0;
    if (snprintf(rest[cur], sizeof(rest[cur]), "%s", path) >= (int)sizeof(rest[cur]))
        return -ENAMETOOLONG;
    for (char *p = rest[cur];;) {
        p += strspn(p, "/");
        if (!*p)
            return 0;
        size_t len = strcspn(p, "/");
        char name[256], link[4096];
        if (len >= sizeof(name))
            return -ENAMETOOLONG;
        memcpy(name, p, len);
        name[len] = '\0';
        p += len;
        int rc = lookup(w, fd, name, p[strspn(p, "/")] == '\0', flags, link, sizeof(link));
        if (rc <= 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        /* Go on with the link's target, then what followed it. */
        int next = 1 - cur;
        if (snprintf(rest[next], sizeof(rest[next]), "%s%s", link, p) >= (int)sizeof(rest[next]))
            return -ENAMETOOLONG;
        cur = next;
        p = rest[cur];
        if (link[0] == '/' && (rc = step(fd, dup(w->root))) != 0)
            return rc;
    }
}

/*
 * The whole path in one openat2() from start (the target's root, or, for a
 * relative path, its cwd or directory fd), when that is the same lookup:
 * never leaving start's mount (so never into a procfs, whose "self" would
 * be ours; RESOLVE_NO_XDEV), no magic link, and from the cwd never above
 * it (RESOLVE_BENEATH: ".." and absolute links are the walk's, which knows
 * the root). An O_PATH fd, or -1 when the walk must decide.
 */
static int open_in_one_lookup(int start, bool from_root, const char *path, int flags)
{
    if (flags & AT_SYMLINK_NOFOLLOW)
        return -1; /* openat2 would open the link itself rather than fail */
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = (from_root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH) | RESOLVE_NO_XDEV |
                                      RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, start, path, &how, sizeof(how));
}

/* The root held by the calling thread (ext_target_root_hold()): of thread tid, open as fd (-1: none). */
static _Thread_local struct {
    pid_t tid;
    int fd;
} held = {0, -1};

/* Opens thread tid's root directory (O_PATH): fd or -errno. */
static int open_root(pid_t tid)
{
    char where[64];
    snprintf(where, sizeof(where), "/proc/%d/root", (int)tid);
    int fd = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void ext_target_root_hold(pid_t tid)
{
    ext_target_root_release();
    int fd = open_root(tid);
    if (fd >= 0) { /* else each lookup opens it, and fails as it did */
        held.tid = tid;
        held.fd = fd;
    }
}

void ext_target_root_release(void)
{
    if (held.fd >= 0)
        close(held.fd);
    held.fd = -1;
}

/* Thread tid's root for one lookup (*own: to be closed after it): fd or -errno. */
static int lookup_root(pid_t tid, bool *own)
{
    *own = held.fd < 0 || held.tid != tid;
    return *own ? open_root(tid) : held.fd;
}

int ext_target_path_open(pid_t tgid, pid_t tid, int dirfd, const char *path, int flags)
{
    struct walk w = {.tgid = tgid, .tid = tid};
    bool own_root;
    w.root = lookup_root(tid, &own_root);
    if (w.root < 0)
        return w.root;
    char where[64];
    int fd;
    if (path[0] == '/') {
        int found = open_in_one_lookup(w.root, true, path, flags);
        if (found >= 0) {
            if (own_root)
                close(w.root);
            return found;
        }
        fd = dup(w.root);
    } else {
        if (dirfd == AT_FDCWD)
            snprintf(where, sizeof(where), "/proc/%d/cwd", (int)tid);
        else
            snprintf(where, sizeof(where), "/proc/%d/fd/%d", (int)tid, dirfd);
        fd = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && dirfd != AT_FDCWD)
            errno = EBADF; /* no such fd in the target */
    }
    int err = fd < 0 ? -errno : 0;
    int found = err || path[0] == '/' ? -1 : open_in_one_lookup(fd, false, path, flags);
    if (found >= 0) {
        close(fd);
        fd = found;
    } else if (!err) {
        err = fstat(w.root, &w.root_st) != 0 ? -errno : walk_path(&w, &fd, path, flags);
    }
    if (own_root)
        close(w.root);
    if (err && fd >= 0)
        close(fd);
    return err ? err : fd;
}
