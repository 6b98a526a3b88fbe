/*
 * Loop structure: a depth-first walk of each function's control flow
 * marks the retreating edges (to an instruction still on the walk's
 * stack). Every cycle holds one, so their targets are the loop heads, and
 * an arrival at a head over one of them is a return to it; any other
 * arrival enters the loop anew. The jump direction alone would be wrong:
 * clang often places a loop's head after its body, or enters an inner
 * loop in its middle.
 */
#include <errno.h>
#include <stdlib.h>

#include "verify/internal.h"

/* The successors of pc within its function: next (fall-through) and target (jump), -1 when absent. */
static void successors(const struct verifier *v, uint32_t pc, long *next, long *target)
{
    const struct ebpf_insn *in = &v->prog->insns[pc];
    uint8_t cls = ebpf_class(in->opcode), op = ebpf_op(in->opcode);
    bool jump = cls == EBPF_CLS_JMP || cls == EBPF_CLS_JMP32;
    *next = pc + (in->opcode == EBPF_OP_LDDW ? 2 : 1);
    *target = -1;
    if (!jump || op == EBPF_JMP_CALL)
        return;
    if (op == EBPF_JMP_EXIT) {
        *next = -1;
        return;
    }
    *target = (long)pc + 1 + (in->opcode == EBPF_OP_JA32 ? in->imm : in->offset);
    if (op == EBPF_JMP_JA)
        *next = -1;
}

bool vback_edge(const struct verifier *v, uint32_t from, uint32_t to)
{
    if (from >= v->prog->insn_count)
        return false;
    long next, target;
    successors(v, from, &next, &target);
    return ((v->insn_flags[from] & VI_BACK_NEXT) && next == (long)to) ||
           ((v->insn_flags[from] & VI_BACK_JUMP) && target == (long)to);
}

/* Walks from entry; state: 0 unseen, 1 on the stack, 2 done. */
static void walk(struct verifier *v, uint32_t entry, uint8_t *state, uint32_t *stack, uint8_t *edge)
{
    size_t count = v->prog->insn_count, depth = 0;
    if (state[entry])
        return;
    stack[depth] = entry;
    edge[depth++] = 0;
    state[entry] = 1;
    while (depth) {
        uint32_t pc = stack[depth - 1];
        long next, target;
        successors(v, pc, &next, &target);
        /* edge: 0 next to try, 1 target to try, 2 both tried. */
        if (edge[depth - 1] == 2) {
            state[pc] = 2;
            depth--;
            continue;
        }
        uint8_t which = edge[depth - 1]++;
        long to = which == 0 ? next : target;
        if (to < 0 || (size_t)to >= count)
            continue;
        if (state[to] == 1) {
            v->insn_flags[pc] |= which == 0 ? VI_BACK_NEXT : VI_BACK_JUMP;
            v->insn_flags[to] |= VI_LOOP_HEAD | VI_PRUNE;
        } else if (state[to] == 0) {
            state[to] = 1;
            stack[depth] = (uint32_t)to;
            edge[depth++] = 0;
        }
    }
}

int vfind_loops(struct verifier *v)
{
    size_t count = v->prog->insn_count;
    uint8_t *state = calloc(count, 1), *edge = malloc(count);
    uint32_t *stack = malloc(count * sizeof(*stack));
    if (!state || !edge || !stack) {
        free(state);
        free(edge);
        free(stack);
        return -ENOMEM;
    }
    walk(v, 0, state, stack, edge);
    for (uint32_t pc = 1; pc < count; pc++)
        if (v->insn_flags[pc] & VI_FUNC)
            walk(v, pc, state, stack, edge);
    free(state);
    free(edge);
    free(stack);
    return 0;
}
