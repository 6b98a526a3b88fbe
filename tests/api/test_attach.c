/* bpf_program__attach: links to the hook named like the program type,
 * their fds, ids, info, pins, and when they detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test.h"

/* The extension side of the "sample" hook. */
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

/* Fires the sample hook once; returns how many programs ran, the context's mark in *mark. */
static int fire(uint64_t *mark)
{
    struct core_sample_ctx ctx = {0};
    int ran = core_hook_invoke(core_hook_find("sample"), &ctx, NULL, NULL, NULL);
    *mark = ctx.uint64_data;
    return ran;
}

static struct bpf_link_info link_info(int fd)
{
    struct bpf_link_info info = {0};
    __u32 len = sizeof(info);
    assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    return info;
}

static __u32 prog_id(int fd)
{
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    __u32 len = sizeof(info);
    assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    return info.id;
}

static void attach_needs_a_hook(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    capture_messages();
    assert_null_with(bpf_program__attach(bpf_object__find_program_by_name(obj, "first")), EOPNOTSUPP);
    assert_non_null(strstr(captured, "no hook 'sample'"));
    /* A hook that refuses. */
    struct owner owner = {.refuse = -EPERM};
    struct core_hook_desc desc = {"sample", "sample", &owner, on_attach, on_detach};
    struct core_hook *hook;
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    assert_null_with(bpf_program__attach(bpf_object__find_program_by_name(obj, "first")), EPERM);
    core_hook_unregister(hook);
    bpf_object__close(obj);
}

static void attach_hook_picks_a_hook_by_name(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    struct bpf_program *first = bpf_object__find_program_by_name(obj, "first");
    capture_messages();
    assert_null_with(bpf_program__attach_hook(first, "no/such/hook"), EOPNOTSUPP);
    assert_non_null(strstr(captured, "no hook 'no/such/hook'"));
    assert_null_with(bpf_program__attach_hook(first, NULL), EINVAL);
    assert_null_with(bpf_program__attach_hook(NULL, "sample/named"), EINVAL);
    /* A hook of another program type refuses the program. */
    assert_null_with(bpf_program__attach_hook(first, "process"), EINVAL);
    struct owner owner = {0};
    struct core_hook_desc desc = {"sample/named", "sample", &owner, on_attach, on_detach};
    struct core_hook *hook;
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    struct bpf_link *link = bpf_program__attach_hook(first, "sample/named");
    assert_non_null(link);
    assert_int_equal(owner.attached, 1);
    assert_int_equal(bpf_link__destroy(link), 0);
    assert_int_equal(owner.detached, 1);
    core_hook_unregister(hook);
    bpf_object__close(obj);
}

static void links_run_programs_until_destroyed(void **state)
{
    (void)state;
    struct owner owner = {0};
    struct core_hook_desc desc = {"sample", "sample", &owner, on_attach, on_detach};
    struct core_hook *hook;
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    struct bpf_link *first = bpf_program__attach(bpf_object__find_program_by_name(obj, "first"));
    struct bpf_link *second = bpf_program__attach(bpf_object__find_program_by_name(obj, "second"));
    assert_non_null(first);
    assert_non_null(second);
    assert_int_equal(owner.attached, 2);
    uint64_t mark;
    assert_int_equal(fire(&mark), 2);
    assert_int_equal(mark, 12);
    /* Runs by the hook are counted in the program's info and its map. */
    struct bpf_prog_info pi;
    memset(&pi, 0, sizeof(pi));
    __u32 len = sizeof(pi);
    assert_int_equal(bpf_obj_get_info_by_fd(prog_fd(obj, "first"), &pi, &len), 0);
    assert_int_equal(pi.run_cnt, 1);
    uint64_t runs = 0;
    assert_int_equal(bpf_map_lookup_elem(map_fd(obj, "runs"), &(uint32_t){1}, &runs), 0);
    assert_int_equal(runs, 1);

    /* Links are objects: an fd, an id, info. */
    int fd = bpf_link__fd(first);
    assert_true(fd >= 0);
    struct bpf_link_info li = link_info(fd);
    assert_int_equal(li.prog_id, prog_id(prog_fd(obj, "first")));
    __u32 next;
    assert_int_equal(bpf_link_get_next_id(li.id - 1, &next), 0);
    assert_int_equal(next, li.id);
    int by_id = bpf_link_get_fd_by_id(li.id);
    assert_int_equal(link_info(by_id).prog_id, li.prog_id);

    /* Detaching is at once; destroying a detached link is fine. */
    assert_int_equal(bpf_link__detach(second), 0);
    assert_fails(bpf_link__detach(second), ENOENT);
    assert_int_equal(owner.detached, 1);
    assert_int_equal(bpf_link__destroy(second), 0);

    /* The object closes; its attached program stays, held by the link. */
    bpf_object__close(obj);
    assert_int_equal(fire(&mark), 1);
    assert_int_equal(mark, 1);
    /* The fd by id was closed: destroying the link detaches it. */
    close(by_id);
    assert_int_equal(bpf_link__destroy(first), 0);
    assert_int_equal(owner.detached, 2);
    assert_int_equal(fire(&mark), 0);
    assert_fails(bpf_link_get_fd_by_id(li.id), ENOENT);
    core_hook_unregister(hook);
}

/* A pinned link stays attached after bpf_link__destroy, until unpinned. */
static void pinned_links_outlive_destroy(void **state)
{
    (void)state;
    struct owner owner = {0};
    struct core_hook_desc desc = {"sample", "sample", &owner, on_attach, on_detach};
    struct core_hook *hook;
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    struct bpf_link *link = bpf_program__attach(bpf_object__find_program_by_name(obj, "second"));
    assert_non_null(link);
    assert_int_equal(bpf_obj_pin(bpf_link__fd(link), "/api/links/second"), 0);
    assert_int_equal(bpf_link__destroy(link), 0);
    uint64_t mark;
    assert_int_equal(fire(&mark), 1);
    assert_int_equal(mark, 2);
    int fd = bpf_obj_get("/api/links/second");
    assert_true(fd >= 0);
    assert_int_equal(link_info(fd).prog_id, prog_id(prog_fd(obj, "second")));
    close(fd);
    assert_int_equal(ebpf_object_unpin("/api/links/second"), 0);
    __u32 next;
    bpf_link_get_next_id(0, &next); /* sweeps the closed fd */
    assert_int_equal(owner.detached, 1);
    assert_int_equal(fire(&mark), 0);
    assert_fails(bpf_link__fd(NULL), EINVAL);
    assert_fails(bpf_link__detach(NULL), EINVAL);
    assert_int_equal(bpf_link__destroy(NULL), 0);
    bpf_object__close(obj);
    core_hook_unregister(hook);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attach_needs_a_hook),
        cmocka_unit_test(attach_hook_picks_a_hook_by_name),
        cmocka_unit_test(links_run_programs_until_destroyed),
        cmocka_unit_test(pinned_links_outlive_destroy),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
