/* What a program's context argument is declared as, from its BTF func
 * info: the struct its first parameter points to, and that struct's
 * members (anonymous structs and unions inside it searched too). */
#include <string.h>

#include "elf/btf.h"

/* Follows typedefs and qualifiers from id; false on a chain too long. */
static bool underlying(const struct btf *btf, uint32_t id, struct btf_type *t)
{
    for (int hops = 0; hops < BTF_MAX_CHAIN; hops++) {
        if (id >= btf->count)
            return false;
        btf_type(btf, id, t);
        if (t->kind != BTF_KIND_TYPEDEF && t->kind != BTF_KIND_CONST && t->kind != BTF_KIND_VOLATILE &&
            t->kind != BTF_KIND_RESTRICT && t->kind != BTF_KIND_TYPE_TAG)
            return true;
        id = t->size_or_type;
    }
    return false;
}

/* Whether struct or union t has a member named in names, directly or in an anonymous member, depth levels down
 * at most. */
static bool has_member(const struct btf *btf, const struct btf_type *t, const char *const *names, int depth)
{
    if ((t->kind != BTF_KIND_STRUCT && t->kind != BTF_KIND_UNION) || depth > BTF_MAX_CHAIN)
        return false;
    for (uint32_t i = 0; i < t->vlen; i++) {
        struct btf_member m;
        struct btf_type inner;
        btf_member(btf, t, i, &m);
        for (const char *const *n = names; m.name && *n; n++)
            if (!strcmp(m.name, *n))
                return true;
        if ((!m.name || !m.name[0]) && underlying(btf, m.type, &inner) && has_member(btf, &inner, names, depth + 1))
            return true;
    }
    return false;
}

/* Whether program p's context struct has one of members. */
static bool program_has(const struct btf *btf, const struct bpf_elf_program *p, const char *const *members)
{
    if (!p->func_count || p->funcs[0].insn != 0)
        return false;
    struct btf_type func, proto, param;
    uint32_t id = p->funcs[0].type_id;
    /* FUNC -> FUNC_PROTO, whose first parameter (name offset, type) is the context pointer. */
    return id < btf->count && (btf_type(btf, id, &func), func.kind == BTF_KIND_FUNC) &&
           underlying(btf, func.size_or_type, &proto) && proto.kind == BTF_KIND_FUNC_PROTO && proto.vlen > 0 &&
           underlying(btf, ld_u32(proto.extra + 4), &param) && param.kind == BTF_KIND_PTR &&
           underlying(btf, param.size_or_type, &param) && has_member(btf, &param, members, 0);
}

bool bpf_elf_ctx_has_member(const struct bpf_elf_object *obj, const struct bpf_elf_program *prog,
                            const char *const *members)
{
    if (!obj->btf)
        return false;
    char why[128];
    struct loader ld = {.name = obj->name, .err = why, .errlen = sizeof(why)};
    struct btf *btf = NULL;
    if (btf_parse(&ld, obj->btf, obj->btf_size, &btf) < 0)
        return false;
    bool found = prog && program_has(btf, prog, members);
    for (size_t i = 0; !prog && !found && i < obj->program_count; i++)
        found = program_has(btf, &obj->programs[i], members);
    btf_free(btf);
    return found;
}
