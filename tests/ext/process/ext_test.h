/*
 * Shared by the ext tests: running a process program of tests/ext/process/progs on
 * a simulated event given as JSON (what bpfhost test-run --ctx does).
 * Include after cmocka.h.
 */
#ifndef BPFHOST_TESTS_EXT_TEST_H
#define BPFHOST_TESTS_EXT_TEST_H

#include <stdint.h>
#include <stdlib.h>

#include "common/bpf_objects.h"
#include "ext/ext.h"

/*
 * Test-runs program prog of tests/ext/process/progs/<name>.c on the event json
 * (must succeed, returning 0) and copies entry 0 of its array map map into
 * value.
 */
static inline void run_process_json(const char *json, const char *name, const char *prog, const char *map,
                                    void *value)
{
    struct ext_process_event ev;
    char *storage, err[256];
    if (ext_process_event_from_json(json, &ev, &storage, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    uint8_t *data;
    long size = ext_process_test_input(&ev, &data);
    assert_true(size >= 0);
    struct core_object *obj = test_object_load("tests/ext/process/progs", name, NULL);
    struct core_test_run run = {.ctx_in = &ev.md, .ctx_in_size = sizeof(ev.md), .data_in = data,
                                .data_in_size = (size_t)size, .task = &ev.task};
    assert_int_equal(core_test_run(test_prog_of(obj, prog), &run), 0);
    assert_int_equal(run.retval, 0);
    uint32_t zero = 0;
    assert_int_equal(map_lookup_copy(test_map_of(obj, map), &zero, value), 0);
    core_object_close(obj);
    free(data);
    free(storage);
}

#endif
