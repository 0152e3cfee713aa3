/* COPY text exports: escapes, NULL, end marker, line numbers, row checks, rejects. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "etl/parse.h"
#include "etl_test_util.h"
#include "storage/base/limits.h"
#include "storage/base/pgtext.h"

static struct cs_batch b;
static struct cs_error err;

static void fini(void)
{
    cs_batch_free(&b);
}

#define FQ_ROW(key, tail) \
    key "\t3\t20250304\t17\t0123456789abcdef0123456789abcdef\t\\N\t250\tt\tf\tf\t" tail

TestSuite(parse_text, .fini = fini);

static int parse(const char *table, const char *s)
{
    return parse_all(table, CS_FMT_TEXT, false, s, strlen(s), NULL, &b, &err, NULL);
}

Test(parse_text, query_fact_row_with_every_type)
{
    const char *in = FQ_ROW("1", "2025-03-04 10:11:12.5+05:30") "\n";
    cr_assert_eq(parse("fact_agent_query", in), CS_OK, "%s", err.message);
    cr_assert_eq(b.rows, 1);
    cr_expect_eq(b.cols[CS_FQ_KEY].i64[0], 1);
    cr_expect_eq(b.cols[CS_FQ_AGENT].i64[0], 3);
    cr_expect_eq(b.cols[CS_FQ_TIME].i64[0], 20250304);
    cr_expect(cs_col_is_null(&b.cols[CS_FQ_RESULT_SIZE], 0));
    cr_expect_eq(b.cols[CS_FQ_LATENCY].i64[0], 250);
    cr_expect_eq(b.cols[CS_FQ_APPROVED].b8[0], 1);
    cr_expect_eq(b.cols[CS_FQ_HUMAN_EDITED].b8[0], 0);
    char ts[CS_FMT_MAX], h[CS_FMT_MAX];
    cs_fmt_timestamptz(ts, b.cols[CS_FQ_CREATED_AT].i64[0]);
    cr_expect_str_eq(ts, "2025-03-04 04:41:12.5+00");
    cs_fmt_hash16(h, b.cols[CS_FQ_HASH].fix16);
    cr_expect_str_eq(h, "0123456789abcdef0123456789abcdef");
    cr_expect(cs_col_is_null(&b.cols[CS_FQ_SRC_ID], 0), "hidden source_id is NULL");
    cr_expect_eq(b.line_no[0], 1);
}

Test(parse_text, every_escape_form)
{
    /* agent_name: \\ \t \n \r \b \f \v, octal 1-3 digits, hex 1-2 digits, \x without hex,
     * backslash before an ordinary character, \N inside a value */
    const char *in = "1\ta\\\\b\\tc\\nd\\re\\bf\\fg\\vh\\101\\7\\60x\\x41\\x4g\\xq\\q\\N\\\\.\t"
                     "data\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\\.\n";
    cr_assert_eq(parse("dim_agent", in), CS_OK, "%s", err.message);
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 0), "a\\b\tc\nd\re\bf\fg\vhA\a0xA\x04gxqqN\\.");
    cr_expect_eq(b.cols[CS_AGENT_IS_CURRENT].b8[0], 1, "a final \\. ends the line (PostgreSQL 15)");
    cs_batch_free(&b);
    in = "1\tx\\.y\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n";
    cr_assert_eq(parse("dim_agent", in), CS_EINPUT);
    cr_expect_str_eq(err.message, "t.tsv:1: agent_name: end-of-copy marker corrupt");
}

Test(parse_text, null_marker_only_when_alone)
{
    const char *in = "1\t\\\\N\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n"
                     "2\t\\Nx\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n"
                     "3\t\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n";
    cr_assert_eq(parse("dim_agent", in), CS_OK, "%s", err.message);
    cr_assert_eq(b.rows, 3);
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 0), "\\N");
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 1), "Nx");
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 2), "");
    cr_expect(cs_col_is_null(&b.cols[CS_AGENT_CAPABILITIES], 0));
}

Test(parse_text, last_line_without_newline_and_end_marker)
{
    const char *in =
        FQ_ROW("1", "2025-03-04 10:11:12+00") "\n" FQ_ROW("2", "2025-03-04 10:11:12+00");
    cr_assert_eq(parse("fact_agent_query", in), CS_OK, "%s", err.message);
    cr_expect_eq(b.rows, 2);
    cs_batch_free(&b);
    in = FQ_ROW("1", "2025-03-04 10:11:12+00") "\n\\.\nanything after the marker\n";
    cr_assert_eq(parse("fact_agent_query", in), CS_OK, "%s", err.message);
    cr_expect_eq(b.rows, 1);
}

Test(parse_text, crlf_line_ends_and_escaped_newline_spanning_lines)
{
    const char *in = "1\ttwo\\\nlines\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\r\n"
                     "2\tx\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tbad\n";
    cr_assert_eq(parse("dim_agent", in), CS_EINPUT);
    cr_expect_str_eq(err.message,
                     "t.tsv:3: is_current: invalid input syntax for type boolean: \"bad\"");
    cs_batch_free(&b);
    const size_t first = (size_t)(strchr(in, '\r') - in) + 2;
    cs_batch_free(&b);
    cr_assert_eq(parse_all("dim_agent", CS_FMT_TEXT, false, in, first, NULL, &b, &err, NULL), CS_OK,
                 "%s", err.message);
    cr_assert_eq(b.rows, 1);
    cr_expect_str_eq(str_at(&b, CS_AGENT_NAME, 0), "two\nlines");
    cr_expect_eq(b.cols[CS_AGENT_IS_CURRENT].b8[0], 1);
}

Test(parse_text, empty_export_loads_nothing)
{
    cr_assert_eq(parse("fact_agent_query", ""), CS_OK);
    cr_expect_eq(b.rows, 0);
}

static void expect_error(const char *table, const char *in, const char *message)
{
    cs_batch_free(&b);
    cr_assert_eq(parse(table, in), CS_EINPUT, "%s -> %s", in, err.message);
    cr_expect_str_eq(err.message, message);
    cr_expect_eq(err.code, CS_EINPUT);
}

Test(parse_text, each_bad_row_names_file_line_and_column)
{
    const char *ok = FQ_ROW("1", "2025-03-04 10:11:12+00") "\n";
    char in[1024];
    (void)snprintf(in, sizeof(in), "%s%s", ok, "2\t3\t20250304\n");
    expect_error("fact_agent_query", in, "t.tsv:2: row: expected 11 fields, found 3");
    (void)snprintf(in, sizeof(in), "%s%s\textra\n", ok, FQ_ROW("2", "2025-03-04 10:11:12+00"));
    expect_error("fact_agent_query", in, "t.tsv:2: row: expected 11 fields, found 12");
    (void)snprintf(in, sizeof(in), "%s%s\n", ok, FQ_ROW("x2", "2025-03-04 10:11:12+00"));
    expect_error("fact_agent_query", in,
                 "t.tsv:2: query_key: invalid input syntax for type bigint: \"x2\"");
    expect_error("fact_agent_query",
                 "1\t3000000000\t1\t1\t0123456789abcdef0123456789abcdef\t"
                 "\\N\t1\tt\tf\tf\t2025-03-04 10:11:12+00\n",
                 "t.tsv:1: agent_key: value \"3000000000\" is out of range for type integer");
    expect_error("fact_agent_query", FQ_ROW("1", "2025-03-04 25:11:12+00") "\n",
                 "t.tsv:1: created_at: date/time field value out of range: "
                 "\"2025-03-04 25:11:12+00\"");
    expect_error("fact_agent_query",
                 "1\t3\t1\t1\t0123456789ABCDEF0123456789abcdef\t\\N\t1\tt\tf\t"
                 "f\t2025-03-04 10:11:12+00\n",
                 "t.tsv:1: query_hash: not a 32-digit lower-case hex MD5");
    expect_error("fact_agent_query",
                 "1\t3\t1\t1\t0123456789abcdef0123456789abcdef\t\\N\t\\N\tt\t"
                 "f\tf\t2025-03-04 10:11:12+00\n",
                 "t.tsv:1: latency_ms: null value violates not-null constraint");
    expect_error(
        "fact_agent_query",
        FQ_ROW(
            "1",
            "2025-03-04 10:11:12+00") "\n"
                                      "2\t3\t1\t1\t0123456789abcdef0123456789abcdef\t\\N\t1\tyes\t"
                                      "maybe\tf\t2025-03-04 10:11:12+00\n",
        "t.tsv:2: human_edited: invalid input syntax for type boolean: \"maybe\"");
}

Test(parse_text, check_constraints_and_encoding)
{
    expect_error("fact_approval",
                 "1\t\\N\t20250304\t1\t\\N\taproved\t\\N\t0\t\\N\t"
                 "2025-03-04 10:00:00+00\t\\N\n",
                 "t.tsv:1: status: unrecognized value \"aproved\"");
    expect_error("dim_user", "1\tu1\tadmin\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n",
                 "t.tsv:1: user_type: unrecognized value \"admin\"");
    expect_error("dim_agent", "1\tbad\\xff\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n",
                 "t.tsv:1: agent_name: invalid byte sequence for encoding \"UTF8\": 0xff");
    expect_error("dim_agent",
                 "1\tn\xc3\x28x\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n",
                 "t.tsv:1: agent_name: invalid byte sequence for encoding \"UTF8\": 0xc3 0x28");
    expect_error("dim_agent", "1\tnul\\0\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n",
                 "t.tsv:1: agent_name: invalid byte sequence for encoding \"UTF8\": 0x00");
    expect_error("dim_agent", "1\ta\tdata\t{x:1}\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n",
                 "t.tsv:1: capabilities: invalid input syntax for type json: expected string "
                 "key at byte 1");
}

Test(parse_text, training_overall_score_absent_present_or_wrong)
{
    /* COPY fact_training TO: 12 fields, no overall_score */
    const char *absent =
        "1\t2\t20250304\t5\t7\tt\t1\t2\t2\t{a,\"b c\"}\t2025-03-04 10:00:00+00\t\\N\n"
        "2\t2\t20250304\t5\t7\t\\N\t\\N\t\\N\t\\N\t{}\t2025-03-04 10:00:00+00\t\\N\n";
    cr_assert_eq(parse("fact_training", absent), CS_OK, "%s", err.message);
    cr_assert_eq(b.rows, 2);
    cr_expect_eq(b.cols[CS_FT_OVERALL].i64[0], 167);
    cr_expect_eq(b.cols[CS_FT_OVERALL].i64[1], 0);
    cr_expect(!cs_col_is_null(&b.cols[CS_FT_OVERALL], 1));
    cr_expect_str_eq(str_at(&b, CS_FT_LABELS, 0), "{a,\"b c\"}");
    cs_batch_free(&b);
    /* COPY (SELECT * ...) TO: 13 fields */
    const char *present =
        "1\t2\t20250304\t5\t7\tt\t1\t2\t2\t1.67\t{}\t2025-03-04 10:00:00+00\t\\N\n";
    cr_assert_eq(parse("fact_training", present), CS_OK, "%s", err.message);
    cr_expect_eq(b.cols[CS_FT_OVERALL].i64[0], 167);
    expect_error("fact_training",
                 "1\t2\t20250304\t5\t7\tt\t1\t2\t2\t1.50\t{}\t2025-03-04 10:00:00+00\t\\N\n",
                 "t.tsv:1: overall_score: 1.50 does not match the generated value 1.67");
    expect_error("fact_training",
                 "1\t2\t20250304\t5\t7\tt\t1\t2\t9\t{}\t2025-03-04 10:00:00+00\t\\N\n",
                 "t.tsv:1: tone_score: value 9 violates check (1 to 5)");
    expect_error("fact_training", "1\t2\t20250304\t5\t7\tt\t1\t2\t2\t{}\t2025-03-04 10:00:00+00\n",
                 "t.tsv:1: row: expected 12 or 13 fields, found 11");
    expect_error("fact_training",
                 "1\t2\t20250304\t5\t7\tt\t1\t2\t2\t{a,,b}\t2025-03-04 10:00:00+00\t\\N\n",
                 "t.tsv:1: labels: malformed array literal: \"{a,,b}\"");
    expect_error("fact_training",
                 "1\t2\t20250304\t5\t7\tt\t1\t2\t2\t10.00\t{}\t2025-03-04 10:00:00+00\t\\N\n",
                 "t.tsv:1: overall_score: numeric field overflow: \"10.00\" does not fit "
                 "numeric(3,2)");
}

Test(parse_text, text_arrays_stored_canonical)
{
    const char *in =
        "1\t2\t20250304\t5\t7\tt\t1\t2\t2\t{ a , \"b\" ,NULL,\"NULL\",\"x\\\\\\\\y\"}\t"
        "2025-03-04 10:00:00+00\t\\N\n";
    cr_assert_eq(parse("fact_training", in), CS_OK, "%s", err.message);
    cr_expect_str_eq(str_at(&b, CS_FT_LABELS, 0), "{a,b,NULL,\"NULL\",\"x\\\\y\"}");
}

Test(parse_text, line_longer_than_the_limit)
{
    const size_t n = CS_MAX_LINE_BYTES + 100;
    char *in = malloc(n + 200);
    size_t len = (size_t)sprintf(in, "1\t");
    memset(in + len, 'a', n);
    len += n;
    len += (size_t)sprintf(in + len, "\tdata\t\\N\t\\N\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n");
    cr_assert_eq(parse_all("dim_agent", CS_FMT_TEXT, false, in, len, NULL, &b, &err, NULL),
                 CS_EINPUT);
    cr_expect_str_eq(err.message, "t.tsv:1: row: line longer than 1048576 bytes");
    free(in);
}

Test(parse_text, rejects_file_gets_bad_lines_verbatim_and_parsing_goes_on)
{
    const char *in = FQ_ROW(
        "1",
        "2025-03-04 10:11:12+00") "\n"
                                  "2\tnope\n" FQ_ROW("3", "2025-03-04 99:11:12+00") "\n" FQ_ROW(
                                      "4", "2025-03-04 10:11:12+00");
    char *out = NULL;
    size_t out_len = 0;
    FILE *rej = open_memstream(&out, &out_len);
    uint64_t rejected = 0;
    int rc =
        parse_all("fact_agent_query", CS_FMT_TEXT, false, in, strlen(in), rej, &b, &err, &rejected);
    fclose(rej);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    cr_expect_eq(b.rows, 2);
    cr_expect_eq(b.cols[CS_FQ_KEY].i64[1], 4);
    cr_expect_eq(b.line_no[1], 4);
    cr_expect_eq(rejected, 2);
    cr_expect_str_eq(
        out,
        "2\tnope\n"
        "-- t.tsv:2: row: expected 11 fields, found 2\n" FQ_ROW(
            "3",
            "2025-03-04 99:11:12+00") "\n"
                                      "-- t.tsv:3: created_at: date/time field value out of range: "
                                      "\"2025-03-04 99:11:12+00\"\n");
    free(out);
}

Test(parse_text, too_long_line_goes_to_rejects_cut_at_the_limit)
{
    const size_t n = 10 * CS_MAX_LINE_BYTES; /* beyond one read buffer: spilled */
    char *in = malloc(n + 400);
    size_t len = (size_t)sprintf(in, "%s\n1\t", FQ_ROW("1", "2025-03-04 10:11:12+00"));
    const size_t long_start = strlen(FQ_ROW("1", "2025-03-04 10:11:12+00")) + 1;
    memset(in + len, 'b', n);
    len += n;
    len += (size_t)sprintf(in + len, "\tx\n%s\n", FQ_ROW("2", "2025-03-04 10:11:12+00"));
    /* through a pipe-like fd so that the reader has to spill */
    FILE *f = tmpfile();
    fwrite(in, 1, len, f);
    fflush(f);
    rewind(f);
    char *out = NULL;
    size_t out_len = 0;
    FILE *rej = open_memstream(&out, &out_len);
    const struct cs_table_def *t = cs_schema_find_table("fact_agent_query");
    /* threads -1: a file this size would be mapped and parsed in blocks, without spilling */
    struct cs_parse_opts opts = {CS_FMT_TEXT, false, "big.tsv", rej, TEST_NOW_US, -1, 0, 0};
    struct cs_parser *p;
    cr_assert_eq(cs_parser_open_fd(t, fileno(f), &opts, &p, &err), CS_OK);
    cs_batch_init(&b, t);
    cr_assert_eq(cs_parser_next(p, &b, 100, &err), CS_OK, "%s", err.message);
    cr_expect_eq(b.rows, 2);
    cr_expect_eq(b.line_no[1], 3);
    cr_expect_eq(cs_parser_rejected(p), 1);
    cr_expect_eq(cs_parser_bytes(p), len);
    cs_parser_close(p);
    fclose(rej);
    /* only the record's first CS_MAX_LINE_BYTES bytes are kept, then a newline and the reason
     * (an endless record cannot fill the disk) */
    const char *reason = "-- big.tsv:2: row: line longer than 1048576 bytes\n";
    const size_t long_len = len - long_start - strlen(FQ_ROW("2", "2025-03-04 10:11:12+00")) - 1;
    cr_assert_gt(long_len, CS_MAX_LINE_BYTES);
    cr_assert_eq(out_len, CS_MAX_LINE_BYTES + 1 + strlen(reason));
    cr_expect(memcmp(out, in + long_start, CS_MAX_LINE_BYTES) == 0);
    cr_expect_eq(out[CS_MAX_LINE_BYTES], '\n');
    cr_expect(memcmp(out + CS_MAX_LINE_BYTES + 1, reason, strlen(reason)) == 0);
    free(out);
    free(in);
    fclose(f);
}

Test(parse_text, loader_rejects_rerender_the_row)
{
    const char *in =
        FQ_ROW("1", "2025-03-04 10:11:12+00") "\n" FQ_ROW("2", "2025-03-04 10:11:12+00") "\n";
    const struct cs_table_def *t = cs_schema_find_table("fact_agent_query");
    char *out = NULL;
    size_t out_len = 0;
    FILE *rej = open_memstream(&out, &out_len);
    struct cs_parse_opts opts = {CS_FMT_TEXT, false, "q.tsv", NULL, TEST_NOW_US, 0, 0, 0};
    struct cs_parser *p;
    cr_assert_eq(cs_parser_open_mem(t, in, strlen(in), &opts, &p, &err), CS_OK);
    cs_batch_init(&b, t);
    cr_assert_eq(cs_parser_next(p, &b, 10, &err), CS_OK);
    cr_expect_eq(cs_parser_reject(p, &b, 1, "agent_key", "no dim_agent row with key 3", &err),
                 CS_EINPUT);
    cr_expect_str_eq(err.message, "q.tsv:2: agent_key: no dim_agent row with key 3");
    cs_parser_close(p);
    opts.rejects = rej;
    cr_assert_eq(cs_parser_open_mem(t, in, strlen(in), &opts, &p, &err), CS_OK);
    cr_assert_eq(cs_parser_next(p, &b, 10, &err), CS_OK);
    cr_expect_eq(cs_parser_reject(p, &b, 1, "agent_key", "no dim_agent row", &err), CS_OK);
    cr_expect_eq(cs_parser_rejected(p), 1);
    cs_parser_close(p);
    fclose(rej);
    cr_expect_str_eq(
        out, FQ_ROW("2", "2025-03-04 10:11:12+00") "\n"
                                                   "-- q.tsv:2: agent_key: no dim_agent row\n");
    free(out);
}

Test(parse_text, fd_input_across_many_buffers_matches_memory_input)
{
    /* ~20 MB: several read() buffers, records straddling their boundaries */
    const size_t rows = 200000;
    size_t cap = rows * 128, len = 0;
    char *in = malloc(cap);
    for (size_t r = 0; r < rows; r++) {
        len +=
            (size_t)snprintf(in + len, cap - len,
                             "%zu\t%zu\t20250304\t%zu\t0123456789abcdef0123456789abcdef\t%zu\t%zu\t"
                             "t\tf\tf\t2025-03-04 10:%02zu:12.%zu+00\n",
                             r + 1, r % 7, r % 1000, r * 3, r % 5000, r % 60, r % 1000);
    }
    FILE *f = tmpfile();
    fwrite(in, 1, len, f);
    fflush(f);
    rewind(f);
    const struct cs_table_def *t = cs_schema_find_table("fact_agent_query");
    struct cs_parse_opts opts = {CS_FMT_TEXT, false, "q.tsv", NULL, TEST_NOW_US, 0, 0, 0};
    struct cs_parser *p;
    cr_assert_eq(cs_parser_open_fd(t, fileno(f), &opts, &p, &err), CS_OK);
    cs_batch_init(&b, t);
    size_t total = 0;
    int64_t sum = 0;
    for (;;) {
        cr_assert_eq(cs_parser_next(p, &b, CS_PARSE_BATCH_ROWS, &err), CS_OK, "%s", err.message);
        if (b.rows == 0) break;
        for (size_t r = 0; r < b.rows; r++) {
            cr_assert_eq(b.cols[CS_FQ_KEY].i64[r], (int64_t)(total + r + 1));
            cr_assert_eq(b.line_no[r], total + r + 1);
            sum += b.cols[CS_FQ_LATENCY].i64[r];
        }
        total += b.rows;
    }
    cr_expect_eq(total, rows);
    cr_expect_eq(cs_parser_lines(p), rows);
    int64_t want = 0;
    for (size_t r = 0; r < rows; r++)
        want += (int64_t)(r % 5000);
    cr_expect_eq(sum, want);
    cs_parser_close(p);
    fclose(f);
    free(in);
}
