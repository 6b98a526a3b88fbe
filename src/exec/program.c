/* Building and freeing executable programs. */
#include "exec/interp_ops.h"

#include <stdio.h>
#include <stdlib.h>

int exec_program_new(const struct ebpf_insn *insns, size_t count, const struct exec_helper *helpers,
                     size_t helper_count, struct exec_program **out, struct isa_error *err)
{
    *out = NULL;
    if (isa_validate(insns, count, err) != 0)
        return -1;
    struct exec_program *prog = calloc(1, sizeof(*prog));
    struct exec_insn *code = calloc(count, sizeof(*code));
    if (!prog || !code) {
        free(prog);
        free(code);
        err->pc = 0;
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    for (size_t pc = 0; pc < count; pc++) {
        if (exec_predecode(insns, count, pc, helpers, helper_count, &code[pc], err) != 0) {
            free(code);
            free(prog);
            return -1;
        }
        if (code[pc].op == OP_LDDW) { /* the second half carries the high word */
            pc++;
            code[pc] = (struct exec_insn){.op = OP_LDDW, .imm = insns[pc].imm};
        }
    }
    prog->insns = code;
    prog->count = count;
    prog->helpers = helpers;
    prog->helper_count = helper_count;
    *out = prog;
    return 0;
}

void exec_program_free(struct exec_program *prog)
{
    if (!prog)
        return;
    free(prog->insns);
    free(prog);
}
