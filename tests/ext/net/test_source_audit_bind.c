/*
 * The system-wide bind source (hook "bind", the kernel's audit) on real
 * sockets: binds of a process outside any tree reach the programs as BIND
 * then POST_BIND, with the process, its image, the address, the port
 * chosen for port 0 and the error of a failed bind; a program's
 * BIND_DENY stops nothing (observed after the fact). Needs root and the
 * kernel's audit (probed, skipped with the reason otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bpf_compile.h"
#include "common/bpf_objects.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"
#include "ext/ext.h"
#include "ext/net/bind_helper.h"
#include "ext/net/progs/bind_event.h"
#include "maps/maps.h"

static const char *no_audit;

enum { MAX_RECORDS = 256 };

struct seen {
    struct bind_record got[MAX_RECORDS];
    size_t count;
    uint32_t pid; /* the process whose records are kept: every bind of the machine comes (other tests too) */
};

static int take_record(void *ctx, void *data, size_t size)
{
    struct seen *s = ctx;
    struct bind_record r;
    if (size != sizeof(r))
        return 0;
    memcpy(&r, data, size);
    if (r.process_id == s->pid && s->count < MAX_RECORDS)
        s->got[s->count++] = r;
    return 0;
}

/* The records of pid's events, waiting until want of them came (or 5 s). */
static void wait_for(struct map *events, struct seen *s, uint32_t pid, size_t want, struct seen *mine)
{
    mine->count = 0;
    s->count = 0;
    s->pid = pid;
    for (int i = 0; i < 500 && mine->count < want; i++) {
        ringbuf_consume(events, take_record, s);
        mine->count = 0;
        for (size_t j = 0; j < s->count; j++)
            if (s->got[j].process_id == pid)
                mine->got[mine->count++] = s->got[j];
        if (mine->count < want)
            usleep(10000);
    }
}

/* Runs the helper with args outside any tree; its pid, once it has exited; its output in output. */
static uint32_t run_helper(const char *const *args, char *output, size_t cap)
{
    char *argv[12] = {helper, out};
    for (size_t i = 0; args[i]; i++)
        argv[2 + i] = (char *)args[i];
    struct subprocess_live live;
    assert_int_equal(subprocess_start(argv, &live), 0);
    uint32_t pid = (uint32_t)live.pid;
    assert_int_equal(subprocess_stop(&live, 0), 0);
    subprocess_live_free(&live);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    size_t n = fread(output, 1, cap - 1, f);
    output[n] = '\0';
    fclose(f);
    return pid;
}

static void every_bind_is_observed_with_its_outcome(void **state)
{
    (void)state;
    if (no_audit)
        test_skip(no_audit);
    struct core_hook *hook = core_hook_find(EXT_BIND_HOOK);
    assert_non_null(hook);
    struct core_object *obj = test_object_load("tests/ext/net/progs", "bind_policy", NULL);
    unsigned port = 40000 + (unsigned)getpid() % 10000; /* 40000..50001: apart from the other bind tests' */
    struct bind_rule rule = {.deny_port = (uint16_t)port};
    uint32_t zero = 0;
    assert_int_equal(map_update_user(test_map_of(obj, "rule"), &zero, &rule, 0), 0);
    struct core_link *link;
    assert_int_equal(core_hook_attach(hook, test_prog_of(obj, "policy"), NULL, 0, &link), 0);
    struct ext_source_stats st;
    assert_int_equal(ext_source_stats(EXT_BIND_HOOK, &st), 0);
    assert_true(st.running);

    char output[512], p[16];
    static struct seen all, mine;
    /* A bind the program denies: observed, so it happens; the process keeps its socket a while, so
     * the source reads its protocol. */
    snprintf(p, sizeof(p), "%u", port);
    const char *kept[] = {"keep", "4", "tcp", p, "500", NULL};
    uint32_t pid = run_helper(kept, output, sizeof(output));
    assert_int_equal((unsigned)atoi(strstr(output, "bound ") + 6), port);
    wait_for(test_map_of(obj, "events"), &all, pid, 2, &mine);
    if (mine.count != 2)
        fail_msg("%zu records of pid %u, %zu in all", mine.count, pid, all.count);
    assert_int_equal(mine.got[0].operation, BIND_OPERATION_BIND);
    assert_int_equal(mine.got[0].port, port);
    assert_int_equal(mine.got[0].length, 16);
    assert_int_equal(mine.got[0].protocol, IPPROTO_TCP);
    assert_int_equal(mine.got[0].socket_type, SOCK_STREAM);
    assert_int_equal(mine.got[0].app_len, strlen(helper));
    assert_memory_equal(mine.got[0].app, helper, strlen(helper) < BIND_APP_MAX ? strlen(helper) : BIND_APP_MAX);
    assert_int_equal(mine.got[1].operation, BIND_OPERATION_POST_BIND);
    assert_int_equal(mine.got[1].bind_error, 0);

    /* A failed bind: POST_BIND carries the error. */
    snprintf(p, sizeof(p), "%u", port + 1);
    const char *twice[] = {"twice", p, NULL};
    pid = run_helper(twice, output, sizeof(output));
    assert_non_null(strstr(output, "error 98\n"));
    wait_for(test_map_of(obj, "events"), &all, pid, 4, &mine);
    assert_int_equal(mine.count, 4);
    assert_int_equal(mine.got[1].bind_error, 0);
    assert_int_equal(mine.got[3].operation, BIND_OPERATION_POST_BIND);
    assert_int_equal(mine.got[3].bind_error, 98);
    assert_int_equal(mine.got[3].port, port + 1);

    /* Port 0: POST_BIND has the port the kernel chose. */
    const char *ephemeral[] = {"keep", "6", "udp", "0", "500", NULL};
    pid = run_helper(ephemeral, output, sizeof(output));
    wait_for(test_map_of(obj, "events"), &all, pid, 2, &mine);
    assert_int_equal(mine.count, 2);
    assert_int_equal(mine.got[0].port, 0);
    assert_int_equal(mine.got[0].length, 28);
    assert_int_equal(mine.got[1].port, (unsigned)atoi(strstr(output, "bound ") + 6));

    core_link_release(link);
    assert_int_equal(ext_source_stats(EXT_BIND_HOOK, &st), 0);
    assert_false(st.running);
    core_object_close(obj);
}

static int setup(void **state)
{
    (void)state;
    no_audit = probe_root();
    if (!no_audit)
        no_audit = probe_audit();
    return bind_helper_setup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_bind_is_observed_with_its_outcome),
    };
    return cmocka_run_group_tests(tests, setup, bind_helper_teardown);
}
