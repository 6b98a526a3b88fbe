/*
 * Format strings are checked at load (tests/verify/progs/formats.c): each
 * conversion against its value (a pointer printed as a number or an
 * address, a number read as a string), the count of values, the data
 * size, unknown conversions. The accepted programs match every conversion.
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

static void every_format_gets_its_verdict(void **state)
{
    (void)state;
    int rc = core_register_sample_type();
    assert_true(rc == 0 || rc == -EEXIST);
    char include[4200];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    char *path = bpf_compile("tests/verify/progs", "formats", (const char *const[]){include, NULL});
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
        if (!expected[e].reason) {
            if (!res.accepted)
                fail_msg("%s: rejected: %s", expected[e].function, res.message);
            continue;
        }
        if (res.accepted)
            fail_msg("%s: accepted", expected[e].function);
        if (!strstr(res.message, expected[e].reason))
            fail_msg("%s: refused for another reason: %s", expected[e].function, res.message);
        if (!res.has_line || !strstr(res.line.file, "formats.c"))
            fail_msg("%s: no source line", expected[e].function);
    }
    /* Linux's privileged mode prints addresses. */
    profile.profile.allow_pointer_leaks = true;
    const struct bpf_elf_program *p = bpf_elf_find_program(elf, "pointer_as_number");
    struct verify_result res;
    assert_int_equal(core_verify_elf_program(elf, (size_t)(p - elf->programs), &profile.profile, NULL, &res), 0);
    assert_true(res.accepted);
    core_profile_free(&profile);
    bpf_elf_close(elf);
    free(path);
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
