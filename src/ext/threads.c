/* What the event sources' threads share: timed waits on CLOCK_MONOTONIC, waking a reader. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ext/internal.h"

void ext_monotonic_cond_init(pthread_mutex_t *mutex, pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(mutex, NULL);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

struct timespec ext_timespec_of(uint64_t ns)
{
    return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
}

void ext_wake(int fd, const char *trace_prefix)
{
    uint64_t one = 1;
    while (write(fd, &one, sizeof(one)) < 0) {
        if (errno != EINTR) {
            core_trace_printf("%scannot wake the reader: %s", trace_prefix, strerror(errno));
            return;
        }
    }
}
