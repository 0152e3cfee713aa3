/*
 * Internal to the table scan (query/scan.c, query/scan_pred.c): predicate evaluation a vector
 * at a time, and the zone-map test that prunes partitions.
 */
#ifndef CS_QUERY_SCAN_INT_H
#define CS_QUERY_SCAN_INT_H

#include "query/scan.h"

/* The physical kind the scan gives a column: HASH16 columns are read as hex text. */
int cs_scan_col_kind(const struct cs_column_def *c);

/* cs_scan_pred_depth() - nesting depth of p (1 for a leaf): the eval scratch holds
 * depth * CS_VECTOR_SIZE bytes. */
size_t cs_scan_pred_depth(const struct cs_scan_pred *p);
/* cs_scan_pred_leaves() - leaf predicates in p. */
size_t cs_scan_pred_leaves(const struct cs_scan_pred *p);
/* cs_scan_pred_cols() - set used[c] for every column p reads. */
void cs_scan_pred_cols(const struct cs_scan_pred *p, bool *used);

/* cs_scan_pred_eval() - out[i] = truth of p for row from + i, i < n (n <= CS_VECTOR_SIZE);
 * cols[c] is the decoded column c of the partition (kinds as cs_scan_col_kind()). */
void cs_scan_pred_eval(const struct cs_scan_pred *p,
                       const struct cs_col *const *cols,
                       size_t from,
                       size_t n,
                       uint8_t *out,
                       uint8_t *scratch);

/* The zone maps of one partition, fetched on demand. */
struct cs_scan_zone {
    int (*stats)(void *ctx, int col, struct cs_seg_stats *out, struct cs_error *err);
    void *ctx;
    const struct cs_table_def *t;
};

/* cs_scan_pred_may() - *may = false when the zone maps prove that p is not `want` (CS_TRUE or
 * CS_FALSE) for any row of the partition; true otherwise. Errors of the stats callback. */
int cs_scan_pred_may(const struct cs_scan_pred *p,
                     int want,
                     const struct cs_scan_zone *z,
                     bool *may,
                     struct cs_error *err);

#endif
