/* `bpfhost test-run`: runs one program of an object on a given context and
 * data (BPF_PROG_TEST_RUN), then shows the object's maps. */
#include "cli.h"
#include "core/core.h"
#include "tools/tools.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_REPEAT = 10000000 };

struct options {
    const char *file, *section, *ctx_path, *data_path, *repeat_text;
    uint32_t repeat;
    bool json;
};

/* A file's bytes. */
struct blob {
    uint8_t *bytes;
    size_t size;
};

/* Everything one invocation holds. */
struct session {
    struct options opt;
    struct bpf_elf_object *elf;
    struct core_object *obj;
    size_t prog; /* index into elf->programs and obj->progs */
    struct blob ctx, data;
    bool has_task;
    struct core_task task; /* the simulated event's creator or exiting process */
    struct core_test_run run;
};

void cli_test_run_help(FILE *out)
{
    fprintf(out,
            "  Loads FILE.o, runs the first program whose section (or function name) is\n"
            "  SECTION on a context and data, and prints the result and the object's maps.\n"
            "  --ctx FILE    raw bytes of the context (1 to the program type's context size;\n"
            "                shorter is zero-padded; the data/end pointers are set); for a\n"
            "                process program also a JSON event: one object naming\n"
            "                process_md_t's fields by C name (\"operation\": \"create\"|\"delete\",\n"
            "                \"process_id\", ...) plus \"command_line\" and \"image_path\"; absent\n"
            "                fields are zero. A file with no NUL byte whose first non-blank\n"
            "                character is '{' or '[' is JSON (and must be one object, nothing after)\n"
            "  --data FILE   raw bytes the context's data/end pointer pair points to\n"
            "  --repeat N    runs, 1..10000000 (default 1); the context carries over\n"
            "  --json        one JSON object on stdout instead of text\n"
            "  Text output:\n"
            "    return value: <signed decimal> (0x<hex>)   the int the program returned (r0's low\n"
            "                  32 bits); \"; r0 0x<hex>\" inside the parentheses if r0 holds more\n"
            "    duration: <ns> ns per run (<N> runs)\n"
            "    then per map: map NAME (TYPE, key K, value V, max M):\n"
            "      key <hex bytes>  value <hex bytes>      (per-CPU: cpu0 <hex> cpu1 <hex> ...)\n"
            "      ... N more                              (after %d entries)\n"
            "      ring buffer, <n> bytes pending           (ring buffers, then each record:)\n"
            "      record <hex bytes>                      (... N more records after %d)\n"
            "  JSON output: {\"return_value\": N, \"r0\": \"0x<hex>\", \"duration_ns\": N, \"repeat\": N,\n"
            "    \"maps\": [{\"name\": S, \"type\": S, \"key_size\": N, \"value_size\": N, \"max_entries\": N,\n"
            "     (ring buffers: \"pending_bytes\": N, \"records\": [HEX], \"more_records\": N,)\n"
            "     \"entries\": [{\"key\": HEX, \"value\": HEX} or {\"key\": HEX, \"values\": [HEX per CPU]}],\n"
            "     \"more_entries\": N}]}\n"
            "  A program that stops with an error (bad memory access, ...) prints the\n"
            "  instruction and source line on stderr and exits 1.\n",
            CLI_ENTRIES_SHOWN, CLI_ENTRIES_SHOWN);
}

/* ------------------------------------------------------------------------ */
/* Command line and input files.                                            */

/* Parses --repeat's value into o->repeat; -1 after a message. */
static int parse_repeat(struct options *o)
{
    unsigned long long n;
    if (!o->repeat_text)
        return 0;
    if (tools_parse_count(o->repeat_text, MAX_REPEAT, &n)) {
        tools_text_printf(stderr, "bpfhost: --repeat must be 1..%d, not '%s'\n", MAX_REPEAT, o->repeat_text);
        return -1;
    }
    o->repeat = (uint32_t)n;
    return 0;
}

/* The slot of the option that takes a value named arg, or NULL. */
static const char **valued_option(struct options *o, const char *arg)
{
    if (!strcmp(arg, "--ctx"))
        return &o->ctx_path;
    if (!strcmp(arg, "--data"))
        return &o->data_path;
    if (!strcmp(arg, "--repeat"))
        return &o->repeat_text;
    return NULL;
}

/* Takes one argument (advancing *i for an option's value); a CLI_* code. */
static int take_arg(struct options *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char **slot = valued_option(o, arg);
    if (slot) {
        if (++*i >= argc) {
            tools_text_printf(stderr, "bpfhost: %s needs a value\n", arg);
            return CLI_USAGE;
        }
        *slot = argv[*i];
    } else if (!strcmp(arg, "--json")) {
        o->json = true;
    } else if (arg[0] == '-' && arg[1]) {
        tools_text_printf(stderr, "bpfhost: unknown option '%s'\n", arg);
        return CLI_USAGE;
    } else if (!o->file || !o->section) {
        *(o->file ? &o->section : &o->file) = arg;
    } else {
        tools_text_printf(stderr, "bpfhost: unexpected argument '%s'\n", arg);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* Fills o from argv; a CLI_* code. */
static int parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){.repeat = 1};
    for (int i = 1; i < argc; i++) {
        int rc = take_arg(o, argc, argv, &i);
        if (rc != CLI_OK)
            return rc;
    }
    if (!o->section)
        return CLI_USAGE;
    return parse_repeat(o) ? CLI_USAGE : CLI_OK;
}

/* Reads the whole file at path (NULL: nothing) into b; -1 after a message. */
static int read_blob(const char *path, struct blob *b)
{
    if (!path)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        tools_text_printf(stderr, "bpfhost: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    for (size_t n = 1; n > 0; b->size += n) {
        if (b->size == cap) {
            uint8_t *grown = realloc(b->bytes, cap = cap * 2 + 4096);
            if (!grown)
                break;
            b->bytes = grown;
        }
        n = fread(b->bytes + b->size, 1, cap - b->size, f);
    }
    int failed = ferror(f) || b->size == cap;
    fclose(f);
    if (failed)
        tools_text_printf(stderr, "bpfhost: %s: could not be read\n", path);
    return failed ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Loading and running.                                                     */

/* Opens and loads the object; -1 after a message naming the file. */
static int load(struct session *s)
{
    int rc = cli_register_program_types();
    if (rc) {
        tools_text_printf(stderr, "bpfhost: cannot register the program types: %s\n", strerror(-rc));
        return -1;
    }
    s->elf = cli_open_object(s->opt.file);
    if (!s->elf)
        return -1;
    char err[512];
    if (core_object_load(s->elf, NULL, &s->obj, err, sizeof(err)) != 0) {
        tools_text_printf(stderr, "bpfhost: %s: %s\n", s->opt.file, err);
        return -1;
    }
    return 0;
}

/* Picks the program named by opt.section into s->prog; -1 after listing the sections. */
static int find_program(struct session *s)
{
    const struct bpf_elf_object *elf = s->elf;
    for (int by_name = 0; by_name < 2; by_name++)
        for (size_t i = 0; i < elf->program_count; i++)
            if (!strcmp(by_name ? elf->programs[i].name : elf->programs[i].section, s->opt.section)) {
                s->prog = i;
                return 0;
            }
    tools_text_printf(stderr, "bpfhost: %s has no program in section or named '%s'; sections:", s->opt.file,
            s->opt.section);
    for (size_t i = 0; i < elf->program_count; i++)
        tools_text_printf(stderr, " %s (%s)", elf->programs[i].section, elf->programs[i].name);
    tools_text_printf(stderr, "%s\n", elf->program_count ? "" : " none");
    return -1;
}

/* Whether a file's bytes are JSON: text (no NUL byte, which a raw context has in its zero fields) starting with '{' or '['. */
static bool is_json(const struct blob *b)
{
    if (memchr(b->bytes, 0, b->size))
        return false;
    size_t i = 0;
    while (i < b->size && isspace(b->bytes[i]))
        i++;
    return i < b->size && (b->bytes[i] == '{' || b->bytes[i] == '[');
}

/* Turns the JSON event in s->ctx into the context, data and task of a test run; -1 after a message. */
static int json_event_inputs(struct session *s, const struct core_prog_type *type)
{
    if (s->opt.data_path) {
        tools_text_printf(stderr, "bpfhost: --data: a JSON event carries the context's data itself\n");
        return -1;
    }
    char *text = calloc(1, s->ctx.size + 1), err[256];
    if (!text)
        return -1;
    memcpy(text, s->ctx.bytes, s->ctx.size);
    struct core_test_input in;
    int rc = type->context_from_json(text, &in, err, sizeof(err));
    free(text);
    if (rc) {
        tools_text_printf(stderr, "bpfhost: %s: %s\n", s->opt.ctx_path, rc == -EINVAL ? err : strerror(-rc));
        return -1;
    }
    free(s->ctx.bytes);
    s->ctx = (struct blob){in.ctx, in.ctx_size};
    s->data = (struct blob){in.data, in.data_size};
    s->task = in.task;
    s->has_task = true;
    return 0;
}

/* Reads --ctx and --data and checks them against the program's type; -1 after a message. */
static int read_inputs(struct session *s)
{
    struct core_prog_info info;
    core_prog_info(s->obj->progs[s->prog], &info);
    if (read_blob(s->opt.ctx_path, &s->ctx) || read_blob(s->opt.data_path, &s->data))
        return -1;
    if (s->opt.ctx_path && !s->ctx.size) {
        tools_text_printf(stderr, "bpfhost: %s: empty; a context is its raw bytes%s (or no --ctx: all zero)\n",
                          s->opt.ctx_path, info.type->context_from_json ? " or a JSON event" : "");
        return -1;
    }
    if (s->opt.ctx_path && is_json(&s->ctx)) {
        if (info.type->context_from_json)
            return json_event_inputs(s, info.type);
        tools_text_printf(stderr, "bpfhost: %s: a '%s' program has no JSON events; its context is raw bytes\n",
                s->opt.ctx_path, info.type->name);
        return -1;
    }
    if (s->ctx.size > info.type->ctx_size) {
        tools_text_printf(stderr, "bpfhost: %s: %zu bytes, but a '%s' context has %" PRIu32 "\n", s->opt.ctx_path,
                s->ctx.size, info.type->name, info.type->ctx_size);
        return -1;
    }
    if (s->opt.data_path && !info.type->has_data) {
        tools_text_printf(stderr, "bpfhost: --data: a '%s' context has no data pointers\n", info.type->name);
        return -1;
    }
    return 0;
}

/* Runs the program; -1 after a message. */
static int run(struct session *s)
{
    s->run = (struct core_test_run){
        .ctx_in = s->ctx.bytes,
        .ctx_in_size = s->ctx.size,
        .data_in = s->data.bytes,
        .data_in_size = s->data.size,
        .repeat = s->opt.repeat,
        .task = s->has_task ? &s->task : NULL,
    };
    int rc = core_test_run(s->obj->progs[s->prog], &s->run);
    if (rc == -EFAULT)
        cli_print_fault(s->opt.file, &s->elf->programs[s->prog], &s->run.error, "failed");
    else if (rc)
        tools_text_printf(stderr, "bpfhost: %s: test run failed: %s\n", s->opt.file, strerror(-rc));
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Output.                                                                  */

/*
 * The return value as the hooks read it: programs return an int, and r0
 * holds it sign- or zero-extended depending on how the compiler wrote the
 * return; both mean the same 32-bit value (Linux's test run reports 32 bits
 * too). Whether r0 holds more than that.
 */
static bool r0_wider_than_int(uint64_t r0)
{
    uint32_t hi = (uint32_t)(r0 >> 32);
    return hi != 0 && !(hi == UINT32_MAX && (int32_t)(uint32_t)r0 < 0);
}

static void print_text(const struct session *s)
{
    uint64_t r0 = s->run.retval;
    printf("return value: %" PRId32 " (0x%" PRIx32, (int32_t)(uint32_t)r0, (uint32_t)r0);
    if (r0_wider_than_int(r0))
        printf("; r0 0x%" PRIx64, r0);
    printf(")\n");
    printf("duration: %" PRIu64 " ns per run (%" PRIu32 " runs)\n", s->run.duration_ns, s->opt.repeat);
    cli_print_maps(stdout, s->obj, false);
}

static void print_json(const struct session *s)
{
    uint64_t r0 = s->run.retval;
    printf("{\"return_value\": %" PRId32 ", \"r0\": \"0x%" PRIx64 "\", \"duration_ns\": %" PRIu64
           ", \"repeat\": %" PRIu32 ", \"maps\": ",
           (int32_t)(uint32_t)r0, r0, s->run.duration_ns, s->opt.repeat);
    cli_print_maps(stdout, s->obj, true);
    printf("}\n");
}

static void session_close(struct session *s)
{
    core_object_close(s->obj);
    bpf_elf_close(s->elf);
    free(s->ctx.bytes);
    free(s->data.bytes);
}

int cli_test_run(int argc, char **argv)
{
    struct session s = {0};
    int rc = parse_args(argc, argv, &s.opt);
    if (rc != CLI_OK)
        return rc;
    if (load(&s) || find_program(&s) || read_inputs(&s) || run(&s)) {
        session_close(&s);
        return CLI_FAILED;
    }
    if (s.opt.json)
        print_json(&s);
    else
        print_text(&s);
    session_close(&s);
    return CLI_OK;
}
