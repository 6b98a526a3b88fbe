/*
 * The exec storm: fork+exec+wait of /bin/true in 1 and in 2 parallel
 * loops, timed with no monitor and with examples/process_monitor.o
 * attached to each process hook (its ring buffer read by a consumer
 * thread, as process_monitor does). Every storm runs in a process of its
 * own ("bpfhost_bench --storm LOOPS N", started afresh): forks of the
 * bench process itself would copy the monitor's threads, ring buffers and
 * maps, a heavier fork than the ones a monitor sees on a real machine.
 * Each exec's argv is "/bin/true bench-PID" (the child's own pid), so a
 * create's command line is exact or not; the storm's children are told
 * from other processes by their parent, the storm process. Modes run
 * interleaved, ROUNDS times each (BPFHOST_BENCH_ROUNDS: up to ROUNDS_MAX, for
 * a steadier median on a busy machine); the table gives the median time per
 * exec, and the events of the last round: creates and deletes seen of
 * those expected, lost (counted by the source), dropped (refused by the
 * full ring), and the share of creates with the exact command line.
 * "host cpu" is this process' own CPU time per exec (user + system, all
 * its threads: the sources' threads, the programs, the consumer): what
 * the monitor costs, which a loaded machine disturbs far less than
 * elapsed time. "storm cpu" is the storm's (its process and the execs',
 * reaped): the kernel's share paid by the exec'ing processes (audit
 * records, the fanotify events) is there.
 */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/api.h"
#include "ext/ext.h"
#include "process_monitor.h" /* examples/: the record */

enum { STORM_EXECS = 2000, ROUNDS = 3, ROUNDS_MAX = 15, MAX_LOOPS = 2, PID_BITS = 1 << 22 };

extern char **environ;

/* One loop: n fork+exec+wait of /bin/true. */
static int loop(int n)
{
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char tag[32];
            snprintf(tag, sizeof(tag), "bench-%d", (int)getpid());
            execl("/bin/true", "/bin/true", tag, (char *)NULL);
            _exit(127);
        }
        if (pid < 0)
            return -1;
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return -1;
    }
    return 0;
}

struct loop_arg {
    int n;
    int rc;
};

static void *loop_thread(void *arg)
{
    struct loop_arg *a = arg;
    a->rc = loop(a->n);
    return NULL;
}

/* loops parallel loops of n execs each; 0 if every exec ran. */
static int storm(int loops, int n)
{
    pthread_t threads[MAX_LOOPS];
    struct loop_arg args[MAX_LOOPS];
    for (int i = 0; i < loops; i++) {
        args[i] = (struct loop_arg){n, -1};
        if (pthread_create(&threads[i], NULL, loop_thread, &args[i]) != 0)
            return -1;
    }
    int rc = 0;
    for (int i = 0; i < loops; i++) {
        pthread_join(threads[i], NULL);
        rc |= args[i].rc;
    }
    return rc;
}

/* "--storm-notified": the storm under a filter notifying its execve, the listener sent over descriptor 3. */
enum { NOTIFY_SOCKET_FD = 3 };

int bench_storm_child(int argc, char **argv)
{
    bool notified = argc == 4 && strcmp(argv[1], "--storm-notified") == 0;
    if (argc != 4 || (strcmp(argv[1], "--storm") != 0 && !notified))
        return -1;
    int loops = atoi(argv[2]), n = atoi(argv[3]);
    if (loops < 1 || loops > MAX_LOOPS || n < 1) {
        fprintf(stderr, "bench: %s LOOPS N: LOOPS 1..%d, N >= 1\n", argv[1], MAX_LOOPS);
        return 2;
    }
    int err = notified ? bench_floor_notify_self(NOTIFY_SOCKET_FD) : 0;
    if (err) {
        fprintf(stderr, "bench: cannot notify the storm's execs: %s\n", strerror(-err));
        return 1;
    }
    return storm(loops, n) ? 1 : 0;
}

/* The storm's command line: "/proc/self/exe --storm LOOPS N" (bufs: room for both numbers). */
static void storm_argv(char *argv[5], char nloops[16], char count[16], int loops)
{
    snprintf(nloops, 16, "%d", loops);
    snprintf(count, 16, "%d", STORM_EXECS);
    argv[0] = "/proc/self/exe";
    argv[1] = "--storm";
    argv[2] = nloops;
    argv[3] = count;
    argv[4] = NULL;
}

/* Starts the storm in a process of its own (*pid); 0 or an error number. */
static int storm_spawn(int loops, pid_t *pid)
{
    char nloops[16], count[16], *argv[5];
    storm_argv(argv, nloops, count, loops);
    return posix_spawn(pid, argv[0], NULL, NULL, argv, environ);
}

/* Waits for the storm process; 0 if it ran every exec. */
static int storm_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Starts the storm under a seccomp filter notifying its execve (*pid), its listener in *listener; 0 or -1. */
static int storm_spawn_notified(int loops, pid_t *pid, int *listener)
{
    char nloops[16], count[16], *argv[5];
    storm_argv(argv, nloops, count, loops);
    argv[1] = "--storm-notified";
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], NOTIFY_SOCKET_FD);
    int err = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    *listener = err ? -1 : bench_floor_recv_listener(sv[0]);
    close(sv[0]);
    if (!err && *listener < 0)
        storm_wait(*pid); /* it could not put itself under the filter and exits */
    return err || *listener < 0 ? -1 : 0;
}

/*
 * A consumer of the monitor's ring buffer that keeps, for every create
 * and delete, the pid, its parent and whether a create's command line is
 * exact; the storm's are counted once the storm is over (its children's
 * events can arrive before posix_spawn() has returned the storm's pid).
 */
enum { SEEN_MAX = 8 * MAX_LOOPS * STORM_EXECS };

struct counter {
    struct ring_buffer *rb;
    uint32_t parent;     /* only events whose parent is this (the storm process); 0: every event (a supervised tree) */
    atomic_bool stop;
    uint32_t seen_pid[SEEN_MAX], seen_parent[SEEN_MAX];
    uint8_t seen_kind[SEEN_MAX]; /* 0 create, 1 delete, 2 create with the exact command line */
    uint64_t seen_time[SEEN_MAX]; /* a create's creation_time, a delete's exit_time */
    atomic_size_t seen;
    pthread_t thread;
};

static int count_record(void *ctx, void *data, size_t size)
{
    struct counter *c = ctx;
    const struct process_monitor_event *e = data;
    size_t n = atomic_load_explicit(&c->seen, memory_order_relaxed);
    if (size < PROCESS_MONITOR_EVENT_HEADER_SIZE || n == SEEN_MAX)
        return 0;
    char exact[48];
    int len = snprintf(exact, sizeof(exact), "/bin/true bench-%llu", (unsigned long long)e->process_id);
    c->seen_pid[n] = (uint32_t)e->process_id;
    c->seen_parent[n] = (uint32_t)e->parent_process_id;
    c->seen_kind[n] = e->operation != 0 ? 1
                      : e->command_line_len == len && size >= PROCESS_MONITOR_EVENT_HEADER_SIZE + (size_t)len &&
                                memcmp(e->strings, exact, (size_t)len) == 0
                          ? 2
                          : 0;
    c->seen_time[n] = e->operation != 0 ? e->exit_time : e->creation_time;
    atomic_store_explicit(&c->seen, n + 1, memory_order_release);
    return 0;
}

/* Whether event i is one of the storm's. */
static bool of_storm(const struct counter *c, size_t i)
{
    return !c->parent || c->seen_parent[i] == c->parent;
}

/* The storm's creates (and of those exact) and deletes seen so far. */
static void tally(struct counter *c, uint64_t *creates, uint64_t *exact, uint64_t *deletes)
{
    size_t n = atomic_load_explicit(&c->seen, memory_order_acquire);
    *creates = *exact = *deletes = 0;
    for (size_t i = 0; i < n; i++) {
        if (!of_storm(c, i))
            continue;
        if (c->seen_kind[i] == 1)
            ++*deletes;
        else
            ++*creates, *exact += c->seen_kind[i] == 2;
    }
}

/*
 * The storm's deletes out of order: before their process' create, or with
 * an exit time before its creation time (once the storm's events are in).
 */
static uint64_t out_of_order(const struct counter *c)
{
    size_t n = atomic_load_explicit(&c->seen, memory_order_acquire);
    uint32_t *created = calloc(PID_BITS, sizeof(*created)); /* 1 + index of the pid's create, 0: none yet */
    uint64_t bad = 0;
    for (size_t i = 0; created && i < n; i++) {
        uint32_t pid = c->seen_pid[i];
        if (pid >= PID_BITS || !of_storm(c, i))
            continue;
        if (c->seen_kind[i] != 1) {
            if (!created[pid])
                created[pid] = (uint32_t)i + 1;
        } else {
            bad += !created[pid] || c->seen_time[i] < c->seen_time[created[pid] - 1];
        }
    }
    free(created);
    return bad;
}

static void *consume(void *arg)
{
    struct counter *c = arg;
    while (!c->stop)
        ring_buffer__poll(c->rb, 50);
    ring_buffer__consume(c->rb);
    return NULL;
}

/* Records the monitor program could not put into its full ring buffer (the sum over CPUs). */
static uint64_t ring_drops(struct bpf_object *obj)
{
    int cpus = libbpf_num_possible_cpus();
    uint64_t *values = calloc(cpus > 0 ? (size_t)cpus : 1, sizeof(uint64_t)), sum = 0;
    uint32_t zero = 0;
    if (values && cpus > 0 &&
        bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "dropped_map")), &zero, values) == 0)
        for (int i = 0; i < cpus; i++)
            sum += values[i];
    free(values);
    return sum;
}

/* One mode: what its last round saw, and each round's time and CPU per exec. */
struct row {
    const char *mode;
    const char *hook;   /* NULL: no monitor, the supervised tree, or a floor */
    bool supervised, deletes;
    bool floor;         /* the kernel's floor of floor_kind (bench_floor.c), no monitor */
    bool kernel_prog;   /* the source runs a kernel eBPF program: its run time is measured too */
    double kernel_us[ROUNDS_MAX]; /* of that program, per exec (part of the storm's CPU) */
    enum bench_floor_kind floor_kind;
    double us[ROUNDS_MAX], cpu[ROUNDS_MAX], storm_cpu[ROUNDS_MAX];
    int rounds;
    uint64_t creates, exact, deletes_seen, expected, lost, dropped, errors, disorder;
    const char *why_not; /* when it could not run */
};

/* Waits until the consumer has seen what is expected (or 5 s passed), stops it, and counts. */
static void drain(struct counter *c, uint64_t creates, uint64_t deletes, struct row *r)
{
    uint64_t deadline = bench_now_ns() + 5000000000ull;
    do {
        usleep(10000);
        tally(c, &r->creates, &r->exact, &r->deletes_seen);
    } while ((r->creates < creates || r->deletes_seen < deletes) && bench_now_ns() < deadline);
    c->stop = true;
    pthread_join(c->thread, NULL);
    tally(c, &r->creates, &r->exact, &r->deletes_seen);
    r->disorder = r->deletes ? out_of_order(c) : 0;
}

/* CPU time used so far (us) by this process (RUSAGE_SELF) or by its children reaped (RUSAGE_CHILDREN). */
static double cpu_us(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Where a round's clocks started. */
struct round_start {
    uint64_t ns;
    double cpu, storm_cpu;
};

static struct round_start round_begin(void)
{
    return (struct round_start){bench_now_ns(), cpu_us(RUSAGE_SELF), cpu_us(RUSAGE_CHILDREN)};
}

/* Ends a round of execs (ns: when the storm ended; the host's CPU counted until now, its events handled). */
static void round_end(struct row *r, const struct round_start *at, uint64_t ns, uint64_t execs)
{
    r->us[r->rounds] = (double)(ns - at->ns) / 1e3 / (double)execs;
    r->cpu[r->rounds] = (cpu_us(RUSAGE_SELF) - at->cpu) / (double)execs;
    r->storm_cpu[r->rounds] = (cpu_us(RUSAGE_CHILDREN) - at->storm_cpu) / (double)execs;
    r->rounds++;
}

/* One round of a kernel floor: the storm with the floor's reader running; r->creates: what it read. */
static int run_floor_round(struct row *r, int loops)
{
    uint64_t expected = (uint64_t)loops * STORM_EXECS;
    struct bench_floor *f = NULL;
    pid_t storm_pid;
    int listener = -1, err;
    struct round_start at;
    if (r->floor_kind == BENCH_FLOOR_SECCOMP) {
        /* The filter is the storm's own: the storm starts first and sends its listener. */
        at = round_begin();
        if (storm_spawn_notified(loops, &storm_pid, &listener))
            return r->why_not = "cannot put the storm under a seccomp filter", -1;
        err = bench_floor_start(r->floor_kind, listener, &f);
    } else {
        err = bench_floor_start(r->floor_kind, -1, &f);
        at = round_begin(); /* the floor's start-up is not the storm's */
        if (!err && storm_spawn(loops, &storm_pid)) {
            bench_floor_stop(f);
            return r->why_not = "cannot start the storm", -1;
        }
    }
    if (err) {
        r->why_not = strerror(-err);
        if (listener >= 0) {
            close(listener); /* the storm's notified execs fail (ENOSYS) once no listener is left */
            storm_wait(storm_pid);
        }
        return -1;
    }
    err = storm_wait(storm_pid);
    uint64_t storm_end = bench_now_ns();
    r->creates = bench_floor_stop(f);
    if (listener >= 0)
        close(listener);
    if (err)
        return r->why_not = "the storm failed", -1;
    round_end(r, &at, storm_end, expected);
    r->expected = expected;
    return 0;
}

/* One round of one mode with loops parallel loops: 0, or -1 with r->why_not. */
static int run_round(struct row *r, int loops)
{
    uint64_t expected = (uint64_t)loops * STORM_EXECS;
    pid_t storm_pid;
    if (r->floor)
        return run_floor_round(r, loops);
    if (!r->hook && !r->supervised) {
        struct round_start at = round_begin();
        if (storm_spawn(loops, &storm_pid) || storm_wait(storm_pid))
            return r->why_not = "an exec failed", -1;
        round_end(r, &at, bench_now_ns(), expected);
        return 0;
    }
    struct bpf_object *obj = bpf_object__open_file(BENCH_EXAMPLES_DIR "/process_monitor.o", NULL);
    if (!obj || bpf_object__load(obj))
        return r->why_not = "cannot load process_monitor.o", -1;
    struct counter *c = calloc(1, sizeof(*c));
    int rc = -1;
    struct ext_supervisor *sv = NULL;
    struct core_hook *sv_hook;
    struct bpf_link *link = NULL;
    if (!c)
        goto out;
    c->rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "process_ringbuf")), count_record, c, NULL);
    if (!c->rb || (r->supervised && ext_supervisor_create(&sv, &sv_hook))) {
        r->why_not = "no ring buffer or supervisor";
        goto out;
    }
    const char *hook = r->supervised ? core_hook_name(sv_hook) : r->hook;
    link = bpf_program__attach_hook(bpf_object__find_program_by_name(obj, "ProcessMonitor"), hook);
    if (!link) {
        r->why_not = strerror(errno);
        goto out;
    }
    struct ext_source_stats before = {0}, after = {0};
    if (!r->supervised)
        ext_source_stats(hook, &before);
    pthread_create(&c->thread, NULL, consume, c);
    int err = 0, exit_code = 0, stats = r->kernel_prog ? bench_kernel_stats_enable() : -1;
    uint64_t kernel_ns = r->kernel_prog ? bench_kernel_prog_run_ns() : 0;
    struct round_start at = round_begin();
    if (r->supervised) {
        char nloops[16], count[16], *argv[5];
        storm_argv(argv, nloops, count, loops);
        err = ext_supervisor_run(sv, argv, &exit_code);
    } else {
        err = storm_spawn(loops, &storm_pid);
        c->parent = err ? 0 : (uint32_t)storm_pid; /* read by tally() only, after this */
        err = err || storm_wait(storm_pid);
    }
    uint64_t storm_end = bench_now_ns();
    if (r->kernel_prog) {
        r->kernel_us[r->rounds] = stats < 0 ? -1 : (double)(bench_kernel_prog_run_ns() - kernel_ns) / 1e3 / (double)expected;
        if (stats >= 0)
            close(stats);
    }
    /* A supervised storm process is one more create and delete (it is the whole tree, counted). */
    uint64_t extra = r->supervised ? 1 : 0;
    drain(c, expected + extra, r->deletes ? expected + extra : 0, r);
    if (r->supervised)
        ext_supervisor_stats(sv, &after);
    else
        ext_source_stats(hook, &after);
    if (err || exit_code) {
        r->why_not = "the storm failed";
        goto out;
    }
    round_end(r, &at, storm_end, expected); /* the host's CPU with the events handled after the storm */
    r->creates -= r->creates >= extra ? extra : 0;
    r->deletes_seen -= r->deletes_seen >= extra ? extra : 0;
    r->expected = expected;
    r->lost = after.lost - before.lost;
    r->errors = after.errors - before.errors;
    r->dropped = ring_drops(obj);
    rc = 0;
out:
    if (link)
        bpf_link__destroy(link);
    ext_supervisor_destroy(sv);
    if (c)
        ring_buffer__free(c->rb);
    free(c);
    bpf_object__close(obj);
    return rc;
}

static void print_row(struct row *r, double baseline)
{
    if (r->why_not) {
        printf("  %-28s not run: %s\n", r->mode, r->why_not);
        return;
    }
    double us = bench_median(r->us, r->rounds), cpu = bench_median(r->cpu, r->rounds),
           storm_cpu = bench_median(r->storm_cpu, r->rounds);
    char deletes[32] = "-";
    if (r->deletes)
        snprintf(deletes, sizeof(deletes), "%llu/%llu", (unsigned long long)r->deletes_seen,
                 (unsigned long long)r->expected);
    if (r->floor)
        printf("  %-28s %8.1f %8.2fx %8.1f %9.1f %11llu read (%.1f per exec)\n", r->mode, us, us / baseline, cpu,
               storm_cpu, (unsigned long long)r->creates, (double)r->creates / (double)r->expected);
    else if (!r->hook && !r->supervised)
        printf("  %-28s %8.1f %8.2fx %8.1f %9.1f\n", r->mode, us, 1.0, cpu, storm_cpu);
    else
        printf("  %-28s %8.1f %8.2fx %8.1f %9.1f %11llu/%-5llu %11s %6llu %6llu %7llu %7.2f%% %6llu\n", r->mode, us,
               us / baseline, cpu, storm_cpu, (unsigned long long)r->creates, (unsigned long long)r->expected, deletes,
               (unsigned long long)r->lost, (unsigned long long)r->errors, (unsigned long long)r->dropped,
               r->creates ? 100.0 * (double)r->exact / (double)r->expected : 0.0, (unsigned long long)r->disorder);
}

int bench_process(void)
{
    if (ext_register_builtin())
        return 1;
    const char *asked = getenv("BPFHOST_BENCH_ROUNDS");
    int rounds = asked ? atoi(asked) : ROUNDS;
    if (rounds < 1 || rounds > ROUNDS_MAX) {
        fprintf(stderr, "bench: BPFHOST_BENCH_ROUNDS must be 1..%d\n", ROUNDS_MAX);
        return 1;
    }
    double load[3] = {0};
    getloadavg(load, 3);
    printf("\nexec storm: fork+exec+wait of /bin/true bench-PID, %d per loop, in 1 and 2 parallel loops, in a\n"
           "process of its own; examples/process_monitor.o attached, its ring buffer read by a consumer thread; medians of %d\n"
           "interleaved rounds; events of the last round (load average at start: %.2f)\n",
           STORM_EXECS, rounds, load[0]);
    int status = 0;
    for (int loops = 1; loops <= MAX_LOOPS; loops++) {
        struct row rows[] = {
            {.mode = "no monitor"},
            {.mode = "process (composed)", .hook = EXT_PROCESS_HOOK, .deletes = true},
            {.mode = "process/fanotify (deny)", .hook = EXT_PROCESS_HOOK_FANOTIFY},
            {.mode = "process/audit", .hook = EXT_PROCESS_HOOK_AUDIT, .deletes = true},
            {.mode = "process/tracepoint", .hook = EXT_PROCESS_HOOK_TRACEPOINT, .deletes = true, .kernel_prog = true},
            {.mode = "process/netlink", .hook = EXT_PROCESS_HOOK_NETLINK, .deletes = true},
            {.mode = "supervised tree (seccomp)", .supervised = true, .deletes = true},
            {.mode = "floor: proc connector", .floor = true, .floor_kind = BENCH_FLOOR_NETLINK},
            {.mode = "floor: audit execve rule", .floor = true, .floor_kind = BENCH_FLOOR_AUDIT},
            {.mode = "floor: fanotify exec perm", .floor = true, .floor_kind = BENCH_FLOOR_FANOTIFY},
            {.mode = "floor: seccomp notify", .floor = true, .floor_kind = BENCH_FLOOR_SECCOMP},
        };
        enum { MODES = sizeof(rows) / sizeof(rows[0]) };
        for (int round = 0; round < rounds; round++)
            for (int m = 0; m < MODES; m++)
                if (!rows[m].why_not)
                    run_round(&rows[m], loops);
        printf("\n  %d loop%s               us/exec overhead host cpu storm cpu   creates seen     deletes   lost errors dropped  exact argv  order\n",
               loops, loops > 1 ? "s" : " ");
        double baseline = bench_median(rows[0].us, rows[0].rounds);
        for (int m = 0; m < MODES; m++) {
            print_row(&rows[m], baseline);
            /* A source that cannot run here (no privilege) is reported, not a failure; a silent loss is. */
            struct row *r = &rows[m];
            uint64_t missing = (r->creates < r->expected ? r->expected - r->creates : 0) +
                               (r->deletes && r->deletes_seen < r->expected ? r->expected - r->deletes_seen : 0);
            if ((r->hook || r->supervised) && !r->why_not && missing > r->lost + r->errors + r->dropped) {
                fprintf(stderr, "bench: %s: %llu events missing, not counted as lost or errors\n", r->mode,
                        (unsigned long long)missing);
                status = 1;
            }
            if (r->disorder) {
                fprintf(stderr, "bench: %s: %llu deletes out of order\n", r->mode, (unsigned long long)r->disorder);
                status = 1;
            }
        }
        for (int m = 0; m < MODES; m++)
            if (rows[m].kernel_prog && !rows[m].why_not) {
                double us = bench_median(rows[m].kernel_us, rows[m].rounds);
                if (us < 0)
                    printf("  %s: its kernel program's run time not measured (BPF_ENABLE_STATS refused)\n", rows[m].mode);
                else
                    printf("  %s: its kernel program ran %.1f us per exec (in the storm cpu)\n", rows[m].mode, us);
            }
        fflush(stdout);
    }
    printf("  (overhead: us/exec relative to no monitor; host cpu: this process' CPU us per exec (the\n"
           "   monitor); storm cpu: the storm process' and its execs' CPU us per exec (each storm runs in\n"
           "   a process of its own, its children told by their parent);\n"
           "   lost: events the source counted as lost; errors: its internal errors and programs stopped at\n"
           "   the deadline (a monitor stopped there writes no record);\n"
           "   dropped: records the full ring buffer refused; exact argv: creates whose command line is the\n"
           "   exec's argv, of those expected; order: deletes before their process' create or with an exit\n"
           "   time before its creation time; fanotify reports creates only; the storm process itself is\n"
           "   left out of the counts;\n"
           "   floor: the kernel's mechanism under a source, read by a thread that does nothing with it\n"
           "   (proc connector and audit drained in read windows, fanotify and seccomp answered at once):\n"
           "   no source on that mechanism can cost less; read: messages, records or events it read)\n");
    return status;
}
