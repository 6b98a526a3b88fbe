/*
 * Which exec a stopped thread is in, read from /proc/TID/syscall: the
 * number and arguments of the system call it is blocked in. A thread
 * waiting for a fanotify permission answer on its exec open is blocked in
 * execve/execveat with its old memory intact (the kernel opens the
 * program, its interpreters and ld.so before it replaces the memory), so
 * its path, argv and envp can still be read there. Reading the file needs
 * the right to ptrace the thread (root has it).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ext/process/exec_target.h"

#define X32_SYSCALL_BIT 0x40000000
enum { YIELDS = 64 }; /* tries that yield the CPU before sleeping between them */

/* The exec system calls of each ABI a 64-bit x86 process may use. */
static const struct {
    long nr;
    bool at;
    unsigned ptr_size;
} exec_calls[] = {
    {59, false, 8},                     /* x86-64 execve */
    {322, true, 8},                     /* x86-64 execveat */
    {11, false, 4},                     /* i386 execve (int 0x80; 64-bit munmap never waits on an exec) */
    {358, true, 4},                     /* i386 execveat */
    {X32_SYSCALL_BIT | 520, false, 4},  /* x32 execve */
    {X32_SYSCALL_BIT | 545, true, 4},   /* x32 execveat */
};

/*
 * Reads /proc/TID/syscall (open as fd) into line once the thread sleeps:
 * 0, or -errno (-EBUSY: still running at until_ns). The kernel queues the
 * event before the thread goes to sleep waiting for our answer: until it
 * sleeps, the file says "running". It sleeps within moments unless it is
 * preempted (a loaded machine): the CPU is yielded to it, then slept on.
 */
static int read_when_asleep(int fd, char *line, size_t cap, uint64_t until_ns)
{
    int err = 0;
    for (unsigned tries = 0;; tries++) {
        ssize_t n = pread(fd, line, cap - 1, 0);
        if (n < 0) {
            err = -errno;
            break;
        }
        line[n] = '\0';
        if (strncmp(line, "running", 7) != 0)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec > until_ns) {
            err = -EBUSY;
            break;
        }
        if (tries < YIELDS)
            sched_yield();
        else
            nanosleep(&(struct timespec){0, 50 * 1000}, NULL);
    }
    return err;
}

/*
 * read_when_asleep() of thread tid's syscall file: the one kept open as
 * *fd if any (it names the task, not the number: once the thread is gone
 * it fails), else, or then, the file of the thread that has the number now
 * (left open in *fd; -1 if it cannot be opened).
 */
static int read_syscall_file(pid_t tgid, pid_t tid, int *fd, char *line, size_t cap, uint64_t until_ns)
{
    int err = *fd >= 0 ? read_when_asleep(*fd, line, cap, until_ns) : -ESRCH;
    if (!err || err == -EBUSY)
        return err;
    if (*fd >= 0)
        close(*fd);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)tgid, (int)tid);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    return *fd < 0 ? -errno : read_when_asleep(*fd, line, cap, until_ns);
}

int ext_exec_args_read(pid_t tgid, pid_t tid, uint64_t until_ns, int *syscall_fd, struct ext_exec_args *args)
{
#if defined(__x86_64__)
    char line[256];
    int err = read_syscall_file(tgid, tid, syscall_fd, line, sizeof(line), until_ns);
    if (err)
        return err;
    /* "NR ARG0 .. ARG5 SP PC" (the arguments in hex); "running", or "-1 SP PC": in no system call */
    char *at = line, *end;
    long nr = strtol(at, &end, 10);
    uint64_t a[6];
    for (int i = 0; i < 6 && end != at; i++)
        a[i] = strtoull(at = end, &end, 16);
    if (end == at)
        return -ENOEXEC;
    for (size_t i = 0; i < sizeof(exec_calls) / sizeof(exec_calls[0]); i++) {
        if (exec_calls[i].nr != nr)
            continue;
        bool at = exec_calls[i].at;
        uint64_t mask = exec_calls[i].ptr_size == 4 ? 0xffffffffu : ~0ull;
        *args = (struct ext_exec_args){
            .tid = tid,
            .tgid = tgid,
            .at = at,
            .dirfd = at ? (int)(uint32_t)a[0] : AT_FDCWD,
            .flags = at ? (int)(uint32_t)a[4] : 0,
            .path = a[at ? 1 : 0] & mask,
            .argv = a[at ? 2 : 1] & mask,
            .envp = a[at ? 3 : 2] & mask,
            .ptr_size = exec_calls[i].ptr_size,
        };
        return 0;
    }
    return -ENOEXEC;
#else
    (void)tgid, (void)tid, (void)until_ns, (void)syscall_fd, (void)args;
    return -ENOEXEC;
#endif
}
