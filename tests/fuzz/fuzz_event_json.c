/*
 * libFuzzer target: simulated events in JSON (bpfhost test-run --ctx
 * EVENT.json) for every registered program type with a JSON builder
 * (core_prog_type.context_from_json), so a type added later is fuzzed
 * without a change here. An event that parses is test-run on a program
 * written here from the type's descriptor alone: it reads every readable
 * byte of the context and every byte of the data pair, and calls each of
 * the type's helpers that takes the context and an output buffer, with a
 * buffer of one byte and of the whole stack. That run must succeed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ext/ext.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_TYPES = 64 };

/* A type with JSON events and the program that exercises its contexts. */
struct target {
    const struct core_prog_type *type;
    struct core_prog *prog;
};
static struct target targets[MAX_TYPES];
static size_t target_count;

/* Text being built; aborts when out of memory. */
struct text {
    char *s;
    size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    for (;;) {
        if (!t->s && !(t->s = malloc(t->cap = 256)))
            fuzz_fail("out of memory");
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (n > 0 ? (size_t)n : 0) + 64;
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            fuzz_fail("out of memory");
    }
}

/* Whether a helper takes (ctx, buffer, size) and nothing else. */
static bool takes_ctx_and_buffer(const struct core_helper *h)
{
    return h->args[0] == CORE_ARG_CTX &&
           (h->args[1] == CORE_ARG_MEM_WRITE || h->args[1] == CORE_ARG_MEM_WRITE_OR_NULL) &&
           (h->args[2] == CORE_ARG_CONST_SIZE || h->args[2] == CORE_ARG_SIZE_OR_ZERO) &&
           h->args[3] == CORE_ARG_NONE;
}

/* The exercising program of a type, as assembler text (r6 keeps the context). */
static char *program_text(const struct core_prog_type *type)
{
    struct text t = {0};
    add(&t, "mov %%r6, %%r1\n");
    for (size_t f = 0; f < type->field_count; f++) {
        const struct core_ctx_field *field = &type->fields[f];
        bool pointer = type->has_data && (field->offset == type->data_offset || field->offset == type->data_end_offset);
        /* Every byte of every readable field; the data pair only whole (below), as the verifier demands. */
        for (uint32_t b = 0; !pointer && (field->access & EXEC_READ) && b < field->size; b++)
            add(&t, "ldxb %%r0, [%%r6%+d]\n", (int)(field->offset + b));
    }
    if (type->has_data)
        add(&t,
            /* The data's first 4096 bytes: a loop bounded by a counter, as the verifier can prove it ends. */
            "ldxdw %%r7, [%%r6%+d]\nldxdw %%r8, [%%r6%+d]\nmov %%r9, 0\n"
            "data_loop:\njge %%r9, 4096, data_done\nmov %%r1, %%r7\nadd %%r1, %%r9\nmov %%r2, %%r1\nadd %%r2, 1\n"
            "jgt %%r2, %%r8, data_done\nldxb %%r0, [%%r1]\nadd %%r9, 1\nja data_loop\ndata_done:\n",
            (int)type->data_offset, (int)type->data_end_offset);
    for (size_t i = 0; i < type->helper_count; i++) {
        if (!takes_ctx_and_buffer(&type->helpers[i]))
            continue;
        static const int sizes[] = {1, EBPF_STACK_SIZE}; /* too small for most answers; the whole stack */
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
            add(&t, "mov %%r1, %%r6\nmov %%r2, %%r10\nadd %%r2, %d\nmov %%r3, %d\ncall %u\n", -sizes[s], sizes[s],
                type->helpers[i].id);
    }
    add(&t, "mov %%r0, 0\nexit\n");
    return t.s;
}

static struct core_prog *load_program(const struct core_prog_type *type)
{
    char *text = program_text(type);
    struct ebpf_insn *insns;
    size_t count;
    struct isa_error aerr;
    if (isa_assemble(text, &insns, &count, &aerr) < 0)
        fuzz_fail("the program for type %s does not assemble: %s\n%s", type->name, aerr.msg, text);
    free(text);
    struct core_prog_load_args args = {.name = "fuzz_event", .type = type, .insns = insns, .insn_count = count};
    struct core_prog *prog;
    char err[512];
    if (core_prog_load(&args, &prog, err, sizeof(err)) != 0)
        fuzz_fail("the program for type %s does not load: %s", type->name, err);
    free(insns);
    return prog;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (ext_register_builtin() != 0)
        fuzz_fail("cannot register the built-in program types");
    const struct core_prog_type *types[MAX_TYPES];
    size_t n = core_prog_type_list(types, MAX_TYPES);
    for (size_t i = 0; i < n && i < MAX_TYPES; i++)
        if (types[i]->context_from_json)
            targets[target_count++] = (struct target){types[i], load_program(types[i])};
    if (target_count == 0)
        fuzz_fail("no registered program type has JSON events");
    return 0;
}

/* One type's JSON builder on the input, then a run on what it built. */
static void fuzz_type(const struct target *tg, const char *json)
{
    struct core_test_input in;
    char err[512] = "";
    int rc = tg->type->context_from_json(json, &in, err, sizeof(err));
    if (rc == -EINVAL)
        fuzz_require_reason(tg->type->name, err, sizeof(err));
    if (rc)
        return;
    if (in.ctx_size > tg->type->ctx_size || (in.data_size && !in.data))
        fuzz_fail("type %s built a context of %zu bytes (at most %u) and data %p of %zu bytes", tg->type->name,
                  in.ctx_size, tg->type->ctx_size, in.data, in.data_size);
    struct core_test_run run = {
        .ctx_in = in.ctx,
        .ctx_in_size = in.ctx_size,
        .data_in = in.data,
        .data_in_size = in.data_size,
        .task = &in.task,
    };
    rc = core_test_run(tg->prog, &run);
    if (rc != 0)
        fuzz_fail("type %s: test run failed (%s): %s", tg->type->name, strerror(-rc), run.error.msg);
    free(in.ctx);
    free(in.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_text(data, size);
    for (size_t i = 0; i < target_count; i++)
        fuzz_type(&targets[i], json);
    free(json);
    return 0;
}
