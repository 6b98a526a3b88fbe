/* Object ids, references, enumeration, information and pins. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

static struct core_map *new_map(uint32_t type)
{
    struct map_params p = {.type = type, .key_size = 4, .value_size = 8, .max_entries = 4, .name = "m"};
    struct core_map *map;
    assert_int_equal(core_map_create(&p, &map), 0);
    return map;
}

static void ids_increase_and_are_never_reused(void **state)
{
    (void)state;
    struct core_map *a = new_map(BPF_MAP_TYPE_HASH);
    uint32_t a_id = core_obj_id(core_map_obj(a));
    core_map_release(a);
    struct core_map *b = new_map(BPF_MAP_TYPE_HASH), *c = new_map(BPF_MAP_TYPE_ARRAY);
    uint32_t b_id = core_obj_id(core_map_obj(b)), c_id = core_obj_id(core_map_obj(c));
    assert_true(b_id > a_id && c_id == b_id + 1);
    assert_null(core_obj_get_by_id(CORE_OBJ_MAP, a_id));
    assert_int_equal(map_id(core_map_map(b)), b_id);

    /* Enumeration skips the freed id and ends with -ENOENT. */
    uint32_t next;
    assert_int_equal(core_obj_next_id(CORE_OBJ_MAP, a_id - 1, &next), 0);
    assert_int_equal(next, b_id);
    assert_int_equal(core_obj_next_id(CORE_OBJ_MAP, b_id, &next), 0);
    assert_int_equal(next, c_id);
    assert_int_equal(core_obj_next_id(CORE_OBJ_MAP, c_id, &next), -ENOENT);
    assert_int_equal(core_obj_next_id(CORE_OBJ_MAP, UINT32_MAX, &next), -ENOENT);
    assert_int_equal(core_obj_next_id(99, 0, &next), -EINVAL);
    assert_null(core_obj_get_by_id(99, 1));

    /* get_by_id takes a reference that outlives the creator's. */
    struct core_obj *again = core_obj_get_by_id(CORE_OBJ_MAP, b_id);
    assert_ptr_equal(core_obj_map(again), b);
    assert_null(core_obj_prog(again));
    assert_null(core_obj_link(again));
    assert_int_equal(core_obj_type(again), CORE_OBJ_MAP);
    core_map_release(b);
    struct core_map_info info;
    core_map_info(core_obj_map(again), &info);
    assert_int_equal(info.id, b_id);
    assert_int_equal(info.type, BPF_MAP_TYPE_HASH);
    assert_int_equal(info.key_size, 4);
    assert_int_equal(info.value_size, 8);
    assert_int_equal(info.max_entries, 4);
    assert_string_equal(info.name, "m");
    assert_false(info.frozen);
    core_obj_release(again);
    assert_null(core_obj_get_by_id(CORE_OBJ_MAP, b_id));
    core_map_release(c);
    assert_int_equal(core_map_create(NULL, &c), -EINVAL);
    struct map_params bad = {.type = 999};
    assert_int_equal(core_map_create(&bad, &c), -EINVAL);
}

static void program_information(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls", NULL);
    struct core_prog *two = prog_of(obj, "stage_two");
    struct core_prog_info info;
    core_prog_info(two, &info);
    assert_string_equal(info.name, "stage_two");
    assert_string_equal(info.section, "sample");
    assert_ptr_equal(info.type, core_prog_type_find_by_name("sample"));
    assert_int_equal(info.insn_count, bpf_elf_find_program(open_prog("tail_calls"), "stage_two")->insn_count);
    assert_int_equal(info.map_count, 1);
    uint32_t ids[4];
    assert_int_equal(core_prog_map_ids(two, ids, 4), 1);
    assert_int_equal(ids[0], core_obj_id(core_map_obj(core_object_find_map(obj, "hits"))));
    /* The program as loaded names its maps by index into that list. */
    size_t count;
    const struct ebpf_insn *insns = core_prog_insns(two, &count);
    bool found = false;
    for (size_t pc = 0; pc < count; pc++)
        found |= insns[pc].opcode == EBPF_OP_LDDW && insns[pc].src == EBPF_LDDW_MAP_IDX && insns[pc].imm == 0;
    assert_true(found);
    assert_int_equal(core_prog_map_ids(prog_of(obj, "entry"), ids, 0), 1);
    struct core_obj *by_id = core_obj_get_by_id(CORE_OBJ_PROG, info.id);
    assert_ptr_equal(core_obj_prog(by_id), two);
    core_obj_release(by_id);
    core_object_close(obj);
}

static void pins(void **state)
{
    (void)state;
    struct core_map *map = new_map(BPF_MAP_TYPE_ARRAY);
    uint32_t id = core_obj_id(core_map_obj(map));
    assert_int_equal(core_pin("/sys/fs/bpf/objects/b", core_map_obj(map)), 0);
    assert_int_equal(core_pin("/sys/fs/bpf/objects/a", core_map_obj(map)), 0);
    assert_int_equal(core_pin("/sys/fs/bpf/objects/a", core_map_obj(map)), -EEXIST);
    assert_int_equal(core_pin("relative", core_map_obj(map)), -EINVAL);
    assert_int_equal(core_pin(NULL, core_map_obj(map)), -EINVAL);
    core_map_release(map);
    /* Pinned objects stay alive without any handle. */
    struct core_obj *got;
    assert_int_equal(core_pin_get("/sys/fs/bpf/objects/a", &got), 0);
    assert_int_equal(core_obj_id(got), id);
    core_obj_release(got);
    assert_int_equal(core_pin_get("/sys/fs/bpf/objects/c", &got), -ENOENT);
    assert_null(got);
    char path[64];
    assert_int_equal(core_pin_next("/sys/fs/bpf/objects", path, sizeof(path)), 0);
    assert_string_equal(path, "/sys/fs/bpf/objects/a");
    assert_int_equal(core_pin_next(path, path, sizeof(path)), 0);
    assert_string_equal(path, "/sys/fs/bpf/objects/b");
    assert_int_equal(core_pin_next(path, path, sizeof(path)), -ENOENT);
    assert_int_equal(core_unpin("/sys/fs/bpf/objects/a"), 0);
    assert_int_equal(core_unpin("/sys/fs/bpf/objects/a"), -ENOENT);
    assert_int_equal(core_unpin(""), -EINVAL);
    assert_int_equal(core_pin_get(NULL, &got), -EINVAL);
    assert_non_null(got = core_obj_get_by_id(CORE_OBJ_MAP, id));
    core_obj_release(got);
    assert_int_equal(core_unpin("/sys/fs/bpf/objects/b"), 0);
    assert_null(core_obj_get_by_id(CORE_OBJ_MAP, id));
}

/* A prog array that only programs hold is emptied: a pin keeps it whole. */
static void pinned_prog_arrays_keep_their_programs(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls", NULL);
    assert_int_equal(core_pin("/sys/fs/bpf/objects/jumps", core_map_obj(core_object_find_map(obj, "jumps"))), 0);
    struct core_prog *entry = prog_of(obj, "entry");
    core_obj_retain(core_prog_obj(entry));
    core_object_close(obj);
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(entry, &ctx), 23);
    assert_int_equal(core_unpin("/sys/fs/bpf/objects/jumps"), 0);
    assert_int_equal((int)run_on(entry, &ctx), -1);
    core_prog_release(entry);
}

struct churn {
    uint32_t last_id;
    bool failed;
};

static void *create_and_release(void *arg)
{
    struct churn *c = arg;
    struct map_params p = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1};
    for (int i = 0; i < 500; i++) {
        struct core_map *map;
        if (core_map_create(&p, &map) != 0) {
            c->failed = true;
            return NULL;
        }
        uint32_t id = core_obj_id(core_map_obj(map));
        c->failed |= id <= c->last_id;
        c->last_id = id;
        struct core_obj *again = core_obj_get_by_id(CORE_OBJ_MAP, id);
        c->failed |= core_obj_map(again) != map;
        core_obj_release(again);
        core_map_release(map);
    }
    return NULL;
}

static void ids_under_concurrency(void **state)
{
    (void)state;
    struct churn churn[4] = {0};
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, create_and_release, &churn[i]), 0);
    /* Enumerate meanwhile: every listed id is live or already gone, never reused. */
    for (int round = 0; round < 200; round++) {
        uint32_t id = 0, next;
        while (core_obj_next_id(CORE_OBJ_MAP, id, &next) == 0) {
            assert_true(next > id);
            core_obj_release(core_obj_get_by_id(CORE_OBJ_MAP, next));
            id = next;
        }
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_false(churn[i].failed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_increase_and_are_never_reused),
        cmocka_unit_test(program_information),
        cmocka_unit_test(pins),
        cmocka_unit_test(pinned_prog_arrays_keep_their_programs),
        cmocka_unit_test(ids_under_concurrency),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
