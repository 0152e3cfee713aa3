/*
 * Scalar value parsing (see value_parse.h): booleans, integers, numerics, dates, timestamps
 * and the query hash, by hand: these run once per field of a multi-gigabyte export, so no
 * sscanf/strtol in the common path.
 */
#include "etl/value_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/base/pgtext.h"

/* Longest value quoted inside a reason; longer ones end with "...". */
#define WHY_VALUE_MAX 64

static void why_value(char *why, const char *what, const char *s, size_t n)
{
    const int shown = (int)(n > WHY_VALUE_MAX ? WHY_VALUE_MAX : n);
    (void)snprintf(why, CS_VP_WHY_SIZE, "%s: \"%.*s%s\"", what, shown, s,
                   n > WHY_VALUE_MAX ? "..." : "");
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* trim() - drop leading and trailing whitespace, as the input functions do. */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* prefix_of() - whether s[0..n) (n >= min) is a case-insensitive prefix of word. */
static bool prefix_of(const char *s, size_t n, const char *word, size_t min)
{
    const size_t wl = strlen(word);
    if (n < min || n > wl) return false;
    for (size_t i = 0; i < n; i++) {
        if (lower(s[i]) != word[i]) return false;
    }
    return true;
}

bool cs_vp_bool(const char *s, size_t n, bool *out, char *why)
{
    if (n == 1 && (s[0] == 't' || s[0] == 'f')) {
        *out = s[0] == 't';
        return true;
    }
    const char *v = s;
    size_t len = n;
    trim(&v, &len);
    /* parse_bool_with_len(): unique prefixes; "o" alone is ambiguous (on/off) */
    if (prefix_of(v, len, "true", 1) || prefix_of(v, len, "yes", 1) || prefix_of(v, len, "on", 2) ||
        (len == 1 && v[0] == '1')) {
        *out = true;
        return true;
    }
    if (prefix_of(v, len, "false", 1) || prefix_of(v, len, "no", 1) ||
        prefix_of(v, len, "off", 2) || (len == 1 && v[0] == '0')) {
        *out = false;
        return true;
    }
    why_value(why, "invalid input syntax for type boolean", s, n);
    return false;
}

bool cs_vp_int(const char *s, size_t n, int type, int64_t *out, char *why)
{
    /* the common case: 1..9 plain digits can't overflow either type */
    if (n - 1 < 9) {
        int64_t v = 0;
        size_t i = 0;
        for (; i < n && is_digit(s[i]); i++)
            v = v * 10 + (s[i] - '0');
        if (i == n) {
            *out = v;
            return true;
        }
    }
    const char *tname = type == CS_TY_INT4 ? "integer" : "bigint";
    const uint64_t limit = type == CS_TY_INT4 ? (uint64_t)INT32_MAX : (uint64_t)INT64_MAX;
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    const size_t first = i;
    uint64_t acc = 0;
    bool overflow = false;
    for (; i < n && is_digit(s[i]); i++) {
        const uint64_t d = (uint64_t)(s[i] - '0');
        if (acc > (limit + 1 - d) / 10)
            overflow = true; /* acc*10+d > limit+1 */
        else
            acc = acc * 10 + d;
    }
    const size_t last = i;
    while (i < n && is_space(s[i]))
        i++;
    if (last == first || i != n) {
        char what[64];
        (void)snprintf(what, sizeof(what), "invalid input syntax for type %s", tname);
        why_value(why, what, s, n);
        return false;
    }
    if (overflow || acc > limit + (neg ? 1u : 0u)) {
        (void)snprintf(why, CS_VP_WHY_SIZE, "value \"%.*s\" is out of range for type %s",
                       (int)(n > WHY_VALUE_MAX ? WHY_VALUE_MAX : n), s, tname);
        return false;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

/* The shape of a numeric literal: mantissa digits around an optional point, exponent. */
struct num_shape {
    size_t mant_start, mant_end; /* digits and at most one '.' */
    size_t int_digits;           /* digits before the point */
    long exp;
    bool neg;
};

static bool numeric_shape(const char *s, size_t n, struct num_shape *sh)
{
    size_t i = 0;
    sh->neg = false;
    sh->exp = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) sh->neg = s[i++] == '-';
    sh->mant_start = i;
    size_t digits = 0;
    bool point = false;
    sh->int_digits = 0;
    for (; i < n; i++) {
        if (is_digit(s[i])) {
            digits++;
            if (!point) sh->int_digits++;
        } else if (s[i] == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    sh->mant_end = i;
    if (digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i])) return false;
        long e = 0;
        for (; i < n && is_digit(s[i]); i++) {
            if (e < 100000) e = e * 10 + (s[i] - '0');
        }
        sh->exp = eneg ? -e : e;
    }
    return i == n;
}

/* numeric_scaled() - the mantissa times 10^(exp + scale), rounded half away from zero at the
 * units digit; false on overflow of `limit`. */
static bool
numeric_scaled(const char *s, const struct num_shape *sh, int scale, uint64_t limit, uint64_t *out)
{
    uint64_t acc = 0;
    long pos = (long)sh->int_digits - 1 + sh->exp; /* decimal power of the next digit */
    long lowest = pos + 1;                         /* power of the last digit taken */
    int round_digit = 0;
    for (size_t i = sh->mant_start; i < sh->mant_end; i++) {
        if (s[i] == '.') continue;
        const int d = s[i] - '0';
        if (pos >= -scale) {
            if (acc > (limit - (uint64_t)d) / 10) return false;
            acc = acc * 10 + (uint64_t)d;
            lowest = pos;
        } else if (pos == -scale - 1) {
            round_digit = d;
        }
        pos--;
    }
    /* digits the literal did not write (e.g. "5e3") are zeros */
    for (long p = lowest; p > -scale && acc != 0; p--) {
        if (acc > limit / 10) return false;
        acc *= 10;
    }
    if (round_digit >= 5) {
        if (acc == limit) return false;
        acc++;
    }
    *out = acc;
    return true;
}

bool cs_vp_numeric(const char *s, size_t n, int scale, int precision, int64_t *out, char *why)
{
    const char *v = s;
    size_t len = n;
    trim(&v, &len);
    struct num_shape sh;
    if (!numeric_shape(v, len, &sh)) {
        why_value(why, "invalid input syntax for type numeric", s, n);
        return false;
    }
    uint64_t limit = (uint64_t)INT64_MAX;
    if (precision > 0 && precision <= 18) {
        limit = 1;
        for (int i = 0; i < precision; i++)
            limit *= 10;
        limit -= 1; /* numeric(p,s): |v * 10^s| < 10^p */
    }
    uint64_t mag;
    if (!numeric_scaled(v, &sh, scale, limit, &mag)) {
        if (precision > 0) {
            (void)snprintf(why, CS_VP_WHY_SIZE,
                           "numeric field overflow: \"%.*s\" does not fit numeric(%d,%d)",
                           (int)(n > WHY_VALUE_MAX ? WHY_VALUE_MAX : n), s, precision, scale);
        } else {
            why_value(why, "numeric value out of supported range", s, n);
        }
        return false;
    }
    *out = sh.neg ? -(int64_t)mag : (int64_t)mag;
    return true;
}

/* digits() - parse 1..max decimal digits at s[*i]; false when there is none. */
static bool digits(const char *s, size_t n, size_t *i, int max, int *out)
{
    int v = 0, k = 0;
    while (*i < n && k < max && is_digit(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k > 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

enum { DT_OK = 0, DT_SYNTAX = 1, DT_RANGE = 2 };

/* parse_ymd() - "YYYY-M[M]-D[D]" at s[*i]; the day number in *days. */
static int parse_ymd(const char *s, size_t n, size_t *i, int64_t *days)
{
    int y, m, d;
    const size_t start = *i;
    if (!digits(s, n, i, 4, &y) || *i - start != 4) return DT_SYNTAX;
    if (*i >= n || s[*i] != '-') return DT_SYNTAX;
    (*i)++;
    if (!digits(s, n, i, 2, &m)) return DT_SYNTAX;
    if (*i >= n || s[*i] != '-') return DT_SYNTAX;
    (*i)++;
    if (!digits(s, n, i, 2, &d)) return DT_SYNTAX;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return DT_RANGE;
    *days = cs_days_from_civil(y, (unsigned)m, (unsigned)d);
    return DT_OK;
}

static bool date_why(int rc, const char *s, size_t n, const char *type, char *why)
{
    if (rc == DT_RANGE) {
        why_value(why, "date/time field value out of range", s, n);
    } else {
        char what[80];
        (void)snprintf(what, sizeof(what), "invalid input syntax for type %s", type);
        why_value(why, what, s, n);
    }
    return false;
}

bool cs_vp_date(const char *s, size_t n, int64_t *days, char *why)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    int rc = parse_ymd(s, n, &i, days);
    while (rc == DT_OK && i < n && is_space(s[i]))
        i++;
    if (rc == DT_OK && i != n) rc = DT_SYNTAX;
    if (rc != DT_OK) return date_why(rc, s, n, "date", why);
    return true;
}

/* parse_frac() - ".f…" at s[*i] (the point already seen) → microseconds. PostgreSQL reads the
 * fraction with strtod and rounds with rint; up to 6 digits that is exact integer work. */
static bool parse_frac(const char *s, size_t n, size_t *i, int64_t *us)
{
    const size_t start = *i;
    int64_t v = 0;
    int k = 0;
    while (*i < n && is_digit(s[*i])) {
        if (k < 6) v = v * 10 + (s[*i] - '0');
        k++;
        (*i)++;
    }
    if (k == 0) return false;
    if (k <= 6) {
        for (int j = k; j < 6; j++)
            v *= 10;
        *us = v;
        return true;
    }
    char tmp[64];
    const size_t len = *i - start < sizeof(tmp) - 2 ? *i - start : sizeof(tmp) - 2;
    tmp[0] = '.';
    memcpy(tmp + 1, s + start, len);
    tmp[len + 1] = '\0';
    *us = (int64_t)rint(strtod(tmp, NULL) * 1e6);
    return true;
}

/* parse_zone() - "Z", "±HH", "±HH:MM", "±HH:MM:SS", "±HHMM", "±HHMMSS" → seconds east of UTC. */
static int parse_zone(const char *s, size_t n, size_t *i, int64_t *east_s)
{
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        *east_s = 0;
        return DT_OK;
    }
    const bool neg = s[*i] == '-';
    (*i)++;
    const size_t start = *i;
    int h = 0, m = 0, sec = 0;
    if (!digits(s, n, i, 2, &h)) return DT_SYNTAX;
    if (*i - start == 2 && *i < n && is_digit(s[*i])) { /* ±HHMM[SS] */
        if (!digits(s, n, i, 2, &m)) return DT_SYNTAX;
        if (*i < n && is_digit(s[*i]) && !digits(s, n, i, 2, &sec)) return DT_SYNTAX;
    } else if (*i < n && s[*i] == ':') {
        (*i)++;
        if (!digits(s, n, i, 2, &m)) return DT_SYNTAX;
        if (*i < n && s[*i] == ':') {
            (*i)++;
            if (!digits(s, n, i, 2, &sec)) return DT_SYNTAX;
        }
    }
    if (h > 15 || m > 59 || sec > 59) return DT_RANGE; /* MAX_TZDISP_HOUR */
    const int64_t v = (int64_t)h * 3600 + m * 60 + sec;
    *east_s = neg ? -v : v;
    return DT_OK;
}

/* parse_hms() - "HH:MM[:SS[.f]]" → microseconds since midnight (24:00:00 allowed). */
static int parse_hms(const char *s, size_t n, size_t *i, int64_t *us)
{
    int h, m, sec = 0;
    int64_t frac = 0;
    if (!digits(s, n, i, 2, &h) || *i >= n || s[*i] != ':') return DT_SYNTAX;
    (*i)++;
    if (!digits(s, n, i, 2, &m)) return DT_SYNTAX;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (!digits(s, n, i, 2, &sec)) return DT_SYNTAX;
        if (*i < n && s[*i] == '.') {
            (*i)++;
            if (!parse_frac(s, n, i, &frac)) return DT_SYNTAX;
        }
    }
    /* PostgreSQL allows second 60 (a leap second rolls over) and 24:00:00 exactly */
    if (h > 24 || m > 59 || sec > 60 || frac > CS_USEC_PER_SEC) return DT_RANGE;
    if (h == 24 && (m != 0 || sec != 0 || frac != 0)) return DT_RANGE;
    *us = ((int64_t)h * 3600 + m * 60 + sec) * CS_USEC_PER_SEC + frac;
    return DT_OK;
}

static int d2(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i])) return false;
    }
    return true;
}

/* ts_fast() - the form PostgreSQL prints, "YYYY-MM-DD HH:MM:SS[.f{1,6}]+00"; false when s is
 * anything else (the general parser then decides). */
static bool ts_fast(const char *s, size_t n, int64_t *us)
{
    if (n < 22 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
        s[n - 3] != '+' || s[n - 2] != '0' || s[n - 1] != '0')
        return false;
    if (!all_digits(s, 4) || !all_digits(s + 5, 2) || !all_digits(s + 8, 2) ||
        !all_digits(s + 11, 2) || !all_digits(s + 14, 2) || !all_digits(s + 17, 2))
        return false;
    int64_t frac = 0;
    const size_t fl = n - 22; /* "" or ".f…" */
    if (fl != 0) {
        if (fl < 2 || fl > 7 || s[19] != '.' || !all_digits(s + 20, fl - 1)) return false;
        for (size_t i = 0; i < 6; i++)
            frac = frac * 10 + (i < fl - 1 ? s[20 + i] - '0' : 0);
    }
    const int y = d2(s) * 100 + d2(s + 2), m = d2(s + 5), d = d2(s + 8);
    const int h = d2(s + 11), mi = d2(s + 14), sec = d2(s + 17);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || h > 23 || mi > 59 ||
        sec > 59)
        return false;
    *us = cs_days_from_civil(y, (unsigned)m, (unsigned)d) * CS_USEC_PER_DAY +
          ((int64_t)h * 3600 + mi * 60 + sec) * CS_USEC_PER_SEC + frac;
    return true;
}

static bool d1(char c)
{
    return (unsigned)(c - '0') <= 9u;
}

/* ts_day_fast() - ts_fast() that takes the date from *cache when it is the cached one. */
static bool ts_day_fast(const char *s, size_t n, struct cs_vp_day_cache *cache, int64_t *us)
{
    if (n < 22 || n > 29 || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[n - 3] != '+' ||
        s[n - 2] != '0' || s[n - 1] != '0')
        return false;
    if (!cache->valid || memcmp(cache->ymd, s, 10) != 0) {
        if (s[4] != '-' || s[7] != '-' || !all_digits(s, 4) || !d1(s[5]) || !d1(s[6]) ||
            !d1(s[8]) || !d1(s[9]))
            return false;
        const int y = d2(s) * 100 + d2(s + 2), m = d2(s + 5), d = d2(s + 8);
        if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
        memcpy(cache->ymd, s, 10);
        cache->day_us = cs_days_from_civil(y, (unsigned)m, (unsigned)d) * CS_USEC_PER_DAY;
        cache->valid = true;
    }
    if (!d1(s[11]) || !d1(s[12]) || !d1(s[14]) || !d1(s[15]) || !d1(s[17]) || !d1(s[18]))
        return false;
    const int h = d2(s + 11), mi = d2(s + 14), sec = d2(s + 17);
    if (h > 23 || mi > 59 || sec > 59) return false;
    int64_t frac = 0;
    const size_t fl = n - 22; /* "" or ".f…" */
    if (fl != 0) {
        if (fl < 2 || s[19] != '.') return false;
        size_t i = 20;
        for (; i < n - 3; i++) {
            if (!d1(s[i])) return false;
            frac = frac * 10 + (s[i] - '0');
        }
        for (; i < 26; i++)
            frac *= 10;
    }
    *us = cache->day_us + ((int64_t)h * 3600 + mi * 60 + sec) * CS_USEC_PER_SEC + frac;
    return true;
}

bool cs_vp_timestamptz_day(
    const char *s, size_t n, struct cs_vp_day_cache *cache, int64_t *us, char *why)
{
    if (ts_day_fast(s, n, cache, us)) return true;
    return cs_vp_timestamptz(s, n, us, why);
}

bool cs_vp_timestamptz(const char *s, size_t n, int64_t *us, char *why)
{
    if (ts_fast(s, n, us)) return true;
    static const char *type = "timestamp with time zone";
    size_t i = 0;
    int64_t days, tod, east_s = 0;
    while (i < n && is_space(s[i]))
        i++;
    int rc = parse_ymd(s, n, &i, &days);
    if (rc != DT_OK) return date_why(rc, s, n, type, why);
    if (i >= n || (s[i] != ' ' && s[i] != 'T')) return date_why(DT_SYNTAX, s, n, type, why);
    i++;
    rc = parse_hms(s, n, &i, &tod);
    if (rc != DT_OK) return date_why(rc, s, n, type, why);
    if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == 'Z' || s[i] == 'z')) {
        rc = parse_zone(s, n, &i, &east_s);
        if (rc != DT_OK) return date_why(rc, s, n, type, why);
    }
    while (i < n && is_space(s[i]))
        i++;
    if (i != n) return date_why(DT_SYNTAX, s, n, type, why);
    const int64_t v = days * CS_USEC_PER_DAY + tod - east_s * CS_USEC_PER_SEC;
    static const int64_t lo = INT64_C(-62135596800000000); /* 0001-01-01 00:00:00 UTC */
    static const int64_t hi = INT64_C(253402300800000000); /* 10000-01-01 00:00:00 UTC */
    if (v < lo || v >= hi) {
        why_value(why, "timestamp out of supported range (years 1 to 9999)", s, n);
        return false;
    }
    *us = v;
    return true;
}

/* hex digit value + 1 of each byte, 0 for anything but [0-9a-f]: a table, not branches, since
 * the digits of an MD5 are random and a branch per digit would mispredict half the time */
static const uint8_t hex_plus1[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* hex8() - eight lower-case hex digits (s[0] first) → four bytes; false for anything else.
 * Branch-free SWAR: each byte is tested against the ranges '0'..'9' and 'a'..'f' (all bytes
 * are ASCII, checked first, so the per-byte additions never carry into the next byte). */
static bool hex8(const char *s, uint8_t out[4])
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = ones * 0x80;
    uint64_t w;
    memcpy(&w, s, 8);
    const uint64_t digit = (w + ones * (0x80 - '0')) & ~(w + ones * (0x80 - '9' - 1)) & high;
    const uint64_t af = (w + ones * (0x80 - 'a')) & ~(w + ones * (0x80 - 'f' - 1)) & high;
    if ((w & high) != 0 || (digit | af) != high) return false;
    const uint64_t nib = (w & ones * 0x0f) + (af >> 7) * 9;                /* value of each digit */
    uint64_t t = ((nib << 4) | (nib >> 8)) & UINT64_C(0x00ff00ff00ff00ff); /* byte pairs */
    t = (t | (t >> 8)) & UINT64_C(0x0000ffff0000ffff);
    t = (t | (t >> 16)) & UINT64_C(0x00000000ffffffff);
    const uint32_t v = (uint32_t)t;
    memcpy(out, &v, 4);
    return true;
}
#endif

bool cs_vp_hash16(const char *s, size_t n, uint8_t out[16], char *why)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n == 32 && hex8(s, out) && hex8(s + 8, out + 4) && hex8(s + 16, out + 8) &&
        hex8(s + 24, out + 12))
        return true;
#endif
    if (n == 32) {
        const unsigned char *u = (const unsigned char *)s;
        unsigned bad = 0;
        for (int i = 0; i < 16; i++) {
            const unsigned hi = hex_plus1[u[2 * i]], lo = hex_plus1[u[2 * i + 1]];
            bad |= (hi - 1u) | (lo - 1u); /* wraps to all ones for a non-digit */
            out[i] = (uint8_t)(((hi - 1u) & 15u) << 4 | ((lo - 1u) & 15u));
        }
        if (bad < 16u) return true;
    }
    (void)snprintf(why, CS_VP_WHY_SIZE, "not a 32-digit lower-case hex MD5");
    return false;
}

int cs_vp_numeric_precision(const struct cs_table_def *t, int col)
{
    if (t == NULL || col < 0 || col >= t->ncols) return 0;
    return t->cols[col].precision; /* the schema declares it (numeric(p, s)) */
}

int64_t cs_vp_overall_score(int64_t clarity, int64_t accuracy, int64_t tone)
{
    /* sum / 3.0 to 2 places: 100*sum/3 has remainder 0, 1 or 2 (thirds), so half away from
     * zero is (100*sum + 1) / 3 for sum >= 0 and symmetric below */
    const int64_t x = 100 * (clarity + accuracy + tone);
    return x >= 0 ? (x + 1) / 3 : -((-x + 1) / 3);
}
