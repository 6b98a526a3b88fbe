/*
 * Shared by the elf tests: reading files, and finding things inside ELF
 * images so tests can corrupt them on purpose. The programs of
 * tests/elf/progs are compiled with common/bpf_compile.h.
 */
#ifndef BPFHOST_TESTS_ELF_TEST_UTIL_H
#define BPFHOST_TESTS_ELF_TEST_UTIL_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bpf_compile.h"

/* The whole file at path (malloc'd), or NULL. */
static inline uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    *len = buf && size > 0 && fread(buf, 1, (size_t)size, f) == (size_t)size ? (size_t)size : 0;
    fclose(f);
    return buf;
}

/* Header of the section named name in an ELF image, and its index; false if absent. */
static inline bool find_section(uint8_t *image, size_t len, const char *name, GElf_Shdr *out, size_t *index)
{
    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)image, len);
    size_t shstrndx, shnum;
    bool found = false;
    if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0 && elf_getshdrnum(elf, &shnum) == 0) {
        for (size_t i = 1; i < shnum && !found; i++) {
            const char *n;
            found = gelf_getshdr(elf_getscn(elf, i), out) && (n = elf_strptr(elf, shstrndx, out->sh_name)) &&
                    strcmp(n, name) == 0;
            if (found && index)
                *index = i;
        }
    }
    elf_end(elf);
    return found;
}

static inline uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

#endif
