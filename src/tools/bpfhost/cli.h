/* Private to the bpfhost tool: the verbs and what they share. */
#ifndef BPFHOST_TOOLS_BPFHOST_CLI_H
#define BPFHOST_TOOLS_BPFHOST_CLI_H

#include <stdbool.h>
#include <stdint.h>
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

struct core_object;
struct bpf_elf_program;
struct exec_result;

/* Entries of a map (and records of a ring buffer) shown before "... N more". */
enum { CLI_ENTRIES_SHOWN = 64 };

/*
 * Writes every map of a loaded object, as test-run shows them: text (each
 * map after a blank line: "map NAME (TYPE, key K, value V, max M):", its
 * entries as hex) or, with json, one JSON array of map objects. Ring
 * buffers show the records still pending, as hex, consuming them.
 */
void cli_print_maps(FILE *out, const struct core_object *obj, bool json);

/* Writes on stderr why a run of p (in object file) stopped, with its source line: "bpfhost: FILE: program ... WHAT: ...". */
void cli_print_fault(const char *file, const struct bpf_elf_program *p, const struct exec_result *fault,
                     const char *what);

/* ------------------------------------------------------------------------ */
/* Policies: programs of objects attached to one hook (run, attach).         */

enum { CLI_MAX_OBJECTS = 32 };

/* One PROG.o[:SECTION] argument. */
struct cli_object {
    char *file;          /* malloc'd */
    const char *section; /* NULL: every program of the hook's type; points into the argument */
    struct bpf_elf_object *elf;
    struct core_object *obj;
};

/* One attached program. */
struct cli_program {
    const struct cli_object *from;
    size_t index; /* into from->elf->programs and from->obj->progs */
    struct core_link *link;
    bool fault_reported;
};

struct core_hook;

enum { CLI_MAX_HOOKS = 2 };

/* The objects a verb was given and the programs of them it attached to one hook. */
struct cli_policy {
    struct cli_object objects[CLI_MAX_OBJECTS];
    size_t object_count;
    struct cli_program *programs;
    size_t program_count;
    struct core_hook *hook; /* hooks[0] */
    struct core_hook *hooks[CLI_MAX_HOOKS]; /* each program goes to the one of its type */
    size_t hook_count;
    bool fail_closed; /* attach process and bind programs with EXT_PROCESS_FAIL_CLOSED */
};

/* Adds an object from PROG.o[:SECTION] (the whole argument is the file if it exists); -1 after a message. */
int cli_policy_add(struct cli_policy *pol, const char *spec);
/* Opens every object file; -1 after a message. */
int cli_policy_open(struct cli_policy *pol);
/*
 * Loads every object and attaches to hook, in order, its programs whose
 * section (else function name) is the one given, or without one every
 * program of the hook's type; -1 after a message.
 */
int cli_policy_attach(struct cli_policy *pol, struct core_hook *hook);
/* cli_policy_attach() to several hooks of different types: each program to the one of its type. */
int cli_policy_attach_hooks(struct cli_policy *pol, struct core_hook *const *hooks, size_t count);
/* Whether the hook is a process hook whose denials stop the create. */
bool cli_policy_can_deny(const struct cli_policy *pol);
/* Writes on stderr the first fault of each program that faulted since the last call (instruction, source line). */
void cli_policy_report_faults(struct cli_policy *pol);
/* The faults of all the programs. */
uint64_t cli_policy_faults(const struct cli_policy *pol);
/*
 * Writes each program's counts: text lines "  program NAME (FILE, section
 * S): R runs, D denied|would have denied, F faults", or a JSON array of
 * {"object", "section", "name", "runs", "denied", "would_have_denied", "faults"}.
 */
void cli_policy_print_programs(const struct cli_policy *pol, FILE *out, bool json);
/* Writes each object's maps (cli_print_maps): text "maps of FILE:" then the maps, or a JSON array of {"file", "maps"}. */
void cli_policy_print_maps(const struct cli_policy *pol, FILE *out, bool json);
/* Detaches every program (waiting for dispatches in progress), so the counts are final. */
void cli_policy_detach(struct cli_policy *pol);
/* Detaches and frees everything. */
void cli_policy_close(struct cli_policy *pol);

/* A reader of the trace pipe from where it was begun. */
struct cli_trace {
    uint64_t cursor;
    FILE *out;                 /* NULL: lines are skipped */
    bool json;                 /* each line as {"trace": LINE} */
    struct cli_policy *policy; /* NULL, or whose first faults are reported at each pump */
};

/* Starts following the trace pipe at its end. */
void cli_trace_begin(struct cli_trace *t, FILE *out, bool json, struct cli_policy *policy);
/* Writes the lines that came (escaped), waiting up to timeout_ms for the first; then reports new faults. */
void cli_trace_pump(struct cli_trace *t, int timeout_ms);

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
/* `bpfhost attach PROG.o[:SECTION]... [--hook HOOK] [--json] [--fail-closed]`: until SIGINT or SIGTERM. */
int cli_attach(int argc, char **argv);
/* The details of `bpfhost attach --help`. */
void cli_attach_help(FILE *out);

/* binds_print.c: one line for a bind of a supervised tree (text, or a JSON object). */
struct ext_bind_report;
void cli_print_bind(FILE *out, bool json, const struct ext_bind_report *r);

#endif
