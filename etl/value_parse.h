/*
 * Parsing one export value of each logical type from its (already unescaped) text, as
 * PostgreSQL 15's input functions accept it: int4in/int8in, boolin, numeric_in with the
 * column's scale, date_in and timestamptz_in (ISO forms), jsonb (syntax only), text[]
 * (array_in, re-serialized in array_out's canonical form), and the 32-hex-digit query hash.
 *
 * Every function is pure: no allocation, no global state. On failure each returns false and
 * writes a reason (without column or line) into why[CS_VP_WHY_SIZE]; the caller prefixes
 * "file:line: column: ". Reasons follow PostgreSQL's wording where it has one.
 */
#ifndef CS_ETL_VALUE_PARSE_H
#define CS_ETL_VALUE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/schema.h"

#define CS_VP_WHY_SIZE 256

/* Deepest jsonb nesting accepted (PostgreSQL's limit is its stack depth, ~thousands). */
#define CS_VP_JSON_MAX_DEPTH 1000

/* cs_vp_utf8() - whether s[0..n) is valid UTF-8 without NUL bytes (PostgreSQL's UTF8
 * encoding check). On failure why reads `invalid byte sequence for encoding "UTF8": 0xc3 0x28`. */
bool cs_vp_utf8(const char *s, size_t n, char *why);

/* cs_vp_bool() - boolin: t/f, true/false, yes/no, on/off, 1/0 and unique prefixes, any case,
 * surrounding whitespace allowed. */
bool cs_vp_bool(const char *s, size_t n, bool *out, char *why);

/* cs_vp_int() - int4in / int8in (type CS_TY_INT4 or CS_TY_INT8): optional sign, decimal
 * digits, surrounding whitespace; out-of-range values are errors. */
bool cs_vp_int(const char *s, size_t n, int type, int64_t *out, char *why);

/* cs_vp_numeric() - numeric_in then the typmod cast: the value times 10^scale, rounded half
 * away from zero. precision > 0 limits |value| < 10^(precision - scale) as numeric(p,s) does;
 * the int64 range is always enforced. Accepts "1.5", "-.5", "5.", "1e3"; rejects NaN and
 * Infinity (not representable). */
bool cs_vp_numeric(const char *s, size_t n, int scale, int precision, int64_t *out, char *why);

/* cs_vp_date() - "YYYY-MM-DD" (1- or 2-digit month and day accepted) → days since 1970-01-01;
 * years 1..9999. */
bool cs_vp_date(const char *s, size_t n, int64_t *days, char *why);

/* cs_vp_timestamptz() - "YYYY-MM-DD HH:MM[:SS[.f…]][zone]" (or 'T' between date and time)
 * → microseconds since 1970-01-01 UTC. zone: "+HH", "-HH:MM", "+HH:MM:SS", "+HHMM", "Z";
 * absent means UTC (the reference session's TimeZone). 24:00:00 is the next day's midnight;
 * more than 6 fractional digits are rounded as PostgreSQL does. The UTC result must fall in
 * years 1..9999. */
bool cs_vp_timestamptz(const char *s, size_t n, int64_t *us, char *why);

/* The day of the last timestamp cs_vp_timestamptz_day() parsed: exports are in time order,
 * so consecutive rows mostly share their date. Zero-initialize before first use. */
struct cs_vp_day_cache {
    char ymd[10];   /* "YYYY-MM-DD" */
    int64_t day_us; /* its midnight UTC, microseconds since 1970-01-01 */
    bool valid;
};

/* cs_vp_timestamptz_day() - cs_vp_timestamptz() with a fast path for the form PostgreSQL
 * prints in a UTC session ("YYYY-MM-DD HH:MM:SS[.f{1,6}]+00") that reuses the date of the
 * previous call through *cache; same results and reasons. */
bool cs_vp_timestamptz_day(
    const char *s, size_t n, struct cs_vp_day_cache *cache, int64_t *us, char *why);

/* cs_vp_hash16() - exactly 32 lower-case hex digits → 16 bytes. */
bool cs_vp_hash16(const char *s, size_t n, uint8_t out[16], char *why);

/* cs_vp_json() - whether s[0..n) is one JSON value (RFC 8259, PostgreSQL's json lexer) that
 * jsonb accepts: no \u0000, surrogate pairs paired, nesting at most CS_VP_JSON_MAX_DEPTH. */
bool cs_vp_json(const char *s, size_t n, char *why);

/* cs_vp_text_array() - array_in for text[]: validates s[0..n) and writes array_out's
 * canonical form into out[0..cap), setting *out_len. cap >= cs_vp_text_array_cap(n) always
 * suffices. Nested (multidimensional) arrays must be rectangular; `[1:2]={…}` bounds and
 * empty inner arrays are rejected. */
bool cs_vp_text_array(const char *s, size_t n, char *out, size_t cap, size_t *out_len, char *why);
size_t cs_vp_text_array_cap(size_t n);

/* cs_vp_numeric_precision() - the declared precision of a numeric column of the seed's DDL
 * (schema.h keeps only the scale), 0 when unknown. */
int cs_vp_numeric_precision(const struct cs_table_def *t, int col);

/* cs_vp_overall_score() - fact_training's generated column:
 * round((coalesce(c,0)+coalesce(a,0)+coalesce(t,0)) / 3.0, 2) × 100, half away from zero.
 * A NULL score is passed as 0. */
int64_t cs_vp_overall_score(int64_t clarity, int64_t accuracy, int64_t tone);

#endif
