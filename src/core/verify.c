/*
 * Verification before loading. Every program reaches the interpreter
 * through core_prog_load(), which calls core_verify() first; the static
 * verifier (layer 3) will be called from here, with the program type's
 * context layout and helper prototypes, the maps' definitions and the
 * source lines for its messages.
 */
#include <errno.h>

#include "core/internal.h"

int core_verify(const struct core_prog_load_args *args, char *err, size_t errlen)
{
    struct isa_error ierr;
    if (isa_validate(args->insns, args->insn_count, &ierr) != 0) {
        const struct bpf_elf_line *line = args->source ? bpf_elf_line_of(args->source, ierr.pc) : NULL;
        if (line)
            return core_fail(err, errlen, -EINVAL, "%s: instruction %zu (%s:%u): %s", args->name, ierr.pc,
                             line->file, line->line, ierr.msg);
        return core_fail(err, errlen, -EINVAL, "%s: instruction %zu: %s", args->name, ierr.pc, ierr.msg);
    }
    return 0;
}
