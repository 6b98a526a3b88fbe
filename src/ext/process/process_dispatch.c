/*
 * Dispatch of one process event to the programs of a hook. Unlike
 * ntosebpfext, which stops at the first program that denies, every
 * attached program sees every event (a monitor attached after a policy
 * still records the denied exec); any denial wins.
 */
#include <errno.h>
#include <string.h>

#include "ext/internal.h"

struct tally {
    bool create, command_line_unread;
    struct ext_process_verdict *verdict;
};

/* Whether the link was attached with EXT_PROCESS_FAIL_CLOSED. */
static bool fail_closed(const struct core_link *link)
{
    size_t size;
    const struct ext_process_link_opts *opts = core_link_params(link, &size);
    return opts && size >= sizeof(*opts) && (opts->flags & EXT_PROCESS_FAIL_CLOSED);
}

static int on_result(void *arg, const struct core_link *link, uint64_t retval, const struct exec_result *result)
{
    struct tally *t = arg;
    if (result->status != EXEC_OK) {
        t->verdict->errors++;
        if (result->status == EXEC_ERR_DEADLINE)
            t->verdict->late++;
        if (t->create && fail_closed(link))
            t->verdict->failed_closed++;
    } else if (t->create && retval != 0) {
        t->verdict->denials++;
        core_prog_count_denial(core_link_prog(link));
    } else if (t->create && t->command_line_unread && fail_closed(link)) {
        t->verdict->failed_closed++;
    }
    return 0; /* never skip the rest */
}

int ext_process_dispatch(struct core_hook *hook, const struct ext_process_event *ev,
                         struct ext_process_verdict *verdict)
{
    if (!hook || !ev || !verdict)
        return -EINVAL;
    memset(verdict, 0, sizeof(*verdict));
    struct ext_process_run run = {.md = ev->md,
                                  .image_path = ev->image_path,
                                  .image_path_len = ev->image_path_len,
                                  .cause_path = ev->cause_path,
                                  .cause_path_len = ev->cause_path_len,
                                  .image_file = ev->image_file};
    const char *cmd = ev->command_line ? ev->command_line : "";
    size_t cmd_len = ev->command_line ? ev->command_line_len : 0;
    run.md.command_start = (uint8_t *)cmd;
    run.md.command_end = (uint8_t *)cmd + cmd_len;
    struct tally t = {.create = ev->md.operation == PROCESS_OPERATION_CREATE,
                      .command_line_unread = ev->command_line_unread,
                      .verdict = verdict};
    int n = core_hook_invoke_until(hook, &run.md, &ev->task, ev->deadline_ns, on_result, &t);
    if (n < 0)
        return n;
    verdict->programs = n;
    verdict->denied = verdict->denials > 0 || verdict->failed_closed > 0;
    return n;
}

bool ext_process_hook_can_deny(const char *hook_name)
{
    return !strcmp(hook_name, EXT_PROCESS_HOOK) || !strcmp(hook_name, EXT_PROCESS_HOOK_FANOTIFY) ||
           !strncmp(hook_name, EXT_PROCESS_HOOK_SUPERVISED, strlen(EXT_PROCESS_HOOK_SUPERVISED));
}

void ext_dispatch_observed(struct core_hook *hook, struct ext_source_counters *counters, struct ext_process_event *ev,
                           const char *trace_prefix)
{
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    ev->deadline_ns = ext_monotonic_ns() + (uint64_t)d.ms * 1000000u;
    struct ext_process_verdict verdict;
    int n = ext_process_dispatch(hook, ev, &verdict);
    if (n < 0) {
        atomic_fetch_add(&counters->errors, 1);
        core_trace_printf("%sdispatch of pid %llu failed: %s", trace_prefix, (unsigned long long)ev->md.process_id,
                          strerror(-n));
        return;
    }
    verdict.denied = false; /* the exec has already happened: observation only */
    ext_counters_add(counters, &verdict);
}

void ext_process_set_account(process_md_t *md, uint32_t uid, uint32_t gid)
{
    md->uid = uid;
    md->gid = gid;
    /* S-1-22-1-<uid>: revision 1, two sub-authorities, authority 22 (big-endian,
     * 6 bytes), then the sub-authorities 1 and uid (little-endian). */
    static const uint8_t head[8] = {1, 2, 0, 0, 0, 0, 0, 22};
    memcpy(md->token_sid, head, sizeof(head));
    const uint32_t sub[2] = {1, uid};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 4; b++)
            md->token_sid[8 + 4 * i + b] = (uint8_t)(sub[i] >> (8 * b));
    md->token_sid_size = 16;
}
