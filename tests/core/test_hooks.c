/* Hooks, links and dispatch, also while links come and go on other threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

/* The extension side: records the callbacks, may refuse an attach. */
struct owner {
    int attached, detached;
    int refuse;
};

static int on_attach(void *arg, struct core_link *link)
{
    struct owner *o = arg;
    (void)link;
    if (o->refuse)
        return o->refuse;
    o->attached++;
    return 0;
}

static void on_detach(void *arg, struct core_link *link)
{
    (void)link;
    ((struct owner *)arg)->detached++;
}

static struct core_hook *make_hook(const char *name, struct owner *owner)
{
    struct core_hook_desc desc = {name, "sample", owner, on_attach, on_detach};
    struct core_hook *hook;
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    return hook;
}

/* What a dispatch reported, in order. */
struct outcome {
    uint64_t retvals[8];
    int count;
    int stop_after;
};

static int record(void *arg, const struct core_link *link, uint64_t retval, const struct exec_result *result)
{
    struct outcome *o = arg;
    (void)link;
    o->retvals[o->count++] = result->status == EXEC_OK ? retval : 99;
    return o->count == o->stop_after;
}

static void programs_run_in_attach_order(void **state)
{
    (void)state;
    struct owner owner = {0};
    struct core_hook *hook = make_hook("order", &owner);
    assert_ptr_equal(core_hook_find("order"), hook);
    struct core_object *obj = load("hooked", NULL);
    struct core_link *second, *first;
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "second"), "p", 2, &second), 0);
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "first"), NULL, 0, &first), 0);
    assert_int_equal(owner.attached, 2);
    size_t size;
    assert_string_equal(core_link_params(second, &size), "p");
    assert_int_equal(size, 2);
    assert_ptr_equal(core_link_prog(first), prog_of(obj, "first"));

    struct core_sample_ctx ctx = {0};
    struct outcome out = {0};
    assert_int_equal(core_hook_invoke(hook, &ctx, NULL, record, &out), 2);
    assert_int_equal(out.count, 2);
    assert_int_equal(out.retvals[0], 2);
    assert_int_equal(out.retvals[1], 1);
    assert_int_equal(ctx.uint64_data, 21);
    /* The callback can stop the dispatch. */
    struct outcome stop = {.stop_after = 1};
    assert_int_equal(core_hook_invoke(hook, &ctx, NULL, record, &stop), 1);

    struct core_prog_info info;
    core_prog_info(prog_of(obj, "second"), &info);
    assert_int_equal(info.run_count, 2);
    assert_int_equal(info.error_count, 0);
    core_prog_info(prog_of(obj, "first"), &info);
    assert_int_equal(info.run_count, 1);

    struct core_link_info li;
    core_link_info(first, &li);
    assert_int_equal(li.prog_id, info.id);
    assert_string_equal(li.hook, "order");
    struct core_obj *by_id = core_obj_get_by_id(CORE_OBJ_LINK, li.id);
    assert_ptr_equal(core_obj_link(by_id), first);
    core_obj_release(by_id);

    /* Detaching leaves the link an object; releasing the other detaches it. */
    assert_int_equal(core_link_detach(second), 0);
    assert_int_equal(core_link_detach(second), -ENOENT);
    core_link_info(second, &li);
    assert_string_equal(li.hook, "");
    assert_int_equal(owner.detached, 1);
    core_link_release(first);
    assert_int_equal(owner.detached, 2);
    assert_int_equal(core_hook_invoke(hook, &ctx, NULL, NULL, NULL), 0);
    core_link_release(second);
    core_hook_unregister(hook);
    assert_null(core_hook_find("order"));
    core_object_close(obj);
}

static void attach_errors_and_unregister(void **state)
{
    (void)state;
    struct owner owner = {.refuse = -EPERM};
    struct core_hook *hook = make_hook("picky", &owner), *dup;
    struct core_hook_desc same = {"picky", "sample", NULL, NULL, NULL}, untyped = {"x", "nope", NULL, NULL, NULL};
    assert_int_equal(core_hook_register(&same, &dup), -EEXIST);
    assert_int_equal(core_hook_register(&untyped, &dup), -ENOENT);
    assert_int_equal(core_hook_register(NULL, &dup), -EINVAL);
    struct core_object *obj = load("hooked", NULL);
    struct core_link *link;
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "first"), NULL, 0, &link), -EPERM);
    assert_int_equal(core_hook_attach(hook, NULL, NULL, 0, &link), -EINVAL);
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "first"), NULL, 4, &link), -EINVAL);

    static const struct core_prog_type other = {.name = "other", .type_id = 5000};
    assert_int_equal(core_prog_type_register(&other), 0);
    struct core_prog *wrong = load_constant(&other, 0);
    owner.refuse = 0;
    assert_int_equal(core_hook_attach(hook, wrong, NULL, 0, &link), -EINVAL);
    core_prog_release(wrong);
    assert_int_equal(core_prog_type_unregister(&other), 0);

    /* Unregistering detaches what is attached; the link lives on, detached. */
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "first"), NULL, 0, &link), 0);
    core_hook_unregister(hook);
    assert_int_equal(owner.detached, 1);
    assert_int_equal(core_link_detach(link), -ENOENT);
    core_link_release(link);
    core_object_close(obj);
}

static void failing_programs_are_counted_and_traced(void **state)
{
    (void)state;
    struct owner owner = {0};
    struct core_hook *hook = make_hook("faulty", &owner);
    struct core_object *obj = load("errors", NULL);
    struct core_link *link;
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "exhausts_budget"), NULL, 0, &link), 0);
    uint64_t cursor = core_trace_tail();
    struct exec_result fault;
    assert_int_equal(core_prog_first_fault(prog_of(obj, "exhausts_budget"), &fault), -ENOENT);
    struct core_sample_ctx ctx = {.uint64_data = 0x10};
    struct outcome out = {0};
    assert_int_equal(core_hook_invoke(hook, &ctx, NULL, record, &out), 1);
    assert_int_equal(out.retvals[0], 99);
    struct core_prog_info info;
    core_prog_info(prog_of(obj, "exhausts_budget"), &info);
    assert_int_equal(info.error_count, 1);
    char line[CORE_TRACE_LINE_MAX];
    assert_int_equal(core_trace_follow(&cursor, line, sizeof(line), 1000), 0);
    assert_non_null(strstr(line, "program exhausts_budget on hook faulty stopped"));
    /* The first fault is kept, with its instruction, for a tool to report once. */
    assert_int_equal(core_prog_first_fault(prog_of(obj, "exhausts_budget"), &fault), 0);
    assert_int_equal(fault.status, EXEC_ERR_BUDGET);
    assert_non_null(strstr(line, fault.msg));
    out.count = 0;
    assert_int_equal(core_hook_invoke(hook, &ctx, NULL, record, &out), 1);
    struct exec_result again;
    assert_int_equal(core_prog_first_fault(prog_of(obj, "exhausts_budget"), &again), 0);
    assert_int_equal(again.pc, fault.pc);
    assert_string_equal(again.msg, fault.msg);
    core_prog_info(prog_of(obj, "exhausts_budget"), &info);
    assert_int_equal(info.error_count, 2);
    assert_int_equal(info.deny_count, 0);
    core_prog_count_denial(prog_of(obj, "exhausts_budget"));
    core_prog_info(prog_of(obj, "exhausts_budget"), &info);
    assert_int_equal(info.deny_count, 1);
    assert_string_equal(core_hook_prog_type(hook), "sample");
    core_link_release(link);
    core_hook_unregister(hook);
    core_object_close(obj);
}

enum { DISPATCHERS = 4 };

struct dispatcher {
    struct core_hook *hook;
    const struct core_prog *first;
    atomic_bool *stop;
    uint64_t first_runs;
    bool bad;
};

static int check_order(void *arg, const struct core_link *link, uint64_t retval, const struct exec_result *result)
{
    struct dispatcher *d = arg;
    const struct core_prog *prog = core_link_prog(link);
    d->bad |= result->status != EXEC_OK || (prog == d->first) != (retval == 1);
    d->first_runs += prog == d->first;
    return 0;
}

static void *dispatch(void *arg)
{
    struct dispatcher *d = arg;
    while (!atomic_load(d->stop)) {
        struct core_sample_ctx ctx = {0};
        int ran = core_hook_invoke(d->hook, &ctx, NULL, check_order, d);
        /* first always, then maybe second: never second alone or first twice. */
        d->bad |= !(ran == 1 && ctx.uint64_data == 1) && !(ran == 2 && ctx.uint64_data == 12);
    }
    return NULL;
}

/* Programs are loaded, attached, detached and freed while four threads dispatch. */
static void concurrent_dispatch_and_attach(void **state)
{
    (void)state;
    struct owner owner = {0};
    struct core_hook *hook = make_hook("busy", &owner);
    struct core_object *obj = load("hooked", NULL);
    struct core_link *first;
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "first"), NULL, 0, &first), 0);
    atomic_bool stop = false;
    struct dispatcher d[DISPATCHERS];
    pthread_t threads[DISPATCHERS];
    for (int i = 0; i < DISPATCHERS; i++) {
        d[i] = (struct dispatcher){hook, prog_of(obj, "first"), &stop, 0, false};
        assert_int_equal(pthread_create(&threads[i], NULL, dispatch, &d[i]), 0);
    }
    for (int round = 0; round < 50; round++) {
        struct core_object *churn = load("hooked", NULL);
        struct core_link *second;
        assert_int_equal(core_hook_attach(hook, prog_of(churn, "second"), NULL, 0, &second), 0);
        core_object_close(churn); /* the link holds the program now */
        sched_yield();
        if (round % 2)
            assert_int_equal(core_link_detach(second), 0);
        core_link_release(second);
    }
    atomic_store(&stop, true);
    uint64_t first_runs = 0;
    for (int i = 0; i < DISPATCHERS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_false(d[i].bad);
        first_runs += d[i].first_runs;
    }
    uint32_t zero = 0;
    uint64_t counted;
    assert_int_equal(map_lookup_copy(map_of(obj, "runs"), &zero, &counted), 0);
    assert_int_equal(counted, first_runs);
    struct core_prog_info info;
    core_prog_info(prog_of(obj, "first"), &info);
    assert_int_equal(info.run_count, first_runs);
    assert_int_equal(owner.attached, 51);
    assert_int_equal(owner.detached, 50);
    core_link_release(first);
    core_hook_unregister(hook);
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(programs_run_in_attach_order),
        cmocka_unit_test(attach_errors_and_unregister),
        cmocka_unit_test(failing_programs_are_counted_and_traced),
        cmocka_unit_test(concurrent_dispatch_and_attach),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
