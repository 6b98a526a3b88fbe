/*
 * What `run` and `attach` share: objects given as PROG.o[:SECTION], their
 * programs loaded and attached to one hook, the first fault of each
 * reported as it happens, and the counts and maps shown at the end.
 */
#include "cli.h"
#include "core/core.h"
#include "ext/ext.h"
#include "tools/tools.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_print_fault(const char *file, const struct bpf_elf_program *p, const struct exec_result *fault,
                     const char *what)
{
    char *prefix = NULL;
    if (asprintf(&prefix, "bpfhost: %s", file) < 0)
        return;
    tools_print_fault(stderr, prefix, p, fault, what);
    free(prefix);
}

int cli_policy_add(struct cli_policy *pol, const char *spec)
{
    if (pol->object_count == CLI_MAX_OBJECTS) {
        fprintf(stderr, "bpfhost: at most %d objects\n", CLI_MAX_OBJECTS);
        return -1;
    }
    struct cli_object *o = &pol->objects[pol->object_count];
    /* The whole argument is the file if it exists (a path may hold ':'). */
    struct stat st;
    const char *colon = strrchr(spec, ':');
    bool whole = stat(spec, &st) == 0 || !colon;
    o->file = whole ? strdup(spec) : strndup(spec, (size_t)(colon - spec));
    o->section = whole ? NULL : colon + 1;
    if (!o->file) {
        fprintf(stderr, "bpfhost: out of memory\n");
        return -1;
    }
    pol->object_count++;
    if (o->section && !*o->section) {
        tools_text_printf(stderr, "bpfhost: %s: empty section after ':'\n", spec);
        return -1;
    }
    return 0;
}

int cli_policy_open(struct cli_policy *pol)
{
    for (size_t i = 0; i < pol->object_count; i++)
        if (!(pol->objects[i].elf = cli_open_object(pol->objects[i].file)))
            return -1;
    return 0;
}

/* The hook of pol that runs programs of type, or NULL. */
static struct core_hook *hook_for(const struct cli_policy *pol, const struct core_prog_type *type)
{
    for (size_t h = 0; type && h < pol->hook_count; h++)
        if (!strcmp(core_hook_prog_type(pol->hooks[h]), type->name))
            return pol->hooks[h];
    return NULL;
}

/* Whether program i of o is one to attach: by section, else by name, else by type (one of pol's hooks'). */
static bool selected(const struct cli_policy *pol, const struct cli_object *o, size_t i, bool by_name)
{
    const struct bpf_elf_program *p = &o->elf->programs[i];
    if (!o->section)
        return hook_for(pol, core_prog_type_find_by_section(p->section)) != NULL;
    return !strcmp(by_name ? p->name : p->section, o->section);
}

/* Attaches program i of o to the hook of its type, adding it to pol->programs; -1 after a message. */
static int attach_one(struct cli_policy *pol, const struct cli_object *o, size_t i)
{
    const struct bpf_elf_program *p = &o->elf->programs[i];
    struct core_prog_info info;
    core_prog_info(o->obj->progs[i], &info);
    struct core_hook *hook = hook_for(pol, info.type);
    const char *hook_type = core_hook_prog_type(hook ? hook : pol->hook);
    if (!hook) {
        tools_text_printf(stderr, "bpfhost: %s: program %s (section %s) is of type '%s', not '%s'\n", o->file,
                          p->name, p->section, info.type->name, hook_type);
        return -1;
    }
    struct cli_program *grown = realloc(pol->programs, (pol->program_count + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    pol->programs = grown;
    struct cli_program *cp = &pol->programs[pol->program_count];
    *cp = (struct cli_program){.from = o, .index = i};
    /* Fail-closed is an attach option of process and bind programs; other types have none. */
    struct ext_process_link_opts opts = {.flags = pol->fail_closed ? EXT_PROCESS_FAIL_CLOSED : 0};
    bool has_opts = info.type == ext_process_type() || info.type == ext_bind_type();
    int rc = core_hook_attach(hook, o->obj->progs[i], has_opts ? &opts : NULL, has_opts ? sizeof(opts) : 0,
                              &cp->link);
    if (rc) {
        tools_text_printf(stderr, "bpfhost: %s: cannot attach %s to hook %s: %s\n", o->file, p->name,
                          core_hook_name(hook), strerror(-rc));
        return -1;
    }
    pol->program_count++;
    return 0;
}

/* Loads o and attaches its selected programs (in object order); -1 after a message. */
static int load_and_attach(struct cli_policy *pol, struct cli_object *o)
{
    char err[512];
    if (core_object_load(o->elf, NULL, &o->obj, err, sizeof(err)) != 0) {
        tools_text_printf(stderr, "bpfhost: %s: %s\n", o->file, err);
        return -1;
    }
    size_t attached = 0;
    for (int by_name = 0; by_name < 2 && !attached; by_name++) {
        for (size_t i = 0; i < o->elf->program_count; i++) {
            if (!selected(pol, o, i, by_name))
                continue;
            if (attach_one(pol, o, i))
                return -1;
            attached++;
        }
        if (!o->section)
            break;
    }
    if (!attached) {
        tools_text_printf(stderr, "bpfhost: %s has no %s%s%s%s; sections:", o->file,
                          o->section ? "program in that section or of that name" : "program of type ",
                          o->section ? "" : core_hook_prog_type(pol->hooks[0]),
                          o->section || pol->hook_count < 2 ? "" : " or ",
                          o->section || pol->hook_count < 2 ? "" : core_hook_prog_type(pol->hooks[1]));
        for (size_t i = 0; i < o->elf->program_count; i++)
            tools_text_printf(stderr, " %s (%s)", o->elf->programs[i].section, o->elf->programs[i].name);
        fprintf(stderr, "%s\n", o->elf->program_count ? "" : " none");
        return -1;
    }
    return 0;
}

int cli_policy_attach(struct cli_policy *pol, struct core_hook *hook)
{
    return cli_policy_attach_hooks(pol, &hook, 1);
}

int cli_policy_attach_hooks(struct cli_policy *pol, struct core_hook *const *hooks, size_t count)
{
    if (count == 0 || count > CLI_MAX_HOOKS)
        return -1;
    pol->hook = hooks[0];
    pol->hook_count = count;
    memcpy(pol->hooks, hooks, count * sizeof(*hooks));
    for (size_t i = 0; i < pol->object_count; i++)
        if (load_and_attach(pol, &pol->objects[i]))
            return -1;
    return 0;
}

bool cli_policy_can_deny(const struct cli_policy *pol)
{
    return pol->hook && !strcmp(core_hook_prog_type(pol->hook), ext_process_type()->name) &&
           ext_process_hook_can_deny(core_hook_name(pol->hook));
}

/* The loaded program behind an attached one. */
static struct core_prog *prog_of(const struct cli_program *cp)
{
    return cp->from->obj->progs[cp->index];
}

void cli_policy_report_faults(struct cli_policy *pol)
{
    for (size_t i = 0; i < pol->program_count; i++) {
        struct cli_program *cp = &pol->programs[i];
        struct exec_result fault;
        if (cp->fault_reported || core_prog_first_fault(prog_of(cp), &fault) != 0)
            continue;
        cp->fault_reported = true;
        const char *what = pol->fail_closed && cli_policy_can_deny(pol)
                               ? "faulted (counted; each fault on a create denies it, fail-closed)"
                               : "faulted (counted; the event went on as if it returned 0, fail-open)";
        cli_print_fault(cp->from->file, &cp->from->elf->programs[cp->index], &fault, what);
    }
}

uint64_t cli_policy_faults(const struct cli_policy *pol)
{
    uint64_t faults = 0;
    for (size_t i = 0; i < pol->program_count; i++) {
        struct core_prog_info info;
        core_prog_info(prog_of(&pol->programs[i]), &info);
        faults += info.error_count;
    }
    return faults;
}

void cli_policy_print_programs(const struct cli_policy *pol, FILE *out, bool json)
{
    bool can_deny = cli_policy_can_deny(pol);
    if (json)
        fprintf(out, "[");
    for (size_t i = 0; i < pol->program_count; i++) {
        const struct cli_program *cp = &pol->programs[i];
        const struct bpf_elf_program *p = &cp->from->elf->programs[cp->index];
        struct core_prog_info info;
        core_prog_info(prog_of(cp), &info);
        if (json) {
            fprintf(out, "%s{", i ? ", " : "");
            tools_json_field(out, "object", ": ", cp->from->file, strlen(cp->from->file));
            fprintf(out, ", ");
            tools_json_field(out, "section", ": ", p->section, strlen(p->section));
            fprintf(out, ", ");
            tools_json_field(out, "name", ": ", p->name, strlen(p->name));
            fprintf(out,
                    ", \"runs\": %" PRIu64 ", \"denied\": %" PRIu64 ", \"would_have_denied\": %" PRIu64
                    ", \"faults\": %" PRIu64 "}",
                    info.run_count, can_deny ? info.deny_count : 0, can_deny ? 0 : info.deny_count,
                    info.error_count);
            continue;
        }
        tools_text_printf(out, "  program %s (%s, section %s): ", p->name, cp->from->file, p->section);
        fprintf(out, "%" PRIu64 " runs, %" PRIu64 " %s, %" PRIu64 " faults\n", info.run_count, info.deny_count,
                can_deny ? "denied" : "would have denied", info.error_count);
    }
    if (json)
        fprintf(out, "]");
}

void cli_policy_print_maps(const struct cli_policy *pol, FILE *out, bool json)
{
    if (json)
        fprintf(out, "[");
    for (size_t i = 0; i < pol->object_count; i++) {
        const struct cli_object *o = &pol->objects[i];
        if (json) {
            fprintf(out, "%s{", i ? ", " : "");
            tools_json_field(out, "file", ": ", o->file, strlen(o->file));
            fprintf(out, ", \"maps\": ");
        } else {
            fprintf(out, "\n");
            tools_text_printf(out, "maps of %s:\n", o->file);
        }
        if (o->obj)
            cli_print_maps(out, o->obj, json);
        else if (json)
            fprintf(out, "[]");
        if (json)
            fprintf(out, "}");
    }
    if (json)
        fprintf(out, "]");
}

void cli_policy_detach(struct cli_policy *pol)
{
    for (size_t i = 0; i < pol->program_count; i++) {
        core_link_release(pol->programs[i].link);
        pol->programs[i].link = NULL;
    }
}

void cli_policy_close(struct cli_policy *pol)
{
    cli_policy_detach(pol);
    free(pol->programs);
    for (size_t i = 0; i < pol->object_count; i++) {
        core_object_close(pol->objects[i].obj);
        bpf_elf_close(pol->objects[i].elf);
        free(pol->objects[i].file);
    }
    memset(pol, 0, sizeof(*pol));
}
