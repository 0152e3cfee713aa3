/* What `colquery info` is built on: a snapshot's commit, time and size, the commit that wrote
 * each partition, how each column segment is stored, results built by the caller; and reports
 * on one snapshot seeing one state while loads commit. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/colstore.h"
#include "tests/engine/fixture.h"

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static colstore_store *open_new(void)
{
    char *dir = fx_tmpdir();
    cr_assert_not_null(dir);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    free(dir);
    return st;
}

static void load(colstore_store *st, const char *table, const char *data)
{
    colstore_error err;
    cr_assert_eq(colstore_load_buffer(st, table, data, strlen(data), table, NULL, NULL, &err),
                 COLSTORE_OK, "%s: %s", table, err.message);
}

/* The result printed in `output`, as a new string. */
static char *printed(const colstore_result *r, enum colstore_output output)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    colstore_error err;
    cr_assert_eq(colstore_result_write(r, f, output, &err), COLSTORE_OK, "%s", err.message);
    fclose(f);
    return buf;
}

/* ---- results built by the caller ---- */

Test(catalog_info, result_built_by_the_caller_prints_like_a_report)
{
    const colstore_result_column cols[] = {
        {"name", COLSTORE_TYPE_TEXT, 0},      {"n", COLSTORE_TYPE_BIGINT, 0},
        {"ratio", COLSTORE_TYPE_NUMERIC, 2},  {"day", COLSTORE_TYPE_DATE, 0},
        {"at", COLSTORE_TYPE_TIMESTAMPTZ, 0}, {"ok", COLSTORE_TYPE_BOOL, 0},
    };
    colstore_result *r = NULL;
    colstore_error err;
    cr_assert_eq(colstore_result_new(cols, 6, &r, &err), COLSTORE_OK, "%s", err.message);
    const colstore_value row1[] = {
        {.type = COLSTORE_TYPE_TEXT, .s = "a,b", .len = 3},
        {.type = COLSTORE_TYPE_INT, .i = -42},
        {.type = COLSTORE_TYPE_NUMERIC, .scale = 1, .i = 125},      /* 12.5 → 12.50 */
        {.type = COLSTORE_TYPE_DATE, .i = 20089},                   /* 2025-01-01 */
        {.type = COLSTORE_TYPE_TIMESTAMPTZ, .i = 1735689600500000}, /* .5 s after */
        {.type = COLSTORE_TYPE_BOOL, .i = 1},
    };
    const colstore_value row2[] = {
        {.type = COLSTORE_TYPE_NULL},         {.type = COLSTORE_TYPE_INT, .i = 7},
        {.type = COLSTORE_TYPE_INT, .i = 3}, /* an integer into a NUMERIC: 3.00 */
        {.type = COLSTORE_TYPE_NULL},         {.type = COLSTORE_TYPE_NULL},
        {.type = COLSTORE_TYPE_BOOL, .i = 0},
    };
    cr_assert_eq(colstore_result_append(r, row1, &err), COLSTORE_OK, "%s", err.message);
    const char *t = colstore_result_text(r, 0, 0); /* made before the next append */
    cr_assert_eq(colstore_result_append(r, row2, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_str_eq(t, "a,b");
    cr_assert_eq(colstore_result_rows(r), 2);
    cr_assert_eq(colstore_result_int(r, 1, 2), 300);
    cr_assert_eq(colstore_result_date(r, 0, 3), 20089);
    cr_assert_str_eq(colstore_result_text(r, 1, 1), "7");
    char *csv = printed(r, COLSTORE_OUTPUT_CSV);
    cr_assert_str_eq(csv, "name,n,ratio,day,at,ok\n"
                          "\"a,b\",-42,12.50,2025-01-01,2025-01-01 00:00:00.5+00,t\n"
                          ",7,3.00,,,f\n");
    free(csv);
    char *json = printed(r, COLSTORE_OUTPUT_JSON);
    cr_assert_str_eq(json, "[\n  {\"name\": \"a,b\", \"n\": -42, \"ratio\": 12.50, \"day\": "
                           "\"2025-01-01\", \"at\": \"2025-01-01 00:00:00.5+00\", \"ok\": true},\n"
                           "  {\"name\": null, \"n\": 7, \"ratio\": 3.00, \"day\": null, \"at\": "
                           "null, \"ok\": false}\n]\n");
    free(json);

    /* a value that does not fit its column adds nothing */
    colstore_value bad[6];
    memcpy(bad, row2, sizeof(bad));
    bad[1] = (colstore_value){.type = COLSTORE_TYPE_TEXT, .s = "x", .len = 1};
    cr_assert_eq(colstore_result_append(r, bad, &err), COLSTORE_EINVAL);
    cr_assert_not_null(strstr(err.message, "n:"), "%s", err.message);
    bad[1] = row2[1];
    bad[2] = (colstore_value){.type = COLSTORE_TYPE_NUMERIC, .scale = 3, .i = 1001}; /* 1.001 */
    cr_assert_eq(colstore_result_append(r, bad, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_result_rows(r), 2);
    colstore_result_free(r);

    /* bad shapes */
    cr_assert_eq(colstore_result_new(cols, 0, &r, &err), COLSTORE_EINVAL);
    cr_assert_null(r);
    cr_assert_eq(colstore_result_new(cols, 33, &r, &err), COLSTORE_EINVAL);
    const colstore_result_column jsonb[] = {{"j", COLSTORE_TYPE_JSONB, 0}};
    cr_assert_eq(colstore_result_new(jsonb, 1, &r, &err), COLSTORE_EINVAL);
    const colstore_result_column wide[] = {{"x", COLSTORE_TYPE_NUMERIC, 19}};
    cr_assert_eq(colstore_result_new(wide, 1, &r, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_result_append(NULL, row1, &err), COLSTORE_EINVAL);
}

/* ---- snapshot, partitions and segments ---- */

Test(catalog_info, commits_times_and_sizes)
{
    colstore_store *st = open_new();
    colstore_error err;
    const int64_t t0 = now_us() - 2000000; /* file times have the file system's granularity */
    load(st, "dim_agent", fx_dim_agent);
    load(st, "dim_time", fx_dim_time);
    load(st, "dim_conversation", fx_dim_conversation);
    load(st, "dim_user", fx_dim_user);
    load(st, "fact_agent_query", fx_fact_agent_query); /* version 5 */
    const int64_t t1 = now_us() + 2000000;

    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(st, &snap, &err), COLSTORE_OK, "%s", err.message);
    colstore_snapshot_info si = COLSTORE_SNAPSHOT_INFO_INIT;
    cr_assert_eq(colstore_snapshot_describe(snap, &si, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(si.version, 5);
    cr_assert_eq(si.format_version, 2); /* row groups (docs/storage-format.md §11) */
    cr_assert(si.committed_us >= t0 && si.committed_us <= t1, "%lld", (long long)si.committed_us);
    cr_assert_gt(si.live_bytes, 0);
    cr_assert_gt(si.bytes, si.live_bytes); /* the manifest and file headers too */
    uint64_t parts_bytes = 0;
    for (size_t t = 0; t < colstore_table_count(); t++) {
        colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
        cr_assert_eq(colstore_table_describe(snap, colstore_table_name(t), &ti, &err), COLSTORE_OK);
        parts_bytes += ti.bytes;
    }
    cr_assert_eq(si.live_bytes, parts_bytes);

    /* each partition names the commit that wrote it */
    colstore_partition_info pi = COLSTORE_PARTITION_INFO_INIT;
    cr_assert_eq(colstore_partition_describe(snap, "dim_time", 0, &pi, &err), COLSTORE_OK);
    cr_assert_eq(pi.version, 2);
    cr_assert(pi.written_us >= t0 && pi.written_us <= si.committed_us + 1000000);
    cr_assert_eq(colstore_partition_describe(snap, "fact_agent_query", 2, &pi, &err), COLSTORE_OK);
    cr_assert_eq(pi.time_key, 20250303);
    cr_assert_eq(pi.version, 5);
    cr_assert_eq(colstore_partition_describe(snap, "agg_agent_daily_performance", 0, &pi, &err),
                 COLSTORE_OK);
    cr_assert_eq(pi.version, 5); /* the aggregates are recomputed in the load's commit */

    /* a caller built against the first partition struct (up to bytes) gets just that */
    struct {
        colstore_partition_info p;
        uint64_t canary;
    } old;
    memset(&old, 0xab, sizeof(old));
    old.p.size = offsetof(colstore_partition_info, version);
    cr_assert_eq(colstore_partition_describe(snap, "fact_agent_query", 0, &old.p, &err),
                 COLSTORE_OK);
    cr_assert_eq(old.p.rows, 3);
    cr_assert_eq(old.p.version, 0xababababababababULL);

    /* segments: rows and NULLs from their headers, an encoding name, sizes */
    size_t col;
    cr_assert_eq(colstore_column_index("fact_agent_query", "result_size_bytes", &col, &err),
                 COLSTORE_OK);
    colstore_segment_info seg = COLSTORE_SEGMENT_INFO_INIT;
    cr_assert_eq(colstore_segment_describe(snap, "fact_agent_query", 0, col, &seg, &err),
                 COLSTORE_OK, "%s", err.message);
    cr_assert_eq(seg.rows, 3);
    cr_assert_eq(seg.nulls, 1); /* 2025-03-01: 100, NULL, 50 */
    cr_assert_not_null(seg.encoding);
    cr_assert(strcmp(seg.encoding, "for") == 0 || strcmp(seg.encoding, "pfor") == 0 ||
                  strcmp(seg.encoding, "delta") == 0,
              "%s", seg.encoding);
    cr_assert_gt(seg.bytes, 64);
    cr_assert_eq(colstore_column_index("fact_agent_query", "time_key", &col, &err), COLSTORE_OK);
    cr_assert_eq(colstore_segment_describe(snap, "fact_agent_query", 1, col, &seg, &err),
                 COLSTORE_OK);
    cr_assert_str_eq(seg.encoding, "const"); /* one day a partition */
    cr_assert_eq(colstore_column_index("fact_agent_query", "query_hash", &col, &err), COLSTORE_OK);
    cr_assert_eq(colstore_segment_describe(snap, "fact_agent_query", 1, col, &seg, &err),
                 COLSTORE_OK);
    cr_assert_str_eq(seg.encoding, "fix16");
    cr_assert_eq(colstore_column_index("dim_agent", "agent_type", &col, &err), COLSTORE_OK);
    cr_assert_eq(colstore_segment_describe(snap, "dim_agent", 0, col, &seg, &err), COLSTORE_OK);
    cr_assert_eq(seg.rows, 3);
    /* bad arguments */
    cr_assert_eq(colstore_segment_describe(snap, "fact_agent_query", 3, 0, &seg, &err),
                 COLSTORE_EINVAL);
    cr_assert_eq(colstore_segment_describe(snap, "fact_agent_query", 0, 11, &seg, &err),
                 COLSTORE_EINVAL);
    cr_assert_eq(colstore_segment_describe(snap, "nope", 0, 0, &seg, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_segment_describe(NULL, "dim_agent", 0, 0, &seg, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_snapshot_describe(snap, NULL, &err), COLSTORE_EINVAL);
    colstore_snapshot_close(snap);
    colstore_close(st);
}

Test(catalog_info, segments_through_a_read_once_handle)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE | COLSTORE_NO_AUTO_COMPACT,
                               &st, &err),
                 COLSTORE_OK);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    colstore_close(st);
    cr_assert_eq(colstore_open(dir, COLSTORE_READ_ONLY | COLSTORE_READ_ONCE, &st, &err),
                 COLSTORE_OK);
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(st, &snap, &err), COLSTORE_OK);
    size_t col;
    cr_assert_eq(colstore_column_index("fact_training", "labels", &col, &err), COLSTORE_OK);
    colstore_segment_info seg = COLSTORE_SEGMENT_INFO_INIT;
    cr_assert_eq(colstore_segment_describe(snap, "fact_training", 1, col, &seg, &err), COLSTORE_OK,
                 "%s", err.message);
    cr_assert_eq(seg.rows, 1);
    cr_assert_str_eq(seg.encoding, "plain");
    cr_assert_eq(seg.raw_bytes + 64, seg.bytes); /* one short value: not compressed */
    cr_assert(!seg.lz4);
    colstore_snapshot_info si = COLSTORE_SNAPSHOT_INFO_INIT;
    cr_assert_eq(colstore_snapshot_describe(snap, &si, &err), COLSTORE_OK);
    cr_assert_eq(si.version, 7);
    colstore_snapshot_close(snap);
    colstore_close(st);
    free(dir);
}

/* ---- several reports on one snapshot while loads commit ---- */

struct loader {
    colstore_store *st;
    int commits;
    atomic_bool done;
};

/* New facts of 2025-03-03, one commit each: agent-performance's last day grows. */
static void *load_more(void *arg)
{
    struct loader *l = arg;
    char *failed = NULL;
    for (int k = 0; k < l->commits && failed == NULL; k++) {
        char row[256];
        snprintf(row, sizeof(row),
                 "%d\t3\t20250303\t1\t0123456789abcdef0123456789abc%03d\t10\t%d\tt\tf\tf\t"
                 "2025-03-03 11:00:00+00\n",
                 100 + k, k, 600 + k);
        colstore_error err;
        if (colstore_load_buffer(l->st, "fact_agent_query", row, strlen(row), "more", NULL, NULL,
                                 &err) != COLSTORE_OK)
            failed = strdup(err.message);
    }
    atomic_store(&l->done, true);
    return failed;
}

static char *report_csv(colstore_snapshot *snap, colstore_store *st, const char *name)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.as_of = "2025-03-03";
    p.from = "2025-03-01";
    p.to = "2025-03-03";
    colstore_result *r = NULL;
    colstore_error err;
    const int rc = snap != NULL ? colstore_snapshot_report(snap, name, &p, &r, &err)
                                : colstore_report(st, name, &p, &r, &err);
    cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
    char *s = printed(r, COLSTORE_OUTPUT_CSV);
    colstore_result_free(r);
    return s;
}

Test(catalog_info, reports_on_one_snapshot_see_one_state_while_loads_commit)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(st, &snap, &err), COLSTORE_OK);
    char *perf = report_csv(snap, NULL, "agent-performance");
    char *agg = report_csv(snap, NULL, "daily-agg");
    cr_assert_str_eq(perf, fx_agent_performance_csv);

    struct loader l = {st, 20, false};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, load_more, &l), 0);
    int rounds = 0;
    void *failed = NULL;
    for (;;) {
        /* both reports, again and again, on the pinned state while commits land */
        char *p2 = report_csv(snap, NULL, "agent-performance");
        char *a2 = report_csv(snap, NULL, "daily-agg");
        cr_assert_str_eq(p2, perf);
        cr_assert_str_eq(a2, agg);
        free(p2);
        free(a2);
        rounds++;
        colstore_snapshot *now = NULL;
        cr_assert_eq(colstore_snapshot_open(st, &now, &err), COLSTORE_OK);
        const uint64_t v = colstore_snapshot_version(now);
        colstore_snapshot_close(now);
        if (v >= colstore_snapshot_version(snap) + (uint64_t)l.commits || atomic_load(&l.done))
            break;
    }
    pthread_join(th, &failed);
    cr_assert_null(failed, "%s", (char *)failed);
    cr_assert_gt(rounds, 0);

    /* the newest state has the 20 new queries; the snapshot still the old one */
    char *fresh = report_csv(NULL, st, "agent-performance");
    cr_assert_not_null(strstr(fresh, "2025-03-03,data,21,"), "%s", fresh);
    char *fresh_agg = report_csv(NULL, st, "daily-agg");
    cr_assert_str_neq(fresh_agg, agg);
    char *p3 = report_csv(snap, NULL, "agent-performance");
    cr_assert_str_eq(p3, perf);
    free(p3);
    free(fresh);
    free(fresh_agg);
    free(perf);
    free(agg);
    colstore_snapshot_close(snap);
    colstore_close(st);
    free(dir);
}
