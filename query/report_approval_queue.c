/*
 * approval-queue (seed Query 2): per month of year Y (dim_time.year), the approvals, average
 * resolution time in minutes, approval rate and SLA compliance.
 *
 * Plan: dim_time (time_key, year, month, month_name) → the year's days, each tagged with its
 * (month, month_name) group → their fact_approval partitions. A partition is one day, so one
 * group: the kernel only sums columns (no per-row grouping). Workers keep partial aggregates
 * per group, merged at the end.
 */
#include "query/report.h"
#include "query/report_kernels.h"

#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/numeric.h"

struct aq_group {
    int64_t month;
    const char *name;
    size_t name_len;
    size_t day; /* while building: the day it came from */
};

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

static int aq_group_cmp(const void *x, const void *y)
{
    const struct aq_group *a = x, *b = y;
    if (a->month != b->month) return a->month < b->month ? -1 : 1;
    return cs_qname_cmp(a->name, a->name_len, b->name, b->name_len);
}

/* The year's days from dim_time, each with its (month, month_name) group; groups numbered in
 * (month, month_name) order. days and groups hold `rows` entries. */
static void aq_days(const struct cs_col *t,
                    size_t rows,
                    int32_t year,
                    struct cs_day_slot *days,
                    size_t *ndays,
                    struct aq_group *groups,
                    size_t *ngroups)
{
    size_t nd = 0, ng = 0;
    for (size_t i = 0; i < rows; i++) {
        if (t[1].i64[i] != year) continue;
        struct aq_group *g = &groups[nd];
        g->month = t[2].i64[i];
        g->name = cs_col_str(&t[3], i, &g->name_len);
        g->day = nd;
        days[nd++] = (struct cs_day_slot){0, 0, (int32_t)t[0].i64[i], 0, 0};
    }
    qsort(groups, nd, sizeof(*groups), aq_group_cmp);
    for (size_t k = 0; k < nd; k++) {
        if (k > 0 && aq_group_cmp(&groups[k - 1], &groups[k]) != 0) ng++;
        days[groups[k].day].group = (uint32_t)ng;
        groups[ng] = groups[k];
    }
    *ndays = nd;
    *ngroups = nd > 0 ? ng + 1 : 0;
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

static int aq_emit(const struct aq_group *groups,
                   const struct cs_aq_agg *agg,
                   size_t ngroups,
                   struct cs_result *r)
{
    struct cs_col *c = r->cols;
    bool ok = true;
    for (size_t g = 0; g < ngroups; g++) {
        const struct cs_aq_agg *a = &agg[g];
        if (a->count == 0) continue;
        ok &= cs_col_push_str(&c[0], groups[g].name, groups[g].name_len);
        ok &= cs_col_push_i64(&c[1], a->count);
        if (a->res_count == 0) {
            ok &= cs_col_push_null(&c[2]);
        } else {
            ok &= cs_col_push_i64(&c[2], cs_avg2(a->res_sum, 0, a->res_count, 60));
        }
        ok &= cs_col_push_i64(&c[3], cs_pct2(a->approved, a->count));
        ok &= cs_col_push_i64(&c[4], cs_pct2(a->sla_met, a->count));
        if (!ok) return CS_ENOMEM;
        r->rows++;
    }
    return CS_OK;
}

int cs_report_approval_queue(struct cs_snap *snap,
                             const struct cs_report_params *p,
                             struct cs_result **out,
                             struct cs_error *err)
{
    *out = NULL;
    const int tcols[4] = {CS_TIME_KEY, CS_TIME_YEAR, CS_TIME_MONTH, CS_TIME_MONTH_NAME};
    struct cs_col t[4];
    size_t trows = 0, ndays = 0, ngroups = 0;
    struct cs_day_slot *days = NULL;
    struct aq_group *groups = NULL;
    struct cs_aq_agg *agg = NULL;
    struct cs_result *r = cs_result_new(5, aq_result_cols);
    int rc = cs_qdim_read(snap, CS_T_DIM_TIME, tcols, 4, t, &trows, err);
    if (rc != CS_OK) goto out;
    days = malloc((trows + 1) * sizeof(*days));
    groups = malloc((trows + 1) * sizeof(*groups));
    agg = calloc(trows + 1, sizeof(*agg));
    if (r == NULL || days == NULL || groups == NULL || agg == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto out;
    }
    aq_days(t, trows, p->year, days, &ndays, groups, &ngroups);
    cs_days_to_parts(snap, CS_T_FACT_APPROVAL, days, ndays, &ndays);
    if (ndays > 0) rc = cs_aq_scan(snap, days, ndays, ngroups, p->threads, agg, err);
    if (rc == CS_OK && aq_emit(groups, agg, ngroups, r) != CS_OK) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory for the result");
    }
out:
    for (int j = 0; j < 4; j++)
        cs_col_free(&t[j]);
    free(agg);
    free(groups);
    free(days);
    if (rc != CS_OK) {
        cs_result_free(r);
        return rc;
    }
    *out = r;
    return CS_OK;
}
