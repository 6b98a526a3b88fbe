/*
 * Loading and draining the tracepoint source's kernel program (see
 * tracepoint_kernel.h), with the system's libbpf (Debian's libbpf1).
 *
 * libbpf is opened with dlopen() and called through the pointers below,
 * never linked: bpfhost's own libbpf-style API (src/api) defines the same
 * function names for the programs it runs in user space, and a linked
 * libbpf would be resolved to those. Opened RTLD_LOCAL, and since no
 * executable of ours exports its own definitions, libbpf's calls to
 * itself stay inside libbpf.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext/process/tracepoint_kernel.h"

/* The kernel program's object, built from tracepoints.bpf.c (generated tracepoints_bpf_object.c). */
extern const unsigned char ext_tracepoints_bpf_object[];
extern const size_t ext_tracepoints_bpf_object_size;

#define LIBBPF_SONAME "libbpf.so.1"

/* The libbpf functions used. */
static struct {
    struct bpf_object *(*open_mem)(const void *, size_t, const struct bpf_object_open_opts *);
    int (*load)(struct bpf_object *);
    struct bpf_program *(*next_program)(const struct bpf_object *, struct bpf_program *);
    struct bpf_link *(*attach)(const struct bpf_program *);
    struct bpf_map *(*find_map)(const struct bpf_object *, const char *);
    int (*map_fd)(const struct bpf_map *);
    struct ring_buffer *(*ring_new)(int, ring_buffer_sample_fn, void *, const struct ring_buffer_opts *);
    int (*ring_epoll_fd)(const struct ring_buffer *);
    int (*ring_consume)(struct ring_buffer *);
    void (*ring_free)(struct ring_buffer *);
    int (*link_destroy)(struct bpf_link *);
    void (*close)(struct bpf_object *);
    libbpf_print_fn_t (*set_print)(libbpf_print_fn_t);
    int (*lookup)(int, const void *, void *);
    int (*num_cpus)(void);
} lib;

static const struct {
    const char *name;
    size_t offset;
} symbols[] = {
    {"bpf_object__open_mem", offsetof(__typeof__(lib), open_mem)},
    {"bpf_object__load", offsetof(__typeof__(lib), load)},
    {"bpf_object__next_program", offsetof(__typeof__(lib), next_program)},
    {"bpf_program__attach", offsetof(__typeof__(lib), attach)},
    {"bpf_object__find_map_by_name", offsetof(__typeof__(lib), find_map)},
    {"bpf_map__fd", offsetof(__typeof__(lib), map_fd)},
    {"ring_buffer__new", offsetof(__typeof__(lib), ring_new)},
    {"ring_buffer__epoll_fd", offsetof(__typeof__(lib), ring_epoll_fd)},
    {"ring_buffer__consume", offsetof(__typeof__(lib), ring_consume)},
    {"ring_buffer__free", offsetof(__typeof__(lib), ring_free)},
    {"bpf_link__destroy", offsetof(__typeof__(lib), link_destroy)},
    {"bpf_object__close", offsetof(__typeof__(lib), close)},
    {"libbpf_set_print", offsetof(__typeof__(lib), set_print)},
    {"bpf_map_lookup_elem", offsetof(__typeof__(lib), lookup)},
    {"libbpf_num_possible_cpus", offsetof(__typeof__(lib), num_cpus)},
};

static char lib_error[256]; /* why libbpf could not be opened, "" if it was */

static void open_libbpf(void)
{
    void *handle = dlopen(LIBBPF_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(lib_error, sizeof(lib_error), "%s", dlerror());
        return;
    }
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        void *fn = dlsym(handle, symbols[i].name);
        if (!fn) {
            snprintf(lib_error, sizeof(lib_error), "%s has no %s", LIBBPF_SONAME, symbols[i].name);
            return;
        }
        memcpy((char *)&lib + symbols[i].offset, &fn, sizeof(fn)); /* POSIX: a dlsym result is the function */
    }
}

enum { PROGRAMS = 3 };

struct tp_kernel {
    struct bpf_object *obj;
    struct bpf_link *links[PROGRAMS];
    struct ring_buffer *ring;
    int lost_fd, cpus;
    tp_kernel_record_fn on_record;
    void *arg;
};

/* libbpf's messages have no argument for whom they are for: the last opener's log gets them. */
static _Atomic(tp_kernel_log_fn) current_log;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    tp_kernel_log_fn log = atomic_load(&current_log);
    if (level == LIBBPF_DEBUG || !log)
        return 0;
    char line[512];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = strlen(line);
    if (len && line[len - 1] == '\n')
        line[len - 1] = '\0';
    log(line);
    return n;
}

static int on_ring_record(void *arg, void *data, size_t size)
{
    struct tp_kernel *k = arg;
    k->on_record(k->arg, data, size);
    return 0;
}

static int attach_all(struct tp_kernel *k)
{
    size_t i = 0;
    struct bpf_program *prog;
    for (prog = lib.next_program(k->obj, NULL); prog; prog = lib.next_program(k->obj, prog)) {
        if (i == PROGRAMS)
            return -E2BIG;
        if (!(k->links[i++] = lib.attach(prog)))
            return -errno;
    }
    return 0;
}

int tp_kernel_open(tp_kernel_record_fn on_record, void *arg, tp_kernel_log_fn log, struct tp_kernel **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, open_libbpf);
    if (lib_error[0]) {
        if (log)
            log(lib_error);
        return -ENOSYS;
    }
    struct tp_kernel *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->on_record = on_record;
    k->arg = arg;
    k->cpus = lib.num_cpus();
    atomic_store(&current_log, log);
    lib.set_print(libbpf_print);
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bpfhost_process");
    int err = k->cpus > 0 ? 0 : k->cpus ? k->cpus : -EINVAL;
    if (!err && !(k->obj = lib.open_mem(ext_tracepoints_bpf_object, ext_tracepoints_bpf_object_size, &opts)))
        err = -errno;
    if (!err)
        err = lib.load(k->obj);
    if (!err)
        err = attach_all(k);
    if (!err) {
        k->lost_fd = lib.map_fd(lib.find_map(k->obj, "lost"));
        k->ring = lib.ring_new(lib.map_fd(lib.find_map(k->obj, "events")), on_ring_record, k, NULL);
        if (!k->ring)
            err = -errno;
    }
    if (err) {
        tp_kernel_close(k);
        return err;
    }
    *out = k;
    return 0;
}

int tp_kernel_fd(const struct tp_kernel *k)
{
    return lib.ring_epoll_fd(k->ring);
}

int tp_kernel_drain(struct tp_kernel *k)
{
    return lib.ring_consume(k->ring);
}

int tp_kernel_lost(const struct tp_kernel *k, uint64_t *total)
{
    uint64_t per_cpu[k->cpus];
    uint32_t zero = 0;
    if (lib.lookup(k->lost_fd, &zero, per_cpu) != 0)
        return -errno;
    *total = 0;
    for (int i = 0; i < k->cpus; i++)
        *total += per_cpu[i];
    return 0;
}

void tp_kernel_close(struct tp_kernel *k)
{
    if (!k)
        return;
    if (k->ring)
        lib.ring_free(k->ring);
    for (size_t i = 0; i < PROGRAMS; i++)
        if (k->links[i])
            lib.link_destroy(k->links[i]);
    if (k->obj)
        lib.close(k->obj);
    free(k);
}
