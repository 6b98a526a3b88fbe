/* Following the trace pipe: bpf_printk lines (and the host's own) as they come, escaped. */
#include "cli.h"
#include "core/core.h"
#include "tools/tools.h"

#include <stdio.h>
#include <string.h>

void cli_trace_begin(struct cli_trace *t, FILE *out, bool json, struct cli_policy *policy)
{
    *t = (struct cli_trace){.cursor = core_trace_tail(), .out = out, .json = json, .policy = policy};
}

/* Writes one trace line: as it is (escaped) or as {"trace": LINE}. */
static void print_line(const struct cli_trace *t, const char *line)
{
    if (t->json) {
        fprintf(t->out, "{");
        tools_json_field(t->out, "trace", ": ", line, strlen(line));
        fprintf(t->out, "}\n");
    } else {
        tools_text_puts(t->out, line);
        fputc('\n', t->out);
    }
}

void cli_trace_pump(struct cli_trace *t, int timeout_ms)
{
    char line[CORE_TRACE_LINE_MAX];
    int lost;
    /* Waits for the first line only; then takes what is there. */
    while ((lost = core_trace_follow(&t->cursor, line, sizeof(line), timeout_ms)) >= 0) {
        timeout_ms = 0;
        if (!t->out)
            continue;
        if (lost)
            fprintf(stderr, "bpfhost: %d trace lines lost (the trace ring keeps %d)\n", lost, CORE_TRACE_LINES);
        print_line(t, line);
    }
    if (t->out)
        fflush(t->out);
    if (t->policy)
        cli_policy_report_faults(t->policy);
}
