/*
 * text[] literals (see cs_vp_text_array in value_parse.h): PostgreSQL 15's array_in rules for
 * reading, array_out's rules for writing, so that whatever form an export uses the stored
 * text is what PostgreSQL prints:
 *   - elements are separated by ',' and may be nested ({{a,b},{c,d}}, rectangular only);
 *   - an unquoted element drops surrounding whitespace, takes a backslash-escaped character
 *     literally, and is a NULL element when it is NULL (any case, no escapes);
 *   - output quotes an element iff it is empty, equals NULL in any case, or contains
 *     { } , " \ or whitespace; inside quotes " and \ get a backslash.
 */
#include "etl/value_parse.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_MAX_DIMS 6 /* PostgreSQL's MAXDIM */

struct arr {
    const char *s;
    size_t n, i;
    char *out;
    size_t cap, len;
    int ndim;                 /* dimensions, 0 until the first element is seen */
    int dims[ARRAY_MAX_DIMS]; /* elements per level, 0 until the first list closes */
    const char *why;          /* reason, NULL for the generic "malformed array literal" */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void skip_ws(struct arr *a)
{
    while (a->i < a->n && is_space(a->s[a->i]))
        a->i++;
}

static bool put(struct arr *a, char c)
{
    if (a->len >= a->cap) return false;
    a->out[a->len++] = c;
    return true;
}

static bool is_null_word(const char *p, size_t k)
{
    static const char word[] = "null";
    if (k != 4) return false;
    for (size_t i = 0; i < 4; i++) {
        const char c = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
        if (c != word[i]) return false;
    }
    return true;
}

/* quote_in_place() - out[start..len) holds an element's bytes; quote and escape them if
 * array_out would. */
static bool quote_in_place(struct arr *a, size_t start)
{
    const size_t k = a->len - start;
    bool need = k == 0 || is_null_word(a->out + start, k);
    size_t extra = 0;
    for (size_t i = start; i < a->len; i++) {
        const char c = a->out[i];
        if (c == '"' || c == '\\') extra++;
        if (c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' || is_space(c)) need = true;
    }
    if (!need) return true;
    if (a->cap - a->len < extra + 2) return false;
    size_t w = a->len + extra + 2; /* write backwards from the new end */
    a->out[--w] = '"';
    for (size_t r = a->len; r > start; r--) {
        const char c = a->out[r - 1];
        a->out[--w] = c;
        if (c == '"' || c == '\\') a->out[--w] = '\\';
    }
    a->out[--w] = '"';
    a->len += extra + 2;
    return true;
}

static bool quoted_element(struct arr *a)
{
    a->i++;
    while (a->i < a->n) {
        char c = a->s[a->i++];
        if (c == '"') return true;
        if (c == '\\') {
            if (a->i >= a->n) return false;
            c = a->s[a->i++];
        }
        if (!put(a, c)) return false;
    }
    return false;
}

/* unquoted_element() - bytes up to ',' or '}', trailing unescaped whitespace dropped. */
static bool unquoted_element(struct arr *a, bool *is_null)
{
    const size_t start = a->len;
    size_t keep = a->len;
    bool escaped = false;
    while (a->i < a->n) {
        char c = a->s[a->i];
        if (c == ',' || c == '}') break;
        if (c == '{' || c == '"') return false;
        a->i++;
        if (c == '\\') {
            if (a->i >= a->n) return false;
            c = a->s[a->i++];
            escaped = true;
            if (!put(a, c)) return false;
            keep = a->len;
            continue;
        }
        if (!put(a, c)) return false;
        if (!is_space(c)) keep = a->len;
    }
    a->len = keep;
    if (a->len == start) return false; /* empty unquoted element */
    *is_null = !escaped && is_null_word(a->out + start, a->len - start);
    return true;
}

static bool element(struct arr *a, int depth)
{
    if (a->ndim == 0) a->ndim = depth + 1;
    if (a->ndim != depth + 1) return false;
    const size_t start = a->len;
    bool is_null = false;
    if (a->s[a->i] == '"') {
        if (!quoted_element(a)) return false;
    } else if (!unquoted_element(a, &is_null)) {
        return false;
    }
    if (is_null) {
        memcpy(a->out + start, "NULL", 4);
        return true;
    }
    return quote_in_place(a, start);
}

/* list() - a brace-enclosed list at s[i] == '{' at nesting level depth. */
static bool list(struct arr *a, int depth)
{
    a->i++;
    if (!put(a, '{')) return false;
    skip_ws(a);
    if (a->i < a->n && a->s[a->i] == '}') {
        a->i++;
        if (depth > 0) a->why = "empty inner arrays are not supported";
        return depth == 0 && put(a, '}');
    }
    int count = 0;
    for (;;) {
        skip_ws(a);
        if (a->i >= a->n) return false;
        if (a->s[a->i] == '{') {
            if (depth + 1 >= ARRAY_MAX_DIMS) {
                a->why = "number of array dimensions exceeds the maximum allowed (6)";
                return false;
            }
            if (a->ndim != 0 && a->ndim <= depth + 1) return false;
            if (!list(a, depth + 1)) return false;
        } else if (!element(a, depth)) {
            return false;
        }
        count++;
        skip_ws(a);
        if (a->i >= a->n) return false;
        const char c = a->s[a->i++];
        if (c == '}') break;
        if (c != ',' || !put(a, ',')) return false;
    }
    if (a->dims[depth] == 0) a->dims[depth] = count;
    if (a->dims[depth] != count) {
        a->why = "multidimensional arrays must have array expressions with matching dimensions";
        return false;
    }
    return put(a, '}');
}

size_t cs_vp_text_array_cap(size_t n)
{
    return 2 * n + 16;
}

// NOLINTNEXTLINE(readability-non-const-parameter): written through a.out
bool cs_vp_text_array(const char *s, size_t n, char *out, size_t cap, size_t *out_len, char *why)
{
    struct arr a = {.s = s, .n = n, .out = out, .cap = cap};
    skip_ws(&a);
    bool ok = false;
    if (a.i < n && s[a.i] == '[') {
        a.why = "array bounds ([lo:hi]=) are not supported";
    } else if (a.i < n && s[a.i] == '{') {
        ok = list(&a, 0);
        if (ok) {
            skip_ws(&a);
            if (a.i != n) {
                a.why = "junk after closing right brace";
                ok = false;
            }
        }
    }
    if (ok) {
        *out_len = a.len;
        return true;
    }
    const int shown = (int)(n > 64 ? 64 : n);
    (void)snprintf(why, CS_VP_WHY_SIZE, "malformed array literal: \"%.*s%s\"%s%s", shown, s,
                   n > 64 ? "..." : "", a.why != NULL ? ": " : "", a.why != NULL ? a.why : "");
    return false;
}
