/*
 * bpf_object: an object file opened (programs and maps known from the
 * ELF), then loaded once through the core (maps created, programs
 * verified), with an fd for each program and map from then on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/internal.h"

enum { ERR_MAX = 1024 };

/* Reads the whole file at path into *buf (malloc'd); 0 or -errno. */
static int read_whole_file(const char *path, uint8_t **buf, size_t *size)
{
    *buf = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int err = -errno;
        if (fd >= 0)
            close(fd);
        return err;
    }
    int err = S_ISDIR(st.st_mode) ? -EISDIR : 0;
    *buf = err ? NULL : malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (!err && !*buf)
        err = -ENOMEM;
    while (!err && *size < (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + *size, (size_t)st.st_size - *size);
        if (n < 0 && errno != EINTR)
            err = -errno;
        else if (n == 0)
            break; /* the file shrank: take what there is */
        else if (n > 0)
            *size += (size_t)n;
    }
    close(fd);
    if (err) {
        free(*buf);
        *buf = NULL;
    }
    return err;
}

/* Makes the bpf_object of an ELF object image; label names it in messages
 * and, cut to its base name, names the object. */
static struct bpf_object *open_image(const void *buf, size_t size, const char *label,
                                     const struct bpf_object_open_opts *opts)
{
    api_register_program_types();
    struct bpf_elf_object *elf;
    char err[ERR_MAX];
    if (bpf_elf_open_mem(buf, size, label, &elf, err, sizeof(err)) != 0) {
        api_print(LIBBPF_WARN, "%s", err);
        return api_err_ptr(-EINVAL);
    }
    const char *pin_root = API_OPTS_GET(bpf_object_open_opts, opts, pin_root_path, NULL);
    struct bpf_object *obj = calloc(1, sizeof(*obj));
    if (!obj) {
        bpf_elf_close(elf);
        return api_err_ptr(-ENOMEM);
    }
    obj->elf = elf;
    obj->progs = calloc(elf->program_count + 1, sizeof(*obj->progs));
    obj->maps = calloc(elf->map_count + 1, sizeof(*obj->maps));
    obj->pin_root = pin_root ? strdup(pin_root) : NULL;
    if (!obj->progs || !obj->maps || (pin_root && !obj->pin_root)) {
        bpf_object__close(obj);
        return api_err_ptr(-ENOMEM);
    }
    obj->prog_count = elf->program_count;
    for (size_t i = 0; i < elf->program_count; i++)
        obj->progs[i] = (struct bpf_program){obj, &elf->programs[i], i, -1};
    obj->map_count = elf->map_count;
    for (size_t i = 0; i < elf->map_count; i++)
        obj->maps[i] = (struct bpf_map){obj, &elf->maps[i], i, -1};
    return obj;
}

struct bpf_object *bpf_object__open_file(const char *path, const struct bpf_object_open_opts *opts)
{
    if (!path || !api_opts_valid(opts, sizeof(*opts), "bpf_object_open_opts"))
        return api_err_ptr(-EINVAL);
    uint8_t *buf;
    size_t size;
    int err = read_whole_file(path, &buf, &size);
    if (err) {
        api_print(LIBBPF_WARN, "%s: %s", path, strerror(-err));
        return api_err_ptr(err);
    }
    const char *name = API_OPTS_GET(bpf_object_open_opts, opts, object_name, NULL);
    struct bpf_object *obj = open_image(buf, size, name ? name : path, opts);
    free(buf);
    return obj;
}

struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz, const struct bpf_object_open_opts *opts)
{
    if (!obj_buf || !obj_buf_sz || !api_opts_valid(opts, sizeof(*opts), "bpf_object_open_opts"))
        return api_err_ptr(-EINVAL);
    const char *name = API_OPTS_GET(bpf_object_open_opts, opts, object_name, NULL);
    char label[64]; /* libbpf's default name for an object in memory */
    snprintf(label, sizeof(label), "%lx-%zx", (unsigned long)(uintptr_t)obj_buf, obj_buf_sz);
    return open_image(obj_buf, obj_buf_sz, name ? name : label, opts);
}

/* Closes the fds of the object's programs and maps. */
static void close_fds(struct bpf_object *obj)
{
    for (size_t i = 0; i < obj->prog_count; i++) {
        if (obj->progs[i].fd >= 0)
            api_fd_close(obj->progs[i].fd, core_prog_obj(obj->loaded->progs[i]));
        obj->progs[i].fd = -1;
    }
    for (size_t i = 0; i < obj->map_count; i++) {
        if (obj->maps[i].fd >= 0)
            api_fd_close(obj->maps[i].fd, core_map_obj(obj->loaded->maps[i]));
        obj->maps[i].fd = -1;
    }
}

/* Gives every loaded program and map its fd; 0 or -errno. */
static int open_fds(struct bpf_object *obj)
{
    for (size_t i = 0; i < obj->prog_count; i++)
        if ((obj->progs[i].fd = api_fd_new(core_prog_obj(obj->loaded->progs[i]))) < 0)
            return obj->progs[i].fd;
    for (size_t i = 0; i < obj->map_count; i++)
        if ((obj->maps[i].fd = api_fd_new(core_map_obj(obj->loaded->maps[i]))) < 0)
            return obj->maps[i].fd;
    return 0;
}

int bpf_object__load(struct bpf_object *obj)
{
    if (!obj)
        return api_err(-EINVAL);
    if (obj->load_tried) {
        api_print(LIBBPF_WARN, "object '%s': a load can be attempted only once", obj->elf->name);
        return api_err(-EINVAL);
    }
    obj->load_tried = true;
    struct core_load_opts opts = {.pin_root = obj->pin_root};
    char err[ERR_MAX];
    int rc = core_object_load(obj->elf, &opts, &obj->loaded, err, sizeof(err));
    if (rc) {
        api_print(LIBBPF_WARN, "object '%s': %s", obj->elf->name, err);
        return api_err(rc);
    }
    if ((rc = open_fds(obj)) != 0) {
        api_print(LIBBPF_WARN, "object '%s': no fd for its programs and maps (%s)", obj->elf->name, strerror(-rc));
        close_fds(obj);
        core_object_close(obj->loaded);
        obj->loaded = NULL;
        return api_err(rc);
    }
    return 0;
}

void bpf_object__close(struct bpf_object *obj)
{
    if (!obj)
        return;
    if (obj->loaded) {
        close_fds(obj);
        core_object_close(obj->loaded);
    }
    bpf_elf_close(obj->elf);
    free(obj->progs);
    free(obj->maps);
    free(obj->pin_root);
    free(obj);
    api_fd_sweep();
}

const char *bpf_object__name(const struct bpf_object *obj)
{
    return obj ? obj->elf->name : api_err_ptr(-EINVAL);
}

struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj, const char *name)
{
    if (!obj || !name)
        return api_err_ptr(-EINVAL);
    for (size_t i = 0; i < obj->prog_count; i++)
        if (strcmp(obj->progs[i].elf->name, name) == 0)
            return &obj->progs[i];
    return api_err_ptr(-ENOENT);
}

/* True if map is global data of a section called name (".data", ".rodata.str1.1", ...). */
static bool is_section_of(const struct bpf_map *map, const char *name)
{
    enum bpf_elf_map_kind kind = map->elf->kind;
    bool data = kind == BPF_ELF_MAP_DATA || kind == BPF_ELF_MAP_RODATA || kind == BPF_ELF_MAP_BSS;
    return data && strcmp(map->elf->section, name) == 0;
}

struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj, const char *name)
{
    if (!obj || !name)
        return api_err_ptr(-EINVAL);
    for (size_t i = 0; i < obj->map_count; i++)
        if (name[0] == '.' ? is_section_of(&obj->maps[i], name) : strcmp(obj->maps[i].elf->name, name) == 0)
            return &obj->maps[i];
    return api_err_ptr(-ENOENT);
}

struct bpf_program *bpf_object__next_program(const struct bpf_object *obj, struct bpf_program *prog)
{
    if (!obj || (prog && prog->obj != obj))
        return api_err_ptr(-EINVAL);
    size_t next = prog ? prog->index + 1 : 0;
    return next < obj->prog_count ? &obj->progs[next] : NULL;
}

struct bpf_map *bpf_object__next_map(const struct bpf_object *obj, const struct bpf_map *map)
{
    if (!obj || (map && map->obj != obj))
        return api_err_ptr(-EINVAL);
    size_t next = map ? map->index + 1 : 0;
    return next < obj->map_count ? &obj->maps[next] : NULL;
}
