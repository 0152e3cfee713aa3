/*
 * jsonb syntax check (see cs_vp_json in value_parse.h): a recursive-descent validator of
 * PostgreSQL's json grammar with jsonb's extra rules. The value is stored as given: exports
 * come from PostgreSQL, whose jsonb output is already canonical, so dump reproduces it.
 */
#include "etl/value_parse.h"

#include <stdio.h>

struct json {
    const char *s;
    size_t n, i;
    const char *why; /* static reason on failure */
};

static void skip_ws(struct json *j)
{
    while (j->i < j->n) {
        const char c = j->s[j->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        j->i++;
    }
}

static bool fail(struct json *j, const char *why)
{
    if (j->why == NULL) j->why = why;
    return false;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        const char c = s[k];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* string_escape() - the escape after a backslash at s[i]; handles \uXXXX surrogate pairs. */
static bool string_escape(struct json *j)
{
    const char c = j->s[j->i];
    if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
        c == 't') {
        j->i++;
        return true;
    }
    if (c != 'u' || j->n - j->i < 5) return fail(j, "invalid escape in string");
    const int u = hex4(j->s + j->i + 1);
    if (u < 0) return fail(j, "invalid \\u escape in string");
    j->i += 5;
    if (u == 0) return fail(j, "unsupported Unicode escape sequence \\u0000");
    if (u >= 0xdc00 && u <= 0xdfff) return fail(j, "unpaired Unicode low surrogate");
    if (u >= 0xd800 && u <= 0xdbff) {
        if (j->n - j->i < 6 || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u')
            return fail(j, "unpaired Unicode high surrogate");
        const int lo = hex4(j->s + j->i + 2);
        if (lo < 0xdc00 || lo > 0xdfff) return fail(j, "unpaired Unicode high surrogate");
        j->i += 6;
    }
    return true;
}

static bool string(struct json *j)
{
    j->i++; /* opening quote */
    while (j->i < j->n) {
        const unsigned char c = (unsigned char)j->s[j->i];
        if (c == '"') {
            j->i++;
            return true;
        }
        if (c < 0x20) return fail(j, "control character in string");
        j->i++;
        if (c == '\\') {
            if (j->i >= j->n) break;
            if (!string_escape(j)) return false;
        }
    }
    return fail(j, "unterminated string");
}

static bool run_digits(struct json *j)
{
    const size_t start = j->i;
    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    return j->i > start;
}

static bool number(struct json *j)
{
    if (j->s[j->i] == '-') j->i++;
    if (j->i < j->n && j->s[j->i] == '0') {
        j->i++;
    } else if (!run_digits(j)) {
        return fail(j, "invalid number");
    }
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (!run_digits(j)) return fail(j, "invalid number");
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-')) j->i++;
        if (!run_digits(j)) return fail(j, "invalid number");
    }
    return true;
}

static bool literal(struct json *j, const char *word, size_t len)
{
    if (j->n - j->i < len) return fail(j, "invalid token");
    for (size_t k = 0; k < len; k++) {
        if (j->s[j->i + k] != word[k]) return fail(j, "invalid token");
    }
    j->i += len;
    return true;
}

static bool value(struct json *j, int depth);

/* container() - the members of an array ('[') or object ('{') after its opening bracket. */
static bool container(struct json *j, char close, int depth)
{
    j->i++;
    skip_ws(j);
    if (j->i < j->n && j->s[j->i] == close) {
        j->i++;
        return true;
    }
    for (;;) {
        if (close == '}') {
            if (j->i >= j->n || j->s[j->i] != '"') return fail(j, "expected string key");
            if (!string(j)) return false;
            skip_ws(j);
            if (j->i >= j->n || j->s[j->i] != ':') return fail(j, "expected \":\"");
            j->i++;
        }
        if (!value(j, depth + 1)) return false;
        skip_ws(j);
        if (j->i >= j->n) return fail(j, "unexpected end of input");
        const char c = j->s[j->i++];
        if (c == close) return true;
        if (c != ',') return fail(j, "expected \",\" or closing bracket");
        skip_ws(j);
    }
}

static bool value(struct json *j, int depth)
{
    if (depth > CS_VP_JSON_MAX_DEPTH) return fail(j, "nesting too deep");
    skip_ws(j);
    if (j->i >= j->n) return fail(j, "unexpected end of input");
    switch (j->s[j->i]) {
    case '{':
        return container(j, '}', depth);
    case '[':
        return container(j, ']', depth);
    case '"':
        return string(j);
    case 't':
        return literal(j, "true", 4);
    case 'f':
        return literal(j, "false", 5);
    case 'n':
        return literal(j, "null", 4);
    default:
        if (j->s[j->i] == '-' || (j->s[j->i] >= '0' && j->s[j->i] <= '9')) return number(j);
        return fail(j, "invalid token");
    }
}

bool cs_vp_json(const char *s, size_t n, char *why)
{
    struct json j = {s, n, 0, NULL};
    if (value(&j, 0)) {
        skip_ws(&j);
        if (j.i == n) return true;
        fail(&j, "unexpected data after the value");
    }
    (void)snprintf(why, CS_VP_WHY_SIZE, "invalid input syntax for type json: %s at byte %zu", j.why,
                   j.i);
    return false;
}
