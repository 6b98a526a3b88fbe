/*
 * Execve events assembled from audit records as the kernel writes them
 * (src/ext/audit_records.c): quoted and hex-encoded values, arguments
 * split over pieces and records, events whose records interleave, what is
 * not a successful exec ignored, an event never ended dropped and counted.
 * The records are the kernel's format, written here by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "ext/process/audit.h"

/* The events the assembler finished. */
struct done {
    int count;
    struct audit_exec last;
    char args[1 << 16];
};

static void on_done(void *arg, struct audit_exec *x)
{
    struct done *d = arg;
    d->count++;
    d->last = *x;
    assert_true(x->args_len < sizeof(d->args));
    if (x->args_len)
        memcpy(d->args, x->args, x->args_len);
    d->args[x->args_len] = '\0';
    d->last.args = d->args;
}

static void feed(struct audit_assembler *a, struct done *d, unsigned type, const char *text)
{
    assert_int_equal(audit_assembler_record(a, type, text, strlen(text), on_done, d), 0);
}

#define SYSCALL_EXECVE(serial, pid)                                                                                   \
    "audit(1700000000.123:" serial "): arch=c000003e syscall=59 success=yes exit=0 a0=55 a1=56 a2=57 a3=0 items=2 " \
    "ppid=10 pid=" pid " auid=4294967295 uid=1000 gid=1001 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 "             \
    "tty=(none) ses=4294967295 comm=\"true\" exe=\"/usr/bin/true\" subj=unconfined key=\"bpfhost-1\""

static void one_exec_with_quoted_and_hex_arguments(void **state)
{
    (void)state;
    struct audit_assembler a = {0};
    struct done *d = calloc(1, sizeof(*d));
    feed(&a, d, AUDIT_SYSCALL, SYSCALL_EXECVE("42", "1234"));
    /* "a b" and c"d are hex (a space, a quote); an empty argument is quoted. */
    feed(&a, d, AUDIT_EXECVE, "audit(1700000000.123:42): argc=5 a0=\"/bin/echo\" a1=612062 a2=632264 a3=\"\" a4=\"x\"");
    assert_int_equal(d->count, 0);
    feed(&a, d, AUDIT_CWD, "audit(1700000000.123:42): cwd=\"/home/u\"");
    feed(&a, d, AUDIT_PATH,
         "audit(1700000000.123:42): item=0 name=\"/bin/echo\" inode=247758 dev=fe:01 mode=0100755 ouid=0 ogid=0 "
         "rdev=00:00 nametype=NORMAL cap_fp=0");
    feed(&a, d, AUDIT_PATH, "audit(1700000000.123:42): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=9 dev=fe:00");
    feed(&a, d, 1327, "audit(1700000000.123:42): proctitle=2F62696E2F6563686F");
    feed(&a, d, AUDIT_EOE, "audit(1700000000.123:42): ");
    assert_int_equal(d->count, 1);
    const struct audit_exec *x = &d->last;
    assert_int_equal(x->pid, 1234);
    assert_int_equal(x->ppid, 10);
    assert_int_equal(x->uid, 1000);
    assert_int_equal(x->gid, 1001);
    assert_string_equal(x->comm, "true");
    assert_string_equal(x->exe, "/usr/bin/true");
    assert_string_equal(x->cwd, "/home/u");
    assert_string_equal(x->name, "/bin/echo"); /* item 0, not ld.so */
    assert_int_equal(x->ino, 247758);
    assert_int_equal(x->dev, makedev(0xfe, 0x01));
    assert_int_equal(x->argc, 5);
    assert_int_equal(x->args_seen, 5);
    assert_string_equal(x->args, "/bin/echo a b c\"d  x");
    audit_assembler_free(&a);
    free(d);
}

static void hex_and_control_characters_decode_exactly(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(audit_decode_value("\"abc\"", 5, out, sizeof(out)), 3);
    assert_memory_equal(out, "abc", 3);
    assert_int_equal(audit_decode_value("6122640A00", 10, out, sizeof(out)), 5); /* a"d\n\0 */
    assert_memory_equal(out, "a\"d\n\0", 5);
    assert_int_equal(audit_decode_value("(null)", 6, out, sizeof(out)), 6); /* bare text as is */
    assert_int_equal(audit_decode_value("", 0, out, sizeof(out)), -1);
    /* A value longer than the room: the whole length is told, only the room written. */
    assert_int_equal(audit_decode_value("41424344", 8, out, 2), 4);
    assert_memory_equal(out, "AB", 2);
}

/* A long argument comes as a0_len and pieces, each quoted or hex, going on in the next EXECVE record. */
static void split_argument_over_pieces_and_records(void **state)
{
    (void)state;
    struct audit_assembler a = {0};
    struct done *d = calloc(1, sizeof(*d));
    feed(&a, d, AUDIT_SYSCALL, SYSCALL_EXECVE("7", "99"));
    feed(&a, d, AUDIT_EXECVE, "audit(1700000000.123:7): argc=3 a0=\"sh\" a1_len=9 a1[0]=\"abc\" a1[1]=646566");
    feed(&a, d, AUDIT_EXECVE, "audit(1700000000.123:7): a1[2]=\"ghi\" a2=\"last\"");
    feed(&a, d, AUDIT_EOE, "audit(1700000000.123:7): ");
    assert_int_equal(d->count, 1);
    assert_string_equal(d->last.args, "sh abcdefghi last");
    assert_int_equal(d->last.args_seen, 3);
    assert_int_equal(d->last.argc, 3);
    audit_assembler_free(&a);
    free(d);
}

/* Records of two events interleave; each ends with its own EOE. */
static void interleaved_events(void **state)
{
    (void)state;
    struct audit_assembler a = {0};
    struct done *d = calloc(1, sizeof(*d));
    feed(&a, d, AUDIT_SYSCALL, SYSCALL_EXECVE("1", "100"));
    feed(&a, d, AUDIT_SYSCALL, SYSCALL_EXECVE("2", "200"));
    feed(&a, d, AUDIT_EXECVE, "audit(1700000000.123:2): argc=1 a0=\"second\"");
    feed(&a, d, AUDIT_EXECVE, "audit(1700000000.123:1): argc=1 a0=\"first\"");
    feed(&a, d, AUDIT_EOE, "audit(1700000000.123:2): ");
    assert_int_equal(d->count, 1);
    assert_int_equal(d->last.pid, 200);
    assert_string_equal(d->last.args, "second");
    feed(&a, d, AUDIT_EOE, "audit(1700000000.123:1): ");
    assert_int_equal(d->count, 2);
    assert_int_equal(d->last.pid, 100);
    assert_string_equal(d->last.args, "first");
    assert_int_equal(a.count, 0);
    audit_assembler_free(&a);
    free(d);
}

/* Failed execs, other system calls, other ABIs' numbers, other records: no event. */
static void only_successful_execs_are_events(void **state)
{
    (void)state;
    struct audit_assembler a = {0};
    struct done *d = calloc(1, sizeof(*d));
    const char *others[] = {
        "audit(1.1:5): arch=c000003e syscall=59 success=no exit=-2 pid=5 ppid=1 uid=0 gid=0",
        "audit(1.1:6): arch=c000003e syscall=11 success=yes exit=0 pid=6 ppid=1 uid=0 gid=0", /* munmap */
        "audit(1.1:7): arch=40000003 syscall=59 success=yes exit=0 pid=7 ppid=1 uid=0 gid=0", /* i386 59 */
    };
    for (size_t i = 0; i < 3; i++) {
        feed(&a, d, AUDIT_SYSCALL, others[i]);
        char eoe[64];
        snprintf(eoe, sizeof(eoe), "audit(1.1:%zu): ", i + 5);
        feed(&a, d, AUDIT_EOE, eoe);
    }
    feed(&a, d, AUDIT_SYSCALL, "audit(1.1:8): arch=40000003 syscall=11 success=yes exit=0 pid=8 ppid=1 uid=0 gid=0");
    feed(&a, d, AUDIT_EXECVE, "audit(1.1:8): argc=1 a0=\"i386\"");
    feed(&a, d, AUDIT_EOE, "audit(1.1:8): ");
    assert_int_equal(d->count, 1);
    assert_int_equal(d->last.pid, 8);
    assert_int_equal(audit_assembler_record(&a, AUDIT_EOE, "garbage", 7, on_done, d), -EINVAL);
    audit_assembler_free(&a);
    free(d);
}

/* More unfinished events than slots: the oldest is dropped and counted. */
static void unfinished_events_are_dropped_and_counted(void **state)
{
    (void)state;
    struct audit_assembler a = {0};
    struct done *d = calloc(1, sizeof(*d));
    char text[512];
    for (int i = 0; i < AUDIT_PENDING_MAX + 3; i++) {
        snprintf(text, sizeof(text), "audit(1.1:%d): arch=c000003e syscall=322 success=yes exit=0 pid=%d ppid=1",
                 1000 + i, 1000 + i);
        feed(&a, d, AUDIT_SYSCALL, text);
    }
    assert_int_equal(a.dropped, 3);
    assert_int_equal(a.count, AUDIT_PENDING_MAX);
    feed(&a, d, AUDIT_EOE, "audit(1.1:1000): "); /* dropped: no event */
    assert_int_equal(d->count, 0);
    feed(&a, d, AUDIT_EOE, "audit(1.1:1005): ");
    assert_int_equal(d->count, 1);
    assert_int_equal(d->last.pid, 1005);
    audit_assembler_free(&a);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_exec_with_quoted_and_hex_arguments),
        cmocka_unit_test(hex_and_control_characters_decode_exactly),
        cmocka_unit_test(split_argument_over_pieces_and_records),
        cmocka_unit_test(interleaved_events),
        cmocka_unit_test(only_successful_execs_are_events),
        cmocka_unit_test(unfinished_events_are_dropped_and_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
