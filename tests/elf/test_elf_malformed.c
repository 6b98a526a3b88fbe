/*
 * Robustness of the object loader: every real object of the corpus, cut
 * short at many lengths and corrupted at many places (a deterministic
 * pseudo-random sequence, some eight thousand variants), either loads or
 * fails with a message naming the file, never crashes or hangs (the ASan
 * build is the real judge); what loads has its CO-RE relocations applied,
 * which resolves them or refuses one by name. Then specific corruptions,
 * each with the message that must name the problem.
 */
#include "elf/bpf_elf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "elf_test_util.h"

enum { TRUNCATIONS = 200, CORRUPTIONS = 800 };

/* BPFHOST_FUZZ_SCALE=N runs N times as many corruptions (for long runs). */
static size_t fuzz_scale(void)
{
    const char *s = getenv("BPFHOST_FUZZ_SCALE");
    unsigned long n = s ? strtoul(s, NULL, 10) : 1;
    return n ? n : 1;
}

struct image {
    const char *name;
    uint8_t *bytes;
    size_t len;
};

static const char *const corpus[] = {"maps_btf", "legacy",            "globals",      "calls",
                                     "helpers_all", "core_process", "core_refused"};
enum { CORPUS = sizeof corpus / sizeof corpus[0] };
static struct image images[CORPUS];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < CORPUS; i++) {
        char *path = bpf_compile("tests/elf/progs", corpus[i], NULL);
        if (!path)
            return -1;
        images[i].name = corpus[i];
        images[i].bytes = read_file(path, &images[i].len);
        free(path);
        if (!images[i].len)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < CORPUS; i++)
        free(images[i].bytes);
    bpf_compile_cleanup();
    return 0;
}

/* Applies every program's CO-RE relocations against a one-field target: resolved or refused by name. */
static void relocate_survives(const struct bpf_elf_object *obj)
{
    static const struct bpf_elf_core_field fields[] = {{"uid", 0, 4}};
    static const char *const names[] = {"_process_md", NULL};
    static const struct bpf_elf_core_type target = {names, 8, fields, 1};
    for (size_t i = 0; i < obj->program_count; i++) {
        const struct bpf_elf_program *p = &obj->programs[i];
        struct ebpf_insn *insns = malloc(p->insn_count * sizeof *insns);
        assert_non_null(insns);
        memcpy(insns, p->insns, p->insn_count * sizeof *insns);
        char err[512] = "";
        int rc = bpf_elf_core_relocate(obj, p, &target, 1, insns, err, sizeof err);
        if (rc == BPF_ELF_CORE_UNRESOLVED && strncmp(err, "CO-RE relocation at instruction ", 32) != 0)
            fail_msg("%s: unhelpful CO-RE error '%s'", obj->name, err);
        assert_true(rc == 0 || rc == BPF_ELF_CORE_UNRESOLVED);
        free(insns);
    }
}

/* Opens len bytes of buf; success, or failure with "<name>: <reason>". */
static void open_survives(const uint8_t *buf, size_t len, const char *name)
{
    struct bpf_elf_object *obj = NULL;
    char err[512] = "";
    if (bpf_elf_open_mem(buf, len, name, &obj, err, sizeof err) == 0) {
        assert_non_null(obj);
        relocate_survives(obj);
        bpf_elf_close(obj);
        return;
    }
    assert_null(obj);
    if (strncmp(err, name, strlen(name)) != 0 || strlen(err) <= strlen(name) + 2)
        fail_msg("%s (%zu bytes): unhelpful error '%s'", name, len, err);
}

/* xorshift64: deterministic, so a failure can be replayed. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Byte ranges the loader reads (headers, tables, code, maps, BTF), where
 * corruption is worth trying; debug sections are skipped. */
struct range {
    size_t start, len;
};

static size_t interesting_ranges(const struct image *img, struct range *out, size_t max)
{
    size_t n = 0;
    GElf_Ehdr eh;
    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)img->bytes, img->len);
    size_t shstrndx, shnum;
    if (!elf || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx) || elf_getshdrnum(elf, &shnum)) {
        elf_end(elf);
        return 0;
    }
    out[n++] = (struct range){0, sizeof(Elf64_Ehdr)};
    out[n++] = (struct range){eh.e_shoff, shnum * sizeof(Elf64_Shdr)};
    for (size_t i = 1; i < shnum && n < max; i++) {
        GElf_Shdr sh;
        const char *name = gelf_getshdr(elf_getscn(elf, i), &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
        if (name && !strstr(name, ".debug") && sh.sh_type != SHT_NOBITS && sh.sh_size)
            out[n++] = (struct range){sh.sh_offset, sh.sh_size};
    }
    elf_end(elf);
    return n;
}

static void test_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < CORPUS; i++) {
        const struct image *img = &images[i];
        for (size_t t = 0; t < TRUNCATIONS; t++)
            open_survives(img->bytes, img->len * t / TRUNCATIONS, img->name);
        for (size_t cut = 1; cut <= 16; cut++)
            open_survives(img->bytes, img->len - cut, img->name);
    }
}

static void test_corrupted(void **state)
{
    (void)state;
    static const uint32_t edge_values[] = {0, 1, 0x7f, 0xff, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff};
    uint64_t seed = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < CORPUS; i++) {
        const struct image *img = &images[i];
        struct range ranges[64];
        size_t nranges = interesting_ranges(img, ranges, 64);
        assert_true(nranges > 2);
        uint8_t *copy = malloc(img->len);
        for (size_t v = 0; v < CORRUPTIONS * fuzz_scale(); v++) {
            memcpy(copy, img->bytes, img->len);
            for (uint64_t hits = 1 + next_random(&seed) % 3; hits; hits--) {
                const struct range *r = &ranges[next_random(&seed) % nranges];
                size_t at = r->start + next_random(&seed) % r->len;
                uint64_t how = next_random(&seed);
                if (how % 2 == 0) {
                    copy[at] ^= (uint8_t)(1u << (how >> 8) % 8); /* one bit */
                } else if (at + 4 <= img->len) {
                    at &= ~(size_t)3; /* a 32-bit field set to an edge value */
                    put32(copy + at, edge_values[(how >> 8) % (sizeof edge_values / sizeof edge_values[0])]);
                }
            }
            open_survives(copy, img->len, img->name);
        }
        free(copy);
    }
}

/* ------------------------------------------------------------------------ */
/* Targeted corruptions.                                                    */

/* A fresh copy of corpus object i. */
static uint8_t *copy_of(size_t i)
{
    uint8_t *copy = malloc(images[i].len);
    memcpy(copy, images[i].bytes, images[i].len);
    return copy;
}

/* Opens buf (corpus object i, changed) and expects an error containing fragment. */
static void fails_with(uint8_t *buf, size_t i, const char *fragment)
{
    struct bpf_elf_object *obj = NULL;
    char err[512] = "";
    int rc = bpf_elf_open_mem(buf, images[i].len, images[i].name, &obj, err, sizeof err);
    free(buf);
    bpf_elf_close(obj);
    if (rc == 0 || !strstr(err, fragment))
        fail_msg("expected an error with '%s', got rc %d: '%s'", fragment, rc, err);
}

/* Opens buf (corpus object i, changed) and expects it to load with count programs. */
static void opens_with_programs(uint8_t *buf, size_t i, size_t count)
{
    struct bpf_elf_object *obj = NULL;
    char err[512] = "";
    int rc = bpf_elf_open_mem(buf, images[i].len, images[i].name, &obj, err, sizeof err);
    free(buf);
    if (rc != 0)
        fail_msg("expected %s to open, got '%s'", images[i].name, err);
    size_t programs = obj->program_count;
    bpf_elf_close(obj);
    assert_int_equal(programs, count);
}

/* File offset of the symbol named name in corpus object i. */
static size_t symbol_at(size_t i, const char *name)
{
    GElf_Shdr sym, str;
    assert_true(find_section(images[i].bytes, images[i].len, ".symtab", &sym, NULL));
    assert_true(find_section(images[i].bytes, images[i].len, ".strtab", &str, NULL));
    for (size_t at = sym.sh_offset; at + sizeof(Elf64_Sym) <= sym.sh_offset + sym.sh_size; at += sizeof(Elf64_Sym))
        if (strcmp((const char *)images[i].bytes + str.sh_offset + get32(images[i].bytes + at), name) == 0)
            return at;
    fail_msg("%s has no symbol %s", images[i].name, name);
    return 0;
}

/* File offset of the first relocation of the REL section of code section sec. */
static size_t first_reloc(size_t i, const char *sec)
{
    GElf_Shdr sh;
    char name[64];
    snprintf(name, sizeof name, ".rel%s", sec);
    assert_true(find_section(images[i].bytes, images[i].len, name, &sh, NULL));
    return sh.sh_offset;
}

enum { MAPS = 0, LEGACY = 1, CALLS = 3 };

static void test_bad_relocations(void **state)
{
    (void)state;
    uint8_t *buf = copy_of(MAPS);
    size_t rel = first_reloc(MAPS, "sample");
    put32(buf + rel, 0x7ffffff8); /* r_offset far outside the section */
    fails_with(buf, MAPS, "relocation offset 2147483640 is not on an instruction");

    buf = copy_of(MAPS);
    put32(buf + rel + 12, 0xffff); /* r_info's symbol index */
    fails_with(buf, MAPS, "outside the symbol table");

    /* Slot 0 of stage_one is a mov, not an lddw or call. */
    buf = copy_of(MAPS);
    put32(buf + rel, 0);
    fails_with(buf, MAPS, "is not on a whole lddw or local call");

    buf = copy_of(MAPS);
    buf[rel + 8] = 7; /* an unknown relocation type */
    fails_with(buf, MAPS, "relocation of type 7");
}

static void test_bad_sections_and_symbols(void **state)
{
    (void)state;
    GElf_Ehdr eh;
    memcpy(&eh, images[CALLS].bytes, sizeof(Elf64_Ehdr));
    GElf_Shdr sh;
    size_t index = 0;
    assert_true(find_section(images[CALLS].bytes, images[CALLS].len, "calls", &sh, &index));
    size_t shdr = eh.e_shoff + index * sizeof(Elf64_Shdr);

    uint8_t *buf = copy_of(CALLS);
    put32(buf + shdr + offsetof(Elf64_Shdr, sh_offset), 0x7fffff00);
    fails_with(buf, CALLS, "section 'calls' (offset 2147483392");

    buf = copy_of(CALLS);
    put32(buf + shdr + offsetof(Elf64_Shdr, sh_name), 0x7fffff00);
    fails_with(buf, CALLS, "name offset 2147483392 is not in the section name table");

    /* As libbpf, symbols are checked where they are used: symbol 1 (the
     * file symbol) in a section that does not exist, or named outside the
     * string table, does not stop the load. */
    assert_true(find_section(images[CALLS].bytes, images[CALLS].len, ".symtab", &sh, NULL));
    size_t file_sym = sh.sh_offset + sizeof(Elf64_Sym);
    buf = copy_of(CALLS);
    buf[file_sym + offsetof(Elf64_Sym, st_shndx)] = 0x00;
    buf[file_sym + offsetof(Elf64_Sym, st_shndx) + 1] = 0x7f;
    opens_with_programs(buf, CALLS, 3);
    buf = copy_of(CALLS);
    put32(buf + file_sym + offsetof(Elf64_Sym, st_name), 0x7fffff00);
    opens_with_programs(buf, CALLS, 3);

    /* A function is named by its symbol: that name must be readable. */
    buf = copy_of(CALLS);
    put32(buf + symbol_at(CALLS, "second") + offsetof(Elf64_Sym, st_name), 0x7fffff00);
    fails_with(buf, CALLS, "function symbol");

    /* A debug section (no code, no data) named outside the name table is skipped. */
    assert_true(find_section(images[CALLS].bytes, images[CALLS].len, ".debug_info", &sh, &index));
    buf = copy_of(CALLS);
    put32(buf + eh.e_shoff + index * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_name), 0x7fffff00);
    opens_with_programs(buf, CALLS, 3);

    buf = copy_of(CALLS);
    memset(buf + 16, 0xff, 2); /* e_type */
    fails_with(buf, CALLS, "is not a relocatable object");
}

static void test_unknown_map_type(void **state)
{
    (void)state;
    GElf_Shdr sh;
    assert_true(find_section(images[LEGACY].bytes, images[LEGACY].len, "maps", &sh, NULL));
    uint8_t *buf = copy_of(LEGACY);
    put32(buf + sh.sh_offset, 77); /* the first definition's type */
    fails_with(buf, LEGACY, "unknown map type 77");
}

/* Offset in the image of the BTF type record named name of kind kind, and its id. */
static bool find_btf_type(size_t i, const char *name, unsigned kind, size_t *at, uint32_t *id)
{
    /* Bytes after a type header: fixed part, and per vlen entry. */
    static const uint8_t fixed[20] = {[1] = 4, [3] = 12, [14] = 4, [17] = 4};
    static const uint8_t per_entry[20] = {[4] = 12, [5] = 12, [6] = 8, [13] = 8, [15] = 12, [19] = 12};
    GElf_Shdr sh;
    if (!find_section(images[i].bytes, images[i].len, ".BTF", &sh, NULL))
        return false;
    const uint8_t *btf = images[i].bytes + sh.sh_offset;
    uint32_t hdr = get32(btf + 4), types = hdr + get32(btf + 8), strs = hdr + get32(btf + 16);
    uint32_t end = types + get32(btf + 12);
    for (uint32_t pos = types, n = 1; pos < end; n++) {
        uint32_t info = get32(btf + pos + 4), k = (info >> 24) & 0x1f;
        if (k == kind && strcmp((const char *)btf + strs + get32(btf + pos), name) == 0) {
            *at = sh.sh_offset + pos;
            *id = n;
            return true;
        }
        pos += 12 + fixed[k] + per_entry[k] * (info & 0xffff);
    }
    return false;
}

static void test_bad_btf(void **state)
{
    (void)state;
    enum { BTF_KIND_TYPEDEF = 8 };
    size_t at = 0;
    uint32_t id = 0;
    /* Map keys are uint32_t: make that typedef name itself. */
    assert_true(find_btf_type(MAPS, "uint32_t", BTF_KIND_TYPEDEF, &at, &id));
    uint8_t *buf = copy_of(MAPS);
    put32(buf + at + 8, id);
    fails_with(buf, MAPS, "too long or cyclic");

    buf = copy_of(MAPS);
    put32(buf + at + 8, 0xfffff);
    fails_with(buf, MAPS, "refers to type 1048575, beyond the last type");

    buf = copy_of(MAPS);
    put32(buf + at, 0x7fffffff);
    fails_with(buf, MAPS, "name offset 2147483647 beyond the string section");

    buf = copy_of(MAPS);
    put32(buf + at + 4, 25u << 24); /* an unknown kind */
    fails_with(buf, MAPS, "unknown kind 25");
}

static void test_bad_line_info(void **state)
{
    (void)state;
    GElf_Shdr sh;
    assert_true(find_section(images[CALLS].bytes, images[CALLS].len, ".BTF.ext", &sh, NULL));
    const uint8_t *ext = images[CALLS].bytes + sh.sh_offset;
    /* Line block: record size, then section name, count, first record. */
    size_t first = sh.sh_offset + get32(ext + 4) + get32(ext + 16) + 12;
    uint8_t *buf = copy_of(CALLS);
    put32(buf + first, 0x7ffffff8);
    fails_with(buf, CALLS, "record for offset 2147483640 is outside the code");

    buf = copy_of(CALLS);
    put32(buf + first + 8, 0x7fffffff); /* line text offset */
    fails_with(buf, CALLS, "bad string offset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_bad_relocations),
        cmocka_unit_test(test_bad_sections_and_symbols),
        cmocka_unit_test(test_unknown_map_type),
        cmocka_unit_test(test_bad_btf),
        cmocka_unit_test(test_bad_line_info),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
