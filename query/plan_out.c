/*
 * The result of a star query: every group's keys and finished aggregates (COUNT(DISTINCT)
 * counted from its pairs, PERCENTILE_CONT computed from each group's values as PostgreSQL
 * does, in float8), ordered (ties keep the groups' order, for a deterministic result) and
 * limited.
 */
#include "query/plan_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/bigbuf.h"
#include "query/percentile.h"
#include "storage/base/schema.h"

static const char *const col_names[] = {
    "col1",  "col2",  "col3",  "col4",  "col5",  "col6",  "col7",  "col8",
    "col9",  "col10", "col11", "col12", "col13", "col14", "col15", "col16",
    "col17", "col18", "col19", "col20", "col21", "col22", "col23", "col24",
    "col25", "col26", "col27", "col28", "col29", "col30", "col31", "col32"};
_Static_assert(sizeof(col_names) / sizeof(col_names[0]) >= CS_RESULT_MAX_COLS,
               "a name for every result column");

/* One output column's values by group. */
struct out_col {
    int type;  /* enum cs_type */
    int scale; /* NUMERIC */
    int fn;    /* a key's calendar function */
    int64_t *v;
    uint8_t *null;
};

static const struct cs_table_def *table_of(const struct cs_plan *p, int rel)
{
    return rel == 0 ? p->fact : p->joins[rel - 1].dim;
}

static int oom(struct cs_error *err)
{
    return cs_error_set(err, CS_ENOMEM, "out of memory");
}

/* COUNT(DISTINCT): the pairs per group. */
static void distinct_counts(const struct cs_agg_state *s, size_t ngroups, int64_t *v)
{
    memset(v, 0, ngroups * sizeof(*v));
    for (size_t i = 0; s->set_used != NULL && i <= s->set_mask; i++)
        if (s->set_used[i]) v[s->set_g[i]]++;
}

static double scaled(int64_t v, int scale)
{
    double d = (double)v;
    static const double pow10[] = {1,    10,   100,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                   1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
    return scale > 0 && scale <= 18 ? d / pow10[scale] : d; /* correctly rounded, as float8in */
}

/* PERCENTILE: the values of each group gathered (counting sort by group), then each group's
 * percentile_cont from its order statistics, interpolated in float8 on the values as float8. */
static int percentiles(const struct cs_agg_state *s,
                       size_t ngroups,
                       double frac,
                       int scale,
                       struct out_col *o,
                       struct cs_error *err)
{
    size_t *start = calloc(ngroups + 1, sizeof(*start));
    const size_t vbytes = (s->pn + 1) * sizeof(int64_t);
    int64_t *vals = cs_big_resize(NULL, 0, vbytes);
    if (start == NULL || vals == NULL) {
        free(start);
        cs_big_free(vals, vbytes);
        return oom(err);
    }
    for (size_t i = 0; i < s->pn; i++)
        start[s->pg[i] + 1]++;
    for (size_t g = 0; g < ngroups; g++)
        start[g + 1] += start[g];
    size_t *fill = malloc((ngroups + 1) * sizeof(*fill));
    if (fill == NULL) {
        free(start);
        cs_big_free(vals, vbytes);
        return oom(err);
    }
    memcpy(fill, start, (ngroups + 1) * sizeof(*fill));
    for (size_t i = 0; i < s->pn; i++)
        vals[fill[s->pg[i]]++] = s->pv[i];
    for (size_t g = 0; g < ngroups; g++) {
        const size_t n = start[g + 1] - start[g];
        o->null[g] = n == 0;
        if (n == 0) continue;
        const struct cs_pct_ranks rk = cs_percentile_ranks(n, frac);
        int64_t a = 0, b = 0;
        cs_order_stats(vals + start[g], n, rk.first, rk.second != rk.first, NULL, &a, &b);
        const double lo = scaled(a, scale);
        const double d = rk.first == rk.second ? lo : lo + (scaled(b, scale) - lo) * rk.proportion;
        memcpy(&o->v[g], &d, sizeof(d));
    }
    free(fill);
    free(start);
    cs_big_free(vals, vbytes);
    return CS_OK;
}

static int agg_column(const struct cs_plan *p,
                      size_t a,
                      int arg_type,
                      struct cs_group_table *t,
                      struct out_col *o,
                      struct cs_error *err)
{
    const struct cs_plan_agg *ag = &p->aggs[a];
    const struct cs_agg_state *s = &t->agg[a];
    const size_t ng = t->ngroups;
    const int scale =
        ag->kind == CS_AGG_COUNT_ROWS ? 0 : table_of(p, ag->ref.rel)->cols[ag->ref.col].scale;
    switch (ag->kind) {
    case CS_AGG_COUNT_ROWS:
    case CS_AGG_COUNT:
        o->type = CS_TY_INT8;
        if (ng > 0) memcpy(o->v, s->v, ng * sizeof(*o->v));
        return CS_OK;
    case CS_AGG_COUNT_DISTINCT:
        o->type = CS_TY_INT8;
        distinct_counts(s, ng, o->v);
        return CS_OK;
    case CS_AGG_PERCENTILE:
        o->type = CS_TY_FLOAT8;
        if (s->done) break;
        return percentiles(s, ng, ag->fraction, arg_type == CS_TY_NUMERIC ? scale : 0, o, err);
    case CS_AGG_SUM:
        o->type = CS_TY_NUMERIC;
        o->scale = arg_type == CS_TY_NUMERIC ? scale : 0;
        break;
    case CS_AGG_BOOL_AND:
    case CS_AGG_BOOL_OR:
        o->type = CS_TY_BOOL;
        break;
    default: /* MIN, MAX */
        o->type = arg_type;
        o->scale = scale;
        break;
    }
    if (ng > 0) memcpy(o->v, s->v, ng * sizeof(*o->v));
    for (size_t g = 0; g < ng; g++)
        o->null[g] = s->n[g] == 0;
    return CS_OK;
}

/* ---- order ---- */

struct sort_ctx {
    const struct cs_plan *p;
    const struct out_col *cols;
    const struct cs_pool *pool;
};

static int cmp_cell(const struct out_col *c, const struct cs_pool *pool, size_t a, size_t b)
{
    if (c->fn == CS_FN_MONTH_NAME || c->fn == CS_FN_DAY_NAME) {
        return strcmp(cs_cal_name(c->fn, c->v[a]), cs_cal_name(c->fn, c->v[b]));
    }
    if (cs_type_kind(c->type) == CS_K_STR) {
        size_t la, lb;
        const char *sa = cs_pool_str(pool, c->v[a], &la), *sb = cs_pool_str(pool, c->v[b], &lb);
        const int r = memcmp(sa, sb, la < lb ? la : lb);
        return r != 0 ? r : (la > lb) - (la < lb);
    }
    if (c->type == CS_TY_FLOAT8) {
        double x, y;
        memcpy(&x, &c->v[a], sizeof(x));
        memcpy(&y, &c->v[b], sizeof(y));
        if (isnan(x) || isnan(y)) return isnan(x) - isnan(y); /* NaN sorts last, as in SQL */
        return (x > y) - (x < y);
    }
    return (c->v[a] > c->v[b]) - (c->v[a] < c->v[b]);
}

static int cmp_rows(const struct sort_ctx *s, size_t a, size_t b)
{
    for (size_t k = 0; k < s->p->norder; k++) {
        const struct cs_plan_order *o = &s->p->order[k];
        const struct out_col *c = &s->cols[o->output];
        /* o->output < nkeys + naggs: colstore_query checks ORDER BY outputs */
        // NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
        const bool na = c->null[a], nb = c->null[b];
        int r;
        if (na || nb)
            r = na == nb ? 0 : (na ? 1 : -1) * (o->nulls_first ? -1 : 1);
        else
            r = cmp_cell(c, s->pool, a, b) * (o->desc ? -1 : 1);
        if (r != 0) return r;
    }
    return 0;
}

/* A stable bottom-up merge sort of the group indexes (qsort takes no context argument, and
 * ties must keep the groups' order). */
static int order_rows(const struct sort_ctx *ctx, size_t *idx, size_t n, struct cs_error *err)
{
    if (ctx->p->norder == 0 || n < 2) return CS_OK;
    size_t *tmp = malloc(n * sizeof(*tmp));
    if (tmp == NULL) return oom(err);
    size_t *src = idx, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            const size_t mid = lo + width < n ? lo + width : n;
            const size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp_rows(ctx, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, n * sizeof(*idx));
    free(tmp);
    return CS_OK;
}

/* ---- the result ---- */

static bool
push_cell(struct cs_col *dst, const struct out_col *c, const struct cs_pool *pool, size_t g)
{
    if (c->null[g]) return cs_col_push_null(dst);
    if (c->fn == CS_FN_MONTH_NAME || c->fn == CS_FN_DAY_NAME) {
        const char *s = cs_cal_name(c->fn, c->v[g]);
        return cs_col_push_str(dst, s, strlen(s));
    }
    switch (cs_type_kind(c->type)) {
    case CS_K_STR: {
        size_t len;
        const char *s = cs_pool_str(pool, c->v[g], &len);
        return cs_col_push_str(dst, s, len);
    }
    case CS_K_BOOL:
        return cs_col_push_bool(dst, c->v[g] != 0);
    default:
        return cs_col_push_i64(dst, c->v[g]);
    }
}

static int build(const struct cs_plan *p,
                 const struct out_col *cols,
                 const struct cs_pool *pool,
                 const size_t *idx,
                 size_t n,
                 struct cs_result **out,
                 struct cs_error *err)
{
    const size_t ncols = p->nkeys + p->naggs;
    struct cs_result_coldef defs[CS_RESULT_MAX_COLS];
    for (size_t j = 0; j < ncols; j++)
        defs[j] =
            (struct cs_result_coldef){col_names[j], (uint8_t)cols[j].type, (uint8_t)cols[j].scale};
    struct cs_result *r = cs_result_new(ncols, defs);
    if (r == NULL) return oom(err);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ncols; j++)
            if (!push_cell(&r->cols[j], &cols[j], pool, idx[i])) {
                cs_result_free(r);
                return oom(err);
            }
    r->rows = n;
    *out = r;
    return CS_OK;
}

static void key_column(const struct cs_plan *p,
                       size_t k,
                       int key_type,
                       const struct cs_group_table *t,
                       struct out_col *o)
{
    const struct cs_plan_key *key = &p->keys[k];
    o->type = key_type;
    o->fn = key->fn;
    o->scale = key->fn == CS_FN_NONE ? table_of(p, key->ref.rel)->cols[key->ref.col].scale : 0;
    for (size_t g = 0; g < t->ngroups; g++) {
        o->v[g] = t->keys[g * t->nkeys + k];
        o->null[g] = (t->nulls[g] >> k) & 1u;
    }
}

int cs_plan_output(const struct cs_plan *p,
                   const int *key_types,
                   const int *arg_types,
                   const struct cs_pool *pool,
                   struct cs_group_table *t,
                   struct cs_result **out,
                   struct cs_error *err)
{
    const size_t ng = t->ngroups, ncols = p->nkeys + p->naggs;
    assert(ncols <= CS_RESULT_MAX_COLS && p->norder <= ncols); /* cs_plan_check() */
    /* no key and no row: one group, as SQL's aggregate over nothing */
    if (p->nkeys == 0 && ng == 0) {
        uint32_t g;
        const int64_t *nokeys[1] = {NULL};
        const uint8_t *nonull[1] = {NULL};
        const int rc = cs_group_ids(t, nokeys, nonull, 1, &g, err);
        if (rc != CS_OK) return rc;
        return cs_plan_output(p, key_types, arg_types, pool, t, out, err);
    }
    struct out_col cols[CS_RESULT_MAX_COLS];
    memset(cols, 0, sizeof(cols));
    size_t *idx = malloc((ng + 1) * sizeof(*idx));
    int rc = idx != NULL ? CS_OK : oom(err);
    for (size_t j = 0; j < ncols && rc == CS_OK; j++) {
        cols[j].v = calloc(ng + 1, sizeof(int64_t));
        cols[j].null = calloc(ng + 1, 1);
        if (cols[j].v == NULL || cols[j].null == NULL)
            rc = oom(err);
        else if (j < p->nkeys)
            key_column(p, j, key_types[j], t, &cols[j]);
        else
            rc = agg_column(p, j - p->nkeys, arg_types[j - p->nkeys], t, &cols[j], err);
    }
    if (rc == CS_OK) {
        for (size_t g = 0; g < ng; g++)
            idx[g] = g;
        const struct sort_ctx ctx = {p, cols, pool};
        rc = order_rows(&ctx, idx, ng, err);
    }
    if (rc == CS_OK) {
        const size_t n = p->limit >= 0 && (uint64_t)p->limit < ng ? (size_t)p->limit : ng;
        rc = build(p, cols, pool, idx, n, out, err);
    }
    for (size_t j = 0; j < ncols; j++) {
        free(cols[j].v);
        free(cols[j].null);
    }
    free(idx);
    return rc;
}
