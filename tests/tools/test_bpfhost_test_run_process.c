/*
 * `bpfhost test-run PROG.o process --ctx EVENT.json` on the seed's process
 * program: simulated events as JSON, the record the program writes, the
 * deny return, and the errors for bad events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/assertions.h"
#include "common/bpf_compile.h"
#include "common/subprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *object;
static char dir[] = "/tmp/bpfhost-test-run-process-XXXXXX";

static int setup(void **state)
{
    (void)state;
    object = bpf_compile("tests/tools/progs", "seed_process", NULL);
    return object && mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    free(object);
    bpf_compile_cleanup();
    return system(cmd);
}

/* Writes len bytes to <dir>/name and returns the path (static buffer). */
static const char *event_bytes(const char *name, const char *bytes, size_t len)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Writes json to <dir>/name and returns the path (static buffer). */
static const char *event_file(const char *name, const char *json)
{
    return event_bytes(name, json, strlen(json));
}

/* Runs bpfhost test-run on object with the event; returns the result. */
static struct subprocess_result run(const char *section, const char *event, const char *extra)
{
    char *argv[] = {(char *)tool_path("bpfhost"), "test-run", object, (char *)section, "--ctx", (char *)event,
                    (char *)extra, NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    return res;
}

static void seed_program_records_the_context(void **state)
{
    (void)state;
    const char *ev = event_file("create.json", "{\"operation\": \"create\", \"process_id\": 4321,"
                                               " \"command_line\": \"ls -l /tmp\", \"image_path\": \"/bin/ls\"}");
    struct subprocess_result res = run("ProcessHandler", ev, "--json");
    assert_int_equal(res.exit_code, 0);
    assert_contains(res.out, "\"return_value\": 0");
    /* One record of sizeof(process_md_t) = 152 bytes plus its 8-byte header. */
    assert_contains(res.out, "\"pending_bytes\": 160");
    subprocess_result_free(&res);
}

static void deny_program_returns_access_denied(void **state)
{
    (void)state;
    const char *rm = event_file("rm.json", "{\"operation\": \"create\", \"command_line\": \"rm -rf /\"}");
    struct subprocess_result res = run("deny_rm", rm, NULL);
    assert_int_equal(res.exit_code, 0);
    /* An int return, so r0 holds it sign-extended. */
    assert_contains(res.out, "return value: -1073741790 (0xffffffffc0000022)");
    subprocess_result_free(&res);

    const char *ls = event_file("ls.json", "{\"operation\": \"create\", \"command_line\": \"ls\"}");
    res = run("deny_rm", ls, NULL);
    assert_contains(res.out, "return value: 0 (0x0)");
    subprocess_result_free(&res);
}

static void bad_events_exit_1_naming_the_field(void **state)
{
    (void)state;
    const char *bad = event_file("bad.json", "{\"operation\": \"create\", \"process_id\": \"x\"}");
    struct subprocess_result res = run("deny_rm", bad, NULL);
    assert_int_equal(res.exit_code, 1);
    assert_contains(res.err, "bad.json: field \"process_id\": expected an integer");
    subprocess_result_free(&res);
    /* Nothing after the event may be ignored, not even past a NUL byte. */
    res = run("deny_rm", event_file("two.json", "{\"uid\": 1}\n{\"uid\": 0}\n"), NULL);
    assert_int_equal(res.exit_code, 1);
    assert_contains(res.err, "two.json: text after the JSON value at byte 11");
    subprocess_result_free(&res);
    static const char nul[] = "{\"uid\": 1}\0{\"uid\": 0}";
    res = run("deny_rm", event_bytes("nul.json", nul, sizeof(nul) - 1), NULL);
    assert_int_equal(res.exit_code, 1);
    assert_contains(res.err, "nul.json: a JSON event is text, but the file has a NUL byte");
    subprocess_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_program_records_the_context),
        cmocka_unit_test(deny_program_returns_access_denied),
        cmocka_unit_test(bad_events_exit_1_naming_the_field),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
