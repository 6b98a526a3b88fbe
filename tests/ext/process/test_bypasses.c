/*
 * Every way around an exec policy that a review tried (issue 10), in each
 * source that can deny: the supervised tree (seccomp) and the fanotify
 * source. The policy is examples/deny_by_hash.c with the SHA-256 of a file
 * of the test's own (a copy of /bin/true made unique by a trailing line),
 * so it names the file by what it is; each attempt runs that file another
 * way and must fail. A control runs /bin/true, which must still work.
 *
 *   path          the file itself
 *   copy          a copy of it
 *   hard link     another name of the same inode
 *   bind mount    the file mounted over another file
 *   interpreter   a script whose "#!" names it
 *   ld.so         /lib64/ld-linux-x86-64.so.2 FILE (ld.so maps FILE, no exec of it)
 *   ld.so script  a script whose "#!" is ld.so with FILE as its argument, also
 *                 written so that another parser than the kernel's reads
 *                 another file (blanks before a NUL; a 256-byte line)
 *   failed exec   an exec of a script naming FILE that fails after the open (bad envp), then FILE
 *   memfd         a memfd copy run with fexecve (supervised only: fanotify
 *                 cannot mark a memfd's filesystem; the README says so)
 *
 * The fanotify source watches the whole machine: the policy applies only to
 * processes of a group of the test's own (children setgid to it), and every
 * link is detached after each test. Needs root for fanotify and the bind
 * mount; without it those parts are skipped, saying so (probes.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../examples/deny_by_hash.h"
#include "common/bpf_compile.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"
#include "ext/ext.h"

#define LDSO "/lib64/ld-linux-x86-64.so.2"
enum { TEST_GID = 54321, SAFETY_ALARM_S = 120 };

static char dir[PATH_MAX], target[PATH_MAX + 32], copy[PATH_MAX + 32], hardlink[PATH_MAX + 32], bound[PATH_MAX + 32];
static char interp_script[PATH_MAX + 32], ldso_script[PATH_MAX + 32], helper[PATH_MAX + 32];
static char static_helper[PATH_MAX + 32];
static char blank_script[PATH_MAX + 32], cut_script[PATH_MAX + 32], long_argv0[5001];
static bool have_bind_mount;
static struct bpf_elf_object *policy_elf;


/* Writes a script of exactly these bytes, executable. */
static int write_script(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = fwrite(bytes, 1, len, f);
    return fclose(f) == 0 && n == len && chmod(path, 0755) == 0 ? 0 : -1;
}

/*
 * Two "#!" lines that a parser other than the kernel's reads as naming a
 * harmless copy of /bin/true, while ld.so gets the denied file (a hard link
 * to it): blanks before a NUL are part of the argument; a 256-byte line
 * with no newline loses its last byte.
 */
static int make_line_scripts(void)
{
    char line[512], harmless[PATH_MAX + 64], denied_name[PATH_MAX + 64];
    snprintf(harmless, sizeof(harmless), "%s/harmless", dir);
    snprintf(denied_name, sizeof(denied_name), "%s/harmless ", dir); /* a trailing blank */
    if (subprocess_shell("cp /bin/true '%s' && ln %s '%s'", harmless, target, denied_name))
        return -1;
    snprintf(blank_script, sizeof(blank_script), "%s/blank.sh", dir);
    int len = snprintf(line, sizeof(line), "#!%s %s ", LDSO, harmless);
    line[len++] = '\0';
    line[len++] = '\n';
    if (write_script(blank_script, line, (size_t)len))
        return -1;
    /* "#!LDSO DIR/AAA...AB": 256 bytes, no newline; the kernel runs DIR/AAA...A. */
    int head = snprintf(line, sizeof(line), "#!%s %s/", LDSO, dir);
    if (head > 200)
        return -1;
    memset(line + head, 'A', (size_t)(255 - head));
    line[255] = 'B';
    char cut_name[PATH_MAX + 64];
    snprintf(cut_name, sizeof(cut_name), "%.*s", 255 - (int)strlen(LDSO) - 3, line + strlen(LDSO) + 3);
    snprintf(cut_script, sizeof(cut_script), "%s/cut.sh", dir);
    if (write_script(cut_script, line, 256) || link(target, cut_name) != 0)
        return -1;
    char whole_name[PATH_MAX + 64];
    snprintf(whole_name, sizeof(whole_name), "%.*s", 256 - (int)strlen(LDSO) - 3, line + strlen(LDSO) + 3);
    return subprocess_shell("cp /bin/true '%s'", whole_name);
}

static int group_setup(void **state)
{
    (void)state;
    alarm(SAFETY_ALARM_S);
    /* What a policy decides must not depend on the machine's load: a deadline far above any exec's
     * handling (the deadline itself is tested in test_deadline.c). */
    struct ext_deadline generous = {.ms = 10000};
    if (ext_process_set_deadline(&generous) != 0)
        return -1;
    /* Mounts stay in a namespace of our own (before any thread: it is per thread). */
    bool root = geteuid() == 0;
    if (root && (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0))
        return -1;
    char tmp[] = "/tmp/bpfhost-bypass-XXXXXX";
    if (ext_register_builtin() || !mkdtemp(tmp) || !realpath(tmp, dir))
        return -1;
    snprintf(target, sizeof(target), "%s/target", dir);
    snprintf(copy, sizeof(copy), "%s/copy", dir);
    snprintf(hardlink, sizeof(hardlink), "%s/hardlink", dir);
    snprintf(bound, sizeof(bound), "%s/bound", dir);
    snprintf(interp_script, sizeof(interp_script), "%s/interp.sh", dir);
    snprintf(ldso_script, sizeof(ldso_script), "%s/ldso.sh", dir);
    snprintf(helper, sizeof(helper), "%s/bypass_helper", dir);
    snprintf(static_helper, sizeof(static_helper), "%s/bypass_helper_static", dir);
    /* A file nobody else has: /bin/true and a line of its own (ELF ignores what follows its segments). */
    if (subprocess_shell("chmod 755 %s && cp /bin/true %s && echo 'bpfhost test %d %ld' >> %s && cp %s %s && ln %s %s && "
              "printf '#!%s\\n' > %s && printf '#!%s %s\\n' > %s && touch %s && chmod 755 %s %s %s && "
              "cc -O1 -Wall -Werror -o %s %s/tests/ext/process/helpers/bypass_helper.c && "
              "cc -static -O1 -Wall -Werror -o %s %s/tests/ext/process/helpers/bypass_helper.c",
              dir, target, (int)getpid(), (long)time(NULL), target, target, copy, target, hardlink, target,
              interp_script, LDSO, target, ldso_script, bound, interp_script, ldso_script, bound, helper,
              bpf_source_dir(), static_helper, bpf_source_dir()))
        return -1;
    have_bind_mount = root && mount(target, bound, NULL, MS_BIND, NULL) == 0;
    if (make_line_scripts() != 0)
        return -1;
    memset(long_argv0, 'x', sizeof(long_argv0) - 1);
    char *obj = bpf_compile("examples", "deny_by_hash", NULL);
    char err[512];
    int rc = obj ? bpf_elf_open_file(obj, &policy_elf, err, sizeof(err)) : -1;
    free(obj);
    return rc;
}

static int group_teardown(void **state)
{
    (void)state;
    bpf_elf_close(policy_elf);
    bpf_compile_cleanup();
    if (have_bind_mount)
        umount2(bound, MNT_DETACH);
    alarm(0);
    return dir[0] ? subprocess_shell("rm -rf %s", dir) : 0;
}

/* The policy, loaded and set to deny the digest of path (for processes of TEST_GID if scoped). */
static struct core_object *load_policy(const char *path, bool scoped)
{
    char err[512];
    struct core_object *obj;
    if (core_object_load(policy_elf, NULL, &obj, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    uint8_t digest[EXT_SHA256_SIZE], one = 1;
    assert_int_equal(ext_image_sha256(path, digest, NULL), 0);
    assert_int_equal(map_update_user(core_map_map(core_object_find_map(obj, "denied_sha256")), digest, &one, 0), 0);
    struct deny_by_hash_config cfg = {.flags = scoped ? DENY_BY_HASH_ONLY_GID : 0, .gid = TEST_GID};
    uint32_t zero = 0;
    assert_int_equal(map_update_user(core_map_map(core_object_find_map(obj, "config")), &zero, &cfg, 0), 0);
    return obj;
}

/* One attempt: its name, its argv, and whether the policy must deny it. */
struct attempt {
    const char *name;
    char *argv[6];
    bool denied;
};

/* The attempts on target (what exists on this machine). */
static size_t attempts(struct attempt *a, bool with_memfd)
{
    size_t n = 0;
    a[n++] = (struct attempt){"control: /bin/true", {"/bin/true", NULL}, false};
    a[n++] = (struct attempt){"path", {target, NULL}, true};
    a[n++] = (struct attempt){"copy", {copy, NULL}, true};
    a[n++] = (struct attempt){"hard link", {hardlink, NULL}, true};
    if (have_bind_mount)
        a[n++] = (struct attempt){"bind mount", {bound, NULL}, true};
    else
        test_skip_check("bind mount attempt", "mounting needs root (CAP_SYS_ADMIN)");
    a[n++] = (struct attempt){"interpreter", {interp_script, NULL}, true};
    a[n++] = (struct attempt){"ld.so", {LDSO, target, NULL}, true};
    a[n++] = (struct attempt){"ld.so with options", {LDSO, "--inhibit-cache", "--argv0", "x", target, NULL}, true};
    a[n++] = (struct attempt){"ld.so script", {ldso_script, NULL}, true};
    a[n++] = (struct attempt){"ld.so script, blanks before a NUL", {blank_script, NULL}, true};
    a[n++] = (struct attempt){"ld.so script, 256-byte line", {cut_script, NULL}, true};
    a[n++] = (struct attempt){"ld.so with a 5000-byte option value", {LDSO, "--argv0", long_argv0, target, NULL}, true};
    /* The review's trick: the script's open credits its interpreter (the file), the exec fails on envp. */
    a[n++] = (struct attempt){"failed exec", {helper, "failed-exec", interp_script, target, NULL}, true};
    if (with_memfd)
        a[n++] = (struct attempt){"memfd", {helper, "memfd", target, NULL}, true};
    return n;
}

/* ------------------------------------------------------------------------ */
/* The supervised tree.                                                     */

static void supervised_tree_denies_every_way(void **state)
{
    (void)state;
    const char *why = probe_supervision();
    if (why)
        test_skip(why);
    struct ext_supervisor *sv;
    struct core_hook *hook;
    assert_int_equal(ext_supervisor_create(&sv, &hook), 0);
    struct core_object *obj = load_policy(target, false);
    struct core_link *link;
    assert_int_equal(core_hook_attach(hook, core_object_find_prog(obj, "deny_by_hash"), NULL, 0, &link), 0);
    struct attempt a[16];
    size_t n = attempts(a, true);
    for (size_t i = 0; i < n; i++) {
        int code = -1;
        int rc = ext_supervisor_run(sv, a[i].argv, &code);
        /* Denied: the command's own exec (-EPERM, 127), or the helper's later one (100 + EPERM). */
        bool denied = rc == -EPERM || code == 100 + EPERM;
        if (denied != a[i].denied)
            fail_msg("supervised, %s: %s (run %d, exit code %d)", a[i].name, denied ? "denied" : "ran", rc, code);
        if (!a[i].denied)
            assert_int_equal(code, 0);
    }
    core_link_release(link);
    ext_supervisor_destroy(sv);
    core_object_close(obj);
}

/* ------------------------------------------------------------------------ */
/* The fanotify source.                                                     */

/* Runs argv in a child of group TEST_GID: its exit code, 100 + errno if its exec failed. */
static int run_in_group(char *const argv[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(TEST_GID) != 0)
            _exit(98);
        execv(argv[0], argv);
        _exit(100 + errno);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void fanotify_denies_every_way_it_sees(void **state)
{
    (void)state;
    const char *why = probe_fanotify_exec_perm();
    if (!why)
        why = probe_root(); /* the children change their group */
    if (why)
        test_skip(why);
    struct core_object *obj = load_policy(target, true);
    struct core_link *link;
    int err = core_hook_attach(core_hook_find(EXT_PROCESS_HOOK_FANOTIFY), core_object_find_prog(obj, "deny_by_hash"),
                               NULL, 0, &link);
    assert_int_equal(err, 0);
    struct attempt a[16];
    size_t n = attempts(a, false);
    char failure[512] = "";
    for (size_t i = 0; i < n && !failure[0]; i++) {
        int code = run_in_group(a[i].argv);
        bool denied = code == 100 + EPERM;
        if (denied != a[i].denied || (!denied && code != 0))
            snprintf(failure, sizeof(failure), "fanotify, %s: %s (exit code %d)", a[i].name,
                     denied ? "denied" : "ran", code);
    }
    /* Processes of other groups are not the policy's: the file itself runs for them. */
    char *argv[] = {target, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(target, argv);
        _exit(100 + errno);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    core_link_detach(link);
    core_link_release(link);
    core_object_close(obj);
    if (failure[0])
        fail_msg("%s", failure);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Runs argv in a supervised tree under the policy denying denied's digest: its exit code (skipped: -1). */
static int supervised_run(const char *check, const char *denied, char *const argv[], struct ext_source_stats *st)
{
    const char *why = probe_supervision();
    if (why) {
        test_skip_check(check, why);
        return -1;
    }
    struct ext_supervisor *sv;
    struct core_hook *hook;
    assert_int_equal(ext_supervisor_create(&sv, &hook), 0);
    struct core_object *obj = load_policy(denied, false);
    struct core_link *link;
    assert_int_equal(core_hook_attach(hook, core_object_find_prog(obj, "deny_by_hash"), NULL, 0, &link), 0);
    int code = -1;
    assert_int_equal(ext_supervisor_run(sv, argv, &code), 0);
    ext_supervisor_stats(sv, st);
    core_link_release(link);
    ext_supervisor_destroy(sv);
    core_object_close(obj);
    return code;
}

/* Runs argv in a child of group TEST_GID under fanotify and the policy denying denied's digest (skipped: -1). */
static int fanotify_run(const char *check, const char *denied, char *const argv[])
{
    const char *why = probe_fanotify_exec_perm();
    if (!why)
        why = probe_root();
    if (why) {
        test_skip_check(check, why);
        return -1;
    }
    struct core_object *obj = load_policy(denied, true);
    struct core_link *link;
    assert_int_equal(core_hook_attach(core_hook_find(EXT_PROCESS_HOOK_FANOTIFY),
                                      core_object_find_prog(obj, "deny_by_hash"), NULL, 0, &link),
                     0);
    int code = run_in_group(argv);
    core_link_detach(link);
    core_link_release(link);
    core_object_close(obj);
    return code;
}

/*
 * The review's second trick: with ld.so denied, a failed exec of any
 * dynamic program left a credit for ld.so that a direct "ld.so PROGRAM"
 * then used. The helper is static (a denied ld.so would stop a dynamic
 * one); it fails an exec of /bin/true, then runs ld.so itself.
 */
static void a_failed_exec_leaves_no_credit_for_ldso(void **state)
{
    (void)state;
    char *argv[] = {static_helper, "failed-exec", "/bin/true", LDSO, "/bin/true", NULL};
    struct ext_source_stats st;
    int code = supervised_run("supervised ld.so credit", LDSO, argv, &st);
    if (code != -1)
        assert_int_equal(code, 100 + EPERM);
    code = fanotify_run("fanotify ld.so credit", LDSO, argv);
    if (code != -1)
        assert_int_equal(code, 100 + EPERM);
}

/*
 * Millions of empty arguments made the sources read each one, holding the
 * exec (under fanotify every exec of the machine) for seconds; now an exec
 * with more arguments than the kernel takes by default is cut and failed.
 */
static void an_argument_flood_is_failed_not_read(void **state)
{
    (void)state;
    char *argv[] = {static_helper, "many-args", "2000000", "/bin/true", NULL};
    struct ext_source_stats st;
    int code = supervised_run("supervised argument flood", target, argv, &st);
    if (code != -1) {
        assert_int_equal(code, 100 + E2BIG);
        assert_int_equal(st.errors, 1);
    }
    code = fanotify_run("fanotify argument flood", target, argv);
    if (code != -1)
        assert_int_equal(code, 100 + EPERM);
}

/* ------------------------------------------------------------------------ */
/* The supervised tree's own bookkeeping.                                   */

/*
 * The command exits 3; a process it left behind waits until the command is
 * reaped, then makes a child get the command's pid, which runs a shell
 * exiting 7 as an orphan. The run's exit code stays the command's.
 */
static void supervised_exit_code_survives_pid_reuse(void **state)
{
    (void)state;
    const char *why = probe_root(); /* choosing a pid (ns_last_pid) */
    if (!why)
        why = probe_supervision();
    if (why)
        test_skip(why);
    struct ext_supervisor *sv;
    struct core_hook *hook;
    assert_int_equal(ext_supervisor_create(&sv, &hook), 0);
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "%s reuse-pid $$ /bin/sh -c 'exit 7' & exit 3", helper);
    int code = -1;
    assert_int_equal(ext_supervisor_run(sv, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code), 0);
    assert_int_equal(code, 3);
    struct ext_source_stats st;
    ext_supervisor_stats(sv, &st);
    ext_supervisor_destroy(sv);
    /* The reused pid did exec in the tree (else the test proved nothing): sh, helper, the reuser's sh,
     * each with its ld.so, and their three exits. */
    assert_int_equal(st.events, 9);
}

/* Closes the write end of the test's pipe a moment after the run started. */
static void *close_later(void *fd)
{
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    close(*(int *)fd);
    return NULL;
}

/* The helper process keeps no descriptor of the caller's but its channel. */
static void supervised_helper_holds_no_caller_descriptor(void **state)
{
    (void)state;
    const char *why = probe_supervision();
    if (why)
        test_skip(why);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0); /* not close-on-exec: the command may inherit it, the helper must not */
    pid_t reader = fork();
    if (reader == 0) {
        close(pipefd[1]);
        char c;
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        ssize_t n = read(pipefd[0], &c, 1); /* end of file once every writer is gone */
        clock_gettime(CLOCK_MONOTONIC, &end);
        long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
        _exit(n == 0 && ms < 400 ? 0 : 1);
    }
    close(pipefd[0]);
    struct ext_supervisor *sv;
    struct core_hook *hook;
    assert_int_equal(ext_supervisor_create(&sv, &hook), 0);
    /* The command closes its copy and the tree runs on for 0.5 s while our copy closes after 50 ms:
     * the helper's copy alone would keep the pipe open to the end. */
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "exec %d>&-; sleep 0.5", pipefd[1]);
    pthread_t closer;
    assert_int_equal(pthread_create(&closer, NULL, close_later, &pipefd[1]), 0);
    int code = -1;
    assert_int_equal(ext_supervisor_run(sv, (char *[]){"/bin/sh", "-c", cmd, NULL}, &code), 0);
    assert_int_equal(code, 0);
    pthread_join(closer, NULL);
    int status;
    assert_int_equal(waitpid(reader, &status, 0), reader);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ext_supervisor_destroy(sv);
}

/* ------------------------------------------------------------------------ */
/* The digest.                                                              */

static void digests_are_cached_per_version_of_a_file(void **state)
{
    (void)state;
    uint8_t a[EXT_SHA256_SIZE], b[EXT_SHA256_SIZE], c[EXT_SHA256_SIZE];
    struct ext_image_hash_stats st = {0};
    /* A file changed long ago: hashed once, then from the cache. */
    assert_int_equal(ext_image_sha256("/bin/true", a, &st), 0);
    assert_int_equal(ext_image_sha256("/bin/true", b, &st), 0);
    assert_true(st.cached);
    assert_memory_equal(a, b, sizeof(a));

    /* A file changed just now is hashed every time: a rewrite within its ctime's granularity
     * (a second on ext2) would not show. */
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/versions", dir);
    assert_int_equal(subprocess_shell("printf abc > %s", path), 0);
    assert_int_equal(ext_image_sha256(path, a, &st), 0);
    /* SHA-256("abc"), FIPS 180-2's example. */
    static const uint8_t abc[EXT_SHA256_SIZE] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    assert_memory_equal(a, abc, sizeof(abc));
    assert_int_equal(ext_image_sha256(path, b, &st), 0);
    assert_false(st.cached);
    assert_int_equal(subprocess_shell("printf abd > %s", path), 0); /* same size, same second */
    assert_int_equal(ext_image_sha256(path, c, &st), 0);
    assert_memory_not_equal(a, c, sizeof(a));

    assert_int_equal(ext_image_sha256("/nonexistent/file", c, NULL), -ENOENT);
    assert_int_equal(ext_image_sha256("/tmp", c, NULL), -EACCES);     /* not a regular file */
    assert_int_equal(ext_image_sha256("/dev/zero", c, NULL), -EACCES); /* never opened */
    assert_int_equal(ext_image_sha256(NULL, c, NULL), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(supervised_tree_denies_every_way),
        cmocka_unit_test(fanotify_denies_every_way_it_sees),
        cmocka_unit_test(a_failed_exec_leaves_no_credit_for_ldso),
        cmocka_unit_test(an_argument_flood_is_failed_not_read),
        cmocka_unit_test(supervised_exit_code_survives_pid_reuse),
        cmocka_unit_test(supervised_helper_holds_no_caller_descriptor),
        cmocka_unit_test(digests_are_cached_per_version_of_a_file),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
