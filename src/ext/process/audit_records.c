/*
 * Execve events assembled from the kernel's audit records (see audit.h).
 * A record's text is "audit(SECONDS.MILLIS:SERIAL): key=value ...", one
 * event's records share the serial and the event ends with an EOE record;
 * records of different events may interleave. Values the kernel considers
 * untrusted (arguments, comm, exe, cwd, path names) are "quoted" when they
 * hold only printable characters other than '"' and space, else written
 * as hex digits; an argument too long for one record is split as
 * aN_len=LEN aN[0]=... aN[1]=..., each piece quoted or hex on its own, and
 * the pieces may go on in the next EXECVE record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "ext/process/audit.h"
#include "ext/process/exec_target.h"

enum {
    ARCH_X86_64 = 0xc000003e,
    ARCH_I386 = 0x40000003,
};

/* A field's value into a NUL-terminated string field (cut to fit); "(null)" and "(none)" are empty. */
static void decode_string(const char *value, size_t len, char *out, size_t cap)
{
    long n = 0;
    if (!(len == 6 && (memcmp(value, "(null)", 6) == 0 || memcmp(value, "(none)", 6) == 0)))
        n = audit_decode_value(value, len, out, cap - 1);
    out[n < 0 ? 0 : (size_t)n < cap - 1 ? (size_t)n : cap - 1] = '\0';
}

static uint64_t number(const char *value, size_t len, int base)
{
    char buf[32];
    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, value, len);
    buf[len] = '\0';
    return strtoull(buf, NULL, base);
}

/* The next "key=value" of [*p, end): false at the end. Values may be "quoted" or 'quoted' (with spaces). */
static bool next_field(const char **p, const char *end, const char **key, size_t *klen, const char **val,
                       size_t *vlen)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\n' || *s == '\0'))
        s++;
    if (s >= end)
        return false;
    const char *eq = memchr(s, '=', (size_t)(end - s));
    const char *space = memchr(s, ' ', (size_t)(end - s));
    if (!eq || (space && space < eq)) { /* a word without a value: skip it */
        *key = s, *klen = 0, *val = s, *vlen = 0;
        *p = space ? space : end;
        return true;
    }
    *key = s;
    *klen = (size_t)(eq - s);
    const char *v = eq + 1, *e = v;
    if (v < end && (*v == '"' || *v == '\'')) {
        const char *close = memchr(v + 1, *v, (size_t)(end - v - 1));
        e = close ? close + 1 : end;
    } else {
        while (e < end && *e != ' ' && *e != '\n' && *e != '\0')
            e++;
    }
    *val = v;
    *vlen = (size_t)(e - v);
    *p = e;
    return true;
}

static bool key_is(const char *key, size_t klen, const char *name)
{
    return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

/* The serial of "audit(S.MS:SERIAL): " and where the fields start; false if not a record. */
static bool header(const char *text, size_t len, uint64_t *serial, const char **fields)
{
    const char *end = text + len;
    if (len < 8 || memcmp(text, "audit(", 6) != 0)
        return false;
    const char *colon = memchr(text, ':', len), *close = memchr(text, ')', len);
    if (!colon || !close || close < colon)
        return false;
    *serial = number(colon + 1, (size_t)(close - colon - 1), 10);
    *fields = close + 1 < end && close[1] == ':' ? close + 2 : close + 1;
    return true;
}

/* The index of serial's event in pending (newest first: records come soon after their SYSCALL), or -1. */
static long find(const struct audit_assembler *a, uint64_t serial)
{
    for (size_t i = a->count; i-- > 0;)
        if (a->pending[i]->serial == serial)
            return (long)i;
    return -1;
}

static void release(struct audit_assembler *a, size_t i)
{
    free(a->pending[i]->args);
    free(a->pending[i]);
    memmove(&a->pending[i], &a->pending[i + 1], (a->count - i - 1) * sizeof(a->pending[0]));
    a->count--;
}

void audit_assembler_free(struct audit_assembler *a)
{
    while (a->count)
        release(a, 0);
}

/* A new event (taking x over); the oldest unfinished one goes if all slots are taken. */
static void start_event(struct audit_assembler *a, struct audit_exec *x)
{
    if (a->count == AUDIT_PENDING_MAX) {
        release(a, 0);
        a->dropped++;
    }
    a->pending[a->count++] = x;
}

static void on_syscall(struct audit_assembler *a, uint64_t serial, const char *p, const char *end)
{
    const char *key, *val;
    size_t klen, vlen;
    uint64_t arch = 0, nr = 0;
    struct audit_exec *x = calloc(1, sizeof(*x));
    if (!x) {
        a->dropped++;
        return;
    }
    while (next_field(&p, end, &key, &klen, &val, &vlen)) {
        if (key_is(key, klen, "arch"))
            arch = number(val, vlen, 16);
        else if (key_is(key, klen, "syscall"))
            nr = number(val, vlen, 10);
        else if (key_is(key, klen, "success"))
            x->success = vlen == 3 && memcmp(val, "yes", 3) == 0;
        else if (key_is(key, klen, "pid"))
            x->pid = (uint32_t)number(val, vlen, 10);
        else if (key_is(key, klen, "ppid"))
            x->ppid = (uint32_t)number(val, vlen, 10);
        else if (key_is(key, klen, "uid"))
            x->uid = (uint32_t)number(val, vlen, 10);
        else if (key_is(key, klen, "gid"))
            x->gid = (uint32_t)number(val, vlen, 10);
        else if (key_is(key, klen, "comm"))
            decode_string(val, vlen, x->comm, sizeof(x->comm));
        else if (key_is(key, klen, "exe"))
            decode_string(val, vlen, x->exe, sizeof(x->exe));
    }
    bool exec = (arch == ARCH_X86_64 && (nr == 59 || nr == 322)) || (arch == ARCH_I386 && (nr == 11 || nr == 358));
    if (!exec || !x->success) {
        free(x);
        return;
    }
    x->serial = serial;
    x->cur_arg = -1;
    start_event(a, x);
}

/* Appends one argument's piece (a value as written) to x's joined arguments (reserve() made room, up to the maximum). */
static void append_piece(struct audit_exec *x, int arg, const char *val, size_t vlen)
{
    if (arg != x->cur_arg) {
        x->cur_arg = arg;
        x->args_seen++;
        if (arg > 0 && !x->truncated) {
            if (x->args_len == x->args_cap)
                x->truncated = true;
            else
                x->args[x->args_len++] = ' ';
        }
    }
    if (x->truncated)
        return;
    size_t room = x->args_cap - x->args_len;
    long n = audit_decode_value(val, vlen, x->args + x->args_len, room);
    if (n < 0)
        return;
    if ((size_t)n > room) {
        x->truncated = true;
        n = (long)room;
    }
    x->args_len += (size_t)n;
}

/* Grows x's argument buffer to hold n more bytes (up to the kept maximum); false if out of memory. */
static bool reserve(struct audit_exec *x, size_t n)
{
    size_t want = x->args_len + n + 1 < EXT_COMMAND_LINE_MAX ? x->args_len + n + 1 : EXT_COMMAND_LINE_MAX;
    if (want <= x->args_cap)
        return true;
    size_t cap = x->args_cap ? x->args_cap : 256;
    while (cap < want)
        cap *= 2;
    char *grown = realloc(x->args, cap);
    if (!grown)
        return false;
    x->args = grown;
    x->args_cap = cap;
    return true;
}

static void on_execve(struct audit_exec *x, const char *p, const char *end)
{
    const char *key, *val;
    size_t klen, vlen;
    while (next_field(&p, end, &key, &klen, &val, &vlen)) {
        if (key_is(key, klen, "argc")) {
            x->argc = (uint32_t)number(val, vlen, 10);
            continue;
        }
        if (klen < 2 || key[0] != 'a' || key[1] < '0' || key[1] > '9')
            continue;
        char *after;
        char idx[16];
        size_t il = klen - 1 < sizeof(idx) - 1 ? klen - 1 : sizeof(idx) - 1;
        memcpy(idx, key + 1, il);
        idx[il] = '\0';
        long arg = strtol(idx, &after, 10);
        if (*after == '_') /* aN_len: the pieces that follow tell the same */
            continue;
        if ((*after != '\0' && *after != '[') || arg < 0 || arg > INT32_MAX)
            continue;
        /* Room for the decoded piece and a space: a quoted value is as long as written, hex half. */
        if (reserve(x, vlen + 1))
            append_piece(x, (int)arg, val, vlen);
        else
            x->truncated = true;
    }
}

static void on_path(struct audit_exec *x, const char *p, const char *end)
{
    const char *key, *val;
    size_t klen, vlen;
    char name[PATH_MAX] = "";
    uint64_t item = UINT64_MAX, ino = 0, dev = 0;
    while (next_field(&p, end, &key, &klen, &val, &vlen)) {
        if (key_is(key, klen, "item"))
            item = number(val, vlen, 10);
        else if (key_is(key, klen, "name"))
            decode_string(val, vlen, name, sizeof(name));
        else if (key_is(key, klen, "inode"))
            ino = number(val, vlen, 10);
        else if (key_is(key, klen, "dev")) {
            const char *colon = memchr(val, ':', vlen);
            if (colon)
                dev = makedev((unsigned)number(val, (size_t)(colon - val), 16),
                              (unsigned)number(colon + 1, (size_t)(val + vlen - colon - 1), 16));
        }
    }
    if (item != 0)
        return;
    memcpy(x->name, name, sizeof(name));
    x->ino = ino;
    x->dev = dev;
}

int audit_assembler_record(struct audit_assembler *a, unsigned type, const char *text, size_t len,
                           audit_exec_fn *done, void *arg)
{
    uint64_t serial;
    const char *p, *end = text + len;
    if (!header(text, len, &serial, &p))
        return -EINVAL;
    if (type == AUDIT_SYSCALL) {
        on_syscall(a, serial, p, end);
        return 0;
    }
    long i = find(a, serial);
    if (i < 0)
        return 0;
    struct audit_exec *x = a->pending[i];
    if (type == AUDIT_EXECVE) {
        on_execve(x, p, end);
    } else if (type == AUDIT_PATH) {
        on_path(x, p, end);
    } else if (type == AUDIT_CWD) {
        const char *key, *val;
        size_t klen, vlen;
        while (next_field(&p, end, &key, &klen, &val, &vlen))
            if (key_is(key, klen, "cwd"))
                decode_string(val, vlen, x->cwd, sizeof(x->cwd));
    } else if (type == AUDIT_EOE) {
        done(arg, x);
        release(a, (size_t)i);
    }
    return 0;
}
