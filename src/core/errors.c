/* Small tools of the core: error messages into a caller's buffer, growing arrays. */
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

int core_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

int core_grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t grown = *cap ? *cap * 2 : 16;
    void *more = realloc(*items, grown * size);
    if (!more)
        return -ENOMEM;
    *items = more;
    *cap = grown;
    return 0;
}
