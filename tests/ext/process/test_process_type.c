/*
 * The process program type on simulated events (what ntosebpfext's unit
 * test does with its simulated process notifications): the context layout
 * as a clang-compiled program sees it, the helpers' contracts, and the
 * JSON event format of bpfhost test-run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ext_test.h"

#define PROGS "tests/ext/process/progs"

/* Mirrors struct seen of progs/process_fields.c. */
struct seen {
    uint64_t process_id, parent_process_id, creating_process_id, creating_thread_id;
    uint64_t creation_time, exit_time;
    uint64_t pid_tgid, uid_gid;
    uint32_t process_exit_code, operation, token_sid_size, uid, gid;
    uint32_t command_len;
    int32_t image_len, short_image, name_len, domain_len;
    uint8_t token_sid[16];
    char command[64];
    char image[64];
    char name[32];
    char domain[64];
};

static int setup(void **state)
{
    (void)state;
    return ext_register_builtin();
}

/* Test-runs process_fields on the event given as JSON; returns what it saw. */
static struct seen run_json(const char *json)
{
    struct seen seen;
    run_process_json(json, "process_fields", "record_fields", "seen", &seen);
    return seen;
}

static void create_event_fields_reach_the_program(void **state)
{
    (void)state;
    struct seen s = run_json("{\"operation\": \"create\", \"process_id\": 4242, \"parent_process_id\": 1,"
                             " \"creating_process_id\": 4000, \"creating_thread_id\": 4001,"
                             " \"creation_time\": 133000000000000000, \"uid\": 0, \"gid\": 0,"
                             " \"command_line\": \"/usr/bin/env -i ls -l\", \"image_path\": \"/usr/bin/env\"}");
    assert_int_equal(s.operation, PROCESS_OPERATION_CREATE);
    assert_int_equal(s.process_id, 4242);
    assert_int_equal(s.parent_process_id, 1);
    assert_int_equal(s.creating_process_id, 4000);
    assert_int_equal(s.creating_thread_id, 4001);
    assert_int_equal(s.creation_time, 133000000000000000ull);
    assert_int_equal(s.exit_time, 0);
    assert_int_equal(s.command_len, strlen("/usr/bin/env -i ls -l"));
    assert_memory_equal(s.command, "/usr/bin/env -i ls -l", s.command_len);
    assert_int_equal(s.image_len, strlen("/usr/bin/env"));
    assert_memory_equal(s.image, "/usr/bin/env", s.image_len);
    /* The whole path or -EINVAL, never a cut one. */
    assert_int_equal(s.short_image, -EINVAL);
    /* On a create, the "current" task is the creator. */
    assert_int_equal(s.pid_tgid, (4000ull << 32) | 4001);
    /* S-1-22-1-0 in binary form. */
    static const uint8_t sid[16] = {1, 2, 0, 0, 0, 0, 0, 22, 1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(s.token_sid_size, 16);
    assert_memory_equal(s.token_sid, sid, 16);
    assert_int_equal(s.name_len, 4);
    assert_memory_equal(s.name, "root", 4);
    char host[64] = "";
    gethostname(host, sizeof(host));
    assert_int_equal(s.domain_len, (int)strlen(host));
    assert_memory_equal(s.domain, host, strlen(host));
}

static void delete_event_fields_reach_the_program(void **state)
{
    (void)state;
    struct seen s = run_json("{\"operation\": 1, \"process_id\": 77, \"creation_time\": 5, \"exit_time\": 9,"
                             " \"process_exit_code\": 137, \"uid\": 65534, \"gid\": 65533}");
    assert_int_equal(s.operation, PROCESS_OPERATION_DELETE);
    assert_int_equal(s.process_id, 77);
    assert_int_equal(s.process_exit_code, 137);
    assert_int_equal(s.exit_time, 9);
    assert_int_equal(s.uid, 65534);
    assert_int_equal(s.gid, 65533);
    assert_int_equal(s.uid_gid, (65533ull << 32) | 65534);
    /* On a delete, the "current" task is the exiting process. */
    assert_int_equal(s.pid_tgid >> 32, 77);
    /* No command line, no image path. */
    assert_int_equal(s.command_len, 0);
    assert_int_equal(s.image_len, 0);
    /* As ntosebpfext: the token SID is set only for creates. */
    assert_int_equal(s.token_sid_size, 0);
}

/* A JSON event that must be refused, with a reason containing needle. */
static void refused(const char *json, const char *needle)
{
    struct ext_process_event ev;
    char *storage = NULL, err[256] = "";
    assert_int_equal(ext_process_event_from_json(json, &ev, &storage, err, sizeof(err)), -EINVAL);
    assert_null(storage);
    if (!strstr(err, needle))
        fail_msg("'%s' does not mention '%s'", err, needle);
}

static void bad_json_events_are_refused_with_the_field_named(void **state)
{
    (void)state;
    refused("{\"operation\": \"start\"}", "field \"operation\": \"start\" is none of \"create\", \"delete\"");
    refused("{\"operation\": 2}", "operation");
    refused("{\"process_id\": \"12\"}", "\"process_id\": expected an integer");
    refused("{\"process_id\": -1}", "process_id");
    refused("{\"process_exit_code\": 4294967296}", "process_exit_code");
    refused("{\"pid\": 1}", "unknown field \"pid\"");
    refused("{\"command_line\": 5}", "\"command_line\": expected a string");
    refused("[1, 2]", "a JSON event is one object");
    refused("{\"process_id\": ", "not JSON: it ends inside a value");
    refused("{\"process_id\": 1} {\"process_id\": 2}", "text after the JSON object, at byte 18");
    refused("{\"uid\": 1}\nx", "text after the JSON object");
    /* A NUL would cut the string the program sees. */
    refused("{\"command_line\": \"rm\\u0000 -rf /\"}", "\"command_line\": contains a NUL");
    refused("{\"image_path\": \"/bin/sh\\u0000\"}", "\"image_path\": contains a NUL");
}

/* The descriptor's builder (what bpfhost test-run --ctx EVENT.json and the fuzzer use). */
static void the_types_json_builder_makes_the_test_run_input(void **state)
{
    (void)state;
    const struct core_prog_type *type = ext_process_type();
    assert_non_null(type->context_from_json);
    struct core_test_input in;
    char err[256] = "";
    assert_int_equal(type->context_from_json("{\"operation\": \"create\", \"creating_process_id\": 5,"
                                             " \"creating_thread_id\": 6, \"uid\": 7, \"command_line\": \"ls -l\","
                                             " \"image_path\": \"/bin/ls\"}",
                                             &in, err, sizeof(err)),
                     0);
    assert_int_equal(in.ctx_size, sizeof(process_md_t));
    const process_md_t *md = in.ctx;
    assert_int_equal(md->creating_process_id, 5);
    assert_int_equal(md->uid, 7);
    assert_int_equal(in.data_size, 13);
    assert_memory_equal(in.data, "ls -l\0/bin/ls", 13);
    assert_int_equal(in.task.process_id, 5);
    assert_int_equal(in.task.thread_id, 6);
    free(in.ctx);
    free(in.data);
    assert_int_equal(type->context_from_json("{\"pid\": 1}", &in, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "unknown field \"pid\""));
    assert_null(in.ctx);
}

static void raw_test_run_input_splits_command_line_and_image(void **state)
{
    (void)state;
    /* Without a NUL the data is all command line, and there is no image path. */
    struct core_object *obj = test_object_load(PROGS, "process_fields", NULL);
    process_md_t md = {.process_id = 9};
    const char data[] = "sleep 1";
    struct core_test_run run = {.ctx_in = &md, .ctx_in_size = sizeof(md), .data_in = data,
                                .data_in_size = strlen(data)};
    assert_int_equal(core_test_run(test_prog_of(obj, "record_fields"), &run), 0);
    uint32_t zero = 0;
    struct seen s;
    assert_int_equal(map_lookup_copy(test_map_of(obj, "seen"), &zero, &s), 0);
    assert_int_equal(s.command_len, 7);
    assert_int_equal(s.image_len, 0);
    assert_int_equal(s.process_id, 9);
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_event_fields_reach_the_program),
        cmocka_unit_test(delete_event_fields_reach_the_program),
        cmocka_unit_test(bad_json_events_are_refused_with_the_field_named),
        cmocka_unit_test(the_types_json_builder_makes_the_test_run_input),
        cmocka_unit_test(raw_test_run_input_splits_command_line_and_image),
    };
    return cmocka_run_group_tests(tests, setup, test_objects_close);
}
