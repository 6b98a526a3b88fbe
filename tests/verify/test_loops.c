/*
 * A nested loop whose inner trip count depends on data and on the outer
 * counter (tests/verify/progs/loops.c: an insertion sort of 64 numbers in
 * a map value) is accepted, and the work done does not grow with the trip
 * count: the program built for 16 and for 120 elements interprets about as
 * many instructions as for 64 (not 4 or 16 times as many). Its twins (a
 * loop that never ends, an index past either end of the array) are
 * refused for that, naming their source line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/sample_verdicts.h"

static const struct sample_verdict expected[] = {
    {"insertion_sort", NULL},
    {"rejected_endless", "terminates"},
    {"rejected_past_end", "-byte value of map"},
    {"rejected_before_start", "-byte value of map"},
};
enum { EXPECTED = sizeof(expected) / sizeof(expected[0]) };

static void nested_loops_cost_what_their_shape_costs(void **state)
{
    (void)state;
    size_t w16[EXPECTED], w64[EXPECTED], w120[EXPECTED];
    bool ok = sample_verdicts_check("loops", (const char *const[]){"-DN=16", NULL}, expected, EXPECTED, false, w16);
    ok &= sample_verdicts_check("loops", (const char *const[]){"-DN=64", NULL}, expected, EXPECTED, false, w64);
    ok &= sample_verdicts_check("loops", (const char *const[]){"-DN=120", NULL}, expected, EXPECTED, false, w120);
    assert_true(ok);
    for (size_t e = 0; e < EXPECTED; e++) {
        if (expected[e].reason)
            continue;
        /* Unrolling, or a trip count paid per iteration, would multiply by 4 and 16. */
        size_t least = w16[e] < w64[e] ? w16[e] : w64[e];
        if (w64[e] > 2 * w16[e] + 2000 || w120[e] > 2 * least + 2000)
            fail_msg("%s: %zu, %zu, %zu instructions for 16, 64, 120 elements", expected[e].function, w16[e], w64[e],
                     w120[e]);
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
