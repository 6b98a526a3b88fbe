/*
 * What a process program knows of its image's identity, on simulated
 * events (bpfhost test-run's JSON): image_kind by number or name, the
 * device and inode fields, bpf_process_get_cause_path and
 * bpf_process_get_image_sha256 (the digest of the file at the simulated
 * image path on this host), and the JSON errors for these fields.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ext_test.h"
#include "progs/image_identity.h"

static int setup(void **state)
{
    (void)state;
    return ext_register_builtin();
}

/* Test-runs record_identity on the event given as JSON; returns what it saw. */
static struct image_identity run_json(const char *json)
{
    struct image_identity id;
    run_process_json(json, "image_identity", "record_identity", "identity", &id);
    return id;
}

static void identity_of_a_followup(void **state)
{
    (void)state;
    char path[] = "/tmp/bpfhost-identity-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    char json[512];
    snprintf(json, sizeof(json),
             "{\"operation\": \"create\", \"image_kind\": \"script_interpreter\", \"image_device\": 2049,"
             " \"image_inode\": 123456789, \"image_path\": \"%s\", \"cause_path\": \"/opt/run.sh\","
             " \"command_line\": \"/opt/run.sh -x\"}",
             path);
    struct image_identity id = run_json(json);
    unlink(path);
    assert_int_equal(id.kind, PROCESS_IMAGE_SCRIPT_INTERPRETER);
    assert_int_equal(id.device, 2049);
    assert_int_equal(id.inode, 123456789);
    assert_int_equal(id.cause_len, strlen("/opt/run.sh"));
    assert_memory_equal(id.cause, "/opt/run.sh", id.cause_len);
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    assert_int_equal(id.sha256_result, 32);
    assert_memory_equal(id.sha256, abc, 32);
    assert_int_equal(id.short_digest, -EINVAL);
}

static void a_program_has_no_cause_and_a_missing_file_no_digest(void **state)
{
    (void)state;
    struct image_identity id = run_json("{\"operation\": \"create\", \"image_kind\": 0,"
                                        " \"image_path\": \"/nonexistent/bpfhost\"}");
    assert_int_equal(id.kind, PROCESS_IMAGE_PROGRAM);
    assert_int_equal(id.cause_len, 0);
    assert_int_equal(id.sha256_result, -ENOENT);
    id = run_json("{\"operation\": \"delete\", \"process_id\": 7}");
    assert_int_equal(id.sha256_result, -ENOENT);
}

static void bad_identity_fields_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *json, *error;
    } bad[] = {
        {"{\"image_kind\": \"library\"}", "field \"image_kind\": \"library\" is none of"},
        {"{\"image_kind\": 4}", "field \"image_kind\": 4 out of range 0..3"},
        {"{\"image_inode\": -1}", "field \"image_inode\": -1 out of range"},
        {"{\"cause_path\": 5}", "field \"cause_path\": expected a string"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ext_process_event ev;
        char *storage = NULL, err[256] = "";
        assert_int_equal(ext_process_event_from_json(bad[i].json, &ev, &storage, err, sizeof(err)), -EINVAL);
        if (!strstr(err, bad[i].error))
            fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].json, err, bad[i].error);
        free(storage);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_of_a_followup),
        cmocka_unit_test(a_program_has_no_cause_and_a_missing_file_no_digest),
        cmocka_unit_test(bad_identity_fields_are_named),
    };
    return cmocka_run_group_tests(tests, setup, test_objects_close);
}
