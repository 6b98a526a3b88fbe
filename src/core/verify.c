/*
 * Verification before loading. Every program reaches the interpreter
 * through core_prog_load(), which calls core_verify() first: the static
 * verifier runs with the program type's profile, the maps the program
 * names (their types and sizes as created) and its source lines, so a
 * rejection names the instruction, the C line and the rule.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/internal.h"

/* The program's maps as the verifier sees them, inner definitions appended. */
static struct verify_map *maps_of(const struct core_prog_load_args *args, size_t *count)
{
    struct verify_map *maps = calloc(2 * args->map_count + 1, sizeof(*maps));
    size_t n = args->map_count;
    for (size_t i = 0; maps && i < args->map_count; i++) {
        const struct map *m = args->maps[i]->map;
        bool read_only = (map_flags(m) & MAP_F_RDONLY_PROG) != 0;
        maps[i] = (struct verify_map){map_name(m), map_type(m), map_key_size(m), map_value_size(m),
                                      map_max_entries(m), read_only, -1, NULL};
        /* A frozen read-only array's value cannot change: its format strings can be read at load. */
        uint32_t zero = 0;
        if (read_only && map_is_frozen(m) && map_type(m) == BPF_MAP_TYPE_ARRAY && map_key_size(m) == 4)
            maps[i].data = map_lookup_elem((struct map *)m, &zero);
        const struct map_params *inner = map_inner_params(m);
        if (inner) {
            maps[n] = (struct verify_map){map_name(m), inner->type, inner->key_size, inner->value_size,
                                          inner->max_entries, false, -1, NULL};
            maps[i].inner = (int)n++;
        }
    }
    *count = n;
    return maps;
}

int core_verify(const struct core_prog_load_args *args, char *err, size_t errlen)
{
    struct core_profile profile;
    size_t map_count = 0, line_count = 0;
    struct verify_map *maps = maps_of(args, &map_count);
    struct verify_line *lines = core_verify_lines(args->source, &line_count);
    int rc = maps && (lines || !line_count) ? core_profile_init(&profile, args->type) : -ENOMEM;
    if (rc) {
        free(maps);
        free(lines);
        return core_fail(err, errlen, -ENOMEM, "out of memory");
    }
    struct verify_program prog = {args->name, args->insns, args->insn_count, maps, map_count, lines, line_count};
    struct verify_result res;
    rc = verify_program(&profile.profile, &prog, NULL, &res);
    if (rc)
        rc = core_fail(err, errlen, rc, "%s: %s", args->name, res.message);
    else if (!res.accepted) {
        char text[2 * VERIFY_MESSAGE_MAX + 300];
        verify_format(&prog, &res, text, sizeof(text));
        rc = core_fail(err, errlen, -EINVAL, "%s%s%s", text, res.state[0] ? "; registers: " : "", res.state);
    }
    core_profile_free(&profile);
    free(maps);
    free(lines);
    return rc;
}
