/*
 * Reading another process' memory (process_vm_readv), page by page so
 * that bytes before an unmapped page are still read: what the sources
 * that stop a thread in a system call (the supervised tree, fanotify) read
 * of its arguments. A caller must check afterwards that the thread still
 * waits (its pid may have died and been reused while we read).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ext/internal.h"

size_t ext_page_size(void)
{
    static _Atomic size_t size; /* read by every source's threads at once */
    size_t known = atomic_load_explicit(&size, memory_order_relaxed);
    if (!known) {
        long n = sysconf(_SC_PAGESIZE);
        known = n > 0 ? (size_t)n : 4096;
        atomic_store_explicit(&size, known, memory_order_relaxed);
    }
    return known;
}

/* Bytes from addr to the end of its page, at most left: the next page may not be mapped. */
static size_t to_page_end(uint64_t addr, size_t left)
{
    size_t rest = ext_page_size() - (size_t)(addr % ext_page_size());
    return rest < left ? rest : left;
}

ssize_t ext_target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t chunk = to_page_end(addr + got, len - got);
        struct iovec local = {(char *)buf + got, chunk};
        struct iovec remote = {(void *)(uintptr_t)(addr + got), chunk};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n < 0 && got == 0)
            return -errno;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

long ext_target_string(pid_t pid, uint64_t addr, char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        size_t chunk = to_page_end(addr + got, cap - got);
        ssize_t n = ext_target_read(pid, addr + got, buf + got, chunk);
        if (n < 0)
            return n;
        char *nul = memchr(buf + got, '\0', (size_t)n);
        if (nul)
            return nul - buf;
        if ((size_t)n < chunk)
            return -EFAULT;
        got += (size_t)n;
    }
    return -ENAMETOOLONG;
}
