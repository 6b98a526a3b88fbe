/*
 * What every extension of a tree does with a notification: answer it,
 * check it still waits, and give its programs the deadline the
 * system-wide deny sources give theirs (ext_deadline_from_now()): the
 * interpreter stops a program still running then, and the call is
 * answered by the fail-open / fail-closed setting, counted and traced.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ext/supervise/supervise.h"

void sv_answer(struct sv_run *run, uint64_t id, int error, int64_t val, bool cont)
{
    /* On the stack: workers answer at once. A run starts only if the kernel's size fits (supervisor.c). */
    _Alignas(struct seccomp_notif_resp) unsigned char room[SV_RESP_ROOM];
    struct seccomp_notif_resp *resp = (struct seccomp_notif_resp *)room;
    memset(resp, 0, run->resp_size);
    resp->id = id;
    resp->error = error;
    resp->val = error ? 0 : val;
    resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
    if (ioctl(run->listener, SECCOMP_IOCTL_NOTIF_SEND, resp) != 0 && errno != ENOENT) { /* ENOENT: it died */
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: cannot answer a supervised system call: %s", strerror(errno));
    }
}

bool sv_still_valid(struct sv_run *run, uint64_t id)
{
    return ioctl(run->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

bool sv_late_denies(struct sv_run *run, const char *what)
{
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    atomic_fetch_add(&run->counters->errors, 1);
    if (d.fail_closed)
        atomic_fetch_add(&run->counters->denied, 1);
    core_trace_printf("bpfhost: supervised %s: programs were stopped at the deadline of %u ms; %s", what, d.ms,
                      d.fail_closed ? "denied (fail closed)" : "allowed (fail open)");
    return d.fail_closed;
}
