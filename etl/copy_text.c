/*
 * Fields of a COPY text record (PostgreSQL's CopyReadAttributesText): split at tabs; a field
 * that is exactly \N (before unescaping) is NULL; a backslash takes the next character
 * literally except for \b \f \n \r \t \v, 1-3 octal digits and \x with 1-2 hex digits ("\x"
 * without a hex digit is "x"); a backslash at the very end of the record is dropped; "\." ends
 * the line when it is last and is an error elsewhere (PostgreSQL 15's end-of-copy marker). A field
 * without a backslash points into the record; others are decoded into scratch.
 */
#include <string.h>
#if defined(__SSE2__)
#    include <emmintrin.h>
#endif

#include "etl/parse_internal.h"

static int octal(char c)
{
    return c >= '0' && c <= '7' ? c - '0' : -1;
}

static int hexdig(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* scan_plain() - the first tab or backslash in [s, e), or e; eight bytes at a time. */
static const char *scan_plain(const char *s, const char *e)
{
    while (e - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        if (cs_eq_mask(w, '\t') | cs_eq_mask(w, '\\')) break;
        s += 8;
    }
    while (s < e && *s != '\t' && *s != '\\')
        s++;
    return s;
}

/* escape() - decode the escape after a backslash at *s (s < e); returns the byte. */
static char escape(const char **s, const char *e)
{
    const char c = *(*s)++;
    int v;
    switch (c) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'v':
        return '\v';
    case 'x':
        if (*s >= e || (v = hexdig(**s)) < 0) return 'x';
        (*s)++;
        if (*s < e && hexdig(**s) >= 0) v = v * 16 + hexdig(*(*s)++);
        return (char)v;
    default:
        if ((v = octal(c)) < 0) return c;
        for (int k = 0; k < 2 && *s < e && octal(**s) >= 0; k++)
            v = v * 8 + octal(*(*s)++);
        return (char)(v & 0xff);
    }
}

/* unescape() - the field from start (a backslash found at s), decoded into *w; returns the
 * end of the field in the record (a tab or e), or NULL for a "\." before the record's end. */
static const char *
unescape(const char *start, const char *s, const char *e, char **w, struct cs_field *f)
{
    char *out = *w;
    f->p = out;
    for (const char *q = start; q < s; q++)
        *out++ = *q;
    while (s < e && *s != '\t') {
        if (*s != '\\') {
            *out++ = *s++;
            continue;
        }
        s++;
        if (s >= e) break;
        if (*s == '.') {
            /* PostgreSQL 15 reads "\." as an end-of-copy marker: at the end of a line it
             * ends the line, anywhere else the marker is corrupt */
            if (s + 1 != e) return NULL;
            s++;
            break;
        }
        *out++ = escape(&s, e);
    }
    f->len = (size_t)(out - f->p);
    *w = out;
    return s;
}

static void put_field(const char *s, size_t start, size_t end, struct cs_field *f, int max, int *k)
{
    if (*k < max) {
        const size_t len = end - start;
        f[*k].p = s + start;
        f[*k].len = len;
        f[*k].null = len == 2 && s[start] == '\\' && s[start + 1] == 'N';
    }
    (*k)++;
}

/* is_null_field_at() - whether the backslash at s[i] starts a field that is exactly \N. */
static bool is_null_field_at(const char *s, size_t n, size_t i)
{
    return (i == 0 || s[i - 1] == '\t') && i + 1 < n && s[i + 1] == 'N' &&
           (i + 2 == n || s[i + 2] == '\t');
}

/* fast_split() - one pass, eight bytes at a time, for the common record whose only
 * backslashes are \N fields; -1 for any other backslash (the caller decodes escapes). */
static int fast_split(const char *s, size_t n, struct cs_field *f, int max)
{
    int k = 0;
    size_t start = 0, i = 0;
#if defined(__SSE2__)
    const __m128i tab = _mm_set1_epi8('\t'), bs = _mm_set1_epi8('\\');
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        for (unsigned bm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bs)); bm != 0;
             bm &= bm - 1) {
            if (!is_null_field_at(s, n, i + (size_t)__builtin_ctz(bm))) return -1;
        }
        for (unsigned tm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, tab)); tm != 0;
             tm &= tm - 1) {
            const size_t at = i + (size_t)__builtin_ctz(tm);
            put_field(s, start, at, f, max, &k);
            start = at + 1;
        }
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        for (uint64_t bm = cs_eq_mask(w, '\\'); bm != 0; bm &= bm - 1) {
            if (!is_null_field_at(s, n, i + (size_t)(__builtin_ctzll(bm) >> 3))) return -1;
        }
        for (uint64_t tm = cs_eq_mask(w, '\t'); tm != 0; tm &= tm - 1) {
            const size_t at = i + (size_t)(__builtin_ctzll(tm) >> 3);
            put_field(s, start, at, f, max, &k);
            start = at + 1;
        }
    }
    for (; i < n; i++) {
        if (s[i] == '\\' && !is_null_field_at(s, n, i)) return -1;
        if (s[i] == '\t') {
            put_field(s, start, i, f, max, &k);
            start = i + 1;
        }
    }
    put_field(s, start, n, f, max, &k);
    return k;
}

int cs_text_split(
    const char *s, size_t n, struct cs_field *f, int max, char *scratch, int *bad_field)
{
    const int fast = fast_split(s, n, f, max);
    if (fast >= 0) return fast;

    const char *e = s + n;
    char *w = scratch;
    int k = 0;
    for (;;) {
        struct cs_field fld = {s, 0, false};
        if (e - s >= 2 && s[0] == '\\' && s[1] == 'N' && (e - s == 2 || s[2] == '\t')) {
            fld.null = true;
            s += 2;
        } else {
            const char *start = s;
            s = scan_plain(s, e);
            if (s < e && *s == '\\') {
                s = unescape(start, s, e, &w, &fld);
                if (s == NULL) {
                    *bad_field = k;
                    return -1;
                }
            } else {
                fld.len = (size_t)(s - start);
            }
        }
        if (k < max) f[k] = fld;
        k++;
        if (s >= e) return k;
        s++; /* the tab */
    }
}
