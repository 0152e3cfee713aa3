/*
 * Concurrency stress without Criterion (whose forking runner cannot start under ThreadSanitizer):
 * reader threads run every report on one shared store while a writer thread loads day after
 * day; every snapshot a reader sees must be a whole commit; then concurrent recomputes on the
 * shared handle and on a COLSTORE_READ_ONCE handle. Built in every configuration and
 * run by ctest; scripts/test.sh runs it under TSan, where any data race fails it.
 * Prints "N passed, M failed".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "tests/engine/fixture.h"

#define ROWS_PER_DAY 40
#define DAYS         10
#define READERS      3

struct shared {
    colstore_store *st;
    atomic_int done, failures;
    atomic_long reads;
};

static long total_queries(colstore_store *st)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.as_of = "2025-03-31";
    p.days = 40;
    colstore_result *r = NULL;
    colstore_error err;
    if (colstore_report(st, "agent-performance", &p, &r, &err) != COLSTORE_OK) return -1;
    long total = 0;
    for (size_t i = 0; i < colstore_result_rows(r); i++)
        total += colstore_result_int(r, i, 2);
    colstore_result_free(r);
    return total;
}

static void *reader(void *arg)
{
    struct shared *sh = arg;
    static const char *const others[] = {"approval-queue", "training-quality", "daily-agg",
                                         "daily-agg"};
    long last = 0;
    for (int i = 0; !atomic_load(&sh->done); i++) {
        long n = total_queries(sh->st);
        if (n < 0 || n % ROWS_PER_DAY != 0 || n < last) atomic_fetch_add(&sh->failures, 1);
        last = n;
        colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
        p.as_of = "2025-03-31";
        p.year = 2025;
        p.from = "2025-03-01";
        p.to = "2025-03-31";
        colstore_result *r = NULL;
        colstore_error err;
        p.recompute = i % 4 == 3; /* daily-agg from the facts, meanwhile loads commit */
        if (colstore_report(sh->st, others[i % 4], &p, &r, &err) != COLSTORE_OK)
            atomic_fetch_add(&sh->failures, 1);
        colstore_result_free(r);
        atomic_fetch_add(&sh->reads, 1);
    }
    return NULL;
}

static char *day_export(int day, int rows)
{
    size_t cap = (size_t)rows * 160 + 1, len = 0;
    char *buf = malloc(cap);
    for (int i = 0; buf != NULL && i < rows; i++) {
        const int key = day * 100000 + i;
        len += (size_t)snprintf(
            buf + len, cap - len,
            "%d\t2\t202503%02d\t1\t%032x\t1\t%d\tt\tf\tf\t2025-03-%02d 10:00:%02d+00\n", key, day,
            key, 100 + (i * 37) % 1000, day, i % 60);
    }
    return buf;
}

/* Phase 2: daily aggregates recomputed by several threads at once, each report with two
 * workers (enough rows for the parallel plan) over views that share the store's mappings and
 * their set of verified segments; every run must give the same rows. */
#define BIG_DAYS   10
#define BIG_ROWS   2500
#define RECOMPUTES 4

static long recompute_total(colstore_store *st)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.from = "2025-03-11";
    p.to = "2025-03-20";
    p.recompute = true;
    colstore_result *r = NULL;
    colstore_error err;
    if (colstore_report(st, "daily-agg", &p, &r, &err) != COLSTORE_OK) return -1;
    long total = 0;
    const size_t rows = colstore_result_rows(r);
    for (size_t i = 0; i < rows; i++)
        total += colstore_result_int(r, i, 2);
    colstore_result_free(r);
    return total;
}

static void *recomputer(void *arg)
{
    struct shared *sh = arg;
    for (int i = 0; i < RECOMPUTES; i++) {
        if (recompute_total(sh->st) != (long)BIG_DAYS * BIG_ROWS)
            atomic_fetch_add(&sh->failures, 1);
        atomic_fetch_add(&sh->reads, 1);
    }
    return NULL;
}

static char *time_export(void)
{
    size_t cap = 31 * 128, len = 0;
    char *buf = malloc(cap);
    for (int d = 1; buf != NULL && d <= 31; d++) {
        len += (size_t)snprintf(buf + len, cap - len,
                                "202503%02d\t2025-03-%02d\t2025\t1\t3\t9\t%d\t%d\t%d\tDay      \t"
                                "March    \tf\tf\t\\N\t\\N\t\\N\t\\N\n",
                                d, d, d, d % 7, 59 + d);
    }
    return buf;
}

static char *store_dir;

static int setup(colstore_store **out)
{
    char *dir = fx_tmpdir();
    colstore_error err;
    if (dir == NULL || colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, out, &err))
        return -1;
    store_dir = dir;
    char *times = time_export();
    int rc = colstore_load_buffer(*out, "dim_time", times, strlen(times), "t", NULL, NULL, &err);
    free(times);
    for (size_t i = 0; rc == COLSTORE_OK && i < 4; i++) {
        if (i == 1) continue;
        rc = colstore_load_buffer(*out, fx_tables[i].table, fx_tables[i].data,
                                  strlen(fx_tables[i].data), "x", NULL, NULL, &err);
    }
    if (rc != COLSTORE_OK) fprintf(stderr, "setup: %s\n", err.message);
    return rc;
}

int main(void)
{
    struct shared sh = {0};
    int passed = 0, failed = 0;
    if (setup(&sh.st) != COLSTORE_OK) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&th[i], NULL, reader, &sh);
    int load_failures = 0;
    for (int d = 1; d <= DAYS; d++) {
        char *x = day_export(d, ROWS_PER_DAY);
        colstore_error err;
        if (colstore_load_buffer(sh.st, "fact_agent_query", x, strlen(x), "q", NULL, NULL, &err)) {
            fprintf(stderr, "load: %s\n", err.message);
            load_failures++;
        }
        free(x);
    }
    atomic_store(&sh.done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    const int reader_failures = atomic_load(&sh.failures);
    const long total = total_queries(sh.st);

    /* All BIG_DAYS days in one load: the loader's writer thread puts a day while the loading
     * thread refreshes the next day's aggregate rows. */
    int big_failures = 0;
    size_t big_len = 0;
    char *big = NULL;
    for (int d = 11; d < 11 + BIG_DAYS; d++) {
        char *x = day_export(d, BIG_ROWS);
        const size_t n = x != NULL ? strlen(x) : 0;
        char *grown = realloc(big, big_len + n + 1);
        if (grown != NULL && x != NULL) {
            memcpy(grown + big_len, x, n + 1);
            big_len += n;
        } else {
            big_failures++;
        }
        if (grown != NULL) big = grown;
        free(x);
    }
    colstore_error berr;
    if (big_failures == 0 &&
        colstore_load_buffer(sh.st, "fact_agent_query", big, big_len, "q", NULL, NULL, &berr)) {
        fprintf(stderr, "load: %s\n", berr.message);
        big_failures++;
    }
    free(big);
    atomic_store(&sh.failures, 0);
    for (int i = 0; i < READERS; i++)
        pthread_create(&th[i], NULL, recomputer, &sh);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    const int recompute_failures = atomic_load(&sh.failures) + big_failures;

    /* Phase 3: the same recomputes on a COLSTORE_READ_ONCE handle (segments read with pread():
     * data files opened and block headers cached by whichever thread comes first). */
    colstore_store *writer = sh.st, *once = NULL;
    colstore_error oerr;
    int once_failures = colstore_open(store_dir, COLSTORE_READ_ONCE, &once, &oerr) != COLSTORE_OK;
    if (once != NULL) {
        sh.st = once;
        atomic_store(&sh.failures, 0);
        for (int i = 0; i < READERS; i++)
            pthread_create(&th[i], NULL, recomputer, &sh);
        for (int i = 0; i < READERS; i++)
            pthread_join(th[i], NULL);
        once_failures += atomic_load(&sh.failures);
        colstore_close(once);
    }
    colstore_close(writer);
    free(store_dir);

    if (load_failures == 0)
        passed++;
    else
        failed++;
    if (reader_failures == 0 && atomic_load(&sh.reads) > 0)
        passed++;
    else
        failed++;
    if (total == (long)DAYS * ROWS_PER_DAY)
        passed++;
    else
        failed++;
    if (recompute_failures == 0)
        passed++;
    else
        failed++;
    if (once_failures == 0)
        passed++;
    else
        failed++;
    printf("stress_threads: %ld reads; %d passed, %d failed\n", atomic_load(&sh.reads), passed,
           failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
