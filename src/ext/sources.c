/*
 * The system-wide event sources and their hooks: a source runs while at
 * least one link is attached to its hook (as ntosebpfext registers its
 * kernel notify routine on the first attach and removes it on the last
 * detach), so an idle host watches nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/core.h"
#include "ext/internal.h"

struct source {
    const struct ext_source_ops *ops;
    struct core_hook *hook;
    size_t links;  /* attached links; changed under the core's hook registry lock, read by reports */
    void *state;   /* the running source's, while links > 0 */
    struct ext_source_counters counters;
};

enum { MAX_SOURCES = 8 };
static struct source sources[MAX_SOURCES];
static size_t source_count;
static pthread_mutex_t sources_lock = PTHREAD_MUTEX_INITIALIZER;

static int on_attach(void *owner, struct core_link *link)
{
    (void)link;
    struct source *s = owner;
    if (__atomic_load_n(&s->links, __ATOMIC_RELAXED) == 0) {
        int err = s->ops->start(s->hook, &s->counters, &s->state);
        if (err)
            return err;
    }
    __atomic_add_fetch(&s->links, 1, __ATOMIC_RELAXED);
    return 0;
}

static void on_detach(void *owner, struct core_link *link)
{
    (void)link;
    struct source *s = owner;
    if (__atomic_sub_fetch(&s->links, 1, __ATOMIC_RELAXED) == 0) {
        s->ops->stop(s->state);
        s->state = NULL;
    }
}

int ext_source_register(const struct ext_source_ops *ops)
{
    pthread_mutex_lock(&sources_lock);
    int err = 0;
    for (size_t i = 0; i < source_count; i++)
        if (sources[i].ops == ops)
            goto out;
    if (source_count == MAX_SOURCES) {
        err = -ENOSPC;
        goto out;
    }
    struct source *s = &sources[source_count];
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    struct core_hook_desc desc = {
        .name = ops->hook_name, .prog_type = ops->prog_type ? ops->prog_type : "process", .owner = s,
        .attach = on_attach, .detach = on_detach};
    err = core_hook_register(&desc, &s->hook);
    if (!err)
        source_count++;
out:
    pthread_mutex_unlock(&sources_lock);
    return err;
}

int ext_source_stats(const char *hook, struct ext_source_stats *stats)
{
    pthread_mutex_lock(&sources_lock);
    int err = -ENOENT;
    for (size_t i = 0; i < source_count && err; i++) {
        if (strcmp(sources[i].ops->hook_name, hook) == 0) {
            ext_counters_read(&sources[i].counters, stats);
            stats->running = __atomic_load_n(&sources[i].links, __ATOMIC_RELAXED) > 0;
            err = 0;
        }
    }
    pthread_mutex_unlock(&sources_lock);
    return err;
}

void ext_counters_add(struct ext_source_counters *c, const struct ext_process_verdict *v)
{
    atomic_fetch_add(&c->events, 1);
    if (v->denied)
        atomic_fetch_add(&c->denied, 1);
}

void ext_counters_read(const struct ext_source_counters *c, struct ext_source_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    stats->events = atomic_load(&c->events);
    stats->lost = atomic_load(&c->lost);
    stats->denied = atomic_load(&c->denied);
    stats->errors = atomic_load(&c->errors);
}
