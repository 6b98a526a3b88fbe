/* The records of examples/trace_connections.c, shared with the tools that read its map. */
#ifndef BPFHOST_EXAMPLES_BIND_COUNTS_H
#define BPFHOST_EXAMPLES_BIND_COUNTS_H

#define BIND_COUNTS_NAME_MAX 32

/* One process' binds (the value of the map proc_map, keyed by the process id). */
typedef struct _bind_counts {
    uint32_t id;                     /* process id */
    char name[BIND_COUNTS_NAME_MAX]; /* its image path (app_id), its first bytes */
    uint32_t binds;                  /* BIND events */
    uint32_t failed;                 /* POST_BIND events with an error */
    uint32_t unbinds;                /* UNBIND events */
    uint16_t last_port;              /* the port of its last BIND, host order */
    uint16_t pad;
} bind_counts_t;

#endif
