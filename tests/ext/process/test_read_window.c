/*
 * How the proc connector's and audit's readers wait (src/ext/process/
 * read_window.c), on pipes standing for their sockets: at once while
 * quiet; once a storm's worth was drained, a whole window even though
 * messages are waiting; the urgent descriptors (netlink's exec socket)
 * answered during a window, which then goes on; quiet again once a window
 * brings nothing. The window is the environment's, set here before its
 * first use.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ext/process/proc_connector.h"

enum { WINDOW_US = 50000, STORM = 5 };

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Two pipes: [0] urgent, [1] batched; fds watch their read ends. */
struct pipes {
    int urgent[2], batched[2];
    struct pollfd fds[2];
};

static void pipes_open(struct pipes *p)
{
    assert_int_equal(pipe2(p->urgent, O_CLOEXEC | O_NONBLOCK), 0);
    assert_int_equal(pipe2(p->batched, O_CLOEXEC | O_NONBLOCK), 0);
    p->fds[0] = (struct pollfd){.fd = p->urgent[0], .events = POLLIN};
    p->fds[1] = (struct pollfd){.fd = p->batched[0], .events = POLLIN};
}

static void pipes_close(struct pipes *p)
{
    close(p->urgent[0]);
    close(p->urgent[1]);
    close(p->batched[0]);
    close(p->batched[1]);
}

static void put(int fd)
{
    assert_int_equal(write(fd, "m", 1), 1);
}

/* Reads what fd holds: the messages drained. */
static size_t drain(int fd)
{
    char buf[64];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof(buf))) > 0)
        n += (size_t)r;
    return n;
}

static int setup(void **state)
{
    (void)state;
    char us[16];
    snprintf(us, sizeof(us), "%d", WINDOW_US);
    return setenv("BPFHOST_READ_WINDOW_US", us, 1);
}

/* The environment's window is the one used. */
static void the_window_comes_from_the_environment(void **state)
{
    (void)state;
    assert_int_equal(read_window_us(), WINDOW_US);
}

/* Quiet: a message is answered at once, however many came before in a quiet spell. */
static void quiet_reader_is_woken_at_once(void **state)
{
    (void)state;
    struct pipes p;
    pipes_open(&p);
    struct read_window w = {.storm_messages = STORM};
    for (int i = 0; i < STORM - 1; i++) {
        put(p.batched[1]);
        uint64_t t0 = now_us();
        assert_int_equal(read_window_wait(&w, p.fds, 2, 1), 0);
        assert_true(now_us() - t0 < WINDOW_US / 2);
        assert_true(p.fds[1].revents & POLLIN);
        read_window_drained(&w, drain(p.batched[0]));
    }
    assert_false(w.storm);
    pipes_close(&p);
}

/*
 * A storm's worth drained: the next wait sleeps a window although a
 * message waits; an urgent message during it is answered at once (the
 * batched one not reported), and the window then goes on to its end; a
 * window that brings nothing ends the storm.
 */
static void storm_reader_waits_a_window_but_answers_urgent_messages(void **state)
{
    (void)state;
    struct pipes p;
    pipes_open(&p);
    struct read_window w = {.storm_messages = STORM};
    for (int i = 0; i < STORM; i++)
        put(p.batched[1]);
    assert_int_equal(read_window_wait(&w, p.fds, 2, 1), 0);
    read_window_drained(&w, drain(p.batched[0]));
    assert_true(w.storm);

    put(p.batched[1]);
    uint64_t t0 = now_us();
    assert_int_equal(read_window_wait(&w, p.fds, 2, 1), 0);
    uint64_t waited = now_us() - t0;
    print_message("storm: waited %llu us with a message ready (window %d us)\n", (unsigned long long)waited,
                  WINDOW_US);
    assert_true(waited >= WINDOW_US);
    assert_true(p.fds[1].revents & POLLIN);
    read_window_drained(&w, drain(p.batched[0]));
    assert_true(w.storm);

    /* An urgent message a quarter into the window. */
    put(p.batched[1]);
    t0 = now_us();
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        usleep(WINDOW_US / 4);
        _exit(write(p.urgent[1], "u", 1) == 1 ? 0 : 1);
    }
    assert_int_equal(read_window_wait(&w, p.fds, 2, 1), 0);
    uint64_t urgent_at = now_us() - t0;
    assert_true(p.fds[0].revents & POLLIN);
    assert_int_equal(p.fds[1].revents, 0);
    assert_true(urgent_at < WINDOW_US);
    assert_int_equal(drain(p.urgent[0]), 1);
    assert_int_equal(read_window_wait(&w, p.fds, 2, 1), 0); /* the rest of the same window */
    uint64_t ended_at = now_us() - t0;
    print_message("urgent message answered after %llu us, the window ended after %llu us\n",
                  (unsigned long long)urgent_at, (unsigned long long)ended_at);
    assert_true(ended_at >= WINDOW_US && ended_at < 2 * WINDOW_US);
    assert_true(p.fds[1].revents & POLLIN);
    read_window_drained(&w, drain(p.batched[0]));
    assert_true(w.storm);

    /* A window that brings nothing: quiet again, woken at once. */
    assert_int_equal(read_window_wait(&w, p.fds, 2, 1), 0);
    assert_int_equal(p.fds[1].revents, 0);
    read_window_drained(&w, drain(p.batched[0]));
    assert_false(w.storm);
    put(p.batched[1]);
    t0 = now_us();
    assert_int_equal(read_window_wait(&w, p.fds, 2, 1), 0);
    assert_true(now_us() - t0 < WINDOW_US / 2);
    assert_true(p.fds[1].revents & POLLIN);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    pipes_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_window_comes_from_the_environment),
        cmocka_unit_test(quiet_reader_is_woken_at_once),
        cmocka_unit_test(storm_reader_waits_a_window_but_answers_urgent_messages),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
