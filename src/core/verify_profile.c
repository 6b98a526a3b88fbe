/*
 * A program type as the verifier sees it: core's descriptor (context
 * fields and their rights, the data pair, the general helpers and the
 * type's own with their prototypes, the return rule) translated into a
 * verify_profile, and an object file's maps and line info translated into
 * what verify_program() takes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static enum verify_arg arg_of(enum core_arg_kind k)
{
    switch (k) {
    case CORE_ARG_NONE: return VERIFY_ARG_NONE;
    case CORE_ARG_MAP_PTR: return VERIFY_ARG_MAP_PTR;
    case CORE_ARG_MAP_KEY: return VERIFY_ARG_MAP_KEY;
    case CORE_ARG_MAP_VALUE: return VERIFY_ARG_MAP_VALUE;
    case CORE_ARG_MAP_VALUE_OUT: return VERIFY_ARG_MAP_VALUE_OUT;
    case CORE_ARG_MEM_READ: return VERIFY_ARG_MEM_READ;
    case CORE_ARG_MEM_READ_OR_NULL: return VERIFY_ARG_MEM_READ_OR_NULL;
    case CORE_ARG_MEM_WRITE: return VERIFY_ARG_MEM_WRITE;
    case CORE_ARG_MEM_WRITE_OR_NULL: return VERIFY_ARG_MEM_WRITE_OR_NULL;
    case CORE_ARG_CONST_SIZE: return VERIFY_ARG_CONST_SIZE;
    case CORE_ARG_SIZE_OR_ZERO: return VERIFY_ARG_SIZE_OR_ZERO;
    case CORE_ARG_ALLOC_SIZE: return VERIFY_ARG_ALLOC_SIZE;
    case CORE_ARG_CTX: return VERIFY_ARG_CTX;
    case CORE_ARG_SCALAR: return VERIFY_ARG_SCALAR;
    case CORE_ARG_CALLBACK: return VERIFY_ARG_CALLBACK;
    case CORE_ARG_CONST_STR: return VERIFY_ARG_CONST_STR;
    case CORE_ARG_RINGBUF_MEM: return VERIFY_ARG_RINGBUF_MEM;
    }
    return VERIFY_ARG_ANYTHING;
}

static enum verify_ret ret_of(enum core_ret_kind k)
{
    switch (k) {
    case CORE_RET_VOID: return VERIFY_RET_VOID;
    case CORE_RET_MAP_VALUE_OR_NULL: return VERIFY_RET_MAP_VALUE_OR_NULL;
    case CORE_RET_RINGBUF_MEM_OR_NULL: return VERIFY_RET_RINGBUF_MEM_OR_NULL;
    default: return VERIFY_RET_INTEGER;
    }
}

/* The map types a helper's map argument may name, by helper id (0: maps holding data). */
static uint64_t map_types_of(uint32_t id)
{
    switch (id) {
    case BPF_FUNC_tail_call: return 1ULL << VERIFY_MAP_PROG_ARRAY;
    case BPF_FUNC_ringbuf_output:
    case BPF_FUNC_ringbuf_reserve:
    case BPF_FUNC_ringbuf_query: return 1ULL << VERIFY_MAP_RINGBUF;
    case BPF_FUNC_map_push_elem:
    case BPF_FUNC_map_pop_elem:
    case BPF_FUNC_map_peek_elem: return 1ULL << VERIFY_MAP_QUEUE | 1ULL << VERIFY_MAP_STACK;
    default: return 0;
    }
}

static bool is_printk(uint32_t id)
{
    return id == BPF_FUNC_trace_printk || (id >= BPF_FUNC_trace_printk2 && id <= BPF_FUNC_trace_printk5);
}

static struct verify_helper helper_of(const struct core_helper *h)
{
    struct verify_helper out = {.id = h->id, .name = h->name, .ret = ret_of(h->ret), .map_types = map_types_of(h->id)};
    for (int a = 0; a < 5; a++) {
        out.args[a] = arg_of(h->args[a]);
        /* Host helpers take a zero size as "nothing"; a callback's context may be any value. */
        if (out.args[a] == VERIFY_ARG_CONST_SIZE)
            out.args[a] = VERIFY_ARG_SIZE_OR_ZERO;
        if (a && h->args[a - 1] == CORE_ARG_CALLBACK)
            out.args[a] = VERIFY_ARG_ANYTHING;
        /* The values a format does not use may be left unset. */
        if (is_printk(h->id) && out.args[a] == VERIFY_ARG_SCALAR)
            out.args[a] = VERIFY_ARG_SCALAR_OR_UNSET;
    }
    if (h->id == BPF_FUNC_tail_call)
        out.flags |= VERIFY_HELPER_TAIL_CALL;
    if (h->id == BPF_FUNC_ringbuf_output || is_printk(h->id))
        out.flags |= VERIFY_HELPER_EXPORTS;
    if (h->id == BPF_FUNC_snprintf)
        out.flags |= VERIFY_HELPER_POINTER_DATA;
    if (h->id == BPF_FUNC_snprintf || is_printk(h->id))
        out.flags |= VERIFY_HELPER_FORMAT;
    return out;
}

/* The kind of the field at offset: the data pair's pointers, else a number. */
static uint8_t kind_of(const struct core_prog_type *t, uint32_t offset)
{
    if (t->has_data && offset == t->data_offset)
        return VERIFY_FIELD_PACKET;
    if (t->has_data && offset == t->data_end_offset)
        return VERIFY_FIELD_PACKET_END;
    return VERIFY_FIELD_PLAIN;
}

int core_profile_init(struct core_profile *p, const struct core_prog_type *t)
{
    memset(p, 0, sizeof(*p));
    size_t general_count;
    const struct core_helper *general = core_general_helpers(&general_count);
    size_t helper_count = general_count + t->helper_count;
    p->fields = calloc(t->field_count + 3, sizeof(*p->fields));
    p->helpers = calloc(helper_count, sizeof(*p->helpers));
    if (!p->fields || !p->helpers) {
        core_profile_free(p);
        return -ENOMEM;
    }
    /* Padding is readable (and zeroed before each run): all bytes first, fields over them. */
    size_t n = 0;
    if (t->ctx_size)
        p->fields[n++] = (struct verify_ctx_field){0, t->ctx_size, VERIFY_READ, VERIFY_FIELD_PLAIN};
    bool data_declared = false, end_declared = false;
    for (size_t i = 0; i < t->field_count; i++) {
        const struct core_ctx_field *f = &t->fields[i];
        uint8_t kind = kind_of(t, f->offset);
        data_declared |= kind == VERIFY_FIELD_PACKET;
        end_declared |= kind == VERIFY_FIELD_PACKET_END;
        /* A pointer field is a whole pointer, read-only (core refuses writes to the pair too). */
        uint8_t access = (f->access & EXEC_READ ? VERIFY_READ : 0) | (f->access & EXEC_WRITE ? VERIFY_WRITE : 0);
        p->fields[n++] = (struct verify_ctx_field){f->offset, kind == VERIFY_FIELD_PLAIN ? f->size : sizeof(void *),
                                                   kind == VERIFY_FIELD_PLAIN ? access : VERIFY_READ, kind};
    }
    if (t->has_data && !data_declared)
        p->fields[n++] = (struct verify_ctx_field){t->data_offset, sizeof(void *), VERIFY_READ, VERIFY_FIELD_PACKET};
    if (t->has_data && !end_declared)
        p->fields[n++] =
            (struct verify_ctx_field){t->data_end_offset, sizeof(void *), VERIFY_READ, VERIFY_FIELD_PACKET_END};
    for (size_t i = 0; i < helper_count; i++)
        p->helpers[i] = helper_of(i < general_count ? &general[i] : &t->helpers[i - general_count]);
    p->profile = (struct verify_profile){
        .name = t->name,
        .ctx_size = t->ctx_size,
        .fields = p->fields,
        .field_count = n,
        .packet_access = t->has_data ? (uint8_t)((t->data_access & EXEC_READ ? VERIFY_READ : 0) |
                                                 (t->data_access & EXEC_WRITE ? VERIFY_WRITE : 0))
                                     : 0,
        .helpers = p->helpers,
        .helper_count = helper_count,
        .retval_range = t->retval_rule == CORE_RETVAL_RANGE,
        .retval_min = t->retval_min,
        .retval_max = t->retval_max,
    };
    return 0;
}

int core_profile_init_windows(struct core_profile *p, const struct verify_profile *windows)
{
    memset(p, 0, sizeof(*p));
    size_t general_count;
    const struct core_helper *general = core_general_helpers(&general_count);
    p->helpers = calloc(general_count + windows->helper_count + 1, sizeof(*p->helpers));
    if (!p->helpers)
        return -ENOMEM;
    for (size_t i = 0; i < general_count; i++)
        p->helpers[i] = helper_of(&general[i]);
    for (size_t i = 0; i < windows->helper_count; i++)
        p->helpers[general_count + i] = windows->helpers[i];
    p->profile = *windows;
    p->profile.helpers = p->helpers;
    p->profile.helper_count = general_count + windows->helper_count;
    return 0;
}

void core_profile_free(struct core_profile *p)
{
    free(p->fields);
    free(p->helpers);
    memset(p, 0, sizeof(*p));
}

struct verify_line *core_verify_lines(const struct bpf_elf_program *source, size_t *count)
{
    *count = 0;
    if (!source || !source->line_count)
        return NULL;
    struct verify_line *lines = calloc(source->line_count, sizeof(*lines));
    if (!lines)
        return NULL;
    for (size_t i = 0; i < source->line_count; i++) {
        const struct bpf_elf_line *l = &source->lines[i];
        lines[i] = (struct verify_line){l->insn, l->file, l->text, l->line};
    }
    *count = source->line_count;
    return lines;
}

static struct verify_map map_of_def(const char *name, const struct bpf_elf_map_def *d, bool frozen,
                                     const uint8_t *data)
{
    return (struct verify_map){name, d->type, d->key_size, d->value_size, d->max_entries, frozen, -1,
                               frozen ? data : NULL};
}

int core_verify_elf_program(const struct bpf_elf_object *elf, size_t index, const struct verify_profile *profile,
                            const struct verify_options *opts, struct verify_result *res)
{
    const struct bpf_elf_program *ep = &elf->programs[index];
    /* The object's maps in its order (lddw name them so), then the inner definitions. */
    struct verify_map *maps = calloc(2 * elf->map_count + 1, sizeof(*maps));
    size_t line_count = 0, n = elf->map_count;
    struct verify_line *lines = core_verify_lines(ep, &line_count);
    int rc = -ENOMEM;
    if (maps && (lines || !ep->line_count)) {
        for (size_t i = 0; i < elf->map_count; i++) {
            const struct bpf_elf_map *m = &elf->maps[i];
            maps[i] = map_of_def(m->name, &m->def, m->frozen || (m->def.map_flags & BPF_ELF_F_RDONLY_PROG), m->data);
            if (m->inner_map >= 0 && (size_t)m->inner_map < elf->map_count)
                maps[i].inner = m->inner_map;
            else if (m->has_inner) {
                maps[n] = map_of_def(m->name, &m->inner, false, NULL);
                maps[i].inner = (int)n++;
            }
        }
        struct verify_program prog = {ep->name, ep->insns, ep->insn_count, maps, n, lines, line_count};
        rc = verify_program(profile, &prog, opts, res);
    }
    free(maps);
    free(lines);
    return rc;
}
