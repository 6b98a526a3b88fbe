/*
 * The grace period that keeps borrowed objects alive for running
 * programs. Runs hold a process-wide rwlock for reading; waiting for the
 * runs in progress is taking it for writing and letting go at once. The
 * lock prefers writers, so a steady stream of runs on many threads cannot
 * starve a detach; in exchange a thread must never take the read side
 * twice (a waiting writer would block it behind itself), hence the
 * per-thread depth that makes nested runs (a hook invoked from a helper)
 * enter only once.
 */
#include <assert.h>
#include <pthread.h>

#include "core/internal.h"

static pthread_rwlock_t grace_lock;
static pthread_once_t grace_once = PTHREAD_ONCE_INIT;
static _Thread_local unsigned grace_depth;

static void grace_init(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&grace_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
}

void core_grace_enter(void)
{
    pthread_once(&grace_once, grace_init);
    if (grace_depth++ == 0)
        pthread_rwlock_rdlock(&grace_lock);
}

void core_grace_exit(void)
{
    if (--grace_depth == 0)
        pthread_rwlock_unlock(&grace_lock);
}

void core_grace_wait(void)
{
    /* From inside a run this would wait for itself forever (see core.h). */
    assert(grace_depth == 0);
    pthread_once(&grace_once, grace_init);
    pthread_rwlock_wrlock(&grace_lock);
    pthread_rwlock_unlock(&grace_lock);
}
