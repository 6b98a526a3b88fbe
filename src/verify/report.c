/*
 * What a rejection shows: the registers' abstract values in words and
 * numbers, and the whole verdict as one paragraph.
 */
#include <stdio.h>
#include <string.h>

#include "verify/internal.h"

void vreport_reg(char *buf, size_t len, const struct verifier *v, const struct vreg *r)
{
    char num[96];
    vnum_print(num, sizeof(num), &r->off);
    switch (r->type) {
    case VT_NOT_INIT:
        snprintf(buf, len, "not set");
        break;
    case VT_SCALAR:
        snprintf(buf, len, "number %s", num);
        break;
    case VT_STACK:
        snprintf(buf, len, "stack pointer fp%s%s (frame %u)", r->off.smin >= 0 && vnum_is_const(&r->off) ? "+" : "",
                 num, r->frame);
        break;
    case VT_MAP_PTR:
    case VT_MAP_PTR_OR_NULL:
        snprintf(buf, len, "%s '%s'", vtype_name(r->type), v->prog->maps[r->map].name);
        break;
    case VT_MAP_VALUE:
    case VT_MAP_VALUE_OR_NULL:
        snprintf(buf, len, "%s of '%s' (%u bytes) offset %s", vtype_name(r->type), v->prog->maps[r->map].name,
                 v->prog->maps[r->map].value_size, num);
        break;
    case VT_PACKET:
    case VT_PACKET_META:
        snprintf(buf, len, "%s offset %d%s%s, %d bytes checked", vtype_name(r->type), r->pkt_off,
                 r->id ? " + " : "", r->id ? num : "", r->range);
        break;
    case VT_MEM:
    case VT_MEM_OR_NULL:
        snprintf(buf, len, "%s (%u bytes) offset %s", vtype_name(r->type), r->mem_size, num);
        break;
    case VT_FUNC:
        snprintf(buf, len, "function at instruction %u", r->map);
        break;
    default:
        snprintf(buf, len, "%s offset %s", vtype_name(r->type), num);
        break;
    }
}

void vreport_state(struct verifier *v, char *buf, size_t len, unsigned regs_mask)
{
    const struct vframe *f = vcur(v->cur);
    size_t used = 0;
    buf[0] = 0;
    for (int r = 0; r < EBPF_REG_COUNT && used < len; r++) {
        if (!(regs_mask >> r & 1) || f->regs[r].type == VT_NOT_INIT)
            continue;
        char one[200];
        vreport_reg(one, sizeof(one), v, &f->regs[r]);
        int n = snprintf(buf + used, len - used, "%sr%d=%s", used ? "; " : "", r, one);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (v->cur->frame_count > 1 && used < len)
        snprintf(buf + used, len - used, " (in a function called from instruction %u)", f->callsite);
}

void verify_format(const struct verify_program *prog, const struct verify_result *res, char *buf, size_t len)
{
    if (res->accepted) {
        snprintf(buf, len, "%s: accepted", prog->name ? prog->name : "program");
        return;
    }
    char where[300] = "";
    if (res->has_line)
        snprintf(where, sizeof(where), " (%s:%u)", res->line.file, res->line.line);
    snprintf(buf, len, "%s: instruction %zu%s: %s [%s]%s%s", prog->name ? prog->name : "program", res->pc, where,
             res->message, res->insn_text, res->hint[0] ? "; fix: " : "", res->hint);
}
