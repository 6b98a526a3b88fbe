/*
 * Hooks and links. A hook's attached links form an immutable array that
 * dispatch reads without locking, inside the grace period; attach and
 * detach publish a new array under the registry's lock and free the old
 * one (and, on detach, let go of the program) only after the grace
 * period, when no dispatch can still be running over it. Dispatch thus
 * never waits for attach or detach, and a detached program is never freed
 * under a running dispatch.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"

struct link_list {
    size_t count;
    struct core_link *links[];
};

struct core_hook {
    struct core_hook_desc desc; /* name and prog_type point into this hook's own copies */
    _Atomic(struct link_list *) links; /* NULL: none */
    struct core_hook *next;
};

static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct core_hook *hooks;

/* The hook of that name; with hooks_lock held. */
static struct core_hook *find_locked(const char *name)
{
    struct core_hook *h = hooks;
    while (h && strcmp(h->desc.name, name) != 0)
        h = h->next;
    return h;
}

int core_hook_register(const struct core_hook_desc *desc, struct core_hook **out)
{
    if (!desc || !desc->name || !*desc->name || !desc->prog_type || !out)
        return -EINVAL;
    if (!core_prog_type_find_by_name(desc->prog_type))
        return -ENOENT;
    struct core_hook *h = calloc(1, sizeof(*h));
    char *name = strdup(desc->name), *type = strdup(desc->prog_type);
    if (!h || !name || !type) {
        free(h);
        free(name);
        free(type);
        return -ENOMEM;
    }
    h->desc = *desc;
    h->desc.name = name;
    h->desc.prog_type = type;
    pthread_mutex_lock(&hooks_lock);
    bool taken = find_locked(name) != NULL;
    if (!taken) {
        h->next = hooks;
        hooks = h;
    }
    pthread_mutex_unlock(&hooks_lock);
    if (taken) {
        free(name);
        free(type);
        free(h);
        return -EEXIST;
    }
    *out = h;
    return 0;
}

struct core_hook *core_hook_find(const char *name)
{
    pthread_mutex_lock(&hooks_lock);
    struct core_hook *h = name ? find_locked(name) : NULL;
    pthread_mutex_unlock(&hooks_lock);
    return h;
}

const char *core_hook_name(const struct core_hook *hook)
{
    return hook->desc.name;
}

const char *core_hook_prog_type(const struct core_hook *hook)
{
    return hook->desc.prog_type;
}

/* The hook's links plus or minus one; with hooks_lock held. NULL if out of memory. */
static struct link_list *changed_list(const struct link_list *old, struct core_link *add, struct core_link *drop)
{
    size_t n = old ? old->count : 0;
    struct link_list *list = malloc(sizeof(*list) + (n + 1) * sizeof(list->links[0]));
    if (!list)
        return NULL;
    list->count = 0;
    for (size_t i = 0; i < n; i++)
        if (old->links[i] != drop)
            list->links[list->count++] = old->links[i];
    if (add)
        list->links[list->count++] = add;
    return list;
}

/* Takes link off its hook; with hooks_lock held. Returns the list to free after the grace period. */
static int detach_locked(struct core_link *link, struct link_list **old)
{
    struct core_hook *h = link->hook;
    if (!h)
        return -ENOENT;
    struct link_list *list = changed_list(h->links, NULL, link);
    if (!list)
        return -ENOMEM;
    *old = atomic_exchange(&h->links, list);
    link->hook = NULL;
    if (h->desc.detach)
        h->desc.detach(h->desc.owner, link);
    return 0;
}

int core_link_detach(struct core_link *link)
{
    struct link_list *old = NULL;
    pthread_mutex_lock(&hooks_lock);
    int err = detach_locked(link, &old);
    pthread_mutex_unlock(&hooks_lock);
    if (!err) {
        core_grace_wait();
        free(old);
    }
    return err;
}

/* The last reference is gone: detach (if still attached), then release the program. */
static void link_free(struct core_obj *obj)
{
    struct core_link *link = (struct core_link *)obj;
    core_link_detach(link);
    core_obj_put(&link->prog->obj);
    free(link->params);
    free(link);
}

void core_hook_unregister(struct core_hook *hook)
{
    pthread_mutex_lock(&hooks_lock);
    struct core_hook **p = &hooks;
    while (*p != hook)
        p = &(*p)->next;
    *p = hook->next;
    struct link_list *old = atomic_exchange(&hook->links, NULL);
    for (size_t i = 0; old && i < old->count; i++) {
        old->links[i]->hook = NULL;
        if (hook->desc.detach)
            hook->desc.detach(hook->desc.owner, old->links[i]);
    }
    pthread_mutex_unlock(&hooks_lock);
    core_grace_wait();
    free(old);
    free((char *)hook->desc.name);
    free((char *)hook->desc.prog_type);
    free(hook);
}

int core_hook_attach(struct core_hook *hook, struct core_prog *prog, const void *params, size_t params_size,
                     struct core_link **out)
{
    if (!hook || !prog || !out || (params_size && !params))
        return -EINVAL;
    if (strcmp(prog->type->name, hook->desc.prog_type) != 0)
        return -EINVAL;
    struct core_link *link = calloc(1, sizeof(*link));
    if (!link || (params_size && !(link->params = malloc(params_size)))) {
        free(link);
        return -ENOMEM;
    }
    if (params_size)
        memcpy(link->params, params, params_size);
    link->params_size = params_size;
    core_obj_hold(&prog->obj);
    link->prog = prog;
    int err = core_obj_init(&link->obj, CORE_OBJ_LINK, link_free, NULL);
    if (err) {
        core_obj_put(&prog->obj);
        free(link->params);
        free(link);
        return err;
    }
    pthread_mutex_lock(&hooks_lock);
    err = hook->desc.attach ? hook->desc.attach(hook->desc.owner, link) : 0;
    struct link_list *old = NULL, *list = err ? NULL : changed_list(hook->links, link, NULL);
    if (!err && !list) {
        err = -ENOMEM;
        if (hook->desc.detach)
            hook->desc.detach(hook->desc.owner, link);
    }
    if (!err) {
        old = atomic_exchange(&hook->links, list);
        link->hook = hook;
    }
    pthread_mutex_unlock(&hooks_lock);
    if (err) {
        core_link_release(link);
        return err;
    }
    core_grace_wait();
    free(old);
    *out = link;
    return 0;
}

const void *core_link_params(const struct core_link *link, size_t *size)
{
    *size = link->params_size;
    return link->params;
}

struct core_prog *core_link_prog(const struct core_link *link)
{
    return link->prog;
}

void core_link_info(const struct core_link *link, struct core_link_info *info)
{
    *info = (struct core_link_info){.id = link->obj.id, .prog_id = link->prog->obj.id};
    pthread_mutex_lock(&hooks_lock);
    if (link->hook)
        snprintf(info->hook, sizeof(info->hook), "%s", link->hook->desc.name);
    pthread_mutex_unlock(&hooks_lock);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Counts a run that stopped with an error, keeps the program's first one and traces it. */
static void note_fault(const struct core_hook *hook, struct core_prog *prog, const struct exec_result *res)
{
    atomic_fetch_add_explicit(&prog->error_count, 1, memory_order_relaxed);
    if (!atomic_exchange(&prog->fault_claimed, true)) {
        prog->first_fault = *res;
        atomic_store_explicit(&prog->fault_recorded, true, memory_order_release);
    }
    core_trace_printf("bpfhost: program %s on hook %s stopped: %s", prog->name, hook->desc.name, res->msg);
}

int core_hook_invoke(struct core_hook *hook, void *ctx, const struct core_task *task, core_hook_result_fn fn,
                     void *arg)
{
    return core_hook_invoke_until(hook, ctx, task, 0, fn, arg);
}

int core_hook_invoke_until(struct core_hook *hook, void *ctx, const struct core_task *task, uint64_t deadline_ns,
                           core_hook_result_fn fn, void *arg)
{
    int ran = 0;
    core_grace_enter();
    const struct link_list *list = atomic_load_explicit(&hook->links, memory_order_acquire);
    /* The caller's pair, taken before any program runs on the context. */
    struct core_ctx_data data = {0};
    if (list && list->count)
        data = core_ctx_data_get(list->links[0]->prog->type, ctx);
    for (size_t i = 0; list && i < list->count; i++) {
        struct core_prog *prog = list->links[i]->prog;
        struct exec_result res;
        uint64_t start = now_ns();
        int rc = core_run_prog(prog, ctx, data, task, deadline_ns, &res);
        atomic_fetch_add_explicit(&prog->run_time_ns, now_ns() - start, memory_order_relaxed);
        atomic_fetch_add_explicit(&prog->run_count, 1, memory_order_relaxed);
        if (rc)
            note_fault(hook, prog, &res);
        ran++;
        if (fn && fn(arg, list->links[i], rc ? 0 : res.r0, &res))
            break;
    }
    core_grace_exit();
    return ran;
}
