/*
 * training-quality (seed Query 3): per annotator (dim_user.user_id) over the window
 * [as_of - days, as_of], the annotations, average scores and unsafe rate; ordered by
 * annotations descending, then user_id bytewise.
 *
 * Plan: dim_time → the window's fact_training partitions; dim_user (user_key, user_id) →
 * annotator_key → user group (NULL or unknown annotators fall into a discarded group, as the
 * inner join drops them). Workers keep partial aggregates per group, merged at the end.
 */
#include "query/report.h"

#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/numeric.h"
#include "storage/base/limits.h"

enum { TQ_ANNOTATOR, TQ_SAFE, TQ_CLARITY, TQ_ACCURACY, TQ_TONE, TQ_OVERALL, TQ_NCOLS };
static const int tq_cols[TQ_NCOLS] = {CS_FT_ANNOTATOR, CS_FT_SAFE, CS_FT_CLARITY,
                                      CS_FT_ACCURACY,  CS_FT_TONE, CS_FT_OVERALL};
/* The averaged columns, in result order after avg_overall_score's. */
#define TQ_SCORES 4

struct tq_agg {
    int64_t count, unsafe;
    int64_t sum[TQ_SCORES], n[TQ_SCORES]; /* overall, clarity, accuracy, tone */
};

struct tq_worker {
    struct cs_snap *snap;
    const struct cs_day_slot *days;
    const struct cs_keymap *map;
    struct tq_agg *agg; /* per group, ngroups + 1 */
    struct cs_col cols[TQ_NCOLS];
    uint32_t gid[CS_VECTOR_SIZE];
};

/* Sum and count the non-NULL values of v into the rows' groups. */
static void tq_avg_vector(struct tq_agg *agg,
                          const uint32_t *gid,
                          const struct cs_col *v,
                          size_t off,
                          size_t n,
                          int score)
{
    const int64_t *x = v->i64 + off;
    if (v->nulls == NULL) {
        for (size_t i = 0; i < n; i++) {
            agg[gid[i]].sum[score] += x[i];
            agg[gid[i]].n[score]++;
        }
    } else {
        const uint8_t *nul = v->nulls + off;
        for (size_t i = 0; i < n; i++) {
            const int64_t valid = nul[i] ^ 1;
            agg[gid[i]].sum[score] += x[i] * valid;
            agg[gid[i]].n[score] += valid;
        }
    }
}

static void tq_vector(struct tq_worker *w, size_t off, size_t n)
{
    const struct cs_col *c = w->cols;
    cs_keymap_lookup(w->map, c[TQ_ANNOTATOR].i64 + off,
                     c[TQ_ANNOTATOR].nulls != NULL ? c[TQ_ANNOTATOR].nulls + off : NULL, n, w->gid);
    struct tq_agg *agg = w->agg;
    const uint8_t *safe = c[TQ_SAFE].b8 + off;
    const uint8_t *safe_null = c[TQ_SAFE].nulls != NULL ? c[TQ_SAFE].nulls + off : NULL;
    for (size_t i = 0; i < n; i++) {
        agg[w->gid[i]].count++;
        /* safe_to_send = false: not NULL and 0 */
        const uint8_t valid = safe_null != NULL ? (uint8_t)(safe_null[i] ^ 1) : 1;
        agg[w->gid[i]].unsafe += (safe[i] ^ 1) & valid;
    }
    tq_avg_vector(agg, w->gid, &c[TQ_OVERALL], off, n, 0);
    tq_avg_vector(agg, w->gid, &c[TQ_CLARITY], off, n, 1);
    tq_avg_vector(agg, w->gid, &c[TQ_ACCURACY], off, n, 2);
    tq_avg_vector(agg, w->gid, &c[TQ_TONE], off, n, 3);
}

static int tq_part(void *state, size_t item, struct cs_error *err)
{
    struct tq_worker *w = state;
    size_t rows = 0;
    const int rc = cs_qread_cols(w->snap, CS_T_FACT_TRAINING, w->days[item].part, tq_cols, TQ_NCOLS,
                                 w->cols, &rows, err);
    if (rc != CS_OK) return rc;
    for (size_t off = 0; off < rows; off += CS_VECTOR_SIZE) {
        tq_vector(w, off, rows - off < CS_VECTOR_SIZE ? rows - off : CS_VECTOR_SIZE);
    }
    return CS_OK;
}

static int tq_scan(struct cs_snap *snap,
                   const struct cs_day_slot *days,
                   size_t ndays,
                   const struct cs_name_groups *groups,
                   unsigned threads,
                   struct tq_agg *total_agg,
                   struct cs_error *err)
{
    const size_t stride = groups->ngroups + 1;
    uint64_t *weights = malloc((ndays + 1) * sizeof(*weights));
    struct tq_worker *w = calloc(CS_PAR_MAX_WORKERS, sizeof(*w));
    struct tq_agg *partial = calloc(CS_PAR_MAX_WORKERS * stride, sizeof(*partial));
    size_t nw = 0;
    int rc = CS_ENOMEM;
    if (weights == NULL || w == NULL || partial == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory for the scan");
        goto out;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < ndays; i++) {
        weights[i] = cs_snap_part(snap, CS_T_FACT_TRAINING, days[i].part).rows;
        total += weights[i];
    }
    nw = cs_par_workers(ndays, total, threads);
    void *states[CS_PAR_MAX_WORKERS];
    const struct cs_table_def *t = cs_schema_table(CS_T_FACT_TRAINING);
    for (size_t k = 0; k < nw; k++) {
        w[k].snap = snap;
        w[k].days = days;
        w[k].map = &groups->map;
        w[k].agg = partial + k * stride;
        for (int j = 0; j < TQ_NCOLS; j++) {
            cs_col_init(&w[k].cols[j], cs_type_kind(t->cols[tq_cols[j]].type));
        }
        states[k] = &w[k];
    }
    rc = cs_par_run(ndays, weights, nw, tq_part, states, NULL, err);
    for (size_t k = 0; rc == CS_OK && k < nw; k++) {
        for (size_t g = 0; g < groups->ngroups; g++) {
            const struct tq_agg *a = &partial[k * stride + g];
            struct tq_agg *to = &total_agg[g];
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
            cs_col_free(&w[k].cols[j]);
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

struct tq_order {
    int64_t count;
    size_t group;
};

static int tq_order_cmp(const void *x, const void *y)
{
    const struct tq_order *a = x, *b = y;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return (a->group > b->group) - (a->group < b->group);
}

/* ORDER BY total_annotations DESC, user_id: groups are numbered in user_id order. */
static int
tq_emit(const struct cs_name_groups *groups, const struct tq_agg *agg, struct cs_result *r)
{
    struct tq_order *order = malloc((groups->ngroups + 1) * sizeof(*order));
    if (order == NULL) return CS_ENOMEM;
    size_t n = 0;
    for (size_t g = 0; g < groups->ngroups; g++) {
        if (agg[g].count > 0) order[n++] = (struct tq_order){agg[g].count, g};
    }
    qsort(order, n, sizeof(*order), tq_order_cmp);
    struct cs_col *c = r->cols;
    bool ok = true;
    for (size_t k = 0; k < n && ok; k++) {
        const size_t g = order[k].group;
        const struct tq_agg *a = &agg[g];
        ok &= cs_col_push_str(&c[0], groups->names[g], groups->name_lens[g]);
        ok &= cs_col_push_i64(&c[1], a->count);
        for (int s = 0; s < TQ_SCORES; s++) {
            if (a->n[s] == 0) {
                ok &= cs_col_push_null(&c[2 + s]);
            } else {
                ok &= cs_col_push_i64(&c[2 + s], cs_avg2(a->sum[s], s == 0 ? 2 : 0, a->n[s], 1));
            }
        }
        ok &= cs_col_push_i64(&c[6], cs_pct2(a->unsafe, a->count));
        r->rows += ok;
    }
    free(order);
    return ok ? CS_OK : CS_ENOMEM;
}

int cs_report_training_quality(struct cs_snap *snap,
                               const struct cs_report_params *p,
                               struct cs_result **out,
                               struct cs_error *err)
{
    *out = NULL;
    struct cs_day_slot *days = NULL;
    size_t ndays = 0, dim_rows = 0;
    struct cs_name_groups groups = {0};
    struct tq_agg *agg = NULL;
    const int dcols[2] = {CS_USER_KEY, CS_USER_ID};
    struct cs_col dim[2];
    cs_col_init(&dim[0], CS_K_I64);
    cs_col_init(&dim[1], CS_K_STR);
    struct cs_result *r = cs_result_new(7, tq_result_cols);
    int rc = r == NULL ? cs_error_set(err, CS_ENOMEM, "out of memory") : CS_OK;
    if (rc == CS_OK)
        rc = cs_window_days(snap, p->as_of_days - p->days, p->as_of_days, &days, &ndays, err);
    if (rc != CS_OK || ndays == 0) goto out;
    cs_days_to_parts(snap, CS_T_FACT_TRAINING, days, ndays, &ndays);
    if (ndays == 0) goto out;
    rc = cs_qdim_read(snap, CS_T_DIM_USER, dcols, 2, dim, &dim_rows, err);
    if (rc == CS_OK) rc = cs_name_groups_build(&groups, &dim[0], &dim[1], err);
    if (rc == CS_OK) {
        agg = calloc(groups.ngroups + 1, sizeof(*agg));
        if (agg == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory for aggregates");
    }
    if (rc == CS_OK) rc = tq_scan(snap, days, ndays, &groups, p->threads, agg, err);
    if (rc == CS_OK && tq_emit(&groups, agg, r) != CS_OK) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory for the result");
    }
out:
    cs_col_free(&dim[0]);
    cs_col_free(&dim[1]);
    free(agg);
    cs_name_groups_free(&groups);
    free(days);
    if (rc != CS_OK) {
        cs_result_free(r);
        return rc;
    }
    *out = r;
    return CS_OK;
}
