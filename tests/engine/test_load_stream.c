/*
 * The streaming fact loader: with a tiny staging bound, days are written as the export goes
 * and merged again when late rows for them arrive; the result must equal a one-shot load.
 */
#include <criterion/criterion.h>

#include "tests/engine/fixture.h"

static colstore_store *dims_only(char **dir_out)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(colstore_load_buffer(st, fx_tables[i].table, fx_tables[i].data,
                                          strlen(fx_tables[i].data), "x", NULL, NULL, &err),
                     COLSTORE_OK, "%s", err.message);
    }
    *dir_out = dir;
    return st;
}

/* The fixture's query facts, days interleaved: 3, 1, 2, 1, 3 → days flushed and merged again. */
static const char shuffled[] = "5\t3\t20250303\t1\t0123456789abcdef0123456789abcde1\t10\t500\tt\tf"
                               "\tf\t2025-03-03 10:00:00+00\n"
                               "2\t1\t20250301\t2\t00000000000000000000000000000001\t\\N\t201\tf\tt"
                               "\tf\t2025-03-01 11:00:00.5+00\n"
                               "4\t3\t20250302\t1\t0123456789abcdef0123456789abcde0\t10\t400\tt\tf"
                               "\tf\t2025-03-02 10:00:00+00\n"
                               "1\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t100\t100\tt\tf"
                               "\tf\t2025-03-01 10:00:00+00\n"
                               "3\t2\t20250301\t2\tffffffffffffffffffffffffffffffff\t50\t300\t\\N\t"
                               "f\tt\t2025-03-01 12:00:00+00\n";

Test(load_stream, late_rows_merge_into_days_already_written)
{
    char *dir;
    colstore_store *st = dims_only(&dir);
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.max_staged_rows = 1;
    colstore_load_stats stats;
    colstore_error err;
    int rc = colstore_load_buffer(st, "fact_agent_query", shuffled, strlen(shuffled), "q", &o,
                                  &stats, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_eq(stats.rows_loaded, 5);
    cr_assert_geq(stats.partitions_written, 4, "day 20250301 is written more than once");
    char *dump = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(dump, fx_fact_agent_query);
    free(dump);
    /* the materialized aggregates equal a recomputation */
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.days = -1;
    p.from = "2025-03-01";
    p.to = "2025-03-03";
    char *stored = fx_report_csv(st, "daily-agg", &p, &err);
    p.recompute = true;
    char *fresh = fx_report_csv(st, "daily-agg", &p, &err);
    cr_assert_not_null(stored);
    cr_assert_not_null(fresh);
    cr_assert_str_eq(stored, fresh);
    free(stored);
    free(fresh);
    /* a second load of the same export with the same bound changes nothing */
    rc = colstore_load_buffer(st, "fact_agent_query", shuffled, strlen(shuffled), "q", &o, &stats,
                              &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_eq(stats.rows_skipped, 5);
    cr_assert_eq(stats.rows_loaded, 0);
    colstore_close(st);
    free(dir);
}

Test(load_stream, duplicate_key_inside_one_export)
{
    char *dir;
    colstore_store *st = dims_only(&dir);
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.max_staged_rows = 1;
    colstore_load_stats stats;
    colstore_error err;
    const char same[] = "1\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t100\t100\tt\tf\tf\t20"
                        "25-03-01 10:00:00+00\n"
                        "4\t3\t20250302\t1\t0123456789abcdef0123456789abcde0\t10\t400\tt\tf\tf\t202"
                        "5-03-02 10:00:00+00\n"
                        "1\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t100\t100\tt\tf\tf\t20"
                        "25-03-01 10:00:00+00\n";
    int rc =
        colstore_load_buffer(st, "fact_agent_query", same, strlen(same), "q", &o, &stats, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_eq(stats.rows_loaded, 2);
    cr_assert_eq(stats.rows_skipped, 1);
    const char differ[] = "7\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t100\t100\tt\tf\tf\t"
                          "2025-03-01 10:00:00+00\n"
                          "8\t3\t20250302\t1\t0123456789abcdef0123456789abcde0\t10\t400\tt\tf\tf\t2"
                          "025-03-02 10:00:00+00\n"
                          "7\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t100\t999\tt\tf\tf\t"
                          "2025-03-01 10:00:00+00\n";
    rc =
        colstore_load_buffer(st, "fact_agent_query", differ, strlen(differ), "q", &o, &stats, &err);
    cr_assert_eq(rc, COLSTORE_EINPUT);
    cr_assert_str_eq(err.message,
                     "q:3: query_key: query_key 7 is already stored with different values");
    char *dump = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(dump,
                     "1\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t100\t100\tt\tf\tf\t"
                     "2025-03-01 10:00:00+00\n"
                     "4\t3\t20250302\t1\t0123456789abcdef0123456789abcde0\t10\t400\tt\tf\tf\t"
                     "2025-03-02 10:00:00+00\n",
                     "nothing of the failed load is committed");
    free(dump);
    colstore_close(st);
    free(dir);
}

Test(load_stream, sparse_keys_switch_the_seen_set_to_hashing)
{
    char *dir;
    colstore_store *st = dims_only(&dir);
    char buf[8192];
    size_t len = 0;
    /* keys 2^40 apart: far too sparse for a bitmap */
    for (int i = 0; i < 20; i++) {
        len += (size_t)snprintf(
            buf + len, sizeof(buf) - len,
            "%lld\t1\t20250301\t1\t%032x\t1\t%d\tt\tf\tf\t2025-03-01 10:00:%02d+00\n",
            (long long)i << 40, i, 100 + i, i);
    }
    len +=
        (size_t)snprintf(buf + len, sizeof(buf) - len,
                         "%lld\t1\t20250301\t1\t%032x\t1\t%d\tt\tf\tf\t2025-03-01 10:00:%02d+00\n",
                         (long long)3 << 40, 3, 103, 3);
    colstore_load_stats stats;
    colstore_error err;
    int rc = colstore_load_buffer(st, "fact_agent_query", buf, len, "q", NULL, &stats, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    cr_assert_eq(stats.rows_loaded, 20);
    cr_assert_eq(stats.rows_skipped, 1);
    colstore_close(st);
    free(dir);
}

Test(load_stream, foreign_key_into_a_hole_of_the_key_range_is_rejected)
{
    char *dir;
    colstore_store *st = dims_only(&dir);
    colstore_error err;
    const char user5[] = "5\tqa-5\tqa_team\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n";
    cr_assert_eq(colstore_load_buffer(st, "dim_user", user5, strlen(user5), "u", NULL, NULL, &err),
                 COLSTORE_OK, "%s", err.message);
    /* dim_user keys are now 1, 2, 5: 4 lies inside their range but is not a key */
    const char hole[] = "1\t2\t20250301\t1\t4\tapproved\t90\t0\tt\t2025-03-01 10:00:00+00\t\\N\n";
    int rc = colstore_load_buffer(st, "fact_approval", hole, strlen(hole), "a", NULL, NULL, &err);
    cr_assert_eq(rc, COLSTORE_EINPUT);
    cr_assert_str_eq(err.message, "a:1: approved_by_key: no dim_user row with user_key 4");
    const char ok[] = "1\t2\t20250301\t1\t5\tapproved\t90\t0\tt\t2025-03-01 10:00:00+00\t\\N\n";
    rc = colstore_load_buffer(st, "fact_approval", ok, strlen(ok), "a", NULL, NULL, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    colstore_close(st);
    free(dir);
}

Test(load_stream, foreign_keys_into_a_sparse_dimension_use_a_hash_set)
{
    char *dir;
    colstore_store *st = dims_only(&dir);
    colstore_error err;
    /* user keys 1, 2 and 2e9: too spread out for a bitmap */
    const char far_user[] = "2000000000\tfar\tqa_team\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n";
    cr_assert_eq(
        colstore_load_buffer(st, "dim_user", far_user, strlen(far_user), "u", NULL, NULL, &err),
        COLSTORE_OK, "%s", err.message);
    const char ok[] =
        "1\t2\t20250301\t1\t2000000000\tapproved\t90\t0\tt\t2025-03-01 10:00:00+00\t\\N\n";
    cr_assert_eq(colstore_load_buffer(st, "fact_approval", ok, strlen(ok), "a", NULL, NULL, &err),
                 COLSTORE_OK, "%s", err.message);
    const char bad[] =
        "2\t2\t20250301\t1\t1999999999\tapproved\t90\t0\tt\t2025-03-01 10:00:00+00\t\\N\n";
    cr_assert_eq(colstore_load_buffer(st, "fact_approval", bad, strlen(bad), "a", NULL, NULL, &err),
                 COLSTORE_EINPUT);
    cr_assert_str_eq(err.message, "a:1: approved_by_key: no dim_user row with user_key 1999999999");
    colstore_close(st);
    free(dir);
}
