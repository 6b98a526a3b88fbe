/*
 * The audit source (hook "process/audit") and the kernel's audit settings:
 * with no audit daemon it registers as the daemon, adds its rules and
 * turns audit on, and at stop leaves the settings as it found them; beside
 * a running daemon (a child of this test registers as one) it reads the
 * read-only group, changes none of the daemon's settings, and still sees
 * each exec's exact argv. The settings are read with raw NETLINK_AUDIT
 * requests, not through bpfhost. Needs root and the kernel's audit (probed).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bpf_objects.h"
#include "common/probes.h"
#include "common/skips.h"
#include "ext/ext.h"
#include "ext/process/progs/netlink_record.h"

enum { SAFETY_ALARM_S = 120 };

/* Sends one request on a new socket and calls on_msg for each answer until the ack or NLMSG_DONE. */
static void audit_request(uint16_t type, const void *payload, size_t len, void (*on_msg)(const struct nlmsghdr *, void *),
                          void *arg)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    assert_true(fd >= 0);
    char req[NLMSG_SPACE(sizeof(struct audit_status))] __attribute__((aligned(8))) = {0};
    struct nlmsghdr *h = (struct nlmsghdr *)req;
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = 1;
    if (len)
        memcpy(NLMSG_DATA(h), payload, len);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    assert_true(sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) >= 0);
    for (bool done = false; !done;) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_true(poll(&p, 1, 2000) == 1);
        static char buf[1 << 16] __attribute__((aligned(8)));
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        assert_true(n > 0);
        size_t left = (size_t)n;
        for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
            if (m->nlmsg_type == NLMSG_DONE || (m->nlmsg_type == NLMSG_ERROR && type != AUDIT_GET &&
                                                 type != AUDIT_LIST_RULES))
                done = true;
            else if (m->nlmsg_type == type)
                on_msg(m, arg), done |= type == AUDIT_GET;
        }
    }
    close(fd);
}

static void copy_status(const struct nlmsghdr *m, void *arg)
{
    memset(arg, 0, sizeof(struct audit_status));
    size_t len = m->nlmsg_len - NLMSG_HDRLEN;
    memcpy(arg, NLMSG_DATA(m), len < sizeof(struct audit_status) ? len : sizeof(struct audit_status));
}

static struct audit_status status_now(void)
{
    struct audit_status st;
    audit_request(AUDIT_GET, NULL, 0, copy_status, &st);
    return st;
}

struct key_count {
    const char *key;
    int count;
};

static void count_key(const struct nlmsghdr *m, void *arg)
{
    struct key_count *k = arg;
    const struct audit_rule_data *r = NLMSG_DATA(m);
    if (r->buflen >= strlen(k->key) && memmem(r->buf, r->buflen, k->key, strlen(k->key)))
        k->count++;
}

/* How many rules carry this process' key. */
static int our_rules(void)
{
    char key[32];
    snprintf(key, sizeof(key), "bpfhost-%d", (int)getpid());
    struct key_count k = {key, 0};
    audit_request(AUDIT_LIST_RULES, NULL, 0, count_key, &k);
    return k.count;
}

static int group_setup(void **state)
{
    (void)state;
    alarm(SAFETY_ALARM_S);
    return ext_register_builtin() == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    alarm(0);
    return test_objects_close(state);
}

static const char *missing(void)
{
    const char *why = probe_root();
    if (!why)
        why = probe_proc_connector();
    if (!why)
        why = probe_audit();
    return why;
}

static struct core_object *obj;
static struct core_link *attached;

static void attach(void)
{
    obj = test_object_load("tests/ext/process/progs", "netlink_record", NULL);
    assert_int_equal(core_hook_attach(core_hook_find(EXT_PROCESS_HOOK_AUDIT), test_prog_of(obj, "record_event"), NULL,
                                      0, &attached),
                     0);
}

static int detach(void **state)
{
    (void)state;
    if (attached) {
        core_link_detach(attached);
        core_link_release(attached);
        attached = NULL;
    }
    core_object_close(obj);
    obj = NULL;
    return 0;
}

static void settings_are_restored_when_the_source_stops(void **state)
{
    (void)state;
    const char *why = missing();
    if (why)
        test_skip(why);
    struct audit_status before = status_now();
    if (before.pid)
        test_skip("an audit daemon runs: this test is about a machine without one");
    assert_int_equal(our_rules(), 0);
    attach();
    struct audit_status during = status_now();
    assert_int_equal(during.pid, getpid()); /* the source is the audit daemon */
    assert_int_equal(during.enabled, 1);
    assert_true(during.backlog_limit >= before.backlog_limit);
    assert_int_equal(our_rules(), 2); /* x86-64 and i386 */
    detach(NULL);
    struct audit_status after = status_now();
    assert_int_equal(after.pid, before.pid);
    assert_int_equal(after.enabled, before.enabled);
    assert_int_equal(after.backlog_limit, before.backlog_limit);
    assert_int_equal(our_rules(), 0);
}

/* In a child: registers as the audit daemon and reads (and drops) records until killed. */
static void run_fake_daemon(int ready)
{
    /* A failed assertion in the parent leaves no daemon behind holding the kernel's audit. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
        _exit(1);
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    char req[NLMSG_SPACE(sizeof(struct audit_status))] __attribute__((aligned(8))) = {0};
    struct nlmsghdr *h = (struct nlmsghdr *)req;
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof(struct audit_status));
    h->nlmsg_type = AUDIT_SET;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    struct audit_status st = {.mask = AUDIT_STATUS_PID, .pid = (uint32_t)getpid()};
    memcpy(NLMSG_DATA(h), &st, sizeof(st));
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (fd < 0 || sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        _exit(1);
    char c = 1;
    if (write(ready, &c, 1) != 1)
        _exit(1);
    for (;;) {
        static char buf[1 << 16];
        if (recv(fd, buf, sizeof(buf), 0) < 0 && errno != EINTR)
            _exit(2);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int on_record(void *ctx, void *data, size_t size)
{
    assert_int_equal(size, sizeof(struct netlink_event));
    struct netlink_event *want = ctx, e;
    memcpy(&e, data, sizeof(e));
    if (e.process_id == want->process_id && e.operation == PROCESS_OPERATION_CREATE)
        *want = e;
    return 0;
}

static void beside_a_running_audit_daemon(void **state)
{
    (void)state;
    const char *why = missing();
    if (why)
        test_skip(why);
    if (status_now().pid)
        test_skip("an audit daemon already runs");
    int ready[2];
    assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
    pid_t daemon = fork();
    assert_true(daemon >= 0);
    if (daemon == 0)
        run_fake_daemon(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    close(ready[1]);
    for (int i = 0; i < 100 && status_now().pid != (uint32_t)daemon; i++)
        sleep_ms(10);
    assert_int_equal(status_now().pid, daemon);

    uint64_t cursor = core_trace_tail();
    attach();
    char line[CORE_TRACE_LINE_MAX];
    bool beside = false;
    while (!beside && core_trace_follow(&cursor, line, sizeof(line), 500) >= 0)
        beside = strstr(line, "reading beside the audit daemon") != NULL;
    assert_true(beside);
    assert_int_equal(status_now().pid, daemon); /* not taken over */
    assert_int_equal(our_rules(), 2);

    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        execl("/bin/sh", "/bin/sh", "-c", "exit 9", "beside \"the\" daemon", (char *)NULL);
        _exit(127);
    }
    uint32_t key = (uint32_t)child, yes = 1;
    assert_int_equal(map_update_user(test_map_of(obj, "watched"), &key, &yes, MAP_ANY), 0);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    struct netlink_event seen = {.process_id = (uint32_t)child};
    for (int i = 0; i < 500 && !seen.command_len; i++) {
        ringbuf_consume(test_map_of(obj, "events"), on_record, &seen);
        if (!seen.command_len)
            sleep_ms(10);
    }
    const char *want = "/bin/sh -c exit 9 beside \"the\" daemon";
    assert_int_equal(seen.command_len, strlen(want));
    assert_memory_equal(seen.command_line, want, strlen(want));

    detach(NULL);
    assert_int_equal(status_now().pid, daemon);
    assert_int_equal(our_rules(), 0);
    kill(daemon, SIGKILL);
    waitpid(daemon, NULL, 0);
    /* The kernel tests the dead daemon's connection when another registers: register, then leave. */
    struct audit_status me = {.mask = AUDIT_STATUS_PID, .pid = (uint32_t)getpid()};
    audit_request(AUDIT_SET, &me, sizeof(me), copy_status, &me);
    me = (struct audit_status){.mask = AUDIT_STATUS_PID, .pid = 0};
    audit_request(AUDIT_SET, &me, sizeof(me), copy_status, &me);
    assert_int_equal(status_now().pid, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(settings_are_restored_when_the_source_stops, detach),
        cmocka_unit_test_teardown(beside_a_running_audit_daemon, detach),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
