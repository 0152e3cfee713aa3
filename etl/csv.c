/*
 * Fields of a CSV record (PostgreSQL's CopyReadAttributesCSV with delimiter ',', quote and
 * escape '"', NULL ""): an unquoted empty field is NULL; a quote anywhere in a field starts a
 * quoted part, in which "" is one quote and commas and newlines are data; a quoted empty
 * field is the empty string. Unquoted fields point into the record; others are decoded into
 * scratch.
 */
#include "etl/parse_internal.h"

/* quoted() - decode a field with quotes from start (first quote at s) into *w; returns the
 * end of the field (a comma or e), or NULL when the record ends inside quotes. */
static const char *quoted(const char *start, const char *s, const char *e, char **w,
                          struct cs_field *f)
{
    char *out = *w;
    f->p = out;
    for (const char *q = start; q < s; q++) *out++ = *q;
    bool in_quotes = false;
    for (;;) {
        if (s >= e) {
            if (in_quotes) return NULL;
            break;
        }
        const char c = *s;
        if (in_quotes) {
            if (c == '"') {
                if (s + 1 < e && s[1] == '"') {
                    *out++ = '"';
                    s += 2;
                } else {
                    in_quotes = false;
                    s++;
                }
                continue;
            }
        } else if (c == ',') {
            break;
        } else if (c == '"') {
            in_quotes = true;
            s++;
            continue;
        }
        *out++ = c;
        s++;
    }
    f->len = (size_t)(out - f->p);
    *w = out;
    return s;
}

int cs_csv_split(const char *s, size_t n, struct cs_field *f, int max, char *scratch,
                 int *bad_field)
{
    const char *e = s + n;
    char *w = scratch;
    int k = 0;
    for (;;) {
        struct cs_field fld = {s, 0, false};
        const char *start = s;
        while (s < e && *s != ',' && *s != '"') s++;
        if (s < e && *s == '"') {
            s = quoted(start, s, e, &w, &fld);
            if (s == NULL) {
                *bad_field = k;
                return -1;
            }
        } else {
            fld.len = (size_t)(s - start);
            fld.null = fld.len == 0;
        }
        if (k < max) f[k] = fld;
        k++;
        if (s >= e) return k;
        s++; /* the comma */
    }
}
