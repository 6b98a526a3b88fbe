/* How the tools say why a program stopped: its instruction and source line. */
#include "tools/tools.h"

void tools_print_fault(FILE *out, const char *prefix, const struct bpf_elf_program *p, const struct exec_result *fault,
                       const char *what)
{
    tools_text_printf(out, "%s: program %s (section %s) %s: %s\n", prefix, p->name, p->section, what, fault->msg);
    const struct bpf_elf_line *line = bpf_elf_line_of(p, fault->pc);
    if (line)
        tools_text_printf(out, "  at %s:%u: %s\n", line->file, line->line, line->text);
}
