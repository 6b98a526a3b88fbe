/* String and memory helpers (Linux's and eBPF for Windows'), and bpf_printk. */
#include "sample_ctx.h"

static const char world[] = "world";

/* One 8-byte value (format_errors fills it without a NUL). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, char[8]);
    __uint(max_entries, 1);
} no_nul SEC(".maps");

/* Formats into the data (64 bytes) and returns bpf_snprintf's result. */
SEC("sample")
int format(struct sample_ctx *ctx)
{
    char *out = (char *)ctx->data;
    if (ctx->data + 64 > ctx->data_end)
        return -1;
    uint64_t args[] = {(uint64_t)world, (uint64_t)-3, 255, 'z', ctx->uint64_data, 7};
    return bpf_snprintf(out, 64, "hello %s %d %x %c %llu %05u %%", args, sizeof(args));
}

/* Only the needed size, with no output buffer. */
SEC("sample")
int format_size(struct sample_ctx *ctx)
{
    uint64_t args[] = {12345};
    return bpf_snprintf(NULL, 0, "n=%d", args, sizeof(args));
}

/* Formats the verifier lets through but the run refuses (-EINVAL): a width
 * over 1024, flags on %p, a trace format built on the stack without its
 * NUL, and a %s string without its NUL before the end of its memory. (Formats it can read and refuse are tests/verify/progs/formats.c.) */
SEC("sample")
int format_errors(struct sample_ctx *ctx)
{
    char out[16];
    uint64_t args[] = {1};
    long wide = bpf_snprintf(out, sizeof(out), "%2000d", args, sizeof(args));
    long flagged = bpf_snprintf(out, sizeof(out), "%-p", args, sizeof(args));
    char unterminated[4] = {'%', 'd', 'x', 'y'};
    long printk = bpf_trace_printk2(unterminated, sizeof(unterminated));
    /* A %s whose string runs to the end of its map value: an error, the program goes on. */
    uint32_t key = 0;
    char *value = bpf_map_lookup_elem(&no_nul, &key);
    if (!value)
        return 0;
    __builtin_memset(value, 'A', 8);
    uint64_t string[] = {(uint64_t)value};
    long past_end = bpf_snprintf(out, sizeof(out), "%s", string, sizeof(string));
    return wide == -EINVAL && flagged == -EINVAL && printk == -EINVAL && past_end == -EINVAL;
}

/* 0 if the data starts with "hello". */
SEC("sample")
int compare(struct sample_ctx *ctx)
{
    if (ctx->data + 5 > ctx->data_end)
        return -100;
    return bpf_strncmp((const char *)ctx->data, 5, "hello");
}

/* The bounded memory and string helpers; 1 when all behave. */
SEC("sample")
int windows_helpers(struct sample_ctx *ctx)
{
    char a[16] = "abc", b[16], small[4];
    int ok = 1;
    ok &= bpf_memcpy_s(b, sizeof(b), a, sizeof(a)) == 0 && b[2] == 'c';
    ok &= bpf_memcpy_s(small, sizeof(small), a, sizeof(a)) == -EINVAL;
    ok &= bpf_memcmp_s(a, 3, b, 3) == 0 && bpf_memcmp_s(a, 3, "abd", 3) < 0 && bpf_memcmp_s(a, 4, b, 3) > 0;
    ok &= bpf_memset(b, sizeof(b), 'x') == 0 && b[15] == 'x';
    ok &= bpf_memmove_s(a + 1, 8, a, 8) == 0 && a[1] == 'a' && a[3] == 'c';
    ok &= bpf_strncpy_s(b, sizeof(b), "hello", sizeof("hello")) == 0 && b[5] == 0 && b[4] == 'o';
    ok &= bpf_strncpy_s(small, sizeof(small), "hello", sizeof("hello")) == -ERANGE;
    ok &= bpf_strncat_s(b, sizeof(b), " you", sizeof(" you")) == 0 && b[8] == 'u' && b[9] == 0;
    ok &= bpf_strncat_s(b, sizeof(b), " and more", sizeof(" and more")) == -ERANGE;
    ok &= bpf_strnlen_s(b, sizeof(b)) == 9 && bpf_strnlen_s(NULL, 0) == 0;
    ok &= bpf_memset(a, sizeof(a), 'y') == 0 && bpf_strnlen_s(a, sizeof(a)) == sizeof(a);
    ok &= bpf_strncat_s(a, sizeof(a), "z", 1) == -EINVAL; /* a holds no string */
    ok &= bpf_strncpy_s(a, 0, "z", 1) == -EINVAL && bpf_strncat_s(a, 0, "z", 1) == -EINVAL;
    ok &= bpf_get_current_comm(a, 0) == -EINVAL;
    return ok;
}

/* Prints to the trace pipe with each form. */
SEC("sample")
int print(struct sample_ctx *ctx)
{
    static const char two[] = "printk2 plain";
    static const char three[] = "printk3 %d";
    static const char five[] = "printk5 %d %d %s";
    bpf_printk("value %u from %s\n", ctx->uint32_data, world);
    bpf_trace_printk2(two, sizeof(two));
    bpf_trace_printk3(three, sizeof(three), 3);
    bpf_trace_printk5(five, sizeof(five), 4, 5, (uint64_t)world);
    return 0; /* (a conversion without its value is refused at load: tests/verify/progs/formats.c) */
}

/* Task helpers: returns the comm's first byte; the ids go to the context's
 * writable field and the data. */
SEC("sample")
int task(struct sample_ctx *ctx)
{
    char comm[16];
    ctx->uint64_data = bpf_get_current_pid_tgid();
    if (ctx->data + 8 <= ctx->data_end)
        *(uint64_t *)ctx->data = bpf_get_current_uid_gid();
    if (bpf_get_current_comm(comm, sizeof(comm)))
        return -1;
    return comm[0];
}

/* Clocks and the rest; 1 when plausible. */
SEC("sample")
int misc(struct sample_ctx *ctx)
{
    uint64_t ns = bpf_ktime_get_ns(), boot = bpf_ktime_get_boot_ns();
    uint64_t ms = bpf_ktime_get_ms(), boot_ms = bpf_ktime_get_boot_ms();
    uint32_t r1 = bpf_get_prandom_u32(), r2 = bpf_get_prandom_u32(), r3 = bpf_get_prandom_u32();
    return ns && boot >= ns && ms <= ns / 1000000 + 1 && boot_ms <= boot / 1000000 + 1 && (r1 != r2 || r2 != r3) &&
           bpf_get_smp_processor_id() < 4096;
}

char LICENSE[] SEC("license") = "GPL";
