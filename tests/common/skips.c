/* Skips that show (see skips.h). */
#include "common/skips.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>

void test_skip_check(const char *check, const char *reason)
{
    fprintf(stderr, "SKIPPED: %s: %s: %s\n", program_invocation_short_name, check, reason);
    fflush(stderr);
}

void test_skip_named(const char *test, const char *reason)
{
    test_skip_check(test, reason);
    skip();
}
