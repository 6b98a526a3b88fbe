/* Map types the loader knows (Linux's numbering) and checks common to every
 * way of defining a map. */
#include "elf/loader.h"

/* Indexed by Linux map type number, from include/bpf_map_types.h. */
static const char *const type_names[__MAX_BPF_MAP_TYPE] = {
#define TYPE_NAME(name, number, text) [number] = text,
    BPF_MAP_TYPE_LIST(TYPE_NAME)
#undef TYPE_NAME
};

const char *bpf_elf_map_type_name(uint32_t type)
{
    /* 0 (unspec) is not a type a definition may name. */
    return type != BPF_MAP_TYPE_UNSPEC && type < __MAX_BPF_MAP_TYPE ? type_names[type] : NULL;
}

int ld_check_map_def(struct loader *ld, const char *what, const struct bpf_elf_map_def *def)
{
    if (!bpf_elf_map_type_name(def->type))
        return ld_fail(ld, "map '%s': unknown map type %u", what, def->type);
    if (def->pinning != BPF_ELF_PIN_NONE && def->pinning != BPF_ELF_PIN_BY_NAME)
        return ld_fail(ld, "map '%s': unknown pinning %u", what, def->pinning);
    return 0;
}
