/* Pins, id enumeration, fds by id, and bpf_obj_get_info_by_fd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test.h"

static struct bpf_prog_info prog_info(int fd)
{
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    __u32 len = sizeof(info);
    assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    assert_int_equal(len, sizeof(info));
    return info;
}

static struct bpf_map_info map_info(int fd)
{
    struct bpf_map_info info;
    memset(&info, 0, sizeof(info));
    __u32 len = sizeof(info);
    assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    return info;
}

static void pin_and_get(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    int runs = map_fd(obj, "runs"), first = prog_fd(obj, "first");
    assert_int_equal(bpf_obj_pin(runs, "/api/pins/runs"), 0);
    assert_int_equal(bpf_obj_pin(first, "/api/pins/first"), 0);
    assert_fails(bpf_obj_pin(first, "/api/pins/runs"), EEXIST);
    assert_fails(bpf_obj_pin(first, "relative/path"), EINVAL);
    assert_fails(bpf_obj_pin(first, NULL), EFAULT);
    assert_fails(bpf_obj_pin(-1, "/api/pins/none"), EBADF);
    assert_fails(bpf_obj_get("/api/pins/none"), ENOENT);
    assert_fails(bpf_obj_get(NULL), EFAULT);
    uint32_t runs_id = map_info(runs).id, first_id = prog_info(first).id;

    /* Pins keep objects alive after the object is closed. */
    bpf_object__close(obj);
    int map = bpf_obj_get("/api/pins/runs"), prog = bpf_obj_get("/api/pins/first");
    assert_true(map >= 0 && prog >= 0);
    assert_int_equal(map_info(map).id, runs_id);
    assert_int_equal(prog_info(prog).id, first_id);
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(prog, &ctx), 1);
    uint64_t value = 0;
    assert_int_equal(bpf_map_lookup_elem(map, &(uint32_t){0}, &value), 0);
    assert_int_equal(value, 1);

    /* Unpinned and closed, they are gone. */
    assert_int_equal(ebpf_object_unpin("/api/pins/runs"), 0);
    assert_fails(ebpf_object_unpin("/api/pins/runs"), ENOENT);
    assert_fails(ebpf_object_unpin(NULL), EFAULT);
    assert_int_equal(ebpf_object_unpin("/api/pins/first"), 0);
    close(map);
    close(prog);
    __u32 next = 0;
    int rc = bpf_map_get_next_id(runs_id - 1, &next); /* sweeps the closed fds first */
    assert_true(rc == -ENOENT || next != runs_id);
    assert_fails(bpf_map_get_fd_by_id(runs_id), ENOENT);
    assert_fails(bpf_prog_get_fd_by_id(first_id), ENOENT);
}

/* Maps pinned by name under pin_root_path are shared by every object loaded with it. */
static void pin_root_path_shares_maps(void **state)
{
    (void)state;
    LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = "/api/shared");
    struct bpf_object *a = bpf_object__open_file(object_path(CORE_PROGS, "pinned"), &opts);
    struct bpf_object *b = bpf_object__open_file(object_path(CORE_PROGS, "pinned"), &opts);
    assert_int_equal(bpf_object__load(a), 0);
    assert_int_equal(bpf_object__load(b), 0);
    assert_int_equal(run_simple(prog_fd(a, "count")), 1);
    assert_int_equal(run_simple(prog_fd(b, "count")), 2);
    int pinned = bpf_obj_get("/api/shared/shared_counter");
    assert_true(pinned >= 0);
    assert_int_equal(map_info(pinned).id, map_info(map_fd(a, "shared_counter")).id);
    assert_int_equal(map_info(pinned).id, map_info(map_fd(b, "shared_counter")).id);
    close(pinned);
    bpf_object__close(a);
    bpf_object__close(b);
    assert_int_equal(ebpf_object_unpin("/api/shared/shared_counter"), 0);
}

/* Collects the ids of one kind above start with get_next_id; returns how many. */
static int list_ids(int (*get_next_id)(__u32, __u32 *), __u32 start, __u32 *ids, int cap)
{
    int n = 0;
    __u32 id = start;
    while (get_next_id(id, &id) == 0) {
        assert_true(n < cap);
        assert_true(n == 0 || id > ids[n - 1]);
        ids[n++] = id;
    }
    assert_int_equal(errno, ENOENT);
    return n;
}

static void ids_enumerate_live_objects(void **state)
{
    (void)state;
    __u32 before_prog = 0, before_map = 0, ids[64];
    int n = list_ids(bpf_prog_get_next_id, 0, ids, 64);
    if (n)
        before_prog = ids[n - 1];
    n = list_ids(bpf_map_get_next_id, 0, ids, 64);
    if (n)
        before_map = ids[n - 1];
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    assert_int_equal(list_ids(bpf_prog_get_next_id, before_prog, ids, 64), 2);
    assert_int_equal(ids[0], prog_info(prog_fd(obj, "first")).id);
    assert_int_equal(ids[1], prog_info(prog_fd(obj, "second")).id);
    int fd = bpf_prog_get_fd_by_id(ids[1]);
    assert_true(fd >= 0);
    assert_string_equal(prog_info(fd).name, "second");
    close(fd);
    assert_int_equal(list_ids(bpf_map_get_next_id, before_map, ids, 64), 1);
    fd = bpf_map_get_fd_by_id(ids[0]);
    assert_string_equal(map_info(fd).name, "runs");
    close(fd);
    bpf_object__close(obj);
    assert_int_equal(list_ids(bpf_prog_get_next_id, before_prog, ids, 64), 0);
    assert_int_equal(list_ids(bpf_map_get_next_id, before_map, ids, 64), 0);
    assert_fails(bpf_prog_get_next_id(0, NULL), EFAULT);
    assert_fails(bpf_map_get_next_id(0, NULL), EFAULT);
    assert_fails(bpf_link_get_next_id(0, NULL), EFAULT);
    assert_fails(bpf_prog_get_next_id(UINT32_MAX, ids), ENOENT);
    assert_fails(bpf_prog_get_fd_by_id(UINT32_MAX), ENOENT);
    assert_fails(bpf_map_get_fd_by_id(UINT32_MAX), ENOENT);
    assert_fails(bpf_link_get_fd_by_id(UINT32_MAX), ENOENT);
}

static void info_structs(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "errors");
    int prog = prog_fd(obj, "ctx_helper_returns_old"), hash = map_fd(obj, "hash");
    struct bpf_map_info mi = map_info(map_fd(obj, "readonly"));
    assert_int_equal(mi.type, BPF_MAP_TYPE_ARRAY);
    assert_int_equal(mi.key_size, 4);
    assert_int_equal(mi.value_size, 8);
    assert_int_equal(mi.max_entries, 1);
    assert_int_equal(mi.map_flags, BPF_F_RDONLY_PROG);
    assert_string_equal(mi.name, "readonly");

    struct bpf_prog_info pi = prog_info(prog);
    assert_int_equal(pi.type, BPF_PROG_TYPE_SAMPLE);
    assert_string_equal(pi.name, "ctx_helper_retu"); /* cut to 15 characters, as Linux */
    assert_int_equal(pi.nr_map_ids, 0);
    assert_int_equal(pi.run_cnt, 0);
    assert_true(pi.xlated_prog_len >= 16 && pi.xlated_prog_len % 8 == 0);
    /* The buffers the caller passes: instructions and map ids, cut to their room. */
    uint8_t insns[16];
    __u32 ids[2] = {0};
    struct bpf_prog_info with_buffers;
    memset(&with_buffers, 0, sizeof(with_buffers));
    with_buffers.xlated_prog_len = sizeof(insns);
    with_buffers.xlated_prog_insns = (uintptr_t)insns;
    with_buffers.nr_map_ids = 2;
    with_buffers.map_ids = (uintptr_t)ids;
    __u32 len = sizeof(with_buffers);
    int readonly_prog = prog_fd(obj, "readonly_map");
    assert_int_equal(bpf_obj_get_info_by_fd(readonly_prog, &with_buffers, &len), 0);
    assert_int_equal(with_buffers.nr_map_ids, 1);
    assert_int_equal(ids[0], mi.id);
    assert_true(with_buffers.xlated_prog_len > sizeof(insns));
    assert_int_not_equal(insns[0], 0);

    /* A shorter struct gets what fits; a longer one must have zeros beyond ours. */
    struct {
        struct bpf_map_info known;
        uint32_t future;
    } longer;
    memset(&longer, 0, sizeof(longer));
    len = sizeof(longer);
    assert_int_equal(bpf_obj_get_info_by_fd(hash, &longer, &len), 0);
    assert_int_equal(len, sizeof(struct bpf_map_info));
    assert_string_equal(longer.known.name, "hash");
    longer.future = 1;
    len = sizeof(longer);
    assert_fails(bpf_obj_get_info_by_fd(hash, &longer, &len), E2BIG);
    struct bpf_map_info shorter;
    memset(&shorter, 0xee, sizeof(shorter));
    len = offsetof(struct bpf_map_info, key_size);
    assert_int_equal(bpf_obj_get_info_by_fd(hash, &shorter, &len), 0);
    assert_int_equal(len, offsetof(struct bpf_map_info, key_size));
    assert_int_equal(shorter.type, BPF_MAP_TYPE_HASH);
    assert_int_equal(shorter.key_size, 0xeeeeeeee); /* untouched */

    assert_fails(bpf_obj_get_info_by_fd(hash, NULL, &len), EFAULT);
    assert_fails(bpf_obj_get_info_by_fd(hash, &shorter, NULL), EFAULT);
    assert_fails(bpf_obj_get_info_by_fd(-1, &shorter, &len), EBADF);
    assert_fails(bpf_obj_get_info_by_fd(0, &shorter, &len), EINVAL);
    struct bpf_prog_info no_buffer;
    memset(&no_buffer, 0, sizeof(no_buffer));
    no_buffer.nr_map_ids = 1;
    len = sizeof(no_buffer);
    assert_fails(bpf_obj_get_info_by_fd(prog, &no_buffer, &len), EFAULT);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pin_and_get),
        cmocka_unit_test(pin_root_path_shares_maps),
        cmocka_unit_test(ids_enumerate_live_objects),
        cmocka_unit_test(info_structs),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
