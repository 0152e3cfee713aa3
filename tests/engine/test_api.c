/* The public API end to end on the fixture warehouse: loads, reports, dumps, errors. */
#include <criterion/criterion.h>
#include <math.h>

#include "tests/engine/fixture.h"

static colstore_store *open_loaded(char **dir_out)
{
    char *dir = fx_tmpdir();
    cr_assert_not_null(dir);
    colstore_store *st = NULL;
    colstore_error err;
    int rc = colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    rc = fx_load_all(st, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    *dir_out = dir;
    return st;
}

Test(api, version_macro_matches_library)
{
    cr_assert_eq(colstore_version_number(), COLSTORE_VERSION_NUMBER);
    cr_assert_str_eq(colstore_version(), COLSTORE_VERSION_STRING);
}

Test(api, reports_equal_hand_computed_values)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    colstore_error err;
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.days = -1;
    p.as_of = "2025-03-03";
    p.year = 2025;
    p.from = "2025-03-01";
    p.to = "2025-03-03";
    char *csv = fx_report_csv(st, "agent-performance", &p, &err);
    cr_assert_not_null(csv, "%s", err.message);
    cr_assert_str_eq(csv, fx_agent_performance_csv);
    free(csv);
    csv = fx_report_csv(st, "approval-queue", &p, &err);
    cr_assert_not_null(csv, "%s", err.message);
    cr_assert_str_eq(csv, fx_approval_queue_csv);
    free(csv);
    csv = fx_report_csv(st, "training-quality", &p, &err);
    cr_assert_not_null(csv, "%s", err.message);
    cr_assert_str_eq(csv, fx_training_quality_csv);
    free(csv);
    csv = fx_report_csv(st, "daily-agg", &p, &err);
    cr_assert_not_null(csv, "%s", err.message);
    cr_assert_str_eq(csv, fx_daily_agg_csv);
    free(csv);
    p.recompute = true;
    csv = fx_report_csv(st, "daily-agg", &p, &err);
    cr_assert_not_null(csv, "%s", err.message);
    cr_assert_str_eq(csv, fx_daily_agg_csv);
    free(csv);
    colstore_close(st);
    free(dir);
}

Test(api, result_cursor_gives_numbers_and_text)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    colstore_error err;
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.days = -1;
    p.as_of = "2025-03-03";
    colstore_result *r = NULL;
    cr_assert_eq(colstore_report(st, "agent-performance", &p, &r, &err), COLSTORE_OK, "%s",
                 err.message);
    cr_assert_eq(colstore_result_rows(r), 4);
    cr_assert_eq(colstore_result_columns(r), 6);
    cr_assert_str_eq(colstore_result_column_name(r, 3), "avg_latency_ms");
    cr_assert_eq(colstore_result_column_type(r, 0), COLSTORE_TYPE_DATE);
    cr_assert_eq(colstore_result_column_type(r, 1), COLSTORE_TYPE_TEXT);
    cr_assert_eq(colstore_result_column_type(r, 2), COLSTORE_TYPE_INT);
    cr_assert_eq(colstore_result_column_type(r, 3), COLSTORE_TYPE_NUMERIC);
    cr_assert_eq(colstore_result_column_scale(r, 3), 2);
    cr_assert_eq(colstore_result_int(r, 2, 2), 2);
    cr_assert_eq(colstore_result_int(r, 2, 3), 15050);
    cr_assert_float_eq(colstore_result_double(r, 2, 3), 150.5, 1e-9);
    cr_assert_str_eq(colstore_result_text(r, 2, 0), "2025-03-01");
    cr_assert_str_eq(colstore_result_text(r, 3, 1), "support");
    cr_assert_str_eq(colstore_result_text(r, 2, 3), "150.50");
    cr_assert(!colstore_result_is_null(r, 0, 0));
    /* out of range: NULL, empty text, no crash */
    cr_assert(colstore_result_is_null(r, 99, 0));
    cr_assert_null(colstore_result_column_name(r, 99));
    cr_assert_str_eq(colstore_result_text(r, 0, 99), "");
    cr_assert(isnan(colstore_result_double(r, 99, 99)));
    colstore_result_free(r);
    colstore_close(st);
    free(dir);
}

Test(api, reload_of_same_exports_changes_nothing)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    char *before = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
    cr_assert_not_null(before);
    colstore_load_stats stats;
    colstore_error err;
    int rc = colstore_load_buffer(st, "fact_agent_query", fx_fact_agent_query,
                                  strlen(fx_fact_agent_query), "q.copy", NULL, &stats, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_eq(stats.rows_read, 5);
    cr_assert_eq(stats.rows_loaded, 0);
    cr_assert_eq(stats.rows_skipped, 5);
    rc = colstore_load_buffer(st, "dim_agent", fx_dim_agent, strlen(fx_dim_agent), "a.copy", NULL,
                              &stats, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_eq(stats.rows_skipped, 3);
    char *after = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    colstore_close(st);
    free(dir);
}

Test(api, dump_reproduces_the_text_export)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    char *q = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(q, fx_fact_agent_query);
    char *a = fx_dump(st, "dim_agent", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(a, fx_dim_agent);
    char *csv = fx_dump(st, "fact_approval", COLSTORE_FORMAT_CSV);
    cr_assert_str_eq(csv,
                     "approval_key,agent_key,time_key,conv_key,approved_by_key,status,"
                     "resolution_time_seconds,interruption_count,sla_met,created_at,resolved_at\n"
                     "1,2,20250301,1,2,approved,90,0,t,2025-03-01 10:00:00+00,"
                     "2025-03-01 10:01:30+00\n"
                     "2,,20250302,1,,pending,,0,,2025-03-02 10:00:00+00,\n");
    /* the generated overall_score is computed and dumped */
    char *t = fx_dump(st, "fact_training", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(t, "1\t1\t20250301\t1\t1\tf\t5\t4\t\\N\t3.00\t{good,\"needs work\"}\t"
                        "2025-03-01 10:00:00+00\t\\N\n"
                        "2\t3\t20250302\t1\t1\tt\t3\t3\t3\t3.00\t{}\t2025-03-02 10:00:00+00\t"
                        "2025-03-02 11:00:00+00\n");
    free(q);
    free(a);
    free(csv);
    free(t);
    colstore_close(st);
    free(dir);
}

Test(api, bad_line_fails_the_load_and_commits_nothing)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    const char bad[] = "6\t3\t20250303\t1\t0123456789abcdef0123456789abcde2\t10\t600\tt\tf\tf\t2025"
                       "-03-03 11:00:00+00\n"
                       "7\t3\t20250303\t1\t0123456789abcdef0123456789abcde3\t10\tslow\tt\tf\tf\t202"
                       "5-03-03 12:00:00+00\n";
    colstore_error err;
    int rc =
        colstore_load_buffer(st, "fact_agent_query", bad, strlen(bad), "q.copy", NULL, NULL, &err);
    cr_assert_eq(rc, COLSTORE_EINPUT);
    cr_assert(strncmp(err.message, "q.copy:2: latency_ms: ", 22) == 0, "%s", err.message);
    char *q = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(q, fx_fact_agent_query, "row 6 must not be committed");
    free(q);
    colstore_close(st);
    free(dir);
}

Test(api, missing_dimension_row_is_bad_input)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    const char bad[] = "6\t9\t20250303\t1\t0123456789abcdef0123456789abcde2\t10\t600\tt\tf\tf\t2025"
                       "-03-03 11:00:00+00\n";
    colstore_error err;
    int rc =
        colstore_load_buffer(st, "fact_agent_query", bad, strlen(bad), "q.copy", NULL, NULL, &err);
    cr_assert_eq(rc, COLSTORE_EINPUT);
    cr_assert_str_eq(err.message, "q.copy:1: agent_key: no dim_agent row with agent_key 9");
    const char no_day[] = "6\t3\t20250304\t1\t0123456789abcdef0123456789abcde2\t10\t600\tt\tf\tf\t2"
                          "025-03-04 11:00:00+00\n";
    rc = colstore_load_buffer(st, "fact_agent_query", no_day, strlen(no_day), "q.copy", NULL, NULL,
                              &err);
    cr_assert_eq(rc, COLSTORE_EINPUT);
    cr_assert_str_eq(err.message, "q.copy:1: time_key: no dim_time row with time_key 20250304");
    colstore_close(st);
    free(dir);
}

Test(api, changed_row_under_a_stored_key_is_a_conflict)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    const char changed[] = "5\t3\t20250303\t1\t0123456789abcdef0123456789abcde1\t10\t501\tt\tf\tf\t"
                           "2025-03-03 10:00:00+00\n";
    colstore_error err;
    int rc = colstore_load_buffer(st, "fact_agent_query", changed, strlen(changed), "q.copy", NULL,
                                  NULL, &err);
    cr_assert_eq(rc, COLSTORE_EINPUT);
    cr_assert_str_eq(err.message,
                     "q.copy:1: query_key: query_key 5 is already stored with different values");
    const char dup_name[] = "4\tc-1\t2025-03-01 10:00:00+00\t2025-03-01 10:00:00+00\t0\t0\t0\t{}\n";
    rc = colstore_load_buffer(st, "dim_conversation", dup_name, strlen(dup_name), "c.copy", NULL,
                              NULL, &err);
    cr_assert_eq(rc, COLSTORE_EINPUT);
    cr_assert_str_eq(err.message,
                     "c.copy:1: conversation_id: duplicate value \"c-1\" (already conv_key 1)");
    colstore_close(st);
    free(dir);
}

Test(api, empty_export_loads_nothing)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    colstore_load_stats stats;
    int rc = colstore_load_buffer(st, "fact_approval", "", 0, "a.copy", NULL, &stats, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_eq(stats.rows_read, 0);
    cr_assert_eq(stats.partitions_written, 0);
    colstore_close(st);
    free(dir);
}

Test(api, bad_arguments_are_errors_not_crashes)
{
    colstore_error err;
    colstore_store *st = (colstore_store *)1;
    cr_assert_eq(colstore_open(NULL, 0, &st, &err), COLSTORE_EINVAL);
    cr_assert_null(st);
    cr_assert(strlen(err.message) > 0);
    cr_assert_eq(colstore_open("/nonexistent/colstore/x", COLSTORE_READ_ONLY, &st, &err),
                 COLSTORE_EIO);
    cr_assert_eq(colstore_open("/tmp", COLSTORE_CREATE, &st, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_load_path(NULL, "dim_agent", "x", NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_report(NULL, "daily-agg", NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_dump(NULL, "dim_agent", COLSTORE_FORMAT_TEXT, stdout, &err),
                 COLSTORE_EINVAL);
    cr_assert_eq(colstore_verify(NULL, NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_result_write(NULL, stdout, COLSTORE_OUTPUT_CSV, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_result_to_arrow(NULL, NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_result_rows(NULL), 0);
    colstore_result_free(NULL);
    colstore_close(NULL);

    char *dir;
    colstore_store *w = open_loaded(&dir);
    cr_assert_eq(colstore_load_buffer(w, "no_such_table", "", 0, "x", NULL, NULL, &err),
                 COLSTORE_EINVAL);
    cr_assert_str_eq(err.message, "load: unknown table \"no_such_table\"");
    cr_assert_eq(
        colstore_load_buffer(w, "agg_agent_daily_performance", "", 0, "x", NULL, NULL, &err),
        COLSTORE_EINVAL);
    colstore_result *r = NULL;
    cr_assert_eq(colstore_report(w, "no-such-report", NULL, &r, &err), COLSTORE_EINVAL);
    cr_assert_null(r);
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.days = -1;
    p.as_of = "2025-02-30";
    /* a parameter's value is bad input, named as the parameter (not a CLI flag) */
    cr_assert_eq(colstore_report(w, "agent-performance", &p, &r, &err), COLSTORE_EINPUT);
    cr_assert_str_eq(err.message, "as_of: invalid date \"2025-02-30\" (expected YYYY-MM-DD)");
    cr_assert_eq(colstore_dump(w, "no_such_table", COLSTORE_FORMAT_TEXT, stdout, &err),
                 COLSTORE_EINVAL);
    cr_assert_eq(colstore_dump(w, "dim_agent", (enum colstore_format)42, stdout, &err),
                 COLSTORE_EINVAL);
    colstore_close(w);

    colstore_store *ro = NULL;
    cr_assert_eq(colstore_open(dir, COLSTORE_READ_ONLY, &ro, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(colstore_load_buffer(ro, "dim_agent", "", 0, "x", NULL, NULL, &err),
                 COLSTORE_EINVAL);
    cr_assert_str_eq(err.message, "load: the store was opened read-only");
    colstore_close(ro);
    cr_assert_eq(colstore_open(dir, 16u, &ro, &err), COLSTORE_EINVAL); /* no such flag */
    cr_assert_null(ro);
    free(dir);
}

/* COLSTORE_READ_ONCE (segments read with pread(), not mapped) gives the same reports. */
Test(api, read_once_handle_gives_the_same_reports)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    colstore_error err;
    colstore_store *once = NULL;
    cr_assert_eq(colstore_open(dir, COLSTORE_READ_ONLY | COLSTORE_READ_ONCE, &once, &err),
                 COLSTORE_OK, "%s", err.message);
    static const char *const reports[] = {"agent-performance", "approval-queue", "training-quality",
                                          "daily-agg"};
    for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
        for (int recompute = 0; recompute < 2; recompute++) {
            colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
            p.as_of = "2025-03-02";
            p.days = 30;
            p.year = 2025;
            p.from = "2025-02-01";
            p.to = "2025-03-31";
            p.recompute = recompute != 0;
            char *a = fx_report_csv(st, reports[i], &p, &err);
            cr_assert_not_null(a, "%s", err.message);
            char *b = fx_report_csv(once, reports[i], &p, &err);
            cr_assert_not_null(b, "%s", err.message);
            cr_assert_str_eq(a, b, "%s", reports[i]);
            cr_assert(strchr(a, '\n') != strrchr(a, '\n'), "%s has rows: %s", reports[i], a);
            free(a);
            free(b);
        }
    }
    colstore_close(once);
    colstore_close(st);
    free(dir);
}

Test(api, zero_days_is_the_single_day_as_of)
{
    char *dir;
    colstore_store *st = open_loaded(&dir);
    colstore_error err;
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.as_of = "2025-03-01";
    p.days = 0;
    char *csv = fx_report_csv(st, "agent-performance", &p, &err);
    cr_assert_not_null(csv, "%s", err.message);
    cr_assert_str_eq(csv, "full_date,agent_name,total_queries,avg_latency_ms,approval_rate_pct,"
                          "edit_rate_pct\n"
                          "2025-03-01,data,2,150.50,50.00,50.00\n"
                          "2025-03-01,support,1,300.00,0.00,0.00\n");
    free(csv);
    p.days = 1;
    p.as_of = "2025-03-02";
    csv = fx_report_csv(st, "agent-performance", &p, &err);
    cr_assert_str_eq(csv, "full_date,agent_name,total_queries,avg_latency_ms,approval_rate_pct,"
                          "edit_rate_pct\n"
                          "2025-03-02,data,1,400.00,100.00,0.00\n"
                          "2025-03-01,data,2,150.50,50.00,50.00\n"
                          "2025-03-01,support,1,300.00,0.00,0.00\n");
    free(csv);
    colstore_close(st);
    free(dir);
}

static int count_progress(void *ctx, uint64_t bytes, uint64_t total, uint64_t rows)
{
    uint64_t *seen = ctx;
    seen[0]++;
    seen[1] = bytes;
    seen[2] = total;
    seen[3] = rows;
    return 0;
}

Test(api, progress_callback_reports_bytes_and_rows)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    uint64_t seen[4] = {0};
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.progress = count_progress;
    o.progress_ctx = seen;
    cr_assert_eq(
        colstore_load_buffer(st, "dim_time", fx_dim_time, strlen(fx_dim_time), "t", &o, NULL, &err),
        COLSTORE_OK, "%s", err.message);
    cr_assert_geq(seen[0], 1);
    cr_assert_eq(seen[1], strlen(fx_dim_time));
    cr_assert_eq(seen[2], strlen(fx_dim_time));
    cr_assert_eq(seen[3], 3);
    colstore_close(st);
    free(dir);
}

Test(api, load_time_fills_default_now_columns)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    /* a CSV export without valid_from / valid_to / is_current: their defaults apply */
    const char users[] = "user_key,user_id,user_type,team\n7,zoe,annotator,\n";
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.load_time_us = INT64_C(1748746800000000); /* 2025-06-01 03:00 */
    cr_assert_eq(
        colstore_load_buffer(st, "dim_user", users, strlen(users), "u.csv", &o, NULL, &err),
        COLSTORE_OK, "%s", err.message);
    char *dump = fx_dump(st, "dim_user", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(dump, "7\tzoe\tannotator\t\\N\t2025-06-01 03:00:00+00\t\\N\tt\n");
    free(dump);
    colstore_close(st);
    free(dir);
}
