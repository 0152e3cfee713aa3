/*
 * colstore_report and the result cursor: report name + parameters → query/ → a result that
 * callers iterate (names, types, NULLs, values as numbers and as text) or print.
 */
#include "engine/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/format.h"
#include "query/report.h"
#include "storage/base/pgtext.h"

typedef int (*report_fn)(struct cs_snap *,
                         const struct cs_report_params *,
                         struct cs_result **,
                         struct cs_error *);

static const struct {
    const char *name;
    report_fn fn;
    int default_days;
} reports[] = {
    {"agent-performance", cs_report_agent_performance, 7},
    {"approval-queue", cs_report_approval_queue, 0},
    {"training-quality", cs_report_training_quality, 30},
    {"daily-agg", cs_report_daily_agg, 0},
};

static int year_of_days(int64_t days)
{
    int64_t y;
    unsigned m, d;
    cs_civil_from_days(days, &y, &m, &d);
    return (int)y;
}

/* The first version of colstore_report_params ended with `recompute`. */
#define REPORT_PARAMS_V1_SIZE (offsetof(colstore_report_params, recompute) + sizeof(bool))

static int parse_date_param(const char *name, const char *s, int64_t *days, struct cs_error *e)
{
    if (s == NULL || cs_engine_parse_date(s, days)) return CS_OK;
    return cs_error_set(e, CS_EINPUT, "%s: invalid date \"%s\" (expected YYYY-MM-DD)", name, s);
}

static int fill_params(const colstore_report_params *caller,
                       int default_days,
                       struct cs_report_params *p,
                       struct cs_error *e)
{
    const int64_t today = cs_engine_today_days();
    memset(p, 0, sizeof(*p));
    p->as_of_days = today;
    p->days = default_days;
    p->year = year_of_days(today);
    p->from_days = p->to_days = today - 1;
    if (caller == NULL) return CS_OK;
    colstore_report_params in = COLSTORE_REPORT_PARAMS_INIT;
    int rc = cs_engine_read_options(&in, sizeof(in), caller, REPORT_PARAMS_V1_SIZE,
                                    "colstore_report_params", e);
    if (rc == CS_OK) rc = parse_date_param("as_of", in.as_of, &p->as_of_days, e);
    if (rc == CS_OK) rc = parse_date_param("from", in.from, &p->from_days, e);
    if (rc == CS_OK) rc = parse_date_param("to", in.to, &p->to_days, e);
    if (rc != CS_OK) return rc;
    if (in.days < -1 || in.days > 100000)
        return cs_error_set(e, CS_EINPUT, "days: %d is out of range 0..100000 (-1: the default)",
                            in.days);
    if (in.days >= 0) p->days = in.days;
    if (in.year != 0) {
        if (in.year < 1 || in.year > 9999)
            return cs_error_set(e, CS_EINPUT, "year: %d is out of range 1..9999", in.year);
        p->year = in.year;
    }
    if (p->from_days > p->to_days)
        return cs_error_set(e, CS_EINPUT, "from (%s) is after to (%s): the range is empty",
                            in.from != NULL ? in.from : "yesterday",
                            in.to != NULL ? in.to : "yesterday");
    p->recompute = in.recompute;
    return CS_OK;
}

/* run_report() - report `name` on snap (NULL: a snapshot of the store's newest version). */
static int run_report(colstore_store *store,
                      struct cs_snap *snap,
                      const char *name,
                      const colstore_report_params *params,
                      colstore_result **out,
                      struct cs_error *e)
{
    struct cs_snap *own = NULL;
    colstore_result *res = NULL;
    struct cs_report_params p;
    size_t i = 0;
    while (i < sizeof(reports) / sizeof(reports[0]) && strcmp(reports[i].name, name) != 0)
        i++;
    if (i == sizeof(reports) / sizeof(reports[0]))
        return cs_error_set(e, CS_EINVAL, "unknown report \"%s\"", name);
    int rc = fill_params(params, reports[i].default_days, &p, e);
    if (rc != CS_OK) goto done;
    res = calloc(1, sizeof(*res));
    if (res == NULL) {
        rc = cs_error_set(e, CS_ENOMEM, "out of memory");
        goto done;
    }
    if (snap == NULL) {
        rc = cs_snap_open(store->st, &own, e);
        if (rc != CS_OK) goto done;
    }
    rc = reports[i].fn(snap != NULL ? snap : own, &p, &res->r, e);
    if (rc != CS_OK) goto done;
    *out = res;
    res = NULL;
done:
    cs_snap_close(own);
    colstore_result_free(res);
    return rc;
}

int colstore_report(colstore_store *store,
                    const char *name,
                    const colstore_report_params *params,
                    colstore_result **out,
                    colstore_error *err)
{
    struct cs_error e = {0};
    int rc;
    if (out != NULL) *out = NULL;
    if (store == NULL || name == NULL || out == NULL)
        rc = cs_error_set(&e, CS_EINVAL, "report: store, name and out are required");
    else
        rc = run_report(store, NULL, name, params, out, &e);
    return cs_engine_return(err, rc, &e);
}

int colstore_snapshot_report(colstore_snapshot *snap,
                             const char *name,
                             const colstore_report_params *params,
                             colstore_result **out,
                             colstore_error *err)
{
    struct cs_error e = {0};
    int rc;
    if (out != NULL) *out = NULL;
    if (snap == NULL || name == NULL || out == NULL)
        rc = cs_error_set(&e, CS_EINVAL, "report: snapshot, name and out are required");
    else
        rc = run_report(snap->store, snap->snap, name, params, out, &e);
    return cs_engine_return(err, rc, &e);
}

void colstore_result_free(colstore_result *r)
{
    if (r == NULL) return;
    if (r->text != NULL && r->r != NULL) {
        for (size_t i = 0; i < r->r->rows * r->r->ncols; i++)
            free(r->text[i]);
    }
    free(r->text);
    for (size_t i = 0; i < sizeof(r->names) / sizeof(r->names[0]); i++)
        free(r->names[i]);
    cs_result_free(r->r);
    free(r);
}

colstore_result *cs_engine_result_wrap(struct cs_result *r)
{
    colstore_result *res = calloc(1, sizeof(*res));
    if (res != NULL) res->r = r;
    return res;
}

const struct cs_result *cs_engine_result(const colstore_result *r)
{
    return r->r;
}

size_t colstore_result_columns(const colstore_result *r)
{
    return r != NULL ? r->r->ncols : 0;
}

size_t colstore_result_rows(const colstore_result *r)
{
    return r != NULL ? r->r->rows : 0;
}

static bool in_range(const colstore_result *r, size_t row, size_t col)
{
    return r != NULL && col < r->r->ncols && row < r->r->rows;
}

const char *colstore_result_column_name(const colstore_result *r, size_t col)
{
    return r != NULL && col < r->r->ncols ? r->r->names[col] : NULL;
}

enum colstore_type colstore_result_column_type(const colstore_result *r, size_t col)
{
    if (r == NULL || col >= r->r->ncols) return (enum colstore_type)0;
    switch (r->r->types[col]) {
    case CS_TY_INT4:
    case CS_TY_INT8:
        return COLSTORE_TYPE_INT;
    case CS_TY_NUMERIC:
        return COLSTORE_TYPE_NUMERIC;
    case CS_TY_DATE:
        return COLSTORE_TYPE_DATE;
    case CS_TY_BOOL:
        return COLSTORE_TYPE_BOOL;
    case CS_TY_TIMESTAMPTZ:
        return COLSTORE_TYPE_TIMESTAMPTZ;
    case CS_TY_FLOAT8:
        return COLSTORE_TYPE_DOUBLE;
    default:
        return COLSTORE_TYPE_TEXT;
    }
}

int colstore_result_column_scale(const colstore_result *r, size_t col)
{
    if (r == NULL || col >= r->r->ncols) return 0;
    return r->r->types[col] == CS_TY_NUMERIC ? r->r->scales[col] : 0;
}

int colstore_result_column_index(const colstore_result *r, const char *name)
{
    if (r == NULL || name == NULL) return -1;
    for (size_t i = 0; i < r->r->ncols; i++) {
        if (strcmp(r->r->names[i], name) == 0) return (int)i;
    }
    return -1;
}

bool colstore_result_is_null(const colstore_result *r, size_t row, size_t col)
{
    if (!in_range(r, row, col)) return true;
    return cs_col_is_null(&r->r->cols[col], row);
}

int64_t colstore_result_int(const colstore_result *r, size_t row, size_t col)
{
    if (!in_range(r, row, col) || cs_col_is_null(&r->r->cols[col], row)) return 0;
    const struct cs_col *c = &r->r->cols[col];
    if (c->kind == CS_K_I64) return c->i64[row];
    if (c->kind == CS_K_BOOL) return c->b8[row];
    return 0;
}

double colstore_result_double(const colstore_result *r, size_t row, size_t col)
{
    if (!in_range(r, row, col) || cs_col_is_null(&r->r->cols[col], row)) return NAN;
    const struct cs_col *c = &r->r->cols[col];
    if (c->kind == CS_K_BOOL) return c->b8[row];
    if (c->kind != CS_K_I64) return NAN;
    if (r->r->types[col] == CS_TY_FLOAT8) {
        double d;
        memcpy(&d, &c->i64[row], sizeof(d));
        return d;
    }
    double v = (double)c->i64[row];
    if (r->r->types[col] == CS_TY_NUMERIC) {
        for (int s = 0; s < r->r->scales[col]; s++)
            v /= 10.0;
    }
    return v;
}

/* The value of a non-NULL I64 cell of logical type `type`; false otherwise. */
static bool typed_i64(const colstore_result *r, size_t row, size_t col, int type, int64_t *v)
{
    if (!in_range(r, row, col) || r->r->types[col] != type) return false;
    const struct cs_col *c = &r->r->cols[col];
    if (c->kind != CS_K_I64 || cs_col_is_null(c, row)) return false;
    *v = c->i64[row];
    return true;
}

int32_t colstore_result_date(const colstore_result *r, size_t row, size_t col)
{
    int64_t v = 0;
    return typed_i64(r, row, col, CS_TY_DATE, &v) ? (int32_t)v : 0;
}

int64_t colstore_result_timestamptz(const colstore_result *r, size_t row, size_t col)
{
    int64_t v = 0;
    return typed_i64(r, row, col, CS_TY_TIMESTAMPTZ, &v) ? v : 0;
}

const char *colstore_result_text(colstore_result *r, size_t row, size_t col)
{
    if (!in_range(r, row, col)) return "";
    if (r->text == NULL) {
        r->text = calloc(r->r->rows * r->r->ncols, sizeof(*r->text));
        if (r->text == NULL) return NULL;
    }
    char **slot = &r->text[row * r->r->ncols + col];
    if (*slot != NULL) return *slot;
    char buf[CS_FMT_MAX];
    const char *text = NULL;
    int is_null = 0;
    const size_t len = cs_result_value_text(r->r, col, row, buf, &text, &is_null);
    if (is_null) return "";
    if (text == NULL) text = buf;
    char *copy = malloc(len + 1);
    if (copy == NULL) return NULL;
    memcpy(copy, text, len);
    copy[len] = '\0';
    *slot = copy;
    return copy;
}

_Static_assert((int)CS_OUT_TABLE == (int)COLSTORE_OUTPUT_TABLE &&
                   (int)CS_OUT_CSV == (int)COLSTORE_OUTPUT_CSV &&
                   (int)CS_OUT_JSON == (int)COLSTORE_OUTPUT_JSON,
               "output formats mirror colstore.h");

int colstore_result_write(const colstore_result *r,
                          FILE *out,
                          enum colstore_output output,
                          colstore_error *err)
{
    struct cs_error e = {0};
    int rc = CS_OK;
    if (r == NULL || out == NULL)
        rc = cs_error_set(&e, CS_EINVAL, "result_write: result and out are required");
    else if (output < COLSTORE_OUTPUT_TABLE || output > COLSTORE_OUTPUT_JSON)
        rc = cs_error_set(&e, CS_EINVAL, "result_write: invalid output %d", (int)output);
    else
        rc = cs_result_write(out, r->r, (int)output, &e);
    return cs_engine_return(err, rc, &e);
}
