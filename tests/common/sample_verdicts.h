/* Verdicts of "sample"-type programs in tests/verify/progs: each program of
 * an object accepted, or refused for an expected reason naming its source
 * line. */
#ifndef BPFHOST_TESTS_SAMPLE_VERDICTS_H
#define BPFHOST_TESTS_SAMPLE_VERDICTS_H

#include <stdbool.h>
#include <stddef.h>

#include "verify/verify.h"

/* One program and its expected verdict: reason NULL means accepted, else a fragment of the rejection. */
struct sample_verdict {
    const char *function, *reason;
};

/*
 * Compiles tests/verify/progs/NAME.c (with the sample type's headers and
 * the NULL-terminated extra clang flags), verifies each listed program
 * with the sample type's profile (pointer leaks allowed if leaks), stores
 * each result's instructions interpreted in work[i] (if work) and prints
 * every wrong verdict. Returns true if all are right; the object must hold
 * exactly the listed programs.
 */
bool sample_verdicts_check(const char *name, const char *const *extra, const struct sample_verdict *expected,
                           size_t count, bool leaks, size_t *work);

#endif
