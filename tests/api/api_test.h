/*
 * Shared by the api tests: the test programs compiled once per process,
 * objects loaded through the API, test runs on a sample context, the
 * library's messages captured, and assertions of the error convention.
 * Include after cmocka.h.
 */
#ifndef BPFHOST_TESTS_API_TEST_H
#define BPFHOST_TESTS_API_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/bpf_compile.h"
#include "core/core.h" /* struct core_sample_ctx, hooks */

#define CORE_PROGS "tests/core/progs"
#define API_PROGS "tests/api/progs"

static struct {
    const char *dir, *name;
    char *path;
} compiled[16];

/* The object file of <dir>/<name>.c, compiled on first use. */
static inline const char *object_path(const char *dir, const char *name)
{
    size_t i = 0;
    while (i < 16 && compiled[i].path && (strcmp(compiled[i].dir, dir) || strcmp(compiled[i].name, name)))
        i++;
    assert_true(i < 16);
    if (!compiled[i].path) {
        compiled[i].path = bpf_compile(dir, name, NULL);
        assert_non_null(compiled[i].path);
        compiled[i].dir = dir;
        compiled[i].name = name;
    }
    return compiled[i].path;
}

/* Opens and loads <dir>/<name>.c through the API; must succeed. */
static inline struct bpf_object *load_object(const char *dir, const char *name)
{
    struct bpf_object *obj = bpf_object__open_file(object_path(dir, name), NULL);
    assert_non_null(obj);
    assert_int_equal(bpf_object__load(obj), 0);
    return obj;
}

/* The fd of the program of that name in a loaded object. */
static inline int prog_fd(const struct bpf_object *obj, const char *name)
{
    int fd = bpf_program__fd(bpf_object__find_program_by_name(obj, name));
    assert_true(fd >= 0);
    return fd;
}

/* The fd of the map of that name in a loaded object. */
static inline int map_fd(const struct bpf_object *obj, const char *name)
{
    int fd = bpf_map__fd(bpf_object__find_map_by_name(obj, name));
    assert_true(fd >= 0);
    return fd;
}

/* Test-runs the program of fd once on ctx (in and out); must succeed; returns its value. */
static inline int run_on(int fd, struct core_sample_ctx *ctx)
{
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(*ctx), .ctx_out = ctx,
                .ctx_size_out = sizeof(*ctx));
    assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
    return (int)opts.retval;
}

/* Test-runs the program of fd once on an empty context; returns its value. */
static inline int run_simple(int fd)
{
    struct core_sample_ctx ctx = {0};
    return run_on(fd, &ctx);
}

/* What the library printed since capture_messages(). */
static char captured[8192];

static int capture(enum libbpf_print_level level, const char *format, va_list args)
{
    (void)level;
    size_t used = strlen(captured);
    return vsnprintf(captured + used, sizeof(captured) - used, format, args);
}

/* Sends the library's messages to captured, emptied. */
static inline void capture_messages(void)
{
    captured[0] = '\0';
    libbpf_set_print(capture);
}

/* Group setup: messages captured, not on stderr. */
static inline int setup_capture(void **state)
{
    (void)state;
    capture_messages();
    return 0;
}

/* Group teardown: removes the compiled objects. */
static inline int remove_objects(void **state)
{
    (void)state;
    for (size_t i = 0; i < 16 && compiled[i].path; i++) {
        free(compiled[i].path);
        compiled[i].path = NULL;
    }
    bpf_compile_cleanup();
    return 0;
}

/* An int-returning call failed with err: returned -err and set errno to err. */
#define assert_fails(call, err)                                                                              \
    do {                                                                                                     \
        errno = 0;                                                                                           \
        int rc_ = (call);                                                                                    \
        assert_int_equal(rc_, -(err));                                                                       \
        assert_int_equal(errno, (err));                                                                      \
    } while (0)

/* A pointer-returning call failed with err: NULL, errno set, libbpf_get_error() agreeing. */
#define assert_null_with(call, err)                                                                          \
    do {                                                                                                     \
        errno = 0;                                                                                           \
        const void *p_ = (call);                                                                             \
        assert_null(p_);                                                                                     \
        assert_int_equal(errno, (err));                                                                      \
        assert_int_equal(libbpf_get_error(p_), -(err));                                                      \
    } while (0)

#endif
