/*
 * The verifier over the development corpus (../shared/verifier/list.tsv):
 * every `core` program accepted (each judged as the platform its object
 * was written for judges it: Linux's, or eBPF for Windows'), every
 * `negative` program rejected (naming a source line when its object could
 * be read), every `invalid` object handled without a crash or hang.
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

struct tally {
    int rows;
    int core, core_ok, stretch, stretch_ok, negative, negative_ok, invalid;
    int wrong; /* wrong verdicts */
};

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
        if (!accepted) {
            print_message("core program rejected: %s %s %s: instruction %zu: %s\n", row->path, row->section,
                          row->function, row->res.pc, why(row));
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
    assert_int_equal(t.core_ok, t.core);
    assert_int_equal(t.negative_ok, t.negative);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_verdict_of_the_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
