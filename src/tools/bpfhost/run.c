/* `bpfhost run`: runs a command tree under the process programs of one or
 * more objects (the supervised-tree event source: every exec of the tree
 * is a create event the programs can deny, every exit a delete event). */
#include "cli.h"
#include "core/core.h"
#include "ext/ext.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_ATTACH = 32 };

/* One --attach: an object file and the programs of it to attach. */
struct attachment {
    char *file;          /* malloc'd */
    const char *section; /* NULL: every process program; points into the --attach argument */
    struct bpf_elf_object *elf;
    struct core_object *obj;
};

struct options {
    struct attachment attach[MAX_ATTACH];
    size_t attach_count;
    bool json, quiet;
    char **command; /* NULL-terminated, after "--" */
};

void cli_run_help(FILE *out)
{
    fprintf(out,
            "  Runs CMD with ARGS (searched in $PATH) under supervision: every exec of CMD\n"
            "  and of every process it starts is a create event for the attached programs\n"
            "  (the exact argv joined by spaces, the resolved image path), which can deny it\n"
            "  (a non-zero return: the exec fails with EPERM); every exit of such a process\n"
            "  is a delete event with its exit code. Needs no privilege.\n"
            "  --attach PROG.o[:SECTION]  load PROG.o and attach its programs of type\n"
            "                      \"process\", or only those whose section (else function\n"
            "                      name) is SECTION; repeat for more objects (at most %d);\n"
            "                      every program sees every event, any one can deny\n"
            "  --quiet             no summary line at the end\n"
            "  --json              the summary as one JSON object\n"
            "  The summary goes to stderr: \"bpfhost run: E events, D denied, exit code X\"\n"
            "  (plus \", N errors\" / \", N lost\" if any; bpf_printk output and the\n"
            "  reasons are on the trace pipe, see BPFHOST_TRACE_PIPE), or with --json\n"
            "  {\"exit_code\": X, \"events\": E, \"denied\": D, \"errors\": N, \"lost\": N}.\n"
            "  Exit status: CMD's (128+N if signal N killed it); 127 if CMD could not be\n"
            "  started or executed (not found, or its own exec denied); 1 if an object\n"
            "  could not be loaded or attached; 2 bad usage.\n",
            MAX_ATTACH);
}

/* ------------------------------------------------------------------------ */
/* Command line.                                                            */

/* Splits PROG.o[:SECTION] into a; the whole argument is the file if it exists. -1 after a message. */
static int parse_attach(const char *spec, struct attachment *a)
{
    struct stat st;
    const char *colon = strrchr(spec, ':');
    if (stat(spec, &st) == 0 || !colon) {
        a->file = strdup(spec);
        a->section = NULL;
    } else {
        a->file = strndup(spec, (size_t)(colon - spec));
        a->section = colon + 1;
    }
    if (!a->file) {
        fprintf(stderr, "bpfhost: out of memory\n");
        return -1;
    }
    if (a->section && !*a->section) {
        fprintf(stderr, "bpfhost: --attach %s: empty section after ':'\n", spec);
        return -1;
    }
    return 0;
}

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
            if (o->attach_count == MAX_ATTACH) {
                fprintf(stderr, "bpfhost: at most %d --attach\n", MAX_ATTACH);
                return CLI_USAGE;
            }
            if (parse_attach(argv[i], &o->attach[o->attach_count++]))
                return CLI_USAGE;
        } else if (!strcmp(arg, "--json")) {
            o->json = true;
        } else if (!strcmp(arg, "--quiet")) {
            o->quiet = true;
        } else {
            fprintf(stderr, "bpfhost: %s '%s' (the command goes after --)\n",
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
/* Loading and attaching.                                                   */

/* Whether program i of a is one to attach. */
static bool selected(const struct attachment *a, size_t i, bool by_name)
{
    const struct bpf_elf_program *p = &a->elf->programs[i];
    if (!a->section)
        return core_prog_type_find_by_section(p->section) == ext_process_type();
    return !strcmp(by_name ? p->name : p->section, a->section);
}

/* Attaches program i of a to hook, adding its link to links; -1 after a message. */
static int attach_one(const struct attachment *a, size_t i, struct core_hook *hook, struct core_link **link)
{
    const struct bpf_elf_program *p = &a->elf->programs[i];
    struct core_prog_info info;
    core_prog_info(a->obj->progs[i], &info);
    if (info.type != ext_process_type()) {
        fprintf(stderr, "bpfhost: %s: program %s (section %s) is of type '%s', not 'process'\n", a->file, p->name,
                p->section, info.type->name);
        return -1;
    }
    int rc = core_hook_attach(hook, a->obj->progs[i], NULL, 0, link);
    if (rc) {
        fprintf(stderr, "bpfhost: %s: cannot attach %s: %s\n", a->file, p->name, strerror(-rc));
        return -1;
    }
    return 0;
}

/* Loads a and attaches its selected programs (in object order); -1 after a message. */
static int load_and_attach(struct attachment *a, struct core_hook *hook, struct core_link ***links, size_t *count)
{
    a->elf = cli_open_object(a->file);
    if (!a->elf)
        return -1;
    char err[512];
    if (core_object_load(a->elf, NULL, &a->obj, err, sizeof(err)) != 0) {
        fprintf(stderr, "bpfhost: %s: %s\n", a->file, err);
        return -1;
    }
    size_t attached = 0;
    for (int by_name = 0; by_name < 2 && !attached; by_name++) {
        for (size_t i = 0; i < a->elf->program_count; i++) {
            if (!selected(a, i, by_name))
                continue;
            struct core_link **grown = realloc(*links, (*count + 1) * sizeof(**links));
            if (!grown)
                return -1;
            *links = grown;
            if (attach_one(a, i, hook, &(*links)[*count]))
                return -1;
            (*count)++;
            attached++;
        }
        if (!a->section)
            break;
    }
    if (!attached) {
        fprintf(stderr, "bpfhost: %s has no %s; sections:", a->file,
                a->section ? "program in that section or of that name" : "process program");
        for (size_t i = 0; i < a->elf->program_count; i++)
            fprintf(stderr, " %s (%s)", a->elf->programs[i].section, a->elf->programs[i].name);
        fprintf(stderr, "%s\n", a->elf->program_count ? "" : " none");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Running.                                                                 */

static void print_summary(const struct options *o, const struct ext_source_stats *st, int exit_code)
{
    if (o->quiet)
        return;
    if (o->json) {
        fprintf(stderr,
                "{\"exit_code\": %d, \"events\": %" PRIu64 ", \"denied\": %" PRIu64 ", \"errors\": %" PRIu64
                ", \"lost\": %" PRIu64 "}\n",
                exit_code, st->events, st->denied, st->errors, st->lost);
        return;
    }
    fprintf(stderr, "bpfhost run: %" PRIu64 " events, %" PRIu64 " denied, exit code %d", st->events, st->denied,
            exit_code);
    if (st->errors)
        fprintf(stderr, ", %" PRIu64 " errors", st->errors);
    if (st->lost)
        fprintf(stderr, ", %" PRIu64 " lost", st->lost);
    fprintf(stderr, "\n");
}

static void ignore_signal(int sig)
{
    (void)sig;
}

/* Runs the command under sv; its exit code (127 if it could not be run, after a message). */
static int run_command(const struct options *o, struct ext_supervisor *sv)
{
    /* Like system(3): the terminal's ^C and ^\ reach the whole foreground
     * group; we wait to report how the command ended. A handler, not
     * SIG_IGN, so the command gets the default action back. */
    struct sigaction sa = {.sa_handler = ignore_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    int exit_code = 127;
    int rc = ext_supervisor_run(sv, o->command, &exit_code);
    if (rc)
        fprintf(stderr, "bpfhost: %s: %s\n", o->command[0],
                rc == -EPERM ? "its exec was denied" : strerror(-rc));
    struct ext_source_stats st;
    ext_supervisor_stats(sv, &st);
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
    struct core_link **links = NULL;
    size_t link_count = 0;
    if (rc == CLI_OK) {
        int err = cli_register_program_types();
        if (!err)
            err = ext_supervisor_create(&sv, &hook);
        if (err) {
            fprintf(stderr, "bpfhost: cannot set up the supervisor: %s\n", strerror(-err));
            rc = CLI_FAILED;
        }
    }
    for (size_t i = 0; rc == CLI_OK && i < o.attach_count; i++)
        if (load_and_attach(&o.attach[i], hook, &links, &link_count))
            rc = CLI_FAILED;
    if (rc == CLI_OK) {
        rc = run_command(&o, sv);
        ran = true;
    }
    for (size_t i = 0; i < link_count; i++)
        core_link_release(links[i]);
    free(links);
    ext_supervisor_destroy(sv);
    for (size_t i = 0; i < o.attach_count; i++) {
        core_object_close(o.attach[i].obj);
        bpf_elf_close(o.attach[i].elf);
        free(o.attach[i].file);
    }
    if (ran) /* CMD's status, whatever it is: main() would take a 2 for bad usage */
        exit(rc);
    return rc;
}
