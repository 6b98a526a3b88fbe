/*
 * Maps as eBPF for Windows makes them: a program written the way its
 * samples write one (a per-CPU array keyed by a u64, a 65,520-byte value)
 * loads and runs through the API, and a map over a limit fails the load
 * with a message naming the limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api_test.h"
#include "ebpf_ntos_hooks.h"

enum { SCRATCH_SIZE = 64 * 1024 - 16 };

/* Test-runs the process program of fd on a create of pid with that command line; returns its value. */
static int run_create(int fd, uint64_t pid, const char *command_line, size_t length)
{
    process_md_t md = {.process_id = pid, .operation = PROCESS_OPERATION_CREATE};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &md, .ctx_size_in = sizeof(md), .data_in = command_line,
                .data_size_in = (uint32_t)length);
    assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
    return (int)opts.retval;
}

static void windows_style_scratch_space(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(API_PROGS, "windows_scratch");
    const struct bpf_map *scratch = bpf_object__find_map_by_name(obj, "scratch");
    assert_int_equal(bpf_map__key_size(scratch), 8);
    assert_int_equal(bpf_map__value_size(scratch), SCRATCH_SIZE);
    int prog = prog_fd(obj, "keep_command_line"), lines = map_fd(obj, "command_lines");
    char *value = malloc(SCRATCH_SIZE);
    assert_non_null(value);

    const char *line = "/usr/bin/env -i ls -l";
    assert_int_equal(run_create(prog, 4242, line, strlen(line)), 0);
    uint64_t pid = 4242;
    assert_int_equal(bpf_map_lookup_elem(lines, &pid, value), 0);
    assert_string_equal(value, line);
    for (size_t i = strlen(line); i < SCRATCH_SIZE; i++)
        assert_int_equal(value[i], 0);

    /* A command line longer than the value is cut to all of it but the last byte. */
    size_t long_length = 70000;
    char *long_line = malloc(long_length);
    assert_non_null(long_line);
    for (size_t i = 0; i < long_length; i++)
        long_line[i] = (char)('a' + i % 26);
    assert_int_equal(run_create(prog, 7, long_line, long_length), 0);
    pid = 7;
    assert_int_equal(bpf_map_lookup_elem(lines, &pid, value), 0);
    assert_memory_equal(value, long_line, SCRATCH_SIZE - 1);
    assert_int_equal(value[SCRATCH_SIZE - 1], 0);

    /* User space reads the scratch space of every CPU by the same 8-byte key. */
    int cpus = libbpf_num_possible_cpus();
    char *all = calloc((size_t)cpus, SCRATCH_SIZE + 16);
    assert_non_null(all);
    uint64_t index_zero = 0;
    assert_int_equal(bpf_map_lookup_elem(map_fd(obj, "scratch"), &index_zero, all), 0);
    int holding = 0;
    for (int cpu = 0; cpu < cpus; cpu++) /* each slot is SCRATCH_SIZE rounded up to 8 */
        holding += !memcmp(all + (size_t)cpu * SCRATCH_SIZE, long_line, SCRATCH_SIZE - 1);
    assert_true(holding >= 1);
    free(all);
    free(long_line);
    free(value);
    bpf_object__close(obj);
}

static void map_over_a_limit_names_it(void **state)
{
    (void)state;
    captured[0] = '\0';
    struct bpf_object *obj = bpf_object__open_file(object_path(API_PROGS, "oversized_map"), NULL);
    assert_non_null(obj);
    assert_fails(bpf_object__load(obj), E2BIG);
    if (!strstr(captured, "map 'huge': cannot create it: 129 entries of 1073741824 bytes exceed the limit "
                          "of 137438953472 bytes (128 GiB) on one map's storage"))
        fail_msg("the load's message does not name the limit: %s", captured);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows_style_scratch_space),
        cmocka_unit_test(map_over_a_limit_names_it),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
