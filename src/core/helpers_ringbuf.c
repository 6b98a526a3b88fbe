/*
 * Ring-buffer helpers. The run keeps the records the program reserved:
 * only those are accessible to it and only those may be submitted or
 * discarded, so a forged pointer never reaches the ring's header logic.
 * A run holds at most CORE_RUN_RESV_MAX open reservations (the verifier
 * Linux has bounds them as well); records left open are discarded when
 * the run ends.
 */
#include <errno.h>
#include <string.h>

#include "core/internal.h"

static struct map *ring(struct exec_env *env, uint64_t ptr)
{
    struct map *map = core_run_map(core_run_of(env), ptr);
    return map && map_type(map) == BPF_MAP_TYPE_RINGBUF ? map : NULL;
}

CORE_HELPER(core_helper_ringbuf_output)
{
    (void)r5;
    struct map *map = ring(env, r1);
    if (!map)
        return (uint64_t)-EINVAL;
    const void *data = exec_env_mem(env, r2, r3, EXEC_READ);
    if (!data && r3)
        return (uint64_t)-EFAULT;
    return (uint64_t)ringbuf_output(map, data, r3, r4);
}

CORE_HELPER(core_helper_ringbuf_reserve)
{
    (void)r4, (void)r5;
    struct core_run *run = core_run_of(env);
    struct map *map = ring(env, r1);
    if (!map || run->resv_count == CORE_RUN_RESV_MAX)
        return 0;
    uint8_t *rec = ringbuf_reserve(map, r2, r3);
    if (rec)
        run->resv[run->resv_count++] = (struct core_resv){rec, r2};
    return (uintptr_t)rec;
}

/* Submits or discards (done) the record at ptr if it is one of the run's open reservations. */
static uint64_t close_record(struct exec_env *env, uint64_t ptr, uint64_t flags, void (*done)(void *, uint64_t))
{
    struct core_run *run = core_run_of(env);
    for (size_t i = 0; i < run->resv_count; i++) {
        if ((uintptr_t)run->resv[i].rec != ptr)
            continue;
        void *rec = run->resv[i].rec;
        memmove(&run->resv[i], &run->resv[i + 1], (run->resv_count - i - 1) * sizeof(run->resv[0]));
        run->resv_count--;
        done(rec, flags);
        break;
    }
    return 0;
}

CORE_HELPER(core_helper_ringbuf_submit)
{
    (void)r3, (void)r4, (void)r5;
    return close_record(env, r1, r2, ringbuf_submit);
}

CORE_HELPER(core_helper_ringbuf_discard)
{
    (void)r3, (void)r4, (void)r5;
    return close_record(env, r1, r2, ringbuf_discard);
}

CORE_HELPER(core_helper_ringbuf_query)
{
    (void)r3, (void)r4, (void)r5;
    struct map *map = ring(env, r1);
    return map ? ringbuf_query(map, r2) : 0;
}
