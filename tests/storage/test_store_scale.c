/*
 * Manifest size and open time at the three-year scale: 3,300 partitions in each of four
 * partitioned tables (13,200 partitions, 12–14 columns each), written in one commit like a
 * bulk load, then 30 nightly commits. Figures are logged (run with --verbose) and bounded
 * loosely so that a regression by an order of magnitude fails.
 */
#include "tests/storage/store_fixture.h"

#include <time.h>

#define DAYS 3300
#ifdef __SANITIZE_ADDRESS__
#    define OPEN_BOUND_MS 200.0 /* ASan+UBSan: several times slower, loosely bounded */
#else
#    define OPEN_BOUND_MS 20.0
#endif

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int32_t day_key(int d)
{
    return 20150101 + (d / 28) * 100 + d % 28; /* distinct ascending keys, format unimportant */
}

static const int tables[] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING,
                             CS_T_AGG_DAILY};

Test(store_scale, open_and_snapshot_at_three_years, .timeout = 600)
{
    char *dir = fx_tmpdir();
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK);
    struct cs_batch b[4];
    for (int t = 0; t < 4; t++)
        fx_batch(&b[t], tables[t], 2, 20150101, NULLS_SOME, 1);
    double t0 = now_ms();
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    for (int t = 0; t < 4; t++) {
        for (int d = 0; d < DAYS; d++) {
            cr_assert_eq(cs_txn_put_part(txn, tables[t], day_key(d), &b[t], &err), CS_OK);
        }
    }
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    double load_ms = now_ms() - t0;
    for (int n = 0; n < 30; n++) { /* nightly loads: each rewrites two days of every table */
        cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
        for (int t = 0; t < 4; t++) {
            for (int d = DAYS - 2 - n; d < DAYS - n; d++) {
                cr_assert_eq(cs_txn_put_part(txn, tables[t], day_key(d), &b[t], &err), CS_OK);
            }
        }
        cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    }
    cs_store_close(st);
    for (int t = 0; t < 4; t++)
        cs_batch_free(&b[t]);

    char path[4300];
    snprintf(path, sizeof(path), "%s/MANIFEST-000000000031", dir);
    size_t man_bytes = fx_file_size(path);
    enum { RUNS = 50 };
    double best = 1e9, total = 0;
    for (int r = 0; r < RUNS; r++) {
        struct cs_snap *snap = NULL;
        double s0 = now_ms();
        cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK);
        cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
        double ms = now_ms() - s0;
        cr_assert_eq(cs_snap_part_count(snap, CS_T_FACT_TRAINING), DAYS);
        cs_snap_close(snap);
        cs_store_close(st);
        best = ms < best ? ms : best;
        total += ms;
    }
    cr_log_info("13,200 partitions: bulk commit %.0f ms, manifest %zu bytes, open + snapshot "
                "best %.3f ms, mean %.3f ms",
                load_ms, man_bytes, best, total / RUNS);
    fprintf(stderr, "store_scale: manifest %zu bytes, open+snapshot best %.3f ms mean %.3f ms\n",
            man_bytes, best, total / RUNS);
    cr_assert_lt(man_bytes, (size_t)13200 * 80); /* 72-byte entries (format 2) */
    cr_assert_lt(best, OPEN_BOUND_MS);
    fx_rmrf(dir);
    free(dir);
}
