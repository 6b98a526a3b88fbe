/*
 * The account cache behind bpf_process_get_account_name/_domain
 * (src/ext/accounts.c), against this machine's name service: names and
 * "no such user" answers, getpwuid_r's buffer growing on ERANGE, answers
 * kept (no new lookup) until they expire and then refreshed in the
 * background, a caller never waiting past the bound, the size bound and
 * least-recently-used eviction, and many threads at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ext/internal.h"

/* Uids from here up have no user on our machines (checked in setup). */
enum { NO_USER_BASE = 3900000000u, NO_USERS = 64 };

static char root_name[EXT_ACCOUNT_TEXT_MAX + 1];

static int setup(void **state)
{
    (void)state;
    for (uint32_t uid = NO_USER_BASE; uid < NO_USER_BASE + NO_USERS; uid++)
        if (getpwuid(uid)) {
            fprintf(stderr, "uid %u has a user: the tests need it free\n", uid);
            return -1;
        }
    struct passwd *pw = getpwuid(0);
    if (!pw)
        return -1;
    snprintf(root_name, sizeof(root_name), "%s", pw->pw_name);
    return 0;
}

/* Every test starts from an empty cache with these limits (0: the default). */
static void configure(size_t capacity, unsigned ttl_ms, unsigned wait_ms, size_t initial_buffer)
{
    struct ext_accounts_config cfg = {capacity ? capacity : 1024, ttl_ms ? ttl_ms : 60000, wait_ms,
                                      initial_buffer ? initial_buffer : 1024};
    assert_int_equal(ext_accounts_configure(&cfg), 0);
}

static struct ext_accounts_stats stats(void)
{
    struct ext_accounts_stats s;
    ext_accounts_stats(&s);
    return s;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* uid's name as a string, or "" with the error in *err. */
static const char *name_of(uint32_t uid, long *err)
{
    static char text[EXT_ACCOUNT_TEXT_MAX + 1];
    long len = ext_account_name(uid, text);
    *err = len < 0 ? len : 0;
    text[len < 0 ? 0 : len] = '\0';
    return text;
}

/* Polls (up to 5 s) until uid's answer is no longer -EAGAIN; returns it. */
static long settled(uint32_t uid)
{
    char name[EXT_ACCOUNT_TEXT_MAX];
    long rc = -EAGAIN;
    for (int i = 0; i < 500 && rc == -EAGAIN; i++) {
        rc = ext_account_name(uid, name);
        if (rc == -EAGAIN)
            sleep_ms(10);
    }
    return rc;
}

static void names_and_no_such_user(void **state)
{
    (void)state;
    configure(0, 0, 2000, 0);
    long err;
    assert_string_equal(name_of(0, &err), root_name);
    assert_int_equal(err, 0);
    struct passwd *me = getpwuid(getuid());
    if (me)
        assert_string_equal(name_of(getuid(), &err), me->pw_name);
    assert_string_equal(name_of(NO_USER_BASE, &err), "");
    assert_int_equal(err, -ENOENT);
    assert_int_equal(ext_accounts_configure(&(struct ext_accounts_config){0, 1, 1, 1}), -EINVAL);
    assert_int_equal(ext_accounts_configure(&(struct ext_accounts_config){1, 1, 1, 0}), -EINVAL);

    char host[256] = "", got[EXT_ACCOUNT_TEXT_MAX];
    assert_int_equal(gethostname(host, sizeof(host)), 0);
    assert_int_equal(ext_account_domain(got), (long)strlen(host));
    assert_memory_equal(got, host, strlen(host));
}

/* A buffer too small for the passwd entry grows (ERANGE) until it fits, and stays grown. */
static void buffer_grows_on_erange(void **state)
{
    (void)state;
    configure(0, 0, 2000, 8);
    long err;
    assert_string_equal(name_of(0, &err), root_name);
    struct ext_accounts_stats s = stats();
    assert_true(s.grown >= 1);
    assert_true(s.buffer_size > 8);
    assert_int_equal(s.buffer_size, (size_t)8 << s.grown);
    /* The next lookup starts at the size reached (glibc's files backend may need more to
     * read past longer lines): the doublings add up to the size, none was done twice. */
    assert_int_equal(settled(NO_USER_BASE), -ENOENT);
    s = stats();
    assert_int_equal(s.buffer_size, (size_t)8 << s.grown);
}

/* Answers, also "no such user", are kept: no new lookup until they expire. */
static void answers_are_kept_negative_ones_too(void **state)
{
    (void)state;
    configure(0, 0, 2000, 0);
    long err;
    name_of(0, &err);
    assert_int_equal(settled(NO_USER_BASE), -ENOENT);
    struct ext_accounts_stats s = stats();
    assert_int_equal(s.lookups, 2);
    assert_int_equal(s.misses, 2);
    for (int i = 0; i < 100; i++) {
        assert_string_equal(name_of(0, &err), root_name);
        assert_string_equal(name_of(NO_USER_BASE, &err), "");
        assert_int_equal(err, -ENOENT);
    }
    s = stats();
    assert_int_equal(s.lookups, 2);
    assert_int_equal(s.hits, 200);
}

/* After its time an answer is still given at once, and asked again in the background. */
static void expired_answers_are_refreshed_in_the_background(void **state)
{
    (void)state;
    configure(0, 100, 2000, 0);
    long err;
    name_of(0, &err);
    assert_int_equal(stats().lookups, 1);
    sleep_ms(150);
    assert_string_equal(name_of(0, &err), root_name); /* the old answer, not a wait */
    assert_int_equal(stats().stale, 1);
    for (int i = 0; i < 500 && stats().lookups < 2; i++)
        sleep_ms(10);
    assert_int_equal(stats().lookups, 2);
    assert_string_equal(name_of(0, &err), root_name);
    assert_int_equal(stats().hits, 1);
}

/* A uid never answered: the caller waits at most wait_ms (here none), the resolver answers later. */
static void callers_never_wait_past_the_bound(void **state)
{
    (void)state;
    configure(0, 0, 0, 0);
    long err;
    assert_string_equal(name_of(0, &err), "");
    assert_int_equal(err, -EAGAIN);
    assert_int_equal(settled(0), (long)strlen(root_name));
    assert_string_equal(name_of(0, &err), root_name);

    /* Prefetching asks without waiting; the answer is then there. */
    ext_account_prefetch(NO_USER_BASE + 1);
    for (int i = 0; i < 500 && stats().lookups < 2; i++)
        sleep_ms(10);
    uint64_t hits = stats().hits;
    assert_string_equal(name_of(NO_USER_BASE + 1, &err), "");
    assert_int_equal(err, -ENOENT);
    assert_int_equal(stats().hits, hits + 1);
}

/* At most capacity uids; the least recently used is dropped first. */
static void size_is_bounded_least_recently_used_go(void **state)
{
    (void)state;
    enum { CAPACITY = 8 };
    configure(CAPACITY, 0, 2000, 0);
    assert_int_equal(settled(0), (long)strlen(root_name));
    for (uint32_t i = 0; i < 3 * CAPACITY; i++) {
        assert_int_equal(settled(NO_USER_BASE + i), -ENOENT);
        assert_int_equal(settled(0), (long)strlen(root_name)); /* root stays the most recently used */
        assert_true(stats().entries <= CAPACITY);
    }
    struct ext_accounts_stats s = stats();
    assert_int_equal(s.entries, CAPACITY);
    assert_int_equal(s.capacity, CAPACITY);
    assert_int_equal(s.evicted, 3 * CAPACITY + 1 - CAPACITY);
    assert_int_equal(s.lookups, 3 * CAPACITY + 1); /* root was never dropped */
    /* The newest CAPACITY - 1 unknown uids are still there; an older one is asked again. */
    uint64_t lookups = s.lookups;
    for (uint32_t i = 2 * CAPACITY + 1; i < 3 * CAPACITY; i++)
        assert_int_equal(settled(NO_USER_BASE + i), -ENOENT);
    assert_int_equal(stats().lookups, lookups);
    assert_int_equal(settled(NO_USER_BASE), -ENOENT);
    assert_int_equal(stats().lookups, lookups + 1);
}

enum { THREADS = 8, CALLS = 3000, CHURN_UIDS = 24 };

struct worker {
    unsigned seed;
    int wrong;    /* answers that were neither right nor -EAGAIN */
    int answered; /* answers that were not -EAGAIN */
};

/* Root, unknown uids beyond the capacity (evictions) and prefetches, with expiring answers. */
static void *hammer(void *arg)
{
    struct worker *w = arg;
    char name[EXT_ACCOUNT_TEXT_MAX];
    for (int i = 0; i < CALLS; i++) {
        w->seed = w->seed * 1103515245u + 12345u;
        uint32_t pick = (w->seed >> 16) % (CHURN_UIDS + 2);
        if (pick == CHURN_UIDS + 1) {
            ext_account_prefetch(NO_USER_BASE + (w->seed >> 8) % CHURN_UIDS);
            continue;
        }
        uint32_t uid = pick == CHURN_UIDS ? 0 : NO_USER_BASE + pick;
        long rc = ext_account_name(uid, name);
        if (rc == -EAGAIN)
            continue;
        w->answered++;
        bool right = uid == 0 ? rc == (long)strlen(root_name) && !memcmp(name, root_name, (size_t)rc) : rc == -ENOENT;
        w->wrong += !right;
        if (i % 64 == 0) {
            char host[EXT_ACCOUNT_TEXT_MAX];
            w->wrong += ext_account_domain(host) <= 0;
        }
    }
    return NULL;
}

static void threads_at_once(void **state)
{
    (void)state;
    enum { CAPACITY = 16 };
    configure(CAPACITY, 1, 5, 16);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (struct worker){.seed = (unsigned)t * 7919u + 1};
        assert_int_equal(pthread_create(&threads[t], NULL, hammer, &workers[t]), 0);
    }
    int answered = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        assert_int_equal(workers[t].wrong, 0);
        answered += workers[t].answered;
    }
    struct ext_accounts_stats s = stats();
    printf("%d threads x %d calls: %d answered, %llu lookups, %llu evictions, %zu entries\n", THREADS, CALLS,
           answered, (unsigned long long)s.lookups, (unsigned long long)s.evicted, s.entries);
    assert_true(answered > 0);
    assert_true(s.entries <= CAPACITY);
    assert_true(s.evicted > 0);
    /* Reset while the resolver may still be busy: it drops answers for a cache that is gone. */
    assert_int_equal(ext_accounts_configure(NULL), 0);
    assert_int_equal(settled(0), (long)strlen(root_name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_no_such_user),
        cmocka_unit_test(buffer_grows_on_erange),
        cmocka_unit_test(answers_are_kept_negative_ones_too),
        cmocka_unit_test(expired_answers_are_refreshed_in_the_background),
        cmocka_unit_test(callers_never_wait_past_the_bound),
        cmocka_unit_test(size_is_bounded_least_recently_used_go),
        cmocka_unit_test(threads_at_once),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
