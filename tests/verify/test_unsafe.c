/*
 * The programs of tests/verify/progs/unsafe.c each break one rule the
 * interpreter used to enforce only at run time; the verifier must refuse
 * every one of them at load, for that rule, naming its source line.
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
    const char *function, *reason;
} expected[] = {
    {"repoint", "packet pointer field"},
    {"helper_writes_pid", "not writable"},
    {"copy_whole", "packet pointer field"},
    {"forged_map", "must be a map"},
    {"forged_key", "pointer to the key"},
    {"forged_buffer", "pointer to memory"},
    {"oversized_buffer", "outside the frame"},
    {"beyond_data", "packet end pointer"},
    {"ctx_helper_forged", "context pointer"},
    {"readonly_store", "read-only map"},
    {"write_rodata", "read-only map"},
    {"leak", "never submitted"},
    {"use_after_submit", "used before it is set"},
    {"forged_submit", "reserved ring-buffer record"},
    {"wrong_map", "cannot work on map"},
    {"hoard", "never submitted"},
    {"tail_call_wrong_map", "cannot work on map"},
    {"delete_slot", "cannot work on map"},
    {"return_map", "revealing a host address"},
    {"store_pointer", "reveal a host address"},
};
enum { EXPECTED = sizeof(expected) / sizeof(expected[0]) };

static void every_unsafe_program_is_refused_for_its_rule(void **state)
{
    (void)state;
    int rc = core_register_sample_type();
    assert_true(rc == 0 || rc == -EEXIST);
    char include[4200];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    char *path = bpf_compile("tests/verify/progs", "unsafe", (const char *const[]){include, NULL});
    assert_non_null(path);
    struct bpf_elf_object *elf;
    char err[512];
    assert_int_equal(bpf_elf_open_file(path, &elf, err, sizeof(err)), 0);
    assert_int_equal(elf->program_count, EXPECTED);
    struct core_profile profile;
    assert_int_equal(core_profile_init(&profile, core_prog_type_find_by_name("sample")), 0);
    for (size_t i = 0; i < elf->program_count; i++) {
        const char *name = elf->programs[i].name, *reason = NULL;
        for (size_t e = 0; e < EXPECTED; e++)
            if (!strcmp(expected[e].function, name))
                reason = expected[e].reason;
        if (!reason)
            fail_msg("%s: no expected reason", name);
        struct verify_result res;
        assert_int_equal(core_verify_elf_program(elf, i, &profile.profile, NULL, &res), 0);
        if (res.accepted)
            fail_msg("%s: accepted", name);
        if (!strstr(res.message, reason))
            fail_msg("%s: refused for another reason: %s", name, res.message);
        if (!res.has_line || !strstr(res.line.file, "unsafe.c"))
            fail_msg("%s: no source line", name);
    }
    core_profile_free(&profile);
    bpf_elf_close(elf);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_unsafe_program_is_refused_for_its_rule),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bpf_compile_cleanup();
    return rc;
}
