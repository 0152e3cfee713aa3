/* Selection (Hoare partition, median of three) and percentile_cont (see percentile.h). */
#include "query/percentile.h"

#include <assert.h>
#include <math.h>

static void swap64(int64_t *a, int64_t *b)
{
    const int64_t t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(int64_t *v, ptrdiff_t lo, ptrdiff_t hi)
{
    for (ptrdiff_t i = lo + 1; i <= hi; i++) {
        const int64_t x = v[i];
        ptrdiff_t j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

void cs_select_nth(int64_t *v, size_t n, size_t k)
{
    assert(k < n);
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1;
    const ptrdiff_t kk = (ptrdiff_t)k;
    while (hi - lo >= 16) {
        const ptrdiff_t mid = lo + (hi - lo) / 2;
        /* median of three: afterwards v[lo] <= v[mid] <= v[hi], sentinels for both scans */
        if (v[mid] < v[lo]) swap64(&v[mid], &v[lo]);
        if (v[hi] < v[lo]) swap64(&v[hi], &v[lo]);
        if (v[hi] < v[mid]) swap64(&v[hi], &v[mid]);
        const int64_t pivot = v[mid];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap64(&v[i], &v[j]);
                i++;
                j--;
            }
        }
        /* [lo, j] <= pivot, (j, i) == pivot, [i, hi] >= pivot */
        if (kk <= j) {
            hi = j;
        } else if (kk >= i) {
            lo = i;
        } else {
            return;
        }
    }
    insertion_sort(v, lo, hi);
}

double cs_percentile_cont(int64_t *v, size_t n, double frac)
{
    assert(n > 0);
    const double pos = frac * (double)(int64_t)(n - 1);
    const int64_t first = (int64_t)floor(pos);
    const int64_t second = (int64_t)ceil(pos);
    cs_select_nth(v, n, (size_t)first);
    const double lo = (double)v[first];
    if (first == second) return lo;
    int64_t next = v[first + 1];
    for (size_t i = (size_t)first + 2; i < n; i++) {
        if (v[i] < next) next = v[i];
    }
    const double hi = (double)next;
    const double proportion = pos - (double)first;
    return lo + (hi - lo) * proportion;
}
