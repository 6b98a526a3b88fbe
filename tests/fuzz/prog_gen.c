/*
 * The program generator of the verifier's soundness fuzzer (prog_gen.h).
 * Conventions the snippets share, so that most programs make sense: r6
 * holds the context, r7 a map value or ring-buffer record, r8 a packet
 * pointer, r8/r9 loop counters; r0-r5 are scratch. Choices are biased to
 * the well-formed (a field's own offset and size, a NULL check after a
 * lookup, an access inside the checked bytes) and sometimes step aside by
 * a little (one byte further, the check left out, a register another
 * snippet owns), where the verifier's decisions are made.
 */
#include "prog_gen.h"

#include <stdbool.h>
#include <string.h>

#include "core/core.h"

enum { MAX_SNIPPETS = 96, MAX_FIXUPS = 256, MAX_DEPTH = 2, ROOM = 512 /* slots kept for the largest snippet and the tail */ };

/* A slot whose jump offset or imm is set once the target is known. */
struct fixup {
    size_t pc;
    int target; /* snippet index; FUNC_CALLBACK / FUNC_LOCAL: the functions after the main one */
};
enum { FUNC_CALLBACK = -1, FUNC_LOCAL = -2 };

struct gen {
    struct gen_input *in;
    struct ebpf_insn *out;
    size_t n;
    size_t starts[MAX_SNIPPETS + 1]; /* first slot of each snippet */
    int snippets;
    struct fixup fix[MAX_FIXUPS];
    int fixes;
    int depth; /* nested bodies (loops, checks) */
};

uint8_t gen_u8(struct gen_input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

uint32_t gen_u32(struct gen_input *in)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)gen_u8(in) << (8 * i);
    return v;
}

static uint8_t u8(struct gen *g)
{
    return gen_u8(g->in);
}

/* True once in n (n a power of two) by the input. */
static bool rarely(struct gen *g, unsigned n)
{
    return (u8(g) & (n - 1)) == 0;
}

static size_t emit(struct gen *g, uint8_t opcode, int dst, int src, int16_t off, int32_t imm)
{
    if (g->n < GEN_MAX_INSNS)
        g->out[g->n++] = (struct ebpf_insn){opcode, (uint8_t)dst, (uint8_t)src, off, imm};
    return g->n - 1;
}

static void lddw(struct gen *g, int dst, int src, int32_t imm, int32_t next)
{
    emit(g, EBPF_OP_LDDW, dst, src, 0, imm);
    emit(g, 0, 0, 0, 0, next);
}

static void fixup(struct gen *g, size_t pc, int target)
{
    if (g->fixes < MAX_FIXUPS)
        g->fix[g->fixes++] = (struct fixup){pc, target};
    else
        g->out[pc].offset = g->out[pc].imm = 0; /* a jump to the next slot */
}

/* Sets the forward jump at pc to land on the current slot. */
static void land_here(struct gen *g, size_t pc)
{
    g->out[pc].offset = (int16_t)(g->n - pc - 1);
}

static uint8_t size_code(int bytes)
{
    return bytes == 1 ? EBPF_SIZE_B : bytes == 2 ? EBPF_SIZE_H : bytes == 4 ? EBPF_SIZE_W : EBPF_SIZE_DW;
}

static int any_size(struct gen *g)
{
    return 1 << (u8(g) & 3);
}

/* A scratch register mostly; now and then one a convention owns (r6-r9). */
static int dst_reg(struct gen *g)
{
    static const int scratch[] = {0, 1, 2, 3, 4, 5, 7, 0};
    return rarely(g, 16) ? u8(g) % 10 : scratch[u8(g) & 7];
}

static int src_reg(struct gen *g)
{
    return u8(g) % 11;
}

/* A small number mostly, a 32-bit one sometimes. */
static int32_t imm(struct gen *g)
{
    return rarely(g, 4) ? (int32_t)gen_u32(g->in) : (int32_t)u8(g) - 16;
}

static void mov_imm(struct gen *g, int dst, int32_t value)
{
    emit(g, EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_K, dst, 0, 0, value);
}

static void mov_reg(struct gen *g, int dst, int src)
{
    emit(g, EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, dst, src, 0, 0);
}

static void add_imm(struct gen *g, int dst, int32_t value)
{
    emit(g, EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_K, dst, 0, 0, value);
}

static void load(struct gen *g, int dst, int base, int16_t off, int bytes)
{
    emit(g, EBPF_CLS_LDX | EBPF_MODE_MEM | size_code(bytes), dst, base, off, 0);
}

/* A store of a register or an immediate. */
static void store(struct gen *g, int base, int16_t off, int bytes)
{
    if (u8(g) & 1)
        emit(g, EBPF_CLS_STX | EBPF_MODE_MEM | size_code(bytes), base, src_reg(g), off, 0);
    else
        emit(g, EBPF_CLS_ST | EBPF_MODE_MEM | size_code(bytes), base, 0, off, imm(g));
}

/* r10 + off with the stack bytes [off, off + len) initialised (mostly). */
static void stack_buffer(struct gen *g, int reg, int16_t off, int len)
{
    if (!rarely(g, 8))
        for (int b = 0; b < len; b += 8)
            emit(g, EBPF_CLS_ST | EBPF_MODE_MEM | EBPF_SIZE_DW, EBPF_REG_FP, 0, (int16_t)(off + b), u8(g));
    mov_reg(g, reg, EBPF_REG_FP);
    add_imm(g, reg, off);
}

static void snippet(struct gen *g);

/* A few snippets in a body (a loop's, a check's safe side). */
static void body(struct gen *g)
{
    if (g->depth >= MAX_DEPTH)
        return;
    g->depth++;
    for (int i = u8(g) % 3; i >= 0 && g->n < GEN_MAX_INSNS - ROOM; i--)
        snippet(g);
    g->depth--;
}

/* ------------------------------------------------------------------------ */
/* Snippets.                                                                */

/* The sample type's fields (core_sample_ctx): offset and size. */
static const struct {
    uint8_t off, size;
} fields[] = {{0, 8}, {8, 8}, {16, 8}, {24, 8}, {32, 4}, {36, 2}, {38, 2}, {40, 4}, {44, 4}};
enum { FIELDS = sizeof(fields) / sizeof(fields[0]) };

/* A field's offset and size, sometimes part of it, sometimes any offset. */
static void ctx_place(struct gen *g, int16_t *off, int *bytes)
{
    int f = u8(g) % FIELDS;
    *off = fields[f].off;
    *bytes = fields[f].size;
    if (rarely(g, 8)) {
        *bytes = any_size(g);
        *off = (int16_t)(fields[f].off + u8(g) % fields[f].size);
    }
    if (rarely(g, 32))
        *off = (int16_t)(u8(g) % 56);
}

static int ctx_base(struct gen *g)
{
    return rarely(g, 16) ? src_reg(g) : 6;
}

static void ctx_read(struct gen *g)
{
    int16_t off;
    int bytes;
    ctx_place(g, &off, &bytes);
    int dst = dst_reg(g);
    load(g, dst, ctx_base(g), off, bytes);
    if (off == 0 && bytes == 8 && rarely(g, 2))
        mov_reg(g, 8, dst); /* keep the data pointer */
}

static void ctx_write(struct gen *g)
{
    int16_t off;
    int bytes;
    ctx_place(g, &off, &bytes);
    store(g, ctx_base(g), off, bytes);
}

static int16_t stack_offset(struct gen *g, int bytes)
{
    if (rarely(g, 16))
        return (int16_t)-(1 + u8(g) % 2 * 256 + u8(g)); /* anywhere near the frame, misaligned too */
    return (int16_t)(-8 * (1 + u8(g) % 16) + (bytes < 8 ? u8(g) % (8 / bytes) * bytes : 0));
}

static void stack_write(struct gen *g)
{
    int bytes = rarely(g, 2) ? 8 : any_size(g);
    store(g, EBPF_REG_FP, stack_offset(g, bytes), bytes);
}

static void stack_read(struct gen *g)
{
    int bytes = rarely(g, 2) ? 8 : any_size(g);
    load(g, dst_reg(g), EBPF_REG_FP, stack_offset(g, bytes), bytes);
}

static void spill(struct gen *g)
{
    static const int regs[] = {6, 7, 8, 0, 1, 2, 10, 9};
    int16_t off = (int16_t)(-8 * (1 + u8(g) % 8));
    emit(g, EBPF_CLS_STX | EBPF_MODE_MEM | EBPF_SIZE_DW, EBPF_REG_FP, regs[u8(g) & 7], off, 0);
    if (rarely(g, 4))
        snippet(g);
    int bytes = rarely(g, 8) ? any_size(g) : 8;
    load(g, rarely(g, 2) ? dst_reg(g) : regs[u8(g) & 3], EBPF_REG_FP, off, bytes);
}

static void alu(struct gen *g)
{
    static const uint8_t ops[] = {EBPF_ALU_ADD, EBPF_ALU_SUB, EBPF_ALU_MUL, EBPF_ALU_DIV, EBPF_ALU_OR,
                                  EBPF_ALU_AND, EBPF_ALU_LSH, EBPF_ALU_RSH, EBPF_ALU_NEG, EBPF_ALU_MOD,
                                  EBPF_ALU_XOR, EBPF_ALU_MOV, EBPF_ALU_ARSH, EBPF_ALU_ADD, EBPF_ALU_AND,
                                  EBPF_ALU_MOV};
    uint8_t cls = rarely(g, 4) ? EBPF_CLS_ALU : EBPF_CLS_ALU64, op = ops[u8(g) & 15];
    int dst = dst_reg(g);
    if (rarely(g, 32)) {
        static const int widths[] = {16, 32, 64, 32};
        emit(g, EBPF_CLS_ALU | EBPF_ALU_END | (u8(g) & EBPF_END_TO_BE), dst, 0, 0, widths[u8(g) & 3]);
    } else if (op == EBPF_ALU_NEG) {
        emit(g, cls | op, dst, 0, 0, 0);
    } else if (u8(g) & 1) {
        emit(g, cls | op | EBPF_SRC_X, dst, src_reg(g), 0, 0);
    } else {
        int32_t k = imm(g);
        if (op == EBPF_ALU_LSH || op == EBPF_ALU_RSH || op == EBPF_ALU_ARSH)
            k &= cls == EBPF_CLS_ALU ? 31 : 63; /* wider shifts are refused by the decoder */
        emit(g, cls | op, dst, 0, 0, k);
    }
}

/* One use of the map value (or record) in r0 of value_size bytes. */
static void use_value(struct gen *g, int value_size)
{
    int bytes = any_size(g);
    int16_t off = (int16_t)(value_size > bytes ? u8(g) % (value_size - bytes + 1) : 0);
    if (rarely(g, 8))
        off = (int16_t)(value_size - bytes + 1 - (u8(g) & 1) * 2 * (value_size - bytes + 1)); /* one byte past either end */
    switch (u8(g) % 5) {
    case 0:
        load(g, dst_reg(g), 0, off, bytes);
        break;
    case 1:
        store(g, 0, off, bytes);
        break;
    case 2: /* an atomic add, fetching or not */
        emit(g, EBPF_CLS_STX | EBPF_MODE_ATOMIC | (rarely(g, 2) ? EBPF_SIZE_W : EBPF_SIZE_DW), 0, src_reg(g),
             (int16_t)(off & ~7), EBPF_ATOMIC_ADD | (u8(g) & EBPF_ATOMIC_FETCH));
        break;
    case 3: /* a byte at a variable index, masked (sometimes too loosely) */
        mov_reg(g, 1, 0);
        mov_reg(g, 2, src_reg(g));
        emit(g, EBPF_CLS_ALU64 | EBPF_ALU_AND | EBPF_SRC_K, 2, 0, 0, rarely(g, 4) ? u8(g) : value_size - 1 - u8(g) % 8);
        emit(g, EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_X, 1, 2, 0, 0);
        load(g, 3, 1, 0, 1);
        break;
    default:
        mov_reg(g, 7, 0);
        break;
    }
}

static void lookup(struct gen *g)
{
    static const int maps[] = {GEN_MAP_ARRAY, GEN_MAP_HASH, GEN_MAP_ARRAY, GEN_MAP_HASH};
    int map = rarely(g, 16) ? u8(g) % GEN_MAP_COUNT : maps[u8(g) & 3];
    if (!rarely(g, 16))
        emit(g, EBPF_CLS_ST | EBPF_MODE_MEM | EBPF_SIZE_W, EBPF_REG_FP, 0, -4, u8(g) % (GEN_ENTRIES + 2));
    mov_reg(g, 2, EBPF_REG_FP);
    add_imm(g, 2, -4);
    lddw(g, 1, EBPF_LDDW_MAP_IDX, map, 0);
    emit(g, EBPF_OP_CALL, 0, EBPF_CALL_HELPER, 0, 1);
    bool check = !rarely(g, 16);
    size_t jump = check ? emit(g, EBPF_CLS_JMP | EBPF_JMP_JEQ, 0, 0, 0, 0) : 0;
    int value_size = map == GEN_MAP_HASH ? 8 : GEN_ARRAY_VALUE;
    for (int i = u8(g) % 3; i >= 0; i--)
        use_value(g, value_size);
    if (rarely(g, 4))
        body(g);
    if (check)
        land_here(g, jump);
}

static void packet(struct gen *g)
{
    int32_t k = 1 + u8(g) % 40;
    load(g, 2, 6, 0, 8);
    load(g, 3, 6, 8, 8);
    size_t jump;
    if (rarely(g, 4)) { /* on the length: end - data < k */
        mov_reg(g, 4, 3);
        emit(g, EBPF_CLS_ALU64 | EBPF_ALU_SUB | EBPF_SRC_X, 4, 2, 0, 0);
        jump = emit(g, EBPF_CLS_JMP | EBPF_JMP_JLT, 4, 0, 0, k);
    } else {
        mov_reg(g, 4, 2);
        add_imm(g, 4, k);
        jump = rarely(g, 2) ? emit(g, EBPF_CLS_JMP | EBPF_JMP_JGT | EBPF_SRC_X, 4, 3, 0, 0)
                            : emit(g, EBPF_CLS_JMP | EBPF_JMP_JLT | EBPF_SRC_X, 3, 4, 0, 0);
    }
    for (int i = u8(g) % 3; i >= 0; i--) {
        int bytes = any_size(g);
        int16_t off = (int16_t)(k >= bytes ? u8(g) % (k - bytes + 1) : 0);
        if (rarely(g, 8))
            off = (int16_t)(k - bytes + 1); /* one byte past the check */
        if (u8(g) & 1)
            load(g, dst_reg(g), 2, off, bytes);
        else
            store(g, 2, off, bytes);
    }
    if (rarely(g, 2))
        mov_reg(g, 8, 2);
    if (rarely(g, 4))
        body(g);
    land_here(g, jump);
}

static void loop(struct gen *g)
{
    if (g->depth >= MAX_DEPTH)
        return;
    int c = 9 - g->depth; /* r9, then r8 inside */
    if (u8(g) & 1) { /* for (c = 0; c < k; c += step) */
        mov_imm(g, c, 0);
        size_t head = g->n;
        body(g);
        add_imm(g, c, rarely(g, 16) ? 0 : 1 + u8(g) % 3);
        size_t back = emit(g, EBPF_CLS_JMP | EBPF_JMP_JLT, c, 0, 0, 1 + u8(g) % 64);
        g->out[back].offset = (int16_t)((int64_t)head - (int64_t)back - 1);
    } else { /* c = data-dependent, masked; while (c != 0) c--; */
        load(g, c, 6, 32, 4);
        /* At most 255 trips: two nested loops then stay far below the run's instruction budget. */
        emit(g, EBPF_CLS_ALU64 | EBPF_ALU_AND | EBPF_SRC_K, c, 0, 0, rarely(g, 8) ? u8(g) : 63);
        size_t head = emit(g, EBPF_CLS_JMP | EBPF_JMP_JEQ, c, 0, 0, 0);
        body(g);
        emit(g, EBPF_CLS_ALU64 | EBPF_ALU_SUB | EBPF_SRC_K, c, 0, 0, rarely(g, 16) ? 0 : 1);
        size_t back = emit(g, EBPF_OP_JA, 0, 0, 0, 0);
        g->out[back].offset = (int16_t)((int64_t)head - (int64_t)back - 1);
        land_here(g, head);
    }
}

/* The setup of argument register a for an argument of kind k (buffers are big enough for any map's key and
 * value); counted: a number that counts calls of a callback (bpf_loop's), kept small. */
static void argument(struct gen *g, int a, enum core_arg_kind k, bool counted)
{
    static const int pointers[] = {7, 8, 6, 0};
    switch (k) {
    case CORE_ARG_MAP_PTR:
        lddw(g, a, EBPF_LDDW_MAP_IDX, u8(g) % GEN_MAP_COUNT, 0);
        break;
    case CORE_ARG_MAP_KEY:
        stack_buffer(g, a, -16, 8);
        break;
    case CORE_ARG_MAP_VALUE:
    case CORE_ARG_MAP_VALUE_OUT:
        stack_buffer(g, a, -48, 32);
        break;
    case CORE_ARG_MEM_READ:
    case CORE_ARG_MEM_READ_OR_NULL:
    case CORE_ARG_MEM_WRITE:
    case CORE_ARG_MEM_WRITE_OR_NULL:
        if (u8(g) & 1)
            stack_buffer(g, a, (int16_t)(-64 - 8 * (u8(g) % 8)), 64);
        else
            mov_reg(g, a, pointers[u8(g) & 3]);
        break;
    case CORE_ARG_CONST_SIZE:
    case CORE_ARG_SIZE_OR_ZERO:
        if (rarely(g, 8)) {
            mov_reg(g, a, src_reg(g));
            emit(g, EBPF_CLS_ALU64 | EBPF_ALU_AND | EBPF_SRC_K, a, 0, 0, 63);
        } else {
            mov_imm(g, a, u8(g) % 72);
        }
        break;
    case CORE_ARG_ALLOC_SIZE:
        mov_imm(g, a, 8 * (1 + u8(g) % 8));
        break;
    case CORE_ARG_CTX:
        mov_reg(g, a, rarely(g, 16) ? src_reg(g) : 6);
        break;
    case CORE_ARG_CALLBACK:
        lddw(g, a, EBPF_LDDW_CODE_ADDR, 0, 0);
        fixup(g, g->n - 2, FUNC_CALLBACK);
        break;
    case CORE_ARG_CONST_STR:
        lddw(g, a, EBPF_LDDW_MAP_VALUE_IDX, GEN_MAP_RODATA, rarely(g, 4) ? u8(g) % GEN_RODATA_VALUE : 0);
        break;
    case CORE_ARG_RINGBUF_MEM:
        mov_reg(g, a, 7);
        break;
    case CORE_ARG_SCALAR:
    default:
        if (!counted && (u8(g) & 1))
            mov_reg(g, a, src_reg(g));
        else
            mov_imm(g, a, imm(g) % 32);
        break;
    }
}

/* A helper of the sample type with arguments of its prototype's kinds (sometimes of any kind). */
static void helper(struct gen *g)
{
    size_t general_count;
    const struct core_helper *general = core_general_helpers(&general_count);
    const struct core_prog_type *sample = core_prog_type_find_by_name("sample");
    size_t count = general_count + (sample ? sample->helper_count : 0);
    size_t i = u8(g) % count;
    const struct core_helper *h = i < general_count ? &general[i] : &sample->helpers[i - general_count];
    bool callback = false;
    for (int a = 0; a < 5; a++)
        callback |= h->args[a] == CORE_ARG_CALLBACK;
    for (int a = 0; a < 5 && h->args[a] != CORE_ARG_NONE; a++)
        argument(g, a + 1, rarely(g, 16) ? (enum core_arg_kind)(u8(g) % (CORE_ARG_RINGBUF_MEM + 1)) : h->args[a],
                 callback);
    emit(g, EBPF_OP_CALL, 0, EBPF_CALL_HELPER, 0, rarely(g, 64) ? (int32_t)gen_u32(g->in) : (int32_t)h->id);
    if (h->ret == CORE_RET_MAP_VALUE_OR_NULL || h->ret == CORE_RET_RINGBUF_MEM_OR_NULL) {
        size_t jump = rarely(g, 16) ? 0 : emit(g, EBPF_CLS_JMP | EBPF_JMP_JEQ, 0, 0, 0, 0);
        use_value(g, 8);
        if (jump)
            land_here(g, jump);
    }
}

/* A ring-buffer record reserved, written and (mostly) submitted or discarded once. */
static void reserve(struct gen *g)
{
    int size = 8 * (1 + u8(g) % 4);
    lddw(g, 1, EBPF_LDDW_MAP_IDX, rarely(g, 16) ? u8(g) % GEN_MAP_COUNT : GEN_MAP_RING, 0);
    mov_imm(g, 2, size);
    mov_imm(g, 3, 0);
    emit(g, EBPF_OP_CALL, 0, EBPF_CALL_HELPER, 0, 131);
    size_t jump = rarely(g, 16) ? 0 : emit(g, EBPF_CLS_JMP | EBPF_JMP_JEQ, 0, 0, 0, 0);
    for (int i = u8(g) % 3; i >= 0; i--)
        use_value(g, size);
    for (int i = rarely(g, 16) ? 2 : rarely(g, 16) ? 0 : 1; i > 0; i--) {
        mov_reg(g, 1, 0);
        mov_imm(g, 2, 0);
        emit(g, EBPF_OP_CALL, 0, EBPF_CALL_HELPER, 0, u8(g) & 1 ? 132 : 133);
    }
    if (jump)
        land_here(g, jump);
}

static void cond_jump(struct gen *g, int target)
{
    static const uint8_t ops[] = {EBPF_JMP_JEQ,  EBPF_JMP_JGT,  EBPF_JMP_JGE,  EBPF_JMP_JSET,
                                  EBPF_JMP_JNE,  EBPF_JMP_JSGT, EBPF_JMP_JSGE, EBPF_JMP_JLT,
                                  EBPF_JMP_JLE,  EBPF_JMP_JSLT, EBPF_JMP_JSLE, EBPF_JMP_JEQ};
    uint8_t cls = rarely(g, 4) ? EBPF_CLS_JMP32 : EBPF_CLS_JMP, op = ops[u8(g) % 12];
    size_t pc = (u8(g) & 1) ? emit(g, cls | op | EBPF_SRC_X, dst_reg(g), src_reg(g), 0, 0)
                            : emit(g, cls | op, dst_reg(g), 0, 0, imm(g));
    if (target >= 0 && target < g->snippets) /* backward: known */
        g->out[pc].offset = (int16_t)((int64_t)g->starts[target] - (int64_t)pc - 1);
    else
        fixup(g, pc, target);
}

static void exit_now(struct gen *g)
{
    if (rarely(g, 8))
        mov_reg(g, 0, src_reg(g));
    else
        mov_imm(g, 0, u8(g));
    emit(g, EBPF_OP_EXIT, 0, 0, 0, 0);
}

static void local_call(struct gen *g)
{
    emit(g, EBPF_CLS_ST | EBPF_MODE_MEM | EBPF_SIZE_DW, EBPF_REG_FP, 0, -8, u8(g));
    mov_reg(g, 1, EBPF_REG_FP);
    add_imm(g, 1, -8);
    if (rarely(g, 4))
        mov_reg(g, 2, src_reg(g));
    fixup(g, emit(g, EBPF_OP_CALL, 0, EBPF_CALL_LOCAL, 0, 0), FUNC_LOCAL);
}

static void tail_call(struct gen *g)
{
    mov_reg(g, 1, 6);
    lddw(g, 2, EBPF_LDDW_MAP_IDX, rarely(g, 8) ? u8(g) % GEN_MAP_COUNT : GEN_MAP_PROGS, 0);
    mov_imm(g, 3, u8(g) % (GEN_ENTRIES + 2));
    emit(g, EBPF_OP_CALL, 0, EBPF_CALL_HELPER, 0, 12);
}

static void snippet(struct gen *g)
{
    int index = g->snippets;
    if (g->depth == 0 && index < MAX_SNIPPETS)
        g->starts[g->snippets++] = g->n;
    switch (u8(g) % 20) {
    case 0: case 1: ctx_read(g); break;
    case 2: ctx_write(g); break;
    case 3: stack_write(g); break;
    case 4: stack_read(g); break;
    case 5: case 6: alu(g); break;
    case 7: case 8: lookup(g); break;
    case 9: packet(g); break;
    case 10: loop(g); break;
    case 11: case 12: helper(g); break;
    case 13: spill(g); break;
    case 14: cond_jump(g, index + 1 + u8(g) % 4); break;
    case 15: cond_jump(g, rarely(g, 4) && index > 0 ? u8(g) % index : index + 1); break;
    case 16: if (rarely(g, 4)) exit_now(g); break;
    case 17: reserve(g); break;
    case 18: local_call(g); break;
    default: tail_call(g); break;
    }
}

/* ------------------------------------------------------------------------ */

/* The bpf_loop callback: (index r1, context argument r2) -> 0 or 1 (sometimes not). */
static void callback(struct gen *g)
{
    if (u8(g) & 1)
        load(g, 0, 2, (int16_t)(rarely(g, 2) ? 32 : u8(g) % 48), 4);
    if (rarely(g, 4))
        stack_write(g);
    if (rarely(g, 8))
        mov_reg(g, 0, 1);
    else
        mov_imm(g, 0, rarely(g, 16) ? 2 : u8(g) & 1);
    emit(g, EBPF_OP_EXIT, 0, 0, 0, 0);
}

/* The local function: reads (or writes) the caller's stack slot r1 points to, returns a number (mostly). */
static void local_function(struct gen *g)
{
    int bytes = rarely(g, 4) ? any_size(g) : 8;
    if (rarely(g, 4))
        store(g, 1, 0, bytes);
    load(g, 0, 1, rarely(g, 8) ? 8 : 0, bytes);
    if (rarely(g, 8))
        mov_reg(g, 0, rarely(g, 2) ? 10 : 1); /* its own stack or the caller's: must be refused */
    emit(g, EBPF_OP_EXIT, 0, 0, 0, 0);
}

static void resolve(struct gen *g, size_t callback_pc, size_t local_pc)
{
    for (int i = 0; i < g->fixes; i++) {
        struct fixup *f = &g->fix[i];
        size_t target = f->target == FUNC_CALLBACK ? callback_pc
                        : f->target == FUNC_LOCAL  ? local_pc
                                                   : g->starts[f->target < g->snippets ? f->target : g->snippets];
        int64_t rel = (int64_t)target - (int64_t)f->pc - 1;
        if (g->out[f->pc].opcode == EBPF_OP_LDDW || g->out[f->pc].opcode == EBPF_OP_CALL)
            g->out[f->pc].imm = (int32_t)rel;
        else
            g->out[f->pc].offset = (int16_t)rel;
    }
}

size_t gen_program(struct gen_input *in, struct ebpf_insn *out)
{
    static struct gen g;
    memset(&g, 0, sizeof(g));
    g.in = in;
    g.out = out;
    mov_reg(&g, 6, 1);
    int count = 1 + u8(&g) % 24;
    for (int i = 0; i < count && g.n < GEN_MAX_INSNS - ROOM && g.snippets < MAX_SNIPPETS; i++)
        snippet(&g);
    size_t epilogue = g.n;
    exit_now(&g);
    size_t callback_pc = g.n;
    callback(&g);
    size_t local_pc = g.n;
    local_function(&g);
    g.starts[g.snippets] = epilogue;
    resolve(&g, callback_pc, local_pc);
    return g.n;
}
