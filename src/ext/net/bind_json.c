/*
 * Simulated bind events from JSON (bpfhost test-run PROG.o bind --ctx
 * EVENT.json): bind_md_t's fields by their C names, the address as text
 * and the port as a number, and the app_id string the data pair points
 * to. Unknown names are errors, so a typo never silently leaves a field
 * zero.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ext/net/net.h"

/* What the fields say, before they are put together. */
struct parsed {
    bind_md_t md;
    const char *address, *app_id;
    uint64_t port;
    bool has_port;
};

static int set_field(const char *name, struct json_object *v, struct parsed *p, char *err, size_t errlen)
{
    static const char *const ops[] = {"bind", "post_bind", "unbind"};
    static const uint64_t op_values[] = {BIND_OPERATION_BIND, BIND_OPERATION_POST_BIND, BIND_OPERATION_UNBIND};
    static const char *const protos[] = {"tcp", "udp"};
    static const uint64_t proto_values[] = {IPPROTO_TCP, IPPROTO_UDP};
    static const char *const types[] = {"stream", "dgram"};
    static const uint64_t type_values[] = {SOCK_STREAM, SOCK_DGRAM};
    uint64_t u;
    int rc;
    bind_md_t *md = &p->md;
    if (!strcmp(name, "operation")) {
        if (!(rc = ext_json_named(name, v, ops, op_values, 3, BIND_OPERATION_UNBIND, &u, err, errlen)))
            md->operation = (bind_operation_t)u;
    } else if (!strcmp(name, "protocol")) {
        if (!(rc = ext_json_named(name, v, protos, proto_values, 2, UINT16_MAX, &u, err, errlen)))
            ext_bind_md_set_protocol(md, (int)u);
    } else if (!strcmp(name, "socket_type")) {
        if (!(rc = ext_json_named(name, v, types, type_values, 2, UINT8_MAX, &u, err, errlen)))
            md->socket_type = (uint8_t)u;
    } else if (!strcmp(name, "process_id")) {
        if (!(rc = ext_json_uint(name, v, UINT64_MAX, &u, err, errlen)))
            md->process_id = u;
    } else if (!strcmp(name, "thread_id")) {
        if (!(rc = ext_json_uint(name, v, UINT32_MAX, &u, err, errlen)))
            md->thread_id = (uint32_t)u;
    } else if (!strcmp(name, "ipv6_scope_id")) {
        if (!(rc = ext_json_uint(name, v, UINT32_MAX, &u, err, errlen)))
            md->ipv6_scope_id = (uint32_t)u;
    } else if (!strcmp(name, "bind_error")) {
        if (!(rc = ext_json_uint(name, v, INT32_MAX, &u, err, errlen)))
            md->bind_error = (int32_t)u;
    } else if (!strcmp(name, "port")) {
        rc = ext_json_uint(name, v, UINT16_MAX, &p->port, err, errlen);
        p->has_port = true;
    } else if (!strcmp(name, "address")) {
        rc = ext_json_string(name, v, &p->address, err, errlen);
    } else if (!strcmp(name, "app_id")) {
        rc = ext_json_string(name, v, &p->app_id, err, errlen);
    } else {
        rc = ext_json_fail(err, errlen,
                           "unknown field \"%s\" (operation, process_id, thread_id, protocol, socket_type, "
                           "bind_error, address, port, ipv6_scope_id, app_id)",
                           name);
    }
    return rc;
}

/* Puts the address and port into md. */
static int set_address(struct parsed *p, char *err, size_t errlen)
{
    const char *text = p->address ? p->address : "0.0.0.0";
    uint16_t port = htons((uint16_t)p->port);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = port};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = port, .sin6_scope_id = p->md.ipv6_scope_id};
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
        return ext_bind_md_from_sockaddr(&p->md, AF_INET, &in, sizeof(in));
    if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1)
        return ext_bind_md_from_sockaddr(&p->md, AF_INET6, &in6, sizeof(in6));
    return ext_json_fail(err, errlen, "field \"address\": \"%s\" is neither an IPv4 nor an IPv6 address", text);
}

int ext_bind_event_from_json(const char *json, struct ext_bind_event *ev, char **storage, char *err,
                             size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    *storage = NULL;
    struct json_object *root = ext_json_parse_object(json, err, errlen);
    if (!root)
        return -EINVAL;
    struct parsed p = {0};
    int rc = 0;
    json_object_object_foreach(root, key, val)
    {
        if (rc)
            break;
        rc = set_field(key, val, &p, err, errlen);
    }
    if (!rc)
        rc = set_address(&p, err, errlen);
    if (!rc && p.app_id) {
        *storage = strdup(p.app_id);
        if (!*storage)
            rc = -ENOMEM;
    }
    if (!rc) {
        ev->md = p.md;
        ev->app_id = *storage;
        ev->app_id_len = *storage ? strlen(*storage) : 0;
        ev->task.process_id = (uint32_t)p.md.process_id;
        ev->task.thread_id = p.md.thread_id ? p.md.thread_id : (uint32_t)p.md.process_id;
    }
    json_object_put(root);
    return rc;
}

int ext_bind_context_from_json(const char *json, struct core_test_input *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof(*in));
    struct ext_bind_event ev;
    char *storage;
    int rc = ext_bind_event_from_json(json, &ev, &storage, err, errlen);
    if (rc)
        return rc;
    in->ctx = malloc(sizeof(ev.md));
    if (!in->ctx) {
        free(storage);
        return -ENOMEM;
    }
    memcpy(in->ctx, &ev.md, sizeof(ev.md));
    in->ctx_size = sizeof(ev.md);
    in->data = ev.app_id_len ? storage : NULL; /* the app id is the data the pair points to */
    in->data_size = ev.app_id_len;
    if (!in->data)
        free(storage);
    in->task = ev.task;
    return 0;
}
