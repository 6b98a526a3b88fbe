/* .BTF.ext: line info (instruction -> file, line, source text), func info
 * (instruction -> function) and CO-RE relocations (core_relo.c), read per
 * code section and later copied into each program along with the code
 * they describe. */
#include <stdlib.h>

#include "elf/btf.h"
#include "elf/loader.h"

enum {
    EXT_HEADER_SIZE = 24,      /* magic, version, flags, hdr_len, func and line info offset/length */
    EXT_HEADER_CORE_SIZE = 32, /* ... then the CO-RE relocations' offset/length */
    FUNC_RECORD_MIN = 8,       /* insn_off, type_id */
    LINE_RECORD_MIN = 16,      /* insn_off, file_name_off, line_off, line_col */
    CORE_RECORD_MIN = 16,      /* insn_off, type_id, access_str_off, kind */
};

/* The record types start with their instruction index, so one copy and
 * one sort serve them all. */
_Static_assert(offsetof(struct bpf_elf_line, insn) == 0, "insn leads a line record");
_Static_assert(offsetof(struct bpf_elf_func, insn) == 0, "insn leads a func record");
_Static_assert(offsetof(struct bpf_elf_core_relo, insn) == 0, "insn leads a CO-RE record");

static size_t insn_of(const void *record)
{
    size_t insn;
    memcpy(&insn, record, sizeof insn);
    return insn;
}

static int compare_insn(const void *a, const void *b)
{
    size_t x = insn_of(a), y = insn_of(b);
    return (x > y) - (x < y);
}

/* The records of code, created on first use. */
static struct ld_ext_sec *ext_of(struct loader *ld, const struct ld_code *code)
{
    for (size_t i = 0; i < ld->ext_count; i++)
        if (ld->ext[i].code == code)
            return &ld->ext[i];
    struct ld_ext_sec *ext = ld_push(ld, &ld->ext, &ld->ext_count, &ld->ext_cap, sizeof *ext);
    if (ext)
        ext->code = code;
    return ext;
}

/* Reads one line-info record for slot insn. */
static int read_line(struct loader *ld, struct ld_ext_sec *ext, size_t insn, const uint8_t *rec)
{
    const char *file = btf_str(ld->btf, ld_u32(rec + 4));
    const char *text = btf_str(ld->btf, ld_u32(rec + 8));
    if (!file || !text)
        return ld_fail(ld, ".BTF.ext: line record of section '%s' has a bad string offset", ext->code->name);
    struct bpf_elf_line *l = ld_push(ld, &ext->lines, &ext->line_count, &ext->line_cap, sizeof *l);
    if (!l)
        return -1;
    uint32_t line_col = ld_u32(rec + 12);
    *l = (struct bpf_elf_line){.insn = insn, .file = file, .text = text, .line = line_col >> 10,
                               .column = line_col & 0x3ff};
    return 0;
}

/* Reads one func-info record for slot insn. */
static int read_func(struct loader *ld, struct ld_ext_sec *ext, size_t insn, const uint8_t *rec)
{
    uint32_t type_id = ld_u32(rec + 4);
    struct btf_type t = {0};
    if (type_id < ld->btf->count)
        btf_type(ld->btf, type_id, &t);
    if (t.kind != BTF_KIND_FUNC)
        return ld_fail(ld, ".BTF.ext: func record of section '%s' names BTF type %u, not a function",
                       ext->code->name, type_id);
    struct bpf_elf_func *f = ld_push(ld, &ext->funcs, &ext->func_count, &ext->func_cap, sizeof *f);
    if (!f)
        return -1;
    *f = (struct bpf_elf_func){.insn = insn, .name = t.name, .type_id = type_id};
    return 0;
}

typedef int (*record_fn)(struct loader *ld, struct ld_ext_sec *ext, size_t insn, const uint8_t *rec);

/* Reads the records of one section: num records of rec_size bytes at p. */
static int read_section_records(struct loader *ld, const char *name, const uint8_t *p, uint32_t num,
                                uint32_t rec_size, record_fn fn)
{
    const struct ld_code *code = NULL;
    for (size_t i = 0; i < ld->code_count && !code; i++)
        if (strcmp(ld->code[i].name, name) == 0)
            code = &ld->code[i];
    if (!code)
        return ld_fail(ld, ".BTF.ext describes section '%s', which holds no code", name);
    struct ld_ext_sec *ext = ext_of(ld, code);
    if (!ext)
        return -1;
    for (uint32_t j = 0; j < num; j++) {
        const uint8_t *rec = p + (size_t)j * rec_size;
        uint32_t off = ld_u32(rec);
        if (off % sizeof(struct ebpf_insn) || off / sizeof(struct ebpf_insn) >= code->count)
            return ld_fail(ld, ".BTF.ext: record for offset %u is outside the code of section '%s'", off, name);
        if (fn(ld, ext, off / sizeof(struct ebpf_insn), rec) < 0)
            return -1;
    }
    return 0;
}

/* Reads one info block (func or line): a record size, then per section a
 * name, a count and the records. */
static int read_block(struct loader *ld, const uint8_t *p, uint32_t len, uint32_t min_rec, record_fn fn)
{
    if (len == 0)
        return 0;
    if (len < 4)
        return ld_fail(ld, ".BTF.ext: info block of %u bytes is too short", len);
    uint32_t rec_size = ld_u32(p);
    if (rec_size < min_rec)
        return ld_fail(ld, ".BTF.ext: record size %u is below the minimum %u", rec_size, min_rec);
    for (uint32_t pos = 4; pos < len;) {
        if (len - pos < 8)
            return ld_fail(ld, ".BTF.ext: section header cut off at byte %u of an info block", pos);
        const char *name = btf_str(ld->btf, ld_u32(p + pos));
        uint32_t num = ld_u32(p + pos + 4);
        pos += 8;
        if (!name)
            return ld_fail(ld, ".BTF.ext: section name offset %u is not in the BTF strings", ld_u32(p + pos - 8));
        if ((uint64_t)num * rec_size > len - pos)
            return ld_fail(ld, ".BTF.ext: %u records of section '%s' run past the end of the block", num, name);
        if (read_section_records(ld, name, p + pos, num, rec_size, fn) < 0)
            return -1;
        pos += num * rec_size;
    }
    return 0;
}

/* Checks that [off, off + len) of the data after the header lies inside the section. */
static int block_in_range(struct loader *ld, uint64_t hdr_len, uint64_t off, uint64_t len)
{
    if (hdr_len + off + len > ld->obj->btf_ext_size)
        return ld_fail(ld, ".BTF.ext: info block (offset %llu, %llu bytes) beyond the end", (unsigned long long)off,
                       (unsigned long long)len);
    return 0;
}

int ld_load_btf_ext(struct loader *ld)
{
    const uint8_t *raw = ld->obj->btf_ext;
    size_t size = ld->obj->btf_ext_size;
    if (!raw)
        return 0;
    if (!ld->btf)
        return ld_fail(ld, ".BTF.ext without .BTF");
    if (size < EXT_HEADER_SIZE)
        return ld_fail(ld, ".BTF.ext: %zu bytes, too short for a header", size);
    uint16_t magic = (uint16_t)(raw[0] | raw[1] << 8);
    uint64_t hdr_len = ld_u32(raw + 4);
    if (magic != 0xeb9f || raw[2] != 1)
        return ld_fail(ld, ".BTF.ext: bad magic 0x%04x or version %u", magic, raw[2]);
    if (hdr_len < EXT_HEADER_SIZE || hdr_len > size)
        return ld_fail(ld, ".BTF.ext: header length %llu out of range", (unsigned long long)hdr_len);
    uint32_t func_off = ld_u32(raw + 8), func_len = ld_u32(raw + 12);
    uint32_t line_off = ld_u32(raw + 16), line_len = ld_u32(raw + 20);
    /* Older headers end before the CO-RE fields: no relocations then. */
    bool has_core = hdr_len >= EXT_HEADER_CORE_SIZE;
    uint32_t core_off = has_core ? ld_u32(raw + 24) : 0, core_len = has_core ? ld_u32(raw + 28) : 0;
    if (block_in_range(ld, hdr_len, func_off, func_len) < 0 || block_in_range(ld, hdr_len, line_off, line_len) < 0 ||
        block_in_range(ld, hdr_len, core_off, core_len) < 0)
        return -1;
    const uint8_t *data = raw + hdr_len;
    if (read_block(ld, data + func_off, func_len, FUNC_RECORD_MIN, read_func) < 0 ||
        read_block(ld, data + line_off, line_len, LINE_RECORD_MIN, read_line) < 0 ||
        read_block(ld, data + core_off, core_len, CORE_RECORD_MIN, ld_read_core_relo) < 0)
        return -1;
    for (size_t i = 0; i < ld->ext_count; i++) {
        struct ld_ext_sec *ext = &ld->ext[i];
        ld_sort(ext->lines, ext->line_count, sizeof *ext->lines, compare_insn);
        ld_sort(ext->funcs, ext->func_count, sizeof *ext->funcs, compare_insn);
        ld_sort(ext->relos, ext->relo_count, sizeof *ext->relos, compare_insn);
    }
    return 0;
}

/* Appends to *dst the records of src[0..n) with insn in [start, end), shifted to out. */
static int copy_records(struct loader *ld, void *dst_ptr, size_t *dst_count, const void *src, size_t n,
                        size_t size, size_t start, size_t end, size_t out)
{
    const uint8_t *first = src;
    size_t take = 0;
    for (size_t i = 0; i < n; i++) {
        size_t insn = insn_of(first + i * size);
        take += insn >= start && insn < end;
    }
    if (!take)
        return 0;
    uint8_t *dst;
    memcpy(&dst, dst_ptr, sizeof dst);
    dst = realloc(dst, (*dst_count + take) * size);
    if (!dst)
        return ld_fail(ld, "out of memory");
    memcpy(dst_ptr, &dst, sizeof dst);
    for (size_t i = 0; i < n; i++) {
        size_t insn = insn_of(first + i * size);
        if (insn < start || insn >= end)
            continue;
        uint8_t *rec = dst + (*dst_count)++ * size;
        memcpy(rec, first + i * size, size);
        insn = insn - start + out;
        memcpy(rec, &insn, sizeof insn);
    }
    return 0;
}

int ld_copy_ext(struct loader *ld, struct bpf_elf_program *prog, const struct ld_code *code, size_t start,
                size_t end, size_t out)
{
    for (size_t i = 0; i < ld->ext_count; i++) {
        const struct ld_ext_sec *ext = &ld->ext[i];
        if (ext->code != code)
            continue;
        if (copy_records(ld, &prog->lines, &prog->line_count, ext->lines, ext->line_count, sizeof *ext->lines, start,
                         end, out) < 0 ||
            copy_records(ld, &prog->funcs, &prog->func_count, ext->funcs, ext->func_count, sizeof *ext->funcs, start,
                         end, out) < 0 ||
            copy_records(ld, &prog->core_relos, &prog->core_relo_count, ext->relos, ext->relo_count,
                         sizeof *ext->relos, start, end, out) < 0)
            return -1;
    }
    return 0;
}

void ld_sort_ext(struct bpf_elf_program *prog)
{
    ld_sort(prog->lines, prog->line_count, sizeof *prog->lines, compare_insn);
    ld_sort(prog->funcs, prog->func_count, sizeof *prog->funcs, compare_insn);
    ld_sort(prog->core_relos, prog->core_relo_count, sizeof *prog->core_relos, compare_insn);
}

void ld_free_ext(struct loader *ld)
{
    for (size_t i = 0; i < ld->ext_count; i++) {
        free(ld->ext[i].lines);
        free(ld->ext[i].funcs);
        free(ld->ext[i].relos);
    }
    free(ld->ext);
}

const struct bpf_elf_line *bpf_elf_line_of(const struct bpf_elf_program *prog, size_t insn_index)
{
    /* The last record starting at or before insn_index. */
    size_t lo = 0, hi = prog->line_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (prog->lines[mid].insn <= insn_index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &prog->lines[lo - 1] : NULL;
}
