/*
 * The executor's specializations: plans of a shape a report kernel computes run through that
 * kernel (query/report_kernels.h, query/daily_agg.h) instead of the general scan → join →
 * hash-group loop. The kernel's raw aggregates become the plan's group states, so the result
 * is built by the same code (plan_out.c) and is the general path's, to the byte; the tests run
 * both on the same plans (tests/query/test_plan_special.c, tests/fdw/run.sh).
 *
 * Chosen once the executor has resolved the joined dimensions (their kept rows) and the fact's
 * partitions. Every kernel reads whole days (a fact partition is one time_key), so what a
 * shape needs is that the plan's rows are whole partitions (no filter on the fact but on its
 * time_key) and its groups are made of things the kernel groups by:
 *
 *   agent-performance   fact_agent_query ⋈ dim_time (time_key; any filter) ⋈ dim_agent
 *                       (agent_key; no filter), grouped by columns of the day (fact.time_key,
 *                       dim_time's columns or calendar functions of them) and agent_name;
 *                       count(*), sum / count / avg of latency_ms, count(*) FILTER (approved)
 *                       and FILTER (human_edited)                     (reference.sql Query 1)
 *   approval-queue      fact_approval ⋈ dim_time (time_key; any filter), grouped by columns
 *                       of the day; count(*), sum / count of resolution_time_seconds,
 *                       FILTER (status = 'approved'), FILTER (sla_met)       (Query 2)
 *   training-quality    fact_training ⋈ dim_time (time_key; any filter) ⋈ dim_user
 *                       (annotator_key = user_key; no filter), grouped by user_id or nothing;
 *                       count(*), sum / count of the four scores, FILTER (NOT safe_to_send)
 *                                                                            (Query 3)
 *   daily-aggregates    one fact table alone, filtered on time_key only (and on agent_key IS
 *                       NOT NULL), grouped by (agent_key, time_key): the measures of
 *                       agg_agent_daily_performance, percentile_cont(0.95) of latency_ms
 *                       included                  (the three groupings of reference.sql's
 *                                                  daily-agg statement)
 *
 *   day-totals          any fact table, alone or ⋈ dim_time (any filter), no filter on the
 *                       fact, grouped by columns of the day: count(*), count(x), sum of an
 *                       integer column, count(*) FILTER on a flag or a text value, each a
 *                       partition's total from its encoded values (approval-queue's kernel
 *                       generalized)
 *
 * Anything else — another aggregate, a filter on another column, a LEFT join, a limit on
 * groups the kernel cannot honour — is not matched and runs the general way.
 */
#include "query/plan_int.h"

#include <stdlib.h>
#include <string.h>

#include "query/daily_agg.h"
#include "query/report_kernels.h"

#define US_PER_DAY INT64_C(86400000000)

/* ---- matching ---- */

enum filt { F_NONE, F_TRUE, F_FALSE, F_STR };

/* A measure a kernel keeps: an aggregate kind over a fact column (-1: none) with a FILTER. */
struct measure {
    int kind;
    int col;
    int filt, fcol;
    const char *fstr;
};

static bool filter_is(const struct cs_scan_pred *f, const struct measure *m)
{
    switch (m->filt) {
    case F_NONE:
        return f == NULL;
    case F_TRUE: /* x, x = true */
        return f != NULL && f->col == m->fcol &&
               (f->op == CS_SCAN_BOOL ||
                (f->op == CS_SCAN_CMP && f->cmp == CS_CMP_EQ && f->s == NULL && f->k == 1));
    case F_FALSE: /* NOT x, x = false: both UNKNOWN for NULL */
        if (f != NULL && f->op == CS_SCAN_NOT && f->nargs == 1)
            return f->args[0]->op == CS_SCAN_BOOL && f->args[0]->col == m->fcol;
        return f != NULL && f->op == CS_SCAN_CMP && f->cmp == CS_CMP_EQ && f->col == m->fcol &&
               f->s == NULL && f->k == 0;
    default: /* x = 'text' */
        return f != NULL && f->op == CS_SCAN_CMP && f->cmp == CS_CMP_EQ && f->col == m->fcol &&
               f->s != NULL && f->len == strlen(m->fstr) && memcmp(f->s, m->fstr, f->len) == 0;
    }
}

/* The measure of each of the plan's aggregates (which[a]); false when one has none. */
static bool
match_measures(const struct cs_plan *p, const struct measure *ms, size_t nms, int *which)
{
    for (size_t a = 0; a < p->naggs; a++) {
        const struct cs_plan_agg *ag = &p->aggs[a];
        which[a] = -1;
        for (size_t m = 0; m < nms && which[a] < 0; m++) {
            if (ag->kind != ms[m].kind || !filter_is(ag->filter, &ms[m])) continue;
            if (ag->kind != CS_AGG_COUNT_ROWS && (ag->ref.rel != 0 || ag->ref.col != ms[m].col))
                continue;
            if (ag->kind == CS_AGG_PERCENTILE && ag->fraction != 0.95) continue;
            which[a] = (int)m;
        }
        if (which[a] < 0) return false;
    }
    return true;
}

/* Join j of p is an inner join of dimension `dim` on fact column fcol = its key column. */
static bool join_is(const struct cs_plan *p, size_t j, int dim, int fcol, int dcol)
{
    const struct cs_plan_join *jn = &p->joins[j];
    return !jn->left && jn->dim->id == dim && jn->fact_col == fcol && jn->dim_col == dcol;
}

/* Which join is dim_time's on time_key (SIZE_MAX: none). */
static size_t time_join(const struct cs_plan *p)
{
    for (size_t j = 0; j < p->njoins; j++)
        if (join_is(p, j, CS_T_DIM_TIME, p->fact->time_col, CS_TIME_KEY)) return j;
    return SIZE_MAX;
}

/* Key k is a function of the day: fact.time_key, or a column of dim_time (join jt). */
static bool key_of_day(const struct cs_plan *p, size_t k, size_t jt)
{
    const struct cs_plan_key *key = &p->keys[k];
    if (key->ref.rel == 0) return key->ref.col == p->fact->time_col && key->fn == CS_FN_NONE;
    return jt != SIZE_MAX && (size_t)key->ref.rel == jt + 1;
}

/* Key k's value on day time_key (key_of_day). */
static void
day_key(const struct cs_plan_env *env, size_t k, size_t jt, int32_t tk, int64_t *v, uint8_t *null)
{
    const struct cs_plan_key *key = &env->p->keys[k];
    *v = tk;
    *null = 0;
    if (key->ref.rel == 0) return;
    const struct cs_plan_dim *d = &env->dims[jt];
    const int64_t k64 = tk;
    uint32_t row = UINT32_MAX;
    cs_keymap_lookup(d->map, &k64, NULL, 1, &row);
    if (row == UINT32_MAX) { /* not a kept day: never asked (the days come from the kept rows) */
        *v = 0;
        *null = 1;
        return;
    }
    *v = d->vals[key->ref.col][row];
    *null = d->nulls[key->ref.col][row];
    if (key->fn != CS_FN_NONE && !*null) {
        const bool date = env->p->joins[jt].dim->cols[key->ref.col].type == CS_TY_DATE;
        *v = cs_cal_apply(key->fn, date ? *v * US_PER_DAY : *v);
    }
}

static bool in_bounds(const struct cs_plan *p, int64_t tk)
{
    return (p->tk_min == 0 || tk >= p->tk_min) && (p->tk_max == 0 || tk <= p->tk_max);
}

/* The kept days of the time join within the plan's bounds, as day slots with their
 * partitions in `table` (cs_days_to_parts). */
static int kept_days(const struct cs_plan_env *env,
                     size_t jt,
                     int table,
                     struct cs_day_slot **out,
                     size_t *n,
                     struct cs_error *err)
{
    const struct cs_plan_dim *d = &env->dims[jt];
    const int64_t *full_date = d->vals[CS_TIME_FULL_DATE];
    struct cs_day_slot *days = malloc((d->nkeys + 1) * sizeof(*days));
    if (days == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < d->nkeys; i++) {
        const int64_t tk = d->keys[i];
        if (tk < INT32_MIN || tk > INT32_MAX || !in_bounds(env->p, tk)) continue;
        int64_t date = 0;
        if (full_date != NULL) {
            uint32_t row = UINT32_MAX;
            cs_keymap_lookup(d->map, &tk, NULL, 1, &row);
            if (row != UINT32_MAX) date = full_date[row];
        }
        days[m++] = (struct cs_day_slot){0, 0, (int32_t)tk, date, 0};
    }
    cs_days_to_parts(env->snap, table, days, m, &m);
    *out = days;
    *n = m;
    return CS_OK;
}

/* ---- filling the group table ---- */

/* Adds a group's measure values: aggregate a of group g gets vals[which[a]] (and the count of
 * values counts[which[a]] for the aggregates that keep one). */
static void add_states(struct cs_group_table *t,
                       const struct cs_plan *p,
                       const int *which,
                       uint32_t g,
                       const int64_t *vals,
                       const int64_t *counts)
{
    for (size_t a = 0; a < p->naggs; a++) {
        t->agg[a].v[g] += vals[which[a]];
        t->agg[a].n[g] += counts[which[a]];
    }
}

static int group_of_keys(struct cs_group_table *t,
                         const int64_t *key,
                         const uint8_t *null,
                         uint32_t *g,
                         struct cs_error *err)
{
    const int64_t *keys[CS_PLAN_MAX_KEYS];
    const uint8_t *nulls[CS_PLAN_MAX_KEYS];
    for (size_t k = 0; k < t->nkeys; k++) {
        keys[k] = &key[k];
        nulls[k] = &null[k];
    }
    return cs_group_ids(t, keys, nulls, 1, g, err);
}

static void count_parts(struct cs_plan_stats *st,
                        struct cs_snap *snap,
                        int table,
                        const struct cs_day_slot *days,
                        size_t ndays)
{
    for (size_t i = 0; i < ndays; i++) {
        st->parts_read += days[i].nparts;
        for (size_t g = 0; g < days[i].nparts; g++)
            st->rows_scanned += cs_snap_part(snap, table, days[i].part + g).rows;
    }
}

/* ---- agent-performance ---- */

enum { AP_ROWS, AP_LAT_SUM, AP_LAT_COUNT, AP_APPROVED, AP_EDITED, AP_N };
static const struct measure ap_measures[AP_N] = {
    {CS_AGG_COUNT_ROWS, -1, F_NONE, 0, NULL},
    {CS_AGG_SUM, CS_FQ_LATENCY, F_NONE, 0, NULL},
    {CS_AGG_COUNT, CS_FQ_LATENCY, F_NONE, 0, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_TRUE, CS_FQ_APPROVED, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_TRUE, CS_FQ_HUMAN_EDITED, NULL},
};

static int ap_run(const struct cs_plan_env *env,
                  size_t jt,
                  size_t ja,
                  const int *which,
                  struct cs_group_table *t,
                  struct cs_plan_stats *st,
                  struct cs_error *err)
{
    const struct cs_plan *p = env->p;
    struct cs_day_slot *days = NULL;
    size_t ndays = 0, dim_rows = 0;
    struct cs_name_groups groups = {0};
    struct cs_ap_agg *agg = NULL;
    const int dcols[2] = {CS_AGENT_KEY, CS_AGENT_NAME};
    struct cs_col dim[2];
    cs_col_init(&dim[0], CS_K_I64);
    cs_col_init(&dim[1], CS_K_STR);
    int64_t *name_ids = NULL;
    int rc = kept_days(env, jt, CS_T_FACT_AGENT_QUERY, &days, &ndays, err);
    if (rc == CS_OK && ndays > 0) {
        rc = cs_qdim_read(env->snap, CS_T_DIM_AGENT, dcols, 2, dim, &dim_rows, err);
        if (rc == CS_OK) rc = cs_name_groups_build(&groups, &dim[0], &dim[1], err);
        if (rc == CS_OK) {
            agg = calloc(ndays * (groups.ngroups + 1), sizeof(*agg));
            name_ids = calloc(groups.ngroups + 1, sizeof(*name_ids));
            if (agg == NULL || name_ids == NULL)
                rc = cs_error_set(err, CS_ENOMEM, "out of memory for aggregates");
        }
        for (size_t g = 0; rc == CS_OK && g < groups.ngroups; g++)
            rc = cs_pool_intern(env->pool, groups.names[g], groups.name_lens[g], &name_ids[g], err);
        if (rc == CS_OK)
            rc = cs_ap_scan(env->snap, days, ndays, &groups, p->threads, p->kernel_general, agg,
                            err);
        if (rc == CS_OK) count_parts(st, env->snap, CS_T_FACT_AGENT_QUERY, days, ndays);
    }
    for (size_t k = 0; rc == CS_OK && k < ndays; k++) {
        int64_t key[CS_PLAN_MAX_KEYS];
        uint8_t null[CS_PLAN_MAX_KEYS];
        for (size_t i = 0; i < p->nkeys; i++)
            if (p->keys[i].ref.rel != (int)ja + 1)
                day_key(env, i, jt, days[k].time_key, &key[i], &null[i]);
        for (size_t g = 0; g < groups.ngroups && rc == CS_OK; g++) {
            const struct cs_ap_agg *a = &agg[k * (groups.ngroups + 1) + g];
            if (a->count == 0) continue;
            st->rows_joined += (uint64_t)a->count;
            for (size_t i = 0; i < p->nkeys; i++)
                if (p->keys[i].ref.rel == (int)ja + 1) {
                    key[i] = name_ids[g];
                    null[i] = 0;
                }
            uint32_t gid;
            rc = group_of_keys(t, key, null, &gid, err);
            const int64_t vals[AP_N] = {a->count, a->latency_sum, a->count, a->approved, a->edited};
            const int64_t counts[AP_N] = {0, a->count, 0, 0, 0};
            if (rc == CS_OK) add_states(t, p, which, gid, vals, counts);
        }
    }
    cs_col_free(&dim[0]);
    cs_col_free(&dim[1]);
    cs_name_groups_free(&groups);
    free(name_ids);
    free(agg);
    free(days);
    return rc;
}

static bool ap_match(const struct cs_plan *p, size_t *jt, size_t *ja, int *which)
{
    if (p->fact->id != CS_T_FACT_AGENT_QUERY || p->where != NULL || p->njoins != 2) return false;
    *jt = time_join(p);
    if (*jt == SIZE_MAX) return false;
    *ja = 1 - *jt;
    if (!join_is(p, *ja, CS_T_DIM_AGENT, CS_FQ_AGENT, CS_AGENT_KEY) || p->joins[*ja].where != NULL)
        return false;
    for (size_t k = 0; k < p->nkeys; k++) {
        const struct cs_plan_key *key = &p->keys[k];
        const bool name =
            key->ref.rel == (int)*ja + 1 && key->ref.col == CS_AGENT_NAME && key->fn == CS_FN_NONE;
        if (!name && !key_of_day(p, k, *jt)) return false;
    }
    return match_measures(p, ap_measures, AP_N, which);
}

/* ---- approval-queue ---- */

enum { AQ_ROWS, AQ_RES_SUM, AQ_RES_COUNT, AQ_APPROVED, AQ_SLA, AQ_N };
static const struct measure aq_measures[AQ_N] = {
    {CS_AGG_COUNT_ROWS, -1, F_NONE, 0, NULL},
    {CS_AGG_SUM, CS_FA_RESOLUTION_S, F_NONE, 0, NULL},
    {CS_AGG_COUNT, CS_FA_RESOLUTION_S, F_NONE, 0, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_STR, CS_FA_STATUS, "approved"},
    {CS_AGG_COUNT_ROWS, -1, F_TRUE, CS_FA_SLA_MET, NULL},
};

static bool aq_match(const struct cs_plan *p, size_t *jt, int *which)
{
    if (p->fact->id != CS_T_FACT_APPROVAL || p->where != NULL || p->njoins != 1) return false;
    *jt = time_join(p);
    if (*jt == SIZE_MAX) return false;
    for (size_t k = 0; k < p->nkeys; k++)
        if (!key_of_day(p, k, *jt)) return false;
    return match_measures(p, aq_measures, AQ_N, which);
}

/* Each day's group (its key values) first numbered in a scratch table, so that the kernel
 * sums days into groups; only groups with rows reach t. */
static int aq_run(const struct cs_plan_env *env,
                  size_t jt,
                  const int *which,
                  struct cs_group_table *t,
                  struct cs_plan_stats *st,
                  struct cs_error *err)
{
    const struct cs_plan *p = env->p;
    struct cs_day_slot *days = NULL;
    size_t ndays = 0;
    struct cs_group_table day_groups;
    struct cs_aq_agg *agg = NULL;
    int rc = cs_group_init(&day_groups, p->nkeys, 0, SIZE_MAX, err);
    if (rc == CS_OK) rc = kept_days(env, jt, CS_T_FACT_APPROVAL, &days, &ndays, err);
    int64_t(*keys)[CS_PLAN_MAX_KEYS] = calloc(ndays + 1, sizeof(*keys));
    uint8_t(*nulls)[CS_PLAN_MAX_KEYS] = calloc(ndays + 1, sizeof(*nulls));
    if (rc == CS_OK && (keys == NULL || nulls == NULL))
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t d = 0; rc == CS_OK && d < ndays; d++) {
        for (size_t k = 0; k < p->nkeys; k++)
            day_key(env, k, jt, days[d].time_key, &keys[d][k], &nulls[d][k]);
        uint32_t g;
        rc = group_of_keys(&day_groups, keys[d], nulls[d], &g, err);
        days[d].group = g;
    }
    if (rc == CS_OK && ndays > 0) {
        agg = calloc(day_groups.ngroups + 1, sizeof(*agg));
        if (agg == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        if (rc == CS_OK)
            rc = cs_aq_scan(env->snap, days, ndays, day_groups.ngroups, p->threads, agg, err);
        if (rc == CS_OK) count_parts(st, env->snap, CS_T_FACT_APPROVAL, days, ndays);
    }
    /* the groups in the order of their first day, each added once */
    bool *added = calloc(day_groups.ngroups + 1, sizeof(*added));
    if (rc == CS_OK && added == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t d = 0; rc == CS_OK && d < ndays; d++) {
        const struct cs_aq_agg *a = &agg[days[d].group];
        if (a->count == 0 || added[days[d].group]) continue;
        added[days[d].group] = true;
        uint32_t g;
        rc = group_of_keys(t, keys[d], nulls[d], &g, err);
        if (rc != CS_OK) break;
        st->rows_joined += (uint64_t)a->count;
        const int64_t vals[AQ_N] = {a->count, a->res_sum, a->res_count, a->approved, a->sla_met};
        const int64_t counts[AQ_N] = {0, a->res_count, 0, 0, 0};
        add_states(t, p, which, g, vals, counts);
    }
    free(added);
    free(keys);
    free(nulls);
    free(agg);
    free(days);
    cs_group_free(&day_groups);
    return rc;
}

/* ---- day totals: any fact table grouped by columns of the day ---- */

/* approval-queue's kernel for any fact table and any counts and sums: when every group key is
 * a column of the day, a partition lies in one group, so each aggregate is a partition's total,
 * read from the encoded values (a view's NULL count, packed sums, packed booleans counted, a
 * dictionary code compared) without decoding a row. */

enum { DT_MAX_MEASURES = CS_PLAN_MAX_AGGS };

static bool dt_col_ok(const struct cs_table_def *t, int col, int kind)
{
    if (col < 0 || col >= t->ncols) return false;
    const int ty = t->cols[col].type;
    return cs_type_kind(ty) == kind && (kind != CS_K_STR || ty == CS_TY_TEXT);
}

static bool
dt_measure_of(const struct cs_plan *p, const struct cs_plan_agg *ag, struct dt_measure *m)
{
    const struct cs_table_def *t = p->fact;
    const struct cs_scan_pred *f = ag->filter;
    memset(m, 0, sizeof(*m));
    m->kind = ag->kind;
    m->col = -1;
    switch (ag->kind) {
    case CS_AGG_COUNT:
    case CS_AGG_SUM: {
        if (f != NULL || ag->ref.rel != 0) return false;
        m->col = ag->ref.col;
        const int kind = ag->ref.col >= 0 && ag->ref.col < t->ncols
                             ? cs_type_kind(t->cols[ag->ref.col].type)
                             : -1;
        if (ag->kind == CS_AGG_SUM) return dt_col_ok(t, m->col, CS_K_I64);
        return kind == CS_K_I64 || kind == CS_K_BOOL ? dt_col_ok(t, m->col, kind)
                                                     : dt_col_ok(t, m->col, CS_K_STR);
    }
    case CS_AGG_COUNT_ROWS:
        if (f == NULL) {
            m->filt = F_NONE;
            return true;
        }
        if (f->op == CS_SCAN_BOOL ||
            (f->op == CS_SCAN_CMP && f->cmp == CS_CMP_EQ && f->s == NULL &&
             (f->k == 1 || f->k == 0) && dt_col_ok(t, f->col, CS_K_BOOL))) {
            m->filt = f->op == CS_SCAN_BOOL || f->k == 1 ? F_TRUE : F_FALSE;
            m->col = f->col;
            return dt_col_ok(t, m->col, CS_K_BOOL);
        }
        if (f->op == CS_SCAN_NOT && f->nargs == 1 && f->args[0]->op == CS_SCAN_BOOL) {
            m->filt = F_FALSE;
            m->col = f->args[0]->col;
            return dt_col_ok(t, m->col, CS_K_BOOL);
        }
        if (f->op == CS_SCAN_CMP && f->cmp == CS_CMP_EQ && f->s != NULL) {
            m->filt = F_STR;
            m->col = f->col;
            m->s = f->s;
            m->len = f->len;
            return dt_col_ok(t, m->col, CS_K_STR);
        }
        return false;
    default:
        return false;
    }
}

static bool dt_match(const struct cs_plan *p, size_t *jt, struct dt_measure *ms)
{
    if (!p->fact->is_fact || p->where != NULL || p->njoins > 1) return false;
    *jt = time_join(p);
    if (p->njoins == 1 && *jt == SIZE_MAX) return false;
    for (size_t k = 0; k < p->nkeys; k++)
        if (!key_of_day(p, k, *jt)) return false;
    for (size_t a = 0; a < p->naggs; a++)
        if (!dt_measure_of(p, &p->aggs[a], &ms[a])) return false;
    return true;
}

struct dt_worker {
    struct cs_snap *snap;
    const struct cs_plan *p;
    const struct dt_measure *ms;
    const struct cs_day_slot *days;
    int64_t *v, *n; /* [group * naggs + a]: this worker's totals and value counts */
    struct cs_seg_view view;
};

/* Aggregate a's total over partition part, into v / n. */
static int dt_total(struct dt_worker *w,
                    const struct dt_measure *m,
                    size_t part,
                    int64_t *v,
                    int64_t *n,
                    struct cs_error *err)
{
    const struct cs_table_def *t = w->p->fact;
    const int64_t rows = (int64_t)cs_snap_part(w->snap, t->id, part).rows;
    if (m->kind == CS_AGG_COUNT_ROWS && m->filt == F_NONE) {
        *v += rows;
        return CS_OK;
    }
    const int kind = cs_type_kind(t->cols[m->col].type);
    int rc = cs_snap_view_col(w->snap, t->id, part, m->col, kind, &w->view, err);
    if (rc != CS_OK) return rc;
    const int64_t values = (int64_t)(w->view.rows - w->view.null_count);
    if (m->kind == CS_AGG_COUNT) {
        *v += values;
    } else if (m->kind == CS_AGG_SUM) {
        int64_t sum = 0;
        if (!cs_seg_view_sum_i64(&w->view, &sum) || __builtin_add_overflow(*v, sum, v))
            return cs_error_set(err, CS_EINPUT, "sum out of the engine's 64-bit range");
        *n += values;
    } else if (m->filt == F_STR) {
        size_t c = 0;
        rc = cs_seg_view_count_str(&w->view, m->s, m->len, &c, err);
        *v += (int64_t)c;
    } else {
        const int64_t yes = (int64_t)cs_seg_view_count_true(&w->view);
        *v += m->filt == F_TRUE ? yes : values - yes;
    }
    return rc;
}

static int dt_day(void *state, size_t item, struct cs_error *err)
{
    struct dt_worker *w = state;
    const struct cs_day_slot *d = &w->days[item];
    const size_t na = w->p->naggs;
    int rc = CS_OK;
    for (size_t g = 0; g < d->nparts && rc == CS_OK; g++)
        for (size_t a = 0; a < na && rc == CS_OK; a++)
            rc = dt_total(w, &w->ms[a], d->part + g, &w->v[(size_t)d->group * na + a],
                          &w->n[(size_t)d->group * na + a], err);
    return rc;
}

/* The days the plan reads (the time join's kept days, or every day of the table within the
 * plan's bounds), each with its group of key values in a scratch table. */
static int dt_days(const struct cs_plan_env *env,
                   size_t jt,
                   struct cs_day_slot **out,
                   size_t *n,
                   struct cs_error *err)
{
    const struct cs_plan *p = env->p;
    if (jt != SIZE_MAX) return kept_days(env, jt, p->fact->id, out, n, err);
    const size_t total = cs_snap_part_count(env->snap, p->fact->id);
    struct cs_day_slot *days = malloc((total + 1) * sizeof(*days));
    if (days == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < total; i++) {
        const int32_t tk = cs_snap_part(env->snap, p->fact->id, i).time_key;
        if (!in_bounds(p, tk) || (m > 0 && days[m - 1].time_key == tk)) continue;
        days[m++] = (struct cs_day_slot){0, 0, tk, 0, 0};
    }
    cs_days_to_parts(env->snap, p->fact->id, days, m, &m);
    *out = days;
    *n = m;
    return CS_OK;
}

static int dt_run(const struct cs_plan_env *env,
                  size_t jt,
                  const struct dt_measure *ms,
                  struct cs_group_table *t,
                  struct cs_plan_stats *st,
                  struct cs_error *err)
{
    const struct cs_plan *p = env->p;
    const size_t na = p->naggs;
    struct cs_day_slot *days = NULL;
    size_t ndays = 0, nw = 0;
    struct cs_group_table day_groups;
    struct dt_worker *w = NULL;
    int64_t *totals = NULL;
    int64_t(*keys)[CS_PLAN_MAX_KEYS] = NULL;
    uint8_t(*nulls)[CS_PLAN_MAX_KEYS] = NULL;
    int rc = cs_group_init(&day_groups, p->nkeys, 0, SIZE_MAX, err);
    if (rc == CS_OK) rc = dt_days(env, jt, &days, &ndays, err);
    if (rc == CS_OK) {
        keys = calloc(ndays + 1, sizeof(*keys));
        nulls = calloc(ndays + 1, sizeof(*nulls));
        if (keys == NULL || nulls == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (size_t d = 0; rc == CS_OK && d < ndays; d++) {
        for (size_t k = 0; k < p->nkeys; k++)
            day_key(env, k, jt, days[d].time_key, &keys[d][k], &nulls[d][k]);
        uint32_t g;
        rc = group_of_keys(&day_groups, keys[d], nulls[d], &g, err);
        days[d].group = g;
    }
    const size_t ng = day_groups.ngroups, cells = (ng + 1) * (na + 1);
    uint64_t weight = 0;
    uint64_t *weights = NULL;
    if (rc == CS_OK && ndays > 0) {
        weights = malloc((ndays + 1) * sizeof(*weights));
        if (weights == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        if (rc == CS_OK) weight = cs_day_weights(env->snap, p->fact->id, days, ndays, weights);
        nw = cs_par_workers(ndays, weight, p->threads);
        w = calloc(nw, sizeof(*w));
        totals = calloc(2 * nw * cells, sizeof(*totals));
        if (w == NULL || totals == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    void *states[CS_PAR_MAX_WORKERS];
    for (size_t k = 0; rc == CS_OK && k < nw; k++) {
        w[k] = (struct dt_worker){
            env->snap, p, ms, days, totals + 2 * k * cells, totals + (2 * k + 1) * cells, {0}};
        cs_seg_view_init(&w[k].view);
        states[k] = &w[k];
    }
    if (rc == CS_OK && ndays > 0) rc = cs_par_run(ndays, nw, dt_day, states, err);
    if (rc == CS_OK) count_parts(st, env->snap, p->fact->id, days, ndays);
    /* the groups in the order of their first day, each with its rows, once */
    bool *added = rc == CS_OK ? calloc(ng + 1, sizeof(*added)) : NULL;
    int64_t *rows = rc == CS_OK ? calloc(ng + 1, sizeof(*rows)) : NULL;
    if (rc == CS_OK && (added == NULL || rows == NULL))
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t d = 0; rc == CS_OK && d < ndays; d++)
        for (size_t g = 0; g < days[d].nparts; g++)
            rows[days[d].group] +=
                (int64_t)cs_snap_part(env->snap, p->fact->id, days[d].part + g).rows;
    for (size_t d = 0; rc == CS_OK && d < ndays; d++) {
        const uint32_t dg = days[d].group;
        if (rows[dg] == 0 || added[dg]) continue;
        added[dg] = true;
        uint32_t g;
        rc = group_of_keys(t, keys[d], nulls[d], &g, err);
        if (rc != CS_OK) break;
        st->rows_joined += (uint64_t)rows[dg];
        for (size_t a = 0; a < na; a++)
            for (size_t k = 0; k < nw; k++) {
                t->agg[a].v[g] += w[k].v[(size_t)dg * na + a];
                t->agg[a].n[g] += w[k].n[(size_t)dg * na + a];
            }
    }
    for (size_t k = 0; w != NULL && k < nw; k++)
        cs_seg_view_free(&w[k].view);
    free(added);
    free(rows);
    free(w);
    free(totals);
    free(weights);
    free(keys);
    free(nulls);
    free(days);
    cs_group_free(&day_groups);
    return rc;
}

/* ---- training-quality ---- */

enum {
    TQ_ROWS,
    TQ_UNSAFE,
    TQ_SUM0,
    TQ_COUNT0 = TQ_SUM0 + CS_TQ_SCORES,
    TQ_N = TQ_COUNT0 + CS_TQ_SCORES
};
static const struct measure tq_measures[TQ_N] = {
    {CS_AGG_COUNT_ROWS, -1, F_NONE, 0, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_FALSE, CS_FT_SAFE, NULL},
    {CS_AGG_SUM, CS_FT_OVERALL, F_NONE, 0, NULL},
    {CS_AGG_SUM, CS_FT_CLARITY, F_NONE, 0, NULL},
    {CS_AGG_SUM, CS_FT_ACCURACY, F_NONE, 0, NULL},
    {CS_AGG_SUM, CS_FT_TONE, F_NONE, 0, NULL},
    {CS_AGG_COUNT, CS_FT_OVERALL, F_NONE, 0, NULL},
    {CS_AGG_COUNT, CS_FT_CLARITY, F_NONE, 0, NULL},
    {CS_AGG_COUNT, CS_FT_ACCURACY, F_NONE, 0, NULL},
    {CS_AGG_COUNT, CS_FT_TONE, F_NONE, 0, NULL},
};

static bool tq_match(const struct cs_plan *p, size_t *jt, size_t *ju, int *which)
{
    if (p->fact->id != CS_T_FACT_TRAINING || p->where != NULL || p->njoins != 2) return false;
    *jt = time_join(p);
    if (*jt == SIZE_MAX) return false;
    *ju = 1 - *jt;
    if (!join_is(p, *ju, CS_T_DIM_USER, CS_FT_ANNOTATOR, CS_USER_KEY) ||
        p->joins[*ju].where != NULL)
        return false;
    for (size_t k = 0; k < p->nkeys; k++) {
        const struct cs_plan_key *key = &p->keys[k];
        if (key->ref.rel != (int)*ju + 1 || key->ref.col != CS_USER_ID || key->fn != CS_FN_NONE)
            return false;
    }
    return match_measures(p, tq_measures, TQ_N, which);
}

static int tq_run(const struct cs_plan_env *env,
                  size_t jt,
                  const int *which,
                  struct cs_group_table *t,
                  struct cs_plan_stats *st,
                  struct cs_error *err)
{
    const struct cs_plan *p = env->p;
    struct cs_day_slot *days = NULL;
    size_t ndays = 0, dim_rows = 0;
    struct cs_name_groups groups = {0};
    struct cs_tq_agg *agg = NULL;
    const int dcols[2] = {CS_USER_KEY, CS_USER_ID};
    struct cs_col dim[2];
    cs_col_init(&dim[0], CS_K_I64);
    cs_col_init(&dim[1], CS_K_STR);
    int rc = kept_days(env, jt, CS_T_FACT_TRAINING, &days, &ndays, err);
    if (rc == CS_OK && ndays > 0) {
        rc = cs_qdim_read(env->snap, CS_T_DIM_USER, dcols, 2, dim, &dim_rows, err);
        if (rc == CS_OK) rc = cs_name_groups_build(&groups, &dim[0], &dim[1], err);
        if (rc == CS_OK) {
            agg = calloc(groups.ngroups + 1, sizeof(*agg));
            if (agg == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory for aggregates");
        }
        if (rc == CS_OK)
            rc = cs_tq_scan(env->snap, days, ndays, &groups, p->threads, p->kernel_general, agg,
                            err);
        if (rc == CS_OK) count_parts(st, env->snap, CS_T_FACT_TRAINING, days, ndays);
    }
    for (size_t g = 0; rc == CS_OK && g < groups.ngroups; g++) {
        const struct cs_tq_agg *a = &agg[g];
        if (a->count == 0) continue;
        st->rows_joined += (uint64_t)a->count;
        int64_t key[CS_PLAN_MAX_KEYS];
        uint8_t null[CS_PLAN_MAX_KEYS] = {0};
        if (p->nkeys > 0)
            rc = cs_pool_intern(env->pool, groups.names[g], groups.name_lens[g], &key[0], err);
        for (size_t k = 1; k < p->nkeys; k++)
            key[k] = key[0];
        uint32_t gid;
        if (rc == CS_OK) rc = group_of_keys(t, key, null, &gid, err);
        int64_t vals[TQ_N] = {a->count, a->unsafe}, counts[TQ_N] = {0};
        for (int s = 0; s < CS_TQ_SCORES; s++) {
            vals[TQ_SUM0 + s] = a->sum[s];
            counts[TQ_SUM0 + s] = a->n[s];
            vals[TQ_COUNT0 + s] = a->n[s];
        }
        if (rc == CS_OK) add_states(t, p, which, gid, vals, counts);
    }
    cs_col_free(&dim[0]);
    cs_col_free(&dim[1]);
    cs_name_groups_free(&groups);
    free(agg);
    free(days);
    return rc;
}

/* ---- daily aggregates ---- */

enum { DA_ROWS, DA_LAT_SUM, DA_LAT_COUNT, DA_P95, DA_F1, DA_F2, DA_F3, DA_N };

/* Per fact table: its agent_key, and the measures the kernel keeps (rows, then per table). */
static const struct measure da_q_measures[DA_N] = {
    {CS_AGG_COUNT_ROWS, -1, F_NONE, 0, NULL},
    {CS_AGG_SUM, CS_FQ_LATENCY, F_NONE, 0, NULL},
    {CS_AGG_COUNT, CS_FQ_LATENCY, F_NONE, 0, NULL},
    {CS_AGG_PERCENTILE, CS_FQ_LATENCY, F_NONE, 0, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_TRUE, CS_FQ_APPROVED, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_TRUE, CS_FQ_HUMAN_EDITED, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_TRUE, CS_FQ_ERROR, NULL},
};
static const struct measure da_a_measures[2] = {
    {CS_AGG_COUNT_ROWS, -1, F_NONE, 0, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_TRUE, CS_FA_SLA_MET, NULL},
};
static const struct measure da_t_measures[2] = {
    {CS_AGG_COUNT_ROWS, -1, F_NONE, 0, NULL},
    {CS_AGG_COUNT_ROWS, -1, F_FALSE, CS_FT_SAFE, NULL},
};

/* The truth of a predicate over time_key alone for one day; -1 when it reads another column. */
static int tk_truth(const struct cs_scan_pred *f, int time_col, int64_t tk)
{
    switch (f->op) {
    case CS_SCAN_CONST:
        return f->truth;
    case CS_SCAN_IS_NULL:
        return f->col == time_col ? CS_FALSE : -1;
    case CS_SCAN_CMP: {
        if (f->col != time_col || f->s != NULL) return -1;
        static const int res[6][3] = {{0, 1, 0}, {1, 0, 1}, {1, 0, 0},
                                      {1, 1, 0}, {0, 0, 1}, {0, 1, 1}}; /* <, =, > */
        const int c = tk < f->k ? 0 : tk == f->k ? 1 : 2;
        return res[f->cmp][c] ? CS_TRUE : CS_FALSE;
    }
    case CS_SCAN_IN: {
        if (f->col != time_col || f->ik == NULL) return -1;
        for (size_t i = 0; i < f->nk; i++)
            if (f->ik[i] == tk) return CS_TRUE;
        return f->in_null ? CS_UNKNOWN : CS_FALSE;
    }
    case CS_SCAN_NOT: {
        const int a = tk_truth(f->args[0], time_col, tk);
        return a < 0 ? -1 : CS_TRUE - a; /* TRUE <-> FALSE, UNKNOWN stays */
    }
    case CS_SCAN_AND:
    case CS_SCAN_OR: {
        const bool and = f->op == CS_SCAN_AND;
        int r = and? CS_TRUE : CS_FALSE;
        for (size_t i = 0; i < f->nargs; i++) {
            const int a = tk_truth(f->args[i], time_col, tk);
            if (a < 0) return -1;
            r = and? (a < r ? a : r) : (a > r ? a : r);
        }
        return r;
    }
    default:
        return -1;
    }
}

/* The plan's `where` split: conjuncts over time_key, and whether `agent_key IS NOT NULL` is
 * among them; false when another conjunct reads any other column. */
static bool da_where(const struct cs_scan_pred *w, int time_col, int agent_col, bool *not_null)
{
    if (w == NULL) return true;
    if (w->op == CS_SCAN_AND) {
        for (size_t i = 0; i < w->nargs; i++)
            if (!da_where(w->args[i], time_col, agent_col, not_null)) return false;
        return true;
    }
    if (w->op == CS_SCAN_NOT && w->nargs == 1 && w->args[0]->op == CS_SCAN_IS_NULL &&
        w->args[0]->col == agent_col) {
        *not_null = true;
        return true;
    }
    return tk_truth(w, time_col, 0) >= 0;
}

struct da_keep {
    const struct cs_plan *p;
};

/* A day passes the plan's where (its time_key conjuncts) and bounds. */
static bool da_keep_day(void *arg, int32_t tk)
{
    const struct cs_plan *p = ((const struct da_keep *)arg)->p;
    if (!in_bounds(p, tk)) return false;
    const struct cs_scan_pred *w = p->where;
    if (w == NULL) return true;
    const size_t n = w->op == CS_SCAN_AND ? w->nargs : 1;
    for (size_t i = 0; i < n; i++) {
        const struct cs_scan_pred *c = w->op == CS_SCAN_AND ? w->args[i] : w;
        if (c->op == CS_SCAN_NOT && c->nargs == 1 && c->args[0]->op == CS_SCAN_IS_NULL &&
            c->args[0]->col != p->fact->time_col)
            continue; /* agent_key IS NOT NULL: the kernel's */
        if (tk_truth(c, p->fact->time_col, tk) != CS_TRUE) return false;
    }
    return true;
}

static bool da_match(const struct cs_plan *p, int *table_bit, int *which)
{
    static const int agent_col[3] = {CS_FQ_AGENT, CS_FA_AGENT, CS_FT_AGENT};
    int t;
    switch (p->fact->id) {
    case CS_T_FACT_AGENT_QUERY:
        t = 0;
        break;
    case CS_T_FACT_APPROVAL:
        t = 1;
        break;
    case CS_T_FACT_TRAINING:
        t = 2;
        break;
    default:
        return false;
    }
    if (p->njoins != 0 || p->nkeys != 2) return false;
    bool agent_first = p->keys[0].ref.col == agent_col[t];
    const struct cs_plan_key *ka = &p->keys[agent_first ? 0 : 1],
                             *kt = &p->keys[agent_first ? 1 : 0];
    if (ka->ref.rel != 0 || ka->ref.col != agent_col[t] || ka->fn != CS_FN_NONE ||
        kt->ref.rel != 0 || kt->ref.col != p->fact->time_col || kt->fn != CS_FN_NONE)
        return false;
    bool not_null = false;
    if (!da_where(p->where, p->fact->time_col, agent_col[t], &not_null)) return false;
    /* the kernel leaves NULL agents out: the plan must too */
    if (!not_null && !(p->fact->cols[agent_col[t]].flags & CS_COL_NOT_NULL)) return false;
    *table_bit = t;
    if (t == 0) return match_measures(p, da_q_measures, DA_N, which);
    return match_measures(p, t == 1 ? da_a_measures : da_t_measures, 2, which);
}

static int da_run(const struct cs_plan_env *env,
                  int t,
                  const int *which,
                  struct cs_group_table *tab,
                  struct cs_plan_stats *st,
                  struct cs_error *err)
{
    const struct cs_plan *p = env->p;
    struct da_keep keep = {p};
    struct cs_dagg_raw *rows = NULL;
    size_t n = 0;
    uint64_t read = 0;
    const int32_t lo = p->tk_min != 0 ? p->tk_min : INT32_MIN;
    const int32_t hi = p->tk_max != 0 ? p->tk_max : INT32_MAX;
    int rc = cs_dagg_raw_days(env->snap, lo, hi, 1u << t, da_keep_day, &keep, p->threads, &rows, &n,
                              &read, err);
    st->rows_scanned += read;
    const bool agent_first = p->keys[0].ref.rel == 0 && p->keys[0].ref.col != p->fact->time_col;
    int32_t last_tk = 0;
    for (size_t i = 0; rc == CS_OK && i < n; i++) {
        const struct cs_dagg_raw *r = &rows[i];
        const int64_t count = t == 0 ? r->q_count : t == 1 ? r->a_count : r->t_count;
        if (count == 0) continue;
        if (i == 0 || r->time_key != last_tk) st->parts_read++;
        last_tk = r->time_key;
        st->rows_joined += (uint64_t)count;
        const int64_t key[2] = {agent_first ? r->agent_key : r->time_key,
                                agent_first ? r->time_key : r->agent_key};
        const uint8_t null[2] = {0, 0};
        uint32_t g;
        rc = group_of_keys(tab, key, null, &g, err);
        if (rc != CS_OK) break;
        int64_t vals[DA_N] = {0}, counts[DA_N] = {0};
        if (t == 0) {
            vals[DA_ROWS] = r->q_count;
            vals[DA_LAT_SUM] = r->latency_sum;
            counts[DA_LAT_SUM] = r->q_count;
            vals[DA_LAT_COUNT] = r->q_count;
            memcpy(&vals[DA_P95], &r->p95, sizeof(r->p95));
            counts[DA_P95] = r->q_count;
            vals[DA_F1] = r->approved;
            vals[DA_F2] = r->edited;
            vals[DA_F3] = r->errors;
        } else {
            vals[0] = count;
            vals[1] = t == 1 ? r->sla_met : r->unsafe;
        }
        add_states(tab, p, which, g, vals, counts);
    }
    for (size_t a = 0; a < p->naggs; a++)
        if (p->aggs[a].kind == CS_AGG_PERCENTILE) tab->agg[a].done = true;
    free(rows);
    return rc;
}

/* ---- choosing ---- */

enum { K_NONE, K_AP, K_AQ, K_TQ, K_DA, K_DT };

bool cs_plan_kernel_choose(const struct cs_plan *p, struct cs_plan_kernel *k)
{
    memset(k, 0, sizeof(*k));
    int tb = 0;
    /* a limit is applied to the ordered groups (plan_out.c): every kernel makes all of them */
    if (ap_match(p, &k->j1, &k->j2, k->which)) {
        k->kind = K_AP;
        k->name = "agent-performance";
    } else if (aq_match(p, &k->j1, k->which)) {
        k->kind = K_AQ;
        k->name = "approval-queue";
    } else if (tq_match(p, &k->j1, &k->j2, k->which)) {
        k->kind = K_TQ;
        k->name = "training-quality";
    } else if (da_match(p, &tb, k->which)) {
        k->kind = K_DA;
        k->name = "daily-aggregates";
        k->table_bit = tb;
        return true; /* no join */
    } else if (dt_match(p, &k->j1, k->measures)) {
        k->kind = K_DT;
        k->name = "day-totals";
        if (k->j1 == SIZE_MAX) return true;
    } else {
        return false;
    }
    k->need_join[k->j1] = true; /* the time join's kept days; the kernel reads the other */
    return true;
}

int cs_plan_kernel_run(const struct cs_plan_env *env,
                       const struct cs_plan_kernel *k,
                       struct cs_group_table *t,
                       struct cs_plan_stats *st,
                       struct cs_error *err)
{
    switch (k->kind) {
    case K_AP:
        return ap_run(env, k->j1, k->j2, k->which, t, st, err);
    case K_AQ:
        return aq_run(env, k->j1, k->which, t, st, err);
    case K_TQ:
        return tq_run(env, k->j1, k->which, t, st, err);
    case K_DT:
        return dt_run(env, k->j1, k->measures, t, st, err);
    default:
        return da_run(env, k->table_bit, k->which, t, st, err);
    }
}
