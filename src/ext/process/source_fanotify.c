/*
 * The system-wide enforcing process source (hook "process/fanotify"):
 * fanotify FAN_OPEN_EXEC_PERM on every filesystem stops each execve when
 * it opens the program, before the process is changed; the programs
 * attached to the hook see it as a create and a denial fails the execve
 * with EPERM.
 *
 * The kernel holds the exec'ing thread until we answer, so every
 * permission event is answered, whatever happens: FAN_ALLOW on any
 * internal error (counted, traced). Closing the fanotify descriptor
 * answers FAN_ALLOW to everything pending, but only when its last copy
 * closes, and fork() copies descriptors: a child forked by the host
 * between its fork and its exec would keep the group alive, nobody
 * answering, its own exec waiting forever. So the descriptor lives in a
 * file table of its own: the reader thread unshares its table
 * (CLONE_FILES) before creating it, and the event descriptors land there
 * too. Programs must run in the host's shared table (helpers and the
 * trace pipe keep descriptor numbers of it, e.g. a ring buffer's
 * eventfd), so the reader hands each exec open, and each trace line, to
 * a relay thread. The relay also reads what the exec open is (the
 * exec'ing thread's memory, the files of its exec, through the reader's
 * table for the event's descriptor): whatever is slow to read (a file or
 * memory served by a FUSE process or a userfaultfd, a slow network
 * filesystem) holds that event's relay, never the reader.
 *
 * Exec opens are handled concurrently: the reader hands each event to an
 * idle relay and goes on reading; a relay that is done wakes the reader
 * (wake_fd, a pipe made before the reader unshares its table, so its
 * numbers hold in both), which writes that event's answer. With two execs
 * at once, one no longer waits for the other's reading while a CPU
 * idles. At most as many events as CPUs are handled at once (within
 * their deadline; those left behind do not count): more would only take
 * CPU from the threads that must go to sleep in their execs before their
 * arguments can be read (a burst of 500 execs then read some too late).
 * The reader reads only as many events as it may hand over: the others
 * wait in the kernel's queue. An event goes preferably to the
 * relay that handled its thread last (ld.so's open follows the program's
 * on the same thread: that relay keeps the thread's files open, see
 * fanotify_exec_begin()).
 *
 * Exec opens of our own process are allowed at once without running
 * programs: a thread of ours that the answer depends on (the reader, the
 * relay, whatever holds a lock they need) would wait for itself, and an
 * exec of ours replaces the host, source included, anyway. Every other
 * exec open is a create (the program, each interpreter, ld.so), and an
 * ld.so run directly brings the create of the program it loads; see
 * fanotify_exec.c.
 *
 * Deadline (ext_process_set_deadline()): the programs of one exec open
 * get the deadline from when the reader takes the event; the interpreter
 * stops a program still running then. An exec open whose relay still has
 * not returned a moment later (its reading, or a helper, blocks) is left
 * to its relay: the reader answers by the fail-open/fail-closed setting,
 * so one slow event never holds the others. The relay left behind keeps
 * its event's scratch memory and closes its files when done; the reader
 * then closes the event's descriptor (in the reader's table). Only when
 * every relay is left behind are events answered without programs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/process/fanotify.h"
#include "ext/internal.h"

/* What a relay is doing, as the reader sees it (only the reader reads or writes it). */
enum relay_state {
    RELAY_IDLE,   /* waits for a call */
    RELAY_BUSY,   /* handles an event not answered yet */
    RELAY_BEHIND, /* handles an event answered at its deadline: left behind */
};

/*
 * A relay: runs the reader's calls in a thread of the host's file table,
 * one at a time. Handed over with two semaphores (one futex wake each way,
 * no mutex the woken thread would then contend for: the condition variable
 * and its lock cost ~15% of the source's CPU, profiled); an event's call
 * also wakes the reader through wake_fd when it returns, if the reader
 * waits (reader_waits).
 */
struct relay {
    sem_t go;              /* posted by the reader: a call (fn) or quit is set */
    sem_t done;            /* posted by the relay: the call has returned */
    void (*fn)(void *arg); /* the call handed over */
    void *arg;
    bool quit;
    bool wake_reader;      /* when the call returns, wake the reader if it waits (an event's call) */
    pthread_t thread;
    /* The exec open whose creates it runs: scratch of its own, so that a relay left behind at the
     * deadline still has its event intact while the reader goes on with the others. */
    struct fanotify_exec exec;
    struct fanotify_source *source;
    enum relay_state state;
    uint64_t handed;       /* when it was last handed an event (the source's count): the least recent is reused first */
    int event_fd;          /* busy or behind: the event's descriptor, closed once it is done */
    /* The event handed over by the reader. */
    pid_t tid;             /* also, while idle, the thread whose files it keeps */
    char event_file[64];   /* the event's descriptor, named through the reader's file table */
    uint64_t deadline_ns;
    /* What the relay made of it. */
    uint32_t answer;       /* FAN_ALLOW or FAN_DENY */
    bool denied;           /* a program denied */
    int late;              /* programs stopped at the deadline */
    uint64_t turn_ticket;  /* the dispatch turn it holds (see ext_exec_observer), 0: none */
    bool abandoned;        /* left behind: it must not take the turn any more */
    bool owner_known;      /* left behind: owner is whom its exec counts against (exec_owner()) */
    uint32_t owner;
};

enum {
    RELAYS = 8,                     /* exec opens being handled, those left behind at a deadline included */
    PENDING_LINES = 16,             /* the reader's trace lines waiting for an idle relay */
    BEHIND_PER_OWNER = 2,           /* relays one user's execs may hold past their deadline (see exec_owner()) */
    DEADLINE_GRACE_NS = 50000000,   /* how long past the deadline the reader waits for the interpreter to stop */
};

struct fanotify_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    /* A pipe: a relay finished an event's call, or stop() was called. A pipe, not an eventfd: its write
     * wakes the reader as a synchronous wake-up (the writer is about to sleep), so the scheduler may run
     * the reader on the relay's CPU; 2 loops of the exec storm ~4% faster, measured. */
    int wake_fd;     /* its write end */
    int wake_rd;     /* its read end, the reader's */
    atomic_bool stop;        /* stop() asks the reader to finish */
    atomic_bool reader_waits; /* the reader is in (or going to) its wait: a relay done wakes it */
    pid_t self;      /* our process: its execs are allowed at once */
    /* All started by the thread that started the source: a thread the reader started would share the
     * reader's file table, not the host's. */
    struct relay *relays[RELAYS];
    uint64_t handed;         /* events handed to relays so far */
    int max_busy;            /* events handled at once within their deadline: as many as CPUs (see the top) */
    struct ext_exec_observer observer;
    pthread_t reader;
    pid_t reader_tid;        /* its thread id: its event descriptors are named through /proc/PID/task/TID/fd */
    sem_t started;   /* posted by the reader once start_err is set */
    int start_err;
    /* The reader's own, in its private file table. */
    int fan_fd, mounts_fd;
    int epoll_fd;            /* waits for wake_rd, fan_fd (while events are taken), mounts_fd */
    bool taking;             /* fan_fd is in epoll_fd's interest */
    struct fanotify_marks marks;
    bool stopping;           /* no more events read: the busy ones are finished, then the reader ends */
    /* The reader's trace lines not written yet (every relay was busy), and how many did not fit. */
    char lines[PENDING_LINES][CORE_TRACE_LINE_MAX];
    size_t line_count, lines_dropped;
};

/* ------------------------------------------------------------------------ */
/* The relay.                                                               */

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    struct ext_slice kept; /* for the thread's life: it ends with the source */
    ext_slice_shorten(&kept);
    for (;;) {
        while (sem_wait(&r->go) != 0)
            ; /* EINTR */
        if (r->quit)
            break;
        /* Read before done is posted: then the reader may hand this relay its next call. */
        bool wake = r->wake_reader;
        struct fanotify_source *s = r->source;
        if (wake) /* an exec open: its programs' ring-buffer consumers are woken once the reader may answer */
            ringbuf_hold_wakeups();
        r->fn(r->arg);
        /* Posted before the wake, so the woken reader finds it done (a wake it finds nothing for is harmless). */
        sem_post(&r->done);
        /* With the reader's check of the relays before it waits (see wait_ready()): one of the two sees the other. */
        atomic_thread_fence(memory_order_seq_cst);
        if (wake && atomic_exchange(&s->reader_waits, false))
            ext_wake(s->wake_fd, "bpfhost: fanotify: ");
        if (wake)
            ringbuf_release_wakeups();
    }
    return NULL;
}

/* Hands fn(arg) to the relay thread (idle: its last call waited for); wake: see struct relay's wake_reader. */
static void relay_begin(struct relay *r, void (*fn)(void *), void *arg, bool wake)
{
    r->fn = fn;
    r->arg = arg;
    r->wake_reader = wake;
    sem_post(&r->go);
}

/* Runs fn(arg) in the (idle) relay thread and returns once it has. */
static void relay_call(struct relay *r, void (*fn)(void *), void *arg)
{
    relay_begin(r, fn, arg, false);
    while (sem_wait(&r->done) != 0)
        ; /* EINTR */
}

/* Ends the relay's thread (idle) and frees it. */
static void relay_free(struct relay *r)
{
    if (!r)
        return;
    r->quit = true;
    sem_post(&r->go);
    pthread_join(r->thread, NULL);
    sem_destroy(&r->go);
    sem_destroy(&r->done);
    fanotify_exec_free(&r->exec);
    free(r);
}

/* A new relay and its thread, or NULL (errno set). */
static struct relay *relay_new(struct fanotify_source *s)
{
    struct relay *r = calloc(1, sizeof(*r));
    if (!r || fanotify_exec_init(&r->exec) != 0) {
        free(r);
        errno = ENOMEM;
        return NULL;
    }
    r->source = s;
    r->event_fd = -1;
    sem_init(&r->go, 0, 0);
    sem_init(&r->done, 0, 0);
    int err = pthread_create(&r->thread, NULL, relay_main, r);
    if (err) {
        sem_destroy(&r->go);
        sem_destroy(&r->done);
        fanotify_exec_free(&r->exec);
        free(r);
        errno = err;
        return NULL;
    }
    return r;
}

/* An idle relay, preferably the one that handled thread tid last, else the least recently handed one; or NULL. */
static struct relay *idle_relay(struct fanotify_source *s, pid_t tid)
{
    struct relay *best = NULL;
    for (int i = 0; i < RELAYS; i++) {
        struct relay *r = s->relays[i];
        if (r->state != RELAY_IDLE)
            continue;
        if (tid > 0 && r->tid == tid)
            return r;
        if (!best || r->handed < best->handed)
            best = r;
    }
    return best;
}

/* How many relays are in state. */
static int relays_in(const struct fanotify_source *s, enum relay_state state)
{
    int n = 0;
    for (int i = 0; i < RELAYS; i++)
        n += s->relays[i]->state == state;
    return n;
}

/* How many more events may be handed over now: relays idle, within the source's max_busy. */
static int relays_free(const struct fanotify_source *s)
{
    int idle = relays_in(s, RELAY_IDLE), room = s->max_busy - relays_in(s, RELAY_BUSY);
    return idle < room ? idle : room;
}

/* ------------------------------------------------------------------------ */
/* Trace lines.                                                             */

/* On a relay: writes the reader's pending trace lines. */
static void emit_lines(void *arg)
{
    struct fanotify_source *s = arg;
    for (size_t i = 0; i < s->line_count; i++)
        core_trace_printf("%s", s->lines[i]);
    if (s->lines_dropped)
        core_trace_printf("bpfhost: fanotify: %zu trace lines dropped while every relay was busy",
                          s->lines_dropped);
}

/* Writes the reader's pending trace lines through an idle relay, if one is. */
static void flush_lines(struct fanotify_source *s)
{
    struct relay *r = s->line_count || s->lines_dropped ? idle_relay(s, 0) : NULL;
    if (!r)
        return;
    relay_call(r, emit_lines, s);
    s->line_count = s->lines_dropped = 0;
}

/* A trace line of the reader: written through an idle relay (the host's table), or kept until one is. */
static void vtrace(struct fanotify_source *s, const char *fmt, va_list ap)
{
    if (s->line_count == PENDING_LINES) {
        s->lines_dropped++;
        return;
    }
    char *line = s->lines[s->line_count++];
    int n = snprintf(line, CORE_TRACE_LINE_MAX, "bpfhost: fanotify: ");
    vsnprintf(line + n, CORE_TRACE_LINE_MAX - (size_t)n, fmt, ap);
    flush_lines(s);
}

/* Traces a line of the reader (see vtrace()). */
__attribute__((format(printf, 2, 3))) static void trace(struct fanotify_source *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vtrace(s, fmt, ap);
    va_end(ap);
}

/* An internal error seen on a relay (in the host's file table): counted and traced directly. */
__attribute__((format(printf, 2, 3))) static void relay_fail(struct fanotify_source *s, const char *fmt, ...)
{
    atomic_fetch_add(&s->counters->errors, 1);
    char line[CORE_TRACE_LINE_MAX];
    int n = snprintf(line, sizeof(line), "bpfhost: fanotify: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    core_trace_printf("%s", line);
}

/* An internal error seen by the reader: counted and traced (the event at hand is then allowed). */
__attribute__((format(printf, 2, 3))) static void fail(struct fanotify_source *s, const char *fmt, ...)
{
    atomic_fetch_add(&s->counters->errors, 1);
    va_list ap;
    va_start(ap, fmt);
    vtrace(s, fmt, ap);
    va_end(ap);
}

/*
 * An exec open answered by the fail-open/fail-closed setting, not by
 * programs (nothing to run them on, or not in time): counted as an error,
 * and as denied when failing closed; traced with why (printf-style) and
 * the answer. on_relay: called on a relay, else on the reader.
 */
__attribute__((format(printf, 3, 4))) static uint32_t answer_by_setting(struct fanotify_source *s, bool on_relay,
                                                                        const char *fmt, ...)
{
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    char why[CORE_TRACE_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    const char *answer = d.fail_closed ? "denied (fail closed)" : "allowed (fail open)";
    if (on_relay)
        relay_fail(s, "%s; %s", why, answer);
    else
        fail(s, "%s; %s", why, answer);
    if (d.fail_closed)
        atomic_fetch_add(&s->counters->denied, 1);
    return d.fail_closed ? FAN_DENY : FAN_ALLOW;
}

/* ------------------------------------------------------------------------ */
/* One exec open.                                                           */

void ext_turn_init(struct ext_turn *t)
{
    ext_monotonic_cond_init(&t->lock, &t->cond);
    t->holder = t->last = 0;
}

void ext_turn_destroy(struct ext_turn *t)
{
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
}

void ext_turn_take(struct ext_turn *t, uint64_t until_ns, const bool *abandoned, uint64_t *ticket)
{
    struct timespec until = ext_timespec_of(until_ns);
    pthread_mutex_lock(&t->lock);
    int err = 0;
    while (t->holder && err != ETIMEDOUT && !(abandoned && *abandoned))
        err = pthread_cond_timedwait(&t->cond, &t->lock, &until);
    *ticket = t->holder || (abandoned && *abandoned) ? 0 : (t->holder = ++t->last);
    pthread_mutex_unlock(&t->lock);
}

void ext_turn_give(struct ext_turn *t, uint64_t ticket)
{
    if (!ticket)
        return;
    pthread_mutex_lock(&t->lock);
    if (t->holder == ticket) {
        t->holder = 0;
        pthread_cond_signal(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
}

void ext_turn_abandon(struct ext_turn *t, bool *abandoned, const uint64_t *ticket)
{
    pthread_mutex_lock(&t->lock);
    *abandoned = true;
    if (*ticket && t->holder == *ticket) {
        t->holder = 0;
        pthread_cond_signal(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
}

/* Runs the programs on the creates of the relay's exec open, in order, until one is denied. */
static void run_creates(struct relay *r)
{
    struct fanotify_source *s = r->source;
    struct fanotify_exec *x = &r->exec;
    for (size_t i = 0; i < x->event_count && !r->denied; i++) {
        const struct ext_process_event *ev = &x->events[i];
        struct ext_process_verdict verdict;
        int rc = ext_process_dispatch(s->hook, ev, &verdict);
        if (rc < 0) {
            atomic_fetch_add(&s->counters->errors, 1);
            core_trace_printf("bpfhost: fanotify: dispatch of the exec of %.*s by pid %d failed: %s; allowed",
                              (int)ev->image_path_len, ev->image_path, (int)ev->md.process_id, strerror(-rc));
            continue;
        }
        ext_counters_add(s->counters, &verdict);
        r->denied = verdict.denied;
        r->late += verdict.late;
    }
}

/*
 * The relay's call: what the exec open handed over is (read on the relay,
 * so that a file or memory slow to read, e.g. served by FUSE, holds this
 * event only, never the reader), then its creates; r->answer.
 */
static void handle_exec_open(void *arg)
{
    struct relay *r = arg;
    struct fanotify_source *s = r->source;
    struct fanotify_exec *x = &r->exec;
    r->answer = FAN_ALLOW;
    r->denied = false;
    r->late = 0;
    int begun = fanotify_exec_begin(x, r->tid, r->event_file);
    if (begun == -ESRCH || begun == -ENOENT) {
        atomic_fetch_add(&s->counters->lost, 1);
        core_trace_printf("bpfhost: fanotify: thread %d exited during its exec; not reported", (int)r->tid);
        return;
    }
    if (begun) { /* not the thread's end (e.g. EMFILE) */
        r->answer = answer_by_setting(s, true, "cannot read the exec of thread %d: %s", (int)r->tid, strerror(-begun));
        return;
    }
    if (x->tgid == s->self)
        return; /* allowed at once (see the top of the file) */
    /* Half the time left for the thread to go to sleep: the rest is left to run the programs. */
    uint64_t now = ext_monotonic_ns();
    int err = fanotify_exec_read(x, now < r->deadline_ns ? now + (r->deadline_ns - now) / 2 : now);
    if (err) {
        r->answer = answer_by_setting(s, true, "cannot read the path of an exec'd file of pid %d: %s", (int)x->tgid,
                                      strerror(-err));
    } else if (x->truncated) {
        /* What programs cannot see, they cannot check: fail closed, as the supervised source does. */
        relay_fail(s, "exec of %s by pid %d denied: command line over %d bytes or %d arguments", x->opened_path,
                   (int)x->tgid, EXT_COMMAND_LINE_MAX, EXT_ARGC_MAX);
        atomic_fetch_add(&s->counters->denied, 1);
        r->answer = FAN_DENY;
    } else {
        /* ENOEXEC: an exec the kernel starts itself has no system call to read; ESRCH: a thread outside our
         * pid namespace. Any other failure is counted and said, never silent, and fail-closed links deny. */
        bool unread = x->args_error && x->args_error != -ENOEXEC && x->args_error != -ESRCH;
        if (unread)
            relay_fail(s, "exec of %s by pid %d: its arguments could not be read (%s); shown without them",
                       x->opened_path, (int)x->tgid, strerror(-x->args_error));
        for (size_t i = 0; i < x->event_count; i++) {
            x->events[i].deadline_ns = r->deadline_ns;
            x->events[i].command_line_unread = unread;
        }
        if (s->observer.before)
            s->observer.before(s->observer.arg, x->events, x->event_count);
        if (s->observer.turn) /* not had by the deadline: the programs are stopped at once */
            ext_turn_take(s->observer.turn, r->deadline_ns, &r->abandoned, &r->turn_ticket);
        run_creates(r);
        if (s->observer.turn)
            ext_turn_give(s->observer.turn, r->turn_ticket);
        if (s->observer.after)
            s->observer.after(s->observer.arg, x->tgid);
        r->answer = r->denied ? FAN_DENY : FAN_ALLOW;
    }
    fanotify_exec_done(x);
}

/* ------------------------------------------------------------------------ */
/* The reader's events.                                                     */

static void respond(struct fanotify_source *s, int fd, uint32_t response)
{
    struct fanotify_response r = {.fd = fd, .response = response};
    while (write(s->fan_fd, &r, sizeof(r)) < 0) {
        if (errno == EINTR)
            continue;
        /* ENOENT: the exec'ing process was killed while waiting; nothing is pending any more. */
        if (errno != ENOENT)
            fail(s, "cannot answer an exec: %s (the kernel answers when the source stops)", strerror(errno));
        break;
    }
}

/* The answer to an exec open of what (by who id) past the deadline: counted, traced, answered by the setting. */
static uint32_t answer_late(struct fanotify_source *s, const char *what, const char *who, int id, const char *why)
{
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    return answer_by_setting(s, false, "exec of %s by %s %d: %s the deadline of %u ms", what, who, id, why, d.ms);
}

/* Answers the events of the relays done (those left behind were answered), closes them: the relays are idle again. */
static void collect_done(struct fanotify_source *s)
{
    for (int i = 0; i < RELAYS; i++) {
        struct relay *r = s->relays[i];
        if (r->state == RELAY_IDLE || sem_trywait(&r->done) != 0)
            continue;
        if (r->state == RELAY_BUSY)
            respond(s, r->event_fd,
                    r->late && !r->denied
                        ? answer_late(s, r->exec.opened_path, "pid", (int)r->exec.tgid, "programs were stopped at")
                        : r->answer);
        close(r->event_fd);
        r->event_fd = -1;
        r->state = RELAY_IDLE;
    }
}

/*
 * Whom thread tid's exec counts against while its reading is stuck (a
 * file or memory of its own served slowly, e.g. by a FUSE server of its
 * user): the owner of its outermost user namespace below ours, which no
 * one but that user can have created, or, in ours, its real uid (uids
 * mapped into a user namespace, subuids included, all count as its
 * owner). Read from /proc, never the thread's memory: it cannot block.
 * False if unknown (the thread is gone or outside our pid namespace).
 */
static bool exec_owner(pid_t tid, uint32_t *owner)
{
    char path[48];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)tid);
    int ns = tid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (ns < 0)
        return false;
    bool known = false;
    for (int parent; (parent = ioctl(ns, NS_GET_PARENT)) >= 0;) {
        int grandparent = ioctl(parent, NS_GET_PARENT);
        if (grandparent < 0) { /* EPERM: the parent is ours, ns the outermost below it */
            uid_t uid = 0;
            known = ioctl(ns, NS_GET_OWNER_UID, &uid) == 0;
            *owner = (uint32_t)uid;
            close(parent);
            close(ns);
            return known;
        }
        close(grandparent);
        close(ns);
        ns = parent;
    }
    close(ns);
    /* In our user namespace: its real uid. */
    snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    char line[256];
    unsigned uid = 0;
    while (f && !known && fgets(line, sizeof(line), f))
        known = sscanf(line, "Uid: %u", &uid) == 1;
    if (f)
        fclose(f);
    *owner = uid;
    return known;
}

/* Relays left behind whose execs count against owner. */
static int behind_of(const struct fanotify_source *s, uint32_t owner)
{
    int n = 0;
    for (int i = 0; i < RELAYS; i++) {
        const struct relay *r = s->relays[i];
        n += r->state == RELAY_BEHIND && r->owner_known && r->owner == owner;
    }
    return n;
}

/*
 * Answers the events of the busy relays past their deadline (their
 * reading or a helper blocks) by the setting and leaves them behind; the
 * earliest deadline still to come (0: none).
 */
static uint64_t leave_late_behind(struct fanotify_source *s)
{
    uint64_t now = ext_monotonic_ns(), next = 0;
    for (int i = 0; i < RELAYS; i++) {
        struct relay *r = s->relays[i];
        if (r->state != RELAY_BUSY)
            continue;
        uint64_t until = r->deadline_ns + DEADLINE_GRACE_NS;
        if (now < until) {
            next = next && next < until ? next : until;
            continue;
        }
        int done = 0;
        if (sem_getvalue(&r->done, &done) == 0 && done > 0)
            continue; /* it returned, the reader was late to see it: its own answer goes (collect_done()) */
        if (s->observer.turn)
            ext_turn_abandon(s->observer.turn, &r->abandoned, &r->turn_ticket);
        r->state = RELAY_BEHIND;
        r->owner_known = exec_owner(r->tid, &r->owner); /* its thread still waits: its /proc is there */
        char what[PATH_MAX], link[64];
        snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", r->event_fd);
        ssize_t n = readlink(link, what, sizeof(what) - 1);
        what[n > 0 ? n : 0] = '\0';
        respond(s, r->event_fd, answer_late(s, what, "thread", (int)r->tid, "its reading or programs still ran past"));
        if (relays_in(s, RELAY_BEHIND) == RELAYS)
            trace(s, "%d exec opens still being handled past their deadline: execs are answered without programs "
                  "until one ends", RELAYS);
    }
    return next;
}

/*
 * Hands thread tid's exec open of the file open as fd to an idle relay;
 * answers it by the setting without one (all left behind), or when its
 * user already holds BEHIND_PER_OWNER relays past their deadline: one user
 * who can stall the reading of its own execs cannot take every relay.
 */
static void hand_over(struct fanotify_source *s, pid_t tid, int fd)
{
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    uint32_t owner;
    if (relays_in(s, RELAY_BEHIND) && exec_owner(tid, &owner) && behind_of(s, owner) >= BEHIND_PER_OWNER) {
        respond(s, fd,
                answer_by_setting(s, false, "exec by thread %d answered without programs: its user (uid %u) holds %d "
                                  "exec opens past their deadline", (int)tid, owner, BEHIND_PER_OWNER));
        close(fd);
        return;
    }
    struct relay *r = idle_relay(s, tid);
    if (!r) {
        respond(s, fd, answer_by_setting(s, false, "exec by thread %d answered without programs: no relay is "
                                         "free (every one is left behind by an exec past its deadline)", (int)tid));
        close(fd);
        return;
    }
    r->state = RELAY_BUSY;
    r->handed = ++s->handed;
    r->event_fd = fd;
    r->tid = tid; /* with FAN_REPORT_TID the event names the thread; 0 if it is outside our pid namespace */
    snprintf(r->event_file, sizeof(r->event_file), "/proc/%d/task/%d/fd/%d", (int)s->self, (int)s->reader_tid, fd);
    r->deadline_ns = ext_monotonic_ns() + (uint64_t)d.ms * 1000000u;
    r->turn_ticket = 0;
    r->abandoned = false;
    relay_begin(r, handle_exec_open, r, true);
}

/* Hands over, or answers and closes, one event. */
static void handle_event(struct fanotify_source *s, const struct fanotify_event_metadata *md)
{
    if (md->mask & FAN_Q_OVERFLOW) {
        atomic_fetch_add(&s->counters->lost, 1);
        trace(s, "event queue overflow: execs were allowed unseen");
    }
    if (md->fd < 0)
        return;
    if (md->vers != FANOTIFY_METADATA_VERSION) {
        fail(s, "unknown event version %u; allowed", md->vers);
        respond(s, md->fd, FAN_ALLOW);
    } else if (md->mask & FAN_OPEN_EXEC_PERM) {
        hand_over(s, md->pid, md->fd);
        return;
    }
    close(md->fd);
}

/*
 * Reads and hands over the events pending, as many as may be handed
 * over now (relays_free(); the others stay in the kernel's queue), or all
 * of them once every relay is left behind. Our group reports no
 * information records, so an event is one struct fanotify_event_metadata.
 */
static void read_events(struct fanotify_source *s)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    int takes = relays_free(s);
    size_t room = takes ? (size_t)takes * sizeof(struct fanotify_event_metadata) : sizeof(buf);
    ssize_t len = read(s->fan_fd, buf, room);
    if (len < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (len <= 0) {
        /* The kernel could not hand out an event (e.g. no descriptor for its file): it has answered it itself. */
        fail(s, "cannot read an event: %s", len ? strerror(errno) : "end of file");
        return;
    }
    const struct fanotify_event_metadata *md = (const void *)buf;
    for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len))
        handle_event(s, md);
    /* The kernel hands out whole events only; a fragment would be an event we cannot answer. */
    if (len > 0)
        fail(s, "%zd bytes of an incomplete event", len);
}

/* ------------------------------------------------------------------------ */
/* The reader thread.                                                       */

static void on_refused(void *arg, const char *mount_point, const char *fstype, int err)
{
    trace(arg, "cannot watch execs on %s (%s): %s; skipped", mount_point, fstype, strerror(-err));
}

/* Marks every mount (again); at start, an error if none could be. */
static int mark_all(struct fanotify_source *s, bool starting)
{
    size_t mounts;
    int marked = fanotify_marks_walk(&s->marks, s->fan_fd, on_refused, s, &mounts);
    if (marked < 0) {
        fail(s, "cannot read the mount table: %s", strerror(-marked));
        return marked;
    }
    if (starting)
        trace(s, "watching execs on %d of %zu mounts", marked, mounts);
    return starting && marked == 0 ? -ENODEV : 0;
}

enum { WAKE, EVENTS, MOUNTS }; /* what epoll_fd reports */

/*
 * epoll_fd, in the reader's table: one wait for everything, its interest
 * kept between waits (a poll() registers on every file each time).
 * 0 or -errno.
 */
static int watch(struct fanotify_source *s)
{
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epoll_fd < 0)
        return -errno;
    struct epoll_event wake = {.events = EPOLLIN, .data.u32 = WAKE};
    struct epoll_event events = {.events = EPOLLIN, .data.u32 = EVENTS};
    struct epoll_event mounts = {.events = EPOLLPRI, .data.u32 = MOUNTS};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_rd, &wake) != 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->fan_fd, &events) != 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->mounts_fd, &mounts) != 0) {
        int err = -errno;
        close(s->epoll_fd);
        return err;
    }
    s->taking = true;
    return 0;
}

/* Waits for fan_fd's events or not (epoll_fd's interest changed only when it must). */
static void set_taking(struct fanotify_source *s, bool take)
{
    if (take == s->taking)
        return;
    struct epoll_event events = {.events = take ? EPOLLIN : 0, .data.u32 = EVENTS};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->fan_fd, &events) != 0)
        fail(s, "cannot %s waiting for events: %s", take ? "resume" : "pause", strerror(errno));
    else
        s->taking = take;
}

/*
 * The reader's file table: a private copy holding only what the reader
 * uses, so that no fork() of the host ever copies the fanotify descriptor
 * (see the top of the file).
 */
static int reader_setup(struct fanotify_source *s)
{
    if (unshare(CLONE_FILES) != 0) {
        int err = -errno;
        trace(s, "cannot give the reader a file table of its own: %s", strerror(-err));
        return err;
    }
    /* Keep stdio (sanitizer reports) and wake_rd; drop the copies of the host's other descriptors. */
    if (s->wake_rd > 3)
        close_range(3, (unsigned)s->wake_rd - 1, 0);
    close_range((unsigned)s->wake_rd + 1, ~0u, 0);
    s->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE | FAN_REPORT_TID,
                              O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (s->fan_fd < 0) {
        int err = -errno;
        trace(s, "fanotify_init failed: %s%s", strerror(-err),
              err == -EPERM ? " (enforcing needs CAP_SYS_ADMIN)" : "");
        return err;
    }
    /* Readable with POLLPRI whenever the mount table changes. */
    s->mounts_fd = open("/proc/thread-self/mountinfo", O_RDONLY | O_CLOEXEC);
    int err = s->mounts_fd < 0 ? -errno : mark_all(s, true);
    if (s->mounts_fd < 0)
        trace(s, "cannot open the mount table: %s", strerror(-err));
    if (!err && (err = watch(s)) != 0)
        trace(s, "cannot wait for events: %s", strerror(-err));
    if (err) {
        if (s->mounts_fd >= 0)
            close(s->mounts_fd);
        close(s->fan_fd);
    }
    return err;
}

/* Whether events are to be read: to hand to an idle relay, or, once every relay is left behind, to answer. */
static bool may_take(const struct fanotify_source *s)
{
    return !s->stopping && (relays_free(s) > 0 || relays_in(s, RELAY_BEHIND) == RELAYS);
}

/* Milliseconds from now until CLOCK_MONOTONIC until_ns, rounded up, for epoll_wait() (0: no limit, -1). */
static int poll_timeout(uint64_t until_ns)
{
    if (!until_ns)
        return -1;
    uint64_t now = ext_monotonic_ns();
    return now >= until_ns ? 0 : (int)((until_ns - now + 999999u) / 1000000u);
}

/* Empties wake_rd (the wakes are only told apart by what the relays' states say). */
static void drain_wakes(struct fanotify_source *s)
{
    char wakes[256];
    while (read(s->wake_rd, wakes, sizeof(wakes)) == (ssize_t)sizeof(wakes))
        ;
}

/* Whether a relay not idle has returned from its call (not taken: collect_done() takes it). */
static bool some_relay_done(const struct fanotify_source *s)
{
    for (int i = 0; i < RELAYS; i++) {
        int value = 0;
        if (s->relays[i]->state != RELAY_IDLE && sem_getvalue(&s->relays[i]->done, &value) == 0 && value > 0)
            return true;
    }
    return false;
}

/*
 * Waits up to timeout_ms (-1: no limit) for what epoll_fd reports (into
 * ready[3]); epoll_wait()'s count. A relay done wakes the reader only
 * while it waits (one system call less per event while the reader is
 * busy): reader_waits is set first, then the relays are checked, so a
 * relay done before it was set is seen here, and one done after it wakes.
 */
static int wait_ready(struct fanotify_source *s, struct epoll_event ready[3], int timeout_ms)
{
    atomic_store(&s->reader_waits, true);
    atomic_thread_fence(memory_order_seq_cst);
    int n = epoll_wait(s->epoll_fd, ready, 3, some_relay_done(s) ? 0 : timeout_ms);
    atomic_store(&s->reader_waits, false);
    return n;
}

static void *reader_main(void *arg)
{
    struct fanotify_source *s = arg;
    struct ext_slice kept; /* for the thread's life: it ends with the source */
    ext_slice_shorten(&kept);
    s->reader_tid = gettid();
    s->start_err = reader_setup(s);
    sem_post(&s->started);
    if (s->start_err)
        return NULL;
    for (;;) {
        uint64_t next_deadline = leave_late_behind(s);
        if (s->stopping && !relays_in(s, RELAY_BUSY))
            break;
        bool take = may_take(s);
        set_taking(s, take);
        struct epoll_event ready[3];
        int n = wait_ready(s, ready, poll_timeout(next_deadline));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(s, "epoll_wait failed: %s; stopping (execs are allowed)", strerror(errno));
            s->stopping = true;
        }
        bool events = false, mounts = false;
        for (int i = 0; i < n; i++) {
            events |= ready[i].data.u32 == EVENTS;
            mounts |= ready[i].data.u32 == MOUNTS;
            if (ready[i].data.u32 == WAKE)
                drain_wakes(s);
        }
        s->stopping |= atomic_load(&s->stop);
        collect_done(s);
        if (mounts)
            mark_all(s, false);
        /* Not waited for while every relay was busy: events may wait for the relays just freed. */
        if (may_take(s) && (events || !take))
            read_events(s);
        flush_lines(s);
    }
    /* The last copy of the descriptor: the kernel allows whatever is still pending, and drops the marks. */
    close(s->fan_fd);
    close(s->mounts_fd);
    close(s->epoll_fd);
    /* Relays left behind close their descriptors here, in this table, before it goes. */
    for (int i = 0; i < RELAYS; i++) {
        struct relay *r = s->relays[i];
        if (r->state == RELAY_IDLE)
            continue;
        while (sem_wait(&r->done) != 0)
            ; /* EINTR */
        close(r->event_fd);
        r->event_fd = -1;
        r->state = RELAY_IDLE;
    }
    flush_lines(s);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The source.                                                              */

static void source_free(struct fanotify_source *s)
{
    fanotify_marks_free(&s->marks);
    for (int i = 0; i < RELAYS; i++)
        relay_free(s->relays[i]);
    sem_destroy(&s->started);
    close(s->wake_fd);
    close(s->wake_rd);
    free(s);
}

int ext_fanotify_start(struct core_hook *hook, struct ext_source_counters *counters,
                       const struct ext_exec_observer *observer, void **state)
{
    struct fanotify_source *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->hook = hook;
    s->counters = counters;
    s->self = getpid();
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    s->max_busy = cpus < 1 ? 1 : cpus > RELAYS ? RELAYS : (int)cpus;
    if (observer)
        s->observer = *observer;
    int ends[2];
    if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) {
        int err = -errno;
        free(s);
        return err;
    }
    s->wake_rd = ends[0];
    s->wake_fd = ends[1];
    sem_init(&s->started, 0, 0);
    int err = 0;
    for (int i = 0; i < RELAYS && !err; i++) {
        s->relays[i] = relay_new(s);
        err = s->relays[i] ? 0 : -errno;
    }
    if (!err)
        err = -pthread_create(&s->reader, NULL, reader_main, s);
    if (err) {
        core_trace_printf("bpfhost: fanotify: cannot start a thread: %s", strerror(-err));
    } else {
        while (sem_wait(&s->started) != 0)
            ;
        err = s->start_err;
        if (err)
            pthread_join(s->reader, NULL);
    }
    if (err) {
        source_free(s);
        return err;
    }
    *state = s;
    return 0;
}

static int fanotify_start(struct core_hook *hook, struct ext_source_counters *counters, void **state)
{
    return ext_fanotify_start(hook, counters, NULL, state);
}

void ext_fanotify_stop(void *state)
{
    struct fanotify_source *s = state;
    atomic_store(&s->stop, true);
    ext_wake(s->wake_fd, "bpfhost: fanotify: ");
    pthread_join(s->reader, NULL);
    source_free(s);
}

const struct ext_source_ops ext_source_fanotify = {
    .hook_name = EXT_PROCESS_HOOK_FANOTIFY,
    .start = fanotify_start,
    .stop = ext_fanotify_stop,
};
