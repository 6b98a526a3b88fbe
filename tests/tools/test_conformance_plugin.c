/*
 * Drives build/bin/bpf_conformance_plugin as a subprocess, the way the
 * public bpf_conformance runner does, over every vector; plus the
 * protocol's error paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/conformance_file.h"
#include "common/subprocess.h"
#include "isa/isa.h"
#include "tools/tools.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hex bytes separated by spaces, as the protocol sends them. */
static char *hex_bytes(const uint8_t *bytes, size_t len)
{
    char *text = malloc(len * 3 + 1);
    text[0] = '\0';
    for (size_t i = 0; i < len; i++)
        sprintf(text + i * 3, "%02x ", bytes[i]);
    return text;
}

static void plugin_answers_every_vector(void **state)
{
    (void)state;
    char **paths;
    int n = conformance_list(&paths);
    assert_true(n > 0);
    int passed = 0;
    for (int i = 0; i < n; i++) {
        struct conformance_case c;
        assert_int_equal(conformance_case_load(paths[i], &c), 0);
        struct ebpf_insn *insns;
        size_t count;
        struct isa_error err;
        assert_int_equal(isa_assemble(c.asm_text, &insns, &count, &err), 0);
        char *program = hex_bytes((const uint8_t *)insns, count * sizeof(*insns));
        char *memory = c.mem ? hex_bytes(c.mem, c.mem_len) : NULL;
        char *argv[] = {(char *)tool_path("bpf_conformance_plugin"), memory, NULL};
        struct subprocess_result res;
        assert_int_equal(subprocess_run(argv, program, &res), 0);
        if (c.error) {
            passed += res.exit_code != 0;
        } else if (res.exit_code == 0 && strtoull(res.out, NULL, 16) == c.result) {
            passed++;
        } else {
            print_error("%s: exit %d, stdout \"%s\", stderr \"%s\"\n", c.name, res.exit_code, res.out, res.err);
        }
        subprocess_result_free(&res);
        free(program);
        free(memory);
        free(insns);
        conformance_case_free(&c);
    }
    printf("bpf_conformance_plugin: %d/%d vectors pass\n", passed, n);
    assert_int_equal(passed, n);
    conformance_list_free(paths, n);
}

static void expect_exit(char *const argv[], const char *input, int code, const char *fragment)
{
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, input, &res), 0);
    assert_int_equal(res.exit_code, code);
    if (fragment && !strstr(res.err, fragment) && !strstr(res.out, fragment))
        fail_msg("output does not mention \"%s\": stdout \"%s\" stderr \"%s\"", fragment, res.out, res.err);
    subprocess_result_free(&res);
}

static void plugin_protocol_errors(void **state)
{
    (void)state;
    char *plugin = (char *)tool_path("bpf_conformance_plugin");
    const char *exit0 = "b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00";
    expect_exit((char *[]){plugin, "--help", NULL}, "", 0, "usage");
    expect_exit((char *[]){plugin, NULL}, "zz", 1, "hex");
    expect_exit((char *[]){plugin, NULL}, "b7 00 00", 1, "multiple of 8");
    expect_exit((char *[]){plugin, NULL}, "", 1, "multiple of 8");
    expect_exit((char *[]){plugin, "--bogus", NULL}, exit0, 2, "unknown option");
    expect_exit((char *[]){plugin, "--jit", NULL}, exit0, 2, "not available");
    expect_exit((char *[]){plugin, "--elf", NULL}, exit0, 1, "stdin");
    expect_exit((char *[]){plugin, "--interpret", NULL}, exit0, 0, NULL);
    /* A program that does not decode is refused with the reason. */
    expect_exit((char *[]){plugin, NULL}, "ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00", 1, "unknown opcode");
    /* An out-of-bounds read is refused, naming the instruction. */
    expect_exit((char *[]){plugin, "01 02", NULL}, "61 10 08 00 00 00 00 00 95 00 00 00 00 00 00 00", 1,
                "instruction 0");
}

static void plugin_runs_an_elf_object(void **state)
{
    (void)state;
    char *path = bpf_compile("tests/tools/progs", "plugin_sum", NULL);
    assert_non_null(path);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t len;
    char *bytes = tools_read_stream(f, &len);
    fclose(f);
    char *program = hex_bytes((const uint8_t *)bytes, len);
    char *plugin = (char *)tool_path("bpf_conformance_plugin");
    struct subprocess_result res;
    assert_int_equal(subprocess_run((char *[]){plugin, "01 02 03 04 05", "--elf", NULL}, program, &res), 0);
    if (res.exit_code != 0)
        fail_msg("exit %d: %s", res.exit_code, res.err);
    assert_int_equal(strtoull(res.out, NULL, 16), 1 + 2 + 3 + 4 + 5);
    subprocess_result_free(&res);
    free(program);
    free(bytes);
    free(path);
    bpf_compile_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plugin_answers_every_vector),
        cmocka_unit_test(plugin_protocol_errors),
        cmocka_unit_test(plugin_runs_an_elf_object),
    };
    return cmocka_run_group_tests_name("tools/conformance_plugin", tests, NULL, NULL);
}
