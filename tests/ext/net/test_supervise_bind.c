/*
 * The binds of a supervised tree on real sockets: a permitted bind
 * untouched (IPv4 and IPv6, TCP and UDP, port 0), a denied one failing
 * with EACCES, a redirected one bound and reachable at the new port, a
 * failed one (port taken) reported as such, UNBIND once the socket is
 * closed, a racing thread rewriting the address after the check (it must
 * never reach the denied port), binds through the i386 entry (socketcall
 * and the direct call), io_uring refused, and the article's TraceConnections,
 * unchanged, counting the tree's binds in a map read from here. The
 * binds are made by tests/ext/net/helpers/bind_helper.c, compiled with
 * cc into a temporary directory (test data: no build rule).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static const char *const progs = "tests/ext/net/progs";
static const char *no_supervision;
static unsigned base_port; /* ports of this test: base_port .. base_port + 9 */

enum { MAX_RECORDS = 2048 };

/* A supervisor with one program attached, and what the tree did. */
struct session {
    struct ext_supervisor *sv;
    struct core_object *obj;
    struct core_link *link;
    struct bind_record got[MAX_RECORDS];
    size_t count;
    char output[4096]; /* what the helper wrote */
    int exit_code;
};

static void session_start(struct session *s, const char *prog_file, const char *prog)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(ext_supervisor_create(&s->sv, NULL), 0);
    struct core_hook *hook = ext_supervisor_hook(s->sv, "bind");
    assert_non_null(hook);
    assert_string_equal(core_hook_prog_type(hook), "bind");
    s->obj = test_object_load(progs, prog_file, NULL);
    assert_int_equal(core_hook_attach(hook, test_prog_of(s->obj, prog), NULL, 0, &s->link), 0);
}

static void set_rule(struct session *s, struct bind_rule rule)
{
    uint32_t zero = 0;
    assert_int_equal(map_update_user(test_map_of(s->obj, "rule"), &zero, &rule, 0), 0);
}

static int take_record(void *ctx, void *data, size_t size)
{
    struct session *s = ctx;
    assert_int_equal(size, sizeof(struct bind_record));
    if (s->count < MAX_RECORDS)
        memcpy(&s->got[s->count++], data, size);
    return 0;
}

/* Runs the helper with args under supervision; its output in s->output, the records in s->got. */
static void session_run(struct session *s, const char *const *args)
{
    char *argv[12] = {helper, out};
    for (size_t i = 0; args[i]; i++)
        argv[2 + i] = (char *)args[i];
    unlink(out);
    s->count = 0;
    assert_int_equal(ext_supervisor_run(s->sv, argv, &s->exit_code), 0);
    assert_int_equal(s->exit_code, 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    size_t n = fread(s->output, 1, sizeof(s->output) - 1, f);
    s->output[n] = '\0';
    fclose(f);
    struct core_map *events = core_object_find_map(s->obj, "events");
    if (events)
        ringbuf_consume(core_map_map(events), take_record, s);
}

static void session_end(struct session *s)
{
    core_link_release(s->link);
    ext_supervisor_destroy(s->sv);
    core_object_close(s->obj);
}

/* The n-th (from 0) record of that operation, or NULL. */
static const struct bind_record *find(const struct session *s, uint32_t op, size_t n)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->got[i].operation == op && n-- == 0)
            return &s->got[i];
    return NULL;
}

static void assert_output(const struct session *s, const char *want)
{
    if (!strstr(s->output, want))
        fail_msg("helper output \"%s\" lacks \"%s\"", s->output, want);
}

/* The port in the helper's line "<word> PORT". */
static unsigned output_port(const struct session *s, const char *word)
{
    const char *p = strstr(s->output, word);
    assert_non_null(p);
    return (unsigned)atoi(p + strlen(word) + 1);
}

/* A permitted bind of family and protocol to port 0: untouched, and its three events. */
static void permitted(const char *family, const char *proto)
{
    struct session s;
    session_start(&s, "bind_policy", "policy");
    const char *args[] = {"bind", family, proto, "0", NULL};
    session_run(&s, args);
    unsigned port = output_port(&s, "bound");
    assert_true(port > 0);
    bool tcp = !strcmp(proto, "tcp");
    if (tcp)
        assert_int_equal(output_port(&s, "connected"), port);
    const struct bind_record *b = find(&s, BIND_OPERATION_BIND, 0), *post = find(&s, BIND_OPERATION_POST_BIND, 0),
                             *un = find(&s, BIND_OPERATION_UNBIND, 0);
    assert_non_null(b);
    assert_non_null(post);
    assert_non_null(un);
    assert_int_equal(b->port, 0); /* what the process asked for */
    assert_int_equal(post->port, port);
    assert_int_equal(post->bind_error, 0);
    assert_int_equal(un->port, port);
    bool v6 = !strcmp(family, "6");
    assert_int_equal(b->length, v6 ? 28 : 16);
    uint8_t loop6[16] = {[15] = 1}, loop4[4] = {127, 0, 0, 1};
    assert_memory_equal(b->address, v6 ? loop6 : loop4, v6 ? 16 : 4);
    assert_int_equal(b->protocol, tcp ? IPPROTO_TCP : IPPROTO_UDP);
    assert_int_equal(b->socket_type, tcp ? SOCK_STREAM : SOCK_DGRAM);
    assert_int_equal(b->process_id, b->thread_id); /* its main thread */
    assert_int_equal(b->app_len, strlen(helper));
    assert_memory_equal(b->app, helper, strlen(helper) < BIND_APP_MAX ? strlen(helper) : BIND_APP_MAX);
    assert_int_equal(un->process_id, b->process_id);
    session_end(&s);
}

static void permitted_binds_are_untouched(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    permitted("4", "tcp");
    permitted("4", "udp");
    permitted("6", "tcp");
    permitted("6", "udp");
}

static void a_denied_bind_fails_with_eacces(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s, "bind_policy", "policy");
    set_rule(&s, (struct bind_rule){.deny_port = (uint16_t)base_port});
    char port[16];
    snprintf(port, sizeof(port), "%u", base_port);
    const char *args[] = {"bind", "4", "tcp", port, NULL};
    session_run(&s, args);
    assert_output(&s, "error 13\n"); /* EACCES */
    assert_non_null(find(&s, BIND_OPERATION_BIND, 0));
    assert_null(find(&s, BIND_OPERATION_POST_BIND, 0));
    assert_null(find(&s, BIND_OPERATION_UNBIND, 0));
    struct ext_source_stats st;
    ext_supervisor_stats(s.sv, &st);
    assert_int_equal(st.denied, 1);
    session_end(&s);
}

static void a_redirected_bind_is_reachable_at_the_new_port(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    for (int v6 = 0; v6 < 2; v6++) {
        struct session s;
        session_start(&s, "bind_policy", "policy");
        unsigned from = base_port + 1, to = base_port + 2;
        set_rule(&s, (struct bind_rule){.redirect_from = (uint16_t)from, .redirect_to = (uint16_t)to});
        char port[16];
        snprintf(port, sizeof(port), "%u", from);
        const char *args[] = {"bind", v6 ? "6" : "4", "tcp", port, NULL};
        session_run(&s, args);
        assert_int_equal(output_port(&s, "bound"), to);
        assert_int_equal(output_port(&s, "connected"), to);
        assert_int_equal(find(&s, BIND_OPERATION_BIND, 0)->port, from);
        assert_int_equal(find(&s, BIND_OPERATION_POST_BIND, 0)->port, to);
        assert_int_equal(find(&s, BIND_OPERATION_UNBIND, 0)->port, to);
        session_end(&s);
    }
}

static void a_failed_bind_is_reported_as_such(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s, "bind_policy", "policy");
    char port[16];
    snprintf(port, sizeof(port), "%u", base_port + 3);
    const char *args[] = {"twice", port, NULL};
    session_run(&s, args);
    assert_output(&s, "error 98\n"); /* EADDRINUSE: the kernel's own answer */
    const struct bind_record *first = find(&s, BIND_OPERATION_POST_BIND, 0),
                             *second = find(&s, BIND_OPERATION_POST_BIND, 1);
    assert_non_null(second);
    assert_int_equal(first->bind_error, 0);
    assert_int_equal(second->bind_error, 98);
    assert_int_equal(second->port, base_port + 3);
    /* Only the bound socket is released. */
    assert_non_null(find(&s, BIND_OPERATION_UNBIND, 0));
    assert_null(find(&s, BIND_OPERATION_UNBIND, 1));
    session_end(&s);
}

static void a_closed_socket_is_unbound(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s, "bind_policy", "policy");
    const char *args[] = {"hold", "0", "300", NULL}; /* bind, close, live 300 ms more */
    session_run(&s, args);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.got[0].operation, BIND_OPERATION_BIND);
    assert_int_equal(s.got[1].operation, BIND_OPERATION_POST_BIND);
    assert_int_equal(s.got[2].operation, BIND_OPERATION_UNBIND);
    session_end(&s);
}

static void a_racing_thread_cannot_reach_the_denied_port(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s, "bind_policy", "policy");
    unsigned good = base_port + 4, bad = base_port + 5;
    set_rule(&s, (struct bind_rule){.deny_port = (uint16_t)bad});
    char g[16], b[16];
    snprintf(g, sizeof(g), "%u", good);
    snprintf(b, sizeof(b), "%u", bad);
    const char *args[] = {"race", g, b, "300", NULL};
    session_run(&s, args);
    assert_output(&s, "bound-bad 0\n");
    assert_output(&s, "failed 0 ");
    /* Every bind was either bound to the port the programs saw (good) or denied (they saw bad). */
    unsigned bound = output_port(&s, "\nbound"), denied = output_port(&s, "denied");
    assert_int_equal(bound + denied, 300);
    size_t posts = 0;
    for (size_t i = 0; i < s.count; i++)
        if (s.got[i].operation == BIND_OPERATION_POST_BIND) {
            assert_int_equal(s.got[i].port, good);
            posts++;
        }
    assert_int_equal(posts, bound);
    session_end(&s);
}

static void the_i386_entry_is_covered(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    const char *no_i386 = probe_i386_entry();
    if (no_i386)
        test_skip(no_i386);
    struct session s;
    session_start(&s, "bind_policy", "policy");
    unsigned port = base_port + 7;
    set_rule(&s, (struct bind_rule){.deny_port = (uint16_t)port});
    char p[16];
    snprintf(p, sizeof(p), "%u", port);
    const char *args[] = {"i386", p, NULL};
    session_run(&s, args);
    /* socketcall(SYS_BIND) (its arguments in memory) and the direct bind: both seen, both denied. */
    assert_output(&s, "socketcall error 13\n");
    assert_output(&s, "direct error 13\n");
    assert_non_null(find(&s, BIND_OPERATION_BIND, 1));
    assert_int_equal(find(&s, BIND_OPERATION_BIND, 1)->port, port);
    session_end(&s);
}

/* The supervisor binds with its own rights: it must not lend root's to an unprivileged tree. */
static void an_unprivileged_tree_gets_no_privileged_port(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    if (probe_root())
        test_skip(probe_root());
    const char *unreadable = probe_read_child_memory(65534);
    if (unreadable)
        test_skip(unreadable);
    FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
    unsigned start = 1024;
    if (f) {
        if (fscanf(f, "%u", &start) != 1)
            start = 1024;
        fclose(f);
    }
    if (start <= 80)
        test_skip("net.ipv4.ip_unprivileged_port_start lets anyone bind port 80");
    struct session s;
    session_start(&s, "bind_policy", "policy");
    assert_int_equal(chmod(dir, 0777), 0); /* for its out file */
    char *argv[] = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                    helper, out, "bind", "4", "udp", "80", NULL};
    unlink(out);
    assert_int_equal(ext_supervisor_run(s.sv, argv, &s.exit_code), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(s.exit_code, 0);
    assert_int_equal(subprocess_shell("grep -qx 'error 13' %s", out), 0); /* EACCES, as the kernel answers */
    ringbuf_consume(test_map_of(s.obj, "events"), take_record, &s);
    assert_non_null(find(&s, BIND_OPERATION_BIND, 0));
    assert_int_equal(find(&s, BIND_OPERATION_POST_BIND, 0)->bind_error, 13);
    session_end(&s);
}

static void io_uring_is_refused(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s, "bind_policy", "policy");
    const char *args[] = {"io_uring", NULL};
    session_run(&s, args);
    assert_output(&s, "io_uring error 1\n"); /* EPERM: its IORING_OP_BIND would pass unseen */
    session_end(&s);
}

/* The article's map value. */
struct process_info {
    uint32_t id;
    char name[32];
    uint32_t count;
};

static void article_program_counts_the_binds_of_a_tree(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s, "trace_connections", "TraceConnections");
    char port[16];
    snprintf(port, sizeof(port), "%u", base_port + 6);
    const char *args[] = {"twice", port, NULL};
    session_run(&s, args);
    struct map *m = test_map_of(s.obj, "proc_map");
    uint32_t pid, next;
    assert_int_equal(map_get_next_key(m, NULL, &pid), 0);
    assert_int_not_equal(map_get_next_key(m, &pid, &next), 0); /* one process */
    struct process_info pi;
    assert_int_equal(map_lookup_copy(m, &pid, &pi), 0);
    assert_int_equal(pi.id, pid);
    assert_int_equal(pi.count, 2); /* two BINDs (one failed) */
    assert_memory_equal(pi.name, helper, strlen(helper) < 32 ? strlen(helper) : 32);
    session_end(&s);
}

static int setup(void **state)
{
    (void)state;
    no_supervision = probe_supervision();
    base_port = 20000 + (unsigned)getpid() % 19000; /* 20000..39008: apart from the other bind tests' */
    return bind_helper_setup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(permitted_binds_are_untouched),
        cmocka_unit_test(a_denied_bind_fails_with_eacces),
        cmocka_unit_test(a_redirected_bind_is_reachable_at_the_new_port),
        cmocka_unit_test(a_failed_bind_is_reported_as_such),
        cmocka_unit_test(a_closed_socket_is_unbound),
        cmocka_unit_test(a_racing_thread_cannot_reach_the_denied_port),
        cmocka_unit_test(the_i386_entry_is_covered),
        cmocka_unit_test(an_unprivileged_tree_gets_no_privileged_port),
        cmocka_unit_test(io_uring_is_refused),
        cmocka_unit_test(article_program_counts_the_binds_of_a_tree),
    };
    return cmocka_run_group_tests(tests, setup, bind_helper_teardown);
}
