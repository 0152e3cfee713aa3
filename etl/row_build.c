/*
 * One record → one checked row (see cs_row_build in parse_internal.h).
 *
 * Order of checks, as PostgreSQL's COPY FROM meets them: field count; each field's value in
 * field order (syntax, range, UTF-8); columns the export lacks get their default; NOT NULL;
 * CHECK; the generated overall_score is computed (and compared when the export has it).
 * Values are staged in a struct cs_val per column and appended only when the whole row
 * passes, so a bad row leaves the batch untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/parse_internal.h"
#include "storage/base/pgtext.h"

static bool ensure(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return true;
    size_t c = *cap < 4096 ? 4096 : *cap;
    while (c < need)
        c *= 2;
    char *q = realloc(*buf, c);
    if (q == NULL) return false;
    *buf = q;
    *cap = c;
    return true;
}

/* parse_value() - field text s[0..n) of column c into v. */
static bool parse_value(struct cs_parser *p,
                        int c,
                        const char *s,
                        size_t n,
                        struct cs_val *v,
                        size_t *arr_used,
                        char *why)
{
    const struct cs_column_def *d = &p->t->cols[c];
    v->null = false;
    switch (d->type) {
    case CS_TY_INT4:
    case CS_TY_INT8:
        return cs_vp_int(s, n, d->type, &v->i, why);
    case CS_TY_BOOL: {
        bool b;
        if (!cs_vp_bool(s, n, &b, why)) return false;
        v->i = b;
        return true;
    }
    case CS_TY_DATE:
        return cs_vp_date(s, n, &v->i, why);
    case CS_TY_TIMESTAMPTZ:
        return cs_vp_timestamptz(s, n, &v->i, why);
    case CS_TY_NUMERIC:
        return cs_vp_numeric(s, n, d->scale, p->precision[c], &v->i, why);
    case CS_TY_HASH16:
        return cs_vp_hash16(s, n, v->h, why);
    default:
        break;
    }
    if (!cs_vp_utf8(s, n, why)) return false;
    v->s = s;
    v->len = n;
    if (d->type == CS_TY_JSONB) return cs_vp_json(s, n, why);
    if (d->type != CS_TY_TEXT_ARRAY) return true;
    /* arr was sized for the record before parsing started: never reallocated here */
    char *out = p->arr + *arr_used;
    if (!cs_vp_text_array(s, n, out, p->arr_cap - *arr_used, &v->len, why)) return false;
    v->s = out;
    *arr_used += v->len;
    return true;
}

/* split() - fields of rec into p->fields; the count, or -1 with *column/why set. */
static int split(struct cs_parser *p, const struct cs_record *rec, const char **column, char *why)
{
    if (!ensure(&p->scratch, &p->scratch_cap, rec->len + 1)) return -2;
    int bad = 0;
    const int nf =
        p->format == CS_FMT_TEXT
            ? cs_text_split(rec->p, rec->len, p->fields, CS_MAX_COLS + 1, p->scratch, &bad)
            : cs_csv_split(rec->p, rec->len, p->fields, CS_MAX_COLS + 1, p->scratch, &bad);
    if (nf < 0) {
        const int8_t *cols = p->map.col;
        *column = bad < p->map.nfields ? p->t->cols[cols[bad]].name : "row";
        (void)snprintf(why, CS_VP_WHY_SIZE, "%s",
                       p->format == CS_FMT_TEXT ? "end-of-copy marker corrupt"
                                                : "unterminated quoted field");
    }
    return nf;
}

/* generated() - overall_score of fact_training: fill it in, or compare it. */
static bool generated(struct cs_parser *p, struct cs_val *v, bool present, char *why)
{
    if (p->t->id != CS_T_FACT_TRAINING) return true;
    const int64_t want = cs_vp_overall_score(v[CS_FT_CLARITY].null ? 0 : v[CS_FT_CLARITY].i,
                                             v[CS_FT_ACCURACY].null ? 0 : v[CS_FT_ACCURACY].i,
                                             v[CS_FT_TONE].null ? 0 : v[CS_FT_TONE].i);
    struct cs_val *o = &v[CS_FT_OVERALL];
    if (present && (o->null || o->i != want)) {
        char got[CS_FMT_MAX], exp[CS_FMT_MAX];
        if (o->null)
            memcpy(got, "NULL", 5);
        else
            (void)cs_fmt_numeric(got, o->i, 2);
        (void)cs_fmt_numeric(exp, want, 2);
        (void)snprintf(why, CS_VP_WHY_SIZE, "%s does not match the generated value %s", got, exp);
        return false;
    }
    o->null = false;
    o->i = want;
    return true;
}

/* constraints() - NOT NULL, then CHECK, in column order; the failing column or -1. `nulls` has
 * bit c set when column c is NULL. */
static int constraints(const struct cs_parser *p, const struct cs_val *v, uint32_t nulls, char *why)
{
    const struct cs_table_def *t = p->t;
    const uint32_t missing = nulls & p->not_null_mask;
    if (missing != 0) {
        (void)snprintf(why, CS_VP_WHY_SIZE, "null value violates not-null constraint");
        return __builtin_ctz(missing);
    }
    for (uint32_t m = p->check_mask & ~nulls; m != 0; m &= m - 1) {
        const int c = __builtin_ctz(m);
        const int check = t->cols[c].check;
        if (check == CS_CHECK_SCORE) {
            if (v[c].i < 1 || v[c].i > 5) {
                (void)snprintf(why, CS_VP_WHY_SIZE, "value %lld violates check (1 to 5)",
                               (long long)v[c].i);
                return c;
            }
        } else if (!cs_check_allows_text(check, v[c].s, v[c].len)) {
            const int shown = (int)(v[c].len > 64 ? 64 : v[c].len);
            (void)snprintf(why, CS_VP_WHY_SIZE, "unrecognized value \"%.*s\"", shown, v[c].s);
            return c;
        }
    }
    return -1;
}

static bool push_row(struct cs_batch *b, const struct cs_val *v)
{
    const struct cs_table_def *t = b->table;
    for (int c = 0; c < t->ncols; c++) {
        struct cs_col *col = &b->cols[c];
        bool ok;
        if (v[c].null)
            ok = cs_col_push_null(col);
        else if (col->kind == CS_K_I64)
            ok = cs_col_push_i64(col, v[c].i);
        else if (col->kind == CS_K_BOOL)
            ok = cs_col_push_bool(col, v[c].i != 0);
        else if (col->kind == CS_K_STR)
            ok = cs_col_push_str(col, v[c].s, v[c].len);
        else
            ok = cs_col_push_fix16(col, v[c].h);
        if (!ok) return false;
    }
    b->rows++;
    return true;
}

/* truncate_row() - undo a partially appended row (only after running out of memory). */
static void truncate_row(struct cs_batch *b)
{
    for (int c = 0; c < b->table->ncols; c++) {
        struct cs_col *col = &b->cols[c];
        if (col->len <= b->rows) continue;
        col->len = b->rows;
        if (col->nulls != NULL && col->nulls[b->rows]) col->null_count--;
        if (col->kind == CS_K_STR) col->data_len = col->off[b->rows];
    }
}

int cs_row_build(struct cs_parser *p,
                 const struct cs_record *rec,
                 struct cs_batch *b,
                 const char **column,
                 char *why)
{
    const struct cs_table_def *t = p->t;
    *column = "row";
    const int nf = split(p, rec, column, why);
    if (nf == -2) return CS_ENOMEM;
    if (nf < 0) return CS_EINPUT;
    const int8_t *cols = p->map.col;
    if (nf != p->map.nfields) {
        if (p->map.alt_nfields == 0 || nf != p->map.alt_nfields) {
            if (p->map.alt_nfields == 0) {
                (void)snprintf(why, CS_VP_WHY_SIZE, "expected %d fields, found %d", p->map.nfields,
                               nf);
            } else {
                (void)snprintf(why, CS_VP_WHY_SIZE, "expected %d or %d fields, found %d",
                               p->map.alt_nfields, p->map.nfields, nf);
            }
            return CS_EINPUT;
        }
        cols = p->map.alt_col;
    }
    if (!ensure(&p->arr, &p->arr_cap, cs_vp_text_array_cap(rec->len))) return CS_ENOMEM;
    struct cs_val v[CS_MAX_COLS];
    uint32_t present = 0, nulls = 0;
    size_t arr_used = 0;
    for (int i = 0; i < nf; i++) {
        const int c = cols[i];
        const struct cs_field *f = &p->fields[i];
        present |= 1u << c;
        if (f->null) {
            v[c].null = true;
            nulls |= 1u << c;
        } else if (!parse_value(p, c, f->p, f->len, &v[c], &arr_used, why)) {
            *column = t->cols[c].name;
            return CS_EINPUT;
        }
    }
    for (uint32_t m = p->all_mask & ~present; m != 0; m &= m - 1) {
        const int c = __builtin_ctz(m);
        v[c] = p->defaults[c];
        if (v[c].null) nulls |= 1u << c;
    }
    const int bad = constraints(p, v, nulls, why);
    if (bad >= 0) {
        *column = t->cols[bad].name;
        return CS_EINPUT;
    }
    if (!generated(p, v, (present >> CS_FT_OVERALL) & 1u, why)) {
        *column = t->cols[CS_FT_OVERALL].name;
        return CS_EINPUT;
    }
    if (!push_row(b, v)) {
        truncate_row(b);
        return CS_ENOMEM;
    }
    return CS_OK;
}

int cs_row_defaults(struct cs_parser *p, struct cs_error *err)
{
    const struct cs_table_def *t = p->t;
    p->all_mask = t->ncols >= 32 ? ~0u : (1u << t->ncols) - 1u;
    p->not_null_mask = p->check_mask = 0;
    for (int c = 0; c < t->ncols; c++) {
        const struct cs_column_def *d = &t->cols[c];
        struct cs_val *v = &p->defaults[c];
        if (d->flags & CS_COL_NOT_NULL) p->not_null_mask |= 1u << c;
        if (d->check != CS_CHECK_NONE) p->check_mask |= 1u << c;
        memset(v, 0, sizeof(*v));
        v->null = true;
        p->precision[c] = (int8_t)cs_vp_numeric_precision(t, c);
        if (d->flags & CS_COL_DEFAULT_NOW) {
            v->null = false;
            v->i = p->now_us;
        } else if (d->def != NULL && !(d->flags & CS_COL_HIDDEN)) {
            char why[CS_VP_WHY_SIZE];
            size_t used = 0;
            const size_t n = strlen(d->def);
            if (!ensure(&p->arr, &p->arr_cap, cs_vp_text_array_cap(n)) ||
                !parse_value(p, c, d->def, n, v, &used, why) ||
                v->len >= sizeof(p->default_text[c])) {
                return cs_error_set(err, CS_EINVAL, "%s.%s: bad default", t->name, d->name);
            }
            if (d->type == CS_TY_TEXT || d->type == CS_TY_JSONB || d->type == CS_TY_TEXT_ARRAY) {
                memcpy(p->default_text[c], v->s, v->len);
                v->s = p->default_text[c];
            }
        }
    }
    return CS_OK;
}
