/*
 * Test runs, like Linux's BPF_PROG_TEST_RUN: the caller's context and data
 * are copied into memory of the core's, the context's data/end pair is
 * pointed at the data copy (and is pointed there again before every run),
 * and the results are copied back without any host address.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool valid(const struct core_prog_type *t, const struct core_test_run *r)
{
    return r->ctx_in_size <= t->ctx_size && (!r->ctx_in_size || r->ctx_in) && (!r->data_in_size || r->data_in) &&
           (!r->data_in_size || t->has_data) && (!r->ctx_out_size || r->ctx_out) &&
           (!r->data_out_size || r->data_out);
}

/* Copies the context out with its data pointers zeroed. */
static void ctx_out(const struct core_prog_type *t, const uint8_t *ctx, struct core_test_run *r)
{
    size_t n = r->ctx_out_size < t->ctx_size ? r->ctx_out_size : t->ctx_size;
    memcpy(r->ctx_out, ctx, n);
    uint8_t *out = r->ctx_out;
    for (int i = 0; i < 2 && t->has_data; i++) {
        uint32_t offset = i ? t->data_end_offset : t->data_offset;
        if (offset + sizeof(void *) <= n)
            memset(out + offset, 0, sizeof(void *));
    }
}

/*
 * The run's context: the type's own (context_create) or copies of the
 * inputs, and the data its pair points to; 0 or -errno.
 */
static int make_ctx(const struct core_prog_type *t, const struct core_test_run *r, void **ctx,
                    struct core_ctx_data *pair)
{
    if (t->context_create) {
        int err = t->context_create(r->ctx_in, r->ctx_in_size, r->data_in, r->data_in_size, ctx);
        if (!err) /* no program has run on it yet */
            *pair = core_ctx_data_get(t, *ctx);
        return err;
    }
    /* One block: the context, then the data it points to. */
    if (r->data_in_size > SIZE_MAX - t->ctx_size - 1)
        return -EINVAL;
    uint8_t *block = calloc(1, (size_t)t->ctx_size + r->data_in_size + 1);
    if (!block)
        return -ENOMEM;
    uint8_t *data = block + t->ctx_size;
    if (r->ctx_in_size)
        memcpy(block, r->ctx_in, r->ctx_in_size);
    if (r->data_in_size)
        memcpy(data, r->data_in, r->data_in_size);
    *pair = (struct core_ctx_data){data, r->data_in_size};
    core_ctx_data_put(t, block, *pair);
    *ctx = block;
    return 0;
}

static void free_ctx(const struct core_prog_type *t, void *ctx)
{
    if (t->context_destroy)
        t->context_destroy(ctx);
    else
        free(ctx);
}

/* Copies the run's data out; 0, or -ENOSPC if it did not fit. */
static int data_out(struct core_ctx_data pair, struct core_test_run *r)
{
    size_t n = r->data_out_size < pair.size ? r->data_out_size : pair.size;
    if (n)
        memcpy(r->data_out, pair.data, n);
    r->data_out_size = pair.size;
    return n < pair.size ? -ENOSPC : 0;
}

int core_test_run(struct core_prog *prog, struct core_test_run *r)
{
    if (!prog || !r || !valid(prog->type, r))
        return -EINVAL;
    const struct core_prog_type *t = prog->type;
    void *ctx = NULL;
    struct core_ctx_data pair = {0};
    int err = make_ctx(t, r, &ctx, &pair);
    if (err)
        return err;
    uint32_t runs = r->repeat ? r->repeat : 1, done = 0;
    int rc = 0;
    uint64_t start = now_ns();
    while (done < runs && rc == 0) {
        rc = core_run_prog(prog, ctx, pair, r->task, 0, &r->error);
        done++;
    }
    r->duration_ns = (now_ns() - start) / done;
    r->retval = rc ? 0 : r->error.r0;
    if (r->ctx_out_size)
        ctx_out(t, ctx, r);
    err = rc ? -EFAULT : 0;
    if (r->data_out_size) {
        int out = data_out(pair, r);
        if (!err)
            err = out;
    }
    free_ctx(t, ctx);
    return err;
}
