/*
 * Rows → PostgreSQL export bytes (etl/dump.h), following COPY TO's output routines:
 *   text (CopyAttributeOutText): NULL is \N; backslash and the control characters \b \f \n
 *     \r \t \v are written as backslash escapes; every other byte as it is;
 *   CSV (CopyAttributeOutCSV): NULL is an empty unquoted field; a value is quoted when it is
 *     empty, contains ',', '"', '\r' or '\n', or is "\." in a one-column export; quotes inside
 *     are doubled. The header line names the visible columns the same way.
 * Values print through storage/base/pgtext.h (the same text the reports print); jsonb and
 * text[] are stored in PostgreSQL's output form already. Output is assembled in a 64 KiB
 * buffer and written with fwrite.
 */
#include "etl/dump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etl/parse.h"
#include "storage/base/pgtext.h"

#define FLUSH_BYTES (64u << 10)

static bool reserve(char **buf, const size_t *len, size_t *cap, size_t extra)
{
    if (*buf != NULL && *cap - *len >= extra) return true;
    size_t c = *cap < 128 ? 256 : 2 * *cap;
    if (c - *len < extra) c = *len + extra;
    char *q = realloc(*buf, c);
    if (q == NULL) return false;
    *buf = q;
    *cap = c;
    return true;
}

static char text_escape(unsigned char c)
{
    switch (c) {
    case '\\':
        return '\\';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '\v':
        return 'v';
    default:
        return 0;
    }
}

/* put_text() - s[0..n) escaped as COPY text; worst case doubles every byte. */
static bool put_text(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (!reserve(buf, len, cap, 2 * n)) return false;
    char *w = *buf + *len;
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        const char e = (c < 0x20 || c == '\\') ? text_escape(c) : 0;
        if (e != 0) {
            *w++ = '\\';
            *w++ = e;
        } else {
            *w++ = (char)c;
        }
    }
    *len = (size_t)(w - *buf);
    return true;
}

static bool csv_needs_quotes(const char *s, size_t n, bool single_column)
{
    if (n == 0) return true; /* the empty string, told apart from NULL */
    if (single_column && n == 2 && s[0] == '\\' && s[1] == '.') return true;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') return true;
    }
    return false;
}

static bool
put_csv(char **buf, size_t *len, size_t *cap, const char *s, size_t n, bool single_column)
{
    if (!reserve(buf, len, cap, 2 * n + 2)) return false;
    char *w = *buf + *len;
    if (!csv_needs_quotes(s, n, single_column)) {
        memcpy(w, s, n);
        *len += n;
        return true;
    }
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') *w++ = '"';
        *w++ = s[i];
    }
    *w++ = '"';
    *len = (size_t)(w - *buf);
    return true;
}

/* fixed_text() - the text of a non-string value into t (CS_FMT_MAX bytes); its length. */
static size_t
fixed_text(char *t, const struct cs_col *col, const struct cs_column_def *def, size_t row)
{
    switch (def->type) {
    case CS_TY_BOOL:
        return cs_fmt_bool(t, col->b8[row] != 0);
    case CS_TY_DATE:
        return cs_fmt_date(t, col->i64[row]);
    case CS_TY_TIMESTAMPTZ:
        return cs_fmt_timestamptz(t, col->i64[row]);
    case CS_TY_NUMERIC:
        return cs_fmt_numeric(t, col->i64[row], def->scale);
    case CS_TY_HASH16:
        return cs_fmt_hash16(t, col->fix16 + 16 * row);
    default:
        return cs_fmt_int(t, col->i64[row]);
    }
}

bool cs_dump_value(char **buf,
                   size_t *len,
                   size_t *cap,
                   const struct cs_col *col,
                   const struct cs_column_def *def,
                   size_t row,
                   int format,
                   bool single_column)
{
    if (cs_col_is_null(col, row)) {
        if (format == CS_FMT_CSV) return true;
        if (!reserve(buf, len, cap, 2)) return false;
        memcpy(*buf + *len, "\\N", 2);
        *len += 2;
        return true;
    }
    const char *s;
    size_t n;
    char t[CS_FMT_MAX];
    if (col->kind == CS_K_STR) {
        s = cs_col_str(col, row, &n);
    } else {
        n = fixed_text(t, col, def, row);
        s = t;
    }
    if (format == CS_FMT_CSV) return put_csv(buf, len, cap, s, n, single_column);
    return put_text(buf, len, cap, s, n);
}

struct out {
    FILE *f;
    char *buf;
    size_t len, cap;
};

static int flush(struct out *o, struct cs_error *err)
{
    if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len) {
        return cs_error_set(err, CS_EIO, "could not write the dump: %s", strerror(errno));
    }
    o->len = 0;
    return CS_OK;
}

/* put_row() - one line: cols[0..ncols) of row, separated, newline-terminated. */
static bool put_row(
    struct out *o, const struct cs_batch *b, size_t row, const int8_t *cols, int ncols, int format)
{
    const char sep = format == CS_FMT_CSV ? ',' : '\t';
    for (int i = 0; i < ncols; i++) {
        const int c = cols[i];
        if (i > 0 && !reserve(&o->buf, &o->len, &o->cap, 1)) return false;
        if (i > 0) o->buf[o->len++] = sep;
        if (!cs_dump_value(&o->buf, &o->len, &o->cap, &b->cols[c], &b->table->cols[c], row, format,
                           ncols == 1))
            return false;
    }
    if (!reserve(&o->buf, &o->len, &o->cap, 1)) return false;
    o->buf[o->len++] = '\n';
    return true;
}

static int visible_cols(const struct cs_table_def *t, int8_t *cols)
{
    int n = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (!(t->cols[c].flags & CS_COL_HIDDEN)) cols[n++] = (int8_t)c;
    }
    return n;
}

int cs_dump_header(FILE *out, const struct cs_table_def *t, int format, struct cs_error *err)
{
    if (format != CS_FMT_CSV) return CS_OK;
    int8_t cols[CS_MAX_COLS];
    const int n = visible_cols(t, cols);
    struct out o = {out, NULL, 0, 0};
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        const char *name = t->cols[cols[i]].name;
        if (i > 0 && (ok = reserve(&o.buf, &o.len, &o.cap, 1))) o.buf[o.len++] = ',';
        if (ok) ok = put_csv(&o.buf, &o.len, &o.cap, name, strlen(name), n == 1);
    }
    if (ok && (ok = reserve(&o.buf, &o.len, &o.cap, 1))) o.buf[o.len++] = '\n';
    int rc = ok ? flush(&o, err) : cs_error_set(err, CS_ENOMEM, "dump: out of memory");
    free(o.buf);
    return rc;
}

int cs_dump_row_cols(FILE *out,
                     const struct cs_batch *b,
                     size_t row,
                     const int8_t *cols,
                     int ncols,
                     int format,
                     struct cs_error *err)
{
    struct out o = {out, NULL, 0, 0};
    int rc = put_row(&o, b, row, cols, ncols, format)
                 ? flush(&o, err)
                 : cs_error_set(err, CS_ENOMEM, "dump: out of memory");
    free(o.buf);
    return rc;
}

int cs_dump_rows(FILE *out, const struct cs_batch *b, int format, struct cs_error *err)
{
    int8_t cols[CS_MAX_COLS];
    const int n = visible_cols(b->table, cols);
    struct out o = {out, NULL, 0, 0};
    int rc = CS_OK;
    for (size_t r = 0; r < b->rows && rc == CS_OK; r++) {
        if (!put_row(&o, b, r, cols, n, format)) {
            rc = cs_error_set(err, CS_ENOMEM, "dump: out of memory");
        } else if (o.len >= FLUSH_BYTES) {
            rc = flush(&o, err);
        }
    }
    if (rc == CS_OK) rc = flush(&o, err);
    free(o.buf);
    return rc;
}
