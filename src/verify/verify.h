/*
 * verify — the static verifier. Given a program, the maps it names and a
 * profile of its program type (context layout and rights, helper
 * prototypes, return-value rule), it proves by abstract interpretation of
 * every path that the program only touches memory it was given, never
 * reveals a host address, releases what it reserves, calls only the
 * helpers of its type with arguments of their prototypes, and terminates.
 * A rejection names the instruction, the rule, the registers involved and
 * a fix hint.
 *
 * Profiles of Linux program types (socket_filter, kprobe, xdp, sched_cls,
 * ...) with Linux's context layouts and helper prototypes are part of this
 * layer, for offline checks of Linux objects, and so are eBPF for Windows'
 * network types that Linux also names (cgroup_sock_addr, ...); the host's
 * own types are translated into profiles by core. Layer 3: includes only isa.
 */
#ifndef BPFHOST_VERIFY_H
#define BPFHOST_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "isa/isa.h"

/* Rights on context bytes and packet data. */
enum { VERIFY_READ = 1, VERIFY_WRITE = 2 };

/* What a load of a context field yields. */
enum verify_field_kind {
    VERIFY_FIELD_PLAIN,       /* a number */
    VERIFY_FIELD_PACKET,      /* pointer to the first packet byte (load of exactly this field) */
    VERIFY_FIELD_PACKET_END,  /* pointer past the last packet byte */
    VERIFY_FIELD_PACKET_META, /* pointer to the metadata before the packet */
};

/* One field of the context: bytes programs may touch with these rights. */
struct verify_ctx_field {
    uint32_t offset, size;
    uint8_t access; /* VERIFY_READ | VERIFY_WRITE; pointer fields are read-only */
    uint8_t kind;   /* enum verify_field_kind */
};

/* Argument kinds of helper prototypes. */
enum verify_arg {
    VERIFY_ARG_NONE = 0,          /* ends the list */
    VERIFY_ARG_MAP_PTR,           /* one of the program's maps */
    VERIFY_ARG_MAP_KEY,           /* readable memory of the preceding map's key size */
    VERIFY_ARG_MAP_VALUE,         /* readable memory of the preceding map's value size */
    VERIFY_ARG_MAP_VALUE_OUT,     /* writable memory of the preceding map's value size */
    VERIFY_ARG_MEM_READ,          /* readable memory, sized by the next argument */
    VERIFY_ARG_MEM_READ_OR_NULL,  /* the same, or NULL with a zero size */
    VERIFY_ARG_MEM_WRITE,         /* writable memory (initialised by the helper), sized by the next */
    VERIFY_ARG_MEM_WRITE_OR_NULL, /* the same, or NULL with a zero size */
    VERIFY_ARG_CONST_SIZE,        /* size of the preceding pointer, > 0 */
    VERIFY_ARG_SIZE_OR_ZERO,      /* size of the preceding pointer, may be 0 */
    VERIFY_ARG_ALLOC_SIZE,        /* constant size of the memory the helper returns */
    VERIFY_ARG_CTX,               /* the program's context, unmodified */
    VERIFY_ARG_SCALAR,            /* a number (a pointer here would leak it) */
    VERIFY_ARG_SCALAR_OR_UNSET,   /* a number, or unset (a variadic argument the format may not use) */
    VERIFY_ARG_ANYTHING,          /* any value, pointers included, even unset (Linux's probe_read source,
                                     trace_printk's optional arguments) */
    VERIFY_ARG_CALLBACK,          /* a function of the program, called with (index, the next argument) */
    VERIFY_ARG_CONST_STR,         /* NUL-terminated string in read-only map memory */
    VERIFY_ARG_RINGBUF_MEM,       /* a reserved ring-buffer record, released by the call */
};

/* Return kinds of helper prototypes. */
enum verify_ret {
    VERIFY_RET_INTEGER,
    VERIFY_RET_VOID,               /* r0 unusable after the call */
    VERIFY_RET_MAP_VALUE_OR_NULL,  /* a value of the map argument (an inner map for maps of maps), or NULL */
    VERIFY_RET_RINGBUF_MEM_OR_NULL, /* a record of the ALLOC_SIZE argument that must be released, or NULL */
};

/* Helper flags. */
enum {
    VERIFY_HELPER_CHANGES_PACKET = 1, /* may move the packet: every packet pointer dies */
    VERIFY_HELPER_TAIL_CALL = 2,      /* bpf_tail_call: no reference may be held */
    VERIFY_HELPER_EXPORTS = 4,        /* what it reads leaves the program (ring buffer, perf event,
                                         trace output): pointers in it reach the host only */
    VERIFY_HELPER_POINTER_DATA = 8,   /* its data argument may hold string pointers (bpf_snprintf's %s) */
    VERIFY_HELPER_FORMAT = 16,        /* a printf-like format: its CONST_STR (or first memory) argument is
                                         the format, checked at load against the values that follow it (a
                                         POINTER_DATA helper's data array, else its remaining registers) */
};

struct verify_helper {
    uint32_t id;
    const char *name;
    enum verify_ret ret;
    enum verify_arg args[5]; /* r1..r5 */
    unsigned flags;
    uint64_t map_types; /* bit per map type the MAP_PTR argument may be; 0: any map holding data */
};

/* Map types the verifier gives a meaning to (Linux's numbering). */
enum {
    VERIFY_MAP_HASH = 1,
    VERIFY_MAP_ARRAY = 2,
    VERIFY_MAP_PROG_ARRAY = 3,
    VERIFY_MAP_PERF_EVENT_ARRAY = 4,
    VERIFY_MAP_PERCPU_HASH = 5,
    VERIFY_MAP_PERCPU_ARRAY = 6,
    VERIFY_MAP_STACK_TRACE = 7,
    VERIFY_MAP_CGROUP_ARRAY = 8,
    VERIFY_MAP_LRU_HASH = 9,
    VERIFY_MAP_LRU_PERCPU_HASH = 10,
    VERIFY_MAP_LPM_TRIE = 11,
    VERIFY_MAP_ARRAY_OF_MAPS = 12,
    VERIFY_MAP_HASH_OF_MAPS = 13,
    VERIFY_MAP_DEVMAP = 14,
    VERIFY_MAP_SOCKMAP = 15,
    VERIFY_MAP_CPUMAP = 16,
    VERIFY_MAP_XSKMAP = 17,
    VERIFY_MAP_SOCKHASH = 18,
    VERIFY_MAP_QUEUE = 22,
    VERIFY_MAP_STACK = 23,
    VERIFY_MAP_DEVMAP_HASH = 25,
    VERIFY_MAP_RINGBUF = 27,
};

/* A map the program names (lddw by index). */
struct verify_map {
    const char *name;
    uint32_t type; /* Linux numbering */
    uint32_t key_size, value_size, max_entries;
    bool read_only; /* frozen global data (.rodata): programs may not write its value */
    int inner;      /* maps of maps: index in the maps array of the inner maps' definition, else -1 */
    const uint8_t *data; /* read_only maps: the value (value_size bytes), to read constant format strings;
                            NULL if unknown */
};

/* Source position of an instruction (line info). */
struct verify_line {
    size_t insn; /* first instruction of the line's code */
    const char *file;
    const char *text; /* may be "" */
    uint32_t line;
};

/* What a program type offers and demands. */
struct verify_profile {
    const char *name;
    uint32_t ctx_size;
    const struct verify_ctx_field *fields;
    size_t field_count;
    uint8_t packet_access; /* rights on packet data: VERIFY_READ [| VERIFY_WRITE], 0 if none */
    const struct verify_helper *helpers;
    size_t helper_count;
    bool retval_range;             /* the return value must be in [retval_min, retval_max] */
    int64_t retval_min, retval_max;
    bool legacy_packet_loads;      /* ldabs/ldind (the context is a socket buffer) */
    bool allow_pointer_leaks;      /* Linux's privileged mode: pointers may be stored and returned */
};

/* The program to verify. In insns, lddw name maps by index: EBPF_LDDW_MAP_IDX
 * (imm = index) and EBPF_LDDW_MAP_VALUE_IDX (imm = index, next imm = offset);
 * EBPF_LDDW_CODE_ADDR names a function (imm = relative slot). */
struct verify_program {
    const char *name;
    const struct ebpf_insn *insns;
    size_t insn_count;
    const struct verify_map *maps;
    size_t map_count;
    const struct verify_line *lines; /* ascending insn; may be empty */
    size_t line_count;
};

enum { VERIFY_MESSAGE_MAX = 512, VERIFY_TEXT_MAX = 1024 };

/* The verdict. */
struct verify_result {
    bool accepted;
    size_t pc;                         /* rejected: the instruction */
    char message[VERIFY_MESSAGE_MAX];  /* rejected: what rule is broken, naming registers */
    char hint[VERIFY_MESSAGE_MAX];     /* rejected: how to fix it, in plain words ("" if none) */
    char insn_text[96];                /* rejected: the instruction's disassembly */
    char state[VERIFY_TEXT_MAX];       /* rejected: the abstract state of the registers at pc */
    bool has_line;                     /* rejected: line holds its source line */
    struct verify_line line;           /* (its strings are the program's line info's) */
    size_t insns_processed;            /* instructions interpreted abstractly */
    size_t states_stored;              /* states kept for pruning */
    size_t peak_bytes;                 /* most memory held for states */
};

/* Options of one verification. */
struct verify_options {
    FILE *log; /* optional: the abstract state along the rejected path (verbose mode) */
    size_t max_steps; /* instructions interpreted, plus kept states compared, before "too complex"; 0: 10^6
                         instructions interpreted (Linux's limit) */
};

/*
 * Verifies prog against profile. Returns 0 with result filled (accepted or
 * not), or -ENOMEM / -EINVAL (malformed arguments, reason in result->message).
 */
int verify_program(const struct verify_profile *profile, const struct verify_program *prog,
                   const struct verify_options *opts, struct verify_result *result);

/* Formats a rejection as one paragraph: "NAME: instruction N (FILE:LINE): MESSAGE ..." into buf. */
void verify_format(const struct verify_program *prog, const struct verify_result *result, char *buf, size_t len);

/* The line-info record covering insn (the nearest at or before it), or NULL. */
const struct verify_line *verify_line_of(const struct verify_program *prog, size_t insn);

/* ------------------------------------------------------------------------ */
/* Linux program types, for offline checks of Linux objects.                */

/* The Linux type libbpf would give a section ("xdp", "kprobe/...", "socket", ...), or NULL. */
const char *verify_linux_type_of_section(const char *section);

/* The profile of a Linux program type by name ("xdp", "sched_cls", ...), or NULL. */
const struct verify_profile *verify_linux_profile(const char *type);

/* The names of every Linux type known (NULL-terminated). */
const char *const *verify_linux_type_names(void);

/* ------------------------------------------------------------------------ */
/* eBPF for Windows program types that Linux also names (its network        */
/* extension's), for objects written for eBPF for Windows.                  */

/* True for a section only eBPF for Windows gives a meaning ("cgroup/recv_accept4", "bind", "process"). */
bool verify_windows_only_section(const char *section);

/* Members only eBPF for Windows' contexts have ("compartment_id", ...; NULL-terminated): a program whose
 * context is declared with one was written against its headers. */
const char *const *verify_windows_ctx_members(void);

/* The eBPF for Windows type of a section ("cgroup/connect4": "cgroup_sock_addr"), or NULL. */
const char *verify_windows_type_of_section(const char *section);

/*
 * The profile of an eBPF for Windows type by name ("cgroup_sock_addr",
 * "sock_ops", "xdp_test"), or NULL: Windows' context layout and rights, the
 * type's own helpers with Windows' ids, no return range. It holds only the
 * type's own helpers: the host adds its general ones (core does).
 */
const struct verify_profile *verify_windows_profile(const char *type);

/* The names of every eBPF for Windows type known (NULL-terminated). */
const char *const *verify_windows_type_names(void);

#endif
