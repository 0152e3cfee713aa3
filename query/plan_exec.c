/*
 * Running a star-query plan (query/plan.h):
 *   1. each joined dimension is scanned once with its predicate; its key column becomes a
 *      key → row map, and the columns the query uses become value arrays by row (text as
 *      string-pool ids);
 *   2. the fact's partitions are chosen: time_key bounds, and when an inner join on time_key
 *      keeps only some days, only those days' partitions;
 *   3. workers claim partitions one at a time; each scans its partition with the fact's
 *      predicate (only passing rows, only the columns used), and per vector of rows: joins
 *      (map lookups; an inner join drops unmatched rows), computes the group keys, finds the
 *      groups in its own table and updates the aggregates (FILTER predicates evaluated on the
 *      vector);
 *   4. the workers' tables are merged into the first, and the result is built (plan_out.c).
 */
#include "query/plan_int.h"

#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/scan_int.h"
#include "storage/base/limits.h"

#define US_PER_DAY INT64_C(86400000000)
/* An inner join on time_key whose dimension keeps at most this many days chooses the fact's
 * partitions by those days. */
#define MAX_DAY_KEYS 100000u

struct dim_data {
    struct cs_keymap map; /* key → row, miss = UINT32_MAX */
    size_t rows;
    int64_t *keys; /* keys[0..nkeys): the kept rows' keys (for the time_key partition choice) */
    size_t nkeys;
    int64_t *vals[CS_MAX_COLS];
    uint8_t *nulls[CS_MAX_COLS];
};

struct run {
    const struct cs_plan *p;
    struct cs_snap *snap;
    const volatile int *cancel;
    struct cs_pool pool;
    struct dim_data dims[CS_PLAN_MAX_JOINS];
    int fact_cols[CS_MAX_COLS]; /* projection of the fact scan */
    size_t nfact_cols;
    int fact_pos[CS_MAX_COLS]; /* schema column → position in the projection, -1 */
    int key_types[CS_PLAN_MAX_KEYS];
    int arg_types[CS_PLAN_MAX_AGGS];
    size_t *parts; /* the fact partitions to read */
    size_t nparts;
    struct cs_plan_stats *stats;
    size_t pred_depth;
};

struct worker {
    struct run *run;
    struct cs_group_table groups;
    uint64_t rows_scanned, rows_passed, rows_joined, parts_read;
    /* per vector */
    uint32_t sel[CS_VECTOR_SIZE];
    uint32_t dimrow[CS_PLAN_MAX_JOINS][CS_VECTOR_SIZE];
    int64_t fk[CS_VECTOR_SIZE];
    int64_t keyv[CS_PLAN_MAX_KEYS][CS_VECTOR_SIZE];
    uint8_t keyn[CS_PLAN_MAX_KEYS][CS_VECTOR_SIZE];
    int64_t argv[CS_VECTOR_SIZE];
    uint8_t argn[CS_VECTOR_SIZE];
    uint8_t truth[CS_VECTOR_SIZE], pass[CS_VECTOR_SIZE];
    uint32_t gid[CS_VECTOR_SIZE];
    uint8_t *scratch;
};

static int oom(struct cs_error *err)
{
    return cs_error_set(err, CS_ENOMEM, "out of memory");
}

static const struct cs_table_def *rel_table(const struct cs_plan *p, int rel)
{
    return rel == 0 ? p->fact : p->joins[rel - 1].dim;
}

/* The logical type a column's values have in the executor (a 16-byte hash is its hex text). */
static int value_type(const struct cs_table_def *t, int col)
{
    const int ty = t->cols[col].type;
    return ty == CS_TY_HASH16 ? CS_TY_TEXT : ty;
}

int cs_plan_check(const struct cs_plan *p, struct cs_error *err)
{
    if (p == NULL || p->fact == NULL) return cs_error_set(err, CS_EINVAL, "plan: no table");
    if (p->njoins > CS_PLAN_MAX_JOINS || p->nkeys > CS_PLAN_MAX_KEYS ||
        p->naggs > CS_PLAN_MAX_AGGS || p->nkeys + p->naggs > CS_RESULT_MAX_COLS ||
        p->norder > p->nkeys + p->naggs)
        return cs_error_set(err, CS_EINVAL, "plan: too many joins, keys, aggregates or outputs");
    for (size_t j = 0; j < p->njoins; j++) {
        const struct cs_plan_join *jn = &p->joins[j];
        if (jn->dim == NULL || jn->fact_col < 0 || jn->fact_col >= p->fact->ncols ||
            jn->dim_col < 0 || jn->dim_col >= jn->dim->ncols ||
            cs_type_kind(p->fact->cols[jn->fact_col].type) != CS_K_I64 ||
            cs_type_kind(jn->dim->cols[jn->dim_col].type) != CS_K_I64)
            return cs_error_set(err, CS_EINVAL, "plan: join %zu is not on integer columns", j);
    }
    for (size_t k = 0; k < p->nkeys + p->naggs; k++) {
        const bool key = k < p->nkeys;
        const struct cs_plan_ref *r = key ? &p->keys[k].ref : &p->aggs[k - p->nkeys].ref;
        if (!key && p->aggs[k - p->nkeys].kind == CS_AGG_COUNT_ROWS) continue;
        if (r->rel < 0 || (size_t)r->rel > p->njoins || r->col < 0 ||
            r->col >= rel_table(p, r->rel)->ncols)
            return cs_error_set(err, CS_EINVAL, "plan: output %zu names no column", k);
        const int ty = value_type(rel_table(p, r->rel), r->col);
        if (key && p->keys[k].fn != CS_FN_NONE && ty != CS_TY_DATE && ty != CS_TY_TIMESTAMPTZ)
            return cs_error_set(err, CS_EINVAL, "plan: a calendar function of a %s column",
                                rel_table(p, r->rel)->cols[r->col].name);
        if (!key && p->aggs[k - p->nkeys].kind == CS_AGG_SUM && cs_type_kind(ty) != CS_K_I64)
            return cs_error_set(err, CS_EINVAL, "plan: sum of a non-numeric column");
    }
    return CS_OK;
}

/* ---- dimensions ---- */

static void mark_refs(const struct cs_plan *p, int rel, bool *need)
{
    for (size_t k = 0; k < p->nkeys; k++)
        if (p->keys[k].ref.rel == rel) need[p->keys[k].ref.col] = true;
    for (size_t a = 0; a < p->naggs; a++)
        if (p->aggs[a].kind != CS_AGG_COUNT_ROWS && p->aggs[a].ref.rel == rel)
            need[p->aggs[a].ref.col] = true;
}

/* Values of column c's rows sel[0..n) (every row when sel is NULL) as int64 (text: pool ids). */
static int col_values(struct cs_pool *pool,
                      const struct cs_col *c,
                      const uint32_t *sel,
                      size_t n,
                      int64_t *v,
                      uint8_t *nulls,
                      struct cs_error *err)
{
    for (size_t i = 0; i < n; i++)
        nulls[i] = cs_col_is_null(c, sel != NULL ? sel[i] : i);
    switch (c->kind) {
    case CS_K_STR:
        return cs_pool_intern_col(pool, c, sel, n, v, err);
    case CS_K_BOOL:
        for (size_t i = 0; i < n; i++)
            v[i] = c->b8[sel != NULL ? sel[i] : i];
        return CS_OK;
    case CS_K_I64:
        if (sel == NULL && n > 0) {
            memcpy(v, c->i64, n * sizeof(*v));
        } else if (sel != NULL) {
            for (size_t i = 0; i < n; i++)
                v[i] = c->i64[sel[i]];
        }
        return CS_OK;
    default:
        return cs_error_set(err, CS_EINVAL, "plan: a column of an unexpected kind");
    }
}

static int dim_append(struct run *r,
                      struct dim_data *d,
                      const struct cs_plan_join *jn,
                      const bool *need,
                      const struct cs_scan_batch *b,
                      struct cs_error *err)
{
    const size_t n = b->rows, total = d->rows + n;
    int64_t *keys = realloc(d->keys, (total + 1) * sizeof(*keys));
    if (keys == NULL) return oom(err);
    d->keys = keys;
    size_t j = 0;
    for (int c = 0; c < jn->dim->ncols; c++) {
        if (!need[c]) continue;
        int64_t *v = realloc(d->vals[c], (total + 1) * sizeof(*v));
        if (v != NULL) d->vals[c] = v;
        uint8_t *nl = realloc(d->nulls[c], total + 1);
        if (nl != NULL) d->nulls[c] = nl;
        if (v == NULL || nl == NULL) return oom(err);
        const int rc = col_values(&r->pool, b->cols[j], NULL, n, v + d->rows, nl + d->rows, err);
        if (rc != CS_OK) return rc;
        if (c == jn->dim_col) memcpy(d->keys + d->rows, v + d->rows, n * sizeof(*v));
        j++;
    }
    d->rows = total;
    return CS_OK;
}

static int load_dim(struct run *r, size_t j, struct cs_error *err)
{
    const struct cs_plan_join *jn = &r->p->joins[j];
    struct dim_data *d = &r->dims[j];
    bool need[CS_MAX_COLS] = {false};
    need[jn->dim_col] = true;
    mark_refs(r->p, (int)j + 1, need);
    int cols[CS_MAX_COLS];
    size_t ncols = 0;
    for (int c = 0; c < jn->dim->ncols; c++)
        if (need[c]) cols[ncols++] = c;
    struct cs_scan_opts o = {cols, ncols, jn->where, 0, 0, 0, 0};
    struct cs_scan *s = NULL;
    int rc = cs_scan_open(r->snap, jn->dim, &o, &s, err);
    const struct cs_scan_batch *b = NULL;
    while (rc == CS_OK && (rc = cs_scan_next(s, &b, err)) == CS_OK && b != NULL)
        rc = dim_append(r, d, jn, need, b, err);
    cs_scan_close(s);
    if (rc != CS_OK) return rc;
    uint32_t *ids = malloc((d->rows + 1) * sizeof(*ids));
    if (ids == NULL) return oom(err);
    size_t nk = 0;
    for (size_t i = 0; i < d->rows; i++) {
        if (d->nulls[jn->dim_col][i]) continue; /* a NULL key joins nothing */
        d->keys[nk] = d->keys[i];
        ids[nk++] = (uint32_t)i;
    }
    rc = cs_keymap_build(&d->map, d->keys, ids, nk, UINT32_MAX, err);
    free(ids);
    d->nkeys = nk;
    if (r->stats != NULL) r->stats->dim_rows[j] = nk;
    return rc;
}

static void free_dim(struct dim_data *d)
{
    cs_keymap_free(&d->map);
    free(d->keys);
    for (int c = 0; c < CS_MAX_COLS; c++) {
        free(d->vals[c]);
        free(d->nulls[c]);
    }
}

/* ---- which fact partitions ---- */

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The sorted distinct keys an inner join on time_key keeps, or n = SIZE_MAX when no such
 * join filters the fact (or too many days to be worth it). */
static int day_filter(struct run *r, int64_t **days, size_t *n, struct cs_error *err)
{
    *days = NULL;
    *n = SIZE_MAX;
    const struct cs_plan *p = r->p;
    for (size_t j = 0; j < p->njoins; j++) {
        const struct cs_plan_join *jn = &p->joins[j];
        if (jn->left || jn->where == NULL || !p->fact->is_fact || jn->fact_col != p->fact->time_col)
            continue;
        const size_t nk = r->dims[j].nkeys;
        if (nk > MAX_DAY_KEYS || *n != SIZE_MAX) continue;
        int64_t *k = malloc((nk + 1) * sizeof(*k));
        if (k == NULL) return oom(err);
        if (nk > 0) memcpy(k, r->dims[j].keys, nk * sizeof(*k));
        qsort(k, nk, sizeof(*k), cmp_i64);
        *days = k;
        *n = nk;
        if (r->stats != NULL) r->stats->key_filters[j] = true;
    }
    return CS_OK;
}

static bool has_day(const int64_t *days, size_t n, int64_t tk)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (days[mid] < tk)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && days[lo] == tk;
}

static int choose_parts(struct run *r, struct cs_error *err)
{
    const struct cs_plan *p = r->p;
    const size_t total = cs_snap_part_count(r->snap, p->fact->id);
    int64_t *days = NULL;
    size_t ndays = SIZE_MAX;
    int rc = p->fact->is_fact ? day_filter(r, &days, &ndays, err) : CS_OK;
    if (rc != CS_OK) return rc;
    r->parts = malloc((total + 1) * sizeof(*r->parts));
    if (r->parts == NULL) {
        free(days);
        return oom(err);
    }
    for (size_t i = 0; i < total; i++) {
        const int32_t tk = cs_snap_part(r->snap, p->fact->id, i).time_key;
        if (p->fact->is_fact &&
            ((p->tk_min != 0 && tk < p->tk_min) || (p->tk_max != 0 && tk > p->tk_max) ||
             (ndays != SIZE_MAX && !has_day(days, ndays, tk))))
            continue;
        r->parts[r->nparts++] = i;
    }
    free(days);
    if (r->stats != NULL) {
        r->stats->parts_total = total;
        r->stats->parts_pruned = total - r->nparts;
    }
    return CS_OK;
}

/* ---- the fact scan ---- */

static void fact_projection(struct run *r)
{
    const struct cs_plan *p = r->p;
    bool need[CS_MAX_COLS] = {false};
    for (size_t j = 0; j < p->njoins; j++)
        need[p->joins[j].fact_col] = true;
    mark_refs(p, 0, need);
    size_t depth = 1;
    for (size_t a = 0; a < p->naggs; a++) {
        if (p->aggs[a].filter == NULL) continue;
        cs_scan_pred_cols(p->aggs[a].filter, need);
        const size_t d = cs_scan_pred_depth(p->aggs[a].filter);
        if (d > depth) depth = d;
    }
    r->pred_depth = depth;
    for (int c = 0; c < CS_MAX_COLS; c++)
        r->fact_pos[c] = -1;
    for (int c = 0; c < p->fact->ncols; c++) {
        if (!need[c]) continue;
        r->fact_pos[c] = (int)r->nfact_cols;
        r->fact_cols[r->nfact_cols++] = c;
    }
}

/* Values of a reference for the selected rows sel[0..m) of a vector at `off` of batch b. */
static int ref_values(struct worker *w,
                      const struct cs_plan_ref *ref,
                      const struct cs_scan_batch *b,
                      size_t off,
                      size_t m,
                      int64_t *v,
                      uint8_t *nulls,
                      struct cs_error *err)
{
    struct run *r = w->run;
    if (ref->rel == 0) {
        uint32_t rows[CS_VECTOR_SIZE];
        for (size_t i = 0; i < m; i++)
            rows[i] = (uint32_t)(off + w->sel[i]);
        return col_values(&r->pool, b->cols[r->fact_pos[ref->col]], rows, m, v, nulls, err);
    }
    const struct dim_data *d = &r->dims[ref->rel - 1];
    const uint32_t *row = w->dimrow[ref->rel - 1];
    for (size_t i = 0; i < m; i++) {
        const uint32_t dr = row[w->sel[i]];
        if (dr == UINT32_MAX) {
            v[i] = 0;
            nulls[i] = 1;
        } else {
            v[i] = d->vals[ref->col][dr];
            nulls[i] = d->nulls[ref->col][dr];
        }
    }
    return CS_OK;
}

/* Join the vector's rows [off, off + n): w->sel = the rows kept (indexes in the vector). */
static size_t join_vector(struct worker *w, const struct cs_scan_batch *b, size_t off, size_t n)
{
    struct run *r = w->run;
    const struct cs_plan *p = r->p;
    size_t m = n;
    for (size_t i = 0; i < n; i++)
        w->sel[i] = (uint32_t)i;
    for (size_t j = 0; j < p->njoins; j++) {
        const struct cs_col *c = b->cols[r->fact_pos[p->joins[j].fact_col]];
        cs_keymap_lookup(&r->dims[j].map, c->i64 + off, c->nulls != NULL ? c->nulls + off : NULL, n,
                         w->dimrow[j]);
        if (p->joins[j].left) continue;
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            if (w->dimrow[j][w->sel[i]] != UINT32_MAX) w->sel[k++] = w->sel[i];
        m = k;
    }
    return m;
}

static int group_vector(
    struct worker *w, const struct cs_scan_batch *b, size_t off, size_t m, struct cs_error *err)
{
    struct run *r = w->run;
    const struct cs_plan *p = r->p;
    const int64_t *keys[CS_PLAN_MAX_KEYS];
    const uint8_t *knull[CS_PLAN_MAX_KEYS];
    for (size_t k = 0; k < p->nkeys; k++) {
        const int rc = ref_values(w, &p->keys[k].ref, b, off, m, w->keyv[k], w->keyn[k], err);
        if (rc != CS_OK) return rc;
        const int fn = p->keys[k].fn;
        if (fn != CS_FN_NONE) {
            const bool date =
                value_type(rel_table(p, p->keys[k].ref.rel), p->keys[k].ref.col) == CS_TY_DATE;
            for (size_t i = 0; i < m; i++)
                if (!w->keyn[k][i])
                    w->keyv[k][i] =
                        cs_cal_apply(fn, date ? w->keyv[k][i] * US_PER_DAY : w->keyv[k][i]);
        }
        keys[k] = w->keyv[k];
        knull[k] = w->keyn[k];
    }
    return cs_group_ids(&w->groups, keys, knull, m, w->gid, err);
}

static int agg_vector(struct worker *w,
                      const struct cs_scan_batch *b,
                      size_t off,
                      size_t n,
                      size_t m,
                      struct cs_error *err)
{
    struct run *r = w->run;
    const struct cs_plan *p = r->p;
    const struct cs_col *cols[CS_MAX_COLS] = {NULL};
    for (int c = 0; c < p->fact->ncols; c++)
        if (r->fact_pos[c] >= 0) cols[c] = b->cols[r->fact_pos[c]];
    for (size_t a = 0; a < p->naggs; a++) {
        const struct cs_plan_agg *ag = &p->aggs[a];
        const uint8_t *pass = NULL;
        if (ag->filter != NULL) {
            cs_scan_pred_eval(ag->filter, cols, off, n, w->truth, w->scratch);
            for (size_t i = 0; i < m; i++)
                w->pass[i] = w->truth[w->sel[i]];
            pass = w->pass;
        }
        const int64_t *v = NULL;
        const uint8_t *vn = NULL;
        if (ag->kind != CS_AGG_COUNT_ROWS) {
            const int rc = ref_values(w, &ag->ref, b, off, m, w->argv, w->argn, err);
            if (rc != CS_OK) return rc;
            v = w->argv;
            vn = w->argn;
        }
        const int rc = cs_agg_update(&w->groups, a, ag, r->arg_types[a], &r->pool, w->gid, v, vn,
                                     pass, m, err);
        if (rc != CS_OK) return rc;
    }
    return CS_OK;
}

static int batch_rows(struct worker *w, const struct cs_scan_batch *b, struct cs_error *err)
{
    for (size_t off = 0; off < b->rows; off += CS_VECTOR_SIZE) {
        const size_t n = b->rows - off < CS_VECTOR_SIZE ? b->rows - off : CS_VECTOR_SIZE;
        const size_t m = join_vector(w, b, off, n);
        w->rows_joined += m;
        if (m == 0) continue;
        int rc = group_vector(w, b, off, m, err);
        if (rc == CS_OK) rc = agg_vector(w, b, off, n, m, err);
        if (rc != CS_OK) return rc;
    }
    return CS_OK;
}

static int scan_part(void *state, size_t item, struct cs_error *err)
{
    struct worker *w = state;
    struct run *r = w->run;
    if (r->cancel != NULL && *r->cancel) return cs_error_set(err, CS_EINVAL, "canceled");
    struct cs_scan_opts o = {r->fact_cols, r->nfact_cols, r->p->where, 0, 0, r->parts[item], 1};
    struct cs_scan *s = NULL;
    int rc = cs_scan_open(r->snap, r->p->fact, &o, &s, err);
    const struct cs_scan_batch *b = NULL;
    while (rc == CS_OK && (rc = cs_scan_next(s, &b, err)) == CS_OK && b != NULL)
        rc = batch_rows(w, b, err);
    if (s != NULL) {
        struct cs_scan_stats st;
        cs_scan_stats(s, &st);
        w->rows_scanned += st.rows_scanned;
        w->rows_passed += st.rows_returned;
        w->parts_read += st.parts_scanned;
    }
    cs_scan_close(s);
    return rc;
}

/* ---- the run ---- */

static void types_of(struct run *r)
{
    const struct cs_plan *p = r->p;
    for (size_t k = 0; k < p->nkeys; k++)
        r->key_types[k] = p->keys[k].fn != CS_FN_NONE
                              ? cs_cal_result_type(p->keys[k].fn)
                              : value_type(rel_table(p, p->keys[k].ref.rel), p->keys[k].ref.col);
    for (size_t a = 0; a < p->naggs; a++)
        r->arg_types[a] = p->aggs[a].kind == CS_AGG_COUNT_ROWS
                              ? CS_TY_INT8
                              : value_type(rel_table(p, p->aggs[a].ref.rel), p->aggs[a].ref.col);
}

static int run_workers(struct run *r, struct worker *ws, size_t nw, struct cs_error *err)
{
    const struct cs_plan *p = r->p;
    const size_t max_groups = p->max_groups ? p->max_groups : CS_PLAN_DEFAULT_MAX_GROUPS;
    int rc = CS_OK;
    void *states[CS_PAR_MAX_WORKERS];
    for (size_t i = 0; i < nw && rc == CS_OK; i++) {
        ws[i].run = r;
        states[i] = &ws[i];
        ws[i].scratch = malloc(r->pred_depth * CS_VECTOR_SIZE);
        if (ws[i].scratch == NULL) rc = oom(err);
        if (rc == CS_OK) rc = cs_group_init(&ws[i].groups, p->nkeys, p->naggs, max_groups, err);
    }
    if (rc == CS_OK) rc = cs_par_run(r->nparts, nw, scan_part, states, err);
    for (size_t i = 1; i < nw && rc == CS_OK; i++)
        rc = cs_group_merge(&ws[0].groups, &ws[i].groups, p, r->arg_types, &r->pool, err);
    return rc;
}

/* The plan through kernel k (plan_special.c): the result in *out. */
static int run_kernel(struct run *r,
                      const struct cs_plan_kernel *k,
                      struct cs_result **out,
                      struct cs_error *err)
{
    const struct cs_plan *p = r->p;
    struct cs_plan_env env = {p, r->snap, &r->pool, {{0}}};
    for (size_t j = 0; j < p->njoins; j++) {
        const struct dim_data *d = &r->dims[j];
        env.dims[j] = (struct cs_plan_dim){&d->map, d->keys, d->nkeys, d->vals, d->nulls};
    }
    const size_t max_groups = p->max_groups ? p->max_groups : CS_PLAN_DEFAULT_MAX_GROUPS;
    struct cs_group_table t;
    int rc = cs_group_init(&t, p->nkeys, p->naggs, max_groups, err);
    struct cs_plan_stats local;
    memset(&local, 0, sizeof(local));
    struct cs_plan_stats *st = r->stats != NULL ? r->stats : &local;
    st->parts_total = cs_snap_part_count(r->snap, p->fact->id);
    if (rc == CS_OK && r->cancel != NULL && *r->cancel)
        rc = cs_error_set(err, CS_EINVAL, "canceled");
    cs_par_set_cancel(r->cancel); /* the kernel's days stop when the flag is raised */
    if (rc == CS_OK) rc = cs_plan_kernel_run(&env, k, &t, st, err);
    cs_par_set_cancel(NULL);
    if (rc == CS_OK) {
        st->kernel = k->name;
        st->rows_passed = st->rows_scanned;
        st->parts_pruned = st->parts_total - st->parts_read;
        st->workers = (unsigned)cs_par_workers(st->parts_read ? st->parts_read : 1,
                                               st->rows_scanned, p->threads);
        rc = cs_plan_output(p, r->key_types, r->arg_types, &r->pool, &t, out, err);
        st->groups = *out != NULL ? (*out)->rows : 0;
    }
    cs_group_free(&t);
    return rc;
}

int cs_plan_run(struct cs_snap *snap,
                const struct cs_plan *p,
                const volatile int *cancel,
                struct cs_result **out,
                struct cs_plan_stats *stats,
                struct cs_error *err)
{
    *out = NULL;
    int rc = cs_plan_check(p, err);
    if (rc != CS_OK) return rc;
    struct run *r = calloc(1, sizeof(*r));
    if (r == NULL) return oom(err);
    r->p = p;
    r->snap = snap;
    r->cancel = cancel;
    r->stats = stats;
    if (stats != NULL) memset(stats, 0, sizeof(*stats));
    rc = cs_pool_init(&r->pool, err);
    types_of(r);
    /* a kernel's shape is known from the plan: only the dimensions it reads from here */
    struct cs_plan_kernel k;
    const bool kernel = !p->general && cs_plan_kernel_choose(p, &k);
    for (size_t j = 0; j < p->njoins && rc == CS_OK; j++)
        if (!kernel || k.need_join[j]) rc = load_dim(r, j, err);
    if (kernel) {
        if (rc == CS_OK) rc = run_kernel(r, &k, out, err);
        goto done;
    }
    if (rc == CS_OK) rc = choose_parts(r, err);
    fact_projection(r);
    uint64_t weight = 0;
    for (size_t i = 0; rc == CS_OK && i < r->nparts; i++)
        weight += cs_snap_part(snap, p->fact->id, r->parts[i]).rows;
    const size_t nw = cs_par_workers(r->nparts, weight, p->threads);
    struct worker *ws = rc == CS_OK ? calloc(nw, sizeof(*ws)) : NULL;
    if (rc == CS_OK && ws == NULL) rc = oom(err);
    if (rc == CS_OK) rc = run_workers(r, ws, nw, err);
    if (rc == CS_OK)
        rc = cs_plan_output(p, r->key_types, r->arg_types, &r->pool, &ws[0].groups, out, err);
    for (size_t i = 0; ws != NULL && i < nw; i++) {
        if (stats != NULL) {
            stats->rows_scanned += ws[i].rows_scanned;
            stats->rows_passed += ws[i].rows_passed;
            stats->rows_joined += ws[i].rows_joined;
            stats->parts_read += ws[i].parts_read;
        }
        cs_group_free(&ws[i].groups);
        free(ws[i].scratch);
    }
    if (stats != NULL) {
        stats->workers = (unsigned)nw;
        stats->groups = *out != NULL ? (*out)->rows : 0;
    }
    free(ws);
done:
    for (size_t j = 0; j < p->njoins; j++)
        free_dim(&r->dims[j]);
    free(r->parts);
    cs_pool_free(&r->pool);
    free(r);
    return rc;
}
