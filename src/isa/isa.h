/*
 * isa — the eBPF instruction set (RFC 9669): encoding, the table of
 * instruction forms, a decoder that rejects malformed encodings, and the
 * text assembler and disassembler of the bpf_conformance suite's syntax.
 *
 * This is the lowest layer: it includes nothing of the project's.
 */
#ifndef BPFHOST_ISA_H
#define BPFHOST_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One 64-bit instruction slot, in the RFC's little-endian field order. */
struct ebpf_insn {
    uint8_t opcode;
    uint8_t dst : 4; /* destination register (low nibble on little-endian hosts) */
    uint8_t src : 4; /* source register */
    int16_t offset;
    int32_t imm;
};
_Static_assert(sizeof(struct ebpf_insn) == 8, "an eBPF instruction is 8 bytes");

enum {
    EBPF_REG_COUNT = 11,  /* r0..r10 */
    EBPF_REG_FP = 10,     /* read-only frame pointer */
    EBPF_STACK_SIZE = 512, /* bytes per call frame */
    EBPF_MAX_CALL_DEPTH = 8,
    EBPF_MAX_INSNS = 1000000, /* slots in one program, as Linux's complexity limit */
};

/* Instruction classes (low 3 bits of the opcode). */
enum {
    EBPF_CLS_LD = 0x00,
    EBPF_CLS_LDX = 0x01,
    EBPF_CLS_ST = 0x02,
    EBPF_CLS_STX = 0x03,
    EBPF_CLS_ALU = 0x04,
    EBPF_CLS_JMP = 0x05,
    EBPF_CLS_JMP32 = 0x06,
    EBPF_CLS_ALU64 = 0x07,
};

/* Source bit of arithmetic and jump opcodes. */
enum { EBPF_SRC_K = 0x00, EBPF_SRC_X = 0x08 };

/* Arithmetic operations (high 4 bits). */
enum {
    EBPF_ALU_ADD = 0x00,
    EBPF_ALU_SUB = 0x10,
    EBPF_ALU_MUL = 0x20,
    EBPF_ALU_DIV = 0x30,
    EBPF_ALU_OR = 0x40,
    EBPF_ALU_AND = 0x50,
    EBPF_ALU_LSH = 0x60,
    EBPF_ALU_RSH = 0x70,
    EBPF_ALU_NEG = 0x80,
    EBPF_ALU_MOD = 0x90,
    EBPF_ALU_XOR = 0xa0,
    EBPF_ALU_MOV = 0xb0,
    EBPF_ALU_ARSH = 0xc0,
    EBPF_ALU_END = 0xd0,
};

/* Byte-order direction of EBPF_ALU_END (shares the source bit). */
enum { EBPF_END_TO_LE = 0x00, EBPF_END_TO_BE = 0x08 };

/* Jump operations (high 4 bits). */
enum {
    EBPF_JMP_JA = 0x00,
    EBPF_JMP_JEQ = 0x10,
    EBPF_JMP_JGT = 0x20,
    EBPF_JMP_JGE = 0x30,
    EBPF_JMP_JSET = 0x40,
    EBPF_JMP_JNE = 0x50,
    EBPF_JMP_JSGT = 0x60,
    EBPF_JMP_JSGE = 0x70,
    EBPF_JMP_CALL = 0x80,
    EBPF_JMP_EXIT = 0x90,
    EBPF_JMP_JLT = 0xa0,
    EBPF_JMP_JLE = 0xb0,
    EBPF_JMP_JSLT = 0xc0,
    EBPF_JMP_JSLE = 0xd0,
};

/* Load/store access size and mode. */
enum { EBPF_SIZE_W = 0x00, EBPF_SIZE_H = 0x08, EBPF_SIZE_B = 0x10, EBPF_SIZE_DW = 0x18 };
enum {
    EBPF_MODE_IMM = 0x00,
    EBPF_MODE_ABS = 0x20, /* legacy packet access */
    EBPF_MODE_IND = 0x40, /* legacy packet access */
    EBPF_MODE_MEM = 0x60,
    EBPF_MODE_MEMSX = 0x80, /* sign-extending load */
    EBPF_MODE_ATOMIC = 0xc0,
};

/* Atomic operations (imm of an EBPF_MODE_ATOMIC store). */
enum {
    EBPF_ATOMIC_ADD = 0x00,
    EBPF_ATOMIC_OR = 0x40,
    EBPF_ATOMIC_AND = 0x50,
    EBPF_ATOMIC_XOR = 0xa0,
    EBPF_ATOMIC_FETCH = 0x01,
    EBPF_ATOMIC_XCHG = 0xe0 | EBPF_ATOMIC_FETCH,
    EBPF_ATOMIC_CMPXCHG = 0xf0 | EBPF_ATOMIC_FETCH,
};

/* Source forms of the 64-bit immediate load (src field of opcode 0x18). */
enum {
    EBPF_LDDW_IMM64 = 0,
    EBPF_LDDW_MAP_FD = 1,
    EBPF_LDDW_MAP_VALUE_FD = 2,
    EBPF_LDDW_VARIABLE_ADDR = 3,
    EBPF_LDDW_CODE_ADDR = 4,
    EBPF_LDDW_MAP_IDX = 5,
    EBPF_LDDW_MAP_VALUE_IDX = 6,
};

/* Call kinds (src field of a JMP|CALL|K instruction). */
enum { EBPF_CALL_HELPER = 0, EBPF_CALL_LOCAL = 1, EBPF_CALL_BTF_ID = 2 };

/* Opcodes used by name elsewhere. */
enum {
    EBPF_OP_LDDW = EBPF_CLS_LD | EBPF_MODE_IMM | EBPF_SIZE_DW, /* 0x18 */
    EBPF_OP_CALL = EBPF_CLS_JMP | EBPF_JMP_CALL | EBPF_SRC_K,  /* 0x85 */
    EBPF_OP_CALLX = EBPF_CLS_JMP | EBPF_JMP_CALL | EBPF_SRC_X, /* 0x8d */
    EBPF_OP_EXIT = EBPF_CLS_JMP | EBPF_JMP_EXIT,               /* 0x95 */
    EBPF_OP_JA = EBPF_CLS_JMP | EBPF_JMP_JA,                   /* 0x05 */
    EBPF_OP_JA32 = EBPF_CLS_JMP32 | EBPF_JMP_JA,               /* 0x06 */
};

static inline uint8_t ebpf_class(uint8_t opcode) { return opcode & 0x07; }
static inline uint8_t ebpf_op(uint8_t opcode) { return opcode & 0xf0; }
static inline uint8_t ebpf_source(uint8_t opcode) { return opcode & 0x08; }
static inline uint8_t ebpf_size(uint8_t opcode) { return opcode & 0x18; }
static inline uint8_t ebpf_mode(uint8_t opcode) { return opcode & 0xe0; }

/* ------------------------------------------------------------------------ */
/* Instruction forms: one table row per distinct instruction.               */

/* Which operands a form carries; fixes both the text syntax and which
 * encoding fields must be zero. */
enum isa_operands {
    ISA_OPS_DST_IMM,      /* add %r1, 5 */
    ISA_OPS_DST_SRC,      /* add %r1, %r2 */
    ISA_OPS_DST,          /* neg %r1, be16 %r1 */
    ISA_OPS_LOAD,         /* ldxw %r1, [%r2+4] */
    ISA_OPS_STORE_IMM,    /* stw [%r1+4], 5 */
    ISA_OPS_STORE_REG,    /* stxw [%r1+4], %r2 ; lock add [%r1+4], %r2 */
    ISA_OPS_JUMP,         /* ja +3 */
    ISA_OPS_JUMP32,       /* ja32 +3 (target in imm) */
    ISA_OPS_JUMP_IMM,     /* jeq %r1, 5, +3 */
    ISA_OPS_JUMP_REG,     /* jeq %r1, %r2, +3 */
    ISA_OPS_CALL_HELPER,  /* call 5 */
    ISA_OPS_CALL_LOCAL,   /* call local +3 */
    ISA_OPS_CALL_BTF,     /* call btf 1234 */
    ISA_OPS_CALLX,        /* call %r2 */
    ISA_OPS_EXIT,         /* exit */
    ISA_OPS_LDDW,         /* lddw %r1, 0x1122334455667788 (and pseudo forms) */
    ISA_OPS_LD_ABS,       /* ldabsw 0x10 */
    ISA_OPS_LD_IND,       /* ldindw %r1, 0x10 */
};

/* Value of isa_form.offset / .imm meaning "any value is part of the operand". */
#define ISA_FIELD_ANY INT32_MIN

struct isa_form {
    const char *mnemonic; /* "add32", "ldxsb", "lock fetch add", "movsx832" */
    uint8_t opcode;
    int32_t offset; /* required offset (variants: sdiv, movsx) or ISA_FIELD_ANY */
    int32_t imm;    /* required imm (be16, atomics) or ISA_FIELD_ANY */
    enum isa_operands operands;
};

/* Every instruction form, terminated by a row with a NULL mnemonic. */
extern const struct isa_form isa_forms[];

/* The form an instruction slot encodes, or NULL if none does. */
const struct isa_form *isa_form_of(const struct ebpf_insn *insn);

/* The first form named by a mnemonic (e.g. "add", "lock fetch add"), or NULL.
 * Rows of one mnemonic are adjacent in isa_forms, the K (immediate) form
 * before the X (register) form. */
const struct isa_form *isa_form_by_mnemonic(const char *mnemonic);

/* ------------------------------------------------------------------------ */
/* Decoding and structural validation.                                      */

/* Where and why a program (or text) is malformed. */
struct isa_error {
    size_t pc;     /* instruction slot, or source line for the assembler */
    char msg[200];
};

/* Checks one instruction (and, for lddw, its second slot, which must exist).
 * Returns 0, or -1 with the reason in err. */
int isa_check_insn(const struct ebpf_insn *insns, size_t count, size_t pc, struct isa_error *err);

/* Structural validation of a whole program: every slot decodes, registers
 * are valid and r10 is never written, lddw pairs are whole, every jump and
 * local call lands on an instruction inside the program, and control cannot
 * fall off the end. Returns 0, or -1 with the first problem in err. */
int isa_validate(const struct ebpf_insn *insns, size_t count, struct isa_error *err);

/* ------------------------------------------------------------------------ */
/* Text assembler and disassembler (bpf_conformance syntax).               */

/* Assembles text (one instruction per line, '#' comments, "label:" lines,
 * jumps and local calls to labels or +N/-N). As in the suite's own
 * assembler, a jump to the undefined label "exit" goes to the first exit
 * instruction. On success *out is a malloc'd array of *count slots.
 * Returns 0, or -1 with err->pc = 1-based line. */
int isa_assemble(const char *text, struct ebpf_insn **out, size_t *count, struct isa_error *err);

/* Writes the text of the instruction at pc into buf (NUL-terminated, cut to
 * len). Returns the number of slots it spans (1, or 2 for lddw), or -1 if
 * the slot does not decode (buf then holds a ".invalid" line naming why). */
int isa_disassemble_insn(const struct ebpf_insn *insns, size_t count, size_t pc, char *buf, size_t len);

/* Disassembles a whole program, one instruction per line; returns a malloc'd
 * string or NULL on allocation failure. */
char *isa_disassemble(const struct ebpf_insn *insns, size_t count);

#endif
