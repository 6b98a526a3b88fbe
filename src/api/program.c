/* bpf_program: names, type and fd of an object's program, and attaching it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

const char *bpf_program__name(const struct bpf_program *prog)
{
    return prog ? prog->elf->name : api_err_ptr(-EINVAL);
}

const char *bpf_program__section_name(const struct bpf_program *prog)
{
    return prog ? prog->elf->section : api_err_ptr(-EINVAL);
}

enum bpf_prog_type bpf_program__type(const struct bpf_program *prog)
{
    if (!prog) {
        api_err(-EINVAL);
        return BPF_PROG_TYPE_UNSPEC;
    }
    api_register_program_types();
    const struct core_prog_type *type = core_prog_type_find_by_section(prog->elf->section);
    return type ? (enum bpf_prog_type)type->type_id : BPF_PROG_TYPE_UNSPEC;
}

int bpf_program__fd(const struct bpf_program *prog)
{
    if (!prog)
        return api_err(-EINVAL);
    return prog->fd >= 0 ? prog->fd : api_err(-ENOENT);
}

/* The loaded program behind prog, or NULL (EINVAL) after a warning. */
static struct core_prog *loaded_prog(const struct bpf_program *prog)
{
    if (!prog)
        return api_err_ptr(-EINVAL);
    if (prog->fd < 0) {
        api_print(LIBBPF_WARN, "program '%s': cannot attach before its object is loaded", prog->elf->name);
        return api_err_ptr(-EINVAL);
    }
    return prog->obj->loaded->progs[prog->index];
}

struct bpf_link *bpf_program__attach_hook(const struct bpf_program *prog, const char *hook_name)
{
    struct core_prog *loaded = loaded_prog(prog);
    if (!loaded)
        return NULL;
    if (!hook_name)
        return api_err_ptr(-EINVAL);
    struct core_hook *hook = core_hook_find(hook_name);
    if (!hook) {
        api_print(LIBBPF_WARN, "program '%s': no hook '%s'", prog->elf->name, hook_name);
        return api_err_ptr(-EOPNOTSUPP);
    }
    struct bpf_link *link = calloc(1, sizeof(*link));
    if (!link)
        return api_err_ptr(-ENOMEM);
    int rc = core_hook_attach(hook, loaded, NULL, 0, &link->link);
    if (rc) {
        api_print(LIBBPF_WARN, "program '%s': cannot attach to hook '%s' (%s)", prog->elf->name, hook_name,
                  strerror(-rc));
    } else if ((link->fd = api_fd_new(core_link_obj(link->link))) < 0) {
        rc = link->fd;
        core_link_release(link->link);
    }
    if (rc) {
        free(link);
        return api_err_ptr(rc);
    }
    return link;
}

struct bpf_link *bpf_program__attach(const struct bpf_program *prog)
{
    struct core_prog *loaded = loaded_prog(prog);
    if (!loaded)
        return NULL;
    struct core_prog_info info;
    core_prog_info(loaded, &info);
    /* A type's programs run by default on the hook registered under the type's name. */
    return bpf_program__attach_hook(prog, info.type->name);
}
