/*
 * The fixture of the retention tests (test_retain.c, test_retain_faults.c): colgen data over 20
 * days and three stores built from it — all of it ("full"), without the days before BEFORE
 * ("cut"), and without fact_approval's days before BEFORE ("cut_approval") — with their states.
 */
#ifndef CS_TEST_RETAIN_FIXTURE_H
#define CS_TEST_RETAIN_FIXTURE_H
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/store_io.h"
#include "tests/engine/state.h"

#define BEFORE   "2025-03-11"
#define LOAD_TS  1740787200000000 /* fixed: every store must agree */
#define ROWS_GEN "3000"

static char *base;
static char *state_full, *state_cut, *state_cut_approval;
static const struct st_days days = {"2025-03-01", "2025-03-20", 19, 2025};
static const char *const facts[3] = {"fact_agent_query", "fact_approval", "fact_training"};
static const char *const dims[4] = {"dim_agent", "dim_time", "dim_conversation", "dim_user"};

__attribute__((unused)) static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[9000];
    (void)snprintf(cmd, sizeof(cmd), fmt, a, b, a, b);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

__attribute__((unused)) static void
load_file(colstore_store *st, const char *table, const char *path)
{
    colstore_error err;
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.format = COLSTORE_FORMAT_TEXT;
    o.load_time_us = LOAD_TS;
    cr_assert_eq(colstore_load_path(st, table, path, &o, NULL, &err), COLSTORE_OK, "%s: %s", table,
                 err.message);
}

/* make_store() - dir with the dimensions and, per fact table, the export named by
 * which[i] ("all", "cut": the rows from BEFORE on, "early": the rows before it; NULL: none). */
__attribute__((unused)) static void make_store(const char *dir, const char *const which[3])
{
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    char path[4200];
    for (int i = 0; i < 4; i++) {
        (void)snprintf(path, sizeof(path), "%s/gen/%s.copy", base, dims[i]);
        load_file(st, dims[i], path);
    }
    for (int i = 0; i < 3; i++) {
        if (which[i] == NULL) continue;
        (void)snprintf(path, sizeof(path), "%s/gen/%s.%s", base, facts[i], which[i]);
        load_file(st, facts[i], path);
    }
    colstore_close(st);
}

__attribute__((unused)) static void setup(void)
{
    char tmpl[] = "/tmp/cs-retain-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    base = strdup(tmpl);
    char cmd[8192];
    (void)snprintf(cmd, sizeof(cmd),
                   "'%s/tools/colgen' --out '%s/gen' --rows " ROWS_GEN
                   " --seed 5 --start 2025-03-01 --days 20 --format text >/dev/null",
                   CS_BINARY_DIR, base);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    /* time_key is the third column of every fact table */
    for (int i = 0; i < 3; i++) {
        char stem[4200];
        (void)snprintf(stem, sizeof(stem), "%s/gen/%s", base, facts[i]);
        sh("cp '%1$s.copy' '%1$s.all' && awk -F'\\t' '$3 >= 20250311' '%1$s.copy' > '%1$s.cut' "
           "&& awk -F'\\t' '$3 < 20250311' '%1$s.copy' > '%1$s.early'",
           stem, "");
    }
    char dir[4200];
    colstore_error err;
    const char *all[3] = {"all", "all", "all"}, *cut[3] = {"cut", "cut", "cut"},
               *cut_ap[3] = {"all", "cut", "all"};
    (void)snprintf(dir, sizeof(dir), "%s/full", base);
    make_store(dir, all);
    state_full = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(state_full, "%s", err.message);
    (void)snprintf(dir, sizeof(dir), "%s/cut", base);
    make_store(dir, cut);
    state_cut = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(state_cut, "%s", err.message);
    (void)snprintf(dir, sizeof(dir), "%s/cut_approval", base);
    make_store(dir, cut_ap);
    state_cut_approval = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(state_cut_approval, "%s", err.message);
    cr_assert(strcmp(state_full, state_cut) != 0 && strcmp(state_full, state_cut_approval) != 0 &&
              strcmp(state_cut, state_cut_approval) != 0);
}

__attribute__((unused)) static void teardown(void)
{
    cs_sio_fault_arm(0, 0, 0, false);
    st_rmrf(base);
    free(base);
    free(state_full);
    free(state_cut);
    free(state_cut_approval);
}

/* fresh() - base/run becomes a copy of base/<from>; its path in dir. */
__attribute__((unused)) static void fresh(char dir[4200], const char *from)
{
    char src[4200];
    (void)snprintf(dir, 4200, "%s/run", base);
    (void)snprintf(src, sizeof(src), "%s/%s", base, from);
    st_rmrf(dir);
    cr_assert_eq(st_copy_dir(src, dir), 0);
}

/* The retention under test: open dir, retain, close. */
__attribute__((unused)) static int do_retain(const char *dir,
                                             const char *const *tables,
                                             size_t n,
                                             colstore_retain_stats *stats,
                                             colstore_error *err)
{
    colstore_store *st = NULL;
    int rc = colstore_open(dir, COLSTORE_WRITABLE, &st, err);
    if (rc != COLSTORE_OK) return rc;
    colstore_retain_options o = COLSTORE_RETAIN_OPTIONS_INIT;
    o.before = BEFORE;
    o.tables = tables;
    o.ntables = n;
    rc = colstore_retain(st, &o, stats, err);
    colstore_close(st);
    return rc;
}

__attribute__((unused)) static int retain_all(const char *dir, colstore_error *err)
{
    return do_retain(dir, NULL, 0, NULL, err);
}

__attribute__((unused)) static long count_lines(const char *table, const char *which)
{
    char path[4200];
    (void)snprintf(path, sizeof(path), "%s/gen/%s.%s", base, table, which);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    long n = 0;
    for (int ch; (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    fclose(f);
    return n;
}

#endif
