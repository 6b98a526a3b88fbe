/*
 * `bpfhost show verification FILE.o [SECTION [FUNCTION]] [--type TYPE]
 * [--json] [--verbose] [--allow-pointer-leaks]`: the verifier's verdict on
 * each selected program, without creating maps. The type comes from
 * --type, else from the section (the host's types first, then Linux's the
 * way libbpf names them; a numbered tail-call section like "2/1" takes the
 * type of the object's other programs). --allow-pointer-leaks checks Linux
 * types as Linux's privileged mode does (host types never allow leaks).
 */
#include "cli.h"
#include "core/core.h"
#include "tools/tools.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct options {
    const char *file, *section, *function, *type;
    bool json, verbose, allow_leaks;
};

/* A program's profile: a host type's (translated) or a Linux type's. */
struct chosen {
    const char *name; /* NULL: none */
    const struct verify_profile *profile;
    struct core_profile host;
    bool has_host;
    struct verify_profile privileged; /* a Linux profile with pointer leaks allowed */
};

static bool numbered(const char *section)
{
    return isdigit((unsigned char)section[0]) && strchr(section, '/');
}

/* The type named name (a host type, else a Linux type); false if none. */
static bool choose_named(struct chosen *c, const char *name)
{
    const struct core_prog_type *t = core_prog_type_find_by_name(name);
    if (t && core_profile_init(&c->host, t) == 0) {
        c->has_host = true;
        c->profile = &c->host.profile;
        c->name = t->name;
        return true;
    }
    c->profile = verify_linux_profile(name);
    c->name = c->profile ? c->profile->name : NULL;
    return c->profile != NULL;
}

/* The type of a section: a host type's prefix, else libbpf's name for it, else NULL. */
static const char *type_of_section(const char *section)
{
    const struct core_prog_type *t = core_prog_type_find_by_section(section);
    return t ? t->name : verify_linux_type_of_section(section);
}

static bool choose(struct chosen *c, const struct options *o, const struct bpf_elf_object *elf, size_t i)
{
    memset(c, 0, sizeof(*c));
    if (o->type)
        return choose_named(c, o->type);
    const char *name = type_of_section(elf->programs[i].section);
    for (size_t k = 0; !name && numbered(elf->programs[i].section) && k < elf->program_count; k++)
        if (!numbered(elf->programs[k].section))
            name = type_of_section(elf->programs[k].section);
    return name && choose_named(c, name);
}

static void print_text(const struct options *o, const struct bpf_elf_program *p, const char *type,
                       const struct verify_result *res, uint64_t us)
{
    tools_text_printf(stdout, "%s %s (%s): %s, %zu instructions, %llu us\n", p->section, p->name, type ? type : "?",
           res->accepted ? "accepted" : "rejected", p->insn_count, (unsigned long long)us);
    if (res->accepted)
        return;
    if (res->insn_text[0])
        tools_text_printf(stdout, "  instruction %zu: %s\n", res->pc, res->insn_text);
    if (res->has_line)
        tools_text_printf(stdout, "  source: %s:%u: %s\n", res->line.file, res->line.line, res->line.text ? res->line.text : "");
    tools_text_printf(stdout, "  problem: %s\n", res->message);
    if (res->state[0])
        tools_text_printf(stdout, "  registers: %s\n", res->state);
    if (res->hint[0])
        tools_text_printf(stdout, "  fix: %s\n", res->hint);
    (void)o;
}

static void print_json(bool first, const struct bpf_elf_program *p, const char *type, const struct verify_result *res,
                       uint64_t us)
{
    printf("%s{\"section\": ", first ? "" : ", ");
    tools_json_puts(stdout, p->section);
    printf(", \"function\": ");
    tools_json_puts(stdout, p->name);
    printf(", \"type\": ");
    if (type)
        tools_json_puts(stdout, type);
    else
        printf("null");
    printf(", \"verdict\": \"%s\", \"instruction\": ", res->accepted ? "accepted" : "rejected");
    if (res->accepted || !res->insn_text[0])
        printf("null");
    else
        printf("%zu", res->pc);
    printf(", \"source\": ");
    if (!res->accepted && res->has_line) {
        printf("{\"file\": ");
        tools_json_puts(stdout, res->line.file);
        printf(", \"line\": %u, \"text\": ", res->line.line);
        tools_json_puts(stdout, res->line.text ? res->line.text : "");
        printf("}");
    } else {
        printf("null");
    }
    printf(", \"message\": ");
    tools_json_puts(stdout, res->accepted ? "" : res->message);
    if (!res->accepted) {
        printf(", \"disassembly\": ");
        tools_json_puts(stdout, res->insn_text);
        printf(", \"registers\": ");
        tools_json_puts(stdout, res->state);
        printf(", \"hint\": ");
        tools_json_puts(stdout, res->hint);
    }
    printf(", \"insns\": %zu, \"time_us\": %llu}", p->insn_count, (unsigned long long)us);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool selected(const struct options *o, const struct bpf_elf_program *p)
{
    if (o->section && strcmp(p->section, o->section) != 0 && (o->function || strcmp(p->name, o->section) != 0))
        return false;
    return !o->function || strcmp(p->name, o->function) == 0;
}

/* Verifies program i: 0 accepted, 1 rejected. */
static int verify_one(const struct options *o, const struct bpf_elf_object *elf, size_t i, bool first)
{
    const struct bpf_elf_program *p = &elf->programs[i];
    struct chosen c;
    struct verify_result res;
    memset(&res, 0, sizeof(res));
    uint64_t start = now_us();
    if (!choose(&c, o, elf, i)) {
        snprintf(res.message, sizeof(res.message),
                 "cannot tell the program type of section '%s': name it with --type", p->section);
    } else if (o->allow_leaks && c.has_host) {
        snprintf(res.message, sizeof(res.message),
                 "--allow-pointer-leaks applies to Linux program types only; '%s' is a host type", c.name);
    } else {
        if (o->allow_leaks) {
            c.privileged = *c.profile;
            c.privileged.allow_pointer_leaks = true;
            c.profile = &c.privileged;
        }
        struct verify_options vo = {.log = o->verbose ? (o->json ? stderr : stdout) : NULL};
        if (core_verify_elf_program(elf, i, c.profile, &vo, &res) != 0)
            res.accepted = false;
    }
    uint64_t us = now_us() - start;
    if (o->json)
        print_json(first, p, c.name, &res, us);
    else
        print_text(o, p, c.name, &res, us);
    if (c.has_host)
        core_profile_free(&c.host);
    return res.accepted ? 0 : 1;
}

static int parse(int argc, char **argv, struct options *o)
{
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            o->json = true;
        else if (!strcmp(argv[i], "--verbose"))
            o->verbose = true;
        else if (!strcmp(argv[i], "--allow-pointer-leaks"))
            o->allow_leaks = true;
        else if (!strcmp(argv[i], "--type") && i + 1 < argc)
            o->type = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return -1;
        else if (positional == 0)
            o->file = argv[i], positional++;
        else if (positional == 1)
            o->section = argv[i], positional++;
        else if (positional == 2)
            o->function = argv[i], positional++;
        else
            return -1;
    }
    return o->file ? 0 : -1;
}

static int open_failed(const struct options *o, const char *why)
{
    if (o->json) {
        printf("{\"file\": ");
        tools_json_puts(stdout, o->file);
        printf(", \"error\": ");
        tools_json_puts(stdout, why);
        printf(", \"programs\": []}\n");
    }
    tools_text_printf(stderr, "bpfhost: %s\n", why);
    return CLI_FAILED;
}

int cli_show_verification(int argc, char **argv)
{
    struct options o = {0};
    if (parse(argc, argv, &o) != 0)
        return CLI_USAGE;
    if (cli_register_program_types() != 0) {
        tools_text_printf(stderr, "bpfhost: cannot register the program types\n");
        return CLI_FAILED;
    }
    if (o.type && !core_prog_type_find_by_name(o.type) && !verify_linux_profile(o.type)) {
        tools_text_printf(stderr, "bpfhost: no program type named '%s'\n", o.type);
        return CLI_USAGE;
    }
    struct bpf_elf_object *elf;
    char err[512];
    if (bpf_elf_open_file(o.file, &elf, err, sizeof(err)) != 0)
        return open_failed(&o, err);
    if (o.json) {
        printf("{\"file\": ");
        tools_json_puts(stdout, o.file);
        printf(", \"programs\": [");
    }
    int rejected = 0;
    size_t shown = 0;
    for (size_t i = 0; i < elf->program_count; i++)
        if (selected(&o, &elf->programs[i]))
            rejected |= verify_one(&o, elf, i, shown++ == 0);
    if (o.json)
        printf("]}\n");
    bpf_elf_close(elf);
    if (!shown) {
        tools_text_printf(stderr, "bpfhost: %s: no program in %s%s%s\n", o.file, o.section ? o.section : "the object",
                o.function ? " named " : "", o.function ? o.function : "");
        return CLI_FAILED;
    }
    return rejected ? CLI_FAILED : CLI_OK;
}

void cli_show_verification_help(FILE *out)
{
    fprintf(out, "  Runs the verifier on every program of FILE.o (or those of SECTION, or\n"
                 "  FUNCTION in it) without creating maps, and prints each verdict. A\n"
                 "  rejection shows the instruction, the source line (objects built with -g),\n"
                 "  the problem, the registers involved and a fix. The program type comes from\n"
                 "  the section (the host's types, then Linux's as libbpf names them) or --type\n"
                 "  (sample, process, socket_filter, kprobe, tracepoint, raw_tracepoint,\n"
                 "  perf_event, xdp, sched_cls, sched_act, cgroup_skb, cgroup_sock,\n"
                 "  cgroup_sock_addr, sock_ops, lwt_in, lwt_out, lwt_xmit, sk_skb).\n"
                 "  --json prints one object {\"file\", \"programs\": [{\"section\", \"function\",\n"
                 "  \"type\", \"verdict\", \"instruction\", \"source\", \"message\", \"insns\",\n"
                 "  \"time_us\", ...}]}; --verbose adds the states along the rejected path.\n"
                 "  --allow-pointer-leaks checks Linux types as Linux's privileged mode does:\n"
                 "  pointers may be stored, returned and compared (never for host types).\n"
                 "  Exit status 0: every program accepted; 1: one rejected or the file\n"
                 "  unreadable.\n");
}
