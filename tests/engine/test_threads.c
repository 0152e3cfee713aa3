/*
 * Readers in several threads see whole commits while another thread (and another process)
 * loads into the same store. Each load adds one day of exactly ROWS_PER_DAY query facts, so
 * any consistent snapshot shows a multiple of ROWS_PER_DAY rows in total, never fewer than
 * the reader saw before.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "tests/engine/fixture.h"

#define ROWS_PER_DAY 50
#define DAYS         12
#define READERS      3

struct shared {
    colstore_store *st;
    atomic_int done;
    atomic_int failures;
    atomic_long reads;
};

static char *day_export(int day, int first_key)
{
    size_t cap = ROWS_PER_DAY * 160 + 1, len = 0;
    char *buf = malloc(cap);
    for (int i = 0; i < ROWS_PER_DAY; i++) {
        len += (size_t)snprintf(
            buf + len, cap - len,
            "%d\t2\t202503%02d\t1\t%032x\t1\t%d\tt\tf\tf\t2025-03-%02d 10:00:%02d+00\n",
            first_key + i, day, first_key + i, 100 + i, day, i % 60);
    }
    return buf;
}

static char *time_export(void)
{
    static const char *names[] = {"Sunday   ", "Monday   ", "Tuesday  ", "Wednesday",
                                  "Thursday ", "Friday   ", "Saturday "};
    size_t cap = 31 * 128, len = 0;
    char *buf = malloc(cap);
    for (int d = 1; d <= 31; d++) {
        int dow = (6 + d - 1) % 7; /* 2025-03-01 is a Saturday */
        len += (size_t)snprintf(
            buf + len, cap - len,
            "202503%02d\t2025-03-%02d\t2025\t1\t3\t9\t%d\t%d\t%d\t%s\tMarch    \t%s\tf"
            "\t\\N\t\\N\t\\N\t\\N\n",
            d, d, d, dow, 59 + d, names[dow], dow == 0 || dow == 6 ? "t" : "f");
    }
    return buf;
}

static long total_rows(colstore_store *st, colstore_error *err)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.as_of = "2025-03-31";
    p.days = 40;
    colstore_result *r = NULL;
    if (colstore_report(st, "agent-performance", &p, &r, err) != COLSTORE_OK) return -1;
    long total = 0;
    for (size_t i = 0; i < colstore_result_rows(r); i++)
        total += colstore_result_int(r, i, 2);
    colstore_result_free(r);
    return total;
}

static void *reader(void *arg)
{
    struct shared *sh = arg;
    long last = 0;
    while (!atomic_load(&sh->done)) {
        colstore_error err;
        long n = total_rows(sh->st, &err);
        if (n < 0 || n % ROWS_PER_DAY != 0 || n < last) atomic_fetch_add(&sh->failures, 1);
        last = n;
        atomic_fetch_add(&sh->reads, 1);
    }
    return NULL;
}

static colstore_store *setup(char **dir_out)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    char *times = time_export();
    cr_assert_eq(colstore_load_buffer(st, "dim_time", times, strlen(times), "t", NULL, NULL, &err),
                 COLSTORE_OK, "%s", err.message);
    free(times);
    for (size_t i = 0; i < 4; i++) {
        if (i == 1) continue; /* dim_time loaded above */
        cr_assert_eq(colstore_load_buffer(st, fx_tables[i].table, fx_tables[i].data,
                                          strlen(fx_tables[i].data), "x", NULL, NULL, &err),
                     COLSTORE_OK, "%s", err.message);
    }
    *dir_out = dir;
    return st;
}

Test(threads, readers_see_whole_commits_while_a_thread_loads)
{
    char *dir;
    struct shared sh = {.st = setup(&dir)};
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&th[i], NULL, reader, &sh);
    for (int d = 1; d <= DAYS; d++) {
        char *x = day_export(d, d * 1000);
        colstore_error err;
        int rc =
            colstore_load_buffer(sh.st, "fact_agent_query", x, strlen(x), "q", NULL, NULL, &err);
        cr_assert_eq(rc, COLSTORE_OK, "%s", err.message);
        free(x);
    }
    atomic_store(&sh.done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(atomic_load(&sh.failures), 0);
    cr_assert_gt(atomic_load(&sh.reads), 0);
    colstore_error err;
    cr_assert_eq(total_rows(sh.st, &err), DAYS * ROWS_PER_DAY);
    colstore_close(sh.st);
    free(dir);
}

Test(threads, readers_see_whole_commits_while_another_process_loads)
{
    char *dir;
    struct shared sh = {.st = setup(&dir)};
    colstore_close(sh.st);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        colstore_store *w = NULL;
        colstore_error err;
        if (colstore_open(dir, COLSTORE_WRITABLE, &w, &err) != COLSTORE_OK) _exit(10);
        for (int d = 1; d <= DAYS; d++) {
            char *x = day_export(d, d * 1000);
            if (colstore_load_buffer(w, "fact_agent_query", x, strlen(x), "q", NULL, NULL, &err) !=
                COLSTORE_OK)
                _exit(11);
            free(x);
        }
        colstore_close(w);
        _exit(0);
    }
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_READ_ONLY, &sh.st, &err), COLSTORE_OK, "%s",
                 err.message);
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&th[i], NULL, reader, &sh);
    int status = 0;
    waitpid(pid, &status, 0);
    atomic_store(&sh.done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "loader exited with %d", status);
    cr_assert_eq(atomic_load(&sh.failures), 0);
    cr_assert_eq(total_rows(sh.st, &err), DAYS * ROWS_PER_DAY);
    colstore_close(sh.st);
    free(dir);
}
