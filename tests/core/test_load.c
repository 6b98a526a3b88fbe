/* Loading: global data, pinning by name, and every way a load can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

static void global_data(void **state)
{
    (void)state;
    struct core_object *obj = load("globals", NULL);
    struct core_prog *prog = prog_of(obj, "use_globals");
    assert_int_equal(run_simple(prog), 6);
    assert_int_equal(run_simple(prog), 7);
    struct map *data = map_of(obj, "globals.data"), *rodata = map_of(obj, "globals.rodata");
    struct map *bss = map_of(obj, "globals.bss");
    uint32_t zero = 0;
    int counter;
    uint64_t total;
    assert_int_equal(map_lookup_copy(data, &zero, &counter), 0);
    assert_int_equal(counter, 7);
    assert_int_equal(map_lookup_copy(bss, &zero, &total), 0);
    assert_int_equal(total, 6 + 10 + 7 + 10);
    assert_true(map_is_frozen(rodata));
    assert_string_equal(map_name(rodata), "globals.rodata");
    core_object_close(obj);
}

static void maps_pinned_by_name_are_shared(void **state)
{
    (void)state;
    struct core_load_opts opts = {.pin_root = "/test/load"};
    struct core_object *a = load("pinned", &opts), *b = load("pinned", &opts);
    assert_ptr_equal(core_object_find_map(a, "shared_counter"), core_object_find_map(b, "shared_counter"));
    assert_int_equal(run_simple(prog_of(a, "count")), 1);
    assert_int_equal(run_simple(prog_of(b, "count")), 2);
    core_object_close(a);
    core_object_close(b);
    /* The pin keeps the map, and its value, after every load is gone. */
    struct core_object *c = load("pinned", &opts);
    assert_int_equal(run_simple(prog_of(c, "count")), 3);
    struct core_load_opts elsewhere = {.pin_root = "/test/other"};
    struct core_object *d = load("pinned", &elsewhere);
    assert_int_equal(run_simple(prog_of(d, "count")), 1);
    core_object_close(c);
    core_object_close(d);
    assert_int_equal(core_unpin("/test/load/shared_counter"), 0);
    assert_int_equal(core_unpin("/test/other/shared_counter"), 0);
}

static void incompatible_pins_fail(void **state)
{
    (void)state;
    struct map_params p = {.type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8, .max_entries = 1};
    struct core_map *squatter;
    assert_int_equal(core_map_create(&p, &squatter), 0);
    assert_int_equal(core_pin("/test/bad/shared_counter", core_map_obj(squatter)), 0);
    struct core_load_opts opts = {.pin_root = "/test/bad"};
    expect_load_error("pinned", &opts, -EINVAL, "does not match it (type 1 there, 2 here)");
    assert_int_equal(core_unpin("/test/bad/shared_counter"), 0);
    struct core_object *progs = load("hooked", NULL);
    assert_int_equal(core_pin("/test/bad/shared_counter", core_prog_obj(prog_of(progs, "first"))), 0);
    expect_load_error("pinned", &opts, -EINVAL, "does not match it (it is no map)");
    assert_int_equal(core_unpin("/test/bad/shared_counter"), 0);
    core_object_close(progs);
    core_map_release(squatter);
    /* A load that fails after pinning takes its pins back. */
    static const struct core_prog_type plain = {.name = "plain", .type_id = 4343};
    assert_int_equal(core_prog_type_register(&plain), 0);
    struct core_load_opts forced = {.pin_root = "/test/bad", .prog_type = "plain"};
    expect_load_error("pinned", &forced, -EINVAL, "program 'touch'");
    struct core_obj *none;
    assert_int_equal(core_pin_get("/test/bad/shared_counter", &none), -ENOENT);
    forced.prog_type = "no_such_type";
    expect_load_error("pinned", &forced, -ENOENT, "no_such_type");
    assert_int_equal(core_prog_type_unregister(&plain), 0);
}

static void sections_choose_the_type(void **state)
{
    (void)state;
    expect_load_error("bad_section", NULL, -EINVAL, "no program type for section 'nonsense'");
    struct core_load_opts forced = {.prog_type = "sample"};
    struct core_object *obj = load("bad_section", &forced);
    assert_int_equal(run_simple(prog_of(obj, "orphan")), 3);
    core_object_close(obj);
}

/* Loads raw instructions as a sample program; returns the result, the message in err. */
static int load_raw(const struct ebpf_insn *insns, size_t count, struct core_map **maps, size_t map_count,
                    char *err, size_t len)
{
    struct core_prog_load_args args = {.name = "raw", .type = core_prog_type_find_by_name("sample"),
                                       .insns = insns, .insn_count = count, .maps = maps, .map_count = map_count};
    struct core_prog *prog = NULL;
    int rc = core_prog_load(&args, &prog, err, len);
    core_prog_release(prog);
    return rc;
}

#define LDDW(src, imm, next) {EBPF_OP_LDDW, 1, src, 0, imm}, {0, 0, 0, 0, next}
#define EXIT {EBPF_OP_EXIT, 0, 0, 0, 0}
#define MOV0 {EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_K, 0, 0, 0, 0}

static void raw_programs_that_cannot_load(void **state)
{
    (void)state;
    struct map_params p = {.type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8, .max_entries = 1};
    struct core_map *hash;
    assert_int_equal(core_map_create(&p, &hash), 0);
    char err[256];
    const struct ebpf_insn falls_off[] = {MOV0};
    assert_int_equal(load_raw(falls_off, 1, NULL, 0, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "raw: instruction"));
    const struct ebpf_insn bad_index[] = {LDDW(EBPF_LDDW_MAP_IDX, 1, 0), MOV0, EXIT};
    assert_int_equal(load_raw(bad_index, 4, &hash, 1, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "names map 1 of 1"));
    const struct ebpf_insn value_of_hash[] = {LDDW(EBPF_LDDW_MAP_VALUE_IDX, 0, 0), MOV0, EXIT};
    assert_int_equal(load_raw(value_of_hash, 4, &hash, 1, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not a global variable"));
    const struct ebpf_insn map_fd[] = {LDDW(EBPF_LDDW_MAP_FD, 3, 0), MOV0, EXIT};
    assert_int_equal(load_raw(map_fd, 4, NULL, 0, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not supported"));
    const struct ebpf_insn unknown_helper[] = {{EBPF_OP_CALL, 0, 0, 0, 0x7777}, EXIT};
    assert_int_equal(load_raw(unknown_helper, 2, NULL, 0, err, sizeof(err)), -EINVAL);
    const struct ebpf_insn good[] = {LDDW(EBPF_LDDW_MAP_IDX, 0, 0), MOV0, EXIT};
    assert_int_equal(load_raw(good, 4, &hash, 1, err, sizeof(err)), 0);
    struct core_prog_load_args incomplete = {.name = "raw"};
    struct core_prog *prog;
    assert_int_equal(core_prog_load(&incomplete, &prog, err, sizeof(err)), -EINVAL);
    core_map_release(hash);
}

static void unregistered_types_cannot_load(void **state)
{
    (void)state;
    static const struct core_prog_type gone = {.name = "gone", .type_id = 4242};
    const struct ebpf_insn insns[] = {MOV0, EXIT};
    struct core_prog_load_args args = {.name = "raw", .type = &gone, .insns = insns, .insn_count = 2};
    struct core_prog *prog;
    char err[256];
    assert_int_equal(core_prog_load(&args, &prog, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "not registered"));
}

/* CO-RE relocations resolve against the program type's context by field name. */
static void co_re_relocations_follow_the_context(void **state)
{
    (void)state;
    struct core_object *obj = load("co_re", NULL);
    struct core_sample_ctx ctx = {.uint32_data = 4, .uint16_data = 2};
    assert_int_equal(run_on(prog_of(obj, "moved"), &ctx), sizeof(struct core_sample_ctx));
    assert_int_equal(ctx.uint64_data, 4 * 102 + 2);
    assert_int_equal(ctx.uint16_data, 7);
    assert_int_equal(ctx.uint32_data, 4);
    assert_int_equal(ctx.helper_data_1, 0);
    core_object_close(obj);
}

/* A relocation naming what this host lacks fails the load with its own code, -EOPNOTSUPP. */
static void co_re_for_another_kernel_is_refused(void **state)
{
    (void)state;
    expect_load_error("co_re_linux", NULL, -EOPNOTSUPP,
                      "program 'linux_task': CO-RE relocation at instruction 0 of sample: field byte offset of "
                      "struct task_struct.pid: no such type on this host");
    /* A type that gives no names for CO-RE refuses every relocation against it. */
    static const struct core_prog_type plain = {.name = "plain_ctx", .type_id = 4344, .ctx_size = 8};
    assert_int_equal(core_prog_type_register(&plain), 0);
    struct core_load_opts forced = {.prog_type = "plain_ctx"};
    expect_load_error("co_re", &forced, -EOPNOTSUPP, "field byte offset of struct sample_ctx.uint16_data: no "
                                                     "such type on this host");
    assert_int_equal(core_prog_type_unregister(&plain), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(global_data),
        cmocka_unit_test(maps_pinned_by_name_are_shared),
        cmocka_unit_test(incompatible_pins_fail),
        cmocka_unit_test(sections_choose_the_type),
        cmocka_unit_test(raw_programs_that_cannot_load),
        cmocka_unit_test(unregistered_types_cannot_load),
        cmocka_unit_test(co_re_relocations_follow_the_context),
        cmocka_unit_test(co_re_for_another_kernel_is_refused),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
