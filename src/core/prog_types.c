/*
 * The registry of program types. Extensions register descriptors they own;
 * each entry counts the loaded programs of its type, so a type cannot be
 * unregistered while a program still relies on its helpers and layout.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/internal.h"

struct type_entry {
    const struct core_prog_type *type;
    long programs;
};

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static struct type_entry *types;
static size_t type_count, type_cap;

/* Index of the entry for type, or -1; called with types_lock held. */
static long find_entry(const struct core_prog_type *type)
{
    for (size_t i = 0; i < type_count; i++)
        if (types[i].type == type)
            return (long)i;
    return -1;
}

static bool fits(uint32_t offset, uint32_t size, uint32_t ctx_size)
{
    return size <= ctx_size && offset <= ctx_size - size;
}

static bool valid_access(unsigned access)
{
    return access == EXEC_READ || access == (EXEC_READ | EXEC_WRITE);
}

static bool overlap(uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size)
{
    return a < b + b_size && b < a + a_size;
}

/* A field programs may write must not cover the data/end pair: the host's pointers. */
static bool writes_pointer(const struct core_prog_type *t, const struct core_ctx_field *f)
{
    return (f->access & EXEC_WRITE) && t->has_data &&
           (overlap(f->offset, f->size, t->data_offset, sizeof(void *)) ||
            overlap(f->offset, f->size, t->data_end_offset, sizeof(void *)));
}

/* The checks a descriptor must pass before programs can depend on it. */
static bool well_formed(const struct core_prog_type *t)
{
    if (!t->name || !*t->name || (t->field_count && !t->fields) || (t->helper_count && !t->helpers))
        return false;
    for (size_t i = 0; i < t->field_count; i++) {
        const struct core_ctx_field *f = &t->fields[i];
        if (!f->name || !f->size || !fits(f->offset, f->size, t->ctx_size) || !valid_access(f->access) ||
            writes_pointer(t, f))
            return false;
        for (size_t j = 0; j < i; j++)
            if (overlap(f->offset, f->size, t->fields[j].offset, t->fields[j].size))
                return false;
    }
    if (t->has_data && (!fits(t->data_offset, sizeof(void *), t->ctx_size) ||
                        !fits(t->data_end_offset, sizeof(void *), t->ctx_size) || !valid_access(t->data_access)))
        return false;
    for (size_t i = 0; i < t->helper_count; i++) {
        const struct core_helper *h = &t->helpers[i];
        if (h->id < BPF_FUNC_PROGRAM_TYPE_BASE || !h->fn || !h->name)
            return false;
        for (size_t j = 0; j < i; j++)
            if (t->helpers[j].id == h->id)
                return false;
    }
    return t->retval_rule == CORE_RETVAL_ANY || (t->retval_rule == CORE_RETVAL_RANGE && t->retval_min <= t->retval_max);
}

int core_prog_type_register(const struct core_prog_type *type)
{
    if (!type || !well_formed(type))
        return -EINVAL;
    int err = 0;
    pthread_mutex_lock(&types_lock);
    for (size_t i = 0; i < type_count && !err; i++)
        if (strcmp(types[i].type->name, type->name) == 0 || types[i].type->type_id == type->type_id)
            err = -EEXIST;
    if (!err)
        err = core_grow((void **)&types, &type_cap, type_count, sizeof(*types));
    if (!err)
        types[type_count++] = (struct type_entry){.type = type};
    pthread_mutex_unlock(&types_lock);
    return err;
}

int core_prog_type_unregister(const struct core_prog_type *type)
{
    pthread_mutex_lock(&types_lock);
    long i = find_entry(type);
    int err = i < 0 ? -ENOENT : types[i].programs ? -EBUSY : 0;
    if (!err)
        types[i] = types[--type_count];
    pthread_mutex_unlock(&types_lock);
    return err;
}

size_t core_prog_type_list(const struct core_prog_type **out, size_t max)
{
    pthread_mutex_lock(&types_lock);
    size_t n = type_count;
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = types[i].type;
    pthread_mutex_unlock(&types_lock);
    return n;
}

const struct core_prog_type *core_prog_type_find_by_name(const char *name)
{
    const struct core_prog_type *found = NULL;
    pthread_mutex_lock(&types_lock);
    for (size_t i = 0; i < type_count && !found && name; i++)
        if (strcmp(types[i].type->name, name) == 0)
            found = types[i].type;
    pthread_mutex_unlock(&types_lock);
    return found;
}

const struct core_prog_type *core_prog_type_find_by_section(const char *section)
{
    const struct core_prog_type *found = NULL;
    size_t best = 0;
    pthread_mutex_lock(&types_lock);
    for (size_t i = 0; i < type_count && section; i++) {
        const char *const *p = types[i].type->section_prefixes;
        for (; p && *p; p++) {
            size_t len = strlen(*p);
            if (len > best && strncmp(section, *p, len) == 0) {
                best = len;
                found = types[i].type;
            }
        }
    }
    pthread_mutex_unlock(&types_lock);
    return found;
}

int core_prog_type_hold(const struct core_prog_type *type)
{
    pthread_mutex_lock(&types_lock);
    long i = find_entry(type);
    if (i >= 0)
        types[i].programs++;
    pthread_mutex_unlock(&types_lock);
    return i < 0 ? -ENOENT : 0;
}

void core_prog_type_drop(const struct core_prog_type *type)
{
    pthread_mutex_lock(&types_lock);
    long i = find_entry(type);
    if (i >= 0)
        types[i].programs--;
    pthread_mutex_unlock(&types_lock);
}
