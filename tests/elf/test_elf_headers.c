/*
 * Tests of the program-facing headers in include/: a program calling every
 * declared helper and defining a map of every type compiles (also together
 * with a freestanding <stdint.h>) and each call carries the helper's ID; the
 * TraceConnections program of the bind-hook article compiles unchanged, its
 * memcpy becoming the memcpy_s helper as in eBPF for Windows.
 */
#include "elf/bpf_elf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bpf_helper_ids.h" /* include/: shared with eBPF programs */
#include "elf_test_util.h"

/* Every helper bpf_helper_defs.h declares. */
static const uint32_t all_helpers[] = {
    BPF_FUNC_map_lookup_elem,   BPF_FUNC_map_update_elem,      BPF_FUNC_map_delete_elem,
    BPF_FUNC_ktime_get_ns,      BPF_FUNC_trace_printk,         BPF_FUNC_get_prandom_u32,
    BPF_FUNC_get_smp_processor_id, BPF_FUNC_tail_call,         BPF_FUNC_get_current_pid_tgid,
    BPF_FUNC_get_current_uid_gid, BPF_FUNC_get_current_comm,   BPF_FUNC_map_push_elem,
    BPF_FUNC_map_pop_elem,      BPF_FUNC_map_peek_elem,        BPF_FUNC_ktime_get_boot_ns,
    BPF_FUNC_ringbuf_output,    BPF_FUNC_ringbuf_reserve,      BPF_FUNC_ringbuf_submit,
    BPF_FUNC_ringbuf_discard,   BPF_FUNC_ringbuf_query,        BPF_FUNC_snprintf,
    BPF_FUNC_loop,              BPF_FUNC_strncmp,              BPF_FUNC_memcpy_s,
    BPF_FUNC_memcmp_s,          BPF_FUNC_memset,               BPF_FUNC_memmove_s,
    BPF_FUNC_strncpy_s,         BPF_FUNC_strncat_s,            BPF_FUNC_strnlen_s,
    BPF_FUNC_ktime_get_boot_ms, BPF_FUNC_ktime_get_ms,         BPF_FUNC_trace_printk2,
    BPF_FUNC_trace_printk3,     BPF_FUNC_trace_printk4,        BPF_FUNC_trace_printk5,
};

/* Compiles dir/<name>.c with extra flags and loads it. */
static struct bpf_elf_object *build_in(const char *dir, const char *name, const char *const *extra)
{
    char *path = bpf_compile(dir, name, extra);
    assert_non_null(path);
    struct bpf_elf_object *o = NULL;
    char err[512];
    if (bpf_elf_open_file(path, &o, err, sizeof err) < 0)
        fail_msg("%s", err);
    free(path);
    return o;
}

/* Compiles progs/<name>.c of this layer with extra flags and loads it. */
static struct bpf_elf_object *build(const char *name, const char *const *extra)
{
    return build_in("tests/elf/progs", name, extra);
}

/* Whether p calls helper id. */
static bool calls_helper(const struct bpf_elf_program *p, uint32_t id)
{
    for (size_t k = 0; k < p->insn_count; k++)
        if (p->insns[k].opcode == EBPF_OP_CALL && p->insns[k].src == EBPF_CALL_HELPER && (uint32_t)p->insns[k].imm == id)
            return true;
    return false;
}

/* Checks the object built from helpers_all.c. */
static void check_every_helper(const struct bpf_elf_object *obj)
{
    const struct bpf_elf_program *p = bpf_elf_find_program(obj, "every_helper");
    assert_non_null(p);
    for (size_t i = 0; i < sizeof all_helpers / sizeof all_helpers[0]; i++)
        if (!calls_helper(p, all_helpers[i]))
            fail_msg("no call to helper %#x", all_helpers[i]);
    for (uint32_t type = 1; type < __MAX_BPF_MAP_TYPE; type++) {
        bool found = false;
        for (size_t m = 0; m < obj->map_count; m++)
            found |= obj->maps[m].kind == BPF_ELF_MAP_BTF && obj->maps[m].def.type == type;
        if (!found)
            fail_msg("no map of type %u (%s)", type, bpf_elf_map_type_name(type));
    }
}

static void test_every_helper_and_map_type(void **state)
{
    (void)state;
    static const char *const with_stdint[] = {"-ffreestanding", "-DWITH_STDINT", NULL};
    struct bpf_elf_object *obj = build("helpers_all", NULL);
    check_every_helper(obj);
    bpf_elf_close(obj);
    obj = build("helpers_all", with_stdint);
    check_every_helper(obj);
    bpf_elf_close(obj);
}

static void test_trace_connections(void **state)
{
    (void)state;
    /* The article's program, unchanged, as the bind hook's tests compile it. */
    struct bpf_elf_object *obj = build_in("tests/ext/net/progs", "trace_connections", NULL);
    const struct bpf_elf_program *p = bpf_elf_find_program(obj, "TraceConnections");
    assert_non_null(p);
    assert_string_equal(p->section, "bind");
    assert_true(calls_helper(p, BPF_FUNC_map_lookup_elem));
    assert_true(calls_helper(p, BPF_FUNC_map_update_elem));
    assert_true(calls_helper(p, BPF_FUNC_memcpy_s));
    int m = bpf_elf_find_map(obj, "proc_map");
    assert_true(m >= 0);
    assert_int_equal(obj->maps[m].def.type, 1);
    assert_int_equal(obj->maps[m].def.key_size, 4);
    assert_int_equal(obj->maps[m].def.value_size, 40);
    assert_int_equal(obj->maps[m].def.max_entries, 1024);
    assert_string_equal(obj->license, "Dual BSD/GPL");
    bpf_elf_close(obj);
}

static int teardown(void **state)
{
    (void)state;
    bpf_compile_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_helper_and_map_type),
        cmocka_unit_test(test_trace_connections),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
