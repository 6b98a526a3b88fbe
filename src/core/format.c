/*
 * The formatting behind bpf_snprintf and bpf_trace_printk. Each
 * conversion is parsed and re-checked here, then handed to the host's
 * snprintf as a single conversion of a known type, so a program's format
 * string can never make the host read an argument that is not there.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

enum { FMT_FIELD_MAX = 1024, FMT_STR_MAX = 1024 };

long core_env_strlen(struct exec_env *env, uint64_t addr, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        /* Not exec_env_mem: the verifier cannot know where a string ends, so
         * one running past what the program may read is the helper's error
         * to return, not the program's fault. */
        if (!exec_env_may_access(env, addr + i, 1, EXEC_READ))
            return -1;
        if (!*(const char *)(uintptr_t)(addr + i))
            return (long)i;
    }
    return (long)max;
}

/* Output that counts everything but stores only what fits. */
struct sink {
    char *buf;
    size_t cap;
    size_t len;
};

static int emit(struct sink *s, const char *spec, ...)
{
    size_t room = s->len < s->cap ? s->cap - s->len : 0;
    va_list ap;
    va_start(ap, spec);
    int n = vsnprintf(room ? s->buf + s->len : NULL, room, spec, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    s->len += (size_t)n;
    return 0;
}

static void put(struct sink *s, const char *text, size_t n)
{
    if (s->len < s->cap)
        memcpy(s->buf + s->len, text, n < s->cap - s->len ? n : s->cap - s->len);
    s->len += n;
}

/* A parsed conversion: "%" flags width .precision (host spelling, no type). */
struct conv {
    char head[32];
    size_t head_len;
    long precision; /* -1 if none */
    int longs;      /* 0, 1 (l) or 2 (ll) */
    char type;
};

/* Reads a decimal field of at most FMT_FIELD_MAX; -1 if larger. */
static long field(const char **p)
{
    long v = 0;
    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (*(*p)++ - '0');
        if (v > FMT_FIELD_MAX)
            return -1;
    }
    return v;
}

/* Parses the conversion after a '%'; returns the character after it, or NULL. */
static const char *parse(const char *p, struct conv *c)
{
    c->head[0] = '%';
    c->head_len = 1;
    c->precision = -1;
    c->longs = 0;
    for (int flags = 0; *p && strchr("-+ 0#", *p); p++) {
        if (++flags > 5)
            return NULL;
        c->head[c->head_len++] = *p;
    }
    const char *start = p;
    if (field(&p) < 0)
        return NULL;
    memcpy(c->head + c->head_len, start, (size_t)(p - start));
    c->head_len += (size_t)(p - start);
    if (*p == '.') {
        p++;
        if ((c->precision = field(&p)) < 0)
            return NULL;
    }
    while (*p == 'l' && c->longs < 2) {
        c->longs++;
        p++;
    }
    c->type = *p;
    if (!*p || !strchr("diuxXcsp", *p))
        return NULL;
    bool plain = c->head_len == 1 && c->precision < 0 && !c->longs;
    if ((c->type == 'p' && !plain) || ((c->type == 'c' || c->type == 's') && c->longs))
        return NULL;
    return p + 1;
}

/* Appends one conversion of arg. */
static int convert(struct exec_env *env, struct sink *s, struct conv *c, uint64_t arg)
{
    char spec[48];
    if (c->type == 'p')
        return emit(s, "0x%llx", (unsigned long long)arg);
    if (c->type == 's') {
        long n = core_env_strlen(env, arg, FMT_STR_MAX);
        if (n < 0)
            return -1;
        long prec = c->precision >= 0 && c->precision < n ? c->precision : n;
        snprintf(spec, sizeof(spec), "%.*s.*s", (int)c->head_len, c->head);
        return emit(s, spec, (int)prec, (const char *)(uintptr_t)arg);
    }
    if (c->precision >= 0)
        snprintf(spec, sizeof(spec), "%.*s.%ld%s%c", (int)c->head_len, c->head, c->precision,
                 c->type == 'c' ? "" : "ll", c->type);
    else
        snprintf(spec, sizeof(spec), "%.*s%s%c", (int)c->head_len, c->head, c->type == 'c' ? "" : "ll", c->type);
    if (c->type == 'c')
        return emit(s, spec, (int)(unsigned char)arg);
    if (c->type == 'd' || c->type == 'i') {
        long long v = c->longs ? (long long)arg : (long long)(int32_t)arg;
        return emit(s, spec, v);
    }
    unsigned long long v = c->longs ? arg : (uint32_t)arg;
    return emit(s, spec, v);
}

long core_format(struct exec_env *env, char *out, size_t len, const char *fmt, const uint64_t *args, size_t nargs)
{
    struct sink s = {out, len, 0};
    size_t used = 0;
    for (const char *p = fmt; *p;) {
        if (*p != '%') {
            const char *next = strchrnul(p, '%');
            put(&s, p, (size_t)(next - p));
            p = next;
        } else if (p[1] == '%') {
            put(&s, "%", 1);
            p += 2;
        } else {
            struct conv c;
            if (!(p = parse(p + 1, &c)) || used == nargs || convert(env, &s, &c, args[used++]) != 0)
                return -EINVAL;
        }
    }
    if (len)
        out[s.len < len ? s.len : len - 1] = '\0';
    return (long)s.len;
}
