/*
 * eBPF for Windows program types that Linux also names, as profiles:
 * Windows' context layouts (bpf_sock_addr_t, bpf_sock_ops_t and xdp_md_t
 * of its ebpf_nethooks.h, 64-bit pointers), the rights this host gives
 * their fields, the type's own helpers with Windows' ids (0x10000 up) and
 * no return range (eBPF for Windows checks only that r0 is a number).
 * Also the section names of its network extension, and those only eBPF for
 * Windows defines, which tell an object written for it from a Linux one.
 * Written from eBPF for Windows' public headers and section tables.
 */
#include <pthread.h>
#include <string.h>

#include "verify/verify.h"

enum { READ_ONLY = VERIFY_READ, READ_WRITE = VERIFY_READ | VERIFY_WRITE };

/*
 * bpf_sock_addr_t (64 bytes): family 0, msg_src_ip4/ip6 4..20,
 * msg_src_port 20, user_ip4/ip6 24..40, user_port 40, protocol 44,
 * compartment_id 48, interface_luid 56. Every byte is readable (padding
 * too, as eBPF for Windows checks reads against the size only); the
 * destination (user_ip, user_port) is writable: a connect program
 * redirects by rewriting it.
 */
static const struct verify_ctx_field sock_addr_fields[] = {
    {0, 64, READ_ONLY, VERIFY_FIELD_PLAIN},
    {24, 18, READ_WRITE, VERIFY_FIELD_PLAIN},
};

/* bpf_sock_ops_t (64 bytes): op, family, local and remote address and port, protocol, compartment, LUID;
 * all read-only. */
static const struct verify_ctx_field sock_ops_fields[] = {
    {0, 64, READ_ONLY, VERIFY_FIELD_PLAIN},
};

/* xdp_md_t (32 bytes): data 0, data_end 8, data_meta 16 (pointers of 8 bytes), ingress_ifindex 24. */
static const struct verify_ctx_field xdp_fields[] = {
    {0, 8, READ_ONLY, VERIFY_FIELD_PACKET},
    {8, 8, READ_ONLY, VERIFY_FIELD_PACKET_END},
    {16, 8, READ_ONLY, VERIFY_FIELD_PACKET_META},
    {24, 8, READ_ONLY, VERIFY_FIELD_PLAIN},
};

static const struct verify_helper sock_addr_helpers[] = {
    {0x10000, "bpf_sock_addr_get_current_pid_tgid", VERIFY_RET_INTEGER, {VERIFY_ARG_CTX}, 0, 0},
    {0x10001, "bpf_sock_addr_set_redirect_context", VERIFY_RET_INTEGER,
     {VERIFY_ARG_CTX, VERIFY_ARG_MEM_READ, VERIFY_ARG_CONST_SIZE}, 0, 0},
};

static const struct verify_helper xdp_helpers[] = {
    {0x10000, "bpf_xdp_adjust_head", VERIFY_RET_INTEGER, {VERIFY_ARG_CTX, VERIFY_ARG_SCALAR},
     VERIFY_HELPER_CHANGES_PACKET, 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct verify_profile profiles[] = {
    {.name = "cgroup_sock_addr", .ctx_size = 64, .fields = sock_addr_fields, .field_count = COUNT(sock_addr_fields),
     .helpers = sock_addr_helpers, .helper_count = COUNT(sock_addr_helpers)},
    {.name = "sock_ops", .ctx_size = 64, .fields = sock_ops_fields, .field_count = COUNT(sock_ops_fields)},
    {.name = "xdp_test", .ctx_size = 32, .fields = xdp_fields, .field_count = COUNT(xdp_fields),
     .packet_access = READ_WRITE, .helpers = xdp_helpers, .helper_count = COUNT(xdp_helpers)},
};

/* Section prefixes of eBPF for Windows' network extension and its test hook ("xdp" is that hook's older name). */
static const struct {
    const char *prefix, *type;
} sections[] = {
    {"cgroup/connect4", "cgroup_sock_addr"},
    {"cgroup/connect6", "cgroup_sock_addr"},
    {"cgroup/recv_accept4", "cgroup_sock_addr"},
    {"cgroup/recv_accept6", "cgroup_sock_addr"},
    {"sockops", "sock_ops"},
    {"xdp_test", "xdp_test"},
    {"xdp", "xdp_test"},
};

/* Sections no Linux loader knows: eBPF for Windows' inbound connection hooks, its bind hook
 * (netebpfext) and its process hook (ntosebpfext). */
static const char *const windows_only[] = {"cgroup/recv_accept4", "cgroup/recv_accept6", "bind", "process"};

/* bpf_sock_addr_t's and bpf_sock_ops_t's network compartment and interface: Linux's contexts have neither. */
static const char *const windows_ctx_members[] = {"compartment_id", "interface_luid", NULL};

const char *const *verify_windows_ctx_members(void)
{
    return windows_ctx_members;
}

bool verify_windows_only_section(const char *section)
{
    for (size_t i = 0; section && i < COUNT(windows_only); i++)
        if (strncmp(section, windows_only[i], strlen(windows_only[i])) == 0)
            return true;
    return false;
}

const char *verify_windows_type_of_section(const char *section)
{
    const char *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; section && i < COUNT(sections); i++) {
        size_t len = strlen(sections[i].prefix);
        if (len > best_len && strncmp(section, sections[i].prefix, len) == 0) {
            best = sections[i].type;
            best_len = len;
        }
    }
    return best;
}

const struct verify_profile *verify_windows_profile(const char *type)
{
    for (size_t i = 0; type && i < COUNT(profiles); i++)
        if (strcmp(profiles[i].name, type) == 0)
            return &profiles[i];
    return NULL;
}

static const char *names[COUNT(profiles) + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void list_names(void)
{
    for (size_t i = 0; i < COUNT(profiles); i++)
        names[i] = profiles[i].name;
}

const char *const *verify_windows_type_names(void)
{
    pthread_once(&once, list_names);
    return names;
}
