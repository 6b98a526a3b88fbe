/*
 * `bpfhost show verification FILE.o [SECTION [FUNCTION]] [--type TYPE]
 * [--platform linux|windows] [--json] [--verbose] [--allow-pointer-leaks]`:
 * the verifier's verdict on each selected program, without creating maps.
 * The type comes from --type, else from the section (the host's types
 * first, then the type the section names on the object's platform, which
 * the object itself tells: core_object_platform(); a numbered tail-call
 * section like "2/1" takes the type of the object's other programs).
 * --platform overrides the object's platform. --allow-pointer-leaks checks
 * Linux types as Linux's privileged mode does (other types never allow
 * leaks).
 */
#include "cli.h"
#include "core/core.h"
#include "tools/tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct options {
    const char *file, *section, *function, *type;
    bool json, verbose, allow_leaks;
    bool has_platform;
    enum core_platform platform; /* --platform, else the object's (core_object_platform), set once opened */
};

/* A program's type: the one named by --type, else by its section on the object's platform. */
static int choose(struct core_type_choice *c, const struct options *o, const struct bpf_elf_object *elf, size_t i)
{
    return core_type_choose(c, o->type ? o->type : core_program_type_name(elf, i, o->platform), o->platform);
}

/* "cgroup_sock_addr of eBPF for Windows" for Windows types, the name alone for the others. */
static void type_label(const struct core_type_choice *c, char *buf, size_t len)
{
    const char *whose = c->platform == CORE_PLATFORM_WINDOWS ? " of eBPF for Windows" : "";
    snprintf(buf, len, "%s%s", c->name ? c->name : "?", whose);
}

static void print_text(const struct bpf_elf_program *p, const char *type, const struct verify_result *res, uint64_t us)
{
    tools_text_printf(stdout, "%s %s (%s): %s, %zu instructions, %llu us\n", p->section, p->name, type,
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
}

static void print_json(bool first, const struct bpf_elf_program *p, const struct core_type_choice *c,
                       const struct verify_result *res, uint64_t us)
{
    printf("%s{\"section\": ", first ? "" : ", ");
    tools_json_puts(stdout, p->section);
    printf(", \"function\": ");
    tools_json_puts(stdout, p->name);
    printf(", \"type\": ");
    if (c->name) {
        tools_json_puts(stdout, c->name);
        printf(", \"platform\": \"%s\"", core_platform_name(c->platform));
    } else {
        printf("null, \"platform\": null");
    }
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
    struct core_type_choice c;
    struct verify_result res;
    memset(&res, 0, sizeof(res));
    uint64_t start = now_us();
    int rc = choose(&c, o, elf, i);
    if (rc == -ENOMEM) {
        snprintf(res.message, sizeof(res.message), "out of memory");
    } else if (rc) {
        snprintf(res.message, sizeof(res.message),
                 "cannot tell the program type of section '%s': name it with --type", p->section);
    } else if (o->allow_leaks && c.platform != CORE_PLATFORM_LINUX) {
        snprintf(res.message, sizeof(res.message),
                 "--allow-pointer-leaks applies to Linux program types only; '%s' is %s type", c.name,
                 c.platform == CORE_PLATFORM_HOST ? "a host" : "an eBPF for Windows");
    } else {
        struct verify_profile privileged; /* a Linux profile with pointer leaks allowed */
        const struct verify_profile *profile = c.profile;
        if (o->allow_leaks) {
            privileged = *c.profile;
            privileged.allow_pointer_leaks = true;
            profile = &privileged;
        }
        struct verify_options vo = {.log = o->verbose ? (o->json ? stderr : stdout) : NULL};
        if (core_verify_elf_program(elf, i, profile, &vo, &res) != 0)
            res.accepted = false;
    }
    uint64_t us = now_us() - start;
    char type[128];
    type_label(&c, type, sizeof(type));
    if (o->json)
        print_json(first, p, &c, &res, us);
    else
        print_text(p, type, &res, us);
    core_type_choice_free(&c);
    return res.accepted ? 0 : 1;
}

/* --platform NAME: 0, or -1 for a name that is neither. */
static int parse_platform(const char *name, struct options *o)
{
    o->has_platform = true;
    if (!strcmp(name, "linux"))
        o->platform = CORE_PLATFORM_LINUX;
    else if (!strcmp(name, "windows"))
        o->platform = CORE_PLATFORM_WINDOWS;
    else
        return -1;
    return 0;
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
        else if (!strcmp(argv[i], "--platform") && i + 1 < argc) {
            if (parse_platform(argv[++i], o) != 0)
                return -1;
        }
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
    if (o.type && !core_prog_type_find_by_name(o.type) && !verify_linux_profile(o.type) &&
        !verify_windows_profile(o.type)) {
        tools_text_printf(stderr, "bpfhost: no program type named '%s'\n", o.type);
        return CLI_USAGE;
    }
    struct bpf_elf_object *elf;
    char err[512];
    if (bpf_elf_open_file(o.file, &elf, err, sizeof(err)) != 0)
        return open_failed(&o, err);
    if (!o.has_platform)
        o.platform = core_object_platform(elf);
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
                 "  the problem, the registers involved and a fix.\n"
                 "  The program type comes from --type, else from the section: the host's\n"
                 "  types (sample, process, bind) first, then the type the section names on\n"
                 "  the object's platform. The object is eBPF for Windows' when one of its\n"
                 "  sections is one only eBPF for Windows defines (a host type's,\n"
                 "  cgroup/recv_accept4, cgroup/recv_accept6, bind, process), its legacy maps\n"
                 "  are eBPF for Windows' 32-byte records, or a program's context is declared\n"
                 "  (BTF) with a member only eBPF for Windows' contexts have (compartment_id,\n"
                 "  interface_luid); else it is Linux's.\n"
                 "  --platform linux|windows overrides that. On Windows, cgroup/connect4|6\n"
                 "  and cgroup/recv_accept4|6 are cgroup_sock_addr (bpf_sock_addr_t, no\n"
                 "  return range), sockops is sock_ops (bpf_sock_ops_t), xdp and xdp_test\n"
                 "  are xdp_test (xdp_md_t with 64-bit pointers); other sections keep Linux's\n"
                 "  meaning. Linux types, as libbpf names their sections: socket_filter,\n"
                 "  kprobe, tracepoint, raw_tracepoint, perf_event, xdp, sched_cls,\n"
                 "  sched_act, cgroup_skb, cgroup_sock, cgroup_sock_addr, sock_ops, lwt_in,\n"
                 "  lwt_out, lwt_xmit, sk_skb. --type names any of these; a name both\n"
                 "  platforms have takes the object's platform's.\n"
                 "  --json prints one object {\"file\", \"programs\": [{\"section\", \"function\",\n"
                 "  \"type\", \"platform\", \"verdict\", \"instruction\", \"source\", \"message\",\n"
                 "  \"insns\", \"time_us\", ...}]}; --verbose adds the states along the rejected\n"
                 "  path. --allow-pointer-leaks checks Linux types as Linux's privileged mode\n"
                 "  does: pointers may be stored, returned and compared (never for host or\n"
                 "  eBPF for Windows types).\n"
                 "  Exit status 0: every program accepted; 1: one rejected or the file\n"
                 "  unreadable.\n");
}
