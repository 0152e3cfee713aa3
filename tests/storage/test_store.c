/* Store round trips, commits, partition lookup and the writer lock (storage/store.h). */
#include "tests/storage/store_fixture.h"

#include <signal.h>
#include <sys/wait.h>

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

TestSuite(store, .init = setup, .fini = teardown);

static struct cs_store *open_store(unsigned flags)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    int rc = cs_store_open(dir, flags, &st, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    return st;
}

static struct cs_txn *begin(struct cs_store *st)
{
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    int rc = cs_txn_begin(st, &txn, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    return txn;
}

static void commit(struct cs_txn *txn)
{
    struct cs_error err = {0};
    int rc = cs_txn_commit(txn, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
}

static struct cs_snap *snap_of(struct cs_store *st)
{
    struct cs_snap *snap = NULL;
    struct cs_error err = {0};
    int rc = cs_snap_open(st, &snap, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    return snap;
}

Test(store, open_missing_store_without_create_fails)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    char path[4200];
    snprintf(path, sizeof(path), "%s/nope", dir);
    cr_assert_eq(cs_store_open(path, CS_OPEN_READ, &st, &err), CS_EIO);
    cr_assert_null(st);
    cr_assert(strstr(err.message, "No such file or directory") != NULL, "%s", err.message);
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_ECORRUPT);
    cr_assert(strstr(err.message, "not a colstore store") != NULL, "%s", err.message);
}

Test(store, new_store_is_empty_version_zero)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_snap *snap = snap_of(st);
    cr_assert_eq(cs_snap_version(snap), 0);
    for (int t = CS_TABLE_MIN; t <= CS_TABLE_MAX; t++)
        cr_assert_eq(cs_snap_part_count(snap, t), 0);
    cs_snap_close(snap);
    cs_store_close(st);
    st = open_store(CS_OPEN_READ); /* reopens without CREATE */
    cs_store_close(st);
}

Test(store, every_table_and_null_pattern_round_trips)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    for (int t = CS_TABLE_MIN; t <= CS_TABLE_MAX; t++) {
        bool fact = cs_schema_table(t)->is_fact;
        if (!fact) {
            fx_put(txn, t, 0, 300, NULLS_SOME, (uint32_t)t);
            continue;
        }
        fx_put(txn, t, 20240101, 1000, NULLS_NONE, 1);
        fx_put(txn, t, 20240102, 777, NULLS_SOME, 2);
        fx_put(txn, t, 20240103, 50, NULLS_ALL, 3);
        fx_put(txn, t, 20240104, 1, NULLS_SOME, 4); /* one row, NULL where nullable */
        fx_put(txn, t, 20240105, 1, NULLS_NONE, 5);
    }
    commit(txn);
    cs_store_close(st);

    st = open_store(CS_OPEN_READ);
    struct cs_snap *snap = snap_of(st);
    cr_assert_eq(cs_snap_version(snap), 1);
    for (int t = CS_TABLE_MIN; t <= CS_TABLE_MAX; t++) {
        if (!cs_schema_table(t)->is_fact) {
            cr_assert_eq(cs_snap_part_count(snap, t), 1);
            fx_check_part(snap, t, 0, 300, NULLS_SOME, (uint32_t)t);
            continue;
        }
        cr_assert_eq(cs_snap_part_count(snap, t), 5);
        fx_check_part(snap, t, 20240101, 1000, NULLS_NONE, 1);
        fx_check_part(snap, t, 20240102, 777, NULLS_SOME, 2);
        fx_check_part(snap, t, 20240103, 50, NULLS_ALL, 3);
        fx_check_part(snap, t, 20240104, 1, NULLS_SOME, 4);
        fx_check_part(snap, t, 20240105, 1, NULLS_NONE, 5);
    }
    cs_snap_close(snap);
    cs_store_close(st);
}

Test(store, fact_training_nulls_labels_and_overall_score_round_trip)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_batch b;
    cs_batch_init(&b, cs_schema_table(CS_T_FACT_TRAINING));
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < CS_FT_NCOLS; c++) {
            struct cs_col *col = &b.cols[c];
            bool nullable = (b.table->cols[c].flags & CS_COL_NOT_NULL) == 0;
            if (nullable && r == 1) {
                cr_assert(cs_col_push_null(col));
            } else if (c == CS_FT_LABELS) {
                const char *v = r == 0 ? "{}" : "{\"needs review\",tone,\"a,b\"}";
                cr_assert(cs_col_push_str(col, v, strlen(v)));
            } else if (c == CS_FT_OVERALL) {
                cr_assert(cs_col_push_i64(col, r == 0 ? 367 : 500)); /* 3.67, 5.00 */
            } else if (c == CS_FT_SAFE) {
                cr_assert(cs_col_push_bool(col, r == 0));
            } else if (c == CS_FT_TIME) {
                cr_assert(cs_col_push_i64(col, 20250304));
            } else {
                cr_assert(cs_col_push_i64(col, 1 + r));
            }
        }
        b.rows++;
    }
    struct cs_txn *txn = begin(st);
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_put_part(txn, CS_T_FACT_TRAINING, 20250304, &b, &err), CS_OK, "%s",
                 err.message);
    commit(txn);
    struct cs_snap *snap = snap_of(st);
    struct cs_batch got;
    cs_batch_init(&got, b.table);
    cr_assert_eq(cs_snap_read_part(snap, CS_T_FACT_TRAINING, 0, &got, &err), CS_OK, "%s",
                 err.message);
    fx_assert_batch_eq(&b, &got);
    size_t len;
    const char *s = cs_col_str(&got.cols[CS_FT_LABELS], 2, &len);
    cr_assert_eq(len, strlen("{\"needs review\",tone,\"a,b\"}"));
    cr_assert(memcmp(s, "{\"needs review\",tone,\"a,b\"}", len) == 0);
    cr_assert_eq(got.cols[CS_FT_OVERALL].i64[0], 367);
    cr_assert(cs_col_is_null(&got.cols[CS_FT_OVERALL], 1));
    struct cs_seg_stats stats;
    cr_assert_eq(cs_snap_col_stats(snap, CS_T_FACT_TRAINING, 0, CS_FT_OVERALL, &stats, &err),
                 CS_OK);
    cr_assert_eq(stats.rows, 3);
    cr_assert_eq(stats.null_count, 1);
    cr_assert_eq(stats.min, 367);
    cr_assert_eq(stats.max, 500);
    cs_batch_free(&got);
    cs_batch_free(&b);
    cs_snap_close(snap);
    cs_store_close(st);
}

Test(store, commits_add_replace_and_remove_partitions)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    for (int d = 1; d <= 5; d++)
        fx_put(txn, CS_T_FACT_AGENT_QUERY, 20240100 + d, 10, NULLS_SOME, 1);
    fx_put(txn, CS_T_DIM_AGENT, 0, 5, NULLS_NONE, 1);
    commit(txn);

    txn = begin(st);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20240102, 20, NULLS_NONE, 2); /* grows: rewritten */
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20240106, 3, NULLS_ALL, 3);   /* new day */
    struct cs_batch empty;
    fx_batch(&empty, CS_T_FACT_AGENT_QUERY, 0, 20240104, NULLS_NONE, 0);
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_put_part(txn, CS_T_FACT_AGENT_QUERY, 20240104, &empty, &err), CS_OK);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20240103, 9, NULLS_NONE, 9);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20240103, 4, NULLS_NONE, 4); /* last put wins */
    cs_batch_free(&empty);
    commit(txn);

    struct cs_snap *snap = snap_of(st);
    cr_assert_eq(cs_snap_version(snap), 2);
    cr_assert_eq(cs_snap_part_count(snap, CS_T_FACT_AGENT_QUERY), 5);
    const int32_t keys[] = {20240101, 20240102, 20240103, 20240105, 20240106};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(cs_snap_part(snap, CS_T_FACT_AGENT_QUERY, i).time_key, keys[i]);
    }
    fx_check_part(snap, CS_T_FACT_AGENT_QUERY, 20240101, 10, NULLS_SOME, 1);
    fx_check_part(snap, CS_T_FACT_AGENT_QUERY, 20240102, 20, NULLS_NONE, 2);
    fx_check_part(snap, CS_T_FACT_AGENT_QUERY, 20240103, 4, NULLS_NONE, 4);
    fx_check_part(snap, CS_T_FACT_AGENT_QUERY, 20240105, 10, NULLS_SOME, 1);
    fx_check_part(snap, CS_T_FACT_AGENT_QUERY, 20240106, 3, NULLS_ALL, 3);
    fx_check_part(snap, CS_T_DIM_AGENT, 0, 5, NULLS_NONE, 1);
    cs_snap_close(snap);

    txn = begin(st); /* removing the dimension's only partition */
    fx_batch(&empty, CS_T_DIM_AGENT, 0, 0, NULLS_NONE, 0);
    cr_assert_eq(cs_txn_put_part(txn, CS_T_DIM_AGENT, 0, &empty, &err), CS_OK);
    cs_batch_free(&empty);
    commit(txn);
    snap = snap_of(st);
    cr_assert_eq(cs_snap_part_count(snap, CS_T_DIM_AGENT), 0);
    cr_assert_eq(cs_snap_part_count(snap, CS_T_FACT_AGENT_QUERY), 5);
    cs_snap_close(snap);
    cs_store_close(st);
}

Test(store, empty_commit_and_abort_leave_the_version)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    commit(begin(st));
    struct cs_txn *txn = begin(st);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240101, 10, NULLS_SOME, 1);
    char path[4200];
    snprintf(path, sizeof(path), "%s/data/000000000001.cseg", dir);
    cr_assert(fx_exists(path));
    cs_txn_abort(txn);
    cr_assert(!fx_exists(path));
    struct cs_snap *snap = snap_of(st);
    cr_assert_eq(cs_snap_version(snap), 0);
    cs_snap_close(snap);
    cs_store_close(st);
}

Test(store, part_range_selects_inclusive_bounds)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    const int32_t keys[] = {20231231, 20240101, 20240115, 20240131, 20240201};
    for (int i = 0; i < 5; i++)
        fx_put(txn, CS_T_FACT_APPROVAL, keys[i], 2, NULLS_NONE, 1);
    commit(txn);
    struct cs_snap *snap = snap_of(st);
    size_t first, end;
    cs_snap_part_range(snap, CS_T_FACT_APPROVAL, 20240101, 20240131, &first, &end);
    cr_assert_eq(first, 1);
    cr_assert_eq(end, 4);
    cs_snap_part_range(snap, CS_T_FACT_APPROVAL, 20240102, 20240114, &first, &end);
    cr_assert_eq(first, end);
    cs_snap_part_range(snap, CS_T_FACT_APPROVAL, INT32_MIN, INT32_MAX, &first, &end);
    cr_assert_eq(first, 0);
    cr_assert_eq(end, 5);
    cs_snap_part_range(snap, CS_T_FACT_APPROVAL, 20240201, 20240201, &first, &end);
    cr_assert_eq(first, 4);
    cr_assert_eq(end, 5);
    cs_snap_part_range(snap, CS_T_FACT_APPROVAL, 20240301, 20240101, &first, &end);
    cr_assert_eq(first, end);
    cs_snap_part_range(snap, CS_T_FACT_TRAINING, 0, INT32_MAX, &first, &end);
    cr_assert_eq(first, end);
    cs_snap_close(snap);
    cs_store_close(st);
}

Test(store, bad_puts_and_reads_are_invalid_arguments)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    struct cs_batch b;
    struct cs_error err = {0};
    fx_batch(&b, CS_T_FACT_APPROVAL, 3, 20240101, NULLS_NONE, 1);
    cr_assert_eq(cs_txn_put_part(txn, CS_T_FACT_TRAINING, 20240101, &b, &err), CS_EINVAL);
    cr_assert_eq(cs_txn_put_part(txn, CS_T_FACT_APPROVAL, 0, &b, &err), CS_EINVAL);
    b.cols[3].len = 2;
    cr_assert_eq(cs_txn_put_part(txn, CS_T_FACT_APPROVAL, 20240101, &b, &err), CS_EINVAL);
    b.cols[3].len = 3;
    cr_assert_eq(cs_txn_put_part(txn, CS_T_FACT_APPROVAL, 20240101, &b, &err), CS_OK);
    commit(txn);
    cs_batch_free(&b);
    struct cs_snap *snap = snap_of(st);
    struct cs_col c;
    cs_col_init(&c, CS_K_STR);
    cr_assert_eq(cs_snap_read_col(snap, CS_T_FACT_APPROVAL, 0, 0, &c, &err), CS_EINVAL);
    cr_assert_eq(cs_snap_read_col(snap, CS_T_FACT_APPROVAL, 1, 0, &c, &err), CS_EINVAL);
    cr_assert_eq(cs_snap_read_col(snap, CS_T_FACT_APPROVAL, 0, 99, &c, &err), CS_EINVAL);
    cr_assert_eq(cs_snap_read_col(snap, CS_T_FACT_APPROVAL, 0, CS_FA_STATUS, &c, &err), CS_OK);
    cr_assert_eq(c.len, 3);
    cs_col_free(&c);
    cs_snap_close(snap);
    cs_store_close(st);

    st = open_store(CS_OPEN_READ);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_EINVAL);
    cs_store_close(st);
}

Test(store, second_writer_is_busy_in_process)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_store *st2 = open_store(CS_OPEN_WRITE);
    struct cs_txn *txn = begin(st), *other = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_begin(st, &other, &err), CS_EBUSY);
    cr_assert_null(other);
    cr_assert_eq(cs_txn_begin(st2, &other, &err), CS_EBUSY);
    char want[4300];
    snprintf(want, sizeof(want), "store \"%s\" is locked by another writer", dir);
    cr_assert_str_eq(err.message, want);
    cs_txn_abort(txn);
    other = begin(st2); /* released */
    cs_txn_abort(other);
    cs_store_close(st2);
    cs_store_close(st);
}

Test(store, second_writer_is_busy_across_processes_and_freed_when_holder_dies)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct cs_store *cst = NULL;
        struct cs_txn *ctxn = NULL;
        struct cs_error err = {0};
        if (cs_store_open(dir, CS_OPEN_WRITE, &cst, &err) != CS_OK) _exit(2);
        int rc = cs_txn_begin(cst, &ctxn, &err);
        _exit(rc == CS_EBUSY && strstr(err.message, "locked by another writer") ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child saw no CS_EBUSY");
    cs_txn_abort(txn);

    pid = fork(); /* a holder killed with the lock held does not leave it stuck */
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct cs_store *cst = NULL;
        struct cs_txn *ctxn = NULL;
        if (cs_store_open(dir, CS_OPEN_WRITE, &cst, NULL) != CS_OK) _exit(2);
        if (cs_txn_begin(cst, &ctxn, NULL) != CS_OK) _exit(3);
        raise(SIGKILL);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status));
    txn = begin(st);
    cs_txn_abort(txn);
    cs_store_close(st);
}

/* A child forked while a transaction holds the writer lock shares the lock's open file
 * description (until it execs, or for good when it does not): the lock must still end with the
 * transaction, not with the last copy of the descriptor. (Seen as a spurious "locked by another
 * writer" in a process that ran system() in one thread while another loaded.) */
static void fork_holding(struct cs_txn *txn, bool do_commit)
{
    int go[2];
    cr_assert_eq(pipe(go), 0);
    const pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) { /* holds a copy of every descriptor until the parent says go */
        char c;
        (void)close(go[1]);
        (void)read(go[0], &c, 1);
        _exit(0);
    }
    (void)close(go[0]);
    if (do_commit)
        commit(txn);
    else
        cs_txn_abort(txn);
    struct cs_store *st2 = open_store(CS_OPEN_WRITE);
    struct cs_txn *next = NULL;
    struct cs_error err = {0};
    const int rc = cs_txn_begin(st2, &next, &err);
    (void)close(go[1]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(rc, CS_OK, "after %s, with a forked child alive: %s",
                 do_commit ? "a commit" : "an abort", err.message);
    cs_txn_abort(next);
    cs_store_close(st2);
}

Test(store, the_writer_lock_ends_with_the_transaction_not_with_a_forked_child)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    fork_holding(begin(st), true);
    fork_holding(begin(st), false);
    cs_store_close(st);
}
