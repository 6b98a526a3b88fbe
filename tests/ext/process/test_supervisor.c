/*
 * The supervised command tree (ext_supervisor_*) on real processes: the
 * create and delete events of a tree, exact argv and image paths, exit
 * codes (also of orphans and signals), denial, every way to exec we know
 * (vfork, posix_spawn, clone3, a thread, execveat, fexecve of a memfd,
 * /dev/fd/N, a shebang script, the i386 ABI), two programs at once, the
 * recorder's sleeping ring-buffer consumer woken after each run, an
 * unprivileged run, and failing closed (an unreadable exec; a tree whose
 * supervisor died). The ways to exec are in tests/ext/process/helpers/
 * supervise_helper.c, compiled here with cc into a temporary directory
 * (no build rule: it is test data). Programs: tests/ext/process/progs/supervise_*.c.
 *
 * What depends on the machine is probed first (tests/common/probes.h) and
 * skipped with its reason where missing: seccomp user notification and
 * reading a child's memory (every supervised run), the i386 entry, being
 * root, PIDFD_INFO_EXIT (the exit code of a process its parent reaped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/assertions.h"
#include "common/bpf_compile.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"
#include "ext/ext.h"
#include "ext/process/progs/supervise_event.h"

/* ------------------------------------------------------------------------ */
/* Fixture: programs, and a temporary directory with executables.           */

static struct bpf_elf_object *record_elf, *deny_elf;
enum { NAME_MAX_HERE = PATH_MAX + 16 };           /* a file name in dir */
static char dir[PATH_MAX];                         /* realpath of the temporary directory */
static char denied[NAME_MAX_HERE], allowed[NAME_MAX_HERE]; /* copies of /bin/true */
static char script[NAME_MAX_HERE], helper[NAME_MAX_HERE], out[NAME_MAX_HERE];
static char sh_image[PATH_MAX], echo_image[PATH_MAX]; /* /bin/sh and /bin/echo, links resolved */
static const char *no_supervision; /* why this machine cannot supervise a tree, or NULL */

static int open_elf(const char *name, struct bpf_elf_object **elf)
{
    char *path = bpf_compile("tests/ext/process/progs", name, NULL);
    char err[512];
    int rc = path ? bpf_elf_open_file(path, elf, err, sizeof(err)) : -1;
    if (path && rc)
        fprintf(stderr, "%s: %s\n", path, err);
    free(path);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    no_supervision = probe_supervision();
    char tmp[] = "/tmp/bpfhost-supervise-XXXXXX";
    if (ext_register_builtin() || open_elf("supervise_record", &record_elf) || open_elf("supervise_deny", &deny_elf) ||
        !mkdtemp(tmp) || !realpath(tmp, dir) || !realpath("/bin/sh", sh_image) || !realpath("/bin/echo", echo_image))
        return -1;
    snprintf(denied, sizeof(denied), "%s/denied", dir);
    snprintf(allowed, sizeof(allowed), "%s/allowed", dir);
    snprintf(script, sizeof(script), "%s/script.sh", dir);
    snprintf(helper, sizeof(helper), "%s/helper", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    /* Readable by the unprivileged test's user too. */
    return subprocess_shell("chmod 755 %s && cp /bin/true %s && cp /bin/true %s && printf '#!/bin/sh\\nexit 5\\n' > %s && "
                 "chmod 755 %s && cc -O1 -Wall -Werror -pthread -o %s %s/tests/ext/process/helpers/supervise_helper.c",
                 dir, denied, allowed, script, script, helper, bpf_source_dir());
}

static int teardown(void **state)
{
    (void)state;
    bpf_elf_close(record_elf);
    bpf_elf_close(deny_elf);
    bpf_compile_cleanup();
    return dir[0] ? subprocess_shell("rm -rf %s", dir) : 0;
}

/* ------------------------------------------------------------------------ */
/* A supervisor with programs attached, and what they recorded.             */

enum { MAX_EVENTS = 64, MAX_OBJECTS = 4 };

struct session {
    struct ext_supervisor *sv;
    struct core_hook *hook;
    struct core_object *objects[MAX_OBJECTS];
    struct core_link *links[MAX_OBJECTS];
    size_t count;
    struct map *events; /* the recorder's ring buffer, if attached */
    struct supervise_event got[MAX_EVENTS]; /* the creates of programs (image_kind 0) and the deletes */
    size_t got_count;
    size_t followups; /* creates of the interpreters of those programs (see test_exec_followups.c) */
};

static void session_start(struct session *s)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(ext_supervisor_create(&s->sv, &s->hook), 0);
}

/* Loads elf afresh (its own maps) and attaches its program; returns the object. */
static struct core_object *attach(struct session *s, struct bpf_elf_object *elf, const char *prog)
{
    assert_true(s->count < MAX_OBJECTS);
    char err[512];
    struct core_object *obj;
    if (core_object_load(elf, NULL, &obj, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(core_hook_attach(s->hook, core_object_find_prog(obj, prog), NULL, 0, &s->links[s->count]), 0);
    s->objects[s->count++] = obj;
    return obj;
}

/* Attaches the recorder. */
static void attach_record(struct session *s)
{
    s->events = core_map_map(core_object_find_map(attach(s, record_elf, "record"), "events"));
}

/* Attaches a deny program with its rule; returns its counts map. */
static struct map *attach_deny(struct session *s, const char *path, bool prefix)
{
    struct core_object *obj = attach(s, deny_elf, "deny");
    struct supervise_rule rule = {.len = (uint32_t)strlen(path), .prefix = prefix};
    memcpy(rule.path, path, rule.len);
    uint32_t zero = 0;
    assert_int_equal(map_update_user(core_map_map(core_object_find_map(obj, "rule")), &zero, &rule, 0), 0);
    return core_map_map(core_object_find_map(obj, "counts"));
}

static int take_event(void *ctx, void *data, size_t size)
{
    struct session *s = ctx;
    assert_int_equal(size, sizeof(struct supervise_event));
    if (((const struct supervise_event *)data)->image_kind != PROCESS_IMAGE_PROGRAM) {
        s->followups++;
        return 0;
    }
    assert_true(s->got_count < MAX_EVENTS);
    memcpy(&s->got[s->got_count++], data, size);
    return 0;
}

/* Runs argv under supervision: ext_supervisor_run()'s result; the recorder's events in s->got. */
static int session_run(struct session *s, char *const argv[], int *exit_code)
{
    unlink(out);
    s->got_count = s->followups = 0;
    int rc = ext_supervisor_run(s->sv, argv, exit_code);
    if (s->events)
        ringbuf_consume(s->events, take_event, s); /* dispatch is synchronous: all are there */
    return rc;
}

static void session_end(struct session *s)
{
    for (size_t i = 0; i < s->count; i++)
        core_link_release(s->links[i]);
    ext_supervisor_destroy(s->sv);
    for (size_t i = 0; i < s->count; i++)
        core_object_close(s->objects[i]);
}

/* The n-th (from 0) recorded event of that operation whose image path is image (NULL: any); NULL if none. */
static const struct supervise_event *find(const struct session *s, uint32_t op, const char *image, int n)
{
    for (size_t i = 0; i < s->got_count; i++)
        if (s->got[i].operation == op && (!image || !strcmp(s->got[i].image, image)) && n-- == 0)
            return &s->got[i];
    return NULL;
}

/* The recorded event of that operation for process pid; must exist. */
static const struct supervise_event *of_pid(const struct session *s, uint32_t op, uint64_t pid)
{
    for (size_t i = 0; i < s->got_count; i++)
        if (s->got[i].operation == op && s->got[i].process_id == pid)
            return &s->got[i];
    fail_msg("no %s event for pid %llu", op ? "delete" : "create", (unsigned long long)pid);
    return NULL;
}

/* The contents of the file out ("" if none). */
static const char *read_out(void)
{
    static char text[4096];
    text[0] = '\0';
    FILE *f = fopen(out, "r");
    if (f) {
        text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
        fclose(f);
    }
    return text;
}

/*
 * A delete's exit code is expected, or, only where the kernel cannot tell
 * the status of a process its parent has reaped (no PIDFD_INFO_EXIT) and
 * the parent was quicker than us, unknown (the check is then skipped).
 */
static void assert_exit_code(const struct supervise_event *e, uint32_t expected, const char *check)
{
    if (e->exit_code == UINT32_MAX && probe_pidfd_info_exit()) {
        test_skip_check(check, probe_pidfd_info_exit());
        return;
    }
    assert_int_equal(e->exit_code, expected);
}

static uint64_t counter(struct map *counts, uint32_t which)
{
    uint64_t n;
    assert_int_equal(map_lookup_copy(counts, &which, &n), 0);
    return n;
}

/* ------------------------------------------------------------------------ */
/* The events of a tree.                                                    */

static void tree_events_exact_argv_images_and_exit_codes(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s);
    attach_record(&s);
    uint64_t before = ext_filetime_now();
    int code = -1;
    char *argv[] = {"/bin/sh", "-c", "/bin/echo 'a  b' c >/dev/null; exit 3", NULL};
    assert_int_equal(session_run(&s, argv, &code), 0);
    uint64_t after = ext_filetime_now();
    assert_int_equal(code, 3);
    assert_int_equal(s.got_count, 4); /* two creates, two deletes */

    const struct supervise_event *sh = find(&s, PROCESS_OPERATION_CREATE, sh_image, 0);
    const struct supervise_event *echo = find(&s, PROCESS_OPERATION_CREATE, echo_image, 0);
    assert_non_null(sh);
    assert_non_null(echo);
    assert_ptr_equal(sh, &s.got[0]);
    assert_string_equal(sh->command, "/bin/sh -c /bin/echo 'a  b' c >/dev/null; exit 3");
    assert_int_equal(sh->command_len, strlen(sh->command));
    assert_int_equal(sh->image_len, strlen(sh_image));
    assert_int_equal(sh->creating_process_id, sh->process_id);
    assert_int_equal(sh->creating_thread_id, sh->process_id);
    assert_true(sh->parent_process_id != 0 && sh->parent_process_id != (uint64_t)getpid()); /* the helper */
    assert_int_equal(sh->uid, getuid());
    assert_int_equal(sh->gid, getgid());
    /* From /proc: clock ticks after a boot time in whole seconds; give it 2 s either way. */
    assert_true(sh->creation_time + 20000000 >= before && sh->creation_time <= after + 20000000);

    assert_string_equal(echo->command, "/bin/echo a  b c"); /* its argv joined, not the shell's text */
    assert_int_equal(echo->parent_process_id, sh->process_id);
    assert_true(echo->process_id != sh->process_id);

    const struct supervise_event *echo_end = of_pid(&s, PROCESS_OPERATION_DELETE, echo->process_id);
    const struct supervise_event *sh_end = of_pid(&s, PROCESS_OPERATION_DELETE, sh->process_id);
    assert_true(echo_end < sh_end); /* in the order they happened */
    assert_exit_code(echo_end, 0, "exit code of echo, reaped by its shell");
    assert_int_equal(sh_end->exit_code, 3);
    assert_string_equal(echo_end->image, echo_image);
    assert_int_equal(echo_end->command_len, 0);
    assert_int_equal(echo_end->creation_time, echo->creation_time);
    assert_true(echo_end->exit_time >= echo->creation_time && echo_end->exit_time <= after);
    assert_int_equal(echo_end->parent_process_id, sh->process_id);

    struct ext_source_stats st;
    ext_supervisor_stats(s.sv, &st);
    assert_int_equal(s.followups, 2); /* sh's and echo's ld.so */
    assert_int_equal(st.events, 6);
    assert_int_equal(st.denied, 0);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.lost, 0);
    assert_false(st.running);
    session_end(&s);
}

static void orphans_and_signals_are_waited_for(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s);
    attach_record(&s);
    int code = -1;
    /* The background shell outlives the command: it is reparented to the
     * helper, and the run waits for it. */
    char *orphan[] = {"/bin/sh", "-c", "/bin/sh -c 'sleep 0.3; exit 7' & exit 0", NULL};
    assert_int_equal(session_run(&s, orphan, &code), 0);
    assert_int_equal(code, 0);
    const struct supervise_event *inner = NULL;
    for (int i = 0; (inner = find(&s, PROCESS_OPERATION_CREATE, sh_image, i)); i++)
        if (!strcmp(inner->command, "/bin/sh -c sleep 0.3; exit 7"))
            break;
    assert_non_null(inner);
    assert_int_equal(of_pid(&s, PROCESS_OPERATION_DELETE, inner->process_id)->exit_code, 7);
    assert_int_equal(of_pid(&s, PROCESS_OPERATION_DELETE, s.got[0].process_id)->exit_code, 0);

    char *killed[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    assert_int_equal(session_run(&s, killed, &code), 0);
    assert_int_equal(code, 128 + 9);
    assert_int_equal(of_pid(&s, PROCESS_OPERATION_DELETE, s.got[0].process_id)->exit_code, 128 + 9);

    char *missing[] = {"no-such-command-bpfhost", NULL};
    assert_int_equal(session_run(&s, missing, &code), -ENOENT);
    assert_int_equal(code, 127);
    assert_int_equal(s.got_count, 0);
    session_end(&s);
}

/* ------------------------------------------------------------------------ */
/* Denial.                                                                  */

static void a_denied_exec_fails_with_eperm_others_run(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s);
    struct map *counts = attach_deny(&s, denied, false);
    attach_record(&s);
    char cmd[8 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "{ %s; echo denied $?; %s; echo allowed $?; } >%s 2>&1", denied, allowed, out);
    int code = -1;
    assert_int_equal(session_run(&s, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code), 0);
    assert_int_equal(code, 0);
    assert_contains(read_out(), "Operation not permitted");
    assert_contains(read_out(), "denied 126\n"); /* the shell's code for an exec that failed */
    assert_contains(read_out(), "allowed 0\n");
    assert_int_equal(counter(counts, 1), 1);

    /* The recorder saw the denied create too; the process that tried is
     * still the shell it was, and so is its delete. */
    const struct supervise_event *tried = find(&s, PROCESS_OPERATION_CREATE, denied, 0);
    assert_non_null(tried);
    const struct supervise_event *end = of_pid(&s, PROCESS_OPERATION_DELETE, tried->process_id);
    assert_exit_code(end, 126, "exit code of the denied shell child, reaped by its shell");
    assert_string_equal(end->image, sh_image);
    assert_non_null(find(&s, PROCESS_OPERATION_CREATE, allowed, 0));
    struct ext_source_stats st;
    ext_supervisor_stats(s.sv, &st);
    assert_int_equal(st.denied, 1);
    assert_int_equal(st.events, s.got_count + s.followups);
    assert_int_equal(counter(counts, 0), s.got_count + s.followups);

    /* The command's own exec. */
    assert_int_equal(session_run(&s, (char *[]){denied, NULL}, &code), -EPERM);
    assert_int_equal(code, 127);
    assert_non_null(find(&s, PROCESS_OPERATION_CREATE, denied, 0));
    session_end(&s);
}

static void two_programs_see_every_event_either_denies(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s);
    struct map *first = attach_deny(&s, denied, false);
    struct map *second = attach_deny(&s, allowed, false);
    attach_record(&s);
    char cmd[8 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "{ %s; echo a $?; %s; echo b $?; /bin/echo c; } >%s 2>&1", denied, allowed, out);
    int code = -1;
    assert_int_equal(session_run(&s, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code), 0);
    assert_contains(read_out(), "a 126\n");
    assert_contains(read_out(), "b 126\n");
    assert_contains(read_out(), "c\n");
    assert_int_equal(counter(first, 1), 1);
    assert_int_equal(counter(second, 1), 1);
    assert_int_equal(counter(first, 0), s.got_count + s.followups);
    assert_int_equal(counter(second, 0), s.got_count + s.followups);
    struct ext_source_stats st;
    ext_supervisor_stats(s.sv, &st);
    assert_int_equal(st.denied, 2);
    assert_int_equal(st.events, s.got_count + s.followups);
    session_end(&s);
}

/* ------------------------------------------------------------------------ */
/* The ways to exec.                                                        */

/* Runs the helper in mode on target; returns what it wrote to out (its exit code in *code if not NULL). */
static const char *by_code(struct session *s, const char *mode, const char *target, int *code)
{
    int status = -1;
    assert_int_equal(session_run(s, (char *[]){helper, out, (char *)mode, (char *)target, "x", NULL}, &status), 0);
    if (code)
        *code = status;
    return read_out();
}

/* Runs the helper in mode on target; returns what it wrote to out. */
static const char *by(struct session *s, const char *mode, const char *target)
{
    return by_code(s, mode, target, NULL);
}

/* The create of the helper itself (its process id). */
static const struct supervise_event *helper_event(const struct session *s)
{
    const struct supervise_event *e = find(s, PROCESS_OPERATION_CREATE, helper, 0);
    assert_non_null(e);
    return e;
}

static void every_way_to_exec_is_seen_and_denied(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s);
    attach_deny(&s, denied, false);
    attach_record(&s);
    char argv_text[NAME_MAX_HERE + 8];
    snprintf(argv_text, sizeof(argv_text), "%s x", denied);

    /* A child of vfork or clone3 execs: the create is the child's. */
    static const char *const child_modes[] = {"vfork", "clone3"};
    for (size_t i = 0; i < 2; i++) {
        char expected[64];
        snprintf(expected, sizeof(expected), "%s status 101\n", child_modes[i]); /* 100 + EPERM */
        assert_string_equal(by(&s, child_modes[i], denied), expected);
        const struct supervise_event *e = find(&s, PROCESS_OPERATION_CREATE, denied, 0);
        assert_non_null(e);
        assert_string_equal(e->command, argv_text);
        assert_int_equal(e->parent_process_id, helper_event(&s)->process_id);
        assert_true(e->process_id != helper_event(&s)->process_id);
    }
    assert_string_equal(by(&s, "spawn", denied), "spawn errno 1\n");
    assert_non_null(find(&s, PROCESS_OPERATION_CREATE, denied, 0));

    /* A second thread execs: the process is the helper, the creating thread another. */
    assert_string_equal(by(&s, "thread", denied), "thread errno 1\n");
    const struct supervise_event *e = find(&s, PROCESS_OPERATION_CREATE, denied, 0);
    assert_non_null(e);
    assert_int_equal(e->process_id, helper_event(&s)->process_id);
    assert_true(e->creating_thread_id != e->process_id);
    assert_string_equal(by(&s, "thread", allowed), ""); /* it worked: the helper became `allowed x` */
    e = find(&s, PROCESS_OPERATION_CREATE, allowed, 0);
    assert_non_null(e);
    assert_int_equal(e->process_id, helper_event(&s)->process_id);
    assert_true(e->creating_thread_id != e->process_id);
    assert_int_equal(of_pid(&s, PROCESS_OPERATION_DELETE, e->process_id)->exit_code, 0);

    /* execveat with a directory fd and a relative name: resolved against the fd. */
    assert_string_equal(by(&s, "execveat", denied), "execveat errno 1\n");
    e = find(&s, PROCESS_OPERATION_CREATE, denied, 0);
    assert_non_null(e);
    assert_string_equal(e->command, argv_text);

    /* /dev/fd/N is a link to /proc/self/fd/N: "self" is the target, not us. */
    assert_string_equal(by(&s, "devfd", denied), "devfd errno 1\n");
    e = find(&s, PROCESS_OPERATION_CREATE, denied, 0);
    assert_non_null(e);
    assert_string_equal(e->command, argv_text);

    /* The i386 system call of a 64-bit process, where the kernel has that entry (a probe's getpid
     * through it works). Where it refuses it (ENOSYS, or a fault) nothing can exec that way, and
     * the denied file must not have run either. */
    int code = -1;
    const char *int80 = by_code(&s, "int80", denied, &code);
    const char *no_i386 = probe_i386_entry();
    if (no_i386) {
        assert_int_not_equal(code, 0); /* the helper failed or died; `denied x` would have exited 0 */
        test_skip_check("an exec through int $0x80 is seen and denied", no_i386);
    } else {
        assert_string_equal(int80, "int80 errno 1\n");
        e = find(&s, PROCESS_OPERATION_CREATE, denied, 0);
        assert_non_null(e);
        assert_string_equal(e->command, argv_text); /* 32-bit argv pointers read as such */
    }

    /* A memfd copy of the denied file is another file: its path is
     * "/memfd:NAME (deleted)", which a path rule does not match. */
    assert_string_equal(by(&s, "fexecve", denied), "");
    e = find(&s, PROCESS_OPERATION_CREATE, NULL, 1);
    assert_non_null(e);
    assert_string_equal(e->image, "/memfd:copy (deleted)");
    assert_string_equal(e->command, argv_text);
    session_end(&s);

    /* A rule on that prefix denies it. */
    session_start(&s);
    attach_deny(&s, "/memfd:", true);
    assert_string_equal(by(&s, "fexecve", denied), "fexecve errno 1\n");
    session_end(&s);
}

static void a_script_is_its_own_image(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s);
    attach_record(&s);
    int code = -1;
    assert_int_equal(session_run(&s, (char *[]){script, "arg", NULL}, &code), 0);
    assert_int_equal(code, 5);
    /* One create of a program (its interpreter and ld.so are creates of their own, see
     * test_exec_followups.c). */
    assert_int_equal(s.got_count, 2);
    assert_int_equal(s.followups, 2);
    assert_string_equal(s.got[0].image, script);
    assert_int_equal(s.got[0].operation, PROCESS_OPERATION_CREATE);
    assert_int_equal(s.got[1].operation, PROCESS_OPERATION_DELETE);
    assert_int_equal(s.got[1].exit_code, 5);
    session_end(&s);

    session_start(&s);
    attach_deny(&s, script, false);
    char cmd[8 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "%s 2>/dev/null; echo $? >%s", script, out);
    assert_int_equal(session_run(&s, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code), 0);
    assert_string_equal(read_out(), "126\n");
    session_end(&s);
}

/* ------------------------------------------------------------------------ */
/* No privilege needed.                                                     */

/*
 * In a child, as user uid (nobody when the tests run as root, else our
 * own), on the session its parent set up (deny + record): supervised runs;
 * 0 if all is as expected, else the number of the check that failed (no
 * cmocka assertions in the child).
 */
static int unprivileged_run(struct session *s, uid_t uid)
{
    if (uid != geteuid()) {
        if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
            return 10;
        /* Changing ids made us non-dumpable: undo, as any process of a user is. */
        prctl(PR_SET_DUMPABLE, 1);
    }
    char cmd[8 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "%s 2>/dev/null; echo $? >%s; grep NoNewPrivs /proc/self/status >>%s", denied, out,
             out);
    int code = -1;
    if (session_run(s, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code) != 0 || code != 0)
        return 11;
    struct ext_source_stats st;
    ext_supervisor_stats(s->sv, &st);
    if (st.denied != 1 || st.errors != 0 || s->got_count < 3)
        return 12;
    for (size_t i = 0; i < s->got_count; i++)
        if (s->got[i].uid != uid)
            return 13;
    /* Unprivileged, the tree runs with no_new_privs (a filter needs it). */
    if (strcmp(read_out(), "126\nNoNewPrivs:\t1\n") != 0)
        return 14;
    /* A process we may not read (non-dumpable) cannot exec: fail closed, with a reason. */
    uint64_t cursor = core_trace_tail();
    if (session_run(s, (char *[]){helper, out, "nodump", allowed, NULL}, &code) != 0 ||
        strcmp(read_out(), "nodump errno 1\n") != 0)
        return 15;
    ext_supervisor_stats(s->sv, &st);
    if (st.errors != 1)
        return 16;
    char trace[CORE_TRACE_LINE_MAX];
    if (core_trace_follow(&cursor, trace, sizeof(trace), 10000) < 0 || !strstr(trace, "denied: cannot read it"))
        return 17;
    return 0;
}

static void runs_unprivileged(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    uid_t uid = geteuid() == 0 ? 65534 : geteuid();
    const char *unreadable = probe_read_child_memory(uid);
    if (unreadable)
        test_skip(unreadable);
    struct session s;
    session_start(&s);
    attach_deny(&s, denied, false);
    attach_record(&s);
    assert_int_equal(chmod(dir, 0777), 0); /* for its out file */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(unprivileged_run(&s, uid));
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(chmod(dir, 0755), 0);
    session_end(&s);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void root_runs_the_tree_without_no_new_privs(void **state)
{
    (void)state;
    if (no_supervision || probe_root())
        test_skip(no_supervision ? no_supervision : probe_root());
    struct session s;
    session_start(&s);
    char cmd[8 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "grep NoNewPrivs /proc/self/status >%s", out);
    int code = -1;
    assert_int_equal(session_run(&s, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code), 0);
    assert_int_equal(code, 0);
    assert_string_equal(read_out(), "NoNewPrivs:\t0\n"); /* so setuid executables still elevate */
    session_end(&s);
}

/* Whether path exists, waiting up to 10 s. */
static bool appears(const char *path)
{
    for (int i = 0; i < 1000; i++) {
        if (access(path, F_OK) == 0)
            return true;
        usleep(10000);
    }
    return false;
}

static void a_dead_supervisor_fails_the_tree_closed(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    char fifo[NAME_MAX_HERE + 8], ready[NAME_MAX_HERE + 8], done[NAME_MAX_HERE + 8], cmd[8 * PATH_MAX];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    snprintf(ready, sizeof(ready), "%s/ready", dir);
    snprintf(done, sizeof(done), "%s/done", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* Shell built-ins only, but for the one exec. */
    snprintf(cmd, sizeof(cmd), "echo >%s; read x <%s; %s 2>%s; echo \"status $?\" >>%s; echo >%s", ready, fifo,
             allowed, out, out, done);
    unlink(out);
    pid_t supervisor = fork();
    assert_true(supervisor >= 0);
    if (supervisor == 0) {
        struct ext_supervisor *sv;
        int code;
        _exit(ext_supervisor_create(&sv, NULL) || ext_supervisor_run(sv, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code));
    }
    /* The tree runs (its shell waits on the fifo): kill the supervising process. */
    assert_true(appears(ready));
    assert_int_equal(kill(supervisor, SIGKILL), 0);
    assert_int_equal(waitpid(supervisor, NULL, 0), supervisor);
    FILE *go = fopen(fifo, "w");
    assert_non_null(go);
    fputs("go\n", go);
    fclose(go);
    /* No one answers its exec any more: it fails (ENOSYS), it does not run unchecked. */
    assert_true(appears(done));
    assert_contains(read_out(), "Function not implemented");
    assert_contains(read_out(), "status 126\n");
    unlink(fifo);
    unlink(ready);
    unlink(done);
}

static void hooks_are_named_per_supervisor(void **state)
{
    (void)state;
    struct ext_supervisor *a, *b;
    struct core_hook *ha, *hb;
    assert_int_equal(ext_supervisor_create(&a, &ha), 0);
    assert_int_equal(ext_supervisor_create(&b, &hb), 0);
    assert_true(ha != hb);
    char name[64];
    for (unsigned n = 1; n < 1000; n++) { /* find a's name */
        snprintf(name, sizeof(name), "process/supervised/%u", n);
        if (core_hook_find(name) == ha)
            break;
    }
    assert_ptr_equal(core_hook_find(name), ha);
    ext_supervisor_destroy(a);
    assert_null(core_hook_find(name));
    ext_supervisor_destroy(b);
    ext_supervisor_destroy(NULL);
    int code;
    assert_int_equal(ext_supervisor_run(NULL, (char *[]){"/bin/true", NULL}, &code), -EINVAL);
}

/* Whether the ring's consumer was signalled (its wakeup fd readable), reading the signal. */
static bool signalled(struct map *ring)
{
    struct pollfd p = {.fd = ringbuf_wakeup_fd(ring), .events = POLLIN};
    uint64_t count;
    return poll(&p, 1, 0) == 1 && read(p.fd, &count, sizeof(count)) == sizeof(count);
}

/* The workers hold the ring buffer's wake-ups until the exec is answered: they must still come, each run. */
static void a_sleeping_consumer_is_woken(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct session s;
    session_start(&s);
    attach_record(&s);
    ringbuf_sleeping(s.events, true);
    for (int run = 0; run < 2; run++) {
        assert_false(signalled(s.events));
        int code = -1;
        assert_int_equal(session_run(&s, (char *[]){allowed, "woken", NULL}, &code), 0);
        assert_int_equal(code, 0);
        assert_int_equal(s.got_count, 2); /* its create and its delete */
        assert_true(signalled(s.events));
    }
    ringbuf_sleeping(s.events, false);
    session_end(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_events_exact_argv_images_and_exit_codes),
        cmocka_unit_test(orphans_and_signals_are_waited_for),
        cmocka_unit_test(a_denied_exec_fails_with_eperm_others_run),
        cmocka_unit_test(two_programs_see_every_event_either_denies),
        cmocka_unit_test(every_way_to_exec_is_seen_and_denied),
        cmocka_unit_test(a_script_is_its_own_image),
        cmocka_unit_test(runs_unprivileged),
        cmocka_unit_test(root_runs_the_tree_without_no_new_privs),
        cmocka_unit_test(a_dead_supervisor_fails_the_tree_closed),
        cmocka_unit_test(hooks_are_named_per_supervisor),
        cmocka_unit_test(a_sleeping_consumer_is_woken),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
