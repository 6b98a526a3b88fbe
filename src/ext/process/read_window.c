/* How the proc connector's and audit's readers wait for their next drain (see proc_connector.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "ext/internal.h"

#include "ext/process/proc_connector.h"

unsigned read_window_us(void)
{
    static _Atomic long cached = -1;
    long us = cached;
    if (us >= 0)
        return (unsigned)us;
    const char *text = getenv("BPFHOST_READ_WINDOW_US");
    char *end;
    us = text ? strtol(text, &end, 10) : READ_WINDOW_US;
    if (text && (!*text || *end || us < 0 || us > READ_WINDOW_US_MAX)) {
        core_trace_printf("bpfhost: BPFHOST_READ_WINDOW_US=\"%.32s\" is not a number of us from 0 to %d: %d used", text,
                          READ_WINDOW_US_MAX, READ_WINDOW_US);
        us = READ_WINDOW_US;
    }
    cached = us;
    return (unsigned)us;
}

int read_window_wait(struct read_window *w, struct pollfd *fds, nfds_t n, nfds_t urgent)
{
    unsigned us = read_window_us();
    if (!w->storm || !us) {
        w->window_end_ns = 0;
        return poll(fds, n, -1) < 0 && errno != EINTR ? -errno : 0;
    }
    /* A storm: sleep, not poll on the batched sockets, so the kernel's senders find no waiter to wake. */
    uint64_t now = ext_monotonic_ns();
    if (!w->window_end_ns)
        w->window_end_ns = now + us * 1000ull;
    while (now < w->window_end_ns) {
        struct timespec left = ext_timespec_of(w->window_end_ns - now);
        int r = urgent ? ppoll(fds, urgent, &left, NULL) : clock_nanosleep(CLOCK_MONOTONIC, 0, &left, NULL);
        if (urgent && r > 0) {
            for (nfds_t i = urgent; i < n; i++)
                fds[i].revents = 0;
            return 0; /* the window goes on at the next call */
        }
        if (urgent && r < 0 && errno != EINTR)
            return -errno;
        now = ext_monotonic_ns();
    }
    w->window_end_ns = 0;
    int r = poll(fds, n, 0);
    if (r < 0)
        return errno == EINTR ? 0 : -errno;
    if (r == 0)
        for (nfds_t i = 0; i < n; i++)
            fds[i].revents = 0;
    return 0;
}

void read_window_drained(struct read_window *w, size_t messages)
{
    uint64_t now = ext_monotonic_ns();
    if (now - w->period_start_ns > READ_STORM_PERIOD_MS * 1000000ull) {
        w->period_start_ns = now;
        w->period_messages = 0;
    }
    w->period_messages += messages;
    /* A storm lasts while each window brings something. */
    w->storm = messages > 0 && (w->storm || w->period_messages >= w->storm_messages);
}

int proc_connector_run(struct proc_connector *pc, int wake)
{
    struct pollfd fds[2] = {{.fd = proc_connector_fd(pc), .events = POLLIN}, {.fd = wake, .events = POLLIN}};
    struct read_window window = {.storm_messages = READ_STORM_PROC_MESSAGES};
    int err;
    while ((err = read_window_wait(&window, fds, 2, 0)) == 0) {
        if (fds[1].revents)
            return 0;
        int n = proc_connector_drain(pc);
        if (n < 0)
            return n;
        read_window_drained(&window, (size_t)n);
    }
    return err;
}
