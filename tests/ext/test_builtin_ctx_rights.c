/*
 * Every built-in program type, present and future, gets context rights
 * from the core (issue 10, part 1): for each registered type, each field
 * reads at every width that fits (the data pair only whole: part of a
 * host pointer is refused), and a write of every width to a field the type
 * declares read-only (the data pair included) is refused at load by the
 * verifier, naming the instruction; a writable field takes it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "ext/ext.h"

static int setup(void **state)
{
    (void)state;
    int rc = core_register_sample_type();
    return ext_register_builtin() == 0 && (rc == 0 || rc == -EEXIST) ? 0 : -1;
}

static const uint8_t size_codes[] = {EBPF_SIZE_B, EBPF_SIZE_H, EBPF_SIZE_W, EBPF_SIZE_DW};

enum { REFUSED_AT_LOAD = 1 };
static char load_error[512];

/* Runs "r2 = -1; *(width *)(r1 + offset) = r2 (or r0 = *(...) for a load); r0 = 0; exit";
 * REFUSED_AT_LOAD (the reason in load_error) if the verifier refuses it. */
static int run_access(const struct core_prog_type *type, uint32_t offset, unsigned width_log2, bool write,
                      struct exec_result *res)
{
    struct ebpf_insn insns[4] = {
        {EBPF_CLS_ALU64 | EBPF_ALU_MOV, 2, 0, 0, -1},
        write ? (struct ebpf_insn){EBPF_CLS_STX | EBPF_MODE_MEM | size_codes[width_log2], 1, 2, (int16_t)offset, 0}
              : (struct ebpf_insn){EBPF_CLS_LDX | EBPF_MODE_MEM | size_codes[width_log2], 0, 1, (int16_t)offset, 0},
        {EBPF_CLS_ALU64 | EBPF_ALU_MOV, 0, 0, 0, 0},
        {EBPF_OP_EXIT, 0, 0, 0, 0},
    };
    struct core_prog_load_args args = {.name = "access", .type = type, .insns = insns, .insn_count = 4};
    struct core_prog *prog;
    if (core_prog_load(&args, &prog, load_error, sizeof(load_error)) != 0)
        return REFUSED_AT_LOAD;
    struct core_test_run r = {0};
    int rc = core_test_run(prog, &r);
    *res = r.error;
    core_prog_release(prog);
    return rc;
}

static void every_field_of_every_type(void **state)
{
    (void)state;
    const struct core_prog_type *types[32];
    size_t count = core_prog_type_list(types, 32);
    assert_true(count >= 2 && count <= 32); /* sample and process at least */
    size_t writes_refused = 0;
    for (size_t t = 0; t < count; t++) {
        const struct core_prog_type *type = types[t];
        for (size_t i = 0; i < type->field_count; i++) {
            const struct core_ctx_field *f = &type->fields[i];
            bool pointer = type->has_data && (f->offset == type->data_offset || f->offset == type->data_end_offset);
            assert_false(pointer && (f->access & EXEC_WRITE));
            for (unsigned w = 0; w < 4 && (1u << w) <= f->size; w++) {
                struct exec_result res = {0};
                int rc = run_access(type, f->offset, w, false, &res);
                if (pointer && (1u << w) < sizeof(void *)) {
                    if (rc != REFUSED_AT_LOAD || !strstr(load_error, "partial read"))
                        fail_msg("%s.%s: a %u-byte read of a host pointer was not refused (%d)", type->name, f->name,
                                 1u << w, rc);
                } else if (rc != 0) {
                    fail_msg("%s.%s: a %u-byte read failed: %s%s", type->name, f->name, 1u << w, res.msg,
                             rc == REFUSED_AT_LOAD ? load_error : "");
                }
                rc = run_access(type, f->offset, w, true, &res);
                if (f->access & EXEC_WRITE) {
                    if (rc != 0)
                        fail_msg("%s.%s: a %u-byte write failed: %s%s", type->name, f->name, 1u << w, res.msg,
                                 rc == REFUSED_AT_LOAD ? load_error : "");
                    continue;
                }
                if (rc != REFUSED_AT_LOAD || !strstr(load_error, "instruction 1"))
                    fail_msg("%s.%s: a %u-byte write to a read-only field was not refused (%d: %s)", type->name,
                             f->name, 1u << w, rc, res.msg);
                writes_refused++;
            }
        }
    }
    print_message("%zu program types, %zu read-only field writes refused\n", count, writes_refused);
    assert_true(writes_refused > 0);
}

/* A write that starts in a writable field and runs into a read-only one is refused too. */
static void a_write_across_fields_needs_every_byte(void **state)
{
    (void)state;
    const struct core_prog_type *sample = core_prog_type_find_by_name("sample");
    struct exec_result res;
    /* uint32_data (writable) then uint16_data (writable) then the read-only padding byte... */
    assert_int_equal(run_access(sample, offsetof(struct core_sample_ctx, uint32_data), 2, true, &res), 0);
    assert_int_equal(run_access(sample, offsetof(struct core_sample_ctx, uint16_data), 3, true, &res),
                     REFUSED_AT_LOAD);
    assert_non_null(strstr(load_error, "not writable"));
    /* ...and a write from uint64_data into helper_data_1 (read-only). */
    assert_int_equal(run_access(sample, offsetof(struct core_sample_ctx, uint64_data) + 4, 3, true, &res),
                     REFUSED_AT_LOAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_field_of_every_type),
        cmocka_unit_test(a_write_across_fields_needs_every_byte),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
