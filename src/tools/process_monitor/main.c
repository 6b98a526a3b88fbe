/*
 * process_monitor — the user-mode side of the seed's process monitor: loads
 * examples/process_monitor.o through the libbpf-style API, attaches its
 * program system-wide (or to a supervised command), and prints every event
 * the program puts into its ring buffer as it arrives. Ctrl-C detaches and
 * prints what was seen and lost.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "ext/ext.h"
#include "monitor.h"
#include "tools/tools.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct options {
    bool json, quiet;
    const char *object; /* NULL: next to the executable */
    const char *hook;   /* system-wide hook; NULL with a command */
    unsigned long count; /* stop after this many events; 0: never */
    char **command;      /* supervised command, or NULL */
    struct ext_deadline deadline; /* of the deny hooks */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: process_monitor [--json] [--source process|fanotify|audit|netlink|tracepoint]\n"
            "                       [--object FILE] [--count N]\n"
            "                       [--deadline MS] [--fail-closed] [--quiet]\n"
            "       process_monitor [options] -- COMMAND [ARGS...]\n"
            "  Prints every process creation and exit as it happens, one line each.\n"
            "  System-wide by default (needs root), on one hook: --source process (default)\n"
            "  every exec before it runs, with its argv, and every exit; fanotify the execs\n"
            "  only; audit every exec (exact argv, from the kernel's audit) and exit after the\n"
            "  fact; netlink every exec and exit after the fact (argv read from /proc);\n"
            "  tracepoint every exec (exact argv, copied by a kernel eBPF program on the\n"
            "  scheduler's tracepoints) and exit after the fact, at a kernel tracer's cost. With\n"
            "  -- COMMAND, runs COMMAND supervised and reports its process tree only (no\n"
            "  privilege needed); exits with COMMAND's exit code.\n"
            "  --deadline MS  how long programs may hold an exec (default 200); --fail-closed\n"
            "             denies an exec whose programs passed it (default: allowed)\n"
            "  --json     one JSON object per line: time, operation (create|delete), pid, ppid,\n"
            "             creating_pid, creating_tid, image, command_line, exit_code (null on\n"
            "             creates), uid, gid, creation_time, exit_time\n"
            "  --object   the eBPF object (default: ../examples/process_monitor.o beside this\n"
            "             executable)\n"
            "  --count N  stop after N events (1 or more)\n"
            "  --quiet    nothing on stderr but errors (no \"attached\" line, no summary)\n"
            "  Text lines: TIME create|delete pid P ppid P uid U [exit C] image PATH command LINE\n"
            "  (\"command[cut at N bytes] LINE\" when the command line was longer than the\n"
            "  program keeps). Strings are escaped: in text, controls, invalid UTF-8 and a\n"
            "  backslash as \\xHH / \\\\, spaces in PATH as \\x20; in JSON always valid UTF-8,\n"
            "  each invalid byte U+FFFD and the raw bytes in image_hex / command_line_hex.\n"
            "  Exit status: 0 done (or COMMAND's), 1 failure (reason on stderr), 2 bad usage.\n");
}

static int parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){.hook = EXT_PROCESS_HOOK, .deadline = {.ms = EXT_DEADLINE_DEFAULT_MS}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (i + 1 == argc)
                break;
            o->command = argv + i + 1;
            o->hook = NULL;
            return EXIT_OK;
        } else if (!strcmp(a, "--json"))
            o->json = true;
        else if (!strcmp(a, "--quiet"))
            o->quiet = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(EXIT_OK);
        } else if (i + 1 < argc && !strcmp(a, "--object"))
            o->object = argv[++i];
        else if (i + 1 < argc && !strcmp(a, "--source")) {
            const char *s = argv[++i];
            static const char *const hooks[][2] = {{"process", EXT_PROCESS_HOOK},
                                                   {"fanotify", EXT_PROCESS_HOOK_FANOTIFY},
                                                   {"audit", EXT_PROCESS_HOOK_AUDIT},
                                                   {"netlink", EXT_PROCESS_HOOK_NETLINK},
                                                   {"tracepoint", EXT_PROCESS_HOOK_TRACEPOINT}};
            o->hook = NULL;
            for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++)
                if (!strcmp(s, hooks[h][0]))
                    o->hook = hooks[h][1];
            if (!o->hook) {
                tools_text_printf(stderr, "process_monitor: --source: '%s' is none of process, fanotify, audit, netlink, "
                                  "tracepoint\n",
                                  s);
                return EXIT_USAGE;
            }
        } else if (!strcmp(a, "--fail-closed")) {
            o->deadline.fail_closed = true;
        } else if (i + 1 < argc && !strcmp(a, "--deadline")) {
            char *end;
            errno = 0;
            unsigned long ms = strtoul(argv[++i], &end, 10);
            if (errno || *end || ms == 0 || ms > EXT_DEADLINE_MAX_MS) {
                fprintf(stderr, "process_monitor: --deadline: '%s' is not a number of ms from 1 to %d\n", argv[i],
                        EXT_DEADLINE_MAX_MS);
                return EXIT_USAGE;
            }
            o->deadline.ms = (unsigned)ms;
        } else if (i + 1 < argc && !strcmp(a, "--count")) {
            unsigned long long n;
            if (tools_parse_count(argv[++i], ULONG_MAX, &n)) {
                tools_text_printf(stderr, "process_monitor: --count: '%s' is not a positive number\n", argv[i]);
                return EXIT_USAGE;
            }
            o->count = (unsigned long)n;
        } else {
            tools_text_printf(stderr, "process_monitor: unexpected '%s'\n", a);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (o->command == NULL && argc > 1 && !strcmp(argv[argc - 1], "--")) {
        fprintf(stderr, "process_monitor: no command after --\n");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The default object: ../examples/process_monitor.o relative to this executable. */
static const char *default_object(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return "process_monitor.o";
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    *slash = '\0';
    snprintf(buf, len, "%s/../examples/process_monitor.o", exe);
    return buf;
}

static atomic_bool stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = true;
}

/* State of one monitoring session. */
struct monitor {
    struct options opt;
    const char *path; /* of the object */
    struct bpf_object *obj;
    struct core_prog *prog; /* ProcessMonitor as the core holds it: its run, deny and fault counts */
    bool fault_reported;
    struct bpf_link *link;
    struct ring_buffer *rb;
    unsigned long printed, malformed;
    /* Supervised mode. */
    struct ext_supervisor *sv;
    pthread_t runner;
    atomic_bool command_done;
    int command_rc, command_exit;
};

static int on_record(void *ctx, void *data, size_t size)
{
    struct monitor *m = ctx;
    /* Supervised, ^C is the command's to handle: its tree's last events are still shown. */
    if ((stop_requested && !m->opt.command) || (m->opt.count && m->printed >= m->opt.count))
        return 0; /* consumed, not printed */
    if (monitor_print_event(stdout, m->opt.json, data, size) != 0) {
        m->malformed++;
        return 0;
    }
    m->printed++;
    return 0;
}

static void *run_command(void *arg)
{
    struct monitor *m = arg;
    m->command_rc = ext_supervisor_run(m->sv, m->opt.command, &m->command_exit);
    m->command_done = true;
    return NULL;
}

/* Loads the object and sets up the ring-buffer reader; -1 after a message. */
static int load(struct monitor *m)
{
    char buf[PATH_MAX + 32];
    static char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s", m->opt.object ? m->opt.object : default_object(buf, sizeof(buf)));
    m->path = path;
    m->obj = bpf_object__open_file(path, NULL);
    if (!m->obj) {
        tools_text_printf(stderr, "process_monitor: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (bpf_object__load(m->obj)) {
        tools_text_printf(stderr, "process_monitor: %s: load failed: %s\n", path, strerror(errno));
        return -1;
    }
    struct bpf_map *ring = bpf_object__find_map_by_name(m->obj, "process_ringbuf");
    struct bpf_program *prog = bpf_object__find_program_by_name(m->obj, "ProcessMonitor");
    if (!prog || !ring) {
        tools_text_printf(stderr, "process_monitor: %s has no program ProcessMonitor or map process_ringbuf\n",
                          path);
        return -1;
    }
    struct bpf_prog_info info = {0};
    __u32 info_len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len) == 0)
        m->prog = core_obj_prog(core_obj_get_by_id(CORE_OBJ_PROG, info.id));
    m->rb = ring_buffer__new(bpf_map__fd(ring), on_record, m, NULL);
    if (!m->rb) {
        fprintf(stderr, "process_monitor: ring buffer: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* Attaches to the system-wide hook or to a new supervisor's; -1 after a message. */
static int attach(struct monitor *m)
{
    const char *hook = m->opt.hook;
    if (m->opt.command) {
        struct core_hook *h;
        int err = ext_supervisor_create(&m->sv, &h);
        if (err) {
            fprintf(stderr, "process_monitor: supervisor: %s\n", strerror(-err));
            return -1;
        }
        hook = core_hook_name(h);
    }
    ext_process_set_deadline(&m->opt.deadline); /* parse() checked its range */
    struct bpf_program *prog = bpf_object__find_program_by_name(m->obj, "ProcessMonitor");
    m->link = bpf_program__attach_hook(prog, hook);
    if (!m->link) {
        fprintf(stderr, "process_monitor: attaching to hook %s: %s%s\n", hook, strerror(errno),
                errno == EPERM ? " (system-wide monitoring needs root; or run a command: -- CMD)" : "");
        return -1;
    }
    if (!m->opt.quiet)
        fprintf(stderr, "process_monitor: attached to hook %s\n", hook);
    return 0;
}

/* Events dropped by the program because the ring buffer was full (the sum over CPUs). */
static uint64_t ring_drops(const struct monitor *m)
{
    struct bpf_map *map = bpf_object__find_map_by_name(m->obj, "dropped_map");
    int cpus = libbpf_num_possible_cpus();
    if (!map || cpus <= 0)
        return 0;
    uint64_t *values = calloc((size_t)cpus, sizeof(uint64_t)), sum = 0;
    uint32_t zero = 0;
    if (values && bpf_map_lookup_elem(bpf_map__fd(map), &zero, values) == 0)
        for (int i = 0; i < cpus; i++)
            sum += values[i];
    free(values);
    return sum;
}

/* Says once, when it first happens, why the program stopped (its instruction and source line). */
static void report_fault(struct monitor *m)
{
    struct exec_result fault;
    if (m->fault_reported || !m->prog || core_prog_first_fault(m->prog, &fault) != 0)
        return;
    m->fault_reported = true;
    char *prefix = NULL, err[256];
    struct bpf_elf_object *elf = NULL;
    if (asprintf(&prefix, "process_monitor: %s", m->path) < 0)
        return;
    const char *what = "faulted (counted; the event went on as if it returned 0)";
    if (bpf_elf_open_file(m->path, &elf, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < elf->program_count; i++)
            if (!strcmp(elf->programs[i].name, "ProcessMonitor"))
                tools_print_fault(stderr, prefix, &elf->programs[i], &fault, what);
        bpf_elf_close(elf);
    } else {
        tools_text_printf(stderr, "%s: program ProcessMonitor %s: %s\n", prefix, what, fault.msg);
    }
    free(prefix);
}

static void summary(const struct monitor *m)
{
    struct ext_source_stats st = {0};
    if (m->sv)
        ext_supervisor_stats(m->sv, &st);
    else
        ext_source_stats(m->opt.hook, &st);
    struct core_prog_info info = {0};
    if (m->prog)
        core_prog_info(m->prog, &info);
    bool can_deny = ext_process_hook_can_deny(m->sv ? EXT_PROCESS_HOOK_SUPERVISED : m->opt.hook);
    fprintf(stderr,
            "process_monitor: %lu events printed; source: %llu events, %llu lost, %llu errors; "
            "ring buffer full: %llu dropped; malformed records: %lu; program: %llu runs, %llu %s, %llu faults\n",
            m->printed, (unsigned long long)st.events, (unsigned long long)st.lost, (unsigned long long)st.errors,
            (unsigned long long)ring_drops(m), m->malformed, (unsigned long long)info.run_count,
            (unsigned long long)info.deny_count, can_deny ? "denied" : "would have denied",
            (unsigned long long)info.error_count);
}

/*
 * Prints events until told to stop or the count is reached; with a
 * supervised command, reads on until its tree is gone (the terminal's ^C
 * reaches the command too), so the ring never fills behind its back.
 */
static void loop(struct monitor *m)
{
    for (;;) {
        bool done = stop_requested || (m->opt.count && m->printed >= m->opt.count);
        if (m->opt.command ? m->command_done : done) {
            ring_buffer__consume(m->rb); /* what the last events left */
            break;
        }
        int n = ring_buffer__poll(m->rb, 100);
        if (n < 0 && n != -EINTR) {
            fprintf(stderr, "process_monitor: reading the ring buffer: %s\n", strerror(-n));
            break;
        }
        fflush(stdout);
        report_fault(m);
    }
    fflush(stdout);
    report_fault(m);
}

int main(int argc, char **argv)
{
    struct monitor m = {0};
    int rc = parse(argc, argv, &m.opt);
    if (rc != EXIT_OK)
        return rc;
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: a poll returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int err = ext_register_builtin();
    if (err) {
        fprintf(stderr, "process_monitor: registering the process extension: %s\n", strerror(-err));
        return EXIT_FAILED;
    }
    rc = EXIT_FAILED;
    if (load(&m) == 0 && attach(&m) == 0) {
        rc = EXIT_OK;
        if (m.opt.command && pthread_create(&m.runner, NULL, run_command, &m) != 0) {
            fprintf(stderr, "process_monitor: cannot start the command's thread\n");
            rc = EXIT_FAILED;
        } else {
            loop(&m);
            if (m.opt.command) {
                pthread_join(m.runner, NULL);
                if (m.command_rc)
                    tools_text_printf(stderr, "process_monitor: %s: %s\n", m.opt.command[0],
                                      strerror(-m.command_rc));
                rc = m.command_exit;
            }
        }
    }
    bpf_link__destroy(m.link);
    if (!m.opt.quiet && m.rb)
        summary(&m);
    ring_buffer__free(m.rb);
    ext_supervisor_destroy(m.sv);
    core_prog_release(m.prog);
    bpf_object__close(m.obj);
    return rc;
}
