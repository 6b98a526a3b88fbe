/*
 * `bpfhost test-run` on tests/tools/progs/run_sum.c, driven as a
 * subprocess: results, maps after the run, --json, and the error exits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/assertions.h"
#include "common/subprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *object;
static char dir[] = "/tmp/bpfhost-test-run-XXXXXX";
static char ctx_file[64], big_ctx_file[64], data_file[64];

/* Writes size bytes to path. */
static int write_file(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(bytes, 1, size, f);
    return fclose(f) == 0 && n == size ? 0 : -1;
}

/* Compiles the program and writes the input files: ctx->uint64_data = 100,
 * data {1, 2, 3, 4}, and a context one byte too large. */
static int setup(void **state)
{
    (void)state;
    object = bpf_compile("tests/tools/progs", "run_sum", NULL);
    if (!object || !mkdtemp(dir))
        return -1;
    uint8_t ctx[16 + 8] = {0}, big[4096] = {0}, data[] = {1, 2, 3, 4};
    ctx[16] = 100;
    snprintf(ctx_file, sizeof(ctx_file), "%s/ctx", dir);
    snprintf(big_ctx_file, sizeof(big_ctx_file), "%s/big", dir);
    snprintf(data_file, sizeof(data_file), "%s/data", dir);
    return write_file(ctx_file, ctx, sizeof(ctx)) || write_file(big_ctx_file, big, sizeof(big)) ||
           write_file(data_file, data, sizeof(data));
}

static int teardown(void **state)
{
    (void)state;
    unlink(ctx_file);
    unlink(big_ctx_file);
    unlink(data_file);
    rmdir(dir);
    free(object);
    bpf_compile_cleanup();
    return 0;
}

/* Runs bpfhost with the NULL-terminated args (at most 11); asserts the exit code. */
static struct subprocess_result bpfhost(int expected_exit, const char *const *args)
{
    char *argv[13] = {(char *)tool_path("bpfhost")};
    for (int i = 0; args[i]; i++) {
        assert_true(i < 11);
        argv[i + 1] = (char *)args[i];
    }
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    if (res.exit_code != expected_exit)
        fail_msg("exit %d, expected %d; stdout: %s\nstderr: %s", res.exit_code, expected_exit, res.out, res.err);
    return res;
}

/* The number after "\"field\": " in a JSON text. */
static unsigned long long json_number(const char *json, const char *field)
{
    char quoted[64];
    snprintf(quoted, sizeof(quoted), "\"%s\": ", field);
    const char *at = strstr(json, quoted);
    if (!at)
        fail_msg("%s not found in %s", quoted, json);
    return strtoull(at + strlen(quoted), NULL, 10);
}

static void text_shows_result_and_maps(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(
        0, (const char *[]){"test-run", object, "sample", "--ctx", ctx_file, "--data", data_file, "--repeat", "5", NULL});
    assert_contains(res.out, "return value: 110 (0x6e)\n"); /* 100 + 1 + 2 + 3 + 4 */
    assert_contains(res.out, " ns per run (5 runs)\n");
    assert_contains(res.out, "map calls (hash, key 4, value 8, max 4):\n  key 07000000  value 0500000000000000\n");
    assert_contains(res.out, "map many (hash,");
    assert_contains(res.out, "  ... 6 more\n"); /* 70 keys, 64 shown */
    assert_contains(res.out, "map per_cpu (percpu_array,");
    assert_contains(res.out, " cpu0 ");
    assert_contains(res.out, "ring buffer, 80 bytes pending\n"); /* 5 records of 8 + 8 header bytes */
    subprocess_result_free(&res);
}

static void runs_by_function_name_without_inputs(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(0, (const char *[]){"test-run", object, "sum", NULL});
    assert_contains(res.out, "return value: 0 (0x0)\n");
    assert_contains(res.out, "(1 runs)");
    assert_contains(res.out, "value 0100000000000000");
    subprocess_result_free(&res);
}

static void json_is_one_object(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(
        0, (const char *[]){"test-run", object, "sample", "--json", "--data", data_file, "--repeat", "3", NULL});
    assert_int_equal(res.out[0], '{');
    assert_string_equal(res.out + strlen(res.out) - 3, "]}\n");
    assert_int_equal(json_number(res.out, "return_value"), 10);
    assert_int_equal(json_number(res.out, "repeat"), 3);
    assert_true(json_number(res.out, "duration_ns") > 0);
    assert_int_equal(json_number(res.out, "pending_bytes"), 48);
    assert_contains(res.out, "{\"name\": \"calls\", \"type\": \"hash\"");
    assert_contains(res.out, "{\"key\": \"07000000\", \"value\": \"0300000000000000\"}");
    assert_contains(res.out, "\"more_entries\": 6");
    assert_contains(res.out, "\"values\": [\"");
    subprocess_result_free(&res);
}

static void errors_exit_1_with_a_reason(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(1, (const char *[]){"test-run", "/nonexistent.o", "sample", NULL});
    assert_contains(res.err, "/nonexistent.o");
    subprocess_result_free(&res);
    res = bpfhost(1, (const char *[]){"test-run", object, "nosuch", NULL});
    assert_contains(res.err, "no program in section or named 'nosuch'");
    assert_contains(res.err, "sample/fault (faulty)");
    subprocess_result_free(&res);
    res = bpfhost(1, (const char *[]){"test-run", object, "sample", "--ctx", big_ctx_file, NULL});
    assert_contains(res.err, "4096 bytes, but a 'sample' context has");
    subprocess_result_free(&res);
    /* A JSON event is for types that define one; a sample context is raw bytes. */
    char json_file[sizeof(dir) + 16];
    snprintf(json_file, sizeof(json_file), "%s/event.json", dir);
    assert_int_equal(write_file(json_file, "{\"uint64_data\": 1}", 18), 0);
    res = bpfhost(1, (const char *[]){"test-run", object, "sample", "--ctx", json_file, NULL});
    assert_contains(res.err, "event.json: a 'sample' program has no JSON events; its context is raw bytes");
    subprocess_result_free(&res);
    unlink(json_file);
    res = bpfhost(1, (const char *[]){"test-run", object, "sample", "--data", "/nonexistent.bin", NULL});
    assert_contains(res.err, "/nonexistent.bin");
    subprocess_result_free(&res);
    res = bpfhost(1, (const char *[]){"test-run", object, "sample/fault", "--data", data_file, NULL});
    assert_contains(res.err, "program faulty (section sample/fault) failed: instruction ");
    assert_contains(res.err, "instruction budget");
    assert_contains(res.err, "exhaust_budget.h:"); /* the source line of the instruction */
    assert_string_equal(res.out, "");
    subprocess_result_free(&res);

    /* Issue 10's reproduction: repointing the context's data pair is refused at load. */
    char include[4200];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    char *repoint = bpf_compile("tests/verify/progs", "unsafe", (const char *const[]){include, NULL});
    assert_non_null(repoint);
    res = bpfhost(1, (const char *[]){"test-run", repoint, "repoint", "--repeat", "2", NULL});
    assert_contains(res.err, "program 'repoint'");
    assert_contains(res.err, "unsafe.c:");
    assert_contains(res.err, "writing the context's packet pointer field");
    subprocess_result_free(&res);
    free(repoint);
}

static void bad_usage_exits_2(void **state)
{
    (void)state;
    static const char *const bad_repeats[] = {"0", "10000001", "-1", "5x", ""};
    for (size_t i = 0; i < sizeof(bad_repeats) / sizeof(bad_repeats[0]); i++) {
        struct subprocess_result res =
            bpfhost(2, (const char *[]){"test-run", object, "sample", "--repeat", bad_repeats[i], NULL});
        assert_contains(res.err, "--repeat must be 1..10000000");
        subprocess_result_free(&res);
    }
    struct subprocess_result res = bpfhost(2, (const char *[]){"test-run", object, NULL});
    assert_contains(res.err, "usage: bpfhost test-run FILE.o SECTION");
    subprocess_result_free(&res);
    res = bpfhost(2, (const char *[]){"test-run", object, "sample", "--ctx", NULL});
    assert_contains(res.err, "--ctx needs a value");
    subprocess_result_free(&res);
    res = bpfhost(2, (const char *[]){"test-run", object, "sample", "--frob", NULL});
    assert_contains(res.err, "unknown option '--frob'");
    subprocess_result_free(&res);
}

static void help_documents_formats(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(0, (const char *[]){"test-run", "--help", NULL});
    assert_contains(res.out, "usage: bpfhost test-run FILE.o SECTION [--ctx FILE] [--data FILE] [--repeat N] [--json]");
    assert_contains(res.out, "return value: ");
    assert_contains(res.out, "\"return_value\"");
    assert_contains(res.out, "exit status: 0 success, 1 failure");
    subprocess_result_free(&res);
    res = bpfhost(0, (const char *[]){"--help", NULL});
    assert_contains(res.out, "test-run");
    subprocess_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_shows_result_and_maps),  cmocka_unit_test(runs_by_function_name_without_inputs),
        cmocka_unit_test(json_is_one_object),          cmocka_unit_test(errors_exit_1_with_a_reason),
        cmocka_unit_test(bad_usage_exits_2),           cmocka_unit_test(help_documents_formats),
    };
    return cmocka_run_group_tests_name("tools/bpfhost_test_run", tests, setup, teardown);
}
