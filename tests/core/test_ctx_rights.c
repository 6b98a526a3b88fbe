/*
 * Context rights (issue 10, part 1): a program may write only the fields
 * its type declares writable, never the data/end pair. The verifier now
 * refuses such a program at load, naming the instruction and the line; the
 * interpreter's per-byte rights stay behind it as a second line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "core_test.h"

static void repointing_the_data_pair_is_refused_at_load(void **state)
{
    (void)state;
    char include[4200];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    char *path = bpf_compile("tests/verify/progs", "unsafe", (const char *const[]){include, NULL});
    assert_non_null(path);
    struct bpf_elf_object *elf;
    char err[1024];
    assert_int_equal(bpf_elf_open_file(path, &elf, err, sizeof(err)), 0);
    struct core_object *obj = NULL;
    assert_int_equal(core_object_load(elf, NULL, &obj, err, sizeof(err)), -EINVAL);
    assert_null(obj);
    assert_non_null(strstr(err, "program 'repoint'"));
    assert_non_null(strstr(err, "unsafe.c:"));
    assert_non_null(strstr(err, "writing the context's packet pointer field"));
    bpf_elf_close(elf);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repointing_the_data_pair_is_refused_at_load),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
