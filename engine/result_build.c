/*
 * Results built by the caller (colstore_result_new / colstore_result_append): the same
 * struct as a report's result, so that every reader and writer of results (text, Arrow,
 * psql's aligned table, CSV, JSON) serves them too. colquery's `info` prints through it.
 */
#include "engine/engine.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "query/report.h"
#include "storage/base/schema.h"

_Static_assert(CS_RESULT_MAX_COLS ==
                   sizeof(((colstore_result *)0)->names) / sizeof(((colstore_result *)0)->names[0]),
               "one owned name per result column");

#define MAX_SCALE 18

/* The result type of a public column type; 0 when a result cannot hold it. */
static int result_type(int type)
{
    switch (type) {
    case COLSTORE_TYPE_INT:
    case COLSTORE_TYPE_SMALLINT:
    case COLSTORE_TYPE_INTEGER:
    case COLSTORE_TYPE_BIGINT:
        return CS_TY_INT8;
    case COLSTORE_TYPE_NUMERIC:
        return CS_TY_NUMERIC;
    case COLSTORE_TYPE_DATE:
        return CS_TY_DATE;
    case COLSTORE_TYPE_TIMESTAMPTZ:
        return CS_TY_TIMESTAMPTZ;
    case COLSTORE_TYPE_TEXT:
        return CS_TY_TEXT;
    case COLSTORE_TYPE_BOOL:
        return CS_TY_BOOL;
    default:
        return 0;
    }
}

static int check_columns(const colstore_result_column *cols, size_t ncols, struct cs_error *e)
{
    if (cols == NULL || ncols == 0 || ncols > CS_RESULT_MAX_COLS)
        return cs_error_set(e, CS_EINVAL, "result_new: 1..%d columns, not %zu", CS_RESULT_MAX_COLS,
                            cols == NULL ? 0 : ncols);
    for (size_t i = 0; i < ncols; i++) {
        if (cols[i].name == NULL)
            return cs_error_set(e, CS_EINVAL, "result_new: column %zu has no name", i);
        if (result_type(cols[i].type) == 0)
            return cs_error_set(e, CS_EINVAL,
                                "result_new: column %s: type %d cannot be a result "
                                "column",
                                cols[i].name, cols[i].type);
        if (cols[i].type == COLSTORE_TYPE_NUMERIC &&
            (cols[i].scale < 0 || cols[i].scale > MAX_SCALE))
            return cs_error_set(e, CS_EINVAL, "result_new: column %s: scale %d out of 0..%d",
                                cols[i].name, cols[i].scale, MAX_SCALE);
    }
    return CS_OK;
}

int colstore_result_new(const colstore_result_column *cols,
                        size_t ncols,
                        colstore_result **out,
                        colstore_error *err)
{
    struct cs_error e = {0};
    colstore_result *res = NULL;
    int rc;
    if (out != NULL) *out = NULL;
    if (out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "result_new: out is required");
        goto done;
    }
    rc = check_columns(cols, ncols, &e);
    if (rc != CS_OK) goto done;
    struct cs_result_coldef defs[CS_RESULT_MAX_COLS];
    res = calloc(1, sizeof(*res));
    if (res == NULL) goto oom;
    for (size_t i = 0; i < ncols; i++) {
        res->names[i] = strdup(cols[i].name);
        if (res->names[i] == NULL) goto oom;
        const int t = result_type(cols[i].type);
        defs[i] = (struct cs_result_coldef){res->names[i], (uint8_t)t,
                                            (uint8_t)(t == CS_TY_NUMERIC ? cols[i].scale : 0)};
    }
    res->r = cs_result_new(ncols, defs);
    if (res->r == NULL) goto oom;
    *out = res;
    res = NULL;
    goto done;
oom:
    rc = cs_error_set(&e, CS_ENOMEM, "out of memory");
done:
    colstore_result_free(res);
    return cs_engine_return(err, rc, &e);
}

static bool is_int(int type)
{
    return type == COLSTORE_TYPE_INT || type == COLSTORE_TYPE_SMALLINT ||
           type == COLSTORE_TYPE_INTEGER || type == COLSTORE_TYPE_BIGINT;
}

/* *out = v as a NUMERIC of `scale` digits, exactly; false when it does not fit or rounds. */
static bool rescale(const colstore_value *v, int scale, int64_t *out)
{
    const int from = v->type == COLSTORE_TYPE_NUMERIC ? v->scale : 0;
    if (from < 0 || from > MAX_SCALE) return false;
    int64_t x = v->i;
    for (int s = from; s < scale; s++) {
        if (x > INT64_MAX / 10 || x < INT64_MIN / 10) return false;
        x *= 10;
    }
    for (int s = scale; s < from; s++) {
        if (x % 10 != 0) return false;
        x /= 10;
    }
    *out = x;
    return true;
}

/* check_value() - the stored form of v for column col of r: *i for I64 and BOOL columns. */
static int check_value(
    const struct cs_result *r, size_t col, const colstore_value *v, int64_t *i, struct cs_error *e)
{
    const int t = r->types[col];
    bool ok;
    *i = v->i;
    switch (t) {
    case CS_TY_INT8:
        ok = is_int(v->type);
        break;
    case CS_TY_NUMERIC:
        ok = (is_int(v->type) || v->type == COLSTORE_TYPE_NUMERIC) && rescale(v, r->scales[col], i);
        break;
    case CS_TY_DATE:
        ok = v->type == COLSTORE_TYPE_DATE && v->i >= INT32_MIN && v->i <= INT32_MAX;
        break;
    case CS_TY_TIMESTAMPTZ:
        ok = v->type == COLSTORE_TYPE_TIMESTAMPTZ;
        break;
    case CS_TY_BOOL:
        ok = v->type == COLSTORE_TYPE_BOOL;
        *i = v->i != 0;
        break;
    default:
        ok = v->type == COLSTORE_TYPE_TEXT && (v->s != NULL || v->len == 0);
        break;
    }
    if (ok) return CS_OK;
    return cs_error_set(e, CS_EINVAL, "result_append: %s: a value of type %d does not fit",
                        r->names[col], v->type);
}

/* col_pop() - take back the last value pushed onto c. */
static void col_pop(struct cs_col *c)
{
    c->len--;
    if (c->nulls != NULL && c->nulls[c->len]) {
        c->nulls[c->len] = 0;
        c->null_count--;
    }
    if (c->kind == CS_K_STR) c->data_len = c->off[c->len];
}

static bool push(struct cs_col *col, const colstore_value *v, int64_t i)
{
    if (v->type == COLSTORE_TYPE_NULL) return cs_col_push_null(col);
    if (col->kind == CS_K_BOOL) return cs_col_push_bool(col, i != 0);
    if (col->kind == CS_K_I64) return cs_col_push_i64(col, i);
    return cs_col_push_str(col, v->len > 0 ? v->s : "", v->len);
}

int colstore_result_append(colstore_result *r, const colstore_value *values, colstore_error *err)
{
    struct cs_error e = {0};
    int64_t iv[CS_RESULT_MAX_COLS] = {0};
    size_t pushed = 0;
    int rc = CS_OK;
    if (r == NULL || values == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "result_append: result and values are required");
        goto done;
    }
    struct cs_result *cr = r->r;
    for (size_t c = 0; c < cr->ncols && rc == CS_OK; c++) {
        if (values[c].type != COLSTORE_TYPE_NULL) rc = check_value(cr, c, &values[c], &iv[c], &e);
    }
    if (rc != CS_OK) goto done;
    while (pushed < cr->ncols && push(&cr->cols[pushed], &values[pushed], iv[pushed]))
        pushed++;
    /* texts already made (colstore_result_text) are kept in rows * ncols slots */
    assert(cr->ncols > 0); /* check_columns() */
    if (pushed == cr->ncols && r->text != NULL) {
        char **t = realloc(r->text, (cr->rows + 1) * cr->ncols * sizeof(*t));
        if (t != NULL) {
            memset(t + cr->rows * cr->ncols, 0, cr->ncols * sizeof(*t));
            r->text = t;
        } else {
            pushed = SIZE_MAX; /* every column pushed: take them all back */
        }
    }
    if (pushed == cr->ncols) {
        cr->rows++;
        goto done;
    }
    /* the row goes in whole or not at all */
    for (size_t k = 0; k < (pushed == SIZE_MAX ? cr->ncols : pushed); k++)
        col_pop(&cr->cols[k]);
    rc = cs_error_set(&e, CS_ENOMEM, "out of memory");
done:
    return cs_engine_return(err, rc, &e);
}
