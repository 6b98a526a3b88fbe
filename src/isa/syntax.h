/*
 * The text syntax shared by the assembler (asm.c) and the disassembler
 * (disasm.c), so that the two cannot drift apart. Private to src/isa.
 */
#ifndef BPFHOST_ISA_SYNTAX_H
#define BPFHOST_ISA_SYNTAX_H

#include "isa/isa.h"

/*
 * The operands of a form as letters, in text order:
 *   d  destination register      s  source register
 *   i  immediate (imm)
 *   M  memory [dst+offset]       m  memory [src+offset]
 *   o  jump target in offset     t  jump target in imm
 * lddw is not described here: its value operand has several spellings.
 */
static inline const char *syntax_operands(enum isa_operands ops)
{
    switch (ops) {
    case ISA_OPS_DST_IMM: return "di";
    case ISA_OPS_DST_SRC: return "ds";
    case ISA_OPS_DST: return "d";
    case ISA_OPS_LOAD: return "dm";
    case ISA_OPS_STORE_IMM: return "Mi";
    case ISA_OPS_STORE_REG: return "Ms";
    case ISA_OPS_JUMP: return "o";
    case ISA_OPS_JUMP32: return "t";
    case ISA_OPS_JUMP_IMM: return "dio";
    case ISA_OPS_JUMP_REG: return "dso";
    case ISA_OPS_CALL_HELPER: return "i";
    case ISA_OPS_CALL_LOCAL: return "t";
    case ISA_OPS_CALL_BTF: return "i";
    case ISA_OPS_CALLX: return "d";
    case ISA_OPS_EXIT: return "";
    case ISA_OPS_LDDW: return "d";
    case ISA_OPS_LD_ABS: return "i";
    case ISA_OPS_LD_IND: return "si";
    }
    return "";
}

/* Keyword of a pseudo lddw source form (src 1..6, "map_by_fd"), or "" for
 * any other src. */
static inline const char *syntax_lddw_keyword(unsigned src)
{
    static const char *const keywords[] = {
        [EBPF_LDDW_MAP_FD] = "map_by_fd",
        [EBPF_LDDW_MAP_VALUE_FD] = "map_value_by_fd",
        [EBPF_LDDW_VARIABLE_ADDR] = "var_addr",
        [EBPF_LDDW_CODE_ADDR] = "code_addr",
        [EBPF_LDDW_MAP_IDX] = "map_by_idx",
        [EBPF_LDDW_MAP_VALUE_IDX] = "map_value_by_idx",
    };
    return src >= EBPF_LDDW_MAP_FD && src <= EBPF_LDDW_MAP_VALUE_IDX ? keywords[src] : "";
}

/* True if a pseudo lddw form carries a second number (the offset into a map
 * value, kept in the second slot's imm). */
static inline bool syntax_lddw_has_value_offset(unsigned src)
{
    return src == EBPF_LDDW_MAP_VALUE_FD || src == EBPF_LDDW_MAP_VALUE_IDX;
}

#endif
