/*
 * What the event sources read about a process from /proc, and FILETIME
 * conversions. A process may be gone by the time we look (it exited right
 * after its exec): every field is best effort and stays empty if unread.
 */
#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ext/internal.h"

uint64_t ext_filetime_from_unix_ns(uint64_t unix_ns)
{
    return unix_ns / 100 + EXT_FILETIME_UNIX_EPOCH;
}

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ext_filetime_from_monotonic_ns(uint64_t mono_ns)
{
    uint64_t real = clock_ns(CLOCK_REALTIME), mono = clock_ns(CLOCK_MONOTONIC);
    return ext_filetime_from_unix_ns(real - (mono - mono_ns));
}

uint64_t ext_monotonic_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ext_filetime_now(void)
{
    return ext_filetime_from_unix_ns(clock_ns(CLOCK_REALTIME));
}

size_t ext_join_args(char *args, size_t len)
{
    while (len && args[len - 1] == '\0')
        len--;
    for (size_t i = 0; i < len; i++)
        if (args[i] == '\0')
            args[i] = ' ';
    return len;
}

/* Reads a whole small file into buf (NUL-terminated); bytes read, or -errno. */
static long read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        /* The files read here (single-record seq files, cmdline) give all they have at once: short means done. */
        if ((size_t)r < cap - 1 - (n - (size_t)r))
            break;
    }
    close(fd);
    buf[n] = '\0';
    return (long)n;
}

/* Boot time in ns since the Unix epoch (btime of /proc/stat, whole seconds). */
static uint64_t boot_time_ns(void)
{
    static _Atomic uint64_t cached;
    uint64_t t = cached;
    if (t)
        return t;
    char buf[8192];
    if (read_file("/proc/stat", buf, sizeof(buf)) > 0) {
        const char *p = strstr(buf, "\nbtime ");
        if (p)
            t = strtoull(p + 7, NULL, 10) * 1000000000ull;
    }
    cached = t;
    return t;
}

/* The field n space-separated fields after s (n >= 1), or NULL if the text ends first. */
static const char *skip_fields(const char *s, int n)
{
    for (int i = 0; s && i < n; i++) {
        s = strchr(s, ' ');
        s = s ? s + 1 : NULL;
    }
    return s;
}

/*
 * ppid, start time and comm from the text of /proc/PID/stat (fields 4 and
 * 22; the comm is field 2, between the first '(' and the last ')').
 */
static void parse_stat(const char *buf, struct ext_proc_info *info)
{
    const char *open = strchr(buf, '('), *p = strrchr(buf, ')');
    if (!open || !p || p < open)
        return;
    size_t comm = (size_t)(p - open - 1) < sizeof(info->comm) - 1 ? (size_t)(p - open - 1) : sizeof(info->comm) - 1;
    memcpy(info->comm, open + 1, comm);
    info->comm[comm] = '\0';
    /* After the comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     * cutime cstime priority nice threads itrealvalue starttime (a scanf of them costs more than the read) */
    const char *ppid = skip_fields(p + 1, 2), *start_at = skip_fields(ppid, 18);
    char *end;
    unsigned long long start = start_at ? strtoull(start_at, &end, 10) : 0;
    if (ppid && start_at && end != start_at) {
        info->ppid = (uint32_t)strtoul(ppid, NULL, 10);
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t boot = boot_time_ns();
        if (hz > 0 && boot)
            info->start_filetime = ext_filetime_from_unix_ns(boot + start * (1000000000ull / (uint64_t)hz));
    }
}

/* parse_stat() of /proc/PID/stat (dir: /proc/PID); false if unreadable. */
static bool read_stat(const char *dir, struct ext_proc_info *info)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "%s/stat", dir);
    if (read_file(path, buf, sizeof(buf)) <= 0)
        return false;
    parse_stat(buf, info);
    return true;
}

/* Real uid and gid from the text of a /proc status file. */
static void parse_ids(const char *status, struct ext_proc_info *info)
{
    const char *u = strstr(status, "\nUid:"), *g = strstr(status, "\nGid:");
    if (u)
        info->uid = (uint32_t)strtoul(u + 5, NULL, 10);
    if (g)
        info->gid = (uint32_t)strtoul(g + 5, NULL, 10);
}

/* Real uid and gid from /proc/PID/status. */
static void read_status(const char *dir, struct ext_proc_info *info)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "%s/status", dir);
    if (read_file(path, buf, sizeof(buf)) > 0)
        parse_ids(buf, info);
}

/* /proc/<tid>/status into buf and the tgid it names: the tgid, or -errno (-ESRCH without one). */
static int read_thread_status(uint32_t tid, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%u/status", tid);
    long n = read_file(path, buf, cap);
    if (n < 0)
        return (int)n;
    const char *t = strstr(buf, "\nTgid:");
    return t ? (int)strtol(t + 6, NULL, 10) : -ESRCH;
}

/* PIDFD_GET_INFO (Linux 6.13, <linux/pidfd.h>; the C library's headers may predate it). */
struct pidfd_thread_info {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid, spare0;
};
#define PIDFD_THREAD_FLAG O_EXCL /* PIDFD_THREAD (Linux 6.9): a pidfd of any thread, not only a leader */
#define PIDFD_GET_INFO_IOCTL _IOWR(0xFF, 11, struct pidfd_thread_info)
#define PIDFD_INFO_PID_CREDS 3ull /* PIDFD_INFO_PID | PIDFD_INFO_CREDS */

/* Set once the kernel is found without PIDFD_THREAD or PIDFD_GET_INFO: status is read instead. */
static atomic_bool no_pidfd_info;

/* A pidfd of thread tid (PIDFD_THREAD), or -errno: -ESRCH the thread is gone, -ENOSYS the kernel cannot (use status). */
static int thread_pidfd(uint32_t tid)
{
    if (atomic_load_explicit(&no_pidfd_info, memory_order_relaxed))
        return -ENOSYS;
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)tid, PIDFD_THREAD_FLAG);
    if (fd >= 0)
        return fd;
    if (errno == EINVAL || errno == ENOSYS) {
        atomic_store(&no_pidfd_info, true);
        return -ENOSYS;
    }
    return -errno;
}

/*
 * The tgid and real ids of the thread of pidfd from PIDFD_GET_INFO
 * (numbers of our pid and user namespaces, as /proc gives them), which the
 * kernel fills without formatting the ~1.4 KB of /proc/TID/status (the
 * largest single cost of an exec open, profiled). 0, -errno (the thread
 * is gone), or 1 when the kernel cannot (then use status).
 */
static int pidfd_ids(int fd, uint32_t *tgid, struct ext_proc_info *info)
{
    struct pidfd_thread_info pi = {.mask = PIDFD_INFO_PID_CREDS};
    int rc = ioctl(fd, PIDFD_GET_INFO_IOCTL, &pi);
    int err = rc < 0 ? errno : 0;
    if (err == ENOTTY || err == EINVAL) {
        atomic_store(&no_pidfd_info, true);
        return 1;
    }
    if (err)
        return -err; /* ESRCH: it exited, or is not in our pid namespace */
    if ((pi.mask & PIDFD_INFO_PID_CREDS) != PIDFD_INFO_PID_CREDS || !pi.tgid)
        return -ESRCH;
    *tgid = pi.tgid;
    info->uid = pi.ruid;
    info->gid = pi.rgid;
    return 0;
}

/* Thread tid's tgid and real ids from a pidfd of it (see pidfd_ids()): 0, -errno, or 1 (use status). */
static int pidfd_thread_ids(uint32_t tid, uint32_t *tgid, struct ext_proc_info *info)
{
    int fd = thread_pidfd(tid);
    if (fd < 0)
        return fd == -ENOSYS ? 1 : fd;
    int rc = pidfd_ids(fd, tgid, info);
    close(fd);
    return rc;
}

int ext_proc_tgid(uint32_t tid)
{
    struct ext_proc_info ids;
    uint32_t tgid;
    int err = pidfd_thread_ids(tid, &tgid, &ids);
    if (err <= 0)
        return err ? err : (int)tgid;
    char buf[4096];
    return read_thread_status(tid, buf, sizeof(buf));
}

int ext_proc_read_thread(uint32_t tid, uint32_t *tgid, struct ext_proc_info *info)
{
    memset(info, 0, offsetof(struct ext_proc_info, image_path));
    info->image_path[0] = '\0';
    info->command_line_len = 0;
    int err = pidfd_thread_ids(tid, tgid, info);
    if (err < 0)
        return err;
    if (err > 0) {
        char buf[4096];
        int t = read_thread_status(tid, buf, sizeof(buf));
        if (t < 0)
            return t;
        *tgid = (uint32_t)t;
        parse_ids(buf, info);
    }
    char dir[32];
    snprintf(dir, sizeof(dir), "/proc/%u", *tgid);
    read_stat(dir, info);
    return 0;
}

int ext_proc_read_leader(int pidfd, uint32_t pid, struct ext_proc_info *info)
{
    memset(info, 0, offsetof(struct ext_proc_info, image_path));
    info->image_path[0] = '\0';
    info->command_line_len = 0;
    uint32_t tgid;
    int err = pidfd_ids(pidfd, &tgid, info);
    if (err)
        return err < 0 ? err : -ENOTTY;
    if (tgid != pid)
        return -ESRCH;
    char dir[32];
    snprintf(dir, sizeof(dir), "/proc/%u", pid);
    read_stat(dir, info);
    return 0;
}

void ext_proc_thread_init(struct ext_proc_thread *t)
{
    *t = (struct ext_proc_thread){.pidfd = -1, .stat_fd = -1};
}

void ext_proc_thread_close(struct ext_proc_thread *t)
{
    if (t->pidfd >= 0)
        close(t->pidfd);
    if (t->stat_fd >= 0)
        close(t->stat_fd);
    ext_proc_thread_init(t);
}

/* The ids through t's pidfd and the stat text through its stat file, when t is thread tid still running; 0 or -errno. */
static int read_kept(const struct ext_proc_thread *t, uint32_t tid, uint32_t *tgid, struct ext_proc_info *info)
{
    if (t->tid != tid || t->pidfd < 0 || t->stat_fd < 0)
        return -ESRCH;
    uint32_t now_tgid;
    int err = pidfd_ids(t->pidfd, &now_tgid, info);
    if (err)
        return err < 0 ? err : -ENOTTY;
    if (now_tgid != t->tgid)
        return -ESRCH; /* (a thread's tgid never changes; checked all the same) */
    char buf[1024];
    ssize_t n = pread(t->stat_fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return n < 0 ? -errno : -ESRCH;
    buf[n] = '\0';
    parse_stat(buf, info);
    *tgid = now_tgid;
    return 0;
}

int ext_proc_read_thread_kept(struct ext_proc_thread *t, uint32_t tid, uint32_t *tgid, struct ext_proc_info *info)
{
    memset(info, 0, offsetof(struct ext_proc_info, image_path));
    info->image_path[0] = '\0';
    info->command_line_len = 0;
    if (read_kept(t, tid, tgid, info) == 0)
        return 0;
    ext_proc_thread_close(t);
    memset(info, 0, offsetof(struct ext_proc_info, image_path));
    int fd = thread_pidfd(tid);
    if (fd == -ENOSYS)
        return ext_proc_read_thread(tid, tgid, info); /* no PIDFD_GET_INFO: nothing to keep */
    if (fd < 0)
        return fd;
    int err = pidfd_ids(fd, tgid, info);
    if (err) {
        close(fd);
        return err < 0 ? err : ext_proc_read_thread(tid, tgid, info);
    }
    char path[48];
    snprintf(path, sizeof(path), "/proc/%u/stat", *tgid);
    int stat_fd = open(path, O_RDONLY | O_CLOEXEC);
    char buf[1024];
    ssize_t n = stat_fd >= 0 ? pread(stat_fd, buf, sizeof(buf) - 1, 0) : -1;
    if (n > 0) {
        buf[n] = '\0';
        parse_stat(buf, info);
        *t = (struct ext_proc_thread){.tid = tid, .tgid = *tgid, .pidfd = fd, .stat_fd = stat_fd};
        return 0;
    }
    /* The process went while we looked (its ids were read): what could be read is kept, nothing else. */
    if (stat_fd >= 0)
        close(stat_fd);
    close(fd);
    return 0;
}

uint32_t ext_exit_code(int status)
{
    return WIFSIGNALED(status) ? 128u + (uint32_t)WTERMSIG(status) : (uint32_t)WEXITSTATUS(status);
}

int ext_proc_read_ids(uint32_t pid, struct ext_proc_info *info)
{
    info->ppid = info->uid = info->gid = 0;
    info->start_filetime = 0;
    info->comm[0] = info->image_path[0] = '\0';
    info->command_line_len = 0;
    char dir[32];
    snprintf(dir, sizeof(dir), "/proc/%u", pid);
    if (!read_stat(dir, info))
        return -ENOENT;
    uint32_t tgid;
    if (pidfd_thread_ids(pid, &tgid, info) > 0) /* the kernel has no PIDFD_GET_INFO */
        read_status(dir, info);
    return 0;
}

int ext_proc_read(uint32_t pid, struct ext_proc_info *info)
{
    int err = ext_proc_read_ids(pid, info);
    if (err)
        return err;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%u/exe", pid);
    ssize_t n = readlink(path, info->image_path, sizeof(info->image_path) - 1);
    info->image_path[n > 0 ? n : 0] = '\0';
    snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
    long len = read_file(path, info->command_line, sizeof(info->command_line));
    info->command_line_len = len > 0 ? ext_join_args(info->command_line, (size_t)len) : 0;
    return 0;
}
