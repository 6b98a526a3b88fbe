/*
 * Private to exec: the pre-decoded instruction form the interpreter runs,
 * and the list of its operations. Each operation is one dispatch target;
 * variants the RFC encodes in offset/imm (sdiv, movsx, byte-swap widths,
 * atomic kinds) are resolved to their own operation once, at load time.
 */
#ifndef BPFHOST_EXEC_INTERP_OPS_H
#define BPFHOST_EXEC_INTERP_OPS_H

#include "exec/exec.h"

/* Arithmetic operations that exist as 64-bit and 32-bit, K and X. */
#define EXEC_ALU_OPS(X) X(ADD) X(SUB) X(MUL) X(DIV) X(SDIV) X(MOD) X(SMOD) X(OR) X(AND) X(LSH) X(RSH) X(ARSH) X(XOR) X(MOV)

/* Conditional jumps that exist as 64-bit and 32-bit compares, K and X. */
#define EXEC_JMP_OPS(X) X(JEQ) X(JNE) X(JGT) X(JGE) X(JLT) X(JLE) X(JSGT) X(JSGE) X(JSLT) X(JSLE) X(JSET)

/* Atomic read-modify-write kinds, 64-bit and 32-bit. */
#define EXEC_ATOMIC_OPS(X)                                                                                   \
    X(ADD) X(OR) X(AND) X(XOR) X(FETCH_ADD) X(FETCH_OR) X(FETCH_AND) X(FETCH_XOR) X(XCHG) X(CMPXCHG)

#define EXEC_OPS(X)                                                                                          \
    X(MOVSX8_64) X(MOVSX16_64) X(MOVSX32_64) X(MOVSX8_32) X(MOVSX16_32) X(NEG64) X(NEG32)                    \
    X(LE16) X(LE32) X(LE64) X(BE16) X(BE32) X(BE64)                                                         \
    X(JA) X(CALL) X(CALL_LOCAL) X(CALLX) X(EXIT)                                                             \
    X(LDDW) X(LDABS_W) X(LDABS_H) X(LDABS_B) X(LDIND_W) X(LDIND_H) X(LDIND_B)                                \
    X(LDX_W) X(LDX_H) X(LDX_B) X(LDX_DW) X(LDXS_W) X(LDXS_H) X(LDXS_B)                                       \
    X(ST_W) X(ST_H) X(ST_B) X(ST_DW) X(STX_W) X(STX_H) X(STX_B) X(STX_DW)

enum exec_op {
#define EXEC_OP_ENUM_(name) OP_##name,
    EXEC_OPS(EXEC_OP_ENUM_)
#undef EXEC_OP_ENUM_
#define EXEC_OP_ALU_ENUM_(name) OP_##name##64_K, OP_##name##64_X, OP_##name##32_K, OP_##name##32_X,
    EXEC_ALU_OPS(EXEC_OP_ALU_ENUM_)
#undef EXEC_OP_ALU_ENUM_
#define EXEC_OP_JMP_ENUM_(name) OP_##name##_K, OP_##name##_X, OP_##name##32_K, OP_##name##32_X,
    EXEC_JMP_OPS(EXEC_OP_JMP_ENUM_)
#undef EXEC_OP_JMP_ENUM_
#define EXEC_OP_ATOMIC_ENUM_(name) OP_ATOMIC_##name##64, OP_ATOMIC_##name##32,
    EXEC_ATOMIC_OPS(EXEC_OP_ATOMIC_ENUM_)
#undef EXEC_OP_ATOMIC_ENUM_
    OP_COUNT_
};

/* One pre-decoded instruction (16 bytes). Jumps keep their displacement in
 * imm; lddw keeps the low word in imm and the high word in the next slot's
 * imm; calls keep the helper's table index in imm. */
struct exec_insn {
    uint16_t op; /* enum exec_op */
    uint8_t dst;
    uint8_t src;
    int16_t offset;
    int16_t pad_;
    int32_t imm;
    uint32_t pad2_;
};

struct exec_program {
    struct exec_insn *insns;
    size_t count;
    const struct exec_helper *helpers;
    size_t helper_count;
    uint32_t *callbacks; /* slots that code-address lddws name, ascending */
    size_t callback_count;
    const void *owner; /* the host's object for this program */
};

/* Translates one validated instruction; returns 0 or -1 with err set. */
int exec_predecode(const struct ebpf_insn *insns, size_t count, size_t pc, const struct exec_helper *helpers,
                   size_t helper_count, struct exec_insn *out, struct isa_error *err);

#endif
