/*
 * Decoder: checks that each instruction slot is a well-formed encoding
 * (known form, reserved fields zero, registers in range, r10 never written)
 * and that a program is structurally sound (whole lddw pairs, jump and call
 * targets inside the program, no fall-through past the end).
 */
#include "isa/isa.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(struct isa_error *err, size_t pc, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->pc = pc;
        int n = snprintf(err->msg, sizeof(err->msg), "instruction %zu: ", pc);
        va_start(ap, fmt);
        vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Explains why no form matched an opcode that has forms. */
static int explain_no_form(const struct ebpf_insn *in, size_t pc, struct isa_error *err)
{
    uint8_t cls = ebpf_class(in->opcode), op = ebpf_op(in->opcode);
    bool valid_width = in->imm == 16 || in->imm == 32 || in->imm == 64;
    if ((cls == EBPF_CLS_ALU || cls == EBPF_CLS_ALU64) && op == EBPF_ALU_END && !valid_width)
        return fail(err, pc, "byte swap width imm=%d is invalid (must be 16, 32 or 64)", in->imm);
    if ((cls == EBPF_CLS_ALU || cls == EBPF_CLS_ALU64) && (op == EBPF_ALU_DIV || op == EBPF_ALU_MOD))
        return fail(err, pc, "div/mod offset %d is invalid (0 unsigned, 1 signed)", in->offset);
    if ((cls == EBPF_CLS_ALU || cls == EBPF_CLS_ALU64) && op == EBPF_ALU_MOV)
        return fail(err, pc, "mov offset %d is invalid (0, or 8/16%s for movsx with a register source)",
                    in->offset, cls == EBPF_CLS_ALU64 ? "/32" : "");
    if (cls == EBPF_CLS_STX && ebpf_mode(in->opcode) == EBPF_MODE_ATOMIC)
        return fail(err, pc, "atomic operation imm=0x%x is invalid", (unsigned)in->imm);
    if (in->opcode == EBPF_OP_CALL && in->src > EBPF_CALL_BTF_ID)
        return fail(err, pc, "call kind src=%u is invalid (0 helper, 1 local, 2 BTF id)", in->src);
    if (cls == EBPF_CLS_STX)
        return fail(err, pc, "reserved field imm is %d, must be 0", in->imm);
    return fail(err, pc, "reserved field offset is %d, must be 0", in->offset);
}

/* Which register fields a form uses: bit 0 dst, bit 1 src. */
static unsigned regs_used(enum isa_operands ops)
{
    switch (ops) {
    case ISA_OPS_DST_IMM:
    case ISA_OPS_DST:
    case ISA_OPS_STORE_IMM:
    case ISA_OPS_JUMP_IMM:
    case ISA_OPS_CALLX:
    case ISA_OPS_LDDW:
        return 1;
    case ISA_OPS_DST_SRC:
    case ISA_OPS_LOAD:
    case ISA_OPS_STORE_REG:
    case ISA_OPS_JUMP_REG:
        return 3;
    case ISA_OPS_LD_IND:
        return 2;
    default:
        return 0;
    }
}

/* True if the form writes its dst register. */
static bool writes_dst(enum isa_operands ops)
{
    return ops == ISA_OPS_DST_IMM || ops == ISA_OPS_DST_SRC || ops == ISA_OPS_DST || ops == ISA_OPS_LOAD ||
           ops == ISA_OPS_LDDW;
}

static int check_lddw(const struct ebpf_insn *insns, size_t count, size_t pc, struct isa_error *err)
{
    const struct ebpf_insn *in = &insns[pc];
    if (in->src > EBPF_LDDW_MAP_VALUE_IDX)
        return fail(err, pc, "lddw source form src=%u is invalid (0..6)", in->src);
    if (pc + 1 >= count)
        return fail(err, pc, "lddw is the last slot: its second half is missing");
    const struct ebpf_insn *tail = &insns[pc + 1];
    if (tail->opcode || tail->dst || tail->src || tail->offset)
        return fail(err, pc + 1, "second half of lddw must have opcode, registers and offset zero");
    bool uses_next_imm = in->src == EBPF_LDDW_IMM64 || in->src == EBPF_LDDW_MAP_VALUE_FD ||
                         in->src == EBPF_LDDW_MAP_VALUE_IDX;
    if (!uses_next_imm && tail->imm)
        return fail(err, pc + 1, "second half of lddw src=%u must have imm zero", in->src);
    return 0;
}

int isa_check_insn(const struct ebpf_insn *insns, size_t count, size_t pc, struct isa_error *err)
{
    const struct ebpf_insn *in = &insns[pc];
    const struct isa_form *f = isa_form_of(in);
    if (!f) {
        struct ebpf_insn probe = {.opcode = in->opcode};
        for (size_t i = 0; isa_forms[i].mnemonic; i++)
            if (isa_forms[i].opcode == probe.opcode)
                return explain_no_form(in, pc, err);
        return fail(err, pc, "unknown opcode 0x%02x", in->opcode);
    }
    unsigned used = regs_used(f->operands);
    if (!(used & 1) && in->dst && f->operands != ISA_OPS_CALL_HELPER)
        return fail(err, pc, "%s: reserved field dst is r%u, must be 0", f->mnemonic, in->dst);
    if (!(used & 2) && in->src && f->operands != ISA_OPS_LDDW && f->operands != ISA_OPS_CALL_LOCAL &&
        f->operands != ISA_OPS_CALL_HELPER && f->operands != ISA_OPS_CALL_BTF)
        return fail(err, pc, "%s: reserved field src is %u, must be 0", f->mnemonic, in->src);
    if (f->operands == ISA_OPS_CALL_HELPER && in->dst)
        return fail(err, pc, "%s: reserved field dst is r%u, must be 0", f->mnemonic, in->dst);
    if (f->imm != ISA_FIELD_ANY && in->imm != f->imm)
        return fail(err, pc, "%s: reserved field imm is %d, must be %d", f->mnemonic, in->imm, f->imm);
    if ((used & 1) && in->dst > EBPF_REG_FP)
        return fail(err, pc, "%s: invalid destination register r%u", f->mnemonic, in->dst);
    if ((used & 2) && in->src > EBPF_REG_FP)
        return fail(err, pc, "%s: invalid source register r%u", f->mnemonic, in->src);
    if (writes_dst(f->operands) && in->dst == EBPF_REG_FP)
        return fail(err, pc, "%s: writes r10, which is read-only", f->mnemonic);
    bool fetches = f->operands == ISA_OPS_STORE_REG && ebpf_mode(in->opcode) == EBPF_MODE_ATOMIC &&
                   (in->imm & EBPF_ATOMIC_FETCH) && in->imm != EBPF_ATOMIC_CMPXCHG;
    if (fetches && in->src == EBPF_REG_FP)
        return fail(err, pc, "%s: fetches into r10, which is read-only", f->mnemonic);
    if (f->operands == ISA_OPS_LDDW)
        return check_lddw(insns, count, pc, err);
    return 0;
}

/* The slot a jump, local call or code-address load refers to, if any. */
static bool branch_target(const struct ebpf_insn *in, const struct isa_form *f, size_t pc, int64_t *target)
{
    switch (f->operands) {
    case ISA_OPS_JUMP:
    case ISA_OPS_JUMP_IMM:
    case ISA_OPS_JUMP_REG:
        *target = (int64_t)pc + 1 + in->offset;
        return true;
    case ISA_OPS_JUMP32:
    case ISA_OPS_CALL_LOCAL:
        *target = (int64_t)pc + 1 + in->imm;
        return true;
    case ISA_OPS_LDDW:
        *target = (int64_t)pc + 1 + in->imm;
        return in->src == EBPF_LDDW_CODE_ADDR;
    default:
        return false;
    }
}

int isa_validate(const struct ebpf_insn *insns, size_t count, struct isa_error *err)
{
    if (count == 0)
        return fail(err, 0, "program is empty");
    if (count > EBPF_MAX_INSNS)
        return fail(err, 0, "program has %zu slots, more than the limit of %d", count, EBPF_MAX_INSNS);
    /* First pass: every slot decodes; mark lddw second halves. */
    uint8_t *is_tail = calloc(count, 1);
    if (!is_tail)
        return fail(err, 0, "out of memory");
    int rc = 0;
    size_t last = 0;
    for (size_t pc = 0; pc < count && rc == 0; pc++) {
        rc = isa_check_insn(insns, count, pc, err);
        last = pc;
        if (rc == 0 && insns[pc].opcode == EBPF_OP_LDDW)
            is_tail[++pc] = 1;
    }
    /* Second pass: branch targets land on instruction starts inside the program. */
    for (size_t pc = 0; pc < count && rc == 0; pc++) {
        if (is_tail[pc])
            continue;
        const struct isa_form *f = isa_form_of(&insns[pc]);
        int64_t target;
        if (!branch_target(&insns[pc], f, pc, &target))
            continue;
        if (target < 0 || target >= (int64_t)count)
            rc = fail(err, pc, "%s: target %lld is outside the program (0..%zu)", f->mnemonic,
                      (long long)target, count - 1);
        else if (is_tail[target])
            rc = fail(err, pc, "%s: target %lld is the second half of an lddw", f->mnemonic, (long long)target);
    }
    /* Control must not run past the last slot. */
    if (rc == 0) {
        uint8_t op = insns[last].opcode;
        if (is_tail[count - 1] || (op != EBPF_OP_EXIT && op != EBPF_OP_JA && op != EBPF_OP_JA32))
            rc = fail(err, count - 1, "the last instruction is not exit or ja: control would run past the end");
    }
    free(is_tail);
    return rc;
}
