/*
 * Fields of a COPY text record (PostgreSQL's CopyReadAttributesText): split at tabs; a field
 * that is exactly \N (before unescaping) is NULL; a backslash takes the next character
 * literally except for \b \f \n \r \t \v, 1-3 octal digits and \x with 1-2 hex digits ("\x"
 * without a hex digit is "x"); a backslash at the very end of the record is dropped. A field
 * without a backslash points into the record; others are decoded into scratch.
 */
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

/* escape() - decode the escape after a backslash at *s (s < e); returns the byte. */
static char escape(const char **s, const char *e)
{
    const char c = *(*s)++;
    int v;
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    case 'x':
        if (*s >= e || (v = hexdig(**s)) < 0) return 'x';
        (*s)++;
        if (*s < e && hexdig(**s) >= 0) v = v * 16 + hexdig(*(*s)++);
        return (char)v;
    default:
        if ((v = octal(c)) < 0) return c;
        for (int k = 0; k < 2 && *s < e && octal(**s) >= 0; k++) v = v * 8 + octal(*(*s)++);
        return (char)(v & 0xff);
    }
}

/* unescape() - the field from start (a backslash found at s), decoded into *w; returns the
 * end of the field in the record (a tab or e). */
static const char *unescape(const char *start, const char *s, const char *e, char **w,
                            struct cs_field *f)
{
    char *out = *w;
    f->p = out;
    for (const char *q = start; q < s; q++) *out++ = *q;
    while (s < e && *s != '\t') {
        if (*s != '\\') {
            *out++ = *s++;
            continue;
        }
        s++;
        if (s >= e) break;
        *out++ = escape(&s, e);
    }
    f->len = (size_t)(out - f->p);
    *w = out;
    return s;
}

int cs_text_split(const char *s, size_t n, struct cs_field *f, int max, char *scratch)
{
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
            while (s < e && *s != '\t' && *s != '\\') s++;
            if (s < e && *s == '\\') s = unescape(start, s, e, &w, &fld);
            else fld.len = (size_t)(s - start);
        }
        if (k < max) f[k] = fld;
        k++;
        if (s >= e) return k;
        s++; /* the tab */
    }
}
