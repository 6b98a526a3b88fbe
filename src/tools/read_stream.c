/* Reading a whole stream into memory. */
#include "tools/tools.h"

#include <stdlib.h>

char *tools_read_stream(FILE *f, size_t *len)
{
    size_t cap = 4096, used = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + used, 1, cap - used - 1, f)) > 0) {
        used += n;
        if (used + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    if (buf) {
        buf[used] = '\0';
        if (len)
            *len = used;
    }
    return buf;
}
