/* Result formatting: psql --csv, psql's aligned table and JSON. The expected texts were printed
 * by psql 15 for the same values (the query is beside each case). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/format.h"
#include "storage/base/pgtext.h"

static char *render(const struct cs_result *r, int fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    struct cs_error err = {0};
    cr_assert_eq(cs_result_write(f, r, fmt, &err), CS_OK);
    fclose(f);
    return buf;
}

/* select date '2025-03-04' as full_date, 'data'::text as agent_name, 10::bigint as
 * total_queries, 12.30::numeric(10,2) as x, null::numeric as nul, 'March    '::text as
 * month_name */
static struct cs_result *sample(void)
{
    static const struct cs_result_coldef cols[] = {
        {"full_date", CS_TY_DATE, 0},     {"agent_name", CS_TY_TEXT, 0},
        {"total_queries", CS_TY_INT8, 0}, {"x", CS_TY_NUMERIC, 2},
        {"nul", CS_TY_NUMERIC, 2},        {"month_name", CS_TY_TEXT, 0},
    };
    struct cs_result *r = cs_result_new(6, cols);
    cr_assert(cs_col_push_i64(&r->cols[0], 20151)); /* 2025-03-04 */
    cr_assert(cs_col_push_str(&r->cols[1], "data", 4));
    cr_assert(cs_col_push_i64(&r->cols[2], 10));
    cr_assert(cs_col_push_i64(&r->cols[3], 1230));
    cr_assert(cs_col_push_null(&r->cols[4]));
    cr_assert(cs_col_push_str(&r->cols[5], "March    ", 9));
    r->rows = 1;
    return r;
}

Test(format, table_matches_psql_aligned)
{
    struct cs_result *r = sample();
    char *s = render(r, CS_OUT_TABLE);
    cr_assert_str_eq(s, " full_date  | agent_name | total_queries |   x   | nul | month_name \n"
                        "------------+------------+---------------+-------+-----+------------\n"
                        " 2025-03-04 | data       |            10 | 12.30 |     | March    \n"
                        "(1 row)\n"
                        "\n");
    free(s);
    cs_result_free(r);
}

Test(format, table_with_no_rows_and_last_column_null)
{
    static const struct cs_result_coldef cols[] = {{"longcolumnname", CS_TY_TEXT, 0},
                                                   {"b", CS_TY_INT4, 0}};
    struct cs_result *r = cs_result_new(2, cols);
    char *s = render(r, CS_OUT_TABLE);
    /* select 'a'::text as longcolumnname, 1 as b where false */
    cr_assert_str_eq(s, " longcolumnname | b \n----------------+---\n(0 rows)\n\n");
    free(s);
    cs_result_free(r);

    static const struct cs_result_coldef cols2[] = {{"a", CS_TY_INT4, 0}, {"b", CS_TY_TEXT, 0}};
    r = cs_result_new(2, cols2);
    cr_assert(cs_col_push_i64(&r->cols[0], 1));
    cr_assert(cs_col_push_null(&r->cols[1]));
    r->rows = 1;
    s = render(r, CS_OUT_TABLE);
    /* select 1 as a, null::text as b */
    cr_assert_str_eq(s, " a | b \n---+---\n 1 | \n(1 row)\n\n");
    free(s);
    cs_result_free(r);
}

Test(format, table_centers_headers_and_counts_wide_characters)
{
    static const struct cs_result_coldef cols[] = {{"x", CS_TY_TEXT, 0}, {"y", CS_TY_TEXT, 0}};
    struct cs_result *r = cs_result_new(2, cols);
    cr_assert(cs_col_push_str(&r->cols[0], "ab", 2));
    cr_assert(cs_col_push_str(&r->cols[1], "\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac", 8)); /* é日本 */
    r->rows = 1;
    char *s = render(r, CS_OUT_TABLE);
    cr_assert_str_eq(s, " x  |   y   \n----+-------\n ab | \xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\n"
                        "(1 row)\n\n");
    free(s);
    cs_result_free(r);

    static const struct cs_result_coldef cols2[] = {{"x", CS_TY_TEXT, 0}, {"y", CS_TY_NUMERIC, 1}};
    r = cs_result_new(2, cols2);
    cr_assert(cs_col_push_str(&r->cols[0], "ab", 2));
    cr_assert(cs_col_push_i64(&r->cols[1], 123455));
    cr_assert(cs_col_push_str(&r->cols[0], "abcdefg", 7));
    cr_assert(cs_col_push_i64(&r->cols[1], 10));
    r->rows = 2;
    s = render(r, CS_OUT_TABLE);
    /* same layout as psql for select 'ab' x, 12345.5 y union all select 'abcdefg', 1.0 */
    cr_assert_str_eq(s, "    x    |    y    \n---------+---------\n ab      | 12345.5\n"
                        " abcdefg |     1.0\n(2 rows)\n\n");
    free(s);
    cs_result_free(r);
}

Test(format, csv_quotes_like_psql)
{
    /* psql --csv -c "select 'a\"b'::text as \"x,y\", '\.' as z, '' as e, ' sp ' as s, null as n,
     * E'l1\nl2' as nl" */
    static const struct cs_result_coldef cols[] = {
        {"x,y", CS_TY_TEXT, 0}, {"z", CS_TY_TEXT, 0}, {"e", CS_TY_TEXT, 0},
        {"s", CS_TY_TEXT, 0},   {"n", CS_TY_TEXT, 0}, {"nl", CS_TY_TEXT, 0},
    };
    struct cs_result *r = cs_result_new(6, cols);
    cr_assert(cs_col_push_str(&r->cols[0], "a\"b", 3));
    cr_assert(cs_col_push_str(&r->cols[1], "\\.", 2));
    cr_assert(cs_col_push_str(&r->cols[2], "", 0));
    cr_assert(cs_col_push_str(&r->cols[3], " sp ", 4));
    cr_assert(cs_col_push_null(&r->cols[4]));
    cr_assert(cs_col_push_str(&r->cols[5], "l1\nl2", 5));
    r->rows = 1;
    char *s = render(r, CS_OUT_CSV);
    cr_assert_str_eq(s, "\"x,y\",z,e,s,n,nl\n\"a\"\"b\",\"\\.\",, sp ,,\"l1\nl2\"\n");
    free(s);
    cs_result_free(r);
}

Test(format, csv_of_sample_and_empty)
{
    struct cs_result *r = sample();
    char *s = render(r, CS_OUT_CSV);
    cr_assert_str_eq(s, "full_date,agent_name,total_queries,x,nul,month_name\n"
                        "2025-03-04,data,10,12.30,,March    \n");
    free(s);
    r->rows = 0;
    s = render(r, CS_OUT_CSV);
    cr_assert_str_eq(s, "full_date,agent_name,total_queries,x,nul,month_name\n");
    free(s);
    cs_result_free(r);
}

Test(format, json_numbers_as_numbers)
{
    struct cs_result *r = sample();
    cr_assert(cs_col_push_i64(&r->cols[0], 0));
    cr_assert(cs_col_push_str(&r->cols[1], "q\"\\\n\x01", 5));
    cr_assert(cs_col_push_i64(&r->cols[2], -3));
    cr_assert(cs_col_push_i64(&r->cols[3], -5));
    cr_assert(cs_col_push_i64(&r->cols[4], 100));
    cr_assert(cs_col_push_null(&r->cols[5]));
    r->rows = 2;
    char *s = render(r, CS_OUT_JSON);
    cr_assert_str_eq(s,
                     "[\n"
                     "  {\"full_date\": \"2025-03-04\", \"agent_name\": \"data\", "
                     "\"total_queries\": 10, \"x\": 12.30, \"nul\": null, "
                     "\"month_name\": \"March    \"},\n"
                     "  {\"full_date\": \"1970-01-01\", \"agent_name\": \"q\\\"\\\\\\n\\u0001\", "
                     "\"total_queries\": -3, \"x\": -0.05, \"nul\": 1.00, "
                     "\"month_name\": null}\n"
                     "]\n");
    free(s);
    r->rows = 0;
    s = render(r, CS_OUT_JSON);
    cr_assert_str_eq(s, "[]\n");
    free(s);
    cs_result_free(r);
}

Test(format, value_text_and_unknown_format)
{
    struct cs_result *r = sample();
    char buf[CS_FMT_MAX];
    const char *text;
    int is_null;
    size_t n = cs_result_value_text(r, 3, 0, buf, &text, &is_null);
    cr_assert_eq(n, 5);
    cr_assert_eq(is_null, 0);
    cr_assert_eq(memcmp(text, "12.30", 5), 0);
    n = cs_result_value_text(r, 4, 0, buf, &text, &is_null);
    cr_assert_eq(n, 0);
    cr_assert_eq(is_null, 1);
    struct cs_error err = {0};
    cr_assert_eq(cs_result_write(stdout, r, 99, &err), CS_EINVAL);
    cs_result_free(r);
}
