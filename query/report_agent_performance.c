/*
 * agent-performance (seed Query 1): per day of the window [as_of - days, as_of] and agent_name,
 * the query count, average latency and approval / edit rates. The report is a star query run
 * by the executor (cs_report_agent_performance, at the end), which chooses this file's kernel
 * for it and for any query of its shape (plan_special.c).
 *
 * Kernel (cs_ap_scan): the days' fact_agent_query partitions (no other partition is opened);
 * agent_key → name group (cs_name_groups: SCD-2 versions of a name share one group). Each
 * partition is one day, so the aggregate array is [day][group] and workers write disjoint
 * days: no merge.
 *
 * Fast plan (ap_fast: agent_key stored as codes of at most 8 bits, both flags as packed bits,
 * fewer than 64 groups): each possible code's group looked up once a partition, a byte of
 * 4-bit codes giving two groups through one table; eight rows' group * 4 + (approved, edited)
 * codes built in one word and counted in a histogram, latencies summed per group, counts and
 * sums in 4 copies (row i in copy i % 4). General plan otherwise: keys decoded and looked up
 * in the group hash map a row at a time, flags decoded to bytes.
 */
#include "query/report.h"
#include "query/plan.h"
#include "query/report_kernels.h"

#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/numeric.h"
#include "storage/base/limits.h"
#include "storage/codec.h"

struct ap_ctx {
    struct cs_snap *snap;
    const struct cs_day_slot *days;
    const struct cs_name_groups *groups;
    struct cs_ap_agg *agg; /* days x (ngroups + 1); the last group collects unknown agents */
    bool general;          /* cs_report_params.general */
};

enum { AP_AGENT, AP_LATENCY, AP_APPROVED, AP_EDITED, AP_NCOLS };
static const int ap_cols[AP_NCOLS] = {CS_FQ_AGENT, CS_FQ_LATENCY, CS_FQ_APPROVED,
                                      CS_FQ_HUMAN_EDITED};

static const uint8_t ap_kinds[AP_NCOLS] = {CS_K_I64, CS_K_I64, CS_K_BOOL, CS_K_BOOL};

/* Fast plan: at most AP_FAST_GROUPS groups (with the unknown-agent one) keep the code
 * group * 4 + (approved, edited) of a row within a byte. */
#define AP_FAST_GROUPS 64u
#define AP_LANES       4u /* counts and sums kept in copies, row i in copy i % AP_LANES */

/* A worker reads each partition's columns in place (views), a vector at a time. */
struct ap_worker {
    const struct ap_ctx *ctx;
    struct cs_seg_view views[AP_NCOLS];
    uint32_t gid[CS_VECTOR_SIZE];
    int64_t agent[CS_VECTOR_SIZE], latency[CS_VECTOR_SIZE];
    uint8_t approved[CS_VECTOR_SIZE], approved_null[CS_VECTOR_SIZE], edited[CS_VECTOR_SIZE];
    /* fast plan */
    uint8_t lut[256];                            /* agent_key code -> group */
    uint16_t lut2[256];                          /* 4-bit codes: the two groups of a byte */
    uint8_t grp[CS_VECTOR_SIZE];                 /* each row's group */
    uint8_t bits[3][CS_VECTOR_SIZE / 8];         /* constant flags spelled out */
    uint32_t hist[AP_LANES][AP_FAST_GROUPS * 4]; /* [lane][group * 4 + approved * 2 + edited] */
    int64_t lsum[AP_LANES][AP_FAST_GROUPS];
};

static void ap_vector(struct cs_ap_agg *agg,
                      const uint32_t *gid,
                      const int64_t *latency,
                      const uint8_t *approved,
                      const uint8_t *approved_null,
                      const uint8_t *edited,
                      size_t n)
{
    if (approved_null == NULL) {
        for (size_t i = 0; i < n; i++) {
            struct cs_ap_agg *a = &agg[gid[i]];
            a->count++;
            a->latency_sum += latency[i];
            a->approved += approved[i];
            a->edited += edited[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            struct cs_ap_agg *a = &agg[gid[i]];
            a->count++;
            a->latency_sum += latency[i];
            a->approved += approved[i] & (uint8_t)(approved_null[i] ^ 1);
            a->edited += edited[i];
        }
    }
}

/* Whether the fast plan reads this partition: agent_key stored as codes of at most 8 bits
 * (frame of reference, or one constant) and both flags as packed bits. */
static bool ap_fast_applies(const struct ap_worker *w)
{
    const struct cs_seg_view *a = &w->views[AP_AGENT];
    const bool codes =
        (a->codec == CS_CODEC_I64_FOR && a->width <= 8 && a->base <= INT64_MAX - 255) ||
        a->codec == CS_CODEC_I64_CONST;
    return codes && cs_qbool_is_bits(&w->views[AP_APPROVED]) &&
           cs_qbool_is_bits(&w->views[AP_EDITED]) && w->ctx->groups->ngroups + 1 <= AP_FAST_GROUPS;
}

/* The fast plan over one partition (ap_fast_applies): the group of every possible agent_key
 * code looked up once (a 256-entry table instead of a hash probe a row); then per eight rows
 * their group * 4 + flag codes built in one word and counted in a histogram, with the
 * latencies summed per group; no flag is decoded to bytes. */
static void ap_fast(struct ap_worker *w, struct cs_ap_agg *agg)
{
    const struct cs_seg_view *v = w->views;
    const struct cs_seg_view *ag = &v[AP_AGENT];
    const unsigned width = ag->codec == CS_CODEC_I64_FOR ? ag->width : 0;
    const size_t ncodes = (size_t)1 << width;
    for (size_t k = 0; k < ncodes; k++)
        w->agent[k] = ag->base + (int64_t)k;
    cs_keymap_lookup(&w->ctx->groups->map, w->agent, NULL, ncodes, w->gid);
    for (size_t k = 0; k < ncodes; k++)
        w->lut[k] = (uint8_t)w->gid[k];
    for (unsigned b = 0; width == 4 && b < 256; b++)
        w->lut2[b] = (uint16_t)(w->lut[b & 15u] | w->lut[b >> 4] << 8);
    memset(w->hist, 0, sizeof(w->hist));
    memset(w->lsum, 0, sizeof(w->lsum));
    const size_t rows = ag->rows;
    for (size_t off = 0; off < rows; off += CS_VECTOR_SIZE) {
        const size_t n = rows - off < CS_VECTOR_SIZE ? rows - off : CS_VECTOR_SIZE;
        if (width == 4) { /* two codes a byte: both groups at once */
            const uint8_t *in = ag->packed + off / 2;
            for (size_t i = 0; i < n / 2; i++) {
                w->grp[2 * i] = (uint8_t)w->lut2[in[i]];
                w->grp[2 * i + 1] = (uint8_t)(w->lut2[in[i]] >> 8);
            }
            if (n & 1) w->grp[n - 1] = w->lut[in[n / 2] & 15u];
        } else if (width > 0) {
            cs_bitpack_unpack_u8(ag->packed + off / 8 * width, n, width, 0, w->grp);
            for (size_t i = 0; i < n; i++)
                w->grp[i] = w->lut[w->grp[i]];
        } else {
            memset(w->grp, w->lut[0], n);
        }
        cs_seg_view_i64(&v[AP_LATENCY], off, n, w->latency);
        const uint8_t *ap = cs_qbool_bits(&v[AP_APPROVED], false, off, n, w->bits[0]);
        const uint8_t *an = cs_qbool_bits(&v[AP_APPROVED], true, off, n, w->bits[1]);
        const uint8_t *ed = cs_qbool_bits(&v[AP_EDITED], false, off, n, w->bits[2]);
        for (size_t j = 0; j * 8 < n; j++) {
            const unsigned a = ap[j] & (an != NULL ? (uint8_t)~an[j] : 0xFFu);
            const uint64_t f = cs_spread8[a] << 1 | cs_spread8[ed[j]];
            const uint8_t *g = w->grp + j * 8;
            const int64_t *lat = w->latency + j * 8;
            if (n - j * 8 >= 8) {
                const uint64_t gw = cs_load_u64le(g), idx = gw << 2 | f;
#pragma GCC unroll 8
                for (unsigned k = 0; k < 8; k++) {
                    w->hist[k % AP_LANES][(idx >> (8 * k)) & 0xFFu]++;
                    w->lsum[k % AP_LANES][(gw >> (8 * k)) & 0xFFu] += lat[k];
                }
                continue;
            }
            for (size_t k = 0; k < n - j * 8; k++) {
                w->hist[k % AP_LANES][g[k] * 4u + ((f >> (8 * k)) & 3u)]++;
                w->lsum[k % AP_LANES][g[k]] += lat[k];
            }
        }
    }
    const size_t ng = w->ctx->groups->ngroups + 1;
    for (size_t g = 0; g < ng; g++) {
        struct cs_ap_agg *a = &agg[g];
        for (unsigned l = 0; l < AP_LANES; l++) {
            const uint32_t *h = &w->hist[l][g * 4];
            a->count += (int64_t)h[0] + h[1] + h[2] + h[3];
            a->approved += (int64_t)h[2] + h[3];
            a->edited += (int64_t)h[1] + h[3];
            a->latency_sum += w->lsum[l][g];
        }
    }
}

static int ap_group(struct ap_worker *w, size_t item, size_t part, struct cs_error *err)
{
    const struct ap_ctx *ctx = w->ctx;
    struct cs_seg_view *v = w->views;
    for (int j = 0; j < AP_NCOLS; j++) {
        const int rc = cs_snap_view_col(ctx->snap, CS_T_FACT_AGENT_QUERY, part, ap_cols[j],
                                        ap_kinds[j], &v[j], err);
        if (rc != CS_OK) return rc;
        if (j != AP_APPROVED && v[j].null_count != 0) {
            const struct cs_table_def *t = cs_schema_table(CS_T_FACT_AGENT_QUERY);
            return cs_error_set(err, CS_ECORRUPT, "%s.%s: NULL in a NOT NULL column", t->name,
                                t->cols[ap_cols[j]].name);
        }
    }
    const size_t rows = v[AP_AGENT].rows;
    struct cs_ap_agg *agg = ctx->agg + item * (ctx->groups->ngroups + 1);
    if (!ctx->general && ap_fast_applies(w)) {
        ap_fast(w, agg);
        return CS_OK;
    }
    for (size_t off = 0; off < rows; off += CS_VECTOR_SIZE) {
        const size_t n = rows - off < CS_VECTOR_SIZE ? rows - off : CS_VECTOR_SIZE;
        cs_seg_view_i64(&v[AP_AGENT], off, n, w->agent);
        cs_seg_view_i64(&v[AP_LATENCY], off, n, w->latency);
        cs_seg_view_bool(&v[AP_APPROVED], off, n, w->approved);
        const bool appr_nulls = cs_seg_view_nulls(&v[AP_APPROVED], off, n, w->approved_null);
        cs_seg_view_bool(&v[AP_EDITED], off, n, w->edited);
        cs_keymap_lookup(&ctx->groups->map, w->agent, NULL, n, w->gid);
        ap_vector(agg, w->gid, w->latency, w->approved, appr_nulls ? w->approved_null : NULL,
                  w->edited, n);
    }
    return CS_OK;
}

/* A day: each of its row groups into the day's aggregates. */
static int ap_part(void *state, size_t item, struct cs_error *err)
{
    struct ap_worker *w = state;
    const struct cs_day_slot *d = &w->ctx->days[item];
    int rc = CS_OK;
    for (size_t g = 0; g < d->nparts && rc == CS_OK; g++)
        rc = ap_group(w, item, d->part + g, err);
    return rc;
}

int cs_ap_scan(struct cs_snap *snap,
               const struct cs_day_slot *days,
               size_t ndays,
               const struct cs_name_groups *groups,
               unsigned threads,
               bool general,
               struct cs_ap_agg *agg,
               struct cs_error *err)
{
    const struct ap_ctx c = {snap, days, groups, agg, general};
    const struct ap_ctx *ctx = &c;
    uint64_t *weights = malloc((ndays + 1) * sizeof(*weights));
    struct ap_worker *w = NULL;
    int rc = CS_ENOMEM;
    size_t nw = 0;
    if (weights != NULL) {
        const uint64_t total =
            cs_day_weights(ctx->snap, CS_T_FACT_AGENT_QUERY, ctx->days, ndays, weights);
        nw = cs_par_workers(ndays, total, threads);
        w = calloc(nw, sizeof(*w));
    }
    if (w == NULL) {
        nw = 0;
        rc = cs_error_set(err, CS_ENOMEM, "out of memory for the scan");
        goto out;
    }
    void *states[CS_PAR_MAX_WORKERS];
    for (size_t k = 0; k < nw; k++) {
        w[k].ctx = ctx;
        for (int j = 0; j < AP_NCOLS; j++)
            cs_seg_view_init(&w[k].views[j]);
        states[k] = &w[k];
    }
    rc = cs_par_run(ndays, nw, ap_part, states, err);
out:
    for (size_t k = 0; w != NULL && k < nw; k++) {
        for (int j = 0; j < AP_NCOLS; j++)
            cs_seg_view_free(&w[k].views[j]);
    }
    free(w);
    free(weights);
    return rc;
}

static const struct cs_result_coldef ap_result_cols[] = {
    {"full_date", CS_TY_DATE, 0},
    {"agent_name", CS_TY_TEXT, 0},
    {"total_queries", CS_TY_INT8, 0},
    {"avg_latency_ms", CS_TY_NUMERIC, 2},
    {"approval_rate_pct", CS_TY_NUMERIC, 2},
    {"edit_rate_pct", CS_TY_NUMERIC, 2},
};

/* The report is reference.sql's Query 1 as a star query, run by the executor (which takes this
 * file's kernel for it, plan_special.c), its raw sums and counts finished here:
 *   SELECT d.full_date, a.agent_name, count(*), sum(f.latency_ms),
 *          count(*) FILTER (WHERE f.approved), count(*) FILTER (WHERE f.human_edited)
 *   FROM fact_agent_query f JOIN dim_time d USING (time_key) JOIN dim_agent a USING (agent_key)
 *   WHERE d.full_date BETWEEN as_of - days AND as_of
 *   GROUP BY 1, 2 ORDER BY 1 DESC, 2 */
int cs_report_agent_performance(struct cs_snap *snap,
                                const struct cs_report_params *p,
                                struct cs_result **out,
                                struct cs_error *err)
{
    *out = NULL;
    struct cs_scan_pred *window =
        cs_report_window(CS_TIME_FULL_DATE, p->as_of_days - p->days, p->as_of_days);
    struct cs_scan_pred *approved = cs_scan_pred_bool(CS_FQ_APPROVED);
    struct cs_scan_pred *edited = cs_scan_pred_bool(CS_FQ_HUMAN_EDITED);
    struct cs_result *raw = NULL, *r = cs_result_new(6, ap_result_cols);
    int rc = window == NULL || approved == NULL || edited == NULL || r == NULL
                 ? cs_error_set(err, CS_ENOMEM, "out of memory")
                 : CS_OK;
    if (rc == CS_OK) {
        const struct cs_table_def *fact = cs_schema_table(CS_T_FACT_AGENT_QUERY);
        struct cs_plan plan = {.fact = fact, .njoins = 2, .nkeys = 2, .naggs = 5, .norder = 2};
        plan.joins[0] = (struct cs_plan_join){cs_schema_table(CS_T_DIM_TIME), CS_FQ_TIME,
                                              CS_TIME_KEY, false, window};
        plan.joins[1] = (struct cs_plan_join){cs_schema_table(CS_T_DIM_AGENT), CS_FQ_AGENT,
                                              CS_AGENT_KEY, false, NULL};
        plan.keys[0] = (struct cs_plan_key){{1, CS_TIME_FULL_DATE}, CS_FN_NONE};
        plan.keys[1] = (struct cs_plan_key){{2, CS_AGENT_NAME}, CS_FN_NONE};
        plan.aggs[0] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
        plan.aggs[1] = (struct cs_plan_agg){CS_AGG_SUM, {0, CS_FQ_LATENCY}, 0, NULL};
        plan.aggs[2] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, approved};
        plan.aggs[3] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, edited};
        plan.aggs[4] = (struct cs_plan_agg){CS_AGG_COUNT, {0, CS_FQ_LATENCY}, 0, NULL};
        plan.order[0] = (struct cs_plan_order){0, true, false};
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
        const int64_t n = g[2].i64[i];
        ok &= cs_col_push_i64(&c[0], g[0].i64[i]);
        ok &= cs_col_push_str(&c[1], name, len);
        ok &= cs_col_push_i64(&c[2], n);
        ok &= cs_col_push_i64(&c[3], cs_avg2(g[3].i64[i], 0, g[6].i64[i], 1));
        ok &= cs_col_push_i64(&c[4], cs_pct2(g[4].i64[i], n));
        ok &= cs_col_push_i64(&c[5], cs_pct2(g[5].i64[i], n));
        r->rows += ok;
    }
    if (rc == CS_OK && !ok) rc = cs_error_set(err, CS_ENOMEM, "out of memory for the result");
    cs_result_free(raw);
    cs_scan_pred_free(window);
    cs_scan_pred_free(approved);
    cs_scan_pred_free(edited);
    if (rc != CS_OK) {
        cs_result_free(r);
        return rc;
    }
    *out = r;
    return CS_OK;
}
