/* A nested loop whose inner trip count depends on data and on the outer
 * counter (an insertion sort): the verifier must accept it in time that
 * does not grow with the trip count. Each rejected_* twin breaks it (a
 * loop that never ends, an index past either end of the array), and must
 * be refused for that. tests/verify/test_loops.c names the verdict of each. */
#include "value_map.h"

#ifndef N
#define N 64 /* the tests also build it with other sizes */
#endif

VALUE_MAP(numbers, uint32_t[N])

/* Insertion sort of the map's 64 numbers, in place. */
SEC("sample")
int insertion_sort(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    for (int i = 1; i < N; i++) {
        uint32_t key = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = key;
    }
    return 0;
}

/* Twin of insertion_sort whose inner loop stops moving when a number equals the key: never ends. */
SEC("sample")
int rejected_endless(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    for (int i = 1; i < N; i++) {
        uint32_t key = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] >= key) {
            a[j + 1] = a[j];
            if (a[j] != key)
                j--;
        }
        a[j + 1] = key;
    }
    return 0;
}

/* Twin of insertion_sort whose last pass reads one past the array. */
SEC("sample")
int rejected_past_end(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    for (int i = 1; i <= N; i++) {
        uint32_t key = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = key;
    }
    return 0;
}

/* Twin of insertion_sort whose inner loop forgets j >= 0: a[-1] is read. */
SEC("sample")
int rejected_before_start(struct sample_ctx *ctx)
{
    uint32_t *a = numbers_value();
    if (!a)
        return 0;
    for (int i = 1; i < N; i++) {
        uint32_t key = a[i];
        int j = i - 1;
        while (j > -8 && a[j & 0xff] > key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = key;
    }
    return 0;
}
