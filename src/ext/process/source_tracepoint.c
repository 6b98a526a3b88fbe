/*
 * The tracepoint source (hook "process/tracepoint"): every exec on the
 * machine as a create with its exact argv and image, every process exit as
 * a delete with its exit code, observed after the fact (a program's return
 * denies nothing), at the cost of a kernel tracer.
 *
 * A small kernel eBPF program (tracepoints.bpf.c, built into this library
 * and loaded with libbpf) runs on the scheduler's sched_process_fork,
 * sched_process_exec and sched_process_exit tracepoints and copies what
 * each one says into a ring buffer: nothing races the process' exit, the
 * exec's arguments are read from its new image before it runs. The policy
 * programs run here, in user space, on those records, as on every other
 * source. Forks give fork-only children their parent's identity, and the
 * processes already running are read once from /proc at start
 * (proc_tracker.c), so every delete has an identity.
 *
 * One reader thread drains the ring (in windows under a storm,
 * read_window.c: the kernel program never waits for us, so draining late
 * only delays events) and dispatches. Loss is counted, never silent, one
 * per event: the forks, exits and execs the ring had no room for (counted
 * per CPU by the kernel program, read a second after records came, also
 * when no more come) and the execs whose parts did not all come.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ext/process/exec_target.h"
#include "ext/process/proc_connector.h"
#include "ext/process/proc_tracker.h"
#include "ext/process/tracepoint_kernel.h"
#include "ext/process/tracepoint_record.h"

#define TRACE_PREFIX "bpfhost: tracepoint: "

enum {
    PARTS_MAX = 64,         /* execs being put together at once (one per CPU in the kernel at a time) */
    STATUS_AFTER_MS = 1000, /* the kernel program's lost counter is read this long after records came */
    PARTS_AGAIN_US = 200,   /* an exec's parts drained without its TP_EXEC: the ring is read again this soon */
    STORM_MESSAGES = 8,     /* a storm: forks, execs and exits within 10 ms (three execs), as netlink's */
};

/* An exec whose parts are coming. */
struct exec_parts {
    uint32_t tgid; /* 0: free */
    char *path[3]; /* by enum tp_path_kind, NUL-terminated */
    bool cut[3];   /* the kernel program stopped walking that path: it lacks its first components */
    char *args;    /* argv as the kernel laid it out */
    size_t args_got, args_cap;
};

struct tracepoint_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    struct tp_kernel *kernel;
    uint64_t lost_counted;
    size_t records, events; /* by the reader's last drain: records, and of them forks, execs and exits */
    struct proc_tracker tracker;
    struct exec_parts parts[PARTS_MAX];
    int wake;         /* eventfd: stop() ends the reader */
    int status_timer; /* timerfd: the loss check due STATUS_AFTER_MS after records came, or a look again */
    pthread_t reader;
    bool reader_started;
};

/* ------------------------------------------------------------------------ */
/* An exec's parts.                                                         */

static void parts_free(struct exec_parts *p)
{
    for (int i = 0; i < 3; i++)
        free(p->path[i]);
    free(p->args);
    *p = (struct exec_parts){0};
}

/* The parts of tgid's exec, found or begun; NULL when none is free (the oldest is then given up, counted). */
static struct exec_parts *parts_of(struct tracepoint_source *s, uint32_t tgid, bool begin)
{
    struct exec_parts *free_slot = NULL;
    for (size_t i = 0; i < PARTS_MAX; i++) {
        if (s->parts[i].tgid == tgid)
            return &s->parts[i];
        if (!s->parts[i].tgid && !free_slot)
            free_slot = &s->parts[i];
    }
    if (!begin)
        return NULL;
    if (!free_slot) {
        /* More execs in flight than the kernel can have: one's TP_EXEC was lost (the kernel program counted it). */
        free_slot = &s->parts[tgid % PARTS_MAX];
        core_trace_printf(TRACE_PREFIX "the exec of pid %u never finished (its record lost)", free_slot->tgid);
        parts_free(free_slot);
    }
    free_slot->tgid = tgid;
    return free_slot;
}

/* Drops the parts of an exec whose TP_EXEC never came (lost, counted by the kernel program), before tgid's next one. */
static void parts_give_up(struct tracepoint_source *s, uint32_t tgid)
{
    struct exec_parts *p = parts_of(s, tgid, false);
    if (!p)
        return;
    core_trace_printf(TRACE_PREFIX "the exec of pid %u never finished (its record lost)", tgid);
    parts_free(p);
}

static int add_path(struct exec_parts *p, const struct tp_record *r, const char *data)
{
    if (r->value > TP_PATH_CWD || r->len >= PATH_MAX)
        return -EINVAL;
    free(p->path[r->value]);
    p->path[r->value] = strndup(data, r->len);
    p->cut[r->value] = r->flags & TP_PATH_CUT;
    return p->path[r->value] ? 0 : -ENOMEM;
}

static int add_args(struct exec_parts *p, const struct tp_record *r, const char *data)
{
    size_t end = (size_t)r->value + r->len;
    if (end > TP_ARGS_MAX)
        return -EINVAL;
    if (r->value != p->args_got)
        return 0; /* chunks come in order from one thread: a gap means one was lost (its exec says so, counted) */
    if (end > p->args_cap) {
        size_t cap = p->args_cap ? p->args_cap : 256;
        while (cap < end)
            cap *= 2;
        char *grown = realloc(p->args, cap);
        if (!grown)
            return -ENOMEM;
        p->args = grown;
        p->args_cap = cap;
    }
    memcpy(p->args + r->value, data, r->len);
    p->args_got = end;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Records to events.                                                       */

/* What a create shows of the file an exec ran. */
struct image {
    char path[PATH_MAX]; /* "" when not known */
    char file[PATH_MAX]; /* a path that opens it from here, for its digest ("": none) */
    uint64_t dev, ino;   /* 0 when not known */
};

/* The link at path (a /proc magic link) into *out: its text as the path, the file's device and inode; or false. */
static bool image_at(const char *path, struct image *out)
{
    struct stat st;
    ssize_t n = readlink(path, out->path, sizeof(out->path) - 1);
    if (n <= 0 || stat(path, &st) != 0)
        return false;
    out->path[n] = '\0';
    snprintf(out->file, sizeof(out->file), "%s", path);
    out->dev = (uint64_t)st.st_dev;
    out->ino = (uint64_t)st.st_ino;
    return true;
}

/*
 * The image of an exec: the file the process runs, as the kernel named
 * it; for an interpreted file (a script) the file the exec named,
 * resolved against its working directory, links followed. A path the
 * kernel program could not walk whole is read from /proc while the
 * process runs that file, else left unknown: never shown cut.
 */
static void image_of(const struct tp_record *r, const struct exec_parts *p, struct image *out)
{
    const char *exe = p->path[TP_PATH_EXE], *name = p->path[TP_PATH_NAME], *cwd = p->path[TP_PATH_CWD];
    *out = (struct image){.dev = makedev(r->dev >> 20, r->dev & 0xfffff), .ino = r->ino};
    char abs[PATH_MAX], resolved[PATH_MAX];
    if (!(r->flags & TP_INTERPRETED) || !name || !name[0]) {
        snprintf(abs, sizeof(abs), "/proc/%u/exe", r->tgid);
        if (exe && !p->cut[TP_PATH_EXE]) {
            snprintf(out->path, sizeof(out->path), "%s", exe);
            snprintf(out->file, sizeof(out->file), "%s", abs);
            return;
        }
        struct image now;
        if (image_at(abs, &now) && now.dev == out->dev && now.ino == out->ino)
            *out = now;
        return;
    }
    out->dev = out->ino = 0; /* the interpreter's: not the image's */
    if (name[0] != '/' && (!cwd || p->cut[TP_PATH_CWD]))
        return;
    if (name[0] == '/')
        snprintf(abs, sizeof(abs), "%s", name);
    else
        snprintf(abs, sizeof(abs), "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", name);
    char own[PATH_MAX];
    bool theirs = ext_exec_name_in_proc(r->tgid, abs, own, sizeof(own));
    if (!realpath(theirs ? own : abs, resolved)) {
        /* a descriptor of a file with no path (a memfd, a deleted file) while it is open; else the name as given */
        if (!theirs || !image_at(own, out))
            snprintf(out->path, sizeof(out->path), "%s", abs);
        return;
    }
    snprintf(out->path, sizeof(out->path), "%s", resolved);
    struct stat st;
    if (stat(resolved, &st) == 0) {
        snprintf(out->file, sizeof(out->file), "%s", resolved);
        out->dev = (uint64_t)st.st_dev;
        out->ino = (uint64_t)st.st_ino;
    }
}

/*
 * argv as the kernel laid it out, joined by spaces in place: every string
 * ends in a NUL, so only the last NUL goes (an empty last argument stays a
 * space, as the supervised source shows it); a cut argv ends mid-string.
 */
static size_t join_args(char *args, size_t len)
{
    if (len && args[len - 1] == '\0')
        len--;
    for (size_t i = 0; i < len; i++)
        if (args[i] == '\0')
            args[i] = ' ';
    return len;
}

static void create_from_exec(struct tracepoint_source *s, const struct tp_record *r)
{
    struct exec_parts none = {0}, *p = parts_of(s, r->tgid, false);
    if (!p)
        p = &none;
    bool complete = !(r->flags & (TP_ARGS_CUT | TP_PARTS_LOST | TP_UNREADABLE | TP_PATH_CUT)) &&
                    p->args_got == r->args_len && p->path[TP_PATH_EXE];
    size_t args_len = join_args(p->args, p->args_got);
    struct image image;
    image_of(r, p, &image);
    uint64_t dev = image.dev, ino = image.ino;

    const struct pid_record *known = proc_tracker_get(&s->tracker, r->tgid);
    struct pid_record rec = {
        .ppid = r->parent, .uid = r->uid, .gid = r->gid,
        .creation_time = known && known->creation_time ? known->creation_time
                                                       : ext_filetime_from_monotonic_ns(r->time_ns),
        .exe_device = dev, .exe_inode = ino,
        .image_path = image.path, .image_path_len = strlen(image.path), .command_line = p->args,
        .command_line_len = args_len};
    memcpy(rec.comm, r->comm, sizeof(rec.comm));
    struct ext_process_event e = {
        .md = {.operation = PROCESS_OPERATION_CREATE, .process_id = r->tgid, .parent_process_id = r->parent,
               .creating_process_id = r->tgid, .creating_thread_id = r->tid, .creation_time = rec.creation_time,
               .image_kind = PROCESS_IMAGE_PROGRAM, .image_device = dev, .image_inode = ino},
        .command_line = p->args, .command_line_len = args_len,
        .image_path = image.path, .image_path_len = rec.image_path_len,
        .image_file = image.file[0] ? image.file : NULL,
        .task = {.process_id = r->tgid, .thread_id = r->tid, .uid = r->uid, .gid = r->gid},
    };
    ext_process_set_account(&e.md, r->uid, r->gid);
    memcpy(e.task.comm, r->comm, sizeof(e.task.comm));
    if (!complete) {
        bool lost = (r->flags & TP_PARTS_LOST) || p->args_got != r->args_len || !p->path[TP_PATH_EXE];
        atomic_fetch_add(lost ? &s->counters->lost : &s->counters->errors, 1);
        core_trace_printf(TRACE_PREFIX "exec of %s by pid %u: %s", image.path[0] ? image.path : "(image unknown)",
                          r->tgid,
                          lost                           ? "part of its record lost (ring buffer full)"
                          : r->flags & TP_ARGS_CUT       ? "arguments cut at 2 MiB"
                          : r->flags & TP_UNREADABLE     ? "arguments unreadable"
                          : image.path[0]                ? "path longer than the kernel program walks (read from /proc)"
                                                         : "path longer than the kernel program walks (image unknown)");
    }
    ext_dispatch_observed(s->hook, s->counters, &e, TRACE_PREFIX);
    proc_tracker_put(&s->tracker, r->tgid, &rec);
    parts_free(p);
}

static void handle_exit(struct tracepoint_source *s, const struct tp_record *r)
{
    parts_give_up(s, r->tgid);
    struct proc_event ev = {.what = PROC_EVENT_EXIT, .timestamp_ns = r->time_ns};
    ev.event_data.exit.process_pid = (int)r->tid;
    ev.event_data.exit.process_tgid = (int)r->tgid;
    ev.event_data.exit.exit_code = r->value;
    ev.event_data.exit.parent_pid = ev.event_data.exit.parent_tgid = (int)r->parent;
    struct ext_process_event e;
    if (proc_tracker_exit(&s->tracker, &ev, &e)) {
        ext_dispatch_observed(s->hook, s->counters, &e, TRACE_PREFIX);
        proc_tracker_forget(&s->tracker, r->tgid);
    }
}

static void handle_fork(struct tracepoint_source *s, const struct tp_record *r)
{
    parts_give_up(s, r->tgid); /* a pid reused: what was left of its last process is stale */
    struct proc_event ev = {.what = PROC_EVENT_FORK, .timestamp_ns = r->time_ns};
    ev.event_data.fork.parent_pid = ev.event_data.fork.parent_tgid = (int)r->parent;
    ev.event_data.fork.child_pid = ev.event_data.fork.child_tgid = (int)r->tgid;
    proc_tracker_fork(&s->tracker, &ev);
}

/* One record of the ring. */
static void on_record(void *arg, const void *data, size_t size)
{
    struct tracepoint_source *s = arg;
    const struct tp_record *r = data;
    s->records++;
    if (size < sizeof(*r) || r->len > size - sizeof(*r)) {
        atomic_fetch_add(&s->counters->errors, 1);
        core_trace_printf(TRACE_PREFIX "a record of %zu bytes is malformed: skipped", size);
        return;
    }
    const char *payload = (const char *)(r + 1);
    int err = 0;
    s->events += r->type == TP_FORK || r->type == TP_EXIT || r->type == TP_EXEC;
    switch (r->type) {
    case TP_FORK:
        handle_fork(s, r);
        break;
    case TP_EXIT:
        handle_exit(s, r);
        break;
    case TP_EXEC_PATH:
    case TP_EXEC_ARGS: {
        struct exec_parts *p = parts_of(s, r->tgid, true);
        err = r->type == TP_EXEC_PATH ? add_path(p, r, payload) : add_args(p, r, payload);
        break;
    }
    case TP_EXEC:
        create_from_exec(s, r);
        break;
    default:
        err = -EINVAL;
    }
    if (err) {
        atomic_fetch_add(&s->counters->errors, 1);
        core_trace_printf(TRACE_PREFIX "record %u of pid %u: %s", r->type, r->tgid, strerror(-err));
    }
}

/* ------------------------------------------------------------------------ */
/* The reader.                                                              */

/* Adds what the kernel program could not put in the ring since it was last read. */
static void count_kernel_loss(struct tracepoint_source *s)
{
    uint64_t total;
    if (tp_kernel_lost(s->kernel, &total) != 0 || total <= s->lost_counted)
        return;
    atomic_fetch_add(&s->counters->lost, total - s->lost_counted);
    core_trace_printf(TRACE_PREFIX "the ring buffer was full: %llu forks, exits or execs lost",
                      (unsigned long long)(total - s->lost_counted));
    s->lost_counted = total;
}

/* Sets the reader's timer to go off in us microseconds. */
static void arm_timer(struct tracepoint_source *s, long us)
{
    struct itimerspec due = {.it_value = {.tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000}};
    timerfd_settime(s->status_timer, 0, &due, NULL);
}

/* Whether an exec's parts came without its TP_EXEC yet. */
static bool parts_pending(const struct tracepoint_source *s)
{
    for (size_t i = 0; i < PARTS_MAX; i++)
        if (s->parts[i].tgid)
            return true;
    return false;
}

static void *reader_main(void *arg)
{
    struct tracepoint_source *s = arg;
    struct pollfd fds[3] = {{.fd = tp_kernel_fd(s->kernel), .events = POLLIN},
                            {.fd = s->wake, .events = POLLIN},
                            {.fd = s->status_timer, .events = POLLIN}};
    struct read_window window = {.storm_messages = STORM_MESSAGES};
    bool status_due = false; /* the timer runs: records came since the last check */
    /* Woken by an exec's record on a busy machine, it runs before the running tasks' longer slices end
     * (thread_slice.c). For the thread's life: it ends with the source. */
    struct ext_slice kept;
    ext_slice_shorten(&kept);
    int err;
    while ((err = read_window_wait(&window, fds, 3, 0)) == 0) {
        if (fds[1].revents)
            return NULL;
        if (fds[2].revents) { /* a second after records came: a loss among them is counted even if none follow */
            uint64_t expirations;
            if (read(s->status_timer, &expirations, sizeof(expirations)) > 0)
                count_kernel_loss(s);
            status_due = false;
        }
        s->records = s->events = 0;
        /* The programs' ring-buffer consumers are woken once per drain (or per 64 wake-ups), not per event. */
        ringbuf_hold_wakeups();
        int n = tp_kernel_drain(s->kernel);
        ringbuf_release_wakeups();
        if (n < 0) {
            err = n;
            break;
        }
        read_window_drained(&window, s->events); /* a storm by events, as the proc connector's readers count */
        /* The ring wakes a reader only for a record written once it had read all before: a TP_EXEC committed
         * while the reader was still taking its exec's parts may wake nobody, so the reader looks again. */
        if (parts_pending(s)) {
            arm_timer(s, PARTS_AGAIN_US);
            status_due = true;
        } else if (s->records && !status_due) {
            arm_timer(s, STATUS_AFTER_MS * 1000L);
            status_due = true;
        }
    }
    atomic_fetch_add(&s->counters->errors, 1);
    core_trace_printf(TRACE_PREFIX "reader stopped, no more events until the source restarts: %s", strerror(-err));
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start and stop.                                                          */

static void log_libbpf(const char *line)
{
    core_trace_printf(TRACE_PREFIX "libbpf: %s", line);
}

static void destroy(struct tracepoint_source *s)
{
    if (s->reader_started) {
        ext_wake(s->wake, TRACE_PREFIX);
        pthread_join(s->reader, NULL);
    }
    tp_kernel_close(s->kernel);
    for (size_t i = 0; i < PARTS_MAX; i++)
        parts_free(&s->parts[i]);
    proc_tracker_free(&s->tracker);
    if (s->wake >= 0)
        close(s->wake);
    if (s->status_timer >= 0)
        close(s->status_timer);
    free(s);
}

/*
 * Whether the host sees the kernel's own pids: the kernel program reports
 * them, which are not those of a pid namespace the host may run in. The
 * initial pid namespace has a fixed inode number (the kernel's
 * PROC_PID_INIT_INO), whichever /proc is mounted.
 */
static bool pids_are_the_kernels(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == 0xEFFFFFFCu;
}

static int tracepoint_start(struct core_hook *hook, struct ext_source_counters *counters, void **state)
{
    if (!pids_are_the_kernels()) {
        core_trace_printf(TRACE_PREFIX "not started: the host does not run in the initial pid namespace (or has "
                          "no /proc), and the kernel program reports the initial namespace's pids");
        return -EOPNOTSUPP;
    }
    struct tracepoint_source *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->hook = hook;
    s->counters = counters;
    s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->status_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    int err = s->wake < 0 || s->status_timer < 0 ? -errno : 0;
    if (!err)
        err = proc_tracker_init(&s->tracker, counters, TRACE_PREFIX);
    /* Attach first, then read /proc: every process is read or seen forking; the ring keeps what comes meanwhile. */
    if (!err && (err = tp_kernel_open(on_record, s, log_libbpf, &s->kernel)) != 0)
        core_trace_printf(TRACE_PREFIX "the kernel program did not load: %s (it needs root, or CAP_BPF and "
                          "CAP_PERFMON, and a kernel with BTF: /sys/kernel/btf/vmlinux)", strerror(-err));
    if (!err) {
        proc_tracker_scan(&s->tracker);
        err = -pthread_create(&s->reader, NULL, reader_main, s);
        s->reader_started = !err;
    }
    if (err) {
        destroy(s);
        return err;
    }
    *state = s;
    return 0;
}

static void tracepoint_stop(void *state)
{
    destroy(state);
}

const struct ext_source_ops ext_source_tracepoint = {
    .hook_name = EXT_PROCESS_HOOK_TRACEPOINT,
    .start = tracepoint_start,
    .stop = tracepoint_stop,
};
