/* Rounding, float8 → numeric and percentile_cont rules, on values that hit the edges. Expected
 * values come from PostgreSQL 15 (the SQL is beside each case). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/numeric.h"
#include "query/percentile.h"
#include "storage/base/pgtext.h"

static const char *num2(int64_t v)
{
    static char buf[CS_FMT_MAX];
    cs_fmt_numeric(buf, v, 2);
    return buf;
}

static const char *f8num(double d)
{
    int64_t v = 0;
    cr_assert(cs_float8_to_numeric(d, 2, &v), "conversion of %.17g", d);
    return num2(v);
}

Test(numeric, round_div_halves_away_from_zero)
{
    cr_assert_eq(cs_round_div(5, 2), 3);
    cr_assert_eq(cs_round_div(-5, 2), -3);
    cr_assert_eq(cs_round_div(4, 3), 1);
    cr_assert_eq(cs_round_div(-4, 3), -1);
    cr_assert_eq(cs_round_div(0, 7), 0);
    cr_assert_eq(cs_round_div(1, 2), 1);
    cr_assert_eq(cs_round_div(-1, 2), -1);
    cr_assert_eq(cs_round_div(1, 3), 0);
}

Test(numeric, pct2_matches_postgres)
{
    /* select round(100.0*1/8,2), round(100.0*1/3,2), round(100.0*2/3,2), round(100.0*1/16,2),
     * round(100.0*1/2000,2) → 12.50 33.33 66.67 6.25 0.05 */
    cr_assert_str_eq(num2(cs_pct2(1, 8)), "12.50");
    cr_assert_str_eq(num2(cs_pct2(1, 3)), "33.33");
    cr_assert_str_eq(num2(cs_pct2(2, 3)), "66.67");
    cr_assert_str_eq(num2(cs_pct2(1, 16)), "6.25");
    cr_assert_str_eq(num2(cs_pct2(1, 2000)), "0.05");
    cr_assert_str_eq(num2(cs_pct2(1, 20000)), "0.01"); /* 0.005 exactly: up */
    cr_assert_str_eq(num2(cs_pct2(1, 20001)), "0.00");
    cr_assert_str_eq(num2(cs_pct2(7, 7)), "100.00");
    cr_assert_str_eq(num2(cs_pct2(0, 7)), "0.00");
}

Test(numeric, avg2_matches_postgres)
{
    /* round(avg(v),2), round(avg(v)/60,2) over 1,2,2,2,2,2,2,2 → 1.88, 0.03 */
    cr_assert_str_eq(num2(cs_avg2(15, 0, 8, 1)), "1.88");
    cr_assert_str_eq(num2(cs_avg2(15, 0, 8, 60)), "0.03");
    cr_assert_str_eq(num2(cs_avg2(-15, 0, 8, 1)), "-1.88");
    /* a one-row group */
    cr_assert_str_eq(num2(cs_avg2(1234, 0, 1, 1)), "1234.00");
    /* avg(x)/60 exactly at a half: 18/60 = 0.3 / 60 = 0.005 → 0.01 */
    cr_assert_str_eq(num2(cs_avg2(18, 0, 60, 60)), "0.01");
    /* numeric(3,2) scores (scale 2 sums): avg(1.67, 2.33, 2.00) = 2.00 */
    cr_assert_str_eq(num2(cs_avg2(167 + 233 + 200, 2, 3, 1)), "2.00");
    /* avg(1.67, 1.67) = 1.67; avg(1.67, 1.66) = 1.665 → 1.67 */
    cr_assert_str_eq(num2(cs_avg2(167 + 166, 2, 2, 1)), "1.67");
    cr_assert_str_eq(num2(cs_avg2(-(167 + 166), 2, 2, 1)), "-1.67");
    /* sums near the int64 limit do not overflow */
    cr_assert_str_eq(num2(cs_avg2(INT64_C(9000000000000000000), 0, 1000000000, 1)),
                     "9000000000.00");
}

Test(numeric, float8_to_numeric_uses_15_digits)
{
    /* select 1.005::float8::numeric(20,2) → 1.01 (the double is 1.00499999999999989...) */
    cr_assert_str_eq(f8num(1.005), "1.01");
    cr_assert_str_eq(f8num(0.125), "0.13");
    cr_assert_str_eq(f8num(-0.125), "-0.13");
    cr_assert_str_eq(f8num(2.675), "2.68");
    cr_assert_str_eq(f8num(1e-5), "0.00");
    cr_assert_str_eq(f8num(0.005), "0.01");
    cr_assert_str_eq(f8num(123456789012.345), "123456789012.35");
    cr_assert_str_eq(f8num(1234.5449999999999), "1234.55");
    cr_assert_str_eq(f8num(99999999.995), "100000000.00");
    cr_assert_str_eq(f8num(1e15), "1000000000000000.00");
    cr_assert_str_eq(f8num(0.1234567890123456789), "0.12");
    cr_assert_str_eq(f8num(0.0), "0.00");
    cr_assert_str_eq(f8num(5.0), "5.00");
    int64_t v;
    cr_assert_not(cs_float8_to_numeric(NAN, 2, &v));
    cr_assert_not(cs_float8_to_numeric(INFINITY, 2, &v));
    cr_assert_not(cs_float8_to_numeric(1e300, 2, &v));
    cr_assert(cs_float8_to_numeric(1e-300, 2, &v));
    cr_assert_eq(v, 0);
}

/* PostgreSQL's float8 → numeric, as float8_numeric() does it: "%.15g", then the text as a
 * numeric rounded half away from zero to `scale` places. Computed here from the printed text,
 * independently of the engine's digit arithmetic. */
static bool pg_float8_numeric(double v, int scale, int64_t *out)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.15g", v);
    const char *p = buf;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    cs_i128 mant = 0;
    int frac = 0, exp10 = 0;
    bool dot = false;
    for (; *p != '\0' && *p != 'e'; p++) {
        if (*p == '.') {
            dot = true;
            continue;
        }
        mant = mant * 10 + (*p - '0');
        frac += dot;
    }
    if (*p == 'e') exp10 = atoi(p + 1);
    int shift = scale - frac + exp10; /* value * 10^scale = mant * 10^shift */
    cs_i128 r = mant;
    for (; shift > 0; shift--) {
        r *= 10;
        if (r > INT64_MAX) return false;
    }
    if (shift < 0) {
        cs_i128 den = 1;
        for (int i = 0; i < -shift && den < (((cs_i128)1) << 100); i++)
            den *= 10;
        r = (2 * r + den) / (2 * den);
    }
    *out = neg ? -(int64_t)r : (int64_t)r;
    return true;
}

Test(numeric, float8_to_numeric_agrees_with_printing_on_many_values)
{
    uint64_t s = 12345;
    size_t checked = 0;
    for (int i = 0; i < 400000; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        double v;
        switch (i % 4) {
        case 0: { /* percentile_cont interpolations between two latencies */
            const int64_t a = (int64_t)(s >> 40) % 1000000, b = a + (int64_t)((s >> 20) % 5000);
            const size_t n = 2 + (size_t)(s % 20000);
            const double pos = 0.95 * (double)(n - 1);
            v = (double)a + (double)(b - a) * (pos - floor(pos));
            break;
        }
        case 1: /* any magnitude */
            v = ldexp((double)(s >> 11) / 9007199254740992.0, (int)((s >> 3) % 70) - 10);
            break;
        case 2: /* dyadic values: exact decimal ties at the 15th digit */
            v = 1.0 + ldexp((double)((s >> 30) % 4096), -(int)(10 + s % 40));
            break;
        default: /* near powers of ten and the 15-digit edge */
            v = pow(10.0, (double)(s % 16)) * (1.0 - ldexp(1.0, -(int)(40 + s % 13)));
            break;
        }
        if (s & 1) v = -v;
        for (int scale = 0; scale <= 4; scale += 2) {
            int64_t want = 0, got = 0;
            const bool ok_want = pg_float8_numeric(v, scale, &want);
            const bool ok_got = cs_float8_to_numeric(v, scale, &got);
            cr_assert_eq(ok_got, ok_want, "%.17g scale %d: fits %d vs %d", v, scale, ok_got,
                         ok_want);
            if (ok_want) {
                cr_assert_eq(got, want, "%.17g scale %d: %lld vs %lld", v, scale, (long long)got,
                             (long long)want);
                checked++;
            }
        }
    }
    cr_assert_gt(checked, 1000000);
}

Test(numeric, numeric_fits_precision)
{
    cr_assert(cs_numeric_fits(9999999999, 10));
    cr_assert_not(cs_numeric_fits(10000000000, 10));
    cr_assert(cs_numeric_fits(-9999999999, 10));
    cr_assert_not(cs_numeric_fits(-10000000000, 10));
}

static double pct(const int64_t *in, size_t n)
{
    int64_t v[64];
    memcpy(v, in, n * sizeof(*v));
    return cs_percentile_cont(v, n, 0.95);
}

Test(percentile, one_and_two_rows)
{
    const int64_t one[] = {5};
    cr_assert_eq(pct(one, 1), 5.0);
    /* percentile_cont(0.95) of (1),(2) → 1.95 */
    const int64_t two[] = {2, 1};
    cr_assert_str_eq(f8num(pct(two, 2)), "1.95");
}

Test(percentile, lerp_just_below_a_half_rounds_like_postgres)
{
    /* 10 values: pos = 0.95 * 9 = 8.549999999999999 → 1240 + 1 * 0.5499999... → 1240.55
     * (PostgreSQL: 1240.55) */
    const int64_t v[] = {1241, 1234, 1240, 1235, 1236, 1237, 1238, 1239, 1234, 1235};
    const double d = pct(v, 10);
    cr_assert_str_eq(f8num(d), "1240.55");
}

Test(percentile, exact_position_takes_one_value)
{
    /* 21 values: pos = 0.95 * 20 = 19 exactly → the 20th smallest */
    int64_t v[21];
    for (int i = 0; i < 21; i++)
        v[i] = (int64_t)((i * 5) % 21) * 10; /* a permutation of 0..200 */
    cr_assert_eq(pct(v, 21), 190.0);
}

Test(percentile, duplicates_and_negative_values)
{
    const int64_t same[] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
    cr_assert_eq(pct(same, 20), 7.0);
    const int64_t neg[] = {-5, -1, -3, -2, -4};
    /* pos = 3.8 → -2 + (-1 - -2) * 0.8 = -1.2 */
    cr_assert_str_eq(f8num(pct(neg, 5)), "-1.20");
}

Test(percentile, select_nth_against_sorting)
{
    uint64_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        int64_t v[50], s[50];
        const size_t n = 1 + (size_t)round % 50;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            v[i] = (int64_t)(seed >> 33) % (round % 3 == 0 ? 4 : 1000);
            s[i] = v[i];
        }
        for (size_t i = 1; i < n; i++) {
            for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
                const int64_t t = s[j];
                s[j] = s[j - 1];
                s[j - 1] = t;
            }
        }
        const size_t k = (size_t)round * 7 % n;
        cs_select_nth(v, n, k);
        cr_assert_eq(v[k], s[k]);
        for (size_t i = 0; i < k; i++)
            cr_assert(v[i] <= v[k]);
        for (size_t i = k + 1; i < n; i++)
            cr_assert(v[i] >= v[k]);
    }
}

static int cmp64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

Test(percentile, heap_and_selection_paths_agree_with_sorting)
{
    static int64_t v[5000], s[5000];
    uint64_t seed = 99;
    for (int round = 0; round < 300; round++) {
        const size_t n = 1 + (size_t)(round * 37) % 5000;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            v[i] = (int64_t)(seed >> 33) % (round % 4 == 0 ? 3 : 100000);
            s[i] = v[i];
        }
        qsort(s, n, sizeof(*s), cmp64);
        const double frac = round % 5 == 0 ? 0.5 : 0.95;
        const double pos = frac * (double)(int64_t)(n - 1);
        const size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
        const double want =
            lo == hi ? (double)s[lo] : (double)s[lo] + (double)(s[hi] - s[lo]) * (pos - (double)lo);
        cr_assert_eq(cs_percentile_cont(v, n, frac), want, "n=%zu frac=%g", n, frac);
    }
}
