/* Selection (branch-free Lomuto partitions, median of three) and percentile_cont (see
 * percentile.h). */
#include "query/percentile.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>

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

/* Moves the values of v[lo, hi) that satisfy `below` (x < p, or x <= p) to the front, the
 * others after them, without branches on the data: every step swaps v[i] with v[c] and
 * advances c when v[i] qualifies ([lo, c) qualify, [c, i) do not, so swapping a value that
 * does not qualify exchanges two that do not). Returns c. */
static inline ptrdiff_t partition_lt(int64_t *v, ptrdiff_t lo, ptrdiff_t hi, int64_t p)
{
    ptrdiff_t c = lo;
    for (ptrdiff_t i = lo; i < hi; i++) {
        const int64_t x = v[i], y = v[c];
        v[i] = y;
        v[c] = x;
        c += (ptrdiff_t)(x < p);
    }
    return c;
}

static inline ptrdiff_t partition_le(int64_t *v, ptrdiff_t lo, ptrdiff_t hi, int64_t p)
{
    ptrdiff_t c = lo;
    for (ptrdiff_t i = lo; i < hi; i++) {
        const int64_t x = v[i], y = v[c];
        v[i] = y;
        v[c] = x;
        c += (ptrdiff_t)(x <= p);
    }
    return c;
}

static inline int64_t median3(int64_t a, int64_t b, int64_t c)
{
    const int64_t lo = a < b ? a : b, hi = a < b ? b : a;
    return c < lo ? lo : (c > hi ? hi : c);
}

/* Quickselect with branch-free partitions (a data-dependent branch per value mispredicts half
 * the time on random data): [0, lo) <= [lo, hi) <= [hi, n) throughout. A pivot with no value
 * below it splits by <= instead, so equal values always make progress. */
void cs_select_nth(int64_t *v, size_t n, size_t k)
{
    assert(k < n);
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n;
    const ptrdiff_t kk = (ptrdiff_t)k;
    while (hi - lo > 24) {
        const int64_t p = median3(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]);
        const ptrdiff_t c = partition_lt(v, lo, hi, p); /* p is in range: c < hi */
        if (kk < c) {
            hi = c;
        } else if (c > lo) {
            lo = c;
        } else {                                            /* p is the minimum of [lo, hi) */
            const ptrdiff_t e = partition_le(v, lo, hi, p); /* [lo, e) == p, e > lo */
            if (kk < e) return;
            lo = e;
        }
    }
    insertion_sort(v, lo, hi - 1);
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

/* Upper ranks (k >= n / 2, the p95 case): a threshold t from 64 evenly spaced values, a few
 * sample ranks below rank k's place in the sample; one branch-free pass gathers the values
 * >= t (c ~ 15% of n: into tmp when given, v untouched; else to the front of v by swapping,
 * v staying a permutation); when at most k values are below t, rank k is rank k - (n - c) of
 * those c values, selected there. Returns false when the sample missed (the k-th value is
 * below t). */
#define TAIL_SAMPLE 64
#define TAIL_MARGIN 6
#define TAIL_MIN_N  256

static bool
select_tail(int64_t *v, size_t n, size_t k, bool want_next, int64_t *tmp, int64_t *a, int64_t *b)
{
    int64_t smp[TAIL_SAMPLE];
    const size_t step = n / TAIL_SAMPLE;
    for (size_t i = 0; i < TAIL_SAMPLE; i++)
        smp[i] = v[i * step + step / 2];
    const size_t r = (size_t)((uint64_t)k * TAIL_SAMPLE / n);
    if (r < TAIL_MARGIN) return false;
    cs_select_nth(smp, TAIL_SAMPLE, r - TAIL_MARGIN);
    const int64_t t = smp[r - TAIL_MARGIN];
    size_t c = 0;
    int64_t *w = tmp;
    if (tmp != NULL) {
        for (size_t i = 0; i < n; i++) {
            const int64_t x = v[i];
            tmp[c] = x;
            c += (size_t)(x >= t);
        }
    } else {
        w = v;
        for (size_t i = 0; i < n; i++) {
            /* [0, c) >= t, [c, i) < t: swapping always keeps both (x < t swaps two values < t) */
            const int64_t x = v[i], y = v[c];
            v[i] = y;
            v[c] = x;
            c += (size_t)(x >= t);
        }
    }
    const size_t below = n - c;
    if (k < below) return false;
    const size_t kk = k - below;
    cs_select_nth(w, c, kk);
    *a = w[kk];
    if (want_next) { /* kk + 1 < c: k + 1 <= n - 1 */
        int64_t next = w[kk + 1];
        for (size_t i = kk + 2; i < c; i++)
            next = w[i] < next ? w[i] : next;
        *b = next;
    }
    return true;
}

void cs_order_stats(
    int64_t *v, size_t n, size_t first, bool want_next, int64_t *tmp, int64_t *a, int64_t *b)
{
    if (n >= TAIL_MIN_N && first >= n / 2 && select_tail(v, n, first, want_next, tmp, a, b)) return;
    if (n >= SAMPLE_MIN_N && first < n / 2 && select_sampled(v, n, first, want_next, a, b)) return;
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
    return cs_percentile_cont_tmp(v, n, frac, NULL);
}

struct cs_pct_ranks cs_percentile_ranks(size_t n, double frac)
{
    assert(n > 0);
    const double pos = frac * (double)(int64_t)(n - 1);
    const int64_t first = (int64_t)floor(pos);
    const int64_t second = (int64_t)ceil(pos);
    return (struct cs_pct_ranks){(size_t)first, (size_t)second, pos - (double)first};
}

double cs_percentile_interp(const struct cs_pct_ranks *r, int64_t a, int64_t b)
{
    const double lo = (double)a;
    if (r->first == r->second) return lo;
    const double hi = (double)b;
    return lo + (hi - lo) * r->proportion;
}

double cs_percentile_cont_tmp(int64_t *v, size_t n, double frac, int64_t *tmp)
{
    const struct cs_pct_ranks r = cs_percentile_ranks(n, frac);
    int64_t a = 0, b = 0;
    cs_order_stats(v, n, r.first, r.first != r.second, tmp, &a, &b);
    return cs_percentile_interp(&r, a, b);
}
