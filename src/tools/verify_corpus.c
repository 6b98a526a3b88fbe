/* The verifier over a corpus of object files with expected verdicts
 * (list.tsv), for the corpus test and the benchmark. */
#include "tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

enum { FIELDS = 7 };

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Splits line at tabs into at most FIELDS fields; returns how many. */
static int split(char *line, char **fields)
{
    int n = 0;
    for (char *p = line; n < FIELDS; n++) {
        fields[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) {
            p[strcspn(p, "\r\n")] = 0;
            return n + 1;
        }
        *tab = 0;
        p = tab + 1;
    }
    return n;
}

/* The row's program: section and, unless "-", function. */
static long find(const struct bpf_elf_object *elf, const char *section, const char *function)
{
    for (size_t i = 0; i < elf->program_count; i++)
        if (!strcmp(elf->programs[i].section, section) &&
            (!strcmp(function, "-") || !strcmp(elf->programs[i].name, function)))
            return (long)i;
    return -1;
}

/* The object file rows are read from (consecutive rows share it), and whose it is. */
struct opened {
    struct bpf_elf_object *elf;
    char *path;
    enum core_platform platform;
};

/* Verifies row's program against the profile put in choice (freed by the caller after reporting the row). */
static void verify_row(const char *dir, struct tools_corpus_row *row, struct opened *o, struct core_type_choice *choice)
{
    if (!o->path || strcmp(o->path, row->path) != 0) {
        bpf_elf_close(o->elf);
        o->elf = NULL;
        free(o->path);
        o->path = strdup(row->path);
        char path[4096];
        snprintf(path, sizeof(path), "%s/objects/%s", dir, row->path);
        if (bpf_elf_open_file(path, &o->elf, row->error, sizeof(row->error)) != 0)
            o->elf = NULL;
        else
            o->platform = core_object_platform(o->elf);
    }
    if (!o->elf) {
        if (!row->error[0])
            snprintf(row->error, sizeof(row->error), "%s: cannot be read", row->path);
        return;
    }
    row->opened = true;
    long i = find(o->elf, row->section, row->function);
    if (i < 0) {
        snprintf(row->error, sizeof(row->error), "no program %s in section %s", row->function, row->section);
        return;
    }
    /* The list names the type; the object tells whose type it is. */
    const char *type = strcmp(row->type, "-") ? row->type : core_program_type_name(o->elf, (size_t)i, o->platform);
    if (core_type_choose(choice, type, o->platform) != 0) {
        snprintf(row->error, sizeof(row->error), "no profile for type %s of section %s", type ? type : "-",
                 row->section);
        return;
    }
    row->found = true;
    row->elf = o->elf;
    row->index = (size_t)i;
    row->profile = choice->profile;
    uint64_t start = now_ns();
    if (core_verify_elf_program(o->elf, (size_t)i, choice->profile, NULL, &row->res) != 0)
        row->res.accepted = false;
    row->ns = now_ns() - start;
}

long tools_verify_corpus(const char *dir, tools_corpus_fn fn, void *arg)
{
    char list[4096];
    snprintf(list, sizeof(list), "%s/list.tsv", dir);
    FILE *f = fopen(list, "r");
    if (!f)
        return -errno;
    char line[2048], *fields[FIELDS];
    struct opened opened = {0};
    long rows = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || split(line, fields) < FIELDS)
            continue;
        struct tools_corpus_row *row = calloc(1, sizeof(*row));
        if (!row)
            break;
        *row = (struct tools_corpus_row){.path = fields[0], .section = fields[1], .function = fields[2],
                                         .expect = fields[3], .set = fields[4], .note = fields[5], .type = fields[6]};
        struct core_type_choice choice = {0};
        verify_row(dir, row, &opened, &choice);
        fn(arg, row);
        core_type_choice_free(&choice);
        free(row);
        rows++;
    }
    bpf_elf_close(opened.elf);
    free(opened.path);
    fclose(f);
    return rows;
}
