/*
 * colstore_query()'s kernels (query/plan_special.c): a query of a report's shape runs through
 * the report's kernel, and its answer is the general executor's to the byte (the same spec run
 * with `general` set). On a colgen warehouse (NULL agents and annotators, NULL flags and
 * scores, SCD-2 versions, days with late rows appended), for the shapes each kernel takes and
 * for near misses it must leave to the general executor.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/colstore.h"

static char gen_dir[64];
static colstore_store *store;
static colstore_snapshot *snap;

static void load_warehouse(void)
{
    snprintf(gen_dir, sizeof(gen_dir), "/tmp/cs_query_kernels_XXXXXX");
    cr_assert_not_null(mkdtemp(gen_dir));
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "%s/tools/colgen --out %s/exp --rows 9000 --seed 7 --start 2025-12-10 --days 40 "
             "--format text > /dev/null",
             CS_BINARY_DIR, gen_dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char path[256];
    snprintf(path, sizeof(path), "%s/store", gen_dir);
    colstore_error err;
    cr_assert_eq(colstore_open(path, COLSTORE_WRITABLE | COLSTORE_CREATE, &store, &err),
                 COLSTORE_OK, "%s", err.message);
    static const char *const order[] = {"dim_agent",    "dim_time",         "dim_conversation",
                                        "dim_user",     "fact_agent_query", "fact_approval",
                                        "fact_training"};
    for (size_t i = 0; i < 7; i++) {
        snprintf(path, sizeof(path), "%s/exp/%s.copy", gen_dir, order[i]);
        cr_assert_eq(colstore_load_path(store, order[i], path, NULL, NULL, &err), COLSTORE_OK, "%s",
                     err.message);
    }
    /* late rows of one day: a second row group of 2025-12-20 in fact_agent_query */
    const char *late = "900001\t2\t20251220\t1\t0123456789abcdef0123456789abcdef\t\\N\t77\tt\tt\tf"
                       "\t2025-12-20 23:00:00+00\n";
    cr_assert_eq(colstore_load_buffer(store, "fact_agent_query", late, strlen(late), "late.copy",
                                      NULL, NULL, &err),
                 COLSTORE_OK, "%s", err.message);
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK, "%s", err.message);
}

static void drop_warehouse(void)
{
    colstore_snapshot_close(snap);
    colstore_close(store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", gen_dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(kernels, .init = load_warehouse, .fini = drop_warehouse);

static size_t col(const char *table, const char *column)
{
    size_t i = 0;
    colstore_error err;
    cr_assert_eq(colstore_column_index(table, column, &i, &err), COLSTORE_OK, "%s", err.message);
    return i;
}

/* The query's result as CSV (caller frees); *kernel receives the kernel that ran it. */
static char *run(colstore_query_spec q, bool general, const char **kernel, size_t *rows)
{
    q.general = general;
    colstore_result *r = NULL;
    colstore_error err;
    colstore_query_stats st = COLSTORE_QUERY_STATS_INIT;
    cr_assert_eq(colstore_query(snap, &q, &r, &st, &err), COLSTORE_OK, "%s", err.message);
    *kernel = st.kernel;
    *rows = colstore_result_rows(r);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(colstore_result_write(r, f, COLSTORE_OUTPUT_CSV, &err), COLSTORE_OK);
    fclose(f);
    colstore_result_free(r);
    return buf;
}

/* q through its kernel (want_kernel; NULL: none may take it) equals q the general way, with
 * at least min_rows rows. */
static void same(const colstore_query_spec *q, const char *want_kernel, size_t min_rows)
{
    const char *k1 = NULL, *k2 = NULL;
    size_t n1 = 0, n2 = 0;
    char *fast = run(*q, false, &k1, &n1);
    char *slow = run(*q, true, &k2, &n2);
    cr_assert_null(k2, "general run used kernel %s", k2);
    if (want_kernel == NULL)
        cr_assert_null(k1, "kernel %s took a query it cannot compute", k1);
    else
        cr_assert(k1 != NULL && strcmp(k1, want_kernel) == 0, "kernel %s, want %s",
                  k1 != NULL ? k1 : "(none)", want_kernel);
    cr_assert_str_eq(fast, slow);
    cr_assert_geq(n1, min_rows, "%zu rows", n1);
    free(fast);
    free(slow);
}

static colstore_value day_value(int64_t days)
{
    return (colstore_value){COLSTORE_TYPE_DATE, 0, days, NULL, 0};
}

/* 2025-12-10 is day 20432 */
#define D0 20432

Test(kernels, agent_performance_shapes)
{
    colstore_pred window = {.op = COLSTORE_OP_BETWEEN,
                            .column = col("dim_time", "full_date"),
                            .value = day_value(D0 + 5),
                            .value2 = day_value(D0 + 25)};
    colstore_pred approved = {.op = COLSTORE_OP_BOOL,
                              .column = col("fact_agent_query", "approved")};
    colstore_pred approved_eq = {.op = COLSTORE_OP_EQ,
                                 .column = col("fact_agent_query", "approved"),
                                 .value = {COLSTORE_TYPE_BOOL, 0, 1, NULL, 0}};
    colstore_pred edited = {.op = COLSTORE_OP_BOOL,
                            .column = col("fact_agent_query", "human_edited")};
    const colstore_join joins[] = {
        {"dim_time", col("fact_agent_query", "time_key"), col("dim_time", "time_key"), false,
         &window},
        {"dim_agent", col("fact_agent_query", "agent_key"), col("dim_agent", "agent_key"), false,
         NULL},
    };
    const size_t lat = col("fact_agent_query", "latency_ms");
    const colstore_group_key keys[] = {{{1, col("dim_time", "full_date")}, COLSTORE_FN_NONE},
                                       {{2, col("dim_agent", "agent_name")}, COLSTORE_FN_NONE}};
    const colstore_aggregate aggs[] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
                                       {COLSTORE_AGG_SUM, {0, lat}, 0, NULL},
                                       {COLSTORE_AGG_COUNT, {0, lat}, 0, NULL},
                                       {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &approved},
                                       {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &edited},
                                       {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &approved_eq}};
    const colstore_order_by order[] = {{0, true, false}, {1, false, false}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.joins = joins;
    q.njoins = 2;
    q.group_by = keys;
    q.ngroup_by = 2;
    q.aggregates = aggs;
    q.naggregates = 6;
    q.order_by = order;
    q.norder_by = 2;
    same(&q, "agent-performance", 40); /* Query 1 */
    /* a raised cancel flag stops a kernel's query as it stops the general executor's */
    static volatile int cancel = 1;
    q.cancel = &cancel;
    colstore_result *none_r = NULL;
    colstore_error cerr;
    cr_assert_eq(colstore_query(snap, &q, &none_r, NULL, &cerr), COLSTORE_EINVAL);
    cr_assert_str_eq(cerr.message, "canceled");
    cr_assert_null(none_r);
    q.cancel = NULL;
    q.limit = 7;
    same(&q, "agent-performance", 7);
    q.limit = -1;
    /* by month and name; by name alone; by the week's day; nothing */
    const colstore_group_key month[] = {
        {{2, col("dim_agent", "agent_name")}, COLSTORE_FN_NONE},
        {{1, col("dim_time", "full_date")}, COLSTORE_FN_TRUNC_MONTH}};
    q.group_by = month;
    same(&q, "agent-performance", 4);
    q.ngroup_by = 1;
    same(&q, "agent-performance", 2);
    const colstore_group_key dow[] = {{{1, col("dim_time", "day_name")}, COLSTORE_FN_NONE},
                                      {{0, col("fact_agent_query", "time_key")}, COLSTORE_FN_NONE}};
    q.group_by = dow;
    q.ngroup_by = 2;
    same(&q, "agent-performance", 15);
    q.ngroup_by = 0;
    q.norder_by = 0;
    same(&q, "agent-performance", 1);
    /* a window with no day */
    colstore_pred none = window;
    none.value = day_value(D0 + 200);
    none.value2 = day_value(D0 + 210);
    colstore_join empty[2] = {joins[0], joins[1]};
    empty[0].where = &none;
    q.joins = empty;
    same(&q, "agent-performance", 1); /* one row of zero counts and NULL sums */
    q.joins = joins;
    /* near misses: min(latency); a filter on the agents; a LEFT join; a fact filter */
    const colstore_aggregate with_min[] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
                                           {COLSTORE_AGG_MIN, {0, lat}, 0, NULL}};
    q.group_by = keys;
    q.ngroup_by = 2;
    q.norder_by = 2;
    q.aggregates = with_min;
    q.naggregates = 2;
    same(&q, NULL, 40);
    q.aggregates = aggs;
    q.naggregates = 6;
    colstore_pred data = {.op = COLSTORE_OP_EQ,
                          .column = col("dim_agent", "agent_type"),
                          .value = {COLSTORE_TYPE_TEXT, 0, 0, "data", 4}};
    colstore_join filtered[2] = {joins[0], joins[1]};
    filtered[1].where = &data;
    q.joins = filtered;
    same(&q, NULL, 1);
    filtered[1].where = NULL;
    filtered[1].left = true;
    same(&q, NULL, 40);
    q.joins = joins;
    q.where = &edited;
    same(&q, NULL, 10);
}

Test(kernels, approval_queue_shapes)
{
    colstore_pred year = {.op = COLSTORE_OP_EQ,
                          .column = col("dim_time", "year"),
                          .value = {COLSTORE_TYPE_INT, 0, 2025, NULL, 0}};
    colstore_pred approved = {.op = COLSTORE_OP_EQ,
                              .column = col("fact_approval", "status"),
                              .value = {COLSTORE_TYPE_TEXT, 0, 0, "approved", 8}};
    colstore_pred sla = {.op = COLSTORE_OP_BOOL, .column = col("fact_approval", "sla_met")};
    const colstore_join joins[] = {
        {"dim_time", col("fact_approval", "time_key"), col("dim_time", "time_key"), false, &year}};
    const size_t res = col("fact_approval", "resolution_time_seconds");
    const colstore_group_key keys[] = {{{1, col("dim_time", "month")}, COLSTORE_FN_NONE},
                                       {{1, col("dim_time", "month_name")}, COLSTORE_FN_NONE}};
    const colstore_aggregate aggs[] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
                                       {COLSTORE_AGG_SUM, {0, res}, 0, NULL},
                                       {COLSTORE_AGG_COUNT, {0, res}, 0, NULL},
                                       {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &approved},
                                       {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &sla}};
    const colstore_order_by order[] = {{0, false, false}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_approval";
    q.joins = joins;
    q.njoins = 1;
    q.group_by = keys;
    q.ngroup_by = 2;
    q.aggregates = aggs;
    q.naggregates = 5;
    q.order_by = order;
    q.norder_by = 1;
    same(&q, "approval-queue", 1); /* Query 2: December 2025 */
    /* every day of both years by week of the year; by weekend; one total */
    colstore_join all = joins[0];
    all.where = NULL;
    q.joins = &all;
    const colstore_group_key week[] = {{{1, col("dim_time", "full_date")}, COLSTORE_FN_TRUNC_WEEK},
                                       {{1, col("dim_time", "is_weekend")}, COLSTORE_FN_NONE}};
    q.group_by = week;
    const colstore_order_by order2[] = {{0, false, false}, {1, false, false}};
    q.order_by = order2;
    q.norder_by = 2;
    same(&q, "approval-queue", 8);
    q.ngroup_by = 0;
    q.norder_by = 0;
    same(&q, "approval-queue", 1);
    /* near miss: grouped by the approval's agent */
    const colstore_group_key agent[] = {{{0, col("fact_approval", "agent_key")}, COLSTORE_FN_NONE}};
    q.group_by = agent;
    q.ngroup_by = 1;
    q.order_by = order;
    q.norder_by = 1;
    same(&q, NULL, 3);
}

Test(kernels, training_quality_shapes)
{
    colstore_pred window = {.op = COLSTORE_OP_BETWEEN,
                            .column = col("dim_time", "full_date"),
                            .value = day_value(D0 + 9),
                            .value2 = day_value(D0 + 39)};
    colstore_pred safe = {.op = COLSTORE_OP_BOOL, .column = col("fact_training", "safe_to_send")};
    colstore_pred unsafe = {.op = COLSTORE_OP_NOT, .args = &safe, .nargs = 1};
    const colstore_join joins[] = {
        {"dim_user", col("fact_training", "annotator_key"), col("dim_user", "user_key"), false,
         NULL},
        {"dim_time", col("fact_training", "time_key"), col("dim_time", "time_key"), false, &window},
    };
    static const char *const scores[] = {"overall_score", "clarity_score", "accuracy_score",
                                         "tone_score"};
    colstore_aggregate aggs[10] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL}};
    for (size_t s = 0; s < 4; s++) {
        aggs[1 + 2 * s] =
            (colstore_aggregate){COLSTORE_AGG_SUM, {0, col("fact_training", scores[s])}, 0, NULL};
        aggs[2 + 2 * s] =
            (colstore_aggregate){COLSTORE_AGG_COUNT, {0, col("fact_training", scores[s])}, 0, NULL};
    }
    aggs[9] = (colstore_aggregate){COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &unsafe};
    const colstore_group_key keys[] = {{{1, col("dim_user", "user_id")}, COLSTORE_FN_NONE}};
    const colstore_order_by order[] = {{1, true, false}, {0, false, false}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_training";
    q.joins = joins;
    q.njoins = 2;
    q.group_by = keys;
    q.ngroup_by = 1;
    q.aggregates = aggs;
    q.naggregates = 10;
    q.order_by = order;
    q.norder_by = 2;
    same(&q, "training-quality", 2); /* Query 3 */
    q.ngroup_by = 0;
    q.norder_by = 0;
    same(&q, "training-quality", 1);
    /* near miss: grouped by the day as well */
    const colstore_group_key by_day[] = {{{1, col("dim_user", "user_id")}, COLSTORE_FN_NONE},
                                         {{0, col("fact_training", "time_key")}, COLSTORE_FN_NONE}};
    q.group_by = by_day;
    q.ngroup_by = 2;
    same(&q, NULL, 10);
}

Test(kernels, daily_aggregate_shapes)
{
    const colstore_value lo = {COLSTORE_TYPE_INT, 0, 20251212, NULL, 0};
    const colstore_value hi = {COLSTORE_TYPE_INT, 0, 20260110, NULL, 0};
    static const char *const tables[] = {"fact_agent_query", "fact_approval", "fact_training"};
    for (size_t t = 0; t < 3; t++) {
        const char *tb = tables[t];
        colstore_pred range = {
            .op = COLSTORE_OP_BETWEEN, .column = col(tb, "time_key"), .value = lo, .value2 = hi};
        colstore_pred agent = {.op = COLSTORE_OP_IS_NOT_NULL, .column = col(tb, "agent_key")};
        colstore_pred both_args[2] = {agent, range};
        colstore_pred both = {.op = COLSTORE_OP_AND, .args = both_args, .nargs = 2};
        const colstore_group_key keys[] = {{{0, col(tb, "agent_key")}, COLSTORE_FN_NONE},
                                           {{0, col(tb, "time_key")}, COLSTORE_FN_NONE}};
        colstore_aggregate aggs[8] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL}};
        size_t naggs = 1;
        colstore_pred f[3];
        if (t == 0) {
            const size_t lat = col(tb, "latency_ms");
            aggs[naggs++] = (colstore_aggregate){COLSTORE_AGG_SUM, {0, lat}, 0, NULL};
            aggs[naggs++] = (colstore_aggregate){COLSTORE_AGG_COUNT, {0, lat}, 0, NULL};
            aggs[naggs++] = (colstore_aggregate){COLSTORE_AGG_PERCENTILE, {0, lat}, 0.95, NULL};
            static const char *const flags[] = {"approved", "human_edited", "error_occurred"};
            for (size_t k = 0; k < 3; k++) {
                f[k] = (colstore_pred){.op = COLSTORE_OP_BOOL, .column = col(tb, flags[k])};
                aggs[naggs++] = (colstore_aggregate){COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &f[k]};
            }
        } else if (t == 1) {
            f[0] = (colstore_pred){.op = COLSTORE_OP_BOOL, .column = col(tb, "sla_met")};
            aggs[naggs++] = (colstore_aggregate){COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &f[0]};
        } else {
            f[1] = (colstore_pred){.op = COLSTORE_OP_BOOL, .column = col(tb, "safe_to_send")};
            f[0] = (colstore_pred){.op = COLSTORE_OP_NOT, .args = &f[1], .nargs = 1};
            aggs[naggs++] = (colstore_aggregate){COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &f[0]};
        }
        const colstore_order_by order[] = {{1, false, false}, {0, false, false}};
        colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
        q.table = tb;
        q.where = &both;
        q.group_by = keys;
        q.ngroup_by = 2;
        q.aggregates = aggs;
        q.naggregates = naggs;
        q.order_by = order;
        q.norder_by = 2;
        same(&q, "daily-aggregates", 30);
        /* keys the other way round, the range through the spec's bounds */
        const colstore_group_key swapped[] = {keys[1], keys[0]};
        q.group_by = swapped;
        q.where = &agent;
        q.time_key_min = 20251215;
        q.time_key_max = 20251231;
        same(&q, "daily-aggregates", 20);
        /* without agent_key IS NOT NULL, approvals and training have a NULL agent group the
         * kernel does not make; fact_agent_query's agent_key is NOT NULL */
        q.where = &range;
        same(&q, t == 0 ? "daily-aggregates" : NULL, 20);
    }
}

Test(kernels, day_totals_shapes)
{
    /* fact_agent_query by month: counts, a sum, a nullable column's count, flags */
    colstore_pred approved = {.op = COLSTORE_OP_BOOL,
                              .column = col("fact_agent_query", "approved")};
    colstore_pred error = {.op = COLSTORE_OP_BOOL,
                           .column = col("fact_agent_query", "error_occurred")};
    colstore_pred no_error = {.op = COLSTORE_OP_NOT, .args = &error, .nargs = 1};
    colstore_pred not_approved = {.op = COLSTORE_OP_NOT, .args = &approved, .nargs = 1};
    colstore_pred edited_false = {.op = COLSTORE_OP_EQ,
                                  .column = col("fact_agent_query", "human_edited"),
                                  .value = {COLSTORE_TYPE_BOOL, 0, 0, NULL, 0}};
    const colstore_join tjoin = {"dim_time", col("fact_agent_query", "time_key"),
                                 col("dim_time", "time_key"), false, NULL};
    const size_t lat = col("fact_agent_query", "latency_ms");
    const size_t size = col("fact_agent_query", "result_size_bytes");
    const colstore_aggregate aggs[] = {
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
        {COLSTORE_AGG_SUM, {0, lat}, 0, NULL},
        {COLSTORE_AGG_COUNT, {0, size}, 0, NULL},
        {COLSTORE_AGG_SUM, {0, size}, 0, NULL},
        {COLSTORE_AGG_COUNT, {0, col("fact_agent_query", "approved")}, 0, NULL},
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &approved},
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &no_error},
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &edited_false},
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &not_approved}};
    const colstore_group_key month[] = {
        {{1, col("dim_time", "full_date")}, COLSTORE_FN_TRUNC_MONTH}};
    const colstore_order_by order[] = {{0, false, false}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.joins = &tjoin;
    q.njoins = 1;
    q.group_by = month;
    q.ngroup_by = 1;
    q.aggregates = aggs;
    q.naggregates = 9;
    q.order_by = order;
    q.norder_by = 1;
    same(&q, "day-totals", 2);
    /* by the table's own time_key, no join; over two weeks; everything in one group */
    const colstore_group_key tk[] = {{{0, col("fact_agent_query", "time_key")}, COLSTORE_FN_NONE}};
    q.joins = NULL;
    q.njoins = 0;
    q.group_by = tk;
    same(&q, "day-totals", 30);
    q.time_key_min = 20251215;
    q.time_key_max = 20251228;
    same(&q, "day-totals", 14);
    q.ngroup_by = 0;
    q.norder_by = 0;
    same(&q, "day-totals", 1);
    q.time_key_min = 20300101; /* no day: one row, counts 0, sums NULL */
    q.time_key_max = 20300131;
    same(&q, "day-totals", 1);
    q.time_key_min = q.time_key_max = 0;
    /* approvals by status text through a FILTER other than approval-queue's; training by day
     * name with scores */
    colstore_pred rejected = {.op = COLSTORE_OP_EQ,
                              .column = col("fact_approval", "status"),
                              .value = {COLSTORE_TYPE_TEXT, 0, 0, "rejected", 8}};
    const colstore_aggregate aaggs[] = {
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &rejected},
        {COLSTORE_AGG_COUNT, {0, col("fact_approval", "status")}, 0, NULL}};
    const colstore_join ajoin = {"dim_time", col("fact_approval", "time_key"),
                                 col("dim_time", "time_key"), false, NULL};
    const colstore_group_key dname[] = {{{1, col("dim_time", "day_name")}, COLSTORE_FN_NONE}};
    colstore_query_spec a = COLSTORE_QUERY_SPEC_INIT;
    a.table = "fact_approval";
    a.joins = &ajoin;
    a.njoins = 1;
    a.group_by = dname;
    a.ngroup_by = 1;
    a.aggregates = aaggs;
    a.naggregates = 2;
    a.order_by = order;
    a.norder_by = 1;
    same(&a, "day-totals", 7);
    const colstore_aggregate taggs[] = {
        {COLSTORE_AGG_SUM, {0, col("fact_training", "overall_score")}, 0, NULL},
        {COLSTORE_AGG_COUNT, {0, col("fact_training", "clarity_score")}, 0, NULL},
        {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL}};
    const colstore_join tj = {"dim_time", col("fact_training", "time_key"),
                              col("dim_time", "time_key"), false, NULL};
    a.table = "fact_training";
    a.joins = &tj;
    a.aggregates = taggs;
    a.naggregates = 3;
    same(&a, "day-totals", 7);
    /* near misses: a condition on the fact; a join on another key; min() */
    q.where = &approved;
    same(&q, NULL, 1);
    q.where = NULL;
    const colstore_aggregate with_min[] = {{COLSTORE_AGG_MIN, {0, lat}, 0, NULL}};
    q.aggregates = with_min;
    q.naggregates = 1;
    same(&q, NULL, 1);
    const colstore_join ajn = {"dim_agent", col("fact_agent_query", "agent_key"),
                               col("dim_agent", "agent_key"), false, NULL};
    q.aggregates = aggs;
    q.naggregates = 9;
    q.joins = &ajn;
    q.njoins = 1;
    same(&q, NULL, 1);
}
