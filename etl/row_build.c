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

/* ---- the row being built, in place ----
 *
 * Values are parsed straight into slot `at` = col->len of each column (capacity reserved
 * first); strings are only referenced (they live in the record, scratch or arr until the row
 * is done). commit() then appends them and bumps the lengths. A bad row never reaches
 * commit(), so it leaves the batch as it was. */

struct row_slot {
    size_t at;                    /* the slot: rows of the batch */
    uint32_t nulls;               /* bit c: column c is NULL */
    const char *str[CS_MAX_COLS]; /* CS_K_STR values */
    size_t str_len[CS_MAX_COLS];
};

/* reserve_rows() - room for more rows in every column (values, NULL maps), doubling the full
 * ones; *room = rows that now fit in all of them. */
static bool reserve_rows(struct cs_batch *b, size_t *room)
{
    const int ncols = b->table->ncols;
    size_t fit = SIZE_MAX;
    for (int c = 0; c < ncols; c++) {
        struct cs_col *col = &b->cols[c];
        if (col->len >= col->cap && !cs_col_reserve(col, col->len + 1, 0)) return false;
        if (col->cap - col->len < fit) fit = col->cap - col->len;
    }
    *room = fit;
    return true;
}

/* reserve_bytes() - room for str_bytes more bytes in every string column. */
static bool reserve_bytes(struct cs_batch *b, size_t str_bytes)
{
    const int ncols = b->table->ncols;
    for (int c = 0; c < ncols; c++) {
        struct cs_col *col = &b->cols[c];
        if (col->kind == CS_K_STR && col->data_len + str_bytes > col->data_cap &&
            !cs_col_reserve(col, col->len + 1, col->data_len + str_bytes))
            return false;
    }
    return true;
}

/* put_value() - field text s[0..n) of column c into its slot. */
static bool put_value(struct cs_parser *p,
                      struct cs_batch *b,
                      int c,
                      const char *s,
                      size_t n,
                      struct row_slot *rs,
                      size_t *arr_used,
                      char *why)
{
    struct cs_col *col = &b->cols[c];
    const size_t at = rs->at;
    const int type = p->t->cols[c].type;
    switch (type) {
    case CS_TY_INT4:
    case CS_TY_INT8:
        if (n - 1 < 9) { /* 1..9 plain digits can't overflow either type */
            int64_t v = 0;
            size_t i = 0;
            for (; i < n && (unsigned)(s[i] - '0') <= 9u; i++)
                v = v * 10 + (s[i] - '0');
            if (i == n) {
                col->i64[at] = v;
                return true;
            }
        }
        return cs_vp_int(s, n, type, &col->i64[at], why);
    case CS_TY_BOOL: {
        bool v;
        if (n == 1 && (s[0] == 't' || s[0] == 'f'))
            v = s[0] == 't';
        else if (!cs_vp_bool(s, n, &v, why))
            return false;
        col->b8[at] = v;
        return true;
    }
    case CS_TY_TIMESTAMPTZ:
        return cs_vp_timestamptz_day(s, n, &p->day_cache, &col->i64[at], why);
    case CS_TY_HASH16:
        return cs_vp_hash16(s, n, col->fix16 + 16 * at, why);
    default:
        break;
    }
    struct cs_val v;
    if (!parse_value(p, c, s, n, &v, arr_used, why)) return false;
    if (col->kind == CS_K_STR) {
        rs->str[c] = v.s;
        rs->str_len[c] = v.len;
    } else {
        col->i64[at] = v.i; /* date, numeric */
    }
    return true;
}

/* put_default() - the default of column c (absent from the export) into its slot. */
static void put_default(const struct cs_parser *p, struct cs_batch *b, int c, struct row_slot *rs)
{
    const struct cs_val *v = &p->defaults[c];
    struct cs_col *col = &b->cols[c];
    if (v->null) {
        rs->nulls |= 1u << c;
        return;
    }
    switch (col->kind) {
    case CS_K_I64:
        col->i64[rs->at] = v->i;
        break;
    case CS_K_BOOL:
        col->b8[rs->at] = v->i != 0;
        break;
    case CS_K_STR:
        rs->str[c] = v->s;
        rs->str_len[c] = v->len;
        break;
    default:
        memcpy(col->fix16 + 16 * rs->at, v->h, 16);
        break;
    }
}

/* generated() - the table's generated column (schema: gen_col, the average of gen_args): fill
 * it in, or compare it. */
static bool
generated(struct cs_parser *p, struct cs_batch *b, struct row_slot *rs, bool present, char *why)
{
    const struct cs_table_def *t = p->t;
    const int gc = t->gen_col;
    if (gc < 0) return true;
    const size_t at = rs->at;
#define ARG(i) ((rs->nulls >> t->gen_args[i]) & 1u ? 0 : b->cols[t->gen_args[i]].i64[at])
    const int64_t want = cs_vp_overall_score(ARG(0), ARG(1), ARG(2));
#undef ARG
    int64_t *o = &b->cols[gc].i64[at];
    const bool o_null = (rs->nulls >> gc) & 1u;
    if (present && (o_null || *o != want)) {
        char got[CS_FMT_MAX], exp[CS_FMT_MAX];
        if (o_null)
            memcpy(got, "NULL", 5);
        else
            (void)cs_fmt_numeric(got, *o, 2);
        (void)cs_fmt_numeric(exp, want, 2);
        (void)snprintf(why, CS_VP_WHY_SIZE, "%s does not match the generated value %s", got, exp);
        return false;
    }
    rs->nulls &= ~(1u << gc);
    *o = want;
    return true;
}

/* constraints() - NOT NULL, then CHECK, in column order; the failing column or -1. */
static int constraints(const struct cs_parser *p,
                       const struct cs_batch *b,
                       const struct row_slot *rs,
                       char *why)
{
    const struct cs_table_def *t = p->t;
    const uint32_t missing = rs->nulls & p->not_null_mask;
    if (missing != 0) {
        (void)snprintf(why, CS_VP_WHY_SIZE, "null value violates not-null constraint");
        return __builtin_ctz(missing);
    }
    for (uint32_t m = p->check_mask & ~rs->nulls; m != 0; m &= m - 1) {
        const int c = __builtin_ctz(m);
        const int check = t->cols[c].check;
        if (check == CS_CHECK_SCORE) {
            const int64_t v = b->cols[c].i64[rs->at];
            if (v < 1 || v > 5) {
                (void)snprintf(why, CS_VP_WHY_SIZE, "value %lld violates check (1 to 5)",
                               (long long)v);
                return c;
            }
        } else if (!cs_check_allows_text(check, rs->str[c], rs->str_len[c])) {
            const int shown = (int)(rs->str_len[c] > 64 ? 64 : rs->str_len[c]);
            (void)snprintf(why, CS_VP_WHY_SIZE, "unrecognized value \"%.*s\"", shown, rs->str[c]);
            return c;
        }
    }
    return -1;
}

/* commit() - make the slot a row: NULL maps, strings, lengths. False (batch unchanged) when a
 * NULL map can't be allocated. */
static bool commit(struct cs_batch *b, const struct row_slot *rs)
{
    const int ncols = b->table->ncols;
    for (uint32_t m = rs->nulls; m != 0; m &= m - 1) {
        struct cs_col *col = &b->cols[__builtin_ctz(m)];
        if (col->nulls == NULL && (col->nulls = calloc(col->cap, 1)) == NULL) return false;
    }
    const size_t at = rs->at;
    for (int c = 0; c < ncols; c++) {
        struct cs_col *col = &b->cols[c];
        if ((rs->nulls >> c) & 1u) {
            col->nulls[at] = 1;
            col->null_count++;
            switch (col->kind) {
            case CS_K_I64:
                col->i64[at] = 0;
                break;
            case CS_K_BOOL:
                col->b8[at] = 0;
                break;
            case CS_K_STR:
                col->off[at + 1] = col->data_len;
                break;
            default:
                memset(col->fix16 + 16 * at, 0, 16);
                break;
            }
        } else {
            if (col->nulls != NULL) col->nulls[at] = 0;
            if (col->kind == CS_K_STR) {
                /* every column's slot is set: put_value() or put_default() */
                if (rs->str_len[c] > 0) // NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult)
                    memcpy(col->data + col->data_len, rs->str[c], rs->str_len[c]);
                col->data_len += rs->str_len[c];
                col->off[at + 1] = col->data_len;
            }
        }
        col->len = at + 1;
    }
    b->rows = at + 1;
    return true;
}

/* field_cols() - the column of each field for a record of nf fields, or NULL with why set. */
static const int8_t *field_cols(const struct cs_parser *p, int nf, char *why)
{
    if (nf == p->map.nfields) return p->map.col;
    if (p->map.alt_nfields != 0 && nf == p->map.alt_nfields) return p->map.alt_col;
    if (p->map.alt_nfields == 0) {
        (void)snprintf(why, CS_VP_WHY_SIZE, "expected %d fields, found %d", p->map.nfields, nf);
    } else {
        (void)snprintf(why, CS_VP_WHY_SIZE, "expected %d or %d fields, found %d",
                       p->map.alt_nfields, p->map.nfields, nf);
    }
    return NULL;
}

int cs_row_build(struct cs_parser *p,
                 const struct cs_record *rec,
                 struct cs_batch *b,
                 size_t *room,
                 const char **column,
                 char *why)
{
    const struct cs_table_def *t = p->t;
    *column = "row";
    const int nf = split(p, rec, column, why);
    if (nf == -2) return CS_ENOMEM;
    if (nf < 0) return CS_EINPUT;
    const int8_t *cols = field_cols(p, nf, why);
    if (cols == NULL) {
        cs_format_hint(p->format, rec->p, rec->len, why);
        return CS_EINPUT;
    }
    if (*room == 0 && !reserve_rows(b, room)) return CS_ENOMEM;
    if (p->has_str) {
        /* string values come from the record (or its unescaped/canonical copies): the
         * record's length, or a text[]'s canonical form, bounds their bytes */
        const size_t cap = cs_vp_text_array_cap(rec->len);
        if (!ensure(&p->arr, &p->arr_cap, cap) || !reserve_bytes(b, cap)) return CS_ENOMEM;
    }
    struct row_slot rs;
    rs.at = b->rows;
    rs.nulls = 0;
    uint32_t present = 0;
    size_t arr_used = 0;
    for (int i = 0; i < nf; i++) {
        const int c = cols[i];
        const struct cs_field *f = &p->fields[i];
        present |= 1u << c;
        if (f->null) {
            rs.nulls |= 1u << c;
        } else if (!put_value(p, b, c, f->p, f->len, &rs, &arr_used, why)) {
            *column = t->cols[c].name;
            return CS_EINPUT;
        }
    }
    for (uint32_t m = p->all_mask & ~present; m != 0; m &= m - 1)
        put_default(p, b, __builtin_ctz(m), &rs);
    const int bad = constraints(p, b, &rs, why);
    if (bad >= 0) {
        *column = t->cols[bad].name;
        return CS_EINPUT;
    }
    if (t->gen_col >= 0 && !generated(p, b, &rs, (present >> t->gen_col) & 1u, why)) {
        *column = t->cols[t->gen_col].name;
        return CS_EINPUT;
    }
    if (!commit(b, &rs)) return CS_ENOMEM;
    (*room)--;
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
        if (cs_type_kind(d->type) == CS_K_STR) p->has_str = true;
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
