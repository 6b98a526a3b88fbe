/* Assertions the tests share beyond cmocka's own. */
#include "common/assertions.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

void assert_contains(const char *text, const char *fragment)
{
    if (!strstr(text, fragment))
        fail_msg("expected \"%s\" in:\n%s", fragment, text);
}
