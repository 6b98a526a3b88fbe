/*
 * Reading what an exec asks for from the thread that asks, while it is
 * stopped in the exec (a seccomp notification, a fanotify permission
 * event): its argument strings (process_vm_readv, page by page so a
 * string ending just before an unmapped page is still read) and the file
 * the exec will run (resolved in target_path.c, or the file of the fd for
 * fexecve). A caller must check afterwards that the thread still waits
 * (its pid may have died and been reused while we read).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ext/process/exec_target.h"

/*
 * argv pointers read at once (the first read: FIRST_POINTERS), strings
 * whose first STRING_PEEK bytes are read at once.
 */
enum { POINTER_CHUNK = 512, FIRST_POINTERS = 32, STRINGS_AT_ONCE = 64, STRING_PEEK = 256 };


/* Reads pointer i of the argv array (ptr_size bytes, in the host's byte order); 0 or -errno. */
static int read_pointer(pid_t pid, uint64_t argv, unsigned ptr_size, size_t i, uint64_t *out)
{
    uint32_t p32;
    ssize_t n = ptr_size == 4 ? ext_target_read(pid, argv + i * 4, &p32, 4) : ext_target_read(pid, argv + i * 8, out, 8);
    if (n < 0)
        return (int)n;
    if ((size_t)n != ptr_size)
        return -EFAULT;
    if (ptr_size == 4)
        *out = p32;
    return 0;
}

long ext_target_vector_at(pid_t pid, uint64_t addr, unsigned ptr_size, size_t i, char *buf, size_t cap)
{
    uint64_t p;
    int err = addr ? read_pointer(pid, addr, ptr_size, i, &p) : 0;
    if (err)
        return err;
    if (!addr || !p)
        return -ENOENT;
    return ext_target_string(pid, p, buf, cap);
}

/*
 * Reads up to max pointers of the array at addr from index first into out
 * (ptr_size bytes each, host byte order) in one read: how many, or -errno
 * if not even the first could be read.
 */
static long read_pointers(pid_t pid, uint64_t addr, unsigned ptr_size, size_t first, uint64_t *out, size_t max)
{
    uint8_t raw[POINTER_CHUNK * 8];
    ssize_t n = ext_target_read(pid, addr + first * ptr_size, raw, max * ptr_size);
    if (n < 0)
        return n;
    size_t count = (size_t)n / ptr_size;
    if (!count)
        return -EFAULT;
    for (size_t i = 0; i < count; i++) {
        uint32_t p32;
        if (ptr_size == 4) {
            memcpy(&p32, raw + i * 4, 4);
            out[i] = p32;
        } else {
            memcpy(&out[i], raw + i * 8, 8);
        }
    }
    return (long)count;
}

/*
 * Appends the strings at ptrs[0..n) to buf (len bytes used of cap), each
 * after a space but the first of argv (index first): their first bytes
 * read in one process_vm_readv for up to STRINGS_AT_ONCE of them, a
 * string not ended there read on its own. 0, 1 if cut at cap, or -errno.
 */
static int append_strings(pid_t pid, const uint64_t *ptrs, size_t n, size_t first, char *buf, size_t cap, size_t *len)
{
    char peek[STRINGS_AT_ONCE][STRING_PEEK];
    for (size_t done = 0; done < n;) {
        size_t batch = n - done < STRINGS_AT_ONCE ? n - done : STRINGS_AT_ONCE;
        struct iovec local[STRINGS_AT_ONCE], remote[STRINGS_AT_ONCE];
        for (size_t j = 0; j < batch; j++) {
            uint64_t p = ptrs[done + j];
            size_t to_page_end = ext_page_size() - (size_t)(p % ext_page_size());
            local[j] = (struct iovec){peek[j], to_page_end < STRING_PEEK ? to_page_end : STRING_PEEK};
            remote[j] = (struct iovec){(void *)(uintptr_t)p, local[j].iov_len};
        }
        ssize_t got = process_vm_readv(pid, local, batch, remote, batch, 0);
        size_t left = got > 0 ? (size_t)got : 0; /* bytes read, iovec by iovec, up to the first that failed */
        for (size_t j = 0; j < batch; j++, done++) {
            size_t have = left < local[j].iov_len ? left : local[j].iov_len;
            left -= have;
            if (first + done > 0 && *len < cap)
                buf[(*len)++] = ' ';
            const char *nul = memchr(peek[j], '\0', have);
            long slen;
            if (nul && (size_t)(nul - peek[j]) < cap - *len) {
                slen = nul - peek[j];
                memcpy(buf + *len, peek[j], (size_t)slen);
            } else if (nul || *len >= cap) {
                slen = -ENAMETOOLONG;
            } else { /* longer than its first bytes, or not read: on its own */
                slen = ext_target_string(pid, ptrs[done], buf + *len, cap - *len);
            }
            if (slen == -ENAMETOOLONG)
                return 1;
            if (slen < 0)
                return (int)slen;
            *len += (size_t)slen;
        }
    }
    return 0;
}

long ext_target_argv(pid_t pid, uint64_t addr, unsigned ptr_size, char *buf, size_t cap, bool *truncated)
{
    *truncated = false;
    size_t len = 0, i = 0, want = FIRST_POINTERS;
    uint64_t ptrs[POINTER_CHUNK];
    while (addr) { /* argv NULL: no arguments, as the kernel takes it */
        long count = read_pointers(pid, addr, ptr_size, i, ptrs, want);
        if (count < 0)
            return count;
        want = POINTER_CHUNK; /* most argv end within the first read */
        size_t n = 0;
        while (n < (size_t)count && ptrs[n])
            n++;
        bool ends = n < (size_t)count;
        /* More than the kernel takes with the default stack limit: cut, as a command line over cap. */
        bool over = i + n > EXT_ARGC_MAX;
        if (over)
            n = EXT_ARGC_MAX - i;
        int rc = append_strings(pid, ptrs, n, i, buf, cap, &len);
        if (rc < 0)
            return rc;
        if (rc > 0 || over) {
            *truncated = true;
            return rc > 0 ? (long)cap : (long)len;
        }
        if (ends)
            return (long)len;
        i += n;
    }
    return (long)len;
}

/* readlink into out (NUL-terminated); 0 or -errno. */
static int read_link(const char *path, char *out, size_t cap)
{
    ssize_t n = readlink(path, out, cap - 1);
    if (n < 0)
        return -errno;
    if ((size_t)n >= cap - 1)
        return -ENAMETOOLONG;
    out[n] = '\0';
    return 0;
}

bool ext_target_exec_fails_with(int err)
{
    return err == -ENOENT || err == -ENOTDIR || err == -ELOOP || err == -ENAMETOOLONG || err == -EBADF;
}

int ext_target_image(pid_t tgid, pid_t tid, int dirfd, const char *path, int flags, char *out, size_t cap, int *opened)
{
    char link[64];
    if (opened)
        *opened = -1;
    if (!*path) { /* fexecve(), or execveat(fd, "", AT_EMPTY_PATH): the file of the fd itself */
        if (!(flags & AT_EMPTY_PATH))
            return -ENOENT;
        snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid, dirfd);
        int err = read_link(link, out, cap);
        if (!err && opened)
            *opened = open(link, O_PATH | O_CLOEXEC); /* the magic link: the file itself, a memfd too */
        return err == -ENOENT ? -EBADF : err;
    }
    int fd = ext_target_path_open(tgid, tid, dirfd, path, flags);
    if (fd >= 0) {
        snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", fd);
        int err = read_link(link, out, cap);
        if (!err && opened)
            *opened = fd;
        else
            close(fd);
        return err;
    }
    if (ext_target_exec_fails_with(fd))
        return fd;
    /* We may not see what the target sees (permissions): the path as written. */
    return snprintf(out, cap, "%s", path) < (int)cap ? 0 : -ENAMETOOLONG;
}
