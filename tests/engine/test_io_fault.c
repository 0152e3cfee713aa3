/*
 * io_fault_*: an I/O error at any point of a load or of a reopen (storage/store_io.c's fault
 * injection: operation N of a kind fails with EIO or ENOSPC) ends with a clear error and a
 * store that opens at its previous commit, verifies, answers as before, and takes the same load
 * again to the same state as an uninterrupted run. A fault while reading never turns into a
 * wrong answer or a report of damage: it is CS_EIO.
 *
 * The sweep covers every operation of every kind the run performs: the test counts them on an
 * unfaulted run first, then fails each in turn (counts are printed with --verbose; see
 * docs/reliability.md for the figures).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>

#include "storage/store_io.h"
#include "tests/engine/fixture.h"
#include "tests/engine/state.h"

/* Rows that merge into two stored days of fact_agent_query and fact_approval. */
static const char more_queries[] =
    "6\t1\t20250301\t1\t0123456789abcdef0123456789abcdea\t1\t10\tt\tf\tf\t2025-03-01 13:00:00+00\n"
    "7\t3\t20250303\t2\t0123456789abcdef0123456789abcdeb\t7\t70\tf\tf\tt\t2025-03-03 14:00:00+00\n";

static char *base, *golden;
static char *state0, *state1; /* before and after the load */

static int do_load(colstore_store *st, colstore_error *err)
{
    return colstore_load_buffer(st, "fact_agent_query", more_queries, strlen(more_queries),
                                "more.copy", NULL, NULL, err);
}

/* open_and_load() - open the store in dir for writing, load, close. */
static int open_and_load(const char *dir, colstore_error *err)
{
    colstore_store *st = NULL;
    int rc = colstore_open(dir, COLSTORE_WRITABLE, &st, err);
    if (rc != COLSTORE_OK) return rc;
    rc = do_load(st, err);
    colstore_close(st);
    return rc;
}

static void setup(void)
{
    char tmpl[] = "/tmp/cs-io-fault-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    base = strdup(tmpl);
    golden = malloc(strlen(base) + 16);
    sprintf(golden, "%s/golden", base);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(golden, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    colstore_close(st);
    state0 = st_state_dir(golden, &err);
    cr_assert_not_null(state0, "%s", err.message);
    char after[4200];
    sprintf(after, "%s/after", base);
    cr_assert_eq(st_copy_dir(golden, after), 0);
    cr_assert_eq(open_and_load(after, &err), COLSTORE_OK, "%s", err.message);
    state1 = st_state_dir(after, &err);
    cr_assert_not_null(state1, "%s", err.message);
    cr_assert(strcmp(state0, state1) != 0, "the load changes the state");
}

static void teardown(void)
{
    cs_sio_fault_arm(0, 0, 0, false);
    st_rmrf(base);
    free(base);
    free(golden);
    free(state0);
    free(state1);
}

/* count_ops() - operations of each kind of run(dir) on a fresh copy of the golden store. */
static void count_ops(const char *dir, int (*run)(const char *, colstore_error *), uint64_t *n)
{
    st_rmrf(dir);
    cr_assert_eq(st_copy_dir(golden, dir), 0);
    colstore_error err;
    cs_sio_fault_arm(0, 0, 0, false); /* resets the counters */
    cr_assert_eq(run(dir, &err), COLSTORE_OK, "%s", err.message);
    for (int k = 0; k < CS_SIO_NOPS; k++)
        n[k] = cs_sio_fault_count(k);
}

struct sweep {
    unsigned runs, failed, fired, after_commit;
};

/* A load with operation n of kind k failing: a clear error and the previous commit, or (for a
 * best-effort operation after the commit: cleanup) success and the new commit; a later load
 * without faults reaches the state of an uninterrupted one. */
static void load_fault(const char *dir, int k, uint64_t n, bool sticky, struct sweep *sw)
{
    st_rmrf(dir);
    cr_assert_eq(st_copy_dir(golden, dir), 0);
    colstore_error err = {0};
    const int error = n % 2 ? EIO : ENOSPC;
    cs_sio_fault_arm(k, n, error, sticky);
    const int rc = open_and_load(dir, &err);
    const uint64_t fired = cs_sio_fault_fired();
    cs_sio_fault_arm(0, 0, 0, false);
    sw->runs++;
    sw->fired += fired > 0;
    cr_assert(fired > 0, "%s #%llu: the fault did not fire", cs_sio_op_name(k),
              (unsigned long long)n);
    colstore_error e2;
    char *now = st_state_dir(dir, &e2);
    cr_assert_not_null(now, "%s #%llu (%s): the store does not open or verify: %s",
                       cs_sio_op_name(k), (unsigned long long)n, err.message, e2.message);
    if (rc == COLSTORE_OK) {
        cr_assert_str_eq(now, state1, "%s #%llu: success but not the new state", cs_sio_op_name(k),
                         (unsigned long long)n);
    } else {
        sw->failed++;
        cr_assert(rc == COLSTORE_EIO, "%s #%llu: code %d (%s)", cs_sio_op_name(k),
                  (unsigned long long)n, rc, err.message);
        cr_assert(strstr(err.message, strerror(error)) != NULL, "%s #%llu: unclear error: %s",
                  cs_sio_op_name(k), (unsigned long long)n, err.message);
        const bool visible = strstr(err.message, "is visible but may not be durable") != NULL;
        sw->after_commit += visible;
        cr_assert_str_eq(now, visible ? state1 : state0, "%s #%llu: %s", cs_sio_op_name(k),
                         (unsigned long long)n, err.message);
        free(now);
        cr_assert_eq(open_and_load(dir, &err), COLSTORE_OK, "re-run: %s", err.message);
        now = st_state_dir(dir, &e2);
        cr_assert_not_null(now, "%s", e2.message);
        cr_assert_str_eq(now, state1, "%s #%llu: the re-run differs from an uninterrupted load",
                         cs_sio_op_name(k), (unsigned long long)n);
    }
    free(now);
}

static void sweep_loads(bool sticky)
{
    char dir[4200];
    sprintf(dir, "%s/run", base);
    uint64_t n[CS_SIO_NOPS];
    count_ops(dir, open_and_load, n);
    struct sweep sw = {0};
    for (int k = 0; k < CS_SIO_NOPS; k++) {
        for (uint64_t i = 1; i <= n[k]; i++)
            load_fault(dir, k, i, sticky, &sw);
        cr_log_info("load, %s faults: %s %llu", sticky ? "sticky" : "single", cs_sio_op_name(k),
                    (unsigned long long)n[k]);
    }
    cr_log_info("load: %u runs, %u failed cleanly, %u after the commit point", sw.runs, sw.failed,
                sw.after_commit);
    cr_assert(n[CS_SIO_WRITE] > 0 && n[CS_SIO_FSYNC] > 0 && n[CS_SIO_RENAME] > 0 &&
              n[CS_SIO_OPEN] > 0 && n[CS_SIO_MMAP] > 0 && n[CS_SIO_UNLINK] > 0);
    cr_assert(sw.failed > 0);
}

Test(
    io_fault, every_operation_of_a_load_fails_once, .init = setup, .fini = teardown, .timeout = 600)
{
    sweep_loads(false);
}

Test(io_fault,
     every_operation_of_a_load_fails_from_then_on,
     .init = setup,
     .fini = teardown,
     .timeout = 600)
{
    sweep_loads(true); /* a disk that stays full */
}

/* The reading side: open, every dump and report, verify. */
static int open_and_read(const char *dir, colstore_error *err)
{
    colstore_store *st = NULL;
    int rc = colstore_open(dir, COLSTORE_READ_ONLY, &st, err);
    if (rc != COLSTORE_OK) return rc;
    char *s = st_state(st, err);
    if (s == NULL) rc = err->code;
    if (s != NULL && strcmp(s, state0) != 0) rc = -1; /* a wrong answer */
    free(s);
    if (rc == COLSTORE_OK) rc = colstore_verify(st, NULL, NULL, err);
    colstore_close(st);
    return rc;
}

static int open_and_read_once(const char *dir, colstore_error *err)
{
    colstore_store *st = NULL;
    int rc = colstore_open(dir, COLSTORE_READ_ONLY | COLSTORE_READ_ONCE, &st, err);
    if (rc != COLSTORE_OK) return rc;
    char *s = st_state(st, err);
    if (s == NULL) rc = err->code;
    if (s != NULL && strcmp(s, state0) != 0) rc = -1;
    free(s);
    colstore_close(st);
    return rc;
}

static void sweep_reads(int (*run)(const char *, colstore_error *), const char *what)
{
    char dir[4200];
    sprintf(dir, "%s/read", base);
    uint64_t n[CS_SIO_NOPS];
    count_ops(dir, run, n);
    unsigned runs = 0, failed = 0;
    for (int k = 0; k < CS_SIO_NOPS; k++) {
        for (uint64_t i = 1; i <= n[k]; i++) {
            colstore_error err = {0};
            const int error = i % 2 ? EIO : ENOSPC;
            cs_sio_fault_arm(k, i, error, false);
            const int rc = run(dir, &err);
            cs_sio_fault_arm(0, 0, 0, false);
            runs++;
            cr_assert(rc == COLSTORE_OK || rc == COLSTORE_EIO, "%s %s #%llu: code %d: %s", what,
                      cs_sio_op_name(k), (unsigned long long)i, rc, err.message);
            if (rc == COLSTORE_EIO) {
                failed++;
                cr_assert(strstr(err.message, strerror(error)) != NULL, "%s", err.message);
            }
            char *now = st_state_dir(dir, &err);
            cr_assert_not_null(now, "%s", err.message);
            cr_assert_str_eq(now, state0);
            free(now);
        }
        cr_log_info("%s: %s %llu", what, cs_sio_op_name(k), (unsigned long long)n[k]);
    }
    cr_log_info("%s: %u runs, %u failed with CS_EIO, none wrong", what, runs, failed);
    cr_assert(n[CS_SIO_OPEN] > 0 && n[CS_SIO_READ] > 0);
    cr_assert(failed > 0);
}

Test(io_fault,
     every_operation_of_a_reopen_and_its_reads,
     .init = setup,
     .fini = teardown,
     .timeout = 600)
{
    sweep_reads(open_and_read, "mapped reads");
    sweep_reads(open_and_read_once, "pread reads");
}
