/* Reader for bpf_conformance .data files. */
#include "common/conformance_file.h"
#include "tools/tools.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = tools_read_stream(f, NULL);
    fclose(f);
    return text;
}

static void append(char **dst, size_t *len, const char *line)
{
    size_t n = strlen(line);
    *dst = realloc(*dst, *len + n + 2);
    memcpy(*dst + *len, line, n);
    (*dst)[*len + n] = '\n';
    *len += n + 1;
    (*dst)[*len] = '\0';
}

/* Strips a '#' comment and surrounding blanks in place. */
static char *strip(char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strlen(line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

int conformance_case_load(const char *path, struct conformance_case *out)
{
    memset(out, 0, sizeof(*out));
    char *text = read_whole(path);
    if (!text) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    const char *base = strrchr(path, '/');
    out->name = strdup(base ? base + 1 : path);
    enum { NONE, ASM, MEM, RAW, RESULT, ERROR, OTHER } section = NONE;
    size_t asm_len = 0, err_len = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "-- ", 3) == 0) {
            const char *s = line + 3;
            section = !strncmp(s, "asm", 3)      ? ASM
                      : !strncmp(s, "mem", 3)    ? MEM
                      : !strncmp(s, "raw", 3)    ? RAW
                      : !strncmp(s, "result", 6) ? RESULT
                      : !strncmp(s, "error", 5)  ? ERROR
                                                 : OTHER;
            if (section == ASM && !out->asm_text)
                out->asm_text = calloc(1, 1);
            continue;
        }
        if (section == ASM) {
            append(&out->asm_text, &asm_len, line); /* the assembler handles comments */
            continue;
        }
        if (section == ERROR) {
            char *t = strip(line);
            if (*t)
                append(&out->error, &err_len, t);
            continue;
        }
        char *t = strip(line);
        if (!*t)
            continue;
        if (section == MEM) {
            char *end;
            for (char *p = t; *p; p = end) {
                unsigned long byte = strtoul(p, &end, 16);
                if (end == p)
                    break;
                out->mem = realloc(out->mem, out->mem_len + 1);
                out->mem[out->mem_len++] = (uint8_t)byte;
            }
        } else if (section == RAW) {
            out->raw = realloc(out->raw, (out->raw_count + 1) * sizeof(uint64_t));
            out->raw[out->raw_count++] = strtoull(t, NULL, 0);
        } else if (section == RESULT) {
            out->has_result = true;
            out->result = strtoull(t, NULL, 0);
        }
    }
    free(text);
    if (out->error) /* drop the trailing newline */
        out->error[strlen(out->error) - 1] = '\0';
    if (!out->asm_text) {
        fprintf(stderr, "%s: no -- asm section\n", path);
        conformance_case_free(out);
        return -1;
    }
    return 0;
}

void conformance_case_free(struct conformance_case *c)
{
    free(c->name);
    free(c->asm_text);
    free(c->mem);
    free(c->raw);
    free(c->error);
    memset(c, 0, sizeof(*c));
}

const char *conformance_dir(void)
{
    const char *dir = getenv("BPFHOST_CONFORMANCE_DIR");
    return dir && *dir ? dir : "../shared/conformance/tests";
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int conformance_list(char ***paths)
{
    const char *dir = conformance_dir();
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "conformance directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int count = 0;
    *paths = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".data") != 0)
            continue;
        *paths = realloc(*paths, (size_t)(count + 1) * sizeof(char *));
        size_t len = strlen(dir) + n + 2;
        (*paths)[count] = malloc(len);
        snprintf((*paths)[count], len, "%s/%s", dir, e->d_name);
        count++;
    }
    closedir(d);
    qsort(*paths, (size_t)count, sizeof(char *), compare_paths);
    return count;
}

void conformance_list_free(char **paths, int count)
{
    for (int i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}
