/* What the libFuzzer targets of tests/fuzz share. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        fuzz_fail("out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fuzz_require_reason(const char *what, const char *msg, size_t cap)
{
    size_t len = strnlen(msg, cap);
    if (len == cap)
        fuzz_fail("%s failed with a message that is not NUL-terminated", what);
    if (len == 0)
        fuzz_fail("%s failed without saying why", what);
}
