/*
 * ebpf_nethooks.h — the bind hook (SEC("bind")), as eBPF for Windows'
 * network extension defines it, on bpfhost.
 *
 *   #include <bpf_helpers.h>
 *   #include <ebpf_nethooks.h>
 *
 *   SEC("bind") bind_action_t handler(bind_md_t *ctx) { ... return BIND_PERMIT; }
 *
 * A program sees every bind() of an IPv4 or IPv6 socket (TCP, UDP, any
 * other IP protocol) of the event source it is attached to, before it
 * happens (BIND_OPERATION_BIND), then its outcome
 * (BIND_OPERATION_POST_BIND), then the release of the address when the
 * socket is closed (BIND_OPERATION_UNBIND). On BIND_OPERATION_BIND it
 * returns BIND_PERMIT, BIND_DENY (the bind fails with EACCES) or
 * BIND_REDIRECT (the socket is bound to the address the program wrote into
 * socket_address, or ipv6_address for IPv6, instead). Any other value is
 * refused by the verifier. Returns on the other operations are ignored.
 *
 * socket_address holds the address as Linux's struct sockaddr_in: the
 * family (AF_INET, 2) in host order, the port in network order at byte 2,
 * the IPv4 address in network order at byte 4 (socket_address_length 16),
 * as eBPF for Windows' SOCKADDR_IN. For IPv6 it holds the family (Linux's
 * AF_INET6, 10) and the port at the same places and zeros after them
 * (socket_address_length 28, sizeof(struct sockaddr_in6)); the address is
 * in ipv6_address and its scope in ipv6_scope_id.
 *
 * app_id is the image path of the process (UTF-8, no NUL; eBPF for
 * Windows gives the UTF-16 file name only).
 *
 * Also used by host code (bpfhost's network extension), so the layout is
 * checked on both sides: pointers are 64-bit in eBPF and on every host
 * bpfhost supports.
 */
#ifndef BPFHOST_EBPF_NETHOOKS_H
#define BPFHOST_EBPF_NETHOOKS_H

#if !defined(__bpf__)
#include <stdint.h>
#endif

typedef enum _bind_operation
{
    BIND_OPERATION_BIND,      ///< Entry to bind.
    BIND_OPERATION_POST_BIND, ///< After port allocation.
    BIND_OPERATION_UNBIND,    ///< Release port.
} bind_operation_t;

typedef struct _bind_md
{
    uint8_t* app_id_start;         ///< Pointer to start of App ID.
    uint8_t* app_id_end;           ///< Pointer to end of App ID.
    uint64_t process_id;           ///< Process ID.
    uint8_t socket_address[16];    ///< Socket address to bind to.
    uint8_t socket_address_length; ///< Length in bytes of the socket address.
    bind_operation_t operation;    ///< Operation to do.
    uint8_t protocol;              ///< Protocol number (e.g., IPPROTO_TCP).
    /* bpfhost's own fields: only ever appended after eBPF for Windows'. */
    uint8_t socket_type;      ///< SOCK_STREAM (1), SOCK_DGRAM (2), SOCK_RAW (3), ...
    int32_t bind_error;       ///< POST_BIND: 0 if the bind succeeded, else its errno (e.g. EADDRINUSE, 98).
    uint8_t ipv6_address[16]; ///< IPv6: the address, network order (socket_address has its family and port).
    uint32_t ipv6_scope_id;   ///< IPv6: the scope (interface index) of a link-local address.
    uint32_t thread_id;       ///< The thread that called bind (BIND, POST_BIND); 0 when unknown.
    uint32_t ip_protocol;     ///< The protocol number in full (MPTCP: 262); protocol is 0 when it does not fit a byte.
} bind_md_t;

typedef enum _bind_action
{
    BIND_PERMIT,   ///< Permit the bind operation.
    BIND_DENY,     ///< Deny the bind operation.
    BIND_REDIRECT, ///< Change the bind endpoint.
} bind_action_t;

/* eBPF for Windows' numbers of the program type and its attach type (ebpf_structs.h). */
#define BPF_PROG_TYPE_BIND 2
#define BPF_ATTACH_TYPE_BIND 2

/* The prototype of a bind program. */
typedef bind_action_t bind_hook_t(bind_md_t* context);

#endif
