/* Large growable arrays of the executor (query/bigbuf.c): contents kept across growth (mremap),
 * new bytes zero, the mapping advised for transparent huge pages where the kernel's mode is
 * madvise. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/bigbuf.h"

Test(bigbuf, grows_keeping_contents_and_zero_fills)
{
    size_t cap = 1000;
    uint64_t *a = cs_big_resize(NULL, 0, cap * sizeof(*a));
    cr_assert_not_null(a);
    for (size_t i = 0; i < cap; i++) {
        cr_assert_eq(a[i], 0);
        a[i] = i * 7 + 1;
    }
    for (int k = 0; k < 8; k++) { /* to 256,000 values: past 2 MiB */
        uint64_t *b = cs_big_resize(a, cap * sizeof(*a), 2 * cap * sizeof(*a));
        cr_assert_not_null(b);
        for (size_t i = 0; i < cap; i++)
            cr_assert_eq(b[i], i * 7 + 1, "value %zu after growth %d", i, k);
        for (size_t i = cap; i < 2 * cap; i++) {
            cr_assert_eq(b[i], 0);
            b[i] = i * 7 + 1;
        }
        a = b;
        cap *= 2;
    }
    cs_big_free(a, cap * sizeof(*a));
    cs_big_free(NULL, 0);
}

/* THPeligible of the mapping that holds address p, from /proc/self/smaps (-1: not found) */
static int thp_eligible(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (f == NULL) return -1;
    char line[512];
    int in = 0, found = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) { /* a mapping's first line */
            in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        } else if (in && strncmp(line, "THPeligible:", 12) == 0) {
            found = atoi(line + 12);
        }
    }
    fclose(f);
    return found;
}

Test(bigbuf, advised_for_huge_pages)
{
    FILE *m = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char mode[128] = "";
    if (m != NULL) {
        if (fgets(mode, sizeof(mode), m) == NULL) mode[0] = '\0';
        fclose(m);
    }
    if (strstr(mode, "[madvise]") == NULL) {
        cr_skip_test("transparent huge pages are not in madvise mode here");
    }
    const size_t bytes = (size_t)8 << 20;
    char *a = cs_big_resize(NULL, 0, bytes);
    cr_assert_not_null(a);
    cr_expect_eq(thp_eligible(a), 1);
    char *b = cs_big_resize(a, bytes, 2 * bytes); /* grown (maybe moved): still advised */
    cr_assert_not_null(b);
    cr_expect_eq(thp_eligible(b + bytes), 1);
    cs_big_free(b, 2 * bytes);
}
