/*
 * The audit source (hook "process/audit"): every exec on the machine as a
 * create with its exact argv and image, every process exit as a delete,
 * observed after the fact (a program's return denies nothing).
 *
 * The kernel's audit writes, at the end of each successful execve, records
 * of who ran what (audit_records.c) from the new image's own argument
 * strings: nothing races the process' exit. The proc connector gives the
 * forks, execs and exits in the order each process made them, so an exit
 * is handled after its process' exec, and a fork-only child or a process
 * already running when the source started (read once from /proc) has an
 * identity for its delete (proc_tracker.c).
 *
 * Two threads: the reader takes both sockets' messages as they come into
 * memory, in windows under a storm (read_window.c; so a slow program never
 * makes the kernel's audit backlog wait),
 * the dispatcher pairs each exec message with its process' audit event
 * and runs the programs, in each process' order. An exec whose audit
 * event has not come holds only its own process' later events (and its
 * children's, which inherit its identity) up to AUDIT_WAIT_MS; after that
 * it is reported from /proc like the netlink source would, and counted
 * lost. Loss is counted, never silent: the kernel's audit lost counter
 * (read every second), overruns of the read-only group's socket, audit
 * events left unfinished, the proc connector's gaps, our queues' bounds.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/process/audit.h"
#include "ext/process/exec_target.h"
#include "ext/process/proc_connector.h"
#include "ext/process/proc_tracker.h"

#define TRACE_PREFIX "bpfhost: audit: "

enum {
    AUDIT_WAIT_MS = 3000,        /* how long an exec waits for its audit event (kauditd lags under a storm) */
    TIMELINE_MAX = 65536,        /* proc connector messages waiting to be handled */
    ITEMS_MAX = 8192,            /* audit events waiting for their exec message */
    ITEM_KEEP_MS = 15000,        /* an audit event whose exec message never came is dropped after this */
    SCAN_MAX = 4096,             /* messages looked at past the first held one */
    HELD_MAX = 64,               /* processes held at once, beyond which handling waits in order */
    STATUS_EVERY_MS = 1000,
    STORM_MESSAGES = 24,         /* a storm: an exec brings 3 proc connector messages and about 7 audit records */
};

/* A proc connector message waiting to be handled. */
struct tl_entry {
    struct proc_event ev;
    uint64_t arrived_ns;
    bool done;
};

/* An audit exec event waiting for its exec message. */
struct audit_item {
    uint32_t pid, ppid, uid, gid;
    uint64_t dev, ino, arrived_ns;
    bool complete;           /* every argument came, none cut */
    char comm[16];
    char *exe, *cwd, *name;  /* point into strings */
    char *args;
    size_t args_len;
    char strings[];
};

struct audit_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    struct audit_link link;
    struct audit_assembler assembler;
    struct proc_connector *pc;
    struct proc_tracker tracker;   /* the dispatcher's */
    int wake;                      /* eventfd: stop() ends the reader */
    pthread_t reader, dispatcher;
    bool reader_started, dispatcher_started;
    uint64_t overruns_counted, dropped_counted;
    uint32_t kernel_lost;          /* the kernel's lost counter last read */
    size_t records_read;           /* by the reader's last drain */

    pthread_mutex_t lock;          /* guards what follows */
    pthread_cond_t cond;           /* CLOCK_MONOTONIC: new work, or stop */
    bool quit;
    struct tl_entry *timeline;     /* ring of TIMELINE_MAX */
    size_t head, count;
    struct audit_item **items;     /* oldest first */
    size_t item_count;
};

/* ------------------------------------------------------------------------ */
/* The reader.                                                              */

static void on_proc_event(void *arg, const struct proc_event *ev)
{
    struct audit_source *s = arg;
    pthread_mutex_lock(&s->lock);
    if (s->count == TIMELINE_MAX) {
        pthread_mutex_unlock(&s->lock);
        atomic_fetch_add(&s->counters->lost, 1);
        core_trace_printf(TRACE_PREFIX "%d process messages wait: one dropped", TIMELINE_MAX);
        return;
    }
    struct tl_entry *e = &s->timeline[(s->head + s->count++) % TIMELINE_MAX];
    *e = (struct tl_entry){.ev = *ev, .arrived_ns = ext_monotonic_ns()};
    pthread_mutex_unlock(&s->lock); /* the reader wakes the dispatcher once per batch */
}

static struct audit_item *item_from(const struct audit_exec *x)
{
    size_t exe = strlen(x->exe) + 1, cwd = strlen(x->cwd) + 1, name = strlen(x->name) + 1;
    struct audit_item *it = malloc(sizeof(*it) + exe + cwd + name + x->args_len);
    if (!it)
        return NULL;
    *it = (struct audit_item){.pid = x->pid, .ppid = x->ppid, .uid = x->uid, .gid = x->gid, .dev = x->dev,
                              .ino = x->ino, .arrived_ns = ext_monotonic_ns(),
                              .complete = x->args_seen == x->argc && !x->truncated, .args_len = x->args_len};
    memcpy(it->comm, x->comm, sizeof(it->comm));
    it->exe = memcpy(it->strings, x->exe, exe);
    it->cwd = memcpy(it->exe + exe, x->cwd, cwd);
    it->name = memcpy(it->cwd + cwd, x->name, name);
    it->args = it->name + name;
    if (x->args_len)
        memcpy(it->args, x->args, x->args_len);
    return it;
}

static void on_audit_exec(void *arg, struct audit_exec *x)
{
    struct audit_source *s = arg;
    struct audit_item *it = item_from(x);
    if (!it) {
        atomic_fetch_add(&s->counters->errors, 1);
        core_trace_printf(TRACE_PREFIX "no memory for the exec of pid %u", x->pid);
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (s->item_count == ITEMS_MAX) {
        free(s->items[0]);
        memmove(&s->items[0], &s->items[1], (ITEMS_MAX - 1) * sizeof(*s->items));
        s->item_count--;
        atomic_fetch_add(&s->counters->lost, 1);
    }
    s->items[s->item_count++] = it;
    pthread_mutex_unlock(&s->lock);
}

static void on_record(void *arg, unsigned type, const char *text, size_t len)
{
    struct audit_source *s = arg;
    s->records_read++;
    audit_assembler_record(&s->assembler, type, text, len, on_audit_exec, s);
}

/* Counts what the reader saw lost since it last looked. */
static void count_reader_loss(struct audit_source *s, uint64_t overruns)
{
    if (overruns > s->overruns_counted) {
        atomic_fetch_add(&s->counters->lost, overruns - s->overruns_counted);
        core_trace_printf(TRACE_PREFIX "receive buffer overrun (ENOBUFS): audit records lost");
        s->overruns_counted = overruns;
    }
    if (s->assembler.dropped > s->dropped_counted) {
        atomic_fetch_add(&s->counters->lost, s->assembler.dropped - s->dropped_counted);
        core_trace_printf(TRACE_PREFIX "%llu exec events never finished (no EOE record)",
                          (unsigned long long)(s->assembler.dropped - s->dropped_counted));
        s->dropped_counted = s->assembler.dropped;
    }
}

static void *reader_main(void *arg)
{
    struct audit_source *s = arg;
    struct pollfd fds[3] = {{.fd = s->link.sock, .events = POLLIN},
                            {.fd = proc_connector_fd(s->pc), .events = POLLIN},
                            {.fd = s->wake, .events = POLLIN}};
    struct read_window window = {.storm_messages = STORM_MESSAGES};
    uint64_t overruns = 0;
    int err;
    while ((err = read_window_wait(&window, fds, 3, 0)) == 0) {
        if (fds[2].revents)
            return NULL;
        /* The proc connector first: an exec's message is sent before its audit records. */
        int n = fds[1].revents ? proc_connector_drain(s->pc) : 0;
        if (n < 0) {
            err = n;
            break;
        }
        s->records_read = 0;
        if (fds[0].revents && (err = audit_link_drain(&s->link, on_record, s, &overruns)) != 0)
            break;
        count_reader_loss(s, overruns);
        read_window_drained(&window, (size_t)n + s->records_read);
        if (n + s->records_read == 0)
            continue;
        pthread_mutex_lock(&s->lock); /* one wake-up for what this batch brought (none if the dispatcher runs) */
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
    atomic_fetch_add(&s->counters->errors, 1);
    core_trace_printf(TRACE_PREFIX "reader stopped, no more events until the source restarts: %s", strerror(-err));
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The dispatcher.                                                          */

/* The image the exec ran: the file it named, resolved; the process' exe when that is the same file. */
static void image_of(const struct audit_item *it, char *out, size_t cap)
{
    char abs[PATH_MAX];
    if (!it->name[0]) {
        snprintf(out, cap, "%s", it->exe);
        return;
    }
    if (it->name[0] == '/' || !it->cwd[0])
        snprintf(abs, sizeof(abs), "%s", it->name);
    else
        snprintf(abs, sizeof(abs), "%s/%s", it->cwd, it->name);
    struct stat st;
    if (it->exe[0] && (strcmp(abs, it->exe) == 0 ||
                       (stat(it->exe, &st) == 0 && (uint64_t)st.st_dev == it->dev && (uint64_t)st.st_ino == it->ino))) {
        snprintf(out, cap, "%s", it->exe);
        return;
    }
    /* A script (the process runs its interpreter), or the exe gone: the named file, its links resolved (a name
     * of the process' own files, such as fexecve's /dev/fd/N, through its /proc, never ours). */
    char own[PATH_MAX], resolved[PATH_MAX];
    bool theirs = ext_exec_name_in_proc(it->pid, abs, own, sizeof(own));
    snprintf(out, cap, "%s", realpath(theirs ? own : abs, resolved) ? resolved : abs);
}

/* The create of an exec from its audit event. */
static void create_from_audit(struct audit_source *s, const struct proc_event *ev, const struct audit_item *it)
{
    uint32_t tgid = (uint32_t)ev->event_data.exec.process_tgid, tid = (uint32_t)ev->event_data.exec.process_pid;
    const struct pid_record *known = proc_tracker_get(&s->tracker, tgid);
    char image[PATH_MAX], exe_file[48];
    image_of(it, image, sizeof(image));
    bool is_exe = strcmp(image, it->exe) == 0;
    snprintf(exe_file, sizeof(exe_file), "/proc/%u/exe", tgid);
    struct pid_record rec = {
        .ppid = it->ppid, .uid = it->uid, .gid = it->gid,
        .creation_time = known && known->creation_time ? known->creation_time
                                                       : ext_filetime_from_monotonic_ns(ev->timestamp_ns),
        .image_path = image, .image_path_len = strlen(image), .command_line = it->args,
        .command_line_len = it->args_len};
    memcpy(rec.comm, it->comm, sizeof(rec.comm));
    struct ext_process_event e = {
        .md = {.operation = PROCESS_OPERATION_CREATE, .process_id = tgid, .parent_process_id = it->ppid,
               .creating_process_id = tgid, .creating_thread_id = tid, .creation_time = rec.creation_time,
               .image_kind = PROCESS_IMAGE_PROGRAM, .image_device = it->dev, .image_inode = it->ino},
        .command_line = it->args, .command_line_len = it->args_len,
        .image_path = image, .image_path_len = rec.image_path_len,
        .image_file = is_exe ? exe_file : image,
        .task = {.process_id = tgid, .thread_id = tid, .uid = it->uid, .gid = it->gid},
    };
    ext_process_set_account(&e.md, it->uid, it->gid);
    memcpy(e.task.comm, it->comm, sizeof(e.task.comm));
    if (!it->complete) {
        atomic_fetch_add(&s->counters->errors, 1);
        core_trace_printf(TRACE_PREFIX "exec of %s by pid %u: arguments incomplete in its audit records", image, tgid);
    }
    ext_dispatch_observed(s->hook, s->counters, &e, TRACE_PREFIX);
    proc_tracker_put(&s->tracker, tgid, &rec);
}

/* The create of an exec whose audit event did not come: from /proc, as the netlink source does; counted lost. */
static void create_from_proc(struct audit_source *s, const struct proc_event *ev)
{
    atomic_fetch_add(&s->counters->lost, 1);
    core_trace_printf(TRACE_PREFIX "no audit event for the exec of pid %u within %d ms (not audited, or lost): "
                      "reported from /proc", (unsigned)ev->event_data.exec.process_tgid, AUDIT_WAIT_MS);
    proc_tracker_exec_from_proc(&s->tracker, s->hook, ev);
}

/* Handles one message (the lock not held); it (an exec's audit event, or NULL) is freed. */
static void handle(struct audit_source *s, const struct proc_event *ev, struct audit_item *it)
{
    struct ext_process_event e;
    if (ev->what == PROC_EVENT_FORK) {
        proc_tracker_fork(&s->tracker, ev);
    } else if (ev->what == PROC_EVENT_EXEC) {
        if (it)
            create_from_audit(s, ev, it);
        else
            create_from_proc(s, ev);
    } else if (proc_tracker_exit(&s->tracker, ev, &e)) {
        ext_dispatch_observed(s->hook, s->counters, &e, TRACE_PREFIX);
        proc_tracker_forget(&s->tracker, (uint32_t)e.md.process_id);
    }
    free(it);
}

/* Takes the oldest audit event of process pid out of the list, or NULL (lock held). */
static struct audit_item *take_item(struct audit_source *s, uint32_t pid)
{
    for (size_t i = 0; i < s->item_count; i++) {
        struct audit_item *it = s->items[i];
        if (it->pid != pid)
            continue;
        memmove(&s->items[i], &s->items[i + 1], (s->item_count - i - 1) * sizeof(*s->items));
        s->item_count--;
        return it;
    }
    return NULL;
}

/* Drops audit events whose exec message never came (lock held). */
static void expire_items(struct audit_source *s, uint64_t now)
{
    size_t n = 0;
    while (n < s->item_count && s->items[n]->arrived_ns + ITEM_KEEP_MS * 1000000ull < now)
        free(s->items[n++]);
    if (!n)
        return;
    memmove(&s->items[0], &s->items[n], (s->item_count - n) * sizeof(*s->items));
    s->item_count -= n;
    core_trace_printf(TRACE_PREFIX "%zu audit exec events without an exec message dropped", n);
}

static bool held_has(const uint32_t *held, size_t n, uint32_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (held[i] == pid)
            return true;
    return false;
}

/*
 * One pass over the waiting messages (lock held, released around each
 * handling): handles each one whose process is not held by an exec still
 * waiting for its audit event. Returns how many were handled; *wake_ns:
 * when the first held exec gives up waiting.
 */
static size_t pass(struct audit_source *s, uint64_t *wake_ns)
{
    uint32_t held[HELD_MAX];
    size_t nheld = 0, handled = 0;
    uint64_t now = ext_monotonic_ns();
    for (size_t i = 0; i < s->count && i < SCAN_MAX; i++) {
        struct tl_entry *e = &s->timeline[(s->head + i) % TIMELINE_MAX];
        if (e->done)
            continue;
        const struct proc_event *ev = &e->ev;
        uint32_t pid = ev->what == PROC_EVENT_FORK   ? (uint32_t)ev->event_data.fork.parent_tgid
                       : ev->what == PROC_EVENT_EXEC ? (uint32_t)ev->event_data.exec.process_tgid
                                                     : (uint32_t)ev->event_data.exit.process_tgid;
        if (held_has(held, nheld, pid)) {
            /* Held too: a child forked after its parent's exec inherits what that exec ran. */
            if (ev->what == PROC_EVENT_FORK && ev->event_data.fork.child_pid == ev->event_data.fork.child_tgid) {
                if (nheld == HELD_MAX)
                    break;
                held[nheld++] = (uint32_t)ev->event_data.fork.child_tgid;
            }
            continue;
        }
        struct audit_item *it = NULL;
        /* (entries and items may have come after now was read: compare without subtracting) */
        if (ev->what == PROC_EVENT_EXEC && !(it = take_item(s, pid)) &&
            e->arrived_ns + AUDIT_WAIT_MS * 1000000ull > now) {
            uint64_t give_up = e->arrived_ns + AUDIT_WAIT_MS * 1000000ull;
            if (!*wake_ns || give_up < *wake_ns)
                *wake_ns = give_up;
            if (nheld == HELD_MAX)
                break; /* too many held: the rest waits in order */
            held[nheld++] = pid;
            continue;
        }
        struct proc_event copy = *ev;
        e->done = true;
        pthread_mutex_unlock(&s->lock);
        handle(s, &copy, it);
        pthread_mutex_lock(&s->lock);
        handled++;
    }
    while (s->count && s->timeline[s->head].done) {
        s->head = (s->head + 1) % TIMELINE_MAX;
        s->count--;
    }
    expire_items(s, ext_monotonic_ns());
    return handled;
}

/* Reads the kernel's lost counter: what it lost since we last looked is ours too (an upper bound). */
static void check_kernel_loss(struct audit_source *s)
{
    struct audit_status st;
    if (audit_link_status(&s->link, &st) != 0)
        return;
    if (st.lost != s->kernel_lost) {
        uint32_t n = st.lost - s->kernel_lost;
        atomic_fetch_add(&s->counters->lost, n);
        core_trace_printf(TRACE_PREFIX "the kernel lost %u audit records (backlog %u of %u)", n, st.backlog,
                          st.backlog_limit);
        s->kernel_lost = st.lost;
    }
}

static void *dispatcher_main(void *arg)
{
    struct audit_source *s = arg;
    uint64_t next_status = ext_monotonic_ns() + STATUS_EVERY_MS * 1000000ull;
    pthread_mutex_lock(&s->lock);
    while (!s->quit) {
        uint64_t wake_ns = 0;
        size_t handled = pass(s, &wake_ns);
        uint64_t now = ext_monotonic_ns();
        if (now >= next_status) {
            pthread_mutex_unlock(&s->lock);
            check_kernel_loss(s);
            pthread_mutex_lock(&s->lock);
            next_status = now + STATUS_EVERY_MS * 1000000ull;
        }
        if (handled || s->quit)
            continue;
        uint64_t until = wake_ns && wake_ns < next_status ? wake_ns : next_status;
        struct timespec ts = ext_timespec_of(until);
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start and stop.                                                          */

static void destroy(struct audit_source *s)
{
    if (s->reader_started) {
        ext_wake(s->wake, TRACE_PREFIX);
        pthread_join(s->reader, NULL);
    }
    if (s->dispatcher_started) {
        pthread_mutex_lock(&s->lock);
        s->quit = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->dispatcher, NULL);
    }
    audit_link_close(&s->link);
    proc_connector_close(s->pc);
    audit_assembler_free(&s->assembler);
    proc_tracker_free(&s->tracker);
    for (size_t i = 0; i < s->item_count; i++)
        free(s->items[i]);
    free(s->items);
    free(s->timeline);
    if (s->wake >= 0)
        close(s->wake);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int audit_start(struct core_hook *hook, struct ext_source_counters *counters, void **state)
{
    struct audit_source *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->hook = hook;
    s->counters = counters;
    s->link.sock = s->link.ctl = -1;
    ext_monotonic_cond_init(&s->lock, &s->cond);
    s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->timeline = calloc(TIMELINE_MAX, sizeof(*s->timeline));
    s->items = calloc(ITEMS_MAX, sizeof(*s->items));
    int err = s->wake < 0 ? -errno : !s->timeline || !s->items ? -ENOMEM : 0;
    if (!err)
        err = proc_tracker_init(&s->tracker, counters, TRACE_PREFIX);
    /* Listen first, then read /proc, then audit: every process is read or seen forking, every audited exec has its message. */
    if (!err)
        err = proc_connector_open(counters, TRACE_PREFIX, false, on_proc_event, s, &s->pc);
    if (!err) {
        proc_tracker_scan(&s->tracker);
        err = audit_link_open(&s->link, TRACE_PREFIX);
    }
    if (!err) {
        s->kernel_lost = s->link.lost_at_start;
        err = -pthread_create(&s->dispatcher, NULL, dispatcher_main, s);
        s->dispatcher_started = !err;
    }
    if (!err) {
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

static void audit_stop(void *state)
{
    destroy(state);
}

const struct ext_source_ops ext_source_audit = {
    .hook_name = EXT_PROCESS_HOOK_AUDIT,
    .start = audit_start,
    .stop = audit_stop,
};
