/*
 * bpf_helpers.h — what an eBPF program for bpfhost includes.
 *
 *   clang -O2 -g -target bpf -I <bpfhost>/include -c prog.c -o prog.o
 *
 * Provides the fixed-width integer types (clang has no C library for the bpf
 * target, and its <stdint.h> defers to the host's), the map-definition macros
 * (SEC, __uint, __type, __array), Linux's map-type numbers and update flags,
 * the helper declarations (bpf_helper_defs.h), bpf_printk, and the eBPF for
 * Windows mapping of memcpy/memset/memcmp/memmove onto helpers. Programs
 * written for eBPF for Windows or for libbpf compile against it unchanged.
 */
#ifndef BPFHOST_BPF_HELPERS_H
#define BPFHOST_BPF_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

/* Fixed-width integers from the compiler's own predefined types; identical
 * to what a freestanding <stdint.h> declares, so including both is fine. */
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;

/* Linux kernel-style names used by libbpf programs; the 64-bit ones are
 * spelled as <linux/types.h> spells them so that header may be included too. */
typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u32 __wsum;

/* Places a function (program) or variable (map, global) in an ELF section;
 * "used" keeps otherwise unreferenced maps and programs in the object. */
#define SEC(name) __attribute__((section(name), used))

/* BTF map definitions: each field of the anonymous struct in SEC(".maps")
 * is a pointer whose pointee type carries the value (the loader reads the
 * BTF): __uint as the element count of an int array, __type as the pointee
 * itself, __array as an array of pointers to the inner map or program type. */
#define __uint(name, value) int(*name)[value]
#define __type(name, type) __typeof__(type) *name
#define __array(name, type) __typeof__(type) *name[]

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif

/* Map types, update flags and map flags (shared with the host's API). */
#include "bpf_map_types.h"

/* Flags of the ring buffer helpers. */
enum {
    BPF_RB_NO_WAKEUP = 1U << 0,
    BPF_RB_FORCE_WAKEUP = 1U << 1,
};
enum {
    BPF_RB_AVAIL_DATA = 0,
    BPF_RB_RING_SIZE = 1,
    BPF_RB_CONS_POS = 2,
    BPF_RB_PROD_POS = 3,
};

/* Values of a map's pinning field. */
enum libbpf_pin_type {
    LIBBPF_PIN_NONE = 0,
    LIBBPF_PIN_BY_NAME = 1, /* pin under the map's name, reuse if already pinned */
};

/* Legacy map definition, one per variable in SEC("maps"). The first five
 * fields are Linux's; inner_map_idx (index of the inner-map template among
 * this section's definitions, for map-in-map types) and pinning are
 * optional trailing fields the loader also reads. */
struct bpf_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
    unsigned int inner_map_idx;
    unsigned int pinning;
};

#include "bpf_helper_defs.h"

/* printf-style tracing: the format lives in .rodata, at most three
 * arguments (the limit of bpf_trace_printk). */
#define bpf_printk(fmt, ...)                                              \
    ({                                                                    \
        static const char bpf_printk_fmt_[] = fmt;                        \
        bpf_trace_printk(bpf_printk_fmt_, sizeof(bpf_printk_fmt_), ##__VA_ARGS__); \
    })

/* As in eBPF for Windows: the C library's memory functions become the
 * bounds-checked helpers (the size argument bounds both regions). */
#define memcpy(dest, src, size) bpf_memcpy_s(dest, size, src, size)
#define memmove(dest, src, size) bpf_memmove_s(dest, size, src, size)
#define memcmp(mem1, mem2, size) bpf_memcmp_s(mem1, size, mem2, size)
#define memset(mem, value, size) bpf_memset(mem, size, value)
#define memcpy_s bpf_memcpy_s
#define memmove_s bpf_memmove_s

#ifndef NULL
#define NULL ((void *)0)
#endif

/* eBPF for Windows' bpf_helpers.h brings in the network hook definitions;
 * do the same when that header is available. */
#if __has_include("ebpf_nethooks.h")
#include "ebpf_nethooks.h"
#endif

#endif
