/*
 * The trace pipe: bpf_trace_printk and its fixed-arity forms of eBPF for
 * Windows write lines into an in-process ring that tools follow with
 * core_trace_follow(), and into $BPFHOST_TRACE_PIPE if set (see core.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"

#define ERR(e) ((uint64_t)(int64_t)-(e))

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    pthread_cond_t grown; /* on CLOCK_MONOTONIC */
    uint64_t next_seq;
    int mirror_fd;
    char mirror_path[4096]; /* what mirror_fd was opened for */
    char lines[CORE_TRACE_LINES][CORE_TRACE_LINE_MAX];
} trace = {.once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .mirror_fd = -1};

static void trace_init(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&trace.grown, &attr);
    pthread_condattr_destroy(&attr);
}

/*
 * Writes a line to the mirror, opening it if needed. A FIFO without a
 * reader cannot be opened (ENXIO) or written (EPIPE): the line is dropped
 * and the next one tries again. SIGPIPE is blocked around the write and a
 * pending one consumed, so a reader going away never kills the host.
 */
static void mirror(const char *line, size_t len)
{
    const char *path = getenv("BPFHOST_TRACE_PIPE");
    if (trace.mirror_fd >= 0 && (!path || strcmp(path, trace.mirror_path) != 0)) { /* turned off or moved */
        close(trace.mirror_fd);
        trace.mirror_fd = -1;
    }
    if (!path || !*path || strlen(path) >= sizeof(trace.mirror_path))
        return;
    if (trace.mirror_fd < 0) {
        trace.mirror_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
        strcpy(trace.mirror_path, path);
    }
    if (trace.mirror_fd < 0)
        return;
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    if (write(trace.mirror_fd, line, len) < 0 && errno == EPIPE) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
        close(trace.mirror_fd);
        trace.mirror_fd = -1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * Writes line into out (cap bytes, NUL-terminated) with control bytes as
 * \xHH and backslashes doubled: lines carry strings processes control
 * (command lines, paths, printk'd data), and a newline or an escape
 * sequence in one must not forge another line of the mirror file.
 */
static size_t escape_controls(const char *line, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)line; *p && n + 5 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\') {
            out[n++] = '\\';
            if (*p == '\\') {
                out[n++] = '\\';
                continue;
            }
            out[n++] = 'x';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
    return n;
}

static void trace_emit(const char *line)
{
    pthread_once(&trace.once, trace_init);
    pthread_mutex_lock(&trace.lock);
    char *slot = trace.lines[trace.next_seq % CORE_TRACE_LINES];
    snprintf(slot, CORE_TRACE_LINE_MAX, "%s", line);
    trace.next_seq++;
    pthread_cond_broadcast(&trace.grown);
    char escaped[4 * CORE_TRACE_LINE_MAX + 2];
    size_t n = escape_controls(slot, escaped, sizeof(escaped) - 1);
    escaped[n++] = '\n';
    mirror(escaped, n);
    pthread_mutex_unlock(&trace.lock);
}

void core_trace_printf(const char *fmt, ...)
{
    char line[CORE_TRACE_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    trace_emit(line);
}

uint64_t core_trace_tail(void)
{
    pthread_mutex_lock(&trace.lock);
    uint64_t seq = trace.next_seq;
    pthread_mutex_unlock(&trace.lock);
    return seq;
}

int core_trace_follow(uint64_t *cursor, char *line, size_t len, int timeout_ms)
{
    pthread_once(&trace.once, trace_init);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms > 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
    }
    pthread_mutex_lock(&trace.lock);
    int rc = 0;
    while (*cursor >= trace.next_seq && rc == 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&trace.grown, &trace.lock);
        else
            rc = pthread_cond_timedwait(&trace.grown, &trace.lock, &deadline);
    }
    int lost = -ETIMEDOUT;
    if (*cursor < trace.next_seq) {
        uint64_t oldest = trace.next_seq > CORE_TRACE_LINES ? trace.next_seq - CORE_TRACE_LINES : 0;
        lost = *cursor < oldest ? (int)(oldest - *cursor) : 0;
        if (*cursor < oldest)
            *cursor = oldest;
        snprintf(line, len, "%s", trace.lines[*cursor % CORE_TRACE_LINES]);
        (*cursor)++;
    }
    pthread_mutex_unlock(&trace.lock);
    return lost;
}

/* Formats a program's message and appends it with who, where and when. */
static uint64_t printk(struct exec_env *env, uint64_t fmt_addr, uint64_t fmt_size, const uint64_t *args, size_t nargs)
{
    const char *fmt = exec_env_mem(env, fmt_addr, fmt_size, EXEC_READ);
    if (!fmt)
        return ERR(EFAULT);
    if (!memchr(fmt, 0, fmt_size))
        return ERR(EINVAL);
    char msg[CORE_TRACE_LINE_MAX];
    long n = core_format(env, msg, sizeof(msg), fmt, args, nargs);
    if (n < 0)
        return (uint64_t)n;
    size_t end = strlen(msg);
    while (end && msg[end - 1] == '\n') /* each message is a line of its own anyway */
        msg[--end] = '\0';
    const struct core_task *task = core_run_task(env);
    unsigned cpu = map_this_cpu(); /* the run's slot, as bpf_get_smp_processor_id() */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    char line[CORE_TRACE_LINE_MAX];
    snprintf(line, sizeof(line), "%s-%u [%03u] %lld.%06ld: %s: %s", task->comm, task->thread_id, cpu,
             (long long)now.tv_sec, now.tv_nsec / 1000, core_run_of(env)->prog->name, msg);
    trace_emit(line);
    return (uint64_t)n;
}

/* Also trace_printk5: both take up to three arguments. */
CORE_HELPER(core_helper_trace_printk)
{
    const uint64_t args[] = {r3, r4, r5};
    return printk(env, r1, r2, args, 3);
}

CORE_HELPER(core_helper_trace_printk2)
{
    (void)r3, (void)r4, (void)r5;
    return printk(env, r1, r2, NULL, 0);
}

CORE_HELPER(core_helper_trace_printk3)
{
    (void)r4, (void)r5;
    const uint64_t args[] = {r3};
    return printk(env, r1, r2, args, 1);
}

CORE_HELPER(core_helper_trace_printk4)
{
    (void)r5;
    const uint64_t args[] = {r3, r4};
    return printk(env, r1, r2, args, 2);
}
