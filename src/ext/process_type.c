/*
 * The "process" program type: process_md_t as its context (every field
 * read-only, the command line as its read-only data pair), the helpers
 * that answer from the event behind the context, and the test-run context
 * builder for simulated events.
 */
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ext/internal.h"

_Static_assert(sizeof(void *) == 8, "process_md_t's pointers are 64-bit, as in eBPF");
_Static_assert(offsetof(process_md_t, process_exit_code) == 64, "the seed's layout");
_Static_assert(offsetof(process_md_t, token_sid_size) == 72, "ntosebpfext's layout");
_Static_assert(offsetof(process_md_t, uid) == 144, "host fields after ntosebpfext's");
_Static_assert(offsetof(struct ext_process_run, md) == 0, "the context starts the run");

#define FIELD(name) {#name, offsetof(process_md_t, name), sizeof(((process_md_t *)0)->name), EXEC_READ}

static const struct core_ctx_field fields[] = {
    FIELD(command_start),
    FIELD(command_end),
    FIELD(process_id),
    FIELD(parent_process_id),
    FIELD(creating_process_id),
    FIELD(creating_thread_id),
    FIELD(creation_time),
    FIELD(exit_time),
    FIELD(process_exit_code),
    {"operation", offsetof(process_md_t, process_exit_code) + 4, 1, EXEC_READ}, /* a bit-field: no offsetof */
    FIELD(token_sid_size),
    FIELD(token_sid),
    FIELD(uid),
    FIELD(gid),
};

/* The run behind the context argument of a helper call, or NULL if r1 is not the context. */
static struct ext_process_run *run_of(struct exec_env *env, uint64_t r1)
{
    void *ctx = core_run_ctx(env);
    return ctx && r1 == (uintptr_t)ctx ? ctx : NULL;
}

/* The helpers' contract (as ntosebpfext's): the whole string or -EINVAL, never a cut one. */
static uint64_t copy_out(struct exec_env *env, uint64_t dst, uint64_t cap, const char *s, size_t len)
{
    if (len > cap)
        return (uint64_t)-EINVAL;
    if (len == 0)
        return 0;
    char *out = exec_env_mem(env, dst, len, EXEC_WRITE);
    if (!out)
        return (uint64_t)-EFAULT;
    memcpy(out, s, len);
    return len;
}

/* int bpf_process_get_image_path(process_md_t *ctx, uint8_t *path, uint32_t path_length) */
static uint64_t get_image_path(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct exec_env *env)
{
    (void)r4, (void)r5;
    struct ext_process_run *run = run_of(env, r1);
    if (!run)
        return (uint64_t)-EINVAL;
    return copy_out(env, r2, (uint32_t)r3, run->image_path, run->image_path ? run->image_path_len : 0);
}

/* int bpf_process_get_account_name(process_md_t *ctx, uint8_t *name, uint32_t name_length) */
static uint64_t get_account_name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                 struct exec_env *env)
{
    (void)r4, (void)r5;
    struct ext_process_run *run = run_of(env, r1);
    if (!run)
        return (uint64_t)-EINVAL;
    struct passwd pw, *found = NULL;
    char buf[1024];
    if (getpwuid_r(run->md.uid, &pw, buf, sizeof(buf), &found) != 0 || !found)
        return (uint64_t)-ENOENT;
    return copy_out(env, r2, (uint32_t)r3, pw.pw_name, strlen(pw.pw_name));
}

/* int bpf_process_get_account_domain(process_md_t *ctx, uint8_t *domain, uint32_t domain_length) */
static uint64_t get_account_domain(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                   struct exec_env *env)
{
    (void)r4, (void)r5;
    if (!run_of(env, r1))
        return (uint64_t)-EINVAL;
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        return (uint64_t)-ENOENT;
    host[sizeof(host) - 1] = '\0';
    return copy_out(env, r2, (uint32_t)r3, host, strlen(host));
}

#define STRING_HELPER(id, name, fn) \
    {id, name, fn, CORE_RET_INTEGER, {CORE_ARG_CTX, CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE}}

static const struct core_helper helpers[] = {
    STRING_HELPER(EXT_PROCESS_HELPER_GET_IMAGE_PATH, "bpf_process_get_image_path", get_image_path),
    STRING_HELPER(EXT_PROCESS_HELPER_GET_ACCOUNT_NAME, "bpf_process_get_account_name", get_account_name),
    STRING_HELPER(EXT_PROCESS_HELPER_GET_ACCOUNT_DOMAIN, "bpf_process_get_account_domain", get_account_domain),
};

/*
 * Test runs: ctx_in is process_md_t (its pointers ignored); data_in is the
 * command line, then optionally a NUL byte and the image path (see
 * ext_process_test_input()). One block holds the run and a copy of the data.
 */
static int context_create(const void *ctx_in, size_t ctx_in_size, const void *data_in, size_t data_in_size,
                          void **ctx)
{
    if (data_in_size > SIZE_MAX - sizeof(struct ext_process_run) - 1)
        return -EINVAL;
    struct ext_process_run *run = calloc(1, sizeof(*run) + data_in_size + 1);
    if (!run)
        return -ENOMEM;
    char *data = (char *)(run + 1);
    if (ctx_in_size)
        memcpy(&run->md, ctx_in, ctx_in_size);
    if (data_in_size)
        memcpy(data, data_in, data_in_size);
    const char *nul = memchr(data, '\0', data_in_size);
    size_t command_len = nul ? (size_t)(nul - data) : data_in_size;
    run->md.command_start = (uint8_t *)data;
    run->md.command_end = (uint8_t *)data + command_len;
    if (nul) {
        run->image_path = nul + 1;
        run->image_path_len = data_in_size - command_len - 1;
    }
    *ctx = run;
    return 0;
}

static void context_destroy(void *ctx)
{
    free(ctx);
}

static const char *const prefixes[] = {"process", NULL};

static const struct core_prog_type process_type = {
    .name = "process",
    .type_id = EXT_PROCESS_TYPE_ID,
    .section_prefixes = prefixes,
    .ctx_size = sizeof(process_md_t),
    .fields = fields,
    .field_count = sizeof(fields) / sizeof(fields[0]),
    .has_data = true,
    .data_offset = offsetof(process_md_t, command_start),
    .data_end_offset = offsetof(process_md_t, command_end),
    .data_access = EXEC_READ,
    .helpers = helpers,
    .helper_count = sizeof(helpers) / sizeof(helpers[0]),
    .retval_rule = CORE_RETVAL_ANY,
    .context_create = context_create,
    .context_destroy = context_destroy,
    .context_from_json = ext_process_context_from_json,
};

const struct core_prog_type *ext_process_type(void)
{
    return &process_type;
}

int ext_process_type_register(void)
{
    int err = core_prog_type_register(&process_type);
    return err == -EEXIST ? 0 : err;
}

long ext_process_test_input(const struct ext_process_event *ev, uint8_t **data)
{
    size_t cmd = ev->command_line ? ev->command_line_len : 0;
    size_t img = ev->image_path ? ev->image_path_len : 0;
    size_t size = cmd + (img ? 1 + img : 0);
    uint8_t *out = malloc(size ? size : 1);
    if (!out)
        return -ENOMEM;
    if (cmd)
        memcpy(out, ev->command_line, cmd);
    if (img) {
        out[cmd] = '\0';
        memcpy(out + cmd + 1, ev->image_path, img);
    }
    *data = out;
    return (long)size;
}
