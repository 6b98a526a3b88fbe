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

void assert_no_terminal_controls(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f || *p == 0xff)
            fail_msg("raw byte 0x%02x at %zu of:\n%s", *p, (size_t)(p - (const unsigned char *)text), text);
}
