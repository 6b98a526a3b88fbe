/*
 * The verifier over the development corpus (../shared/verifier/list.tsv):
 * every `negative` program rejected (naming a source line when its object
 * could be read), every `invalid` object handled without a crash or hang,
 * and every `core` program accepted but those listed in refused below,
 * which are refused on purpose, each for the rule named there (the test
 * checks the rejection is that one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/skips.h"
#include "tools/tools.h"

/*
 * Core rows refused on purpose. The fuzzed Windows object 58087ea4 returns
 * a 32-bit number read from a map value from cgroup_sock_addr programs.
 * Linux's check_return_code() demands R0 in [0, 1] of that type ([1, 1]
 * for recvmsg, [0, 3] for bind: no attach type allows any number), and its
 * own selftest "bpf_exit with invalid return code. test1" rejects the same
 * shape (an unchecked 32-bit load returned by a cgroup_sock program). The
 * list's "kernel=A" cannot hold for a Linux load of these as
 * cgroup_sock_addr; accepting them would make the profile disagree with
 * Linux on its return rule.
 */
static const struct {
    const char *path, *section, *why;
} refused[] = {
    {"invalid/58087ea4ff41695f3186d628a3250b26dc8d237a", "cgroup/connect4", "outside [0, 1]"},
    {"invalid/58087ea4ff41695f3186d628a3250b26dc8d237a", "cgroup/connect6", "outside [0, 1]"},
    {"invalid/58087ea4ff41695f3186d628a3250b26dc8d237a", "cgroup/recv_accept4", "outside [0, 1]"},
    {"invalid/58087ea4ff41695f3186d628a3250b26dc8d237a", "cgroup/recv_accept6", "outside [0, 1]"},
};
enum { REFUSED = sizeof(refused) / sizeof(refused[0]) };

struct tally {
    int rows;
    int core, core_ok, stretch, stretch_ok, negative, negative_ok, invalid;
    int wrong; /* wrong verdicts */
    bool refused_seen[REFUSED];
};

static int refused_of(const struct tools_corpus_row *row)
{
    for (int i = 0; i < REFUSED; i++)
        if (!strcmp(row->path, refused[i].path) && !strcmp(row->section, refused[i].section))
            return i;
    return -1;
}

static const char *why(const struct tools_corpus_row *row)
{
    return row->found ? row->res.message : row->error;
}

static void on_row(void *arg, const struct tools_corpus_row *row)
{
    struct tally *t = arg;
    bool accepted = row->found && row->res.accepted;
    t->rows++;
    if (!strcmp(row->set, "core")) {
        t->core++;
        t->core_ok += accepted;
        int r = refused_of(row);
        if (r >= 0 && !accepted && row->found && strstr(row->res.message, refused[r].why)) {
            t->refused_seen[r] = true;
        } else if (!accepted || r >= 0) {
            print_message("core program %s: %s %s %s: instruction %zu: %s\n",
                          r >= 0 ? "not refused for its rule" : "rejected", row->path, row->section, row->function,
                          row->res.pc, accepted ? "accepted" : why(row));
            t->wrong++;
        }
    } else if (!strcmp(row->set, "stretch")) {
        t->stretch++;
        t->stretch_ok += accepted;
    } else if (!strcmp(row->set, "negative")) {
        t->negative++;
        /* Rejected by the verifier with a source line, or (a link-level negative) refused by the loader. */
        bool ok = row->found ? !accepted && row->res.has_line && row->res.line.line > 0 : !row->opened;
        t->negative_ok += ok;
        if (!ok) {
            print_message("negative program not rejected with a source line: %s %s: %s\n", row->path,
                          row->section, accepted ? "accepted" : why(row));
            t->wrong++;
        }
    } else {
        t->invalid++; /* reaching here without a crash or hang is the check */
    }
}

static void every_verdict_of_the_corpus(void **state)
{
    (void)state;
    const char *dir = getenv("BPFHOST_VERIFIER_DIR");
    struct tally t = {0};
    long rows = dir ? tools_verify_corpus(dir, on_row, &t) : -1;
    if (rows < 0) {
        test_skip("no verifier corpus (BPFHOST_VERIFIER_DIR)");
        return;
    }
    print_message("corpus: core %d/%d accepted, stretch %d/%d accepted, negative %d/%d rejected with a line, "
                  "invalid %d handled\n",
                  t.core_ok, t.core, t.stretch_ok, t.stretch, t.negative_ok, t.negative, t.invalid);
    assert_int_equal(rows, t.rows);
    assert_int_equal(t.wrong, 0);
    for (int i = 0; i < REFUSED; i++)
        assert_true(t.refused_seen[i]);
    assert_int_equal(t.core_ok, t.core - REFUSED);
    assert_int_equal(t.negative_ok, t.negative);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_verdict_of_the_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
