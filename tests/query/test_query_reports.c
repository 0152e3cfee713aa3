/*
 * The four reports on a small store built here through storage/store.h: dimensions with SCD-2
 * versions, facts with NULL agents / annotators / flags / scores, gaps, a year boundary and
 * unknown keys. The expected CSV texts are what psql --csv printed for reference.sql on the
 * same rows (set CS_QUERY_DUMP_SQL=FILE to write those rows as SQL for PostgreSQL).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/format.h"
#include "query/report.h"
#include "storage/base/pgtext.h"
#include "storage/store.h"

#define NUL INT64_MIN

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng_state >> 33) % n);
}

/* Append a row: cols given in (col, value) pairs; every other column gets a filler value
 * (NULL when nullable). Strings are passed through str_col/str_val. */
struct rowspec {
    int col;
    int64_t v;
    const char *s;
};

static void put_row(struct cs_batch *b, const struct rowspec *spec, size_t n)
{
    const struct cs_table_def *t = b->table;
    for (size_t j = 0; j < n; j++) {
        struct cs_col *c = &b->cols[spec[j].col];
        bool ok;
        if (spec[j].s != NULL) {
            ok = cs_col_push_str(c, spec[j].s, strlen(spec[j].s));
        } else if (spec[j].v == NUL) {
            ok = cs_col_push_null(c);
        } else if (c->kind == CS_K_BOOL) {
            ok = cs_col_push_bool(c, spec[j].v != 0);
        } else {
            ok = cs_col_push_i64(c, spec[j].v);
        }
        cr_assert(ok);
    }
    for (int j = 0; j < t->ncols; j++) {
        struct cs_col *c = &b->cols[j];
        if (c->len > b->rows) continue;
        if (!(t->cols[j].flags & CS_COL_NOT_NULL)) {
            cr_assert(cs_col_push_null(c));
            continue;
        }
        static const uint8_t zero[16] = {0};
        switch (c->kind) {
        case CS_K_I64:
            cr_assert(cs_col_push_i64(c, 1));
            break;
        case CS_K_BOOL:
            cr_assert(cs_col_push_bool(c, false));
            break;
        case CS_K_STR:
            cr_assert(cs_col_push_str(c, "approver", 8));
            break;
        default:
            cr_assert(cs_col_push_fix16(c, zero));
            break;
        }
    }
    b->rows++;
}

static FILE *sql; /* CS_QUERY_DUMP_SQL */

static void sql_val(int64_t v)
{
    if (v == NUL) {
        fputs("NULL", sql);
    } else {
        fprintf(sql, "%lld", (long long)v);
    }
}

static void sql_bool(int64_t v)
{
    fputs(v == NUL ? "NULL" : v ? "true" : "false", sql);
}

static const char *const month_names[12] = {"January  ", "February ", "March    ", "April    ",
                                            "May      ", "June     ", "July     ", "August   ",
                                            "September", "October  ", "November ", "December "};
static const char *const agent_names[] = {"",
                                          "data",
                                          "engineer",
                                          "data",
                                          "Zeta",
                                          "a\xc4\x9f"
                                          "ent",
                                          "unused"};
static const char *const user_names[] = {"", "ann", "bob", "Carl", "dave", "eve"};

static void put_commit(struct cs_txn *txn, int table, int32_t tk, struct cs_batch *b)
{
    struct cs_error err = {0};
    if (b->rows > 0)
        cr_assert_eq(cs_txn_put_part(txn, table, tk, b, &err), CS_OK, "%s", err.message);
    cs_batch_reset(b);
}

static void build_dims(struct cs_txn *txn)
{
    struct cs_batch b;
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_TIME));
    for (int64_t d = cs_days_from_civil(2024, 12, 25); d <= cs_days_from_civil(2025, 3, 10); d++) {
        int64_t y;
        unsigned m, dd;
        cs_civil_from_days(d, &y, &m, &dd);
        const struct rowspec s[] = {{CS_TIME_KEY, cs_time_key_from_days(d), NULL},
                                    {CS_TIME_FULL_DATE, d, NULL},
                                    {CS_TIME_YEAR, y, NULL},
                                    {CS_TIME_MONTH, m, NULL},
                                    {CS_TIME_MONTH_NAME, 0, month_names[m - 1]}};
        put_row(&b, s, 5);
        if (sql)
            fprintf(sql,
                    "INSERT INTO dim_time VALUES (%d, DATE '2000-01-01' + %lld, %lld, %u, '%s');\n",
                    cs_time_key_from_days(d), (long long)(d - cs_days_from_civil(2000, 1, 1)),
                    (long long)y, m, month_names[m - 1]);
    }
    put_commit(txn, CS_T_DIM_TIME, 0, &b);
    cs_batch_free(&b);
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_AGENT));
    for (int k = 1; k <= 6; k++) {
        const struct rowspec s[] = {{CS_AGENT_KEY, k, NULL}, {CS_AGENT_NAME, 0, agent_names[k]}};
        put_row(&b, s, 2);
        if (sql) fprintf(sql, "INSERT INTO dim_agent VALUES (%d, '%s');\n", k, agent_names[k]);
    }
    put_commit(txn, CS_T_DIM_AGENT, 0, &b);
    cs_batch_free(&b);
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_USER));
    for (int k = 1; k <= 5; k++) {
        const struct rowspec s[] = {{CS_USER_KEY, k, NULL}, {CS_USER_ID, 0, user_names[k]}};
        put_row(&b, s, 2);
        if (sql) fprintf(sql, "INSERT INTO dim_user VALUES (%d, '%s');\n", k, user_names[k]);
    }
    put_commit(txn, CS_T_DIM_USER, 0, &b);
    cs_batch_free(&b);
}

static const char *const statuses[4] = {"pending", "approved", "rejected", "expired"};

static int64_t tri(void) /* NULL, false or true */
{
    const uint32_t r = rnd(3);
    return r == 0 ? NUL : (int64_t)(r - 1);
}

static void day_queries(struct cs_batch *q, int32_t tk)
{
    const uint32_t n = 5 + rnd(40);
    for (uint32_t i = 0; i < n; i++) {
        const int64_t agent = (int64_t)(rnd(7) == 0 ? 7 : 1 + rnd(5)); /* 7: not in dim_agent */
        const int64_t lat = rnd(4) == 0 ? 1000 : (int64_t)rnd(5000);
        const int64_t appr = tri(), ed = rnd(2), er = rnd(5) == 0;
        const struct rowspec s[] = {{CS_FQ_AGENT, agent, NULL},     {CS_FQ_TIME, tk, NULL},
                                    {CS_FQ_LATENCY, lat, NULL},     {CS_FQ_APPROVED, appr, NULL},
                                    {CS_FQ_HUMAN_EDITED, ed, NULL}, {CS_FQ_ERROR, er, NULL}};
        put_row(q, s, 6);
        if (sql) {
            fprintf(sql, "INSERT INTO fact_agent_query VALUES (%lld, %d, %lld, ", (long long)agent,
                    tk, (long long)lat);
            sql_bool(appr);
            fprintf(sql, ", %s, %s);\n", ed ? "true" : "false", er ? "true" : "false");
        }
    }
}

static void day_approvals(struct cs_batch *a, int32_t tk)
{
    const uint32_t n = 1 + rnd(6);
    for (uint32_t i = 0; i < n; i++) {
        const int64_t agent = rnd(4) == 0 ? NUL : (int64_t)(1 + rnd(5));
        const char *st = statuses[rnd(4)];
        const bool jan = tk / 100 == 202501;
        const int64_t res = jan || rnd(4) == 0 ? NUL : (int64_t)rnd(10000);
        const int64_t sla = tri();
        const struct rowspec s[] = {{CS_FA_AGENT, agent, NULL},
                                    {CS_FA_TIME, tk, NULL},
                                    {CS_FA_STATUS, 0, st},
                                    {CS_FA_RESOLUTION_S, res, NULL},
                                    {CS_FA_SLA_MET, sla, NULL}};
        put_row(a, s, 5);
        if (sql) {
            fputs("INSERT INTO fact_approval VALUES (", sql);
            sql_val(agent);
            fprintf(sql, ", %d, '%s', ", tk, st);
            sql_val(res);
            fputs(", ", sql);
            sql_bool(sla);
            fputs(");\n", sql);
        }
    }
}

static void day_training(struct cs_batch *t, int32_t tk)
{
    const uint32_t n = 1 + rnd(8);
    for (uint32_t i = 0; i < n; i++) {
        const int64_t agent = rnd(5) == 0 ? NUL : (int64_t)(1 + rnd(5));
        const int64_t ann = rnd(6) == 0 ? NUL : rnd(9) == 0 ? 6 : (int64_t)(1 + rnd(4));
        int64_t sc[3];
        int64_t sum = 0;
        for (int k = 0; k < 3; k++) {
            sc[k] = rnd(5) == 0 ? NUL : (int64_t)(1 + rnd(5));
            sum += sc[k] == NUL ? 0 : sc[k];
        }
        const int64_t safe = tri();
        const int64_t overall = (200 * sum + 3) / 6; /* round(sum / 3.0, 2) */
        const struct rowspec s[] = {{CS_FT_AGENT, agent, NULL},   {CS_FT_TIME, tk, NULL},
                                    {CS_FT_ANNOTATOR, ann, NULL}, {CS_FT_SAFE, safe, NULL},
                                    {CS_FT_CLARITY, sc[0], NULL}, {CS_FT_ACCURACY, sc[1], NULL},
                                    {CS_FT_TONE, sc[2], NULL},    {CS_FT_OVERALL, overall, NULL}};
        put_row(t, s, 8);
        if (sql) {
            fputs("INSERT INTO fact_training VALUES (", sql);
            sql_val(agent);
            fprintf(sql, ", %d, ", tk);
            sql_val(ann);
            fputs(", ", sql);
            sql_bool(safe);
            for (int k = 0; k < 3; k++) {
                fputs(", ", sql);
                sql_val(sc[k]);
            }
            fputs(");\n", sql);
        }
    }
}

static char *store_dir;
static struct cs_store *store;
static struct cs_snap *snap;
static struct cs_store *store_pread; /* the same store, CS_OPEN_PREAD */
static struct cs_snap *snap_pread;

static void build_store(void)
{
    rng_state = 42;
    const char *dump = getenv("CS_QUERY_DUMP_SQL");
    sql = dump != NULL ? fopen(dump, "w") : NULL;
    char tmpl[] = "/tmp/cs_query_test_XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    store_dir = strdup(tmpl);
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(store_dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &store, &err), CS_OK,
                 "%s", err.message);
    struct cs_txn *txn;
    cr_assert_eq(cs_txn_begin(store, &txn, &err), CS_OK, "%s", err.message);
    build_dims(txn);
    struct cs_batch q, a, t, agg;
    cs_batch_init(&q, cs_schema_table(CS_T_FACT_AGENT_QUERY));
    cs_batch_init(&a, cs_schema_table(CS_T_FACT_APPROVAL));
    cs_batch_init(&t, cs_schema_table(CS_T_FACT_TRAINING));
    cs_batch_init(&agg, cs_schema_table(CS_T_AGG_DAILY));
    const int64_t first = cs_days_from_civil(2024, 12, 26);
    for (int64_t d = first; d <= cs_days_from_civil(2025, 3, 6); d++) {
        const int32_t tk = cs_time_key_from_days(d);
        if (d >= cs_days_from_civil(2025, 2, 24) && tk != 20250302) day_queries(&q, tk);
        if ((d - first) % 3 == 0) day_approvals(&a, tk);
        if (d >= cs_days_from_civil(2025, 2, 1) && (d - first) % 2 == 0) day_training(&t, tk);
        cr_assert_eq(cs_daily_agg_compute(tk, &q, &a, &t, &agg, &err), CS_OK, "%s", err.message);
        put_commit(txn, CS_T_FACT_AGENT_QUERY, tk, &q);
        put_commit(txn, CS_T_FACT_APPROVAL, tk, &a);
        put_commit(txn, CS_T_FACT_TRAINING, tk, &t);
        put_commit(txn, CS_T_AGG_DAILY, tk, &agg);
    }
    cs_batch_free(&q);
    cs_batch_free(&a);
    cs_batch_free(&t);
    cs_batch_free(&agg);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_open(store, &snap, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_store_open(store_dir, CS_OPEN_PREAD, &store_pread, &err), CS_OK, "%s",
                 err.message);
    cr_assert_eq(cs_snap_open(store_pread, &snap_pread, &err), CS_OK, "%s", err.message);
    if (sql != NULL) fclose(sql);
}

static void drop_store(void)
{
    cs_snap_close(snap);
    cs_store_close(store);
    cs_snap_close(snap_pread);
    cs_store_close(store_pread);
    char cmd[512];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store_dir);
    (void)system(cmd);
    free(store_dir);
}

typedef int (*report_fn)(struct cs_snap *,
                         const struct cs_report_params *,
                         struct cs_result **,
                         struct cs_error *);

/* The report as psql --csv text, checked to be the same for 1, 2 and 3 threads, through the
 * fast plans and through the general plans, on mapped files and read with pread(). */
static char *run_csv(report_fn fn, struct cs_report_params p)
{
    char *first = NULL;
    for (unsigned k = 0; k < 12; k++) {
        const unsigned threads = 1 + k % 3;
        p.threads = threads;
        p.general = k % 6 >= 3;
        struct cs_result *r = NULL;
        struct cs_error err = {0};
        cr_assert_eq(fn(k < 6 ? snap : snap_pread, &p, &r, &err), CS_OK, "%s", err.message);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cr_assert_eq(cs_result_write(f, r, CS_OUT_CSV, &err), CS_OK);
        fclose(f);
        cs_result_free(r);
        if (first == NULL) {
            first = buf;
        } else {
            cr_assert_str_eq(buf, first, "threads=%u general=%d pread=%d differs", threads,
                             p.general, k >= 6);
            free(buf);
        }
    }
    return first;
}

static int64_t day(int y, unsigned m, unsigned d)
{
    return cs_days_from_civil(y, m, d);
}

static void expect(report_fn fn, struct cs_report_params p, const char *want)
{
    char *got = run_csv(fn, p);
    if (getenv("CS_QUERY_PRINT") != NULL) printf("----\n%s", got);
    cr_assert_str_eq(got, want);
    free(got);
}

TestSuite(reports, .init = build_store, .fini = drop_store);

Test(reports, agent_performance_window_of_8_days)
{
    const struct cs_report_params p = {.as_of_days = day(2025, 3, 5), .days = 7};
    expect(cs_report_agent_performance, p,
           "full_date,agent_name,total_queries,avg_latency_ms,approval_rate_pct,edit_rate_pct\n"
           "2025-03-05,Zeta,12,1769.08,58.33,50.00\n"
           "2025-03-05,a\xc4"
           "\x9f"
           "ent,10,2439.10,40.00,40.00\n"
           "2025-03-05,data,12,2091.42,58.33,83.33\n"
           "2025-03-05,engineer,9,3154.22,33.33,44.44\n"
           "2025-03-04,a\xc4"
           "\x9f"
           "ent,3,1835.67,33.33,100.00\n"
           "2025-03-04,data,6,1693.67,66.67,33.33\n"
           "2025-03-04,engineer,3,818.00,66.67,66.67\n"
           "2025-03-03,Zeta,9,2192.67,22.22,66.67\n"
           "2025-03-03,a\xc4"
           "\x9f"
           "ent,9,1610.22,33.33,33.33\n"
           "2025-03-03,data,19,2586.89,31.58,52.63\n"
           "2025-03-03,engineer,2,1120.00,0.00,100.00\n"
           "2025-03-01,Zeta,4,2312.00,0.00,75.00\n"
           "2025-03-01,a\xc4"
           "\x9f"
           "ent,7,2541.00,14.29,57.14\n"
           "2025-03-01,data,9,2193.22,33.33,88.89\n"
           "2025-03-01,engineer,7,1566.86,57.14,28.57\n"
           "2025-02-28,Zeta,3,1734.00,33.33,66.67\n"
           "2025-02-28,a\xc4"
           "\x9f"
           "ent,1,1000.00,0.00,100.00\n"
           "2025-02-28,data,5,1536.20,60.00,40.00\n"
           "2025-02-28,engineer,1,1000.00,100.00,0.00\n"
           "2025-02-27,Zeta,2,2625.50,0.00,100.00\n"
           "2025-02-27,data,4,2472.25,25.00,50.00\n"
           "2025-02-26,Zeta,2,932.50,0.00,100.00\n"
           "2025-02-26,a\xc4"
           "\x9f"
           "ent,1,1977.00,0.00,100.00\n"
           "2025-02-26,data,2,1748.00,0.00,0.00\n");
}

Test(reports, agent_performance_partial_and_empty_windows)
{
    struct cs_report_params p = {.as_of_days = day(2025, 3, 10), .days = 5};
    expect(cs_report_agent_performance, p,
           "full_date,agent_name,total_queries,avg_latency_ms,approval_rate_pct,edit_rate_pct\n"
           "2025-03-06,Zeta,3,1770.33,66.67,66.67\n"
           "2025-03-06,a\xc4"
           "\x9f"
           "ent,2,2095.50,0.00,0.00\n"
           "2025-03-06,data,6,2831.33,50.00,83.33\n"
           "2025-03-06,engineer,3,2801.33,0.00,66.67\n"
           "2025-03-05,Zeta,12,1769.08,58.33,50.00\n"
           "2025-03-05,a\xc4"
           "\x9f"
           "ent,10,2439.10,40.00,40.00\n"
           "2025-03-05,data,12,2091.42,58.33,83.33\n"
           "2025-03-05,engineer,9,3154.22,33.33,44.44\n");
    p.as_of_days = day(2025, 2, 23);
    p.days = 30;
    expect(cs_report_agent_performance, p,
           "full_date,agent_name,total_queries,avg_latency_ms,approval_rate_pct,edit_rate_pct\n");
    p.as_of_days = day(2025, 3, 5);
    p.days = -1;
    expect(cs_report_agent_performance, p,
           "full_date,agent_name,total_queries,avg_latency_ms,approval_rate_pct,edit_rate_pct\n");
}

Test(reports, approval_queue_by_month)
{
    struct cs_report_params p = {.year = 2025};
    expect(
        cs_report_approval_queue, p,
        "month_name,total_approvals,avg_resolution_minutes,approval_rate_pct,sla_compliance_pct\n"
        "January  ,43,,37.21,44.19\n"
        "February ,24,85.77,8.33,33.33\n"
        "March    ,8,91.26,50.00,37.50\n");
    p.year = 2024;
    expect(
        cs_report_approval_queue, p,
        "month_name,total_approvals,avg_resolution_minutes,approval_rate_pct,sla_compliance_pct\n"
        "December ,9,123.12,55.56,55.56\n");
    p.year = 2023;
    expect(cs_report_approval_queue, p,
           "month_name,total_approvals,avg_resolution_minutes,approval_rate_pct,"
           "sla_compliance_pct\n");
}

Test(reports, training_quality_by_annotator)
{
    struct cs_report_params p = {.as_of_days = day(2025, 3, 6), .days = 30};
    expect(cs_report_training_quality, p,
           "annotator,total_annotations,avg_overall_score,avg_clarity,avg_accuracy,avg_tone,unsafe_"
           "rate_pct\n"
           "Carl,19,2.19,3.07,3.07,2.79,36.84\n"
           "ann,15,2.16,2.54,3.27,2.55,33.33\n"
           "dave,13,2.85,3.58,2.80,3.64,15.38\n"
           "bob,12,2.11,3.22,2.00,3.44,58.33\n");
    p.days = 3;
    expect(cs_report_training_quality, p,
           "annotator,total_annotations,avg_overall_score,avg_clarity,avg_accuracy,avg_tone,unsafe_"
           "rate_pct\n"
           "Carl,3,1.89,3.50,3.00,2.33,33.33\n"
           "ann,3,2.89,2.00,3.67,3.67,66.67\n"
           "dave,3,2.78,5.00,2.00,4.33,0.00\n"
           "bob,1,2.33,,2.00,5.00,0.00\n");
}

Test(reports, daily_agg_stored_equals_recomputed)
{
    struct cs_report_params p = {.from_days = day(2025, 2, 27), .to_days = day(2025, 3, 3)};
    expect(cs_report_daily_agg, p,
           "agent_key,time_key,total_queries,avg_latency_ms,p95_latency_ms,approval_rate_pct,edit_"
           "rate_pct,error_rate_pct,total_approvals,total_feedback,unsafe_feedback_count,sla_"
           "compliance_pct\n"
           "1,20250227,3,2473.33,4028.80,33.33,66.67,33.33,0,0,0,\n"
           "2,20250227,0,,,,,,1,0,0,100.00\n"
           "3,20250227,1,2469.00,2469.00,0.00,0.00,0.00,1,0,0,100.00\n"
           "4,20250227,2,2625.50,3271.25,0.00,100.00,50.00,0,0,0,\n"
           "7,20250227,2,2089.50,3178.95,50.00,50.00,0.00,0,0,0,\n"
           "1,20250228,3,2171.67,3493.90,66.67,66.67,0.00,0,0,0,\n"
           "2,20250228,1,1000.00,1000.00,100.00,0.00,0.00,0,0,0,\n"
           "3,20250228,2,583.00,958.30,50.00,0.00,0.00,0,1,0,\n"
           "4,20250228,3,1734.00,2981.80,33.33,66.67,0.00,0,1,0,\n"
           "5,20250228,1,1000.00,1000.00,0.00,100.00,0.00,0,0,0,\n"
           "7,20250228,1,1381.00,1381.00,100.00,0.00,0.00,0,0,0,\n"
           "1,20250301,3,2405.00,4436.10,0.00,100.00,66.67,0,0,0,\n"
           "2,20250301,7,1566.86,3172.50,57.14,28.57,57.14,0,0,0,\n"
           "3,20250301,6,2087.33,4750.25,50.00,83.33,0.00,0,0,0,\n"
           "4,20250301,4,2312.00,3448.50,0.00,75.00,25.00,0,0,0,\n"
           "5,20250301,7,2541.00,4735.20,14.29,57.14,0.00,0,0,0,\n"
           "7,20250301,6,2581.33,4475.25,16.67,33.33,33.33,0,0,0,\n"
           "1,20250302,0,,,,,,1,0,0,0.00\n"
           "2,20250302,0,,,,,,0,2,0,\n"
           "4,20250302,0,,,,,,0,1,0,\n"
           "5,20250302,0,,,,,,2,0,0,100.00\n"
           "1,20250303,8,2564.00,4449.60,37.50,75.00,0.00,0,0,0,\n"
           "2,20250303,2,1120.00,1228.00,0.00,100.00,0.00,0,0,0,\n"
           "3,20250303,11,2603.55,4551.00,27.27,36.36,27.27,0,0,0,\n"
           "4,20250303,9,2192.67,4696.80,22.22,66.67,11.11,0,0,0,\n"
           "5,20250303,9,1610.22,3912.40,33.33,33.33,11.11,0,0,0,\n"
           "7,20250303,5,1426.40,3476.40,20.00,40.00,20.00,0,0,0,\n");
    p.recompute = true;
    expect(cs_report_daily_agg, p,
           "agent_key,time_key,total_queries,avg_latency_ms,p95_latency_ms,approval_rate_pct,edit_"
           "rate_pct,error_rate_pct,total_approvals,total_feedback,unsafe_feedback_count,sla_"
           "compliance_pct\n"
           "1,20250227,3,2473.33,4028.80,33.33,66.67,33.33,0,0,0,\n"
           "2,20250227,0,,,,,,1,0,0,100.00\n"
           "3,20250227,1,2469.00,2469.00,0.00,0.00,0.00,1,0,0,100.00\n"
           "4,20250227,2,2625.50,3271.25,0.00,100.00,50.00,0,0,0,\n"
           "7,20250227,2,2089.50,3178.95,50.00,50.00,0.00,0,0,0,\n"
           "1,20250228,3,2171.67,3493.90,66.67,66.67,0.00,0,0,0,\n"
           "2,20250228,1,1000.00,1000.00,100.00,0.00,0.00,0,0,0,\n"
           "3,20250228,2,583.00,958.30,50.00,0.00,0.00,0,1,0,\n"
           "4,20250228,3,1734.00,2981.80,33.33,66.67,0.00,0,1,0,\n"
           "5,20250228,1,1000.00,1000.00,0.00,100.00,0.00,0,0,0,\n"
           "7,20250228,1,1381.00,1381.00,100.00,0.00,0.00,0,0,0,\n"
           "1,20250301,3,2405.00,4436.10,0.00,100.00,66.67,0,0,0,\n"
           "2,20250301,7,1566.86,3172.50,57.14,28.57,57.14,0,0,0,\n"
           "3,20250301,6,2087.33,4750.25,50.00,83.33,0.00,0,0,0,\n"
           "4,20250301,4,2312.00,3448.50,0.00,75.00,25.00,0,0,0,\n"
           "5,20250301,7,2541.00,4735.20,14.29,57.14,0.00,0,0,0,\n"
           "7,20250301,6,2581.33,4475.25,16.67,33.33,33.33,0,0,0,\n"
           "1,20250302,0,,,,,,1,0,0,0.00\n"
           "2,20250302,0,,,,,,0,2,0,\n"
           "4,20250302,0,,,,,,0,1,0,\n"
           "5,20250302,0,,,,,,2,0,0,100.00\n"
           "1,20250303,8,2564.00,4449.60,37.50,75.00,0.00,0,0,0,\n"
           "2,20250303,2,1120.00,1228.00,0.00,100.00,0.00,0,0,0,\n"
           "3,20250303,11,2603.55,4551.00,27.27,36.36,27.27,0,0,0,\n"
           "4,20250303,9,2192.67,4696.80,22.22,66.67,11.11,0,0,0,\n"
           "5,20250303,9,1610.22,3912.40,33.33,33.33,11.11,0,0,0,\n"
           "7,20250303,5,1426.40,3476.40,20.00,40.00,20.00,0,0,0,\n");
    /* the whole range, both ways */
    p.from_days = day(2024, 1, 1);
    p.to_days = day(2026, 1, 1);
    char *rec = run_csv(cs_report_daily_agg, p);
    p.recompute = false;
    char *sto = run_csv(cs_report_daily_agg, p);
    cr_assert_str_eq(rec, sto);
    cr_assert_gt(strlen(rec), 2000);
    free(rec);
    free(sto);
    p.from_days = day(2025, 3, 4);
    p.to_days = day(2025, 3, 3);
    expect(cs_report_daily_agg, p,
           "agent_key,time_key,total_queries,avg_latency_ms,p95_latency_ms,approval_rate_pct,"
           "edit_rate_pct,error_rate_pct,total_approvals,total_feedback,unsafe_feedback_count,"
           "sla_compliance_pct\n");
}
