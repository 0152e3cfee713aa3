/*
 * colstore_compact() and the automatic compaction after each load (docs/storage-format.md §12)
 * through the public API, on a store fed night after night by colstore_nightly() (colgen --ops:
 * late rows, rows sent again, an agent change): every dump and every report is the same with
 * the automatic compaction, without it, and after a manual compaction; the automatic one
 * commits on its own after the loads that pass its thresholds and not with
 * COLSTORE_NO_AUTO_COMPACT; a manual one reclaims the dead space and a second one has nothing
 * to do. The storage-level tests (byte-for-byte copies, thresholds, I/O errors and SIGKILL at
 * every operation, readers) are tests/storage/test_compact.c.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "tests/engine/state.h"

#define NIGHTS 12

static char *base;
static const struct st_days days = {"2025-02-20", "2025-03-13", 21, 2025};

static void setup(void)
{
    char tmpl[] = "/tmp/cs-compact-api-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    base = strdup(tmpl);
    char cmd[9000];
    (void)snprintf(cmd, sizeof(cmd),
                   "'%s/tools/colgen' --ops --out '%s/ops' --rows 300 --nights %d --seed 11 "
                   "--start 2025-03-01 --format text >/dev/null",
                   CS_BINARY_DIR, base, NIGHTS);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void teardown(void)
{
    st_rmrf(base);
    free(base);
}

TestSuite(compact_api, .init = setup, .fini = teardown, .timeout = 300);

static uint64_t version_of(colstore_store *st)
{
    colstore_snapshot *s = NULL;
    colstore_error err;
    cr_assert_eq(colstore_snapshot_open(st, &s, &err), COLSTORE_OK, "%s", err.message);
    const uint64_t v = colstore_snapshot_version(s);
    colstore_snapshot_close(s);
    return v;
}

static void read_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    cr_assert_not_null(fgets(out, (int)n, f));
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

/* night k (1-based) of the colgen exports applied to st: one load. */
static void night(colstore_store *st, int k)
{
    char d[4200], p[4][4300], lt[64];
    (void)snprintf(d, sizeof(d), "%s/ops/night-%03d", base, k);
    (void)snprintf(p[0], sizeof(p[0]), "%s/load_time", d);
    read_line(p[0], lt, sizeof(lt));
    colstore_error err;
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    cr_assert_eq(colstore_parse_timestamptz(lt, &o.load_time_us, &err), COLSTORE_OK, "%s",
                 err.message);
    const char *names[4] = {"agents", "agent_queries", "agent_approvals", "agent_feedback"};
    colstore_nightly_input *in[4] = {&o.agents, &o.queries, &o.approvals, &o.feedback};
    for (int i = 0; i < 4; i++) {
        (void)snprintf(p[i], sizeof(p[i]), "%s/%s.copy", d, names[i]);
        in[i]->path = p[i];
        in[i]->format = COLSTORE_FORMAT_TEXT;
    }
    cr_assert_eq(colstore_nightly(st, &o, NULL, &err), COLSTORE_OK, "night %d: %s", k, err.message);
}

/* base/<name>: dim_time and every night, with `flags` added to the writable open. The
 * versions after each load in versions[0..NIGHTS] (0: dim_time). */
static colstore_store *fed(const char *name, unsigned flags, uint64_t versions[NIGHTS + 1])
{
    char dir[4200], path[4300];
    (void)snprintf(dir, sizeof(dir), "%s/%s", base, name);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE | flags, &st, &err),
                 COLSTORE_OK, "%s", err.message);
    (void)snprintf(path, sizeof(path), "%s/ops/dim_time.copy", base);
    colstore_load_options lo = COLSTORE_LOAD_OPTIONS_INIT;
    lo.format = COLSTORE_FORMAT_TEXT;
    cr_assert_eq(colstore_load_path(st, "dim_time", path, &lo, NULL, &err), COLSTORE_OK, "%s",
                 err.message);
    versions[0] = version_of(st);
    for (int k = 1; k <= NIGHTS; k++) {
        night(st, k);
        versions[k] = version_of(st);
    }
    return st;
}

static int32_t days_of(int32_t tk)
{
    char text[16];
    (void)snprintf(text, sizeof(text), "%04d-%02d-%02d", tk / 10000, tk / 100 % 100, tk % 100);
    int32_t d = 0;
    colstore_error err;
    cr_assert_eq(colstore_parse_date(text, &d, &err), COLSTORE_OK, "%s", err.message);
    return d;
}

/* The days of table in st more than 7 days before its newest that have more than one row
 * group (the days the automatic compaction has settled, when it ran). */
static int unsettled_old_days(colstore_store *st, const char *table)
{
    colstore_snapshot *snap = NULL;
    colstore_error err;
    cr_assert_eq(colstore_snapshot_open(st, &snap, &err), COLSTORE_OK, "%s", err.message);
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    cr_assert_eq(colstore_table_describe(snap, table, &ti, &err), COLSTORE_OK, "%s", err.message);
    const int32_t newest = days_of(ti.last_time_key);
    int n = 0;
    int32_t prev = 0;
    for (size_t i = 0; i < ti.partitions; i++) {
        colstore_partition_info pi = COLSTORE_PARTITION_INFO_INIT;
        cr_assert_eq(colstore_partition_describe(snap, table, i, &pi, &err), COLSTORE_OK, "%s",
                     err.message);
        if (pi.time_key == prev && newest - days_of(pi.time_key) > 7 && pi.row_group > 0) n++;
        prev = pi.time_key;
    }
    colstore_snapshot_close(snap);
    return n;
}

static char *state(colstore_store *st)
{
    colstore_error err;
    char *s = st_state_over(st, days, &err);
    cr_assert_not_null(s, "%s", err.message);
    return s;
}

Test(compact_api, automatic_and_manual_compaction_change_no_answer)
{
    uint64_t v_off[NIGHTS + 1], v_on[NIGHTS + 1];
    colstore_store *off = fed("off", COLSTORE_NO_AUTO_COMPACT, v_off);
    colstore_store *on = fed("on", 0, v_on);
    /* without the automatic compaction: one commit a load */
    for (int k = 0; k <= NIGHTS; k++)
        cr_assert_eq(v_off[k], (uint64_t)k + 1, "load %d: version %llu", k,
                     (unsigned long long)v_off[k]);
    /* with it: a second commit after the loads that passed its thresholds */
    int compactions = 0;
    for (int k = 1; k <= NIGHTS; k++) {
        const uint64_t step = v_on[k] - v_on[k - 1];
        cr_assert(step == 1 || step == 2, "load %d: %llu commits", k, (unsigned long long)step);
        compactions += step == 2;
    }
    cr_log_info("automatic compactions over %d nights: %d", NIGHTS, compactions);
    cr_assert_gt(compactions, 0);
    /* late rows left old days in several row groups; the automatic compaction merged every day
     * past the late-row week into one */
    cr_assert_gt(unsettled_old_days(off, "fact_agent_query"), 0);
    cr_assert_eq(unsettled_old_days(on, "fact_agent_query"), 0);
    cr_assert_eq(unsettled_old_days(on, "fact_approval"), 0);

    char *want = state(off);
    char *got = state(on);
    cr_assert_str_eq(got, want, "the automatically compacted store answers differently");
    free(got);

    /* the same thresholds by hand: nothing left to do right after the automatic run */
    colstore_error err;
    colstore_compact_options ao = COLSTORE_COMPACT_OPTIONS_INIT;
    ao.automatic = true;
    colstore_compact_stats s = COLSTORE_COMPACT_STATS_INIT;
    cr_assert_eq(colstore_compact(on, &ao, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_assert(!s.committed);
    cr_assert_eq(version_of(on), v_on[NIGHTS]);

    /* everything by hand on the uncompacted store: dead space reclaimed, one commit */
    colstore_compact_options all = COLSTORE_COMPACT_OPTIONS_INIT;
    cr_assert_eq(colstore_compact(off, &all, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_assert(s.committed);
    cr_assert_eq(s.version, v_off[NIGHTS] + 1);
    cr_assert_eq(version_of(off), s.version);
    cr_assert_gt(s.dead_bytes_before, 0);
    cr_assert_lt(s.bytes_after, s.bytes_before - s.dead_bytes_before / 2);
    cr_assert_lt(s.files_after, s.files_before);
    cr_assert_gt(s.partitions_merged, 0); /* late rows spread days over several row groups */
    cr_assert_geq(s.groups_merged, 2 * s.partitions_merged);
    got = state(off);
    cr_assert_str_eq(got, want, "the compacted store answers differently");
    free(got);
    cr_assert_eq(colstore_verify(off, NULL, NULL, &err), COLSTORE_OK, "%s", err.message);

    /* a second run finds nothing: no commit, no change */
    colstore_compact_stats again = COLSTORE_COMPACT_STATS_INIT;
    cr_assert_eq(colstore_compact(off, NULL, &again, &err), COLSTORE_OK, "%s", err.message);
    cr_assert(!again.committed);
    cr_assert_eq(again.bytes_before, s.bytes_after);
    cr_assert_eq(again.files_before, s.files_after);
    cr_assert_eq(version_of(off), s.version);

    colstore_close(off);
    colstore_close(on);
    free(want);
}

Test(compact_api, bad_arguments_and_read_only_handles_are_refused)
{
    uint64_t v[NIGHTS + 1];
    colstore_store *st = fed("st", COLSTORE_NO_AUTO_COMPACT, v);
    colstore_close(st);
    char dir[4200];
    (void)snprintf(dir, sizeof(dir), "%s/st", base);
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_READ_ONLY, &st, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(colstore_compact(st, NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert_str_eq(err.message, "compact: the store is open read-only");
    cr_assert_eq(version_of(st), v[NIGHTS]);
    colstore_close(st);
    cr_assert_eq(colstore_compact(NULL, NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE, &st, &err), COLSTORE_OK, "%s", err.message);
    colstore_compact_options o = COLSTORE_COMPACT_OPTIONS_INIT;
    o.size = 0;
    cr_assert_eq(colstore_compact(st, &o, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(version_of(st), v[NIGHTS]);
    /* stats of an older, smaller struct: filled up to its size */
    struct {
        colstore_compact_stats s;
        uint64_t canary;
    } old;
    memset(&old, 0xab, sizeof(old));
    old.s.size = offsetof(colstore_compact_stats, bytes_before);
    cr_assert_eq(colstore_compact(st, NULL, &old.s, &err), COLSTORE_OK, "%s", err.message);
    cr_assert(old.s.committed);
    cr_assert_eq(old.s.version, v[NIGHTS] + 1);
    cr_assert_eq(old.s.bytes_before, 0xababababababababULL);
    colstore_close(st);
}
