/*
 * CO-RE relocations (.BTF.ext core_relo): a program that declares this
 * host's process context its own way runs with the host's offsets once
 * relocated against the process type's description of process_md_t (its C
 * names and field table); relocations the host cannot resolve (a Linux
 * kernel type, a missing field, a field of another size, an enum value)
 * are refused with a message naming the instruction, section, kind and
 * access path, and resolve against a target that has them; records that do
 * not fit the object are refused when it is opened.
 */
#include "elf/bpf_elf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ebpf_ntos_hooks.h" /* include/: the host's process context */
#include "elf_test_util.h"
#include "exec/exec.h"
#include "ext/ext.h"

/* The host's process context as its program type describes it. */
static struct bpf_elf_core_field process_fields[32];
static struct bpf_elf_core_type host_types[1];

static int describe_host(void **state)
{
    (void)state;
    const struct core_prog_type *t = ext_process_type();
    if (t->field_count > sizeof process_fields / sizeof process_fields[0])
        return -1;
    for (size_t i = 0; i < t->field_count; i++)
        process_fields[i] = (struct bpf_elf_core_field){t->fields[i].name, t->fields[i].offset, t->fields[i].size};
    host_types[0] = (struct bpf_elf_core_type){t->ctx_type_names, t->ctx_size, process_fields, t->field_count};
    return 0;
}

static struct bpf_elf_object *open_prog(const char *name)
{
    char *path = bpf_compile("tests/elf/progs", name, NULL);
    assert_non_null(path);
    struct bpf_elf_object *obj = NULL;
    char err[512];
    if (bpf_elf_open_file(path, &obj, err, sizeof err) < 0)
        fail_msg("%s", err);
    free(path);
    return obj;
}

static const struct bpf_elf_program *program(const struct bpf_elf_object *obj, const char *name)
{
    const struct bpf_elf_program *p = bpf_elf_find_program(obj, name);
    assert_non_null(p);
    return p;
}

/* A copy of p's instructions, relocated against the host; rc and message out. */
static struct ebpf_insn *relocate(const struct bpf_elf_object *obj, const struct bpf_elf_program *p, int *rc,
                                  char *err, size_t errlen)
{
    struct ebpf_insn *insns = malloc(p->insn_count * sizeof *insns);
    assert_non_null(insns);
    memcpy(insns, p->insns, p->insn_count * sizeof *insns);
    *rc = bpf_elf_core_relocate(obj, p, host_types, 1, insns, err, errlen);
    return insns;
}

/* Runs insns on ctx; returns r0 as an int. */
static int run_on(const struct ebpf_insn *insns, size_t count, process_md_t *ctx)
{
    struct exec_program *prog;
    struct isa_error ierr;
    if (exec_program_new(insns, count, NULL, 0, &prog, &ierr) != 0)
        fail_msg("%s", ierr.msg);
    struct exec_region region = {ctx, sizeof *ctx, EXEC_READ, NULL, "context"};
    struct exec_run_args args = {.args = {(uintptr_t)ctx}, .regions = &region, .region_count = 1};
    struct exec_result res;
    if (exec_run(prog, &args, &res) != 0)
        fail_msg("%s", res.msg);
    exec_program_free(prog);
    return (int)res.r0;
}

static void relocated_program_reads_the_hosts_fields(void **state)
{
    (void)state;
    struct bpf_elf_object *obj = open_prog("core_process");
    const struct bpf_elf_program *p = program(obj, "relocated");
    assert_int_equal(p->core_relo_count, 8); /* 4 checks, 4 loads */
    process_md_t ctx = {.process_id = 7, .uid = 3, .gid = 5};
    ctx.token_sid[3] = 9;
    /* As compiled, the offsets are the program's own: it sees a field the host lacks. */
    assert_int_equal(run_on(p->insns, p->insn_count, &ctx), -1);
    int rc;
    char err[256] = "";
    struct ebpf_insn *insns = relocate(obj, p, &rc, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(run_on(insns, p->insn_count, &ctx), 7 * 1000 + 3 * 100 + 5 * 10 + 9);
    /* Each relocated load now uses the host's offset. */
    size_t loads = 0;
    for (size_t i = 0; i < p->core_relo_count; i++) {
        const struct ebpf_insn *in = &insns[p->core_relos[i].insn];
        if ((in->opcode & 7) != EBPF_CLS_LDX)
            continue;
        loads++;
        assert_true(in->offset == offsetof(process_md_t, process_id) || in->offset == offsetof(process_md_t, uid) ||
                    in->offset == offsetof(process_md_t, gid) || in->offset == offsetof(process_md_t, token_sid) + 3);
    }
    assert_int_equal(loads, 4);
    free(insns);

    const struct bpf_elf_program *size = program(obj, "size");
    insns = relocate(obj, size, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(run_on(insns, size->insn_count, &ctx), sizeof(process_md_t));
    free(insns);
    bpf_elf_close(obj);
}

/* CO-RE on every access of a program built against the host's own header: nothing moves but the bit-field's
 * placeholder, which the compiler leaves for the loader. */
static void program_built_against_the_hosts_header_runs(void **state)
{
    (void)state;
    struct bpf_elf_object *obj = open_prog("core_own_header");
    const struct bpf_elf_program *p = program(obj, "every_field");
    assert_int_equal(p->core_relo_count, 14); /* one per field read */
    uint8_t command[5] = "a b c";
    process_md_t ctx = {.command_start = command, .command_end = command + 5, .process_id = 1,
                        .parent_process_id = 2, .creating_process_id = 3, .creating_thread_id = 4,
                        .creation_time = 5, .exit_time = 6, .process_exit_code = 0x700, .operation =
                        PROCESS_OPERATION_DELETE, .token_sid_size = 8, .uid = 9, .gid = 10};
    ctx.token_sid[5] = 11;
    int rc;
    char err[256] = "";
    struct ebpf_insn *insns = relocate(obj, p, &rc, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    size_t moved = 0;
    for (size_t i = 0; i < p->insn_count; i++)
        moved += memcmp(&insns[i], &p->insns[i], sizeof insns[i]) != 0;
    assert_int_equal(moved, 1); /* the bit-field's load */
    assert_int_equal(run_on(insns, p->insn_count, &ctx), 1000000 + 1 + 2 + 3 + 4 + 5 + 6 + 0x700 + 8 + 11 + 9 + 10 + 5);
    free(insns);
    bpf_elf_close(obj);
}

/* Relocating refuses program name of obj with exactly "CO-RE relocation at instruction N of SECTION: what". */
static void expect_refusal(const struct bpf_elf_object *obj, const char *name, const char *what)
{
    const struct bpf_elf_program *p = program(obj, name);
    assert_int_equal(p->core_relo_count, 1);
    int rc;
    char err[256] = "", want[256];
    free(relocate(obj, p, &rc, err, sizeof err));
    assert_int_equal(rc, BPF_ELF_CORE_UNRESOLVED);
    snprintf(want, sizeof want, "CO-RE relocation at instruction %zu of %s: %s", p->core_relos[0].insn, p->section,
             what);
    assert_string_equal(err, want);
}

static void unresolvable_relocations_are_refused_by_name(void **state)
{
    (void)state;
    /* Opening succeeds: the object can be shown, and checked offline against another target. */
    struct bpf_elf_object *obj = open_prog("core_refused");
    expect_refusal(obj, "linux_task", "field byte offset of struct task_struct.pid: no such type on this host");
    expect_refusal(obj, "missing_field", "field byte offset of struct _process_md.session_id: no such field on this host");
    expect_refusal(obj, "wrong_size",
                   "field byte offset of struct _process_md.uid: field uid is 8 bytes in the program, 4 on this host");
    expect_refusal(obj, "enum_value",
                   "enum value of enum _process_operation::PROCESS_OPERATION_DELETE: this host describes no enum types");
    /* The same program against a target that has the type: resolved. */
    static const struct bpf_elf_core_field task_fields[] = {{"comm", 0, 16}, {"pid", 24, 4}};
    static const char *const task_names[] = {"task_struct", NULL};
    static const struct bpf_elf_core_type linux_like[] = {{task_names, 64, task_fields, 2}};
    const struct bpf_elf_program *p = program(obj, "linux_task");
    struct ebpf_insn *insns = malloc(p->insn_count * sizeof *insns);
    memcpy(insns, p->insns, p->insn_count * sizeof *insns);
    char err[256] = "";
    assert_int_equal(bpf_elf_core_relocate(obj, p, linux_like, 1, insns, err, sizeof err), 0);
    assert_int_equal(insns[p->core_relos[0].insn].offset, 24);
    free(insns);
    bpf_elf_close(obj);
}

/* A record whose instruction does not hold what the BTF says is refused when opening. */
static void record_that_does_not_fit_its_instruction_is_refused(void **state)
{
    (void)state;
    char *path = bpf_compile("tests/elf/progs", "core_process", NULL);
    assert_non_null(path);
    size_t len;
    uint8_t *image = read_file(path, &len);
    free(path);
    GElf_Shdr sh;
    assert_true(find_section(image, len, "process", &sh, NULL));
    /* FIELD_SIZE(ctx, token_sid): "r2 = 68" becomes "r2 = 69". */
    size_t found = 0;
    for (size_t off = 0; off + 8 <= sh.sh_size; off += 8) {
        uint8_t *insn = image + sh.sh_offset + off;
        if (insn[0] == (EBPF_CLS_ALU64 | EBPF_ALU_MOV) && get32(insn + 4) == 68) {
            put32(insn + 4, 69);
            found++;
        }
    }
    assert_int_equal(found, 1);
    struct bpf_elf_object *obj = NULL;
    char err[512] = "";
    assert_int_equal(bpf_elf_open_mem(image, len, "core_process", &obj, err, sizeof err), -1);
    assert_non_null(strstr(err, "core_process: instruction "));
    assert_non_null(strstr(err, "of section 'process': the instruction does not hold the field byte size of "
                                "struct _process_md.token_sid (68) the object's BTF gives"));
    free(image);
}

static int cleanup(void **state)
{
    (void)state;
    bpf_compile_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relocated_program_reads_the_hosts_fields),
        cmocka_unit_test(program_built_against_the_hosts_header_runs),
        cmocka_unit_test(unresolvable_relocations_are_refused_by_name),
        cmocka_unit_test(record_that_does_not_fit_its_instruction_is_refused),
    };
    return cmocka_run_group_tests_name("elf/core_relo", tests, describe_host, cleanup);
}
