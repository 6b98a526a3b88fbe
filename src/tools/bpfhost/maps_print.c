/*
 * The maps of a loaded object as test-run, run --maps and attach show them:
 * one walk over the maps, written as text or JSON. Ring buffers show the
 * records still pending (consumed here: the tool is about to exit).
 */
#include "cli.h"
#include "core/core.h"
#include "tools/tools.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* One map as shown. */
struct map_view {
    const char *name;
    const char *type;
    struct core_map_info info;
    bool ringbuf;
    uint64_t pending; /* ring buffers: bytes not yet consumed */
    unsigned cpus;    /* values per entry: map_nr_cpus() for per-CPU maps, else 1 */
    size_t stride;    /* bytes between two CPUs' values */
};

/* One entry: cpus values of info.value_size bytes, stride apart. */
struct entry_view {
    const uint8_t *key, *value;
};

struct printer {
    void (*map_begin)(FILE *out, const struct map_view *m, size_t index);
    void (*record)(FILE *out, const void *data, size_t size, size_t index);
    void (*records_end)(FILE *out, size_t more);
    void (*entries_begin)(FILE *out);
    void (*entry)(FILE *out, const struct map_view *m, const struct entry_view *e, size_t index);
    void (*map_end)(FILE *out, const struct map_view *m, size_t shown, size_t more);
};

/* ---- text ---- */

static void text_map_begin(FILE *out, const struct map_view *m, size_t index)
{
    (void)index;
    fprintf(out, "\nmap ");
    tools_text_puts(out, m->name);
    fprintf(out, " (%s, key %" PRIu32 ", value %" PRIu32 ", max %" PRIu32 "):\n", m->type, m->info.key_size,
            m->info.value_size, m->info.max_entries);
    if (m->ringbuf)
        fprintf(out, "  ring buffer, %" PRIu64 " bytes pending\n", m->pending);
}

static void text_record(FILE *out, const void *data, size_t size, size_t index)
{
    (void)index;
    fprintf(out, "  record ");
    tools_hex_write(out, data, size);
    fprintf(out, "\n");
}

static void text_records_end(FILE *out, size_t more)
{
    if (more)
        fprintf(out, "  ... %zu more records\n", more);
}

static void text_entries_begin(FILE *out)
{
    (void)out;
}

static void text_entry(FILE *out, const struct map_view *m, const struct entry_view *e, size_t index)
{
    (void)index;
    fprintf(out, "  key ");
    tools_hex_write(out, e->key, m->info.key_size);
    for (unsigned cpu = 0; cpu < m->cpus; cpu++) {
        if (m->cpus > 1)
            fprintf(out, " cpu%u ", cpu);
        else
            fprintf(out, "  value ");
        tools_hex_write(out, e->value + cpu * m->stride, m->info.value_size);
    }
    fprintf(out, "\n");
}

static void text_map_end(FILE *out, const struct map_view *m, size_t shown, size_t more)
{
    if (more)
        fprintf(out, "  ... %zu more\n", more);
    else if (!m->info.key_size && !m->ringbuf)
        fprintf(out, "  (a %s has no keys: entries not listed)\n", m->type);
    else if (!shown && !m->ringbuf)
        fprintf(out, "  (no entries)\n");
}

static const struct printer text_printer = {text_map_begin,     text_record, text_records_end,
                                            text_entries_begin, text_entry,  text_map_end};

/* ---- JSON ---- */

/* Writes bytes as a JSON string of hex digits. */
static void json_hex(FILE *out, const uint8_t *bytes, size_t n)
{
    fputc('"', out);
    tools_hex_write(out, bytes, n);
    fputc('"', out);
}

static void json_map_begin(FILE *out, const struct map_view *m, size_t index)
{
    fprintf(out, "%s{", index ? ", " : "");
    tools_json_field(out, "name", ": ", m->name, strlen(m->name));
    fprintf(out, ", \"type\": \"%s\", \"key_size\": %" PRIu32 ", \"value_size\": %" PRIu32 ", \"max_entries\": %" PRIu32,
            m->type, m->info.key_size, m->info.value_size, m->info.max_entries);
    if (m->ringbuf)
        fprintf(out, ", \"pending_bytes\": %" PRIu64 ", \"records\": [", m->pending);
}

static void json_record(FILE *out, const void *data, size_t size, size_t index)
{
    fprintf(out, "%s", index ? ", " : "");
    json_hex(out, data, size);
}

static void json_records_end(FILE *out, size_t more)
{
    fprintf(out, "], \"more_records\": %zu", more);
}

static void json_entries_begin(FILE *out)
{
    fprintf(out, ", \"entries\": [");
}

static void json_entry(FILE *out, const struct map_view *m, const struct entry_view *e, size_t index)
{
    fprintf(out, "%s{\"key\": ", index ? ", " : "");
    json_hex(out, e->key, m->info.key_size);
    fprintf(out, m->cpus > 1 ? ", \"values\": [" : ", \"value\": ");
    for (unsigned cpu = 0; cpu < m->cpus; cpu++) {
        fprintf(out, "%s", cpu ? ", " : "");
        json_hex(out, e->value + cpu * m->stride, m->info.value_size);
    }
    fprintf(out, m->cpus > 1 ? "]}" : "}");
}

static void json_map_end(FILE *out, const struct map_view *m, size_t shown, size_t more)
{
    (void)m;
    (void)shown;
    fprintf(out, "], \"more_entries\": %zu}", more);
}

static const struct printer json_printer = {json_map_begin,     json_record, json_records_end,
                                            json_entries_begin, json_entry,  json_map_end};

/* ---- the walk ---- */

/* Describes map i of the loaded object. */
static void view_map(const struct core_object *obj, size_t i, struct map_view *m)
{
    struct map *map = core_map_map(obj->maps[i]);
    core_map_info(obj->maps[i], &m->info);
    const char *type = bpf_elf_map_type_name(m->info.type);
    bool percpu = map_type_is_percpu(m->info.type);
    m->name = obj->map_names[i];
    m->type = type ? type : "unknown";
    m->ringbuf = m->info.type == BPF_MAP_TYPE_RINGBUF;
    m->pending = m->ringbuf ? ringbuf_query(map, RINGBUF_Q_AVAIL_DATA) : 0;
    m->cpus = percpu ? map_nr_cpus() : 1;
    m->stride = percpu ? (m->info.value_size + 7u) / 8u * 8u : m->info.value_size;
}

/* Where the records of a ring buffer go while it is consumed. */
struct record_walk {
    FILE *out;
    const struct printer *pr;
    size_t shown, more;
};

static int on_record(void *ctx, void *data, size_t size)
{
    struct record_walk *w = ctx;
    if (w->shown == CLI_ENTRIES_SHOWN)
        w->more++;
    else
        w->pr->record(w->out, data, size, w->shown++);
    return 0;
}

/* Shows the first CLI_ENTRIES_SHOWN entries of a map that has keys; returns how many more there are. */
static size_t walk_entries(FILE *out, struct map *map, const struct map_view *m, const struct printer *pr,
                           size_t *shown)
{
    size_t key_size = m->info.key_size, more = 0;
    uint8_t *key = calloc(1, key_size + 1), *next = calloc(1, key_size + 1);
    uint8_t *value = calloc(1, map_user_value_size(map) + 1);
    for (int rc = key && next && value ? map_get_next_key(map, NULL, next) : -ENOMEM; rc == 0;
         rc = map_get_next_key(map, key, next)) {
        memcpy(key, next, key_size);
        if (*shown == CLI_ENTRIES_SHOWN)
            more++;
        else if (map_lookup_copy(map, key, value) == 0)
            pr->entry(out, m, &(struct entry_view){key, value}, (*shown)++);
    }
    free(key);
    free(next);
    free(value);
    return more;
}

void cli_print_maps(FILE *out, const struct core_object *obj, bool json)
{
    const struct printer *pr = json ? &json_printer : &text_printer;
    if (json)
        fprintf(out, "[");
    for (size_t i = 0; i < obj->map_count; i++) {
        struct map_view m;
        view_map(obj, i, &m);
        struct map *map = core_map_map(obj->maps[i]);
        pr->map_begin(out, &m, i);
        if (m.ringbuf) {
            struct record_walk w = {out, pr, 0, 0};
            ringbuf_consume(map, on_record, &w);
            pr->records_end(out, w.more);
        }
        pr->entries_begin(out);
        size_t shown = 0, more = 0;
        if (m.info.key_size) /* queue, stack and ring buffer have no keys to walk */
            more = walk_entries(out, map, &m, pr, &shown);
        pr->map_end(out, &m, shown, more);
    }
    if (json)
        fprintf(out, "]");
}
