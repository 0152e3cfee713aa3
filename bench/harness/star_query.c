/*
 * cs_star_query: times the issue-15 ad-hoc star query through colstore_query(), the executor
 * colstore_fdw pushes SQL into, on a store opened once:
 *
 *   SELECT a.agent_type, date_trunc('month', d.full_date), count(*), sum(f.latency_ms),
 *          count(f.latency_ms), percentile_cont(0.5) WITHIN GROUP (ORDER BY f.latency_ms)
 *   FROM fact_agent_query f JOIN dim_agent a USING (agent_key) JOIN dim_time d USING (time_key)
 *   GROUP BY 1, 2
 *
 *   cs_star_query STORE [--runs N] [--no-percentile]
 *
 * Prints one line per run (ms, groups), then the median. Exit 0, or the failing call's code.
 */
#define _POSIX_C_SOURCE 200809L
#include <colstore.h>

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
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--no-percentile") == 0) {
            naggs = 3;
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
    double *ms = calloc((size_t)runs, sizeof(*ms));
    for (int r = 0; r < runs && rc == COLSTORE_OK; r++) {
        colstore_snapshot *snap = NULL;
        colstore_result *res = NULL;
        rc = colstore_snapshot_open(st, &snap, &e);
        const double t0 = now_ms();
        if (rc == COLSTORE_OK) rc = colstore_query(snap, &q, &res, NULL, &e);
        ms[r] = now_ms() - t0;
        if (rc == COLSTORE_OK)
            printf("run %d: %.1f ms, %zu groups\n", r, ms[r], colstore_result_rows(res));
        colstore_result_free(res);
        colstore_snapshot_close(snap);
    }
    if (rc == COLSTORE_OK) {
        qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
        printf("median_ms %.1f\n", ms[runs / 2]);
    } else {
        fprintf(stderr, "cs_star_query: %s\n", e.message);
    }
    free(ms);
    colstore_close(st);
    return rc;
}
