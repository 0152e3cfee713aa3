/*
 * cs_star_query: times the issue-15 ad-hoc star query through colstore_query(), the executor
 * colstore_fdw pushes SQL into, on a store opened once:
 *
 *   SELECT a.agent_type, date_trunc('month', d.full_date), count(*), sum(f.latency_ms),
 *          count(f.latency_ms), percentile_cont(0.5) WITHIN GROUP (ORDER BY f.latency_ms)
 *   FROM fact_agent_query f JOIN dim_agent a USING (agent_key) JOIN dim_time d USING (time_key)
 *   GROUP BY 1, 2
 *
 *   cs_star_query STORE [--runs N] [--no-percentile] [--general] [--shape NAME]
 *
 * --general runs the engine's general executor even where a report kernel fits; --shape
 * agent-performance / training-quality times reference.sql's Query 1 / Query 3 (as of
 * 2025-12-31, 7 / 30 days) as star queries instead (what colstore_fdw pushes for them).
 * Prints one line per run (ms, groups, the kernel), then the median. Exit 0, or the failing
 * call's code.
 */
#define _POSIX_C_SOURCE 200809L
#include <colstore.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t col(const char *table, const char *column)
{
    size_t i = 0;
    colstore_error e;
    if (colstore_column_index(table, column, &i, &e) != COLSTORE_OK) {
        fprintf(stderr, "cs_star_query: %s\n", e.message);
        exit(2);
    }
    return i;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cs_star_query STORE [--runs N] [--no-percentile]\n");
        return 2;
    }
    int runs = 5;
    size_t naggs = 4;
    bool general = false;
    const char *shape = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--no-percentile") == 0) {
            naggs = 3;
        } else if (strcmp(argv[i], "--general") == 0) {
            general = true;
        } else if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc) {
            shape = argv[++i];
        } else {
            fprintf(stderr, "cs_star_query: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (runs < 1 || runs > 1000) runs = 5;
    colstore_store *st = NULL;
    colstore_error e;
    int rc = colstore_open(argv[1], 0, &st, &e);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "cs_star_query: %s\n", e.message);
        return rc;
    }
    const colstore_join joins[2] = {{"dim_agent", col("fact_agent_query", "agent_key"),
                                     col("dim_agent", "agent_key"), false, NULL},
                                    {"dim_time", col("fact_agent_query", "time_key"),
                                     col("dim_time", "time_key"), false, NULL}};
    const colstore_group_key keys[2] = {
        {{1, col("dim_agent", "agent_type")}, COLSTORE_FN_NONE},
        {{2, col("dim_time", "full_date")}, COLSTORE_FN_TRUNC_MONTH}};
    const size_t lat = col("fact_agent_query", "latency_ms");
    const colstore_aggregate aggs[4] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
                                        {COLSTORE_AGG_SUM, {0, lat}, 0, NULL},
                                        {COLSTORE_AGG_COUNT, {0, lat}, 0, NULL},
                                        {COLSTORE_AGG_PERCENTILE, {0, lat}, 0.5, NULL}};
    colstore_query_spec q = COLSTORE_QUERY_SPEC_INIT;
    q.table = "fact_agent_query";
    q.joins = joins;
    q.njoins = 2;
    q.group_by = keys;
    q.ngroup_by = 2;
    q.aggregates = aggs;
    q.naggregates = naggs;
    q.general = general;
    /* reference.sql's Query 1 and Query 3 as colstore_fdw pushes them */
    const colstore_value d24 = {COLSTORE_TYPE_DATE, 0, 20446, NULL, 0}; /* 2025-12-24 */
    const colstore_value d01 = {COLSTORE_TYPE_DATE, 0, 20423, NULL, 0}; /* 2025-12-01 */
    const colstore_value d31 = {COLSTORE_TYPE_DATE, 0, 20453, NULL, 0}; /* 2025-12-31 */
    const colstore_pred week = {.op = COLSTORE_OP_BETWEEN,
                                .column = col("dim_time", "full_date"),
                                .value = d24,
                                .value2 = d31};
    const colstore_pred month = {.op = COLSTORE_OP_BETWEEN,
                                 .column = col("dim_time", "full_date"),
                                 .value = d01,
                                 .value2 = d31};
    const colstore_pred approved = {.op = COLSTORE_OP_BOOL,
                                    .column = col("fact_agent_query", "approved")};
    const colstore_pred edited = {.op = COLSTORE_OP_BOOL,
                                  .column = col("fact_agent_query", "human_edited")};
    const colstore_pred safe = {.op = COLSTORE_OP_BOOL,
                                .column = col("fact_training", "safe_to_send")};
    const colstore_pred unsafe = {.op = COLSTORE_OP_NOT, .args = &safe, .nargs = 1};
    colstore_join qjoins[2] = {joins[0], joins[1]};
    qjoins[1].where = &week;
    const colstore_group_key q1keys[2] = {{{2, col("dim_time", "full_date")}, COLSTORE_FN_NONE},
                                          {{1, col("dim_agent", "agent_name")}, COLSTORE_FN_NONE}};
    const colstore_aggregate q1aggs[5] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL},
                                          {COLSTORE_AGG_SUM, {0, lat}, 0, NULL},
                                          {COLSTORE_AGG_COUNT, {0, lat}, 0, NULL},
                                          {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &approved},
                                          {COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &edited}};
    const colstore_order_by q1order[2] = {{0, true, false}, {1, false, false}};
    const colstore_join tjoins[2] = {
        {"dim_user", col("fact_training", "annotator_key"), col("dim_user", "user_key"), false,
         NULL},
        {"dim_time", col("fact_training", "time_key"), col("dim_time", "time_key"), false, &month}};
    const colstore_group_key q3keys[1] = {{{1, col("dim_user", "user_id")}, COLSTORE_FN_NONE}};
    static const char *const scores[4] = {"overall_score", "clarity_score", "accuracy_score",
                                          "tone_score"};
    colstore_aggregate q3aggs[10] = {{COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, NULL}};
    for (size_t k = 0; k < 4; k++) {
        q3aggs[1 + 2 * k] =
            (colstore_aggregate){COLSTORE_AGG_SUM, {0, col("fact_training", scores[k])}, 0, NULL};
        q3aggs[2 + 2 * k] =
            (colstore_aggregate){COLSTORE_AGG_COUNT, {0, col("fact_training", scores[k])}, 0, NULL};
    }
    q3aggs[9] = (colstore_aggregate){COLSTORE_AGG_COUNT_ROWS, {0, 0}, 0, &unsafe};
    const colstore_order_by q3order[2] = {{1, true, false}, {0, false, false}};
    if (shape != NULL && strcmp(shape, "agent-performance") == 0) {
        q.joins = qjoins;
        q.group_by = q1keys;
        q.aggregates = q1aggs;
        q.naggregates = 5;
        q.order_by = q1order;
        q.norder_by = 2;
    } else if (shape != NULL && strcmp(shape, "training-quality") == 0) {
        q.table = "fact_training";
        q.joins = tjoins;
        q.group_by = q3keys;
        q.ngroup_by = 1;
        q.aggregates = q3aggs;
        q.naggregates = 10;
        q.order_by = q3order;
        q.norder_by = 2;
    } else if (shape != NULL) {
        fprintf(stderr, "cs_star_query: unknown shape %s\n", shape);
        return 2;
    }
    double *ms = calloc((size_t)runs, sizeof(*ms));
    for (int r = 0; r < runs && rc == COLSTORE_OK; r++) {
        colstore_snapshot *snap = NULL;
        colstore_result *res = NULL;
        rc = colstore_snapshot_open(st, &snap, &e);
        const double t0 = now_ms();
        colstore_query_stats qs = COLSTORE_QUERY_STATS_INIT;
        if (rc == COLSTORE_OK) rc = colstore_query(snap, &q, &res, &qs, &e);
        ms[r] = now_ms() - t0;
        if (rc == COLSTORE_OK)
            printf("run %d: %.3f ms, %zu groups, kernel %s\n", r, ms[r], colstore_result_rows(res),
                   qs.kernel != NULL ? qs.kernel : "general");
        colstore_result_free(res);
        colstore_snapshot_close(snap);
    }
    if (rc == COLSTORE_OK) {
        qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
        printf("median_ms %.3f\n", ms[runs / 2]);
    } else {
        fprintf(stderr, "cs_star_query: %s\n", e.message);
    }
    free(ms);
    colstore_close(st);
    return rc;
}
