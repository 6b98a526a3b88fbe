/*
 * The table behind the int handles: fd number -> a reference to a core
 * object. Each fd is a memfd of its own, so its inode identifies it: an
 * entry counts only while its number still refers to that inode, which
 * tells a live handle from a number the application closed (and maybe
 * reused for a file of its own). The kernel never hands out a number that
 * is still open, so an entry found at a number the library was just given
 * is stale and is replaced. References are dropped outside the lock: the
 * last one may detach a link or free a tree of objects.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/internal.h"

struct fd_entry {
    struct core_obj *obj; /* NULL: free */
    dev_t dev;
    ino_t ino;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fd_entry *entries; /* indexed by fd */
static size_t entry_cap;

/* True if fd is open on the file the entry was made for. */
static bool still_ours(int fd, const struct fd_entry *e)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino;
}

/* Makes room for entry fd; under the lock. */
static int reserve(int fd)
{
    if ((size_t)fd < entry_cap)
        return 0;
    size_t cap = entry_cap ? entry_cap : 64;
    while (cap <= (size_t)fd)
        cap *= 2;
    struct fd_entry *grown = realloc(entries, cap * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    for (size_t i = entry_cap; i < cap; i++)
        grown[i] = (struct fd_entry){0};
    entries = grown;
    entry_cap = cap;
    return 0;
}

int api_fd_new(struct core_obj *obj)
{
    /* The names Linux gives its bpf fds, seen in /proc/self/fd. */
    static const char *const labels[] = {[CORE_OBJ_PROG] = "bpf-prog", [CORE_OBJ_MAP] = "bpf-map",
                                         [CORE_OBJ_LINK] = "bpf-link"};
    int fd = memfd_create(labels[core_obj_type(obj)], MFD_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int err = -errno;
        if (fd >= 0)
            close(fd);
        return err;
    }
    struct core_obj *stale = NULL;
    pthread_mutex_lock(&table_lock);
    int err = reserve(fd);
    if (!err) {
        stale = entries[fd].obj;
        entries[fd] = (struct fd_entry){core_obj_retain(obj), st.st_dev, st.st_ino};
    }
    pthread_mutex_unlock(&table_lock);
    core_obj_release(stale);
    if (err) {
        close(fd);
        return err;
    }
    return fd;
}

int api_fd_get(int fd, enum core_obj_type type, struct core_obj **out)
{
    *out = NULL;
    if (fd < 0)
        return -EBADF;
    struct core_obj *found = NULL, *stale = NULL;
    pthread_mutex_lock(&table_lock);
    if ((size_t)fd < entry_cap && entries[fd].obj) {
        if (still_ours(fd, &entries[fd])) {
            found = entries[fd].obj;
            if (!type || core_obj_type(found) == type)
                *out = core_obj_retain(found);
        } else {
            stale = entries[fd].obj;
            entries[fd] = (struct fd_entry){0};
        }
    }
    pthread_mutex_unlock(&table_lock);
    core_obj_release(stale);
    if (*out)
        return 0;
    /* Like the kernel: EBADF for a number that is not open at all. */
    return found || fcntl(fd, F_GETFD) >= 0 ? -EINVAL : -EBADF;
}

void api_fd_close(int fd, const struct core_obj *obj)
{
    struct core_obj *dropped = NULL;
    bool ours = false;
    pthread_mutex_lock(&table_lock);
    if (fd >= 0 && (size_t)fd < entry_cap && entries[fd].obj == obj) {
        ours = still_ours(fd, &entries[fd]);
        dropped = entries[fd].obj;
        entries[fd] = (struct fd_entry){0};
    }
    pthread_mutex_unlock(&table_lock);
    /* Closed only now: while still open, the number cannot be handed out again. */
    if (ours)
        close(fd);
    core_obj_release(dropped);
}

void api_fd_sweep(void)
{
    for (size_t fd = 0;; fd++) {
        struct core_obj *stale = NULL;
        pthread_mutex_lock(&table_lock);
        bool done = fd >= entry_cap;
        if (!done && entries[fd].obj && !still_ours((int)fd, &entries[fd])) {
            stale = entries[fd].obj;
            entries[fd] = (struct fd_entry){0};
        }
        pthread_mutex_unlock(&table_lock);
        if (done)
            return;
        core_obj_release(stale);
    }
}
