/*
 * Values as PostgreSQL 15 prints them (DateStyle ISO, TimeZone UTC): the text output of each
 * logical type, shared by dump (etl/) and the reports (query/). Parsing lives in
 * etl/value_parse.c; the calendar arithmetic both need lives here.
 */
#ifndef CS_PGTEXT_H
#define CS_PGTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CS_USEC_PER_SEC INT64_C(1000000)
#define CS_USEC_PER_DAY INT64_C(86400000000)

/* Longest text cs_fmt_* writes for a fixed-size value, NUL included. */
#define CS_FMT_MAX 48

/* cs_days_from_civil() - days since 1970-01-01 of the proleptic Gregorian y-m-d. */
int64_t cs_days_from_civil(int64_t y, unsigned m, unsigned d);
/* cs_civil_from_days() - the y-m-d of a day number. */
void cs_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* cs_time_key_from_days() - YYYYMMDD of a day number (years 1..9999). */
int32_t cs_time_key_from_days(int64_t days);
/* cs_days_from_time_key() - day number of YYYYMMDD; false when it is not a real date. */
bool cs_days_from_time_key(int32_t time_key, int64_t *days);
/* cs_floor_div() - a / b rounded toward minus infinity (b > 0). */
int64_t cs_floor_div(int64_t a, int64_t b);

/* Each cs_fmt_* writes the text and a NUL into buf (CS_FMT_MAX bytes) and returns its length. */
size_t cs_fmt_int(char *buf, int64_t v);
size_t cs_fmt_bool(char *buf, bool v);                  /* "t" / "f" */
size_t cs_fmt_date(char *buf, int64_t days);            /* "2025-03-04" */
size_t cs_fmt_timestamptz(char *buf, int64_t us);       /* "2025-03-04 04:41:12.5+00" */
size_t cs_fmt_numeric(char *buf, int64_t v, int scale); /* v / 10^scale with scale digits */
size_t cs_fmt_hash16(char *buf, const uint8_t v[16]);   /* 32 lower-case hex digits */
/* float8 as PostgreSQL prints it (extra_float_digits 1): the shortest digits that read back
 * as v, fixed notation for decimal exponents -4..14, else "1.5e+20"; Infinity, NaN. */
size_t cs_fmt_float8(char *buf, double v);

#endif
