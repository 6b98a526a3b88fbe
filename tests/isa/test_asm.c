/*
 * Tests of the assembler and disassembler: every conformance vector (raw
 * bytes and round trip), each operand kind and alias, every kind of error,
 * and a deterministic fuzz of mutated conformance sources.
 */
#include "common/conformance_file.h"
#include "common/assertions.h"
#include "isa/isa.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define I(op, d, s, off, k) {.opcode = (op), .dst = (d), .src = (s), .offset = (off), .imm = (k)}
#define LINE_LEN 320

/* The 64-bit little-endian word of a slot, as the vectors' "-- raw" lists it. */
static uint64_t word_of(const struct ebpf_insn *in)
{
    return (uint64_t)in->opcode | (uint64_t)(in->src << 4 | in->dst) << 8 | (uint64_t)(uint16_t)in->offset << 16 |
           (uint64_t)(uint32_t)in->imm << 32;
}

static void assert_same_slots(const struct ebpf_insn *a, size_t a_count, const struct ebpf_insn *b, size_t b_count)
{
    assert_int_equal(a_count, b_count);
    for (size_t i = 0; i < a_count; i++)
        assert_int_equal(word_of(&a[i]), word_of(&b[i]));
}

/* Assembles text that must be valid; returns the slot count. */
static size_t assemble_ok(const char *text, struct ebpf_insn **out)
{
    size_t count = 0;
    struct isa_error err = {0};
    if (isa_assemble(text, out, &count, &err) != 0)
        fail_msg("assembling \"%s\": %s", text, err.msg);
    return count;
}

/* Text -> bytes -> text -> bytes gives the same bytes. */
static void assert_round_trip(const struct ebpf_insn *insns, size_t count)
{
    char *text = isa_disassemble(insns, count);
    assert_non_null(text);
    struct ebpf_insn *again;
    size_t again_count = assemble_ok(text, &again);
    assert_same_slots(insns, count, again, again_count);
    free(again);
    free(text);
}

/* Every instruction of a valid program disassembles. */
static void assert_all_disassemble(const struct ebpf_insn *insns, size_t count)
{
    char line[LINE_LEN];
    for (size_t pc = 0; pc < count;) {
        int slots = isa_disassemble_insn(insns, count, pc, line, sizeof(line));
        if (slots < 0)
            fail_msg("slot %zu: %s", pc, line);
        pc += (size_t)slots;
    }
}

static void check_vector(const char *path, int *raw_checked)
{
    struct conformance_case cc;
    assert_int_equal(conformance_case_load(path, &cc), 0);
    struct ebpf_insn *insns = NULL;
    size_t count = 0;
    struct isa_error err = {0};
    if (isa_assemble(cc.asm_text, &insns, &count, &err) != 0)
        fail_msg("%s: %s", cc.name, err.msg);
    if (isa_validate(insns, count, &err) != 0)
        fail_msg("%s: %s", cc.name, err.msg);
    if (cc.raw) {
        assert_int_equal(count, cc.raw_count);
        for (size_t i = 0; i < count; i++)
            assert_int_equal(word_of(&insns[i]), cc.raw[i]);
        (*raw_checked)++;
    }
    assert_all_disassemble(insns, count);
    assert_round_trip(insns, count);
    free(insns);
    conformance_case_free(&cc);
}

static void test_conformance_vectors(void **state)
{
    (void)state;
    char **paths;
    int n = conformance_list(&paths);
    assert_true(n > 0);
    int raw_checked = 0;
    for (int i = 0; i < n; i++)
        check_vector(paths[i], &raw_checked);
    assert_true(raw_checked > 0);
    print_message("%d vectors assembled, validated and round-tripped (%d against raw words)\n", n, raw_checked);
    conformance_list_free(paths, n);
}

/* ------------------------------------------------------------------------ */
/* One instruction per operand kind, alias and number spelling.             */

struct asm_case {
    const char *text;
    const char *canonical; /* the disassembler's text; NULL if the same */
    size_t slots;
    struct ebpf_insn expect[2];
};

static const struct asm_case asm_cases[] = {
    /* DST_IMM and DST_SRC: one mnemonic, the row picked by the operand. */
    {"add %r1, 5", NULL, 1, {I(0x07, 1, 0, 0, 5)}},
    {"add %r1, %r2", NULL, 1, {I(0x0f, 1, 2, 0, 0)}},
    {"add32 r1, -0x10", "add32 %r1, -16", 1, {I(0x04, 1, 0, 0, -16)}},
    {"sub32 %r3, r4", "sub32 %r3, %r4", 1, {I(0x1c, 3, 4, 0, 0)}},
    {"mov32 %r0, 0xffffffff", "mov32 %r0, -1", 1, {I(0xb4, 0, 0, 0, -1)}},
    {"mov %r0, -2147483648", "mov %r0, 0x80000000", 1, {I(0xb7, 0, 0, 0, INT32_MIN)}},
    {"mov %r0, 0x12345678", NULL, 1, {I(0xb7, 0, 0, 0, 0x12345678)}},
    {"mov %r0, +4096", "mov %r0, 4096", 1, {I(0xb7, 0, 0, 0, 4096)}},
    {"mov %r0, 0X1F", "mov %r0, 31", 1, {I(0xb7, 0, 0, 0, 31)}},
    {"and %r9, 4097", "and %r9, 0x1001", 1, {I(0x57, 9, 0, 0, 4097)}},
    {"sdiv %r1, 3", NULL, 1, {I(0x37, 1, 0, 1, 3)}},
    {"smod32 %r1, %r2", NULL, 1, {I(0x9c, 1, 2, 1, 0)}},
    {"movsx832 %r1, %r2", NULL, 1, {I(0xbc, 1, 2, 8, 0)}},
    {"movsx3264 %r1, %r2", NULL, 1, {I(0xbf, 1, 2, 32, 0)}},
    /* DST, including the byte-order forms and the suite's swap aliases. */
    {"neg %r1", NULL, 1, {I(0x87, 1, 0, 0, 0)}},
    {"neg32 %r1", NULL, 1, {I(0x84, 1, 0, 0, 0)}},
    {"be16 %r1", NULL, 1, {I(0xdc, 1, 0, 0, 16)}},
    {"le32 %r3", NULL, 1, {I(0xd4, 3, 0, 0, 32)}},
    {"bswap64 %r2", NULL, 1, {I(0xd7, 2, 0, 0, 64)}},
    {"swap16 %r1", "bswap16 %r1", 1, {I(0xd7, 1, 0, 0, 16)}},
    {"swap32 %r1", "bswap32 %r1", 1, {I(0xd7, 1, 0, 0, 32)}},
    {"swap64 %r1", "bswap64 %r1", 1, {I(0xd7, 1, 0, 0, 64)}},
    /* LOAD, STORE_IMM, STORE_REG and the memory operand's spellings. */
    {"ldxw %r1, [%r2+4]", NULL, 1, {I(0x61, 1, 2, 4, 0)}},
    {"ldxdw %r0, [%r10-8]", NULL, 1, {I(0x79, 0, 10, -8, 0)}},
    {"ldxb %r0, [%r1]", NULL, 1, {I(0x71, 0, 1, 0, 0)}},
    {"ldxh %r0, [%r1+0]", "ldxh %r0, [%r1]", 1, {I(0x69, 0, 1, 0, 0)}},
    {"ldxsh %r1, [ %r2 + 0x2 ]", "ldxsh %r1, [%r2+2]", 1, {I(0x89, 1, 2, 2, 0)}},
    {"ldxsb %r1, [%r2+32767]", NULL, 1, {I(0x91, 1, 2, 32767, 0)}},
    {"ldxsw %r1, [%r2-32768]", NULL, 1, {I(0x81, 1, 2, -32768, 0)}},
    {"stw [%r1+4], 5", NULL, 1, {I(0x62, 1, 0, 4, 5)}},
    {"stdw [%r10-8], -1", NULL, 1, {I(0x7a, 10, 0, -8, -1)}},
    {"sth [%r1], 0xffff", NULL, 1, {I(0x6a, 1, 0, 0, 0xffff)}},
    {"stxw [%r1+4], %r2", NULL, 1, {I(0x63, 1, 2, 4, 0)}},
    {"stxb [%r10-1], %r9", NULL, 1, {I(0x73, 10, 9, -1, 0)}},
    /* Atomics: multi-word mnemonics. */
    {"lock add [%r10-8], %r1", NULL, 1, {I(0xdb, 10, 1, -8, 0x00)}},
    {"lock or32 [%r1], %r2", NULL, 1, {I(0xc3, 1, 2, 0, 0x40)}},
    {"lock  fetch  add32 [%r10-4], %r1", "lock fetch add32 [%r10-4], %r1", 1, {I(0xc3, 10, 1, -4, 0x01)}},
    {"lock fetch xor [%r1+8], %r3", NULL, 1, {I(0xdb, 1, 3, 8, 0xa1)}},
    {"lock xchg [%r10-8], %r1", NULL, 1, {I(0xdb, 10, 1, -8, 0xe1)}},
    {"lock cmpxchg32 [%r1], %r2", NULL, 1, {I(0xc3, 1, 2, 0, 0xf1)}},
    /* JUMP, JUMP32, JUMP_IMM, JUMP_REG with relative targets. */
    {"ja +3", NULL, 1, {I(0x05, 0, 0, 3, 0)}},
    {"ja -32768", NULL, 1, {I(0x05, 0, 0, -32768, 0)}},
    {"ja +0", NULL, 1, {I(0x05, 0, 0, 0, 0)}},
    {"ja32 +5", NULL, 1, {I(0x06, 0, 0, 0, 5)}},
    {"ja32 -2147483648", NULL, 1, {I(0x06, 0, 0, 0, INT32_MIN)}},
    {"jeq %r1, 5, +2", NULL, 1, {I(0x15, 1, 0, 2, 5)}},
    {"jne32 %r2, 0xffffff80, -1", "jne32 %r2, -128, -1", 1, {I(0x56, 2, 0, -1, -128)}},
    {"jsgt %r1, %r2, +32767", NULL, 1, {I(0x6d, 1, 2, 32767, 0)}},
    {"jslt32 r1, r2, -4", "jslt32 %r1, %r2, -4", 1, {I(0xce, 1, 2, -4, 0)}},
    /* Calls and exit. */
    {"call 5", NULL, 1, {I(0x85, 0, 0, 0, 5)}},
    {"call local +4", NULL, 1, {I(0x85, 0, 1, 0, 4)}},
    {"call local -1", NULL, 1, {I(0x85, 0, 1, 0, -1)}},
    {"call btf 1234", NULL, 1, {I(0x85, 0, 2, 0, 1234)}},
    {"call %r2", "callx %r2", 1, {I(0x8d, 2, 0, 0, 0)}},
    {"callx %r3", NULL, 1, {I(0x8d, 3, 0, 0, 0)}},
    {"exit", NULL, 1, {I(0x95, 0, 0, 0, 0)}},
    /* LD_ABS and LD_IND. */
    {"ldabsw 0x10", "ldabsw 16", 1, {I(0x20, 0, 0, 0, 16)}},
    {"ldabsb 4", NULL, 1, {I(0x30, 0, 0, 0, 4)}},
    {"ldindh %r1, 0x10", "ldindh %r1, 16", 1, {I(0x48, 0, 1, 0, 16)}},
    /* LDDW: a 64-bit number and the pseudo forms. */
    {"lddw %r1, 0x1122334455667788", NULL, 2, {I(0x18, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)}},
    {"lddw %r0, 2147483648", "lddw %r0, 0x80000000", 2, {I(0x18, 0, 0, 0, INT32_MIN), I(0, 0, 0, 0, 0)}},
    {"lddw %r0, -1", "lddw %r0, 0xffffffffffffffff", 2, {I(0x18, 0, 0, 0, -1), I(0, 0, 0, 0, -1)}},
    {"lddw %r0, 0xFFFFFFFFFFFFFFFF", "lddw %r0, 0xffffffffffffffff", 2, {I(0x18, 0, 0, 0, -1), I(0, 0, 0, 0, -1)}},
    {"lddw %r0, -0x8000000000000000", "lddw %r0, 0x8000000000000000", 2,
     {I(0x18, 0, 0, 0, 0), I(0, 0, 0, 0, INT32_MIN)}},
    {"lddw %r1, map_by_fd 3", NULL, 2, {I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 0)}},
    {"lddw %r1, map_value_by_fd 3, 16", NULL, 2, {I(0x18, 1, 2, 0, 3), I(0, 0, 0, 0, 16)}},
    {"lddw %r1, var_addr 5", NULL, 2, {I(0x18, 1, 3, 0, 5), I(0, 0, 0, 0, 0)}},
    {"lddw %r1, code_addr +2", NULL, 2, {I(0x18, 1, 4, 0, 2), I(0, 0, 0, 0, 0)}},
    {"lddw %r1, map_by_idx 0", NULL, 2, {I(0x18, 1, 5, 0, 0), I(0, 0, 0, 0, 0)}},
    {"lddw %r1, map_value_by_idx 0, 16", NULL, 2, {I(0x18, 1, 6, 0, 0), I(0, 0, 0, 0, 16)}},
    /* Blanks, comments and a label on the instruction's line. */
    {"  \tmov %r1 ,  2  # comment, with a comma\n", "mov %r1, 2", 1, {I(0xb7, 1, 0, 0, 2)}},
    {"start: exit", "exit", 1, {I(0x95, 0, 0, 0, 0)}},
};

/* Each case assembles to its slots, which the decoder accepts, and
 * disassembles to its canonical text, which assembles back the same. */
static void test_operand_kinds(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(asm_cases) / sizeof(asm_cases[0]); i++) {
        const struct asm_case *tc = &asm_cases[i];
        const char *canonical = tc->canonical ? tc->canonical : tc->text;
        struct ebpf_insn *insns;
        size_t count = assemble_ok(tc->text, &insns);
        assert_same_slots(insns, count, tc->expect, tc->slots);
        struct isa_error err = {0};
        if (isa_check_insn(insns, count, 0, &err) != 0)
            fail_msg("\"%s\": %s", tc->text, err.msg);
        char line[LINE_LEN];
        assert_int_equal(isa_disassemble_insn(insns, count, 0, line, sizeof(line)), (int)tc->slots);
        assert_string_equal(line, canonical);
        free(insns);
        count = assemble_ok(canonical, &insns);
        assert_same_slots(insns, count, tc->expect, tc->slots);
        free(insns);
    }
}

static void test_labels(void **state)
{
    (void)state;
    static const char text[] = "start:\n"
                               "  mov %r0, 0                 # 0\n"
                               "  lddw %r1, 0x1              # 1-2: two slots\n"
                               "  jeq %r1, 1, done           # 3\n"
                               "  ja32 start                 # 4\n"
                               "  call local func            # 5\n"
                               "back: ja back                # 6\n"
                               "done: exit                   # 7\n"
                               "func:\n"
                               "  lddw %r2, code_addr start  # 8-9\n"
                               "  jne %r0, 0, exit           # 10: the first exit\n"
                               "  exit                       # 11\n";
    struct ebpf_insn *insns;
    size_t count = assemble_ok(text, &insns);
    assert_int_equal(count, 12);
    assert_int_equal(insns[3].offset, 3);
    assert_int_equal(insns[4].imm, -5);
    assert_int_equal(insns[5].imm, 2);
    assert_int_equal(insns[6].offset, -1);
    assert_int_equal(insns[8].imm, -9);
    assert_int_equal(insns[10].offset, -4);
    struct isa_error err;
    assert_int_equal(isa_validate(insns, count, &err), 0);
    assert_round_trip(insns, count);
    free(insns);

    /* A label named exit wins over the first exit instruction. */
    count = assemble_ok("ja exit\nexit\nexit: exit\n", &insns);
    assert_int_equal(insns[0].offset, 1);
    free(insns);
}

/* An empty text is an empty program (which isa_validate then rejects). */
static void test_empty_text(void **state)
{
    (void)state;
    struct ebpf_insn *insns = NULL;
    assert_int_equal(assemble_ok("# nothing\n\n   \n", &insns), 0);
    assert_non_null(insns);
    free(insns);
}

/* ------------------------------------------------------------------------ */
/* Errors.                                                                  */

struct error_case {
    const char *text;
    size_t line;
    const char *fragment;
};

static const struct error_case error_cases[] = {
    {"foo %r1, 1", 1, "unknown mnemonic 'foo'"},
    {"exit\r\nfoo\r\n", 2, "unknown mnemonic 'foo'"},
    {"exit\nlock foo [%r1], %r2", 2, "unknown mnemonic 'lock foo'"},
    {"add32x %r1, 1", 1, "unknown mnemonic 'add32x'"},
    {"%r1 = 1", 1, "expected a mnemonic, got '%r1 = 1'"},
    {"add %r1", 1, "'add' takes 2 operands, got 1"},
    {"add %r1, 1, 2", 1, "'add' takes 2 operands, got 3"},
    {"exit %r0", 1, "'exit' takes 0 operands, got 1"},
    {"call local", 1, "'call local' takes 1 operand, got 0"},
    {"mov %r1, 1, 2, 3", 1, "too many operands"},
    {"mov %r1,", 1, "empty operand"},
    {"mov , %r1", 1, "empty operand"},
    {"add %r11, 1", 1, "bad register '%r11'"},
    {"add %r1, %r99", 1, "bad register '%r99'"},
    {"ldxw %r1, [%r16+0]", 1, "bad register '%r16'"},
    {"add 1, %r1", 1, "expected a register, got '1'"},
    {"neg %rx", 1, "expected a register, got '%rx'"},
    {"mov %r1a, 1", 1, "expected a register, got '%r1a'"},
    {"movsx832 %r1, 5", 1, "expected a register, got '5'"},
    {"add %r1, 12abc", 1, "malformed number '12abc'"},
    {"add %r1, 0x", 1, "malformed number '0x'"},
    {"add %r1, -", 1, "malformed number '-'"},
    {"add %r1, 0x1g", 1, "malformed number '0x1g'"},
    {"add %r1, 0x100000000", 1, "'0x100000000' is out of range for a 32-bit immediate"},
    {"add %r1, -2147483649", 1, "out of range for a 32-bit immediate"},
    {"lddw %r1, 0x10000000000000000", 1, "out of range for a 64-bit immediate"},
    {"lddw %r1, -0x8000000000000001", 1, "out of range for a 64-bit immediate"},
    {"lddw %r1, 99999999999999999999999", 1, "out of range"},
    {"ldxw %r1, [%r2+32768]", 1, "'+32768' is out of range for a 16-bit offset"},
    {"ldxw %r1, [%r2-32769]", 1, "out of range for a 16-bit offset"},
    {"ldxw %r1, %r2", 1, "expected a memory operand like [%r1+8], got '%r2'"},
    {"ldxw %r1, [%r2+4", 1, "malformed memory operand '[%r2+4'"},
    {"ldxw %r1, [%r2+]", 1, "malformed number '+'"},
    {"ldxw %r1, [%r2+-4]", 1, "malformed number '+-4'"},
    {"stxw [%r1], 5", 1, "expected a register, got '5'"},
    {"ja nowhere", 1, "undefined label 'nowhere'"},
    {"mov %r0, 0\nja exit", 2, "undefined label 'exit'"},
    {"a:\nexit\n\na: exit", 4, "duplicate label 'a' (first defined on line 1)"},
    {"ja +32768", 1, "out of range for a 16-bit offset"},
    {"ja32 +2147483648", 1, "out of range for a 32-bit offset"},
    {"jeq %r1, 1, 5", 1, "jump target '5' is neither a label nor +N/-N"},
    {"ja [%r1]", 1, "jump target '[%r1]' is neither a label nor +N/-N"},
    {"lddw %r1, foo 3", 1, "unknown lddw form 'foo'"},
    {"lddw %r1, map_by_fd", 1, "lddw form 'map_by_fd' needs a value"},
    {"lddw %r1, map_by_fd 3, 16", 1, "'map_by_fd' takes 1 operand, got 2"},
    {"lddw %r1, map_value_by_fd 3", 1, "'map_value_by_fd' takes 2 operands, got 1"},
    {"lddw %r1, code_addr 3", 1, "jump target '3' is neither"},
    {"lddw %r1, 1, 2", 1, "'lddw' takes 2 operands, got 3"},
    {"lddw %r1", 1, "'lddw' takes 2 or 3 operands, got 1"},
    {"call btf x", 1, "malformed number 'x'"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct error_case *tc = &error_cases[i];
        struct ebpf_insn *insns = NULL;
        size_t count = 0;
        struct isa_error err = {0};
        if (isa_assemble(tc->text, &insns, &count, &err) == 0)
            fail_msg("\"%s\" assembled", tc->text);
        assert_contains(err.msg, tc->fragment);
        assert_int_equal(err.pc, tc->line);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "line %zu: ", tc->line);
        assert_contains(err.msg, prefix);
    }
    /* A NULL err is allowed. */
    struct ebpf_insn *insns;
    size_t count;
    assert_int_equal(isa_assemble("bad", &insns, &count, NULL), -1);
}

enum { FAR = 40000 };

/* "<jump> far", FAR exits, then "far: exit": the label is FAR slots past the
 * jump's next slot. */
static char *far_jump_text(const char *jump)
{
    static const char filler[] = "exit\n";
    char *text = malloc(strlen(jump) + sizeof(" far\n") + FAR * (sizeof(filler) - 1) + sizeof("far: exit\n"));
    assert_non_null(text);
    char *p = text + sprintf(text, "%s far\n", jump);
    for (int i = 0; i < FAR; i++)
        p += sprintf(p, "%s", filler);
    sprintf(p, "far: exit\n");
    return text;
}

static void test_jump_out_of_range(void **state)
{
    (void)state;
    char *text = far_jump_text("ja");
    struct ebpf_insn *insns;
    size_t count;
    struct isa_error err;
    assert_int_equal(isa_assemble(text, &insns, &count, &err), -1);
    assert_int_equal(err.pc, 1);
    assert_contains(err.msg, "jump to 'far' is out of range: 40000 slots");
    free(text);
    /* The same distance fits a local call's 32-bit imm. */
    text = far_jump_text("call local");
    count = assemble_ok(text, &insns);
    assert_int_equal(count, FAR + 2);
    assert_int_equal(insns[0].imm, FAR);
    free(insns);
    free(text);
}

/* ------------------------------------------------------------------------ */
/* Disassembler edge cases.                                                 */

static void test_disassemble_invalid(void **state)
{
    (void)state;
    const struct ebpf_insn prog[] = {I(0x8e, 2, 1, 0, 0), I(0xb7, 10, 0, 0, 1), I(0x95, 0, 0, 0, 0),
                                     I(0x18, 1, 0, 0, 1)};
    char line[LINE_LEN];
    assert_int_equal(isa_disassemble_insn(prog, 4, 0, line, sizeof(line)), -1);
    assert_string_equal(line, ".invalid 0x8e 0x12 0x0000 0x00000000 # unknown opcode 0x8e");
    assert_int_equal(isa_disassemble_insn(prog, 4, 1, line, sizeof(line)), -1);
    assert_string_equal(line, ".invalid 0xb7 0x0a 0x0000 0x00000001 # mov: writes r10, which is read-only");
    assert_int_equal(isa_disassemble_insn(prog, 4, 3, line, sizeof(line)), -1);
    assert_contains(line, "second half is missing");
    assert_int_equal(isa_disassemble_insn(prog, 4, 4, line, sizeof(line)), -1);
    assert_contains(line, "past the end");

    char *text = isa_disassemble(prog, 4);
    assert_non_null(text);
    assert_string_equal(text, ".invalid 0x8e 0x12 0x0000 0x00000000 # unknown opcode 0x8e\n"
                              ".invalid 0xb7 0x0a 0x0000 0x00000001 # mov: writes r10, which is read-only\n"
                              "exit\n"
                              ".invalid 0x18 0x01 0x0000 0x00000001 # lddw is the last slot: its second half is "
                              "missing\n");
    free(text);
    text = isa_disassemble(prog, 0);
    assert_string_equal(text, "");
    free(text);
}

/* Output is cut to the buffer, always terminated, never overrun. */
static void test_disassemble_truncates(void **state)
{
    (void)state;
    const struct ebpf_insn prog[] = {I(0x18, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)};
    char buf[8];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(isa_disassemble_insn(prog, 2, 0, buf, 6), 2);
    assert_string_equal(buf, "lddw ");
    assert_int_equal(buf[6], 'x');
    assert_int_equal(isa_disassemble_insn(prog, 2, 0, buf, 1), 2);
    assert_string_equal(buf, "");
    assert_int_equal(isa_disassemble_insn(prog, 2, 0, NULL, 0), 2);
}

/* ------------------------------------------------------------------------ */
/* Fuzz: mutated conformance sources assemble or fail cleanly; what
 * assembles disassembles and re-assembles to the same bytes.               */

enum { FUZZ_ROUNDS = 5000, FUZZ_MAX_EDITS = 4, FUZZ_CHUNK = 16 };

static uint64_t fuzz_state = 0x9e3779b97f4a7c15u;

static uint32_t fuzz_next(void)
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 7;
    fuzz_state ^= fuzz_state << 17;
    return (uint32_t)(fuzz_state >> 32);
}

static const char fuzz_alphabet[] = "%r[]+-,:#x0123456789abcdeflock \n\t\xff";

/* Applies one random edit to buf (len < cap - FUZZ_CHUNK). */
static void fuzz_edit(char *buf, size_t *len)
{
    size_t at = *len ? fuzz_next() % *len : 0;
    char ch = fuzz_alphabet[fuzz_next() % (sizeof(fuzz_alphabet) - 1)];
    switch (fuzz_next() % 4) {
    case 0: /* replace a byte */
        if (*len)
            buf[at] = ch;
        break;
    case 1: /* delete a byte */
        if (*len)
            memmove(buf + at, buf + at + 1, --*len - at);
        break;
    case 2: /* insert a byte */
        memmove(buf + at + 1, buf + at, (*len)++ - at);
        buf[at] = ch;
        break;
    default: { /* copy a chunk over another place */
        size_t from = *len ? fuzz_next() % *len : 0, n = fuzz_next() % FUZZ_CHUNK;
        if (from + n > *len)
            n = *len - from;
        memmove(buf + at, buf + from, at + n > *len ? *len - at : n);
    }
    }
    buf[*len] = '\0';
}

/* Every decodable instruction of an assembled program reassembles alone
 * (targets are relative) to the same slots. */
static void check_fuzzed(const struct ebpf_insn *insns, size_t count)
{
    char line[LINE_LEN];
    for (size_t pc = 0; pc < count; pc++) {
        int slots = isa_disassemble_insn(insns, count, pc, line, sizeof(line));
        if (slots < 0)
            continue;
        struct ebpf_insn *again;
        size_t again_count = assemble_ok(line, &again);
        assert_same_slots(insns + pc, (size_t)slots, again, again_count);
        free(again);
        pc += (size_t)slots - 1;
    }
    struct isa_error err;
    if (isa_validate(insns, count, &err) == 0)
        assert_round_trip(insns, count);
}

/* Mutates and assembles one source; returns whether it still assembled. */
static bool fuzz_one(const char *source)
{
    size_t len = strlen(source), cap = len + FUZZ_MAX_EDITS + FUZZ_CHUNK + 1;
    char *text = malloc(cap);
    assert_non_null(text);
    memcpy(text, source, len + 1);
    for (uint32_t edits = 1 + fuzz_next() % FUZZ_MAX_EDITS; edits > 0; edits--)
        fuzz_edit(text, &len);
    struct ebpf_insn *insns = NULL;
    size_t count = 0;
    struct isa_error err = {0};
    bool assembled = isa_assemble(text, &insns, &count, &err) == 0;
    if (assembled) {
        check_fuzzed(insns, count);
        free(insns);
    } else {
        assert_true(err.pc >= 1 && strlen(err.msg) > 0);
    }
    free(text);
    return assembled;
}

static void test_fuzz(void **state)
{
    (void)state;
    char **paths;
    int n = conformance_list(&paths);
    assert_true(n > 0);
    char **sources = calloc((size_t)n, sizeof(*sources));
    assert_non_null(sources);
    for (int i = 0; i < n; i++) {
        struct conformance_case cc;
        assert_int_equal(conformance_case_load(paths[i], &cc), 0);
        sources[i] = strdup(cc.asm_text);
        conformance_case_free(&cc);
    }
    int assembled = 0;
    for (int round = 0; round < FUZZ_ROUNDS; round++)
        assembled += fuzz_one(sources[fuzz_next() % (uint32_t)n]);
    print_message("fuzz: %d of %d mutated sources assembled, the rest failed cleanly\n", assembled, FUZZ_ROUNDS);
    for (int i = 0; i < n; i++)
        free(sources[i]);
    free(sources);
    conformance_list_free(paths, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_vectors),
        cmocka_unit_test(test_operand_kinds),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_empty_text),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_jump_out_of_range),
        cmocka_unit_test(test_disassemble_invalid),
        cmocka_unit_test(test_disassemble_truncates),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
