/*
 * The context as programs see it. Rights are per byte, from the fields the
 * program type declares; bytes no field names (padding) are readable, so a
 * program may copy the whole context as eBPF for Windows programs do, and
 * are zeroed before every run, so they never carry host leftovers. The
 * data/end pair is the host's: the core keeps it in its own variables and
 * writes it into the context before each run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

struct core_ctx_data core_ctx_data_get(const struct core_prog_type *type, const void *ctx)
{
    struct core_ctx_data d = {0};
    if (!ctx || !type->has_data)
        return d;
    uintptr_t data, end;
    memcpy(&data, (const char *)ctx + type->data_offset, sizeof(data));
    memcpy(&end, (const char *)ctx + type->data_end_offset, sizeof(end));
    if (data && end > data)
        d = (struct core_ctx_data){(void *)data, end - data};
    return d;
}

void core_ctx_data_put(const struct core_prog_type *type, void *ctx, struct core_ctx_data data)
{
    if (!ctx || !type->has_data)
        return;
    uintptr_t start = (uintptr_t)data.data, end = start + data.size;
    memcpy((char *)ctx + type->data_offset, &start, sizeof(start));
    memcpy((char *)ctx + type->data_end_offset, &end, sizeof(end));
}

/* Records the padding runs of rights (bytes marked 0) as spans; 0 or -ENOMEM. */
static int find_padding(struct core_ctx_layout *layout, uint8_t *rights, uint32_t size)
{
    for (uint32_t i = 0; i < size;) {
        if (rights[i]) {
            i++;
            continue;
        }
        uint32_t start = i;
        while (i < size && !rights[i])
            i++;
        struct core_ctx_span *pads = realloc(layout->pads, (layout->pad_count + 1) * sizeof(*pads));
        if (!pads)
            return -ENOMEM;
        layout->pads = pads;
        pads[layout->pad_count++] = (struct core_ctx_span){start, i - start};
    }
    for (size_t p = 0; p < layout->pad_count; p++)
        memset(rights + layout->pads[p].offset, EXEC_READ, layout->pads[p].size);
    return 0;
}

int core_ctx_layout_init(struct core_ctx_layout *layout, const struct core_prog_type *type)
{
    *layout = (struct core_ctx_layout){0};
    if (!(layout->rights = calloc(type->ctx_size ? type->ctx_size : 1, 1)))
        return -ENOMEM;
    for (size_t i = 0; i < type->field_count; i++) {
        const struct core_ctx_field *f = &type->fields[i];
        memset(layout->rights + f->offset, (int)f->access, f->size);
    }
    int err = find_padding(layout, layout->rights, type->ctx_size);
    if (err)
        core_ctx_layout_free(layout);
    return err;
}

void core_ctx_layout_free(struct core_ctx_layout *layout)
{
    free(layout->rights);
    free(layout->pads);
    *layout = (struct core_ctx_layout){0};
}

void core_ctx_clear_padding(const struct core_ctx_layout *layout, void *ctx)
{
    for (size_t i = 0; i < layout->pad_count; i++)
        memset((char *)ctx + layout->pads[i].offset, 0, layout->pads[i].size);
}
