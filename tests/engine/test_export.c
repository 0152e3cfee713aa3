/*
 * colstore_export (Parquet) through the public API, without a Parquet reader (the values are
 * checked by DuckDB and chdb in tests/export/check_parquet.sh): the layout (a file per fact
 * day, single files for the rest, PAR1 magic at both ends, _SUCCESS, the export record listing
 * every file and directory), the day bounds, the snapshot exported (not the newest commit),
 * and the safety rules: a foreign non-empty directory and a symlinked OUT are refused and left
 * untouched; a file in the way is never overwritten, the failed run leaves no _SUCCESS and
 * removes what it wrote; a re-export removes exactly what the previous one listed.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/engine/fixture.h"

static char *dir;
static colstore_store *store;
static char out[512];

static void setup(void)
{
    dir = fx_tmpdir();
    cr_assert_not_null(dir);
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &store, &err), COLSTORE_OK,
                 "%s", err.message);
    cr_assert_eq(fx_load_all(store, &err), COLSTORE_OK, "%s", err.message);
    snprintf(out, sizeof(out), "%s.out", dir);
}

static void teardown(void)
{
    colstore_close(store);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, out);
    cr_assert_eq(system(cmd), 0);
    free(dir);
}

static bool exists(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", out, rel);
    struct stat sb;
    return lstat(p, &sb) == 0;
}

static bool parquet_magic(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", out, rel);
    FILE *f = fopen(p, "rb");
    if (f == NULL) return false;
    char head[4], tail[4];
    bool ok = fread(head, 1, 4, f) == 4 && fseek(f, -4, SEEK_END) == 0 && fread(tail, 1, 4, f) == 4;
    fclose(f);
    return ok && memcmp(head, "PAR1", 4) == 0 && memcmp(tail, "PAR1", 4) == 0;
}

static int
run_export(const colstore_export_options *o, colstore_export_stats *st, colstore_error *err)
{
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, err), COLSTORE_OK);
    const int rc = colstore_export(snap, out, o, st, err);
    colstore_snapshot_close(snap);
    return rc;
}

static char *slurp(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", out, rel);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f, "%s", p);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(export, layout_record_and_success, .init = setup, .fini = teardown)
{
    colstore_error err;
    colstore_export_stats st = COLSTORE_EXPORT_STATS_INIT;
    cr_assert_eq(run_export(NULL, &st, &err), COLSTORE_OK, "%s", err.message);
    /* 3 + 2 + 2 fact days, 4 dimensions, the aggregate */
    cr_assert_eq(st.files, 12);
    cr_assert_eq(st.rows, 3 + 3 + 2 + 2 + 5 + 2 + 2 + 4);
    const char *files[] = {"dim_agent.parquet",
                           "dim_time.parquet",
                           "dim_conversation.parquet",
                           "dim_user.parquet",
                           "agg_agent_daily_performance.parquet",
                           "fact_agent_query/time_key=20250301/part-0.parquet",
                           "fact_agent_query/time_key=20250302/part-0.parquet",
                           "fact_agent_query/time_key=20250303/part-0.parquet",
                           "fact_approval/time_key=20250301/part-0.parquet",
                           "fact_approval/time_key=20250302/part-0.parquet",
                           "fact_training/time_key=20250301/part-0.parquet",
                           "fact_training/time_key=20250302/part-0.parquet"};
    uint64_t bytes = 0;
    for (size_t i = 0; i < 12; i++) {
        cr_assert(parquet_magic(files[i]), "%s", files[i]);
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", out, files[i]);
        struct stat sb;
        cr_assert_eq(stat(p, &sb), 0);
        bytes += (uint64_t)sb.st_size;
    }
    cr_assert_eq(st.bytes, bytes);
    cr_assert(exists("_SUCCESS"));
    char *rec = slurp("_colstore_export");
    cr_assert(strncmp(rec, "colstore export 1\n", 18) == 0);
    for (size_t i = 0; i < 12; i++)
        cr_assert(strstr(rec, files[i]) != NULL, "%s not recorded", files[i]);
    cr_assert(strstr(rec, "fact_approval/time_key=20250302/\n") != NULL);
    cr_assert(strstr(rec, "fact_training/\n") != NULL);
    free(rec);
}

Test(export, days_and_tables, .init = setup, .fini = teardown)
{
    colstore_error err;
    const char *tables[] = {"fact_agent_query", "agg_agent_daily_performance", "fact_agent_query"};
    colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
    o.tables = tables;
    o.ntables = 3; /* a repeat is exported once */
    o.from = "2025-03-02";
    o.to = "2025-03-02";
    o.compression = COLSTORE_COMPRESSION_NONE;
    colstore_export_stats st = COLSTORE_EXPORT_STATS_INIT;
    cr_assert_eq(run_export(&o, &st, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(st.files, 2);
    cr_assert_eq(st.rows, 1 + 1); /* query 4; agent 3 on 2025-03-02 */
    cr_assert(exists("fact_agent_query/time_key=20250302/part-0.parquet"));
    cr_assert(!exists("fact_agent_query/time_key=20250301"));
    cr_assert(!exists("dim_agent.parquet"));
    cr_assert(!exists("fact_approval"));
}

Test(export, exports_the_snapshot_not_the_newest_commit, .init = setup, .fini = teardown)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK);
    const char row[] =
        "9\t\\N\t20250303\t1\t\\N\tpending\t\\N\t0\t\\N\t2025-03-03 10:00:00+00\t\\N\n";
    cr_assert_eq(
        colstore_load_buffer(store, "fact_approval", row, strlen(row), "a.copy", NULL, NULL, &err),
        COLSTORE_OK, "%s", err.message);
    const char *tables[] = {"fact_approval"};
    colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
    o.tables = tables;
    o.ntables = 1;
    colstore_export_stats st = COLSTORE_EXPORT_STATS_INIT;
    cr_assert_eq(colstore_export(snap, out, &o, &st, &err), COLSTORE_OK, "%s", err.message);
    colstore_snapshot_close(snap);
    cr_assert_eq(st.rows, 2);
    cr_assert(!exists("fact_approval/time_key=20250303"));
}

Test(export, foreign_directory_refused_untouched, .init = setup, .fini = teardown)
{
    cr_assert_eq(mkdir(out, 0777), 0);
    char p[1024];
    snprintf(p, sizeof(p), "%s/precious.csv", out);
    FILE *f = fopen(p, "w");
    fputs("data\n", f);
    fclose(f);
    colstore_error err;
    cr_assert_eq(run_export(NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "not empty and not a previous export") != NULL, "%s",
              err.message);
    DIR *d = opendir(out);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(n, 1);
    cr_assert(exists("precious.csv"));
}

Test(export, symlinked_out_refused, .init = setup, .fini = teardown)
{
    char target[600];
    snprintf(target, sizeof(target), "%s.target", dir);
    cr_assert_eq(mkdir(target, 0777), 0);
    cr_assert_eq(symlink(target, out), 0);
    colstore_error err;
    cr_assert_eq(run_export(NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "symbolic link") != NULL, "%s", err.message);
    cr_assert_eq(rmdir(target), 0); /* still empty */
    cr_assert_eq(unlink(out), 0);
}

Test(export, file_in_the_way_fails_cleanly, .init = setup, .fini = teardown)
{
    colstore_error err;
    cr_assert_eq(run_export(NULL, NULL, &err), COLSTORE_OK, "%s", err.message);
    /* the user replaces one of our files by one of theirs, not in the record */
    char p[1024];
    snprintf(p, sizeof(p), "%s/fact_approval/time_key=20250302/part-0.parquet", out);
    cr_assert_eq(unlink(p), 0);
    char rec[1024];
    snprintf(rec, sizeof(rec),
             "sed -i '/fact_approval\\/time_key=20250302\\/part-0.parquet/d' '%s/_colstore_export'",
             out);
    cr_assert_eq(system(rec), 0);
    FILE *f = fopen(p, "w");
    fputs("theirs\n", f);
    fclose(f);
    cr_assert_eq(run_export(NULL, NULL, &err), COLSTORE_EIO);
    cr_assert(strstr(err.message, "File exists") != NULL, "%s", err.message);
    cr_assert(!exists("_SUCCESS"));
    char *theirs = slurp("fact_approval/time_key=20250302/part-0.parquet");
    cr_assert_str_eq(theirs, "theirs\n");
    free(theirs);
    /* this run's files are gone; the record lists only the directories left (they hold the
     * user's file) */
    cr_assert(!exists("dim_agent.parquet"));
    cr_assert(!exists("fact_agent_query"));
    char *r = slurp("_colstore_export");
    cr_assert_str_eq(r, "colstore export 1\nfact_approval/\nfact_approval/time_key=20250302/\n");
    free(r);
    /* once the user moves it away, an export goes through */
    cr_assert_eq(unlink(p), 0);
    cr_assert_eq(run_export(NULL, NULL, &err), COLSTORE_OK, "%s", err.message);
    cr_assert(exists("_SUCCESS"));
}

Test(export, reexport_replaces_only_listed_files, .init = setup, .fini = teardown)
{
    colstore_error err;
    cr_assert_eq(run_export(NULL, NULL, &err), COLSTORE_OK, "%s", err.message);
    char p[1024];
    snprintf(p, sizeof(p), "%s/fact_training/notes.txt", out);
    FILE *f = fopen(p, "w");
    fputs("mine\n", f);
    fclose(f);
    /* a re-export of fewer days: the other days' files go, the user's note stays */
    colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
    o.to = "2025-03-01";
    colstore_export_stats st = COLSTORE_EXPORT_STATS_INIT;
    cr_assert_eq(run_export(&o, &st, &err), COLSTORE_OK, "%s", err.message);
    cr_assert(exists("fact_training/notes.txt"));
    cr_assert(exists("fact_training/time_key=20250301/part-0.parquet"));
    cr_assert(!exists("fact_training/time_key=20250302"));
    cr_assert(!exists("fact_agent_query/time_key=20250303"));
    cr_assert(exists("_SUCCESS"));
    cr_assert_eq(st.files, 5 + 3);
}

Test(export, bad_options, .init = setup, .fini = teardown)
{
    colstore_error err;
    const char *bad_table[] = {"fact_agent_querys"};
    colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
    o.tables = bad_table;
    o.ntables = 1;
    cr_assert_eq(run_export(&o, NULL, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "fact_agent_query") != NULL);
    o = (colstore_export_options)COLSTORE_EXPORT_OPTIONS_INIT;
    o.from = "2025-02-30";
    cr_assert_eq(run_export(&o, NULL, &err), COLSTORE_EINVAL);
    o = (colstore_export_options)COLSTORE_EXPORT_OPTIONS_INIT;
    o.format = 7;
    cr_assert_eq(run_export(&o, NULL, &err), COLSTORE_EINVAL);
    o.size = 0;
    cr_assert_eq(run_export(&o, NULL, &err), COLSTORE_EINVAL);
    cr_assert(!exists(""), "nothing created for bad options");
    cr_assert_eq(colstore_export(NULL, out, NULL, NULL, &err), COLSTORE_EINVAL);
    /* a parent that does not exist */
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK);
    char deep[700];
    snprintf(deep, sizeof(deep), "%s/no/such/dir", out);
    cr_assert_eq(colstore_export(snap, deep, NULL, NULL, &err), COLSTORE_EIO);
    colstore_snapshot_close(snap);
}

Test(export, empty_store_writes_empty_files)
{
    char *d = fx_tmpdir();
    colstore_error err;
    colstore_store *st = NULL;
    cr_assert_eq(colstore_open(d, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(st, &snap, &err), COLSTORE_OK);
    snprintf(out, sizeof(out), "%s.out", d);
    colstore_export_stats s = COLSTORE_EXPORT_STATS_INIT;
    cr_assert_eq(colstore_export(snap, out, NULL, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(s.files, 5);
    cr_assert_eq(s.rows, 0);
    cr_assert(parquet_magic("dim_user.parquet"));
    cr_assert(exists("fact_training"));
    colstore_snapshot_close(snap);
    colstore_close(st);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", d, out);
    cr_assert_eq(system(cmd), 0);
    free(d);
}
