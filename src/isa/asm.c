/*
 * Assembler of the bpf_conformance text syntax (operand syntax in syntax.h).
 *
 * One pass over the lines encodes every instruction; a jump to a label is
 * encoded with a zero target and recorded as a fixup, patched once every
 * label is known. Besides the labels a program defines, "exit" names the
 * program's first exit instruction: the conformance suite writes
 * `jne %r0, 1, exit` without defining such a label.
 */
#include "isa/isa.h"
#include "isa/syntax.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPERANDS 3
#define MAX_MNEMONIC_WORDS 3 /* "lock fetch add32" */
#define MAX_MNEMONIC_LEN 32
#define MAX_MEMORY_TEXT 64
#define Q "'%.64s'" /* how a token is quoted in messages */

/* Mnemonics the suite spells differently from the form table. */
static const struct {
    const char *alias, *mnemonic;
} aliases[] = {
    {"swap16", "bswap16"},
    {"swap32", "bswap32"},
    {"swap64", "bswap64"},
};

/* The values a number may take: [-neg_limit, pos_limit]. */
struct int_range {
    uint64_t neg_limit, pos_limit;
    const char *what;
};

/* imm also takes 0x80000000..0xffffffff, wrapped to negative, as the suite
 * writes masks (`jne32 %r2, 0xffffff80`). */
static const struct int_range imm32_range = {0x80000000u, 0xffffffffu, "a 32-bit immediate"};
static const struct int_range imm64_range = {UINT64_C(1) << 63, UINT64_MAX, "a 64-bit immediate"};
static const struct int_range offset16_range = {0x8000, 0x7fff, "a 16-bit offset"};
static const struct int_range rel32_range = {0x80000000u, 0x7fffffff, "a 32-bit offset"};

struct label {
    const char *name;
    size_t slot;
    size_t line;
};

/* Which field of an instruction holds a jump target. */
enum target_field { TARGET_IN_OFFSET, TARGET_IN_IMM };

/* A jump to a label, patched once all labels are known. */
struct fixup {
    const char *label;
    size_t slot;
    size_t line;
    enum target_field field;
};

struct asm_ctx {
    struct ebpf_insn *insns;
    size_t count, insns_cap;
    struct label *labels;
    size_t nlabels, labels_cap;
    struct fixup *fixups;
    size_t nfixups, fixups_cap;
    bool have_exit;
    size_t first_exit;
    size_t line; /* 1-based line being assembled */
    struct isa_error *err;
};

__attribute__((format(printf, 3, 4))) static int fail_at(struct asm_ctx *c, size_t line, const char *fmt, ...)
{
    if (c->err) {
        va_list ap;
        c->err->pc = line;
        int n = snprintf(c->err->msg, sizeof(c->err->msg), "line %zu: ", line);
        va_start(ap, fmt);
        vsnprintf(c->err->msg + n, sizeof(c->err->msg) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define fail(c, ...) fail_at((c), (c)->line, __VA_ARGS__)

/* Grows a malloc'd array to hold at least need items; returns the (maybe
 * moved) array, or NULL with the old one untouched when out of memory. */
static void *reserve(void *items, size_t *cap, size_t need, size_t item_size)
{
    if (need <= *cap)
        return items;
    size_t grown = *cap ? *cap : 16;
    while (grown < need)
        grown *= 2;
    void *moved = realloc(items, grown * item_size);
    if (moved)
        *cap = grown;
    return moved;
}

/* ------------------------------------------------------------------------ */
/* Tokens.                                                                  */

static bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }
static bool is_digit(char ch) { return isdigit((unsigned char)ch) != 0; }
static bool is_word_char(char ch) { return isalnum((unsigned char)ch) || ch == '_'; }

/* Cuts blanks from both ends of s, in place. */
static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Length of the identifier (label name) at s, 0 if there is none. */
static size_t ident_len(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_' && *s != '.')
        return 0;
    size_t n = 1;
    while (is_word_char(s[n]) || s[n] == '.')
        n++;
    return n;
}

static bool is_ident(const char *s) { return ident_len(s) == strlen(s) && *s; }

static bool looks_like_register(const char *tok)
{
    return tok[0] == '%' || (tok[0] == 'r' && is_digit(tok[1]));
}

/* Value of a hex digit, or -1. */
static int digit_value(char ch)
{
    if (is_digit(ch))
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Parses an optionally signed decimal or 0x-hex integer within range; stores
 * its two's complement bits. */
static int parse_int(struct asm_ctx *c, const char *tok, const struct int_range *range, uint64_t *bits)
{
    const char *p = tok;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return fail(c, "malformed number " Q, tok);
    uint64_t magnitude = 0;
    for (; *p; p++) {
        int digit = digit_value(*p);
        if (digit < 0 || (unsigned)digit >= base)
            return fail(c, "malformed number " Q, tok);
        if (magnitude > (UINT64_MAX - (unsigned)digit) / base)
            return fail(c, "number " Q " is out of range for %s", tok, range->what);
        magnitude = magnitude * base + (unsigned)digit;
    }
    if (magnitude > (negative ? range->neg_limit : range->pos_limit))
        return fail(c, "number " Q " is out of range for %s", tok, range->what);
    *bits = negative ? 0 - magnitude : magnitude;
    return 0;
}

static int parse_imm32(struct asm_ctx *c, const char *tok, int32_t *imm)
{
    uint64_t bits;
    if (parse_int(c, tok, &imm32_range, &bits) < 0)
        return -1;
    *imm = (int32_t)(uint32_t)bits;
    return 0;
}

/* Parses %rN or rN with N in 0..10. */
static int parse_register(struct asm_ctx *c, const char *tok, uint8_t *reg)
{
    const char *p = tok + (tok[0] == '%');
    if (p[0] != 'r' || !is_digit(p[1]))
        return fail(c, "expected a register, got " Q, tok);
    char *end;
    unsigned long n = strtoul(p + 1, &end, 10);
    if (*end)
        return fail(c, "expected a register, got " Q, tok);
    if (n > EBPF_REG_FP)
        return fail(c, "bad register " Q " (registers are r0..r10)", tok);
    *reg = (uint8_t)n;
    return 0;
}

/* Parses [%rN], [%rN+off] or [%rN-off] (blanks allowed inside). */
static int parse_memory(struct asm_ctx *c, const char *tok, uint8_t *reg, int16_t *offset)
{
    size_t len = strlen(tok);
    if (tok[0] != '[')
        return fail(c, "expected a memory operand like [%%r1+8], got " Q, tok);
    if (tok[len - 1] != ']' || len > MAX_MEMORY_TEXT)
        return fail(c, "malformed memory operand " Q, tok);
    /* Copy without blanks, ending the register at the sign: "%r10\0-8". */
    char text[MAX_MEMORY_TEXT + 2];
    size_t n = 0, number_at = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        if (is_blank(tok[i]))
            continue;
        if ((tok[i] == '+' || tok[i] == '-') && !number_at) {
            text[n++] = '\0';
            number_at = n;
        }
        text[n++] = tok[i];
    }
    text[n] = '\0';
    if (parse_register(c, text, reg) < 0)
        return -1;
    *offset = 0;
    if (!number_at)
        return 0;
    uint64_t bits;
    if (parse_int(c, text + number_at, &offset16_range, &bits) < 0)
        return -1;
    *offset = (int16_t)(uint16_t)bits;
    return 0;
}

static void set_target(struct ebpf_insn *in, enum target_field field, int64_t delta)
{
    if (field == TARGET_IN_OFFSET)
        in->offset = (int16_t)delta;
    else
        in->imm = (int32_t)delta;
}

/* Parses a jump target: +N/-N relative to the next slot, or a label whose
 * slot is filled in later. */
static int parse_target(struct asm_ctx *c, char *tok, enum target_field field, struct ebpf_insn *in)
{
    if (tok[0] == '+' || tok[0] == '-') {
        uint64_t bits;
        if (parse_int(c, tok, field == TARGET_IN_OFFSET ? &offset16_range : &rel32_range, &bits) < 0)
            return -1;
        set_target(in, field, (int64_t)bits);
        return 0;
    }
    if (!is_ident(tok))
        return fail(c, "jump target " Q " is neither a label nor +N/-N", tok);
    struct fixup *grown = reserve(c->fixups, &c->fixups_cap, c->nfixups + 1, sizeof(*grown));
    if (!grown)
        return fail(c, "out of memory");
    c->fixups = grown;
    c->fixups[c->nfixups++] = (struct fixup){tok, c->count, c->line, field};
    return 0;
}

/* Parses one operand described by a syntax.h letter into in. */
static int parse_operand(struct asm_ctx *c, char letter, char *tok, struct ebpf_insn *in)
{
    if (letter == 'i')
        return parse_imm32(c, tok, &in->imm);
    if (letter == 'o' || letter == 't')
        return parse_target(c, tok, letter == 'o' ? TARGET_IN_OFFSET : TARGET_IN_IMM, in);
    uint8_t reg;
    bool memory = letter == 'M' || letter == 'm';
    if ((memory ? parse_memory(c, tok, &reg, &in->offset) : parse_register(c, tok, &reg)) < 0)
        return -1;
    if (letter == 'd' || letter == 'M')
        in->dst = reg & 0xf;
    else
        in->src = reg & 0xf;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Instructions.                                                            */

static const struct isa_form *lookup_mnemonic(const char *word)
{
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(word, aliases[i].alias) == 0)
            return isa_form_by_mnemonic(aliases[i].mnemonic);
    return isa_form_by_mnemonic(word);
}

/* Joins the first n words (start[i]..end[i]) with single spaces into buf;
 * false if they do not fit. */
static bool join_words(char *const start[], char *const end[], size_t n, char buf[MAX_MNEMONIC_LEN])
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t w = (size_t)(end[i] - start[i]);
        if (len + w + 2 > MAX_MNEMONIC_LEN)
            return false;
        if (i)
            buf[len++] = ' ';
        memcpy(buf + len, start[i], w);
        len += w;
    }
    buf[len] = '\0';
    return true;
}

/* Finds the mnemonic at the start of s, which may be several words ("lock
 * fetch add32", "call local"): the longest run of up to three words that
 * names a form. Sets *rest to the text after it. */
static const struct isa_form *split_mnemonic(struct asm_ctx *c, char *s, char **rest)
{
    char *start[MAX_MNEMONIC_WORDS], *end[MAX_MNEMONIC_WORDS];
    size_t words = 0;
    for (char *p = s; words < MAX_MNEMONIC_WORDS && is_word_char(*p);) {
        start[words] = p;
        while (is_word_char(*p))
            p++;
        end[words++] = p;
        if (!is_blank(*p))
            break;
        while (is_blank(*p))
            p++;
    }
    if (words == 0) {
        fail(c, "expected a mnemonic, got " Q, s);
        return NULL;
    }
    char candidate[MAX_MNEMONIC_LEN];
    for (size_t n = words; n > 0; n--) {
        const struct isa_form *f = join_words(start, end, n, candidate) ? lookup_mnemonic(candidate) : NULL;
        if (f) {
            *rest = end[n - 1];
            return f;
        }
    }
    fail(c, "unknown mnemonic " Q, join_words(start, end, words, candidate) ? candidate : s);
    return NULL;
}

/* Splits comma-separated operands in place; *n is their number. */
static int split_operands(struct asm_ctx *c, char *s, char **ops, size_t *n)
{
    *n = 0;
    s = trim(s);
    if (!*s)
        return 0;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma)
            *comma = '\0';
        if (*n == MAX_OPERANDS)
            return fail(c, "too many operands (more than %d)", MAX_OPERANDS);
        ops[*n] = trim(s);
        if (!*ops[*n])
            return fail(c, "empty operand");
        (*n)++;
        if (!comma)
            return 0;
        s = comma + 1;
    }
}

/* The row a mnemonic means with these operands: "add" and "jeq" have a K row
 * followed by an X row, picked by whether the value operand is a register;
 * "call %r2" (the suite's spelling) is callx. */
static const struct isa_form *pick_row(const struct isa_form *f, char **ops, size_t n)
{
    bool has_x_row = (f->operands == ISA_OPS_DST_IMM || f->operands == ISA_OPS_JUMP_IMM) && f[1].mnemonic &&
                     strcmp(f[1].mnemonic, f->mnemonic) == 0;
    if (has_x_row && n > 1 && looks_like_register(ops[1]))
        return f + 1;
    if (f->operands == ISA_OPS_CALL_HELPER && n == 1 && looks_like_register(ops[0]))
        return isa_form_by_mnemonic("callx");
    return f;
}

/* An instruction of form f with the fields the form fixes already set. */
static struct ebpf_insn fixed_fields(const struct isa_form *f)
{
    struct ebpf_insn in = {.opcode = f->opcode};
    if (f->offset != ISA_FIELD_ANY)
        in.offset = (int16_t)f->offset;
    if (f->imm != ISA_FIELD_ANY)
        in.imm = f->imm;
    if (f->operands == ISA_OPS_CALL_LOCAL)
        in.src = EBPF_CALL_LOCAL;
    if (f->operands == ISA_OPS_CALL_BTF)
        in.src = EBPF_CALL_BTF_ID;
    return in;
}

static int check_count(struct asm_ctx *c, const char *what, size_t want, size_t got)
{
    if (want == got)
        return 0;
    return fail(c, "'%s' takes %zu operand%s, got %zu", what, want, want == 1 ? "" : "s", got);
}

/* Appends slots to the program. */
static int emit(struct asm_ctx *c, const struct ebpf_insn *insns, size_t n)
{
    struct ebpf_insn *grown = reserve(c->insns, &c->insns_cap, c->count + n, sizeof(*grown));
    if (!grown)
        return fail(c, "out of memory");
    c->insns = grown;
    if (insns[0].opcode == EBPF_OP_EXIT && !c->have_exit) {
        c->have_exit = true;
        c->first_exit = c->count;
    }
    memcpy(c->insns + c->count, insns, n * sizeof(*insns));
    c->count += n;
    return 0;
}

/* lddw %rN, map_by_fd 3 | map_value_by_fd 3, 16 | code_addr label | ... */
static int encode_lddw_pseudo(struct asm_ctx *c, struct ebpf_insn pair[2], char **ops, size_t n)
{
    char *keyword = ops[1], *arg = keyword + strcspn(keyword, " \t");
    if (*arg)
        *arg++ = '\0';
    arg = trim(arg);
    unsigned src = EBPF_LDDW_MAP_FD;
    while (src <= EBPF_LDDW_MAP_VALUE_IDX && strcmp(syntax_lddw_keyword(src), keyword) != 0)
        src++;
    if (src > EBPF_LDDW_MAP_VALUE_IDX)
        return fail(c, "unknown lddw form " Q, keyword);
    if (!*arg)
        return fail(c, "lddw form '%s' needs a value", keyword);
    if (check_count(c, keyword, syntax_lddw_has_value_offset(src) ? 2 : 1, n - 1) < 0)
        return -1;
    pair[0].src = src & 0xf;
    if (parse_operand(c, src == EBPF_LDDW_CODE_ADDR ? 't' : 'i', arg, &pair[0]) < 0)
        return -1;
    if (n == 3 && parse_imm32(c, ops[2], &pair[1].imm) < 0)
        return -1;
    return emit(c, pair, 2);
}

/* lddw %rN, value: a 64-bit number or one of the pseudo forms. */
static int encode_lddw(struct asm_ctx *c, const struct isa_form *f, char **ops, size_t n)
{
    if (n < 2 || n > 3)
        return fail(c, "'lddw' takes 2 or 3 operands, got %zu", n);
    struct ebpf_insn pair[2] = {fixed_fields(f), {0}};
    if (parse_operand(c, 'd', ops[0], &pair[0]) < 0)
        return -1;
    if (ident_len(ops[1]))
        return encode_lddw_pseudo(c, pair, ops, n);
    uint64_t bits;
    if (check_count(c, "lddw", 2, n) < 0 || parse_int(c, ops[1], &imm64_range, &bits) < 0)
        return -1;
    pair[0].imm = (int32_t)(uint32_t)bits;
    pair[1].imm = (int32_t)(uint32_t)(bits >> 32);
    return emit(c, pair, 2);
}

/* Assembles one instruction (the text after any label). */
static int assemble_insn(struct asm_ctx *c, char *s)
{
    char *rest, *ops[MAX_OPERANDS];
    size_t n;
    const struct isa_form *f = split_mnemonic(c, s, &rest);
    if (!f || split_operands(c, rest, ops, &n) < 0)
        return -1;
    f = pick_row(f, ops, n);
    if (f->operands == ISA_OPS_LDDW)
        return encode_lddw(c, f, ops, n);
    const char *letters = syntax_operands(f->operands);
    if (check_count(c, f->mnemonic, strlen(letters), n) < 0)
        return -1;
    struct ebpf_insn in = fixed_fields(f);
    for (size_t i = 0; i < n; i++)
        if (parse_operand(c, letters[i], ops[i], &in) < 0)
            return -1;
    return emit(c, &in, 1);
}

/* Assembles one source line: optional labels, then optional instruction. */
static int assemble_line(struct asm_ctx *c, char *line)
{
    line[strcspn(line, "#")] = '\0';
    char *s = trim(line);
    for (size_t n = ident_len(s); n && s[n] == ':'; n = ident_len(s)) {
        struct label *grown = reserve(c->labels, &c->labels_cap, c->nlabels + 1, sizeof(*grown));
        if (!grown)
            return fail(c, "out of memory");
        c->labels = grown;
        s[n] = '\0';
        c->labels[c->nlabels++] = (struct label){s, c->count, c->line};
        s = trim(s + n + 1);
    }
    return *s ? assemble_insn(c, s) : 0;
}

/* ------------------------------------------------------------------------ */
/* Labels.                                                                  */

static int compare_labels(const void *a, const void *b)
{
    return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

/* Sorts the labels for lookup and rejects one defined twice. */
static int sort_labels(struct asm_ctx *c)
{
    if (c->nlabels == 0)
        return 0;
    qsort(c->labels, c->nlabels, sizeof(*c->labels), compare_labels);
    for (size_t i = 1; i < c->nlabels; i++) {
        const struct label *a = &c->labels[i - 1], *b = &c->labels[i];
        if (strcmp(a->name, b->name) == 0)
            return fail_at(c, a->line > b->line ? a->line : b->line,
                           "duplicate label " Q " (first defined on line %zu)", a->name,
                           a->line < b->line ? a->line : b->line);
    }
    return 0;
}

static bool find_label(const struct asm_ctx *c, const char *name, size_t *slot)
{
    const struct label key = {.name = name};
    const struct label *found =
        c->nlabels ? bsearch(&key, c->labels, c->nlabels, sizeof(key), compare_labels) : NULL;
    if (found)
        *slot = found->slot;
    else if (strcmp(name, "exit") == 0 && c->have_exit)
        *slot = c->first_exit;
    return found || (strcmp(name, "exit") == 0 && c->have_exit);
}

/* Patches every jump to a label with its relative target. */
static int resolve_fixups(struct asm_ctx *c)
{
    for (size_t i = 0; i < c->nfixups; i++) {
        const struct fixup *x = &c->fixups[i];
        size_t target;
        if (!find_label(c, x->label, &target))
            return fail_at(c, x->line, "undefined label " Q, x->label);
        int64_t delta = (int64_t)target - (int64_t)(x->slot + 1);
        const struct int_range *range = x->field == TARGET_IN_OFFSET ? &offset16_range : &rel32_range;
        if (delta < -(int64_t)range->neg_limit || delta > (int64_t)range->pos_limit)
            return fail_at(c, x->line, "jump to " Q " is out of range: %lld slots does not fit %s", x->label,
                           (long long)delta, range->what);
        set_target(&c->insns[x->slot], x->field, delta);
    }
    return 0;
}

/* Assembles text into a malloc'd array of slots (see isa.h). */
int isa_assemble(const char *text, struct ebpf_insn **out, size_t *count, struct isa_error *err)
{
    struct asm_ctx c = {.err = err};
    char *copy = strdup(text); /* lines are cut and labels kept in place */
    c.insns = reserve(NULL, &c.insns_cap, 1, sizeof(*c.insns));
    int rc = copy && c.insns ? 0 : fail(&c, "out of memory");
    for (char *line = copy, *next; rc == 0 && line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        c.line++;
        rc = assemble_line(&c, line);
    }
    if (rc == 0)
        rc = sort_labels(&c);
    if (rc == 0)
        rc = resolve_fixups(&c);
    if (rc == 0) {
        *out = c.insns;
        *count = c.count;
        c.insns = NULL;
    }
    free(c.insns);
    free(c.labels);
    free(c.fixups);
    free(copy);
    return rc;
}
