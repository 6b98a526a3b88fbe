/*
 * The "bind" program type: bind_md_t as its context, the image path
 * (app_id) as its read-only data pair, no helpers of its own (eBPF for
 * Windows' bind hook has none), returns BIND_PERMIT..BIND_REDIRECT. A
 * program may write the address it redirects to (socket_address, and the
 * IPv6 fields); every other field is read-only, which the verifier checks.
 */
#include <errno.h>
#include <stddef.h>

#include "ext/net/net.h"

_Static_assert(sizeof(void *) == 8, "bind_md_t's pointers are 64-bit, as in eBPF");
_Static_assert(offsetof(bind_md_t, socket_address) == 24 && offsetof(bind_md_t, socket_address_length) == 40 &&
                   offsetof(bind_md_t, operation) == 44 && offsetof(bind_md_t, protocol) == 48,
               "eBPF for Windows' layout");
_Static_assert(offsetof(bind_md_t, socket_type) == 49 && offsetof(bind_md_t, bind_error) == 52 &&
                   offsetof(bind_md_t, ipv6_address) == 56 && offsetof(bind_md_t, ipv6_scope_id) == 72 &&
                   offsetof(bind_md_t, thread_id) == 76 && offsetof(bind_md_t, ip_protocol) == 80 &&
                   sizeof(bind_md_t) == 88,
               "bpfhost's fields, only ever appended");

#define FIELD(name, access) {#name, offsetof(bind_md_t, name), sizeof(((bind_md_t *)0)->name), access}

static const struct core_ctx_field fields[] = {
    FIELD(app_id_start, EXEC_READ),
    FIELD(app_id_end, EXEC_READ),
    FIELD(process_id, EXEC_READ),
    FIELD(socket_address, EXEC_READ | EXEC_WRITE),
    FIELD(socket_address_length, EXEC_READ),
    FIELD(operation, EXEC_READ),
    FIELD(protocol, EXEC_READ),
    FIELD(socket_type, EXEC_READ),
    FIELD(bind_error, EXEC_READ),
    FIELD(ipv6_address, EXEC_READ | EXEC_WRITE),
    FIELD(ipv6_scope_id, EXEC_READ | EXEC_WRITE),
    FIELD(thread_id, EXEC_READ),
    FIELD(ip_protocol, EXEC_READ),
};

static const char *const prefixes[] = {"bind", NULL};

/* The context's C names in ebpf_nethooks.h, for CO-RE relocations. */
static const char *const ctx_names[] = {"_bind_md", "bind_md_t", NULL};

static const struct core_prog_type bind_type = {
    .name = "bind",
    .type_id = EXT_BIND_TYPE_ID,
    .section_prefixes = prefixes,
    .ctx_size = sizeof(bind_md_t),
    .fields = fields,
    .field_count = sizeof(fields) / sizeof(fields[0]),
    .ctx_type_names = ctx_names,
    .has_data = true,
    .data_offset = offsetof(bind_md_t, app_id_start),
    .data_end_offset = offsetof(bind_md_t, app_id_end),
    .data_access = EXEC_READ,
    .retval_rule = CORE_RETVAL_RANGE,
    .retval_min = BIND_PERMIT,
    .retval_max = BIND_REDIRECT,
    .context_from_json = ext_bind_context_from_json,
};

const struct core_prog_type *ext_bind_type(void)
{
    return &bind_type;
}

int ext_bind_type_register(void)
{
    int err = core_prog_type_register(&bind_type);
    return err == -EEXIST ? 0 : err;
}
