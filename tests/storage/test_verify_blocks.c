/* verify checks every byte of a data file: a superseded block (dead space in a live file) that
 * is damaged is reported too, though no reader uses it. */
#include "tests/storage/store_fixture.h"

static void on_problem(void *ctx, const char *file, const char *reason)
{
    (void)file;
    (void)reason;
    (*(int *)ctx)++;
}

Test(verify_blocks, damage_in_a_superseded_block_is_reported)
{
    char *dir = fx_tmpdir();
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK);
    struct cs_txn *txn = NULL;
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250301, 200, NULLS_SOME, 1); /* superseded below: dead */
    fx_put(txn, CS_T_FACT_APPROVAL, 20250302, 200, NULLS_SOME, 2);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250301, 50, NULLS_NONE, 3);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    int problems = 0;
    cr_assert_eq(cs_store_verify(st, on_problem, &problems, &err), CS_OK, "%s", err.message);
    cr_assert_eq(problems, 0);
    cs_store_close(st);

    /* the first block starts right after the 32-byte data file header: damage its middle */
    char path[512];
    snprintf(path, sizeof(path), "%s/data/000000000001.cseg", dir);
    uint8_t *buf;
    size_t len;
    fx_read_file(path, &buf, &len);
    buf[32 + 600] ^= 0x10;
    fx_write_file(path, buf, len);
    free(buf);

    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK, "%s", err.message);
    /* readers are unaffected: the live partitions are intact */
    struct cs_snap *snap = NULL;
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
    fx_check_part(snap, CS_T_FACT_APPROVAL, 20250301, 50, NULLS_NONE, 3);
    fx_check_part(snap, CS_T_FACT_APPROVAL, 20250302, 200, NULLS_SOME, 2);
    cs_snap_close(snap);
    problems = 0;
    cr_assert_eq(cs_store_verify(st, on_problem, &problems, &err), CS_ECORRUPT);
    cr_assert_eq(problems, 1);
    cs_store_close(st);
    fx_rmrf(dir);
    free(dir);
}
