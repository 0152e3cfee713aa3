/*
 * retain_*: colstore_retain() drops the days before a date from the fact tables, with their
 * daily aggregates, in one commit. Proved against the same colgen data loaded without those
 * rows (every dump and every report equal), for all three fact tables and for one; never
 * blocking a reader (a snapshot pinned before the commit still answers as before, and the
 * files it needs are deleted only after it is closed); SIGKILLed at every store operation and
 * failed at every operation (once and sticky): the old state or the new one, and a re-run gives
 * the new one; bad arguments refused with nothing changed.
 */

#include "tests/engine/retain_fixture.h"

/* Distinct time_keys (the third column) of an export. */
static int count_days(const char *table, const char *which)
{
    char path[4200], line[8192];
    (void)snprintf(path, sizeof(path), "%s/gen/%s.%s", base, table, which);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    long seen[64];
    int n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *p = strchr(line, '\t');
        p = p != NULL ? strchr(p + 1, '\t') : NULL;
        cr_assert_not_null(p);
        const long key = atol(p + 1);
        int i = 0;
        while (i < n && seen[i] != key)
            i++;
        if (i == n && n < 64) seen[n++] = key;
    }
    fclose(f);
    return n;
}

Test(retain,
     equals_the_data_loaded_without_those_days,
     .init = setup,
     .fini = teardown,
     .timeout = 300)
{
    char dir[4200];
    fresh(dir, "full");
    colstore_error err;
    colstore_retain_stats st = COLSTORE_RETAIN_STATS_INIT;
    cr_assert_eq(do_retain(dir, NULL, 0, &st, &err), COLSTORE_OK, "%s", err.message);
    char *now = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(now, "%s", err.message);
    cr_assert_str_eq(now, state_cut, "retain differs from loading without the days");
    free(now);
    long rows = 0;
    int parts = 0;
    for (int i = 0; i < 3; i++) {
        rows += count_lines(facts[i], "early");
        parts += count_days(facts[i], "early");
    }
    cr_assert_eq(st.rows_dropped, (uint64_t)rows);
    cr_assert_eq(st.partitions_dropped, (uint64_t)parts, "%llu of %d",
                 (unsigned long long)st.partitions_dropped, parts);
    cr_assert(parts >= 25);
    cr_assert_eq(st.agg_days, 10u);
    cr_assert(st.version > 0);
    /* again: nothing before the date any more, nothing committed */
    colstore_retain_stats again = COLSTORE_RETAIN_STATS_INIT;
    cr_assert_eq(do_retain(dir, NULL, 0, &again, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(again.version, 0u);
    cr_assert_eq(again.partitions_dropped, 0u);
    now = st_state_dir_over(dir, days, &err);
    cr_assert_str_eq(now, state_cut);
    free(now);
}

Test(retain,
     one_table_recomputes_the_aggregates_of_its_days,
     .init = setup,
     .fini = teardown,
     .timeout = 300)
{
    char dir[4200];
    fresh(dir, "full");
    colstore_error err;
    const char *tables[] = {"fact_approval"};
    colstore_retain_stats st = COLSTORE_RETAIN_STATS_INIT;
    cr_assert_eq(do_retain(dir, tables, 1, &st, &err), COLSTORE_OK, "%s", err.message);
    char *now = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(now, "%s", err.message);
    cr_assert_str_eq(now, state_cut_approval);
    free(now);
    cr_assert_eq(st.rows_dropped, (uint64_t)count_lines("fact_approval", "early"));
    /* then the other two: the state of all three cut */
    const char *rest[] = {"fact_training", "fact_agent_query"};
    cr_assert_eq(do_retain(dir, rest, 2, NULL, &err), COLSTORE_OK, "%s", err.message);
    now = st_state_dir_over(dir, days, &err);
    cr_assert_str_eq(now, state_cut);
    free(now);
}

static void
expect_refused(colstore_store *st, const colstore_retain_options *o, int code, const char *words)
{
    colstore_error err;
    const int rc = colstore_retain(st, o, NULL, &err);
    cr_assert_eq(rc, code, "code %d (%s), expected %d", rc, err.message, code);
    cr_assert(strstr(err.message, words) != NULL, "message \"%s\" lacks \"%s\"", err.message,
              words);
}

Test(retain, bad_arguments_change_nothing, .init = setup, .fini = teardown, .timeout = 300)
{
    char dir[4200];
    fresh(dir, "full");
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE, &st, &err), COLSTORE_OK);
    colstore_retain_options o = COLSTORE_RETAIN_OPTIONS_INIT;
    expect_refused(st, NULL, COLSTORE_EINVAL, "required");
    expect_refused(st, &o, COLSTORE_EINVAL, "before");
    o.before = "2025-02-30";
    expect_refused(st, &o, COLSTORE_EINPUT, "before: invalid date \"2025-02-30\"");
    o.before = "yesterday";
    expect_refused(st, &o, COLSTORE_EINPUT, "before: invalid date");
    o.before = BEFORE;
    const char *dim[] = {"fact_agent_query", "dim_agent"};
    o.tables = dim;
    o.ntables = 2;
    expect_refused(st, &o, COLSTORE_EINVAL, "dim_agent is a dimension");
    const char *agg[] = {"agg_agent_daily_performance"};
    o.tables = agg;
    o.ntables = 1;
    expect_refused(st, &o, COLSTORE_EINVAL, "follows the fact tables");
    const char *unknown[] = {"fact_queries"};
    o.tables = unknown;
    expect_refused(st, &o, COLSTORE_EINVAL, "unknown table \"fact_queries\"");
    colstore_retain_options small = COLSTORE_RETAIN_OPTIONS_INIT;
    small.size = sizeof(size_t);
    expect_refused(st, &small, COLSTORE_EINVAL, "size");
    colstore_close(st);
    cr_assert_eq(colstore_open(dir, COLSTORE_READ_ONLY, &st, &err), COLSTORE_OK);
    o.tables = NULL;
    o.ntables = 0;
    expect_refused(st, &o, COLSTORE_EINVAL, "read-only");
    colstore_close(st);
    char *now = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(now, "%s", err.message);
    cr_assert_str_eq(now, state_full);
    free(now);
}

/* The reports a snapshot gives over the test's days, as one string. */
static char *snap_reports(colstore_snapshot *snap)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.from = days.from;
    p.to = days.to;
    p.recompute = true;
    colstore_result *r = NULL;
    colstore_error err;
    cr_assert_eq(colstore_snapshot_report(snap, "daily-agg", &p, &r, &err), COLSTORE_OK, "%s",
                 err.message);
    cr_assert_eq(colstore_result_write(r, f, COLSTORE_OUTPUT_CSV, &err), COLSTORE_OK);
    colstore_result_free(r);
    colstore_report_params q = COLSTORE_REPORT_PARAMS_INIT;
    q.as_of = days.to;
    q.days = days.days;
    cr_assert_eq(colstore_snapshot_report(snap, "agent-performance", &q, &r, &err), COLSTORE_OK);
    cr_assert_eq(colstore_result_write(r, f, COLSTORE_OUTPUT_CSV, &err), COLSTORE_OK);
    colstore_result_free(r);
    fclose(f);
    return buf;
}

static int count_data_files(const char *dir)
{
    char path[4200];
    (void)snprintf(path, sizeof(path), "%s/data", dir);
    DIR *d = opendir(path);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".cseg") != NULL;
    closedir(d);
    return n;
}

struct reader {
    const char *dir;
    const char *old_s, *new_s;
    atomic_int stop;
    atomic_uint runs, saw_new;
    atomic_bool bad;
};

/* A reader on its own handle, running reports in a loop while the retention commits: every
 * answer is the old state or the new one. */
static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    colstore_store *st = NULL;
    colstore_error err;
    if (colstore_open(rd->dir, COLSTORE_READ_ONLY, &st, &err) != COLSTORE_OK) {
        rd->bad = true;
        return NULL;
    }
    while (!atomic_load(&rd->stop) || rd->runs == 0) {
        colstore_snapshot *s = NULL;
        if (colstore_snapshot_open(st, &s, &err) != COLSTORE_OK) {
            rd->bad = true;
            break;
        }
        char *got = snap_reports(s);
        colstore_snapshot_close(s);
        const bool is_new = strcmp(got, rd->new_s) == 0;
        if (!is_new && strcmp(got, rd->old_s) != 0) rd->bad = true;
        rd->saw_new += is_new;
        rd->runs++;
        free(got);
    }
    colstore_close(st);
    return NULL;
}

Test(retain,
     never_blocks_a_reader_and_frees_files_once_unpinned,
     .init = setup,
     .fini = teardown,
     .timeout = 300)
{
    /* a store whose early days are in data files of their own (loaded first) */
    char dir[4200];
    (void)snprintf(dir, sizeof(dir), "%s/split", base);
    const char *early[3] = {"early", "early", "early"};
    make_store(dir, early);
    const int dim_and_early = count_data_files(dir);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE, &st, &err), COLSTORE_OK);
    char path[4200];
    for (int i = 0; i < 3; i++) {
        (void)snprintf(path, sizeof(path), "%s/gen/%s.cut", base, facts[i]);
        load_file(st, facts[i], path);
    }
    char *s_full = st_state_over(st, days, &err);
    cr_assert_str_eq(s_full, state_full, "loaded in two halves = loaded at once");
    free(s_full);
    const int before_files = count_data_files(dir);
    cr_assert_eq(before_files, dim_and_early + 3);

    /* a snapshot pinned before the retention, and a reader looping on its own handle */
    colstore_snapshot *pinned = NULL;
    cr_assert_eq(colstore_snapshot_open(st, &pinned, &err), COLSTORE_OK);
    char *old_reports = snap_reports(pinned);
    char cutdir[4200];
    (void)snprintf(cutdir, sizeof(cutdir), "%s/cut", base);
    colstore_store *cut = NULL;
    cr_assert_eq(colstore_open(cutdir, COLSTORE_READ_ONLY, &cut, &err), COLSTORE_OK);
    colstore_snapshot *cs = NULL;
    cr_assert_eq(colstore_snapshot_open(cut, &cs, &err), COLSTORE_OK);
    char *new_reports = snap_reports(cs);
    colstore_snapshot_close(cs);
    colstore_close(cut);
    struct reader rd = {.dir = dir, .old_s = old_reports, .new_s = new_reports};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, reader_main, &rd), 0);

    colstore_retain_options o = COLSTORE_RETAIN_OPTIONS_INIT;
    o.before = BEFORE;
    cr_assert_eq(colstore_retain(st, &o, NULL, &err), COLSTORE_OK, "%s", err.message);
    char *now = st_state_over(st, days, &err);
    cr_assert_str_eq(now, state_cut);
    free(now);
    /* the pinned snapshot still answers as before; its files are still there */
    char *again = snap_reports(pinned);
    cr_assert_str_eq(again, old_reports);
    free(again);
    cr_assert_eq(count_data_files(dir), before_files, "a pinned file was deleted");
    /* let the reader see the new state, then stop it */
    for (int i = 0; i < 2000 && rd.saw_new == 0 && !rd.bad; i++)
        usleep(5000);
    atomic_store(&rd.stop, 1);
    pthread_join(th, NULL);
    cr_assert(!rd.bad, "a reader saw neither the old nor the new state");
    cr_assert(rd.runs > 0 && rd.saw_new > 0);
    colstore_snapshot_close(pinned);
    /* unpinned: the next writer's cleanup deletes the early days' three files */
    colstore_retain_stats st2 = COLSTORE_RETAIN_STATS_INIT;
    cr_assert_eq(colstore_retain(st, &o, &st2, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(st2.version, 0u);
    cr_assert_eq(count_data_files(dir), before_files - 3, "%d files", count_data_files(dir));
    colstore_close(st);
    now = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(now, "%s", err.message);
    cr_assert_str_eq(now, state_cut);
    free(now);
    free(old_reports);
    free(new_reports);
}
