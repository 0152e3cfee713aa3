/*
 * A tiny warehouse as PostgreSQL COPY text exports, with the report outputs computed by hand
 * (see the comments), shared by the engine tests.
 */
#ifndef CS_TEST_FIXTURE_H
#define CS_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/colstore.h"

static const char fx_dim_agent[] =
    "1\tdata\tdata\t[\"query\", \"analytics\"]\t300\t0.000000\t2025-01-01 00:00:00+00\t"
    "2025-03-02 00:00:00+00\tf\n"
    "2\tsupport\tsupport\t[]\t180\t0.001500\t2025-01-01 00:00:00+00\t\\N\tt\n"
    "3\tdata\tdata\t[\"query\"]\t300\t0.000000\t2025-03-02 00:00:00+00\t\\N\tt\n";

static const char fx_dim_time[] = "20250301\t2025-03-01\t2025\t1\t3\t9\t1\t6\t60\tSaturday \tMarch "
                                  "   \tt\tf\t\\N\t\\N\t\\N\t\\N\n"
                                  "20250302\t2025-03-02\t2025\t1\t3\t9\t2\t0\t61\tSunday   \tMarch "
                                  "   \tt\tf\t\\N\t\\N\t\\N\t\\N\n"
                                  "20250303\t2025-03-03\t2025\t1\t3\t10\t3\t1\t62\tMonday   "
                                  "\tMarch    \tf\tf\t\\N\t\\N\t\\N\t\\N\n";

static const char fx_dim_conversation[] =
    "1\tc-1\t2025-03-01 10:00:00+00\t2025-03-03 10:00:00+00\t3\t1\t2\t{}\n"
    "2\tc-2\t2025-03-01 11:00:00+00\t2025-03-01 12:00:00+00\t2\t0\t0\t{\"k\": \"v\"}\n";

static const char fx_dim_user[] = "1\tann-1\tannotator\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n"
                                  "2\tappr-1\tapprover\tops team\t2025-01-01 00:00:00+00\t\\N\tt\n";

static const char fx_fact_agent_query[] = "1\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t100"
                                          "\t100\tt\tf\tf\t2025-03-01 10:00:00+00\n"
                                          "2\t1\t20250301\t2\t00000000000000000000000000000001\t\\N"
                                          "\t201\tf\tt\tf\t2025-03-01 11:00:00.5+00\n"
                                          "3\t2\t20250301\t2\tffffffffffffffffffffffffffffffff\t50"
                                          "\t300\t\\N\tf\tt\t2025-03-01 12:00:00+00\n"
                                          "4\t3\t20250302\t1\t0123456789abcdef0123456789abcde0\t10"
                                          "\t400\tt\tf\tf\t2025-03-02 10:00:00+00\n"
                                          "5\t3\t20250303\t1\t0123456789abcdef0123456789abcde1\t10"
                                          "\t500\tt\tf\tf\t2025-03-03 10:00:00+00\n";

static const char fx_fact_approval[] =
    "1\t2\t20250301\t1\t2\tapproved\t90\t0\tt\t2025-03-01 10:00:00+00\t2025-03-01 10:01:30+00\n"
    "2\t\\N\t20250302\t1\t\\N\tpending\t\\N\t0\t\\N\t2025-03-02 10:00:00+00\t\\N\n";

/* COPY fact_training TO leaves the generated overall_score out. */
static const char fx_fact_training[] =
    "1\t1\t20250301\t1\t1\tf\t5\t4\t\\N\t{good,\"needs work\"}\t2025-03-01 10:00:00+00\t\\N\n"
    "2\t3\t20250302\t1\t1\tt\t3\t3\t3\t{}\t2025-03-02 10:00:00+00\t2025-03-02 11:00:00+00\n";

static const struct {
    const char *table;
    const char *data;
} fx_tables[] = {
    {"dim_agent", fx_dim_agent},
    {"dim_time", fx_dim_time},
    {"dim_conversation", fx_dim_conversation},
    {"dim_user", fx_dim_user},
    {"fact_agent_query", fx_fact_agent_query},
    {"fact_approval", fx_fact_approval},
    {"fact_training", fx_fact_training},
};

/* agent-performance --as-of 2025-03-03 --days 7 */
static const char fx_agent_performance_csv[] =
    "full_date,agent_name,total_queries,avg_latency_ms,approval_rate_pct,edit_rate_pct\n"
    "2025-03-03,data,1,500.00,100.00,0.00\n"
    "2025-03-02,data,1,400.00,100.00,0.00\n"
    "2025-03-01,data,2,150.50,50.00,50.00\n"
    "2025-03-01,support,1,300.00,0.00,0.00\n";

/* approval-queue --year 2025 */
static const char fx_approval_queue_csv[] =
    "month_name,total_approvals,avg_resolution_minutes,approval_rate_pct,sla_compliance_pct\n"
    "March    ,2,1.50,50.00,50.00\n";

/* training-quality --as-of 2025-03-03 --days 30: overall scores 3.00 and 3.00 */
static const char fx_training_quality_csv[] =
    "annotator,total_annotations,avg_overall_score,avg_clarity,avg_accuracy,avg_tone,"
    "unsafe_rate_pct\n"
    "ann-1,2,3.00,4.00,3.50,3.00,50.00\n";

/* daily-agg --from 2025-03-01 --to 2025-03-03; p95 of {100, 201} = 100 + 101 * 0.95 */
static const char fx_daily_agg_csv[] =
    "agent_key,time_key,total_queries,avg_latency_ms,p95_latency_ms,approval_rate_pct,"
    "edit_rate_pct,error_rate_pct,total_approvals,total_feedback,unsafe_feedback_count,"
    "sla_compliance_pct\n"
    "1,20250301,2,150.50,195.95,50.00,50.00,0.00,0,1,1,\n"
    "2,20250301,1,300.00,300.00,0.00,0.00,100.00,1,0,0,100.00\n"
    "3,20250302,1,400.00,400.00,100.00,0.00,0.00,0,1,0,\n"
    "3,20250303,1,500.00,500.00,100.00,0.00,0.00,0,0,0,\n";

/* fx_tmpdir() - a new empty directory for a store; caller frees the string. */
static inline char *fx_tmpdir(void)
{
    char tmpl[] = "/tmp/colstore-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (d == NULL) return NULL;
    char *out = malloc(strlen(d) + 8);
    if (out == NULL) return NULL;
    sprintf(out, "%s/store", d);
    return out;
}

/* fx_load_all() - load every fixture table; returns the first failing code. */
static inline int fx_load_all(colstore_store *st, colstore_error *err)
{
    for (size_t i = 0; i < sizeof(fx_tables) / sizeof(fx_tables[0]); i++) {
        int rc =
            colstore_load_buffer(st, fx_tables[i].table, fx_tables[i].data,
                                 strlen(fx_tables[i].data), fx_tables[i].table, NULL, NULL, err);
        if (rc != COLSTORE_OK) return rc;
    }
    return COLSTORE_OK;
}

/* fx_report_csv() - run a report and return its psql --csv text (caller frees), or NULL. */
static inline char *fx_report_csv(colstore_store *st,
                                  const char *name,
                                  const colstore_report_params *p,
                                  colstore_error *err)
{
    colstore_result *r = NULL;
    if (colstore_report(st, name, p, &r, err) != COLSTORE_OK) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = colstore_result_write(r, f, COLSTORE_OUTPUT_CSV, err);
    fclose(f);
    colstore_result_free(r);
    if (rc != COLSTORE_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* fx_dump() - dump a table as text or csv (caller frees). */
static inline char *fx_dump(colstore_store *st, const char *table, enum colstore_format format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    colstore_error err;
    int rc = colstore_dump(st, table, format, f, &err);
    fclose(f);
    if (rc != COLSTORE_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

#endif
