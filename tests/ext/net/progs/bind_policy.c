/* Records every bind event in a ring buffer; denies the port of its rule
 * and redirects another to a third (see bind_event.h). */
#include "bpf_helpers.h"
#include "ebpf_nethooks.h"
#include "bind_event.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, struct bind_rule);
    __uint(max_entries, 1);
} rule SEC(".maps");

static __always_inline uint16_t swap16(uint16_t v)
{
    return (uint16_t)((v >> 8) | (v << 8));
}

static __always_inline void record(bind_md_t *ctx, uint16_t port)
{
    struct bind_record *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return;
    bpf_memset(e, 0, sizeof(*e));
    e->operation = ctx->operation;
    e->process_id = (uint32_t)ctx->process_id;
    e->thread_id = ctx->thread_id;
    e->bind_error = ctx->bind_error;
    e->port = port;
    e->length = ctx->socket_address_length;
    e->protocol = ctx->protocol;
    e->socket_type = ctx->socket_type;
    if (ctx->socket_address_length == 28)
        bpf_memcpy_s(e->address, 16, ctx->ipv6_address, 16);
    else
        bpf_memcpy_s(e->address, 16, &ctx->socket_address[4], 4);
    uint64_t len = ctx->app_id_end - ctx->app_id_start;
    e->app_len = (uint32_t)len;
    if (len > BIND_APP_MAX)
        len = BIND_APP_MAX;
    bpf_memcpy_s(e->app, BIND_APP_MAX, ctx->app_id_start, len);
    bpf_ringbuf_submit(e, 0);
}

SEC("bind")
bind_action_t policy(bind_md_t *ctx)
{
    uint16_t port = swap16(*(uint16_t *)&ctx->socket_address[2]);
    record(ctx, port);
    uint32_t zero = 0;
    struct bind_rule *r = bpf_map_lookup_elem(&rule, &zero);
    if (!r || ctx->operation != BIND_OPERATION_BIND)
        return BIND_PERMIT;
    if (r->deny_port && port == r->deny_port)
        return BIND_DENY;
    if (r->redirect_from && port == r->redirect_from) {
        *(uint16_t *)&ctx->socket_address[2] = swap16(r->redirect_to);
        return BIND_REDIRECT;
    }
    return BIND_PERMIT;
}

char LICENSE[] SEC("license") = "GPL";
