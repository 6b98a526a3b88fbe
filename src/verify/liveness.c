/*
 * Register liveness: for every instruction, the registers some path from
 * it reads before writing (a backward dataflow over each function's
 * control flow, to a fixpoint). At prune points the dead registers of a
 * state are forgotten, so paths that differ only in values never read
 * again are pruned as one.
 */
#include <errno.h>
#include <stdlib.h>

#include "verify/internal.h"

enum { ARGS = 0x3e, CALLER_SAVED = 0x3f }; /* r1..r5; r0..r5 */

/* What instruction pc reads and writes, as register bit sets. */
static void use_def(const struct verifier *v, size_t pc, uint16_t *use, uint16_t *def)
{
    const struct ebpf_insn *in = &v->prog->insns[pc];
    uint8_t cls = ebpf_class(in->opcode), op = ebpf_op(in->opcode);
    uint16_t d = (uint16_t)(1u << in->dst), s = (uint16_t)(1u << in->src);
    bool x = ebpf_source(in->opcode) == EBPF_SRC_X;
    *use = *def = 0;
    switch (cls) {
    case EBPF_CLS_ALU:
    case EBPF_CLS_ALU64:
        *def = d;
        *use = (op == EBPF_ALU_MOV ? 0 : d) | (x && op != EBPF_ALU_END && op != EBPF_ALU_NEG ? s : 0);
        break;
    case EBPF_CLS_LD:
        if (in->opcode == EBPF_OP_LDDW) {
            *def = d;
        } else { /* ldabs / ldind */
            *use = 1u << 6 | (ebpf_mode(in->opcode) == EBPF_MODE_IND ? s : 0);
            *def = CALLER_SAVED;
        }
        break;
    case EBPF_CLS_LDX:
        *use = s;
        *def = d;
        break;
    case EBPF_CLS_ST:
        *use = d;
        break;
    case EBPF_CLS_STX:
        *use = d | s;
        if (ebpf_mode(in->opcode) == EBPF_MODE_ATOMIC && (in->imm & EBPF_ATOMIC_FETCH)) {
            if (in->imm == EBPF_ATOMIC_CMPXCHG) {
                *use |= 1;
                *def = 1;
            } else {
                *def = s;
            }
        }
        break;
    default: /* jumps */
        if (op == EBPF_JMP_CALL) {
            *use = ARGS;
            *def = CALLER_SAVED;
        } else if (op == EBPF_JMP_EXIT) {
            *use = 1;
        } else if (op != EBPF_JMP_JA) {
            *use = d | (x ? s : 0);
        }
        break;
    }
}

int vliveness(struct verifier *v)
{
    size_t count = v->prog->insn_count;
    uint16_t *use = malloc(count * sizeof(*use)), *def = malloc(count * sizeof(*def));
    v->live = calloc(count + 1, sizeof(*v->live));
    if (!use || !def || !v->live) {
        free(use);
        free(def);
        return -ENOMEM;
    }
    for (size_t pc = 0; pc < count; pc++)
        use_def(v, pc, &use[pc], &def[pc]);
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t pc = count; pc-- > 0;) {
            if (v->insn_flags[pc] & VI_LDDW2)
                continue;
            const struct ebpf_insn *in = &v->prog->insns[pc];
            uint8_t cls = ebpf_class(in->opcode), op = ebpf_op(in->opcode);
            uint16_t out = 0;
            bool jump = cls == EBPF_CLS_JMP || cls == EBPF_CLS_JMP32;
            size_t next = pc + (in->opcode == EBPF_OP_LDDW ? 2 : 1);
            if (!jump || (op != EBPF_JMP_JA && op != EBPF_JMP_EXIT))
                out |= next < count ? v->live[next] : 0;
            if (jump && op != EBPF_JMP_EXIT && op != EBPF_JMP_CALL) {
                long target = (long)pc + 1 + (in->opcode == EBPF_OP_JA32 ? in->imm : in->offset);
                out |= v->live[target];
            }
            uint16_t in_set = (uint16_t)(use[pc] | (out & ~def[pc]));
            if (in_set != v->live[pc]) {
                v->live[pc] = in_set;
                changed = true;
            }
        }
    }
    free(use);
    free(def);
    return 0;
}

static void forget(struct vframe *f, uint16_t live)
{
    for (int r = 0; r < EBPF_REG_FP; r++)
        if (!(live >> r & 1))
            f->regs[r] = (struct vreg){.type = VT_NOT_INIT};
}

void vforget_dead(struct verifier *v, struct vstate *s, uint32_t pc)
{
    forget(vcur(s), v->live[pc]);
    for (uint32_t i = 0; i + 1 < s->frame_count; i++) {
        const struct vframe *callee = s->frames[i + 1];
        /* Back in the caller: a callback returns to the helper call, a function after its call. */
        uint16_t live = callee->callback ? v->live[callee->callsite]
                                         : (uint16_t)(v->live[callee->callsite + 1] & ~CALLER_SAVED);
        forget(s->frames[i], live);
    }
}
