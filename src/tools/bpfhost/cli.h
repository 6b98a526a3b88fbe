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

/* True if argv holds --help or -h (before any "--"). */
int cli_wants_help(int argc, char **argv);

struct bpf_elf_object;

/* Opens an object file; on failure prints the reason (naming the file) and returns NULL. */
struct bpf_elf_object *cli_open_object(const char *path);

/* Registers every program type the tool knows (built-in ones now, extensions later); 0 or -errno. */
int cli_register_program_types(void);

/* Escapes s (any bytes) as a JSON string literal, quotes included. */
void cli_json_string(FILE *out, const char *s);

/* `bpfhost show sections FILE.o`. */
int cli_show_sections(int argc, char **argv);
/* `bpfhost show disassembly FILE.o [SECTION]`. */
int cli_show_disassembly(int argc, char **argv);
/* `bpfhost show verification FILE.o [SECTION [FUNCTION]] [--type TYPE] [--json] [--verbose]`. */
int cli_show_verification(int argc, char **argv);
/* The details of `bpfhost show verification --help`. */
void cli_show_verification_help(FILE *out);
/* `bpfhost test-run FILE.o SECTION [--ctx FILE] [--data FILE] [--repeat N] [--json]`. */
int cli_test_run(int argc, char **argv);
/* The details of `bpfhost test-run --help`: options, output formats. */
void cli_test_run_help(FILE *out);
/* `bpfhost run --attach PROG.o[:SECTION] ... -- CMD ARGS...`: exits with CMD's status itself once it ran. */
int cli_run(int argc, char **argv);
/* The details of `bpfhost run --help`: options, summary, exit status. */
void cli_run_help(FILE *out);

#endif
