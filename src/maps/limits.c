/*
 * What map creation refuses, and the sentence that says why.
 *
 * The rules are eBPF for Windows' (its ebpf_maps.c): keys, values and
 * entries must not be empty where a type has them, one map's storage is
 * at most 128 GiB, and there is no limit of Linux's kmalloc (4 MiB per
 * value), per-CPU unit (32 KiB per value) or stack (512-byte hash keys).
 * Flags keep Linux's values and checks. Each type's check in its own
 * file adds its shape (key sizes, fixed value sizes, ring sizes).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "maps/internal.h"

int map_refuse(const struct map_params *p, int err, const char *fmt, ...)
{
    if (p->why && p->why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why, p->why_len, fmt, ap);
        va_end(ap);
    }
    return err;
}

void map_refuse_prefix(const struct map_params *p, const char *prefix)
{
    if (!p->why || !p->why_len)
        return;
    size_t have = strnlen(p->why, p->why_len - 1), add = strlen(prefix);
    if (add >= p->why_len)
        return;
    if (have > p->why_len - 1 - add)
        have = p->why_len - 1 - add;
    memmove(p->why + add, p->why, have);
    memcpy(p->why, prefix, add);
    p->why[add + have] = '\0';
}

/* Unknown bits, or read-only and write-only together, are -EINVAL as on Linux. */
int map_check_flags(const struct map_params *p, uint32_t allowed)
{
    uint32_t flags = p->map_flags;
    if (flags & ~allowed)
        return map_refuse(p, -EINVAL, "map flags %#x: %#x is not a flag of this map type (it takes %#x)",
                          flags, flags & ~allowed, allowed);
    if ((flags & MAP_F_RDONLY) && (flags & MAP_F_WRONLY))
        return map_refuse(p, -EINVAL, "map flags %#x: read-only and write-only together", flags);
    if ((flags & MAP_F_RDONLY_PROG) && (flags & MAP_F_WRONLY_PROG))
        return map_refuse(p, -EINVAL, "map flags %#x: read-only and write-only for programs together",
                          flags);
    return 0;
}

int map_check_counts(const struct map_params *p, bool value_needed)
{
    if (!p->max_entries)
        return map_refuse(p, -EINVAL, "max_entries is 0; a map holds at least 1 entry");
    if (value_needed && !p->value_size)
        return map_refuse(p, -EINVAL, "value size is 0; this map type needs at least 1 byte");
    return 0;
}

int map_check_storage(const struct map_params *p, uint64_t entries, uint64_t entry_size)
{
    uint64_t total;
    if (__builtin_mul_overflow(entries, entry_size, &total) || total > MAP_STORAGE_MAX)
        return map_refuse(p, -E2BIG,
                          "%llu entries of %llu bytes exceed the limit of %llu bytes (128 GiB) "
                          "on one map's storage",
                          (unsigned long long)entries, (unsigned long long)entry_size,
                          (unsigned long long)MAP_STORAGE_MAX);
    return 0;
}

/* Linux's rule for object names: up to 15 of [A-Za-z0-9_.]. */
int map_check_name(const struct map_params *p)
{
    if (!p->name)
        return 0;
    size_t n = strnlen(p->name, MAP_NAME_LEN);
    if (n == MAP_NAME_LEN)
        return map_refuse(p, -EINVAL, "name '%.*s...' is longer than %d characters", MAP_NAME_LEN - 1,
                          p->name, MAP_NAME_LEN - 1);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p->name[i]) && p->name[i] != '_' && p->name[i] != '.')
            return map_refuse(p, -EINVAL, "name '%s' may hold only letters, digits, '_' and '.'", p->name);
    return 0;
}
