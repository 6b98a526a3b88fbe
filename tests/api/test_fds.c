/* The fd rule: real descriptors, closed with close(), never mistaken for
 * another file, and the objects behind them released. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test.h"

static uint32_t map_id_of(int fd)
{
    struct bpf_map_info info = {0};
    __u32 len = sizeof(info);
    assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    return info.id;
}

/* True if the map of that id is still alive (checked without a sweep). */
static bool map_alive(uint32_t id)
{
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) {
        assert_int_equal(errno, ENOENT);
        return false;
    }
    close(fd);
    return true;
}

static void fds_are_real_descriptors(void **state)
{
    (void)state;
    int app = open("/dev/null", O_RDONLY);
    int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "real", 4, 4, 1, NULL);
    assert_true(map >= 0);
    assert_int_not_equal(map, app);
    assert_true(fcntl(map, F_GETFD) & FD_CLOEXEC);
    char link[64], target[256] = "";
    snprintf(link, sizeof(link), "/proc/self/fd/%d", map);
    assert_true(readlink(link, target, sizeof(target) - 1) > 0);
    assert_non_null(strstr(target, "bpf-map"));
    /* Another fd for the same map: a different number, the same object. */
    int again = bpf_map_get_fd_by_id(map_id_of(map));
    assert_true(again >= 0);
    assert_int_not_equal(again, map);
    assert_int_equal(map_id_of(again), map_id_of(map));
    uint32_t key = 0, value = 9;
    assert_int_equal(bpf_map_update_elem(again, &key, &value, BPF_ANY), 0);
    close(again);
    value = 0;
    assert_int_equal(bpf_map_lookup_elem(map, &key, &value), 0);
    assert_int_equal(value, 9);
    close(map);
    close(app);
}

static void closed_numbers_are_never_objects(void **state)
{
    (void)state;
    int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
    assert_true(map >= 0);
    uint32_t key = 0, value;
    close(map);
    assert_fails(bpf_map_lookup_elem(map, &key, &value), EBADF);
    /* The application reuses the number for a file of its own. */
    map = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
    close(map);
    int file = open("/dev/null", O_RDONLY);
    assert_int_equal(file, map);
    assert_fails(bpf_map_lookup_elem(file, &key, &value), EINVAL);
    assert_fails(bpf_obj_pin(file, "/api/fds/file"), EINVAL);
    close(file);
    /* The library reuses the number: it stands for the new object. */
    int old = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
    uint32_t old_id = map_id_of(old);
    close(old);
    int fresh = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 4, 1, NULL);
    assert_int_equal(fresh, old);
    assert_int_not_equal(map_id_of(fresh), old_id);
    assert_false(map_alive(old_id)); /* replacing the entry let go of the old map */
    close(fresh);
}

/* An object whose last fd was closed lives until a sweep (or reuse) notices. */
static void closed_objects_go_at_the_next_sweep(void **state)
{
    (void)state;
    int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
    uint32_t id = map_id_of(map), next;
    close(map);
    int probe = open("/dev/null", O_RDONLY); /* takes map's number: no reuse by the library */
    assert_int_equal(probe, map);
    assert_true(map_alive(id));
    assert_true(bpf_map_get_next_id(0, &next) == 0 || errno == ENOENT); /* sweeps */
    assert_false(map_alive(id));
    close(probe);
}

static void object_fds_are_closed_by_the_object(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    int prog = prog_fd(obj, "first"), runs = map_fd(obj, "runs");
    uint32_t runs_id = map_id_of(runs);
    bpf_object__close(obj);
    assert_fails(fcntl(prog, F_GETFD) < 0 ? -errno : 0, EBADF);
    assert_fails(fcntl(runs, F_GETFD) < 0 ? -errno : 0, EBADF);
    assert_false(map_alive(runs_id));

    /* An object fd the application closed by mistake, and reused: the
     * object's close leaves the application's file alone. */
    obj = load_object(CORE_PROGS, "hooked");
    runs = map_fd(obj, "runs");
    close(runs);
    int file = open("/dev/null", O_RDONLY);
    assert_int_equal(file, runs);
    bpf_object__close(obj);
    assert_true(fcntl(file, F_GETFD) >= 0);
    close(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fds_are_real_descriptors),
        cmocka_unit_test(closed_numbers_are_never_objects),
        cmocka_unit_test(closed_objects_go_at_the_next_sweep),
        cmocka_unit_test(object_fds_are_closed_by_the_object),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
