/*
 * The exec storm: N fork+exec+wait of /bin/true, timed with no monitor,
 * with examples/process_monitor.o attached to each event source (its ring
 * buffer read by a consumer thread, as process_monitor does), and the
 * events delivered counted against the events expected.
 */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/api.h"
#include "ext/ext.h"
#include "process_monitor.h" /* examples/: the record */

enum { STORM_EXECS = 5000, PID_BITS = 1 << 22 };

/* Runs n fork+exec+wait of /bin/true; remembers the children's pids in pids (if not NULL). */
static int storm(int n, uint8_t *pids)
{
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        if (pid < 0)
            return -1;
        if (pids && pid < PID_BITS)
            pids[pid / 8] |= (uint8_t)(1u << (pid % 8));
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return -1;
    }
    return 0;
}

int bench_storm_child(int argc, char **argv)
{
    return argc == 3 && strcmp(argv[1], "--storm") == 0 ? (storm(atoi(argv[2]), NULL) ? 1 : 0) : -1;
}

/*
 * A consumer of the monitor's ring buffer that keeps the pid of every
 * create and delete; the storm's are counted once the storm is over (a
 * child's events can arrive before fork() has returned its pid to us).
 */
enum { SEEN_MAX = 8 * STORM_EXECS };

struct counter {
    struct ring_buffer *rb;
    const uint8_t *pids; /* NULL: count every event (a supervised tree has only the storm) */
    atomic_bool stop;
    uint32_t seen_pid[SEEN_MAX];
    uint8_t seen_delete[SEEN_MAX];
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
    c->seen_pid[n] = (uint32_t)e->process_id;
    c->seen_delete[n] = e->operation != 0;
    atomic_store_explicit(&c->seen, n + 1, memory_order_release);
    return 0;
}

/* The storm's creates and deletes seen so far. */
static void tally(struct counter *c, uint64_t *creates, uint64_t *deletes)
{
    size_t n = atomic_load_explicit(&c->seen, memory_order_acquire);
    *creates = *deletes = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t pid = c->seen_pid[i];
        if (c->pids && (pid >= PID_BITS || !(c->pids[pid / 8] & (1u << (pid % 8)))))
            continue;
        if (c->seen_delete[i])
            ++*deletes;
        else
            ++*creates;
    }
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

/* One row of the table. */
struct row {
    const char *mode;
    double us_per_exec;
    uint64_t creates, deletes, expected_creates, expected_deletes, lost, dropped;
    bool ran;
    const char *why_not; /* when it could not run */
};

static void print_row(const struct row *r, double baseline)
{
    if (!r->ran) {
        printf("  %-30s not run: %s\n", r->mode, r->why_not);
        return;
    }
    printf("  %-30s %9.1f %9.2fx   %6llu/%-6llu   %6llu/%-6llu %6llu %8llu\n", r->mode, r->us_per_exec,
           baseline > 0 ? r->us_per_exec / baseline : 1.0, (unsigned long long)r->creates,
           (unsigned long long)r->expected_creates, (unsigned long long)r->deletes,
           (unsigned long long)r->expected_deletes, (unsigned long long)r->lost, (unsigned long long)r->dropped);
}

/* Waits until the consumer has seen what is expected (or 5 s passed), stops it, and counts. */
static void drain(struct counter *c, uint64_t creates, uint64_t deletes, struct row *r)
{
    uint64_t deadline = bench_now_ns() + 5000000000ull;
    do {
        usleep(10000);
        tally(c, &r->creates, &r->deletes);
    } while ((r->creates < creates || r->deletes < deletes) && bench_now_ns() < deadline);
    c->stop = true;
    pthread_join(c->thread, NULL);
    tally(c, &r->creates, &r->deletes);
}

/* The storm with the monitor attached to a system-wide hook. */
static void run_system_wide(struct bpf_object *obj, struct counter *c, const char *hook, bool deletes,
                            struct row *r)
{
    struct bpf_link *link = bpf_program__attach_hook(bpf_object__find_program_by_name(obj, "ProcessMonitor"), hook);
    if (!link) {
        r->why_not = strerror(errno);
        return;
    }
    struct ext_source_stats before, after;
    ext_source_stats(hook, &before);
    uint8_t *pids = calloc(PID_BITS / 8, 1);
    c->pids = pids;
    pthread_create(&c->thread, NULL, consume, c);
    uint64_t start = bench_now_ns();
    int err = storm(STORM_EXECS, pids);
    uint64_t ns = bench_now_ns() - start;
    drain(c, STORM_EXECS, deletes ? STORM_EXECS : 0, r);
    bpf_link__destroy(link);
    ext_source_stats(hook, &after);
    free(pids);
    if (err) {
        r->why_not = "an exec failed";
        return;
    }
    r->us_per_exec = ns / 1e3 / STORM_EXECS;
    r->expected_creates = STORM_EXECS;
    r->expected_deletes = deletes ? STORM_EXECS : 0;
    r->lost = after.lost - before.lost;
    r->dropped = ring_drops(obj);
    r->ran = true;
}

/* The storm as a supervised command tree: this executable with --storm N. */
static void run_supervised(struct bpf_object *obj, struct counter *c, struct row *r)
{
    struct ext_supervisor *sv;
    struct core_hook *hook;
    if (ext_supervisor_create(&sv, &hook)) {
        r->why_not = "no supervisor";
        return;
    }
    struct bpf_link *link =
        bpf_program__attach_hook(bpf_object__find_program_by_name(obj, "ProcessMonitor"), core_hook_name(hook));
    char count[16];
    snprintf(count, sizeof(count), "%d", STORM_EXECS);
    char *argv[] = {"/proc/self/exe", "--storm", count, NULL};
    c->pids = NULL;
    pthread_create(&c->thread, NULL, consume, c);
    int exit_code = -1;
    uint64_t start = bench_now_ns();
    int err = link ? ext_supervisor_run(sv, argv, &exit_code) : -errno;
    uint64_t ns = bench_now_ns() - start;
    /* The storm process itself is one more create and delete. */
    drain(c, STORM_EXECS + 1, STORM_EXECS + 1, r);
    struct ext_source_stats st;
    ext_supervisor_stats(sv, &st);
    bpf_link__destroy(link);
    ext_supervisor_destroy(sv);
    if (err || exit_code != 0) {
        r->why_not = err ? strerror(-err) : "the storm failed";
        return;
    }
    r->us_per_exec = ns / 1e3 / STORM_EXECS;
    r->expected_creates = r->expected_deletes = STORM_EXECS + 1;
    r->lost = st.lost;
    r->dropped = ring_drops(obj);
    r->ran = true;
}

int bench_process(void)
{
    printf("\nexec storm: %d x fork+exec+wait of /bin/true, examples/process_monitor.o attached,\n"
           "its ring buffer read by a consumer thread (events of the storm's processes counted)\n",
           STORM_EXECS);
    printf("  %-30s %9s %10s   %-13s   %-13s %6s %8s\n", "mode", "us/exec", "overhead", "creates", "deletes", "lost",
           "dropped");
    if (ext_register_builtin())
        return 1;
    struct row rows[] = {{.mode = "no monitor"},
                         {.mode = "system-wide, netlink"},
                         {.mode = "system-wide, fanotify (enforce)"},
                         {.mode = "supervised tree (seccomp)"}};
    uint64_t start = bench_now_ns();
    if (storm(STORM_EXECS, NULL))
        return 1;
    rows[0] = (struct row){"no monitor", (bench_now_ns() - start) / 1e3 / STORM_EXECS, 0, 0, 0, 0, 0, 0, true, NULL};
    print_row(&rows[0], rows[0].us_per_exec);
    int status = 0;
    for (size_t i = 1; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct bpf_object *obj = bpf_object__open_file(BENCH_EXAMPLES_DIR "/process_monitor.o", NULL);
        if (!obj || bpf_object__load(obj)) {
            fprintf(stderr, "bench: cannot load process_monitor.o: %s\n", strerror(errno));
            return 1;
        }
        struct counter *c = calloc(1, sizeof(*c));
        if (!c)
            return 1;
        c->rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "process_ringbuf")), count_record, c,
                                 NULL);
        rows[i].why_not = "ring buffer";
        if (c->rb) {
            if (i == 3)
                run_supervised(obj, c, &rows[i]);
            else
                run_system_wide(obj, c, i == 1 ? EXT_PROCESS_HOOK_NETLINK : EXT_PROCESS_HOOK_FANOTIFY, i == 1,
                                &rows[i]);
        }
        print_row(&rows[i], rows[0].us_per_exec);
        fflush(stdout);
        /* A source that cannot run here (no privilege) is reported, not a failure; a silent loss is. */
        const struct row *r = &rows[i];
        uint64_t missing = (r->creates < r->expected_creates ? r->expected_creates - r->creates : 0) +
                           (r->deletes < r->expected_deletes ? r->expected_deletes - r->deletes : 0);
        if (r->ran && missing > r->lost + r->dropped) {
            fprintf(stderr, "bench: %s: %llu events missing, not counted as lost\n", r->mode,
                    (unsigned long long)missing);
            status = 1;
        }
        ring_buffer__free(c->rb);
        free(c);
        bpf_object__close(obj);
    }
    printf("  (overhead: us/exec relative to no monitor; lost: events the source counted as lost;\n"
           "   dropped: records the full ring buffer refused; fanotify reports creates only;\n"
           "   supervised counts include the storm process itself)\n");
    return status;
}
