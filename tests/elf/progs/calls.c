/* bpf-to-bpf calls: into .text (global and static functions), within the
 * program section (a static function clang calls without a relocation),
 * a bpf_loop callback by address, and several programs in one section.
 * The MARK comments are found by the test to check line info. */
#include <bpf_helpers.h>

static __noinline int square(int x)
{
    return x * x;
}

__noinline int add_square(int a, int b)
{
    return a + square(b);
}

static long count_cb(uint32_t index, void *ctx)
{
    *(long *)ctx += index;
    return 0;
}

static __noinline int in_section(int x) SEC("calls");
static __noinline int in_section(int x)
{
    return x - 1;
}

SEC("calls")
int first(void *ctx)
{
    return add_square(1, 2);
}

SEC("calls")
int second(void *ctx)
{
    long sum = 0;
    bpf_loop(4, count_cb, &sum, 0);
    return in_section((int)sum); /* MARK second calls in_section */
}

SEC("calls")
int third(void *ctx)
{
    return in_section(square(3));
}

char LICENSE[] SEC("license") = "GPL";
