/* Maps by fd from user space: hash, array, queue, stack, LPM trie, ring
 * buffer, created maps, the size-checked bpf_map__ calls, and their errors. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test.h"

static void hash_from_user_space_and_programs(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int hash = map_fd(obj, "hash");
    /* The program inserts key 1 = 10 and adds 5 through its pointer. */
    assert_int_equal(run_simple(prog_fd(obj, "hash_ops")), 15);
    uint32_t key = 1, next;
    uint64_t value = 0;
    assert_int_equal(bpf_map_lookup_elem(hash, &key, &value), 0);
    assert_int_equal(value, 15);
    value = 7;
    assert_fails(bpf_map_update_elem(hash, &key, &value, BPF_NOEXIST), EEXIST);
    assert_int_equal(bpf_map_update_elem(hash, &key, &value, BPF_EXIST), 0);
    key = 2;
    assert_fails(bpf_map_update_elem(hash, &key, &value, BPF_EXIST), ENOENT);
    assert_fails(bpf_map_lookup_elem(hash, &key, &value), ENOENT);
    assert_fails(bpf_map_delete_elem(hash, &key), ENOENT);
    assert_fails(bpf_map_update_elem(hash, &key, &value, 7), EINVAL);
    /* Full at 16 entries. */
    for (key = 2; key <= 16; key++) {
        value = key * 100;
        assert_int_equal(bpf_map_update_elem(hash, &key, &value, BPF_ANY), 0);
    }
    assert_fails(bpf_map_update_elem(hash, &key, &value, BPF_ANY), E2BIG);
    /* Every key once, then ENOENT; a missing key starts over. */
    uint32_t seen = 0, count = 0;
    const void *cursor = NULL;
    while (bpf_map_get_next_key(hash, cursor, &next) == 0) {
        assert_true(next >= 1 && next <= 16);
        assert_false(seen & (1u << next));
        seen |= 1u << next;
        count++;
        key = next;
        cursor = &key;
    }
    assert_int_equal(errno, ENOENT);
    assert_int_equal(count, 16);
    key = 99;
    assert_int_equal(bpf_map_get_next_key(hash, &key, &next), 0);
    /* Copy and delete at once. */
    key = 16;
    assert_int_equal(bpf_map_lookup_and_delete_elem(hash, &key, &value), 0);
    assert_int_equal(value, 1600);
    assert_fails(bpf_map_lookup_and_delete_elem(hash, &key, &value), ENOENT);
    assert_int_equal(bpf_map_delete_elem(hash, &(uint32_t){15}), 0);
    bpf_object__close(obj);
}

static void array_semantics(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int array = map_fd(obj, "array");
    uint32_t key = 3, beyond = 4, next;
    uint64_t value = 1;
    assert_int_equal(bpf_map_lookup_elem(array, &key, &value), 0);
    assert_int_equal(value, 0); /* arrays start zeroed */
    assert_int_equal(run_simple(prog_fd(obj, "array_ops")), 7);
    assert_int_equal(bpf_map_lookup_elem(array, &key, &value), 0);
    assert_int_equal(value, 7);
    assert_fails(bpf_map_lookup_elem(array, &beyond, &value), ENOENT);
    assert_fails(bpf_map_update_elem(array, &beyond, &value, BPF_ANY), E2BIG);
    assert_fails(bpf_map_update_elem(array, &key, &value, BPF_NOEXIST), EEXIST);
    assert_fails(bpf_map_delete_elem(array, &key), EINVAL);
    assert_int_equal(bpf_map_get_next_key(array, NULL, &next), 0);
    assert_int_equal(next, 0);
    assert_fails(bpf_map_get_next_key(array, &key, &next), ENOENT);
    bpf_object__close(obj);
}

static void queue_and_stack(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int queue = map_fd(obj, "queue"), stack = map_fd(obj, "stack");
    for (uint32_t v = 1; v <= 4; v++) {
        assert_int_equal(bpf_map_update_elem(queue, NULL, &v, BPF_ANY), 0);
        assert_int_equal(bpf_map_update_elem(stack, NULL, &v, BPF_ANY), 0);
    }
    uint32_t v = 5, out = 0, key = 0;
    assert_fails(bpf_map_update_elem(queue, NULL, &v, BPF_ANY), E2BIG);
    /* BPF_EXIST makes room by dropping the oldest. */
    assert_int_equal(bpf_map_update_elem(queue, NULL, &v, BPF_EXIST), 0);
    assert_int_equal(bpf_map_lookup_elem(queue, NULL, &out), 0); /* peek */
    assert_int_equal(out, 2);
    assert_int_equal(bpf_map_lookup_and_delete_elem(queue, NULL, &out), 0); /* pop */
    assert_int_equal(out, 2);
    assert_int_equal(bpf_map_lookup_and_delete_elem(stack, NULL, &out), 0);
    assert_int_equal(out, 4);
    assert_int_equal(bpf_map_lookup_elem(stack, NULL, &out), 0);
    assert_int_equal(out, 3);
    /* No keys: a key is an error, and so are delete and iteration. */
    assert_fails(bpf_map_lookup_elem(queue, &key, &out), EINVAL);
    assert_fails(bpf_map_update_elem(stack, &key, &v, BPF_ANY), EINVAL);
    assert_fails(bpf_map_delete_elem(queue, NULL), EINVAL);
    assert_fails(bpf_map_get_next_key(queue, NULL, &key), EINVAL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(bpf_map_lookup_and_delete_elem(queue, NULL, &out), 0);
    assert_int_equal(out, 5);
    assert_fails(bpf_map_lookup_and_delete_elem(queue, NULL, &out), ENOENT);
    assert_fails(bpf_map_lookup_elem(queue, NULL, &out), ENOENT);
    /* The program sees what user space left: the stack holds 1, 2, so of
     * the program's pushes of 1..4 only 1 and 2 fit and 2 is on top. */
    assert_int_equal(bpf_map_lookup_and_delete_elem(stack, NULL, &out), 0);
    assert_int_equal(run_simple(prog_fd(obj, "queue_stack_ops")), 112);
    bpf_object__close(obj);
}

struct lpm_key {
    uint32_t prefixlen;
    uint8_t addr[4];
};

/* The value of the longest prefix matching addr, or -1 (ENOENT). */
static int longest(int fd, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct lpm_key key = {32, {a, b, c, d}};
    uint32_t value;
    if (bpf_map_lookup_elem(fd, &key, &value) != 0) {
        assert_int_equal(errno, ENOENT);
        return -1;
    }
    return (int)value;
}

static void lpm_longest_prefix(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int lpm = map_fd(obj, "lpm");
    /* The program inserts 10/8 -> 1 and 10.1/16 -> 2 and checks its own lookups. */
    assert_int_equal(run_simple(prog_fd(obj, "lpm_ops")), 210);
    struct lpm_key net24 = {24, {10, 1, 2, 0}}, host = {32, {10, 1, 2, 3}}, any = {0, {0}};
    uint32_t three = 3, four = 4, zero = 0;
    assert_int_equal(bpf_map_update_elem(lpm, &net24, &three, BPF_NOEXIST), 0);
    assert_int_equal(bpf_map_update_elem(lpm, &host, &four, BPF_ANY), 0);
    assert_int_equal(longest(lpm, 10, 1, 2, 3), 4);
    assert_int_equal(longest(lpm, 10, 1, 2, 4), 3);
    assert_int_equal(longest(lpm, 10, 1, 3, 0), 2);
    assert_int_equal(longest(lpm, 10, 200, 0, 1), 1);
    assert_int_equal(longest(lpm, 11, 0, 0, 0), -1);
    assert_int_equal(bpf_map_update_elem(lpm, &any, &zero, BPF_ANY), 0);
    assert_int_equal(longest(lpm, 11, 0, 0, 0), 0);
    /* Removing a prefix exposes the shorter one. */
    assert_int_equal(bpf_map_delete_elem(lpm, &net24), 0);
    assert_fails(bpf_map_delete_elem(lpm, &net24), ENOENT);
    assert_int_equal(longest(lpm, 10, 1, 2, 4), 2);
    struct lpm_key too_long = {33, {10, 0, 0, 0}};
    assert_fails(bpf_map_update_elem(lpm, &too_long, &zero, BPF_ANY), EINVAL);
    /* Five prefixes left: 0/0, 10/8, 10.1/16, 10.1.2.3/32. */
    struct lpm_key k, next;
    int count = 0;
    for (const void *cursor = NULL; bpf_map_get_next_key(lpm, cursor, &next) == 0; cursor = &k, count++)
        k = next;
    assert_int_equal(count, 4);
    bpf_object__close(obj);
}

static void bad_handles_and_buffers(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int hash = map_fd(obj, "hash"), prog = prog_fd(obj, "hash_ops");
    uint32_t key = 1;
    uint64_t value = 1;
    assert_fails(bpf_map_lookup_elem(-1, &key, &value), EBADF);
    assert_fails(bpf_map_update_elem(9999, &key, &value, 0), EBADF);
    int devnull = open("/dev/null", O_RDONLY);
    assert_fails(bpf_map_lookup_elem(devnull, &key, &value), EINVAL);
    close(devnull);
    assert_fails(bpf_map_delete_elem(prog, &key), EINVAL); /* a program, not a map */
    assert_fails(bpf_map_lookup_elem(hash, NULL, &value), EFAULT);
    assert_fails(bpf_map_lookup_elem(hash, &key, NULL), EFAULT);
    assert_fails(bpf_map_update_elem(hash, NULL, &value, 0), EFAULT);
    assert_fails(bpf_map_update_elem(hash, &key, NULL, 0), EFAULT);
    assert_fails(bpf_map_delete_elem(hash, NULL), EFAULT);
    assert_fails(bpf_map_get_next_key(hash, NULL, NULL), EFAULT);
    assert_fails(bpf_map_lookup_and_delete_elem(hash, &key, NULL), EFAULT);
    /* A ring buffer has no elements to look up or change. */
    struct bpf_object *rb = load_object(CORE_PROGS, "ringbuf");
    int events = map_fd(rb, "events");
    assert_fails(bpf_map_lookup_elem(events, NULL, &value), EOPNOTSUPP);
    assert_fails(bpf_map_update_elem(events, NULL, &value, 0), EOPNOTSUPP);
    assert_fails(bpf_map_delete_elem(events, NULL), EOPNOTSUPP);
    assert_fails(bpf_map_get_next_key(events, NULL, &key), EOPNOTSUPP);
    assert_fails(bpf_map_lookup_elem(events, &key, &value), EINVAL); /* it has no keys */
    bpf_object__close(rb);
    bpf_object__close(obj);
}

static void created_maps(void **state)
{
    (void)state;
    LIBBPF_OPTS(bpf_map_create_opts, no_prealloc, .map_flags = BPF_F_NO_PREALLOC);
    int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "made_here", 4, 4, 2, &no_prealloc);
    assert_true(fd >= 0);
    uint32_t key = 1, value = 2;
    assert_int_equal(bpf_map_update_elem(fd, &key, &value, BPF_ANY), 0);
    value = 0;
    assert_int_equal(bpf_map_lookup_elem(fd, &key, &value), 0);
    assert_int_equal(value, 2);
    struct bpf_map_info info = {0};
    __u32 len = sizeof(info);
    assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    assert_string_equal(info.name, "made_here");
    assert_int_equal(info.map_flags, BPF_F_NO_PREALLOC);
    close(fd);

    assert_fails(bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, NULL, 4, 4, 1, NULL), EINVAL);
    assert_fails(bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 4, 0, NULL), EINVAL);
    captured[0] = '\0';
    assert_fails(bpf_map_create(BPF_MAP_TYPE_ARRAY, "short_key", 2, 4, 1, NULL), EINVAL);
    assert_non_null(strstr(captured, "bpf_map_create: map 'short_key': key size 2 is below 4 bytes"));
    assert_fails(bpf_map_create(BPF_MAP_TYPE_HASH, "no-dashes", 4, 4, 1, NULL), EINVAL);
    /* Maps of maps need an inner map to copy: fd 0 is no map. */
    assert_fails(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 1, NULL), EINVAL);
    struct bpf_map_create_opts small = {.sz = 2};
    assert_fails(bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 4, 1, &small), EINVAL);
}

static void size_checked_calls(void **state)
{
    (void)state;
    struct bpf_object *obj = bpf_object__open_file(object_path(CORE_PROGS, "maps_all"), NULL);
    assert_non_null(obj);
    const struct bpf_map *hash = bpf_object__find_map_by_name(obj, "hash");
    const struct bpf_map *percpu = bpf_object__find_map_by_name(obj, "percpu");
    const struct bpf_map *queue = bpf_object__find_map_by_name(obj, "queue");
    uint32_t key = 1, next;
    uint64_t value = 5;
    assert_fails(bpf_map__update_elem(hash, &key, sizeof(key), &value, sizeof(value), 0), ENOENT); /* not loaded */
    assert_int_equal(bpf_object__load(obj), 0);
    assert_int_equal(bpf_map__update_elem(hash, &key, sizeof(key), &value, sizeof(value), 0), 0);
    value = 0;
    assert_int_equal(bpf_map__lookup_elem(hash, &key, sizeof(key), &value, sizeof(value), 0), 0);
    assert_int_equal(value, 5);
    assert_int_equal(bpf_map__get_next_key(hash, NULL, &next, sizeof(next)), 0);
    assert_int_equal(next, 1);
    /* Wrong sizes and flags. */
    capture_messages();
    assert_fails(bpf_map__lookup_elem(hash, &key, 8, &value, sizeof(value), 0), EINVAL);
    assert_non_null(strstr(captured, "map 'hash': key size 8, expected 4"));
    assert_fails(bpf_map__lookup_elem(hash, &key, sizeof(key), &value, 4, 0), EINVAL);
    assert_fails(bpf_map__update_elem(hash, &key, 2, &value, sizeof(value), 0), EINVAL);
    assert_fails(bpf_map__lookup_elem(hash, &key, sizeof(key), &value, sizeof(value), 1), EINVAL);
    assert_fails(bpf_map__delete_elem(hash, &key, 3, 0), EINVAL);
    assert_fails(bpf_map__delete_elem(hash, &key, sizeof(key), 1), EINVAL);
    assert_fails(bpf_map__get_next_key(hash, NULL, &next, 1), EINVAL);
    assert_fails(bpf_map__lookup_and_delete_elem(hash, &key, sizeof(key), &value, sizeof(value), 4), EINVAL);
    assert_fails(bpf_map__lookup_elem(NULL, &key, sizeof(key), &value, sizeof(value), 0), EINVAL);
    /* Per-CPU values: one per CPU, rounded up to 8 bytes. */
    size_t cpus = (size_t)libbpf_num_possible_cpus();
    assert_true(cpus >= 1);
    uint64_t *values = calloc(cpus, sizeof(*values));
    key = 0;
    assert_fails(bpf_map__lookup_elem(percpu, &key, sizeof(key), values, sizeof(uint64_t), 0),
                 cpus == 1 ? 0 : EINVAL);
    assert_int_equal(bpf_map__lookup_elem(percpu, &key, sizeof(key), values, cpus * sizeof(*values), 0), 0);
    free(values);
    /* Queues take no key. */
    uint32_t item = 9;
    assert_int_equal(bpf_map__update_elem(queue, NULL, 0, &item, sizeof(item), 0), 0);
    assert_fails(bpf_map__update_elem(queue, &key, sizeof(key), &item, sizeof(item), 0), EINVAL);
    item = 0;
    assert_int_equal(bpf_map__lookup_and_delete_elem(queue, NULL, 0, &item, sizeof(item), 0), 0);
    assert_int_equal(item, 9);
    assert_int_equal(bpf_map__delete_elem(hash, &(uint32_t){1}, sizeof(uint32_t), 0), 0);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_from_user_space_and_programs),
        cmocka_unit_test(array_semantics),
        cmocka_unit_test(queue_and_stack),
        cmocka_unit_test(lpm_longest_prefix),
        cmocka_unit_test(bad_handles_and_buffers),
        cmocka_unit_test(created_maps),
        cmocka_unit_test(size_checked_calls),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
