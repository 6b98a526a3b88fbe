/*
 * libFuzzer target: an object file from memory through the ELF loader
 * (bpf_elf_open_mem), what the tools read of it (source lines, map type
 * names, whose object it is: core_object_platform), and the core's load (core_object_load: maps, pins, static
 * slots, and every program through core_verify). Any input must end in a
 * loaded object or an error that says why; never a crash, a leak or
 * undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/core.h"
#include "ext/ext.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (ext_register_builtin() != 0)
        fuzz_fail("cannot register the built-in program types");
    return 0;
}

/* Reads what `bpfhost show` reads of every program and map. */
static void walk(const struct bpf_elf_object *elf)
{
    size_t sum = 0;
    for (size_t i = 0; i < elf->program_count; i++) {
        const struct bpf_elf_program *p = &elf->programs[i];
        sum += strlen(p->name) + strlen(p->section);
        for (size_t pc = 0; pc < p->insn_count; pc++) {
            const struct bpf_elf_line *line = bpf_elf_line_of(p, pc);
            if (line)
                sum += strlen(line->file) + strlen(line->text);
        }
        for (size_t f = 0; f < p->func_count; f++)
            sum += strlen(p->funcs[f].name);
    }
    for (size_t i = 0; i < elf->map_count; i++) {
        const char *type = bpf_elf_map_type_name(elf->maps[i].def.type);
        sum += strlen(elf->maps[i].name) + strlen(elf->maps[i].section) + (type ? strlen(type) : 0);
    }
    if (elf->license)
        sum += strlen(elf->license);
    sum += core_object_platform(elf);
    __asm__ volatile("" ::"r"(sum)); /* the reads are the point */
}

/*
 * Whether the object's maps could need more than MAP_MEMORY_LIMIT bytes:
 * such a load succeeds or fails with ENOMEM by the machine's memory, not by
 * the code's logic, so it is left out (preallocated hash maps touch every
 * element). Each entry counts its key, its value (once per CPU for per-CPU
 * maps) and generous overhead.
 */
enum { MAP_MEMORY_LIMIT = 64 << 20, ENTRY_OVERHEAD = 128, MAX_CPUS = 64 };
static bool maps_too_big(const struct bpf_elf_object *elf)
{
    unsigned __int128 total = 0;
    for (size_t i = 0; i < elf->map_count; i++) {
        const struct bpf_elf_map_def *d = &elf->maps[i].def;
        bool percpu = d->type == BPF_MAP_TYPE_PERCPU_HASH || d->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
                      d->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
        total += (unsigned __int128)d->max_entries *
                 (d->key_size + (unsigned __int128)d->value_size * (percpu ? MAX_CPUS : 1) + ENTRY_OVERHEAD);
    }
    return total > MAP_MEMORY_LIMIT;
}

/* Pins made by a load (maps with pinning by name) would carry over to the next input. */
static void unpin_all(void)
{
    char path[4096];
    while (core_pin_next(NULL, path, sizeof(path)) == 0)
        if (core_unpin(path) != 0)
            fuzz_fail("cannot unpin %s", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bpf_elf_object *elf = NULL;
    char err[512] = "";
    if (bpf_elf_open_mem(data, size, "fuzz", &elf, err, sizeof(err)) < 0) {
        fuzz_require_reason("bpf_elf_open_mem", err, sizeof(err));
        if (strncmp(err, "fuzz: ", 6) != 0 || !err[6]) /* bpf_elf.h: "name: reason" */
            fuzz_fail("bpf_elf_open_mem's error does not name the object and a reason: %s", err);
        return 0;
    }
    walk(elf);
    struct core_object *obj = NULL;
    const struct core_load_opts opts = {.pin_root = "/sys/fs/bpf/fuzz"};
    err[0] = '\0';
    if (!maps_too_big(elf)) {
        if (core_object_load(elf, &opts, &obj, err, sizeof(err)) == 0)
            core_object_close(obj);
        else
            fuzz_require_reason("core_object_load", err, sizeof(err));
    }
    unpin_all();
    bpf_elf_close(elf);
    return 0;
}
