/*
 * Whose program types an object's sections name. cgroup/connect4 is a
 * type of Linux and of eBPF for Windows alike, with other contexts and
 * rules, so the section alone cannot say which; the object can: a section
 * only eBPF for Windows defines, its map records or its programs' declared
 * contexts mark it. Shared by
 * `bpfhost show verification`, the corpus runner and the loader, so an
 * object is judged the same way by each.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "core/internal.h"

/* eBPF for Windows' ebpf_map_definition_in_file_t: eight 32-bit fields (Linux's records have 5 or 7, iproute2's 9). */
enum { WINDOWS_MAP_RECORD = 32 };

const char *core_platform_name(enum core_platform platform)
{
    switch (platform) {
    case CORE_PLATFORM_HOST: return "host";
    case CORE_PLATFORM_WINDOWS: return "windows";
    default: return "linux";
    }
}

enum core_platform core_object_platform(const struct bpf_elf_object *elf)
{
    for (size_t i = 0; i < elf->program_count; i++) {
        const char *section = elf->programs[i].section;
        if (verify_windows_only_section(section) || core_prog_type_find_by_section(section))
            return CORE_PLATFORM_WINDOWS;
    }
    for (size_t i = 0; i < elf->map_count; i++)
        if (elf->maps[i].kind == BPF_ELF_MAP_LEGACY && elf->maps[i].def_size == WINDOWS_MAP_RECORD)
            return CORE_PLATFORM_WINDOWS;
    return bpf_elf_ctx_has_member(elf, NULL, verify_windows_ctx_members()) ? CORE_PLATFORM_WINDOWS
                                                                           : CORE_PLATFORM_LINUX;
}

/* The type a section names on platform, or NULL. */
static const char *type_of_section(const char *section, enum core_platform platform)
{
    const struct core_prog_type *t = core_prog_type_find_by_section(section);
    const char *windows = platform == CORE_PLATFORM_WINDOWS ? verify_windows_type_of_section(section) : NULL;
    return t ? t->name : windows ? windows : verify_linux_type_of_section(section);
}

/* A tail-call section of iproute2's convention: "2/1" (prog array id / slot). */
static bool numbered(const char *section)
{
    return isdigit((unsigned char)section[0]) && strchr(section, '/');
}

const char *core_program_type_name(const struct bpf_elf_object *elf, size_t index, enum core_platform platform)
{
    const char *name = type_of_section(elf->programs[index].section, platform);
    for (size_t k = 0; !name && numbered(elf->programs[index].section) && k < elf->program_count; k++)
        if (!numbered(elf->programs[k].section))
            name = type_of_section(elf->programs[k].section, platform);
    return name;
}

/* The profile of the platform's type of that name (Windows' with the host's general helpers): 0, -ENOENT, -ENOMEM. */
static int choose_on(struct core_type_choice *c, const char *name, enum core_platform platform)
{
    if (platform == CORE_PLATFORM_LINUX) {
        c->profile = verify_linux_profile(name);
    } else {
        const struct verify_profile *windows = verify_windows_profile(name);
        if (!windows)
            return -ENOENT;
        if (core_profile_init_windows(&c->owned, windows) != 0)
            return -ENOMEM;
        c->profile = &c->owned.profile;
    }
    if (!c->profile)
        return -ENOENT;
    c->name = c->profile->name;
    c->platform = platform;
    return 0;
}

int core_type_choose(struct core_type_choice *c, const char *name, enum core_platform platform)
{
    memset(c, 0, sizeof(*c));
    if (!name)
        return -ENOENT;
    const struct core_prog_type *t = core_prog_type_find_by_name(name);
    if (t) {
        if (core_profile_init(&c->owned, t) != 0)
            return -ENOMEM;
        c->name = t->name;
        c->platform = CORE_PLATFORM_HOST;
        c->profile = &c->owned.profile;
        return 0;
    }
    /* The object's platform first; a name only the other has is the other's. */
    bool windows = platform == CORE_PLATFORM_WINDOWS;
    int rc = choose_on(c, name, windows ? CORE_PLATFORM_WINDOWS : CORE_PLATFORM_LINUX);
    return rc == -ENOENT ? choose_on(c, name, windows ? CORE_PLATFORM_LINUX : CORE_PLATFORM_WINDOWS) : rc;
}

void core_type_choice_free(struct core_type_choice *c)
{
    core_profile_free(&c->owned);
    memset(c, 0, sizeof(*c));
}

int core_refuse_unregistered(const struct bpf_elf_object *elf, size_t index, char *err, size_t errlen)
{
    const struct bpf_elf_program *ep = &elf->programs[index];
    enum core_platform platform = core_object_platform(elf);
    struct core_type_choice c;
    if (core_type_choose(&c, core_program_type_name(elf, index, platform), platform) != 0)
        return core_fail(err, errlen, -EINVAL, "program '%s': no program type for section '%s'", ep->name,
                         ep->section);
    /* Judged as `bpfhost show verification` judges it: a rejection is the verifier's. */
    struct verify_result res = {0};
    int rc = core_verify_elf_program(elf, index, c.profile, NULL, &res);
    const char *whose = c.platform == CORE_PLATFORM_WINDOWS ? "eBPF for Windows" : "Linux";
    if (rc == 0 && !res.accepted) {
        struct verify_program prog = {.name = ep->name};
        char why[2 * VERIFY_MESSAGE_MAX + 300];
        verify_format(&prog, &res, why, sizeof(why));
        rc = core_fail(err, errlen, -EINVAL, "program '%s': %s%s%s (verified as the %s program type '%s')", ep->name,
                       why, res.state[0] ? "; registers: " : "", res.state, whose, c.name);
    } else if (rc == 0) {
        rc = core_fail(err, errlen, -EOPNOTSUPP,
                       "program '%s': section '%s' names the %s program type '%s': the program verifies, but this "
                       "host has no such program type or hook to run it",
                       ep->name, ep->section, whose, c.name);
    } else {
        rc = core_fail(err, errlen, rc, "program '%s': %s", ep->name, res.message);
    }
    core_type_choice_free(&c);
    return rc;
}
