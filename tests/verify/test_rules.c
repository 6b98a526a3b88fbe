/*
 * One rule per case: a small program the verifier must accept and a
 * variant of it that breaks the rule and must be rejected for that reason
 * (assembled with the isa layer's assembler, checked against a test
 * profile with a packet pair, read-only and writable fields, a return
 * rule and a few helpers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "verify/verify.h"
#include "verify_test.h"

/* Context: data (0), data_end (8), a writable u32 (16), a read-only u32 (20). */
static const struct verify_ctx_field fields[] = {
    {0, 8, VERIFY_READ, VERIFY_FIELD_PACKET},
    {8, 8, VERIFY_READ, VERIFY_FIELD_PACKET_END},
    {16, 4, VERIFY_READ | VERIFY_WRITE, VERIFY_FIELD_PLAIN},
    {20, 4, VERIFY_READ, VERIFY_FIELD_PLAIN},
};

static const struct verify_helper helpers[] = {
    {1, "map_lookup", VERIFY_RET_MAP_VALUE_OR_NULL, {VERIFY_ARG_MAP_PTR, VERIFY_ARG_MAP_KEY}, 0, 0},
    {2, "map_update", VERIFY_RET_INTEGER,
     {VERIFY_ARG_MAP_PTR, VERIFY_ARG_MAP_KEY, VERIFY_ARG_MAP_VALUE, VERIFY_ARG_SCALAR}, 0, 0},
    {7, "prandom", VERIFY_RET_INTEGER, {0}, 0, 0},
    {12, "tail_call", VERIFY_RET_INTEGER, {VERIFY_ARG_CTX, VERIFY_ARG_MAP_PTR, VERIFY_ARG_SCALAR},
     VERIFY_HELPER_TAIL_CALL, 1ULL << VERIFY_MAP_PROG_ARRAY},
    {16, "fill", VERIFY_RET_INTEGER, {VERIFY_ARG_MEM_WRITE, VERIFY_ARG_CONST_SIZE}, 0, 0},
    {44, "move_packet", VERIFY_RET_INTEGER, {VERIFY_ARG_CTX, VERIFY_ARG_SCALAR}, VERIFY_HELPER_CHANGES_PACKET, 0},
    {131, "reserve", VERIFY_RET_RINGBUF_MEM_OR_NULL, {VERIFY_ARG_MAP_PTR, VERIFY_ARG_ALLOC_SIZE, VERIFY_ARG_SCALAR},
     0, 1ULL << VERIFY_MAP_RINGBUF},
    {132, "submit", VERIFY_RET_VOID, {VERIFY_ARG_RINGBUF_MEM, VERIFY_ARG_SCALAR}, 0, 0},
    {181, "loop", VERIFY_RET_INTEGER, {VERIFY_ARG_SCALAR, VERIFY_ARG_CALLBACK, VERIFY_ARG_ANYTHING, VERIFY_ARG_SCALAR},
     0, 0},
};

static const struct verify_profile profile = {
    .name = "test",
    .ctx_size = 24,
    .fields = fields,
    .field_count = sizeof(fields) / sizeof(fields[0]),
    .packet_access = VERIFY_READ | VERIFY_WRITE,
    .helpers = helpers,
    .helper_count = sizeof(helpers) / sizeof(helpers[0]),
    .retval_range = true,
    .retval_min = 0,
    .retval_max = 255,
};

/* map 0: hash 4 -> 8; map 1: array 4 -> 16; map 2: ring buffer; map 3: prog array. */
static const struct verify_map maps[] = {
    {"hash", VERIFY_MAP_HASH, 4, 8, 16, false, -1, NULL},
    {"array", VERIFY_MAP_ARRAY, 4, 16, 4, false, -1, NULL},
    {"ring", VERIFY_MAP_RINGBUF, 0, 0, 4096, false, -1, NULL},
    {"progs", VERIFY_MAP_PROG_ARRAY, 4, 4, 4, false, -1, NULL},
};

/* Verifies the assembled text; fills res. */
static void verify_text(const char *text, struct verify_result *res)
{
    verify_assembled("rule", text, &profile, maps, sizeof(maps) / sizeof(maps[0]), res);
}

struct rule {
    const char *name;
    const char *good;   /* accepted */
    const char *bad;    /* rejected ... */
    const char *reason; /* ... with this in the message */
};

#define LOOKUP_HASH "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_by_idx 0\ncall 1\n"
#define LOOKUP_ARRAY "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_by_idx 1\ncall 1\n"
#define PACKET "ldxdw %r2, [%r1+0]\nldxdw %r3, [%r1+8]\nmov %r4, %r2\nadd %r4, 8\n"

/* Two paths meet at "join" with a number spilled at fp-16: 0 on one, r6 & MASK on the other; the number then
 * indexes a 16-byte map value. Whichever path arrives second is compared with the state kept from the first:
 * it is pruned only if its spill is included in the kept one's. */
#define SPILL_PATHS(FIRST, MASK)                                                                              \
    LOOKUP_ARRAY "jeq %r0, 0, out\nmov %r8, %r0\ncall 7\nmov %r6, %r0\n" #FIRST " %r6, 0, other\n" SPILL_##FIRST(MASK) \
                 "join:\nldxdw %r2, [%r10-16]\nadd %r8, %r2\nldxb %r0, [%r8+0]\nout:\nmov %r0, 0\nexit"
#define SPILL_ZERO "mov %r7, 0\nstxdw [%r10-16], %r7\n"
#define SPILL_MASKED(MASK) "and %r6, " MASK "\nstxdw [%r10-16], %r6\n"
#define SPILL_jeq(MASK) SPILL_MASKED(MASK) "ja join\nother:\n" SPILL_ZERO
#define SPILL_jne(MASK) SPILL_ZERO "ja join\nother:\n" SPILL_MASKED(MASK)

static const struct rule rules[] = {
    {"registers are set before use", "mov %r0, 0\nexit", "mov %r0, %r5\nexit", "r5 is used before it is set"},
    {"r0 is set at exit", "mov %r0, 1\nexit", "exit", "r0 is not set"},
    {"map values are NULL-checked", LOOKUP_HASH "jeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nmov %r0, 0\nexit",
     LOOKUP_HASH "ldxdw %r0, [%r0+0]\nmov %r0, 0\nexit", "may be NULL"},
    {"map values within their size", LOOKUP_ARRAY "jeq %r0, 0, +1\nldxdw %r1, [%r0+8]\nmov %r0, 0\nexit",
     LOOKUP_ARRAY "jeq %r0, 0, +1\nldxdw %r1, [%r0+9]\nmov %r0, 0\nexit", "outside the 16-byte value"},
    {"a variable index is checked against the value size",
     LOOKUP_ARRAY "jeq %r0, 0, out\nmov %r6, %r0\ncall 7\nand %r0, 15\nadd %r6, %r0\nldxb %r0, [%r6+0]\n"
                  "out:\nmov %r0, 0\nexit",
     LOOKUP_ARRAY "jeq %r0, 0, out\nmov %r6, %r0\ncall 7\nadd %r6, %r0\nldxb %r0, [%r6+0]\nout:\nmov %r0, 0\nexit",
     "map value access"},
    {"stack bytes are initialised before reads", "stdw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit",
     "stw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit", "uninitialised stack"},
    {"stack accesses stay in the frame", "stdw [%r10-512], 0\nmov %r0, 0\nexit",
     "stdw [%r10-520], 0\nmov %r0, 0\nexit", "outside the frame"},
    {"packet reads after a comparison with the end", PACKET "jgt %r4, %r3, +1\nldxdw %r0, [%r2+0]\nmov %r0, 0\nexit",
     PACKET "jgt %r4, %r3, +1\nldxdw %r0, [%r2+1]\nmov %r0, 0\nexit", "not proven inside the packet"},
    {"constant moves of a packet pointer add up to a bounded offset",
     PACKET "mov %r5, %r2\nadd %r5, 0x10000000\nadd %r5, 0x10000000\nmov %r0, 0\nexit",
     PACKET "mov %r5, %r2\nadd %r5, 0x10000000\nadd %r5, 0x10000000\nadd %r5, 0x10000000\nmov %r0, 0\nexit",
     "packet pointer moved by"},
    {"packet pointers die when a helper may move the packet",
     PACKET "jgt %r4, %r3, +4\nmov %r6, %r2\nldxb %r0, [%r6+0]\nmov %r2, 0\ncall 44\nmov %r0, 0\nexit",
     PACKET "jgt %r4, %r3, +4\nmov %r6, %r2\nmov %r2, 0\ncall 44\nldxb %r0, [%r6+0]\nmov %r0, 0\nexit",
     "r6 is used before it is set"},
    {"context fields are written only where writable", "stw [%r1+16], 1\nmov %r0, 0\nexit",
     "stw [%r1+20], 1\nmov %r0, 0\nexit", "not writable"},
    {"context pointer fields are read whole", "ldxdw %r2, [%r1+0]\nmov %r0, 0\nexit",
     "ldxw %r2, [%r1+0]\nmov %r0, 0\nexit", "partial read"},
    {"the context's packet pointers are never written", "ldxdw %r2, [%r1+0]\nmov %r0, 0\nexit",
     "stdw [%r1+0], 0\nmov %r0, 0\nexit", "packet pointer field"},
    {"pointers are not returned", "mov %r0, 0\nexit", "mov %r0, %r10\nexit", "revealing a host address"},
    {"pointers are not stored in maps", LOOKUP_ARRAY "jeq %r0, 0, +2\nmov %r1, 5\nstxdw [%r0+0], %r1\nmov %r0, 0\nexit",
     LOOKUP_ARRAY "jeq %r0, 0, +1\nstxdw [%r0+0], %r10\nmov %r0, 0\nexit", "reveal a host address"},
    {"pointers are not stored in the context", "stw [%r1+16], 7\nmov %r0, 0\nexit",
     "stxw [%r1+16], %r10\nmov %r0, 0\nexit", "reveal a host address"},
    {"arithmetic does not turn pointers into numbers", "mov %r2, %r10\nadd %r2, -8\nmov %r0, 0\nexit",
     "mov %r2, %r10\nmul %r2, 2\nmov %r0, 0\nexit", "turn a pointer into a number"},
    {"32-bit copies of pointers are refused", "mov %r2, %r10\nmov %r0, 0\nexit", "mov32 %r2, %r10\nmov %r0, 0\nexit",
     "32-bit copy of a pointer"},
    {"pointer + pointer is refused", PACKET "mov %r0, 0\nexit", PACKET "add %r2, %r3\nmov %r0, 0\nexit",
     "is not allowed"},
    {"packet pointers may be NULL (a context without data)",
     "ldxdw %r2, [%r1+0]\njne %r2, 0, +1\nstdw [%r10-512], 0\nmov %r0, 0\nexit",
     "ldxdw %r2, [%r1+0]\njne %r2, 0, +1\nstdw [%r10-520], 0\nmov %r0, 0\nexit", "outside the frame"},
    {"a 32-bit comparison of a pointer with 0 decides nothing (the lower half may be 0)",
     "mov %r2, %r10\njne32 %r2, 0, +1\nstdw [%r10-512], 0\nmov %r0, 0\nexit",
     "mov %r2, %r10\njne32 %r2, 0, +1\nstdw [%r10-520], 0\nmov %r0, 0\nexit", "outside the frame"},
    {"a 32-bit NULL check leaves a lookup result unchecked",
     LOOKUP_HASH "jeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nmov %r0, 0\nexit",
     LOOKUP_HASH "jeq32 %r0, 0, +1\nldxdw %r0, [%r0+0]\nmov %r0, 0\nexit", "may be NULL"},
    {"pointers are compared only with NULL or their own region", PACKET "jgt %r4, %r3, +0\nmov %r0, 0\nexit",
     "jgt %r10, 4096, +0\nmov %r0, 0\nexit", "reveal an address"},
    {"a path whose spilled number is wider than the kept state's is not pruned (masked path first)",
     SPILL_PATHS(jeq, "15"), SPILL_PATHS(jeq, "255"), "map value access"},
    {"a path whose spilled number is wider than the kept state's is not pruned (zero path first)",
     SPILL_PATHS(jne, "15"), SPILL_PATHS(jne, "255"), "map value access"},
    {"spilled pointers come back whole", "stxdw [%r10-8], %r1\nldxdw %r1, [%r10-8]\nldxw %r0, [%r1+20]\nand %r0, 1\nexit",
     "stxdw [%r10-8], %r1\nldxw %r0, [%r10-8]\nexit", "bytes of a context pointer"},
    {"a helper the type does not offer is refused", "call 7\nmov %r0, 0\nexit", "call 999\nmov %r0, 0\nexit",
     "not available to programs of type 'test'"},
    {"helper memory is initialised", "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_by_idx 0\ncall 1\n"
                                     "mov %r0, 0\nexit",
     "mov %r2, %r10\nadd %r2, -4\nlddw %r1, map_by_idx 0\ncall 1\nmov %r0, 0\nexit", "uninitialised stack"},
    {"helper sizes stay in the buffer", "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nmov %r0, 0\nexit",
     "mov %r1, %r10\nadd %r1, -16\nmov %r2, 17\ncall 16\nmov %r0, 0\nexit", "outside the frame"},
    {"tail calls go through prog arrays", "lddw %r2, map_by_idx 3\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit",
     "lddw %r2, map_by_idx 1\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit", "cannot work on map"},
    {"ring-buffer records are released",
     "lddw %r1, map_by_idx 2\nmov %r2, 8\nmov %r3, 0\ncall 131\njeq %r0, 0, +3\nmov %r1, %r0\nmov %r2, 0\ncall 132\n"
     "mov %r0, 0\nexit",
     "lddw %r1, map_by_idx 2\nmov %r2, 8\nmov %r3, 0\ncall 131\nmov %r0, 0\nexit", "never submitted"},
    {"ring-buffer records are released once",
     "lddw %r1, map_by_idx 2\nmov %r2, 8\nmov %r3, 0\ncall 131\njeq %r0, 0, +3\nmov %r1, %r0\nmov %r2, 0\ncall 132\n"
     "mov %r0, 0\nexit",
     "lddw %r1, map_by_idx 2\nmov %r2, 8\nmov %r3, 0\ncall 131\njeq %r0, 0, +6\nmov %r6, %r0\nmov %r1, %r0\n"
     "mov %r2, 0\ncall 132\nmov %r1, %r6\ncall 132\nmov %r0, 0\nexit",
     "r6 is used before it is set"},
    {"the return value follows the type's rule", "mov %r0, 255\nexit", "mov %r0, 256\nexit", "outside [0, 255]"},
    {"division by zero is defined", "call 7\nmov %r1, 10\ndiv %r1, %r0\nmov %r0, 0\nexit",
     "call 7\nmov %r1, 10\ndiv %r1, %r0\nmov %r0, %r1\nadd %r0, 250\nexit", "outside [0, 255]"},
    {"loops with a bound terminate", "mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 100, loop\nmov %r0, 0\nexit",
     "mov %r0, 0\nloop:\nadd %r0, 0\njlt %r0, 100, loop\nmov %r0, 0\nexit", "terminates"},
    {"a loop around a loop the verifier widened must progress too",
     "mov %r9, 0\nouter:\nmov %r8, 0\ninner:\nadd %r8, 1\njlt %r8, 30, inner\nadd %r9, 1\njlt %r9, 3, outer\n"
     "mov %r0, 0\nexit",
     "mov %r9, 0\nouter:\nmov %r8, 0\ninner:\nadd %r8, 1\njlt %r8, 30, inner\nadd %r9, 0\njlt %r9, 3, outer\n"
     "mov %r0, 0\nexit",
     "terminates"},
    {"a copy made on each iteration does not count as progress",
     "ldxw %r9, [%r1+20]\nand %r9, 7\nldxw %r8, [%r1+16]\nand %r8, 63\nloop:\njeq %r8, 0, out\nmov %r7, %r9\n"
     "sub %r8, 1\nja loop\nout:\nmov %r0, 0\nexit",
     "ldxw %r9, [%r1+20]\nand %r9, 7\nldxw %r8, [%r1+16]\nand %r8, 63\nloop:\njeq %r8, 0, out\nmov %r8, %r9\n"
     "sub %r8, 1\nja loop\nout:\nmov %r0, 0\nexit",
     "terminates"},
    {"a value filled from another register's spill does not count as progress",
     "ldxw %r9, [%r1+20]\nand %r9, 7\nldxw %r8, [%r1+16]\nand %r8, 63\nloop:\njeq %r8, 0, out\n"
     "stxdw [%r10-64], %r8\nldxdw %r8, [%r10-64]\nsub %r8, 1\nja loop\nout:\nmov %r0, 0\nexit",
     "ldxw %r9, [%r1+20]\nand %r9, 7\nldxw %r8, [%r1+16]\nand %r8, 63\nloop:\njeq %r8, 0, out\n"
     "stxdw [%r10-64], %r9\nldxdw %r8, [%r10-64]\nsub %r8, 1\nja loop\nout:\nmov %r0, 0\nexit",
     "terminates"},
    {"a loop back to the same state never ends", "ja +0\nmov %r0, 0\nexit", "mov %r0, 0\nloop:\nja loop\nexit",
     "terminates"},
    {"bpf-to-bpf calls get their own stack",
     "mov %r1, %r10\nadd %r1, -8\nstdw [%r10-8], 3\ncall local f\nexit\nf:\nldxdw %r0, [%r1+0]\nexit",
     "call local f\nexit\nf:\nmov %r0, %r10\nadd %r0, -8\nexit", "own stack"},
    {"calls nest at most 8 frames", "call local f\nexit\nf:\nmov %r0, 0\nexit", "call local f\nexit\nf:\ncall local f\nexit",
     "deeper than 8"},
    /* The stack differs at the loop's head between the first pass and the others, so the first repeat is at
     * the bpf_loop call: a cycle there is the callbacks' fixpoint only within the call. */
    {"a loop around a bpf_loop call must progress itself",
     "ldxw %r9, [%r1+16]\nand %r9, 63\nstdw [%r10-16], 1\nloop:\njeq %r9, 0, out\nlddw %r2, code_addr cb\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\nstdw [%r10-16], 2"
     "\ncall 181\nsub %r9, 1\nja loop\nout:\nmov %r0, 0\nexit\ncb:\nmov %r0, 0\nexit",
     "ldxw %r9, [%r1+16]\nand %r9, 63\nstdw [%r10-16], 1\nloop:\njeq %r9, 0, out\nlddw %r2, code_addr cb\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\nstdw [%r10-16], 2"
     "\ncall 181\nsub %r9, 0\nja loop\nout:\nmov %r0, 0\nexit\ncb:\nmov %r0, 0\nexit",
     "terminates"},
    {"callbacks nest, and return 0 or 1 at every depth",
     "lddw %r2, code_addr outer\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\n"
     "outer:\nlddw %r2, code_addr inner\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\ninner:\nmov %r0, 1\nexit",
     "lddw %r2, code_addr outer\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\n"
     "outer:\nlddw %r2, code_addr inner\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\ninner:\nmov %r0, 2\nexit",
     "outside [0, 1]"},
    {"callbacks return 0 or 1", "lddw %r2, code_addr cb\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\n"
                                "exit\ncb:\nmov %r0, 0\nexit",
     "lddw %r2, code_addr cb\nmov %r1, 10\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\ncb:\nmov %r0, 2\nexit",
     "outside [0, 1]"},
};

static void each_rule_accepts_and_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        struct verify_result res;
        verify_text(r->good, &res);
        if (!res.accepted)
            fail_msg("%s: the safe program was rejected: instruction %zu: %s", r->name, res.pc, res.message);
        verify_text(r->bad, &res);
        if (res.accepted)
            fail_msg("%s: the unsafe program was accepted", r->name);
        if (!strstr(res.message, r->reason))
            fail_msg("%s: rejected for another reason: instruction %zu: %s", r->name, res.pc, res.message);
        assert_true(res.insn_text[0] != 0);
    }
}

/* A search down a 64-byte stack array that stops at the first byte above 7: a loop whose trip count
 * depends on the data, longer than the verifier unrolls. Verified by widening and a decreasing
 * bounded counter, in time that does not depend on the array's length. */
static const char search[] =
    "stdw [%r10-64], 0\nstdw [%r10-56], 0\nstdw [%r10-48], 0\nstdw [%r10-40], 0\n"
    "stdw [%r10-32], 0\nstdw [%r10-24], 0\nstdw [%r10-16], 0\nstdw [%r10-8], 0\n"
    "call 7\nmov %r8, %r0\nand %r8, 63\n"
    "loop:\njeq %r8, 0, out\nmov %r6, %r10\nadd %r6, -65\nadd %r6, %r8\nldxb %r9, [%r6+0]\n"
    "jgt %r9, 7, out\nsub %r8, 1\nja loop\n"
    "out:\nmov %r0, %r8\nexit";

static void data_dependent_loops_are_verified_quickly(void **state)
{
    (void)state;
    struct verify_result res;
    verify_text(search, &res);
    if (!res.accepted)
        fail_msg("search rejected: instruction %zu: %s", res.pc, res.message);
    print_message("search of 64: %zu instructions interpreted, %zu states\n", res.insns_processed,
                  res.states_stored);
    assert_true(res.insns_processed < 5000);
}

/* verify_options.max_steps lowers the "too complex" limit (the soundness fuzzer skips costly programs so). */
static void the_step_limit_is_an_option(void **state)
{
    (void)state;
    struct ebpf_insn *insns;
    size_t count;
    struct isa_error err;
    assert_int_equal(isa_assemble(search, &insns, &count, &err), 0);
    struct verify_program prog = {"search", insns, count, maps, sizeof(maps) / sizeof(maps[0]), NULL, 0};
    struct verify_options opts = {.max_steps = 20};
    struct verify_result res;
    assert_int_equal(verify_program(&profile, &prog, &opts, &res), 0);
    assert_false(res.accepted);
    assert_non_null(strstr(res.message, "more than 20 instructions interpreted"));
    opts.max_steps = 0;
    assert_int_equal(verify_program(&profile, &prog, &opts, &res), 0);
    assert_true(res.accepted);
    free(insns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_rule_accepts_and_rejects),
        cmocka_unit_test(data_dependent_loops_are_verified_quickly),
        cmocka_unit_test(the_step_limit_is_an_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
