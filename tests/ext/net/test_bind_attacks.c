/*
 * An attacker's review of the bind hook (issue 15): each test is one way
 * around a bind policy, tried by a hostile process of a supervised tree
 * (tests/ext/net/attack/attacker.c, compiled with cc into a temporary
 * directory), and asserts the SAFE outcome. A test that fails is a hole;
 * the report of branch rbind names each with the fix it recommends.
 *
 * Policies: tests/ext/net/progs/bind_policy.c (denies one port, redirects
 * another, records every event) and the programs of
 * tests/ext/net/attack/progs (a path rule, a program meddling after the
 * bind, programs the verifier must refuse).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/bpf_compile.h"
#include "common/bpf_objects.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"
#include "ext/ext.h"
#include "ext/net/progs/bind_event.h"
#include "maps/maps.h"

static const char *const policy_progs = "tests/ext/net/progs";
static const char *const attack_progs = "tests/ext/net/attack/progs";
static const char *no_supervision;
static unsigned bad_port, good_port; /* the port the policy denies, one it permits */
static char dir[PATH_MAX], attacker[PATH_MAX + 16], out[PATH_MAX + 16];

enum { NOBODY = 65534, MAX_EVENTS = 512 };

/* A supervised tree under one program, and what its attacker wrote. */
struct tree {
    struct ext_supervisor *sv;
    struct core_object *obj;
    struct core_link *link;
    struct bind_record events[MAX_EVENTS]; /* what bind_policy recorded */
    size_t event_count;
    char said[8192];
    int run_error, exit_code;
};

/* What the tree of the test under way holds, so that a failed test's teardown can release it. */
static struct {
    struct ext_supervisor *sv;
    struct core_object *obj;
    struct core_link *link;
} open_tree;

/* A tree whose bind hook runs prog of progs_dir/file; with bind_policy, bad_port is denied. */
static void tree_start(struct tree *t, const char *progs_dir, const char *file, const char *prog)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(ext_supervisor_create(&open_tree.sv, NULL), 0);
    t->sv = open_tree.sv;
    t->obj = open_tree.obj = test_object_load(progs_dir, file, NULL);
    struct core_hook *hook = ext_supervisor_hook(t->sv, "bind");
    assert_int_equal(core_hook_attach(hook, test_prog_of(t->obj, prog), NULL, 0, &open_tree.link), 0);
    t->link = open_tree.link;
    struct core_map *rule = core_object_find_map(t->obj, "rule");
    if (rule) {
        struct bind_rule r = {.deny_port = (uint16_t)bad_port};
        uint32_t zero = 0;
        assert_int_equal(map_update_user(core_map_map(rule), &zero, &r, 0), 0);
    }
}

/* Releases the open tree, if any (each test's teardown: a failed assertion leaves it open). */
static int tree_release(void **state)
{
    (void)state;
    core_link_release(open_tree.link);
    ext_supervisor_destroy(open_tree.sv);
    core_object_close(open_tree.obj);
    memset(&open_tree, 0, sizeof(open_tree));
    return 0;
}

static void tree_end(struct tree *t)
{
    (void)t; /* the open tree is t's */
    tree_release(NULL);
}

static int take_event(void *ctx, void *data, size_t size)
{
    struct tree *t = ctx;
    if (size == sizeof(struct bind_record) && t->event_count < MAX_EVENTS)
        memcpy(&t->events[t->event_count++], data, size);
    return 0;
}

/* Reads what the attacker wrote and the events the policy recorded. */
static void tree_collect(struct tree *t)
{
    t->said[0] = '\0';
    FILE *f = fopen(out, "r");
    if (f) {
        size_t n = fread(t->said, 1, sizeof(t->said) - 1, f);
        t->said[n] = '\0';
        fclose(f);
    }
    struct core_map *events = core_object_find_map(t->obj, "events");
    if (events)
        ringbuf_consume(core_map_map(events), take_event, t);
}

/* Runs argv (the command line, NULL-terminated) in the tree; collects. */
static void tree_run_argv(struct tree *t, char *const argv[])
{
    unlink(out);
    t->run_error = ext_supervisor_run(t->sv, argv, &t->exit_code);
    tree_collect(t);
}

/* Runs "attacker OUT args..." in the tree, as user uid (NOBODY through setpriv, or 0: as we are). */
static void tree_attack(struct tree *t, uid_t uid, const char *const *args)
{
    char *argv[24] = {0};
    size_t n = 0;
    char reuid[32], regid[32];
    if (uid) {
        snprintf(reuid, sizeof(reuid), "--reuid=%u", (unsigned)uid);
        snprintf(regid, sizeof(regid), "--regid=%u", (unsigned)uid);
        char *prefix[] = {"/usr/bin/setpriv", reuid, regid, "--clear-groups", "--"};
        for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
            argv[n++] = prefix[i];
    }
    argv[n++] = attacker;
    argv[n++] = out;
    for (size_t i = 0; args[i] && n < 23; i++)
        argv[n++] = (char *)args[i];
    tree_run_argv(t, argv);
}

/* The number after "key " in what the attacker said, or -1 if it did not say it. */
static long said(const struct tree *t, const char *key)
{
    size_t len = strlen(key);
    for (const char *p = t->said; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, key, len) && p[len] == ' ')
            return strtol(p + len + 1, NULL, 10);
    return -1;
}

static void assert_said(const struct tree *t, const char *key, long want)
{
    long got = said(t, key);
    if (got != want)
        fail_msg("attacker said \"%s\" %ld, safe is %ld; all it said:\n%s", key, got, want, t->said);
}

/* The number of events of operation op the policy recorded. */
static size_t events_of(const struct tree *t, uint32_t op)
{
    size_t n = 0;
    for (size_t i = 0; i < t->event_count; i++)
        n += t->events[i].operation == op;
    return n;
}

static char *port_text(unsigned port)
{
    static char text[4][16];
    static int next;
    char *s = text[next++ % 4];
    snprintf(s, 16, "%u", port);
    return s;
}

/* One attack run as ourselves under bind_policy (bad_port denied). */
static void attack(struct tree *t, const char *const *args)
{
    tree_start(t, policy_progs, "bind_policy", "policy");
    tree_attack(t, 0, args);
}

/* What the attacker must say: key and value (below: any value from 0 to below it); the list ends at a NULL key. */
struct want {
    const char *key;
    long value;
    bool below;
};

/* Entries of a want list. */
#define SAYS(key, value) {(key), (value), false}
#define SAYS_BELOW(key, value) {(key), (value), true}
#define END_OF_WANTS {NULL, 0, false}

/* One attack run as ourselves under bind_policy; each of wants must hold. */
static void attack_expecting(const char *const *args, const struct want *wants)
{
    struct tree t;
    attack(&t, args);
    for (; wants->key; wants++) {
        long got = said(&t, wants->key);
        if (wants->below && (got < 0 || got >= wants->value))
            fail_msg("attacker said \"%s\" %ld, safe is below %ld; all it said:\n%s", wants->key, got, wants->value,
                     t.said);
        if (!wants->below)
            assert_said(&t, wants->key, wants->value);
    }
    tree_end(&t);
}

#define SUPERVISED()                                                                                               \
    do {                                                                                                           \
        if (no_supervision)                                                                                        \
            test_skip(no_supervision);                                                                             \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Time of check to time of use.                                            */

/*
 * A socket of another family (AF_UNIX) handed back to the kernel with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE has its descriptor looked up again:
 * another thread that dup2()s an AF_INET socket onto it in between got
 * that socket bound by the kernel, unseen, to any port. Safe: never.
 */
static void a_descriptor_swapped_after_the_check_binds_nothing_unseen(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"fdswap", port_text(bad_port), "500", NULL};
    attack_expecting(args, (const struct want[]){SAYS("bound-bad", 0), END_OF_WANTS});
}

/*
 * How AF_UNIX binds go since (bind_other_family.c): a path by the kernel
 * if no other thread shares the file table, else denied; an abstract
 * address bound by the supervisor, threads or not.
 */
static void af_unix_binds_go_through_unless_the_table_is_shared(void **state)
{
    (void)state;
    SUPERVISED();
    const char *alone[] = {"unix", "0", NULL};
    attack_expecting(alone, (const struct want[]){SAYS("bound", 0), END_OF_WANTS});
    const char *shared[] = {"unix", "1", NULL};
    attack_expecting(shared, (const struct want[]){SAYS("error", EACCES), END_OF_WANTS});
    const char *abstract[] = {"unix", "2", NULL};
    attack_expecting(abstract, (const struct want[]){SAYS("bound", 0), END_OF_WANTS});
}

/* A thread rewriting the address in memory shared with another process (not a thread): no effect. */
static void another_process_rewriting_the_address_reaches_nothing(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    const char *args[] = {"shared", port_text(good_port), port_text(bad_port), "300", NULL};
    attack(&t, args);
    assert_said(&t, "bound-bad", 0);
    assert_true(said(&t, "bound") > 0);
    tree_end(&t);
}

/* The address unmapped and mapped again while the supervisor reads it: EFAULT or the address read, never more. */
static void unmapping_the_address_mid_call_reaches_nothing(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"unmap", port_text(bad_port), "300", NULL};
    attack_expecting(args,
                     (const struct want[]){SAYS("bound-bad", 0), SAYS("other", 0), SAYS("crashed", 0), END_OF_WANTS});
}

/* ------------------------------------------------------------------------ */
/* Ports without bind().                                                    */

/*
 * listen() on an unbound TCP socket gives it a port with no bind(): safe
 * is that the programs see it (a BIND event) or the call fails. (connect()
 * or sendto() on an unbound UDP socket do the same: a documented limit,
 * their tests are out until it is closed.)
 */
static void an_implicit_bind_is_seen(void **state)
{
    SUPERVISED();
    const char *how = *state;
    struct tree t;
    const char *args[] = {"implicit", how, NULL};
    attack(&t, args);
    long port = said(&t, "port");
    if (port > 0 && events_of(&t, BIND_OPERATION_BIND) == 0)
        fail_msg("%s() gave the tree port %ld and the programs saw no bind", how, port);
    tree_end(&t);
}

/* One test per way of binding implicitly (its name says which; the state is the way). */
#define IMPLICIT_TEST(name, how) {#name, an_implicit_bind_is_seen, NULL, tree_release, how}

/* ------------------------------------------------------------------------ */
/* Entries, processes and threads.                                          */

/*
 * x32's bind reaches no denied port. A kernel without x32 answers ENOSYS:
 * there x32 is left out of the filter, so the supervisor performs no x32
 * bind (it once did, for a permitted port: an address below 4 GiB).
 */
static void the_x32_entry_binds_nothing_unseen(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    const char *args[] = {"x32", port_text(bad_port), NULL};
    attack(&t, args);
    if (said(&t, "error") <= 0)
        fail_msg("x32 bind: %s", t.said);
    tree_end(&t);
    /* Where the kernel does not run x32, no x32 bind is performed for the tree, not even of a permitted port. */
#ifdef __x86_64__
    errno = 0;
    if (syscall(0x40000000L | SYS_getpid) < 0 && errno == ENOSYS) {
        const char *good[] = {"x32", port_text(good_port), NULL};
        attack_expecting(good, (const struct want[]){SAYS("error", ENOSYS), END_OF_WANTS});
    }
#endif
}

static void threads_vfork_and_clone3_children_are_supervised(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"children", port_text(bad_port), NULL};
    attack_expecting(args, (const struct want[]){SAYS("thread error", EACCES), SAYS("vfork error", EACCES),
                                                 SAYS("clone3 error", EACCES), END_OF_WANTS});
}

/* The supervisor takes the socket from the calling thread's own file table, not its process's. */
static void a_thread_with_its_own_file_table_binds_its_own_socket(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"unshared-files", port_text(good_port), NULL};
    attack_expecting(args, (const struct want[]){SAYS("thread bound", good_port), SAYS("main bound", 0), END_OF_WANTS});
}

/* A process whose memory and descriptors the supervisor may not read gets no denied port (fail closed). */
static void a_non_dumpable_process_gets_no_denied_port(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"nondumpable", port_text(bad_port), NULL};
    attack_expecting(args, (const struct want[]){SAYS("error", EACCES), END_OF_WANTS});
}

/* ------------------------------------------------------------------------ */
/* The tree's own seccomp filters.                                          */

/* A listener of its own would get the tree's binds first and could let them continue: the kernel refuses it. */
static void a_seccomp_listener_of_the_tree_cannot_take_its_binds(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"own-listener", port_text(bad_port), NULL};
    attack_expecting(args, (const struct want[]){SAYS("filter error", EBUSY), SAYS("error", EACCES), END_OF_WANTS});
}

/* SECCOMP_RET_ERRNO | 0 outranks the supervisor's notification: bind "succeeds" and binds nothing. */
static void a_seccomp_errno_filter_of_the_tree_binds_nothing(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    const char *args[] = {"own-errno", port_text(bad_port), NULL};
    attack(&t, args);
    assert_int_equal(said(&t, "filter error"), -1);
    long bound = said(&t, "bound");
    if (bound == (long)bad_port)
        fail_msg("bound the denied port: %s", t.said);
    tree_end(&t);
}

/* ------------------------------------------------------------------------ */
/* Privilege.                                                               */

/* Whether this machine lets us run a tree as another user (root, and the supervisor may read its memory). */
static const char *no_other_user(void)
{
    if (probe_root())
        return probe_root();
    return probe_read_child_memory(NOBODY);
}

/* Sets the rule of t's program (bind_policy's layout): from is redirected to to. */
static void set_redirect(struct tree *t, unsigned from, unsigned to)
{
    struct bind_rule r = {.redirect_from = (uint16_t)from, .redirect_to = (uint16_t)to};
    uint32_t zero = 0;
    assert_int_equal(map_update_user(test_map_of(t->obj, "rule"), &zero, &r, 0), 0);
}

/* tree_attack() as NOBODY, who may write the out file meanwhile. */
static void tree_attack_as_nobody(struct tree *t, const char *const *args)
{
    assert_int_equal(chmod(dir, 0777), 0);
    tree_attack(t, NOBODY, args);
    assert_int_equal(chmod(dir, 0755), 0);
}

/*
 * A process that made its own user namespace has every capability there,
 * none in the network namespace its socket belongs to. The supervisor once
 * granted a port below ip_unprivileged_port_start on CAP_NET_BIND_SERVICE
 * in the thread's CapEff alone: a root supervisor then bound port 80 for
 * an unprivileged tree. Safe: EACCES.
 */
static void a_user_namespace_lends_no_privileged_port(void **state)
{
    (void)state;
    SUPERVISED();
    if (no_other_user())
        test_skip(no_other_user());
    struct tree t;
    tree_start(&t, policy_progs, "bind_policy", "policy");
    const char *args[] = {"userns", "80", NULL};
    tree_attack_as_nobody(&t, args);
    if (said(&t, "unshare error") >= 0)
        test_skip("an unprivileged user cannot make a user namespace here");
    assert_said(&t, "error", EACCES);
    tree_end(&t);
}

/* A program redirecting an unprivileged tree's bind to port 80: the kernel's rule still holds (EACCES). */
static void a_redirect_lends_no_privileged_port(void **state)
{
    (void)state;
    SUPERVISED();
    if (no_other_user())
        test_skip(no_other_user());
    struct tree t;
    tree_start(&t, policy_progs, "bind_policy", "policy");
    set_redirect(&t, good_port, 80);
    const char *args[] = {"redirect-to", port_text(good_port), NULL};
    tree_attack_as_nobody(&t, args);
    assert_said(&t, "error", EACCES);
    tree_end(&t);
}

/*
 * A program confining a server to the loopback redirects its bind to
 * 127.0.0.1 (an IPv4 socket_address). On an IPv6 socket bound to [::] the
 * host once took the port and kept the IPv6 address it had: the socket
 * listened on every interface. Safe: bound to the loopback
 * (::ffff:127.0.0.1 or ::1), or the bind refused; on an IPv6-only socket
 * (no IPv4-mapped address) refused.
 */
static void an_ipv4_redirect_on_an_ipv6_socket_does_not_stay_on_every_interface(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    tree_start(&t, attack_progs, "redirects_to_ipv4_loopback", "to_loopback");
    set_redirect(&t, good_port, bad_port);
    const char *args[] = {"bind6-any", port_text(good_port), NULL};
    tree_attack(&t, 0, args);
    if (said(&t, "error") < 0)
        assert_said(&t, "every-interface", 0);
    const char *only[] = {"bind6only-any", port_text(good_port), NULL};
    tree_attack(&t, 0, only);
    assert_said(&t, "error", EACCES);
    tree_end(&t);
}

/* The image path of a process whose path names its image from the supervisor too is passed as it is. */
static void an_image_path_that_is_the_image_is_passed_as_it_is(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    const char *args[] = {"bind", port_text(good_port), NULL};
    attack(&t, args);
    assert_true(t.event_count > 0);
    assert_int_equal(t.events[0].app_len, strlen(attacker));
    assert_memory_equal(t.events[0].app, attacker, strlen(attacker));
    tree_end(&t);
}

/*
 * A path rule trusts app_id, /proc/PID/exe as the supervisor reads it. An
 * unprivileged process can make its own user and mount namespaces, mount
 * any file over the allowed path there and exec it: the link names the
 * allowed path. Safe: app_id is not the allowed path ("unverified:" ahead
 * of it, since the path seen from the supervisor is another file).
 */
static void an_image_path_cannot_be_borrowed_through_a_mount_namespace(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    tree_start(&t, attack_progs, "allow_app", "allow_app");
    /* The rule works: the attacker's own image is denied. */
    const char *plain[] = {"bind", port_text(good_port), NULL};
    tree_attack(&t, 0, plain);
    assert_said(&t, "error", EACCES);
    const char *args[] = {"masquerade", port_text(good_port), NULL};
    tree_attack(&t, 0, args);
    if (said(&t, "unshare error") >= 0 || said(&t, "mount error") >= 0)
        test_skip("no user and mount namespace for the tree here");
    assert_said(&t, "error", EACCES);
    tree_end(&t);
}

/* ------------------------------------------------------------------------ */
/* The processes around the tree.                                           */

/*
 * Runs attacker with args in a tree whose supervisor is an unprivileged
 * user, as bpfhost run by a user is: the supervisor is a forked child that
 * drops to NOBODY (root) or stays ourselves. The tree's exit code, or -1.
 */
static int attack_from_unprivileged_supervisor(struct tree *t, const char *const *args)
{
    assert_int_equal(chmod(dir, 0777), 0);
    unlink(out);
    pid_t child = fork();
    if (child == 0) {
        if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
                               setresuid(NOBODY, NOBODY, NOBODY) != 0))
            _exit(100);
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* as a process started by that user is */
        char *argv[8] = {attacker, out};
        for (size_t i = 0; args[i] && i < 5; i++)
            argv[2 + i] = (char *)args[i];
        int code = 0;
        int err = ext_supervisor_run(t->sv, argv, &code);
        _exit(err ? 101 : code);
    }
    int status = 0;
    waitpid(child, &status, 0);
    assert_int_equal(chmod(dir, 0755), 0);
    tree_collect(t);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The supervisor's helper (the tree's subreaper, outside the filter) runs
 * as the same user as the tree: were it dumpable, a process of the tree
 * could ptrace it (no Yama restriction here), make it bind the denied port
 * and take that socket with pidfd_getfd. Safe: the attach fails.
 */
static void the_supervisors_helper_cannot_be_made_to_bind(void **state)
{
    (void)state;
    SUPERVISED();
    const char *unreadable = probe_read_child_memory(probe_root() ? geteuid() : NOBODY);
    if (unreadable)
        test_skip(unreadable);
    struct tree t;
    tree_start(&t, policy_progs, "bind_policy", "policy");
    const char *args[] = {"inject", port_text(bad_port), NULL};
    attack_from_unprivileged_supervisor(&t, args);
    if (said(&t, "injected bound") == (long)bad_port)
        fail_msg("the tree bound the denied port through the helper: %s", t.said);
    assert_true(said(&t, "attach error") > 0);
    tree_end(&t);
}

/* The tree kills the supervisor's helper: its binds stay supervised. */
static void killing_the_helper_leaves_binds_supervised(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"kill-helper", port_text(bad_port), NULL};
    attack_expecting(args, (const struct want[]){SAYS("error", EACCES), END_OF_WANTS});
}

/* ------------------------------------------------------------------------ */
/* What the programs may do.                                                */

/* Loading name of the attack programs must fail, the reason containing want. */
static void refused(const char *name, const char *want)
{
    struct bpf_elf_object *elf = test_object_open(attack_progs, name);
    struct core_object *obj = NULL;
    char err[1024] = "";
    if (core_object_load(elf, NULL, &obj, err, sizeof(err)) == 0) {
        core_object_close(obj);
        fail_msg("the verifier accepted %s", name);
    }
    if (!strstr(err, want))
        fail_msg("%s: error \"%s\" lacks \"%s\"", name, err, want);
}

static void the_verifier_refuses_context_abuse(void **state)
{
    (void)state;
    refused("writes_length", "not writable");
    refused("writes_app_id", "packet pointer field");
    refused("writes_across", "not writable");
    refused("reads_past_app_id", "not proven inside the packet");
    refused("reads_past_context", "outside the 88-byte context");
    refused("leaks_app_id_pointer", "partial read");
}

/* A program's returns and rewrites on POST_BIND and UNBIND change nothing: the socket stays where it was bound. */
static void returns_after_the_bind_change_nothing(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    tree_start(&t, attack_progs, "meddles_after_bind", "meddle");
    const char *args[] = {"bind", port_text(good_port), NULL};
    tree_attack(&t, 0, args);
    assert_said(&t, "bound", good_port);
    uint32_t zero = 0, port = 0;
    assert_int_equal(map_lookup_copy(test_map_of(t.obj, "unbound_port"), &zero, &port), 0);
    assert_int_equal(port, good_port);
    tree_end(&t);
}

/*
 * An MPTCP socket (protocol 262) must not pass for TCP: protocol is one
 * byte and 262 & 0xff is 6, so a rule on TCP takes it for TCP and its
 * release is looked for among TCP sockets.
 */
static void an_mptcp_socket_does_not_pass_for_tcp(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    const char *args[] = {"keep-mptcp", "300", NULL};
    attack(&t, args);
    if (said(&t, "error") >= 0)
        test_skip("no MPTCP here");
    assert_true(t.event_count > 0);
    if (t.events[0].protocol == IPPROTO_TCP)
        fail_msg("an MPTCP socket's bind came as protocol %u (TCP)", t.events[0].protocol);
    tree_end(&t);
}

/* ------------------------------------------------------------------------ */
/* Denial of service.                                                       */

/*
 * The supervisor answers on its one thread: an address behind a
 * userfaultfd nobody serves held its read, and with it every other bind
 * and exec of the tree (now the read has a time limit, then the bind is
 * denied). Safe: another process's bind completes meanwhile (well under
 * 1 s).
 */
static void an_address_nobody_serves_holds_no_other_bind(void **state)
{
    (void)state;
    SUPERVISED();
    struct tree t;
    const char *args[] = {"uffd", port_text(good_port), NULL};
    attack(&t, args);
    if (said(&t, "userfaultfd error") >= 0)
        test_skip("userfaultfd of kernel faults needs privilege here");
    assert_said(&t, "other bound", good_port);
    long ms = said(&t, "other ms");
    if (ms < 0 || ms >= 1000)
        fail_msg("another process's bind took %ld ms behind a stuck address read", ms);
    tree_end(&t);
}

/*
 * Every 100 ms the UNBIND watch lists the machine's sockets and looks each
 * up among the watched ones; looked up one by one, a tree that keeps 15000
 * bound sockets made each poll cost O(listed x watched), and every bind
 * (and exec) of the tree waited behind it. Safe: a bind takes well under
 * 100 ms however many sockets the tree holds.
 */
static void many_held_sockets_slow_no_bind_down(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"hoard", "15000", NULL};
    attack_expecting(args, (const struct want[]){SAYS("hoarded", 15000), SAYS_BELOW("slowest ms", 100), END_OF_WANTS});
}

static void many_threads_binding_at_once_all_complete(void **state)
{
    (void)state;
    SUPERVISED();
    const char *args[] = {"threads", "200", NULL};
    attack_expecting(args, (const struct want[]){SAYS("bound", 200), SAYS_BELOW("ms", 10000), END_OF_WANTS});
}

/* ------------------------------------------------------------------------ */
/* What the tools print.                                                    */

/*
 * `bpfhost run --binds` writes the image path with its spaces escaped
 * (\x20), as process_monitor does: else an image named "x udp
 * 127.0.0.1:53: deny" forges the fields of its line (a hole this review
 * fixed in src/tools/bpfhost/binds_print.c). Control bytes escaped too.
 */
static void the_binds_line_escapes_the_image_path(void **state)
{
    (void)state;
    SUPERVISED();
    static const char *const names[] = {"x udp 127.0.0.1:53: deny", "esc\033[2Jx"};
    for (size_t i = 0; i < 2; i++) {
        char image[PATH_MAX + 64];
        snprintf(image, sizeof(image), "%s/%s", dir, names[i]);
        assert_int_equal(subprocess_shell("cp '%s' '%s'", attacker, image), 0);
        char *argv[] = {(char *)tool_path("bpfhost"), "run", "--binds", "--quiet", "--", image, out, "bind", "0",
                        NULL};
        struct subprocess_result res;
        assert_int_equal(subprocess_run(argv, NULL, &res), 0);
        assert_int_equal(res.exit_code, 0);
        const char *line = strstr(res.err, "bind: pid ");
        assert_non_null(line);
        if (strstr(line, names[i]))
            fail_msg("the image path is written as it is: %s", line);
        assert_null(strchr(res.err, '\033'));
        subprocess_result_free(&res);
        unlink(image);
    }
}

/* ------------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    no_supervision = probe_supervision();
    bad_port = 10000 + (unsigned)getpid() % 10000;
    good_port = bad_port + 1;
    char tmp[] = "/tmp/bpfhost-attack-XXXXXX";
    if (ext_register_builtin() || !mkdtemp(tmp) || !realpath(tmp, dir))
        return -1;
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(attacker, sizeof(attacker), "%s/attacker", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    return subprocess_shell("cc -O1 -Wall -Werror -pthread -o %s %s/tests/ext/net/attack/attacker.c", attacker,
                            bpf_source_dir());
}

static int teardown(void **state)
{
    test_objects_close(state);
    return dir[0] ? subprocess_shell("rm -rf %s", dir) : 0;
}

/* Each test releases the tree it leaves open. */
#define ATTACK_TEST(f) cmocka_unit_test_teardown(f, tree_release)

int main(void)
{
    const struct CMUnitTest tests[] = {
        ATTACK_TEST(a_descriptor_swapped_after_the_check_binds_nothing_unseen),
        ATTACK_TEST(af_unix_binds_go_through_unless_the_table_is_shared),
        ATTACK_TEST(another_process_rewriting_the_address_reaches_nothing),
        ATTACK_TEST(unmapping_the_address_mid_call_reaches_nothing),
        IMPLICIT_TEST(listen_on_an_unbound_socket_is_seen, "listen"),
        ATTACK_TEST(the_x32_entry_binds_nothing_unseen),
        ATTACK_TEST(threads_vfork_and_clone3_children_are_supervised),
        ATTACK_TEST(a_thread_with_its_own_file_table_binds_its_own_socket),
        ATTACK_TEST(a_non_dumpable_process_gets_no_denied_port),
        ATTACK_TEST(a_seccomp_listener_of_the_tree_cannot_take_its_binds),
        ATTACK_TEST(a_seccomp_errno_filter_of_the_tree_binds_nothing),
        ATTACK_TEST(a_user_namespace_lends_no_privileged_port),
        ATTACK_TEST(a_redirect_lends_no_privileged_port),
        ATTACK_TEST(an_ipv4_redirect_on_an_ipv6_socket_does_not_stay_on_every_interface),
        ATTACK_TEST(an_image_path_that_is_the_image_is_passed_as_it_is),
        ATTACK_TEST(an_image_path_cannot_be_borrowed_through_a_mount_namespace),
        ATTACK_TEST(the_supervisors_helper_cannot_be_made_to_bind),
        ATTACK_TEST(killing_the_helper_leaves_binds_supervised),
        ATTACK_TEST(the_verifier_refuses_context_abuse),
        ATTACK_TEST(returns_after_the_bind_change_nothing),
        ATTACK_TEST(an_mptcp_socket_does_not_pass_for_tcp),
        ATTACK_TEST(an_address_nobody_serves_holds_no_other_bind),
        ATTACK_TEST(many_held_sockets_slow_no_bind_down),
        ATTACK_TEST(many_threads_binding_at_once_all_complete),
        ATTACK_TEST(the_binds_line_escapes_the_image_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
