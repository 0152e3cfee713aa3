/*
 * The reports (docs/contract.md), computed from a snapshot: agent-performance (seed Query 1),
 * approval-queue (Query 2), training-quality (Query 3), daily-agg (agg_agent_daily_performance)
 * — each equal to what PostgreSQL 15 computes for tests/sql/reference.sql.
 *
 * A result is a small table: named, typed columns (struct cs_col per column, logical types
 * from schema.h) with NULLs. Formatting to text lives in query/format.h.
 */
#ifndef CS_QUERY_REPORT_H
#define CS_QUERY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

#define CS_RESULT_MAX_COLS 32

struct cs_result {
    size_t ncols;
    size_t rows;
    const char *names[CS_RESULT_MAX_COLS]; /* static strings */
    uint8_t types[CS_RESULT_MAX_COLS];     /* enum cs_type */
    uint8_t scales[CS_RESULT_MAX_COLS];    /* NUMERIC scale */
    struct cs_col cols[CS_RESULT_MAX_COLS];
};

void cs_result_free(struct cs_result *r); /* frees r itself too; NULL is a no-op */

/* Column description of a result (cs_result_new()). */
struct cs_result_coldef {
    const char *name; /* static string */
    uint8_t type;     /* enum cs_type */
    uint8_t scale;    /* NUMERIC scale */
};

/* cs_result_new() - an empty result with ncols (<= CS_RESULT_MAX_COLS) columns; NULL when
 * memory runs out. Rows are appended column by column (cs_col_push_*), then r->rows set. */
struct cs_result *cs_result_new(size_t ncols, const struct cs_result_coldef *cols);

/* Parameters. Dates are day numbers (days since 1970-01-01). */
struct cs_report_params {
    int64_t as_of_days; /* agent-performance, training-quality */
    int32_t days;       /* window [as_of - days, as_of] */
    int32_t year;       /* approval-queue */
    int64_t from_days;  /* daily-agg */
    int64_t to_days;
    bool recompute;   /* daily-agg: from facts rather than the materialized rows */
    unsigned threads; /* worker threads (0 = 2) */
    bool general;     /* tests: the general plan only, no fast path for the data's encodings */
};

/* Each returns CS_OK and a new result in *out (release with cs_result_free()), or an error
 * (CS_ECORRUPT from a damaged segment, CS_ENOMEM). */
int cs_report_agent_performance(struct cs_snap *snap,
                                const struct cs_report_params *p,
                                struct cs_result **out,
                                struct cs_error *err);
int cs_report_approval_queue(struct cs_snap *snap,
                             const struct cs_report_params *p,
                             struct cs_result **out,
                             struct cs_error *err);
int cs_report_training_quality(struct cs_snap *snap,
                               const struct cs_report_params *p,
                               struct cs_result **out,
                               struct cs_error *err);
int cs_report_daily_agg(struct cs_snap *snap,
                        const struct cs_report_params *p,
                        struct cs_result **out,
                        struct cs_error *err);

/* cs_daily_agg_compute() - the agg_agent_daily_performance rows of one day (time_key) from
 * that day's fact rows (any batch may be NULL or empty), appended to `out` (a batch of
 * CS_T_AGG_DAILY) in agent_key order. Used by the loader to refresh the materialized rows of
 * every day a load touches, in the same commit, and by daily-agg --recompute. */
int cs_daily_agg_compute(int32_t time_key,
                         const struct cs_batch *queries,
                         const struct cs_batch *approvals,
                         const struct cs_batch *training,
                         struct cs_batch *out,
                         struct cs_error *err);

#endif
