/*
 * The "current task" helpers. A hook names the task an event belongs to
 * (the process extension: the process that exec'd); without one, the
 * calling thread is the current task, as for a Linux program that runs in
 * the context of the thread that triggered it.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/internal.h"

const struct core_task *core_run_task(struct exec_env *env)
{
    struct core_run *run = core_run_of(env);
    if (!run->task) {
        struct core_task *t = &run->own_task;
        t->process_id = (uint32_t)getpid();
        t->thread_id = (uint32_t)gettid();
        t->uid = (uint32_t)getuid();
        t->gid = (uint32_t)getgid();
        if (prctl(PR_GET_NAME, t->comm) != 0)
            strcpy(t->comm, "?");
        run->task = t;
    }
    return run->task;
}

CORE_HELPER(core_helper_get_current_pid_tgid)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    const struct core_task *t = core_run_task(env);
    return (uint64_t)t->process_id << 32 | t->thread_id;
}

CORE_HELPER(core_helper_get_current_uid_gid)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    const struct core_task *t = core_run_task(env);
    return (uint64_t)t->gid << 32 | t->uid;
}

/* Like Linux: the name cut to fit, always NUL-terminated; 0 or -EINVAL for an empty buffer. */
CORE_HELPER(core_helper_get_current_comm)
{
    (void)r3, (void)r4, (void)r5;
    if (!r2)
        return (uint64_t)-EINVAL;
    char *buf = exec_env_mem(env, r1, r2, EXEC_WRITE);
    if (!buf)
        return (uint64_t)-EFAULT;
    const struct core_task *t = core_run_task(env);
    size_t n = strnlen(t->comm, sizeof(t->comm));
    if (n >= r2)
        n = r2 - 1;
    memcpy(buf, t->comm, n);
    memset(buf + n, 0, r2 - n);
    return 0;
}
