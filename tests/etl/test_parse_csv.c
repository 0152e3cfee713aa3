/* CSV exports: quoting, NULL vs empty, multi-line records, header matching, defaults. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "etl/parse.h"
#include "etl_test_util.h"
#include "storage/base/pgtext.h"

static struct cs_batch b;
static struct cs_error err;

static void fini(void)
{
    cs_batch_free(&b);
}

TestSuite(parse_csv, .fini = fini);

static int parse(const char *table, bool header, const char *s)
{
    cs_batch_free(&b);
    return parse_all(table, CS_FMT_CSV, header, s, strlen(s), NULL, &b, &err, NULL);
}

#define AGENT_HEADER                                                                      \
    "agent_key,agent_name,agent_type,capabilities,sla_target_seconds,cost_per_query_usd," \
    "valid_from,valid_to,is_current\n"

Test(parse_csv, quoting_null_and_empty_string)
{
    const char *in = AGENT_HEADER
        "1,plain,data,\"[\"\"query\"\", \"\"schema\"\"]\",300,0.012500,2025-01-01 00:00:00+00,,t\n"
        "2,\"\",ops,,,,2025-01-01 00:00:00+00,,f\n"
        "3,\"a,b \"\"c\"\"\",qa,[],1,1.5,2025-01-01 00:00:00+00,,t\n"
        "4,ab\"c,d\"e,ai,[],1,1,2025-01-01 00:00:00+00,,t\n";
    cr_assert_eq(parse("dim_agent", true, in), CS_OK, "%s", err.message);
    cr_assert_eq(b.rows, 4);
    cr_expect_str_eq(str_at(&b, CS_AGENT_CAPABILITIES, 0), "[\"query\", \"schema\"]");
    cr_expect_eq(b.cols[CS_AGENT_COST].i64[0], 12500);
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 1), "");
    cr_expect(!cs_col_is_null(&b.cols[CS_AGENT_NAME], 1));
    cr_expect(cs_col_is_null(&b.cols[CS_AGENT_CAPABILITIES], 1), "unquoted empty is NULL");
    cr_expect(cs_col_is_null(&b.cols[CS_AGENT_SLA], 1));
    cr_expect(cs_col_is_null(&b.cols[CS_AGENT_VALID_TO], 0));
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 2), "a,b \"c\"");
    cr_expect_eq(b.cols[CS_AGENT_COST].i64[2], 1500000);
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 3), "abc,de");
}

Test(parse_csv, records_spanning_lines_keep_physical_line_numbers)
{
    const char *in =
        AGENT_HEADER "1,\"two\nlines\r\nand three\",data,[],1,1,2025-01-01 00:00:00+00,,t\n"
                     "2,ok,data,[],1,1,2025-01-01 00:00:00+00,,t\n"
                     "3,bad,data,[],1,1,2025-01-01 00:00:00+00,,x\n";
    cr_assert_eq(parse("dim_agent", true, in), CS_EINPUT);
    cr_expect_str_eq(err.message,
                     "t.csv:6: is_current: invalid input syntax for type boolean: \"x\"");
    const size_t good = (size_t)(strstr(in, "3,bad") - in);
    cs_batch_free(&b);
    cr_assert_eq(parse_all("dim_agent", CS_FMT_CSV, true, in, good, NULL, &b, &err, NULL), CS_OK);
    cr_assert_eq(b.rows, 2);
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 0), "two\nlines\r\nand three");
    cr_expect_eq(b.line_no[0], 2);
    cr_expect_eq(b.line_no[1], 5);
}

Test(parse_csv, unterminated_quote_names_the_field_and_the_record_start)
{
    cr_assert_eq(parse("dim_agent", true, AGENT_HEADER "1,\"abc\n"), CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:2: agent_name: unterminated quoted field");
    cr_assert_eq(parse("dim_agent", true,
                       AGENT_HEADER "1,a,data,[],1,1,2025-01-01 00:00:00+00,,t\n"
                                    "2,b,data,\"[1,\n2,\n3"),
                 CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:3: capabilities: unterminated quoted field");
}

Test(parse_csv, header_in_any_order_and_missing_columns_get_defaults)
{
    const char *in = "agent_type,agent_name,agent_key\n"
                     "data,alpha,7\n"
                     "ops,beta,8";
    cr_assert_eq(parse("dim_agent", true, in), CS_OK, "%s", err.message);
    cr_assert_eq(b.rows, 2);
    cr_expect_eq(b.cols[CS_AGENT_KEY].i64[1], 8);
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 0), "alpha");
    cr_expect_str_eq(str_at(&b, CS_AGENT_TYPE, 1), "ops");
    cr_expect_str_eq(str_at(&b, CS_AGENT_CAPABILITIES, 0), "[]");
    cr_expect_eq(b.cols[CS_AGENT_SLA].i64[0], 300);
    cr_expect_eq(b.cols[CS_AGENT_COST].i64[0], 0);
    cr_expect(!cs_col_is_null(&b.cols[CS_AGENT_COST], 0));
    cr_expect_eq(b.cols[CS_AGENT_VALID_FROM].i64[1], TEST_NOW_US);
    cr_expect(cs_col_is_null(&b.cols[CS_AGENT_VALID_TO], 0));
    cr_expect_eq(b.cols[CS_AGENT_IS_CURRENT].b8[0], 1);
}

Test(parse_csv, missing_not_null_column_without_default_is_an_error_per_row)
{
    cr_assert_eq(parse("fact_approval", true,
                       "approval_key,time_key,conv_key,status\n"
                       "1,20250304,5,pending\n"),
                 CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:2: created_at: null value violates not-null constraint");
}

Test(parse_csv, header_errors)
{
    cr_assert_eq(parse("dim_agent", true, "agent_key,xyz\n1,2\n"), CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:1: header: unknown column \"xyz\"");
    cr_assert_eq(parse("fact_agent_query", true, "query_key,source_id\n"), CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:1: header: unknown column \"source_id\"");
    cr_assert_eq(parse("dim_agent", true, "agent_key,agent_key\n"), CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:1: header: duplicate column \"agent_key\"");
    cr_assert_eq(parse("dim_agent", true, "agent_key,\"agent_name\n"), CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:1: header: unterminated quoted field");
}

Test(parse_csv, without_header_the_ddl_order)
{
    cr_assert_eq(parse("dim_user", false, "1,u1,annotator,,2025-01-01 00:00:00+00,,t\n"), CS_OK,
                 "%s", err.message);
    cr_assert_eq(b.rows, 1);
    cr_expect_str_eq(str_at(&b, CS_USER_TYPE, 0), "annotator");
    cr_expect(cs_col_is_null(&b.cols[CS_USER_TEAM], 0));
    cr_assert_eq(parse("dim_user", false, "1,u1,annotator,,2025-01-01 00:00:00+00,,t,9\n"),
                 CS_EINPUT);
    cr_expect_str_eq(err.message, "t.csv:1: row: expected 7 fields, found 8");
}

Test(parse_csv, empty_export_header_only_and_end_marker)
{
    cr_assert_eq(parse("dim_agent", true, ""), CS_OK);
    cr_expect_eq(b.rows, 0);
    cr_assert_eq(parse("dim_agent", true, AGENT_HEADER), CS_OK);
    cr_expect_eq(b.rows, 0);
    cr_assert_eq(parse("dim_agent", true,
                       AGENT_HEADER "1,a,data,[],1,1,2025-01-01 00:00:00+00,,t\n"
                                    "\\.\n"
                                    "garbage\n"),
                 CS_OK, "%s", err.message);
    cr_expect_eq(b.rows, 1);
}

Test(parse_csv, crlf_records)
{
    cr_assert_eq(parse("dim_user", true,
                       "user_key,user_id,user_type\r\n1,u1,approver\r\n"
                       "2,\"u\r\n2\",operator\r\n"),
                 CS_OK, "%s", err.message);
    cr_assert_eq(b.rows, 2);
    cr_expect_str_eq(str_at(&b, CS_USER_TYPE, 0), "approver");
    cr_expect_str_eq(str_at(&b, CS_USER_ID, 1), "u\r\n2");
    cr_expect_str_eq(str_at(&b, CS_USER_TYPE, 1), "operator");
}

#define TRAINING_HEADER                                                                  \
    "training_key,agent_key,time_key,conv_key,annotator_key,safe_to_send,clarity_score," \
    "accuracy_score,tone_score,%slabels,created_at,annotated_at\n"

Test(parse_csv, overall_score_computed_or_checked_by_header)
{
    char in[1024];
    (void)snprintf(in, sizeof(in),
                   TRAINING_HEADER "1,2,20250304,5,,f,4,4,5,\"{\"\"a b\"\"}\","
                                   "2025-03-04 10:00:00+00,\n",
                   "");
    cr_assert_eq(parse("fact_training", true, in), CS_OK, "%s", err.message);
    cr_expect_eq(b.cols[CS_FT_OVERALL].i64[0], 433);
    cr_expect_str_eq(str_at(&b, CS_FT_LABELS, 0), "{\"a b\"}");
    (void)snprintf(in, sizeof(in),
                   TRAINING_HEADER "1,2,20250304,5,,f,4,4,5,4.33,{},"
                                   "2025-03-04 10:00:00+00,\n",
                   "overall_score,");
    cr_assert_eq(parse("fact_training", true, in), CS_OK, "%s", err.message);
    (void)snprintf(in, sizeof(in),
                   TRAINING_HEADER "1,2,20250304,5,,f,4,4,5,4.34,{},"
                                   "2025-03-04 10:00:00+00,\n",
                   "overall_score,");
    cr_assert_eq(parse("fact_training", true, in), CS_EINPUT);
    cr_expect_str_eq(err.message,
                     "t.csv:2: overall_score: 4.34 does not match the generated value 4.33");
    (void)snprintf(in, sizeof(in),
                   TRAINING_HEADER "1,2,20250304,5,,f,4,4,5,,{},"
                                   "2025-03-04 10:00:00+00,\n",
                   "overall_score,");
    cr_assert_eq(parse("fact_training", true, in), CS_EINPUT);
    cr_expect_str_eq(err.message,
                     "t.csv:2: overall_score: NULL does not match the generated value 4.33");
}

Test(parse_csv, rejects_file_starts_with_the_header)
{
    const char *in = "user_key,user_id,user_type\n"
                     "1,u1,approver\n"
                     "2,\"bad\nuser\",admin\n"
                     "3,u3,qa_team";
    char *out = NULL;
    size_t out_len = 0;
    FILE *rej = open_memstream(&out, &out_len);
    uint64_t rejected = 0;
    cs_batch_free(&b);
    int rc = parse_all("dim_user", CS_FMT_CSV, true, in, strlen(in), rej, &b, &err, &rejected);
    fclose(rej);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    cr_expect_eq(b.rows, 2);
    cr_expect_eq(rejected, 1);
    cr_expect_str_eq(out, "user_key,user_id,user_type\n"
                          "2,\"bad\nuser\",admin\n"
                          "-- t.csv:3: user_type: unrecognized value \"admin\"\n");
    free(out);
}

Test(parse_csv, rejected_unterminated_last_record)
{
    const char *in = "user_key,user_id,user_type\n1,u1,approver\n2,\"u2,approver\n";
    char *out = NULL;
    size_t out_len = 0;
    FILE *rej = open_memstream(&out, &out_len);
    uint64_t rejected = 0;
    cs_batch_free(&b);
    int rc = parse_all("dim_user", CS_FMT_CSV, true, in, strlen(in), rej, &b, &err, &rejected);
    fclose(rej);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    cr_expect_eq(b.rows, 1);
    cr_expect_str_eq(out, "user_key,user_id,user_type\n"
                          "2,\"u2,approver\n"
                          "-- t.csv:3: user_id: unterminated quoted field\n");
    free(out);
}
