/*
 * The bpf_conformance vectors, every one: assemble the "-- asm" text, run it
 * in the interpreter with the suite's helpers and input memory, compare r0
 * with "-- result" (or the failure with "-- error").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/conformance_file.h"
#include "isa/isa.h"
#include "tools/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_vector(void **state)
{
    const char *path = *state;
    struct conformance_case c;
    assert_int_equal(conformance_case_load(path, &c), 0);
    struct ebpf_insn *insns = NULL;
    size_t count = 0;
    struct isa_error aerr;
    if (isa_assemble(c.asm_text, &insns, &count, &aerr) != 0)
        fail_msg("%s: line %zu: %s", c.name, aerr.pc, aerr.msg);
    uint64_t r0 = 0;
    char err[256] = "";
    int rc = conformance_run(insns, count, c.mem, c.mem_len, &r0, err, sizeof(err));
    if (c.error) {
        if (rc == 0)
            fail_msg("%s: expected error \"%s\", got r0 = 0x%llx", c.name, c.error, (unsigned long long)r0);
    } else {
        if (rc != 0)
            fail_msg("%s: %s", c.name, err);
        if (r0 != c.result)
            fail_msg("%s: r0 = 0x%llx, expected 0x%llx", c.name, (unsigned long long)r0,
                     (unsigned long long)c.result);
    }
    free(insns);
    conformance_case_free(&c);
}

int main(void)
{
    char **paths;
    int n = conformance_list(&paths);
    if (n <= 0) {
        fprintf(stderr, "no conformance vectors found in %s\n", conformance_dir());
        return 1;
    }
    struct CMUnitTest *tests = calloc((size_t)n, sizeof(*tests));
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        tests[i] = (struct CMUnitTest){.name = base ? base + 1 : paths[i], .test_func = run_vector,
                                       .initial_state = paths[i]};
    }
    int failed = _cmocka_run_group_tests("conformance", tests, (size_t)n, NULL, NULL);
    printf("conformance: %d/%d vectors pass in the interpreter\n", n - failed, n);
    free(tests);
    conformance_list_free(paths, n);
    return failed ? 1 : 0;
}
