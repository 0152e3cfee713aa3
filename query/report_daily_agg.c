/*
 * daily-agg: the agg_agent_daily_performance rows with from <= time_key <= to, ordered by
 * (time_key, agent_key). By default read from the materialized CS_T_AGG_DAILY partitions;
 * with params->recompute computed from the facts, day by day, by the same kernel the loader
 * uses to materialize them (daily_agg_compute.c), so both agree by construction.
 *
 * Recompute plan: the days = the union of the three fact tables' partitions in range; workers
 * take contiguous runs of days (balanced by rows), each with its own workspace, scratch
 * batches (only the columns the kernel reads) and output batch; outputs are concatenated in
 * worker order, which is day order.
 */
#include "query/report.h"

#include <stdlib.h>
#include <string.h>

#include "query/daily_agg.h"
#include "query/kernel.h"
#include "storage/base/pgtext.h"

#define DA_TABLES 3
static const int da_tables[DA_TABLES] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL,
                                         CS_T_FACT_TRAINING};
static const int da_q_cols[] = {CS_FQ_AGENT, CS_FQ_LATENCY, CS_FQ_APPROVED, CS_FQ_HUMAN_EDITED,
                                CS_FQ_ERROR};
static const int da_a_cols[] = {CS_FA_AGENT, CS_FA_SLA_MET};
static const int da_t_cols[] = {CS_FT_AGENT, CS_FT_SAFE};
static const int *const da_cols[DA_TABLES] = {da_q_cols, da_a_cols, da_t_cols};
static const size_t da_ncols[DA_TABLES] = {5, 2, 2};

#define NO_PART SIZE_MAX

struct da_day {
    int32_t time_key;
    size_t part[DA_TABLES]; /* NO_PART when the table has no partition that day */
};

struct da_worker {
    struct cs_snap *snap;
    const struct da_day *days;
    struct cs_dagg_ws *ws;
    struct cs_batch in[DA_TABLES];
    struct cs_batch out;
};

static int da_day_run(void *state, size_t item, struct cs_error *err)
{
    struct da_worker *w = state;
    const struct da_day *d = &w->days[item];
    const struct cs_batch *in[DA_TABLES] = {NULL, NULL, NULL};
    for (int t = 0; t < DA_TABLES; t++) {
        if (d->part[t] == NO_PART) continue;
        size_t rows = 0;
        const int rc = cs_qread_cols(w->snap, da_tables[t], d->part[t], da_cols[t],
                                     da_ncols[t], w->in[t].cols, &rows, err);
        if (rc != CS_OK) return rc;
        w->in[t].rows = rows;
        in[t] = &w->in[t];
    }
    return cs_dagg_day(w->ws, d->time_key, in[0], in[1], in[2], &w->out, err);
}

/* The union of the fact partitions' days in [lo, hi], in time_key order. */
static int da_days(struct cs_snap *snap, int32_t lo, int32_t hi, struct da_day **out,
                   size_t *n, uint64_t **weights, struct cs_error *err)
{
    size_t first[DA_TABLES], end[DA_TABLES], cap = 0;
    for (int t = 0; t < DA_TABLES; t++) {
        cs_snap_part_range(snap, da_tables[t], lo, hi, &first[t], &end[t]);
        cap += end[t] - first[t];
    }
    *n = 0;
    *out = malloc((cap + 1) * sizeof(**out));
    *weights = calloc(cap + 1, sizeof(**weights));
    if (*out == NULL || *weights == NULL) {
        return cs_error_set(err, CS_ENOMEM, "out of memory listing %zu partitions", cap);
    }
    size_t at[DA_TABLES] = {first[0], first[1], first[2]};
    for (;;) {
        int32_t tk = INT32_MAX;
        for (int t = 0; t < DA_TABLES; t++) {
            if (at[t] < end[t] && cs_snap_part(snap, da_tables[t], at[t]).time_key < tk)
                tk = cs_snap_part(snap, da_tables[t], at[t]).time_key;
        }
        if (tk == INT32_MAX) break;
        struct da_day *d = &(*out)[*n];
        d->time_key = tk;
        for (int t = 0; t < DA_TABLES; t++) {
            d->part[t] = NO_PART;
            if (at[t] < end[t] && cs_snap_part(snap, da_tables[t], at[t]).time_key == tk) {
                (*weights)[*n] += cs_snap_part(snap, da_tables[t], at[t]).rows;
                d->part[t] = at[t]++;
            }
        }
        (*n)++;
    }
    return CS_OK;
}
