/* `bpfhost test-run`: runs one program of an object on a given context and
 * data (BPF_PROG_TEST_RUN), then shows the object's maps. */
#include "cli.h"
#include "core/core.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { ENTRIES_SHOWN = 64, MAX_REPEAT = 10000000 };

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
            "  --ctx FILE    raw bytes of the context (at most the program type's context\n"
            "                size; shorter is zero-padded; the data/end pointers are set);\n"
            "                for a process program also a JSON event: process_md_t's fields\n"
            "                by C name (\"operation\": \"create\"|\"delete\", \"process_id\", ...)\n"
            "                plus \"command_line\" and \"image_path\"; absent fields are zero\n"
            "  --data FILE   raw bytes the context's data/end pointer pair points to\n"
            "  --repeat N    runs, 1..10000000 (default 1); the context carries over\n"
            "  --json        one JSON object on stdout instead of text\n"
            "  Text output:\n"
            "    return value: <signed decimal> (0x<hex of the 64-bit r0>)\n"
            "    duration: <ns> ns per run (<N> runs)\n"
            "    then per map: map NAME (TYPE, key K, value V, max M):\n"
            "      key <hex bytes>  value <hex bytes>      (per-CPU: cpu0 <hex> cpu1 <hex> ...)\n"
            "      ... N more                              (after %d entries)\n"
            "      ring buffer, <n> bytes pending           (ring buffers)\n"
            "  JSON output: {\"return_value\": N, \"duration_ns\": N, \"repeat\": N, \"maps\": [\n"
            "    {\"name\": S, \"type\": S, \"key_size\": N, \"value_size\": N, \"max_entries\": N,\n"
            "     \"entries\": [{\"key\": HEX, \"value\": HEX} or {\"key\": HEX, \"values\": [HEX per CPU]}],\n"
            "     \"more_entries\": N, \"pending_bytes\": N (ring buffers only)}]}\n"
            "  A program that stops with an error (bad memory access, ...) prints the\n"
            "  instruction and source line on stderr and exits 1.\n",
            ENTRIES_SHOWN);
}

/* ------------------------------------------------------------------------ */
/* Command line and input files.                                            */

/* Parses --repeat's value into o->repeat; -1 after a message. */
static int parse_repeat(struct options *o)
{
    const char *text = o->repeat_text;
    if (!text)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = isdigit((unsigned char)*text) ? strtoull(text, &end, 10) : 0;
    if (n < 1 || n > MAX_REPEAT || errno || *end) {
        fprintf(stderr, "bpfhost: --repeat must be 1..%d, not '%s'\n", MAX_REPEAT, text);
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
            fprintf(stderr, "bpfhost: %s needs a value\n", arg);
            return CLI_USAGE;
        }
        *slot = argv[*i];
    } else if (!strcmp(arg, "--json")) {
        o->json = true;
    } else if (arg[0] == '-' && arg[1]) {
        fprintf(stderr, "bpfhost: unknown option '%s'\n", arg);
        return CLI_USAGE;
    } else if (!o->file || !o->section) {
        *(o->file ? &o->section : &o->file) = arg;
    } else {
        fprintf(stderr, "bpfhost: unexpected argument '%s'\n", arg);
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
        fprintf(stderr, "bpfhost: %s: %s\n", path, strerror(errno));
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
        fprintf(stderr, "bpfhost: %s: could not be read\n", path);
    return failed ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Loading and running.                                                     */

/* Opens and loads the object; -1 after a message naming the file. */
static int load(struct session *s)
{
    int rc = cli_register_program_types();
    if (rc) {
        fprintf(stderr, "bpfhost: cannot register the program types: %s\n", strerror(-rc));
        return -1;
    }
    s->elf = cli_open_object(s->opt.file);
    if (!s->elf)
        return -1;
    char err[512];
    if (core_object_load(s->elf, NULL, &s->obj, err, sizeof(err)) != 0) {
        fprintf(stderr, "bpfhost: %s: %s\n", s->opt.file, err);
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
    fprintf(stderr, "bpfhost: %s has no program in section or named '%s'; sections:", s->opt.file,
            s->opt.section);
    for (size_t i = 0; i < elf->program_count; i++)
        fprintf(stderr, " %s (%s)", elf->programs[i].section, elf->programs[i].name);
    fprintf(stderr, "%s\n", elf->program_count ? "" : " none");
    return -1;
}

/* Whether a file's bytes are a JSON object (first non-blank byte '{'). */
static bool is_json(const struct blob *b)
{
    size_t i = 0;
    while (i < b->size && isspace(b->bytes[i]))
        i++;
    return i < b->size && b->bytes[i] == '{';
}

/* Turns the JSON event in s->ctx into the context, data and task of a test run; -1 after a message. */
static int json_event_inputs(struct session *s, const struct core_prog_type *type)
{
    if (s->opt.data_path) {
        fprintf(stderr, "bpfhost: --data: a JSON event carries the context's data itself\n");
        return -1;
    }
    if (memchr(s->ctx.bytes, '\0', s->ctx.size)) { /* the parser would stop there and ignore the rest */
        fprintf(stderr, "bpfhost: %s: a JSON event is text, but the file has a NUL byte\n", s->opt.ctx_path);
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
        fprintf(stderr, "bpfhost: %s: %s\n", s->opt.ctx_path, rc == -EINVAL ? err : strerror(-rc));
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
    if (s->opt.ctx_path && is_json(&s->ctx)) {
        if (info.type->context_from_json)
            return json_event_inputs(s, info.type);
        fprintf(stderr, "bpfhost: %s: a '%s' program has no JSON events; its context is raw bytes\n",
                s->opt.ctx_path, info.type->name);
        return -1;
    }
    if (s->ctx.size > info.type->ctx_size) {
        fprintf(stderr, "bpfhost: %s: %zu bytes, but a '%s' context has %" PRIu32 "\n", s->opt.ctx_path,
                s->ctx.size, info.type->name, info.type->ctx_size);
        return -1;
    }
    if (s->opt.data_path && !info.type->has_data) {
        fprintf(stderr, "bpfhost: --data: a '%s' context has no data pointers\n", info.type->name);
        return -1;
    }
    return 0;
}

/* Prints why the run stopped: the interpreter's message and the source line. */
static void report_fault(const struct session *s)
{
    const struct bpf_elf_program *p = &s->elf->programs[s->prog];
    const struct exec_result *e = &s->run.error;
    fprintf(stderr, "bpfhost: %s: program %s (section %s) failed: %s\n", s->opt.file, p->name, p->section, e->msg);
    const struct bpf_elf_line *line = bpf_elf_line_of(p, e->pc);
    if (line)
        fprintf(stderr, "  at %s:%u: %s\n", line->file, line->line, line->text);
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
        report_fault(s);
    else if (rc)
        fprintf(stderr, "bpfhost: %s: test run failed: %s\n", s->opt.file, strerror(-rc));
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Output: one walk over the maps, written as text or JSON.                 */

/* One map as shown. */
struct map_view {
    const char *name;
    const char *type;
    struct core_map_info info;
    bool ringbuf;
    uint64_t pending; /* ring buffers: bytes not yet consumed */
    unsigned cpus;    /* values per entry: map_nr_cpus() for per-CPU maps, else 1 */
    size_t stride;    /* bytes between two CPUs' values */
};

/* One entry: cpus values of info.value_size bytes, stride apart. */
struct entry_view {
    const uint8_t *key, *value;
};

struct printer {
    void (*result)(const struct session *s);
    void (*map_begin)(const struct map_view *m, size_t index);
    void (*entry)(const struct map_view *m, const struct entry_view *e, size_t index);
    void (*map_end)(const struct map_view *m, size_t shown, size_t more);
    void (*end)(void);
};

static void print_hex(const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", bytes[i]);
}

/* Prints a name with bytes outside printable ASCII as \xNN. */
static void print_text_name(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        printf(isprint(*p) && *p != '\\' ? "%c" : "\\x%02x", *p);
}

static void text_result(const struct session *s)
{
    printf("return value: %" PRId64 " (0x%" PRIx64 ")\n", (int64_t)s->run.retval, s->run.retval);
    printf("duration: %" PRIu64 " ns per run (%" PRIu32 " runs)\n", s->run.duration_ns, s->opt.repeat);
}

static void text_map_begin(const struct map_view *m, size_t index)
{
    (void)index;
    printf("\nmap ");
    print_text_name(m->name);
    printf(" (%s, key %" PRIu32 ", value %" PRIu32 ", max %" PRIu32 "):\n", m->type, m->info.key_size,
           m->info.value_size, m->info.max_entries);
    if (m->ringbuf)
        printf("  ring buffer, %" PRIu64 " bytes pending\n", m->pending);
}

static void text_entry(const struct map_view *m, const struct entry_view *e, size_t index)
{
    (void)index;
    printf("  key ");
    print_hex(e->key, m->info.key_size);
    for (unsigned cpu = 0; cpu < m->cpus; cpu++) {
        if (m->cpus > 1)
            printf(" cpu%u ", cpu);
        else
            printf("  value ");
        print_hex(e->value + cpu * m->stride, m->info.value_size);
    }
    printf("\n");
}

static void text_map_end(const struct map_view *m, size_t shown, size_t more)
{
    if (more)
        printf("  ... %zu more\n", more);
    else if (!m->info.key_size && !m->ringbuf)
        printf("  (a %s has no keys: entries not listed)\n", m->type);
    else if (!shown && !m->ringbuf)
        printf("  (no entries)\n");
}

static void text_end(void)
{
}

static const struct printer text_printer = {text_result, text_map_begin, text_entry, text_map_end, text_end};

static void json_result(const struct session *s)
{
    printf("{\"return_value\": %" PRId64 ", \"duration_ns\": %" PRIu64 ", \"repeat\": %" PRIu32 ", \"maps\": [",
           (int64_t)s->run.retval, s->run.duration_ns, s->opt.repeat);
}

/* Prints bytes as a JSON string of hex digits. */
static void json_hex(const uint8_t *bytes, size_t n)
{
    printf("\"");
    print_hex(bytes, n);
    printf("\"");
}

static void json_map_begin(const struct map_view *m, size_t index)
{
    printf("%s{\"name\": ", index ? ", " : "");
    cli_json_string(stdout, m->name);
    printf(", \"type\": ");
    cli_json_string(stdout, m->type);
    printf(", \"key_size\": %" PRIu32 ", \"value_size\": %" PRIu32 ", \"max_entries\": %" PRIu32, m->info.key_size,
           m->info.value_size, m->info.max_entries);
    if (m->ringbuf)
        printf(", \"pending_bytes\": %" PRIu64, m->pending);
    printf(", \"entries\": [");
}

static void json_entry(const struct map_view *m, const struct entry_view *e, size_t index)
{
    printf("%s{\"key\": ", index ? ", " : "");
    json_hex(e->key, m->info.key_size);
    printf(m->cpus > 1 ? ", \"values\": [" : ", \"value\": ");
    for (unsigned cpu = 0; cpu < m->cpus; cpu++) {
        printf("%s", cpu ? ", " : "");
        json_hex(e->value + cpu * m->stride, m->info.value_size);
    }
    printf(m->cpus > 1 ? "]}" : "}");
}

static void json_map_end(const struct map_view *m, size_t shown, size_t more)
{
    (void)m;
    (void)shown;
    printf("], \"more_entries\": %zu}", more);
}

static void json_end(void)
{
    printf("]}\n");
}

static const struct printer json_printer = {json_result, json_map_begin, json_entry, json_map_end, json_end};

/* Describes map i of the loaded object. */
static void view_map(const struct core_object *obj, size_t i, struct map_view *m)
{
    struct map *map = core_map_map(obj->maps[i]);
    core_map_info(obj->maps[i], &m->info);
    const char *type = bpf_elf_map_type_name(m->info.type);
    bool percpu = m->info.type == MAP_TYPE_PERCPU_HASH || m->info.type == MAP_TYPE_PERCPU_ARRAY ||
                  m->info.type == MAP_TYPE_LRU_PERCPU_HASH;
    m->name = obj->map_names[i];
    m->type = type ? type : "unknown";
    m->ringbuf = m->info.type == MAP_TYPE_RINGBUF;
    m->pending = m->ringbuf ? ringbuf_query(map, RINGBUF_Q_AVAIL_DATA) : 0;
    m->cpus = percpu ? map_nr_cpus() : 1;
    m->stride = percpu ? (m->info.value_size + 7u) / 8u * 8u : m->info.value_size;
}

/* Shows the first ENTRIES_SHOWN entries of a map that has keys; returns how many more there are. */
static size_t walk_entries(struct map *map, const struct map_view *m, const struct printer *pr, size_t *shown)
{
    size_t key_size = m->info.key_size, more = 0;
    uint8_t *key = calloc(1, key_size + 1), *next = calloc(1, key_size + 1);
    uint8_t *value = calloc(1, map_user_value_size(map) + 1);
    for (int rc = key && next && value ? map_get_next_key(map, NULL, next) : -ENOMEM; rc == 0;
         rc = map_get_next_key(map, key, next)) {
        memcpy(key, next, key_size);
        if (*shown == ENTRIES_SHOWN)
            more++;
        else if (map_lookup_copy(map, key, value) == 0)
            pr->entry(m, &(struct entry_view){key, value}, (*shown)++);
    }
    free(key);
    free(next);
    free(value);
    return more;
}

/* Shows every map of the object after the run. */
static void print_maps(const struct core_object *obj, const struct printer *pr)
{
    for (size_t i = 0; i < obj->map_count; i++) {
        struct map_view m;
        view_map(obj, i, &m);
        pr->map_begin(&m, i);
        size_t shown = 0, more = 0;
        if (m.info.key_size) /* queue, stack and ring buffer have no keys to walk */
            more = walk_entries(core_map_map(obj->maps[i]), &m, pr, &shown);
        pr->map_end(&m, shown, more);
    }
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
    const struct printer *pr = s.opt.json ? &json_printer : &text_printer;
    pr->result(&s);
    print_maps(s.obj, pr);
    pr->end();
    session_close(&s);
    return CLI_OK;
}
