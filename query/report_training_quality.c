/*
 * training-quality (seed Query 3): per annotator (dim_user.user_id) over the window
 * [as_of - days, as_of], the annotations, average scores and unsafe rate; ordered by
 * annotations descending, then user_id bytewise. The report is a star query run by the
 * executor (cs_report_training_quality, at the end), which chooses this file's kernel for it
 * and for any query of its shape (plan_special.c).
 *
 * Kernel (cs_tq_scan): the days' fact_training partitions; annotator_key → user group (NULL or
 * unknown annotators fall into a discarded group, as the inner join drops them). Workers keep
 * partial aggregates per group, merged at the end.
 *
 * Fast plan (tq_fast: annotator_key stored as codes of at most 8 bits, safe_to_send as packed
 * bits, fewer than 30 groups): groups through a table of the codes, as agent-performance's;
 * per eight rows group * 2 + unsafe counted in a histogram; each score summed and counted per
 * group, a NULL score sent to a bin no group reads. General plan otherwise.
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

enum { TQ_ANNOTATOR, TQ_SAFE, TQ_CLARITY, TQ_ACCURACY, TQ_TONE, TQ_OVERALL, TQ_NCOLS };
static const int tq_cols[TQ_NCOLS] = {CS_FT_ANNOTATOR, CS_FT_SAFE, CS_FT_CLARITY,
                                      CS_FT_ACCURACY,  CS_FT_TONE, CS_FT_OVERALL};
/* The averaged columns, in result order after avg_overall_score's. */
#define TQ_SCORES CS_TQ_SCORES

/* Fast plan: groups 0 .. TQ_NULL_BIN - 1 (with the discarded one); a NULL score is counted in
 * bin TQ_NULL_BIN, which no group reads. */
#define TQ_NULL_BIN 31u
#define TQ_LANES    4u /* counts and sums kept in copies, row i in copy i % TQ_LANES */

struct tq_worker {
    struct cs_snap *snap;
    const struct cs_day_slot *days;
    const struct cs_keymap *map;
    size_t ngroups;
    bool general;                       /* cs_report_params.general */
    struct cs_tq_agg *agg;              /* per group, ngroups + 1 */
    struct cs_seg_view views[TQ_NCOLS]; /* each partition's columns, read in place */
    uint32_t gid[CS_VECTOR_SIZE];
    int64_t val[CS_VECTOR_SIZE];
    uint8_t b8[CS_VECTOR_SIZE], nul[CS_VECTOR_SIZE];
    /* fast plan */
    uint8_t lut[256];   /* annotator_key code -> group */
    uint16_t lut2[256]; /* 4-bit codes: the two groups of a byte */
    uint8_t grp[CS_VECTOR_SIZE];
    uint8_t bits[3][CS_VECTOR_SIZE / 8];               /* constant flags / NULL maps spelled out */
    uint32_t hs[TQ_LANES][2 * (TQ_NULL_BIN + 1)];      /* [lane][group * 2 + unsafe] */
    uint32_t hn[TQ_SCORES][TQ_LANES][TQ_NULL_BIN + 1]; /* non-NULL scores per group */
    int64_t hsum[TQ_SCORES][TQ_LANES][TQ_NULL_BIN + 1];
};

/* Sum and count the non-NULL values of score column j (rows [off, off + n)) into the rows'
 * groups. */
static void tq_avg_vector(struct tq_worker *w, int j, size_t off, size_t n, int score)
{
    struct cs_tq_agg *agg = w->agg;
    const uint32_t *gid = w->gid;
    const int64_t *x = w->val;
    cs_seg_view_i64(&w->views[j], off, n, w->val);
    if (!cs_seg_view_nulls(&w->views[j], off, n, w->nul)) {
        for (size_t i = 0; i < n; i++) {
            agg[gid[i]].sum[score] += x[i];
            agg[gid[i]].n[score]++;
        }
    } else {
        const uint8_t *nul = w->nul;
        for (size_t i = 0; i < n; i++) {
            const int64_t valid = nul[i] ^ 1;
            agg[gid[i]].sum[score] += x[i] * valid;
            agg[gid[i]].n[score] += valid;
        }
    }
}

static void tq_vector(struct tq_worker *w, size_t off, size_t n)
{
    struct cs_seg_view *v = w->views;
    cs_seg_view_i64(&v[TQ_ANNOTATOR], off, n, w->val);
    const bool ann_nulls = cs_seg_view_nulls(&v[TQ_ANNOTATOR], off, n, w->nul);
    cs_keymap_lookup(w->map, w->val, ann_nulls ? w->nul : NULL, n, w->gid);
    struct cs_tq_agg *agg = w->agg;
    cs_seg_view_bool(&v[TQ_SAFE], off, n, w->b8);
    const uint8_t *safe = w->b8;
    if (cs_seg_view_nulls(&v[TQ_SAFE], off, n, w->nul)) {
        for (size_t i = 0; i < n; i++) {
            agg[w->gid[i]].count++;
            /* safe_to_send = false: not NULL and 0 */
            agg[w->gid[i]].unsafe += (safe[i] ^ 1) & (w->nul[i] ^ 1);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            agg[w->gid[i]].count++;
            agg[w->gid[i]].unsafe += safe[i] ^ 1;
        }
    }
    tq_avg_vector(w, TQ_OVERALL, off, n, 0);
    tq_avg_vector(w, TQ_CLARITY, off, n, 1);
    tq_avg_vector(w, TQ_ACCURACY, off, n, 2);
    tq_avg_vector(w, TQ_TONE, off, n, 3);
}

static const uint8_t tq_kinds[TQ_NCOLS] = {CS_K_I64, CS_K_BOOL, CS_K_I64,
                                           CS_K_I64, CS_K_I64,  CS_K_I64};
/* The averaged columns in tq_agg.sum order. */
static const int tq_score_view[TQ_SCORES] = {TQ_OVERALL, TQ_CLARITY, TQ_ACCURACY, TQ_TONE};

/* Whether the fast plan reads this partition: annotator_key as codes of at most 8 bits (frame of
 * reference, one constant, or every row NULL), safe_to_send as packed bits, few groups. */
static bool tq_fast_applies(const struct tq_worker *w)
{
    const struct cs_seg_view *a = &w->views[TQ_ANNOTATOR];
    const bool codes =
        (a->codec == CS_CODEC_I64_FOR && a->width <= 8 && a->base <= INT64_MAX - 255) ||
        a->codec == CS_CODEC_I64_CONST || a->codec == CS_CODEC_EMPTY;
    return codes && cs_qbool_is_bits(&w->views[TQ_SAFE]) && w->ngroups + 1 < TQ_NULL_BIN;
}

/* The groups of rows [off, off + n) into w->grp (the discarded group for NULL annotators). */
static void tq_fast_groups(struct tq_worker *w, size_t off, size_t n)
{
    const struct cs_seg_view *a = &w->views[TQ_ANNOTATOR];
    const unsigned width = a->codec == CS_CODEC_I64_FOR ? a->width : 0;
    if (width == 4) {
        const uint8_t *in = a->packed + off / 2;
        for (size_t i = 0; i < n / 2; i++) {
            w->grp[2 * i] = (uint8_t)w->lut2[in[i]];
            w->grp[2 * i + 1] = (uint8_t)(w->lut2[in[i]] >> 8);
        }
        if (n & 1) w->grp[n - 1] = w->lut[in[n / 2] & 15u];
    } else if (width > 0) {
        cs_bitpack_unpack_u8(a->packed + off / 8 * width, n, width, 0, w->grp);
        for (size_t i = 0; i < n; i++)
            w->grp[i] = w->lut[w->grp[i]];
    } else {
        memset(w->grp, w->lut[0], n);
    }
    const uint8_t *nb = cs_qbool_bits(a, true, off, n, w->bits[0]);
    if (nb == NULL) return;
    const uint64_t discard = (uint64_t)w->ngroups * UINT64_C(0x0101010101010101);
    for (size_t j = 0; j * 8 < n; j++) { /* whole words: grp has room past n */
        const uint64_t m = cs_spread8[nb[j]] * 0xFFu, g = cs_load_u64le(w->grp + j * 8);
        cs_store_u64le(w->grp + j * 8, (g & ~m) | (discard & m));
    }
}

/* The fast plan over one partition (tq_fast_applies): each possible annotator code's group
 * looked up once; per eight rows their group * 2 + unsafe codes built in one word and counted;
 * each score decoded and summed per group, a NULL score counted in TQ_NULL_BIN. */
static void tq_fast(struct tq_worker *w)
{
    const struct cs_seg_view *v = w->views, *a = &v[TQ_ANNOTATOR];
    const unsigned width = a->codec == CS_CODEC_I64_FOR ? a->width : 0;
    const size_t ncodes = (size_t)1 << width;
    for (size_t k = 0; k < ncodes; k++)
        w->val[k] = a->base + (int64_t)k;
    cs_keymap_lookup(w->map, w->val, NULL, ncodes, w->gid);
    for (size_t k = 0; k < ncodes; k++)
        w->lut[k] = (uint8_t)w->gid[k];
    for (unsigned b = 0; width == 4 && b < 256; b++)
        w->lut2[b] = (uint16_t)(w->lut[b & 15u] | w->lut[b >> 4] << 8);
    memset(w->hs, 0, sizeof(w->hs));
    memset(w->hn, 0, sizeof(w->hn));
    memset(w->hsum, 0, sizeof(w->hsum));
    const size_t rows = a->rows;
    for (size_t off = 0; off < rows; off += CS_VECTOR_SIZE) {
        const size_t n = rows - off < CS_VECTOR_SIZE ? rows - off : CS_VECTOR_SIZE;
        tq_fast_groups(w, off, n);
        const uint8_t *sb = cs_qbool_bits(&v[TQ_SAFE], false, off, n, w->bits[1]);
        const uint8_t *sn = cs_qbool_bits(&v[TQ_SAFE], true, off, n, w->bits[2]);
        for (size_t j = 0; j * 8 < n; j++) {
            /* safe_to_send = false: not NULL and 0 */
            const unsigned u = ~sb[j] & (sn != NULL ? (uint8_t)~sn[j] : 0xFFu) & 0xFFu;
            const uint64_t gw = cs_load_u64le(w->grp + j * 8), idx = gw << 1 | cs_spread8[u];
            if (n - j * 8 >= 8) {
#pragma GCC unroll 8
                for (unsigned k = 0; k < 8; k++)
                    w->hs[k % TQ_LANES][(idx >> (8 * k)) & 0xFFu]++;
                continue;
            }
            for (size_t k = 0; k < n - j * 8; k++)
                w->hs[k % TQ_LANES][(idx >> (8 * k)) & 0xFFu]++;
        }
        for (int s = 0; s < TQ_SCORES; s++) {
            const struct cs_seg_view *sv = &v[tq_score_view[s]];
            cs_seg_view_i64(sv, off, n, w->val);
            const uint8_t *nb = cs_qbool_bits(sv, true, off, n, w->bits[1]);
            for (size_t j = 0; j * 8 < n; j++) {
                uint64_t gw = cs_load_u64le(w->grp + j * 8);
                if (nb != NULL) gw |= cs_spread8[nb[j]] * TQ_NULL_BIN; /* g | 31 = 31 */
                const int64_t *x = w->val + j * 8;
                if (n - j * 8 >= 8) {
#pragma GCC unroll 8
                    for (unsigned k = 0; k < 8; k++) {
                        const unsigned b = (unsigned)(gw >> (8 * k)) & 0xFFu;
                        w->hn[s][k % TQ_LANES][b]++;
                        w->hsum[s][k % TQ_LANES][b] += x[k];
                    }
                    continue;
                }
                for (size_t k = 0; k < n - j * 8; k++) {
                    const unsigned b = (unsigned)(gw >> (8 * k)) & 0xFFu;
                    w->hn[s][k % TQ_LANES][b]++;
                    w->hsum[s][k % TQ_LANES][b] += x[k];
                }
            }
        }
    }
    for (size_t g = 0; g <= w->ngroups; g++) {
        struct cs_tq_agg *t = &w->agg[g];
        for (unsigned l = 0; l < TQ_LANES; l++) {
            t->count += (int64_t)w->hs[l][2 * g] + w->hs[l][2 * g + 1];
            t->unsafe += w->hs[l][2 * g + 1];
            for (int s = 0; s < TQ_SCORES; s++) {
                t->n[s] += w->hn[s][l][g];
                t->sum[s] += w->hsum[s][l][g];
            }
        }
    }
}

static int tq_group(struct tq_worker *w, size_t part, struct cs_error *err)
{
    for (int j = 0; j < TQ_NCOLS; j++) {
        const int rc = cs_snap_view_col(w->snap, CS_T_FACT_TRAINING, part, tq_cols[j], tq_kinds[j],
                                        &w->views[j], err);
        if (rc != CS_OK) return rc;
    }
    const size_t rows = w->views[0].rows;
    if (!w->general && tq_fast_applies(w)) {
        tq_fast(w);
        return CS_OK;
    }
    for (size_t off = 0; off < rows; off += CS_VECTOR_SIZE) {
        tq_vector(w, off, rows - off < CS_VECTOR_SIZE ? rows - off : CS_VECTOR_SIZE);
    }
    return CS_OK;
}

/* A day: each of its row groups. */
static int tq_part(void *state, size_t item, struct cs_error *err)
{
    struct tq_worker *w = state;
    const struct cs_day_slot *d = &w->days[item];
    int rc = CS_OK;
    for (size_t g = 0; g < d->nparts && rc == CS_OK; g++)
        rc = tq_group(w, d->part + g, err);
    return rc;
}

int cs_tq_scan(struct cs_snap *snap,
               const struct cs_day_slot *days,
               size_t ndays,
               const struct cs_name_groups *groups,
               unsigned threads,
               bool general,
               struct cs_tq_agg *total_agg,
               struct cs_error *err)
{
    const size_t stride = groups->ngroups + 1;
    uint64_t *weights = malloc((ndays + 1) * sizeof(*weights));
    struct tq_worker *w = NULL;
    struct cs_tq_agg *partial = NULL;
    size_t nw = 0;
    int rc = CS_ENOMEM;
    if (weights != NULL) {
        const uint64_t total = cs_day_weights(snap, CS_T_FACT_TRAINING, days, ndays, weights);
        nw = cs_par_workers(ndays, total, threads);
        w = calloc(nw, sizeof(*w));
        partial = calloc(nw * stride, sizeof(*partial));
    }
    if (w == NULL || partial == NULL) {
        nw = 0;
        rc = cs_error_set(err, CS_ENOMEM, "out of memory for the scan");
        goto out;
    }
    void *states[CS_PAR_MAX_WORKERS];
    for (size_t k = 0; k < nw; k++) {
        w[k].ngroups = groups->ngroups;
        w[k].general = general;
        w[k].snap = snap;
        w[k].days = days;
        w[k].map = &groups->map;
        w[k].agg = partial + k * stride;
        for (int j = 0; j < TQ_NCOLS; j++)
            cs_seg_view_init(&w[k].views[j]);
        states[k] = &w[k];
    }
    rc = cs_par_run(ndays, nw, tq_part, states, err);
    for (size_t k = 0; rc == CS_OK && k < nw; k++) {
        for (size_t g = 0; g < groups->ngroups; g++) {
            const struct cs_tq_agg *a = &partial[k * stride + g];
            struct cs_tq_agg *to = &total_agg[g];
            to->count += a->count;
            to->unsafe += a->unsafe;
            for (int s = 0; s < TQ_SCORES; s++) {
                to->sum[s] += a->sum[s];
                to->n[s] += a->n[s];
            }
        }
    }
out:
    for (size_t k = 0; w != NULL && k < nw; k++) {
        for (int j = 0; j < TQ_NCOLS; j++)
            cs_seg_view_free(&w[k].views[j]);
    }
    free(partial);
    free(w);
    free(weights);
    return rc;
}

static const struct cs_result_coldef tq_result_cols[] = {
    {"annotator", CS_TY_TEXT, 0},
    {"total_annotations", CS_TY_INT8, 0},
    {"avg_overall_score", CS_TY_NUMERIC, 2},
    {"avg_clarity", CS_TY_NUMERIC, 2},
    {"avg_accuracy", CS_TY_NUMERIC, 2},
    {"avg_tone", CS_TY_NUMERIC, 2},
    {"unsafe_rate_pct", CS_TY_NUMERIC, 2},
};

/* The report is reference.sql's Query 3 as a star query, run by the executor (which takes this
 * file's kernel for it, plan_special.c), its raw sums and counts finished here:
 *   SELECT u.user_id, count(*), sum(overall_score), count(overall_score), ... (each score),
 *          count(*) FILTER (WHERE NOT f.safe_to_send)
 *   FROM fact_training f JOIN dim_user u ON f.annotator_key = u.user_key
 *   JOIN dim_time d USING (time_key) WHERE d.full_date BETWEEN as_of - days AND as_of
 *   GROUP BY 1 ORDER BY 2 DESC, 1 */
int cs_report_training_quality(struct cs_snap *snap,
                               const struct cs_report_params *p,
                               struct cs_result **out,
                               struct cs_error *err)
{
    *out = NULL;
    static const int scores[TQ_SCORES] = {CS_FT_OVERALL, CS_FT_CLARITY, CS_FT_ACCURACY, CS_FT_TONE};
    struct cs_scan_pred *window =
        cs_report_window(CS_TIME_FULL_DATE, p->as_of_days - p->days, p->as_of_days);
    struct cs_scan_pred *safe = cs_scan_pred_bool(CS_FT_SAFE);
    struct cs_scan_pred *unsafe = safe != NULL ? cs_scan_pred_logic(CS_SCAN_NOT, &safe, 1) : NULL;
    struct cs_result *raw = NULL, *r = cs_result_new(7, tq_result_cols);
    int rc = window == NULL || unsafe == NULL || r == NULL
                 ? cs_error_set(err, CS_ENOMEM, "out of memory")
                 : CS_OK;
    if (rc == CS_OK) {
        struct cs_plan plan = {.fact = cs_schema_table(CS_T_FACT_TRAINING),
                               .njoins = 2,
                               .nkeys = 1,
                               .naggs = 2 + 2 * TQ_SCORES,
                               .norder = 2};
        plan.joins[0] = (struct cs_plan_join){cs_schema_table(CS_T_DIM_TIME), CS_FT_TIME,
                                              CS_TIME_KEY, false, window};
        plan.joins[1] = (struct cs_plan_join){cs_schema_table(CS_T_DIM_USER), CS_FT_ANNOTATOR,
                                              CS_USER_KEY, false, NULL};
        plan.keys[0] = (struct cs_plan_key){{2, CS_USER_ID}, CS_FN_NONE};
        plan.aggs[0] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
        plan.aggs[1] = (struct cs_plan_agg){CS_AGG_COUNT_ROWS, {0, 0}, 0, unsafe};
        for (int k = 0; k < TQ_SCORES; k++) {
            plan.aggs[2 + 2 * k] = (struct cs_plan_agg){CS_AGG_SUM, {0, scores[k]}, 0, NULL};
            plan.aggs[3 + 2 * k] = (struct cs_plan_agg){CS_AGG_COUNT, {0, scores[k]}, 0, NULL};
        }
        plan.order[0] = (struct cs_plan_order){1, true, false};
        plan.order[1] = (struct cs_plan_order){0, false, false};
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
        const char *name = cs_col_str(&g[0], i, &len);
        const int64_t n = g[1].i64[i];
        ok &= cs_col_push_str(&c[0], name, len);
        ok &= cs_col_push_i64(&c[1], n);
        for (int k = 0; k < TQ_SCORES; k++) {
            const int64_t values = g[4 + 2 * k].i64[i];
            ok &= values == 0 ? cs_col_push_null(&c[2 + k])
                              : cs_col_push_i64(&c[2 + k], cs_avg2(g[3 + 2 * k].i64[i],
                                                                   k == 0 ? 2 : 0, values, 1));
        }
        ok &= cs_col_push_i64(&c[6], cs_pct2(g[2].i64[i], n));
        r->rows += ok;
    }
    if (rc == CS_OK && !ok) rc = cs_error_set(err, CS_ENOMEM, "out of memory for the result");
    cs_result_free(raw);
    cs_scan_pred_free(window);
    cs_scan_pred_free(unsafe);
    if (rc != CS_OK) {
        cs_result_free(r);
        return rc;
    }
    *out = r;
    return CS_OK;
}
