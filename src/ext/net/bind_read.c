/*
 * Reading a bind's address from the calling thread's memory within a time
 * limit. The supervisor answers the tree's binds (and execs) on one
 * thread; an address behind a userfaultfd nobody serves would hold that
 * read, and with it every other call of the tree, for as long as the tree
 * likes. So the read runs on a thread of its own: the caller waits up to
 * the limit and gives up; the reader, if stuck, ends when the fault is
 * served or its userfaultfd is closed (at the latest when the tree is
 * gone) and frees what it shares with the caller, whoever is last.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ext/net/net.h"
#include "ext/internal.h" /* ext_target_read() */

struct address_read {
    atomic_int refs; /* the caller and the reader */
    int done;        /* eventfd: the reader has finished */
    pid_t tid;
    uint64_t addr;
    size_t len;
    _Atomic ssize_t got;
    unsigned char buf[EXT_BIND_ADDRESS_MAX];
};

static void release(struct address_read *r)
{
    if (atomic_fetch_sub(&r->refs, 1) == 1) {
        close(r->done);
        free(r);
    }
}

static void *reader(void *arg)
{
    struct address_read *r = arg;
    atomic_store(&r->got, ext_target_read(r->tid, r->addr, r->buf, r->len));
    uint64_t one = 1;
    if (write(r->done, &one, sizeof(one)) != (ssize_t)sizeof(one))
        atomic_store(&r->got, -EIO); /* cannot happen on an eventfd below its maximum; the caller times out */
    release(r);
    return NULL;
}

ssize_t ext_bind_read_address(pid_t tid, uint64_t addr, void *buf, size_t len, int timeout_ms)
{
    if (len > EXT_BIND_ADDRESS_MAX)
        return -EINVAL;
    struct address_read *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    *r = (struct address_read){.tid = tid, .addr = addr, .len = len, .got = -ETIMEDOUT};
    atomic_init(&r->refs, 2);
    r->done = eventfd(0, EFD_CLOEXEC);
    pthread_attr_t attr;
    pthread_t thread;
    int err = r->done < 0 ? errno : pthread_attr_init(&attr);
    if (!err) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024); /* many may be stuck at once */
        err = pthread_create(&thread, &attr, reader, r);
        pthread_attr_destroy(&attr);
    }
    if (err) {
        if (r->done >= 0)
            close(r->done);
        free(r);
        return -err;
    }
    struct pollfd p = {.fd = r->done, .events = POLLIN};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    ssize_t got = n > 0 ? atomic_load(&r->got) : -ETIMEDOUT;
    if (got > 0)
        memcpy(buf, r->buf, (size_t)got);
    release(r);
    return got;
}
