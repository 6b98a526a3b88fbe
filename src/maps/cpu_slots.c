/*
 * CPU slots: what makes a program run's per-CPU values its own. In the
 * kernel a program keeps its CPU for the whole run (preemption and
 * migration off), so its per-CPU values are private to it. A user-space
 * thread can be preempted or migrated at any instruction, so a run that
 * needs per-CPU state claims one of the slots for the whole run instead:
 * at most one thread holds a slot, and every per-CPU access of the run
 * goes to the held slot whatever CPU the thread is on meanwhile.
 *
 * A claim prefers the slot of the CPU the thread runs on (its cache),
 * takes any other free slot else, and otherwise queues. Like a mutex, a
 * freed slot goes to whoever takes it first, the longest waiter woken to
 * try: handing it to a sleeping waiter would cost a thread switch per run
 * when threads outnumber slots (a convoy). A waiter that has waited
 * STARVING_NS, though, turns hand-over on: every freed slot then goes to
 * the longest waiter until the queue is short again, so no waiter waits
 * for more than the runs ahead of it (each bounded by its budget and
 * deadline). Claims nest per thread (a run inside a run keeps the outer
 * slot, as a nested kernel program shares its CPU): they cannot deadlock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "maps/internal.h"

/* More CPUs than this share the first slots: fewer runs at once, still exclusive. */
enum { CPU_SLOTS_MAX = 1024 };

/* Waited this long, a waiter has every freed slot handed to the queue in order. */
#define STARVING_NS 1000000u

/* A thread queued for a slot; lives on its stack while it waits. */
struct slot_waiter {
    struct slot_waiter *next;
    pthread_cond_t wake;
    bool woken;      /* a wake is pending: no need to signal again */
    int slot;        /* -1 until it has one (taken, or handed over) */
    uint64_t since;  /* when it queued */
};

static struct {
    pthread_once_t once;
    unsigned count;               /* slots in use: min(map_nr_cpus(), CPU_SLOTS_MAX) */
    pthread_mutex_t lock;         /* guards the queue */
    struct slot_waiter *head, *tail;
    atomic_uint waiting;          /* queued threads, read without the lock by releasers */
    atomic_bool starving;         /* hand freed slots over in queue order */
    struct {
        _Alignas(64) atomic_bool held; /* one cache line per slot: claims on other slots do not contend */
    } slot[CPU_SLOTS_MAX];
} slots = {.once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER};

/* The calling thread's claim: depth counts nested claims, slot is valid while depth > 0. */
static _Thread_local unsigned held_slot, held_depth;

static void slots_init(void)
{
    unsigned n = map_nr_cpus();
    slots.count = n < CPU_SLOTS_MAX ? n : CPU_SLOTS_MAX;
}

/* The slot of the CPU the thread runs on now (below slots.count). */
static unsigned current_cpu_slot(void)
{
    int cpu = sched_getcpu();
    /* CPUs hot-added after start could exceed the configured count. */
    return cpu < 0 ? 0 : (unsigned)cpu % slots.count;
}

/* Takes a free slot, first's if free, else the next free one after it; -1 if none is. */
static int try_take(unsigned first)
{
    unsigned s = first;
    for (unsigned i = 0; i < slots.count; i++) {
        if (!atomic_load(&slots.slot[s].held) && !atomic_exchange(&slots.slot[s].held, true))
            return (int)s;
        if (++s == slots.count)
            s = 0;
    }
    return -1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* True if some slot is free (a hint: it may be taken the next moment). */
static bool any_free(void)
{
    for (unsigned s = 0; s < slots.count; s++)
        if (!atomic_load(&slots.slot[s].held))
            return true;
    return false;
}

/* Under the lock: wakes the longest waiter to try for a slot, unless a wake is already pending. */
static void wake_head(void)
{
    struct slot_waiter *w = slots.head;
    if (w && !w->woken) {
        w->woken = true;
        pthread_cond_signal(&w->wake);
    }
}

/* Under the lock. */
static void queue_remove(struct slot_waiter *w)
{
    struct slot_waiter **p = &slots.head, *prev = NULL;
    while (*p && *p != w) {
        prev = *p;
        p = &(*p)->next;
    }
    if (!*p)
        return;
    *p = w->next;
    if (slots.tail == w)
        slots.tail = prev;
}

/* Under the lock: gives held slot s to the longest waiter; false if none waits. */
static bool hand_over(unsigned s)
{
    struct slot_waiter *w = slots.head;
    if (!w)
        return false;
    slots.head = w->next;
    if (!slots.head)
        slots.tail = NULL;
    w->slot = (int)s;
    w->woken = true;
    pthread_cond_signal(&w->wake);
    return true;
}

/* Queues until the thread takes or is handed a slot, or deadline_ns passes (-ETIMEDOUT). */
static int wait_for_slot(unsigned first, uint64_t deadline_ns)
{
    struct slot_waiter me = {.slot = -1, .since = now_ns()};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&me.wake, &attr);
    pthread_condattr_destroy(&attr);
    struct timespec until = {(time_t)(deadline_ns / 1000000000u), (long)(deadline_ns % 1000000000u)};

    pthread_mutex_lock(&slots.lock);
    /* Counted before looking: a releaser that frees a slot after a failed look sees the count (both seq_cst). */
    atomic_fetch_add(&slots.waiting, 1);
    if (slots.tail)
        slots.tail->next = &me;
    else
        slots.head = &me;
    slots.tail = &me;
    int rc = 0;
    for (;;) {
        if (me.slot >= 0)
            break; /* handed over (and dequeued) */
        /* While slots are handed over in order, only the longest waiter takes a free one. */
        if (!atomic_load(&slots.starving) || slots.head == &me) {
            me.slot = try_take(first);
            if (me.slot >= 0) {
                queue_remove(&me);
                break;
            }
        }
        if (rc == ETIMEDOUT) {
            queue_remove(&me);
            break;
        }
        if (now_ns() - me.since >= STARVING_NS)
            atomic_store(&slots.starving, true);
        me.woken = false;
        rc = deadline_ns ? pthread_cond_timedwait(&me.wake, &slots.lock, &until)
                         : pthread_cond_wait(&me.wake, &slots.lock);
    }
    /* Hand-over ends once a waiter got through quickly or nobody is left in line. */
    if (me.slot >= 0 && (!slots.head || now_ns() - me.since < STARVING_NS))
        atomic_store(&slots.starving, false);
    /* This thread may have used a wake meant for a slot it did not take: pass it on. */
    if (any_free())
        wake_head();
    atomic_fetch_sub(&slots.waiting, 1);
    pthread_mutex_unlock(&slots.lock);
    pthread_cond_destroy(&me.wake);
    return me.slot < 0 ? -ETIMEDOUT : me.slot;
}

int map_cpu_claim(uint64_t deadline_ns)
{
    if (held_depth) {
        held_depth++;
        return (int)held_slot;
    }
    pthread_once(&slots.once, slots_init);
    unsigned first = current_cpu_slot();
    int s = atomic_load(&slots.starving) ? -1 : try_take(first);
    if (s < 0)
        s = wait_for_slot(first, deadline_ns);
    if (s < 0)
        return s;
    held_slot = (unsigned)s;
    held_depth = 1;
    return s;
}

void map_cpu_release(void)
{
    if (!held_depth || --held_depth)
        return;
    unsigned s = held_slot;
    if (atomic_load(&slots.starving)) {
        pthread_mutex_lock(&slots.lock);
        if (!hand_over(s))
            atomic_store(&slots.slot[s].held, false);
        pthread_mutex_unlock(&slots.lock);
        return;
    }
    atomic_store(&slots.slot[s].held, false);
    if (atomic_load(&slots.waiting)) {
        pthread_mutex_lock(&slots.lock);
        wake_head();
        pthread_mutex_unlock(&slots.lock);
    }
}

unsigned map_this_cpu(void)
{
    if (held_depth)
        return held_slot;
    pthread_once(&slots.once, slots_init);
    return current_cpu_slot();
}

bool map_type_is_percpu(uint32_t type)
{
    return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
           type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}
