/*
 * What an ELF image tells an exec policy, read with pread (the kernel's
 * file position is not ours to move): the ELF interpreter the kernel will
 * open for it (PT_INTERP), and whether it is itself an ELF interpreter
 * (ld.so) that can be run as a program to load another one. Files of
 * this host's byte order, 64- or 32-bit (the class decides the offsets).
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ext/process/exec_target.h"

enum { PROGRAM_HEADERS_MAX = 65536, DYNAMIC_MAX = 1 << 20 };

/* Reads an unaligned field of width bytes (2, 4 or 8) in host byte order. */
static uint64_t field(const unsigned char *p, size_t width)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (width) {
    case 2:
        memcpy(&v16, p, 2);
        return v16;
    case 4:
        memcpy(&v32, p, 4);
        return v32;
    default:
        memcpy(&v64, p, 8);
        return v64;
    }
}

/*
 * size bytes at offset off of the file open as fd: copied from head (its
 * first len bytes) when they lie there, as the program headers and
 * PT_INTERP of most images do, else read. true if all were had.
 */
static bool read_part(int fd, const unsigned char *head, size_t len, void *buf, size_t size, uint64_t off)
{
    if (off <= len && size <= len - off) {
        memcpy(buf, head + off, size);
        return true;
    }
    return pread(fd, buf, size, (off_t)off) == (ssize_t)size;
}

/* The program headers of an ELF file, one per entry, in a class-neutral form. */
struct segment {
    uint32_t type;
    uint64_t offset, vaddr, filesz;
};

struct elf_headers {
    uint16_t e_type;
    struct segment *segs;
    size_t count;
};

/* Reads the ELF and program headers of the file open as fd (head: its first len bytes); false if not ELF. */
static bool read_headers(int fd, const unsigned char *head, size_t len, struct elf_headers *h)
{
    const unsigned char native = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
    if (len < sizeof(Elf64_Ehdr) || memcmp(head, ELFMAG, SELFMAG) != 0 || head[EI_DATA] != native)
        return false;
    bool is64 = head[EI_CLASS] == ELFCLASS64;
    if (!is64 && head[EI_CLASS] != ELFCLASS32)
        return false;
    h->e_type = (uint16_t)field(head + offsetof(Elf64_Ehdr, e_type), 2); /* same offset in both classes */
    uint64_t phoff = is64 ? field(head + offsetof(Elf64_Ehdr, e_phoff), 8)
                          : field(head + offsetof(Elf32_Ehdr, e_phoff), 4);
    size_t entsize = field(head + (is64 ? offsetof(Elf64_Ehdr, e_phentsize) : offsetof(Elf32_Ehdr, e_phentsize)), 2);
    size_t count = field(head + (is64 ? offsetof(Elf64_Ehdr, e_phnum) : offsetof(Elf32_Ehdr, e_phnum)), 2);
    if (entsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || count == 0 ||
        count * entsize > PROGRAM_HEADERS_MAX)
        return false;
    unsigned char *table = malloc(count * entsize);
    h->segs = calloc(count, sizeof(*h->segs));
    bool ok = table && h->segs && read_part(fd, head, len, table, count * entsize, phoff);
    for (size_t i = 0; ok && i < count; i++) {
        const unsigned char *ph = table + i * entsize;
        struct segment *s = &h->segs[i];
        s->type = (uint32_t)field(ph, 4);
        s->offset = is64 ? field(ph + offsetof(Elf64_Phdr, p_offset), 8) : field(ph + offsetof(Elf32_Phdr, p_offset), 4);
        s->vaddr = is64 ? field(ph + offsetof(Elf64_Phdr, p_vaddr), 8) : field(ph + offsetof(Elf32_Phdr, p_vaddr), 4);
        s->filesz = is64 ? field(ph + offsetof(Elf64_Phdr, p_filesz), 8) : field(ph + offsetof(Elf32_Phdr, p_filesz), 4);
    }
    free(table);
    if (!ok) {
        free(h->segs);
        h->segs = NULL;
        return false;
    }
    h->count = count;
    return true;
}

/* The first segment of that type, as the kernel and ld.so take it, or NULL. */
static const struct segment *find_segment(const struct elf_headers *h, uint32_t type)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->segs[i].type == type)
            return &h->segs[i];
    return NULL;
}

bool ext_elf_interpreter(int fd, const unsigned char *head, size_t len, char *path, size_t cap)
{
    struct elf_headers h;
    if (!read_headers(fd, head, len, &h))
        return false;
    const struct segment *interp = find_segment(&h, PT_INTERP);
    /* The kernel wants 2..PATH_MAX bytes ending with NUL. */
    bool found = interp && interp->filesz >= 2 && interp->filesz <= cap &&
                 read_part(fd, head, len, path, interp->filesz, interp->offset) &&
                 path[interp->filesz - 1] == '\0';
    free(h.segs);
    return found;
}

/* The file offset of virtual address vaddr, through the PT_LOAD segment holding it; false if none. */
static bool file_offset(const struct elf_headers *h, uint64_t vaddr, uint64_t *offset)
{
    for (size_t i = 0; i < h->count; i++) {
        const struct segment *s = &h->segs[i];
        if (s->type == PT_LOAD && vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
            *offset = s->offset + (vaddr - s->vaddr);
            return true;
        }
    }
    return false;
}

/* The DT_SONAME of the image (NUL-terminated into name); false if it has none. */
static bool soname(int fd, const struct elf_headers *h, bool is64, char *name, size_t cap)
{
    const struct segment *dyn = find_segment(h, PT_DYNAMIC);
    if (!dyn || dyn->filesz == 0 || dyn->filesz > DYNAMIC_MAX)
        return false;
    unsigned char *table = malloc(dyn->filesz);
    size_t entsize = is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn), width = is64 ? 8 : 4;
    uint64_t strtab = 0, name_off = 0;
    bool have_strtab = false, have_name = false;
    if (table && pread(fd, table, dyn->filesz, (off_t)dyn->offset) == (ssize_t)dyn->filesz) {
        for (size_t off = 0; off + entsize <= dyn->filesz; off += entsize) {
            int64_t tag = (int64_t)field(table + off, width);
            uint64_t val = field(table + off + width, width);
            if (tag == DT_NULL)
                break;
            if (tag == DT_STRTAB)
                have_strtab = true, strtab = val;
            else if (tag == DT_SONAME)
                have_name = true, name_off = val;
        }
    }
    free(table);
    uint64_t at;
    if (!have_strtab || !have_name || !file_offset(h, strtab, &at))
        return false;
    ssize_t n = pread(fd, name, cap - 1, (off_t)(at + name_off));
    if (n <= 0)
        return false;
    name[n] = '\0';
    return memchr(name, '\0', (size_t)n) != NULL;
}

bool ext_elf_is_loader(int fd, const unsigned char *head, size_t len)
{
    struct elf_headers h;
    if (!read_headers(fd, head, len, &h))
        return false;
    char name[64];
    /* ld.so: a shared object of its own with no interpreter, named as glibc names its loaders
     * (ld-linux-x86-64.so.2, ld-linux.so.2, ld-linux-x32.so.2, ld64.so.2, ld.so.1). */
    bool loader = h.e_type == ET_DYN && !find_segment(&h, PT_INTERP) &&
                  soname(fd, &h, head[EI_CLASS] == ELFCLASS64, name, sizeof(name)) &&
                  (strncmp(name, "ld-", 3) == 0 || strncmp(name, "ld64.so", 7) == 0 || strncmp(name, "ld.so", 5) == 0);
    free(h.segs);
    return loader;
}
