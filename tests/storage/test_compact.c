/* Compaction (storage/compact.c): dead blocks copied out undecoded, a day's row groups merged,
 * small dimension chunks merged, the contents unchanged, old snapshots unaffected, policies'
 * thresholds, an I/O error and SIGKILL at every operation, a reader during a compaction. Every
 * report and dump, and the automatic compaction after loads: tests/engine/test_compact_api.c. */
#include "tests/storage/store_fixture.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/base/pgtext.h"
#include "storage/compact.h"
#include "storage/store_int.h"
#include "storage/store_io.h"

static char *dir;

static void setup(void)
{
    dir = fx_tmpdir();
}

static void teardown(void)
{
    fx_rmrf(dir);
    free(dir);
}

TestSuite(compact, .init = setup, .fini = teardown);

static struct cs_store *open_store(void)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    return st;
}

static struct cs_txn *begin(struct cs_store *st)
{
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    return txn;
}

static void commit(struct cs_txn *txn)
{
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
}

static struct cs_snap *snap_of(struct cs_store *st)
{
    struct cs_snap *snap = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK, "%s", err.message);
    return snap;
}

/* rows [from, from + n) of generated batch (seed) appended to / put as group seq of a partition */
static void slice(struct cs_batch *out, int table, size_t from, size_t n, int32_t tk, uint32_t seed)
{
    struct cs_batch all;
    fx_batch(&all, table, from + n, tk, NULLS_SOME, seed);
    cs_batch_init(out, cs_schema_table(table));
    cr_assert(cs_batch_append_range(out, &all, from, n));
    cs_batch_free(&all);
}

static void append(struct cs_txn *txn, int table, int32_t tk, size_t from, size_t n, uint32_t seed)
{
    struct cs_batch b;
    struct cs_error err = {0};
    slice(&b, table, from, n, tk, seed);
    cr_assert_eq(cs_txn_append_part(txn, table, tk, &b, &err), CS_OK, "%s", err.message);
    cs_batch_free(&b);
}

/* every row of table in snap, groups concatenated in order */
static void read_all(struct cs_snap *snap, int table, struct cs_batch *out)
{
    struct cs_error err = {0};
    cs_batch_init(out, cs_schema_table(table));
    cr_assert_eq(
        cs_snap_read_groups(snap, table, 0, cs_snap_part_count(snap, table), NULL, 0, out, &err),
        CS_OK, "%s", err.message);
}

static const int tables[] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_DIM_CONVERSATION};

/* A store as nights leave it: a day with late rows in 6 groups, a day rewritten (its old copy
 * dead), dimension chunks rewritten and appended. */
static void nights(struct cs_store *st)
{
    struct cs_txn *txn = begin(st);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250101, 400, NULLS_SOME, 7);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250101, 200, NULLS_SOME, 8);
    append(txn, CS_T_DIM_CONVERSATION, 0, 0, 300, 9);
    commit(txn);
    for (int night = 1; night <= 5; night++) {
        txn = begin(st);
        append(txn, CS_T_FACT_AGENT_QUERY, 20250101, 400 + (size_t)night * 10, 10, 7);
        fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250101 + night, 300, NULLS_SOME,
               10u + (uint32_t)night);
        fx_put(txn, CS_T_FACT_APPROVAL, 20250101, 200 + (size_t)night, NULLS_SOME,
               8); /* rewritten */
        append(txn, CS_T_DIM_CONVERSATION, 0, 300 + (size_t)night * 20, 20, 9);
        commit(txn);
    }
}

static uint64_t data_bytes(struct cs_snap *snap)
{
    uint64_t n = 0;
    for (uint32_t f = 0; f < snap->m->nfiles; f++)
        n += snap->m->files[f].size;
    return n;
}

Test(compact, everything_is_rewritten_and_nothing_changes)
{
    struct cs_store *st = open_store();
    nights(st);
    struct cs_snap *before = snap_of(st);
    struct cs_batch want[3];
    for (int i = 0; i < 3; i++)
        read_all(before, tables[i], &want[i]);
    size_t first, end;
    cs_snap_part_range(before, CS_T_FACT_AGENT_QUERY, 20250101, 20250101, &first, &end);
    cr_assert_eq(end - first, 6);
    cr_assert_eq(cs_snap_part_count(before, CS_T_DIM_CONVERSATION), 6);

    const struct cs_compact_policy all = CS_COMPACT_POLICY_ALL;
    struct cs_compact_stats s;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_compact(st, &all, &s, &err), CS_OK, "%s", err.message);
    cr_assert(s.committed);
    cr_assert_eq(s.partitions_merged, 1); /* the day of 6 groups */
    cr_assert_eq(s.groups_merged, 6 + 6); /* ... and the 6 chunks as one */
    cr_assert_gt(s.groups_copied, 0);     /* live blocks of files with dead ones */
    cr_assert_gt(s.dead_bytes_before, 0);
    cr_assert_lt(s.bytes_after, s.bytes_before - s.dead_bytes_before / 2);

    struct cs_snap *after = snap_of(st);
    cr_assert_eq(after->m->version, s.version);
    for (int i = 0; i < 3; i++) {
        struct cs_batch got;
        read_all(after, tables[i], &got);
        fx_assert_batch_eq(&want[i], &got);
        cs_batch_free(&got);
    }
    cs_snap_part_range(after, CS_T_FACT_AGENT_QUERY, 20250101, 20250101, &first, &end);
    cr_assert_eq(end - first, 1);
    cr_assert_eq(cs_snap_part_count(after, CS_T_DIM_CONVERSATION), 1);
    /* no dead byte is left: every file's bytes are its header and live blocks */
    uint64_t live = 0;
    for (uint32_t i = 0; i < after->m->nparts; i++)
        live += after->m->parts[i].len;
    cr_assert_eq(data_bytes(after), live + CS_DATA_HEADER_SIZE * after->m->nfiles);
    cr_assert_eq(data_bytes(after), s.bytes_after);

    /* the snapshot taken before still reads what it read: its files are pinned */
    for (int i = 0; i < 3; i++) {
        struct cs_batch got;
        read_all(before, tables[i], &got);
        fx_assert_batch_eq(&want[i], &got);
        cs_batch_free(&got);
        cs_batch_free(&want[i]);
    }
    cs_snap_close(before);
    cs_snap_close(after);
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);

    /* a second run has nothing to do */
    cr_assert_eq(cs_store_compact(st, &all, &s, &err), CS_OK, "%s", err.message);
    cr_assert(!s.committed);
    cs_store_close(st);
}

Test(compact, copies_are_byte_for_byte)
{
    struct cs_store *st = open_store();
    nights(st);
    struct cs_snap *before = snap_of(st);
    const struct cs_compact_policy all = CS_COMPACT_POLICY_ALL;
    struct cs_compact_stats s;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_compact(st, &all, &s, &err), CS_OK, "%s", err.message);
    struct cs_snap *after = snap_of(st);
    /* the days 20250102.. were written once and not merged: same block, same checksum */
    size_t same = 0;
    for (uint32_t i = 0; i < after->m->nparts; i++) {
        const struct cs_mpart *a = &after->m->parts[i];
        for (uint32_t j = 0; j < before->m->nparts; j++) {
            const struct cs_mpart *b = &before->m->parts[j];
            if (cs_mpart_cmp(a, b) == 0 && a->hsum == b->hsum && a->len == b->len) same++;
        }
    }
    cr_assert_geq(same, 5 + 1); /* 5 days of fact_agent_query, the approval day */
    cs_snap_close(before);
    cs_snap_close(after);
    cs_store_close(st);
}

Test(compact, the_automatic_policy_waits_for_its_thresholds)
{
    struct cs_store *st = open_store();
    struct cs_txn *txn = begin(st);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250101, 1000, NULLS_SOME, 7);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250101, 20, NULLS_SOME, 8);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250103, 20, NULLS_SOME, 9);
    commit(txn);
    txn = begin(st); /* a small block dead in a large file: under 10 % */
    fx_put(txn, CS_T_FACT_APPROVAL, 20250101, 21, NULLS_SOME, 8);
    for (int g = 0; g < 8; g++) /* 9 groups: one more than the policy allows */
        append(txn, CS_T_FACT_APPROVAL, 20250102, (size_t)g * 3, 3, 4);
    commit(txn);
    const struct cs_compact_policy aut = CS_COMPACT_POLICY_AUTO;
    struct cs_compact_stats s;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(!s.committed, "8 groups and little dead space: nothing to do");
    txn = begin(st);
    append(txn, CS_T_FACT_APPROVAL, 20250102, 24, 3, 4);
    commit(txn);
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(s.committed);
    cr_assert_eq(s.partitions_merged, 1);
    /* the 8 groups' file is now mostly dead: its other block (the approval day rewritten
     * with them) is copied out; the first file (one small dead block) is left alone */
    cr_assert_eq(s.groups_copied, 1);
    txn = begin(st); /* the large day rewritten: its file is now mostly dead, 20250103 live */
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250101, 1001, NULLS_SOME, 7);
    commit(txn);
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(s.committed);
    cr_assert_gt(s.groups_copied, 0);
    struct cs_snap *snap = snap_of(st);
    cs_snap_close(snap);
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
}

/* Nightly stores leave one small file a night: past 32 small files holding live blocks and no
 * unsettled day (one within 7 days of the newest: late rows still come, the merge would kill
 * the copy), the automatic policy copies all of them into one (blocks byte for byte, nothing
 * merged); the answers are unchanged. */
Test(compact, the_automatic_policy_gathers_small_settled_files)
{
    struct cs_store *st = open_store();
    const int64_t day0 = 20089;                /* 2025-01-01 */
    for (int night = 0; night < 40; night++) { /* a new day a night: nothing dead, one group */
        struct cs_txn *txn = begin(st);
        fx_put(txn, CS_T_FACT_APPROVAL, cs_time_key_from_days(day0 + night), 20, NULLS_SOME,
               (uint32_t)night);
        commit(txn);
    }
    const struct cs_compact_policy aut = CS_COMPACT_POLICY_AUTO;
    struct cs_compact_stats s;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(!s.committed, "32 settled small files and 8 young: nothing to do yet");
    struct cs_snap *snap = snap_of(st);
    struct cs_batch before;
    read_all(snap, CS_T_FACT_APPROVAL, &before);
    cs_snap_close(snap);
    struct cs_txn *txn = begin(st);
    fx_put(txn, CS_T_FACT_APPROVAL, cs_time_key_from_days(day0 + 40), 20, NULLS_SOME, 99);
    commit(txn);
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(s.committed, "33 settled small files: gathered");
    cr_assert_eq(s.files_before, 41);
    cr_assert_eq(s.files_after, 9, "the 8 young files stay");
    cr_assert_eq(s.groups_copied, 33);
    cr_assert_eq(s.partitions_merged, 0);
    snap = snap_of(st);
    struct cs_batch after;
    read_all(snap, CS_T_FACT_APPROVAL, &after);
    cs_snap_close(snap);
    cr_assert_eq(after.rows, before.rows + 20);
    for (int c = 0; c < before.table->ncols; c++) {
        for (size_t r = 0; r < before.rows; r++)
            cr_assert(cs_col_equal_at(&before.cols[c], r, &after.cols[c], r), "col %d row %zu", c,
                      r);
    }
    cs_batch_free(&before);
    cs_batch_free(&after);
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(!s.committed, "one settled file and 8 young: nothing to do");
    const struct cs_compact_policy all = CS_COMPACT_POLICY_ALL;
    cr_assert_eq(cs_store_compact(st, &all, &s, &err), CS_OK, "%s", err.message);
    cr_assert(s.committed);
    cr_assert_eq(s.files_after, 1, "colload compact gathers every small file");
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
}

/* groups of the day tk of table in snap */
static size_t groups_of(struct cs_snap *snap, int table, int32_t tk)
{
    const size_t n = cs_snap_part_count(snap, table);
    for (size_t i = 0; i < n; i = cs_snap_part_end(snap, table, i)) {
        if (cs_snap_part(snap, table, i).time_key == tk)
            return cs_snap_part_end(snap, table, i) - i;
    }
    return 0;
}

Test(compact, the_automatic_policy_merges_a_day_once_settled)
{
    struct cs_store *st = open_store();
    struct cs_txn *txn = begin(st);
    const int32_t days[] = {20250101, 20250102, 20250103, 20250110}; /* newest: 01-10 */
    for (int d = 0; d < 4; d++)
        append(txn, CS_T_FACT_AGENT_QUERY, days[d], 0, 50, 7u + (uint32_t)d);
    commit(txn);
    txn = begin(st); /* late rows: a second group for every day */
    for (int d = 0; d < 4; d++)
        append(txn, CS_T_FACT_AGENT_QUERY, days[d], 50, 5, 7u + (uint32_t)d);
    commit(txn);
    struct cs_snap *before = snap_of(st);
    struct cs_batch want;
    read_all(before, CS_T_FACT_AGENT_QUERY, &want);
    cs_snap_close(before);
    const struct cs_compact_policy aut = CS_COMPACT_POLICY_AUTO;
    struct cs_compact_stats s;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(s.committed);
    /* 01-01 and 01-02 are 9 and 8 days before the newest: settled; 01-03 (7) and 01-10 not */
    cr_assert_eq(s.partitions_merged, 2);
    struct cs_snap *after = snap_of(st);
    cr_assert_eq(groups_of(after, CS_T_FACT_AGENT_QUERY, 20250101), 1);
    cr_assert_eq(groups_of(after, CS_T_FACT_AGENT_QUERY, 20250102), 1);
    cr_assert_eq(groups_of(after, CS_T_FACT_AGENT_QUERY, 20250103), 2);
    cr_assert_eq(groups_of(after, CS_T_FACT_AGENT_QUERY, 20250110), 2);
    struct cs_batch got;
    read_all(after, CS_T_FACT_AGENT_QUERY, &got);
    fx_assert_batch_eq(&want, &got);
    cs_batch_free(&got);
    cs_batch_free(&want);
    cs_snap_close(after);
    /* merged once: nothing more to do until a new day settles another */
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(!s.committed);
    txn = begin(st);
    append(txn, CS_T_FACT_AGENT_QUERY, 20250111, 0, 50, 20);
    commit(txn);
    cr_assert_eq(cs_store_compact(st, &aut, &s, &err), CS_OK, "%s", err.message);
    cr_assert(s.committed);
    cr_assert_eq(s.partitions_merged, 1); /* 01-03: now 8 days before the newest */
    cs_store_close(st);
}

/* --- faults: an I/O error at every operation, SIGKILL at every operation --- */

/* The contents of every table of the store in dir, compared with want[]; verify passes. */
static void expect_contents(struct cs_batch want[3], const char *what, uint64_t n)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK, "%s #%llu: %s", what,
                 (unsigned long long)n, err.message);
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s #%llu: %s", what,
                 (unsigned long long)n, err.message);
    struct cs_snap *snap = snap_of(st);
    for (int i = 0; i < 3; i++) {
        struct cs_batch got;
        read_all(snap, tables[i], &got);
        fx_assert_batch_eq(&want[i], &got);
        cs_batch_free(&got);
    }
    cs_snap_close(snap);
    cs_store_close(st);
}

static void fresh_nights(struct cs_batch want[3])
{
    fx_rmrf(dir);
    free(dir);
    dir = fx_tmpdir();
    struct cs_store *st = open_store();
    nights(st);
    if (want != NULL) {
        struct cs_snap *snap = snap_of(st);
        for (int i = 0; i < 3; i++)
            read_all(snap, tables[i], &want[i]);
        cs_snap_close(snap);
    }
    cs_store_close(st);
}

static int compact_dir(struct cs_compact_stats *s, struct cs_error *err)
{
    struct cs_store *st = NULL;
    int rc = cs_store_open(dir, CS_OPEN_WRITE, &st, err);
    const struct cs_compact_policy all = CS_COMPACT_POLICY_ALL;
    if (rc == CS_OK) rc = cs_store_compact(st, &all, s, err);
    cs_store_close(st);
    return rc;
}

Test(compact, an_io_error_at_every_operation_changes_nothing, .timeout = 600)
{
    struct cs_batch want[3];
    fresh_nights(want);
    struct cs_compact_stats s;
    struct cs_error err = {0};
    cs_sio_fault_arm(0, 0, 0, false);
    cr_assert_eq(compact_dir(&s, &err), CS_OK, "%s", err.message);
    uint64_t n[CS_SIO_NOPS];
    for (int k = 0; k < CS_SIO_NOPS; k++)
        n[k] = cs_sio_fault_count(k);
    cr_assert(n[CS_SIO_WRITE] > 0 && n[CS_SIO_FSYNC] > 0 && n[CS_SIO_RENAME] > 0);
    unsigned runs = 0, failed = 0;
    for (int k = 0; k < CS_SIO_NOPS; k++) {
        for (uint64_t i = 1; i <= n[k]; i++) {
            fresh_nights(NULL);
            const int error = i % 2 ? EIO : ENOSPC;
            cs_sio_fault_arm(k, i, error, false);
            const int rc = compact_dir(&s, &err);
            const uint64_t fired = cs_sio_fault_fired();
            cs_sio_fault_arm(0, 0, 0, false);
            cr_assert(fired > 0, "%s #%llu did not fire", cs_sio_op_name(k), (unsigned long long)i);
            runs++;
            if (rc != CS_OK) {
                failed++;
                cr_assert_eq(rc, CS_EIO, "%s #%llu: %s", cs_sio_op_name(k), (unsigned long long)i,
                             err.message);
                cr_assert(strstr(err.message, strerror(error)) != NULL, "%s", err.message);
            }
            expect_contents(want, cs_sio_op_name(k), i);
            cr_assert_eq(compact_dir(&s, &err), CS_OK, "re-run: %s", err.message);
            expect_contents(want, "re-run", i);
        }
    }
    cr_log_info("compaction: %u I/O faults, %u failed cleanly, contents always equal", runs,
                failed);
    cr_assert_gt(failed, 0);
    for (int i = 0; i < 3; i++)
        cs_batch_free(&want[i]);
}

Test(compact, sigkill_at_every_operation_changes_nothing, .timeout = 600)
{
    struct cs_batch want[3];
    fresh_nights(want);
    struct cs_compact_stats s;
    struct cs_error err = {0};
    cs_sio_fault_arm(0, 0, 0, false);
    cr_assert_eq(compact_dir(&s, &err), CS_OK, "%s", err.message);
    const uint64_t total = cs_sio_fault_count(CS_SIO_ANY);
    cr_assert_gt(total, 2);
    for (uint64_t i = 1; i <= total; i++) {
        fresh_nights(NULL);
        const pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            cs_sio_fault_arm(CS_SIO_ANY, i, CS_SIO_KILL, false);
            struct cs_error e;
            _exit(compact_dir(&s, &e) == CS_OK ? 0 : 1);
        }
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "op %llu: status %d",
                  (unsigned long long)i, status);
        expect_contents(want, "killed at", i);
        cr_assert_eq(compact_dir(&s, &err), CS_OK, "re-run after a kill at %llu: %s",
                     (unsigned long long)i, err.message);
        expect_contents(want, "re-run after a kill at", i);
    }
    cr_log_info("compaction: SIGKILL at each of its %llu I/O operations, contents always equal",
                (unsigned long long)total);
    for (int i = 0; i < 3; i++)
        cs_batch_free(&want[i]);
}

/* --- readers --- */

static struct cs_batch *hook_want;
static unsigned hook_reads;

/* Called by the compaction at each block it writes, with the writer lock held: a reader
 * through another handle opens a snapshot and reads every table, unblocked and unchanged. */
static void read_during(const char *point)
{
    if (strcmp(point, "block_written") != 0) return;
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK, "%s", err.message);
    struct cs_snap *snap = snap_of(st);
    for (int i = 0; i < 3; i++) {
        struct cs_batch got;
        read_all(snap, tables[i], &got);
        fx_assert_batch_eq(&hook_want[i], &got);
        cs_batch_free(&got);
    }
    cs_snap_close(snap);
    cs_store_close(st);
    hook_reads++;
}

Test(compact, readers_are_not_blocked)
{
    struct cs_batch want[3];
    fresh_nights(want);
    hook_want = want;
    hook_reads = 0;
    cs_store_test_hook = read_during;
    struct cs_compact_stats s;
    struct cs_error err = {0};
    const int rc = compact_dir(&s, &err);
    cs_store_test_hook = NULL;
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    cr_assert_gt(hook_reads, 2, "a reader read during the compaction");
    expect_contents(want, "after", 0);
    for (int i = 0; i < 3; i++)
        cs_batch_free(&want[i]);
}
