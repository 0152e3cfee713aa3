/* Dump: byte-exact COPY text and CSV output, and round trips of real PostgreSQL 15 exports. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "etl/dump.h"
#include "etl/parse.h"
#include "etl_test_util.h"

static struct cs_batch b;
static struct cs_error err;
static char *out;
static size_t out_len;

static void fini(void)
{
    cs_batch_free(&b);
    free(out);
    out = NULL;
}

TestSuite(dump, .fini = fini);

/* dump() - header (CSV) and rows of b into `out`. */
static void dump(int format)
{
    free(out);
    out = NULL;
    FILE *f = open_memstream(&out, &out_len);
    cr_assert_eq(cs_dump_header(f, b.table, format, &err), CS_OK);
    cr_assert_eq(cs_dump_rows(f, &b, format, &err), CS_OK, "%s", err.message);
    fclose(f);
}

/* agent() - one dim_agent row with the given name (bytes) and capabilities (NULL = NULL). */
static void agent(const char *name, size_t name_len, const char *caps)
{
    struct cs_col *c = b.cols;
    cs_col_push_i64(&c[CS_AGENT_KEY], (int64_t)b.rows + 1);
    cs_col_push_str(&c[CS_AGENT_NAME], name, name_len);
    cs_col_push_str(&c[CS_AGENT_TYPE], "ops", 3);
    if (caps != NULL)
        cs_col_push_str(&c[CS_AGENT_CAPABILITIES], caps, strlen(caps));
    else
        cs_col_push_null(&c[CS_AGENT_CAPABILITIES]);
    cs_col_push_null(&c[CS_AGENT_SLA]);
    cs_col_push_i64(&c[CS_AGENT_COST], -1500); /* -0.001500 */
    cs_col_push_i64(&c[CS_AGENT_VALID_FROM], INT64_C(1741084872500000));
    cs_col_push_null(&c[CS_AGENT_VALID_TO]);
    cs_col_push_bool(&c[CS_AGENT_IS_CURRENT], b.rows % 2 == 0);
    b.rows++;
}

Test(dump, text_escapes_backslash_and_control_characters)
{
    cs_batch_init(&b, cs_schema_find_table("dim_agent"));
    const char name[] = "a\tb\nc\\d\re\bf\fg\vh\x01i\x7fj";
    agent(name, sizeof(name) - 1, "[\"x\"]");
    agent("", 0, NULL);
    dump(CS_FMT_TEXT);
    cr_expect_str_eq(out, "1\ta\\tb\\nc\\\\d\\re\\bf\\fg\\vh\x01i\x7fj\tops\t[\"x\"]\t\\N\t"
                          "-0.001500\t2025-03-04 10:41:12.5+00\t\\N\tt\n"
                          "2\t\tops\t\\N\t\\N\t-0.001500\t2025-03-04 10:41:12.5+00\t\\N\tf\n");
}

Test(dump, csv_quotes_only_what_needs_it_and_tells_empty_from_null)
{
    cs_batch_init(&b, cs_schema_find_table("dim_agent"));
    agent("plain", 5, "[\"a\", \"b\"]");
    agent("", 0, NULL);
    agent("x\ny", 3, "{}");
    agent("cr\rhere", 7, "[]");
    agent("tab\there \\.", 11, "[]");
    agent("\\.", 2, "[]");
    dump(CS_FMT_CSV);
    cr_expect_str_eq(
        out, "agent_key,agent_name,agent_type,capabilities,sla_target_seconds,"
             "cost_per_query_usd,valid_from,valid_to,is_current\n"
             "1,plain,ops,\"[\"\"a\"\", \"\"b\"\"]\",,-0.001500,2025-03-04 10:41:12.5+00,,t\n"
             "2,\"\",ops,,,-0.001500,2025-03-04 10:41:12.5+00,,f\n"
             "3,\"x\ny\",ops,{},,-0.001500,2025-03-04 10:41:12.5+00,,t\n"
             "4,\"cr\rhere\",ops,[],,-0.001500,2025-03-04 10:41:12.5+00,,f\n"
             "5,tab\there \\.,ops,[],,-0.001500,2025-03-04 10:41:12.5+00,,t\n"
             "6,\\.,ops,[],,-0.001500,2025-03-04 10:41:12.5+00,,f\n");
}

Test(dump, single_column_csv_quotes_the_end_marker)
{
    cs_batch_init(&b, cs_schema_find_table("dim_agent"));
    agent("\\.", 2, NULL);
    agent("", 0, NULL);
    const int8_t cols[] = {CS_AGENT_NAME};
    FILE *f = open_memstream(&out, &out_len);
    cr_assert_eq(cs_dump_row_cols(f, &b, 0, cols, 1, CS_FMT_CSV, &err), CS_OK);
    cr_assert_eq(cs_dump_row_cols(f, &b, 1, cols, 1, CS_FMT_CSV, &err), CS_OK);
    cr_assert_eq(cs_dump_row_cols(f, &b, 0, cols, 1, CS_FMT_TEXT, &err), CS_OK);
    fclose(f);
    cr_expect_str_eq(out, "\"\\.\"\n\"\"\n\\\\.\n");
}

Test(dump, every_value_type_prints_as_postgres)
{
    const char *in = "7\t2\t20250304\t5\t\\N\tf\t1\t\\N\t2\t{\"a b\",NULL}\t"
                     "1999-12-31 23:59:59.000001+00\t2025-03-04 10:00:00-08\n";
    cr_assert_eq(
        parse_all("fact_training", CS_FMT_TEXT, false, in, strlen(in), NULL, &b, &err, NULL), CS_OK,
        "%s", err.message);
    dump(CS_FMT_TEXT);
    cr_expect_str_eq(out, "7\t2\t20250304\t5\t\\N\tf\t1\t\\N\t2\t1.00\t{\"a b\",NULL}\t"
                          "1999-12-31 23:59:59.000001+00\t2025-03-04 18:00:00+00\n");
    cs_batch_free(&b);
    in = "1\t20250304\t3\t-0.5\t99999999.99\t100\t0.004\t0.005\t\\N\t0\t0\t\\N\n";
    cr_assert_eq(parse_all("agg_agent_daily_performance", CS_FMT_TEXT, false, in, strlen(in), NULL,
                           &b, &err, NULL),
                 CS_OK, "%s", err.message);
    dump(CS_FMT_TEXT);
    cr_expect_str_eq(out,
                     "1\t20250304\t3\t-0.50\t99999999.99\t100.00\t0.00\t0.01\t\\N\t0\t0\t\\N\n");
    cs_batch_free(&b);
    in = "20250304\t2025-03-04\t2025\t1\t3\t10\t4\t2\t63\tTuesday  \tMarch    "
         "\tf\tf\t\\N\t\\N\t\\N\t0\n";
    cr_assert_eq(parse_all("dim_time", CS_FMT_TEXT, false, in, strlen(in), NULL, &b, &err, NULL),
                 CS_OK, "%s", err.message);
    dump(CS_FMT_TEXT);
    cr_expect_str_eq(out, in);
}

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    (void)snprintf(path, sizeof(path), "%s/tests/etl/pg15/%s", CS_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *s = malloc(*len + 1);
    cr_assert_eq(fread(s, 1, *len, f), *len);
    s[*len] = '\0';
    fclose(f);
    return s;
}

/* round_trip() - parse file `from` and dump it in `format`: byte for byte file `want`. */
static void
round_trip(const char *table, const char *from, int from_format, const char *want, int format)
{
    size_t in_len, want_len;
    char *in = slurp(from, &in_len);
    char *expected = slurp(want, &want_len);
    cs_batch_free(&b);
    cr_assert_eq(
        parse_all(table, from_format, from_format == CS_FMT_CSV, in, in_len, NULL, &b, &err, NULL),
        CS_OK, "%s: %s", from, err.message);
    dump(format);
    cr_expect_eq(out_len, want_len, "%s -> %s: %zu bytes, want %zu", from, want, out_len, want_len);
    if (out_len == want_len)
        cr_expect(memcmp(out, expected, want_len) == 0, "%s -> %s", from, want);
    for (size_t i = 0; i < out_len && i < want_len; i++) {
        if (out[i] != expected[i]) {
            cr_log_error("%s -> %s: first difference at byte %zu: ...%.60s", from, want, i,
                         out + (i > 20 ? i - 20 : 0));
            break;
        }
    }
    free(in);
    free(expected);
}

Test(dump, postgres_exports_of_every_table_round_trip_byte_for_byte)
{
    const char *tables[] = {
        "dim_agent",        "dim_time",      "dim_conversation", "dim_user",
        "fact_agent_query", "fact_approval", "fact_training",    "agg_agent_daily_performance"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
        char copy[128], csv[128];
        (void)snprintf(copy, sizeof(copy), "%s.copy", tables[i]);
        (void)snprintf(csv, sizeof(csv), "%s.csv", tables[i]);
        round_trip(tables[i], copy, CS_FMT_TEXT, copy, CS_FMT_TEXT);
        round_trip(tables[i], csv, CS_FMT_CSV, csv, CS_FMT_CSV);
        round_trip(tables[i], copy, CS_FMT_TEXT, csv, CS_FMT_CSV);
        round_trip(tables[i], csv, CS_FMT_CSV, copy, CS_FMT_TEXT);
    }
}

Test(dump, training_export_without_generated_column_dumps_with_it)
{
    round_trip("fact_training", "fact_training.plain.copy", CS_FMT_TEXT, "fact_training.copy",
               CS_FMT_TEXT);
    round_trip("fact_training", "fact_training.plain.csv", CS_FMT_CSV, "fact_training.csv",
               CS_FMT_CSV);
}
