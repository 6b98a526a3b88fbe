/* Messages of the library: one callback, replaceable at any time. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>

#include "api/internal.h"

/* As libbpf's default: warnings and info to stderr, debug nowhere. */
static int print_to_stderr(enum libbpf_print_level level, const char *format, va_list args)
{
    return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, format, args);
}

static _Atomic(libbpf_print_fn_t) print_fn = print_to_stderr;

libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn)
{
    return atomic_exchange(&print_fn, fn);
}

/* Calls fn with a va_list of its own arguments. */
static void call(libbpf_print_fn_t fn, enum libbpf_print_level level, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fn(level, format, args);
    va_end(args);
}

void api_print(enum libbpf_print_level level, const char *fmt, ...)
{
    libbpf_print_fn_t fn = atomic_load(&print_fn);
    if (!fn)
        return;
    int saved = errno;
    char message[2048];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    call(fn, level, "bpfhost: %s\n", message);
    errno = saved;
}
