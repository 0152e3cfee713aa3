/*
 * percentile_cont as PostgreSQL 15 computes it (orderedsetaggs.c): in float8, over the sorted
 * values, without sorting them here (selection).
 */
#ifndef CS_QUERY_PERCENTILE_H
#define CS_QUERY_PERCENTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cs_select_nth() - reorder v[0..n) so that v[k] is the k-th smallest value (0-based), every
 * value before it is <= v[k] and every value after it is >= v[k] (k < n). */
void cs_select_nth(int64_t *v, size_t n, size_t k);

/* cs_order_stats() - *a = the first-th smallest of v[0..n) (0-based) and, when want_next, *b
 * = the next one; by the sampled strategies below (tmp: scratch for n values, or NULL).
 * Reorders v. */
void cs_order_stats(
    int64_t *v, size_t n, size_t first, bool want_next, int64_t *tmp, int64_t *a, int64_t *b);

/* cs_percentile_cont() - percentile_cont(frac) WITHIN GROUP (ORDER BY v) of n > 0 values, as
 * PostgreSQL computes it: pos = frac * (n - 1), lo = floor(pos), hi = ceil(pos),
 * v[lo] + (v[hi] - v[lo]) * (pos - lo) in double (v[lo] alone when lo == hi). Reorders v.
 * The two order statistics come from selection narrowed by a sampled threshold (upper ranks:
 * one pass gathers the values above it, ~15% of n, and selection runs on those) or by sampled
 * bounds (lower ranks: two passes, then selection over the few percent between them); never a
 * full sort. */
double cs_percentile_cont(int64_t *v, size_t n, double frac);

/* cs_percentile_cont_tmp() - the same, with scratch room tmp for n values (NULL: none), which
 * lets the upper-rank pass gather into tmp instead of swapping within v (fewer stores). v may
 * still be reordered. */
double cs_percentile_cont_tmp(int64_t *v, size_t n, double frac, int64_t *tmp);

/* The two ranks percentile_cont(frac) of n > 0 values reads (0-based, in ascending order;
 * first == second when pos = frac * (n - 1) is whole) and the weight of the second. For
 * callers that find the two order statistics themselves (daily aggregates: histograms). */
struct cs_pct_ranks {
    size_t first, second;
    double proportion;
};

struct cs_pct_ranks cs_percentile_ranks(size_t n, double frac);

/* cs_percentile_interp() - percentile_cont from the values a (rank first) and b (rank second,
 * ignored when first == second): exactly the double cs_percentile_cont() returns. */
double cs_percentile_interp(const struct cs_pct_ranks *r, int64_t a, int64_t b);

#endif
