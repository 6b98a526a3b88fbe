/* What the bind test programs record and obey; shared with the tests. */
#ifndef BPFHOST_TESTS_BIND_EVENT_H
#define BPFHOST_TESTS_BIND_EVENT_H

#define BIND_APP_MAX 64

/* One event as bind_policy saw it. */
struct bind_record {
    uint32_t operation;
    uint32_t process_id;
    uint32_t thread_id;
    int32_t bind_error;
    uint16_t port;   /* host order */
    uint8_t length;  /* socket_address_length: 16 IPv4, 28 IPv6 */
    uint8_t protocol;
    uint8_t socket_type;
    uint8_t pad[3];
    uint8_t address[16]; /* IPv4 in the first 4 bytes, or IPv6 */
    uint32_t app_len;
    char app[BIND_APP_MAX];
};

/* The policy, ports in host order (0: none). */
struct bind_rule {
    uint16_t deny_port;
    uint16_t redirect_from, redirect_to;
    uint16_t pad;
};

#endif
