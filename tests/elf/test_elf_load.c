/*
 * Tests of the object loader on our own programs (tests/elf/progs), compiled
 * by clang when the test starts: map definitions of every kind, static slot
 * values, relocated lddw forms, global data, appended callees with their
 * calls rewritten, and line info naming the right source line.
 */
#include "elf/bpf_elf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "elf_test_util.h"

enum { OBJ_MAPS, OBJ_LEGACY, OBJ_GLOBALS, OBJ_CALLS, OBJ_COUNT };

static const char *const corpus[OBJ_COUNT] = {"maps_btf", "legacy", "globals", "calls"};
static struct bpf_elf_object *objs[OBJ_COUNT];

static int setup(void **state)
{
    (void)state;
    static const char *const no_debug[] = {"-g0", NULL};
    for (int i = 0; i < OBJ_COUNT; i++) {
        /* legacy.c is built without BTF: the loader must not need it there. */
        char *path = bpf_compile("tests/elf/progs", corpus[i], i == OBJ_LEGACY ? no_debug : NULL);
        char err[512];
        if (!path || bpf_elf_open_file(path, &objs[i], err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", path ? err : "compile failed");
            free(path);
            return -1;
        }
        free(path);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < OBJ_COUNT; i++)
        bpf_elf_close(objs[i]);
    bpf_compile_cleanup();
    return 0;
}

static const struct bpf_elf_map *map_named(const struct bpf_elf_object *obj, const char *name)
{
    int i = bpf_elf_find_map(obj, name);
    if (i < 0)
        fail_msg("no map '%s'", name);
    return &obj->maps[i];
}

static const struct bpf_elf_program *prog_named(const struct bpf_elf_object *obj, const char *name)
{
    const struct bpf_elf_program *p = bpf_elf_find_program(obj, name);
    if (!p)
        fail_msg("no program '%s'", name);
    return p;
}

/* Whether prog has an lddw of pseudo source src whose imm is imm. */
static bool has_lddw(const struct bpf_elf_program *p, uint8_t src, int32_t imm)
{
    for (size_t k = 0; k + 1 < p->insn_count; k++)
        if (p->insns[k].opcode == EBPF_OP_LDDW && p->insns[k].src == src && p->insns[k].imm == imm)
            return true;
    return false;
}

/* The offsets into global-data map m that prog's lddws use (up to max). */
static size_t value_offsets(const struct bpf_elf_program *p, int m, uint32_t *offs, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k + 1 < p->insn_count && n < max; k++)
        if (p->insns[k].opcode == EBPF_OP_LDDW && p->insns[k].src == EBPF_LDDW_MAP_VALUE_IDX && p->insns[k].imm == m)
            offs[n++] = (uint32_t)p->insns[k + 1].imm;
    return n;
}

static void test_btf_maps(void **state)
{
    (void)state;
    const struct bpf_elf_object *obj = objs[OBJ_MAPS];
    assert_string_equal(obj->name, "maps_btf");
    assert_string_equal(obj->license, "GPL");
    assert_true(obj->has_version);
    assert_int_equal(obj->version, 0x050a00);
    assert_non_null(obj->btf);

    const struct bpf_elf_map *m = map_named(obj, "by_pid");
    assert_int_equal(m->kind, BPF_ELF_MAP_BTF);
    assert_string_equal(m->section, ".maps");
    assert_int_equal(m->def.type, 1);
    assert_int_equal(m->def.key_size, 4);
    assert_int_equal(m->def.value_size, 16);
    assert_int_equal(m->def.max_entries, 128);
    assert_int_equal(m->def.pinning, BPF_ELF_PIN_BY_NAME);
    assert_true(m->def.key_type_id && m->def.value_type_id);

    m = map_named(obj, "per_cpu");
    assert_int_equal(m->def.type, 6);
    assert_int_equal(m->def.key_size, 4);
    assert_int_equal(m->def.value_size, 24);
    assert_int_equal(m->def.key_type_id, 0);

    m = map_named(obj, "recent");
    assert_int_equal(m->def.type, 9);
    assert_int_equal(m->def.key_size, 8);
    assert_int_equal(m->def.value_size, 16);
    assert_int_equal(m->def.map_flags, 2);
    assert_int_equal(m->def.max_entries, 1000);

    m = map_named(obj, "events");
    assert_int_equal(m->def.type, 27);
    assert_int_equal(m->def.max_entries, 4096);
    assert_int_equal(m->def.key_size + m->def.value_size, 0);

    m = map_named(obj, "pending");
    assert_int_equal(m->def.type, 22);
    assert_int_equal(m->def.key_size, 0);
    assert_int_equal(m->def.value_size, 4);
}

static void test_map_of_maps_and_prog_array(void **state)
{
    (void)state;
    const struct bpf_elf_object *obj = objs[OBJ_MAPS];
    const struct bpf_elf_map *m = map_named(obj, "outer");
    assert_int_equal(m->def.type, 12);
    assert_int_equal(m->def.value_size, 4);
    assert_int_equal(m->def.max_entries, 3);
    assert_true(m->has_inner);
    assert_int_equal(m->inner_map, -1);
    assert_int_equal(m->inner.type, 2);
    assert_int_equal(m->inner.value_size, 8);
    assert_int_equal(m->inner.max_entries, 2);
    assert_int_equal(m->slot_count, 2);
    assert_int_equal(m->slots[0].index, 0);
    assert_int_equal(m->slots[0].kind, BPF_ELF_SLOT_MAP);
    assert_string_equal(m->slots[0].name, "inner_a");
    assert_int_equal(m->slots[0].target, bpf_elf_find_map(obj, "inner_a"));
    assert_int_equal(m->slots[1].index, 2);
    assert_string_equal(m->slots[1].name, "inner_b");

    m = map_named(obj, "outer_hash");
    assert_int_equal(m->def.type, 13);
    assert_true(m->has_inner);
    assert_int_equal(m->inner.type, 1);
    assert_int_equal(m->inner.key_size, 2);
    assert_int_equal(m->inner.value_size, 2);
    assert_int_equal(m->inner.max_entries, 9);
    assert_int_equal(m->slot_count, 0);

    m = map_named(obj, "stages");
    assert_int_equal(m->def.type, 3);
    assert_false(m->has_inner);
    assert_int_equal(m->slot_count, 2);
    assert_int_equal(m->slots[0].index, 1);
    assert_int_equal(m->slots[0].kind, BPF_ELF_SLOT_PROGRAM);
    assert_string_equal(m->slots[0].name, "stage_one");
    assert_ptr_equal(&obj->programs[m->slots[0].target], prog_named(obj, "stage_one"));
    assert_int_equal(m->slots[1].index, 3);
    assert_string_equal(m->slots[1].name, "stage_two");

    /* The entry program names both maps by index. */
    const struct bpf_elf_program *entry = prog_named(obj, "entry");
    assert_string_equal(entry->section, "sample/entry");
    assert_true(has_lddw(entry, EBPF_LDDW_MAP_IDX, bpf_elf_find_map(obj, "outer")));
    assert_true(has_lddw(entry, EBPF_LDDW_MAP_IDX, bpf_elf_find_map(obj, "stages")));
    assert_true(has_lddw(prog_named(obj, "stage_two"), EBPF_LDDW_MAP_IDX, bpf_elf_find_map(obj, "events")));
}

static void test_legacy_maps(void **state)
{
    (void)state;
    const struct bpf_elf_object *obj = objs[OBJ_LEGACY];
    assert_null(obj->btf);
    assert_string_equal(obj->license, "Dual BSD/GPL");
    assert_false(obj->has_version);

    const struct bpf_elf_map *m = map_named(obj, "counters");
    assert_int_equal(m->kind, BPF_ELF_MAP_LEGACY);
    assert_string_equal(m->section, "maps");
    assert_int_equal(m->def.type, 2);
    assert_int_equal(m->def.key_size, 4);
    assert_int_equal(m->def.value_size, 8);
    assert_int_equal(m->def.max_entries, 64);

    m = map_named(obj, "inner_template");
    assert_int_equal(m->def.type, 1);
    assert_int_equal(m->def.map_flags, 1);

    m = map_named(obj, "tables");
    assert_int_equal(m->def.type, 12);
    assert_int_equal(m->def.pinning, BPF_ELF_PIN_BY_NAME);
    assert_int_equal(m->inner_map, bpf_elf_find_map(obj, "inner_template"));
    assert_true(m->has_inner);
    assert_int_equal(m->inner.type, 1);
    assert_int_equal(m->inner.max_entries, 10);

    const struct bpf_elf_program *p = prog_named(obj, "use_legacy");
    assert_int_equal(p->line_count, 0);
    assert_null(bpf_elf_line_of(p, 0));
    assert_true(has_lddw(p, EBPF_LDDW_MAP_IDX, bpf_elf_find_map(obj, "counters")));
    assert_true(has_lddw(p, EBPF_LDDW_MAP_IDX, bpf_elf_find_map(obj, "tables")));
}

static void test_globals(void **state)
{
    (void)state;
    const struct bpf_elf_object *obj = objs[OBJ_GLOBALS];
    const struct bpf_elf_program *p = prog_named(obj, "use_globals");
    uint32_t offs[8];
    static const long long table[4] = {1, 2, 3, 4};

    int m = bpf_elf_find_map(obj, "globals.data");
    assert_true(m >= 0);
    const struct bpf_elf_map *data = &obj->maps[m];
    assert_int_equal(data->kind, BPF_ELF_MAP_DATA);
    assert_int_equal(data->def.type, BPF_MAP_TYPE_ARRAY);
    assert_int_equal(data->def.max_entries, 1);
    assert_false(data->frozen);
    size_t n = value_offsets(p, m, offs, 8);
    bool saw_counter = false, saw_table = false;
    for (size_t i = 0; i < n; i++) {
        assert_true(offs[i] < data->def.value_size);
        saw_counter |= get32(data->data + offs[i]) == 5;
        saw_table |= offs[i] + sizeof table <= data->def.value_size &&
                     memcmp(data->data + offs[i], table, sizeof table) == 0;
    }
    assert_true(saw_counter && saw_table);

    m = bpf_elf_find_map(obj, "globals.rodata");
    assert_true(m >= 0);
    const struct bpf_elf_map *ro = &obj->maps[m];
    assert_int_equal(ro->kind, BPF_ELF_MAP_RODATA);
    assert_true(ro->frozen);
    assert_int_equal(ro->def.map_flags, BPF_ELF_F_RDONLY_PROG);
    assert_non_null(memmem(ro->data, ro->def.value_size, "total %llu", 11));
    n = value_offsets(p, m, offs, 8);
    bool saw_limit = false;
    for (size_t i = 0; i < n; i++)
        saw_limit |= offs[i] + 4 <= ro->def.value_size && get32(ro->data + offs[i]) == 10;
    assert_true(saw_limit);

    /* total and the static hits: one by its symbol, one by section + offset. */
    m = bpf_elf_find_map(obj, "globals.bss");
    assert_true(m >= 0);
    assert_int_equal(obj->maps[m].kind, BPF_ELF_MAP_BSS);
    assert_null(obj->maps[m].data);
    assert_int_equal(obj->maps[m].def.value_size, 12);
    n = value_offsets(p, m, offs, 8);
    bool saw_zero = false, saw_other = false;
    for (size_t i = 0; i < n; i++) {
        saw_zero |= offs[i] == 0;
        saw_other |= offs[i] == 8;
    }
    assert_true(saw_zero && saw_other);

    m = bpf_elf_find_map(obj, "globals.rodata.str1.1");
    assert_true(m >= 0);
    assert_non_null(memmem(obj->maps[m].data, obj->maps[m].def.value_size, "init", 5));
}

/* Checks every local call and code address of p lands on the start of one of
 * the named callees, and that each of them was appended after p's own code. */
static void assert_callees(const struct bpf_elf_program *p, const char *const *callees, size_t count)
{
    for (size_t k = 0; k < p->insn_count; k++) {
        const struct ebpf_insn *insn = &p->insns[k];
        bool call = insn->opcode == EBPF_OP_CALL && insn->src == EBPF_CALL_LOCAL;
        bool addr = insn->opcode == EBPF_OP_LDDW && insn->src == EBPF_LDDW_CODE_ADDR;
        if (!call && !addr)
            continue;
        size_t target = (size_t)((int64_t)k + insn->imm + 1);
        const char *name = NULL;
        for (size_t f = 0; f < p->func_count; f++)
            if (p->funcs[f].insn == target)
                name = p->funcs[f].name;
        assert_non_null(name);
        bool expected = false;
        for (size_t c = 0; c < count; c++)
            expected |= strcmp(name, callees[c]) == 0;
        assert_true(expected);
    }
    for (size_t c = 0; c < count; c++) {
        bool appended = false;
        for (size_t f = 0; f < p->func_count; f++)
            appended |= strcmp(p->funcs[f].name, callees[c]) == 0 && p->funcs[f].insn >= p->own_insn_count;
        assert_true(appended);
    }
}

static void test_calls(void **state)
{
    (void)state;
    const struct bpf_elf_object *obj = objs[OBJ_CALLS];
    /* Three programs in one section, in offset order; in_section is static,
     * so it is a callee, not a program. */
    assert_int_equal(obj->program_count, 3);
    assert_string_equal(obj->programs[0].name, "first");
    assert_string_equal(obj->programs[1].name, "second");
    assert_string_equal(obj->programs[2].name, "third");
    for (int i = 0; i < 3; i++)
        assert_string_equal(obj->programs[i].section, "calls");

    static const char *const first[] = {"add_square", "square"};
    static const char *const second[] = {"count_cb", "in_section"};
    static const char *const third[] = {"square", "in_section"};
    assert_callees(prog_named(obj, "first"), first, 2);
    assert_callees(prog_named(obj, "second"), second, 2);
    assert_callees(prog_named(obj, "third"), third, 2);
    assert_true(prog_named(obj, "first")->insn_count > prog_named(obj, "first")->own_insn_count);
}

/* 1-based number of the line of path holding marker, or 0. */
static uint32_t line_with(const char *path, const char *marker)
{
    size_t len;
    char *text = (char *)read_file(path, &len);
    uint32_t line = 0, number = 1;
    for (size_t i = 0; text && i < len && !line; i++) {
        if (strncmp(text + i, marker, strlen(marker)) == 0)
            line = number;
        number += text[i] == '\n';
    }
    free(text);
    return line;
}

static void test_line_info(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/elf/progs/calls.c", bpf_source_dir());
    uint32_t marked = line_with(path, "MARK second calls in_section");
    assert_int_not_equal(marked, 0);

    const struct bpf_elf_program *p = prog_named(objs[OBJ_CALLS], "second");
    assert_true(p->line_count > 0);
    size_t call = p->own_insn_count;
    for (size_t k = 0; k < p->own_insn_count; k++)
        if (p->insns[k].opcode == EBPF_OP_CALL && p->insns[k].src == EBPF_CALL_LOCAL)
            call = k;
    assert_true(call < p->own_insn_count);
    const struct bpf_elf_line *l = bpf_elf_line_of(p, call);
    assert_non_null(l);
    assert_int_equal(l->line, marked);
    assert_non_null(strstr(l->text, "in_section((int)sum)"));
    assert_non_null(strstr(l->file, "calls.c"));

    /* The appended callee keeps its own lines. */
    l = bpf_elf_line_of(p, p->insn_count - 1);
    assert_non_null(l);
    assert_non_null(strstr(l->text, "return x - 1;"));
    assert_int_equal(bpf_elf_line_of(p, 0)->insn, 0);
}

static void test_every_program_is_well_formed(void **state)
{
    (void)state;
    for (int i = 0; i < OBJ_COUNT; i++) {
        for (size_t j = 0; j < objs[i]->program_count; j++) {
            const struct bpf_elf_program *p = &objs[i]->programs[j];
            struct isa_error err;
            if (isa_validate(p->insns, p->insn_count, &err) < 0)
                fail_msg("%s: program %s, slot %zu: %s", corpus[i], p->name, err.pc, err.msg);
        }
    }
}

static void test_open_mem_and_errors(void **state)
{
    (void)state;
    char *path = bpf_compile("tests/elf/progs", "maps_btf", NULL);
    size_t len;
    uint8_t *image = read_file(path, &len);
    struct bpf_elf_object *obj;
    char err[512];
    assert_int_equal(bpf_elf_open_mem(image, len, "some/dir/copy.bpf.o", &obj, err, sizeof err), 0);
    assert_string_equal(obj->name, "copy");
    assert_int_equal(obj->map_count, objs[OBJ_MAPS]->map_count);
    assert_int_equal(obj->program_count, objs[OBJ_MAPS]->program_count);
    bpf_elf_close(obj);

    assert_int_equal(bpf_elf_open_mem(image, 40, "short.o", &obj, err, sizeof err), -1);
    assert_null(obj);
    assert_int_equal(strncmp(err, "short.o: ", 9), 0);
    free(image);
    free(path);

    assert_int_equal(bpf_elf_open_file("/nonexistent/x.o", &obj, err, sizeof err), -1);
    assert_null(obj);
    assert_non_null(strstr(err, "/nonexistent/x.o"));
    bpf_elf_close(NULL);
}

static void test_lookups(void **state)
{
    (void)state;
    assert_string_equal(bpf_elf_map_type_name(1), "hash");
    assert_string_equal(bpf_elf_map_type_name(12), "array_of_maps");
    assert_string_equal(bpf_elf_map_type_name(33), "arena");
    assert_null(bpf_elf_map_type_name(0));
    assert_null(bpf_elf_map_type_name(34));
    assert_null(bpf_elf_find_program(objs[OBJ_CALLS], "square"));
    assert_int_equal(bpf_elf_find_map(objs[OBJ_CALLS], "nothing"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_btf_maps),
        cmocka_unit_test(test_map_of_maps_and_prog_array),
        cmocka_unit_test(test_legacy_maps),
        cmocka_unit_test(test_globals),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_line_info),
        cmocka_unit_test(test_every_program_is_well_formed),
        cmocka_unit_test(test_open_mem_and_errors),
        cmocka_unit_test(test_lookups),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
