/*
 * Exact decimal arithmetic for report values: NUMERIC results are int64 scaled by 10^scale.
 *
 * PostgreSQL computes ROUND(AVG(x), 2) and ROUND(100.0 * c / n, 2) with numeric division
 * carried to at least 16 significant digits, then rounds half away from zero; for the
 * magnitudes of the warehouse (counts below 10^9, values below 10^9) that equals rounding the
 * exact rational, which is what these functions do (docs/reports.md, "Exactness").
 */
#ifndef CS_QUERY_NUMERIC_H
#define CS_QUERY_NUMERIC_H

#include <stdbool.h>
#include <stdint.h>

__extension__ typedef __int128 cs_i128;

/* cs_round_div() - num / den rounded to the nearest integer, halves away from zero.
 * den must be > 0. The quotient must fit in int64 (asserted). */
int64_t cs_round_div(cs_i128 num, cs_i128 den);

/* cs_pct2() - ROUND(100.0 * part / whole, 2) as a scale-2 value (whole > 0). */
int64_t cs_pct2(int64_t part, int64_t whole);

/* cs_avg2() - ROUND(sum / n, 2) as a scale-2 value (n > 0); sum_scale is the scale sum is
 * expressed in (0 for integers, 2 for numeric(3,2) scores); `div` divides the average further
 * (ROUND(AVG(x) / 60, 2) passes 60, otherwise 1). */
int64_t cs_avg2(int64_t sum, int sum_scale, int64_t n, int64_t div);

/* cs_float8_to_numeric() - the value PostgreSQL stores when float8 v is assigned to a
 * numeric column of scale `scale` (0..8): v printed with "%.15g", then rounded to `scale`
 * places, halves away from zero; *out is that value times 10^scale. Returns false for NaN,
 * infinities and values whose scaled form does not fit in int64. */
bool cs_float8_to_numeric(double v, int scale, int64_t *out);

/* cs_numeric_fits() - whether scaled value v fits numeric(precision, scale), i.e.
 * |v| < 10^precision (the scale is already applied). */
bool cs_numeric_fits(int64_t v, int precision);

#endif
