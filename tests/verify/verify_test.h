/*
 * Shared by the verify tests: verifying a program written in the isa
 * layer's assembler text. Include after cmocka.h.
 */
#ifndef BPFHOST_TESTS_VERIFY_TEST_H
#define BPFHOST_TESTS_VERIFY_TEST_H

#include <stdlib.h>

#include "isa/isa.h"
#include "verify/verify.h"

/* Assembles text (failing the test if it does not assemble) and verifies it as program name with maps against profile; fills res. */
static inline void verify_assembled(const char *name, const char *text, const struct verify_profile *profile,
                                    const struct verify_map *maps, size_t map_count, struct verify_result *res)
{
    struct ebpf_insn *insns;
    size_t count;
    struct isa_error err;
    if (isa_assemble(text, &insns, &count, &err) != 0)
        fail_msg("line %zu: %s in:\n%s", err.pc, err.msg, text);
    struct verify_program prog = {name, insns, count, maps, map_count, NULL, 0};
    assert_int_equal(verify_program(profile, &prog, NULL, res), 0);
    free(insns);
}

#endif
