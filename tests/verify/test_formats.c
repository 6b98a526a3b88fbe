/*
 * Format strings are checked at load (tests/verify/progs/formats.c): each
 * conversion against its value (a pointer printed as a number or an
 * address, a number read as a string), the count of values, the data
 * size, unknown conversions. The accepted programs match every conversion;
 * Linux's privileged mode (pointer leaks allowed) prints addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/sample_verdicts.h"

static const struct sample_verdict expected[] = {
    {"accepted_snprintf", NULL},
    {"accepted_printk", NULL},
    {"pointer_as_number", "holds a pointer"},
    {"pointer_as_address", "holds a pointer"},
    {"number_as_string", "needs a pointer to memory"},
    {"missing_value", "more conversions than the 1 value"},
    {"unknown_conversion", "is not one this helper knows"},
    {"odd_data_size", "constant multiple of 8"},
    {"printk_pointer", "holds a pointer"},
    {"printk_missing_value", "more conversions than the 0 values"},
};
enum { EXPECTED = sizeof(expected) / sizeof(expected[0]) };

/* With leaks allowed, the pointers printed are accepted; the rest is refused as before. */
static const struct sample_verdict privileged[] = {
    {"accepted_snprintf", NULL},
    {"accepted_printk", NULL},
    {"pointer_as_number", NULL},
    {"pointer_as_address", NULL},
    {"number_as_string", "needs a pointer to memory"},
    {"missing_value", "more conversions than the 1 value"},
    {"unknown_conversion", "is not one this helper knows"},
    {"odd_data_size", "constant multiple of 8"},
    {"printk_pointer", NULL},
    {"printk_missing_value", "more conversions than the 0 values"},
};

static void every_format_gets_its_verdict(void **state)
{
    (void)state;
    assert_true(sample_verdicts_check("formats", NULL, expected, EXPECTED, false, NULL));
    assert_true(sample_verdicts_check("formats", NULL, privileged, EXPECTED, true, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_format_gets_its_verdict),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bpf_compile_cleanup();
    return rc;
}
