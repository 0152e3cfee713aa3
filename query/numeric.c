/* Exact rounding of quotients and float8 → numeric conversion (see numeric.h). */
#include "query/numeric.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>

static const int64_t pow10_i64[19] = {
    INT64_C(1),
    INT64_C(10),
    INT64_C(100),
    INT64_C(1000),
    INT64_C(10000),
    INT64_C(100000),
    INT64_C(1000000),
    INT64_C(10000000),
    INT64_C(100000000),
    INT64_C(1000000000),
    INT64_C(10000000000),
    INT64_C(100000000000),
    INT64_C(1000000000000),
    INT64_C(10000000000000),
    INT64_C(100000000000000),
    INT64_C(1000000000000000),
    INT64_C(10000000000000000),
    INT64_C(100000000000000000),
    INT64_C(1000000000000000000),
};

int64_t cs_round_div(cs_i128 num, cs_i128 den)
{
    assert(den > 0);
    const bool neg = num < 0;
    const cs_i128 mag = neg ? -num : num;
    const cs_i128 q = (2 * mag + den) / (2 * den);
    assert(q <= (cs_i128)INT64_MAX);
    return neg ? -(int64_t)q : (int64_t)q;
}

int64_t cs_pct2(int64_t part, int64_t whole)
{
    return cs_round_div((cs_i128)part * 10000, whole);
}

int64_t cs_avg2(int64_t sum, int sum_scale, int64_t n, int64_t div)
{
    assert(sum_scale >= 0 && sum_scale <= 2);
    const cs_i128 num = (cs_i128)sum * pow10_i64[2 - sum_scale];
    return cs_round_div(num, (cs_i128)n * div);
}

bool cs_numeric_fits(int64_t v, int precision)
{
    assert(precision >= 1 && precision <= 18);
    const int64_t lim = pow10_i64[precision];
    return v < lim && v > -lim;
}

/* The 15 significant digits of v in [1, 10^15), exactly as "%.14e" rounds them (to nearest),
 * without printing: v = m * 2^e (m < 2^53, e >= -52), so v * 10^f = m * 5^f * 2^(e + f) with
 * f = 14 - floor(log10 v) fractional digits; m * 5^f < 2^86 is exact in 128 bits, and the shift
 * rounds. *digits * 10^-f is the rounded value. false on an exact tie (printf's tie rule is
 * left to printf) or outside the range. */
static bool digits15(double v, int64_t *digits, int *f)
{
    if (!(v >= 1.0 && v < 1e15)) return false;
    int k = 0; /* floor(log10 v): 10^k <= v < 10^(k + 1), compared exactly */
    while (k < 14 && v >= (double)pow10_i64[k + 1])
        k++;
    *f = 14 - k;
    int ex;
    const double fr = frexp(v, &ex); /* v = fr * 2^ex, fr in [0.5, 1) */
    const uint64_t m = (uint64_t)ldexp(fr, 53);
    const int e = ex - 53;
    cs_i128 n = (cs_i128)m;
    for (int i = 0; i < *f; i++)
        n *= 5;
    const int s = e + *f;
    if (s >= 0) {
        n <<= s;
    } else {
        const int sh = -s; /* 1 .. 52 + 14 */
        const cs_i128 rem = n & ((((cs_i128)1) << sh) - 1), half = ((cs_i128)1) << (sh - 1);
        n >>= sh;
        if (rem == half) return false;
        if (rem > half) n++;
    }
    *digits = (int64_t)n;
    return true;
}

bool cs_float8_to_numeric(double v, int scale, int64_t *out)
{
    assert(scale >= 0 && scale <= 8);
    if (!isfinite(v)) return false;
    int64_t d;
    int f;
    if (digits15(fabs(v), &d, &f)) { /* d * 10^-f; scaled: d * 10^(scale - f) */
        if (scale > f && d > INT64_MAX / pow10_i64[scale - f]) return false;
        const int64_t r =
            scale >= f ? d * pow10_i64[scale - f] : cs_round_div(d, pow10_i64[f - scale]);
        *out = v < 0 ? -r : r;
        return true;
    }
    /* "%.14e" rounds to the same 15 significant digits as PostgreSQL's "%.15g" (C11 7.21.6.1:
     * %g picks its style from the exponent of the %e form of the same precision). */
    char buf[48];
    (void)snprintf(buf, sizeof(buf), "%.14e", v);
    const char *p = buf;
    const bool neg = *p == '-';
    if (neg) p++;
    int64_t mant = 0;
    for (; *p != 'e'; p++) {
        if (*p == '.') continue;
        mant = mant * 10 + (*p - '0');
    }
    p++;
    const bool eneg = *p == '-';
    p++;
    int exp10 = 0;
    for (; *p != '\0'; p++)
        exp10 = exp10 * 10 + (*p - '0');
    if (eneg) exp10 = -exp10;
    /* value = mant * 10^(exp10 - 14); scaled = mant * 10^(exp10 - 14 + scale) */
    const int shift = exp10 - 14 + scale;
    int64_t r;
    if (shift >= 0) {
        if (shift > 18 || mant > INT64_MAX / pow10_i64[shift]) return false;
        r = mant * pow10_i64[shift];
    } else if (-shift > 18) {
        r = 0; /* mant < 10^15 and the divisor exceeds 10^18: below one half */
    } else {
        r = cs_round_div(mant, pow10_i64[-shift]);
    }
    *out = neg ? -r : r;
    return true;
}
