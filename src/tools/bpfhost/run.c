/* `bpfhost run`: runs a command tree under the process programs of one or
 * more objects (the supervised-tree event source: every exec of the tree
 * is a create event the programs can deny, every exit a delete event). */
#include "cli.h"
#include "core/core.h"
#include "ext/ext.h"
#include "tools/tools.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct options {
    struct cli_policy policy;
    bool json, quiet, trace, maps, binds;
    char **command; /* NULL-terminated, after "--" */
};

void cli_run_help(FILE *out)
{
    fprintf(out,
            "  Runs CMD with ARGS (searched in $PATH) under supervision: every exec of CMD\n"
            "  and of every process it starts is a create event for the attached programs\n"
            "  (the exact argv joined by spaces, the resolved image path), which can deny it\n"
            "  (a non-zero return: the exec fails with EPERM); every exit of such a process\n"
            "  is a delete event with its exit code. Every bind of an IPv4/IPv6 socket is a\n"
            "  bind event for the attached \"bind\" programs (deny: EACCES; redirect).\n"
            "  Needs no privilege.\n"
            "  --attach PROG.o[:SECTION]  load PROG.o and attach its programs of type\n"
            "                      \"process\" and \"bind\", or only those whose section (else function\n"
            "                      name) is SECTION; repeat for more objects (at most %d);\n"
            "                      every program sees every event, any one can deny\n"
            "  --fail-closed       a create on which a program faults (bad memory access,\n"
            "                      instruction budget spent) is denied; by default it goes\n"
            "                      on as if the program had returned 0 (fail-open)\n"
            "  --trace             bpf_printk lines (and the host's own trace lines) on\n"
            "                      stderr as they come, escaped\n"
            "  --maps              the programs' maps after the summary, as test-run shows\n"
            "                      them (ring buffers: the pending records as hex)\n"
            "  --binds             one line per bind of the tree on stderr: process, image,\n"
            "                      protocol, address asked for, verdict (permit, deny,\n"
            "                      redirect), address bound or error (a JSON object with --json)\n"
            "  --quiet             no summary at the end\n"
            "  --json              the summary (and maps) as one JSON object\n"
            "  The first fault of each program is reported on stderr when it happens, with\n"
            "  its instruction and source line. The summary goes to stderr:\n"
            "  \"bpfhost run: E events, D denied, exit code X\" (plus \", N errors\" /\n"
            "  \", N lost\" / \", N faults\" if any), then per program \"  program NAME (FILE,\n"
            "  section S): R runs, D denied, F faults\"; with --json {\"exit_code\": X,\n"
            "  \"events\": E, \"denied\": D, \"errors\": N, \"lost\": N, \"faults\": N,\n"
            "  \"programs\": [...] (, \"objects\": [{\"file\", \"maps\"}] with --maps)}.\n"
            "  Exit status: CMD's (128+N if signal N killed it); 127 if CMD could not be\n"
            "  started or executed (not found, or its own exec denied); 1 if an object\n"
            "  could not be loaded or attached; 2 bad usage.\n",
            CLI_MAX_OBJECTS);
}

/* ------------------------------------------------------------------------ */
/* Command line.                                                            */

/* Fills o from argv; a CLI_* code. */
static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--")) {
            o->command = argv + i + 1;
            break;
        }
        if (!strcmp(arg, "--attach")) {
            if (++i >= argc) {
                fprintf(stderr, "bpfhost: --attach needs PROG.o[:SECTION]\n");
                return CLI_USAGE;
            }
            if (cli_policy_add(&o->policy, argv[i]))
                return CLI_USAGE;
        } else if (!strcmp(arg, "--json")) {
            o->json = true;
        } else if (!strcmp(arg, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(arg, "--trace")) {
            o->trace = true;
        } else if (!strcmp(arg, "--maps")) {
            o->maps = true;
        } else if (!strcmp(arg, "--binds")) {
            o->binds = true;
        } else if (!strcmp(arg, "--fail-closed")) {
            o->policy.fail_closed = true;
        } else {
            tools_text_printf(stderr, "bpfhost: %s '%s' (the command goes after --)\n",
                    arg[0] == '-' ? "unknown option" : "unexpected argument", arg);
            return CLI_USAGE;
        }
    }
    if (!o->command || !o->command[0]) {
        fprintf(stderr, "bpfhost: no command: bpfhost run [--attach PROG.o] ... -- CMD ARGS...\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* ------------------------------------------------------------------------ */
/* Running.                                                                 */

static void print_summary(struct options *o, const struct ext_source_stats *st, int exit_code)
{
    uint64_t faults = cli_policy_faults(&o->policy);
    if (o->json) {
        fprintf(stderr,
                "{\"exit_code\": %d, \"events\": %" PRIu64 ", \"denied\": %" PRIu64 ", \"errors\": %" PRIu64
                ", \"lost\": %" PRIu64 ", \"faults\": %" PRIu64 ", \"programs\": ",
                exit_code, st->events, st->denied, st->errors, st->lost, faults);
        cli_policy_print_programs(&o->policy, stderr, true);
        if (o->maps) {
            fprintf(stderr, ", \"objects\": ");
            cli_policy_print_maps(&o->policy, stderr, true);
        }
        fprintf(stderr, "}\n");
        return;
    }
    fprintf(stderr, "bpfhost run: %" PRIu64 " events, %" PRIu64 " denied, exit code %d", st->events, st->denied,
            exit_code);
    if (st->errors)
        fprintf(stderr, ", %" PRIu64 " errors", st->errors);
    if (st->lost)
        fprintf(stderr, ", %" PRIu64 " lost", st->lost);
    if (faults)
        fprintf(stderr, ", %" PRIu64 " faults (%s)", faults, o->policy.fail_closed ? "fail-closed" : "fail-open");
    fprintf(stderr, "\n");
    cli_policy_print_programs(&o->policy, stderr, false);
    if (o->maps)
        cli_policy_print_maps(&o->policy, stderr, false);
}

/* ext_supervisor_on_bind()'s callback for --binds. */
static void print_bind(void *arg, const struct ext_bind_report *report)
{
    const struct options *o = arg;
    cli_print_bind(stderr, o->json, report);
}

static void ignore_signal(int sig)
{
    (void)sig;
}

/* The thread that shows trace lines and first faults while the command runs. */
struct watcher {
    struct cli_trace trace;
    pthread_t thread;
    atomic_bool stop;
};

static void *watch(void *arg)
{
    struct watcher *w = arg;
    while (!atomic_load(&w->stop))
        cli_trace_pump(&w->trace, 100);
    return NULL;
}

/* Runs the command under sv; its exit code (127 if it could not be run, after a message). */
static int run_command(struct options *o, struct ext_supervisor *sv)
{
    /* Like system(3): the terminal's ^C and ^\ reach the whole foreground
     * group; we wait to report how the command ended. A handler, not
     * SIG_IGN, so the command gets the default action back. */
    struct sigaction sa = {.sa_handler = ignore_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    struct watcher w = {.stop = false};
    cli_trace_begin(&w.trace, o->trace ? stderr : NULL, false, &o->policy);
    bool watching = pthread_create(&w.thread, NULL, watch, &w) == 0;
    int exit_code = 127;
    int rc = ext_supervisor_run(sv, o->command, &exit_code);
    if (rc)
        tools_text_printf(stderr, "bpfhost: %s: %s\n", o->command[0],
                          rc == -EPERM ? "its exec was denied" : strerror(-rc));
    cli_policy_detach(&o->policy);
    if (watching) {
        atomic_store(&w.stop, true);
        pthread_join(w.thread, NULL);
    }
    cli_trace_pump(&w.trace, 0); /* what came last */
    struct ext_source_stats st;
    ext_supervisor_stats(sv, &st);
    if (!o->quiet)
        print_summary(o, &st, exit_code);
    return exit_code;
}

int cli_run(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_args(argc, argv, &o);
    bool ran = false;
    struct ext_supervisor *sv = NULL;
    struct core_hook *hook = NULL;
    if (rc == CLI_OK) {
        int err = cli_register_program_types();
        if (!err)
            err = ext_supervisor_create(&sv, &hook);
        if (err) {
            fprintf(stderr, "bpfhost: cannot set up the supervisor: %s\n", strerror(-err));
            rc = CLI_FAILED;
        }
    }
    struct core_hook *hooks[] = {hook, ext_supervisor_hook(sv, ext_bind_type()->name)};
    if (rc == CLI_OK && o.binds)
        ext_supervisor_on_bind(sv, print_bind, &o);
    if (rc == CLI_OK && (cli_policy_open(&o.policy) || cli_policy_attach_hooks(&o.policy, hooks, 2)))
        rc = CLI_FAILED;
    if (rc == CLI_OK) {
        rc = run_command(&o, sv);
        ran = true;
    }
    cli_policy_detach(&o.policy);
    ext_supervisor_destroy(sv);
    cli_policy_close(&o.policy);
    if (ran) /* CMD's status, whatever it is: main() would take a 2 for bad usage */
        exit(rc);
    return rc;
}
