/*
 * Load-time translation of validated eBPF instructions into the
 * interpreter's pre-decoded form: one operation per variant, jump
 * displacements normalised into imm, helper calls resolved to table indexes.
 */
#include "exec/interp_ops.h"

#include <stdio.h>

static int fail(struct isa_error *err, size_t pc, const char *what, const struct ebpf_insn *in)
{
    err->pc = pc;
    snprintf(err->msg, sizeof(err->msg), "instruction %zu: %s (opcode 0x%02x, src %u, imm %d)", pc, what,
             in->opcode, in->src, in->imm);
    return -1;
}

/* Index of an ALU operation within EXEC_ALU_OPS (0 = ADD ... 13 = MOV). */
static int alu_index(uint8_t op, int16_t offset)
{
    bool is_signed = offset == 1;
    switch (op) {
    case EBPF_ALU_ADD: return 0;
    case EBPF_ALU_SUB: return 1;
    case EBPF_ALU_MUL: return 2;
    case EBPF_ALU_DIV: return is_signed ? 4 : 3;
    case EBPF_ALU_MOD: return is_signed ? 6 : 5;
    case EBPF_ALU_OR: return 7;
    case EBPF_ALU_AND: return 8;
    case EBPF_ALU_LSH: return 9;
    case EBPF_ALU_RSH: return 10;
    case EBPF_ALU_ARSH: return 11;
    case EBPF_ALU_XOR: return 12;
    case EBPF_ALU_MOV: return 13;
    default: return -1;
    }
}

/* Index of a conditional jump within EXEC_JMP_OPS (0 = JEQ ... 10 = JSET). */
static int jmp_index(uint8_t op)
{
    static const uint8_t order[] = {EBPF_JMP_JEQ,  EBPF_JMP_JNE,  EBPF_JMP_JGT,  EBPF_JMP_JGE,
                                    EBPF_JMP_JLT,  EBPF_JMP_JLE,  EBPF_JMP_JSGT, EBPF_JMP_JSGE,
                                    EBPF_JMP_JSLT, EBPF_JMP_JSLE, EBPF_JMP_JSET};
    for (int i = 0; i < (int)sizeof(order); i++)
        if (order[i] == op)
            return i;
    return -1;
}

/* Index of an atomic kind within EXEC_ATOMIC_OPS. */
static int atomic_index(int32_t imm)
{
    static const int32_t order[] = {
        EBPF_ATOMIC_ADD,
        EBPF_ATOMIC_OR,
        EBPF_ATOMIC_AND,
        EBPF_ATOMIC_XOR,
        EBPF_ATOMIC_ADD | EBPF_ATOMIC_FETCH,
        EBPF_ATOMIC_OR | EBPF_ATOMIC_FETCH,
        EBPF_ATOMIC_AND | EBPF_ATOMIC_FETCH,
        EBPF_ATOMIC_XOR | EBPF_ATOMIC_FETCH,
        EBPF_ATOMIC_XCHG,
        EBPF_ATOMIC_CMPXCHG,
    };
    for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
        if (order[i] == imm)
            return i;
    return -1;
}

/* Operation index of a load/store size in W, H, B, DW order. */
static int size_index(uint8_t opcode)
{
    switch (ebpf_size(opcode)) {
    case EBPF_SIZE_W: return 0;
    case EBPF_SIZE_H: return 1;
    case EBPF_SIZE_B: return 2;
    default: return 3;
    }
}

static int helper_index(const struct exec_helper *helpers, size_t count, int32_t id)
{
    for (size_t i = 0; i < count; i++)
        if (helpers[i].id == (uint32_t)id)
            return (int)i;
    return -1;
}

static int predecode_alu(const struct ebpf_insn *in, struct exec_insn *out)
{
    bool is64 = ebpf_class(in->opcode) == EBPF_CLS_ALU64;
    uint8_t op = ebpf_op(in->opcode);
    if (op == EBPF_ALU_NEG) {
        out->op = is64 ? OP_NEG64 : OP_NEG32;
    } else if (op == EBPF_ALU_END) {
        /* bswap is "to big endian" on this little-endian host. */
        bool swap = is64 || ebpf_source(in->opcode) == EBPF_END_TO_BE;
        int w = in->imm == 16 ? 0 : in->imm == 32 ? 1 : 2;
        out->op = (uint16_t)((swap ? OP_BE16 : OP_LE16) + w);
    } else if (op == EBPF_ALU_MOV && in->offset) {
        int w = in->offset == 8 ? 0 : in->offset == 16 ? 1 : 2;
        out->op = (uint16_t)((is64 ? OP_MOVSX8_64 : OP_MOVSX8_32) + w);
    } else {
        int base = OP_ADD64_K + 4 * alu_index(op, in->offset);
        out->op = (uint16_t)(base + (is64 ? 0 : 2) + (ebpf_source(in->opcode) == EBPF_SRC_X));
    }
    return 0;
}

int exec_predecode(const struct ebpf_insn *insns, size_t count, size_t pc, const struct exec_helper *helpers,
                   size_t helper_count, struct exec_insn *out, struct isa_error *err)
{
    (void)count;
    const struct ebpf_insn *in = &insns[pc];
    *out = (struct exec_insn){.dst = in->dst, .src = in->src, .offset = in->offset, .imm = in->imm};
    uint8_t cls = ebpf_class(in->opcode), op = ebpf_op(in->opcode), mode = ebpf_mode(in->opcode);
    int idx;
    switch (cls) {
    case EBPF_CLS_ALU:
    case EBPF_CLS_ALU64:
        return predecode_alu(in, out);
    case EBPF_CLS_JMP:
    case EBPF_CLS_JMP32:
        if (op == EBPF_JMP_JA) {
            out->op = OP_JA;
            if (cls == EBPF_CLS_JMP)
                out->imm = in->offset;
        } else if (op == EBPF_JMP_EXIT) {
            out->op = OP_EXIT;
        } else if (in->opcode == EBPF_OP_CALLX) {
            out->op = OP_CALLX;
        } else if (op == EBPF_JMP_CALL && in->src == EBPF_CALL_LOCAL) {
            out->op = OP_CALL_LOCAL;
        } else if (op == EBPF_JMP_CALL && in->src == EBPF_CALL_BTF_ID) {
            return fail(err, pc, "calls by BTF id (kfuncs) are not supported by this host", in);
        } else if (op == EBPF_JMP_CALL) {
            if ((idx = helper_index(helpers, helper_count, in->imm)) < 0)
                return fail(err, pc, "call to unknown helper", in);
            out->op = OP_CALL;
            out->imm = idx;
        } else {
            int base = OP_JEQ_K + 4 * jmp_index(op);
            out->op = (uint16_t)(base + (cls == EBPF_CLS_JMP ? 0 : 2) + (ebpf_source(in->opcode) == EBPF_SRC_X));
        }
        return 0;
    case EBPF_CLS_LD:
        if (in->opcode == EBPF_OP_LDDW) {
            if (in->src != EBPF_LDDW_IMM64 && in->src != EBPF_LDDW_CODE_ADDR)
                return fail(err, pc, "lddw with an unresolved map or variable reference", in);
            out->op = OP_LDDW;
        } else {
            out->op = (uint16_t)((mode == EBPF_MODE_ABS ? OP_LDABS_W : OP_LDIND_W) + size_index(in->opcode));
        }
        return 0;
    case EBPF_CLS_LDX:
        out->op = (uint16_t)((mode == EBPF_MODE_MEMSX ? OP_LDXS_W : OP_LDX_W) + size_index(in->opcode));
        return 0;
    case EBPF_CLS_ST:
        out->op = (uint16_t)(OP_ST_W + size_index(in->opcode));
        return 0;
    default: /* EBPF_CLS_STX */
        if (mode == EBPF_MODE_ATOMIC) {
            bool is64 = ebpf_size(in->opcode) == EBPF_SIZE_DW;
            out->op = (uint16_t)(OP_ATOMIC_ADD64 + 2 * atomic_index(in->imm) + (is64 ? 0 : 1));
        } else {
            out->op = (uint16_t)(OP_STX_W + size_index(in->opcode));
        }
        return 0;
    }
}
