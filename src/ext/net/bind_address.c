/*
 * Socket addresses to and from bind_md_t: socket_address is a struct
 * sockaddr_in for IPv4 (as eBPF for Windows' SOCKADDR_IN); for IPv6 it has
 * the family and port at the same places, and the address and scope go to
 * ipv6_address and ipv6_scope_id (16 bytes cannot hold a sockaddr_in6).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ext/net/net.h"

_Static_assert(sizeof(struct sockaddr_in) == sizeof(((bind_md_t *)0)->socket_address), "a sockaddr_in fills it");

int ext_bind_md_from_sockaddr(bind_md_t *md, int family, const void *sa, size_t len)
{
    memset(md->socket_address, 0, sizeof(md->socket_address));
    memset(md->ipv6_address, 0, sizeof(md->ipv6_address));
    md->ipv6_scope_id = 0;
    sa_family_t given = AF_UNSPEC;
    if (len >= sizeof(given))
        memcpy(&given, sa, sizeof(given));
    if (family == AF_INET) {
        struct sockaddr_in in;
        if (len < sizeof(in))
            return -EINVAL;
        memcpy(&in, sa, sizeof(in));
        /* The kernel takes AF_UNSPEC for AF_INET with the any address (an old convention). */
        if (given != AF_INET && !(given == AF_UNSPEC && in.sin_addr.s_addr == htonl(INADDR_ANY)))
            return -EAFNOSUPPORT;
        in.sin_family = AF_INET;
        memset(in.sin_zero, 0, sizeof(in.sin_zero));
        memcpy(md->socket_address, &in, sizeof(in));
        md->socket_address_length = sizeof(in);
        return 0;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 in6 = {0};
        if (len < 24) /* SIN6_LEN_RFC2133: without the scope id */
            return -EINVAL;
        memcpy(&in6, sa, len < sizeof(in6) ? len : sizeof(in6));
        if (given != AF_INET6)
            return -EAFNOSUPPORT;
        uint16_t fam = AF_INET6;
        memcpy(md->socket_address, &fam, sizeof(fam));
        memcpy(md->socket_address + 2, &in6.sin6_port, sizeof(in6.sin6_port));
        memcpy(md->ipv6_address, &in6.sin6_addr, sizeof(md->ipv6_address));
        md->ipv6_scope_id = len >= sizeof(in6) ? in6.sin6_scope_id : 0;
        md->socket_address_length = sizeof(in6);
        return 0;
    }
    return -EAFNOSUPPORT;
}

socklen_t ext_bind_md_to_sockaddr(const bind_md_t *md, int family, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        memcpy(in, md->socket_address, sizeof(*in));
        in->sin_family = AF_INET; /* the socket's: a program cannot change it */
        memset(in->sin_zero, 0, sizeof(in->sin_zero));
        return sizeof(*in);
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_port, md->socket_address + 2, sizeof(in6->sin6_port));
    if (ext_bind_md_is_ipv4(md)) {
        /* An IPv4 address (a program's redirect) on an IPv6 socket: its IPv4-mapped form, so the
         * address is not dropped (the socket would stay on the address it had, e.g. every interface). */
        in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&in6->sin6_addr.s6_addr[12], md->socket_address + 4, 4);
        return sizeof(*in6);
    }
    memcpy(&in6->sin6_addr, md->ipv6_address, sizeof(in6->sin6_addr));
    in6->sin6_scope_id = md->ipv6_scope_id;
    return sizeof(*in6);
}

bool ext_bind_md_is_ipv4(const bind_md_t *md)
{
    uint16_t family;
    memcpy(&family, md->socket_address, sizeof(family));
    return family == AF_INET;
}

void ext_bind_md_set_protocol(bind_md_t *md, int protocol)
{
    md->ip_protocol = protocol > 0 ? (uint32_t)protocol : 0;
    /* A protocol wider than a byte (MPTCP, 262) truncated would pass for another (262 & 0xff: TCP). */
    md->protocol = md->ip_protocol <= UINT8_MAX ? (uint8_t)md->ip_protocol : 0;
}

uint16_t ext_bind_md_port(const bind_md_t *md)
{
    uint16_t port;
    memcpy(&port, md->socket_address + 2, sizeof(port));
    return ntohs(port);
}

void ext_bind_md_format(const bind_md_t *md, char *out, size_t cap)
{
    char text[INET6_ADDRSTRLEN] = "?";
    if (md->socket_address_length == sizeof(struct sockaddr_in6)) {
        inet_ntop(AF_INET6, md->ipv6_address, text, sizeof(text));
        snprintf(out, cap, "[%s]:%u", text, ext_bind_md_port(md));
    } else {
        inet_ntop(AF_INET, md->socket_address + 4, text, sizeof(text));
        snprintf(out, cap, "%s:%u", text, ext_bind_md_port(md));
    }
}
