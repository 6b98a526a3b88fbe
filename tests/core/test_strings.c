/* String, memory, task and clock helpers, and the trace pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core_test.h"

static void snprintf_like_linux(void **state)
{
    (void)state;
    struct core_object *obj = load("strings", NULL);
    struct core_sample_ctx ctx = {.uint64_data = 18446744073709551615ull};
    char out[64] = {0};
    uint64_t retval;
    assert_int_equal(run_ctx(prog_of(obj, "format"), &ctx, out, sizeof(out), &retval, NULL), 0);
    const char *expected = "hello world -3 ff z 18446744073709551615 00007 %";
    assert_string_equal(out, expected);
    assert_int_equal(retval, strlen(expected) + 1);
    assert_int_equal(run_simple(prog_of(obj, "format_size")), 8);
    assert_int_equal(run_simple(prog_of(obj, "format_errors")), 1);
    core_object_close(obj);
}

static void strncmp_and_windows_helpers(void **state)
{
    (void)state;
    struct core_object *obj = load("strings", NULL);
    struct core_prog *compare = prog_of(obj, "compare");
    struct core_sample_ctx ctx = {0};
    char data[8] = "hello!";
    uint64_t retval;
    assert_int_equal(run_ctx(compare, &ctx, data, sizeof(data), &retval, NULL), 0);
    assert_int_equal(retval, 0);
    memcpy(data, "help", 4);
    assert_int_equal(run_ctx(compare, &ctx, data, sizeof(data), &retval, NULL), 0);
    assert_int_equal((int)retval, 1);
    assert_int_equal(run_simple(prog_of(obj, "windows_helpers")), 1);
    assert_int_equal(run_simple(prog_of(obj, "misc")), 1);
    core_object_close(obj);
}

static void task_helpers_default_to_the_calling_thread(void **state)
{
    (void)state;
    struct core_object *obj = load("strings", NULL);
    struct core_prog *task = prog_of(obj, "task");
    prctl(PR_SET_NAME, "core-tester");
    struct core_sample_ctx ctx = {0};
    uint64_t ids = 0;
    struct core_test_run r = {.ctx_in = &ctx, .ctx_in_size = sizeof(ctx), .ctx_out = &ctx,
                              .ctx_out_size = sizeof(ctx), .data_in = &ids, .data_in_size = sizeof(ids),
                              .data_out = &ids, .data_out_size = sizeof(ids)};
    assert_int_equal(core_test_run(task, &r), 0);
    assert_int_equal(r.retval, 'c');
    assert_int_equal(ctx.uint64_data, (uint64_t)getpid() << 32 | (uint32_t)gettid());
    assert_int_equal(ids, (uint64_t)getgid() << 32 | getuid());

    /* A hook names another task. */
    struct core_task other = {.process_id = 77, .thread_id = 78, .uid = 1000, .gid = 1001, .comm = "curl"};
    r.task = &other;
    r.data_out_size = sizeof(ids);
    assert_int_equal(core_test_run(task, &r), 0);
    assert_int_equal(r.retval, 'c');
    assert_int_equal(ctx.uint64_data, 77ull << 32 | 78);
    assert_int_equal(ids, 1001ull << 32 | 1000);
    core_object_close(obj);
}

/* Reads the next trace line into line; fails after a second without one. */
static void next_line(uint64_t *cursor, char *line, size_t len)
{
    assert_int_equal(core_trace_follow(cursor, line, len, 1000), 0);
}

static void printk_writes_the_trace_pipe(void **state)
{
    (void)state;
    char mirror[] = "/tmp/bpfhost-trace-XXXXXX";
    int fd = mkstemp(mirror);
    assert_true(fd >= 0);
    close(fd);
    setenv("BPFHOST_TRACE_PIPE", mirror, 1);
    struct core_object *obj = load("strings", NULL);
    uint64_t cursor = core_trace_tail();
    struct core_sample_ctx ctx = {.uint32_data = 7};
    assert_int_equal((int)run_on(prog_of(obj, "print"), &ctx), 0);
    char line[CORE_TRACE_LINE_MAX];
    next_line(&cursor, line, sizeof(line));
    assert_non_null(strstr(line, ": print: value 7 from world"));
    assert_int_equal(line[strlen(line) - 1], 'd'); /* the newline is dropped */
    next_line(&cursor, line, sizeof(line));
    assert_non_null(strstr(line, "printk2 plain"));
    next_line(&cursor, line, sizeof(line));
    assert_non_null(strstr(line, "printk3 3"));
    next_line(&cursor, line, sizeof(line));
    assert_non_null(strstr(line, "printk5 4 5 world"));
    assert_int_equal(core_trace_follow(&cursor, line, sizeof(line), 10), -ETIMEDOUT);

    FILE *f = fopen(mirror, "r");
    assert_non_null(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "value 7 from world\n"));
    assert_non_null(strstr(text, "printk5 4 5 world\n"));

    /* A host line carrying a process' string: its newline and escape sequence cannot forge a line. */
    core_trace_printf("bpfhost: exec of %s", "/tmp/x\nbpfhost: forged\x1b[2J\\");
    f = fopen(mirror, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "bpfhost: exec of /tmp/x\\x0abpfhost: forged\\x1b[2J\\\\\n"));
    assert_null(strstr(text, "\nbpfhost: forged"));
    unsetenv("BPFHOST_TRACE_PIPE");
    unlink(mirror);
    core_object_close(obj);
}

/* Everything readable now from fd (non-blocking), as a string. */
static void read_all(int fd, char *text, size_t len)
{
    ssize_t n = read(fd, text, len - 1);
    text[n > 0 ? n : 0] = '\0';
}

/* A FIFO mirror: lines go to a reader; without one they are dropped, never fatal. */
static void printk_mirrors_to_a_fifo(void **state)
{
    (void)state;
    char dir[] = "/tmp/bpfhost-fifo-XXXXXX", fifo[64], text[4096];
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof(fifo), "%s/pipe", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    setenv("BPFHOST_TRACE_PIPE", fifo, 1);
    struct core_object *obj = load("strings", NULL);
    struct core_prog *print = prog_of(obj, "print");
    run_simple(print); /* no reader yet: dropped */
    int reader = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(reader >= 0);
    run_simple(print);
    read_all(reader, text, sizeof(text));
    assert_non_null(strstr(text, "printk3 3\n"));
    close(reader);
    run_simple(print); /* the reader is gone: EPIPE, and SIGPIPE is not delivered */
    reader = open(fifo, O_RDONLY | O_NONBLOCK);
    run_simple(print);
    read_all(reader, text, sizeof(text));
    assert_non_null(strstr(text, "value 0 from world\n"));
    close(reader);
    unsetenv("BPFHOST_TRACE_PIPE");
    run_simple(print); /* closes the mirror */
    unlink(fifo);
    rmdir(dir);
    core_object_close(obj);
}

static void trace_ring_reports_lost_lines(void **state)
{
    (void)state;
    struct core_object *obj = load("strings", NULL);
    uint64_t cursor = core_trace_tail();
    /* Each run prints four lines: overflow the ring by one run. */
    for (int i = 0; i < CORE_TRACE_LINES / 4 + 1; i++)
        run_simple(prog_of(obj, "print"));
    char line[CORE_TRACE_LINE_MAX];
    assert_int_equal(core_trace_follow(&cursor, line, sizeof(line), 0), 4);
    assert_non_null(strstr(line, "value 0 from world"));
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snprintf_like_linux),
        cmocka_unit_test(strncmp_and_windows_helpers),
        cmocka_unit_test(task_helpers_default_to_the_calling_thread),
        cmocka_unit_test(printk_writes_the_trace_pipe),
        cmocka_unit_test(printk_mirrors_to_a_fifo),
        cmocka_unit_test(trace_ring_reports_lost_lines),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
