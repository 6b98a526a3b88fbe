/*
 * Format strings of printf-like helpers (bpf_snprintf, bpf_trace_printk),
 * checked at load as Linux checks bpf_snprintf's: the format is read from
 * read-only map memory, each conversion parsed (unknown ones refused) and
 * matched to its value: %s and the %p forms that read memory need a
 * pointer; numbers (%d %i %u %x %X %c) and printed addresses (%p %pK %px
 * %pB) need a number, since a pointer there would print a host address
 * (unless the profile allows pointer leaks); a format may not use more
 * values than the call passes. bpf_snprintf's values are an array of
 * 8-byte slots (at most 12); a trace_printk's are its registers after the
 * format's size. A format the verifier cannot read (built on the stack)
 * is left to the run-time checks.
 */
#include <stdio.h>
#include <string.h>

#include "verify/internal.h"

enum { FORMAT_VALUES_MAX = 12 }; /* Linux's MAX_BPRINTF_VARARGS */

enum conv_kind { CONV_NUMBER, CONV_ADDRESS, CONV_MEMORY };

static const char *const kind_needs[] = {
    [CONV_NUMBER] = "a number",
    [CONV_ADDRESS] = "a number (it prints the value as an address)",
    [CONV_MEMORY] = "a pointer to memory",
};

/* Parses the conversion after a '%' at *p; returns its kind, or -1 for an unknown one. */
static int parse_conv(const char **p)
{
    const char *s = *p;
    while (*s && strchr("-+ 0#", *s))
        s++;
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    int kind = -1;
    if (*s == 'p') {
        s++;
        kind = CONV_ADDRESS;
        if (*s == 'K' || *s == 'x' || *s == 'B') {
            s++;
        } else if ((*s == 'i' || *s == 'I') && (s[1] == '4' || s[1] == '6')) {
            s += 2;
            kind = CONV_MEMORY;
        } else if ((*s == 'k' || *s == 'u') && s[1] == 's') {
            s += 2;
            kind = CONV_MEMORY;
        }
    } else if (*s == 's') {
        s++;
        kind = CONV_MEMORY;
    } else if (*s == 'c') {
        s++;
        kind = CONV_NUMBER;
    } else {
        for (int l = 0; l < 2 && *s == 'l'; l++)
            s++;
        if (*s && strchr("diuxX", *s)) {
            s++;
            kind = CONV_NUMBER;
        }
    }
    *p = s;
    return kind;
}

/* The format string r points at (its length in *len), or NULL if it cannot be read. */
static const char *format_text(const struct verifier *v, const struct vreg *r, size_t *len)
{
    if (r->type != VT_MAP_VALUE || !vnum_is_const(&r->off))
        return NULL;
    const struct verify_map *m = &v->prog->maps[r->map];
    if (!m->read_only || !m->data || r->off.umin >= m->value_size)
        return NULL;
    const char *text = (const char *)m->data + r->off.umin;
    const char *nul = memchr(text, '\0', m->value_size - r->off.umin);
    if (!nul)
        return NULL;
    *len = (size_t)(nul - text);
    return text;
}

/* What value i is, for a format's conversion: 1 a pointer, 0 a number, -1 not set. */
struct values {
    int count;          /* values the call passes */
    int8_t is_ptr[FORMAT_VALUES_MAX];
    const char *where;  /* "r3" style names, or "data" */
    int first_reg;      /* registers: the first value's */
};

/* The values of a call whose format is argument fmt_arg (0-based). */
static int values_of(struct verifier *v, const struct verify_helper *h, int fmt_arg, struct values *out)
{
    const struct vframe *f = vcur(v->cur);
    memset(out, 0, sizeof(*out));
    if (!(h->flags & VERIFY_HELPER_POINTER_DATA)) {
        /* The registers after the format and its size. */
        out->first_reg = fmt_arg + 1 + (h->args[fmt_arg + 1] == VERIFY_ARG_CONST_SIZE ||
                                        h->args[fmt_arg + 1] == VERIFY_ARG_SIZE_OR_ZERO) + 1;
        for (int r = out->first_reg; r <= 5 && h->args[r - 1] != VERIFY_ARG_NONE; r++) {
            const struct vreg *x = &f->regs[r];
            out->is_ptr[out->count++] = x->type == VT_NOT_INIT ? -1 : vtype_is_pointer(x->type);
        }
        return 0;
    }
    /* bpf_snprintf: data and its size follow the format. */
    int data = fmt_arg + 2, size = fmt_arg + 3; /* register numbers */
    const struct vreg *d = &f->regs[data], *n = &f->regs[size];
    out->where = "data";
    if (n->type != VT_SCALAR || !vnum_is_const(&n->off) || n->off.umin % 8 ||
        n->off.umin > FORMAT_VALUES_MAX * 8)
        return vfail(v, "pass an array of at most 12 u64 values and its size in bytes, a constant (sizeof(array))",
                     "%s: the data size in r%d must be a constant multiple of 8, at most %d", h->name, size,
                     FORMAT_VALUES_MAX * 8);
    out->count = (int)(n->off.umin / 8);
    for (int i = 0; i < out->count; i++) {
        out->is_ptr[i] = 0; /* map values and other memory hold numbers only */
        if (d->type != VT_STACK || !vnum_is_const(&d->off))
            continue;
        int64_t at = (int64_t)d->off.umin + EBPF_STACK_SIZE + 8 * i;
        const struct vframe *fr = v->cur->frames[d->frame];
        if (at >= 0 && at + 8 <= EBPF_STACK_SIZE && at % 8 == 0 && vslot_spilled(fr, (int)(at / 8)))
            out->is_ptr[i] = fr->spill[at / 8].type != VT_SCALAR;
        else if (at < 0 || at + 8 > EBPF_STACK_SIZE || at % 8)
            out->is_ptr[i] = -1; /* a pointer could straddle the slot: refuse by treating it as unknown */
    }
    return 0;
}

int vcheck_format(struct verifier *v, const struct verify_helper *h)
{
    int fmt_arg = -1;
    for (int a = 0; a < 5 && fmt_arg < 0; a++)
        if (h->args[a] == VERIFY_ARG_CONST_STR)
            fmt_arg = a;
    for (int a = 0; a < 5 && fmt_arg < 0; a++)
        if (h->args[a] == VERIFY_ARG_MEM_READ || h->args[a] == VERIFY_ARG_MEM_READ_OR_NULL)
            fmt_arg = a;
    if (fmt_arg < 0)
        return 0;
    const struct vreg *fr = &vcur(v->cur)->regs[fmt_arg + 1];
    size_t len = 0;
    const char *text = format_text(v, fr, &len);
    if (!text) {
        if (h->args[fmt_arg] != VERIFY_ARG_CONST_STR)
            return 0; /* a format built on the stack: the run checks each conversion */
        return vfail(v, "pass a string literal in a read-only global (static const char fmt[] = \"...\")",
                     "%s: the format string in r%d cannot be read at load (it must be a NUL-terminated constant "
                     "in read-only memory)", h->name, fmt_arg + 1);
    }
    struct values vals;
    if (values_of(v, h, fmt_arg, &vals))
        return -1;
    int used = 0;
    for (const char *p = text; p < text + len; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        const char *conv = p;
        p++;
        int kind = parse_conv(&p);
        int shown = (int)(p - conv) < 12 ? (int)(p - conv) : 12;
        if (kind < 0)
            return vfail(v, "use %d %i %u %x %X (with l or ll), %c, %s, %p, %pK, %px, %pB, %pi4/6, %pI4/6, %pks or %pus",
                         "%s: conversion %d of the format ('%.*s') is not one this helper knows", h->name, used + 1,
                         shown + 1, conv);
        if (used == vals.count)
            return vfail(v, "pass one value for every conversion of the format",
                         "%s: the format has more conversions than the %d value%s the call passes", h->name,
                         vals.count, vals.count == 1 ? "" : "s");
        int is_ptr = vals.is_ptr[used];
        bool wants_ptr = kind == CONV_MEMORY;
        char name[16];
        if (vals.where)
            snprintf(name, sizeof(name), "%s[%d]", vals.where, used);
        else
            snprintf(name, sizeof(name), "r%d", vals.first_reg + used);
        if (is_ptr < 0 && !(kind != CONV_MEMORY && v->profile->allow_pointer_leaks))
            return vfail(v, "set every value the format uses, aligned in its own 8-byte slot",
                         "%s: conversion %d ('%.*s') takes %s, which is not known to hold %s", h->name, used + 1,
                         shown, conv, name, kind_needs[kind]);
        if (is_ptr >= 0 && (bool)is_ptr != wants_ptr && !(is_ptr && v->profile->allow_pointer_leaks))
            return vfail(v, wants_ptr ? "pass a pointer to the string or memory to print"
                                      : "print numbers, never pointers: an address must not leave the program",
                         "%s: conversion %d ('%.*s') needs %s, but %s holds a %s", h->name, used + 1, shown, conv,
                         kind_needs[kind], name, is_ptr ? "pointer (it would reveal a host address)" : "number");
        used++;
    }
    return 0;
}
