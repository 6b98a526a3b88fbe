/* A program with an instruction no eBPF machine has: the load must fail
 * with a message naming the instruction and this source line. */
#include "../../core/progs/sample_ctx.h"

SEC("sample")
int bad_insn(struct sample_ctx *ctx)
{
    int x = 1;
    asm volatile(".8byte 0x00000000000000ff"); /* opcode 0xff */
    return x;
}

char LICENSE[] SEC("license") = "GPL";
