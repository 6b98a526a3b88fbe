/* Building and freeing executable programs. */
#include "exec/interp_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(struct isa_error *err)
{
    err->pc = 0;
    snprintf(err->msg, sizeof(err->msg), "out of memory");
    return -1;
}

/* Records a callback entry slot, keeping the list sorted and unique. */
static int add_callback(struct exec_program *prog, uint32_t entry)
{
    size_t i = 0;
    while (i < prog->callback_count && prog->callbacks[i] < entry)
        i++;
    if (i < prog->callback_count && prog->callbacks[i] == entry)
        return 0;
    uint32_t *grown = realloc(prog->callbacks, (prog->callback_count + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    memmove(grown + i + 1, grown + i, (prog->callback_count - i) * sizeof(*grown));
    grown[i] = entry;
    prog->callbacks = grown;
    prog->callback_count++;
    return 0;
}

int exec_program_new(const struct ebpf_insn *insns, size_t count, const struct exec_helper *helpers,
                     size_t helper_count, struct exec_program **out, struct isa_error *err)
{
    *out = NULL;
    if (isa_validate(insns, count, err) != 0)
        return -1;
    struct exec_program *prog = calloc(1, sizeof(*prog));
    if (!prog || !(prog->insns = calloc(count, sizeof(*prog->insns)))) {
        exec_program_free(prog);
        return oom(err);
    }
    prog->count = count;
    prog->helpers = helpers;
    prog->helper_count = helper_count;
    struct exec_insn *code = prog->insns;
    for (size_t pc = 0; pc < count; pc++) {
        if (exec_predecode(insns, count, pc, helpers, helper_count, &code[pc], err) != 0) {
            exec_program_free(prog);
            return -1;
        }
        if (code[pc].op != OP_LDDW)
            continue;
        if (insns[pc].src == EBPF_LDDW_CODE_ADDR) { /* loads a tagged callback entry */
            uint32_t entry = (uint32_t)((int64_t)pc + 1 + insns[pc].imm);
            if (add_callback(prog, entry) != 0) {
                exec_program_free(prog);
                return oom(err);
            }
            code[pc].imm = (int32_t)entry;
            code[pc + 1] = (struct exec_insn){.op = OP_LDDW, .imm = (int32_t)EXEC_CODE_ADDR_TAG};
        } else { /* the second half carries the high word */
            code[pc + 1] = (struct exec_insn){.op = OP_LDDW, .imm = insns[pc + 1].imm};
        }
        pc++;
    }
    *out = prog;
    return 0;
}

void exec_program_set_owner(struct exec_program *prog, const void *owner)
{
    prog->owner = owner;
}

void exec_program_free(struct exec_program *prog)
{
    if (!prog)
        return;
    free(prog->insns);
    free(prog->callbacks);
    free(prog);
}
