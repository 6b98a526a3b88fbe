/*
 * The table of instruction forms: every distinct eBPF instruction of RFC 9669
 * (plus callx), with its mnemonic in the bpf_conformance syntax. The decoder,
 * the assembler and the disassembler all read this one table.
 */
#include "isa/isa.h"

#include <pthread.h>
#include <string.h>

#define ANY ISA_FIELD_ANY

/* Arithmetic: "add" is 64-bit, "add32" its 32-bit twin; K and X forms. */
#define ALU_PAIR(name, op)                                                                            \
    {name, EBPF_CLS_ALU64 | (op) | EBPF_SRC_K, 0, ANY, ISA_OPS_DST_IMM},                              \
    {name, EBPF_CLS_ALU64 | (op) | EBPF_SRC_X, 0, 0, ISA_OPS_DST_SRC},                                \
    {name "32", EBPF_CLS_ALU | (op) | EBPF_SRC_K, 0, ANY, ISA_OPS_DST_IMM},                           \
    {name "32", EBPF_CLS_ALU | (op) | EBPF_SRC_X, 0, 0, ISA_OPS_DST_SRC}

/* Signed division and modulo: the unsigned opcode with offset 1. */
#define SIGNED_PAIR(name, op)                                                                         \
    {name, EBPF_CLS_ALU64 | (op) | EBPF_SRC_K, 1, ANY, ISA_OPS_DST_IMM},                              \
    {name, EBPF_CLS_ALU64 | (op) | EBPF_SRC_X, 1, 0, ISA_OPS_DST_SRC},                                \
    {name "32", EBPF_CLS_ALU | (op) | EBPF_SRC_K, 1, ANY, ISA_OPS_DST_IMM},                           \
    {name "32", EBPF_CLS_ALU | (op) | EBPF_SRC_X, 1, 0, ISA_OPS_DST_SRC}

/* Conditional jumps, 64-bit and 32-bit comparisons, K and X forms. */
#define JMP_PAIR(name, op)                                                                            \
    {name, EBPF_CLS_JMP | (op) | EBPF_SRC_K, ANY, ANY, ISA_OPS_JUMP_IMM},                             \
    {name, EBPF_CLS_JMP | (op) | EBPF_SRC_X, ANY, 0, ISA_OPS_JUMP_REG},                               \
    {name "32", EBPF_CLS_JMP32 | (op) | EBPF_SRC_K, ANY, ANY, ISA_OPS_JUMP_IMM},                      \
    {name "32", EBPF_CLS_JMP32 | (op) | EBPF_SRC_X, ANY, 0, ISA_OPS_JUMP_REG}

/* Atomic read-modify-write, 64-bit ("lock add") and 32-bit ("lock add32"). */
#define ATOMIC_PAIR(name, op)                                                                         \
    {name, EBPF_CLS_STX | EBPF_MODE_ATOMIC | EBPF_SIZE_DW, ANY, (op), ISA_OPS_STORE_REG},              \
    {name "32", EBPF_CLS_STX | EBPF_MODE_ATOMIC | EBPF_SIZE_W, ANY, (op), ISA_OPS_STORE_REG}

#define MEM_ROW(name, cls, mode, size, ops) {name, (cls) | (mode) | (size), ANY, (ops) == ISA_OPS_STORE_IMM ? ANY : 0, ops}

/* Legacy packet loads: the operand is imm; offset is reserved. */
#define PACKET_ROW(name, mode, size, ops) {name, EBPF_CLS_LD | (mode) | (size), 0, ANY, ops}

const struct isa_form isa_forms[] = {
    ALU_PAIR("add", EBPF_ALU_ADD),
    ALU_PAIR("sub", EBPF_ALU_SUB),
    ALU_PAIR("mul", EBPF_ALU_MUL),
    ALU_PAIR("div", EBPF_ALU_DIV),
    ALU_PAIR("or", EBPF_ALU_OR),
    ALU_PAIR("and", EBPF_ALU_AND),
    ALU_PAIR("lsh", EBPF_ALU_LSH),
    ALU_PAIR("rsh", EBPF_ALU_RSH),
    ALU_PAIR("mod", EBPF_ALU_MOD),
    ALU_PAIR("xor", EBPF_ALU_XOR),
    ALU_PAIR("mov", EBPF_ALU_MOV),
    ALU_PAIR("arsh", EBPF_ALU_ARSH),
    SIGNED_PAIR("sdiv", EBPF_ALU_DIV),
    SIGNED_PAIR("smod", EBPF_ALU_MOD),
    {"neg", EBPF_CLS_ALU64 | EBPF_ALU_NEG, 0, 0, ISA_OPS_DST},
    {"neg32", EBPF_CLS_ALU | EBPF_ALU_NEG, 0, 0, ISA_OPS_DST},
    /* Sign-extending moves: MOV X with the source width in offset. */
    {"movsx832", EBPF_CLS_ALU | EBPF_ALU_MOV | EBPF_SRC_X, 8, 0, ISA_OPS_DST_SRC},
    {"movsx1632", EBPF_CLS_ALU | EBPF_ALU_MOV | EBPF_SRC_X, 16, 0, ISA_OPS_DST_SRC},
    {"movsx864", EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, 8, 0, ISA_OPS_DST_SRC},
    {"movsx1664", EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, 16, 0, ISA_OPS_DST_SRC},
    {"movsx3264", EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, 32, 0, ISA_OPS_DST_SRC},
    /* Byte order: le/be convert from host order; bswap swaps unconditionally. */
    {"le16", EBPF_CLS_ALU | EBPF_ALU_END | EBPF_END_TO_LE, 0, 16, ISA_OPS_DST},
    {"le32", EBPF_CLS_ALU | EBPF_ALU_END | EBPF_END_TO_LE, 0, 32, ISA_OPS_DST},
    {"le64", EBPF_CLS_ALU | EBPF_ALU_END | EBPF_END_TO_LE, 0, 64, ISA_OPS_DST},
    {"be16", EBPF_CLS_ALU | EBPF_ALU_END | EBPF_END_TO_BE, 0, 16, ISA_OPS_DST},
    {"be32", EBPF_CLS_ALU | EBPF_ALU_END | EBPF_END_TO_BE, 0, 32, ISA_OPS_DST},
    {"be64", EBPF_CLS_ALU | EBPF_ALU_END | EBPF_END_TO_BE, 0, 64, ISA_OPS_DST},
    {"bswap16", EBPF_CLS_ALU64 | EBPF_ALU_END | EBPF_END_TO_LE, 0, 16, ISA_OPS_DST},
    {"bswap32", EBPF_CLS_ALU64 | EBPF_ALU_END | EBPF_END_TO_LE, 0, 32, ISA_OPS_DST},
    {"bswap64", EBPF_CLS_ALU64 | EBPF_ALU_END | EBPF_END_TO_LE, 0, 64, ISA_OPS_DST},

    {"ja", EBPF_OP_JA, ANY, 0, ISA_OPS_JUMP},
    {"ja32", EBPF_OP_JA32, 0, ANY, ISA_OPS_JUMP32},
    JMP_PAIR("jeq", EBPF_JMP_JEQ),
    JMP_PAIR("jgt", EBPF_JMP_JGT),
    JMP_PAIR("jge", EBPF_JMP_JGE),
    JMP_PAIR("jset", EBPF_JMP_JSET),
    JMP_PAIR("jne", EBPF_JMP_JNE),
    JMP_PAIR("jsgt", EBPF_JMP_JSGT),
    JMP_PAIR("jsge", EBPF_JMP_JSGE),
    JMP_PAIR("jlt", EBPF_JMP_JLT),
    JMP_PAIR("jle", EBPF_JMP_JLE),
    JMP_PAIR("jslt", EBPF_JMP_JSLT),
    JMP_PAIR("jsle", EBPF_JMP_JSLE),
    {"call", EBPF_OP_CALL, 0, ANY, ISA_OPS_CALL_HELPER},
    {"call local", EBPF_OP_CALL, 0, ANY, ISA_OPS_CALL_LOCAL},
    {"call btf", EBPF_OP_CALL, 0, ANY, ISA_OPS_CALL_BTF},
    {"callx", EBPF_OP_CALLX, 0, 0, ISA_OPS_CALLX},
    {"exit", EBPF_OP_EXIT, 0, 0, ISA_OPS_EXIT},

    {"lddw", EBPF_OP_LDDW, 0, ANY, ISA_OPS_LDDW},
    PACKET_ROW("ldabsw", EBPF_MODE_ABS, EBPF_SIZE_W, ISA_OPS_LD_ABS),
    PACKET_ROW("ldabsh", EBPF_MODE_ABS, EBPF_SIZE_H, ISA_OPS_LD_ABS),
    PACKET_ROW("ldabsb", EBPF_MODE_ABS, EBPF_SIZE_B, ISA_OPS_LD_ABS),
    PACKET_ROW("ldindw", EBPF_MODE_IND, EBPF_SIZE_W, ISA_OPS_LD_IND),
    PACKET_ROW("ldindh", EBPF_MODE_IND, EBPF_SIZE_H, ISA_OPS_LD_IND),
    PACKET_ROW("ldindb", EBPF_MODE_IND, EBPF_SIZE_B, ISA_OPS_LD_IND),
    MEM_ROW("ldxw", EBPF_CLS_LDX, EBPF_MODE_MEM, EBPF_SIZE_W, ISA_OPS_LOAD),
    MEM_ROW("ldxh", EBPF_CLS_LDX, EBPF_MODE_MEM, EBPF_SIZE_H, ISA_OPS_LOAD),
    MEM_ROW("ldxb", EBPF_CLS_LDX, EBPF_MODE_MEM, EBPF_SIZE_B, ISA_OPS_LOAD),
    MEM_ROW("ldxdw", EBPF_CLS_LDX, EBPF_MODE_MEM, EBPF_SIZE_DW, ISA_OPS_LOAD),
    MEM_ROW("ldxsw", EBPF_CLS_LDX, EBPF_MODE_MEMSX, EBPF_SIZE_W, ISA_OPS_LOAD),
    MEM_ROW("ldxsh", EBPF_CLS_LDX, EBPF_MODE_MEMSX, EBPF_SIZE_H, ISA_OPS_LOAD),
    MEM_ROW("ldxsb", EBPF_CLS_LDX, EBPF_MODE_MEMSX, EBPF_SIZE_B, ISA_OPS_LOAD),
    MEM_ROW("stw", EBPF_CLS_ST, EBPF_MODE_MEM, EBPF_SIZE_W, ISA_OPS_STORE_IMM),
    MEM_ROW("sth", EBPF_CLS_ST, EBPF_MODE_MEM, EBPF_SIZE_H, ISA_OPS_STORE_IMM),
    MEM_ROW("stb", EBPF_CLS_ST, EBPF_MODE_MEM, EBPF_SIZE_B, ISA_OPS_STORE_IMM),
    MEM_ROW("stdw", EBPF_CLS_ST, EBPF_MODE_MEM, EBPF_SIZE_DW, ISA_OPS_STORE_IMM),
    MEM_ROW("stxw", EBPF_CLS_STX, EBPF_MODE_MEM, EBPF_SIZE_W, ISA_OPS_STORE_REG),
    MEM_ROW("stxh", EBPF_CLS_STX, EBPF_MODE_MEM, EBPF_SIZE_H, ISA_OPS_STORE_REG),
    MEM_ROW("stxb", EBPF_CLS_STX, EBPF_MODE_MEM, EBPF_SIZE_B, ISA_OPS_STORE_REG),
    MEM_ROW("stxdw", EBPF_CLS_STX, EBPF_MODE_MEM, EBPF_SIZE_DW, ISA_OPS_STORE_REG),
    ATOMIC_PAIR("lock add", EBPF_ATOMIC_ADD),
    ATOMIC_PAIR("lock or", EBPF_ATOMIC_OR),
    ATOMIC_PAIR("lock and", EBPF_ATOMIC_AND),
    ATOMIC_PAIR("lock xor", EBPF_ATOMIC_XOR),
    ATOMIC_PAIR("lock fetch add", EBPF_ATOMIC_ADD | EBPF_ATOMIC_FETCH),
    ATOMIC_PAIR("lock fetch or", EBPF_ATOMIC_OR | EBPF_ATOMIC_FETCH),
    ATOMIC_PAIR("lock fetch and", EBPF_ATOMIC_AND | EBPF_ATOMIC_FETCH),
    ATOMIC_PAIR("lock fetch xor", EBPF_ATOMIC_XOR | EBPF_ATOMIC_FETCH),
    ATOMIC_PAIR("lock xchg", EBPF_ATOMIC_XCHG),
    ATOMIC_PAIR("lock cmpxchg", EBPF_ATOMIC_CMPXCHG),
    {NULL, 0, 0, 0, 0},
};

/* Rows grouped by opcode, built once: forms_by_opcode[start[op] .. start[op+1]). */
static uint16_t form_start[257];
static uint16_t forms_by_opcode[sizeof(isa_forms) / sizeof(isa_forms[0])];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
    size_t n = 0;
    for (unsigned op = 0; op < 256; op++) {
        form_start[op] = (uint16_t)n;
        for (size_t i = 0; isa_forms[i].mnemonic; i++)
            if (isa_forms[i].opcode == op)
                forms_by_opcode[n++] = (uint16_t)i;
    }
    form_start[256] = (uint16_t)n;
}

/* The src field a form requires, or -1 when src is a register or a pseudo kind. */
static int required_src(enum isa_operands ops)
{
    switch (ops) {
    case ISA_OPS_CALL_HELPER: return EBPF_CALL_HELPER;
    case ISA_OPS_CALL_LOCAL: return EBPF_CALL_LOCAL;
    case ISA_OPS_CALL_BTF: return EBPF_CALL_BTF_ID;
    default: return -1;
    }
}

const struct isa_form *isa_form_of(const struct ebpf_insn *insn)
{
    pthread_once(&index_once, build_index);
    for (unsigned k = form_start[insn->opcode]; k < form_start[insn->opcode + 1]; k++) {
        const struct isa_form *f = &isa_forms[forms_by_opcode[k]];
        if (f->offset != ANY && f->offset != insn->offset)
            continue;
        int src = required_src(f->operands);
        if (src >= 0 && src != insn->src)
            continue;
        /* Rows that fix imm differ only by imm (END widths, atomic ops). */
        if (f->imm != ANY && f->imm != insn->imm &&
            (f->operands == ISA_OPS_DST || f->operands == ISA_OPS_STORE_REG))
            continue;
        return f;
    }
    return NULL;
}

const struct isa_form *isa_form_by_mnemonic(const char *mnemonic)
{
    for (size_t i = 0; isa_forms[i].mnemonic; i++)
        if (strcmp(isa_forms[i].mnemonic, mnemonic) == 0)
            return &isa_forms[i];
    return NULL;
}
