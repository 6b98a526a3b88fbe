/*
 * Per-CPU values: how many CPUs there are, and copying between one
 * element's CPU slots and a caller's buffer.
 *
 * An element of a per-CPU map holds map_nr_cpus() slots, each
 * round_up(value_size, 8) bytes, the layout user space also sees.
 * Programs address only one slot: that of the CPU slot their run holds
 * (cpu_slots.c), which no other run uses until this one ends, whichever
 * CPU its thread is preempted or migrated to meanwhile, as in the kernel.
 * A caller holding no slot (user space calling the program path) gets the
 * slot of the CPU it runs on, shared with whoever else runs there.
 * User space (MAP_CALLER_USER) reads and writes every slot at once, not
 * synchronised with runs, as Linux's syscalls.
 */
#include <pthread.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "maps/internal.h"

static unsigned nr_cpus;
static pthread_once_t nr_cpus_once = PTHREAD_ONCE_INIT;

static void count_cpus(void)
{
    int n = get_nprocs_conf();
    nr_cpus = n > 0 ? (unsigned)n : 1;
}

unsigned map_nr_cpus(void)
{
    pthread_once(&nr_cpus_once, count_cpus);
    return nr_cpus;
}

void percpu_store(void *slots, const void *src, uint32_t value_size, enum map_caller who,
                  bool fresh)
{
    size_t stride = round8(value_size);
    unsigned n = map_nr_cpus();
    if (who == MAP_CALLER_USER) {
        /* Copy value by value: the caller's padding must not reach the map. */
        for (unsigned cpu = 0; cpu < n; cpu++)
            memcpy((char *)slots + cpu * stride, (const char *)src + cpu * stride, value_size);
        return;
    }
    /* A program creating an element sets its own CPU's value, zeroes the rest. */
    if (fresh)
        memset(slots, 0, n * stride);
    memcpy((char *)slots + map_this_cpu() * stride, src, value_size);
}

void percpu_load(void *dst, const void *slots, uint32_t value_size)
{
    /* Padding in the map is never written, so it reads back as zeroes. */
    memcpy(dst, slots, (size_t)map_nr_cpus() * round8(value_size));
}
