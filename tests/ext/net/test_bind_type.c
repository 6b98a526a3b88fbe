/*
 * The bind program type without sockets: the article's TraceConnections
 * (tests/ext/net/progs/trace_connections.c, seed 001's code unchanged)
 * compiled against include/ and run on simulated events, simulated events
 * from JSON (unknown fields named), the verifier's rules of the type (a
 * read-only field written, a return out of range), and the dispatch's
 * rules (any denial wins, the first redirect is taken, every program sees
 * the event's own address).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bpf_compile.h"
#include "common/bpf_objects.h"
#include "ext/ext.h"
#include "ext/net/net.h"
#include "ext/net/progs/bind_event.h"
#include "maps/maps.h"

static const char *const progs = "tests/ext/net/progs";

/* The article's map value. */
struct process_info {
    uint32_t id;
    char name[32];
    uint32_t count;
};

/* Test-runs prog of obj on the JSON event; returns its return value. */
static uint64_t run_json(struct core_object *obj, const char *prog, const char *json)
{
    struct core_test_input in;
    char err[256];
    if (ext_bind_type()->context_from_json(json, &in, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct core_test_run run = {.ctx_in = in.ctx, .ctx_in_size = in.ctx_size, .data_in = in.data,
                                .data_in_size = in.data_size, .task = &in.task};
    assert_int_equal(core_test_run(test_prog_of(obj, prog), &run), 0);
    free(in.ctx);
    free(in.data);
    return run.retval;
}

static void article_program_counts_binds_per_process(void **state)
{
    (void)state;
    struct core_object *obj = test_object_load(progs, "trace_connections", NULL);
    const char *bind = "{\"operation\": \"bind\", \"process_id\": 4242, \"address\": \"127.0.0.1\", \"port\": 80, "
                       "\"protocol\": \"tcp\", \"app_id\": \"/usr/lib/a-very-long-directory-name/server\"}";
    assert_int_equal(run_json(obj, "TraceConnections", bind), BIND_PERMIT);
    assert_int_equal(run_json(obj, "TraceConnections", bind), BIND_PERMIT);
    /* Only BIND_OPERATION_BIND counts. */
    assert_int_equal(run_json(obj, "TraceConnections", "{\"operation\": \"post_bind\", \"process_id\": 4242}"), 0);
    assert_int_equal(run_json(obj, "TraceConnections", "{\"operation\": 2, \"process_id\": 7}"), 0);
    struct process_info pi;
    uint32_t pid = 4242;
    assert_int_equal(map_lookup_copy(test_map_of(obj, "proc_map"), &pid, &pi), 0);
    assert_int_equal(pi.id, 4242);
    assert_int_equal(pi.count, 2);
    assert_memory_equal(pi.name, "/usr/lib/a-very-long-directory-", 31); /* the first 32 bytes of the app id */
    pid = 7;
    assert_int_not_equal(map_lookup_copy(test_map_of(obj, "proc_map"), &pid, &pi), 0);
    core_object_close(obj);
}

static void json_events_fill_the_context(void **state)
{
    (void)state;
    struct ext_bind_event ev;
    char *storage, err[256];
    assert_int_equal(ext_bind_event_from_json("{\"operation\": \"post_bind\", \"process_id\": 9, \"thread_id\": 10, "
                                              "\"address\": \"fe80::1\", \"port\": 5353, \"ipv6_scope_id\": 3, "
                                              "\"protocol\": \"udp\", \"socket_type\": \"dgram\", "
                                              "\"bind_error\": 98, \"app_id\": \"/bin/x\"}",
                                              &ev, &storage, err, sizeof(err)),
                     0);
    assert_int_equal(ev.md.operation, BIND_OPERATION_POST_BIND);
    assert_int_equal(ev.md.process_id, 9);
    assert_int_equal(ev.md.thread_id, 10);
    assert_int_equal(ev.md.socket_address_length, 28);
    uint16_t family, port;
    memcpy(&family, ev.md.socket_address, 2);
    memcpy(&port, ev.md.socket_address + 2, 2);
    assert_int_equal(family, AF_INET6);
    assert_int_equal(port, htons(5353)); /* network order, as in eBPF for Windows */
    uint8_t fe80[16] = {0xfe, 0x80, [15] = 1};
    assert_memory_equal(ev.md.ipv6_address, fe80, 16);
    assert_int_equal(ev.md.ipv6_scope_id, 3);
    assert_int_equal(ev.md.protocol, IPPROTO_UDP);
    assert_int_equal(ev.md.ip_protocol, IPPROTO_UDP);
    assert_int_equal(ev.md.socket_type, SOCK_DGRAM);
    assert_int_equal(ev.md.bind_error, 98);
    assert_int_equal(ev.app_id_len, 6);
    assert_memory_equal(ev.app_id, "/bin/x", 6);
    assert_int_equal(ev.task.thread_id, 10);
    free(storage);
    /* A protocol wider than a byte (MPTCP) is in ip_protocol; protocol does not pass it for another (TCP). */
    assert_int_equal(ext_bind_event_from_json("{\"protocol\": 262}", &ev, &storage, err, sizeof(err)), 0);
    assert_int_equal(ev.md.ip_protocol, 262);
    assert_int_equal(ev.md.protocol, 0);
    free(storage);

    assert_int_equal(ext_bind_event_from_json("{\"address\": \"10.1.2.3\", \"port\": 443}", &ev, &storage, err,
                                              sizeof(err)),
                     0);
    assert_int_equal(ev.md.socket_address_length, 16);
    struct sockaddr_in in;
    memcpy(&in, ev.md.socket_address, sizeof(in));
    assert_int_equal(in.sin_family, AF_INET);
    assert_int_equal(in.sin_port, htons(443));
    assert_int_equal(in.sin_addr.s_addr, htonl(0x0a010203));
    assert_null(ev.app_id);
    free(storage);
}

/* The JSON must fail with a message containing want. */
static void json_refused(const char *json, const char *want)
{
    struct ext_bind_event ev;
    char *storage = NULL, err[256] = "";
    assert_int_equal(ext_bind_event_from_json(json, &ev, &storage, err, sizeof(err)), -EINVAL);
    assert_null(storage);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void bad_json_is_refused_naming_the_field(void **state)
{
    (void)state;
    json_refused("{\"operation\": \"bind\", \"prot\": 6}", "unknown field \"prot\"");
    json_refused("{\"operation\": \"listen\"}", "field \"operation\": \"listen\" is none of");
    json_refused("{\"operation\": 3}", "field \"operation\": 3 out of range 0..2");
    json_refused("{\"port\": 65536}", "field \"port\": 65536 out of range");
    json_refused("{\"address\": \"localhost\"}", "field \"address\": \"localhost\" is neither");
    json_refused("{\"app_id\": \"a\\u0000b\"}", "field \"app_id\": contains a NUL");
    json_refused("[1]", "a JSON event is one object");
    json_refused("{\"port\": 1} x", "text after the JSON object");
}

/* Loading name must fail with a reason containing want. */
static void load_refused(const char *name, const char *want)
{
    struct bpf_elf_object *elf = test_object_open(progs, name);
    struct core_object *obj = NULL;
    char err[1024] = "";
    assert_int_not_equal(core_object_load(elf, NULL, &obj, err, sizeof(err)), 0);
    assert_null(obj);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void verifier_enforces_the_type(void **state)
{
    (void)state;
    load_refused("writes_process_id", "not writable");
    load_refused("returns_out_of_range", "outside [0, 2]");
}

/* ------------------------------------------------------------------------ */
/* Dispatch.                                                                */

static struct core_object *attach_policy(struct core_hook *hook, struct bind_rule rule, struct core_link **link)
{
    struct core_object *obj = test_object_load(progs, "bind_policy", NULL);
    uint32_t zero = 0;
    assert_int_equal(map_update_user(test_map_of(obj, "rule"), &zero, &rule, 0), 0);
    assert_int_equal(core_hook_attach(hook, test_prog_of(obj, "policy"), NULL, 0, link), 0);
    return obj;
}

static int take_port(void *ctx, void *data, size_t size)
{
    assert_int_equal(size, sizeof(struct bind_record));
    *(uint16_t *)ctx = ((const struct bind_record *)data)->port;
    return 0;
}

/* The port the policy in obj recorded last. */
static uint16_t seen_port(struct core_object *obj)
{
    uint16_t port = 0;
    ringbuf_consume(test_map_of(obj, "events"), take_port, &port);
    return port;
}

static void dispatch_denies_and_redirects(void **state)
{
    (void)state;
    struct core_hook *hook;
    struct core_hook_desc desc = {.name = "bind/test", .prog_type = "bind"};
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    struct core_link *l1, *l2;
    struct core_object *redirect = attach_policy(hook, (struct bind_rule){.redirect_from = 80, .redirect_to = 8080},
                                                 &l1);
    struct core_object *deny = attach_policy(hook, (struct bind_rule){.deny_port = 22}, &l2);
    struct ext_bind_event ev = {.md = {.operation = BIND_OPERATION_BIND, .process_id = 1}};
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(80)};
    assert_int_equal(ext_bind_md_from_sockaddr(&ev.md, AF_INET, &in, sizeof(in)), 0);

    struct ext_bind_verdict v;
    assert_int_equal(ext_bind_dispatch(hook, &ev, &v), 2);
    assert_true(v.redirected);
    assert_false(v.denied);
    uint16_t port;
    memcpy(&port, v.redirect.socket_address + 2, 2);
    assert_int_equal(ntohs(port), 8080);
    /* The second program saw the event's own port, not the first one's rewrite. */
    assert_int_equal(seen_port(redirect), 80);
    assert_int_equal(seen_port(deny), 80);

    in.sin_port = htons(22);
    assert_int_equal(ext_bind_md_from_sockaddr(&ev.md, AF_INET, &in, sizeof(in)), 0);
    assert_int_equal(ext_bind_dispatch(hook, &ev, &v), 2);
    assert_true(v.denied);
    assert_false(v.redirected);

    /* Returns on the other operations are ignored. */
    ev.md.operation = BIND_OPERATION_UNBIND;
    assert_int_equal(ext_bind_dispatch(hook, &ev, &v), 2);
    assert_false(v.denied);
    assert_int_equal(v.denials, 0);

    core_link_release(l1);
    core_link_release(l2);
    core_hook_unregister(hook);
    core_object_close(redirect);
    core_object_close(deny);
}

static int setup(void **state)
{
    (void)state;
    return ext_register_builtin();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(article_program_counts_binds_per_process),
        cmocka_unit_test(json_events_fill_the_context),
        cmocka_unit_test(bad_json_is_refused_naming_the_field),
        cmocka_unit_test(verifier_enforces_the_type),
        cmocka_unit_test(dispatch_denies_and_redirects),
    };
    return cmocka_run_group_tests(tests, setup, test_objects_close);
}
