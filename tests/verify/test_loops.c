/*
 * Loops whose trip count depends on data, each accepted in work that does
 * not grow with the trip count: every accepted program is built for three
 * sizes and the instructions interpreted for the larger ones may not be
 * much more than for the smallest (unrolling, or a trip count paid per
 * iteration, would multiply them). Their unsafe twins are refused for the
 * reason they are unsafe, naming their source line.
 * - loops.c: a nested loop whose inner trip count depends on data and on
 *   the outer counter (an insertion sort of the numbers of a map value);
 * - halving.c: a binary search, which ends because hi - lo shrinks;
 * - strides.c: a counter by 7 that leaves on "!=" at 7 * N;
 * - nested.c: a bubble sort, triangular loops (j < i, j from i to N) and an
 *   inner loop bounded by a clamped number from the context.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/sample_verdicts.h"

enum { SIZES = 3, MOST = 8 };

/* Checks the verdicts of progs/name.c built with -DN= each of sizes, and that the accepted ones cost about
 * the same for all of them. */
static void check_sizes(const char *name, const struct sample_verdict *expected, size_t count, const char *const *sizes)
{
    size_t work[SIZES][MOST];
    bool ok = true;
    assert_true(count <= MOST);
    for (int s = 0; s < SIZES; s++)
        ok &= sample_verdicts_check(name, (const char *const[]){sizes[s], NULL}, expected, count, false, work[s]);
    assert_true(ok);
    for (size_t e = 0; e < count; e++) {
        if (expected[e].reason)
            continue;
        size_t least = work[0][e] < work[1][e] ? work[0][e] : work[1][e];
        if (work[1][e] > 2 * work[0][e] + 2000 || work[2][e] > 2 * least + 2000)
            fail_msg("%s: %zu, %zu, %zu instructions for %s, %s, %s", expected[e].function, work[0][e], work[1][e],
                     work[2][e], sizes[0], sizes[1], sizes[2]);
    }
}

static void nested_loops_cost_what_their_shape_costs(void **state)
{
    (void)state;
    static const struct sample_verdict expected[] = {
        {"insertion_sort", NULL},
        {"rejected_endless", "terminates"},
        {"rejected_past_end", "-byte value of map"},
        {"rejected_before_start", "-byte value of map"},
    };
    check_sizes("loops", expected, sizeof(expected) / sizeof(expected[0]),
                (const char *const[]){"-DN=16", "-DN=64", "-DN=120"});
}

static void a_shrinking_distance_ends_a_loop(void **state)
{
    (void)state;
    static const struct sample_verdict expected[] = {
        {"binary_search", NULL},
        {"binary_searches", NULL},
        {"rejected_stuck", "terminates"},
        {"rejected_past_end", "-byte value of map"},
    };
    check_sizes("halving", expected, sizeof(expected) / sizeof(expected[0]),
                (const char *const[]){"-DN=64", "-DN=1024", "-DN=4096"});
}

static void a_counter_by_a_step_reaches_an_exact_end(void **state)
{
    (void)state;
    static const struct sample_verdict expected[] = {
        {"every_seventh", NULL},
        {"rejected_jumps_over_the_end", "terminates"},
    };
    check_sizes("strides", expected, sizeof(expected) / sizeof(expected[0]),
                (const char *const[]){"-DN=32", "-DN=64", "-DN=500"});
}

static void inner_bounds_from_outer_counters_or_data(void **state)
{
    (void)state;
    static const struct sample_verdict expected[] = {
        {"bubble_sort", NULL},
        {"rejected_bubble_past_end", "-byte value of map"},
        {"triangle_below", NULL},
        {"triangle_above", NULL},
        {"rejected_triangle_past_end", "-byte value of map"},
        {"clamped_bound", NULL},
        {"rejected_unclamped", "-byte value of map"},
    };
    check_sizes("nested", expected, sizeof(expected) / sizeof(expected[0]),
                (const char *const[]){"-DN=32", "-DN=64", "-DN=200"});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_loops_cost_what_their_shape_costs),
        cmocka_unit_test(a_shrinking_distance_ends_a_loop),
        cmocka_unit_test(a_counter_by_a_step_reaches_an_exact_end),
        cmocka_unit_test(inner_bounds_from_outer_counters_or_data),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bpf_compile_cleanup();
    return rc;
}
