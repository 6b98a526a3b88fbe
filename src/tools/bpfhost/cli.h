/* Private to the bpfhost tool: the verbs and what they share. */
#ifndef BPFHOST_TOOLS_BPFHOST_CLI_H
#define BPFHOST_TOOLS_BPFHOST_CLI_H

#include <stdio.h>

/* Exit codes of every verb (documented in README.md). */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1, /* the object could not be loaded, the program failed, ... */
    CLI_USAGE = 2,  /* bad command line */
};

/* A verb: argv[0] is the verb's last word; returns a CLI_* exit code. */
struct cli_verb {
    const char *words; /* "show sections" */
    const char *args;  /* "FILE.o" */
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *out); /* details after the usage line; may be NULL */
};

/* Prints "usage: bpfhost <words> <args>" and the verb's help. */
void cli_usage(const struct cli_verb *verb, FILE *out);

/* True if argv holds --help or -h. */
int cli_wants_help(int argc, char **argv);

int cli_show_sections(int argc, char **argv);
int cli_show_disassembly(int argc, char **argv);

#endif
