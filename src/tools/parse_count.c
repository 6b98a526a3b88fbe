/* Numbers on the command line: digits only, so "-1" or " 5" is refused instead of wrapping around. */
#include "tools/tools.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int tools_parse_count(const char *text, unsigned long long max, unsigned long long *out)
{
    if (!isdigit((unsigned char)text[0]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno || *end || n < 1 || n > max)
        return -1;
    *out = n;
    return 0;
}
