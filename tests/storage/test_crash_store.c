/*
 * crash_*: a child process runs a commit and SIGKILLs itself at one kill point of the commit
 * state machine (storage/commit.c); the parent then finds the store at exactly the previous
 * or the new commit, verify finds nothing damaged, and a later writer commits and removes
 * the killed writer's leftovers.
 */
#include "tests/storage/store_fixture.h"

#include <signal.h>
#include <sys/wait.h>

#include "storage/store_int.h"

static char *dir;
static const char *kill_at;

static void setup(void)
{
    dir = fx_tmpdir();
}

static void teardown(void)
{
    fx_rmrf(dir);
    free(dir);
}

static void hook(const char *point)
{
    if (kill_at != NULL && strcmp(point, kill_at) == 0) (void)raise(SIGKILL);
}

/* Version 1: days 1 and 2. Version 2 (the killed commit): day 1 removed, day 2 replaced,
 * day 3 added, dim_user added. */
static void commit_v1(void)
{
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240101, 100, NULLS_SOME, 1);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240102, 100, NULLS_SOME, 1);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
}

static void run_v2_child(void)
{
    cs_store_test_hook = hook;
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_batch empty;
    if (cs_store_open(dir, CS_OPEN_WRITE, &st, NULL) != CS_OK) _exit(2);
    if (cs_txn_begin(st, &txn, NULL) != CS_OK) _exit(3);
    fx_batch(&empty, CS_T_FACT_APPROVAL, 0, 20240101, NULLS_NONE, 0);
    if (cs_txn_put_part(txn, CS_T_FACT_APPROVAL, 20240101, &empty, NULL) != CS_OK) _exit(4);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240102, 150, NULLS_ALL, 2);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240103, 7, NULLS_NONE, 2);
    fx_put(txn, CS_T_DIM_USER, 0, 12, NULLS_SOME, 2);
    if (cs_txn_commit(txn, NULL) != CS_OK) _exit(5);
    cs_store_close(st);
    _exit(0);
}

static void check_store(uint64_t version)
{
    struct cs_store *st = NULL;
    struct cs_snap *snap = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_version(snap), version, "kill at %s", kill_at);
    if (version == 1) {
        cr_assert_eq(cs_snap_part_count(snap, CS_T_FACT_APPROVAL), 2);
        cr_assert_eq(cs_snap_part_count(snap, CS_T_DIM_USER), 0);
        fx_check_part(snap, CS_T_FACT_APPROVAL, 20240101, 100, NULLS_SOME, 1);
        fx_check_part(snap, CS_T_FACT_APPROVAL, 20240102, 100, NULLS_SOME, 1);
    } else {
        cr_assert_eq(cs_snap_part_count(snap, CS_T_FACT_APPROVAL), 2);
        fx_check_part(snap, CS_T_FACT_APPROVAL, 20240102, 150, NULLS_ALL, 2);
        fx_check_part(snap, CS_T_FACT_APPROVAL, 20240103, 7, NULLS_NONE, 2);
        fx_check_part(snap, CS_T_DIM_USER, 0, 12, NULLS_SOME, 2);
    }
    cs_snap_close(snap);
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);

    struct cs_txn *txn = NULL; /* a later writer is not stuck and cleans up */
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240104, 5, NULLS_SOME, 3);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
    cr_assert_eq(cs_snap_version(snap), version + 1);
    fx_check_part(snap, CS_T_FACT_APPROVAL, 20240104, 5, NULLS_SOME, 3);
    cs_snap_close(snap);
    cs_store_close(st);

    char path[4300];
    snprintf(path, sizeof(path), "%s/CURRENT.tmp", dir);
    cr_assert(!fx_exists(path));
    snprintf(path, sizeof(path), "%s/data/%012llu.cseg", dir, (unsigned long long)version + 1);
    cr_assert(fx_exists(path));
    if (version == 1) { /* the killed writer's data file and manifest are gone */
        snprintf(path, sizeof(path), "%s/MANIFEST-000000000001", dir);
        cr_assert(!fx_exists(path));
    }
}

static void crash_at(const char *point, uint64_t expect_version)
{
    commit_v1();
    kill_at = point;
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) run_v2_child();
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child not killed at %s", point);
    check_store(expect_version);
}

TestSuite(crash, .init = setup, .fini = teardown);

Test(crash, killed_after_a_block_write_keeps_the_old_commit)
{
    crash_at("block_written", 1);
}
Test(crash, killed_after_data_write_keeps_the_old_commit)
{
    crash_at("data_written", 1);
}
Test(crash, killed_after_data_fsync_keeps_the_old_commit)
{
    crash_at("data_synced", 1);
}
Test(crash, killed_after_manifest_write_keeps_the_old_commit)
{
    crash_at("manifest_written", 1);
}
Test(crash, killed_after_manifest_fsync_keeps_the_old_commit)
{
    crash_at("manifest_synced", 1);
}
Test(crash, killed_after_current_tmp_write_keeps_the_old_commit)
{
    crash_at("current_tmp_written", 1);
}
Test(crash, killed_after_current_tmp_fsync_keeps_the_old_commit)
{
    crash_at("current_tmp_synced", 1);
}
Test(crash, killed_after_rename_has_the_new_commit)
{
    crash_at("renamed", 2);
}
Test(crash, killed_after_dir_fsync_has_the_new_commit)
{
    crash_at("dir_synced", 2);
}
Test(crash, killed_during_cleanup_has_the_new_commit)
{
    crash_at("cleaned", 2);
}
