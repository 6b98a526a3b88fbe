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
_Static_assert(offsetof(process_md_t, image_kind) == 152 && offsetof(process_md_t, image_inode) == 168 &&
                   sizeof(process_md_t) == 176,
               "bpfhost's fields, only ever appended");
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
    FIELD(image_kind),
    FIELD(image_device),
    FIELD(image_inode),
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

/* Copies the image path (or, with cause, the cause path) of the run behind r1 to r2 (r3 bytes). */
static uint64_t copy_path(struct exec_env *env, uint64_t r1, uint64_t r2, uint64_t r3, bool cause)
{
    struct ext_process_run *run = run_of(env, r1);
    if (!run)
        return (uint64_t)-EINVAL;
    const char *path = cause ? run->cause_path : run->image_path;
    return copy_out(env, r2, (uint32_t)r3, path, !path ? 0 : cause ? run->cause_path_len : run->image_path_len);
}

/* int bpf_process_get_image_path(process_md_t *ctx, uint8_t *path, uint32_t path_length) */
static uint64_t get_image_path(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct exec_env *env)
{
    (void)r4, (void)r5;
    return copy_path(env, r1, r2, r3, false);
}

/* int bpf_process_get_account_name(process_md_t *ctx, uint8_t *name, uint32_t name_length) */
static uint64_t get_account_name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                 struct exec_env *env)
{
    (void)r4, (void)r5;
    struct ext_process_run *run = run_of(env, r1);
    if (!run)
        return (uint64_t)-EINVAL;
    char name[EXT_ACCOUNT_TEXT_MAX];
    long len = ext_account_name(run->md.uid, name);
    return len < 0 ? (uint64_t)len : copy_out(env, r2, (uint32_t)r3, name, (size_t)len);
}

/* int bpf_process_get_account_domain(process_md_t *ctx, uint8_t *domain, uint32_t domain_length) */
static uint64_t get_account_domain(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                   struct exec_env *env)
{
    (void)r4, (void)r5;
    if (!run_of(env, r1))
        return (uint64_t)-EINVAL;
    char host[EXT_ACCOUNT_TEXT_MAX];
    long len = ext_account_domain(host);
    return len < 0 ? (uint64_t)len : copy_out(env, r2, (uint32_t)r3, host, (size_t)len);
}

/* int bpf_process_get_cause_path(process_md_t *ctx, uint8_t *path, uint32_t path_length) */
static uint64_t get_cause_path(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct exec_env *env)
{
    (void)r4, (void)r5;
    return copy_path(env, r1, r2, r3, true);
}

/* int bpf_process_get_image_sha256(process_md_t *ctx, uint8_t *digest, uint32_t digest_size) */
static uint64_t get_image_sha256(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                 struct exec_env *env)
{
    (void)r4, (void)r5;
    struct ext_process_run *run = run_of(env, r1);
    if (!run || (uint32_t)r3 < EXT_SHA256_SIZE)
        return (uint64_t)-EINVAL;
    uint8_t *out = exec_env_mem(env, r2, EXT_SHA256_SIZE, EXEC_WRITE);
    if (!out)
        return (uint64_t)-EFAULT;
    uint8_t digest[EXT_SHA256_SIZE];
    int err = ext_image_sha256(run->image_file, digest, NULL);
    if (err)
        return (uint64_t)(int64_t)err;
    memcpy(out, digest, sizeof(digest));
    return EXT_SHA256_SIZE;
}

#define STRING_HELPER(id, name, fn) \
    {id, name, fn, CORE_RET_INTEGER, {CORE_ARG_CTX, CORE_ARG_MEM_WRITE, CORE_ARG_CONST_SIZE}}

static const struct core_helper helpers[] = {
    STRING_HELPER(EXT_PROCESS_HELPER_GET_IMAGE_PATH, "bpf_process_get_image_path", get_image_path),
    STRING_HELPER(EXT_PROCESS_HELPER_GET_ACCOUNT_NAME, "bpf_process_get_account_name", get_account_name),
    STRING_HELPER(EXT_PROCESS_HELPER_GET_ACCOUNT_DOMAIN, "bpf_process_get_account_domain", get_account_domain),
    STRING_HELPER(EXT_PROCESS_HELPER_GET_CAUSE_PATH, "bpf_process_get_cause_path", get_cause_path),
    STRING_HELPER(EXT_PROCESS_HELPER_GET_IMAGE_SHA256, "bpf_process_get_image_sha256", get_image_sha256),
};

/* The next NUL-terminated piece of the test data at *p (up to end): its start and length. */
static const char *next_piece(const char **p, const char *end, size_t *len)
{
    if (*p >= end) {
        *len = 0;
        return NULL;
    }
    const char *start = *p, *nul = memchr(start, '\0', (size_t)(end - start));
    *len = nul ? (size_t)(nul - start) : (size_t)(end - start);
    *p = start + *len + 1;
    return start;
}

/*
 * Test runs: ctx_in is process_md_t (its pointers ignored); data_in is the
 * command line, then optionally a NUL byte and the image path, then
 * optionally a NUL byte and the cause path (see ext_process_test_input()).
 * One block holds the run and a copy of the data.
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
    const char *p = data, *end = data + data_in_size;
    size_t command_len;
    next_piece(&p, end, &command_len);
    run->md.command_start = (uint8_t *)data;
    run->md.command_end = (uint8_t *)data + command_len;
    run->image_path = next_piece(&p, end, &run->image_path_len);
    run->cause_path = next_piece(&p, end, &run->cause_path_len);
    /* Simulated: the image is the file of that path on this host (NUL-terminated by calloc's extra byte,
     * or by the cause path's separator). */
    run->image_file = run->image_path;
    *ctx = run;
    return 0;
}

static void context_destroy(void *ctx)
{
    free(ctx);
}

static const char *const prefixes[] = {"process", NULL};

/* The context's C names in ebpf_ntos_hooks.h, for CO-RE relocations. */
static const char *const ctx_names[] = {"_process_md", "process_md_t", NULL};

static const struct core_prog_type process_type = {
    .name = "process",
    .type_id = EXT_PROCESS_TYPE_ID,
    .section_prefixes = prefixes,
    .ctx_size = sizeof(process_md_t),
    .fields = fields,
    .field_count = sizeof(fields) / sizeof(fields[0]),
    .ctx_type_names = ctx_names,
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
    size_t cause = ev->cause_path ? ev->cause_path_len : 0;
    size_t size = cmd + (img || cause ? 1 + img : 0) + (cause ? 1 + cause : 0);
    uint8_t *out = malloc(size ? size : 1);
    if (!out)
        return -ENOMEM;
    if (cmd)
        memcpy(out, ev->command_line, cmd);
    if (img || cause) {
        out[cmd] = '\0';
        if (img)
            memcpy(out + cmd + 1, ev->image_path, img);
    }
    if (cause) {
        out[cmd + 1 + img] = '\0';
        memcpy(out + cmd + 2 + img, ev->cause_path, cause);
    }
    *data = out;
    return (long)size;
}
