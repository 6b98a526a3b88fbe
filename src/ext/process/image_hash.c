/*
 * The SHA-256 of an image file, for bpf_process_get_image_sha256(): a
 * policy names a file by what it is, so a copy, a hard link, a bind mount
 * or a memfd of a denied file is still that file.
 *
 * Hashing reads the whole file, so digests are cached by what identifies
 * one version of a file: device, inode, size and change time (ctime moves
 * on every write, also one that keeps the size, and a program cannot set
 * it back). ctime has the filesystem's granularity (a second on ext2, two
 * on FAT, a jiffy on older kernels), so a rewrite within that time keeps
 * it: as git does with "racily clean" files, a digest is cached only once
 * the file's ctime is RACY_SECONDS old. The cache is small, shared by
 * every source's thread, and replaces its least recently used entry.
 * Files over the maximum size are refused rather than stalling an exec
 * (under fanotify, every exec of the machine) for seconds. Only regular
 * files are opened: opening a FIFO or a device as root has effects.
 */
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ext/internal.h"

enum { CACHE_SLOTS = 64, RACY_SECONDS = 3 };

static _Atomic uint64_t max_size = EXT_IMAGE_HASH_DEFAULT_MAX;

struct cached_digest {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec ctime;
    uint64_t used; /* 0: empty; else the clock of its last use */
    uint8_t digest[EXT_SHA256_SIZE];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_digest cache[CACHE_SLOTS];
static uint64_t cache_clock;

static bool same_version(const struct cached_digest *c, const struct stat *st)
{
    return c->used && c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
           c->ctime.tv_sec == st->st_ctim.tv_sec && c->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Copies out the cached digest of st's version of the file; false if none. */
static bool cache_get(const struct stat *st, uint8_t *digest)
{
    bool hit = false;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CACHE_SLOTS && !hit; i++)
        if (same_version(&cache[i], st)) {
            memcpy(digest, cache[i].digest, EXT_SHA256_SIZE);
            cache[i].used = ++cache_clock;
            hit = true;
        }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static void cache_put(const struct stat *st, const uint8_t *digest)
{
    pthread_mutex_lock(&cache_lock);
    struct cached_digest *slot = &cache[0];
    for (size_t i = 1; i < CACHE_SLOTS; i++)
        if (cache[i].used < slot->used)
            slot = &cache[i];
    *slot = (struct cached_digest){st->st_dev, st->st_ino, st->st_size, st->st_ctim, ++cache_clock, {0}};
    memcpy(slot->digest, digest, EXT_SHA256_SIZE);
    pthread_mutex_unlock(&cache_lock);
}

/* Hashes the file open as fd from its start (pread: its offset is not ours). */
static int hash_fd(int fd, uint8_t *digest)
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    uint8_t buf[65536];
    for (off_t off = 0;;) {
        ssize_t n = pread(fd, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        sha256_update(&ctx, (size_t)n, buf);
        off += n;
    }
    sha256_digest(&ctx, EXT_SHA256_SIZE, digest);
    return 0;
}

/* Opens a regular file for reading, looking before it opens; fd or -errno (-EACCES: not a regular file). */
static int open_regular(const char *open_path, struct stat *st)
{
    int path_fd = open(open_path, O_PATH | O_CLOEXEC);
    if (path_fd < 0)
        return -errno;
    int err = fstat(path_fd, st) != 0 ? -errno : !S_ISREG(st->st_mode) ? -EACCES : 0;
    char link[48];
    snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", path_fd);
    /* O_NONBLOCK: a file under a lease fails at once (EWOULDBLOCK) instead of waiting for its breaker. */
    int fd = err ? -1 : open(link, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (!err && fd < 0)
        err = -errno;
    close(path_fd);
    return err ? err : fd;
}

/* Whether st's ctime is old enough that a rewrite would show in it (see the top of the file). */
static bool settled(const struct stat *st)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return st->st_ctim.tv_sec + RACY_SECONDS < now.tv_sec;
}

uint64_t ext_image_sha256_max_size(uint64_t bytes)
{
    return bytes ? atomic_exchange(&max_size, bytes) : atomic_load(&max_size);
}

int ext_image_sha256(const char *open_path, uint8_t *digest, struct ext_image_hash_stats *stats)
{
    if (stats)
        stats->cached = false;
    if (!open_path || !*open_path)
        return -ENOENT;
    struct stat st;
    int fd = open_regular(open_path, &st);
    if (fd < 0)
        return fd;
    int err = (uint64_t)st.st_size > atomic_load(&max_size) ? -EFBIG : 0; /* st: what open_regular() saw */
    if (!err && cache_get(&st, digest)) {
        if (stats)
            stats->cached = true;
    } else if (!err && !(err = hash_fd(fd, digest))) {
        /* Changed while we read it: this digest names no version of the file. */
        struct stat after;
        if (fstat(fd, &after) != 0 || after.st_size != st.st_size || after.st_ctim.tv_sec != st.st_ctim.tv_sec ||
            after.st_ctim.tv_nsec != st.st_ctim.tv_nsec)
            err = -EAGAIN;
        else if (settled(&st))
            cache_put(&st, digest);
    }
    close(fd);
    return err;
}
