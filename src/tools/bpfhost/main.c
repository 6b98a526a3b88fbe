/*
 * bpfhost: the command-line tool, in the spirit of netsh ebpf and bpftool.
 * `bpfhost <verb> ... --help` explains every verb.
 */
#include "cli.h"
#include "tools/tools.h"

#include <string.h>

static void show_disassembly_help(FILE *out)
{
    fprintf(out, "  Prints every program of FILE.o (or those in SECTION) as eBPF assembly,\n"
                 "  interleaved with the C source lines when the object has BTF line info\n"
                 "  (compile with -g). Map references are named.\n");
}

static void show_sections_help(FILE *out)
{
    fprintf(out, "  Lists the programs of FILE.o: section, function name, instruction\n"
                 "  count and the maps each one uses; then the object's maps.\n");
}

static const struct cli_verb verbs[] = {
    {"show sections", "FILE.o", "list the programs and maps of an object file", cli_show_sections,
     show_sections_help},
    {"show disassembly", "FILE.o [SECTION]", "disassemble an object's programs with source lines",
     cli_show_disassembly, show_disassembly_help},
    {"show verification",
     "FILE.o [SECTION [FUNCTION]] [--type TYPE] [--platform linux|windows] [--json] [--verbose] "
     "[--allow-pointer-leaks]",
     "verify an object's programs and explain each rejection", cli_show_verification, cli_show_verification_help},
    {"test-run", "FILE.o SECTION [--ctx FILE] [--data FILE] [--repeat N] [--json]",
     "run a program on a context and data, then show the maps", cli_test_run, cli_test_run_help},
    {"run",
     "--attach PROG.o[:SECTION] [--attach ...] [--fail-closed] [--trace] [--maps] [--binds] [--json] [--quiet] -- CMD "
     "ARGS...",
     "run a command tree under process and bind programs (each exec a create, each exit a delete, each bind a bind)", cli_run, cli_run_help},
    {"attach", "PROG.o[:SECTION]... [--hook HOOK] [--fail-closed] [--json]",
     "attach programs to a system-wide hook until Ctrl-C, then show counts and maps", cli_attach,
     cli_attach_help},
};
enum { VERB_COUNT = sizeof(verbs) / sizeof(verbs[0]) };

void cli_usage(const struct cli_verb *verb, FILE *out)
{
    fprintf(out, "usage: bpfhost %s %s\n  %s\n", verb->words, verb->args, verb->summary);
    if (verb->help)
        verb->help(out);
    fprintf(out, "exit status: 0 success, 1 failure (reason on stderr), 2 bad usage\n");
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) /* after --: a command's own arguments */
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

static void usage_all(FILE *out)
{
    fprintf(out, "usage: bpfhost VERB ... (bpfhost VERB --help for details)\n");
    for (int i = 0; i < VERB_COUNT; i++)
        fprintf(out, "  bpfhost %-20s %-18s %s\n", verbs[i].words, verbs[i].args, verbs[i].summary);
}

/* Number of leading argv words that spell verb->words, or 0. */
static int matches(const struct cli_verb *verb, int argc, char **argv)
{
    const char *w = verb->words;
    int used = 0;
    while (*w) {
        size_t len = strcspn(w, " ");
        if (used >= argc || strlen(argv[used]) != len || strncmp(argv[used], w, len) != 0)
            return 0;
        used++;
        w += len;
        w += *w == ' ';
    }
    return used;
}

int main(int argc, char **argv)
{
    /* A line at a time: `bpfhost run` shares stderr with the command it runs, and a line written in pieces
     * (escaped strings) could have the command's output land in its middle; a pipe takes up to 4096 bytes whole. */
    static char stderr_line[4096];
    setvbuf(stderr, stderr_line, _IOLBF, sizeof(stderr_line));
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage_all(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (int i = 0; i < VERB_COUNT; i++) {
        int used = matches(&verbs[i], argc - 1, argv + 1);
        if (!used)
            continue;
        int vargc = argc - used;
        char **vargv = argv + used;
        if (cli_wants_help(vargc, vargv)) {
            cli_usage(&verbs[i], stdout);
            return CLI_OK;
        }
        int rc = verbs[i].run(vargc, vargv);
        if (rc == CLI_USAGE)
            cli_usage(&verbs[i], stderr);
        return rc;
    }
    tools_text_printf(stderr, "bpfhost: unknown command '%s'\n", argv[1]);
    usage_all(stderr);
    return CLI_USAGE;
}
