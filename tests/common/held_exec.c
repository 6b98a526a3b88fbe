/* An exec whose arguments are slow to read (see held_exec.h). */
#include "common/held_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct hold {
    int uffd;
    char *page;
    long size;
    int ms;
};

static void *resolve_later(void *arg)
{
    struct hold *h = arg;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += h->ms / 1000;
    until.tv_nsec += (h->ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    /* To the end, whatever interrupts it (setuid() signals every thread of the process). */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
    struct uffdio_zeropage zero = {.range = {(uintptr_t)h->page, (uint64_t)h->size}};
    ioctl(h->uffd, UFFDIO_ZEROPAGE, &zero);
    return NULL;
}

void held_exec(const char *path, int hold_ms)
{
    held_exec_as(path, hold_ms, (uid_t)-1, false);
}

void held_exec_as(const char *path, int hold_ms, uid_t uid, bool new_userns)
{
    static struct hold h;
    h.ms = hold_ms;
    h.size = sysconf(_SC_PAGESIZE);
    h.uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    struct uffdio_api api = {.api = UFFD_API};
    h.page = mmap(NULL, (size_t)h.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {.range = {(uintptr_t)h.page, (uint64_t)h.size}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (h.uffd < 0 || ioctl(h.uffd, UFFDIO_API, &api) != 0 || h.page == MAP_FAILED ||
        ioctl(h.uffd, UFFDIO_REGISTER, &reg) != 0)
        _exit(90);
    /* While single-threaded (a user namespace needs it): the page stays held by the userfaultfd. */
    if (uid != (uid_t)-1 && (setgid((gid_t)uid) != 0 || setuid(uid) != 0))
        _exit(91);
    if (new_userns && unshare(CLONE_NEWUSER) != 0)
        _exit(92);
    pthread_t resolver;
    if (pthread_create(&resolver, NULL, resolve_later, &h) != 0)
        _exit(90);
    char *const argv[] = {(char *)path, h.page, NULL};
    execv(path, argv);
    _exit(100 + errno);
}

const char *held_exec_unavailable(void)
{
    static char why[128];
    int probe = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    if (probe >= 0) {
        close(probe);
        return NULL;
    }
    snprintf(why, sizeof(why), "no userfaultfd (slow memory to read): %s", strerror(errno));
    return why;
}
