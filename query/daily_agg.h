/*
 * The daily aggregate kernel (agg_agent_daily_performance of one day) with a reusable
 * workspace, shared by cs_daily_agg_compute() (the loader's refresh) and daily-agg
 * --recompute (one workspace per worker, reused day after day).
 */
#ifndef CS_QUERY_DAILY_AGG_H
#define CS_QUERY_DAILY_AGG_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

struct cs_dagg_ws; /* scratch buffers; grown as needed, never shrunk */

/* cs_dagg_ws_new() - a workspace (NULL when memory runs out); cs_dagg_ws_free() releases it
 * (NULL is a no-op). */
struct cs_dagg_ws *cs_dagg_ws_new(void);
void cs_dagg_ws_free(struct cs_dagg_ws *ws);

/* The raw aggregates of one (agent_key, day) row, before they are finished into the row's
 * columns: what the star-query executor's daily-aggregate specialization hands on. */
struct cs_dagg_raw {
    int64_t agent_key;
    int32_t time_key;
    int64_t q_count, latency_sum, approved, edited, errors; /* fact_agent_query */
    int64_t a_count, sla_met;                               /* fact_approval */
    int64_t t_count, unsafe;                                /* fact_training */
    double p95;                                             /* when q_count > 0 */
};
typedef int (*cs_dagg_sink)(void *arg, const struct cs_dagg_raw *row, struct cs_error *err);
/* cs_dagg_ws_set_sink() - the rows the kernel computes with ws go to sink(arg, ...) instead
 * of the output batch (which stays untouched); NULL: back to the batch. */
void cs_dagg_ws_set_sink(struct cs_dagg_ws *ws, cs_dagg_sink sink, void *arg);
/* cs_dagg_ws_sampled() - how many agent slots have had their p95 threshold sampled so far
 * (the others reused the worker's previous day's, or kept every latency): for the tests. */
size_t cs_dagg_ws_sampled(const struct cs_dagg_ws *ws);

/* cs_dagg_simd() - for tests: on = false makes the kernel use its scalar code only (true lets
 * it use AVX2 where the CPU has it); returns whether AVX2 was in use before the call. */
bool cs_dagg_simd(bool on);

/* cs_dagg_day() - cs_daily_agg_compute() with workspace ws. Reads only these columns of the
 * batches (the others may be empty): fact_agent_query agent_key, latency_ms, approved,
 * human_edited, error_occurred; fact_approval agent_key, sla_met; fact_training agent_key,
 * safe_to_send. Every row is taken to belong to day time_key. Agent keys within a span of
 * 65,536 values, at most 254 a day, take the fast plan (dense slots, flag-code histograms,
 * tail selection for p95); others the general plan (cs_dagg_day_generic()). */
int cs_dagg_day(struct cs_dagg_ws *ws,
                int32_t time_key,
                const struct cs_batch *queries,
                const struct cs_batch *approvals,
                const struct cs_batch *training,
                struct cs_batch *out,
                struct cs_error *err);

/* cs_dagg_day_generic() - cs_dagg_day() by the general plan only (key map, per-group sums,
 * selection per group): what cs_dagg_day() falls back to, and the tests' reference. */
int cs_dagg_day_generic(struct cs_dagg_ws *ws,
                        int32_t time_key,
                        const struct cs_batch *queries,
                        const struct cs_batch *approvals,
                        const struct cs_batch *training,
                        struct cs_batch *out,
                        struct cs_error *err);

/* cs_dagg_day_views() - cs_dagg_day() of day time_key straight from the store: partitions
 * part[0] of fact_agent_query, part[1] of fact_approval, part[2] of fact_training (SIZE_MAX:
 * none that day) read through column views (struct cs_seg_view), a vector at a time, by the
 * fast plan. Sets *done false and appends nothing when the plan does not apply (agent keys
 * not frame-of-reference encoded within 16 bits, or more than 254 keys): the caller then
 * reads the columns and calls cs_dagg_day(). The views stay open in ws until the next day. */
int cs_dagg_day_views(struct cs_dagg_ws *ws,
                      struct cs_snap *snap,
                      int32_t time_key,
                      const size_t part[3],
                      struct cs_batch *out,
                      bool *done,
                      struct cs_error *err);

/* cs_dagg_raw_days() - the raw aggregates of every (agent_key, day) with lo <= time_key <= hi
 * (and keep(arg, time_key) when keep is not NULL) from the fact tables in `tables` only (bit
 * 0: fact_agent_query, 1: fact_approval, 2: fact_training), computed on `threads` workers,
 * in (time_key, agent_key) order: *rows malloc'ed (free()), *nrows of them; *rows_read (may
 * be NULL) receives the fact rows read. */
int cs_dagg_raw_days(struct cs_snap *snap,
                     int32_t lo,
                     int32_t hi,
                     unsigned tables,
                     bool (*keep)(void *arg, int32_t time_key),
                     void *arg,
                     unsigned threads,
                     struct cs_dagg_raw **rows,
                     size_t *nrows,
                     uint64_t *rows_read,
                     struct cs_error *err);
#endif
