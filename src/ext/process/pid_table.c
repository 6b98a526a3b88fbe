/*
 * The pid table: a chained hash of records, each one allocation (the entry
 * and its strings), on a list from oldest to newest stored. Dropping the
 * oldest is LRU here, since a record is only ever stored (fork, exec) and
 * taken (exit).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ext/process/pid_table.h"

struct pid_entry {
    struct pid_entry *chain;         /* next in its bucket */
    struct pid_entry *older, *newer; /* the age list */
    uint32_t pid;
    size_t bytes;                    /* the whole allocation */
    struct pid_record rec;           /* strings point just after the entry */
};

struct pid_table {
    struct pid_entry **buckets;
    size_t mask;                     /* buckets - 1, a power of two minus one */
    struct pid_entry *oldest, *newest;
    size_t count, bytes;
    size_t max_entries, max_bytes;
};

int pid_table_create(size_t max_entries, size_t max_bytes, struct pid_table **out)
{
    struct pid_table *t = calloc(1, sizeof(*t));
    size_t buckets = 16;
    while (buckets < 2 * max_entries)
        buckets *= 2;
    if (!t || !(t->buckets = calloc(buckets, sizeof(*t->buckets)))) {
        free(t);
        return -ENOMEM;
    }
    t->mask = buckets - 1;
    t->max_entries = max_entries;
    t->max_bytes = max_bytes;
    *out = t;
    return 0;
}

void pid_table_destroy(struct pid_table *t)
{
    if (!t)
        return;
    for (struct pid_entry *e = t->oldest, *next; e; e = next) {
        next = e->newer;
        free(e);
    }
    free(t->buckets);
    free(t);
}

static struct pid_entry **bucket_of(const struct pid_table *t, uint32_t pid)
{
    return &t->buckets[(pid * 2654435761u) & t->mask]; /* Knuth's multiplicative hash: spreads sequential pids */
}

/* Unlinks e from its bucket and the age list and frees it. */
static void drop(struct pid_table *t, struct pid_entry *e)
{
    struct pid_entry **p = bucket_of(t, e->pid);
    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    *(e->older ? &e->older->newer : &t->oldest) = e->newer;
    *(e->newer ? &e->newer->older : &t->newest) = e->older;
    t->count--;
    t->bytes -= e->bytes;
    free(e);
}

static struct pid_entry *find(const struct pid_table *t, uint32_t pid)
{
    struct pid_entry *e = *bucket_of(t, pid);
    while (e && e->pid != pid)
        e = e->chain;
    return e;
}

int pid_table_put(struct pid_table *t, uint32_t pid, const struct pid_record *rec)
{
    size_t img = rec->image_path ? rec->image_path_len : 0, cmd = rec->command_line ? rec->command_line_len : 0;
    struct pid_entry *e = malloc(sizeof(*e) + img + cmd);
    if (!e)
        return -ENOMEM;
    /* Copy first: rec may point into a record the bounds are about to drop. */
    char *strings = (char *)(e + 1);
    e->rec = *rec;
    e->rec.image_path = img ? memcpy(strings, rec->image_path, img) : NULL;
    e->rec.image_path_len = img;
    e->rec.command_line = cmd ? memcpy(strings + img, rec->command_line, cmd) : NULL;
    e->rec.command_line_len = cmd;
    e->pid = pid;
    e->bytes = sizeof(*e) + img + cmd;
    pid_table_remove(t, pid);
    struct pid_entry **b = bucket_of(t, pid);
    e->chain = *b;
    *b = e;
    e->older = t->newest;
    e->newer = NULL;
    *(t->newest ? &t->newest->newer : &t->oldest) = e;
    t->newest = e;
    t->count++;
    t->bytes += e->bytes;
    while ((t->count > t->max_entries || t->bytes > t->max_bytes) && t->oldest != e)
        drop(t, t->oldest);
    return 0;
}

const struct pid_record *pid_table_get(const struct pid_table *t, uint32_t pid)
{
    const struct pid_entry *e = find(t, pid);
    return e ? &e->rec : NULL;
}

void pid_table_remove(struct pid_table *t, uint32_t pid)
{
    struct pid_entry *e = find(t, pid);
    if (e)
        drop(t, e);
}
