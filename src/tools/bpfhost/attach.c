/*
 * `bpfhost attach`: a policy system-wide from the command line. Loads the
 * objects (every load is verified), attaches their programs to the hook of
 * their type (or the one named), prints the trace pipe as it comes and, on
 * SIGINT or SIGTERM, detaches and prints each program's counts and the
 * maps.
 */
#include "cli.h"
#include "core/core.h"
#include "ext/ext.h"
#include "tools/tools.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct options {
    struct cli_policy policy;
    const char *hook; /* NULL: the hook named like the programs' type */
    bool json;
};

void cli_attach_help(FILE *out)
{
    fprintf(out,
            "  Loads each PROG.o (verified as every load is) and attaches its programs of\n"
            "  the hook's type, or only those whose section (else function name) is\n"
            "  SECTION, to one hook for the whole machine until SIGINT (Ctrl-C) or SIGTERM.\n"
            "  --hook HOOK     the hook: by default the one named like the programs' type\n"
            "                  (\"process\": every exec before it runs, which a program can\n"
            "                  deny, and every exit; root); \"process/fanotify\" the execs\n"
            "                  only; \"process/audit\", \"process/tracepoint\" and\n"
            "                  \"process/netlink\" observe after the fact: nothing is denied\n"
            "                  and a warning says so\n"
            "  --fail-closed   a create on which a program faults (bad memory access,\n"
            "                  instruction budget spent) is denied; by default it goes on\n"
            "                  as if the program had returned 0 (fail-open), so a broken\n"
            "                  policy does not stop every exec on the machine\n"
            "  --json          JSON lines on stdout instead of text\n"
            "  Stdout: each trace-pipe line (bpf_printk, and the host's own) as it comes,\n"
            "  escaped; with --json {\"trace\": LINE}. At the end the summary: \"bpfhost\n"
            "  attach: hook H: E events, D denied, L lost, N errors, F faults\" (the\n"
            "  source's counts; \"would have denied\" on a hook that cannot deny), then per\n"
            "  program \"  program NAME (FILE, section S): R runs, D denied, F faults\" and\n"
            "  each object's maps as test-run shows them; with --json one object {\"hook\",\n"
            "  \"events\", \"denied\", \"lost\", \"errors\", \"faults\", \"fail_closed\", \"programs\":\n"
            "  [...], \"objects\": [{\"file\", \"maps\"}]}. Stderr: warnings, and the first fault\n"
            "  of each program when it happens, with its instruction and source line.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--hook")) {
            if (++i >= argc) {
                fprintf(stderr, "bpfhost: --hook needs a hook name\n");
                return CLI_USAGE;
            }
            o->hook = argv[i];
        } else if (!strcmp(arg, "--json")) {
            o->json = true;
        } else if (!strcmp(arg, "--fail-closed")) {
            o->policy.fail_closed = true;
        } else if (arg[0] == '-' && arg[1]) {
            tools_text_printf(stderr, "bpfhost: unknown option '%s'\n", arg);
            return CLI_USAGE;
        } else if (cli_policy_add(&o->policy, arg)) {
            return CLI_USAGE;
        }
    }
    if (!o->policy.object_count) {
        fprintf(stderr, "bpfhost: no object: bpfhost attach PROG.o[:SECTION] ...\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* The hook to attach to: the one named, else the one named like the type of the first program selected. */
static struct core_hook *find_hook(const struct options *o)
{
    const char *name = o->hook;
    const struct cli_object *first = &o->policy.objects[0];
    for (size_t i = 0; !name && i < first->elf->program_count; i++) {
        const struct bpf_elf_program *p = &first->elf->programs[i];
        const struct core_prog_type *type = core_prog_type_find_by_section(p->section);
        bool named = first->section && (!strcmp(p->section, first->section) || !strcmp(p->name, first->section));
        if (type && core_hook_find(type->name) && (named || !first->section))
            name = type->name;
    }
    if (!name) {
        tools_text_printf(stderr, "bpfhost: %s: no program of a type with a system-wide hook; give --hook\n",
                          first->file);
        return NULL;
    }
    struct core_hook *hook = core_hook_find(name);
    if (!hook)
        tools_text_printf(stderr, "bpfhost: no hook named '%s' (process programs: %s, %s, %s, %s, %s; bind programs: %s)\n",
                          name, EXT_PROCESS_HOOK, EXT_PROCESS_HOOK_FANOTIFY, EXT_PROCESS_HOOK_AUDIT,
                          EXT_PROCESS_HOOK_TRACEPOINT, EXT_PROCESS_HOOK_NETLINK, EXT_BIND_HOOK);
    return hook;
}

/* Says so when the programs' denials would be ignored. */
static void warn_if_observe_only(const struct cli_policy *pol)
{
    const char *hook = core_hook_name(pol->hook);
    if (!strcmp(core_hook_prog_type(pol->hook), ext_bind_type()->name)) {
        tools_text_printf(stderr,
                          "bpfhost: warning: hook '%s' sees binds after they happen and cannot deny or redirect "
                          "them: BIND_DENY returns are counted as 'would have denied' (to enforce: bpfhost run "
                          "--attach PROG.o -- CMD)\n",
                          hook);
        return;
    }
    if (strcmp(core_hook_prog_type(pol->hook), ext_process_type()->name) != 0 || cli_policy_can_deny(pol))
        return;
    tools_text_printf(stderr,
                      "bpfhost: warning: hook '%s' sees execs after they happen and cannot deny them: a program's "
                      "non-zero returns on creates are counted as 'would have denied'%s (to enforce: --hook %s)\n",
                      hook, pol->fail_closed ? ", and --fail-closed has no effect" : "", EXT_PROCESS_HOOK);
}

static atomic_bool stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = true;
}

/* The end: the source's and each program's counts, then the maps. */
static void print_summary(const struct options *o)
{
    const struct cli_policy *pol = &o->policy;
    const char *hook = core_hook_name(pol->hook);
    struct ext_source_stats st;
    bool has_stats = ext_source_stats(hook, &st) == 0;
    uint64_t faults = cli_policy_faults(pol);
    if (o->json) {
        printf("{");
        tools_json_field(stdout, "hook", ": ", hook, strlen(hook));
        if (has_stats)
            printf(", \"events\": %" PRIu64 ", \"denied\": %" PRIu64 ", \"lost\": %" PRIu64 ", \"errors\": %" PRIu64,
                   st.events, st.denied, st.lost, st.errors);
        printf(", \"faults\": %" PRIu64 ", \"fail_closed\": %s, \"programs\": ", faults,
               pol->fail_closed ? "true" : "false");
        cli_policy_print_programs(pol, stdout, true);
        printf(", \"objects\": ");
        cli_policy_print_maps(pol, stdout, true);
        printf("}\n");
        return;
    }
    tools_text_printf(stdout, "bpfhost attach: hook %s: ", hook);
    if (has_stats && cli_policy_can_deny(pol))
        printf("%" PRIu64 " events, %" PRIu64 " denied, ", st.events, st.denied);
    else if (has_stats)
        printf("%" PRIu64 " events (observed, none can be denied), ", st.events);
    if (has_stats)
        printf("%" PRIu64 " lost, %" PRIu64 " errors, ", st.lost, st.errors);
    printf("%" PRIu64 " faults (%s)\n", faults, pol->fail_closed ? "fail-closed" : "fail-open");
    cli_policy_print_programs(pol, stdout, false);
    cli_policy_print_maps(pol, stdout, false);
}

/* Prints the trace pipe (from where trace began) until SIGINT or SIGTERM. */
static void follow(struct options *o, struct cli_trace *trace)
{
    while (!stop_requested)
        cli_trace_pump(trace, 200);
    cli_policy_detach(&o->policy); /* no dispatch in progress after this: the counts are final */
    cli_trace_pump(trace, 0);
}

int cli_attach(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_args(argc, argv, &o);
    /* Until the programs are attached, only this thread takes the signals (the sources' threads inherit the mask). */
    sigset_t stop_signals, old;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
    if (rc == CLI_OK) {
        int err = cli_register_program_types();
        if (err) {
            fprintf(stderr, "bpfhost: cannot register the program types: %s\n", strerror(-err));
            rc = CLI_FAILED;
        }
    }
    struct core_hook *hook = NULL;
    /* The trace from before the attach: a program may write lines as soon as it is attached. */
    struct cli_trace trace;
    cli_trace_begin(&trace, stdout, o.json, &o.policy);
    if (rc == CLI_OK && (cli_policy_open(&o.policy) || !(hook = find_hook(&o)) || cli_policy_attach(&o.policy, hook)))
        rc = CLI_FAILED;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == CLI_OK) {
        warn_if_observe_only(&o.policy);
        fprintf(stderr, "bpfhost: attached %zu program%s to hook ", o.policy.program_count,
                o.policy.program_count == 1 ? "" : "s");
        tools_text_printf(stderr, "%s (%s); Ctrl-C detaches and shows the counts and maps\n", core_hook_name(hook),
                          o.policy.fail_closed ? "fail-closed" : "fail-open");
        follow(&o, &trace);
        print_summary(&o);
        fflush(stdout);
    }
    cli_policy_close(&o.policy);
    return rc;
}
