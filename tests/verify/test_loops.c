/*
 * A nested loop whose inner trip count depends on data and on the outer
 * counter (tests/verify/progs/loops.c: an insertion sort of 64 numbers in
 * a map value) is accepted, and the work done does not grow with the trip
 * count: the program built for 16 and for 120 elements interprets about as
 * many instructions as for 64 (not 4 or 16 times as many). Its twins (a
 * loop that never ends, an index past either end of the array) are
 * refused for that, naming their source line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "core/core.h"

static const struct {
    const char *function, *reason; /* reason NULL: accepted */
} expected[] = {
    {"insertion_sort", NULL},
    {"rejected_endless", "terminates"},
    {"rejected_past_end", "-byte value of map"},
    {"rejected_before_start", "-byte value of map"},
};
enum { EXPECTED = sizeof(expected) / sizeof(expected[0]) };

/* Instructions interpreted for each accepted program, per size built. */
struct work {
    size_t insns[EXPECTED];
};

/* Builds loops.c with N = size and checks every verdict (each wrong one printed); fills work. False if any is
 * wrong. */
static bool verify_loops(int size, struct work *work)
{
    bool ok = true;
    int rc = core_register_sample_type();
    assert_true(rc == 0 || rc == -EEXIST);
    char include[4200], define[32];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    snprintf(define, sizeof(define), "-DN=%d", size);
    char *path = bpf_compile("tests/verify/progs", "loops", (const char *const[]){include, define, NULL});
    assert_non_null(path);
    struct bpf_elf_object *elf;
    char err[512];
    assert_int_equal(bpf_elf_open_file(path, &elf, err, sizeof(err)), 0);
    assert_int_equal(elf->program_count, EXPECTED);
    struct core_profile profile;
    assert_int_equal(core_profile_init(&profile, core_prog_type_find_by_name("sample")), 0);
    for (size_t e = 0; e < EXPECTED; e++) {
        const struct bpf_elf_program *p = bpf_elf_find_program(elf, expected[e].function);
        if (!p)
            fail_msg("%s: not in the object", expected[e].function);
        struct verify_result res;
        assert_int_equal(core_verify_elf_program(elf, (size_t)(p - elf->programs), &profile.profile, NULL, &res), 0);
        print_message("N=%d %s: %s after %zu instructions, %zu states%s%s\n", size, expected[e].function,
                      res.accepted ? "accepted" : "rejected", res.insns_processed, res.states_stored,
                      res.accepted ? "" : ": ", res.accepted ? "" : res.message);
        work->insns[e] = res.insns_processed;
        const char *wrong = NULL;
        if (!expected[e].reason)
            wrong = res.accepted ? NULL : "rejected";
        else if (res.accepted)
            wrong = "accepted";
        else if (!strstr(res.message, expected[e].reason))
            wrong = "refused for another reason";
        else if (!res.has_line || !strstr(res.line.file, "loops.c"))
            wrong = "refused without a source line";
        if (wrong) {
            print_message("N=%d %s: %s (instruction %zu, line %u)\n", size, expected[e].function, wrong, res.pc,
                          res.has_line ? res.line.line : 0);
            ok = false;
        }
    }
    core_profile_free(&profile);
    bpf_elf_close(elf);
    free(path);
    return ok;
}

static void nested_loops_cost_what_their_shape_costs(void **state)
{
    (void)state;
    struct work w16, w64, w120;
    bool ok = verify_loops(16, &w16);
    ok &= verify_loops(64, &w64);
    ok &= verify_loops(120, &w120);
    assert_true(ok);
    for (size_t e = 0; e < EXPECTED; e++) {
        if (expected[e].reason)
            continue;
        /* Unrolling, or a trip count paid per iteration, would multiply by 4 and 16. */
        size_t least = w16.insns[e] < w64.insns[e] ? w16.insns[e] : w64.insns[e];
        if (w64.insns[e] > 2 * w16.insns[e] + 2000 || w120.insns[e] > 2 * least + 2000)
            fail_msg("%s: %zu, %zu, %zu instructions for 16, 64, 120 elements", expected[e].function, w16.insns[e],
                     w64.insns[e], w120.insns[e]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_loops_cost_what_their_shape_costs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bpf_compile_cleanup();
    return rc;
}
