/* process_monitor: what its files share. */
#ifndef BPFHOST_TOOLS_PROCESS_MONITOR_H
#define BPFHOST_TOOLS_PROCESS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Prints one ring-buffer record (struct process_monitor_event) as a line; -1 if it is malformed. */
int monitor_print_event(FILE *out, bool json, const void *record, size_t size);

/* Writes a FILETIME as ISO 8601 UTC with microseconds ("" for 0) into buf. */
void monitor_format_filetime(uint64_t filetime, char *buf, size_t len);

#endif
