/* `show sections` and `show disassembly`: what is inside an object file. */
#include "cli.h"
#include "elf/bpf_elf.h"
#include "tools/tools.h"

#include <stdlib.h>
#include <string.h>

struct bpf_elf_object *cli_open_object(const char *path)
{
    struct bpf_elf_object *obj;
    char err[512];
    if (bpf_elf_open_file(path, &obj, err, sizeof(err)) != 0) {
        tools_text_printf(stderr, "bpfhost: %s\n", err);
        return NULL;
    }
    return obj;
}

/* Index of the map an lddw slot refers to, or -1. */
static int map_of_insn(const struct ebpf_insn *in)
{
    bool names_map = in->opcode == EBPF_OP_LDDW &&
                     (in->src == EBPF_LDDW_MAP_IDX || in->src == EBPF_LDDW_MAP_VALUE_IDX);
    return names_map ? in->imm : -1;
}

/* Prints the distinct maps a program uses, comma-separated. */
static void print_used_maps(const struct bpf_elf_object *obj, const struct bpf_elf_program *p)
{
    bool *used = calloc(obj->map_count + 1, sizeof(bool));
    int printed = 0;
    for (size_t i = 0; used && i < p->insn_count; i++) {
        int m = map_of_insn(&p->insns[i]);
        if (m >= 0 && (size_t)m < obj->map_count && !used[m]) {
            used[m] = true;
            printf("%s", printed++ ? "," : "");
            tools_text_puts(stdout, obj->maps[m].name);
        }
    }
    printf("%s\n", printed ? "" : "-");
    free(used);
}

int cli_show_sections(int argc, char **argv)
{
    if (argc != 2)
        return CLI_USAGE;
    struct bpf_elf_object *obj = cli_open_object(argv[1]);
    if (!obj)
        return CLI_FAILED;
    printf("%-24s %-24s %8s  %s\n", "Section", "Program", "Insns", "Maps");
    printf("%-24s %-24s %8s  %s\n", "========================", "========================", "========",
           "====");
    for (size_t i = 0; i < obj->program_count; i++) {
        const struct bpf_elf_program *p = &obj->programs[i];
        char *section = tools_text_dup(p->section, TOOLS_TEXT_SPACE), *name = tools_text_dup(p->name, TOOLS_TEXT_SPACE);
        printf("%-24s %-24s %8zu  ", section ? section : "?", name ? name : "?", p->insn_count);
        free(section);
        free(name);
        print_used_maps(obj, p);
    }
    printf("\n%-24s %-16s %6s %6s %8s  %s\n", "Map", "Type", "Key", "Value", "Entries", "Section");
    printf("%-24s %-16s %6s %6s %8s  %s\n", "========================", "================", "======",
           "======", "========", "=======");
    for (size_t i = 0; i < obj->map_count; i++) {
        const struct bpf_elf_map *m = &obj->maps[i];
        const char *type = bpf_elf_map_type_name(m->def.type);
        char *name = tools_text_dup(m->name, TOOLS_TEXT_SPACE);
        printf("%-24s %-16s %6u %6u %8u  ", name ? name : "?", type ? type : "?", m->def.key_size, m->def.value_size,
               m->def.max_entries);
        free(name);
        tools_text_printf(stdout, "%s\n", m->section);
    }
    if (obj->license) {
        printf("\n");
        tools_text_printf(stdout, "license: %s\n", obj->license);
    }
    bpf_elf_close(obj);
    return CLI_OK;
}

static void disassemble_program(const struct bpf_elf_object *obj, const struct bpf_elf_program *p)
{
    tools_text_printf(stdout, "%s: %s (%zu instructions)\n", p->section, p->name, p->insn_count);
    const struct bpf_elf_line *last = NULL;
    for (size_t pc = 0; pc < p->insn_count;) {
        /* Clang records a line once per column it touches; print each run once. */
        const struct bpf_elf_line *line = bpf_elf_line_of(p, pc);
        if (line && line->insn == pc && (!last || last->line != line->line || strcmp(last->file, line->file))) {
            tools_text_printf(stdout, "; %s  (%s:%u)\n", line->text, line->file, line->line);
            last = line;
        }
        char text[160];
        int slots = isa_disassemble_insn(p->insns, p->insn_count, pc, text, sizeof(text));
        int m = map_of_insn(&p->insns[pc]);
        if (m >= 0 && (size_t)m < obj->map_count)
            tools_text_printf(stdout, "%6zu: %-40s # %s\n", pc, text, obj->maps[m].name);
        else
            printf("%6zu: %s\n", pc, text);
        pc += slots > 0 ? (size_t)slots : 1;
    }
    printf("\n");
}

int cli_show_disassembly(int argc, char **argv)
{
    if (argc != 2 && argc != 3)
        return CLI_USAGE;
    struct bpf_elf_object *obj = cli_open_object(argv[1]);
    if (!obj)
        return CLI_FAILED;
    const char *section = argc == 3 ? argv[2] : NULL;
    int shown = 0;
    for (size_t i = 0; i < obj->program_count; i++)
        if (!section || !strcmp(obj->programs[i].section, section)) {
            disassemble_program(obj, &obj->programs[i]);
            shown++;
        }
    bpf_elf_close(obj);
    if (!shown) {
        tools_text_printf(stderr, "bpfhost: %s has no program in section '%s'\n", argv[1], section);
        return CLI_FAILED;
    }
    return CLI_OK;
}
