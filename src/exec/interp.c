/*
 * The interpreter: runs pre-decoded instructions with computed-goto
 * dispatch (one indirect branch per instruction, predicted per site) and
 * checks every memory access against the stack of the active frames
 * (fast path) and the run's granted regions (slow path).
 *
 * Semantics follow RFC 9669: 32-bit operations zero the upper half, shift
 * counts are masked, division by zero yields 0 and modulo by zero leaves the
 * dividend, INT_MIN / -1 wraps, sign extension as the RFC specifies.
 */
#include "exec/interp_env.h"
#include "exec/interp_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the interpreter assumes a little-endian host");

static uint64_t sdiv64(uint64_t a, uint64_t b)
{
    if (b == 0)
        return 0;
    if ((int64_t)b == -1)
        return 0 - a; /* INT64_MIN / -1 wraps to INT64_MIN */
    return (uint64_t)((int64_t)a / (int64_t)b);
}

static uint64_t smod64(uint64_t a, uint64_t b)
{
    if (b == 0)
        return a;
    if ((int64_t)b == -1)
        return 0;
    return (uint64_t)((int64_t)a % (int64_t)b);
}

static uint32_t sdiv32(uint32_t a, uint32_t b)
{
    if (b == 0)
        return 0;
    if ((int32_t)b == -1)
        return 0 - a;
    return (uint32_t)((int32_t)a / (int32_t)b);
}

static uint32_t smod32(uint32_t a, uint32_t b)
{
    if (b == 0)
        return a;
    if ((int32_t)b == -1)
        return 0;
    return (uint32_t)((int32_t)a % (int32_t)b);
}

/* Reads a legacy-packet value in network byte order; false if out of bounds. */
static bool packet_load(const struct exec_run_args *a, uint64_t offset, unsigned size, uint64_t *value)
{
    if (!a->packet || offset > a->packet_len || a->packet_len - offset < size)
        return false;
    const uint8_t *p = (const uint8_t *)a->packet + offset;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v = (v << 8) | p[i];
    *value = v;
    return true;
}

static int stop(struct exec_result *res, enum exec_status status, size_t pc, uint64_t addr, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

static int stop(struct exec_result *res, enum exec_status status, size_t pc, uint64_t addr, const char *fmt, ...)
{
    res->status = status;
    res->pc = pc;
    res->addr = addr;
    int n = snprintf(res->msg, sizeof(res->msg), "instruction %zu: ", pc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->msg + n, sizeof(res->msg) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Whether the CLOCK_MONOTONIC time deadline_ns has come. */
static bool deadline_passed(uint64_t deadline_ns)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec >= deadline_ns;
}

static const char *access_name(unsigned access)
{
    return access == EXEC_READ ? "read" : access == EXEC_WRITE ? "write" : "read-write";
}

int exec_interp_loop(struct exec_env *env, size_t start_pc, uint64_t *reg, unsigned base_depth)
{
    /* Dispatch table, indexed by enum exec_op. */
    static const void *const dispatch[OP_COUNT_] = {
#define LABEL_(name) [OP_##name] = &&L_##name,
        EXEC_OPS(LABEL_)
#undef LABEL_
#define LABEL_ALU_(name) [OP_##name##64_K] = &&L_##name##64_K, [OP_##name##64_X] = &&L_##name##64_X, \
                         [OP_##name##32_K] = &&L_##name##32_K, [OP_##name##32_X] = &&L_##name##32_X,
        EXEC_ALU_OPS(LABEL_ALU_)
#undef LABEL_ALU_
#define LABEL_JMP_(name) [OP_##name##_K] = &&L_##name##_K, [OP_##name##_X] = &&L_##name##_X, \
                         [OP_##name##32_K] = &&L_##name##32_K, [OP_##name##32_X] = &&L_##name##32_X,
        EXEC_JMP_OPS(LABEL_JMP_)
#undef LABEL_JMP_
#define LABEL_ATOMIC_(name) [OP_ATOMIC_##name##64] = &&L_ATOMIC_##name##64, \
                            [OP_ATOMIC_##name##32] = &&L_ATOMIC_##name##32,
        EXEC_ATOMIC_OPS(LABEL_ATOMIC_)
#undef LABEL_ATOMIC_
    };

    const struct exec_run_args *args = env->args;
    struct exec_result *res = env->result;
    const struct exec_program *prog = env->prog;
    unsigned prog_base = env->prog_base;
    const struct exec_insn *code = prog->insns;
    const struct exec_insn *pc = code + start_pc;
    unsigned depth = base_depth;
    uint64_t budget = env->budget;
    uint64_t fault_addr = 0;
    size_t fault_len = 0;
    unsigned fault_access = 0;
    char where[80]; /* a faulting address as the program sees it */
    int rc = 0;

#define DST reg[pc->dst]
#define SRC reg[pc->src]
#define IMM64 ((uint64_t)(int64_t)pc->imm)
#define DISPATCH()                                 \
    do {                                           \
        if (__builtin_expect(budget-- == 0, 0))    \
            goto out_of_budget;                    \
        goto *dispatch[pc->op];                    \
    } while (0)
#define NEXT()   \
    do {         \
        pc++;    \
        DISPATCH(); \
    } while (0)

/* Host pointer for a checked access, or jump to the fault exit. */
#define CHECKED(ptr, addr_expr, size, access)                                                     \
    do {                                                                                          \
        uint64_t a_ = (addr_expr);                                                                \
        if (a_ - env->stack_lo <= (env->stack_hi - env->stack_lo) - (size)) {                        \
            ptr = (void *)(uintptr_t)a_;                                                          \
        } else if ((env->prog = prog, exec_env_in_regions(env, a_, (size), (access)))) {          \
            ptr = (void *)(uintptr_t)a_; /* (mem_check asks whose program runs) */               \
        } else {                                                                                  \
            fault_addr = a_;                                                                      \
            fault_len = (size);                                                                   \
            fault_access = (access);                                                              \
            goto out_of_bounds;                                                                   \
        }                                                                                         \
    } while (0)

    DISPATCH();

    /* ---- arithmetic: a is dst, b is imm or src; 32-bit results zero-extend ---- */
#define ALU_HANDLERS(name, expr64, expr32)                                                         \
    L_##name##64_K : {                                                                             \
        uint64_t a = DST, b = IMM64;                                                               \
        DST = (expr64);                                                                            \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##64_X : {                                                                             \
        uint64_t a = DST, b = SRC;                                                                 \
        DST = (expr64);                                                                            \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##32_K : {                                                                             \
        uint32_t a = (uint32_t)DST, b = (uint32_t)pc->imm;                                         \
        DST = (uint32_t)(expr32);                                                                  \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##32_X : {                                                                             \
        uint32_t a = (uint32_t)DST, b = (uint32_t)SRC;                                             \
        DST = (uint32_t)(expr32);                                                                  \
        NEXT();                                                                                    \
    }

    ALU_HANDLERS(ADD, a + b, a + b)
    ALU_HANDLERS(SUB, a - b, a - b)
    ALU_HANDLERS(MUL, a * b, a * b)
    ALU_HANDLERS(DIV, b ? a / b : 0, b ? a / b : 0)
    ALU_HANDLERS(SDIV, sdiv64(a, b), sdiv32(a, b))
    ALU_HANDLERS(MOD, b ? a % b : a, b ? a % b : a)
    ALU_HANDLERS(SMOD, smod64(a, b), smod32(a, b))
    ALU_HANDLERS(OR, a | b, a | b)
    ALU_HANDLERS(AND, a & b, a & b)
    ALU_HANDLERS(LSH, a << (b & 63), a << (b & 31))
    ALU_HANDLERS(RSH, a >> (b & 63), a >> (b & 31))
    ALU_HANDLERS(ARSH, (uint64_t)((int64_t)a >> (b & 63)), (uint32_t)((int32_t)a >> (b & 31)))
    ALU_HANDLERS(XOR, a ^ b, a ^ b)
    ALU_HANDLERS(MOV, ((void)a, b), ((void)a, b))

L_MOVSX8_64:
    DST = (uint64_t)(int64_t)(int8_t)SRC;
    NEXT();
L_MOVSX16_64:
    DST = (uint64_t)(int64_t)(int16_t)SRC;
    NEXT();
L_MOVSX32_64:
    DST = (uint64_t)(int64_t)(int32_t)SRC;
    NEXT();
L_MOVSX8_32:
    DST = (uint32_t)(int32_t)(int8_t)SRC;
    NEXT();
L_MOVSX16_32:
    DST = (uint32_t)(int32_t)(int16_t)SRC;
    NEXT();
L_NEG64:
    DST = 0 - DST;
    NEXT();
L_NEG32:
    DST = (uint32_t)(0 - (uint32_t)DST);
    NEXT();
L_LE16:
    DST = (uint16_t)DST;
    NEXT();
L_LE32:
    DST = (uint32_t)DST;
    NEXT();
L_LE64:
    NEXT();
L_BE16:
    DST = __builtin_bswap16((uint16_t)DST);
    NEXT();
L_BE32:
    DST = __builtin_bswap32((uint32_t)DST);
    NEXT();
L_BE64:
    DST = __builtin_bswap64(DST);
    NEXT();

    /* ---- jumps: displacement in offset (conditional) or imm (ja, ja32) ---- */
#define JMP_HANDLERS(name, cond64, cond32)                                                         \
    L_##name##_K : {                                                                               \
        uint64_t a = DST, b = IMM64;                                                               \
        pc += (cond64) ? pc->offset : 0;                                                           \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##_X : {                                                                               \
        uint64_t a = DST, b = SRC;                                                                 \
        pc += (cond64) ? pc->offset : 0;                                                           \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##32_K : {                                                                             \
        uint32_t a = (uint32_t)DST, b = (uint32_t)pc->imm;                                         \
        pc += (cond32) ? pc->offset : 0;                                                           \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##32_X : {                                                                             \
        uint32_t a = (uint32_t)DST, b = (uint32_t)SRC;                                             \
        pc += (cond32) ? pc->offset : 0;                                                           \
        NEXT();                                                                                    \
    }

    JMP_HANDLERS(JEQ, a == b, a == b)
    JMP_HANDLERS(JNE, a != b, a != b)
    JMP_HANDLERS(JGT, a > b, a > b)
    JMP_HANDLERS(JGE, a >= b, a >= b)
    JMP_HANDLERS(JLT, a < b, a < b)
    JMP_HANDLERS(JLE, a <= b, a <= b)
    JMP_HANDLERS(JSGT, (int64_t)a > (int64_t)b, (int32_t)a > (int32_t)b)
    JMP_HANDLERS(JSGE, (int64_t)a >= (int64_t)b, (int32_t)a >= (int32_t)b)
    JMP_HANDLERS(JSLT, (int64_t)a < (int64_t)b, (int32_t)a < (int32_t)b)
    JMP_HANDLERS(JSLE, (int64_t)a <= (int64_t)b, (int32_t)a <= (int32_t)b)
    JMP_HANDLERS(JSET, (a & b) != 0, (a & b) != 0)

L_JA:
    pc += pc->imm;
    NEXT();

    /* ---- calls ---- */
    {
        const struct exec_helper *helper;
    L_CALL:
        helper = &prog->helpers[pc->imm];
        goto call_helper;
    L_CALLX:
        helper = NULL;
        for (size_t i = 0; i < prog->helper_count; i++)
            if (prog->helpers[i].id == DST)
                helper = &prog->helpers[i];
        if (!helper) {
            rc = stop(res, EXEC_ERR_HELPER, (size_t)(pc - code), 0, "callx to unknown helper %llu",
                      (unsigned long long)DST);
            goto out;
        }
    call_helper:
        env->fault = false;
        env->budget = budget; /* helpers may run callbacks, which spend budget */
        env->depth = depth;
        env->prog = prog;
        env->prog_base = prog_base;
        reg[0] = helper->fn(reg[1], reg[2], reg[3], reg[4], reg[5], env);
        budget = env->budget;
        if (env->failed) { /* a callback failed; result already says why */
            rc = -1;
            goto out;
        }
        if (env->fault) {
            fault_addr = env->fault_addr;
            fault_len = env->fault_len;
            fault_access = env->fault_access;
            goto out_of_bounds;
        }
        if (env->tail_next) { /* another program replaces this frame's function, r1 unchanged */
            prog = env->prog = env->tail_next;
            env->tail_next = NULL;
            prog_base = depth;
            code = pc = prog->insns;
            memset((void *)env->stack_lo, 0, EBPF_STACK_SIZE);
            reg[EBPF_REG_FP] = env->stack_lo + EBPF_STACK_SIZE;
            DISPATCH();
        }
        if (helper->unwind_on_zero && reg[0] == 0)
            goto out;
        NEXT();
    }
    {
        struct call_frame *frame;
        char why[sizeof(res->msg)];
    L_CALL_LOCAL:
        if (__builtin_expect(!exec_env_frame_fits(depth, prog_base), 0)) {
            exec_env_frame_refusal(depth, prog_base, "local calls", why, sizeof(why));
            rc = stop(res, EXEC_ERR_CALL_DEPTH, (size_t)(pc - code), 0, "%s", why);
            goto out;
        }
        frame = &env->frames[depth];
        frame->return_pc = pc;
        frame->prog = prog;
        frame->prog_base = prog_base;
        memcpy(frame->saved, &reg[6], sizeof(frame->saved));
        depth++;
        exec_env_enter_frame(env);
        reg[EBPF_REG_FP] = env->stack_lo + EBPF_STACK_SIZE;
        pc += pc->imm;
        NEXT();
    L_EXIT:
        if (depth == base_depth)
            goto out;
        depth--;
        frame = &env->frames[depth];
        memcpy(&reg[6], frame->saved, sizeof(frame->saved));
        /* The caller's program: another one if a tail call replaced the callee. */
        prog = frame->prog;
        prog_base = frame->prog_base;
        code = prog->insns;
        env->stack_lo += EBPF_STACK_SIZE;
        reg[EBPF_REG_FP] = env->stack_lo + EBPF_STACK_SIZE;
        pc = frame->return_pc;
        NEXT();
    }

    /* ---- loads and stores ---- */
L_LDDW:
    DST = (uint32_t)pc->imm | ((uint64_t)(uint32_t)pc[1].imm << 32);
    pc++;
    NEXT();

#define PACKET_LOAD(name, offset_expr, size)                                                       \
    L_##name : {                                                                                   \
        uint64_t v;                                                                                \
        if (!packet_load(args, (offset_expr), (size), &v)) {                                       \
            reg[0] = 0; /* Linux semantics: an out-of-packet load ends the program with 0 */       \
            goto out;                                                                              \
        }                                                                                          \
        reg[0] = v;                                                                                \
        NEXT();                                                                                    \
    }
    PACKET_LOAD(LDABS_W, (uint64_t)(uint32_t)pc->imm, 4)
    PACKET_LOAD(LDABS_H, (uint64_t)(uint32_t)pc->imm, 2)
    PACKET_LOAD(LDABS_B, (uint64_t)(uint32_t)pc->imm, 1)
    PACKET_LOAD(LDIND_W, SRC + IMM64, 4)
    PACKET_LOAD(LDIND_H, SRC + IMM64, 2)
    PACKET_LOAD(LDIND_B, SRC + IMM64, 1)

#define LOAD(name, type, result_type)                                                              \
    L_##name : {                                                                                   \
        void *p;                                                                                   \
        type v;                                                                                    \
        CHECKED(p, SRC + (uint64_t)(int64_t)pc->offset, sizeof(type), EXEC_READ);                  \
        memcpy(&v, p, sizeof(type));                                                               \
        DST = (uint64_t)(result_type)v;                                                            \
        NEXT();                                                                                    \
    }
    LOAD(LDX_W, uint32_t, uint64_t)
    LOAD(LDX_H, uint16_t, uint64_t)
    LOAD(LDX_B, uint8_t, uint64_t)
    LOAD(LDX_DW, uint64_t, uint64_t)
    LOAD(LDXS_W, int32_t, int64_t)
    LOAD(LDXS_H, int16_t, int64_t)
    LOAD(LDXS_B, int8_t, int64_t)

#define STORE(name, type, value)                                                                   \
    L_##name : {                                                                                   \
        void *p;                                                                                   \
        type v = (type)(value);                                                                    \
        CHECKED(p, DST + (uint64_t)(int64_t)pc->offset, sizeof(type), EXEC_WRITE);                 \
        memcpy(p, &v, sizeof(type));                                                               \
        NEXT();                                                                                    \
    }
    STORE(ST_W, uint32_t, pc->imm)
    STORE(ST_H, uint16_t, pc->imm)
    STORE(ST_B, uint8_t, pc->imm)
    STORE(ST_DW, uint64_t, IMM64)
    STORE(STX_W, uint32_t, SRC)
    STORE(STX_H, uint16_t, SRC)
    STORE(STX_B, uint8_t, SRC)
    STORE(STX_DW, uint64_t, SRC)

    /* ---- atomics: aligned read-modify-write, sequentially consistent ---- */
#define ATOMIC_ADDR(p, type)                                                                       \
    uint64_t addr_ = DST + (uint64_t)(int64_t)pc->offset;                                          \
    if (addr_ % sizeof(type)) {                                                                    \
        exec_env_describe_addr(env, addr_, where, sizeof(where));                                  \
        rc = stop(res, EXEC_ERR_ALIGNMENT, (size_t)(pc - code), addr_,                             \
                  "misaligned %zu-byte atomic access at %s", sizeof(type), where);                 \
        goto out;                                                                                  \
    }                                                                                              \
    CHECKED(p, addr_, sizeof(type), EXEC_READ | EXEC_WRITE)

#define ATOMIC_RMW(name, type, builtin, fetch)                                                     \
    L_ATOMIC_##name : {                                                                            \
        type *p;                                                                                   \
        ATOMIC_ADDR(p, type);                                                                      \
        type old = builtin(p, (type)SRC, __ATOMIC_SEQ_CST);                                        \
        if (fetch)                                                                                 \
            SRC = old;                                                                             \
        NEXT();                                                                                    \
    }
    ATOMIC_RMW(ADD64, uint64_t, __atomic_fetch_add, 0)
    ATOMIC_RMW(ADD32, uint32_t, __atomic_fetch_add, 0)
    ATOMIC_RMW(OR64, uint64_t, __atomic_fetch_or, 0)
    ATOMIC_RMW(OR32, uint32_t, __atomic_fetch_or, 0)
    ATOMIC_RMW(AND64, uint64_t, __atomic_fetch_and, 0)
    ATOMIC_RMW(AND32, uint32_t, __atomic_fetch_and, 0)
    ATOMIC_RMW(XOR64, uint64_t, __atomic_fetch_xor, 0)
    ATOMIC_RMW(XOR32, uint32_t, __atomic_fetch_xor, 0)
    ATOMIC_RMW(FETCH_ADD64, uint64_t, __atomic_fetch_add, 1)
    ATOMIC_RMW(FETCH_ADD32, uint32_t, __atomic_fetch_add, 1)
    ATOMIC_RMW(FETCH_OR64, uint64_t, __atomic_fetch_or, 1)
    ATOMIC_RMW(FETCH_OR32, uint32_t, __atomic_fetch_or, 1)
    ATOMIC_RMW(FETCH_AND64, uint64_t, __atomic_fetch_and, 1)
    ATOMIC_RMW(FETCH_AND32, uint32_t, __atomic_fetch_and, 1)
    ATOMIC_RMW(FETCH_XOR64, uint64_t, __atomic_fetch_xor, 1)
    ATOMIC_RMW(FETCH_XOR32, uint32_t, __atomic_fetch_xor, 1)
    ATOMIC_RMW(XCHG64, uint64_t, __atomic_exchange_n, 1)
    ATOMIC_RMW(XCHG32, uint32_t, __atomic_exchange_n, 1)

#define ATOMIC_CMPXCHG(name, type)                                                                 \
    L_ATOMIC_##name : {                                                                            \
        type *p;                                                                                   \
        ATOMIC_ADDR(p, type);                                                                      \
        type expected = (type)reg[0];                                                              \
        __atomic_compare_exchange_n(p, &expected, (type)SRC, false, __ATOMIC_SEQ_CST,              \
                                    __ATOMIC_SEQ_CST);                                             \
        reg[0] = expected; /* the old value, whether or not it matched */                          \
        NEXT();                                                                                    \
    }
    ATOMIC_CMPXCHG(CMPXCHG64, uint64_t)
    ATOMIC_CMPXCHG(CMPXCHG32, uint32_t)

out_of_bounds:
    exec_env_describe_addr(env, fault_addr, where, sizeof(where));
    rc = stop(res, EXEC_ERR_MEMORY, (size_t)(pc - code), fault_addr,
              "%s of %zu bytes at %s is outside the memory granted to the program", access_name(fault_access),
              fault_len, where);
    goto out;
out_of_budget:
    budget = 0;
    if (env->budget_reserve) { /* a slice ends: the clock, then the next slice and the interrupted instruction */
        if (deadline_passed(args->deadline_ns)) {
            rc = stop(res, EXEC_ERR_DEADLINE, (size_t)(pc - code), 0, "deadline passed after %llu instructions",
                      (unsigned long long)(env->budget_total - env->budget_reserve));
            goto out;
        }
        budget = env->budget_reserve < EXEC_DEADLINE_SLICE ? env->budget_reserve : EXEC_DEADLINE_SLICE;
        env->budget_reserve -= budget;
        DISPATCH();
    }
    rc = stop(res, EXEC_ERR_BUDGET, (size_t)(pc - code), 0, "instruction budget of %llu exhausted",
              (unsigned long long)env->budget_total);
out:
    env->budget = budget;
    env->prog = prog;
    env->prog_base = prog_base;
    return rc;
}

int exec_run(const struct exec_program *prog, const struct exec_run_args *args, struct exec_result *res)
{
    memset(res, 0, sizeof(*res));
    if (args->region_count > EXEC_MAX_REGIONS)
        return stop(res, EXEC_ERR_ARGS, 0, 0, "%zu memory regions, more than %d", args->region_count,
                    EXEC_MAX_REGIONS);
    struct exec_env env;
    exec_env_init(&env, prog, args, res);
    env.budget_reserve = 0;
    if (args->deadline_ns && env.budget > EXEC_DEADLINE_SLICE) {
        env.budget_reserve = env.budget - EXEC_DEADLINE_SLICE;
        env.budget = EXEC_DEADLINE_SLICE;
    }
    uint64_t reg[EBPF_REG_COUNT] = {0};
    for (int i = 0; i < 5; i++)
        reg[i + 1] = args->args[i];
    reg[EBPF_REG_FP] = env.stack_hi;
    int rc = exec_interp_loop(&env, 0, reg, 0);
    res->r0 = reg[0];
    res->insns_executed = env.budget_total - env.budget - env.budget_reserve;
    return rc;
}
