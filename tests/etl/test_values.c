/* Value parsers of etl/value_parse.h: every accepted form and every rejection message. */
#include <criterion/criterion.h>
#include <string.h>

#include "etl/value_parse.h"
#include "storage/base/pgtext.h"

static char why[CS_VP_WHY_SIZE];

static bool b_ok(const char *s, bool want)
{
    bool v = !want;
    return cs_vp_bool(s, strlen(s), &v, why) && v == want;
}

Test(values, booleans_accept_every_postgres_spelling)
{
    const char *yes[] = {"t", "true", "TRUE", "tr", " yes ", "y", "on", "ON", "1"};
    const char *no[] = {"f", "false", "False", "fa", "no", "n", "off", "of", "0", "\tf\n"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
        cr_expect(b_ok(yes[i], true), "%s", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
        cr_expect(b_ok(no[i], false), "%s", no[i]);
}

Test(values, booleans_reject_ambiguous_and_unknown)
{
    bool v;
    cr_expect(!cs_vp_bool("o", 1, &v, why));
    cr_expect(!cs_vp_bool("", 0, &v, why));
    cr_expect(!cs_vp_bool("truer", 5, &v, why));
    cr_assert(!cs_vp_bool("maybe", 5, &v, why));
    cr_expect_str_eq(why, "invalid input syntax for type boolean: \"maybe\"");
}

static int64_t int_of(const char *s, int type, bool *ok)
{
    int64_t v = 0;
    *ok = cs_vp_int(s, strlen(s), type, &v, why);
    return v;
}

Test(values, integers_with_bounds)
{
    bool ok;
    cr_expect_eq(int_of("42", CS_TY_INT4, &ok), 42);
    cr_expect(ok);
    cr_expect_eq(int_of(" -7 ", CS_TY_INT4, &ok), -7);
    cr_expect_eq(int_of("+5", CS_TY_INT4, &ok), 5);
    cr_expect_eq(int_of("2147483647", CS_TY_INT4, &ok), INT32_MAX);
    cr_expect(ok);
    cr_expect_eq(int_of("-2147483648", CS_TY_INT4, &ok), INT32_MIN);
    cr_expect(ok);
    cr_expect_eq(int_of("9223372036854775807", CS_TY_INT8, &ok), INT64_MAX);
    cr_expect(ok);
    cr_expect_eq(int_of("-9223372036854775808", CS_TY_INT8, &ok), INT64_MIN);
    cr_expect(ok);
}

Test(values, integers_reject_syntax_and_overflow)
{
    bool ok;
    int_of("2147483648", CS_TY_INT4, &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "value \"2147483648\" is out of range for type integer");
    int_of("-2147483649", CS_TY_INT4, &ok);
    cr_expect(!ok);
    int_of("9223372036854775808", CS_TY_INT8, &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "value \"9223372036854775808\" is out of range for type bigint");
    int_of("99999999999999999999999", CS_TY_INT8, &ok);
    cr_expect(!ok);
    int_of("12a", CS_TY_INT4, &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "invalid input syntax for type integer: \"12a\"");
    int_of("", CS_TY_INT4, &ok);
    cr_expect(!ok);
    int_of("-", CS_TY_INT4, &ok);
    cr_expect(!ok);
    int_of("1.0", CS_TY_INT4, &ok);
    cr_expect(!ok);
    int_of("1 2", CS_TY_INT4, &ok);
    cr_expect(!ok);
}

static int64_t num(const char *s, int scale, int precision, bool *ok)
{
    int64_t v = 0;
    *ok = cs_vp_numeric(s, strlen(s), scale, precision, &v, why);
    return v;
}

Test(values, numerics_round_half_away_from_zero_to_the_scale)
{
    bool ok;
    const struct {
        const char *in;
        int scale;
        int64_t want;
    } cases[] = {
        {"1.005", 2, 101},  {"-1.005", 2, -101},  {"1.004", 2, 100},
        {"12.3", 2, 1230},  {"5", 2, 500},        {".5", 2, 50},
        {"-.5", 2, -50},    {"5.", 2, 500},       {"1e2", 2, 10000},
        {"1.5E-1", 2, 15},  {"0.005", 2, 1},      {"-0.004", 2, 0},
        {"0.0000", 6, 0},   {"0.000123", 6, 123}, {"1234.5678915", 6, 1234567892},
        {" 7.25 ", 2, 725}, {"+3", 0, 3},         {"2.5", 0, 3},
        {"-2.5", 0, -3},    {"0.00500", 2, 1},    {"123e-5", 6, 1230},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const int64_t v = num(cases[i].in, cases[i].scale, 0, &ok);
        cr_expect(ok, "%s", cases[i].in);
        cr_expect_eq(v, cases[i].want, "%s: %lld", cases[i].in, (long long)v);
    }
}

Test(values, numerics_enforce_precision_and_syntax)
{
    bool ok;
    cr_expect_eq(num("9.99", 2, 3, &ok), 999);
    cr_expect(ok);
    cr_expect_eq(num("-9.994", 2, 3, &ok), -999);
    cr_expect(ok);
    num("9.995", 2, 3, &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "numeric field overflow: \"9.995\" does not fit numeric(3,2)");
    num("10", 2, 3, &ok);
    cr_expect(!ok);
    cr_expect_eq(num("9999.999999", 6, 10, &ok), 9999999999);
    cr_expect(ok);
    num("10000", 6, 10, &ok);
    cr_expect(!ok);
    num("99999999999999999999", 2, 0, &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "numeric value out of supported range: \"99999999999999999999\"");
    num("NaN", 2, 0, &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "invalid input syntax for type numeric: \"NaN\"");
    const char *bad[] = {"", ".", "-", "1e", "1e+", "1.2.3", "abc", "1 2", "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        num(bad[i], 2, 0, &ok);
        cr_expect(!ok, "%s", bad[i]);
    }
}

static const char *date_text(const char *s, bool *ok)
{
    static char out[CS_FMT_MAX];
    int64_t d = 0;
    *ok = cs_vp_date(s, strlen(s), &d, why);
    cs_fmt_date(out, d);
    return out;
}

Test(values, dates)
{
    bool ok;
    cr_expect_str_eq(date_text("2025-03-04", &ok), "2025-03-04");
    cr_expect(ok);
    cr_expect_str_eq(date_text("1970-01-01", &ok), "1970-01-01");
    cr_expect_str_eq(date_text("2024-02-29", &ok), "2024-02-29");
    cr_expect(ok);
    cr_expect_str_eq(date_text("2025-3-4", &ok), "2025-03-04");
    cr_expect_str_eq(date_text("0001-01-01", &ok), "0001-01-01");
    cr_expect(ok);
    date_text("2025-02-29", &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "date/time field value out of range: \"2025-02-29\"");
    date_text("2025-13-01", &ok);
    cr_expect(!ok);
    date_text("0000-01-01", &ok);
    cr_expect(!ok);
    date_text("20250304", &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "invalid input syntax for type date: \"20250304\"");
    date_text("2025-03-04x", &ok);
    cr_expect(!ok);
}

static const char *ts_text(const char *s, bool *ok)
{
    static char out[CS_FMT_MAX];
    int64_t us = 0;
    *ok = cs_vp_timestamptz(s, strlen(s), &us, why);
    cs_fmt_timestamptz(out, us);
    return out;
}

Test(values, timestamps_in_every_offset_and_precision)
{
    const struct {
        const char *in, *utc;
    } cases[] = {
        {"2025-03-04 10:11:12+00", "2025-03-04 10:11:12+00"},
        {"2025-03-04 10:11:12.5+00", "2025-03-04 10:11:12.5+00"},
        {"2025-03-04 10:11:12.1+00", "2025-03-04 10:11:12.1+00"},
        {"2025-03-04 10:11:12.12+00", "2025-03-04 10:11:12.12+00"},
        {"2025-03-04 10:11:12.123+00", "2025-03-04 10:11:12.123+00"},
        {"2025-03-04 10:11:12.1234+00", "2025-03-04 10:11:12.1234+00"},
        {"2025-03-04 10:11:12.12345+00", "2025-03-04 10:11:12.12345+00"},
        {"2025-03-04 10:11:12.123456+00", "2025-03-04 10:11:12.123456+00"},
        {"2025-03-04 10:11:12.000001+00", "2025-03-04 10:11:12.000001+00"},
        {"2025-03-04 10:11:12+05:30", "2025-03-04 04:41:12+00"},
        {"2025-03-04 10:11:12.5+05:30", "2025-03-04 04:41:12.5+00"},
        {"2025-03-04 10:11:12-08", "2025-03-04 18:11:12+00"},
        {"2025-03-04 20:00:00-08", "2025-03-05 04:00:00+00"},    /* crosses midnight forward */
        {"2025-03-01 01:00:00+05:30", "2025-02-28 19:30:00+00"}, /* back across a month */
        {"2024-12-31 23:30:00-01", "2025-01-01 00:30:00+00"},    /* across a year */
        {"2025-03-04 10:11:12+0530", "2025-03-04 04:41:12+00"},
        {"2025-03-04 10:11:12+05:53:28", "2025-03-04 04:17:44+00"},
        {"2025-03-04T10:11:12Z", "2025-03-04 10:11:12+00"},
        {"2025-03-04 10:11:12", "2025-03-04 10:11:12+00"},
        {"2025-03-04 10:11", "2025-03-04 10:11:00+00"},
        {"2025-03-04 24:00:00+00", "2025-03-05 00:00:00+00"},
        {" 2025-03-04 10:11:12+00 ", "2025-03-04 10:11:12+00"},
        {"2025-03-04 10:11:12.1234565+00", "2025-03-04 10:11:12.123456+00"},
        {"1969-12-31 23:59:59.5+00", "1969-12-31 23:59:59.5+00"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        bool ok;
        const char *got = ts_text(cases[i].in, &ok);
        cr_expect(ok, "%s: %s", cases[i].in, why);
        cr_expect_str_eq(got, cases[i].utc, "%s", cases[i].in);
    }
}

Test(values, timestamps_rejected)
{
    bool ok;
    ts_text("2025-03-04 25:00:00+00", &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "date/time field value out of range: \"2025-03-04 25:00:00+00\"");
    ts_text("2025-03-04 10:11:12+00:00x", &ok);
    cr_assert(!ok);
    cr_expect_str_eq(why, "invalid input syntax for type timestamp with time zone: "
                          "\"2025-03-04 10:11:12+00:00x\"");
    const char *bad[] = {"2025-03-04",
                         "2025-03-04 10",
                         "2025-02-30 00:00:00",
                         "2025-03-04 10:60:00",
                         "2025-03-04 24:00:01",
                         "2025-03-04 10:00:00+16",
                         "2025-03-04 10:00:00.",
                         "2025-03-04 10:00:00+5:",
                         "9999-12-31 23:00:00-05",
                         "0001-01-01 00:00:00+01",
                         "abc",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        ts_text(bad[i], &ok);
        cr_expect(!ok, "%s", bad[i]);
    }
}

Test(values, query_hash_is_32_lower_case_hex_digits)
{
    uint8_t h[16];
    char back[CS_FMT_MAX];
    const char *md5 = "0123456789abcdef0123456789abcdef";
    cr_assert(cs_vp_hash16(md5, 32, h, why));
    cs_fmt_hash16(back, h);
    cr_expect_str_eq(back, md5);
    cr_expect(!cs_vp_hash16("0123456789ABCDEF0123456789abcdef", 32, h, why));
    cr_expect(!cs_vp_hash16("0123456789abcdef0123456789abcde", 31, h, why));
    cr_assert(!cs_vp_hash16("0123456789abcdef0123456789abcdeg", 32, h, why));
    cr_expect_str_eq(why, "not a 32-digit lower-case hex MD5");
}

Test(values, json_syntax)
{
    const char *good[] = {"{}",
                          "[]",
                          "[\"query\", \"analytics\", \"schema\"]",
                          "{\"a\": [1, 2.5e3, -0.1, true, false, null, \"x\\u00e9\\n\"]}",
                          " 1 ",
                          "\"s\"",
                          "{\"k\": {\"n\": {}}}",
                          "\"\\ud83d\\ude00\"",
                          "-0"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        cr_expect(cs_vp_json(good[i], strlen(good[i]), why), "%s: %s", good[i], why);
    }
    const char *bad[] = {"",          "{a:1}", "[1,]", "\"\\u0000\"", "01", "[1] x", "\"\\ud83d\"",
                         "{\"a\" 1}", "[",     "tru",  "\"a\tb\"",    "1.", "+1",    "'x'"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        cr_expect(!cs_vp_json(bad[i], strlen(bad[i]), why), "%s", bad[i]);
    }
    cs_vp_json("{a:1}", 5, why);
    cr_expect_str_eq(why, "invalid input syntax for type json: expected string key at byte 1");
}

Test(values, json_nesting_is_bounded)
{
    static char deep[2 * (CS_VP_JSON_MAX_DEPTH + 10)];
    const size_t d = CS_VP_JSON_MAX_DEPTH + 5;
    memset(deep, '[', d);
    memset(deep + d, ']', d);
    cr_expect(!cs_vp_json(deep, 2 * d, why));
    cr_expect(cs_vp_json(deep + 10, 2 * d - 20, why));
}

static const char *arr(const char *in, bool *ok)
{
    static char out[512];
    size_t len = 0;
    *ok = cs_vp_text_array(in, strlen(in), out, sizeof(out) - 1, &len, why);
    out[*ok ? len : 0] = '\0';
    return out;
}

Test(values, text_arrays_are_canonicalized_as_array_out_prints_them)
{
    const struct {
        const char *in, *want;
    } cases[] = {
        {"{a,\"b c\",\"d,e\",\"e\\\"f\",NULL}", "{a,\"b c\",\"d,e\",\"e\\\"f\",NULL}"},
        {"{}", "{}"},
        {" { } ", "{}"},
        {"{\"NULL\"}", "{\"NULL\"}"},
        {"{null}", "{NULL}"},
        {"{\"null\"}", "{\"null\"}"},
        {"{N\\ULL}", "{\"NULL\"}"},
        {"{ a , b }", "{a,b}"},
        {"{\"a\"}", "{a}"},
        {"{\"\"}", "{\"\"}"},
        {"{a\\,b}", "{\"a,b\"}"},
        {"{a\\\\b}", "{\"a\\\\b\"}"},
        {"{x y}", "{\"x y\"}"},
        {"{a\\ }", "{\"a \"}"},
        {"{\"{}\"}", "{\"{}\"}"},
        {"{\"a\\tb\"}", "{atb}"},
        {"{\"tab\there\"}", "{\"tab\there\"}"},
        {"{é,ü}", "{é,ü}"},
        {"{{a,b},{c,d}}", "{{a,b},{c,d}}"},
        {"{{\"x y\",NULL},{\"\",z}}", "{{\"x y\",NULL},{\"\",z}}"},
        {"{label_1,needs-review}", "{label_1,needs-review}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        bool ok;
        const char *got = arr(cases[i].in, &ok);
        cr_expect(ok, "%s: %s", cases[i].in, why);
        cr_expect_str_eq(got, cases[i].want, "%s", cases[i].in);
    }
}

Test(values, text_arrays_rejected)
{
    bool ok;
    const char *bad[] = {"",        "a",       "{a",     "{a,,b}",    "{,}",
                         "{a}x",    "{\"a}",   "{a\"b}", "{\"a\"b}",  "{{a},{b,c}}",
                         "{{a},b}", "{a,{b}}", "{{}}",   "[1:1]={a}", "{{{{{{{a}}}}}}}",
                         "{a\\"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        arr(bad[i], &ok);
        cr_expect(!ok, "%s", bad[i]);
    }
    arr("{a,,b}", &ok);
    cr_expect_str_eq(why, "malformed array literal: \"{a,,b}\"");
    arr("{{a},{b,c}}", &ok);
    cr_expect_str_eq(why, "malformed array literal: \"{{a},{b,c}}\": multidimensional arrays "
                          "must have array expressions with matching dimensions");
}

Test(values, utf8_validation)
{
    cr_expect(cs_vp_utf8("plain ascii text, long enough for words", 39, why));
    cr_expect(cs_vp_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, why));
    cr_assert(!cs_vp_utf8("ab\xc3\x28", 4, why));
    cr_expect_str_eq(why, "invalid byte sequence for encoding \"UTF8\": 0xc3 0x28");
    cr_assert(!cs_vp_utf8("abcdefgh\0ijk", 12, why));
    cr_expect_str_eq(why, "invalid byte sequence for encoding \"UTF8\": 0x00");
    cr_expect(!cs_vp_utf8("\xc0\x80", 2, why));         /* overlong NUL */
    cr_expect(!cs_vp_utf8("\xed\xa0\x80", 3, why));     /* surrogate */
    cr_expect(!cs_vp_utf8("\xf4\x90\x80\x80", 4, why)); /* above U+10FFFF */
    cr_expect(!cs_vp_utf8("\xe2\x82", 2, why));         /* truncated */
    cr_expect(!cs_vp_utf8("\x80", 1, why));
}

Test(values, overall_score_rounds_thirds_half_away_from_zero)
{
    cr_expect_eq(cs_vp_overall_score(1, 2, 2), 167);
    cr_expect_eq(cs_vp_overall_score(5, 5, 5), 500);
    cr_expect_eq(cs_vp_overall_score(0, 0, 0), 0);
    cr_expect_eq(cs_vp_overall_score(1, 0, 0), 33);
    cr_expect_eq(cs_vp_overall_score(2, 0, 0), 67);
    cr_expect_eq(cs_vp_overall_score(4, 4, 5), 433);
}

Test(values, numeric_precision_of_the_seed_columns)
{
    const struct cs_table_def *t = cs_schema_table(CS_T_FACT_TRAINING);
    cr_expect_eq(cs_vp_numeric_precision(t, CS_FT_OVERALL), 3);
    cr_expect_eq(cs_vp_numeric_precision(cs_schema_table(CS_T_DIM_AGENT), CS_AGENT_COST), 10);
    cr_expect_eq(cs_vp_numeric_precision(cs_schema_table(CS_T_AGG_DAILY), CS_AGG_P95_LATENCY), 10);
    cr_expect_eq(cs_vp_numeric_precision(cs_schema_table(CS_T_AGG_DAILY), CS_AGG_EDIT_RATE), 5);
}
