/*
 * agg_agent_daily_performance of one day, as reference.sql's INSERT ... SELECT computes it:
 * one row per agent_key with any query, approval or training fact that day (approvals and
 * training with a NULL agent_key excluded), in agent_key order.
 *
 * Plan for a day: the distinct agent keys (a flat mark array over their span, or sort and
 * unique when the span is wide) → key map to group ids in key order → one pass per table
 * accumulating counts and sums per group → latencies scattered by group (counting sort) →
 * p95 by selection per group.
 */
#include "query/daily_agg.h"

#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/numeric.h"
#include "query/percentile.h"
#include "query/report.h"

/* The distinct keys are found with a mark array when they span at most this many values. */
#define DAGG_DENSE_SPAN 65536u

struct dagg_acc {
    int64_t q_count, latency_sum, approved, edited, errors;
    int64_t a_count, sla_met;
    int64_t t_count, unsafe;
    size_t lat_begin, lat_fill;
};

struct cs_dagg_ws {
    int64_t *keys;
    size_t keys_cap;
    uint8_t *mark;
    uint32_t *gid;
    size_t gid_cap;
    struct dagg_acc *acc;
    size_t acc_cap;
    int64_t *lat;
    size_t lat_cap;
};

struct cs_dagg_ws *cs_dagg_ws_new(void)
{
    struct cs_dagg_ws *ws = calloc(1, sizeof(*ws));
    if (ws == NULL) return NULL;
    ws->mark = calloc(DAGG_DENSE_SPAN, 1);
    if (ws->mark == NULL) {
        free(ws);
        return NULL;
    }
    return ws;
}

void cs_dagg_ws_free(struct cs_dagg_ws *ws)
{
    if (ws == NULL) return;
    free(ws->keys);
    free(ws->mark);
    free(ws->gid);
    free(ws->acc);
    free(ws->lat);
    free(ws);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t n = *cap < 1024 ? 1024 : *cap;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (q == NULL) return false;
    *p = q;
    *cap = n;
    return true;
}

static size_t batch_rows(const struct cs_batch *b)
{
    return b != NULL ? b->rows : 0;
}

static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The distinct non-NULL agent keys of the three batches, ascending, into ws->keys. */
static bool distinct_keys(struct cs_dagg_ws *ws, const struct cs_col *const *agent, size_t *nkeys)
{
    size_t total = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int t = 0; t < 3; t++) {
        const struct cs_col *c = agent[t];
        for (size_t i = 0; c != NULL && i < c->len; i++) {
            if (cs_col_is_null(c, i)) continue;
            lo = c->i64[i] < lo ? c->i64[i] : lo;
            hi = c->i64[i] > hi ? c->i64[i] : hi;
            total++;
        }
    }
    *nkeys = 0;
    if (total == 0) return true;
    const uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    const bool dense = span != 0 && span <= DAGG_DENSE_SPAN;
    if (!grow((void **)&ws->keys, &ws->keys_cap, dense ? (size_t)span : total, sizeof(int64_t)))
        return false;
    size_t n = 0;
    for (int t = 0; t < 3; t++) {
        const struct cs_col *c = agent[t];
        for (size_t i = 0; c != NULL && i < c->len; i++) {
            if (cs_col_is_null(c, i)) continue;
            if (dense) {
                ws->mark[(uint64_t)c->i64[i] - (uint64_t)lo] = 1;
            } else {
                ws->keys[n++] = c->i64[i];
            }
        }
    }
    if (dense) {
        for (size_t k = 0; k < (size_t)span; k++) {
            if (ws->mark[k]) ws->keys[n++] = (int64_t)((uint64_t)lo + k);
            ws->mark[k] = 0;
        }
    } else {
        qsort(ws->keys, n, sizeof(*ws->keys), cmp_i64);
        size_t u = 0;
        for (size_t k = 0; k < n; k++) {
            if (u == 0 || ws->keys[u - 1] != ws->keys[k]) ws->keys[u++] = ws->keys[k];
        }
        n = u;
    }
    *nkeys = n;
    return true;
}

static int check_batch(const struct cs_batch *b,
                       int table,
                       const int *cols,
                       size_t ncols,
                       size_t nn,
                       struct cs_error *err)
{
    if (b == NULL || b->rows == 0) return CS_OK;
    const struct cs_table_def *t = cs_schema_table(table);
    if (b->table != t)
        return cs_error_set(err, CS_EINVAL, "daily aggregates: not a %s batch", t->name);
    for (size_t j = 0; j < ncols; j++) {
        if (b->cols[cols[j]].len != b->rows) {
            return cs_error_set(err, CS_EINVAL, "daily aggregates: %s.%s has %zu rows, not %zu",
                                t->name, t->cols[cols[j]].name, b->cols[cols[j]].len, b->rows);
        }
        /* the first nn columns are NOT NULL */
        if (j < nn) {
            const int rc = cs_qcheck_not_null(&b->cols[cols[j]], table, cols[j], err);
            if (rc != CS_OK) return rc;
        }
    }
    return CS_OK;
}

static void
acc_queries(struct cs_dagg_ws *ws, const struct cs_keymap *map, const struct cs_batch *q)
{
    const size_t rows = q->rows;
    const int64_t *lat = q->cols[CS_FQ_LATENCY].i64;
    const uint8_t *appr = q->cols[CS_FQ_APPROVED].b8, *appr_null = q->cols[CS_FQ_APPROVED].nulls;
    const uint8_t *edit = q->cols[CS_FQ_HUMAN_EDITED].b8, *error = q->cols[CS_FQ_ERROR].b8;
    uint32_t *gid = ws->gid;
    cs_keymap_lookup(map, q->cols[CS_FQ_AGENT].i64, NULL, rows, gid);
    for (size_t i = 0; i < rows; i++) {
        struct dagg_acc *a = &ws->acc[gid[i]];
        a->q_count++;
        a->latency_sum += lat[i];
        a->approved += appr[i] & (appr_null != NULL ? appr_null[i] ^ 1 : 1);
        a->edited += edit[i];
        a->errors += error[i];
    }
    /* counting sort of the latencies by group: each group's values contiguous */
    size_t begin = 0;
    for (size_t g = 0; g < map->miss; g++) {
        ws->acc[g].lat_begin = begin;
        begin += (size_t)ws->acc[g].q_count;
    }
    for (size_t i = 0; i < rows; i++) {
        struct dagg_acc *a = &ws->acc[gid[i]];
        ws->lat[a->lat_begin + a->lat_fill++] = lat[i];
    }
}

/* Approvals (sla_met = true) or training (safe_to_send = false) per group; NULL agents and
 * NULL flags count for nothing. */
static void acc_flagged(struct cs_dagg_ws *ws,
                        const struct cs_keymap *map,
                        const struct cs_col *agent,
                        const struct cs_col *flag,
                        bool approvals)
{
    const size_t rows = agent->len;
    uint32_t *gid = ws->gid;
    cs_keymap_lookup(map, agent->i64, agent->nulls, rows, gid);
    const uint8_t want = approvals ? 1 : 0;
    for (size_t i = 0; i < rows; i++) {
        struct dagg_acc *a = &ws->acc[gid[i]];
        const int64_t hit = flag->b8[i] == want && !cs_col_is_null(flag, i);
        if (approvals) {
            a->a_count++;
            a->sla_met += hit;
        } else {
            a->t_count++;
            a->unsafe += hit;
        }
    }
}

static void push_numeric(struct cs_col *c, bool present, int64_t v, bool *ok)
{
    *ok &= present ? cs_col_push_i64(c, v) : cs_col_push_null(c);
}

/* One output row for group g; CS_EINPUT when a value overflows its numeric(10,2) column. */
static int emit_row(
    struct cs_dagg_ws *ws, size_t g, int32_t time_key, struct cs_batch *out, struct cs_error *err)
{
    const struct dagg_acc *a = &ws->acc[g];
    const int64_t agent_key = ws->keys[g];
    const bool q = a->q_count > 0;
    int64_t avg = 0, p95 = 0;
    if (q) {
        avg = cs_avg2(a->latency_sum, 0, a->q_count, 1);
        const double p = cs_percentile_cont(ws->lat + a->lat_begin, (size_t)a->q_count, 0.95);
        if (!cs_float8_to_numeric(p, 2, &p95) || !cs_numeric_fits(p95, 10) ||
            !cs_numeric_fits(avg, 10)) {
            return cs_error_set(err, CS_EINPUT,
                                "agg_agent_daily_performance: numeric field overflow "
                                "(latency of agent_key %lld on %d)",
                                (long long)agent_key, (int)time_key);
        }
    }
    struct cs_col *c = out->cols;
    bool ok = true;
    ok &= cs_col_push_i64(&c[CS_AGG_AGENT], agent_key);
    ok &= cs_col_push_i64(&c[CS_AGG_TIME], time_key);
    ok &= cs_col_push_i64(&c[CS_AGG_TOTAL_QUERIES], a->q_count);
    push_numeric(&c[CS_AGG_AVG_LATENCY], q, avg, &ok);
    push_numeric(&c[CS_AGG_P95_LATENCY], q, p95, &ok);
    push_numeric(&c[CS_AGG_APPROVAL_RATE], q, q ? cs_pct2(a->approved, a->q_count) : 0, &ok);
    push_numeric(&c[CS_AGG_EDIT_RATE], q, q ? cs_pct2(a->edited, a->q_count) : 0, &ok);
    push_numeric(&c[CS_AGG_ERROR_RATE], q, q ? cs_pct2(a->errors, a->q_count) : 0, &ok);
    ok &= cs_col_push_i64(&c[CS_AGG_TOTAL_APPROVALS], a->a_count);
    ok &= cs_col_push_i64(&c[CS_AGG_TOTAL_FEEDBACK], a->t_count);
    ok &= cs_col_push_i64(&c[CS_AGG_UNSAFE_COUNT], a->unsafe);
    const bool s = a->a_count > 0;
    push_numeric(&c[CS_AGG_SLA_COMPLIANCE], s, s ? cs_pct2(a->sla_met, a->a_count) : 0, &ok);
    if (!ok) return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    out->rows++;
    return CS_OK;
}

static const int q_cols[5] = {CS_FQ_AGENT, CS_FQ_LATENCY, CS_FQ_HUMAN_EDITED, CS_FQ_ERROR,
                              CS_FQ_APPROVED};
static const int a_cols[2] = {CS_FA_AGENT, CS_FA_SLA_MET};
static const int t_cols[2] = {CS_FT_AGENT, CS_FT_SAFE};

int cs_dagg_day(struct cs_dagg_ws *ws,
                int32_t time_key,
                const struct cs_batch *queries,
                const struct cs_batch *approvals,
                const struct cs_batch *training,
                struct cs_batch *out,
                struct cs_error *err)
{
    int rc = check_batch(queries, CS_T_FACT_AGENT_QUERY, q_cols, 5, 4, err);
    if (rc == CS_OK) rc = check_batch(approvals, CS_T_FACT_APPROVAL, a_cols, 2, 0, err);
    if (rc == CS_OK) rc = check_batch(training, CS_T_FACT_TRAINING, t_cols, 2, 0, err);
    if (rc != CS_OK) return rc;
    const size_t nq = batch_rows(queries), na = batch_rows(approvals), nt = batch_rows(training);
    const struct cs_col *agent[3] = {nq ? &queries->cols[CS_FQ_AGENT] : NULL,
                                     na ? &approvals->cols[CS_FA_AGENT] : NULL,
                                     nt ? &training->cols[CS_FT_AGENT] : NULL};
    size_t nkeys = 0;
    size_t max_rows = nq > na ? nq : na;
    max_rows = max_rows > nt ? max_rows : nt;
    if (!distinct_keys(ws, agent, &nkeys) ||
        !grow((void **)&ws->gid, &ws->gid_cap, max_rows > nkeys ? max_rows : nkeys,
              sizeof(uint32_t)) ||
        !grow((void **)&ws->lat, &ws->lat_cap, nq, sizeof(int64_t)) ||
        !grow((void **)&ws->acc, &ws->acc_cap, nkeys + 1, sizeof(struct dagg_acc))) {
        return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    }
    if (nkeys == 0) return CS_OK;
    memset(ws->acc, 0, (nkeys + 1) * sizeof(*ws->acc));
    uint32_t *ids = (uint32_t *)ws->gid; /* 0..nkeys-1 before the gid array is used */
    for (size_t k = 0; k < nkeys; k++)
        ids[k] = (uint32_t)k;
    struct cs_keymap map;
    rc = cs_keymap_build(&map, ws->keys, ids, nkeys, (uint32_t)nkeys, err);
    if (rc != CS_OK) return rc;
    if (nq > 0) acc_queries(ws, &map, queries);
    if (na > 0) acc_flagged(ws, &map, agent[1], &approvals->cols[CS_FA_SLA_MET], true);
    if (nt > 0) acc_flagged(ws, &map, agent[2], &training->cols[CS_FT_SAFE], false);
    cs_keymap_free(&map);
    for (size_t g = 0; g < nkeys && rc == CS_OK; g++)
        rc = emit_row(ws, g, time_key, out, err);
    return rc;
}

int cs_daily_agg_compute(int32_t time_key,
                         const struct cs_batch *queries,
                         const struct cs_batch *approvals,
                         const struct cs_batch *training,
                         struct cs_batch *out,
                         struct cs_error *err)
{
    if (out == NULL || out->table != cs_schema_table(CS_T_AGG_DAILY)) {
        return cs_error_set(err, CS_EINVAL, "daily aggregates: out is not an %s batch",
                            "agg_agent_daily_performance");
    }
    struct cs_dagg_ws *ws = cs_dagg_ws_new();
    if (ws == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    const int rc = cs_dagg_day(ws, time_key, queries, approvals, training, out, err);
    cs_dagg_ws_free(ws);
    return rc;
}
