/* An object whose strings would act on a terminal: a section name that
 * sets the window title, a license that clears the screen. */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

SEC("process/\x1b]0;owned\x07\xff")
int named(process_md_t *ctx)
{
    (void)ctx;
    return STATUS_SUCCESS;
}

char LICENSE[] SEC("license") = "GPL\x1b[2J\r";
