/* The program-type registry and the helper prototypes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"
/* The helper IDs of the program-side headers. */
#include "bpf_helper_ids.h" /* include/: shared with eBPF programs */

static uint64_t nothing(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)env;
    return 0;
}

static const char *const net_prefixes[] = {"net", NULL};
static const char *const bind_prefixes[] = {"net/bind", "bind", NULL};
static const struct core_helper bind_helpers[] = {{0x10000, "bpf_bind_thing", nothing, CORE_RET_INTEGER, {0}}};
static const struct core_ctx_field bind_fields[] = {{"port", 0, 2, EXEC_READ}};

static const struct core_prog_type net = {.name = "net", .type_id = 100, .section_prefixes = net_prefixes};
static const struct core_prog_type bind = {
    .name = "bind",
    .type_id = 101,
    .section_prefixes = bind_prefixes,
    .ctx_size = 16,
    .fields = bind_fields,
    .field_count = 1,
    .helpers = bind_helpers,
    .helper_count = 1,
    .retval_rule = CORE_RETVAL_RANGE,
    .retval_min = 0,
    .retval_max = 1,
};

static void longest_prefix_wins(void **state)
{
    (void)state;
    assert_int_equal(core_prog_type_register(&net), 0);
    assert_int_equal(core_prog_type_register(&bind), 0);
    assert_ptr_equal(core_prog_type_find_by_section("net/bind/v4"), &bind);
    assert_ptr_equal(core_prog_type_find_by_section("net/connect"), &net);
    assert_ptr_equal(core_prog_type_find_by_section("bind"), &bind);
    assert_ptr_equal(core_prog_type_find_by_section("sample/x"), core_prog_type_find_by_name("sample"));
    assert_null(core_prog_type_find_by_section("xdp"));
    assert_null(core_prog_type_find_by_section(NULL));
    assert_ptr_equal(core_prog_type_find_by_name("bind"), &bind);
    assert_null(core_prog_type_find_by_name("nope"));
    assert_null(core_prog_type_find_by_name(NULL));
    assert_int_equal(core_prog_type_unregister(&net), 0);
    assert_int_equal(core_prog_type_unregister(&net), -ENOENT);
    assert_ptr_equal(core_prog_type_find_by_section("net/connect"), NULL);
    assert_int_equal(core_prog_type_unregister(&bind), 0);
}

static void duplicates_and_malformed_types_are_refused(void **state)
{
    (void)state;
    assert_int_equal(core_prog_type_register(&net), 0);
    struct core_prog_type same_name = {.name = "net", .type_id = 7}, same_id = {.name = "other", .type_id = 100};
    assert_int_equal(core_prog_type_register(&same_name), -EEXIST);
    assert_int_equal(core_prog_type_register(&same_id), -EEXIST);
    assert_int_equal(core_prog_type_unregister(&net), 0);
    assert_int_equal(core_register_sample_type(), -EEXIST);

    static const struct core_ctx_field too_far[] = {{"x", 12, 8, EXEC_READ}};
    static const struct core_ctx_field write_only[] = {{"x", 0, 8, EXEC_WRITE << 2}};
    /* The data pair is the host's: no field may make it writable. */
    static const struct core_ctx_field writes_data[] = {{"data", 0, 8, EXEC_READ | EXEC_WRITE}};
    static const struct core_ctx_field covers_end[] = {{"blob", 4, 8, EXEC_READ | EXEC_WRITE}};
    static const struct core_ctx_field overlapping[] = {{"a", 0, 8, EXEC_READ}, {"b", 4, 4, EXEC_READ}};
    static const struct core_helper low_id[] = {{5, "low", nothing, CORE_RET_INTEGER, {0}}};
    static const struct core_helper twice[] = {{0x10000, "a", nothing, CORE_RET_INTEGER, {0}},
                                               {0x10000, "b", nothing, CORE_RET_INTEGER, {0}}};
    const struct core_prog_type bad[] = {
        {.name = "", .type_id = 1},
        {.name = "f", .type_id = 1, .ctx_size = 16, .fields = too_far, .field_count = 1},
        {.name = "f", .type_id = 1, .ctx_size = 16, .fields = write_only, .field_count = 1},
        {.name = "d", .type_id = 1, .ctx_size = 8, .has_data = true, .data_end_offset = 8, .data_access = EXEC_READ},
        {.name = "d", .type_id = 1, .ctx_size = 16, .has_data = true, .data_end_offset = 8, .data_access = 0},
        {.name = "p", .type_id = 1, .ctx_size = 16, .fields = writes_data, .field_count = 1, .has_data = true,
         .data_end_offset = 8, .data_access = EXEC_READ},
        {.name = "p", .type_id = 1, .ctx_size = 16, .fields = covers_end, .field_count = 1, .has_data = true,
         .data_end_offset = 8, .data_access = EXEC_READ},
        {.name = "o", .type_id = 1, .ctx_size = 16, .fields = overlapping, .field_count = 2},
        {.name = "h", .type_id = 1, .helpers = low_id, .helper_count = 1},
        {.name = "h", .type_id = 1, .helpers = twice, .helper_count = 2},
        {.name = "r", .type_id = 1, .retval_rule = CORE_RETVAL_RANGE, .retval_min = 2, .retval_max = 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(core_prog_type_register(&bad[i]), -EINVAL);
    assert_int_equal(core_prog_type_register(NULL), -EINVAL);
}

static void types_in_use_stay_registered(void **state)
{
    (void)state;
    assert_int_equal(core_prog_type_register(&bind), 0);
    /* The call's result is replaced by 0: bind programs return 0 or 1. */
    const struct ebpf_insn insns[] = {{EBPF_OP_CALL, 0, 0, 0, 0x10000},
                                      {EBPF_CLS_ALU64 | EBPF_ALU_MOV, 0, 0, 0, 0},
                                      {EBPF_OP_EXIT, 0, 0, 0, 0}};
    struct core_prog_load_args args = {.name = "p", .type = &bind, .insns = insns, .insn_count = 3};
    struct core_prog *prog;
    char err[128];
    if (core_prog_load(&args, &prog, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(core_prog_type_unregister(&bind), -EBUSY);
    core_prog_release(prog);
    assert_int_equal(core_prog_type_unregister(&bind), 0);
}

static void helper_prototypes(void **state)
{
    (void)state;
    const struct core_helper *h = core_helper_find(NULL, BPF_FUNC_map_lookup_elem);
    assert_non_null(h);
    assert_string_equal(h->name, "bpf_map_lookup_elem");
    assert_int_equal(h->ret, CORE_RET_MAP_VALUE_OR_NULL);
    assert_int_equal(h->args[0], CORE_ARG_MAP_PTR);
    assert_int_equal(h->args[1], CORE_ARG_MAP_KEY);
    assert_int_equal(h->args[2], CORE_ARG_NONE);
    h = core_helper_find(NULL, BPF_FUNC_ringbuf_reserve);
    assert_int_equal(h->ret, CORE_RET_RINGBUF_MEM_OR_NULL);
    assert_int_equal(core_helper_find(NULL, BPF_FUNC_ringbuf_submit)->ret, CORE_RET_VOID);
    assert_int_equal(core_helper_find(NULL, BPF_FUNC_loop)->args[1], CORE_ARG_CALLBACK);
    assert_int_equal(core_helper_find(NULL, BPF_FUNC_snprintf)->args[2], CORE_ARG_CONST_STR);
    assert_null(core_helper_find(NULL, 0x10000));
    assert_ptr_equal(core_helper_find(&bind, 0x10000), &bind_helpers[0]);
    assert_non_null(core_helper_find(&bind, BPF_FUNC_trace_printk5));
    /* Every general helper is named, has a function, and sizes follow pointers. */
    size_t count;
    const struct core_helper *all = core_general_helpers(&count);
    assert_true(count >= 36);
    for (size_t i = 0; i < count; i++) {
        assert_non_null(all[i].fn);
        assert_non_null(all[i].name);
        for (int a = 1; a < 5; a++)
            if (all[i].args[a] == CORE_ARG_CONST_SIZE || all[i].args[a] == CORE_ARG_SIZE_OR_ZERO)
                assert_true(all[i].args[a - 1] >= CORE_ARG_MEM_READ && all[i].args[a - 1] <= CORE_ARG_MEM_WRITE_OR_NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longest_prefix_wins),
        cmocka_unit_test(duplicates_and_malformed_types_are_refused),
        cmocka_unit_test(types_in_use_stay_registered),
        cmocka_unit_test(helper_prototypes),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
