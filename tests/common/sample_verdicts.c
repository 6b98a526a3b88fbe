/* See sample_verdicts.h. */
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
#include "common/sample_verdicts.h"
#include "core/core.h"

/* What is wrong with res for expected (NULL: nothing); file names the source the line must be in. */
static const char *wrong(const struct sample_verdict *expected, const struct verify_result *res, const char *file)
{
    if (!expected->reason)
        return res->accepted ? NULL : "rejected";
    if (res->accepted)
        return "accepted";
    if (!strstr(res->message, expected->reason))
        return "refused for another reason";
    if (!res->has_line || !strstr(res->line.file, file))
        return "refused without a source line";
    return NULL;
}

bool sample_verdicts_check(const char *name, const char *const *extra, const struct sample_verdict *expected,
                           size_t count, bool leaks, size_t *work)
{
    int rc = core_register_sample_type();
    assert_true(rc == 0 || rc == -EEXIST);
    const char *flags[8] = {NULL};
    char include[4200], file[64];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    snprintf(file, sizeof(file), "%s.c", name);
    flags[0] = include;
    for (size_t i = 0; extra && extra[i] && i + 2 < sizeof(flags) / sizeof(flags[0]); i++)
        flags[i + 1] = extra[i];
    char *path = bpf_compile("tests/verify/progs", name, flags);
    assert_non_null(path);
    struct bpf_elf_object *elf;
    char err[512];
    assert_int_equal(bpf_elf_open_file(path, &elf, err, sizeof(err)), 0);
    assert_int_equal(elf->program_count, count);
    struct core_profile profile;
    assert_int_equal(core_profile_init(&profile, core_prog_type_find_by_name("sample")), 0);
    profile.profile.allow_pointer_leaks = leaks;
    bool ok = true;
    for (size_t e = 0; e < count; e++) {
        const struct bpf_elf_program *p = bpf_elf_find_program(elf, expected[e].function);
        if (!p)
            fail_msg("%s: not in %s", expected[e].function, file);
        struct verify_result res;
        assert_int_equal(core_verify_elf_program(elf, (size_t)(p - elf->programs), &profile.profile, NULL, &res), 0);
        if (work)
            work[e] = res.insns_processed;
        const char *what = wrong(&expected[e], &res, file);
        print_message("%s %s: %s after %zu instructions%s%s%s%s\n", file, expected[e].function,
                      res.accepted ? "accepted" : "rejected", res.insns_processed, res.accepted ? "" : ": ",
                      res.accepted ? "" : res.message, what ? " -- WRONG: " : "", what ? what : "");
        ok &= !what;
    }
    core_profile_free(&profile);
    bpf_elf_close(elf);
    free(path);
    return ok;
}
