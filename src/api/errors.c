/*
 * libbpf 1.x's error convention: ints carry a negative errno and set
 * errno too; pointers are NULL with errno set. And the checks of options
 * structs, which carry their own size so that callers built against an
 * older or newer header keep working.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "api/internal.h"

int api_err(int err)
{
    if (err < 0)
        errno = -err;
    return err;
}

void *api_err_ptr(int err)
{
    errno = -err;
    return NULL;
}

long libbpf_get_error(const void *ptr)
{
    return ptr ? 0 : -errno;
}

bool api_opts_valid(const void *opts, size_t known_size, const char *type_name)
{
    if (!opts)
        return true;
    size_t sz;
    memcpy(&sz, opts, sizeof(sz));
    if (sz < sizeof(size_t)) {
        api_print(LIBBPF_WARN, "%s size (%zu) is too small", type_name, sz);
        return false;
    }
    /* Fields this library does not know must be left zero. */
    for (size_t i = known_size; i < sz; i++)
        if (((const uint8_t *)opts)[i]) {
            api_print(LIBBPF_WARN, "%s has non-zero bytes beyond the %zu this library knows", type_name,
                      known_size);
            return false;
        }
    return true;
}
