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
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ext/process/exec_target.h"

#define X32_SYSCALL_BIT 0x40000000
#define RUNNING_WAIT_NS (100 * 1000 * 1000ll)

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

/* Reads /proc/TID/syscall into line: 0 or -errno. */
static int read_syscall_file(const char *path, char *line, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = pread(fd, line, cap - 1, 0);
    int err = n < 0 ? -errno : 0;
    close(fd);
    if (!err)
        line[n] = '\0';
    return err;
}

int ext_exec_args_read(pid_t tgid, pid_t tid, struct ext_exec_args *args)
{
#if defined(__x86_64__)
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)tgid, (int)tid);
    /* The kernel queues the event before the thread goes to sleep waiting for our answer: until it
     * sleeps, the file says "running". It sleeps within moments; a thread still running after
     * RUNNING_WAIT_NS is given up on (its exec is then shown without its arguments). */
    struct timespec start, now, pause = {0, 20 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int err = read_syscall_file(path, line, sizeof(line));
        if (err)
            return err;
        if (strncmp(line, "running", 7) != 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000000000ll + (now.tv_nsec - start.tv_nsec) > RUNNING_WAIT_NS)
            return -EBUSY;
        nanosleep(&pause, NULL);
    }
    long nr;
    uint64_t a[6];
    if (sscanf(line, "%ld %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64, &nr, &a[0], &a[1],
               &a[2], &a[3], &a[4], &a[5]) != 7)
        return -ENOEXEC; /* "running", or "-1 sp pc": in no system call */
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
    (void)tgid, (void)tid, (void)args;
    return -ENOEXEC;
#endif
}
