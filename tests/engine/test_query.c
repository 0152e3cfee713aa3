/*
 * colstore_query(): star queries on the fixture warehouse (tests/engine/fixture.h), each
 * result checked against values worked out by hand from the fixture's rows; bad specs.
 * (Thousands of generated star queries are compared with PostgreSQL by tests/fdw/run.sh.)
 */
#include <criterion/criterion.h>

#include "tests/engine/fixture.h"

static colstore_store *st;
static colstore_snapshot *snap;
static char *dir;

static void setup(void)
{
    colstore_error err;
    dir = fx_tmpdir();
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(colstore_snapshot_open(st, &snap, &err), COLSTORE_OK, "%s", err.message);
}

static void teardown(void)
{
    colstore_snapshot_close(snap);
    colstore_close(st);
    free(dir);
}

TestSuite(query, .init = setup, .fini = teardown);

static size_t col(const char *table, const char *column)
{
    size_t i = 0;
    colstore_error err;
    cr_assert_eq(colstore_column_index(table, column, &i, &err), COLSTORE_OK, "%s", err.message);
    return i;
}

/* The query's result as psql --csv prints it (caller frees), or NULL with *rc set. */
static char *run(const colstore_query_spec *q, int *rc, colstore_error *err)
{
    colstore_result *r = NULL;
    *rc = colstore_query(snap, q, &r, NULL, err);
    if (*rc != COLSTORE_OK) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(colstore_result_write(r, f, COLSTORE_OUTPUT_CSV, err), COLSTORE_OK);
    fclose(f);
    colstore_result_free(r);
    return buf;
}

static void expect(const colstore_query_spec *q, const char *want)
{
    int rc;
    colstore_error err;
    char *got = run(q, &rc, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_str_eq(got, want);
    free(got);
}

/* Query 1's shape: a week of days by agent name, counts, latency sums, flags. */
Test(query, star_join_group_order)
{
    const colstore_value lo = {COLSTORE_TYPE_DATE, 0, 20148, NULL, 0}; /* 2025-03-01 */
    const colstore_value hi = {COLSTORE_TYPE_DATE, 0, 20150, NULL, 0}; /* 2025-03-03 */
    colstore_pred window = {.op = COLSTORE_OP_BETWEEN,
                            .column = col("dim_time", "full_date"),
                            .value = lo,
                            .value2 = hi};
    colstore_pred approved = {.op = COLSTORE_OP_BOOL,
                              .column = col("fact_agent_query", "approved")};
    colstore_pred edited = {.op = COLSTORE_OP_BOOL,
                            .column = col("fact_agent_query", "human_edited")};
    const colstore_join joins[] = {
        {"dim_agent", col("fact_agent_query", "agent_key"), col("dim_agent", "agent_key"), false,
         NULL},
        {"dim_time", col("fact_agent_query", "time_key"), col("dim_time", "time_key"), false,
         &window},
    };
    const colstore_group_key keys[] = {{{2, col("dim_time", "full_date")}, COLSTORE_FN_NONE},
                                       {{1, col("dim_agent", "agent_name")}, COLSTORE_FN_NONE}};
    const size_t lat = col("fact_agent_query", "latency_ms");
    const colstore_aggregate aggs[] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
                                       {COLSTORE_AGG_SUM, {0, lat}, 0, NULL},
                                       {COLSTORE_AGG_COUNT, {0, lat}, 0, NULL},
                                       {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &approved},
                                       {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &edited}};
    const colstore_order_by order[] = {{0, true, false}, {1, false, false}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.joins = joins;
    q.njoins = 2;
    q.group_by = keys;
    q.ngroup_by = 2;
    q.aggregates = aggs;
    q.naggregates = 5;
    q.order_by = order;
    q.norder_by = 2;
    expect(&q, "col1,col2,col3,col4,col5,col6,col7\n"
               "2025-03-03,data,1,500,1,1,0\n"
               "2025-03-02,data,1,400,1,1,0\n"
               "2025-03-01,data,2,301,2,1,1\n"
               "2025-03-01,support,1,300,1,0,0\n");
    /* LIMIT keeps the first rows of that order */
    q.limit = 2;
    expect(&q, "col1,col2,col3,col4,col5,col6,col7\n"
               "2025-03-03,data,1,500,1,1,0\n"
               "2025-03-02,data,1,400,1,1,0\n");
}

/* A LEFT JOIN keeps the approval without an agent (NULL name, sorted last); an inner join
 * drops it. */
Test(query, left_and_inner_join)
{
    colstore_join join = {"dim_agent", col("fact_approval", "agent_key"),
                          col("dim_agent", "agent_key"), true, NULL};
    const colstore_group_key key = {{1, col("dim_agent", "agent_name")}, COLSTORE_FN_NONE};
    const colstore_aggregate count = {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
    const colstore_order_by order = {0, false, false};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_approval";
    q.joins = &join;
    q.njoins = 1;
    q.group_by = &key;
    q.ngroup_by = 1;
    q.aggregates = &count;
    q.naggregates = 1;
    q.order_by = &order;
    q.norder_by = 1;
    expect(&q, "col1,col2\nsupport,1\n,1\n");
    join.left = false;
    expect(&q, "col1,col2\nsupport,1\n");
}

/* Calendar keys in UTC: day of week and to_char 'Month' of created_at (Sat, Sun, Mon). */
Test(query, calendar_keys)
{
    const size_t created = col("fact_agent_query", "created_at");
    const colstore_group_key keys[] = {{{0, created}, COLSTORE_FN_DOW},
                                       {{0, created}, COLSTORE_FN_MONTH_NAME},
                                       {{0, created}, COLSTORE_FN_TRUNC_MONTH}};
    const colstore_aggregate count = {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
    const colstore_order_by order = {0, false, false};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.group_by = keys;
    q.ngroup_by = 3;
    q.aggregates = &count;
    q.naggregates = 1;
    q.order_by = &order;
    q.norder_by = 1;
    expect(&q, "col1,col2,col3,col4\n"
               "0,March    ,2025-03-01 00:00:00+00,1\n"
               "1,March    ,2025-03-01 00:00:00+00,1\n"
               "6,March    ,2025-03-01 00:00:00+00,3\n");
}

/* percentile_cont as PostgreSQL: of {100, 201, 300, 400, 500} at 0.95, 400 + 100 * 0.8; of
 * numeric scores {3.00, 3.00}, 3; count(DISTINCT), min / max of text; no key, one row. */
Test(query, aggregates_without_keys)
{
    const colstore_aggregate aggs[] = {
        {COLSTORE_AGG_PERCENTILE, {0, col("fact_agent_query", "latency_ms")}, 0.95, NULL},
        {COLSTORE_AGG_COUNT_DISTINCT, {0, col("fact_agent_query", "agent_key")}, 0, NULL},
        {COLSTORE_AGG_MIN, {0, col("fact_agent_query", "query_hash")}, 0, NULL},
        {COLSTORE_AGG_MAX, {0, col("fact_agent_query", "query_hash")}, 0, NULL},
        {COLSTORE_AGG_BOOL_OR, {0, col("fact_agent_query", "error_occurred")}, 0, NULL},
        {COLSTORE_AGG_BOOL_AND, {0, col("fact_agent_query", "approved")}, 0, NULL}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.aggregates = aggs;
    q.naggregates = 6;
    expect(&q, "col1,col2,col3,col4,col5,col6\n"
               "480,3,00000000000000000000000000000001,ffffffffffffffffffffffffffffffff,t,f\n");
    const colstore_aggregate score[] = {
        {COLSTORE_AGG_PERCENTILE, {0, col("fact_training", "overall_score")}, 0.5, NULL},
        {COLSTORE_AGG_SUM, {0, col("fact_training", "overall_score")}, 0, NULL},
        {COLSTORE_AGG_COUNT_DISTINCT, {0, col("fact_training", "labels")}, 0, NULL}};
    q.table = "fact_training";
    q.aggregates = score;
    q.naggregates = 3;
    expect(&q, "col1,col2,col3\n3,6.00,2\n");
}

/* Over no row: count 0, sum NULL, one row as SQL; with a key, no row. */
Test(query, empty_input)
{
    const colstore_aggregate aggs[] = {
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
        {COLSTORE_AGG_SUM, {0, col("fact_agent_query", "latency_ms")}, 0, NULL}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.time_key_min = 20250401;
    q.aggregates = aggs;
    q.naggregates = 2;
    expect(&q, "col1,col2\n0,\n");
    const colstore_group_key key = {{0, col("fact_agent_query", "agent_key")}, COLSTORE_FN_NONE};
    q.group_by = &key;
    q.ngroup_by = 1;
    expect(&q, "col1,col2,col3\n");
}

Test(query, stats_and_partition_choice)
{
    const colstore_value day = {COLSTORE_TYPE_INT, 0, 2, NULL, 0};
    colstore_pred sunday = {
        .op = COLSTORE_OP_EQ, .column = col("dim_time", "day_of_month"), .value = day};
    const colstore_join join = {"dim_time", col("fact_agent_query", "time_key"),
                                col("dim_time", "time_key"), false, &sunday};
    const colstore_aggregate count = {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.joins = &join;
    q.njoins = 1;
    q.aggregates = &count;
    q.naggregates = 1;
    colstore_query_stats stats = COLSTORE_QUERY_STATS_INIT;
    colstore_result *r = NULL;
    colstore_error err;
    cr_assert_eq(colstore_query(snap, &q, &r, &stats, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(colstore_result_int(r, 0, 0), 1);
    /* the day chosen by the dimension's filter is the only partition read */
    cr_assert_eq(stats.partitions_total, 3);
    cr_assert_eq(stats.partitions_read, 1);
    cr_assert_eq(stats.rows_scanned, 1);
    colstore_result_free(r);
}

Test(query, bad_specs)
{
    colstore_error err;
    colstore_result *r = NULL;
    const colstore_aggregate count = {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_nothing";
    q.aggregates = &count;
    q.naggregates = 1;
    cr_assert_eq(colstore_query(snap, &q, &r, NULL, &err), COLSTORE_EINVAL);
    cr_assert_null(r);
    cr_assert(strstr(err.message, "fact_nothing") != NULL, "%s", err.message);
    q.table = "fact_agent_query";
    const colstore_aggregate pct = {COLSTORE_AGG_PERCENTILE, {0, 0}, 2.0, NULL};
    q.aggregates = &pct;
    cr_assert_eq(colstore_query(snap, &q, &r, NULL, &err), COLSTORE_EINVAL);
    const colstore_group_key key = {{3, 0}, COLSTORE_FN_NONE}; /* no rel 3 */
    q.aggregates = &count;
    q.group_by = &key;
    q.ngroup_by = 1;
    cr_assert_eq(colstore_query(snap, &q, &r, NULL, &err), COLSTORE_EINVAL);
    const colstore_group_key text_month = {{0, col("fact_agent_query", "query_hash")},
                                           COLSTORE_FN_MONTH};
    q.group_by = &text_month;
    cr_assert_eq(colstore_query(snap, &q, &r, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_query(NULL, &q, &r, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_query(snap, NULL, &r, NULL, &err), COLSTORE_EINVAL);
}

Test(query, cancel_flag_stops_the_query)
{
    static volatile int cancel = 1;
    const colstore_aggregate count = {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.aggregates = &count;
    q.naggregates = 1;
    q.cancel = &cancel;
    colstore_result *r = NULL;
    colstore_error err;
    cr_assert_eq(colstore_query(snap, &q, &r, NULL, &err), COLSTORE_EINVAL);
    cr_assert_str_eq(err.message, "canceled");
    cr_assert_null(r);
}
