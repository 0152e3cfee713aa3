/*
 * kill_sweep_*: a load SIGKILLed at any of its I/O operations (not only the commit's kill
 * points) leaves a store that verifies and answers exactly as before the load or exactly as
 * after it, and a re-run of the load then gives the state of an uninterrupted load.
 *
 * The load: a colgen export of fact_agent_query into a store that holds the dimensions, the
 * other fact tables and the first 60 % of the queries (so it both merges into stored days and
 * adds new ones). The test counts the load's I/O operations (open, read, write, fsync, rename,
 * unlink, mmap of store files) on an unfaulted run, then kills a child process at
 * COLSTORE_KILL_POINTS (default 100) operations spread evenly over the whole load, the first
 * and the last included. COLSTORE_KILL_ROWS (default 6000) sizes the export. Long version:
 * docs/reliability.md.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/store_io.h"
#include "tests/engine/state.h"

static char *base, *old_dir, *queries;
static char *state_old, *state_new;
static const struct st_days days = {"2025-03-01", "2025-03-20", 19, 2025};

static long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    return s != NULL && atol(s) > 0 ? atol(s) : dflt;
}

static void load_file(colstore_store *st, const char *table, const char *path)
{
    colstore_error err;
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.format = COLSTORE_FORMAT_TEXT;
    o.load_time_us = 1740787200000000; /* fixed: the runs must agree */
    cr_assert_eq(colstore_load_path(st, table, path, &o, NULL, &err), COLSTORE_OK, "%s: %s", table,
                 err.message);
}

/* the load under test */
static int do_load(const char *dir, colstore_error *err)
{
    colstore_store *st = NULL;
    int rc = colstore_open(dir, COLSTORE_WRITABLE, &st, err);
    if (rc != COLSTORE_OK) return rc;
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.format = COLSTORE_FORMAT_TEXT;
    o.load_time_us = 1740787200000000;
    rc = colstore_load_path(st, "fact_agent_query", queries, &o, NULL, err);
    colstore_close(st);
    return rc;
}

static void setup(void)
{
    char tmpl[] = "/tmp/cs-kill-sweep-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    base = strdup(tmpl);
    char cmd[8192], path[4200], part[4200];
    (void)snprintf(cmd, sizeof(cmd),
                   "'%s/tools/colgen' --out '%s/gen' --rows %ld --seed 3 --start 2025-03-01 "
                   "--days 20 --format text",
                   CS_BINARY_DIR, base, env_long("COLSTORE_KILL_ROWS", 6000));
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    queries = malloc(4200);
    (void)snprintf(queries, 4200, "%s/gen/fact_agent_query.copy", base);
    /* the first 60 % of the queries, already stored */
    (void)snprintf(part, sizeof(part), "%s/first.copy", base);
    (void)snprintf(cmd, sizeof(cmd), "head -n $(( $(wc -l < '%s') * 6 / 10 )) '%s' > '%s'", queries,
                   queries, part);
    cr_assert_eq(system(cmd), 0);
    old_dir = malloc(4200);
    (void)snprintf(old_dir, 4200, "%s/old", base);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(old_dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err),
                 COLSTORE_OK, "%s", err.message);
    const char *tables[] = {"dim_agent", "dim_time",      "dim_conversation",
                            "dim_user",  "fact_approval", "fact_training"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/gen/%s.copy", base, tables[i]);
        load_file(st, tables[i], path);
    }
    load_file(st, "fact_agent_query", part);
    colstore_close(st);
    state_old = st_state_dir_over(old_dir, days, &err);
    cr_assert_not_null(state_old, "%s", err.message);
}

static void teardown(void)
{
    st_rmrf(base);
    free(base);
    free(old_dir);
    free(queries);
    free(state_old);
    free(state_new);
}

/* fresh() - dir becomes a copy of the old store. */
static void fresh(const char *dir)
{
    st_rmrf(dir);
    cr_assert_eq(st_copy_dir(old_dir, dir), 0);
}

Test(kill_sweep, sigkill_anywhere_in_a_load, .init = setup, .fini = teardown, .timeout = 1800)
{
    char dir[4200];
    (void)snprintf(dir, sizeof(dir), "%s/run", base);
    colstore_error err;
    /* an uninterrupted load: its state and its operation count */
    fresh(dir);
    cs_sio_fault_arm(0, 0, 0, false);
    cr_assert_eq(do_load(dir, &err), COLSTORE_OK, "%s", err.message);
    const uint64_t total = cs_sio_fault_count(CS_SIO_ANY);
    state_new = st_state_dir_over(dir, days, &err);
    cr_assert_not_null(state_new, "%s", err.message);
    cr_assert(strcmp(state_old, state_new) != 0);
    const long points = env_long("COLSTORE_KILL_POINTS", 100);
    cr_assert(total >= 2);
    unsigned runs = 0, saw_old = 0, saw_new = 0;
    uint64_t last = 0;
    for (long i = 0; i < points; i++) {
        const uint64_t n = 1 + (uint64_t)i * (total - 1) / (uint64_t)(points > 1 ? points - 1 : 1);
        if (n == last) continue; /* fewer operations than points */
        last = n;
        fresh(dir);
        const pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            cs_sio_fault_arm(CS_SIO_ANY, n, CS_SIO_KILL, false);
            colstore_error e;
            _exit(do_load(dir, &e) == COLSTORE_OK ? 0 : 1);
        }
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "operation %llu of %llu: the child was not killed (status %d)",
                  (unsigned long long)n, (unsigned long long)total, status);
        runs++;
        char *now = st_state_dir_over(dir, days, &err);
        cr_assert_not_null(now, "killed at operation %llu: %s", (unsigned long long)n, err.message);
        const bool is_old = strcmp(now, state_old) == 0, is_new = strcmp(now, state_new) == 0;
        cr_assert(is_old || is_new,
                  "killed at operation %llu of %llu: neither the old nor the "
                  "new state",
                  (unsigned long long)n, (unsigned long long)total);
        saw_old += is_old;
        saw_new += is_new;
        free(now);
        cr_assert_eq(do_load(dir, &err), COLSTORE_OK, "re-run after operation %llu: %s",
                     (unsigned long long)n, err.message);
        now = st_state_dir_over(dir, days, &err);
        cr_assert_not_null(now, "%s", err.message);
        cr_assert_str_eq(now, state_new, "re-run after a kill at operation %llu differs",
                         (unsigned long long)n);
        free(now);
    }
    cr_log_info("kill sweep: %llu I/O operations in the load, %u kill points: %u old state, %u "
                "new state, every re-run equal to an uninterrupted load",
                (unsigned long long)total, runs, saw_old, saw_new);
    cr_assert(runs >= (unsigned)(points < (long)total ? points : (long)total));
    cr_assert(saw_old > 0 && saw_new > 0);
}
