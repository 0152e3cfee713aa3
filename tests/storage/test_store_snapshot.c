/* Snapshot isolation and the deletion rule (docs/storage-format.md §7). */
#include "tests/storage/store_fixture.h"

#include <pthread.h>
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

TestSuite(snapshot, .init = setup, .fini = teardown);

static struct cs_store *open_rw(void)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    return st;
}

static struct cs_snap *snap_of(struct cs_store *st)
{
    struct cs_snap *snap = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK, "%s", err.message);
    return snap;
}

/* commit_days() - one commit putting days [d0, d1] of fact_agent_query with seed. */
static void commit_days(struct cs_store *st, int d0, int d1, uint32_t seed)
{
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    for (int d = d0; d <= d1; d++) {
        fx_put(txn, CS_T_FACT_AGENT_QUERY, 20240100 + d, 40 + (size_t)d, NULLS_SOME, seed);
    }
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
}

static char *path_of(const char *rel)
{
    static char buf[4300];
    snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
    return buf;
}

Test(snapshot, old_snapshot_reads_old_data_and_pins_its_files)
{
    struct cs_store *st = open_rw();
    commit_days(st, 1, 2, 1);
    struct cs_snap *old = snap_of(st);
    fx_check_part(old, CS_T_FACT_AGENT_QUERY, 20240101, 41, NULLS_SOME, 1); /* maps file 1 */

    commit_days(st, 1, 3, 2); /* replaces both days: file 1 and MANIFEST-1 are dead */
    cr_assert(fx_exists(path_of("data/000000000001.cseg")));
    cr_assert(fx_exists(path_of("MANIFEST-000000000001")));
    struct cs_snap *cur = snap_of(st);
    cr_assert_eq(cs_snap_version(old), 1);
    cr_assert_eq(cs_snap_version(cur), 2);
    cr_assert_eq(cs_snap_part_count(old, CS_T_FACT_AGENT_QUERY), 2);
    cr_assert_eq(cs_snap_part_count(cur, CS_T_FACT_AGENT_QUERY), 3);
    fx_check_part(old, CS_T_FACT_AGENT_QUERY, 20240102, 42, NULLS_SOME, 1);
    fx_check_part(cur, CS_T_FACT_AGENT_QUERY, 20240102, 42, NULLS_SOME, 2);
    fx_check_part(cur, CS_T_FACT_AGENT_QUERY, 20240103, 43, NULLS_SOME, 2);

    commit_days(st, 4, 4, 3); /* old snapshot still open: nothing of version 1 goes */
    cr_assert(fx_exists(path_of("data/000000000001.cseg")));
    fx_check_part(old, CS_T_FACT_AGENT_QUERY, 20240101, 41, NULLS_SOME, 1);
    cs_snap_close(old);
    cs_snap_close(cur);

    commit_days(st, 5, 5, 4); /* now nobody needs them */
    cr_assert(!fx_exists(path_of("data/000000000001.cseg")));
    cr_assert(!fx_exists(path_of("MANIFEST-000000000001")));
    cr_assert(!fx_exists(path_of("MANIFEST-000000000002")));
    cr_assert(fx_exists(path_of("data/000000000002.cseg"))); /* still live in version 4 */
    struct cs_snap *snap = snap_of(st);
    fx_check_part(snap, CS_T_FACT_AGENT_QUERY, 20240102, 42, NULLS_SOME, 2);
    cs_snap_close(snap);
    cs_store_close(st);
}

Test(snapshot, snapshot_in_another_process_pins_its_files)
{
    struct cs_store *st = open_rw();
    commit_days(st, 1, 1, 1);
    int to_child[2], to_parent[2];
    cr_assert_eq(pipe(to_child), 0);
    cr_assert_eq(pipe(to_parent), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct cs_store *cst = NULL;
        struct cs_snap *snap = NULL;
        char c = 0;
        if (cs_store_open(dir, CS_OPEN_READ, &cst, NULL) != CS_OK) _exit(2);
        if (cs_snap_open(cst, &snap, NULL) != CS_OK) _exit(3);
        if (write(to_parent[1], "s", 1) != 1 || read(to_child[0], &c, 1) != 1) _exit(4);
        struct cs_col col; /* read after the parent's commit, mapping the file only now */
        cs_col_init(&col, CS_K_I64);
        int rc = cs_snap_read_col(snap, CS_T_FACT_AGENT_QUERY, 0, CS_FQ_LATENCY, &col, NULL);
        _exit(rc == CS_OK && col.len == 41 && cs_snap_version(snap) == 1 ? 0 : 5);
    }
    char c = 0;
    cr_assert_eq(read(to_parent[0], &c, 1), 1);
    commit_days(st, 1, 1, 2);
    cr_assert(fx_exists(path_of("data/000000000001.cseg")));
    cr_assert_eq(write(to_child[1], "g", 1), 1);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    commit_days(st, 2, 2, 3);
    cr_assert(!fx_exists(path_of("data/000000000001.cseg")));
    cs_store_close(st);
}

struct reader_arg {
    struct cs_snap *snap;
    int failures;
};

static void *reader(void *p)
{
    struct reader_arg *a = p;
    struct cs_col col;
    cs_col_init(&col, CS_K_STR);
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < cs_snap_part_count(a->snap, CS_T_FACT_APPROVAL); i++) {
            struct cs_error err = {0};
            int rc = cs_snap_read_col(a->snap, CS_T_FACT_APPROVAL, i, CS_FA_STATUS, &col, &err);
            if (rc != CS_OK || col.len != 30) a->failures++;
        }
    }
    cs_col_free(&col);
    return NULL;
}

Test(snapshot, threads_share_a_snapshot_while_a_writer_commits)
{
    struct cs_store *st = open_rw();
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    for (int d = 1; d <= 28; d++)
        fx_put(txn, CS_T_FACT_APPROVAL, 20240200 + d, 30, NULLS_SOME, 1);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK);
    struct cs_snap *snap = snap_of(st);
    struct reader_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct reader_arg){snap, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, reader, &args[i]), 0);
    }
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
        for (int d = 1; d <= 28; d++)
            fx_put(txn, CS_T_FACT_APPROVAL, 20240200 + d, 31, NULLS_NONE, 2);
        cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    }
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(pthread_join(th[i], NULL), 0);
        cr_assert_eq(args[i].failures, 0);
    }
    cs_snap_close(snap);
    cs_store_close(st);
}
