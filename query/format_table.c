/*
 * psql's default aligned output (border 1) of a result (see format.h): header names centered,
 * a rule of '-' joined by '+', numbers right-aligned, text left-aligned and not padded in the
 * last column, then "(N rows)" and a blank line. Checked against psql 15's output.
 */
#include "query/format.h"

#include <errno.h>
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

size_t cs_text_display_width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        const unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (i + n > len) n = len - i;
        uint32_t u = n == 1 ? c : (uint32_t)(c & (0x7F >> n));
        for (size_t k = 1; k < n; k++)
            u = (u << 6) | ((unsigned char)s[i + k] & 0x3F);
        w += (size_t)ucs_width(u);
        i += n;
    }
    return w;
}

static bool right_aligned(int type)
{
    return type == CS_TY_INT4 || type == CS_TY_INT8 || type == CS_TY_NUMERIC;
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

static void table_row(FILE *out, const struct cs_result *r, const size_t *width, size_t i)
{
    char buf[CS_FMT_MAX];
    fputc(' ', out);
    for (size_t j = 0; j < r->ncols; j++) {
        if (j > 0) fputs(" | ", out);
        const char *text;
        int is_null;
        const size_t len = cs_result_value_text(r, j, i, buf, &text, &is_null);
        const size_t w = cs_text_display_width(text, len);
        if (right_aligned(r->types[j])) {
            pad(out, width[j] - w);
            if (len > 0) fwrite(text, 1, len, out);
        } else {
            if (len > 0) fwrite(text, 1, len, out);
            if (j + 1 < r->ncols) pad(out, width[j] - w);
        }
    }
    fputc('\n', out);
}

int cs_result_write_table(FILE *out, const struct cs_result *r, struct cs_error *err)
{
    size_t width[CS_RESULT_MAX_COLS];
    char buf[CS_FMT_MAX];
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
    for (size_t i = 0; i < r->rows; i++)
        table_row(out, r, width, i);
    fprintf(out, "(%zu %s)\n\n", r->rows, r->rows == 1 ? "row" : "rows");
    if (fflush(out) != 0 || ferror(out)) {
        return cs_error_set(err, CS_EIO, "could not write the result: %s", strerror(errno));
    }
    return CS_OK;
}
