/*
 * Tests of the decoder: every row of the form table decodes to itself, and
 * each kind of malformed encoding or program is rejected with its reason.
 */
#include "common/assertions.h"
#include "isa/isa.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define I(op, d, s, off, k) {.opcode = (op), .dst = (d), .src = (s), .offset = (off), .imm = (k)}
#define EXIT I(EBPF_OP_EXIT, 0, 0, 0, 0)
#define TAIL I(0, 0, 0, 0, 0)
#define MAX_SLOTS 4

enum {
    ADD64_K = EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_K,
    ADD64_X = EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_X,
    MOV64_K = EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_K,
    MOV64_X = EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X,
    MOV32_X = EBPF_CLS_ALU | EBPF_ALU_MOV | EBPF_SRC_X,
    DIV64_K = EBPF_CLS_ALU64 | EBPF_ALU_DIV | EBPF_SRC_K,
    MOD32_X = EBPF_CLS_ALU | EBPF_ALU_MOD | EBPF_SRC_X,
    NEG64 = EBPF_CLS_ALU64 | EBPF_ALU_NEG,
    BE = EBPF_CLS_ALU | EBPF_ALU_END | EBPF_END_TO_BE,
    LDXDW = EBPF_CLS_LDX | EBPF_MODE_MEM | EBPF_SIZE_DW,
    STXDW = EBPF_CLS_STX | EBPF_MODE_MEM | EBPF_SIZE_DW,
    ATOMIC64 = EBPF_CLS_STX | EBPF_MODE_ATOMIC | EBPF_SIZE_DW,
    LDABSW = EBPF_CLS_LD | EBPF_MODE_ABS | EBPF_SIZE_W,
    LDINDW = EBPF_CLS_LD | EBPF_MODE_IND | EBPF_SIZE_W,
    JEQ_K = EBPF_CLS_JMP | EBPF_JMP_JEQ | EBPF_SRC_K,
};

/* The smallest valid encoding of a form: fixed fields as the row says,
 * everything else zero (r0 everywhere, which every form may use). */
static struct ebpf_insn minimal_encoding(const struct isa_form *f)
{
    struct ebpf_insn in = {.opcode = f->opcode};
    in.offset = f->offset == ISA_FIELD_ANY ? 0 : (int16_t)f->offset;
    in.imm = f->imm == ISA_FIELD_ANY ? 0 : f->imm;
    in.src = f->operands == ISA_OPS_CALL_LOCAL ? EBPF_CALL_LOCAL : f->operands == ISA_OPS_CALL_BTF ? EBPF_CALL_BTF_ID : 0;
    return in;
}

static void test_every_form_decodes(void **state)
{
    (void)state;
    size_t rows = 0;
    for (const struct isa_form *f = isa_forms; f->mnemonic; f++, rows++) {
        struct ebpf_insn prog[2] = {minimal_encoding(f), TAIL};
        size_t count = f->operands == ISA_OPS_LDDW ? 2 : 1;
        if (isa_form_of(&prog[0]) != f)
            fail_msg("row %zu (%s): the minimal encoding decodes to another row", rows, f->mnemonic);
        struct isa_error err = {0};
        if (isa_check_insn(prog, count, 0, &err) != 0)
            fail_msg("row %zu (%s): %s", rows, f->mnemonic, err.msg);
    }
    print_message("%zu forms decode to themselves\n", rows);
}

/* The assembler relies on this: a mnemonic's rows are adjacent, the first
 * being what isa_form_by_mnemonic returns. */
static void test_mnemonic_rows_adjacent(void **state)
{
    (void)state;
    for (const struct isa_form *f = isa_forms; f->mnemonic; f++) {
        const struct isa_form *first = isa_form_by_mnemonic(f->mnemonic);
        assert_non_null(first);
        for (const struct isa_form *g = first; g <= f; g++)
            assert_string_equal(g->mnemonic, f->mnemonic);
    }
    assert_null(isa_form_by_mnemonic("nosuch"));
}

/* ------------------------------------------------------------------------ */
/* Accepted programs that sit next to a rejection.                          */

struct program {
    const char *what;
    struct ebpf_insn slots[MAX_SLOTS];
    size_t count;
};

static const struct program accepted[] = {
    {"legacy packet loads carry imm", {I(LDABSW, 0, 0, 0, 16), I(LDINDW, 0, 1, 0, 16), EXIT}, 3},
    {"ja may end a program", {I(MOV64_K, 0, 0, 0, 0), I(EBPF_OP_JA, 0, 0, -2, 0)}, 2},
    {"ja32 may end a program", {I(EBPF_OP_JA32, 0, 0, 0, -1)}, 1},
    {"cmpxchg does not write its src", {I(ATOMIC64, 1, 10, 0, EBPF_ATOMIC_CMPXCHG), EXIT}, 2},
    {"a plain atomic add reads r10", {I(ATOMIC64, 1, 10, 0, EBPF_ATOMIC_ADD), EXIT}, 2},
    {"stores through r10", {I(STXDW, 10, 1, -8, 0), EXIT}, 2},
    {"map value lddw keeps its offset", {I(EBPF_OP_LDDW, 1, EBPF_LDDW_MAP_VALUE_FD, 0, 3), I(0, 0, 0, 0, 16), EXIT},
     3},
    {"jump over an lddw", {I(EBPF_OP_JA, 0, 0, 2, 0), I(EBPF_OP_LDDW, 1, 0, 0, 1), TAIL, EXIT}, 4},
    {"code address of the exit", {I(EBPF_OP_LDDW, 1, EBPF_LDDW_CODE_ADDR, 0, 1), TAIL, EXIT}, 3},
    {"r9 and r10 as sources", {I(MOV64_X, 9, 10, 0, 0), EXIT}, 2},
};

static void test_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        struct isa_error err = {0};
        if (isa_validate(accepted[i].slots, accepted[i].count, &err) != 0)
            fail_msg("%s: %s", accepted[i].what, err.msg);
    }
}

/* ------------------------------------------------------------------------ */
/* Rejections: each program fails isa_validate at slot pc with a reason.     */

struct rejection {
    struct program prog;
    size_t pc;
    const char *fragment;
};

static const struct rejection rejections[] = {
    {{"unknown opcode", {I(0x8e, 2, 1, 0, 0), EXIT}, 2}, 0, "unknown opcode 0x8e"},
    {{"opcode zero", {EXIT, I(0x00, 0, 0, 0, 0)}, 2}, 1, "unknown opcode 0x00"},
    {{"src of a K form", {I(ADD64_K, 1, 3, 0, 5), EXIT}, 2}, 0, "add: reserved field src is 3, must be 0"},
    {{"dst of ja", {I(EBPF_OP_JA, 1, 0, 0, 0), EXIT}, 2}, 0, "ja: reserved field dst is r1"},
    {{"dst of a helper call", {I(EBPF_OP_CALL, 2, 0, 0, 1), EXIT}, 2}, 0, "call: reserved field dst is r2"},
    {{"dst of ldind", {I(LDINDW, 1, 2, 0, 16), EXIT}, 2}, 0, "ldindw: reserved field dst is r1"},
    {{"offset of add", {I(ADD64_K, 1, 0, 1, 5), EXIT}, 2}, 0, "reserved field offset is 1, must be 0"},
    {{"offset of exit", {I(EBPF_OP_EXIT, 0, 0, 4, 0)}, 1}, 0, "reserved field offset is 4"},
    {{"offset of a call", {I(EBPF_OP_CALL, 0, 0, 1, 1), EXIT}, 2}, 0, "reserved field offset is 1"},
    {{"offset of be16", {I(BE, 1, 0, 1, 16), EXIT}, 2}, 0, "reserved field offset is 1"},
    {{"offset of ldabs", {I(LDABSW, 0, 0, 2, 16), EXIT}, 2}, 0, "reserved field offset is 2"},
    {{"imm of an X form", {I(ADD64_X, 1, 2, 0, 7), EXIT}, 2}, 0, "add: reserved field imm is 7, must be 0"},
    {{"imm of stx", {I(STXDW, 10, 1, -8, 1), EXIT}, 2}, 0, "reserved field imm is 1, must be 0"},
    {{"imm of exit", {I(EBPF_OP_EXIT, 0, 0, 0, 1)}, 1}, 0, "exit: reserved field imm is 1"},
    {{"imm of callx", {I(EBPF_OP_CALLX, 2, 0, 0, 2), EXIT}, 2}, 0, "callx: reserved field imm is 2"},
    {{"dst r11", {I(MOV64_K, 11, 0, 0, 1), EXIT}, 2}, 0, "invalid destination register r11"},
    {{"src r15", {I(ADD64_X, 1, 15, 0, 0), EXIT}, 2}, 0, "invalid source register r15"},
    {{"ldx src r12", {I(LDXDW, 1, 12, 0, 0), EXIT}, 2}, 0, "invalid source register r12"},
    {{"jump dst r13", {I(JEQ_K, 13, 0, 0, 0), EXIT}, 2}, 0, "invalid destination register r13"},
    {{"store dst r14", {I(STXDW, 14, 1, 0, 0), EXIT}, 2}, 0, "invalid destination register r14"},
    {{"mov to r10", {I(MOV64_K, 10, 0, 0, 1), EXIT}, 2}, 0, "mov: writes r10, which is read-only"},
    {{"ldx to r10", {I(LDXDW, 10, 1, 0, 0), EXIT}, 2}, 0, "ldxdw: writes r10"},
    {{"lddw to r10", {I(EBPF_OP_LDDW, 10, 0, 0, 1), TAIL, EXIT}, 3}, 0, "lddw: writes r10"},
    {{"neg of r10", {I(NEG64, 10, 0, 0, 0), EXIT}, 2}, 0, "neg: writes r10"},
    {{"fetch into r10", {I(ATOMIC64, 1, 10, 0, EBPF_ATOMIC_ADD | EBPF_ATOMIC_FETCH), EXIT}, 2}, 0,
     "lock fetch add: fetches into r10"},
    {{"xchg into r10", {I(ATOMIC64, 1, 10, 0, EBPF_ATOMIC_XCHG), EXIT}, 2}, 0, "lock xchg: fetches into r10"},
    {{"lddw in the last slot", {EXIT, I(EBPF_OP_LDDW, 1, 0, 0, 1)}, 2}, 1, "second half is missing"},
    {{"lddw tail with an opcode", {I(EBPF_OP_LDDW, 1, 0, 0, 1), EXIT, EXIT}, 3}, 1,
     "second half of lddw must have opcode, registers and offset zero"},
    {{"lddw tail with a register", {I(EBPF_OP_LDDW, 1, 0, 0, 1), I(0, 1, 0, 0, 0), EXIT}, 3}, 1,
     "second half of lddw must have"},
    {{"lddw tail with an offset", {I(EBPF_OP_LDDW, 1, 0, 0, 1), I(0, 0, 0, 1, 0), EXIT}, 3}, 1,
     "second half of lddw must have"},
    {{"map lddw tail imm", {I(EBPF_OP_LDDW, 1, EBPF_LDDW_MAP_FD, 0, 3), I(0, 0, 0, 0, 5), EXIT}, 3}, 1,
     "second half of lddw src=1 must have imm zero"},
    {{"lddw source form 7", {I(EBPF_OP_LDDW, 1, 7, 0, 3), TAIL, EXIT}, 3}, 0, "lddw source form src=7 is invalid"},
    {{"jump past the end", {I(EBPF_OP_JA, 0, 0, 5, 0), EXIT}, 2}, 0, "ja: target 6 is outside the program (0..1)"},
    {{"jump before the start", {EXIT, I(JEQ_K, 1, 0, -3, 0), EXIT}, 3}, 1, "jeq: target -1 is outside"},
    {{"jump into an lddw", {I(EBPF_OP_JA, 0, 0, 1, 0), I(EBPF_OP_LDDW, 1, 0, 0, 1), TAIL, EXIT}, 4}, 0,
     "ja: target 2 is the second half of an lddw"},
    {{"ja32 past the end", {I(EBPF_OP_JA32, 0, 0, 0, 7), EXIT}, 2}, 0, "ja32: target 8 is outside"},
    {{"ja32 before the start", {I(EBPF_OP_JA32, 0, 0, 0, -2)}, 1}, 0, "ja32: target -1 is outside"},
    {{"local call past the end", {I(EBPF_OP_CALL, 0, EBPF_CALL_LOCAL, 0, 5), EXIT}, 2}, 0,
     "call local: target 6 is outside"},
    {{"local call into an lddw",
      {I(EBPF_OP_CALL, 0, EBPF_CALL_LOCAL, 0, 1), I(EBPF_OP_LDDW, 1, 0, 0, 1), TAIL, EXIT},
      4},
     0,
     "call local: target 2 is the second half of an lddw"},
    {{"code address past the end", {I(EBPF_OP_LDDW, 1, EBPF_LDDW_CODE_ADDR, 0, 9), TAIL, EXIT}, 3}, 0,
     "lddw: target 10 is outside"},
    {{"falls off the end", {I(MOV64_K, 0, 0, 0, 0)}, 1}, 0, "the last instruction is not exit or ja"},
    {{"ends with an lddw", {EXIT, I(EBPF_OP_LDDW, 1, 0, 0, 1), TAIL}, 3}, 2, "the last instruction is not exit"},
    {{"empty program", {EXIT}, 0}, 0, "program is empty"},
    {{"byte swap width 8", {I(BE, 1, 0, 0, 8), EXIT}, 2}, 0, "byte swap width imm=8 is invalid"},
    {{"bswap width 0", {I(EBPF_CLS_ALU64 | EBPF_ALU_END, 1, 0, 0, 0), EXIT}, 2}, 0, "byte swap width imm=0"},
    {{"atomic op 0x02", {I(ATOMIC64, 1, 2, 0, 0x02), EXIT}, 2}, 0, "atomic operation imm=0x2 is invalid"},
    {{"xchg without fetch", {I(ATOMIC64, 1, 2, 0, 0xe0), EXIT}, 2}, 0, "atomic operation imm=0xe0 is invalid"},
    {{"div offset 2", {I(DIV64_K, 1, 0, 2, 3), EXIT}, 2}, 0, "div/mod offset 2 is invalid"},
    {{"mod32 offset -1", {I(MOD32_X, 1, 2, -1, 0), EXIT}, 2}, 0, "div/mod offset -1 is invalid"},
    {{"movsx 32 in ALU32", {I(MOV32_X, 1, 2, 32, 0), EXIT}, 2}, 0, "mov offset 32 is invalid (0, or 8/16 for"},
    {{"movsx 7 in ALU64", {I(MOV64_X, 1, 2, 7, 0), EXIT}, 2}, 0, "mov offset 7 is invalid (0, or 8/16/32 for"},
    {{"movsx with an imm source", {I(MOV64_K, 1, 0, 8, 5), EXIT}, 2}, 0, "mov offset 8 is invalid"},
    {{"call kind 3", {I(EBPF_OP_CALL, 0, 3, 0, 1), EXIT}, 2}, 0, "call kind src=3 is invalid"},
};

static void test_rejections(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rejections) / sizeof(rejections[0]); i++) {
        const struct rejection *r = &rejections[i];
        struct isa_error err = {0};
        if (isa_validate(r->prog.slots, r->prog.count, &err) == 0)
            fail_msg("%s: accepted", r->prog.what);
        assert_contains(err.msg, r->fragment);
        if (err.pc != r->pc)
            fail_msg("%s: error at slot %zu, expected %zu (%s)", r->prog.what, err.pc, r->pc, err.msg);
    }
}

/* isa_check_insn reports a slot's own problems, not the program's. */
static void test_check_insn_is_local(void **state)
{
    (void)state;
    const struct ebpf_insn prog[] = {I(EBPF_OP_JA, 0, 0, 100, 0), I(MOV64_K, 0, 0, 0, 0)};
    struct isa_error err;
    assert_int_equal(isa_check_insn(prog, 2, 0, &err), 0);
    assert_int_equal(isa_check_insn(prog, 2, 1, &err), 0);
    assert_int_equal(isa_check_insn(prog, 2, 1, NULL), 0);
    const struct ebpf_insn bad = I(0xff, 0, 0, 0, 0);
    assert_int_equal(isa_check_insn(&bad, 1, 0, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_form_decodes),
        cmocka_unit_test(test_mnemonic_rows_adjacent),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_check_insn_is_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
