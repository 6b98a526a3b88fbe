/*
 * Attacks on the verifier's reasoning about differences, strides, copies,
 * widening, kept states and termination: each program is unsafe (an access
 * outside its region, a leaked pointer or a loop that may not end) and tries
 * to get accepted by abusing one of these analyses. Every one must be
 * rejected, at the unsafe instruction, for the reason given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "verify/verify.h"
#include "verify_test.h"

/* Context: two read-only u32 numbers (0, 4), then the packet's data (8) and end (16). */
static const struct verify_ctx_field ctx_fields[] = {
    {0, 4, VERIFY_READ, VERIFY_FIELD_PLAIN},
    {4, 4, VERIFY_READ, VERIFY_FIELD_PLAIN},
    {8, 8, VERIFY_READ, VERIFY_FIELD_PACKET},
    {16, 8, VERIFY_READ, VERIFY_FIELD_PACKET_END},
};

static const struct verify_helper attack_helpers[] = {
    {1, "lookup", VERIFY_RET_MAP_VALUE_OR_NULL, {VERIFY_ARG_MAP_PTR, VERIFY_ARG_MAP_KEY}, 0, 0},
    {7, "random", VERIFY_RET_INTEGER, {0}, 0, 0},
    {16, "overwrite", VERIFY_RET_INTEGER, {VERIFY_ARG_MEM_WRITE, VERIFY_ARG_CONST_SIZE}, 0, 0},
    {44, "move_packet", VERIFY_RET_INTEGER, {VERIFY_ARG_CTX, VERIFY_ARG_SCALAR}, VERIFY_HELPER_CHANGES_PACKET, 0},
};

static const struct verify_profile attack_profile = {
    .name = "attack",
    .ctx_size = 24,
    .fields = ctx_fields,
    .field_count = sizeof(ctx_fields) / sizeof(ctx_fields[0]),
    .packet_access = VERIFY_READ,
    .helpers = attack_helpers,
    .helper_count = sizeof(attack_helpers) / sizeof(attack_helpers[0]),
};

/* The one map: an array of 16-byte values. */
static const struct verify_map value_map[] = {{"values", VERIFY_MAP_ARRAY, 4, 16, 8, false, -1, NULL}};

/* r9: the context; r6, r7: two numbers below 2^63 (unsigned comparisons order them as integers); r8: a 16-byte map value; r0: another number. */
#define SETUP                                                                                      \
    "mov %r9, %r1\ncall 7\nmov %r6, %r0\nrsh %r6, 1\ncall 7\nmov %r7, %r0\nrsh %r7, 1\n"                 \
    "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_by_idx 0\ncall 1\njeq %r0, 0, out\n" \
    "mov %r8, %r0\ncall 7\n"
/* r6 < r7 from here on (unsigned 64-bit), else the program ends. */
#define LESS "jge %r6, %r7, out\n"
/* Unsafe once reached: returns a stack address. */
#define LEAK "mov %r0, %r10\nexit\n"
/* The program's end. */
#define OUT "out:\nmov %r0, 0\nexit"
/* An index r6 into the value: unsafe unless r6 <= 15. */
#define INDEX_R6 "add %r8, %r6\nldxb %r0, [%r8+0]\n"
/* r6 or r7 over the whole 64-bit range again. */
#define WIDE_R6 "xor %r6, %r0\n"
#define WIDE_R7 "xor %r7, %r0\n"
/* r6 and r7 as 32-bit numbers. */
#define NARROW "mov32 %r6, %r6\nmov32 %r7, %r7\n"

/* A binary search over hi = ctx[0] & 1023 entries, the entry read from the map value: lo = mid + 1, or hi = mid
 * then HI_MOVE, or (a third outcome) THIRD. */
#define BSEARCH(HI_MOVE, THIRD)                                                                                   \
    SETUP "mov %r6, 0\nldxw %r7, [%r9+0]\nand %r7, 1023\n"                                                 \
          "loop:\njge %r6, %r7, out\nmov %r2, %r6\nadd %r2, %r7\nrsh %r2, 1\nldxb %r3, [%r8+0]\n"          \
          "jeq %r3, 2, third\njeq %r3, 0, left\nmov %r6, %r2\nadd %r6, 1\nja loop\n"                        \
          "left:\nmov %r7, %r2\n" HI_MOVE "ja loop\nthird:\n" THIRD "ja loop\n" OUT
/* i from 0 by STEP, or OTHER on some passes, until i == END. */
#define NE_LOOP(STEP, OTHER, END)                                                                          \
    "mov %r6, 0\nloop:\n" STEP "call 7\njne %r0, 0, +1\n" OTHER "jne %r6, " END ", loop\nmov %r0, 0\nexit"
/* 100 passes of ONE or OTHER on x (r6, from 0), then 8 bytes at x & 15 + 8 of the value. */
#define BITS_LOOP(ONE, OTHER)                                                                              \
    SETUP "mov %r6, 0\nmov %r7, 0\nloop:\ncall 7\njeq %r0, 0, other\n" ONE "ja next\nother:\n" OTHER    \
          "next:\nadd %r7, 1\njlt %r7, 100, loop\nand %r6, 15\nadd %r8, %r6\nldxdw %r0, [%r8+8]\n" OUT
/* 30 passes, each adding 0 or 1 to x six times (bytes of the value decide), then x <= LIMIT indexes the value. */
#define ONE_OF(N) "ldxb %r1, [%r8+" #N "]\njeq %r1, 0, +1\nadd %r6, 1\n"
#define MANY_STATES(LIMIT)                                                                                 \
    SETUP "mov %r6, 0\nmov %r7, 0\nloop:\n" ONE_OF(0) ONE_OF(1) ONE_OF(2) ONE_OF(3) ONE_OF(4) ONE_OF(5)   \
          "add %r7, 1\njlt %r7, 30, loop\njgt %r6, " LIMIT ", out\n" INDEX_R6 OUT
/* A callee with a branch (a kept state) called with r6 as the caller's index, used after the return. */
#define CALLEE "call local f\n" INDEX_R6 OUT "\nf:\ncall 7\njeq %r0, 0, +1\nmov %r0, 1\nexit"
/* The same with the index in the caller's stack at fp-16. */
#define CALLEE_STACK "call local f\nldxdw %r6, [%r10-16]\n" INDEX_R6 OUT "\nf:\ncall 7\njeq %r0, 0, +1\nmov %r0, 1\nexit"
/* p (r7) moves with i (r6) up to n = ctx[0] & 255; then CHANGE_I, i <= 15 is checked and p read. */
#define RELATED(CHANGE_I)                                                                                  \
    SETUP "ldxw %r2, [%r9+0]\nand %r2, 255\nmov %r6, 0\nmov %r7, %r8\n"                                     \
          "loop:\njge %r6, %r2, done\nadd %r6, 1\nadd %r7, 1\nja loop\ndone:\n" CHANGE_I                    \
          "jgt %r6, 15, out\nldxb %r0, [%r7+0]\n" OUT

/* r6 < r7 (both below 256) on one path only, the other path's ranges made the same: kept apart only by the
 * fact, which lives on in spills (at fp-16, fp-24) while no register holds the numbers, filled back after BODY. */
#define BYTES "and %r6, 255\nand %r7, 255\n"
#define DORMANT(BODY)                                                                                      \
    SETUP BYTES "stxdw [%r10-16], %r6\nstxdw [%r10-24], %r7\njeq %r0, 0, b\njge %r6, %r7, out\nja p\n"     \
                "b:\njgt %r6, 254, out\njeq %r7, 0, out\np:\n" BODY "ldxdw %r6, [%r10-16]\nldxdw %r7, [%r10-24]\n" \
                "jlt %r6, %r7, out\n" LEAK OUT
/* The caller spills r6 (fp-24) and r7 (fp-32), clears them and calls f with a pointer to the spills and a coin
 * (r3); f decides with COMPARE what it returns (0: go on); the caller fills both back and compares them. */
#define SPILLS_TO_CALLEE(COMPARE)                                                                          \
    SETUP BYTES "stxdw [%r10-24], %r6\nstxdw [%r10-32], %r7\nmov %r3, %r0\nmov %r1, %r10\nadd %r1, -32\n"  \
                "mov %r6, 0\nmov %r7, 0\ncall local f\njne %r0, 0, out\nldxdw %r6, [%r10-24]\n"            \
                "ldxdw %r7, [%r10-32]\njlt %r6, %r7, out\n" LEAK OUT                                       \
                "\nf:\nldxdw %r4, [%r1+8]\nldxdw %r5, [%r1+0]\nmov %r1, 0\n" COMPARE                       \
                "mov %r4, 0\nmov %r5, 0\nmov %r0, 0\nexit\nret:\nmov %r0, 1\nexit"
#define ONE_PATH_LESS "jeq %r3, 0, b\njge %r4, %r5, ret\nja p\nb:\njgt %r4, 254, ret\njeq %r5, 0, ret\np:\n"

/* A counter in the caller's stack (fp-8) counts down; f gets a pointer to it (r1) and its value before the
 * step (r2), and does F. */
#define COUNTER_CALLEE(F)                                                                                  \
    "ldxw %r6, [%r1+0]\nand %r6, 63\nstxdw [%r10-8], %r6\nloop:\nldxdw %r6, [%r10-8]\njeq %r6, 0, done\n"  \
    "mov %r2, %r6\nsub %r6, 1\nstxdw [%r10-8], %r6\nmov %r1, %r10\nadd %r1, -8\ncall local f\nja loop\n"      \
    "done:\nmov %r0, 0\nexit\nf:\n" F "mov %r0, 0\nexit"

/* r7 = end - data, r2 = data; a helper that may move the packet, data read again; 8 bytes read if r7 >= 8. */
#define PACKET_LENGTH "ldxdw %r2, [%r9+8]\nldxdw %r3, [%r9+16]\nmov %r7, %r3\nsub %r7, %r2\n"
#define MOVE_PACKET "mov %r1, %r9\nmov %r2, 0\ncall 44\nldxdw %r2, [%r9+8]\n"
#define READ_8 "jlt %r7, 8, out\nldxdw %r0, [%r2+0]\n"

#define LEAKED "revealing a host address"
#define OUTSIDE "outside the 16-byte value"
#define ENDLESS "terminates"
#define UNPROVEN "not proven inside the packet"

struct attack {
    const char *name;
    const char *text;
    const char *reason; /* rejected with this in the message (NULL: a safe twin, accepted) */
};

static const struct attack attacks[] = {
    /* Stale differences: the second comparison must not be decided by a fact about a number no longer held. */
    {"r6 < r7, then r6 += unknown: r6 < r7 again is not known", SETUP LESS "add %r6, %r0\njlt %r6, %r7, out\n" LEAK OUT,
     LEAKED},
    {"r6 < r7, then r7 = unknown", SETUP LESS "mov %r7, %r0\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r6 < r7, then r6 += 1: r6 <= r7 only", SETUP LESS "add %r6, 1\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r6 < r7, then r6 -= 1 wraps below 0", SETUP LESS "sub %r6, 1\njlt %r6, %r7, out\n" LEAK OUT,
     LEAKED},
    {"r6 <s r7 (signed), then r7 += 1 wraps past INT64_MAX", SETUP "jsge %r6, %r7, out\nadd %r7, 1\njslt %r6, %r7, out\n"
     LEAK OUT, LEAKED},
    {"32-bit r6 < r7, then add32 r7, 1 wraps to 0", SETUP NARROW "jge32 %r6, %r7, out\nadd32 %r7, 1\n"
     "jlt32 %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"32-bit r6 < r7, then a 64-bit r7 += 1 leaves 32 bits", SETUP NARROW "jge32 %r6, %r7, out\nadd %r7, 1\n"
     "jlt32 %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r6 < r7, then a load into r6", SETUP LESS "ldxw %r6, [%r9+0]\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r1 < r7, then a helper call clobbers r1 and it is set again", SETUP "mov %r1, %r6\njge %r1, %r7, out\ncall 7\n"
     "mov %r1, %r0\njlt %r1, %r7, out\n" LEAK OUT, LEAKED},
    {"r0 < r7, then a bpf-to-bpf call returns another r0", SETUP "mov %r0, %r6\njge %r0, %r7, out\ncall local f\n"
     "jlt %r0, %r7, out\n" LEAK OUT "\nf:\nmov %r0, -1\nexit", LEAKED},
    {"r1 < r2 passed to a callee that changes r1", SETUP "mov %r1, %r6\nmov %r2, %r7\njge %r1, %r2, out\n"
     "call local f\nmov %r0, 0\nexit\nf:\nadd %r1, %r2\njlt %r1, %r2, +1\nstdw [%r10-520], 0\nmov %r0, 0\nexit\n" OUT,
     "outside the frame"},
    {"r6 < r7, r6 spilled, the slot overwritten, r6 filled", SETUP LESS "stxdw [%r10-16], %r6\nstxdw [%r10-16], %r0\n"
     "ldxdw %r6, [%r10-16]\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r7 spilled, one byte of the slot overwritten, r7 filled", SETUP LESS "stxdw [%r10-16], %r7\nstb [%r10-9], 0\n"
     "ldxdw %r7, [%r10-16]\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r7 spilled, the slot changed by an atomic add, r7 filled", SETUP LESS "stxdw [%r10-16], %r7\nmov %r1, -1\n"
     "lock add [%r10-16], %r1\nldxdw %r7, [%r10-16]\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r7 spilled, the slot written by a helper, r7 filled", SETUP LESS "stxdw [%r10-16], %r7\nmov %r1, %r10\n"
     "add %r1, -16\nmov %r2, 8\ncall 16\nldxdw %r7, [%r10-16]\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r7 spilled in 4 bytes (truncated), r7 filled", SETUP LESS "stxw [%r10-16], %r7\nldxw %r7, [%r10-16]\n"
     "jlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"32-bit r7 spilled whole, filled sign-extended from 4 bytes", SETUP NARROW LESS "stxdw [%r10-16], %r7\n"
     "ldxsw %r7, [%r10-16]\njslt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"a spilled copy of r6 (with r6 < r7) filled into r7's place after r7 changed", SETUP LESS "stxdw [%r10-16], %r6\n"
     "mov %r7, 0\nldxdw %r6, [%r10-16]\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    /* 32 against 64 bits, signed against unsigned. */
    {"a 32-bit r6 < r7 does not decide the 64-bit one", SETUP "jge32 %r6, %r7, out\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"a 64-bit r6 < r7 does not decide the 32-bit one", SETUP LESS "jlt32 %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"unsigned r6 < r7 does not decide signed r6 <s r7", SETUP WIDE_R7 LESS "jslt %r6, %r7, out\n" LEAK OUT,
     LEAKED},
    {"signed r6 <s r7 does not decide unsigned r6 < r7", SETUP WIDE_R6 WIDE_R7 "jsge %r6, %r7, out\njlt %r6, %r7, out\n" LEAK OUT,
     LEAKED},
    /* Copies. */
    {"copies of a constant: one replaced on one path, the other bounded after the join",
     SETUP "mov %r6, 0\nmov %r7, %r6\ncall 7\njeq %r0, 0, join\nldxw %r6, [%r9+0]\njoin:\njgt %r7, 15, out\n"
     INDEX_R6 OUT, OUTSIDE},
    {"copies of a constant: one bounded after the other changed", SETUP "mov %r7, 0\nmov %r6, %r7\nldxw %r6, [%r9+0]\n"
     "jgt %r7, 15, out\n" INDEX_R6 OUT, OUTSIDE},
    {"copies of one number: one made 32-bit, the other bounded", SETUP "mov %r7, %r6\nmov32 %r7, %r7\n"
     "jgt %r7, 15, out\n" INDEX_R6 OUT, OUTSIDE},
    {"copies of one number: one bounded, the other changed before", SETUP "mov %r7, %r6\nadd %r6, 16\n"
     "jgt %r7, 15, out\n" INDEX_R6 OUT, OUTSIDE},
    {"a 4-byte spill filled sign-extended is no copy: r7 in [-16, -1] leaves r6 near 2^32",
     SETUP "mov32 %r6, %r6\nstxw [%r10-8], %r6\nldxsw %r7, [%r10-8]\njsge %r7, 0, out\njslt %r7, -16, out\n"
     "add %r6, 16\n" INDEX_R6 OUT, OUTSIDE},
    {"a 2-byte spill filled sign-extended is no copy either", SETUP "and %r6, 0xffff\nstxh [%r10-8], %r6\n"
     "ldxsh %r7, [%r10-8]\njsge %r7, 0, out\njslt %r7, -16, out\nadd %r6, 16\n" INDEX_R6 OUT, OUTSIDE},
    {"end - data checked after a helper that may move the packet", SETUP PACKET_LENGTH MOVE_PACKET READ_8 OUT,
     UNPROVEN},
    {"end - data spilled across a helper that may move the packet", SETUP PACKET_LENGTH "stxdw [%r10-16], %r7\n"
     MOVE_PACKET "ldxdw %r7, [%r10-16]\n" READ_8 OUT, UNPROVEN},
    /* Joins. */
    {"r6 < r7 on one path only (taken path first)", SETUP "call 7\njeq %r0, 0, other\n" LESS "ja join\nother:\nmov %r6, %r0\n"
     "join:\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r6 < r7 on one path only (fall-through first)", SETUP "call 7\njne %r0, 0, other\nmov %r6, %r0\nja join\nother:\n" LESS
     "join:\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    {"r6 < r7 on one path, r6 <= r7 + 5 on the other", SETUP "rsh %r6, 8\nrsh %r7, 8\ncall 7\njeq %r0, 0, other\n" LESS
     "ja join\nother:\nmov %r1, %r7\nadd %r1, 5\njgt %r6, %r1, out\njoin:\njlt %r6, %r7, out\n" LEAK OUT, LEAKED},
    /* Loops whose measure only seems to shrink. r6: lo, r7: hi. */
    {"lo < hi: lo grows on one path, hi grows on the other", SETUP "and %r6, 63\nmov %r7, 64\n"
     "loop:\njge %r6, %r7, out\ncall 7\njeq %r0, 0, up\nadd %r6, 1\nja loop\nup:\nadd %r7, 1\nja loop\n" OUT, ENDLESS},
    {"lo < hi: both grow by 1 on one path", SETUP "and %r6, 63\nmov %r7, 64\n"
     "loop:\njge %r6, %r7, out\ncall 7\njeq %r0, 0, up\nadd %r6, 1\nja loop\nup:\nadd %r6, 1\nadd %r7, 1\nja loop\n" OUT,
     ENDLESS},
    {"lo < hi: lo filled back from its spill at the loop's entry on one path", SETUP "and %r6, 63\nmov %r7, 64\n"
     "stxdw [%r10-40], %r6\nloop:\njge %r6, %r7, out\ncall 7\njeq %r0, 0, back\nadd %r6, 1\nja loop\n"
     "back:\nldxdw %r6, [%r10-40]\nja loop\n" OUT, ENDLESS},
    {"binary search with hi = mid + 1 (stuck when hi = lo + 1)", BSEARCH("add %r7, 1\n", "mov %r7, %r2\n"), ENDLESS},
    {"binary search whose hi moves up by one on a third path", BSEARCH("", "add %r7, 1\n"), ENDLESS},
    /* Loops left on != . */
    {"a != loop whose counter moves by 8 on one path", NE_LOOP("add %r6, 7\n", "add %r6, 1\n", "700"), ENDLESS},
    {"a != loop whose counter may step twice, over its end", NE_LOOP("add %r6, 7\n", "add %r6, 7\n", "700"), ENDLESS},
    {"a != loop whose counter is reset to its start on one path", NE_LOOP("add %r6, 7\n", "mov %r6, 0\n", "700"),
     ENDLESS},
    {"a != loop whose counter is reset to 3 on one path", NE_LOOP("add %r6, 7\n", "mov %r6, 3\n", "700"), ENDLESS},
    {"a != loop whose counter steps back 14 on one path", NE_LOOP("add %r6, 7\n", "sub %r6, 14\n", "700"), ENDLESS},
    {"a != loop stepping away from its end (a multiple of the step away)", NE_LOOP("sub %r6, 7\n", "sub %r6, 7\n", "700"),
     ENDLESS},
    {"a != loop starting past its end", "mov %r6, 1400\nloop:\nadd %r6, 7\njne %r6, 700, loop\nmov %r0, 0\nexit",
     ENDLESS},
    {"a != loop of a 32-bit counter that reaches its end only after wrapping",
     "mov %r6, 0\nloop:\nadd32 %r6, 7\njne %r6, 701, loop\nmov %r0, 0\nexit", ENDLESS},
    {"a != loop whose step is a register that changes", "mov %r6, 0\nmov %r7, 7\nloop:\nadd %r6, %r7\nmov %r7, 1\n"
     "jne %r6, 700, loop\nmov %r0, 0\nexit", ENDLESS},
    {"a callee adds 1 back to the caller's counter", COUNTER_CALLEE("ldxdw %r3, [%r1+0]\nadd %r3, 1\nstxdw [%r1+0], %r3\n"),
     ENDLESS},
    {"a callee stores the counter's old value back", COUNTER_CALLEE("stxdw [%r1+0], %r2\n"), ENDLESS},
    {"a callee stores the old value back through its own spill",
     COUNTER_CALLEE("stxdw [%r10-8], %r2\nldxdw %r3, [%r10-8]\nstxdw [%r1+0], %r3\n"), ENDLESS},
    {"a callee returns the counter's old value, which replaces it",
     "ldxw %r6, [%r1+0]\nand %r6, 63\nloop:\njeq %r6, 0, done\nmov %r1, %r6\nsub %r6, 1\ncall local f\n"
     "mov %r6, %r0\nja loop\ndone:\nmov %r0, 0\nexit\nf:\nmov %r0, %r1\nexit", ENDLESS},
    /* Widening of known bits. */
    {"x += 16 or x += 1 in a loop: x & 15 is not 0", BITS_LOOP("add %r6, 16\n", "add %r6, 1\n"), OUTSIDE},
    {"x += 16 or x |= 1 in a loop: x & 15 is not 0", BITS_LOOP("add %r6, 16\n", "or %r6, 1\n"), OUTSIDE},
    {"x += 16 or x = 8 in a loop: x & 15 is not 0", BITS_LOOP("add %r6, 16\n", "mov %r6, 8\n"), OUTSIDE},
    {"a map value pointer moved down in a loop, read 36 bytes on (its offsets reach both ends of int64)",
     SETUP "ldxw %r6, [%r9+0]\nand %r6, 63\nloop:\njeq %r6, 0, done\nsub %r8, 214\nsub %r6, 1\nja loop\n"
     "done:\nldxdw %r0, [%r8+36]\n" OUT, OUTSIDE},
    /* Many kept states at a loop head (widened at once). */
    {"six branches a pass, each adding 1: 16 is one too many", MANY_STATES("16"), OUTSIDE},
    {"six branches a pass, the counter moving only when a seventh byte is set",
     SETUP "mov %r6, 0\nmov %r7, 0\nloop:\n" ONE_OF(0) ONE_OF(1) ONE_OF(2) ONE_OF(3) ONE_OF(4) ONE_OF(5)
     "ldxb %r1, [%r8+6]\njeq %r1, 0, +1\nadd %r7, 1\njlt %r7, 30, loop\n" OUT, ENDLESS},
    /* Pruning. */
    {"three paths to a join, the last with an index of 100 (first order)", SETUP "mov %r6, 0\nmov %r7, 0\n"
     "jeq %r0, 0, join\njeq %r0, 1, b\nmov %r6, 100\nja join\nb:\nmov %r7, 1\njoin:\nadd %r8, %r7\n" INDEX_R6 OUT,
     OUTSIDE},
    {"three paths to a join, the last with an index of 100 (second order)", SETUP "mov %r6, 0\nmov %r7, 0\n"
     "jeq %r0, 0, c\njeq %r0, 1, b\nja join\nc:\nmov %r6, 100\nja join\nb:\nmov %r7, 1\njoin:\nadd %r8, %r7\n"
     INDEX_R6 OUT, OUTSIDE},
    {"a callee's states differ only in the caller's register (safe path first)",
     SETUP "mov %r6, 0\njne %r0, 0, +1\nmov %r6, 100\n" CALLEE, OUTSIDE},
    {"a callee's states differ only in the caller's register (unsafe path first)",
     SETUP "mov %r6, 100\njne %r0, 0, +1\nmov %r6, 0\n" CALLEE, OUTSIDE},
    {"a callee's states differ only in the caller's stack",
     SETUP "stdw [%r10-16], 0\njne %r0, 0, +1\nstdw [%r10-16], 100\n" CALLEE_STACK, OUTSIDE},
    {"a callee's states differ only in the caller's stack (unsafe path first)",
     SETUP "stdw [%r10-16], 100\njne %r0, 0, +1\nstdw [%r10-16], 0\n" CALLEE_STACK, OUTSIDE},
    /* Linear relations. */
    {"p moves with i; i is then replaced and bounded: p is not", RELATED("ldxw %r6, [%r9+4]\n"), OUTSIDE},
    {"p moves with i; i is then spilled, replaced in the slot and filled", RELATED("stxdw [%r10-16], %r6\n"
     "ldxw %r1, [%r9+4]\nstxdw [%r10-16], %r1\nldxdw %r6, [%r10-16]\n"), OUTSIDE},
    {"p moves with i; i then grows by an unknown amount", RELATED("ldxw %r1, [%r9+4]\nadd %r6, %r1\n"), OUTSIDE},
    {"p moves with i; i then halved", RELATED("rsh %r6, 1\n"), OUTSIDE},
    /* Facts no register holds (only spills, or registers of another frame) are compared when states are. */
    {"r6 < r7 on one path, both only in spills at the join", DORMANT(""), LEAKED},
    {"r6 < r7 on one path, both only in spills at a later point", DORMANT("mov %r6, 0\nmov %r7, 0\nja +0\n"), LEAKED},
    {"a callee learns r4 < r5 of the caller's spills on one path only", SPILLS_TO_CALLEE(ONE_PATH_LESS), LEAKED},
};

/* The safe twins of the attacks, accepted: the analyses attacked above are in play, so a rejection above is
 * the attack's failure, not the analysis missing. */
static const struct attack controls[] = {
    {"r6 < r7 decides r6 < r7 again", SETUP LESS "jlt %r6, %r7, out\n" LEAK OUT, NULL},
    {"r6 < r7, then r6 += 1: r6 <= r7", SETUP LESS "add %r6, 1\njle %r6, %r7, out\n" LEAK OUT, NULL},
    {"r6 < r7 survives a spill and fill of r6", SETUP LESS "stxdw [%r10-16], %r6\nldxdw %r6, [%r10-16]\n"
     "jlt %r6, %r7, out\n" LEAK OUT, NULL},
    {"a 32-bit r6 < r7 decides itself", SETUP NARROW "jge32 %r6, %r7, out\njlt32 %r6, %r7, out\n" LEAK OUT, NULL},
    {"a signed r6 <s r7 decides itself", SETUP WIDE_R6 WIDE_R7 "jsge %r6, %r7, out\njslt %r6, %r7, out\n" LEAK OUT,
     NULL},
    {"r6 < r7 survives a join of paths that both keep it", SETUP LESS "call 7\njeq %r0, 0, other\nmov %r2, 1\n"
     "ja join\nother:\nmov %r2, 2\njoin:\njlt %r6, %r7, out\n" LEAK OUT, NULL},
    {"end - data checked proves the packet's bytes", SETUP PACKET_LENGTH READ_8 OUT, NULL},
    {"copies are bounded together", SETUP "mov %r7, %r6\njgt %r7, 15, out\n" INDEX_R6 OUT, NULL},
    {"lo < hi: lo grows on one path, hi shrinks on the other", SETUP "and %r6, 63\nmov %r7, 64\n"
     "loop:\njge %r6, %r7, out\ncall 7\njeq %r0, 0, down\nadd %r6, 1\nja loop\ndown:\nsub %r7, 1\nja loop\n" OUT, NULL},
    {"a callee reads the caller's counter", COUNTER_CALLEE("ldxdw %r3, [%r1+0]\nstxdw [%r1+0], %r3\n"), NULL},
    {"a binary search", BSEARCH("", "mov %r7, %r2\n"), NULL},
    {"a != loop by 7 to 700", NE_LOOP("add %r6, 7\n", "mov %r1, 0\n", "700"), NULL},
    {"six branches a pass, each adding 1, x <= 15", MANY_STATES("15"), NULL},
    {"a callee with the caller's index at 0 or 15", SETUP "mov %r6, 0\njne %r0, 0, +1\nmov %r6, 15\n" CALLEE, NULL},
    {"p moves with i; i <= 15 bounds p", RELATED(""), NULL},
    {"a callee's r4 < r5 of the caller's spills decides the caller's comparison",
     SPILLS_TO_CALLEE("jge %r4, %r5, ret\n"), NULL},
    {"r6 < r7 on both paths, both only in spills at the join", SETUP BYTES "stxdw [%r10-16], %r6\n"
     "stxdw [%r10-24], %r7\n" LESS "jeq %r0, 0, p\nmov %r1, 0\np:\nldxdw %r6, [%r10-16]\nldxdw %r7, [%r10-24]\n"
     "jlt %r6, %r7, out\n" LEAK OUT, NULL},
};

/* Verifies text against the attack profile. */
static void verify_attack(const char *text, struct verify_result *res)
{
    verify_assembled("attack", text, &attack_profile, value_map, 1, res);
}

static void every_attack_is_rejected(void **state)
{
    (void)state;
    size_t accepted = 0;
    for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
        const struct attack *a = &attacks[i];
        struct verify_result res;
        verify_attack(a->text, &res);
        if (res.accepted) {
            print_error("ACCEPTED: %s\n", a->name);
            accepted++;
        } else if (!strstr(res.message, a->reason)) {
            print_error("rejected for another reason: %s: instruction %zu: %s\n", a->name, res.pc, res.message);
            accepted++;
        }
    }
    assert_int_equal(accepted, 0);
}

static void their_safe_twins_are_accepted(void **state)
{
    (void)state;
    size_t rejected = 0;
    for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
        struct verify_result res;
        verify_attack(controls[i].text, &res);
        if (!res.accepted) {
            print_error("rejected: %s: instruction %zu: %s\n", controls[i].name, res.pc, res.message);
            rejected++;
        }
    }
    assert_int_equal(rejected, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_attack_is_rejected),
        cmocka_unit_test(their_safe_twins_are_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
