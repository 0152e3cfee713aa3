/* cs_snap_release_part(): pages given back are mapped in again on the next read, unchanged;
 * cs_txn_read_part(): a transaction reads back what it put, else its base version. */
#include "tests/storage/store_fixture.h"

#include <sys/mman.h>

#include "storage/store_int.h"

static int checksums;
static void count_checksums(const char *point)
{
    if (strcmp(point, "view-checksum") == 0) checksums++;
}

static void view_latency(struct cs_snap *snap, size_t part)
{
    struct cs_seg_view v;
    struct cs_error err = {0};
    cs_seg_view_init(&v);
    cr_assert_eq(
        cs_snap_view_col(snap, CS_T_FACT_AGENT_QUERY, part, CS_FQ_LATENCY, CS_K_I64, &v, &err),
        CS_OK, "%s", err.message);
    cr_assert_eq(v.rows, 300);
    cs_seg_view_free(&v);
}

/* The store's mapping of a data file remembers which segments' checksums it verified: later
 * snapshots of the same store handle trust them (data files are immutable), a new handle
 * verifies again. */
Test(snap_release, a_mapping_verifies_each_segment_once)
{
    char *dir = fx_tmpdir();
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK);
    struct cs_txn *txn = NULL;
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250301, 300, NULLS_SOME, 3);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250302, 300, NULLS_SOME, 4);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cs_store_close(st);

    checksums = 0;
    cs_store_test_hook = count_checksums;
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK);
    struct cs_snap *snap = NULL;
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
    view_latency(snap, 0);
    view_latency(snap, 1);
    cr_assert_eq(checksums, 2);
    view_latency(snap, 0);
    cs_snap_close(snap);
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
    view_latency(snap, 0);
    view_latency(snap, 1);
    cr_assert_eq(checksums, 2, "a later snapshot of the same handle trusts them");
    cs_snap_close(snap);
    cs_store_close(st);

    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK);
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
    view_latency(snap, 1);
    cr_assert_eq(checksums, 3, "a new handle verifies again");
    cs_snap_close(snap);
    cs_store_close(st);
    cs_store_test_hook = NULL;
    fx_rmrf(dir);
    free(dir);
}

Test(snap_release, released_partition_reads_back_equal)
{
    char *dir = fx_tmpdir();
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    struct cs_txn *txn = NULL;
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    for (int d = 1; d <= 3; d++)
        fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250300 + d, 5000, NULLS_SOME, 7);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    struct cs_snap *snap = NULL;
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK, "%s", err.message);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < 3; i++) {
            fx_check_part(snap, CS_T_FACT_AGENT_QUERY, 20250301 + (int)i, 5000, NULLS_SOME, 7);
            cs_snap_release_part(snap, CS_T_FACT_AGENT_QUERY, i);
        }
    }
    cs_snap_release_part(snap, CS_T_FACT_AGENT_QUERY, 99); /* out of range: no-op */
    cs_snap_close(snap);
    cs_store_close(st);
    fx_rmrf(dir);
    free(dir);
}

Test(snap_release, transaction_reads_its_own_puts)
{
    char *dir = fx_tmpdir();
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK);
    struct cs_txn *txn = NULL;
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250301, 100, NULLS_NONE, 1);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);

    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    struct cs_batch got, want;
    cs_batch_init(&got, cs_schema_table(CS_T_FACT_APPROVAL));
    /* not put yet: the base version */
    cr_assert_eq(cs_txn_read_part(txn, CS_T_FACT_APPROVAL, 20250301, &got, &err), CS_OK);
    fx_batch(&want, CS_T_FACT_APPROVAL, 100, 20250301, NULLS_NONE, 1);
    fx_assert_batch_eq(&want, &got);
    cs_batch_free(&want);
    /* put twice: the latest put wins */
    fx_put(txn, CS_T_FACT_APPROVAL, 20250301, 30, NULLS_SOME, 2);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250301, 40, NULLS_ALL, 3);
    cr_assert_eq(cs_txn_read_part(txn, CS_T_FACT_APPROVAL, 20250301, &got, &err), CS_OK, "%s",
                 err.message);
    fx_batch(&want, CS_T_FACT_APPROVAL, 40, 20250301, NULLS_ALL, 3);
    fx_assert_batch_eq(&want, &got);
    cs_batch_free(&want);
    /* a day that exists nowhere: empty */
    cr_assert_eq(cs_txn_read_part(txn, CS_T_FACT_APPROVAL, 20250302, &got, &err), CS_OK);
    cr_assert_eq(got.rows, 0);
    /* a removal put: empty */
    struct cs_batch none;
    cs_batch_init(&none, cs_schema_table(CS_T_FACT_APPROVAL));
    cr_assert_eq(cs_txn_put_part(txn, CS_T_FACT_APPROVAL, 20250301, &none, &err), CS_OK);
    cr_assert_eq(cs_txn_read_part(txn, CS_T_FACT_APPROVAL, 20250301, &got, &err), CS_OK);
    cr_assert_eq(got.rows, 0);
    cs_txn_abort(txn);
    cs_batch_free(&none);
    cs_batch_free(&got);
    cs_store_close(st);
    fx_rmrf(dir);
    free(dir);
}
