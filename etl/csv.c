/*
 * Fields of a CSV record (PostgreSQL's CopyReadAttributesCSV with delimiter ',', quote and
 * escape '"', NULL ""): an unquoted empty field is NULL; a quote anywhere in a field starts a
 * quoted part, in which "" is one quote and commas and newlines are data; a quoted empty
 * field is the empty string. Unquoted fields point into the record; others are decoded into
 * scratch.
 */
#include <string.h>
#if defined(__SSE2__)
#    include <emmintrin.h>
#endif

#include "etl/parse_internal.h"

/* quoted() - decode a field with quotes from start (first quote at s) into *w; returns the
 * end of the field (a comma or e), or NULL when the record ends inside quotes. */
static const char *
quoted(const char *start, const char *s, const char *e, char **w, struct cs_field *f)
{
    char *out = *w;
    f->p = out;
    for (const char *q = start; q < s; q++)
        *out++ = *q;
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

static void put_field(const char *s, size_t start, size_t end, struct cs_field *f, int max, int *k)
{
    if (*k < max) {
        f[*k].p = s + start;
        f[*k].len = end - start;
        f[*k].null = end == start;
    }
    (*k)++;
}

/* fast_split() - one pass, eight bytes at a time, for the common record without quotes; -1
 * when there is a quote (the caller decodes quoting). */
static int fast_split(const char *s, size_t n, struct cs_field *f, int max)
{
    int k = 0;
    size_t start = 0, i = 0;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) != 0) return -1;
        for (unsigned cm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)); cm != 0;
             cm &= cm - 1) {
            const size_t at = i + (size_t)__builtin_ctz(cm);
            put_field(s, start, at, f, max, &k);
            start = at + 1;
        }
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (cs_eq_mask(w, '"') != 0) return -1;
        for (uint64_t cm = cs_eq_mask(w, ','); cm != 0; cm &= cm - 1) {
            const size_t at = i + (size_t)(__builtin_ctzll(cm) >> 3);
            put_field(s, start, at, f, max, &k);
            start = at + 1;
        }
    }
    for (; i < n; i++) {
        if (s[i] == '"') return -1;
        if (s[i] == ',') {
            put_field(s, start, i, f, max, &k);
            start = i + 1;
        }
    }
    put_field(s, start, n, f, max, &k);
    return k;
}

int cs_csv_split(
    const char *s, size_t n, struct cs_field *f, int max, char *scratch, int *bad_field)
{
    const int fast = fast_split(s, n, f, max);
    if (fast >= 0) return fast;
    const char *e = s + n;
    char *w = scratch;
    int k = 0;
    for (;;) {
        struct cs_field fld = {s, 0, false};
        const char *start = s;
        while (s < e && *s != ',' && *s != '"')
            s++;
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
