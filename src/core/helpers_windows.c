/*
 * eBPF for Windows' bounded memory and string helpers (IDs from 0x8000),
 * with the semantics its bpf_helper_defs.h documents: 0 or a negative
 * errno (-EINVAL for bad sizes, -ERANGE when a string does not fit).
 */
#include <errno.h>
#include <string.h>

#include "core/internal.h"

#define ERR(e) ((uint64_t)(int64_t)-(e))

/* memmove_s, and memcpy_s too: copies source_size bytes if they fit. Moving
 * also for memcpy_s means overlapping regions never corrupt host state. */
CORE_HELPER(core_helper_memmove_s)
{
    (void)r5;
    void *dst = exec_env_mem(env, r1, r2, EXEC_WRITE);
    const void *src = exec_env_mem(env, r3, r4, EXEC_READ);
    if ((!dst && r2) || (!src && r4))
        return ERR(EFAULT);
    if (r4 > r2)
        return ERR(EINVAL);
    if (r4)
        memmove(dst, src, r4);
    return 0;
}

/* Compares the common length; if equal there, the shorter region is the smaller. */
CORE_HELPER(core_helper_memcmp_s)
{
    (void)r5;
    const void *a = exec_env_mem(env, r1, r2, EXEC_READ);
    const void *b = exec_env_mem(env, r3, r4, EXEC_READ);
    if ((!a && r2) || (!b && r4))
        return ERR(EFAULT);
    size_t n = r2 < r4 ? r2 : r4;
    int c = n ? memcmp(a, b, n) : 0;
    if (!c)
        c = (r2 > r4) - (r2 < r4);
    return (uint64_t)(int64_t)(c < 0 ? -1 : c > 0);
}

CORE_HELPER(core_helper_memset)
{
    (void)r4, (void)r5;
    void *mem = exec_env_mem(env, r1, r2, EXEC_WRITE);
    if (!mem && r2)
        return ERR(EFAULT);
    if (r2)
        memset(mem, (int)r3, r2);
    return 0;
}

/* Appends at most count characters of the string at src to dest + at, NUL-terminated within size. */
static uint64_t put_string(struct exec_env *env, char *dest, size_t at, size_t size, uint64_t src, uint64_t count)
{
    long len = core_env_strlen(env, src, count);
    if (len < 0)
        return ERR(EFAULT);
    if (at + (size_t)len >= size)
        return ERR(ERANGE);
    if (len > 0) /* src may be NULL when nothing is copied (memmove must not see it) */
        memmove(dest + at, (const char *)(uintptr_t)src, (size_t)len);
    dest[at + (size_t)len] = '\0';
    return 0;
}

CORE_HELPER(core_helper_strncpy_s)
{
    (void)r5;
    if (!r2)
        return ERR(EINVAL);
    char *dest = exec_env_mem(env, r1, r2, EXEC_WRITE);
    return dest ? put_string(env, dest, 0, r2, r3, r4) : ERR(EFAULT);
}

CORE_HELPER(core_helper_strncat_s)
{
    (void)r5;
    if (!r2)
        return ERR(EINVAL);
    char *dest = exec_env_mem(env, r1, r2, EXEC_READ | EXEC_WRITE);
    if (!dest)
        return ERR(EFAULT);
    size_t used = strnlen(dest, r2);
    if (used == r2) /* dest holds no string to append to */
        return ERR(EINVAL);
    return put_string(env, dest, used, r2, r3, r4);
}

/* 0 for a NULL string; str_size if no NUL comes first. */
CORE_HELPER(core_helper_strnlen_s)
{
    (void)r3, (void)r4, (void)r5;
    if (!r1)
        return 0;
    const char *str = exec_env_mem(env, r1, r2, EXEC_READ);
    return str ? strnlen(str, r2) : 0;
}
