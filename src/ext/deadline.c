/*
 * The deadline of a create that holds an exec (the deny sources): how long
 * the attached programs may take before the source answers anyway, and
 * what it answers then. One setting for the process; read at each event.
 */
#include <errno.h>
#include <stdatomic.h>

#include "ext/internal.h"

static _Atomic unsigned deadline_ms = EXT_DEADLINE_DEFAULT_MS;
static _Atomic bool fail_closed;

int ext_process_set_deadline(const struct ext_deadline *d)
{
    if (!d)
        return -EINVAL;
    if (d->ms == 0 || d->ms > EXT_DEADLINE_MAX_MS)
        return -ERANGE;
    atomic_store(&deadline_ms, d->ms);
    atomic_store(&fail_closed, d->fail_closed);
    return 0;
}

void ext_process_get_deadline(struct ext_deadline *d)
{
    d->ms = atomic_load(&deadline_ms);
    d->fail_closed = atomic_load(&fail_closed);
}

uint64_t ext_deadline_from_now(void)
{
    return ext_monotonic_ns() + (uint64_t)atomic_load(&deadline_ms) * 1000000u;
}
