/*
 * Private to src/api: what stands behind the handles, the fd table,
 * the error convention and messages. The layer's interface is api.h.
 */
#ifndef BPFHOST_API_INTERNAL_H
#define BPFHOST_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "core/core.h"

/* A program of an object; index is its place in the ELF object and, once
 * loaded, in the core object. */
struct bpf_program {
    struct bpf_object *obj;
    const struct bpf_elf_program *elf;
    size_t index;
    int fd; /* -1 until loaded */
};

/* A map of an object, indexed like its programs. */
struct bpf_map {
    struct bpf_object *obj;
    const struct bpf_elf_map *elf;
    size_t index;
    int fd; /* -1 until loaded */
};

struct bpf_object {
    char *pin_root; /* NULL: the core's default */
    struct bpf_elf_object *elf;
    struct core_object *loaded; /* NULL until loaded */
    bool load_tried;
    struct bpf_program *progs;
    size_t prog_count;
    struct bpf_map *maps;
    size_t map_count;
};

struct bpf_link {
    struct core_link *link;
    int fd;
};

/* errors.c: sets errno to -err when err is negative; returns err. */
int api_err(int err);
/* errors.c: sets errno to -err; returns NULL. */
void *api_err_ptr(int err);
/* errors.c: true if opts (a struct starting with its size; NULL is fine)
 * fits a struct of known_size bytes (see LIBBPF_OPTS in api.h). */
bool api_opts_valid(const void *opts, size_t known_size, const char *type_name);
/* The field of an options struct, or fallback if opts is NULL or too old to have it. */
#define API_OPTS_GET(type, opts, field, fallback)                                                          \
    ((opts) && offsetof(struct type, field) + sizeof((opts)->field) <= (opts)->sz ? (opts)->field : (fallback))
/* Sets the field of an options struct if opts has it. */
#define API_OPTS_SET(type, opts, field, value)                                                             \
    do {                                                                                                   \
        if ((opts) && offsetof(struct type, field) + sizeof((opts)->field) <= (opts)->sz)                  \
            (opts)->field = (value);                                                                       \
    } while (0)

/* print.c: formats a message and hands it, prefixed "bpfhost: " and with a
 * newline, to the print callback; errno is preserved. */
void api_print(enum libbpf_print_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fd_table.c: a new fd standing for obj, with a reference of its own; or -errno. */
int api_fd_new(struct core_obj *obj);
/* fd_table.c: the object fd stands for, with a new reference, if of type
 * (0: any): 0, -EBADF (fd not open) or -EINVAL (not an object of that type). */
int api_fd_get(int fd, enum core_obj_type type, struct core_obj **out);
/* fd_table.c: closes an fd the library owns if it still stands for obj, dropping its reference. */
void api_fd_close(int fd, const struct core_obj *obj);
/* fd_table.c: drops the entries of fds the application has closed. */
void api_fd_sweep(void);

#endif
