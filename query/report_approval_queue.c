/*
 * approval-queue (seed Query 2): per month of year Y (dim_time.year), the approvals, average
 * resolution time in minutes, approval rate and SLA compliance. The report is a star query run
 * by the executor (cs_report_approval_queue, at the end), which chooses this file's kernel for
 * it and for any query of its shape (plan_special.c).
 *
 * Kernel (cs_aq_scan): the days' fact_approval partitions, each day tagged with its group (the
 * executor's: the day's group-key values). A partition is one day, so one group: the kernel
 * only sums columns (no per-row grouping). Workers keep partial aggregates per group, merged
 * at the end.
 */
#include "query/report.h"
#include "query/plan.h"
#include "query/report_kernels.h"

#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/numeric.h"

struct aq_worker {
    struct cs_snap *snap;
    const struct cs_day_slot *days;
    struct cs_aq_agg *agg; /* per group */
    struct cs_seg_view view;
};

/* Only totals per partition are needed: each column is aggregated straight from its encoded
 * values (a dictionary code compared, packed integers summed, packed booleans counted). */
static int aq_group(struct aq_worker *w, size_t item, size_t part, struct cs_error *err)
{
    struct cs_seg_view *v = &w->view;
    int64_t res_sum = 0, res_count = 0, sla_met = 0, rows = 0;
    size_t approved = 0;
    int rc = cs_snap_view_col(w->snap, CS_T_FACT_APPROVAL, part, CS_FA_STATUS, CS_K_STR, v, err);
    if (rc != CS_OK) return rc;
    if (v->null_count != 0) {
        return cs_error_set(err, CS_ECORRUPT, "%s.%s: NULL in a NOT NULL column", "fact_approval",
                            "status");
    }
    rows = (int64_t)v->rows;
    rc = cs_seg_view_count_str(v, "approved", 8, &approved, err);
    if (rc == CS_OK)
        rc = cs_snap_view_col(w->snap, CS_T_FACT_APPROVAL, part, CS_FA_RESOLUTION_S, CS_K_I64, v,
                              err);
    if (rc != CS_OK) return rc;
    if (!cs_seg_view_sum_i64(v, &res_sum)) {
        return cs_error_set(err, CS_ELIMIT,
                            "fact_approval.resolution_time_seconds: the sum overflows 64 bits");
    }
    res_count = (int64_t)(v->rows - v->null_count);
    rc = cs_snap_view_col(w->snap, CS_T_FACT_APPROVAL, part, CS_FA_SLA_MET, CS_K_BOOL, v, err);
    if (rc != CS_OK) return rc;
    sla_met = (int64_t)cs_seg_view_count_true(v);
    struct cs_aq_agg *a = &w->agg[w->days[item].group];
    a->count += rows;
    a->res_sum += res_sum;
    a->res_count += res_count;
    a->sla_met += sla_met;
    a->approved += (int64_t)approved;
    return CS_OK;
}

/* A day: each of its row groups. */
static int aq_part(void *state, size_t item, struct cs_error *err)
{
    struct aq_worker *w = state;
    const struct cs_day_slot *d = &w->days[item];
    int rc = CS_OK;
    for (size_t g = 0; g < d->nparts && rc == CS_OK; g++)
        rc = aq_group(w, item, d->part + g, err);
    return rc;
}

int cs_aq_scan(struct cs_snap *snap,
               const struct cs_day_slot *days,
               size_t ndays,
               size_t ngroups,
               unsigned threads,
               struct cs_aq_agg *total_agg,
               struct cs_error *err)
{
    uint64_t *weights = malloc((ndays + 1) * sizeof(*weights));
    struct aq_worker *w = calloc(CS_PAR_MAX_WORKERS, sizeof(*w));
    struct cs_aq_agg *partial = calloc(CS_PAR_MAX_WORKERS * ngroups + 1, sizeof(*partial));
    size_t nw = 0;
    int rc = CS_ENOMEM;
    if (weights == NULL || w == NULL || partial == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory for the scan");
        goto out;
    }
    const uint64_t total = cs_day_weights(snap, CS_T_FACT_APPROVAL, days, ndays, weights);
    nw = cs_par_workers(ndays, total, threads);
    void *states[CS_PAR_MAX_WORKERS];
    for (size_t k = 0; k < nw; k++) {
        w[k].snap = snap;
        w[k].days = days;
        w[k].agg = partial + k * ngroups;
        cs_seg_view_init(&w[k].view);
        states[k] = &w[k];
    }
    rc = cs_par_run(ndays, nw, aq_part, states, err);
    for (size_t k = 0; rc == CS_OK && k < nw; k++) {
        for (size_t g = 0; g < ngroups; g++) {
            const struct cs_aq_agg *a = &partial[k * ngroups + g];
            total_agg[g].count += a->count;
            total_agg[g].res_sum += a->res_sum;
            total_agg[g].res_count += a->res_count;
            total_agg[g].approved += a->approved;
            total_agg[g].sla_met += a->sla_met;
        }
    }
out:
    for (size_t k = 0; w != NULL && k < nw; k++)
        cs_seg_view_free(&w[k].view);
    free(partial);
    free(w);
    free(weights);
    return rc;
}

static const struct cs_result_coldef aq_result_cols[] = {
    {"month_name", CS_TY_TEXT, 0},
    {"total_approvals", CS_TY_INT8, 0},
    {"avg_resolution_minutes", CS_TY_NUMERIC, 2},
    {"approval_rate_pct", CS_TY_NUMERIC, 2},
    {"sla_compliance_pct", CS_TY_NUMERIC, 2},
};

/* The report is reference.sql's Query 2 as a star query, run by the executor (which takes this
 * file's kernel for it, plan_special.c), its raw sums and counts finished here:
 *   SELECT d.month, d.month_name, count(*), sum(f.resolution_time_seconds),
 *          count(f.resolution_time_seconds), count(*) FILTER (WHERE f.status = 'approved'),
 *          count(*) FILTER (WHERE f.sla_met)
 *   FROM fact_approval f JOIN dim_time d USING (time_key) WHERE d.year = year
 *   GROUP BY 1, 2 ORDER BY 1, 2 */
int cs_report_approval_queue(struct cs_snap *snap,
                             const struct cs_report_params *p,
                             struct cs_result **out,
                             struct cs_error *err)
{
    *out = NULL;
    struct cs_scan_pred *year = cs_scan_pred_cmp_i64(CS_TIME_YEAR, CS_CMP_EQ, p->year);
    struct cs_scan_pred *approved = cs_scan_pred_cmp_str(CS_FA_STATUS, CS_CMP_EQ, "approved", 8);
    struct cs_scan_pred *sla = cs_scan_pred_bool(CS_FA_SLA_MET);
    struct cs_result *raw = NULL, *r = cs_result_new(5, aq_result_cols);
    int rc = year == NULL || approved == NULL || sla == NULL || r == NULL
                 ? cs_error_set(err, CS_ENOMEM, "out of memory")
                 : CS_OK;
    if (rc == CS_OK) {
        struct cs_plan plan = {.fact = cs_schema_table(CS_T_FACT_APPROVAL),
                               .njoins = 1,
                               .nkeys = 2,
                               .naggs = 5,
                               .norder = 2};
        plan.joins[0] = (struct cs_plan_join){cs_schema_table(CS_T_DIM_TIME), CS_FA_TIME,
                                              CS_TIME_KEY, false, year};
        plan.keys[0] = (struct cs_plan_key){{1, CS_TIME_MONTH}, CS_FN_NONE};
        plan.keys[1] = (struct cs_plan_key){{1, CS_TIME_MONTH_NAME}, CS_FN_NONE};
        plan.aggs[0] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
        plan.aggs[1] = (struct cs_plan_agg){CS_AGG_SUM, {0, CS_FA_RESOLUTION_S}, 0, NULL};
        plan.aggs[2] = (struct cs_plan_agg){CS_AGG_COUNT, {0, CS_FA_RESOLUTION_S}, 0, NULL};
        plan.aggs[3] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, approved};
        plan.aggs[4] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, sla};
        plan.order[0] = (struct cs_plan_order){0, false, false};
        plan.order[1] = (struct cs_plan_order){1, false, false};
        plan.limit = -1;
        plan.threads = p->threads;
        plan.kernel_general = p->general;
        rc = cs_plan_run(snap, &plan, NULL, &raw, NULL, err);
    }
    struct cs_col *c = r != NULL ? r->cols : NULL;
    bool ok = true;
    for (size_t i = 0; rc == CS_OK && i < raw->rows && ok; i++) {
        const struct cs_col *g = raw->cols;
        size_t len;
        const char *name = cs_col_str(&g[1], i, &len);
        const int64_t n = g[2].i64[i], values = g[4].i64[i];
        ok &= cs_col_push_str(&c[0], name, len);
        ok &= cs_col_push_i64(&c[1], n);
        ok &= values == 0 ? cs_col_push_null(&c[2])
                          : cs_col_push_i64(&c[2], cs_avg2(g[3].i64[i], 0, values, 60));
        ok &= cs_col_push_i64(&c[3], cs_pct2(g[5].i64[i], n));
        ok &= cs_col_push_i64(&c[4], cs_pct2(g[6].i64[i], n));
        r->rows += ok;
    }
    if (rc == CS_OK && !ok) rc = cs_error_set(err, CS_ENOMEM, "out of memory for the result");
    cs_result_free(raw);
    cs_scan_pred_free(year);
    cs_scan_pred_free(approved);
    cs_scan_pred_free(sla);
    if (rc != CS_OK) {
        cs_result_free(r);
        return rc;
    }
    *out = r;
    return CS_OK;
}
