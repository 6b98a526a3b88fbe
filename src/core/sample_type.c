/*
 * The "sample" program type, for tests of the core (extensions get their
 * own layer): a context with a data pair and plain fields, and one helper
 * of its own that works on the context.
 */
#include <errno.h>
#include <stddef.h>

#include "core/internal.h"

#define FIELD(name, access) \
    {#name, offsetof(struct core_sample_ctx, name), sizeof(((struct core_sample_ctx *)0)->name), access}

static const struct core_ctx_field fields[] = {
    FIELD(data, EXEC_READ),
    FIELD(data_end, EXEC_READ),
    FIELD(uint64_data, EXEC_READ | EXEC_WRITE),
    FIELD(helper_data_1, EXEC_READ),
    FIELD(uint32_data, EXEC_READ | EXEC_WRITE),
    FIELD(uint16_data, EXEC_READ | EXEC_WRITE),
    FIELD(pid, EXEC_READ),
    FIELD(tid, EXEC_READ),
};

/* long bpf_sample_set_helper_data(void *ctx, uint64_t value): see core.h. */
static CORE_HELPER(set_helper_data)
{
    (void)r3, (void)r4, (void)r5;
    struct core_sample_ctx *ctx = core_run_ctx(env);
    if (!ctx || r1 != (uintptr_t)ctx)
        return (uint64_t)-EINVAL;
    uint64_t old = ctx->helper_data_1;
    ctx->helper_data_1 = r2;
    return old;
}

static const struct core_helper helpers[] = {
    {CORE_SAMPLE_HELPER_SET_DATA, "bpf_sample_set_helper_data", set_helper_data, CORE_RET_INTEGER,
     {CORE_ARG_CTX, CORE_ARG_SCALAR}},
};

static const char *const prefixes[] = {"sample", NULL};

/* The C names programs give the context (tests/core/progs/sample_ctx.h, core.h). */
static const char *const ctx_names[] = {"sample_ctx", "core_sample_ctx", NULL};

static const struct core_prog_type sample = {
    .name = "sample",
    .type_id = CORE_SAMPLE_TYPE_ID,
    .section_prefixes = prefixes,
    .ctx_size = sizeof(struct core_sample_ctx),
    .fields = fields,
    .field_count = sizeof(fields) / sizeof(fields[0]),
    .ctx_type_names = ctx_names,
    .has_data = true,
    .data_offset = offsetof(struct core_sample_ctx, data),
    .data_end_offset = offsetof(struct core_sample_ctx, data_end),
    .data_access = EXEC_READ | EXEC_WRITE,
    .helpers = helpers,
    .helper_count = sizeof(helpers) / sizeof(helpers[0]),
    .retval_rule = CORE_RETVAL_ANY,
};

int core_register_sample_type(void)
{
    return core_prog_type_register(&sample);
}
