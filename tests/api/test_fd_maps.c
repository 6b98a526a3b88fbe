/* Maps that hold programs and maps: tail calls through a statically
 * initialised prog array, maps of maps, filled by fd from user space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test.h"

/* The id of the object of fd. */
static uint32_t id_of(int fd)
{
    struct bpf_map_info info; /* the id is at the same place in every info struct but the link's */
    __u32 len = sizeof(info.type) + sizeof(info.id);
    memset(&info, 0, sizeof(info));
    assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    return info.id;
}

/* The id stored in slot key of the map of fd. */
static uint32_t slot(int fd, uint32_t key)
{
    uint32_t id = 0;
    assert_int_equal(bpf_map_lookup_elem(fd, &key, &id), 0);
    return id;
}

static void tail_calls_through_the_prog_array(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "tail_calls");
    int jumps = map_fd(obj, "jumps");
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(prog_fd(obj, "entry"), &ctx), 23);
    assert_int_equal(ctx.uint64_data, 123);
    uint64_t hits = 0;
    assert_int_equal(bpf_map_lookup_elem(map_fd(obj, "hits"), &(uint32_t){0}, &hits), 0);
    assert_int_equal(hits, 1);
    /* The static slots, as user space sees them: program ids. */
    assert_int_equal(slot(jumps, 0), id_of(prog_fd(obj, "stage_one")));
    assert_int_equal(slot(jumps, 1), id_of(prog_fd(obj, "stage_two")));
    uint32_t key = 3, id;
    assert_fails(bpf_map_lookup_elem(jumps, &key, &id), ENOENT);
    assert_int_equal(run_simple(prog_fd(obj, "missing")), 7);
    /* 1 run + 33 tail calls, then the 34th fails and the program returns. */
    ctx = (struct core_sample_ctx){0};
    assert_int_equal(run_on(prog_fd(obj, "recurse"), &ctx), 34);

    /* User space fills slot 3 with a program's fd. */
    int stage_two = prog_fd(obj, "stage_two");
    assert_int_equal(bpf_map_update_elem(jumps, &key, &stage_two, BPF_ANY), 0);
    assert_int_equal(slot(jumps, 3), id_of(stage_two));
    assert_int_equal(run_simple(prog_fd(obj, "slot3")), 23);
    assert_int_equal(bpf_map_delete_elem(jumps, &key), 0);
    assert_fails(bpf_map_delete_elem(jumps, &key), ENOENT);
    assert_int_equal(run_simple(prog_fd(obj, "slot3")), -ENOENT);

    /* What a prog array takes: program fds only, inside its bounds. */
    int hits_fd = map_fd(obj, "hits"), closed = dup(stage_two), not_ours = dup(0);
    close(closed);
    assert_fails(bpf_map_update_elem(jumps, &key, &hits_fd, BPF_ANY), EINVAL);
    assert_fails(bpf_map_update_elem(jumps, &key, &closed, BPF_ANY), EBADF);
    assert_fails(bpf_map_update_elem(jumps, &key, &not_ours, BPF_ANY), EINVAL);
    close(not_ours);
    key = 4;
    assert_fails(bpf_map_update_elem(jumps, &key, &stage_two, BPF_ANY), E2BIG);
    bpf_object__close(obj);
}

static void maps_of_maps(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int outer = map_fd(obj, "outer"), outer_hash = map_fd(obj, "outer_hash"), inner_a = map_fd(obj, "inner_a");
    int prog = prog_fd(obj, "map_in_map_ops");
    /* outer[0] holds inner_a from the object file. */
    assert_int_equal(slot(outer, 0), id_of(inner_a));
    struct core_sample_ctx ctx = {.uint32_data = 5};
    assert_int_equal(run_on(prog, &ctx), 1); /* outer_hash[5] is empty */
    uint64_t value = 0;
    uint32_t one = 1, five = 5;
    assert_int_equal(bpf_map_lookup_elem(inner_a, &one, &value), 0);
    assert_int_equal(value, 42);

    /* A map made here goes into outer_hash[5]; the program finds it there. */
    int inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "inner_new", 4, 8, 2, NULL);
    assert_true(inner >= 0);
    assert_int_equal(bpf_map_update_elem(outer_hash, &five, &inner, BPF_NOEXIST), 0);
    assert_fails(bpf_map_update_elem(outer_hash, &five, &inner, BPF_NOEXIST), EEXIST);
    assert_int_equal(slot(outer_hash, 5), id_of(inner));
    uint32_t next;
    assert_int_equal(bpf_map_get_next_key(outer_hash, NULL, &next), 0);
    assert_int_equal(next, 5);
    assert_int_equal(run_on(prog, &ctx), 2);
    assert_int_equal(bpf_map_lookup_elem(inner, &one, &value), 0);
    assert_int_equal(value, 43);
    assert_int_equal(bpf_map_delete_elem(outer_hash, &five), 0);
    assert_int_equal(run_on(prog, &ctx), 1);

    /* Inner maps must be like the template; only map fds go in. */
    int wrong_size = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 2, NULL);
    int wrong_type = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 2, NULL);
    assert_fails(bpf_map_update_elem(outer_hash, &five, &wrong_size, BPF_ANY), EINVAL);
    assert_fails(bpf_map_update_elem(outer, &one, &wrong_type, BPF_ANY), EINVAL);
    assert_fails(bpf_map_update_elem(outer, &one, &prog, BPF_ANY), EINVAL);
    uint32_t two = 2;
    assert_fails(bpf_map_update_elem(outer, &two, &inner, BPF_ANY), E2BIG);

    /* A map of maps made here, its template given by fd. */
    LIBBPF_OPTS(bpf_map_create_opts, like_inner, .inner_map_fd = (__u32)inner);
    int made = bpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, "outer_new", 4, 4, 2, &like_inner);
    assert_true(made >= 0);
    assert_int_equal(bpf_map_update_elem(made, &one, &inner_a, BPF_ANY), 0);
    assert_int_equal(slot(made, 1), id_of(inner_a));
    assert_fails(bpf_map_update_elem(made, &two, &wrong_type, BPF_ANY), EINVAL);
    close(made);
    close(wrong_size);
    close(wrong_type);
    close(inner);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tail_calls_through_the_prog_array),
        cmocka_unit_test(maps_of_maps),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
