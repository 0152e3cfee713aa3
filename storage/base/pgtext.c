/* PostgreSQL text output of dates, timestamps, numerics and hashes (see pgtext.h). */
#include "storage/base/pgtext.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t cs_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && (a < 0)) q--;
    return q;
}

/* Howard Hinnant's days_from_civil / civil_from_days, in 400-year eras. */
int64_t cs_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = cs_floor_div(y, 400);
    const int64_t yoe = y - era * 400;
    const int64_t mp = (m + 9) % 12;
    const int64_t doy = (153 * mp + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cs_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = cs_floor_div(z, 146097);
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int32_t cs_time_key_from_days(int64_t days)
{
    int64_t y;
    unsigned m, d;
    cs_civil_from_days(days, &y, &m, &d);
    return (int32_t)(y * 10000 + m * 100 + d);
}

bool cs_days_from_time_key(int32_t time_key, int64_t *days)
{
    if (time_key < 10101 || time_key > 99991231) return false;
    int64_t y = time_key / 10000;
    unsigned m = (unsigned)(time_key / 100 % 100), d = (unsigned)(time_key % 100);
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    int64_t z = cs_days_from_civil(y, m, d);
    if (cs_time_key_from_days(z) != time_key) return false;
    *days = z;
    return true;
}

/* The decimal digits of v, at least `width` of them (zero-padded), at buf; returns their
 * count. No NUL. (snprintf costs ~100 ns a call: reports and dumps format millions.) */
static size_t fmt_u64(char *buf, uint64_t v, size_t width)
{
    char tmp[40];
    size_t n = 0;
    width = width < sizeof(tmp) ? width : sizeof(tmp);
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static void put2(char *buf, unsigned v)
{
    buf[0] = (char)('0' + v / 10);
    buf[1] = (char)('0' + v % 10);
}

size_t cs_fmt_int(char *buf, int64_t v)
{
    size_t n = 0;
    if (v < 0) buf[n++] = '-';
    n += fmt_u64(buf + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 1);
    buf[n] = '\0';
    return n;
}

size_t cs_fmt_bool(char *buf, bool v)
{
    buf[0] = v ? 't' : 'f';
    buf[1] = '\0';
    return 1;
}

size_t cs_fmt_date(char *buf, int64_t days)
{
    int64_t y;
    unsigned m, d;
    cs_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return (size_t)snprintf(buf, CS_FMT_MAX, "%04lld-%02u-%02u", (long long)y, m, d);
    size_t n = fmt_u64(buf, (uint64_t)y, 4);
    buf[n] = '-';
    put2(buf + n + 1, m);
    buf[n + 3] = '-';
    put2(buf + n + 4, d);
    buf[n + 6] = '\0';
    return n + 6;
}

size_t cs_fmt_timestamptz(char *buf, int64_t us)
{
    const int64_t days = cs_floor_div(us, CS_USEC_PER_DAY);
    int64_t rem = us - days * CS_USEC_PER_DAY;
    unsigned frac = (unsigned)(rem % CS_USEC_PER_SEC);
    rem /= CS_USEC_PER_SEC;
    size_t n = cs_fmt_date(buf, days);
    buf[n] = ' ';
    put2(buf + n + 1, (unsigned)(rem / 3600));
    buf[n + 3] = ':';
    put2(buf + n + 4, (unsigned)(rem / 60 % 60));
    buf[n + 6] = ':';
    put2(buf + n + 7, (unsigned)(rem % 60));
    n += 9;
    if (frac != 0) {
        size_t fl = 6;
        while (frac % 10 == 0) {
            frac /= 10;
            fl--;
        }
        buf[n++] = '.';
        n += fmt_u64(buf + n, frac, fl);
    }
    memcpy(buf + n, "+00", 4);
    return n + 3;
}

size_t cs_fmt_numeric(char *buf, int64_t v, int scale)
{
    if (scale <= 0) return cs_fmt_int(buf, v);
    /* magnitude as unsigned so that INT64_MIN formats too */
    const uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char digits[40];
    const size_t n = fmt_u64(digits, mag, (size_t)scale + 1); /* scale < 39 (numeric(p, s)) */
    size_t out = 0;
    if (v < 0) buf[out++] = '-';
    const size_t int_len = n - (size_t)scale;
    memcpy(buf + out, digits, int_len);
    out += int_len;
    buf[out++] = '.';
    memcpy(buf + out, digits + int_len, (size_t)scale);
    out += (size_t)scale;
    buf[out] = '\0';
    return out;
}

size_t cs_fmt_hash16(char *buf, const uint8_t v[16])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        buf[2 * i] = hex[v[i] >> 4];
        buf[2 * i + 1] = hex[v[i] & 15];
    }
    buf[32] = '\0';
    return 32;
}

size_t cs_fmt_float8(char *buf, double v)
{
    if (v != v) return (size_t)snprintf(buf, CS_FMT_MAX, "NaN");
    if (v > 1.7976931348623157e308) return (size_t)snprintf(buf, CS_FMT_MAX, "Infinity");
    if (v < -1.7976931348623157e308) return (size_t)snprintf(buf, CS_FMT_MAX, "-Infinity");
    if (v == 0) return (size_t)snprintf(buf, CS_FMT_MAX, v < 0 || 1 / v < 0 ? "-0" : "0");
    /* the fewest significant digits that read back as v */
    char sci[CS_FMT_MAX];
    int prec = 1;
    for (; prec < 17; prec++) {
        (void)snprintf(sci, sizeof(sci), "%.*e", prec - 1, v);
        if (strtod(sci, NULL) == v) break;
    }
    (void)snprintf(sci, sizeof(sci), "%.*e", prec - 1, v);
    /* sci: [-]d[.ddd]e[+-]XX */
    const bool neg = sci[0] == '-';
    const char *m = neg ? sci + 1 : sci;
    const char *e = strchr(m, 'e');
    const int exp10 = atoi(e + 1);
    char digits[24] = {0};
    size_t nd = 0;
    for (const char *p = m; p < e; p++)
        if (*p != '.') digits[nd++] = *p;
    size_t n = 0;
    if (neg) buf[n++] = '-';
    if (exp10 < -4 || exp10 >= 15) {
        buf[n++] = digits[0];
        if (nd > 1) {
            buf[n++] = '.';
            memcpy(buf + n, digits + 1, nd - 1);
            n += nd - 1;
        }
        n += (size_t)snprintf(buf + n, CS_FMT_MAX - n, "e%c%02d", exp10 < 0 ? '-' : '+',
                              exp10 < 0 ? -exp10 : exp10);
        return n;
    }
    if (exp10 < 0) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (int i = -1; i > exp10; i--)
            buf[n++] = '0';
        memcpy(buf + n, digits, nd);
        n += nd;
    } else {
        for (int i = 0; i <= exp10; i++)
            buf[n++] = (size_t)i < nd ? digits[i] : '0';
        if (nd > (size_t)exp10 + 1) {
            buf[n++] = '.';
            memcpy(buf + n, digits + exp10 + 1, nd - (size_t)exp10 - 1);
            n += nd - (size_t)exp10 - 1;
        }
    }
    buf[n] = '\0';
    return n;
}
