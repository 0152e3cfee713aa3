/* Selection (Hoare partition, median of three) and percentile_cont (see percentile.h). */
#include "query/percentile.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>

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

/* Selection by sampled bounds (after Floyd and Rivest): 32 evenly spaced values, sorted, give
 * bounds lo <= v[k] <= hi with high probability; one pass counts the values below lo and
 * within [lo, hi]; when rank k (and k + 1) fall within, a second pass compacts those values
 * to the front and selection runs on them only (a few percent of n). */
#define SAMPLE        32
#define SAMPLE_MARGIN 4
#define SAMPLE_MIN_N  512

struct bounds {
    bool has_lo, has_hi;
    int64_t lo, hi;
};

static struct bounds sample_bounds(const int64_t *v, size_t n, size_t k)
{
    int64_t smp[SAMPLE];
    const size_t step = n / SAMPLE;
    for (size_t i = 0; i < SAMPLE; i++)
        smp[i] = v[i * step + step / 2];
    insertion_sort(smp, 0, SAMPLE - 1);
    const size_t r = (size_t)((uint64_t)k * SAMPLE / n);
    struct bounds b = {r >= SAMPLE_MARGIN, r + SAMPLE_MARGIN + 1 < SAMPLE, 0, 0};
    if (b.has_lo) b.lo = smp[r - SAMPLE_MARGIN];
    if (b.has_hi) b.hi = smp[r + SAMPLE_MARGIN + 1];
    return b;
}

static inline size_t in_bounds(const struct bounds *b, int64_t x)
{
    return (size_t)((!b->has_lo || x >= b->lo) & (!b->has_hi || x <= b->hi));
}

/* v[k] (and v[k + 1] when want_next) of the sorted values; false when the sample missed. */
static bool select_sampled(int64_t *v, size_t n, size_t k, bool want_next, int64_t *a, int64_t *b)
{
    const struct bounds bd = sample_bounds(v, n, k);
    size_t below = 0, mid = 0;
    for (size_t i = 0; i < n; i++) {
        below += (size_t)(bd.has_lo & (v[i] < bd.lo));
        mid += in_bounds(&bd, v[i]);
    }
    const size_t last = want_next ? k + 1 : k;
    if (k < below || last >= below + mid) return false;
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        const int64_t x = v[i];
        v[c] = x;
        c += in_bounds(&bd, x);
    }
    const size_t kk = k - below;
    cs_select_nth(v, mid, kk);
    *a = v[kk];
    if (want_next) {
        int64_t next = v[kk + 1];
        for (size_t i = kk + 2; i < mid; i++)
            next = v[i] < next ? v[i] : next;
        *b = next;
    }
    return true;
}

/* v[first] and v[first + 1] of the sorted values (the second only when want_next). */
static void order_stats(int64_t *v, size_t n, size_t first, bool want_next, int64_t *a, int64_t *b)
{
    if (n >= SAMPLE_MIN_N && select_sampled(v, n, first, want_next, a, b)) return;
    cs_select_nth(v, n, first);
    *a = v[first];
    if (!want_next) return;
    int64_t next = v[first + 1];
    for (size_t i = first + 2; i < n; i++)
        next = v[i] < next ? v[i] : next;
    *b = next;
}

double cs_percentile_cont(int64_t *v, size_t n, double frac)
{
    assert(n > 0);
    const double pos = frac * (double)(int64_t)(n - 1);
    const int64_t first = (int64_t)floor(pos);
    const int64_t second = (int64_t)ceil(pos);
    int64_t a = 0, b = 0;
    order_stats(v, n, (size_t)first, first != second, &a, &b);
    const double lo = (double)a;
    if (first == second) return lo;
    const double hi = (double)b;
    const double proportion = pos - (double)first;
    return lo + (hi - lo) * proportion;
}
