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

struct colstore_result {
    struct cs_result *r;
    char text[CS_FMT_MAX];
    char *big; /* text values returned by colstore_result_text() */
    size_t big_cap;
};

typedef int (*report_fn)(struct cs_snap *, const struct cs_report_params *, struct cs_result **,
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

static int fill_params(const colstore_report_params *in,
                       int default_days,
                       struct cs_report_params *p,
                       colstore_error *err)
{
    const int64_t today = cs_engine_today_days();
    memset(p, 0, sizeof(*p));
    p->as_of_days = today;
    p->days = default_days;
    p->year = year_of_days(today);
    p->from_days = p->to_days = today - 1;
    if (in == NULL) return COLSTORE_OK;
    if (in->as_of != NULL && !cs_engine_parse_date(in->as_of, &p->as_of_days))
        return cs_engine_fail(err, COLSTORE_EINVAL, "--as-of: invalid date \"%s\"", in->as_of);
    if (in->from != NULL && !cs_engine_parse_date(in->from, &p->from_days))
        return cs_engine_fail(err, COLSTORE_EINVAL, "--from: invalid date \"%s\"", in->from);
    if (in->to != NULL && !cs_engine_parse_date(in->to, &p->to_days))
        return cs_engine_fail(err, COLSTORE_EINVAL, "--to: invalid date \"%s\"", in->to);
    if (in->days > 100000)
        return cs_engine_fail(err, COLSTORE_EINVAL, "--days: %d is out of range 0..100000", in->days);
    if (in->days >= 0) p->days = in->days;
    if (in->year != 0) {
        if (in->year < 1 || in->year > 9999)
            return cs_engine_fail(err, COLSTORE_EINVAL, "--year: %d is out of range", in->year);
        p->year = in->year;
    }
    p->recompute = in->recompute;
    return COLSTORE_OK;
}

/* run_report() - report `name` on snap (NULL: a snapshot of the store's newest version). */
static int run_report(colstore_store *store,
                      struct cs_snap *snap,
                      const char *name,
                      const colstore_report_params *params,
                      colstore_result **out,
                      colstore_error *err)
{
    size_t i = 0;
    while (i < sizeof(reports) / sizeof(reports[0]) && strcmp(reports[i].name, name) != 0) i++;
    if (i == sizeof(reports) / sizeof(reports[0]))
        return cs_engine_fail(err, COLSTORE_EINVAL, "unknown report \"%s\"", name);
    struct cs_report_params p;
    int rc = fill_params(params, reports[i].default_days, &p, err);
    if (rc != COLSTORE_OK) return rc;
    colstore_result *res = calloc(1, sizeof(*res));
    if (res == NULL) return cs_engine_fail(err, COLSTORE_ENOMEM, "out of memory");
    struct cs_error e = {0};
    struct cs_snap *own = NULL;
    rc = snap != NULL ? CS_OK : cs_snap_open(store->st, &own, &e);
    if (rc == CS_OK) rc = reports[i].fn(snap != NULL ? snap : own, &p, &res->r, &e);
    cs_snap_close(own);
    if (rc != CS_OK) {
        free(res);
        return cs_engine_error(err, &e);
    }
    *out = res;
    return cs_engine_ok(err);
}

int colstore_report(colstore_store *store,
                    const char *name,
                    const colstore_report_params *params,
                    colstore_result **out,
                    colstore_error *err)
{
    if (out != NULL) *out = NULL;
    if (store == NULL || name == NULL || out == NULL)
        return cs_engine_fail(err, COLSTORE_EINVAL, "report: store, name and out are required");
    return run_report(store, NULL, name, params, out, err);
}

int colstore_snapshot_report(colstore_snapshot *snap,
                             const char *name,
                             const colstore_report_params *params,
                             colstore_result **out,
                             colstore_error *err)
{
    if (out != NULL) *out = NULL;
    if (snap == NULL || name == NULL || out == NULL)
        return cs_engine_fail(err, COLSTORE_EINVAL, "report: snapshot, name and out are required");
    return run_report(snap->store, snap->snap, name, params, out, err);
}

void colstore_result_free(colstore_result *r)
{
    if (r == NULL) return;
    cs_result_free(r->r);
    free(r->big);
    free(r);
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

int colstore_result_column_type(const colstore_result *r, size_t col)
{
    if (r == NULL || col >= r->r->ncols) return 0;
    switch (r->r->types[col]) {
    case CS_TY_INT4:
    case CS_TY_INT8: return COLSTORE_TYPE_INT;
    case CS_TY_NUMERIC: return COLSTORE_TYPE_NUMERIC;
    case CS_TY_DATE: return COLSTORE_TYPE_DATE;
    case CS_TY_BOOL: return COLSTORE_TYPE_BOOL;
    case CS_TY_TIMESTAMPTZ: return COLSTORE_TYPE_TIMESTAMP;
    default: return COLSTORE_TYPE_TEXT;
    }
}

int colstore_result_column_scale(const colstore_result *r, size_t col)
{
    if (r == NULL || col >= r->r->ncols) return 0;
    return r->r->types[col] == CS_TY_NUMERIC ? r->r->scales[col] : 0;
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
    double v = (double)c->i64[row];
    if (r->r->types[col] == CS_TY_NUMERIC) {
        for (int s = 0; s < r->r->scales[col]; s++) v /= 10.0;
    }
    return v;
}

const char *colstore_result_text(colstore_result *r, size_t row, size_t col)
{
    if (!in_range(r, row, col)) return "";
    const char *text = NULL;
    int is_null = 0;
    size_t len = cs_result_value_text(r->r, col, row, r->text, &text, &is_null);
    if (is_null) return "";
    if (text == NULL || text == r->text) return r->text;
    if (len + 1 > r->big_cap) {
        char *p = realloc(r->big, len + 1);
        if (p == NULL) return "";
        r->big = p;
        r->big_cap = len + 1;
    }
    memcpy(r->big, text, len);
    r->big[len] = '\0';
    return r->big;
}

int colstore_result_write(const colstore_result *r, FILE *out, int output, colstore_error *err)
{
    if (r == NULL || out == NULL)
        return cs_engine_fail(err, COLSTORE_EINVAL, "result_write: result and out are required");
    if (output < COLSTORE_OUTPUT_TABLE || output > COLSTORE_OUTPUT_JSON)
        return cs_engine_fail(err, COLSTORE_EINVAL, "result_write: invalid output %d", output);
    _Static_assert((int)CS_OUT_TABLE == (int)COLSTORE_OUTPUT_TABLE && (int)CS_OUT_CSV == (int)COLSTORE_OUTPUT_CSV &&
                       (int)CS_OUT_JSON == (int)COLSTORE_OUTPUT_JSON,
                   "output formats mirror colstore.h");
    struct cs_error e = {0};
    int rc = cs_result_write(out, r->r, output, &e);
    if (rc != CS_OK) return cs_engine_error(err, &e);
    return COLSTORE_OK;
}
