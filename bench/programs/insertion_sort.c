/* Insertion sort of 128 32-bit keys: the input's first half is copied to
 * its second half and sorted there, so every run does the same work. */
#include "bench_program.h"

#define KEYS 128

BENCH_ENTRY(insertion_sort)
{
    if (len < 2 * KEYS * 4)
        return 0;
    uint32_t *in = (uint32_t *)mem, *a = (uint32_t *)mem + KEYS;
    for (int i = 0; i < KEYS; i++)
        a[i] = in[i];
    for (int i = 1; i < KEYS; i++) {
        uint32_t key = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = key;
    }
    uint64_t check = 0;
    for (int i = 0; i < KEYS; i++)
        check = check * 31 + a[i];
    return check;
}
