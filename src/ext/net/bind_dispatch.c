/*
 * Dispatch of one bind event to the programs of a hook. eBPF for Windows
 * lets one program attach to its bind hook; here every attached program
 * sees every event, in attach order: any denial wins, else the first
 * redirect. Each program sees the event's own address: what one program
 * writes into the context is taken back before the next runs.
 */
#include <errno.h>
#include <string.h>

#include "ext/net/net.h"

struct tally {
    bind_md_t *ctx;
    const bind_md_t *original;
    struct ext_bind_verdict *verdict;
};

/* Whether the link was attached with EXT_PROCESS_FAIL_CLOSED. */
static bool fail_closed(const struct core_link *link)
{
    size_t size;
    const struct ext_process_link_opts *opts = core_link_params(link, &size);
    return opts && size >= sizeof(*opts) && (opts->flags & EXT_PROCESS_FAIL_CLOSED);
}

/* Puts the writable fields of from into to. */
static void copy_address(bind_md_t *to, const bind_md_t *from)
{
    memcpy(to->socket_address, from->socket_address, sizeof(to->socket_address));
    memcpy(to->ipv6_address, from->ipv6_address, sizeof(to->ipv6_address));
    to->ipv6_scope_id = from->ipv6_scope_id;
}

static int on_result(void *arg, const struct core_link *link, uint64_t retval, const struct exec_result *result)
{
    struct tally *t = arg;
    struct ext_bind_verdict *v = t->verdict;
    bool bind = t->original->operation == BIND_OPERATION_BIND;
    if (result->status != EXEC_OK) {
        v->errors++;
        if (result->status == EXEC_ERR_DEADLINE)
            v->late++;
        if (bind && fail_closed(link))
            v->failed_closed++;
    } else if (bind && (uint32_t)retval == BIND_DENY) {
        v->denials++;
        core_prog_count_denial(core_link_prog(link));
    } else if (bind && (uint32_t)retval == BIND_REDIRECT) {
        if (!v->redirects++) {
            v->redirect = *t->original;
            copy_address(&v->redirect, t->ctx);
        }
    }
    copy_address(t->ctx, t->original);
    return 0; /* never skip the rest */
}

int ext_bind_dispatch(struct core_hook *hook, const struct ext_bind_event *ev, struct ext_bind_verdict *verdict)
{
    if (!hook || !ev || !verdict)
        return -EINVAL;
    memset(verdict, 0, sizeof(*verdict));
    bind_md_t ctx = ev->md;
    const char *app = ev->app_id ? ev->app_id : "";
    ctx.app_id_start = (uint8_t *)app;
    ctx.app_id_end = (uint8_t *)app + (ev->app_id ? ev->app_id_len : 0);
    struct tally t = {.ctx = &ctx, .original = &ev->md, .verdict = verdict};
    int n = core_hook_invoke_until(hook, &ctx, &ev->task, ev->deadline_ns, on_result, &t);
    if (n < 0)
        return n;
    verdict->programs = n;
    verdict->denied = verdict->denials > 0 || verdict->failed_closed > 0;
    verdict->redirected = !verdict->denied && verdict->redirects > 0;
    return n;
}
