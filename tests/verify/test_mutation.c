/*
 * The verifier's mutation test: every program it accepts — of the corpus
 * (BPFHOST_VERIFIER_DIR/list.tsv, core and stretch sets), of examples/ and
 * of the tests' progs/ — is turned into mechanical unsafe variants
 * (tests/common/mutate.h: a dropped NULL check, a packet bound one byte
 * short, a removed packet check, a read of a stack slot whose store is
 * gone, a store to a read-only context field, a returned or stored stack
 * pointer), and every variant must be rejected. Prints the variants per
 * kind and over how many programs; an accepted variant fails the test,
 * named by file, section, function, kind and instruction.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/mutate.h"
#include "common/skips.h"
#include "ext/ext.h"
#include "tools/tools.h"

enum { PER_KIND = 3 }; /* variants of each kind per program, spread over it (keeps the test fast) */

struct tally {
    size_t variants[MUTATE_KINDS];
    size_t programs[MUTATE_KINDS]; /* programs that gave a variant of that kind */
    size_t accepted;               /* programs accepted, hence mutated */
    size_t failures;               /* variants accepted */
};

static void report_accepted(const char *file, const struct bpf_elf_program *p, const struct mutation *m,
                            const struct ebpf_insn *original, const struct verify_result *res)
{
    char was[128] = "?", now[128] = "?";
    struct ebpf_insn pair[2] = {*original, m->pc + 1 < p->insn_count ? p->insns[m->pc + 1] : (struct ebpf_insn){0}};
    isa_disassemble_insn(pair, 2, 0, was, sizeof(was));
    isa_disassemble_insn(p->insns, p->insn_count, m->pc, now, sizeof(now));
    print_message("variant not rejected: %s section %s function %s: %s at instruction %zu: '%s' became '%s'%s%s\n",
                  file, p->section, p->name, mutation_kind_name(m->kind), m->pc, was, now,
                  res->accepted ? "" : ": verifier error: ", res->accepted ? "" : res->message);
}

/* Verifies each variant of the program; restores it after each. */
static void mutate_program(struct tally *t, const char *file, const struct bpf_elf_object *elf, size_t index,
                           const struct verify_profile *profile)
{
    const struct bpf_elf_program *p = &elf->programs[index];
    struct mutation m[MUTATE_KINDS * PER_KIND];
    size_t n = mutations_find(p->insns, p->insn_count, profile, PER_KIND, m);
    bool seen[MUTATE_KINDS] = {false};
    t->accepted++;
    for (size_t i = 0; i < n; i++) {
        struct ebpf_insn original = p->insns[m[i].pc];
        p->insns[m[i].pc] = m[i].insn;
        struct verify_result res;
        int rc = core_verify_elf_program(elf, index, profile, NULL, &res);
        if (rc != 0 || res.accepted) {
            res.accepted = rc == 0;
            report_accepted(file, p, &m[i], &original, &res);
            t->failures++;
        }
        p->insns[m[i].pc] = original;
        t->variants[m[i].kind]++;
        seen[m[i].kind] = true;
    }
    for (int k = 0; k < MUTATE_KINDS; k++)
        t->programs[k] += seen[k];
}

static void on_corpus_row(void *arg, const struct tools_corpus_row *row)
{
    bool must_accept = !strcmp(row->set, "core") || !strcmp(row->set, "stretch");
    if (must_accept && row->found && row->res.accepted)
        mutate_program(arg, row->path, row->elf, row->index, row->profile);
}

/* Compiles source (a path under the source tree) and mutates every program of it the verifier accepts. */
static void mutate_own_object(struct tally *t, const char *source)
{
    char dir[4096], name[256];
    const char *slash = strrchr(source, '/');
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - source), source);
    snprintf(name, sizeof(name), "%.*s", (int)(strlen(slash + 1) - 2), slash + 1);
    char *path = bpf_compile(dir, name, NULL);
    if (!path)
        fail_msg("%s does not compile", source);
    struct bpf_elf_object *elf;
    char err[512];
    if (bpf_elf_open_file(path, &elf, err, sizeof(err)) != 0) {
        free(path); /* objects made to be refused by the loader */
        return;
    }
    /* Each program with the profile `bpfhost show verification` gives it. */
    enum core_platform platform = core_object_platform(elf);
    for (size_t i = 0; i < elf->program_count; i++) {
        struct core_type_choice c;
        struct verify_result res;
        if (core_type_choose(&c, core_program_type_name(elf, i, platform), platform) == 0 &&
            core_verify_elf_program(elf, i, c.profile, NULL, &res) == 0 && res.accepted)
            mutate_program(t, source, elf, i, c.profile);
        core_type_choice_free(&c);
    }
    bpf_elf_close(elf);
    free(path);
}

static void print_tally(const char *what, const struct tally *t)
{
    print_message("%s: %zu accepted programs mutated\n", what, t->accepted);
    for (int k = 0; k < MUTATE_KINDS; k++)
        print_message("  %-34s %5zu variants over %4zu programs\n", mutation_kind_name(k), t->variants[k],
                      t->programs[k]);
}

static void add_tally(struct tally *sum, const struct tally *t)
{
    for (int k = 0; k < MUTATE_KINDS; k++) {
        sum->variants[k] += t->variants[k];
        sum->programs[k] += t->programs[k];
    }
    sum->accepted += t->accepted;
    sum->failures += t->failures;
}

static void every_variant_is_rejected(void **state)
{
    (void)state;
    assert_int_equal(ext_register_builtin(), 0);
    struct tally corpus = {0}, own = {0}, sum = {0};
    const char *dir = getenv("BPFHOST_VERIFIER_DIR");
    if (!dir || tools_verify_corpus(dir, on_corpus_row, &corpus) < 0)
        test_skip_check("corpus programs", "no verifier corpus (BPFHOST_VERIFIER_DIR)");
    else
        print_tally("corpus", &corpus);

    char pattern[4200];
    glob_t g = {0};
    static const char *const sources[] = {"examples/*.c", "tests/*/progs/*.c", "tests/*/*/progs/*.c"};
    for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
        snprintf(pattern, sizeof(pattern), "%s/%s", bpf_source_dir(), sources[s]);
        assert_int_equal(glob(pattern, s ? GLOB_APPEND : 0, NULL, &g), 0);
    }
    size_t skip = strlen(bpf_source_dir()) + 1;
    for (size_t i = 0; i < g.gl_pathc; i++)
        mutate_own_object(&own, g.gl_pathv[i] + skip);
    globfree(&g);
    print_tally("examples and test programs", &own);

    add_tally(&sum, &corpus);
    add_tally(&sum, &own);
    assert_int_equal(sum.failures, 0);
    for (int k = 0; k < MUTATE_KINDS; k++)
        if (sum.variants[k] == 0)
            fail_msg("no variant of kind '%s' was found: the mutation analysis is broken", mutation_kind_name(k));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_variant_is_rejected),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bpf_compile_cleanup();
    return rc;
}
