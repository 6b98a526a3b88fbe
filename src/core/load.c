/*
 * Loading an object file: maps first (created, or reused when pinned by
 * name), global data initialised and .rodata frozen, then every program
 * through core_prog_load() (so through core_verify()), then the statically
 * initialised slots of prog arrays and maps of maps.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

enum { ERR_MAX = 512 };

struct loading {
    const struct bpf_elf_object *elf;
    const char *pin_root;
    struct core_object *obj;
    bool *reused; /* per map: taken from a pin, so left as it is */
    bool *pinned; /* per map: pinned by this load, unpinned if it fails */
    char *err;
    size_t errlen;
};

/* A map name Linux accepts: up to 15 of [A-Za-z0-9_.]. Global data keep
 * their section's name whole, cutting the object's name instead (as libbpf). */
static void kernel_name(const struct bpf_elf_object *elf, const struct bpf_elf_map *m, char name[MAP_NAME_LEN])
{
    bool data = m->kind == BPF_ELF_MAP_DATA || m->kind == BPF_ELF_MAP_RODATA || m->kind == BPF_ELF_MAP_BSS;
    size_t suffix = data ? strlen(m->section) : 0;
    if (suffix > MAP_NAME_LEN - 1)
        suffix = MAP_NAME_LEN - 1;
    if (data)
        snprintf(name, MAP_NAME_LEN, "%.*s%.*s", (int)(MAP_NAME_LEN - 1 - suffix), elf->name, (int)suffix,
                 m->section);
    else
        snprintf(name, MAP_NAME_LEN, "%s", m->name);
    for (char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.')
            *c = '_';
}

static struct map_params params_of(const struct bpf_elf_map_def *def)
{
    return (struct map_params){.type = def->type,
                               .key_size = def->key_size,
                               .value_size = def->value_size,
                               .max_entries = def->max_entries,
                               .map_flags = def->map_flags};
}

/* Makes a new map of definition i, with its initial global data. */
static int create_map(struct loading *ld, size_t i)
{
    const struct bpf_elf_map *m = &ld->elf->maps[i];
    char name[MAP_NAME_LEN];
    kernel_name(ld->elf, m, name);
    char why[MAP_WHY_LEN] = "";
    struct map_params p = params_of(&m->def), inner = params_of(&m->inner);
    p.name = name;
    p.inner = m->has_inner ? &inner : NULL;
    p.why = why;
    p.why_len = sizeof(why);
    int rc = core_map_create(&p, &ld->obj->maps[i]);
    if (rc)
        return core_fail(ld->err, ld->errlen, rc, "map '%s': cannot create it: %s", m->name,
                         why[0] ? why : strerror(-rc));
    struct map *map = ld->obj->maps[i]->map;
    uint32_t zero = 0;
    if (m->data && (rc = map_update_user(map, &zero, m->data, MAP_ANY)) != 0)
        return core_fail(ld->err, ld->errlen, rc, "map '%s': cannot set its initial value (%s)", m->name,
                         strerror(-rc));
    if (m->frozen)
        map_freeze(map);
    return 0;
}

/* Writes what differs between the pinned map and def (the first difference) into why; false if one does. */
static bool compatible(const struct map *map, const struct bpf_elf_map_def *def, char *why, size_t len)
{
    const struct {
        const char *what;
        uint32_t pinned, here;
    } fields[] = {
        {"type", map_type(map), def->type},
        {"key size", map_key_size(map), def->key_size},
        {"value size", map_value_size(map), def->value_size},
        {"max_entries", map_max_entries(map), def->max_entries},
        {"map flags", map_flags(map), def->map_flags},
    };
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
        if (fields[f].pinned != fields[f].here) {
            snprintf(why, len, "%s %u there, %u here", fields[f].what, fields[f].pinned, fields[f].here);
            return false;
        }
    return true;
}

/* Map i, pinned by name: reuses the pinned map if compatible, else creates and pins it. */
static int pinned_map(struct loading *ld, size_t i)
{
    const struct bpf_elf_map *m = &ld->elf->maps[i];
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", ld->pin_root, m->name);
    struct core_obj *found;
    if (core_pin_get(path, &found) == 0) {
        struct core_map *cm = core_obj_map(found);
        char why[96] = "it is no map";
        if (!cm || !compatible(cm->map, &m->def, why, sizeof(why))) {
            core_obj_release(found);
            return core_fail(ld->err, ld->errlen, -EINVAL, "map '%s': what is pinned at %s does not match it (%s)",
                             m->name, path, why);
        }
        ld->obj->maps[i] = cm;
        ld->reused[i] = true;
        return 0;
    }
    int rc = create_map(ld, i);
    if (!rc && (rc = core_pin(path, &ld->obj->maps[i]->obj)) != 0)
        return core_fail(ld->err, ld->errlen, rc, "map '%s': cannot pin it at %s (%s)", m->name, path,
                         strerror(-rc));
    ld->pinned[i] = !rc;
    return rc;
}

/* Applies ep's CO-RE relocations to insns against the context of type: 0,
 * -EOPNOTSUPP if one names what this host lacks, -ENOMEM; why in err. */
static int relocate_co_re(const struct bpf_elf_object *elf, const struct bpf_elf_program *ep,
                          const struct core_prog_type *type, struct ebpf_insn *insns, char *err, size_t errlen)
{
    struct bpf_elf_core_field *fields = calloc(type->field_count + 1, sizeof(*fields));
    if (!fields)
        return core_fail(err, errlen, -ENOMEM, "out of memory");
    for (size_t i = 0; i < type->field_count; i++)
        fields[i] = (struct bpf_elf_core_field){type->fields[i].name, type->fields[i].offset, type->fields[i].size};
    const struct bpf_elf_core_type ctx = {type->ctx_type_names, type->ctx_size, fields, type->field_count};
    int rc = bpf_elf_core_relocate(elf, ep, &ctx, type->ctx_type_names ? 1 : 0, insns, err, errlen);
    free(fields);
    return rc == 0 ? 0 : rc == BPF_ELF_CORE_UNRESOLVED ? -EOPNOTSUPP : -ENOMEM;
}

/* Loads program i: its lddw name maps by index into the list of maps it uses. */
static int load_program(struct loading *ld, size_t i, const struct core_prog_type *type)
{
    const struct bpf_elf_program *ep = &ld->elf->programs[i];
    size_t map_count = ld->elf->map_count;
    struct ebpf_insn *insns = malloc(ep->insn_count * sizeof(*insns));
    struct core_map **used = calloc(map_count + 1, sizeof(*used));
    long *local = malloc((map_count + 1) * sizeof(*local));
    int rc = insns && used && local ? 0 : core_fail(ld->err, ld->errlen, -ENOMEM, "out of memory");
    size_t n = 0;
    if (!rc) {
        memcpy(insns, ep->insns, ep->insn_count * sizeof(*insns));
        for (size_t k = 0; k < map_count; k++)
            local[k] = -1;
    }
    if (!rc && ep->core_relo_count) {
        char why[ERR_MAX] = "";
        if ((rc = relocate_co_re(ld->elf, ep, type, insns, why, sizeof(why))) != 0)
            core_fail(ld->err, ld->errlen, rc, "program '%s': %s", ep->name, why);
    }
    for (size_t pc = 0; !rc && pc + 1 < ep->insn_count; pc++) {
        struct ebpf_insn *in = &insns[pc];
        if (in->opcode != EBPF_OP_LDDW || (in->src != EBPF_LDDW_MAP_IDX && in->src != EBPF_LDDW_MAP_VALUE_IDX))
            continue;
        uint32_t index = (uint32_t)in->imm;
        if (index >= map_count) {
            rc = core_fail(ld->err, ld->errlen, -EINVAL, "program '%s': instruction %zu names map %u of %zu",
                           ep->name, pc, index, map_count);
            break;
        }
        if (local[index] < 0) {
            local[index] = (long)n;
            used[n++] = ld->obj->maps[index];
        }
        in->imm = (int32_t)local[index];
        pc++;
    }
    if (!rc) {
        struct core_prog_load_args args = {ep->name, ep->section, type, insns, ep->insn_count, used, n, ep};
        char why[ERR_MAX] = "";
        rc = core_prog_load(&args, &ld->obj->progs[i], why, sizeof(why));
        if (rc)
            core_fail(ld->err, ld->errlen, rc, "program '%s': %s", ep->name, why);
    }
    free(local);
    free(used);
    free(insns);
    return rc;
}

/* Fills the statically initialised slots of map i. */
static int fill_slots(struct loading *ld, size_t i)
{
    const struct bpf_elf_map *m = &ld->elf->maps[i];
    struct map *map = ld->obj->maps[i]->map;
    if (m->slot_count && map_key_size(map) != sizeof(uint32_t))
        return core_fail(ld->err, ld->errlen, -EINVAL, "map '%s': initial slots need 4-byte keys", m->name);
    for (size_t s = 0; s < m->slot_count; s++) {
        const struct bpf_elf_slot *slot = &m->slots[s];
        void *target = slot->kind == BPF_ELF_SLOT_PROGRAM ? (void *)ld->obj->progs[slot->target]
                                                           : (void *)ld->obj->maps[slot->target]->map;
        int rc = map_update_obj(map, &slot->index, target, MAP_ANY);
        if (rc)
            return core_fail(ld->err, ld->errlen, rc, "map '%s': cannot store '%s' in slot %u (%s)", m->name,
                             slot->name, slot->index, strerror(-rc));
    }
    return 0;
}

/* The type of program i: the one asked for, or the one its section names. */
static const struct core_prog_type *type_of(struct loading *ld, size_t i, const char *forced, int *rc)
{
    const struct bpf_elf_program *ep = &ld->elf->programs[i];
    const struct core_prog_type *t =
        forced ? core_prog_type_find_by_name(forced) : core_prog_type_find_by_section(ep->section);
    if (!t && forced)
        *rc = core_fail(ld->err, ld->errlen, -ENOENT, "no program type named '%s'", forced);
    else if (!t)
        *rc = core_refuse_unregistered(ld->elf, i, ld->err, ld->errlen);
    return t;
}

static int load_all(struct loading *ld, const char *forced_type)
{
    const struct bpf_elf_object *elf = ld->elf;
    int rc = 0;
    const struct core_prog_type **types = calloc(elf->program_count + 1, sizeof(*types));
    if (!types)
        return core_fail(ld->err, ld->errlen, -ENOMEM, "out of memory");
    for (size_t i = 0; i < elf->program_count && !rc; i++)
        types[i] = type_of(ld, i, forced_type, &rc);
    for (size_t i = 0; i < elf->map_count && !rc; i++) {
        if (!(ld->obj->map_names[i] = strdup(elf->maps[i].name)))
            rc = core_fail(ld->err, ld->errlen, -ENOMEM, "out of memory");
        else if (elf->maps[i].def.pinning == BPF_ELF_PIN_BY_NAME)
            rc = pinned_map(ld, i);
        else
            rc = create_map(ld, i);
    }
    for (size_t i = 0; i < elf->program_count && !rc; i++)
        rc = load_program(ld, i, types[i]);
    for (size_t i = 0; i < elf->map_count && !rc; i++)
        if (!ld->reused[i])
            rc = fill_slots(ld, i);
    free(types);
    return rc;
}

int core_object_load(const struct bpf_elf_object *elf, const struct core_load_opts *opts,
                     struct core_object **out, char *err, size_t errlen)
{
    if (!elf || !out)
        return core_fail(err, errlen, -EINVAL, "no object to load");
    struct core_object *obj = calloc(1, sizeof(*obj));
    struct loading ld = {elf, opts && opts->pin_root ? opts->pin_root : "/sys/fs/bpf", obj,
                         calloc(elf->map_count + 1, sizeof(bool)), calloc(elf->map_count + 1, sizeof(bool)), err,
                         errlen};
    int rc = 0;
    if (obj) {
        obj->progs = calloc(elf->program_count + 1, sizeof(*obj->progs));
        obj->maps = calloc(elf->map_count + 1, sizeof(*obj->maps));
        obj->map_names = calloc(elf->map_count + 1, sizeof(*obj->map_names));
        obj->prog_count = elf->program_count;
        obj->map_count = elf->map_count;
    }
    if (!obj || !obj->progs || !obj->maps || !obj->map_names || !ld.reused || !ld.pinned)
        rc = core_fail(err, errlen, -ENOMEM, "out of memory");
    else
        rc = load_all(&ld, opts ? opts->prog_type : NULL);
    if (rc) {
        for (size_t i = 0; obj && ld.pinned && i < elf->map_count; i++)
            if (ld.pinned[i]) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", ld.pin_root, elf->maps[i].name);
                core_unpin(path);
            }
        core_object_close(obj);
        obj = NULL;
    }
    free(ld.reused);
    free(ld.pinned);
    *out = obj;
    return rc;
}

void core_object_close(struct core_object *obj)
{
    if (!obj)
        return;
    for (size_t i = 0; obj->progs && i < obj->prog_count; i++)
        core_prog_release(obj->progs[i]);
    for (size_t i = 0; obj->maps && i < obj->map_count; i++)
        core_map_release(obj->maps[i]);
    for (size_t i = 0; obj->map_names && i < obj->map_count; i++)
        free(obj->map_names[i]);
    free(obj->progs);
    free(obj->maps);
    free(obj->map_names);
    free(obj);
}

struct core_prog *core_object_find_prog(const struct core_object *obj, const char *name)
{
    for (size_t i = 0; i < obj->prog_count; i++)
        if (obj->progs[i] && strcmp(obj->progs[i]->name, name) == 0)
            return obj->progs[i];
    return NULL;
}

struct core_map *core_object_find_map(const struct core_object *obj, const char *name)
{
    for (size_t i = 0; i < obj->map_count; i++)
        if (obj->map_names[i] && strcmp(obj->map_names[i], name) == 0)
            return obj->maps[i];
    return NULL;
}
