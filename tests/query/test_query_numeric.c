/* Rounding, float8 → numeric and percentile_cont rules, on values that hit the edges. Expected
 * values come from PostgreSQL 15 (the SQL is beside each case). */
#include <criterion/criterion.h>
#include <math.h>
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
