/*
 * The public table scan (colstore_scan_*, colstore_batch_*): options and predicates checked
 * and translated into the engine's scan operator (query/scan.h), whose batches are shown in
 * place. Predicates arrive as typed constants; here they become comparisons in each column's
 * stored units (numeric constants rescaled exactly), so the operator compares integers.
 */
#include "engine/engine.h"
#include "engine/scan_api.h"

#include <stdlib.h>
#include <string.h>

/* Deeper trees than this are refused rather than risking the stack. */
#define PRED_MAX_DEPTH 64

static const char *col_name(const struct cs_engine_table *et, size_t col)
{
    return et->def->cols[et->col[col]].name;
}

/* ---- predicates ---- */

struct leaf_const {
    bool null; /* the constant is NULL */
    bool str;
    int64_t k;
    const char *s;
    size_t len;
};

static bool is_int_type(int type)
{
    return type == COLSTORE_TYPE_INT || type == COLSTORE_TYPE_SMALLINT ||
           type == COLSTORE_TYPE_INTEGER || type == COLSTORE_TYPE_BIGINT;
}

/* to_units() - the constant v for a comparison `cmp` with column def, in its stored units. */
static int to_units(const struct cs_engine_table *et,
                    size_t col,
                    const colstore_value *v,
                    int *cmp,
                    struct leaf_const *out,
                    struct cs_error *e)
{
    const struct cs_column_def *d = &et->def->cols[et->col[col]];
    const int ct = cs_engine_col_type(d);
    memset(out, 0, sizeof(*out));
    if (v->type == COLSTORE_TYPE_NULL) {
        out->null = true;
        return CS_OK;
    }
    bool ok = false;
    switch (ct) {
    case COLSTORE_TYPE_INTEGER:
    case COLSTORE_TYPE_BIGINT:
    case COLSTORE_TYPE_SMALLINT:
    case COLSTORE_TYPE_NUMERIC:
        if (is_int_type(v->type) || v->type == COLSTORE_TYPE_NUMERIC) {
            const int vscale = v->type == COLSTORE_TYPE_NUMERIC ? v->scale : 0;
            if (vscale < 0 || vscale > 38)
                return cs_error_set(e, CS_EINVAL, "%s.%s: numeric scale %d out of 0..38",
                                    et->def->name, d->name, vscale);
            cs_scan_rescale(v->i, vscale, d->type == CS_TY_NUMERIC ? d->scale : 0, cmp, &out->k);
            ok = true;
        }
        break;
    case COLSTORE_TYPE_DATE:
    case COLSTORE_TYPE_TIMESTAMP:
        ok = v->type == ct;
        out->k = v->i;
        break;
    case COLSTORE_TYPE_BOOL:
        ok = v->type == COLSTORE_TYPE_BOOL;
        out->k = v->i != 0;
        break;
    case COLSTORE_TYPE_TEXT:
        ok = v->type == COLSTORE_TYPE_TEXT && (v->s != NULL || v->len == 0);
        out->str = true;
        out->s = v->s != NULL ? v->s : "";
        out->len = v->len;
        break;
    default:
        return cs_error_set(e, CS_EINVAL, "%s.%s: a %s column takes IS [NOT] NULL only",
                            et->def->name, d->name, ct == COLSTORE_TYPE_JSONB ? "jsonb" : "text[]");
    }
    if (!ok)
        return cs_error_set(e, CS_EINVAL,
                            "%s.%s: a constant of type %d cannot be compared with this column",
                            et->def->name, d->name, v->type);
    return CS_OK;
}

static int oom(struct cs_error *e)
{
    return cs_error_set(e, CS_ENOMEM, "out of memory");
}

static int compile_cmp(const struct cs_engine_table *et,
                       size_t col,
                       int op,
                       const colstore_value *v,
                       struct cs_scan_pred **out,
                       struct cs_error *e)
{
    int cmp = op - COLSTORE_OP_EQ; /* EQ..GE map onto CS_CMP_EQ..GE in order */
    struct leaf_const c;
    const int rc = to_units(et, col, v, &cmp, &c, e);
    if (rc != CS_OK) return rc;
    const int sc = et->col[col];
    *out = c.null  ? cs_scan_pred_const(CS_UNKNOWN)
           : c.str ? cs_scan_pred_cmp_str(sc, cmp, c.s, c.len)
                   : cs_scan_pred_cmp_i64(sc, cmp, c.k);
    return *out != NULL ? CS_OK : oom(e);
}

static int compile_in(const struct cs_engine_table *et,
                      const colstore_pred *p,
                      struct cs_scan_pred **out,
                      struct cs_error *e)
{
    if (p->nvalues > 0 && p->values == NULL)
        return cs_error_set(e, CS_EINVAL, "IN: %zu values, none given", p->nvalues);
    const size_t n = p->nvalues;
    int64_t *ik = malloc((n ? n : 1) * sizeof(*ik));
    const char **sk = malloc((n ? n : 1) * sizeof(*sk));
    size_t *sl = malloc((n ? n : 1) * sizeof(*sl));
    size_t ni = 0, ns = 0;
    bool in_null = false;
    int rc = ik != NULL && sk != NULL && sl != NULL ? CS_OK : oom(e);
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        int cmp = CS_CMP_EQ;
        struct leaf_const c;
        rc = to_units(et, p->column, &p->values[i], &cmp, &c, e);
        if (rc != CS_OK) break;
        if (c.null) {
            in_null = true;
        } else if (c.str) {
            sk[ns] = c.s;
            sl[ns++] = c.len;
        } else if (cmp == CS_CMP_EQ) { /* not EQ: a value no row of this column can hold */
            ik[ni++] = c.k;
        }
    }
    const int sc = et->col[p->column];
    const bool text = cs_engine_col_type(&et->def->cols[sc]) == COLSTORE_TYPE_TEXT;
    if (rc == CS_OK) {
        *out = text ? cs_scan_pred_in_str(sc, sk, sl, ns, in_null)
                    : cs_scan_pred_in_i64(sc, ik, ni, in_null);
        if (*out == NULL) rc = oom(e);
    }
    free(ik);
    free(sk);
    free(sl);
    return rc;
}

static struct cs_scan_pred *not_of(struct cs_scan_pred *a)
{
    return a != NULL ? cs_scan_pred_logic(CS_SCAN_NOT, &a, 1) : NULL;
}

/* IS TRUE / IS FALSE: never unknown, so NOT (IS NULL) AND [NOT] value. */
static struct cs_scan_pred *is_bool(int sc, bool want)
{
    struct cs_scan_pred *args[2] = {not_of(cs_scan_pred_is_null(sc)), cs_scan_pred_bool(sc)};
    if (!want) args[1] = not_of(args[1]);
    if (args[0] == NULL || args[1] == NULL) {
        cs_scan_pred_free(args[0]);
        cs_scan_pred_free(args[1]);
        return NULL;
    }
    return cs_scan_pred_logic(CS_SCAN_AND, args, 2);
}

static int compile(const struct cs_engine_table *et,
                   const colstore_pred *p,
                   int depth,
                   struct cs_scan_pred **out,
                   struct cs_error *e);

static int compile_logic(const struct cs_engine_table *et,
                         const colstore_pred *p,
                         int depth,
                         struct cs_scan_pred **out,
                         struct cs_error *e)
{
    if (p->nargs == 0 || p->args == NULL || (p->op == COLSTORE_OP_NOT && p->nargs != 1))
        return cs_error_set(e, CS_EINVAL, "predicate: operator %d with %zu operands", p->op,
                            p->nargs);
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    struct cs_scan_pred **args = calloc(p->nargs, sizeof(*args));
    if (args == NULL) return oom(e);
    int rc = CS_OK;
    for (size_t i = 0; i < p->nargs && rc == CS_OK; i++)
        rc = compile(et, &p->args[i], depth + 1, &args[i], e);
    if (rc != CS_OK) {
        for (size_t i = 0; i < p->nargs; i++)
            cs_scan_pred_free(args[i]);
        free(args);
        return rc;
    }
    const int op = p->op == COLSTORE_OP_AND  ? CS_SCAN_AND
                   : p->op == COLSTORE_OP_OR ? CS_SCAN_OR
                                             : CS_SCAN_NOT;
    *out = cs_scan_pred_logic(op, args, p->nargs);
    free(args);
    return *out != NULL ? CS_OK : oom(e);
}

static int compile_column_op(const struct cs_engine_table *et,
                             const colstore_pred *p,
                             struct cs_scan_pred **out,
                             struct cs_error *e)
{
    if (p->column >= et->ncols)
        return cs_error_set(e, CS_EINVAL, "predicate on column %zu: %s has %zu columns", p->column,
                            et->def->name, et->ncols);
    const int sc = et->col[p->column];
    const bool boolean = et->def->cols[sc].type == CS_TY_BOOL;
    if (!boolean && (p->op == COLSTORE_OP_BOOL || p->op == COLSTORE_OP_IS_TRUE ||
                     p->op == COLSTORE_OP_IS_FALSE))
        return cs_error_set(e, CS_EINVAL, "%s.%s: not a boolean column", et->def->name,
                            col_name(et, p->column));
    switch (p->op) {
    case COLSTORE_OP_BETWEEN: {
        struct cs_scan_pred *args[2] = {NULL, NULL};
        int rc = compile_cmp(et, p->column, COLSTORE_OP_GE, &p->value, &args[0], e);
        if (rc == CS_OK) rc = compile_cmp(et, p->column, COLSTORE_OP_LE, &p->value2, &args[1], e);
        if (rc != CS_OK) {
            cs_scan_pred_free(args[0]);
            return rc;
        }
        *out = cs_scan_pred_logic(CS_SCAN_AND, args, 2);
        break;
    }
    case COLSTORE_OP_IN:
        return compile_in(et, p, out, e);
    case COLSTORE_OP_IS_NULL:
        *out = cs_scan_pred_is_null(sc);
        break;
    case COLSTORE_OP_IS_NOT_NULL:
        *out = not_of(cs_scan_pred_is_null(sc));
        break;
    case COLSTORE_OP_BOOL:
        *out = cs_scan_pred_bool(sc);
        break;
    case COLSTORE_OP_IS_TRUE:
        *out = is_bool(sc, true);
        break;
    case COLSTORE_OP_IS_FALSE:
        *out = is_bool(sc, false);
        break;
    default:
        return compile_cmp(et, p->column, p->op, &p->value, out, e);
    }
    return *out != NULL ? CS_OK : oom(e);
}

static int compile(const struct cs_engine_table *et,
                   const colstore_pred *p,
                   int depth,
                   struct cs_scan_pred **out,
                   struct cs_error *e)
{
    *out = NULL;
    if (depth > PRED_MAX_DEPTH)
        return cs_error_set(e, CS_EINVAL, "predicate nested deeper than %d", PRED_MAX_DEPTH);
    switch (p->op) {
    case COLSTORE_OP_AND:
    case COLSTORE_OP_OR:
    case COLSTORE_OP_NOT:
        return compile_logic(et, p, depth, out, e);
    case COLSTORE_OP_TRUE:
    case COLSTORE_OP_FALSE:
        *out = cs_scan_pred_const(p->op == COLSTORE_OP_TRUE ? CS_TRUE : CS_FALSE);
        return *out != NULL ? CS_OK : oom(e);
    default:
        if (p->op < COLSTORE_OP_EQ || p->op > COLSTORE_OP_IS_FALSE)
            return cs_error_set(e, CS_EINVAL, "predicate: unknown operator %d", p->op);
        return compile_column_op(et, p, out, e);
    }
}

/* ---- scans ---- */

struct colstore_batch {
    const struct cs_scan_batch *b;
    const struct cs_column_def *const *defs; /* per projected column */
};

struct colstore_scan {
    colstore_snapshot *snap;
    struct cs_engine_table et;
    struct cs_scan *scan;
    struct cs_scan_pred *pred;
    int *proj; /* schema columns */
    const struct cs_column_def **defs;
    size_t nproj;
    colstore_batch batch;
};

static int
read_options(const colstore_scan_options *opts, colstore_scan_options *o, struct cs_error *e)
{
    const colstore_scan_options d = COLSTORE_SCAN_OPTIONS_INIT;
    *o = d;
    if (opts == NULL) return CS_OK;
    if (opts->size < sizeof(size_t))
        return cs_error_set(e, CS_EINVAL,
                            "scan options: size is %zu: start from COLSTORE_SCAN_OPTIONS_INIT",
                            opts->size);
    memcpy(o, opts, opts->size < sizeof(*o) ? opts->size : sizeof(*o));
    o->size = sizeof(*o);
    return CS_OK;
}

static int set_projection(colstore_scan *s, const colstore_scan_options *o, struct cs_error *e)
{
    const size_t n = o->columns == NULL ? s->et.ncols : o->ncolumns;
    s->proj = malloc((n ? n : 1) * sizeof(*s->proj));
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    s->defs = malloc((n ? n : 1) * sizeof(*s->defs));
    if (s->proj == NULL || s->defs == NULL) return oom(e);
    for (size_t j = 0; j < n; j++) {
        const size_t c = o->columns == NULL ? j : o->columns[j];
        if (c >= s->et.ncols)
            return cs_error_set(e, CS_EINVAL, "scan: %s has %zu columns, not %zu", s->et.def->name,
                                s->et.ncols, c + 1);
        s->proj[j] = s->et.col[c];
        s->defs[j] = &s->et.def->cols[s->proj[j]];
    }
    s->nproj = n;
    return CS_OK;
}

static int scan_start(colstore_scan *s, const colstore_scan_options *o, struct cs_error *e)
{
    int rc = set_projection(s, o, e);
    if (rc == CS_OK && o->where != NULL) rc = compile(&s->et, o->where, 0, &s->pred, e);
    if (rc != CS_OK) return rc;
    const struct cs_scan_opts so = {s->proj,           s->nproj,        s->pred,
                                    o->time_key_min,   o->time_key_max, o->first_partition,
                                    o->partition_count};
    return cs_scan_open(s->snap->snap, s->et.def, &so, &s->scan, e);
}

int colstore_scan_open(colstore_snapshot *snap,
                       const char *table,
                       const colstore_scan_options *opts,
                       colstore_scan **out,
                       colstore_error *err)
{
    struct cs_error e = {0};
    colstore_scan *s = NULL;
    colstore_scan_options o;
    int rc;
    if (out != NULL) *out = NULL;
    if (snap == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "scan: snapshot and out are required");
        goto done;
    }
    rc = read_options(opts, &o, &e);
    if (rc != CS_OK) goto done;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = oom(&e);
        goto done;
    }
    s->snap = snap;
    cs_engine_snap_ref(snap);
    rc = cs_engine_table(table, &s->et, &e);
    if (rc == CS_OK) rc = scan_start(s, &o, &e);
    if (rc != CS_OK) goto done;
    *out = s;
    s = NULL;
done:
    colstore_scan_close(s);
    return cs_engine_return(err, rc, &e);
}

int colstore_scan_next(colstore_scan *scan, const colstore_batch **out, colstore_error *err)
{
    struct cs_error e = {0};
    const struct cs_scan_batch *b = NULL;
    int rc;
    if (out != NULL) *out = NULL;
    if (scan == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "scan_next: scan and out are required");
        goto done;
    }
    rc = cs_scan_next(scan->scan, &b, &e);
    if (rc != CS_OK) goto done;
    if (b != NULL) {
        scan->batch = (colstore_batch){b, scan->defs};
        *out = &scan->batch;
    }
done:
    return cs_engine_return(err, rc, &e);
}

size_t colstore_scan_partitions(const colstore_scan *scan)
{
    return scan != NULL ? cs_scan_kept(scan->scan) : 0;
}

size_t colstore_scan_partition(const colstore_scan *scan, size_t k)
{
    return scan != NULL ? cs_scan_kept_part(scan->scan, k) : SIZE_MAX;
}

int colstore_scan_get_stats(const colstore_scan *scan,
                            colstore_scan_stats *out,
                            colstore_error *err)
{
    struct cs_error e = {0};
    int rc = CS_OK;
    if (scan == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "scan_get_stats: scan and out are required");
        goto done;
    }
    if (out->size < sizeof(size_t)) {
        rc = cs_error_set(&e, CS_EINVAL, "scan_get_stats: out->size is %zu", out->size);
        goto done;
    }
    struct cs_scan_stats st;
    cs_scan_stats(scan->scan, &st);
    const colstore_scan_stats full = {
        sizeof(full),         st.parts_total,    st.parts_out_of_range, st.parts_pruned_time,
        st.parts_pruned_zone, st.parts_scanned,  st.rows_scanned,       st.rows_returned,
        st.predicates,        st.columns_decoded};
    const size_t n = out->size < sizeof(full) ? out->size : sizeof(full);
    memcpy((char *)out + sizeof(size_t), (const char *)&full + sizeof(size_t), n - sizeof(size_t));
done:
    return cs_engine_return(err, rc, &e);
}

void colstore_scan_close(colstore_scan *scan)
{
    if (scan == NULL) return;
    cs_scan_close(scan->scan);
    cs_scan_pred_free(scan->pred);
    free(scan->proj);
    free(scan->defs);
    cs_engine_snap_unref(scan->snap);
    free(scan);
}

/* ---- batches ---- */

size_t colstore_batch_rows(const colstore_batch *b)
{
    return b != NULL ? b->b->rows : 0;
}

size_t colstore_batch_columns(const colstore_batch *b)
{
    return b != NULL ? b->b->ncols : 0;
}

int32_t colstore_batch_time_key(const colstore_batch *b)
{
    return b != NULL ? b->b->time_key : 0;
}

size_t colstore_batch_partition(const colstore_batch *b)
{
    return b != NULL ? b->b->part : SIZE_MAX;
}

int colstore_batch_column(const colstore_batch *b,
                          size_t col,
                          colstore_column_data *out,
                          colstore_error *err)
{
    struct cs_error e = {0};
    int rc = CS_OK;
    if (b == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "batch_column: batch and out are required");
        goto done;
    }
    if (out->size < sizeof(size_t)) {
        rc = cs_error_set(&e, CS_EINVAL, "batch_column: out->size is %zu", out->size);
        goto done;
    }
    if (col >= b->b->ncols) {
        rc = cs_error_set(&e, CS_EINVAL, "batch has %zu columns, not %zu", b->b->ncols, col + 1);
        goto done;
    }
    const struct cs_col *c = b->b->cols[col];
    const struct cs_column_def *d = b->defs[col];
    colstore_column_data full = {sizeof(full),
                                 cs_engine_col_type(d),
                                 d->type == CS_TY_NUMERIC ? d->scale : 0,
                                 b->b->rows,
                                 c->null_count > 0 ? c->nulls : NULL,
                                 NULL,
                                 NULL,
                                 NULL,
                                 NULL};
    switch (c->kind) {
    case CS_K_I64:
        full.values = c->i64;
        break;
    case CS_K_BOOL:
        full.bools = c->b8;
        break;
    default:
        full.offsets = c->off;
        full.data = c->data;
        break;
    }
    const size_t n = out->size < sizeof(full) ? out->size : sizeof(full);
    memcpy((char *)out + sizeof(size_t), (const char *)&full + sizeof(size_t), n - sizeof(size_t));
done:
    return cs_engine_return(err, rc, &e);
}

/* ---- for the Arrow stream and the export (engine/scan_api.h) ---- */

const struct cs_scan_batch *cs_engine_batch(const colstore_batch *b)
{
    return b->b;
}

const struct cs_column_def *cs_engine_scan_def(const colstore_scan *s, size_t j)
{
    return s->defs[j];
}

size_t cs_engine_scan_ncols(const colstore_scan *s)
{
    return s->nproj;
}

int cs_engine_pred_compile(const struct cs_engine_table *et,
                           const colstore_pred *p,
                           struct cs_scan_pred **out,
                           struct cs_error *e)
{
    return compile(et, p, 0, out, e);
}
