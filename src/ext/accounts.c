/*
 * User names by uid and the host name for the process helpers, cached so
 * that dispatch does not wait on the name service (NSS: files, sssd, LDAP),
 * which may be slow, while every exec under fanotify waits for dispatch.
 *
 * - Names are looked up on one resolver thread of ours (started at the
 *   first need), never on a dispatching thread. An answer is fresh for the
 *   configured time (60 s by default); after it the old answer is still
 *   given while the resolver asks again. Only a uid never answered makes
 *   its caller wait, and at most `wait_ms` (100 ms by default) counted from
 *   when its lookup was asked, however many callers wait: then -EAGAIN.
 * - "No such user" is an answer too (a negative entry), kept as long.
 * - getpwuid_r's buffer starts at `initial_buffer` bytes and doubles on
 *   ERANGE (up to 1 MiB); the size reached is kept for the next lookups.
 * - At most `capacity` uids (1024); the least recently used goes first.
 * - One mutex guards everything; the resolver never holds it while it asks
 *   the name service. A fork child starts with the lock free and no
 *   resolver (pthread_atfork); its first need starts one.
 * The host name (gethostname: a system call, no name service) is cached
 * for the same time and read again in place when it has expired.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ext/internal.h"

enum { NONE = -1, BUFFER_MAX = 1 << 20 };

static const struct ext_accounts_config defaults = {
    .capacity = 1024, .ttl_ms = 60000, .wait_ms = 100, .initial_buffer = 1024};

/* One uid's entry. */
struct account {
    uint32_t uid;
    int answer;           /* 0: name is valid; -ENOENT: no such user; -EAGAIN: never answered */
    char name[EXT_ACCOUNT_TEXT_MAX];
    size_t len;
    uint64_t fresh_until; /* CLOCK_MONOTONIC ns; after it the resolver is asked again */
    uint64_t asked_at;    /* when its lookup was asked, until answered (0: not asked) */
    bool queued;          /* asked, not yet taken by the resolver */
    int32_t newer, older; /* recency list */
    int32_t chain;        /* next entry in its hash bucket */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;     /* the resolver waits for queued entries */
    pthread_cond_t answered; /* callers wait for the resolver */
    struct ext_accounts_config cfg;
    struct account *slots; /* cfg.capacity; the first `used` are in use */
    int32_t *buckets;      /* heads of the hash chains */
    size_t bucket_mask, used;
    int32_t newest, oldest;
    size_t buffer_size; /* getpwuid_r's, as far as it has grown */
    uint64_t generation; /* of the configuration: a lookup started under another is dropped */
    bool resolver_running;
    struct ext_accounts_stats stats;
    char host[EXT_ACCOUNT_TEXT_MAX];
    int host_answer; /* length, or -errno */
    uint64_t host_fresh_until;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t bucket_of(uint32_t uid)
{
    return (uid * 2654435761u) & cache.bucket_mask;
}

static int32_t find(uint32_t uid)
{
    int32_t i = cache.buckets[bucket_of(uid)];
    while (i != NONE && cache.slots[i].uid != uid)
        i = cache.slots[i].chain;
    return i;
}

static void unlink_recency(int32_t i)
{
    struct account *a = &cache.slots[i];
    if (a->newer != NONE)
        cache.slots[a->newer].older = a->older;
    else
        cache.newest = a->older;
    if (a->older != NONE)
        cache.slots[a->older].newer = a->newer;
    else
        cache.oldest = a->newer;
}

static void make_newest(int32_t i)
{
    struct account *a = &cache.slots[i];
    a->newer = NONE;
    a->older = cache.newest;
    if (cache.newest != NONE)
        cache.slots[cache.newest].newer = i;
    cache.newest = i;
    if (cache.oldest == NONE)
        cache.oldest = i;
}

static void unlink_chain(int32_t i)
{
    int32_t *p = &cache.buckets[bucket_of(cache.slots[i].uid)];
    while (*p != i)
        p = &cache.slots[*p].chain;
    *p = cache.slots[i].chain;
}

/* A new entry for uid, never answered: a free slot, else the least recently used one's. */
static int32_t insert(uint32_t uid)
{
    int32_t i;
    if (cache.used < cache.cfg.capacity) {
        i = (int32_t)cache.used++;
    } else {
        i = cache.oldest;
        unlink_recency(i);
        unlink_chain(i);
        cache.stats.evicted++;
    }
    struct account *a = &cache.slots[i];
    memset(a, 0, sizeof(*a));
    a->uid = uid;
    a->answer = -EAGAIN;
    size_t b = bucket_of(uid);
    a->chain = cache.buckets[b];
    cache.buckets[b] = i;
    make_newest(i);
    return i;
}

/* Empties the cache and sizes it for cfg: 0 or -ENOMEM (then the cache is as it was). */
static int reset(const struct ext_accounts_config *cfg)
{
    size_t buckets = 1;
    while (buckets < 2 * cfg->capacity)
        buckets *= 2;
    struct account *slots = calloc(cfg->capacity, sizeof(*slots));
    int32_t *heads = malloc(buckets * sizeof(*heads));
    if (!slots || !heads) {
        free(slots);
        free(heads);
        return -ENOMEM;
    }
    for (size_t b = 0; b < buckets; b++)
        heads[b] = NONE;
    free(cache.slots);
    free(cache.buckets);
    cache.slots = slots;
    cache.buckets = heads;
    cache.bucket_mask = buckets - 1;
    cache.used = 0;
    cache.newest = cache.oldest = NONE;
    cache.cfg = *cfg;
    cache.buffer_size = cfg->initial_buffer;
    cache.host_fresh_until = 0;
    cache.generation++;
    memset(&cache.stats, 0, sizeof(cache.stats));
    return 0;
}

static void before_fork(void)
{
    pthread_mutex_lock(&cache.lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&cache.lock);
}

/* The child has no resolver: lookups it had asked for are asked again by its first need. */
static void after_fork_child(void)
{
    cache.resolver_running = false;
    for (size_t i = 0; i < cache.used; i++) {
        cache.slots[i].asked_at = 0;
        cache.slots[i].queued = false;
    }
    pthread_mutex_unlock(&cache.lock);
}

static int init_error;

static void init_once(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cache.answered, &attr);
    pthread_cond_init(&cache.work, NULL);
    pthread_condattr_destroy(&attr);
    init_error = reset(&defaults);
    if (!init_error)
        init_error = -pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* Locks the cache, set up at first use: 0, or -errno (not locked). */
static int lock_cache(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
    if (init_error)
        return init_error;
    pthread_mutex_lock(&cache.lock);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The resolver.                                                            */

/*
 * uid's user name into a->name through getpwuid_r, with a buffer of
 * *buffer_size bytes doubled on ERANGE (*grown counts the doublings):
 * 0, -ENOENT (no such user), -ENAMETOOLONG or another -errno.
 */
static int look_up(uint32_t uid, char name[EXT_ACCOUNT_TEXT_MAX], size_t *len, size_t *buffer_size,
                   uint64_t *grown)
{
    for (;;) {
        char *buf = malloc(*buffer_size);
        if (!buf)
            return -ENOMEM;
        struct passwd pw, *found = NULL;
        int rc = getpwuid_r(uid, &pw, buf, *buffer_size, &found);
        if (rc == ERANGE && *buffer_size < BUFFER_MAX) {
            free(buf);
            *buffer_size *= 2;
            (*grown)++;
            continue;
        }
        if (rc == 0 && found) {
            *len = strlen(pw.pw_name);
            if (*len <= EXT_ACCOUNT_TEXT_MAX)
                memcpy(name, pw.pw_name, *len);
            free(buf);
            return *len <= EXT_ACCOUNT_TEXT_MAX ? 0 : -ENAMETOOLONG;
        }
        free(buf);
        /* Not found is 0 with no entry; some NSS modules say ENOENT or ESRCH instead (getpwuid_r(3)). */
        return rc == 0 || rc == ENOENT || rc == ESRCH ? -ENOENT : -rc;
    }
}

/* A queued entry, NONE if none. Called locked. */
static int32_t next_queued(void)
{
    for (size_t i = 0; i < cache.used; i++)
        if (cache.slots[i].queued)
            return (int32_t)i;
    return NONE;
}

static void *resolver(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cache.lock);
    for (;;) {
        int32_t i = next_queued();
        if (i == NONE) {
            pthread_cond_wait(&cache.work, &cache.lock);
            continue;
        }
        cache.slots[i].queued = false;
        uint32_t uid = cache.slots[i].uid;
        uint64_t generation = cache.generation;
        size_t buffer_size = cache.buffer_size, len = 0;
        uint64_t grown = 0;
        char name[EXT_ACCOUNT_TEXT_MAX];
        pthread_mutex_unlock(&cache.lock);
        int rc = look_up(uid, name, &len, &buffer_size, &grown);
        pthread_mutex_lock(&cache.lock);
        if (generation != cache.generation)
            continue; /* the cache was reset meanwhile */
        cache.stats.lookups++;
        cache.stats.grown += grown;
        cache.buffer_size = buffer_size;
        i = find(uid); /* it may have been evicted meanwhile */
        if (i != NONE && cache.slots[i].asked_at) {
            struct account *a = &cache.slots[i];
            a->asked_at = 0;
            if (rc == 0 || rc == -ENOENT) {
                a->answer = rc;
                a->len = rc == 0 ? len : 0;
                memcpy(a->name, name, a->len);
                a->fresh_until = now_ns() + cache.cfg.ttl_ms * 1000000ull;
            } /* else the name service failed: keep what we had; the next need asks again */
        }
        pthread_cond_broadcast(&cache.answered);
    }
    return NULL;
}

/* Asks the resolver for entry i (once until answered), starting it if needed. Called locked. */
static void ask(int32_t i, uint64_t now)
{
    struct account *a = &cache.slots[i];
    if (a->asked_at)
        return;
    if (!cache.resolver_running) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        cache.resolver_running = pthread_create(&thread, &attr, resolver, NULL) == 0;
        pthread_attr_destroy(&attr);
        if (!cache.resolver_running)
            return; /* not asked: the next need tries again */
    }
    a->asked_at = now ? now : 1;
    a->queued = true;
    pthread_cond_signal(&cache.work);
}

/* ------------------------------------------------------------------------ */
/* The API.                                                                 */

/* The entry of uid, asked for if missing or stale. Called locked. */
static int32_t entry_of(uint32_t uid, uint64_t now)
{
    int32_t i = find(uid);
    if (i == NONE) {
        cache.stats.misses++;
        i = insert(uid);
    } else {
        unlink_recency(i);
        make_newest(i);
        if (cache.slots[i].answer != -EAGAIN)
            (*(now < cache.slots[i].fresh_until ? &cache.stats.hits : &cache.stats.stale))++;
    }
    if (cache.slots[i].answer == -EAGAIN || now >= cache.slots[i].fresh_until)
        ask(i, now);
    return i;
}

long ext_account_name(uint32_t uid, char name[EXT_ACCOUNT_TEXT_MAX])
{
    int err = lock_cache();
    if (err)
        return err;
    uint64_t now = now_ns();
    int32_t i = entry_of(uid, now);
    /* Never answered: wait for the resolver, until wait_ms after the lookup was asked. */
    if (cache.slots[i].answer == -EAGAIN && cache.slots[i].asked_at) {
        uint64_t deadline = cache.slots[i].asked_at + cache.cfg.wait_ms * 1000000ull;
        struct timespec until = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
        while (i != NONE && cache.slots[i].answer == -EAGAIN && cache.slots[i].asked_at && now_ns() < deadline) {
            pthread_cond_timedwait(&cache.answered, &cache.lock, &until);
            i = find(uid);
        }
    }
    long result = -EAGAIN;
    if (i != NONE && cache.slots[i].answer != -EAGAIN) {
        result = cache.slots[i].answer ? cache.slots[i].answer : (long)cache.slots[i].len;
        memcpy(name, cache.slots[i].name, result > 0 ? (size_t)result : 0);
    }
    pthread_mutex_unlock(&cache.lock);
    return result;
}

void ext_account_prefetch(uint32_t uid)
{
    if (lock_cache() == 0) {
        entry_of(uid, now_ns());
        pthread_mutex_unlock(&cache.lock);
    }
}

long ext_account_domain(char name[EXT_ACCOUNT_TEXT_MAX])
{
    int err = lock_cache();
    if (err)
        return err;
    uint64_t now = now_ns();
    if (now >= cache.host_fresh_until) {
        char host[EXT_ACCOUNT_TEXT_MAX + 1];
        if (gethostname(host, sizeof(host)) != 0) {
            cache.host_answer = -errno;
        } else {
            host[sizeof(host) - 1] = '\0';
            cache.host_answer = (int)strlen(host);
            memcpy(cache.host, host, (size_t)cache.host_answer);
        }
        cache.host_fresh_until = now + cache.cfg.ttl_ms * 1000000ull;
    }
    long result = cache.host_answer;
    if (result > 0)
        memcpy(name, cache.host, (size_t)result);
    pthread_mutex_unlock(&cache.lock);
    return result;
}

int ext_accounts_configure(const struct ext_accounts_config *cfg)
{
    if (cfg && (cfg->capacity == 0 || cfg->capacity > INT32_MAX / 4 || cfg->initial_buffer == 0))
        return -EINVAL;
    int err = lock_cache();
    if (err)
        return err;
    err = reset(cfg ? cfg : &defaults);
    pthread_cond_broadcast(&cache.answered);
    pthread_mutex_unlock(&cache.lock);
    return err;
}

void ext_accounts_stats(struct ext_accounts_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    if (lock_cache() != 0)
        return;
    *stats = cache.stats;
    stats->entries = cache.used;
    stats->capacity = cache.cfg.capacity;
    stats->buffer_size = cache.buffer_size;
    pthread_mutex_unlock(&cache.lock);
}
