/*
 * psql's default aligned output (border 1) of a result (see format.h): header names centered,
 * a rule of '-' joined by '+', numbers right-aligned, text left-aligned and not padded in the
 * last column, then "(N rows)" and a blank line. A value with newlines takes several lines,
 * each but its last ending with '+'; tabs are expanded to 8-column stops and control
 * characters escaped, as psql's fe_utils/print.c and mbprint.c lay them out. Checked against
 * psql 15's output (tests/diff/run.sh compares every report in both formats).
 */
#include "query/format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/base/pgtext.h"

/* East Asian wide and combining ranges, a compact form of psql's ucs_wcwidth tables. */
static int ucs_width(uint32_t u)
{
    if (u == 0) return 0;
    if ((u >= 0x0300 && u <= 0x036F) || (u >= 0x0483 && u <= 0x0489) ||
        (u >= 0x0591 && u <= 0x05BD) || (u >= 0x1AB0 && u <= 0x1AFF) ||
        (u >= 0x1DC0 && u <= 0x1DFF) || (u >= 0x200B && u <= 0x200F) ||
        (u >= 0x20D0 && u <= 0x20FF) || (u >= 0xFE00 && u <= 0xFE0F) ||
        (u >= 0xFE20 && u <= 0xFE2F))
        return 0;
    if ((u >= 0x1100 && u <= 0x115F) || (u >= 0x2E80 && u <= 0xA4CF && u != 0x303F) ||
        (u >= 0xAC00 && u <= 0xD7A3) || (u >= 0xF900 && u <= 0xFAFF) ||
        (u >= 0xFE30 && u <= 0xFE6F) || (u >= 0xFF00 && u <= 0xFF60) ||
        (u >= 0xFFE0 && u <= 0xFFE6) || (u >= 0x1F300 && u <= 0x1F64F) ||
        (u >= 0x1F900 && u <= 0x1F9FF) || (u >= 0x20000 && u <= 0x2FFFD) ||
        (u >= 0x30000 && u <= 0x3FFFD))
        return 2;
    return 1;
}

/* One character of UTF-8 text as psql's aligned format shows it (fe_utils/mbprint.c):
 * *bytes it takes in s, and what is printed — the character itself, or spaces for a tab (to
 * the next multiple of 8 columns), or an escape (\r, \xNN for other ASCII controls, \uNNNN for
 * C1 controls). Returns the display columns it adds to a line at column `col`, or -1 for a
 * newline (which ends the line). `out` (>= 8 bytes) receives the printed bytes, *out_len their
 * count; NULL when the character prints as itself. */
static int
show_char(const unsigned char *s, size_t len, size_t col, size_t *bytes, char *out, size_t *out_len)
{
    const unsigned char c = s[0];
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 1;
    if (n > len) n = len;
    *bytes = n;
    *out_len = 0;
    if (n == 1) {
        if (c == '\n') return -1;
        if (c == '\r') {
            memcpy(out, "\\r", 2); // NOLINT(bugprone-not-null-terminated-result): counted bytes
            *out_len = 2;
            return 2;
        }
        if (c == '\t') {
            const size_t w = 8 - col % 8;
            memset(out, ' ', w);
            *out_len = w;
            return (int)w;
        }
        if (c < 0x20 || c == 0x7F) {
            *out_len = (size_t)snprintf(out, 8, "\\x%02X", c);
            return 4;
        }
        return 1;
    }
    uint32_t u = (uint32_t)(c & (0x7F >> n));
    for (size_t k = 1; k < n; k++)
        u = (u << 6) | (s[k] & 0x3F);
    if (u >= 0x80 && u < 0xA0) {
        *out_len = (size_t)snprintf(out, 8, "\\u%04X", (unsigned)u);
        return 6;
    }
    return ucs_width(u);
}

size_t cs_text_display_width(const char *s, size_t len)
{
    size_t w = 0, line = 0;
    char esc[8];
    for (size_t i = 0; i < len;) {
        size_t n, elen;
        const int cw = show_char((const unsigned char *)s + i, len - i, line, &n, esc, &elen);
        if (cw < 0) {
            if (line > w) w = line;
            line = 0;
        } else {
            line += (size_t)cw;
        }
        i += n;
    }
    return line > w ? line : w;
}

/* A cell as psql lays it out: its lines (newlines split it), each with the bytes to print and
 * its display width. One per column, reused from row to row. */
struct cell {
    char *buf; /* the lines' bytes back to back */
    size_t len, cap;
    size_t *start, *bytes, *width; /* per line */
    size_t lines, lines_cap;
};

static bool cell_put(struct cell *c, const char *p, size_t n)
{
    if (c->buf == NULL || c->len + n > c->cap) {
        size_t cap = c->cap < 64 ? 64 : c->cap;
        while (cap < c->len + n)
            cap *= 2;
        char *b = realloc(c->buf, cap);
        if (b == NULL) return false;
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    return true;
}

static bool cell_new_line(struct cell *c)
{
    if (c->lines == c->lines_cap) {
        const size_t cap = c->lines_cap < 4 ? 4 : 2 * c->lines_cap;
        size_t *a = realloc(c->start, cap * sizeof(*a));
        if (a != NULL) c->start = a;
        size_t *b = realloc(c->bytes, cap * sizeof(*b));
        if (b != NULL) c->bytes = b;
        size_t *w = realloc(c->width, cap * sizeof(*w));
        if (w != NULL) c->width = w;
        if (a == NULL || b == NULL || w == NULL) return false;
        c->lines_cap = cap;
    }
    c->start[c->lines] = c->len;
    c->bytes[c->lines] = 0;
    c->width[c->lines] = 0;
    c->lines++;
    return true;
}

/* cell_format() - lay text s[0..len) out into c (pg_wcsformat). */
static bool cell_format(struct cell *c, const char *s, size_t len)
{
    c->len = 0;
    c->lines = 0;
    if (!cell_new_line(c)) return false;
    char esc[8];
    for (size_t i = 0; i < len;) {
        size_t n, elen;
        const size_t l = c->lines - 1;
        const int cw =
            show_char((const unsigned char *)s + i, len - i, c->width[l], &n, esc, &elen);
        if (cw < 0) {
            if (!cell_new_line(c)) return false;
        } else {
            if (!cell_put(c, elen > 0 ? esc : s + i, elen > 0 ? elen : n)) return false;
            c->bytes[l] = c->len - c->start[l];
            c->width[l] += (size_t)cw;
        }
        i += n;
    }
    return true;
}

static void cell_free(struct cell *c)
{
    free(c->buf);
    free(c->start);
    free(c->bytes);
    free(c->width);
}

static bool right_aligned(int type)
{
    return type == CS_TY_INT4 || type == CS_TY_INT8 || type == CS_TY_NUMERIC ||
           type == CS_TY_FLOAT8;
}

static void pad(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', out);
}

static void table_header(FILE *out, const struct cs_result *r, const size_t *width)
{
    fputc(' ', out);
    for (size_t j = 0; j < r->ncols; j++) {
        if (j > 0) fputs(" | ", out);
        const size_t len = strlen(r->names[j]);
        const size_t w = cs_text_display_width(r->names[j], len);
        const size_t left = (width[j] - w) / 2;
        pad(out, left);
        if (len > 0) fwrite(r->names[j], 1, len, out);
        pad(out, width[j] - w - left);
    }
    fputs(" \n", out);
    for (size_t j = 0; j < r->ncols; j++) {
        if (j > 0) fputc('+', out);
        for (size_t k = 0; k < width[j] + 2; k++)
            fputc('-', out);
    }
    fputc('\n', out);
}

/* table_row() - row i, one output line per line of its tallest cell. A cell continued on the
 * next line ends with '+' where the column's trailing space would be; a column with no line
 * left is blank (the last column then prints nothing after its leading space). */
static bool
table_row(FILE *out, const struct cs_result *r, const size_t *width, size_t i, struct cell *cells)
{
    char buf[CS_FMT_MAX];
    size_t lines = 0;
    for (size_t j = 0; j < r->ncols; j++) {
        const char *text;
        int is_null;
        const size_t len = cs_result_value_text(r, j, i, buf, &text, &is_null);
        if (!cell_format(&cells[j], text, len)) return false;
        if (cells[j].lines > lines) lines = cells[j].lines;
    }
    for (size_t l = 0; l < lines; l++) {
        for (size_t j = 0; j < r->ncols; j++) {
            const struct cell *c = &cells[j];
            const bool last = j + 1 == r->ncols;
            fputc(' ', out);
            if (l >= c->lines) {
                if (!last) pad(out, width[j] + 1);
            } else {
                const bool more = l + 1 < c->lines;
                const size_t w = c->width[l];
                if (right_aligned(r->types[j])) pad(out, width[j] - w);
                if (c->bytes[l] > 0) fwrite(c->buf + c->start[l], 1, c->bytes[l], out);
                if (!right_aligned(r->types[j]) && (!last || more)) pad(out, width[j] - w);
                if (more)
                    fputc('+', out);
                else if (!last)
                    fputc(' ', out);
            }
            if (!last) fputc('|', out);
        }
        fputc('\n', out);
    }
    return true;
}

int cs_result_write_table(FILE *out, const struct cs_result *r, struct cs_error *err)
{
    size_t width[CS_RESULT_MAX_COLS];
    struct cell cells[CS_RESULT_MAX_COLS];
    char buf[CS_FMT_MAX];
    memset(cells, 0, sizeof(cells));
    for (size_t j = 0; j < r->ncols; j++) {
        width[j] = cs_text_display_width(r->names[j], strlen(r->names[j]));
        for (size_t i = 0; i < r->rows; i++) {
            const char *text;
            int is_null;
            const size_t len = cs_result_value_text(r, j, i, buf, &text, &is_null);
            const size_t w = cs_text_display_width(text, len);
            if (w > width[j]) width[j] = w;
        }
    }
    table_header(out, r, width);
    bool ok = true;
    for (size_t i = 0; i < r->rows && ok; i++)
        ok = table_row(out, r, width, i, cells);
    for (size_t j = 0; j < r->ncols; j++)
        cell_free(&cells[j]);
    if (!ok) return cs_error_set(err, CS_ENOMEM, "out of memory");
    fprintf(out, "(%zu %s)\n\n", r->rows, r->rows == 1 ? "row" : "rows");
    if (fflush(out) != 0 || ferror(out)) {
        return cs_error_set(err, CS_EIO, "could not write the result: %s", strerror(errno));
    }
    return CS_OK;
}
