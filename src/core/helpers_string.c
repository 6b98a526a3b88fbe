/* Linux's string helpers (bpf_strncmp, bpf_snprintf) and bpf_loop. */
#include <errno.h>
#include <string.h>

#include "core/internal.h"

#define ERR(e) ((uint64_t)(int64_t)-(e))

enum {
    SNPRINTF_MAX_ARGS = 12, /* MAX_BPRINTF_VARARGS */
    FMT_MAX = 1024,         /* longest format string accepted */
    LOOP_MAX = 1 << 23,     /* BPF_MAX_LOOPS */
};

/* strncmp(s1, s2, s1_sz), s2 a NUL-terminated string; -1, 0 or 1. */
CORE_HELPER(core_helper_strncmp)
{
    (void)r4, (void)r5;
    const char *s1 = exec_env_mem(env, r1, r2, EXEC_READ);
    if (!s1 && r2)
        return ERR(EFAULT);
    if (core_env_strlen(env, r3, r2) < 0)
        return ERR(EFAULT);
    int c = strncmp(s1 ? s1 : "", (const char *)(uintptr_t)r3, r2);
    return (uint64_t)(int64_t)(c < 0 ? -1 : c > 0);
}

/* Returns the bytes the whole output needs, NUL included (Linux's contract). */
CORE_HELPER(core_helper_snprintf)
{
    if (r5 % 8 || r5 > SNPRINTF_MAX_ARGS * 8)
        return ERR(EINVAL);
    char *out = r2 ? exec_env_mem(env, r1, r2, EXEC_WRITE) : NULL;
    const void *data = r5 ? exec_env_mem(env, r4, r5, EXEC_READ) : NULL;
    long fmt_len = core_env_strlen(env, r3, FMT_MAX);
    if ((r2 && !out) || (r5 && !data) || fmt_len < 0)
        return ERR(EFAULT);
    if (fmt_len == FMT_MAX)
        return ERR(EINVAL);
    uint64_t args[SNPRINTF_MAX_ARGS];
    if (r5)
        memcpy(args, data, r5); /* the program's array need not be aligned */
    long n = core_format(env, out, r2, (const char *)(uintptr_t)r3, args, r5 / 8);
    return n < 0 ? (uint64_t)n : (uint64_t)n + 1;
}

/* Calls the callback with (index, ctx) until it returns non-zero; returns the calls made. */
CORE_HELPER(core_helper_loop)
{
    (void)r5;
    uint32_t loops = (uint32_t)r1;
    if (r4)
        return ERR(EINVAL);
    if (loops > LOOP_MAX)
        return ERR(E2BIG);
    for (uint32_t i = 0; i < loops; i++) {
        uint64_t ret;
        if (exec_env_call_function(env, r2, i, r3, 0, 0, 0, &ret) != 0)
            return ERR(EINVAL); /* the program stops with the callback's error */
        if (ret)
            return i + 1;
    }
    return loops;
}
