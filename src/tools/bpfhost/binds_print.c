/* `bpfhost run --binds`: one line per bind of the tree, as text or JSON. */
#include "cli.h"
#include "ext/ext.h"
#include "tools/tools.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* The address of md as text, and its port. */
static unsigned address_of(const bind_md_t *md, char *text, size_t cap)
{
    uint16_t port;
    memcpy(&port, md->socket_address + 2, sizeof(port));
    bool v6 = md->socket_address_length == sizeof(struct sockaddr_in6);
    inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)md->ipv6_address : (const void *)(md->socket_address + 4),
              text, (socklen_t)cap);
    return ntohs(port);
}

static const char *protocol_name(uint8_t protocol)
{
    return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : NULL;
}

static const char *verdict_name(const struct ext_bind_verdict *v)
{
    return v->denied ? "deny" : v->redirected ? "redirect" : "permit";
}

void cli_print_bind(FILE *out, bool json, const struct ext_bind_report *r)
{
    const bind_md_t *md = &r->event->md;
    char asked[INET6_ADDRSTRLEN] = "", bound[INET6_ADDRSTRLEN] = "";
    unsigned asked_port = address_of(md, asked, sizeof(asked));
    unsigned bound_port = r->bound ? address_of(r->bound, bound, sizeof(bound)) : 0;
    const char *proto = protocol_name(md->protocol);
    const char *app = r->event->app_id ? r->event->app_id : "";
    size_t app_len = r->event->app_id ? r->event->app_id_len : 0;
    if (json) {
        fprintf(out, "{\"pid\": %llu, \"tid\": %u, ", (unsigned long long)md->process_id, md->thread_id);
        tools_json_field(out, "app_id", ": ", app, app_len);
        fprintf(out, ", \"protocol\": ");
        if (proto)
            fprintf(out, "\"%s\"", proto);
        else
            fprintf(out, "%u", md->ip_protocol);
        fprintf(out, ", \"address\": \"%s\", \"port\": %u, \"verdict\": \"%s\", \"bound\": ", asked, asked_port,
                verdict_name(r->verdict));
        if (r->bound)
            fprintf(out, "{\"address\": \"%s\", \"port\": %u}", bound, bound_port);
        else
            fprintf(out, "null");
        fprintf(out, ", \"error\": %d}\n", -r->result);
        fflush(out);
        return;
    }
    fprintf(out, "bind: pid %llu ", (unsigned long long)md->process_id);
    tools_text_write(out, app, app_len, TOOLS_TEXT_SPACE); /* a field that ends at a space */
    if (proto)
        fprintf(out, " %s", proto);
    else
        fprintf(out, " protocol %u", md->ip_protocol);
    bool v6 = md->socket_address_length == sizeof(struct sockaddr_in6);
    fprintf(out, v6 ? " [%s]:%u: %s" : " %s:%u: %s", asked, asked_port, verdict_name(r->verdict));
    if (r->bound)
        fprintf(out, v6 ? ", bound [%s]:%u\n" : ", bound %s:%u\n", bound, bound_port);
    else if (r->verdict->denied)
        fprintf(out, "\n");
    else
        fprintf(out, ", failed: %s\n", strerror(-r->result));
    fflush(out);
}
