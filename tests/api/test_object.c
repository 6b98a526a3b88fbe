/* Objects through the API: open, inspect, load, close, and every way that fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test.h"

static void open_inspect_load_close(void **state)
{
    (void)state;
    struct bpf_object *obj = bpf_object__open_file(object_path(CORE_PROGS, "maps_all"), NULL);
    assert_non_null(obj);
    assert_string_equal(bpf_object__name(obj), "maps_all");

    /* Programs in section order, each with its section and type. */
    const char *const progs[] = {"hash_ops", "array_ops", "percpu_ops", "lru_fill", "lpm_ops", "queue_stack_ops",
                                 "map_in_map_ops"};
    size_t n = 0;
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        assert_true(n < 7);
        assert_string_equal(bpf_program__name(prog), progs[n++]);
        assert_string_equal(bpf_program__section_name(prog), "sample");
        assert_int_equal(bpf_program__type(prog), BPF_PROG_TYPE_SAMPLE);
        assert_fails(bpf_program__fd(prog), ENOENT); /* not loaded yet */
    }
    assert_int_equal(n, 7);

    /* Maps with their definitions, known before the load. */
    struct bpf_map *lpm = bpf_object__find_map_by_name(obj, "lpm");
    assert_non_null(lpm);
    assert_string_equal(bpf_map__name(lpm), "lpm");
    assert_int_equal(bpf_map__type(lpm), BPF_MAP_TYPE_LPM_TRIE);
    assert_int_equal(bpf_map__key_size(lpm), 8);
    assert_int_equal(bpf_map__value_size(lpm), 4);
    assert_int_equal(bpf_map__max_entries(lpm), 16);
    assert_fails(bpf_map__fd(lpm), ENOENT);
    n = 0;
    struct bpf_map *map;
    bpf_object__for_each_map(map, obj)
        n++;
    assert_int_equal(n, 12);

    assert_int_equal(bpf_object__load(obj), 0);
    bpf_object__for_each_program(prog, obj)
        assert_true(bpf_program__fd(prog) >= 0);
    bpf_object__for_each_map(map, obj)
        assert_true(bpf_map__fd(map) >= 0);
    assert_int_not_equal(bpf_map__fd(lpm), prog_fd(obj, "lpm_ops"));
    assert_int_equal(run_simple(prog_fd(obj, "hash_ops")), 15);

    /* Once only, as libbpf. */
    capture_messages();
    assert_fails(bpf_object__load(obj), EINVAL);
    assert_non_null(strstr(captured, "only once"));
    bpf_object__close(obj);
    bpf_object__close(NULL);
}

/* Global data maps are named after the object, and found by section too. */
static void open_mem_names_and_global_data(void **state)
{
    (void)state;
    FILE *f = fopen(object_path(CORE_PROGS, "globals"), "rb");
    assert_non_null(f);
    static uint8_t image[1 << 16];
    size_t size = fread(image, 1, sizeof(image), f);
    fclose(f);
    assert_true(size > 0 && size < sizeof(image));

    LIBBPF_OPTS(bpf_object_open_opts, named, .object_name = "counters");
    struct bpf_object *obj = bpf_object__open_mem(image, size, &named);
    assert_non_null(obj);
    assert_string_equal(bpf_object__name(obj), "counters");
    struct bpf_map *data = bpf_object__find_map_by_name(obj, ".data");
    assert_non_null(data);
    assert_string_equal(bpf_map__name(data), "counters.data");
    assert_ptr_equal(bpf_object__find_map_by_name(obj, "counters.data"), data);
    assert_int_equal(bpf_map__type(data), BPF_MAP_TYPE_ARRAY);
    assert_int_equal(bpf_map__max_entries(data), 1);
    assert_non_null(bpf_object__find_map_by_name(obj, ".rodata"));
    assert_non_null(bpf_object__find_map_by_name(obj, ".bss"));
    bpf_object__close(obj);

    /* Without a name: libbpf's "<address>-<size>". */
    obj = bpf_object__open_mem(image, size, NULL);
    assert_non_null(obj);
    char expected[64];
    snprintf(expected, sizeof(expected), "%lx-%zx", (unsigned long)(uintptr_t)image, size);
    assert_string_equal(bpf_object__name(obj), expected);
    bpf_object__close(obj);
}

static void opening_fails(void **state)
{
    (void)state;
    capture_messages();
    assert_null_with(bpf_object__open_file("/nonexistent/prog.o", NULL), ENOENT);
    assert_non_null(strstr(captured, "/nonexistent/prog.o"));
    assert_null_with(bpf_object__open_file("/tmp", NULL), EISDIR);
    assert_null_with(bpf_object__open_file(NULL, NULL), EINVAL);

    char garbage_path[] = "/tmp/bpfhost-garbage-XXXXXX";
    int fd = mkstemp(garbage_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "this is no ELF object", 21), 21);
    close(fd);
    captured[0] = '\0';
    assert_null_with(bpf_object__open_file(garbage_path, NULL), EINVAL);
    assert_non_null(strstr(captured, garbage_path));
    unlink(garbage_path);

    static const char junk[] = "\177ELF but then nothing";
    assert_null_with(bpf_object__open_mem(junk, sizeof(junk), NULL), EINVAL);
    assert_null_with(bpf_object__open_mem(NULL, 10, NULL), EINVAL);
    assert_null_with(bpf_object__open_mem(junk, 0, NULL), EINVAL);

    /* Options: too small a size, or unknown bytes that are not zero. */
    struct bpf_object_open_opts small = {.sz = 4};
    assert_null_with(bpf_object__open_file(object_path(CORE_PROGS, "globals"), &small), EINVAL);
    struct {
        struct bpf_object_open_opts known;
        uint64_t future;
    } larger = {{.sz = sizeof(larger)}, 1};
    assert_null_with(bpf_object__open_file(object_path(CORE_PROGS, "globals"), &larger.known), EINVAL);
    larger.future = 0;
    struct bpf_object *obj = bpf_object__open_file(object_path(CORE_PROGS, "globals"), &larger.known);
    assert_non_null(obj);
    bpf_object__close(obj);
    /* An older, shorter struct: the fields it lacks read as unset. */
    struct bpf_object_open_opts older = {.sz = offsetof(struct bpf_object_open_opts, pin_root_path),
                                         .object_name = "old", .pin_root_path = (const char *)1};
    obj = bpf_object__open_file(object_path(CORE_PROGS, "globals"), &older);
    assert_non_null(obj);
    assert_string_equal(bpf_object__name(obj), "old");
    bpf_object__close(obj);
}

/* Loads tests/core/progs/<name>.c expecting it to fail with err and to print why (mentioning what). */
static void expect_load_failure(const char *name, int err, const char *what)
{
    struct bpf_object *obj = bpf_object__open_file(object_path(CORE_PROGS, name), NULL);
    assert_non_null(obj);
    captured[0] = '\0';
    assert_fails(bpf_object__load(obj), err);
    if (!strstr(captured, what))
        fail_msg("%s: '%s' does not mention '%s'", name, captured, what);
    bpf_object__close(obj);
}

/* A load that fails says why through the print callback: program, instruction, source line. */
static void load_errors_are_printed(void **state)
{
    (void)state;
    struct bpf_object *obj = bpf_object__open_file(object_path(API_PROGS, "bad_insn"), NULL);
    assert_non_null(obj);
    capture_messages();
    assert_fails(bpf_object__load(obj), EINVAL);
    assert_non_null(strstr(captured, "bad_insn: instruction 0"));
    assert_non_null(strstr(captured, "bad_insn.c:9"));
    assert_fails(bpf_program__fd(bpf_object__find_program_by_name(obj, "bad_insn")), ENOENT);
    assert_null_with(bpf_program__attach(bpf_object__find_program_by_name(obj, "bad_insn")), EINVAL);
    bpf_object__close(obj);

    /* A section no program type claims. */
    obj = bpf_object__open_file(object_path(CORE_PROGS, "bad_section"), NULL);
    assert_non_null(obj);
    assert_int_equal(bpf_program__type(bpf_object__next_program(obj, NULL)), BPF_PROG_TYPE_UNSPEC);
    bpf_object__close(obj);
    expect_load_failure("bad_section", EINVAL, "no program type for section 'nonsense'");
    /* An eBPF for Windows type the host does not run: verified with Windows' rules first, then refused. */
    expect_load_failure("windows_sock_addr", EOPNOTSUPP, "names the eBPF for Windows program type 'cgroup_sock_addr'");
    expect_load_failure("windows_sock_addr_unsafe", EINVAL, "outside the 64-byte context of 'cgroup_sock_addr'");
    /* CO-RE for a kernel type this host lacks: its own errno, and the relocation named. */
    expect_load_failure("co_re_linux", EOPNOTSUPP,
                        "field byte offset of struct task_struct.pid: no such type on this host");
}

/* The print callback: levels, replacing, silencing. */
static int warnings, others;

static int count_levels(enum libbpf_print_level level, const char *format, va_list args)
{
    (void)format;
    (void)args;
    if (level == LIBBPF_WARN)
        warnings++;
    else
        others++;
    return 0;
}

static void print_callback(void **state)
{
    (void)state;
    libbpf_print_fn_t before = libbpf_set_print(count_levels);
    assert_ptr_equal(before, capture);
    errno = 1234;
    assert_null(bpf_object__open_file("/nonexistent.o", NULL));
    assert_int_equal(errno, ENOENT);
    assert_int_equal(warnings, 1);
    assert_int_equal(others, 0);
    assert_ptr_equal(libbpf_set_print(NULL), count_levels);
    assert_null(bpf_object__open_file("/nonexistent.o", NULL));
    assert_int_equal(warnings, 1);
    assert_null(libbpf_set_print(capture));
}

static void lookups_and_handles_fail(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "hooked");
    struct bpf_object *other = load_object(CORE_PROGS, "data");
    assert_null_with(bpf_object__find_program_by_name(obj, "missing"), ENOENT);
    assert_null_with(bpf_object__find_map_by_name(obj, "missing"), ENOENT);
    assert_null_with(bpf_object__find_map_by_name(obj, ".data"), ENOENT);
    assert_null_with(bpf_object__find_program_by_name(NULL, "first"), EINVAL);
    assert_null_with(bpf_object__find_program_by_name(obj, NULL), EINVAL);
    assert_null_with(bpf_object__find_map_by_name(NULL, "runs"), EINVAL);
    /* Iterating with another object's program or map. */
    assert_null_with(bpf_object__next_program(obj, bpf_object__next_program(other, NULL)), EINVAL);
    assert_null_with(bpf_object__next_map(other, bpf_object__next_map(obj, NULL)), EINVAL);
    assert_null_with(bpf_object__next_program(NULL, NULL), EINVAL);
    /* The end of an iteration is no error: errno stays as it was. */
    errno = 0;
    assert_null(bpf_object__next_map(other, NULL)); /* data.c has no maps */
    assert_int_equal(errno, 0);
    /* NULL handles. */
    assert_null_with(bpf_object__name(NULL), EINVAL);
    assert_null_with(bpf_program__name(NULL), EINVAL);
    assert_null_with(bpf_program__section_name(NULL), EINVAL);
    assert_null_with(bpf_map__name(NULL), EINVAL);
    assert_null_with(bpf_program__attach(NULL), EINVAL);
    assert_fails(bpf_program__fd(NULL), EINVAL);
    assert_fails(bpf_map__fd(NULL), EINVAL);
    assert_fails(bpf_object__load(NULL), EINVAL);
    errno = 0;
    assert_int_equal(bpf_program__type(NULL), BPF_PROG_TYPE_UNSPEC);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(bpf_map__type(NULL), BPF_MAP_TYPE_UNSPEC);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(bpf_map__key_size(NULL) + bpf_map__value_size(NULL) + bpf_map__max_entries(NULL), 0);
    assert_int_equal(errno, EINVAL);
    bpf_object__close(other);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_inspect_load_close),
        cmocka_unit_test(open_mem_names_and_global_data),
        cmocka_unit_test(opening_fails),
        cmocka_unit_test(load_errors_are_printed),
        cmocka_unit_test(print_callback),
        cmocka_unit_test(lookups_and_handles_fail),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
