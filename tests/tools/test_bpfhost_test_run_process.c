/*
 * `bpfhost test-run PROG.o process --ctx EVENT.json` on the seed's process
 * program: simulated events as JSON, the record the program writes (shown
 * as hex), the deny return as the signed int it is however the compiler
 * extended it, and the errors for bad events and bad --ctx files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/assertions.h"
#include "common/bpf_compile.h"
#include "common/json_strict.h"
#include "common/subprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *object, *object_alu32; /* the same program, built for -mcpu=v3 (32-bit returns zero-extended) */
static char dir[] = "/tmp/bpfhost-test-run-process-XXXXXX";

static int setup(void **state)
{
    (void)state;
    object = bpf_compile("tests/tools/progs", "seed_process", NULL);
    object_alu32 = bpf_compile("tests/tools/progs", "seed_process", (const char *const[]){"-mcpu=v3", NULL});
    return object && object_alu32 && mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    free(object);
    free(object_alu32);
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

/* Runs bpfhost test-run on obj with the event; returns the result. */
static struct subprocess_result run_object(const char *obj, const char *section, const char *event, const char *extra)
{
    char *argv[] = {(char *)tool_path("bpfhost"), "test-run", (char *)obj, (char *)section, "--ctx", (char *)event,
                    (char *)extra, NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    return res;
}

/* Runs bpfhost test-run on the object with the event; returns the result. */
static struct subprocess_result run(const char *section, const char *event, const char *extra)
{
    return run_object(object, section, event, extra);
}

static void seed_program_records_the_context(void **state)
{
    (void)state;
    const char *ev = event_file("create.json", "{\"operation\": \"create\", \"process_id\": 4321,"
                                               " \"command_line\": \"ls -l /tmp\", \"image_path\": \"/bin/ls\"}");
    struct subprocess_result res = run("ProcessHandler", ev, "--json");
    assert_int_equal(res.exit_code, 0);
    struct json_object *o = assert_json(res.out);
    assert_int_equal(json_int(o, "return_value"), 0);
    /* One record of sizeof(process_md_t) = 176 bytes plus its 8-byte header, shown as hex: pid 4321 after the
     * command line pointers. */
    struct json_object *ring = json_object_array_get_idx(json_member(o, "maps"), 0);
    assert_int_equal(json_int(ring, "pending_bytes"), 184);
    struct json_object *records = json_member(ring, "records");
    assert_int_equal(json_object_array_length(records), 1);
    const char *record = json_object_get_string(json_object_array_get_idx(records, 0));
    assert_int_equal(strlen(record), 2 * 176);
    assert_memory_equal(record + 32, "e110000000000000", 16);
    assert_int_equal(json_int(ring, "more_records"), 0);
    json_object_put(o);
    subprocess_result_free(&res);
}

static void deny_program_returns_access_denied(void **state)
{
    (void)state;
    const char *rm = event_file("rm.json", "{\"operation\": \"create\", \"command_line\": \"rm -rf /\"}");
    struct subprocess_result res = run("deny_rm", rm, NULL);
    assert_int_equal(res.exit_code, 0);
    /* An int return: r0 holds it sign-extended here, zero-extended with 32-bit ALU; the same int either way. */
    assert_contains(res.out, "return value: -1073741790 (0xc0000022)\n");
    subprocess_result_free(&res);
    res = run_object(object_alu32, "deny_rm", rm, NULL);
    assert_contains(res.out, "return value: -1073741790 (0xc0000022)\n");
    subprocess_result_free(&res);
    res = run_object(object_alu32, "deny_rm", rm, "--json");
    struct json_object *o = assert_json(res.out);
    assert_int_equal(json_int(o, "return_value"), -1073741790);
    assert_string_equal(json_object_get_string(json_member(o, "r0")), "0xc0000022");
    json_object_put(o);
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
    /* Nothing after the event may be ignored (a file with a NUL byte is a raw context, not JSON). */
    res = run("deny_rm", event_file("two.json", "{\"uid\": 1}\n{\"uid\": 0}\n"), NULL);
    assert_int_equal(res.exit_code, 1);
    assert_contains(res.err, "two.json: text after the JSON object, at byte 11");
    subprocess_result_free(&res);
}

/* The bind type's JSON events: the article's TraceConnections counts the simulated bind of pid 0x2a. */
static void bind_events_run_the_article_program(void **state)
{
    (void)state;
    char *tc = bpf_compile("tests/ext/net/progs", "trace_connections", NULL);
    assert_non_null(tc);
    const char *ev = event_file("bind.json", "{\"operation\": \"bind\", \"process_id\": 42, \"address\": \"::1\", "
                                             "\"port\": 8080, \"protocol\": \"tcp\", \"app_id\": \"/bin/srv\"}");
    struct subprocess_result res = run_object(tc, "bind", ev, NULL);
    assert_int_equal(res.exit_code, 0);
    assert_contains(res.out, "return value: 0 (0x0)");
    /* key 42, value: id 42, name "/bin/srv", count 1 */
    assert_contains(res.out, "key 2a000000  value 2a0000002f62696e2f737276");
    subprocess_result_free(&res);
    res = run_object(tc, "bind", event_file("bad_bind.json", "{\"operation\": \"bind\", \"pid\": 1}"), NULL);
    assert_int_equal(res.exit_code, 1);
    assert_contains(res.err, "bad_bind.json: unknown field \"pid\"");
    subprocess_result_free(&res);
    free(tc);
}

static void bad_ctx_files_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *name, *content, *why;
    } cases[] = {
        {"array.json", "[1,2]", "array.json: a JSON event is one object ({...}), not an array or another value\n"},
        {"empty.json", "", "empty.json: empty; a context is its raw bytes or a JSON event (or no --ctx: all zero)\n"},
        {"trailing.json", "{\"operation\": \"create\"} rm -rf", "trailing.json: text after the JSON object, at byte 24\n"},
        {"two.json", "{\"operation\": \"create\"}\n{}", "two.json: text after the JSON object, at byte 24\n"},
        {"cut.json", "{\"operation\": \"create\"", "cut.json: not JSON: it ends inside a value\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct subprocess_result res = run("deny_rm", event_file(cases[i].name, cases[i].content), NULL);
        assert_int_equal(res.exit_code, 1);
        assert_contains(res.err, cases[i].why);
        assert_string_equal(res.out, "");
        subprocess_result_free(&res);
    }
    /* Blanks after the object are fine. */
    struct subprocess_result res = run("deny_rm", event_file("blank.json", "{\"operation\": \"create\"}\n\n"), NULL);
    assert_int_equal(res.exit_code, 0);
    subprocess_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_program_records_the_context),
        cmocka_unit_test(deny_program_returns_access_denied),
        cmocka_unit_test(bad_events_exit_1_naming_the_field),
        cmocka_unit_test(bind_events_run_the_article_program),
        cmocka_unit_test(bad_ctx_files_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
